/* SPDX-License-Identifier: MIT */
/*
 * daemon.c — `runwarden serve`; see daemon.h for the wiring and shutdown.
 *
 * Blindness from the monitor's own side (DESIGN.md): at start-up, the time
 * since the previous run's last tick is unknown for every runner (the daemon
 * was not running); while running, a gap between ticks longer than
 * DAEMON_BLIND_GAP_MS (the loop stalled, the machine slept, the wall clock
 * jumped forward) is unknown too. Both are stored as blind periods with
 * their cause. Canaries, correlated network failures and failing storage
 * are decided in blind.c (the rules are in blind.h); the daemon feeds it
 * results, ticks and the writer's status, and schedules the canaries.
 */
#include "monitor/daemon/daemon.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/api.h"
#include "monitor/core/log.h"
#include "monitor/core/url.h"
#include "monitor/notify/notify.h"
#include "monitor/store/policy_source.h"
#include "policy/base/rw_error.h"

/* ---- probes ---------------------------------------------------------- */

static void graveyard_collect(struct rw_daemon *d)
{
	size_t j = 0;
	for (size_t i = 0; i < d->n_graveyard; i++) {
		if (d->graveyard[i]->inflight)
			d->graveyard[j++] = d->graveyard[i];
		else
			runner_free(d->graveyard[i]);
	}
	d->n_graveyard = j;
}

static void probe_done(struct prober *pr, struct runner *r, const struct probe_result *res)
{
	struct rw_daemon *d = pr->data;

	if (r->removed) {
		graveyard_collect(d);
		return;
	}
	if (res->canceled)
		return;
	if (res->local) { /* the monitor's own failure: blindness, not the runner's */
		struct logline l;
		if (log_begin(&l, RW_LOG_WARN, "probe failed on the monitor's side")) {
			log_str(&l, "runner", r->name);
			log_str(&l, "detail", res->detail);
			log_end(&l);
		}
		if (r->id >= 0)
			fleet_blind_runner(&d->fleet, r, res->t_ms, "monitor");
		return;
	}
	if (r->id < 0) { /* a canary: evidence about the monitor, not a runner */
		blind_canary_result(&d->blind, r, res);
		return;
	}
	fleet_record_result(&d->fleet, r, res, blind_on_result(&d->blind, r, res));
}

static int sched_start(struct scheduler *s, struct runner *r, uint64_t lateness_ms)
{
	struct rw_daemon *d = s->data;
	int rc = prober_start(&d->prober, r);

	if (rc == RW_EBUSY) {
		d->m.probes_deferred++;
		return rc;
	}
	histogram_observe(&d->m.lateness, lateness_ms / 1000.0);
	if (rc < 0)
		log_msg(RW_LOG_ERROR, "probe could not start", "error", rw_strerror(rc));
	return 0;
}

/* Takes a runner that left the schedule; it is freed once no probe is in
 * flight for it (probe_done collects the graveyard). */
static void bury(struct rw_daemon *d, struct runner *r)
{
	struct runner **ng = realloc(d->graveyard, (d->n_graveyard + 1) * sizeof(*ng));

	r->removed = true;
	if (ng) {
		d->graveyard = ng;
		d->graveyard[d->n_graveyard++] = r;
		graveyard_collect(d);
	} else if (!r->inflight) {
		runner_free(r);
	} /* else: leak one runner rather than free it under a probe */
}

/* ---- registry ---------------------------------------------------------- */

static void push_change(struct rw_daemon *d, int64_t runner_id, int64_t at_ms, enum rw_state s)
{
	struct store_rec rec = {.kind = STORE_REC_CHANGE};
	rec.u.change.runner_id = runner_id;
	rec.u.change.start_ms = at_ms;
	rec.u.change.state = (uint8_t)s;
	writer_push(d->writer, &rec);
}

static void push_blind(struct rw_daemon *d, int64_t from, int64_t to, int cause)
{
	blind_record(&d->blind, (enum store_blind_cause)cause, from, to);
}

/* Reloads r's maintenance windows: those that can still matter to the
 * rolling window and its months' caps. A failed read keeps the old ones. */
