/* SPDX-License-Identifier: MIT */
/* rollup.c — latency buckets, quantiles and failure runs of a day; see rollup.h. */
#include "policy/rollup.h"

#include <string.h>

#define EXACT 16 /* buckets 0..15: one per microsecond */
#define SUB   8  /* buckets per power of two above */

int rollup_latency_bucket(int64_t us)
{
	int e = 0;

	if (us < 0)
		return -1;
	if (us < EXACT)
		return (int)us;
	if (us >= (int64_t)1 << 31)
		return ROLLUP_LAT_BUCKETS - 1;
	while ((us >> (e + 1)) != 0)
		e++; /* e = floor(log2(us)), 4..30 */
	return EXACT + (e - 4) * SUB + (int)((us >> (e - 3)) & (SUB - 1));
}

int64_t rollup_bucket_low(int b)
{
	int e;

	if (b <= EXACT)
		return b < 0 ? 0 : b;
	b -= EXACT;
	e = 4 + b / SUB;
	return ((int64_t)1 << e) + (int64_t)(b % SUB) * ((int64_t)1 << (e - 3));
}

int64_t rollup_latency_quantile(const struct rollup_day *d, unsigned per_mille)
{
	uint64_t n = 0, rank, seen = 0;

	for (int b = 0; b < ROLLUP_LAT_BUCKETS; b++)
		n += d->latency[b];
	if (n == 0)
		return -1;
	if (per_mille < 1)
		per_mille = 1;
	if (per_mille > 1000)
		per_mille = 1000;
	rank = (n * per_mille + 999) / 1000; /* ceil(q * N), >= 1 */
	for (int b = 0; b < ROLLUP_LAT_BUCKETS; b++) {
		seen += d->latency[b];
		if (seen >= rank) {
			int64_t lo = rollup_bucket_low(b), hi = rollup_bucket_low(b + 1);
			return lo + (hi - lo - 1) / 2;
		}
	}
	return -1; /* not reached: seen ends at n >= rank */
}

uint64_t rollup_blips(const struct rollup_day *d, uint32_t failures_to_down)
{
	uint64_t n = 0;

	for (uint32_t k = 1; k < failures_to_down && k <= ROLLUP_RUN_MAX; k++)
		n += d->runs[k];
	return n;
}

static void add_sat(uint32_t *a, uint32_t b)
{
	*a = *a > UINT32_MAX - b ? UINT32_MAX : *a + b;
}

void rollup_add(struct rollup_day *sum, const struct rollup_day *d)
{
	add_sat(&sum->samples, d->samples);
	add_sat(&sum->failures, d->failures);
	for (int b = 0; b < ROLLUP_LAT_BUCKETS; b++)
		if (d->latency[b])
			add_sat(&sum->latency[b], d->latency[b]);
	for (int k = 0; k <= ROLLUP_RUN_MAX; k++)
		if (d->runs[k])
			add_sat(&sum->runs[k], d->runs[k]);
}

void rollup_acc_init(struct rollup_acc *acc, uint32_t lead_failures, bool lead_success)
{
	memset(acc, 0, sizeof(*acc));
	acc->run = lead_failures;
	acc->after_success = lead_success;
}

void rollup_acc_feed(struct rollup_acc *acc, bool ok, int64_t latency_us)
{
	int b = rollup_latency_bucket(latency_us);

	add_sat(&acc->day.samples, 1);
	if (b >= 0)
		add_sat(&acc->day.latency[b], 1);
	if (!ok) {
		add_sat(&acc->day.failures, 1);
		if (acc->run < UINT32_MAX)
			acc->run++;
		return;
	}
	if (acc->run > 0 && acc->after_success)
		add_sat(&acc->day.runs[acc->run < ROLLUP_RUN_MAX ? acc->run : ROLLUP_RUN_MAX], 1);
	acc->run = 0;
	acc->after_success = true;
}
