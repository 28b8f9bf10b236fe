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
	bool min_dirty; /* a runner's eligibility changed within a batch */
};

#define FLEET_POOL_MET   1
#define FLEET_POOL_BELOW 2

/** How long a vantage point's heartbeat may be silent before it holds
 *  nothing (its daemon stopped, or lost the database): for the combined
 *  verdict (fleet_quorum.c) and the availability answer's "vantages". */
#define FLEET_VANTAGE_STALE_MS 10000
/** The other vantage points a daemon keeps track of (more are ignored). */
#define FLEET_VANTAGES_MAX 64

/** Another vantage point's own state of one runner (fleet_quorum.c). */
struct fleet_vstate {
	int64_t runner_id;
	int64_t since_ms;
	uint8_t state;       /* enum rw_state */
	uint8_t errclass;    /* its down's class (enum rw_errclass); 0 unless down */
	int16_t http_status; /* its down's HTTP status; 0 unless down */
};

/** Another vantage point, as this daemon hears of it (fleet_quorum.c). */
struct fleet_vantage {
	int64_t id;
	int64_t last_tick_ms;   /* its heartbeat as last read; -1: not read yet */
	bool alive;             /* its heartbeat is fresh: what it holds counts */
	int64_t gone_tick_ms;   /* fleet_vantage_gone(): not alive until it ticks after this */
	struct fleet_vstate *v; /* by runner id */
	size_t n, cap;
};

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

	/* What the tick looks at (fleet_wake.c): a min-heap of runners by
	 * wake_ms, the list of runners to judge at the next tick, and "judge
	 * them all" (a policy change, a clock step, no memory for the list). */
	struct runner **wheap;
	size_t n_wheap, cap_wheap;
	struct runner **due;
	size_t n_due, cap_due;
	bool due_all;
	int64_t last_judged_ms; /* the last tick's time */
	/* A change of the pools or of their minimum (registry, policy): the
	 * tick judges every pool again (fleet_check_minimums()). */
	bool minimums_dirty;
	/* Inside fleet_batch_begin()/_end(): pools whose runners changed
	 * eligibility are judged once, at the end (min_dirty). */
	int batch;
	bool batch_pools;
	/* The slice of fleet_evaluate_some(): runners after this id are next. */
	int64_t eval_next_id;

	/* Vantage points (fleet_quorum.c). r->rs is this vantage's own state
	 * machine; r->hist is the combined verdict, which every view shows.
	 * The daemon that combines (the leader; on SQLite the one daemon)
	 * writes it; the others follow it. Set by the owner. */
	bool combining;
	int64_t vantage_id;             /* this daemon's */
	struct fleet_vantage *vantages; /* the others, by id */
	size_t n_vantages;
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

/** A runner's registry strings, for runner_set_registry(). NULL strings are
 *  taken as "". */
struct runner_registry {
	const char *name, *operator_name, *url, *github, *host;
	char *const *targets;
	size_t n_targets;
	char *const *labels;
	size_t n_labels;
};

/**
 * Sets @p r's registry strings (name, operator_name, url, github, host,
 * targets, labels) to copies of @p in, all in one allocation that replaces
 * the previous one. @p in may point into @p r's current strings.
 * @return 0, or RW_ENOMEM (@p r is then unchanged).
 */
int runner_set_registry(struct runner *r, const struct runner_registry *in);

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

/**
 * The tick's first step at @p now_ms: applies staleness, and the
 * missed-heartbeat rule to push runners, to the runners whose inputs
 * changed since the last tick (fleet_touch()) and those whose wake time
 * (fleet_wake_at()) has come; they stay listed, in id order, for
 * fleet_check_all(). Every other runner is, by construction, unchanged by
 * it: the result is the same as applying it to every runner.
 */
void fleet_advance(struct fleet *f, int64_t now_ms);

/**
 * Has the tick look at @p r (fleet_advance(), fleet_check_all()): its
 * inputs changed (a result, its registry record, its maintenance windows,
 * its flag). Every function of this header that changes a runner calls it;
 * a caller that changes a runner's fields itself calls it too. Never
 * fails: without memory for the list, the tick looks at every runner.
 */
void fleet_touch(struct fleet *f, struct runner *r);

/** fleet_touch() for every runner (a policy change). */
void fleet_touch_all(struct fleet *f);

/**
 * The earliest time after @p now_ms at which, with no new input, the tick's
 * work could change anything for @p r: staleness, the missed-heartbeat
 * rule, the end of probation, a maintenance window (every tick while inside
 * one). INT64_MAX when nothing can change without an input. Never later
 * than the first such change; it may be earlier.
 */
int64_t fleet_wake_at(const struct fleet *f, const struct runner *r, int64_t now_ms);

/* fleet_wake.c, for fleet.c and fleet_eligibility.c: takes the due runners
 * onto the list (sorted by id; returns its length), puts the listed ones
 * back in the heap at their next wake time and empties the list, takes a
 * runner leaving the fleet out of both, frees both. */
size_t fleet_wake_collect(struct fleet *f, int64_t now_ms);
void fleet_wake_reschedule(struct fleet *f, int64_t now_ms);
void fleet_wake_forget(struct fleet *f, struct runner *r);
void fleet_wake_deinit(struct fleet *f);

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

/** fleet_evaluate() for every runner (start-up, a policy change). */
void fleet_evaluate_all(struct fleet *f, int64_t now_ms);

