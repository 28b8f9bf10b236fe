/* SPDX-License-Identifier: MIT */
/*
 * test_report_monthly.c — the monthly compliance report as a library
 * (reports/monthly.h, monthly_render.h) on the scripted history of
 * report_fixture.h: the figures of every runner checked by hand (leap
 * February, 31-day March, maintenance over the cap, an indeterminate runner,
 * a runner registered mid-month, a retired one, pending and long-retired
 * runners left out), incidents with their times to acknowledge and mitigate,
 * targets against the pool minimum, operators, the monitor's own coverage,
 * the policy in force at the month's end, an operator filter, a partial
 * month; then each format against its golden file, twice (same bytes).
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

#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "report_fixture.h"
#include "schema_check.h"

#define H RFX_HOUR
#define M RFX_MIN

/* After both months, so neither is partial. */
static int64_t later(void)
{
	return rfx_ms(2024, 4, 10, 0, 0);
}

/* The runner's own time in @p t: every state but not_registered. */
static int64_t sum_ms(const struct rw_totals *t)
{
	int64_t s = 0;

	for (int k = 0; k < RW_STATE_COUNT; k++)
		if (k != RW_STATE_NOT_REGISTERED)
			s += t->ms[k];
	return s;
}

static const struct monthly_target *target(const struct monthly *m, const char *name)
{
	for (size_t i = 0; i < m->n_targets; i++)
		if (strcmp(m->targets[i].name, name) == 0)
			return &m->targets[i];
	return NULL;
}

static const struct monthly_operator *op(const struct monthly *m, const char *name)
{
	for (size_t i = 0; i < m->n_operators; i++)
		if (strcmp(m->operators[i].name, name) == 0)
			return &m->operators[i];
	return NULL;
}

/* The days of a runner sum to its month, its six states to the period,
 * and all but not_registered to its part. */
static void check_sums(const struct monthly *m)
{
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		int64_t period = m->period_end_ms - m->month_start_ms;
		struct rw_totals t = {{0}};
		for (size_t d = 0; d < m->n_days; d++)
			for (int k = 0; k < RW_STATE_COUNT; k++)
				t.ms[k] += r->days[d].ms[k];
		assert_memory_equal(&t, &r->avail.totals, sizeof(t));
		assert_int_equal(sum_ms(&r->avail.totals), r->to_ms - r->from_ms);
		assert_int_equal(r->avail.totals.ms[RW_STATE_NOT_REGISTERED],
		                 period - (r->to_ms - r->from_ms));
	}
}

