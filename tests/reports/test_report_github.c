/* SPDX-License-Identifier: MIT */
/*
 * test_report_github.c — the monthly report's GitHub pools
 * (reports/monthly_pools.h) on the scripted June 2024 of
 * report_fixture.h's rfx_build_github(): which pools are reported, their
 * members, and the pickup figures of a scripted set of workflow jobs (in
 * time, late, cancelled, waiting at the month's end, started after it,
 * delivered out of order and twice, of other owners, repositories and
 * labels, before a pool existed), checked in the model and in the JSON, which
 * validates against contrib/schema/report.schema.json; each format against
 * its golden file; an operator filter; the same database gives the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_fixture.h"
#include "schema_check.h"

#define S 1000

/* After June, so it is not partial. */
static int64_t later(void)
{
	return rfx_ms(2024, 7, 10, 0, 0);
}

static cJSON *load_schema(void)
{
	char path[512], *text;
	cJSON *schema;

	snprintf(path, sizeof(path), "%s/contrib/schema/report.schema.json", RW_SOURCE_DIR);
	text = rwt_slurp(path, NULL);
	assert_non_null(text);
	schema = cJSON_Parse(text);
	free(text);
	assert_non_null(schema);
	return schema;
}

static cJSON *render_json(const struct monthly *m)
{
	char *text = rfx_render(m, REPORT_JSON, NULL);
	cJSON *doc = cJSON_Parse(text);

	assert_non_null(doc);
	free(text);
	return doc;
}

static const cJSON *by_name(const cJSON *array, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, array)
	{
		const cJSON *n = cJSON_GetObjectItem(e, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return e;
	}
	return NULL;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is not a number", key);
	return v->valuedouble;
}

static const struct monthly_pool *pool(const struct monthly *m, const char *name)
{
	for (size_t i = 0; i < m->n_pools; i++)
		if (strcmp(m->runners[m->pools[i].runner].sr->name, name) == 0)
			return &m->pools[i];
	return NULL;
}

