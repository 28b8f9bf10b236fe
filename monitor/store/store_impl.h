/* SPDX-License-Identifier: MIT */
/*
 * store_impl.h — private to the store's files (store.c and store_*.c): the
 * connection struct, the statement layer over the two backends, the
 * result-code → RW_E* conversion and shared row readers. Nothing else
 * includes this.
 *
 * Two backends sit behind store.h: SQLite (a file path) and PostgreSQL (a
 * libpq URI, store_pg.c). The store's files speak to either through the
 * statement layer below (store_sql.c), whose calls mirror SQLite's
 * (store_step() answers SQLITE_ROW, SQLITE_DONE or an SQLite result code),
 * so that SQLite's codes are the store's one internal vocabulary: the
 * PostgreSQL backend converts SQLSTATEs to them (store_pg.c) and
 * store_rc() converts them to RW_E* at the module boundary. Where the two
 * SQL dialects differ, the statement is written twice
 * (store_prepare_dialect()); otherwise PostgreSQL gets SQLite's text with
 * its ?N parameters renumbered as $N.
 */
#ifndef RW_STORE_IMPL_H
#define RW_STORE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "monitor/store/store.h"

enum store_backend {
	STORE_SQLITE = 0,
	STORE_POSTGRES = 1,
};

struct store_pg; /* store_pg.c */

