/* SPDX-License-Identifier: MIT */
/*
 * test_store_github.c — the GitHub part of the store (store.h, "GitHub";
 * store_github.c) and its migration, against real SQLite files.
 *
 * The migration (6 → 7) on a file of the version before, with rows in it:
 * every row survives, the new columns read as their defaults, the new error
 * classes and tables are there. Pools and members as runners: what the store
 * refuses (a "github" runner that is neither exactly a pool nor exactly a
 * member), what it reads back. Members: idempotent upsert, one live member per
 * (pool, GitHub id), names (sanitized, ~ID on a clash), a retired member
 * replaced by a new one, gone and back, a pool's targets carried to its
 * members. Jobs: out-of-order and repeated deliveries never move a job
 * backwards, checked against the stored row after every step. Deliveries:
 * dedup and purge. What the store claims to have written is checked through
 * a second, plain SQLite connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h> /* SQLITE_OK */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T_RISCV      "riscv64gc-unknown-linux-gnu"
#define T_S390X      "s390x-unknown-linux-gnu"

struct fx {
	char dir[256];
	char db[1200];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-store-github");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
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

static struct store *open_db(struct fx *f)
{
	char err[512] = "";
	int rc = store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err));

	if (rc != 0)
		print_error("store_open: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	return f->st;
}

static void close_db(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
}

/* ---- a second, plain connection (rwtest.h) ------------------------------- */

static int64_t raw_int(const char *path, const char *sql)
{
	return rwt_sql_int(path, sql);
}

static void raw_text(const char *path, const char *sql, char *out, size_t outlen)
{
	rwt_sql_text(path, sql, out, outlen);
}

/* Runs @p sql; returns 0 (SQLITE_OK) or -1. */
static int raw_exec(const char *path, const char *sql)
{
	return rwt_sql_exec(path, sql);
}

/* The schema version as each backend keeps it. */
static int64_t schema_version(const char *db)
{
	return raw_int(db, rwt_db_is_pg(db) ? "SELECT version FROM runwarden_schema"
	                                    : "PRAGMA user_version");
}

/* ---- helpers -------------------------------------------------------------- */

static int64_t add_operator(struct store *st, const char *name)
{
	uint8_t tok[32];
	int64_t id = -1;

	memset(tok, name[0], sizeof(tok));
	assert_int_equal(store_operator_add(st, name, "ops@example.org", tok, 1000, &id), 0);
	return id;
}

static int64_t add_http(struct store *st, int64_t op, const char *name, const char *label)
{
	char *targets[] = {(char *)T_RISCV};
	char *labels[] = {(char *)label};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"http";
	r.url = (char *)"https://runner.example.org/health";
	r.targets = targets;
	r.n_targets = 1;
	r.labels = labels;
	r.n_labels = label ? 1 : 0;
	r.status = STORE_RUNNER_APPROVED;
	r.interval_s = 30;
	assert_int_equal(store_runner_add(st, &r, 2000), 0);
	return r.id;
}

static int64_t add_pool(struct store *st, int64_t op, const char *name, const char *source,
                        int status)
{
	char *targets[] = {(char *)T_S390X, (char *)T_RISCV};
	char *labels[] = {(char *)"self-hosted", (char *)"riscv64"};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"github";
	r.targets = targets;
	r.n_targets = 2;
	r.labels = labels;
	r.n_labels = 2;
	r.status = status;
	r.github = (char *)source;
	r.min_online = 2;
	r.pickup_within_s = 300;
	assert_int_equal(store_runner_add(st, &r, 3000), 0);
	return r.id;
}

static int64_t gen_of(struct store *st, int64_t id)
{
	struct store_runner r;
	int64_t g;

	assert_int_equal(store_runner_get(st, NULL, id, &r), 0);
	g = r.gen;
	store_runner_deinit(&r);
	return g;
}

/* ---- the migration ---------------------------------------------------------- */

/* Undoes migration 6 → 7 on a file written by this version, so that it is
 * the schema of version 6 with the rows it had. */
