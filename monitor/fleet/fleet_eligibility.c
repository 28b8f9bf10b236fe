/* SPDX-License-Identifier: MIT */
/*
 * fleet_eligibility.c — judging the fleet's runners for routing: probation,
 * the reason a runner is excluded (fleet_exclusion()), the rolling-window
 * flag with its hysteresis, and the events that announce a change of
 * eligibility; see fleet.h.
 */
#include "monitor/fleet/fleet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "policy/base/rw_error.h"

bool fleet_in_probation(const struct fleet *f, const struct runner *r, int64_t now_ms)
{
	return now_ms < policy_probation_end_ms(f->pol, r->created_ms, r->probation_waived_ms);
}

const char *fleet_exclusion(const struct fleet *f, const struct runner *r, int64_t now_ms)
{
	if (r->status == STORE_RUNNER_RETIRED || r->removed)
		return "retired";
	if (r->status == STORE_RUNNER_PENDING)
		return "pending";
	if (fleet_in_maintenance(f, r, now_ms))
		return "maintenance";
	if (runner_state(r) == RW_STATE_DOWN)
		/* A GitHub pool says which of its rules failed. */
		return r->last_class == RW_ERRCLASS_NO_PICKUP          ? "no_pickup"
		       : r->last_class == RW_ERRCLASS_BELOW_MIN_ONLINE ? "below_min_online"
		                                                       : "down";
	if (runner_state(r) != RW_STATE_UP)
		return "unknown";
	if (r->flagged)
		return "flagged";
	if (fleet_in_probation(f, r, now_ms))
		return "probation";
	return NULL;
}

/* a / b >= ppm / 1e6, exactly (b > 0). */
static bool at_least(int64_t a, int64_t b, uint64_t ppm)
{
	return (__int128)a * 1000000 >= (__int128)b * ppm;
}

static void set_flag(struct fleet *f, struct runner *r, bool flagged, int64_t now_ms,
                     uint32_t threshold_ppm)
{
	struct store_rec rec = {.kind = STORE_REC_FLAG};
	struct logline l;

	r->flagged = flagged;
	r->flag_since_ms = now_ms;
	f->route_gen++;
	fleet_touch(f, r);
	rec.u.flag.runner_id = r->id;
	rec.u.flag.at_ms = now_ms;
	rec.u.flag.flagged = flagged;
	rec.u.flag.uptime_ppm = r->window_uptime_ppm;
	rec.u.flag.threshold_ppm = threshold_ppm;
	rec.u.flag.policy_id = f->policy_id;
	writer_push(f->writer, &rec);
	if (flagged)
		f->m->flags++;
	else
		f->m->unflags++;
	if (log_begin(&l, RW_LOG_WARN, flagged ? "runner flagged" : "runner unflagged")) {
		char why[96];
		snprintf(why, sizeof(why), "uptime %.6f %s %.6f", r->window_uptime_ppm / 1e6,
		         flagged ? "<" : ">=", threshold_ppm / 1e6);
		log_int(&l, "runner_id", r->id);
		log_str(&l, "runner", r->name);
		log_str(&l, "reason", why);
		log_end(&l);
	}
}

void fleet_evaluate(struct fleet *f, struct runner *r, int64_t now_ms)
{
	const struct rw_policy *pol = f->pol;
	int64_t from = now_ms - (int64_t)pol->window.rolling_days * 86400000;
	struct rw_availability a;
	int64_t up, down;
	uint64_t restore;

	fleet_judge(f, r, now_ms, from, now_ms, &a);
	up = a.totals.ms[RW_STATE_UP];
	down = a.totals.ms[RW_STATE_DOWN];
	r->has_window_uptime = a.has_uptime;
	if (!r->has_window_uptime)
		return; /* no evidence: nothing to judge */
	r->window_uptime_ppm = a.uptime_ppm;
	if (r->status != STORE_RUNNER_APPROVED || fleet_in_probation(f, r, now_ms))
		return;
	restore = (uint64_t)r->floor_ppm + pol->flagging.restore_margin_ppm;
	if (!r->flagged && !at_least(up, up + down, r->floor_ppm))
		set_flag(f, r, true, now_ms, r->floor_ppm);
	else if (r->flagged && runner_state(r) == RW_STATE_UP && at_least(up, up + down, restore))
		set_flag(f, r, false, now_ms, restore > 1000000 ? 1000000 : (uint32_t)restore);
}

