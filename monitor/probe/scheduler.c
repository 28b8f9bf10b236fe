/* SPDX-License-Identifier: MIT */
/*
 * scheduler.c — a binary min-heap of runners on `due`; see scheduler.h.
 * Invariant: r->heap_idx is r's index in heap[] or SIZE_MAX, and the heap
 * property holds between calls.
 */
#include "monitor/probe/scheduler.h"

#include <stdlib.h>

#include "policy/base/rw_error.h"

/* Runners started per timer callback, so one callback stays short. */
#define SCHED_BUDGET 2000

/* Probe starts are batched: the timer fires on a 20 ms grid of the loop
 * clock and starts every runner due by then, so a runner starts up to 20 ms
 * after its slot (counted in the lateness histogram). A timer per slot meant
 * a loop wake-up, and a wake-up of the runner's side, per probe: at 1,000
 * probes/s, batching 20 starts per wake-up cut runwarden's CPU per probe by
 * ~25 % (tests/bench/probe_bench.sh). Slots, phases and jitter are
 * unchanged; the grid is far finer than any interval. */
#define SCHED_COALESCE_MS 20

static void swap(struct scheduler *s, size_t a, size_t b)
{
	struct runner *t = s->heap[a];
	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_idx = a;
	s->heap[b]->heap_idx = b;
}

static void sift_up(struct scheduler *s, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (s->heap[parent]->due <= s->heap[i]->due)
			break;
		swap(s, i, parent);
		i = parent;
	}
}

static void sift_down(struct scheduler *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->n && s->heap[l]->due < s->heap[m]->due)
			m = l;
		if (r < s->n && s->heap[r]->due < s->heap[m]->due)
			m = r;
		if (m == i)
			return;
		swap(s, i, m);
		i = m;
	}
}

uint64_t sched_phase(int64_t id, uint64_t interval_ms)
{
	/* splitmix64: consecutive ids land far apart. */
	uint64_t z = (uint64_t)id + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return interval_ms ? z % interval_ms : 0;
}

static uint64_t jitter(struct scheduler *s, uint64_t interval_ms)
{
	uint64_t max = interval_ms / 100;
	if (max > 250)
		max = 250;
	if (max == 0)
		return 0;
	s->seed ^= s->seed << 13;
	s->seed ^= s->seed >> 7;
	s->seed ^= s->seed << 17;
	return s->seed % (max + 1);
}

static void timer_cb(uv_timer_t *t);

/* Arms the timer for the earliest due runner, rounded up to the next
 * multiple of SCHED_COALESCE_MS on the loop clock (a runner already due is
 * started at once). */
static void rearm(struct scheduler *s)
{
	uint64_t now = uv_now(s->loop), due, wait = 0;

	if (s->n == 0) {
		uv_timer_stop(&s->timer);
		return;
	}
	due = s->heap[0]->due;
	if (due > now) {
		due += (SCHED_COALESCE_MS - due % SCHED_COALESCE_MS) % SCHED_COALESCE_MS;
		wait = due - now;
	}
	uv_timer_start(&s->timer, timer_cb, wait, 0);
}

/* The first slot of r's phase strictly after now, plus jitter: slots missed
 * while the loop was busy are skipped, never made up in a burst. The slot is
 * chosen before the jitter is added, so jitter can never pull the current
 * slot back in front of now. */
static uint64_t next_slot(struct scheduler *s, const struct runner *r, uint64_t now)
{
	uint64_t interval = (uint64_t)r->params.interval_ms;
	uint64_t due = now - now % interval + sched_phase(r->id, interval);
	if (due <= now)
		due += interval;
	return due + jitter(s, interval);
}

static void timer_cb(uv_timer_t *t)
{
	struct scheduler *s = t->data;
	uint64_t now = uv_now(s->loop);
	int budget = SCHED_BUDGET;
	bool busy = false;

	while (s->n > 0 && s->heap[0]->due <= now && budget-- > 0) {
		struct runner *r = s->heap[0];
		uint64_t late = now - r->due;
		if (r->inflight) {
			s->skipped++;
		} else if (s->start_cb(s, r, late) == RW_EBUSY) {
			busy = true;
			break;
		}
		r->due = next_slot(s, r, now);
		sift_down(s, 0);
	}
	if (busy) /* at the concurrency cap: retry in a millisecond */
		uv_timer_start(&s->timer, timer_cb, 1, 0);
	else
		rearm(s);
}

int sched_init(struct scheduler *s, uv_loop_t *loop, sched_start_cb cb)
{
	s->loop = loop;
	s->heap = NULL;
	s->n = s->cap = 0;
	s->start_cb = cb;
	s->skipped = 0;
	s->seed = 0x2545f4914f6cdd1dULL ^ uv_hrtime();
	return uv_timer_init(loop, &s->timer) == 0 ? (s->timer.data = s, 0) : RW_ENOMEM;
}

int sched_add(struct scheduler *s, struct runner *r)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		struct runner **nh = realloc(s->heap, ncap * sizeof(*nh));
		if (!nh)
			return RW_ENOMEM;
		s->heap = nh;
		s->cap = ncap;
	}
	/* The loop's cached time is as old as the current callback, or, at
	 * start-up, as the loop: loading a large fleet takes a second or more,
	 * and slots chosen from the stale time would all be due at once when
	 * the loop starts (a burst of probes, every one late). */
	uv_update_time(s->loop);
	r->due = next_slot(s, r, uv_now(s->loop));
	r->heap_idx = s->n;
	s->heap[s->n++] = r;
	sift_up(s, r->heap_idx);
	if (r->heap_idx == 0)
		rearm(s);
	return 0;
}

void sched_reanchor(struct scheduler *s)
{
	uint64_t now;

	uv_update_time(s->loop);
	now = uv_now(s->loop);
	for (size_t i = 0; i < s->n; i++)
		if (s->heap[i]->due <= now)
			s->heap[i]->due = next_slot(s, s->heap[i], now);
	/* Floyd's heap construction: O(n). */
	for (size_t i = s->n / 2; i-- > 0;)
		sift_down(s, i);
	rearm(s);
}

void sched_remove(struct scheduler *s, struct runner *r)
{
	size_t i = r->heap_idx;

	if (i == SIZE_MAX || i >= s->n || s->heap[i] != r)
		return;
	r->heap_idx = SIZE_MAX;
	s->n--;
	if (i == s->n)
		return;
	s->heap[i] = s->heap[s->n];
	s->heap[i]->heap_idx = i;
	sift_down(s, i);
	sift_up(s, i);
}

void sched_close(struct scheduler *s, uv_close_cb cb)
{
	for (size_t i = 0; i < s->n; i++)
		s->heap[i]->heap_idx = SIZE_MAX;
	free(s->heap);
	s->heap = NULL;
	s->n = s->cap = 0;
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, cb);
}
