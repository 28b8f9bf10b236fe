/* SPDX-License-Identifier: MIT */
/*
 * test_vantage_quorum.c — a quorum of vantage points (issue 16 item 3): with
 * "vantage": {"quorum": 2}, a runner is down only while 2 vantage points
 * hold it down, up while one holds it up and fewer than 2 hold it down,
 * unknown otherwise (a stopped vantage, whose heartbeat is older than
 * 10 s, holds nothing). The combined state is what the runner's answer,
 * the route answer, the intervals, incidents and events say; the
 * availability answer's "vantages" list each vantage's own. Two daemons,
 * vantages a and b, on one PostgreSQL database (so it runs as
 * test_vantage_quorum_pg only, with the ctest fixture `postgres`); a starts first
 * and is the leader, the one writer of the combined records:
 *   - a runner failing only for a: a=down, b=up, combined up on both
 *     daemons; no down interval, incident or down event;
 *   - a runner failing for both: unknown while a alone holds it down,
 *     down once b does too: one incident, one down interval, one down
 *     event, starting at the later vantage's own start of down (backdated
 *     to its first failure), before the test saw the combined down;
 *   - the follower b stopped while the runner failing only for a is up:
 *     after b's heartbeat goes stale the runner is unknown, never down;
 *   - kill -9 of the leader a: b reports runwarden_leader 1 (the time is
 *     printed, not asserted beyond generous slack), and a runner healthy
 *     for both and one failing only for a have no down time over the kill.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/clock.h"
#include "rwtest.h"

#define ADMIN   "test-admin-token-0123456789abcdef0123456789"
#define STOP_MS 20000
#define T1      "riscv64gc-unknown-linux-gnu"
/* A vantage whose heartbeat is older than 10 s holds nothing; the test
 * allows for a loaded machine on top. */
#define STALE_MS 10000
/* The takeover promise is 10 s; likewise with slack. */
#define FAILOVER_BOUND_MS 10000
#define FAILOVER_SLACK_MS 10000

static const char policy_json[] = "{\n"
                                  "  \"version\": 1,\n"
                                  "  \"uptime_floor\": 0,\n"
                                  "  \"flagging\": { \"probation_days\": 0 },\n"
                                  "  \"vantage\": { \"quorum\": 2 },\n"
                                  "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
                                  "             \"failures_to_down\": 2, \"successes_to_up\": 1 }\n"
                                  "}\n";

struct fx {
	char dir[256];
	char db[1200];
	char policy[320], log_a[320], log_b[320], cli_log[320], fx_log[320];
	const char *args_a[7], *args_b[7];
	struct rwt_daemon a, b;
	struct rwt_fixtures fx;
	bool passed;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "quorum");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log_a, sizeof(f->log_a), "%s/daemon-a.log", f->dir);
	snprintf(f->log_b, sizeof(f->log_b), "%s/daemon-b.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	rwt_write_file(f->policy, policy_json);
	for (int i = 0; i < 2; i++) {
		const char **args = i ? f->args_b : f->args_a;
		args[0] = "--policy";
		args[1] = f->policy;
		args[2] = "--allow-cidr";
		args[3] = "127.0.0.0/8";
		args[4] = "--vantage";
		args[5] = i ? "b" : "a";
		args[6] = NULL;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->a, SIGKILL, 1000);
	rwt_daemon_kill(&f->b, SIGKILL, 1000);
	rwt_fixtures_stop(&f->fx);
	if (!f->passed) {
		rwt_dump_file("runwarden serve (a) stderr", f->log_a);
		rwt_dump_file("runwarden serve (b) stderr", f->log_b);
		rwt_dump_file("rw-demo-runner stderr", f->fx_log);
		rwt_dump_file("runwarden CLI stderr", f->cli_log);
	}
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

/* The fixture listeners in @p modes and the operator acme. */
static void start_fixtures(struct fx *f, const char *const modes[], size_t n)
{
	char out[256];

	rwt_fixtures_start(&f->fx, f->fx_log, modes, n);
	if (rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	            "ops@example.org", "--db", f->db, NULL) != 0)
		fail_msg("operator add failed (see %s)", f->cli_log);
}

/* A runner of acme named @p name probing fixture listener @p i every
 * second; its id. */
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

