/* SPDX-License-Identifier: MIT */
/*
 * store.c — opening and closing the SQLite database, its integrity check
 * and online backup. The SQLite plumbing is in store_sql.c, the schema and
 * its migrations in store_schema.c, the writer's batches and the history in
 * store_history.c, policy versions in store_policy.c, the registry
 * (operators, runners) in store_registry.c, declared maintenance windows in
 * store_maintenance.c, and so on by table; the online copy itself
 * (store_copy_db()) in store_copy.c.
 *
 * A libpq URI instead of a file path opens a PostgreSQL database
 * (store_pg.c) with the same store files on top; the file-only parts here
 * (WAL, the online backup) answer for it as the comments say.
 *
 * Invariants:
 *  - The file is in WAL mode with foreign keys on and a busy timeout, so the
 *    loop thread's reads never wait for the writer's transactions.
 *  - A file with a higher user_version than this binary knows is refused
 *    (RW_ESCHEMA) before anything is written (store_schema.c migrates).
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/base/rw_error.h"

static int prepare_hot(struct store *st)
{
	int rc;

	rc = store_prepare(
	        st,
	        "INSERT INTO samples (runner_id, ts_ms, errclass, http_status, latency_us,"
	        " vantage_id) VALUES (?, ?, ?, ?, ?, ?)",
	        &st->ins_sample);
	if (rc == 0)
		rc = store_prepare_dialect(
		        st,
		        "INSERT OR REPLACE INTO intervals (runner_id, start_ms, state)"
		        " VALUES (?, ?, ?)",
		        "INSERT INTO intervals (runner_id, start_ms, state) VALUES (?, ?, ?)"
		        " ON CONFLICT (runner_id, start_ms) DO UPDATE SET state = excluded.state",
		        &st->ins_change);
	if (rc == 0)
		rc = store_prepare(st,
		                   "UPDATE runners SET last_state = ?2, last_state_ms = ?3"
		                   " WHERE id = ?1 AND last_state_ms <= ?3",
		                   &st->upd_last_state);
	if (rc == 0)
		rc = store_prepare_dialect(
		        st,
		        "UPDATE monitor_runs SET last_tick_ms = MAX(last_tick_ms, ?2),"
		        " led_until_ms = CASE WHEN ?3 <> 0 THEN MAX(led_until_ms, ?2)"
		        " ELSE led_until_ms END WHERE id = ?1",
		        "UPDATE monitor_runs SET last_tick_ms = GREATEST(last_tick_ms, ?2),"
		        " led_until_ms = CASE WHEN ?3 <> 0 THEN GREATEST(led_until_ms, ?2)"
		        " ELSE led_until_ms END WHERE id = ?1",
		        &st->upd_tick);
	if (rc == 0)
		rc = store_prepare(st,
		                   "INSERT INTO blind_periods (start_ms, end_ms, cause, vantage_id)"
		                   " VALUES (?, ?, ?, ?)",
		                   &st->ins_blind);
	/* A vantage's own state of a runner: the latest change it pushed is
	 * its current state, whatever its start (store_rec_kind). */
	if (rc == 0)
		rc = store_prepare(st,
		                   "INSERT INTO vantage_states (vantage_id, runner_id, state,"
		                   " since_ms) VALUES (?1, ?2, ?3, ?4)"
		                   " ON CONFLICT (vantage_id, runner_id) DO UPDATE SET"
		                   " state = excluded.state, since_ms = excluded.since_ms",
		                   &st->ins_vstate);
	if (rc == 0)
		rc = store_prepare_dialect(
		        st,
		        "UPDATE vantages SET last_tick_ms = MAX(last_tick_ms, ?2)"
		        " WHERE id = (SELECT vantage_id FROM monitor_runs"
		        " WHERE id = ?1)",
		        "UPDATE vantages SET last_tick_ms = GREATEST(last_tick_ms,"
		        " ?2) WHERE id = (SELECT vantage_id FROM monitor_runs"
		        " WHERE id = ?1)",
		        &st->upd_vant_tick);
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
		rc = store_prepare_dialect(
		        st,
		        "INSERT INTO events (at_ms, kind, runner_id, data)"
		        " SELECT ?2, 'incident_open', ?1, json_object('incident_id', id)"
		        " FROM incidents WHERE runner_id = ?1 AND start_ms = ?2",
		        "INSERT INTO events (at_ms, kind, runner_id, data)"
		        " SELECT ?2, 'incident_open', ?1, '{\"incident_id\":' || id || '}'"
		        " FROM incidents WHERE runner_id = ?1 AND start_ms = ?2",
		        &st->ev_incident);
	/* Before close_incident: the incidents it is about to void. */
	if (rc == 0)
		rc = store_prepare_dialect(st,
		                           "INSERT INTO events (at_ms, kind, runner_id, data)"
		                           " SELECT ?2, 'incident_voided', ?1,"
		                           " json_object('incident_id', id, 'state', ?3)"
		                           " FROM incidents WHERE runner_id = ?1 AND end_ms IS NULL"
		                           " AND voided = 0 AND start_ms >= ?2",
		                           "INSERT INTO events (at_ms, kind, runner_id, data)"
		                           " SELECT ?2, 'incident_voided', ?1,"
		                           " '{\"incident_id\":' || id || ',\"state\":' || "
		                           "to_json(?3::text)::text || '}'"
		                           " FROM incidents WHERE runner_id = ?1 AND end_ms IS NULL"
		                           " AND voided = 0 AND start_ms >= ?2",
		                           &st->ev_voided);
	if (rc == 0)
		rc = store_prepare(
		        st, "INSERT INTO events (at_ms, kind, runner_id, data) VALUES (?, ?, ?, ?)",
		        &st->ins_event);
	/* "down" and "up" are what people are told (monitor/notify): a DOWN
	 * interval is news unless the runner's last down/up event already says
	 * down (an UNKNOWN stretch in between, such as a restart of the
	 * monitor, is not a recovery); an UP interval is news only after a
	 * "down". The last one is read through the partial index events_updown
	 * (whose WHERE the query repeats literally). */
	if (rc == 0)
		rc = store_prepare_dialect(
		        st,
		        "INSERT INTO events (at_ms, kind, runner_id, data)"
		        " SELECT ?2, 'down', ?1, json_object('class',"
		        " (SELECT name FROM error_classes WHERE code = ?3),"
		        " 'http_status', NULLIF(?4, 0), 'incident_id',"
		        " (SELECT id FROM incidents WHERE runner_id = ?1 AND start_ms = ?2))"
		        " WHERE IFNULL((SELECT kind FROM events WHERE runner_id = ?1"
		        " AND kind IN ('down', 'up') ORDER BY id DESC LIMIT 1), 'up') <> 'down'",
		        "INSERT INTO events (at_ms, kind, runner_id, data)"
		        " SELECT ?2, 'down', ?1, '{\"class\":' || COALESCE(to_json((SELECT name"
		        " FROM error_classes WHERE code = ?3))::text, 'null') || "
		        "',\"http_status\":'"
		        " || COALESCE(NULLIF(?4, 0)::text, 'null') || ',\"incident_id\":'"
		        " || COALESCE((SELECT id FROM incidents WHERE runner_id = ?1"
		        " AND start_ms = ?2)::text, 'null') || '}'"
		        " WHERE COALESCE((SELECT kind FROM events WHERE runner_id = ?1"
		        " AND kind IN ('down', 'up') ORDER BY id DESC LIMIT 1), 'up') <> 'down'",
		        &st->ev_down);
	if (rc == 0)
		rc = store_prepare_dialect(
		        st,
		        "INSERT INTO events (at_ms, kind, runner_id, data)"
		        " SELECT ?2, 'up', ?1, json_object('down_since',"
		        " strftime('%Y-%m-%dT%H:%M:%SZ', e.at_ms / 1000, 'unixepoch'),"
		        " 'down_ms', MAX(?2 - e.at_ms, 0))"
		        " FROM (SELECT kind, at_ms FROM events WHERE runner_id = ?1"
		        " AND kind IN ('down', 'up') ORDER BY id DESC LIMIT 1) e"
		        " WHERE e.kind = 'down'",
		        "INSERT INTO events (at_ms, kind, runner_id, data)"
		        " SELECT ?2, 'up', ?1, '{\"down_since\":\"' || to_char(to_timestamp(e.at_ms"
		        " / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
		        " || '\",\"down_ms\":' || GREATEST(?2 - e.at_ms, 0) || '}'"
		        " FROM (SELECT kind, at_ms FROM events WHERE runner_id = ?1"
		        " AND kind IN ('down', 'up') ORDER BY id DESC LIMIT 1) e"
		        " WHERE e.kind = 'down'",
		        &st->ev_up);
	if (rc == 0 && st->backend == STORE_POSTGRES)
		rc = store_prepare(st,
		                   "INSERT INTO samples (runner_id, ts_ms, errclass, http_status,"
		                   " latency_us, vantage_id) SELECT *, ?6::bigint FROM"
		                   " unnest(?1::bigint[], ?2::bigint[], ?3::bigint[], ?4::bigint[],"
		                   " ?5::bigint[])",
		                   &st->ins_samples_pg);
	return rc;
}

