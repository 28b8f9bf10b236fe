/* SPDX-License-Identifier: MIT */
/* account.c — availability totals and verdicts; rules in account.h. */
#include "account.h"

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
	if (out->has_uptime)
		out->uptime = (double)up / (double)(up + down);
	out->has_coverage = service > 0;
	if (out->has_coverage)
		out->coverage = (double)(up + down) / (double)service;

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
