/* SPDX-License-Identifier: MIT */
/*
 * test_account_period.c — the maintenance and service-window overlays
 * (policy/account.h: account_period, account_maintenance_used,
 * account_in_service).
 *
 * Table tests for each rule and its precedence, then randomized cases checked
 * against a brute-force oracle written here from the rules alone: it walks
 * every second in order from the first millisecond of from's month, decides
 * each one directly (service window from the weekday and minute, eligibility
 * from every window, the month's cap from the seconds credited before it) and
 * knows month edges only from a table of real UTC dates (date -u), not from
 * any calendar arithmetic shared with the code under test. All random times
 * are whole seconds, so one sample per second is exact.
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
#include "policy/policy.h"

#define SEC        ((int64_t)1000)
#define MIN        ((int64_t)60000)
#define HOUR       ((int64_t)3600000)
#define MS_PER_DAY ((int64_t)86400000)
#define DAY(d)     (MS_PER_DAY * (d))
#define H(x)       (HOUR * (x))

/* Days since 1970-01-01, from `date -u -d … +%s` / 86400. */
#define D_2027_12_01 21153
#define D_2027_12_31 21183 /* a Friday */
#define D_2028_01_01 21184 /* a Saturday */
#define D_2028_01_10 21193 /* a Monday */
#define D_2028_02_01 21215
#define D_2028_02_28 21242
#define D_2028_02_29 21243 /* a Tuesday */
#define D_2028_03_01 21244

/* A Monday, 00:00 UTC, in the middle of January 2028 (31 days). */
#define T0 DAY(D_2028_01_10)

#define UNK RW_STATE_UNKNOWN
#define UP  RW_STATE_UP
#define DWN RW_STATE_DOWN
#define MNT RW_STATE_MAINTENANCE
#define OUT RW_STATE_OUTSIDE_WINDOW
#define NRG RW_STATE_NOT_REGISTERED

#define MON      0x01
#define TUE      0x02
#define FRI      0x10
#define SAT      0x20
#define SUN      0x40
#define WEEKDAYS 0x1f

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

static void make_policy(struct rw_policy *p, const struct rw_policy_span *spans, size_t n,
                        uint32_t notice_h, uint32_t cap_h)
{
	policy_defaults(p);
	p->service_spans = (struct rw_policy_span *)spans; /* borrowed: never deinit */
	p->n_service_spans = n;
	p->maintenance.min_notice_h = notice_h;
	p->maintenance.max_h_per_month = cap_h;
}

/* ------------------------------------------------------------------ */
/* Tables.                                                             */

#define NO_CHECK INT64_MIN

struct pcase {
	const char *name;
	struct rw_policy_span spans[3];
	size_t n_spans;
	uint32_t notice_h, cap_h;
	struct rw_interval iv[4];
	size_t n_iv;
	struct rw_maintenance mw[4];
	size_t n_mw;
	int64_t now, from, to;
	int64_t exp[RW_STATE_COUNT]; /* unknown, up, down, maintenance, outside */
	int64_t used_from;           /* account_maintenance_used(from), or NO_CHECK */
	int64_t used_last;           /* account_maintenance_used(to - 1), or NO_CHECK */
};

/* clang-format off */
/* Mon-fri 06:00-22:00. */
#define WK_SPAN  {{WEEKDAYS, 360, 1320}}, 1
/* Up (down) since long before, until long after. */
#define ALL_UP   {{T0 - DAY(30), UP}}, 1
#define ALL_DOWN {{T0 - DAY(30), DWN}}, 1
#define LATER    (T0 + DAY(60))
/* A window declared a year ahead. */
#define MW(a, b) {(a), (b), (a) - DAY(365)}

