/* SPDX-License-Identifier: MIT */
/*
 * test_blind.c — monitor/fleet/blind.h: the decisions about the monitor's own
 * blindness, on a fleet of runners that are never probed (results are made
 * up with exact times) and a real writer on a temporary SQLite file.
 *
 * Correlated failures: the thresholds exactly at fraction and at
 * min_runners, only network classes counting, the window's exclusive start
 * and its sliding on ticks, the retroactive correction (DOWN since the
 * window with a network class, UP with a pending network run; a DOWN from
 * before the window, or of another class, kept), results while blind, and
 * the end. Canaries: majority, the correction from the first failing probe,
 * reloads that keep evidence, stale canaries. Storage: every runner unknown,
 * no result applied, samples kept. Then the window's heap under random
 * updates and removals, the metrics, and what reached the database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/fleet/blind.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define N_RUNNERS 8
#define IV        10000           /* the policy's interval in these tests, ms */
#define T         1000000000000LL /* a time well after every runner's start */

struct fx {
	char dir[256], db[1200]; /* db: a file, or a PostgreSQL URI (rwt_db()) */
	uv_loop_t loop;
	struct writer *w;
	int stopped;
	struct metrics m;
	struct rw_policy pol;
	struct fleet f;
	struct blind b;
	struct runner *r[N_RUNNERS];
};

