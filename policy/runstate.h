/* SPDX-License-Identifier: MIT */
/*
 * runstate.h — the availability state machine of one runner (pure).
 *
 * It turns a runner's probe results into confirmed state changes. It knows
 * nothing of clocks, I/O or policy files: times are UTC milliseconds passed
 * in, parameters are passed in, and changes come out in an array that the
 * caller stores. The daemon, the tests' oracle and DESIGN.md must agree on
 * the rules below; they are the reference.
 *
 * States: UNKNOWN, UP, DOWN (maintenance and outside_window are overlays
 * applied later by the accounting, account.h). A runner starts UNKNOWN.
 *
 *     +---------+  successes_to_up consecutive successes   +----+
 *     | UNKNOWN | ---------------------------------------> | UP |
 *     +---------+                                          +----+
 *        |   ^  \   failures_to_down consecutive failures   |  ^
 *        |   |   `------------------------.                 |  |
 *        |   |   evidence stale, or blind  v                 |  |
 *        |   +------------------------ +------+ <-----------'  |
 *        |                             | DOWN |  failures_to_  |
 *        |                             +------+  down failures |
 *        |                                 `-------------------'
 *        |                                   successes_to_up successes
 *     (every state goes to UNKNOWN when evidence goes stale or the monitor
 *      is blind)
 *
 * Rules (F = failures_to_down, S = successes_to_up, I = interval_ms):
 *
 *  1. Runs. The machine counts the current run of consecutive failures and
 *     of consecutive successes, and when each run began (the time of its
 *     first sample). A success ends a failure run and vice versa.
 *  2. Confirmation. When a failure run reaches F and the state is not DOWN,
 *     the state becomes DOWN *backdated to the first failure of the run*.
 *     When a success run reaches S and the state is not UP, the state
 *     becomes UP backdated to the first success of the run. (DESIGN.md only
 *     names backdating for down; up is backdated the same way so that the
 *     probes' evidence, and not the confirmation delay, decides the time.)
 *  3. Blips. In state UP, a failure run that ends (by a success) before it
 *     reaches F is a blip: the state stays UP and `blips` is incremented.
 *     Unconfirmed runs in UNKNOWN or DOWN change nothing and count nothing.
 *  4. Staleness. A sample at t is evidence for at most 2*I. When the next
 *     sample (or runstate_advance's `now`) is strictly later than
 *     last_sample + 2*I, then at last_sample + 2*I the state becomes UNKNOWN
 *     (if it was not) and both runs are reset: evidence across a gap does
 *     not join into one run.
 *  5. Blindness. runstate_blind(from) says the monitor could not see from
 *     `from` on (its own tick gap, a restart). Rule 4 is applied at `from`
 *     first (evidence that went stale before the blind period is unknown
 *     from its stale time, not from `from`). Then the state becomes UNKNOWN
 *     at `from` (clamped to `since`: history before the current interval is
 *     never rewritten), runs are reset, there is no evidence left, and
 *     `since` moves to `from` even when the state was already UNKNOWN, so
 *     that no sample taken before the blind period can later confirm a
 *     state across it (rule 6).
 *  6. Order. Samples must be given in time order. A sample earlier than the
 *     current interval's start (`since`) is evidence from before a blind
 *     period: it is ignored (runstate_sample returns 0 and changes nothing).
 *     A sample earlier than the previous sample is treated as taken at the
 *     previous sample's time (the wall clock went backwards). After rule 4 or
 *     5 reset the evidence there is no previous sample, and only `since`
 *     bounds a sample from below.
 *
 * Change times never decrease: every change returned is at or after `since`
 * and the changes of one call are in order. Two changes may share a time
 * (a zero-length interval), which the store collapses.
 */
#ifndef RW_RUNSTATE_H
#define RW_RUNSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

struct runstate_params {
	int64_t interval_ms;       /* > 0 */
	uint32_t failures_to_down; /* >= 1 */
	uint32_t successes_to_up;  /* >= 1 */
	/* How long one sample is evidence; 0 means 2 x interval_ms (DESIGN.md).
	 * Push runners set it out of reach: their silence is judged by the
	 * missed-heartbeat rule (monitor/fleet/fleet.c), not by staleness. */
	int64_t stale_ms;
};

struct runstate {
	enum rw_state state;    /* confirmed state: UNKNOWN, UP or DOWN */
	int64_t since_ms;       /* start of the current interval */
	int64_t last_sample_ms; /* time of the last applied sample; -1: none */
	uint32_t fail_run;      /* length of the current failure run */
	uint32_t succ_run;      /* length of the current success run */
	int64_t fail_run_start_ms;
	int64_t succ_run_start_ms;
	uint64_t blips; /* failure runs in UP shorter than F */
};

/** One confirmed change: from `at_ms` on, the runner is `to`. */
struct runstate_change {
	int64_t at_ms;
	enum rw_state from;
	enum rw_state to;
};

/** Most changes one call can return. */
#define RUNSTATE_MAX_CHANGES 2

/**
 * Starts a machine in state @p state since @p since_ms. A machine restored in
 * UP or DOWN counts @p since_ms as its last evidence, so it goes stale by
 * rule 4 like any other; one started UNKNOWN has no evidence.
 */
void runstate_init(struct runstate *rs, enum rw_state state, int64_t since_ms);

/**
 * Applies one probe result taken at @p t_ms.
 * @return the number of changes written to @p out (0..RUNSTATE_MAX_CHANGES).
 */
int runstate_sample(struct runstate *rs, const struct runstate_params *p, int64_t t_ms, bool ok,
                    struct runstate_change out[RUNSTATE_MAX_CHANGES]);

/**
 * Applies rule 4 (staleness) at @p now_ms, with no new sample.
 * @return the number of changes written to @p out (0 or 1).
 */
int runstate_advance(struct runstate *rs, const struct runstate_params *p, int64_t now_ms,
                     struct runstate_change out[1]);

/**
 * Applies rule 5 (blindness) from @p from_ms.
 * @return the number of changes written to @p out (0 or 1).
 */
int runstate_blind(struct runstate *rs, const struct runstate_params *p, int64_t from_ms,
                   struct runstate_change out[1]);

#endif
