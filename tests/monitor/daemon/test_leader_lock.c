/* SPDX-License-Identifier: MIT */
/*
 * test_leader_lock.c — the leader lock (monitor/daemon/leader.h) on a real
 * loop. On SQLite (test_leader_lock): the leader at once, nothing to wait
 * for. On PostgreSQL (test_leader_lock_pg), two contenders on one
 * database: the first holds the lock and the second does not; when the
 * holder's session is killed on the server, it says it lost the lead and
 * the other takes it; when that one closes, the first takes it back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/daemon/leader.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define WAIT_MS 20000

struct fx {
	char dir[256];
	char db[1200];
	uv_loop_t loop;
	uv_timer_t timer;
	struct leader *l[2];
	int changes[2]; /* change callbacks */
	bool held[2];   /* as the callbacks said */
	bool closing[2];
	int closed[2];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "leader-lock");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->timer);
	f->timer.data = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	leader_free(f->l[0]);
	leader_free(f->l[1]);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void change_cb(struct leader *l, bool held, void *data)
{
	struct fx *f = data;
	int i = l == f->l[0] ? 0 : 1;

	assert_ptr_equal(l, f->l[i]);
	assert_true(held != f->held[i]); /* a change, never a repeat */
	assert_true(held == leader_held(l));
	f->held[i] = held;
	f->changes[i]++;
}

static void closed_cb(struct leader *l, void *data)
{
	struct fx *f = data;
	f->closed[l == f->l[0] ? 0 : 1]++;
}

static void timeout_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop for @p ms. */
static void run_for(struct fx *f, uint64_t ms)
{
	uv_timer_start(&f->timer, timeout_cb, ms, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

/* Runs the loop until held[] is @p a, @p b, or fails the test. */
static void wait_held(struct fx *f, bool a, bool b)
{
	uint64_t deadline = uv_now(&f->loop) + WAIT_MS;

	while (f->held[0] != a || f->held[1] != b) {
		if (uv_now(&f->loop) > deadline)
			fail_msg("held %d %d, not %d %d, after %d ms", f->held[0], f->held[1], a, b,
			         WAIT_MS);
		run_for(f, 50);
	}
}

static void close_one(struct fx *f, int i)
{
	f->closing[i] = true;
	leader_close(f->l[i], closed_cb, f);
}

static void close_all(struct fx *f)
{
	for (int i = 0; i < 2; i++)
		if (f->l[i] && !f->closing[i])
			close_one(f, i);
	uv_close((uv_handle_t *)&f->timer, NULL);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void test_sqlite_always(void **state)
{
	struct fx *f = *state;
	char err[256];
	uint64_t gained, lost;

	assert_int_equal(leader_new(&f->l[0], &f->loop, f->db, change_cb, f, err, sizeof(err)), 0);
	assert_true(leader_held(f->l[0]));
	leader_counts(f->l[0], &gained, &lost);
	assert_int_equal(gained, 1);
	assert_int_equal(lost, 0);
	close_one(f, 0);
	assert_int_equal(f->closed[0], 1); /* at once: nothing runs */
	close_all(f);
	assert_int_equal(f->changes[0], 0);
}

static void test_pg_one_holder_and_takeover(void **state)
{
	struct fx *f = *state;
	char err[256], sql[256];
	uint64_t g0, l0, g1, l1;
	int holder;

	assert_int_equal(leader_new(&f->l[0], &f->loop, f->db, change_cb, f, err, sizeof(err)), 0);
	assert_int_equal(leader_new(&f->l[1], &f->loop, f->db, change_cb, f, err, sizeof(err)), 0);
	f->held[0] = leader_held(f->l[0]);
	f->held[1] = leader_held(f->l[1]);
	assert_true(f->held[0]);
	assert_false(f->held[1]);
	/* Several of the follower's attempts: nothing changes. */
	run_for(f, 2500);
	assert_int_equal(f->changes[0], 0);
	assert_int_equal(f->changes[1], 0);

	/* The holder's session dies on the server: it steps down within a
	 * second or so, and one of the two (whichever tries first) takes the
	 * lock; then nothing changes while both keep trying. */
	snprintf(sql, sizeof(sql),
	         /* Only this test's database: the server is shared with
	          * the other *_pg tests, whose daemons hold the same key. */
	         "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
	         "AND granted AND objid = %u "
	         "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
	         (unsigned)LEADER_PG_LOCK_KEY);
	assert_int_equal(rwt_sql_exec(f->db, sql), 0);
	{
		uint64_t deadline = uv_now(&f->loop) + WAIT_MS;
		while (f->changes[0] == 0 || (!f->held[0] && !f->held[1])) {
			if (uv_now(&f->loop) > deadline)
				fail_msg("no change after the holder's session was killed");
			run_for(f, 50);
		}
	}
	assert_true(f->changes[0] >= 1); /* it stepped down (and may be back) */
	assert_true(f->held[0] != f->held[1]);
	run_for(f, 2500);
	assert_true(f->held[0] != f->held[1]);
	holder = f->held[0] ? 0 : 1;
	leader_counts(f->l[0], &g0, &l0);
	leader_counts(f->l[1], &g1, &l1);
	assert_int_equal(l0, 1);
	assert_int_equal(g0 + g1, 2);

	/* The holder stops: its lock is freed and the other takes it. */
	close_one(f, holder);
	f->held[holder] = false; /* a closing contender says nothing more */
	wait_held(f, holder != 0, holder != 1);
	close_all(f);
	assert_int_equal(f->closed[0], 1);
	assert_int_equal(f->closed[1], 1);
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
	        cmocka_unit_test_setup_teardown(test_sqlite_always, setup, teardown),
	};
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(test_pg_one_holder_and_takeover, setup, teardown),
	};
	/* The same program on either backend (test_leader_lock and its _pg
	 * twin): a lock to contend for exists only on PostgreSQL. */
	if (rwt_pg())
		return cmocka_run_group_tests(pg_tests, NULL, NULL);
	return cmocka_run_group_tests(sqlite_tests, NULL, NULL);
}
