/* SPDX-License-Identifier: MIT */
/*
 * store_rollup.c — daily rollups: one row per runner and completed UTC day,
 * computed from the raw samples by the writer, read by the reports.
 *
 * A step reads samples outside any transaction (WAL: readers take no lock),
 * folds them with policy/rollup.h, then writes its rows — and, on the last
 * step of a day, the day's row in rollup_days — in one short transaction, so
 * that a step never holds the write lock while it reads, and a failed step
 * leaves nothing behind (it is simply retried).
 *
 * Row format: `latency` and `fail_runs` are sparse histograms, a sequence of
 * (bucket index: one byte, count: unsigned LEB128) for the non-zero buckets
 * in ascending order. A day of one runner is typically 20–60 bytes.
 *
 * Invariant: a day is in rollup_days only when every runner's samples of
 * that day (as stored when the step read them) are in rollups.
 */
#include "monitor/store/store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/calendar.h"
#include "policy/rollup.h"

/* Runners read per query of the runner list. */
#define RUNNER_PAGE 256
/* A failure run this long before midnight is not a blip: stop looking back. */
#define LEAD_MAX ROLLUP_RUN_MAX

/* Bytes of a histogram of n buckets at most: 1 + 5 per bucket. */
#define HIST_MAX(n) ((size_t)(n)*6)

static size_t encode_hist(const uint32_t *counts, int n, uint8_t *buf)
{
	size_t len = 0;

	for (int b = 0; b < n; b++) {
		uint32_t v = counts[b];
		if (!v)
			continue;
		buf[len++] = (uint8_t)b;
		while (v >= 0x80) {
			buf[len++] = (uint8_t)(v | 0x80);
			v >>= 7;
		}
		buf[len++] = (uint8_t)v;
	}
	return len;
}

/* Adds the histogram in @p buf into @p counts. @return 0 or RW_EIO (malformed). */
static int decode_hist(const uint8_t *buf, size_t len, uint32_t *counts, int n)
{
	size_t i = 0;

	while (i < len) {
		int b = buf[i++];
		uint32_t v = 0;
		int shift = 0;
		for (;;) {
			if (i >= len || shift > 28)
				return RW_EIO;
			v |= (uint32_t)(buf[i] & 0x7f) << shift;
			if (!(buf[i++] & 0x80))
				break;
			shift += 7;
		}
		if (b >= n)
			return RW_EIO;
		counts[b] = counts[b] > UINT32_MAX - v ? UINT32_MAX : counts[b] + v;
	}
	return 0;
}

static int step_done(struct store_stmt *s)
{
	int rc = store_step(s);

	store_reset(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* The failure run in progress at @p t_ms: failures right before it, and
 * whether a success came before them. */
static int lead_in(struct store_stmt *s, int64_t runner_id, int64_t t_ms, uint32_t *failures,
                   bool *success)
{
	int rc;

	*failures = 0;
	*success = false;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, t_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_column_int(s, 0) == RW_ERRCLASS_NONE) {
			*success = true;
			break;
		}
		(*failures)++;
	}
	store_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* One runner's day, folded; samples == 0 when it had none. */
static int fold_runner(struct store_stmt *lead, struct store_stmt *day_q, int64_t runner_id,
                       int64_t from, int64_t to, struct rollup_acc *acc)
{
	uint32_t lead_failures;
	bool lead_success;
	int rc;

	rollup_acc_init(acc, 0, false);
	store_bind_int64(day_q, 1, runner_id);
	store_bind_int64(day_q, 2, from);
	store_bind_int64(day_q, 3, to);
	while ((rc = store_step(day_q)) == SQLITE_ROW) {
		if (acc->day.samples == 0) {
			/* Only runners with samples that day need the run carried in. */
			int lrc = lead_in(lead, runner_id, from, &lead_failures, &lead_success);
			if (lrc < 0) {
				store_reset(day_q);
				return lrc;
			}
			rollup_acc_init(acc, lead_failures, lead_success);
		}
		rollup_acc_feed(acc, store_column_int(day_q, 0) == RW_ERRCLASS_NONE,
		                store_column_int64(day_q, 1));
	}
	store_reset(day_q);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* A rollup row waiting for the step's transaction. */
struct pending_row {
	int64_t runner_id;
	uint32_t samples, failures;
	size_t lat_len, runs_len;
	uint8_t lat[HIST_MAX(ROLLUP_LAT_BUCKETS)];
	uint8_t runs[HIST_MAX(ROLLUP_RUN_MAX + 1)];
};

static int write_rows(struct store *st, int64_t day, const struct pending_row *rows, size_t n,
                      bool day_done)
{
	struct store_stmt *ins = NULL, *mark = NULL;
	bool own;
	int rc;

	rc = store_prepare_dialect(
	        st,
	        "INSERT OR REPLACE INTO rollups (day, runner_id, samples, failures,"
	        " latency, fail_runs) VALUES (?, ?, ?, ?, ?, ?)",
	        "INSERT INTO rollups (day, runner_id, samples, failures, latency, fail_runs)"
	        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, runner_id) DO UPDATE SET"
	        " samples = excluded.samples, failures = excluded.failures,"
	        " latency = excluded.latency, fail_runs = excluded.fail_runs",
	        &ins);
	if (rc == 0 && day_done)
		rc = store_prepare_dialect(
		        st,
		        "INSERT OR REPLACE INTO rollup_days (day, runners, samples)"
		        " SELECT ?1, COUNT(*), IFNULL(SUM(samples), 0) FROM rollups"
		        " WHERE day = ?1",
		        "INSERT INTO rollup_days (day, runners, samples)"
		        " SELECT ?1, COUNT(*), COALESCE(SUM(samples), 0) FROM rollups"
		        " WHERE day = ?1 ON CONFLICT (day) DO UPDATE SET"
		        " runners = excluded.runners, samples = excluded.samples",
		        &mark);
	/* In the caller's transaction when one is open (store_rollup_put()). */
	own = !store_in_transaction(st);
	if (rc == 0 && own)
		rc = store_begin(st);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		store_bind_int64(ins, 1, day);
		store_bind_int64(ins, 2, rows[i].runner_id);
		store_bind_int64(ins, 3, rows[i].samples);
		store_bind_int64(ins, 4, rows[i].failures);
		store_bind_blob(ins, 5, rows[i].lat, (int)rows[i].lat_len, SQLITE_STATIC);
		store_bind_blob(ins, 6, rows[i].runs, (int)rows[i].runs_len, SQLITE_STATIC);
		rc = step_done(ins);
	}
	if (rc == 0 && day_done) {
		store_bind_int64(mark, 1, day);
		rc = step_done(mark);
	}
	if (rc == 0 && own)
		rc = store_commit(st);
	if (rc < 0 && own)
		store_rollback(st);
	store_finalize(ins);
	store_finalize(mark);
	return rc;
}

