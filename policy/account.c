/* SPDX-License-Identifier: MIT */
/* account.c — availability totals, the maintenance and service-window
 * overlays, and verdicts; the rules are in account.h. Pure: no clock, no I/O,
 * no allocation. */
#include "policy/account.h"
#include "policy/calendar.h"

#include <string.h>

const char *rw_verdict_name(enum rw_verdict v)
{
	switch (v) {
	case RW_VERDICT_PASS: return "PASS";
	case RW_VERDICT_FAIL: return "FAIL";
	case RW_VERDICT_INDETERMINATE: return "INDETERMINATE";
	}
	return "INDETERMINATE";
}

static void add_span(struct rw_totals *out, enum rw_state s, int64_t a, int64_t b, int64_t from,
                     int64_t to)
{
	if (a < from)
		a = from;
	if (b > to)
		b = to;
	if (b > a)
		out->ms[s] += b - a;
}

void account_totals(const struct rw_interval *iv, size_t n, int64_t now_ms, int64_t from_ms,
                    int64_t to_ms, struct rw_totals *out)
{
	int64_t covered = 0;

	memset(out, 0, sizeof(*out));
	if (to_ms <= from_ms)
		return;
	for (size_t i = 0; i < n; i++) {
		int64_t a = iv[i].start_ms;
		int64_t b = i + 1 < n ? iv[i + 1].start_ms : now_ms;
		if (b > now_ms)
			b = now_ms;
		add_span(out, iv[i].state, a, b, from_ms, to_ms);
	}
	for (int s = 0; s < RW_STATE_COUNT; s++)
		covered += out->ms[s];
	/* Whatever no change covers (before the first, after now) is unknown. */
	out->ms[RW_STATE_UNKNOWN] += (to_ms - from_ms) - covered;
}

/* a/b >= ppm/1e6, exactly; b > 0. Values stay far below 2^63 for any period
 * shorter than 290 years of milliseconds times 1e6. */
static int ratio_at_least(int64_t a, int64_t b, uint32_t ppm)
{
	return (__int128)a * 1000000 >= (__int128)b * ppm;
}

/* a/b in parts per million, truncated; 0 <= a <= b, b > 0. */
static uint32_t ppm_truncated(int64_t a, int64_t b)
{
	if (a >= b)
		return 1000000;
	return a <= 0 ? 0 : (uint32_t)(((__int128)a * 1000000) / b);
}

void account_evaluate(const struct rw_totals *t, uint32_t floor_ppm, uint32_t min_coverage_ppm,
                      struct rw_availability *out)
{
	int64_t up = t->ms[RW_STATE_UP], down = t->ms[RW_STATE_DOWN];
	int64_t unknown = t->ms[RW_STATE_UNKNOWN];
	int64_t service = up + down + unknown;

	memset(out, 0, sizeof(*out));
	out->totals = *t;
	out->floor_ppm = floor_ppm;
	out->has_uptime = up + down > 0;
	if (out->has_uptime) {
		out->uptime = (double)up / (double)(up + down);
		out->uptime_ppm = ppm_truncated(up, up + down);
	}
	out->has_coverage = service > 0;
	if (out->has_coverage) {
		out->coverage = (double)(up + down) / (double)service;
		out->coverage_ppm = ppm_truncated(up + down, service);
	}

	if (service == 0) {
		out->verdict = RW_VERDICT_PASS; /* nothing was owed */
	} else if (!ratio_at_least(up + unknown, service, floor_ppm)) {
		out->verdict = RW_VERDICT_FAIL; /* fails even in the best case */
	} else if (ratio_at_least(up, service, floor_ppm)) {
		out->verdict = RW_VERDICT_PASS; /* passes even in the worst case */
	} else if (up + down > 0 && ratio_at_least(up + down, service, min_coverage_ppm) &&
	           ratio_at_least(up, up + down, floor_ppm)) {
		out->verdict = RW_VERDICT_PASS;
	} else {
		out->verdict = RW_VERDICT_INDETERMINATE;
	}
}

/* ---- overlays: the runner's period, maintenance, the service window -------
 *
 * account_period() is one sweep in time order over four sorted streams of
 * boundaries, each read through a cursor that only moves forward:
 *
 *   service pieces   calendar_service_next(): the weekly window, one day at
 *                    a time, the union of that day's spans;
 *   eligible pieces  mw_seek(): the union of the windows' noticed parts
 *                    [max(start, declared + notice), end);
 *   month edges      calendar_month(), where the cap's use restarts at 0;
 *   interval starts  sweep_observe(): the observed state.
 *
 * First the runner's period cuts each stretch (sweep_run(): outside it is
 * not_registered, and the cursors skip ahead). Then outside a service
 * piece is outside_window; inside, the part that is also
 * eligible is credited as maintenance while the month's cap lasts and the
 * rest is observed. The cap's use at `from` comes from the same sweep run
 * over [month start, from) without observing (it skips to each eligible
 * piece, so it costs nothing when there is no maintenance). The cost is
 * O(service pieces + eligible pieces * n_mw + n_iv in range + log n_iv).
 */

