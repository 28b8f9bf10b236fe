/* SPDX-License-Identifier: MIT */
/*
 * test_store_vantage.c — vantage points in the store (store_vantage.c,
 * migration 10): registration by name (the first gets id 0, the id of the
 * rows written before vantages; the same name the same id; bad names
 * refused), the reset of a restarting vantage's states to unknown from its
 * last heartbeat, the connection's tag on samples, blind periods, runs and
 * STORE_REC_VSTATE rows, the heartbeat a tick moves, a run's previous tick
 * taken from its own vantage only, and store_vantage_states() with its
 * blind flag. Runs on both backends (the *_pg twin).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

struct fx {
	char dir[256];
	char db[1200];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512] = "";

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-store-vantage");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	if (store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void test_register(void **state)
{
	struct fx *f = *state;
	int64_t a = -1, b = -1, again = -1;
	char name[65];
	struct store_vantage *v = NULL;
	size_t n = 0;

	assert_true(store_vantage_name_valid("eu-west_1.example"));
	assert_false(store_vantage_name_valid(""));
	assert_false(store_vantage_name_valid("a b"));
	assert_false(store_vantage_name_valid("a/b"));
	memset(name, 'x', 64);
	name[63] = '\0';
	assert_true(store_vantage_name_valid(name)); /* 63 */
	name[63] = 'x';
	name[64] = '\0';
	assert_false(store_vantage_name_valid(name)); /* 64 */
	assert_int_equal(store_vantage_register(f->st, "bad name", 1000, &a), RW_EINVAL);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM vantages"), 0);

	assert_int_equal(store_vantage_register(f->st, "a", 1000, &a), 0);
	assert_int_equal(a, 0); /* the first: the rows tagged before vantages are its own */
	assert_int_equal(store_vantage_register(f->st, "b", 2000, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(store_vantage_register(f->st, "a", 3000, &again), 0);
	assert_int_equal(again, 0);
	assert_int_equal(store_vantage_list(f->st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "a");
	assert_int_equal(v[0].first_seen_ms, 1000);
	assert_string_equal(v[1].name, "b");
	assert_int_equal(v[1].id, 1);
	free(v);
}

/* What a connection writes carries its vantage; a tick moves the heartbeat
 * of its run's vantage; the previous tick is the vantage's own. */
static void test_tags(void **state)
{
	struct fx *f = *state;
	int64_t a, b, run_a, run_b, prev = 0;
	struct store_rec r[5];

	assert_int_equal(store_vantage_register(f->st, "a", 1000, &a), 0);
	assert_int_equal(store_run_begin(f->st, 1000, &run_a, &prev), 0);
	assert_int_equal(prev, -1);
	memset(r, 0, sizeof(r));
	r[0].kind = STORE_REC_SAMPLE;
	r[0].u.sample.runner_id = 7;
	r[0].u.sample.ts_ms = 1500;
	r[1].kind = STORE_REC_VSTATE;
	r[1].u.change.runner_id = 7;
	r[1].u.change.start_ms = 1400;
	r[1].u.change.state = RW_STATE_UP;
	r[2].kind = STORE_REC_TICK;
	r[2].u.tick.run_id = run_a;
	r[2].u.tick.ts_ms = 5000;
	r[3].kind = STORE_REC_BLIND;
	r[3].u.blind.start_ms = 2000;
	r[3].u.blind.end_ms = 3000;
	r[3].u.blind.cause = STORE_BLIND_CANARY;
	assert_int_equal(store_write_batch(f->st, r, 4), 0);

	assert_int_equal(store_vantage_register(f->st, "b", 6000, &b), 0);
	assert_int_equal(store_run_begin(f->st, 6000, &run_b, &prev), 0);
	assert_int_equal(prev, -1); /* a's ticks are not b's */
	r[0].u.sample.ts_ms = 6500;
	r[1].u.change.state = RW_STATE_DOWN;
	r[1].u.change.start_ms = 6400;
	r[2].u.tick.run_id = run_b;
	r[2].u.tick.ts_ms = 7000;
	assert_int_equal(store_write_batch(f->st, r, 3), 0);

	assert_int_equal(rwt_sql_int(f->db, "SELECT vantage_id FROM samples WHERE ts_ms = 1500"),
	                 a);
	assert_int_equal(rwt_sql_int(f->db, "SELECT vantage_id FROM samples WHERE ts_ms = 6500"),
	                 b);
	assert_int_equal(rwt_sql_int(f->db, "SELECT vantage_id FROM blind_periods"), a);
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT vantage_id FROM monitor_runs WHERE id = ?1",
	                                  run_b, 0),
	                 b);
	assert_int_equal(rwt_sql_int(f->db, "SELECT last_tick_ms FROM vantages WHERE name = 'a'"),
	                 5000);
	assert_int_equal(rwt_sql_int(f->db, "SELECT last_tick_ms FROM vantages WHERE name = 'b'"),
	                 7000);
	assert_int_equal(rwt_sql_int(f->db, "SELECT state FROM vantage_states WHERE vantage_id = 0"
	                                    " AND runner_id = 7"),
	                 RW_STATE_UP);
	assert_int_equal(rwt_sql_int(f->db, "SELECT since_ms FROM vantage_states WHERE"
	                                    " vantage_id = 1 AND runner_id = 7"),
	                 6400);
	/* No combined interval: a VSTATE is the vantage's own view only. */
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM intervals"), 0);
	/* A follower's tick moves its vantage's heartbeat and its run's last
	 * tick (its coverage), not the run's led_until_ms, which a takeover
	 * reads as the old leader's last tick (writer.h). */
	r[2].u.tick.ts_ms = 8000;
	r[2].u.tick.follower = true;
	assert_int_equal(store_write_batch(f->st, &r[2], 1), 0);
	r[2].u.tick.follower = false;
	assert_int_equal(rwt_sql_int(f->db, "SELECT last_tick_ms FROM vantages WHERE name = 'b'"),
	                 8000);
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT last_tick_ms FROM monitor_runs WHERE id = ?1",
	                                  run_b, 0),
	                 8000);
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT led_until_ms FROM monitor_runs WHERE id = ?1",
	                                  run_b, 0),
	                 7000);
	{
		int64_t tick = 0, leader = 0;
		assert_int_equal(store_last_run(f->st, &tick, &leader), 0);
		assert_int_equal(tick, 7000);
		assert_int_equal(leader, b);
		assert_int_equal(store_last_tick(f->st, &tick), 0);
		assert_int_equal(tick, 7000);
	}

	/* a starts again: its previous tick is its own, and what it held is
	 * unknown from then; b's states are untouched. */
	assert_int_equal(store_vantage_register(f->st, "a", 9000, &a), 0);
	assert_int_equal(store_run_begin(f->st, 9000, &run_a, &prev), 0);
	assert_int_equal(prev, 5000);
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT state FROM vantage_states WHERE vantage_id = 0"),
	        RW_STATE_UNKNOWN);
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT since_ms FROM vantage_states WHERE vantage_id = 0"),
	        5000);
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT state FROM vantage_states WHERE vantage_id = 1"),
	        RW_STATE_DOWN);
}