static void test_figures(void **state)
{
	struct rfx *f = *state;
	const struct monthly_pool *p;
	const cJSON *pools, *e, *jobs, *runners;
	struct policy_source ps;
	struct monthly m;
	cJSON *schema = load_schema(), *doc;
	char err[512];

	rfx_build_github(f);
	rfx_monthly(f, 2024, 6, later(), NULL, &ps, 0, &m);
	assert_false(m.partial);

	/* The runners: 4 pools registered, 2 not in June (pending, retired in
	 * May); 7 members, 2 not in June (retired in May, first seen July 1st). */
	assert_int_equal(m.n_runners, 9);
	assert_non_null(rfx_runner(&m, "rv-plain"));
	assert_non_null(rfx_runner(&m, "gh-rv/rv-3")); /* retired on the 10th */
	assert_null(rfx_runner(&m, "gh-pending"));
	assert_null(rfx_runner(&m, "gh-gone"));
	assert_null(rfx_runner(&m, "gh-rv/rv-old"));
	assert_null(rfx_runner(&m, "gh-s390/s390-c"));

	/* The pools, by name. */
	assert_int_equal(m.n_pools, 3);
	assert_string_equal(m.runners[m.pools[0].runner].sr->name, "gh-rv");
	assert_string_equal(m.runners[m.pools[1].runner].sr->name, "gh-s390");
	assert_string_equal(m.runners[m.pools[2].runner].sr->name, "gh-x64");

	/* gh-rv: 3 members; 8 jobs queued, 5 in time; waits 60 120 180 299 300
	 * 600 600 1200 s. */
	p = pool(&m, "gh-rv");
	assert_int_equal(p->members, 3);
	assert_true(p->has_pickup);
	assert_int_equal(p->jobs.queued, 8);
	assert_int_equal(p->jobs.started_in_time, 5);
	assert_int_equal(p->started_share_ppm, 625000);
	assert_int_equal(p->jobs.wait_p50_ms, 299 * S);
	assert_int_equal(p->jobs.wait_p95_ms, 1200 * S);
	assert_int_equal(p->jobs.wait_max_ms, 1200 * S);

	/* gh-s390: 2 members, no deadline. */
	p = pool(&m, "gh-s390");
	assert_int_equal(p->members, 2);
	assert_false(p->has_pickup);
	assert_int_equal(p->jobs.queued, 0);

	/* gh-x64: from its registration on the 10th: 2 jobs, 1 in time. */
	p = pool(&m, "gh-x64");
	assert_int_equal(p->members, 0);
	assert_int_equal(p->jobs.queued, 2);
	assert_int_equal(p->jobs.started_in_time, 1);
	assert_int_equal(p->started_share_ppm, 500000);
	assert_int_equal(p->jobs.wait_p50_ms, 120 * S);
	assert_int_equal(p->jobs.wait_p95_ms, 900 * S);
	assert_int_equal(p->jobs.wait_max_ms, 900 * S);

	/* The same figures in the JSON, which validates. */
	doc = render_json(&m);
	if (schema_check(schema, doc, err, sizeof(err)) != 0)
		fail_msg("the June report does not validate: %s", err);
	pools = cJSON_GetObjectItem(doc, "github_pools");
	assert_int_equal(cJSON_GetArraySize(pools), 3);
	e = by_name(pools, "gh-rv");
	assert_non_null(e);
	assert_string_equal(cJSON_GetObjectItem(e, "operator")->valuestring, "acme");
	assert_string_equal(cJSON_GetObjectItem(e, "source")->valuestring, "acme");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "labels"), 0)->valuestring,
	                    "RISCV64");
	assert_true(num(e, "min_online") == 1);
	assert_true(num(e, "pickup_within_s") == 300);
	assert_true(num(e, "members") == 3);
	jobs = cJSON_GetObjectItem(e, "jobs");
	assert_true(num(jobs, "queued") == 8);
	assert_true(num(jobs, "started_within") == 5);
	assert_true(num(jobs, "started_within_share") == 0.625);
	assert_true(num(jobs, "queue_wait_p50_ms") == 299000);
	assert_true(num(jobs, "queue_wait_p95_ms") == 1200000);
	assert_true(num(jobs, "queue_wait_max_ms") == 1200000);
	e = by_name(pools, "gh-s390");
	assert_string_equal(cJSON_GetObjectItem(e, "source")->valuestring, "globex/ci");
	assert_true(num(e, "members") == 2);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "jobs")));
	e = by_name(pools, "gh-x64");
	assert_true(num(e, "members") == 0);
	jobs = cJSON_GetObjectItem(e, "jobs");
	assert_true(num(jobs, "queued") == 2);
	assert_true(num(jobs, "started_within") == 1);
	assert_true(num(jobs, "started_within_share") == 0.5);
	assert_true(num(jobs, "queue_wait_p50_ms") == 120000);
	assert_true(num(jobs, "queue_wait_p95_ms") == 900000);
	assert_true(num(jobs, "queue_wait_max_ms") == 900000);

	/* A member says its pool; other runners do not. */
	runners = cJSON_GetObjectItem(doc, "runners");
	assert_string_equal(
	        cJSON_GetObjectItem(by_name(runners, "gh-rv/rv-2"), "pool")->valuestring, "gh-rv");
	assert_string_equal(
	        cJSON_GetObjectItem(by_name(runners, "gh-s390/s390-b"), "pool")->valuestring,
	        "gh-s390");
	assert_null(cJSON_GetObjectItem(by_name(runners, "gh-rv"), "pool"));
	assert_null(cJSON_GetObjectItem(by_name(runners, "rv-plain"), "pool"));
	cJSON_Delete(doc);
	cJSON_Delete(schema);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* The tables for people and the CSV's columns. */
