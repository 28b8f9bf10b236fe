/* SPDX-License-Identifier: MIT */
/*
 * log.h — logfmt lines on stderr: `ts=… level=… msg=… key=value …`.
 *
 * Every value is escaped: it is quoted when it holds a space, '=' or a byte
 * that xesc() escapes, and inside the quotes it is written by xesc()
 * (policy/base/xesc.h: control and non-ASCII bytes, '"' and '\\' as \xNN; a
 * value longer than the line ends in "..."), so nothing a runner sends can
 * forge a log line or reach a terminal raw. A line is written with one
 * write(2), so lines never interleave.
 *
 * The level is the one piece of process-wide state in runwarden: it is set
 * once by main() before the loop starts and only read afterwards.
 */
#ifndef RW_LOG_H
#define RW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rw_log_level {
	RW_LOG_DEBUG = 0,
	RW_LOG_INFO = 1,
	RW_LOG_WARN = 2,
	RW_LOG_ERROR = 3,
};

/** A line being built; lives on the caller's stack. */
struct logline {
	char buf[2048];
	size_t len;
};

/** Sets the lowest level written. */
void log_set_level(enum rw_log_level level);

/** Parses "debug", "info", "warn" or "error". @return 0 or RW_EINVAL. */
int log_parse_level(const char *s, enum rw_log_level *out);

/** Starts a line; returns false (and nothing need follow) when @p level is off. */
bool log_begin(struct logline *l, enum rw_log_level level, const char *msg);

/** Appends key=value, escaping the value. A NULL value is written as "". */
void log_str(struct logline *l, const char *key, const char *val);

/** Appends key=<integer>. */
void log_int(struct logline *l, const char *key, int64_t val);

/** Writes the line to stderr. */
void log_end(struct logline *l);

/** A line with only a message and one string field (key may be NULL). */
void log_msg(enum rw_log_level level, const char *msg, const char *key, const char *val);

#endif
