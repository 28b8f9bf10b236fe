/* SPDX-License-Identifier: MIT */
/*
 * monthly_json.c — the monthly report as one JSON document; its schema is
 * contrib/schema/report.schema.json (keep the two in step: the tests validate
 * every golden document against it). Keys come in a fixed order, numbers
 * from integers (cJSON prints them the same everywhere), so the bytes depend
 * on the report alone. It is streamed (jsonw.h): one top-level member per
 * line, and one element per line of the arrays (days, targets, runners,
 * github_pools, operators, incidents), so memory holds one runner's tree at a
 * time. What only GitHub pools have (a member's "pool", the "github_pools"
 * array) is written only when there is such a runner, so a report without
 * one reads as it always did.
 */
#include "reports/monthly_render.h"

#include "policy/calendar.h"
#include "reports/fmt.h"
#include "reports/jsonw.h"
#include "reports/month.h"

#define SCHEMA_VERSION 1

static const enum rw_state state_order[RW_STATE_COUNT] = {
        RW_STATE_UP,      RW_STATE_DOWN,           RW_STATE_MAINTENANCE,
        RW_STATE_UNKNOWN, RW_STATE_OUTSIDE_WINDOW, RW_STATE_NOT_REGISTERED};
static const char *const state_keys[RW_STATE_COUNT] = {
        [RW_STATE_UNKNOWN] = "unknown_ms",
        [RW_STATE_UP] = "up_ms",
        [RW_STATE_DOWN] = "down_ms",
        [RW_STATE_MAINTENANCE] = "maintenance_ms",
        [RW_STATE_OUTSIDE_WINDOW] = "outside_window_ms",
        [RW_STATE_NOT_REGISTERED] = "not_registered_ms",
};

static void put_states(cJSON *o, const struct rw_totals *t, bool *oom)
{
	for (int k = 0; k < RW_STATE_COUNT; k++)
		jsonw_put(o, state_keys[state_order[k]], jsonw_int(t->ms[state_order[k]]), oom);
}

/* up / (up + down) of @p t, truncated to ppm (account_evaluate(), as every
 * view computes it), or null. */
static cJSON *uptime_of(const struct rw_totals *t)
{
	struct rw_availability a;

	account_evaluate(t, 0, 0, &a);
	return jsonw_ratio(a.has_uptime, a.uptime_ppm);
}

static cJSON *policy_json(const struct monthly *m, bool *oom)
{
	const struct policy_source *ps = m->policy;
	cJSON *o = cJSON_CreateObject();

	jsonw_put(o, "source", cJSON_CreateString(ps->origin ? ps->origin : ""), oom);
	jsonw_put(o, "version", jsonw_int(ps->pol.version), oom);
	jsonw_put(o, "sha256", cJSON_CreateString(ps->sha256), oom);
	jsonw_put(o, "effective", jsonw_time(ps->effective_ms), oom);
	jsonw_put(o, "uptime_floor", jsonw_ratio(true, ps->pol.floor_ppm), oom);
	jsonw_put(o, "min_coverage", jsonw_ratio(true, ps->pol.window.min_coverage_ppm), oom);
	jsonw_put(o, "failures_to_down", jsonw_int(ps->pol.probe.failures_to_down), oom);
	jsonw_put(o, "vantage_quorum", jsonw_int(ps->pol.vantage.quorum), oom);
	jsonw_put(o, "maintenance_cap_ms",
	          jsonw_int((int64_t)ps->pol.maintenance.max_h_per_month * CALENDAR_MS_PER_HOUR),
	          oom);
	jsonw_put(o, "maintenance_notice_ms",
	          jsonw_int((int64_t)ps->pol.maintenance.min_notice_h * CALENDAR_MS_PER_HOUR), oom);
	jsonw_put(o, "pool_min_runners", jsonw_int(ps->pol.pool.min_runners), oom);
	return o;
}

