/* SPDX-License-Identifier: MIT */
/*
 * test_fleet_wake.c — the tick looks only at the runners it must
 * (monitor/fleet/fleet_wake.c), and that changes nothing: on a fleet built
 * in memory (no writer, no database), driven tick by tick with a fake
 * clock.
 *
 * - Boundaries with no new input: a runner whose probation ends, whose
 *   maintenance window starts and ends, whose evidence goes stale, and a
 *   push runner that misses its heartbeat are each announced at the first
 *   tick at or after the boundary, though nothing touched them; before it,
 *   a tick looks at no runner at all.
 * - A randomized fleet (http and push runners, probation, credited and
 *   short-notice maintenance, flags, failures, silences, a policy change, a
 *   registry change, a retirement) checked after every tick against what
 *   judging every runner gives: every runner's announced eligibility is its
 *   exclusion now, no runner's evidence is stale unapplied, no push runner
 *   has a missed heartbeat unapplied, and every wake time is in the future.
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

#define T1     "riscv64gc-unknown-linux-gnu"
#define SEC    1000LL
#define MINUTE (60 * SEC)
#define H      (60 * MINUTE)
#define DAY    (24 * H)
/* 2024-03-15T00:00:00Z: mid-month, so that maintenance caps do not reset. */
#define T0 1710460800000LL

struct fx {
	struct metrics m;
	struct rw_policy pol;
	struct fleet f;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	policy_defaults(&x->pol);
	x->pol.probe.interval_s = 30;
	x->pol.probe.failures_to_down = 2;
	x->pol.push.grace_s = 20;
	x->pol.flagging.probation_days = 1;
	x->pol.maintenance.min_notice_h = 24;
	x->pol.maintenance.max_h_per_month = 8;
	fleet_init(&x->f, NULL, &x->m, &x->pol);
	x->f.seeing_since_ms = T0 - DAY;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fleet_deinit(&x->f);
	free(x);
	return 0;
}

static struct runner *add(struct fx *x, int64_t id, bool push, int status, int64_t created_ms,
                          uint32_t interval_s)
{
	static char *targets[] = {T1};
	struct store_runner sr;
	struct runner *r;
	char url[64], name[32];
	bool is_new;

	memset(&sr, 0, sizeof(sr));
	snprintf(url, sizeof(url), "http://192.0.2.%d/health", (int)(id % 250) + 1);
	snprintf(name, sizeof(name), "r%03d", (int)id);
	sr.id = id;
	sr.name = name;
	sr.operator_name = "op";
	sr.kind = push ? "push" : "http";
	sr.url = push ? NULL : url;
	sr.targets = targets;
	sr.n_targets = 1;
	sr.status = status;
	sr.interval_s = interval_s;
	sr.created_ms = created_ms;
	assert_int_equal(fleet_upsert(&x->f, &sr, &x->pol, T0 - DAY, &r, &is_new), 0);
	assert_true(is_new);
	return r;
}

static void result(struct fx *x, struct runner *r, int64_t t, bool ok)
{
	struct probe_result res = {.t_ms = t,
	                           .cls = ok ? RW_ERRCLASS_NONE : RW_ERRCLASS_CONNECT,
	                           .http_status = ok ? 200 : 0,
	                           .latency_us = ok ? 1000 : -1};
	fleet_record_result(&x->f, r, &res, FLEET_APPLY_SAMPLE);
}

static void tick(struct fx *x, int64_t now)
{
	fleet_advance(&x->f, now);
	fleet_check_all(&x->f, now);
}

static int code_now(struct fx *x, const struct runner *r, int64_t now)
{
	return store_reason_code(fleet_exclusion(&x->f, r, now));
}