static void pg_label(const char *uri, char *out, size_t outlen);

/* The URI as errors name it: without the password, if it holds one
 * (user:password@host); libpq's own messages never repeat it. */
void store_display_name(const char *path, char *out, size_t outlen)
{
	if (store_is_pg_uri(path))
		pg_label(path, out, outlen);
	else
		snprintf(out, outlen, "%s", path);
}

bool store_path_is_postgres(const char *path)
{
	return store_is_pg_uri(path);
}

static void pg_label(const char *uri, char *out, size_t outlen)
{
	const char *auth = strstr(uri, "://") + 3, *at = strchr(auth, '@'),
	           *slash = strchr(auth, '/'), *colon = strchr(auth, ':');

	if (at && (!slash || at < slash) && colon && colon < at)
		snprintf(out, outlen, "%.*s:***%s", (int)(colon - uri), uri, at);
	else
		snprintf(out, outlen, "%s", uri);
}

static int open_pg(struct store **out, const char *uri, unsigned flags, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	char label[1200], why[600];
	int rc;

	pg_label(uri, label, sizeof(label));
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", label);
		return RW_ENOMEM;
	}
	rc = store_pg_open(st, uri, flags, why, sizeof(why));
	if (rc == 0)
		rc = store_pg_migrate(st, flags, why, sizeof(why));
	if (rc == 0) {
		rc = prepare_hot(st);
		if (rc < 0)
			snprintf(why, sizeof(why), "%s", store_pg_errmsg(st));
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", label, why);
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

int store_open(struct store **out, const char *path, unsigned flags, char *err, size_t errlen)
{
	struct store *st;
	char why[400];
	int rc, oflags, v = 0;

	*out = NULL;
	if (store_is_pg_uri(path))
		return open_pg(out, path, flags, err, errlen);
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
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
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
	if (rc == 0 && !(flags & (STORE_READONLY | STORE_CREATE)) && v == 0) {
		/* A file with no schema (empty, or another program's): not a
		 * database to write a schema into unasked. */
		snprintf(err, errlen,
		         "%s: not a runwarden database (create one with `runwarden operator add`)",
		         path);
		rc = RW_ENOENT;
		goto fail;
	}
	if (rc == 0 && !(flags & STORE_READONLY))
		rc = store_exec(st, "PRAGMA journal_mode = WAL");
	if (rc == 0)
		rc = store_exec(st, "PRAGMA synchronous = NORMAL");
	if (rc == 0 && (flags & STORE_SMALL_CACHE)) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", STORE_SMALL_CACHE_KIB);
		rc = store_exec(st, sql);
	}
	/* Without a limit the WAL keeps its largest size, and after a full
	 * disk that is what filled it. */
	if (rc == 0 && !(flags & STORE_READONLY)) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d", STORE_WAL_LIMIT);
		rc = store_exec(st, sql);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: not a usable SQLite database: %s", path,
		         sqlite3_errmsg(st->db));
		goto fail;
	}
	if (!(flags & STORE_READONLY)) {
		rc = store_migrate(st, path, why, sizeof(why));
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
	store_finalize(st->ins_sample);
	store_finalize(st->ins_change);
	store_finalize(st->upd_last_state);
	store_finalize(st->upd_tick);
	store_finalize(st->ins_blind);
	store_finalize(st->ins_flag);
	store_finalize(st->open_incident);
	store_finalize(st->close_incident);
	store_finalize(st->ev_incident);
	store_finalize(st->ev_down);
	store_finalize(st->ev_up);
	store_finalize(st->ev_voided);
	store_finalize(st->ins_event);
	store_finalize(st->ins_samples_pg);
	store_finalize(st->ins_vstate);
	store_finalize(st->upd_vant_tick);
	if (st->backend == STORE_POSTGRES)
		store_pg_close(st);
	else
		sqlite3_close(st->db);
	free(st);
}

