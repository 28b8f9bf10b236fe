/* SPDX-License-Identifier: MIT */
/*
 * test_api.c — the operator API against the real daemon over HTTP:
 *
 *   - scoping: on every runner and incident endpoint, operator A's token
 *     gets 404 for operator B's objects and the admin's does not; an
 *     operator cannot approve its own runner; revoked and expired tokens
 *     get 401;
 *   - registration: pending -> approved -> retired by the one table
 *     (policy/registration.h): approving twice is 200 and writes nothing, a
 *     retired runner answers 409 to approve, retire and DELETE;
 *   - push heartbeats: a missed heartbeat is down from the last heartbeat +
 *     interval, exactly; a heartbeat token is good for its runner only;
 *   - incidents: opened by the down interval, acknowledged and mitigated
 *     once each;
 *   - no raw token in the database file or its WAL;
 *   - bad input: each case gets a 4xx problem naming the field and writes
 *     nothing;
 *   - the address guard at registration, in every spelling;
 *   - GitHub pools: registered pending with "mode": "github", approved,
 *     listed with their source, labels and numbers; a member (made as the
 *     daemon makes them, through the store) listed with its pool, GitHub id
 *     and name, neither changed nor retired by hand; every bad pool a 400
 *     naming the field, nothing written; the daemon, which does not watch
 *     them yet, keeps serving and restarts with them in the database;
 *   - limits: per-token write rate (429 + Retry-After), the header timeout
 *     and the connection cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "monitor/store/store.h"
#include "rwtest.h"

#define ADMIN       "test-admin-token-0123456789abcdef0123456789"
#define DEADLINE_MS 15000
#define T1          "riscv64gc-unknown-linux-gnu"

static const char policy_json[] = "{ \"version\": 1, \"uptime_floor\": 0,\n"
                                  "  \"flagging\": { \"probation_days\": 0 },\n"
                                  "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
                                  "             \"failures_to_down\": 2 },\n"
                                  "  \"push\": { \"grace_s\": 1 },\n"
                                  "  \"maintenance\": { \"min_notice_h\": 0 } }\n";

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char policy[320], config[320], log[320];
	const char *serve_args[5]; /* --policy, --config */
	struct rwt_daemon d;
};

/* ---- fixture -------------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "api");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	rwt_write_file(f->policy, policy_json);
	rwt_write_file(f->config, "{}\n");
	f->serve_args[0] = "--policy";
	f->serve_args[1] = f->policy;
	f->serve_args[2] = "--config";
	f->serve_args[3] = f->config;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	rwt_daemon_kill(&f->d, SIGKILL, 1000);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

/* ---- requests ------------------------------------------------------------- */

/* Sends a request; requires @p want; returns the parsed JSON body (the
 * caller deletes it) or NULL when the body is empty. For 4xx answers it
 * requires a problem+json naming @p field (unless NULL) and returns NULL. */
static cJSON *req(struct fx *f, const char *method, const char *token, const char *body, long want,
                  const char *field, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static cJSON *req(struct fx *f, const char *method, const char *token, const char *body, long want,
                  const char *field, const char *fmt, ...)
{
	char path[512], url[700];
	struct rwt_resp r;
	cJSON *doc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rwt_http(method, url, token, body, (size_t)-1, &r);
	if (r.status != want)
		fail_msg("%s %s: HTTP %ld, want %ld: %.300s", method, path, r.status, want, r.body);
	doc = r.len ? cJSON_Parse(r.body) : NULL;
	if (r.len && !doc)
		fail_msg("%s %s: the answer is not JSON: %.200s", method, path, r.body);
	if (want >= 400) {
		const cJSON *fl = cJSON_GetObjectItem(doc, "field");
		if (strcmp(r.ctype, "application/problem+json") != 0)
			fail_msg("%s %s: Content-Type %s", method, path, r.ctype);
		if (cJSON_GetObjectItem(doc, "status")->valueint != want ||
		    !cJSON_IsString(cJSON_GetObjectItem(doc, "detail")))
			fail_msg("%s %s: not a problem: %s", method, path, r.body);
		if (field && (!cJSON_IsString(fl) || strcmp(fl->valuestring, field) != 0))
			fail_msg("%s %s: field is not \"%s\": %s", method, path, field, r.body);
		cJSON_Delete(doc); /* a problem is checked here, not returned */
		doc = NULL;
	}
	rwt_resp_free(&r);
	return doc;
}

static int64_t jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	if (!cJSON_IsNumber(v))
		fail_msg("member %s is not a number", k);
	return (int64_t)v->valuedouble;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	if (!cJSON_IsString(v))
		fail_msg("member %s is not a string", k);
	return v->valuestring;
}

/* Creates an operator; returns its id and copies its token. */
static int64_t new_operator(struct fx *f, const char *name, char *token, size_t len)
{
	char body[200];
	cJSON *d;
	int64_t id;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"%s@example.org\"}", name, name);
	d = req(f, "POST", ADMIN, body, 201, NULL, "/v1/operators");
	id = jint(d, "id");
	snprintf(token, len, "%s", jstr(d, "token"));
	assert_int_equal(strncmp(token, "rw_", 3), 0);
	assert_int_equal(strlen(token), 3 + 64);
	cJSON_Delete(d);
	return id;
}

/* Registers a runner (url NULL: push); returns its id and the heartbeat token. */
static int64_t new_runner(struct fx *f, const char *token, const char *name, const char *url,
                          char *hb, size_t hblen)
{
	char body[400];
	cJSON *d;
	int64_t id;

	if (url)
		snprintf(body, sizeof(body),
		         "{\"name\":\"%s\",\"targets\":[\"" T1 "\"],\"url\":\"%s\"}", name, url);
	else
		snprintf(body, sizeof(body),
		         "{\"name\":\"%s\",\"targets\":[\"" T1 "\"],\"mode\":\"push\"}", name);
	d = req(f, "POST", token, body, 201, NULL, "/v1/runners");
	id = jint(d, "id");
	assert_string_equal(jstr(d, "status"), "pending");
	if (!url)
		snprintf(hb, hblen, "%s", jstr(d, "heartbeat_token"));
	else
		assert_null(cJSON_GetObjectItem(d, "heartbeat_token"));
	cJSON_Delete(d);
	return id;
}

static void approve(struct fx *f, int64_t id)
{
	cJSON_Delete(req(f, "POST", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64 "/approve", id));
}

/* Sends a request that must be refused with 409 naming "id"; copies the
 * problem's detail into @p detail. */
