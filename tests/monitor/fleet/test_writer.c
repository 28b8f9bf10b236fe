/* SPDX-License-Identifier: MIT */
/*
 * test_writer.c — monitor/fleet/writer.h on a real libuv loop and a real SQLite
 * file.
 *
 * The loop pushes records from timer callbacks, as the daemon does, and the
 * test checks what reached the database through a store of its own: every
 * row, in push order; the counters; the flush on stop; the time-based flush
 * (a few records are committed without reaching the 1,000-row threshold);
 * a failing batch (made to fail by a trigger) reported, retried and written
 * ahead of newer records, and a stop while failing; the retention purge; the stopped callback
 * running exactly once; and a loop that closes with no handle left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/core/clock.h"
#include "monitor/fleet/writer.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define N_ROUNDS   5
#define ROUND_ROWS 1000
#define N_ROWS     (N_ROUNDS * ROUND_ROWS)

/* How long a test waits for the writer before it gives up (generous). */
#define WAIT_LIMIT_MS 10000

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	uv_loop_t loop;
	uv_timer_t timer;
	struct writer *w;

	int round;                /* rounds pushed so far */
	int next_seq;             /* next latency_us to push: the push order */
	int stopped;              /* stopped callback runs */
	int status_cbs;           /* status callback runs */
	int stop_rc;              /* what writer_close() returned */
	uint64_t t0;              /* loop time when waiting started */
	int timed_out;            /* a wait hit WAIT_LIMIT_MS */
	struct writer_stats seen; /* stats when a round was complete */
	struct writer_stats at_stop;
	int64_t now_ms; /* wall time for the purge test */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-writer");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	if (uv_loop_init(&f->loop) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	writer_free(f->w);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void status_cb(struct writer *w, int rc, const char *message, void *data)
{
	struct fx *f = data;

	(void)w;
	print_error("writer status %d: %s\n", rc, message);
	f->status_cbs++;
}

static void stopped_cb(struct writer *w, void *data)
{
	struct fx *f = data;

	assert_ptr_equal(w, f->w);
	f->stopped++;
}

static void push_samples(struct fx *f, int n, int64_t ts_ms)
{
	for (int i = 0; i < n; i++) {
		struct store_rec r;

		memset(&r, 0, sizeof(r));
		r.kind = STORE_REC_SAMPLE;
		r.u.sample.runner_id = 1 + f->next_seq % 7;
		r.u.sample.ts_ms = ts_ms ? ts_ms : 1000 + f->next_seq;
		r.u.sample.latency_us = f->next_seq;
		r.u.sample.http_status = 200;
		f->next_seq++;
		writer_push(f->w, &r);
	}
}

static void timer_close_cb(uv_handle_t *h)
{
	(void)h;
}

static void stop_all(struct fx *f)
{
	writer_get_stats(f->w, &f->at_stop);
	f->stop_rc = writer_close(f->w, stopped_cb, f);
	uv_close((uv_handle_t *)&f->timer, timer_close_cb);
}

/* Reads back every sample's latency_us in insertion (rowid) order. */
static int *read_seqs(const char *db, size_t *n)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int *v = calloc(N_ROWS + 16, sizeof(int));
	size_t len = 0;

	assert_non_null(v);
	if (rwt_db_is_pg(db)) {
		static char buf[(N_ROWS + 16) * 12];
		rwt_sql_text(db,
		             "SELECT string_agg(latency_us::text, ',' ORDER BY id) FROM samples",
		             buf, sizeof(buf));
		for (char *p = buf; *p; p += *p == ',') {
			assert_true(len < N_ROWS + 16);
			v[len++] = (int)strtol(p, &p, 10);
		}
		*n = len;
		return v;
	}
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT latency_us FROM samples ORDER BY rowid", -1,
	                                    &s, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(len < N_ROWS + 16);
		v[len++] = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	*n = len;
	return v;
}

/* ---- 5,000 rows in rounds of 1,000 ------------------------------------- */

/*
 * Every millisecond: when the previous round is committed, push the next
 * 1,000 rows. Rounds 1..4 wait for their rows to be written (so each is at
 * least one batch of its own); round 5 is followed by writer_close() at once,
 * which must flush it.
 */
