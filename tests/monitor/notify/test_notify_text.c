/* SPDX-License-Identifier: MIT */
/*
 * test_notify_text.c — the words of Zulip messages and mails
 * (monitor/notify/notify_text.c): what comes from runners and operators
 * cannot end a mail header or a line (CR, LF, other control bytes and
 * non-ASCII become '?', the length is capped) nor leave a Markdown code
 * span (backticks and line ends replaced); times are UTC whatever the
 * locale; failure classes read as sentences, HTTP with its status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "monitor/notify/notify_impl.h"

static char *plain(const char *s, size_t max)
{
	struct strbuf b;

	strbuf_init(&b);
	notify_put_plain(&b, s, max);
	strbuf_puts(&b, "");
	return strbuf_take(&b, NULL);
}

static void test_plain_cannot_end_a_header(void **state)
{
	char *t;

	(void)state;
	t = plain("r1\r\nBcc: victim@example.org", 200);
	assert_string_equal(t, "r1??Bcc: victim@example.org");
	assert_null(strpbrk(t, "\r\n"));
	free(t);
	t = plain("caf\xc3\xa9\x7f\t", 200);
	assert_string_equal(t, "caf????");
	free(t);
	t = plain("abcdef", 3);
	assert_string_equal(t, "abc");
	free(t);
}

static void test_code_span_is_closed(void **state)
{
	struct strbuf b;
	char *t;

	(void)state;
	strbuf_init(&b);
	notify_put_code(&b, "x`** @**all**\nnext", 200);
	t = strbuf_take(&b, NULL);
	assert_string_equal(t, "`x'** @**all** next`");
	free(t);
}

static void test_time_and_classes(void **state)
{
	char buf[64], out[48];

	(void)state;
	notify_time(1790000000123LL, out, sizeof(out));
	assert_string_equal(out, "2026-09-21 14:13:20 UTC");
	assert_string_equal(notify_class_text("http_status", 503, buf, sizeof(buf)),
	                    "it answered HTTP 503");
	assert_string_equal(notify_class_text("connect", 0, buf, sizeof(buf)),
	                    "the connection was refused or did not complete");
	assert_string_equal(notify_class_text("gone", 0, buf, sizeof(buf)),
	                    "GitHub no longer lists it");
	assert_string_equal(notify_class_text("nonsense", 0, buf, sizeof(buf)),
	                    "it failed its checks");
	assert_string_equal(notify_class_text(NULL, 0, buf, sizeof(buf)), "it failed its checks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plain_cannot_end_a_header),
	        cmocka_unit_test(test_code_span_is_closed),
	        cmocka_unit_test(test_time_and_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
