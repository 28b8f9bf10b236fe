/* SPDX-License-Identifier: MIT */
/*
 * test_store.c — monitor/store/store.h against real SQLite files in a temporary
 * directory.
 *
 * Opening: migration of a missing and of an empty file (user_version, the
 * tables, WAL mode), reopening, read-only opening, and a file written by a
 * newer runwarden, which must be refused and left untouched. The registry:
 * operators, runners, generations, the UNKNOWN interval at registration,
 * status changes checked against policy/registration.h's table in the
 * writing transaction (a refusal writes no status, generation or event).
 * The writer's records: samples, changes (INSERT OR REPLACE on
 * (runner, start)), ticks and blind periods, all or nothing. History window
 * semantics, monitor runs, backup and policy versions. What the store claims
 * to have written is checked through a second, plain SQLite connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/store/store.h"
#include "monitor/store/store_impl.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	struct store *st;
};

static void path_in(const struct fx *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->dir, name);
}

/* A fresh directory per test; the database is not created yet. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-store");
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

/* Opens f->db with STORE_CREATE into f->st; fails the test on error. */
static struct store *open_db(struct fx *f)
{
	char err[512] = "";
	int rc = store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err));

	if (rc != 0)
		print_error("store_open: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(f->st);
	return f->st;
}

/* ---- a second, plain connection to check what is stored ----------------- */

/* The first column of the first row of @p sql as an integer (-999: no row). */
static int64_t raw_int(const char *path, const char *sql)
{
	return rwt_sql_int(path, sql);
}

/* The first column of the first row of @p sql as text, into @p out. */
static void raw_text(const char *path, const char *sql, char *out, size_t outlen)
{
	rwt_sql_text(path, sql, out, outlen);
}

/* Runs @p sql, creating the file when it does not exist. */
static void raw_exec(const char *path, const char *sql)
{
	assert_int_equal(rwt_sql_exec(path, sql), 0);
}

/* Reads at most @p cap bytes of @p path; returns how many. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static const char *const tables[] = {
        "operators",     "tokens",       "runners",     "runner_targets",    "samples",
        "intervals",     "monitor_runs", "states",      "error_classes",     "policy_versions",
        "blind_periods", "flags",        "github_jobs", "github_deliveries",
};

static void assert_schema_v1(const char *path)
{
	char sql[256], mode[32];
	bool pg = rwt_db_is_pg(path);

	assert_int_equal(
	        raw_int(path, pg ? "SELECT version FROM runwarden_schema" : "PRAGMA user_version"),
	        store_schema_version());
	for (size_t i = 0; i < ARRAY_LEN(tables); i++) {
		snprintf(sql, sizeof(sql),
		         pg ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
		              "'%s'"
		            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
		              "'%s'",
		         tables[i]);
		if (raw_int(path, sql) != 1)
			print_error("table %s is missing\n", tables[i]);
		assert_int_equal(raw_int(path, sql), 1);
	}
	if (!pg) {
		raw_text(path, "PRAGMA journal_mode", mode, sizeof(mode));
		assert_string_equal(mode, "wal");
	}
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM states"), 5);
	/* error_classes names every enum rw_errclass value as rw_errclass_name()
	 * does, and nothing else. */
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM error_classes"), RW_ERRCLASS_COUNT);
	for (int c = 0; c < RW_ERRCLASS_COUNT; c++) {
		char name[64];
		snprintf(sql, sizeof(sql), "SELECT name FROM error_classes WHERE code = %d", c);
		raw_text(path, sql, name, sizeof(name));
		assert_string_equal(name, rw_errclass_name(c));
	}
}

static int64_t add_operator(struct store *st, const char *name, int64_t now)
{
	uint8_t tok[32];
	int64_t id = -1;

	memset(tok, name[0], sizeof(tok));
	assert_int_equal(store_operator_add(st, name, "ops@example.org", tok, now, &id), 0);
	assert_true(id > 0);
	return id;
}

static int64_t add_runner_status(struct store *st, int64_t op, const char *name, int64_t now,
                                 int status)
{
	char *targets[] = {(char *)"riscv64gc-unknown-linux-gnu",
	                   (char *)"s390x-unknown-linux-gnu"};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"http";
	r.url = (char *)"https://runner.example.org/health";
	r.targets = targets;
	r.n_targets = 2;
	r.status = status;
	assert_int_equal(store_runner_add(st, &r, now), 0);
	assert_true(r.id > 0);
	return r.id;
}

static int64_t add_runner(struct store *st, int64_t op, const char *name, int64_t now)
{
	return add_runner_status(st, op, name, now, STORE_RUNNER_APPROVED);
}

/* ---- opening and migrating --------------------------------------------- */

static void test_open_missing_without_create(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)0x1;
	char err[512] = "";

	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), RW_ENOENT);
	assert_null(st);
	assert_non_null(strstr(err, f->db));
	assert_int_equal(access(f->db, F_OK), -1);
}

static void test_migrate_new_file(void **state)
{
	struct fx *f = *state;

	open_db(f);
	assert_schema_v1(f->db);
}

static void test_migrate_empty_file(void **state)
{
	struct fx *f = *state;
	int fd = open(f->db, O_CREAT | O_EXCL | O_WRONLY, 0600);

	assert_true(fd >= 0);
	close(fd);
	open_db(f);
	assert_schema_v1(f->db);
}

/* The connection's page cache size, as PRAGMA cache_size says it. */
static int64_t cache_size(struct store *st)
{
	struct store_stmt *s = NULL;
	int64_t v;

	assert_int_equal(store_prepare(st, "PRAGMA cache_size", &s), 0);
	assert_int_equal(store_step(s), SQLITE_ROW);
	v = store_column_int64(s, 0);
	store_finalize(s);
	return v;
}

/* STORE_SMALL_CACHE: the daemon's connections keep STORE_SMALL_CACHE_KIB of
 * pages, not SQLite's default 2 MiB (a negative cache_size is in KiB). */
static void test_small_cache(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	struct store *small = NULL;

	open_db(f);
	assert_int_equal(cache_size(f->st), -2000);
	assert_int_equal(store_open(&small, f->db, STORE_SMALL_CACHE, err, sizeof(err)), 0);
	assert_int_equal(cache_size(small), -STORE_SMALL_CACHE_KIB);
	store_close(small);
}

