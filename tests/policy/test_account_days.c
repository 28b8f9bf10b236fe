/* SPDX-License-Identifier: MIT */
/*
 * test_account_days.c — account_period_days() (policy/account.h): the
 * monthly report's single sweep cut at UTC midnights. account_period() is
 * checked against a brute-force oracle in test_account_period.c; here every
 * day of the cut sweep must equal account_period() over that day, whatever
 * the history, maintenance windows (short notice, over the cap, across a
 * month's end), service window, registration and retirement (mid-day,
 * before or after the period) and period (starting and ending mid-day,
 * across a month's end, longer than n_out days), and the days must sum to
 * the period.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy/account.h"
#include "policy/calendar.h"
#include "policy/policy.h"

#define HOUR ((int64_t)3600000)
#define DAY  ((int64_t)86400000)

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int64_t below(uint64_t *x, int64_t n)
{
	return (int64_t)(rng_next(x) % (uint64_t)n);
}

static void one_case(uint64_t *x)
{
	/* Around the end of February 2028 (a leap year) into March. */
	int64_t base = calendar_days_from_civil(2028, 2, 10) * DAY;
	struct rw_interval iv[64];
	struct rw_maintenance mw[4];
	struct rw_policy_span spans[2];
	struct rw_policy pol;
	struct account_input in;
	struct rw_totals days[40], sum, whole;
	size_t n_iv = (size_t)below(x, 64), n_mw = (size_t)below(x, 5), n_out;
	int64_t t = base - DAY, from, to, day0;

	policy_defaults(&pol);
	pol.maintenance.min_notice_h = (uint32_t)below(x, 48);
	pol.maintenance.max_h_per_month = (uint32_t)below(x, 12);
	if (below(x, 2)) {
		spans[0].days = (uint8_t)(1 + below(x, 127));
		spans[0].from_min = (uint16_t)below(x, 720);
		spans[0].to_min = (uint16_t)(spans[0].from_min + 1 + below(x, 720));
		spans[1].days = 0x60; /* weekends */
		spans[1].from_min = 0;
		spans[1].to_min = 1440;
		pol.service_spans = spans;
		pol.n_service_spans = (size_t)(1 + below(x, 2));
	}
	for (size_t i = 0; i < n_iv; i++) {
		t += 1 + below(x, 20 * HOUR);
		iv[i].start_ms = t;
		iv[i].state = (enum rw_state)below(x, 3); /* unknown, up, down */
	}
	for (size_t i = 0; i < n_mw; i++) {
		mw[i].start_ms = base + below(x, 35 * DAY);
		mw[i].end_ms = mw[i].start_ms + 1 + below(x, 14 * HOUR);
		mw[i].declared_ms = mw[i].start_ms - below(x, 72 * HOUR);
	}
	memset(&in, 0, sizeof(in));
	in.iv = iv;
	in.n_iv = n_iv;
	in.mw = mw;
	in.n_mw = n_mw;
	in.policy = &pol;
	in.now_ms = base + below(x, 40 * DAY);
	/* The runner's period: always, from a registration, or one that ended. */
	if (below(x, 3)) {
		in.created_ms = base + below(x, 30 * DAY) - 5 * DAY;
		if (below(x, 2))
			in.retired_ms = in.created_ms + below(x, 30 * DAY) - DAY;
	}
	from = base + below(x, 20 * DAY);
	to = from + below(x, 30 * DAY);
	n_out = (size_t)below(x, 40) + 1;

	account_period_days(&in, from, to, days, n_out);
	day0 = from / DAY;
	memset(&sum, 0, sizeof(sum));
	for (size_t i = 0; i < n_out; i++) {
		int64_t a = (day0 + (int64_t)i) * DAY, b = a + DAY;
		struct rw_totals want;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		if (b < a)
			b = a;
		account_period(&in, a, b, &want);
		assert_memory_equal(&days[i], &want, sizeof(want));
		for (int k = 0; k < RW_STATE_COUNT; k++)
			sum.ms[k] += days[i].ms[k];
	}
	/* When n_out reaches the end, the days sum to the whole period. */
	if ((day0 + (int64_t)n_out) * DAY >= to) {
		account_period(&in, from, to, &whole);
		assert_memory_equal(&sum, &whole, sizeof(sum));
	}
}

static void test_days_equal_periods(void **state)
{
	uint64_t seed = 2028;

	(void)state;
	for (int i = 0; i < 3000; i++)
		one_case(&seed);
}

static void test_empty_and_exact_days(void **state)
{
	int64_t d = calendar_days_from_civil(2028, 3, 1) * DAY;
	struct rw_interval iv[1] = {{d - DAY, RW_STATE_UP}};
	struct rw_policy pol;
	struct account_input in = {.iv = iv, .n_iv = 1, .policy = &pol, .now_ms = d + 10 * DAY};
	struct rw_totals days[3];

	(void)state;
	policy_defaults(&pol);
	memset(days, 0x5a, sizeof(days));
	account_period_days(&in, d, d, days, 3); /* an empty period: all zero */
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < RW_STATE_COUNT; k++)
			assert_int_equal(days[i].ms[k], 0);
	account_period_days(&in, d + 12 * HOUR, d + 2 * DAY, days, 3);
	assert_int_equal(days[0].ms[RW_STATE_UP], 12 * HOUR);
	assert_int_equal(days[1].ms[RW_STATE_UP], DAY);
	assert_int_equal(days[2].ms[RW_STATE_UP], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_days_equal_periods),
	        cmocka_unit_test(test_empty_and_exact_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
