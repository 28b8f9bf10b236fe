/* SPDX-License-Identifier: MIT */
/*
 * test_fleet_quorum.c — the combined verdict of several vantage points
 * (monitor/fleet/fleet_quorum.c; the rule is policy/quorum.h's), on a fleet
 * built in memory whose runners get made-up results at exact times. The
 * quorum is the policy's vantage.quorum, set in the policy the fleet points
 * to. writer_push() is replaced at link time (-Wl,--wrap=writer_push,
 * tests/CMakeLists.txt) by a stand-in that keeps the state records: each
 * case asserts the exact starts and states of the combined changes written
 * (STORE_REC_CHANGE), of this vantage's own (STORE_REC_VSTATE) and of the
 * runner's combined history (r->hist, runner_state()).
 *
 * - One vantage, Q = 1: the combined changes are the own state machine's,
 *   record for record (backdated starts, classes): every figure is what it
 *   was before vantages.
 * - Q = 2: this vantage's down alone is unknown (or stays up while another
 *   holds up); with a second down the combined down starts at the Q-th down
 *   start (the later of the two, whichever arrives first), never before the
 *   combined history's last start (a change at that start replaces it).
 * - Q = 1 with two vantages: either down is down, at the earliest down
 *   start not before the last combined start.
 * - A vantage whose heartbeat is stale holds nothing from its last tick;
 *   alive again, what it holds counts from then on, not before.
 * - A restarted vantage holds nothing from the restart (or the later start
 *   of what it held).
 * - A daemon that does not combine writes its own changes only.
 * - Another vantage's change older than what is known of it, and a change
 *   under this daemon's own vantage id, are ignored.
 * - fleet_combine_all() starts no combined change before its time.
 * - Another vantage's change to unknown takes its holding away (quorum.h:
 *   an unknown interval holds nothing).
 * - A push runner is down only when every vantage holding it holds it down.
 * - The old leader's vantage, gone at a takeover, holds nothing from its
 *   last tick until it ticks again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "monitor/fleet/fleet.h"

#define SEC 1000LL
#define H   (3600 * SEC)
/* 2024-03-15T00:00:00Z. */
#define T0 1710460800000LL
/* When the runners join the fleet (unknown since then). */
#define T_ADD (T0 - H)

#define N RW_STATE_UNKNOWN
#define U RW_STATE_UP
#define D RW_STATE_DOWN

/* ---- the writer's stand-in ---------------------------------------------- */

#define MAX_RECS 256
static struct store_rec recs[MAX_RECS];
static size_t n_recs;

void __wrap_writer_push(struct writer *w, const struct store_rec *rec);

/* Keeps the state records; releases every record as the writer would. */
void __wrap_writer_push(struct writer *w, const struct store_rec *rec)
{
	struct store_rec copy = *rec;

	(void)w;
	if (rec->kind == STORE_REC_CHANGE || rec->kind == STORE_REC_VSTATE) {
		assert_true(n_recs < MAX_RECS);
		recs[n_recs++] = *rec;
	}
	store_rec_release(&copy);
}

/* ---- the fixture ---------------------------------------------------------- */

struct fx {
	struct metrics m;
	struct rw_policy pol;
	struct fleet f;
	struct runner *r; /* id 1 */
};

static struct runner *add(struct fx *x, int64_t id)
{
	static char *targets[] = {"riscv64gc-unknown-linux-gnu"};
	struct store_runner sr;
	struct runner *r;
	char url[64], name[32];
	bool is_new;

	memset(&sr, 0, sizeof(sr));
	snprintf(url, sizeof(url), "http://192.0.2.%d/health", (int)id);
	snprintf(name, sizeof(name), "r%d", (int)id);
	sr.id = id;
	sr.name = name;
	sr.operator_name = "op";
	sr.kind = "http";
	sr.url = url;
	sr.targets = targets;
	sr.n_targets = 1;
	sr.status = STORE_RUNNER_APPROVED;
	sr.created_ms = T0 - 60 * 24 * H;
	assert_int_equal(fleet_upsert(&x->f, &sr, &x->pol, T_ADD, &r, &is_new), 0);
	assert_true(is_new);
	return r;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	n_recs = 0;
	policy_defaults(&x->pol);
	/* Floor 0: no flags. */
	x->pol.uptime_floor = 0;
	x->pol.floor_ppm = 0;
	x->pol.probe.interval_s = 30; /* evidence for 60 s */
	x->pol.probe.failures_to_down = 2;
	x->pol.probe.successes_to_up = 2;
	x->pol.vantage.quorum = 1;
	fleet_init(&x->f, NULL, &x->m, &x->pol);
	x->f.vantage_id = 0;
	assert_true(x->f.combining); /* one daemon, by default */
	x->r = add(x, 1);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fleet_deinit(&x->f);
	policy_deinit(&x->pol);
	free(x);
	return 0;
}

