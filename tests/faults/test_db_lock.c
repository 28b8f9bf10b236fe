/* SPDX-License-Identifier: MIT */
/*
 * test_db_lock.c — another process holds the database's write lock
 * (BEGIN EXCLUSIVE) for 10 s while the daemon probes and takes API writes
 * (issue 12, item 2). Before: one POST waited on SQLite on the loop thread
 * with a 5 s busy timeout, froze probing, /healthz and routing for 5 s, and
 * the daemon recorded its own freeze as blindness (tick_gap).
 *
 * The lock is held by a child process (sqlite3's C API in a fork of the
 * test, so no thread of the test shares its connection). Meanwhile:
 *   - /healthz and /v1/route are asked every 50 ms: each answers in under
 *     100 ms (the loop never waits);
 *   - API writes (a new operator, a token, a maintenance window, a
 *     registration) are sent at once: each is answered with its success
 *     after the lock is released, not 503, and is in the database;
 *   - the runners are probed every second throughout.
 * Then: no sample is lost (every probe the daemon counted is stored, none
 * dropped, at least 8 per runner inside the lock), no runner is charged
 * (no down time, no incident), and no blind period of the daemon's own
 * (tick_gap, storage) was recorded; runwarden_loop_lag_max_seconds stays
 * under 100 ms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define ADMIN_TOKEN "fault-suite-admin-token-0123456789abcdef0123"
#define TARGET      "x86_64-unknown-linux-gnu"
#define RUNNERS     4
#define HOLD_MS     10000

static const char policy_json[] =
        "{\"version\":1,\"flagging\":{\"probation_days\":0},"
        "\"probe\":{\"interval_s\":1,\"timeout_ms\":800,\"failures_to_down\":1}}\n";

struct fx {
	char dir[256], db[320], policy[320], log[320], cli_log[320], fx_log[320];
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	pid_t locker;
	int lock_ready[2];
	char op_token[128];
	/* the writes sent during the lock */
	long status[4];
	double took_ms[4];
	bool passed;
};

/* The child: BEGIN EXCLUSIVE, says so, holds it HOLD_MS, commits, exits. */
static void locker_main(const char *db, int ready)
{
	sqlite3 *c;

	if (sqlite3_open(db, &c) != SQLITE_OK ||
	    sqlite3_exec(c, "PRAGMA busy_timeout = 5000; BEGIN EXCLUSIVE", NULL, NULL, NULL) !=
	            SQLITE_OK)
		_exit(2);
	if (write(ready, "L", 1) != 1)
		_exit(3);
	usleep(HOLD_MS * 1000);
	sqlite3_exec(c, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(c);
	_exit(0);
}

static void start_locker(struct fx *f)
{
	char c;

	assert_int_equal(pipe(f->lock_ready), 0);
	f->locker = fork();
	assert_true(f->locker >= 0);
	if (f->locker == 0) {
		close(f->lock_ready[0]);
		locker_main(f->db, f->lock_ready[1]);
	}
	close(f->lock_ready[1]);
	assert_int_equal(read(f->lock_ready[0], &c, 1), 1);
	close(f->lock_ready[0]);
}

struct writes {
	struct fx *f;
	int64_t runner_id;
};

static void *writes_thread(void *arg)
{
	struct writes *w = arg;
	struct fx *f = w->f;
	char url[300], body[300], from[40], to[40];
	struct rwt_resp r;
	int64_t t;
	time_t now = time(NULL);
	struct tm tm;

	/* Sent 2 s into the lock, so that the answers (after it) come within
	 * the harness's 10 s per request. */
	rwt_sleep_ms(2000);
	/* 0: an operator (admin) */
	t = rwt_mono_ms();
	snprintf(url, sizeof(url), "%s/v1/operators", f->d.url);
	rwt_http("POST", url, ADMIN_TOKEN, "{\"name\":\"locked\",\"email\":\"l@example.org\"}",
	         (size_t)-1, &r);
	f->status[0] = r.status;
	f->took_ms[0] = (double)(rwt_mono_ms() - t);
	rwt_resp_free(&r);
	/* 1: a token of operator "ops" */
	t = rwt_mono_ms();
	snprintf(url, sizeof(url), "%s/v1/operators/1/tokens", f->d.url);
	rwt_http("POST", url, f->op_token, "{}", (size_t)-1, &r);
	f->status[1] = r.status;
	f->took_ms[1] = (double)(rwt_mono_ms() - t);
	rwt_resp_free(&r);
	/* 2: maintenance of runner r0 in two days */
	now += 2 * 86400;
	gmtime_r(&now, &tm);
	strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", &tm);
	now += 3600;
	gmtime_r(&now, &tm);
	strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(url, sizeof(url), "%s/v1/runners/%" PRId64 "/maintenance", f->d.url, w->runner_id);
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"kernel update\"}",
	         from, to);
	t = rwt_mono_ms();
	rwt_http("POST", url, f->op_token, body, (size_t)-1, &r);
	f->status[2] = r.status;
	f->took_ms[2] = (double)(rwt_mono_ms() - t);
	if (r.status != 201)
		fprintf(stderr, "maintenance: %ld %s\n", r.status, r.body);
	rwt_resp_free(&r);
	/* 3: a registration */
	snprintf(url, sizeof(url), "%s/v1/runners", f->d.url);
	t = rwt_mono_ms();
	rwt_http("POST", url, f->op_token,
	         "{\"name\":\"newcomer\",\"targets\":[\"" TARGET "\"],\"mode\":\"push\"}",
	         (size_t)-1, &r);
	f->status[3] = r.status;
	f->took_ms[3] = (double)(rwt_mono_ms() - t);
	if (r.status != 201)
		fprintf(stderr, "registration: %ld %s\n", r.status, r.body);
	rwt_resp_free(&r);
	return NULL;
}

