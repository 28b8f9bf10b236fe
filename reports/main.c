/* SPDX-License-Identifier: MIT */
/*
 * main.c — the `runwarden-report` command: reports computed from the store,
 * kept apart from the daemon (no libuv, no libcurl; DESIGN.md "Components").
 * `runwarden report …` and `runwarden policy whatif …` exec this binary as
 * `runwarden-report …` and `runwarden-report whatif …`, so its messages and
 * exit statuses are those of the runwarden CLI: 0 success, 1 a runtime
 * failure, 2 bad input or usage (one line on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/store/policy_source.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "reports/month.h"
#include "reports/monthly.h"
#include "reports/monthly_render.h"
#include "reports/table.h"
#include "reports/whatif.h"
#include "reports/whatif_render.h"

#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

/* The same default as the daemon's (RW_DEFAULT_DB in monitor/core/config.h). */
#define REPORT_DEFAULT_DB "runwarden.db"

static const char usage[] =
        "usage: runwarden-report COMMAND [ARGS]\n"
        "\n"
        "Reports computed from runwarden's database. Usually run through runwarden\n"
        "itself: `runwarden report monthly …` runs `runwarden-report monthly …`, and\n"
        "`runwarden policy whatif …` runs `runwarden-report whatif …`.\n"
        "\n"
        "commands:\n"
        "  monthly --month YYYY-MM\n"
        "                        the monthly compliance report (Markdown, JSON, CSV,\n"
        "                        HTML); `runwarden report monthly --help`\n"
        "  whatif NEW.json       which runners a new policy would change (verdict,\n"
        "                        eligibility); `runwarden policy whatif --help`\n"
        "\n"
        "--version prints the version. The manual: runwarden-report(1).\n";

static const char whatif_usage[] =
        "usage: runwarden policy whatif NEW.json [--month YYYY-MM] [--db FILE]\n"
        "                               [--format text|json|md|csv]\n"
        "\n"
        "Compares the policy in force (the latest one the daemon recorded, else the\n"
        "built-in defaults) with NEW.json, for every runner that is not retired: the\n"
        "month's verdict, uptime and floor, and whether it would be eligible now.\n"
        "Rows that change are marked '*'. --month defaults to the current month (UTC);\n"
        "a month that is not over is counted up to the monitor's last tick and is\n"
        "marked partial. Eligibility is judged at that tick: approved, last state up,\n"
        "not in credited maintenance, not in probation, rolling-window uptime at or\n"
        "above the floor; the daemon's hysteresis (restore_margin) is not replayed.\n"
        "--format md and csv write the same rows through the monthly report's table\n"
        "writer (Markdown for an issue; CSV, RFC 4180, for a spreadsheet).\n"
        "\n"
        "Exit status: 0 done (whatever changes); 2 an invalid NEW.json\n"
        "(FILE:LINE: FIELD: problem), a bad --month or --format, no database;\n"
        "1 the database could not be read.\n";

