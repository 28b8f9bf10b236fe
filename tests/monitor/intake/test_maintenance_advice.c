/* SPDX-License-Identifier: MIT */
/*
 * test_maintenance_advice.c — spec_maintenance_advice() (maintenance_spec.h)
 * as a pure function over made-up windows and policies: the cap's figures
 * are the accounting's (notice and service window applied, a month at a
 * time, a window across two months judged in each), a cap of 0 credits
 * nothing, overlaps name the other windows (cancelled ones do not stand),
 * and a crowd of overlaps is counted, not dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "monitor/intake/maintenance_spec.h"
#include "monitor/store/store.h"
#include "policy/policy.h"

#define HOUR ((int64_t)3600000)
#define DAY  (24 * HOUR)
/* 2099-01-01T00:00:00Z, a Thursday. */
#define JAN ((int64_t)4070908800000)
#define FEB (JAN + 31 * DAY)

static void parse(struct rw_policy *p, const char *json)
{
	char err[256];

	if (policy_parse(p, json, strlen(json), "test", NULL, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static struct store_maintenance win(int64_t id, int64_t from, int64_t to, int64_t declared)
{
	struct store_maintenance m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.runner_id = 1;
	m.start_ms = from;
	m.end_ms = to;
	m.declared_ms = declared;
	return m;
}

static const struct maint_warning *kind(const struct maint_advice *a, const char *k, size_t nth)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->w[i].kind, k) == 0 && nth-- == 0)
			return &a->w[i];
	return NULL;
}

static void test_cap(void **state)
{
	struct rw_policy p;
	struct maint_advice a;
	struct store_maintenance ws[4];
	const struct maint_warning *w;

	(void)state;
	parse(&p, "{\"version\": 1, \"maintenance\": {\"min_notice_h\": 24, "
	          "\"max_h_per_month\": 4}}");
	/* 3 h in time, then 2 h in time: over the cap by 1 h. */
	ws[0] = win(1, JAN + 2 * DAY, JAN + 2 * DAY + 3 * HOUR, JAN);
	ws[1] = win(2, JAN + 5 * DAY, JAN + 5 * DAY + 2 * HOUR, JAN);
	spec_maintenance_advice(&p, 1, ws, 1, 1, &a);
	assert_int_equal(a.n, 0);
	spec_maintenance_advice(&p, 1, ws, 2, 2, &a);
	assert_int_equal(a.n, 1);
	w = kind(&a, "cap_exceeded", 0);
	assert_non_null(w);
	assert_int_equal(w->month_start_ms, JAN);
	assert_int_equal(w->used_ms, 3 * HOUR);
	assert_int_equal(w->declared_ms, 5 * HOUR);
	assert_int_equal(w->cap_ms, 4 * HOUR);
	assert_non_null(strstr(w->detail, "5 h of maintenance are now declared in 2099-01"));
	/* The same 2 h declared too late: no notice, no credit, nothing over
	 * the cap (its notice is the CLI's other line). */
	ws[1] = win(2, JAN + 5 * DAY, JAN + 5 * DAY + 2 * HOUR, JAN + 5 * DAY);
	spec_maintenance_advice(&p, 1, ws, 2, 2, &a);
	assert_int_equal(a.n, 0);
	/* The cap used up by two windows: a third says so. */
	ws[1] = win(2, JAN + 5 * DAY, JAN + 5 * DAY + 2 * HOUR, JAN);
	ws[2] = win(3, JAN + 9 * DAY, JAN + 9 * DAY + HOUR, JAN);
	spec_maintenance_advice(&p, 1, ws, 3, 3, &a);
	w = kind(&a, "cap_used", 0);
	assert_non_null(w);
	assert_int_equal(w->used_ms, 4 * HOUR);
	/* Across two months: January is used up, February is not. */
	ws[3] = win(4, FEB - HOUR, FEB + HOUR, JAN);
	spec_maintenance_advice(&p, 1, ws, 4, 4, &a);
	assert_int_equal(a.n, 1);
	assert_int_equal(kind(&a, "cap_used", 0)->month_start_ms, JAN);
	policy_deinit(&p);

	/* Outside the service window nothing is credited, nor over the cap. */
	parse(&p, "{\"version\": 1, \"maintenance\": {\"min_notice_h\": 0, "
	          "\"max_h_per_month\": 1}, \"service_window\": {\"weekly\": "
	          "[{\"days\": \"mon-fri\", \"from\": \"08:00\", \"to\": \"18:00\"}]}}");
	ws[0] = win(1, JAN + 2 * DAY, JAN + 2 * DAY + 20 * HOUR, JAN); /* Saturday */
	spec_maintenance_advice(&p, 1, ws, 1, 1, &a);
	assert_int_equal(a.n, 0);
	ws[1] = win(2, JAN + 4 * DAY, JAN + 4 * DAY + 20 * HOUR, JAN); /* Monday */
	spec_maintenance_advice(&p, 1, ws, 2, 2, &a);
	w = kind(&a, "cap_exceeded", 0);
	assert_non_null(w);
	assert_int_equal(w->declared_ms, 10 * HOUR);
	policy_deinit(&p);

	/* A cap of 0 credits nothing: said once. */
	parse(&p, "{\"version\": 1, \"maintenance\": {\"min_notice_h\": 0, "
	          "\"max_h_per_month\": 0}}");
	spec_maintenance_advice(&p, 1, ws, 1, 1, &a);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.w[0].detail, "credits no maintenance"));
	policy_deinit(&p);
}

static void test_overlaps(void **state)
{
	struct rw_policy p;
	struct maint_advice a;
	struct store_maintenance ws[14];

	(void)state;
	parse(&p, "{\"version\": 1, \"maintenance\": {\"min_notice_h\": 0, "
	          "\"max_h_per_month\": 744}}");
	ws[0] = win(10, JAN + DAY, JAN + DAY + 4 * HOUR, JAN);
	ws[1] = win(11, JAN + DAY + 4 * HOUR, JAN + DAY + 5 * HOUR, JAN); /* touches: no */
	ws[2] = win(12, JAN + DAY - HOUR, JAN + DAY + HOUR, JAN);
	ws[2].removed_ms = JAN; /* cancelled: stands no more */
	ws[3] = win(13, JAN + DAY + HOUR, JAN + DAY + 2 * HOUR, JAN);
	spec_maintenance_advice(&p, 1, ws, 4, 10, &a);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.w[0].kind, "overlap");
	assert_int_equal(a.w[0].window_id, 13);
	assert_int_equal(a.w[0].start_ms, JAN + DAY + HOUR);
	assert_int_equal(a.w[0].end_ms, JAN + DAY + 2 * HOUR);
	assert_non_null(strstr(a.w[0].detail, "maintenance 13 (2099-01-02T01:00:00"));
	/* Many: the first ones named, the rest counted; room stays for the cap. */
	for (int i = 1; i < 14; i++)
		ws[i] = win(20 + i, JAN + DAY, JAN + DAY + HOUR, JAN);
	spec_maintenance_advice(&p, 1, ws, 14, 10, &a);
	assert_int_equal(a.n, MAINT_ADVICE_MAX - 2);
	assert_int_equal(a.n + a.n_more, 13);
	/* A window that is not among them: no advice. */
	spec_maintenance_advice(&p, 1, ws, 14, 99, &a);
	assert_int_equal(a.n, 0);
	policy_deinit(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cap),
	        cmocka_unit_test(test_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
