/* SPDX-License-Identifier: MIT */
/* cli_common.c — what the subcommands share; see cli.h. */
#include "monitor/cli/cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/core/config.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"

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
	rfc3339_format(ms, t, sizeof(t));
	fputs(t, f);
}

int cli_exec_report(const char *subcommand, int n, char **args)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	char **argv;
	int err;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len < 0)
		return cli_error(CLI_FAIL, "cannot find runwarden-report: /proc/self/exe: %s",
		                 strerror(errno));
	self[len] = '\0';
	snprintf(path, sizeof(path), "%s/runwarden-report", dirname(self));
	argv = calloc((size_t)n + 3, sizeof(*argv));
	if (!argv)
		return cli_error(CLI_FAIL, "out of memory");
	argv[0] = (char *)"runwarden-report";
	argv[1] = (char *)subcommand;
	for (int i = 0; i < n; i++)
		argv[2 + i] = args[i];
	fflush(NULL);
	execv(path, argv);
	err = errno;
	free(argv);
	if (err == ENOENT)
		return cli_error(CLI_FAIL,
		                 "%s not found: runwarden-report is installed beside runwarden",
		                 path);
	return cli_error(CLI_FAIL, "cannot run %s: %s", path, strerror(err));
}
