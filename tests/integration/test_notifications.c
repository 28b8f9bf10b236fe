/* SPDX-License-Identifier: MIT */
/*
 * test_notifications.c — the notifications people read, end to end: the
 * real daemon, fixture runners (rw-demo-runner), a fake Zulip server
 * (fake_zulip.py: checks basic auth and the form fields, records each
 * message) and an SMTP sink (smtp_sink.py on Debian's python3-aiosmtpd:
 * requires AUTH, records each mail), all on loopback, ports from the
 * kernel.
 *
 * Three runners serve one target whose pool must hold two
 * (pool.min_runners); two of them (of one operator) fail while neither
 * Zulip nor the mail server is there, the daemon is killed with SIGKILL
 * once the changes are in the outbox, the receivers start, the daemon
 * starts again; then the two recover. What arrives:
 *
 *   - Zulip: for each failed runner exactly one "down" then one "up"
 *     message (in that order), under the topic {target}, naming the runner,
 *     its operator and the failure's class, linking to public_url; "pool
 *     below its minimum" before "back at its minimum"; every request with
 *     the bot's credentials and exactly the fields Zulip takes;
 *   - mail: to the failing runners' operator only, with Date, From, To,
 *     Subject and Message-ID, through SMTP AUTH; the two downs in one digest
 *     (they happened together), the ups listed once each; X-Runwarden-Events
 *     names the feed's down and up events, each exactly once;
 *   - nothing was lost to the SIGKILL, and the database is whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rwtest.h"

#define ADMIN       "test-admin-token-0123456789abcdef0123456789"
#define BOT         "rw-bot@zulip.example.org"
#define KEY         "zulip-key-0123456789"
#define SMTP_USER   "mailer"
#define SMTP_PASS   "smtp pass 0123"
#define DEADLINE_MS 60000
#define T1          "riscv64gc-unknown-linux-gnu"
#define PYTHON      "/usr/bin/python3" /* Debian's, with python3-aiosmtpd */
#define MAX_MSGS    64

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char policy[320], config[320], log[320];
	char zlog[320], zout[320], mlog[320], mout[320], keyf[320], userf[320], passf[320];
	const char *serve_args[5];
	struct rwt_daemon d;
	struct rwt_fixtures fx;
	pid_t zulip, smtp;
	int zfd, mfd;
	int zport, mport;
};

static int listen_line(int fd, const char *what, const char *log)
{
	char line[64];

	if (rwt_read_line(fd, line, sizeof(line), rwt_mono_ms() + DEADLINE_MS) < 0 ||
	    strncmp(line, "listening ", 10) != 0)
		fail_msg("%s did not start (see %s)", what, log);
	return atoi(line + 10);
}

/* Starts the fake Zulip and the SMTP sink, on the ports of their first
 * start when they had one (the config names them). */
static void start_receivers(struct fx *f)
{
	char zp[16], mp[16];
	const char *za[] = {PYTHON,    RW_SOURCE_DIR "/tests/integration/fake_zulip.py",
	                    "--port",  zp,
	                    "--log",   f->zlog,
	                    "--email", BOT,
	                    "--key",   KEY,
	                    NULL};
	const char *ma[] = {PYTHON,       RW_SOURCE_DIR "/tests/integration/smtp_sink.py",
	                    "--port",     mp,
	                    "--log",      f->mlog,
	                    "--user",     SMTP_USER,
	                    "--password", SMTP_PASS,
	                    NULL};

	snprintf(zp, sizeof(zp), "%d", f->zport);
	snprintf(mp, sizeof(mp), "%d", f->mport);
	f->zulip = rwt_spawn(za, f->zout, &f->zfd);
	f->zport = listen_line(f->zfd, "the fake Zulip", f->zout);
	f->smtp = rwt_spawn(ma, f->mout, &f->mfd);
	f->mport = listen_line(f->mfd, "the SMTP sink", f->mout);
}

