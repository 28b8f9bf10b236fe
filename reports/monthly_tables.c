/* SPDX-License-Identifier: MIT */
/* monthly_tables.c — the monthly report's tables as cells; see monthly_tables.h. */
#include "reports/monthly_tables.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/duration.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "reports/fmt.h"
#include "reports/month.h"

#define BIT(c) (1u << (c))

static void num(size_t v, char out[FMT_LEN])
{
	snprintf(out, FMT_LEN, "%zu", v);
}

static void i64(int64_t v, char out[FMT_LEN])
{
	snprintf(out, FMT_LEN, "%" PRId64, v);
}

/* A duration for people, or "-" for a missing one (< 0). */
static void dur_or_dash(int64_t ms, char out[FMT_LEN])
{
	if (ms < 0)
		snprintf(out, FMT_LEN, "-");
	else
		duration_format(ms, out, FMT_LEN);
}

int monthly_tables_summary(const struct monthly *m, FILE *f, enum table_format fmt,
                           const char *css_class)
{
	struct table tab = {.right = BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5)};
	static const char *const heads[] = {"Runners",       "PASS",      "FAIL",
	                                    "INDETERMINATE", "Incidents", "Monitor coverage",
	                                    "Monitor blind"};
	char c[7][FMT_LEN], d[FMT_LEN];
	const char *row[7];

	table_begin(&tab, f, fmt, 7, heads, css_class);
	num(m->n_runners, c[0]);
	num(m->verdicts[RW_VERDICT_PASS], c[1]);
	num(m->verdicts[RW_VERDICT_FAIL], c[2]);
	num(m->verdicts[RW_VERDICT_INDETERMINATE], c[3]);
	num(m->n_incidents, c[4]);
	fmt_percent(m->monitor.coverage_ppm, c[5]);
	duration_format(m->monitor.blind_ms, d, FMT_LEN);
	snprintf(c[6], FMT_LEN, "%s in %zu period%s", d, m->monitor.n_blind,
	         m->monitor.n_blind == 1 ? "" : "s");
	for (int i = 0; i < 7; i++)
		row[i] = c[i];
	table_row(&tab, row);
	return table_end(&tab);
}

int monthly_tables_vantages(const struct monthly *m, FILE *f, enum table_format fmt,
                            const char *css_class)
{
	static const char *const heads[] = {"Vantage point", "Coverage", "Blind", "First seen"};
	struct table tab = {.right = BIT(1)};

	table_begin(&tab, f, fmt, 4, heads, css_class);
	for (size_t i = 0; i < m->n_vantages; i++) {
		const struct monthly_vantage *v = &m->vantages[i];
		char c[FMT_LEN], b[FMT_LEN], d[FMT_LEN], s[FMT_LEN];
		const char *row[4] = {v->name, c, b, s};
		fmt_percent(v->cover.coverage_ppm, c);
		duration_format(v->cover.blind_ms, d, FMT_LEN);
		snprintf(b, FMT_LEN, "%s in %zu period%s", d, v->cover.n_blind,
		         v->cover.n_blind == 1 ? "" : "s");
		fmt_when(v->first_seen_ms, s);
		table_row(&tab, row);
	}
	return table_end(&tab);
}

const char *monthly_tables_vantages_note(void)
{
	return "Each vantage point is one runwarden daemon (serve --vantage NAME). Its coverage "
	       "is the share of the period, from its first run on, that it was running and not "
	       "blind, from its own runs and blind periods.";
}

int monthly_tables_blind(const struct monthly *m, FILE *f, enum table_format fmt,
                         const char *css_class)
{
	static const char *const heads[] = {"Start", "End", "Duration", "Cause"};
	struct table tab = {.right = BIT(2)};

	table_begin(&tab, f, fmt, 4, heads, css_class);
	for (size_t i = 0; i < m->monitor.n_blind; i++) {
		const struct monitor_blind *b = &m->monitor.blind[i];
		char a[FMT_LEN], e[FMT_LEN], d[FMT_LEN];
		const char *row[4] = {a, e, d, b->cause};
		fmt_when(b->start_ms, a);
		fmt_when(b->end_ms, e);
		duration_format(b->end_ms - b->start_ms, d, FMT_LEN);
		table_row(&tab, row);
	}
	return table_end(&tab);
}

