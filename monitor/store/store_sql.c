/* SPDX-License-Identifier: MIT */
/*
 * store_sql.c — the plumbing every store file shares (store_impl.h):
 * preparing and running statements on either backend (SQLite here,
 * PostgreSQL through store_pg.c), transactions, the SQLite -> RW_E*
 * conversion, growing row arrays. It calls no other store file but
 * store_pg.c, so that each of them can call it.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A statement of either backend: exactly one of lite and pg is set. */
struct store_stmt {
	sqlite3_stmt *lite;
	struct store_pg_stmt *pg;
};

bool store_is_pg_uri(const char *path)
{
	return path &&
	       (strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0);
}

int store_prepare_dialect(struct store *st, const char *sqlite_sql, const char *pg_sql,
                          struct store_stmt **out)
{
	struct store_stmt *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return RW_ENOMEM;
	if (st->backend == STORE_POSTGRES)
		rc = store_pg_prepare(st, pg_sql, &s->pg);
	else
		rc = store_rc(sqlite3_prepare_v2(st->db, sqlite_sql, -1, &s->lite, NULL));
	if (rc < 0 || (!s->lite && !s->pg)) {
		free(s);
		return rc < 0 ? rc : RW_EINVAL;
	}
	*out = s;
	return 0;
}

int store_prepare(struct store *st, const char *sql, struct store_stmt **out)
{
	return store_prepare_dialect(st, sql, sql, out);
}

int store_exec(struct store *st, const char *sql)
{
	if (st->backend == STORE_POSTGRES)
		return store_rc(store_pg_exec(st, sql));
	return store_rc(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

int store_step(struct store_stmt *s)
{
	return s->lite ? sqlite3_step(s->lite) : store_pg_step(s->pg);
}

int store_reset(struct store_stmt *s)
{
	return s->lite ? sqlite3_reset(s->lite) : store_pg_reset(s->pg);
}

int store_finalize(struct store_stmt *s)
{
	if (!s)
		return SQLITE_OK;
	if (s->lite)
		sqlite3_finalize(s->lite);
	else
		store_pg_finalize(s->pg);
	free(s);
	return SQLITE_OK;
}

/* PostgreSQL type oids (catalog/pg_type.h, which libpq-dev does not ship). */
#define PG_INT8OID  20
#define PG_TEXTOID  25
#define PG_BYTEAOID 17

int store_bind_int64(struct store_stmt *s, int i, sqlite3_int64 v)
{
	char buf[24];
	int n;

	if (s->lite)
		return sqlite3_bind_int64(s->lite, i, v);
	n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return store_pg_bind(s->pg, i, buf, n, PG_INT8OID, false);
}

int store_bind_int(struct store_stmt *s, int i, int v)
{
	return s->lite ? sqlite3_bind_int(s->lite, i, v) : store_bind_int64(s, i, v);
}

int store_bind_text(struct store_stmt *s, int i, const char *v, int n, void (*destructor)(void *))
{
	if (s->lite)
		return sqlite3_bind_text(s->lite, i, v, n, destructor);
	if (!v)
		return store_pg_bind(s->pg, i, NULL, 0, PG_TEXTOID, false);
	return store_pg_bind(s->pg, i, v, n < 0 ? (int)strlen(v) : n, PG_TEXTOID, false);
}

int store_bind_blob(struct store_stmt *s, int i, const void *v, int n, void (*destructor)(void *))
{
	if (s->lite)
		return sqlite3_bind_blob(s->lite, i, v, n, destructor);
	return store_pg_bind(s->pg, i, v ? v : "", v ? n : 0, PG_BYTEAOID, true);
}

int store_bind_null(struct store_stmt *s, int i)
{
	return s->lite ? sqlite3_bind_null(s->lite, i) : store_pg_bind(s->pg, i, NULL, 0, 0, false);
}

int store_bind_parameter_count(struct store_stmt *s)
{
	return s->lite ? sqlite3_bind_parameter_count(s->lite)
	               : store_pg_bind_parameter_count(s->pg);
}

sqlite3_int64 store_column_int64(struct store_stmt *s, int col)
{
	const char *v;
	unsigned oid;
	int len;

	if (s->lite)
		return sqlite3_column_int64(s->lite, col);
	v = store_pg_column(s->pg, col, &len, &oid);
	if (!v)
		return 0;
	if (v[0] == 't' || v[0] == 'f') /* a boolean, as SQLite's 1 and 0 */
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

int store_column_int(struct store_stmt *s, int col)
{
	return s->lite ? sqlite3_column_int(s->lite, col) : (int)store_column_int64(s, col);
}

const unsigned char *store_column_text(struct store_stmt *s, int col)
{
	unsigned oid;
	int len;

	if (s->lite)
		return sqlite3_column_text(s->lite, col);
	return (const unsigned char *)store_pg_column(s->pg, col, &len, &oid);
}

int store_column_type(struct store_stmt *s, int col)
{
	unsigned oid;
	int len;

	if (s->lite)
		return sqlite3_column_type(s->lite, col);
	if (!store_pg_column(s->pg, col, &len, &oid))
		return SQLITE_NULL;
	if (oid == PG_BYTEAOID)
		return SQLITE_BLOB;
	if (oid == 20 || oid == 21 || oid == 23 || oid == 16 || oid == 1700)
		return SQLITE_INTEGER;
	if (oid == 700 || oid == 701)
		return SQLITE_FLOAT;
	return SQLITE_TEXT;
}

const void *store_column_blob(struct store_stmt *s, int col)
{
	int len;

	return s->lite ? sqlite3_column_blob(s->lite, col) : store_pg_column_blob(s->pg, col, &len);
}

int store_column_bytes(struct store_stmt *s, int col)
{
	unsigned oid;
	int len = 0;

	if (s->lite)
		return sqlite3_column_bytes(s->lite, col);
	if (store_pg_column(s->pg, col, &len, &oid) && oid == PG_BYTEAOID)
		store_pg_column_blob(s->pg, col, &len);
	return len;
}

int store_changes(struct store *st)
{
	return st->backend == STORE_POSTGRES ? store_pg_changes(st) : sqlite3_changes(st->db);
}

sqlite3_int64 store_last_insert_rowid(struct store *st)
{
	return st->backend == STORE_POSTGRES ? store_pg_last_insert_rowid(st)
	                                     : sqlite3_last_insert_rowid(st->db);
}

bool store_in_transaction(struct store *st)
{
	return st->backend == STORE_POSTGRES ? store_pg_in_transaction(st)
	                                     : !sqlite3_get_autocommit(st->db);
}

char *store_col_strdup(struct store_stmt *s, int col, int *oom)
{
	const unsigned char *t = store_column_text(s, col);
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
	if (st && st->backend == STORE_POSTGRES)
		return store_pg_errmsg(st);
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

int store_begin(struct store *st)
{
	int rc;

	if (st->backend != STORE_POSTGRES)
		return store_exec(st, "BEGIN IMMEDIATE");
	/* BEGIN IMMEDIATE's promise: one writer at a time, from the start of
	 * its transaction, so that what it reads it may write on. */
	rc = store_rc(store_pg_exec(st, "BEGIN ISOLATION LEVEL READ COMMITTED"));
	if (rc == 0)
		rc = store_rc(store_pg_lock(st));
	if (rc < 0)
		store_rollback(st);
	return rc;
}

int store_commit(struct store *st)
{
	return store_exec(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	if (store_in_transaction(st))
		store_exec(st, "ROLLBACK");
}
