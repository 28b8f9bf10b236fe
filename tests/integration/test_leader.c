/* SPDX-License-Identifier: MIT */
/*
 * test_leader.c — one leader among several daemons (monitor/daemon/leader.h).
 *
 * On SQLite (test_leader): the one daemon is the leader (runwarden_leader 1)
 * and no lock is tried.
 *
 * On PostgreSQL (test_leader_pg), two daemons on one database:
 *   - exactly one reports runwarden_leader 1;
 *   - a runner that goes down yields one down interval, one incident and one
 *     "ineligible" event, not one per daemon; the webhook receiver gets each
 *     event exactly once (the follower delivers nothing);
 *   - after kill -9 of the leader, the other reports runwarden_leader 1
 *     within 10 s (the time is measured and printed), an up runner has no
 *     down time over the kill, the events keep their order, and the
 *     receiver gets every event at least once, in order;
 *   - a follower's route answer follows the leader's state changes
 *     (LISTEN/NOTIFY), even where its own probes would not see them: its
 *     policy probes once a day and needs 100 failures for down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
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
/* The promise is 10 s; the test allows for a loaded machine. */
#define FAILOVER_BOUND_MS 10000
#define FAILOVER_SLACK_MS 10000
#define T1                "riscv64gc-unknown-linux-gnu"
#define MAX_IDS           512

static const char policy_json[] = "{\n"
                                  "  \"version\": 1,\n"
                                  "  \"uptime_floor\": 0,\n"
                                  "  \"flagging\": { \"probation_days\": 0 },\n"
                                  "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
                                  "             \"failures_to_down\": 2, \"successes_to_up\": 1 }\n"
                                  "}\n";

/* The follower's own view changes too slowly to see anything in a test. */
static const char slow_policy_json[] = "{\n"
                                       "  \"version\": 1,\n"
                                       "  \"uptime_floor\": 0,\n"
                                       "  \"flagging\": { \"probation_days\": 0 },\n"
                                       "  \"probe\": { \"interval_s\": 86400,\n"
                                       "             \"failures_to_down\": 100, "
                                       "\"successes_to_up\": 1 }\n"
                                       "}\n";

struct fx {
	char dir[256];
	char db[1200];
	char policy[320], config[320], log_a[320], log_b[320], cli_log[320], fx_log[320];
	char rlog[320], hooklog[320];
	const char *serve_args[5];
	struct rwt_daemon a, b;
	struct rwt_fixtures fx;
	pid_t receiver;
	int rout;
	int port;
	bool passed;
};

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
	rwt_tmpdir(f->dir, sizeof(f->dir), "leader");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->log_a, sizeof(f->log_a), "%s/daemon-a.log", f->dir);
	snprintf(f->log_b, sizeof(f->log_b), "%s/daemon-b.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	snprintf(f->rlog, sizeof(f->rlog), "%s/receiver.log", f->dir);
	snprintf(f->hooklog, sizeof(f->hooklog), "%s/hooks.jsonl", f->dir);
	rwt_write_file(f->policy, policy_json);
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
	rwt_daemon_kill(&f->a, SIGKILL, 1000);
	rwt_daemon_kill(&f->b, SIGKILL, 1000);
	rwt_fixtures_stop(&f->fx);
	rwt_stop_proc(&f->receiver, SIGKILL, 1000);
	if (f->rout > 0)
		close(f->rout);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

static void start_receiver(struct fx *f)
{
	char port[16], line[64];
	const char *argv[] = {
	        "/usr/bin/env",  "python3",  RW_SOURCE_DIR "/tests/integration/webhook_receiver.py",
	        "--port",        port,       "--log",
	        f->hooklog,      "--secret", SECRET,
	        "--max-seconds", "280",      NULL};

	snprintf(port, sizeof(port), "%d", f->port);
	f->receiver = rwt_spawn(argv, f->rlog, &f->rout);
	if (rwt_read_line(f->rout, line, sizeof(line), rwt_mono_ms() + DEADLINE_MS) < 0 ||
	    strncmp(line, "listening ", 10) != 0)
		fail_msg("the webhook receiver did not start (see %s)", f->rlog);
}

static int64_t add_runner(struct fx *f, const char *name, size_t i)
{
	char out[512], url[128];
	long long id = 0;

	rwt_fixture_url(&f->fx, i, url, sizeof(url));
	if (rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr", "127.0.0.0/8",
	            "--db", f->db, "--operator", "acme", "--name", name, "--target", T1, "--url",
	            url, "--interval", "1", NULL) != 0 ||
	    sscanf(out, "runner %*s id %lld approved", &id) != 1)
		fail_msg("runner add %s failed: %s (see %s)", name, out, f->cli_log);
	return id;
}

