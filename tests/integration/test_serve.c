/* SPDX-License-Identifier: MIT */
/*
 * test_serve.c — `runwarden serve` end to end: the real binaries, real
 * sockets, a real database.
 *
 * Each test gets a fresh temporary directory (database, policy, logs), starts
 * rw-demo-runner with the fixture listeners it needs, registers runners with
 * the CLI, starts `runwarden serve --listen 127.0.0.1:0` and learns its port
 * from the "listening on http://ADDR:PORT" line on the daemon's stdout. The
 * policy probes every second and calls a runner down after two failures, so
 * each test converges in a few seconds. Every wait is a poll loop with a
 * generous deadline; nothing asserts a precise time. The harness
 * (tests/lib/rwtest.h) starts the processes, stops them by PID and always
 * reaps them (the teardown kills what a failed test left running, and the
 * children die with the test process through PR_SET_PDEATHSIG).
 *
 * When a test fails, the teardown prints the daemon's, the fixtures' and the
 * CLI's stderr logs; RW_KEEP_TMP=1 keeps the directory of a failed test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/core/clock.h"
#include "policy/base/rfc3339.h"
#include "rwtest.h"

#define DEADLINE_MS 20000 /* the bound of every wait that should take seconds */
#define STOP_MS     5000  /* SIGTERM to exit, as the README promises */

#define T1 "riscv64gc-unknown-linux-gnu"
#define T2 "s390x-unknown-linux-gnu"

/* Floor 0 and no probation: these tests look at states and eligibility, not
 * at flags (a fixture that is down for a few seconds of a ten-second
 * history would otherwise stay flagged for the rest of the test). */
static const char policy_json[] = "{\n"
                                  "  \"version\": 1,\n"
                                  "  \"uptime_floor\": 0,\n"
                                  "  \"flagging\": { \"probation_days\": 0 },\n"
                                  "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
                                  "             \"failures_to_down\": 2, \"successes_to_up\": 1 }\n"
                                  "}\n";

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char policy[320], daemon_log[320], fixture_log[320], cli_log[320];
	const char *serve_args[5]; /* --policy, --allow-cidr 127.0.0.0/8 */
	struct rwt_daemon d;       /* d.url: http://127.0.0.1:PORT */
	struct rwt_fixtures fx;    /* fx.addr[i]: "127.0.0.1:PORT" of listener i */
	int64_t t0;                /* wall-clock ms when the test began (before any registration) */
	bool passed;
};

/* ---- HTTP and JSON ---------------------------------------------------------- */

/* The runner endpoints need a token; the public ones ignore it. */
#define ADMIN_TOKEN "test-admin-token-0123456789abcdef0123456789"

/* GETs the daemon's path, requires 200 and a JSON body; the caller deletes. */
static cJSON *get_json(struct fx *f, const char *path)
{
	char url[512];
	struct rwt_resp r;
	cJSON *doc;

	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rwt_http("GET", url, ADMIN_TOKEN, NULL, 0, &r);
	if (r.status != 200) {
		char copy[300];
		snprintf(copy, sizeof(copy), "%s", r.status < 0 ? r.error : r.body);
		rwt_resp_free(&r);
		fail_msg("GET %s: HTTP %ld: %s", path, r.status, copy);
	}
	doc = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	if (!doc)
		fail_msg("GET %s: the answer is not JSON", path);
	return doc;
}

static int64_t json_int(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is missing or not a number", key);
	return (int64_t)v->valuedouble;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	if (!s)
		fail_msg("\"%s\" is missing or not a string", key);
	return s;
}

/* Where a route answer puts runner `name`: "eligible", the exclusion reason,
 * or "absent". Also copies the exclusion's detail (or "") when asked. */
static void route_place(const cJSON *doc, const char *name, char *out, size_t outlen, char *detail,
                        size_t dlen)
{
	const cJSON *e;

	if (detail)
		detail[0] = '\0';
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "eligible"))
	{
		if (strcmp(json_str(e, "name"), name) == 0) {
			snprintf(out, outlen, "eligible");
			return;
		}
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "excluded"))
	{
		if (strcmp(json_str(e, "name"), name) == 0) {
			const char *d =
			        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "detail"));
			snprintf(out, outlen, "%s", json_str(e, "reason"));
			if (detail && d)
				snprintf(detail, dlen, "%s", d);
			return;
		}
	}
	snprintf(out, outlen, "absent");
}

static cJSON *get_route(struct fx *f, const char *target)
{
	char path[200];
	cJSON *doc;

	snprintf(path, sizeof(path), "/v1/route?target=%s", target);
	doc = get_json(f, path);
	assert_string_equal(json_str(doc, "target"), target);
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "eligible")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "excluded")));
	return doc;
}

/* Polls the route answer until runner `name` is at `want` ("eligible", a
 * reason, "absent"); fails the test with what it last saw after timeout_ms. */
static void wait_route(struct fx *f, const char *target, const char *name, const char *want,
                       int64_t timeout_ms)
{
	int64_t deadline = rwt_mono_ms() + timeout_ms;
	char got[64];

	for (;;) {
		cJSON *doc = get_route(f, target);
		route_place(doc, name, got, sizeof(got), NULL, 0);
		cJSON_Delete(doc);
		if (strcmp(got, want) == 0)
			return;
		if (rwt_mono_ms() >= deadline)
			fail_msg("route %s: runner %s is %s, not %s, after %" PRId64 " ms", target,
			         name, got, want, timeout_ms);
		rwt_sleep_ms(100);
	}
}

/* The route answer's placement of `name` now, for one-snapshot checks. */
static void expect_place(const cJSON *doc, const char *name, const char *want,
                         const char *want_detail)
{
	char got[64], detail[128];

	route_place(doc, name, got, sizeof(got), detail, sizeof(detail));
	if (strcmp(got, want) != 0)
		fail_msg("runner %s is %s in the route answer, not %s", name, got, want);
	if (want_detail && strcmp(detail, want_detail) != 0)
		fail_msg("runner %s: detail \"%s\", not \"%s\"", name, detail, want_detail);
}

