/* SPDX-License-Identifier: MIT */
/*
 * month.h — the calendar month (UTC) a report is about, from "YYYY-MM".
 *
 * A month is [first millisecond, first millisecond of the next month), UTC,
 * as policy/calendar.h computes it. Months before 1970 or after 9999 are not
 * accepted; neither is a month that has not begun.
 */
#ifndef RW_MONTH_H
#define RW_MONTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Parses @p s, exactly "YYYY-MM" (four digits, '-', two digits 01..12).
 * @param now_ms  the wall clock; a month starting after it is refused.
 * @param start_ms, end_ms  receive the month's bounds.
 * @param err     one line naming the value on failure.
 * @return 0, RW_EINVAL (not YYYY-MM), RW_ERANGE (in the future, or before 1970).
 */
int month_parse(const char *s, int64_t now_ms, int64_t *start_ms, int64_t *end_ms, char *err,
                size_t errlen);

/** Writes "YYYY-MM" of the month that contains @p t_ms (>= 0) into @p out. */
void month_format(int64_t t_ms, char out[8]);

/**
 * Where a report stops counting the month [@p start_ms, @p end_ms): at its
 * end once it is over by the wall clock @p now_ms; otherwise (*@p partial)
 * at the monitor's last recorded tick @p tick_ms (-1: none), clamped to the
 * month, or — when no tick falls in the month — at @p now_ms, so that the
 * month so far is unknown rather than an empty period that owes nothing.
 * Time after the last tick is unknown in every case.
 */
int64_t month_period_end(int64_t start_ms, int64_t end_ms, int64_t now_ms, int64_t tick_ms,
                         bool *partial);

#endif
