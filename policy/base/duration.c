/* SPDX-License-Identifier: MIT */
/* duration.c — durations for people; see duration.h for the format and why. */
#include "policy/base/duration.h"

#include <inttypes.h>
#include <stdio.h>

#define SEC_MS  ((int64_t)1000)
#define MIN_MS  (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)

void duration_format(int64_t ms, char *out, size_t outlen)
{
	if (ms < 0)
		ms = 0;
	if (ms < SEC_MS)
		snprintf(out, outlen, "%" PRId64 " ms", ms);
	else if (ms < MIN_MS)
		snprintf(out, outlen, "%" PRId64 " s", ms / SEC_MS);
	else if (ms < HOUR_MS)
		snprintf(out, outlen, "%" PRId64 " min", ms / MIN_MS);
	else if (ms < DAY_MS)
		snprintf(out, outlen, "%" PRId64 " h %02" PRId64 " min", ms / HOUR_MS,
		         ms % HOUR_MS / MIN_MS);
	else
		snprintf(out, outlen, "%" PRId64 " d %" PRId64 " h", ms / DAY_MS,
		         ms % DAY_MS / HOUR_MS);
}
