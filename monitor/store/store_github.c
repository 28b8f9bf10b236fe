/* SPDX-License-Identifier: MIT */
/*
 * store_github.c — GitHub as a heartbeat source, in SQLite: the members of
 * the pools, the workflow jobs of the webhook, and the deliveries already
 * taken (store.h, "GitHub").
 *
 * Invariants:
 *   - a pool has at most one live (not retired) member per GitHub runner id:
 *     the partial unique index runners_github_member, and every member is
 *     created here, inside the transaction that looked for it;
 *   - a member has its pool's operator and targets (store_runner_update()
 *     carries a pool's new targets to its live members) and no labels;
 *   - a stored job never moves backwards: its status only advances, and its
 *     times only move earlier (GitHub's are authoritative), whatever the
 *     order and repetition of the deliveries. The rule is the one SQL upsert
 *     below, so that no reader ever sees a half-merged job.
 */
#include "monitor/store/store_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"

/* ---- members ------------------------------------------------------------- */

/* The pool's operator, name and status, inside the caller's transaction. */
struct pool_row {
	int64_t operator_id;
	int status;
	char name[256];
};

static int read_pool(struct store *st, int64_t pool_id, struct pool_row *p)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "SELECT operator_id, status, name, kind = 'github' AND github IS NOT"
	                       " NULL AND pool_id IS NULL FROM runners WHERE id = ?",
	                       &s);

	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, pool_id);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *name = store_column_text(s, 2);
		p->operator_id = store_column_int64(s, 0);
		p->status = store_column_int(s, 1);
		snprintf(p->name, sizeof(p->name), "%s", name ? (const char *)name : "");
		rc = store_column_int(s, 3) ? 0 : RW_EINVAL;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	if (rc == 0 && p->status == REGISTRATION_RETIRED)
		rc = RW_ECONFLICT;
	return rc;
}

/* The live member of @p pool_id for @p github_id: its id and whether its
 * GitHub name is @p github_name. RW_ENOENT when there is none. */
static int find_member(struct store *st, int64_t pool_id, int64_t github_id,
                       const char *github_name, int64_t *id, bool *same_name)
{
	struct store_stmt *s;
	/* "status <> 2" spelled as the partial index runners_github_member
	 * spells it, so that SQLite uses the index (it does not match a bound
	 * parameter against an index's WHERE). */
	int rc = store_prepare_dialect(
	        st,
	        "SELECT id, github_name IS ?3 FROM runners WHERE pool_id = ?1"
	        " AND github_id = ?2 AND status <> " STORE_RETIRED_SQL,
	        "SELECT id, github_name IS NOT DISTINCT FROM ?3 FROM runners WHERE pool_id = ?1"
	        " AND github_id = ?2 AND status <> " STORE_RETIRED_SQL,
	        &s);

	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, pool_id);
	store_bind_int64(s, 2, github_id);
	store_bind_text(s, 3, github_name, -1, SQLITE_STATIC);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		*id = store_column_int64(s, 0);
		*same_name = store_column_int(s, 1) == 1;
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	return rc;
}

static int name_taken(struct store *st, const char *name, bool *taken)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT 1 FROM runners WHERE name = ?", &s);

	if (rc < 0)
		return rc;
	store_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = store_step(s);
	*taken = rc == SQLITE_ROW;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

/* A free runner name for the member: POOL/NAME, else POOL/NAME~ID, else
 * POOL/NAME~ID.2, .3, ... (store.h). */
