/* SPDX-License-Identifier: MIT */
/*
 * test_pickup.c — policy/pickup.h: table cases for the rule (out-of-order
 * knowledge, cancellation, another job's start, labels), and randomized job
 * sets checked against a brute-force oracle that applies pickup.h's
 * definition literally at every millisecond of a small time domain: the
 * verdict, since when (the oracle walks back while the pool fails), and that
 * nothing can start failing before pickup_next_deadline().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy/pickup.h"

static const char *const L_RV[] = {"self-hosted", "riscv64"};
static const char *const L_RV_BIG[] = {"self-hosted", "riscv64", "big"};
static const char *const L_X86[] = {"self-hosted", "x64"};
static const char *const POOL[] = {"riscv64", "self-hosted"};

#define J(id_, lab, q, s, c)                                                                       \
	{                                                                                          \
		.id = (id_), .labels = (lab), .n_labels = sizeof(lab) / sizeof((lab)[0]),          \
		.queued_ms = (q), .started_ms = (s), .completed_ms = (c)                           \
	}

static void test_labels(void **state)
{
	struct pickup_job a = J(1, L_RV, 1, 0, 0), b = J(2, L_RV_BIG, 1, 0, 0),
	                  c = J(3, L_X86, 1, 0, 0);
	(void)state;
	assert_true(pickup_matches(&a, POOL, 2));
	assert_true(pickup_matches(&b, POOL, 2)); /* more labels than the pool's: fine */
	assert_false(pickup_matches(&c, POOL, 2));
	assert_true(pickup_matches(&c, POOL, 0)); /* no labels: every job */
}

/* A job's repository against a pool's source: an owner's every repository,
 * or one repository; names without case. */