static cJSON *summary_json(const struct monthly *m, bool *oom)
{
	cJSON *o = cJSON_CreateObject(), *mon = cJSON_CreateObject(), *list = cJSON_CreateArray();

	jsonw_put(o, "runners", jsonw_int((int64_t)m->n_runners), oom);
	jsonw_put(o, "pass", jsonw_int((int64_t)m->verdicts[RW_VERDICT_PASS]), oom);
	jsonw_put(o, "fail", jsonw_int((int64_t)m->verdicts[RW_VERDICT_FAIL]), oom);
	jsonw_put(o, "indeterminate", jsonw_int((int64_t)m->verdicts[RW_VERDICT_INDETERMINATE]),
	          oom);
	jsonw_put(o, "incidents", jsonw_int((int64_t)m->n_incidents), oom);
	jsonw_put(o, "rollup_days", jsonw_int(m->rollup_days), oom);
	jsonw_put(mon, "coverage", jsonw_ratio(true, m->monitor.coverage_ppm), oom);
	jsonw_put(mon, "blind_ms", jsonw_int(m->monitor.blind_ms), oom);
	for (size_t i = 0; i < m->monitor.n_blind; i++) {
		const struct monitor_blind *b = &m->monitor.blind[i];
		cJSON *p = cJSON_CreateObject();
		jsonw_put(p, "start", jsonw_time(b->start_ms), oom);
		jsonw_put(p, "end", jsonw_time(b->end_ms), oom);
		jsonw_put(p, "duration_ms", jsonw_int(b->end_ms - b->start_ms), oom);
		jsonw_put(p, "cause", cJSON_CreateString(b->cause), oom);
		jsonw_push(list, p, oom);
	}
	jsonw_put(mon, "blind_periods", list, oom);
	jsonw_put(o, "monitor", mon, oom);
	if (m->n_vantages) { /* a database where a daemon registered one */
		cJSON *vl = cJSON_CreateArray();
		for (size_t i = 0; i < m->n_vantages; i++) {
			const struct monthly_vantage *v = &m->vantages[i];
			cJSON *p = cJSON_CreateObject();
			jsonw_put(p, "name", cJSON_CreateString(v->name), oom);
			jsonw_put(p, "coverage", jsonw_ratio(true, v->cover.coverage_ppm), oom);
			jsonw_put(p, "blind_ms", jsonw_int(v->cover.blind_ms), oom);
			jsonw_put(p, "blind_periods", jsonw_int((int64_t)v->cover.n_blind), oom);
			jsonw_put(p, "first_seen", jsonw_time(v->first_seen_ms), oom);
			jsonw_push(vl, p, oom);
		}
		jsonw_put(o, "vantages", vl, oom);
	}
	return o;
}

static cJSON *day_json(const struct monthly *m, size_t d, bool *oom)
{
	cJSON *o = cJSON_CreateObject();
	char date[FMT_LEN];

	fmt_date(m->month_start_ms + (int64_t)d * CALENDAR_MS_PER_DAY, date);
	jsonw_put(o, "date", cJSON_CreateString(date), oom);
	put_states(o, &m->fleet[d], oom);
	jsonw_put(o, "uptime", uptime_of(&m->fleet[d]), oom);
	return o;
}

static cJSON *target_json(const struct monthly *m, const struct monthly_target *t, bool *oom)
{
	cJSON *o = cJSON_CreateObject();

	jsonw_put(o, "target", cJSON_CreateString(t->name), oom);
	jsonw_put(o, "tier", t->tier ? jsonw_int(t->tier) : cJSON_CreateNull(), oom);
	jsonw_put(o, "floor", jsonw_ratio(true, t->floor_ppm), oom);
	jsonw_put(o, "runners", jsonw_int((int64_t)t->runners), oom);
	jsonw_put(o, "compliant", jsonw_int((int64_t)t->compliant), oom);
	jsonw_put(o, "pool_min_runners", jsonw_int(m->policy->pol.pool.min_runners), oom);
	jsonw_put(o, "pool_min_met", cJSON_CreateBool(t->pool_met), oom);
	return o;
}

