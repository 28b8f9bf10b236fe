/* SPDX-License-Identifier: MIT */
/* clock.c — a wall clock that never goes backwards; see clock.h. */
#include "monitor/core/clock.h"

#include <time.h>

void clock_init(struct rw_clock *c)
{
	c->last_ms = 0;
	c->back_jumps = 0;
}

int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(struct rw_clock *c)
{
	int64_t now = clock_wall_ms();
	if (now < c->last_ms) {
		c->back_jumps++;
		return c->last_ms;
	}
	c->last_ms = now;
	return now;
}
