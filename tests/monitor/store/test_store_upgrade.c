/* SPDX-License-Identifier: MIT */
/*
 * test_store_upgrade.c — upgrading a database written by an older
 * runwarden: store_open() copies it beside itself (PATH.schemaV-STAMP.bak,
 * the SQLite online backup API) inside the migration's transaction before
 * the first step, and migrates nothing when the copy fails. The old
 * database is the first schema exactly (schema1.sql beside this file).
 */
#include <dirent.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

struct fx {
	char dir[512];
	char db[1200];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "store_upgrade");
	rwt_db(f->db, sizeof(f->db), f->dir, "runwarden.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(
	        sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	        SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", path, msg ? msg : "?");
	sqlite3_close(db);
}

/* The first column of the first row of @p sql as an integer (-999: no row,
 * -998: the statement does not prepare, e.g. a table that is not there). */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -999;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		v = -998;
	else if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A database as the first schema wrote it, in WAL mode as runwarden keeps
 * it, with one operator and one runner in it. */
static void make_schema1_db(const char *path)
{
	char *sql = rwt_slurp(RW_SOURCE_DIR "/tests/monitor/store/schema1.sql", NULL);

	assert_non_null(sql);
	raw_exec(path, "PRAGMA journal_mode = WAL");
	raw_exec(path, sql);
	raw_exec(path, "INSERT INTO operators VALUES (1, 'acme', 'ops@acme.example', 1000);"
	               "INSERT INTO runners (id, operator_id, name, kind, url, status, created_ms,"
	               "  gen) VALUES (1, 1, 'rv-1', 'http', 'https://rv-1.acme.example/', 1,"
	               "  1000, 1);"
	               "INSERT INTO runner_targets VALUES (1, 'riscv64gc-unknown-linux-gnu');"
	               "PRAGMA user_version = 1;");
	free(sql);
}

/* How many files in @p dir start with @p prefix; the last one's name in
 * @p name. */
static int count_prefixed(const char *dir, const char *prefix, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			n++;
			if (name)
				snprintf(name, len, "%s/%s", dir, e->d_name);
		}
	closedir(d);
	return n;
}

static void upgrade_copies_first(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	const char *copy = NULL;
	char err[1600] = "", found[1200] = "", want[700];
	size_t plen;

	make_schema1_db(f->db);
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_migrated_from(st, &copy), 1);
	assert_non_null(copy);
	/* PATH.schema1-YYYYMMDDTHHMMSSZ.bak, beside the database. */
	snprintf(want, sizeof(want), "%s.schema1-", f->db);
	plen = strlen(want);
	assert_int_equal(strncmp(copy, want, plen), 0);
	assert_int_equal(strlen(copy), plen + strlen("20260101T000000Z.bak"));
	assert_string_equal(copy + strlen(copy) - 4, ".bak");
	assert_int_equal(count_prefixed(f->dir, "runwarden.db.schema", found, sizeof(found)), 1);
	assert_string_equal(found, copy);
	snprintf(want, sizeof(want), "%s", copy);
	store_close(st);

	/* The copy is the old database, whole: version 1, the rows, none of
	 * the later tables; and sound. */
	assert_int_equal(raw_int(want, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(want, "SELECT count(*) FROM operators WHERE name = 'acme'"), 1);
	assert_int_equal(raw_int(want, "SELECT count(*) FROM runner_targets"), 1);
	assert_int_equal(raw_int(want, "SELECT count(*) FROM flags"), -998);
	assert_int_equal(raw_int(want, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"),
	                 0);
	assert_int_equal(raw_int(want, "SELECT 'ok' = (SELECT integrity_check FROM "
	                               "pragma_integrity_check)"),
	                 1);
	/* The database itself is migrated and keeps its rows. */
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM runners WHERE name = 'rv-1'"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM flags"), 0);

	/* A current database is neither migrated nor copied again. */
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_migrated_from(st, &copy), 0);
	assert_null(copy);
	store_close(st);
	assert_int_equal(count_prefixed(f->dir, "runwarden.db.schema", NULL, 0), 1);
}

