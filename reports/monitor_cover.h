/* SPDX-License-Identifier: MIT */
/*
 * monitor_cover.h — the monitor's own coverage of a period: how much of it
 * the daemon was running and not blind, and the list of its blind periods.
 *
 * Blind is the union of
 *  - the stored blind periods (blind_periods: downtime between runs, tick
 *    gaps, failing canaries, correlated network failures, storage failures),
 *    clipped to the period, each with its stored cause; and
 *  - the time no run covers (after the last run's last tick, between runs),
 *    where no stored period already says so, with the cause "not_running".
 * Time before the monitor's first run ever is not blindness (it was not
 * installed yet): the watched period starts at since_ms, the later of the
 * period's start and that first run (the period's end when it never ran).
 * coverage = (watched - blind) / watched, in ppm, truncated; a watched
 * period of length 0 has coverage 0. The list is ordered by start, then cause; stored periods
 * may overlap one another (two causes at once), the union is counted once.
 */
#ifndef RW_MONITOR_COVER_H
#define RW_MONITOR_COVER_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/store/store.h"

struct monitor_blind {
	int64_t start_ms, end_ms; /* clipped to the period */
	char cause[16];           /* store_blind_cause_name(), or "not_running" */
};

struct monitor_cover {
	int64_t from_ms, to_ms;
	int64_t since_ms; /* the watched period's start (see above) */
	int64_t blind_ms; /* the union of the list below */
	uint32_t coverage_ppm;
	struct monitor_blind *blind; /* owned */
	size_t n_blind;
};

/**
 * Computes the coverage of [@p from_ms, @p to_ms) from the store.
 * @return 0, RW_ENOMEM, or the store's error; free @p out with
 *         monitor_cover_deinit() on success.
 */
int monitor_cover_compute(struct store *st, int64_t from_ms, int64_t to_ms,
                          struct monitor_cover *out);

/**
 * The same for one vantage point (store.h "vantage points"): its own runs
 * and its own blind periods only, from its own first run; @p vantage_id -1
 * is every vantage at once (monitor_cover_compute()): the monitor as a
 * whole was running while any of its daemons ran.
 */
int monitor_cover_compute_vantage(struct store *st, int64_t vantage_id, int64_t from_ms,
                                  int64_t to_ms, struct monitor_cover *out);

/** Frees what @p c owns. Accepts NULL. */
void monitor_cover_deinit(struct monitor_cover *c);

#endif