int monthly_tables_targets(const struct monthly *m, FILE *f, enum table_format fmt,
                           const char *css_class)
{
	struct table tab = {.right = BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5), .triples = BIT(0)};
	static const char *const heads[] = {"Target",    "Tier",         "Floor", "Runners",
	                                    "Compliant", "Pool minimum", "Met"};

	table_begin(&tab, f, fmt, 7, heads, css_class);
	for (size_t i = 0; i < m->n_targets; i++) {
		const struct monthly_target *g = &m->targets[i];
		char tier[FMT_LEN], fl[FMT_LEN], n[FMT_LEN], ok[FMT_LEN], min[FMT_LEN];
		const char *row[7] = {g->name, tier, fl, n, ok, min, g->pool_met ? "yes" : "no"};
		if (g->tier)
			snprintf(tier, FMT_LEN, "%d", g->tier);
		else
			snprintf(tier, FMT_LEN, "-");
		fmt_floor(g->floor_ppm, fl);
		num(g->runners, n);
		num(g->compliant, ok);
		snprintf(min, FMT_LEN, "%u", (unsigned)m->policy->pol.pool.min_runners);
		table_row(&tab, row);
	}
	return table_end(&tab);
}

void monthly_tables_runner_notes(const struct monthly *m, const struct monthly_runner *r, char *out,
                                 size_t len)
{
	char d[FMT_LEN];
	size_t used = 0;

	out[0] = '\0';
	if (store_runner_is_pool(r->sr))
		used = (size_t)snprintf(out, len, "GitHub pool");
	else if (store_runner_is_member(r->sr))
		used = (size_t)snprintf(out, len, "member of %s",
		                        r->sr->pool_name ? r->sr->pool_name : "?");
	if (r->sr->created_ms > m->month_start_ms && used < len) {
		fmt_date(r->sr->created_ms, d);
		used += (size_t)snprintf(out + used, len - used, "%sregistered %s",
		                         used ? "; " : "", d);
	}
	if (!r->active_at_end && used < len) {
		fmt_date(r->to_ms, d);
		snprintf(out + used, len - used, "%sretired %s", used ? "; " : "", d);
	}
}

/* "a, b, c" of the runner's targets. */
static void targets_of(const struct store_runner *sr, const char *sep, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sr->n_targets && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? sep : "",
		                         sr->targets[i]);
}

static void maintenance_cell(const struct monthly *m, const struct monthly_runner *r, char *out,
                             size_t len)
{
	char used[FMT_LEN], over[FMT_LEN];
	unsigned cap_h = m->policy->pol.maintenance.max_h_per_month;

	duration_format(r->maint_used_ms, used, FMT_LEN);
	if (r->maint_over_cap_ms > 0) {
		duration_format(r->maint_over_cap_ms, over, FMT_LEN);
		snprintf(out, len, "%s of %u h (+%s over cap)", used, cap_h, over);
	} else {
		snprintf(out, len, "%s of %u h", used, cap_h);
	}
}

void monthly_tables_runner_cells(const struct monthly *m, const struct monthly_runner *r,
                                 struct monthly_runner_cells *c)
{
	targets_of(r->sr, ", ", c->targets, sizeof(c->targets));
	c->verdict = rw_verdict_name(r->avail.verdict);
	if (r->avail.has_uptime)
		fmt_percent(r->uptime_ppm, c->uptime);
	else
		snprintf(c->uptime, FMT_LEN, "-");
	fmt_floor(r->avail.floor_ppm, c->floor);
	if (r->avail.has_coverage)
		fmt_percent(r->coverage_ppm, c->coverage);
	else
		snprintf(c->coverage, FMT_LEN, "-");
	duration_format(r->avail.totals.ms[RW_STATE_DOWN], c->down, FMT_LEN);
	num(r->n_incidents, c->incidents);
	dur_or_dash(r->longest_incident_ms, c->longest);
	maintenance_cell(m, r, c->maintenance, sizeof(c->maintenance));
	if (r->blips >= 0)
		i64(r->blips, c->blips);
	else
		snprintf(c->blips, FMT_LEN, "-");
	fmt_latency(r->p50_us, c->p50);
	fmt_latency(r->p95_us, c->p95);
	monthly_tables_runner_notes(m, r, c->notes, sizeof(c->notes));
}