struct avail {
	int64_t up, down, maint, unknown, outside, not_registered;
};

/* GET /v1/runners/{id}/availability over [from, to); checks that the six
 * states sum exactly to the period. */
static void get_avail(struct fx *f, int64_t id, int64_t from, int64_t to, struct avail *a)
{
	char path[256], tf[40], tt[40];
	cJSON *doc;

	rfc3339_format(from, tf, sizeof(tf));
	rfc3339_format(to, tt, sizeof(tt));
	snprintf(path, sizeof(path), "/v1/runners/%" PRId64 "/availability?from=%s&to=%s", id, tf,
	         tt);
	doc = get_json(f, path);
	assert_int_equal(json_int(doc, "id"), id);
	a->up = json_int(doc, "up_ms");
	a->down = json_int(doc, "down_ms");
	a->maint = json_int(doc, "maintenance_ms");
	a->unknown = json_int(doc, "unknown_ms");
	a->outside = json_int(doc, "outside_window_ms");
	a->not_registered = json_int(doc, "not_registered_ms");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(doc, "verdict"));
	cJSON_Delete(doc);
	if (a->up < 0 || a->down < 0 || a->maint < 0 || a->unknown < 0 || a->outside < 0 ||
	    a->not_registered < 0 ||
	    a->up + a->down + a->maint + a->unknown + a->outside + a->not_registered != to - from)
		fail_msg("runner %" PRId64 ": up %" PRId64 " + down %" PRId64
		         " + maintenance %" PRId64 " + unknown %" PRId64 " + outside %" PRId64
		         " + not registered %" PRId64 " != %" PRId64 " ms",
		         id, a->up, a->down, a->maint, a->unknown, a->outside, a->not_registered,
		         to - from);
}

/* The value of the first /metrics sample line that starts with `prefix`
 * followed by a space; -1 when there is none. */
static double metric_value(const char *text, const char *prefix)
{
	size_t pl = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > pl && strncmp(p, prefix, pl) == 0 && p[pl] == ' ')
			return strtod(p + pl + 1, NULL);
		p = eol ? eol + 1 : NULL;
	}
	return -1;
}

/* Copies the runwarden_policy_info sample line ("" when there is none). */
static void policy_info_line(const char *text, char *out, size_t outlen)
{
	const char *p = strstr(text, "\nrunwarden_policy_info{");

	out[0] = '\0';
	if (p)
		snprintf(out, outlen, "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
}

static char *get_metrics(struct fx *f)
{
	char url[200];
	struct rwt_resp r;

	snprintf(url, sizeof(url), "%s/metrics", f->d.url);
	rwt_http("GET", url, ADMIN_TOKEN, NULL, 0, &r);
	if (r.status != 200) {
		rwt_resp_free(&r);
		fail_msg("GET /metrics: HTTP %ld %s", r.status, r.error);
	}
	return r.body;
}

/* ---- the daemon, fixtures, registry ----------------------------------------- */

static void add_operator(struct fx *f)
{
	char out[512];
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	                         "ops@example.org", "--db", f->db, NULL),
	                 0);
	assert_non_null(strstr(out, "token rw_"));
}

/* `runner add` with interval 1 s (and a timeout when given); returns the id. */
static int64_t add_runner(struct fx *f, const char *name, const char *target, const char *url,
                          const char *timeout_ms)
{
	char out[512];
	long long id = 0;
	int rc = rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr",
	                 "127.0.0.0/8", "--db", f->db, "--operator", "acme", "--name", name,
	                 "--target", target, "--url", url, "--interval", "1",
	                 timeout_ms ? "--timeout" : NULL, timeout_ms, NULL);

	if (rc != 0)
		fail_msg("runner add %s: exit %d", name, rc);
	if (sscanf(out, "runner %*s id %lld approved", &id) != 1 || id <= 0)
		fail_msg("runner add %s: unexpected output: %s", name, out);
	return id;
}

/* add_runner() for fixture listener i, at http://ADDR/health. */
static int64_t add_fixture_runner(struct fx *f, const char *name, const char *target, size_t i,
                                  const char *timeout_ms)
{
	char url[128];
	rwt_fixture_url(&f->fx, i, url, sizeof(url));
	return add_runner(f, name, target, url, timeout_ms);
}

/* ---- the database ------------------------------------------------------------ */

/* The test's database, read through connections of the harness's own. */
static const char *open_db(struct fx *f)
{
	return f->db;
}

/* Runs a query of one integer with up to two int64 parameters. */
static int64_t q_int(const char *db, const char *sql, int64_t a, int64_t b)
{
	return rwt_sql_int_args(db, sql, a, b);
}

static void check_integrity(const char *db)
{
	rwt_sql_check_integrity(db);
}