/* The event ids of the feed of @p d, checked strictly increasing. */
static size_t feed_ids(const struct rwt_daemon *d, int64_t *ids, size_t max)
{
	cJSON *doc = rwt_get_json(d, ADMIN, "/v1/events?after=0&limit=1000");
	const cJSON *e;
	size_t n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "events"))
	{
		int64_t id = (int64_t)cJSON_GetObjectItem(e, "id")->valuedouble;
		if (n > 0 && id <= ids[n - 1])
			fail_msg("event ids do not strictly increase: %" PRId64 " after %" PRId64,
			         id, ids[n - 1]);
		if (n < max)
			ids[n++] = id;
	}
	cJSON_Delete(doc);
	return n;
}

/* The ids the receiver answered 200 to, in the order it got them. */
static size_t delivered(struct fx *f, int64_t *ids, size_t max)
{
	FILE *fp = fopen(f->hooklog, "r");
	char line[8192];
	size_t n = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		cJSON *doc = cJSON_Parse(line);
		if (!doc)
			continue;
		if (!cJSON_IsTrue(cJSON_GetObjectItem(doc, "sig_ok")))
			fail_msg("a delivery's signature does not verify: %s", line);
		if (cJSON_GetObjectItem(doc, "status")->valueint == 200 && n < max)
			ids[n++] =
			        (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "body"), "id")
			                ->valuedouble;
		cJSON_Delete(doc);
	}
	fclose(fp);
	return n;
}

/* Waits until the receiver has every event of the feed of @p d after
 * @p after (a webhook seen for the first time starts after the newest
 * event); returns the deliveries (in *ng) and those events (in *nf). */
static void wait_delivered(struct fx *f, const struct rwt_daemon *d, int64_t after, int64_t *got,
                           size_t *ng, int64_t *want, size_t *nf)
{
	int64_t deadline = rwt_mono_ms() + DEADLINE_MS;

	for (;;) {
		bool all = true;
		size_t k = 0;
		*nf = feed_ids(d, want, MAX_IDS);
		for (size_t i = 0; i < *nf; i++)
			if (want[i] > after)
				want[k++] = want[i];
		*nf = k;
		*ng = delivered(f, got, MAX_IDS);
		for (size_t i = 0; i < *nf && all; i++) {
			bool seen = false;
			for (size_t j = 0; j < *ng && !seen; j++)
				seen = got[j] == want[i];
			all = seen;
		}
		if (all)
			return;
		if (rwt_mono_ms() > deadline) {
			for (size_t i = 0; i < *nf; i++)
				fprintf(stderr, "event %" PRId64 "\n", want[i]);
			for (size_t i = 0; i < *ng; i++)
				fprintf(stderr, "delivered %" PRId64 "\n", got[i]);
			fail_msg("%zu deliveries for %zu events: not every event arrived", *ng,
			         *nf);
		}
		rwt_sleep_ms(200);
	}
}

static void test_sqlite_always_leader(void **state)
{
	struct fx *f = *state;
	char *log;

	rwt_daemon_start(&f->a, f->log_a, f->db, f->serve_args);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	rwt_daemon_stop(&f->a, 10000);
	f->passed = true;
	log = rwt_slurp(f->log_a, NULL);
	assert_non_null(log);
	assert_null(strstr(log, "follower"));
	assert_null(strstr(log, "leadership lost"));
	free(log);
}

