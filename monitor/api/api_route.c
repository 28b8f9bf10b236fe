/* SPDX-License-Identifier: MIT */
/*
 * api_route.c — the read endpoints CI scheduling and operators poll:
 * GET /v1/route (from memory, with a per-pool answer cache) and
 * GET /v1/runners/{id}/availability (memory, and the store for older time).
 * Both judge through account_judge() (fleet_judge() for the route), as the
 * status page, flags, what-if and the monthly report do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/answer.h"
#include "monitor/api/api_impl.h"
#include "monitor/core/clock.h"
#include "monitor/fleet/blind.h"
#include "monitor/fleet/fleet.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"
#include "policy/base/rfc3339.h"

#define API_ROUTE_CACHE_MS 1000
#define API_MAX_RANGE_MS   (3660LL * 86400 * 1000)

/* A vantage point whose heartbeat (vantages.last_tick_ms, written with every
 * one-second tick, a writer batch of at most 100 ms later) is older than
 * this has stopped, or cannot write: its daemon holds nothing, and the
 * answer shows it "unknown" from its last heartbeat. Ten ticks leave room
 * for a slow commit without calling a live vantage stopped. */

/* Appends a ratio in ppm, truncated to six decimals as every report prints
 * it (so that a runner shown at its floor meets it), or null. */
static void json_ppm(struct strbuf *b, bool has, uint32_t ppm)
{
	if (has)
		strbuf_printf(b, "%" PRIu32 ".%06" PRIu32, ppm / 1000000, ppm % 1000000);
	else
		strbuf_puts(b, "null");
}

/* Availability of runner @p sr over [from, to): account_judge() of its
 * stored intervals before its in-memory history and that history after
 * (memory is authoritative from its first entry), its maintenance windows
 * from the store (from a month before `from`, so the monthly cap sees the
 * whole month), the policy's service window, and its registration and
 * retirement. A runner the fleet does not hold (retired) is read from the
 * store alone. */
static int availability(const struct api_ctx *x, const struct store_runner *sr, int64_t from,
                        int64_t to, int64_t now, struct rw_availability *out, int64_t *maint_used)
{
	struct runner *r = fleet_find(x->fleet, sr->id);
	struct rw_interval *iv = NULL, *all;
	struct store_maintenance *ms = NULL;
	struct rw_maintenance *mw = NULL;
	struct account_input in;
	size_t n = 0, keep = 0, n_ms = 0, n_mem = r ? r->n_hist : 0;
	int64_t mem_start = n_mem ? r->hist[0].start_ms : INT64_MAX;
	uint32_t floor_ppm;
	int rc = 0;

	if (from < mem_start) {
		rc = store_intervals(x->st, sr->id, from, to, &iv, &n);
		if (rc < 0)
			return rc;
		while (keep < n && iv[keep].start_ms < mem_start)
			keep++;
	}
	rc = store_maintenance_list(x->st, sr->id, from - 32LL * 86400000, to, false, &ms, &n_ms);
	if (rc < 0) {
		free(iv);
		return rc;
	}
	all = malloc((keep + n_mem + 1) * sizeof(*all));
	mw = malloc((n_ms + 1) * sizeof(*mw));
	if (!all || !mw) {
		rc = RW_ENOMEM;
		goto out;
	}
	if (keep)
		memcpy(all, iv, keep * sizeof(*all));
	if (n_mem)
		memcpy(all + keep, r->hist, n_mem * sizeof(*all));
	for (size_t i = 0; i < n_ms; i++) {
		mw[i].start_ms = ms[i].start_ms;
		mw[i].end_ms = ms[i].end_ms;
		mw[i].declared_ms = ms[i].declared_ms;
	}
	if (r) {
		fleet_input(x->fleet, r, now, &in);
		floor_ppm = r->floor_ppm;
	} else {
		memset(&in, 0, sizeof(in));
		in.created_ms = sr->created_ms;
		/* Retired without a time (older databases): at registration,
		 * as the monthly report reads it. */
		if (sr->status == STORE_RUNNER_RETIRED)
			in.retired_ms = sr->retired_ms > 0 ? sr->retired_ms : sr->created_ms;
		floor_ppm = policy_floor_ppm(x->policy, (const char *const *)sr->targets,
		                             sr->n_targets);
	}
	in.iv = all;
	in.n_iv = keep + n_mem;
	in.mw = mw;
	in.n_mw = n_ms;
	in.policy = x->policy;
	in.now_ms = now;
	account_judge(&in, from, to, floor_ppm, out);
	*maint_used = account_maintenance_used(&in, to - 1);
out:
	free(all);
	free(mw);
	free(iv);
	store_maintenance_free(ms, n_ms);
	return rc;
}