/* This vantage's probe result of @p r at @p t. */
static void result(struct fx *x, struct runner *r, int64_t t, enum rw_errclass cls)
{
	struct probe_result res = {.t_ms = t,
	                           .cls = cls,
	                           .http_status = cls == RW_ERRCLASS_NONE ? 200 : 0,
	                           .latency_us = cls == RW_ERRCLASS_NONE ? 1000 : -1};
	fleet_record_result(&x->f, r, &res, FLEET_APPLY_SAMPLE);
}

static void ok(struct fx *x, struct runner *r, int64_t t)
{
	result(x, r, t, RW_ERRCLASS_NONE);
}

static void bad(struct fx *x, struct runner *r, int64_t t)
{
	result(x, r, t, RW_ERRCLASS_CONNECT);
}

/* Another vantage's own change of @p r; its downs are HTTP 503s. */
static void vchange(struct fx *x, struct runner *r, int64_t vantage, enum rw_state s, int64_t since)
{
	fleet_vantage_change(&x->f, r, vantage, r->id, (int)s, since,
	                     s == D ? RW_ERRCLASS_HTTP_STATUS : 0, s == D ? 503 : 0);
}

/* ---- what was written and remembered ------------------------------------ */

struct iv {
	int64_t start_ms;
	enum rw_state state;
};

/* A list of intervals and its length, for the checks below. */
#define IVS(...)                                                                                   \
	(const struct iv[]){__VA_ARGS__},                                                          \
	        sizeof((const struct iv[]){__VA_ARGS__}) / sizeof(struct iv)
#define NONE NULL, 0

static const char *kind_name(int kind)
{
	return kind == STORE_REC_CHANGE ? "CHANGE" : "VSTATE";
}

/* The @p i-th record of @p kind of runner @p r, or NULL. */
static const struct store_rec *rec_at(int kind, const struct runner *r, size_t i)
{
	for (size_t k = 0; k < n_recs; k++)
		if (recs[k].kind == kind && recs[k].u.change.runner_id == r->id && i-- == 0)
			return &recs[k];
	return NULL;
}

/* Every record of @p kind written for @p r so far is @p want, in order. */
static void expect_recs(int kind, const struct runner *r, const struct iv *want, size_t n)
{
	size_t got = 0;

	while (rec_at(kind, r, got))
		got++;
	for (size_t i = 0; i < n || i < got; i++) {
		const struct store_rec *rec = rec_at(kind, r, i);
		if (i >= n)
			fail_msg("runner %" PRId64 ": %s record %zu (%s at %+" PRId64
			         " ms from T0) not expected",
			         r->id, kind_name(kind), i, rw_state_name(rec->u.change.state),
			         rec->u.change.start_ms - T0);
		if (!rec)
			fail_msg("runner %" PRId64 ": %s record %zu (%s at %+" PRId64
			         " ms from T0) missing: %zu written",
			         r->id, kind_name(kind), i, rw_state_name(want[i].state),
			         want[i].start_ms - T0, got);
		if (rec->u.change.start_ms != want[i].start_ms ||
		    rec->u.change.state != (uint8_t)want[i].state)
			fail_msg("runner %" PRId64 ": %s record %zu is %s at %+" PRId64
			         " ms from T0, expected %s at %+" PRId64,
			         r->id, kind_name(kind), i, rw_state_name(rec->u.change.state),
			         rec->u.change.start_ms - T0, rw_state_name(want[i].state),
			         want[i].start_ms - T0);
	}
}

