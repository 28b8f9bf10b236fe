/* SPDX-License-Identifier: MIT */
/*
 * test_metrics_promtool.c — GET /metrics of the real daemon, checked by
 * Prometheus' own linter, `promtool check metrics` (Debian's prometheus
 * package; contrib/check.sh installs it).
 *
 * The daemon runs with fixture runners from rw-demo-runner (one answering,
 * one failing), a canary, two webhooks (one receiver answering, one
 * failing), a runner pending approval, a policy whose target map names a
 * target nobody serves, and a few API errors, so that every
 * family has samples: probe results of several classes, latency histograms,
 * per-target eligibility, HTTP counters. The exposition is then handed to
 * promtool on stdin; any problem or lint warning it prints, or a non-zero
 * exit, fails the test. A missing promtool fails it too, with a message that
 * says how to install it: a skipped linter would let the format rot.
 *
 * A second test feeds promtool a known-bad exposition and requires it to
 * complain, so that the harness itself is shown able to fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rwtest.h"

#define ADMIN       "test-admin-token-0123456789abcdef0123456789"
#define DEADLINE_MS 20000
#define STOP_MS     5000
#define T1          "riscv64gc-unknown-linux-gnu"
#define T_UNSERVED  "s390x-unknown-linux-gnu"

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char policy[320], config[320], daemon_log[320], fixture_log[320], cli_log[320];
	char metrics[320];
	struct rwt_daemon d;
	struct rwt_fixtures fx; /* ok, fail, canary */
	bool passed;
};

/* ---- promtool ---------------------------------------------------------------- */

/* The promtool on PATH, or fails the test saying how to install it. */
static void find_promtool(char *out, size_t len)
{
	rwt_promtool(out, len, "this test, to lint /metrics");
}

/*
 * Runs `promtool check metrics` with @p input on stdin; its stdout and
 * stderr go to *output (malloc'd). Returns its exit status (0: no problem);
 * fails the test if it does not finish in time or dies of a signal.
 */
static int promtool_check_metrics(const char *input, char **output)
{
	struct rwt_opts o = {.in = input, .timeout_ms = DEADLINE_MS};
	struct rwt_res r = {0};
	char tool[4096];
	int code;

	find_promtool(tool, sizeof(tool));
	RWT_RUN(&r, &o, tool, "check", "metrics");
	if (r.code >= 126)
		fail_msg("could not run %s (exit %d)", tool, r.code);
	*output = malloc(r.out_len + r.err_len + 1);
	assert_non_null(*output);
	memcpy(*output, r.out, r.out_len);
	memcpy(*output + r.out_len, r.err, r.err_len + 1);
	code = r.code;
	rwt_res_free(&r);
	return code;
}

/* ---- HTTP ----------------------------------------------------------------------- */

/* Sends a request and requires the status @p want; returns the body (free it). */
static char *http(struct fx *f, const char *method, const char *token, const char *body, long want,
                  const char *path)
{
	struct rwt_resp r;
	char url[512], *out;

	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rwt_http(method, url, token, body, (size_t)-1, &r);
	if (r.status != want)
		fail_msg("%s %s: HTTP %ld, want %ld: %.300s", method, path, r.status, want, r.body);
	out = strdup(r.body);
	assert_non_null(out);
	rwt_resp_free(&r);
	return out;
}

/* The value of the sample line `series VALUE`; -1 when there is none. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

/* ---- fixture --------------------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "promtool");
	rwt_db(f->db, sizeof(f->db), f->dir, "runwarden.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->daemon_log, sizeof(f->daemon_log), "%s/daemon.log", f->dir);
	snprintf(f->fixture_log, sizeof(f->fixture_log), "%s/fixtures.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->metrics, sizeof(f->metrics), "%s/metrics.txt", f->dir);
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

/* ---- tests ------------------------------------------------------------------------- */

/* The families README.md documents and those alerts.yml relies on: a rename
 * must show here, not in someone's silent dashboard. */