static void conflict(struct fx *f, const char *method, const char *token, char *detail, size_t len,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void conflict(struct fx *f, const char *method, const char *token, char *detail, size_t len,
                     const char *fmt, ...)
{
	char path[512], url[700];
	struct rwt_resp r;
	const cJSON *fl, *dt;
	cJSON *doc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rwt_http(method, url, token, NULL, (size_t)-1, &r);
	if (r.status != 409 || strcmp(r.ctype, "application/problem+json") != 0)
		fail_msg("%s %s: HTTP %ld (%s), want a 409 problem: %.300s", method, path, r.status,
		         r.ctype, r.body);
	doc = cJSON_Parse(r.body);
	fl = cJSON_GetObjectItem(doc, "field");
	dt = cJSON_GetObjectItem(doc, "detail");
	if (!cJSON_IsString(fl) || strcmp(fl->valuestring, "id") != 0 || !cJSON_IsString(dt))
		fail_msg("%s %s: not a problem naming \"id\": %.300s", method, path, r.body);
	snprintf(detail, len, "%s", dt->valuestring);
	cJSON_Delete(doc);
	rwt_resp_free(&r);
}

static int64_t db_int(struct fx *f, const char *sql)
{
	int64_t v = rwt_sql_int(f->db, sql);

	return v == -999 ? -1 : v;
}

/* Waits for the state of runner @p id (as the admin sees it). */
static cJSON *wait_state(struct fx *f, int64_t id, const char *state)
{
	int64_t deadline = rwt_mono_ms() + DEADLINE_MS;

	for (;;) {
		cJSON *d = req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64, id);
		if (strcmp(jstr(d, "state"), state) == 0)
			return d;
		cJSON_Delete(d);
		if (rwt_mono_ms() > deadline)
			fail_msg("runner %" PRId64 " never became %s", id, state);
		rwt_sleep_ms(100);
	}
}