static void new_database_no_copy(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	const char *copy = "x";
	char err[1600] = "";

	assert_int_equal(store_open(&st, f->db, STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(store_migrated_from(st, &copy), 0);
	assert_null(copy);
	store_close(st);
	assert_int_equal(count_prefixed(f->dir, "runwarden.db.schema", NULL, 0), 0);
}

static void read_only_never_migrates(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char err[1600] = "";

	make_schema1_db(f->db);
	assert_true(store_open(&st, f->db, STORE_READONLY, err, sizeof(err)) < 0);
	assert_null(st);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(count_prefixed(f->dir, "runwarden.db.schema", NULL, 0), 0);
}

/* The copy cannot be made (its name is taken, here by folders for every
 * second the open may take): nothing is migrated, and the error says why. */
static void failed_copy_migrates_nothing(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char err[1600] = "", path[800];
	time_t now = time(NULL);

	make_schema1_db(f->db);
	for (time_t t = now - 1; t <= now + 30; t++) {
		struct tm tm;
		char stamp[32];
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(path, sizeof(path), "%s.schema1-%s.bak", f->db, stamp);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	assert_true(store_open(&st, f->db, 0, err, sizeof(err)) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "not migrating schema 1"));
	assert_non_null(strstr(err, "already exists"));
	assert_non_null(strstr(err, "nothing was changed"));
	assert_non_null(strstr(err, f->db));
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM flags"), -998);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM operators"), 1);
	/* The folders are the only things of that name: no half-made copy. */
	assert_int_equal(count_prefixed(f->dir, "runwarden.db.schema", NULL, 0), 32);
	for (time_t t = now - 1; t <= now + 30; t++) {
		struct tm tm;
		char stamp[32];
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(path, sizeof(path), "%s.schema1-%s.bak", f->db, stamp);
		assert_int_equal(rmdir(path), 0);
	}
	/* Once it can be copied, it is. */
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_migrated_from(st, NULL), 1);
	store_close(st);
	assert_int_equal(count_prefixed(f->dir, "runwarden.db.schema", NULL, 0), 1);
}

/* ---- PostgreSQL: no copy, one transaction ----------------------------------
 *
 * A PostgreSQL database is not copied before a migration (the operator's
 * copy is pg_dump's): the migration runs in one transaction, so a failed
 * one changes nothing (test_store.c, test_pg_migrates_older_schema). */

/* A database of schema 7 with a runner in it, made by this runwarden and
 * taken back two steps (migrations 8 and 9). */
static void make_schema7_pg(const char *db)
{
	struct store *st = NULL;
	char err[1600] = "";

	assert_int_equal(store_open(&st, db, STORE_CREATE, err, sizeof(err)), 0);
	store_close(st);
	assert_int_equal(rwt_sql_exec(db, "INSERT INTO operators (name, email, created_ms)"
	                                  " VALUES ('acme', 'ops@acme.example', 1000);"
	                                  "DROP INDEX events_updown;"
	                                  "ALTER TABLE runners DROP COLUMN probation_waived_ms;"
	                                  "ALTER TABLE monitor_runs DROP COLUMN led_until_ms;"
	                                  "DROP TABLE vantages; DROP TABLE vantage_states;"
	                                  "ALTER TABLE samples DROP COLUMN vantage_id;"
	                                  "ALTER TABLE monitor_runs DROP COLUMN vantage_id;"
	                                  "ALTER TABLE blind_periods DROP COLUMN vantage_id;"
	                                  "UPDATE runwarden_schema SET version = 7"),
	                 0);
}

static void pg_upgrade_takes_no_copy(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	const char *copy = "x";
	char err[1600] = "";

	make_schema7_pg(f->db);
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_migrated_from(st, &copy), 7);
	assert_null(copy);
	store_close(st);
	assert_int_equal(rwt_sql_int(f->db, "SELECT version FROM runwarden_schema"),
	                 store_schema_version());
	assert_int_equal(rwt_sql_int(f->db, "SELECT count(*) FROM operators"), 1);
	/* Nothing was written beside the test's folder's files. */
	assert_int_equal(count_prefixed(f->dir, "runwarden.db", NULL, 0), 0);
}

static void pg_read_only_never_migrates(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char err[1600] = "";

	make_schema7_pg(f->db);
	assert_true(store_open(&st, f->db, STORE_READONLY, err, sizeof(err)) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "schema version does not match"));
	assert_int_equal(rwt_sql_int(f->db, "SELECT version FROM runwarden_schema"), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(upgrade_copies_first, setup, teardown),
	        cmocka_unit_test_setup_teardown(new_database_no_copy, setup, teardown),
	        cmocka_unit_test_setup_teardown(read_only_never_migrates, setup, teardown),
	        cmocka_unit_test_setup_teardown(failed_copy_migrates_nothing, setup, teardown),
	};
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(pg_upgrade_takes_no_copy, setup, teardown),
	        cmocka_unit_test_setup_teardown(new_database_no_copy, setup, teardown),
	        cmocka_unit_test_setup_teardown(pg_read_only_never_migrates, setup, teardown),
	};
	if (rwt_pg())
		return cmocka_run_group_tests_name("upgrade on PostgreSQL", pg_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
