/* SPDX-License-Identifier: MIT */
/*
 * test_late_timeout.c — correlated blindness judges a failure by the time
 * it was sampled, not by when it arrived (issue 12, items 5, 6 and 7).
 *
 * Policy: probes every 5 s with a 4.9 s timeout, failures_to_down 1,
 * blindness at half of at least 4 runners failing with network errors. A
 * timeout is sampled when its probe starts and arrives 4.9 s later.
 *
 *   test_late_timeouts: 8 runners answer, then all hang for 40 s, then
 *   answer again. Blindness starts while they hang and ends once most
 *   answer again; the probes that started before the end keep hanging and
 *   their timeouts arrive after it. Not one runner may get down time or an
 *   incident from this (before: 7 of 8 got ~5 s of down and an incident,
 *   item 5). The runners that went down before blindness was declared are
 *   taken back: each voided incident has an "incident_voided" event and
 *   each "ineligible" (down) announced for it is followed by the corrected
 *   eligibility (item 7).
 *
 *   test_down_runner_in_blind_period: one runner refuses connections from
 *   the start (down for its own reasons, class connect), then the other 7
 *   hang for 20 s. No runner may be down at any moment inside a stored
 *   correlated blind period (before: the refusing runner stayed down for
 *   up to an interval inside it, item 6); once blindness ends it is down
 *   again, as it really is.
 *
 * Every figure comes from the database after the daemon stopped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define TARGET  "x86_64-unknown-linux-gnu"
#define RUNNERS 8

static const char policy_json[] = "{\"version\":1,\"probe\":{\"interval_s\":5,\"timeout_ms\":4900,"
                                  "\"failures_to_down\":1,\"successes_to_up\":1},"
                                  "\"blindness\":{\"fraction\":0.5,\"min_runners\":4}}\n";

struct fx {
	char dir[256], db[320], policy[320], log[320], cli_log[320], fx_log[320];
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	bool passed;
};

static void start(struct fx *f, const char *const modes[])
{
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	char url[128];

	rwt_fixtures_start(&f->fixtures, f->fx_log, modes, RUNNERS);
	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "operator", "add", "ops", "--db", f->db,
	                         "--email", "ops@example.org", NULL),
	                 0);
	for (int i = 0; i < RUNNERS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "r%d", i);
		rwt_fixture_url(&f->fixtures, (size_t)i, url, sizeof(url));
		if (rwt_cli(f->cli_log, NULL, 0, "runner", "add", "--allow-cidr", "127.0.0.0/8",
		            "--db", f->db, "--operator", "ops", "--name", name, "--target", TARGET,
		            "--url", url, NULL) != 0) {
			rwt_dump_file("cli", f->cli_log);
			fail_msg("runner add %s failed", name);
		}
	}
	rwt_write_file(f->policy, policy_json);
	rwt_daemon_start(&f->d, f->log, f->db, extra);
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Milliseconds of DOWN of runner @p id in [from, to), from the intervals. */
static int64_t down_ms(sqlite3 *db, int64_t id, int64_t from, int64_t to)
{
	sqlite3_stmt *s;
	int64_t total = 0;

	assert_int_equal(
	        sqlite3_prepare_v2(db,
	                           "SELECT start_ms, state, COALESCE((SELECT MIN(start_ms)"
	                           " FROM intervals j WHERE j.runner_id = i.runner_id"
	                           " AND j.start_ms > i.start_ms), ?3)"
	                           " FROM intervals i WHERE runner_id = ?1 ORDER BY start_ms",
	                           -1, &s, NULL),
	        SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 3, to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(s, 0), b = sqlite3_column_int64(s, 2);
		if (sqlite3_column_int(s, 1) != 2 /* down */)
			continue;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		if (b > a)
			total += b - a;
	}
	sqlite3_finalize(s);
	return total;
}

static int64_t runner_id(sqlite3 *db, const char *name)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT id FROM runners WHERE name = '%s'", name);
	return one_int(db, sql);
}

/* Waits until @p want runners are up (runwarden_runners{state="up"}). */
static void wait_all_up(struct fx *f, int want, int64_t within_ms)
{
	int64_t deadline = rwt_mono_ms() + within_ms;
	double n;

	while ((n = rwf_metric(f->d.url, "runwarden_runners{state=\"up\"}")) < want) {
		if (rwt_mono_ms() > deadline)
			fail_msg("only %.0f of %d runners up after %lld ms", n, want,
			         (long long)within_ms);
		rwt_sleep_ms(250);
	}
}

static void set_modes(struct fx *f, int from, const char *mode)
{
	for (int i = from; i < RUNNERS; i++)
		rwt_fixture_mode(&f->fixtures, (size_t)i, mode);
}