static const struct pcase pcases[] = {
	/* rule 3 alone */
	{"no spans, no maintenance: the observed state",
	 {{0}}, 0, 24, 8, {{T0 - HOUR, UP}}, 1, {{0}}, 0,
	 T0 + H(10), T0, T0 + H(12), {H(2), H(10), 0, 0, 0}, 0, 0},
	{"from == to: nothing, even inside a window",
	 WK_SPAN, 24, 8, ALL_UP, {MW(T0, T0 + H(23))}, 1,
	 LATER, T0 + H(7), T0 + H(7), {0, 0, 0, 0, 0}, H(8), NO_CHECK},

	/* rule 1 */
	{"outside_window beats the observed state",
	 WK_SPAN, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + H(24), {0, H(16), 0, 0, H(8)}, 0, 0},
	{"outside_window beats unknown (before the first change, after now)",
	 WK_SPAN, 24, 8, {{T0 + H(8), DWN}}, 1, {{0}}, 0,
	 T0 + H(20), T0, T0 + H(24), {H(2) + H(2), 0, H(12), 0, H(8)}, 0, 0},
	{"outside_window beats maintenance, which then uses none of the cap",
	 WK_SPAN, 24, 8, ALL_UP, {MW(T0 + H(20), T0 + H(32))}, 1,
	 LATER, T0 + H(18), T0 + H(34), {0, H(4), 0, H(4), H(8)}, H(4), H(4)},
	{"a weekend window is all outside_window; monday's window gets the whole cap",
	 WK_SPAN, 24, 2, ALL_UP,
	 {MW(T0 - DAY(2), T0), MW(T0 + H(6), T0 + H(9))}, 2,
	 LATER, T0 - DAY(2), T0 + H(12), {0, H(4), 0, H(2), H(54)}, H(2), H(2)},
	{"empty span list: always in service",
	 {{0}}, 0, 24, 8, ALL_DOWN, {{0}}, 0,
	 LATER, T0 - DAY(2), T0 + DAY(1), {0, 0, DAY(3), 0, 0}, 0, 0},
	{"spans that cover no time (days 0): never in service",
	 {{0, 360, 1320}}, 1, 24, 8, ALL_UP, {MW(T0, T0 + H(10))}, 1,
	 LATER, T0, T0 + DAY(2), {0, 0, 0, 0, DAY(2)}, 0, 0},
	{"overlapping spans are one window",
	 {{MON, 360, 720}, {MON, 600, 840}, {MON, 600, 660}}, 3, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + DAY(1), {0, H(8), 0, 0, H(16)}, 0, 0},
	{"a span applies to its own days only",
	 {{TUE, 0, 1440}}, 1, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + DAY(7), {0, DAY(1), 0, 0, DAY(6)}, 0, 0},
	{"crossing midnight as two spans: fri 22:00-24:00, sat 00:00-06:00",
	 {{FRI, 1320, 1440}, {SAT, 0, 360}}, 2, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0 + DAY(4) + H(12), T0 + DAY(5) + H(12), {0, H(8), 0, 0, H(16)}, 0, 0},
	{"a window over midnight between two spans is credited on both sides",
	 {{FRI, 1320, 1440}, {SAT, 0, 360}}, 2, 24, 8, ALL_DOWN,
	 {MW(T0 + DAY(4) + H(23), T0 + DAY(5) + H(1))}, 1,
	 LATER, T0 + DAY(4), T0 + DAY(6), {0, 0, H(6), H(2), H(40)}, H(2), H(2)},

	/* rule 2: precedence over the observed state */
	{"maintenance beats down",
	 {{0}}, 0, 24, 8, ALL_DOWN, {MW(T0 + H(1), T0 + H(3))}, 1,
	 LATER, T0, T0 + H(4), {0, 0, H(2), H(2), 0}, H(2), H(2)},
	{"maintenance beats unknown after now (a declared future window)",
	 {{0}}, 0, 24, 8, ALL_UP, {MW(T0 + H(2), T0 + H(4))}, 1,
	 T0 + H(1), T0, T0 + H(6), {H(3), H(1), 0, H(2), 0}, H(2), H(2)},
	{"maintenance beats unknown before the first change",
	 {{0}}, 0, 24, 8, {{T0 + H(5), UP}}, 1, {MW(T0 + H(1), T0 + H(3))}, 1,
	 LATER, T0, T0 + H(6), {H(3), H(1), 0, H(2), 0}, H(2), H(2)},

	/* rule 2: notice */
	{"declared exactly min_notice_h ahead: earns all",
	 {{0}}, 0, 24, 8, ALL_DOWN, {{T0 + H(2), T0 + H(5), T0 + H(2) - H(24)}}, 1,
	 LATER, T0, T0 + H(6), {0, 0, H(3), H(3), 0}, H(3), H(3)},
	{"declared one second late: earns all but the first second",
	 {{0}}, 0, 24, 8, ALL_DOWN, {{T0 + H(2), T0 + H(5), T0 + H(2) - H(24) + SEC}}, 1,
	 LATER, T0, T0 + H(6), {0, 0, H(3) + SEC, H(3) - SEC, 0}, H(3) - SEC, H(3) - SEC},
	{"declared late: earns only from declared + notice",
	 {{0}}, 0, 24, 8, ALL_DOWN, {{T0, T0 + H(6), T0 - H(20)}}, 1,
	 LATER, T0, T0 + H(6), {0, 0, H(4), H(2), 0}, H(2), H(2)},
	{"declared late, the notice point outside the period",
	 {{0}}, 0, 24, 8, ALL_DOWN, {{T0, T0 + H(6), T0 - H(20)}}, 1,
	 LATER, T0 + H(1), T0 + H(3), {0, 0, H(2), 0, 0}, H(2), H(2)},
	{"declared after the window: earns nothing",
	 {{0}}, 0, 24, 8, ALL_UP, {{T0, T0 + H(6), T0 + H(7)}}, 1,
	 LATER, T0, T0 + H(8), {0, H(8), 0, 0, 0}, 0, 0},
	{"notice 0: declared at the start earns all",
	 {{0}}, 0, 0, 8, ALL_UP, {{T0 + H(1), T0 + H(3), T0 + H(1)}}, 1,
	 LATER, T0, T0 + H(4), {0, H(2), 0, H(2), 0}, H(2), H(2)},
	{"notice 0: declared during the window earns from then on",
	 {{0}}, 0, 0, 8, ALL_UP, {{T0 + H(1), T0 + H(3), T0 + H(2)}}, 1,
	 LATER, T0, T0 + H(4), {0, H(3), 0, H(1), 0}, H(1), H(1)},
	{"notice is per window: a late window overlapping a timely one adds its noticed part only",
	 {{0}}, 0, 24, 8, ALL_DOWN,
	 {MW(T0 + H(1), T0 + H(3)), {T0 + H(2), T0 + H(6), T0 + H(5) - H(24)}}, 2,
	 LATER, T0, T0 + H(8), {0, 0, H(5), H(3), 0}, H(3), H(3)},

	/* rule 2: union */
	{"overlapping windows count once",
	 {{0}}, 0, 24, 8, ALL_UP,
	 {MW(T0 + H(3), T0 + H(7)), MW(T0 + H(1), T0 + H(5)), MW(T0 + H(2), T0 + H(4))}, 3,
	 LATER, T0, T0 + H(8), {0, H(2), 0, H(6), 0}, H(6), H(6)},
	{"touching windows are one stretch; the cap cuts it once",
	 {{0}}, 0, 24, 5, ALL_UP, {MW(T0 + H(4), T0 + H(7)), MW(T0 + H(1), T0 + H(4))}, 2,
	 LATER, T0, T0 + H(8), {0, H(3), 0, H(5), 0}, H(5), H(5)},

	/* rule 2: the cap */
	{"10 h eligible, cap 8: the first 8 h are credited, the rest observed",
	 {{0}}, 0, 24, 8, ALL_DOWN, {MW(T0 + H(1), T0 + H(11))}, 1,
	 LATER, T0, T0 + H(12), {0, 0, H(4), H(8), 0}, H(8), H(8)},
	{"10 h eligible, cap 8: a period over the tail sees only the credited hour",
	 {{0}}, 0, 24, 8, ALL_DOWN, {MW(T0 + H(1), T0 + H(11))}, 1,
	 LATER, T0 + H(8), T0 + H(12), {0, 0, H(3), H(1), 0}, H(8), H(8)},
	{"two windows, 6 h then 4 h, cap 8: earliest first",
	 {{0}}, 0, 24, 8, ALL_UP, {MW(T0 + H(10), T0 + H(14)), MW(T0, T0 + H(6))}, 2,
	 LATER, T0, T0 + H(16), {0, H(8), 0, H(8), 0}, H(8), H(8)},
	{"a mid-month period sees the cap used earlier in the month",
	 {{0}}, 0, 24, 8, ALL_UP, {MW(T0 - DAY(5), T0 - DAY(5) + H(6)), MW(T0 + H(1), T0 + H(5))}, 2,
	 LATER, T0, T0 + H(6), {0, H(4), 0, H(2), 0}, H(8), H(8)},
	{"the cap used last month does not count",
	 {{0}}, 0, 24, 8, ALL_UP,
	 {MW(DAY(D_2027_12_01) + H(1), DAY(D_2027_12_01) + H(9)), MW(T0 + H(1), T0 + H(5))}, 2,
	 LATER, T0, T0 + H(6), {0, H(2), 0, H(4), 0}, H(4), H(4)},
	{"a window over the month boundary is capped per month",
	 {{0}}, 0, 24, 5, ALL_UP,
	 {MW(DAY(D_2027_12_31) + H(20), DAY(D_2028_01_01) + H(6))}, 1,
	 LATER, DAY(D_2027_12_31), DAY(D_2028_01_01) + H(12),
	 {0, H(27), 0, H(4) + H(5), 0}, H(4), H(5)},
	{"cap 0: nothing is credited",
	 {{0}}, 0, 24, 0, ALL_DOWN, {MW(T0 + H(1), T0 + H(3))}, 1,
	 LATER, T0, T0 + H(4), {0, 0, H(4), 0, 0}, 0, 0},
	{"the cap counts in-service time only (weekday window, window over the night)",
	 WK_SPAN, 24, 3, ALL_DOWN, {MW(T0 + H(21), T0 + DAY(1) + H(10))}, 1,
	 LATER, T0 + H(12), T0 + DAY(1) + H(12),
	 {0, 0, H(9) + H(4), H(3), H(8)}, H(3), H(3)},
	{"leap february: feb 29 and mar 1 have a cap each",
	 {{0}}, 0, 24, 3, ALL_UP,
	 {MW(DAY(D_2028_02_29) + H(20), DAY(D_2028_03_01) + H(4))}, 1,
	 DAY(D_2028_03_01) + DAY(30), DAY(D_2028_02_28) + H(12), DAY(D_2028_03_01) + H(12),
	 {0, H(42), 0, H(6), 0}, H(3), H(3)},
};
/* clang-format on */

