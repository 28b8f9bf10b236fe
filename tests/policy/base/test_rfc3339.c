/* SPDX-License-Identifier: MIT */
/*
 * test_rfc3339.c — rfc3339_format() and rfc3339_parse(): table tests (epoch,
 * negative times, leap days and leap seconds, offsets, the four-digit-year
 * limits, buffer sizes), every prefix of a valid time refused, and a round
 * trip over times spread across the whole range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(x)         ((int64_t)(x)*1000)
#define DAY          S(86400)

struct fmt_row {
	int64_t ms;
	const char *want;
};

static void test_format(void **state)
{
	static const struct fmt_row rows[] = {
	        {0, "1970-01-01T00:00:00.000Z"},
	        {1, "1970-01-01T00:00:00.001Z"},
	        {999, "1970-01-01T00:00:00.999Z"},
	        {1000, "1970-01-01T00:00:01.000Z"},
	        {-1, "1969-12-31T23:59:59.999Z"},
	        {-999, "1969-12-31T23:59:59.001Z"},
	        {-1000, "1969-12-31T23:59:59.000Z"},
	        {-1001, "1969-12-31T23:59:58.999Z"},
	        {-DAY, "1969-12-31T00:00:00.000Z"},
	        {S(1795217460), "2026-11-20T23:31:00.000Z"},
	        /* leap days, and the days around them */
	        {S(951782400), "2000-02-29T00:00:00.000Z"},
	        {S(1709164800), "2024-02-29T00:00:00.000Z"},
	        {S(1709251199) + 999, "2024-02-29T23:59:59.999Z"},
	        {S(1709251200), "2024-03-01T00:00:00.000Z"},
	        {S(4107542400), "2100-03-01T00:00:00.000Z"}, /* 2100 is not a leap year */
	        {S(4107542400) - 1, "2100-02-28T23:59:59.999Z"},
	        {S(-2203891200), "1900-03-01T00:00:00.000Z"}, /* nor is 1900 */
	        {S(-2203891200) - 1, "1900-02-28T23:59:59.999Z"},
	        /* the limits */
	        {RFC3339_MIN_MS, "0000-01-01T00:00:00.000Z"},
	        {RFC3339_MAX_MS, "9999-12-31T23:59:59.999Z"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char out[40];

		memset(out, 'X', sizeof(out));
		assert_int_equal(rfc3339_format(rows[i].ms, out, sizeof(out)), 0);
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("%lld: got %s, want %s", (long long)rows[i].ms, out, rows[i].want);
		assert_int_equal(strlen(out), RFC3339_SIZE - 1);
	}
}

static void test_format_errors(void **state)
{
	static const int64_t out_of_range[] = {RFC3339_MIN_MS - 1, RFC3339_MAX_MS + 1, INT64_MIN,
	                                       INT64_MAX};
	char out[RFC3339_SIZE];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(out_of_range); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(rfc3339_format(out_of_range[i], out, sizeof(out)), RW_ERANGE);
		assert_string_equal(out, "");
	}
	/* The buffer: RFC3339_SIZE is enough, one byte less is refused. */
	assert_int_equal(rfc3339_format(0, out, RFC3339_SIZE), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	memset(out, 'X', sizeof(out));
	assert_int_equal(rfc3339_format(0, out, RFC3339_SIZE - 1), RW_EINVAL);
	assert_string_equal(out, "");
	out[0] = 'X';
	assert_int_equal(rfc3339_format(0, out, 0), RW_EINVAL);
	assert_int_equal(out[0], 'X');
}

struct parse_row {
	const char *in;
	int64_t want;
};

static void test_parse_good(void **state)
{
	static const struct parse_row rows[] = {
	        {"1970-01-01T00:00:00Z", 0},
	        {"1970-01-01T00:00:00.000Z", 0},
	        {"2026-11-20T23:31:00Z", S(1795217460)},
	        {"2026-11-20t23:31:00z", S(1795217460)},
	        {"2026-11-20 23:31:00Z", S(1795217460)},
	        /* fractions: any number of digits, cut (not rounded) at the millisecond */
	        {"1970-01-01T00:00:00.5Z", 500},
	        {"1970-01-01T00:00:00.05Z", 50},
	        {"1970-01-01T00:00:00.123Z", 123},
	        {"1970-01-01T00:00:00.1239Z", 123},
	        {"1970-01-01T00:00:00.999999999Z", 999},
	        {"1970-01-01T00:00:00.000000001Z", 0},
	        /* offsets */
	        {"1970-01-01T01:00:00+01:00", 0},
	        {"1969-12-31T19:00:00-05:00", 0},
	        {"1970-01-01T05:30:00+05:30", 0},
	        {"1970-01-01T00:00:00-00:00", 0},
	        {"1970-01-01T00:00:00+23:59", -S(23 * 3600 + 59 * 60)},
	        {"1970-01-01T00:00:00-23:59", S(23 * 3600 + 59 * 60)},
	        {"2024-03-01T00:30:00+01:00", S(1709249400)}, /* crosses back into a leap day */
	        /* negative times */
	        {"1969-12-31T23:59:59.999Z", -1},
	        {"1969-12-31T23:59:59Z", -1000},
	        {"1900-03-01T00:00:00Z", S(-2203891200)},
	        /* leap days */
	        {"2000-02-29T00:00:00Z", S(951782400)},
	        {"2024-02-29T12:00:00Z", S(1709164800 + 43200)},
	        /* a leap second is the last second of its minute, fraction kept */
	        {"2016-12-31T23:59:60Z", S(1483228799)},
	        {"2016-12-31T23:59:60.5Z", S(1483228799) + 500},
	        /* the limits */
	        {"0000-01-01T00:00:00Z", RFC3339_MIN_MS},
	        {"9999-12-31T23:59:59.999Z", RFC3339_MAX_MS},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		int64_t got = 42;

		if (rfc3339_parse(rows[i].in, &got) != 0 || got != rows[i].want)
			fail_msg("%s: got %lld, want %lld", rows[i].in, (long long)got,
			         (long long)rows[i].want);
	}
}

