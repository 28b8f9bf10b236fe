/* SPDX-License-Identifier: MIT */
/*
 * store_schema.c — the schema: its migrations, applied by PRAGMA
 * user_version.
 *
 * Invariants: migrations are append-only; migration i brings user_version
 * from i to i + 1, and all pending ones run in one transaction. A file with
 * a higher user_version than this binary knows is refused (RW_ESCHEMA),
 * never written. A file with a schema is copied (online backup API) inside
 * that transaction before the first step; no copy, no migration.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <time.h>

#include "policy/base/rw_error.h"

/* Each entry is one migration; never edit one that has shipped. */
static const char *const migrations[] = {
        /* 0 → 1: the first schema. */
        "CREATE TABLE operators ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  email TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL);"
        "CREATE TABLE tokens ("
        "  id INTEGER PRIMARY KEY,"
        "  operator_id INTEGER NOT NULL REFERENCES operators(id),"
        "  sha256 BLOB NOT NULL UNIQUE,"
        "  created_ms INTEGER NOT NULL,"
        "  expires_ms INTEGER,"
        "  revoked_ms INTEGER);"
        "CREATE TABLE runners ("
        "  id INTEGER PRIMARY KEY,"
        "  operator_id INTEGER NOT NULL REFERENCES operators(id),"
        "  name TEXT NOT NULL UNIQUE,"
        "  kind TEXT NOT NULL CHECK (kind IN ('http', 'push', 'github')),"
        "  url TEXT,"
        "  status INTEGER NOT NULL CHECK (status IN (0, 1, 2)),"
        "  interval_s INTEGER NOT NULL DEFAULT 0,"
        "  timeout_ms INTEGER NOT NULL DEFAULT 0,"
        "  created_ms INTEGER NOT NULL,"
        "  retired_ms INTEGER NOT NULL DEFAULT 0,"
        "  gen INTEGER NOT NULL,"
        "  last_state INTEGER NOT NULL DEFAULT 0,"
        "  last_state_ms INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX runners_gen ON runners(gen);"
        "CREATE TABLE runner_targets ("
        "  runner_id INTEGER NOT NULL REFERENCES runners(id),"
        "  target TEXT NOT NULL,"
        "  PRIMARY KEY (runner_id, target)) WITHOUT ROWID;"
        "CREATE INDEX runner_targets_target ON runner_targets(target);"
        "CREATE TABLE states (code INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        "INSERT INTO states VALUES (0,'unknown'),(1,'up'),(2,'down'),(3,'maintenance'),"
        "  (4,'outside_window');"
        "CREATE TABLE error_classes (code INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        "INSERT INTO error_classes VALUES (0,'ok'),(1,'dns'),(2,'connect'),(3,'tls'),"
        "  (4,'timeout'),(5,'http_status'),(6,'body'),(7,'too_large'),(8,'refused_by_guard');"
        "CREATE TABLE samples ("
        "  runner_id INTEGER NOT NULL,"
        "  ts_ms INTEGER NOT NULL,"
        "  errclass INTEGER NOT NULL,"
        "  http_status INTEGER NOT NULL,"
        "  latency_us INTEGER NOT NULL);"
        "CREATE INDEX samples_runner_ts ON samples(runner_id, ts_ms);"
        "CREATE INDEX samples_ts ON samples(ts_ms);"
        "CREATE TABLE intervals ("
        "  runner_id INTEGER NOT NULL,"
        "  start_ms INTEGER NOT NULL,"
        "  state INTEGER NOT NULL,"
        "  PRIMARY KEY (runner_id, start_ms)) WITHOUT ROWID;"
        "CREATE TABLE monitor_runs ("
        "  id INTEGER PRIMARY KEY,"
        "  started_ms INTEGER NOT NULL,"
        "  last_tick_ms INTEGER NOT NULL);"
        "CREATE TABLE blind_periods ("
        "  id INTEGER PRIMARY KEY,"
        "  start_ms INTEGER NOT NULL,"
        "  end_ms INTEGER NOT NULL,"
        "  cause TEXT NOT NULL);"
        "CREATE TABLE policy_versions ("
        "  id INTEGER PRIMARY KEY,"
        "  sha256 TEXT NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  body TEXT NOT NULL,"
        "  effective_ms INTEGER NOT NULL);",
        /* 1 → 2: flags, each with the policy version and the figures. */
        "CREATE TABLE flags ("
        "  id INTEGER PRIMARY KEY,"
        "  runner_id INTEGER NOT NULL REFERENCES runners(id),"
        "  at_ms INTEGER NOT NULL,"
        "  flagged INTEGER NOT NULL CHECK (flagged IN (0, 1)),"
        "  uptime_ppm INTEGER NOT NULL,"
        "  threshold_ppm INTEGER NOT NULL,"
        "  policy_id INTEGER REFERENCES policy_versions(id),"
        "  reason TEXT NOT NULL);"
        "CREATE INDEX flags_runner ON flags(runner_id, at_ms);",
        /* 2 → 3: declared maintenance windows (store_maintenance.c). */
        "CREATE TABLE maintenance ("
        "  id INTEGER PRIMARY KEY,"
        "  runner_id INTEGER NOT NULL REFERENCES runners(id),"
        "  start_ms INTEGER NOT NULL,"
        "  end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),"
        "  declared_ms INTEGER NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  removed_ms INTEGER);"
        "CREATE INDEX maintenance_runner ON maintenance(runner_id, start_ms);",
        /* 3 → 4: the operator API. Tokens may be scoped to one runner (push
         * heartbeats) and carry a label; incidents are derived from the
         * intervals by the writer (one per DOWN interval, see write_one()),
         * and carry the operator's acknowledge and mitigate times. Like
         * intervals, incidents have no foreign key: the writer's batches
         * must not fail on a runner the loop thread has not seen yet. */
        "ALTER TABLE tokens ADD COLUMN runner_id INTEGER REFERENCES runners(id);"
        "ALTER TABLE tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';"
        "CREATE INDEX tokens_operator ON tokens(operator_id);"
        "CREATE TABLE incidents ("
        "  id INTEGER PRIMARY KEY,"
        "  runner_id INTEGER NOT NULL,"
        "  start_ms INTEGER NOT NULL,"
        "  end_ms INTEGER,"
        "  voided INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),"
        "  ack_ms INTEGER,"
        "  ack_note TEXT,"
        "  mitigated_ms INTEGER,"
        "  mitigated_note TEXT,"
        "  UNIQUE (runner_id, start_ms));"
        "CREATE INDEX incidents_start ON incidents(start_ms);"
        "CREATE INDEX incidents_open ON incidents(runner_id) WHERE end_ms IS NULL;",
        /* 4 → 5: daily rollups of the raw samples (store_rollup.c), so that
         * reports read a row per runner-day, not every sample. latency and
         * fail_runs are sparse histograms (policy/rollup.h); rollup_days
         * lists the days done. (day, runner_id) is the key: a month is one
         * range scan. */
        "CREATE TABLE rollups ("
        "  day INTEGER NOT NULL,"
        "  runner_id INTEGER NOT NULL,"
        "  samples INTEGER NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  latency BLOB NOT NULL,"
        "  fail_runs BLOB NOT NULL,"
        "  PRIMARY KEY (day, runner_id)) WITHOUT ROWID;"
        "CREATE TABLE rollup_days ("
        "  day INTEGER PRIMARY KEY,"
        "  runners INTEGER NOT NULL,"
        "  samples INTEGER NOT NULL);",
        /* 5 → 6: the events outbox (store_events.c) and runner labels. Each row is written in
         * the transaction of the change it records; AUTOINCREMENT keeps ids
         * strictly increasing even after the newest rows are deleted.
         * webhook_cursors holds each webhook's last delivered event. */
        "CREATE TABLE events ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  at_ms INTEGER NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  runner_id INTEGER,"
        "  data TEXT NOT NULL DEFAULT '{}');"
        "CREATE TABLE webhook_cursors ("
        "  url TEXT PRIMARY KEY,"
        "  last_id INTEGER NOT NULL,"
        "  updated_ms INTEGER NOT NULL);"
        /* Labels (GitHub runs-on labels): GET /v1/route?label=L. */
        "CREATE TABLE runner_labels ("
        "  runner_id INTEGER NOT NULL REFERENCES runners(id),"
        "  label TEXT NOT NULL,"
        "  PRIMARY KEY (runner_id, label)) WITHOUT ROWID;"
        "CREATE INDEX runner_labels_label ON runner_labels(label);",
        /* 6 → 7: GitHub as a heartbeat source (store_github.c). A pool is a
         * runner of kind 'github' with `github` set ("OWNER" or
         * "OWNER/REPO") and its labels in runner_labels; a member is a
         * runner of kind 'github' with pool_id set, created by the daemon
         * for each self-hosted runner of the pool's source that carries all
         * of the pool's labels. One live member per (pool, GitHub runner id):
         * a retired member leaves the index, so a runner that comes back
         * after its member was retired becomes a new member (retired stays
         * retired, policy/registration.h). github_jobs holds workflow jobs
         * from the webhook (never moved backwards, see store_github.c);
         * github_deliveries the X-GitHub-Delivery ids already taken. */
        "ALTER TABLE runners ADD COLUMN github TEXT;"
        "ALTER TABLE runners ADD COLUMN min_online INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE runners ADD COLUMN pickup_within_s INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE runners ADD COLUMN pool_id INTEGER REFERENCES runners(id);"
        "ALTER TABLE runners ADD COLUMN github_id INTEGER;"
        "ALTER TABLE runners ADD COLUMN github_name TEXT;"
        "ALTER TABLE runners ADD COLUMN gone_ms INTEGER NOT NULL DEFAULT 0;"
        "CREATE UNIQUE INDEX runners_github_member ON runners(pool_id, github_id)"
        "  WHERE pool_id IS NOT NULL AND status <> 2;"
        "INSERT INTO error_classes VALUES (9,'offline'),(10,'gone'),(11,'below_min_online'),"
        "  (12,'no_pickup');"
        "CREATE TABLE github_jobs ("
        "  id INTEGER PRIMARY KEY,"
        "  run_id INTEGER,"
        "  repo TEXT,"
        "  name TEXT,"
        "  labels TEXT NOT NULL,"
        "  status TEXT NOT NULL"
        "    CHECK (status IN ('queued', 'in_progress', 'completed', 'waiting')),"
        "  conclusion TEXT,"
        "  queued_ms INTEGER,"
        "  started_ms INTEGER NOT NULL DEFAULT 0,"
        "  completed_ms INTEGER NOT NULL DEFAULT 0,"
        "  runner_name TEXT,"
        "  updated_ms INTEGER NOT NULL);"
        "CREATE INDEX github_jobs_queued ON github_jobs(queued_ms);"
        "CREATE TABLE github_deliveries ("
        "  guid TEXT PRIMARY KEY,"
        "  received_ms INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX github_deliveries_received ON github_deliveries(received_ms);",
        /* 7 → 8: notifications (monitor/notify). A runner's "down" and "up"
         * events alternate: the writer reads the runner's last one (through
         * this index) to decide whether a change is news to a human. */
        "CREATE INDEX events_updown ON events(runner_id, id) WHERE kind IN ('down', 'up');",
        /* 8 → 9: the admin may waive a runner's probation (`runner approve
         * --no-probation`, {"probation": false} in the API's approve): its
         * probation ends at this time if it had not ended before (0: not
         * waived; policy_probation_end_ms()). */
        "ALTER TABLE runners ADD COLUMN probation_waived_ms INTEGER NOT NULL DEFAULT 0;",
        /* 9 → 10: vantage points (store_vantage.c). Each daemon registers
         * its vantage (`serve --vantage NAME`) by name and tags what it
         * writes: its samples, its monitor_runs row, its blind periods.
         * vantages.last_tick_ms is its heartbeat (every tick); vantage_states
         * holds each vantage's own current state of each runner (its own
         * state machine, backdated as the intervals are). The tag is a
         * column with DEFAULT 0, cheap to add to a large samples table, and
         * 0 means "written before vantages existed": the first vantage to
         * register in a database takes id 0 (store_vantage_register()), so
         * that the rows a single daemon wrote before this migration are
         * its own. No foreign keys, as for intervals: a batch must not fail
         * on a row the loop thread has not seen. */
        "CREATE TABLE vantages ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  first_seen_ms INTEGER NOT NULL,"
        "  last_tick_ms INTEGER NOT NULL);"
        "ALTER TABLE samples ADD COLUMN vantage_id INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE monitor_runs ADD COLUMN vantage_id INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE blind_periods ADD COLUMN vantage_id INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE vantage_states ("
        "  vantage_id INTEGER NOT NULL,"
        "  runner_id INTEGER NOT NULL,"
        "  state INTEGER NOT NULL,"
        "  since_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (vantage_id, runner_id)) WITHOUT ROWID;"
        "CREATE INDEX vantage_states_runner ON vantage_states(runner_id);",
        /* 10 → 11: every daemon's run keeps its own last tick (last_tick_ms:
         * its vantage's coverage in the report), and led_until_ms is the
         * last tick it made as the leader (-1: it never led), which a
         * takeover reads as the old leader's (store_last_run()). Before,
         * only the leader's ticks were written: its runs led throughout. */
        "ALTER TABLE monitor_runs ADD COLUMN led_until_ms INTEGER NOT NULL DEFAULT -1;"
        "UPDATE monitor_runs SET led_until_ms = last_tick_ms;",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_version(void)
{
	return N_MIGRATIONS;
}

int store_user_version(struct store *st, int *v)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "PRAGMA user_version", &s);
	if (rc < 0)
		return rc;
	rc = store_step(s);
	*v = rc == SQLITE_ROW ? store_column_int(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

/* The copy taken before migrating the database at @p path from schema
 * @p from: PATH.schemaFROM-YYYYMMDDTHHMMSSZ.bak beside it (same file system,
 * and the one place a hardened service may write: its state directory). */
static int backup_before(struct store *st, const char *path, int from, char *err, size_t errlen)
{
	time_t now = time(NULL);
	sqlite3 *src = NULL;
	struct tm tm;
	char stamp[32];
	int rc;

	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	if ((size_t)snprintf(st->migration_backup, sizeof(st->migration_backup),
	                     "%s.schema%d-%s.bak", path, from,
	                     stamp) >= sizeof(st->migration_backup)) {
		snprintf(err, errlen, "the path of the copy before migrating is too long");
		return RW_EINVAL;
	}
	/* A connection of its own reads the copy: SQLite's backup cannot read
	 * from a connection in a write transaction. This one holds the write
	 * lock, so the reader sees exactly what the migration will change. */
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open it to copy: %s", path,
		         src ? sqlite3_errmsg(src) : "out of memory");
		sqlite3_close(src);
		st->migration_backup[0] = '\0';
		return RW_EIO;
	}
	sqlite3_busy_timeout(src, 5000);
	rc = store_copy_db(src, st->migration_backup, err, errlen);
	sqlite3_close(src);
	if (rc < 0)
		st->migration_backup[0] = '\0';
	return rc;
}

