/* SPDX-License-Identifier: MIT */
/*
 * test_xesc.c — xesc(): which bytes become \xNN, where a value too long is
 * cut (never inside an escape, always with "..."), and that nothing is
 * written past the buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy/base/xesc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct xesc_row {
	const char *in;
	size_t n;      /* bytes of in to read; (size_t)-1: strlen */
	size_t outlen; /* buffer size given */
	const char *want;
};

static void test_table(void **state)
{
	static const struct xesc_row rows[] = {
	        /* what stands for itself */
	        {"", -1, 64, ""},
	        {"runner-1.example_A~", -1, 64, "runner-1.example_A~"},
	        {"a b=c 'q' <x> &", -1, 64, "a b=c 'q' <x> &"},
	        /* control bytes, DEL, quote and backslash */
	        {"a\nb\x1b", -1, 64, "a\\x0ab\\x1b"},
	        {"\t\r\x01\x1f\x7f", -1, 64, "\\x09\\x0d\\x01\\x1f\\x7f"},
	        {"a\"b", -1, 64, "a\\x22b"},
	        {"a\\b", -1, 64, "a\\x5cb"},
	        {"\\x41", -1, 64, "\\x5cx41"}, /* a literal "\x41" cannot pass for an escape */
	        /* non-ASCII: valid UTF-8, a C1 control, invalid UTF-8 — byte by byte */
	        {"caf\xc3\xa9", -1, 64, "caf\\xc3\\xa9"},
	        {"\xc2\x9b"
	         "31m",
	         -1, 64, "\\xc2\\x9b31m"},
	        {"\xe2\x80\xae", -1, 64, "\\xe2\\x80\\xae"}, /* U+202E right-to-left override */
	        {"\xff\xfe\x80", -1, 64, "\\xff\\xfe\\x80"},
	        {"\xc3", -1, 64, "\\xc3"}, /* a truncated sequence */
	        /* n bounds the input; a NUL ends it earlier */
	        {"abcdef", 3, 64, "abc"},
	        {"ab\0cd", 5, 64, "ab"},
	        {"abc", 0, 64, ""},
	        {NULL, 5, 64, ""},
	        /* exact fit: outlen - 1 characters */
	        {"abcd", -1, 5, "abcd"},
	        {"a\n", -1, 6, "a\\x0a"},
	        /* cut: "..." after the last whole piece that leaves room */
	        {"abcde", -1, 5, "a..."},
	        {"abcdefghij", -1, 8, "abcd..."},
	        {"a\nbcdefg", -1, 8, "a..."},        /* the escape does not fit with the dots */
	        {"ab\ncdefg", -1, 10, "ab\\x0a..."}, /* the escape fits whole */
	        {"\n\n\n", -1, 8, "\\x0a..."},
	        {"abcd", -1, 4, "..."},
	        {"abcd", -1, 3, ".."},
	        {"abcd", -1, 2, "."},
	        {"abcd", -1, 1, ""},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char out[80];
		size_t n = rows[i].n == (size_t)-1 ? strlen(rows[i].in) : rows[i].n;
		size_t got;

		memset(out, 'X', sizeof(out));
		got = xesc(out, rows[i].outlen, rows[i].in, n);
		if (strcmp(out, rows[i].want) != 0 || got != strlen(rows[i].want))
			fail_msg("row %zu: got \"%s\" (%zu), want \"%s\"", i, out, got,
			         rows[i].want);
		assert_int_equal(out[rows[i].outlen], 'X'); /* nothing past the buffer */
	}
}

static void test_zero_outlen(void **state)
{
	char out[1] = {'X'};

	(void)state;
	assert_int_equal(xesc(out, 0, "abc", 3), 0);
	assert_int_equal(out[0], 'X');
}

/* Every byte value: escaped exactly when the header says, and the output is
 * printable ASCII without '"' or a backslash that does not start "\x". */
static void test_every_byte(void **state)
{
	(void)state;
	for (int c = 1; c < 256; c++) {
		char in[2] = {(char)c, '\0'}, out[8], want[8];
		int esc = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';

		xesc(out, sizeof(out), in, 1);
		if (esc)
			snprintf(want, sizeof(want), "\\x%02x", c);
		else
			snprintf(want, sizeof(want), "%c", c);
		assert_string_equal(out, want);
		assert_int_equal(xesc_needed((unsigned char)c), esc);
		for (const char *p = out; *p; p++) {
			assert_true(*p >= 0x20 && *p < 0x7f && *p != '"');
			if (*p == '\\')
				assert_int_equal(p[1], 'x');
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_zero_outlen),
	        cmocka_unit_test(test_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
