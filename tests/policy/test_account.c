/* SPDX-License-Identifier: MIT */
/*
 * test_account.c — availability totals and verdicts (policy/account.h).
 *
 * Table tests for account_totals() and account_evaluate(), randomized checks
 * against a brute-force oracle (every millisecond, or every second when all
 * times are whole seconds) and a verdict oracle in exact integer rationals,
 * and calendar months of 28, 29, 30 and 31 days computed from real UTC dates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/account.h"

#define MS_PER_DAY ((int64_t)86400000)
#define HOUR       ((int64_t)3600000)
#define REAL_EPOCH ((int64_t)1700000000000)

#define UNK RW_STATE_UNKNOWN
#define UP  RW_STATE_UP
#define DWN RW_STATE_DOWN
#define MNT RW_STATE_MAINTENANCE
#define OUT RW_STATE_OUTSIDE_WINDOW
#define NRG RW_STATE_NOT_REGISTERED

static int64_t sum_totals(const struct rw_totals *t)
{
	int64_t s = 0;

	for (int i = 0; i < RW_STATE_COUNT; i++)
		s += t->ms[i];
	return s;
}

static void print_totals(const char *who, const int64_t ms[RW_STATE_COUNT])
{
	print_error("  %s: unknown %" PRId64 " up %" PRId64 " down %" PRId64 " maintenance %" PRId64
	            " outside %" PRId64 " not_registered %" PRId64 "\n",
	            who, ms[UNK], ms[UP], ms[DWN], ms[MNT], ms[OUT], ms[NRG]);
}

/* ------------------------------------------------------------------ */
/* account_totals: tables.                                             */

struct tcase {
	const char *name;
	struct rw_interval iv[8];
	size_t n;
	int64_t now, from, to;
	int64_t exp[RW_STATE_COUNT]; /* unknown, up, down, maintenance, outside, not_registered */
};

/* clang-format off */
static const struct tcase tcases[] = {
	{"empty list: all unknown", {{0}}, 0, 1000, 0, 1000, {1000, 0, 0, 0, 0}},
	{"empty list, empty period", {{0}}, 0, 1000, 500, 500, {0, 0, 0, 0, 0}},
	{"from == to: nothing, even inside an interval",
	 {{0, UP}}, 1, 100, 50, 50, {0, 0, 0, 0, 0}},
	{"from == to at a change", {{0, UP}, {50, DWN}}, 2, 100, 50, 50, {0, 0, 0, 0, 0}},
	{"one UP from before the period to now", {{-100, UP}}, 1, 1000, 0, 1000, {0, 1000, 0, 0, 0}},
	{"before the first change is unknown", {{300, UP}}, 1, 1000, 0, 1000, {300, 700, 0, 0, 0}},
	{"a change crossing the left edge",
	 {{0, UP}, {50, DWN}}, 2, 200, 25, 150, {0, 25, 100, 0, 0}},
	{"a change crossing the right edge",
	 {{0, UP}, {100, DWN}, {300, MNT}}, 3, 1000, 0, 200, {0, 100, 100, 0, 0}},
	{"after now is unknown", {{0, UP}}, 1, 60, 0, 100, {40, 60, 0, 0, 0}},
	{"now before from: all unknown", {{0, UP}}, 1, 50, 100, 200, {100, 0, 0, 0, 0}},
	{"now == from: all unknown", {{0, UP}}, 1, 100, 100, 200, {100, 0, 0, 0, 0}},
	{"now == to: nothing unknown", {{0, UP}}, 1, 200, 100, 200, {0, 100, 0, 0, 0}},
	{"now after to: the period is covered", {{0, DWN}}, 1, 900, 100, 200, {0, 0, 100, 0, 0}},
	{"a change after now counts nothing",
	 {{0, UP}, {150, DWN}}, 2, 100, 0, 200, {100, 100, 0, 0, 0}},
	{"ties at the same start: the last wins",
	 {{10, UP}, {10, DWN}, {30, MNT}}, 3, 50, 0, 50, {10, 0, 20, 20, 0}},
	{"a three-way tie at the period's start",
	 {{0, UP}, {0, DWN}, {0, OUT}}, 3, 100, 0, 100, {0, 0, 0, 0, 100}},
	{"a tie at the period's end",
	 {{0, UP}, {100, DWN}, {100, MNT}}, 3, 200, 0, 100, {0, 100, 0, 0, 0}},
	{"a tie before the period",
	 {{-50, DWN}, {-50, UP}}, 2, 200, 0, 100, {0, 100, 0, 0, 0}},
	{"a tie at now",
	 {{0, UP}, {100, DWN}, {100, OUT}}, 3, 100, 0, 200, {100, 100, 0, 0, 0}},
	{"all five states",
	 {{0, UNK}, {10, UP}, {30, DWN}, {60, MNT}, {100, OUT}, {150, UP}}, 6, 200, 0, 200,
	 {10, 70, 30, 40, 50}},
	{"changes all before the period: the last one holds",
	 {{0, UP}, {10, DWN}}, 2, 1000, 500, 600, {0, 0, 100, 0, 0}},
	{"changes all after the period", {{500, UP}}, 1, 1000, 0, 100, {100, 0, 0, 0, 0}},
	{"a change exactly at from", {{0, DWN}, {100, UP}}, 2, 300, 100, 200, {0, 100, 0, 0, 0}},
	{"a change exactly at to", {{0, DWN}, {200, UP}}, 2, 300, 100, 200, {0, 0, 100, 0, 0}},
	{"a stored UNKNOWN interval is unknown",
	 {{0, UNK}, {50, UP}}, 2, 100, 0, 100, {50, 50, 0, 0, 0}},
	{"a zero-length interval counts nothing",
	 {{0, UP}, {40, DWN}, {40, UP}, {60, DWN}}, 4, 100, 0, 100, {0, 60, 40, 0, 0}},
	{"real UTC milliseconds",
	 {{REAL_EPOCH - 5000, UP}, {REAL_EPOCH + 1500, DWN}, {REAL_EPOCH + 2500, UP}}, 3,
	 REAL_EPOCH + 9000, REAL_EPOCH, REAL_EPOCH + 10000, {1000, 8000, 1000, 0, 0}},
};
/* clang-format on */