void fleet_evaluate_all(struct fleet *f, int64_t now_ms)
{
	for (size_t i = 0; i < f->n; i++)
		fleet_evaluate(f, f->v[i], now_ms);
}

void fleet_evaluate_some(struct fleet *f, int64_t now_ms, int64_t cutoff_ms, size_t count)
{
	size_t i = 0;

	if (f->n == 0)
		return;
	if (count > f->n)
		count = f->n;
	{ /* The first runner after the last one evaluated (v is sorted by id). */
		size_t hi = f->n;
		while (i < hi) {
			size_t mid = i + (hi - i) / 2;
			if (f->v[mid]->id <= f->eval_next_id)
				i = mid + 1;
			else
				hi = mid;
		}
	}
	for (size_t k = 0; k < count; k++, i++) {
		if (i >= f->n)
			i = 0;
		fleet_hist_trim(f->v[i], cutoff_ms);
		fleet_evaluate(f, f->v[i], now_ms);
		f->eval_next_id = f->v[i]->id;
	}
}

void fleet_check_eligibility(struct fleet *f, struct runner *r, int64_t now_ms)
{
	int code = store_reason_code(fleet_exclusion(f, r, now_ms));
	struct store_rec rec = {.kind = STORE_REC_EVENT};

	if (code == r->elig_code)
		return;
	f->route_gen++;
	rec.u.event.runner_id = r->id;
	rec.u.event.at_ms = now_ms;
	/* Maintenance first: "maintenance_start" then "ineligible", and
	 * "maintenance_end" before whatever follows it. */
	if ((code == STORE_REASON_MAINTENANCE) != (r->elig_code == STORE_REASON_MAINTENANCE) &&
	    r->elig_code >= 0) {
		rec.u.event.kind = code == STORE_REASON_MAINTENANCE ? STORE_EV_MAINT_START
		                                                    : STORE_EV_MAINT_END;
		writer_push(f->writer, &rec);
	}
	rec.u.event.kind = code ? STORE_EV_INELIGIBLE : STORE_EV_ELIGIBLE;
	rec.u.event.reason = (uint8_t)code;
	/* Unknown because the address guard refused to probe it: said, so that
	 * whoever reads the event knows the monitor, not the runner, is why
	 * (without memory the event says only the reason). */
	if (code == STORE_REASON_UNKNOWN && r->last_class == RW_ERRCLASS_REFUSED_BY_GUARD)
		rec.u.event.data =
		        strdup("{\"reason\":\"unknown\",\"cause\":\"refused_by_guard\"}");
	writer_push(f->writer, &rec);
	f->m->events++;
	r->elig_code = code;
	fleet_check_minimum(f, r, now_ms); /* its pools' events follow, in the same batch */
}

void fleet_check_all(struct fleet *f, int64_t now_ms)
{
	/* Runners fleet_advance() listed, and any touched since (by index:
	 * the list may grow). Every other runner's exclusion is what it was
	 * at its last check (fleet_wake.c): checking it would change nothing. */
	for (size_t i = 0; i < f->n_due; i++)
		fleet_check_eligibility(f, f->due[i], now_ms);
	fleet_wake_reschedule(f, now_ms);
	if (f->minimums_dirty) {
		f->minimums_dirty = false;
		fleet_check_minimums(f, now_ms);
	}
}

int32_t fleet_p50_latency(const struct runner *r)
{
	int32_t v[RUNNER_LAT_N];
	size_t n = r->n_lat;

	if (n == 0)
		return -1;
	memcpy(v, r->lat, n * sizeof(*v));
	/* Insertion sort: at most RUNNER_LAT_N elements. */
	for (size_t i = 1; i < n; i++) {
		int32_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[(n - 1) / 2];
}
