/* SPDX-License-Identifier: MIT */
/*
 * test_status.c — the status page's daily bars against an oracle, and its
 * cache of completed days.
 *
 * The API's context is put together by hand (a store in a temporary file, a
 * fleet with one runner, a libuv loop that never runs) and its clock is held
 * at chosen times (clock_now_ms() never goes back, so setting last_ms ahead
 * of the wall clock fixes "now"). The runner has 80 days of random,
 * minute-aligned history: the part before its in-memory history only in the
 * store (the store's copy of the in-memory part is falsified, so that the
 * page must take memory's), the rest in memory, and maintenance windows.
 * Every bar's exact milliseconds per state (its data-ms attribute) must be
 * what account_period() over the whole history says for that day (the
 * oracle: no formatting of the page is restated here), after each of:
 *   - the first build;
 *   - a rebuild the same day (the cached days are reused: a change written
 *     to the store behind the cache's back does not show);
 *   - the UTC day turning (the cache moves on by a day from memory; the
 *     change behind its back still does not show);
 *   - a change in memory backdated over midnight (the runner's days are
 *     computed again in full: now the store's change shows);
 *   - a policy change (a service window: outside_window appears);
 *   - a maintenance window added to the store, which shows once the
 *     runner's registry generation changes (and not before).
 * Names from operators and runners are HTML-escaped. Past the page's row
 * budget, the summary still counts every runner by state and verdict, built
 * at once and in slices.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "monitor/api/status.h"
#include "monitor/api/api.h"
#include "monitor/core/clock.h"
#include "monitor/core/metrics.h"
#include "monitor/fleet/fleet.h"
#include "monitor/store/store.h"
#include "policy/base/rfc3339.h"
#include "policy/base/strbuf.h"
#include "policy/calendar.h"

#define DAY    ((int64_t)86400000)
#define HOUR   ((int64_t)3600000)
#define MINUTE ((int64_t)60000)
#define T1     "riscv64gc-unknown-linux-gnu"

struct fx {
	char dir[64], db[96];
	uv_loop_t loop;
	/* What the status page reads: the API's context and what it points to. */
	struct rw_clock clock;
	struct rw_policy policy;
	char policy_sha256[65];
	struct metrics m;
	struct fleet fleet;
	struct store *st;
	struct api_ctx x;
	struct status *status;
	struct runner *r;
	int64_t created, mem_start;
	/* The true history: what the store holds before mem_start, then what
	 * memory holds (plus, once visible, the change behind the back). */
	struct rw_interval *truth;
	size_t n_truth;
	struct rw_maintenance mw[4];
	size_t n_mw;
};

/* ---- the oracle ------------------------------------------------------------ */

/* The bar of day @p day with totals @p t as status.c marks it: its date and
 * the milliseconds of down, unknown, maintenance, outside window, up and
 * not registered. */
static void expect_bar(struct strbuf *b, int64_t day, const struct rw_totals *t)
{
	char date[40];

	rfc3339_format(day * DAY, date, sizeof(date));
	strbuf_printf(
	        b, "%.10s=%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ";",
	        date, t->ms[RW_STATE_DOWN], t->ms[RW_STATE_UNKNOWN], t->ms[RW_STATE_MAINTENANCE],
	        t->ms[RW_STATE_OUTSIDE_WINDOW], t->ms[RW_STATE_UP], t->ms[RW_STATE_NOT_REGISTERED]);
}

/* Every bar of runner @p name's strip, in order, as "DAY=MS;" pairs. */
static char *page_bars(const char *page, const char *name)
{
	char key[128];
	const char *p, *end;
	struct strbuf b;

	snprintf(key, sizeof(key), "data-runner=\"%s\"", name);
	p = strstr(page, key);
	assert_non_null(p);
	p = strstr(p, "<svg class=\"bars\""); /* after the uptime gauge */
	assert_non_null(p);
	end = strstr(p, "</svg>");
	assert_non_null(end);
	strbuf_init(&b);
	while ((p = strstr(p, "<g data-day=\"")) != NULL && p < end) {
		const char *day = p + 13, *ms = strstr(day, "\" data-ms=\""), *q;
		assert_non_null(ms);
		ms += 11;
		q = strchr(ms, '"');
		assert_non_null(q);
		strbuf_append(&b, day, 10);
		strbuf_puts(&b, "=");
		strbuf_append(&b, ms, (size_t)(q - ms));
		strbuf_puts(&b, ";");
		p = q;
	}
	assert_false(strbuf_failed(&b));
	if (!b.data)
		strbuf_puts(&b, "");
	return b.data;
}

