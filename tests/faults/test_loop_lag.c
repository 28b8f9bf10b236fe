/* SPDX-License-Identifier: MIT */
/*
 * test_loop_lag.c — runwarden_loop_lag_max_seconds sees every stall of the
 * event loop, not only those that cover the one-second tick (issue 12,
 * item 8: it read 21 ms while /healthz took 570 ms), and an API write while
 * another process holds the database's lock is no stall at all (item 2).
 *
 *   test_locked_write_no_stall: the test holds the write lock for ~400 ms
 *   and posts a write meanwhile, ~150 ms after a tick (the stall this test
 *   used to make: the write waited on SQLite on the loop thread). Now the
 *   write commits on the writer's thread: it is answered 201 after the
 *   lock is released, /healthz answers in under 100 ms during it, and the
 *   metric stays under 100 ms.
 *
 *   test_stall_between_ticks: a real stall of the loop, from a callback
 *   that runs long: the daemon's fault hook (RUNWARDEN_FAULT_STALL_MS,
 *   SIGUSR2: one callback busy for 400 ms; the status page's first build
 *   over 12,000 runners served until issue 15 made the page's builds
 *   sliced and bounded), started ~150 ms after a tick so that it ends
 *   before the next tick is due and the tick's own lateness does not see
 *   it. Meanwhile the test times a /healthz request, sent just after the
 *   page's and so queued behind the build. The invariant: the metric is at
 *   least what that client saw, less 50 ms; and the stall must be there
 *   (/healthz waited at least 60 ms), or the test measured nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define ADMIN_TOKEN  "fault-suite-admin-token-0123456789abcdef0123"
#define HOLD_MS      400
#define STALL_MS_STR "400" /* test_stall_between_ticks */

struct fx {
	char dir[256], db[320], log[320];
	struct rwt_daemon d;
	sqlite3 *lock;
	long post_status;
	bool passed;
};

static void *post_thread(void *arg)
{
	struct fx *f = arg;
	struct rwt_resp r;
	char url[200];

	snprintf(url, sizeof(url), "%s/v1/operators", f->d.url);
	rwt_http("POST", url, ADMIN_TOKEN, "{\"name\":\"lagging\",\"email\":\"l@example.org\"}",
	         (size_t)-1, &r);
	f->post_status = r.status;
	rwt_resp_free(&r);
	return NULL;
}

static void *release_thread(void *arg)
{
	struct fx *f = arg;

	rwt_sleep_ms(HOLD_MS);
	sqlite3_exec(f->lock, "ROLLBACK", NULL, NULL, NULL);
	return NULL;
}

/* Waits until just after a tick (runwarden_loop_lag_seconds_count moves),
 * then 150 ms more. */
static void after_a_tick(struct fx *f)
{
	double c0 = rwf_metric(f->d.url, "runwarden_loop_lag_seconds_count");
	int64_t deadline = rwt_mono_ms() + 5000;

	while (rwf_metric(f->d.url, "runwarden_loop_lag_seconds_count") == c0) {
		assert_true(rwt_mono_ms() < deadline);
		rwt_sleep_ms(5);
	}
	rwt_sleep_ms(150);
}

static void test_locked_write_no_stall(void **state)
{
	struct fx *f = *state;
	pthread_t post, release;
	double max_s, healthz_ms = 0;
	long st;

	rwt_daemon_start(&f->d, f->log, f->db, NULL);
	rwt_sleep_ms(1500);
	assert_int_equal(sqlite3_open(f->db, &f->lock), SQLITE_OK);
	after_a_tick(f);
	assert_int_equal(sqlite3_exec(f->lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(pthread_create(&release, NULL, release_thread, f), 0);
	assert_int_equal(pthread_create(&post, NULL, post_thread, f), 0);
	rwt_sleep_ms(50);
	st = rwf_get_timed(f->d.url, "/healthz", &healthz_ms);
	pthread_join(post, NULL);
	pthread_join(release, NULL);
	assert_int_equal(st, 200);
	max_s = rwf_metric(f->d.url, "runwarden_loop_lag_max_seconds");
	fprintf(stderr,
	        "the write answered %ld; /healthz took %.0f ms during it; "
	        "runwarden_loop_lag_max_seconds %.3f\n",
	        f->post_status, healthz_ms, max_s);
	assert_int_equal(f->post_status, 201);
	if (healthz_ms >= 100 || max_s >= 0.1)
		fail_msg("the loop stalled on a locked database: /healthz %.0f ms, loop lag max "
		         "%.0f ms (both must be < 100)",
		         healthz_ms, max_s * 1000);
	rwt_daemon_stop(&f->d, 15000);
	f->passed = true;
}

static void test_stall_between_ticks(void **state)
{
	struct fx *f = *state;
	char path[400], cli_log[400];
	double max_s, healthz_ms = 0;
	long st;

	/* One runner, never probed (interval 1 h, a port that refuses). */
	snprintf(cli_log, sizeof(cli_log), "%s/cli.log", f->dir);
	assert_int_equal(rwt_cli(cli_log, NULL, 0, "operator", "add", "ops", "--db", f->db,
	                         "--email", "ops@example.org", NULL),
	                 0);
	assert_int_equal(rwt_cli(cli_log, NULL, 0, "runner", "add", "--db", f->db, "--operator",
	                         "ops", "--name", "r0", "--target", "x86_64-unknown-linux-gnu",
	                         "--url", "http://127.0.0.1:9/h", "--allow-cidr", "127.0.0.0/8",
	                         NULL),
	                 0);
	snprintf(path, sizeof(path), "%s/policy.json", f->dir);
	rwt_write_file(path, "{\"version\":1,\"probe\":{\"interval_s\":3600}}\n");
	setenv("RUNWARDEN_FAULT_STALL_MS", STALL_MS_STR, 1);
	{
		const char *const extra[] = {"--policy", path, NULL};
		rwt_daemon_start(&f->d, f->log, f->db, extra);
	}
	unsetenv("RUNWARDEN_FAULT_STALL_MS");
	rwt_sleep_ms(1500);
	after_a_tick(f);
	assert_int_equal(kill(f->d.pid, SIGUSR2), 0);
	rwt_sleep_ms(10);
	st = rwf_get_timed(f->d.url, "/healthz", &healthz_ms);
	assert_int_equal(st, 200);
	max_s = rwf_metric(f->d.url, "runwarden_loop_lag_max_seconds");
	fprintf(stderr,
	        "a %s ms stall; /healthz took %.0f ms during it; "
	        "runwarden_loop_lag_max_seconds %.3f\n",
	        STALL_MS_STR, healthz_ms, max_s);
	/* /healthz, sent while the loop was busy, is what waited on the
	 * stall. */
	if (healthz_ms < 60)
		fail_msg("/healthz took %.0f ms during a %s ms stall: no stall to measure",
		         healthz_ms, STALL_MS_STR);
	if (max_s * 1000 < healthz_ms - 50)
		fail_msg("/healthz waited %.0f ms on a stalled loop, but the loop lag metric says "
		         "%.0f ms at most",
		         healthz_ms, max_s * 1000);
	rwt_daemon_stop(&f->d, 15000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-lag");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	sqlite3_close(f->lock);
	if (!f->passed)
		rwt_dump_file("daemon", f->log);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_locked_write_no_stall, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stall_between_ticks, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
