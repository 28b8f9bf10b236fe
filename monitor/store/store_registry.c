/* SPDX-License-Identifier: MIT */
/*
 * store_registry.c — operators and runners in SQLite.
 *
 * Every change to a runner (added, approved, retired) gives it a new registry
 * generation, one above the highest so far, in the same transaction. The
 * daemon polls the highest generation and reads only runners above the one
 * it has seen, so a registry change reaches it within a second without a
 * full reload and without a restart.
 *
 * A status change is checked against policy/registration.h's table in the
 * write transaction that reads the current status (store_runner_set_status):
 * this is the one place the rules are enforced, for the API and the CLI alike,
 * and a refused change writes nothing: no status, no generation, no event.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

const char *store_runner_status_name(int status)
{
	return registration_status_name(status);
}

bool store_runner_is_pool(const struct store_runner *r)
{
	return r->kind && strcmp(r->kind, "github") == 0 && r->pool_id == 0;
}

bool store_runner_is_member(const struct store_runner *r)
{
	return r->kind && strcmp(r->kind, "github") == 0 && r->pool_id != 0;
}

/* What the schema cannot say: a "github" runner is exactly a pool (a source,
 * no pool, no GitHub id) or exactly a member (a pool and a GitHub id, no
 * source); other kinds carry none of it. */
static bool github_fields_ok(const struct store_runner *r)
{
	bool github = strcmp(r->kind, "github") == 0;
	bool pool = r->github != NULL, member = r->pool_id != 0;

	if (!github)
		return !pool && !member && !r->github_id && !r->github_name && !r->min_online &&
		       !r->pickup_within_s;
	if (r->url)
		return false;
	if (pool)
		return !member && !r->github_id && !r->github_name;
	return member && r->github_name && !r->min_online && !r->pickup_within_s;
}

