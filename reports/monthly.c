/* SPDX-License-Identifier: MIT */
/*
 * monthly.c — the monthly compliance report from the store; see monthly.h.
 *
 * One pass over the runners (id order, as the store lists them): each one's
 * evidence is read, judged day by day in a single accounting sweep
 * (account_period_days()), and freed, so memory holds one runner's history
 * at a time plus the report. Then the runners are put in name order and the
 * rest is joined to them by id: the daily rollups (one range scan of the
 * month), the incidents (one query), then targets, operators and totals,
 * and the GitHub pools (monthly_pools.c: one query of the month's jobs).
 */
#include "reports/monthly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "policy/rollup.h"
#include "reports/evidence.h"
#include "reports/fmt.h"
#include "reports/month.h"
#include "reports/monthly_pools.h"

/* Runner ids to report indices, sorted by id. */
struct id_index {
	int64_t id;
	size_t idx;
};

static int64_t floor_day(int64_t ms)
{
	return ms / CALENDAR_MS_PER_DAY - (ms % CALENDAR_MS_PER_DAY < 0);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The declared windows' union, clipped to [from, to). */
static int64_t declared_ms(const struct evidence *ev, int64_t from, int64_t to)
{
	int64_t total = 0, p = from;

	/* Windows come by start (store_maintenance_list()); sweep once. */
	for (size_t i = 0; i < ev->n_mw; i++) {
		int64_t a = max64(ev->mw[i].start_ms, p), b = min64(ev->mw[i].end_ms, to);
		if (b > a) {
			total += b - a;
			p = b;
		}
	}
	return total;
}

/* Judges one runner over the period, as every view does (account_judge():
 * its time outside its part is not_registered), and cuts the same
 * accounting at midnights for its days. */
static void judge(struct monthly *m, const struct rw_policy *pol, const struct evidence *ev,
                  struct monthly_runner *r)
{
	struct account_input in;
	uint32_t floor_ppm;

	evidence_input(ev, pol, &in);
	floor_ppm = policy_floor_ppm(pol, (const char *const *)r->sr->targets, r->sr->n_targets);
	account_judge(&in, m->month_start_ms, m->period_end_ms, floor_ppm, &r->avail);
	account_period_days(&in, m->month_start_ms, m->period_end_ms, r->days, m->n_days);
	r->uptime_ppm = r->avail.uptime_ppm;
	r->coverage_ppm = r->avail.coverage_ppm;

	r->maint_used_ms = r->avail.totals.ms[RW_STATE_MAINTENANCE];
	r->maint_declared_ms = declared_ms(ev, r->from_ms, r->to_ms);
	if (ev->n_mw > 0) {
		/* The same sweep without a cap: what the cap took away. A shallow
		 * copy: nothing of it is freed. */
		struct rw_policy uncapped = *pol;
		struct rw_totals u;
		uncapped.maintenance.max_h_per_month = 744; /* 31 days: no cap */
		in.policy = &uncapped;
		account_period(&in, r->from_ms, r->to_ms, &u);
		r->maint_over_cap_ms = u.ms[RW_STATE_MAINTENANCE] - r->maint_used_ms;
	}
}

/* The runner's part of the period, or false when it has none. */
static bool part_of(const struct monthly *m, const struct store_runner *sr, int64_t *from,
                    int64_t *to, bool *active_at_end)
{
	if (sr->status == STORE_RUNNER_PENDING)
		return false;
	*from = max64(m->month_start_ms, sr->created_ms);
	*to = m->period_end_ms;
	*active_at_end = true;
	if (sr->status == STORE_RUNNER_RETIRED) {
		int64_t gone = sr->retired_ms > 0 ? sr->retired_ms : sr->created_ms;
		if (gone <= *to) {
			*to = gone;
			*active_at_end = false;
		}
	}
	return *to > *from;
}

static int cmp_runner_name(const void *a, const void *b)
{
	const struct monthly_runner *x = a, *y = b;
	int c = strcmp(x->sr->name, y->sr->name);

	return c ? c : (x->sr->id > y->sr->id) - (x->sr->id < y->sr->id);
}

static int cmp_id_index(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static const struct id_index *find_id(const struct id_index *v, size_t n, int64_t id)
{
	struct id_index key = {.id = id};

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_id_index) : NULL;
}

static int load_runners(struct store *st, struct monthly *m, const struct rw_policy *pol,
                        int64_t operator_id, int64_t at_ms)
{
	struct store_reader *rd = NULL;
	struct evidence ev;
	int rc;

	rc = store_runner_list(st, 0, &m->store_runners, &m->n_store_runners);
	if (rc < 0 || m->n_store_runners == 0)
		return rc;
	m->runners = calloc(m->n_store_runners, sizeof(*m->runners));
	m->days = calloc(m->n_store_runners * m->n_days, sizeof(*m->days));
	if (!m->runners || !m->days)
		return RW_ENOMEM;
	rc = store_reader_new(st, &rd);
	evidence_init(&ev);
	for (size_t i = 0; rc == 0 && i < m->n_store_runners; i++) {
		const struct store_runner *sr = &m->store_runners[i];
		struct monthly_runner *r = &m->runners[m->n_runners];

		if (operator_id && sr->operator_id != operator_id)
			continue;
		if (!part_of(m, sr, &r->from_ms, &r->to_ms, &r->active_at_end))
			continue;
		r->sr = sr;
		r->days = m->days + m->n_runners * m->n_days;
		r->longest_incident_ms = -1;
		r->blips = r->p50_us = r->p95_us = -1;
		rc = evidence_load(&ev, rd, sr, r->from_ms, r->to_ms, min64(at_ms, r->to_ms));
		if (rc == 0) {
			judge(m, pol, &ev, r);
			m->n_runners++;
		}
	}
	evidence_deinit(&ev);
	store_reader_free(rd);
	return rc;
}

/* Name order, then the days arrays follow their runners. */
static int sort_runners(struct monthly *m, struct id_index **ids)
{
	struct rw_totals *days;

	if (m->n_runners > 1)
		qsort(m->runners, m->n_runners, sizeof(*m->runners), cmp_runner_name);
	days = calloc(m->n_runners * m->n_days + 1, sizeof(*days));
	*ids = calloc(m->n_runners + 1, sizeof(**ids));
	if (!days || !*ids) {
		free(days);
		return RW_ENOMEM;
	}
	for (size_t i = 0; i < m->n_runners; i++) {
		memcpy(days + i * m->n_days, m->runners[i].days, m->n_days * sizeof(*days));
		m->runners[i].days = days + i * m->n_days;
		(*ids)[i].id = m->runners[i].sr->id;
		(*ids)[i].idx = i;
	}
	free(m->days);
	m->days = days;
	if (m->n_runners > 1)
		qsort(*ids, m->n_runners, sizeof(**ids), cmp_id_index);
	return 0;
}

/* ---- rollups ------------------------------------------------------------- */

struct sink {
	const struct monthly *m;
	const struct id_index *ids;
	struct rollup_day *sums; /* one per runner */
};

static struct rollup_day *sink_cb(int64_t runner_id, int64_t day, void *data)
{
	struct sink *s = data;
	const struct id_index *x = find_id(s->ids, s->m->n_runners, runner_id);
	const struct monthly_runner *r;

	if (!x)
		return NULL;
	r = &s->m->runners[x->idx];
	/* The days its part touches: a day partly in it counts whole. */
	if (day < floor_day(r->from_ms) || day > floor_day(r->to_ms - 1))
		return NULL;
	return &s->sums[x->idx];
}

static int load_rollups(struct store *st, struct monthly *m, const struct rw_policy *pol,
                        const struct id_index *ids)
{
	int64_t d0 = floor_day(m->month_start_ms), d1 = floor_day(m->month_end_ms);
	struct sink s = {.m = m, .ids = ids};
	int rc;

	rc = store_rollup_days_done(st, d0, d1, &m->rollup_days);
	if (rc < 0 || m->n_runners == 0)
		return rc;
	s.sums = calloc(m->n_runners, sizeof(*s.sums));
	if (!s.sums)
		return RW_ENOMEM;
	rc = store_rollup_sum(st, d0, d1, sink_cb, &s);
	for (size_t i = 0; rc == 0 && i < m->n_runners; i++) {
		struct monthly_runner *r = &m->runners[i];
		r->samples = s.sums[i].samples;
		r->failures = s.sums[i].failures;
		if (r->samples > 0)
			r->blips = (int64_t)rollup_blips(&s.sums[i], pol->probe.failures_to_down);
		r->p50_us = rollup_latency_quantile(&s.sums[i], 500);
		r->p95_us = rollup_latency_quantile(&s.sums[i], 950);
	}
	free(s.sums);
	return rc;
}

/* ---- incidents ----------------------------------------------------------- */

static int load_incidents(struct store *st, struct monthly *m, int64_t operator_id,
                          const struct id_index *ids)
{
	size_t *count;
	int rc;

	rc = store_incident_list(st, operator_id, 0, m->month_start_ms, m->period_end_ms,
	                         &m->store_incidents, &m->n_store_incidents);
	if (rc < 0)
		return rc;
	m->incidents = calloc(m->n_store_incidents + 1, sizeof(*m->incidents));
	m->by_runner = calloc(m->n_store_incidents + 1, sizeof(*m->by_runner));
	count = calloc(m->n_runners + 1, sizeof(*count));
	if (!m->incidents || !m->by_runner || !count) {
		free(count);
		return RW_ENOMEM;
	}
	for (size_t i = 0; i < m->n_store_incidents; i++) {
		const struct store_incident *si = &m->store_incidents[i];
		const struct id_index *x = find_id(ids, m->n_runners, si->runner_id);
		struct monthly_incident *mi = &m->incidents[m->n_incidents];
		struct monthly_runner *r;

		if (!x)
			continue; /* a runner not in this report */
		r = &m->runners[x->idx];
		mi->si = si;
		mi->runner = x->idx;
		mi->open = si->end_ms <= 0;
		mi->duration_ms =
		        max64(0, (mi->open ? m->period_end_ms : si->end_ms) - si->start_ms);
		mi->tta_ms = si->ack_ms > 0 ? max64(0, si->ack_ms - si->start_ms) : -1;
		mi->ttm_ms = si->mitigated_ms > 0 ? max64(0, si->mitigated_ms - si->start_ms) : -1;
		r->n_incidents++;
		if (mi->duration_ms > r->longest_incident_ms)
			r->longest_incident_ms = mi->duration_ms;
		m->n_incidents++;
	}
	/* Group by runner, keeping start order within each (a counting sort). */
	for (size_t i = 0, at = 0; i < m->n_runners; i++) {
		m->runners[i].first_incident = at;
		count[i] = at;
		at += m->runners[i].n_incidents;
	}
	for (size_t i = 0; i < m->n_incidents; i++)
		m->by_runner[count[m->incidents[i].runner]++] = i;
	free(count);
	return 0;
}

/* ---- targets, operators, totals ------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_target(const void *a, const void *b)
{
	return strcmp(((const struct monthly_target *)a)->name,
	              ((const struct monthly_target *)b)->name);
}

static int build_targets(struct monthly *m, const struct rw_policy *pol)
{
	const char **names;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < m->n_runners; i++)
		n += m->runners[i].sr->n_targets;
	names = calloc(n + 1, sizeof(*names));
	if (!names)
		return RW_ENOMEM;
	for (size_t i = 0; i < m->n_runners; i++)
		for (size_t j = 0; j < m->runners[i].sr->n_targets; j++)
			names[k++] = m->runners[i].sr->targets[j];
	qsort(names, n, sizeof(*names), cmp_str);
	m->targets = calloc(n + 1, sizeof(*m->targets));
	if (!m->targets) {
		free(names);
		return RW_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct monthly_target *t;
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		t = &m->targets[m->n_targets++];
		t->name = names[i];
		t->tier = policy_target_tier(pol, names[i]);
		t->floor_ppm = policy_floor_ppm(pol, &names[i], 1);
	}
	free(names);
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		if (!r->active_at_end)
			continue;
		for (size_t j = 0; j < r->sr->n_targets; j++) {
			struct monthly_target key = {.name = r->sr->targets[j]};
			struct monthly_target *t = bsearch(&key, m->targets, m->n_targets,
			                                   sizeof(*m->targets), cmp_target);
			if (!t)
				continue; /* not reached: every target was collected */
			t->runners++;
			t->compliant += r->avail.verdict == RW_VERDICT_PASS;
		}
	}
	for (size_t i = 0; i < m->n_targets; i++)
		m->targets[i].pool_met = m->targets[i].compliant >= pol->pool.min_runners;
	return 0;
}