static void add_runners(struct fx *x)
{
	for (int i = 0; i < N_RUNNERS; i++) {
		char name[16], url[64], *targets[] = {"riscv64gc-unknown-linux-gnu"};
		struct store_runner sr;
		bool is_new;

		memset(&sr, 0, sizeof(sr));
		snprintf(name, sizeof(name), "r%d", i);
		snprintf(url, sizeof(url), "http://192.0.2.%d/health", i + 1);
		sr.id = i + 1;
		sr.name = name;
		sr.operator_name = "acme";
		sr.kind = "http";
		sr.url = url;
		sr.targets = targets;
		sr.n_targets = 1;
		sr.status = STORE_RUNNER_APPROVED;
		assert_int_equal(fleet_upsert(&x->f, &sr, &x->pol, 0, &x->r[i], &is_new), 0);
		assert_true(is_new);
	}
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char err[256];

	if (!x)
		return -1;
	rwt_tmpdir(x->dir, sizeof(x->dir), "test-blind");
	if (uv_loop_init(&x->loop) != 0) {
		free(x);
		return -1;
	}
	rwt_db(x->db, sizeof(x->db), x->dir, "rw.db");
	if (writer_new(&x->w, &x->loop, x->db, 0, NULL, NULL, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		return -1;
	}
	policy_defaults(&x->pol);
	/* Floor 0: no flags (their rows would need runners in the database). */
	x->pol.uptime_floor = 0;
	x->pol.floor_ppm = 0;
	x->pol.probe.interval_s = IV / 1000;
	x->pol.probe.timeout_ms = 1000;
	x->pol.probe.failures_to_down = 1;
	x->pol.probe.successes_to_up = 1;
	x->pol.blindness.fraction_ppm = 500000;
	x->pol.blindness.min_runners = 4;
	fleet_init(&x->f, x->w, &x->m, &x->pol);
	add_runners(x);
	blind_init(&x->b, &x->f);
	*state = x;
	return 0;
}

static void stopped_cb(struct writer *w, void *data)
{
	struct fx *x = data;
	(void)w;
	x->stopped++;
}

/* Stops the writer (flushing everything queued). */
static void flush(struct fx *x)
{
	struct writer *w = x->w;
	int rc;

	if (!w)
		return;
	x->w = NULL;
	rc = writer_close(w, stopped_cb, x);
	uv_run(&x->loop, UV_RUN_DEFAULT);
	writer_free(w);
	assert_int_equal(rc, 0);
	assert_int_equal(x->stopped, 1);
}

static int teardown(void **state)
{
	struct fx *x = *state;

	blind_deinit(&x->b);
	flush(x);
	fleet_deinit(&x->f);
	policy_deinit(&x->pol);
	assert_int_equal(uv_loop_close(&x->loop), 0);
	rwt_db_drop(x->db);
	rwt_tmpdir_remove(x->dir, false);
	free(x);
	return 0;
}

/* Runner i's probe at t ended with cls: decided by blind, applied by the fleet. */
static enum fleet_apply result(struct fx *x, int i, int64_t t, enum rw_errclass cls)
{
	struct probe_result res;
	enum fleet_apply how;

	memset(&res, 0, sizeof(res));
	res.t_ms = t;
	res.cls = cls;
	res.http_status = cls == RW_ERRCLASS_NONE ? 200 : cls == RW_ERRCLASS_HTTP_STATUS ? 503 : 0;
	res.latency_us = res.http_status ? 1000 : -1;
	how = blind_on_result(&x->b, x->r[i], &res);
	fleet_record_result(&x->f, x->r[i], &res, how);
	return how;
}

static void canary_result(struct fx *x, size_t i, int64_t t, enum rw_errclass cls)
{
	struct probe_result res;

	memset(&res, 0, sizeof(res));
	res.t_ms = t;
	res.cls = cls;
	res.latency_us = -1;
	assert_true(i < x->b.n_canaries);
	blind_canary_result(&x->b, x->b.canaries[i], &res);
}

static bool correlated(const struct fx *x)
{
	return blind_active(&x->b, STORE_BLIND_CORRELATED);
}

/* The state runner i's in-memory history says at t, and the last change's start. */
static enum rw_state hist_at(const struct fx *x, int i, int64_t t)
{
	const struct runner *r = x->r[i];
	enum rw_state s = RW_STATE_UNKNOWN;

	for (size_t k = 0; k < r->n_hist && r->hist[k].start_ms <= t; k++)
		s = r->hist[k].state;
	return s;
}

static bool hist_has(const struct fx *x, int i, enum rw_state s)
{
	for (size_t k = 0; k < x->r[i]->n_hist; k++)
		if (x->r[i]->hist[k].state == s)
			return true;
	return false;
}

static void expect_state(const struct fx *x, int i, enum rw_state s, int64_t since)
{
	if (x->r[i]->rs.state != s || x->r[i]->rs.since_ms != since)
		fail_msg("r%d: %s since T%+lld, not %s since T%+lld", i,
		         rw_state_name(x->r[i]->rs.state), (long long)(x->r[i]->rs.since_ms - T),
		         rw_state_name(s), (long long)(since - T));
}

static void set_canaries(struct fx *x, size_t n, int64_t now)
{
	struct runner **old = NULL;
	size_t n_old = 0;

	for (size_t i = 0; i < x->pol.blindness.n_canaries; i++)
		free(x->pol.blindness.canaries[i]);
	free(x->pol.blindness.canaries);
	x->pol.blindness.canaries = n ? calloc(n, sizeof(char *)) : NULL;
	x->pol.blindness.n_canaries = n;
	for (size_t i = 0; i < n; i++) {
		char url[64];
		snprintf(url, sizeof(url), "http://198.51.100.%zu/", i + 1);
		x->pol.blindness.canaries[i] = strdup(url);
		assert_non_null(x->pol.blindness.canaries[i]);
	}
	assert_int_equal(blind_canaries_load(&x->b, &x->pol, now, &old, &n_old), 0);
	for (size_t i = 0; i < n_old; i++)
		runner_free(old[i]);
	free(old);
	assert_int_equal(x->b.n_canaries, n);
}

/* Flushes the writer; the database is then read through connections of the
 * harness's own (rwtest.h). */
static const char *open_db(struct fx *x)
{
	flush(x);
	return x->db;
}

static int64_t q_int(const char *db, const char *sql, int64_t a)
{
	return rwt_sql_int_args(db, sql, a, 0);
}

/* ---- correlated failures ------------------------------------------------- */

#define NET  RW_ERRCLASS_CONNECT
#define DNS  RW_ERRCLASS_DNS
#define TOUT RW_ERRCLASS_TIMEOUT
#define HTTP RW_ERRCLASS_HTTP_STATUS
#define OK   RW_ERRCLASS_NONE

/* Thresholds: one result per runner, one second apart; after each, whether
 * the monitor is blind. */
static void test_thresholds(void **state)
{
	static const struct {
		const char *name;
		uint32_t ppm, min;
		int n;
		enum rw_errclass cls[N_RUNNERS];
		const char *blind; /* after each result: '0' or '1' */
	} cases[] = {
	        {"exactly the fraction, exactly min_runners",
	         500000,
	         4,
	         4,
	         {NET, OK, OK, DNS},
	         "0001"},
	        {"one ppm above the fraction", 500001, 4, 4, {NET, OK, OK, DNS}, "0000"},
	        {"all fail, one runner short of min_runners",
	         500000,
	         4,
	         3,
	         {NET, DNS, TOUT},
	         "000"},
	        {"min_runners reached by the fourth failure",
	         500000,
	         4,
	         4,
	         {NET, DNS, TOUT, NET},
	         "0001"},
	        {"fraction 1: one success keeps it seeing",
	         1000000,
	         4,
	         5,
	         {NET, NET, NET, OK, NET},
	         "00000"},
	        {"fraction 1: every runner fails", 1000000, 4, 4, {NET, NET, TOUT, DNS}, "0001"},
	        {"other classes do not count",
	         500000,
	         4,
	         6,
	         {HTTP, RW_ERRCLASS_TLS, RW_ERRCLASS_REFUSED_BY_GUARD, RW_ERRCLASS_BODY,
	          RW_ERRCLASS_TOO_LARGE, NET},
	         "000000"},
	        {"min_runners 1: one failing runner", 500000, 1, 1, {TOUT}, "1"},
	        {"2 of 3 at 0.666667 is below, 0.666666 is at",
	         666667,
	         3,
	         3,
	         {NET, NET, OK},
	         "000"},
	        {"2 of 3 at 0.666666", 666666, 3, 3, {NET, NET, OK}, "001"},
	};
	struct fx *x = *state;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int64_t t0 = T + (int64_t)c * 100 * IV; /* far from the previous case */

		x->pol.blindness.fraction_ppm = cases[c].ppm;
		x->pol.blindness.min_runners = cases[c].min;
		blind_tick(&x->b, t0); /* the previous case's results age out */
		assert_false(correlated(x));
		assert_int_equal(x->b.n_win, 0);
		for (int i = 0; i < cases[c].n; i++) {
			result(x, i, t0 + i * 1000, cases[c].cls[i]);
			if (correlated(x) != (cases[c].blind[i] == '1'))
				fail_msg("%s: after result %d, blind is %d", cases[c].name, i,
				         correlated(x));
		}
		assert_int_equal(x->b.n_win, cases[c].n);
	}
}

