/* SPDX-License-Identifier: MIT */
/*
 * monthly.h — the monthly compliance report (DESIGN.md "Reports"), computed
 * from the store under one policy; monthly_render.h writes it.
 *
 * The period is the calendar month in UTC; a month that is not over (by the
 * wall clock) is counted up to the monitor's last recorded tick and marked
 * partial (month_period_end()). Time after the last tick is unknown.
 *
 * Which runners: every approved or retired runner whose part of the period
 * is not empty. A runner's part is [max(month start, registered),
 * min(period end, retired)): a runner registered mid-month is judged from
 * its registration, a retired one up to its retirement (after it the monitor
 * no longer probes it, and its last state would otherwise hold for ever).
 * Pending runners are not probed and are left out. With an operator filter,
 * only that operator's runners are in it, and every section (targets too)
 * covers only them.
 *
 * Per runner (evidence.h, account.h): the five states over its part by the
 * policy's overlays, uptime, coverage and the verdict against its floor
 * (policy_floor_ppm() of its targets); maintenance credited (the cap is the
 * month's, counted from the month's first millisecond), the eligible
 * maintenance beyond the cap (counted as observed), and the raw declared
 * time; its incidents; from the daily rollups (policy/rollup.h) of the days
 * its part touches: samples, failures, blips under the policy's
 * failures_to_down, and p50/p95 probe latency (within 6.25 %); and the same
 * states day by day, for the charts.
 *
 * Incidents (store_incident_list()): every incident of a reported runner that
 * overlaps [month start, period end). An incident is one DOWN interval as the
 * probes saw it, whatever the overlays later credit; its duration runs to its
 * end, or to the period's end while it is open. Time to acknowledge and to
 * mitigate are measured from its start.
 *
 * Per target: the runners serving it that are still active at the period's
 * end (not retired by then), how many of them PASS, and whether that meets
 * the policy's pool.min_runners. Per operator: counts, down time, incidents,
 * unacknowledged incidents, and the median (lower median) time to acknowledge
 * and to mitigate.
 *
 * GitHub pools (monthly_pools.h): every pool among the reported runners,
 * with its members among them (a member's part is not empty: registered
 * before the period's end and not retired before the month began) and, for a
 * pool with a pickup deadline, pickup.h's figures of the workflow jobs of
 * its source queued in its part of the period.
 *
 * Everything is a function of the store and the policy (and of the wall
 * clock only to decide that a month is not over yet), so the same database
 * and policy give the same report.
 */
#ifndef RW_MONTHLY_H
#define RW_MONTHLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/store/policy_source.h"
#include "monitor/store/store.h"
#include "policy/account.h"
#include "policy/pickup.h"
#include "reports/monitor_cover.h"

struct monthly_incident {
	const struct store_incident *si; /* in monthly.store_incidents */
	size_t runner;                   /* index in monthly.runners */
	bool open;                       /* no end recorded */
	int64_t duration_ms;             /* to its end, or to the period's end while open */
	int64_t tta_ms;                  /* time to acknowledge; -1: not acknowledged */
	int64_t ttm_ms;                  /* time to mitigate; -1: not mitigated */
};

struct monthly_runner {
	const struct store_runner *sr; /* in monthly.store_runners */
	int64_t from_ms, to_ms;        /* its part of the period */
	bool active_at_end;            /* not retired by the period's end */
	struct rw_availability avail;  /* totals, uptime, coverage, floor, verdict */
	uint32_t uptime_ppm;           /* truncated; when avail.has_uptime */
	uint32_t coverage_ppm;         /* truncated; when avail.has_coverage */
	int64_t maint_used_ms;         /* credited (the month's cap counts it) */
	int64_t maint_over_cap_ms;     /* eligible beyond the cap: counted as observed */
	int64_t maint_declared_ms;     /* declared windows in its part, any notice */
	size_t n_incidents;            /* in monthly.by_runner[first_incident...] */
	size_t first_incident;
	int64_t longest_incident_ms; /* -1: none */
	int64_t samples, failures;   /* from the rollups */
	int64_t blips;               /* -1 when the rollups hold no sample */
	int64_t p50_us, p95_us;      /* -1 when no latency */
	struct rw_totals *days;      /* monthly.n_days entries (in monthly.days) */
};

