/* SPDX-License-Identifier: MIT */
/*
 * test_metrics.c — the Prometheus text-format helpers of metrics.c: sample
 * values (shortest exact decimal, NaN and infinities spelled as the format
 * wants), label value escaping, and histogram lines (cumulative buckets, +Inf
 * equal to _count).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/metrics.h"

static char *value_text(double v)
{
	struct strbuf b;
	strbuf_init(&b);
	metrics_value(&b, v);
	return strbuf_take(&b, NULL);
}

static void expect_text(double v, const char *want)
{
	char *got = value_text(v);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_values(void **state)
{
	(void)state;
	expect_text(0, "0");
	expect_text(3, "3");
	expect_text(0.003, "0.003");
	expect_text(0.0005, "0.0005");
	expect_text(1795229720.788, "1795229720.788");
	expect_text(18446744073709551615.0, "1.8446744073709552e+19");
	expect_text(-2.5, "-2.5");
	expect_text(NAN, "NaN");
	expect_text(INFINITY, "+Inf");
	expect_text(-INFINITY, "-Inf");
	/* Every value reads back as the same double. */
	for (int i = 1; i < 1000; i++) {
		double v = 1.0 / i;
		char *got = value_text(v);
		assert_true(strtod(got, NULL) == v);
		free(got);
	}
}

static void test_label_escaping(void **state)
{
	struct strbuf b;
	char *got;

	(void)state;
	strbuf_init(&b);
	metrics_label_value(&b, "plain-target_1.0");
	metrics_label_value(&b, "a\\b\"c\nd");
	metrics_label_value(&b, "");
	got = strbuf_take(&b, NULL);
	assert_string_equal(got, "\"plain-target_1.0\"\"a\\\\b\\\"c\\nd\"\"\"");
	free(got);
}

static void test_histogram_lines(void **state)
{
	struct histogram h = {0};
	struct strbuf b;
	char *got;

	(void)state;
	histogram_observe(&h, 0.0001); /* first bucket */
	histogram_observe(&h, 0.003);  /* le 0.005 */
	histogram_observe(&h, 60);     /* beyond the last bound: +Inf only */
	strbuf_init(&b);
	metrics_histogram(&b, "x_seconds", "Help.", &h);
	got = strbuf_take(&b, NULL);
	assert_non_null(strstr(got, "# HELP x_seconds Help.\n# TYPE x_seconds histogram\n"));
	assert_non_null(strstr(got, "\nx_seconds_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(got, "\nx_seconds_bucket{le=\"0.0025\"} 1\n"));
	assert_non_null(strstr(got, "\nx_seconds_bucket{le=\"0.005\"} 2\n"));
	assert_non_null(strstr(got, "\nx_seconds_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(got, "\nx_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(got, "\nx_seconds_sum 60.0031\n"));
	assert_non_null(strstr(got, "\nx_seconds_count 3\n"));
	free(got);
	assert_true(histogram_quantile(&h, 0.3) == 0.0005);
	assert_true(histogram_quantile(&h, 0.9) == 0.005);
	assert_true(isinf(histogram_quantile(&h, 1.0)));
}

static void test_scalar(void **state)
{
	struct strbuf b;
	char *got;

	(void)state;
	strbuf_init(&b);
	metrics_scalar(&b, "x_total", "counter", "Things.", 42);
	got = strbuf_take(&b, NULL);
	assert_string_equal(got, "# HELP x_total Things.\n# TYPE x_total counter\nx_total 42\n");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_values),
	        cmocka_unit_test(test_label_escaping),
	        cmocka_unit_test(test_histogram_lines),
	        cmocka_unit_test(test_scalar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
