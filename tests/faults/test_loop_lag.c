/* SPDX-License-Identifier: MIT */
/*
 * test_loop_lag.c — runwarden_loop_lag_max_seconds sees every stall of the
 * event loop, not only those that cover the one-second tick (issue 12,
 * item 8: it read 21 ms while /healthz took 570 ms).
 *
 * The stall: an API write that waits on SQLite on the loop thread while the
 * test holds the database's write lock for ~400 ms (issue 12, item 2; if a
 * later change takes that wait off the loop, /healthz is fast and the
 * assertion below holds trivially). It is started ~150 ms after a tick
 * (seen as runwarden_loop_lag_seconds_count changing), so it ends before
 * the next tick is due and the tick's own lateness does not see it.
 * Meanwhile the test times a /healthz request. The invariant: the metric
 * is at least what a client saw, less 50 ms.
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

#define ADMIN_TOKEN "fault-suite-admin-token-0123456789abcdef0123"
#define HOLD_MS     400

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

static void test_stall_between_ticks(void **state)
{
	struct fx *f = *state;
	pthread_t post, release;
	double c0, max_s, healthz_ms = 0;
	int64_t deadline;
	long st;

	rwt_daemon_start(&f->d, f->log, f->db, NULL);
	rwt_sleep_ms(1500);
	assert_int_equal(sqlite3_open(f->db, &f->lock), SQLITE_OK);
	/* Right after a tick. */
	c0 = rwf_metric(f->d.url, "runwarden_loop_lag_seconds_count");
	deadline = rwt_mono_ms() + 5000;
	while (rwf_metric(f->d.url, "runwarden_loop_lag_seconds_count") == c0) {
		assert_true(rwt_mono_ms() < deadline);
		rwt_sleep_ms(5);
	}
	rwt_sleep_ms(150);
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
	if (healthz_ms >= 100 && max_s * 1000 < healthz_ms - 50)
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
	        cmocka_unit_test_setup_teardown(test_stall_between_ticks, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