enum {
	R_NAME,
	R_OPERATOR,
	R_TARGETS,
	R_VERDICT,
	R_UPTIME,
	R_FLOOR,
	R_COVERAGE,
	R_DOWN,
	R_INCIDENTS,
	R_LONGEST,
	R_MAINT,
	R_BLIPS,
	R_P50,
	R_P95,
	R_NOTES,
	R_COLS
};

int monthly_tables_runners(const struct monthly *m, FILE *f, enum table_format fmt,
                           const char *css_class)
{
	static const char *const heads[R_COLS] = {
	        [R_NAME] = "Runner",       [R_OPERATOR] = "Operator", [R_TARGETS] = "Targets",
	        [R_VERDICT] = "Verdict",   [R_UPTIME] = "Uptime",     [R_FLOOR] = "Floor",
	        [R_COVERAGE] = "Coverage", [R_DOWN] = "Down",         [R_INCIDENTS] = "Incidents",
	        [R_LONGEST] = "Longest",   [R_MAINT] = "Maintenance", [R_BLIPS] = "Blips",
	        [R_P50] = "p50",           [R_P95] = "p95",           [R_NOTES] = "Notes"};

	struct table tab = {.right = BIT(R_UPTIME) | BIT(R_FLOOR) | BIT(R_COVERAGE) | BIT(R_DOWN) |
	                             BIT(R_INCIDENTS) | BIT(R_LONGEST) | BIT(R_BLIPS) | BIT(R_P50) |
	                             BIT(R_P95)};

	table_begin(&tab, f, fmt, R_COLS, heads, css_class);
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		struct monthly_runner_cells c;
		const char *row[R_COLS];

		monthly_tables_runner_cells(m, r, &c);
		row[R_NAME] = r->sr->name;
		row[R_OPERATOR] = r->sr->operator_name ? r->sr->operator_name : "";
		row[R_TARGETS] = c.targets;
		row[R_VERDICT] = c.verdict;
		row[R_UPTIME] = c.uptime;
		row[R_FLOOR] = c.floor;
		row[R_COVERAGE] = c.coverage;
		row[R_DOWN] = c.down;
		row[R_INCIDENTS] = c.incidents;
		row[R_LONGEST] = c.longest;
		row[R_MAINT] = c.maintenance;
		row[R_BLIPS] = c.blips;
		row[R_P50] = c.p50;
		row[R_P95] = c.p95;
		row[R_NOTES] = c.notes;
		table_row(&tab, row);
	}
	return table_end(&tab);
}

int monthly_tables_operators(const struct monthly *m, FILE *f, enum table_format fmt,
                             const char *css_class)
{
	struct table tab = {.right = ~BIT(0) & (BIT(10) - 1)};
	static const char *const heads[] = {
	        "Operator", "Runners",   "PASS",           "FAIL",       "INDETERMINATE",
	        "Down",     "Incidents", "Unacknowledged", "Median TTA", "Median TTM"};

	table_begin(&tab, f, fmt, 10, heads, css_class);
	for (size_t i = 0; i < m->n_operators; i++) {
		const struct monthly_operator *o = &m->operators[i];
		char c[10][FMT_LEN];
		const char *row[10] = {o->name, c[1], c[2], c[3], c[4],
		                       c[5],    c[6], c[7], c[8], c[9]};
		num(o->runners, c[1]);
		num(o->pass, c[2]);
		num(o->fail, c[3]);
		num(o->indeterminate, c[4]);
		duration_format(o->down_ms, c[5], FMT_LEN);
		num(o->incidents, c[6]);
		num(o->unacknowledged, c[7]);
		dur_or_dash(o->tta_median_ms, c[8]);
		dur_or_dash(o->ttm_median_ms, c[9]);
		table_row(&tab, row);
	}
	return table_end(&tab);
}

