/* SPDX-License-Identifier: MIT */
/*
 * quorum.h — several vantage points' histories of one runner combined into
 * one (pure; issue 16, item 3).
 *
 * Each vantage point keeps its own state changes of the runner (its own
 * state machine, backdating as today), in the run-length form of
 * account.h: interval i holds from its start to the next one's start. The
 * combined history holds, at every instant:
 *   - DOWN when at least Q vantage points hold the runner DOWN;
 *   - UP when at least one holds it UP and fewer than Q hold it DOWN;
 *   - UNKNOWN otherwise.
 * A vantage point holds nothing (counts neither way) before its first
 * interval, in an interval of any state but UP and DOWN (UNKNOWN: among
 * others its blindness, which the caller has already written as UNKNOWN),
 * and from its until_ms on (its daemon's last tick: a stopped daemon
 * holds nothing). With one vantage point, Q = 1 and no until_ms, the
 * combined history is the vantage point's own (equal neighbours merged).
 */
#ifndef RW_QUORUM_H
#define RW_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include "policy/account.h"

/** One vantage point's history of the runner; borrowed. */
struct quorum_vantage {
	const struct rw_interval *v; /* by start_ms, strictly increasing */
	size_t n;
	int64_t until_ms; /* holds nothing from here on; INT64_MAX: still running */
};

/** The combined state when @p n_up vantage points hold UP and @p n_down hold
 *  DOWN, under quorum @p quorum (>= 1). */
enum rw_state quorum_state(unsigned n_up, unsigned n_down, unsigned quorum);

/**
 * Combines @p n_vs vantage points under quorum @p quorum into one history:
 * one interval at the earliest start (or until_ms) of any of them, then one
 * at every instant the combined state changes, so that no two neighbours
 * have the same state. Before its first interval the combined state is
 * UNKNOWN, as for any history (account.h).
 * @param out    receives a malloc'd array the caller frees (NULL when
 *               *n_out is 0: no vantage point has an interval).
 * @return 0, RW_EINVAL (quorum 0, or a list not strictly increasing; *out
 *         is then NULL), RW_ENOMEM.
 */
int quorum_combine(const struct quorum_vantage *vs, size_t n_vs, unsigned quorum,
                   struct rw_interval **out, size_t *n_out);

#endif