/* This daemon's own blindness now, if any: *since_ms its earliest active
 * cause's start. GitHub's API being unreadable blinds GitHub's pools only,
 * not the vantage. */
static bool own_blind(const struct api_ctx *x, int64_t *since_ms)
{
	bool blind = false;

	for (int c = 1; x->blind && c < STORE_BLIND_CAUSE_COUNT; c++) {
		if (c == STORE_BLIND_GITHUB_API ||
		    !blind_active(x->blind, (enum store_blind_cause)c))
			continue;
		if (!blind || x->blind->cause[c].since_ms < *since_ms)
			*since_ms = x->blind->cause[c].since_ms;
		blind = true;
	}
	return blind;
}

static void vantage_entry(struct strbuf *b, bool *first, const char *name, int state,
                          int64_t since_ms)
{
	strbuf_puts(b, *first ? "{\"name\":" : ",{\"name\":");
	strbuf_json_str(b, name);
	strbuf_printf(b, ",\"state\":\"%s\",\"since\":", rw_state_name((enum rw_state)state));
	answer_json_time(b, since_ms);
	strbuf_puts(b, "}");
	*first = false;
}

/*
 * "vantages": each vantage point's own state of the runner, ordered as they
 * registered: this daemon's from its state machine in memory (so that with
 * one daemon the one entry agrees with the runner's state), the others'
 * from vantage_states. A vantage that holds nothing is "unknown": one
 * whose heartbeat is stale (FLEET_VANTAGE_STALE_MS; since its last one), or
 * one blind now (since its blindness began).
 */
static int render_vantages(const struct api_ctx *x, const struct store_runner *sr, int64_t now,
                           struct strbuf *b)
{
	struct runner *r = fleet_find(x->fleet, sr->id);
	struct store_vantage_state *vs = NULL;
	size_t n = 0;
	bool first = true, own_done = false;
	int rc = store_vantage_states(x->st, sr->id, now, &vs, &n);

	if (rc < 0)
		return rc;
	strbuf_puts(b, ",\"vantages\":[");
	for (size_t i = 0; i <= n; i++) {
		int64_t blind_since = 0;
		bool own = i < n ? vs[i].vantage_id == x->vantage_id : !own_done;
		int state;
		int64_t since;

		if (own && (own_done || (!r && i == n)))
			continue;
		if (own && r) {
			state = r->rs.state;
			since = r->rs.since_ms;
			if (own_blind(x, &blind_since) && state != RW_STATE_UNKNOWN) {
				state = RW_STATE_UNKNOWN;
				since = blind_since > since ? blind_since : since;
			}
			own_done = true;
			/* The name is the stored row's, or, before the first row is
			 * written, looked up below. */
			if (i < n) {
				vantage_entry(b, &first, vs[i].name, state, since);
			} else {
				struct store_vantage *all = NULL;
				size_t na = 0;
				rc = store_vantage_list(x->st, &all, &na);
				for (size_t k = 0; rc == 0 && k < na; k++)
					if (all[k].id == x->vantage_id)
						vantage_entry(b, &first, all[k].name, state, since);
				free(all);
				if (rc < 0)
					break;
			}
			continue;
		}
		if (i == n)
			continue;
		state = vs[i].state;
		since = vs[i].since_ms;
		if (!own && now - vs[i].last_tick_ms > FLEET_VANTAGE_STALE_MS) {
			state = RW_STATE_UNKNOWN;
			since = vs[i].last_tick_ms > since ? vs[i].last_tick_ms : since;
		} else if (vs[i].blind && state != RW_STATE_UNKNOWN) {
			state = RW_STATE_UNKNOWN;
		}
		if (own)
			own_done = true;
		vantage_entry(b, &first, vs[i].name, state, since);
	}
	strbuf_puts(b, "]");
	free(vs);
	return rc;
}

