/* SPDX-License-Identifier: MIT */
/*
 * duration.h — a duration for people: the status page's incident and
 * tooltip durations and the human-readable reports (Markdown, HTML).
 * Machines get integer milliseconds instead (JSON, CSV, the API).
 *
 * The format, by size, truncated (never rounded up) to its last unit:
 *
 *   < 1 s      "640 ms"
 *   < 1 min    "45 s"
 *   < 1 h      "12 min"
 *   < 1 d      "3 h 05 min"
 *   from 1 d   "2 d 4 h"
 *
 * Negative durations are written as "0 ms" (a wall-clock step must never
 * show as negative time).
 *
 * Why this format, and not the reports' old "3h 15m": unit symbols are those
 * of SI (ISO 80000: "min", "h", "d", a space between number and symbol), as
 * runwarden's README, alerts and messages write durations ("1 h", "5 min").
 * In a *monthly* report "3m" reads as three months just as easily as three
 * minutes, and "m" is the metre; "min" cannot be misread. The minutes after
 * the hours are two digits so that "3 h 05 min" cannot be mistaken for
 * "3 h 50 min" at a glance. Two units are enough for people; the exact
 * figure is always there for machines in milliseconds.
 *
 * Invariant: the text is at most DURATION_SIZE - 1 bytes for every int64_t,
 * pure ASCII, and independent of the locale.
 */
#ifndef RW_DURATION_H
#define RW_DURATION_H

#include <stddef.h>
#include <stdint.h>

/** Bytes duration_format() needs at most, terminator included. */
#define DURATION_SIZE 40

/**
 * Writes @p ms as the header shows.
 *
 * @param ms      the duration in milliseconds (negative is read as 0).
 * @param out     receives the text and a NUL.
 * @param outlen  size of @p out; DURATION_SIZE always suffices (a smaller
 *                buffer gets the text cut short, as snprintf() cuts).
 */
void duration_format(int64_t ms, char *out, size_t outlen);

#endif
