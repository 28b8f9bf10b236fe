/* SPDX-License-Identifier: MIT */
/*
 * test_crash.c — kill -9 of the daemon, 20 times, during probes and API
 * writes, leaves PRAGMA integrity_check ok and every acknowledged write
 * present (issue 12, the fault suite). An acknowledged write is one whose
 * HTTP answer arrived (2xx): the daemon answers a write only once it
 * committed, on the writer's thread (item 2), so none may be missing.
 *
 * Each round starts the daemon on the same database (4 runners probed every
 * second), lets two threads write for a random 300-1500 ms (operators, and
 * tokens of operator "ops"), kills the daemon with SIGKILL while they
 * write, then checks the file: integrity_check ok, every operator and token
 * whose answer arrived is stored, and the daemon starts again on it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define ADMIN_TOKEN "fault-suite-admin-token-0123456789abcdef0123"
#define TARGET      "x86_64-unknown-linux-gnu"
#define RUNNERS     4
#define ROUNDS      20
#define MAX_ACKED   4096

static const char policy_json[] =
        "{\"version\":1,\"flagging\":{\"probation_days\":0},"
        "\"probe\":{\"interval_s\":1,\"timeout_ms\":800,\"failures_to_down\":1}}\n";

struct fx {
	char dir[256], db[320], policy[320], log[320], cli_log[320], fx_log[320];
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	char op_token[128];
	/* acknowledged writes: operator names, and token ids of "ops" */
	pthread_mutex_t mu;
	char *ops[MAX_ACKED];
	size_t n_ops;
	int64_t tokens[MAX_ACKED];
	size_t n_tokens;
	atomic_bool stop;
	int round;
	bool passed;
};

static void *operators_thread(void *arg)
{
	struct fx *f = arg;
	char url[200], body[200], name[64];

	snprintf(url, sizeof(url), "%s/v1/operators", f->d.url);
	for (int i = 0; !atomic_load(&f->stop); i++) {
		struct rwt_resp r;
		snprintf(name, sizeof(name), "op-%d-%d", f->round, i);
		snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"x@example.org\"}", name);
		rwt_http("POST", url, ADMIN_TOKEN, body, (size_t)-1, &r);
		if (r.status == 201) {
			pthread_mutex_lock(&f->mu);
			if (f->n_ops < MAX_ACKED)
				f->ops[f->n_ops++] = strdup(name);
			pthread_mutex_unlock(&f->mu);
		}
		rwt_resp_free(&r);
	}
	return NULL;
}

static void *tokens_thread(void *arg)
{
	struct fx *f = arg;
	char url[200];

	snprintf(url, sizeof(url), "%s/v1/operators/1/tokens", f->d.url);
	while (!atomic_load(&f->stop)) {
		struct rwt_resp r;
		const char *p;
		rwt_http("POST", url, f->op_token, "{}", (size_t)-1, &r);
		if (r.status == 201 && (p = strstr(r.body, "\"id\":"))) {
			/* the last "id" of the answer is the token's */
			const char *q;
			while ((q = strstr(p + 1, "\"id\":")))
				p = q;
			pthread_mutex_lock(&f->mu);
			if (f->n_tokens < MAX_ACKED)
				f->tokens[f->n_tokens++] = strtoll(p + 5, NULL, 10);
			pthread_mutex_unlock(&f->mu);
		}
		rwt_resp_free(&r);
	}
	return NULL;
}

static int64_t count(sqlite3 *db, const char *sql, const char *text, int64_t num)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (text)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, num);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void check_file(struct fx *f, int round)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	const char *ok = NULL;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		ok = (const char *)sqlite3_column_text(s, 0);
	if (!ok || strcmp(ok, "ok") != 0)
		fail_msg("round %d: integrity_check: %s", round, ok ? ok : "(no row)");
	sqlite3_finalize(s);
	for (size_t i = 0; i < f->n_ops; i++)
		if (count(db, "SELECT COUNT(*) FROM operators WHERE name = ?1", f->ops[i], 0) != 1)
			fail_msg("round %d: acknowledged operator %s is missing", round, f->ops[i]);
	for (size_t i = 0; i < f->n_tokens; i++)
		if (count(db, "SELECT COUNT(*) FROM tokens WHERE id = ?1", NULL, f->tokens[i]) != 1)
			fail_msg("round %d: acknowledged token %" PRId64 " is missing", round,
			         f->tokens[i]);
	sqlite3_close(db);
}

static void test_kill_9(void **state)
{
	struct fx *f = *state;
	const char *const modes[RUNNERS] = {"ok", "ok", "ok", "ok"};
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	char out[512], url[128];
	int64_t samples0 = 0;

	srand(12);
	rwt_fixtures_start(&f->fixtures, f->fx_log, modes, RUNNERS);
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "ops", "--db",
	                         f->db, "--email", "ops@example.org", NULL),
	                 0);
	{
		const char *p = strstr(out, "rw_");
		assert_non_null(p);
		snprintf(f->op_token, sizeof(f->op_token), "%.67s", p);
	}
	for (int i = 0; i < RUNNERS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "r%d", i);
		rwt_fixture_url(&f->fixtures, (size_t)i, url, sizeof(url));
		assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "runner", "add", "--allow-cidr",
		                         "127.0.0.0/8", "--db", f->db, "--operator", "ops",
		                         "--name", name, "--target", TARGET, "--url", url, NULL),
		                 0);
	}
	rwt_write_file(f->policy, policy_json);
	for (int round = 0; round < ROUNDS; round++) {
		pthread_t a, b;
		int st;
		f->round = round;
		atomic_store(&f->stop, false);
		rwt_daemon_start(&f->d, f->log, f->db, extra);
		assert_int_equal(pthread_create(&a, NULL, operators_thread, f), 0);
		assert_int_equal(pthread_create(&b, NULL, tokens_thread, f), 0);
		rwt_sleep_ms(300 + rand() % 1200);
		st = rwt_daemon_kill(&f->d, SIGKILL, 5000);
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		atomic_store(&f->stop, true);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		check_file(f, round);
	}
	{
		sqlite3 *db;
		assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL),
		                 SQLITE_OK);
		samples0 = count(db, "SELECT COUNT(*) FROM samples WHERE ?1 = ?1", NULL, 0);
		sqlite3_close(db);
	}
	fprintf(stderr,
	        "%d kills: %zu operators and %zu tokens acknowledged, all stored; %" PRId64
	        " samples; integrity ok each time\n",
	        ROUNDS, f->n_ops, f->n_tokens, samples0);
	assert_true(f->n_ops > ROUNDS && f->n_tokens > ROUNDS);
	/* And it still serves. */
	rwt_daemon_start(&f->d, f->log, f->db, extra);
	rwt_sleep_ms(1500);
	rwt_daemon_stop(&f->d, 15000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-crash");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	pthread_mutex_init(&f->mu, NULL);
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	atomic_store(&f->stop, true);
	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwt_fixtures_stop(&f->fixtures);
	if (!f->passed)
		rwt_dump_file("daemon", f->log);
	rwt_tmpdir_remove(f->dir, !f->passed);
	for (size_t i = 0; i < f->n_ops; i++)
		free(f->ops[i]);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_kill_9, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
