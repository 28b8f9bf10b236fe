/* SPDX-License-Identifier: MIT */
/*
 * store_history.c — what the writer commits and the history it builds:
 * samples, state changes, ticks and blind periods (store_write_batch(), all
 * or nothing: a failed batch is rolled back and reported, the caller decides
 * whether to retry), the monitor's runs, and the reads of that history
 * (intervals, sample counts) and the purge of old samples.
 */
#include "monitor/store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"

const char *store_blind_cause_name(int cause)
{
	switch (cause) {
	case STORE_BLIND_DOWNTIME: return "downtime";
	case STORE_BLIND_TICK_GAP: return "tick_gap";
	case STORE_BLIND_CANARY: return "canary";
	case STORE_BLIND_CORRELATED: return "correlated";
	case STORE_BLIND_STORAGE: return "storage";
	case STORE_BLIND_GITHUB_API: return "github_api";
	}
	return "unknown";
}

static int step_reset(struct store_stmt *s)
{
	int rc = store_step(s);
	store_reset(s);
	return rc == SQLITE_DONE ? 0 : store_rc(rc);
}

static int insert_event(struct store *st, int64_t at_ms, const char *kind, int64_t runner_id,
                        const char *data)
{
	struct store_stmt *s = st->ins_event;

	store_bind_int64(s, 1, at_ms);
	store_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	if (runner_id > 0)
		store_bind_int64(s, 3, runner_id);
	else
		store_bind_null(s, 3); /* a target's pool */
	store_bind_text(s, 4, data, -1, SQLITE_TRANSIENT);
	return step_reset(s);
}

