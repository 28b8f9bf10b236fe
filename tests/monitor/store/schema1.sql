-- SPDX-License-Identifier: MIT
-- schema1.sql — the database as runwarden's first schema (user_version 1,
-- monitor/store/store_schema.c, migration 0 -> 1, which never changes once
-- shipped) wrote it, for the tests of upgrading an old database
-- (test_store_upgrade.c, tests/contrib/test_upgrade.sh). Apply it to an
-- empty file, then PRAGMA user_version = 1.
CREATE TABLE operators (  id INTEGER PRIMARY KEY,  name TEXT NOT NULL UNIQUE,  email TEXT NOT NULL,  created_ms INTEGER NOT NULL);
CREATE TABLE tokens (  id INTEGER PRIMARY KEY,  operator_id INTEGER NOT NULL REFERENCES operators(id),  sha256 BLOB NOT NULL UNIQUE,  created_ms INTEGER NOT NULL,  expires_ms INTEGER,  revoked_ms INTEGER);
CREATE TABLE runners (  id INTEGER PRIMARY KEY,  operator_id INTEGER NOT NULL REFERENCES operators(id),  name TEXT NOT NULL UNIQUE,  kind TEXT NOT NULL CHECK (kind IN ('http', 'push', 'github')),  url TEXT,  status INTEGER NOT NULL CHECK (status IN (0, 1, 2)),  interval_s INTEGER NOT NULL DEFAULT 0,  timeout_ms INTEGER NOT NULL DEFAULT 0,  created_ms INTEGER NOT NULL,  retired_ms INTEGER NOT NULL DEFAULT 0,  gen INTEGER NOT NULL,  last_state INTEGER NOT NULL DEFAULT 0,  last_state_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX runners_gen ON runners(gen);
CREATE TABLE runner_targets (  runner_id INTEGER NOT NULL REFERENCES runners(id),  target TEXT NOT NULL,  PRIMARY KEY (runner_id, target)) WITHOUT ROWID;
CREATE INDEX runner_targets_target ON runner_targets(target);
CREATE TABLE states (code INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO states VALUES (0,'unknown'),(1,'up'),(2,'down'),(3,'maintenance'),  (4,'outside_window');
CREATE TABLE error_classes (code INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO error_classes VALUES (0,'ok'),(1,'dns'),(2,'connect'),(3,'tls'),  (4,'timeout'),(5,'http_status'),(6,'body'),(7,'too_large'),(8,'refused_by_guard');
CREATE TABLE samples (  runner_id INTEGER NOT NULL,  ts_ms INTEGER NOT NULL,  errclass INTEGER NOT NULL,  http_status INTEGER NOT NULL,  latency_us INTEGER NOT NULL);
CREATE INDEX samples_runner_ts ON samples(runner_id, ts_ms);
CREATE INDEX samples_ts ON samples(ts_ms);
CREATE TABLE intervals (  runner_id INTEGER NOT NULL,  start_ms INTEGER NOT NULL,  state INTEGER NOT NULL,  PRIMARY KEY (runner_id, start_ms)) WITHOUT ROWID;
CREATE TABLE monitor_runs (  id INTEGER PRIMARY KEY,  started_ms INTEGER NOT NULL,  last_tick_ms INTEGER NOT NULL);
CREATE TABLE blind_periods (  id INTEGER PRIMARY KEY,  start_ms INTEGER NOT NULL,  end_ms INTEGER NOT NULL,  cause TEXT NOT NULL);
CREATE TABLE policy_versions (  id INTEGER PRIMARY KEY,  sha256 TEXT NOT NULL,  version INTEGER NOT NULL,  body TEXT NOT NULL,  effective_ms INTEGER NOT NULL);