static void test_totals_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *c = &tcases[i];
		struct rw_totals t;

		memset(&t, 0x5a, sizeof(t));
		account_totals(c->iv, c->n, c->now, c->from, c->to, &t);
		if (memcmp(t.ms, c->exp, sizeof(t.ms)) != 0) {
			print_totals("got     ", t.ms);
			print_totals("expected", c->exp);
			fail_msg("account_totals: %s", c->name);
		}
		assert_int_equal(sum_totals(&t), c->to - c->from);
	}
}

/* ------------------------------------------------------------------ */
/* account_evaluate: tables.                                           */

struct ecase {
	const char *name;
	int64_t ms[RW_STATE_COUNT]; /* unknown, up, down, maintenance, outside, not_registered */
	uint32_t floor_ppm, min_coverage_ppm;
	enum rw_verdict verdict;
	int has_uptime;
	double uptime;
	int has_coverage;
	double coverage;
};

/* clang-format off */
static const struct ecase ecases[] = {
	{"exactly at the floor: 99 up, 1 down, floor 0.99", {0, 99, 1, 0, 0}, 990000, 900000,
	 RW_VERDICT_PASS, 1, 0.99, 1, 1.0},
	{"just below the floor: 98 up, 2 down", {0, 98, 2, 0, 0}, 990000, 900000,
	 RW_VERDICT_FAIL, 1, 0.98, 1, 1.0},
	{"1 ppm below the floor", {0, 989999, 10001, 0, 0}, 990000, 900000,
	 RW_VERDICT_FAIL, 1, 0.989999, 1, 1.0},
	{"at the floor, in ppm", {0, 990000, 10000, 0, 0}, 990000, 900000,
	 RW_VERDICT_PASS, 1, 0.99, 1, 1.0},
	{"1 ppm above the floor", {0, 990001, 9999, 0, 0}, 990000, 900000,
	 RW_VERDICT_PASS, 1, 0.990001, 1, 1.0},
	{"best case exactly at the floor is not FAIL", {10, 980, 10, 0, 0}, 990000, 900000,
	 RW_VERDICT_INDETERMINATE, 1, 980.0 / 990.0, 1, 0.99},
	{"best case 1 ms short of the floor is FAIL", {10, 979, 11, 0, 0}, 990000, 900000,
	 RW_VERDICT_FAIL, 1, 979.0 / 990.0, 1, 0.99},
	{"worst case exactly at the floor is PASS", {1, 99, 0, 0, 0}, 990000, 1000000,
	 RW_VERDICT_PASS, 1, 1.0, 1, 0.99},
	{"worst case below the floor, coverage short", {2, 98, 0, 0, 0}, 990000, 1000000,
	 RW_VERDICT_INDETERMINATE, 1, 1.0, 1, 0.98},
	{"coverage exactly at min_coverage and uptime exactly at the floor",
	 {250, 990, 10, 0, 0}, 990000, 800000,
	 RW_VERDICT_PASS, 1, 0.99, 1, 0.8},
	{"coverage 1 ppm short of min_coverage", {250, 990, 10, 0, 0}, 990000, 800001,
	 RW_VERDICT_INDETERMINATE, 1, 0.99, 1, 0.8},
	{"coverage at min_coverage, uptime 1 ms short", {250, 989, 11, 0, 0}, 990000, 800000,
	 RW_VERDICT_INDETERMINATE, 1, 0.989, 1, 0.8},
	{"no service time: all maintenance or outside the window", {0, 0, 0, 500, 500}, 990000,
	 900000, RW_VERDICT_PASS, 0, 0, 0, 0},
	{"empty period", {0, 0, 0, 0, 0}, 990000, 900000,
	 RW_VERDICT_PASS, 0, 0, 0, 0},
	{"all unknown", {100, 0, 0, 0, 0}, 990000, 900000,
	 RW_VERDICT_INDETERMINATE, 0, 0, 1, 0.0},
	{"all unknown, floor 0", {100, 0, 0, 0, 0}, 0, 900000,
	 RW_VERDICT_PASS, 0, 0, 1, 0.0},
	{"all unknown, min_coverage 0: no uptime, no PASS by coverage", {100, 0, 0, 0, 0}, 990000,
	 0, RW_VERDICT_INDETERMINATE, 0, 0, 1, 0.0},
	{"floor 0: even all down passes", {0, 0, 100, 0, 0}, 0, 900000,
	 RW_VERDICT_PASS, 1, 0.0, 1, 1.0},
	{"floor 1: one ms down fails", {0, 999999, 1, 0, 0}, 1000000, 0,
	 RW_VERDICT_FAIL, 1, 0.999999, 1, 1.0},
	{"floor 1: all up passes", {0, 100, 0, 0, 0}, 1000000, 1000000,
	 RW_VERDICT_PASS, 1, 1.0, 1, 1.0},
	{"floor 1, some unknown, min_coverage 0: PASS by coverage", {1, 99, 0, 0, 0}, 1000000, 0,
	 RW_VERDICT_PASS, 1, 1.0, 1, 0.99},
	{"floor 1, some unknown, min_coverage 1", {1, 99, 0, 0, 0}, 1000000, 1000000,
	 RW_VERDICT_INDETERMINATE, 1, 1.0, 1, 0.99},
	{"maintenance and outside the window are not service time", {0, 99, 1, 1000, 1000},
	 990000, 900000, RW_VERDICT_PASS, 1, 0.99, 1, 1.0},
	{"maintenance does not excuse down time", {0, 98, 2, 1000000, 1000000}, 990000, 900000,
	 RW_VERDICT_FAIL, 1, 0.98, 1, 1.0},
	{"coverage excludes maintenance and outside", {10, 90, 0, 50, 50}, 990000, 900000,
	 RW_VERDICT_PASS, 1, 1.0, 1, 0.9},
	{"coverage excludes maintenance and outside, 1 ppm short", {10, 90, 0, 50, 50}, 990000,
	 900001, RW_VERDICT_INDETERMINATE, 1, 1.0, 1, 0.9},
	/* Registered 10 of 30 days (the issue: before registration counted as
	 * unknown made every new runner INDETERMINATE). */
	{"registered a third of the period, all up: PASS, full coverage",
	 {0, 864000000, 0, 0, 0, 1728000000}, 990000, 900000, RW_VERDICT_PASS, 1, 1.0, 1, 1.0},
	{"the same time counted unknown instead: INDETERMINATE",
	 {1728000000, 864000000, 0, 0, 0, 0}, 990000, 900000, RW_VERDICT_INDETERMINATE, 1, 1.0, 1,
	 1.0 / 3.0},
	{"not registered does not excuse down time", {0, 98, 2, 0, 0, 100000}, 990000, 900000,
	 RW_VERDICT_FAIL, 1, 0.98, 1, 1.0},
	{"coverage excludes not registered", {10, 90, 0, 0, 0, 900}, 990000, 900000,
	 RW_VERDICT_PASS, 1, 1.0, 1, 0.9},
	{"coverage excludes not registered, 1 ppm short", {10, 90, 0, 0, 0, 900}, 990000, 900001,
	 RW_VERDICT_INDETERMINATE, 1, 1.0, 1, 0.9},
	{"never registered in the period: nothing owed", {0, 0, 0, 0, 0, 1000}, 990000, 900000,
	 RW_VERDICT_PASS, 0, 0, 0, 0},
	/* 366 days: 1 ms decides, and a double could not tell (up / service
	 * rounds to exactly 0.999999). */
	{"366 days, 1 part in 3e16 below the floor", {0, 31621968377, 31622, 0, 0}, 999999, 900000,
	 RW_VERDICT_FAIL, 1, 31621968377.0 / 31621999999.0, 1, 1.0},
	{"366 days, at the floor", {0, 31621968378, 31621, 0, 0}, 999999, 900000,
	 RW_VERDICT_PASS, 1, 31621968378.0 / 31621999999.0, 1, 1.0},
	{"31 days, exactly 1% down", {0, 2651616000, 26784000, 0, 0}, 990000, 900000,
	 RW_VERDICT_PASS, 1, 0.99, 1, 1.0},
	{"31 days, 1% down and 1 ms", {0, 2651615999, 26784001, 0, 0}, 990000, 900000,
	 RW_VERDICT_FAIL, 1, 2651615999.0 / 2678400000.0, 1, 1.0},
};
/* clang-format on */