static void load_maintenance(struct rw_daemon *d, struct runner *r)
{
	struct store_maintenance *ms = NULL;
	struct rw_maintenance *mw;
	size_t n = 0;
	int64_t from =
	        clock_now_ms(&d->clock) - ((int64_t)d->policy.window.rolling_days + 31) * 86400000;

	if (store_maintenance_list(d->st, r->id, from, INT64_MAX, false, &ms, &n) < 0) {
		log_msg(RW_LOG_WARN, "maintenance windows not read; keeping the old ones", "runner",
		        r->name);
		return;
	}
	mw = n ? calloc(n, sizeof(*mw)) : NULL;
	if (n && !mw) {
		store_maintenance_free(ms, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		mw[i].start_ms = ms[i].start_ms;
		mw[i].end_ms = ms[i].end_ms;
		mw[i].declared_ms = ms[i].declared_ms;
	}
	store_maintenance_free(ms, n);
	fleet_set_maintenance(r, mw, n);
	fleet_touch(&d->fleet, r); /* its windows decide when it next wakes */
}

/* Brings the fleet in line with one stored runner. */
static void sync_runner(struct rw_daemon *d, const struct store_runner *sr, int64_t since_ms,
                        bool load_history)
{
	struct runner *r = fleet_find(&d->fleet, sr->id);
	bool is_new;
	int rc;

	if (sr->status == STORE_RUNNER_RETIRED) {
		if (r) {
			sched_remove(&d->sched, r);
			fleet_remove(&d->fleet, r); /* marks it removed: "retired" */
			fleet_check_eligibility(&d->fleet, r, clock_now_ms(&d->clock));
			blind_forget(&d->blind, r);
			log_msg(RW_LOG_INFO, "runner retired", "runner", r->name);
			bury(d, r);
		}
		return;
	}
	rc = fleet_upsert(&d->fleet, sr, &d->policy, since_ms, &r, &is_new);
	if (rc < 0) {
		log_msg(RW_LOG_ERROR, "runner not loaded", "runner", sr->name);
		return;
	}
	if (is_new && load_history) {
		/* Its stored history over the rolling window, then the
		 * restart's unknown appended by fleet_upsert's seed. */
		struct rw_interval *iv = NULL;
		size_t n = 0;
		int64_t from = since_ms - (int64_t)d->policy.window.rolling_days * 86400000;
		if (store_intervals(d->st, r->id, from, since_ms, &iv, &n) == 0 && n > 0) {
			enum rw_state s = r->hist[0].state;
			int64_t at = r->hist[0].start_ms;
			r->n_hist = 0;
			for (size_t i = 0; i < n; i++)
				fleet_hist_append(r, iv[i].start_ms, iv[i].state);
			fleet_hist_append(r, at, s);
		}
		free(iv);
	}
	load_maintenance(d, r);
	if (is_new) {
		struct logline l;
		if (log_begin(&l, RW_LOG_INFO, "runner loaded")) {
			log_int(&l, "runner_id", r->id);
			log_str(&l, "runner", r->name);
			log_str(&l, "url", r->url);
			log_str(&l, "status", store_runner_status_name(r->status));
			log_end(&l);
		}
	}
	/* Push runners are never probed: their heartbeats come to the API;
	 * nor are GitHub pools and members: their samples come from polls. */
	{
		bool probed = r->status == STORE_RUNNER_APPROVED && !r->push && !r->gh_pool &&
		              !r->gh_member;
		if (probed && r->heap_idx == SIZE_MAX) {
			/* Its slot from the loop's time now, not the time
			 * start-up began: loading 100,000 runners takes seconds,
			 * and slots computed from a stale clock all fall due at
			 * once when the loop starts. */
			uv_update_time(d->loop);
			sched_add(&d->sched, r);
		} else if (!probed && r->heap_idx != SIZE_MAX)
			sched_remove(&d->sched, r);
	}
}

/* Runners read from the store at a time (store_runner_page()): a fleet of
 * 100,000 is never held twice in memory, as store rows and as runners. */
#define REGISTRY_PAGE 512

static void sync_registry(struct rw_daemon *d, bool force)
{
	struct store_runner *rs = NULL;
	size_t n = 0;
	int64_t gen = 0, now = clock_now_ms(&d->clock), after_gen = d->fleet.gen, after_id = 0;

	if (store_registry_gen(d->st, &gen) < 0 || (!force && gen <= d->fleet.gen))
		return;
	do {
		if (store_runner_page(d->st, after_gen, after_id, REGISTRY_PAGE, &rs, &n) < 0) {
			/* The pages read so far are applied; the next tick reads
			 * from the generation they reached. */
			log_msg(RW_LOG_WARN, "registry read failed; retrying next tick", "error",
			        store_errmsg(d->st));
			return;
		}
		for (size_t i = 0; i < n; i++) {
			/* A runner added while we run starts unknown at registration. */
			int64_t since = rs[i].last_state_ms > now ? now : rs[i].last_state_ms;
			sync_runner(d, &rs[i], since, false);
			if (rs[i].gen > d->fleet.gen)
				d->fleet.gen = rs[i].gen;
		}
		if (n > 0)
			after_id = rs[n - 1].id;
		store_runners_free(rs, n);
	} while (n == REGISTRY_PAGE);
	/* Pages are separate snapshots: a runner of an early page changed
	 * while a later one was read is seen at its old generation, so the
	 * generation reached is at most the one read before the first page
	 * (the next sync reads again what changed after it). */
	if (d->fleet.gen > gen)
		d->fleet.gen = gen > after_gen ? gen : after_gen;
	d->m.registry_reloads++;
	if (d->serving)
		daemon_github_sync(&d->github);
}

/* The API committed a registry write: pick it up before the answer. */
static void on_registry_changed(void *owner)
{
	sync_registry(owner, false);
}

static void restore_pool(const char *target, bool below, void *data)
{
	fleet_minimum_restore(data, target, below);
}

/* Each runner's eligibility and each target's pool as last announced (by
 * this daemon before a restart, or by the old leader before a takeover),
 * so that only changes from there are announced. */
static int restore_announced(struct rw_daemon *d)
{
	struct store_eligibility *el = NULL;
	size_t ne = 0;
	int rc = store_eligibility_last(d->st, &el, &ne);

	for (size_t i = 0; rc == 0 && i < ne; i++) {
		struct runner *r = fleet_find(&d->fleet, el[i].runner_id);
		if (r)
			r->elig_code = el[i].code;
	}
	free(el);
	for (size_t i = 0; i < d->fleet.n_pools; i++)
		d->fleet.pools[i].min_state = 0;
	if (rc == 0)
		rc = store_pool_last(d->st, restore_pool, &d->fleet);
	return rc;
}

/* A follower starting beside a running leader: the stored combined state
 * is the leader's current one (the unknown load_fleet() appends is the
 * leader's to write, and a follower writes none), so its view shows that
 * state, not an unknown the leader would never take back. */
static void keep_stored_state(struct rw_daemon *d, const struct store_runner *sr)
{
	struct runner *r = fleet_find(&d->fleet, sr->id);

	if (r && r->n_hist >= 2 && r->hist[r->n_hist - 1].state == RW_STATE_UNKNOWN &&
	    r->hist[r->n_hist - 2].state == (enum rw_state)sr->last_state)
		r->n_hist--;
}

/* Start-up: load every runner; the time since the last run is unknown.
 * @p prev_tick is the last tick of this vantage's previous run (its own
 * downtime, a blind period of its own); @p last_any the last tick of any
 * vantage's run, from which the runners' stored (combined) states are no
 * longer known: with one daemon the two are the same, and a second vantage
 * starting beside a running one does not turn what the first one found
 * unknown back to when it found it. */
static int load_fleet(struct rw_daemon *d, int64_t prev_tick, int64_t last_any, int64_t now)
{
	struct store_runner *rs = NULL;
	size_t n = 0;
	int64_t after_id = 0, gen = 0;
	int rc = store_registry_gen(d->st, &gen);

	if (rc == 0)
		rc = store_runner_page(d->st, 0, 0, REGISTRY_PAGE, &rs, &n);
	if (rc < 0)
		return rc;
	if (prev_tick >= 0 && prev_tick < now)
		push_blind(d, prev_tick, now, STORE_BLIND_DOWNTIME);
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			struct store_runner *sr = &rs[i];
			int64_t since = sr->last_state_ms;
			if (last_any > since)
				since = last_any;
			if (since > now)
				since = now;
			if (sr->status != STORE_RUNNER_RETIRED &&
			    sr->last_state != RW_STATE_UNKNOWN)
				push_change(d, sr->id, since, RW_STATE_UNKNOWN);
			sync_runner(d, sr, since, true);
			if (!d->fleet.combining)
				keep_stored_state(d, sr);
			if (sr->gen > d->fleet.gen)
				d->fleet.gen = sr->gen;
		}
		if (n > 0)
			after_id = rs[n - 1].id;
		store_runners_free(rs, n);
		rs = NULL;
		if (n < REGISTRY_PAGE)
			break;
		rc = store_runner_page(d->st, 0, after_id, REGISTRY_PAGE, &rs, &n);
		if (rc < 0)
			return rc;
	}
	/* As in sync_registry(): pages are separate snapshots. */
	if (d->fleet.gen > gen)
		d->fleet.gen = gen;
	/* What was announced before the restart, so that only changes are. */
	rc = restore_announced(d);
	return rc;
}

static void push_tick(struct rw_daemon *d, int64_t now)
{
	struct store_rec rec = {.kind = STORE_REC_TICK};
	rec.u.tick.run_id = d->run_id;
	rec.u.tick.ts_ms = now;
	writer_push(d->writer, &rec);
}

/* ---- leadership and the other vantage points ------------------------------ */

/* The other vantages' heartbeats, for the combined verdict: one small query
 * (a row per vantage), on PostgreSQL only (on SQLite there is one daemon).
 * A vantage whose heartbeat went stale holds nothing from its last tick. */
