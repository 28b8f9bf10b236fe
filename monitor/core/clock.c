/* SPDX-License-Identifier: MIT */
/* clock.c — a wall clock that never goes backwards; see clock.h. */
#include "monitor/core/clock.h"

#include <time.h>

void clock_init(struct rw_clock *c)
{
	c->last_ms = 0;
	c->last_wall_ms = 0;
	c->back_jumps = 0;
}

int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A jump is a reading below the previous reading: while the wall clock
 * catches up with what was already returned, its readings are still
 * behind last_ms, but they are one jump, not one per reading. */
int64_t clock_observe(struct rw_clock *c, int64_t wall_ms)
{
	if (wall_ms < c->last_wall_ms)
		c->back_jumps++;
	c->last_wall_ms = wall_ms;
	if (wall_ms < c->last_ms)
		return c->last_ms;
	c->last_ms = wall_ms;
	return wall_ms;
}

int64_t clock_now_ms(struct rw_clock *c)
{
	return clock_observe(c, clock_wall_ms());
}
