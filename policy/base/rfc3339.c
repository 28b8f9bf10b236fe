/* SPDX-License-Identifier: MIT */
/* rfc3339.c — RFC 3339 in and out; see rfc3339.h. The calendar is libc's
 * (gmtime_r(), timegm()), in UTC, so the local time zone never enters. */
#include "policy/base/rfc3339.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy/base/rw_error.h"

int rfc3339_format(int64_t ms, char *out, size_t outlen)
{
	int64_t secs;
	time_t t;
	struct tm tm;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen < RFC3339_SIZE)
		return RW_EINVAL;
	if (ms < RFC3339_MIN_MS || ms > RFC3339_MAX_MS)
		return RW_ERANGE;
	/* Seconds rounded down, so that a negative time has a fraction in [0, 999]. */
	secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return RW_ERANGE;
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ms - secs * 1000));
	return 0;
}

/* Reads exactly @n digits at *@p into *@out and moves past them. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Reads the separator @c at *@p ('T' also accepts 't' and ' '). */
static bool expect(const char **p, char c)
{
	if (**p != c && !(c == 'T' && (**p == 't' || **p == ' ')))
		return false;
	(*p)++;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int rfc3339_parse(const char *s, int64_t *out_ms)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	int y, mo, d, h, mi, sec, frac = 0, off_min = 0;
	struct tm tm;

	if (!s || !digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d) || !expect(&p, 'T') || !digits(&p, 2, &h) ||
	    !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &sec))
		return RW_EINVAL;
	if (*p == '.') {
		int scale = 100;

		p++;
		if (*p < '0' || *p > '9')
			return RW_EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;

		p++;
		if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			return RW_EINVAL;
		off_min = sign * (oh * 60 + om);
	} else {
		return RW_EINVAL;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 || mi > 59 || sec > 60)
		return RW_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;
	*out_ms = ((int64_t)timegm(&tm) - (int64_t)off_min * 60) * 1000 + frac;
	return 0;
}