/* @p r's combined history is @p want (its first interval: its joining). */
static void expect_hist(const struct runner *r, const struct iv *want, size_t n)
{
	for (size_t i = 0; i < n || i < r->n_hist; i++) {
		if (i >= n)
			fail_msg("runner %" PRId64 ": history interval %zu (%s at %+" PRId64
			         " ms from T0) not expected",
			         r->id, i, rw_state_name(r->hist[i].state),
			         r->hist[i].start_ms - T0);
		if (i >= r->n_hist)
			fail_msg("runner %" PRId64 ": history interval %zu (%s at %+" PRId64
			         " ms from T0) missing",
			         r->id, i, rw_state_name(want[i].state), want[i].start_ms - T0);
		if (r->hist[i].start_ms != want[i].start_ms || r->hist[i].state != want[i].state)
			fail_msg("runner %" PRId64 ": history interval %zu is %s at %+" PRId64
			         " ms from T0, expected %s at %+" PRId64,
			         r->id, i, rw_state_name(r->hist[i].state),
			         r->hist[i].start_ms - T0, rw_state_name(want[i].state),
			         want[i].start_ms - T0);
	}
	if (n > 0) {
		assert_int_equal(runner_state(r), want[n - 1].state);
		assert_int_equal(runner_since(r), want[n - 1].start_ms);
	}
}

/* The @p i-th combined change of @p r is a down of class @p cls, @p http. */
static void expect_down_cause(const struct runner *r, size_t i, enum rw_errclass cls, int http)
{
	const struct store_rec *rec = rec_at(STORE_REC_CHANGE, r, i);

	assert_non_null(rec);
	assert_int_equal(rec->u.change.state, D);
	assert_int_equal(rec->u.change.errclass, cls);
	assert_int_equal(rec->u.change.http_status, http);
}

/* ---- 1. one vantage, Q = 1: its own changes ------------------------------ */

static void test_one_vantage_is_own(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;
	size_t n_v = 0, n_c = 0;

	ok(x, r, T0);
	ok(x, r, T0 + 30 * SEC); /* up, backdated to T0 */
	bad(x, r, T0 + 60 * SEC);
	ok(x, r, T0 + 90 * SEC); /* a blip */
	bad(x, r, T0 + 120 * SEC);
	bad(x, r, T0 + 150 * SEC); /* down, backdated to T0 + 120 s */
	ok(x, r, T0 + 180 * SEC);
	ok(x, r, T0 + 210 * SEC); /* up at T0 + 180 s */
	/* 190 s without a result: unknown at T0 + 270 s (the evidence's end),
	 * then up again from T0 + 400 s, two changes of one result. */
	ok(x, r, T0 + 400 * SEC);
	ok(x, r, T0 + 430 * SEC);
	result(x, r, T0 + 460 * SEC, RW_ERRCLASS_REFUSED_BY_GUARD); /* unknown */

	expect_recs(STORE_REC_VSTATE, r,
	            IVS({T0, U}, {T0 + 120 * SEC, D}, {T0 + 180 * SEC, U}, {T0 + 270 * SEC, N},
	                {T0 + 400 * SEC, U}, {T0 + 460 * SEC, N}));
	/* Record for record the same: runner, start, state, the down's cause. */
	for (size_t k = 0; k < n_recs; k++) {
		n_v += recs[k].kind == STORE_REC_VSTATE;
		n_c += recs[k].kind == STORE_REC_CHANGE;
	}
	assert_int_equal(n_v, 6);
	assert_int_equal(n_c, n_v);
	for (size_t i = 0; i < n_v; i++) {
		const struct store_rec *v = rec_at(STORE_REC_VSTATE, r, i);
		const struct store_rec *c = rec_at(STORE_REC_CHANGE, r, i);
		assert_non_null(c);
		assert_int_equal(c->u.change.runner_id, v->u.change.runner_id);
		assert_int_equal(c->u.change.start_ms, v->u.change.start_ms);
		assert_int_equal(c->u.change.state, v->u.change.state);
		assert_int_equal(c->u.change.errclass, v->u.change.errclass);
		assert_int_equal(c->u.change.http_status, v->u.change.http_status);
	}
	expect_down_cause(r, 1, RW_ERRCLASS_CONNECT, 0);
	/* The combined history is the own changes after the joining. */
	assert_int_equal(r->n_hist, n_v + 1);
	assert_int_equal(r->hist[0].start_ms, T_ADD);
	assert_int_equal(r->hist[0].state, N);
	for (size_t i = 0; i < n_v; i++) {
		const struct store_rec *v = rec_at(STORE_REC_VSTATE, r, i);
		assert_int_equal(r->hist[i + 1].start_ms, v->u.change.start_ms);
		assert_int_equal(r->hist[i + 1].state, v->u.change.state);
	}
	assert_int_equal(runner_state(r), N);
	assert_int_equal(runner_since(r), T0 + 460 * SEC);
	assert_int_equal(fleet_vantages_alive(&x->f), 1);
}

