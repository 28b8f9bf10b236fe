/* SPDX-License-Identifier: MIT */
/*
 * fleet.h — the runners the daemon watches, in memory, and what their probe
 * results do to them.
 *
 * The fleet mirrors the store's registry (synced by registry generation),
 * indexes runners by id (a sorted array: ids only grow) and by target (one
 * pool per target triple), and applies each probe result to the runner's
 * state machine. Every state change is logged, counted and queued to the
 * writer in the order the machine produced it; hot queries (route, status,
 * metrics) read only this memory, never SQLite.
 */
#ifndef RW_FLEET_H
#define RW_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/core/metrics.h"
#include "monitor/core/runner.h"
#include "monitor/fleet/writer.h"
#include "monitor/store/store.h"
#include "policy/policy.h"

/** Runners serving one target. */
struct target_pool {
	char *triple;
	struct runner **v;
	size_t n, cap;
	/* Against the policy's pool.min_runners (fleet_minimum.c), as last
	 * announced: 0 not judged yet, FLEET_POOL_MET, FLEET_POOL_BELOW. */
	int min_state;
};

#define FLEET_POOL_MET   1
#define FLEET_POOL_BELOW 2

struct fleet {
	struct runner **v; /* sorted by id */
	size_t n, cap;
	struct target_pool *pools;
	size_t n_pools;
	struct target_pool *lpools; /* by runs-on label (triple holds the label) */
	size_t n_lpools;
	/* Bumped by every change a route answer shows at once (a state,
	 * eligibility, flag or registry change): cached answers older than it
	 * are stale (api.c). */
	uint64_t route_gen;
	int64_t gen; /* the highest registry generation applied */
	/* The GitHub poll interval: GitHub pools' and members' interval
	 * (0: the policy's probe interval). Set by the owner before use. */
	uint32_t github_interval_s;

	/* Where results go; set by the owner before use. */
	struct writer *writer;
	struct metrics *m;
	/* The policy in force and its id in policy_versions (flags record it). */
	const struct rw_policy *pol;
	int64_t policy_id;
	/* Since when the monitor has been running without a gap, able to
	 * receive heartbeats: silence before it is not a push runner's. */
	int64_t seeing_since_ms;
};

/** An empty fleet; @p pol must outlive it (the daemon swaps its contents on reload). */
void fleet_init(struct fleet *f, struct writer *w, struct metrics *m, const struct rw_policy *pol);

/** Frees every runner (none may have a probe in flight). */
void fleet_deinit(struct fleet *f);

/** The runner with @p id, or NULL. */
struct runner *fleet_find(const struct fleet *f, int64_t id);

/** The pool of @p triple, or NULL when no runner serves it. */
const struct target_pool *fleet_pool(const struct fleet *f, const char *triple);

/** The runners carrying runs-on label @p label, or NULL when none does. */
const struct target_pool *fleet_label_pool(const struct fleet *f, const char *label);

/**
 * Adds or updates a runner from its stored record, with the settings the
 * policy gives it. A new runner starts UNKNOWN since @p since_ms (its last
 * stored change, or the monitor's restart).
 * @param out     receives the runner.
 * @param is_new  set when the runner was not in the fleet before.
 * @return 0, RW_EINVAL (a URL the fleet cannot probe), RW_ENOMEM.
 */
int fleet_upsert(struct fleet *f, const struct store_runner *sr, const struct rw_policy *pol,
                 int64_t since_ms, struct runner **out, bool *is_new);

/** Takes @p r out of the indexes; the caller frees it with runner_free()
 *  once no probe is in flight. */
void fleet_remove(struct fleet *f, struct runner *r);

/**
 * Appends a change to r's in-memory history; a change at or before the last
 * one's start replaces it (the machine never goes back in time, so this only
 * happens for equal starts). @return 0 or RW_ENOMEM.
 */
int fleet_hist_append(struct runner *r, int64_t start_ms, enum rw_state state);

/** Drops history that ended before @p cutoff_ms. */
void fleet_hist_trim(struct runner *r, int64_t cutoff_ms);

