/* SPDX-License-Identifier: MIT */
/*
 * store_auth.c — bearer tokens in SQLite, by their SHA-256 only.
 *
 * Invariant: no raw token ever reaches this file; callers hash first
 * (auth.c). A token row is never deleted, so an audit can tell which token
 * did what; revoking sets revoked_ms once.
 */
#include "monitor/store/store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

int store_token_add(struct store *st, int64_t operator_id, int64_t runner_id,
                    const uint8_t sha256[32], int64_t now_ms, int64_t expires_ms, int64_t *id)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "INSERT INTO tokens (operator_id, runner_id, sha256, created_ms,"
	                       " expires_ms) VALUES (?, ?, ?, ?, ?)",
	                       &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, operator_id);
	if (runner_id > 0)
		store_bind_int64(s, 2, runner_id);
	else
		store_bind_null(s, 2);
	store_bind_blob(s, 3, sha256, 32, SQLITE_STATIC);
	store_bind_int64(s, 4, now_ms);
	if (expires_ms > 0)
		store_bind_int64(s, 5, expires_ms);
	else
		store_bind_null(s, 5);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc == 0 && id)
		*id = store_last_insert_rowid(st);
	return rc;
}

#define TOKEN_COLS                                                                                 \
	"id, operator_id, IFNULL(runner_id, 0), created_ms, IFNULL(expires_ms, 0), "               \
	"IFNULL(revoked_ms, 0), sha256"

static void token_row(struct store_stmt *s, struct store_token *t)
{
	t->id = store_column_int64(s, 0);
	t->operator_id = store_column_int64(s, 1);
	t->runner_id = store_column_int64(s, 2);
	t->created_ms = store_column_int64(s, 3);
	t->expires_ms = store_column_int64(s, 4);
	t->revoked_ms = store_column_int64(s, 5);
	memset(t->sha256, 0, sizeof(t->sha256));
	if (store_column_bytes(s, 6) == (int)sizeof(t->sha256))
		memcpy(t->sha256, store_column_blob(s, 6), sizeof(t->sha256));
}

int store_token_find(struct store *st, const uint8_t sha256[32], struct store_token *out)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT " TOKEN_COLS " FROM tokens WHERE sha256 = ?", &s);
	if (rc < 0)
		return rc;
	store_bind_blob(s, 1, sha256, 32, SQLITE_STATIC);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		token_row(s, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	return rc;
}

int store_token_list(struct store *st, int64_t operator_id, struct store_token **out, size_t *n)
{
	struct store_stmt *s;
	struct store_token *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   operator_id ? "SELECT " TOKEN_COLS
	                                 " FROM tokens WHERE operator_id = ? ORDER BY id"
	                               : "SELECT " TOKEN_COLS " FROM tokens ORDER BY id",
	                   &s);
	if (rc < 0)
		return rc;
	if (operator_id)
		store_bind_int64(s, 1, operator_id);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		token_row(s, &v[len++]);
	}
	store_finalize(s);
	rc = rc == SQLITE_DONE ? 0 : store_rc(rc);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

int store_token_revoke(struct store *st, int64_t operator_id, int64_t token_id, int64_t now_ms)
{
	struct store_stmt *s;
	int64_t revoked = -1;
	int rc = store_prepare(st,
	                       "SELECT IFNULL(revoked_ms, 0) FROM tokens WHERE id = ? AND"
	                       " operator_id = ?",
	                       &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, token_id);
	store_bind_int64(s, 2, operator_id);
	rc = store_step(s);
	if (rc == SQLITE_ROW)
		revoked = store_column_int64(s, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_rc(rc);
	store_finalize(s);
	if (rc < 0)
		return rc;
	if (revoked < 0)
		return RW_ENOENT;
	if (revoked > 0)
		return RW_EINVAL;
	rc = store_prepare(st, "UPDATE tokens SET revoked_ms = ? WHERE id = ?", &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, now_ms);
	store_bind_int64(s, 2, token_id);
	rc = store_rc(store_step(s));
	store_finalize(s);
	return rc;
}

int store_operator_get(struct store *st, int64_t id, struct store_operator *out)
{
	struct store_stmt *s;
	int rc, oom = 0;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(st, "SELECT id, name, email, created_ms FROM operators WHERE id = ?",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		out->id = store_column_int64(s, 0);
		out->name = store_col_strdup(s, 1, &oom);
		out->email = store_col_strdup(s, 2, &oom);
		out->created_ms = store_column_int64(s, 3);
		rc = oom ? RW_ENOMEM : 0;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	if (rc < 0)
		store_operator_deinit(out);
	return rc;
}

void store_operator_deinit(struct store_operator *op)
{
	if (!op)
		return;
	free(op->name);
	free(op->email);
	op->name = op->email = NULL;
}