static cJSON *runner_json(const struct monthly *m, const struct monthly_runner *r, bool *oom)
{
	int64_t cap = (int64_t)m->policy->pol.maintenance.max_h_per_month * CALENDAR_MS_PER_HOUR;
	cJSON *o = cJSON_CreateObject(), *targets = cJSON_CreateArray();
	cJSON *maint = cJSON_CreateObject(), *inc = cJSON_CreateObject(),
	      *list = cJSON_CreateArray();
	cJSON *probes = cJSON_CreateObject(), *daily = cJSON_CreateArray();

	jsonw_put(o, "id", jsonw_int(r->sr->id), oom);
	jsonw_put(o, "name", cJSON_CreateString(r->sr->name), oom);
	jsonw_put(o, "operator",
	          cJSON_CreateString(r->sr->operator_name ? r->sr->operator_name : ""), oom);
	for (size_t j = 0; j < r->sr->n_targets; j++)
		jsonw_push(targets, cJSON_CreateString(r->sr->targets[j]), oom);
	jsonw_put(o, "targets", targets, oom);
	if (store_runner_is_member(r->sr))
		jsonw_put(o, "pool", cJSON_CreateString(r->sr->pool_name ? r->sr->pool_name : ""),
		          oom);
	jsonw_put(o, "status", cJSON_CreateString(r->active_at_end ? "active" : "retired"), oom);
	jsonw_put(o, "registered", jsonw_time(r->sr->created_ms), oom);
	jsonw_put(o, "retired", jsonw_time(r->active_at_end ? -1 : r->to_ms), oom);
	jsonw_put(o, "from", jsonw_time(r->from_ms), oom);
	jsonw_put(o, "to", jsonw_time(r->to_ms), oom);
	jsonw_put(o, "verdict", cJSON_CreateString(rw_verdict_name(r->avail.verdict)), oom);
	jsonw_put(o, "uptime", jsonw_ratio(r->avail.has_uptime, r->uptime_ppm), oom);
	jsonw_put(o, "floor", jsonw_ratio(true, r->avail.floor_ppm), oom);
	jsonw_put(o, "coverage", jsonw_ratio(r->avail.has_coverage, r->coverage_ppm), oom);
	put_states(o, &r->avail.totals, oom);

	jsonw_put(maint, "used_ms", jsonw_int(r->maint_used_ms), oom);
	jsonw_put(maint, "cap_ms", jsonw_int(cap), oom);
	jsonw_put(maint, "over_cap_ms", jsonw_int(r->maint_over_cap_ms), oom);
	jsonw_put(maint, "declared_ms", jsonw_int(r->maint_declared_ms), oom);
	jsonw_put(o, "maintenance", maint, oom);

	jsonw_put(inc, "count", jsonw_int((int64_t)r->n_incidents), oom);
	jsonw_put(inc, "longest_ms", jsonw_int_or_null(r->longest_incident_ms), oom);
	for (size_t j = 0; j < r->n_incidents; j++) {
		const struct monthly_incident *mi =
		        &m->incidents[m->by_runner[r->first_incident + j]];
		cJSON *e = cJSON_CreateObject();
		jsonw_put(e, "id", jsonw_int(mi->si->id), oom);
		jsonw_put(e, "start", jsonw_time(mi->si->start_ms), oom);
		jsonw_put(e, "end", jsonw_time(mi->open ? -1 : mi->si->end_ms), oom);
		jsonw_put(e, "duration_ms", jsonw_int(mi->duration_ms), oom);
		jsonw_put(e, "time_to_acknowledge_ms", jsonw_int_or_null(mi->tta_ms), oom);
		jsonw_put(e, "time_to_mitigate_ms", jsonw_int_or_null(mi->ttm_ms), oom);
		jsonw_push(list, e, oom);
	}
	jsonw_put(inc, "list", list, oom);
	jsonw_put(o, "incidents", inc, oom);

	jsonw_put(probes, "samples", jsonw_int(r->samples), oom);
	jsonw_put(probes, "failures", jsonw_int(r->failures), oom);
	jsonw_put(probes, "blips", jsonw_int_or_null(r->blips), oom);
	jsonw_put(probes, "latency_p50_ms", jsonw_thousandths(r->p50_us), oom);
	jsonw_put(probes, "latency_p95_ms", jsonw_thousandths(r->p95_us), oom);
	jsonw_put(o, "probes", probes, oom);

	for (size_t d = 0; d < m->n_days; d++)
		jsonw_push(daily, uptime_of(&r->days[d]), oom);
	jsonw_put(o, "daily_uptime", daily, oom);
	return o;
}