/* Starts a, which takes the lock, then b. */
static void start_pair(struct fx *f)
{
	rwt_daemon_start(&f->a, f->log_a, f->db, f->args_a);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	rwt_daemon_start(&f->b, f->log_b, f->db, f->args_b);
}

/* The combined state of runner @p id in the runner's answer of @p d. */
static void runner_state(const struct rwt_daemon *d, int64_t id, char *out, size_t len)
{
	char path[64];
	cJSON *doc;
	const cJSON *st;

	snprintf(path, sizeof(path), "/v1/runners/%" PRId64, id);
	doc = rwt_get_json(d, ADMIN, path);
	st = cJSON_GetObjectItemCaseSensitive(doc, "state");
	if (!cJSON_IsString(st))
		fail_msg("GET %s%s: no \"state\"", d->url, path);
	snprintf(out, len, "%s", st->valuestring);
	cJSON_Delete(doc);
}

/* Waits up to @p wait_ms until runner @p id's combined state on @p d is
 * @p want, failing at once if it is ever @p never (NULL: no such state);
 * the wall time at which it was first seen. */
static int64_t wait_state(const struct rwt_daemon *d, int64_t id, const char *want,
                          const char *never, int64_t wait_ms)
{
	int64_t deadline = rwt_mono_ms() + wait_ms;
	char got[32];

	for (;;) {
		runner_state(d, id, got, sizeof(got));
		if (never && strcmp(got, never) == 0)
			fail_msg("%s: runner %" PRId64 " is %s, which it must never be here",
			         d->url, id, got);
		if (strcmp(got, want) == 0)
			return clock_wall_ms();
		if (rwt_mono_ms() > deadline)
			fail_msg("%s: runner %" PRId64 " is %s, not %s after %" PRId64 " ms",
			         d->url, id, got, want, wait_ms);
		rwt_sleep_ms(100);
	}
}

/* Requires runner @p id's combined state on @p d to be @p want for
 * @p ms: at every look, several a second. */
static void hold_state(const struct rwt_daemon *d, int64_t id, const char *want, int64_t ms)
{
	int64_t end = rwt_mono_ms() + ms;
	char got[32];

	do {
		runner_state(d, id, got, sizeof(got));
		if (strcmp(got, want) != 0)
			fail_msg("%s: runner %" PRId64 " became %s; it must stay %s", d->url, id,
			         got, want);
		rwt_sleep_ms(200);
	} while (rwt_mono_ms() < end);
}

/* Waits up to @p wait_ms until the vantages of runner @p id on @p d are
 * @p want, failing at once if its combined state is ever @p never. */