/* What the bars must be at the clock's now: account_period() per day over
 * the true history, from the runner's registration on (no bar on a day
 * before it; its first day's bar counts the hours before it as not
 * registered). */
static char *oracle_bars(struct fx *f)
{
	int64_t now = f->clock.last_ms, today = now / DAY;
	struct account_input in = {.iv = f->truth,
	                           .n_iv = f->n_truth,
	                           .mw = f->mw,
	                           .n_mw = f->n_mw,
	                           .policy = &f->policy,
	                           .now_ms = now,
	                           .created_ms = f->created};
	struct strbuf b;

	strbuf_init(&b);
	for (int64_t day = today - (STATUS_DAYS - 1); day <= today; day++) {
		int64_t from = day * DAY, to = day == today ? now : from + DAY;
		struct rw_totals t;
		if (from >= to || to <= f->created)
			continue;
		account_period(&in, from, to, &t);
		if (day == f->created / DAY)
			assert_int_equal(t.ms[RW_STATE_NOT_REGISTERED], f->created - from);
		expect_bar(&b, day, &t);
	}
	assert_false(strbuf_failed(&b));
	return b.data;
}

static const char *page(struct fx *f, bool rebuild)
{
	const char *html;
	size_t len;

	if (rebuild) {
		/* The minute job starts a build (the page was served); the
		 * ticks carry it out, slice by slice. */
		status_minute(f->status);
		while (status_tick(f->status))
			;
	}
	assert_int_equal(status_page(f->status, &html, &len), 0);
	assert_int_equal(strlen(html), len);
	return html;
}

/* The page's bars of rv-1 agree with the oracle, day by day. */
static void check_bars(struct fx *f, const char *html, const char *when)
{
	char *got = page_bars(html, "rv-1"), *want = oracle_bars(f);

	if (strcmp(got, want) != 0) {
		const char *g = got, *w = want;
		while (*g && *g == *w)
			g++, w++;
		while (g > got && g[-1] != ';')
			g--, w--;
		fail_msg("%s: the bars differ from the oracle at\n  got:  %.160s\n  want: %.160s",
		         when, g, w);
	}
	assert_null(strstr(html, "are still being computed"));
	free(got);
	free(want);
}

/* The page's bars of rv-1 do not (yet) agree with the oracle. */
static void check_bars_differ(struct fx *f, const char *html, const char *when)
{
	char *got = page_bars(html, "rv-1"), *want = oracle_bars(f);

	if (strcmp(got, want) == 0)
		fail_msg("%s: the bars already agree with the oracle", when);
	free(got);
	free(want);
}

/* ---- history ----------------------------------------------------------------- */

static uint64_t rnd_state = 42;
static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rnd_state >> 33) % n;
}

static void truth_add(struct fx *f, int64_t start, enum rw_state s)
{
	struct rw_interval *nt = realloc(f->truth, (f->n_truth + 1) * sizeof(*nt));
	size_t at = f->n_truth;

	assert_non_null(nt);
	f->truth = nt;
	while (at > 0 && f->truth[at - 1].start_ms > start)
		at--;
	if (at > 0 && f->truth[at - 1].start_ms == start) {
		f->truth[at - 1].state = s;
		return;
	}
	memmove(&f->truth[at + 1], &f->truth[at], (f->n_truth - at) * sizeof(*f->truth));
	f->truth[at].start_ms = start;
	f->truth[at].state = s;
	f->n_truth++;
}

static enum rw_state truth_at(const struct fx *f, int64_t t)
{
	enum rw_state s = RW_STATE_UNKNOWN;
	for (size_t i = 0; i < f->n_truth && f->truth[i].start_ms <= t; i++)
		s = f->truth[i].state;
	return s;
}