static const char *const families[] = {
        "runwarden_probes_total",
        "runwarden_probe_latency_seconds",
        "runwarden_probe_lateness_seconds",
        "runwarden_probes_skipped_total",
        "runwarden_probes_deferred_total",
        "runwarden_probes_in_flight",
        "runwarden_probe_handles",
        "runwarden_runners",
        "runwarden_state_changes_total",
        "runwarden_blips_total",
        "runwarden_flags_total",
        "runwarden_unflags_total",
        "runwarden_runners_flagged",
        "runwarden_target_eligible_runners",
        "runwarden_target_excluded_runners",
        "runwarden_blind_periods_total",
        "runwarden_blind_active",
        "runwarden_blind_seconds_total",
        "runwarden_canaries",
        "runwarden_canaries_failing",
        "runwarden_writer_queue_depth",
        "runwarden_writer_rows_total",
        "runwarden_writer_batches_total",
        "runwarden_writer_failures_total",
        "runwarden_writer_dropped_total",
        "runwarden_writer_last_batch_seconds",
        "runwarden_writer_max_batch_seconds",
        "runwarden_loop_lag_seconds",
        "runwarden_loop_lag_max_seconds",
        "runwarden_clock_back_jumps_total",
        "runwarden_policy_info",
        "runwarden_policy_reloads_total",
        "runwarden_policy_reload_failures_total",
        "runwarden_registry_reloads_total",
        "runwarden_storage_failures_total",
        "runwarden_http_requests_total",
        "runwarden_http_errors_total",
        "runwarden_http_server_errors_total",
        "runwarden_http_auth_failures_total",
        "runwarden_http_rate_limited_total",
        "runwarden_http_connections_refused_total",
        "runwarden_heartbeats_total",
        "runwarden_start_time_seconds",
        "runwarden_leader",
        "runwarden_leader_changes_total",
        "runwarden_leader_state_changes_followed_total",
        "runwarden_writer_withheld_total",
        "runwarden_build_info",
        "runwarden_webhook_failing",
        "runwarden_webhook_dropped_total",
        "runwarden_runner_state",
        "runwarden_runner_uptime_ratio",
        "runwarden_runner_floor_ratio",
        "runwarden_runner_probe_duration_seconds",
        "runwarden_runner_target_info",
};