static const char *operator_of(const struct monthly_runner *r)
{
	return r->sr->operator_name ? r->sr->operator_name : "";
}

static int cmp_operator(const void *a, const void *b)
{
	return strcmp(((const struct monthly_operator *)a)->name,
	              ((const struct monthly_operator *)b)->name);
}

static struct monthly_operator *find_operator(const struct monthly *m, const char *name)
{
	struct monthly_operator key = {.name = name};

	return bsearch(&key, m->operators, m->n_operators, sizeof(*m->operators), cmp_operator);
}

/* (operator, value) pairs; their medians by operator. */
struct opval {
	size_t op;
	int64_t v;
};

static int cmp_opval(const void *a, const void *b)
{
	const struct opval *x = a, *y = b;

	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	return (x->v > y->v) - (x->v < y->v);
}

/* Sets each operator's lower median of the values of @p v (sorted here). */
static void medians(struct monthly *m, struct opval *v, size_t n, bool mitigate)
{
	qsort(v, n, sizeof(*v), cmp_opval);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j].op == v[i].op)
			j++;
		if (mitigate)
			m->operators[v[i].op].ttm_median_ms = v[i + (j - i - 1) / 2].v;
		else
			m->operators[v[i].op].tta_median_ms = v[i + (j - i - 1) / 2].v;
		i = j;
	}
}

