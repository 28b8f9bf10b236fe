/* SPDX-License-Identifier: MIT */
/*
 * store_impl.h — private to the store's files (store.c and store_*.c): the
 * connection struct, the SQLite → RW_E* conversion and shared row readers.
 * Nothing else includes this.
 */
#ifndef RW_STORE_IMPL_H
#define RW_STORE_IMPL_H

#include <sqlite3.h>

#include "monitor/store/store.h"

struct store {
	sqlite3 *db;
	/* What this open migrated (store_migrated_from()): the version the file
	 * had, 0 when nothing was migrated, and the copy taken before. */
	int migrated_from;
	char migration_backup[1200];
	/* Statements of the writer's hot path, prepared once. */
	sqlite3_stmt *ins_sample;
	sqlite3_stmt *ins_change;
	sqlite3_stmt *upd_last_state;
	sqlite3_stmt *upd_tick;
	sqlite3_stmt *ins_blind;
	sqlite3_stmt *ins_flag;
	sqlite3_stmt *open_incident;
	sqlite3_stmt *close_incident;
	sqlite3_stmt *ev_incident;
	sqlite3_stmt *ev_down; /* "down", unless the runner's last down/up was one */
	sqlite3_stmt *ev_up;   /* "up", when the runner's last down/up was "down" */
	sqlite3_stmt *ev_voided;
	sqlite3_stmt *ins_event;
};

/* REGISTRATION_RETIRED as SQL text, for the statements that must match the
 * WHERE of the partial index runners_github_member (store_schema.c) to use
 * it: SQLite matches literals there, not bound parameters. */
#define STORE_RETIRED_SQL "2"
_Static_assert(REGISTRATION_RETIRED == 2, "STORE_RETIRED_SQL spells REGISTRATION_RETIRED");

/**
 * Makes room for one more element in a growable array of @p elem-sized
 * items holding @p len of @p *cap (doubling, from 16). @return 0 or RW_ENOMEM
 * (the array is then unchanged).
 */
int store_grow(void **v, size_t *cap, size_t len, size_t elem);

/** Reads PRAGMA user_version (store_schema.c). */
int store_user_version(struct store *st, int *v);

/**
 * Brings the schema of the database at @p path up to store_schema_version()
 * (store_schema.c). A database that has a schema (user_version >= 1) is
 * first copied beside itself, as PATH.schemaV-YYYYMMDDTHHMMSSZ.bak, while
 * the migration's transaction holds the write lock, so the copy is exactly
 * what was migrated; when the copy fails nothing is migrated.
 * @return 0, RW_ESCHEMA (written by a newer runwarden), RW_EEXIST or RW_EIO
 *         (the copy), or the error, with one line in @p err.
 */
int store_migrate(struct store *st, const char *path, char *err, size_t errlen);

/**
 * Copies the main database of @p src to the new file @p dest_path (which
 * must not exist) with the SQLite online backup API, in steps, as one
 * self-contained file (journal_mode DELETE), then runs PRAGMA
 * integrity_check on the copy. A failed copy is removed.
 * @return 0, RW_EEXIST, RW_EIO; one line in @p err.
 */
int store_copy_db(sqlite3 *src, const char *dest_path, char *err, size_t errlen);

/** Converts an SQLite result code to RW_E*. */
int store_rc(int sqlite_rc);

/** Prepares @p sql, or returns the converted error. */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out);

/** Runs a statement with no result rows. */
int store_exec(struct store *st, const char *sql);

/**
 * Steps @p s (SELECT id, sha256, version, body, effective_ms FROM
 * policy_versions ...) once into @p out, then finalizes it.
 * @return 0, RW_ENOENT (no row), RW_ENOMEM, RW_EIO.
 */
int store_policy_row(sqlite3_stmt *s, struct store_policy_version *out);

/** Duplicates a column's text (NULL stays NULL); sets *oom on failure. */
char *store_col_strdup(sqlite3_stmt *s, int col, int *oom);

#endif
