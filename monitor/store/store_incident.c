/* SPDX-License-Identifier: MIT */
/*
 * store_incident.c — reading incidents and recording the operator's
 * acknowledge and mitigate times.
 *
 * Incidents are created and closed only by the writer, with the intervals
 * they mirror (store.c); this file never changes start_ms, end_ms or voided.
 * Acknowledge and mitigate are set once: a second call is RW_EEXIST, so the
 * time the report measures cannot be moved after the fact.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

#define INCIDENT_COLS                                                                              \
	"i.id, i.runner_id, r.name, r.operator_id, i.start_ms, IFNULL(i.end_ms, 0),"               \
	" IFNULL(i.ack_ms, 0), i.ack_note, IFNULL(i.mitigated_ms, 0), i.mitigated_note"            \
	" FROM incidents i JOIN runners r ON r.id = i.runner_id"

static void incident_row(struct store_stmt *s, struct store_incident *v, int *oom)
{
	v->id = store_column_int64(s, 0);
	v->runner_id = store_column_int64(s, 1);
	v->runner_name = store_col_strdup(s, 2, oom);
	v->operator_id = store_column_int64(s, 3);
	v->start_ms = store_column_int64(s, 4);
	v->end_ms = store_column_int64(s, 5);
	v->ack_ms = store_column_int64(s, 6);
	v->ack_note = store_col_strdup(s, 7, oom);
	v->mitigated_ms = store_column_int64(s, 8);
	v->mitigated_note = store_col_strdup(s, 9, oom);
}

int store_incident_list(struct store *st, int64_t operator_id, int64_t runner_id, int64_t from_ms,
                        int64_t to_ms, struct store_incident **out, size_t *n)
{
	struct store_stmt *s;
	struct store_incident *v = NULL;
	size_t len = 0, cap = 0;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   "SELECT " INCIDENT_COLS " WHERE i.voided = 0 AND i.start_ms < ?3 AND"
	                   " (i.end_ms IS NULL OR i.end_ms > ?4) AND (?1 = 0 OR r.operator_id = ?1)"
	                   " AND (?2 = 0 OR i.runner_id = ?2) ORDER BY i.start_ms, i.id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, operator_id);
	store_bind_int64(s, 2, runner_id);
	store_bind_int64(s, 3, to_ms);
	store_bind_int64(s, 4, from_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			oom = 1;
			break;
		}
		incident_row(s, &v[len++], &oom);
		if (oom)
			break;
	}
	store_finalize(s);
	rc = oom ? RW_ENOMEM : rc == SQLITE_DONE ? 0 : store_rc(rc);
	if (rc < 0) {
		store_incidents_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

/* Appends the rows of @p s to (*v, *len, *cap); finalizes s. */
static int collect(struct store_stmt *s, struct store_incident **v, size_t *len, size_t *cap)
{
	int rc, oom = 0;

	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)v, cap, *len, sizeof(**v)) < 0) {
			oom = 1;
			break;
		}
		incident_row(s, &(*v)[(*len)++], &oom);
		if (oom)
			break;
	}
	store_finalize(s);
	return oom ? RW_ENOMEM : rc == SQLITE_DONE ? 0 : store_rc(rc);
}

int store_incident_recent(struct store *st, int64_t from_ms, int64_t to_ms, size_t limit,
                          struct store_incident **out, size_t *n, size_t *more)
{
	struct store_stmt *s;
	struct store_incident *v = NULL;
	size_t len = 0, cap = 0;
	int64_t total = 0;
	int rc;

