/* SPDX-License-Identifier: MIT */
/*
 * cli_maintenance.c — `runwarden maintenance add|list|remove`.
 *
 * `add` validates everything (maintenance_spec.h, the runner, the policy
 * file) before it writes, and writes one row in one transaction. It also
 * says whether the window has enough notice under the policy; that is
 * advice, not a refusal: a late window is stored, and the accounting
 * (policy/account.h, rule 2) counts its early part as what the probes see.
 * `remove` never deletes (store.h): it cancels a window that has not
 * started, ends a running one now, and refuses one that is over.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli/cli.h"
#include "monitor/core/clock.h"
#include "monitor/core/url.h"
#include "monitor/intake/maintenance_spec.h"
#include "monitor/store/policy_source.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"

#define HOUR_MS ((int64_t)3600 * 1000)

static const char maintenance_usage[] =
        "usage: runwarden maintenance add RUNNER --from TIME --to TIME --reason TEXT\n"
        "                                 [--policy FILE] [--db FILE]\n"
        "       runwarden maintenance list [RUNNER] [--json] [--db FILE]\n"
        "       runwarden maintenance remove ID [--db FILE]\n"
        "\n"
        "add     declares that RUNNER (name or id) is under maintenance over\n"
        "        [--from, --to), RFC 3339 times such as 2026-11-20T22:00:00Z. The window\n"
        "        must end in the future and last at most 31 days; the reason is 1 to 500\n"
        "        bytes of printable text. Prints the window's id and whether it has\n"
        "        enough notice under the policy (--policy FILE, else the defaults).\n"
        "list    lists the windows of every runner, or of RUNNER, with their status:\n"
        "        upcoming, active, over, ended early, cancelled.\n"
        "remove  cancels a window that has not started, or ends a running one now.\n"
        "        A window that is over is evidence and cannot be removed.\n"
        "\n"
        "Maintenance declared at least maintenance.min_notice_h hours ahead counts as\n"
        "maintenance, up to maintenance.max_h_per_month hours per calendar month (UTC),\n"
        "earliest first; the rest counts as what the probes see. add warns when the\n"
        "month's cap is already used or the new window takes the month over it, and\n"
        "names the runner's windows it overlaps; a window the same as one that stands\n"
        "(same runner, from and to) is refused (exit 2): it would change nothing.\n"
        "A running daemon picks changes up within a second.\n";

struct maint_opts {
	const char *db, *from, *to, *reason, *policy;
	bool json;
};

/* Formats @p ms (>= 0) as hours: "24", or "1.50" when not whole. */
static const char *hours(int64_t ms, char *out, size_t outlen)
{
	if (ms % HOUR_MS == 0)
		snprintf(out, outlen, "%" PRId64, ms / HOUR_MS);
	else
		snprintf(out, outlen, "%.2f", (double)ms / (double)HOUR_MS);
	return out;
}

/* Prints whether a window declared at @p now has enough notice under @p p,
 * and the monthly cap. The figures follow policy/account.h, rule 2: the part
 * of the window before now + min_notice_h counts as what the probes see. */
static void print_notice(const struct rw_policy *p, const char *policy_name, int64_t start,
                         int64_t end, int64_t now)
{
	int64_t need = (int64_t)p->maintenance.min_notice_h * HOUR_MS;
	int64_t lead = start - now;
	int64_t earns_from = now + need;
	char a[32], b[32];

	printf("notice (%s): ", policy_name);
	if (lead >= 0)
		printf("declared %s h ahead; ", hours(lead, a, sizeof(a)));
	else
		printf("declared %s h after its start; ", hours(-lead, a, sizeof(a)));
	printf("needs %" PRIu32 " h: ", p->maintenance.min_notice_h);
	if (earns_from <= start)
		printf("enough\n");
	else if (earns_from >= end)
		printf("all %s h count as what the probes see\n", hours(end - start, a, sizeof(a)));
	else
		printf("the first %s h count as what the probes see, the last %s h as "
		       "maintenance\n",
		       hours(earns_from - start, a, sizeof(a)),
		       hours(end - earns_from, b, sizeof(b)));
	printf("cap: at most %" PRIu32 " h of maintenance per calendar month (UTC) are credited, "
	       "earliest first\n",
	       p->maintenance.max_h_per_month);
}

static int parse_time(const char *field, const char *text, int64_t *ms)
{
	if (!text)
		return cli_error(CLI_USAGE, "%s: --%s is required", field, field);
	if (rfc3339_parse(text, ms) < 0)
		return cli_error(CLI_USAGE,
		                 "%s: \"%s\" is not an RFC 3339 time like 2026-11-20T22:00:00Z",
		                 field, text);
	return CLI_OK;
}

/* The policy is checked as the daemon checks it, canary URLs included. */
static const struct policy_parse_opts url_opts = {.check_url = url_check};

