/* SPDX-License-Identifier: MIT */
/*
 * test_whatif.c — `runwarden policy whatif` (reports/whatif.h, whatif_render.h,
 * policy_source.h, month.h): databases built with the store's own functions
 * (operators, runners, state changes through store_write_batch, a monitor
 * tick, a recorded policy), judged under two policies.
 *
 * Library (fixed clock): a runner at exactly 98 % passes under floor 0.95 and
 * fails under 0.99, is marked changed, and its eligibility follows the floor
 * through its rolling-window uptime; a runner at 100 % and one in probation
 * do not change; retired runners are left out; a month that is not over is
 * counted up to the last tick (or, with no tick in it, up to now, unknown)
 * and says partial; a maintenance window with
 * 48 h of notice is credited under a 24 h notice policy and not under a 72 h
 * one (verdict and eligibility); with no recorded policy the current one is
 * the defaults, hashed as their normalized JSON; month parsing.
 * CLI (real clock): the exec path `runwarden policy whatif` (RW_BIN) and
 * runwarden-report directly (RW_REPORT_BIN), text and JSON; bad NEW.json,
 * --month, --format and a missing database exit 2 with one line naming the
 * field; a runwarden with no runwarden-report beside it exits 1 saying so.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/store/policy_source.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "reports/month.h"
#include "reports/whatif.h"
#include "reports/whatif_render.h"
#include "rwtest.h"

#define MIN  ((int64_t)60 * 1000)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

#define T_RISCV "riscv64gc-unknown-linux-gnu"

struct fx {
	char dir[256];
	char db[1200];       /* a file, or a PostgreSQL URI (rwt_db()) */
	struct rwt_opts run; /* programs run in dir */
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-whatif");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	f->run.dir = f->dir;
	if (store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)) != 0) {
		print_error("store_open: %s\n", err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

/* ---- building a database ------------------------------------------------ */

static int64_t add_operator(struct store *st, const char *name)
{
	uint8_t tok[32];
	int64_t id = -1;

	memset(tok, name[0], sizeof(tok));
	assert_int_equal(store_operator_add(st, name, "ops@example.org", tok, 1000, &id), 0);
	return id;
}

static int64_t add_runner(struct store *st, int64_t op, const char *name, int status,
                          int64_t created_ms)
{
	char *targets[] = {(char *)T_RISCV};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"http";
	r.url = (char *)"https://runner.example.org/health";
	r.targets = targets;
	r.n_targets = 1;
	r.status = status;
	assert_int_equal(store_runner_add(st, &r, created_ms), 0);
	return r.id;
}

static void change(struct store *st, int64_t runner, int64_t start_ms, enum rw_state state)
{
	struct store_rec rec = {.kind = STORE_REC_CHANGE};

	rec.u.change.runner_id = runner;
	rec.u.change.start_ms = start_ms;
	rec.u.change.state = (uint8_t)state;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

/* A daemon run that started at @p started_ms and last ticked at @p tick_ms. */
static void monitor_ran(struct store *st, int64_t started_ms, int64_t tick_ms)
{
	struct store_rec rec = {.kind = STORE_REC_TICK};
	int64_t run = 0, prev = 0;

	assert_int_equal(store_run_begin(st, started_ms, &run, &prev), 0);
	rec.u.tick.run_id = run;
	rec.u.tick.ts_ms = tick_ms;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

/* Records @p body as the policy in force, as the daemon does; returns its hash. */
static void record_policy(struct store *st, const char *body, int64_t at_ms, char sha[65])
{
	struct rw_policy p;
	char err[256];

	assert_int_equal(policy_parse(&p, body, strlen(body), "stored", NULL, err, sizeof(err)), 0);
	policy_source_sha256_hex(body, strlen(body), sha);
	assert_int_equal(store_record_policy(st, sha, p.version, body, at_ms, NULL), 0);
	policy_deinit(&p);
}

static void write_file(const struct fx *f, const char *name, const char *text, char *path,
                       size_t pathlen)
{
	snprintf(path, pathlen, "%s/%s", f->dir, name);
	rwt_write_file(path, text);
}

static int64_t month_start(int y, unsigned m)
{
	return calendar_days_from_civil(y, m, 1) * DAY;
}

/* Runs whatif_run() with @p new_body as NEW.json and the wall clock at @p now_ms. */
static void run_whatif(const struct fx *f, const char *new_body, int64_t from, int64_t to,
                       int64_t now_ms, struct policy_source *cur, struct policy_source *next,
                       struct whatif_result *res)
{
	char path[256], err[512] = "";
	int rc;

	write_file(f, "new.json", new_body, path, sizeof(path));
	policy_source_init(cur);
	policy_source_init(next);
	rc = policy_source_file(next, path, NULL, err, sizeof(err));
	if (rc != 0)
		print_error("policy_source_file: %s\n", err);
	assert_int_equal(rc, 0);
	rc = policy_source_current(cur, f->st, err, sizeof(err));
	if (rc != 0)
		print_error("policy_source_current: %s\n", err);
	assert_int_equal(rc, 0);
	rc = whatif_run(f->st, cur, next, from, to, now_ms, res, err, sizeof(err));
	if (rc != 0)
		print_error("whatif_run: %s\n", err);
	assert_int_equal(rc, 0);
}

static const struct whatif_runner *find(const struct whatif_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_runners; i++)
		if (strcmp(r->runners[i].name, name) == 0)
			return &r->runners[i];
	return NULL;
}

static int64_t sum_ms(const struct rw_totals *t)
{
	int64_t s = 0;

	for (int k = 0; k < RW_STATE_COUNT; k++)
		s += t->ms[k];
	return s;
}

/* Renders @p r as text into a malloc'd string. */
static char *render_text(const struct whatif_result *r, const struct policy_source *cur,
                         const struct policy_source *next)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(whatif_render_text(m, r, cur, next), 0);
	assert_int_equal(fclose(m), 0);
	return buf;
}

/* The line of @p text that starts with @p prefix, or NULL. */
static const char *line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			return p;
	return NULL;
}

/* ---- library: floors, eligibility, partial months, maintenance ------------ */

#define POLICY_095 "{ \"version\": 1, \"uptime_floor\": 0.95 }\n"
#define POLICY_099 "{ \"version\": 2, \"uptime_floor\": 0.99 }\n"

/* March 2026 (31 days). r98 is down for exactly 2 % of it, r100 never;
 * newbie was registered two days before the end; gone is retired. */
static void test_floor_changes_verdict_and_eligibility(void **state)
{
	struct fx *f = *state;
	int64_t ms = month_start(2026, 3), me = month_start(2026, 4);
	int64_t down = (me - ms) / 50; /* 2 %: 14.88 h */
	int64_t tick = me + HOUR;
	struct policy_source cur, next;
	struct whatif_result res;
	const struct whatif_runner *w;
	char sha[65], *text;
	int64_t op, r98, r100, newbie, rolling_up;

	op = add_operator(f->st, "acme");
	r98 = add_runner(f->st, op, "r98", STORE_RUNNER_APPROVED, ms - 20 * DAY);
	r100 = add_runner(f->st, op, "r100", STORE_RUNNER_APPROVED, ms - 20 * DAY);
	newbie = add_runner(f->st, op, "newbie", STORE_RUNNER_APPROVED, me - 2 * DAY);
	add_runner(f->st, op, "gone", STORE_RUNNER_RETIRED, ms - 20 * DAY);
	change(f->st, r98, ms - 20 * DAY, RW_STATE_UP);
	change(f->st, r98, ms + 10 * DAY, RW_STATE_DOWN);
	change(f->st, r98, ms + 10 * DAY + down, RW_STATE_UP);
	change(f->st, r100, ms - 20 * DAY, RW_STATE_UP);
	change(f->st, newbie, me - 2 * DAY, RW_STATE_UP);
	monitor_ran(f->st, ms - 20 * DAY, tick);
	record_policy(f->st, POLICY_095, ms - 30 * DAY, sha);

	run_whatif(f, POLICY_099, ms, me, me + 2 * HOUR, &cur, &next, &res);
	assert_string_equal(cur.sha256, sha);
	assert_string_equal(cur.origin, "policy_versions #1");
	assert_int_equal(cur.pol.version, 1);
	assert_int_equal(next.pol.version, 2);
	assert_false(res.partial);
	assert_int_equal(res.period_end_ms, me);
	assert_int_equal(res.as_of_ms, tick);
	assert_int_equal(res.n_runners, 3); /* not the retired one */
	assert_null(find(&res, "gone"));

	/* 98 %: PASS at 0.95, FAIL at 0.99. */
	w = find(&res, "r98");
	assert_non_null(w);
	assert_int_equal(w->side[WHATIF_CURRENT].floor_ppm, 950000);
	assert_int_equal(w->side[WHATIF_NEW].floor_ppm, 990000);
	for (int k = 0; k < 2; k++) {
		const struct rw_availability *a = &w->side[k].month;
		assert_int_equal(sum_ms(&a->totals), me - ms);
		assert_int_equal(a->totals.ms[RW_STATE_DOWN], down);
		assert_int_equal(a->totals.ms[RW_STATE_UP], me - ms - down);
		assert_true(a->has_uptime);
		assert_true(a->uptime > 0.979999 && a->uptime < 0.980001);
	}
	assert_int_equal(w->side[WHATIF_CURRENT].month.verdict, RW_VERDICT_PASS);
	assert_int_equal(w->side[WHATIF_NEW].month.verdict, RW_VERDICT_FAIL);
	assert_true(w->verdict_changed);
	/* Rolling 30 days back from the tick hold the whole outage: 97.93 %. */
	rolling_up = 30 * DAY - down;
	assert_true(w->side[WHATIF_CURRENT].has_rolling);
	assert_int_equal(w->side[WHATIF_CURRENT].rolling_uptime_ppm,
	                 (uint32_t)((rolling_up * 1000000) / (30 * DAY)));
	assert_true(w->side[WHATIF_CURRENT].eligible);
	assert_null(w->side[WHATIF_CURRENT].reason);
	assert_false(w->side[WHATIF_NEW].eligible);
	assert_string_equal(w->side[WHATIF_NEW].reason, "flagged");
	assert_true(w->eligibility_changed);

	/* 100 %: nothing changes. */
	w = find(&res, "r100");
	assert_non_null(w);
	assert_int_equal(w->side[WHATIF_CURRENT].month.verdict, RW_VERDICT_PASS);
	assert_int_equal(w->side[WHATIF_NEW].month.verdict, RW_VERDICT_PASS);
	assert_true(w->side[WHATIF_CURRENT].eligible && w->side[WHATIF_NEW].eligible);
	assert_false(w->verdict_changed || w->eligibility_changed);

	/* Registered two days before the end and up since: judged on those two
	 * days (the rest of the month is not_registered, not unknown), PASS;
	 * in probation. */
	w = find(&res, "newbie");
	assert_non_null(w);
	assert_int_equal(w->side[WHATIF_NEW].month.verdict, RW_VERDICT_PASS);
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_UNKNOWN], 0);
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_UP], 2 * DAY);
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_NOT_REGISTERED],
	                 me - ms - 2 * DAY);
	assert_string_equal(w->side[WHATIF_CURRENT].reason, "probation");
	assert_string_equal(w->side[WHATIF_NEW].reason, "probation");
	assert_false(w->verdict_changed || w->eligibility_changed);

	assert_int_equal(res.verdict_changes, 1);
	assert_int_equal(res.eligibility_changes, 1);

	/* The text marks the changed row, and only it. */
	text = render_text(&res, &cur, &next);
	assert_non_null(strstr(text, "month 2026-03: complete\n"));
	assert_non_null(line_starting(text, "* r98 "));
	assert_non_null(line_starting(text, "  r100 "));
	assert_non_null(line_starting(text, "  newbie "));
	assert_non_null(strstr(text, "PASS -> FAIL"));
	assert_non_null(strstr(text, "yes -> no (flagged)"));
	assert_non_null(strstr(text, "95% -> 99%"));
	assert_non_null(strstr(text, "98.000%"));
	assert_non_null(strstr(text, "\n3 runners, 1 verdict changes, 1 eligibility changes\n"));
	free(text);

	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);

	/* Back the other way, the same runners change. */
	record_policy(f->st, POLICY_099, ms - 29 * DAY, sha);
	run_whatif(f, POLICY_095, ms, me, me + 2 * HOUR, &cur, &next, &res);
	assert_string_equal(cur.origin, "policy_versions #2");
	w = find(&res, "r98");
	assert_int_equal(w->side[WHATIF_CURRENT].month.verdict, RW_VERDICT_FAIL);
	assert_int_equal(w->side[WHATIF_NEW].month.verdict, RW_VERDICT_PASS);
	assert_true(w->side[WHATIF_NEW].eligible);
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);

	/* The admin waived newbie's probation (runner approve --no-probation):
	 * what-if judges it as the daemon does, eligible. */
	{
		struct store_status_change ch;
		assert_int_equal(store_runner_approve(f->st, newbie, me - DAY, true, &ch), 0);
		assert_true(ch.waived);
	}
	run_whatif(f, POLICY_095, ms, me, me + 2 * HOUR, &cur, &next, &res);
	w = find(&res, "newbie");
	assert_non_null(w);
	assert_null(w->side[WHATIF_CURRENT].reason);
	assert_true(w->side[WHATIF_NEW].eligible);
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);
}

