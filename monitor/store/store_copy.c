/* SPDX-License-Identifier: MIT */
/*
 * store_copy.c — the one online copy of a database (SQLite's backup API):
 * `runwarden backup FILE` (store_backup(), store.c) and the copy taken
 * before a schema migration (store_migrate(), store_schema.c).
 *
 * Invariants: the destination did not exist before (never overwritten); a
 * copy that failed is removed; a copy that is kept passed
 * PRAGMA integrity_check and is one self-contained file.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy/base/rw_error.h"

int store_copy_db(sqlite3 *src, const char *dest_path, char *err, size_t errlen)
{
	sqlite3 *dest = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s = NULL;
	const char *t;
	int rc;

	if (access(dest_path, F_OK) == 0) {
		snprintf(err, errlen, "%s: already exists; choose a new file name", dest_path);
		return RW_EEXIST;
	}
	rc = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot create: %s", dest_path,
		         dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
		sqlite3_close(dest);
		return RW_EIO;
	}
	b = sqlite3_backup_init(dest, "main", src, "main");
	if (!b) {
		snprintf(err, errlen, "%s: backup failed: %s", dest_path, sqlite3_errmsg(dest));
		goto fail;
	}
	/* Copy in steps so a busy writer is not locked out for the whole copy. */
	do {
		rc = sqlite3_backup_step(b, 1024);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: backup failed: %s", dest_path, sqlite3_errstr(rc));
		goto fail;
	}
	/* One self-contained file (the WAL flag came with the pages): it can be
	 * read, even read-only, without -wal and -shm files beside it. */
	if (sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: backup failed: %s", dest_path, sqlite3_errmsg(dest));
		goto fail;
	}
	rc = sqlite3_prepare_v2(dest, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	if (!t || strcmp(t, "ok") != 0) {
		snprintf(err, errlen, "%s: the copy fails integrity_check: %s", dest_path,
		         t ? t : sqlite3_errmsg(dest));
		goto fail;
	}
	sqlite3_finalize(s);
	if (sqlite3_close(dest) != SQLITE_OK) {
		snprintf(err, errlen, "%s: closing the copy failed", dest_path);
		unlink(dest_path);
		return RW_EIO;
	}
	return 0;
fail:
	sqlite3_finalize(s);
	sqlite3_close(dest);
	unlink(dest_path);
	return RW_EIO;
}