/* ---- 2. Q = 2, two vantages ---------------------------------------------- */

/* Unknown before: this vantage's down alone changes nothing; the other's
 * later down makes it down from that later start. */
static void test_q2_down_at_later_start(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->pol.vantage.quorum = 2;
	bad(x, r, T0);
	bad(x, r, T0 + 30 * SEC); /* own: down since T0 */
	expect_recs(STORE_REC_VSTATE, r, IVS({T0, D}));
	expect_recs(STORE_REC_CHANGE, r, NONE);
	expect_hist(r, IVS({T_ADD, N}));

	vchange(x, r, 1, D, T0 + 45 * SEC); /* S_b later than S_a */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 45 * SEC, D}));
	expect_down_cause(r, 0, RW_ERRCLASS_HTTP_STATUS, 503); /* the Q-th down's */
	expect_hist(r, IVS({T_ADD, N}, {T0 + 45 * SEC, D}));
	assert_int_equal(fleet_vantages_alive(&x->f), 2);
}

/* Up before (its own): this vantage's down alone makes it unknown, from the
 * down's backdated start. */
static void test_q2_own_down_alone_unknown(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->pol.vantage.quorum = 2;
	ok(x, r, T0);
	ok(x, r, T0 + 30 * SEC);
	bad(x, r, T0 + 60 * SEC);
	bad(x, r, T0 + 90 * SEC);
	expect_recs(STORE_REC_VSTATE, r, IVS({T0, U}, {T0 + 60 * SEC, D}));
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}, {T0 + 60 * SEC, N}));
	expect_hist(r, IVS({T_ADD, N}, {T0, U}, {T0 + 60 * SEC, N}));

	vchange(x, r, 1, D, T0 + 100 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}, {T0 + 60 * SEC, N}, {T0 + 100 * SEC, D}));
	expect_hist(r, IVS({T_ADD, N}, {T0, U}, {T0 + 60 * SEC, N}, {T0 + 100 * SEC, D}));
}

/* Up because the other holds up: this vantage's down leaves it up; the
 * other's down, starting earlier but heard later, makes it down from this
 * vantage's (the later) start. */
static void test_q2_up_held_then_down_at_max(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->pol.vantage.quorum = 2;
	vchange(x, r, 1, U, T0 - 60 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 - 60 * SEC, U}));
	bad(x, r, T0);
	bad(x, r, T0 + 30 * SEC); /* own: down since T0 = S_a */
	expect_recs(STORE_REC_VSTATE, r, IVS({T0, D}));
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 - 60 * SEC, U}));
	expect_hist(r, IVS({T_ADD, N}, {T0 - 60 * SEC, U}));

	vchange(x, r, 1, D, T0 - 15 * SEC); /* S_b earlier than S_a, heard later */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 - 60 * SEC, U}, {T0, D}));
	expect_down_cause(r, 1, RW_ERRCLASS_CONNECT, 0); /* this vantage's: the Q-th */
	expect_hist(r, IVS({T_ADD, N}, {T0 - 60 * SEC, U}, {T0, D}));
}

/* The Q-th down start before the combined history's last start: the down
 * starts at that start and replaces the interval there. */
