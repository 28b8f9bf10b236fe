/* SPDX-License-Identifier: MIT */
/*
 * test_registration.c — the registration transition table
 * (policy/registration.h), pair by pair.
 *
 * The expected table is written out here again, from the header's diagram,
 * with the exact reason of every refusal: each of the nine (from, to) pairs
 * is checked, and so are values that are not statuses, the integers the
 * database stores, and the reason buffer (left alone on success, NULL
 * accepted, truncated safely).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/registration.h"

enum { P = REGISTRATION_PENDING, A = REGISTRATION_APPROVED, R = REGISTRATION_RETIRED };

static const struct pair {
	int from, to;
	int want;
	const char *why; /* the reason, for a refusal */
} pairs[] = {
        {P, P, REGISTRATION_SAME, NULL},
        {P, A, REGISTRATION_CHANGE, NULL},
        {P, R, REGISTRATION_CHANGE, NULL},
        {A, P, RW_ECONFLICT, "runner rv-1 is approved; an approved runner can only be retired"},
        {A, A, REGISTRATION_SAME, NULL},
        {A, R, REGISTRATION_CHANGE, NULL},
        {R, P, RW_ECONFLICT,
         "runner rv-1 is retired; a retired runner stays retired (register a new one)"},
        {R, A, RW_ECONFLICT,
         "runner rv-1 is retired; a retired runner stays retired (register a new one)"},
        {R, R, RW_ECONFLICT,
         "runner rv-1 is retired; a retired runner stays retired (register a new one)"},
};

/* The database stores these integers: they are the schema, never renumbered. */
static void test_stored_values(void **state)
{
	(void)state;
	assert_int_equal(REGISTRATION_PENDING, 0);
	assert_int_equal(REGISTRATION_APPROVED, 1);
	assert_int_equal(REGISTRATION_RETIRED, 2);
	assert_int_equal(REGISTRATION_NSTATUS, 3);
	assert_string_equal(registration_status_name(REGISTRATION_PENDING), "pending");
	assert_string_equal(registration_status_name(REGISTRATION_APPROVED), "approved");
	assert_string_equal(registration_status_name(REGISTRATION_RETIRED), "retired");
	assert_string_equal(registration_status_name(-1), "unknown");
	assert_string_equal(registration_status_name(3), "unknown");
}

/* Every pair of statuses: the decision, and the reason exactly when refused. */
static void test_every_pair(void **state)
{
	int seen[REGISTRATION_NSTATUS][REGISTRATION_NSTATUS] = {{0}};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct pair *p = &pairs[i];
		char why[200];
		int rc;

		memset(why, 'x', sizeof(why) - 1);
		why[sizeof(why) - 1] = '\0';
		rc = registration_check("rv-1", p->from, p->to, why, sizeof(why));
		seen[p->from][p->to]++;
		if (rc != p->want) {
			print_error("%s -> %s: %d, want %d\n", registration_status_name(p->from),
			            registration_status_name(p->to), rc, p->want);
			bad++;
			continue;
		}
		if (p->why && strcmp(why, p->why) != 0) {
			print_error("%s -> %s: reason \"%s\", want \"%s\"\n",
			            registration_status_name(p->from),
			            registration_status_name(p->to), why, p->why);
			bad++;
		}
		if (!p->why && strspn(why, "x") != sizeof(why) - 1) {
			print_error("%s -> %s: allowed, but the reason was written\n",
			            registration_status_name(p->from),
			            registration_status_name(p->to));
			bad++;
		}
		/* The decision does not depend on a reason being asked for. */
		if (registration_check("rv-1", p->from, p->to, NULL, 0) != p->want) {
			print_error("%s -> %s: another answer without a reason buffer\n",
			            registration_status_name(p->from),
			            registration_status_name(p->to));
			bad++;
		}
	}
	for (int f = 0; f < REGISTRATION_NSTATUS; f++)
		for (int t = 0; t < REGISTRATION_NSTATUS; t++)
			if (seen[f][t] != 1) {
				print_error("pair %d -> %d checked %d times\n", f, t, seen[f][t]);
				bad++;
			}
	assert_int_equal(bad, 0);
}

/* A retired runner refuses everything: the state is final. */
static void test_retired_is_final(void **state)
{
	(void)state;
	for (int to = 0; to < REGISTRATION_NSTATUS; to++)
		assert_int_equal(registration_check("x", R, to, NULL, 0), RW_ECONFLICT);
	/* And nothing leads back to pending once approved. */
	assert_int_equal(registration_check("x", A, P, NULL, 0), RW_ECONFLICT);
}

static void test_not_a_status(void **state)
{
	static const int bad[] = {-1, 3, 7, INT_MIN, INT_MAX};
	char why[120];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(registration_check("rv-1", bad[i], A, NULL, 0), RW_EINVAL);
		assert_int_equal(registration_check("rv-1", P, bad[i], NULL, 0), RW_EINVAL);
		assert_int_equal(registration_check("rv-1", bad[i], bad[i], NULL, 0), RW_EINVAL);
	}
	assert_int_equal(registration_check("rv-1", A, 7, why, sizeof(why)), RW_EINVAL);
	assert_string_equal(why, "runner rv-1: 7 is not a registration status");
	assert_int_equal(registration_check("rv-1", -1, A, why, sizeof(why)), RW_EINVAL);
	assert_string_equal(why, "runner rv-1: -1 is not a registration status");
}

/* A short buffer gets a terminated prefix; a NULL name is still a sentence. */
static void test_reason_buffer(void **state)
{
	char why[16];

	(void)state;
	memset(why, 'x', sizeof(why));
	assert_int_equal(registration_check("rv-1", R, A, why, sizeof(why)), RW_ECONFLICT);
	assert_string_equal(why, "runner rv-1 is ");
	assert_int_equal(registration_check("rv-1", R, A, why, 0), RW_ECONFLICT);
	{
		char full[200];
		assert_int_equal(registration_check(NULL, A, P, full, sizeof(full)), RW_ECONFLICT);
		assert_string_equal(full,
		                    "runner ? is approved; an approved runner can only be retired");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stored_values),    cmocka_unit_test(test_every_pair),
	        cmocka_unit_test(test_retired_is_final), cmocka_unit_test(test_not_a_status),
	        cmocka_unit_test(test_reason_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