static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	int ms = 0;
	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &ms) < 6)
		fail_msg("not a time: %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_scoping(void **state)
{
	struct fx *f = *state;
	char ta[100], tb[100], hb[100], t2[100];
	int64_t a, b, ra, rb, pb, mid, inc, tid;
	cJSON *d;
	char body[300];

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	a = new_operator(f, "acme", ta, sizeof(ta));
	b = new_operator(f, "bravo", tb, sizeof(tb));
	ra = new_runner(f, ta, "acme-1", "http://acme-1.example.org:9/health", NULL, 0);
	rb = new_runner(f, tb, "bravo-1", "http://bravo-1.example.org:9/health", NULL, 0);
	pb = new_runner(f, tb, "bravo-push", NULL, hb, sizeof(hb));

	/* An operator cannot approve (or retire) its own runner. */
	req(f, "POST", tb, NULL, 403, NULL, "/v1/runners/%" PRId64 "/approve", rb);
	req(f, "POST", tb, NULL, 403, NULL, "/v1/runners/%" PRId64 "/retire", rb);
	approve(f, pb);

	/* B's maintenance window, and an incident: the push runner sends no
	 * heartbeat, so it is down after interval + grace. */
	d = req(f, "POST", tb,
	        "{\"from\":\"2099-01-01T00:00:00Z\",\"to\":\"2099-01-01T02:00:00Z\","
	        "\"reason\":\"kernel update\"}",
	        201, NULL, "/v1/runners/%" PRId64 "/maintenance", rb);
	mid = jint(cJSON_GetObjectItem(d, "window"), "id");
	assert_int_equal(jint(d, "maintenance_cap_ms"), 8 * 3600000);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "warnings")), 0);
	cJSON_Delete(d);
	/* The same window again: 409 naming "from" and the window; one that
	 * overlaps it and takes the month over its 8 h cap: stored, with two
	 * warnings; then the cap is used. */
	{
		static const char again[] = "{\"from\":\"2099-01-01T00:00:00Z\",\"to\":"
		                            "\"2099-01-01T02:00:00Z\",\"reason\":\"again\"}";
		char detail[64], url[300];
		struct rwt_resp resp;
		const cJSON *w;
		req(f, "POST", tb, again, 409, "from", "/v1/runners/%" PRId64 "/maintenance", rb);
		snprintf(url, sizeof(url), "%s/v1/runners/%" PRId64 "/maintenance", f->d.url, rb);
		rwt_http("POST", url, tb, again, (size_t)-1, &resp);
		snprintf(detail, sizeof(detail), "maintenance %" PRId64 " of this runner", mid);
		if (!strstr(resp.body, detail))
			fail_msg("the 409 does not name window %" PRId64 ": %s", mid, resp.body);
		rwt_resp_free(&resp);
		d = req(f, "POST", tb,
		        "{\"from\":\"2099-01-01T01:00:00Z\",\"to\":\"2099-01-01T10:00:00Z\","
		        "\"reason\":\"longer\"}",
		        201, NULL, "/v1/runners/%" PRId64 "/maintenance", rb);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "warnings")), 2);
		w = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "warnings"), 0);
		assert_string_equal(jstr(w, "kind"), "overlap");
		assert_int_equal(jint(w, "window_id"), mid);
		assert_string_equal(jstr(w, "from"), "2099-01-01T00:00:00.000Z");
		assert_string_equal(jstr(w, "to"), "2099-01-01T02:00:00.000Z");
		w = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "warnings"), 1);
		assert_string_equal(jstr(w, "kind"), "cap_exceeded");
		assert_string_equal(jstr(w, "month"), "2099-01");
		assert_int_equal(jint(w, "used_ms"), 2 * 3600000);
		assert_int_equal(jint(w, "declared_ms"), 10 * 3600000);
		assert_int_equal(jint(w, "cap_ms"), 8 * 3600000);
		cJSON_Delete(d);
		d = req(f, "POST", tb,
		        "{\"from\":\"2099-01-05T00:00:00Z\",\"to\":\"2099-01-05T01:00:00Z\","
		        "\"reason\":\"more\"}",
		        201, NULL, "/v1/runners/%" PRId64 "/maintenance", rb);
		w = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "warnings"), 0);
		assert_string_equal(jstr(w, "kind"), "cap_used");
		assert_int_equal(jint(w, "used_ms"), 8 * 3600000);
		cJSON_Delete(d);
	}
	cJSON_Delete(wait_state(f, pb, "down"));
	/* The incident is written by the writer's next batch (<= 100 ms). */
	for (int64_t until = rwt_mono_ms() + DEADLINE_MS;; rwt_sleep_ms(50)) {
		d = req(f, "GET", tb, NULL, 200, NULL, "/v1/incidents?runner=%" PRId64, pb);
		if (cJSON_GetArraySize(cJSON_GetObjectItem(d, "incidents")) == 1)
			break;
		cJSON_Delete(d);
		if (rwt_mono_ms() > until)
			fail_msg("no incident for the down push runner");
	}
	inc = jint(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "incidents"), 0), "id");
	cJSON_Delete(d);

	/* Every endpoint: A gets 404 for B's runner, incident, window. */
	{
		static const char *const rbody_patch = "{\"interval_s\":30}";
		static const char *const mbody =
		        "{\"from\":\"2099-02-01T00:00:00Z\",\"to\":\"2099-02-01T01:00:00Z\","
		        "\"reason\":\"x\"}";
		req(f, "GET", ta, NULL, 404, "id", "/v1/runners/%" PRId64, rb);
		req(f, "PATCH", ta, rbody_patch, 404, "id", "/v1/runners/%" PRId64, rb);
		req(f, "DELETE", ta, NULL, 404, "id", "/v1/runners/%" PRId64, rb);
		req(f, "POST", ta, NULL, 404, "id", "/v1/runners/%" PRId64 "/approve", rb);
		req(f, "POST", ta, NULL, 404, "id", "/v1/runners/%" PRId64 "/retire", rb);
		req(f, "GET", ta, NULL, 404, "id", "/v1/runners/%" PRId64 "/availability", rb);
		req(f, "GET", ta, NULL, 404, "id", "/v1/runners/%" PRId64 "/maintenance", rb);
		req(f, "POST", ta, mbody, 404, "id", "/v1/runners/%" PRId64 "/maintenance", rb);
		req(f, "DELETE", ta, NULL, 404, "id",
		    "/v1/runners/%" PRId64 "/maintenance/%" PRId64, rb, mid);
		req(f, "POST", ta, "{}", 404, "id", "/v1/runners/%" PRId64 "/heartbeat", rb);
		req(f, "GET", ta, NULL, 404, "runner", "/v1/incidents?runner=%" PRId64, pb);
		req(f, "GET", ta, NULL, 404, "id", "/v1/incidents/%" PRId64, inc);
		req(f, "POST", ta, "{\"note\":\"mine?\"}", 404, "id",
		    "/v1/incidents/%" PRId64 "/ack", inc);
		req(f, "POST", ta, NULL, 404, "id", "/v1/incidents/%" PRId64 "/mitigated", inc);
		req(f, "GET", ta, NULL, 404, "id", "/v1/operators/%" PRId64 "/tokens", b);
		req(f, "POST", ta, NULL, 404, "id", "/v1/operators/%" PRId64 "/tokens", b);
		req(f, "DELETE", ta, NULL, 404, "id", "/v1/operators/%" PRId64 "/tokens/1", b);
		/* ... and the admin does not (the runner is B's, seen by the admin). */
		cJSON_Delete(req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64, rb));
		cJSON_Delete(req(f, "GET", ADMIN, NULL, 200, NULL,
		                 "/v1/runners/%" PRId64 "/maintenance", rb));
		cJSON_Delete(req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/incidents/%" PRId64, inc));
		cJSON_Delete(req(f, "GET", ADMIN, NULL, 200, NULL,
		                 "/v1/runners/%" PRId64 "/availability", pb));
		/* A's list holds A's runner only; the admin's holds all three. */
		d = req(f, "GET", ta, NULL, 200, NULL, "/v1/runners");
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "runners")), 1);
		assert_int_equal(
		        jint(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "runners"), 0), "id"), ra);
		cJSON_Delete(d);
		d = req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/runners");
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "runners")), 3);
		cJSON_Delete(d);
		/* Operators' listing and creation are the admin's. */
		req(f, "GET", ta, NULL, 403, NULL, "/v1/operators");
		req(f, "POST", ta, "{\"name\":\"x\",\"email\":\"x@y.z\"}", 403, NULL,
		    "/v1/operators");
	}

	/* The heartbeat token: its own runner's heartbeat only. */
	req(f, "GET", hb, NULL, 403, NULL, "/v1/runners/%" PRId64, pb);
	req(f, "POST", hb, "{}", 404, "id", "/v1/runners/%" PRId64 "/heartbeat", rb);
	req(f, "GET", hb, NULL, 403, NULL, "/v1/incidents");
	req(f, "POST", tb, "{}", 403, NULL, "/v1/runners/%" PRId64 "/heartbeat", pb);

	/* Incidents: acknowledge and mitigate once each; times are kept. */
	req(f, "POST", tb, "{}", 400, "note", "/v1/incidents/%" PRId64 "/ack", inc);
	d = req(f, "POST", tb, "{\"note\":\"on it\"}", 200, NULL, "/v1/incidents/%" PRId64 "/ack",
	        inc);
	assert_string_equal(jstr(d, "ack_note"), "on it");
	assert_true(jint(d, "time_to_acknowledge_ms") >= 0);
	cJSON_Delete(d);
	req(f, "POST", tb, "{\"note\":\"again\"}", 409, "id", "/v1/incidents/%" PRId64 "/ack", inc);
	d = req(f, "POST", tb, NULL, 200, NULL, "/v1/incidents/%" PRId64 "/mitigated", inc);
	assert_true(jint(d, "time_to_mitigate_ms") >= jint(d, "time_to_acknowledge_ms"));
	cJSON_Delete(d);
	assert_int_equal(db_int(f, "SELECT count(*) FROM incidents WHERE ack_ms IS NOT NULL AND"
	                           " mitigated_ms IS NOT NULL"),
	                 1);

	/* Tokens: a second token works until revoked; an expired one is 401. */
	d = req(f, "POST", ta, NULL, 201, NULL, "/v1/operators/%" PRId64 "/tokens", a);
	snprintf(t2, sizeof(t2), "%s", jstr(d, "token"));
	tid = jint(d, "id");
	cJSON_Delete(d);
	cJSON_Delete(req(f, "GET", t2, NULL, 200, NULL, "/v1/runners"));
	cJSON_Delete(req(f, "DELETE", ta, NULL, 200, NULL,
	                 "/v1/operators/%" PRId64 "/tokens/%" PRId64, a, tid));
	req(f, "GET", t2, NULL, 401, "Authorization", "/v1/runners");
	req(f, "DELETE", ta, NULL, 409, "tid", "/v1/operators/%" PRId64 "/tokens/%" PRId64, a, tid);
	{
		time_t soon = time(NULL) + 2;
		struct tm tm;
		char ts[40];
		gmtime_r(&soon, &tm);
		strftime(ts, sizeof(ts), "{\"expires\":\"%Y-%m-%dT%H:%M:%SZ\"}", &tm);
		d = req(f, "POST", ADMIN, ts, 201, NULL, "/v1/operators/%" PRId64 "/tokens", a);
		snprintf(t2, sizeof(t2), "%s", jstr(d, "token"));
		cJSON_Delete(d);
		cJSON_Delete(req(f, "GET", t2, NULL, 200, NULL, "/v1/runners"));
		rwt_sleep_ms(3100);
		req(f, "GET", t2, NULL, 401, "Authorization", "/v1/runners");
	}
	req(f, "GET", NULL, NULL, 401, "Authorization", "/v1/runners");
	req(f, "GET", "rw_0000000000000000000000000000000000000000000000000000000000000000", NULL,
	    401, "Authorization", "/v1/runners");

	/* The operator withdraws its runner: retired, history kept. */
	d = req(f, "DELETE", ta, NULL, 200, NULL, "/v1/runners/%" PRId64, ra);
	assert_string_equal(jstr(d, "status"), "retired");
	cJSON_Delete(d);
	req(f, "DELETE", ta, NULL, 409, "id", "/v1/runners/%" PRId64, ra);
	snprintf(body, sizeof(body), "SELECT count(*) FROM intervals WHERE runner_id = %" PRId64,
	         ra);
	assert_true(db_int(f, body) >= 1);
	rwt_daemon_stop(&f->d, 10000);
}

/* Registration follows policy/registration.h's one table, which the store
 * checks in the transaction that writes: pending -> approved -> retired and
 * pending -> retired; approving an approved runner answers 200 and writes
 * nothing; a retired runner stays retired: approve, retire and DELETE are
 * 409 with a detail naming the runner, its status and what it allows, and
 * write nothing. */