/* A month that is not over is counted up to the last tick and says so. */
static void test_partial_month(void **state)
{
	struct fx *f = *state;
	int64_t ms = month_start(2026, 3), me = month_start(2026, 4);
	int64_t tick = ms + 15 * DAY - MIN; /* 2026-03-15T23:59:00Z */
	struct policy_source cur, next;
	struct whatif_result res;
	const struct whatif_runner *w;
	char sha[65], *text, *json = NULL;
	size_t len = 0;
	FILE *m;
	cJSON *doc;
	int64_t r1;

	r1 = add_runner(f->st, add_operator(f->st, "acme"), "r1", STORE_RUNNER_APPROVED,
	                ms - 20 * DAY);
	change(f->st, r1, ms - 20 * DAY, RW_STATE_UP);
	change(f->st, r1, ms + 5 * DAY, RW_STATE_DOWN);
	change(f->st, r1, ms + 5 * DAY + HOUR, RW_STATE_UP);
	monitor_ran(f->st, ms - 20 * DAY, tick);
	record_policy(f->st, POLICY_095, ms - 30 * DAY, sha);

	run_whatif(f, POLICY_099, ms, me, ms + 15 * DAY, &cur, &next, &res);
	assert_true(res.partial);
	assert_int_equal(res.period_end_ms, tick);
	assert_int_equal(res.as_of_ms, tick);
	w = find(&res, "r1");
	assert_non_null(w);
	assert_int_equal(sum_ms(&w->side[WHATIF_NEW].month.totals), tick - ms);
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_DOWN], HOUR);
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_UNKNOWN], 0);
	assert_int_equal(w->side[WHATIF_NEW].month.verdict, RW_VERDICT_PASS);

	text = render_text(&res, &cur, &next);
	assert_non_null(strstr(text, "month 2026-03: partial, as of 2026-03-15T23:59:00.000Z\n"));
	free(text);

	m = open_memstream(&json, &len);
	assert_non_null(m);
	assert_int_equal(whatif_render_json(m, &res, &cur, &next), 0);
	assert_int_equal(fclose(m), 0);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "partial")));
	assert_string_equal(cJSON_GetObjectItem(doc, "month")->valuestring, "2026-03");
	assert_string_equal(cJSON_GetObjectItem(doc, "as_of")->valuestring,
	                    "2026-03-15T23:59:00.000Z");
	cJSON_Delete(doc);
	free(json);
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);

	/* The same month once it is over: complete, unknown after the tick. */
	run_whatif(f, POLICY_099, ms, me, me + DAY, &cur, &next, &res);
	assert_false(res.partial);
	assert_int_equal(res.period_end_ms, me);
	w = find(&res, "r1");
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_UNKNOWN], me - tick);
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);

	/* April, ten days in, with no tick since March: counted up to now, all
	 * unknown (not an empty period, which would owe nothing and pass). */
	run_whatif(f, POLICY_099, me, me + 30 * DAY, me + 10 * DAY, &cur, &next, &res);
	assert_true(res.partial);
	assert_int_equal(res.period_end_ms, me + 10 * DAY);
	assert_int_equal(res.as_of_ms, tick);
	w = find(&res, "r1");
	assert_int_equal(w->side[WHATIF_NEW].month.totals.ms[RW_STATE_UNKNOWN], 10 * DAY);
	assert_int_equal(w->side[WHATIF_NEW].month.verdict, RW_VERDICT_INDETERMINATE);
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);
}

