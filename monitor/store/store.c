/* SPDX-License-Identifier: MIT */
/*
 * store.c — opening and writing the SQLite database; history queries;
 * policy versions; backup. The schema and its migrations are in
 * store_schema.c, the registry (operators, runners) in store_registry.c,
 * declared maintenance windows in store_maintenance.c, and so on by table.
 *
 * Invariants:
 *  - The file is in WAL mode with foreign keys on and a busy timeout, so the
 *    loop thread's reads never wait for the writer's transactions.
 *  - A file with a higher user_version than this binary knows is refused
 *    (RW_ESCHEMA) before anything is written (store_schema.c migrates).
 *  - store_write_batch() is all or nothing: a failed batch is rolled back and
 *    reported; the caller decides whether to retry.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/base/rw_error.h"

int store_grow(void **v, size_t *cap, size_t len, size_t elem)
{
	size_t ncap;
	void *nv;

	if (len < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return RW_ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

int store_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return RW_EBUSY;
	case SQLITE_NOMEM: return RW_ENOMEM;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return RW_EEXIST;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return RW_ENOENT;
		return RW_EINVAL;
	case SQLITE_CANTOPEN: return RW_ENOENT;
	}
	return RW_EIO;
}

int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	return store_rc(sqlite3_prepare_v2(st->db, sql, -1, out, NULL));
}

int store_exec(struct store *st, const char *sql)
{
	return store_rc(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

char *store_col_strdup(sqlite3_stmt *s, int col, int *oom)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	char *d;

	if (!t)
		return NULL;
	d = strdup((const char *)t);
	if (!d)
		*oom = 1;
	return d;
}

const char *store_errmsg(const struct store *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

int store_begin(struct store *st)
{
	return store_exec(st, "BEGIN IMMEDIATE");
}

int store_commit(struct store *st)
{
	return store_exec(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int prepare_hot(struct store *st)
{
	int rc;

	rc = store_prepare(
	        st,
	        "INSERT INTO samples (runner_id, ts_ms, errclass, http_status, latency_us)"
	        " VALUES (?, ?, ?, ?, ?)",
	        &st->ins_sample);
	if (rc == 0)
		rc = store_prepare(st,
		                   "INSERT OR REPLACE INTO intervals (runner_id, start_ms, state)"
		                   " VALUES (?, ?, ?)",
		                   &st->ins_change);
	if (rc == 0)
		rc = store_prepare(st,
		                   "UPDATE runners SET last_state = ?2, last_state_ms = ?3"
		                   " WHERE id = ?1 AND last_state_ms <= ?3",
		                   &st->upd_last_state);
	if (rc == 0)
		rc = store_prepare(st,
		                   "UPDATE monitor_runs SET last_tick_ms = MAX(last_tick_ms, ?2)"
		                   " WHERE id = ?1",
		                   &st->upd_tick);
	if (rc == 0)
		rc = store_prepare(
		        st, "INSERT INTO blind_periods (start_ms, end_ms, cause) VALUES (?, ?, ?)",
		        &st->ins_blind);
	if (rc == 0)
		rc = store_prepare(
		        st,
		        "INSERT INTO flags (runner_id, at_ms, flagged, uptime_ppm,"
		        " threshold_ppm, policy_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
		        &st->ins_flag);
	/* Incidents follow the intervals: a DOWN interval opens one (once per
	 * start: a replayed change is ignored); any other state closes the open
	 * one at its start, or voids it when it replaces the DOWN interval at
	 * the same start (the retroactive blindness correction, blind.c); a DOWN
	 * interval written again at a voided start revives that incident. */
	if (rc == 0)
		rc = store_prepare(st,
		                   "INSERT INTO incidents (runner_id, start_ms)"
		                   " SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM incidents"
		                   " WHERE runner_id = ?1 AND end_ms IS NULL AND voided = 0)"
		                   " ON CONFLICT (runner_id, start_ms) DO UPDATE SET"
		                   " end_ms = NULL, voided = 0",
		                   &st->open_incident);
	if (rc == 0)
		rc = store_prepare(st,
		                   "UPDATE incidents SET end_ms = ?2,"
		                   " voided = CASE WHEN start_ms >= ?2 THEN 1 ELSE 0 END"
		                   " WHERE runner_id = ?1 AND end_ms IS NULL AND voided = 0",
		                   &st->close_incident);
	if (rc == 0)
		rc = store_prepare(st,
		                   "INSERT INTO events (at_ms, kind, runner_id, data)"
		                   " SELECT ?2, 'incident_open', ?1, json_object('incident_id', id)"
		                   " FROM incidents WHERE runner_id = ?1 AND start_ms = ?2",
		                   &st->ev_incident);
	if (rc == 0)
		rc = store_prepare(
		        st, "INSERT INTO events (at_ms, kind, runner_id, data) VALUES (?, ?, ?, ?)",
		        &st->ins_event);
	return rc;
}