/** Replaces r's maintenance windows with @p mw (taken over; malloc'd). */
void fleet_set_maintenance(struct runner *r, struct rw_maintenance *mw, size_t n);

/**
 * The account_input of @p r from memory at @p now_ms: its history, its
 * maintenance windows, the fleet's policy, its registration (a runner in
 * the fleet is never retired). Borrowed from @p r and @p f: valid until
 * either changes. Callers that merge older, stored history replace iv/n_iv
 * (api_route.c, status.c).
 */
void fleet_input(const struct fleet *f, const struct runner *r, int64_t now_ms,
                 struct account_input *in);

/**
 * The figures and verdict of @p r over [from, to) from memory:
 * account_judge() of fleet_input() against r's floor. Exact for periods
 * inside what memory holds (the rolling window); time before r's
 * registration is not_registered.
 */
void fleet_judge(const struct fleet *f, const struct runner *r, int64_t now_ms, int64_t from_ms,
                 int64_t to_ms, struct rw_availability *out);

/** The maintenance credited to @p r in the month of @p now_ms, in ms
 *  (account_maintenance_used() over its in-memory windows). */
int64_t fleet_maintenance_used(const struct fleet *f, const struct runner *r, int64_t now_ms);

/** Whether @p r is in credited maintenance at @p now_ms (notice and cap met). */
bool fleet_in_maintenance(const struct fleet *f, const struct runner *r, int64_t now_ms);

/** Frees a runner that is out of the fleet. Accepts NULL. */
void runner_free(struct runner *r);

/** Recomputes every runner's effective settings under @p pol. */
void fleet_apply_policy(struct fleet *f, const struct rw_policy *pol);

/** How a probe result reaches the runner's state machine (blind.h decides). */
enum fleet_apply {
	FLEET_APPLY_SAMPLE = 0, /* as evidence: runstate_sample() */
	FLEET_APPLY_BLIND = 1,  /* as the monitor's blindness: runstate_blind() at its time */
	FLEET_APPLY_NONE = 2,   /* not at all: the sample is only stored */
};

/** Records one probe result of @p r: sample, then the state machine and its
 *  changes as @p how says. A result of class refused_by_guard (a name that
 *  resolved to an address the guard refuses, at connect time) applied as
 *  a sample makes the runner unknown (runstate_blind() at its time; logged
 *  with cause=refused_by_guard), never down: the monitor refused to look. */
void fleet_record_result(struct fleet *f, struct runner *r, const struct probe_result *res,
                         enum fleet_apply how);

/** Applies staleness at @p now_ms to every runner, and the missed-heartbeat
 * rule to push runners. */
void fleet_advance(struct fleet *f, int64_t now_ms);

/**
 * Records a heartbeat of push runner @p r at @p now_ms: a successful sample
 * (stored, and evidence for the state machine), and what the body said.
 * @param version       copied (truncated to 128 bytes); NULL keeps the last.
 * @param jobs_running  -1 keeps the last.
 */
void fleet_heartbeat(struct fleet *f, struct runner *r, int64_t now_ms, bool busy,
                     const char *version, long jobs_running);

/** The monitor was blind from @p from_ms: every runner becomes unknown. */
void fleet_blind(struct fleet *f, int64_t from_ms);

/** runstate_blind() for one runner from @p from_ms; @p cause names it in the log. */
void fleet_blind_runner(struct fleet *f, struct runner *r, int64_t from_ms, const char *cause);

/**
 * Evaluates @p r's flag at @p now_ms (DESIGN.md "Flags and routing"): its
 * uptime over the rolling window is computed from its in-memory history;
 * below the floor it is flagged; a flagged runner is unflagged only while it
 * is up and its uptime is at least floor + restore_margin (hysteresis, so it
 * does not flap in and out of CI). A runner in probation (its first
 * flagging.probation_days after registration) is neither flagged nor
 * unflagged: it is not eligible anyway. Every flag and unflag is logged,
 * counted and queued to the writer with the policy version and the figures.
 */
