/* SPDX-License-Identifier: MIT */
/*
 * test_vantage.c — vantage points (issue 16 item 2): `serve --vantage NAME`
 * and "vantage" in the config file (the flag wins; bad names are refused
 * with exit 2 before anything is written; the default is the host name);
 * the probes' User-Agent names the vantage, as a fixture runner records it;
 * samples, the run and vantage_states are tagged with the daemon's vantage;
 * the availability answer lists every vantage's own state, a vantage with a
 * stale heartbeat as unknown; and two daemons, vantages a and b, on one
 * database, with a fixture runner that fails only for User-Agents naming
 * vantage a: a holds it down and b holds it up, and both daemons' answers
 * say so. The *_pg twin runs all of it on one PostgreSQL database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/core/clock.h"
#include "rwtest.h"

#define ADMIN_TOKEN "test-admin-token-0123456789abcdef0123456789"
#define DEADLINE_MS 30000
#define STOP_MS     20000
#define TARGET      "riscv64gc-unknown-linux-gnu"

static const char policy_json[] = "{\n"
                                  "  \"version\": 1,\n"
                                  "  \"uptime_floor\": 0,\n"
                                  "  \"flagging\": { \"probation_days\": 0 },\n"
                                  "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
                                  "             \"failures_to_down\": 2, \"successes_to_up\": 1 }\n"
                                  "}\n";

struct fx {
	char dir[256];
	char db[1200];
	char policy[320];
	char config[320];
	char log_a[320], log_b[320], fixture_log[320], cli_log[320];
	struct rwt_daemon a, b;
	struct rwt_fixtures fx;
	bool passed;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "vantage");
	rwt_db(f->db, sizeof(f->db), f->dir, "runwarden.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->log_a, sizeof(f->log_a), "%s/daemon-a.log", f->dir);
	snprintf(f->log_b, sizeof(f->log_b), "%s/daemon-b.log", f->dir);
	snprintf(f->fixture_log, sizeof(f->fixture_log), "%s/fixtures.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	rwt_write_file(f->policy, policy_json);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->a, SIGTERM, STOP_MS);
	rwt_daemon_kill(&f->b, SIGTERM, STOP_MS);
	rwt_fixtures_stop(&f->fx);
	if (!f->passed) {
		rwt_dump_file("runwarden serve (a) stderr", f->log_a);
		rwt_dump_file("runwarden serve (b) stderr", f->log_b);
		rwt_dump_file("rw-demo-runner stderr", f->fixture_log);
		rwt_dump_file("runwarden CLI stderr", f->cli_log);
	}
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

/* The operator acme and one runner of it probing fixture listener 0 every
 * second; returns the runner's id. */
static int64_t add_runner(struct fx *f)
{
	char out[512], url[128];
	long long id = 0;

	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	                         "ops@example.org", "--db", f->db, NULL),
	                 0);
	rwt_fixture_url(&f->fx, 0, url, sizeof(url));
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr",
	                         "127.0.0.0/8", "--db", f->db, "--operator", "acme", "--name", "fx",
	                         "--target", TARGET, "--url", url, "--interval", "1", NULL),
	                 0);
	assert_int_equal(sscanf(out, "runner %*s id %lld approved", &id), 1);
	return id;
}

/* The User-Agent of the last probe fixture listener @p i answered ("" for
 * none yet). */
static void fixture_user_agent(const struct fx *f, size_t i, char *out, size_t len)
{
	char url[128];
	struct rwt_resp r;
	cJSON *doc, *ua;

	snprintf(url, sizeof(url), "http://%s/_control/stats", f->fx.addr[i]);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	doc = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	assert_non_null(doc);
	ua = cJSON_GetObjectItemCaseSensitive(doc, "user_agent");
	snprintf(out, len, "%s", cJSON_IsString(ua) ? ua->valuestring : "");
	cJSON_Delete(doc);
}

static void wait_user_agent(const struct fx *f, size_t i, const char *want)
{
	int64_t deadline = rwt_mono_ms() + DEADLINE_MS;
	char got[256] = "";

	do {
		fixture_user_agent(f, i, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return;
		rwt_sleep_ms(100);
	} while (rwt_mono_ms() < deadline);
	fail_msg("fixture %zu saw User-Agent \"%s\", want \"%s\"", i, got, want);
}

/* ---- validation ------------------------------------------------------------ */

/* A bad --vantage is refused with exit 2, one line naming the flag, the
 * value and the rule, and nothing is written; a bad "vantage" in the
 * config file likewise, naming the file's key. */
static void test_bad_names(void **state)
{
	struct fx *f = *state;
	char long_name[80];
	struct rwt_res r = {0};

	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", f->db, "--init", "--listen", "127.0.0.1:0",
	        "--vantage", "eu west");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "--vantage: \"eu west\" is not a vantage name"));
	assert_non_null(strstr(r.err, "1 to 63 characters of A-Z, a-z, 0-9"));
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", f->db, "--init", "--listen", "127.0.0.1:0",
	        "--vantage", long_name);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "--vantage: \"xxxxxxxx"));
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", f->db, "--init", "--listen", "127.0.0.1:0",
	        "--vantage", "");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "--vantage: \"\" is not a vantage name"));

	rwt_write_file(f->config, "{\"vantage\": \"a/b\"}\n");
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", f->db, "--init", "--listen", "127.0.0.1:0",
	        "--config", f->config);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "config.json: vantage: \"a/b\" is not a vantage name"));
	rwt_write_file(f->config, "{\"vantage\": 7}\n");
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", f->db, "--init", "--listen", "127.0.0.1:0",
	        "--config", f->config);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "config.json: vantage: must be a string"));
	rwt_res_free(&r);
	/* Nothing was written: no file, or no schema on PostgreSQL. */
	if (rwt_db_is_pg(f->db))
		assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM information_schema.tables"
		                                    " WHERE table_schema = 'public'"),
		                 0);
	else
		assert_int_equal(access(f->db, F_OK), -1);
	f->passed = true;
}