int api_availability_render(const struct api_ctx *x, const struct store_runner *sr, int64_t from_ms,
                            int64_t to_ms, int64_t now_ms, struct strbuf *b)
{
	struct rw_availability a;
	int64_t maint_used = 0;
	int rc = availability(x, sr, from_ms, to_ms, now_ms, &a, &maint_used);

	if (rc < 0)
		return rc;
	strbuf_printf(b, "{\"id\":%" PRId64 ",\"name\":", sr->id);
	strbuf_json_str(b, sr->name);
	strbuf_puts(b, ",\"from\":");
	answer_json_time(b, from_ms);
	strbuf_puts(b, ",\"to\":");
	answer_json_time(b, to_ms);
	strbuf_printf(b,
	              ",\"up_ms\":%" PRId64 ",\"down_ms\":%" PRId64 ",\"maintenance_ms\":%" PRId64
	              ",\"unknown_ms\":%" PRId64 ",\"outside_window_ms\":%" PRId64
	              ",\"not_registered_ms\":%" PRId64 ",\"uptime\":",
	              a.totals.ms[RW_STATE_UP], a.totals.ms[RW_STATE_DOWN],
	              a.totals.ms[RW_STATE_MAINTENANCE], a.totals.ms[RW_STATE_UNKNOWN],
	              a.totals.ms[RW_STATE_OUTSIDE_WINDOW], a.totals.ms[RW_STATE_NOT_REGISTERED]);
	json_ppm(b, a.has_uptime, a.uptime_ppm);
	strbuf_puts(b, ",\"coverage\":");
	json_ppm(b, a.has_coverage, a.coverage_ppm);
	strbuf_printf(b, ",\"verdict\":\"%s\",\"floor\":", rw_verdict_name(a.verdict));
	json_ppm(b, true, a.floor_ppm);
	strbuf_printf(b, ",\"maintenance_used_ms\":%" PRId64 ",\"maintenance_cap_ms\":%" PRId64,
	              maint_used, (int64_t)x->policy->maintenance.max_h_per_month * 3600000);
	rc = render_vantages(x, sr, now_ms, b);
	if (rc < 0)
		return rc;
	strbuf_puts(b, "}\n");
	return strbuf_failed(b) ? RW_ENOMEM : 0;
}

int api_availability(struct api *api, h2o_req_t *req, const struct store_runner *sr)
{
	const struct api_ctx *x = &api->x;
	struct strbuf b;
	char v[64];
	int64_t now = clock_now_ms(x->clock), from, to;

	to = now;
	if (answer_query(req, "to", v, sizeof(v)) && rfc3339_parse(v, &to) < 0)
		return answer_problem(api, req, 400, "Bad Request", "to",
		                      "not an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
	from = to - (int64_t)x->policy->window.rolling_days * 86400000;
	if (answer_query(req, "from", v, sizeof(v)) && rfc3339_parse(v, &from) < 0)
		return answer_problem(api, req, 400, "Bad Request", "from",
		                      "not an RFC 3339 time, e.g. 2026-10-01T00:00:00Z");
	if (from >= to)
		return answer_problem(api, req, 400, "Bad Request", "from", "must be before to");
	if (to - from > API_MAX_RANGE_MS)
		return answer_problem(api, req, 400, "Bad Request", "from",
		                      "the period may be at most 3660 days");
	strbuf_init(&b);
	if (api_availability_render(x, sr, from, to, now, &b) < 0) {
		strbuf_deinit(&b);
		return answer_problem(api, req, 503, "Service Unavailable", NULL,
		                      "the history could not be read; try again");
	}
	return answer_strbuf(api, req, &b, "application/json");
}

struct ranked {
	struct runner *r;
	struct rw_availability a;
	int32_t p50_us; /* -1: no latency known */
};

/* Best first (all are up): higher rolling uptime (as shown: truncated ppm),
 * then lower p50 latency of the last answers, then not busy, then id. */
static int rank_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int64_t ua = a->a.has_uptime ? (int64_t)a->a.uptime_ppm : -1;
	int64_t ub = b->a.has_uptime ? (int64_t)b->a.uptime_ppm : -1;
	int32_t la = a->p50_us < 0 ? INT32_MAX : a->p50_us;
	int32_t lb = b->p50_us < 0 ? INT32_MAX : b->p50_us;

	if (ua != ub)
		return ua > ub ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (a->r->busy != b->r->busy)
		return a->r->busy ? 1 : -1;
	return a->r->id < b->r->id ? -1 : a->r->id > b->r->id;
}

