/* SPDX-License-Identifier: MIT */
/*
 * test_fleet_metrics.c — the per-runner families of fleet_render_metrics()
 * (monitor/fleet/fleet_metrics.c), on a fleet built in memory with exact
 * histories (no probe, no writer, no database):
 *
 * - runwarden_runner_state lists the four states for every approved runner,
 *   1 for the current one: up, down, unknown, and maintenance (credited
 *   maintenance wins over the state machine's up, as in the route);
 * - runwarden_runner_uptime_ratio is up / (up + down) over the rolling
 *   window, the same number account_period() gives (the route's), and is
 *   left out while the window has no up or down time;
 * - runwarden_runner_floor_ratio is the strictest floor of the runner's
 *   targets' tiers;
 * - runwarden_runner_probe_duration_seconds is the last answered probe's
 *   duration, left out for a runner that has none;
 * - runwarden_runner_target_info names each target and its tier ("default"
 *   for a target the policy does not map);
 * - pending runners have no series, nor does a runner once it is retired;
 * - label values are escaped, each family has one HELP and one TYPE line,
 *   and the number of series is what README.md's formula says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/fleet/fleet.h"

#define T1 "riscv64gc-unknown-linux-gnu" /* tier 2 in the policy */
#define T2 "s390x-unknown-linux-gnu"     /* not mapped: the default floor */
#define H  3600000LL
/* 2024-03-15T00:00:00Z: mid-month, so that maintenance caps do not reset. */
#define T0 1710460800000LL

struct fx {
	struct metrics m;
	struct rw_policy pol;
	struct fleet f;
};

static struct runner *add(struct fx *x, int64_t id, const char *name, const char *op, int status,
                          char **targets, size_t n_targets)
{
	struct store_runner sr;
	struct runner *r;
	char url[64];
	bool is_new;

	memset(&sr, 0, sizeof(sr));
	snprintf(url, sizeof(url), "http://192.0.2.%d/health", (int)id);
	sr.id = id;
	sr.name = (char *)name;
	sr.operator_name = (char *)op;
	sr.kind = "http";
	sr.url = url;
	sr.targets = targets;
	sr.n_targets = n_targets;
	sr.status = status;
	sr.created_ms = T0 - 60 * 24 * H;
	assert_int_equal(fleet_upsert(&x->f, &sr, &x->pol, T0, &r, &is_new), 0);
	assert_true(is_new);
	return r;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	static struct rw_policy_tier tiers[1];
	static struct rw_policy_target targets[1];

	if (!x)
		return -1;
	policy_defaults(&x->pol);
	x->pol.uptime_floor = 0.95;
	x->pol.floor_ppm = 950000;
	tiers[0] = (struct rw_policy_tier){.tier = 2, .uptime_floor = 0.99, .floor_ppm = 990000};
	targets[0] = (struct rw_policy_target){.triple = T1, .tier = 2};
	x->pol.tiers = tiers;
	x->pol.n_tiers = 1;
	x->pol.targets = targets;
	x->pol.n_targets = 1;
	fleet_init(&x->f, NULL, &x->m, &x->pol);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fleet_deinit(&x->f);
	/* The tiers and targets are static: not the policy's to free. */
	free(x);
	return 0;
}

static char *render(struct fx *x, int64_t now)
{
	struct strbuf b;
	char *text;

	strbuf_init(&b);
	fleet_render_metrics(&x->f, now, &b);
	assert_false(strbuf_failed(&b));
	text = strbuf_take(&b, NULL);
	assert_non_null(text);
	return text;
}

/* The value of the sample line `series VALUE`; fails when there is none. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	fail_msg("no sample %s in:\n%s", series, text);
	return -1;
}

/* Lines of @p text that start with @p prefix. */
static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return n;
}

static void expect_state(const char *text, const char *runner, const char *op, const char *now)
{
	static const char *const states[] = {"unknown", "up", "down", "maintenance"};
	char series[256];

	for (size_t k = 0; k < 4; k++) {
		snprintf(series, sizeof(series),
		         "runwarden_runner_state{runner=\"%s\",operator=\"%s\",state=\"%s\"}",
		         runner, op, states[k]);
		if (sample(text, series) != (strcmp(states[k], now) == 0 ? 1 : 0))
			fail_msg("%s: want 1 for %s only:\n%s", series, now, text);
	}
}