/* The window holds t > E - I: a result exactly I before the latest is out. */
static void test_window_edges(void **state)
{
	struct fx *x = *state;

	result(x, 0, T, NET);
	result(x, 1, T + IV - 2, NET);
	result(x, 2, T + IV - 1, NET);
	result(x, 3, T + IV, NET); /* r0 at exactly E - I: out */
	assert_false(correlated(x));
	assert_int_equal(x->b.n_win, 3);
	result(x, 0, T + IV + 1, NET);
	assert_true(correlated(x));
	/* No results for a while: a tick slides the window to now - I. */
	blind_tick(&x->b, T + 2 * IV); /* end = max(E, now - I) = E: nothing ages out */
	assert_true(correlated(x));
	blind_tick(&x->b, T + 3 * IV - 1); /* end = T + 2I - 1: r3 and r0 are left */
	assert_int_equal(x->b.n_win, 2);
	blind_tick(&x->b, T + 3 * IV); /* end = T + 2I: only r0 is left */
	assert_true(correlated(x));    /* the ratio ends it, not min_runners */
	assert_int_equal(x->b.n_win, 1);
	blind_tick(&x->b, T + 3 * IV + 1); /* empty */
	assert_false(correlated(x));
	assert_int_equal(x->b.cause[STORE_BLIND_CORRELATED].periods, 1);
}

/* failures_to_down 1: the failures that counted before blindness made
 * runners DOWN; entering blindness turns those DOWN intervals into UNKNOWN
 * from the same start. A DOWN from before the window and a DOWN of another
 * class stay. */
