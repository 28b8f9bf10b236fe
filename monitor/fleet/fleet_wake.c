/* SPDX-License-Identifier: MIT */
/*
 * fleet_wake.c — which runners the one-second tick must look at; see
 * fleet.h (fleet_touch(), fleet_wake_at()).
 *
 * The tick once judged every runner every second (staleness, the
 * missed-heartbeat rule, then its eligibility): work that grew with the
 * fleet, on the loop. Now a runner is looked at by a tick only when
 *
 *   - its inputs changed since the last tick (a result, a registry or
 *     policy change, a flag, the monitor's blindness): fleet_touch() puts
 *     it on the fleet's list of runners to judge at the next tick; or
 *   - the time has come at which, with no new input, its verdict could
 *     change (fleet_wake_at()): the fleet keeps every runner in a min-heap
 *     by that time, and the tick takes out those that are due.
 *
 * fleet_wake_at() may be early (a look that finds nothing to do costs a
 * little), never late: a late wake would announce a change after the tick
 * at which the old code announced it. Its terms are exactly the
 * time-dependent parts of the tick's work:
 *
 *   staleness        an http or GitHub runner's evidence goes stale at
 *                    last sample + stale (runstate_advance() acts when
 *                    now > that): wake one millisecond after;
 *   missed heartbeat a push runner, approved and not down, is judged when
 *                    now > base + interval + grace (fleet.c's push_check):
 *                    one millisecond after;
 *   probation        fleet_in_probation() ends at created + probation_days;
 *   maintenance      credited maintenance lies inside a declared window
 *                    [start, end): a runner outside every window wakes at
 *                    the next start; one inside any window is looked at
 *                    every tick (its notice, the month's cap and the
 *                    service window decide within the window, and few
 *                    runners are in one at a time).
 *
 * Everything else in fleet_exclusion() (status, state, the last error
 * class, the flag) changes only with an input, which touches the runner.
 * The wall clock (clock.h) never goes backwards; if the times given ever
 * did, every runner is looked at once (fleet_advance()).
 *
 * Invariants: a runner of the fleet is in the heap (wake_idx its index) or
 * has no wake time (wake_idx SIZE_MAX, wake_ms INT64_MAX), and is on the
 * list at most once (wake_listed). A runner taken out of the fleet is in
 * neither (fleet_wake_forget()). This file calls nothing else in the fleet.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/fleet/fleet.h"

#define DAY_MS ((int64_t)86400000)

/* ---- the heap ------------------------------------------------------------- */

static void heap_set(struct fleet *f, size_t i, struct runner *r)
{
	f->wheap[i] = r;
	r->wake_idx = i;
}

static void sift_up(struct fleet *f, size_t i)
{
	struct runner *r = f->wheap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (f->wheap[p]->wake_ms <= r->wake_ms)
			break;
		heap_set(f, i, f->wheap[p]);
		i = p;
	}
	heap_set(f, i, r);
}

static void sift_down(struct fleet *f, size_t i)
{
	struct runner *r = f->wheap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= f->n_wheap)
			break;
		if (c + 1 < f->n_wheap && f->wheap[c + 1]->wake_ms < f->wheap[c]->wake_ms)
			c++;
		if (f->wheap[c]->wake_ms >= r->wake_ms)
			break;
		heap_set(f, i, f->wheap[c]);
		i = c;
	}
	heap_set(f, i, r);
}

static void heap_remove(struct fleet *f, struct runner *r)
{
	size_t i = r->wake_idx;
	struct runner *last;

	if (i == SIZE_MAX)
		return;
	r->wake_idx = SIZE_MAX;
	last = f->wheap[--f->n_wheap];
	if (last == r)
		return;
	heap_set(f, i, last);
	sift_down(f, i);
	sift_up(f, last->wake_idx);
}

/* Puts @p r in the heap at @p wake_ms, or takes it out for INT64_MAX.
 * @return 0 or RW_ENOMEM (r is then not in the heap). */