/* Folds the next runner of the list page into @p rows when it had samples. */
static int take_runner(struct store_stmt *lead, struct store_stmt *day_q, int64_t id, int64_t day,
                       struct pending_row **rows, size_t *n_rows, size_t *cap, uint64_t *read)
{
	int64_t from = day * CALENDAR_MS_PER_DAY;
	struct rollup_acc acc;
	struct pending_row *r;
	int rc = fold_runner(lead, day_q, id, from, from + CALENDAR_MS_PER_DAY, &acc);

	if (rc < 0 || acc.day.samples == 0)
		return rc;
	if (store_grow((void **)rows, cap, *n_rows, sizeof(**rows)) < 0)
		return RW_ENOMEM;
	r = &(*rows)[(*n_rows)++];
	r->runner_id = id;
	r->samples = acc.day.samples;
	r->failures = acc.day.failures;
	r->lat_len = encode_hist(acc.day.latency, ROLLUP_LAT_BUCKETS, r->lat);
	r->runs_len = encode_hist(acc.day.runs, ROLLUP_RUN_MAX + 1, r->runs);
	*read += acc.day.samples;
	return 0;
}

int store_rollup_step(struct store *st, int64_t day, int64_t *cursor, uint32_t max_samples,
                      bool *done)
{
	struct store_stmt *list = NULL, *lead = NULL, *day_q = NULL;
	struct pending_row *rows = NULL;
	size_t n_rows = 0, cap = 0;
	int64_t next = *cursor;
	uint64_t read = 0;
	bool more = true;
	int rc;

	*done = false;
	rc = store_prepare(st, "SELECT id FROM runners WHERE id > ? ORDER BY id LIMIT ?", &list);
	if (rc == 0)
		rc = store_prepare(
		        st,
		        "SELECT errclass FROM samples WHERE runner_id = ?1 AND ts_ms < ?2"
		        " ORDER BY ts_ms DESC LIMIT ?3",
		        &lead);
	if (rc == 0)
		rc = store_prepare(st,
		                   "SELECT errclass, latency_us FROM samples WHERE runner_id = ?1"
		                   " AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms",
		                   &day_q);
	if (rc == 0)
		store_bind_int(lead, 3, LEAD_MAX);
	/* Pages of the runner list until the list or the budget runs out; a
	 * runner is never split between steps. */
	while (rc == 0 && more && read < max_samples) {
		int got = 0, src = SQLITE_DONE;
		store_bind_int64(list, 1, next);
		store_bind_int(list, 2, RUNNER_PAGE);
		while (read < max_samples && (src = store_step(list)) == SQLITE_ROW) {
			int64_t id = store_column_int64(list, 0);
			got++;
			rc = take_runner(lead, day_q, id, day, &rows, &n_rows, &cap, &read);
			if (rc < 0)
				break;
			next = id;
		}
		store_reset(list);
		if (rc == 0 && src != SQLITE_ROW && src != SQLITE_DONE)
			rc = store_rc(src);
		if (rc == 0 && src == SQLITE_DONE && got < RUNNER_PAGE)
			more = false;
	}
	store_finalize(list);
	store_finalize(lead);
	store_finalize(day_q);
	if (rc == 0)
		rc = write_rows(st, day, rows, n_rows, !more);
	free(rows);
	if (rc < 0)
		return rc;
	*cursor = next;
	*done = !more;
	return 0;
}

