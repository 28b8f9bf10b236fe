/* SPDX-License-Identifier: MIT */
/*
 * account.h — availability arithmetic over stored intervals (pure).
 *
 * A runner's history is a list of state changes (intervals in run-length
 * form): change i holds from its start to the next change's start; the last
 * one holds until `now`. Over a period [from, to) every millisecond gets
 * exactly one state, so the totals always sum to to - from:
 *   - time before the first change, and time after `now`, is UNKNOWN;
 *   - all arithmetic is in integer milliseconds;
 *   - the verdict compares in integer parts per million, never in floats.
 *
 * Verdict (DESIGN.md): FAIL if even counting every unknown millisecond as up
 * the uptime is below the floor; PASS if counting every unknown millisecond
 * as down it is still at or above the floor, or if coverage >= min_coverage
 * and uptime >= floor; otherwise INDETERMINATE. A period with no service time
 * at all (everything maintenance or outside the window) owes nothing: PASS.
 */
#ifndef RW_ACCOUNT_H
#define RW_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

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
	double coverage;  /* (up + down) / (W - maintenance - outside_window) */
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

/** Computes uptime, coverage and the verdict of @p t against the floors. */
void account_evaluate(const struct rw_totals *t, uint32_t floor_ppm, uint32_t min_coverage_ppm,
                      struct rw_availability *out);

#endif