static void store_change(struct fx *f, int64_t start, enum rw_state s)
{
	struct store_rec rec = {.kind = STORE_REC_CHANGE};

	rec.u.change.runner_id = f->r->id;
	rec.u.change.start_ms = start;
	rec.u.change.state = (uint8_t)s;
	assert_int_equal(store_write_batch(f->st, &rec, 1), 0);
}

/* A change now known to memory (and the truth). */
static void memory_change(struct fx *f, int64_t start, enum rw_state s)
{
	assert_int_equal(fleet_hist_append(f->r, start, s), 0);
	truth_add(f, start, s);
}

static enum rw_state next_state(enum rw_state prev)
{
	static const enum rw_state states[] = {RW_STATE_UP, RW_STATE_DOWN, RW_STATE_UNKNOWN};
	enum rw_state s;
	do
		s = states[rnd(3)];
	while (s == prev);
	return s;
}

/* ---- fixture ------------------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_runner sr = {0}, got = {0};
	const char *targets[] = {T1};
	uint8_t h[32] = {1};
	char err[256];
	int64_t op, t, now;
	enum rw_state s = RW_STATE_UNKNOWN;
	bool is_new;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rw-status-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	clock_init(&f->clock);
	/* Noon, 2031-03-12 (UTC), well after the wall clock. */
	now = calendar_days_from_civil(2031, 3, 12) * DAY + 12 * HOUR;
	f->clock.last_ms = now;
	policy_defaults(&f->policy);
	snprintf(f->policy_sha256, sizeof(f->policy_sha256), "policy-a");
	fleet_init(&f->fleet, NULL, &f->m, &f->policy);
	assert_int_equal(store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)), 0);
	f->x = (struct api_ctx){.loop = &f->loop,
	                        .st = f->st,
	                        .fleet = &f->fleet,
	                        .policy = &f->policy,
	                        .policy_sha256 = f->policy_sha256,
	                        .clock = &f->clock,
	                        .m = &f->m};
	f->status = status_new(&f->x);
	assert_non_null(f->status);
	assert_int_equal(store_operator_add(f->st, "acme", "a@b.c", h, 1, &op), 0);

	/* Registered 80 days ago at 07:13: inside the page's 90 days. */
	f->created = now - 80 * DAY - 12 * HOUR + 7 * HOUR + 13 * MINUTE;
	sr.operator_id = op;
	sr.kind = "http";
	sr.url = "http://192.0.2.1/health";
	sr.targets = (char **)targets;
	sr.n_targets = 1;
	sr.status = STORE_RUNNER_APPROVED;
	sr.name = "rv-1";
	assert_int_equal(store_runner_add(f->st, &sr, f->created), 0);
	assert_int_equal(store_runner_get(f->st, NULL, sr.id, &got), 0);
	assert_int_equal(fleet_upsert(&f->fleet, &got, &f->policy, f->created, &f->r, &is_new), 0);
	store_runner_deinit(&got);
	truth_add(f, f->created, RW_STATE_UNKNOWN);

	/* 80 days of changes every 1 to 12 hours, minute-aligned, until 2 h
	 * before now. Before mem_start they go to the store only; from the
	 * change in effect at mem_start on, to memory (and a falsified copy to
	 * the store: the page must prefer memory). */
	f->mem_start = now - 31 * DAY;
	f->r->n_hist = 0;
	for (t = f->created + HOUR; t < now - 2 * HOUR; t += (1 + rnd(12 * 60)) * MINUTE) {
		s = next_state(s);
		truth_add(f, t, s);
		if (t < f->mem_start)
			store_change(f, t, s);
		else
			store_change(f, t, s == RW_STATE_UP ? RW_STATE_DOWN : RW_STATE_UP);
	}
	for (size_t i = 0; i < f->n_truth; i++) {
		bool last_before = i + 1 == f->n_truth || f->truth[i + 1].start_ms > f->mem_start;
		if (f->truth[i].start_ms >= f->mem_start || last_before)
			assert_int_equal(
			        fleet_hist_append(f->r, f->truth[i].start_ms, f->truth[i].state),
			        0);
	}
	assert_true(f->r->hist[0].start_ms <= f->mem_start);

	/* Maintenance, declared in time: 60 days ago (store only, for the
	 * accounting), 5 days ago, and one that runs over midnight. */
	{
		int64_t starts[3] = {now - 60 * DAY + 2 * HOUR, now - 5 * DAY - 3 * HOUR,
		                     (now / DAY - 2) * DAY - HOUR};
		struct rw_maintenance *mem = calloc(3, sizeof(*mem));
		assert_non_null(mem);
		for (size_t i = 0; i < 3; i++) {
			f->mw[i].start_ms = starts[i];
			f->mw[i].end_ms = starts[i] + 2 * HOUR + 30 * MINUTE;
			f->mw[i].declared_ms = starts[i] - 3 * DAY;
			assert_int_equal(store_maintenance_add(f->st, f->r->id, f->mw[i].start_ms,
			                                       f->mw[i].end_ms,
			                                       f->mw[i].declared_ms, "kernel",
			                                       NULL),
			                 0);
			mem[i] = f->mw[i];
		}
		f->n_mw = 3;
		fleet_set_maintenance(f->r, mem, 3);
		/* Adding them bumped the stored generation: so does the fleet. */
		assert_int_equal(store_runner_get(f->st, NULL, f->r->id, &got), 0);
		f->r->gen = got.gen;
		store_runner_deinit(&got);
	}
	runstate_init(&f->r->rs, truth_at(f, now), f->r->hist[f->r->n_hist - 1].start_ms);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[160];

	status_free(f->status);
	fleet_deinit(&f->fleet);
	store_close(f->st);
	policy_deinit(&f->policy);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	snprintf(path, sizeof(path), "%s/rw.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rw.db-shm", f->dir);
	unlink(path);
	unlink(f->db);
	rmdir(f->dir);
	free(f->truth);
	free(f);
	return 0;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_bars_and_cache(void **state)
{
	struct fx *f = *state;
	int64_t day0 = f->clock.last_ms / DAY, hidden = 0;
	enum rw_state other;

	/* An 80-day history with store and memory parts, and maintenance. */
	check_bars(f, page(f, false), "first build");

	/* The change behind the cache's back, 60 days ago: 30 s after a
	 * change, another state until the next one. */
	for (size_t i = 0; i < f->n_truth && !hidden; i++)
		if (f->truth[i].start_ms >= (day0 - 60) * DAY)
			hidden = f->truth[i].start_ms + 30000;
	other = truth_at(f, hidden) == RW_STATE_DOWN ? RW_STATE_UP : RW_STATE_DOWN;

	/* The same day again: the completed days come from the cache. A
	 * change the store gains behind its back (not through memory, not
	 * with a generation bump: nothing the daemon does) stays unseen. */
	store_change(f, hidden, other);
	check_bars(f, page(f, true), "rebuilt the same day");

	/* The next day: the cache moves on by the day that ended, from memory
	 * (which had changes after noon), not from the store. */
	memory_change(f, f->clock.last_ms + HOUR, RW_STATE_UP);
	memory_change(f, f->clock.last_ms + 5 * HOUR, RW_STATE_DOWN);
	memory_change(f, f->clock.last_ms + 10 * HOUR, RW_STATE_UP);
	f->clock.last_ms += DAY;
	check_bars(f, page(f, true), "a day later");

	/* A down interval backdated over midnight: the runner's completed days
	 * are computed again in full, so the store's change now shows. */
	memory_change(f, (day0 + 1) * DAY - 30 * MINUTE, RW_STATE_DOWN);
	memory_change(f, (day0 + 1) * DAY + 20 * MINUTE, RW_STATE_UP);
	truth_add(f, hidden, other);
	check_bars(f, page(f, true), "after a backdated change");

	/* A new policy: a service window, mon-fri 06:00-22:00. */
	f->policy.service_spans = calloc(1, sizeof(*f->policy.service_spans));
	assert_non_null(f->policy.service_spans);
	f->policy.service_spans[0].days = 0x1f;
	f->policy.service_spans[0].from_min = 6 * 60;
	f->policy.service_spans[0].to_min = 22 * 60;
	f->policy.n_service_spans = 1;
	snprintf(f->policy_sha256, sizeof(f->policy_sha256), "policy-b");
	{
		const char *html = page(f, true);
		check_bars(f, html, "under a new policy");
		assert_non_null(strstr(html, "; outside window "));
	}

	/* A maintenance window declared long ago for 40 days ago, added to
	 * the store now: adding it bumps the runner's registry generation, and
	 * the daemon takes the new generation, so the days are computed again
	 * with it. (This skips the daemon's reload of the in-memory windows:
	 * the window is older than those matter for.) */
	{
		struct store_runner got = {0};
		int64_t start = (day0 - 40) * DAY + 14 * HOUR;
		f->mw[f->n_mw].start_ms = start;
		f->mw[f->n_mw].end_ms = start + 90 * MINUTE;
		f->mw[f->n_mw].declared_ms = start - 10 * DAY;
		assert_int_equal(store_maintenance_add(f->st, f->r->id, start, start + 90 * MINUTE,
		                                       start - 10 * DAY, "disk", NULL),
		                 0);
		f->n_mw++;
		check_bars_differ(f, page(f, true), "before the generation is taken");
		assert_int_equal(store_runner_get(f->st, NULL, f->r->id, &got), 0);
		assert_true(got.gen > f->r->gen);
		f->r->gen = got.gen;
		store_runner_deinit(&got);
		check_bars(f, page(f, true), "after a generation change");
	}
}