/* Without --vantage or "vantage", the vantage is the host name, and the
 * probes say so. */
static void test_default_is_host_name(void **state)
{
	static const char *const modes[] = {"ok"};
	struct fx *f = *state;
	const char *args[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	char host[256], want[512], got[128];

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 1);
	add_runner(f);
	rwt_daemon_start(&f->a, f->log_a, f->db, args);
	snprintf(want, sizeof(want), "runwarden/%s (vantage %s)", RW_VERSION, host);
	wait_user_agent(f, 0, want);
	rwt_sql_text(f->db, "SELECT name FROM vantages WHERE id = 0", got, sizeof(got));
	assert_string_equal(got, host);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM vantages"), 1);
	rwt_daemon_stop(&f->a, STOP_MS);
	f->passed = true;
}

/* ---- one daemon ------------------------------------------------------------- */

/* --vantage wins over the config file's; the probes name it; everything the
 * daemon writes carries its id (3 here: a vantage "old-host" was there
 * first, with id 0, the id of the rows written before vantages existed);
 * the answer lists its state, and old-host's, whose heartbeat stopped, as
 * unknown; a vantage with a live heartbeat is shown as its row says, unless
 * a stored blind period covers now. */
static void test_one_daemon_tags(void **state)
{
	static const char *const modes[] = {"ok"};
	struct fx *f = *state;
	const char *args[] = {"--policy", f->policy,   "--allow-cidr", "127.0.0.0/8", "--config",
	                      f->config,  "--vantage", "site-1",       NULL};
	char want[256], sql[512];
	int64_t id, far_future = clock_wall_ms() + 3600000;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 1);
	id = add_runner(f);
	rwt_write_file(f->config, "{\"vantage\": \"from-file\"}\n");
	/* Two vantages before this daemon: old-host stopped long ago, holding
	 * the runner down; far-away says its heartbeat is fresh (an hour
	 * ahead) and holds it down too. */
	/* A third, blind-now, has a fresh heartbeat too but a stored blind
	 * period that covers now: it holds nothing. */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO vantages (id, name, first_seen_ms, last_tick_ms) VALUES"
	         " (0, 'old-host', 1000, 2000), (1, 'far-away', 1000, %" PRId64 "),"
	         " (2, 'blind-now', 1000, %" PRId64 ");"
	         "INSERT INTO vantage_states (vantage_id, runner_id, state, since_ms) VALUES"
	         " (0, %" PRId64 ", 2, 1500), (1, %" PRId64 ", 2, 1500), (2, %" PRId64 ", 1, 1500);"
	         "INSERT INTO blind_periods (start_ms, end_ms, cause, vantage_id) VALUES"
	         " (1000, %" PRId64 ", 'canary', 2)",
	         far_future, far_future, id, id, id, far_future);
	assert_int_equal(rwt_sql_exec(f->db, sql), 0);
	rwt_daemon_start(&f->a, f->log_a, f->db, args);
	snprintf(want, sizeof(want), "runwarden/%s (vantage site-1)", RW_VERSION);
	wait_user_agent(f, 0, want);
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id,
	                  "old-host=unknown,far-away=down,blind-now=unknown,site-1=up");

	assert_int_equal(rwt_sql_int(f->db, "SELECT id FROM vantages WHERE name = 'site-1'"), 3);
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT count(*) FROM vantages WHERE name = 'from-file'"), 0);
	/* Its state, its samples, its run, its heartbeat. */
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM vantage_states WHERE vantage_id = 3 AND runner_id = ?1"
	             " AND state = 1 /* up */",
	             id, 1);
	assert_true(rwt_sql_int(f->db, "SELECT count(*) FROM samples WHERE vantage_id = 3") > 0);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM samples WHERE vantage_id <> 3"),
	                 0);
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT count(*) FROM monitor_runs WHERE vantage_id = 3"), 1);
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM vantages WHERE id = 3 AND last_tick_ms > first_seen_ms",
	             0, 1);
	rwt_daemon_stop(&f->a, STOP_MS);

	/* A restart finds its vantage by name (store_vantage_register() resets
	 * what it held to unknown: test_store_vantage), and opens a second run
	 * under it. */
	rwt_daemon_start(&f->a, f->log_a, f->db, args);
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id,
	                  "old-host=unknown,far-away=down,blind-now=unknown,site-1=up");
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT count(*) FROM monitor_runs WHERE vantage_id = 3"), 2);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM vantages"), 4);
	rwt_daemon_stop(&f->a, STOP_MS);
	f->passed = true;
}