static void undo_github_migration(const char *db)
{
	assert_int_equal(raw_exec(db,
	                          "ALTER TABLE monitor_runs DROP COLUMN led_until_ms;" /* 11 */
	                          " DROP TABLE vantages; DROP TABLE vantage_states;"   /* 10 */
	                          " ALTER TABLE samples DROP COLUMN vantage_id;"
	                          " ALTER TABLE monitor_runs DROP COLUMN vantage_id;"
	                          " ALTER TABLE blind_periods DROP COLUMN vantage_id;"
	                          " ALTER TABLE runners DROP COLUMN probation_waived_ms;" /* 9 */
	                          " DROP INDEX IF EXISTS events_updown;" /* schema 8 */
	                          " DROP TABLE github_jobs; DROP TABLE github_deliveries;"
	                          " DROP INDEX runners_github_member;"
	                          " ALTER TABLE runners DROP COLUMN github;"
	                          " ALTER TABLE runners DROP COLUMN min_online;"
	                          " ALTER TABLE runners DROP COLUMN pickup_within_s;"
	                          " ALTER TABLE runners DROP COLUMN pool_id;"
	                          " ALTER TABLE runners DROP COLUMN github_id;"
	                          " ALTER TABLE runners DROP COLUMN github_name;"
	                          " ALTER TABLE runners DROP COLUMN gone_ms;"
	                          " DELETE FROM error_classes WHERE code >= 9;"),
	                 SQLITE_OK);
	assert_int_equal(raw_exec(db, rwt_db_is_pg(db) ? "UPDATE runwarden_schema SET version = 6"
	                                               : "PRAGMA user_version = 6"),
	                 SQLITE_OK);
}

static void test_migrate_from_6(void **state)
{
	struct fx *f = *state;
	struct store_runner *rs = NULL, r;
	struct store_rec recs[3];
	char sql[4096];
	int64_t op, a, b, c, count = 0;
	size_t n = 0;
	uint8_t hash[32];

	assert_true(store_schema_version() >= 7);
	open_db(f);
	op = add_operator(f->st, "acme");
	a = add_http(f->st, op, "alpha", "fast");
	b = add_http(f->st, op, "bravo", NULL);
	memset(hash, 7, sizeof(hash));
	assert_int_equal(store_token_add(f->st, op, b, hash, 4000, 0, NULL), 0);
	assert_int_equal(store_maintenance_add(f->st, a, 100000, 200000, 5000, "kernel", NULL), 0);
	memset(recs, 0, sizeof(recs));
	for (int i = 0; i < 3; i++) {
		recs[i].kind = STORE_REC_SAMPLE;
		recs[i].u.sample.runner_id = a;
		recs[i].u.sample.ts_ms = 10000 + i * 1000;
		recs[i].u.sample.errclass = i == 1 ? RW_ERRCLASS_TIMEOUT : RW_ERRCLASS_NONE;
		recs[i].u.sample.latency_us = 100;
	}
	assert_int_equal(store_write_batch(f->st, recs, 3), 0);
	close_db(f);

	undo_github_migration(f->db);
	raw_text(f->db,
	         rwt_db_is_pg(f->db)
	                 ? "SELECT string_agg(column_name || ' ' || CASE data_type WHEN 'text'"
	                   " THEN 'TEXT' ELSE 'INTEGER' END, ', ') FROM information_schema.columns"
	                   " WHERE table_name = 'runners'"
	                 : "SELECT sql FROM sqlite_master WHERE name = 'runners'",
	         sql, sizeof(sql));
	assert_null(strstr(sql, "github TEXT"));
	assert_null(strstr(sql, "gone_ms"));
	assert_null(strstr(sql, "pool_id"));
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM error_classes"), 9);

	open_db(f);
	assert_int_equal(schema_version(f->db), store_schema_version());
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM error_classes"), RW_ERRCLASS_COUNT);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM github_jobs"), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM github_deliveries"), 0);
	/* Every row is still there, as it was. */
	assert_int_equal(store_runner_list(f->st, 0, &rs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rs[0].id, a);
	assert_string_equal(rs[0].name, "alpha");
	assert_string_equal(rs[0].kind, "http");
	assert_string_equal(rs[0].url, "https://runner.example.org/health");
	assert_int_equal(rs[0].interval_s, 30);
	assert_int_equal(rs[0].n_labels, 1);
	assert_string_equal(rs[0].labels[0], "fast");
	assert_int_equal(rs[0].n_targets, 1);
	assert_string_equal(rs[0].targets[0], T_RISCV);
	assert_int_equal(rs[1].id, b);
	for (size_t i = 0; i < n; i++) {
		assert_null(rs[i].github);
		assert_int_equal(rs[i].min_online, 0);
		assert_int_equal(rs[i].pickup_within_s, 0);
		assert_int_equal(rs[i].pool_id, 0);
		assert_null(rs[i].pool_name);
		assert_int_equal(rs[i].github_id, 0);
		assert_null(rs[i].github_name);
		assert_int_equal(rs[i].gone_ms, 0);
		assert_false(store_runner_is_pool(&rs[i]));
		assert_false(store_runner_is_member(&rs[i]));
	}
	store_runners_free(rs, n);
	assert_int_equal(store_sample_count(f->st, a, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM tokens WHERE runner_id IS NOT NULL"),
	                 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM maintenance"), 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM events WHERE kind = 'registered'"),
	                 2);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM intervals"), 2);

	/* And the new things work on the migrated file. */
	c = add_pool(f->st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	assert_int_equal(store_runner_get(f->st, "pool", 0, &r), 0);
	assert_int_equal(r.id, c);
	assert_string_equal(r.github, "acme-org");
	store_runner_deinit(&r);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM samples s JOIN error_classes e ON"
	                                " e.code = s.errclass WHERE e.name = 'timeout'"),
	                 1);
	assert_int_equal(store_integrity_check(f->st, sql, sizeof(sql)), 0);
}

