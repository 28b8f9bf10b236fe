/* SPDX-License-Identifier: MIT */
/*
 * fleet_quorum.c — the combined verdict of several vantage points (issue 16,
 * item 3; the rule is policy/quorum.h's), kept online.
 *
 * Every daemon runs its own state machine of each runner (r->rs: what this
 * vantage sees) and writes its changes as STORE_REC_VSTATE. The daemon that
 * combines (f->combining: the leader; on SQLite the one daemon) also hears
 * the other vantages' changes (the store's notifications, relayed by the
 * daemon) and their heartbeats, and after each change of any vantage's
 * holding it judges the runner's combined state again; when that differs
 * from the combined history's last state (r->hist, what every view shows),
 * it is a combined change, written as STORE_REC_CHANGE like the one daemon's
 * changes always were. The other daemons follow those (the daemon's
 * follow_change()).
 *
 * When a combined change starts. The counts are of the holdings in force
 * after the change that triggered the judgement, so:
 *   - DOWN starts when the Q-th vantage went down, each at its own
 *     (backdated) down: the earliest down start s such that Q of the down
 *     vantages are down since s or earlier;
 *   - UP and UNKNOWN start at the trigger's own start (a vantage's change,
 *     its heartbeat going stale: its last tick);
 *   - never before the combined history's last start (the history only
 *     grows; a change at that very start replaces the last interval, as a
 *     blind period replacing a down at its start always did), nor before a
 *     floor the caller sets (a takeover's: the unknown gap stays unknown).
 * A push runner (heartbeats, no probes) is down only when every vantage
 * holding it holds it down, whatever Q: its heartbeats go to one daemon or
 * another, and silence at one is no evidence against those another hears.
 * With one vantage and Q = 1 the combined change is the vantage's own
 * change, at its own start: every figure is what it was before vantages.
 * The rule is exact when changes reach the combining daemon in the order of
 * their starts; a change of another vantage that arrives (within a second,
 * through NOTIFY) after a later combined change is placed no earlier than
 * that one.
 *
 * A vantage holds nothing while its heartbeat is stale (its daemon stopped
 * or lost the database: FLEET_VANTAGE_STALE_MS), from its last tick; while
 * it is blind, its own changes already say unknown. A vantage that starts
 * again holds nothing it held before (store_vantage_register()).
 *
 * The other vantages' states are a sorted array per vantage (24 bytes a
 * runner), kept by every daemon on PostgreSQL so that a follower taking
 * over has them; nothing is kept on SQLite, where there is one vantage.
 */
#include "monitor/fleet/fleet.h"

#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "policy/base/rw_error.h"
#include "policy/quorum.h"

static unsigned quorum_of(const struct fleet *f)
{
	return f->pol && f->pol->vantage.quorum > 0 ? f->pol->vantage.quorum : 1;
}

/* The other vantage @p id, added (alive: it has just been heard of) when
 * @p add and unknown; NULL when not there or without memory. */
static struct fleet_vantage *vantage_get(struct fleet *f, int64_t id, bool add)
{
	size_t lo = 0, hi = f->n_vantages;
	struct fleet_vantage *nv;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->vantages[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->n_vantages && f->vantages[lo].id == id)
		return &f->vantages[lo];
	if (!add || f->n_vantages >= FLEET_VANTAGES_MAX)
		return NULL;
	nv = realloc(f->vantages, (f->n_vantages + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	f->vantages = nv;
	memmove(&nv[lo + 1], &nv[lo], (f->n_vantages - lo) * sizeof(*nv));
	memset(&nv[lo], 0, sizeof(*nv));
	nv[lo].id = id;
	nv[lo].last_tick_ms = -1;
	nv[lo].gone_tick_ms = INT64_MIN;
	nv[lo].alive = true;
	f->n_vantages++;
	return &nv[lo];
}

/* Vantage @p k's entry of runner @p runner_id, added (unknown since
 * INT64_MIN) when @p add; NULL when not there or without memory. */
static struct fleet_vstate *entry_get(struct fleet_vantage *k, int64_t runner_id, bool add)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->v[mid].runner_id < runner_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < k->n && k->v[lo].runner_id == runner_id)
		return &k->v[lo];
	if (!add)
		return NULL;
	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 64;
		struct fleet_vstate *nv = realloc(k->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		k->v = nv;
		k->cap = ncap;
	}
	memmove(&k->v[lo + 1], &k->v[lo], (k->n - lo) * sizeof(*k->v));
	memset(&k->v[lo], 0, sizeof(*k->v));
	k->v[lo].runner_id = runner_id;
	k->v[lo].since_ms = INT64_MIN;
	k->v[lo].state = RW_STATE_UNKNOWN;
	k->n++;
	return &k->v[lo];
}