static void test_q2_down_not_before_last_start(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->pol.vantage.quorum = 2;
	bad(x, r, T0);
	bad(x, r, T0 + 30 * SEC); /* own: down since T0 */
	vchange(x, r, 2, U, T0 + 100 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, U}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 100 * SEC, U}));

	vchange(x, r, 1, D, T0 + 50 * SEC); /* the Q-th down start: T0 + 50 s */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, U}, {T0 + 100 * SEC, D}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 100 * SEC, D}));
	assert_int_equal(fleet_vantages_alive(&x->f), 3);
}

/* ---- 3. Q = 1, two vantages ---------------------------------------------- */

static void test_q1_either_down(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	ok(x, r, T0);
	ok(x, r, T0 + 30 * SEC); /* own: up since T0 */
	vchange(x, r, 1, U, T0 + 10 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}));

	vchange(x, r, 1, D, T0 + 100 * SEC); /* the other alone down: down */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}, {T0 + 100 * SEC, D}));
	expect_down_cause(r, 1, RW_ERRCLASS_HTTP_STATUS, 503);

	ok(x, r, T0 + 60 * SEC);
	ok(x, r, T0 + 90 * SEC);
	bad(x, r, T0 + 120 * SEC);
	bad(x, r, T0 + 150 * SEC);           /* own down too: still down */
	vchange(x, r, 1, U, T0 + 170 * SEC); /* own still down: still down */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}, {T0 + 100 * SEC, D}));

	ok(x, r, T0 + 180 * SEC);
	ok(x, r, T0 + 210 * SEC); /* both up: up from the own up's start */
	expect_recs(STORE_REC_VSTATE, r, IVS({T0, U}, {T0 + 120 * SEC, D}, {T0 + 180 * SEC, U}));
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}, {T0 + 100 * SEC, D}, {T0 + 180 * SEC, U}));

	/* A third vantage's down from before the last combined start: down
	 * from that start, replacing the up there. */
	vchange(x, r, 2, D, T0 + 175 * SEC);
	expect_recs(STORE_REC_CHANGE, r,
	            IVS({T0, U}, {T0 + 100 * SEC, D}, {T0 + 180 * SEC, U}, {T0 + 180 * SEC, D}));
	expect_hist(r, IVS({T_ADD, N}, {T0, U}, {T0 + 100 * SEC, D}, {T0 + 180 * SEC, D}));
}

/* Two vantages down before the combined verdict is judged (this daemon
 * began to combine): under Q = 1 down from the earliest down start, under
 * Q = 2 from the later one. */
static void test_earliest_down_start(void **state)
{
	struct fx *x = *state;
	struct runner *a = x->r, *b = add(x, 2);

	x->f.combining = false;
	for (int i = 0; i < 2; i++) {
		struct runner *r = i ? b : a;
		vchange(x, r, 1, D, T0 + 50 * SEC);
		bad(x, r, T0 + 100 * SEC);
		bad(x, r, T0 + 130 * SEC); /* own: down since T0 + 100 s */
		expect_recs(STORE_REC_VSTATE, r, IVS({T0 + 100 * SEC, D}));
		expect_recs(STORE_REC_CHANGE, r, NONE);
	}
	x->f.combining = true;
	assert_true(
	        fleet_combine(&x->f, a, a->rs.state, a->rs.since_ms, T0 + 200 * SEC, 0, "test"));
	expect_recs(STORE_REC_CHANGE, a, IVS({T0 + 50 * SEC, D}));
	expect_down_cause(a, 0, RW_ERRCLASS_HTTP_STATUS, 503);
	expect_hist(a, IVS({T_ADD, N}, {T0 + 50 * SEC, D}));

	x->pol.vantage.quorum = 2;
	assert_true(
	        fleet_combine(&x->f, b, b->rs.state, b->rs.since_ms, T0 + 200 * SEC, 0, "test"));
	expect_recs(STORE_REC_CHANGE, b, IVS({T0 + 100 * SEC, D}));
	expect_down_cause(b, 0, RW_ERRCLASS_CONNECT, 0);
	expect_hist(b, IVS({T_ADD, N}, {T0 + 100 * SEC, D}));
	/* Judged again: nothing changes. */
	assert_false(
	        fleet_combine(&x->f, b, b->rs.state, b->rs.since_ms, T0 + 300 * SEC, 0, "test"));
	expect_recs(STORE_REC_CHANGE, b, IVS({T0 + 100 * SEC, D}));
}