static void test_reopen_is_idempotent(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	int64_t id = 0;

	open_db(f);
	add_operator(f->st, "acme", 1000);
	store_close(f->st);
	f->st = NULL;

	for (int i = 0; i < 3; i++) {
		open_db(f);
		assert_schema_v1(f->db);
		assert_int_equal(store_operator_find(f->st, "acme", &id), 0);
		assert_true(id > 0);
		store_close(f->st);
		f->st = NULL;
	}
	/* Read-only opening works on a current file, and does not write. */
	assert_int_equal(store_open(&f->st, f->db, STORE_READONLY, err, sizeof(err)), 0);
	assert_int_equal(store_operator_find(f->st, "acme", &id), 0);
	assert_int_not_equal(store_operator_add(f->st, "other", "o@example.org",
	                                        (const uint8_t *)"0123456789abcdef0123456789abcdef",
	                                        1, &id),
	                     0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM operators"), 1);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	struct store *st = (struct store *)0x1;

	char before[8192], after[8192], mode[32];
	size_t nb, na;

	char future[96];
	snprintf(future, sizeof(future),
	         "CREATE TABLE future (x INTEGER); PRAGMA user_version = %d;",
	         store_schema_version() + 1);
	raw_exec(f->db, future);
	nb = slurp(f->db, before, sizeof(before));
	assert_int_equal(store_open(&st, f->db, STORE_CREATE, err, sizeof(err)), RW_ESCHEMA);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	assert_non_null(strstr(err, f->db));
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), RW_ESCHEMA);
	assert_int_equal(store_open(&st, f->db, STORE_READONLY, err, sizeof(err)), RW_ESCHEMA);
	assert_null(st);
	/* Never written: the same bytes (not even switched to WAL), no tables
	 * of ours, the version untouched. */
	na = slurp(f->db, after, sizeof(after));
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	raw_text(f->db, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "delete");
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), store_schema_version() + 1);
	assert_int_equal(
	        raw_int(f->db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runners'"), 0);
}

static void test_not_a_database(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	struct store *st = NULL;
	FILE *fp = fopen(f->db, "w");

	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	assert_true(store_open(&st, f->db, STORE_CREATE, err, sizeof(err)) < 0);
	assert_null(st);
	assert_non_null(strstr(err, f->db));
}

/* ---- operators --------------------------------------------------------- */

static void test_operators(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_operator *ops = NULL;
	uint8_t tok[32];
	size_t n = 99;
	int64_t zed, acme, id = 0;

	assert_int_equal(store_operator_list(st, &ops, &n), 0);
	assert_int_equal(n, 0);
	assert_null(ops);
	assert_int_equal(store_operator_find(st, "acme", &id), RW_ENOENT);

	zed = add_operator(st, "zed", 1000);
	acme = add_operator(st, "acme", 2000);
	assert_int_not_equal(zed, acme);
	assert_int_equal(store_operator_find(st, "acme", &id), 0);
	assert_int_equal(id, acme);
	assert_int_equal(store_operator_find(st, "zed", &id), 0);
	assert_int_equal(id, zed);
	assert_int_equal(store_operator_find(st, "ACME", &id), RW_ENOENT);

	/* A duplicate name is refused and writes nothing (no stray token). */
	memset(tok, 0x77, sizeof(tok));
	assert_int_equal(store_operator_add(st, "acme", "x@example.org", tok, 3000, &id),
	                 RW_EEXIST);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM operators"), 2);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM tokens"), 2);

	/* Sorted by name; fields round-trip. */
	assert_int_equal(store_operator_list(st, &ops, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ops[0].name, "acme");
	assert_int_equal(ops[0].id, acme);
	assert_string_equal(ops[0].email, "ops@example.org");
	assert_int_equal(ops[0].created_ms, 2000);
	assert_string_equal(ops[1].name, "zed");
	assert_int_equal(ops[1].created_ms, 1000);
	store_operators_free(ops, n);
	store_operators_free(NULL, 0);

	/* The token is stored as the 32 bytes given, nothing else. */
	assert_int_equal(raw_int(f->db, "SELECT LENGTH(sha256) FROM tokens ORDER BY id LIMIT 1"),
	                 32);
	assert_int_equal(raw_int(f->db, rwt_db_is_pg(f->db)
	                                        ? "SELECT COUNT(*) FROM tokens WHERE sha256 = '\\x"
	                                          "616161616161616161616161616161616161616161616161"
	                                          "6161616161616161'"
	                                          "::bytea"
	                                        : "SELECT COUNT(*) FROM tokens WHERE sha256 = "
	                                          "X'"
	                                          "616161616161616161616161616161616161616161616161"
	                                          "6161616161616161'"),
	                 1);
}

/* ---- runners ----------------------------------------------------------- */

