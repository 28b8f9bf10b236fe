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
#include "monitor/core/guard.h"
#include "monitor/intake/runner_spec.h"
#include "monitor/store/policy_source.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"

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
	const char *copy;
	int from, rc = store_open(out, path, create ? STORE_CREATE : 0, err, sizeof(err));
	if (rc < 0) /* a database that is not there is a wrong --db: bad input */
		return cli_error(rc == RW_ENOENT ? CLI_USAGE : CLI_FAIL, "%s", err);
	from = store_migrated_from(*out, &copy);
	if (from && copy)
		cli_error(CLI_OK,
		          "%s: schema migrated from %d to %d; the database before it is in %s",
		          path, from, store_schema_version(), copy);
	else if (from) { /* PostgreSQL: one transaction, no copy (pg_dump's) */
		char name[1024];
		store_display_name(path, name, sizeof(name));
		cli_error(CLI_OK, "%s: schema migrated from %d to %d", name, from,
		          store_schema_version());
	}
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

int cli_load_guard(const char *config, const char *const *cidrs, size_t n_cidrs,
                   struct rw_config *cfg, struct guard *g)
{
	char err[512];

	config_defaults(cfg);
	guard_init(g);
	if (config && config_load_file(cfg, config, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	for (size_t i = 0; i < cfg->n_allow_cidrs; i++)
		if (guard_allow(g, cfg->allow_cidrs[i], err, sizeof(err)) < 0)
			return cli_error(CLI_USAGE, "%s: allow_cidrs: %s", config, err);
	for (size_t i = 0; i < n_cidrs; i++)
		if (guard_allow(g, cidrs[i], err, sizeof(err)) < 0)
			return cli_error(CLI_USAGE, "--allow-cidr: %s", err);
	return CLI_OK;
}

/* The URL as the API checks it (spec_check_url_guard()), and the fix a
 * command-line user has: the flag, or the config key `serve` reads too. */
static int check_url(const struct guard *g, const char *url, char *err, size_t errlen)
{
	struct spec_guard_refusal r;
	char line[400], buf[96];
	int rc;

	if (spec_check_url(url, err, errlen) < 0)
		return RW_EINVAL;
	rc = spec_check_url_guard(g, url, &r, line, sizeof(line));
	if (rc == 0)
		return 0;
	xesc(buf, sizeof(buf), url, strlen(url));
	if (rc == RW_EREFUSED && r.range[0])
		snprintf(err, errlen,
		         "%s (in \"%s\"); pass --allow-cidr %s or set allow_cidrs in the config "
		         "(--config FILE), as the daemon must",
		         line, buf, r.range);
	else
		snprintf(err, errlen, "%s (in \"%s\")", line, buf);
	return RW_EINVAL;
}

int cli_check_runner(struct store *st, const struct guard *g, const char *operator_name,
                     const char *name, const char *const *targets, size_t n_targets,
                     const char *url, const struct spec_github *gh, struct store_runner *sr,
                     char *err, size_t errlen)
{
	struct store_runner existing;
	int rc;

	if (spec_check_name("operator", operator_name, err, errlen) < 0 ||
	    spec_check_name("name", name, err, errlen) < 0 ||
	    spec_check_targets(targets, n_targets, err, errlen) < 0 ||
	    (url && check_url(g, url, err, errlen) < 0))
		return RW_EINVAL;
	{
		/* Known targets: the policy the daemon last put in force (the
		 * built-in defaults before it ever ran), as the API checks them. */
		struct policy_source ps;
		policy_source_init(&ps);
		rc = policy_source_current(&ps, st, err, errlen);
		if (rc == 0 &&
		    spec_check_targets_known(targets, n_targets, &ps.pol, err, errlen) < 0)
			rc = RW_EINVAL;
		policy_source_deinit(&ps);
		if (rc < 0)
			return rc;
	}
	memset(sr, 0, sizeof(*sr));
	rc = store_operator_find(st, operator_name, &sr->operator_id);
	if (rc == RW_ENOENT) {
		snprintf(err, errlen,
		         "operator: \"%s\" does not exist (add it with `runwarden operator add`)",
		         operator_name);
		return RW_EINVAL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", rw_strerror(rc));
		return rc;
	}
	rc = store_runner_get(st, name, 0, &existing);
	store_runner_deinit(&existing);
	if (rc == 0) {
		snprintf(err, errlen, "name: runner \"%s\" already exists", name);
		return RW_EINVAL;
	}
	sr->name = (char *)name;
	sr->kind = (char *)(gh ? "github" : url ? "http" : "push");
	sr->url = (char *)url;
	sr->targets = (char **)targets;
	sr->n_targets = n_targets;
	sr->status = STORE_RUNNER_APPROVED;
	if (gh) {
		sr->github = (char *)gh->source;
		sr->labels = (char **)gh->labels;
		sr->n_labels = gh->n_labels;
		sr->min_online = (uint32_t)gh->min_online;
		sr->pickup_within_s = (uint32_t)gh->pickup_within_s;
	}
	return 0;
}