/* ---- 4. a stale heartbeat ------------------------------------------------ */

static void test_stale_heartbeat(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	fleet_vantage_heartbeat(&x->f, 1, T0, T0);
	vchange(x, r, 1, U, T0 + 5 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 5 * SEC, U}));

	/* Exactly FLEET_VANTAGE_STALE_MS old: still alive. */
	fleet_vantage_heartbeat(&x->f, 1, T0 + 20 * SEC, T0 + 20 * SEC + FLEET_VANTAGE_STALE_MS);
	assert_int_equal(fleet_vantages_alive(&x->f), 2);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 5 * SEC, U}));

	/* Older: it holds nothing from its last tick. */
	fleet_vantage_heartbeat(&x->f, 1, T0 + 20 * SEC,
	                        T0 + 20 * SEC + FLEET_VANTAGE_STALE_MS + 1);
	assert_int_equal(fleet_vantages_alive(&x->f), 1);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 5 * SEC, U}, {T0 + 20 * SEC, N}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 5 * SEC, U}, {T0 + 20 * SEC, N}));

	/* Its change while silent is kept, but counts for nothing yet. */
	vchange(x, r, 1, D, T0 + 40 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 5 * SEC, U}, {T0 + 20 * SEC, N}));

	/* Alive again: its down counts from now, not from T0 + 40 s. */
	fleet_vantage_heartbeat(&x->f, 1, T0 + 60 * SEC, T0 + 61 * SEC);
	assert_int_equal(fleet_vantages_alive(&x->f), 2);
	expect_recs(STORE_REC_CHANGE, r,
	            IVS({T0 + 5 * SEC, U}, {T0 + 20 * SEC, N}, {T0 + 61 * SEC, D}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 5 * SEC, U}, {T0 + 20 * SEC, N}, {T0 + 61 * SEC, D}));
	expect_recs(STORE_REC_VSTATE, r, NONE);
}

/* ---- 5. a restarted vantage ---------------------------------------------- */

static void test_restart(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->pol.vantage.quorum = 2;
	vchange(x, r, 1, D, T0);
	bad(x, r, T0 + 30 * SEC);
	bad(x, r, T0 + 60 * SEC); /* own: down since T0 + 30 s */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 30 * SEC, D}));

	/* What it held is unknown from the restart: this vantage's down alone. */
	fleet_vantage_restart(&x->f, 1, T0 + 500 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 30 * SEC, D}, {T0 + 500 * SEC, N}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 30 * SEC, D}, {T0 + 500 * SEC, N}));
	assert_int_equal(fleet_vantages_alive(&x->f), 2); /* restarted, not silent */

	/* What it said before the restart is older than that: ignored. */
	vchange(x, r, 1, D, T0 + 400 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 30 * SEC, D}, {T0 + 500 * SEC, N}));

	/* A holding that starts after the restart's time becomes unknown from
	 * its own start. */
	vchange(x, r, 1, U, T0 + 700 * SEC);
	fleet_vantage_restart(&x->f, 1, T0 + 650 * SEC);
	expect_recs(STORE_REC_CHANGE, r,
	            IVS({T0 + 30 * SEC, D}, {T0 + 500 * SEC, N}, {T0 + 700 * SEC, U},
	                {T0 + 700 * SEC, N}));
	expect_hist(r,
	            IVS({T_ADD, N}, {T0 + 30 * SEC, D}, {T0 + 500 * SEC, N}, {T0 + 700 * SEC, N}));
}

/* ---- 6. not combining ---------------------------------------------------- */

static void test_not_combining(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->f.combining = false;
	ok(x, r, T0);
	ok(x, r, T0 + 30 * SEC);
	bad(x, r, T0 + 60 * SEC);
	bad(x, r, T0 + 90 * SEC);
	vchange(x, r, 1, D, T0 + 100 * SEC);
	fleet_vantage_heartbeat(&x->f, 1, T0, T0 + 200 * SEC);
	expect_recs(STORE_REC_VSTATE, r, IVS({T0, U}, {T0 + 60 * SEC, D}));
	expect_recs(STORE_REC_CHANGE, r, NONE);
	expect_hist(r, IVS({T_ADD, N}));
	assert_int_equal(r->rs.state, D);
	assert_false(
	        fleet_combine(&x->f, r, r->rs.state, r->rs.since_ms, T0 + 300 * SEC, 0, "test"));
	fleet_combine_all(&x->f, T0 + 300 * SEC, "test");
	expect_recs(STORE_REC_CHANGE, r, NONE);
	expect_hist(r, IVS({T_ADD, N}));
}