static void test_correlated_correction(void **state)
{
	struct fx *x = *state;
	const char *db;

	x->pol.blindness.min_runners = 6;
	x->pol.blindness.fraction_ppm = 600000;
	/* r4: down for real since T - 15 s, and again in the window. */
	result(x, 4, T - 15000, NET);
	expect_state(x, 4, RW_STATE_DOWN, T - 15000);
	result(x, 5, T + 500, HTTP); /* r5: down for a 503, in the window */
	result(x, 4, T - 1, NET);
	for (int i = 0; i < 3; i++) {
		result(x, i, T + 1000 * (i + 1), i == 1 ? DNS : NET);
		expect_state(x, i, RW_STATE_DOWN, T + 1000 * (i + 1));
		assert_false(correlated(x)); /* n = 5 < 6 */
	}
	/* r3: n = 6, 5 network failures: 5/6 >= 0.6. */
	assert_int_equal(result(x, 3, T + 4000, TOUT), FLEET_APPLY_BLIND);
	assert_true(correlated(x));
	for (int i = 0; i < 3; i++) {
		expect_state(x, i, RW_STATE_UNKNOWN, T + 1000 * (i + 1));
		assert_false(hist_has(x, i, RW_STATE_DOWN));
	}
	expect_state(x, 3, RW_STATE_UNKNOWN, T + 4000);
	/* r4 was down for its own reasons before the period; its network
	 * failure inside it does not count: unknown from the period's start
	 * (issue 12, item 6: it stayed down inside the period before). */
	expect_state(x, 4, RW_STATE_UNKNOWN, T - 1);
	assert_int_equal(hist_at(x, 4, T - 2), RW_STATE_DOWN);
	expect_state(x, 5, RW_STATE_DOWN, T + 500);
	/* The period starts at the earliest counted network failure (r4's). */
	assert_int_equal(x->b.cause[STORE_BLIND_CORRELATED].since_ms, T - 1);

	/* While blind: a network failure is unknown at its time, a 503 is a
	 * failure, a success is a success. */
	assert_int_equal(result(x, 4, T + 5000, NET), FLEET_APPLY_BLIND);
	expect_state(x, 4, RW_STATE_UNKNOWN, T + 5000);
	assert_int_equal(hist_at(x, 4, T + 4999), RW_STATE_UNKNOWN);
	assert_int_equal(result(x, 6, T + 5100, HTTP), FLEET_APPLY_SAMPLE);
	expect_state(x, 6, RW_STATE_DOWN, T + 5100);
	assert_int_equal(result(x, 7, T + 5200, OK), FLEET_APPLY_SAMPLE);
	expect_state(x, 7, RW_STATE_UP, T + 5200);
	assert_true(correlated(x)); /* 5 of 8: 0.625 >= 0.6 */
	/* r1 answers: 4 of 8 < 0.6 ends it. */
	assert_int_equal(result(x, 1, T + 5300, OK), FLEET_APPLY_SAMPLE);
	assert_false(correlated(x));
	assert_int_equal(x->b.cause[STORE_BLIND_CORRELATED].periods, 1);
	/* A timeout sampled inside the period that arrives after it ended is
	 * the period's, not the runner's (issue 12, item 5), and it does not
	 * start a new period. */
	assert_int_equal(result(x, 2, T + 5250, TOUT), FLEET_APPLY_BLIND);
	expect_state(x, 2, RW_STATE_UNKNOWN, T + 5250);
	assert_false(correlated(x));
	/* After it, a network failure is a failure again. */
	assert_int_equal(result(x, 0, T + 6000, NET), FLEET_APPLY_SAMPLE);
	expect_state(x, 0, RW_STATE_DOWN, T + 6000);

	db = open_db(x);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM blind_periods WHERE cause = 'correlated'"
	                       " AND start_ms = ?1",
	                       T - 1),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT end_ms FROM blind_periods WHERE cause = 'correlated'"
	                       " AND ?1 = ?1",
	                       0),
	                 T + 5300);
	/* Stored: the DOWN rows of r1..r3 were replaced (INSERT OR REPLACE). */
	for (int64_t id = 2; id <= 4; id++)
		assert_int_equal(q_int(db,
		                       "SELECT count(*) FROM intervals WHERE runner_id = ?1"
		                       " AND state = 2",
		                       id),
		                 0);
	assert_int_equal(q_int(db,
	                       "SELECT state FROM intervals WHERE runner_id = ?1"
	                       " AND start_ms = 1000000001000",
	                       1),
	                 RW_STATE_UNKNOWN);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM intervals WHERE runner_id = ?1"
	                       " AND state = 2",
	                       1),
	                 1); /* r0's own DOWN after the period */
	/* The incidents of r0..r2, announced and then voided, are retracted
	 * (issue 12, item 7); r4's own incident is closed, not voided. */
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM events WHERE kind = 'incident_voided'"
	                       " AND ?1 = ?1",
	                       0),
	                 3);
	assert_int_equal(q_int(db,
	                       rwt_db_is_pg(db)
	                               ? "SELECT count(*) FROM events e JOIN incidents i"
	                                 " ON i.id = (e.data::json->>'incident_id')::bigint"
	                                 " WHERE e.kind = 'incident_voided' AND i.voided = 1"
	                                 " AND e.data::json->>'state' = 'unknown' AND ?1 = ?1"
	                               : "SELECT count(*) FROM events e JOIN incidents i"
	                                 " ON i.id = json_extract(e.data, '$.incident_id')"
	                                 " WHERE e.kind = 'incident_voided' AND i.voided = 1"
	                                 " AND json_extract(e.data, '$.state') = 'unknown'"
	                                 " AND ?1 = ?1",
	                       0),
	                 3);
	assert_int_equal(q_int(db, "SELECT count(*) FROM samples WHERE ?1 = ?1", 0), 13);
}