/* A file of version 7 or newer is not migrated again; a newer one is refused
 * (test_store.c covers the refusal in general). */
static void test_migrate_idempotent(void **state)
{
	struct fx *f = *state;
	int64_t op;

	open_db(f);
	op = add_operator(f->st, "acme");
	add_pool(f->st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	close_db(f);
	open_db(f);
	close_db(f);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners WHERE github = 'acme-org'"),
	                 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM error_classes"), RW_ERRCLASS_COUNT);
}

/* ---- pools and members as runners ------------------------------------------ */

static void test_pool_fields(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_runner r, *rs;
	char *targets[] = {(char *)T_RISCV};
	size_t n;
	int64_t op = add_operator(st, "acme");
	int64_t pool = add_pool(st, op, "pool", "acme-org/ci", STORE_RUNNER_PENDING);
	int64_t http = add_http(st, op, "plain", NULL);

	assert_int_equal(store_runner_get(st, NULL, pool, &r), 0);
	assert_string_equal(r.kind, "github");
	assert_null(r.url);
	assert_string_equal(r.github, "acme-org/ci");
	assert_int_equal(r.min_online, 2);
	assert_int_equal(r.pickup_within_s, 300);
	assert_int_equal(r.pool_id, 0);
	assert_int_equal(r.n_labels, 2);
	assert_string_equal(r.labels[0], "riscv64");
	assert_string_equal(r.labels[1], "self-hosted");
	assert_int_equal(r.status, STORE_RUNNER_PENDING);
	assert_true(store_runner_is_pool(&r));
	assert_false(store_runner_is_member(&r));
	store_runner_deinit(&r);

	/* What the store refuses, writing nothing. */
	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)"bad";
	r.kind = (char *)"github";
	r.targets = targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* neither */
	r.github = (char *)"acme-org";
	r.pool_id = pool;
	r.github_id = 5;
	r.github_name = (char *)"x";
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* both */
	r.pool_id = 0;
	r.github_id = 0;
	r.github_name = NULL;
	r.url = (char *)"https://runner.example.org/";
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* a URL */
	r.url = NULL;
	r.github = NULL;
	r.pool_id = pool;
	r.github_id = 5;
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* member without a name */
	r.github_name = (char *)"x";
	r.min_online = 1;
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* member with pool fields */
	r.kind = (char *)"http";
	r.url = (char *)"https://runner.example.org/";
	r.pool_id = 0;
	r.github_id = 0;
	r.github_name = NULL;
	r.github = (char *)"acme-org";
	r.min_online = 0;
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* http with a source */
	r.github = NULL;
	r.min_online = 3;
	assert_int_equal(store_runner_add(st, &r, 5000), RW_EINVAL); /* http with min_online */
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners WHERE name = 'bad'"), 0);

	assert_int_equal(store_runner_list(st, 0, &rs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rs[1].id, http);
	assert_null(rs[1].github);
	store_runners_free(rs, n);
}

/* ---- members ----------------------------------------------------------------- */

static void test_member_upsert(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_runner r;
	int64_t op = add_operator(st, "acme");
	int64_t pool = add_pool(st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	int64_t pool2 = add_pool(st, op, "pool2", "acme-org", STORE_RUNNER_APPROVED);
	int64_t m1 = 0, again = 0, m2 = 0, m3 = 0, other = 0, g;
	bool created = false;

	/* New: approved, the pool's operator and targets, no labels, unknown
	 * from now, a "registered" event. */
	assert_int_equal(
	        store_github_member_upsert(st, pool, 101, "runner-1", 50000, &m1, &created), 0);
	assert_true(created);
	assert_true(m1 > pool2);
	assert_int_equal(store_runner_get(st, NULL, m1, &r), 0);
	assert_string_equal(r.name, "pool/runner-1");
	assert_string_equal(r.kind, "github");
	assert_null(r.url);
	assert_int_equal(r.operator_id, op);
	assert_string_equal(r.operator_name, "acme");
	assert_int_equal(r.status, STORE_RUNNER_APPROVED);
	assert_int_equal(r.pool_id, pool);
	assert_string_equal(r.pool_name, "pool");
	assert_int_equal(r.github_id, 101);
	assert_string_equal(r.github_name, "runner-1");
	assert_null(r.github);
	assert_int_equal(r.n_targets, 2);
	assert_string_equal(r.targets[0], T_RISCV);
	assert_string_equal(r.targets[1], T_S390X);
	assert_int_equal(r.n_labels, 0);
	assert_int_equal(r.created_ms, 50000);
	assert_int_equal(r.last_state, RW_STATE_UNKNOWN);
	assert_true(store_runner_is_member(&r));
	assert_false(store_runner_is_pool(&r));
	g = r.gen;
	store_runner_deinit(&r);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM events WHERE kind = 'registered'"
	                                " AND runner_id = (SELECT id FROM runners"
	                                " WHERE name = 'pool/runner-1')"),
	                 1);

	/* Idempotent: the same runner again changes nothing at all. */
	created = true;
	assert_int_equal(
	        store_github_member_upsert(st, pool, 101, "runner-1", 60000, &again, &created), 0);
	assert_false(created);
	assert_int_equal(again, m1);
	assert_int_equal(gen_of(st, m1), g);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners WHERE pool_id IS NOT NULL"),
	                 1);

	/* The same GitHub runner in another pool is another member. */
	assert_int_equal(
	        store_github_member_upsert(st, pool2, 101, "runner-1", 60000, &other, &created), 0);
	assert_true(created);
	assert_true(other != m1);
	assert_int_equal(store_runner_get(st, NULL, other, &r), 0);
	assert_string_equal(r.name, "pool2/runner-1");
	store_runner_deinit(&r);

	/* Names: bytes outside [A-Za-z0-9._-] become '_'; a clash gets ~ID. */
	assert_int_equal(store_github_member_upsert(st, pool, 102, "runner 1/\xc3\xa9", 60000, &m2,
	                                            &created),
	                 0);
	assert_int_equal(store_runner_get(st, NULL, m2, &r), 0);
	assert_string_equal(r.name, "pool/runner_1___");
	assert_string_equal(r.github_name, "runner 1/\xc3\xa9");
	store_runner_deinit(&r);
	assert_int_equal(
	        store_github_member_upsert(st, pool, 103, "runner-1", 60000, &m3, &created), 0);
	assert_true(created);
	assert_int_equal(store_runner_get(st, NULL, m3, &r), 0);
	assert_string_equal(r.name, "pool/runner-1~103");
	store_runner_deinit(&r);

	/* GitHub renamed a runner: its name follows, its runner name stays. */
	g = gen_of(st, m2);
	assert_int_equal(
	        store_github_member_upsert(st, pool, 102, "renamed", 70000, &again, &created), 0);
	assert_false(created);
	assert_int_equal(again, m2);
	assert_int_equal(store_runner_get(st, NULL, m2, &r), 0);
	assert_string_equal(r.github_name, "renamed");
	assert_string_equal(r.name, "pool/runner_1___");
	assert_true(r.gen > g);
	store_runner_deinit(&r);

	/* One live member per (pool, GitHub id), in the schema itself. */
	assert_int_not_equal(raw_exec(f->db, "INSERT INTO runners (operator_id, name, kind,"
	                                     " status, created_ms, gen, pool_id, github_id,"
	                                     " github_name) SELECT operator_id, 'dup', kind,"
	                                     " 1, 0, 99, pool_id, github_id, 'x' FROM runners"
	                                     " WHERE name = 'pool/runner-1'"),
	                     SQLITE_OK);
}

