/* SPDX-License-Identifier: MIT */
/*
 * test_quorum.c — policy/quorum.h: table cases for the rule (one vantage
 * point is its own history; a failure only one vantage point sees under
 * Q = 2 stays up; both seeing it makes it down from the second one's
 * confirmation, backdated as stored; a stopped or blind vantage point holds
 * nothing; Q above the number of vantage points never calls it down), the
 * refusals, and randomized histories checked against a brute-force oracle
 * that applies quorum.h's definition at every millisecond of a small time
 * domain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/quorum.h"

#define U    RW_STATE_UNKNOWN
#define P    RW_STATE_UP
#define D    RW_STATE_DOWN
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define LIVE INT64_MAX

static void expect(const struct quorum_vantage *vs, size_t n_vs, unsigned q,
                   const struct rw_interval *want, size_t n_want)
{
	struct rw_interval *got = NULL;
	size_t n = 99;

	assert_int_equal(quorum_combine(vs, n_vs, q, &got, &n), 0);
	if (n != n_want)
		fail_msg("%zu intervals, want %zu", n, n_want);
	for (size_t i = 0; i < n; i++) {
		if (got[i].start_ms != want[i].start_ms || got[i].state != want[i].state)
			fail_msg("interval %zu: %s at %lld, want %s at %lld", i,
			         rw_state_name(got[i].state), (long long)got[i].start_ms,
			         rw_state_name(want[i].state), (long long)want[i].start_ms);
	}
	free(got);
}

static void test_rule(void **state)
{
	(void)state;
	assert_int_equal(quorum_state(0, 0, 1), U);
	assert_int_equal(quorum_state(1, 0, 1), P);
	assert_int_equal(quorum_state(0, 1, 1), D);
	assert_int_equal(quorum_state(1, 1, 1), D);
	assert_int_equal(quorum_state(1, 1, 2), P);
	assert_int_equal(quorum_state(0, 1, 2), U); /* one down, none up, Q = 2 */
	assert_int_equal(quorum_state(0, 2, 2), D);
	assert_int_equal(quorum_state(3, 2, 2), D);
}

/* One vantage point, Q = 1: its own history, neighbours merged. */
static void test_one_vantage_is_itself(void **state)
{
	const struct rw_interval a[] = {{100, U}, {200, P}, {300, D}, {350, D}, {400, P}};
	const struct quorum_vantage vs[] = {{a, N(a), LIVE}};
	const struct rw_interval want[] = {{100, U}, {200, P}, {300, D}, {400, P}};
	(void)state;
	expect(vs, 1, 1, want, N(want));
}

/* Q = 2: a runner that fails only for vantage a stays up; one that fails for
 * both is down from b's confirmation (its backdated start) until either sees
 * it up again. */
static void test_two_vantages_quorum_two(void **state)
{
	const struct rw_interval a[] = {{0, U}, {10, P}, {100, D}, {500, P}};
	const struct rw_interval b[] = {{0, U}, {12, P}, {300, D}, {400, P}};
	const struct quorum_vantage vs[] = {{a, N(a), LIVE}, {b, N(b), LIVE}};
	const struct rw_interval want[] = {{0, U}, {10, P}, {300, D}, {400, P}};
	const struct rw_interval b_up[] = {{0, U}, {12, P}};
	const struct quorum_vantage only_a[] = {{a, N(a), LIVE}, {b_up, N(b_up), LIVE}};
	const struct rw_interval want_up[] = {{0, U}, {10, P}};
	(void)state;
	expect(vs, 2, 2, want, N(want));
	expect(only_a, 2, 2, want_up, N(want_up));
	/* Q = 1: either one's down is down. */
	const struct rw_interval want1[] = {{0, U}, {10, P}, {100, D}, {500, P}};
	expect(vs, 2, 1, want1, N(want1));
}

/* A vantage point that stopped holds nothing from its last tick; one that is
 * blind (UNKNOWN) holds nothing while it is. Neither makes a down. */
static void test_stopped_and_blind_hold_nothing(void **state)
{
	const struct rw_interval a[] = {{0, P}, {100, D}};
	const struct rw_interval b[] = {{0, P}, {100, D}, {150, U}, {250, D}};
	const struct quorum_vantage vs[] = {{a, N(a), 200}, {b, N(b), LIVE}};
	/* [100,150) both down; [150,200) a down, b blind; from 200 a stopped. */
	const struct rw_interval want[] = {{0, P}, {100, D}, {150, U}};
	(void)state;
	expect(vs, 2, 2, want, N(want));
	/* Q = 1: b alone is enough from 250 on; a's stop at 200 leaves b blind. */
	const struct rw_interval want1[] = {{0, P}, {100, D}, {200, U}, {250, D}};
	expect(vs, 2, 1, want1, N(want1));
}