static void poll_vantages(struct rw_daemon *d, int64_t now)
{
	struct store_vantage *v = NULL;
	size_t n = 0;

	if (!store_path_is_postgres(d->cfg.db_path) || store_vantage_list(d->st, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		fleet_vantage_heartbeat(&d->fleet, v[i].id, v[i].last_tick_ms, now);
	free(v);
	if (d->fleet.combining && fleet_vantages_alive(&d->fleet) < d->policy.vantage.quorum &&
	    now - d->quorum_warned_ms >= 3600000) {
		struct logline l;
		d->quorum_warned_ms = now;
		if (log_begin(&l, RW_LOG_WARN,
		              "fewer vantage points alive than the quorum: no runner can be down, "
		              "only up or unknown")) {
			log_int(&l, "alive", fleet_vantages_alive(&d->fleet));
			log_int(&l, "quorum", d->policy.vantage.quorum);
			log_end(&l);
		}
	}
}

/* The other vantages' heartbeats and stored states, at start-up
 * (PostgreSQL only): what the store's notifications then keep current.
 * Nothing is judged here (the heartbeats come first, when no state is
 * held yet, and the states are kept without a runner to judge): the
 * caller combines every runner from now on, so the time before stays as
 * stored (fleet_combine_all()). */
static int load_vantages(struct rw_daemon *d, int64_t now)
{
	struct store_vstate_row *v = NULL;
	size_t n = 0;
	int rc;

	if (!store_path_is_postgres(d->cfg.db_path))
		return 0;
	rc = store_vantage_states_all(d->st, d->vantage_id, &v, &n);
	if (rc < 0)
		return rc;
	poll_vantages(d, now);
	for (size_t i = 0; i < n; i++)
		fleet_vantage_change(&d->fleet, NULL, v[i].vantage_id, v[i].runner_id, v[i].state,
		                     v[i].since_ms, 0, 0);
	free(v);
	return 0;
}

/* Brings one runner in line with what the leader stored, as start-up does
 * (load_fleet()): its stored history, then unknown from @p since_ms, and
 * its flag is the stored one. Its state machine is this vantage's own and
 * goes on: it never took the leader's states (follow_change()). */
static void reload_runner(struct rw_daemon *d, struct runner *r, const struct store_runner *sr,
                          int64_t since_ms)
{
	struct rw_interval *iv = NULL;
	size_t n = 0;
	int64_t from = since_ms - (int64_t)d->policy.window.rolling_days * 86400000;

	if (store_intervals(d->st, r->id, from, since_ms, &iv, &n) == 0) {
		r->n_hist = 0;
		for (size_t i = 0; i < n; i++)
			fleet_hist_append(r, iv[i].start_ms, iv[i].state);
	} /* else: its own history stays; the unknown below is appended to it */
	free(iv);
	fleet_hist_append(r, since_ms, RW_STATE_UNKNOWN);
	r->flagged = sr->flagged;
	r->flag_since_ms = sr->flag_since_ms;
	r->elig_code = -1; /* the stored announcement, if any, follows */
	fleet_touch(&d->fleet, r);
}

/*
 * This daemon has become the leader (another died, or its lock's session
 * failed): it starts from the database's truth, not from its own view as a
 * follower. As at start-up after a restart, the time since the old leader's
 * last tick is unknown (a "downtime" blind period, and an unknown interval
 * for every runner whose stored state is not unknown), never down; the
 * runners' histories, flags, last announced eligibility and pools are read
 * back; then the tick goes on, announcing only what changes from there.
 * Reads on the loop's connection, as start-up does: one page of runners at a
 * time and one history read per runner.
 */
static void take_over(struct rw_daemon *d)
{
	struct store_runner *rs = NULL;
	size_t n = 0;
	int64_t prev_tick = -1, old_leader = -1, after_id = 0, now = clock_now_ms(&d->clock);
	int rc = store_last_run(d->st, &prev_tick, &old_leader);

	writer_set_combined(d->writer, true);
	poll_vantages(d, now);
	/* The old leader's session ended: its vantage is gone from its last
	 * tick, though its heartbeat is not yet stale, until it ticks again. */
	if (rc == 0 && old_leader >= 0)
		fleet_vantage_gone(&d->fleet, old_leader, prev_tick);
	fleet_batch_begin(&d->fleet);
	if (rc == 0 && prev_tick >= 0 && prev_tick < now)
		push_blind(d, prev_tick, now, STORE_BLIND_DOWNTIME);
	while (rc == 0) {
		rc = store_runner_page(d->st, 0, after_id, REGISTRY_PAGE, &rs, &n);
		if (rc < 0)
			break;
		for (size_t i = 0; i < n; i++) {
			struct store_runner *sr = &rs[i];
			struct runner *r = fleet_find(&d->fleet, sr->id);
			int64_t since = sr->last_state_ms;
			if (!r || sr->status == STORE_RUNNER_RETIRED)
				continue;
			if (prev_tick > since)
				since = prev_tick;
			if (since > now)
				since = now;
			if (sr->last_state != RW_STATE_UNKNOWN)
				push_change(d, sr->id, since, RW_STATE_UNKNOWN);
			reload_runner(d, r, sr, since);
		}
		if (n > 0)
			after_id = rs[n - 1].id;
		store_runners_free(rs, n);
		rs = NULL;
		if (n < REGISTRY_PAGE)
			break;
	}
	if (rc == 0)
		rc = restore_announced(d);
	if (rc < 0)
		log_msg(RW_LOG_ERROR,
		        "taking over: the stored state could not be read in full; going on from "
		        "what was",
		        "error", store_errmsg(d->st));
	d->fleet.minimums_dirty = true;
	d->fleet.route_gen++;
	/* From now on the vantages' holdings make the verdict: the gap
	 * before stays unknown. */
	d->fleet.combining = true;
	fleet_combine_all(&d->fleet, now, "takeover");
	fleet_touch_all(&d->fleet);
	fleet_evaluate_all(&d->fleet, now);
	fleet_batch_end(&d->fleet, now);
	d->last_tick_ms = now;
	push_tick(d, now);
	notify_set_active(d->notify, true);
	{
		struct logline l;
		if (log_begin(&l, RW_LOG_INFO, "took over as leader")) {
			log_int(&l, "old_leader_last_tick_ms", prev_tick);
			log_int(&l, "unknown_ms", prev_tick >= 0 ? now - prev_tick : 0);
			log_end(&l);
		}
	}
}

/* Brings a follower's view of one runner to the leader's combined change:
 * its history takes the leader's state, from the change's start or its own
 * last change's, whichever is later (memory's history stays sorted), and
 * route answers follow at once. Its own state machine (this vantage's view,
 * which it writes as its own states) is not touched. */
static void follow_change(struct rw_daemon *d, int64_t runner_id, int state, int64_t start_ms)
{
	struct runner *r = fleet_find(&d->fleet, runner_id);

	if (!r) { /* registered a moment ago: the registry first */
		sync_registry(d, false);
		r = fleet_find(&d->fleet, runner_id);
	}
	if (!r || state < 0 || state > RW_STATE_DOWN || runner_state(r) == (enum rw_state)state)
		return;
	if (r->n_hist > 0 && r->hist[r->n_hist - 1].start_ms > start_ms)
		start_ms = r->hist[r->n_hist - 1].start_ms;
	fleet_hist_append(r, start_ms, (enum rw_state)state);
	fleet_touch(&d->fleet, r);
	d->fleet.route_gen++;
	d->m.followed_changes++;
}

/* The store's notifications (STORE_PG_STATE_CHANNEL, store.h), heard by
 * every daemon within a second of their commit: a follower's view follows
 * the leader's combined changes; every daemon keeps the other vantages' own
 * states, which the leader combines (fleet_quorum.c). */
static void leader_state(struct leader *l, const char *p, size_t len, void *data)
{
	struct rw_daemon *d = data;
	const char *end = p + len;
	bool held = leader_held(l);

	if (d->stopping)
		return;
	fleet_batch_begin(&d->fleet);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char line[128];
		long long vid, id, start;
		int state, cls, http;
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (sscanf(line, "v %lld %lld %d %lld %d %d", &vid, &id, &state, &start,
			           &cls, &http) == 6)
				fleet_vantage_change(&d->fleet, fleet_find(&d->fleet, id), vid, id,
				                     state, start, cls, http);
			else if (sscanf(line, "r %lld %lld", &vid, &start) == 2)
				fleet_vantage_restart(&d->fleet, vid, start);
			else if (!held && sscanf(line, "%lld %d %lld", &id, &state, &start) == 3)
				follow_change(d, id, state, start); /* not the leader's own */
		}
		p += n + 1;
	}
	fleet_batch_end(&d->fleet, clock_now_ms(&d->clock));
}