#define POLICY_NOTICE_24                                                                           \
	"{ \"version\": 1, \"uptime_floor\": 0.999,\n"                                             \
	"  \"maintenance\": { \"min_notice_h\": 24, \"max_h_per_month\": 8 } }\n"
#define POLICY_NOTICE_72                                                                           \
	"{ \"version\": 2, \"uptime_floor\": 0.999,\n"                                             \
	"  \"maintenance\": { \"min_notice_h\": 72, \"max_h_per_month\": 8 } }\n"

/* Two windows declared 48 h ahead: the runner was down through the first
 * (March), and the last tick falls in the second (April). */
static void test_maintenance_notice(void **state)
{
	struct fx *f = *state;
	int64_t ms = month_start(2026, 3), me = month_start(2026, 4);
	int64_t tick = me + HOUR;
	struct policy_source cur, next;
	struct whatif_result res;
	const struct whatif_runner *w;
	const struct whatif_side *c, *n;
	char sha[65];
	int64_t m1;

	m1 = add_runner(f->st, add_operator(f->st, "acme"), "m1", STORE_RUNNER_APPROVED,
	                ms - 20 * DAY);
	change(f->st, m1, ms - 20 * DAY, RW_STATE_UP);
	change(f->st, m1, ms + 2 * HOUR, RW_STATE_DOWN);
	change(f->st, m1, ms + 8 * HOUR, RW_STATE_UP);
	assert_int_equal(store_maintenance_add(f->st, m1, ms + 2 * HOUR, ms + 8 * HOUR,
	                                       ms + 2 * HOUR - 48 * HOUR, "disk swap", NULL),
	                 0);
	assert_int_equal(store_maintenance_add(f->st, m1, me + 30 * MIN, me + 3 * HOUR,
	                                       me + 30 * MIN - 48 * HOUR, "kernel", NULL),
	                 0);
	monitor_ran(f->st, ms - 20 * DAY, tick);
	record_policy(f->st, POLICY_NOTICE_24, ms - 30 * DAY, sha);

	run_whatif(f, POLICY_NOTICE_72, ms, me, me + 2 * HOUR, &cur, &next, &res);
	w = find(&res, "m1");
	assert_non_null(w);
	c = &w->side[WHATIF_CURRENT];
	n = &w->side[WHATIF_NEW];

	/* 24 h notice: the 6 h outage is credited maintenance; 100 %. */
	assert_int_equal(c->month.totals.ms[RW_STATE_MAINTENANCE], 6 * HOUR);
	assert_int_equal(c->month.totals.ms[RW_STATE_DOWN], 0);
	assert_int_equal(c->month.verdict, RW_VERDICT_PASS);
	/* 72 h notice: not credited; the outage counts: 99.19 % < 99.9 %. */
	assert_int_equal(n->month.totals.ms[RW_STATE_MAINTENANCE], 0);
	assert_int_equal(n->month.totals.ms[RW_STATE_DOWN], 6 * HOUR);
	assert_int_equal(n->month.verdict, RW_VERDICT_FAIL);
	assert_true(w->verdict_changed);

	/* At the tick: in credited maintenance under 24 h, not under 72 h (and
	 * the rolling window no longer holds March 1st's outage). */
	assert_false(c->eligible);
	assert_string_equal(c->reason, "maintenance");
	assert_true(n->eligible);
	assert_true(w->eligibility_changed);
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);
}

