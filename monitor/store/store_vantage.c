/* SPDX-License-Identifier: MIT */
/*
 * store_vantage.c — vantage points (store.h "vantage points"): a daemon's
 * registration under its name, the tag its connection writes under, and the
 * reads of each vantage's own runner states and heartbeats.
 *
 * Invariants: vantage ids are 0, 1, 2, … in the order of registration
 * (never an identity column: id 0 must be the first vantage, because 0 is
 * the tag of every row written before migration 10); a name maps to one id
 * for good. Registration runs under the store's write lock (store_begin():
 * BEGIN IMMEDIATE on SQLite, the database's lock on PostgreSQL), so two
 * daemons registering at once cannot take the same id.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

bool store_vantage_name_valid(const char *name)
{
	size_t n = 0;

	if (!name)
		return false;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= STORE_VANTAGE_MAX;
}

void store_set_vantage(struct store *st, int64_t vantage_id)
{
	st->vantage_id = vantage_id;
}

static int run_done(struct store_stmt *s)
{
	int rc = store_step(s);
	store_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

/* In the caller's transaction: the id of @p name, adding it when new;
 * *last_tick the vantage's heartbeat before this start (-1: new). */
static int find_or_add(struct store *st, const char *name, int64_t now_ms, int64_t *id,
                       int64_t *last_tick)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT id, last_tick_ms FROM vantages WHERE name = ?", &s);

	if (rc < 0)
		return rc;
	store_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	rc = store_step(s);
	if (rc == SQLITE_ROW) {
		*id = store_column_int64(s, 0);
		*last_tick = store_column_int64(s, 1);
		store_finalize(s);
		return 0;
	}
	store_finalize(s);
	if (rc != SQLITE_DONE)
		return store_rc(rc);
	*last_tick = -1;
	rc = store_prepare(st,
	                   "INSERT INTO vantages (id, name, first_seen_ms, last_tick_ms)"
	                   " SELECT COALESCE(MAX(id) + 1, 0), ?1, ?2, ?2 FROM vantages",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	store_bind_int64(s, 2, now_ms);
	rc = run_done(s);
	if (rc < 0)
		return rc;
	rc = store_prepare(st, "SELECT id FROM vantages WHERE name = ?", &s);
	if (rc < 0)
		return rc;
	store_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	rc = store_step(s);
	if (rc == SQLITE_ROW)
		*id = store_column_int64(s, 0);
	store_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_rc(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
}

int store_vantage_register(struct store *st, const char *name, int64_t now_ms, int64_t *id)
{
	struct store_stmt *s;
	int64_t last_tick = -1;
	int rc;

	if (!store_vantage_name_valid(name))
		return RW_EINVAL;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = find_or_add(st, name, now_ms, id, &last_tick);
	/* Its daemon starts over: what it held, it holds no more, from the
	 * moment it last showed signs of life. */
	if (rc == 0 && last_tick >= 0)
		rc = store_prepare(st,
		                   "UPDATE vantage_states SET state = ?2, since_ms = CASE WHEN"
		                   " since_ms > ?3 THEN since_ms ELSE ?3 END"
		                   " WHERE vantage_id = ?1 AND state <> ?2",
		                   &s);
	if (rc == 0 && last_tick >= 0) {
		store_bind_int64(s, 1, *id);
		store_bind_int(s, 2, RW_STATE_UNKNOWN);
		store_bind_int64(s, 3, last_tick);
		rc = run_done(s);
	}
	/* PostgreSQL: the leader combining the vantages hears of it at commit
	 * (STORE_PG_STATE_CHANNEL), as of any of the vantage's own changes. */
	if (rc == 0 && last_tick >= 0 && st->backend == STORE_POSTGRES)
		rc = store_prepare(st, "SELECT pg_notify('" STORE_PG_STATE_CHANNEL "', ?1)", &s);
	if (rc == 0 && last_tick >= 0 && st->backend == STORE_POSTGRES) {
		char line[64];
		int step;
		snprintf(line, sizeof(line), "r %lld %lld\n", (long long)*id, (long long)last_tick);
		store_bind_text(s, 1, line, -1, SQLITE_TRANSIENT);
		step = store_step(s);
		store_finalize(s);
		rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : store_rc(step);
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	store_set_vantage(st, *id);
	return 0;
}

int store_vantage_states(struct store *st, int64_t runner_id, int64_t now_ms,
                         struct store_vantage_state **out, size_t *n)
{
	struct store_stmt *s;
	struct store_vantage_state *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	/* A stored blind period that covers now (rare: most are written when
	 * they end) makes the vantage blind; GitHub's API being unreadable is
	 * blindness on GitHub's pools only (monitor_cover.h), not here. */
	rc = store_prepare(st,
	                   "SELECT v.id, v.name, s.state, s.since_ms, v.last_tick_ms,"
	                   " CASE WHEN EXISTS (SELECT 1 FROM blind_periods b"
	                   " WHERE b.vantage_id = v.id AND b.start_ms <= ?2 AND b.end_ms > ?2"
	                   " AND b.cause <> 'github_api') THEN 1 ELSE 0 END"
	                   " FROM vantage_states s JOIN vantages v ON v.id = s.vantage_id"
	                   " WHERE s.runner_id = ?1 ORDER BY v.id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, now_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		const unsigned char *name = store_column_text(s, 1);
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].vantage_id = store_column_int64(s, 0);
		snprintf(v[len].name, sizeof(v[len].name), "%s", name ? (const char *)name : "");
		v[len].state = store_column_int(s, 2);
		v[len].since_ms = store_column_int64(s, 3);
		v[len].last_tick_ms = store_column_int64(s, 4);
		v[len].blind = store_column_int(s, 5) != 0;
		len++;
	}
	store_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

int store_vantage_states_all(struct store *st, int64_t except_id, struct store_vstate_row **out,
                             size_t *n)
{
	struct store_stmt *s;
	struct store_vstate_row *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(st,
	                   "SELECT vantage_id, runner_id, state, since_ms FROM vantage_states"
	                   " WHERE vantage_id <> ? ORDER BY vantage_id, runner_id",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, except_id);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].vantage_id = store_column_int64(s, 0);
		v[len].runner_id = store_column_int64(s, 1);
		v[len].state = store_column_int(s, 2);
		v[len].since_ms = store_column_int64(s, 3);
		len++;
	}
	store_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}

int store_vantage_list(struct store *st, struct store_vantage **out, size_t *n)
{
	struct store_stmt *s;
	struct store_vantage *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(
	        st, "SELECT id, name, first_seen_ms, last_tick_ms FROM vantages ORDER BY id", &s);
	if (rc < 0)
		return rc;
	while ((rc = store_step(s)) == SQLITE_ROW) {
		const unsigned char *name = store_column_text(s, 1);
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].id = store_column_int64(s, 0);
		snprintf(v[len].name, sizeof(v[len].name), "%s", name ? (const char *)name : "");
		v[len].first_seen_ms = store_column_int64(s, 2);
		v[len].last_tick_ms = store_column_int64(s, 3);
		len++;
	}
	store_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_rc(rc);
	}
	*out = v;
	*n = len;
	return 0;
}