static int heap_put(struct fleet *f, struct runner *r, int64_t wake_ms)
{
	if (wake_ms == INT64_MAX) {
		heap_remove(f, r);
		r->wake_ms = INT64_MAX;
		return 0;
	}
	if (r->wake_idx != SIZE_MAX) {
		r->wake_ms = wake_ms;
		sift_down(f, r->wake_idx);
		sift_up(f, r->wake_idx);
		return 0;
	}
	if (f->n_wheap == f->cap_wheap) {
		size_t ncap = f->cap_wheap ? f->cap_wheap * 2 : 256;
		struct runner **nv = realloc(f->wheap, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		f->wheap = nv;
		f->cap_wheap = ncap;
	}
	r->wake_ms = wake_ms;
	heap_set(f, f->n_wheap++, r);
	sift_up(f, r->wake_idx);
	return 0;
}

/* ---- the list of runners to judge at the next tick -------------------------- */

void fleet_touch(struct fleet *f, struct runner *r)
{
	if (r->wake_listed || r->removed)
		return;
	if (f->n_due == f->cap_due) {
		size_t ncap = f->cap_due ? f->cap_due * 2 : 256;
		struct runner **nv = realloc(f->due, ncap * sizeof(*nv));
		if (!nv) {
			/* No room to remember which: look at all of them. */
			f->due_all = true;
			return;
		}
		f->due = nv;
		f->cap_due = ncap;
	}
	r->wake_listed = true;
	f->due[f->n_due++] = r;
}

void fleet_touch_all(struct fleet *f)
{
	f->due_all = true;
}

void fleet_wake_forget(struct fleet *f, struct runner *r)
{
	heap_remove(f, r);
	r->wake_ms = INT64_MAX;
	if (r->wake_listed) {
		for (size_t i = 0; i < f->n_due; i++) {
			if (f->due[i] == r) {
				memmove(&f->due[i], &f->due[i + 1],
				        (f->n_due - i - 1) * sizeof(*f->due));
				f->n_due--;
				break;
			}
		}
		r->wake_listed = false;
	}
}

static int cmp_id(const void *pa, const void *pb)
{
	const struct runner *a = *(const struct runner *const *)pa;
	const struct runner *b = *(const struct runner *const *)pb;
	return (a->id > b->id) - (a->id < b->id);
}

size_t fleet_wake_collect(struct fleet *f, int64_t now_ms)
{
	if (f->due_all) {
		/* Every runner, in id order (the fleet's own). */
		struct runner **nv =
		        f->n > f->cap_due ? realloc(f->due, f->n * sizeof(*nv)) : f->due;
		if (nv) {
			f->due = nv;
			if (f->n > f->cap_due)
				f->cap_due = f->n;
			for (size_t i = 0; i < f->n_due; i++)
				f->due[i]->wake_listed = false;
			for (size_t i = 0; i < f->n; i++) {
				f->v[i]->wake_listed = true;
				f->due[i] = f->v[i];
			}
			f->n_due = f->n;
			f->due_all = false;
			return f->n_due;
		}
		/* Still no memory: what is due and listed now, and all next time. */
	}
	while (f->n_wheap > 0 && f->wheap[0]->wake_ms <= now_ms) {
		struct runner *r = f->wheap[0];
		bool listed = r->wake_listed;
		heap_remove(f, r);
		r->wake_ms = INT64_MAX;
		fleet_touch(f, r);
		if (!listed && !r->wake_listed)
			break; /* out of memory: due_all is set */
	}
	if (f->n_due > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(f->due, f->n_due, sizeof(*f->due), cmp_id);
	return f->n_due;
}

int64_t fleet_wake_at(const struct fleet *f, const struct runner *r, int64_t now_ms)
{
	int64_t w = INT64_MAX, p;

	if (r->push) {
		if (r->status == STORE_RUNNER_APPROVED && r->rs.state != RW_STATE_DOWN) {
			int64_t base =
			        r->rs.last_sample_ms >= 0 ? r->rs.last_sample_ms : r->rs.since_ms;
			if (base < f->seeing_since_ms)
				base = f->seeing_since_ms;
			w = base + r->params.interval_ms + r->grace_ms + 1;
		}
	} else if (r->rs.last_sample_ms >= 0) {
		w = r->rs.last_sample_ms +
		    (r->params.stale_ms > 0 ? r->params.stale_ms : 2 * r->params.interval_ms) + 1;
	}
	p = r->created_ms + (int64_t)f->pol->flagging.probation_days * DAY_MS;
	if (p > now_ms && p < w)
		w = p;
	for (size_t i = 0; i < r->n_mw; i++) {
		const struct rw_maintenance *m = &r->mw[i];
		if (m->start_ms <= now_ms && now_ms < m->end_ms)
			return now_ms + 1; /* inside a window: every tick */
		if (m->start_ms > now_ms && m->start_ms < w)
			w = m->start_ms;
	}
	return w;
}

void fleet_wake_reschedule(struct fleet *f, int64_t now_ms)
{
	for (size_t i = 0; i < f->n_due; i++) {
		struct runner *r = f->due[i];
		r->wake_listed = false;
		if (heap_put(f, r, fleet_wake_at(f, r, now_ms)) < 0) {
			/* Not in the heap: it would never wake. Look at every
			 * runner at the next tick, which puts it back. */
			r->wake_ms = INT64_MAX;
			f->due_all = true;
		}
	}
	f->n_due = 0;
}

void fleet_wake_deinit(struct fleet *f)
{
	free(f->wheap);
	free(f->due);
	f->wheap = f->due = NULL;
	f->n_wheap = f->cap_wheap = f->n_due = f->cap_due = 0;
}
