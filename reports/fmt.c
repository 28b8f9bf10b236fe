/* SPDX-License-Identifier: MIT */
/* fmt.c — times, ratios and latencies as reports write them; see fmt.h. */
#include "reports/fmt.h"

#include <stdio.h>
#include <string.h>

#include "policy/base/rfc3339.h"

uint32_t fmt_ppm(int64_t a, int64_t b)
{
	if (b <= 0 || a <= 0)
		return 0;
	if (a >= b)
		return 1000000;
	return (uint32_t)(((__int128)a * 1000000) / b);
}

void fmt_time(int64_t ms, char out[FMT_LEN])
{
	/* A negative time is a missing one in reports: "-". */
	if (ms < 0 || rfc3339_format(ms, out, FMT_LEN) < 0)
		snprintf(out, FMT_LEN, "-");
}

/* The people formats are cut from the RFC 3339 text ("2026-03-01T04:05:06.789Z"). */
void fmt_when(int64_t ms, char out[FMT_LEN])
{
	fmt_time(ms, out);
	if (out[0] == '-')
		return;
	out[10] = ' ';
	out[19] = '\0';
}

void fmt_date(int64_t ms, char out[FMT_LEN])
{
	fmt_time(ms, out);
	if (out[0] != '-')
		out[10] = '\0';
}

void fmt_percent(uint32_t ppm, char out[FMT_LEN])
{
	snprintf(out, FMT_LEN, "%u.%03u%%", ppm / 10000, (ppm % 10000) / 10);
}

/* "W.FFFFFF" with trailing zeros (and a bare point) dropped. */
static void fixed6(uint32_t whole, uint32_t frac, char out[FMT_LEN])
{
	char *p;

	snprintf(out, FMT_LEN, "%u.%06u", whole, frac);
	p = out + strlen(out) - 1;
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
}

void fmt_floor(uint32_t ppm, char out[FMT_LEN])
{
	/* percent = ppm / 1e4: four decimals at most. */
	fixed6(ppm / 10000, (ppm % 10000) * 100, out);
	strcat(out, "%");
}

void fmt_ratio(uint32_t ppm, char out[FMT_LEN])
{
	fixed6(ppm / 1000000, ppm % 1000000, out);
}

void fmt_latency(int64_t us, char out[FMT_LEN])
{
	int64_t tenths = (us + 50) / 100;

	if (us < 0)
		snprintf(out, FMT_LEN, "-");
	else
		snprintf(out, FMT_LEN, "%lld.%lld ms", (long long)(tenths / 10),
		         (long long)(tenths % 10));
}
