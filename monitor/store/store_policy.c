/* SPDX-License-Identifier: MIT */
/*
 * store_policy.c — policy_versions: each policy put in force, with its
 * SHA-256, its version field, its exact bytes and when it took effect.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

int store_record_policy(struct store *st, const char *sha256_hex, int version, const char *body,
                        int64_t now_ms, int64_t *id)
{
	struct store_stmt *s;
	int rc, same = 0;

	rc = store_prepare(st, "SELECT sha256, id FROM policy_versions ORDER BY id DESC LIMIT 1",
	                   &s);
	if (rc < 0)
		return rc;
	if (store_step(s) == SQLITE_ROW) {
		const unsigned char *t = store_column_text(s, 0);
		same = t && strcmp((const char *)t, sha256_hex) == 0;
		if (same && id)
			*id = store_column_int64(s, 1);
	}
	store_finalize(s);
	if (same)
		return 0;
	rc = store_prepare(st,
	                   "INSERT INTO policy_versions (sha256, version, body, effective_ms)"
	                   " VALUES (?, ?, ?, ?)",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_text(s, 1, sha256_hex, -1, SQLITE_STATIC);
	store_bind_int(s, 2, version);
	store_bind_text(s, 3, body, -1, SQLITE_STATIC);
	store_bind_int64(s, 4, now_ms);
	rc = store_step(s);
	store_finalize(s);
	if (rc == SQLITE_DONE && id)
		*id = store_last_insert_rowid(st);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

int store_policy_row(struct store_stmt *s, struct store_policy_version *out)
{
	const unsigned char *sha;
	int rc, oom = 0;

	memset(out, 0, sizeof(*out));
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		out->id = store_column_int64(s, 0);
		sha = store_column_text(s, 1);
		snprintf(out->sha256, sizeof(out->sha256), "%s", sha ? (const char *)sha : "");
		out->version = store_column_int(s, 2);
		out->body = store_col_strdup(s, 3, &oom);
		out->effective_ms = store_column_int64(s, 4);
		rc = oom ? RW_ENOMEM : out->body ? 0 : RW_EIO;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	if (rc < 0)
		store_policy_version_deinit(out);
	return rc;
}

int store_policy_latest(struct store *st, struct store_policy_version *out)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "SELECT id, sha256, version, body, effective_ms FROM policy_versions"
	                       " ORDER BY id DESC LIMIT 1",
	                       &s);

	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return store_policy_row(s, out);
}

void store_policy_version_deinit(struct store_policy_version *pv)
{
	if (!pv)
		return;
	free(pv->body);
	memset(pv, 0, sizeof(*pv));
}