static void test_period_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		struct rw_policy pol;
		struct account_input in;
		struct rw_totals t;

		make_policy(&pol, c->spans, c->n_spans, c->notice_h, c->cap_h);
		in = (struct account_input){c->iv, c->n_iv, c->mw, c->n_mw, &pol, c->now, 0, 0};
		account_period(&in, c->from, c->to, &t);
		if (memcmp(t.ms, c->exp, sizeof(c->exp)) != 0) {
			print_totals("got     ", t.ms);
			print_totals("expected", c->exp);
			fail_msg("case %zu \"%s\": totals differ", i, c->name);
		}
		assert_int_equal(sum_totals(&t), c->to - c->from);
		if (c->used_from != NO_CHECK &&
		    account_maintenance_used(&in, c->from) != c->used_from)
			fail_msg("case %zu \"%s\": used at from %" PRId64 ", expected %" PRId64, i,
			         c->name, account_maintenance_used(&in, c->from), c->used_from);
		if (c->used_last != NO_CHECK &&
		    account_maintenance_used(&in, c->to - 1) != c->used_last)
			fail_msg("case %zu \"%s\": used at to - 1 %" PRId64 ", expected %" PRId64,
			         i, c->name, account_maintenance_used(&in, c->to - 1),
			         c->used_last);
	}
}