/* Operator and runner names are escaped (the CLI and API restrict names;
 * the page does not rely on it). */
static void test_escaping(void **state)
{
	struct fx *f = *state;
	struct store_runner sr = {0}, got = {0};
	const char *targets[] = {"x<y>"};
	uint8_t h[32] = {2};
	int64_t op;
	struct runner *r;
	bool is_new;
	const char *html;

	assert_int_equal(store_operator_add(f->st, "o'&\"", "o@b.c", h, 1, &op), 0);
	sr.operator_id = op;
	sr.kind = "http";
	sr.url = "http://192.0.2.2/health";
	sr.targets = (char **)targets;
	sr.n_targets = 1;
	sr.status = STORE_RUNNER_APPROVED;
	sr.name = "a<b>&c";
	assert_int_equal(store_runner_add(f->st, &sr, f->created), 0);
	assert_int_equal(store_runner_get(f->st, NULL, sr.id, &got), 0);
	assert_int_equal(fleet_upsert(&f->fleet, &got, &f->policy, f->created, &r, &is_new), 0);
	store_runner_deinit(&got);
	html = page(f, false);
	assert_non_null(strstr(html, "<td class=\"name\">a&lt;b&gt;&amp;c</td>"));
	assert_non_null(strstr(html, "data-runner=\"a&lt;b&gt;&amp;c\""));
	assert_non_null(strstr(html, "<td>o&#39;&amp;&quot;</td>"));
	assert_non_null(strstr(html, "data-target=\"x&lt;y&gt;\""));
	assert_null(strstr(html, "a<b>"));
	assert_null(strstr(html, "x<y>"));
}

