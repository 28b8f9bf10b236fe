/* SPDX-License-Identifier: MIT */
/*
 * test_writer_rollup.c — the writer thread rolls up completed days
 * (monitor/fleet/writer.c, store_rollup.c) on a real loop and a real file: a
 * database holding three past days of samples (as a daemon restarted after
 * a while finds it: they end two days ago, so none is still settling) and a
 * sample of now; the writer, started with a retention of one day, rolls up
 * the three days without being asked, never today, and the retention purge,
 * held back until they are rolled up, then deletes their samples but not
 * today's. The loop closes with no handle left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/core/clock.h"
#include "monitor/fleet/writer.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "policy/rollup.h"
#include "rwtest.h"

#define WAIT_LIMIT_MS 20000

struct fx {
	char dir[256];
	char db[320];
	uv_loop_t loop;
	uv_timer_t timer;
	struct writer *w;
	struct store *st; /* the test's own connection */
	int64_t today;    /* day number */
	uint64_t t0;
	int done, timed_out;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-wrollup");
	if (uv_loop_init(&f->loop) != 0) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	writer_free(f->w);
	store_close(f->st);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void stopped_cb(struct writer *w, void *data)
{
	(void)w;
	(void)data;
}

static void timer_close_cb(uv_handle_t *h)
{
	(void)h;
}

/* Polls until the three past days are rolled up and their samples purged. */
static void poll_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	int64_t done = 0, left = 0;

	assert_int_equal(store_rollup_days_done(f->st, f->today - 4, f->today + 1, &done), 0);
	assert_int_equal(store_sample_count(f->st, 1, &left), 0);
	if ((done == 3 && left == 1) || uv_now(&f->loop) - f->t0 > WAIT_LIMIT_MS) {
		f->timed_out = !(done == 3 && left == 1);
		f->done = 1;
		writer_close(f->w, stopped_cb, f);
		uv_close((uv_handle_t *)&f->timer, timer_close_cb);
	}
}

static struct rollup_day *sink_cb(int64_t runner_id, int64_t day, void *data)
{
	struct rollup_day *d = data;

	(void)day;
	return runner_id == 1 ? d : NULL;
}

static void test_writer_rolls_up_past_days(void **state)
{
	struct fx *f = *state;
	struct store_rec recs[3 * 48 + 1];
	struct store_runner r;
	struct rollup_day sum;
	char err[512] = "", *targets[] = {(char *)"riscv64gc-unknown-linux-gnu"};
	uint8_t tok[32] = {9};
	int64_t op = 0, now = clock_wall_ms();
	size_t n = 0;

	f->today = now / CALENDAR_MS_PER_DAY;
	assert_int_equal(store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(store_operator_add(f->st, "acme", "a@example.org", tok, 0, &op), 0);
	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)"r1";
	r.kind = (char *)"http";
	r.url = (char *)"https://r1.example.org/";
	r.targets = targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(f->st, &r, 0), 0);
	/* Every half hour of three days ending two days ago, and one sample now. */
	for (int64_t d = f->today - 4; d < f->today - 1; d++)
		for (int k = 0; k < 48; k++) {
			struct store_rec *rec = &recs[n++];
			memset(rec, 0, sizeof(*rec));
			rec->kind = STORE_REC_SAMPLE;
			rec->u.sample.runner_id = r.id;
			rec->u.sample.ts_ms = d * CALENDAR_MS_PER_DAY + k * 30 * 60000;
			rec->u.sample.errclass = k == 7 ? RW_ERRCLASS_CONNECT : RW_ERRCLASS_NONE;
			rec->u.sample.latency_us = k == 7 ? -1 : 40000;
		}
	recs[n].kind = STORE_REC_SAMPLE;
	recs[n].u.sample.runner_id = r.id;
	recs[n].u.sample.ts_ms = now;
	recs[n].u.sample.latency_us = 40000;
	n++;
	assert_int_equal(store_write_batch(f->st, recs, n), 0);

	assert_int_equal(
	        writer_new(&f->w, &f->loop, f->db, CALENDAR_MS_PER_DAY, NULL, f, err, sizeof(err)),
	        0);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	f->t0 = uv_now(&f->loop);
	assert_int_equal(uv_timer_start(&f->timer, poll_cb, 50, 50), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_true(f->done);
	assert_false(f->timed_out);

	/* What the rollups hold: 3 days x 48 samples, one failure a day (a blip
	 * between two successes), the latencies in one bucket. */
	memset(&sum, 0, sizeof(sum));
	assert_int_equal(store_rollup_sum(f->st, f->today - 4, f->today + 1, sink_cb, &sum), 0);
	assert_int_equal(sum.samples, 3 * 48);
	assert_int_equal(sum.failures, 3);
	assert_int_equal(rollup_blips(&sum, 3), 3);
	assert_int_equal(sum.latency[rollup_latency_bucket(40000)], 3 * 47);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_writer_rolls_up_past_days, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