static int build_operators(struct monthly *m)
{
	const char **names = calloc(m->n_runners + 1, sizeof(*names));
	struct opval *tta, *ttm;
	size_t n_tta = 0, n_ttm = 0;

	if (!names)
		return RW_ENOMEM;
	for (size_t i = 0; i < m->n_runners; i++)
		names[i] = operator_of(&m->runners[i]);
	qsort(names, m->n_runners, sizeof(*names), cmp_str);
	m->operators = calloc(m->n_runners + 1, sizeof(*m->operators));
	if (!m->operators) {
		free(names);
		return RW_ENOMEM;
	}
	for (size_t i = 0; i < m->n_runners; i++) {
		struct monthly_operator *o;
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		o = &m->operators[m->n_operators++];
		o->name = names[i];
		o->tta_median_ms = o->ttm_median_ms = -1;
	}
	free(names);
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		struct monthly_operator *o = find_operator(m, operator_of(r));
		o->runners++;
		o->pass += r->avail.verdict == RW_VERDICT_PASS;
		o->fail += r->avail.verdict == RW_VERDICT_FAIL;
		o->indeterminate += r->avail.verdict == RW_VERDICT_INDETERMINATE;
		o->down_ms += r->avail.totals.ms[RW_STATE_DOWN];
	}
	tta = calloc(m->n_incidents + 1, sizeof(*tta));
	ttm = calloc(m->n_incidents + 1, sizeof(*ttm));
	if (!tta || !ttm) {
		free(tta);
		free(ttm);
		return RW_ENOMEM;
	}
	for (size_t i = 0; i < m->n_incidents; i++) {
		const struct monthly_incident *mi = &m->incidents[i];
		struct monthly_operator *o = find_operator(m, operator_of(&m->runners[mi->runner]));
		size_t op = (size_t)(o - m->operators);
		o->incidents++;
		o->unacknowledged += mi->tta_ms < 0;
		if (mi->tta_ms >= 0)
			tta[n_tta++] = (struct opval){op, mi->tta_ms};
		if (mi->ttm_ms >= 0)
			ttm[n_ttm++] = (struct opval){op, mi->ttm_ms};
	}
	medians(m, tta, n_tta, false);
	medians(m, ttm, n_ttm, true);
	free(tta);
	free(ttm);
	return 0;
}