static void leader_changed(struct leader *l, bool held, void *data)
{
	struct rw_daemon *d = data;

	(void)l;
	if (d->stopping)
		return;
	if (held) {
		take_over(d);
		return;
	}
	/* The lock may be another's already: write and deliver nothing more. */
	d->fleet.combining = false;
	writer_set_combined(d->writer, false);
	notify_set_active(d->notify, false);
}

/* ---- tick ---------------------------------------------------------------- */

static void tick_cb(uv_timer_t *t)
{
	struct rw_daemon *d = t->data;
	uint64_t loop_now = uv_now(d->loop);
	int64_t now = clock_now_ms(&d->clock);
	double lag_s = (double)(loop_now - d->last_tick_loop - DAEMON_TICK_MS) / 1000.0;

	if (lag_s < 0)
		lag_s = 0;
	histogram_observe(&d->m.loop_lag, lag_s);
	if (lag_s > d->m.loop_lag_max_s)
		d->m.loop_lag_max_s = lag_s;
	/* One instant: each pool is judged once, after its runners. */
	fleet_batch_begin(&d->fleet);
	if (now - d->last_tick_ms > DAEMON_BLIND_GAP_MS) {
		push_blind(d, d->last_tick_ms, now, STORE_BLIND_TICK_GAP);
		fleet_blind(&d->fleet, d->last_tick_ms);
		d->fleet.seeing_since_ms = now; /* heartbeats could not arrive */
	}
	if (d->fleet.combining)
		poll_vantages(d, now);
	fleet_advance(&d->fleet, now);
	blind_tick(&d->blind, now);
	fleet_check_all(&d->fleet, now);
	fleet_batch_end(&d->fleet, now);
	push_tick(d, now);
	d->last_tick_ms = now;
	d->last_tick_loop = loop_now;
	d->m.clock_back_jumps = d->clock.back_jumps;
	sync_registry(d, false);
	if (loop_now - d->last_minute >= 60000) {
		d->last_minute = loop_now;
		api_minute(d->api);
	}
}

/*
 * Work spread over time, a slice every DAEMON_SLICE_MS: each runner's flag
 * once a minute (a 600th of the fleet a slice: the whole fleet at once is
 * ~0.2 s at 100,000 runners), and the status page's build, if one runs.
 */
static void slice_cb(uv_timer_t *t)
{
	struct rw_daemon *d = t->data;
	int64_t now = clock_now_ms(&d->clock);
	size_t per_minute = 60000 / DAEMON_SLICE_MS;

	fleet_evaluate_some(&d->fleet, now, now - (int64_t)d->policy.window.rolling_days * 86400000,
	                    (d->fleet.n + per_minute - 1) / per_minute);
	api_tick(d->api);
}

/* ---- policy -------------------------------------------------------------- */

/* The canaries follow the policy: built at start-up, rebuilt on SIGHUP. */
static void canaries_reload(struct rw_daemon *d)
{
	struct runner **old = NULL;
	size_t n_old = 0;
	int rc = blind_canaries_load(&d->blind, &d->policy, clock_now_ms(&d->clock), &old, &n_old);

	if (rc < 0) {
		log_msg(RW_LOG_ERROR, "canaries not loaded; keeping the old ones", "error",
		        rw_strerror(rc));
		return;
	}
	for (size_t i = 0; i < n_old; i++) {
		sched_remove(&d->sched, old[i]);
		bury(d, old[i]);
	}
	free(old);
	for (size_t i = 0; i < d->blind.n_canaries; i++)
		sched_add(&d->sched, d->blind.canaries[i]);
}

/* A reloaded policy is recorded on the writer's thread (the loop never
 * writes once it serves); flags record its id from when it is stored. */
struct policy_write {
	struct writer_job job;
	struct rw_daemon *d;
	char sha256[65];
	int version;
	char *body;
	int64_t now_ms, id;
};

static int policy_write_work(struct store *st, struct writer_job *job)
{
	struct policy_write *pw = (struct policy_write *)job;
	return store_record_policy(st, pw->sha256, pw->version, pw->body ? pw->body : "",
	                           pw->now_ms, &pw->id);
}

static void policy_write_done(struct writer_job *job, int rc)
{
	struct policy_write *pw = (struct policy_write *)job;

	if (rc == 0)
		pw->d->fleet.policy_id = pw->id;
	else
		log_msg(RW_LOG_WARN, "could not record the policy version", "error",
		        rw_strerror(rc));
	free(pw->body);
	free(pw);
}

static void record_policy(struct rw_daemon *d, const struct policy_source *ps)
{
	struct policy_write *pw;

	if (!d->writer) { /* start-up: before the loop runs, on our connection */
		if (d->st && store_record_policy(d->st, ps->sha256, d->policy.version, ps->body,
		                                 clock_now_ms(&d->clock), &d->fleet.policy_id) < 0)
			log_msg(RW_LOG_WARN, "could not record the policy version", "error",
			        store_errmsg(d->st));
		return;
	}
	pw = calloc(1, sizeof(*pw));
	if (!pw || (ps->body && !(pw->body = strdup(ps->body)))) {
		free(pw);
		log_msg(RW_LOG_WARN, "could not record the policy version", "error",
		        "out of memory");
		return;
	}
	pw->d = d;
	memcpy(pw->sha256, ps->sha256, sizeof(pw->sha256));
	pw->version = d->policy.version;
	pw->now_ms = clock_now_ms(&d->clock);
	pw->job.fn = policy_write_work;
	pw->job.done = policy_write_done;
	writer_call(d->writer, &pw->job, 60000);
}

/* The policy's URLs (canaries) are checked by the URL parser probes use. */
static const struct policy_parse_opts url_opts = {.check_url = url_check};

