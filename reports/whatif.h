/* SPDX-License-Identifier: MIT */
/*
 * whatif.h — `runwarden policy whatif`: what a new policy would change.
 *
 * For every runner that is not retired, under the current policy and under
 * the new one, side by side:
 *
 *  - the month's figures and verdict: account_judge() over the calendar
 *    month (UTC) against the runner's floor under that policy
 *    (policy_floor_ppm() of its targets), as every view judges; time before
 *    the runner's registration is not_registered. A month that is not
 *    over (by the wall clock) is counted up to the monitor's last recorded
 *    tick (store_last_tick()) and is marked partial — or up to now when the
 *    monitor recorded no tick in the month (then all of it is unknown, not an
 *    empty period that would owe nothing). Time after the last tick is
 *    unknown in every case, as in every report.
 *  - eligibility now, meaning at the last tick: approved, its latest stored
 *    state is up, not in credited maintenance at that instant, not in
 *    probation, and its rolling-window uptime (window.rolling_days back from
 *    the tick) at or above its floor. Each policy's own notice, cap, service
 *    window, probation and rolling window apply.
 *
 * What is not replayed: the live daemon's hysteresis. A flagged runner is
 * unflagged only at floor + restore_margin, so the daemon may keep a runner
 * out that this computation calls eligible (its uptime is between the floor
 * and floor + margin). Here a runner is flagged exactly when its rolling
 * uptime is below the floor; a runner with no up or down time in the window
 * has nothing to judge and is not flagged, as in the daemon. A runner in
 * probation is never flagged (the daemon does not judge it), so its reason
 * is "probation".
 *
 * The reads are several queries, not one snapshot: a daemon writing at the
 * same time may add changes after the tick that was read, and those count as
 * unknown (they are after "now").
 */
#ifndef RW_WHATIF_H
#define RW_WHATIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/store/policy_source.h"
#include "monitor/store/store.h"
#include "policy/account.h"

enum { WHATIF_CURRENT = 0, WHATIF_NEW = 1 };

/** One runner under one policy. */
struct whatif_side {
	uint32_t floor_ppm;
	struct rw_availability month; /* totals, uptime, coverage, verdict of the month */
	bool has_rolling;             /* up + down > 0 over the rolling window */
	uint32_t rolling_uptime_ppm;
	bool eligible;
	const char *reason; /* NULL when eligible; else "pending", "maintenance",
	                       "down", "unknown", "probation", "flagged" (static) */
};

struct whatif_runner {
	int64_t id;
	char *name;                 /* owned */
	char *operator_name;        /* owned */
	struct whatif_side side[2]; /* [WHATIF_CURRENT], [WHATIF_NEW] */
	bool verdict_changed;
	bool eligibility_changed;
};

struct whatif_result {
	int64_t month_start_ms, month_end_ms;
	int64_t period_end_ms; /* the month was counted over [month_start_ms, period_end_ms) */
	bool partial;          /* the month is not over: counted up to period_end_ms */
	int64_t as_of_ms;      /* the last tick, where eligibility is judged; -1: none yet */
	struct whatif_runner *runners; /* owned; by runner id */
	size_t n_runners;
	size_t verdict_changes;
	size_t eligibility_changes;
};

/**
 * Computes the comparison for the month [@p month_start_ms, @p month_end_ms)
 * (month.h) from the store.
 * @param cur, next  the current and the new policy; read, not kept.
 * @param now_ms     the wall clock: decides whether the month is over, and is
 *                   where eligibility is judged when the monitor never ticked.
 * @param out        filled on success; free with whatif_result_deinit().
 * @param err        one line on failure.
 * @return 0, RW_ENOMEM, or the store's error (RW_EBUSY, RW_EIO).
 */
int whatif_run(struct store *st, const struct policy_source *cur, const struct policy_source *next,
               int64_t month_start_ms, int64_t month_end_ms, int64_t now_ms,
               struct whatif_result *out, char *err, size_t errlen);

/** Frees what @p r owns. Accepts NULL. */
void whatif_result_deinit(struct whatif_result *r);

#endif