static void test_runners(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_runner *rs = NULL, r;
	size_t n = 99;
	int64_t op, a, b, c, gen = -1, gen_after_b;

	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 0);
	assert_int_equal(store_runner_list(st, 0, &rs, &n), 0);
	assert_int_equal(n, 0);
	assert_null(rs);

	op = add_operator(st, "acme", 1000);
	a = add_runner(st, op, "alpha", 10000);
	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 1);
	b = add_runner(st, op, "bravo", 11000);
	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 2);
	gen_after_b = gen;
	c = add_runner(st, op, "charlie", 12000);
	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 3);
	assert_true(a < b && b < c);

	/* All, by id, with their targets (sorted) and operator name. */
	assert_int_equal(store_runner_list(st, 0, &rs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rs[0].id, a);
	assert_int_equal(rs[1].id, b);
	assert_int_equal(rs[2].id, c);
	assert_string_equal(rs[1].name, "bravo");
	assert_string_equal(rs[1].operator_name, "acme");
	assert_int_equal(rs[1].operator_id, op);
	assert_string_equal(rs[1].kind, "http");
	assert_string_equal(rs[1].url, "https://runner.example.org/health");
	assert_int_equal(rs[1].status, STORE_RUNNER_APPROVED);
	assert_int_equal(rs[1].created_ms, 11000);
	assert_int_equal(rs[1].gen, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rs[i].n_targets, 2);
		assert_string_equal(rs[i].targets[0], "riscv64gc-unknown-linux-gnu");
		assert_string_equal(rs[i].targets[1], "s390x-unknown-linux-gnu");
		assert_int_equal(rs[i].last_state, RW_STATE_UNKNOWN);
	}
	store_runners_free(rs, n);

	/* Page by page (store_runner_page()): at most LIMIT from after an id,
	 * each with its own targets; the last page is short. */
	assert_int_equal(store_runner_page(st, 0, 0, 2, &rs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rs[0].id, a);
	assert_int_equal(rs[1].id, b);
	assert_int_equal(rs[1].n_targets, 2);
	assert_string_equal(rs[1].targets[1], "s390x-unknown-linux-gnu");
	store_runners_free(rs, n);
	assert_int_equal(store_runner_page(st, 0, b, 2, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].id, c);
	assert_int_equal(rs[0].n_targets, 2);
	assert_string_equal(rs[0].targets[0], "riscv64gc-unknown-linux-gnu");
	store_runners_free(rs, n);
	assert_int_equal(store_runner_page(st, 0, c, 2, &rs, &n), 0);
	assert_int_equal(n, 0);
	store_runners_free(rs, n);
	/* The generation and the id both bound a page. */
	assert_int_equal(store_runner_page(st, 1, 0, 1, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].id, b);
	store_runners_free(rs, n);
	assert_int_equal(store_runner_page(st, 1, b, 0, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].id, c);
	assert_int_equal(rs[0].n_targets, 2);
	store_runners_free(rs, n);

	/* Only the ones changed after a generation. */
	assert_int_equal(store_runner_list(st, gen_after_b, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].id, c);
	assert_int_equal(rs[0].n_targets, 2);
	store_runners_free(rs, n);
	assert_int_equal(store_runner_list(st, 3, &rs, &n), 0);
	assert_int_equal(n, 0);
	store_runners_free(rs, n);

	/* A status change bumps the generation above every other. */
	assert_int_equal(store_runner_set_status(st, a, STORE_RUNNER_RETIRED, 20000, NULL), 0);
	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 4);
	assert_int_equal(store_runner_list(st, 3, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].id, a);
	assert_int_equal(rs[0].status, STORE_RUNNER_RETIRED);
	assert_int_equal(rs[0].retired_ms, 20000);
	assert_int_equal(rs[0].gen, 4);
	assert_int_equal(rs[0].n_targets, 2);
	store_runners_free(rs, n);

	/* (An approved runner cannot go back to pending any more: the table of
	 * policy/registration.h refuses it, see test_runner_status_table.) */
	assert_int_equal(store_runner_set_status(st, b, STORE_RUNNER_RETIRED, 21000, NULL), 0);
	assert_int_equal(store_runner_get(st, "bravo", 0, &r), 0);
	assert_int_equal(r.status, STORE_RUNNER_RETIRED);
	assert_int_equal(r.retired_ms, 21000);
	assert_int_equal(r.gen, 5);
	store_runner_deinit(&r);
	assert_int_equal(store_runner_set_status(st, 9999, STORE_RUNNER_RETIRED, 1, NULL),
	                 RW_ENOENT);
	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 5);

	/* get by name and by id. */
	assert_int_equal(store_runner_get(st, NULL, c, &r), 0);
	assert_string_equal(r.name, "charlie");
	assert_int_equal(r.n_targets, 2);
	store_runner_deinit(&r);
	assert_int_equal(store_runner_get(st, "nobody", 0, &r), RW_ENOENT);
	assert_null(r.name);
	assert_int_equal(store_runner_get(st, NULL, 9999, &r), RW_ENOENT);
	store_runner_deinit(NULL);
	assert_string_equal(store_runner_status_name(STORE_RUNNER_PENDING), "pending");
	assert_string_equal(store_runner_status_name(STORE_RUNNER_APPROVED), "approved");
	assert_string_equal(store_runner_status_name(STORE_RUNNER_RETIRED), "retired");
}

/* What a status change may touch, read through a second connection. */
struct reg_snapshot {
	int64_t status, retired_ms, gen, registry_gen, events;
};

static void reg_snapshot(const struct fx *f, int64_t id, struct reg_snapshot *s)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT status FROM runners WHERE id = %lld", (long long)id);
	s->status = raw_int(f->db, sql);
	snprintf(sql, sizeof(sql), "SELECT retired_ms FROM runners WHERE id = %lld", (long long)id);
	s->retired_ms = raw_int(f->db, sql);
	snprintf(sql, sizeof(sql), "SELECT gen FROM runners WHERE id = %lld", (long long)id);
	s->gen = raw_int(f->db, sql);
	s->registry_gen = raw_int(f->db, "SELECT MAX(gen) FROM runners");
	s->events = raw_int(f->db, "SELECT COUNT(*) FROM events");
}

static void assert_same_snapshot(const struct reg_snapshot *a, const struct reg_snapshot *b)
{
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->retired_ms, b->retired_ms);
	assert_int_equal(a->gen, b->gen);
	assert_int_equal(a->registry_gen, b->registry_gen);
	assert_int_equal(a->events, b->events);
}

/* The store enforces policy/registration.h's table: a change writes the
 * status, one generation and one event; the same status writes nothing; a
 * refusal writes nothing and says why. */