static void test_parse_bad(void **state)
{
	static const char *const rows[] = {
	        "",
	        "2026",
	        "2026-11-20",
	        "2026-11-20T23:31Z",
	        "2026-11-20T23:31:00", /* no zone */
	        "2026-11-20T23:31:00 Z",
	        "2026-11-20T23:31:00Z ", /* trailing text */
	        "2026-11-20T23:31:00ZZ",
	        " 2026-11-20T23:31:00Z",
	        "2026-11-20X23:31:00Z",
	        "2026-11-20T23:31:00.Z", /* a point with no digit */
	        "2026-11-20T23:31:00,5Z",
	        "26-11-20T23:31:00Z",
	        "+2026-11-20T23:31:00Z",
	        "2026-1-20T23:31:00Z",
	        "2026-11-2T23:31:00Z",
	        "2026-11-20T3:31:00Z",
	        "2026/11/20T23:31:00Z",
	        "2026-11-20T23-31-00Z",
	        /* ranges */
	        "2026-00-20T23:31:00Z",
	        "2026-13-20T23:31:00Z",
	        "2026-11-00T23:31:00Z",
	        "2026-11-31T23:31:00Z",
	        "2026-04-31T00:00:00Z",
	        "2026-01-32T00:00:00Z",
	        "2023-02-29T00:00:00Z", /* not a leap year */
	        "2100-02-29T00:00:00Z",
	        "1900-02-29T00:00:00Z",
	        "2024-02-30T00:00:00Z",
	        "2026-11-20T24:00:00Z",
	        "2026-11-20T23:60:00Z",
	        "2026-11-20T23:59:61Z",
	        /* offsets */
	        "2026-11-20T23:31:00+24:00",
	        "2026-11-20T23:31:00+01:60",
	        "2026-11-20T23:31:00+0100",
	        "2026-11-20T23:31:00+01",
	        "2026-11-20T23:31:00+1:00",
	        "2026-11-20T23:31:00+01:00Z",
	        /* non-ASCII digits and signs */
	        "2026-11-20T23:31:0\xd9\xa0Z",
	        "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-11-20T23:31:00Z",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		int64_t got = 42;

		if (rfc3339_parse(rows[i], &got) != RW_EINVAL || got != 42)
			fail_msg("\"%s\" was accepted (%lld)", rows[i], (long long)got);
	}
	assert_int_equal(rfc3339_parse(NULL, NULL), RW_EINVAL);
}

/* Every proper prefix of a valid time is refused: the parser never reads
 * past a NUL and never takes a piece for the whole. */
static void test_parse_prefixes(void **state)
{
	static const char *const full[] = {"2026-11-20T23:31:00.123+05:30",
	                                   "1969-12-31T23:59:59.999Z"};

	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(full); k++) {
		size_t n = strlen(full[k]);

		for (size_t i = 0; i < n; i++) {
			char buf[64];
			int64_t got = 42;

			memcpy(buf, full[k], i);
			buf[i] = '\0';
			if (rfc3339_parse(buf, &got) != RW_EINVAL)
				fail_msg("prefix \"%s\" was accepted", buf);
		}
	}
}

/* format then parse gives the time back, across the whole range. */
static void test_round_trip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	const uint64_t span = (uint64_t)(RFC3339_MAX_MS - RFC3339_MIN_MS) + 1;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char out[RFC3339_SIZE];
		int64_t ms, back = 0;

		x ^= x << 13; /* xorshift64: reproducible, no libc rand() */
		x ^= x >> 7;
		x ^= x << 17;
		ms = RFC3339_MIN_MS + (int64_t)(x % span);
		if (i < 2000)
			ms = (int64_t)(x % (uint64_t)(2 * DAY)) - DAY; /* around the epoch */
		assert_int_equal(rfc3339_format(ms, out, sizeof(out)), 0);
		assert_int_equal(rfc3339_parse(out, &back), 0);
		if (back != ms)
			fail_msg("%lld -> %s -> %lld", (long long)ms, out, (long long)back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_format),         cmocka_unit_test(test_format_errors),
	        cmocka_unit_test(test_parse_good),     cmocka_unit_test(test_parse_bad),
	        cmocka_unit_test(test_parse_prefixes), cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