static cJSON *pool_json(const struct monthly *m, const struct monthly_pool *p, bool *oom)
{
	const struct store_runner *sr = m->runners[p->runner].sr;
	cJSON *o = cJSON_CreateObject(), *labels = cJSON_CreateArray(), *jobs;

	jsonw_put(o, "id", jsonw_int(sr->id), oom);
	jsonw_put(o, "name", cJSON_CreateString(sr->name), oom);
	jsonw_put(o, "operator", cJSON_CreateString(sr->operator_name ? sr->operator_name : ""),
	          oom);
	jsonw_put(o, "source", cJSON_CreateString(sr->github ? sr->github : ""), oom);
	for (size_t j = 0; j < sr->n_labels; j++)
		jsonw_push(labels, cJSON_CreateString(sr->labels[j]), oom);
	jsonw_put(o, "labels", labels, oom);
	jsonw_put(o, "min_online", jsonw_int(sr->min_online), oom);
	jsonw_put(o, "pickup_within_s", jsonw_int(sr->pickup_within_s), oom);
	jsonw_put(o, "members", jsonw_int((int64_t)p->members), oom);
	if (!p->has_pickup) {
		jsonw_put(o, "jobs", cJSON_CreateNull(), oom);
		return o;
	}
	jobs = cJSON_CreateObject();
	jsonw_put(jobs, "queued", jsonw_int(p->jobs.queued), oom);
	jsonw_put(jobs, "started_within", jsonw_int(p->jobs.started_in_time), oom);
	jsonw_put(jobs, "started_within_share",
	          jsonw_ratio(p->jobs.queued > 0, p->started_share_ppm), oom);
	jsonw_put(jobs, "queue_wait_p50_ms", jsonw_int_or_null(p->jobs.wait_p50_ms), oom);
	jsonw_put(jobs, "queue_wait_p95_ms", jsonw_int_or_null(p->jobs.wait_p95_ms), oom);
	jsonw_put(jobs, "queue_wait_max_ms", jsonw_int_or_null(p->jobs.wait_max_ms), oom);
	jsonw_put(o, "jobs", jobs, oom);
	return o;
}

static cJSON *operator_json(const struct monthly_operator *op, bool *oom)
{
	cJSON *o = cJSON_CreateObject();

	jsonw_put(o, "name", cJSON_CreateString(op->name), oom);
	jsonw_put(o, "runners", jsonw_int((int64_t)op->runners), oom);
	jsonw_put(o, "pass", jsonw_int((int64_t)op->pass), oom);
	jsonw_put(o, "fail", jsonw_int((int64_t)op->fail), oom);
	jsonw_put(o, "indeterminate", jsonw_int((int64_t)op->indeterminate), oom);
	jsonw_put(o, "down_ms", jsonw_int(op->down_ms), oom);
	jsonw_put(o, "incidents", jsonw_int((int64_t)op->incidents), oom);
	jsonw_put(o, "unacknowledged", jsonw_int((int64_t)op->unacknowledged), oom);
	jsonw_put(o, "time_to_acknowledge_median_ms", jsonw_int_or_null(op->tta_median_ms), oom);
	jsonw_put(o, "time_to_mitigate_median_ms", jsonw_int_or_null(op->ttm_median_ms), oom);
	return o;
}