/* "since" and "detail" of an excluded runner, by its reason. */
static void exclusion_detail(struct strbuf *b, const struct api_ctx *x, const struct runner *r,
                             const char *why)
{
	if (strcmp(why, "flagged") == 0) {
		answer_json_time(b, r->flag_since_ms);
		strbuf_printf(b, ",\"detail\":\"uptime %.6f < floor %.6f\"",
		              r->window_uptime_ppm / 1e6, r->floor_ppm / 1e6);
	} else if (strcmp(why, "probation") == 0) {
		int64_t until =
		        policy_probation_end_ms(x->policy, r->created_ms, r->probation_waived_ms);
		answer_json_time(b, r->created_ms);
		strbuf_puts(b, ",\"detail\":\"in probation until ");
		{
			char t[40];
			rfc3339_format(until, t, sizeof(t));
			strbuf_puts(b, t);
		}
		strbuf_puts(b, "\"");
	} else if (strcmp(why, "below_min_online") == 0) {
		answer_json_time(b, runner_since(r));
		strbuf_printf(b,
		              ",\"detail\":\"%" PRIu32 " of %" PRIu32
		              " members online at the last poll, min_online %" PRIu32 "\"",
		              r->gh_online, r->gh_members, r->min_online);
	} else if (strcmp(why, "no_pickup") == 0) {
		answer_json_time(b, runner_since(r));
		strbuf_printf(b,
		              ",\"detail\":\"workflow job %" PRId64
		              " waited more than pickup_within_s %" PRIu32 " s for a runner\"",
		              r->gh_job_id, r->pickup_within_s);
	} else {
		answer_json_time(b, runner_since(r));
		if (r->last_probe_ms && r->last_class != RW_ERRCLASS_NONE)
			strbuf_printf(b, ",\"detail\":\"last probe: %s\"",
			              rw_errclass_name(r->last_class));
	}
}