static void test_registration(void **state)
{
	static const char retired_why[] =
	        "runner acme-1 is retired; a retired runner stays retired (register a new one)";
	struct fx *f = *state;
	char t[100], detail[300], sql[200];
	int64_t r1, r2, gen, events, retired_ms;
	cJSON *d;
	char *log;

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", t, sizeof(t));
	r1 = new_runner(f, t, "acme-1", "http://acme-1.example.org:9/health", NULL, 0);
	r2 = new_runner(f, t, "acme-2", "http://acme-2.example.org:9/health", NULL, 0);

	/* pending -> approved, then approving again: 200, nothing written. */
	approve(f, r1);
	gen = db_int(f, "SELECT MAX(gen) FROM runners");
	events = db_int(f, "SELECT count(*) FROM events");
	d = req(f, "POST", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64 "/approve", r1);
	assert_string_equal(jstr(d, "status"), "approved");
	cJSON_Delete(d);
	assert_int_equal(db_int(f, "SELECT MAX(gen) FROM runners"), gen);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events"), events);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events WHERE kind = 'approved'"), 1);

	/* {"probation": false}: the admin waives a runner's probation, for an
	 * approved one too; a bad value is a 400 naming it and writes nothing;
	 * a second waiver keeps the first. */
	snprintf(sql, sizeof(sql), "SELECT probation_waived_ms FROM runners WHERE id = %" PRId64,
	         r1);
	assert_int_equal(db_int(f, sql), 0);
	req(f, "POST", ADMIN, "{\"probation\": \"no\"}", 400, "probation",
	    "/v1/runners/%" PRId64 "/approve", r1);
	req(f, "POST", ADMIN, "{\"probaton\": false}", 400, "probaton",
	    "/v1/runners/%" PRId64 "/approve", r1);
	assert_int_equal(db_int(f, "SELECT MAX(gen) FROM runners"), gen);
	d = req(f, "POST", ADMIN, "{\"probation\": true}", 200, NULL,
	        "/v1/runners/%" PRId64 "/approve", r1);
	cJSON_Delete(d);
	assert_int_equal(db_int(f, sql), 0);
	d = req(f, "POST", ADMIN, "{\"probation\": false}", 200, NULL,
	        "/v1/runners/%" PRId64 "/approve", r1);
	assert_string_equal(jstr(d, "status"), "approved");
	cJSON_Delete(d);
	retired_ms = db_int(f, sql); /* the waiver's time, for now */
	assert_true(retired_ms > 0);
	assert_true(db_int(f, "SELECT MAX(gen) FROM runners") > gen);
	cJSON_Delete(req(f, "POST", ADMIN, "{\"probation\": false}", 200, NULL,
	                 "/v1/runners/%" PRId64 "/approve", r1));
	assert_int_equal(db_int(f, sql), retired_ms);

	/* approved -> retired; then retiring twice, approving and withdrawing a
	 * retired runner are refused and write nothing. */
	d = req(f, "POST", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64 "/retire", r1);
	assert_string_equal(jstr(d, "status"), "retired");
	cJSON_Delete(d);
	snprintf(sql, sizeof(sql), "SELECT retired_ms FROM runners WHERE id = %" PRId64, r1);
	retired_ms = db_int(f, sql);
	assert_true(retired_ms > 0);
	/* The daemon's eligibility events (the retirement's, and acme-2's first
	 * one, pending) are written by the writer in a later batch: counted once
	 * they have landed (waited for, not timed: on a loaded machine, or on
	 * PostgreSQL under the sanitizers, a batch takes longer). */
	{
		char q[300];
		int64_t end = rwt_mono_ms() + 10000;
		snprintf(q, sizeof(q),
		         "SELECT count(*) FROM events WHERE runner_id = %" PRId64
		         " AND kind = 'ineligible' AND data LIKE '%%retired%%'"
		         " AND EXISTS (SELECT 1 FROM events WHERE runner_id = %" PRId64
		         " AND kind IN ('eligible', 'ineligible'))",
		         r1, r2);
		while (db_int(f, q) < 1) {
			if (rwt_mono_ms() > end)
				fail_msg("no ineligible event for the retired runner");
			rwt_sleep_ms(50);
		}
	}
	gen = db_int(f, "SELECT MAX(gen) FROM runners");
	events = db_int(f, "SELECT count(*) FROM events");
	conflict(f, "POST", ADMIN, detail, sizeof(detail), "/v1/runners/%" PRId64 "/retire", r1);
	assert_string_equal(detail, retired_why);
	conflict(f, "POST", ADMIN, detail, sizeof(detail), "/v1/runners/%" PRId64 "/approve", r1);
	assert_string_equal(detail, retired_why);
	conflict(f, "DELETE", t, detail, sizeof(detail), "/v1/runners/%" PRId64, r1);
	assert_string_equal(detail, retired_why);
	assert_int_equal(db_int(f, sql), retired_ms);
	assert_int_equal(db_int(f, "SELECT MAX(gen) FROM runners"), gen);
	assert_int_equal(db_int(f, "SELECT count(*) FROM events"), events);
	d = req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64, r1);
	assert_string_equal(jstr(d, "status"), "retired");
	cJSON_Delete(d);

	/* pending -> retired directly; it cannot be approved afterwards. */
	d = req(f, "POST", ADMIN, NULL, 200, NULL, "/v1/runners/%" PRId64 "/retire", r2);
	assert_string_equal(jstr(d, "status"), "retired");
	cJSON_Delete(d);
	conflict(f, "POST", ADMIN, detail, sizeof(detail), "/v1/runners/%" PRId64 "/approve", r2);
	assert_non_null(strstr(detail, "runner acme-2 is retired"));
	rwt_daemon_stop(&f->d, 10000);

	/* The daemon logged each change, old -> new, and nothing for the rest. */
	log = rwt_slurp(f->log, NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, "from=pending to=approved"));
	assert_non_null(strstr(log, "from=approved to=retired"));
	assert_non_null(strstr(log, "msg=\"runner probation waived\" runner_id="));
	assert_non_null(strstr(log, "from=pending to=retired"));
	{
		int n = 0;
		for (const char *p = log; (p = strstr(p, "runner registration changed")); p++)
			n++;
		assert_int_equal(n, 3);
	}
	free(log);
}