static int member_name(struct store *st, const char *pool, int64_t github_id,
                       const char *github_name, char *out, size_t outlen)
{
	char base[STORE_GITHUB_NAME_MAX + 1];
	size_t i;
	bool taken;
	int rc;

	for (i = 0; github_name[i] && i < STORE_GITHUB_NAME_MAX; i++) {
		char c = github_name[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		base[i] = ok ? c : '_';
	}
	base[i] = '\0';
	for (int attempt = 0; attempt < 1000; attempt++) {
		if (attempt == 0)
			snprintf(out, outlen, "%s/%s", pool, base);
		else if (attempt == 1)
			snprintf(out, outlen, "%s/%s~%" PRId64, pool, base, github_id);
		else
			snprintf(out, outlen, "%s/%s~%" PRId64 ".%d", pool, base, github_id,
			         attempt);
		rc = name_taken(st, out, &taken);
		if (rc < 0 || !taken)
			return rc;
	}
	return RW_EEXIST;
}

/* The pool's targets, malloc'd (the caller frees each and the array). */
static int pool_targets(struct store *st, int64_t pool_id, char ***out, size_t *n)
{
	struct store_stmt *s;
	char **v = NULL;
	size_t len = 0, cap = 0;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	rc = store_prepare(
	        st, "SELECT target FROM runner_targets WHERE runner_id = ? ORDER BY target", &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, pool_id);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			oom = 1;
			break;
		}
		v[len] = store_col_strdup(s, 0, &oom);
		if (oom)
			break;
		len++;
	}
	store_finalize(s);
	if (oom || rc != SQLITE_DONE) {
		for (size_t i = 0; i < len; i++)
			free(v[i]);
		free(v);
		return oom ? RW_ENOMEM : store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

/* Gives runner @p id the next registry generation, and with @p github_name
 * that GitHub name. */
static int touch_runner(struct store *st, int64_t id, const char *github_name)
{
	struct store_stmt *s;
	int64_t gen;
	int rc = store_registry_gen(st, &gen);

	if (rc < 0)
		return rc;
	rc = store_prepare(st,
	                   "UPDATE runners SET gen = ?2, github_name = IFNULL(?3, github_name)"
	                   " WHERE id = ?1",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, gen + 1);
	store_bind_text(s, 3, github_name, -1, SQLITE_STATIC);
	rc = store_rc(store_step(s));
	store_finalize(s);
	return rc;
}

static int create_member(struct store *st, int64_t pool_id, const struct pool_row *pool,
                         int64_t github_id, const char *github_name, int64_t now_ms,
                         int64_t *member_id)
{
	struct store_runner m;
	char name[sizeof(pool->name) + STORE_GITHUB_NAME_MAX + 32];
	char **targets = NULL;
	size_t n_targets = 0;
	int rc;

	rc = member_name(st, pool->name, github_id, github_name, name, sizeof(name));
	if (rc == 0)
		rc = pool_targets(st, pool_id, &targets, &n_targets);
	if (rc < 0)
		return rc;
	memset(&m, 0, sizeof(m));
	m.operator_id = pool->operator_id;
	m.name = name;
	m.kind = (char *)"github";
	m.targets = targets;
	m.n_targets = n_targets;
	m.status = STORE_RUNNER_APPROVED;
	m.pool_id = pool_id;
	m.github_id = github_id;
	m.github_name = (char *)github_name;
	rc = store_runner_insert(st, &m, now_ms);
	if (rc == 0)
		*member_id = m.id;
	for (size_t i = 0; i < n_targets; i++)
		free(targets[i]);
	free(targets);
	return rc;
}

int store_github_member_upsert(struct store *st, int64_t pool_id, int64_t github_id,
                               const char *github_name, int64_t now_ms, int64_t *member_id,
                               bool *created)
{
	struct pool_row pool;
	bool same_name = true, made = false;
	int rc;

	if (created)
		*created = false;
	if (!github_name || !*github_name)
		return RW_EINVAL;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = read_pool(st, pool_id, &pool);
	if (rc == 0)
		rc = find_member(st, pool_id, github_id, github_name, member_id, &same_name);
	if (rc == 0 && !same_name)
		rc = touch_runner(st, *member_id, github_name);
	else if (rc == RW_ENOENT) {
		rc = create_member(st, pool_id, &pool, github_id, github_name, now_ms, member_id);
		made = rc == 0;
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	if (created)
		*created = made;
	return 0;
}

int store_github_member_set_gone(struct store *st, int64_t member_id, int64_t gone_ms)
{
	struct store_stmt *s;
	int64_t was = 0;
	bool member = false;
	int rc;

	if (gone_ms < 0)
		return RW_EINVAL;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = store_prepare(st, "SELECT pool_id IS NOT NULL, gone_ms FROM runners WHERE id = ?", &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, member_id);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		member = store_column_int(s, 0) == 1;
		was = store_column_int64(s, 1);
		rc = member ? 0 : RW_EINVAL;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	/* Gone stays gone from its first time; listed stays listed. */
	if (rc < 0 || (was != 0) == (gone_ms != 0))
		goto out;
	rc = touch_runner(st, member_id, NULL);
	if (rc < 0)
		goto out;
	rc = store_prepare(st, "UPDATE runners SET gone_ms = ?2 WHERE id = ?1", &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, member_id);
	store_bind_int64(s, 2, gone_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
out:
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	return rc;
}

/* ---- deliveries ------------------------------------------------------------ */

int store_github_delivery_seen(struct store *st, const char *guid, int64_t now_ms, bool *dup)
{
	struct store_stmt *s;
	int rc;

	*dup = false;
	if (!guid || !*guid)
		return RW_EINVAL;
	rc = store_prepare(st,
	                   "INSERT INTO github_deliveries (guid, received_ms) VALUES (?, ?)"
	                   " ON CONFLICT (guid) DO NOTHING",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_text(s, 1, guid, -1, SQLITE_STATIC);
	store_bind_int64(s, 2, now_ms);
	rc = store_rc(store_step(s));
	if (rc == 0)
		*dup = store_changes(st) == 0;
	store_finalize(s);
	return rc;
}

int store_github_delivery_purge(struct store *st, int64_t before_ms, int *deleted)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "DELETE FROM github_deliveries WHERE received_ms < ?", &s);

	if (deleted)
		*deleted = 0;
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, before_ms);
	rc = store_rc(store_step(s));
	if (rc == 0 && deleted)
		*deleted = store_changes(st);
	store_finalize(s);
	return rc;
}

/* ---- jobs ----------------------------------------------------------------- */

static const char *const job_status_names[] = {
        [STORE_GHJOB_WAITING] = "waiting",
        [STORE_GHJOB_QUEUED] = "queued",
        [STORE_GHJOB_IN_PROGRESS] = "in_progress",
        [STORE_GHJOB_COMPLETED] = "completed",
};
#define N_JOB_STATUS ((int)(sizeof(job_status_names) / sizeof(job_status_names[0])))

const char *store_github_job_status_name(int status)
{
	return status > 0 && status < N_JOB_STATUS ? job_status_names[status] : NULL;
}

int store_github_job_status_code(const char *name)
{
	for (int i = 1; name && i < N_JOB_STATUS; i++)
		if (strcmp(name, job_status_names[i]) == 0)
			return i;
	return 0;
}

/* The order of the statuses in SQL: the rank of the status column @p col. */
#define RANK(col)                                                                                  \
	"(CASE " col " WHEN 'waiting' THEN 1 WHEN 'queued' THEN 2 WHEN 'in_progress' THEN 3"       \
	" WHEN 'completed' THEN 4 ELSE 0 END)"
/* The earlier of two times where 0 (or NULL) means not known. */
#define EARLIEST_AS(min, a, b)                                                                     \
	"(CASE WHEN IFNULL(" b ", 0) = 0 THEN " a " WHEN IFNULL(" a ", 0) = 0 THEN " b             \
	" ELSE " min "(" a ", " b ") END)"
#define EARLIEST(a, b) EARLIEST_AS("MIN", a, b)
/* PostgreSQL's two-argument minimum is LEAST (its MIN is only an aggregate). */
#define EARLIEST_PG(a, b) EARLIEST_AS("LEAST", a, b)
/* What comes with the furthest status: the delivery's when it is at least as
 * far as the job, else the job's unless it has none. */
#define FURTHEST(col)                                                                              \
	col " = CASE WHEN " RANK("excluded.status") " >= " RANK(                                   \
	        "status") " THEN IFNULL(excluded." col ", " col ") ELSE IFNULL(" col               \
	                  ", excluded." col ") END"

/* One clause per line; the formatter would pack the literals around the
 * macros into a column. */
/* clang-format off */
static const char job_upsert_sql[] =
        "INSERT INTO github_jobs (id, run_id, repo, name, labels, status, conclusion, queued_ms,"
        " started_ms, completed_ms, runner_name, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT (id) DO UPDATE SET"
        " run_id = IFNULL(run_id, excluded.run_id),"
        " repo = IFNULL(repo, excluded.repo),"
        " name = IFNULL(name, excluded.name),"
        " labels = CASE WHEN labels = '[]' THEN excluded.labels ELSE labels END,"
        " status = CASE WHEN " RANK("excluded.status") " > " RANK("status")
                " THEN excluded.status ELSE status END,"
        " " FURTHEST("conclusion") ","
        " " FURTHEST("runner_name") ","
        " queued_ms = " EARLIEST("queued_ms", "excluded.queued_ms") ","
        " started_ms = " EARLIEST("started_ms", "excluded.started_ms") ","
        " completed_ms = " EARLIEST("completed_ms", "excluded.completed_ms") ","
        " updated_ms = MAX(updated_ms, excluded.updated_ms)";
/* The same in PostgreSQL's spelling: LEAST and GREATEST, and the existing
 * row's columns named by the table where excluded's could be meant. */
static const char job_upsert_sql_pg[] =
        "INSERT INTO github_jobs (id, run_id, repo, name, labels, status, conclusion, queued_ms,"
        " started_ms, completed_ms, runner_name, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT (id) DO UPDATE SET"
        " run_id = IFNULL(github_jobs.run_id, excluded.run_id),"
        " repo = IFNULL(github_jobs.repo, excluded.repo),"
        " name = IFNULL(github_jobs.name, excluded.name),"
        " labels = CASE WHEN github_jobs.labels = '[]' THEN excluded.labels"
        " ELSE github_jobs.labels END,"
        " status = CASE WHEN " RANK("excluded.status") " > " RANK("github_jobs.status")
                " THEN excluded.status ELSE github_jobs.status END,"
        " conclusion = CASE WHEN " RANK("excluded.status") " >= " RANK("github_jobs.status")
                " THEN IFNULL(excluded.conclusion, github_jobs.conclusion)"
                " ELSE IFNULL(github_jobs.conclusion, excluded.conclusion) END,"
        " runner_name = CASE WHEN " RANK("excluded.status") " >= " RANK("github_jobs.status")
                " THEN IFNULL(excluded.runner_name, github_jobs.runner_name)"
                " ELSE IFNULL(github_jobs.runner_name, excluded.runner_name) END,"
        " queued_ms = " EARLIEST_PG("github_jobs.queued_ms", "excluded.queued_ms") ","
        " started_ms = " EARLIEST_PG("github_jobs.started_ms", "excluded.started_ms") ","
        " completed_ms = " EARLIEST_PG("github_jobs.completed_ms", "excluded.completed_ms") ","
        " updated_ms = GREATEST(github_jobs.updated_ms, excluded.updated_ms)";
/* clang-format on */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The labels as stored: lower-cased (GitHub compares them without case),
 * sorted, distinct, as a JSON array. */
static int labels_json(char *const *labels, size_t n, char **out)
{
	struct strbuf b;
	char **v = n ? calloc(n, sizeof(*v)) : NULL;
	int rc = 0;

	*out = NULL;
	if (n && !v)
		return RW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(labels[i] ? labels[i] : "");
		if (!v[i]) {
			rc = RW_ENOMEM;
			goto out;
		}
		for (char *p = v[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	strbuf_init(&b);
	strbuf_puts(&b, "[");
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (k++)
			strbuf_puts(&b, ",");
		strbuf_json_str(&b, v[i]);
	}
	strbuf_puts(&b, "]");
	*out = strbuf_take(&b, NULL);
	if (!*out)
		rc = RW_ENOMEM;
out:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}

static void bind_text_or_null(struct store_stmt *s, int i, const char *v)
{
	if (v)
		store_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		store_bind_null(s, i);
}

static void bind_positive_or_null(struct store_stmt *s, int i, int64_t v)
{
	if (v > 0)
		store_bind_int64(s, i, v);
	else
		store_bind_null(s, i);
}

/* One job per run of rows with the same id; the last column is one label
 * (NULL when the job has none), from LEFT JOIN json_each(labels). */
#define JOB_COLUMNS                                                                                \
	"SELECT j.id, IFNULL(j.run_id, 0), j.repo, j.name, j.status, j.conclusion,"                \
	" IFNULL(j.queued_ms, 0), j.started_ms, j.completed_ms, j.runner_name, j.updated_ms,"
#define JOB_SELECT JOB_COLUMNS " e.value FROM github_jobs j LEFT JOIN json_each(j.labels) e"
/* PostgreSQL: the labels in their order, as json_each gives them. */
#define JOB_SELECT_PG                                                                              \
	JOB_COLUMNS                                                                                \
	" e.value FROM github_jobs j LEFT JOIN LATERAL"                                            \
	" json_array_elements_text(j.labels::json) WITH ORDINALITY AS e(value, n) ON true"

static int read_jobs(struct store_stmt *s, struct store_github_job **out, size_t *n)
{
	struct store_github_job *v = NULL, *j = NULL;
	size_t len = 0, cap = 0;
	int rc, oom = 0;

	while ((rc = store_step(s)) == SQLITE_ROW) {
		int64_t id = store_column_int64(s, 0);
		if (!j || j->id != id) {
			if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
				oom = 1;
				break;
			}
			j = &v[len++];
			memset(j, 0, sizeof(*j));
			j->id = id;
			j->run_id = store_column_int64(s, 1);
			j->repo = store_col_strdup(s, 2, &oom);
			j->name = store_col_strdup(s, 3, &oom);
			j->status =
			        store_github_job_status_code((const char *)store_column_text(s, 4));
			j->conclusion = store_col_strdup(s, 5, &oom);
			j->queued_ms = store_column_int64(s, 6);
			j->started_ms = store_column_int64(s, 7);
			j->completed_ms = store_column_int64(s, 8);
			j->runner_name = store_col_strdup(s, 9, &oom);
			j->updated_ms = store_column_int64(s, 10);
		}
		if (store_column_type(s, 11) != SQLITE_NULL) {
			char **nl = realloc(j->labels, (j->n_labels + 1) * sizeof(*nl));
			if (!nl) {
				oom = 1;
				break;
			}
			j->labels = nl;
			nl[j->n_labels] = store_col_strdup(s, 11, &oom);
			if (!oom)
				j->n_labels++;
		}
		if (oom)
			break;
	}
	if (oom || rc != SQLITE_DONE) {
		store_github_jobs_free(v, len);
		return oom ? RW_ENOMEM : store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

static int read_job(struct store *st, int64_t id, struct store_github_job *out)
{
	struct store_github_job *v = NULL;
	struct store_stmt *s;
	size_t n = 0;
	int rc = store_prepare_dialect(st, JOB_SELECT " WHERE j.id = ? ORDER BY e.key",
	                               JOB_SELECT_PG " WHERE j.id = ? ORDER BY e.n", &s);

	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	rc = read_jobs(s, &v, &n);
	store_finalize(s);
	if (rc == 0 && n == 0)
		rc = RW_ENOENT;
	if (rc == 0) {
		*out = v[0];
		free(v);
	}
	return rc;
}

int store_github_job_upsert(struct store *st, const struct store_github_job *j,
                            struct store_github_job *merged)
{
	const char *status = j ? store_github_job_status_name(j->status) : NULL;
	bool started =
	        j && (j->status == STORE_GHJOB_IN_PROGRESS || j->status == STORE_GHJOB_COMPLETED);
	struct store_stmt *s = NULL;
	char *labels = NULL;
	int rc;

	if (merged)
		memset(merged, 0, sizeof(*merged));
	if (!j || j->id <= 0 || !status)
		return RW_EINVAL;
	rc = labels_json(j->labels, j->n_labels, &labels);
	if (rc < 0)
		return rc;
	rc = store_begin(st);
	if (rc < 0)
		goto out;
	rc = store_prepare_dialect(st, job_upsert_sql, job_upsert_sql_pg, &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, j->id);
	bind_positive_or_null(s, 2, j->run_id);
	bind_text_or_null(s, 3, j->repo);
	bind_text_or_null(s, 4, j->name);
	store_bind_text(s, 5, labels, -1, SQLITE_STATIC);
	store_bind_text(s, 6, status, -1, SQLITE_STATIC);
	bind_text_or_null(s, 7, j->conclusion);
	bind_positive_or_null(s, 8, j->queued_ms);
	store_bind_int64(s, 9, started && j->started_ms > 0 ? j->started_ms : 0);
	store_bind_int64(s, 10, started && j->completed_ms > 0 ? j->completed_ms : 0);
	bind_text_or_null(s, 11, j->runner_name);
	store_bind_int64(s, 12, j->updated_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
	if (rc == 0 && merged)
		rc = read_job(st, j->id, merged);
out:
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		store_rollback(st);
		if (merged)
			store_github_job_deinit(merged);
	}
	free(labels);
	return rc;
}

int store_github_jobs(struct store *st, int64_t from_ms, int64_t to_ms,
                      struct store_github_job **out, size_t *n)
{
	struct store_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare_dialect(st,
	                           JOB_SELECT " WHERE j.queued_ms >= ? AND j.queued_ms < ?"
	                                      " ORDER BY j.queued_ms, j.id, e.key",
	                           JOB_SELECT_PG " WHERE j.queued_ms >= ? AND j.queued_ms < ?"
	                                         " ORDER BY j.queued_ms, j.id, e.n",
	                           &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, from_ms);
	store_bind_int64(s, 2, to_ms);
	rc = read_jobs(s, out, n);
	store_finalize(s);
	return rc;
}

void store_github_job_deinit(struct store_github_job *j)
{
	if (!j)
		return;
	free(j->repo);
	free(j->name);
	for (size_t i = 0; i < j->n_labels; i++)
		free(j->labels[i]);
	free(j->labels);
	free(j->conclusion);
	free(j->runner_name);
	memset(j, 0, sizeof(*j));
}

void store_github_jobs_free(struct store_github_job *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_github_job_deinit(&v[i]);
	free(v);
}
