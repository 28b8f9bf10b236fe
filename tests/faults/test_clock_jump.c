/* SPDX-License-Identifier: MIT */
/*
 * test_clock_jump.c — the wall clock jumps an hour forward and back while
 * the daemon runs (issue 12, the fault suite): no negative duration, no
 * uptime over 100 %, each backwards jump counted once.
 *
 * The daemon runs under libfaketime (Debian package faketime; contrib/
 * check.sh installs it), whose offset the test changes at run time through
 * FAKETIME_TIMESTAMP_FILE (re-read every second); only the wall clock is
 * faked (FAKETIME_DONT_FAKE_MONOTONIC), as a stepped NTP clock or an
 * operator's `date -s` would. The offset goes +0, +1 h, +0 (back 1 h),
 * -1 h (back 1 h), +0, four seconds each, with 2 runners probed every
 * second. Then:
 *   - runwarden_clock_back_jumps_total is 2;
 *   - every stored sample time, interval start and blind period of a
 *     runner is in order (a backwards jump holds stored time still), no
 *     blind period or incident ends before it starts;
 *   - the availability of each runner over [now - 3 h, now + 2 h) has no
 *     negative figure, sums to the window exactly, and its uptime is at
 *     most 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define ADMIN_TOKEN  "fault-suite-admin-token-0123456789abcdef0123"
#define TARGET       "x86_64-unknown-linux-gnu"
#define RUNNERS      2
#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

static const char policy_json[] =
        "{\"version\":1,\"flagging\":{\"probation_days\":0},"
        "\"probe\":{\"interval_s\":1,\"timeout_ms\":800,\"failures_to_down\":1}}\n";

struct fx {
	char dir[256], db[320], policy[320], log[320], cli_log[320], fx_log[320], rc[320];
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	bool passed;
};

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void fmt_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void test_clock_jumps(void **state)
{
	struct fx *f = *state;
	const char *const modes[RUNNERS] = {"ok", "ok"};
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	static const char *const offsets[] = {"+1h", "+0", "-1h", "+0"};
	char url[300], from[40], to[40];
	double back;
	sqlite3 *db;

	if (access(FAKETIME_LIB, R_OK) != 0)
		fail_msg("%s is missing: apt-get install faketime (contrib/check.sh does)",
		         FAKETIME_LIB);
	rwt_fixtures_start(&f->fixtures, f->fx_log, modes, RUNNERS);
	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "operator", "add", "ops", "--db", f->db,
	                         "--email", "ops@example.org", NULL),
	                 0);
	for (int i = 0; i < RUNNERS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "r%d", i);
		rwt_fixture_url(&f->fixtures, (size_t)i, url, sizeof(url));
		assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "runner", "add", "--allow-cidr",
		                         "127.0.0.0/8", "--db", f->db, "--operator", "ops",
		                         "--name", name, "--target", TARGET, "--url", url, NULL),
		                 0);
	}
	rwt_write_file(f->policy, policy_json);
	rwt_write_file(f->rc, "+0\n");
	/* Only the daemon runs under libfaketime. */
	setenv("LD_PRELOAD", FAKETIME_LIB, 1);
	setenv("FAKETIME_TIMESTAMP_FILE", f->rc, 1);
	setenv("FAKETIME_CACHE_DURATION", "1", 1);
	setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
	rwt_daemon_start(&f->d, f->log, f->db, extra);
	unsetenv("LD_PRELOAD");
	unsetenv("FAKETIME_TIMESTAMP_FILE");
	rwt_sleep_ms(4000);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		rwt_write_file(f->rc, offsets[i]);
		rwt_sleep_ms(4000);
	}
	back = rwf_metric(f->d.url, "runwarden_clock_back_jumps_total");
	fmt_time(rwf_wall_ms() - 3 * 3600000, from, sizeof(from));
	fmt_time(rwf_wall_ms() + 2 * 3600000, to, sizeof(to));
	for (int i = 1; i <= RUNNERS; i++) {
		struct rwt_resp r;
		cJSON *o;
		int64_t sum = 0;
		static const char *const keys[] = {
		        "up_ms",      "down_ms",           "maintenance_ms",
		        "unknown_ms", "outside_window_ms", "not_registered_ms"};
		snprintf(url, sizeof(url), "%s/v1/runners/%d/availability?from=%s&to=%s", f->d.url,
		         i, from, to);
		rwt_http("GET", url, ADMIN_TOKEN, NULL, 0, &r);
		assert_int_equal(r.status, 200);
		o = cJSON_Parse(r.body);
		assert_non_null(o);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[k]);
			assert_true(cJSON_IsNumber(v));
			if (v->valuedouble < 0)
				fail_msg("runner %d: %s is %.0f", i, keys[k], v->valuedouble);
			sum += (int64_t)v->valuedouble;
		}
		assert_int_equal(sum, 5 * 3600000);
		{
			cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "uptime");
			fprintf(stderr, "runner %d: %s\n", i, r.body);
			assert_true(cJSON_IsNull(u) ||
			            (cJSON_IsNumber(u) && u->valuedouble <= 1.0));
		}
		cJSON_Delete(o);
		rwt_resp_free(&r);
	}
	rwt_daemon_stop(&f->d, 15000);
	fprintf(stderr, "runwarden_clock_back_jumps_total %.0f\n", back);
	assert_true(back == 2);

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* Stored time never goes back: per runner, samples in the order they
	 * were written have non-decreasing times. */
	assert_int_equal(one_int(db, "SELECT COUNT(*) FROM samples a JOIN samples b"
	                             " ON b.runner_id = a.runner_id AND b.rowid = (SELECT"
	                             " MIN(rowid) FROM samples c WHERE c.runner_id = a.runner_id"
	                             " AND c.rowid > a.rowid) WHERE b.ts_ms < a.ts_ms"),
	                 0);
	assert_int_equal(one_int(db, "SELECT COUNT(*) FROM blind_periods WHERE end_ms < start_ms"),
	                 0);
	assert_int_equal(one_int(db, "SELECT COUNT(*) FROM incidents WHERE end_ms < start_ms"), 0);
	/* The intervals after the jumps do not start before the ones before. */
	assert_int_equal(one_int(db, "SELECT COUNT(*) FROM intervals WHERE start_ms >"
	                             " (SELECT MAX(last_tick_ms) FROM monitor_runs) + 1000"),
	                 0);
	fprintf(stderr, "%" PRId64 " samples, %" PRId64 " blind periods (%" PRId64 " ms)\n",
	        one_int(db, "SELECT COUNT(*) FROM samples"),
	        one_int(db, "SELECT COUNT(*) FROM blind_periods"),
	        one_int(db, "SELECT COALESCE(SUM(end_ms - start_ms), 0) FROM blind_periods"));
	sqlite3_close(db);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-clock");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	snprintf(f->rc, sizeof(f->rc), "%s/faketime.rc", f->dir);
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv("LD_PRELOAD");
	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwt_fixtures_stop(&f->fixtures);
	if (!f->passed)
		rwt_dump_file("daemon", f->log);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_clock_jumps, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