void fleet_evaluate(struct fleet *f, struct runner *r, int64_t now_ms);

/** fleet_evaluate() for every runner (the daemon calls it every minute). */
void fleet_evaluate_all(struct fleet *f, int64_t now_ms);

/** Whether @p r is in probation at @p now_ms. */
bool fleet_in_probation(const struct fleet *f, const struct runner *r, int64_t now_ms);

/**
 * Why @p r may not take a job at @p now_ms, as a reason code, or NULL when
 * it is eligible. The most immediate reason wins: "retired", "pending",
 * "maintenance", "down" (a GitHub pool says "no_pickup" or
 * "below_min_online" instead), "unknown", "flagged", "probation".
 */
const char *fleet_exclusion(const struct fleet *f, const struct runner *r, int64_t now_ms);

/**
 * Announces a change of @p r's eligibility at @p now_ms (or its first
 * judgement, when r->elig_code is -1) as an event through the writer:
 * "eligible", or "ineligible" with the reason; a change of reason while
 * ineligible is announced too. Entering and leaving credited maintenance
 * are "maintenance_start" and "maintenance_end".
 */
void fleet_check_eligibility(struct fleet *f, struct runner *r, int64_t now_ms);

/** fleet_check_eligibility() for every runner (the daemon's tick). */
void fleet_check_all(struct fleet *f, int64_t now_ms);

/**
 * Judges the pools of @p r's targets (fleet_minimum.c) against the policy's
 * pool.min_runners at @p now_ms, after a change of r's eligibility: a pool
 * falls below its minimum when fewer runners than that are eligible even
 * counting the unknown ones (the monitor's blindness is no runner's
 * failure), and is restored when at least that many are eligible, known up.
 * Each change is an event ("pool_below_min", "pool_restored"; data: target,
 * eligible, unknown, min_runners) through the writer; a pool never judged
 * announces only falling below. With no minimum (0) nothing falls below.
 */
void fleet_check_minimum(struct fleet *f, const struct runner *r, int64_t now_ms);

/** fleet_check_minimum() for every target's pool (the daemon's tick: a
 *  policy reload may move the minimum). */
void fleet_check_minimums(struct fleet *f, int64_t now_ms);

/** Sets the last announced judgement of @p target's pool (start-up, from
 *  store_pool_last()); a target no runner serves is ignored. */
void fleet_minimum_restore(struct fleet *f, const char *target, bool below);

/** The median latency (µs) of @p r's last RUNNER_LAT_N answers; -1 when none. */
int32_t fleet_p50_latency(const struct runner *r);

/** The number of runners flagged now. */
size_t fleet_count_flagged(const struct fleet *f);

/** Counts approved runners by current state into @p counts. */
void fleet_count_states(const struct fleet *f, uint64_t counts[RW_STATE_COUNT]);

/**
 * Appends the per-target families of /metrics at @p now_ms, answered from
 * memory as the route query is: runwarden_target_eligible_runners{target}
 * and runwarden_target_excluded_runners{target,reason} (one sample for each
 * reason fleet_exclusion() can give). The targets are those some runner
 * serves and those the policy's target map names, so a mapped target that
 * nobody serves shows 0 eligible runners instead of no series; a target
 * whose last runner was retired and that the policy does not map is left
 * out. Then the per-runner families, one set of series for each approved
 * runner that is not retired: runwarden_runner_state{runner,operator,state}
 * (every state listed: unknown, up, down, maintenance; 1 for the current
 * one), runwarden_runner_uptime_ratio{runner,operator} over the rolling
 * window (left out while it has no up or down time),
 * runwarden_runner_floor_ratio{runner,operator},
 * runwarden_runner_probe_duration_seconds{runner} of the last answered
 * probe (left out for a runner without one) and
 * runwarden_runner_target_info{runner,target,tier}, one per target.
 * On allocation failure @p b is marked failed.
 */
void fleet_render_metrics(const struct fleet *f, int64_t now_ms, struct strbuf *b);

#endif