int store_operator_add(struct store *st, const char *name, const char *email,
                       const uint8_t token_sha256[32], int64_t now_ms, int64_t *id)
{
	struct store_stmt *s = NULL;
	int rc;

	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = store_prepare(st, "INSERT INTO operators (name, email, created_ms) VALUES (?, ?, ?)",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_text(s, 1, name, -1, SQLITE_STATIC);
	store_bind_text(s, 2, email, -1, SQLITE_STATIC);
	store_bind_int64(s, 3, now_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc < 0)
		goto out;
	*id = store_last_insert_rowid(st);
	rc = store_prepare(
	        st, "INSERT INTO tokens (operator_id, sha256, created_ms) VALUES (?, ?, ?)", &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, *id);
	store_bind_blob(s, 2, token_sha256, 32, SQLITE_STATIC);
	store_bind_int64(s, 3, now_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc < 0)
		goto out;
	rc = store_commit(st);
out:
	if (rc < 0)
		store_rollback(st);
	return rc;
}

int store_operator_find(struct store *st, const char *name, int64_t *id)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT id FROM operators WHERE name = ?", &s);
	if (rc < 0)
		return rc;
	store_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		*id = store_column_int64(s, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	return rc;
}

void store_operators_free(struct store_operator *ops, size_t n)
{
	for (size_t i = 0; ops && i < n; i++) {
		free(ops[i].name);
		free(ops[i].email);
	}
	free(ops);
}

int store_operator_list(struct store *st, struct store_operator **out, size_t *n)
{
	struct store_stmt *s;
	struct store_operator *v = NULL;
	size_t len = 0;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st, "SELECT id, name, email, created_ms FROM operators ORDER BY name",
	                   &s);
	if (rc < 0)
		return rc;
	while ((rc = store_step(s)) == SQLITE_ROW) {
		struct store_operator *nv = realloc(v, (len + 1) * sizeof(*v));
		if (!nv) {
			oom = 1;
			break;
		}
		v = nv;
		v[len].id = store_column_int64(s, 0);
		v[len].name = store_col_strdup(s, 1, &oom);
		v[len].email = store_col_strdup(s, 2, &oom);
		v[len].created_ms = store_column_int64(s, 3);
		len++;
	}
	store_finalize(s);
	if (oom || rc != SQLITE_DONE) {
		store_operators_free(v, len);
		return oom ? RW_ENOMEM : store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

static int next_gen(struct store *st, int64_t *gen)
{
	int rc = store_registry_gen(st, gen);
	if (rc == 0)
		(*gen)++;
	return rc;
}

int store_registry_gen(struct store *st, int64_t *gen)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT IFNULL(MAX(gen), 0) FROM runners", &s);
	if (rc < 0)
		return rc;
	rc = store_step(s);
	*gen = rc == SQLITE_ROW ? store_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

int store_runner_add(struct store *st, struct store_runner *r, int64_t now_ms)
{
	int rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = store_runner_insert(st, r, now_ms);
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	return rc;
}

/* Inserts runner @p id's targets, or with @p labels its labels. */
static int insert_strings(struct store *st, int64_t id, bool labels, const char *const *targets,
                          size_t n)
{
	struct store_stmt *s;
	int rc = store_prepare(
	        st,
	        labels ? "INSERT INTO runner_labels (runner_id, label) VALUES (?, ?)"
	               : "INSERT INTO runner_targets (runner_id, target) VALUES (?, ?)",
	        &s);
	for (size_t i = 0; i < n && rc == 0; i++) {
		store_bind_int64(s, 1, id);
		store_bind_text(s, 2, targets[i], -1, SQLITE_STATIC);
		rc = store_rc(store_step(s));
		store_reset(s);
	}
	store_finalize(s);
	return rc;
}

int store_runner_insert(struct store *st, struct store_runner *r, int64_t now_ms)
{
	struct store_stmt *s = NULL;
	int rc;

	if (!r->kind || !github_fields_ok(r))
		return RW_EINVAL;
	rc = next_gen(st, &r->gen);
	if (rc < 0)
		goto out;
	rc = store_prepare(
	        st,
	        "INSERT INTO runners (operator_id, name, kind, url, status, interval_s,"
	        " timeout_ms, created_ms, gen, last_state, last_state_ms, github,"
	        " min_online, pickup_within_s, pool_id, github_id, github_name)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?8, ?10, ?11, ?12, ?13, ?14, ?15)",
	        &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, r->operator_id);
	store_bind_text(s, 2, r->name, -1, SQLITE_STATIC);
	store_bind_text(s, 3, r->kind, -1, SQLITE_STATIC);
	store_bind_text(s, 4, r->url, -1, SQLITE_STATIC);
	store_bind_int(s, 5, r->status);
	store_bind_int64(s, 6, r->interval_s);
	store_bind_int64(s, 7, r->timeout_ms);
	store_bind_int64(s, 8, now_ms);
	store_bind_int64(s, 9, r->gen);
	store_bind_text(s, 10, r->github, -1, SQLITE_STATIC);
	store_bind_int64(s, 11, r->min_online);
	store_bind_int64(s, 12, r->pickup_within_s);
	if (r->pool_id) {
		store_bind_int64(s, 13, r->pool_id);
		store_bind_int64(s, 14, r->github_id);
	}
	store_bind_text(s, 15, r->github_name, -1, SQLITE_STATIC);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc < 0)
		goto out;
	r->id = store_last_insert_rowid(st);
	r->created_ms = now_ms;
	r->last_state = RW_STATE_UNKNOWN;
	r->last_state_ms = now_ms;
	rc = insert_strings(st, r->id, false, (const char *const *)r->targets, r->n_targets);
	if (rc == 0)
		rc = insert_strings(st, r->id, true, (const char *const *)r->labels, r->n_labels);
	if (rc < 0)
		goto out;
	rc = store_event_add(st, now_ms, "registered", r->id,
	                     r->status == STORE_RUNNER_APPROVED ? "{\"status\":\"approved\"}"
	                                                        : "{\"status\":\"pending\"}");
	if (rc < 0)
		goto out;
	/* History starts at registration, unknown until the first probes. */
	rc = store_prepare(
	        st, "INSERT INTO intervals (runner_id, start_ms, state) VALUES (?, ?, 0)", &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, r->id);
	store_bind_int64(s, 2, now_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
out:
	return rc;
}

void store_runner_deinit(struct store_runner *r)
{
	if (!r)
		return;
	free(r->operator_name);
	free(r->name);
	free(r->kind);
	free(r->url);
	for (size_t i = 0; i < r->n_targets; i++)
		free(r->targets[i]);
	free(r->targets);
	for (size_t i = 0; i < r->n_labels; i++)
		free(r->labels[i]);
	free(r->labels);
	free(r->github);
	free(r->pool_name);
	free(r->github_name);
	memset(r, 0, sizeof(*r));
}

void store_runners_free(struct store_runner *rs, size_t n)
{
	for (size_t i = 0; rs && i < n; i++)
		store_runner_deinit(&rs[i]);
	free(rs);
}

#define RUNNER_COLUMNS                                                                             \
	"r.id, r.operator_id, o.name, r.name, r.kind, r.url, r.status, r.interval_s,"              \
	" r.timeout_ms, r.created_ms, r.retired_ms, r.gen, r.last_state, r.last_state_ms,"         \
	" f.flagged, f.at_ms, r.github, r.min_online, r.pickup_within_s, r.pool_id, p.name,"       \
	" r.github_id, r.github_name, r.gone_ms, r.probation_waived_ms"

/* The latest flag row of each runner (none: NULLs, read as not flagged). */
#define FLAG_JOIN                                                                                  \
	"LEFT JOIN flags f ON f.id = (SELECT id FROM flags WHERE runner_id = r.id"                 \
	" ORDER BY at_ms DESC, id DESC LIMIT 1) LEFT JOIN runners p ON p.id = r.pool_id"

static int row_to_runner(struct store_stmt *s, struct store_runner *r)
{
	int oom = 0;

	memset(r, 0, sizeof(*r));
	r->id = store_column_int64(s, 0);
	r->operator_id = store_column_int64(s, 1);
	r->operator_name = store_col_strdup(s, 2, &oom);
	r->name = store_col_strdup(s, 3, &oom);
	r->kind = store_col_strdup(s, 4, &oom);
	r->url = store_col_strdup(s, 5, &oom);
	r->status = store_column_int(s, 6);
	r->interval_s = (uint32_t)store_column_int64(s, 7);
	r->timeout_ms = (uint32_t)store_column_int64(s, 8);
	r->created_ms = store_column_int64(s, 9);
	r->retired_ms = store_column_int64(s, 10);
	r->gen = store_column_int64(s, 11);
	r->last_state = store_column_int(s, 12);
	r->last_state_ms = store_column_int64(s, 13);
	r->flagged = store_column_int(s, 14) == 1;
	r->flag_since_ms = store_column_int64(s, 15);
	r->github = store_col_strdup(s, 16, &oom);
	r->min_online = (uint32_t)store_column_int64(s, 17);
	r->pickup_within_s = (uint32_t)store_column_int64(s, 18);
	r->pool_id = store_column_int64(s, 19);
	r->pool_name = store_col_strdup(s, 20, &oom);
	r->github_id = store_column_int64(s, 21);
	r->github_name = store_col_strdup(s, 22, &oom);
	r->gone_ms = store_column_int64(s, 23);
	r->probation_waived_ms = store_column_int64(s, 24);
	return oom ? RW_ENOMEM : 0;
}

/* Appends the text of column @p col to a runner's targets or labels. */
static int push_string(struct store_runner *r, bool labels, struct store_stmt *s, int col)
{
	char ***v = labels ? &r->labels : &r->targets;
	size_t *n = labels ? &r->n_labels : &r->n_targets;
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));
	int oom = 0;

	if (!nv)
		return RW_ENOMEM;
	*v = nv;
	nv[*n] = store_col_strdup(s, col, &oom);
	if (oom)
		return RW_ENOMEM;
	(*n)++;
	return 0;
}