struct store {
	enum store_backend backend;
	sqlite3 *db;         /* STORE_SQLITE */
	struct store_pg *pg; /* STORE_POSTGRES */
	/* What this open migrated (store_migrated_from()): the version the file
	 * had, 0 when nothing was migrated, and the copy taken before. */
	int migrated_from;
	char migration_backup[1200];
	/* Statements of the writer's hot path, prepared once. */
	struct store_stmt *ins_sample;
	struct store_stmt *ins_change;
	struct store_stmt *upd_last_state;
	struct store_stmt *upd_tick;
	struct store_stmt *ins_blind;
	struct store_stmt *ins_flag;
	struct store_stmt *open_incident;
	struct store_stmt *close_incident;
	struct store_stmt *ev_incident;
	struct store_stmt *ev_down; /* "down", unless the runner's last down/up was one */
	struct store_stmt *ev_up;   /* "up", when the runner's last down/up was "down" */
	struct store_stmt *ev_voided;
	struct store_stmt *ins_event;
	struct store_stmt *ins_vstate;    /* vantage_states upsert */
	struct store_stmt *upd_vant_tick; /* vantages.last_tick_ms of a run's vantage */
	/* The vantage this connection's writes are tagged with (store.h). */
	int64_t vantage_id;
	/* PostgreSQL only (NULL on SQLite): a batch's samples in one
	 * statement, as five arrays unnested (store_history.c). */
	struct store_stmt *ins_samples_pg;
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

/**
 * Whether @p path names a PostgreSQL database: a libpq URI, starting with
 * "postgresql://" or "postgres://".
 */
bool store_is_pg_uri(const char *path);

/* ---- the statement layer (store_sql.c) -------------------------------------
 *
 * A prepared statement of either backend. The calls are SQLite's, with its
 * semantics: parameters are numbered from 1 and keep their values across
 * store_reset(); store_step() returns SQLITE_ROW, SQLITE_DONE or an error
 * code; column readers read the current row, columns numbered from 0.
 * Text and blobs passed to the binders are copied by the PostgreSQL backend
 * (the destructor argument is SQLite's).
 */
struct store_stmt;

/** Prepares @p sql, or returns the converted error. */
int store_prepare(struct store *st, const char *sql, struct store_stmt **out);

/** Prepares @p sqlite_sql on SQLite, @p pg_sql on PostgreSQL. */
int store_prepare_dialect(struct store *st, const char *sqlite_sql, const char *pg_sql,
                          struct store_stmt **out);

/** Runs a statement (or, without parameters, several) with no result rows. */
int store_exec(struct store *st, const char *sql);

int store_step(struct store_stmt *s);
int store_reset(struct store_stmt *s);
int store_finalize(struct store_stmt *s);
int store_bind_int64(struct store_stmt *s, int i, sqlite3_int64 v);
int store_bind_int(struct store_stmt *s, int i, int v);
int store_bind_text(struct store_stmt *s, int i, const char *v, int n, void (*destructor)(void *));
int store_bind_blob(struct store_stmt *s, int i, const void *v, int n, void (*destructor)(void *));
int store_bind_null(struct store_stmt *s, int i);
int store_bind_parameter_count(struct store_stmt *s);
sqlite3_int64 store_column_int64(struct store_stmt *s, int col);
int store_column_int(struct store_stmt *s, int col);
const unsigned char *store_column_text(struct store_stmt *s, int col);
/** SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_BLOB. */
int store_column_type(struct store_stmt *s, int col);
const void *store_column_blob(struct store_stmt *s, int col);
int store_column_bytes(struct store_stmt *s, int col);
/** Rows changed by the connection's last INSERT, UPDATE or DELETE. */
int store_changes(struct store *st);
/** The id of the row the connection's last INSERT added. */
sqlite3_int64 store_last_insert_rowid(struct store *st);
/** Whether a transaction is open on the connection. */
bool store_in_transaction(struct store *st);

/* ---- the PostgreSQL backend (store_pg.c, store_pg_schema.c) ----------------
 *
 * What store_sql.c and store.c call when st->backend is STORE_POSTGRES.
 */
struct store_pg_stmt;

/** Connects to @p uri (store_open(), which then calls store_pg_migrate()).
 *  @return 0, RW_ENOENT (no such database), RW_EIO, RW_ENOMEM. */
int store_pg_open(struct store *st, const char *uri, unsigned flags, char *err, size_t errlen);
void store_pg_close(struct store *st);
/* These answer SQLite result codes (store_rc() converts them). */
int store_pg_exec(struct store *st, const char *sql);
const char *store_pg_errmsg(const struct store *st);
void store_pg_set_lock_timeout(struct store *st, int ms);
/** Takes the database's write lock in the open transaction (store_begin()). */
int store_pg_lock(struct store *st);
bool store_pg_in_transaction(struct store *st);
int store_pg_changes(struct store *st);
sqlite3_int64 store_pg_last_insert_rowid(struct store *st);
/** Brings the schema up to date (store_pg_schema.c); one line in @p err. */
int store_pg_migrate(struct store *st, unsigned flags, char *err, size_t errlen);
/** The stored schema version, 0 when there is none (store_pg_schema.c). */
int store_pg_schema_version(struct store *st, int *v);

int store_pg_prepare(struct store *st, const char *sql, struct store_pg_stmt **out);
int store_pg_step(struct store_pg_stmt *s);
int store_pg_reset(struct store_pg_stmt *s);
void store_pg_finalize(struct store_pg_stmt *s);
/* Parameter @p i as text (NULL: SQL NULL), of PostgreSQL type @p oid; a blob
 * (binary) when @p binary. */
int store_pg_bind(struct store_pg_stmt *s, int i, const void *v, int n, unsigned oid, bool binary);
int store_pg_bind_parameter_count(struct store_pg_stmt *s);
const char *store_pg_column(struct store_pg_stmt *s, int col, int *len, unsigned *oid);
const void *store_pg_column_blob(struct store_pg_stmt *s, int col, int *len);

/**
 * Steps @p s (SELECT id, sha256, version, body, effective_ms FROM
 * policy_versions ...) once into @p out, then finalizes it.
 * @return 0, RW_ENOENT (no row), RW_ENOMEM, RW_EIO.
 */
int store_policy_row(struct store_stmt *s, struct store_policy_version *out);

/** Duplicates a column's text (NULL stays NULL); sets *oom on failure. */
char *store_col_strdup(struct store_stmt *s, int col, int *oom);

#endif