static void test_two_daemons_failover(void **state)
{
	static const char *const modes[] = {"ok", "ok"};
	struct fx *f = *state;
	static int64_t got[MAX_IDS], want[MAX_IDS];
	size_t ng, nf;
	int64_t id_up, id_down, t_kill, failover_ms, deadline, first_cursor;
	char out[256];

	rwt_fixtures_start(&f->fx, f->fx_log, modes, 2);
	if (rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	            "ops@example.org", "--db", f->db, NULL) != 0)
		fail_msg("operator add failed (see %s)", f->cli_log);
	id_up = add_runner(f, "fx-up", 0);
	id_down = add_runner(f, "fx-down", 1);
	start_receiver(f);
	/* The registrations' events precede the webhook, which starts after them. */
	first_cursor = rwt_sql_int(f->db, "SELECT max(id) FROM events");

	/* A starts first and takes the lock; B follows. */
	rwt_daemon_start(&f->a, f->log_a, f->db, f->serve_args);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	rwt_daemon_start(&f->b, f->log_b, f->db, f->serve_args);
	rwt_wait_route(&f->a, ADMIN, T1, "fx-up", "eligible");
	rwt_wait_route(&f->a, ADMIN, T1, "fx-down", "eligible");
	rwt_wait_route(&f->b, ADMIN, T1, "fx-up",
	               "eligible"); /* B probes and routes from its own view */
	rwt_sleep_ms(2 * 1000);     /* several of B's lock attempts */
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	assert_int_equal(rwt_leader_gauge(&f->b, ADMIN), 0);

	/* A runner goes down: one interval, one incident, one event, not two. */
	rwt_fixture_mode(&f->fx, 1, "fail");
	rwt_wait_route(&f->a, ADMIN, T1, "fx-down", "down");
	rwt_wait_route(&f->b, ADMIN, T1, "fx-down", "down");
	rwt_sleep_ms(1500); /* both daemons' writers have committed */
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT count(*) FROM intervals WHERE runner_id = ?1 "
	                                  "AND state = ?2",
	                                  id_down, 2),
	                 1);
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT count(*) FROM incidents WHERE runner_id = ?1 "
	                                  "AND voided = ?2",
	                                  id_down, 0),
	                 1);
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT count(*) FROM events WHERE runner_id = ?1 AND "
	                                  "kind = 'ineligible' AND at_ms > ?2 AND "
	                                  "data LIKE '%\"down\"%'",
	                                  id_down, 0),
	                 1);
	/* Each event once, in order: the follower delivers nothing (it would
	 * send each event a second time). */
	wait_delivered(f, &f->a, first_cursor, got, &ng, want, &nf);
	rwt_sleep_ms(1000);
	ng = delivered(f, got, MAX_IDS);
	for (size_t i = 1; i < ng; i++)
		if (got[i] <= got[i - 1])
			fail_msg("delivery %zu is event %" PRId64 " after event %" PRId64
			         " before the kill",
			         i, got[i], got[i - 1]);

	/* kill -9 of the leader: B takes over. */
	t_kill = rwt_mono_ms();
	rwt_daemon_kill(&f->a, SIGKILL, 1000);
	deadline = t_kill + FAILOVER_BOUND_MS + FAILOVER_SLACK_MS;
	while (rwt_leader_gauge(&f->b, ADMIN) != 1) {
		if (rwt_mono_ms() > deadline)
			fail_msg("no takeover %d ms after the leader's kill -9",
			         FAILOVER_BOUND_MS + FAILOVER_SLACK_MS);
		rwt_sleep_ms(50);
	}
	failover_ms = rwt_mono_ms() - t_kill;
	fprintf(stderr,
	        "failover: the follower reported runwarden_leader 1 %" PRId64
	        " ms after the leader's kill -9\n",
	        failover_ms);
	/* The new leader carries on: a change after the takeover is written
	 * and delivered. */
	rwt_fixture_mode(&f->fx, 1, "ok");
	rwt_wait_route(&f->b, ADMIN, T1, "fx-down", "eligible");
	rwt_wait_route(&f->b, ADMIN, T1, "fx-up", "eligible");
	rwt_sleep_ms(1500);
	/* The up runner: no down time over the kill, in the store and in the
	 * availability answer. */
	assert_int_equal(rwt_sql_int_args(f->db,
	                                  "SELECT count(*) FROM intervals WHERE runner_id = ?1 "
	                                  "AND state = ?2",
	                                  id_up, 2),
	                 0);
	{
		char path[128];
		cJSON *doc;
		snprintf(path, sizeof(path), "/v1/runners/%" PRId64 "/availability", id_up);
		doc = rwt_get_json(&f->b, ADMIN, path);
		assert_int_equal((int64_t)cJSON_GetObjectItem(doc, "down_ms")->valuedouble, 0);
		assert_true(cJSON_GetObjectItem(doc, "up_ms")->valuedouble > 0);
		cJSON_Delete(doc);
	}
	/* fx-down's recovery was written once, by the new leader. */
	assert_true(rwt_sql_int_args(f->db,
	                             "SELECT count(*) FROM events WHERE runner_id = ?1 AND "
	                             "kind = 'eligible' AND at_ms > ?2",
	                             id_down, 0) >= 2);
	/* Every event at least once, in order: the first delivery of each id
	 * comes after the first delivery of every smaller id. */
	wait_delivered(f, &f->b, first_cursor, got, &ng, want, &nf);
	{
		int64_t last = 0;
		for (size_t j = 0; j < ng; j++) {
			bool before = false;
			for (size_t k = 0; k < j && !before; k++)
				before = got[k] == got[j];
			if (before)
				continue; /* a repeat: the receiver deduplicates by id */
			if (got[j] <= last)
				fail_msg("event %" PRId64 " first arrived after event %" PRId64,
				         got[j], last);
			last = got[j];
		}
	}
	fprintf(stderr, "%zu events, %zu deliveries\n", nf, ng);
	rwt_daemon_stop(&f->b, 10000);
	f->passed = true;
}

