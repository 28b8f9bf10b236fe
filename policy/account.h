/* SPDX-License-Identifier: MIT */
/*
 * account.h — availability arithmetic over stored intervals (pure).
 *
 * A runner's history is a list of state changes (intervals in run-length
 * form): change i holds from its start to the next change's start; the last
 * one holds until `now`. Over a period [from, to) every millisecond gets
 * exactly one state, so the totals always sum to to - from:
 *   - time before the runner's registration and from its retirement on is
 *     NOT_REGISTERED: outside the runner's period, judged on nothing;
 *   - time before the first change, and time after `now`, is UNKNOWN;
 *   - all arithmetic is in integer milliseconds;
 *   - the verdict compares in integer parts per million, never in floats.
 *
 * Over a period W:
 *   uptime   = up / (up + down)
 *   coverage = (up + down) / (W - maintenance - outside_window - not_registered)
 *            = (up + down) / (up + down + unknown)
 * Verdict (DESIGN.md): FAIL if even counting every unknown millisecond as up
 * the uptime is below the floor; PASS if counting every unknown millisecond
 * as down it is still at or above the floor, or if coverage >= min_coverage
 * and uptime >= floor; otherwise INDETERMINATE. A period with no service time
 * at all (everything maintenance, outside the window or not registered) owes
 * nothing: PASS.
 *
 * account_judge() is the one place where a runner's figures and verdict over
 * a period are decided: the API's availability, the route's ranking, the
 * flags, the status page, `policy whatif` and the monthly report all call
 * it, so that the same period gives the same numbers in every view.
 */
#ifndef RW_ACCOUNT_H
#define RW_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/** One stored state change: from start_ms on, the runner is `state`. */
struct rw_interval {
	int64_t start_ms;
	enum rw_state state;
};

struct rw_totals {
	int64_t ms[RW_STATE_COUNT]; /* indexed by enum rw_state */
};

enum rw_verdict {
	RW_VERDICT_PASS = 0,
	RW_VERDICT_FAIL = 1,
	RW_VERDICT_INDETERMINATE = 2,
};

/** Returns "PASS", "FAIL" or "INDETERMINATE". */
const char *rw_verdict_name(enum rw_verdict v);

struct rw_availability {
	struct rw_totals totals;
	int has_uptime;   /* 0 when up + down == 0 (no evidence) */
	double uptime;    /* up / (up + down), when has_uptime */
	int has_coverage; /* 0 when there is no service time */
	double coverage;  /* (up + down) / (W - maintenance - outside_window - not_registered) */
	/* The same ratios in parts per million, truncated (never rounded up, so
	 * that a runner shown at its floor meets it): what every view prints. */
	uint32_t uptime_ppm;   /* 0 unless has_uptime */
	uint32_t coverage_ppm; /* 0 unless has_coverage */
	uint32_t floor_ppm;
	enum rw_verdict verdict;
};

/**
 * Sums @p n changes (sorted by start_ms, ties resolved by taking the last)
 * over [@p from_ms, @p to_ms), the last change holding until @p now_ms.
 * Requires from_ms <= to_ms. The states of @p out sum to to_ms - from_ms.
 */
void account_totals(const struct rw_interval *iv, size_t n, int64_t now_ms, int64_t from_ms,
                    int64_t to_ms, struct rw_totals *out);

/* ---- overlays: maintenance and the service window ------------------------
 *
 * account_period() gives every millisecond of [from, to) exactly one of the
 * six states, by these rules, in this order of precedence:
 *
 *  0. not_registered: a millisecond before the runner's registration
 *     (created_ms) or at or after its retirement (retired_ms, when not 0) is
 *     outside the runner's period, whatever else holds. It is neither
 *     unknown nor service time, and it uses no maintenance cap.
 *  1. outside_window: a millisecond outside the policy's weekly service
 *     window (UTC; days bit 0 = Monday; [from_min, to_min) minutes of the
 *     day) is outside_window, whatever else holds. No spans: always inside.
 *  2. maintenance: a millisecond t inside the service window and inside a
 *     declared maintenance window [start, end) counts as maintenance when
 *       - it had enough notice: t >= declared + min_notice_h (so a window
 *         declared late still earns the part that begins min_notice_h after
 *         its declaration; a window declared in time earns all of it), and
 *       - the cap of its calendar month (UTC) is not used up: in each month
 *         at most max_h_per_month hours are credited, earliest first, counting
 *         from the month's first millisecond even when [from, to) starts later
 *         (so a period sees the same cap use as the whole month does).
 *     Overlapping windows count once (their union).
 *  3. otherwise, the observed state from the intervals (account_totals rules:
 *     unknown before the first change and after now).
 *
 * Maintenance that is not credited (short notice, beyond the cap) counts as
 * whatever the probes saw, so a runner cannot hide an outage by declaring it
 * after the fact.
 *
 * Where the rules above leave a choice, these hold (and the tests check them):
 *  - Notice is per window: t is eligible when at least one window containing
 *    it was declared min_notice_h before t. A late window overlapping a
 *    timely one therefore adds nothing before its own notice point.
 *  - Only credited milliseconds use the cap: maintenance outside the
 *    runner's period (rule 0) or the service window (rule 1) and the
 *    short-notice part of a window use none.
 *  - "Earliest first" is by the time of the maintenance itself, not by when
 *    it was declared: a month's credit is the first max_h_per_month hours of
 *    its eligible in-service maintenance. max_h_per_month == 0 credits
 *    nothing; min_notice_h == 0 needs t >= declared only.
 *  - Rule 2 does not look at now: a declared window after now is credited
 *    (the period shows maintenance, not unknown) and uses its month's cap.
 *  - The service window is read as calendar.h says: each span covers its own
 *    days only ("24:00" = 1440 ends at midnight; a window crossing midnight
 *    is two spans), overlapping spans are one window, and a non-empty list
 *    whose spans cover no time means never in service.
 *  - Windows with end_ms <= start_ms are empty and ignored.
 *
 * Cost: one forward sweep over the boundaries (service pieces, eligible
 * maintenance pieces, month edges, interval starts), from the first
 * millisecond of from's month; no allocation. O(days + n_iv in the period +
 * log n_iv + n_mw * eligible pieces): about 1.5 us for 30 days of ~170
 * changes, two windows and a mon-fri service window on a 2-core box
 * (tests/bench/account_bench.c).
 */