/* ---- 7. an older change --------------------------------------------------- */

static void test_older_change_ignored(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	vchange(x, r, 1, D, T0 + 100 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, D}));
	vchange(x, r, 1, U, T0 + 50 * SEC); /* older than its down: ignored */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, D}));
	/* Not kept either: judged again, it still holds down. */
	fleet_combine_all(&x->f, T0 + 300 * SEC, "test");
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, D}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 100 * SEC, D}));
}

/* ---- 8. this daemon's own vantage id --------------------------------------- */

static void test_own_id_ignored(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->f.vantage_id = 3;
	vchange(x, r, 3, D, T0 + 100 * SEC);
	fleet_vantage_heartbeat(&x->f, 3, T0, T0 + 100 * SEC);
	fleet_vantage_restart(&x->f, 3, T0 + 200 * SEC);
	assert_int_equal(x->f.n_vantages, 0);
	assert_int_equal(fleet_vantages_alive(&x->f), 1);
	expect_recs(STORE_REC_CHANGE, r, NONE);
	expect_hist(r, IVS({T_ADD, N}));
	/* Another id is heard. */
	vchange(x, r, 0, D, T0 + 100 * SEC);
	assert_int_equal(x->f.n_vantages, 1);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, D}));
}

/* ---- 9. fleet_combine_all(): from its time on ---------------------------- */

static void test_combine_all_floor(void **state)
{
	struct fx *x = *state;
	struct runner *a = x->r, *b = add(x, 2), *c = add(x, 3);

	x->f.combining = false;
	bad(x, a, T0);
	bad(x, a, T0 + 30 * SEC); /* own: down since T0 */
	vchange(x, a, 1, D, T0 + 10 * SEC);
	ok(x, b, T0);
	ok(x, b, T0 + 30 * SEC); /* own: up since T0 */
	/* c: unknown, as combined */
	x->f.combining = true;
	fleet_combine_all(&x->f, T0 + 1000 * SEC, "start");
	expect_recs(STORE_REC_CHANGE, a, IVS({T0 + 1000 * SEC, D}));
	expect_recs(STORE_REC_CHANGE, b, IVS({T0 + 1000 * SEC, U}));
	expect_recs(STORE_REC_CHANGE, c, NONE);
	expect_hist(a, IVS({T_ADD, N}, {T0 + 1000 * SEC, D}));
	expect_hist(b, IVS({T_ADD, N}, {T0 + 1000 * SEC, U}));
	expect_hist(c, IVS({T_ADD, N}));

	/* Q = 2: a is down at both vantages: no change. */
	x->pol.vantage.quorum = 2;
	fleet_combine_all(&x->f, T0 + 2000 * SEC, "policy");
	expect_recs(STORE_REC_CHANGE, a, IVS({T0 + 1000 * SEC, D}));
	/* Three: a is unknown from then on, not from its downs' starts. */
	x->pol.vantage.quorum = 3;
	fleet_combine_all(&x->f, T0 + 3000 * SEC, "policy");
	expect_recs(STORE_REC_CHANGE, a, IVS({T0 + 1000 * SEC, D}, {T0 + 3000 * SEC, N}));
	expect_recs(STORE_REC_CHANGE, b, IVS({T0 + 1000 * SEC, U}));
	expect_hist(a, IVS({T_ADD, N}, {T0 + 1000 * SEC, D}, {T0 + 3000 * SEC, N}));
	/* Back to 2: down again from then on. */
	x->pol.vantage.quorum = 2;
	fleet_combine_all(&x->f, T0 + 4000 * SEC, "policy");
	expect_recs(STORE_REC_CHANGE, a,
	            IVS({T0 + 1000 * SEC, D}, {T0 + 3000 * SEC, N}, {T0 + 4000 * SEC, D}));
}