static void test_metrics_pass_promtool(void **state)
{
	struct fx *f = *state;
	static const char *const fixture_modes[] = {"ok", "fail", "ok"};
	static const char *const serve_args[] = {"--policy",     NULL,          "--config", NULL,
	                                         "--allow-cidr", "127.0.0.0/8", NULL};
	const char *args[sizeof(serve_args) / sizeof(serve_args[0])];
	char out[512], policy[1024], body[512], hook_ok[200], hook_fail[200], *text = NULL, *lint;
	int64_t deadline;
	char tool[4096];
	int rc;

	find_promtool(tool, sizeof(tool)); /* before minutes of set-up, not after */
	rwt_fixtures_start(&f->fx, f->fixture_log, fixture_modes, 3);
	/* Probe every second; down after two failures; the canary is the
	 * third listener; T_UNSERVED is mapped but nobody serves it. */
	snprintf(policy, sizeof(policy),
	         "{ \"version\": 1, \"uptime_floor\": 0,\n"
	         "  \"targets\": { \"" T1 "\": 2, \"" T_UNSERVED "\": 3 },\n"
	         "  \"flagging\": { \"probation_days\": 0 },\n"
	         "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
	         "             \"failures_to_down\": 2, \"successes_to_up\": 1 },\n"
	         "  \"blindness\": { \"canaries\": [ \"http://%s/health\" ] } }\n",
	         f->fx.addr[2]);
	rwt_write_file(f->policy, policy);
	/* Two webhooks, one answering and one failing, so that the webhook
	 * families have samples (and a label value taken from the config). */
	snprintf(policy, sizeof(policy),
	         "{ \"webhooks\": [\n"
	         "  { \"url\": \"http://%s/hook?from=runwarden\", \"secret\": "
	         "\"0123456789abcdef0123\" },\n"
	         "  { \"url\": \"http://%s/hook\", \"secret\": \"0123456789abcdef0123\" } ] }\n",
	         f->fx.addr[0], f->fx.addr[1]);
	rwt_write_file(f->config, policy);
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	                         "ops@example.org", "--db", f->db, NULL),
	                 0);
	for (int i = 0; i < 2; i++) {
		char name[16], url[128];
		snprintf(name, sizeof(name), "fx-%s", i ? "fail" : "ok");
		snprintf(url, sizeof(url), "http://%s/health", f->fx.addr[i]);
		rc = rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr",
		             "127.0.0.0/8", "--db", f->db, "--operator", "acme", "--name", name,
		             "--target", T1, "--url", url, "--interval", "1", NULL);
		if (rc != 0)
			fail_msg("runner add %s: exit %d: %s", name, rc, out);
	}
	memcpy(args, serve_args, sizeof(args));
	args[1] = f->policy;
	args[3] = f->config;
	rwt_daemon_start(&f->d, f->daemon_log, f->db, args);

	/* A runner registered through the API waits for approval: "pending". */
	{
		char *op = http(f, "POST", ADMIN, "{\"name\":\"beta\",\"email\":\"b@example.org\"}",
		                201, "/v1/operators");
		char *tok = strstr(op, "\"token\":\"");
		char token[80];

		assert_non_null(tok);
		assert_int_equal(sscanf(tok, "\"token\":\"%79[^\"]\"", token), 1);
		free(op);
		snprintf(body, sizeof(body),
		         "{\"name\":\"fx-pending\",\"targets\":[\"" T1 "\"],"
		         "\"url\":\"http://%s/health\"}",
		         f->fx.addr[0]);
		free(http(f, "POST", token, body, 201, "/v1/runners"));
	}
	/* A 404 and a 401, so that the HTTP error counters have counted. */
	free(http(f, "GET", NULL, NULL, 404, "/no-such-endpoint"));
	free(http(f, "GET", NULL, NULL, 401, "/v1/runners"));

	/* Until every family the fixtures feed has samples. */
	/* The url label leaves out the query string (it may carry a secret). */
	snprintf(hook_ok, sizeof(hook_ok),
	         "runwarden_webhook_delivered_total{url=\"http://%s/hook\"}", f->fx.addr[0]);
	snprintf(hook_fail, sizeof(hook_fail),
	         "runwarden_webhook_failures_total{url=\"http://%s/hook\"}", f->fx.addr[1]);
	deadline = rwt_mono_ms() + DEADLINE_MS;
	for (;;) {
		free(text);
		text = http(f, "GET", NULL, NULL, 200, "/metrics");
		if (sample(text, hook_ok) >= 1 && sample(text, hook_fail) >= 1 &&
		    sample(text, "runwarden_probes_total{result=\"ok\"}") > 0 &&
		    sample(text, "runwarden_probes_total{result=\"http_status\"}") > 0 &&
		    sample(text, "runwarden_probe_latency_seconds_count") >= 3 &&
		    sample(text, "runwarden_runners{state=\"down\"}") == 1 &&
		    sample(text, "runwarden_target_eligible_runners{target=\"" T1 "\"}") == 1 &&
		    sample(text, "runwarden_target_excluded_runners{target=\"" T1
		                 "\",reason=\"pending\"}") == 1 &&
		    sample(text, "runwarden_target_eligible_runners{target=\"" T_UNSERVED "\"}") ==
		            0 &&
		    sample(text, "runwarden_canaries") == 1 &&
		    sample(text, "runwarden_runner_state{runner=\"fx-ok\",operator=\"acme\","
		                 "state=\"up\"}") == 1 &&
		    sample(text, "runwarden_runner_state{runner=\"fx-fail\",operator=\"acme\","
		                 "state=\"down\"}") == 1 &&
		    sample(text, "runwarden_runner_probe_duration_seconds{runner=\"fx-ok\"}") >= 0)
			break;
		if (rwt_mono_ms() >= deadline)
			fail_msg("/metrics did not get the expected samples in time:\n%s", text);
		rwt_sleep_ms(200);
	}
	assert_true(sample(text, "runwarden_http_errors_total") >= 2);
	assert_true(sample(text, "runwarden_http_auth_failures_total") >= 1);
	/* Per-runner families: approved runners only (not fx-pending), every
	 * state listed, the uptime of a runner that was up and of one that
	 * went down, and the targets with their tiers. */
	assert_true(sample(text, "runwarden_runner_state{runner=\"fx-ok\",operator=\"acme\","
	                         "state=\"down\"}") == 0);
	assert_true(sample(text, "runwarden_runner_state{runner=\"fx-ok\",operator=\"acme\","
	                         "state=\"maintenance\"}") == 0);
	assert_true(sample(text, "runwarden_runner_uptime_ratio{runner=\"fx-ok\","
	                         "operator=\"acme\"}") == 1);
	assert_true(sample(text, "runwarden_runner_floor_ratio{runner=\"fx-ok\","
	                         "operator=\"acme\"}") == 0);
	assert_true(sample(text, "runwarden_runner_target_info{runner=\"fx-fail\",target=\"" T1
	                         "\",tier=\"2\"}") == 1);
	assert_null(strstr(text, "runner=\"fx-pending\""));
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char type[128];
		snprintf(type, sizeof(type), "\n# TYPE %s ", families[i]);
		if (!strstr(text, type))
			fail_msg("/metrics has no family %s", families[i]);
	}

	rwt_write_file(f->metrics, text);
	rc = promtool_check_metrics(f->metrics, &lint);
	if (rc != 0 || lint[0])
		fail_msg("promtool check metrics: exit %d:\n%s\n---- the exposition:\n%s", rc, lint,
		         text);
	free(lint);
	free(text);
	/* A clean exit: under the sanitizers, an error in rendering shows here. */
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* The harness can fail: promtool flags a counter without _total and a
 * family without HELP, and the exit status says so. */
static void test_promtool_flags_bad_metrics(void **state)
{
	static const char bad[] = "# HELP rw_bad_counter A counter without the suffix.\n"
	                          "# TYPE rw_bad_counter counter\n"
	                          "rw_bad_counter 1\n"
	                          "# TYPE rw_no_help_total counter\n"
	                          "rw_no_help_total 2\n";
	struct fx *f = *state;
	char *lint;
	int rc;

	rwt_write_file(f->metrics, bad);
	rc = promtool_check_metrics(f->metrics, &lint);
	if (rc == 0 || !strstr(lint, "rw_bad_counter") || !strstr(lint, "rw_no_help_total"))
		fail_msg("promtool did not flag the bad exposition (exit %d):\n%s", rc, lint);
	free(lint);
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
	        cmocka_unit_test_setup_teardown(test_promtool_flags_bad_metrics, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_metrics_pass_promtool, setup, teardown),
	};

	/* The daemon this test starts inherits the admin token. */
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
