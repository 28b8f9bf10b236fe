/* SPDX-License-Identifier: MIT */
/* looplag.c — every loop iteration's lag; see looplag.h. */
#include "monitor/daemon/looplag.h"

#include <stddef.h>

#include "policy/base/rw_error.h"

static void prepare_cb(uv_prepare_t *h)
{
	struct looplag *ll = (struct looplag *)((char *)h - offsetof(struct looplag, prepare));
	uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(h->loop);

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

int looplag_start(struct looplag *ll, uv_loop_t *loop, double *max_s)
{
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
