/* SPDX-License-Identifier: MIT */
/*
 * whatif.c — one runner at a time: read its history and its maintenance
 * windows once (evidence.h), then judge them under both policies; see
 * whatif.h.
 *
 * Invariant: both policies see exactly the same stored evidence (the same
 * intervals, windows, last state and "now"), so every difference in the
 * output comes from the policies alone.
 */
#include "reports/whatif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "reports/evidence.h"
#include "reports/month.h"

/* Eligibility at ev->now_ms by whatif.h's rules, most immediate reason first
 * (the order of fleet_exclusion()). */
static void judge_eligibility(const struct evidence *ev, const struct rw_policy *pol,
                              struct whatif_side *s)
{
	int64_t now = ev->now_ms;
	int64_t from = now - (int64_t)pol->window.rolling_days * CALENDAR_MS_PER_DAY;
	struct rw_availability a;

	evidence_judge(ev, pol, s->floor_ppm, from, now, &a);
	s->has_rolling = a.has_uptime;
	s->rolling_uptime_ppm = a.uptime_ppm;

	s->reason = NULL;
	if (ev->sr->status != STORE_RUNNER_APPROVED) {
		s->reason = "pending";
	} else {
		struct account_input in;
		struct rw_totals at;
		evidence_input(ev, pol, &in);
		account_period(&in, now, now + 1, &at);
		if (at.ms[RW_STATE_MAINTENANCE] == 1)
			s->reason = "maintenance";
		else if (ev->sr->last_state == RW_STATE_DOWN)
			s->reason = "down";
		else if (ev->sr->last_state != RW_STATE_UP)
			s->reason = "unknown";
		else if (now < policy_probation_end_ms(pol, ev->sr->created_ms,
		                                       ev->sr->probation_waived_ms))
			s->reason = "probation";
		else if (s->has_rolling && s->rolling_uptime_ppm < s->floor_ppm)
			s->reason = "flagged"; /* truncated ppm: exactly up/(up+down) < floor */
	}
	s->eligible = s->reason == NULL;
}

static void judge(const struct evidence *ev, const struct rw_policy *pol, int64_t month_start,
                  int64_t period_end, struct whatif_side *s)
{
	s->floor_ppm =
	        policy_floor_ppm(pol, (const char *const *)ev->sr->targets, ev->sr->n_targets);
	evidence_judge(ev, pol, s->floor_ppm, month_start, period_end, &s->month);
	judge_eligibility(ev, pol, s);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int whatif_run(struct store *st, const struct policy_source *cur, const struct policy_source *next,
               int64_t month_start_ms, int64_t month_end_ms, int64_t now_ms,
               struct whatif_result *out, char *err, size_t errlen)
{
	const struct rw_policy *pols[2] = {&cur->pol, &next->pol};
	struct store_runner *rs = NULL;
	struct store_reader *rd = NULL;
	struct evidence ev;
	size_t n_rs = 0;
	int64_t tick, at, from, to;
	uint32_t rolling_days;
	int rc;

	memset(out, 0, sizeof(*out));
	evidence_init(&ev);
	out->month_start_ms = month_start_ms;
	out->month_end_ms = month_end_ms;
	rc = store_last_tick(st, &tick);
	if (rc < 0) {
		snprintf(err, errlen, "reading the monitor's last tick: %s", store_errmsg(st));
		return rc;
	}
	out->as_of_ms = tick;
	/* With no tick the monitor never ran: nothing was observed, and the
	 * runners' stored state is unknown; eligibility is judged at now. */
	at = tick >= 0 ? tick : now_ms;
	out->period_end_ms =
	        month_period_end(month_start_ms, month_end_ms, now_ms, tick, &out->partial);

	rc = store_runner_list(st, 0, &rs, &n_rs);
	if (rc < 0) {
		snprintf(err, errlen, "reading the runners: %s", store_errmsg(st));
		return rc;
	}
	rc = store_reader_new(st, &rd);
	if (rc < 0)
		goto out;
	out->runners = n_rs ? calloc(n_rs, sizeof(*out->runners)) : NULL;
	if (n_rs && !out->runners) {
		rc = RW_ENOMEM;
		goto out;
	}
	rolling_days = pols[0]->window.rolling_days > pols[1]->window.rolling_days
	                       ? pols[0]->window.rolling_days
	                       : pols[1]->window.rolling_days;
	from = min64(month_start_ms, at - (int64_t)rolling_days * CALENDAR_MS_PER_DAY);
	to = max64(out->period_end_ms, at + 1);

	for (size_t i = 0; i < n_rs; i++) {
		const struct store_runner *sr = &rs[i];
		struct whatif_runner *w = &out->runners[out->n_runners];

		if (sr->status == STORE_RUNNER_RETIRED)
			continue;
		rc = evidence_load(&ev, rd, sr, from, to, at);
		if (rc == 0) {
			w->id = sr->id;
			w->name = strdup(sr->name);
			w->operator_name = strdup(sr->operator_name ? sr->operator_name : "");
			if (!w->name || !w->operator_name)
				rc = RW_ENOMEM;
		}
		if (rc < 0) {
			out->n_runners++; /* so that deinit frees w's strings */
			goto out;
		}
		for (int k = 0; k < 2; k++)
			judge(&ev, pols[k], month_start_ms, out->period_end_ms, &w->side[k]);
		w->verdict_changed = w->side[0].month.verdict != w->side[1].month.verdict;
		w->eligibility_changed = w->side[0].eligible != w->side[1].eligible;
		out->verdict_changes += w->verdict_changed;
		out->eligibility_changes += w->eligibility_changed;
		out->n_runners++;
	}
	rc = 0;
out:
	evidence_deinit(&ev);
	store_reader_free(rd);
	store_runners_free(rs, n_rs);
	if (rc < 0) {
		if (rc == RW_ENOMEM)
			snprintf(err, errlen, "out of memory");
		else
			snprintf(err, errlen, "reading runner history: %s", store_errmsg(st));
		whatif_result_deinit(out);
	}
	return rc;
}

void whatif_result_deinit(struct whatif_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_runners; i++) {
		free(r->runners[i].name);
		free(r->runners[i].operator_name);
	}
	free(r->runners);
	memset(r, 0, sizeof(*r));
}
