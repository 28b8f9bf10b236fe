/* SPDX-License-Identifier: MIT */
/*
 * main.c — the `runwarden-report` command: reports computed from the store,
 * kept apart from the daemon (no libuv, no libcurl; DESIGN.md "Components").
 * `runwarden policy whatif …` execs this binary as `runwarden-report whatif …`,
 * so its messages and exit statuses are those of the runwarden CLI:
 * 0 success, 1 a runtime failure, 2 bad input or usage (one line on stderr).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "month.h"
#include "policy_source.h"
#include "rw_error.h"
#include "store.h"
#include "whatif.h"
#include "whatif_render.h"

#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

/* The same default as the daemon's (RW_DEFAULT_DB in monitor/config.h). */
#define REPORT_DEFAULT_DB "runwarden.db"

static const char usage[] =
        "usage: runwarden-report COMMAND [ARGS]\n"
        "\n"
        "Reports computed from runwarden's database. Usually run through runwarden\n"
        "itself: `runwarden policy whatif …` runs `runwarden-report whatif …`.\n"
        "\n"
        "commands:\n"
        "  whatif NEW.json       which runners a new policy would change (verdict,\n"
        "                        eligibility); `runwarden-report whatif --help`\n"
        "\n"
        "The monthly compliance report (`runwarden report monthly`) is not in this\n"
        "version; it comes later.\n";

static const char whatif_usage[] =
        "usage: runwarden policy whatif NEW.json [--month YYYY-MM] [--db FILE]\n"
        "                               [--format text|json]\n"
        "\n"
        "Compares the policy in force (the latest one the daemon recorded, else the\n"
        "built-in defaults) with NEW.json, for every runner that is not retired: the\n"
        "month's verdict, uptime and floor, and whether it would be eligible now.\n"
        "Rows that change are marked '*'. --month defaults to the current month (UTC);\n"
        "a month that is not over is counted up to the monitor's last tick and is\n"
        "marked partial. Eligibility is judged at that tick: approved, last state up,\n"
        "not in credited maintenance, not in probation, rolling-window uptime at or\n"
        "above the floor; the daemon's hysteresis (restore_margin) is not replayed.\n"
        "\n"
        "Exit status: 0 done (whatever changes); 2 an invalid NEW.json\n"
        "(FILE:LINE: FIELD: problem), a bad --month or --format, no database;\n"
        "1 the database could not be read.\n";

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
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return fail(EXIT_USAGE, "--format: \"%s\" is not one of text, json", format);
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
	rc = policy_source_file(&next, argv[optind], err, sizeof(err));
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
		rc = strcmp(format, "json") == 0 ? whatif_render_json(stdout, &res, &cur, &next)
		                                 : whatif_render_text(stdout, &res, &cur, &next);
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
	return fail(EXIT_USAGE, "unknown command \"%s\" (see runwarden-report --help)", cmd);
}