static void test_tables(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;
	char *md, *csv, *html;

	rfx_build_github(f);
	rfx_monthly(f, 2024, 6, later(), NULL, &ps, 0, &m);
	md = rfx_render(&m, REPORT_MD, NULL);
	assert_non_null(strstr(md, "\n## GitHub pools\n"));
	assert_non_null(strstr(md, "| gh-rv | acme | acme | RISCV64, self-hosted | 1 | 5 min | 3 | "
	                           "8 | 5 (62.500%) | 4 min | 20 min | 20 min |\n"));
	assert_non_null(strstr(md, "| gh-s390 | globex | globex/ci | s390x | 1 | - | 2 | - | - | "
	                           "- | - | - |\n"));
	assert_non_null(strstr(md, "| gh-x64 | acme | Acme/Rust | self-hosted, x64 | 0 | 10 min | "
	                           "0 | 2 | 1 (50.000%) | 2 min | 15 min | 15 min |\n"));
	/* Members and pools are runners, and say so in their notes. */
	assert_non_null(strstr(md, "| member of gh-rv; registered 2024-06-15 |"));
	assert_non_null(strstr(md, "| member of gh-rv; retired 2024-06-10 |"));
	assert_non_null(strstr(md, "| GitHub pool; registered 2024-06-10 |"));
	csv = rfx_render(&m, REPORT_CSV, NULL);
	assert_non_null(strstr(csv, ",latency_p95_ms,pool,github,labels,min_online,"
	                            "pickup_within_s,members,jobs_queued,jobs_started_within,"
	                            "jobs_started_within_share,queue_wait_p50_ms,"
	                            "queue_wait_p95_ms,queue_wait_max_ms\r\n"));
	assert_non_null(strstr(
	        csv, ",acme,RISCV64 self-hosted,1,300,3,8,5,0.625,299000,1200000,1200000\r\n"));
	assert_non_null(strstr(csv, ",globex/ci,s390x,1,0,2,,,,,,\r\n"));
	assert_non_null(strstr(csv, ",gh-s390,,,,,,,,,,,\r\n")); /* a member's row */
	html = rfx_render(&m, REPORT_HTML, NULL);
	assert_non_null(strstr(html, "<h2 id=\"github-pools\">GitHub pools</h2>"));
	assert_non_null(strstr(html, "<table class=\"pools\">"));
	free(md);
	free(csv);
	free(html);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* With --operator, only that operator's pools and members. */
static void test_operator(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;

	rfx_build_github(f);
	rfx_monthly(f, 2024, 6, later(), "globex", &ps, 0, &m);
	assert_int_equal(m.n_runners, 3); /* gh-s390 and two members */
	assert_int_equal(m.n_pools, 1);
	assert_int_equal(m.pools[0].members, 2);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

static const struct {
	enum report_format fmt;
	const char *ext;
} fmts[] = {{REPORT_MD, "md"}, {REPORT_JSON, "json"}, {REPORT_CSV, "csv"}, {REPORT_HTML, "html"}};

/* Each format against its golden file; rendering twice gives the same bytes. */
static void test_golden(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;

	rfx_build_github(f);
	rfx_monthly(f, 2024, 6, later(), NULL, &ps, 0, &m);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char name[64];
		size_t n1, n2;
		char *a = rfx_render(&m, fmts[i].fmt, &n1), *b = rfx_render(&m, fmts[i].fmt, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(a, b, n1);
		snprintf(name, sizeof(name), "monthly-github-2024-06.%s", fmts[i].ext);
		rfx_golden(name, a, n1);
		free(a);
		free(b);
	}
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* The same history in another database, reported at another time: the same
 * bytes in every format. */
static void test_rebuild_same_bytes(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps1, ps2;
	struct monthly m1, m2;
	void *g = NULL;

	rfx_build_github(f);
	rfx_monthly(f, 2024, 6, later(), NULL, &ps1, 0, &m1);
	assert_int_equal(rfx_setup(&g), 0);
	rfx_build_github(g);
	rfx_monthly(g, 2024, 6, later() + 50 * RFX_DAY, NULL, &ps2, 0, &m2);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		size_t na, nb;
		char *a = rfx_render(&m1, fmts[i].fmt, &na), *b = rfx_render(&m2, fmts[i].fmt, &nb);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
		free(a);
		free(b);
	}
	monthly_deinit(&m1);
	monthly_deinit(&m2);
	policy_source_deinit(&ps1);
	policy_source_deinit(&ps2);
	rfx_teardown(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_figures, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_tables, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_operator, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_golden, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_rebuild_same_bytes, rfx_setup, rfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
