/* SPDX-License-Identifier: MIT */
/*
 * test_gauge.c — gauge_svg(): the bar's span from the floor's headroom, the
 * floor's mark three quarters along, the fill's width and colour at, above
 * and below the floor, a sliver off the left end, no uptime, the extreme
 * floors, and the tooltip escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/gauge.h"

static char *gauge(bool has, uint32_t up, uint32_t floor, const char *ut, const char *ft)
{
	struct strbuf b;
	char *s;

	strbuf_init(&b);
	gauge_svg(&b, has, up, floor, ut, ft);
	s = strbuf_take(&b, NULL);
	assert_non_null(s);
	return s;
}

static void expect(const char *svg, const char *part)
{
	if (!strstr(svg, part))
		fail_msg("%s has no %s", svg, part);
}

static void test_above_floor(void **state)
{
	/* 99 %: the bar spans 96 %-100 %; 99.721 % is 37210 of 40000 ppm in. */
	char *s = gauge(true, 997210, 990000, "99.721 %", "99 %");

	(void)state;
	expect(s, "<svg class=\"gauge\" width=\"96\" height=\"12\" viewBox=\"0 0 960 12\"");
	expect(s, "<title>99.721 % against the floor 99 %</title>");
	expect(s, "<rect class=\"g-bg\" width=\"960\" height=\"12\"/>");
	expect(s, "<rect class=\"g-ok\" y=\"2\" width=\"893\" height=\"8\"/>");
	expect(s, "<rect class=\"g-floor\" x=\"710\" width=\"20\" height=\"12\"/>");
	assert_true(strstr(s, "</svg>") == s + strlen(s) - 6);
	free(s);
}

static void test_at_and_below_floor(void **state)
{
	char *s;

	(void)state;
	/* At the floor is compliant: green, up to the mark. */
	s = gauge(true, 995000, 995000, "99.5 %", "99.5 %");
	expect(s, "<rect class=\"g-ok\" y=\"2\" width=\"720\"");
	free(s);
	/* 99.5 %: 98 %-100 %; 98.333 % is 3330 of 20000 in, red. */
	s = gauge(true, 983330, 995000, "98.333 %", "99.5 %");
	expect(s, "<rect class=\"g-bad\" y=\"2\" width=\"159\"");
	expect(s, "<rect class=\"g-floor\" x=\"710\"");
	free(s);
	/* Off the left end: a 2 px sliver, still red. */
	s = gauge(true, 0, 990000, "0.000 %", "99 %");
	expect(s, "<rect class=\"g-bad\" y=\"2\" width=\"20\"");
	free(s);
}

static void test_no_uptime(void **state)
{
	char *s = gauge(false, 0, 990000, "ignored", "99 %");

	(void)state;
	expect(s, "<title>no uptime against the floor 99 %</title>");
	expect(s, "<rect class=\"g-none\" y=\"2\" width=\"960\"");
	assert_null(strstr(s, "ignored"));
	free(s);
}

static void test_extreme_floors(void **state)
{
	char *s;

	(void)state;
	/* 100 %: the bar is 0.1 % wide and the mark sits inside its right end. */
	s = gauge(true, 999999, 1000000, "99.999 %", "100 %");
	expect(s, "<rect class=\"g-bad\" y=\"2\" width=\"959\"");
	expect(s, "<rect class=\"g-floor\" x=\"940\"");
	free(s);
	/* 0 % and 50 %: the bar spans 0 %-100 %. */
	s = gauge(true, 500000, 0, "50 %", "0 %");
	expect(s, "<rect class=\"g-ok\" y=\"2\" width=\"480\"");
	expect(s, "<rect class=\"g-floor\" x=\"0\"");
	free(s);
	s = gauge(true, 500000, 500000, "50 %", "50 %");
	expect(s, "<rect class=\"g-floor\" x=\"470\"");
	free(s);
}

static void test_title_escaped(void **state)
{
	char *s = gauge(true, 990000, 990000, "<1 & \"x\"", "'f'");

	(void)state;
	expect(s, "<title>&lt;1 &amp; &quot;x&quot; against the floor &#39;f&#39;</title>");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_above_floor),   cmocka_unit_test(test_at_and_below_floor),
	        cmocka_unit_test(test_no_uptime),     cmocka_unit_test(test_extreme_floors),
	        cmocka_unit_test(test_title_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
