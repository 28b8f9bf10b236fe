/* SPDX-License-Identifier: MIT */
/*
 * test_github.c — GitHub as a heartbeat source, end to end: the real
 * daemon polls the fake GitHub (tests/lib/fake_github.py) every second and
 * receives workflow_job deliveries signed as GitHub signs them.
 *
 *   - members: the listed runners carrying all of a pool's labels (not the
 *     others) become runners of their own; online is up, offline down with
 *     class offline, a runner that disappears is down with class gone;
 *   - the pool: up while min_online members are online, else excluded as
 *     below_min_online;
 *   - GitHub failing (503s) is the monitor's blindness: pool and members go
 *     unknown, never down, and a blind period of cause github_api is
 *     stored; they come back when GitHub does;
 *   - pickup: a job waiting past pickup_within_s makes the pool no_pickup,
 *     down from the deadline; a matching start ends it; bad and missing
 *     signatures are 401 and change nothing; a redelivery is a duplicate;
 *     the queue wait shows in /metrics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakegh.h"
#include "monitor/core/clock.h"
#include "policy/base/hex.h"
#include "policy/base/rfc3339.h"
#include "rwtest.h"

#define SECRET      "github-webhook-secret-0123456789"
#define T1          "riscv64gc-unknown-linux-gnu"
#define DEADLINE_MS 30000
#define STOP_MS     20000

struct fx {
	char dir[256], db[1200], policy[320], config[320], token[320], secret[320];
	char log[320], cli_log[320];
	const char *serve_args[5];
	struct rwt_fakegh gh;
	struct rwt_daemon d;
};

static void cli_ok(struct fx *f, ...)
{
	const char *argv[32];
	struct rwt_res r = {0};
	va_list ap;
	int n = 0;

	argv[n++] = RW_BIN;
	va_start(ap, f);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 28;)
		argv[n++] = a;
	va_end(ap);
	argv[n++] = "--db";
	argv[n++] = f->db;
	argv[n] = NULL;
	rwt_run(&r, NULL, argv);
	if (r.code != 0)
		fail_msg("%s %s: exit %d: %s", argv[1], argv[2], r.code, r.err);
	rwt_res_free(&r);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char cfg[1400];

	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "github");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->token, sizeof(f->token), "%s/github-token", f->dir);
	snprintf(f->secret, sizeof(f->secret), "%s/github-secret", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	rwt_fakegh_start(
	        &f->gh, f->dir,
	        "{\"owners\": {\"acme\": ["
	        "{\"name\": \"r-a\", \"status\": \"online\", \"labels\": [\"self-hosted\", "
	        "\"RISCV64\"]},"
	        "{\"name\": \"r-b\", \"status\": \"offline\", \"labels\": [\"self-hosted\", "
	        "\"riscv64\"]},"
	        "{\"name\": \"r-c\", \"status\": \"online\", \"labels\": [\"self-hosted\", "
	        "\"x64\"]}]}}");
	rwt_write_file(f->token, "test-token\n");
	rwt_write_file(f->secret, SECRET "\n");
	rwt_write_file(
	        f->policy,
	        "{\"version\": 1, \"uptime_floor\": 0, \"flagging\": {\"probation_days\": 0},\n"
	        " \"probe\": {\"interval_s\": 1, \"timeout_ms\": 500, \"failures_to_down\": 1,"
	        " \"successes_to_up\": 1}}\n");
	snprintf(
	        cfg, sizeof(cfg),
	        "{\"github\": {\"api_url\": \"%s\", \"token_file\": \"%s\", \"poll_interval_s\": 1,"
	        " \"webhook_secret_file\": \"%s\"}}\n",
	        f->gh.url, f->token, f->secret);
	rwt_write_file(f->config, cfg);
	cli_ok(f, "operator", "add", "acme", "--email", "ops@acme.example", NULL);
	cli_ok(f, "runner", "add", "--operator", "acme", "--name", "rv-pool", "--target", T1,
	       "--github", "acme", "--label", "self-hosted", "--label", "riscv64", NULL);
	cli_ok(f, "runner", "add", "--operator", "acme", "--name", "eph", "--target", T1,
	       "--github", "acme", "--label", "self-hosted", "--label", "ephemeral",
	       "--pickup-within", "2", NULL);
	f->serve_args[0] = "--policy";
	f->serve_args[1] = f->policy;
	f->serve_args[2] = "--config";
	f->serve_args[3] = f->config;
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_stop(&f->d, STOP_MS);
	rwt_fakegh_stop(&f->gh);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

/* ---- reading the daemon ---------------------------------------------------- */