/* No recorded policy: the current one is the defaults, hashed as the daemon
 * records them; a pending runner is not eligible under either. */
static void test_defaults_and_pending(void **state)
{
	struct fx *f = *state;
	int64_t ms = month_start(2026, 3), me = month_start(2026, 4);
	struct policy_source cur, next;
	struct whatif_result res;
	struct rw_policy d;
	const struct whatif_runner *w;
	char sha[65], *json;
	int64_t p1;

	p1 = add_runner(f->st, add_operator(f->st, "acme"), "p1", STORE_RUNNER_PENDING,
	                ms - 20 * DAY);
	change(f->st, p1, ms - 20 * DAY, RW_STATE_UP);
	monitor_ran(f->st, ms - 20 * DAY, me + HOUR);

	run_whatif(f, POLICY_099, ms, me, me + 2 * HOUR, &cur, &next, &res);
	policy_defaults(&d);
	json = policy_to_json(&d);
	assert_non_null(json);
	policy_source_sha256_hex(json, strlen(json), sha);
	free(json);
	assert_string_equal(cur.sha256, sha);
	assert_string_equal(cur.origin, "built-in defaults");
	assert_int_equal(cur.id, 0);
	assert_int_equal(strlen(next.sha256), 64);
	w = find(&res, "p1");
	assert_non_null(w);
	assert_string_equal(w->side[WHATIF_CURRENT].reason, "pending");
	assert_string_equal(w->side[WHATIF_NEW].reason, "pending");
	whatif_result_deinit(&res);
	policy_source_deinit(&cur);
	policy_source_deinit(&next);
}

