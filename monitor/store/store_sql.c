/* SPDX-License-Identifier: MIT */
/*
 * store_sql.c — the SQLite plumbing every store file shares (store_impl.h):
 * preparing and running statements, transactions, the SQLite -> RW_E*
 * conversion, growing row arrays. It calls no other store file, so that
 * each of them can call it.
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
