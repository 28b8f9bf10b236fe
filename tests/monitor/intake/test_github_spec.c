/* SPDX-License-Identifier: MIT */
/*
 * test_github_spec.c — the rules of a GitHub pool (runner_spec.h) as pure
 * functions: sources (GitHub's owner and repository names), labels (at least
 * one, distinct without case), min_online and pickup_within_s with their
 * defaults, no interval or timeout of a pool's own; every refusal names the
 * field as the caller spells it (a CLI flag or an API member) and shows the
 * value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "monitor/intake/runner_spec.h"
#include "policy/base/rw_error.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_sources(void **state)
{
	static const struct {
		const char *in;
		bool ok;
	} rows[] = {
	        {"rust-lang", true},
	        {"rust-lang/rust", true},
	        {"a", true},
	        {"A1-b2/x.y_z-w", true},
	        {"123456789012345678901234567890123456789", true},   /* 39 */
	        {"1234567890123456789012345678901234567890", false}, /* 40 */
	        {"", false},
	        {"-acme", false},
	        {"ac_me", false},
	        {"ac.me", false},
	        {"acme/", false},
	        {"/rust", false},
	        {"acme/rust/x", false},
	        {"acme/.", false},
	        {"acme/..", false},
	        {"acme/.github", true},
	        {"acme/a b", false},
	        {"acme/r\xc3\xa9po", false},
	        {"acme\n", false},
	        {"https://github.com/acme", false},
	};
	char err[400];

	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		int rc = spec_check_github("--github", rows[i].in, err, sizeof(err));
		if ((rc == 0) != rows[i].ok)
			print_error("\"%s\": %d, want %s\n", rows[i].in, rc,
			            rows[i].ok ? "ok" : "refused");
		assert_int_equal(rc == 0, rows[i].ok);
		if (!rows[i].ok) {
			assert_int_equal(rc, RW_EINVAL);
			assert_int_equal(strncmp(err, "--github: ", 10), 0);
			assert_non_null(strstr(err, "OWNER/REPO"));
			assert_null(strchr(err, '\n')); /* one line, even for "acme\n" */
		}
	}
	/* A repository name of 100 characters, and of 101. */
	{
		char src[160] = "acme/";
		memset(src + 5, 'r', 100);
		src[105] = '\0';
		assert_int_equal(spec_check_github("github", src, err, sizeof(err)), 0);
		src[105] = 'r';
		src[106] = '\0';
		assert_int_equal(spec_check_github("github", src, err, sizeof(err)), RW_EINVAL);
		assert_int_equal(strncmp(err, "github: ", 8), 0);
	}
	assert_int_equal(spec_check_github("github", NULL, err, sizeof(err)), RW_EINVAL);
}