/* store_vantage_states(): every vantage's row for the runner, in id order,
 * with its heartbeat and whether a stored blind period covers now. */
static void test_states(void **state)
{
	struct fx *f = *state;
	struct store_vantage_state *v = NULL;
	struct store_rec r[2];
	int64_t a, b, run, prev;
	size_t n = 0;

	assert_int_equal(store_vantage_register(f->st, "a", 1000, &a), 0);
	assert_int_equal(store_vantage_register(f->st, "b", 1000, &b), 0);
	memset(r, 0, sizeof(r));
	r[0].kind = STORE_REC_VSTATE;
	r[0].u.change.runner_id = 3;
	r[0].u.change.start_ms = 1100;
	r[0].u.change.state = RW_STATE_UP;
	r[1].kind = STORE_REC_BLIND;
	r[1].u.blind.start_ms = 1000;
	r[1].u.blind.end_ms = 2000;
	r[1].u.blind.cause = STORE_BLIND_CORRELATED;
	store_set_vantage(f->st, b); /* b: up, blind over [1000, 2000) */
	assert_int_equal(store_run_begin(f->st, 1000, &run, &prev), 0);
	assert_int_equal(store_write_batch(f->st, r, 2), 0);
	store_set_vantage(f->st, a); /* a: down */
	r[0].u.change.state = RW_STATE_DOWN;
	assert_int_equal(store_write_batch(f->st, r, 1), 0);

	assert_int_equal(store_vantage_states(f->st, 3, 1500, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "a");
	assert_int_equal(v[0].state, RW_STATE_DOWN);
	assert_false(v[0].blind);
	assert_string_equal(v[1].name, "b");
	assert_int_equal(v[1].state, RW_STATE_UP);
	assert_int_equal(v[1].since_ms, 1100);
	assert_int_equal(v[1].last_tick_ms, 1000);
	assert_true(v[1].blind);
	free(v);
	assert_int_equal(store_vantage_states(f->st, 3, 2000, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_false(v[1].blind); /* [start, end): over at 2000 */
	free(v);
	assert_int_equal(store_vantage_states(f->st, 4, 1500, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_register, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