/* failures_to_down 3: UP runners with a pending network run in the window
 * become UNKNOWN at the run's start; a pending run of 503s is kept. */
static void test_correlated_pending_runs(void **state)
{
	struct fx *x = *state;

	x->pol.probe.failures_to_down = 3;
	fleet_apply_policy(&x->f, &x->pol);
	for (int i = 0; i < 5; i++) {
		result(x, i, T - 15000 + i, OK);
		expect_state(x, i, RW_STATE_UP, T - 15000 + i);
	}
	assert_int_equal(x->b.n_win, 0 + 5);
	result(x, 4, T + 500, HTTP); /* pending, not network; the successes age out */
	result(x, 0, T + 1000, NET);
	result(x, 1, T + 2000, DNS);
	assert_false(correlated(x)); /* n = 3 */
	assert_int_equal(result(x, 2, T + 3000, NET), FLEET_APPLY_BLIND);
	assert_true(correlated(x)); /* r0, r1, r2 network, of 4 */
	expect_state(x, 0, RW_STATE_UNKNOWN, T + 1000);
	expect_state(x, 1, RW_STATE_UNKNOWN, T + 2000);
	expect_state(x, 2, RW_STATE_UNKNOWN, T + 3000);
	expect_state(x, 4, RW_STATE_UP, T - 15000 + 4);
	assert_int_equal(x->r[4]->rs.fail_run, 1);
	assert_int_equal(x->b.cause[STORE_BLIND_CORRELATED].since_ms, T + 1000);
	/* No blip is counted for the runs blindness cut short. */
	result(x, 0, T + 11000, OK);
	expect_state(x, 0, RW_STATE_UP, T + 11000);
	result(x, 1, T + 12000, OK); /* r2 net, r0 r1 ok: 1/3 < 0.5 */
	assert_false(correlated(x));
	assert_int_equal(x->m.blips, 0);
	assert_int_equal(x->r[0]->rs.blips, 0);
}

/* ---- canaries ---------------------------------------------------------------- */