static int64_t one_int(const char *db, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(c, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(c));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(c);
	return v;
}

static void test_external_lock(void **state)
{
	struct fx *f = *state;
	const char *const modes[RUNNERS] = {"ok", "ok", "ok", "ok"};
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	char out[512], url[128], sql[400], route[200];
	double worst_health = 0, worst_route = 0, probes, dropped, lag;
	int64_t t0, t1, lock_end, n_asks = 0;
	struct writes w = {.f = f};
	pthread_t th;
	int status;

	rwt_fixtures_start(&f->fixtures, f->fx_log, modes, RUNNERS);
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "ops", "--db",
	                         f->db, "--email", "ops@example.org", NULL),
	                 0);
	{ /* the operator's token, printed once */
		const char *p = strstr(out, "rw_");
		assert_non_null(p);
		snprintf(f->op_token, sizeof(f->op_token), "%.67s", p);
	}
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
	rwt_daemon_start(&f->d, f->log, f->db, extra);
	rwt_sleep_ms(4000);
	w.runner_id = one_int(f->db, "SELECT id FROM runners WHERE name = 'r0'");

	t0 = rwf_wall_ms();
	start_locker(f);
	lock_end = rwt_mono_ms() + HOLD_MS;
	assert_int_equal(pthread_create(&th, NULL, writes_thread, &w), 0);
	snprintf(route, sizeof(route), "/v1/route?target=%s", TARGET);
	while (rwt_mono_ms() < lock_end + 1000) {
		double ms = 0;
		assert_int_equal(rwf_get_timed(f->d.url, "/healthz", &ms), 200);
		if (ms > worst_health)
			worst_health = ms;
		assert_int_equal(rwf_get_timed(f->d.url, route, &ms), 200);
		if (ms > worst_route)
			worst_route = ms;
		n_asks++;
		rwt_sleep_ms(50);
	}
	pthread_join(th, NULL);
	assert_int_equal(rwt_reap_by(f->locker, rwt_mono_ms() + 5000, &status), 0);
	f->locker = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	t1 = rwf_wall_ms();
	rwt_sleep_ms(2000);
	probes = rwf_metric_sum(f->d.url, "runwarden_probes_total");
	dropped = rwf_metric(f->d.url, "runwarden_writer_dropped_total");
	lag = rwf_metric(f->d.url, "runwarden_loop_lag_max_seconds");
	rwt_daemon_stop(&f->d, 20000);

	fprintf(stderr,
	        "%" PRId64 " asks during the lock: /healthz worst %.0f ms, route worst %.0f ms; "
	        "loop lag max %.3f s\n",
	        n_asks, worst_health, worst_route, lag);
	for (int i = 0; i < 4; i++)
		fprintf(stderr, "write %d: %ld after %.0f ms\n", i, f->status[i], f->took_ms[i]);
	if (worst_health >= 100 || worst_route >= 100)
		fail_msg("the loop stalled: /healthz %.0f ms, route %.0f ms (must be < 100)",
		         worst_health, worst_route);
	assert_true(lag < 0.1);
	assert_int_equal(f->status[0], 201);
	assert_true(f->took_ms[0] >= 5000); /* answered once committed, after the lock */
	assert_int_equal(f->status[1], 201);
	assert_int_equal(f->status[2], 201);
	assert_int_equal(f->status[3], 201);
	assert_int_equal(one_int(f->db, "SELECT COUNT(*) FROM operators WHERE name = 'locked'"), 1);
	assert_int_equal(one_int(f->db, "SELECT COUNT(*) FROM runners WHERE name = 'newcomer'"), 1);
	assert_int_equal(one_int(f->db, "SELECT COUNT(*) FROM maintenance"), 1);
	assert_int_equal(one_int(f->db, "SELECT COUNT(*) FROM tokens WHERE operator_id = 1"), 3);
	/* No sample lost. */
	{
		int64_t stored = one_int(f->db, "SELECT COUNT(*) FROM samples");
		fprintf(stderr, "probes counted %.0f, samples stored %" PRId64 ", dropped %.0f\n",
		        probes, stored, dropped);
		assert_true(dropped == 0);
		assert_true((double)stored >= probes);
	}
	for (int i = 0; i < RUNNERS; i++) {
		int64_t n;
		snprintf(sql, sizeof(sql),
		         "SELECT COUNT(*) FROM samples s JOIN runners r ON r.id = s.runner_id"
		         " WHERE r.name = 'r%d' AND s.ts_ms >= %" PRId64 " AND s.ts_ms < %" PRId64,
		         i, t0, t1);
		n = one_int(f->db, sql);
		fprintf(stderr, "r%d: %" PRId64 " samples during the lock\n", i, n);
		assert_true(n >= 8);
	}
	/* No runner charged, no blindness of the daemon's own. */
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM intervals WHERE state = 2 AND start_ms >= %" PRId64,
	         t0 - 5000);
	assert_int_equal(one_int(f->db, sql), 0);
	assert_int_equal(one_int(f->db, "SELECT COUNT(*) FROM incidents"), 0);
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM blind_periods WHERE cause IN ('tick_gap', 'storage')"
	         " AND end_ms >= %" PRId64,
	         t0);
	assert_int_equal(one_int(f->db, sql), 0);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-lock");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->locker > 0) {
		int st;
		kill(f->locker, SIGKILL);
		rwt_reap_by(f->locker, rwt_mono_ms() + 2000, &st);
	}
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
	        cmocka_unit_test_setup_teardown(test_external_lock, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
