/* SPDX-License-Identifier: MIT */
/*
 * test_slo_export.c — slo_export.c on policies built in memory: floors are
 * written exactly (99.95 %, 0.9995; no float rounding), names are RFC 1123
 * labels of at most 63 characters that stay apart when two triples
 * sanitize to the same name or a triple is long, a floor of 0 or 1 makes no
 * SLO but a comment and a warning, the SLOs come in a fixed order, and the
 * format names parse. The YAML shapes themselves are checked by
 * tests/contrib/test_slo_export.py with PyYAML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli/slo_export.h"
#include "policy/base/rw_error.h"

#define LONG_TRIPLE "thumbv8m.main-none-eabihf-with-a-very-long-vendor-name-and-more-text"

static char *render(const struct rw_policy *pol, enum slo_format f, char **warnings)
{
	static const struct slo_origin src = {.origin = "p.json", .sha256 = "ab", .version = 2};
	struct strbuf b, w;

	strbuf_init(&b);
	strbuf_init(&w);
	slo_export(pol, &src, f, &b, &w);
	assert_false(strbuf_failed(&b));
	*warnings = w.data ? strbuf_take(&w, NULL) : strdup("");
	return b.data ? strbuf_take(&b, NULL) : strdup("");
}

/* The values of "  name: X" lines (metadata names), in order. */
static size_t names_of(const char *text, char names[][80], size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(text, "\n  name: "); p && n < max;
	     p = strstr(p + 1, "\n  name: ")) {
		const char *v = p + 9, *end = strchr(v, '\n');
		snprintf(names[n++], 80, "%.*s", (int)(end - v), v);
	}
	return n;
}

/* FNV-1a 32, the oracle for the names' suffix. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool rfc1123(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static void test_formats_parse(void **state)
{
	enum slo_format f;
	(void)state;

	assert_int_equal(slo_format_parse("openslo", &f), 0);
	assert_int_equal(f, SLO_FORMAT_OPENSLO);
	assert_int_equal(slo_format_parse("sloth", &f), 0);
	assert_int_equal(f, SLO_FORMAT_SLOTH);
	assert_int_equal(slo_format_parse("pyrra", &f), 0);
	assert_int_equal(f, SLO_FORMAT_PYRRA);
	assert_int_equal(slo_format_parse("rules", &f), 0);
	assert_int_equal(f, SLO_FORMAT_RULES);
	assert_int_equal(slo_format_parse("OpenSLO", &f), RW_EINVAL);
	assert_int_equal(slo_format_parse("", &f), RW_EINVAL);
}

static void test_exact_floors_and_names(void **state)
{
	struct rw_policy_tier tiers[] = {{.tier = 2, .uptime_floor = 0.9995, .floor_ppm = 999500},
	                                 {.tier = 3, .uptime_floor = 0.000001, .floor_ppm = 1},
	                                 {.tier = 4, .uptime_floor = 1, .floor_ppm = 1000000},
	                                 {.tier = 6, .uptime_floor = 0, .floor_ppm = 0}};
	struct rw_policy_target targets[] = {{.triple = "x86_64-unknown-none", .tier = 2},
	                                     {.triple = "x86-64-unknown-none", .tier = 2},
	                                     {.triple = LONG_TRIPLE, .tier = 3}};
	struct rw_policy pol;
	char names[16][80], *out, *warn;
	size_t n;
	(void)state;

	policy_defaults(&pol);
	pol.floor_ppm = 987654;
	pol.tiers = tiers;
	pol.n_tiers = 4;
	pol.targets = targets;
	pol.n_targets = 3;

	out = render(&pol, SLO_FORMAT_PYRRA, &warn);
	/* Percent and ratio written from parts per million, exactly. */
	assert_non_null(strstr(out, "  target: '99.95'\n"));
	assert_non_null(strstr(out, "  target: '0.0001'\n"));
	assert_non_null(strstr(out, "  target: '98.7654'\n"));
	/* Tiers in order, the default, then targets sorted by triple. */
	n = names_of(out, names, 16);
	assert_int_equal(n, 6);
	assert_string_equal(names[0], "runwarden-tier-2");
	assert_string_equal(names[1], "runwarden-tier-3");
	assert_string_equal(names[2], "runwarden-default");
	/* Too long: cut at 54 and ended with the hash of its SLO's id. */
	{
		char want[80];
		snprintf(want, sizeof(want),
		         "runwarden-target-thumbv8m-main-none-eabihf-with-a-very-%08x",
		         fnv1a("target-" LONG_TRIPLE));
		assert_string_equal(names[3], want);
		assert_int_equal(strlen(names[3]), 63);
	}
	assert_string_equal(names[4], "runwarden-target-x86-64-unknown-none");
	/* x86_64 sanitizes to the same name: kept apart by its hash. */
	{
		char want[80];
		snprintf(want, sizeof(want), "runwarden-target-x86-64-unknown-none-%08x",
		         fnv1a("target-x86_64-unknown-none"));
		assert_string_equal(names[5], want);
	}
	for (size_t i = 0; i < n; i++)
		if (!rfc1123(names[i]))
			fail_msg("%s is not an RFC 1123 label", names[i]);
	/* 100 % and 0 % make no SLO: a comment and a warning each. */
	assert_non_null(strstr(out, "# tier-4: floor 100% leaves no error budget: no SLO\n"));
	assert_non_null(strstr(out, "# tier-6: floor 0% asks for nothing: no SLO\n"));
	assert_string_equal(warn, "tier 4: floor 100% leaves no error budget: no SLO\n"
	                          "tier 6: floor 0% asks for nothing: no SLO\n");
	free(out);
	free(warn);

	out = render(&pol, SLO_FORMAT_OPENSLO, &warn);
	assert_non_null(strstr(out, "      target: 0.9995\n"));
	assert_non_null(strstr(out, "      target: 0.000001\n"));
	assert_non_null(strstr(out, "      target: 0.987654\n"));
	free(out);
	free(warn);

	out = render(&pol, SLO_FORMAT_SLOTH, &warn);
	assert_non_null(strstr(out, "  - name: tier-2\n    objective: 99.95\n"));
	/* Sloth's names keep the triple as it is. */
	assert_non_null(strstr(out, "  - name: target-x86_64-unknown-none\n"));
	assert_non_null(strstr(out, "{target=\"x86_64-unknown-none\"}[{{.window}}]"));
	free(out);
	free(warn);
}

/* A policy whose every floor is 1: Sloth gets an empty list, not a null. */
static void test_nothing_to_export(void **state)
{
	struct rw_policy pol;
	char *out, *warn;
	(void)state;

	policy_defaults(&pol);
	pol.floor_ppm = 1000000;
	out = render(&pol, SLO_FORMAT_SLOTH, &warn);
	assert_non_null(strstr(out, "\nslos: []\n"));
	assert_string_equal(warn, "the targets no tier maps: floor 100% leaves no error budget: no "
	                          "SLO\n");
	free(out);
	free(warn);
	/* The rule file does not depend on the policy. */
	out = render(&pol, SLO_FORMAT_RULES, &warn);
	assert_non_null(strstr(out, "      - record: " SLO_SLI_METRIC "\n"));
	assert_null(strstr(out, "p.json"));
	free(out);
	free(warn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_formats_parse),
	        cmocka_unit_test(test_exact_floors_and_names),
	        cmocka_unit_test(test_nothing_to_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