static void test_runner_status_table(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_status_change ch;
	struct reg_snapshot before, after;
	int64_t op, p;

	op = add_operator(st, "acme", 1000);
	p = add_runner_status(st, op, "rv-1", 2000, STORE_RUNNER_PENDING);

	/* pending -> pending: the same status, nothing written. */
	reg_snapshot(f, p, &before);
	assert_int_equal(store_runner_set_status(st, p, STORE_RUNNER_PENDING, 2500, &ch), 0);
	assert_false(ch.changed);
	assert_int_equal(ch.from, STORE_RUNNER_PENDING);
	reg_snapshot(f, p, &after);
	assert_same_snapshot(&before, &after);

	/* pending -> approved: written, with one generation and one event. */
	assert_int_equal(store_runner_set_status(st, p, STORE_RUNNER_APPROVED, 3000, &ch), 0);
	assert_true(ch.changed);
	assert_int_equal(ch.from, STORE_RUNNER_PENDING);
	reg_snapshot(f, p, &after);
	assert_int_equal(after.status, STORE_RUNNER_APPROVED);
	assert_int_equal(after.gen, before.registry_gen + 1);
	assert_int_equal(after.registry_gen, before.registry_gen + 1);
	assert_int_equal(after.events, before.events + 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM events WHERE kind = 'approved'"), 1);

	/* approved -> approved: a success that writes nothing. */
	before = after;
	assert_int_equal(store_runner_set_status(st, p, STORE_RUNNER_APPROVED, 3500, &ch), 0);
	assert_false(ch.changed);
	assert_int_equal(ch.from, STORE_RUNNER_APPROVED);
	reg_snapshot(f, p, &after);
	assert_same_snapshot(&before, &after);

	/* approved -> pending: refused, nothing written, the reason given. */
	assert_int_equal(store_runner_set_status(st, p, STORE_RUNNER_PENDING, 4000, &ch),
	                 RW_ECONFLICT);
	assert_false(ch.changed);
	assert_int_equal(ch.from, STORE_RUNNER_APPROVED);
	assert_string_equal(ch.why,
	                    "runner rv-1 is approved; an approved runner can only be retired");
	reg_snapshot(f, p, &after);
	assert_same_snapshot(&before, &after);

	/* Not a status: refused, nothing written. */
	assert_int_equal(store_runner_set_status(st, p, 7, 4100, &ch), RW_EINVAL);
	reg_snapshot(f, p, &after);
	assert_same_snapshot(&before, &after);

	/* approved -> retired: written, retired_ms set. */
	assert_int_equal(store_runner_set_status(st, p, STORE_RUNNER_RETIRED, 5000, &ch), 0);
	assert_true(ch.changed);
	reg_snapshot(f, p, &after);
	assert_int_equal(after.status, STORE_RUNNER_RETIRED);
	assert_int_equal(after.retired_ms, 5000);
	assert_int_equal(after.registry_gen, before.registry_gen + 1);
	assert_int_equal(after.events, before.events + 1);

	/* retired -> anything: refused; retired_ms does not move, no event, no
	 * generation (the daemon sees no change). */
	before = after;
	for (int to = 0; to < REGISTRATION_NSTATUS; to++) {
		assert_int_equal(store_runner_set_status(st, p, to, 6000 + to, &ch), RW_ECONFLICT);
		assert_false(ch.changed);
		assert_int_equal(ch.from, STORE_RUNNER_RETIRED);
		assert_string_equal(ch.why, "runner rv-1 is retired; a retired runner stays "
		                            "retired (register a new one)");
		assert_int_equal(store_runner_set_status(st, p, to, 6000 + to, NULL), RW_ECONFLICT);
		reg_snapshot(f, p, &after);
		assert_same_snapshot(&before, &after);
	}

	/* pending -> retired directly. */
	p = add_runner_status(st, op, "rv-2", 7000, STORE_RUNNER_PENDING);
	assert_int_equal(store_runner_set_status(st, p, STORE_RUNNER_RETIRED, 7500, &ch), 0);
	assert_true(ch.changed);
	assert_int_equal(ch.from, STORE_RUNNER_PENDING);
	reg_snapshot(f, p, &after);
	assert_int_equal(after.retired_ms, 7500);
}

/* The status is checked as it is inside the writing transaction, not as the
 * caller last read it: a second connection that still holds the runner as
 * approved cannot retire it again after the first retired it. */
static void test_runner_status_stale_view(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f), *st2 = NULL;
	struct store_status_change ch;
	struct store_runner seen;
	struct reg_snapshot before, after;
	char err[512] = "";
	int64_t op, id;

	op = add_operator(st, "acme", 1000);
	id = add_runner(st, op, "rv-1", 2000);
	assert_int_equal(store_open(&st2, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_runner_get(st2, NULL, id, &seen), 0);
	assert_int_equal(seen.status, STORE_RUNNER_APPROVED);

	assert_int_equal(store_runner_set_status(st, id, STORE_RUNNER_RETIRED, 3000, &ch), 0);
	assert_true(ch.changed);
	reg_snapshot(f, id, &before);
	/* st2 still believes "approved"; the store does not. */
	assert_int_equal(store_runner_set_status(st2, seen.id, STORE_RUNNER_RETIRED, 4000, &ch),
	                 RW_ECONFLICT);
	assert_int_equal(ch.from, STORE_RUNNER_RETIRED);
	assert_int_equal(store_runner_set_status(st2, seen.id, STORE_RUNNER_APPROVED, 4000, &ch),
	                 RW_ECONFLICT);
	reg_snapshot(f, id, &after);
	assert_same_snapshot(&before, &after);
	assert_int_equal(after.retired_ms, 3000);
	store_runner_deinit(&seen);
	store_close(st2);
}

/* Two writers on two connections retire the same pending runners at the same
 * moment: for each runner exactly one succeeds and the other is refused, and
 * one event is written, because the check and the write share one
 * transaction. */
#define RACE_RUNNERS 20

struct racer {
	const char *db;
	const int64_t *ids;
	pthread_barrier_t *go;
	int rc[RACE_RUNNERS];
	bool changed[RACE_RUNNERS];
};

static void *race_main(void *arg)
{
	struct racer *r = arg;
	struct store *st = NULL;
	char err[256];

	if (store_open(&st, r->db, 0, err, sizeof(err)) < 0)
		st = NULL;
	for (int i = 0; i < RACE_RUNNERS; i++) {
		struct store_status_change ch = {0};
		pthread_barrier_wait(r->go);
		r->rc[i] = st ? store_runner_set_status(st, r->ids[i], STORE_RUNNER_RETIRED,
		                                        10000 + i, &ch)
		              : RW_EIO;
		r->changed[i] = ch.changed;
	}
	store_close(st);
	return NULL;
}

static void test_runner_status_race(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct racer racers[2];
	pthread_barrier_t go;
	pthread_t th[2];
	int64_t ids[RACE_RUNNERS], op;
	char name[32];

	op = add_operator(st, "acme", 1000);
	for (int i = 0; i < RACE_RUNNERS; i++) {
		snprintf(name, sizeof(name), "rv-%d", i);
		ids[i] = add_runner_status(st, op, name, 2000, STORE_RUNNER_PENDING);
	}
	assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
	for (int t = 0; t < 2; t++) {
		memset(&racers[t], 0, sizeof(racers[t]));
		racers[t].db = f->db;
		racers[t].ids = ids;
		racers[t].go = &go;
		assert_int_equal(pthread_create(&th[t], NULL, race_main, &racers[t]), 0);
	}
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < RACE_RUNNERS; i++) {
		int a = racers[0].rc[i], b = racers[1].rc[i];
		if (!((a == 0 && b == RW_ECONFLICT) || (a == RW_ECONFLICT && b == 0)))
			fail_msg("runner %d: the writers answered %d and %d", i, a, b);
		assert_true(racers[0].changed[i] != racers[1].changed[i]);
	}
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM events WHERE kind = 'retired'"),
	                 RACE_RUNNERS);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners WHERE status = 2"),
	                 RACE_RUNNERS);
}

static void test_runner_add_refusals(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	char *targets[] = {(char *)"riscv64gc-unknown-linux-gnu"};
	struct store_runner r;
	int64_t op, gen = 0;

	op = add_operator(st, "acme", 1000);
	add_runner(st, op, "alpha", 10000);

	/* A taken name: nothing of it is left behind (targets, interval, gen). */
	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)"alpha";
	r.kind = (char *)"http";
	r.url = (char *)"https://other.example.org/";
	r.targets = targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(st, &r, 20000), RW_EEXIST);

	/* An operator that does not exist. */
	r.name = (char *)"bravo";
	r.operator_id = op + 100;
	assert_int_equal(store_runner_add(st, &r, 20000), RW_ENOENT);

	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners"), 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runner_targets"), 2);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM intervals"), 1);
	assert_int_equal(store_registry_gen(st, &gen), 0);
	assert_int_equal(gen, 1);

	/* The store is still usable: no transaction was left open. */
	r.operator_id = op;
	assert_int_equal(store_runner_add(st, &r, 30000), 0);
	assert_int_equal(r.gen, 2);
	assert_int_equal(r.created_ms, 30000);
}