static void test_canary_majority(void **state)
{
	struct fx *x = *state;

	set_canaries(x, 3, T - IV);
	for (size_t i = 0; i < 3; i++) {
		struct runner *c = x->b.canaries[i];
		assert_int_equal(c->id, -(int64_t)i - 1);
		assert_null(fleet_find(&x->f, c->id));
		assert_int_equal(c->params.interval_ms, IV);
		assert_int_equal(c->timeout_ms, 1000);
		assert_int_equal(c->port, 80);
		assert_true(c->host_is_ip);
		assert_int_equal(c->heap_idx, SIZE_MAX);
	}
	result(x, 1, T - 5000, HTTP); /* r1: down for real before the canaries fail */
	canary_result(x, 0, T, RW_ERRCLASS_DNS);
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY)); /* 1 of 3 */
	assert_int_equal(blind_canaries_failing(&x->b), 1);
	assert_int_equal(result(x, 0, T + 1000, HTTP), FLEET_APPLY_SAMPLE);
	expect_state(x, 0, RW_STATE_DOWN, T + 1000);
	canary_result(x, 1, T + 2000, RW_ERRCLASS_HTTP_STATUS);
	assert_true(blind_active(&x->b, STORE_BLIND_CANARY)); /* 2 of 3 */
	assert_int_equal(x->b.cause[STORE_BLIND_CANARY].since_ms, T);
	expect_state(x, 0, RW_STATE_UNKNOWN, T + 1000); /* corrected from T on */
	assert_false(hist_has(x, 0, RW_STATE_DOWN));
	/* r1, down before T: kept until T, and unknown from T like everyone
	 * whose failures the period covers (one rule, issue 12 item 6). */
	expect_state(x, 1, RW_STATE_UNKNOWN, T);
	assert_int_equal(hist_at(x, 1, T - 1), RW_STATE_DOWN);

	/* While canary-blind every failure is unknown, successes count. */
	assert_int_equal(result(x, 1, T + 3000, HTTP), FLEET_APPLY_BLIND);
	expect_state(x, 1, RW_STATE_UNKNOWN, T + 3000);
	assert_int_equal(result(x, 2, T + 3100, RW_ERRCLASS_TLS), FLEET_APPLY_BLIND);
	assert_int_equal(result(x, 3, T + 3200, OK), FLEET_APPLY_SAMPLE);
	expect_state(x, 3, RW_STATE_UP, T + 3200);

	/* A reload with the same canaries keeps their evidence: still blind. */
	set_canaries(x, 3, T + 3500);
	assert_true(blind_active(&x->b, STORE_BLIND_CANARY));
	assert_int_equal(blind_canaries_failing(&x->b), 2);
	canary_result(x, 0, T + 4000, RW_ERRCLASS_TIMEOUT); /* still failing */
	assert_true(blind_active(&x->b, STORE_BLIND_CANARY));
	canary_result(x, 0, T + 5000, OK); /* 1 of 3 */
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY));
	assert_int_equal(x->b.cause[STORE_BLIND_CANARY].periods, 1);
	assert_int_equal(result(x, 0, T + 6000, HTTP), FLEET_APPLY_SAMPLE);
	expect_state(x, 0, RW_STATE_DOWN, T + 6000);

	/* Two canaries (the first two, with their evidence): c1 fails, c0
	 * answers: one failing is not more than half. */
	set_canaries(x, 2, T + 7000);
	assert_int_equal(blind_canaries_failing(&x->b), 1);
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY));
	canary_result(x, 0, T + 8000, RW_ERRCLASS_CONNECT);
	assert_true(blind_active(&x->b, STORE_BLIND_CANARY));
	/* From the first failing probe of the canaries that fail: c1's. */
	assert_int_equal(x->b.cause[STORE_BLIND_CANARY].since_ms, T + 2000);
	expect_state(x, 0, RW_STATE_UNKNOWN, T + 6000);
	/* A reload without canaries ends it. */
	set_canaries(x, 0, T + 9000);
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY));
	assert_int_equal(x->b.cause[STORE_BLIND_CANARY].periods, 2);
}

/* One canary: blind while it fails; stale evidence is not a failure. */
static void test_canary_single_and_stale(void **state)
{
	struct fx *x = *state;
	const char *db;

	set_canaries(x, 1, T - IV);
	canary_result(x, 0, T, OK);
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY));
	result(x, 0, T + 100, OK);
	canary_result(x, 0, T + IV, RW_ERRCLASS_CONNECT);
	assert_true(blind_active(&x->b, STORE_BLIND_CANARY));
	assert_int_equal(result(x, 0, T + IV + 100, RW_ERRCLASS_TIMEOUT), FLEET_APPLY_BLIND);
	expect_state(x, 0, RW_STATE_UNKNOWN, T + IV + 100);
	blind_tick(&x->b, T + 3 * IV); /* evidence holds 2 I */
	assert_true(blind_active(&x->b, STORE_BLIND_CANARY));
	blind_tick(&x->b, T + 3 * IV + 1);
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY));

	db = open_db(x);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM blind_periods WHERE cause = 'canary'"
	                       " AND start_ms = ?1",
	                       T + IV),
	                 1);
	assert_int_equal(q_int(db, "SELECT end_ms FROM blind_periods WHERE ?1 = ?1", 0),
	                 T + 3 * IV + 1);
}

/* ---- storage ------------------------------------------------------------------ */