static void test_evaluate_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		const struct ecase *c = &ecases[i];
		struct rw_totals t;
		struct rw_availability a;

		memcpy(t.ms, c->ms, sizeof(t.ms));
		memset(&a, 0x5a, sizeof(a));
		account_evaluate(&t, c->floor_ppm, c->min_coverage_ppm, &a);
		if (a.verdict != c->verdict)
			fail_msg("%s: verdict %s, expected %s", c->name, rw_verdict_name(a.verdict),
			         rw_verdict_name(c->verdict));
		if (a.has_uptime != c->has_uptime || a.has_coverage != c->has_coverage)
			fail_msg("%s: has_uptime %d has_coverage %d, expected %d %d", c->name,
			         a.has_uptime, a.has_coverage, c->has_uptime, c->has_coverage);
		if (c->has_uptime && (a.uptime < c->uptime - 1e-12 || a.uptime > c->uptime + 1e-12))
			fail_msg("%s: uptime %.15g, expected %.15g", c->name, a.uptime, c->uptime);
		if (c->has_coverage &&
		    (a.coverage < c->coverage - 1e-12 || a.coverage > c->coverage + 1e-12))
			fail_msg("%s: coverage %.15g, expected %.15g", c->name, a.coverage,
			         c->coverage);
		assert_int_equal(a.floor_ppm, c->floor_ppm);
		assert_memory_equal(a.totals.ms, c->ms, sizeof(c->ms));
	}
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(rw_verdict_name(RW_VERDICT_PASS), "PASS");
	assert_string_equal(rw_verdict_name(RW_VERDICT_FAIL), "FAIL");
	assert_string_equal(rw_verdict_name(RW_VERDICT_INDETERMINATE), "INDETERMINATE");
}