static void test_labels(void **state)
{
	const char *two[] = {"self-hosted", "riscv64"};
	const char *cased[] = {"self-hosted", "Linux", "linux"};
	const char *bad[] = {"self hosted"};
	char many[17][8];
	const char *m[17];
	char err[400];

	(void)state;

	assert_int_equal(spec_check_github_labels("--label", two, 2, err, sizeof(err)), 0);
	assert_int_equal(spec_check_github_labels("--label", NULL, 0, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(strncmp(err, "--label: ", 9), 0);
	assert_non_null(strstr(err, "at least one"));
	assert_int_equal(spec_check_github_labels("labels", cased, 3, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(strncmp(err, "labels: ", 8), 0);
	assert_non_null(strstr(err, "\"Linux\""));
	assert_non_null(strstr(err, "\"linux\""));
	assert_int_equal(spec_check_github_labels("labels", bad, 1, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(strncmp(err, "labels: \"self hosted\"", 21), 0);
	for (int i = 0; i < 17; i++) {
		snprintf(many[i], sizeof(many[i]), "l%d", i);
		m[i] = many[i];
	}
	assert_int_equal(spec_check_github_labels("--label", m, 16, err, sizeof(err)), 0);
	assert_int_equal(spec_check_github_labels("--label", m, 17, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "at most 16"));
}

static void test_numbers(void **state)
{
	char err[400];

	(void)state;

	assert_int_equal(spec_check_min_online("--min-online", 0, err, sizeof(err)), 0);
	assert_int_equal(spec_check_min_online("--min-online", 10000, err, sizeof(err)), 0);
	assert_int_equal(spec_check_min_online("--min-online", 10001, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(strncmp(err, "--min-online: 10001 is not in [0, 10000]", 40), 0);
	assert_int_equal(spec_check_min_online("min_online", -1, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(spec_check_pickup_within("--pickup-within", 1, err, sizeof(err)), 0);
	assert_int_equal(spec_check_pickup_within("--pickup-within", 86400, err, sizeof(err)), 0);
	assert_int_equal(spec_check_pickup_within("--pickup-within", 0, err, sizeof(err)),
	                 RW_EINVAL);
	assert_int_equal(strncmp(err, "--pickup-within: 0 is not in [1, 86400]", 39), 0);
	assert_int_equal(spec_check_pickup_within("pickup_within_s", 86401, err, sizeof(err)),
	                 RW_EINVAL);
}

/* The whole pool: defaults, and the first field at fault by its name. */
static void test_pool(void **state)
{
	const char *labels[] = {"self-hosted", "s390x"};
	struct spec_github g;
	const char *field = "x";
	char err[400];

	(void)state;

	/* Defaults: one member online, no pickup check. */
	g = (struct spec_github){.source = "acme", .labels = labels, .n_labels = 2};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_flags, &field, err, sizeof(err)),
	                 0);
	assert_null(field);
	assert_int_equal(g.min_online, 1);
	assert_int_equal(g.pickup_within_s, 0);
	/* With a pickup deadline, no member need be online. */
	g = (struct spec_github){.source = "acme/ci",
	                         .labels = labels,
	                         .n_labels = 2,
	                         .has_pickup = true,
	                         .pickup_within_s = 300};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_members, &field, err, sizeof(err)),
	                 0);
	assert_int_equal(g.min_online, 0);
	assert_int_equal(g.pickup_within_s, 300);
	/* Given numbers stay. */
	g = (struct spec_github){.source = "acme",
	                         .labels = labels,
	                         .n_labels = 2,
	                         .has_min_online = true,
	                         .min_online = 5,
	                         .has_pickup = true,
	                         .pickup_within_s = 60};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_flags, NULL, err, sizeof(err)), 0);
	assert_int_equal(g.min_online, 5);
	assert_int_equal(g.pickup_within_s, 60);

	/* Refusals, each naming the field the caller's way. */
	g = (struct spec_github){.source = "-acme", .labels = labels, .n_labels = 2};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_members, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "github");
	g = (struct spec_github){.source = "acme", .labels = labels, .n_labels = 0};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_flags, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "--label");
	assert_int_equal(strncmp(err, "--label: ", 9), 0);
	g = (struct spec_github){.source = "acme",
	                         .labels = labels,
	                         .n_labels = 2,
	                         .has_min_online = true,
	                         .min_online = 20000};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_members, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "min_online");
	assert_int_equal(strncmp(err, "min_online: 20000", 17), 0);
	g = (struct spec_github){.source = "acme",
	                         .labels = labels,
	                         .n_labels = 2,
	                         .has_pickup = true,
	                         .pickup_within_s = 0};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_flags, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "--pickup-within");
	g = (struct spec_github){
	        .source = "acme", .labels = labels, .n_labels = 2, .interval_s = 30};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_flags, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "--interval");
	assert_non_null(strstr(err, "poll_interval_s"));
	g = (struct spec_github){
	        .source = "acme", .labels = labels, .n_labels = 2, .timeout_ms = 5000};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_members, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "timeout_ms");
	assert_int_equal(strncmp(err, "timeout_ms: ", 12), 0);
	/* A refused pool gets no defaults. */
	assert_false(g.has_min_online);
	/* A number given is checked even when it is -1. */
	g = (struct spec_github){.source = "acme",
	                         .labels = labels,
	                         .n_labels = 2,
	                         .has_min_online = true,
	                         .min_online = -1};
	assert_int_equal(spec_check_github_pool(&g, &spec_github_members, &field, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(field, "min_online");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sources),
	        cmocka_unit_test(test_labels),
	        cmocka_unit_test(test_numbers),
	        cmocka_unit_test(test_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