/* ---- fixture setup ------------------------------------------------------------ */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "serve");
	rwt_db(f->db, sizeof(f->db), f->dir, "runwarden.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->daemon_log, sizeof(f->daemon_log), "%s/daemon.log", f->dir);
	snprintf(f->fixture_log, sizeof(f->fixture_log), "%s/fixtures.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	rwt_write_file(f->policy, policy_json);
	f->serve_args[0] = "--policy";
	f->serve_args[1] = f->policy;
	f->serve_args[2] = "--allow-cidr";
	f->serve_args[3] = "127.0.0.0/8";
	f->t0 = clock_wall_ms();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGTERM, STOP_MS);
	rwt_fixtures_stop(&f->fx);
	if (!f->passed) {
		rwt_dump_file("runwarden serve stderr", f->daemon_log);
		rwt_dump_file("rw-demo-runner stderr", f->fixture_log);
		rwt_dump_file("runwarden CLI stderr", f->cli_log);
	}
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

/* ---- tests --------------------------------------------------------------------- */

/* Route and availability against fixtures in ok, fail, hang, refuse; one
 * fixture switched ok -> fail -> ok with its control endpoint. */
static void test_route_and_availability(void **state)
{
	static const char *const modes[] = {"ok", "fail", "hang", "refuse", "ok"};
	struct fx *f = *state;
	int64_t id_ok, id_fail, id_hang, id_refuse, id_flip, from, to;
	struct avail a;
	cJSON *doc;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 5);
	add_operator(f);
	id_ok = add_fixture_runner(f, "fx-ok", T1, 0, NULL);
	id_fail = add_fixture_runner(f, "fx-fail", T1, 1, NULL);
	id_hang = add_fixture_runner(f, "fx-hang", T1, 2, "300");
	id_refuse = add_fixture_runner(f, "fx-refuse", T1, 3, NULL);
	id_flip = add_fixture_runner(f, "fx-flip", T1, 4, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);

	wait_route(f, T1, "fx-ok", "eligible", DEADLINE_MS);
	wait_route(f, T1, "fx-flip", "eligible", DEADLINE_MS);
	wait_route(f, T1, "fx-fail", "down", DEADLINE_MS);
	wait_route(f, T1, "fx-hang", "down", DEADLINE_MS);
	wait_route(f, T1, "fx-refuse", "down", DEADLINE_MS);
	/* One snapshot agrees with all of it, with each failure's class. */
	doc = get_route(f, T1);
	expect_place(doc, "fx-ok", "eligible", NULL);
	expect_place(doc, "fx-flip", "eligible", NULL);
	expect_place(doc, "fx-fail", "down", "last probe: http_status");
	expect_place(doc, "fx-hang", "down", "last probe: timeout");
	expect_place(doc, "fx-refuse", "down", "last probe: connect");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "eligible")), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "excluded")), 3);
	cJSON_Delete(doc);
	/* A target nobody serves: an empty answer, not an error. */
	doc = get_route(f, T2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "eligible")), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "excluded")), 0);
	cJSON_Delete(doc);

	/* Availability from before registration to now: exact sums. */
	from = f->t0 - 5000;
	to = clock_wall_ms();
	get_avail(f, id_ok, from, to, &a);
	assert_true(a.up > 0);
	assert_int_equal(a.down, 0);
	assert_true(a.not_registered > 0); /* before registration: not unknown */
	assert_true(a.unknown > 0);        /* before the first probe */
	for (int i = 0; i < 3; i++) {
		int64_t id = i == 0 ? id_fail : i == 1 ? id_hang : id_refuse;
		get_avail(f, id, from, to, &a);
		if (a.down <= 0 || a.up != 0)
			fail_msg("runner %" PRId64 ": down %" PRId64 " ms, up %" PRId64 " ms", id,
			         a.down, a.up);
	}
	/* A period entirely in the future of the daemon is unknown. */
	get_avail(f, id_ok, to + 3600000, to + 7200000, &a);
	assert_int_equal(a.unknown, 3600000);

	/* ok -> fail: excluded within a few intervals; fail -> ok: back. */
	rwt_fixture_mode(&f->fx, 4, "fail");
	wait_route(f, T1, "fx-flip", "down", 10000);
	rwt_fixture_mode(&f->fx, 4, "ok");
	wait_route(f, T1, "fx-flip", "eligible", 10000);
	wait_route(f, T1, "fx-ok", "eligible", 1);
	to = clock_wall_ms();
	get_avail(f, id_flip, from, to, &a);
	if (a.up <= 0 || a.down <= 0)
		fail_msg("fx-flip: up %" PRId64 " ms, down %" PRId64 " ms", a.up, a.down);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* `runwarden route`: exit 0 with an eligible runner, 3 with none, --json. */
static void test_route_cli(void **state)
{
	static const char *const modes[] = {"ok", "fail"};
	struct fx *f = *state;
	char out[8192];
	cJSON *doc;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	add_fixture_runner(f, "good", T1, 0, NULL);
	add_fixture_runner(f, "bad", T2, 1, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "good", "eligible", DEADLINE_MS);
	wait_route(f, T2, "bad", "down", DEADLINE_MS);

	assert_int_equal(
	        rwt_cli(f->cli_log, out, sizeof(out), "route", T1, "--server", f->d.url, NULL), 0);
	assert_non_null(strstr(out, "good"));
	assert_int_equal(
	        rwt_cli(f->cli_log, out, sizeof(out), "route", T2, "--server", f->d.url, NULL), 3);
	assert_non_null(strstr(out, "bad"));

	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "route", T1, "--json", "--server",
	                         f->d.url, NULL),
	                 0);
	doc = cJSON_Parse(out);
	if (!doc)
		fail_msg("route --json printed no JSON: %s", out);
	assert_string_equal(json_str(doc, "target"), T1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "eligible")), 1);
	expect_place(doc, "good", "eligible", NULL);
	cJSON_Delete(doc);

	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "route", T2, "--json", "--server",
	                         f->d.url, NULL),
	                 3);
	doc = cJSON_Parse(out);
	if (!doc)
		fail_msg("route --json printed no JSON: %s", out);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "eligible")), 0);
	expect_place(doc, "bad", "down", NULL);
	cJSON_Delete(doc);

	/* A daemon that cannot be asked: exit 1. The URL is the stopped one's. */
	rwt_daemon_stop(&f->d, STOP_MS);
	assert_int_equal(
	        rwt_cli(f->cli_log, out, sizeof(out), "route", T1, "--server", f->d.url, NULL), 1);
	f->passed = true;
}

