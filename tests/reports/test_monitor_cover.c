/* SPDX-License-Identifier: MIT */
/*
 * test_monitor_cover.c — reports/monitor_cover.h: the monitor's coverage of
 * a month counts from its first run ever, not from the month's start (a
 * first report showed 0.046 %: the days before the install were counted as
 * the monitor's blindness); a gap between runs still counts. Each vantage
 * point's coverage from its own runs and blind periods.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "monitor/store/store.h"
#include "reports/monitor_cover.h"
#include "rwtest.h"

#define DAY  ((int64_t)86400000)
#define HOUR ((int64_t)3600000)

static void run(struct store *st, int64_t from, int64_t to)
{
	struct store_rec rec = {.kind = STORE_REC_TICK};
	int64_t id = 0, prev = 0;

	assert_int_equal(store_run_begin(st, from, &id, &prev), 0);
	rec.u.tick.run_id = id;
	rec.u.tick.ts_ms = to;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

static void test_first_run_mid_month(void **state)
{
	char dir[256], db[320], err[256];
	struct store *st;
	struct monitor_cover c;
	int64_t m0 = 1000 * DAY, m1 = m0 + 30 * DAY; /* a 30-day "month" */
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "cover");
	snprintf(db, sizeof(db), "%s/rw.db", dir);
	assert_int_equal(store_open(&st, db, STORE_CREATE, err, sizeof(err)), 0);
	/* Installed on day 20; ran to the end but for one hour. */
	run(st, m0 + 20 * DAY, m0 + 25 * DAY);
	run(st, m0 + 25 * DAY + HOUR, m1);
	assert_int_equal(monitor_cover_compute(st, m0, m1, &c), 0);
	assert_int_equal(c.since_ms, m0 + 20 * DAY);
	assert_int_equal(c.blind_ms, HOUR);
	/* (10 days - 1 h) / 10 days = 0.995833... */
	assert_int_equal(c.coverage_ppm, 995833);
	for (size_t i = 0; i < c.n_blind; i++)
		assert_true(c.blind[i].start_ms >= m0 + 20 * DAY);
	monitor_cover_deinit(&c);
	/* Never ran in the period: no coverage to judge, no blindness. */
	assert_int_equal(monitor_cover_compute(st, m0 - 30 * DAY, m0, &c), 0);
	assert_int_equal(c.blind_ms, 0);
	assert_int_equal(c.coverage_ppm, 0);
	monitor_cover_deinit(&c);
	store_close(st);
	rwt_tmpdir_remove(dir, false);
}

static void blind(struct store *st, int64_t from, int64_t to)
{
	struct store_rec rec = {.kind = STORE_REC_BLIND};

	rec.u.blind.start_ms = from;
	rec.u.blind.end_ms = to;
	rec.u.blind.cause = STORE_BLIND_CANARY;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

/* Each vantage point's coverage comes from its own runs and blind periods:
 * a ran the whole month but was blind 3 h; b started on day 10 and stopped
 * 6 h early. The monitor as a whole ran while either did. */
static void test_per_vantage(void **state)
{
	char dir[256], db[320], err[256];
	struct store *st;
	struct monitor_cover c;
	int64_t m0 = 1000 * DAY, m1 = m0 + 30 * DAY, a, b;
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "cover");
	snprintf(db, sizeof(db), "%s/rw.db", dir);
	assert_int_equal(store_open(&st, db, STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(store_vantage_register(st, "a", m0, &a), 0);
	run(st, m0, m1);
	blind(st, m0 + DAY, m0 + DAY + 3 * HOUR);
	assert_int_equal(store_vantage_register(st, "b", m0 + 10 * DAY, &b), 0);
	run(st, m0 + 10 * DAY, m1 - 6 * HOUR);

	assert_int_equal(monitor_cover_compute_vantage(st, a, m0, m1, &c), 0);
	assert_int_equal(c.since_ms, m0);
	assert_int_equal(c.blind_ms, 3 * HOUR);
	assert_int_equal(c.n_blind, 1);
	assert_int_equal(c.coverage_ppm, 995833); /* (30 d - 3 h) / 30 d */
	monitor_cover_deinit(&c);
	assert_int_equal(monitor_cover_compute_vantage(st, b, m0, m1, &c), 0);
	assert_int_equal(c.since_ms, m0 + 10 * DAY); /* from its first run */
	assert_int_equal(c.blind_ms, 6 * HOUR);
	assert_int_equal(c.n_blind, 1);
	assert_string_equal(c.blind[0].cause, "not_running");
	assert_int_equal(c.coverage_ppm, 987500); /* (20 d - 6 h) / 20 d */
	monitor_cover_deinit(&c);
	/* The whole monitor: a's runs cover b's gap; a's blind period counts. */
	assert_int_equal(monitor_cover_compute(st, m0, m1, &c), 0);
	assert_int_equal(c.blind_ms, 3 * HOUR);
	monitor_cover_deinit(&c);
	store_close(st);
	rwt_tmpdir_remove(dir, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_first_run_mid_month),
	        cmocka_unit_test(test_per_vantage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