/* Rule 0: the runner's period, against every other rule. */
struct lcase {
	const char *name;
	struct rw_policy_span spans[1];
	size_t n_spans;
	uint32_t notice_h, cap_h;
	struct rw_interval iv[3];
	size_t n_iv;
	struct rw_maintenance mw[2];
	size_t n_mw;
	int64_t now, from, to, created, retired;
	int64_t exp[RW_STATE_COUNT]; /* unknown, up, down, maintenance, outside, not_registered */
	int64_t used;                /* account_maintenance_used(to - 1) */
};

/* clang-format off */
static const struct lcase lcases[] = {
	{"registered mid-period: before it is not_registered, not unknown",
	 {{0}}, 0, 24, 8, {{T0 + DAY(3), UNK}, {T0 + DAY(3) + H(1), UP}}, 2, {{0}}, 0,
	 LATER, T0, T0 + DAY(10), T0 + DAY(3), 0,
	 {H(1), DAY(7) - H(1), 0, 0, 0, DAY(3)}, 0},
	{"retired mid-period: from it on not_registered",
	 {{0}}, 0, 24, 8, ALL_DOWN, {{0}}, 0,
	 LATER, T0, T0 + DAY(10), T0 - DAY(40), T0 + DAY(4) + H(6),
	 {0, 0, DAY(4) + H(6), 0, 0, DAY(6) - H(6)}, 0},
	{"registered and retired inside the period",
	 {{0}}, 0, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + DAY(2), T0 + H(5), T0 + H(29),
	 {0, DAY(1), 0, 0, 0, DAY(1)}, 0},
	{"not_registered beats after now (unknown)",
	 {{0}}, 0, 24, 8, ALL_UP, {{0}}, 0,
	 T0 + H(10), T0, T0 + H(24), T0 + H(2), T0 + H(20),
	 {H(10), H(8), 0, 0, 0, H(6)}, 0},
	{"not_registered beats outside_window",
	 WK_SPAN, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + H(24), T0 + H(12), 0,
	 {0, H(10), 0, 0, H(2), H(12)}, 0},
	{"maintenance before registration uses none of the cap",
	 {{0}}, 0, 24, 3, ALL_UP, {MW(T0 + H(8), T0 + H(14))}, 1,
	 LATER, T0, T0 + H(24), T0 + H(10), 0,
	 {0, H(11), 0, H(3), 0, H(10)}, H(3)},
	{"maintenance after retirement uses none of the cap",
	 {{0}}, 0, 24, 3, ALL_UP, {MW(T0 + H(8), T0 + H(14)), MW(T0 + DAY(2), T0 + DAY(2) + H(5))}, 2,
	 LATER, T0, T0 + DAY(3), 0, T0 + H(10),
	 {0, H(8), 0, H(2), 0, DAY(3) - H(10)}, H(2)},
	{"retired before registered: nothing of the period is the runner's",
	 {{0}}, 0, 24, 8, ALL_UP, {MW(T0 + H(8), T0 + H(14))}, 1,
	 LATER, T0, T0 + H(24), T0 + H(12), T0 + H(6),
	 {0, 0, 0, 0, 0, H(24)}, 0},
	{"registered after the period",
	 {{0}}, 0, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + H(24), T0 + H(24), 0,
	 {0, 0, 0, 0, 0, H(24)}, 0},
	{"retired exactly at from",
	 {{0}}, 0, 24, 8, ALL_UP, {{0}}, 0,
	 LATER, T0, T0 + H(24), T0 - DAY(1), T0,
	 {0, 0, 0, 0, 0, H(24)}, 0},
};
/* clang-format on */