static void test_follower_follows_leader(void **state)
{
	static const char *const modes[] = {"ok"};
	struct fx *f = *state;
	char out[256], slow[320], url[128];
	const char *slow_args[5];
	int64_t t_down, lag_ms;

	snprintf(slow, sizeof(slow), "%s/slow.json", f->dir);
	rwt_write_file(slow, slow_policy_json);
	slow_args[0] = "--policy";
	slow_args[1] = slow;
	slow_args[2] = "--config";
	slow_args[3] = f->config;
	slow_args[4] = NULL;
	rwt_fixtures_start(&f->fx, f->fx_log, modes, 1);
	if (rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	            "ops@example.org", "--db", f->db, NULL) != 0)
		fail_msg("operator add failed (see %s)", f->cli_log);
	/* The policy's interval: each daemon's own. */
	rwt_fixture_url(&f->fx, 0, url, sizeof(url));
	if (rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr", "127.0.0.0/8",
	            "--db", f->db, "--operator", "acme", "--name", "fx", "--target", T1, "--url",
	            url, NULL) != 0)
		fail_msg("runner add failed: %s (see %s)", out, f->cli_log);
	rwt_daemon_start(&f->a, f->log_a, f->db, f->serve_args);
	rwt_daemon_start(&f->b, f->log_b, f->db, slow_args);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	assert_int_equal(rwt_leader_gauge(&f->b, ADMIN), 0);
	rwt_wait_route(&f->a, ADMIN, T1, "fx", "eligible");
	rwt_wait_route(&f->b, ADMIN, T1, "fx", "eligible");
	rwt_fixture_mode(&f->fx, 0, "fail");
	rwt_wait_route(&f->a, ADMIN, T1, "fx", "down");
	t_down = rwt_mono_ms();
	rwt_wait_route(&f->b, ADMIN, T1, "fx", "down");
	lag_ms = rwt_mono_ms() - t_down;
	fprintf(stderr, "the follower's route showed down %" PRId64 " ms after the leader's did\n",
	        lag_ms);
	rwt_fixture_mode(&f->fx, 0, "ok");
	rwt_wait_route(&f->a, ADMIN, T1, "fx", "eligible");
	rwt_wait_route(&f->b, ADMIN, T1, "fx", "eligible");
	rwt_daemon_stop(&f->b, 10000);
	rwt_daemon_stop(&f->a, 10000);
	f->passed = true;
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
	        cmocka_unit_test_setup_teardown(test_sqlite_always_leader, setup, teardown),
	};
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(test_two_daemons_failover, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_follower_follows_leader, setup, teardown),
	};
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	/* The same program on either backend (test_leader, test_leader_pg):
	 * several daemons on one database are PostgreSQL's case. */
	if (rwt_pg())
		return cmocka_run_group_tests(pg_tests, NULL, NULL);
	return cmocka_run_group_tests(sqlite_tests, NULL, NULL);
}
