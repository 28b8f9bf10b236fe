/* SPDX-License-Identifier: MIT */
/* looplag.c — every loop iteration's lag; see looplag.h. */
#include "monitor/daemon/looplag.h"

#include <stddef.h>
#include <time.h>

#include "policy/base/rw_error.h"

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void prepare_cb(uv_prepare_t *h)
{
	struct looplag *ll = (struct looplag *)((char *)h - offsetof(struct looplag, prepare));
	uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(h->loop);

	if (ll->cpu_hist) {
		uint64_t cpu = thread_cpu_ns();
		if (ll->primed && cpu >= ll->cpu_prev) {
			double s = (double)(cpu - ll->cpu_prev) / 1e9;
			histogram_observe(ll->cpu_hist, s);
			if (s > *ll->cpu_max_s)
				*ll->cpu_max_s = s;
		}
		ll->cpu_prev = cpu;
	}

	if (ll->primed) {
		uint64_t spent = now - ll->t_prev, waited = idle - ll->idle_prev;
		ll->last_s = spent > waited ? (double)(spent - waited) / 1e9 : 0;
		if (ll->last_s > *ll->max_s)
			*ll->max_s = ll->last_s;
	}
	ll->t_prev = now;
	ll->idle_prev = idle;
	ll->primed = true;
}

void looplag_cpu(struct looplag *ll, struct histogram *hist, double *max_s)
{
	ll->cpu_prev = thread_cpu_ns();
	ll->cpu_max_s = max_s;
	ll->cpu_hist = hist;
}

int looplag_start(struct looplag *ll, uv_loop_t *loop, double *max_s)
{
	ll->cpu_hist = NULL;
	ll->primed = false;
	ll->max_s = max_s;
	ll->last_s = 0;
	if (uv_loop_configure(loop, UV_METRICS_IDLE_TIME) != 0)
		return RW_EIO;
	/* Neither can fail on a live loop: libuv only sets fields. */
	uv_prepare_init(loop, &ll->prepare);
	uv_prepare_start(&ll->prepare, prepare_cb);
	uv_unref((uv_handle_t *)&ll->prepare);
	return 0;
}