struct sweep {
	const struct account_input *in;
	int64_t notice_ms, cap_ms;
	int64_t mw_a, mw_b;    /* the current eligible piece, when !mw_done */
	int mw_done;           /* no eligible piece ends after the sweep position */
	size_t iv_next;        /* intervals with start_ms <= the sweep position */
	int64_t month_end;     /* end of the month that `used` counts */
	int64_t used;          /* credited in that month so far, <= cap_ms */
	struct rw_totals *out; /* NULL: track the cap's use only */
};

static void sweep_init(struct sweep *sw, const struct account_input *in, int64_t month_end,
                       struct rw_totals *out)
{
	memset(sw, 0, sizeof(*sw));
	sw->in = in;
	sw->notice_ms = (int64_t)in->policy->maintenance.min_notice_h * CALENDAR_MS_PER_HOUR;
	sw->cap_ms = (int64_t)in->policy->maintenance.max_h_per_month * CALENDAR_MS_PER_HOUR;
	sw->mw_a = sw->mw_b = INT64_MIN;
	sw->month_end = month_end;
	sw->out = out;
}

/* Where the noticed part of @p w begins (saturating: a declaration near the
 * end of time earns nothing). */
static int64_t noticed_start(const struct rw_maintenance *w, int64_t notice_ms)
{
	int64_t t = w->declared_ms > INT64_MAX - notice_ms ? INT64_MAX : w->declared_ms + notice_ms;

	return t > w->start_ms ? t : w->start_ms;
}

/* Moves the eligible cursor to a piece of the union that ends after @p p
 * and starts at the first eligible millisecond at or after p. The windows
 * come in any order, so each move scans them: the piece starts at the least
 * clipped noticed start among the windows still open at p, and ends at the
 * furthest end among the windows that are open there. It need not reach the
 * end of the union's stretch: the next move continues from its end. */