/* SIGTERM: exit 0 within STOP_MS; the database is whole and holds the run. */
static void test_sigterm_flushes(void **state)
{
	static const char *const modes[] = {"ok", "fail"};
	struct fx *f = *state;
	int64_t id_ok, id_bad, t_stop;
	const char *db;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	id_ok = add_fixture_runner(f, "up-one", T1, 0, NULL);
	id_bad = add_fixture_runner(f, "down-one", T1, 1, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "up-one", "eligible", DEADLINE_MS);
	wait_route(f, T1, "down-one", "down", DEADLINE_MS);
	t_stop = clock_wall_ms();
	rwt_daemon_stop(&f->d, STOP_MS);

	db = open_db(f);
	check_integrity(db);
	assert_true(q_int(db, "SELECT count(*) FROM samples WHERE runner_id = ?1 AND errclass = 0",
	                  id_ok, 0) >= 1);
	assert_true(q_int(db, "SELECT count(*) FROM samples WHERE runner_id = ?1 AND errclass = 5",
	                  id_bad, 0) >= 2);
	/* Registration's unknown, then the confirmed state. */
	assert_true(q_int(db, "SELECT count(*) FROM intervals WHERE runner_id = ?1", id_ok, 0) >=
	            2);
	assert_true(q_int(db, "SELECT count(*) FROM intervals WHERE runner_id = ?1", id_bad, 0) >=
	            2);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM intervals WHERE runner_id = ?1 AND state = 1",
	                       id_ok, 0),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM intervals WHERE runner_id = ?1 AND state = 2",
	                       id_ok, 0),
	                 0);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM intervals WHERE runner_id = ?1 AND state = 2",
	                       id_bad, 0),
	                 1);
	/* The last tick was written at shutdown, after we asked. */
	assert_true(q_int(db, "SELECT max(last_tick_ms) FROM monitor_runs", 0, 0) >= t_stop);
	f->passed = true;
}

/* A restart: the time the daemon was away is a "downtime" blind period and
 * unknown in availability, never down. */
static void test_restart_gap_is_unknown(void **state)
{
	static const char *const modes[] = {"ok", "fail"};
	struct fx *f = *state;
	int64_t id_ok, id_bad, t_stop, t_restart, now;
	struct avail a;
	const char *db;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	id_ok = add_fixture_runner(f, "steady", T1, 0, NULL);
	id_bad = add_fixture_runner(f, "broken", T1, 1, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "steady", "eligible", DEADLINE_MS);
	wait_route(f, T1, "broken", "down", DEADLINE_MS);
	rwt_daemon_stop(&f->d, STOP_MS);
	t_stop = clock_wall_ms();
	rwt_sleep_ms(3000);
	t_restart = clock_wall_ms();
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "steady", "eligible", DEADLINE_MS);
	wait_route(f, T1, "broken", "down", DEADLINE_MS);

	/* The gap itself: all unknown, for the up runner and the down one. */
	get_avail(f, id_ok, t_stop, t_restart, &a);
	assert_int_equal(a.unknown, t_restart - t_stop);
	get_avail(f, id_bad, t_stop, t_restart, &a);
	assert_int_equal(a.unknown, t_restart - t_stop);
	assert_int_equal(a.down, 0);
	/* The whole test: both runs' evidence, and the gap as unknown. */
	now = clock_wall_ms();
	get_avail(f, id_bad, f->t0 - 1000, now, &a);
	assert_true(a.down > 0);
	assert_true(a.unknown >= t_restart - t_stop);
	get_avail(f, id_ok, f->t0 - 1000, now, &a);
	assert_true(a.up > 0);
	assert_int_equal(a.down, 0);
	assert_true(a.unknown >= t_restart - t_stop);
	rwt_daemon_stop(&f->d, STOP_MS);

	db = open_db(f);
	check_integrity(db);
	assert_int_equal(q_int(db, "SELECT count(*) FROM monitor_runs", 0, 0), 2);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM blind_periods WHERE cause = 'downtime'"
	                       " AND start_ms <= ?1 AND end_ms >= ?2",
	                       t_stop, t_restart),
	                 1);
	/* Stored as unknown too (what reports read): the state in force at the
	 * restart began at or before the stop. */
	for (int i = 0; i < 2; i++) {
		static const char sql[] = "SELECT state FROM intervals WHERE runner_id = ?1"
		                          " AND start_ms <= ?2 ORDER BY start_ms DESC LIMIT 1";
		assert_int_equal(q_int(db, sql, i ? id_bad : id_ok, t_restart), 0);
	}
	/* No down interval starts inside the gap. */
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM intervals WHERE state = 2"
	                       " AND start_ms >= ?1 AND start_ms < ?2",
	                       t_stop, t_restart),
	                 0);
	f->passed = true;
}

/* The address guard: without --allow-cidr, probes never reach loopback.
 * The runners were registered with --allow-cidr (the CLI checks URLs as the
 * API does) and the daemon runs without it, as when a name comes to resolve
 * to a guarded address: the monitor refuses to look, so the runners are
 * unknown (cause refused_by_guard), never down, and no incident opens. */