static int write_one(struct store *st, const struct store_rec *r)
{
	struct store_stmt *s;
	int rc;

	switch (r->kind) {
	case STORE_REC_SAMPLE:
		s = st->ins_sample;
		store_bind_int64(s, 1, r->u.sample.runner_id);
		store_bind_int64(s, 2, r->u.sample.ts_ms);
		store_bind_int(s, 3, r->u.sample.errclass);
		store_bind_int(s, 4, r->u.sample.http_status);
		store_bind_int(s, 5, r->u.sample.latency_us);
		store_bind_int64(s, 6, st->vantage_id);
		return step_reset(s);
	case STORE_REC_CHANGE:
		s = st->ins_change;
		store_bind_int64(s, 1, r->u.change.runner_id);
		store_bind_int64(s, 2, r->u.change.start_ms);
		store_bind_int(s, 3, r->u.change.state);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		s = st->upd_last_state;
		store_bind_int64(s, 1, r->u.change.runner_id);
		store_bind_int(s, 2, r->u.change.state);
		store_bind_int64(s, 3, r->u.change.start_ms);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		if (r->u.change.state != RW_STATE_DOWN) {
			/* An incident this change voids (its DOWN interval replaced
			 * at the same start by the monitor's blindness) was
			 * announced: its retraction, in the same transaction. */
			s = st->ev_voided;
			store_bind_int64(s, 1, r->u.change.runner_id);
			store_bind_int64(s, 2, r->u.change.start_ms);
			store_bind_text(s, 3, rw_state_name(r->u.change.state), -1, SQLITE_STATIC);
			rc = step_reset(s);
			if (rc < 0)
				return rc;
		}
		s = r->u.change.state == RW_STATE_DOWN ? st->open_incident : st->close_incident;
		store_bind_int64(s, 1, r->u.change.runner_id);
		store_bind_int64(s, 2, r->u.change.start_ms);
		rc = step_reset(s);
		if (rc == 0 && s == st->open_incident && store_changes(st) > 0) {
			/* An incident opened (or revived): its event, in this batch. */
			s = st->ev_incident;
			store_bind_int64(s, 1, r->u.change.runner_id);
			store_bind_int64(s, 2, r->u.change.start_ms);
			rc = step_reset(s);
		}
		if (rc < 0 || r->u.change.state == RW_STATE_UNKNOWN)
			return rc;
		/* What people are told: "down" / "up" (store.c says when). */
		s = r->u.change.state == RW_STATE_DOWN ? st->ev_down : st->ev_up;
		store_bind_int64(s, 1, r->u.change.runner_id);
		store_bind_int64(s, 2, r->u.change.start_ms);
		if (s == st->ev_down) {
			store_bind_int(s, 3, r->u.change.errclass);
			store_bind_int(s, 4, r->u.change.http_status);
		}
		return step_reset(s);
	case STORE_REC_TICK:
		s = st->upd_tick;
		store_bind_int64(s, 1, r->u.tick.run_id);
		store_bind_int64(s, 2, r->u.tick.ts_ms);
		store_bind_int(s, 3, !r->u.tick.follower);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		/* The heartbeat of the run's vantage (none before one registered). */
		s = st->upd_vant_tick;
		store_bind_int64(s, 1, r->u.tick.run_id);
		store_bind_int64(s, 2, r->u.tick.ts_ms);
		return step_reset(s);
	case STORE_REC_VSTATE:
		s = st->ins_vstate;
		store_bind_int64(s, 1, st->vantage_id);
		store_bind_int64(s, 2, r->u.change.runner_id);
		store_bind_int(s, 3, r->u.change.state);
		store_bind_int64(s, 4, r->u.change.start_ms);
		return step_reset(s);
	case STORE_REC_FLAG: {
		char reason[96];
		snprintf(reason, sizeof(reason), "uptime %.6f %s %.6f", r->u.flag.uptime_ppm / 1e6,
		         r->u.flag.flagged ? "<" : ">=", r->u.flag.threshold_ppm / 1e6);
		s = st->ins_flag;
		store_bind_int64(s, 1, r->u.flag.runner_id);
		store_bind_int64(s, 2, r->u.flag.at_ms);
		store_bind_int(s, 3, r->u.flag.flagged);
		store_bind_int64(s, 4, r->u.flag.uptime_ppm);
		store_bind_int64(s, 5, r->u.flag.threshold_ppm);
		if (r->u.flag.policy_id > 0)
			store_bind_int64(s, 6, r->u.flag.policy_id);
		else
			store_bind_null(s, 6);
		store_bind_text(s, 7, reason, -1, SQLITE_TRANSIENT);
		rc = step_reset(s);
		if (rc < 0)
			return rc;
		snprintf(reason, sizeof(reason), "{\"uptime\":%.6f,\"threshold\":%.6f}",
		         r->u.flag.uptime_ppm / 1e6, r->u.flag.threshold_ppm / 1e6);
		return insert_event(st, r->u.flag.at_ms,
		                    r->u.flag.flagged ? "flagged" : "unflagged",
		                    r->u.flag.runner_id, reason);
	}
	case STORE_REC_EVENT: {
		static const char *const kinds[] = {
		        [STORE_EV_ELIGIBLE] = "eligible",
		        [STORE_EV_INELIGIBLE] = "ineligible",
		        [STORE_EV_MAINT_START] = "maintenance_start",
		        [STORE_EV_MAINT_END] = "maintenance_end",
		        [STORE_EV_POOL_BELOW] = "pool_below_min",
		        [STORE_EV_POOL_RESTORED] = "pool_restored",
		};
		char data[64] = "{}";
		if (r->u.event.kind < STORE_EV_ELIGIBLE || r->u.event.kind > STORE_EV_POOL_RESTORED)
			return RW_EINVAL;
		if (r->u.event.kind == STORE_EV_INELIGIBLE)
			snprintf(data, sizeof(data), "{\"reason\":\"%s\"}",
			         store_reason_name(r->u.event.reason));
		return insert_event(st, r->u.event.at_ms, kinds[r->u.event.kind],
		                    r->u.event.runner_id, r->u.event.data ? r->u.event.data : data);
	}
	case STORE_REC_BLIND:
		s = st->ins_blind;
		store_bind_int64(s, 1, r->u.blind.start_ms);
		store_bind_int64(s, 2, r->u.blind.end_ms);
		store_bind_text(s, 3, store_blind_cause_name(r->u.blind.cause), -1, SQLITE_STATIC);
		store_bind_int64(s, 4, st->vantage_id);
		return step_reset(s);
	}
	return RW_EINVAL;
}

void store_rec_release(struct store_rec *rec)
{
	if (rec->kind == STORE_REC_EVENT) {
		free(rec->u.event.data);
		rec->u.event.data = NULL;
	}
}

/* PostgreSQL: the samples of a batch in one statement (a round trip each
 * would be most of the batch's time), as arrays in PostgreSQL's text form,
 * {1,2,3}. Samples are read by no other record's statement, so writing them
 * together, in the batch's transaction, writes what one at a time would. */