static void test_member_refusals(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	int64_t op = add_operator(st, "acme");
	int64_t pool = add_pool(st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	int64_t gone = add_pool(st, op, "gone", "acme-org", STORE_RUNNER_APPROVED);
	int64_t http = add_http(st, op, "plain", NULL);
	int64_t m = 0, id = 0;
	bool created = true;

	assert_int_equal(store_github_member_upsert(st, pool, 1, "r", 1, &m, NULL), 0);
	assert_int_equal(store_github_member_upsert(st, 999, 1, "r", 1, &id, &created), RW_ENOENT);
	assert_false(created);
	assert_int_equal(store_github_member_upsert(st, http, 1, "r", 1, &id, NULL), RW_EINVAL);
	assert_int_equal(store_github_member_upsert(st, m, 1, "r", 1, &id, NULL), RW_EINVAL);
	assert_int_equal(store_github_member_upsert(st, pool, 2, "", 1, &id, NULL), RW_EINVAL);
	assert_int_equal(store_github_member_upsert(st, pool, 2, NULL, 1, &id, NULL), RW_EINVAL);
	assert_int_equal(store_runner_set_status(st, gone, STORE_RUNNER_RETIRED, 10, NULL), 0);
	assert_int_equal(store_github_member_upsert(st, gone, 1, "r", 1, &id, NULL), RW_ECONFLICT);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners WHERE pool_id IS NOT NULL"),
	                 1);
}