static cJSON *get_json(struct fx *f, const char *path)
{
	char url[512];
	struct rwt_resp r;
	cJSON *doc;

	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("GET %s: %ld %s %s", path, r.status, r.error, r.body);
	doc = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	assert_non_null(doc);
	return doc;
}

/* The runner @p name in the route answer for @p query: "eligible", or the
 * reason it is excluded, or NULL when absent; @p detail receives the
 * exclusion's detail, if any. */
static char *route_reason(struct fx *f, const char *query, const char *name, char *detail,
                          size_t len)
{
	char path[256];
	cJSON *doc, *e;
	char *out = NULL;

	snprintf(path, sizeof(path), "/v1/route?%s", query);
	doc = get_json(f, path);
	if (detail)
		detail[0] = '\0';
	cJSON_ArrayForEach(
	        e, cJSON_GetObjectItem(
	                   doc, "eligible")) if (strcmp(cJSON_GetObjectItem(e, "name")->valuestring,
	                                                name) == 0) out = strdup("eligible");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "excluded"))
	{
		if (strcmp(cJSON_GetObjectItem(e, "name")->valuestring, name) != 0)
			continue;
		out = strdup(cJSON_GetObjectItem(e, "reason")->valuestring);
		if (detail && cJSON_IsString(cJSON_GetObjectItem(e, "detail")))
			snprintf(detail, len, "%s", cJSON_GetObjectItem(e, "detail")->valuestring);
	}
	cJSON_Delete(doc);
	return out;
}

/* Waits until @p name's route status for @p query is @p want. */
static void wait_reason(struct fx *f, const char *query, const char *name, const char *want,
                        char *detail, size_t len)
{
	int64_t end = rwt_mono_ms() + DEADLINE_MS;
	char *got = NULL;

	for (;;) {
		free(got);
		got = route_reason(f, query, name, detail, len);
		if (got && strcmp(got, want) == 0)
			break;
		if (rwt_mono_ms() > end) {
			rwt_dump_file("runwarden serve stderr", f->log);
			fail_msg("%s: waited for %s, still %s", name, want, got ? got : "(absent)");
		}
		rwt_sleep_ms(200);
	}
	free(got);
}

static double metric(struct fx *f, const char *series)
{
	char url[256];
	struct rwt_resp r;
	const char *p;
	double v = -1;

	snprintf(url, sizeof(url), "%s/metrics", f->d.url);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	p = strstr(r.body, series);
	if (p && p[strlen(series)] == ' ')
		v = strtod(p + strlen(series) + 1, NULL);
	rwt_resp_free(&r);
	return v;
}

/* ---- deliveries ---------------------------------------------------------------- */

static size_t sink(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* POSTs @p body as GitHub would: signed with @p secret (NULL: unsigned).
 * @return the status. */
static long deliver(struct fx *f, const char *guid, const char *event, const char *body,
                    const char *secret)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char url[256], line[256], hex[HEX_SIZE(EVP_MAX_MD_SIZE)];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s/v1/github/webhook", f->d.url);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (secret) {
		assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
		                     (const unsigned char *)body, strlen(body), mac, &maclen));
		hex_encode(mac, maclen, hex);
		snprintf(line, sizeof(line), "X-Hub-Signature-256: sha256=%s", hex);
		h = curl_slist_append(h, line);
	}
	snprintf(line, sizeof(line), "X-GitHub-Delivery: %s", guid);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-GitHub-Event: %s", event);
	h = curl_slist_append(h, line);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* A workflow_job body of GitHub's shape. */
