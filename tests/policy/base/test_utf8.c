/* SPDX-License-Identifier: MIT */
/*
 * test_utf8.c — utf8_decode(): the boundaries of each sequence length, and
 * every kind of ill-formed input (stray continuation, overlong, surrogate,
 * above U+10FFFF, truncated, cut by the length given).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "policy/base/utf8.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct utf8_row {
	const char *in;
	size_t left;
	size_t want_len; /* 0: ill-formed */
	uint32_t want_cp;
};

static void test_table(void **state)
{
	static const struct utf8_row rows[] = {
	        /* well-formed, at the edges of each length */
	        {"\x00", 1, 1, 0x00},
	        {"A", 1, 1, 0x41},
	        {"\x7f", 1, 1, 0x7f},
	        {"\xc2\x80", 2, 2, 0x80},
	        {"\xdf\xbf", 2, 2, 0x7ff},
	        {"\xe0\xa0\x80", 3, 3, 0x800},
	        {"\xed\x9f\xbf", 3, 3, 0xd7ff},
	        {"\xee\x80\x80", 3, 3, 0xe000},
	        {"\xef\xbf\xbf", 3, 3, 0xffff},
	        {"\xf0\x90\x80\x80", 4, 4, 0x10000},
	        {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	        {"\xc3\xa9xyz", 5, 2, 0xe9}, /* only the first character */
	        /* ill-formed */
	        {"", 0, 0, 0},
	        {"\x80", 1, 0, 0},
	        {"\xbf", 1, 0, 0},
	        {"\xc0\x80", 2, 0, 0},         /* overlong NUL */
	        {"\xc1\xbf", 2, 0, 0},         /* overlong */
	        {"\xe0\x9f\xbf", 3, 0, 0},     /* overlong */
	        {"\xf0\x8f\xbf\xbf", 4, 0, 0}, /* overlong */
	        {"\xed\xa0\x80", 3, 0, 0},     /* U+D800 */
	        {"\xed\xbf\xbf", 3, 0, 0},     /* U+DFFF */
	        {"\xf4\x90\x80\x80", 4, 0, 0}, /* U+110000 */
	        {"\xf5\x80\x80\x80", 4, 0, 0},
	        {"\xf8\x88\x80\x80\x80", 5, 0, 0},
	        {"\xfe", 1, 0, 0},
	        {"\xff", 1, 0, 0},
	        {"\xc3", 1, 0, 0}, /* truncated */
	        {"\xe2\x82", 2, 0, 0},
	        {"\xc3\x28", 2, 0, 0}, /* not a continuation byte */
	        {"\xe2\x28\xa1", 3, 0, 0},
	        {"\xc3\xa9", 1, 0, 0}, /* well-formed, but cut by left */
	        {"\xf0\x9f\x98\x80", 3, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		uint32_t cp = 0xdeadbeef;
		size_t got = utf8_decode(rows[i].in, rows[i].left, &cp);

		if (got != rows[i].want_len || (got && cp != rows[i].want_cp))
			fail_msg("row %zu: got %zu U+%04X, want %zu U+%04X", i, got, (unsigned)cp,
			         rows[i].want_len, (unsigned)rows[i].want_cp);
		if (!got)
			assert_int_equal(cp, 0xdeadbeef); /* untouched on failure */
	}
	assert_int_equal(utf8_decode("\xc3\xa9", 2, NULL), 2);
}

/* Every code point encodes (by hand, here) and decodes back; surrogates do not. */
static void test_every_code_point(void **state)
{
	(void)state;
	for (uint32_t c = 0; c <= 0x10ffff; c++) {
		unsigned char s[4];
		size_t n;
		uint32_t cp = 0;

		if (c < 0x80) {
			s[0] = (unsigned char)c;
			n = 1;
		} else if (c < 0x800) {
			s[0] = (unsigned char)(0xc0 | c >> 6);
			s[1] = (unsigned char)(0x80 | (c & 0x3f));
			n = 2;
		} else if (c < 0x10000) {
			s[0] = (unsigned char)(0xe0 | c >> 12);
			s[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
			s[2] = (unsigned char)(0x80 | (c & 0x3f));
			n = 3;
		} else {
			s[0] = (unsigned char)(0xf0 | c >> 18);
			s[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
			s[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
			s[3] = (unsigned char)(0x80 | (c & 0x3f));
			n = 4;
		}
		if (c >= 0xd800 && c <= 0xdfff) {
			assert_int_equal(utf8_decode(s, n, &cp), 0);
			continue;
		}
		assert_int_equal(utf8_decode(s, n, &cp), n);
		assert_int_equal(cp, c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_every_code_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