int store_migrate(struct store *st, const char *path, char *err, size_t errlen)
{
	int v, from, rc;
	char sql[64], why[1400];

	rc = store_begin(st);
	if (rc < 0)
		goto fail;
	rc = store_user_version(st, &v);
	if (rc < 0)
		goto fail;
	if (v > N_MIGRATIONS) {
		store_rollback(st);
		snprintf(err, errlen,
		         "schema version %d is newer than this runwarden knows (%d); upgrade "
		         "runwarden",
		         v, N_MIGRATIONS);
		return RW_ESCHEMA;
	}
	/* A database with data is copied first, while this transaction holds
	 * the write lock (nothing changes between the copy and the first step).
	 * A new file (version 0) holds nothing to keep. */
	from = v;
	if (v > 0 && v < N_MIGRATIONS) {
		rc = backup_before(st, path, v, why, sizeof(why));
		if (rc < 0) {
			store_rollback(st);
			snprintf(err, errlen,
			         "not migrating schema %d to %d: the copy before it failed: %s; "
			         "nothing was changed",
			         v, N_MIGRATIONS, why);
			return rc;
		}
	}
	for (; v < N_MIGRATIONS; v++) {
		rc = store_exec(st, migrations[v]);
		if (rc < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		rc = store_exec(st, sql);
		if (rc < 0)
			goto fail;
	}
	rc = store_commit(st);
	if (rc < 0)
		goto fail;
	st->migrated_from = from > 0 && from < N_MIGRATIONS ? from : 0;
	return 0;
fail:
	snprintf(err, errlen, "migrating the schema failed: %s", sqlite3_errmsg(st->db));
	store_rollback(st);
	return rc;
}