static void test_registration_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		const struct lcase *c = &lcases[i];
		struct rw_policy pol;
		struct account_input in;
		struct rw_totals t, d[12], sum;
		struct rw_availability a, b;

		make_policy(&pol, c->spans, c->n_spans, c->notice_h, c->cap_h);
		in = (struct account_input){c->iv, c->n_iv, c->mw,      c->n_mw,
		                            &pol,  c->now,  c->created, c->retired};
		account_period(&in, c->from, c->to, &t);
		if (memcmp(t.ms, c->exp, sizeof(c->exp)) != 0) {
			print_totals("got     ", t.ms);
			print_totals("expected", c->exp);
			fail_msg("case %zu \"%s\": totals differ", i, c->name);
		}
		assert_int_equal(sum_totals(&t), c->to - c->from);
		if (account_maintenance_used(&in, c->to - 1) != c->used)
			fail_msg("case %zu \"%s\": used %" PRId64 ", expected %" PRId64, i, c->name,
			         account_maintenance_used(&in, c->to - 1), c->used);
		/* The days of the same sweep sum to it. */
		account_period_days(&in, c->from, c->to, d, 12);
		memset(&sum, 0, sizeof(sum));
		for (int k = 0; k < 12; k++)
			for (int st = 0; st < RW_STATE_COUNT; st++)
				sum.ms[st] += d[k].ms[st];
		assert_memory_equal(&sum, &t, sizeof(t));
		/* account_judge() is account_period() and account_evaluate(). */
		account_judge(&in, c->from, c->to, 990000, &a);
		account_evaluate(&t, 990000, pol.window.min_coverage_ppm, &b);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

/* The edges of the service window, to the millisecond. */
static void test_in_service_edges(void **state)
{
	static const struct rw_policy_span night[] = {{FRI, 1320, 1440}, {SAT, 0, 360}};
	static const struct rw_policy_span sunday_late[] = {{SUN, 1320, 1440}};
	static const struct rw_policy_span tuesday[] = {{TUE, 0, 1440}};
	int64_t fri = T0 + DAY(4), sat = T0 + DAY(5), sun = T0 + DAY(6), mon = T0 + DAY(7);
	struct rw_policy pol;

	(void)state;
	make_policy(&pol, night, 2, 24, 8);
	assert_false(account_in_service(&pol, fri + H(22) - 1));
	assert_true(account_in_service(&pol, fri + H(22)));
	assert_true(account_in_service(&pol, sat - 1));
	assert_true(account_in_service(&pol, sat));
	assert_true(account_in_service(&pol, sat + H(6) - 1));
	assert_false(account_in_service(&pol, sat + H(6)));
	assert_false(account_in_service(&pol, sat + H(22))); /* friday's span only */
	assert_false(account_in_service(&pol, T0 + H(23)));  /* nor on monday */

	make_policy(&pol, sunday_late, 1, 24, 8);
	assert_true(account_in_service(&pol, mon - 1)); /* "24:00" includes 23:59:59.999 */
	assert_false(account_in_service(&pol, mon));    /* and ends at midnight */
	assert_true(account_in_service(&pol, sun + H(22)));
	assert_false(account_in_service(&pol, sun + H(22) - 1));

	/* The weekday from real dates: 2028-02-29 was a Tuesday, 1970-01-06 too. */
	make_policy(&pol, tuesday, 1, 24, 8);
	assert_true(account_in_service(&pol, DAY(D_2028_02_29)));
	assert_true(account_in_service(&pol, DAY(D_2028_03_01) - 1));
	assert_false(account_in_service(&pol, DAY(D_2028_03_01)));
	assert_false(account_in_service(&pol, DAY(D_2028_02_29) - 1));
	assert_true(account_in_service(&pol, DAY(5)));
	assert_false(account_in_service(&pol, DAY(4)));
	assert_true(account_in_service(&pol, DAY(-2))); /* 1969-12-30 */
	assert_false(account_in_service(&pol, DAY(-2) - 1));

	make_policy(&pol, NULL, 0, 24, 8);
	assert_true(account_in_service(&pol, T0));
	assert_true(account_in_service(&pol, -1));
}

/* The spans as the policy file writes them: "24:00" and a split night. */
static void test_parsed_policy(void **state)
{
	static const char doc[] =
	        "{ \"version\": 1,\n"
	        "  \"maintenance\": { \"min_notice_h\": 48, \"max_h_per_month\": 2 },\n"
	        "  \"service_window\": { \"weekly\": [\n"
	        "    { \"days\": \"mon-fri\", \"from\": \"22:00\", \"to\": \"24:00\" },\n"
	        "    { \"days\": \"tue-fri\", \"from\": \"00:00\", \"to\": \"06:00\" } ] } }\n";
	const struct rw_interval iv[] = {{T0 - DAY(1), UP}, {T0 + DAY(2), DWN}};
	/* Tuesday 23:00 to wednesday 02:00, declared 48 h ahead. */
	const struct rw_maintenance mw[] = {{T0 + DAY(1) + H(23), T0 + DAY(2) + H(2), T0 - H(1)}};
	struct rw_policy pol;
	struct account_input in;
	struct rw_totals t;
	char err[256];

	(void)state;
	assert_int_equal(
	        policy_parse(&pol, doc, sizeof(doc) - 1, "policy.json", NULL, err, sizeof(err)), 0);
	in = (struct account_input){iv, 2, mw, 1, &pol, T0 + DAY(30), 0, 0};
	account_period(&in, T0, T0 + DAY(7), &t);
	/* Nights mon→tue … fri→sat: 5 × 2 h + 4 × 6 h = 34 h of service. */
	assert_int_equal(t.ms[OUT], DAY(7) - H(34));
	assert_int_equal(t.ms[MNT], H(2));
	/* Up until wednesday: mon 22-24, tue 00-06, tue 22-23 (23-24 is credited). */
	assert_int_equal(t.ms[UP], H(9));
	assert_int_equal(t.ms[DWN], H(34) - t.ms[UP] - H(2));
	assert_int_equal(t.ms[UNK], 0);
	assert_int_equal(account_maintenance_used(&in, T0), H(2));
	assert_true(account_in_service(&pol, T0 + DAY(5) - 1)); /* friday 23:59:59.999 */
	assert_false(account_in_service(&pol, T0 + DAY(5)));    /* saturday 00:00: no span */
	assert_true(account_in_service(&pol, T0 + DAY(4)));     /* friday 00:00 */
	assert_false(account_in_service(&pol, T0));             /* monday 00:00 */
	policy_deinit(&pol);
}