static void test_runner_families(void **state)
{
	struct fx *x = *state;
	char *both[] = {T1, T2}, *one[] = {T2};
	struct runner *up, *down, *fresh, *maint, *pending, *gone;
	struct rw_maintenance *mw;
	int64_t now = T0 + 10 * H;
	char *text;

	/* up: unknown from T0, up at +1h, down at +3h, up at +4h: 8 h up and
	 * 1 h down by +10h. */
	up = add(x, 1, "rv-1", "acme", STORE_RUNNER_APPROVED, both, 2);
	fleet_hist_append(up, T0 + 1 * H, RW_STATE_UP);
	fleet_hist_append(up, T0 + 3 * H, RW_STATE_DOWN);
	fleet_hist_append(up, T0 + 4 * H, RW_STATE_UP);
	runstate_init(&up->rs, RW_STATE_UP, T0 + 4 * H);
	up->last_latency_us = 12500;
	/* down since +2h after an hour up: 1 h up, 8 h down. */
	down = add(x, 2, "s390-1", "op\"er\\ator", STORE_RUNNER_APPROVED, one, 1);
	fleet_hist_append(down, T0 + 1 * H, RW_STATE_UP);
	fleet_hist_append(down, T0 + 2 * H, RW_STATE_DOWN);
	runstate_init(&down->rs, RW_STATE_DOWN, T0 + 2 * H);
	/* fresh: never seen up or down, no probe answered. */
	fresh = add(x, 3, "fresh", "acme", STORE_RUNNER_APPROVED, one, 1);
	/* maint: up, but in maintenance declared two days ahead. */
	maint = add(x, 4, "maint", "acme", STORE_RUNNER_APPROVED, one, 1);
	fleet_hist_append(maint, T0 + 1 * H, RW_STATE_UP);
	runstate_init(&maint->rs, RW_STATE_UP, T0 + 1 * H);
	mw = calloc(1, sizeof(*mw));
	assert_non_null(mw);
	mw->start_ms = now - H;
	mw->end_ms = now + H;
	mw->declared_ms = now - 48 * H;
	fleet_set_maintenance(maint, mw, 1);
	maint->last_latency_us = 0;
	/* pending and retired runners have no series. */
	pending = add(x, 5, "pending", "acme", STORE_RUNNER_PENDING, one, 1);
	pending->last_latency_us = 1000;
	gone = add(x, 6, "gone", "acme", STORE_RUNNER_APPROVED, one, 1);
	(void)fresh;

	text = render(x, now);
	assert_non_null(strstr(text, "runwarden_runner_state{runner=\"gone\""));
	free(text);
	fleet_remove(&x->f, gone);
	runner_free(gone);
	text = render(x, now);

	expect_state(text, "rv-1", "acme", "up");
	expect_state(text, "s390-1", "op\\\"er\\\\ator", "down");
	expect_state(text, "fresh", "acme", "unknown");
	expect_state(text, "maint", "acme", "maintenance");
	assert_null(strstr(text, "runner=\"pending\""));
	assert_null(strstr(text, "runner=\"gone\""));

	/* Uptime: exactly the accounting's, over the rolling window, in the
	 * parts per million every view prints (fleet_judge()). */
	{
		struct rw_availability a;
		double got = sample(text, "runwarden_runner_uptime_ratio{runner=\"rv-1\","
		                          "operator=\"acme\"}");
		fleet_judge(&x->f, up, now, now - 30 * 24 * H, now, &a);
		assert_true(a.has_uptime);
		assert_true(got == a.uptime_ppm / 1e6);
		assert_true(got == 888888 / 1e6); /* 8/9, truncated */
		assert_true(sample(text, "runwarden_runner_uptime_ratio{runner=\"s390-1\","
		                         "operator=\"op\\\"er\\\\ator\"}") == 111111 / 1e6);
		assert_true(sample(text, "runwarden_runner_uptime_ratio{runner=\"maint\","
		                         "operator=\"acme\"}") == 1.0);
		assert_null(strstr(text, "runwarden_runner_uptime_ratio{runner=\"fresh\""));
	}
	/* Floors: the strictest tier of the runner's targets. */
	assert_true(
	        sample(text, "runwarden_runner_floor_ratio{runner=\"rv-1\",operator=\"acme\"}") ==
	        0.99);
	assert_true(
	        sample(text, "runwarden_runner_floor_ratio{runner=\"fresh\",operator=\"acme\"}") ==
	        0.95);
	/* Probe durations: seconds, only where a probe was answered. */
	assert_true(sample(text, "runwarden_runner_probe_duration_seconds{runner=\"rv-1\"}") ==
	            0.0125);
	assert_true(sample(text, "runwarden_runner_probe_duration_seconds{runner=\"maint\"}") == 0);
	assert_null(strstr(text, "runwarden_runner_probe_duration_seconds{runner=\"fresh\""));
	assert_null(strstr(text, "runwarden_runner_probe_duration_seconds{runner=\"s390-1\""));
	/* Targets and their tiers. */
	assert_true(sample(text, "runwarden_runner_target_info{runner=\"rv-1\",target=\"" T1
	                         "\",tier=\"2\"}") == 1);
	assert_true(sample(text, "runwarden_runner_target_info{runner=\"rv-1\",target=\"" T2
	                         "\",tier=\"default\"}") == 1);

	/* One HELP and one TYPE per family. */
	{
		static const char *const fams[] = {
		        "runwarden_runner_state",       "runwarden_runner_uptime_ratio",
		        "runwarden_runner_floor_ratio", "runwarden_runner_probe_duration_seconds",
		        "runwarden_runner_target_info",
		};
		for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
			char help[128], type[128];
			snprintf(help, sizeof(help), "# HELP %s ", fams[i]);
			snprintf(type, sizeof(type), "# TYPE %s gauge", fams[i]);
			assert_int_equal(count_lines(text, help), 1);
			assert_int_equal(count_lines(text, type), 1);
		}
	}
	/* README.md: 4 N state series, N floors, at most N uptimes and N probe
	 * durations, one target_info per (runner, target). Here N = 4 approved
	 * runners, 3 with uptime, 2 with a duration, 5 targets. */
	assert_int_equal(count_lines(text, "runwarden_runner_state{"), 4 * 4);
	assert_int_equal(count_lines(text, "runwarden_runner_uptime_ratio{"), 3);
	assert_int_equal(count_lines(text, "runwarden_runner_floor_ratio{"), 4);
	assert_int_equal(count_lines(text, "runwarden_runner_probe_duration_seconds{"), 2);
	assert_int_equal(count_lines(text, "runwarden_runner_target_info{"), 5);
	free(text);
}

