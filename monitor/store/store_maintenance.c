/* SPDX-License-Identifier: MIT */
/*
 * store_maintenance.c — declared maintenance windows in SQLite.
 *
 * Invariants:
 *  - Rows are never deleted. A window is evidence for the accounting
 *    (policy/account.h, rule 2): what was declared, when, and over which
 *    time. Removal only sets removed_ms, and shortens end_ms to the removal
 *    time when the window was already running.
 *  - end_ms > start_ms always (a CHECK in the schema). Removal keeps it: a
 *    window is "running" only when start_ms < now, so the new end is after
 *    the start; a window whose start is now or later is cancelled instead.
 *  - A window that is over (end_ms <= now) cannot be removed.
 *  - Every add and remove gives the runner a new registry generation, one
 *    above the highest, in the same transaction (as store_registry.c does),
 *    so the daemon's generation poll reloads that runner and its windows.
 */
#include "monitor/store/store_impl.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

#define MAINT_COLUMNS                                                                              \
	"m.id, m.runner_id, r.name, m.start_ms, m.end_ms, m.declared_ms, m.reason,"                \
	" IFNULL(m.removed_ms, 0)"

bool store_maintenance_cancelled(const struct store_maintenance *m)
{
	return m->removed_ms != 0 && m->removed_ms <= m->start_ms;
}

void store_maintenance_deinit(struct store_maintenance *m)
{
	if (!m)
		return;
	free(m->runner_name);
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

void store_maintenance_free(struct store_maintenance *ms, size_t n)
{
	for (size_t i = 0; ms && i < n; i++)
		store_maintenance_deinit(&ms[i]);
	free(ms);
}

static int row_to_maintenance(struct store_stmt *s, struct store_maintenance *m)
{
	int oom = 0;

	memset(m, 0, sizeof(*m));
	m->id = store_column_int64(s, 0);
	m->runner_id = store_column_int64(s, 1);
	m->runner_name = store_col_strdup(s, 2, &oom);
	m->start_ms = store_column_int64(s, 3);
	m->end_ms = store_column_int64(s, 4);
	m->declared_ms = store_column_int64(s, 5);
	m->reason = store_col_strdup(s, 6, &oom);
	m->removed_ms = store_column_int64(s, 7);
	return oom ? RW_ENOMEM : 0;
}

/* Gives @p runner_id a new registry generation; inside the caller's
 * transaction. RW_ENOENT when there is no such runner. */
static int bump_gen(struct store *st, int64_t runner_id)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "UPDATE runners SET gen = (SELECT MAX(gen) FROM runners) + 1"
	                       " WHERE id = ?",
	                       &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, runner_id);
	rc = store_rc(store_step(s));
	if (rc == 0 && store_changes(st) == 0)
		rc = RW_ENOENT;
	store_finalize(s);
	return rc;
}

int store_maintenance_add(struct store *st, int64_t runner_id, int64_t start_ms, int64_t end_ms,
                          int64_t declared_ms, const char *reason, int64_t *id)
{
	struct store_stmt *s;
	int rc;

	if (!reason || end_ms <= start_ms)
		return RW_EINVAL;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	/* The bump first: it is also the check that the runner exists. */
	rc = bump_gen(st, runner_id);
	if (rc < 0)
		goto out;
	/* An exact duplicate of a window that still stands (same runner, start
	 * and end, not removed) is refused. It would change nothing (windows
	 * that overlap count once, account.h), and it is nearly always the same
	 * request sent twice: a POST retried after a timeout, a script run
	 * again. The refusal names the window that stands, so that a retry
	 * learns its id: adding a window is idempotent. An overlapping window
	 * that is not the same is accepted (extending a window by declaring a
	 * longer one is legitimate); the CLI and the API warn about it
	 * (maintenance_spec.h). A window removed or ended early no longer
	 * stands: declaring it again is a new decision. */
	rc = store_prepare(st,
	                   "SELECT id FROM maintenance WHERE runner_id = ? AND start_ms = ?"
	                   " AND end_ms = ? AND IFNULL(removed_ms, 0) = 0 LIMIT 1",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, start_ms);
	store_bind_int64(s, 3, end_ms);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		if (id)
			*id = store_column_int64(s, 0);
		rc = RW_EEXIST;
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_rc(rc);
	}
	store_finalize(s);
	if (rc < 0)
		goto out;
	rc = store_prepare(st,
	                   "INSERT INTO maintenance (runner_id, start_ms, end_ms, declared_ms,"
	                   " reason) VALUES (?, ?, ?, ?, ?)",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, start_ms);
	store_bind_int64(s, 3, end_ms);
	store_bind_int64(s, 4, declared_ms);
	store_bind_text(s, 5, reason, -1, SQLITE_STATIC);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc < 0)
		goto out;
	if (id)
		*id = store_last_insert_rowid(st);
	rc = store_commit(st);
out:
	if (rc < 0)
		store_rollback(st);
	return rc;
}

int store_maintenance_list(struct store *st, int64_t runner_id, int64_t from_ms, int64_t to_ms,
                           bool include_removed, struct store_maintenance **out, size_t *n)
{
	struct store_stmt *s;
	struct store_maintenance *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   "SELECT " MAINT_COLUMNS " FROM maintenance m JOIN runners r"
	                   " ON r.id = m.runner_id"
	                   " WHERE (?1 = 0 OR m.runner_id = ?1) AND m.start_ms < ?3"
	                   " AND m.end_ms > ?2 AND (?4 <> 0 OR m.removed_ms IS NULL"
	                   " OR m.removed_ms > m.start_ms)"
	                   " ORDER BY m.start_ms, m.id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, from_ms);
	store_bind_int64(s, 3, to_ms);
	store_bind_int(s, 4, include_removed ? 1 : 0);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (row_to_maintenance(s, &v[len++]) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	store_finalize(s);
	if (rc != SQLITE_DONE) {
		store_maintenance_free(v, len);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

int store_maintenance_get(struct store *st, int64_t id, struct store_maintenance *out)
{
	struct store_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(st,
	                   "SELECT " MAINT_COLUMNS " FROM maintenance m JOIN runners r"
	                   " ON r.id = m.runner_id WHERE m.id = ?",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	rc = store_step(s);
	if (rc == SQLITE_ROW)
		rc = row_to_maintenance(s, out);
	else
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	store_finalize(s);
	if (rc < 0)
		store_maintenance_deinit(out);
	return rc;
}

int store_maintenance_remove(struct store *st, int64_t id, int64_t now_ms)
{
	struct store_maintenance m;
	struct store_stmt *s;
	int rc;

	rc = store_begin(st);
	if (rc < 0)
		return rc;
	/* Read and decide inside the write transaction: no one can change the
	 * row between the check and the update. */
	rc = store_maintenance_get(st, id, &m);
	if (rc < 0)
		goto out;
	if (m.removed_ms != 0 || m.end_ms <= now_ms) {
		rc = RW_EINVAL;
		goto out;
	}
	rc = store_prepare(st,
	                   "UPDATE maintenance SET removed_ms = ?2,"
	                   " end_ms = CASE WHEN start_ms < ?2 THEN ?2 ELSE end_ms END"
	                   " WHERE id = ?1",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, now_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc < 0)
		goto out;
	rc = bump_gen(st, m.runner_id);
	if (rc < 0)
		goto out;
	rc = store_commit(st);
out:
	store_maintenance_deinit(&m);
	if (rc < 0)
		store_rollback(st);
	return rc;
}