static void job_body(char *out, size_t len, const char *action, int64_t id, int64_t queued_ms,
                     int64_t started_ms)
{
	char q[40], s[40] = "null";

	rfc3339_format(queued_ms, q, sizeof(q));
	if (started_ms) {
		s[0] = '"';
		rfc3339_format(started_ms, s + 1, sizeof(s) - 2);
		strcat(s, "\"");
	}
	snprintf(out, len,
	         "{\"action\": \"%s\", \"workflow_job\": {\"id\": %" PRId64 ", \"run_id\": 7,"
	         " \"name\": \"build\", \"status\": \"%s\", \"conclusion\": null,"
	         " \"created_at\": \"%s\", \"started_at\": %s, \"completed_at\": null,"
	         " \"labels\": [\"self-hosted\", \"Ephemeral\", \"linux\"], \"runner_name\": null},"
	         " \"repository\": {\"full_name\": \"acme/widgets\", \"owner\": {\"login\": "
	         "\"acme\"}}}",
	         action, id, action, q, s);
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_members_and_pool(void **state)
{
	struct fx *f = *state;
	char detail[256];
	char *r;
	int64_t n = 0;

	/* Members: r-a and r-b carry both labels (case does not matter);
	 * r-c does not. The pool is up: one member online of min_online 1. */
	wait_reason(f, "target=" T1, "rv-pool/r-a", "eligible", NULL, 0);
	wait_reason(f, "target=" T1, "rv-pool/r-b", "down", detail, sizeof(detail));
	assert_non_null(strstr(detail, "offline"));
	wait_reason(f, "target=" T1, "rv-pool", "eligible", NULL, 0);
	r = route_reason(f, "target=" T1, "rv-pool/r-c", NULL, 0);
	assert_null(r);
	/* A route by label lists the pool and its members. */
	wait_reason(f, "label=riscv64", "rv-pool/r-a", "eligible", NULL, 0);
	wait_reason(f, "label=riscv64", "rv-pool", "eligible", NULL, 0);

	/* r-a goes offline: no member online, below min_online. */
	rwt_fakegh_post(&f->gh, "runner",
	                "{\"owner\": \"acme\", \"name\": \"r-a\", \"status\": \"offline\"}");
	wait_reason(f, "target=" T1, "rv-pool", "below_min_online", detail, sizeof(detail));
	assert_string_equal(detail, "0 of 2 members online at the last poll, min_online 1");
	wait_reason(f, "target=" T1, "rv-pool/r-a", "down", NULL, 0);
	/* r-b disappears from GitHub: gone. */
	rwt_fakegh_post(&f->gh, "runner",
	                "{\"owner\": \"acme\", \"name\": \"r-b\", \"remove\": true}");
	for (int64_t end = rwt_mono_ms() + DEADLINE_MS;; rwt_sleep_ms(200)) {
		free(route_reason(f, "target=" T1, "rv-pool/r-b", detail, sizeof(detail)));
		if (strstr(detail, "gone"))
			break;
		if (rwt_mono_ms() > end)
			fail_msg("r-b: not gone: %s", detail);
	}
	/* r-a back: the pool is up again. */
	rwt_fakegh_post(&f->gh, "runner",
	                "{\"owner\": \"acme\", \"name\": \"r-a\", \"status\": \"online\"}");
	wait_reason(f, "target=" T1, "rv-pool", "eligible", NULL, 0);

	/* GitHub fails: unknown, never down; then back. */
	rwt_fakegh_post(&f->gh, "faults", "{\"mode\": \"503\"}");
	wait_reason(f, "target=" T1, "rv-pool", "unknown", NULL, 0);
	wait_reason(f, "target=" T1, "rv-pool/r-a", "unknown", NULL, 0);
	assert_true(metric(f, "runwarden_github_requests_total{result=\"error\"}") > 0);
	rwt_fakegh_post(&f->gh, "faults/clear", "{}");
	wait_reason(f, "target=" T1, "rv-pool", "eligible", NULL, 0);
	wait_reason(f, "target=" T1, "rv-pool/r-a", "eligible", NULL, 0);

	/* The outage is stored as the monitor's blindness on GitHub. */
	for (int64_t end = rwt_mono_ms() + DEADLINE_MS; n == 0; rwt_sleep_ms(200)) {
		n = rwt_sql_int(f->db, "SELECT count(*) FROM blind_periods WHERE cause = "
		                       "'github_api' AND end_ms > start_ms");
		if (rwt_mono_ms() > end)
			fail_msg("no github_api blind period stored");
	}
	/* Never down while GitHub failed: the pool's only down time is none
	 * (below_min_online came before the outage and ended before it). */
	assert_int_equal(rwt_sql_int(f->db,
	                             "SELECT count(*) FROM intervals i JOIN runners r ON "
	                             "r.id = i.runner_id JOIN blind_periods b ON b.cause = "
	                             "'github_api' WHERE r.name = 'rv-pool/r-a' AND i.state = "
	                             "2 AND i.start_ms >= b.start_ms AND i.start_ms < b.end_ms"),
	                 0);
}

static void test_pickup(void **state)
{
	struct fx *f = *state;
	char body[2048], detail[256];
	int64_t now = clock_wall_ms();
	double waits;

	/* No job yet: the pickup pool (min_online 0) is up. */
	wait_reason(f, "label=ephemeral", "eph", "eligible", NULL, 0);

	/* Unsigned and wrongly signed deliveries change nothing. */
	job_body(body, sizeof(body), "queued", 501, now - 10000, 0);
	assert_int_equal(deliver(f, "d-1", "workflow_job", body, NULL), 401);
	assert_int_equal(deliver(f, "d-1", "workflow_job", body, "not-the-secret-0123456789"), 401);
	assert_true(
	        metric(f, "runwarden_github_webhook_deliveries_total{result=\"bad_signature\"}") >=
	        2);
	rwt_sleep_ms(1500);
	free(route_reason(f, "label=ephemeral", "eph", NULL, 0));
	{
		char *r = route_reason(f, "label=ephemeral", "eph", NULL, 0);
		assert_string_equal(r, "eligible");
		free(r);
	}
	assert_int_equal(deliver(f, "d-ping", "ping", "{\"zen\": \"Keep it simple.\"}", SECRET),
	                 204);

	/* A job queued 10 s ago, W = 2 s: no pickup since its deadline. */
	assert_int_equal(deliver(f, "d-1", "workflow_job", body, SECRET), 204);
	wait_reason(f, "label=ephemeral", "eph", "no_pickup", detail, sizeof(detail));
	assert_non_null(strstr(detail, "workflow job 501 waited more than pickup_within_s 2 s"));
	/* The same delivery again: a duplicate, nothing changes. */
	assert_int_equal(deliver(f, "d-1", "workflow_job", body, SECRET), 204);
	assert_true(metric(f, "runwarden_github_webhook_deliveries_total{result=\"duplicate\"}") >=
	            1);
	/* Not GitHub's shape: 400. */
	assert_int_equal(deliver(f, "d-bad", "workflow_job", "{\"action\": \"queued\"}", SECRET),
	                 400);

	/* A matching job starts: the outage ends. */
	job_body(body, sizeof(body), "in_progress", 501, now - 10000, clock_wall_ms());
	assert_int_equal(deliver(f, "d-2", "workflow_job", body, SECRET), 204);
	wait_reason(f, "label=ephemeral", "eph", "eligible", NULL, 0);
	waits = metric(f, "runwarden_github_queue_wait_seconds_count{pool=\"eph\"}");
	assert_true(waits >= 1);
	assert_true(metric(f, "runwarden_github_webhook_deliveries_total{result=\"accepted\"}") >=
	            2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_members_and_pool, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pickup, setup, teardown),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