static int maintenance_add(const struct maint_opts *o, const char *key)
{
	struct maint_advice advice = {.n = 0};
	struct policy_source ps;
	struct store *st;
	struct store_runner r;
	int64_t from, to, now = clock_wall_ms(), id = 0;
	char err[512], a[40], b[40], h[32];
	bool retired;
	int rc;

	rc = parse_time("from", o->from, &from);
	if (rc == CLI_OK)
		rc = parse_time("to", o->to, &to);
	if (rc != CLI_OK)
		return rc;
	if (!o->reason)
		return cli_error(CLI_USAGE, "reason: --reason is required");
	if (spec_check_maintenance(from, to, now, err, sizeof(err)) < 0 ||
	    spec_check_reason(o->reason, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	policy_source_init(&ps);
	rc = policy_source_file(&ps, o->policy, &url_opts, err, sizeof(err));
	if (rc < 0)
		return cli_error(rc == RW_ENOMEM ? CLI_FAIL : CLI_USAGE, "policy: %s", err);
	rc = cli_open_store(cli_db_path(o->db), false, &st);
	if (rc) {
		policy_source_deinit(&ps);
		return rc;
	}
	rc = cli_find_runner(st, key, &r);
	retired = rc == 0 && r.status == STORE_RUNNER_RETIRED;
	if (rc == 0 && !retired)
		rc = store_maintenance_add(st, r.id, from, to, now, o->reason, &id);
	if (rc == 0 && !retired) {
		/* The runner's windows over the months this one touches: what the
		 * advice reads (a failure here costs only the advice). */
		struct store_maintenance *ws = NULL;
		size_t n = 0;
		int64_t m0, m1, end0, end1;
		calendar_month(from, &m0, &end0);
		calendar_month(to - 1, &m1, &end1);
		if (store_maintenance_list(st, r.id, m0, end1, false, &ws, &n) == 0)
			spec_maintenance_advice(&ps.pol, r.created_ms, ws, n, id, &advice);
		store_maintenance_free(ws, n);
	}
	store_close(st);
	if (retired)
		rc = cli_error(CLI_USAGE, "runner: \"%s\" is retired", key);
	else if (rc == RW_EEXIST) {
		rfc3339_format(from, a, sizeof(a));
		rfc3339_format(to, b, sizeof(b));
		rc = cli_error(CLI_USAGE,
		               "from: runner %s already has maintenance %" PRId64
		               " from %s to %s, the same window; nothing was added (see "
		               "`runwarden maintenance list %s`)",
		               r.name, id, a, b, r.name);
	} else if (rc == RW_ENOENT)
		rc = cli_error(CLI_USAGE, "runner: \"%s\" does not exist", key);
	else if (rc < 0)
		rc = cli_error(CLI_FAIL, "adding the window failed: %s", rw_strerror(rc));
	if (rc) {
		store_runner_deinit(&r);
		policy_source_deinit(&ps);
		return rc;
	}
	rfc3339_format(from, a, sizeof(a));
	rfc3339_format(to, b, sizeof(b));
	printf("maintenance %" PRId64 " added: runner %s, %s to %s (%s h)\n", id, r.name, a, b,
	       hours(to - from, h, sizeof(h)));
	print_notice(&ps.pol, o->policy ? o->policy : "default policy", from, to, now);
	for (size_t i = 0; i < advice.n; i++)
		printf("warning: %s\n", advice.w[i].detail);
	if (advice.n_more)
		printf("warning: it overlaps %zu more windows (runwarden maintenance list %s)\n",
		       advice.n_more, r.name);
	store_runner_deinit(&r);
	policy_source_deinit(&ps);
	return CLI_OK;
}

/* The status of @p m at @p now, for people and for --json. */
static const char *maint_status(const struct store_maintenance *m, int64_t now)
{
	if (store_maintenance_cancelled(m))
		return "cancelled";
	if (m->removed_ms)
		return "ended early";
	if (now < m->start_ms)
		return "upcoming";
	return now < m->end_ms ? "active" : "over";
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
	char t[40];

	rfc3339_format(ms, t, sizeof(t));
	cJSON_AddStringToObject(o, name, t);
}

static void print_list_json(const struct store_maintenance *ms, size_t n, int64_t now)
{
	cJSON *arr = cJSON_CreateArray();
	char *s;

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", (double)ms[i].id);
		cJSON_AddNumberToObject(o, "runner_id", (double)ms[i].runner_id);
		cJSON_AddStringToObject(o, "runner", ms[i].runner_name);
		add_time(o, "from", ms[i].start_ms);
		add_time(o, "to", ms[i].end_ms);
		add_time(o, "declared", ms[i].declared_ms);
		cJSON_AddStringToObject(o, "reason", ms[i].reason);
		if (ms[i].removed_ms)
			add_time(o, "removed", ms[i].removed_ms);
		else
			cJSON_AddNullToObject(o, "removed");
		cJSON_AddStringToObject(o, "status", maint_status(&ms[i], now));
		cJSON_AddItemToArray(arr, o);
	}
	s = cJSON_Print(arr);
	puts(s ? s : "[]");
	free(s);
	cJSON_Delete(arr);
}

static int maintenance_list(const struct maint_opts *o, const char *key)
{
	struct store *st;
	struct store_runner r;
	struct store_maintenance *ms = NULL;
	int64_t runner_id = 0, now = clock_wall_ms();
	size_t n = 0;
	int rc = cli_open_store(cli_db_path(o->db), false, &st);

	if (rc)
		return rc;
	if (key) {
		rc = cli_find_runner(st, key, &r);
		runner_id = r.id;
		store_runner_deinit(&r);
	}
	if (rc == 0)
		rc = store_maintenance_list(st, runner_id, INT64_MIN, INT64_MAX, true, &ms, &n);
	store_close(st);
	if (rc == RW_ENOENT)
		return cli_error(CLI_USAGE, "runner: \"%s\" does not exist", key);
	if (rc < 0)
		return cli_error(CLI_FAIL, "reading maintenance windows: %s", rw_strerror(rc));
	if (o->json) {
		print_list_json(ms, n, now);
	} else {
		printf("%-6s %-24s %-24s %-24s %-11s %s\n", "ID", "RUNNER", "FROM", "TO", "STATUS",
		       "REASON");
		for (size_t i = 0; i < n; i++) {
			char a[40], b[40];

			rfc3339_format(ms[i].start_ms, a, sizeof(a));
			rfc3339_format(ms[i].end_ms, b, sizeof(b));
			printf("%-6" PRId64 " %-24s %-24s %-24s %-11s %s\n", ms[i].id,
			       ms[i].runner_name, a, b, maint_status(&ms[i], now), ms[i].reason);
		}
	}
	store_maintenance_free(ms, n);
	return CLI_OK;
}

static int maintenance_remove(const struct maint_opts *o, const char *arg)
{
	struct store *st;
	struct store_maintenance m;
	int64_t now = clock_wall_ms();
	char *end, t[40];
	long long id = strtoll(arg, &end, 10);
	int rc;

	if (!*arg || *end || id < 1)
		return cli_error(CLI_USAGE, "id: \"%s\" is not a maintenance window id", arg);
	rc = cli_open_store(cli_db_path(o->db), false, &st);
	if (rc)
		return rc;
	rc = store_maintenance_get(st, id, &m);
	if (rc == 0 && m.removed_ms) {
		rfc3339_format(m.removed_ms, t, sizeof(t));
		rc = cli_error(CLI_USAGE, "id: window %lld was already removed at %s", id, t);
	} else if (rc == 0 && m.end_ms <= now) {
		rfc3339_format(m.end_ms, t, sizeof(t));
		rc = cli_error(CLI_USAGE,
		               "id: window %lld ended at %s; a window that is over is evidence "
		               "and cannot be removed",
		               id, t);
	} else if (rc == 0) {
		rc = store_maintenance_remove(st, id, now);
		if (rc == RW_EINVAL)
			rc = cli_error(CLI_USAGE, "id: window %lld is over or already removed", id);
		else if (rc < 0)
			rc = cli_error(CLI_FAIL, "removing the window failed: %s", rw_strerror(rc));
	} else if (rc == RW_ENOENT) {
		rc = cli_error(CLI_USAGE, "id: there is no maintenance window %lld", id);
	} else {
		rc = cli_error(CLI_FAIL, "reading the window: %s", rw_strerror(rc));
	}
	store_close(st);
	if (rc == CLI_OK) {
		rfc3339_format(now, t, sizeof(t));
		if (m.start_ms >= now)
			printf("maintenance %lld cancelled (it had not started)\n", id);
		else
			printf("maintenance %lld ended early at %s\n", id, t);
	}
	store_maintenance_deinit(&m);
	return rc;
}

int cli_maintenance(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"from", required_argument, NULL, 'f'},   {"to", required_argument, NULL, 't'},
	        {"reason", required_argument, NULL, 'r'}, {"policy", required_argument, NULL, 'p'},
	        {"db", required_argument, NULL, 'd'},     {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	struct maint_opts o;
	const char *sub;
	int c, nargs;

	memset(&o, 0, sizeof(o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.from = optarg; break;
		case 't': o.to = optarg; break;
		case 'r': o.reason = optarg; break;
		case 'p': o.policy = optarg; break;
		case 'd': o.db = optarg; break;
		case 'j': o.json = true; break;
		case 'h': fputs(maintenance_usage, stdout); return CLI_OK;
		default: fputs(maintenance_usage, stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(maintenance_usage, stderr);
		return CLI_USAGE;
	}
	sub = argv[optind];
	nargs = argc - optind - 1;
	if (strcmp(sub, "add") == 0 && nargs == 1)
		return maintenance_add(&o, argv[optind + 1]);
	if (strcmp(sub, "list") == 0 && nargs <= 1)
		return maintenance_list(&o, nargs ? argv[optind + 1] : NULL);
	if (strcmp(sub, "remove") == 0 && nargs == 1)
		return maintenance_remove(&o, argv[optind + 1]);
	if (strcmp(sub, "add") == 0)
		return cli_error(CLI_USAGE,
		                 "runner: maintenance add takes one RUNNER (see --help)");
	if (strcmp(sub, "remove") == 0)
		return cli_error(CLI_USAGE, "id: maintenance remove takes one ID (see --help)");
	fputs(maintenance_usage, stderr);
	return CLI_USAGE;
}
