/* SPDX-License-Identifier: MIT */
/*
 * store_events.c — the events outbox and the webhooks' delivery cursors.
 *
 * Invariants: an event row is only ever inserted, in the transaction of the
 * change it records (see store.h); ids come from AUTOINCREMENT, so they
 * strictly increase and are never reused. A cursor only moves forward.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

static const char *const reason_names[] = {
        [STORE_REASON_NONE] = "",
        [STORE_REASON_PENDING] = "pending",
        [STORE_REASON_MAINTENANCE] = "maintenance",
        [STORE_REASON_DOWN] = "down",
        [STORE_REASON_UNKNOWN] = "unknown",
        [STORE_REASON_FLAGGED] = "flagged",
        [STORE_REASON_PROBATION] = "probation",
        [STORE_REASON_RETIRED] = "retired",
        [STORE_REASON_BELOW_MIN_ONLINE] = "below_min_online",
        [STORE_REASON_NO_PICKUP] = "no_pickup",
};
#define N_REASONS (sizeof(reason_names) / sizeof(reason_names[0]))

const char *store_reason_name(int reason)
{
	return reason >= 0 && (size_t)reason < N_REASONS ? reason_names[reason] : "";
}

int store_reason_code(const char *name)
{
	for (size_t i = 1; name && i < N_REASONS; i++)
		if (strcmp(reason_names[i], name) == 0)
			return (int)i;
	return 0;
}

int store_event_add(struct store *st, int64_t at_ms, const char *kind, int64_t runner_id,
                    const char *data)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "INSERT INTO events (at_ms, kind, runner_id, data)"
	                       " VALUES (?, ?, ?, IFNULL(?, '{}'))",
	                       &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, at_ms);
	store_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	if (runner_id > 0)
		store_bind_int64(s, 3, runner_id);
	else
		store_bind_null(s, 3);
	if (data)
		store_bind_text(s, 4, data, -1, SQLITE_STATIC);
	else
		store_bind_null(s, 4);
	rc = store_rc(store_step(s));
	store_finalize(s);
	return rc;
}

int store_events_after(struct store *st, int64_t after_id, size_t limit, const char *const *kinds,
                       struct store_event **out, size_t *n)
{
	struct store_stmt *s;
	struct store_event *v = NULL;
	size_t len = 0, cap = 0;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   "SELECT e.id, e.at_ms, e.kind, IFNULL(e.runner_id, 0), r.name, e.data"
	                   " FROM events e LEFT JOIN runners r ON r.id = e.runner_id"
	                   " WHERE e.id > ? ORDER BY e.id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, after_id);
	while (len < limit && (rc = store_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)store_column_text(s, 2);
		struct store_event *e;
		bool want = !kinds;
		for (size_t i = 0; kinds && kinds[i]; i++)
			want = want || strcmp(kinds[i], kind) == 0;
		if (!want)
			continue;
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			oom = 1;
			break;
		}
		e = &v[len++];
		e->id = store_column_int64(s, 0);
		e->at_ms = store_column_int64(s, 1);
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
		e->runner_id = store_column_int64(s, 3);
		e->runner_name = store_col_strdup(s, 4, &oom);
		e->data = store_col_strdup(s, 5, &oom);
		if (oom)
			break;
	}
	store_finalize(s);
	rc = oom ? RW_ENOMEM : (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : store_rc(rc);
	if (rc < 0) {
		store_events_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

static int one_int(struct store *st, const char *sql, const char *text, int64_t *out)
{
	struct store_stmt *s;
	int rc = store_prepare(st, sql, &s);

	if (rc < 0)
		return rc;
	if (text)
		store_bind_text(s, 1, text, -1, SQLITE_STATIC);
	rc = store_step(s);
	*out = rc == SQLITE_ROW ? store_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

int store_event_max_id(struct store *st, int64_t *id)
{
	return one_int(st, "SELECT IFNULL(MAX(id), 0) FROM events", NULL, id);
}

void store_events_free(struct store_event *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].runner_name);
		free(v[i].data);
	}
	free(v);
}

int store_webhook_cursor(struct store *st, const char *url, int64_t *last_id)
{
	int64_t n = 0;
	int rc = one_int(st, "SELECT COUNT(*) FROM webhook_cursors WHERE url = ?", url, &n);

	if (rc == 0 && n == 0)
		return RW_ENOENT;
	if (rc == 0)
		rc = one_int(st, "SELECT last_id FROM webhook_cursors WHERE url = ?", url, last_id);
	return rc;
}

int store_webhook_cursor_set(struct store *st, const char *url, int64_t last_id, int64_t now_ms)
{
	struct store_stmt *s;
	int rc = store_prepare_dialect(
	        st,
	        "INSERT INTO webhook_cursors (url, last_id, updated_ms) VALUES (?1, ?2, ?3)"
	        " ON CONFLICT (url) DO UPDATE SET last_id = MAX(last_id, ?2),"
	        " updated_ms = ?3",
	        "INSERT INTO webhook_cursors (url, last_id, updated_ms) VALUES (?1, ?2, ?3)"
	        " ON CONFLICT (url) DO UPDATE SET last_id = GREATEST(webhook_cursors.last_id, ?2),"
	        " updated_ms = ?3",
	        &s);
	if (rc < 0)
		return rc;
	store_bind_text(s, 1, url, -1, SQLITE_STATIC);
	store_bind_int64(s, 2, last_id);
	store_bind_int64(s, 3, now_ms);
	rc = store_rc(store_step(s));
	store_finalize(s);
	return rc;
}

int store_eligibility_last(struct store *st, struct store_eligibility **out, size_t *n)
{
	struct store_stmt *s;
	struct store_eligibility *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare_dialect(
	        st,
	        "SELECT runner_id, kind, json_extract(data, '$.reason') FROM events"
	        " WHERE id IN (SELECT MAX(id) FROM events WHERE kind IN"
	        " ('eligible', 'ineligible') GROUP BY runner_id)",
	        "SELECT runner_id, kind, data::json->>'reason' FROM events"
	        " WHERE id IN (SELECT MAX(id) FROM events WHERE kind IN"
	        " ('eligible', 'ineligible') GROUP BY runner_id)",
	        &s);
	if (rc < 0)
		return rc;
	while ((rc = store_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)store_column_text(s, 1);
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].runner_id = store_column_int64(s, 0);
		v[len].code = strcmp(kind, "eligible") == 0
		                      ? 0
		                      : store_reason_code((const char *)store_column_text(s, 2));
		len++;
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

int store_pool_last(struct store *st, void (*cb)(const char *target, bool below, void *data),
                    void *data)
{
	struct store_stmt *s;
	int rc = store_prepare_dialect(st,
	                               "SELECT json_extract(data, '$.target'), kind FROM events"
	                               " WHERE id IN (SELECT MAX(id) FROM events WHERE kind IN"
	                               " ('pool_below_min', 'pool_restored')"
	                               " GROUP BY json_extract(data, '$.target'))",
	                               "SELECT data::json->>'target', kind FROM events"
	                               " WHERE id IN (SELECT MAX(id) FROM events WHERE kind IN"
	                               " ('pool_below_min', 'pool_restored')"
	                               " GROUP BY data::json->>'target')",
	                               &s);

	if (rc < 0)
		return rc;
	while ((rc = store_step(s)) == SQLITE_ROW) {
		const char *target = (const char *)store_column_text(s, 0);
		const char *kind = (const char *)store_column_text(s, 1);
		if (target && kind)
			cb(target, strcmp(kind, "pool_below_min") == 0, data);
	}
	store_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}