/* Writes, remembers, counts and logs one combined change of @p r. */
static void emit_combined(struct fleet *f, struct runner *r, enum rw_state to, int64_t at_ms,
                          uint8_t errclass, int16_t http_status, const char *cause)
{
	struct store_rec rec = {.kind = STORE_REC_CHANGE};
	enum rw_state from = r->n_hist > 0 ? r->hist[r->n_hist - 1].state : RW_STATE_UNKNOWN;
	struct logline l;

	rec.u.change.runner_id = r->id;
	rec.u.change.start_ms = at_ms;
	rec.u.change.state = (uint8_t)to;
	if (to == RW_STATE_DOWN) {
		rec.u.change.errclass = errclass;
		rec.u.change.http_status = http_status;
	}
	writer_push(f->writer, &rec);
	if (fleet_hist_append(r, at_ms, to) < 0)
		log_msg(RW_LOG_ERROR, "out of memory for history", "runner", r->name);
	f->m->state_changes[to]++;
	f->route_gen++;
	fleet_check_eligibility(f, r, at_ms);
	if (log_begin(&l, RW_LOG_INFO, "state change")) {
		log_int(&l, "runner_id", r->id);
		log_str(&l, "runner", r->name);
		log_str(&l, "from", rw_state_name(from));
		log_str(&l, "to", rw_state_name(to));
		log_int(&l, "at_ms", at_ms);
		log_str(&l, "cause", cause);
		log_end(&l);
	}
}

/* One vantage's holding of a runner, for combine(). */
struct holding {
	int64_t since_ms;
	uint8_t state;
	uint8_t errclass;
	int16_t http_status;
};

bool fleet_combine(struct fleet *f, struct runner *r, enum rw_state own, int64_t own_since_ms,
                   int64_t at_ms, int64_t floor_ms, const char *cause)
{
	struct holding h[FLEET_VANTAGES_MAX + 1];
	size_t n = 0;
	unsigned up = 0, down = 0, q = quorum_of(f);
	enum rw_state cur = r->n_hist > 0 ? r->hist[r->n_hist - 1].state : RW_STATE_UNKNOWN;
	enum rw_state to;
	int64_t t = at_ms;
	uint8_t errclass = 0;
	int16_t http = 0;

	if (!f->combining)
		return false;
	h[n++] = (struct holding){own_since_ms, (uint8_t)own, r->last_class, (int16_t)r->last_http};
	for (size_t k = 0; k < f->n_vantages; k++) {
		const struct fleet_vstate *e;
		if (!f->vantages[k].alive || !(e = entry_get(&f->vantages[k], r->id, false)))
			continue;
		h[n++] = (struct holding){e->since_ms, e->state, e->errclass, e->http_status};
	}
	for (size_t i = 0; i < n; i++) {
		up += h[i].state == RW_STATE_UP;
		down += h[i].state == RW_STATE_DOWN;
	}
	/* A push runner's heartbeats reach one daemon or another, not all:
	 * one that hears them holds it up, and one that does not has no
	 * evidence against that. Down only when every vantage holding it
	 * holds it down, whatever the quorum. */
	if (r->push && down > 0)
		q = up + down;
	to = quorum_state(up, down, q);
	if (to == cur)
		return false;
	if (to == RW_STATE_DOWN) {
		/* The earliest down start by which Q vantages were down. */
		t = INT64_MAX;
		for (size_t i = 0; i < n; i++) {
			unsigned by = 0;
			if (h[i].state != RW_STATE_DOWN)
				continue;
			for (size_t j = 0; j < n; j++)
				by += h[j].state == RW_STATE_DOWN && h[j].since_ms <= h[i].since_ms;
			if (by >= q && h[i].since_ms < t) {
				t = h[i].since_ms;
				errclass = h[i].errclass;
				http = h[i].http_status;
			}
		}
	}
	if (t < floor_ms)
		t = floor_ms;
	if (r->n_hist > 0 && t < r->hist[r->n_hist - 1].start_ms)
		t = r->hist[r->n_hist - 1].start_ms;
	emit_combined(f, r, to, t, errclass, http, cause);
	return true;
}

/* Judges every runner that vantage @p k holds up or down again: its holding
 * counts (or stops counting) from @p at_ms, no earlier than @p floor_ms. By
 * the fleet's runners, each looked up in k's states. */
static void recombine_vantage(struct fleet *f, struct fleet_vantage *k, int64_t at_ms,
                              int64_t floor_ms, const char *cause)
{
	for (size_t i = 0; i < f->n; i++) {
		struct runner *r = f->v[i];
		const struct fleet_vstate *e = entry_get(k, r->id, false);
		if (!e || (e->state != RW_STATE_UP && e->state != RW_STATE_DOWN))
			continue;
		if (fleet_combine(f, r, r->rs.state, r->rs.since_ms, at_ms, floor_ms, cause)) {
			fleet_evaluate(f, r, at_ms > floor_ms ? at_ms : floor_ms);
			fleet_touch(f, r);
		}
	}
}

void fleet_combine_all(struct fleet *f, int64_t now_ms, const char *cause)
{
	for (size_t i = 0; i < f->n; i++) {
		struct runner *r = f->v[i];
		if (fleet_combine(f, r, r->rs.state, r->rs.since_ms, now_ms, now_ms, cause)) {
			fleet_evaluate(f, r, now_ms);
			fleet_touch(f, r);
		}
	}
}