static void test_guard_refuses_loopback(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int64_t id_ip, id_name, deadline;
	char url[128];
	int s, accepted = 0;
	const char *db;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 16), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);

	add_operator(f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", ntohs(sa.sin_port));
	id_ip = add_runner(f, "sneaky-ip", T1, url, NULL);
	/* A name is checked at connect time too, not by its spelling. */
	snprintf(url, sizeof(url), "http://localhost:%d/health", ntohs(sa.sin_port));
	id_name = add_runner(f, "sneaky-name", T1, url, NULL);
	{
		const char *const no_allow[] = {"--policy", f->policy, NULL};
		rwt_daemon_start(&f->d, f->daemon_log, f->db, no_allow);
	}

	/* Several intervals with no connection. */
	deadline = rwt_mono_ms() + 4000;
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c >= 0) {
			accepted++;
			close(c);
		}
		if (rwt_mono_ms() >= deadline)
			break;
		rwt_sleep_ms(20);
	}
	{
		cJSON *doc = get_route(f, T1);
		expect_place(doc, "sneaky-ip", "unknown", "last probe: refused_by_guard");
		expect_place(doc, "sneaky-name", "unknown", "last probe: refused_by_guard");
		cJSON_Delete(doc);
	}
	for (int c; (c = accept(s, NULL, NULL)) >= 0; close(c))
		accepted++;
	close(s);
	rwt_daemon_stop(&f->d, STOP_MS);
	assert_int_equal(accepted, 0);

	db = open_db(f);
	for (int i = 0; i < 2; i++) {
		int64_t id = i ? id_name : id_ip;
		int64_t all = q_int(db, "SELECT count(*) FROM samples WHERE runner_id = ?1", id, 0);
		int64_t refused = q_int(
		        db, "SELECT count(*) FROM samples WHERE runner_id = ?1 AND errclass = 8",
		        id, 0);
		if (all < 2 || refused != all)
			fail_msg("runner %" PRId64 ": %" PRId64 " samples, %" PRId64
			         " refused_by_guard",
			         id, all, refused);
		assert_int_equal(q_int(db,
		                       "SELECT count(*) FROM intervals WHERE runner_id = ?1"
		                       " AND state <> 0",
		                       id, 0),
		                 0);
		assert_int_equal(
		        q_int(db, "SELECT count(*) FROM incidents WHERE runner_id = ?1", id, 0), 0);
		assert_int_equal(q_int(db,
		                       "SELECT count(*) FROM flags WHERE runner_id = ?1"
		                       " AND flagged = 1",
		                       id, 0),
		                 0);
	}
	{
		char *log = rwt_slurp(f->daemon_log, NULL);
		assert_non_null(log);
		if (!strstr(log, "probe refused by the address guard") ||
		    !strstr(log, "runner=sneaky-ip cause=refused_by_guard") ||
		    !strstr(log, "runner=sneaky-name cause=refused_by_guard"))
			fail_msg(
			        "the daemon's log does not say that the guard refused each runner");
		free(log);
	}
	f->passed = true;
}

/* /metrics names the families the README promises, with live values. */
static void test_metrics(void **state)
{
	static const char *const modes[] = {"ok", "fail"};
	static const char *const names[] = {
	        "runwarden_probes_total{result=\"ok\"}",
	        "runwarden_probes_total{result=\"http_status\"}",
	        "runwarden_probe_latency_seconds_bucket",
	        "runwarden_runners{state=",
	        "runwarden_writer_queue_depth ",
	        "runwarden_loop_lag_seconds_bucket",
	        "runwarden_loop_lag_seconds_count",
	        "runwarden_policy_info{sha256=\"",
	        "runwarden_policy_reload_failures_total ",
	        "runwarden_blind_periods_total{cause=\"correlated\"} 0\n",
	        "runwarden_blind_active{cause=\"storage\"} 0\n",
	};
	struct fx *f = *state;
	char *m;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	add_fixture_runner(f, "m-up", T1, 0, NULL);
	add_fixture_runner(f, "m-down", T1, 1, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "m-up", "eligible", DEADLINE_MS);
	wait_route(f, T1, "m-down", "down", DEADLINE_MS);
	m = get_metrics(f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(m, names[i])) {
			free(m);
			fail_msg("/metrics has no %s", names[i]);
		}
	assert_true(metric_value(m, "runwarden_probes_total{result=\"ok\"}") >= 1);
	assert_true(metric_value(m, "runwarden_probes_total{result=\"http_status\"}") >= 2);
	assert_true(metric_value(m, "runwarden_runners{state=\"up\"}") == 1);
	assert_true(metric_value(m, "runwarden_runners{state=\"down\"}") == 1);
	assert_true(metric_value(m, "runwarden_writer_queue_depth") >= 0);
	assert_true(metric_value(m, "runwarden_loop_lag_seconds_count") >= 1);
	free(m);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* The registry is live: add and retire with the CLI while the daemon runs. */
static void test_registry_live(void **state)
{
	static const char *const modes[] = {"ok", "ok"};
	struct fx *f = *state;
	char out[512];
	cJSON *doc;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	add_fixture_runner(f, "first", T1, 0, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "first", "eligible", DEADLINE_MS);
	wait_route(f, T1, "late", "absent", 1);

	add_fixture_runner(f, "late", T1, 1, NULL);
	wait_route(f, T1, "late", "eligible", 10000);

	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "runner", "retire", "late", "--db",
	                         f->db, NULL),
	                 0);
	wait_route(f, T1, "late", "absent", 10000);
	doc = get_route(f, T1);
	expect_place(doc, "first", "eligible", NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "eligible")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "excluded")), 0);
	cJSON_Delete(doc);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* SIGHUP with a broken policy: keeps serving with the old policy. */
