/* SPDX-License-Identifier: MIT */
/*
 * test_scheduler.c — monitor/probe/scheduler.h.
 *
 * sched_phase() as a pure function: in range, stable, and spread evenly.
 * The heap as a data structure: after random adds and removes every
 * scheduled runner is where its heap_idx says and the min-heap property
 * holds. Then on a real libuv loop with fake runners at a 100 ms interval:
 * each runner is started about once per interval; a runner with a probe in
 * flight is skipped and counted, never started; a removed runner is never
 * started again; RW_EBUSY makes the scheduler retry within milliseconds
 * rather than an interval later; and the loop closes with no handle left.
 * Bounds on counts are generous: the loop's timing is real.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <uv.h>

#include "monitor/core/runner.h"
#include "monitor/probe/scheduler.h"
#include "policy/base/rw_error.h"

#define N_RUNNERS   50
#define INTERVAL_MS 100
#define RUN_MS      1000

/* ---- sched_phase ------------------------------------------------------- */

static void test_phase_range(void **state)
{
	static const uint64_t intervals[] = {1, 2, 7, 100, 1000, 60000, 86400000, 1ULL << 40};
	static const int64_t ids[] = {0, 1, 2, 3, -1, INT64_MIN, INT64_MAX, 123456789};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
		for (size_t j = 0; j < sizeof(ids) / sizeof(ids[0]); j++) {
			uint64_t p = sched_phase(ids[j], intervals[i]);
			if (p >= intervals[i]) {
				print_error("phase(%lld, %llu) = %llu\n", (long long)ids[j],
				            (unsigned long long)intervals[i],
				            (unsigned long long)p);
				bad++;
			}
			/* The same runner keeps its slot (across restarts). */
			if (p != sched_phase(ids[j], intervals[i]))
				bad++;
		}
		for (int64_t id = 1; id <= 1000; id++)
			bad += sched_phase(id, intervals[i]) >= intervals[i];
	}
	assert_int_equal(bad, 0);
	assert_int_equal(sched_phase(5, 0), 0);
	assert_int_equal(sched_phase(5, 1), 0);
}

static void check_spread(uint64_t interval, int64_t first_id)
{
	int buckets[10] = {0};
	int bad = 0;

	for (int64_t id = first_id; id < first_id + 10000; id++)
		buckets[sched_phase(id, interval) * 10 / interval]++;
	for (int b = 0; b < 10; b++) {
		if (buckets[b] < 800 || buckets[b] > 1200) {
			print_error("interval %llu, ids from %lld: bucket %d holds %d of 10000\n",
			            (unsigned long long)interval, (long long)first_id, b,
			            buckets[b]);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_phase_spread(void **state)
{
	(void)state;
	check_spread(10000, 1);
	check_spread(60000, 1);
	check_spread(100, 1);
	check_spread(60000, 1000000);
	/* Consecutive ids do not land in consecutive slots. */
	int adjacent = 0;
	for (int64_t id = 1; id < 1000; id++) {
		int64_t d = (int64_t)sched_phase(id + 1, 60000) - (int64_t)sched_phase(id, 60000);
		adjacent += d >= 0 && d < 60;
	}
	assert_true(adjacent < 20);
}

/* ---- the heap ---------------------------------------------------------- */

static void check_heap(const struct scheduler *s)
{
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(s->heap[i]->heap_idx, i);
		if (i > 0)
			assert_true(s->heap[(i - 1) / 2]->due <= s->heap[i]->due);
	}
}

static int never_cb(struct scheduler *s, struct runner *r, uint64_t late)
{
	(void)s;
	(void)r;
	(void)late;
	fail_msg("no runner should be due in this test");
	return 0;
}

static void count_close_cb(uv_handle_t *h)
{
	int *closed = h->data;
	(*closed)++;
}

static void test_heap_invariants(void **state)
{
	enum { N = 3000 };
	struct runner *rs = calloc(N, sizeof(*rs));
	struct scheduler s;
	uv_loop_t loop;
	uint64_t seed = 12345;
	size_t scheduled = 0;
	int closed = 0;

	(void)state;
	assert_non_null(rs);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sched_init(&s, &loop, never_cb), 0);
	for (size_t i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		rs[i].id = (int64_t)i + 1;
		rs[i].heap_idx = SIZE_MAX;
		/* Long intervals: nothing becomes due while the test runs. */
		rs[i].params.interval_ms = 3600000 + (int64_t)(seed >> 40) % 3600000;
		assert_int_equal(sched_add(&s, &rs[i]), 0);
		scheduled++;
		assert_true(rs[i].due > uv_now(&loop));
		assert_true(rs[i].due <= uv_now(&loop) + (uint64_t)rs[i].params.interval_ms + 250);
	}
	assert_int_equal(s.n, N);
	check_heap(&s);
	/* Remove a pseudo-random half, some twice (the second is a no-op). */
	for (size_t i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((seed >> 33) & 1) {
			sched_remove(&s, &rs[i]);
			assert_int_equal(rs[i].heap_idx, SIZE_MAX);
			sched_remove(&s, &rs[i]);
			scheduled--;
		}
		if (i % 500 == 0)
			check_heap(&s);
	}
	assert_int_equal(s.n, scheduled);
	check_heap(&s);
	/* Every runner still scheduled is in the heap exactly once. */
	for (size_t i = 0; i < N; i++) {
		if (rs[i].heap_idx != SIZE_MAX)
			assert_ptr_equal(s.heap[rs[i].heap_idx], &rs[i]);
	}
	/* Re-adding works. */
	for (size_t i = 0; i < N; i++) {
		if (rs[i].heap_idx == SIZE_MAX)
			assert_int_equal(sched_add(&s, &rs[i]), 0);
	}
	assert_int_equal(s.n, N);
	check_heap(&s);

	s.timer.data = &closed;
	sched_close(&s, count_close_cb);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(rs[i].heap_idx, SIZE_MAX);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(closed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(rs);
}

/* ---- on a real loop ---------------------------------------------------- */

struct fx {
	uv_loop_t loop;
	struct scheduler s;
	uv_timer_t stop_timer, remove_timer;
	struct runner rs[N_RUNNERS];
	int calls[N_RUNNERS];
	int calls_at_removal;
	int started_inflight; /* start_cb saw r->inflight set: must stay 0 */
	int unknown_runner;
	int closed;
	uint64_t max_late;
};

enum { INFLIGHT_IDX = 7, REMOVED_IDX = 3, REMOVED_AT_ONCE_IDX = 11 };

static struct fx *fx_of(struct scheduler *s)
{
	return s->data;
}

static int start_cb(struct scheduler *s, struct runner *r, uint64_t late)
{
	struct fx *f = fx_of(s);
	ptrdiff_t i = r - f->rs;

	if (i < 0 || i >= N_RUNNERS) {
		f->unknown_runner++;
		return 0;
	}
	if (r->inflight)
		f->started_inflight++;
	if (late > f->max_late)
		f->max_late = late;
	f->calls[i]++;
	return 0;
}

static void close_cb(uv_handle_t *h)
{
	struct fx *f = h->data;
	f->closed++;
}

static void sched_close_cb(uv_handle_t *h)
{
	struct scheduler *s = h->data;
	fx_of(s)->closed++;
}

static void stop_timer_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	sched_close(&f->s, sched_close_cb);
	uv_close((uv_handle_t *)&f->stop_timer, close_cb);
	uv_close((uv_handle_t *)&f->remove_timer, close_cb);
}

static void remove_timer_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	sched_remove(&f->s, &f->rs[REMOVED_IDX]);
	f->calls_at_removal = f->calls[REMOVED_IDX];
}

