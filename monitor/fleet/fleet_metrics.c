/* SPDX-License-Identifier: MIT */
/*
 * fleet_metrics.c — what the fleet reports to /metrics: runners by state,
 * flagged runners, per target the eligible and excluded runners by reason,
 * judged as the route query judges them, and per approved runner its
 * state, rolling-window uptime, floor, targets and last probe duration;
 * see fleet.h.
 *
 * Every family is rendered from memory at scrape time, never from SQLite.
 * The per-runner families are bounded by the registry: one set of series
 * per approved runner (pending and retired runners have none, so a retired
 * runner's series end with its retirement), and README.md ("Metrics") says
 * how many series a fleet of N runners makes.
 */
#include "monitor/fleet/fleet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

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
			counts[runner_state(f->v[i])]++;
}

/* The reason codes fleet_exclusion() returns, in the order /metrics lists them. */
static const char *const exclusion_reasons[] = {"pending", "maintenance", "down",
                                                "unknown", "flagged",     "probation",
                                                "retired", "no_pickup",   "below_min_online"};
#define N_REASONS (sizeof(exclusion_reasons) / sizeof(exclusion_reasons[0]))

/* One target's census: [0] eligible, [1 + k] excluded for exclusion_reasons[k];
 * counted: some runner serves it (else it is a target only the policy maps). */