static void test_month_parse(void **state)
{
	int64_t now = month_start(2026, 11) + 20 * DAY, a = 0, b = 0;
	char err[256], out[8];

	(void)state;
	assert_int_equal(month_parse("2026-02", now, &a, &b, err, sizeof(err)), 0);
	assert_int_equal(a, month_start(2026, 2));
	assert_int_equal(b, month_start(2026, 3));
	assert_int_equal(month_parse("2025-12", now, &a, &b, err, sizeof(err)), 0);
	assert_int_equal(b, month_start(2026, 1));
	assert_int_equal(month_parse("2026-11", now, &a, &b, err, sizeof(err)), 0);
	assert_int_equal(month_parse("2026-12", now, &a, &b, err, sizeof(err)), RW_ERANGE);
	assert_non_null(strstr(err, "--month"));
	assert_non_null(strstr(err, "future"));
	static const char *const bad[] = {"2026-13", "2026-00", "2026-1",  "26-01",  "2026-011",
	                                  "2026/01", "",        "abcd-ef", "2026-1a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(month_parse(bad[i], now, &a, &b, err, sizeof(err)), RW_EINVAL);
		assert_non_null(strstr(err, "--month"));
	}
	assert_int_equal(month_parse("1969-12", now, &a, &b, err, sizeof(err)), RW_ERANGE);
	month_format(month_start(2026, 3) + 5 * DAY, out);
	assert_string_equal(out, "2026-03");
}