int monthly_tables_incidents(const struct monthly *m, FILE *f, enum table_format fmt,
                             const char *css_class)
{
	struct table tab = {.right = BIT(0) | BIT(5) | BIT(6) | BIT(7)};
	static const char *const heads[] = {
	        "#",    "Runner",   "Operator",           "Start",
	        "End",  "Duration", "Acknowledged after", "Mitigated after",
	        "Notes"};

	table_begin(&tab, f, fmt, 9, heads, css_class);
	for (size_t i = 0; i < m->n_incidents; i++) {
		const struct monthly_incident *mi = &m->incidents[i];
		const struct monthly_runner *r = &m->runners[mi->runner];
		char c[9][FMT_LEN], notes[1024];
		const char *row[9] = {
		        c[0], r->sr->name, r->sr->operator_name ? r->sr->operator_name : "",
		        c[3], c[4],        c[5],
		        c[6], c[7],        notes};
		size_t used = 0;

		i64(mi->si->id, c[0]);
		fmt_when(mi->si->start_ms, c[3]);
		if (mi->open)
			snprintf(c[4], FMT_LEN, "open");
		else
			fmt_when(mi->si->end_ms, c[4]);
		duration_format(mi->duration_ms, c[5], FMT_LEN);
		dur_or_dash(mi->tta_ms, c[6]);
		dur_or_dash(mi->ttm_ms, c[7]);
		notes[0] = '\0';
		if (mi->si->ack_note && *mi->si->ack_note)
			used += (size_t)snprintf(notes, sizeof(notes), "ack: %s", mi->si->ack_note);
		if (mi->si->mitigated_note && *mi->si->mitigated_note && used < sizeof(notes))
			snprintf(notes + used, sizeof(notes) - used, "%smitigated: %s",
			         used ? "; " : "", mi->si->mitigated_note);
		table_row(&tab, row);
	}
	return table_end(&tab);
}

const char *monthly_tables_pools_note(void)
{
	return "Members are the pool's runners that were registered at some time in the period "
	       "(each is also listed under Runners). A workflow job is the pool's when its "
	       "repository is of the "
	       "pool's source (an owner: any of its repositories) and its labels include all of "
	       "the pool's labels. For a pool with a pickup deadline, the jobs queued in its part "
	       "of the period are counted: how many started within the deadline of being queued, "
	       "and the queue wait, from queueing to the start or, for a job that never started, "
	       "to its cancellation or the end of the period (p50 and p95 are nearest-rank). A "
	       "pool without a deadline has no job figures.";
}

/* "a, b" of a pool's labels. */
static void labels_of(const struct store_runner *sr, const char *sep, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sr->n_labels && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? sep : "",
		                         sr->labels[i]);
}

enum {
	P_NAME,
	P_OPERATOR,
	P_SOURCE,
	P_LABELS,
	P_MIN_ONLINE,
	P_WITHIN,
	P_MEMBERS,
	P_QUEUED,
	P_STARTED,
	P_P50,
	P_P95,
	P_MAX,
	P_COLS
};