static int load_policy(struct rw_daemon *d, bool reload)
{
	struct policy_source ps;
	char err[512];
	int rc;

	policy_source_init(&ps);
	rc = policy_source_file(&ps, d->cfg.policy_path, &url_opts, err, sizeof(err));
	if (rc < 0) {
		if (reload) {
			d->m.policy_reload_failures++;
			log_msg(RW_LOG_ERROR, "policy reload failed; keeping the old policy",
			        "error", err);
		} else {
			fprintf(stderr, "runwarden: %s\n", err);
		}
		return rc;
	}
	/* The policy moves to the daemon; ps keeps the defaults, which own nothing. */
	uint32_t quorum_before = d->policy.vantage.quorum;
	policy_deinit(&d->policy);
	d->policy = ps.pol;
	policy_defaults(&ps.pol);
	memcpy(d->policy_sha256, ps.sha256, sizeof(ps.sha256));
	record_policy(d, &ps);
	if (reload) {
		d->m.policy_reloads++;
		fleet_apply_policy(&d->fleet, &d->policy);
		if (d->policy.vantage.quorum != quorum_before) { /* the verdict's rule changed */
			fleet_batch_begin(&d->fleet);
			fleet_combine_all(&d->fleet, clock_now_ms(&d->clock), "policy");
			fleet_batch_end(&d->fleet, clock_now_ms(&d->clock));
		}
		canaries_reload(d);
		fleet_evaluate_all(&d->fleet, clock_now_ms(&d->clock));
		log_msg(RW_LOG_INFO, "policy reloaded", "sha256", d->policy_sha256);
	}
	policy_source_deinit(&ps);
	return 0;
}

/* ---- shutdown ------------------------------------------------------------ */

static void closed_one(struct rw_daemon *d)
{
	if (--d->pending_closes == 0 && d->serving)
		log_msg(RW_LOG_INFO, "stopped", NULL, NULL);
}

static void handle_closed_cb(uv_handle_t *h)
{
	closed_one(h->data);
}

static void sched_closed_cb(uv_handle_t *h)
{
	struct scheduler *s = h->data;
	closed_one(s->data);
}

static void leader_closed(struct leader *l, void *data)
{
	(void)l;
	closed_one(data);
}

/* The leader's lock is let go last, once the writer has written what this
 * daemon had (its last tick), so that a follower taking over reads it. */
static void stop_leader(struct rw_daemon *d)
{
	if (!d->leader)
		return;
	d->pending_closes++;
	leader_close(d->leader, leader_closed, d);
}

static void writer_closed(struct writer *w, void *data)
{
	(void)w;
	stop_leader(data);
	closed_one(data);
}

/* Flushes and stops the writer (counted); its callback is the last close. */
static void stop_writer(struct rw_daemon *d)
{
	int rc;

	if (!d->writer) {
		stop_leader(d);
		return;
	}
	d->pending_closes++;
	rc = writer_close(d->writer, writer_closed, d);
	if (rc < 0) {
		/* A stop asked for (SIGTERM) is carried out and exits 0 even
		 * when the database cannot take the last records (a full disk):
		 * they are named here, and their time is the monitor's downtime
		 * at the next start (from the last tick stored), so nothing is
		 * charged to a runner. Exit 1 is for a daemon that could not
		 * start or serve, not for one that stopped as asked. */
		size_t k[STORE_REC_KINDS];
		size_t total = writer_unwritten(d->writer, k);
		struct logline l;
		if (log_begin(&l, RW_LOG_ERROR,
		              "stopping: the last records could not be written; the time since "
		              "the last stored tick is unknown (downtime) at the next start")) {
			log_str(&l, "error", rw_strerror(rc));
			log_int(&l, "records", (int64_t)total);
			log_int(&l, "samples", (int64_t)k[STORE_REC_SAMPLE]);
			log_int(&l, "state_changes", (int64_t)k[STORE_REC_CHANGE]);
			log_int(&l, "ticks", (int64_t)k[STORE_REC_TICK]);
			log_int(&l, "blind_periods", (int64_t)k[STORE_REC_BLIND]);
			log_int(&l, "flags", (int64_t)k[STORE_REC_FLAG]);
			log_int(&l, "events", (int64_t)k[STORE_REC_EVENT]);
			log_int(&l, "vantage_states", (int64_t)k[STORE_REC_VSTATE]);
			log_end(&l);
		}
	}
}

static void prober_closed(struct prober *pr)
{
	struct rw_daemon *d = pr->data;

	graveyard_collect(d);
	/* Every probe is done: end the blind periods, write the last tick,
	 * flush, stop the writer. */
	blind_stop(&d->blind, clock_now_ms(&d->clock));
	push_tick(d, clock_now_ms(&d->clock));
	stop_writer(d);
	closed_one(d);
}

static void api_closed(struct api *api, void *data)
{
	(void)api;
	closed_one(data);
}

static void notify_closed(struct notify *n, void *data)
{
	(void)n;
	closed_one(data);
}

/* Closes @p h if it was initialised and is not closing yet, counting it. */
static void close_handle(struct rw_daemon *d, uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h)) {
		d->pending_closes++;
		uv_close(h, handle_closed_cb);
	}
}

/*
 * Stops whatever start() got to (all of it after a signal; part of it when
 * start-up failed): every close is counted where it is made, and "stopped"
 * is logged when the last one completes. The loop then has nothing left and
 * uv_run() returns.
 */
static void github_closed(struct daemon_github *g)
{
	closed_one(g->d);
}

static void stop(struct rw_daemon *d, const char *key, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = true;
	if (d->serving) /* else start-up failed, and said why in one line */
		log_msg(RW_LOG_INFO, "stopping", key, why);
	d->pending_closes++; /* held until every close below is started */
	close_handle(d, (uv_handle_t *)&d->tick);
	close_handle(d, (uv_handle_t *)&d->slice);
	close_handle(d, (uv_handle_t *)&d->looplag.prepare);
	close_handle(d, (uv_handle_t *)&d->sig_term);
	close_handle(d, (uv_handle_t *)&d->sig_int);
	close_handle(d, (uv_handle_t *)&d->sig_hup);
	close_handle(d, (uv_handle_t *)&d->sig_stall);
	if (d->sched_live) {
		d->pending_closes++;
		sched_close(&d->sched, sched_closed_cb);
	}
	if (d->api) {
		d->pending_closes++;
		api_close(d->api, api_closed, d);
	}
	if (d->notify) {
		d->pending_closes++;
		notify_close(d->notify, notify_closed, d);
	}
	if (d->github.d) {
		d->pending_closes++;
		daemon_github_close(&d->github, clock_now_ms(&d->clock), github_closed);
	}
	if (d->prober_live) {
		/* prober_closed() then writes the last tick and stops the writer. */
		d->pending_closes++;
		prober_close(&d->prober, prober_closed);
	} else {
		stop_writer(d);
	}
	closed_one(d);
}