static void rounds_timer_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	struct writer_stats st;

	writer_get_stats(f->w, &st);
	if (f->round > 0 && st.rows_written < (uint64_t)f->round * ROUND_ROWS) {
		if (uv_now(&f->loop) - f->t0 > WAIT_LIMIT_MS) {
			f->timed_out = 1;
			stop_all(f);
		}
		return;
	}
	if (f->round > 0)
		f->seen = st;
	push_samples(f, ROUND_ROWS, 0);
	f->round++;
	f->t0 = uv_now(&f->loop);
	if (f->round == N_ROUNDS)
		stop_all(f);
}

static void test_rows_in_order(void **state)
{
	struct fx *f = *state;
	struct writer_stats st;
	char err[512] = "";
	size_t n = 0;
	int *seqs, bad = 0;

	assert_int_equal(writer_new(&f->w, &f->loop, f->db, 0, status_cb, f, err, sizeof(err)), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	assert_int_equal(uv_timer_start(&f->timer, rounds_timer_cb, 1, 1), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->timed_out, 0);
	assert_int_equal(f->round, N_ROUNDS);
	assert_int_equal(f->stopped, 1);
	assert_int_equal(f->stop_rc, 0);
	assert_int_equal(f->status_cbs, 0);
	/* Before the last round, four rounds had been written, each committed
	 * before the next was pushed, so in at least four batches. (A batch may
	 * hold more than 1,000 rows when the loop outpaces the thread: the
	 * header promises when a batch starts, not its size.) */
	assert_int_equal(f->seen.rows_written, (N_ROUNDS - 1) * ROUND_ROWS);
	assert_true(f->seen.batches >= N_ROUNDS - 1);

	writer_get_stats(f->w, &st);
	assert_int_equal(st.rows_written, N_ROWS);
	assert_true(st.batches >= N_ROUNDS);
	assert_true(st.batches <= N_ROWS);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 0);
	assert_true(st.max_batch_us >= st.last_batch_us);

	seqs = read_seqs(f->db, &n);
	assert_int_equal(n, N_ROWS);
	for (size_t i = 0; i < n; i++) {
		if (seqs[i] != (int)i) {
			if (bad++ < 5)
				print_error("row %zu holds push #%d\n", i, seqs[i]);
		}
	}
	free(seqs);
	assert_int_equal(bad, 0);

	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- a few rows are committed on time, without reaching 1,000 ---------- */

static void small_timer_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	struct writer_stats st;

	if (f->round == 0) {
		push_samples(f, 10, 0);
		f->round = 1;
		f->t0 = uv_now(&f->loop);
		return;
	}
	writer_get_stats(f->w, &st);
	if (st.rows_written == 10) {
		f->seen = st;
		stop_all(f);
	} else if (uv_now(&f->loop) - f->t0 > WAIT_LIMIT_MS) {
		f->timed_out = 1;
		stop_all(f);
	}
}