static void test_loop_schedule(void **state)
{
	static char dummy_probe;
	struct fx *f = calloc(1, sizeof(*f));
	int bad = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(sched_init(&f->s, &f->loop, start_cb), 0);
	f->s.data = f;
	for (int i = 0; i < N_RUNNERS; i++) {
		f->rs[i].id = 1000 + i;
		f->rs[i].heap_idx = SIZE_MAX;
		f->rs[i].params.interval_ms = INTERVAL_MS;
		assert_int_equal(sched_add(&f->s, &f->rs[i]), 0);
	}
	/* One runner's probe never finishes. */
	f->rs[INFLIGHT_IDX].inflight = (struct probe *)&dummy_probe;
	/* One runner is removed before it was ever due. */
	sched_remove(&f->s, &f->rs[REMOVED_AT_ONCE_IDX]);

	assert_int_equal(uv_timer_init(&f->loop, &f->stop_timer), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->remove_timer), 0);
	f->stop_timer.data = f;
	f->remove_timer.data = f;
	assert_int_equal(uv_timer_start(&f->stop_timer, stop_timer_cb, RUN_MS, 0), 0);
	assert_int_equal(uv_timer_start(&f->remove_timer, remove_timer_cb, RUN_MS / 2, 0), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->closed, 3);
	assert_int_equal(f->unknown_runner, 0);
	assert_int_equal(f->started_inflight, 0);
	for (int i = 0; i < N_RUNNERS; i++) {
		if (i == INFLIGHT_IDX || i == REMOVED_IDX || i == REMOVED_AT_ONCE_IDX)
			continue;
		if (f->calls[i] < 6 || f->calls[i] > 12) {
			print_error("runner %d started %d times in %d ms at %d ms\n", i,
			            f->calls[i], RUN_MS, INTERVAL_MS);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	/* In flight: every one of its slots skipped and counted, none started. */
	assert_int_equal(f->calls[INFLIGHT_IDX], 0);
	assert_in_range(f->s.skipped, 6, 12);
	/* Removed half-way: started before, never after. */
	assert_in_range(f->calls_at_removal, 3, 6);
	assert_int_equal(f->calls[REMOVED_IDX], f->calls_at_removal);
	assert_int_equal(f->calls[REMOVED_AT_ONCE_IDX], 0);
	/* Nothing is started a whole interval late on an idle loop. */
	assert_true(f->max_late < INTERVAL_MS);

	assert_int_equal(f->s.n, 0);
	for (int i = 0; i < N_RUNNERS; i++)
		assert_int_equal(f->rs[i].heap_idx, SIZE_MAX);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
}

/* ---- at the concurrency cap -------------------------------------------- */

struct busy_fx {
	uv_loop_t loop;
	struct scheduler s;
	struct runner r;
	int calls;
	int busy_left; /* answer RW_EBUSY this many more times */
	uint64_t first_ms, ok_ms;
	int closed;
	int done;
	int timed_out;
	uv_timer_t end; /* ends the test */
};

static void busy_close_cb(uv_handle_t *h)
{
	struct scheduler *s = h->data;
	struct busy_fx *f = s->data;
	f->closed++;
}

/* Ends the test: when the runner was started, or after 3 s when it never was. */
static void end_cb(uv_timer_t *t)
{
	struct busy_fx *f = t->data;

	f->timed_out = !f->done;
	sched_close(&f->s, busy_close_cb);
	uv_close((uv_handle_t *)&f->end, NULL);
}

static int busy_start_cb(struct scheduler *s, struct runner *r, uint64_t late)
{
	struct busy_fx *f = s->data;

	(void)late;
	assert_ptr_equal(r, &f->r);
	if (f->calls++ == 0)
		f->first_ms = uv_now(s->loop);
	if (f->busy_left > 0) {
		f->busy_left--;
		return RW_EBUSY;
	}
	f->ok_ms = uv_now(s->loop);
	/* Started: end the test from the next loop iteration. */
	f->done = 1;
	uv_timer_start(&f->end, end_cb, 0, 0);
	return 0;
}

static void test_busy_retries_soon(void **state)
{
	struct busy_fx *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(sched_init(&f->s, &f->loop, busy_start_cb), 0);
	f->s.data = f;
	f->busy_left = 3;
	f->r.id = 77;
	f->r.heap_idx = SIZE_MAX;
	/* A retry at the next slot would come 300 ms later; a retry at the cap
	 * comes a millisecond later. */
	f->r.params.interval_ms = 300;
	assert_int_equal(sched_add(&f->s, &f->r), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->end), 0);
	f->end.data = f;
	assert_int_equal(uv_timer_start(&f->end, end_cb, 3000, 0), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->timed_out, 0);
	assert_int_equal(f->calls, 4);
	assert_int_equal(f->busy_left, 0);
	assert_true(f->ok_ms - f->first_ms < 150);
	assert_int_equal(f->closed, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
}

/* A runner added while the loop's cached time is stale (start-up loads
 * the fleet before the loop runs) gets a slot after the current time, not
 * one that is already due. */
static void test_add_uses_current_time(void **state)
{
	uv_loop_t loop;
	struct scheduler s;
	struct runner r = {.id = 5, .heap_idx = SIZE_MAX};
	uint64_t stale;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sched_init(&s, &loop, NULL), 0);
	r.params.interval_ms = 60000;
	stale = uv_now(&loop);
	usleep(120 * 1000); /* the loop does not run: its time stays stale */
	assert_int_equal(uv_now(&loop), stale);
	assert_int_equal(sched_add(&s, &r), 0);
	assert_true(uv_now(&loop) >= stale + 120);
	assert_true(r.due > uv_now(&loop));
	sched_close(&s, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* sched_reanchor(): runners whose slots passed while the loop did not run
 * get their next slot after the current time; the others keep theirs. */
static void test_reanchor(void **state)
{
	uv_loop_t loop;
	struct scheduler s;
	struct runner rs[20];
	uint64_t far_due;

	(void)state;
	memset(rs, 0, sizeof(rs));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sched_init(&s, &loop, NULL), 0);
	for (size_t i = 0; i < 20; i++) {
		rs[i].id = (int64_t)i + 1;
		rs[i].heap_idx = SIZE_MAX;
		rs[i].params.interval_ms = i == 0 ? 3600000 : 100;
		assert_int_equal(sched_add(&s, &rs[i]), 0);
	}
	far_due = rs[0].due;
	usleep(250 * 1000); /* every 100 ms slot chosen above has passed */
	uv_update_time(&loop);
	for (size_t i = 1; i < 20; i++)
		assert_true(rs[i].due <= uv_now(&loop));
	sched_reanchor(&s);
	for (size_t i = 1; i < 20; i++)
		assert_true(rs[i].due > uv_now(&loop));
	assert_int_equal(rs[0].due, far_due);
	/* Still a heap: the earliest is on top. */
	for (size_t i = 0; i < 20; i++)
		assert_true(s.heap[0]->due <= rs[i].due);
	sched_close(&s, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_phase_range),
	        cmocka_unit_test(test_phase_spread),
	        cmocka_unit_test(test_heap_invariants),
	        cmocka_unit_test(test_loop_schedule),
	        cmocka_unit_test(test_busy_retries_soon),
	        cmocka_unit_test(test_add_uses_current_time),
	        cmocka_unit_test(test_reanchor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