int monthly_tables_pools(const struct monthly *m, FILE *f, enum table_format fmt,
                         const char *css_class)
{
	static const char *const heads[P_COLS] = {[P_NAME] = "Pool",
	                                          [P_OPERATOR] = "Operator",
	                                          [P_SOURCE] = "Source",
	                                          [P_LABELS] = "Labels",
	                                          [P_MIN_ONLINE] = "Min online",
	                                          [P_WITHIN] = "Pickup within",
	                                          [P_MEMBERS] = "Members",
	                                          [P_QUEUED] = "Jobs queued",
	                                          [P_STARTED] = "Started within",
	                                          [P_P50] = "Wait p50",
	                                          [P_P95] = "Wait p95",
	                                          [P_MAX] = "Wait max"};
	struct table tab = {.right = BIT(P_MIN_ONLINE) | BIT(P_WITHIN) | BIT(P_MEMBERS) |
	                             BIT(P_QUEUED) | BIT(P_STARTED) | BIT(P_P50) | BIT(P_P95) |
	                             BIT(P_MAX)};

	table_begin(&tab, f, fmt, P_COLS, heads, css_class);
	for (size_t i = 0; i < m->n_pools; i++) {
		const struct monthly_pool *p = &m->pools[i];
		const struct store_runner *sr = m->runners[p->runner].sr;
		char c[P_COLS][FMT_LEN], labels[512], share[FMT_LEN];
		const char *row[P_COLS];

		for (int k = 0; k < P_COLS; k++) {
			row[k] = c[k];
			snprintf(c[k], FMT_LEN, "-");
		}
		row[P_NAME] = sr->name;
		row[P_OPERATOR] = sr->operator_name ? sr->operator_name : "";
		row[P_SOURCE] = sr->github ? sr->github : "";
		labels_of(sr, ", ", labels, sizeof(labels));
		row[P_LABELS] = labels;
		snprintf(c[P_MIN_ONLINE], FMT_LEN, "%u", (unsigned)sr->min_online);
		num(p->members, c[P_MEMBERS]);
		if (p->has_pickup) {
			duration_format((int64_t)sr->pickup_within_s * 1000, c[P_WITHIN], FMT_LEN);
			snprintf(c[P_QUEUED], FMT_LEN, "%u", (unsigned)p->jobs.queued);
			if (p->jobs.queued > 0) {
				fmt_percent(p->started_share_ppm, share);
				snprintf(c[P_STARTED], FMT_LEN, "%u (%s)",
				         (unsigned)p->jobs.started_in_time, share);
			} else {
				snprintf(c[P_STARTED], FMT_LEN, "0");
			}
			dur_or_dash(p->jobs.wait_p50_ms, c[P_P50]);
			dur_or_dash(p->jobs.wait_p95_ms, c[P_P95]);
			dur_or_dash(p->jobs.wait_max_ms, c[P_MAX]);
		}
		table_row(&tab, row);
	}
	return table_end(&tab);
}

/* A latency in ms with 3 decimals (exact µs), or "" when missing. */
static void latency_csv(int64_t us, char out[FMT_LEN])
{
	if (us < 0)
		out[0] = '\0';
	else
		snprintf(out, FMT_LEN, "%" PRId64 ".%03d", us / 1000, (int)(us % 1000));
}

enum {
	C_RUNNER,
	C_ID,
	C_OPERATOR,
	C_TARGETS,
	C_STATUS,
	C_FROM,
	C_TO,
	C_VERDICT,
	C_UPTIME,
	C_FLOOR,
	C_COVERAGE,
	C_UP,
	C_DOWN,
	C_MAINT,
	C_UNKNOWN,
	C_OUTSIDE,
	C_NOT_REGISTERED,
	C_INCIDENTS,
	C_LONGEST,
	C_UNACKED,
	C_TTA_MAX,
	C_TTM_MAX,
	C_M_USED,
	C_M_CAP,
	C_M_OVER,
	C_M_DECLARED,
	C_SAMPLES,
	C_FAILURES,
	C_BLIPS,
	C_P50,
	C_P95,
	C_COLS, /* the columns of every report; with GitHub pools, these too: */
	C_POOL = C_COLS,
	C_GITHUB,
	C_LABELS,
	C_MIN_ONLINE,
	C_WITHIN,
	C_MEMBERS,
	C_JOBS_QUEUED,
	C_JOBS_STARTED,
	C_JOBS_SHARE,
	C_WAIT_P50,
	C_WAIT_P95,
	C_WAIT_MAX,
	C_ALL
};

/* The GitHub columns of runner @p r: a member's pool; a pool's source,
 * labels, minimum, deadline, members and job figures (empty when missing). */