/* ---- 10. another vantage's unknown --------------------------------------- */

/*
 * CONTRADICTS fleet_quorum.c as of 1488f3c: fleet_vantage_change() returns
 * at once for `state < RW_STATE_UP`, so another vantage's change to UNKNOWN
 * (its staleness, its blindness, a refusal of the address guard: every
 * daemon writes those as STORE_REC_VSTATE, relayed as "v" lines with state
 * 0) is dropped, and its last UP or DOWN keeps counting. policy/quorum.h
 * says an UNKNOWN interval holds nothing, and fleet.h that the change is
 * kept. This test is written to that rule and fails until the code follows
 * it.
 */
static void test_other_vantage_unknown(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	vchange(x, r, 1, D, T0 + 100 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, D}));
	/* It went blind: it holds nothing, nor does this one: unknown. */
	vchange(x, r, 1, N, T0 + 200 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 100 * SEC, D}, {T0 + 200 * SEC, N}));
	expect_hist(r, IVS({T_ADD, N}, {T0 + 100 * SEC, D}, {T0 + 200 * SEC, N}));
}

/* ---- 11. a push runner ----------------------------------------------------- */

/* Its heartbeats reach one daemon or another: down only when every vantage
 * holding it holds it down, whatever the quorum (here 1). */
static void test_push_down_only_when_all_down(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	r->push = true;
	vchange(x, r, 1, U, T0);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}));
	/* This daemon hears no heartbeat: it holds it down; the other hears them. */
	vchange(x, r, 2, D, T0 + 10 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}));
	/* The one that heard them stops hearing them: now all hold it down,
	 * from the later of the two downs. */
	vchange(x, r, 1, D, T0 + 50 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0, U}, {T0 + 50 * SEC, D}));
	/* A probed runner with the same holdings is down at the first one. */
	r->push = false;
	x->r = add(x, 2);
	vchange(x, x->r, 1, U, T0);
	vchange(x, x->r, 2, D, T0 + 10 * SEC);
	expect_recs(STORE_REC_CHANGE, x->r, IVS({T0, U}, {T0 + 10 * SEC, D}));
}

/* ---- 12. the old leader at a takeover --------------------------------------- */

/* Known gone from its last tick, though its heartbeat looks fresh, until
 * its heartbeat moves past that tick. */
static void test_gone_until_it_ticks(void **state)
{
	struct fx *x = *state;
	struct runner *r = x->r;

	x->pol.vantage.quorum = 2;
	fleet_vantage_heartbeat(&x->f, 1, T0, T0);
	vchange(x, r, 1, D, T0);
	vchange(x, r, 2, D, T0 + 5 * SEC);
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 5 * SEC, D}));
	fleet_vantage_gone(&x->f, 1, T0 + 20 * SEC);
	assert_int_equal(fleet_vantages_alive(&x->f), 2); /* this one and 2 */
	expect_recs(STORE_REC_CHANGE, r, IVS({T0 + 5 * SEC, D}, {T0 + 20 * SEC, N}));
	/* Its last tick, read again a second later: still gone. */
	fleet_vantage_heartbeat(&x->f, 1, T0 + 20 * SEC, T0 + 21 * SEC);
	assert_int_equal(fleet_vantages_alive(&x->f), 2);
	/* It ticks again (restarted): alive, its down counts from now. */
	fleet_vantage_heartbeat(&x->f, 1, T0 + 30 * SEC, T0 + 30 * SEC);
	assert_int_equal(fleet_vantages_alive(&x->f), 3);
	expect_recs(STORE_REC_CHANGE, r,
	            IVS({T0 + 5 * SEC, D}, {T0 + 20 * SEC, N}, {T0 + 30 * SEC, D}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_one_vantage_is_own, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_q2_down_at_later_start, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_q2_own_down_alone_unknown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_q2_up_held_then_down_at_max, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_q2_down_not_before_last_start, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_q1_either_down, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_earliest_down_start, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stale_heartbeat, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_not_combining, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_older_change_ignored, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_own_id_ignored, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_combine_all_floor, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_other_vantage_unknown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_push_down_only_when_all_down, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gone_until_it_ticks, setup, teardown),
	};
	log_set_level(RW_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