static int write_samples_pg(struct store *st, const struct store_rec *recs, size_t n)
{
	struct strbuf a[5];
	size_t k = 0;
	int rc = 0;

	for (int c = 0; c < 5; c++) {
		strbuf_init(&a[c]);
		strbuf_puts(&a[c], "{");
	}
	for (size_t i = 0; i < n; i++) {
		const char *sep;
		if (recs[i].kind != STORE_REC_SAMPLE)
			continue;
		sep = k++ ? "," : "";
		strbuf_printf(&a[0], "%s%lld", sep, (long long)recs[i].u.sample.runner_id);
		strbuf_printf(&a[1], "%s%lld", sep, (long long)recs[i].u.sample.ts_ms);
		strbuf_printf(&a[2], "%s%d", sep, recs[i].u.sample.errclass);
		strbuf_printf(&a[3], "%s%d", sep, recs[i].u.sample.http_status);
		strbuf_printf(&a[4], "%s%ld", sep, (long)recs[i].u.sample.latency_us);
	}
	for (int c = 0; c < 5; c++) {
		char *text;
		strbuf_puts(&a[c], "}");
		text = strbuf_failed(&a[c]) ? NULL : strbuf_take(&a[c], NULL);
		if (!text)
			rc = RW_ENOMEM;
		else
			store_bind_text(st->ins_samples_pg, c + 1, text, -1, SQLITE_TRANSIENT);
		free(text);
		strbuf_deinit(&a[c]);
	}
	store_bind_int64(st->ins_samples_pg, 6, st->vantage_id);
	if (rc == 0 && k > 0)
		rc = step_reset(st->ins_samples_pg);
	return rc;
}

/* PostgreSQL: the batch's state changes, combined and the vantage's own, as
 * notifications on STORE_PG_STATE_CHANNEL (store.h), sent by the server when the batch
 * commits, so that a listener never hears of a change it cannot read yet.
 * Payloads stay under the server's 8,000 bytes. */
static int notify_changes_pg(struct store *st, const struct store_rec *recs, size_t n)
{
	struct strbuf b;
	struct store_stmt *s = NULL;
	int rc = 0;

	strbuf_init(&b);
	for (size_t i = 0; i <= n && rc == 0; i++) {
		if (i < n && recs[i].kind == STORE_REC_CHANGE)
			strbuf_printf(&b, "%lld %d %lld\n", (long long)recs[i].u.change.runner_id,
			              recs[i].u.change.state, (long long)recs[i].u.change.start_ms);
		else if (i < n && recs[i].kind == STORE_REC_VSTATE)
			strbuf_printf(&b, "v %lld %lld %d %lld %d %d\n", (long long)st->vantage_id,
			              (long long)recs[i].u.change.runner_id, recs[i].u.change.state,
			              (long long)recs[i].u.change.start_ms,
			              recs[i].u.change.errclass, recs[i].u.change.http_status);
		if (strbuf_failed(&b)) {
			rc = RW_ENOMEM;
			break;
		}
		if (b.len == 0 || (i < n && b.len < 7000))
			continue;
		if (!s)
			rc = store_prepare(st, "SELECT pg_notify('" STORE_PG_STATE_CHANNEL "', ?1)",
			                   &s);
		if (rc == 0) {
			int step;
			store_bind_text(s, 1, b.data, (int)b.len, SQLITE_TRANSIENT);
			step = store_step(s);
			store_reset(s);
			rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : store_rc(step);
		}
		b.len = 0; /* the buffer is kept for the next payload */
		b.data[0] = '\0';
	}
	store_finalize(s);
	strbuf_deinit(&b);
	return rc;
}