static void csv_github(const struct monthly *m, const struct monthly_runner *r, char c[][FMT_LEN],
                       const char **row, char *labels, size_t labels_len)
{
	const struct monthly_pool *p = NULL;

	if (store_runner_is_member(r->sr))
		row[C_POOL] = r->sr->pool_name ? r->sr->pool_name : "";
	if (!store_runner_is_pool(r->sr))
		return;
	for (size_t i = 0; i < m->n_pools && !p; i++)
		if (m->runners + m->pools[i].runner == r)
			p = &m->pools[i];
	row[C_GITHUB] = r->sr->github ? r->sr->github : "";
	labels_of(r->sr, " ", labels, labels_len);
	row[C_LABELS] = labels;
	snprintf(c[C_MIN_ONLINE], FMT_LEN, "%u", (unsigned)r->sr->min_online);
	snprintf(c[C_WITHIN], FMT_LEN, "%u", (unsigned)r->sr->pickup_within_s);
	if (!p)
		return; /* not reached: every pool of the report is in m->pools */
	num(p->members, c[C_MEMBERS]);
	if (!p->has_pickup)
		return;
	snprintf(c[C_JOBS_QUEUED], FMT_LEN, "%u", (unsigned)p->jobs.queued);
	snprintf(c[C_JOBS_STARTED], FMT_LEN, "%u", (unsigned)p->jobs.started_in_time);
	if (p->jobs.queued > 0)
		fmt_ratio(p->started_share_ppm, c[C_JOBS_SHARE]);
	if (p->jobs.wait_p50_ms >= 0) {
		i64(p->jobs.wait_p50_ms, c[C_WAIT_P50]);
		i64(p->jobs.wait_p95_ms, c[C_WAIT_P95]);
		i64(p->jobs.wait_max_ms, c[C_WAIT_MAX]);
	}
}

int monthly_tables_runners_csv(const struct monthly *m, FILE *f)
{
	struct table tab = {0};
	static const char *const heads[C_ALL] = {
	        [C_RUNNER] = "runner",
	        [C_ID] = "id",
	        [C_OPERATOR] = "operator",
	        [C_TARGETS] = "targets",
	        [C_STATUS] = "status",
	        [C_FROM] = "from",
	        [C_TO] = "to",
	        [C_VERDICT] = "verdict",
	        [C_UPTIME] = "uptime",
	        [C_FLOOR] = "floor",
	        [C_COVERAGE] = "coverage",
	        [C_UP] = "up_ms",
	        [C_DOWN] = "down_ms",
	        [C_MAINT] = "maintenance_ms",
	        [C_UNKNOWN] = "unknown_ms",
	        [C_OUTSIDE] = "outside_window_ms",
	        [C_NOT_REGISTERED] = "not_registered_ms",
	        [C_INCIDENTS] = "incidents",
	        [C_LONGEST] = "longest_incident_ms",
	        [C_UNACKED] = "unacknowledged",
	        [C_TTA_MAX] = "time_to_acknowledge_max_ms",
	        [C_TTM_MAX] = "time_to_mitigate_max_ms",
	        [C_M_USED] = "maintenance_used_ms",
	        [C_M_CAP] = "maintenance_cap_ms",
	        [C_M_OVER] = "maintenance_over_cap_ms",
	        [C_M_DECLARED] = "maintenance_declared_ms",
	        [C_SAMPLES] = "samples",
	        [C_FAILURES] = "failures",
	        [C_BLIPS] = "blips",
	        [C_P50] = "latency_p50_ms",
	        [C_P95] = "latency_p95_ms",
	        [C_POOL] = "pool",
	        [C_GITHUB] = "github",
	        [C_LABELS] = "labels",
	        [C_MIN_ONLINE] = "min_online",
	        [C_WITHIN] = "pickup_within_s",
	        [C_MEMBERS] = "members",
	        [C_JOBS_QUEUED] = "jobs_queued",
	        [C_JOBS_STARTED] = "jobs_started_within",
	        [C_JOBS_SHARE] = "jobs_started_within_share",
	        [C_WAIT_P50] = "queue_wait_p50_ms",
	        [C_WAIT_P95] = "queue_wait_p95_ms",
	        [C_WAIT_MAX] = "queue_wait_max_ms",
	};
	static const enum rw_state states[6] = {
	        RW_STATE_UP,      RW_STATE_DOWN,           RW_STATE_MAINTENANCE,
	        RW_STATE_UNKNOWN, RW_STATE_OUTSIDE_WINDOW, RW_STATE_NOT_REGISTERED};
	int64_t cap = (int64_t)m->policy->pol.maintenance.max_h_per_month * CALENDAR_MS_PER_HOUR;

	table_begin(&tab, f, TABLE_CSV, m->n_pools ? C_ALL : C_COLS, heads, NULL);
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		char c[C_ALL][FMT_LEN], targets[512], labels[512];
		const char *row[C_ALL];
		int64_t tta_max = -1, ttm_max = -1;
		size_t unacked = 0;

		for (int k = 0; k < C_ALL; k++) {
			row[k] = c[k];
			c[k][0] = '\0';
		}
		for (size_t j = 0; j < r->n_incidents; j++) {
			const struct monthly_incident *mi =
			        &m->incidents[m->by_runner[r->first_incident + j]];
			unacked += mi->tta_ms < 0;
			if (mi->tta_ms > tta_max)
				tta_max = mi->tta_ms;
			if (mi->ttm_ms > ttm_max)
				ttm_max = mi->ttm_ms;
		}
		row[C_RUNNER] = r->sr->name;
		i64(r->sr->id, c[C_ID]);
		row[C_OPERATOR] = r->sr->operator_name ? r->sr->operator_name : "";
		targets_of(r->sr, " ", targets, sizeof(targets));
		row[C_TARGETS] = targets;
		row[C_STATUS] = r->active_at_end ? "active" : "retired";
		fmt_time(r->from_ms, c[C_FROM]);
		fmt_time(r->to_ms, c[C_TO]);
		row[C_VERDICT] = rw_verdict_name(r->avail.verdict);
		if (r->avail.has_uptime)
			fmt_ratio(r->uptime_ppm, c[C_UPTIME]);
		fmt_ratio(r->avail.floor_ppm, c[C_FLOOR]);
		if (r->avail.has_coverage)
			fmt_ratio(r->coverage_ppm, c[C_COVERAGE]);
		for (int k = 0; k < 6; k++)
			i64(r->avail.totals.ms[states[k]], c[C_UP + k]);
		num(r->n_incidents, c[C_INCIDENTS]);
		if (r->longest_incident_ms >= 0)
			i64(r->longest_incident_ms, c[C_LONGEST]);
		num(unacked, c[C_UNACKED]);
		if (tta_max >= 0)
			i64(tta_max, c[C_TTA_MAX]);
		if (ttm_max >= 0)
			i64(ttm_max, c[C_TTM_MAX]);
		i64(r->maint_used_ms, c[C_M_USED]);
		i64(cap, c[C_M_CAP]);
		i64(r->maint_over_cap_ms, c[C_M_OVER]);
		i64(r->maint_declared_ms, c[C_M_DECLARED]);
		i64(r->samples, c[C_SAMPLES]);
		i64(r->failures, c[C_FAILURES]);
		if (r->blips >= 0)
			i64(r->blips, c[C_BLIPS]);
		latency_csv(r->p50_us, c[C_P50]);
		latency_csv(r->p95_us, c[C_P95]);
		if (m->n_pools)
			csv_github(m, r, c, row, labels, sizeof(labels));
		table_row(&tab, row);
	}
	return table_end(&tab);
}