/* A member retired (gone past the retention) whose runner comes back is a
 * new member: retired stays retired, the history of the old one is kept. */
static void test_member_after_retirement(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_runner r;
	int64_t op = add_operator(st, "acme");
	int64_t pool = add_pool(st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	int64_t m1 = 0, m2 = 0, m3 = 0;
	bool created = false;

	assert_int_equal(store_github_member_upsert(st, pool, 7, "seven", 1000, &m1, &created), 0);
	assert_int_equal(store_runner_set_status(st, m1, STORE_RUNNER_RETIRED, 2000, NULL), 0);
	assert_int_equal(store_github_member_upsert(st, pool, 7, "seven", 3000, &m2, &created), 0);
	assert_true(created);
	assert_true(m2 != m1);
	assert_int_equal(store_runner_get(st, NULL, m2, &r), 0);
	assert_string_equal(r.name, "pool/seven~7");
	assert_int_equal(r.status, STORE_RUNNER_APPROVED);
	store_runner_deinit(&r);
	assert_int_equal(store_runner_set_status(st, m2, STORE_RUNNER_RETIRED, 4000, NULL), 0);
	assert_int_equal(store_github_member_upsert(st, pool, 7, "seven", 5000, &m3, &created), 0);
	assert_int_equal(store_runner_get(st, NULL, m3, &r), 0);
	assert_string_equal(r.name, "pool/seven~7.2");
	store_runner_deinit(&r);
	assert_int_equal(store_runner_get(st, NULL, m1, &r), 0);
	assert_int_equal(r.status, STORE_RUNNER_RETIRED);
	store_runner_deinit(&r);
}

static void test_member_gone(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_runner r;
	int64_t op = add_operator(st, "acme");
	int64_t pool = add_pool(st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	int64_t m = 0, g;

	assert_int_equal(store_github_member_upsert(st, pool, 1, "one", 1000, &m, NULL), 0);
	g = gen_of(st, m);
	assert_int_equal(store_github_member_set_gone(st, m, 5000), 0);
	assert_int_equal(store_runner_get(st, NULL, m, &r), 0);
	assert_int_equal(r.gone_ms, 5000);
	assert_true(r.gen > g);
	g = r.gen;
	store_runner_deinit(&r);
	/* Gone stays gone from its first time; nothing is written. */
	assert_int_equal(store_github_member_set_gone(st, m, 9000), 0);
	assert_int_equal(store_runner_get(st, NULL, m, &r), 0);
	assert_int_equal(r.gone_ms, 5000);
	assert_int_equal(r.gen, g);
	store_runner_deinit(&r);
	/* Back. */
	assert_int_equal(store_github_member_set_gone(st, m, 0), 0);
	assert_int_equal(store_runner_get(st, NULL, m, &r), 0);
	assert_int_equal(r.gone_ms, 0);
	assert_true(r.gen > g);
	g = r.gen;
	store_runner_deinit(&r);
	assert_int_equal(store_github_member_set_gone(st, m, 0), 0);
	assert_int_equal(gen_of(st, m), g);
	/* Refusals. */
	assert_int_equal(store_github_member_set_gone(st, pool, 1), RW_EINVAL);
	assert_int_equal(store_github_member_set_gone(st, 999, 1), RW_ENOENT);
	assert_int_equal(store_github_member_set_gone(st, m, -1), RW_EINVAL);
}

/* A pool's new targets are its live members' too, in the same change. */
static void test_pool_targets_to_members(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_runner r;
	const char *const targets[] = {"powerpc64le-unknown-linux-gnu"};
	int64_t op = add_operator(st, "acme");
	int64_t pool = add_pool(st, op, "pool", "acme-org", STORE_RUNNER_APPROVED);
	int64_t other = add_pool(st, op, "other", "acme-org", STORE_RUNNER_APPROVED);
	int64_t m = 0, old = 0, o = 0, g;

	assert_int_equal(store_github_member_upsert(st, pool, 1, "one", 1000, &m, NULL), 0);
	assert_int_equal(store_github_member_upsert(st, pool, 2, "two", 1000, &old, NULL), 0);
	assert_int_equal(store_runner_set_status(st, old, STORE_RUNNER_RETIRED, 1500, NULL), 0);
	assert_int_equal(store_github_member_upsert(st, other, 1, "one", 1000, &o, NULL), 0);
	g = gen_of(st, m);
	assert_int_equal(store_runner_update(st, pool, NULL, targets, 1, NULL, 0, -1, -1), 0);
	assert_int_equal(store_runner_get(st, NULL, m, &r), 0);
	assert_int_equal(r.n_targets, 1);
	assert_string_equal(r.targets[0], "powerpc64le-unknown-linux-gnu");
	assert_true(r.gen > g);
	assert_int_equal(r.gen, gen_of(st, pool));
	store_runner_deinit(&r);
	/* The retired member and another pool's member keep theirs. */
	assert_int_equal(store_runner_get(st, NULL, old, &r), 0);
	assert_int_equal(r.n_targets, 2);
	store_runner_deinit(&r);
	assert_int_equal(store_runner_get(st, NULL, o, &r), 0);
	assert_int_equal(r.n_targets, 2);
	store_runner_deinit(&r);
}

/* ---- deliveries ---------------------------------------------------------------- */

static void test_deliveries(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	bool dup = true;
	int deleted = -1;

	assert_int_equal(
	        store_github_delivery_seen(st, "72d3162e-cc78-11e3-81ab-4c9367dc0958", 1000, &dup),
	        0);
	assert_false(dup);
	assert_int_equal(
	        store_github_delivery_seen(st, "72d3162e-cc78-11e3-81ab-4c9367dc0958", 2000, &dup),
	        0);
	assert_true(dup);
	assert_int_equal(store_github_delivery_seen(st, "other", 3000, &dup), 0);
	assert_false(dup);
	assert_int_equal(store_github_delivery_seen(st, "", 3000, &dup), RW_EINVAL);
	assert_int_equal(store_github_delivery_seen(st, NULL, 3000, &dup), RW_EINVAL);
	/* The first time is kept. */
	assert_int_equal(raw_int(f->db, "SELECT received_ms FROM github_deliveries"
	                                " WHERE guid LIKE '72d3%'"),
	                 1000);
	assert_int_equal(store_github_delivery_purge(st, 2000, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_github_delivery_seen(st, "other", 4000, &dup), 0);
	assert_true(dup);
	assert_int_equal(store_github_delivery_purge(st, 10000, NULL), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM github_deliveries"), 0);
}

/* ---- jobs ------------------------------------------------------------------------ */

struct job_expect {
	int status;
	const char *conclusion; /* NULL: none */
	int64_t queued_ms, started_ms, completed_ms;
	const char *runner_name; /* NULL: none */
	int64_t updated_ms;
};

static void check_job(const struct store_github_job *j, const struct job_expect *e, int step)
{
	if (j->status != e->status || j->queued_ms != e->queued_ms ||
	    j->started_ms != e->started_ms || j->completed_ms != e->completed_ms ||
	    j->updated_ms != e->updated_ms || !j->conclusion != !e->conclusion ||
	    (e->conclusion && strcmp(j->conclusion, e->conclusion) != 0) ||
	    !j->runner_name != !e->runner_name ||
	    (e->runner_name && strcmp(j->runner_name, e->runner_name) != 0))
		print_error(
		        "step %d: status %d queued %lld started %lld completed %lld updated %lld "
		        "conclusion %s runner %s\n",
		        step, j->status, (long long)j->queued_ms, (long long)j->started_ms,
		        (long long)j->completed_ms, (long long)j->updated_ms,
		        j->conclusion ? j->conclusion : "-", j->runner_name ? j->runner_name : "-");
	assert_int_equal(j->status, e->status);
	assert_int_equal(j->queued_ms, e->queued_ms);
	assert_int_equal(j->started_ms, e->started_ms);
	assert_int_equal(j->completed_ms, e->completed_ms);
	assert_int_equal(j->updated_ms, e->updated_ms);
	assert_int_equal(!j->conclusion, !e->conclusion);
	if (e->conclusion)
		assert_string_equal(j->conclusion, e->conclusion);
	assert_int_equal(!j->runner_name, !e->runner_name);
	if (e->runner_name)
		assert_string_equal(j->runner_name, e->runner_name);
}

/* Deliveries of one job in a bad order, some twice; after each, the merged
 * job as stored. */
static void test_job_never_backwards(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	char *labels[] = {(char *)"Self-Hosted", (char *)"riscv64", (char *)"self-hosted"};
	struct store_github_job d, m;
	struct {
		int status;
		const char *conclusion;
		int64_t queued_ms, started_ms, completed_ms;
		const char *runner_name;
		int64_t at_ms;
		struct job_expect want;
	} steps[] = {
	        /* in_progress comes first. */
	        {STORE_GHJOB_IN_PROGRESS,
	         NULL,
	         1000,
	         5000,
	         0,
	         "rv-1",
	         6000,
	         {STORE_GHJOB_IN_PROGRESS, NULL, 1000, 5000, 0, "rv-1", 6000}},
	        /* queued after it: stays in progress; its started_at (the queue
	         * time, as GitHub fills it) is ignored. */
	        {STORE_GHJOB_QUEUED,
	         NULL,
	         1000,
	         1000,
	         0,
	         NULL,
	         6500,
	         {STORE_GHJOB_IN_PROGRESS, NULL, 1000, 5000, 0, "rv-1", 6500}},
	        /* in_progress twice. */
	        {STORE_GHJOB_IN_PROGRESS,
	         NULL,
	         1000,
	         5000,
	         0,
	         "rv-1",
	         6600,
	         {STORE_GHJOB_IN_PROGRESS, NULL, 1000, 5000, 0, "rv-1", 6600}},
	        /* completed. */
	        {STORE_GHJOB_COMPLETED,
	         "success",
	         1000,
	         5000,
	         90000,
	         "rv-1",
	         91000,
	         {STORE_GHJOB_COMPLETED, "success", 1000, 5000, 90000, "rv-1", 91000}},
	        /* in_progress after completed keeps completed, and its later
	         * started_at does not move the start. */
	        {STORE_GHJOB_IN_PROGRESS,
	         NULL,
	         1000,
	         7000,
	         0,
	         "rv-2",
	         92000,
	         {STORE_GHJOB_COMPLETED, "success", 1000, 5000, 90000, "rv-1", 92000}},
	        /* an earlier start is GitHub's word: taken. */
	        {STORE_GHJOB_COMPLETED,
	         "success",
	         1000,
	         4000,
	         95000,
	         "rv-1",
	         93000,
	         {STORE_GHJOB_COMPLETED, "success", 1000, 4000, 90000, "rv-1", 93000}},
	        /* a late duplicate of queued, with an old arrival time. */
	        {STORE_GHJOB_QUEUED,
	         NULL,
	         1000,
	         1000,
	         0,
	         NULL,
	         2000,
	         {STORE_GHJOB_COMPLETED, "success", 1000, 4000, 90000, "rv-1", 93000}},
	        /* waiting, the earliest status, changes nothing either. */
	        {STORE_GHJOB_WAITING,
	         NULL,
	         0,
	         0,
	         0,
	         NULL,
	         93500,
	         {STORE_GHJOB_COMPLETED, "success", 1000, 4000, 90000, "rv-1", 93500}},
	};

	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		memset(&d, 0, sizeof(d));
		d.id = 4242;
		d.run_id = i == 0 ? 0 : 77; /* the first delivery lacks it */
		d.repo = (char *)"acme-org/ci";
		d.name = (char *)"build (riscv64)";
		d.labels = labels;
		d.n_labels = i == 1 ? 0 : 3;
		d.status = steps[i].status;
		d.conclusion = (char *)steps[i].conclusion;
		d.queued_ms = steps[i].queued_ms;
		d.started_ms = steps[i].started_ms;
		d.completed_ms = steps[i].completed_ms;
		d.runner_name = (char *)steps[i].runner_name;
		d.updated_ms = steps[i].at_ms;
		assert_int_equal(store_github_job_upsert(st, &d, &m), 0);
		check_job(&m, &steps[i].want, (int)i);
		assert_int_equal(m.id, 4242);
		assert_int_equal(m.run_id, i == 0 ? 0 : 77);
		assert_string_equal(m.repo, "acme-org/ci");
		assert_string_equal(m.name, "build (riscv64)");
		/* Lower-cased, sorted, distinct. */
		assert_int_equal(m.n_labels, 2);
		assert_string_equal(m.labels[0], "riscv64");
		assert_string_equal(m.labels[1], "self-hosted");
		store_github_job_deinit(&m);
	}
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM github_jobs"), 1);
	/* Without asking for the merged job. */
	assert_int_equal(store_github_job_upsert(st, &d, NULL), 0);
}

/* Every order of the four deliveries of a job ends in the same job. */
static void test_job_every_order(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_github_job d[4], m;
	const struct job_expect want = {
	        STORE_GHJOB_COMPLETED, "success", 1000, 5000, 9000, "rv-1", 4000};
	int perm[4] = {0, 1, 2, 3};
	int64_t id = 1;

	memset(d, 0, sizeof(d));
	for (int i = 0; i < 4; i++) {
		d[i].queued_ms = 1000;
		d[i].updated_ms = 1000 * (i + 1);
	}
	d[0].status = STORE_GHJOB_WAITING;
	d[1].status = STORE_GHJOB_QUEUED;
	d[1].started_ms = 1000;
	d[2].status = STORE_GHJOB_IN_PROGRESS;
	d[2].started_ms = 5000;
	d[2].runner_name = (char *)"rv-1";
	d[3].status = STORE_GHJOB_COMPLETED;
	d[3].started_ms = 5000;
	d[3].completed_ms = 9000;
	d[3].conclusion = (char *)"success";
	d[3].runner_name = (char *)"rv-1";
	/* All 24 permutations (Heap's algorithm, iteratively). */
	int c[4] = {0, 0, 0, 0}, k = 1, runs = 0;
	for (;;) {
		for (int i = 0; i < 4; i++) {
			d[perm[i]].id = id;
			assert_int_equal(store_github_job_upsert(st, &d[perm[i]], NULL), 0);
		}
		assert_int_equal(store_github_job_upsert(st, &d[perm[0]], &m), 0);
		check_job(&m, &want, (int)id);
		store_github_job_deinit(&m);
		id++;
		runs++;
		while (k < 4 && c[k] >= k) {
			c[k] = 0;
			k++;
		}
		if (k == 4)
			break;
		int a = k % 2 ? c[k] : 0, t = perm[a];
		perm[a] = perm[k];
		perm[k] = t;
		c[k]++;
		k = 1;
	}
	assert_int_equal(runs, 24);
}

static void test_job_refusals_and_period(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_github_job d, *v = NULL;
	size_t n = 99;

	memset(&d, 0, sizeof(d));
	d.status = STORE_GHJOB_QUEUED;
	assert_int_equal(store_github_job_upsert(st, &d, NULL), RW_EINVAL); /* no id */
	d.id = 1;
	d.status = 0;
	assert_int_equal(store_github_job_upsert(st, &d, NULL), RW_EINVAL);
	d.status = 9;
	assert_int_equal(store_github_job_upsert(st, &d, NULL), RW_EINVAL);
	assert_int_equal(store_github_job_upsert(st, NULL, NULL), RW_EINVAL);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM github_jobs"), 0);

	/* Jobs of a period, by queue time; one without a queue time is in none. */
	d.status = STORE_GHJOB_QUEUED;
	for (int i = 0; i < 5; i++) {
		d.id = 100 - i;
		d.queued_ms = 1000 * (i + 1);
		assert_int_equal(store_github_job_upsert(st, &d, NULL), 0);
	}
	d.id = 200;
	d.queued_ms = 0;
	d.status = STORE_GHJOB_IN_PROGRESS;
	d.started_ms = 2500;
	assert_int_equal(store_github_job_upsert(st, &d, NULL), 0);
	assert_int_equal(store_github_jobs(st, 2000, 4000, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, 99);
	assert_int_equal(v[0].queued_ms, 2000);
	assert_int_equal(v[0].n_labels, 0);
	assert_null(v[0].labels);
	assert_int_equal(v[0].status, STORE_GHJOB_QUEUED);
	assert_int_equal(v[1].id, 98);
	store_github_jobs_free(v, n);
	assert_int_equal(store_github_jobs(st, 10000, 20000, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	store_github_jobs_free(NULL, 0);
	store_github_job_deinit(NULL);

	assert_string_equal(store_github_job_status_name(STORE_GHJOB_IN_PROGRESS), "in_progress");
	assert_null(store_github_job_status_name(0));
	assert_int_equal(store_github_job_status_code("waiting"), STORE_GHJOB_WAITING);
	assert_int_equal(store_github_job_status_code("requested"), 0);
	assert_int_equal(store_github_job_status_code(NULL), 0);
}

/* The new names where they are stored. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(store_blind_cause_name(STORE_BLIND_GITHUB_API), "github_api");
	assert_int_equal(STORE_BLIND_CAUSE_COUNT, STORE_BLIND_GITHUB_API + 1);
	assert_string_equal(rw_errclass_name(RW_ERRCLASS_OFFLINE), "offline");
	assert_string_equal(rw_errclass_name(RW_ERRCLASS_GONE), "gone");
	assert_string_equal(rw_errclass_name(RW_ERRCLASS_BELOW_MIN_ONLINE), "below_min_online");
	assert_string_equal(rw_errclass_name(RW_ERRCLASS_NO_PICKUP), "no_pickup");
	assert_int_equal(RW_ERRCLASS_COUNT, RW_ERRCLASS_NO_PICKUP + 1);
	assert_string_equal(rw_errclass_name(RW_ERRCLASS_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_migrate_from_6, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pool_fields, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_member_upsert, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_member_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_member_after_retirement, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_member_gone, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pool_targets_to_members, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_job_never_backwards, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_job_every_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_job_refusals_and_period, setup, teardown),
	        cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