int store_open(struct store **out, const char *path, unsigned flags, char *err, size_t errlen)
{
	struct store *st;
	char why[400];
	int rc, oflags, v = 0;

	*out = NULL;
	if (!(flags & STORE_CREATE) && access(path, F_OK) != 0) {
		snprintf(err, errlen,
		         "%s: no such database (create one with `runwarden operator add`)", path);
		return RW_ENOENT;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", path);
		return RW_ENOMEM;
	}
	oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
	                                  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		rc = store_rc(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	rc = store_exec(st, "PRAGMA foreign_keys = ON");
	/* A newer schema is refused before journal_mode = WAL rewrites the
	 * file's header: such a file is never written. */
	if (rc == 0)
		rc = store_user_version(st, &v);
	if (rc == 0 && v > store_schema_version()) {
		snprintf(err, errlen,
		         "%s: schema version %d is newer than this runwarden knows (%d); upgrade "
		         "runwarden",
		         path, v, store_schema_version());
		rc = RW_ESCHEMA;
		goto fail;
	}
	if (rc == 0 && !(flags & STORE_READONLY))
		rc = store_exec(st, "PRAGMA journal_mode = WAL");
	if (rc == 0)
		rc = store_exec(st, "PRAGMA synchronous = NORMAL");
	if (rc < 0) {
		snprintf(err, errlen, "%s: not a usable SQLite database: %s", path,
		         sqlite3_errmsg(st->db));
		goto fail;
	}
	if (!(flags & STORE_READONLY)) {
		rc = store_migrate(st, why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", path, why);
			goto fail;
		}
	} else {
		rc = store_user_version(st, &v);
		if (rc == 0 && v != store_schema_version())
			rc = v > store_schema_version() ? RW_ESCHEMA : RW_EIO;
		if (rc < 0) {
			snprintf(err, errlen, "%s: schema version does not match this runwarden",
			         path);
			goto fail;
		}
	}
	rc = prepare_hot(st);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->ins_sample);
	sqlite3_finalize(st->ins_change);
	sqlite3_finalize(st->upd_last_state);
	sqlite3_finalize(st->upd_tick);
	sqlite3_finalize(st->ins_blind);
	sqlite3_finalize(st->ins_flag);
	sqlite3_finalize(st->open_incident);
	sqlite3_finalize(st->close_incident);
	sqlite3_finalize(st->ev_incident);
	sqlite3_finalize(st->ins_event);
	sqlite3_close(st->db);
	free(st);
}

const char *store_blind_cause_name(int cause)
{
	switch (cause) {
	case STORE_BLIND_DOWNTIME: return "downtime";
	case STORE_BLIND_TICK_GAP: return "tick_gap";
	case STORE_BLIND_CANARY: return "canary";
	case STORE_BLIND_CORRELATED: return "correlated";
	case STORE_BLIND_STORAGE: return "storage";
	}
	return "unknown";
}