int store_write_batch(struct store *st, const struct store_rec *recs, size_t n)
{
	bool samples_apart = st->ins_samples_pg != NULL;
	int rc = store_begin(st);
	if (rc < 0)
		return rc;
	if (samples_apart) {
		rc = write_samples_pg(st, recs, n);
		if (rc < 0) {
			store_rollback(st);
			return rc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (samples_apart && recs[i].kind == STORE_REC_SAMPLE)
			continue;
		rc = write_one(st, &recs[i]);
		if (rc < 0) {
			store_rollback(st);
			return rc;
		}
	}
	if (samples_apart) { /* PostgreSQL */
		rc = notify_changes_pg(st, recs, n);
		if (rc < 0) {
			store_rollback(st);
			return rc;
		}
	}
	rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	return rc;
}

int store_run_begin(struct store *st, int64_t now_ms, int64_t *run_id, int64_t *prev_tick_ms)
{
	struct store_stmt *s = NULL;
	int rc;

	/* The previous run of this vantage: another vantage's ticks say
	 * nothing about when this one stopped seeing. */
	rc = store_prepare(st, "SELECT MAX(last_tick_ms) FROM monitor_runs WHERE vantage_id = ?",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, st->vantage_id);
	rc = store_step(s);
	*prev_tick_ms = (rc == SQLITE_ROW && store_column_type(s, 0) != SQLITE_NULL)
	                        ? store_column_int64(s, 0)
	                        : -1;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	store_finalize(s);
	if (rc < 0)
		return rc;
	/* A run starting is its own first tick, as the leader's too (it may
	 * be the leader; a follower's start is then the latest time a takeover
	 * can count from, as it was before led_until_ms). */
	rc = store_prepare(st,
	                   "INSERT INTO monitor_runs (started_ms, last_tick_ms, vantage_id,"
	                   " led_until_ms) VALUES (?1, ?1, ?2, ?1)",
	                   &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, now_ms);
	store_bind_int64(s, 2, st->vantage_id);
	rc = store_step(s);
	store_finalize(s);
	if (rc != SQLITE_DONE)
		return store_rc(rc);
	*run_id = store_last_insert_rowid(st);
	return 0;
}

int store_last_tick(struct store *st, int64_t *tick_ms)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT MAX(led_until_ms) FROM monitor_runs", &s);
	if (rc < 0)
		return rc;
	rc = store_step(s);
	*tick_ms = (rc == SQLITE_ROW && store_column_type(s, 0) != SQLITE_NULL)
	                   ? store_column_int64(s, 0)
	                   : -1;
	if (*tick_ms < 0) /* runs that never led: -1 */
		*tick_ms = -1;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

int store_last_run(struct store *st, int64_t *tick_ms, int64_t *vantage_id)
{
	struct store_stmt *s;
	int rc = store_prepare(st,
	                       "SELECT led_until_ms, vantage_id FROM monitor_runs"
	                       " ORDER BY led_until_ms DESC, id DESC LIMIT 1",
	                       &s);
	if (rc < 0)
		return rc;
	rc = store_step(s);
	*tick_ms = rc == SQLITE_ROW ? store_column_int64(s, 0) : -1;
	*vantage_id = rc == SQLITE_ROW && *tick_ms >= 0 ? store_column_int64(s, 1) : -1;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

int store_intervals(struct store *st, int64_t runner_id, int64_t from_ms, int64_t to_ms,
                    struct rw_interval **out, size_t *n)
{
	struct store_stmt *s;
	struct rw_interval *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(
	        st,
	        "SELECT start_ms, state FROM intervals WHERE runner_id = ?1 AND start_ms >="
	        " IFNULL((SELECT MAX(start_ms) FROM intervals WHERE runner_id = ?1"
	        " AND start_ms <= ?2), ?2) AND start_ms < ?3 ORDER BY start_ms",
	        &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, runner_id);
	store_bind_int64(s, 2, from_ms);
	store_bind_int64(s, 3, to_ms);
	while ((rc = store_step(s)) == SQLITE_ROW) {
		if (store_grow((void **)&v, &cap, len, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[len].start_ms = store_column_int64(s, 0);
		v[len].state = (enum rw_state)store_column_int(s, 1);
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

int store_sample_count(struct store *st, int64_t runner_id, int64_t *count)
{
	struct store_stmt *s;
	int rc = store_prepare(st, "SELECT COUNT(*) FROM samples WHERE runner_id = ?", &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, runner_id);
	rc = store_step(s);
	*count = rc == SQLITE_ROW ? store_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}

int store_purge_samples(struct store *st, int64_t before_ms, int limit, int *deleted)
{
	struct store_stmt *s;
	int rc = store_prepare_dialect(
	        st,
	        "DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples"
	        " WHERE ts_ms < ? ORDER BY ts_ms LIMIT ?)",
	        "DELETE FROM samples WHERE id IN (SELECT id FROM samples"
	        " WHERE ts_ms < ? ORDER BY ts_ms LIMIT ?)",
	        &s);
	if (rc < 0)
		return rc;
	store_bind_int64(s, 1, before_ms);
	store_bind_int(s, 2, limit);
	rc = store_step(s);
	*deleted = rc == SQLITE_DONE ? store_changes(st) : 0;
	rc = rc == SQLITE_DONE ? 0 : store_rc(rc);
	store_finalize(s);
	return rc;
}