static void signal_cb(uv_signal_t *h, int signum)
{
	struct rw_daemon *d = h->data;

	if (signum == SIGUSR2) {
		/* A stall of the loop on purpose (daemon.h: fault_stall_ms). */
		uint64_t end = uv_hrtime() + (uint64_t)d->fault_stall_ms * 1000000;
		log_msg(RW_LOG_WARN, "stalling the loop on purpose (RUNWARDEN_FAULT_STALL_MS)",
		        NULL, NULL);
		while (uv_hrtime() < end)
			;
		return;
	}
	if (signum == SIGHUP) {
		char err[1024];
		load_policy(d, true);
		/* Certificates renew: a new one for new connections, or the old
		 * one kept (api.c logs and counts a failure). */
		if (d->api && api_tls_reload(d->api, err, sizeof(err)) == 0 && api_tls(d->api))
			log_msg(RW_LOG_INFO, "tls certificate reloaded", NULL, NULL);
		return;
	}
	stop(d, "signal", signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void writer_status(struct writer *w, int rc, const char *msg, void *data)
{
	struct rw_daemon *d = data;
	(void)w;
	blind_storage(&d->blind, rc, clock_now_ms(&d->clock));
	if (rc < 0) {
		d->m.storage_failures++;
		log_msg(RW_LOG_ERROR, "storage writes failing; retrying", "error", msg);
	} else {
		log_msg(RW_LOG_INFO, "storage writes recovered", NULL, NULL);
	}
}

/* ---- metrics ------------------------------------------------------------- */

static void render_metrics(void *owner, struct strbuf *b)
{
	struct rw_daemon *d = owner;
	struct writer_stats ws;
	uint64_t states[RW_STATE_COUNT];

	strbuf_puts(b, "# HELP runwarden_probes_total Probes finished, by result (ok or error "
	               "class).\n# TYPE runwarden_probes_total counter\n");
	for (int c = 0; c < RW_ERRCLASS_COUNT; c++)
		strbuf_printf(b, "runwarden_probes_total{result=\"%s\"} %llu\n",
		              rw_errclass_name(c), (unsigned long long)d->m.probes[c]);
	metrics_histogram(b, "runwarden_probe_latency_seconds",
	                  "Time to a probe's answer (answered probes).", &d->m.probe_latency);
	metrics_histogram(b, "runwarden_probe_lateness_seconds",
	                  "How late probes started after their slot.", &d->m.lateness);
	metrics_scalar(b, "runwarden_probes_skipped_total", "counter",
	               "Slots skipped because the previous probe was still in flight.",
	               (double)d->sched.skipped);
	metrics_scalar(b, "runwarden_probes_deferred_total", "counter",
	               "Probe starts deferred at the concurrency cap.",
	               (double)d->m.probes_deferred);
	metrics_scalar(b, "runwarden_probes_in_flight", "gauge", "Probes running now.",
	               (double)d->prober.in_flight);
	metrics_scalar(b, "runwarden_probe_handles", "gauge",
	               "libcurl handles the prober holds (in flight and pooled).",
	               (double)d->prober.n_alloc);
	fleet_count_states(&d->fleet, states);
	strbuf_puts(b, "# HELP runwarden_runners Approved runners by current state.\n"
	               "# TYPE runwarden_runners gauge\n");
	for (int s = 0; s <= RW_STATE_DOWN; s++)
		strbuf_printf(b, "runwarden_runners{state=\"%s\"} %llu\n", rw_state_name(s),
		              (unsigned long long)states[s]);
	strbuf_puts(b, "# HELP runwarden_state_changes_total State changes, by new state.\n"
	               "# TYPE runwarden_state_changes_total counter\n");
	for (int s = 0; s <= RW_STATE_DOWN; s++)
		strbuf_printf(b, "runwarden_state_changes_total{state=\"%s\"} %llu\n",
		              rw_state_name(s), (unsigned long long)d->m.state_changes[s]);
	metrics_scalar(b, "runwarden_flags_total", "counter",
	               "Runners flagged (rolling uptime below the floor).", (double)d->m.flags);
	metrics_scalar(b, "runwarden_unflags_total", "counter",
	               "Runners unflagged (uptime back at floor + restore_margin, and up).",
	               (double)d->m.unflags);
	metrics_scalar(b, "runwarden_runners_flagged", "gauge", "Runners flagged now.",
	               (double)fleet_count_flagged(&d->fleet));
	/* The fleet's per-target and per-runner families follow, streamed by
	 * the API (fleet_metrics_walk_step()). */
	metrics_scalar(b, "runwarden_blips_total", "counter",
	               "Failure runs shorter than failures_to_down.", (double)d->m.blips);
	blind_render_metrics(&d->blind, b);
	metrics_scalar(b, "runwarden_blind_seconds_total", "counter",
	               "Seconds the monitor could not see.", (double)d->m.blind_ms / 1000.0);
	writer_get_stats(d->writer, &ws);
	metrics_scalar(b, "runwarden_leader", "gauge",
	               "1 when this daemon is the leader: it writes the combined records "
	               "(state changes, incidents, flags, events) and delivers notifications; "
	               "always 1 on SQLite.",
	               leader_held(d->leader) ? 1.0 : 0.0);
	{
		uint64_t gained, lost;
		leader_counts(d->leader, &gained, &lost);
		metrics_scalar(b, "runwarden_leader_changes_total", "counter",
		               "Times this daemon became the leader (the first time counts) or "
		               "stopped being it.",
		               (double)(gained + lost));
	}
	metrics_scalar(b, "runwarden_leader_state_changes_followed_total", "counter",
	               "A follower's runners brought to the leader's state, as the leader's "
	               "notifications came (PostgreSQL).",
	               (double)d->m.followed_changes);
	metrics_scalar(b, "runwarden_writer_withheld_total", "counter",
	               "Combined records a follower did not write (the leader writes them).",
	               (double)ws.withheld);
	metrics_scalar(b, "runwarden_writer_queue_depth", "gauge",
	               "Records waiting for the SQLite writer.", (double)ws.queued);
	metrics_scalar(b, "runwarden_writer_rows_total", "counter", "Records committed.",
	               (double)ws.rows_written);
	metrics_scalar(b, "runwarden_writer_batches_total", "counter", "Transactions committed.",
	               (double)ws.batches);
	metrics_scalar(b, "runwarden_writer_failures_total", "counter",
	               "Transactions that failed (retried).", (double)ws.failures);
	metrics_scalar(b, "runwarden_writer_dropped_total", "counter",
	               "Samples dropped because the queue was full.", (double)ws.dropped);
	metrics_scalar(b, "runwarden_writer_last_batch_seconds", "gauge",
	               "Duration of the last commit.", (double)ws.last_batch_us / 1e6);
	metrics_scalar(b, "runwarden_writer_max_batch_seconds", "gauge",
	               "Duration of the longest commit since start.",
	               (double)ws.max_batch_us / 1e6);
	metrics_histogram(b, "runwarden_loop_lag_seconds",
	                  "How late the one-second tick ran (event loop lag).", &d->m.loop_lag);
	metrics_scalar(b, "runwarden_loop_lag_max_seconds", "gauge",
	               "The longest the event loop ran callbacks without polling, in any "
	               "iteration since start.",
	               d->m.loop_lag_max_s);
	metrics_histogram(b, "runwarden_loop_iteration_cpu_seconds",
	                  "CPU time the event loop's thread spent in each iteration (its own "
	                  "work, without the time other processes held the CPU).",
	                  &d->m.loop_cpu);
	metrics_scalar(b, "runwarden_loop_iteration_cpu_max_seconds", "gauge",
	               "The most CPU time the event loop's thread spent in one iteration since "
	               "start.",
	               d->m.loop_cpu_max_s);
	metrics_scalar(b, "runwarden_clock_back_jumps_total", "counter",
	               "Times the wall clock went backwards.", (double)d->m.clock_back_jumps);
	strbuf_printf(b,
	              "# HELP runwarden_policy_info The policy in force.\n"
	              "# TYPE runwarden_policy_info gauge\n"
	              "runwarden_policy_info{sha256=\"%s\",version=\"%d\"} 1\n",
	              d->policy_sha256, d->policy.version);
	metrics_scalar(b, "runwarden_policy_reloads_total", "counter", "Successful policy reloads.",
	               (double)d->m.policy_reloads);
	metrics_scalar(b, "runwarden_policy_reload_failures_total", "counter",
	               "Policy reloads refused (the old policy stayed).",
	               (double)d->m.policy_reload_failures);
	metrics_scalar(b, "runwarden_registry_reloads_total", "counter",
	               "Times registry changes were read from the database into memory.",
	               (double)d->m.registry_reloads);
	metrics_scalar(b, "runwarden_storage_failures_total", "counter",
	               "Times storage writes started failing.", (double)d->m.storage_failures);
	metrics_scalar(b, "runwarden_http_requests_total", "counter", "API requests.",
	               (double)d->m.http_requests);
	metrics_scalar(b, "runwarden_http_errors_total", "counter", "API answers >= 400.",
	               (double)d->m.http_errors);
	metrics_scalar(b, "runwarden_http_server_errors_total", "counter",
	               "API answers >= 500 (also counted in runwarden_http_errors_total).",
	               (double)d->m.http_server_errors);
	metrics_scalar(b, "runwarden_http_connections_refused_total", "counter",
	               "API connections closed at once: over max_connections.",
	               (double)d->m.http_conns_refused);
	metrics_scalar(b, "runwarden_http_auth_failures_total", "counter",
	               "API requests refused with 401.", (double)d->m.http_auth_failures);
	metrics_scalar(b, "runwarden_http_rate_limited_total", "counter",
	               "API writes refused with 429.", (double)d->m.http_rate_limited);
	metrics_scalar(b, "runwarden_heartbeats_total", "counter", "Push heartbeats accepted.",
	               (double)d->m.heartbeats);
	metrics_scalar(b, "runwarden_start_time_seconds", "gauge", "When the daemon started.",
	               (double)d->started_ms / 1000.0);
	strbuf_puts(b, "# HELP runwarden_build_info The running version.\n"
	               "# TYPE runwarden_build_info gauge\n"
	               "runwarden_build_info{version=\"" RW_VERSION "\"} 1\n");
	notify_render_metrics(d->notify, b);
	daemon_github_render_metrics(&d->github, b);
	api_render_tls_metrics(d->api, b);
}

/* ---- run ------------------------------------------------------------------ */

static int start(struct rw_daemon *d)
{
	char err[512];
	int64_t prev_tick = -1, last_any = -1, now;
	int rc;

	guard_init(&d->guard);
	for (size_t i = 0; i < d->cfg.n_allow_cidrs; i++) {
		if (guard_allow(&d->guard, d->cfg.allow_cidrs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "runwarden: --allow-cidr: %s\n", err);
			d->bad_input = true;
			return RW_EINVAL;
		}
	}
	{
		char tok[512];
		const char *admin = getenv("RUNWARDEN_ADMIN_TOKEN");
		if (d->cfg.admin_token_file[0]) {
			rc = auth_read_token_file(d->cfg.admin_token_file, tok, sizeof(tok), err,
			                          sizeof(err));
			if (rc < 0) {
				fprintf(stderr, "runwarden: %s\n", err);
				return rc;
			}
			admin = tok;
		}
		rc = auth_init(&d->auth, admin && *admin ? admin : NULL, d->cfg.write_burst,
		               d->cfg.write_per_minute, err, sizeof(err));
		OPENSSL_cleanse(tok, sizeof(tok));
		if (rc < 0) {
			fprintf(stderr, "runwarden: %s\n", err);
			return rc;
		}
		if (!d->auth.has_admin)
			log_msg(RW_LOG_WARN,
			        "no admin token (admin_token_file or RUNWARDEN_ADMIN_TOKEN): the "
			        "admin endpoints answer 401",
			        NULL, NULL);
	}
	{
		/* Bad input writes nothing: the policy is checked before the
		 * database is opened, let alone created. */
		struct policy_source ps;
		policy_source_init(&ps);
		rc = policy_source_file(&ps, d->cfg.policy_path, &url_opts, err, sizeof(err));
		policy_source_deinit(&ps);
		if (rc < 0) {
			fprintf(stderr, "runwarden: %s\n", err);
			d->bad_input = rc != RW_ENOMEM;
			return rc;
		}
	}
	rc = store_open(&d->st, d->cfg.db_path,
	                (d->cfg.init ? STORE_CREATE : 0) | STORE_SMALL_CACHE, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s%s\n", err,
		        rc == RW_ENOENT ? "; or start with `runwarden serve --init` for a new one"
		                        : "");
		d->bad_input = rc == RW_ENOENT;
		return rc;
	}
	{
		const char *copy;
		int from = store_migrated_from(d->st, &copy);
		if (from) {
			snprintf(err, sizeof(err), "schema migrated from %d to %d", from,
			         store_schema_version());
			log_msg(RW_LOG_INFO, err, "backup",
			        copy ? copy : "none (PostgreSQL: pg_dump)");
		}
	}
	rc = load_policy(d, false);
	if (rc < 0)
		return rc;
	/* Every token in memory: a request is authenticated without SQLite. */
	rc = auth_load(&d->auth, d->st);
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s: reading the tokens: %s\n", d->cfg.db_path,
		        store_errmsg(d->st));
		return rc;
	}
	now = clock_now_ms(&d->clock);
	d->started_ms = now;
	/* The vantage first: the run, and everything the writer writes, are
	 * tagged with it (store.h "vantage points"). */
	rc = store_vantage_register(d->st, d->cfg.vantage, now, &d->vantage_id);
	if (rc == 0) /* before this run's first tick is there */
		rc = store_last_tick(d->st, &last_any);
	if (rc == 0)
		rc = store_run_begin(d->st, now, &d->run_id, &prev_tick);
	if (rc < 0) {
		char name[1024];
		store_display_name(d->cfg.db_path, name, sizeof(name));
		fprintf(stderr, "runwarden: %s: %s\n", name, store_errmsg(d->st));
		return rc;
	}
	rc = writer_new(&d->writer, d->loop, d->cfg.db_path,
	                (int64_t)d->cfg.retention_days * 86400000, writer_status, d, err,
	                sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s\n", err);
		return rc;
	}
	writer_set_vantage(d->writer, d->vantage_id);
	{
		struct logline l;
		if (log_begin(&l, RW_LOG_INFO, "vantage point")) {
			log_str(&l, "vantage", d->cfg.vantage);
			log_int(&l, "vantage_id", d->vantage_id);
			log_end(&l);
		}
	}
	rc = leader_new(&d->leader, d->loop, d->cfg.db_path, leader_changed, d, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s\n", err);
		return rc;
	}
	leader_on_state(d->leader, leader_state, d);
	/* A follower's start-up writes none of the combined records either
	 * (load_fleet()'s unknown intervals are the leader's to write). */
	writer_set_combined(d->writer, leader_held(d->leader));
	{
		int64_t policy_id = d->fleet.policy_id; /* recorded by load_policy() */
		fleet_init(&d->fleet, d->writer, &d->m, &d->policy);
		d->fleet.policy_id = policy_id;
		d->fleet.vantage_id = d->vantage_id;
		d->fleet.combining = leader_held(d->leader);
		d->fleet.github_interval_s = (uint32_t)d->cfg.github.poll_interval_s;
		d->fleet.seeing_since_ms = now;
	}
	blind_init(&d->blind, &d->fleet);
	d->prober_live = prober_init(&d->prober, d->loop, &d->guard, &d->clock,
	                             d->cfg.max_concurrency, probe_done) == 0;
	if (d->prober_live)
		prober_set_vantage(&d->prober, d->cfg.vantage);
	d->sched_live = d->prober_live && sched_init(&d->sched, d->loop, sched_start) == 0;
	if (!d->sched_live) {
		fprintf(stderr, "runwarden: out of memory\n");
		return RW_ENOMEM;
	}
	d->prober.data = d;
	d->sched.data = d;
	canaries_reload(d);
	rc = load_fleet(d, prev_tick, last_any, now);
	if (rc == 0)
		rc = load_vantages(d, now);
	if (rc < 0) {
		fprintf(stderr, "runwarden: loading runners: %s\n", store_errmsg(d->st));
		return rc;
	}
	fleet_batch_begin(&d->fleet);
	fleet_combine_all(&d->fleet, now, "start");
	fleet_batch_end(&d->fleet, now);
	fleet_evaluate_all(&d->fleet, now);
	rc = daemon_github_init(&d->github, d, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s\n", err);
		return rc;
	}
	rc = notify_new(&d->notify, d->loop, &d->cfg, &d->guard, d->st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s\n", err);
		return rc;
	}
	notify_set_renderer(d->notify, api_event_render);
	notify_set_active(d->notify, leader_held(d->leader));
	/* The last step that can fail: nothing after it needs undoing. */
	{
		struct api_ctx x = {.loop = d->loop,
		                    .st = d->st,
		                    .writer = d->writer,
		                    .fleet = &d->fleet,
		                    .policy = &d->policy,
		                    .policy_sha256 = d->policy_sha256,
		                    .clock = &d->clock,
		                    .guard = &d->guard,
		                    .auth = &d->auth,
		                    .m = &d->m,
		                    .listen_host = d->cfg.listen_host,
		                    .listen_port = d->cfg.listen_port,
		                    .max_connections = d->cfg.max_connections,
		                    .github_webhook_secret = d->cfg.github.webhook_secret,
		                    .github_job = daemon_github_job,
		                    .registry_changed = on_registry_changed,
		                    .render_metrics = render_metrics,
		                    .vantage_id = d->vantage_id,
		                    .blind = &d->blind,
		                    .owner = d};
		if (d->cfg.tls_cert_file[0]) {
			x.tls_cert_file = d->cfg.tls_cert_file;
			x.tls_key_file = d->cfg.tls_key_file;
			x.tls_cert_name = d->cfg.tls_cert_name;
			x.tls_key_name = d->cfg.tls_key_name;
		}
		rc = api_new(&d->api, &x, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "runwarden: %s\n", err);
		return rc;
	}
	d->last_tick_ms = now;
	d->last_tick_loop = uv_now(d->loop);
	d->last_minute = d->last_tick_loop;
	uv_timer_init(d->loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, tick_cb, DAEMON_TICK_MS, DAEMON_TICK_MS);
	uv_timer_init(d->loop, &d->slice);
	d->slice.data = d;
	uv_timer_start(&d->slice, slice_cb, DAEMON_SLICE_MS, DAEMON_SLICE_MS);
	if (looplag_start(&d->looplag, d->loop, &d->m.loop_lag_max_s) < 0)
		log_msg(RW_LOG_WARN,
		        "libuv does not measure idle time: loop lag is the tick's only", NULL,
		        NULL);
	looplag_cpu(&d->looplag, &d->m.loop_cpu, &d->m.loop_cpu_max_s);
	d->looplag.prepare.data = d; /* for handle_closed_cb */
	uv_signal_init(d->loop, &d->sig_term);
	uv_signal_init(d->loop, &d->sig_int);
	uv_signal_init(d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, signal_cb, SIGTERM);
	uv_signal_start(&d->sig_int, signal_cb, SIGINT);
	uv_signal_start(&d->sig_hup, signal_cb, SIGHUP);
	{
		const char *stall = getenv("RUNWARDEN_FAULT_STALL_MS");
		if (stall && atoi(stall) > 0) {
			d->fault_stall_ms = (unsigned)atoi(stall);
			uv_signal_init(d->loop, &d->sig_stall);
			d->sig_stall.data = d;
			uv_signal_start(&d->sig_stall, signal_cb, SIGUSR2);
		}
	}
	push_tick(d, now);
	sched_reanchor(&d->sched);
	/* From here on this connection only reads, and never waits: writes
	 * go to the writer's thread (writer.h), and in WAL mode a read does
	 * not wait for a writer. A read that would (another process
	 * recovering the WAL) fails at once with RW_EBUSY and is retried:
	 * the API answers 503 with Retry-After, the registry and the webhooks
	 * try again at their next tick. */
	store_set_busy_timeout(d->st, 0);
	{
		struct logline l;
		char listen[300];
		/* An IPv6 address is bracketed, so that the URL below is one. */
		snprintf(listen, sizeof(listen),
		         strchr(d->cfg.listen_host, ':') ? "[%s]:%d" : "%s:%d", d->cfg.listen_host,
		         api_port(d->api));
		if (log_begin(&l, RW_LOG_INFO, "serving")) {
			log_str(&l, "listen", listen);
			log_str(&l, "scheme", api_tls(d->api) ? "https" : "http");
			char name[1024];
			store_display_name(d->cfg.db_path, name, sizeof(name));
			log_str(&l, "db", name);
			log_int(&l, "runners", (int64_t)d->fleet.n);
			log_str(&l, "policy_sha256", d->policy_sha256);
			log_end(&l);
		}
		d->serving = true;
		/* A line for scripts (tests, quickstart) that start us on port 0. */
		printf("listening on %s://%s\n", api_tls(d->api) ? "https" : "http", listen);
		fflush(stdout);
	}
	return 0;
}

int daemon_run(uv_loop_t *loop, const struct rw_config *cfg)
{
	struct rw_daemon *d = calloc(1, sizeof(*d));
	int rc, code;

	if (!d) {
		fprintf(stderr, "runwarden: out of memory\n");
		return 1;
	}
	d->loop = loop;
	d->cfg = *cfg;
	clock_init(&d->clock);
	policy_defaults(&d->policy);
	rc = start(d);
	if (rc < 0) {
		/* start() said why; close what it opened, as a stop would.
		 * Bad input (a policy, a database that is not there) is 2, as
		 * for every command; anything else 1. */
		d->exit_code = d->bad_input ? 2 : 1;
		stop(d, NULL, NULL);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	code = d->exit_code;
	blind_deinit(&d->blind);
	fleet_deinit(&d->fleet);
	graveyard_collect(d);
	free(d->graveyard);
	api_free(d->api);
	writer_free(d->writer);
	notify_free(d->notify);
	leader_free(d->leader);
	daemon_github_deinit(&d->github);
	store_close(d->st);
	auth_deinit(&d->auth);
	policy_deinit(&d->policy);
	free(d);
	return code;
}
