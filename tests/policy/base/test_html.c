/* SPDX-License-Identifier: MIT */
/*
 * test_html.c — html_escape() and html_escape_file(): the five references,
 * control bytes as spaces, everything else (UTF-8, valid or not) as is, and
 * the two sinks writing the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/html.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct html_row {
	const char *in;
	const char *want;
};

static const struct html_row rows[] = {
        {"", ""},
        {"plain text 123", "plain text 123"},
        {"&", "&amp;"},
        {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"a\"b'c", "a&quot;b&#39;c"},
        {"\" onmouseover=\"x", "&quot; onmouseover=&quot;x"},
        {"&amp;", "&amp;amp;"}, /* a reference in the input is text, not markup */
        {"PSU 'swapped'", "PSU &#39;swapped&#39;"},
        /* control bytes, tab and line feed included, become spaces */
        {"a\nb", "a b"},
        {"a\tb\r\nc", "a b  c"},
        {"\x01\x1f\x7f", "   "},
        {"\x1b[31mred", " [31mred"},
        /* UTF-8 passes through, valid or not; so does the C1 range */
        {"caf\xc3\xa9 \xe2\x80\x94", "caf\xc3\xa9 \xe2\x80\x94"},
        {"\xff\xfe\xc3", "\xff\xfe\xc3"},
        {"\xc2\x85", "\xc2\x85"},
        /* the first and the last byte */
        {"<", "&lt;"},
        {"x>", "x&gt;"},
};

/* Appended after what the buffer holds, nothing more. */
static void test_strbuf(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct strbuf b;
		char want[128], *got;

		snprintf(want, sizeof(want), "[%s]", rows[i].want);
		strbuf_init(&b);
		strbuf_puts(&b, "[");
		html_escape(&b, rows[i].in);
		strbuf_puts(&b, "]");
		got = strbuf_take(&b, NULL);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(got);
	}
}

static void test_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char *got = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&got, &len);

		assert_non_null(f);
		html_escape_file(f, rows[i].in);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(got, rows[i].want);
		free(got);
	}
}

/* Every byte: a special character, a control byte, or itself. */
static void test_every_byte(void **state)
{
	(void)state;
	for (int c = 1; c < 256; c++) {
		char in[2] = {(char)c, '\0'};
		struct strbuf b;
		char *got;

		strbuf_init(&b);
		html_escape(&b, in);
		got = strbuf_take(&b, NULL);
		assert_non_null(got);
		if (strchr("&<>\"'", c))
			assert_int_equal(got[0], '&');
		else if (c < 0x20 || c == 0x7f)
			assert_string_equal(got, " ");
		else
			assert_string_equal(got, in);
		free(got);
	}
}

static void test_null(void **state)
{
	struct strbuf b;
	char *got = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	strbuf_init(&b);
	html_escape(&b, NULL);
	assert_int_equal(b.len, 0);
	strbuf_deinit(&b);
	f = open_memstream(&got, &len);
	assert_non_null(f);
	html_escape_file(f, NULL);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, 0);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_strbuf),
	        cmocka_unit_test(test_file),
	        cmocka_unit_test(test_every_byte),
	        cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