static void test_storage(void **state)
{
	struct fx *x = *state;
	const char *db;

	result(x, 0, T, OK);
	result(x, 1, T, HTTP);
	blind_storage(&x->b, RW_EIO, T + 1000);
	assert_true(blind_active(&x->b, STORE_BLIND_STORAGE));
	for (int i = 0; i < N_RUNNERS; i++)
		expect_state(x, i, RW_STATE_UNKNOWN, T + 1000);
	/* Nothing reaches a state machine; repeats change nothing. */
	assert_int_equal(result(x, 0, T + 2000, OK), FLEET_APPLY_NONE);
	assert_int_equal(result(x, 0, T + 3000, OK), FLEET_APPLY_NONE);
	assert_int_equal(result(x, 1, T + 2000, HTTP), FLEET_APPLY_NONE);
	expect_state(x, 0, RW_STATE_UNKNOWN, T + 1000);
	blind_storage(&x->b, RW_EBUSY, T + 4000);
	assert_int_equal(x->b.cause[STORE_BLIND_STORAGE].periods, 1);
	blind_storage(&x->b, 0, T + 5000);
	assert_false(blind_active(&x->b, STORE_BLIND_STORAGE));
	blind_storage(&x->b, 0, T + 5500); /* a second recovery: nothing */
	assert_int_equal(result(x, 0, T + 6000, OK), FLEET_APPLY_SAMPLE);
	expect_state(x, 0, RW_STATE_UP, T + 6000);

	db = open_db(x);
	assert_int_equal(q_int(db, "SELECT count(*) FROM blind_periods WHERE ?1 = ?1", 0), 1);
	assert_int_equal(q_int(db,
	                       "SELECT start_ms FROM blind_periods WHERE cause = 'storage'"
	                       " AND end_ms = ?1",
	                       T + 5000),
	                 T + 1000);
	/* The samples taken while blind are kept. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM samples WHERE runner_id = ?1", 1), 4);
	assert_int_equal(q_int(db,
	                       "SELECT state FROM intervals WHERE runner_id = ?1 AND start_ms = "
	                       "1000000001000",
	                       2),
	                 RW_STATE_UNKNOWN);
	assert_int_equal(x->m.blind_ms, 4000);
}

/* A refusal of the address guard at connect time (a name that now resolves
 * to a guarded address) is the monitor refusing to look: the runner is
 * unknown from it, never down, however many follow (failures_to_down is 1
 * here), no incident opens, and the event that makes it ineligible says
 * why. Another failure class, for contrast, is down at once. */
static void test_refused_by_guard(void **state)
{
	struct fx *x = *state;
	const char *db;

	result(x, 0, T, OK);
	result(x, 1, T, OK);
	expect_state(x, 0, RW_STATE_UP, T);
	assert_int_equal(result(x, 0, T + IV, RW_ERRCLASS_REFUSED_BY_GUARD), FLEET_APPLY_SAMPLE);
	expect_state(x, 0, RW_STATE_UNKNOWN, T + IV);
	for (int k = 2; k < 6; k++) {
		result(x, 0, T + k * IV, RW_ERRCLASS_REFUSED_BY_GUARD);
		expect_state(x, 0, RW_STATE_UNKNOWN, T + k * IV);
	}
	assert_false(hist_has(x, 0, RW_STATE_DOWN));
	assert_false(x->r[0]->flagged);
	assert_string_equal(fleet_exclusion(&x->f, x->r[0], T + 6 * IV), "unknown");
	result(x, 1, T + IV, HTTP);
	expect_state(x, 1, RW_STATE_DOWN, T + IV);
	/* It answers again (the name resolves to a public address): up. */
	result(x, 0, T + 6 * IV, OK);
	expect_state(x, 0, RW_STATE_UP, T + 6 * IV);

	flush(x);
	db = open_db(x);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM intervals WHERE runner_id = ?1 AND state = 2", 1),
	        0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM incidents WHERE runner_id = ?1", 1), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM incidents WHERE runner_id = ?1", 2), 1);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM samples WHERE runner_id = ?1 AND errclass = 8", 1),
	        5);
	assert_int_equal(
	        q_int(db,
	              rwt_db_is_pg(db)
	                      ? "SELECT count(*) FROM events WHERE runner_id = ?1 AND kind ="
	                        " 'ineligible' AND data::json->>'cause' = 'refused_by_guard'"
	                      : "SELECT count(*) FROM events WHERE runner_id = ?1 AND kind ="
	                        " 'ineligible' AND json_extract(data, '$.cause') ="
	                        " 'refused_by_guard'",
	              1),
	        1);
}