struct census {
	const char *triple; /* owned by the walk */
	bool counted;
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

/* The states runwarden_runner_state lists for every runner, in order. */
static const enum rw_state runner_states[] = {RW_STATE_UNKNOWN, RW_STATE_UP, RW_STATE_DOWN,
                                              RW_STATE_MAINTENANCE};

/* The runners the per-runner families describe: approved and not retired. */
static bool runner_listed(const struct runner *r)
{
	return r->status == STORE_RUNNER_APPROVED && !r->removed;
}

/* `{runner="NAME",operator="OP"` (the brace left open for more labels). */
static void runner_labels(struct strbuf *b, const struct runner *r, bool with_operator)
{
	strbuf_puts(b, "{runner=");
	metrics_label_value(b, r->name ? r->name : "");
	if (with_operator) {
		strbuf_puts(b, ",operator=");
		metrics_label_value(b, r->operator_name ? r->operator_name : "");
	}
}

/*
 * The per-runner families. The state a runner is reported in is the one the
 * route query sees: credited maintenance first (fleet_in_maintenance(), as
 * fleet_exclusion() orders it), else its state machine's. The uptime is
 * account_period() over the policy's rolling window, from memory, exactly as
 * GET /v1/route computes a runner's "uptime" (absent while the window holds
 * no up or down time, where the route says null). The floor is the one the
 * flags and verdicts use (the strictest of its targets' tiers).
 *
 * A walk renders them family by family, runner by runner in id order, and
 * can stop between runners and go on later (from the first runner after the
 * last one done: runners that join or leave meanwhile are simply there or
 * not), so that /metrics of 100,000 runners never holds the loop for long.
 * The per-target census is counted the same way before it is written.
 */
enum walk_phase {
	WALK_CENSUS,
	WALK_TARGETS,
	WALK_STATE,
	WALK_UPTIME,
	WALK_FLOOR,
	WALK_DURATION,
	WALK_TARGET_INFO,
	WALK_DONE
};

static const char *const family_help[][3] = {
        [WALK_STATE] = {"runwarden_runner_state", "gauge",
                        "1 for the state each approved runner is in now (unknown, up, down, "
                        "maintenance), 0 for the others."},
        [WALK_UPTIME] = {"runwarden_runner_uptime_ratio", "gauge",
                         "Each approved runner's uptime, up / (up + down), over the policy's "
                         "rolling window, as the route query computes it."},
        [WALK_FLOOR] = {"runwarden_runner_floor_ratio", "gauge",
                        "The uptime floor the policy holds each approved runner to (the "
                        "strictest of its targets' tiers)."},
        [WALK_DURATION] = {"runwarden_runner_probe_duration_seconds", "gauge",
                           "How long each approved runner's last answered probe took."},
        [WALK_TARGET_INFO] = {"runwarden_runner_target_info", "gauge",
                              "Always 1: each approved runner's targets, with the tier the "
                              "policy maps each to (default when it maps none)."},
};

/* One runner's series of the family of @p phase. */
static void render_one(const struct fleet *f, const struct runner *r, int phase, int64_t now_ms,
                       struct strbuf *b)
{
	if (!runner_listed(r))
		return;
	switch (phase) {
	case WALK_STATE: {
		enum rw_state now_state =
		        fleet_in_maintenance(f, r, now_ms) ? RW_STATE_MAINTENANCE : runner_state(r);
		for (size_t k = 0; k < sizeof(runner_states) / sizeof(runner_states[0]); k++) {
			strbuf_puts(b, "runwarden_runner_state");
			runner_labels(b, r, true);
			strbuf_printf(b, ",state=\"%s\"} %d\n", rw_state_name(runner_states[k]),
			              runner_states[k] == now_state);
		}
		break;
	}
	case WALK_UPTIME: {
		struct rw_availability a;
		/* The one judgement every view makes (fleet_judge()), in ppm. */
		fleet_judge(f, r, now_ms, now_ms - (int64_t)f->pol->window.rolling_days * 86400000,
		            now_ms, &a);
		if (!a.has_uptime)
			break;
		strbuf_puts(b, "runwarden_runner_uptime_ratio");
		runner_labels(b, r, true);
		strbuf_puts(b, "} ");
		metrics_value(b, a.uptime_ppm / 1e6);
		strbuf_puts(b, "\n");
		break;
	}
	case WALK_FLOOR:
		strbuf_puts(b, "runwarden_runner_floor_ratio");
		runner_labels(b, r, true);
		strbuf_puts(b, "} ");
		metrics_value(b, r->floor_ppm / 1e6);
		strbuf_puts(b, "\n");
		break;
	case WALK_DURATION:
		if (r->last_latency_us < 0)
			break;
		strbuf_puts(b, "runwarden_runner_probe_duration_seconds");
		runner_labels(b, r, false);
		strbuf_puts(b, "} ");
		metrics_value(b, r->last_latency_us / 1e6);
		strbuf_puts(b, "\n");
		break;
	case WALK_TARGET_INFO:
		for (size_t k = 0; k < r->n_targets; k++) {
			int tier = policy_target_tier(f->pol, r->targets[k]);
			strbuf_puts(b, "runwarden_runner_target_info");
			runner_labels(b, r, false);
			strbuf_puts(b, ",target=");
			metrics_label_value(b, r->targets[k]);
			if (tier)
				strbuf_printf(b, ",tier=\"%d\"} 1\n", tier);
			else
				strbuf_puts(b, ",tier=\"default\"} 1\n");
		}
		break;
	}
}

static int cmp_census(const void *pa, const void *pb)
{
	return strcmp(((const struct census *)pa)->triple, ((const struct census *)pb)->triple);
}

/* Counts runner @p r in the census of each of its targets. */
static void census_runner(const struct fleet *f, struct fleet_metrics_walk *w,
                          const struct runner *r)
{
	size_t k = census_slot(fleet_exclusion(f, r, w->now_ms));

	if (k > N_REASONS)
		return;
	for (size_t t = 0; t < r->n_targets; t++) {
		struct census key = {.triple = r->targets[t]};
		struct census *c = bsearch(&key, w->census, w->n_census, sizeof(key), cmp_census);
		if (c && c->counted)
			c->n[k]++;
	}
}

int fleet_metrics_walk_init(struct fleet_metrics_walk *w, const struct fleet *f, int64_t now_ms)
{
	size_t n_pol = f->pol ? f->pol->n_targets : 0, n = 0;

	memset(w, 0, sizeof(*w));
	w->now_ms = now_ms;
	w->after_id = INT64_MIN;
	w->census = calloc(f->n_pools + n_pol + 1, sizeof(*w->census));
	if (!w->census)
		return RW_ENOMEM;
	/* Pools emptied by retirements are left out unless the policy maps
	 * their target: a target nobody serves any more is not an outage. */
	for (size_t i = 0; i < f->n_pools; i++) {
		if (f->pools[i].n == 0)
			continue;
		w->census[n].triple = strdup(f->pools[i].triple);
		w->census[n].counted = true;
		if (!w->census[n++].triple)
			goto fail;
	}
	for (size_t i = 0; i < n_pol; i++) {
		const struct target_pool *p = fleet_pool(f, f->pol->targets[i].triple);
		if (!p || p->n == 0) {
			w->census[n].triple = strdup(f->pol->targets[i].triple);
			if (!w->census[n++].triple)
				goto fail;
		}
	}
	w->n_census = n;
	if (n > 1)
		qsort(w->census, n, sizeof(*w->census), cmp_census);
	return 0;
fail:
	w->n_census = n;
	fleet_metrics_walk_deinit(w);
	return RW_ENOMEM;
}

void fleet_metrics_walk_deinit(struct fleet_metrics_walk *w)
{
	for (size_t i = 0; w->census && i < w->n_census; i++)
		free((char *)w->census[i].triple);
	free(w->census);
	w->census = NULL;
	w->n_census = 0;
}

/* The first runner with an id after @p id (f->v is sorted by id). */
static size_t first_after(const struct fleet *f, int64_t id)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->v[mid]->id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void render_targets(const struct fleet_metrics_walk *w, struct strbuf *b)
{
	metrics_family(b, "runwarden_target_eligible_runners", "gauge",
	               "Runners the route query lists as eligible for a target now.");
	for (size_t i = 0; i < w->n_census; i++) {
		strbuf_puts(b, "runwarden_target_eligible_runners{target=");
		metrics_label_value(b, w->census[i].triple);
		strbuf_printf(b, "} %llu\n", (unsigned long long)w->census[i].n[0]);
	}
	metrics_family(b, "runwarden_target_excluded_runners", "gauge",
	               "Runners of a target the route query excludes now, by reason.");
	for (size_t i = 0; i < w->n_census; i++) {
		for (size_t k = 0; k < N_REASONS; k++) {
			strbuf_puts(b, "runwarden_target_excluded_runners{target=");
			metrics_label_value(b, w->census[i].triple);
			strbuf_printf(b, ",reason=\"%s\"} %llu\n", exclusion_reasons[k],
			              (unsigned long long)w->census[i].n[1 + k]);
		}
	}
}

bool fleet_metrics_walk_step(const struct fleet *f, struct fleet_metrics_walk *w, struct strbuf *b,
                             uint64_t deadline_ns)
{
	while (w->phase != WALK_DONE) {
		size_t i;
		if (w->phase == WALK_TARGETS) {
			render_targets(w, b);
			w->phase++;
			continue;
		}
		if (w->after_id == INT64_MIN && w->phase >= WALK_STATE)
			metrics_family(b, family_help[w->phase][0], family_help[w->phase][1],
			               family_help[w->phase][2]);
		for (i = first_after(f, w->after_id); i < f->n; i++) {
			const struct runner *r = f->v[i];
			if (w->phase == WALK_CENSUS)
				census_runner(f, w, r);
			else
				render_one(f, r, w->phase, w->now_ms, b);
			w->after_id = r->id;
			/* A clock read is ~20 ns, a runner's lines ~1 µs. */
			if (deadline_ns && i + 1 < f->n && uv_hrtime() >= deadline_ns)
				return false;
		}
		w->phase++;
		w->after_id = INT64_MIN;
	}
	return true;
}

void fleet_render_metrics(const struct fleet *f, int64_t now_ms, struct strbuf *b)
{
	struct fleet_metrics_walk w;

	if (fleet_metrics_walk_init(&w, f, now_ms) < 0) {
		/* As any failed append would: the answer becomes a 503, not
		 * a page with families missing. */
		b->failed = true;
		return;
	}
	fleet_metrics_walk_step(f, &w, b, 0);
	fleet_metrics_walk_deinit(&w);
}