/* What judging every runner at @p now would find; see the file comment. */
static void check_all_judged(struct fx *x, int64_t now)
{
	for (size_t i = 0; i < x->f.n; i++) {
		struct runner *r = x->f.v[i];
		struct runstate rs = r->rs;
		struct runstate_change c[1];

		if (r->elig_code != code_now(x, r, now))
			fail_msg("runner %" PRId64 " at +%" PRId64
			         " ms: announced %d, exclusion now %d",
			         r->id, now - T0, r->elig_code, code_now(x, r, now));
		if (r->push) {
			int64_t base = rs.last_sample_ms >= 0 ? rs.last_sample_ms : rs.since_ms;
			if (base < x->f.seeing_since_ms)
				base = x->f.seeing_since_ms;
			assert_false(r->status == STORE_RUNNER_APPROVED &&
			             rs.state != RW_STATE_DOWN &&
			             now > base + r->params.interval_ms + r->grace_ms);
		} else {
			assert_int_equal(runstate_advance(&rs, &r->params, now, c), 0);
		}
		assert_true(r->wake_ms > now);
		assert_true(r->wake_ms == INT64_MAX || r->wake_idx < x->f.n_wheap);
		assert_false(r->wake_listed);
	}
}

/* ---- boundaries with no new input -------------------------------------- */

static void test_boundaries(void **state)
{
	struct fx *x = *state;
	/* Probation (1 day) ends at T0 + 10 min; pushes every hour. */
	struct runner *prob = add(x, 1, true, STORE_RUNNER_APPROVED, T0 - DAY + 10 * MINUTE, 3600);
	/* Out of probation; maintenance [T0 + 20 min, T0 + 30 min), declared
	 * two days ahead. */
	struct runner *maint = add(x, 2, true, STORE_RUNNER_APPROVED, T0 - 30 * DAY, 3600);
	/* An http runner whose last answer is at T0 (interval 60 s): stale
	 * after T0 + 120 s. */
	struct runner *stale = add(x, 3, false, STORE_RUNNER_APPROVED, T0 - 30 * DAY, 60);
	/* A push runner every 5 min, grace 20 s: its miss after T0 + 5 min 20 s. */
	struct runner *miss = add(x, 4, true, STORE_RUNNER_APPROVED, T0 - 30 * DAY, 300);
	struct rw_maintenance *mw = calloc(1, sizeof(*mw));
	int64_t now;

	assert_non_null(mw);
	mw->start_ms = T0 + 20 * MINUTE;
	mw->end_ms = T0 + 30 * MINUTE;
	mw->declared_ms = T0 - 2 * DAY;
	fleet_set_maintenance(maint, mw, 1);
	fleet_touch(&x->f, maint);
	fleet_heartbeat(&x->f, prob, T0, false, NULL, -1);
	fleet_heartbeat(&x->f, maint, T0, false, NULL, -1);
	fleet_heartbeat(&x->f, miss, T0, false, NULL, -1);
	result(x, stale, T0, true);
	tick(x, T0);
	assert_int_equal(prob->elig_code, STORE_REASON_PROBATION);
	assert_int_equal(maint->elig_code, 0);
	assert_int_equal(stale->elig_code, 0);
	assert_int_equal(miss->elig_code, 0);

	/* Nothing is due for two minutes: a tick looks at no runner. */
	fleet_advance(&x->f, T0 + SEC);
	assert_int_equal(x->f.n_due, 0);
	fleet_check_all(&x->f, T0 + SEC);

	for (now = T0 + 2 * SEC; now <= T0 + 40 * MINUTE; now += SEC) {
		tick(x, now);
		check_all_judged(x, now);
		/* Each boundary is announced at the first tick after it. */
		assert_int_equal(prob->elig_code,
		                 now < T0 + 10 * MINUTE ? STORE_REASON_PROBATION : 0);
		assert_int_equal(maint->elig_code, now >= T0 + 20 * MINUTE && now < T0 + 30 * MINUTE
		                                           ? STORE_REASON_MAINTENANCE
		                                           : 0);
		assert_int_equal(stale->elig_code,
		                 now <= T0 + 120 * SEC ? 0 : STORE_REASON_UNKNOWN);
		assert_int_equal(miss->elig_code,
		                 now <= T0 + 5 * MINUTE + 20 * SEC ? 0 : STORE_REASON_DOWN);
	}
	assert_int_equal(stale->rs.state, RW_STATE_UNKNOWN);
	assert_int_equal(stale->rs.since_ms, T0 + 120 * SEC);
	assert_int_equal(miss->rs.state, RW_STATE_DOWN);
	assert_int_equal(miss->rs.since_ms, T0 + 5 * MINUTE);
}

