/* SPDX-License-Identifier: MIT */
/*
 * calendar.h — UTC calendar months and the weekly service window (pure).
 *
 * Times are integer milliseconds since 1970-01-01T00:00:00Z (a Thursday),
 * proleptic Gregorian calendar, no leap seconds: every day is 86,400,000 ms.
 * Negative times are allowed; times must stay a month away from the limits
 * of int64_t.
 *
 * The weekly service window is a list of spans (policy.h): span s covers
 * [from_min, to_min) minutes of every UTC day whose bit is set in s.days
 * (bit 0 = Monday). A span never reaches into the next day (to_min <= 1440;
 * a window crossing midnight is two spans, the first ending at 1440). Spans
 * may overlap: the window is their union. An empty list (n == 0) means
 * always in service; a non-empty list whose spans cover no time (days == 0,
 * or to_min <= from_min) means never in service. to_min is read as at most
 * 1440.
 */
#ifndef RW_CALENDAR_H
#define RW_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define CALENDAR_MS_PER_MIN  ((int64_t)60000)
#define CALENDAR_MS_PER_HOUR ((int64_t)3600000)
#define CALENDAR_MS_PER_DAY  ((int64_t)86400000)

/** Days from 1970-01-01 to @p y-@p m-@p d (m 1..12, d 1..31); negative before. */
int64_t calendar_days_from_civil(int64_t y, unsigned m, unsigned d);

/** The weekday of day @p day since 1970-01-01: 0 = Monday … 6 = Sunday. */
unsigned calendar_weekday(int64_t day);

/**
 * The UTC calendar month that contains @p t_ms, as [*@p start_ms, *@p end_ms):
 * its first millisecond and the first millisecond of the next month.
 */
void calendar_month(int64_t t_ms, int64_t *start_ms, int64_t *end_ms);

/** Whether millisecond @p t_ms is inside the window of the @p n @p spans. */
int calendar_in_service(const struct rw_policy_span *spans, size_t n, int64_t t_ms);

/**
 * The first piece of the service window that ends after @p p, clipped to
 * [@p p, @p limit): on return 1, [*@p a, *@p b) is in service, non-empty,
 * and [p, *a) is not; on return 0 nothing of [p, limit) is in service.
 * Pieces never cross midnight, and overlapping spans may come back as
 * several adjacent pieces: a caller walks on from *b. Cost: O(n) per day
 * looked at; nothing is allocated.
 */
int calendar_service_next(const struct rw_policy_span *spans, size_t n, int64_t p, int64_t limit,
                          int64_t *a, int64_t *b);

#endif
