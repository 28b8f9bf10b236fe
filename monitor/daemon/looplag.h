/* SPDX-License-Identifier: MIT */
/*
 * looplag.h — how long each iteration of the event loop kept it from
 * polling: the worst delay any ready event could have waited.
 *
 * A one-second timer's lateness (the daemon's tick) sees only the stalls
 * that cover its due time: a 500 ms stall right after a tick delays every
 * API answer and probe by up to 500 ms and the next tick not at all. So
 * every iteration is measured: a prepare handle runs just before the loop
 * blocks in the kernel (epoll), and libuv's idle-time metric
 * (UV_METRICS_IDLE_TIME, libuv >= 1.39) counts exactly the time spent
 * blocked there. Between two prepare callbacks, the elapsed time minus the
 * idle time is the time the loop spent running callbacks (I/O, timers,
 * checks, closes): the iteration's lag. No check handle is needed: the
 * idle-time metric already splits the poll phase into waiting and work.
 *
 * That lag is wall time: on a busy machine it also counts the time other
 * processes held the CPU while the loop had work. With looplag_cpu(), each
 * iteration's CPU time on the loop's thread (CLOCK_THREAD_CPUTIME_ID) is
 * measured too: the loop's own work, whatever else runs.
 *
 * Lifecycle: looplag_start() starts the prepare handle (unreferenced, so
 * it never keeps the loop alive); the owner closes &ll->prepare, whose
 * data field is the owner's (for its close callback).
 */
#ifndef RW_LOOPLAG_H
#define RW_LOOPLAG_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/metrics.h"

struct looplag {
	uv_prepare_t prepare; /* prepare.data: the owner's */
	uint64_t t_prev;      /* uv_hrtime() at the previous prepare */
	uint64_t idle_prev;   /* uv_metrics_idle_time() then */
	bool primed;          /* t_prev and idle_prev are set */
	double *max_s;        /* the owner's: raised to the longest iteration */
	double last_s;        /* the last iteration's lag */
	/* looplag_cpu(): the thread's CPU time at the previous prepare, and
	 * where each iteration's is observed (NULL: not measured). */
	uint64_t cpu_prev;
	struct histogram *cpu_hist;
	double *cpu_max_s;
};

/**
 * Enables the loop's idle-time metric and starts measuring; each
 * iteration's lag raises *@p max_s (seconds) when longer.
 * @return 0, or RW_EIO when libuv will not measure idle time.
 */
int looplag_start(struct looplag *ll, uv_loop_t *loop, double *max_s);

/** Also observes each iteration's CPU time on the loop's thread into
 *  @p hist and raises *@p max_s to the longest (call after looplag_start()). */
void looplag_cpu(struct looplag *ll, struct histogram *hist, double *max_s);

#endif