/* ------------------------------------------------------------------ */
/* Oracles.                                                            */

/* The state of millisecond (or second) x by the rules of account.h, found by
 * scanning every change: the last change starting at or before x, unless x
 * is at or after now; UNKNOWN if there is none. */
static enum rw_state brute_state(const struct rw_interval *iv, size_t n, int64_t now, int64_t x)
{
	enum rw_state s = RW_STATE_UNKNOWN;

	if (x >= now)
		return RW_STATE_UNKNOWN;
	for (size_t i = 0; i < n; i++)
		if (iv[i].start_ms <= x)
			s = iv[i].state;
	return s;
}

/* Exact comparison of non-negative rationals a/b >= c/d (b, d > 0). */
static bool rat_ge(int64_t a, int64_t b, int64_t c, int64_t d)
{
	int64_t l, r;

	assert_true(a >= 0 && b > 0 && c >= 0 && d > 0);
	assert_false(__builtin_mul_overflow(a, d, &l));
	assert_false(__builtin_mul_overflow(c, b, &r));
	return l >= r;
}

/*
 * The verdict of DESIGN.md, from the totals and the period's length W:
 * service = W - maintenance - outside_window - not_registered; FAIL if
 * counting unknown as up
 * the uptime is below the floor; PASS if counting unknown as down it is at or
 * above the floor, or if coverage >= min_coverage and uptime >= floor;
 * otherwise INDETERMINATE; no service time at all is PASS.
 */