int api_route(struct api *api, h2o_req_t *req)
{
	const struct api_ctx *x = &api->x;
	const struct target_pool *pool;
	struct ranked *rk = NULL;
	struct strbuf b;
	char target[128];
	int64_t now = clock_now_ms(x->clock);
	int64_t from = now - (int64_t)x->policy->window.rolling_days * 86400000;
	size_t n_ok = 0;
	bool first = true, by_label = false;
	char key[sizeof(api->rcache[0].key)];

	{
		char other[128];
		/* One question at a time: a label beside a target is not ignored. */
		if (answer_query(req, "target", target, sizeof(target)) &&
		    answer_query(req, "label", other, sizeof(other)))
			return answer_problem(api, req, 400, "Bad Request", "label",
			                      "give ?target=T or ?label=L, not both");
	}
	if ((!answer_query(req, "target", target, sizeof(target)) || !target[0]) &&
	    !(by_label = answer_query(req, "label", target, sizeof(target)) && target[0]))
		return answer_problem(
		        api, req, 400, "Bad Request", "target",
		        "give the target triple, e.g. ?target=riscv64gc-unknown-linux-gnu, or a "
		        "runs-on label, e.g. ?label=self-hosted");
	snprintf(key, sizeof(key), "%c:%s", by_label ? 'l' : 't', target);
	for (size_t i = 0; i < sizeof(api->rcache) / sizeof(api->rcache[0]); i++) {
		struct route_cache *c = &api->rcache[i];
		if (c->body && c->gen == x->fleet->route_gen &&
		    uv_now(x->loop) - c->at < API_ROUTE_CACHE_MS && strcmp(c->key, key) == 0) {
			answer_body(req, 200, "OK", "application/json", c->body, c->len);
			return 0;
		}
	}
	pool = by_label ? fleet_label_pool(x->fleet, target) : fleet_pool(x->fleet, target);
	if (pool && pool->n) {
		rk = calloc(pool->n, sizeof(*rk));
		if (!rk)
			return answer_problem(api, req, 503, "Service Unavailable", NULL,
			                      "out of memory");
		for (size_t i = 0; i < pool->n; i++) {
			struct runner *r = pool->v[i];
			if (fleet_exclusion(x->fleet, r, now))
				continue;
			rk[n_ok].r = r;
			rk[n_ok].p50_us = fleet_p50_latency(r);
			fleet_judge(x->fleet, r, now, from, now, &rk[n_ok].a);
			n_ok++;
		}
		qsort(rk, n_ok, sizeof(*rk), rank_cmp);
	}
	strbuf_init(&b);
	strbuf_puts(&b, by_label ? "{\"label\":" : "{\"target\":");
	strbuf_json_str(&b, target);
	/* served: whether any runner (eligible or not) serves it, so that "no
	 * runner for a typo" does not read as "every runner down". */
	strbuf_printf(&b, ",\"served\":%s,\"eligible\":[", pool && pool->n ? "true" : "false");
	for (size_t i = 0; i < n_ok; i++) {
		struct runner *r = rk[i].r;
		strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":", i ? "," : "", r->id);
		strbuf_json_str(&b, r->name);
		strbuf_puts(&b, ",\"operator\":");
		strbuf_json_str(&b, r->operator_name);
		strbuf_printf(&b, ",\"state\":\"%s\",\"since\":", rw_state_name(runner_state(r)));
		answer_json_time(&b, runner_since(r));
		strbuf_puts(&b, ",\"uptime\":");
		json_ppm(&b, rk[i].a.has_uptime, rk[i].a.uptime_ppm);
		if (rk[i].p50_us >= 0)
			strbuf_printf(&b, ",\"latency_ms\":%.3f", rk[i].p50_us / 1000.0);
		strbuf_printf(&b, ",\"busy\":%s}", r->busy ? "true" : "false");
	}
	strbuf_puts(&b, "],\"excluded\":[");
	for (size_t i = 0; pool && i < pool->n; i++) {
		struct runner *r = pool->v[i];
		const char *why = fleet_exclusion(x->fleet, r, now);
		if (!why)
			continue;
		strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":", first ? "" : ",", r->id);
		first = false;
		strbuf_json_str(&b, r->name);
		strbuf_puts(&b, ",\"operator\":");
		strbuf_json_str(&b, r->operator_name);
		strbuf_printf(&b, ",\"reason\":\"%s\",\"since\":", why);
		exclusion_detail(&b, x, r, why);
		strbuf_puts(&b, "}");
	}
	strbuf_puts(&b, "]}\n");
	free(rk);
	if (!strbuf_failed(&b)) {
		struct route_cache *c = &api->rcache[api->rcache_next++ % (sizeof(api->rcache) /
		                                                           sizeof(api->rcache[0]))];
		char *copy = malloc(b.len);
		if (copy) {
			memcpy(copy, b.data, b.len);
			free(c->body);
			snprintf(c->key, sizeof(c->key), "%s", key);
			c->gen = x->fleet->route_gen;
			c->at = uv_now(x->loop);
			c->body = copy;
			c->len = b.len;
		}
	}
	return answer_strbuf(api, req, &b, "application/json");
}

void api_route_cache_clear(struct api *api)
{
	for (size_t i = 0; i < sizeof(api->rcache) / sizeof(api->rcache[0]); i++)
		free(api->rcache[i].body);
	memset(api->rcache, 0, sizeof(api->rcache));
}
