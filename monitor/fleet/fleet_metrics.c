/* SPDX-License-Identifier: MIT */
/*
 * fleet_metrics.c — what the fleet reports to /metrics: runners by state,
 * flagged runners, and per target the eligible and excluded runners by
 * reason, judged as the route query judges them; see fleet.h.
 */
#include "monitor/fleet/fleet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "policy/base/rw_error.h"

size_t fleet_count_flagged(const struct fleet *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i]->flagged;
	return n;
}

void fleet_count_states(const struct fleet *f, uint64_t counts[RW_STATE_COUNT])
{
	memset(counts, 0, sizeof(uint64_t) * RW_STATE_COUNT);
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->status == STORE_RUNNER_APPROVED)
			counts[f->v[i]->rs.state]++;
}

/* The reason codes fleet_exclusion() returns, in the order /metrics lists them. */
static const char *const exclusion_reasons[] = {"pending", "maintenance", "down",
                                                "unknown", "flagged",     "probation",
                                                "retired", "no_pickup",   "below_min_online"};
#define N_REASONS (sizeof(exclusion_reasons) / sizeof(exclusion_reasons[0]))

/* One target's census: [0] eligible, [1 + k] excluded for exclusion_reasons[k]. */
struct census {
	const char *triple;
	uint64_t n[1 + N_REASONS];
};

/* The census slot of an exclusion reason (NULL: eligible, slot 0). */
static size_t census_slot(const char *why)
{
	if (!why)
		return 0;
	for (size_t k = 0; k < N_REASONS; k++)
		if (strcmp(why, exclusion_reasons[k]) == 0)
			return 1 + k;
	return 1 + N_REASONS; /* a reason this list lacks: not counted */
}

static void census_pool(const struct fleet *f, const struct target_pool *p, int64_t now_ms,
                        struct census *c)
{
	for (size_t i = 0; i < p->n; i++) {
		size_t k = census_slot(fleet_exclusion(f, p->v[i], now_ms));
		if (k <= N_REASONS)
			c->n[k]++;
	}
}

void fleet_render_metrics(const struct fleet *f, int64_t now_ms, struct strbuf *b)
{
	size_t n_pol = f->pol ? f->pol->n_targets : 0, n = 0;
	struct census *c = calloc(f->n_pools + n_pol + 1, sizeof(*c));

	if (!c) {
		/* As any failed append would: the answer becomes a 503, not
		 * a page with families missing. */
		b->failed = true;
		return;
	}
	/* Pools emptied by retirements are left out unless the policy maps
	 * their target: a target nobody serves any more is not an outage. */
	for (size_t i = 0; i < f->n_pools; i++) {
		if (f->pools[i].n == 0)
			continue;
		c[n].triple = f->pools[i].triple;
		census_pool(f, &f->pools[i], now_ms, &c[n++]);
	}
	for (size_t i = 0; i < n_pol; i++) {
		const struct target_pool *p = fleet_pool(f, f->pol->targets[i].triple);
		if (!p || p->n == 0)
			c[n++].triple = f->pol->targets[i].triple;
	}
	metrics_family(b, "runwarden_target_eligible_runners", "gauge",
	               "Runners the route query lists as eligible for a target now.");
	for (size_t i = 0; i < n; i++) {
		strbuf_puts(b, "runwarden_target_eligible_runners{target=");
		metrics_label_value(b, c[i].triple);
		strbuf_printf(b, "} %llu\n", (unsigned long long)c[i].n[0]);
	}
	metrics_family(b, "runwarden_target_excluded_runners", "gauge",
	               "Runners of a target the route query excludes now, by reason.");
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < N_REASONS; k++) {
			strbuf_puts(b, "runwarden_target_excluded_runners{target=");
			metrics_label_value(b, c[i].triple);
			strbuf_printf(b, ",reason=\"%s\"} %llu\n", exclusion_reasons[k],
			              (unsigned long long)c[i].n[1 + k]);
		}
	}
	free(c);
}
