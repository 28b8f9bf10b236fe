/* SPDX-License-Identifier: MIT */
/*
 * test_clock.c — monitor/core/clock.h: the stored clock never goes
 * backwards, and runwarden_clock_back_jumps_total (rw_clock.back_jumps)
 * counts the wall clock's steps back, not the readings taken while it is
 * behind (issue 12: 390 after 2 jumps).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monitor/core/clock.h"

#define H (3600 * 1000)

static void test_one_jump_counts_once(void **state)
{
	struct rw_clock c;
	int64_t t = 1700000000000, prev;
	(void)state;

	clock_init(&c);
	assert_int_equal(clock_observe(&c, t), t);
	assert_int_equal(clock_observe(&c, t + 1000), t + 1000);
	/* One step back of an hour, then an hour of readings (one a second)
	 * while the wall clock catches up. */
	prev = clock_observe(&c, t + 1000 - H);
	assert_int_equal(prev, t + 1000);
	for (int64_t s = 1; s <= 3600; s++) {
		int64_t v = clock_observe(&c, t + 1000 - H + s * 1000);
		assert_true(v >= prev);
		prev = v;
	}
	assert_int_equal(c.back_jumps, 1);
	assert_int_equal(prev, t + 1000);
	assert_int_equal(clock_observe(&c, t + 5000), t + 5000);
	assert_int_equal(c.back_jumps, 1);
}

static void test_two_jumps_count_twice(void **state)
{
	struct rw_clock c;
	int64_t t = 1700000000000;
	(void)state;

	clock_init(&c);
	clock_observe(&c, t);
	clock_observe(&c, t - H); /* back */
	clock_observe(&c, t - H + 10);
	clock_observe(&c, t - H + 20);
	clock_observe(&c, t - 2 * H); /* back again, while still behind */
	clock_observe(&c, t - 2 * H + 10);
	assert_int_equal(c.back_jumps, 2);
	/* Forward steps and standing still are not jumps. */
	clock_observe(&c, t + H);
	clock_observe(&c, t + H);
	assert_int_equal(c.back_jumps, 2);
	assert_int_equal(clock_observe(&c, t + H + 1), t + H + 1);
}

static void test_real_clock(void **state)
{
	struct rw_clock c;
	int64_t a, b;
	(void)state;

	clock_init(&c);
	a = clock_now_ms(&c);
	b = clock_now_ms(&c);
	assert_true(a > 1600000000000);
	assert_true(b >= a);
	assert_int_equal(c.back_jumps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_one_jump_counts_once),
	        cmocka_unit_test(test_two_jumps_count_twice),
	        cmocka_unit_test(test_real_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
