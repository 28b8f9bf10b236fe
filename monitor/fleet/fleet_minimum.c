/* SPDX-License-Identifier: MIT */
/*
 * fleet_minimum.c — each target's pool against the policy's
 * pool.min_runners, for the people who keep the pool filled; see fleet.h.
 *
 * Two counts per pool: `eligible` (what GET /v1/route?target=T lists as
 * eligible) and `unknown` (approved runners excluded only because the
 * monitor does not know their state: after a restart, or while it is
 * blind). A pool falls below its minimum when eligible + unknown < min and
 * is restored when eligible >= min: the monitor's own uncertainty neither
 * raises nor clears the alarm, so a restart that makes every runner unknown
 * for a few minutes announces nothing.
 *
 *     (not judged) --eligible + unknown < min--> BELOW
 *     (not judged) --eligible >= min (silent)--> MET
 *     MET   --eligible + unknown < min: "pool_below_min"--> BELOW
 *     BELOW --eligible >= min: "pool_restored"-----------> MET
 *
 * Runners' eligibility is read as last announced (r->elig_code), which is
 * what the events and the route say.
 */
#include "monitor/fleet/fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "policy/base/strbuf.h"

static void judge(struct fleet *f, struct target_pool *p, int64_t now_ms)
{
	uint32_t min = f->pol->pool.min_runners;
	size_t eligible = 0, unknown = 0;
	int to;
	struct store_rec rec = {.kind = STORE_REC_EVENT};
	struct strbuf b;
	struct logline l;

	for (size_t i = 0; i < p->n; i++) {
		const struct runner *r = p->v[i];
		if (r->status != STORE_RUNNER_APPROVED || r->removed)
			continue;
		if (r->elig_code == 0)
			eligible++;
		else if (r->elig_code < 0 || r->elig_code == STORE_REASON_UNKNOWN)
			unknown++;
	}
	if (eligible >= min)
		to = FLEET_POOL_MET;
	else if (eligible + unknown < min)
		to = FLEET_POOL_BELOW;
	else
		return; /* uncertain: the last judgement stands */
	if (to == p->min_state)
		return;
	if (p->min_state == 0 && to == FLEET_POOL_MET) {
		p->min_state = to; /* never below: nothing to announce */
		return;
	}
	strbuf_init(&b);
	strbuf_puts(&b, "{\"target\":");
	strbuf_json_str(&b, p->triple);
	strbuf_printf(&b, ",\"eligible\":%zu,\"unknown\":%zu,\"min_runners\":%u}", eligible,
	              unknown, (unsigned)min);
	rec.u.event.data = strbuf_take(&b, NULL);
	if (!rec.u.event.data) {
		strbuf_deinit(&b);
		log_msg(RW_LOG_ERROR, "out of memory for a pool event", "target", p->triple);
		f->minimums_dirty = true; /* judged again at the next tick */
		return;
	}
	rec.u.event.at_ms = now_ms;
	rec.u.event.kind = to == FLEET_POOL_BELOW ? STORE_EV_POOL_BELOW : STORE_EV_POOL_RESTORED;
	writer_push(f->writer, &rec); /* the writer owns the data now */
	f->m->events++;
	p->min_state = to;
	if (log_begin(&l, to == FLEET_POOL_BELOW ? RW_LOG_WARN : RW_LOG_INFO,
	              to == FLEET_POOL_BELOW ? "pool below its minimum" : "pool restored")) {
		log_str(&l, "target", p->triple);
		log_int(&l, "eligible", (int64_t)eligible);
		log_int(&l, "unknown", (int64_t)unknown);
		log_int(&l, "min_runners", min);
		log_end(&l);
	}
}

static struct target_pool *pool_of(struct fleet *f, const char *triple)
{
	for (size_t i = 0; i < f->n_pools; i++)
		if (strcmp(f->pools[i].triple, triple) == 0)
			return &f->pools[i];
	return NULL;
}

void fleet_check_minimum(struct fleet *f, const struct runner *r, int64_t now_ms)
{
	for (size_t i = 0; i < r->n_targets; i++) {
		struct target_pool *p = pool_of(f, r->targets[i]);
		if (!p)
			continue;
		if (f->batch) {
			p->min_dirty = true;
			f->batch_pools = true;
		} else {
			judge(f, p, now_ms);
		}
	}
}

void fleet_batch_begin(struct fleet *f)
{
	f->batch++;
}

void fleet_batch_end(struct fleet *f, int64_t now_ms)
{
	if (f->batch > 0 && --f->batch > 0)
		return;
	if (!f->batch_pools)
		return;
	f->batch_pools = false;
	for (size_t i = 0; i < f->n_pools; i++) {
		if (f->pools[i].min_dirty) {
			f->pools[i].min_dirty = false;
			judge(f, &f->pools[i], now_ms);
		}
	}
}

void fleet_check_minimums(struct fleet *f, int64_t now_ms)
{
	for (size_t i = 0; i < f->n_pools; i++)
		judge(f, &f->pools[i], now_ms);
}

void fleet_minimum_restore(struct fleet *f, const char *target, bool below)
{
	struct target_pool *p = pool_of(f, target);

	if (p)
		p->min_state = below ? FLEET_POOL_BELOW : FLEET_POOL_MET;
	f->minimums_dirty = true;
}