static int build_totals(struct monthly *m)
{
	m->fleet = calloc(m->n_days, sizeof(*m->fleet));
	if (!m->fleet)
		return RW_ENOMEM;
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		m->verdicts[r->avail.verdict]++;
		for (size_t d = 0; d < m->n_days; d++)
			for (int k = 0; k < RW_STATE_COUNT; k++)
				m->fleet[d].ms[k] += r->days[d].ms[k];
	}
	return 0;
}

/* Each vantage point's coverage of [month_start, period_end), as the
 * monitor's (monitor_cover.h), from its own runs and blind periods. */
static int load_vantages(struct store *st, int64_t month_start_ms, struct monthly *out)
{
	struct store_vantage *v = NULL;
	size_t n = 0;
	int rc = store_vantage_list(st, &v, &n);

	if (rc < 0 || n == 0)
		return rc;
	out->vantages = calloc(n, sizeof(*out->vantages));
	if (!out->vantages) {
		free(v);
		return RW_ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct monthly_vantage *mv = &out->vantages[i];
		memcpy(mv->name, v[i].name, sizeof(mv->name));
		mv->first_seen_ms = v[i].first_seen_ms;
		rc = monitor_cover_compute_vantage(st, v[i].id, month_start_ms, out->period_end_ms,
		                                   &mv->cover);
		if (rc == 0)
			out->n_vantages++;
	}
	free(v);
	return rc;
}