static void test_quorum_above_vantages_never_down(void **state)
{
	const struct rw_interval a[] = {{0, D}};
	const struct rw_interval b[] = {{5, D}};
	const struct quorum_vantage vs[] = {{a, N(a), LIVE}, {b, N(b), LIVE}};
	const struct rw_interval want[] = {{0, U}};
	(void)state;
	expect(vs, 2, 3, want, N(want));
}

static void test_refusals_and_empty(void **state)
{
	const struct rw_interval bad[] = {{10, P}, {10, D}};
	const struct rw_interval ok[] = {{10, P}};
	const struct quorum_vantage vs_bad[] = {{bad, N(bad), LIVE}};
	const struct quorum_vantage vs_ok[] = {{ok, N(ok), LIVE}, {NULL, 0, LIVE}};
	struct rw_interval *got = (struct rw_interval *)0x1;
	size_t n = 99;
	(void)state;
	assert_int_equal(quorum_combine(vs_bad, 1, 1, &got, &n), RW_EINVAL);
	assert_null(got);
	assert_int_equal(n, 0);
	got = (struct rw_interval *)0x1;
	assert_int_equal(quorum_combine(vs_ok, 2, 0, &got, &n), RW_EINVAL);
	assert_null(got);
	assert_int_equal(quorum_combine(NULL, 0, 1, &got, &n), 0);
	assert_null(got);
	assert_int_equal(n, 0);
	assert_int_equal(quorum_combine(vs_ok + 1, 1, 1, &got, &n), 0);
	assert_null(got);
	assert_int_equal(n, 0);
	/* A vantage point stopped before its first interval holds nothing. */
	const struct quorum_vantage gone[] = {{ok, N(ok), 5}};
	assert_int_equal(quorum_combine(gone, 1, 1, &got, &n), 0);
	assert_null(got);
	assert_int_equal(n, 0);
}

/* ---- randomized against the definition ------------------------------------ */

#define DOMAIN 60
#define MAXV   4

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* quorum.h's definition, literally, at instant @p t. */
static enum rw_state oracle(const struct quorum_vantage *vs, size_t n_vs, unsigned q, int64_t t)
{
	unsigned up = 0, down = 0;

	for (size_t k = 0; k < n_vs; k++) {
		const struct rw_interval *in = NULL;
		if (t >= vs[k].until_ms)
			continue;
		for (size_t i = 0; i < vs[k].n; i++)
			if (vs[k].v[i].start_ms <= t)
				in = &vs[k].v[i];
		if (in && in->state == RW_STATE_UP)
			up++;
		else if (in && in->state == RW_STATE_DOWN)
			down++;
	}
	if (down >= q)
		return RW_STATE_DOWN;
	return up > 0 ? RW_STATE_UP : RW_STATE_UNKNOWN;
}

static void test_random_against_oracle(void **state)
{
	static const enum rw_state states[] = {U, P, D, RW_STATE_MAINTENANCE};
	(void)state;
	for (int round = 0; round < 4000; round++) {
		struct rw_interval lists[MAXV][DOMAIN];
		struct quorum_vantage vs[MAXV];
		size_t n_vs = 1 + rnd(MAXV);
		unsigned q = 1 + rnd((unsigned)n_vs + 1);
		struct rw_interval *got = NULL;
		size_t n = 0;

		for (size_t k = 0; k < n_vs; k++) {
			size_t len = 0;
			for (int64_t t = rnd(10); t < DOMAIN; t += 1 + rnd(12))
				lists[k][len++] = (struct rw_interval){t, states[rnd(N(states))]};
			vs[k].v = lists[k];
			vs[k].n = len;
			vs[k].until_ms = rnd(3) == 0 ? (int64_t)rnd(DOMAIN + 5) : LIVE;
		}
		assert_int_equal(quorum_combine(vs, n_vs, q, &got, &n), 0);
		for (size_t i = 1; i < n; i++) {
			assert_true(got[i].start_ms > got[i - 1].start_ms);
			assert_int_not_equal(got[i].state, got[i - 1].state);
		}
		for (int64_t t = -1; t < DOMAIN + 10; t++) {
			enum rw_state want = oracle(vs, n_vs, q, t), have = RW_STATE_UNKNOWN;
			for (size_t i = 0; i < n; i++)
				if (got[i].start_ms <= t)
					have = got[i].state;
			if (have != want)
				fail_msg("round %d, t %lld, %zu vantages, Q %u: %s, want %s", round,
				         (long long)t, n_vs, q, rw_state_name(have),
				         rw_state_name(want));
		}
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rule),
	        cmocka_unit_test(test_one_vantage_is_itself),
	        cmocka_unit_test(test_two_vantages_quorum_two),
	        cmocka_unit_test(test_stopped_and_blind_hold_nothing),
	        cmocka_unit_test(test_quorum_above_vantages_never_down),
	        cmocka_unit_test(test_refusals_and_empty),
	        cmocka_unit_test(test_random_against_oracle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