/* The daemon's own blindness: while its one canary fails, its vantage
 * holds nothing (unknown), although the runner's successes keep it up in
 * its state machine; when the canary answers again, the vantage is up. */
static void test_own_blindness(void **state)
{
	static const char *const modes[] = {"ok", "fail"};
	struct fx *f = *state;
	const char *args[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", "--vantage",
	                      "v",        NULL};
	char policy[1024], canary[128];
	int64_t id;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 2);
	rwt_fixture_url(&f->fx, 1, canary, sizeof(canary));
	snprintf(policy, sizeof(policy),
	         "{ \"version\": 1, \"uptime_floor\": 0,\n"
	         "  \"flagging\": { \"probation_days\": 0 },\n"
	         "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	         "             \"failures_to_down\": 2, \"successes_to_up\": 1 },\n"
	         "  \"blindness\": { \"canaries\": [ \"%s\" ] } }\n",
	         canary);
	rwt_write_file(f->policy, policy);
	id = add_runner(f);
	rwt_daemon_start(&f->a, f->log_a, f->db, args);
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id, "v=unknown");
	rwt_wait_sql(f->db,
	             "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM samples"
	             " WHERE runner_id = ?1 AND errclass = 0",
	             id, 1);
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id, "v=unknown"); /* still: the canary still fails */
	rwt_fixture_mode(&f->fx, 1, "ok");
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id, "v=up");
	rwt_daemon_stop(&f->a, STOP_MS);
	f->passed = true;
}

/* ---- two daemons ------------------------------------------------------------ */

/* Vantages a and b on one database; the runner fails only for a's
 * User-Agent: a holds it down, b holds it up, and each daemon's answer
 * lists both with their own states. b's start does not void what a found.
 * When b stops, its heartbeat goes stale and a's answer shows b unknown. */
static void test_two_daemons(void **state)
{
	static const char *const modes[] = {"failua:(vantage a)"};
	struct fx *f = *state;
	const char *args_a[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", "--vantage",
	                        "a",        NULL};
	const char *args_b[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", "--vantage",
	                        "b",        NULL};
	int64_t id;

	rwt_fixtures_start(&f->fx, f->fixture_log, modes, 1);
	id = add_runner(f);
	rwt_daemon_start(&f->a, f->log_a, f->db, args_a);
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id, "a=down");
	/* a's incident is stored, and a has ticked since it began. */
	rwt_wait_sql(f->db,
	             "SELECT count(*) FROM vantages WHERE name = 'a' AND last_tick_ms >"
	             " (SELECT start_ms FROM incidents WHERE runner_id = ?1)",
	             id, 1);
	rwt_daemon_start(&f->b, f->log_b, f->db, args_b);
	rwt_wait_vantages(&f->b, ADMIN_TOKEN, id, "a=down,b=up");
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id, "a=down,b=up");
	/* b's start made the stored state unknown from a's last tick, not from
	 * the start of a's down (which would have voided a's incident and
	 * retracted its announcement). */
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM incidents WHERE voided <> 0"), 0);
	assert_int_equal(
	        rwt_sql_int(f->db, "SELECT count(*) FROM events WHERE kind = 'incident_voided'"),
	        0);
	/* Each one's samples under its own id, and each one's own state. */
	assert_int_equal(rwt_sql_int(f->db, "SELECT id FROM vantages WHERE name = 'a'"), 0);
	assert_int_equal(rwt_sql_int(f->db, "SELECT id FROM vantages WHERE name = 'b'"), 1);
	assert_true(rwt_sql_int(f->db, "SELECT count(*) FROM samples WHERE vantage_id = 0"
	                               " AND errclass <> 0") > 0);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM samples WHERE vantage_id = 0"
	                                    " AND errclass = 0"),
	                 0);
	assert_true(rwt_sql_int(f->db, "SELECT count(*) FROM samples WHERE vantage_id = 1"
	                               " AND errclass = 0") > 0);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM samples WHERE vantage_id = 1"
	                                    " AND errclass <> 0"),
	                 0);
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(DISTINCT vantage_id) FROM monitor_runs"),
	                 2);
	rwt_daemon_stop(&f->b, STOP_MS);
	/* b's heartbeat goes stale after API_VANTAGE_STALE_MS (10 s). */
	rwt_wait_vantages(&f->a, ADMIN_TOKEN, id, "a=down,b=unknown");
	rwt_daemon_stop(&f->a, STOP_MS);
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
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_default_is_host_name, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_one_daemon_tags, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_own_blindness, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_two_daemons, setup, teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