int monthly_run(struct store *st, const struct policy_source *ps, const struct monthly_opts *o,
                struct monthly *out, char *err, size_t errlen)
{
	const struct rw_policy *pol = &ps->pol;
	struct id_index *ids = NULL;
	int64_t operator_id = 0, tick, at;
	const char *what = "reading the runners";
	int rc;

	memset(out, 0, sizeof(*out));
	out->month_start_ms = o->month_start_ms;
	out->month_end_ms = o->month_end_ms;
	out->generated_ms = o->stamp ? o->now_ms : -1;
	out->operator_filter = o->operator_name;
	out->policy = ps;
	out->n_days = (size_t)(floor_day(o->month_end_ms) - floor_day(o->month_start_ms));

	rc = store_last_tick(st, &tick);
	if (rc < 0) {
		snprintf(err, errlen, "reading the monitor's last tick: %s", store_errmsg(st));
		return rc;
	}
	out->as_of_ms = tick;
	out->period_end_ms = month_period_end(o->month_start_ms, o->month_end_ms, o->now_ms, tick,
	                                      &out->partial);
	/* The last stored change holds until the last tick (nothing after). */
	at = tick >= 0 ? tick : o->month_start_ms;

	if (o->operator_name) {
		rc = store_operator_find(st, o->operator_name, &operator_id);
		if (rc == RW_ENOENT) {
			snprintf(err, errlen, "--operator: no operator named \"%s\"",
			         o->operator_name);
			return rc;
		}
		if (rc < 0) {
			snprintf(err, errlen, "reading the operators: %s", store_errmsg(st));
			return rc;
		}
	}
	rc = load_runners(st, out, pol, operator_id, at);
	if (rc == 0)
		rc = sort_runners(out, &ids);
	if (rc == 0) {
		what = "reading the daily rollups";
		rc = load_rollups(st, out, pol, ids);
	}
	if (rc == 0) {
		what = "reading the incidents";
		rc = load_incidents(st, out, operator_id, ids);
	}
	if (rc == 0)
		rc = build_targets(out, pol);
	if (rc == 0)
		rc = build_operators(out);
	if (rc == 0)
		rc = build_totals(out);
	if (rc == 0) {
		what = "reading the GitHub workflow jobs";
		rc = monthly_pools_build(st, out);
	}
	if (rc == 0) {
		what = "reading the monitor's runs and blind periods";
		rc = monitor_cover_compute(st, o->month_start_ms, out->period_end_ms,
		                           &out->monitor);
	}
	if (rc == 0) {
		what = "reading the vantage points";
		rc = load_vantages(st, o->month_start_ms, out);
	}
	free(ids);
	if (rc < 0) {
		if (rc == RW_ENOMEM)
			snprintf(err, errlen, "out of memory");
		else
			snprintf(err, errlen, "%s: %s", what, store_errmsg(st));
		monthly_deinit(out);
	}
	return rc;
}

void monthly_deinit(struct monthly *m)
{
	if (!m)
		return;
	store_runners_free(m->store_runners, m->n_store_runners);
	store_incidents_free(m->store_incidents, m->n_store_incidents);
	free(m->runners);
	free(m->days);
	free(m->incidents);
	free(m->by_runner);
	free(m->targets);
	free(m->operators);
	free(m->pools);
	free(m->fleet);
	monitor_cover_deinit(&m->monitor);
	for (size_t i = 0; i < m->n_vantages; i++)
		monitor_cover_deinit(&m->vantages[i].cover);
	free(m->vantages);
	memset(m, 0, sizeof(*m));
}
