/* SPDX-License-Identifier: MIT */
/*
 * test_webhooks.c — the events outbox, its feed and its webhooks, against
 * the real daemon and a real receiver (webhook_receiver.py):
 *
 *   - event ids strictly increase; a long poll answers as soon as an event
 *     is written, and an empty list when its wait is over;
 *   - a receiver that fails 3 times then succeeds gets every event, in
 *     order, each signed with the secret (HMAC-SHA256 verified);
 *   - a daemon killed with SIGKILL after a change and before its delivery
 *     delivers it after the restart.
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
#include <unistd.h>

#include "rwtest.h"

#define ADMIN       "test-admin-token-0123456789abcdef0123456789"
#define SECRET      "webhook-secret-0123456789"
#define DEADLINE_MS 30000
#define T1          "riscv64gc-unknown-linux-gnu"

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char policy[320], config[320], log[320], rlog[320], hooklog[320];
	const char *serve_args[5]; /* --policy, --config */
	struct rwt_daemon d;
	pid_t receiver;
	int rout;
	int port; /* the receiver's */
};

/* A port that was free a moment ago. */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	close(s);
	return ntohs(sa.sin_port);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char cfg[600];

	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "hooks");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->rlog, sizeof(f->rlog), "%s/receiver.log", f->dir);
	snprintf(f->hooklog, sizeof(f->hooklog), "%s/hooks.jsonl", f->dir);
	rwt_write_file(f->policy, "{\"version\": 1, \"flagging\": {\"probation_days\": 0}}\n");
	f->port = free_port();
	snprintf(cfg, sizeof(cfg),
	         "{\"allow_cidrs\": [\"127.0.0.0/8\"], \"webhooks\": [{\"url\": "
	         "\"http://127.0.0.1:%d/hook\", \"secret\": \"" SECRET "\"}]}\n",
	         f->port);
	rwt_write_file(f->config, cfg);
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
	rwt_stop_proc(&f->receiver, SIGKILL, 1000);
	if (f->rout > 0)
		close(f->rout);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void start_receiver(struct fx *f, int fail_first)
{
	char port[16], fail[16], line[64];
	const char *argv[] = {
	        "/usr/bin/env", "python3",  RW_SOURCE_DIR "/tests/integration/webhook_receiver.py",
	        "--port",       port,       "--log",
	        f->hooklog,     "--secret", SECRET,
	        "--fail-first", fail,       NULL};

	snprintf(port, sizeof(port), "%d", f->port);
	snprintf(fail, sizeof(fail), "%d", fail_first);
	f->receiver = rwt_spawn(argv, f->rlog, &f->rout);
	if (rwt_read_line(f->rout, line, sizeof(line), rwt_mono_ms() + DEADLINE_MS) < 0 ||
	    strncmp(line, "listening ", 10) != 0)
		fail_msg("the webhook receiver did not start (see %s)", f->rlog);
}

/* Runs `runwarden ARGS...` against the test's database; requires exit 0. */
#define CLI(f, ...)                                                                                \
	do {                                                                                       \
		if (rwt_cli((f)->log, NULL, 0, __VA_ARGS__, "--db", (f)->db, NULL) != 0)           \
			fail_msg("runwarden %s failed (see %s)", #__VA_ARGS__, (f)->log);          \
	} while (0)

static cJSON *get_json(struct fx *f, const char *path)
{
	char url[512];
	struct rwt_resp r;
	cJSON *d;

	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("GET %s: HTTP %ld", path, r.status);
	d = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	assert_non_null(d);
	return d;
}

/* The receiver's log: the ids it answered 200 to, in order, and checks. */
static size_t delivered(struct fx *f, int64_t *ids, size_t max, int *failures, bool *sigs_ok)
{
	FILE *fp = fopen(f->hooklog, "r");
	char line[8192];
	size_t n = 0;

	*failures = 0;
	*sigs_ok = true;
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		cJSON *d = cJSON_Parse(line);
		const cJSON *body;
		if (!d)
			continue;
		body = cJSON_GetObjectItem(d, "body");
		if (!cJSON_IsTrue(cJSON_GetObjectItem(d, "sig_ok")))
			*sigs_ok = false;
		if (!cJSON_IsNumber(cJSON_GetObjectItem(body, "id")) ||
		    atoll(cJSON_GetObjectItem(d, "event_id")->valuestring) !=
		            (long long)cJSON_GetObjectItem(body, "id")->valuedouble)
			*sigs_ok = false;
		if (cJSON_GetObjectItem(d, "status")->valueint != 200)
			(*failures)++;
		else if (n < max)
			ids[n++] = (int64_t)cJSON_GetObjectItem(body, "id")->valuedouble;
		cJSON_Delete(d);
	}
	fclose(fp);
	return n;
}

