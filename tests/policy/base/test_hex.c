/* SPDX-License-Identifier: MIT */
/*
 * test_hex.c — hex_encode(): two lowercase digits per byte, the terminator
 * right after them, nothing written beyond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "policy/base/hex.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct hex_row {
	const char *in;
	size_t len;
	const char *want;
};

static void test_table(void **state)
{
	static const struct hex_row rows[] = {
	        {"", 0, ""},
	        {"\x00", 1, "00"},
	        {"\x0a", 1, "0a"},
	        {"\xff", 1, "ff"},
	        {"\x7f\x80", 2, "7f80"},
	        {"\x01\x23\x45\x67\x89\xab\xcd\xef", 8, "0123456789abcdef"},
	        {"AZ", 2, "415a"},
	        {"a\0b", 3, "610062"}, /* a NUL inside the data is a byte like any other */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char out[32];

		memset(out, 'X', sizeof(out));
		hex_encode(rows[i].in, rows[i].len, out);
		assert_string_equal(out, rows[i].want);
		assert_int_equal(out[HEX_SIZE(rows[i].len)], 'X'); /* nothing beyond */
	}
}

static void test_every_byte(void **state)
{
	unsigned char all[256];
	char out[HEX_SIZE(256)];

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	hex_encode(all, sizeof(all), out);
	assert_int_equal(strlen(out), 512);
	for (int i = 0; i < 256; i++) {
		char want[3];

		want[0] = "0123456789abcdef"[i >> 4];
		want[1] = "0123456789abcdef"[i & 15];
		want[2] = '\0';
		assert_memory_equal(out + 2 * i, want, 2);
	}
}

static void test_empty_null(void **state)
{
	char out[1] = {'X'};

	(void)state;
	hex_encode(NULL, 0, out);
	assert_int_equal(out[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_every_byte),
	        cmocka_unit_test(test_empty_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
