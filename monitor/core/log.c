/* SPDX-License-Identifier: MIT */
/* log.c — logfmt writer; see log.h for the escaping rules. */
#include "monitor/core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"

static enum rw_log_level min_level = RW_LOG_INFO;

static const char *level_name(enum rw_log_level l)
{
	switch (l) {
	case RW_LOG_DEBUG: return "debug";
	case RW_LOG_INFO: return "info";
	case RW_LOG_WARN: return "warn";
	case RW_LOG_ERROR: return "error";
	}
	return "info";
}

void log_set_level(enum rw_log_level level)
{
	min_level = level;
}

int log_parse_level(const char *s, enum rw_log_level *out)
{
	for (int l = RW_LOG_DEBUG; l <= RW_LOG_ERROR; l++) {
		if (strcmp(s, level_name(l)) == 0) {
			*out = l;
			return 0;
		}
	}
	return RW_EINVAL;
}

static void put(struct logline *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len; /* keep one byte for '\n' */
	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

bool log_begin(struct logline *l, enum rw_log_level level, const char *msg)
{
	struct timespec ts;
	char t[RFC3339_SIZE];

	if (level < min_level)
		return false;
	l->len = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, t, sizeof(t));
	put(l, "ts=", 3);
	put(l, t, strlen(t));
	log_str(l, "level", level_name(level));
	log_str(l, "msg", msg);
	return true;
}

void log_str(struct logline *l, const char *key, const char *val)
{
	bool quote = false;
	const unsigned char *p;
	size_t room;

	if (!val)
		val = "";
	put(l, " ", 1);
	put(l, key, strlen(key));
	put(l, "=", 1);
	if (*val == '\0')
		quote = true;
	for (p = (const unsigned char *)val; *p && !quote; p++)
		if (*p == ' ' || *p == '=' || xesc_needed(*p))
			quote = true;
	if (!quote) {
		put(l, val, strlen(val));
		return;
	}
	put(l, "\"", 1);
	/* The room put() leaves, less the closing quote, plus xesc()'s NUL
	 * (which the closing quote then overwrites). */
	room = sizeof(l->buf) - 1 - l->len;
	if (room > 1)
		l->len += xesc(l->buf + l->len, room, val, strlen(val));
	put(l, "\"", 1);
}

void log_int(struct logline *l, const char *key, int64_t val)
{
	char num[32];
	snprintf(num, sizeof(num), "%" PRId64, val);
	log_str(l, key, num);
}

void log_end(struct logline *l)
{
	ssize_t w;
	l->buf[l->len++] = '\n';
	w = write(STDERR_FILENO, l->buf, l->len);
	(void)w; /* nowhere left to report a failed log write */
}

void log_msg(enum rw_log_level level, const char *msg, const char *key, const char *val)
{
	struct logline l;
	if (!log_begin(&l, level, msg))
		return;
	if (key)
		log_str(&l, key, val);
	log_end(&l);
}