static int step_reset(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

static int insert_event(struct store *st, int64_t at_ms, const char *kind, int64_t runner_id,
                        const char *data)
{
	sqlite3_stmt *s = st->ins_event;

	sqlite3_bind_int64(s, 1, at_ms);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, runner_id);
	sqlite3_bind_text(s, 4, data, -1, SQLITE_TRANSIENT);
	return step_reset(s);
}

static int write_one(struct store *st, const struct store_rec *r)
{
	sqlite3_stmt *s;
	int rc;

	switch (r->kind) {
	case STORE_REC_SAMPLE:
		s = st->ins_sample;
		sqlite3_bind_int64(s, 1, r->u.sample.runner_id);
		sqlite3_bind_int64(s, 2, r->u.sample.ts_ms);
		sqlite3_bind_int(s, 3, r->u.sample.errclass);
		sqlite3_bind_int(s, 4, r->u.sample.http_status);
		sqlite3_bind_int(s, 5, r->u.sample.latency_us);
		return step_reset(s);
	case STORE_REC_CHANGE:
		s = st->ins_change;
		sqlite3_bind_int64(s, 1, r->u.change.runner_id);
		sqlite3_bind_int64(s, 2, r->u.change.start_ms);
		sqlite3_bind_int(s, 3, r->u.change.state);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		s = st->upd_last_state;
		sqlite3_bind_int64(s, 1, r->u.change.runner_id);
		sqlite3_bind_int(s, 2, r->u.change.state);
		sqlite3_bind_int64(s, 3, r->u.change.start_ms);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		s = r->u.change.state == RW_STATE_DOWN ? st->open_incident : st->close_incident;
		sqlite3_bind_int64(s, 1, r->u.change.runner_id);
		sqlite3_bind_int64(s, 2, r->u.change.start_ms);
		rc = step_reset(s);
		if (rc < 0 || s != st->open_incident || sqlite3_changes(st->db) == 0)
			return rc;
		/* An incident opened (or revived): its event, in this batch. */
		s = st->ev_incident;
		sqlite3_bind_int64(s, 1, r->u.change.runner_id);
		sqlite3_bind_int64(s, 2, r->u.change.start_ms);
		return step_reset(s);
	case STORE_REC_TICK:
		s = st->upd_tick;
		sqlite3_bind_int64(s, 1, r->u.tick.run_id);
		sqlite3_bind_int64(s, 2, r->u.tick.ts_ms);
		return step_reset(s);
	case STORE_REC_FLAG: {
		char reason[96];
		snprintf(reason, sizeof(reason), "uptime %.6f %s %.6f", r->u.flag.uptime_ppm / 1e6,
		         r->u.flag.flagged ? "<" : ">=", r->u.flag.threshold_ppm / 1e6);
		s = st->ins_flag;
		sqlite3_bind_int64(s, 1, r->u.flag.runner_id);
		sqlite3_bind_int64(s, 2, r->u.flag.at_ms);
		sqlite3_bind_int(s, 3, r->u.flag.flagged);
		sqlite3_bind_int64(s, 4, r->u.flag.uptime_ppm);
		sqlite3_bind_int64(s, 5, r->u.flag.threshold_ppm);
		if (r->u.flag.policy_id > 0)
			sqlite3_bind_int64(s, 6, r->u.flag.policy_id);
		else
			sqlite3_bind_null(s, 6);
		sqlite3_bind_text(s, 7, reason, -1, SQLITE_TRANSIENT);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		snprintf(reason, sizeof(reason), "{\"uptime\":%.6f,\"threshold\":%.6f}",
		         r->u.flag.uptime_ppm / 1e6, r->u.flag.threshold_ppm / 1e6);
		return insert_event(st, r->u.flag.at_ms,
		                    r->u.flag.flagged ? "flagged" : "unflagged",
		                    r->u.flag.runner_id, reason);
	}
	case STORE_REC_EVENT: {
		static const char *const kinds[] = {
		        [STORE_EV_ELIGIBLE] = "eligible",
		        [STORE_EV_INELIGIBLE] = "ineligible",
		        [STORE_EV_MAINT_START] = "maintenance_start",
		        [STORE_EV_MAINT_END] = "maintenance_end",
		};
		char data[64] = "{}";
		if (r->u.event.kind < STORE_EV_ELIGIBLE || r->u.event.kind > STORE_EV_MAINT_END)
			return RW_EINVAL;
		if (r->u.event.kind == STORE_EV_INELIGIBLE)
			snprintf(data, sizeof(data), "{\"reason\":\"%s\"}",
			         store_reason_name(r->u.event.reason));
		return insert_event(st, r->u.event.at_ms, kinds[r->u.event.kind],
		                    r->u.event.runner_id, data);
	}
	case STORE_REC_BLIND:
		s = st->ins_blind;
		sqlite3_bind_int64(s, 1, r->u.blind.start_ms);
		sqlite3_bind_int64(s, 2, r->u.blind.end_ms);
		sqlite3_bind_text(s, 3, store_blind_cause_name(r->u.blind.cause), -1,
		                  SQLITE_STATIC);
		return step_reset(s);
	}
	return RW_EINVAL;
}