void monthly_tables_header(const struct monthly *m, char *title, size_t title_len, char *period,
                           size_t period_len, char *policy, size_t policy_len)
{
	char month[8], a[FMT_LEN], b[FMT_LEN], since[FMT_LEN + 32] = "";
	const struct policy_source *ps = m->policy;

	month_format(m->month_start_ms, month);
	snprintf(title, title_len, "Monthly compliance report: %s", month);
	fmt_when(m->month_start_ms, a);
	fmt_when(m->period_end_ms, b);
	if (!m->partial) {
		snprintf(period, period_len, "%s to %s UTC (%zu days), complete", a, b, m->n_days);
	} else if (m->as_of_ms >= 0 && m->as_of_ms >= m->period_end_ms) {
		snprintf(period, period_len,
		         "%s to %s UTC, partial, as of %s (the monitor's last tick)", a, b, b);
	} else {
		snprintf(period, period_len,
		         "%s to %s UTC, partial, as of %s (no tick of the monitor this month: "
		         "unknown)",
		         a, b, b);
	}
	if (ps->effective_ms >= 0) {
		fmt_when(ps->effective_ms, a);
		snprintf(since, sizeof(since), ", in force since %s UTC", a);
	}
	snprintf(policy, policy_len, "%s, version %d%s", ps->origin ? ps->origin : "-",
	         ps->pol.version, since);
}
