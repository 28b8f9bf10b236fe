/* SPDX-License-Identifier: MIT */
/*
 * calendar.c — UTC calendar months and the weekly service window; the rules
 * are in calendar.h.
 *
 * Civil dates use Howard Hinnant's days_from_civil / civil_from_days
 * (eras of 400 years, March-based years), exact for any int64_t day count
 * the millisecond range can reach. The service window is never expanded
 * into a table: each day's spans are merged on demand, so a call costs
 * O(spans) per day and allocates nothing.
 */
#include "policy/calendar.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t calendar_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The year and month of day @p z since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

unsigned calendar_weekday(int64_t day)
{
	/* Day 0 was a Thursday (3). */
	int64_t w = (day + 3) % 7;

	return (unsigned)(w < 0 ? w + 7 : w);
}

void calendar_month(int64_t t_ms, int64_t *start_ms, int64_t *end_ms)
{
	int64_t y;
	unsigned m;

	civil_from_days(floor_div(t_ms, CALENDAR_MS_PER_DAY), &y, &m);
	*start_ms = calendar_days_from_civil(y, m, 1) * CALENDAR_MS_PER_DAY;
	*end_ms = (m == 12 ? calendar_days_from_civil(y + 1, 1, 1)
	                   : calendar_days_from_civil(y, m + 1, 1)) *
	          CALENDAR_MS_PER_DAY;
}

/* Span @p s as [*from, *to) milliseconds of the day; 0 when it covers none. */
static int span_ms(const struct rw_policy_span *s, int64_t *from, int64_t *to)
{
	unsigned to_min = s->to_min < 1440 ? s->to_min : 1440;

	*from = (int64_t)s->from_min * CALENDAR_MS_PER_MIN;
	*to = (int64_t)to_min * CALENDAR_MS_PER_MIN;
	return s->days != 0 && *to > *from;
}

int calendar_in_service(const struct rw_policy_span *spans, size_t n, int64_t t_ms)
{
	int64_t day = floor_div(t_ms, CALENDAR_MS_PER_DAY);
	int64_t off = t_ms - day * CALENDAR_MS_PER_DAY;
	unsigned bit = 1u << calendar_weekday(day);

	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		int64_t from, to;
		if ((spans[i].days & bit) && span_ms(&spans[i], &from, &to) && from <= off &&
		    off < to)
			return 1;
	}
	return 0;
}

/* A piece [*lo, *hi) of the spans of weekday @p bit that starts at the
 * first in-service millisecond at or after @p off (ms of the day): it ends
 * at the furthest end among the spans open there. Overlapping spans may
 * continue beyond it; the next call picks them up from *hi. */
static int day_piece(const struct rw_policy_span *spans, size_t n, unsigned bit, int64_t off,
                     int64_t *lo, int64_t *hi)
{
	int64_t a = CALENDAR_MS_PER_DAY, b = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t from, to;
		if (!(spans[i].days & bit) || !span_ms(&spans[i], &from, &to) || to <= off)
			continue;
		if (from < off)
			from = off;
		if (from < a)
			a = from;
	}
	if (a == CALENDAR_MS_PER_DAY)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int64_t from, to;
		if ((spans[i].days & bit) && span_ms(&spans[i], &from, &to) && from <= a && to > b)
			b = to;
	}
	*lo = a;
	*hi = b;
	return 1;
}

int calendar_service_next(const struct rw_policy_span *spans, size_t n, int64_t p, int64_t limit,
                          int64_t *a, int64_t *b)
{
	unsigned days = 0;
	int64_t day, base;
	unsigned wd;

	if (p >= limit)
		return 0;
	if (n == 0) {
		*a = p;
		*b = limit;
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t from, to;
		if (span_ms(&spans[i], &from, &to))
			days |= spans[i].days;
	}
	if ((days & 0x7f) == 0)
		return 0; /* never in service: do not walk the days */

	day = floor_div(p, CALENDAR_MS_PER_DAY);
	base = day * CALENDAR_MS_PER_DAY;
	wd = calendar_weekday(day);
	for (; base < limit; base += CALENDAR_MS_PER_DAY, wd = wd == 6 ? 0 : wd + 1) {
		int64_t lo, hi;
		if (!(days & (1u << wd)) ||
		    !day_piece(spans, n, 1u << wd, p > base ? p - base : 0, &lo, &hi))
			continue;
		if (base + lo >= limit)
			return 0;
		*a = base + lo;
		*b = base + hi < limit ? base + hi : limit;
		return 1;
	}
	return 0;
}
