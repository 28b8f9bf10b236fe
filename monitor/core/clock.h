/* SPDX-License-Identifier: MIT */
/*
 * clock.h — the wall clock as runwarden stores it: UTC milliseconds that
 * never go backwards.
 *
 * Stored timestamps are wall-clock time; scheduling uses libuv's monotonic
 * clock instead. When the wall clock steps back, clock_now_ms() holds at the
 * last value it returned (and counts the jump), so no duration computed from
 * its values is ever negative. A forward step shows up as a gap between the
 * daemon's ticks, which the daemon treats as blindness (unknown), never as
 * time a runner was seen up or down.
 *
 * Times as text (RFC 3339) are policy/base/rfc3339.h.
 */
#ifndef RW_CLOCK_H
#define RW_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct rw_clock {
	int64_t last_ms;     /* the last value returned */
	uint64_t back_jumps; /* how often the wall clock went backwards */
};

/** Starts a clock; nothing to free. */
void clock_init(struct rw_clock *c);

/** UTC milliseconds, never less than the previous call's result. */
int64_t clock_now_ms(struct rw_clock *c);

/** The raw wall clock in UTC milliseconds (for one-shot CLI commands). */
int64_t clock_wall_ms(void);

#endif