/* A fleet with no approved runner still has every family's HELP and TYPE,
 * and no series. */
/* fleet_metrics_walk_step() with a deadline always past: one runner a
 * step. The pieces make the text one render makes; a runner added in the
 * middle of a walk shows in the families not yet begun, and every family
 * still has one HELP line. */
static void test_walk_in_steps(void **state)
{
	struct fx *x = *state;
	char *one[] = {T1}, *two[] = {T1, T2};
	int64_t now = T0 + 10 * H;
	struct fleet_metrics_walk w;
	struct strbuf b;
	size_t steps = 0;
	char *whole, *pieces;

	for (int64_t id = 1; id <= 40; id++) {
		char name[16];
		struct runner *r;
		snprintf(name, sizeof(name), "r%02d", (int)id);
		r = add(x, id, name, id % 3 ? "acme" : "bravo",
		        id % 7 ? STORE_RUNNER_APPROVED : STORE_RUNNER_PENDING, id % 2 ? one : two,
		        id % 2 ? 1 : 2);
		fleet_hist_append(r, T0 + (id % 5) * H, id % 4 ? RW_STATE_UP : RW_STATE_DOWN);
		runstate_init(&r->rs, id % 4 ? RW_STATE_UP : RW_STATE_DOWN, T0 + (id % 5) * H);
		r->last_latency_us = id % 6 ? (int32_t)id * 1000 : -1;
	}
	whole = render(x, now);

	strbuf_init(&b);
	assert_int_equal(fleet_metrics_walk_init(&w, &x->f, now), 0);
	while (!fleet_metrics_walk_step(&x->f, &w, &b, 1))
		steps++;
	fleet_metrics_walk_deinit(&w);
	assert_false(strbuf_failed(&b));
	pieces = strbuf_take(&b, NULL);
	assert_true(steps > 40); /* it paused inside families, not only between them */
	assert_string_equal(pieces, whole);
	free(pieces);
	free(whole);

	/* A runner joins while the uptime family is being walked. */
	strbuf_init(&b);
	assert_int_equal(fleet_metrics_walk_init(&w, &x->f, now), 0);
	while (!strstr(b.data ? b.data : "", "runwarden_runner_uptime_ratio{runner=\"r20\""))
		assert_false(fleet_metrics_walk_step(&x->f, &w, &b, 1));
	add(x, 41, "late", "acme", STORE_RUNNER_APPROVED, one, 1);
	while (!fleet_metrics_walk_step(&x->f, &w, &b, 1))
		;
	fleet_metrics_walk_deinit(&w);
	pieces = strbuf_take(&b, NULL);
	assert_non_null(pieces);
	assert_int_equal(count_lines(pieces, "# HELP runwarden_runner_floor_ratio "), 1);
	assert_int_equal(count_lines(pieces, "# HELP runwarden_runner_uptime_ratio "), 1);
	assert_int_equal(count_lines(pieces, "runwarden_runner_floor_ratio{runner=\"late\""), 1);
	assert_int_equal(count_lines(pieces, "runwarden_runner_target_info{runner=\"late\""), 1);
	/* The state family was done before it joined. */
	assert_int_equal(count_lines(pieces, "runwarden_runner_state{runner=\"late\""), 0);
	free(pieces);
}

static void test_empty_fleet(void **state)
{
	struct fx *x = *state;
	char *text = render(x, T0);

	assert_int_equal(count_lines(text, "# TYPE runwarden_runner_state gauge"), 1);
	assert_int_equal(count_lines(text, "runwarden_runner_state{"), 0);
	assert_int_equal(count_lines(text, "runwarden_runner_target_info{"), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_runner_families, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_walk_in_steps, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_empty_fleet, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