static void test_sighup_broken_policy(void **state)
{
	static const char *const modes[] = {"ok"};
	struct fx *f = *state;
	char before[256], after[256], *m;
	int64_t deadline;
	double fails = -1;
	int status;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 1);
	add_operator(f);
	add_fixture_runner(f, "hup", T1, 0, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "hup", "eligible", DEADLINE_MS);
	m = get_metrics(f);
	assert_true(metric_value(m, "runwarden_policy_reload_failures_total") == 0);
	policy_info_line(m, before, sizeof(before));
	free(m);
	assert_true(strlen(before) > 64);

	rwt_write_file(f->policy, "{ \"version\": 1, \"probe\": { \"interval_s\": ");
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	deadline = rwt_mono_ms() + DEADLINE_MS;
	for (;;) {
		m = get_metrics(f);
		fails = metric_value(m, "runwarden_policy_reload_failures_total");
		policy_info_line(m, after, sizeof(after));
		assert_true(metric_value(m, "runwarden_policy_reloads_total") == 0);
		free(m);
		if (fails != 0 || rwt_mono_ms() >= deadline)
			break;
		rwt_sleep_ms(100);
	}
	assert_true(fails == 1);
	assert_string_equal(after, before);
	/* Still alive, still probing with the old policy. */
	assert_int_equal(waitpid(f->d.pid, &status, WNOHANG), 0);
	rwt_sleep_ms(1500);
	wait_route(f, T1, "hup", "eligible", 1);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* Flags: below the floor a runner is flagged (excluded with the figures),
 * and it stays flagged when it is up again until its rolling uptime reaches
 * floor + restore_margin; each flag is stored with the policy version.
 * Probation: a new runner is excluded for its first probation_days. */
static void test_flags_and_probation(void **state)
{
	static const char *const modes[] = {"ok", "ok"};
	struct fx *f = *state;
	char where[64], detail[128];
	const char *db;
	cJSON *doc;
	int64_t id;

	rwt_write_file(f->policy,
	               "{ \"version\": 1, \"uptime_floor\": 0.9,\n"
	               "  \"targets\": { \"" T2 "\": 3 },\n"
	               "  \"tiers\": { \"3\": { \"uptime_floor\": 0.5 } },\n"
	               "  \"flagging\": { \"probation_days\": 0, \"restore_margin\": 0.09 },\n"
	               "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	               "             \"failures_to_down\": 1, \"successes_to_up\": 1 } }\n");
	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	id = add_fixture_runner(f, "wobbly", T1, 0, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "wobbly", "eligible", DEADLINE_MS);
	rwt_sleep_ms(3000);

	/* Down for a few seconds: well below 0.9 of a short history. */
	rwt_fixture_mode(&f->fx, 0, "fail");
	wait_route(f, T1, "wobbly", "down", DEADLINE_MS);
	rwt_sleep_ms(2500);
	rwt_fixture_mode(&f->fx, 0, "ok");
	wait_route(f, T1, "wobbly", "flagged", DEADLINE_MS);
	doc = get_route(f, T1);
	route_place(doc, "wobbly", where, sizeof(where), detail, sizeof(detail));
	cJSON_Delete(doc);
	assert_non_null(strstr(detail, "< floor 0.900000"));

	/* It is up but stays flagged: hysteresis. */
	rwt_sleep_ms(1500);
	doc = get_route(f, T1);
	expect_place(doc, "wobbly", "flagged", NULL);
	cJSON_Delete(doc);

	/* A new runner under a 1-day probation is excluded as such (SIGHUP
	 * applies the new policy); the tier-3 floor 0.5 is its floor. */
	rwt_write_file(f->policy,
	               "{ \"version\": 2, \"uptime_floor\": 0.9,\n"
	               "  \"targets\": { \"" T2 "\": 3 },\n"
	               "  \"tiers\": { \"3\": { \"uptime_floor\": 0.5 } },\n"
	               "  \"flagging\": { \"probation_days\": 1, \"restore_margin\": 0.09 },\n"
	               "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	               "             \"failures_to_down\": 1, \"successes_to_up\": 1 } }\n");
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	add_fixture_runner(f, "newbie", T2, 1, NULL);
	wait_route(f, T2, "newbie", "probation", DEADLINE_MS);
	doc = get_route(f, T2);
	route_place(doc, "newbie", where, sizeof(where), detail, sizeof(detail));
	cJSON_Delete(doc);
	assert_non_null(strstr(detail, "in probation until"));
	{
		/* The route's text says until when, as a date and time. */
		char out[2048];
		const char *p;
		assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "route", T2, "--server",
		                         f->d.url, NULL),
		                 3);
		p = strstr(out, "newbie");
		assert_non_null(p);
		p = strstr(p, "in probation until 20");
		if (!p || !strchr(p, 'T') || !strchr(p, 'Z'))
			fail_msg("route: no end of probation in:\n%s", out);
		/* The admin waives it (a runner moved from another monitor):
		 * eligible as soon as it is up, without a restart. */
		assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "runner", "approve",
		                         "newbie", "--no-probation", "--db", f->db, NULL),
		                 0);
		assert_non_null(strstr(out, "probation waived"));
		wait_route(f, T2, "newbie", "eligible", DEADLINE_MS);
		assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "runner", "approve",
		                         "newbie", "--no-probation", "--db", f->db, NULL),
		                 0);
		assert_non_null(strstr(out, "waived before"));
		assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "runner", "retire", "wobbly",
		                         "--no-probation", "--db", f->db, NULL),
		                 2);
	}
	rwt_daemon_stop(&f->d, STOP_MS);

	db = open_db(f);
	assert_true(q_int(db,
	                  "SELECT COUNT(*) FROM flags WHERE runner_id = ? AND flagged = 1"
	                  " AND policy_id IS NOT NULL AND reason LIKE 'uptime %' AND ? = 0",
	                  id, 0) >= 1);
	assert_int_equal(q_int(db,
	                       "SELECT COUNT(*) FROM flags WHERE runner_id = ? AND flagged = 0"
	                       " AND ? = 0",
	                       id, 0),
	                 0);
	f->passed = true;
}

/* Maintenance declared with enough notice is maintenance (excluded from the
 * route, counted as maintenance_ms, not down); declared without the notice
 * the policy asks for, it counts as what the probes saw. */