static void test_push_heartbeat(void **state)
{
	struct fx *f = *state;
	char t[100], hb[100];
	int64_t p, next = 0;
	cJSON *d;

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", t, sizeof(t));
	p = new_runner(f, t, "acme-push", NULL, hb, sizeof(hb));
	/* Pending: heartbeats are taken, the route excludes it as pending. */
	cJSON_Delete(req(f, "POST", hb, NULL, 200, NULL, "/v1/runners/%" PRId64 "/heartbeat", p));
	d = req(f, "GET", NULL, NULL, 200, NULL, "/v1/route?target=" T1);
	assert_string_equal(
	        jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "excluded"), 0), "reason"),
	        "pending");
	cJSON_Delete(d);
	approve(f, p);
	for (int i = 0; i < 8; i++) {
		d = req(f, "POST", hb, "{\"busy\":true,\"version\":\"2.3.1\",\"jobs_running\":2}",
		        200, NULL, "/v1/runners/%" PRId64 "/heartbeat", p);
		next = parse_time(jstr(d, "next_before"));
		cJSON_Delete(d);
		rwt_sleep_ms(250);
	}
	/* Labels: set by PATCH, routed by ?label=. */
	d = req(f, "PATCH", t, "{\"labels\":[\"self-hosted\",\"riscv64\"]}", 200, NULL,
	        "/v1/runners/%" PRId64, p);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "labels")), 2);
	cJSON_Delete(d);
	req(f, "PATCH", t, "{\"labels\":[\"a b\"]}", 400, "labels", "/v1/runners/%" PRId64, p);
	for (int64_t until = rwt_mono_ms() + DEADLINE_MS;; rwt_sleep_ms(100)) {
		/* Keep it up meanwhile. */
		d = req(f, "POST", hb, "{\"busy\":true,\"version\":\"2.3.1\",\"jobs_running\":2}",
		        200, NULL, "/v1/runners/%" PRId64 "/heartbeat", p);
		next = parse_time(jstr(d, "next_before"));
		cJSON_Delete(d);
		d = req(f, "GET", NULL, NULL, 200, NULL, "/v1/route?label=riscv64");
		if (cJSON_GetArraySize(cJSON_GetObjectItem(d, "eligible")) == 1)
			break;
		cJSON_Delete(d);
		if (rwt_mono_ms() > until)
			fail_msg("the runner is not eligible by its label");
	}
	assert_string_equal(jstr(d, "label"), "riscv64");
	cJSON_Delete(d);
	d = req(f, "GET", NULL, NULL, 200, NULL, "/v1/route?label=nobody-has-this");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "eligible")), 0);
	cJSON_Delete(d);
	d = wait_state(f, p, "up");
	assert_string_equal(jstr(d, "version"), "2.3.1");
	assert_int_equal(jint(d, "jobs_running"), 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "busy")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "eligible")));
	cJSON_Delete(d);
	/* Silence: down from the last heartbeat + interval (next_before is
	 * last + interval + grace, and grace is 1 s). */
	cJSON_Delete(req(f, "GET", NULL, NULL, 200, NULL, "/v1/route?target=" T1)); /* cached */
	d = wait_state(f, p, "down");
	assert_int_equal(parse_time(jstr(d, "since")), next - 1000);
	cJSON_Delete(d);
	/* A state change shows in the very next route answer, cache or not. */
	d = req(f, "GET", NULL, NULL, 200, NULL, "/v1/route?target=" T1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "eligible")), 0);
	assert_string_equal(
	        jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "excluded"), 0), "reason"), "down");
	cJSON_Delete(d);
	/* A heartbeat brings it back. */
	cJSON_Delete(req(f, "POST", hb, NULL, 200, NULL, "/v1/runners/%" PRId64 "/heartbeat", p));
	cJSON_Delete(wait_state(f, p, "up"));
	req(f, "POST", hb, "{\"busy\":\"yes\"}", 400, "busy", "/v1/runners/%" PRId64 "/heartbeat",
	    p);
	rwt_daemon_stop(&f->d, 10000);
}

static void test_no_raw_tokens(void **state)
{
	struct fx *f = *state;
	char tok[6][100], path[400];

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", tok[0], sizeof(tok[0]));
	new_operator(f, "bravo", tok[1], sizeof(tok[1]));
	new_runner(f, tok[0], "p1", NULL, tok[2], sizeof(tok[2]));
	new_runner(f, tok[1], "p2", NULL, tok[3], sizeof(tok[3]));
	{
		cJSON *d = req(f, "POST", tok[0], NULL, 201, NULL, "/v1/operators/1/tokens");
		snprintf(tok[4], sizeof(tok[4]), "%s", jstr(d, "token"));
		cJSON_Delete(d);
	}
	snprintf(tok[5], sizeof(tok[5]), "%s", ADMIN);
	if (rwt_db_is_pg(f->db)) {
		/* Every row of every table, as text (bytea as base64). */
		char sql[600];
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 1)
				rwt_daemon_stop(&f->d, 10000);
			for (int i = 0; i < 6; i++) {
				const char *needle = i < 5 ? strchr(tok[i], '_') + 1 : tok[i];
				snprintf(
				        sql, sizeof(sql),
				        "SELECT count(*) FROM information_schema.tables WHERE"
				        " table_schema = 'public' AND query_to_xml(format('SELECT *"
				        " FROM %%I', table_name), true, false, '')::text LIKE "
				        "'%%%.64s%%'",
				        needle);
				if (rwt_sql_int(f->db, sql) != 0)
					fail_msg("the database holds (the hex of) token %d", i);
			}
		}
		return;
	}
	/* While running (the WAL holds the writes), then after a clean stop. */
	for (int pass = 0; pass < 2; pass++) {
		const char *suffix[] = {"", "-wal"};
		if (pass == 1)
			rwt_daemon_stop(&f->d, 10000);
		for (int s = 0; s < 2; s++) {
			FILE *fp;
			char *data = NULL;
			size_t len = 0;
			snprintf(path, sizeof(path), "%s%s", f->db, suffix[s]);
			fp = fopen(path, "rb");
			if (!fp)
				continue; /* no WAL after a clean close */
			{
				char buf[65536];
				size_t k;
				while ((k = fread(buf, 1, sizeof(buf), fp)) > 0) {
					data = realloc(data, len + k);
					assert_non_null(data);
					memcpy(data + len, buf, k);
					len += k;
				}
			}
			fclose(fp);
			for (int i = 0; i < 6; i++)
				if (memmem(data, len, tok[i], strlen(tok[i])))
					fail_msg("%s holds raw token %d", path, i);
			/* The hex part alone must not be there either. */
			for (int i = 0; i < 5; i++)
				if (memmem(data, len, strchr(tok[i], '_') + 1, 64))
					fail_msg("%s holds the hex of token %d", path, i);
			free(data);
		}
	}
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;
	char t[100], *big, *deep;
	int64_t before;
	size_t n = 0;

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", t, sizeof(t));
	new_runner(f, t, "taken", "http://taken.example.org:9/", NULL, 0);
	before = db_int(f, "SELECT count(*) FROM runners") * 1000 +
	         db_int(f, "SELECT count(*) FROM tokens");

	big = malloc(70 * 1024 + 128);
	assert_non_null(big);
	n = (size_t)sprintf(big, "{\"name\":\"big\",\"targets\":[\"" T1 "\"],\"url\":\"");
	memset(big + n, 'a', 70 * 1024);
	strcpy(big + n + 70 * 1024, "\"}");
	req(f, "POST", t, big, 413, NULL, "/v1/runners");
	free(big);
	deep = calloc(1, 200);
	assert_non_null(deep);
	strcpy(deep, "{\"name\":");
	for (int i = 0; i < 40; i++)
		strcat(deep, "[");
	for (int i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	req(f, "POST", t, deep, 400, NULL, "/v1/runners");
	free(deep);
	req(f, "POST", t,
	    "{\"name\":\"r\xc3\x28\",\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\"}", 400, NULL,
	    "/v1/runners");
	req(f, "POST", t, "{\"name\":5,\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\"}", 400,
	    "name", "/v1/runners");
	req(f, "POST", t, "{\"name\":\"r1\",\"targets\":\"" T1 "\",\"url\":\"http://a.b/\"}", 400,
	    "targets", "/v1/runners");
	req(f, "POST", t, "{\"name\":\"r1\",\"targets\":[7],\"url\":\"http://a.b/\"}", 400,
	    "targets[0]", "/v1/runners");
	req(f, "POST", t, "{\"name\":\"r1\",\"url\":\"http://a.b/\"}", 400, "targets",
	    "/v1/runners");
	req(f, "POST", t, "{\"name\":\"r1\",\"targets\":[\"" T1 "\"]}", 400, "url", "/v1/runners");
	{
		/* A method an endpoint does not answer: 405 with Allow. */
		char url[256];
		struct rwt_resp r;
		snprintf(url, sizeof(url), "%s/healthz", f->d.url);
		rwt_http("PUT", url, NULL, "{}", (size_t)-1, &r);
		assert_int_equal(r.status, 405);
		assert_string_equal(r.allow, "GET, HEAD");
		rwt_resp_free(&r);
	}
	/* A label beside a target is not ignored. */
	req(f, "GET", NULL, NULL, 400, "label", "/v1/route?target=" T1 "&label=self-hosted");
	/* A typo of a triple is not a target of its own. */
	req(f, "POST", t,
	    "{\"name\":\"r1\",\"targets\":[\"riscv64gc-unknwon-linux-gnu\"],\"url\":"
	    "\"http://a.b/\"}",
	    400, "targets", "/v1/runners");
	{
		/* A target nobody serves says so, not "every runner down". */
		cJSON *doc = req(f, "GET", NULL, NULL, 200, NULL,
		                 "/v1/route?target=aarch64-unknown-linux-gnu");
		assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "served")));
		cJSON_Delete(doc);
		doc = req(f, "GET", NULL, NULL, 200, NULL, "/v1/route?target=" T1);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "served")));
		cJSON_Delete(doc);
	}
	req(f, "POST", t, "{\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\"}", 400, "name",
	    "/v1/runners");
	req(f, "POST", t, "{\"name\":\"taken\",\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\"}",
	    409, "name", "/v1/runners");
	req(f, "POST", t,
	    "{\"name\":\"r1\",\"name\":\"r2\",\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\"}",
	    400, "name", "/v1/runners");
	req(f, "POST", t,
	    "{\"name\":\"r1\",\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\",\"x\":1}", 400, "x",
	    "/v1/runners");
	req(f, "POST", t,
	    "{\"name\":\"r1\",\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\","
	    "\"interval_s\":0.5}",
	    400, "interval_s", "/v1/runners");
	req(f, "POST", t,
	    "{\"name\":\"r1\",\"targets\":[\"" T1 "\",\"" T1 "\"],\"url\":\"http://a.b/\"}", 400,
	    "targets", "/v1/runners");
	req(f, "POST", t, "[1,2]", 400, NULL, "/v1/runners");
	req(f, "POST", t, "", 400, NULL, "/v1/runners");
	req(f, "POST", ADMIN, "{\"name\":\"a b\",\"email\":\"x@y.z\"}", 400, "name",
	    "/v1/operators");
	req(f, "POST", ADMIN, "{\"name\":\"ab\",\"email\":\"nope\"}", 400, "email",
	    "/v1/operators");
	req(f, "POST", ADMIN, "{\"name\":\"acme\",\"email\":\"x@y.z\"}", 409, "name",
	    "/v1/operators");
	req(f, "POST", t,
	    "{\"from\":\"tomorrow\",\"to\":\"2099-01-01T00:00:00Z\",\"reason\":\"x\"}", 400, "from",
	    "/v1/runners/1/maintenance");
	req(f, "POST", t,
	    "{\"from\":\"2099-01-02T00:00:00Z\",\"to\":\"2099-01-01T00:00:00Z\",\"reason\":\"x\"}",
	    400, "to", "/v1/runners/1/maintenance");
	req(f, "POST", t, "{\"from\":\"2099-01-01T00:00:00Z\",\"to\":\"2099-01-02T00:00:00Z\"}",
	    400, "reason", "/v1/runners/1/maintenance");
	req(f, "PATCH", t, "{\"name\":\"new\"}", 400, "name", "/v1/runners/1");
	req(f, "PATCH", t, "{}", 400, NULL, "/v1/runners/1");
	assert_int_equal(db_int(f, "SELECT count(*) FROM runners") * 1000 +
	                         db_int(f, "SELECT count(*) FROM tokens"),
	                 before);
	assert_int_equal(db_int(f, "SELECT count(*) FROM maintenance"), 0);
	/* interval_s 0 is the policy's, and the answer says which is used. */
	{
		cJSON *d = req(f, "GET", t, NULL, 200, NULL, "/v1/runners/1");
		assert_int_equal(jint(d, "interval_s"), 0);
		assert_int_equal(jint(d, "effective_interval_s"), 1);
		assert_int_equal(jint(d, "timeout_ms"), 0);
		assert_int_equal(jint(d, "effective_timeout_ms"), 500);
		cJSON_Delete(d);
	}
	/* A valid PATCH does change it. */
	{
		cJSON *d = req(f, "PATCH", t,
		               "{\"interval_s\":30,\"targets\":[\"s390x-unknown-linux-gnu\"]}", 200,
		               NULL, "/v1/runners/1");
		assert_int_equal(jint(d, "interval_s"), 30);
		assert_int_equal(jint(d, "effective_interval_s"), 30);
		assert_int_equal(jint(d, "effective_timeout_ms"), 500);
		assert_string_equal(
		        cJSON_GetArrayItem(cJSON_GetObjectItem(d, "targets"), 0)->valuestring,
		        "s390x-unknown-linux-gnu");
		cJSON_Delete(d);
	}
	rwt_daemon_stop(&f->d, 10000);
}

