/* SPDX-License-Identifier: MIT */
/* month.c — "YYYY-MM" to a UTC calendar month and back; see month.h. */
#include "reports/month.h"

#include <stdio.h>
#include <time.h>

#include "policy/base/rw_error.h"
#include "policy/calendar.h"

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int month_parse(const char *s, int64_t now_ms, int64_t *start_ms, int64_t *end_ms, char *err,
                size_t errlen)
{
	int y, m;

	if (!s || digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &m) < 0 || s[7] ||
	    m < 1 || m > 12) {
		snprintf(err, errlen, "--month: \"%s\" is not a month (YYYY-MM, e.g. 2026-10)",
		         s ? s : "");
		return RW_EINVAL;
	}
	if (y < 1970) {
		snprintf(err, errlen, "--month: %s is before 1970", s);
		return RW_ERANGE;
	}
	*start_ms = calendar_days_from_civil(y, (unsigned)m, 1) * CALENDAR_MS_PER_DAY;
	*end_ms = m == 12 ? calendar_days_from_civil(y + 1, 1, 1) * CALENDAR_MS_PER_DAY
	                  : calendar_days_from_civil(y, (unsigned)m + 1, 1) * CALENDAR_MS_PER_DAY;
	if (*start_ms > now_ms) {
		snprintf(err, errlen, "--month: %s is in the future", s);
		return RW_ERANGE;
	}
	return 0;
}

void month_format(int64_t t_ms, char out[8])
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	if (t_ms < 0 || !gmtime_r(&t, &tm)) {
		snprintf(out, 8, "0000-00"); /* before 1970: not a month we accept */
		return;
	}
	snprintf(out, 8, "%04d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1);
}

int64_t month_period_end(int64_t start_ms, int64_t end_ms, int64_t now_ms, int64_t tick_ms,
                         bool *partial)
{
	*partial = now_ms < end_ms;
	if (!*partial)
		return end_ms;
	if (tick_ms > start_ms)
		return tick_ms < end_ms ? tick_ms : end_ms;
	if (now_ms < start_ms)
		return start_ms;
	return now_ms < end_ms ? now_ms : end_ms;
}