static const char monthly_usage[] =
        "usage: runwarden report monthly --month YYYY-MM [--format md|json|csv|html]\n"
        "                                [--out FILE] [--operator NAME] [--policy FILE]\n"
        "                                [--db FILE] [--stamp]\n"
        "\n"
        "The monthly compliance report: per runner its uptime, floor, verdict,\n"
        "coverage, down time, incidents (with time to acknowledge and to mitigate),\n"
        "maintenance used of the cap, blips and p50/p95 probe latency; per target\n"
        "and per operator a summary; the monitor's own coverage and blind periods;\n"
        "the full list of incidents.\n"
        "\n"
        "  --month YYYY-MM   the calendar month, UTC (required). A month that is not\n"
        "                    over is counted up to the monitor's last tick and says\n"
        "                    \"partial, as of ...\".\n"
        "  --format F        md (default: for an issue), json (contrib/schema/\n"
        "                    report.schema.json), csv (a row per runner, RFC 4180),\n"
        "                    html (one self-contained page with charts, no script)\n"
        "  --out FILE        write there (atomically) instead of standard output\n"
        "  --operator NAME   only that operator's runners\n"
        "  --policy FILE     judge under FILE instead of the policy in force at the\n"
        "                    end of the month (as recorded; else the defaults)\n"
        "  --db FILE         the database (default $RUNWARDEN_DB, else ./runwarden.db);\n"
        "                    only read, never written\n"
        "  --stamp           include the time of generation (otherwise the same\n"
        "                    database and policy give byte-identical output)\n"
        "\n"
        "Exit status: 0 written; 2 a bad or future --month, a bad --format, an\n"
        "invalid --policy, an unknown --operator, a missing or empty database, an\n"
        "--out that cannot be created; 1 the database could not be read or the\n"
        "output could not be written.\n";

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("runwarden-report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_whatif(int argc, char **argv)
{
	static const struct option opts[] = {{"month", required_argument, NULL, 'm'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"format", required_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *month = NULL, *db = NULL, *format = "text", *env;
	struct policy_source cur, next;
	struct whatif_result res;
	struct store *st = NULL;
	int64_t now = wall_ms(), from, to;
	char err[1024];
	int c, rc, code;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': month = optarg; break;
		case 'd': db = optarg; break;
		case 'f': format = optarg; break;
		case 'h': fputs(whatif_usage, stdout); return EXIT_OK;
		default: fputs(whatif_usage, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return fail(EXIT_USAGE, "whatif: %s (see --help)",
		            argc - optind < 1 ? "NEW.json is required" : "one NEW.json only");
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "md") != 0 && strcmp(format, "csv") != 0)
		return fail(EXIT_USAGE, "--format: \"%s\" is not one of text, json, md, csv",
		            format);
	if (month) {
		if (month_parse(month, now, &from, &to, err, sizeof(err)) < 0)
			return fail(EXIT_USAGE, "%s", err);
	} else {
		calendar_month(now, &from, &to);
	}
	env = getenv("RUNWARDEN_DB");
	if (!db || !*db)
		db = env && *env ? env : REPORT_DEFAULT_DB;

	policy_source_init(&cur);
	policy_source_init(&next);
	/* NULL opts: canary URLs are not checked here. Reports must not link
	 * libcurl, whose URL API does the checking, and what-if only computes
	 * verdicts: it never requests a canary. `runwarden policy check` checks
	 * them, and the daemon refuses a policy with a bad one. */
	rc = policy_source_file(&next, argv[optind], NULL, err, sizeof(err));
	if (rc < 0)
		return fail(rc == RW_ENOMEM ? EXIT_FAIL : EXIT_USAGE, "%s", err);
	/* Read-only: a report never writes, and never migrates the file. */
	rc = store_open(&st, db, STORE_READONLY, err, sizeof(err));
	if (rc < 0) {
		policy_source_deinit(&next);
		return fail(rc == RW_ENOENT ? EXIT_USAGE : EXIT_FAIL, "%s", err);
	}
	rc = policy_source_current(&cur, st, err, sizeof(err));
	if (rc == 0)
		rc = whatif_run(st, &cur, &next, from, to, now, &res, err, sizeof(err));
	store_close(st);
	if (rc < 0) {
		code = fail(EXIT_FAIL, "%s", err);
	} else {
		if (strcmp(format, "json") == 0)
			rc = whatif_render_json(stdout, &res, &cur, &next);
		else if (strcmp(format, "md") == 0)
			rc = whatif_render_table(stdout, &res, &cur, &next, TABLE_MD);
		else if (strcmp(format, "csv") == 0)
			rc = whatif_render_table(stdout, &res, &cur, &next, TABLE_CSV);
		else
			rc = whatif_render_text(stdout, &res, &cur, &next);
		if (rc == 0 && fflush(stdout) != 0)
			rc = RW_EIO;
		code = rc < 0 ? fail(EXIT_FAIL, "writing the output: %s", rw_strerror(rc))
		              : EXIT_OK;
		whatif_result_deinit(&res);
	}
	policy_source_deinit(&cur);
	policy_source_deinit(&next);
	return code;
}

/* ---- monthly --------------------------------------------------------------- */

struct monthly_args {
	const char *month, *format, *out, *operator_name, *policy, *db;
	bool stamp;
};

static int monthly_parse_args(int argc, char **argv, struct monthly_args *a)
{
	static const struct option opts[] = {{"month", required_argument, NULL, 'm'},
	                                     {"format", required_argument, NULL, 'f'},
	                                     {"out", required_argument, NULL, 'o'},
	                                     {"operator", required_argument, NULL, 'O'},
	                                     {"policy", required_argument, NULL, 'p'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"stamp", no_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *env = getenv("RUNWARDEN_DB");
	int c;

	memset(a, 0, sizeof(*a));
	a->format = "md";
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': a->month = optarg; break;
		case 'f': a->format = optarg; break;
		case 'o': a->out = optarg; break;
		case 'O': a->operator_name = optarg; break;
		case 'p': a->policy = optarg; break;
		case 'd': a->db = optarg; break;
		case 's': a->stamp = true; break;
		case 'h': fputs(monthly_usage, stdout); return EXIT_OK;
		case ':':
			return fail(EXIT_USAGE, "monthly: %s needs a value (see --help)",
			            argv[optind - 1]);
		default:
			return fail(EXIT_USAGE, "monthly: unknown option \"%s\" (see --help)",
			            argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(EXIT_USAGE, "monthly: unexpected argument \"%s\" (see --help)",
		            argv[optind]);
	if (!a->month)
		return fail(EXIT_USAGE, "monthly: --month YYYY-MM is required (see --help)");
	if (!a->db || !*a->db)
		a->db = env && *env ? env : REPORT_DEFAULT_DB;
	return -1; /* go on */
}

/* Opens the database read-only; a missing or empty file is the user's
 * mistake (exit 2), anything else a failure (exit 1). */
static int open_db(const char *db, struct store **st)
{
	struct stat sb;
	char err[1024];
	int rc;

	if (stat(db, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
		return fail(EXIT_USAGE,
		            "%s: empty database (no runwarden schema; create one with "
		            "`runwarden operator add`)",
		            db);
	rc = store_open(st, db, STORE_READONLY, err, sizeof(err));
	if (rc < 0)
		return fail(rc == RW_ENOENT ? EXIT_USAGE : EXIT_FAIL, "%s", err);
	return -1;
}

/* Writes the report to @p path through a temporary file renamed into place,
 * so that a reader never sees half a report; NULL: standard output. */
static int write_report(const struct monthly *m, enum report_format fmt, const char *path)
{
	char tmp[4096];
	FILE *f = stdout;
	int rc;

	if (path) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		f = fopen(tmp, "wb");
		if (!f)
			return fail(EXIT_USAGE, "--out: cannot create %s: %s", tmp,
			            strerror(errno));
	}
	rc = monthly_render(f, m, fmt);
	if (rc == 0 && fflush(f) != 0)
		rc = RW_EIO;
	if (path) {
		if (fclose(f) != 0 && rc == 0)
			rc = RW_EIO;
		if (rc == 0 && rename(tmp, path) != 0)
			rc = RW_EIO;
		if (rc < 0)
			unlink(tmp);
	}
	if (rc < 0)
		return fail(EXIT_FAIL, "writing the report%s%s: %s", path ? " to " : "",
		            path ? path : "", rw_strerror(rc));
	return EXIT_OK;
}

static int cmd_monthly(int argc, char **argv)
{
	struct monthly_args a;
	struct monthly_opts o = {0};
	struct policy_source ps;
	struct monthly m;
	enum report_format fmt;
	struct store *st = NULL;
	struct store_runner *rs = NULL;
	size_t n_rs = 0;
	char err[1024];
	int rc, code;

	code = monthly_parse_args(argc, argv, &a);
	if (code >= 0)
		return code; /* --help, or a usage error already said */
	if (report_format_parse(a.format, &fmt) < 0)
		return fail(EXIT_USAGE, "--format: \"%s\" is not one of md, json, csv, html",
		            a.format);
	o.now_ms = wall_ms();
	o.operator_name = a.operator_name;
	o.stamp = a.stamp;
	if (month_parse(a.month, o.now_ms, &o.month_start_ms, &o.month_end_ms, err, sizeof(err)) <
	    0)
		return fail(EXIT_USAGE, "%s", err);

	policy_source_init(&ps);
	if (a.policy) {
		/* NULL opts: a report never requests a canary (see whatif above). */
		rc = policy_source_file(&ps, a.policy, NULL, err, sizeof(err));
		if (rc < 0)
			return fail(rc == RW_ENOMEM ? EXIT_FAIL : EXIT_USAGE, "--policy: %s", err);
	}
	code = open_db(a.db, &st);
	if (code >= 0) {
		policy_source_deinit(&ps);
		return code;
	}
	rc = store_runner_list(st, 0, &rs, &n_rs);
	store_runners_free(rs, n_rs);
	if (rc < 0) {
		code = fail(EXIT_FAIL, "%s: reading the runners: %s", a.db, store_errmsg(st));
		goto out;
	}
	if (n_rs == 0) {
		code = fail(EXIT_USAGE,
		            "%s: empty database: no runners registered, nothing to report", a.db);
		goto out;
	}
	/* The policy in force at the end of the month, unless --policy. */
	if (!a.policy) {
		rc = policy_source_at(&ps, st, o.month_end_ms, err, sizeof(err));
		if (rc < 0) {
			code = fail(EXIT_FAIL, "%s", err);
			goto out;
		}
	}
	rc = monthly_run(st, &ps, &o, &m, err, sizeof(err));
	if (rc < 0) {
		code = fail(rc == RW_ENOENT ? EXIT_USAGE : EXIT_FAIL, "%s", err);
		goto out;
	}
	store_close(st);
	st = NULL;
	code = write_report(&m, fmt, a.out);
	monthly_deinit(&m);
out:
	store_close(st);
	policy_source_deinit(&ps);
	return code;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("runwarden-report %s\n", RW_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "whatif") == 0)
		return cmd_whatif(argc - 1, argv + 1);
	if (strcmp(cmd, "monthly") == 0)
		return cmd_monthly(argc - 1, argv + 1);
	return fail(EXIT_USAGE, "unknown command \"%s\" (see runwarden-report --help)", cmd);
}