void store_set_busy_timeout(struct store *st, int ms)
{
	if (st->backend == STORE_POSTGRES)
		store_pg_set_lock_timeout(st, ms);
	else
		sqlite3_busy_timeout(st->db, ms);
}

int store_checkpoint(struct store *st)
{
	int rc;

	/* PostgreSQL checkpoints its own WAL. */
	if (st->backend == STORE_POSTGRES)
		return 0;
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_rc(rc);
}

int store_integrity_check(struct store *st, char *err, size_t errlen)
{
	struct store_stmt *s;
	int rc;

	if (st->backend == STORE_POSTGRES) {
		/* The server keeps its own pages whole (amcheck is its
		 * administrator's): what is checked here is that the schema is
		 * this runwarden's and every table reads. */
		int v;
		rc = store_pg_schema_version(st, &v);
		if (rc == 0 && v != store_schema_version())
			rc = RW_EIO;
		if (rc == 0)
			rc = store_exec(st, "SELECT count(*) FROM runners; SELECT count(*) FROM"
			                    " intervals; SELECT count(*) FROM events");
		if (rc < 0)
			snprintf(err, errlen, "integrity_check: %s",
			         v != store_schema_version() ? "schema version does not match"
			                                     : store_pg_errmsg(st));
		return rc;
	}
	rc = store_prepare(st, "PRAGMA integrity_check", &s);
	if (rc < 0) {
		snprintf(err, errlen, "integrity_check: %s", sqlite3_errmsg(st->db));
		return rc;
	}
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)store_column_text(s, 0);
		rc = t && strcmp(t, "ok") == 0 ? 0 : RW_EIO;
		if (rc < 0)
			snprintf(err, errlen, "integrity_check: %s", t ? t : "(null)");
	} else {
		rc = store_rc(rc);
		snprintf(err, errlen, "integrity_check: %s", sqlite3_errmsg(st->db));
	}
	store_finalize(s);
	return rc;
}

int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen)
{
	struct store *check = NULL;
	int rc;

	if (st->backend == STORE_POSTGRES) {
		snprintf(err, errlen,
		         "the database is on PostgreSQL: back it up with pg_dump (pg_dump -Fc -f "
		         "%s DBNAME), which copies it consistently while runwarden runs",
		         dest_path);
		return RW_EINVAL;
	}
	rc = store_copy_db(st->db, dest_path, err, errlen);
	if (rc < 0)
		return rc;
	rc = store_open(&check, dest_path, 0, err, errlen);
	if (rc == 0)
		rc = store_integrity_check(check, err, errlen);
	store_close(check);
	return rc;
}

int store_migrated_from(const struct store *st, const char **backup_path)
{
	if (backup_path)
		*backup_path =
		        st->migrated_from && st->migration_backup[0] ? st->migration_backup : NULL;
	return st->migrated_from;
}
