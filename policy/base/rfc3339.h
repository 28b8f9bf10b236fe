/* SPDX-License-Identifier: MIT */
/*
 * rfc3339.h — timestamps as text: RFC 3339 out and in, for every answer,
 * log line, report and command-line argument.
 *
 * runwarden's times are integer milliseconds since 1970-01-01T00:00:00Z, UTC,
 * no leap seconds (DESIGN.md). They are always written one way:
 * "2026-11-20T23:31:00.000Z" — UTC, 'T', milliseconds, 'Z' — so that the text
 * sorts as the time does and every reader parses it. They are read in any
 * RFC 3339 spelling (section 5.6): an offset instead of 'Z', 't' or ' ' for
 * 'T' (the note to section 5.6 allows the space), lowercase 'z', any number
 * of fraction digits (digits past the millisecond are dropped, not rounded,
 * so a parsed time is never later than the instant it names).
 *
 * Invariants:
 *   - rfc3339_parse(rfc3339_format(t)) == t for every t in
 *     [RFC3339_MIN_MS, RFC3339_MAX_MS], negative times included;
 *   - a leap second (":60") is read as ":59" of the same minute plus its
 *     fraction: time never goes backwards and never leaves the minute;
 *   - nothing here depends on the local time zone or the locale, and nothing
 *     allocates.
 */
#ifndef RW_RFC3339_H
#define RW_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/** Bytes rfc3339_format() needs, terminator included. */
#define RFC3339_SIZE 25

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the four-digit years
 *  RFC 3339 can write. */
#define RFC3339_MIN_MS ((int64_t)-62167219200000)
#define RFC3339_MAX_MS ((int64_t)253402300799999)

/**
 * Writes @p ms as "YYYY-MM-DDTHH:MM:SS.mmmZ".
 *
 * @param ms      the time; negative times (before 1970) are written too.
 * @param out     receives the text and a NUL.
 * @param outlen  size of @p out; at least RFC3339_SIZE.
 * @return 0; RW_ERANGE when @p ms is outside [RFC3339_MIN_MS, RFC3339_MAX_MS],
 *         RW_EINVAL when @p outlen is too small. On failure @p out is ""
 *         (when @p outlen > 0).
 */
int rfc3339_format(int64_t ms, char *out, size_t outlen);

/**
 * Reads an RFC 3339 date-time: "YYYY-MM-DD", 'T' ('t', ' '), "HH:MM:SS", an
 * optional fraction ('.' and at least one digit), then 'Z' ('z') or an offset
 * "+HH:MM" / "-HH:MM" (hours 00..23, minutes 00..59). Nothing may follow.
 * Month, day (leap years included), hour (00..23), minute (00..59) and second
 * (00..60) are range-checked.
 *
 * @param s       the text (NUL-terminated; NULL is an error).
 * @param out_ms  receives the time in UTC milliseconds; untouched on failure.
 * @return 0 or RW_EINVAL.
 */
int rfc3339_parse(const char *s, int64_t *out_ms);

#endif