/* The runner @p id in GET /v1/runners (as @p token sees them), or NULL. */
static cJSON *listed(struct fx *f, const char *token, int64_t id)
{
	cJSON *d = req(f, "GET", token, NULL, 200, NULL, "/v1/runners"), *e, *found = NULL;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, "runners"))
	{
		if (jint(e, "id") == id)
			found = cJSON_Duplicate(e, true);
	}
	cJSON_Delete(d);
	return found;
}

static void test_github_pool(void **state)
{
	struct fx *f = *state;
	char t[100], t2[100], err[300];
	int64_t pool, eph, member = 0, before;
	struct store *st = NULL;
	cJSON *d, *l;

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", t, sizeof(t));
	new_operator(f, "bravo", t2, sizeof(t2));

	/* Registered by its operator: pending, no heartbeat token. */
	d = req(f, "POST", t,
	        "{\"name\":\"rv-pool\",\"targets\":[\"" T1 "\"],\"mode\":\"github\","
	        "\"github\":\"rust-lang/rust\",\"labels\":[\"self-hosted\",\"riscv64\"]}",
	        201, NULL, "/v1/runners");
	pool = jint(d, "id");
	assert_string_equal(jstr(d, "status"), "pending");
	assert_null(cJSON_GetObjectItem(d, "heartbeat_token"));
	cJSON_Delete(d);
	d = req(f, "GET", t, NULL, 200, NULL, "/v1/runners/%" PRId64, pool);
	assert_string_equal(jstr(d, "mode"), "github");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "url")));
	assert_string_equal(jstr(d, "github"), "rust-lang/rust");
	assert_int_equal(jint(d, "min_online"), 1);
	assert_int_equal(jint(d, "pickup_within_s"), 0);
	l = cJSON_GetObjectItem(d, "labels");
	assert_int_equal(cJSON_GetArraySize(l), 2);
	assert_string_equal(cJSON_GetArrayItem(l, 0)->valuestring, "riscv64");
	assert_string_equal(jstr(d, "status"), "pending");
	assert_string_equal(jstr(d, "state"), "unknown");
	assert_string_equal(jstr(d, "reason"), "pending");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(d, "eligible")));
	assert_null(cJSON_GetObjectItem(d, "pool"));
	cJSON_Delete(d);

	/* Only the admin approves it; then it is listed as approved. */
	req(f, "POST", t, NULL, 403, NULL, "/v1/runners/%" PRId64 "/approve", pool);
	approve(f, pool);
	d = listed(f, t, pool);
	assert_non_null(d);
	assert_string_equal(jstr(d, "status"), "approved");
	assert_string_equal(jstr(d, "mode"), "github");
	assert_string_equal(jstr(d, "github"), "rust-lang/rust");
	assert_string_equal(jstr(d, "reason"), "unknown"); /* not watched yet */
	cJSON_Delete(d);
	assert_null(listed(f, t2, pool));

	/* A pool of ephemeral runners: with a pickup deadline, none need be online. */
	d = req(f, "POST", t,
	        "{\"name\":\"eph\",\"targets\":[\"" T1 "\"],\"mode\":\"github\","
	        "\"github\":\"acme-org\",\"labels\":[\"riscv64\"],\"pickup_within_s\":300}",
	        201, NULL, "/v1/runners");
	eph = jint(d, "id");
	cJSON_Delete(d);
	d = listed(f, ADMIN, eph);
	assert_int_equal(jint(d, "min_online"), 0);
	assert_int_equal(jint(d, "pickup_within_s"), 300);
	cJSON_Delete(d);

	/* A member, made as the daemon makes them. */
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(
	        store_github_member_upsert(st, pool, 31337, "rv-box \"1\"", 1000, &member, NULL),
	        0);
	store_close(st);
	d = req(f, "GET", t, NULL, 200, NULL, "/v1/runners/%" PRId64, member);
	assert_string_equal(jstr(d, "name"), "rv-pool/rv-box__1_");
	assert_string_equal(jstr(d, "mode"), "github");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "url")));
	assert_string_equal(jstr(d, "pool"), "rv-pool");
	assert_int_equal(jint(d, "github_id"), 31337);
	assert_string_equal(jstr(d, "github_name"), "rv-box \"1\"");
	assert_string_equal(jstr(d, "operator"), "acme");
	assert_string_equal(jstr(d, "status"), "approved");
	assert_null(cJSON_GetObjectItem(d, "github"));
	assert_null(cJSON_GetObjectItem(d, "min_online"));
	cJSON_Delete(d);
	/* Neither changed nor withdrawn by hand; the pool is. */
	conflict(f, "DELETE", t, err, sizeof(err), "/v1/runners/%" PRId64, member);
	assert_non_null(strstr(err, "member of GitHub pool rv-pool"));
	conflict(f, "POST", ADMIN, err, sizeof(err), "/v1/runners/%" PRId64 "/retire", member);
	req(f, "PATCH", t, "{\"targets\":[\"s390x-unknown-linux-gnu\"]}", 409, "id",
	    "/v1/runners/%" PRId64, member);
	req(f, "PATCH", t, "{\"url\":\"http://a.example.org/\"}", 400, "url",
	    "/v1/runners/%" PRId64, pool);
	req(f, "PATCH", t, "{\"labels\":[]}", 400, "labels", "/v1/runners/%" PRId64, pool);
	req(f, "PATCH", t, "{\"labels\":[\"A\",\"a\"]}", 400, "labels", "/v1/runners/%" PRId64,
	    pool);
	req(f, "PATCH", t, "{\"interval_s\":30}", 400, "interval_s", "/v1/runners/%" PRId64, pool);
	req(f, "PATCH", t, "{\"min_online\":3}", 400, "min_online", "/v1/runners/%" PRId64, pool);
	req(f, "PATCH", t, "{\"github\":\"other\"}", 400, "github", "/v1/runners/%" PRId64, pool);
	/* The pool's new targets are its member's. */
	cJSON_Delete(req(f, "PATCH", t, "{\"targets\":[\"s390x-unknown-linux-gnu\"]}", 200, NULL,
	                 "/v1/runners/%" PRId64, pool));
	d = req(f, "GET", t, NULL, 200, NULL, "/v1/runners/%" PRId64, member);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "targets"), 0)->valuestring,
	                    "s390x-unknown-linux-gnu");
	cJSON_Delete(d);

	/* Bad pools: a 400 naming the field; nothing written. */
	before = db_int(f, "SELECT count(*) FROM runners");
