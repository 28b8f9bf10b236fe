/* SPDX-License-Identifier: MIT */
/*
 * test_store_updown.c — the events people are told about (store.h
 * "events"): "down" and "up" written by the writer's batch with the
 * interval, alternating per runner, and the pool events with their data.
 *
 * What it proves: a first DOWN is a "down" with the failure's class, HTTP
 * status and incident; an UNKNOWN stretch (a restart, the monitor's
 * blindness) and a DOWN after it are no news; the UP that ends it is one
 * "up" whose down_since and down_ms count from the first DOWN; a change
 * written twice writes its event once; an UP with no "down" before it
 * (registration, a recovery from unknown) is none; a DOWN voided by the
 * retroactive blindness correction is still ended by an "up"; pool events
 * carry their data and no runner, and store_pool_last() returns each
 * target's last one; the writer reads the last down/up through the
 * events_updown index, not a scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

struct fx {
	char dir[256];
	char db[1200];
	struct store *st;
	int64_t runner;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];
	uint8_t tok[32];
	int64_t op;
	char *targets[] = {(char *)"riscv64gc-unknown-linux-gnu"};
	struct store_runner r;

	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-updown");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	assert_int_equal(store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)), 0);
	memset(tok, 1, sizeof(tok));
	assert_int_equal(store_operator_add(f->st, "acme", "ops@example.org", tok, 1000, &op), 0);
	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)"r1";
	r.kind = (char *)"http";
	r.url = (char *)"https://r1.example.org/";
	r.targets = targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(f->st, &r, 1000), 0);
	f->runner = r.id;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void change(struct fx *f, int64_t at, enum rw_state s, int cls, int http)
{
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_CHANGE;
	r.u.change.runner_id = f->runner;
	r.u.change.start_ms = at;
	r.u.change.state = (uint8_t)s;
	r.u.change.errclass = (uint8_t)cls;
	r.u.change.http_status = (int16_t)http;
	assert_int_equal(store_write_batch(f->st, &r, 1), 0);
}

/* The down/up events after @p after, as "kind@at data;..." into @p out. */
static void updown(struct fx *f, int64_t after, char *out, size_t len)
{
	static const char *const kinds[] = {"down", "up", NULL};
	struct store_event *v = NULL;
	size_t n = 0, o = 0;

	assert_int_equal(store_events_after(f->st, after, 100, kinds, &v, &n), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].runner_id, f->runner);
		assert_string_equal(v[i].runner_name, "r1");
		o += (size_t)snprintf(out + o, len - o, "%s%s@%lld %s", i ? ";" : "", v[i].kind,
		                      (long long)v[i].at_ms, v[i].data);
		assert_true(o < len);
	}
	store_events_free(v, n);
}

static void test_down_up_alternate(void **state)
{
	struct fx *f = *state;
	char got[2048];
	int64_t incident;

	change(f, 2000, RW_STATE_UP, 0, 0); /* from unknown: no news */
	updown(f, 0, got, sizeof(got));
	assert_string_equal(got, "");

	change(f, 5000, RW_STATE_DOWN, RW_ERRCLASS_HTTP_STATUS, 503);
	change(f, 5000, RW_STATE_DOWN, RW_ERRCLASS_HTTP_STATUS, 503); /* replayed */
	updown(f, 0, got, sizeof(got));
	incident = rwt_sql_int(f->db, "SELECT id FROM incidents");
	assert_true(incident > 0);
	{
		char want[256];
		snprintf(want, sizeof(want),
		         "down@5000 "
		         "{\"class\":\"http_status\",\"http_status\":503,\"incident_id\":%lld}",
		         (long long)incident);
		assert_string_equal(got, want);
	}

	/* A restart: unknown, then down again. Still the same outage. */
	change(f, 9000, RW_STATE_UNKNOWN, 0, 0);
	change(f, 12000, RW_STATE_DOWN, RW_ERRCLASS_CONNECT, 0);
	updown(f, 0, got, sizeof(got));
	assert_null(strchr(got, ';'));

	/* Up: once, counted from the first down. */
	change(f, 3605000, RW_STATE_UP, 0, 0);
	change(f, 3605000, RW_STATE_UP, 0, 0);
	updown(f, 0, got, sizeof(got));
	assert_non_null(strstr(got, ";up@3605000 {\"down_since\":\"1970-01-01T00:00:05Z\","
	                            "\"down_ms\":3600000}"));
	assert_null(strchr(strstr(got, ";up@") + 1, ';'));

	/* Unknown and up again: no news. */
	change(f, 4000000, RW_STATE_UNKNOWN, 0, 0);
	change(f, 4100000, RW_STATE_UP, 0, 0);
	updown(f, 0, got, sizeof(got));
	assert_int_equal(strstr(got, ";up@3605000") - got > 0, 1);
	assert_null(strchr(strstr(got, ";up@") + 1, ';'));
}

