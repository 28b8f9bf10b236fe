/* SPDX-License-Identifier: MIT */
/*
 * scheduler.h — when each runner is probed.
 *
 * Probes are spread evenly over the interval: a runner's phase within its
 * interval is a hash of its id, so 10,000 runners at 60 s are ~167 probes a
 * second, not a burst, and the same runner keeps its slot across restarts.
 * A little jitter (at most 1 % of the interval, at most 250 ms) keeps
 * runners that share a phase apart. Due times follow the slot grid
 * (due += interval), so lateness never accumulates into drift.
 *
 * A min-heap on `due` (monotonic loop time) and one uv_timer_t armed for the
 * earliest due runner. When a runner is due while its previous probe is
 * still in flight, that slot is skipped and counted: a runner never has two
 * probes in flight. When the prober is at its concurrency cap, the runner
 * waits (lateness) rather than being skipped.
 *
 * Contract: sched_start_cb is called on the loop for each due runner; it
 * returns 0 when a probe started, RW_EBUSY at the concurrency cap (the runner
 * stays due and the scheduler retries shortly).
 */
#ifndef RW_SCHEDULER_H
#define RW_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/runner.h"

struct scheduler;
typedef int (*sched_start_cb)(struct scheduler *s, struct runner *r, uint64_t lateness_ms);

struct scheduler {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct runner **heap;
	size_t n, cap;
	sched_start_cb start_cb;
	uint64_t skipped; /* slots skipped because a probe was still in flight */
	uint64_t seed;    /* jitter PRNG state */
	void *data;       /* the owner's */
};

/** Initialises @p s on @p loop. @return 0 or RW_ENOMEM. */
int sched_init(struct scheduler *s, uv_loop_t *loop, sched_start_cb cb);

/** Schedules @p r at its next slot. @return 0 or RW_ENOMEM. */
int sched_add(struct scheduler *s, struct runner *r);

/**
 * Moves every runner whose slot has passed to its next slot after the
 * current time. For the end of start-up: the work after the fleet is
 * scheduled (evaluation, the API, the status page) can take a second at
 * 10,000 runners, and the slots it overran would otherwise all start at
 * once when the loop runs (a burst of late probes, each holding a handle).
 * No slot is lost: a runner that never had a probe gets its first one
 * within one interval, as at any start.
 */
void sched_reanchor(struct scheduler *s);

/** Takes @p r out of the schedule (no-op when not scheduled). */
void sched_remove(struct scheduler *s, struct runner *r);

/** The phase of runner @p id within @p interval_ms (exposed for tests). */
uint64_t sched_phase(int64_t id, uint64_t interval_ms);

/** Stops the timer and closes it; @p cb runs when closed. */
void sched_close(struct scheduler *s, uv_close_cb cb);

#endif