/* How many times @p needle occurs in @p hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The summary counts every runner with a target, whether listed or not:
 * by state (from the fleet) and by verdict (the verdicts sum to them), and
 * names the runners down in its attention list (at most 20, then a count). */
static void check_summary(struct fx *f, const char *html)
{
	size_t n = 0, up = 0, down = 0, sum = 0;
	const char *p = strstr(html, "<section id=\"summary\"");
	const char *q = strstr(html, "<section class=\"target\"");
	char want[160];

	assert_non_null(p);
	assert_non_null(q);
	assert_true(p < q);
	for (size_t i = 0; i < f->fleet.n; i++) {
		const struct runner *r = f->fleet.v[i];
		if (r->n_targets == 0)
			continue;
		n++;
		up += runner_state(r) == RW_STATE_UP;
		down += runner_state(r) == RW_STATE_DOWN;
	}
	snprintf(want, sizeof(want),
	         "<span class=\"big\">%zu</span> runners<br><span class=\"sub\">%zu up, %zu "
	         "down, %zu other</span>",
	         n, up, down, n - up - down);
	if (!strstr(p, want))
		fail_msg("no summary card \"%s\"", want);
	for (const char *c = p; (c = strstr(c, "<div class=\"card k-")) && c < q; c++) {
		const char *v = strstr(c, "<span class=\"verdict v-");
		if (!v || v > strstr(c, "</div>"))
			continue;
		sum += strtoull(strstr(c, "class=\"big\">") + strlen("class=\"big\">"), NULL, 10);
	}
	if (sum != n)
		fail_msg("the verdicts sum to %zu, not %zu:\n%.*s", sum, n, (int)(q - p), p);
	assert_true(down > 0);
	if (down <= 20)
		assert_int_equal(count(p, "<li><span class=\"st st-down\">down</span> "), down);
}