static void test_voided_down_is_still_ended(void **state)
{
	struct fx *f = *state;
	char got[2048];
	int64_t max = 0;

	change(f, 2000, RW_STATE_UP, 0, 0);
	change(f, 5000, RW_STATE_DOWN, RW_ERRCLASS_TIMEOUT, 0);
	/* The retroactive correction: the DOWN interval was the monitor's
	 * blindness; its incident is voided. */
	change(f, 5000, RW_STATE_UNKNOWN, 0, 0);
	assert_int_equal(store_event_max_id(f->st, &max), 0);
	change(f, 65000, RW_STATE_UP, 0, 0);
	updown(f, max, got, sizeof(got));
	assert_string_equal(got, "up@65000 {\"down_since\":\"1970-01-01T00:00:05Z\","
	                         "\"down_ms\":60000}");
}

static void remember(const char *target, bool below, void *data)
{
	char *out = data;
	size_t o = strlen(out);
	snprintf(out + o, 512 - o, "%s%s=%d", o ? ";" : "", target, below);
}

static void test_pool_events(void **state)
{
	struct fx *f = *state;
	struct store_rec r[3];
	struct store_event *v = NULL;
	static const char *const kinds[] = {"pool_below_min", "pool_restored", NULL};
	char seen[512] = "";
	size_t n = 0;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++) {
		r[i].kind = STORE_REC_EVENT;
		r[i].u.event.at_ms = 7000 + i;
		r[i].u.event.kind = i == 1 ? STORE_EV_POOL_RESTORED : STORE_EV_POOL_BELOW;
	}
	r[0].u.event.data = strdup("{\"target\":\"a-b-c\",\"eligible\":1,\"unknown\":0,"
	                           "\"min_runners\":3}");
	r[1].u.event.data = strdup("{\"target\":\"a-b-c\",\"eligible\":3,\"unknown\":0,"
	                           "\"min_runners\":3}");
	r[2].u.event.data = strdup("{\"target\":\"x-y-z\",\"eligible\":0,\"unknown\":0,"
	                           "\"min_runners\":3}");
	assert_int_equal(store_write_batch(f->st, r, 3), 0);
	for (int i = 0; i < 3; i++) {
		store_rec_release(&r[i]);
		assert_null(r[i].u.event.data);
	}
	assert_int_equal(store_events_after(f->st, 0, 10, kinds, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].kind, "pool_below_min");
	assert_int_equal(v[0].runner_id, 0);
	assert_null(v[0].runner_name);
	assert_string_equal(v[1].data, "{\"target\":\"a-b-c\",\"eligible\":3,\"unknown\":0,"
	                               "\"min_runners\":3}");
	store_events_free(v, n);
	assert_int_equal(store_pool_last(f->st, remember, seen), 0);
	assert_true(strcmp(seen, "a-b-c=0;x-y-z=1") == 0 || strcmp(seen, "x-y-z=1;a-b-c=0") == 0);
}

static void test_index_is_used(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *s;
	char plan[1024] = "";

	if (rwt_db_is_pg(f->db)) {
		/* The partial index matches the query (with sequential scans
		 * priced out, as on a table of many runners). */
		rwt_sql_text(
		        f->db,
		        "SET enable_seqscan = off; EXPLAIN (FORMAT JSON) SELECT kind FROM events"
		        " WHERE runner_id = 1 AND kind IN ('down', 'up')"
		        " ORDER BY id DESC LIMIT 1",
		        plan, sizeof(plan));
		if (!strstr(plan, "events_updown"))
			fail_msg("the last down/up is not read through events_updown: %s", plan);
		return;
	}
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "EXPLAIN QUERY PLAN SELECT kind FROM events WHERE"
	                                    " runner_id = 1 AND kind IN ('down', 'up')"
	                                    " ORDER BY id DESC LIMIT 1",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t o = strlen(plan);
		snprintf(plan + o, sizeof(plan) - o, "%s|",
		         (const char *)sqlite3_column_text(s, 3));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	if (!strstr(plan, "events_updown"))
		fail_msg("the last down/up is not read through events_updown: %s", plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_down_up_alternate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_voided_down_is_still_ended, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pool_events, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_index_is_used, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