static enum rw_verdict oracle_verdict(const int64_t ms[RW_STATE_COUNT], int64_t w,
                                      uint32_t floor_ppm, uint32_t mincov_ppm)
{
	int64_t up = ms[UP], down = ms[DWN], unk = ms[UNK];
	int64_t service = w - ms[MNT] - ms[OUT] - ms[NRG];

	if (service == 0)
		return RW_VERDICT_PASS;
	if (!rat_ge(up + unk, up + unk + down, floor_ppm, 1000000))
		return RW_VERDICT_FAIL;
	if (rat_ge(up, up + unk + down, floor_ppm, 1000000))
		return RW_VERDICT_PASS;
	if (up + down > 0 && rat_ge(up + down, service, mincov_ppm, 1000000) &&
	    rat_ge(up, up + down, floor_ppm, 1000000))
		return RW_VERDICT_PASS;
	return RW_VERDICT_INDETERMINATE;
}

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int64_t rng_below(uint64_t *x, int64_t n)
{
	return (int64_t)(rng_next(x) % (uint64_t)n);
}

static int cmp_start(const void *a, const void *b)
{
	const struct rw_interval *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* A ppm value near the boundaries of these totals, or an ordinary one. */
static uint32_t pick_ppm(uint64_t *x, int64_t num, int64_t den)
{
	static const uint32_t common[] = {0, 1, 500000, 900000, 990000, 999000, 999999, 1000000};
	int64_t r = rng_below(x, 10);

	if (den > 0 && r < 4) {
		int64_t p = num * 1000000 / den + rng_below(x, 3) - 1; /* floor - 1 .. floor + 1 */
		if (p < 0)
			p = 0;
		if (p > 1000000)
			p = 1000000;
		return (uint32_t)p;
	}
	if (r < 8)
		return common[rng_below(x, sizeof(common) / sizeof(common[0]))];
	return (uint32_t)rng_below(x, 1000001);
}

/* Evaluates totals with boundary-seeking floors; compares with the oracle. */
static void check_verdicts(uint64_t *x, const int64_t ms[RW_STATE_COUNT], int64_t w, uint64_t seed)
{
	struct rw_totals t;
	int64_t up = ms[UP], down = ms[DWN], unk = ms[UNK];
	int64_t service = w - ms[MNT] - ms[OUT] - ms[NRG];

	memcpy(t.ms, ms, sizeof(t.ms));
	for (int k = 0; k < 6; k++) {
		struct rw_availability a;
		uint32_t floor_ppm, mincov_ppm;
		enum rw_verdict v;

		switch (k % 3) {
		case 0: floor_ppm = pick_ppm(x, up, up + down); break;
		case 1: floor_ppm = pick_ppm(x, up + unk, service); break;
		default: floor_ppm = pick_ppm(x, up, service); break;
		}
		mincov_ppm = pick_ppm(x, up + down, service);
		account_evaluate(&t, floor_ppm, mincov_ppm, &a);
		v = oracle_verdict(ms, w, floor_ppm, mincov_ppm);
		if (a.verdict != v) {
			print_totals("totals", ms);
			fail_msg("seed %" PRIu64
			         ": floor %u min_coverage %u: verdict %s, oracle %s",
			         seed, floor_ppm, mincov_ppm, rw_verdict_name(a.verdict),
			         rw_verdict_name(v));
		}
		assert_int_equal(a.has_uptime, up + down > 0);
		assert_int_equal(a.has_coverage, service > 0);
		if (a.has_uptime) {
			assert_true(a.uptime >= 0.0 && a.uptime <= 1.0);
			assert_true(a.uptime == (double)up / (double)(up + down));
		}
		if (a.has_coverage)
			assert_true(a.coverage >= 0.0 && a.coverage <= 1.0);
		/* The printed ratios: truncated, p/1e6 <= ratio < (p+1)/1e6. */
		if (a.has_uptime) {
			assert_true(rat_ge(up, up + down, a.uptime_ppm, 1000000));
			assert_true(a.uptime_ppm == 1000000 ||
			            !rat_ge(up, up + down, a.uptime_ppm + 1, 1000000));
		} else {
			assert_int_equal(a.uptime_ppm, 0);
		}
		if (a.has_coverage) {
			assert_true(rat_ge(up + down, service, a.coverage_ppm, 1000000));
			assert_true(a.coverage_ppm == 1000000 ||
			            !rat_ge(up + down, service, a.coverage_ppm + 1, 1000000));
		} else {
			assert_int_equal(a.coverage_ppm, 0);
		}
		assert_int_equal(a.floor_ppm, floor_ppm);
	}
}

/* ------------------------------------------------------------------ */
/* Randomized, millisecond by millisecond.                             */

#define N_RANDOM_MS 8000

static void test_totals_random_ms(void **state)
{
	unsigned long crossings = 0, ties = 0, after_now = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= N_RANDOM_MS; seed++) {
		uint64_t x = seed * 7919;
		struct rw_interval iv[12];
		size_t n = (size_t)rng_below(&x, 13);
		int64_t from = rng_below(&x, 1000), to = from + rng_below(&x, 1200);
		int64_t now = rng_below(&x, 2600) - 200;
		int64_t want[RW_STATE_COUNT] = {0};
		struct rw_totals t;

		if (rng_below(&x, 20) == 0)
			to = from; /* empty periods too */
		for (size_t i = 0; i < n; i++) {
			iv[i].start_ms = rng_below(&x, 2700) - 300;
			iv[i].state = (enum rw_state)rng_below(&x, RW_STATE_NOT_REGISTERED);
			if (i > 0 && rng_below(&x, 6) == 0)
				iv[i].start_ms = iv[i - 1].start_ms; /* ties */
		}
		/* Sorted by start; a stable order among ties is what the caller
		 * gives, so sort stably (insertion) to keep "the last wins". */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && cmp_start(&iv[j - 1], &iv[j]) > 0; j--) {
				struct rw_interval tmp = iv[j];
				iv[j] = iv[j - 1];
				iv[j - 1] = tmp;
			}
		for (size_t i = 0; i + 1 < n; i++) {
			ties += iv[i].start_ms == iv[i + 1].start_ms;
			crossings += iv[i].start_ms < from && iv[i + 1].start_ms > from;
		}
		after_now += now < to;

		for (int64_t ms = from; ms < to; ms++)
			want[brute_state(iv, n, now, ms)]++;
		account_totals(iv, n, now, from, to, &t);
		if (memcmp(t.ms, want, sizeof(want)) != 0) {
			print_error("seed %" PRIu64 ": now %" PRId64 " [%" PRId64 ", %" PRId64
			            ")\n",
			            seed, now, from, to);
			for (size_t i = 0; i < n; i++)
				print_error("  %" PRId64 " %s\n", iv[i].start_ms,
				            rw_state_name(iv[i].state));
			print_totals("got   ", t.ms);
			print_totals("oracle", want);
			fail_msg("account_totals disagrees with the brute force (seed %" PRIu64 ")",
			         seed);
		}
		assert_int_equal(sum_totals(&t), to - from);
		check_verdicts(&x, t.ms, to - from, seed);
	}
	assert_true(crossings > 100 && ties > 100 && after_now > 100);
}

