/* SPDX-License-Identifier: MIT */
/*
 * fleet_history.c — what the fleet remembers of each runner, and the
 * figures computed from it: its state changes over the rolling window (and
 * the one before it), its declared maintenance windows, and account_judge()
 * over them with the policy in force and the runner's registration. Route,
 * status and flags read these, never SQLite.
 *
 * Invariant: r->hist is sorted by start and never holds two entries with
 * the same start (fleet_hist_append() replaces the last on an equal start).
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/fleet/fleet.h"
#include "policy/base/rw_error.h"

void fleet_set_maintenance(struct runner *r, struct rw_maintenance *mw, size_t n)
{
	free(r->mw);
	r->mw = mw;
	r->n_mw = n;
}

void fleet_input(const struct fleet *f, const struct runner *r, int64_t now_ms,
                 struct account_input *in)
{
	memset(in, 0, sizeof(*in));
	in->iv = r->hist;
	in->n_iv = r->n_hist;
	in->mw = r->mw;
	in->n_mw = r->n_mw;
	in->policy = f->pol;
	in->now_ms = now_ms;
	/* A runner in the fleet is not retired: retiring takes it out. */
	in->created_ms = r->created_ms;
	in->retired_ms = 0;
}

void fleet_judge(const struct fleet *f, const struct runner *r, int64_t now_ms, int64_t from_ms,
                 int64_t to_ms, struct rw_availability *out)
{
	struct account_input in;

	fleet_input(f, r, now_ms, &in);
	account_judge(&in, from_ms, to_ms, r->floor_ppm, out);
}

int64_t fleet_maintenance_used(const struct fleet *f, const struct runner *r, int64_t now_ms)
{
	struct account_input in;

	fleet_input(f, r, now_ms, &in);
	return account_maintenance_used(&in, now_ms);
}

bool fleet_in_maintenance(const struct fleet *f, const struct runner *r, int64_t now_ms)
{
	struct account_input in;
	struct rw_totals t;

	if (r->n_mw == 0)
		return false;
	/* Exactly the accounting's rule (notice, monthly cap) at this instant. */
	fleet_input(f, r, now_ms, &in);
	account_period(&in, now_ms, now_ms + 1, &t);
	return t.ms[RW_STATE_MAINTENANCE] == 1;
}

int fleet_hist_append(struct runner *r, int64_t start_ms, enum rw_state state)
{
	if (r->n_hist > 0 && r->hist[r->n_hist - 1].start_ms >= start_ms) {
		/* Same start: the later change wins, as INSERT OR REPLACE does. */
		r->hist[r->n_hist - 1].start_ms = start_ms;
		r->hist[r->n_hist - 1].state = state;
		return 0;
	}
	if (r->n_hist == r->cap_hist) {
		size_t ncap = r->cap_hist ? r->cap_hist * 2 : 4;
		struct rw_interval *nh = realloc(r->hist, ncap * sizeof(*nh));
		if (!nh)
			return RW_ENOMEM;
		r->hist = nh;
		r->cap_hist = ncap;
	}
	r->hist[r->n_hist].start_ms = start_ms;
	r->hist[r->n_hist].state = state;
	r->n_hist++;
	return 0;
}

void fleet_hist_trim(struct runner *r, int64_t cutoff_ms)
{
	size_t keep = 0;
	/* Keep the last change at or before the cutoff: it holds into the window. */
	while (keep + 1 < r->n_hist && r->hist[keep + 1].start_ms <= cutoff_ms)
		keep++;
	if (keep == 0)
		return;
	memmove(r->hist, r->hist + keep, (r->n_hist - keep) * sizeof(*r->hist));
	r->n_hist -= keep;
}