/* Reads the targets (or the labels) of runners[0..n) (sorted by id, one
 * page: ids v[0].id to v[n - 1].id) in one pass. */
static int load_strings(struct store *st, struct store_runner *v, size_t n, int64_t after_gen,
                        bool labels)
{
	struct store_stmt *s;
	size_t i = 0;
	int rc, oom = 0;

	rc = store_prepare(
	        st,
	        labels ? "SELECT t.runner_id, t.label FROM runner_labels t JOIN runners r"
	                 " ON r.id = t.runner_id WHERE r.gen > ? AND r.id BETWEEN ? AND ?"
	                 " ORDER BY t.runner_id, t.label"
	               : "SELECT t.runner_id, t.target FROM runner_targets t JOIN runners r"
	                 " ON r.id = t.runner_id WHERE r.gen > ? AND r.id BETWEEN ? AND ?"
	                 " ORDER BY t.runner_id, t.target",
	        &s);
	if (rc < 0)
		return rc;
	if (n == 0) {
		store_finalize(s);
		return 0;
	}
	store_bind_int64(s, 1, after_gen);
	store_bind_int64(s, 2, v[0].id);
	store_bind_int64(s, 3, v[n - 1].id);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		int64_t id = store_column_int64(s, 0);
		while (i < n && v[i].id < id)
			i++;
		if (i == n || v[i].id != id)
			continue; /* added after the runner query: picked up next time */
		if (push_string(&v[i], labels, s, 1) < 0) {
			oom = 1;
			break;
		}
	}
	store_finalize(s);
	if (oom)
		return RW_ENOMEM;
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

