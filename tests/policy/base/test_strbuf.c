/* SPDX-License-Identifier: MIT */
/*
 * test_strbuf.c — the growable buffer (appends, growth, take, the failed
 * state) and strbuf_json_str(), the one JSON string writer: quotes and
 * backslashes, control bytes, DEL, valid and invalid UTF-8, NULL; and every
 * output parsed back by cJSON to the input (invalid bytes as U+FFFD).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/strbuf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_buffer(void **state)
{
	struct strbuf b;
	size_t len = 0;
	char *s;

	(void)state;
	strbuf_init(&b);
	assert_null(b.data);
	strbuf_puts(&b, "ab");
	strbuf_append(&b, "c\0d", 3);
	strbuf_printf(&b, "%d-%s", 42, "x");
	assert_int_equal(b.len, 2 + 3 + 4);
	assert_memory_equal(b.data, "abc\0d42-x", 10); /* NUL-terminated after len */
	for (int i = 0; i < 1000; i++)                 /* growth past the first allocation */
		strbuf_puts(&b, "0123456789");
	assert_int_equal(b.len, 9 + 10000);
	assert_false(strbuf_failed(&b));
	s = strbuf_take(&b, &len);
	assert_non_null(s);
	assert_int_equal(len, 10009);
	assert_int_equal(s[len], '\0');
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);

	/* After a failure every append is a no-op and take gives NULL. */
	strbuf_init(&b);
	strbuf_puts(&b, "x");
	b.failed = true;
	strbuf_puts(&b, "y");
	assert_int_equal(b.len, 1);
	assert_true(strbuf_failed(&b));
	assert_null(strbuf_take(&b, &len));
	assert_false(strbuf_failed(&b)); /* reset */
	strbuf_deinit(&b);
	strbuf_deinit(&b); /* twice is fine */
}

struct json_row {
	const char *in;
	const char *want;    /* the literal, quotes included */
	const char *decoded; /* what a JSON parser reads back; NULL: in itself */
};

static const struct json_row rows[] = {
        {"", "\"\"", NULL},
        {"plain", "\"plain\"", NULL},
        {"a\"b", "\"a\\\"b\"", NULL},
        {"a\\b", "\"a\\\\b\"", NULL},
        {"\\\"", "\"\\\\\\\"\"", NULL},
        {"line\nbreak\r\ttab", "\"line\\nbreak\\r\\ttab\"", NULL},
        {"\x01\x08\x0c\x1b\x1f", "\"\\u0001\\u0008\\u000c\\u001b\\u001f\"", NULL},
        {"del\x7f", "\"del\x7f\"", NULL},
        {"</script>", "\"</script>\"", NULL},
        /* well-formed UTF-8 passes through: 2, 3 and 4 bytes, U+2028, the last code point */
        {"caf\xc3\xa9", "\"caf\xc3\xa9\"", NULL},
        {"\xe2\x82\xac \xe2\x80\xa8", "\"\xe2\x82\xac \xe2\x80\xa8\"", NULL},
        {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", NULL},
        {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", NULL},
        /* not UTF-8: one U+FFFD per byte that does not start a sequence */
        {"a\xff", "\"a\\ufffd\"", "a\xef\xbf\xbd"},
        {"\x80", "\"\\ufffd\"", "\xef\xbf\xbd"},
        {"\xc3", "\"\\ufffd\"", "\xef\xbf\xbd"},                        /* truncated */
        {"\xc3(", "\"\\ufffd(\"", "\xef\xbf\xbd("},                     /* cut by ASCII */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* above U+10FFFF */
        {"ok\xe2\x82", "\"ok\\ufffd\\ufffd\"", "ok\xef\xbf\xbd\xef\xbf\xbd"},
};

static void test_json_str(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct strbuf b;
		cJSON *back;
		char *got;

		strbuf_init(&b);
		strbuf_json_str(&b, rows[i].in);
		got = strbuf_take(&b, NULL);
		assert_non_null(got);
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu: got %s, want %s", i, got, rows[i].want);
		back = cJSON_Parse(got);
		assert_non_null(back);
		assert_true(cJSON_IsString(back));
		assert_string_equal(back->valuestring,
		                    rows[i].decoded ? rows[i].decoded : rows[i].in);
		cJSON_Delete(back);
		free(got);
	}
}

static void test_json_str_null_and_every_byte(void **state)
{
	struct strbuf b;
	char *got;

	(void)state;
	strbuf_init(&b);
	strbuf_json_str(&b, NULL);
	got = strbuf_take(&b, NULL);
	assert_string_equal(got, "\"\"");
	free(got);

	/* Every single byte gives valid JSON that reads back as itself or U+FFFD. */
	for (int c = 1; c < 256; c++) {
		char in[2] = {(char)c, '\0'};
		cJSON *back;

		strbuf_init(&b);
		strbuf_json_str(&b, in);
		got = strbuf_take(&b, NULL);
		back = cJSON_Parse(got);
		assert_non_null(back);
		assert_string_equal(back->valuestring, c < 0x80 ? in : "\xef\xbf\xbd");
		cJSON_Delete(back);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_buffer),
	        cmocka_unit_test(test_json_str),
	        cmocka_unit_test(test_json_str_null_and_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
