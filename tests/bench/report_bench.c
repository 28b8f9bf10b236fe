/* SPDX-License-Identifier: MIT */
/*
 * report_bench.c — how long `runwarden-report monthly` takes, and how much
 * memory, for a large fleet: the target is 10,000 runners for a month
 * in at most 2 s and 256 MB.
 *
 * It builds (once, then reuses) a database of RUNNERS runners over January
 * 2026 shaped like a busy fleet, written through the store's own functions:
 *  - ~190 state changes per runner over the month (up for 3 to 13 hours, then
 *    a gap of up to 20 minutes: unknown, or one time in 20 down), the shape
 *    of account_bench.c's fleet: about 5 incidents per runner and month,
 *    half of them acknowledged and mitigated;
 *  - 0 to 3 maintenance windows of 1 to 6 hours per runner, most declared two
 *    days ahead, some late;
 *  - a daily rollup per runner and day (about 25 latency buckets, a few
 *    failure runs), as the writer leaves them;
 *  - the monitor running all month but for two blind periods, a policy with
 *    tiers, targets, a pool minimum and a mon-fri service window.
 * Then it runs the real binary RUNS times per format (standard output to
 * /dev/null) and prints each run's wall time, CPU time (user + system) and
 * peak RSS (wait4's rusage), and the medians. Everything is generated from a fixed seed.
 *
 * usage: report_bench [--runners N] [--runs K] [--db FILE] [--rebuild]
 *                     [--format md|json|csv|html|all]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "monitor/store/policy_source.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "policy/rollup.h"

#define HOUR  ((int64_t)3600000)
#define DAY   ((int64_t)86400000)
#define MONTH "2026-01"

static const char *const targets[] = {
        "riscv64gc-unknown-linux-gnu",   "s390x-unknown-linux-gnu",
        "powerpc64le-unknown-linux-gnu", "armv7-unknown-linux-gnueabihf",
        "loongarch64-unknown-linux-gnu", "sparc64-unknown-linux-gnu"};

static const char policy_body[] =
        "{\n  \"version\": 3,\n  \"uptime_floor\": 0.99,\n"
        "  \"tiers\": { \"2\": { \"uptime_floor\": 0.99 }, \"3\": { \"uptime_floor\": 0.95 } },\n"
        "  \"targets\": { \"riscv64gc-unknown-linux-gnu\": 2, \"s390x-unknown-linux-gnu\": 2,\n"
        "    \"powerpc64le-unknown-linux-gnu\": 2, \"armv7-unknown-linux-gnueabihf\": 3,\n"
        "    \"loongarch64-unknown-linux-gnu\": 3, \"sparc64-unknown-linux-gnu\": 3 },\n"
        "  \"service_window\": { \"weekly\": [ { \"days\": \"mon-fri\", \"from\": \"06:00\","
        " \"to\": \"22:00\" } ] },\n"
        "  \"pool\": { \"min_runners\": 5 }\n}\n";

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int64_t rng_below(uint64_t *x, int64_t n)
{
	return (int64_t)(rng_next(x) % (uint64_t)n);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, int rc, struct store *st)
{
	fprintf(stderr, "report_bench: %s: %s (%s)\n", what, rw_strerror(rc),
	        st ? store_errmsg(st) : "");
	exit(1);
}

/* Writes @p n records in batches, as the writer would. */
static void flush(struct store *st, struct store_rec *recs, size_t *n)
{
	int rc;

	if (*n == 0)
		return;
	rc = store_write_batch(st, recs, *n);
	if (rc < 0)
		die("store_write_batch", rc, st);
	*n = 0;
}