static void test_february(void **state)
{
	struct rfx *f = *state;
	int64_t ms = rfx_ms(2024, 2, 1, 0, 0), me = rfx_ms(2024, 3, 1, 0, 0);
	const struct monthly_runner *r;
	const struct monthly_target *t;
	const struct monthly_operator *o;
	struct policy_source ps;
	struct monthly m;

	rfx_build_history(f);
	rfx_monthly(f, 2024, 2, later(), NULL, &ps, 0, &m);
	assert_false(m.partial);
	assert_int_equal(m.period_end_ms, me);
	assert_int_equal(m.n_days, 29);
	assert_int_equal(m.as_of_ms, rfx_ms(2024, 4, 1, 1, 0));
	assert_int_equal(m.generated_ms, -1);
	/* The policy in force on the 29th: v1, not v2 (March 15th) nor v3. */
	assert_string_equal(ps.sha256, f->sha[0]);
	assert_int_equal(ps.pol.version, 1);
	assert_int_equal(ps.effective_ms, rfx_ms(2024, 1, 1, 0, 0));
	assert_string_equal(ps.origin, "policy_versions #1");

	/* Pending and long-retired runners are not in it. */
	assert_int_equal(m.n_runners, 4);
	assert_null(rfx_runner(&m, "rv-pending"));
	assert_null(rfx_runner(&m, "s390-old"));
	/* By name. */
	assert_string_equal(m.runners[0].sr->name, "arm-delta");
	assert_string_equal(m.runners[3].sr->name, "s390-gamma");
	check_sums(&m);

	/* rv-alpha: 6 h down, then 10 h of maintenance with 48 h notice, down
	 * throughout: 8 h credited (the cap), 2 h over it count as down. */
	r = rfx_runner(&m, "rv-alpha");
	assert_non_null(r);
	assert_int_equal(r->from_ms, ms);
	assert_int_equal(r->to_ms, me);
	assert_int_equal(r->avail.totals.ms[RW_STATE_MAINTENANCE], 8 * H);
	assert_int_equal(r->avail.totals.ms[RW_STATE_DOWN], 8 * H);
	assert_int_equal(r->avail.totals.ms[RW_STATE_UNKNOWN], H); /* the monitor's hour */
	assert_int_equal(r->avail.totals.ms[RW_STATE_UP], 696 * H - 17 * H);
	assert_int_equal(r->maint_used_ms, 8 * H);
	assert_int_equal(r->maint_over_cap_ms, 2 * H);
	assert_int_equal(r->maint_declared_ms, 10 * H);
	assert_int_equal(r->avail.floor_ppm, 990000);
	assert_int_equal(r->uptime_ppm, (uint32_t)((int64_t)679 * 1000000 / 687));
	assert_int_equal(r->avail.verdict, RW_VERDICT_FAIL);
	assert_int_equal(r->n_incidents, 2);
	assert_int_equal(r->longest_incident_ms, 10 * H);
	assert_true(r->active_at_end);
	/* Probes: every 10 minutes while up or down, a blip every 97th. */
	assert_true(r->samples > 28 * 144 && r->samples <= 29 * 144);
	assert_true(r->blips >= 40 && r->blips <= 45);
	assert_true(r->p50_us >= 20000 && r->p50_us <= 50000);
	assert_true(r->p95_us >= r->p50_us && r->p95_us <= 53125);

	/* rv-beta: up all month but the monitor's hour. */
	r = rfx_runner(&m, "rv-beta");
	assert_int_equal(r->avail.verdict, RW_VERDICT_PASS);
	assert_int_equal(r->uptime_ppm, 1000000);
	assert_int_equal(r->avail.totals.ms[RW_STATE_UNKNOWN], H);
	assert_int_equal(r->n_incidents, 0);
	assert_int_equal(r->longest_incident_ms, -1);

	/* s390-gamma: nine days unknown: coverage below 90 %, uptime 100 %. */
	r = rfx_runner(&m, "s390-gamma");
	assert_int_equal(r->avail.verdict, RW_VERDICT_INDETERMINATE);
	assert_int_equal(r->avail.totals.ms[RW_STATE_UNKNOWN], 9 * RFX_DAY + H);
	assert_int_equal(r->coverage_ppm,
	                 (uint32_t)((696 * H - 9 * RFX_DAY - H) * 1000000 / (696 * H)));
	assert_int_equal(r->avail.floor_ppm, 990000); /* the strictest of tiers 2 and 3 */

	/* arm-delta: judged from its registration on the 10th, at tier 3. */
	r = rfx_runner(&m, "arm-delta");
	assert_int_equal(r->from_ms, rfx_ms(2024, 2, 10, 12, 0));
	assert_int_equal(r->avail.floor_ppm, 950000);
	assert_int_equal(r->avail.totals.ms[RW_STATE_DOWN], 12 * H);
	assert_int_equal(r->avail.totals.ms[RW_STATE_UNKNOWN], 10 * M + H);
	assert_int_equal(r->avail.verdict, RW_VERDICT_PASS);
	/* Its days before registration are not its own: not_registered. */
	assert_int_equal(sum_ms(&r->days[8]), 0);
	assert_int_equal(r->days[8].ms[RW_STATE_NOT_REGISTERED], RFX_DAY);
	assert_int_equal(sum_ms(&r->days[9]), 12 * H);
	assert_int_equal(r->days[9].ms[RW_STATE_NOT_REGISTERED], 12 * H);
	assert_int_equal(sum_ms(&r->days[10]), RFX_DAY);
	assert_int_equal(r->avail.totals.ms[RW_STATE_NOT_REGISTERED], 9 * RFX_DAY + 12 * H);

	/* Incidents, by start, with their times. */
	assert_int_equal(m.n_incidents, 3);
	assert_string_equal(m.runners[m.incidents[0].runner].sr->name, "rv-alpha");
	assert_int_equal(m.incidents[0].duration_ms, 6 * H);
	assert_int_equal(m.incidents[0].tta_ms, 30 * M);
	assert_int_equal(m.incidents[0].ttm_ms, 2 * H);
	assert_int_equal(m.incidents[1].tta_ms, 5 * M);
	assert_int_equal(m.incidents[1].ttm_ms, 10 * H);
	assert_string_equal(m.runners[m.incidents[2].runner].sr->name, "arm-delta");
	assert_int_equal(m.incidents[2].tta_ms, 2 * H);
	assert_int_equal(m.incidents[2].ttm_ms, 12 * H);
	assert_false(m.incidents[2].open);

	/* Targets against v1's pool minimum of 2. */
	assert_int_equal(m.n_targets, 3);
	t = target(&m, RFX_RISCV);
	assert_int_equal(t->tier, 2);
	assert_int_equal(t->runners, 2);
	assert_int_equal(t->compliant, 1);
	assert_false(t->pool_met);
	t = target(&m, RFX_ARMV7);
	assert_int_equal(t->tier, 3);
	assert_int_equal(t->floor_ppm, 950000);
	assert_int_equal(t->runners, 2);
	assert_int_equal(t->compliant, 1);

	/* Operators. */
	assert_int_equal(m.n_operators, 3);
	o = op(&m, "acme");
	assert_int_equal(o->runners, 2);
	assert_int_equal(o->pass, 1);
	assert_int_equal(o->fail, 1);
	assert_int_equal(o->incidents, 2);
	assert_int_equal(o->unacknowledged, 0);
	assert_int_equal(o->tta_median_ms, 5 * M); /* the lower median of 5 and 30 min */
	assert_int_equal(o->ttm_median_ms, 2 * H);
	o = op(&m, "globex");
	assert_int_equal(o->indeterminate, 1);
	assert_int_equal(o->tta_median_ms, -1);

	assert_int_equal(m.verdicts[RW_VERDICT_PASS], 2);
	assert_int_equal(m.verdicts[RW_VERDICT_FAIL], 1);
	assert_int_equal(m.verdicts[RW_VERDICT_INDETERMINATE], 1);
	assert_int_equal(m.rollup_days, 29);

	/* The monitor: down an hour (stored once, not also as "not_running"). */
	assert_int_equal(m.monitor.n_blind, 1);
	assert_string_equal(m.monitor.blind[0].cause, "downtime");
	assert_int_equal(m.monitor.blind_ms, H);
	assert_int_equal(m.monitor.coverage_ppm, (uint32_t)(695 * 1000000 / 696));

	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

static void test_march(void **state)
{
	struct rfx *f = *state;
	int64_t me = rfx_ms(2024, 4, 1, 0, 0);
	const struct monthly_runner *r;
	const struct monthly_incident *last;
	struct policy_source ps;
	struct monthly m;

	rfx_build_history(f);
	rfx_monthly(f, 2024, 3, later(), NULL, &ps, 0, &m);
	assert_int_equal(m.n_days, 31);
	assert_string_equal(ps.sha256, f->sha[1]); /* v2, in force from the 15th */
	assert_int_equal(ps.pol.probe.failures_to_down, 4);
	check_sums(&m);

	/* rv-beta: retired on the 20th at noon: judged up to then, and no longer
	 * part of its target's pool. */
	r = rfx_runner(&m, "rv-beta");
	assert_non_null(r);
	assert_int_equal(r->to_ms, rfx_ms(2024, 3, 20, 12, 0));
	assert_false(r->active_at_end);
	assert_int_equal(r->avail.verdict, RW_VERDICT_PASS);
	assert_int_equal(sum_ms(&r->days[19]), 12 * H);
	assert_int_equal(sum_ms(&r->days[20]), 0);
	assert_int_equal(r->avail.totals.ms[RW_STATE_NOT_REGISTERED], 11 * RFX_DAY + 12 * H);
	assert_int_equal(target(&m, RFX_RISCV)->runners, 1);
	assert_true(target(&m, RFX_RISCV)->pool_met); /* v2: a pool of 1 */

	/* s390-gamma: an hour down, then 4 h of short-notice maintenance that
	 * is not credited: 5 h down of 744, PASS; one incident unacknowledged. */
	r = rfx_runner(&m, "s390-gamma");
	assert_int_equal(r->avail.totals.ms[RW_STATE_DOWN], 5 * H);
	assert_int_equal(r->avail.totals.ms[RW_STATE_MAINTENANCE], 0);
	assert_int_equal(r->maint_used_ms, 0);
	assert_int_equal(r->maint_over_cap_ms, 0);
	assert_int_equal(r->maint_declared_ms, 4 * H);
	assert_int_equal(r->avail.verdict, RW_VERDICT_PASS);
	assert_int_equal(op(&m, "globex")->unacknowledged, 1);

	/* arm-delta: down from the 30th and still open at the end: FAIL. The
	 * cancelled window is not counted. */
	r = rfx_runner(&m, "arm-delta");
	assert_int_equal(r->avail.totals.ms[RW_STATE_DOWN], 48 * H);
	assert_int_equal(r->maint_declared_ms, 0);
	assert_int_equal(r->avail.verdict, RW_VERDICT_FAIL);
	last = &m.incidents[m.n_incidents - 1];
	assert_true(last->open);
	assert_int_equal(last->duration_ms, 48 * H);
	assert_int_equal(last->tta_ms, 6 * H);
	assert_int_equal(last->ttm_ms, -1);
	assert_int_equal(r->longest_incident_ms, 48 * H);

	/* rv-alpha: all up; blips under failures_to_down 4 as under 3 (every
	 * failure run is a single probe). */
	r = rfx_runner(&m, "rv-alpha");
	assert_int_equal(r->avail.verdict, RW_VERDICT_PASS);
	assert_true(r->blips >= 45 && r->blips <= 47);

	/* The canaries' half hour. */
	assert_int_equal(m.monitor.n_blind, 1);
	assert_string_equal(m.monitor.blind[0].cause, "canary");
	assert_int_equal(m.monitor.blind_ms, 30 * M);
	assert_int_equal(m.period_end_ms, me);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* --policy FILE replaces the stored one; --operator narrows every section. */
static void test_policy_file_and_operator(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;
	char path[256], err[256];

	rfx_build_history(f);
	rfx_write_file(f->dir, "lenient.json", "{ \"version\": 7, \"uptime_floor\": 0.9 }\n", path,
	               sizeof(path));
	policy_source_init(&ps);
	assert_int_equal(policy_source_file(&ps, path, NULL, err, sizeof(err)), 0);
	rfx_monthly(f, 2024, 2, later(), "acme", &ps, 1, &m);
	assert_int_equal(m.n_runners, 2);
	assert_int_equal(m.n_operators, 1);
	assert_string_equal(m.operators[0].name, "acme");
	assert_int_equal(rfx_runner(&m, "rv-alpha")->avail.verdict, RW_VERDICT_PASS);
	assert_int_equal(rfx_runner(&m, "rv-alpha")->avail.floor_ppm, 900000);
	assert_int_equal(m.n_incidents, 2);
	assert_int_equal(m.n_targets, 1);
	monthly_deinit(&m);
	policy_source_deinit(&ps);

	/* An unknown operator is an error that names it. */
	{
		struct monthly_opts o = {.now_ms = later(), .operator_name = "nobody"};
		o.month_start_ms = rfx_ms(2024, 2, 1, 0, 0);
		o.month_end_ms = rfx_ms(2024, 3, 1, 0, 0);
		policy_source_init(&ps);
		assert_int_equal(monthly_run(f->st, &ps, &o, &m, err, sizeof(err)), RW_ENOENT);
		assert_non_null(strstr(err, "nobody"));
		policy_source_deinit(&ps);
	}
}

/* A month that is not over is counted up to the last tick and says so. */
static void test_partial_month(void **state)
{
	struct rfx *f = *state;
	int64_t ms = rfx_ms(2024, 3, 1, 0, 0), tick = rfx_ms(2024, 3, 15, 23, 59);
	struct store_rec rec = {.kind = STORE_REC_CHANGE};
	struct store_rec tk = {.kind = STORE_REC_TICK};
	struct store_runner r;
	struct policy_source ps;
	struct monthly m;
	int64_t run = 0, prev = 0, op_id = 0;
	uint8_t tok[32] = {1};
	char *targets[] = {(char *)RFX_RISCV}, *md, *json;
	cJSON *doc;

	assert_int_equal(store_operator_add(f->st, "acme", "a@example.org", tok, 0, &op_id), 0);
	memset(&r, 0, sizeof(r));
	r.operator_id = op_id;
	r.name = (char *)"r1";
	r.kind = (char *)"http";
	r.url = (char *)"https://r1.example.org/";
	r.targets = targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(f->st, &r, ms - 30 * RFX_DAY), 0);
	rec.u.change.runner_id = r.id;
	rec.u.change.start_ms = ms - 30 * RFX_DAY;
	rec.u.change.state = RW_STATE_UP;
	assert_int_equal(store_write_batch(f->st, &rec, 1), 0);
	assert_int_equal(store_run_begin(f->st, ms - 30 * RFX_DAY, &run, &prev), 0);
	tk.u.tick.run_id = run;
	tk.u.tick.ts_ms = tick;
	assert_int_equal(store_write_batch(f->st, &tk, 1), 0);

	rfx_monthly(f, 2024, 3, tick + 5 * M, NULL, &ps, 0, &m);
	assert_true(m.partial);
	assert_int_equal(m.period_end_ms, tick);
	assert_int_equal(m.runners[0].to_ms, tick);
	assert_int_equal(m.runners[0].avail.totals.ms[RW_STATE_UP], tick - ms);
	assert_int_equal(m.monitor.coverage_ppm, 1000000);
	assert_string_equal(ps.origin, "built-in defaults");
	md = rfx_render(&m, REPORT_MD, NULL);
	assert_non_null(strstr(md, "partial, as of 2024-03-15 23:59:00 (the monitor's last tick)"));
	assert_non_null(strstr(md, "built-in defaults, version 1"));
	json = rfx_render(&m, REPORT_JSON, NULL);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "partial")));
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "period"), "to")->valuestring,
	        "2024-03-15T23:59:00.000Z");
	assert_string_equal(cJSON_GetObjectItem(doc, "as_of")->valuestring,
	                    "2024-03-15T23:59:00.000Z");
	cJSON_Delete(doc);
	free(md);
	free(json);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* Writes a run of the connection's vantage over [from, to). */