/* Random totals (no timeline): the verdict alone, on larger numbers. */
static void test_evaluate_random(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 50000; seed++) {
		uint64_t x = seed * 104729;
		int64_t ms[RW_STATE_COUNT], w = 0;
		int64_t scale = rng_below(&x, 4) == 0 ? 100 : 31 * MS_PER_DAY;

		for (int i = 0; i < RW_STATE_COUNT; i++) {
			ms[i] = rng_below(&x, 3) == 0 ? 0 : rng_below(&x, scale / 5 + 1);
			w += ms[i];
		}
		/* Mostly up: the interesting verdicts sit near the floors. */
		if (rng_below(&x, 2) == 0) {
			ms[UP] += scale;
			w += scale;
		}
		check_verdicts(&x, ms, w, seed);
	}
}

/* ------------------------------------------------------------------ */
/* Calendar months.                                                    */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

struct month {
	int64_t y;
	unsigned m;
	int64_t days; /* from the calendar, not computed */
};

static const struct month months[] = {
        {2028, 2, 29},  {2027, 2, 28}, {2000, 2, 29},  {2100, 2, 28}, {2028, 4, 30},
        {2027, 11, 30}, {2028, 1, 31}, {2027, 12, 31}, {2028, 8, 31},
};
#define N_MONTHS (sizeof(months) / sizeof(months[0]))