/** One declared maintenance window of one runner. */
struct rw_maintenance {
	int64_t start_ms;
	int64_t end_ms;      /* > start_ms */
	int64_t declared_ms; /* when it was declared */
};

/** Everything account_period() reads; it owns none of it. */
struct account_input {
	const struct rw_interval *iv; /* sorted by start_ms */
	size_t n_iv;
	const struct rw_maintenance *mw; /* any order, may overlap */
	size_t n_mw;
	const struct rw_policy *policy; /* service spans, notice, cap, min_coverage; required */
	int64_t now_ms;
	/* The runner's period (rule 0): [created_ms, retired_ms), or from
	 * created_ms on while retired_ms is 0 (active). Both 0: always. */
	int64_t created_ms; /* its registration */
	int64_t retired_ms; /* its retirement; 0 while it is active */
};

/**
 * Sums the six states over [@p from_ms, @p to_ms) by the rules above.
 * Requires from_ms <= to_ms. The states of @p out sum to to_ms - from_ms.
 */
void account_period(const struct account_input *in, int64_t from_ms, int64_t to_ms,
                    struct rw_totals *out);

/**
 * account_period() cut at UTC midnights, in the same single sweep: @p out[i]
 * receives the totals of [max(from, d0 + i days), min(to, d0 + (i + 1) days))
 * where d0 is the midnight at or before @p from_ms, for i < @p n_out (days
 * beyond @p n_out are not counted; days after @p to_ms are zeroed). Each day
 * equals account_period() over that day, so the days sum to
 * account_period(from, to) when n_out covers it. Requires from_ms <= to_ms.
 */
void account_period_days(const struct account_input *in, int64_t from_ms, int64_t to_ms,
                         struct rw_totals *out, size_t n_out);

/**
 * Maintenance credited (milliseconds, rule 2) in the calendar month (UTC)
 * that contains @p t_ms — "maintenance used of cap". This is the whole
 * month's credit, [month start, next month start), whatever @p t_ms and
 * now_ms are within it: a window declared for later in the month counts
 * already. The credit used up to t is account_period(in, month start, t)'s
 * maintenance total. Always in [0, max_h_per_month hours].
 */
int64_t account_maintenance_used(const struct account_input *in, int64_t t_ms);

/** Whether millisecond @p t_ms is inside the policy's service window (rule 1;
 *  calendar_in_service()). */
int account_in_service(const struct rw_policy *policy, int64_t t_ms);

/** Computes uptime, coverage and the verdict of @p t against the floors
 *  (the rule; views call account_judge()). */
void account_evaluate(const struct rw_totals *t, uint32_t floor_ppm, uint32_t min_coverage_ppm,
                      struct rw_availability *out);

/**
 * The figures and verdict of one runner over [@p from_ms, @p to_ms):
 * account_period() of @p in (its history, maintenance, registration and
 * retirement, under in->policy), then account_evaluate() against
 * @p floor_ppm and in->policy's window.min_coverage_ppm. Every view of a
 * runner's availability calls this and nothing else, so that the same
 * input and period give the same numbers everywhere. The states of
 * out->totals sum to to_ms - from_ms. Requires from_ms <= to_ms.
 */
void account_judge(const struct account_input *in, int64_t from_ms, int64_t to_ms,
                   uint32_t floor_ppm, struct rw_availability *out);

#endif