struct monthly_target {
	const char *name; /* borrowed from a runner's targets */
	int tier;         /* 0: not in the policy's target map */
	uint32_t floor_ppm;
	size_t runners;   /* active at the period's end */
	size_t compliant; /* of those, PASS */
	bool pool_met;    /* compliant >= policy pool.min_runners */
};

struct monthly_operator {
	const char *name; /* borrowed */
	size_t runners, pass, fail, indeterminate;
	int64_t down_ms;
	size_t incidents, unacknowledged;
	int64_t tta_median_ms; /* -1: none acknowledged */
	int64_t ttm_median_ms; /* -1: none mitigated */
};

struct monthly_pool {
	size_t runner;              /* the pool's index in monthly.runners */
	size_t members;             /* its members among monthly.runners */
	bool has_pickup;            /* pickup_within_s > 0: jobs is set */
	struct pickup_stats jobs;   /* over the pool's part of the period */
	uint32_t started_share_ppm; /* jobs.started_in_time / jobs.queued, truncated;
	                               when jobs.queued > 0 */
};

struct monthly {
	int64_t month_start_ms, month_end_ms;
	int64_t period_end_ms; /* counted over [month_start_ms, period_end_ms) */
	bool partial;
	int64_t as_of_ms;                   /* the monitor's last tick; -1: it never ran */
	int64_t generated_ms;               /* the wall clock, only with --stamp; else -1 */
	size_t n_days;                      /* days in the month */
	const char *operator_filter;        /* borrowed; NULL: every operator */
	const struct policy_source *policy; /* borrowed */

	struct store_runner *store_runners; /* owned */
	size_t n_store_runners;
	struct monthly_runner *runners; /* owned; by name */
	size_t n_runners;
	struct rw_totals *days; /* owned: n_runners * n_days */

	struct store_incident *store_incidents; /* owned */
	size_t n_store_incidents;
	struct monthly_incident *incidents; /* owned; by start, then id */
	size_t n_incidents;
	size_t *by_runner; /* owned: incident indices, grouped by runner, by start */

	struct monthly_target *targets; /* owned; by name */
	size_t n_targets;
	struct monthly_operator *operators; /* owned; by name */
	size_t n_operators;
	struct monthly_pool *pools; /* owned; by name; none: no GitHub pool reported */
	size_t n_pools;

	size_t verdicts[3];           /* indexed by enum rw_verdict */
	struct rw_totals *fleet;      /* owned: n_days, every runner's day summed */
	int64_t rollup_days;          /* days of the month with rollups */
	struct monitor_cover monitor; /* over [month_start_ms, period_end_ms) */
	/* Each vantage point's own coverage over the same period (its runs and
	 * its blind periods), ordered as they registered; none in a database
	 * where no daemon registered one. */
	struct monthly_vantage *vantages; /* owned */
	size_t n_vantages;
};

/** One vantage point of the report (store.h "vantage points"). */
struct monthly_vantage {
	char name[STORE_VANTAGE_MAX + 1];
	int64_t first_seen_ms;
	struct monitor_cover cover; /* its own runs and blind periods */
};

struct monthly_opts {
	int64_t month_start_ms, month_end_ms; /* month.h */
	int64_t now_ms;                       /* the wall clock */
	const char *operator_name;            /* NULL: every operator */
	bool stamp;                           /* record now_ms as generated_ms */
};

/**
 * Computes the report from the store under @p ps (borrowed: it must outlive
 * @p out).
 * @param err  one line on failure.
 * @return 0, RW_ENOENT (no operator of that name), RW_ENOMEM, or the store's
 *         error. Free @p out with monthly_deinit() on success.
 */
int monthly_run(struct store *st, const struct policy_source *ps, const struct monthly_opts *o,
                struct monthly *out, char *err, size_t errlen);

/** Frees what @p m owns. Accepts NULL. */
void monthly_deinit(struct monthly *m);

#endif