int store_write_batch(struct store *st, const struct store_rec *recs, size_t n)
{
	int rc = store_begin(st);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = write_one(st, &recs[i]);
		if (rc < 0) {
			store_rollback(st);
			return rc;
		}
	}
	rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	return rc;
}

int store_run_begin(struct store *st, int64_t now_ms, int64_t *run_id, int64_t *prev_tick_ms)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = store_last_tick(st, prev_tick_ms);
	if (rc < 0)
		return rc;
	rc = store_prepare(st, "INSERT INTO monitor_runs (started_ms, last_tick_ms) VALUES (?, ?)",
	                   &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, now_ms);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_rc(rc);
	*run_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_last_tick(struct store *st, int64_t *tick_ms)
{
	sqlite3_stmt *s;
	int rc = store_prepare(st, "SELECT MAX(last_tick_ms) FROM monitor_runs", &s);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(s);
	*tick_ms = (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
	                   ? sqlite3_column_int64(s, 0)
	                   : -1;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	sqlite3_finalize(s);
	return rc;
}

int store_intervals(struct store *st, int64_t runner_id, int64_t from_ms, int64_t to_ms,
                    struct rw_interval **out, size_t *n)
{
	sqlite3_stmt *s;
	struct rw_interval *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(
	        st,
	        "SELECT start_ms, state FROM intervals WHERE runner_id = ?1 AND start_ms >="
	        " IFNULL((SELECT MAX(start_ms) FROM intervals WHERE runner_id = ?1"
	        " AND start_ms <= ?2), ?2) AND start_ms < ?3 ORDER BY start_ms",
	        &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, runner_id);
	sqlite3_bind_int64(s, 2, from_ms);
	sqlite3_bind_int64(s, 3, to_ms);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].start_ms = sqlite3_column_int64(s, 0);
		v[len].state = (enum rw_state)sqlite3_column_int(s, 1);
		len++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

int store_sample_count(struct store *st, int64_t runner_id, int64_t *count)
{
	sqlite3_stmt *s;
	int rc = store_prepare(st, "SELECT COUNT(*) FROM samples WHERE runner_id = ?", &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, runner_id);
	rc = sqlite3_step(s);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	sqlite3_finalize(s);
	return rc;
}

int store_purge_samples(struct store *st, int64_t before_ms, int limit, int *deleted)
{
	sqlite3_stmt *s;
	int rc = store_prepare(st,
	                       "DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples"
	                       " WHERE ts_ms < ? ORDER BY ts_ms LIMIT ?)",
	                       &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, before_ms);
	sqlite3_bind_int(s, 2, limit);
	rc = sqlite3_step(s);
	*deleted = rc == SQLITE_DONE ? sqlite3_changes(st->db) : 0;
	rc = rc == SQLITE_DONE ? 0 : store_rc(rc);
	sqlite3_finalize(s);
	return rc;
}

int store_record_policy(struct store *st, const char *sha256_hex, int version, const char *body,
                        int64_t now_ms, int64_t *id)
{
	sqlite3_stmt *s;
	int rc, same = 0;

	rc = store_prepare(st, "SELECT sha256, id FROM policy_versions ORDER BY id DESC LIMIT 1",
	                   &s);
	if (rc < 0)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		same = t && strcmp((const char *)t, sha256_hex) == 0;
		if (same && id)
			*id = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (same)
		return 0;
	rc = store_prepare(st,
	                   "INSERT INTO policy_versions (sha256, version, body, effective_ms)"
	                   " VALUES (?, ?, ?, ?)",
	                   &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(s, 1, sha256_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, version);
	sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

int store_policy_row(sqlite3_stmt *s, struct store_policy_version *out)
{
	const unsigned char *sha;
	int rc, oom = 0;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		sha = sqlite3_column_text(s, 1);
		snprintf(out->sha256, sizeof(out->sha256), "%s", sha ? (const char *)sha : "");
		out->version = sqlite3_column_int(s, 2);
		out->body = store_col_strdup(s, 3, &oom);
		out->effective_ms = sqlite3_column_int64(s, 4);
		rc = oom ? RW_ENOMEM : out->body ? 0 : RW_EIO;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	sqlite3_finalize(s);
	if (rc < 0)
		store_policy_version_deinit(out);
	return rc;
}

int store_policy_latest(struct store *st, struct store_policy_version *out)
{
	sqlite3_stmt *s;
	int rc = store_prepare(st,
	                       "SELECT id, sha256, version, body, effective_ms FROM policy_versions"
	                       " ORDER BY id DESC LIMIT 1",
	                       &s);

	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return store_policy_row(s, out);
}

void store_policy_version_deinit(struct store_policy_version *pv)
{
	if (!pv)
		return;
	free(pv->body);
	memset(pv, 0, sizeof(*pv));
}

int store_integrity_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc = store_prepare(st, "PRAGMA integrity_check", &s);
	if (rc < 0) {
		snprintf(err, errlen, "integrity_check: %s", sqlite3_errmsg(st->db));
		return rc;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		rc = t && strcmp(t, "ok") == 0 ? 0 : RW_EIO;
		if (rc < 0)
			snprintf(err, errlen, "integrity_check: %s", t ? t : "(null)");
	} else {
		rc = store_rc(rc);
		snprintf(err, errlen, "integrity_check: %s", sqlite3_errmsg(st->db));
	}
	sqlite3_finalize(s);
	return rc;
}

int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen)
{
	sqlite3 *dest = NULL;
	sqlite3_backup *b;
	struct store *check = NULL;
	int rc;

	if (access(dest_path, F_OK) == 0) {
		snprintf(err, errlen, "%s: already exists; choose a new file name", dest_path);
		return RW_EEXIST;
	}
	rc = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot create: %s", dest_path,
		         dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
		sqlite3_close(dest);
		return RW_EIO;
	}
	b = sqlite3_backup_init(dest, "main", st->db, "main");
	if (!b) {
		snprintf(err, errlen, "%s: backup failed: %s", dest_path, sqlite3_errmsg(dest));
		sqlite3_close(dest);
		unlink(dest_path);
		return RW_EIO;
	}
	/* Copy in steps so a busy writer is not locked out for the whole copy. */
	do {
		rc = sqlite3_backup_step(b, 1024);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: backup failed: %s", dest_path, sqlite3_errstr(rc));
		sqlite3_close(dest);
		unlink(dest_path);
		return RW_EIO;
	}
	sqlite3_close(dest);
	rc = store_open(&check, dest_path, 0, err, errlen);
	if (rc == 0)
		rc = store_integrity_check(check, err, errlen);
	store_close(check);
	return rc;
}
