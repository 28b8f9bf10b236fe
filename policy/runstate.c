/* SPDX-License-Identifier: MIT */
/*
 * runstate.c — the availability state machine; its rules and diagram are in
 * runstate.h. Every state change goes through set_state(), so the invariant
 * "change times never decrease and never precede since" is kept in one place.
 */
#include "policy/runstate.h"

static void reset_runs(struct runstate *rs)
{
	rs->fail_run = 0;
	rs->succ_run = 0;
}

void runstate_init(struct runstate *rs, enum rw_state state, int64_t since_ms)
{
	rs->state = state;
	rs->since_ms = since_ms;
	rs->last_sample_ms = state == RW_STATE_UNKNOWN ? -1 : since_ms;
	rs->fail_run_start_ms = since_ms;
	rs->succ_run_start_ms = since_ms;
	rs->blips = 0;
	reset_runs(rs);
}

/* The one place the state changes. Returns the number of changes written. */
static int set_state(struct runstate *rs, enum rw_state to, int64_t at_ms,
                     struct runstate_change *out)
{
	if (rs->state == to)
		return 0;
	if (at_ms < rs->since_ms)
		at_ms = rs->since_ms;
	out->at_ms = at_ms;
	out->from = rs->state;
	out->to = to;
	rs->state = to;
	rs->since_ms = at_ms;
	return 1;
}

int runstate_advance(struct runstate *rs, const struct runstate_params *p, int64_t now_ms,
                     struct runstate_change out[1])
{
	int64_t stale_at;

	if (rs->last_sample_ms < 0)
		return 0;
	stale_at = rs->last_sample_ms + (p->stale_ms > 0 ? p->stale_ms : 2 * p->interval_ms);
	if (now_ms <= stale_at)
		return 0;
	reset_runs(rs);
	rs->last_sample_ms = -1;
	return set_state(rs, RW_STATE_UNKNOWN, stale_at, out);
}

int runstate_blind(struct runstate *rs, const struct runstate_params *p, int64_t from_ms,
                   struct runstate_change out[1])
{
	int n = runstate_advance(rs, p, from_ms, out);

	reset_runs(rs);
	rs->last_sample_ms = -1;
	if (n == 0)
		n = set_state(rs, RW_STATE_UNKNOWN, from_ms, out);
	if (from_ms > rs->since_ms)
		rs->since_ms = from_ms; /* already UNKNOWN: the blind period starts a new epoch */
	return n;
}

int runstate_sample(struct runstate *rs, const struct runstate_params *p, int64_t t_ms, bool ok,
                    struct runstate_change out[RUNSTATE_MAX_CHANGES])
{
	int n;

	if (t_ms < rs->since_ms)
		return 0; /* rule 6: evidence from before a blind period */
	if (rs->last_sample_ms >= 0 && t_ms < rs->last_sample_ms)
		t_ms = rs->last_sample_ms; /* rule 6: the wall clock went back */

	n = runstate_advance(rs, p, t_ms, out);
	rs->last_sample_ms = t_ms;

	if (ok) {
		if (rs->fail_run > 0 && rs->state == RW_STATE_UP)
			rs->blips++; /* rule 3: the run ended short of F */
		rs->fail_run = 0;
		if (rs->succ_run++ == 0)
			rs->succ_run_start_ms = t_ms;
		if (rs->succ_run >= p->successes_to_up)
			n += set_state(rs, RW_STATE_UP, rs->succ_run_start_ms, out + n);
	} else {
		rs->succ_run = 0;
		if (rs->fail_run++ == 0)
			rs->fail_run_start_ms = t_ms;
		if (rs->fail_run >= p->failures_to_down) {
			/* The run is confirmed: it is no longer a blip candidate. */
			n += set_state(rs, RW_STATE_DOWN, rs->fail_run_start_ms, out + n);
		}
	}
	return n;
}