/* ------------------------------------------------------------------ */
/* Randomized cases against the oracle.                                */

/* Month starts, days since 1970-01-01, from `date -u -d YYYY-MM-01 +%s`. */
static const struct omonth {
	const char *name;
	int64_t day;
} omonths[] = {
        {"2026-12", 20788}, {"2027-01", 20819}, {"2027-02", 20850}, {"2027-03", 20878},
        {"2027-04", 20909}, {"2027-05", 20939}, {"2027-06", 20970}, {"2027-07", 21000},
        {"2027-08", 21031}, {"2027-09", 21062}, {"2027-10", 21092}, {"2027-11", 21123},
        {"2027-12", 21153}, {"2028-01", 21184}, {"2028-02", 21215}, {"2028-03", 21244},
        {"2028-04", 21275}, {"2028-05", 21305}, {"2028-06", 21336}, {"2028-07", 21366},
        {"2028-08", 21397}, {"2028-09", 21428}, {"2028-10", 21458}, {"2028-11", 21489},
        {"2028-12", 21519}, {"2029-01", 21550},
};
#define N_OMONTHS (sizeof(omonths) / sizeof(omonths[0]))

static void test_month_table(void **state)
{
	static const int64_t lengths[] = {31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	                                  31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	(void)state;
	for (size_t i = 0; i + 1 < N_OMONTHS; i++)
		assert_int_equal(omonths[i + 1].day - omonths[i].day, lengths[i]);
}

#define MAX_IV    12
#define MAX_MW    8
#define MAX_SPANS 4

struct rcase {
	struct rw_policy_span spans[MAX_SPANS];
	size_t n_spans;
	uint32_t notice_h, cap_h;
	struct rw_interval iv[MAX_IV];
	size_t n_iv;
	struct rw_maintenance mw[MAX_MW];
	size_t n_mw;
	int64_t now, from, to;
	int64_t created, retired; /* the runner's period; retired 0: active */
};

/* The weekly window decided from the weekday and the minute of the day. */
static bool oracle_in_service(const struct rcase *c, int64_t t)
{
	int64_t day = t / MS_PER_DAY; /* t > 0 here */
	unsigned weekday = (unsigned)((day + 3) % 7), minute = (unsigned)(t % MS_PER_DAY / MIN);

	if (c->n_spans == 0)
		return true;
	for (size_t i = 0; i < c->n_spans; i++)
		if ((c->spans[i].days >> weekday & 1) && c->spans[i].from_min <= minute &&
		    minute < c->spans[i].to_min)
			return true;
	return false;
}

static bool oracle_eligible(const struct rcase *c, int64_t t)
{
	for (size_t i = 0; i < c->n_mw; i++)
		if (c->mw[i].start_ms <= t && t < c->mw[i].end_ms &&
		    t >= c->mw[i].declared_ms + (int64_t)c->notice_h * HOUR)
			return true;
	return false;
}

/*
 * Walks every second of [start of from's month, until), where until >= to.
 * want: the states of [from, to). used[m]: seconds credited in omonths[m]
 * before until.
 */
static void oracle(const struct rcase *c, int64_t until, int64_t want[RW_STATE_COUNT],
                   int64_t used[N_OMONTHS])
{
	size_t m = 0, k = 0;
	int64_t cap = (int64_t)c->cap_h * HOUR;

	memset(want, 0, sizeof(int64_t) * RW_STATE_COUNT);
	memset(used, 0, sizeof(int64_t) * N_OMONTHS);
	while (DAY(omonths[m + 1].day) <= c->from)
		m++;
	for (int64_t t = DAY(omonths[m].day); t < until; t += SEC) {
		enum rw_state st;
		if (t >= DAY(omonths[m + 1].day))
			m++;
		while (k < c->n_iv && c->iv[k].start_ms <= t)
			k++;
		if (t < c->created || (c->retired != 0 && t >= c->retired))
			st = NRG; /* rule 0: no cap used, nothing observed */
		else if (!oracle_in_service(c, t))
			st = OUT;
		else if (oracle_eligible(c, t) && used[m] < cap) {
			st = MNT;
			used[m] += SEC;
		} else
			st = (t < c->now && k > 0) ? c->iv[k - 1].state : UNK;
		if (t >= c->from && t < c->to)
			want[st] += SEC;
	}
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

/* A whole second in [a, b). */
static int64_t rng_sec(uint64_t *x, int64_t a, int64_t b)
{
	return a + rng_below(x, (b - a) / SEC) * SEC;
}

static int cmp_start(const void *a, const void *b)
{
	const struct rw_interval *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

enum shape {
	SHAPE_SHORT,    /* within the first days of a month */
	SHAPE_BOUNDARY, /* a few days either side of a month's end */
	SHAPE_LONG,     /* five to eight weeks */
};

static void random_case(uint64_t *x, enum shape shape, size_t month, struct rcase *c)
{
	static const uint32_t notices[] = {0, 1, 2, 24};
	static const uint32_t caps[] = {0, 1, 3, 8, 744};
	int64_t ms = DAY(omonths[month].day), next = DAY(omonths[month + 1].day);
	int64_t lo, hi;

	memset(c, 0, sizeof(*c));
	switch (shape) {
	case SHAPE_SHORT:
		c->from = rng_sec(x, ms, ms + DAY(1));
		c->to = c->from + rng_sec(x, 0, DAY(1));
		break;
	case SHAPE_BOUNDARY:
		c->from = rng_sec(x, next - DAY(2), next);
		c->to = rng_sec(x, next, next + DAY(2));
		break;
	case SHAPE_LONG:
		c->from = rng_sec(x, ms, next);
		c->to = c->from + rng_sec(x, DAY(35), DAY(56));
		break;
	}
	if (rng_below(x, 20) == 0)
		c->to = c->from; /* an empty period */
	lo = ms - H(6);
	hi = c->to + H(6);

	/* The service window: none, the usual one, or random spans. */
	switch (rng_below(x, 4)) {
	case 0: break;
	case 1:
		c->spans[0] = (struct rw_policy_span){WEEKDAYS, 360, 1320};
		c->n_spans = 1;
		break;
	default:
		c->n_spans = 1 + (size_t)rng_below(x, MAX_SPANS);
		for (size_t i = 0; i < c->n_spans; i++) {
			struct rw_policy_span *s = &c->spans[i];
			s->days = (uint8_t)rng_below(x, 128);
			s->from_min = (uint16_t)rng_below(x, 1440);
			s->to_min = rng_below(x, 3) == 0
			                    ? 1440
			                    : (uint16_t)(s->from_min + 1 +
			                                 rng_below(x, 1440 - s->from_min));
			if (rng_below(x, 4) == 0)
				s->from_min = 0;
		}
		break;
	}
	c->notice_h = notices[rng_below(x, 4)];
	c->cap_h = rng_below(x, 2) ? caps[rng_below(x, 5)] : (uint32_t)rng_below(x, 13);

	/* Observed changes around the period, ties included. */
	c->n_iv = (size_t)rng_below(x, MAX_IV + 1);
	for (size_t i = 0; i < c->n_iv; i++) {
		c->iv[i].start_ms = (i > 0 && rng_below(x, 8) == 0)
		                            ? c->iv[i - 1].start_ms
		                            : rng_sec(x, c->from - DAY(1), c->to + H(2));
		c->iv[i].state =
		        (enum rw_state)(rng_below(x, 4) ? 1 + rng_below(x, 2)
		                                        : rng_below(x, RW_STATE_NOT_REGISTERED));
	}
	qsort(c->iv, c->n_iv, sizeof(c->iv[0]), cmp_start);
	switch (rng_below(x, 5)) {
	case 0: c->now = c->from; break;
	case 1: c->now = c->to; break;
	default: c->now = rng_sec(x, c->from - H(2), c->to + H(2) + SEC);
	}

	/* The runner's period: always (half the cases), or from a registration
	 * anywhere around the period (before the month, before from, inside,
	 * after to), to a retirement (none, inside, after, or even before the
	 * registration: an empty period). */
	if (rng_below(x, 2)) {
		c->created = rng_sec(x, lo - DAY(3), hi + H(1));
		switch (rng_below(x, 4)) {
		case 0: c->retired = 0; break;
		case 1: c->retired = rng_sec(x, c->created - H(6), c->created + SEC); break;
		default: c->retired = rng_sec(x, c->created + SEC, hi + H(12));
		}
	}

	/* Maintenance from the month's start on, so the cap is used before from
	 * and across month edges; on time, late, or declared after the end. */
	c->n_mw = (size_t)rng_below(x, MAX_MW + 1);
	if (shape == SHAPE_SHORT && c->n_mw > 5)
		c->n_mw = 5;
	for (size_t i = 0; i < c->n_mw; i++) {
		struct rw_maintenance *w = &c->mw[i];
		int64_t len = rng_below(x, 4) ? rng_sec(x, SEC, H(8)) : rng_sec(x, SEC, H(40));
		int64_t notice = (int64_t)c->notice_h * HOUR;
		w->start_ms = rng_sec(x, lo, hi);
		w->end_ms = w->start_ms + len;
		switch (rng_below(x, 4)) {
		case 0: w->declared_ms = w->start_ms - notice; break;
		case 1: w->declared_ms = w->start_ms - notice - rng_sec(x, 0, DAY(3)); break;
		default: w->declared_ms = w->start_ms - notice + rng_sec(x, -H(12), H(12));
		}
	}
}

static void check_case(const struct rcase *c, enum shape shape, uint64_t seed, uint64_t *x)
{
	struct rw_policy pol;
	struct account_input in;
	struct rw_totals got, a, b;
	int64_t want[RW_STATE_COUNT], used[N_OMONTHS], until = c->to, from_month_end;
	size_t m = 0;

	while (DAY(omonths[m + 1].day) <= c->from)
		m++;
	from_month_end = DAY(omonths[m + 1].day);
	/* Boundary and long cases walk on to the end of to's month, so every
	 * month they touch is complete for account_maintenance_used(). */
	if (shape != SHAPE_SHORT) {
		size_t e = m;
		while (DAY(omonths[e + 1].day) <= c->to)
			e++;
		until = DAY(omonths[e + 1].day);
	}
	oracle(c, until, want, used);

	make_policy(&pol, c->spans, c->n_spans, c->notice_h, c->cap_h);
	in = (struct account_input){c->iv, c->n_iv, c->mw,      c->n_mw,
	                            &pol,  c->now,  c->created, c->retired};
	account_period(&in, c->from, c->to, &got);
	if (memcmp(got.ms, want, sizeof(want)) != 0) {
		print_totals("got   ", got.ms);
		print_totals("oracle", want);
		fail_msg("seed %" PRIu64 " (%s): totals differ", seed, omonths[m].name);
	}
	assert_int_equal(sum_totals(&got), c->to - c->from);

	/* Additivity: a cut anywhere changes nothing. */
	if (c->to > c->from) {
		int64_t cut = c->from + rng_below(x, c->to - c->from + 1);
		account_period(&in, c->from, cut, &a);
		account_period(&in, cut, c->to, &b);
		for (int s = 0; s < RW_STATE_COUNT; s++)
			if (a.ms[s] + b.ms[s] != got.ms[s])
				fail_msg("seed %" PRIu64 ": not additive at %" PRId64, seed, cut);
	}

	/* The month's credit: complete months must match; a short case's month
	 * matches when no window reaches past what the oracle walked. */
	if (shape != SHAPE_SHORT) {
		for (size_t i = m; DAY(omonths[i].day) < until; i++) {
			int64_t t = rng_sec(x, DAY(omonths[i].day), DAY(omonths[i + 1].day));
			if (account_maintenance_used(&in, t) != used[i])
				fail_msg("seed %" PRIu64 ": %s used %" PRId64 ", oracle %" PRId64,
				         seed, omonths[i].name, account_maintenance_used(&in, t),
				         used[i]);
		}
	} else {
		bool complete = until <= from_month_end;
		int64_t u = account_maintenance_used(&in, c->from);
		for (size_t i = 0; i < c->n_mw; i++)
			if (c->mw[i].end_ms > until && c->mw[i].start_ms < from_month_end)
				complete = false;
		if (complete ? u != used[m] : u < used[m])
			fail_msg("seed %" PRIu64 ": used %" PRId64 ", oracle %" PRId64 "%s", seed,
			         u, used[m], complete ? "" : " (so far)");
	}
	assert_true(account_maintenance_used(&in, c->from) <= (int64_t)c->cap_h * HOUR);

	/* account_in_service against the oracle's window at a few instants. */
	for (int i = 0; i < 8; i++) {
		int64_t t = rng_sec(x, c->from - DAY(1), c->to + DAY(1));
		assert_int_equal(account_in_service(&pol, t), oracle_in_service(c, t));
	}
}

static void run_random(enum shape shape, int cases, uint64_t seed0)
{
	for (int i = 0; i < cases; i++) {
		uint64_t seed = seed0 + (uint64_t)i, x = seed;
		size_t month = 1 + (size_t)rng_below(&x, N_OMONTHS - (shape == SHAPE_LONG ? 4 : 3));
		struct rcase c;

		/* Every fourth case in february 2028 (leap), one in eight in 2027's. */
		if (i % 4 == 0)
			month = 14;
		else if (i % 8 == 1)
			month = 2;
		random_case(&x, shape, month, &c);
		check_case(&c, shape, seed, &x);
	}
}

static void test_random_short(void **state)
{
	(void)state;
	run_random(SHAPE_SHORT, 3000, 1000000);
}

static void test_random_boundary(void **state)
{
	(void)state;
	run_random(SHAPE_BOUNDARY, 60, 2000000);
}

static void test_random_long(void **state)
{
	(void)state;
	run_random(SHAPE_LONG, 16, 3000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_period_table),     cmocka_unit_test(test_registration_table),
	        cmocka_unit_test(test_in_service_edges), cmocka_unit_test(test_parsed_policy),
	        cmocka_unit_test(test_month_table),      cmocka_unit_test(test_random_short),
	        cmocka_unit_test(test_random_boundary),  cmocka_unit_test(test_random_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