static void test_maintenance_notice(void **state)
{
	static const char *const modes[] = {"fail", "fail"};
	struct fx *f = *state;
	char out[512], from[40], to[40];
	struct avail a, b;
	int64_t now, id_ok, id_late;

	rwt_write_file(f->policy,
	               "{ \"version\": 1, \"uptime_floor\": 0,\n"
	               "  \"flagging\": { \"probation_days\": 0 },\n"
	               "  \"targets\": { \"" T2 "\": 3 },\n"
	               "  \"maintenance\": { \"min_notice_h\": 0, \"max_h_per_month\": 8 },\n"
	               "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	               "             \"failures_to_down\": 1, \"successes_to_up\": 1 } }\n");
	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	add_operator(f);
	id_ok = add_fixture_runner(f, "noticed", T1, 0, NULL);
	id_late = add_fixture_runner(f, "late", T2, 1, NULL);
	now = clock_wall_ms();
	rfc3339_format(now - 1000, from, sizeof(from));
	rfc3339_format(now + 3600000, to, sizeof(to));
	/* min_notice_h 0: a window declared now counts from now on. */
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "maintenance", "add", "noticed",
	                         "--from", from, "--to", to, "--reason", "kernel update", "--db",
	                         f->db, NULL),
	                 0);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T1, "noticed", "maintenance", DEADLINE_MS);
	wait_route(f, T2, "late", "down", DEADLINE_MS);
	rwt_sleep_ms(2500);
	now = clock_wall_ms();
	get_avail(f, id_ok, now - 2000, now, &a);
	assert_int_equal(a.maint, 2000);
	assert_int_equal(a.down, 0);

	/* The late one: a policy asking 1 h of notice, declared now: not
	 * credited, so it stays down. */
	rwt_daemon_stop(&f->d, STOP_MS);
	rwt_write_file(f->policy,
	               "{ \"version\": 2, \"uptime_floor\": 0,\n"
	               "  \"flagging\": { \"probation_days\": 0 },\n"
	               "  \"maintenance\": { \"min_notice_h\": 1, \"max_h_per_month\": 8 },\n"
	               "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	               "             \"failures_to_down\": 1, \"successes_to_up\": 1 } }\n");
	now = clock_wall_ms();
	rfc3339_format(now + 3600000, to, sizeof(to));
	rfc3339_format(now, from, sizeof(from));
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "maintenance", "add", "late",
	                         "--from", from, "--to", to, "--reason", "short notice", "--db",
	                         f->db, NULL),
	                 0);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_route(f, T2, "late", "down", DEADLINE_MS);
	rwt_sleep_ms(2500);
	now = clock_wall_ms();
	get_avail(f, id_late, now - 2000, now, &b);
	assert_int_equal(b.maint, 0);
	assert_true(b.down > 0);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* ---- the monitor's own blindness ----------------------------------------------- */

/* Polls /metrics until the sample `name` has the value `want` (or, with
 * at_least, a value >= want). */
static void wait_metric(struct fx *f, const char *name, double want, bool at_least,
                        int64_t timeout_ms)
{
	int64_t deadline = rwt_mono_ms() + timeout_ms;

	for (;;) {
		char *m = get_metrics(f);
		double v = metric_value(m, name);
		free(m);
		if (v == want || (at_least && v > want))
			return;
		if (rwt_mono_ms() >= deadline)
			fail_msg("/metrics: %s is %g, not %s%g, after %" PRId64 " ms", name, v,
			         at_least ? ">= " : "", want, timeout_ms);
		rwt_sleep_ms(100);
	}
}

/* Whether a line of the file at path holds both a and b. */
static bool log_has(const char *path, const char *a, const char *b)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	bool found = false;

	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp))
		found = strstr(line, a) && strstr(line, b);
	fclose(fp);
	return found;
}

/* Correlated failures: six runners whose ports refuse connections fail at
 * once (class connect); with min_runners 4 and failures_to_down 1 the
 * monitor is blind (cause correlated), and they are unknown, never down,
 * even for the failures that came before the fourth; a runner that answers
 * stays up. */
static void test_correlated_blindness(void **state)
{
	static const char *const modes[] = {"refuse", "refuse", "refuse", "refuse",
	                                    "refuse", "refuse", "ok"};
	struct fx *f = *state;
	int64_t ids[6], id_ok, now;
	char name[32], *m;
	struct avail a;
	const char *db;
	cJSON *doc;

	rwt_write_file(f->policy,
	               "{ \"version\": 1, \"uptime_floor\": 0,\n"
	               "  \"flagging\": { \"probation_days\": 0 },\n"
	               "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	               "             \"failures_to_down\": 1, \"successes_to_up\": 1 },\n"
	               "  \"blindness\": { \"fraction\": 0.5, \"min_runners\": 4 } }\n");
	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 7);
	add_operator(f);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "dark-%d", i);
		ids[i] = add_fixture_runner(f, name, T1, (size_t)i, NULL);
	}
	id_ok = add_fixture_runner(f, "lit", T1, 6, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_metric(f, "runwarden_blind_active{cause=\"correlated\"}", 1, false, DEADLINE_MS);
	wait_route(f, T1, "lit", "eligible", DEADLINE_MS);
	/* failures_to_down is reached at every probe: three rounds of them. */
	wait_metric(f, "runwarden_probes_total{result=\"connect\"}", 18, true, DEADLINE_MS);

	doc = get_route(f, T1);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "dark-%d", i);
		expect_place(doc, name, "unknown", NULL);
	}
	expect_place(doc, "lit", "eligible", NULL);
	cJSON_Delete(doc);
	now = clock_wall_ms();
	for (int i = 0; i < 6; i++) {
		get_avail(f, ids[i], f->t0 - 1000, now, &a);
		if (a.down != 0 || a.up != 0)
			fail_msg("dark-%d: down %" PRId64 " ms, up %" PRId64 " ms", i, a.down,
			         a.up);
	}
	get_avail(f, id_ok, f->t0 - 1000, now, &a);
	assert_true(a.up > 0);
	m = get_metrics(f);
	assert_true(metric_value(m, "runwarden_blind_periods_total{cause=\"correlated\"}") == 1);
	assert_true(metric_value(m, "runwarden_blind_active{cause=\"canary\"}") == 0);
	free(m);
	rwt_daemon_stop(&f->d, STOP_MS);
	assert_true(log_has(f->daemon_log, "level=warn msg=\"monitor blind:", "cause=correlated"));
	assert_true(
	        log_has(f->daemon_log, "level=info msg=\"monitor sees again", "cause=correlated"));

	db = open_db(f);
	check_integrity(db);
	/* Ended by the shutdown, so stored. */
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM blind_periods WHERE cause = 'correlated'"
	                       " AND start_ms >= ?1 AND end_ms > start_ms",
	                       f->t0, 0),
	                 1);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(q_int(db,
		                       "SELECT count(*) FROM intervals WHERE runner_id = ?1"
		                       " AND state = 2",
		                       ids[i], 0),
		                 0);
		assert_true(q_int(db,
		                  "SELECT count(*) FROM samples WHERE runner_id = ?1"
		                  " AND errclass = 2",
		                  ids[i], 0) >= 2);
	}
	f->passed = true;
}