static void test_runner_add_starts_unknown(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct rw_interval *iv = NULL;
	struct store_runner r;
	size_t n = 0;
	int64_t op, id;

	op = add_operator(st, "acme", 1000);
	id = add_runner(st, op, "alpha", 123456);
	assert_int_equal(store_intervals(st, id, 123456, 123457, &iv, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(iv[0].start_ms, 123456);
	assert_int_equal(iv[0].state, RW_STATE_UNKNOWN);
	free(iv);
	/* Nothing before registration. */
	assert_int_equal(store_intervals(st, id, 0, 123456, &iv, &n), 0);
	assert_int_equal(n, 0);
	assert_null(iv);
	assert_int_equal(store_runner_get(st, NULL, id, &r), 0);
	assert_int_equal(r.last_state, RW_STATE_UNKNOWN);
	assert_int_equal(r.last_state_ms, 123456);
	store_runner_deinit(&r);
}

/* ---- the writer's records ---------------------------------------------- */

static struct store_rec sample(int64_t runner, int64_t ts, int32_t lat, int16_t http, uint8_t ec)
{
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_SAMPLE;
	r.u.sample.runner_id = runner;
	r.u.sample.ts_ms = ts;
	r.u.sample.latency_us = lat;
	r.u.sample.http_status = http;
	r.u.sample.errclass = ec;
	return r;
}

static struct store_rec change(int64_t runner, int64_t start, enum rw_state s)
{
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_CHANGE;
	r.u.change.runner_id = runner;
	r.u.change.start_ms = start;
	r.u.change.state = (uint8_t)s;
	return r;
}

static struct store_rec tick(int64_t run, int64_t ts)
{
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_TICK;
	r.u.tick.run_id = run;
	r.u.tick.ts_ms = ts;
	return r;
}

static struct store_rec blind(int64_t start, int64_t end, uint8_t cause)
{
	struct store_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_REC_BLIND;
	r.u.blind.start_ms = start;
	r.u.blind.end_ms = end;
	r.u.blind.cause = cause;
	return r;
}

static void test_write_batch(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct rw_interval *iv = NULL;
	struct store_runner r;
	char text[64];
	size_t n = 0;
	int64_t op, a, b, run = 0, prev = 0, count = 0, last = 0;

	op = add_operator(st, "acme", 1000);
	a = add_runner(st, op, "alpha", 1000);
	b = add_runner(st, op, "bravo", 1000);
	assert_int_equal(store_run_begin(st, 1000, &run, &prev), 0);

	const struct store_rec batch[] = {
	        sample(a, 2000, 1500, 200, RW_ERRCLASS_NONE),
	        sample(a, 3000, -1, 0, RW_ERRCLASS_TIMEOUT),
	        sample(b, 3000, 900, 503, RW_ERRCLASS_HTTP_STATUS),
	        change(a, 2000, RW_STATE_UP),
	        /* The same (runner, start) twice in one batch: the last one wins. */
	        change(b, 2500, RW_STATE_UP),
	        change(b, 2500, RW_STATE_DOWN),
	        tick(run, 3000),
	        blind(1500, 1900, STORE_BLIND_TICK_GAP),
	        blind(100, 900, STORE_BLIND_DOWNTIME),
	};
	assert_int_equal(store_write_batch(st, batch, ARRAY_LEN(batch)), 0);

	assert_int_equal(store_sample_count(st, a, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_sample_count(st, b, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(raw_int(f->db, "SELECT latency_us FROM samples WHERE ts_ms = 3000 AND"
	                                " errclass = 4"),
	                 -1);
	assert_int_equal(raw_int(f->db, "SELECT http_status FROM samples WHERE errclass = 5"), 503);

	assert_int_equal(store_intervals(st, b, 0, 10000, &iv, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(iv[0].start_ms, 1000);
	assert_int_equal(iv[0].state, RW_STATE_UNKNOWN);
	assert_int_equal(iv[1].start_ms, 2500);
	assert_int_equal(iv[1].state, RW_STATE_DOWN);
	free(iv);
	assert_int_equal(store_runner_get(st, NULL, b, &r), 0);
	assert_int_equal(r.last_state, RW_STATE_DOWN);
	assert_int_equal(r.last_state_ms, 2500);
	store_runner_deinit(&r);
	assert_int_equal(store_runner_get(st, NULL, a, &r), 0);
	assert_int_equal(r.last_state, RW_STATE_UP);
	assert_int_equal(r.last_state_ms, 2000);
	store_runner_deinit(&r);

	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, 3000);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM blind_periods"), 2);
	raw_text(f->db, "SELECT cause FROM blind_periods WHERE start_ms = 1500", text,
	         sizeof(text));
	assert_string_equal(text, "tick_gap");
	raw_text(f->db, "SELECT cause FROM blind_periods WHERE start_ms = 100", text, sizeof(text));
	assert_string_equal(text, "downtime");
	assert_int_equal(raw_int(f->db, "SELECT end_ms FROM blind_periods WHERE start_ms = 100"),
	                 900);

	/* A change older than the latest does not move last_state back; a tick
	 * older than the latest does not move the tick back. */
	const struct store_rec late[] = {change(a, 1500, RW_STATE_DOWN), tick(run, 2000)};
	assert_int_equal(store_write_batch(st, late, ARRAY_LEN(late)), 0);
	assert_int_equal(store_runner_get(st, NULL, a, &r), 0);
	assert_int_equal(r.last_state, RW_STATE_UP);
	assert_int_equal(r.last_state_ms, 2000);
	store_runner_deinit(&r);
	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, 3000);

	/* An empty batch is a no-op. */
	assert_int_equal(store_write_batch(st, NULL, 0), 0);
}

static void test_write_batch_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_rec bad;
	int64_t op, a, run = 0, prev = 0, last = 0;

	op = add_operator(st, "acme", 1000);
	a = add_runner(st, op, "alpha", 1000);
	assert_int_equal(store_run_begin(st, 1000, &run, &prev), 0);
	memset(&bad, 0, sizeof(bad));
	bad.kind = 99;

	const struct store_rec batch[] = {
	        sample(a, 2000, 1500, 200, RW_ERRCLASS_NONE),
	        change(a, 2000, RW_STATE_UP),
	        tick(run, 5000),
	        blind(1500, 1900, STORE_BLIND_TICK_GAP),
	        bad,
	};
	assert_true(store_write_batch(st, batch, ARRAY_LEN(batch)) < 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM samples"), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM intervals"), 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM blind_periods"), 0);
	assert_int_equal(raw_int(f->db, "SELECT last_state FROM runners"), RW_STATE_UNKNOWN);
	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, 1000);

	/* The connection is usable afterwards: the same batch without the bad
	 * record goes through whole. */
	assert_int_equal(store_write_batch(st, batch, ARRAY_LEN(batch) - 1), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM samples"), 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM intervals"), 2);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM blind_periods"), 1);
	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, 5000);
}

/* ---- history ----------------------------------------------------------- */

struct window_row {
	int64_t from, to;
	size_t n;
	int64_t starts[4];
};

static void test_intervals_window(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	int64_t op, a, b;
	int bad = 0;

	op = add_operator(st, "acme", 0);
	a = add_runner(st, op, "alpha", 1000); /* UNKNOWN from 1000 */
	b = add_runner(st, op, "bravo", 1000);
	const struct store_rec batch[] = {
	        change(a, 2000, RW_STATE_UP), change(a, 3000, RW_STATE_DOWN),
	        change(a, 4000, RW_STATE_UP), change(b, 2200, RW_STATE_DOWN),
	        change(b, 3500, RW_STATE_UP),
	};
	assert_int_equal(store_write_batch(st, batch, ARRAY_LEN(batch)), 0);

	static const struct window_row rows[] = {
	        {2500, 3500, 2, {2000, 3000}},            /* the one before from, one inside */
	        {3000, 3500, 1, {3000}},                  /* at from counts as "at or before" */
	        {2999, 3000, 1, {2000}},                  /* to is exclusive */
	        {2000, 3000, 1, {2000}},                  /* both edges */
	        {5000, 6000, 1, {4000}},                  /* after the last: it still holds */
	        {0, 500, 0, {0}},                         /* before registration: nothing */
	        {500, 1500, 1, {1000}},                   /* none at or before from */
	        {0, 100000, 4, {1000, 2000, 3000, 4000}}, /* everything */
	        {1000, 1001, 1, {1000}},
	        {3500, 3500, 1, {3000}}, /* an empty window still names its state */
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct rw_interval *iv = NULL;
		size_t n = 0;
		int ok;

		assert_int_equal(store_intervals(st, a, rows[i].from, rows[i].to, &iv, &n), 0);
		ok = n == rows[i].n;
		for (size_t j = 0; ok && j < n; j++)
			ok = iv[j].start_ms == rows[i].starts[j];
		for (size_t j = 1; ok && j < n; j++)
			ok = iv[j - 1].start_ms < iv[j].start_ms;
		if (!ok) {
			print_error("[%lld, %lld): got %zu rows:", (long long)rows[i].from,
			            (long long)rows[i].to, n);
			for (size_t j = 0; j < n; j++)
				print_error(" %lld", (long long)iv[j].start_ms);
			print_error(", want %zu\n", rows[i].n);
			bad++;
		}
		if (n == 0 && iv != NULL)
			bad++;
		free(iv);
	}
	assert_int_equal(bad, 0);

	/* States come back, and other runners' rows never leak in. */
	struct rw_interval *iv = NULL;
	size_t n = 0;
	assert_int_equal(store_intervals(st, b, 2500, 4000, &iv, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(iv[0].start_ms, 2200);
	assert_int_equal(iv[0].state, RW_STATE_DOWN);
	assert_int_equal(iv[1].start_ms, 3500);
	assert_int_equal(iv[1].state, RW_STATE_UP);
	free(iv);
	assert_int_equal(store_intervals(st, 9999, 0, 100000, &iv, &n), 0);
	assert_int_equal(n, 0);
	assert_null(iv);
}

static void test_samples_purge(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	int64_t count = 0;
	int deleted = -1;
	struct store_rec recs[10];

	for (int i = 0; i < 10; i++)
		recs[i] = sample(1, 1000 * (i + 1), 100, 200, RW_ERRCLASS_NONE);
	assert_int_equal(store_write_batch(st, recs, 10), 0);
	/* Older than 6000: 1000..5000, five rows; at most 3 per call. */
	assert_int_equal(store_purge_samples(st, 6000, 3, &deleted), 0);
	assert_int_equal(deleted, 3);
	assert_int_equal(store_purge_samples(st, 6000, 3, &deleted), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_purge_samples(st, 6000, 3, &deleted), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(store_sample_count(st, 1, &count), 0);
	assert_int_equal(count, 5);
	assert_int_equal(raw_int(f->db, "SELECT MIN(ts_ms) FROM samples"), 6000);
}

/* ---- the monitor's runs ------------------------------------------------ */

static void test_run_begin(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	int64_t run1 = 0, run2 = 0, run3 = 0, prev = 0, last = 0;

	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, -1);
	assert_int_equal(store_run_begin(st, 10000, &run1, &prev), 0);
	assert_int_equal(prev, -1);
	assert_true(run1 > 0);
	/* A run starting is its own first tick. */
	assert_int_equal(store_last_tick(st, &last), 0);
	assert_int_equal(last, 10000);

	const struct store_rec t1[] = {tick(run1, 11000), tick(run1, 15000)};
	assert_int_equal(store_write_batch(st, t1, ARRAY_LEN(t1)), 0);

	/* The next run learns where the previous one stopped ticking. */
	assert_int_equal(store_run_begin(st, 60000, &run2, &prev), 0);
	assert_int_equal(prev, 15000);
	assert_true(run2 > run1);
	const struct store_rec t2[] = {tick(run2, 61000)};
	assert_int_equal(store_write_batch(st, t2, ARRAY_LEN(t2)), 0);

	/* Reopening keeps it. */
	store_close(f->st);
	f->st = NULL;
	st = open_db(f);
	assert_int_equal(store_run_begin(st, 90000, &run3, &prev), 0);
	assert_int_equal(prev, 61000);
	assert_true(run3 > run2);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM monitor_runs"), 3);
	assert_int_equal(raw_int(f->db, "SELECT started_ms FROM monitor_runs ORDER BY id LIMIT 1"),
	                 10000);
}

/* ---- backup ------------------------------------------------------------ */

static void test_backup(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f), *copy = NULL;
	struct store_runner *rs = NULL;
	char dest[192], err[512] = "";
	size_t n = 0;
	int64_t op, a, count = 0;
	struct store_rec recs[100];

	op = add_operator(st, "acme", 1000);
	a = add_runner(st, op, "alpha", 1000);
	for (int i = 0; i < 100; i++)
		recs[i] = sample(a, 2000 + i, 100, 200, RW_ERRCLASS_NONE);
	assert_int_equal(store_write_batch(st, recs, 100), 0);

	path_in(f, "copy.db", dest, sizeof(dest));
	assert_int_equal(store_backup(st, dest, err, sizeof(err)), 0);
	assert_int_equal(access(dest, F_OK), 0);

	assert_int_equal(store_open(&copy, dest, 0, err, sizeof(err)), 0);
	assert_int_equal(store_integrity_check(copy, err, sizeof(err)), 0);
	assert_int_equal(store_runner_list(copy, 0, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rs[0].name, "alpha");
	assert_int_equal(rs[0].n_targets, 2);
	store_runners_free(rs, n);
	assert_int_equal(store_sample_count(copy, a, &count), 0);
	assert_int_equal(count, 100);
	store_close(copy);
	assert_int_equal(raw_int(dest, "PRAGMA user_version"), store_schema_version());

	/* An existing destination is refused and left as it was. */
	err[0] = '\0';
	assert_int_equal(store_backup(st, dest, err, sizeof(err)), RW_EEXIST);
	assert_non_null(strstr(err, dest));
	assert_int_equal(raw_int(dest, "SELECT COUNT(*) FROM samples"), 100);

	char other[192];
	FILE *fp;
	path_in(f, "precious.txt", other, sizeof(other));
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs("keep me\n", fp);
	fclose(fp);
	assert_int_equal(store_backup(st, other, err, sizeof(err)), RW_EEXIST);
	fp = fopen(other, "r");
	assert_non_null(fp);
	char line[32] = "";
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_string_equal(line, "keep me\n");

	/* A destination that cannot be created. */
	path_in(f, "no/such/dir/copy.db", other, sizeof(other));
	assert_true(store_backup(st, other, err, sizeof(err)) < 0);

	/* The source is still usable and intact. */
	assert_int_equal(store_integrity_check(st, err, sizeof(err)), 0);
}

static void test_integrity_check_finds_damage(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_rec *recs = calloc(3000, sizeof(*recs));
	char err[512] = "";
	struct stat sb;
	FILE *fp;

	assert_non_null(recs);
	for (int i = 0; i < 3000; i++)
		recs[i] = sample(1 + i % 5, 1000 + i, i, 200, RW_ERRCLASS_NONE);
	assert_int_equal(store_write_batch(st, recs, 3000), 0);
	free(recs);
	assert_int_equal(store_integrity_check(st, err, sizeof(err)), 0);
	store_close(f->st); /* the last connection checkpoints the WAL away */
	f->st = NULL;

	/* Scribble over the middle of a page near the end of the file. */
	assert_int_equal(stat(f->db, &sb), 0);
	assert_true(sb.st_size > 8 * 4096);
	fp = fopen(f->db, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, (long)(sb.st_size - 2 * 4096 + 64), SEEK_SET), 0);
	for (int i = 0; i < 1024; i++)
		fputc(0xa5, fp);
	fclose(fp);

	st = open_db(f);
	err[0] = '\0';
	assert_true(store_integrity_check(st, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "integrity_check"));
}

/* ---- policy versions --------------------------------------------------- */

static void test_record_policy(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	static const char ha[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char hb[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

	assert_int_equal(store_record_policy(st, ha, 1, "{\"version\": 1}", 1000, NULL), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM policy_versions"), 1);
	/* The same hash again (a SIGHUP with no change): nothing new. */
	assert_int_equal(store_record_policy(st, ha, 1, "{\"version\": 1}", 2000, NULL), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM policy_versions"), 1);
	assert_int_equal(raw_int(f->db, "SELECT effective_ms FROM policy_versions"), 1000);
	/* A new policy, then the old one back: both are changes. */
	assert_int_equal(store_record_policy(st, hb, 2, "{\"version\": 2}", 3000, NULL), 0);
	assert_int_equal(store_record_policy(st, hb, 2, "{\"version\": 2}", 3500, NULL), 0);
	assert_int_equal(store_record_policy(st, ha, 1, "{\"version\": 1}", 4000, NULL), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM policy_versions"), 3);
	assert_int_equal(raw_int(f->db, "SELECT version FROM policy_versions ORDER BY id DESC"), 1);
	assert_int_equal(
	        raw_int(f->db, "SELECT effective_ms FROM policy_versions ORDER BY id DESC"), 4000);
	char body[64];
	raw_text(f->db, "SELECT body FROM policy_versions WHERE version = 2", body, sizeof(body));
	assert_string_equal(body, "{\"version\": 2}");
}

/* ---- transactions ------------------------------------------------------ */

static void test_transactions(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	char *targets[] = {(char *)"riscv64gc-unknown-linux-gnu"};
	struct store_runner r;
	int64_t op;

	op = add_operator(st, "acme", 1000);
	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.kind = (char *)"http";
	r.url = (char *)"https://a.example.org/";
	r.targets = targets;
	r.n_targets = 1;

	/* Inserted inside the caller's transaction and rolled back: gone. */
	assert_int_equal(store_begin(st), 0);
	r.name = (char *)"one";
	assert_int_equal(store_runner_insert(st, &r, 2000), 0);
	r.name = (char *)"two";
	assert_int_equal(store_runner_insert(st, &r, 2000), 0);
	assert_int_equal(r.gen, 2);
	store_rollback(st);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners"), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM intervals"), 0);
	store_rollback(st); /* no transaction: harmless */

	assert_int_equal(store_begin(st), 0);
	r.name = (char *)"one";
	assert_int_equal(store_runner_insert(st, &r, 2000), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM runners"), 1);
	assert_non_null(store_errmsg(st));
	assert_non_null(store_errmsg(NULL));
	store_close(NULL);
}

/* ---- PostgreSQL: what stands for the file's behaviour ------------------- */

/* An empty database is not written into without STORE_CREATE; with it, it
 * gets the schema (in runwarden_schema, not PRAGMA user_version). */
static void test_pg_empty_database(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)0x1;
	char err[512] = "";

	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), RW_ENOENT);
	assert_null(st);
	assert_non_null(strstr(err, "not a runwarden database"));
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM information_schema.tables"
	                                " WHERE table_schema = 'public'"),
	                 0);
	assert_int_equal(store_open(&st, f->db, STORE_READONLY, err, sizeof(err)), RW_ENOENT);
	assert_non_null(strstr(err, "not a runwarden database"));
	open_db(f);
	assert_schema_v1(f->db);
}

/* A database a newer runwarden wrote is refused by every kind of open, and
 * nothing is written: the migration's transaction is rolled back. */
static void test_pg_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)0x1;
	char err[512] = "", sql[160];

	snprintf(sql, sizeof(sql),
	         "CREATE TABLE runwarden_schema (version BIGINT NOT NULL);"
	         " INSERT INTO runwarden_schema VALUES (%d); CREATE TABLE future (x BIGINT)",
	         store_schema_version() + 1);
	raw_exec(f->db, sql);
	assert_int_equal(store_open(&st, f->db, STORE_CREATE, err, sizeof(err)), RW_ESCHEMA);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), RW_ESCHEMA);
	assert_int_equal(store_open(&st, f->db, STORE_READONLY, err, sizeof(err)), RW_ESCHEMA);
	assert_null(st);
	assert_int_equal(raw_int(f->db, "SELECT version FROM runwarden_schema"),
	                 store_schema_version() + 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM information_schema.tables"
	                                " WHERE table_name = 'runners'"),
	                 0);
}