static void wait_vantages_never(const struct rwt_daemon *d, int64_t id, const char *want,
                                const char *never, int64_t wait_ms)
{
	int64_t deadline = rwt_mono_ms() + wait_ms;
	char got[256], st[32];

	for (;;) {
		runner_state(d, id, st, sizeof(st));
		if (strcmp(st, never) == 0)
			fail_msg("%s: runner %" PRId64 " is %s, which it must never be here",
			         d->url, id, st);
		rwt_vantages_of(d, ADMIN, id, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return;
		if (rwt_mono_ms() > deadline)
			fail_msg("%s: runner %" PRId64 ": vantages \"%s\", want \"%s\"", d->url, id,
			         got, want);
		rwt_sleep_ms(200);
	}
}

static int64_t rows(const char *db, const char *sql, int64_t id)
{
	return rwt_sql_int_args(db, sql, id, 0);
}

/* Nothing down was ever recorded for runner @p id: no down interval
 * (enum rw_state: 2), no incident, no "down" event, no "ineligible" one
 * for being down. */
static void assert_never_down(const char *db, int64_t id)
{
	assert_int_equal(
	        rows(db, "SELECT count(*) FROM intervals WHERE runner_id = ?1 AND state = 2", id),
	        0);
	assert_int_equal(rows(db, "SELECT count(*) FROM incidents WHERE runner_id = ?1", id), 0);
	assert_int_equal(
	        rows(db, "SELECT count(*) FROM events WHERE runner_id = ?1 AND kind = 'down'", id),
	        0);
	assert_int_equal(rows(db,
	                      "SELECT count(*) FROM events WHERE runner_id = ?1 AND"
	                      " kind = 'ineligible' AND data LIKE '%\"down\"%'",
	                      id),
	                 0);
}

/* Waits until the leader has written an interval of runner @p id in state
 * @p state (enum rw_state) as the latest. */
static void wait_last_interval(const char *db, int64_t id, int64_t state)
{
	rwt_wait_sql(db,
	             "SELECT state FROM intervals WHERE runner_id = ?1"
	             " ORDER BY start_ms DESC LIMIT 1",
	             id, state);
}

/* ---- 1: one vantage down is not a quorum ---------------------------------- */

static void test_one_down_stays_up(void **state)
{
	static const char *const modes[] = {"failua:(vantage a)"};
	struct fx *f = *state;
	int64_t r1;

	start_fixtures(f, modes, 1);
	r1 = add_runner(f, "r1", 0);
	start_pair(f);
	rwt_wait_vantages(&f->a, ADMIN, r1, "a=down,b=up");
	rwt_wait_vantages(&f->b, ADMIN, r1, "a=down,b=up");
	wait_state(&f->a, r1, "up", "down", RWT_WAIT_MS);
	wait_state(&f->b, r1, "up", "down", RWT_WAIT_MS);
	/* It stays up on both, each vantage keeping its own state. */
	hold_state(&f->a, r1, "up", 3000);
	hold_state(&f->b, r1, "up", 1000);
	rwt_wait_vantages(&f->a, ADMIN, r1, "a=down,b=up");
	rwt_wait_route(&f->a, ADMIN, T1, "r1", "eligible");
	rwt_wait_route(&f->b, ADMIN, T1, "r1", "eligible");
	/* Both vantages' own states are stored, and the leader wrote the
	 * combined up. */
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM vantage_states s JOIN vantages v ON v.id = s.vantage_id"
	             " WHERE s.runner_id = ?1 AND ((v.name = 'a' AND s.state = 2) OR"
	             " (v.name = 'b' AND s.state = 1))",
	             r1, 2);
	wait_last_interval(f->db, r1, 1);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	assert_int_equal(rwt_leader_gauge(&f->b, ADMIN), 0);
	assert_never_down(f->db, r1);
	/* The follower's run ticks (its coverage in the report), but never as
	 * the leader: led_until_ms stays at its start, so that a takeover
	 * reads the leader's last tick, not the follower's. */
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM monitor_runs r JOIN vantages v ON v.id = r.vantage_id"
	             " WHERE v.name = 'b' AND r.last_tick_ms >= r.started_ms + ?1"
	             " AND r.led_until_ms = r.started_ms",
	             2000, 1);
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM monitor_runs r JOIN vantages v ON v.id = r.vantage_id"
	             " WHERE v.name = 'a' AND r.led_until_ms >= r.started_ms + ?1"
	             " AND r.led_until_ms = r.last_tick_ms",
	             2000, 1);
	rwt_daemon_stop(&f->b, STOP_MS);
	rwt_daemon_stop(&f->a, STOP_MS);
	assert_never_down(f->db, r1);
	f->passed = true;
}

/* ---- 2: down at both vantages: one incident, backdated --------------------- */