/* blind_stop ends what is active; blind_record is counted by cause. */
static void test_stop_record_metrics(void **state)
{
	struct fx *x = *state;
	struct strbuf sb;
	char *text;
	const char *db;

	blind_record(&x->b, STORE_BLIND_DOWNTIME, T - 60000, T);
	blind_record(&x->b, STORE_BLIND_TICK_GAP, T + 100, T + 7100);
	set_canaries(x, 1, T);
	canary_result(x, 0, T + 1000, RW_ERRCLASS_DNS);
	blind_storage(&x->b, RW_EIO, T + 2000);
	strbuf_init(&sb);
	blind_render_metrics(&x->b, &sb);
	text = strbuf_take(&sb, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE runwarden_blind_periods_total counter\n"));
	assert_non_null(strstr(text, "runwarden_blind_periods_total{cause=\"downtime\"} 1\n"));
	assert_non_null(strstr(text, "runwarden_blind_periods_total{cause=\"tick_gap\"} 1\n"));
	assert_non_null(strstr(text, "runwarden_blind_periods_total{cause=\"canary\"} 1\n"));
	assert_non_null(strstr(text, "runwarden_blind_periods_total{cause=\"correlated\"} 0\n"));
	assert_non_null(strstr(text, "runwarden_blind_periods_total{cause=\"storage\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE runwarden_blind_active gauge\n"));
	assert_non_null(strstr(text, "runwarden_blind_active{cause=\"canary\"} 1\n"));
	assert_non_null(strstr(text, "runwarden_blind_active{cause=\"storage\"} 1\n"));
	assert_non_null(strstr(text, "runwarden_blind_active{cause=\"correlated\"} 0\n"));
	assert_non_null(strstr(text, "runwarden_blind_active{cause=\"downtime\"} 0\n"));
	assert_non_null(strstr(text, "runwarden_canaries 1\n"));
	assert_non_null(strstr(text, "runwarden_canaries_failing 1\n"));
	free(text);

	blind_stop(&x->b, T + 9000);
	assert_false(blind_active(&x->b, STORE_BLIND_CANARY));
	assert_false(blind_active(&x->b, STORE_BLIND_STORAGE));
	/* Overlapping periods count once: downtime, then [T + 100, T + 9000)
	 * covered by the tick gap, the canary and the storage periods. */
	assert_int_equal(x->m.blind_ms, 60000 + 8900);
	db = open_db(x);
	assert_int_equal(q_int(db, "SELECT count(*) FROM blind_periods WHERE ?1 = ?1", 0), 4);
	assert_int_equal(q_int(db,
	                       "SELECT end_ms FROM blind_periods WHERE cause = 'canary'"
	                       " AND start_ms = ?1",
	                       T + 1000),
	                 T + 9000);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM blind_periods WHERE cause IN"
	                       " ('downtime', 'tick_gap', 'storage') AND ?1 = ?1",
	                       0),
	                 3);
}

/* ---- the window's heap ---------------------------------------------------------- */

static void check_heap(const struct blind *b)
{
	size_t net = 0;

	for (size_t i = 0; i < b->n_win; i++) {
		assert_int_equal(b->win[i]->blind_pos, i + 1);
		if (i > 0)
			assert_true(b->win[(i - 1) / 2]->blind_t_ms <= b->win[i]->blind_t_ms);
		net += b->win[i]->blind_net;
	}
	assert_int_equal(net, b->n_net);
}

static void test_window_heap(void **state)
{
	struct fx *x = *state;
	struct runner many[64];
	uint64_t seed = 42;

	memset(many, 0, sizeof(many));
	x->pol.blindness.min_runners = 1000000; /* never blind: only the heap */
	x->pol.probe.interval_s = 1;
	for (int step = 0; step < 20000; step++) {
		struct runner *r;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		r = &many[(seed >> 33) % 64];
		if ((seed >> 20) % 7 == 0) {
			blind_forget(&x->b, r);
			assert_int_equal(r->blind_pos, 0);
		} else {
			struct probe_result res;
			memset(&res, 0, sizeof(res));
			/* Out of order by up to 5 s, as probes that time out are. */
			res.t_ms = T + step * 10 - (int64_t)((seed >> 40) % 5000);
			res.cls = (seed >> 50) % 2 ? RW_ERRCLASS_CONNECT : RW_ERRCLASS_NONE;
			blind_on_result(&x->b, r, &res);
			assert_true(r->blind_pos > 0 || res.t_ms <= x->b.latest_ms - 1000);
		}
		check_heap(&x->b);
		for (size_t i = 0; i < x->b.n_win; i++)
			assert_true(x->b.win[i]->blind_t_ms > x->b.latest_ms - 1000);
	}
	assert_true(x->b.n_win > 0);
	blind_tick(&x->b, T + 20000 * 10 + 2000000); /* everything ages out */
	assert_int_equal(x->b.n_win, 0);
	assert_int_equal(x->b.n_net, 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(many[i].blind_pos, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_thresholds, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_window_edges, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_correlated_correction, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_correlated_pending_runs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_canary_majority, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_canary_single_and_stale, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_storage, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refused_by_guard, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stop_record_metrics, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_window_heap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