static void mw_seek(struct sweep *sw, int64_t p)
{
	const struct rw_maintenance *mw = sw->in->mw;
	size_t n = sw->in->n_mw;
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	if (sw->mw_done || sw->mw_b > p)
		return;
	for (size_t i = 0; i < n; i++) {
		int64_t s = noticed_start(&mw[i], sw->notice_ms);
		if (s < p)
			s = p;
		if (s < mw[i].end_ms && s < lo)
			lo = s;
	}
	if (lo == INT64_MAX) {
		sw->mw_done = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (noticed_start(&mw[i], sw->notice_ms) <= lo && mw[i].end_ms > hi)
			hi = mw[i].end_ms;
	sw->mw_a = lo;
	sw->mw_b = hi;
}

/* Adds the observed state of [a, b) (account_totals rules); a only grows
 * from one call to the next. */
static void sweep_observe(struct sweep *sw, int64_t a, int64_t b)
{
	const struct rw_interval *iv = sw->in->iv;
	size_t n = sw->in->n_iv, k = sw->iv_next;
	int64_t now = sw->in->now_ms;

	if (!sw->out)
		return;
	while (a < b) {
		enum rw_state s = RW_STATE_UNKNOWN;
		int64_t e = b;
		while (k < n && iv[k].start_ms <= a)
			k++;
		if (a < now) {
			if (k < n && iv[k].start_ms < e)
				e = iv[k].start_ms;
			if (now < e)
				e = now;
			if (k > 0)
				s = iv[k - 1].state;
		}
		sw->out->ms[s] += e - a;
		a = e;
	}
	sw->iv_next = k;
}

/* [c, d) is in service and eligible: credit it, month by month, while the
 * month's cap lasts; observe the rest. */
static void sweep_credit(struct sweep *sw, int64_t c, int64_t d)
{
	while (c < d) {
		int64_t e, take;
		if (c >= sw->month_end) {
			int64_t start;
			calendar_month(c, &start, &sw->month_end);
			sw->used = 0;
		}
		e = d < sw->month_end ? d : sw->month_end;
		take = sw->cap_ms - sw->used;
		if (take > e - c)
			take = e - c;
		sw->used += take;
		if (sw->out)
			sw->out->ms[RW_STATE_MAINTENANCE] += take;
		sweep_observe(sw, c + take, e);
		c = e;
	}
}

/* [a, b) is in service. */
static void sweep_service(struct sweep *sw, int64_t a, int64_t b)
{
	while (a < b) {
		int64_t ea, eb;
		mw_seek(sw, a);
		if (sw->mw_done || sw->mw_a >= b) {
			sweep_observe(sw, a, b);
			return;
		}
		ea = sw->mw_a > a ? sw->mw_a : a;
		eb = sw->mw_b < b ? sw->mw_b : b;
		sweep_observe(sw, a, ea);
		sweep_credit(sw, ea, eb);
		a = eb;
	}
}

/* Sweeps [a, b) inside the runner's period (rules 1 to 3). */
static void sweep_life(struct sweep *sw, int64_t a, int64_t b)
{
	const struct rw_policy *pol = sw->in->policy;

	while (a < b) {
		int64_t sa, sb;
		if (!sw->out) {
			/* Only the cap's use: skip to the next eligible piece. */
			mw_seek(sw, a);
			if (sw->mw_done || sw->mw_a >= b)
				return;
			if (sw->mw_a > a)
				a = sw->mw_a;
		}
		if (!calendar_service_next(pol->service_spans, pol->n_service_spans, a, b, &sa,
		                           &sb))
			sa = sb = b;
		if (sw->out)
			sw->out->ms[RW_STATE_OUTSIDE_WINDOW] += sa - a;
		sweep_service(sw, sa, sb);
		a = sb;
	}
}

/* Sweeps [a, b); successive calls must continue where the last one ended.
 * Rule 0 first: what lies outside the runner's period is not_registered and
 * is skipped (the cursors only move forward, so skipping is free), the rest
 * goes through the other rules. */
static void sweep_run(struct sweep *sw, int64_t a, int64_t b)
{
	const struct account_input *in = sw->in;
	int64_t la = a > in->created_ms ? a : in->created_ms;
	int64_t lb = in->retired_ms > 0 && in->retired_ms < b ? in->retired_ms : b;

	if (a >= b)
		return;
	if (lb <= la) {
		if (sw->out)
			sw->out->ms[RW_STATE_NOT_REGISTERED] += b - a;
		return;
	}
	if (sw->out)
		sw->out->ms[RW_STATE_NOT_REGISTERED] += (la - a) + (b - lb);
	sweep_life(sw, la, lb);
}

/* Readies @p sw to sweep from @p from_ms: the cap's use since the start of
 * from's month, and the observed cursor after the last change at or before
 * from. */
static void sweep_start(struct sweep *sw, const struct account_input *in, int64_t from_ms)
{
	int64_t month_start, month_end;
	size_t lo = 0, hi = in->n_iv;

	calendar_month(from_ms, &month_start, &month_end);
	sweep_init(sw, in, month_end, NULL);
	sweep_run(sw, month_start, from_ms);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (in->iv[mid].start_ms <= from_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	sw->iv_next = lo;
}

void account_period(const struct account_input *in, int64_t from_ms, int64_t to_ms,
                    struct rw_totals *out)
{
	struct sweep sw;

	memset(out, 0, sizeof(*out));
	if (to_ms <= from_ms)
		return;
	sweep_start(&sw, in, from_ms);
	sw.out = out;
	sweep_run(&sw, from_ms, to_ms);
}

void account_period_days(const struct account_input *in, int64_t from_ms, int64_t to_ms,
                         struct rw_totals *out, size_t n_out)
{
	struct sweep sw;
	int64_t day0 = from_ms / CALENDAR_MS_PER_DAY, a = from_ms;

	if (from_ms % CALENDAR_MS_PER_DAY < 0)
		day0--; /* floor, for times before 1970 */
	memset(out, 0, n_out * sizeof(*out));
	if (to_ms <= from_ms)
		return;
	sweep_start(&sw, in, from_ms);
	for (size_t i = 0; i < n_out && a < to_ms; i++) {
		int64_t b = (day0 + (int64_t)i + 1) * CALENDAR_MS_PER_DAY;
		if (b > to_ms)
			b = to_ms;
		sw.out = &out[i];
		sweep_run(&sw, a, b);
		a = b;
	}
}

int64_t account_maintenance_used(const struct account_input *in, int64_t t_ms)
{
	struct sweep sw;
	int64_t month_start, month_end;

	calendar_month(t_ms, &month_start, &month_end);
	sweep_init(&sw, in, month_end, NULL);
	sweep_run(&sw, month_start, month_end);
	return sw.used;
}

int account_in_service(const struct rw_policy *policy, int64_t t_ms)
{
	return calendar_in_service(policy->service_spans, policy->n_service_spans, t_ms);
}

void account_judge(const struct account_input *in, int64_t from_ms, int64_t to_ms,
                   uint32_t floor_ppm, struct rw_availability *out)
{
	struct rw_totals t;

	account_period(in, from_ms, to_ms, &t);
	account_evaluate(&t, floor_ppm, in->policy->window.min_coverage_ppm, out);
}