int store_rollup_day(struct store *st, int64_t day)
{
	int64_t cursor = 0;
	bool done = false;
	int rc = 0;

	while (rc == 0 && !done)
		rc = store_rollup_step(st, day, &cursor, 50000, &done);
	return rc;
}

/* One integer from @p sql, whose parameter ?1 (if any) is @p a; *null when NULL. */
static int query_int64(struct store *st, const char *sql, int64_t a, int64_t *out, bool *null)
{
	struct store_stmt *s;
	int rc = store_prepare(st, sql, &s);

	if (rc < 0)
		return rc;
	if (store_bind_parameter_count(s) > 0)
		store_bind_int64(s, 1, a);
	rc = store_step(s);
	*null = rc != SQLITE_ROW || store_column_type(s, 0) == SQLITE_NULL;
	*out = *null ? 0 : store_column_int64(s, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

static int64_t floor_day(int64_t ms)
{
	return ms / CALENDAR_MS_PER_DAY - (ms % CALENDAR_MS_PER_DAY < 0);
}

int store_rollup_frontier(struct store *st, int64_t *day)
{
	int64_t v;
	bool null;
	int rc = query_int64(st, "SELECT MAX(day) FROM rollup_days", 0, &v, &null);

	if (rc < 0)
		return rc;
	if (!null) {
		/* Samples of a day before the last one done that has no row
		 * (the daemon did not run then) are not rolled up later. */
		rc = query_int64(st, "SELECT MIN(ts_ms) FROM samples WHERE ts_ms >= ?1",
		                 (v + 1) * CALENDAR_MS_PER_DAY, &v, &null);
	} else {
		rc = query_int64(st, "SELECT MIN(ts_ms) FROM samples", 0, &v, &null);
	}
	if (rc < 0)
		return rc;
	if (null)
		return RW_ENOENT;
	*day = floor_day(v);
	return 0;
}

int store_rollup_next_day(struct store *st, int64_t now_ms, int64_t *day)
{
	int64_t d;
	int rc = store_rollup_frontier(st, &d);

	if (rc < 0)
		return rc;
	if ((d + 1) * CALENDAR_MS_PER_DAY + STORE_ROLLUP_SETTLE_MS > now_ms)
		return RW_ENOENT;
	*day = d;
	return 0;
}

int store_rollup_put(struct store *st, int64_t day, int64_t runner_id, const struct rollup_day *d)
{
	struct pending_row *row = malloc(sizeof(*row));
	int rc;

	if (!row)
		return RW_ENOMEM;
	row->runner_id = runner_id;
	row->samples = d->samples;
	row->failures = d->failures;
	row->lat_len = encode_hist(d->latency, ROLLUP_LAT_BUCKETS, row->lat);
	row->runs_len = encode_hist(d->runs, ROLLUP_RUN_MAX + 1, row->runs);
	rc = write_rows(st, day, row, 1, false);
	free(row);
	return rc;
}

int store_rollup_mark_done(struct store *st, int64_t day)
{
	return write_rows(st, day, NULL, 0, true);
}

int store_rollup_sum(struct store *st, int64_t from_day, int64_t to_day, store_rollup_sink_cb cb,
                     void *data)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "SELECT day, runner_id, samples, failures, latency, fail_runs"
	                       " FROM rollups WHERE day >= ? AND day < ? ORDER BY day, runner_id",
	                       &s);

	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, from_day);
	store_bind_int64(s, 2, to_day);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		struct rollup_day *sum =
		        cb(store_column_int64(s, 1), store_column_int64(s, 0), data);
		int64_t samples = store_column_int64(s, 2), failures = store_column_int64(s, 3);
		const uint8_t *lat = store_column_blob(s, 4);
		size_t lat_len = (size_t)store_column_bytes(s, 4);
		const uint8_t *runs = store_column_blob(s, 5);
		size_t runs_len = (size_t)store_column_bytes(s, 5);

		if (!sum)
			continue;
		if (samples < 0 || samples > UINT32_MAX || failures < 0 || failures > samples ||
		    decode_hist(lat, lat_len, sum->latency, ROLLUP_LAT_BUCKETS) < 0 ||
		    decode_hist(runs, runs_len, sum->runs, ROLLUP_RUN_MAX + 1) < 0) {
			rc = SQLITE_CORRUPT;
			break;
		}
		sum->samples = sum->samples > UINT32_MAX - (uint32_t)samples
		                       ? UINT32_MAX
		                       : sum->samples + (uint32_t)samples;
		sum->failures = sum->failures > UINT32_MAX - (uint32_t)failures
		                        ? UINT32_MAX
		                        : sum->failures + (uint32_t)failures;
	}
	store_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

int store_rollup_days_done(struct store *st, int64_t from_day, int64_t to_day, int64_t *count)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT COUNT(*) FROM rollup_days WHERE day >= ? AND day < ?",
	                       &s);

	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, from_day);
	store_bind_int64(s, 2, to_day);
	rc = store_step(s);
	*count = rc == SQLITE_ROW ? store_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}