static void month_bounds(const struct month *mo, int64_t *from, int64_t *to)
{
	*from = days_from_civil(mo->y, mo->m, 1) * MS_PER_DAY;
	*to = (mo->m == 12 ? days_from_civil(mo->y + 1, 1, 1)
	                   : days_from_civil(mo->y, mo->m + 1, 1)) *
	      MS_PER_DAY;
}

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(days_from_civil(1969, 12, 31), -1);
	assert_int_equal(days_from_civil(2000, 1, 1), 10957);
	assert_int_equal(days_from_civil(2028, 2, 1), 21215);
	assert_int_equal(days_from_civil(2028, 2, 29) + 1, days_from_civil(2028, 3, 1));
	assert_int_equal(days_from_civil(2028, 3, 1), 21244);
	assert_int_equal(days_from_civil(2100, 3, 1), 47541);
	/* 2023-11-14T22:13:20Z */
	assert_int_equal(days_from_civil(2023, 11, 14) * MS_PER_DAY + 22 * HOUR + 800000,
	                 REAL_EPOCH);
	for (size_t i = 0; i < N_MONTHS; i++) {
		int64_t from, to;
		month_bounds(&months[i], &from, &to);
		assert_int_equal(to - from, months[i].days * MS_PER_DAY);
	}
}

/* Intervals crossing both edges of the month; a month in progress. */
static void test_month_totals(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_MONTHS; i++) {
		const struct month *mo = &months[i];
		int64_t from, to, w = mo->days * MS_PER_DAY;
		struct rw_totals t;
		struct rw_availability a;

		month_bounds(mo, &from, &to);
		{
			const struct rw_interval iv[] = {
			        {from - HOUR, DWN},
			        {from + 2 * HOUR, UP},
			        {to - HOUR / 2, DWN},
			        {to + HOUR, UP},
			};
			account_totals(iv, 4, to + 2 * HOUR, from, to, &t);
			assert_int_equal(t.ms[DWN], 2 * HOUR + HOUR / 2);
			assert_int_equal(t.ms[UP], w - 2 * HOUR - HOUR / 2);
			assert_int_equal(t.ms[UNK], 0);
			assert_int_equal(sum_totals(&t), w);
			account_evaluate(&t, 990000, 900000, &a);
			assert_int_equal(a.verdict, RW_VERDICT_PASS);
		}
		{
			/* The month in progress: ten and a half days seen. */
			const struct rw_interval iv[] = {{from - HOUR, UP}};
			account_totals(iv, 1, from + 10 * MS_PER_DAY + 12 * HOUR, from, to, &t);
			assert_int_equal(t.ms[UP], 10 * MS_PER_DAY + 12 * HOUR);
			assert_int_equal(t.ms[UNK], w - 10 * MS_PER_DAY - 12 * HOUR);
			account_evaluate(&t, 990000, 900000, &a);
			assert_int_equal(a.verdict, RW_VERDICT_INDETERMINATE);
		}
		{
			/* Eight days down already: FAIL before the month ends. */
			const struct rw_interval iv[] = {{from - HOUR, UP},
			                                 {from + MS_PER_DAY, DWN}};
			account_totals(iv, 2, from + 9 * MS_PER_DAY, from, to, &t);
			assert_int_equal(t.ms[DWN], 8 * MS_PER_DAY);
			account_evaluate(&t, 990000, 900000, &a);
			assert_int_equal(a.verdict, RW_VERDICT_FAIL);
		}
	}
}