/* The feed's ids, all of them, checked strictly increasing. */
static size_t feed_ids(struct fx *f, int64_t *ids, size_t max)
{
	cJSON *d = get_json(f, "/v1/events?after=0&limit=1000");
	const cJSON *e;
	size_t n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, "events"))
	{
		int64_t id = (int64_t)cJSON_GetObjectItem(e, "id")->valuedouble;
		if (n > 0 && id <= ids[n - 1])
			fail_msg("event ids do not strictly increase: %" PRId64 " after %" PRId64,
			         id, ids[n - 1]);
		if (n < max)
			ids[n++] = id;
	}
	cJSON_Delete(d);
	return n;
}

static void test_retries_order_signature(void **state)
{
	struct fx *f = *state;
	int64_t got[64], want[64], deadline;
	size_t ng = 0, nw;
	int failures;
	bool ok;

	start_receiver(f, 3);
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	CLI(f, "operator", "add", "acme", "--email", "a@b.c");
	CLI(f, "runner", "add", "--operator", "acme", "--name", "r1", "--target", T1, "--url",
	    "http://r1.example.org/");
	CLI(f, "runner", "add", "--operator", "acme", "--name", "r2", "--target", T1, "--url",
	    "http://r2.example.org/");
	CLI(f, "runner", "retire", "r2");
	/* Every event written so far is delivered, after 3 failures (backoff 1,
	 * 2, 4 s), in order, each signed. */
	deadline = rwt_mono_ms() + DEADLINE_MS;
	for (;;) {
		nw = feed_ids(f, want, 64);
		ng = delivered(f, got, 64, &failures, &ok);
		if (nw >= 4 && ng >= nw)
			break;
		if (rwt_mono_ms() > deadline)
			fail_msg("%zu of %zu events delivered (%d failures)", ng, nw, failures);
		rwt_sleep_ms(200);
	}
	assert_true(ok);
	assert_int_equal(failures, 3);
	for (size_t i = 0; i < nw; i++)
		if (got[i] != want[i])
			fail_msg("delivery %zu is event %" PRId64 ", want %" PRId64, i, got[i],
			         want[i]);

	/* A long poll: no event after the newest, so it waits; one arrives. */
	{
		char path[128], url[300];
		struct rwt_resp r;
		int64_t t0 = rwt_mono_ms();
		snprintf(path, sizeof(path), "/v1/events?after=%" PRId64 "&wait=2", want[nw - 1]);
		snprintf(url, sizeof(url), "%s%s", f->d.url, path);
		rwt_http("GET", url, NULL, NULL, 0, &r);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.body, "\"events\":[]"));
		assert_true(rwt_mono_ms() - t0 >= 1900);
		rwt_resp_free(&r);
	}
	rwt_daemon_kill(&f->d, SIGTERM, 10000);
}

static void test_crash_before_delivery(void **state)
{
	struct fx *f = *state;
	int64_t got[64], want[64], deadline;
	size_t ng, nw;
	int failures;
	bool ok;

	/* No receiver yet: the delivery fails and waits for its retry. */
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	CLI(f, "operator", "add", "acme", "--email", "a@b.c");
	CLI(f, "runner", "add", "--operator", "acme", "--name", "r1", "--target", T1, "--url",
	    "http://r1.example.org/");
	deadline = rwt_mono_ms() + DEADLINE_MS;
	while ((nw = feed_ids(f, want, 64)) < 1) {
		if (rwt_mono_ms() > deadline)
			fail_msg("no event in the feed");
		rwt_sleep_ms(100);
	}
	rwt_sleep_ms(600); /* at least one attempt, refused */
	rwt_daemon_kill(&f->d, SIGKILL, 1000);

	start_receiver(f, 0);
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	deadline = rwt_mono_ms() + DEADLINE_MS;
	for (;;) {
		ng = delivered(f, got, 64, &failures, &ok);
		if (ng >= nw)
			break;
		if (rwt_mono_ms() > deadline)
			fail_msg("%zu of %zu events delivered after the restart", ng, nw);
		rwt_sleep_ms(200);
	}
	assert_true(ok);
	for (size_t i = 0; i < nw; i++)
		assert_int_equal(got[i], want[i]);
	rwt_daemon_kill(&f->d, SIGTERM, 10000);
	{
		/* The database survived the SIGKILL whole. */
		rwt_sql_check_integrity(f->db);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_retries_order_signature, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_crash_before_delivery, setup, teardown),
	};
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