static void test_source(void **state)
{
	static const struct {
		const char *repo, *source;
		bool want;
	} cases[] = {
	        {"acme/rust", "acme", true},
	        {"ACME/Rust", "acme", true},
	        {"acme/rust", "AcMe", true},
	        {"acme/rust", "acme/rust", true},
	        {"acme/rust", "ACME/RUST", true},
	        {"acme/rust", "acme/rus", false},
	        {"acme/rust", "acme/rust2", false},
	        {"acme/rust2", "acme/rust", false},
	        {"acme2/rust", "acme", false}, /* a longer owner */
	        {"acm/rust", "acme", false},   /* a shorter one */
	        {"acme", "acme", false},       /* not OWNER/REPO */
	        {"other/acme", "acme", false},
	        {"acme/rust", "", false},
	        {NULL, "acme", false},
	        {"acme/rust", NULL, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pickup_source_matches(cases[i].repo, cases[i].source) != cases[i].want)
			fail_msg("case %zu: %s of %s: want %d", i,
			         cases[i].repo ? cases[i].repo : "(null)",
			         cases[i].source ? cases[i].source : "(null)", cases[i].want);
}

static void test_rule(void **state)
{
	int64_t since = 0, id = 0;
	(void)state;
	/* Queued at 100, W = 50: fails from 150 while it waits. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 0, 0)};
		assert_false(pickup_check(v, 1, POOL, 2, 50, 149, &since, &id));
		assert_true(pickup_check(v, 1, POOL, 2, 50, 150, &since, &id));
		assert_int_equal(since, 150);
		assert_int_equal(id, 1);
		assert_int_equal(pickup_next_deadline(v, 1, POOL, 2, 50, 149), 150);
		assert_int_equal(pickup_next_deadline(v, 1, POOL, 2, 50, 150), INT64_MAX);
	}
	/* It started at 170: failing in [150, 170), fine from 170. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 170, 0)};
		assert_true(pickup_check(v, 1, POOL, 2, 50, 169, NULL, NULL));
		assert_false(pickup_check(v, 1, POOL, 2, 50, 170, NULL, NULL));
	}
	/* Started before its deadline: never fails. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 120, 0)};
		assert_false(pickup_check(v, 1, POOL, 2, 50, 1000, NULL, NULL));
	}
	/* Cancelled at 160 without a runner: it no longer waits. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 0, 160)};
		assert_true(pickup_check(v, 1, POOL, 2, 50, 159, NULL, NULL));
		assert_false(pickup_check(v, 1, POOL, 2, 50, 160, NULL, NULL));
	}
	/* Another matching job starts after the deadline: the outage is over
	 * though job 1 still waits; a non-matching start does not count. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 0, 0), J(2, L_RV_BIG, 140, 180, 0),
		                         J(3, L_X86, 90, 160, 0)};
		assert_true(pickup_check(v, 3, POOL, 2, 50, 179, &since, &id));
		assert_int_equal(since, 150);
		assert_false(pickup_check(v, 3, POOL, 2, 50, 180, NULL, NULL));
	}
	/* A job whose start came before its queueing was delivered (out of
	 * order) is known started: it never fails. One never seen queued
	 * cannot fail either. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 110, 0), J(2, L_RV, 0, 0, 0)};
		assert_false(pickup_check(v, 2, POOL, 2, 50, 1000, NULL, NULL));
		assert_int_equal(pickup_next_deadline(v, 2, POOL, 2, 50, 120), INT64_MAX);
	}
	/* Two waiting jobs: since is the earlier deadline; once a job starts
	 * after the first deadline but before the second, the second opens a
	 * new outage at its own deadline. */
	{
		struct pickup_job v[] = {J(1, L_RV, 100, 0, 0), J(2, L_RV, 200, 0, 0),
		                         J(3, L_RV, 120, 210, 0)};
		assert_true(pickup_check(v, 3, POOL, 2, 50, 209, &since, NULL));
		assert_int_equal(since, 150);
		assert_false(pickup_check(v, 3, POOL, 2, 50, 249, NULL, NULL));
		assert_true(pickup_check(v, 3, POOL, 2, 50, 250, &since, &id));
		assert_int_equal(since, 250);
		assert_int_equal(id, 2);
	}
}

static void test_stats(void **state)
{
	struct pickup_stats st;
	/* W = 60 s; period [1000, 10000). */
	struct pickup_job v[] = {
	        J(1, L_RV, 1000, 1010, 2000),  /* wait 10 */
	        J(2, L_RV, 2000, 2100, 0),     /* wait 100 (> W = 60) */
	        J(3, L_RV, 3000, 0, 3500),     /* cancelled: wait 500 */
	        J(4, L_RV, 9000, 0, 0),        /* waiting at the end: 1000 */
	        J(5, L_X86, 4000, 4001, 0),    /* not the pool's */
	        J(6, L_RV, 500, 600, 0),       /* before the period */
	        J(7, L_RV, 10000, 10001, 0),   /* after it */
	        J(8, L_RV_BIG, 5000, 5030, 0), /* wait 30 */
	};
	(void)state;
	assert_int_equal(pickup_stats(v, 8, POOL, 2, 60, 1000, 10000, &st), 0);
	assert_int_equal(st.queued, 5);
	assert_int_equal(st.started_in_time, 2);
	assert_int_equal(st.waited, 5);
	/* Waits sorted: 10, 30, 100, 500, 1000. */
	assert_int_equal(st.wait_p50_ms, 100);
	assert_int_equal(st.wait_p95_ms, 1000);
	assert_int_equal(st.wait_max_ms, 1000);
	assert_int_equal(pickup_stats(v, 8, POOL, 2, 60, 20000, 30000, &st), 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.wait_p50_ms, -1);
}

/* ---- randomized, against the definition ------------------------------------ */

#define DOMAIN 400

static uint64_t seed = 7;
static int64_t rnd(int64_t n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (int64_t)((seed >> 33) % (uint64_t)n);
}

/* pickup.h's rule, read literally. */
static bool oracle(const struct pickup_job *v, size_t n, int64_t w, int64_t t)
{
	for (size_t i = 0; i < n; i++) {
		int64_t d = v[i].queued_ms + w;
		bool ok = true;
		if (v[i].queued_ms <= 0 || d > t || !pickup_matches(&v[i], POOL, 2))
			continue;
		if ((v[i].started_ms && v[i].started_ms <= t) ||
		    (v[i].completed_ms && v[i].completed_ms <= t))
			continue;
		for (size_t k = 0; k < n && ok; k++)
			if (pickup_matches(&v[k], POOL, 2) && v[k].started_ms > d &&
			    v[k].started_ms <= t)
				ok = false;
		if (ok)
			return true;
	}
	return false;
}

static void test_random(void **state)
{
	static const char *const *const sets[] = {L_RV, L_RV_BIG, L_X86};
	static const size_t lens[] = {2, 3, 2};
	(void)state;
	for (int round = 0; round < 300; round++) {
		struct pickup_job v[8];
		size_t n = 1 + (size_t)rnd(8);
		int64_t w = 1 + rnd(60);
		for (size_t i = 0; i < n; i++) {
			size_t s = (size_t)rnd(3);
			int64_t q = rnd(5) ? 1 + rnd(DOMAIN / 2) : 0;
			v[i] = (struct pickup_job){.id = (int64_t)i + 1,
			                           .labels = sets[s],
			                           .n_labels = lens[s],
			                           .queued_ms = q};
			if (rnd(2))
				v[i].started_ms = (q ? q : 1) + rnd(DOMAIN / 2);
			if (rnd(3) == 0)
				v[i].completed_ms = (v[i].started_ms ? v[i].started_ms
				                     : q             ? q
				                                     : 1) +
				                    rnd(50);
		}
		for (int64_t t = 1; t < DOMAIN; t++) {
			int64_t since = -1, next;
			bool got = pickup_check(v, n, POOL, 2, w, t, &since, NULL);
			assert_int_equal(got, oracle(v, n, w, t));
			if (got) {
				/* Failing on all of [since, t], and not just before
				 * since: since is where this outage began. */
				for (int64_t u = since; u <= t; u++)
					assert_true(oracle(v, n, w, u));
				if (since > 1) {
					int64_t dummy;
					bool before = pickup_check(v, n, POOL, 2, w, since - 1,
					                           &dummy, NULL);
					if (before)
						/* It could only be failing just before if
						 * another outage ended exactly at since. */
						assert_true(dummy < since);
				}
				continue;
			}
			/* Not failing: it cannot start failing before the next
			 * deadline (nor at all when there is none); starts and
			 * completions only ever end an outage. */
			next = pickup_next_deadline(v, n, POOL, 2, w, t);
			for (int64_t u = t + 1; u < DOMAIN && u < next; u++)
				assert_false(oracle(v, n, w, u));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_labels), cmocka_unit_test(test_source),
	        cmocka_unit_test(test_rule),   cmocka_unit_test(test_stats),
	        cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