/* Down exactly 1% of the month passes a 0.99 floor; 1 ms more fails. */
static void test_month_floor_boundary(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_MONTHS; i++) {
		const struct month *mo = &months[i];
		int64_t from, to, allowed = mo->days * 864000; /* 1% of the month, in ms */
		struct rw_totals t;
		struct rw_availability a;

		month_bounds(mo, &from, &to);
		for (int extra = 0; extra <= 1; extra++) {
			const struct rw_interval iv[] = {
			        {from - MS_PER_DAY, UP},
			        {from + 5 * MS_PER_DAY, DWN},
			        {from + 5 * MS_PER_DAY + allowed + extra, UP},
			};
			account_totals(iv, 3, to, from, to, &t);
			assert_int_equal(t.ms[DWN], allowed + extra);
			assert_int_equal(sum_totals(&t), to - from);
			account_evaluate(&t, 990000, 900000, &a);
			assert_int_equal(a.verdict, extra ? RW_VERDICT_FAIL : RW_VERDICT_PASS);
		}
	}
	/* 25056 s down (1% of 29 days) passes in February 2028, fails in
	 * February 2027 (1% of 28 days is 24192 s). */
	for (size_t i = 0; i < 2; i++) {
		int64_t from, to;
		struct rw_totals t;
		struct rw_availability a;

		month_bounds(&months[i], &from, &to);
		{
			const struct rw_interval iv[] = {
			        {from, DWN},
			        {from + 25056000, UP},
			};
			account_totals(iv, 2, to, from, to, &t);
			account_evaluate(&t, 990000, 900000, &a);
			assert_int_equal(a.verdict,
			                 months[i].days == 29 ? RW_VERDICT_PASS : RW_VERDICT_FAIL);
		}
	}
}

/* Random whole-second timelines over real months, second by second. */
static void test_month_random(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < N_MONTHS; mi++) {
		int64_t from, to;

		month_bounds(&months[mi], &from, &to);
		for (uint64_t r = 0; r < 3; r++) {
			uint64_t seed = mi * 100 + r, x = seed + 12345;
			struct rw_interval iv[40];
			size_t n = (size_t)rng_below(&x, 41), k = 0;
			int64_t span_s = (to - from) / 1000 + 4 * 86400;
			int64_t now = from + 1000 * (rng_below(&x, span_s) - 2 * 86400);
			int64_t want[RW_STATE_COUNT] = {0};
			struct rw_totals t;

			if (r == 0)
				now = to + 1000 * rng_below(&x, 86400); /* a finished month */
			for (size_t i = 0; i < n; i++) {
				iv[i].start_ms = from + 1000 * (rng_below(&x, span_s) - 2 * 86400);
				iv[i].state = (enum rw_state)rng_below(&x, RW_STATE_NOT_REGISTERED);
				if (i > 0 && rng_below(&x, 8) == 0)
					iv[i].start_ms = iv[i - 1].start_ms;
			}
			for (size_t i = 1; i < n; i++)
				for (size_t j = i; j > 0 && cmp_start(&iv[j - 1], &iv[j]) > 0;
				     j--) {
					struct rw_interval tmp = iv[j];
					iv[j] = iv[j - 1];
					iv[j - 1] = tmp;
				}
			/* Second by second; the changes are walked in order, as
			 * brute_state() would find them, to keep this fast. */
			for (int64_t s = from; s < to; s += 1000) {
				enum rw_state st = RW_STATE_UNKNOWN;
				while (k < n && iv[k].start_ms <= s)
					k++;
				if (s < now && k > 0)
					st = iv[k - 1].state;
				want[st] += 1000;
			}
			/* Spot-check the walk against the plain scan. */
			for (int j = 0; j < 2000; j++) {
				int64_t s = from + 1000 * rng_below(&x, (to - from) / 1000);
				enum rw_state st = brute_state(iv, n, now, s);
				size_t kk = 0;
				while (kk < n && iv[kk].start_ms <= s)
					kk++;
				assert_int_equal(st, (s < now && kk > 0) ? iv[kk - 1].state
				                                         : RW_STATE_UNKNOWN);
			}
			account_totals(iv, n, now, from, to, &t);
			if (memcmp(t.ms, want, sizeof(want)) != 0) {
				print_totals("got   ", t.ms);
				print_totals("oracle", want);
				fail_msg("%04" PRId64 "-%02u, seed %" PRIu64 ": totals differ",
				         months[mi].y, months[mi].m, seed);
			}
			assert_int_equal(sum_totals(&t), months[mi].days * MS_PER_DAY);
			check_verdicts(&x, t.ms, to - from, seed);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_totals_table),    cmocka_unit_test(test_evaluate_table),
	        cmocka_unit_test(test_verdict_names),   cmocka_unit_test(test_totals_random_ms),
	        cmocka_unit_test(test_evaluate_random), cmocka_unit_test(test_days_from_civil),
	        cmocka_unit_test(test_month_totals),    cmocka_unit_test(test_month_floor_boundary),
	        cmocka_unit_test(test_month_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