static cJSON *incident_json(const struct monthly *m, const struct monthly_incident *mi, bool *oom)
{
	const struct monthly_runner *r = &m->runners[mi->runner];
	const struct store_incident *si = mi->si;
	cJSON *o = cJSON_CreateObject();

	jsonw_put(o, "id", jsonw_int(si->id), oom);
	jsonw_put(o, "runner", cJSON_CreateString(r->sr->name), oom);
	jsonw_put(o, "operator",
	          cJSON_CreateString(r->sr->operator_name ? r->sr->operator_name : ""), oom);
	jsonw_put(o, "start", jsonw_time(si->start_ms), oom);
	jsonw_put(o, "end", jsonw_time(mi->open ? -1 : si->end_ms), oom);
	jsonw_put(o, "open", cJSON_CreateBool(mi->open), oom);
	jsonw_put(o, "duration_ms", jsonw_int(mi->duration_ms), oom);
	jsonw_put(o, "acknowledged", jsonw_time(si->ack_ms > 0 ? si->ack_ms : -1), oom);
	jsonw_put(o, "time_to_acknowledge_ms", jsonw_int_or_null(mi->tta_ms), oom);
	jsonw_put(o, "acknowledge_note", jsonw_string_or_null(si->ack_note), oom);
	jsonw_put(o, "mitigated", jsonw_time(si->mitigated_ms > 0 ? si->mitigated_ms : -1), oom);
	jsonw_put(o, "time_to_mitigate_ms", jsonw_int_or_null(mi->ttm_ms), oom);
	jsonw_put(o, "mitigate_note", jsonw_string_or_null(si->mitigated_note), oom);
	return o;
}

int monthly_render_json(FILE *f, const struct monthly *m)
{
	struct jsonw_stream js;
	cJSON *period = cJSON_CreateObject();
	bool oom = false;
	char month[8];

	month_format(m->month_start_ms, month);
	jsonw_begin(&js, f);
	jsonw_member(&js, "report", cJSON_CreateString("monthly"), false);
	jsonw_member(&js, "schema_version", jsonw_int(SCHEMA_VERSION), false);
	jsonw_member(&js, "month", cJSON_CreateString(month), false);
	jsonw_put(period, "from", jsonw_time(m->month_start_ms), &oom);
	jsonw_put(period, "to", jsonw_time(m->period_end_ms), &oom);
	jsonw_put(period, "days", jsonw_int((int64_t)m->n_days), &oom);
	jsonw_member(&js, "period", period, oom);
	jsonw_member(&js, "partial", cJSON_CreateBool(m->partial), false);
	jsonw_member(&js, "as_of", jsonw_time(m->as_of_ms), false);
	if (m->generated_ms >= 0)
		jsonw_member(&js, "generated", jsonw_time(m->generated_ms), false);
	jsonw_member(&js, "operator", jsonw_string_or_null(m->operator_filter), false);
	oom = false;
	jsonw_member(&js, "policy", policy_json(m, &oom), oom);
	oom = false;
	jsonw_member(&js, "summary", summary_json(m, &oom), oom);
	jsonw_array_begin(&js, "daily");
	for (size_t d = 0; d < m->n_days; d++) {
		oom = false;
		jsonw_element(&js, day_json(m, d, &oom), oom);
	}
	jsonw_array_end(&js);
	jsonw_array_begin(&js, "targets");
	for (size_t i = 0; i < m->n_targets; i++) {
		oom = false;
		jsonw_element(&js, target_json(m, &m->targets[i], &oom), oom);
	}
	jsonw_array_end(&js);
	jsonw_array_begin(&js, "runners");
	for (size_t i = 0; i < m->n_runners; i++) {
		oom = false;
		jsonw_element(&js, runner_json(m, &m->runners[i], &oom), oom);
	}
	jsonw_array_end(&js);
	if (m->n_pools) {
		jsonw_array_begin(&js, "github_pools");
		for (size_t i = 0; i < m->n_pools; i++) {
			oom = false;
			jsonw_element(&js, pool_json(m, &m->pools[i], &oom), oom);
		}
		jsonw_array_end(&js);
	}
	jsonw_array_begin(&js, "operators");
	for (size_t i = 0; i < m->n_operators; i++) {
		oom = false;
		jsonw_element(&js, operator_json(&m->operators[i], &oom), oom);
	}
	jsonw_array_end(&js);
	jsonw_array_begin(&js, "incidents");
	for (size_t i = 0; i < m->n_incidents; i++) {
		oom = false;
		jsonw_element(&js, incident_json(m, &m->incidents[i], &oom), oom);
	}
	jsonw_array_end(&js);
	return jsonw_end(&js);
}