static void test_both_down_one_incident(void **state)
{
	static const char *const modes[] = {"fail"};
	struct fx *f = *state;
	int64_t r2, seen_down_ms, start_ms, later_since_ms;

	start_fixtures(f, modes, 1);
	r2 = add_runner(f, "r2", 0);
	/* a alone holds it down: fewer than the quorum, and nobody holds it
	 * up, so it is unknown. */
	rwt_daemon_start(&f->a, f->log_a, f->db, f->args_a);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	rwt_wait_vantages(&f->a, ADMIN, r2, "a=down");
	wait_state(&f->a, r2, "unknown", "down", RWT_WAIT_MS);
	hold_state(&f->a, r2, "unknown", 2000);
	rwt_wait_route(&f->a, ADMIN, T1, "r2", "unknown");
	assert_never_down(f->db, r2);

	/* b holds it down too: the quorum. */
	rwt_daemon_start(&f->b, f->log_b, f->db, f->args_b);
	rwt_wait_vantages(&f->b, ADMIN, r2, "a=down,b=down");
	seen_down_ms = wait_state(&f->a, r2, "down", NULL, RWT_WAIT_MS);
	wait_state(&f->b, r2, "down", NULL, RWT_WAIT_MS);
	rwt_wait_vantages(&f->a, ADMIN, r2, "a=down,b=down");
	rwt_wait_route(&f->a, ADMIN, T1, "r2", "down");
	rwt_wait_route(&f->b, ADMIN, T1, "r2", "down");
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM vantage_states WHERE runner_id = ?1 AND state = 2", r2,
	             2);
	rwt_wait_sql(f->db, "SELECT count(*) FROM incidents WHERE runner_id = ?1", r2, 1);
	rwt_sleep_ms(2000); /* both daemons' writers have committed */
	assert_int_equal(rwt_leader_gauge(&f->b, ADMIN), 0);

	/* One incident, one down interval, one "down" and one "incident_open"
	 * event, not one per daemon. */
	assert_int_equal(rows(f->db, "SELECT count(*) FROM incidents WHERE runner_id = ?1", r2), 1);
	assert_int_equal(rows(f->db,
	                      "SELECT count(*) FROM incidents WHERE runner_id = ?1 AND voided = 0"
	                      " AND end_ms IS NULL",
	                      r2),
	                 1);
	assert_int_equal(rows(f->db,
	                      "SELECT count(*) FROM intervals WHERE runner_id = ?1 AND state = 2",
	                      r2),
	                 1);
	assert_int_equal(rows(f->db,
	                      "SELECT count(*) FROM events WHERE runner_id = ?1 AND kind = 'down'",
	                      r2),
	                 1);
	assert_int_equal(rows(f->db,
	                      "SELECT count(*) FROM events WHERE runner_id = ?1 AND"
	                      " kind = 'incident_open'",
	                      r2),
	                 1);
	/* Backdated: the combined down began when the later of the two
	 * vantages' downs began (its first failure), before the test saw it. */
	start_ms = rows(f->db, "SELECT start_ms FROM incidents WHERE runner_id = ?1", r2);
	later_since_ms =
	        rows(f->db, "SELECT max(since_ms) FROM vantage_states WHERE runner_id = ?1", r2);
	fprintf(stderr,
	        "incident start %" PRId64 ", vantages' downs since %" PRId64 " and %" PRId64
	        ", combined down first seen %" PRId64 "\n",
	        start_ms, later_since_ms,
	        rows(f->db, "SELECT min(since_ms) FROM vantage_states WHERE runner_id = ?1", r2),
	        seen_down_ms);
	assert_true(rows(f->db, "SELECT min(since_ms) FROM vantage_states WHERE runner_id = ?1",
	                 r2) < later_since_ms); /* b started after a's down */
	assert_int_equal(start_ms, later_since_ms);
	assert_true(start_ms < seen_down_ms);
	assert_int_equal(rows(f->db,
	                      "SELECT start_ms FROM intervals WHERE runner_id = ?1 AND state = 2",
	                      r2),
	                 start_ms);
	assert_int_equal(
	        rows(f->db, "SELECT at_ms FROM events WHERE runner_id = ?1 AND kind = 'down'", r2),
	        start_ms);
	rwt_daemon_stop(&f->b, STOP_MS);
	rwt_daemon_stop(&f->a, STOP_MS);
	f->passed = true;
}

/* ---- 3: the only vantage holding it up stops -------------------------------- */

static void test_follower_stops(void **state)
{
	static const char *const modes[] = {"failua:(vantage a)"};
	struct fx *f = *state;
	int64_t r1;

	start_fixtures(f, modes, 1);
	r1 = add_runner(f, "r1", 0);
	start_pair(f);
	rwt_wait_vantages(&f->a, ADMIN, r1, "a=down,b=up");
	wait_state(&f->a, r1, "up", "down", RWT_WAIT_MS);
	wait_last_interval(f->db, r1, 1);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	assert_int_equal(rwt_leader_gauge(&f->b, ADMIN), 0);

	/* b, the follower and the only vantage holding it up, stops: once its
	 * heartbeat is stale, a's down alone is not a quorum: unknown. */
	rwt_daemon_stop(&f->b, STOP_MS);
	wait_state(&f->a, r1, "unknown", "down", STALE_MS + RWT_WAIT_MS);
	rwt_wait_vantages(&f->a, ADMIN, r1, "a=down,b=unknown");
	hold_state(&f->a, r1, "unknown", 2000);
	rwt_wait_route(&f->a, ADMIN, T1, "r1", "unknown");
	wait_last_interval(f->db, r1, 0);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	assert_never_down(f->db, r1);
	rwt_daemon_stop(&f->a, STOP_MS);
	assert_never_down(f->db, r1);
	f->passed = true;
}