static void vantage_run(struct store *st, int64_t from, int64_t to)
{
	struct store_rec tk = {.kind = STORE_REC_TICK};
	int64_t run = 0, prev = 0;

	assert_int_equal(store_run_begin(st, from, &run, &prev), 0);
	tk.u.tick.run_id = run;
	tk.u.tick.ts_ms = to;
	assert_int_equal(store_write_batch(st, &tk, 1), 0);
}

/* The vantage points and each one's coverage of the month, in every
 * format: "east" ran all of March but was blind 6 h (canaries); "west"
 * started on the 17th (its coverage counts from there) and ran to the
 * end. The JSON validates against the report's schema. */
static void test_vantages(void **state)
{
	struct rfx *f = *state;
	int64_t m0 = rfx_ms(2024, 3, 1, 0, 0), m1 = rfx_ms(2024, 4, 1, 0, 0), id;
	int64_t w0 = rfx_ms(2024, 3, 17, 0, 0);
	struct store_rec bl = {.kind = STORE_REC_BLIND};
	struct policy_source ps;
	struct monthly m;
	char *md, *json, *html, path[512], err[512], *text;
	cJSON *doc, *vs, *e, *schema;

	assert_int_equal(store_vantage_register(f->st, "east", m0 - RFX_DAY, &id), 0);
	vantage_run(f->st, m0 - RFX_DAY, m1 + RFX_HOUR);
	bl.u.blind.start_ms = rfx_ms(2024, 3, 5, 0, 0);
	bl.u.blind.end_ms = rfx_ms(2024, 3, 5, 6, 0);
	bl.u.blind.cause = STORE_BLIND_CANARY;
	assert_int_equal(store_write_batch(f->st, &bl, 1), 0);
	assert_int_equal(store_vantage_register(f->st, "west", w0, &id), 0);
	vantage_run(f->st, w0, m1 + RFX_HOUR);

	rfx_monthly(f, 2024, 3, m1 + RFX_DAY, NULL, &ps, 0, &m);
	assert_int_equal(m.n_vantages, 2);
	assert_string_equal(m.vantages[0].name, "east");
	assert_int_equal(m.vantages[0].cover.blind_ms, 6 * RFX_HOUR);
	assert_int_equal(m.vantages[0].cover.coverage_ppm, 991935); /* 1 - 6 h / 31 d */
	assert_string_equal(m.vantages[1].name, "west");
	assert_int_equal(m.vantages[1].cover.since_ms, w0);
	assert_int_equal(m.vantages[1].cover.coverage_ppm, 1000000);
	/* The monitor as a whole: east's blindness, west's runs do not undo it
	 * (its blind periods are the union of its daemons'). */
	assert_int_equal(m.monitor.blind_ms, 6 * RFX_HOUR);

	md = rfx_render(&m, REPORT_MD, NULL);
	assert_non_null(strstr(md, "### Vantage points"));
	assert_non_null(strstr(md, "| east | 99.193% | 6 h 00 min in 1 period |"));
	assert_non_null(
	        strstr(md, "| west | 100.000% | 0 ms in 0 periods | 2024-03-17 00:00:00 |"));
	html = rfx_render(&m, REPORT_HTML, NULL);
	assert_non_null(strstr(html, "<h3 id=\"vantages\">Vantage points</h3>"));
	assert_non_null(strstr(html, ">west<"));
	json = rfx_render(&m, REPORT_JSON, NULL);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	vs = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "summary"), "vantages");
	assert_int_equal(cJSON_GetArraySize(vs), 2);
	e = cJSON_GetArrayItem(vs, 0);
	assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, "east");
	assert_int_equal((int64_t)cJSON_GetObjectItem(e, "blind_ms")->valuedouble, 6 * RFX_HOUR);
	assert_int_equal(cJSON_GetObjectItem(e, "blind_periods")->valueint, 1);
	e = cJSON_GetArrayItem(vs, 1);
	assert_string_equal(cJSON_GetObjectItem(e, "first_seen")->valuestring,
	                    "2024-03-17T00:00:00.000Z");
	snprintf(path, sizeof(path), "%s/contrib/schema/report.schema.json", RW_SOURCE_DIR);
	text = rwt_slurp(path, NULL);
	assert_non_null(text);
	schema = cJSON_Parse(text);
	assert_non_null(schema);
	if (schema_check(schema, doc, err, sizeof(err)) != 0)
		fail_msg("the report does not validate: %s", err);
	cJSON_Delete(schema);
	free(text);
	cJSON_Delete(doc);
	free(md);
	free(html);
	free(json);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* Each format against its golden file; rendering twice gives the same bytes. */
