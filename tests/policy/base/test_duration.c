/* SPDX-License-Identifier: MIT */
/*
 * test_duration.c — duration_format(): every unit boundary from both sides,
 * truncation (never rounding up), negative input, the largest input within
 * DURATION_SIZE, and a small buffer cut as snprintf() cuts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "policy/base/duration.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S            ((int64_t)1000)
#define M            (60 * S)
#define H            (60 * M)
#define D            (24 * H)

struct dur_row {
	int64_t ms;
	const char *want;
};

static void test_table(void **state)
{
	static const struct dur_row rows[] = {
	        {0, "0 ms"},
	        {1, "1 ms"},
	        {640, "640 ms"},
	        {999, "999 ms"},
	        {S, "1 s"},
	        {S + 999, "1 s"}, /* truncated, not rounded */
	        {45 * S, "45 s"},
	        {M - 1, "59 s"},
	        {M, "1 min"},
	        {12 * M + 59 * S, "12 min"},
	        {H - 1, "59 min"},
	        {H, "1 h 00 min"},
	        {3 * H + 5 * M, "3 h 05 min"},
	        {3 * H + 15 * M + 59 * S, "3 h 15 min"},
	        {D - 1, "23 h 59 min"},
	        {D, "1 d 0 h"},
	        {2 * D + 4 * H + 59 * M, "2 d 4 h"},
	        {31 * D, "31 d 0 h"},
	        {-1, "0 ms"},
	        {INT64_MIN, "0 ms"},
	        {INT64_MAX, "106751991167 d 7 h"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char out[DURATION_SIZE + 8];

		memset(out, 'X', sizeof(out));
		duration_format(rows[i].ms, out, DURATION_SIZE);
		assert_string_equal(out, rows[i].want);
		assert_int_equal(out[DURATION_SIZE], 'X');
	}
}

static void test_small_buffer(void **state)
{
	char out[6];

	(void)state;
	memset(out, 'X', sizeof(out));
	duration_format(3 * H + 5 * M, out, 5);
	assert_string_equal(out, "3 h ");
	assert_int_equal(out[5], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