int store_runner_list(struct store *st, int64_t after_gen, struct store_runner **out, size_t *n)
{
	return store_runner_page(st, after_gen, 0, 0, out, n);
}

int store_runner_page(struct store *st, int64_t after_gen, int64_t after_id, size_t limit,
                      struct store_runner **out, size_t *n)
{
	struct store_stmt *s;
	struct store_runner *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	/* One read transaction, so runners and targets come from one snapshot. */
	rc = store_exec(st, "BEGIN");
	if (rc < 0)
		return rc;
	rc = store_prepare(st,
	                   "SELECT " RUNNER_COLUMNS " FROM runners r JOIN operators o"
	                   " ON o.id = r.operator_id " FLAG_JOIN
	                   " WHERE r.gen > ? AND r.id > ? ORDER BY r.id LIMIT ?",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, after_gen);
	store_bind_int64(s, 2, after_id);
	/* No limit: INT64_MAX (PostgreSQL refuses SQLite's LIMIT -1). */
	store_bind_int64(s, 3, limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (row_to_runner(s, &v[len++]) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	store_finalize(s);
	rc = rc == SQLITE_DONE ? 0 : store_rc(rc);
	if (rc == 0)
		rc = load_strings(st, v, len, after_gen, false);
	if (rc == 0)
		rc = load_strings(st, v, len, after_gen, true);
out:
	store_exec(st, "COMMIT");
	if (rc < 0) {
		store_runners_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

int store_runner_get(struct store *st, const char *name, int64_t id, struct store_runner *out)
{
	struct store_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(st,
	                   name ? "SELECT " RUNNER_COLUMNS " FROM runners r JOIN operators o"
	                          " ON o.id = r.operator_id " FLAG_JOIN " WHERE r.name = ?"
	                        : "SELECT " RUNNER_COLUMNS " FROM runners r JOIN operators o"
	                          " ON o.id = r.operator_id " FLAG_JOIN " WHERE r.id = ?",
	                   &s);
	if (rc < 0)
		return rc;
	if (name)
		store_bind_text(s, 1, name, -1, SQLITE_STATIC);
	else
		store_bind_int64(s, 1, id);
	rc = store_step(s);
	if (rc == SQLITE_ROW)
		rc = row_to_runner(s, out);
	else
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	store_finalize(s);
	if (rc < 0) {
		store_runner_deinit(out);
		return rc;
	}
	for (int labels = 0; labels < 2; labels++) {
		rc = store_prepare(st,
		                   labels ? "SELECT label FROM runner_labels WHERE runner_id = ?"
		                            " ORDER BY label"
		                          : "SELECT target FROM runner_targets WHERE runner_id = ?"
		                            " ORDER BY target",
		                   &s);
		if (rc < 0)
			goto fail;
		store_bind_int64(s, 1, out->id);
		while ((rc = store_step(s)) == SQLITE_ROW)
			if (push_string(out, labels, s, 0) < 0) {
				rc = SQLITE_NOMEM;
				break;
			}
		store_finalize(s);
		rc = rc == SQLITE_DONE ? 0 : store_rc(rc);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	store_runner_deinit(out);
	return rc;
}

/* Reads runner @p id's status and name inside the caller's transaction. */
static int read_status(struct store *st, int64_t id, int *status, char *name, size_t namelen)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT status, name FROM runners WHERE id = ?", &s);

	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *n = store_column_text(s, 1);
		*status = store_column_int(s, 0);
		snprintf(name, namelen, "%s", n ? (const char *)n : "");
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	return rc;
}

/* Waives runner @p id's probation inside the caller's transaction, unless
 * it was waived before (*waived false: the first waiver stands). */
static int waive_probation(struct store *st, int64_t id, int64_t now_ms, bool *waived)
{
	struct store_stmt *s;
	int64_t gen;
	int rc = next_gen(st, &gen);

	*waived = false;
	if (rc < 0)
		return rc;
	rc = store_prepare(st,
	                   "UPDATE runners SET probation_waived_ms = ?2, gen = ?3"
	                   " WHERE id = ?1 AND probation_waived_ms = 0",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, now_ms);
	store_bind_int64(s, 3, gen);
	rc = store_rc(store_step(s));
	if (rc == 0)
		*waived = store_changes(st) > 0;
	store_finalize(s);
	return rc;
}

static int set_status(struct store *st, int64_t id, int status, int64_t now_ms, bool no_probation,
                      struct store_status_change *out);

int store_runner_set_status(struct store *st, int64_t id, int status, int64_t now_ms,
                            struct store_status_change *out)
{
	return set_status(st, id, status, now_ms, false, out);
}

int store_runner_approve(struct store *st, int64_t id, int64_t now_ms, bool no_probation,
                         struct store_status_change *out)
{
	return set_status(st, id, STORE_RUNNER_APPROVED, now_ms, no_probation, out);
}

static int set_status(struct store *st, int64_t id, int status, int64_t now_ms, bool no_probation,
                      struct store_status_change *out)
{
	struct store_status_change local;
	struct store_stmt *s;
	char name[256];
	int64_t gen;
	int rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof(*out));
	/* BEGIN IMMEDIATE: the write lock is held from the read on, so the status
	 * checked is the status changed. */
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = read_status(st, id, &out->from, name, sizeof(name));
	if (rc < 0)
		goto out;
	rc = registration_check(name, out->from, status, out->why, sizeof(out->why));
	if (rc == REGISTRATION_SAME && no_probation)
		rc = waive_probation(st, id, now_ms, &out->waived);
	if (rc <= REGISTRATION_SAME)
		goto out; /* refused, or already there: nothing (else) to write */
	rc = next_gen(st, &gen);
	if (rc < 0)
		goto out;
	rc = store_prepare(st,
	                   "UPDATE runners SET status = ?2, gen = ?3,"
	                   " retired_ms = CASE WHEN ?2 = ?5 THEN ?4 ELSE retired_ms END"
	                   " WHERE id = ?1",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, id);
	store_bind_int(s, 2, status);
	store_bind_int64(s, 3, gen);
	store_bind_int64(s, 4, now_ms);
	store_bind_int(s, 5, REGISTRATION_RETIRED);
	rc = store_rc(store_step(s));
	if (rc == 0 && store_changes(st) == 0)
		rc = RW_ENOENT;
	store_finalize(s);
	if (rc == 0)
		rc = store_event_add(st, now_ms, registration_status_name(status), id, NULL);
	if (rc == 0 && no_probation)
		rc = waive_probation(st, id, now_ms, &out->waived);
	if (rc < 0)
		goto out;
	out->changed = true;
out:
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		out->changed = false;
		out->waived = false;
		store_rollback(st);
	}
	return rc;
}

/* A pool's members have its targets: after the pool's change, inside its
 * transaction, its live members get them too, with generation @p gen. A
 * runner that is not a pool has no members: nothing changes. */
static int pool_targets_to_members(struct store *st, int64_t pool_id, int64_t gen)
{
	/* "status <> 2" as the partial index runners_github_member spells it, so
	 * that each statement is an index search, not a scan of every runner. */
	static const char *const sql[] = {
	        "DELETE FROM runner_targets WHERE runner_id IN"
	        " (SELECT id FROM runners WHERE pool_id = ?1 AND status <> " STORE_RETIRED_SQL ")",
	        "INSERT INTO runner_targets (runner_id, target) SELECT m.id, t.target"
	        " FROM runners m JOIN runner_targets t ON t.runner_id = m.pool_id"
	        " WHERE m.pool_id = ?1 AND m.status <> " STORE_RETIRED_SQL,
	        "UPDATE runners SET gen = ?2 WHERE pool_id = ?1 AND status <> " STORE_RETIRED_SQL,
	};
	struct store_stmt *s;
	int rc = 0;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 0; i++) {
		rc = store_prepare(st, sql[i], &s);
		if (rc < 0)
			break;
		store_bind_int64(s, 1, pool_id);
		if (store_bind_parameter_count(s) == 2)
			store_bind_int64(s, 2, gen);
		rc = store_rc(store_step(s));
		store_finalize(s);
	}
	return rc;
}

int store_runner_update(struct store *st, int64_t id, const char *url, const char *const *targets,
                        size_t n_targets, const char *const *lbls, size_t n_labels, long interval_s,
                        long timeout_ms)
{
	struct store_stmt *s;
	int64_t gen;
	int rc;

	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = next_gen(st, &gen);
	if (rc < 0)
		goto out;
	rc = store_prepare(st,
	                   "UPDATE runners SET gen = ?2, url = IFNULL(?3, url),"
	                   " interval_s = CASE WHEN ?4 >= 0 THEN ?4 ELSE interval_s END,"
	                   " timeout_ms = CASE WHEN ?5 >= 0 THEN ?5 ELSE timeout_ms END"
	                   " WHERE id = ?1",
	                   &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, gen);
	if (url)
		store_bind_text(s, 3, url, -1, SQLITE_STATIC);
	else
		store_bind_null(s, 3);
	store_bind_int64(s, 4, interval_s);
	store_bind_int64(s, 5, timeout_ms);
	rc = store_rc(store_step(s));
	if (rc == 0 && store_changes(st) == 0)
		rc = RW_ENOENT;
	store_finalize(s);
	if (rc < 0)
		goto out;
	for (int labels = 0; labels < 2 && rc == 0; labels++) {
		if (!(labels ? (const void *)lbls : (const void *)targets))
			continue;
		rc = store_prepare(st,
		                   labels ? "DELETE FROM runner_labels WHERE runner_id = ?"
		                          : "DELETE FROM runner_targets WHERE runner_id = ?",
		                   &s);
		if (rc < 0)
			break;
		store_bind_int64(s, 1, id);
		rc = store_rc(store_step(s));
		store_finalize(s);
		if (rc == 0)
			rc = labels ? insert_strings(st, id, true, lbls, n_labels)
			            : insert_strings(st, id, false, targets, n_targets);
	}
	if (rc == 0 && targets)
		rc = pool_targets_to_members(st, id, gen);
out:
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	return rc;
}