static void test_flush_on_time(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	size_t n = 0;
	int *seqs;

	assert_int_equal(writer_new(&f->w, &f->loop, f->db, 0, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	assert_int_equal(uv_timer_start(&f->timer, small_timer_cb, 1, 5), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	/* Written while the writer was running, not by the flush on stop. */
	assert_int_equal(f->timed_out, 0);
	assert_int_equal(f->seen.rows_written, 10);
	assert_true(f->seen.batches >= 1);
	assert_int_equal(f->seen.queued, 0);
	assert_int_equal(f->stopped, 1);
	seqs = read_seqs(f->db, &n);
	assert_int_equal(n, 10);
	free(seqs);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- stop flushes what is queued; kinds other than samples ------------- */

static void test_stop_flushes(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct rw_interval *iv = NULL;
	struct writer_stats ws;
	char err[512] = "";
	size_t n = 0;
	int64_t last = 0, count = 0;

	assert_int_equal(writer_new(&f->w, &f->loop, f->db, 0, status_cb, f, err, sizeof(err)), 0);
	/* Straight from the test, before the loop ever runs: nothing can have
	 * been committed by time yet unless the thread raced ahead, and either
	 * way every record must be there after the stop. */
	push_samples(f, 250, 0);
	for (int i = 0; i < 3; i++) {
		struct store_rec r;

		memset(&r, 0, sizeof(r));
		r.kind = STORE_REC_CHANGE;
		r.u.change.runner_id = 42;
		r.u.change.start_ms = 1000 * (i + 1);
		r.u.change.state = i % 2 ? RW_STATE_DOWN : RW_STATE_UP;
		writer_push(f->w, &r);
	}
	struct store_rec blind;
	memset(&blind, 0, sizeof(blind));
	blind.kind = STORE_REC_BLIND;
	blind.u.blind.start_ms = 10;
	blind.u.blind.end_ms = 20;
	blind.u.blind.cause = STORE_BLIND_DOWNTIME;
	writer_push(f->w, &blind);

	assert_int_equal(writer_close(f->w, stopped_cb, f), 0);
	assert_int_equal(f->stopped, 0); /* only on the loop, after the close */
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->stopped, 1);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->stopped, 1);

	writer_get_stats(f->w, &ws);
	assert_int_equal(ws.rows_written, 254);
	assert_int_equal(ws.queued, 0);
	assert_int_equal(f->status_cbs, 0);

	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	for (int64_t id = 1; id <= 7; id++) {
		int64_t c = 0;
		assert_int_equal(store_sample_count(st, id, &c), 0);
		count += c;
	}
	assert_int_equal(count, 250);
	assert_int_equal(store_intervals(st, 42, 0, 10000, &iv, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(iv[1].start_ms, 2000);
	assert_int_equal(iv[1].state, RW_STATE_DOWN);
	free(iv);
	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, -1);
	store_close(st);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- a follower writes samples only (writer_set_combined()) ------------- */

static void push_change(struct fx *f, int64_t start_ms, enum rw_state state)
{
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_CHANGE;
	r.u.change.runner_id = 42;
	r.u.change.start_ms = start_ms;
	r.u.change.state = (uint8_t)state;
	writer_push(f->w, &r);
}

static void test_follower_withholds(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct rw_interval *iv = NULL;
	struct writer_stats ws;
	struct store_rec r;
	char err[512] = "";
	size_t n = 0;
	int64_t last = 0, count = 0;

	assert_int_equal(writer_new(&f->w, &f->loop, f->db, 0, status_cb, f, err, sizeof(err)), 0);
	writer_set_combined(f->w, false);
	push_samples(f, 10, 0);
	push_change(f, 1000, RW_STATE_UP);
	push_change(f, 2000, RW_STATE_DOWN);
	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_BLIND;
	r.u.blind.start_ms = 10;
	r.u.blind.end_ms = 20;
	r.u.blind.cause = STORE_BLIND_DOWNTIME;
	writer_push(f->w, &r);
	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_TICK;
	r.u.tick.run_id = 1;
	r.u.tick.ts_ms = 5000;
	writer_push(f->w, &r); /* its vantage's heartbeat only, not monitor_runs */
	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_VSTATE; /* its own state of a runner: written */
	r.u.change.runner_id = 42;
	r.u.change.start_ms = 1000;
	r.u.change.state = RW_STATE_UP;
	writer_push(f->w, &r);
	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_EVENT; /* what it owns is released, not leaked */
	r.u.event.at_ms = 3000;
	r.u.event.kind = STORE_EV_POOL_BELOW;
	r.u.event.data = strdup("{\"target\": \"t\"}");
	assert_non_null(r.u.event.data);
	writer_push(f->w, &r);
	/* The leader again: the combined records are written. */
	writer_set_combined(f->w, true);
	push_change(f, 3000, RW_STATE_UNKNOWN);

	assert_int_equal(writer_close(f->w, stopped_cb, f), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->stopped, 1);
	writer_get_stats(f->w, &ws);
	assert_int_equal(ws.rows_written, 13);
	assert_int_equal(ws.withheld, 4);

	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	for (int64_t id = 1; id <= 7; id++) {
		int64_t c = 0;
		assert_int_equal(store_sample_count(st, id, &c), 0);
		count += c;
	}
	assert_int_equal(count, 10);
	assert_int_equal(store_intervals(st, 42, 0, 10000, &iv, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(iv[0].start_ms, 3000);
	free(iv);
	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, -1);
	store_close(st);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- retention: old samples are purged while the writer is idle -------- */

static void purge_timer_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	struct store *st = NULL;
	char err[256];
	int64_t c = -1;

	if (store_open(&st, f->db, 0, err, sizeof(err)) == 0) {
		int64_t total = 0;
		for (int64_t id = 1; id <= 7; id++) {
			if (store_sample_count(st, id, &c) == 0)
				total += c;
		}
		store_close(st);
		writer_get_stats(f->w, &f->seen);
		if (f->seen.rows_written == 25 && total == 5) {
			stop_all(f);
			return;
		}
	}
	if (uv_now(&f->loop) - f->t0 > WAIT_LIMIT_MS) {
		f->timed_out = 1;
		stop_all(f);
	}
}

static void test_retention_purge(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	f->now_ms = clock_wall_ms();
	assert_int_equal(writer_new(&f->w, &f->loop, f->db, 86400000, NULL, NULL, err, sizeof(err)),
	                 0);
	/* Queued before the thread's first wake-up, so that they are written
	 * before its first idle moment, when the first purge runs. */
	push_samples(f, 20, f->now_ms - 3 * 86400000LL); /* older than a day */
	push_samples(f, 5, f->now_ms);
	f->t0 = uv_now(&f->loop);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	assert_int_equal(uv_timer_start(&f->timer, purge_timer_cb, 20, 20), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->timed_out, 0);
	assert_int_equal(f->stopped, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- a failing batch is retried, ahead of newer records ---------------- */

/* Makes every insert of the sample whose latency_us is @p seq fail, from a
 * connection of the test's own (a schema change the writer picks up). */
static void inject_failure(const char *db, int seq, int on)
{
	sqlite3 *h = NULL;
	char sql[512];

	if (rwt_db_is_pg(db)) {
		if (on)
			snprintf(sql, sizeof(sql),
			         "CREATE FUNCTION rw_inject() RETURNS trigger LANGUAGE plpgsql AS"
			         " $$BEGIN RAISE EXCEPTION 'injected failure'; END$$;"
			         " CREATE TRIGGER inject BEFORE INSERT ON samples FOR EACH ROW"
			         " WHEN (NEW.latency_us = %d) EXECUTE FUNCTION rw_inject()",
			         seq);
		else
			snprintf(sql, sizeof(sql),
			         "DROP TRIGGER inject ON samples; DROP FUNCTION rw_inject()");
		assert_int_equal(rwt_sql_exec(db, sql), 0);
		return;
	}
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	if (on)
		snprintf(sql, sizeof(sql),
		         "CREATE TRIGGER inject BEFORE INSERT ON samples WHEN NEW.latency_us = %d"
		         " BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
		         seq);
	else
		snprintf(sql, sizeof(sql), "DROP TRIGGER inject");
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

struct fail_fx {
	struct fx *f;
	int failed_rc;    /* rc of the first status: the failure */
	int recovered_rc; /* rc of the second: writes succeed again */
	int keep_failing; /* stop while still failing */
};

static void fail_status_cb(struct writer *w, int rc, const char *message, void *data)
{
	struct fail_fx *ff = data;
	struct fx *f = ff->f;

	(void)w;
	(void)message;
	f->status_cbs++;
	if (f->status_cbs == 1) {
		ff->failed_rc = rc;
		writer_get_stats(f->w, &f->seen);
		/* Newer records, pushed while the failed batch waits. */
		push_samples(f, 100, 0);
		if (ff->keep_failing) {
			stop_all(f);
			return;
		}
		inject_failure(f->db, 50, 0);
	} else if (f->status_cbs == 2) {
		ff->recovered_rc = rc;
		stop_all(f);
	}
}

static void fail_timer_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	if (f->round == 0) {
		push_samples(f, 100, 0);
		f->round = 1;
		f->t0 = uv_now(&f->loop);
	} else if (uv_now(&f->loop) - f->t0 > WAIT_LIMIT_MS) {
		f->timed_out = 1;
		stop_all(f);
	}
}

static void test_failure_retried_in_order(void **state)
{
	struct fx *f = *state;
	struct fail_fx ff = {.f = f};
	struct writer_stats st;
	char err[512] = "";
	size_t n = 0;
	int *seqs, bad = 0;

	assert_int_equal(
	        writer_new(&f->w, &f->loop, f->db, 0, fail_status_cb, &ff, err, sizeof(err)), 0);
	inject_failure(f->db, 50, 1);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	assert_int_equal(uv_timer_start(&f->timer, fail_timer_cb, 1, 10), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->timed_out, 0);
	assert_int_equal(f->status_cbs, 2);
	assert_true(ff.failed_rc < 0);
	assert_int_equal(ff.recovered_rc, 0);
	assert_int_equal(f->seen.rows_written, 0);
	assert_true(f->seen.failures >= 1);
	assert_int_equal(f->seen.queued, 100); /* the failed batch still waits */
	assert_int_equal(f->stop_rc, 0);
	assert_int_equal(f->stopped, 1);
	writer_get_stats(f->w, &st);
	assert_int_equal(st.rows_written, 200);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.dropped, 0);

	seqs = read_seqs(f->db, &n);
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++)
		bad += seqs[i] != (int)i;
	free(seqs);
	assert_int_equal(bad, 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void test_stop_while_failing(void **state)
{
	struct fx *f = *state;
	struct fail_fx ff = {.f = f, .keep_failing = 1};
	size_t n = 0;
	char err[512] = "";
	int *seqs;

	assert_int_equal(
	        writer_new(&f->w, &f->loop, f->db, 0, fail_status_cb, &ff, err, sizeof(err)), 0);
	inject_failure(f->db, 50, 1);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	assert_int_equal(uv_timer_start(&f->timer, fail_timer_cb, 1, 10), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	/* The final flush failed and says so; the writer still stops cleanly. */
	assert_int_equal(f->timed_out, 0);
	assert_int_equal(f->status_cbs, 1);
	assert_true(ff.failed_rc < 0);
	assert_true(f->stop_rc < 0);
	assert_int_equal(f->stopped, 1);
	seqs = read_seqs(f->db, &n);
	assert_int_equal(n, 0);
	free(seqs);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- the backoff holds when 1,000 records are waiting ------------------- */

struct backoff_fx {
	struct fx *f;
	uv_timer_t check;
	uint64_t failures_in_window;
	int recovered;
};

static void backoff_check_cb(uv_timer_t *t)
{
	struct backoff_fx *bf = t->data;
	struct writer_stats st;

	writer_get_stats(bf->f->w, &st);
	bf->failures_in_window = st.failures;
	inject_failure(bf->f->db, 50, 0);
	uv_close((uv_handle_t *)&bf->check, NULL);
}

static void backoff_status_cb(struct writer *w, int rc, const char *message, void *data)
{
	struct backoff_fx *bf = data;
	struct fx *f = bf->f;

	(void)w;
	(void)message;
	f->status_cbs++;
	if (f->status_cbs == 1 && rc < 0) {
		/* Well over the 1,000-row threshold while the batch keeps failing. */
		push_samples(f, 3 * WRITER_BATCH_ROWS, 0);
		assert_int_equal(uv_timer_init(&f->loop, &bf->check), 0);
		bf->check.data = bf;
		assert_int_equal(uv_timer_start(&bf->check, backoff_check_cb, 700, 0), 0);
	} else if (f->status_cbs == 2 && rc == 0) {
		bf->recovered = 1;
		stop_all(f);
	}
}

static void test_backoff_with_full_queue(void **state)
{
	struct fx *f = *state;
	struct backoff_fx bf = {.f = f};
	struct writer_stats st;
	char err[512] = "";
	size_t n = 0;
	int *seqs, bad = 0;

	assert_int_equal(
	        writer_new(&f->w, &f->loop, f->db, 0, backoff_status_cb, &bf, err, sizeof(err)), 0);
	inject_failure(f->db, 50, 1);
	assert_int_equal(uv_timer_init(&f->loop, &f->timer), 0);
	f->timer.data = f;
	assert_int_equal(uv_timer_start(&f->timer, fail_timer_cb, 1, 10), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->timed_out, 0);
	assert_int_equal(bf.recovered, 1);
	/* Backoff from 200 ms, doubling: a handful of tries in 700 ms, not a
	 * retry loop as fast as SQLite can fail. */
	if (bf.failures_in_window > 10)
		print_error("%llu failed tries in 700 ms\n",
		            (unsigned long long)bf.failures_in_window);
	assert_true(bf.failures_in_window >= 1);
	assert_true(bf.failures_in_window <= 10);
	writer_get_stats(f->w, &st);
	assert_int_equal(st.rows_written, 100 + 3 * WRITER_BATCH_ROWS);
	seqs = read_seqs(f->db, &n);
	assert_int_equal(n, 100 + 3 * WRITER_BATCH_ROWS);
	for (size_t i = 0; i < n; i++)
		bad += seqs[i] != (int)i;
	free(seqs);
	assert_int_equal(bad, 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- start-up failure -------------------------------------------------- */

static void test_start_fails_cleanly(void **state)
{
	struct fx *f = *state;
	struct writer *w = (struct writer *)0x1;
	char path[192], err[512] = "";

	snprintf(path, sizeof(path), "%s/no/such/dir/rw.db", f->dir);
	assert_true(writer_new(&w, &f->loop, path, 0, status_cb, f, err, sizeof(err)) < 0);
	assert_null(w);
	assert_true(err[0] != '\0');
	writer_free(NULL);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_rows_in_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_flush_on_time, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stop_flushes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_follower_withholds, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retention_purge, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failure_retried_in_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stop_while_failing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backoff_with_full_queue, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_start_fails_cleanly, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