static void check_golden(struct rfx *f, int y, unsigned mo, const char *stem)
{
	static const struct {
		enum report_format fmt;
		const char *ext;
	} fmts[] = {{REPORT_MD, "md"},
	            {REPORT_JSON, "json"},
	            {REPORT_CSV, "csv"},
	            {REPORT_HTML, "html"}};
	struct policy_source ps;
	struct monthly m;

	rfx_monthly(f, y, mo, later(), NULL, &ps, 0, &m);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char name[64];
		size_t n1, n2;
		char *a = rfx_render(&m, fmts[i].fmt, &n1), *b = rfx_render(&m, fmts[i].fmt, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(a, b, n1);
		snprintf(name, sizeof(name), "%s.%s", stem, fmts[i].ext);
		rfx_golden(name, a, n1);
		free(a);
		free(b);
	}
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

static void test_golden(void **state)
{
	struct rfx *f = *state;

	rfx_build_history(f);
	check_golden(f, 2024, 2, "monthly-2024-02");
	check_golden(f, 2024, 3, "monthly-2024-03");
}

/* The same history built twice gives the same bytes (nothing depends on
 * the wall clock, on pointers or on hash order). */
static void test_rebuild_same_bytes(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;
	char *a, *b;
	size_t na, nb;
	void *g = NULL;

	rfx_build_history(f);
	rfx_monthly(f, 2024, 2, later(), NULL, &ps, 0, &m);
	a = rfx_render(&m, REPORT_JSON, &na);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
	assert_int_equal(rfx_setup(&g), 0);
	rfx_build_history(g);
	rfx_monthly(g, 2024, 2, later() + 77 * RFX_DAY, NULL, &ps, 0, &m);
	b = rfx_render(&m, REPORT_JSON, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
	rfx_teardown(&g);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_february, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_march, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_policy_file_and_operator, rfx_setup,
	                                        rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_partial_month, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_vantages, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_golden, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_rebuild_same_bytes, rfx_setup, rfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