/* Canaries: while the one canary fails, a failing runner is unknown, not
 * down, and a blind period with cause canary is stored; once the canary
 * answers, the same runner goes down. SIGHUP rebuilds the canaries. */
static void test_canary_blindness(void **state)
{
	static const char *const modes[] = {"fail", "fail"}; /* the canary, the runner */
	static const char policy_fmt[] =
	        "{ \"version\": %d, \"uptime_floor\": 0,\n"
	        "  \"flagging\": { \"probation_days\": 0 },\n"
	        "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	        "             \"failures_to_down\": 2, \"successes_to_up\": 1 },\n"
	        "  \"blindness\": { \"canaries\": [ %s ] } }\n";
	struct fx *f = *state;
	char policy[1024], canary[128], *m;
	int64_t id, t_ok, now;
	struct avail a;
	const char *db;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	snprintf(canary, sizeof(canary), "\"http://%s/health\"", f->fx.addr[0]);
	snprintf(policy, sizeof(policy), policy_fmt, 1, canary);
	rwt_write_file(f->policy, policy);
	add_operator(f);
	id = add_fixture_runner(f, "victim", T1, 1, NULL);
	rwt_daemon_start(&f->d, f->daemon_log, f->db, f->serve_args);
	wait_metric(f, "runwarden_blind_active{cause=\"canary\"}", 1, false, DEADLINE_MS);
	/* failures_to_down (2) would have been reached, after the blindness began */
	wait_metric(f, "runwarden_probes_total{result=\"http_status\"}", 4, true, DEADLINE_MS);
	wait_route(f, T1, "victim", "unknown", 1);
	m = get_metrics(f);
	assert_true(metric_value(m, "runwarden_canaries") == 1);
	assert_true(metric_value(m, "runwarden_canaries_failing") == 1);
	assert_true(metric_value(m, "runwarden_blind_active{cause=\"canary\"}") == 1);
	free(m);
	now = clock_wall_ms();
	get_avail(f, id, f->t0 - 1000, now, &a);
	assert_int_equal(a.down, 0);

	/* The canary answers again: the same failures make the runner down. */
	t_ok = clock_wall_ms();
	rwt_fixture_mode(&f->fx, 0, "ok");
	wait_route(f, T1, "victim", "down", DEADLINE_MS);
	m = get_metrics(f);
	assert_true(metric_value(m, "runwarden_blind_active{cause=\"canary\"}") == 0);
	assert_true(metric_value(m, "runwarden_blind_periods_total{cause=\"canary\"}") == 1);
	assert_true(metric_value(m, "runwarden_canaries_failing") == 0);
	free(m);
	now = clock_wall_ms();
	get_avail(f, id, f->t0 - 1000, t_ok - 1000, &a);
	assert_int_equal(a.down, 0); /* the canary-blind time stays unknown */
	get_avail(f, id, f->t0 - 1000, now, &a);
	assert_true(a.down > 0);
	assert_true(log_has(f->daemon_log, "level=warn msg=\"monitor blind:", "cause=canary"));
	assert_true(log_has(f->daemon_log, "level=info msg=\"monitor sees again", "duration_ms="));

	/* SIGHUP: a policy without canaries leaves none scheduled. */
	snprintf(policy, sizeof(policy), policy_fmt, 2, "");
	rwt_write_file(f->policy, policy);
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	wait_metric(f, "runwarden_policy_reloads_total", 1, false, DEADLINE_MS);
	wait_metric(f, "runwarden_canaries", 0, false, 1);
	wait_route(f, T1, "victim", "down", 1);
	rwt_daemon_stop(&f->d, STOP_MS);

	db = open_db(f);
	check_integrity(db);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM blind_periods WHERE cause = 'canary'"
	                       " AND start_ms >= ?1 AND end_ms >= ?2",
	                       f->t0, t_ok),
	                 1);
	/* The one down interval starts after the canary answered. */
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM intervals WHERE runner_id = ?1"
	                       " AND state = 2",
	                       id, 0),
	                 1);
	assert_true(q_int(db, "SELECT start_ms FROM intervals WHERE runner_id = ?1 AND state = 2",
	                  id, 0) >= t_ok - 1000);
	f->passed = true;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

/* An optional argument runs the tests whose names match it (cmocka pattern). */
int main(int argc, char **argv)
{
	/* The daemons this test starts inherit the admin token. */
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_route_and_availability, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_route_cli, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_flags_and_probation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_maintenance_notice, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sigterm_flushes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_restart_gap_is_unknown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_guard_refuses_loopback, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_registry_live, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sighup_broken_policy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_correlated_blindness, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_canary_blindness, setup, teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
