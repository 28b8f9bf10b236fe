/* SPDX-License-Identifier: MIT */
/*
 * test_rollup_store.c — daily rollups in the store (monitor/store/store_rollup.c):
 *  - a day rolled up in small steps (the budget splits the runners; the
 *    cursor moves on; the day is recorded only by the last step) gives, for
 *    every runner, exactly what folding its samples directly gives; a runner
 *    without samples that day has no row;
 *  - a failure run that crosses midnight is one run, on the day it ends; a
 *    run with no success before it is not a blip;
 *  - which day is next (the frontier) and when it is due (the settle time);
 *  - store_rollup_put() and _mark_done() inside a caller's transaction, the
 *    sink that skips rows, and a row that does not decode (RW_EIO).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/rollup.h"
#include "report_fixture.h"

#define DAY0 19800 /* 2024-03-18 */

static int64_t add_runners(struct store *st, int n)
{
	uint8_t tok[32] = {3};
	int64_t op = 0;

	assert_int_equal(store_operator_add(st, "acme", "a@example.org", tok, 0, &op), 0);
	for (int i = 0; i < n; i++) {
		char name[16], *targets[] = {(char *)RFX_RISCV};
		struct store_runner r;
		memset(&r, 0, sizeof(r));
		snprintf(name, sizeof(name), "r%d", i + 1);
		r.operator_id = op;
		r.name = name;
		r.kind = (char *)"http";
		r.url = (char *)"https://r.example.org/";
		r.targets = targets;
		r.n_targets = 1;
		r.status = STORE_RUNNER_APPROVED;
		assert_int_equal(store_runner_add(st, &r, 0), 0);
	}
	return op;
}