/* An older schema is brought up to date in one transaction; a migration that
 * fails leaves the database as it was. */
static void test_pg_migrates_older_schema(void **state)
{
	struct fx *f = *state;
	int64_t id = 0;

	open_db(f);
	add_operator(f->st, "acme", 1000);
	store_close(f->st);
	f->st = NULL;
	/* Back to schema 7: without the index of migration 8, the column of
	 * migration 9 and the vantages of migration 10; the pending migrations
	 * run. */
	raw_exec(f->db, "DROP INDEX events_updown;"
	                " ALTER TABLE runners DROP COLUMN probation_waived_ms;"
	                " ALTER TABLE monitor_runs DROP COLUMN led_until_ms;"
	                " DROP TABLE vantages; DROP TABLE vantage_states;"
	                " ALTER TABLE samples DROP COLUMN vantage_id;"
	                " ALTER TABLE monitor_runs DROP COLUMN vantage_id;"
	                " ALTER TABLE blind_periods DROP COLUMN vantage_id;"
	                " UPDATE runwarden_schema SET version = 7");
	open_db(f);
	assert_int_equal(store_migrated_from(f->st, NULL), 7);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM pg_indexes"
	                                " WHERE indexname = 'events_updown'"),
	                 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM information_schema.columns"
	                                " WHERE table_name = 'runners'"
	                                " AND column_name = 'probation_waived_ms'"),
	                 1);
	assert_int_equal(store_operator_find(f->st, "acme", &id), 0);
	store_close(f->st);
	f->st = NULL;
	/* A step that fails: the index exists, but the version says 7. */
	raw_exec(f->db, "UPDATE runwarden_schema SET version = 7");
	{
		struct store *st = NULL;
		char err[512] = "";
		assert_true(store_open(&st, f->db, STORE_CREATE, err, sizeof(err)) < 0);
		assert_null(st);
		assert_non_null(strstr(err, "migrating the schema failed"));
	}
	assert_int_equal(raw_int(f->db, "SELECT version FROM runwarden_schema"), 7);
}