static void test_late_timeouts(void **state)
{
	struct fx *f = *state;
	const char *const modes[RUNNERS] = {"ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"};
	int64_t t0, t1, worst = 0, incidents, voided, retracted, periods, corrected, downs;
	char sql[400];
	sqlite3 *db;

	start(f, modes);
	wait_all_up(f, RUNNERS, 30000);
	rwt_sleep_ms(2000);
	t0 = rwf_wall_ms();
	set_modes(f, 0, "hang");
	rwt_sleep_ms(40000);
	set_modes(f, 0, "ok");
	rwt_sleep_ms(12000); /* every late timeout (<= 4.9 s) and a success each */
	wait_all_up(f, RUNNERS, 10000);
	rwt_daemon_stop(&f->d, 15000);
	t1 = rwf_wall_ms();

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (int i = 0; i < RUNNERS; i++) {
		char name[16];
		int64_t id, ms;
		snprintf(name, sizeof(name), "r%d", i);
		id = runner_id(db, name);
		ms = down_ms(db, id, t0, t1);
		fprintf(stderr, "%s: %" PRId64 " ms down\n", name, ms);
		if (ms > worst)
			worst = ms;
	}
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM blind_periods WHERE cause = 'correlated' AND end_ms > "
	         "%" PRId64,
	         t0);
	periods = one_int(db, sql);
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM incidents WHERE voided = 0 AND start_ms >= %" PRId64, t0);
	incidents = one_int(db, sql);
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM incidents WHERE voided = 1 AND start_ms >= %" PRId64, t0);
	voided = one_int(db, sql);
	/* Every voided incident announced as opened is retracted. */
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM incidents i WHERE voided = 1 AND start_ms >= %" PRId64
	         " AND EXISTS (SELECT 1 FROM events o WHERE o.kind = 'incident_open'"
	         " AND json_extract(o.data, '$.incident_id') = i.id)"
	         " AND NOT EXISTS (SELECT 1 FROM events v WHERE v.kind = 'incident_voided'"
	         " AND json_extract(v.data, '$.incident_id') = i.id)",
	         t0);
	retracted = one_int(db, sql);
	/* Every ineligible(down) announced since t0 is followed by another
	 * eligibility event of the same runner (the corrected one). */
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM events e WHERE e.kind = 'ineligible'"
	         " AND json_extract(e.data, '$.reason') = 'down' AND e.at_ms >= %" PRId64
	         " AND NOT EXISTS (SELECT 1 FROM events n WHERE n.runner_id = e.runner_id"
	         " AND n.id > e.id AND n.kind IN ('eligible', 'ineligible')"
	         " AND COALESCE(json_extract(n.data, '$.reason'), '') <> 'down')",
	         t0);
	corrected = one_int(db, sql);
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM events WHERE kind = 'incident_voided' AND at_ms >= %" PRId64,
	         t0 - 10000);
	downs = one_int(db, sql);
	sqlite3_close(db);
	fprintf(stderr,
	        "correlated periods %" PRId64 ", incidents %" PRId64 " (voided %" PRId64
	        ", of them not retracted %" PRId64 "), incident_voided events %" PRId64
	        ", ineligible(down) never corrected %" PRId64 ", worst down %" PRId64 " ms\n",
	        periods, incidents, voided, retracted, downs, corrected, worst);
	assert_true(periods >= 1);
	if (worst > 0 || incidents > 0)
		fail_msg("false outages: a runner was down %" PRId64 " ms; %" PRId64
		         " incidents after the hang (all must be none)",
		         worst, incidents);
	/* The first runners to time out went down before blindness was
	 * declared: their incidents were voided, and must be retracted. */
	assert_true(voided >= 1);
	assert_int_equal(retracted, 0);
	assert_int_equal(corrected, 0);
	assert_int_equal(downs, voided);
	f->passed = true;
}

static void test_down_runner_in_blind_period(void **state)
{
	struct fx *f = *state;
	const char *const modes[RUNNERS] = {"ok", "ok", "ok", "ok", "ok", "ok", "ok", "refuse"};
	int64_t t0, t1, id, inside = 0, after;
	sqlite3_stmt *s;
	sqlite3 *db;

	/* "refuse" closes its listener: connect fails at once, class connect. */
	start(f, modes);
	wait_all_up(f, RUNNERS - 1, 30000);
	rwt_sleep_ms(6000); /* r7 down for a while, for its own reasons */
	t0 = rwf_wall_ms();
	for (int i = 0; i < RUNNERS - 1; i++)
		rwt_fixture_mode(&f->fixtures, (size_t)i, "hang");
	rwt_sleep_ms(20000);
	for (int i = 0; i < RUNNERS - 1; i++)
		rwt_fixture_mode(&f->fixtures, (size_t)i, "ok");
	rwt_sleep_ms(15000);
	rwt_daemon_stop(&f->d, 15000);
	t1 = rwf_wall_ms();

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT start_ms, end_ms FROM blind_periods"
	                                    " WHERE cause = 'correlated' AND end_ms > ?1",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(s, 1, t0);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(s, 0), b = sqlite3_column_int64(s, 1);
		fprintf(stderr,
		        "correlated blind period [%" PRId64 ", %" PRId64 ") (%" PRId64 " ms)\n", a,
		        b, b - a);
		for (int i = 0; i < RUNNERS; i++) {
			char name[16];
			int64_t ms;
			snprintf(name, sizeof(name), "r%d", i);
			ms = down_ms(db, runner_id(db, name), a, b);
			if (ms > 0)
				fprintf(stderr, "  %s: %" PRId64 " ms down inside it\n", name, ms);
			inside += ms;
		}
	}
	sqlite3_finalize(s);
	id = runner_id(db, "r7");
	after = down_ms(db, id, t1 - 8000, t1);
	sqlite3_close(db);
	fprintf(stderr, "r7 down %" PRId64 " ms of the last 8 s\n", after);
	if (inside > 0)
		fail_msg("%" PRId64 " ms of down inside correlated blind periods (must be none)",
		         inside);
	assert_true(after >= 4000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-late");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwt_fixtures_stop(&f->fixtures);
	if (!f->passed)
		rwt_dump_file("daemon", f->log);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_late_timeouts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_down_runner_in_blind_period, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
