/* SPDX-License-Identifier: MIT */
/*
 * store_report.c — the store's reads for reports: many runners' history one
 * after another through statements prepared once (a report of 10,000 runners
 * must not prepare 20,000 statements nor scan a table per runner), and what
 * the monitor recorded about itself: its runs (started, last tick), its blind
 * periods, and the policy it had in force at a given time. Writing these is
 * the writer's and the daemon's business (store.c); this file only reads.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

int store_blind_list(struct store *st, int64_t from_ms, int64_t to_ms, struct store_blind **out,
                     size_t *n)
{
	struct store_stmt *s;
	struct store_blind *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   "SELECT id, start_ms, end_ms, cause, vantage_id FROM blind_periods"
	                   " WHERE start_ms < ?2 AND end_ms > ?1 AND end_ms > start_ms"
	                   " ORDER BY start_ms, id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, from_ms);
	store_bind_int64(s, 2, to_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		const unsigned char *cause = store_column_text(s, 3);
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].id = store_column_int64(s, 0);
		v[len].start_ms = store_column_int64(s, 1);
		v[len].end_ms = store_column_int64(s, 2);
		snprintf(v[len].cause, sizeof(v[len].cause), "%s",
		         cause ? (const char *)cause : "unknown");
		v[len].vantage_id = store_column_int64(s, 4);
		len++;
	}
	store_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

int store_run_list(struct store *st, int64_t from_ms, int64_t to_ms, struct store_run **out,
                   size_t *n)
{
	struct store_stmt *s;
	struct store_run *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   "SELECT id, started_ms, last_tick_ms, vantage_id FROM monitor_runs"
	                   " WHERE started_ms < ?2 AND last_tick_ms > ?1 ORDER BY started_ms, id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, from_ms);
	store_bind_int64(s, 2, to_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].id = store_column_int64(s, 0);
		v[len].started_ms = store_column_int64(s, 1);
		v[len].last_tick_ms = store_column_int64(s, 2);
		v[len].vantage_id = store_column_int64(s, 3);
		len++;
	}
	store_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

int store_policy_at(struct store *st, int64_t t_ms, struct store_policy_version *out)
{
	struct store_stmt *s;
	int rc =
	        store_prepare(st,
	                      "SELECT id, sha256, version, body, effective_ms FROM policy_versions"
	                      " WHERE effective_ms < ? ORDER BY effective_ms DESC, id DESC LIMIT 1",
	                      &s);

	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	store_bind_int64(s, 1, t_ms);
	return store_policy_row(s, out);
}

/* ---- many runners' history ------------------------------------------------ */

struct store_reader {
	struct store *st;
	struct store_stmt *intervals;
	struct store_stmt *maintenance;
};

int store_reader_new(struct store *st, struct store_reader **out)
{
	struct store_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return RW_ENOMEM;
	r->st = st;
	/* The same rows as store_intervals() and store_maintenance_list() (not
	 * cancelled), through the (runner_id, start_ms) keys. */
	rc = store_prepare(st,
	                   "SELECT start_ms, state FROM intervals WHERE runner_id = ?1 AND"
	                   " start_ms >= IFNULL((SELECT MAX(start_ms) FROM intervals WHERE"
	                   " runner_id = ?1 AND start_ms <= ?2), ?2) AND start_ms < ?3"
	                   " ORDER BY start_ms",
	                   &r->intervals);
	if (rc == 0)
		rc = store_prepare(st,
		                   "SELECT start_ms, end_ms, declared_ms FROM maintenance"
		                   " WHERE runner_id = ?1 AND start_ms < ?3 AND end_ms > ?2 AND"
		                   " (removed_ms IS NULL OR removed_ms > start_ms)"
		                   " ORDER BY start_ms, id",
		                   &r->maintenance);
	if (rc < 0) {
		store_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void store_reader_free(struct store_reader *r)
{
	if (!r)
		return;
	store_finalize(r->intervals);
	store_finalize(r->maintenance);
	free(r);
}

/* Runs @p s (bound to ?1 runner, ?2 from, ?3 to) and appends each row to the
 * growable *buf of @p elem-sized items through @p row. */
static int read_rows(struct store_stmt *s, int64_t runner_id, int64_t from_ms, int64_t to_ms,
                     void **buf, size_t *cap, size_t *n, size_t elem,
                     void (*row)(struct store_stmt *s, void *dst))
{
	int rc;

	*n = 0;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, from_ms);
	store_bind_int64(s, 3, to_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow(buf, cap, *n, elem) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		row(s, (char *)*buf + *n * elem);
		(*n)++;
	}
	store_reset(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

static void interval_row(struct store_stmt *s, void *dst)
{
	struct rw_interval *iv = dst;

	iv->start_ms = store_column_int64(s, 0);
	iv->state = (enum rw_state)store_column_int(s, 1);
}

static void maintenance_row(struct store_stmt *s, void *dst)
{
	struct rw_maintenance *mw = dst;

	mw->start_ms = store_column_int64(s, 0);
	mw->end_ms = store_column_int64(s, 1);
	mw->declared_ms = store_column_int64(s, 2);
}

int store_reader_intervals(struct store_reader *r, int64_t runner_id, int64_t from_ms,
                           int64_t to_ms, struct rw_interval **buf, size_t *cap, size_t *n)
{
	return read_rows(r->intervals, runner_id, from_ms, to_ms, (void **)buf, cap, n,
	                 sizeof(**buf), interval_row);
}

int store_reader_maintenance(struct store_reader *r, int64_t runner_id, int64_t from_ms,
                             int64_t to_ms, struct rw_maintenance **buf, size_t *cap, size_t *n)
{
	return read_rows(r->maintenance, runner_id, from_ms, to_ms, (void **)buf, cap, n,
	                 sizeof(**buf), maintenance_row);
}