/* `runwarden backup` copies files; a PostgreSQL database is pg_dump's. */
static void test_pg_backup_says_pg_dump(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	char dest[1300], err[512] = "";

	path_in(f, "copy.db", dest, sizeof(dest));
	assert_int_equal(store_backup(st, dest, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "pg_dump"));
	assert_int_equal(access(dest, F_OK), -1);
	assert_int_equal(store_integrity_check(st, err, sizeof(err)), 0);
	assert_int_equal(store_checkpoint(st), 0);
}

/* A database the server does not have is a wrong --db, as a missing file. */
static void test_pg_missing_database(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)0x1;
	char err[1400] = "", missing[1300];
	const char *q = strchr(f->db, '?');

	/* The test's URI with its database name replaced. */
	snprintf(missing, sizeof(missing), "postgresql://%.*s/rwt_no_such_db%s",
	         (int)(strchr(f->db + 13, '/') - (f->db + 13)), f->db + 13, q ? q : "");
	assert_int_equal(store_open(&st, missing, 0, err, sizeof(err)), RW_ENOENT);
	assert_null(st);
	assert_non_null(strstr(err, "rwt_no_such_db"));
}

/* The server ends the connection (a restart, a failover, an administrator):
 * the statement that finds it gone fails, as a busy SQLite file's does, and
 * the next one runs on a new connection, prepared statements and all. */
