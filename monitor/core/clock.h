/* SPDX-License-Identifier: MIT */
/*
 * clock.h — the wall clock as runwarden stores it: UTC milliseconds that
 * never go backwards.
 *
 * Stored timestamps are wall-clock time; scheduling uses libuv's monotonic
 * clock instead. When the wall clock steps back, clock_now_ms() holds at the
 * last value it returned until the wall clock catches up, so no duration
 * computed from its values is ever negative; it counts the jump once (a
 * reading below the previous reading), not once per reading while behind. A forward step shows up
 * as a gap between the daemon's ticks, which the daemon treats as blindness (unknown), never as
 * time a runner was seen up or down.
 *
 * Times as text (RFC 3339) are policy/base/rfc3339.h.
 */
#ifndef RW_CLOCK_H
#define RW_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct rw_clock {
	int64_t last_ms;      /* the last value returned */
	int64_t last_wall_ms; /* the wall clock as last read */
	uint64_t back_jumps;  /* how often the wall clock went backwards */
};

/** Starts a clock; nothing to free. */
void clock_init(struct rw_clock *c);

/** UTC milliseconds, never less than the previous call's result. */
int64_t clock_now_ms(struct rw_clock *c);

/**
 * What clock_now_ms() does with one reading @p wall_ms of the wall clock:
 * the value it returns, and the jump it counts (for tests, which feed it
 * readings).
 */
int64_t clock_observe(struct rw_clock *c, int64_t wall_ms);

/** The raw wall clock in UTC milliseconds (for one-shot CLI commands). */
int64_t clock_wall_ms(void);

#endif
