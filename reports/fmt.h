/* SPDX-License-Identifier: MIT */
/*
 * fmt.h — how reports write times, ratios and latencies (durations for
 * people are policy/base/duration.h, shared with the status page).
 *
 * Everything here is integer arithmetic on the stored milliseconds and parts
 * per million, never locale-dependent printf of doubles, so that the same
 * database gives the same bytes on every machine. Ratios are truncated, not
 * rounded, to the digits shown: a runner shown at "99.000%" is at or above a
 * 99 % floor, exactly as the verdict (which compares in ppm) says.
 */
#ifndef RW_FMT_H
#define RW_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FMT_LEN 48 /* enough for every output below */

/** floor(@p a * 1e6 / @p b) for 0 <= a <= b, b > 0: a ratio in ppm. */
uint32_t fmt_ppm(int64_t a, int64_t b);

/** RFC 3339 UTC with milliseconds (rfc3339_format()): "2026-03-01T00:00:00.000Z";
 *  "-" when < 0 (a missing time). */
void fmt_time(int64_t ms, char out[FMT_LEN]);

/** For people: "2026-03-01 04:05:06" (UTC; milliseconds dropped); "-" when < 0. */
void fmt_when(int64_t ms, char out[FMT_LEN]);

/** "2026-03-01", the UTC date of @p ms. */
void fmt_date(int64_t ms, char out[FMT_LEN]);

/** A ratio as a percentage with 3 decimals, truncated: 995678 → "99.567%". */
void fmt_percent(uint32_t ppm, char out[FMT_LEN]);

/** A floor with no trailing zeros: 990000 → "99%", 995000 → "99.5%". */
void fmt_floor(uint32_t ppm, char out[FMT_LEN]);

/** A latency in milliseconds with one decimal, rounded: 12345 µs → "12.3 ms";
 *  "-" when < 0 (no latency). */
void fmt_latency(int64_t us, char out[FMT_LEN]);

/** A ratio as a JSON/CSV number with 6 decimals, trailing zeros dropped:
 *  990000 → "0.99", 1000000 → "1", 0 → "0". */
void fmt_ratio(uint32_t ppm, char out[FMT_LEN]);

#endif