static void test_pg_reconnects(void **state)
{
	struct fx *f = *state;
	struct store *st = open_db(f);
	struct store_rec rec = sample(1, 5000, 100, 200, RW_ERRCLASS_NONE);
	int64_t id = 0, count = 0;
	int rc;

	add_operator(st, "acme", 1000);
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
	/* Waits until the backend is gone (PostgreSQL 14+: the timeout). */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid,"
	                                " 10000) FROM pg_stat_activity WHERE datname ="
	                                " current_database() AND pid <> pg_backend_pid()) t"),
	                 1);
	rc = store_write_batch(st, &rec, 1);
	assert_int_equal(rc, RW_EIO);
	assert_true(strstr(store_errmsg(st), "terminating connection") ||
	            strstr(store_errmsg(st), "server closed the connection"));
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
	assert_int_equal(store_sample_count(st, 1, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_operator_find(st, "acme", &id), 0);
	assert_true(id > 0);
}

/* A server that does not answer: one line naming it, without the password. */
static void test_pg_cannot_connect(void **state)
{
	struct store *st = (struct store *)0x1;
	char err[512] = "";

	(void)state;
	assert_int_equal(store_open(&st,
	                            "postgresql://rw:s3cret@127.0.0.1:1/nodb?connect_timeout=5",
	                            STORE_CREATE, err, sizeof(err)),
	                 RW_EIO);
	assert_null(st);
	assert_non_null(strstr(err, "cannot connect"));
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_null(strstr(err, "s3cret"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_open_missing_without_create, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_new_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_empty_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_small_cache, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runners, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_status_table, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_status_stale_view, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_status_race, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_starts_unknown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_batch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_batch_all_or_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_intervals_window, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_samples_purge, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_run_begin, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_integrity_check_finds_damage, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_record_policy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	};
	/* On PostgreSQL, what the tests above check of the file (its bytes, its
	 * journal mode, the online backup) has these in its place. */
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(test_pg_empty_database, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pg_newer_schema_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pg_migrates_older_schema, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pg_backup_says_pg_dump, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pg_cannot_connect, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pg_missing_database, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pg_reconnects, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runners, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_status_table, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_status_stale_view, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_status_race, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_starts_unknown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_batch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_batch_all_or_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_intervals_window, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_samples_purge, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_run_begin, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_record_policy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	};

	if (rwt_pg())
		return cmocka_run_group_tests_name("store on PostgreSQL", pg_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