static void build(const char *path, int n_runners)
{
	int64_t ms = calendar_days_from_civil(2026, 1, 1) * DAY;
	int64_t me = calendar_days_from_civil(2026, 2, 1) * DAY;
	struct store_rec *recs = calloc(20000, sizeof(*recs));
	struct store *st = NULL;
	int64_t ops[100], run = 0, prev = 0;
	uint64_t seed = 42;
	size_t n = 0;
	char err[512], sha[65];
	int rc;

	if (!recs)
		die("calloc", RW_ENOMEM, NULL);
	rc = store_open(&st, path, STORE_CREATE, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "report_bench: %s\n", err);
		exit(1);
	}
	policy_source_sha256_hex(policy_body, strlen(policy_body), sha);
	rc = store_record_policy(st, sha, 3, policy_body, ms - 40 * DAY, NULL);
	if (rc < 0)
		die("store_record_policy", rc, st);
	for (int i = 0; i < 100; i++) {
		char name[32];
		uint8_t tok[32];
		snprintf(name, sizeof(name), "operator-%03d", i);
		memset(tok, 0, sizeof(tok));
		memcpy(tok, &i, sizeof(i));
		rc = store_operator_add(st, name, "ops@example.org", tok, ms - 60 * DAY, &ops[i]);
		if (rc < 0)
			die("store_operator_add", rc, st);
	}
	rc = store_begin(st);
	for (int i = 0; rc == 0 && i < n_runners; i++) {
		char name[32], *tg[2];
		struct store_runner r;
		memset(&r, 0, sizeof(r));
		snprintf(name, sizeof(name), "runner-%05d", i);
		tg[0] = (char *)targets[i % 6];
		tg[1] = (char *)targets[(i / 6) % 6];
		r.operator_id = ops[i % 100];
		r.name = name;
		r.kind = (char *)"http";
		r.url = (char *)"https://runner.example.org/health";
		r.targets = tg;
		r.n_targets = tg[0] == tg[1] ? 1 : 2;
		r.status = i % 97 == 5 ? STORE_RUNNER_RETIRED : STORE_RUNNER_APPROVED;
		rc = store_runner_insert(st, &r, i % 50 == 7 ? ms + 12 * DAY : ms - 40 * DAY);
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		die("adding runners", rc, st);

	for (int64_t id = 1; id <= n_runners; id++) {
		int64_t t = ms - 5 * DAY + rng_below(&seed, 2 * HOUR);
		int state = RW_STATE_UP;
		int64_t n_mw = rng_below(&seed, 4);

		while (t < me) {
			struct store_rec *rec = &recs[n++];
			memset(rec, 0, sizeof(*rec));
			rec->kind = STORE_REC_CHANGE;
			rec->u.change.runner_id = id;
			rec->u.change.start_ms = t;
			rec->u.change.state = (uint8_t)state;
			if (state == RW_STATE_UP) {
				state = rng_below(&seed, 20) ? RW_STATE_UNKNOWN : RW_STATE_DOWN;
				t += 3 * HOUR + rng_below(&seed, 10 * HOUR);
			} else {
				state = RW_STATE_UP;
				t += 60000 + rng_below(&seed, 20 * 60000);
			}
			if (n == 20000)
				flush(st, recs, &n);
		}
		for (int64_t k = 0; k < n_mw; k++) {
			int64_t start = ms + rng_below(&seed, 30 * DAY);
			int64_t len = HOUR + rng_below(&seed, 5 * HOUR);
			int64_t declared = start - (rng_below(&seed, 4) ? 48 * HOUR : 2 * HOUR);
			rc = store_maintenance_add(st, id, start, start + len, declared, "bench",
			                           NULL);
			if (rc < 0)
				die("store_maintenance_add", rc, st);
		}
	}
	flush(st, recs, &n);

	/* Acknowledge and mitigate half the incidents, in one statement's worth
	 * of calls per incident: the store's own API. */
	{
		struct store_incident *v = NULL;
		size_t n_inc = 0;
		rc = store_incident_list(st, 0, 0, ms - 10 * DAY, me, &v, &n_inc);
		if (rc < 0)
			die("store_incident_list", rc, st);
		rc = store_begin(st);
		for (size_t i = 0; rc == 0 && i < n_inc; i += 2) {
			rc = store_incident_ack(st, v[i].id, v[i].start_ms + 600000, "on it");
			if (rc == 0)
				rc = store_incident_mitigate(st, v[i].id, v[i].start_ms + 1800000,
				                             "fixed");
		}
		if (rc == 0)
			rc = store_commit(st);
		if (rc < 0)
			die("acknowledging incidents", rc, st);
		printf("  %zu incidents\n", n_inc);
		store_incidents_free(v, n_inc);
	}

	/* Daily rollups: ~1,440 probes a day, ~25 latency buckets. */
	rc = store_begin(st);
	for (int64_t d = ms / DAY; rc == 0 && d < me / DAY; d++) {
		for (int64_t id = 1; rc == 0 && id <= n_runners; id++) {
			struct rollup_day day;
			int base = 40 + (int)rng_below(&seed, 60);
			memset(&day, 0, sizeof(day));
			day.samples = 1440;
			day.failures = (uint32_t)rng_below(&seed, 30);
			for (int b = 0; b < 25; b++)
				day.latency[base + b] = (uint32_t)(1 + rng_below(&seed, 100));
			day.runs[1] = (uint32_t)rng_below(&seed, 5);
			day.runs[2] = (uint32_t)rng_below(&seed, 2);
			day.runs[10] = (uint32_t)rng_below(&seed, 2);
			rc = store_rollup_put(st, d, id, &day);
		}
		if (rc == 0)
			rc = store_rollup_mark_done(st, d);
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		die("writing rollups", rc, st);

	/* The monitor: one run, two blind periods. */
	rc = store_run_begin(st, ms - 50 * DAY, &run, &prev);
	if (rc == 0) {
		struct store_rec r[3];
		memset(r, 0, sizeof(r));
		r[0].kind = STORE_REC_TICK;
		r[0].u.tick.run_id = run;
		r[0].u.tick.ts_ms = me + HOUR;
		r[1].kind = STORE_REC_BLIND;
		r[1].u.blind.start_ms = ms + 3 * DAY;
		r[1].u.blind.end_ms = ms + 3 * DAY + HOUR;
		r[1].u.blind.cause = STORE_BLIND_CANARY;
		r[2].kind = STORE_REC_BLIND;
		r[2].u.blind.start_ms = ms + 17 * DAY;
		r[2].u.blind.end_ms = ms + 17 * DAY + 5 * 60000;
		r[2].u.blind.cause = STORE_BLIND_TICK_GAP;
		rc = store_write_batch(st, r, 3);
	}
	if (rc < 0)
		die("recording the monitor's run", rc, st);
	store_close(st);
	free(recs);
}

/* One run of the binary; wall time and CPU time (user + system) in ms, peak
 * RSS in KiB. */
static void run_once(const char *db, const char *format, double *ms, double *cpu_ms, long *rss_kib)
{
	const char *argv[] = {RW_REPORT_BIN, "monthly", "--month", MONTH, "--db", db,
	                      "--format",    format,    NULL};
	struct rusage ru;
	int status = 0;
	int64_t t0 = now_ns();
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, 1) < 0)
			_exit(127);
		execv(RW_REPORT_BIN, (char *const *)argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "report_bench: runwarden-report failed (status %d)\n", status);
		exit(1);
	}
	*ms = (double)(now_ns() - t0) / 1e6;
	*cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	*rss_kib = ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"runners", required_argument, NULL, 'n'}, {"runs", required_argument, NULL, 'k'},
	        {"db", required_argument, NULL, 'd'},      {"format", required_argument, NULL, 'f'},
	        {"rebuild", no_argument, NULL, 'r'},       {NULL, 0, NULL, 0}};
	static const char *const all[] = {"md", "json", "csv", "html"};
	const char *db = "/tmp/rw-report-bench.db", *format = "all";
	int n_runners = 10000, runs = 5, rebuild = 0, c;
	struct stat sb;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n_runners = atoi(optarg); break;
		case 'k': runs = atoi(optarg); break;
		case 'd': db = optarg; break;
		case 'f': format = optarg; break;
		case 'r': rebuild = 1; break;
		default:
			fprintf(stderr, "usage: report_bench [--runners N] [--runs K] [--db FILE] "
			                "[--rebuild] [--format md|json|csv|html|all]\n");
			return 2;
		}
	}
	if (n_runners < 1 || runs < 1 || runs > 99)
		return 2;
	if (rebuild || stat(db, &sb) != 0) {
		int64_t t0 = now_ns();
		char side[512];
		unlink(db);
		snprintf(side, sizeof(side), "%s-wal", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		unlink(side);
		printf("building %s: %d runners, %s\n", db, n_runners, MONTH);
		build(db, n_runners);
		printf("  built in %.1f s\n", (double)(now_ns() - t0) / 1e9);
	} else {
		printf("reusing %s (--rebuild to make it again; --runners applies then)\n", db);
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		double ms[99], cpu[99];
		long rss[99];
		if (strcmp(format, "all") != 0 && strcmp(format, all[i]) != 0)
			continue;
		printf("%-4s:", all[i]);
		for (int k = 0; k < runs; k++) {
			run_once(db, all[i], &ms[k], &cpu[k], &rss[k]);
			printf(" %.0f ms (cpu %.0f)/%ld MiB", ms[k], cpu[k], rss[k] / 1024);
			fflush(stdout);
		}
		qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_double);
		qsort(cpu, (size_t)runs, sizeof(cpu[0]), cmp_double);
		qsort(rss, (size_t)runs, sizeof(rss[0]), cmp_long);
		printf("\n      median %.0f ms wall, %.0f ms CPU; peak RSS median %ld MiB (max %ld "
		       "MiB)\n",
		       ms[runs / 2], cpu[runs / 2], rss[runs / 2] / 1024, rss[runs - 1] / 1024);
	}
	return 0;
}