#define POOL(extra) "{\"name\":\"p2\",\"targets\":[\"" T1 "\"],\"mode\":\"github\"" extra "}"
	req(f, "POST", t,
	    POOL(",\"github\":\"acme-org\",\"labels\":[\"x\"],\"url\":\"http://a.b/\""), 400, "url",
	    "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\""), 400, "labels", "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\",\"labels\":[]"), 400, "labels",
	    "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\",\"labels\":[\"Linux\",\"linux\"]"), 400,
	    "labels", "/v1/runners");
	req(f, "POST", t, POOL(",\"labels\":[\"x\"]"), 400, "github", "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme/rust/x\",\"labels\":[\"x\"]"), 400, "github",
	    "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":7,\"labels\":[\"x\"]"), 400, "github", "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\",\"labels\":[\"x\"],\"min_online\":10001"),
	    400, "min_online", "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\",\"labels\":[\"x\"],\"min_online\":-1"),
	    400, "min_online", "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\",\"labels\":[\"x\"],\"pickup_within_s\":0"),
	    400, "pickup_within_s", "/v1/runners");
	req(f, "POST", t, POOL(",\"github\":\"acme-org\",\"labels\":[\"x\"],\"interval_s\":30"),
	    400, "interval_s", "/v1/runners");
	req(f, "POST", t,
	    "{\"name\":\"p2\",\"targets\":[\"" T1 "\"],\"url\":\"http://a.b/\",\"min_online\":1}",
	    400, "min_online", "/v1/runners");
	req(f, "POST", t,
	    "{\"name\":\"p2\",\"targets\":[\"" T1 "\"],\"mode\":\"gitlab\",\"github\":\"a\"}", 400,
	    "mode", "/v1/runners");
#undef POOL
	assert_int_equal(db_int(f, "SELECT count(*) FROM runners"), before);

	/* The daemon keeps serving, and starts again with them in the database. */
	cJSON_Delete(req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/route?label=riscv64"));
	rwt_daemon_stop(&f->d, 10000);
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	d = listed(f, ADMIN, member);
	assert_non_null(d);
	assert_string_equal(jstr(d, "pool"), "rv-pool");
	cJSON_Delete(d);
	cJSON_Delete(req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/route?target=" T1));
	rwt_daemon_stop(&f->d, 10000);
}

static void test_guard_at_registration(void **state)
{
	static const char *const refused[] = {
	        "http://127.0.0.1/",
	        "http://2130706433/",
	        "http://0x7f000001/",
	        "http://017700000001/",
	        "http://127.1/",
	        "http://0177.0.0.1/",
	        "http://[::1]/",
	        "http://[::ffff:127.0.0.1]/",
	        "http://[64:ff9b::7f00:1]/",
	        "http://[64:ff9b::a9fe:a9fe]/",
	        "http://169.254.169.254/",
	        "http://10.0.0.1/",
	        "http://172.16.0.1/",
	        "http://192.168.1.1/",
	        "http://100.64.0.1/",
	        "http://[fc00::1]/",
	        "http://[fd12::1]/",
	        "http://[fe80::1]/",
	        "http://224.0.0.1/",
	        "http://[ff02::1]/",
	        "http://0.0.0.0/",
	        "http://localhost/",
	        "http://a.localhost/",
	        "ftp://runner.example.org/",
	        "file:///etc/passwd",
	        "gopher://runner.example.org/",
	};
	struct fx *f = *state;
	char t[100], body[300];

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", t, sizeof(t));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(body, sizeof(body),
		         "{\"name\":\"g%zu\",\"targets\":[\"" T1 "\"],\"url\":\"%s\"}", i,
		         refused[i]);
		req(f, "POST", t, body, 400, "url", "/v1/runners");
	}
	assert_int_equal(db_int(f, "SELECT count(*) FROM runners"), 0);
	/* A PATCH to a refused address is refused too. */
	new_runner(f, t, "ok", "http://runner.example.org/health", NULL, 0);
	req(f, "PATCH", t, "{\"url\":\"http://0x7f.1/\"}", 400, "url", "/v1/runners/1");
	rwt_daemon_stop(&f->d, 10000);
}