/* ---- 4: kill -9 of the leader ------------------------------------------------ */

static void test_leader_killed(void **state)
{
	static const char *const modes[] = {"ok", "failua:(vantage a)"};
	struct fx *f = *state;
	int64_t r_ok, r1, t_kill, deadline;
	char path[64];

	start_fixtures(f, modes, 2);
	r_ok = add_runner(f, "ok", 0);
	r1 = add_runner(f, "r1", 1);
	start_pair(f);
	rwt_wait_vantages(&f->b, ADMIN, r_ok, "a=up,b=up");
	rwt_wait_vantages(&f->b, ADMIN, r1, "a=down,b=up");
	wait_state(&f->a, r_ok, "up", "down", RWT_WAIT_MS);
	wait_state(&f->a, r1, "up", "down", RWT_WAIT_MS);
	wait_state(&f->b, r_ok, "up", "down", RWT_WAIT_MS);
	wait_state(&f->b, r1, "up", "down", RWT_WAIT_MS);
	wait_last_interval(f->db, r_ok, 1);
	wait_last_interval(f->db, r1, 1);
	assert_int_equal(rwt_leader_gauge(&f->a, ADMIN), 1);
	assert_int_equal(rwt_leader_gauge(&f->b, ADMIN), 0);

	/* kill -9 of the leader: b takes over. */
	t_kill = rwt_mono_ms();
	rwt_daemon_kill(&f->a, SIGKILL, 1000);
	deadline = t_kill + FAILOVER_BOUND_MS + FAILOVER_SLACK_MS;
	while (rwt_leader_gauge(&f->b, ADMIN) != 1) {
		if (rwt_mono_ms() > deadline)
			fail_msg("no takeover %d ms after the leader's kill -9",
			         FAILOVER_BOUND_MS + FAILOVER_SLACK_MS);
		rwt_sleep_ms(50);
	}
	fprintf(stderr,
	        "failover: b reported runwarden_leader 1 %" PRId64
	        " ms after the leader's kill -9\n",
	        rwt_mono_ms() - t_kill);
	/* a's heartbeat goes stale, and b alone holds both up. The takeover
	 * may show unknown for a moment (the new leader starts from the
	 * database: the time since a's last tick is unknown), never down. */
	wait_vantages_never(&f->b, r_ok, "a=unknown,b=up", "down", STALE_MS + RWT_WAIT_MS);
	wait_vantages_never(&f->b, r1, "a=unknown,b=up", "down", RWT_WAIT_MS);
	wait_state(&f->b, r_ok, "up", "down", RWT_WAIT_MS);
	wait_state(&f->b, r1, "up", "down", RWT_WAIT_MS);
	rwt_wait_route(&f->b, ADMIN, T1, "ok", "eligible");
	rwt_wait_route(&f->b, ADMIN, T1, "r1", "eligible");
	wait_last_interval(f->db, r_ok, 1);
	wait_last_interval(f->db, r1, 1);
	/* No down time over the kill, in the store and in the answers. */
	for (int i = 0; i < 2; i++) {
		int64_t id = i ? r1 : r_ok;
		cJSON *doc;
		assert_never_down(f->db, id);
		snprintf(path, sizeof(path), "/v1/runners/%" PRId64 "/availability", id);
		doc = rwt_get_json(&f->b, ADMIN, path);
		assert_int_equal((int64_t)cJSON_GetObjectItem(doc, "down_ms")->valuedouble, 0);
		assert_true(cJSON_GetObjectItem(doc, "up_ms")->valuedouble > 0);
		cJSON_Delete(doc);
	}
	rwt_daemon_stop(&f->b, STOP_MS);
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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_one_down_stays_up, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_both_down_one_incident, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_follower_stops, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_leader_killed, setup, teardown),
	};

	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	/* Several daemons on one database are PostgreSQL's case alone: this
	 * runs as test_vantage_quorum_pg, which sets RW_TEST_PG_URI_FILE. */
	if (!rwt_pg()) {
		fprintf(stderr,
		        "test_vantage_quorum runs on PostgreSQL only: run it as `ctest -R "
		        "test_vantage_quorum_pg` (the fixture `postgres` gives it a server)\n");
		return 1;
	}
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