/* ---- the CLI --------------------------------------------------------------- */

/* Runs the program and arguments given in the test's directory (the
 * harness leaves $RUNWARDEN_DB unset), capturing stdout and stderr. */
#define RUN(f, r, ...) RWT_RUN((r), &(f)->run, __VA_ARGS__)

static struct rwt_res *new_res(void)
{
	struct rwt_res *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void free_res(struct rwt_res *r)
{
	rwt_res_free(r);
	free(r);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Exit @p code, exactly one line on stderr, and that line names @p field. */
static int one_line_error(const struct rwt_res *r, int code, const char *what, const char *field)
{
	size_t len = strlen(r->err);

	if (r->code == code && count_lines(r->err) == 1 && len > 0 && r->err[len - 1] == '\n' &&
	    strstr(r->err, field) != NULL)
		return 0;
	print_error("%s: exit %d, want %d and one stderr line naming \"%s\"; stderr:\n%s\n", what,
	            r->code, code, field, r->err);
	return 1;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Last month by the wall clock: r98 down for 2 % of it, r100 never; the
 * monitor ticked a minute ago; the policy in force has floor 0.95. */
static void seed_last_month(struct fx *f, char month[8], char sha[65])
{
	int64_t now = wall_ms(), cs, ce, ms, me, op, r98, r100;

	calendar_month(now, &cs, &ce);
	calendar_month(cs - 1, &ms, &me);
	month_format(ms, month);
	op = add_operator(f->st, "acme");
	r98 = add_runner(f->st, op, "r98", STORE_RUNNER_APPROVED, ms - 20 * DAY);
	r100 = add_runner(f->st, op, "r100", STORE_RUNNER_APPROVED, ms - 20 * DAY);
	change(f->st, r98, ms - 20 * DAY, RW_STATE_UP);
	change(f->st, r98, ms + 5 * DAY, RW_STATE_DOWN);
	change(f->st, r98, ms + 5 * DAY + (me - ms) / 50, RW_STATE_UP);
	change(f->st, r100, ms - 20 * DAY, RW_STATE_UP);
	monitor_ran(f->st, ms - 20 * DAY, now - MIN);
	record_policy(f->st, POLICY_095, ms - 30 * DAY, sha);
	/* The CLI reads the file on its own; nothing of ours stays open. */
	store_close(f->st);
	f->st = NULL;
}

static void test_cli_exec_path(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char month[8], sha[65], new_sha[65], path[256];
	const char *row;
	cJSON *doc, *runners, *r0, *r1;
	struct stat before, after;

	seed_last_month(f, month, sha);
	write_file(f, "new.json", POLICY_099, path, sizeof(path));
	policy_source_sha256_hex(POLICY_099, strlen(POLICY_099), new_sha);

	/* Text, through runwarden. */
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--month", month, "--db", f->db);
	if (r->code != 0)
		print_error("stderr: %s\n", r->err);
	assert_int_equal(r->code, 0);
	assert_string_equal(r->err, "");
	assert_non_null(strstr(r->out, "complete"));
	assert_non_null(strstr(r->out, month));
	assert_non_null(strstr(r->out, sha));
	assert_non_null(strstr(r->out, new_sha));
	row = line_starting(r->out, "* r98 ");
	assert_non_null(row);
	assert_non_null(line_starting(r->out, "  r100 "));
	assert_non_null(strstr(r->out, "2 runners, 1 verdict changes, "));

	/* JSON, through runwarden. */
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--month", month, "--db", f->db,
	    "--format", "json");
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "month")->valuestring, month);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "partial")));
	assert_true(cJSON_IsString(cJSON_GetObjectItem(doc, "as_of")));
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "current"), "sha256")->valuestring,
	        sha);
	assert_int_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "current"), "version")->valueint, 1);
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "new"), "sha256")->valuestring,
	        new_sha);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "new"), "version")->valueint,
	                 2);
	runners = cJSON_GetObjectItem(doc, "runners");
	assert_int_equal(cJSON_GetArraySize(runners), 2);
	r0 = cJSON_GetArrayItem(runners, 0);
	r1 = cJSON_GetArrayItem(runners, 1);
	assert_string_equal(cJSON_GetObjectItem(r0, "name")->valuestring, "r98");
	assert_string_equal(cJSON_GetObjectItem(r0, "operator")->valuestring, "acme");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r0, "changed")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r0, "verdict_changed")));
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "current"), "verdict")->valuestring,
	        "PASS");
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "new"), "verdict")->valuestring,
	        "FAIL");
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "new"), "uptime")->valuedouble >
	            0.979999);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "new"), "floor")->valuedouble ==
	            0.99);
	assert_string_equal(cJSON_GetObjectItem(r1, "name")->valuestring, "r100");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r1, "changed")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "new"), "reason")));
	cJSON_Delete(doc);

	/* Markdown and CSV, through the reports' table writer. */
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--month", month, "--db", f->db,
	    "--format", "md");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "# What-if: "));
	assert_non_null(strstr(r->out, new_sha));
	assert_non_null(strstr(r->out, "| Runner | Operator | Changed | Verdict (current) |"));
	assert_non_null(strstr(r->out, "| r98 | acme | yes | PASS | FAIL | "));
	assert_non_null(strstr(r->out, "| r100 | acme | no | PASS | PASS | "));
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--month", month, "--db", f->db,
	    "--format", "csv");
	assert_int_equal(r->code, 0);
	assert_true(strncmp(r->out,
	                    "runner,operator,changed,verdict_current,verdict_new,eligible_current,"
	                    "eligible_new,uptime_current,uptime_new,floor_current,floor_new\r\n",
	                    133) == 0);
	assert_non_null(strstr(r->out, "\r\nr98,acme,yes,PASS,FAIL,"));
	assert_non_null(strstr(r->out, ",0.98,0.98,0.95,0.99\r\n"));

	/* No --month: this month, partial. */
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "partial, as of "));

	/* runwarden-report directly, and $RUNWARDEN_DB is not needed with --db. */
	RUN(f, r, RW_REPORT_BIN, "whatif", "new.json", "--month", month, "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(line_starting(r->out, "* r98 "));

	/* The database is only read: the file is not touched (on PostgreSQL,
	 * no row). */
	if (rwt_db_is_pg(f->db)) {
		int64_t mark = rwt_sql_write_mark(f->db);
		RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--month", month, "--db", f->db);
		assert_int_equal(r->code, 0);
		assert_int_equal(rwt_sql_write_mark(f->db), mark);
		free_res(r);
		return;
	}
	assert_int_equal(stat(f->db, &before), 0);
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--month", month, "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_int_equal(stat(f->db, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	free_res(r);
}

static void test_cli_bad_inputs(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char month[8], sha[65], path[256], future[8], nodb[192];
	int64_t cs, ce;

	seed_last_month(f, month, sha);
	write_file(f, "new.json", POLICY_099, path, sizeof(path));
	write_file(f, "bad.json", "{\n  \"version\": 2,\n  \"uptime_floor\": 1.5\n}\n", path,
	           sizeof(path));
	calendar_month(wall_ms(), &cs, &ce);
	month_format(ce, future); /* next month */
	snprintf(nodb, sizeof(nodb), "%s/nope.db", f->dir);

	RUN(f, r, RW_BIN, "policy", "whatif", "bad.json", "--db", f->db);
	assert_int_equal(one_line_error(r, 2, "bad policy", "uptime_floor"), 0);
	assert_non_null(strstr(r->err, "bad.json:3"));
	assert_string_equal(r->out, "");

	RUN(f, r, RW_BIN, "policy", "whatif", "missing.json", "--db", f->db);
	assert_int_equal(one_line_error(r, 2, "missing policy", "missing.json"), 0);

	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--db", f->db, "--month", "2026-13");
	assert_int_equal(one_line_error(r, 2, "month 13", "--month"), 0);
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--db", f->db, "--month", "26-01");
	assert_int_equal(one_line_error(r, 2, "short month", "--month"), 0);
	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--db", f->db, "--month", future);
	assert_int_equal(one_line_error(r, 2, "future month", "--month"), 0);
	assert_non_null(strstr(r->err, "future"));

	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--db", nodb);
	assert_int_equal(one_line_error(r, 2, "missing database", "nope.db"), 0);
	assert_int_equal(access(nodb, F_OK), -1); /* not created */

	RUN(f, r, RW_BIN, "policy", "whatif", "new.json", "--db", f->db, "--format", "xml");
	assert_int_equal(one_line_error(r, 2, "format", "--format"), 0);

	RUN(f, r, RW_BIN, "policy", "whatif", "--db", f->db);
	assert_int_equal(one_line_error(r, 2, "no file", "NEW.json"), 0);

	/* Help: the command, and the report binary. */
	RUN(f, r, RW_BIN, "policy", "whatif", "--help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "usage: runwarden policy whatif NEW.json"));
	RUN(f, r, RW_BIN, "policy", "--help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "policy whatif"));
	RUN(f, r, RW_BIN, "--help");
	assert_non_null(strstr(r->out, "policy whatif"));
	RUN(f, r, RW_REPORT_BIN, "--help");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "monthly --month YYYY-MM"));
	assert_non_null(strstr(r->out, "whatif NEW.json"));
	RUN(f, r, RW_REPORT_BIN, "yearly", "--month", month);
	assert_int_equal(one_line_error(r, 2, "unknown report", "yearly"), 0);
	free_res(r);
}

/* A runwarden with no runwarden-report beside it says so and exits 1. */
static void test_cli_report_missing(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char bin[128], buf[65536];
	FILE *in, *out;
	size_t n;

	snprintf(bin, sizeof(bin), "%s/runwarden", f->dir);
	in = fopen(RW_BIN, "rb");
	out = fopen(bin, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(bin, 0755), 0);

	RUN(f, r, bin, "policy", "whatif", "new.json", "--db", f->db);
	assert_int_equal(one_line_error(r, 1, "no report binary", "runwarden-report"), 0);
	assert_non_null(strstr(r->err, f->dir));
	free_res(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_floor_changes_verdict_and_eligibility, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_partial_month, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_maintenance_notice, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_defaults_and_pending, setup, teardown),
	        cmocka_unit_test(test_month_parse),
	        cmocka_unit_test_setup_teardown(test_cli_exec_path, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_bad_inputs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_report_missing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