void fleet_vantage_change(struct fleet *f, struct runner *r, int64_t vantage_id, int64_t runner_id,
                          int state, int64_t since_ms, int errclass, int http_status)
{
	struct fleet_vantage *k;
	struct fleet_vstate *e;

	if (vantage_id == f->vantage_id || state < RW_STATE_UNKNOWN || state > RW_STATE_DOWN)
		return;
	k = vantage_get(f, vantage_id, true);
	e = k ? entry_get(k, runner_id, true) : NULL;
	if (!e) {
		log_msg(RW_LOG_ERROR, "out of memory for another vantage's state", NULL, NULL);
		return;
	}
	if (since_ms < e->since_ms)
		return; /* older than what is known (a reload read it already) */
	e->since_ms = since_ms;
	e->state = (uint8_t)state;
	e->errclass = state == RW_STATE_DOWN ? (uint8_t)errclass : 0;
	e->http_status = state == RW_STATE_DOWN ? (int16_t)http_status : 0;
	if (!k->alive || !r)
		return;
	if (fleet_combine(f, r, r->rs.state, r->rs.since_ms, since_ms, 0, "vantage")) {
		fleet_evaluate(f, r, since_ms);
		fleet_touch(f, r);
	}
}

/* Entry @p e holds nothing from @p since_ms (or its later start).
 * @return whether it held anything before. */
static bool forget(struct fleet_vstate *e, int64_t since_ms)
{
	if (e->state == RW_STATE_UNKNOWN)
		return false;
	e->state = RW_STATE_UNKNOWN;
	e->errclass = 0;
	e->http_status = 0;
	if (e->since_ms < since_ms)
		e->since_ms = since_ms;
	return true;
}

void fleet_vantage_restart(struct fleet *f, int64_t vantage_id, int64_t since_ms)
{
	struct fleet_vantage *k = vantage_get(f, vantage_id, false);

	if (!k || vantage_id == f->vantage_id)
		return;
	/* As store_vantage_register() did in the store: unknown from its last
	 * tick, or from a later start of what it held; an unknown holds
	 * nothing, so each runner it held is judged again from then. By the
	 * fleet's runners, then those it held that this daemon does not know. */
	for (size_t i = 0; i < f->n; i++) {
		struct runner *r = f->v[i];
		struct fleet_vstate *e = entry_get(k, r->id, false);
		if (e && forget(e, since_ms) && k->alive &&
		    fleet_combine(f, r, r->rs.state, r->rs.since_ms, e->since_ms, 0,
		                  "vantage_restart")) {
			fleet_evaluate(f, r, e->since_ms);
			fleet_touch(f, r);
		}
	}
	for (size_t i = 0; i < k->n; i++)
		forget(&k->v[i], since_ms);
}

void fleet_vantage_heartbeat(struct fleet *f, int64_t vantage_id, int64_t last_tick_ms,
                             int64_t now_ms)
{
	struct fleet_vantage *k;
	bool alive;

	if (vantage_id == f->vantage_id || !(k = vantage_get(f, vantage_id, true)))
		return;
	alive = now_ms - last_tick_ms <= FLEET_VANTAGE_STALE_MS && last_tick_ms > k->gone_tick_ms;
	k->last_tick_ms = last_tick_ms;
	if (alive == k->alive)
		return;
	k->alive = alive;
	{
		struct logline l;
		if (log_begin(&l, alive ? RW_LOG_INFO : RW_LOG_WARN,
		              alive ? "vantage point alive: its states count"
		                    : "vantage point silent: its states count no more")) {
			log_int(&l, "vantage_id", vantage_id);
			log_int(&l, "last_tick_ms", last_tick_ms);
			log_end(&l);
		}
	}
	/* Silent: it holds nothing from its last tick. Alive again: what it
	 * holds counts from now, not over the time it was silent. */
	if (alive)
		recombine_vantage(f, k, now_ms, now_ms, "vantage_alive");
	else
		recombine_vantage(f, k, last_tick_ms, 0, "vantage_silent");
}

void fleet_vantage_gone(struct fleet *f, int64_t vantage_id, int64_t last_tick_ms)
{
	struct fleet_vantage *k;

	if (vantage_id == f->vantage_id || !(k = vantage_get(f, vantage_id, true)))
		return;
	k->gone_tick_ms = last_tick_ms;
	if (k->alive)
		fleet_vantage_heartbeat(f, vantage_id, last_tick_ms, last_tick_ms);
}

unsigned fleet_vantages_alive(const struct fleet *f)
{
	unsigned n = 1; /* this one */
	for (size_t k = 0; k < f->n_vantages; k++)
		n += f->vantages[k].alive;
	return n;
}

void fleet_vantages_deinit(struct fleet *f)
{
	for (size_t k = 0; k < f->n_vantages; k++)
		free(f->vantages[k].v);
	free(f->vantages);
	f->vantages = NULL;
	f->n_vantages = 0;
}
