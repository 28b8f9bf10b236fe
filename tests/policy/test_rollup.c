/* SPDX-License-Identifier: MIT */
/*
 * test_rollup.c — policy/rollup.h, against brute force:
 *  - every latency from 0 to 2^20 µs, and around every power of two up to
 *    2^31, falls in the bucket whose bounds hold it; bounds increase;
 *  - quantiles of random samples (uniform, log-uniform, clustered) are within
 *    6.25 % of the exact nearest-rank quantile, and exact below 16 µs;
 *  - the failure runs of random sequences, split into days at random points
 *    with the run carried over midnight, give the same blips as a direct
 *    count over the whole sequence, for every failures_to_down;
 *  - sums saturate instead of wrapping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rollup.h"

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void check_bucket(int64_t us)
{
	int b = rollup_latency_bucket(us);

	assert_in_range(b, 0, ROLLUP_LAT_BUCKETS - 1);
	if (us < ((int64_t)1 << 31)) {
		assert_true(rollup_bucket_low(b) <= us);
		assert_true(us < rollup_bucket_low(b + 1));
	}
}

static void test_buckets(void **state)
{
	(void)state;
	assert_int_equal(rollup_latency_bucket(-1), -1);
	for (int64_t us = 0; us < (1 << 20); us++)
		check_bucket(us);
	for (int e = 4; e <= 32; e++)
		for (int64_t d = -3; d <= 3; d++)
			check_bucket(((int64_t)1 << e) + d);
	for (int b = 0; b < ROLLUP_LAT_BUCKETS; b++) {
		assert_true(rollup_bucket_low(b) < rollup_bucket_low(b + 1));
		/* The width of a bucket is at most 1/8 of its start (or 1 µs). */
		assert_true((rollup_bucket_low(b + 1) - rollup_bucket_low(b)) * 8 <=
		                    rollup_bucket_low(b) ||
		            rollup_bucket_low(b + 1) - rollup_bucket_low(b) == 1);
	}
	assert_int_equal(rollup_bucket_low(ROLLUP_LAT_BUCKETS), (int64_t)1 << 31);
	assert_int_equal(rollup_latency_bucket(INT64_MAX), ROLLUP_LAT_BUCKETS - 1);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static void test_quantiles(void **state)
{
	static const unsigned qs[] = {1, 100, 500, 900, 950, 990, 999, 1000};
	uint64_t seed = 7;
	int64_t *v = malloc(5000 * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (int round = 0; round < 300; round++) {
		struct rollup_day d;
		size_t n = 1 + rng_next(&seed) % 5000;
		int shape = round % 3;

		memset(&d, 0, sizeof(d));
		for (size_t i = 0; i < n; i++) {
			uint64_t r = rng_next(&seed);
			if (shape == 0)
				v[i] = (int64_t)(r % 200000);
			else if (shape == 1)
				v[i] = (int64_t)((r >> 8) % ((uint64_t)1 << (r % 31)));
			else
				v[i] = 30000 + (int64_t)(r % 500);
			d.latency[rollup_latency_bucket(v[i])]++;
		}
		qsort(v, n, sizeof(*v), cmp_i64);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			size_t rank = (n * qs[k] + 999) / 1000;
			int64_t exact = v[rank - 1], got = rollup_latency_quantile(&d, qs[k]);
			int64_t diff = got > exact ? got - exact : exact - got;
			if (exact < 16)
				assert_int_equal(got, exact);
			else if (diff * 16 > exact)
				fail_msg("q%u of %zu values: %lld, exact %lld (more than 6.25%% "
				         "off)",
				         qs[k], n, (long long)got, (long long)exact);
		}
	}
	free(v);
	{
		struct rollup_day empty;
		memset(&empty, 0, sizeof(empty));
		assert_int_equal(rollup_latency_quantile(&empty, 500), -1);
	}
}

/* Blips of a whole sequence, counted directly: maximal failure runs with a
 * success right before and right after, shorter than F. */
static uint64_t oracle_blips(const bool *ok, size_t n, uint32_t f)
{
	uint64_t blips = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		if (ok[i]) {
			i++;
			continue;
		}
		while (j < n && !ok[j])
			j++;
		if (i > 0 && j < n && j - i < f)
			blips++;
		i = j;
	}
	return blips;
}

static void test_runs_across_days(void **state)
{
	uint64_t seed = 99;
	bool ok[600];

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + rng_next(&seed) % 600, cut[4], n_cut = rng_next(&seed) % 4;
		struct rollup_day sum;
		size_t start = 0;
		int fail_pct = (int)(rng_next(&seed) % 90);

		for (size_t i = 0; i < n; i++)
			ok[i] = (int)(rng_next(&seed) % 100) >= fail_pct;
		for (size_t k = 0; k < n_cut; k++)
			cut[k] = rng_next(&seed) % (n + 1);
		qsort(cut, n_cut, sizeof(cut[0]), cmp_size);
		memset(&sum, 0, sizeof(sum));
		/* Days: [0, cut0), [cut0, cut1), ..., each started from what came
		 * before it, as store_rollup.c does from the stored samples. */
		for (size_t k = 0; k <= n_cut; k++) {
			size_t end = k < n_cut ? cut[k] : n;
			uint32_t lead = 0;
			bool lead_ok = false;
			struct rollup_acc acc;
			size_t back = start;
			while (back > 0 && !ok[back - 1]) {
				lead++;
				back--;
			}
			lead_ok = back > 0;
			rollup_acc_init(&acc, lead, lead_ok);
			for (size_t i = start; i < end; i++)
				rollup_acc_feed(&acc, ok[i], ok[i] ? 1000 : -1);
			rollup_add(&sum, &acc.day);
			start = end;
		}
		assert_int_equal(sum.samples, n);
		for (uint32_t f = 1; f <= 100; f++)
			assert_int_equal(rollup_blips(&sum, f), oracle_blips(ok, n, f));
	}
}

static void test_saturation(void **state)
{
	struct rollup_day a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.samples = UINT32_MAX - 1;
	a.latency[3] = UINT32_MAX;
	b.samples = 5;
	b.latency[3] = 1;
	b.runs[2] = 4;
	rollup_add(&a, &b);
	assert_int_equal(a.samples, UINT32_MAX);
	assert_int_equal(a.latency[3], UINT32_MAX);
	assert_int_equal(a.runs[2], 4);
	/* A run longer than ROLLUP_RUN_MAX lands in the last slot and is never a blip. */
	{
		struct rollup_acc acc;
		rollup_acc_init(&acc, 0, true);
		for (int i = 0; i < 300; i++)
			rollup_acc_feed(&acc, false, -1);
		rollup_acc_feed(&acc, true, 10);
		assert_int_equal(acc.day.runs[ROLLUP_RUN_MAX], 1);
		assert_int_equal(rollup_blips(&acc.day, 100), 0);
		assert_int_equal(acc.day.failures, 300);
		assert_int_equal(acc.day.latency[10], 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_buckets),
	        cmocka_unit_test(test_quantiles),
	        cmocka_unit_test(test_runs_across_days),
	        cmocka_unit_test(test_saturation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