static void stop_receivers(struct fx *f)
{
	rwt_stop_proc(&f->zulip, SIGTERM, 2000);
	rwt_stop_proc(&f->smtp, SIGTERM, 2000);
	if (f->zfd > 0)
		close(f->zfd);
	if (f->mfd > 0)
		close(f->mfd);
	f->zfd = f->mfd = 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *modes[] = {"ok", "ok", "ok"};
	char cfg[2048];

	assert_non_null(f);
	if (access(PYTHON, X_OK) != 0 || system(PYTHON " -c 'import aiosmtpd' 2>/dev/null") != 0)
		fail_msg("test_notifications needs %s with aiosmtpd: apt-get install "
		         "python3-aiosmtpd (contrib/check.sh installs it)",
		         PYTHON);
	rwt_tmpdir(f->dir, sizeof(f->dir), "notifications");
#define P(field, name) snprintf(f->field, sizeof(f->field), "%s/" name, f->dir)
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	P(policy, "policy.json");
	P(config, "config.json");
	P(log, "daemon.log");
	P(zlog, "zulip.jsonl");
	P(zout, "zulip.log");
	P(mlog, "mail.jsonl");
	P(mout, "smtp.log");
	P(keyf, "zulip-key");
	P(userf, "smtp-user");
	P(passf, "smtp-pass");
#undef P
	rwt_write_file(f->keyf, KEY "\n");
	rwt_write_file(f->userf, SMTP_USER "\n");
	rwt_write_file(f->passf, SMTP_PASS "\n");
	rwt_write_file(
	        f->policy,
	        "{\"version\": 1, \"uptime_floor\": 0, \"flagging\": {\"probation_days\": 0},"
	        " \"probe\": {\"interval_s\": 1, \"timeout_ms\": 500, \"failures_to_down\": 2},"
	        " \"pool\": {\"min_runners\": 2}}\n");
	/* Learn two free ports from the receivers, then stop them: the daemon
	 * must find nobody there at first. */
	start_receivers(f);
	stop_receivers(f);
	snprintf(
	        cfg, sizeof(cfg),
	        "{\"allow_cidrs\": [\"127.0.0.0/8\"], \"public_url\": "
	        "\"https://status.example.org/\","
	        " \"zulip\": {\"site\": \"http://127.0.0.1:%d\", \"bot_email\": \"" BOT "\","
	        " \"api_key_file\": \"%s\", \"stream\": \"t-infra/ci-runners\", \"topic\": "
	        "\"{target}\"},"
	        " \"smtp\": {\"url\": \"smtp://127.0.0.1:%d\", \"from\": \"runwarden@example.org\","
	        " \"username_file\": \"%s\", \"password_file\": \"%s\", \"digest_window_s\": 2}}\n",
	        f->zport, f->keyf, f->mport, f->userf, f->passf);
	rwt_write_file(f->config, cfg);
	f->serve_args[0] = "--policy";
	f->serve_args[1] = f->policy;
	f->serve_args[2] = "--config";
	f->serve_args[3] = f->config;
	rwt_fixtures_start(&f->fx, f->log, modes, 3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 1000);
	stop_receivers(f);
	rwt_fixtures_stop(&f->fx);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

#define CLI(f, ...)                                                                                \
	do {                                                                                       \
		if (rwt_cli((f)->log, NULL, 0, __VA_ARGS__, "--db", (f)->db, NULL) != 0)           \
			fail_msg("runwarden %s failed (see %s)", #__VA_ARGS__, (f)->log);          \
	} while (0)

/* The JSON lines of @p path, up to MAX_MSGS. */
static size_t read_lines(const char *path, cJSON **out)
{
	FILE *fp = fopen(path, "r");
	char line[16384];
	size_t n = 0;

	if (!fp)
		return 0;
	while (n < MAX_MSGS && fgets(line, sizeof(line), fp)) {
		cJSON *d = cJSON_Parse(line);
		if (d)
			out[n++] = d;
	}
	fclose(fp);
	return n;
}

static void free_lines(cJSON **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(v[i]);
}

static const char *js(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* How many Zulip messages contain both @p a and @p b. */
static int zulip_count(struct fx *f, const char *a, const char *b)
{
	cJSON *m[MAX_MSGS];
	size_t n = read_lines(f->zlog, m);
	int k = 0;

	for (size_t i = 0; i < n; i++)
		if (strstr(js(m[i], "content"), a) && strstr(js(m[i], "content"), b))
			k++;
	free_lines(m, n);
	return k;
}

/* The event ids of @p kind in the feed. */
static size_t feed(struct fx *f, const char *kind, int64_t *ids, char names[][32], size_t max)
{
	char url[300];
	struct rwt_resp r;
	cJSON *d;
	const cJSON *e;
	size_t n = 0;

	snprintf(url, sizeof(url), "%s/v1/events?after=0&limit=1000", f->d.url);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	d = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	assert_non_null(d);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, "events"))
	{
		if (strcmp(js(e, "kind"), kind) != 0 || n == max)
			continue;
		ids[n] = (int64_t)cJSON_GetObjectItem(e, "id")->valuedouble;
		snprintf(names[n], 32, "%s", js(e, "runner"));
		n++;
	}
	cJSON_Delete(d);
	return n;
}

static void wait_for(struct fx *f, const char *what, bool (*cond)(struct fx *f))
{
	int64_t deadline = rwt_mono_ms() + DEADLINE_MS;

	while (!cond(f)) {
		if (rwt_mono_ms() > deadline)
			fail_msg("timed out waiting for %s (see %s)", what, f->dir);
		rwt_sleep_ms(200);
	}
}

static bool two_down_events(struct fx *f)
{
	int64_t ids[8];
	char names[8][32];
	return feed(f, "down", ids, names, 8) == 2 && feed(f, "pool_below_min", ids, names, 8) == 1;
}

static bool all_eligible(struct fx *f)
{
	char url[300];
	struct rwt_resp r;
	bool ok;

	snprintf(url, sizeof(url), "%s/v1/route?target=" T1, f->d.url);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	ok = r.status == 200 && strstr(r.body, "\"excluded\":[]") != NULL;
	rwt_resp_free(&r);
	return ok;
}

static bool downs_arrived(struct fx *f)
{
	return zulip_count(f, "`r1`", "**down**") >= 1 && zulip_count(f, "`r2`", "**down**") >= 1 &&
	       zulip_count(f, "`" T1 "`", "below its minimum") >= 1;
}

static bool ups_arrived(struct fx *f)
{
	return zulip_count(f, "`r1`", "**back up**") >= 1 &&
	       zulip_count(f, "`r2`", "**back up**") >= 1 &&
	       zulip_count(f, "`" T1 "`", "back at its minimum") >= 1;
}

/* Every event id of @p ids named by exactly one mail's X-Runwarden-Events. */
static bool mailed_once(struct fx *f, const int64_t *ids, size_t n)
{
	cJSON *m[MAX_MSGS];
	size_t nm = read_lines(f->mlog, m);
	bool ok = true;

	for (size_t k = 0; k < n; k++) {
		int seen = 0;
		for (size_t i = 0; i < nm; i++) {
			const char *h = strstr(js(m[i], "data"), "X-Runwarden-Events: ");
			char list[256], *save = NULL;
			if (!h)
				continue;
			snprintf(list, sizeof(list), "%.*s", (int)strcspn(h + 20, "\r\n"), h + 20);
			for (char *t = strtok_r(list, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				seen += strtoll(t, NULL, 10) == ids[k];
		}
		ok = ok && seen == 1;
	}
	free_lines(m, nm);
	return ok;
}

static bool mails_for_downs(struct fx *f)
{
	int64_t ids[8];
	char names[8][32];
	size_t n = feed(f, "down", ids, names, 8);
	return n == 2 && mailed_once(f, ids, n);
}

static bool mails_for_ups(struct fx *f)
{
	int64_t ids[8];
	char names[8][32];
	size_t n = feed(f, "up", ids, names, 8);
	return n == 2 && mailed_once(f, ids, n);
}

static void check_zulip(struct fx *f)
{
	cJSON *m[MAX_MSGS];
	size_t n = read_lines(f->zlog, m);
	int down1 = -1, up1 = -1, down2 = -1, up2 = -1, below = -1, restored = -1;

	for (size_t i = 0; i < n; i++) {
		const char *c = js(m[i], "content");
		if (!cJSON_IsTrue(cJSON_GetObjectItem(m[i], "auth_ok")) ||
		    !cJSON_IsTrue(cJSON_GetObjectItem(m[i], "fields_ok")))
			fail_msg("Zulip request %zu: credentials or fields wrong", i);
		assert_string_equal(js(m[i], "to"), "t-infra/ci-runners");
		assert_string_equal(js(m[i], "topic"), T1);
		assert_non_null(strstr(c, "[Status page](https://status.example.org/)"));
#define ONCE(var, a, b)                                                                            \
	if (strstr(c, a) && strstr(c, b)) {                                                        \
		if (var >= 0)                                                                      \
			fail_msg("Zulip got \"%s\" twice", c);                                     \
		var = (int)i;                                                                      \
	}
		ONCE(down1, "`r1` (operator `acme`) is **down** since",
		     "http_status, it answered HTTP")
		ONCE(down2, "`r2` (operator `acme`) is **down** since", "http_status")
		ONCE(up1, "`r1` (operator `acme`) is **back up** since", "down.")
		ONCE(up2, "`r2` (operator `acme`) is **back up** since", "down.")
		ONCE(below, "The pool of `" T1 "` is **below its minimum**",
		     "1 eligible runner; the policy asks for 2.")
		ONCE(restored, "The pool of `" T1 "` is **back at its minimum**",
		     "2 eligible runners;")
#undef ONCE
	}
	if (down1 < 0 || up1 < 0 || down2 < 0 || up2 < 0 || below < 0 || restored < 0)
		fail_msg("Zulip missed a message (%d %d %d %d %d %d)", down1, up1, down2, up2,
		         below, restored);
	/* In order per runner, and the pool's too. */
	assert_true(down1 < up1);
	assert_true(down2 < up2);
	assert_true(below < restored);
	assert_int_equal(n, 6);
	free_lines(m, n);
}

static void check_mail(struct fx *f)
{
	cJSON *m[MAX_MSGS];
	size_t n = read_lines(f->mlog, m);
	bool digest = false;

	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		const char *d = js(m[i], "data");
		const cJSON *rc = cJSON_GetObjectItem(m[i], "rcpt_tos");
		char *body = strstr(d, "\r\n\r\n");
		assert_string_equal(js(m[i], "mail_from"), "runwarden@example.org");
		assert_int_equal(cJSON_GetArraySize(rc), 1);
		assert_string_equal(cJSON_GetArrayItem(rc, 0)->valuestring, "ops@acme.example.org");
		assert_non_null(body);
		*body = '\0'; /* the headers only, now */
		assert_true(strncmp(d, "Date: ", 6) == 0);
		assert_non_null(strstr(d, "\r\nFrom: runwarden <runwarden@example.org>\r\n"));
		assert_non_null(strstr(d, "\r\nTo: <ops@acme.example.org>\r\n"));
		assert_non_null(strstr(d, "\r\nSubject: runwarden: "));
		assert_non_null(strstr(d, "\r\nMessage-ID: <runwarden."));
		assert_non_null(strstr(d, "@example.org>\r\n"));
		assert_non_null(strstr(d, "\r\nAuto-Submitted: auto-generated\r\n"));
		if (strstr(d, "Subject: runwarden: 2 of your runners changed state (2 down)")) {
			digest = true;
			assert_non_null(strstr(body + 4, "Hello acme,"));
			assert_non_null(strstr(body + 4, "- r1: down since "));
			assert_non_null(strstr(body + 4, "- r2: down since "));
			assert_non_null(strstr(body + 4, "(http_status: it answered HTTP"));
			assert_non_null(
			        strstr(body + 4, "Status page: https://status.example.org/"));
		}
	}
	assert_true(digest);
	free_lines(m, n);
}

static void test_zulip_and_mail(void **state)
{
	struct fx *f = *state;
	char url[3][128];

	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	CLI(f, "operator", "add", "acme", "--email", "ops@acme.example.org");
	CLI(f, "operator", "add", "beta", "--email", "ops@beta.example.org");
	for (size_t i = 0; i < 3; i++)
		rwt_fixture_url(&f->fx, i, url[i], sizeof(url[i]));
	CLI(f, "runner", "add", "--allow-cidr", "127.0.0.0/8", "--operator", "acme", "--name", "r1",
	    "--target", T1, "--url", url[0]);
	CLI(f, "runner", "add", "--allow-cidr", "127.0.0.0/8", "--operator", "acme", "--name", "r2",
	    "--target", T1, "--url", url[1]);
	CLI(f, "runner", "add", "--allow-cidr", "127.0.0.0/8", "--operator", "beta", "--name", "r3",
	    "--target", T1, "--url", url[2]);
	wait_for(f, "every runner eligible", all_eligible);

	/* Two of acme's runners fail while nobody listens; once the changes are
	 * in the outbox, the daemon dies without a word. */
	rwt_fixture_mode(&f->fx, 0, "fail");
	rwt_fixture_mode(&f->fx, 1, "fail");
	wait_for(f, "two down events and the pool below its minimum", two_down_events);
	rwt_sleep_ms(2500); /* the mail's digest window is over: it tried, and failed */
	rwt_daemon_kill(&f->d, SIGKILL, 1000);

	start_receivers(f);
	rwt_daemon_start(&f->d, f->log, f->db, f->serve_args);
	wait_for(f, "Zulip's down messages after the restart", downs_arrived);
	wait_for(f, "the mail of the downs after the restart", mails_for_downs);

	rwt_fixture_mode(&f->fx, 0, "ok");
	rwt_fixture_mode(&f->fx, 1, "ok");
	wait_for(f, "Zulip's up messages", ups_arrived);
	wait_for(f, "the mail of the ups", mails_for_ups);
	rwt_sleep_ms(1500); /* anything sent twice would be there by now */
	check_zulip(f);
	check_mail(f);
	rwt_daemon_stop(&f->d, 10000);
	{
		rwt_sql_check_integrity(f->db);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_zulip_and_mail, setup, teardown),
	};
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