/* ---- a randomized fleet against judging every runner ---------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

#define N_RUNNERS 48

enum mode { M_OK, M_FAIL, M_SILENT };

static void test_random_fleet(void **state)
{
	struct fx *x = *state;
	struct runner *rv[N_RUNNERS + 1] = {0};
	int64_t next[N_RUNNERS + 1];
	enum mode mode[N_RUNNERS + 1];
	int64_t now = T0, end = T0 + 8 * H;
	bool policy_changed = false, approved = false, retired = false;
	bool seen[STORE_REASON_RETIRED + 1] = {0};

	for (int id = 1; id <= N_RUNNERS; id++) {
		bool push = id % 5 == 0;
		int status = id % 13 == 0 ? STORE_RUNNER_PENDING : STORE_RUNNER_APPROVED;
		/* A third in probation until some time in the first 6 hours. */
		int64_t created = id % 3 == 0 ? T0 - DAY + (int64_t)rnd(6 * H) : T0 - 30 * DAY;
		uint32_t iv = push ? 30 : (uint32_t)(10 + 10 * rnd(6));

		rv[id] = add(x, id, push, status, created, iv);
		next[id] = T0 + (int64_t)rnd(iv * SEC);
		mode[id] = M_OK;
		if (id % 4 == 1) {
			/* Two or three windows over the 8 hours: declared long
			 * ahead (credited) or an hour ahead (short notice). */
			size_t n = 2 + rnd(2);
			struct rw_maintenance *mw = calloc(n, sizeof(*mw));
			assert_non_null(mw);
			for (size_t k = 0; k < n; k++) {
				mw[k].start_ms = T0 + (int64_t)rnd(7 * H);
				mw[k].end_ms =
				        mw[k].start_ms + 10 * MINUTE + (int64_t)rnd(80 * MINUTE);
				mw[k].declared_ms = rnd(2) ? T0 - 3 * DAY : mw[k].start_ms - H;
			}
			fleet_set_maintenance(rv[id], mw, n);
			fleet_touch(&x->f, rv[id]);
		}
	}
	while (now < end) {
		int64_t prev = now;

		now += 1000 + (int64_t)rnd(40) - 20; /* the tick's timer is not exact */
		for (int id = 1; id <= N_RUNNERS; id++) {
			struct runner *r = rv[id];
			if (!r)
				continue;
			if (rnd(900) == 0)
				mode[id] = (enum mode)rnd(3);
			while (next[id] <= now) {
				int64_t t = next[id] > prev ? next[id] : prev + 1;
				if (mode[id] == M_OK && r->push)
					fleet_heartbeat(&x->f, r, t, false, NULL, -1);
				else if (mode[id] != M_SILENT && !r->push)
					result(x, r, t, mode[id] == M_OK);
				next[id] += r->params.interval_ms;
			}
		}
		tick(x, now);
		check_all_judged(x, now);
		for (size_t i = 0; i < x->f.n; i++)
			if (x->f.v[i]->elig_code >= 0 &&
			    x->f.v[i]->elig_code <= STORE_REASON_RETIRED)
				seen[x->f.v[i]->elig_code] = true;
		/* After the tick, as the daemon's: a flag it sets touches the
		 * runner, announced at the next tick. */
		fleet_evaluate_some(&x->f, now, now - 30 * DAY, (x->f.n + 59) / 60);

		if (!policy_changed && now >= T0 + 3 * H) {
			/* Probation now lasts 2 days: some runners go back in. */
			policy_changed = true;
			x->pol.flagging.probation_days = 2;
			fleet_apply_policy(&x->f, &x->pol);
		}
		if (!approved && now >= T0 + 4 * H) {
			/* A pending runner is approved (a registry change). */
			struct store_runner sr;
			struct runner *r;
			static char *targets[] = {T1};
			bool is_new;
			approved = true;
			memset(&sr, 0, sizeof(sr));
			sr.id = 13;
			sr.name = "r013";
			sr.operator_name = "op";
			sr.kind = "http";
			sr.url = "http://192.0.2.14/health";
			sr.targets = targets;
			sr.n_targets = 1;
			sr.status = STORE_RUNNER_APPROVED;
			sr.created_ms = rv[13]->created_ms;
			assert_int_equal(fleet_upsert(&x->f, &sr, &x->pol, now, &r, &is_new), 0);
			assert_false(is_new);
		}
		if (!retired && now >= T0 + 5 * H) {
			/* A runner is retired, as the daemon does it. */
			retired = true;
			fleet_remove(&x->f, rv[7]);
			fleet_check_eligibility(&x->f, rv[7], now);
			assert_int_equal(rv[7]->elig_code, STORE_REASON_RETIRED);
			runner_free(rv[7]);
			rv[7] = NULL;
		}
	}
	/* The timeline did what it is for: every reason was seen. */
	for (int c = STORE_REASON_NONE; c < STORE_REASON_RETIRED; c++)
		if (!seen[c])
			fail_msg("no runner was ever \"%s\"",
			         c ? store_reason_name(c) : "eligible");
	assert_true(x->m.events > 100);
}