	*out = NULL;
	*n = *more = 0;
	/* Open ones (the partial index incidents_open), then ended ones by
	 * start backwards (incidents_start): each stops at the limit. */
	rc = store_prepare(st,
	                   "SELECT " INCIDENT_COLS " WHERE i.voided = 0 AND i.end_ms IS NULL AND"
	                   " i.start_ms < ?1 ORDER BY i.start_ms DESC, i.id DESC LIMIT ?2",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, to_ms);
	store_bind_int64(s, 2, (int64_t)limit);
	rc = collect(s, &v, &len, &cap);
	if (rc == 0 && len < limit) {
		rc = store_prepare(st,
		                   "SELECT " INCIDENT_COLS " WHERE i.voided = 0 AND i.end_ms IS NOT"
		                   " NULL AND i.end_ms > ?1 AND i.start_ms < ?2"
		                   " ORDER BY i.start_ms DESC, i.id DESC LIMIT ?3",
		                   &s);
		if (rc == 0) {
			store_bind_int64(s, 1, from_ms);
			store_bind_int64(s, 2, to_ms);
			store_bind_int64(s, 3, (int64_t)(limit - len));
			rc = collect(s, &v, &len, &cap);
		}
	}
	if (rc == 0)
		rc = store_prepare(
		        st,
		        "SELECT count(*) FROM (SELECT 1 FROM incidents WHERE voided = 0"
		        " AND start_ms < ?1 AND (end_ms IS NULL OR end_ms > ?2) LIMIT ?3) AS t",
		        &s);
	if (rc == 0) {
		store_bind_int64(s, 1, to_ms);
		store_bind_int64(s, 2, from_ms);
		store_bind_int64(s, 3, (int64_t)(STORE_INCIDENTS_COUNT_CAP + len));
		rc = store_step(s);
		total = rc == SQLITE_ROW ? store_column_int64(s, 0) : 0;
		rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
		store_finalize(s);
	}
	if (rc < 0) {
		store_incidents_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	*more = total > (int64_t)len ? (size_t)total - len : 0;
	if (*more > STORE_INCIDENTS_COUNT_CAP)
		*more = STORE_INCIDENTS_COUNT_CAP;
	return 0;
}

int store_incident_get(struct store *st, int64_t id, struct store_incident *out)
{
	struct store_stmt *s;
	int rc, oom = 0;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(st, "SELECT " INCIDENT_COLS " WHERE i.id = ? AND i.voided = 0", &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, id);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		incident_row(s, out, &oom);
		rc = oom ? RW_ENOMEM : 0;
	} else {
		rc = rc == SQLITE_DONE ? RW_ENOENT : store_rc(rc);
	}
	store_finalize(s);
	if (rc < 0)
		store_incident_deinit(out);
	return rc;
}

/* Sets a once-only pair of columns and records event @p kind, in one
 * transaction; @p sql's ?1 is the id, ?2 the time, ?3 the note, and it must
 * match only rows where the pair is still unset. */
static int set_once(struct store *st, const char *sql, const char *kind, int64_t id, int64_t now_ms,
                    const char *note)
{
	struct store_incident cur;
	struct store_stmt *s;
	char data[48];
	int rc = store_incident_get(st, id, &cur);

	if (rc < 0)
		return rc;
	rc = store_begin(st);
	if (rc == 0)
		rc = store_prepare(st, sql, &s);
	if (rc < 0)
		goto out;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, now_ms);
	if (note)
		store_bind_text(s, 3, note, -1, SQLITE_STATIC);
	else
		store_bind_null(s, 3);
	rc = store_rc(store_step(s));
	if (rc == 0 && store_changes(st) == 0)
		rc = RW_EEXIST;
	store_finalize(s);
	snprintf(data, sizeof(data), "{\"incident_id\":%lld}", (long long)id);
	if (rc == 0)
		rc = store_event_add(st, now_ms, kind, cur.runner_id, data);
	if (rc == 0)
		rc = store_commit(st);
out:
	if (rc < 0)
		store_rollback(st);
	store_incident_deinit(&cur);
	return rc;
}

int store_incident_ack(struct store *st, int64_t id, int64_t now_ms, const char *note)
{
	return set_once(st,
	                "UPDATE incidents SET ack_ms = ?2, ack_note = ?3"
	                " WHERE id = ?1 AND ack_ms IS NULL",
	                "incident_acknowledged", id, now_ms, note);
}

int store_incident_mitigate(struct store *st, int64_t id, int64_t now_ms, const char *note)
{
	return set_once(st,
	                "UPDATE incidents SET mitigated_ms = ?2, mitigated_note = ?3,"
	                " ack_ms = IFNULL(ack_ms, ?2), ack_note = IFNULL(ack_note, '')"
	                " WHERE id = ?1 AND mitigated_ms IS NULL",
	                "incident_mitigated", id, now_ms, note);
}

void store_incident_deinit(struct store_incident *inc)
{
	if (!inc)
		return;
	free(inc->runner_name);
	free(inc->ack_note);
	free(inc->mitigated_note);
	inc->runner_name = inc->ack_note = inc->mitigated_note = NULL;
}

void store_incidents_free(struct store_incident *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_incident_deinit(&v[i]);
	free(v);
}