/**
 * fleet_evaluate() and fleet_hist_trim() (at @p cutoff_ms) for the next
 * @p count runners by id after the last call's, wrapping around: the
 * daemon calls it every 100 ms with a 600th of the fleet, so that every
 * runner is evaluated once a minute without a minute's work at once.
 */
void fleet_evaluate_some(struct fleet *f, int64_t now_ms, int64_t cutoff_ms, size_t count);

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

/**
 * The tick's second step: fleet_check_eligibility() at @p now_ms for the
 * runners fleet_advance() listed (and any touched since), then their next
 * wake times; and fleet_check_minimums() when a registry or policy change
 * may have moved a pool. The events are those a check of every runner
 * would announce, at the same times.
 */
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

/**
 * A batch of changes at one instant (the daemon's tick: blindness,
 * staleness, eligibility): inside it, fleet_check_minimum() only marks the
 * runner's pools, and fleet_batch_end() judges each marked pool once, at
 * @p now_ms, after all of the batch's eligibility events. Judging a pool
 * counts its runners, so a tick that changes many runners (a restart, the
 * monitor's blindness) costs one count per pool instead of one per runner
 * and pool; and a pool is announced as the instant leaves it, not as it
 * passed through the batch. Batches nest.
 */
void fleet_batch_begin(struct fleet *f);
void fleet_batch_end(struct fleet *f, int64_t now_ms);

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

struct census;

/**
 * fleet_render_metrics() in steps, so that a large fleet's /metrics never
 * holds the loop for long: _init() at the scrape's time (@p now_ms; the
 * targets as they are then), then _step() until it returns true, each
 * appending what it renders before @p deadline_ns (uv_hrtime(); 0: no
 * deadline), then _deinit(). Between steps the fleet may change: each step
 * goes on with the runners after the last one done, by id. The walk owns
 * what it holds; it borrows nothing from the fleet between steps.
 */
struct fleet_metrics_walk {
	int64_t now_ms;
	int phase;        /* the family being rendered (fleet_metrics.c) */
	int64_t after_id; /* runners up to this id are done in this phase */
	struct census *census;
	size_t n_census;
};

/** @return 0 or RW_ENOMEM (nothing to deinit then). */
int fleet_metrics_walk_init(struct fleet_metrics_walk *w, const struct fleet *f, int64_t now_ms);

/** @return whether the walk is complete. */
bool fleet_metrics_walk_step(const struct fleet *f, struct fleet_metrics_walk *w, struct strbuf *b,
                             uint64_t deadline_ns);

/** Frees what the walk holds. */
void fleet_metrics_walk_deinit(struct fleet_metrics_walk *w);

/* ---- vantage points (fleet_quorum.c) ------------------------------------ */

/**
 * Judges @p r's combined state again after a change of one vantage's
 * holding, with this vantage holding @p own since @p own_since_ms: when the
 * quorum of the live vantages' holdings (policy/quorum.h, Q the policy's
 * vantage.quorum) differs from r's combined state, writes, remembers and
 * announces the change, starting at @p at_ms (for DOWN: when the Q-th
 * vantage went down), no earlier than @p floor_ms nor the combined
 * history's last start. Nothing when this daemon does not combine.
 * @return whether the combined state changed.
 */
bool fleet_combine(struct fleet *f, struct runner *r, enum rw_state own, int64_t own_since_ms,
                   int64_t at_ms, int64_t floor_ms, const char *cause);

/** fleet_combine() of every runner at @p now_ms, no earlier (this daemon
 *  began to combine; the quorum changed). */
void fleet_combine_all(struct fleet *f, int64_t now_ms, const char *cause);

/**
 * Another vantage's own change of runner @p runner_id (a "v" line of
 * STORE_PG_STATE_CHANNEL, or what the store held at start-up): kept, and
 * when it is newer than what was known and the vantage is alive, the
 * runner's combined state is judged again at @p since_ms. This daemon's own
 * vantage's are ignored.
 * @param r  the runner (fleet_find()), or NULL when the fleet has none yet.
 */
void fleet_vantage_change(struct fleet *f, struct runner *r, int64_t vantage_id, int64_t runner_id,
                          int state, int64_t since_ms, int errclass, int http_status);

/** Vantage @p vantage_id started again (an "r" line): everything it held is
 *  unknown from @p since_ms (or the later start of what it held). */
void fleet_vantage_restart(struct fleet *f, int64_t vantage_id, int64_t since_ms);

/**
 * Vantage @p vantage_id's heartbeat as read at @p now_ms: older than
 * FLEET_VANTAGE_STALE_MS, it holds nothing from @p last_tick_ms; fresh
 * again, what it holds counts again from @p now_ms.
 */
void fleet_vantage_heartbeat(struct fleet *f, int64_t vantage_id, int64_t last_tick_ms,
                             int64_t now_ms);

/** Vantage @p vantage_id is known to have stopped at its tick
 *  @p last_tick_ms (the old leader, at a takeover): it holds nothing from
 *  then until its heartbeat moves past it, however fresh it looks. */
void fleet_vantage_gone(struct fleet *f, int64_t vantage_id, int64_t last_tick_ms);

/** How many vantages hold anything now: this one and the live others. */
unsigned fleet_vantages_alive(const struct fleet *f);

/** Frees what fleet_vantage_*() kept (fleet_deinit() calls it). */
void fleet_vantages_deinit(struct fleet *f);

#endif
