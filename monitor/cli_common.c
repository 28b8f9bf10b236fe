/* SPDX-License-Identifier: MIT */
/* cli_common.c — what the subcommands share; see cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>

#include "clock.h"
#include "config.h"
#include "rw_error.h"

const char *cli_db_path(const char *flag)
{
	const char *env = getenv("RUNWARDEN_DB");
	if (flag && *flag)
		return flag;
	return env && *env ? env : RW_DEFAULT_DB;
}

int cli_open_store(const char *path, bool create, struct store **out)
{
	char err[512];
	int rc = store_open(out, path, create ? STORE_CREATE : 0, err, sizeof(err));
	if (rc < 0)
		return cli_error(CLI_FAIL, "%s", err);
	return CLI_OK;
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("runwarden: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_find_runner(struct store *st, const char *key, struct store_runner *out)
{
	char *end;
	long long id = strtoll(key, &end, 10);
	int rc = store_runner_get(st, key, 0, out);

	if (rc == RW_ENOENT && *key && !*end && id > 0)
		rc = store_runner_get(st, NULL, id, out);
	return rc;
}

void cli_print_time(FILE *f, int64_t ms)
{
	char t[40];
	clock_format_rfc3339(ms, t, sizeof(t));
	fputs(t, f);
}