static int connect_raw(const char *url)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int port = atoi(strrchr(url, ':') + 1);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

/* Milliseconds until the server closes @p s (read 0 or an error), up to @p max. */
static int64_t until_closed(int s, int64_t max)
{
	int64_t t0 = rwt_mono_ms();
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	char buf[512];

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (rwt_mono_ms() - t0 < max) {
		ssize_t k = recv(s, buf, sizeof(buf), 0);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			return rwt_mono_ms() - t0;
	}
	return -1;
}

static void test_limits(void **state)
{
	struct fx *f = *state;
	char t[100];
	struct rwt_resp r;
	char url[200];
	int s[3], extra;
	int64_t ms;

	rwt_write_file(f->config, "{\"write_burst\": 3, \"write_per_minute\": 1, "
	                          "\"max_connections\": 3}\n");
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	new_operator(f, "acme", t, sizeof(t));
	/* The admin's token has spent one write; the operator's has 3. */
	for (int i = 0; i < 3; i++)
		cJSON_Delete(req(f, "POST", t, NULL, 201, NULL, "/v1/operators/1/tokens"));
	snprintf(url, sizeof(url), "%s/v1/operators/1/tokens", f->d.url);
	rwt_http("POST", url, t, NULL, 0, &r);
	assert_int_equal(r.status, 429);
	assert_true(atoi(r.retry_after) >= 1);
	assert_string_equal(r.ctype, "application/problem+json");
	rwt_resp_free(&r);
	/* Reads are not limited. */
	cJSON_Delete(req(f, "GET", t, NULL, 200, NULL, "/v1/runners"));

	/* Header timeout: a request that never ends its headers is closed. */
	s[0] = connect_raw(f->d.url);
	assert_true(send(s[0], "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32, 0) == 32);
	ms = until_closed(s[0], 10000);
	close(s[0]);
	if (ms < 0)
		fail_msg("a slow client was not closed within 10 s");

	/* Connection cap: with 3 open, a 4th that asks nothing is closed
	 * within 250 ms (it could have asked for /healthz: gate.c). Connections
	 * of the requests above may still be closing on the server's side, so
	 * the one refused may be any of the four: at least one is closed within
	 * a second, long before the 1.5 s header timeout. */
	rwt_sleep_ms(300);
	for (int i = 0; i < 3; i++)
		s[i] = connect_raw(f->d.url);
	extra = connect_raw(f->d.url);
	{
		int closed = 0;
		int all[4] = {s[0], s[1], s[2], extra};
		for (int i = 0; i < 4; i++) {
			struct timeval tv = {.tv_sec = 0, .tv_usec = 1000};
			char c;
			ssize_t k;
			if (i == 0)
				rwt_sleep_ms(1000);
			setsockopt(all[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			k = recv(all[i], &c, 1, 0);
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				closed++;
			close(all[i]);
		}
		if (closed < 1)
			fail_msg("no connection over max_connections was closed at once");
	}
	rwt_sleep_ms(200);
	cJSON_Delete(req(f, "GET", NULL, NULL, 200, NULL, "/healthz"));
	rwt_daemon_stop(&f->d, 10000);
}

/* ---- the token table ------------------------------------------------------ */

/* The detail of a 401 answer to GET /v1/runners with @p token. */
static void want_401(struct fx *f, const char *token, const char *why)
{
	char url[700];
	struct rwt_resp r;

	snprintf(url, sizeof(url), "%s/v1/runners", f->d.url);
	rwt_http("GET", url, token, NULL, (size_t)-1, &r);
	if (r.status != 401 || !strstr(r.body, why))
		fail_msg("GET /v1/runners: HTTP %ld, want 401 \"%s\": %.300s", r.status, why,
		         r.body);
	rwt_resp_free(&r);
}

/*
 * Tokens are authenticated from the daemon's memory (auth.h): a token the
 * daemon has served is refused by the very next request once its
 * revocation is answered; a token the CLI makes while the daemon runs (not
 * in memory yet) works at its first use, looked up off the loop; a made-up
 * token is refused every time, also once memory remembers it as unknown.
 */
static void test_token_table(void **state)
{
	struct fx *f = *state;
	char ta[100], out[1024], *tok;
	int64_t a, tid;
	cJSON *d;

	assert_int_equal(rwt_cli(f->log, out, sizeof(out), "operator", "add", "early", "--email",
	                         "early@example.org", "--db", f->db, NULL),
	                 0);
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	/* Loaded at start-up. */
	tok = strstr(out, "token ");
	assert_non_null(tok);
	tok += 6;
	tok[strcspn(tok, "\n")] = '\0';
	cJSON_Delete(req(f, "GET", tok, NULL, 200, NULL, "/v1/runners"));

	/* Made through the API: used at once, many times, then revoked. */
	a = new_operator(f, "acme", ta, sizeof(ta));
	for (int i = 0; i < 3; i++)
		cJSON_Delete(req(f, "GET", ta, NULL, 200, NULL, "/v1/runners"));
	d = req(f, "GET", ADMIN, NULL, 200, NULL, "/v1/operators/%" PRId64 "/tokens", a);
	tid = jint(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "tokens"), 0), "id");
	cJSON_Delete(d);
	cJSON_Delete(req(f, "DELETE", ADMIN, NULL, 200, NULL,
	                 "/v1/operators/%" PRId64 "/tokens/%" PRId64, a, tid));
	want_401(f, ta, "revoked token");
	want_401(f, ta, "revoked token");

	/* Made by the CLI while the daemon runs: good at its first use. */
	assert_int_equal(rwt_cli(f->log, out, sizeof(out), "operator", "add", "late", "--email",
	                         "late@example.org", "--db", f->db, NULL),
	                 0);
	tok = strstr(out, "token ");
	assert_non_null(tok);
	tok += 6;
	tok[strcspn(tok, "\n")] = '\0';
	cJSON_Delete(req(f, "GET", tok, NULL, 200, NULL, "/v1/runners"));
	cJSON_Delete(req(f, "GET", tok, NULL, 200, NULL, "/v1/runners"));

	/* Made up: unknown, and still unknown once remembered as such. */
	want_401(f, "rw_00000000000000000000000000000000000000000000000000000000000000ff",
	         "unknown token");
	want_401(f, "rw_00000000000000000000000000000000000000000000000000000000000000ff",
	         "unknown token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_scoping, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_registration, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_push_heartbeat, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_no_raw_tokens, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_pool, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_guard_at_registration, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_token_table, setup, teardown),
	};
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