static void sample(struct store *st, int64_t runner, int64_t ts, bool ok, int32_t latency)
{
	struct store_rec rec = {.kind = STORE_REC_SAMPLE};

	rec.u.sample.runner_id = runner;
	rec.u.sample.ts_ms = ts;
	rec.u.sample.errclass = ok ? RW_ERRCLASS_NONE : RW_ERRCLASS_TIMEOUT;
	rec.u.sample.latency_us = latency;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

struct sums {
	struct rollup_day day[8];
	int skip; /* runner id whose rows are skipped */
};

static struct rollup_day *sink_cb(int64_t runner_id, int64_t day, void *data)
{
	struct sums *s = data;

	(void)day;
	if (runner_id == s->skip || runner_id < 1 || runner_id > 7)
		return NULL;
	return &s->day[runner_id];
}

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void test_steps_match_direct_fold(void **state)
{
	struct rfx *f = *state;
	struct rollup_acc want[8];
	struct store_rec recs[500];
	struct sums got;
	int64_t from = DAY0 * RFX_DAY, cursor = 0, count = -1;
	uint64_t seed = 5;
	bool done = false;
	int steps = 0;

	add_runners(f->st, 7);
	/* Runners 1..6 probe at random; runner 7 never on DAY0. Runner 1 also
	 * has samples the day before, ending in two failures. */
	sample(f->st, 1, from - 3 * RFX_MIN, true, 900);
	sample(f->st, 1, from - 2 * RFX_MIN, false, -1);
	sample(f->st, 1, from - RFX_MIN, false, -1);
	sample(f->st, 7, from - RFX_MIN, true, 900);
	for (int64_t r = 1; r <= 6; r++) {
		size_t n = 0;
		rollup_acc_init(&want[r], r == 1 ? 2 : 0, r == 1);
		for (int64_t t = from; t < from + RFX_DAY;
		     t += 2 * RFX_MIN + (int64_t)(rng_next(&seed) % 60000)) {
			bool ok = rng_next(&seed) % 4 != 0;
			int32_t lat = ok ? (int32_t)(rng_next(&seed) % 2000000) : -1;
			struct store_rec *rec = &recs[n++];
			memset(rec, 0, sizeof(*rec));
			rec->kind = STORE_REC_SAMPLE;
			rec->u.sample.runner_id = r;
			rec->u.sample.ts_ms = t;
			rec->u.sample.errclass = ok ? RW_ERRCLASS_NONE : RW_ERRCLASS_DNS;
			rec->u.sample.latency_us = lat;
			rollup_acc_feed(&want[r], ok, lat);
			if (n == 500) {
				assert_int_equal(store_write_batch(f->st, recs, n), 0);
				n = 0;
			}
		}
		assert_int_equal(store_write_batch(f->st, recs, n), 0);
	}
	/* Samples of the next day are not counted. */
	sample(f->st, 2, from + RFX_DAY, false, -1);

	while (!done) {
		int64_t before = cursor;
		assert_int_equal(store_rollup_step(f->st, DAY0, &cursor, 700, &done), 0);
		assert_true(cursor > before || done);
		assert_int_equal(store_rollup_days_done(f->st, DAY0, DAY0 + 1, &count), 0);
		assert_int_equal(count, done ? 1 : 0); /* recorded by the last step only */
		assert_true(++steps < 20);
	}
	assert_true(steps >= 4); /* ~700 samples a runner: one or two per step */

	memset(&got, 0, sizeof(got));
	assert_int_equal(store_rollup_sum(f->st, DAY0, DAY0 + 1, sink_cb, &got), 0);
	for (int r = 1; r <= 6; r++)
		assert_memory_equal(&got.day[r], &want[r].day, sizeof(got.day[r]));
	assert_int_equal(got.day[7].samples, 0); /* no row: no sample that day */

	/* Rolling the day again replaces the rows: the same sums. */
	assert_int_equal(store_rollup_day(f->st, DAY0), 0);
	memset(&got, 0, sizeof(got));
	got.skip = 3;
	assert_int_equal(store_rollup_sum(f->st, DAY0, DAY0 + 1, sink_cb, &got), 0);
	assert_memory_equal(&got.day[1], &want[1].day, sizeof(got.day[1]));
	assert_int_equal(got.day[3].samples, 0); /* skipped by the sink */
}

static void test_runs_across_midnight(void **state)
{
	struct rfx *f = *state;
	int64_t mid = (DAY0 + 1) * RFX_DAY;
	struct sums got;

	add_runners(f->st, 2);
	/* Runner 1: up, then two failures either side of midnight, then up: one
	 * run of 2, a blip under failures_to_down 3, on the second day. */
	sample(f->st, 1, mid - 20 * RFX_MIN, true, 1000);
	sample(f->st, 1, mid - 5 * RFX_MIN, false, -1);
	sample(f->st, 1, mid + 5 * RFX_MIN, false, -1);
	sample(f->st, 1, mid + 15 * RFX_MIN, true, 1000);
	/* Runner 2: its first samples fail: no success before, no blip. */
	sample(f->st, 2, mid + RFX_MIN, false, -1);
	sample(f->st, 2, mid + 2 * RFX_MIN, true, 1000);
	assert_int_equal(store_rollup_day(f->st, DAY0), 0);
	assert_int_equal(store_rollup_day(f->st, DAY0 + 1), 0);

	memset(&got, 0, sizeof(got));
	assert_int_equal(store_rollup_sum(f->st, DAY0, DAY0 + 1, sink_cb, &got), 0);
	assert_int_equal(got.day[1].samples, 2);
	assert_int_equal(got.day[1].failures, 1);
	assert_int_equal(rollup_blips(&got.day[1], 100), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_rollup_sum(f->st, DAY0 + 1, DAY0 + 2, sink_cb, &got), 0);
	assert_int_equal(got.day[1].runs[2], 1);
	assert_int_equal(rollup_blips(&got.day[1], 3), 1);
	assert_int_equal(rollup_blips(&got.day[1], 2), 0);
	assert_int_equal(got.day[2].samples, 2);
	assert_int_equal(rollup_blips(&got.day[2], 100), 0);
	assert_int_equal(got.day[2].latency[rollup_latency_bucket(1000)], 1);
}

static void test_frontier_and_settle(void **state)
{
	struct rfx *f = *state;
	int64_t end0 = (DAY0 + 1) * RFX_DAY, day = -1;

	add_runners(f->st, 1);
	assert_int_equal(store_rollup_frontier(f->st, &day), RW_ENOENT);
	assert_int_equal(store_rollup_next_day(f->st, end0 + RFX_DAY, &day), RW_ENOENT);
	sample(f->st, 1, DAY0 * RFX_DAY + RFX_HOUR, true, 5);
	sample(f->st, 1, end0 + RFX_HOUR, true, 5);
	sample(f->st, 1, end0 + 3 * RFX_DAY, true, 5); /* after a gap of days */
	assert_int_equal(store_rollup_frontier(f->st, &day), 0);
	assert_int_equal(day, DAY0);
	/* Due only once the day has been over for the settle time. */
	assert_int_equal(store_rollup_next_day(f->st, end0 + STORE_ROLLUP_SETTLE_MS - 1, &day),
	                 RW_ENOENT);
	assert_int_equal(store_rollup_next_day(f->st, end0 + STORE_ROLLUP_SETTLE_MS, &day), 0);
	assert_int_equal(day, DAY0);
	assert_int_equal(store_rollup_day(f->st, DAY0), 0);
	assert_int_equal(store_rollup_frontier(f->st, &day), 0);
	assert_int_equal(day, DAY0 + 1);
	assert_int_equal(store_rollup_day(f->st, DAY0 + 1), 0);
	/* Days without samples are skipped, not waited for. */
	assert_int_equal(store_rollup_frontier(f->st, &day), 0);
	assert_int_equal(day, DAY0 + 4);
	assert_int_equal(store_rollup_day(f->st, DAY0 + 4), 0);
	assert_int_equal(store_rollup_frontier(f->st, &day), RW_ENOENT);
}

static void test_put_and_corrupt_rows(void **state)
{
	struct rfx *f = *state;
	struct rollup_day d;
	struct sums got;
	int64_t count = 0;
	sqlite3 *db;

	add_runners(f->st, 2);
	memset(&d, 0, sizeof(d));
	d.samples = 10;
	d.failures = 2;
	d.latency[0] = 1;
	d.latency[ROLLUP_LAT_BUCKETS - 1] = 300000; /* a multi-byte count */
	d.runs[1] = 2;
	d.runs[ROLLUP_RUN_MAX] = 1;
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_rollup_put(f->st, DAY0, 1, &d), 0);
	assert_int_equal(store_rollup_put(f->st, DAY0, 2, &d), 0);
	assert_int_equal(store_rollup_mark_done(f->st, DAY0), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_rollup_days_done(f->st, DAY0 - 5, DAY0 + 5, &count), 0);
	assert_int_equal(count, 1);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_rollup_sum(f->st, DAY0, DAY0 + 1, sink_cb, &got), 0);
	assert_memory_equal(&got.day[1], &d, sizeof(d));

	/* A row that does not decode is an error, not a silent zero. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "UPDATE rollups SET latency = x'05ff' WHERE runner_id = 2",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_rollup_sum(f->st, DAY0, DAY0 + 1, sink_cb, &got), RW_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_steps_match_direct_fold, rfx_setup,
	                                        rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_runs_across_midnight, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_frontier_and_settle, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_put_and_corrupt_rows, rfx_setup, rfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