/* A fleet past the page's row budget: the page lists only the runners not
 * eligible (as announced), at most its budget of them, and says where the
 * others are; and the incidents listed are at most 50, the rest counted. */
static void test_big_fleet(void **state)
{
	struct fx *f = *state;
	const char *targets[] = {T1};
	struct store_incident *inc = NULL;
	size_t n_inc = 0;
	int64_t now = f->clock.last_ms;
	const char *html;
	size_t len;
	char want[160];

	for (int i = 0; i < 599; i++) {
		struct store_runner sr = {0};
		struct runner *r;
		char name[32];
		bool is_new;
		snprintf(name, sizeof(name), "big-%03d", i);
		sr.id = 1000 + i;
		sr.name = name;
		sr.operator_name = "acme";
		sr.kind = "http";
		sr.url = "http://192.0.2.3/health";
		sr.targets = (char **)targets;
		sr.n_targets = 1;
		sr.status = STORE_RUNNER_APPROVED;
		sr.created_ms = f->created;
		assert_int_equal(fleet_upsert(&f->fleet, &sr, &f->policy, f->created, &r, &is_new),
		                 0);
		r->elig_code = i % 10 ? 0 : STORE_REASON_DOWN;
		if (i % 100 == 0)
			fleet_hist_append(r, f->created, RW_STATE_DOWN);
	}
	/* 61 excluded: every tenth, and rv-1 (never announced). */
	assert_int_equal(status_render(f->status, now, &html, &len), 0);
	assert_non_null(strstr(html, "<p class=\"pool\">539 of 600 runners eligible for jobs."));
	assert_non_null(strstr(html, "Too many runners for one page"));
	assert_non_null(strstr(html, "GET /v1/route?target=" T1));
	assert_int_equal(count(html, "<tr class=\"runner\""), 61);
	assert_non_null(strstr(html, "data-runner=\"big-010\""));
	assert_null(strstr(html, "data-runner=\"big-011\""));
	assert_null(strstr(html, "excluded runners not shown"));
	check_summary(f, html);
	/* Built in slices (the minute job, then the ticks), the summary's
	 * judgements are gathered over the whole fleet all the same. */
	page(f, true);
	html = page(f, true);
	check_summary(f, html);

	/* All excluded: the budget's worth (the first registered, shown by
	 * name), and a count of the rest. */
	for (size_t i = 0; i < f->fleet.n; i++)
		f->fleet.v[i]->elig_code = STORE_REASON_DOWN;
	assert_int_equal(status_render(f->status, now, &html, &len), 0);
	assert_int_equal(count(html, "<tr class=\"runner\""), 500);
	assert_non_null(strstr(html, "And 100 more excluded runners not shown"));

	/* Incidents: at most 50 rows, however many there are. */
	assert_int_equal(
	        store_incident_list(f->st, 0, 0, (now / DAY - 89) * DAY, now + 1, &inc, &n_inc), 0);
	store_incidents_free(inc, n_inc);
	for (int k = 0; n_inc + (size_t)k < 70; k++) {
		/* Ten-minute outages an hour apart, in the last few days. */
		store_change(f, now - (int64_t)(k + 1) * HOUR, RW_STATE_DOWN);
		store_change(f, now - (int64_t)(k + 1) * HOUR + 10 * MINUTE, RW_STATE_UP);
	}
	assert_int_equal(
	        store_incident_list(f->st, 0, 0, (now / DAY - 89) * DAY, now + 1, &inc, &n_inc), 0);
	store_incidents_free(inc, n_inc);
	assert_true(n_inc > 50);
	assert_int_equal(status_render(f->status, now, &html, &len), 0);
	assert_int_equal(count(html, "<tr class=\"incident\""), 50);
	snprintf(want, sizeof(want), "And %zu more not shown", n_inc - 50);
	assert_non_null(strstr(html, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_bars_and_cache, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_big_fleet, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