/* ---- pools judged once a batch ------------------------------------------ */

/* Inside a batch, a pool is judged once, at its end, after its runners'
 * events; outside one, at once. */
static void test_batch_pools(void **state)
{
	struct fx *x = *state;
	struct runner *r[3];
	uint64_t ev;
	const struct target_pool *p;

	x->pol.pool.min_runners = 2;
	for (int i = 0; i < 3; i++) {
		r[i] = add(x, i + 1, false, STORE_RUNNER_APPROVED, T0 - 30 * DAY, 60);
		result(x, r[i], T0, true);
	}
	tick(x, T0);
	p = fleet_pool(&x->f, T1);
	assert_non_null(p);
	assert_int_equal(p->min_state, FLEET_POOL_MET);

	/* Two go down in one batch: one pool event, after both of theirs. */
	ev = x->m.events;
	fleet_batch_begin(&x->f);
	for (int i = 0; i < 2; i++) {
		runstate_init(&r[i]->rs, RW_STATE_DOWN, T0 + SEC);
		fleet_hist_append(r[i], T0 + SEC, RW_STATE_DOWN); /* the combined state */
		fleet_check_eligibility(&x->f, r[i], T0 + SEC);
		assert_int_equal(p->min_state, FLEET_POOL_MET); /* not yet */
	}
	assert_int_equal(x->m.events, ev + 2);
	fleet_batch_end(&x->f, T0 + SEC);
	assert_int_equal(p->min_state, FLEET_POOL_BELOW);
	assert_int_equal(x->m.events, ev + 3);

	/* Outside a batch: judged with the change. */
	runstate_init(&r[0]->rs, RW_STATE_UP, T0 + 2 * SEC);
	fleet_hist_append(r[0], T0 + 2 * SEC, RW_STATE_UP);
	fleet_check_eligibility(&x->f, r[0], T0 + 2 * SEC);
	assert_int_equal(p->min_state, FLEET_POOL_MET);
	assert_int_equal(x->m.events, ev + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_boundaries, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_random_fleet, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_batch_pools, setup, teardown),
	};
	log_set_level(RW_LOG_ERROR); /* thousands of state changes */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
