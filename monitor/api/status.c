/* SPDX-License-Identifier: MIT */
/*
 * status.c — the status page at GET /; see status.h.
 *
 * What the page shows and where each figure comes from:
 *  - first, the summary: the runners with a target, by state and by rolling
 *    verdict, the target pools with fewer eligible runners than the
 *    policy's pool.min_runners, the open incidents, and a list naming the
 *    runners down or failing and the pools below the minimum (at most
 *    STATUS_MAX_ATTENTION, then a count). The runners are judged for it in
 *    the build's slices, a pass over the fleet by id before the rows
 *    (build_step(): each judgement is kept in the runner's cache entry and
 *    reused by its rows); the open incidents are counted from the incident
 *    query (open ones come first);
 *  - per target pool (sorted by triple; tier from policy_target_tier()) its
 *    runners (sorted by name): the state machine's state and since when,
 *    routing (eligible, or fleet_exclusion()'s reason), the rolling-window
 *    uptime and verdict (fleet_judge() over [now - rolling_days, now):
 *    account_judge(), as the route answer, the availability API, what-if
 *    and the monthly report compute them), a gauge of that uptime against
 *    the runner's floor (policy/base/gauge.h), the floor;
 *  - per runner, STATUS_DAYS daily bars (UTC days, the last one today so
 *    far): account_period_days() over the runner's stored intervals before
 *    its in-memory history and that history after it (memory is
 *    authoritative from its first entry, as in api_route.c's
 *    availability()), with its stored maintenance windows and its
 *    registration. A bar is split top to bottom into down, unknown,
 *    maintenance, outside the service window and up, in proportion to the
 *    runner's part of the day; a day with any down time shows at least 1 px
 *    of it; a day before the runner's registration has no bar, and the bar
 *    of its first day carries the time before it as not registered (the
 *    sixth number of data-ms);
 *  - the incidents that overlap the last STATUS_DAYS days, newest first.
 *
 * Cost: raw samples are never read, and completed days are computed once.
 * Each runner's cache entry keeps its STATUS_DAYS - 1 completed days (the
 * six states' milliseconds per day) and their bars rendered as SVG. An
 * entry is computed in full (store_intervals() and store_maintenance_list()
 * over those days, merged with memory, then account_period_days()) when it
 * is new, when the runner's registry generation changed (maintenance
 * changes bump it), when the policy changed (its SHA-256), or when the
 * runner's in-memory history gained or replaced a change that starts before
 * the entry's "today" (a down interval backdated over midnight, the
 * monitor's blindness). When the UTC day turns, an entry moves on by the
 * days that ended, computed from memory. A build stops starting full
 * computations once they have taken STATUS_COMPUTE_BUDGET_NS; a runner left
 * for later shows today's bar only, the page says so, and a request STATUS_RETRY_MS later (or the
 * minute job) builds again. Otherwise a build is, per runner, today's bar
 * and the rolling uptime from memory (as the route answer computes it)
 * plus copying its cached bars, and one incident query.
 *
 * Layout: a table per target on a laptop (the bars narrow down to 2.5 px a
 * day before the table would overflow); on a screen below 980 px (a tablet,
 * a phone) each row
 * is a card, its cells labelled by CSS alone (so the markup stays one
 * table); printed, rows stay whole and colours are kept. Verdicts and
 * states are words with a symbol in colour, never colour alone.

 *
 * Every string that came from an operator or a runner (names, targets,
 * notes) goes through put_html(); numbers and times are formatted here.
 */
#include "monitor/api/status.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/core/clock.h"
#include "monitor/core/log.h"
#include "monitor/api/api.h"
#include "monitor/fleet/fleet.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"
#include "policy/base/duration.h"
#include "policy/base/gauge.h"
#include "policy/base/html.h"
#include "policy/base/rfc3339.h"

#define DAY_MS                   ((int64_t)86400000)
#define PAST                     (STATUS_DAYS - 1) /* completed days: all bars but today's */
#define STATUS_COMPUTE_BUDGET_NS ((uint64_t)20 * 1000 * 1000)
#define STATUS_RETRY_MS          5000 /* an incomplete page is built again after this */
#define STATUS_MAX_ROWS          500  /* runner rows; past it, excluded runners only */
#define STATUS_SLICE_NS          ((uint64_t)1000 * 1000) /* one slice of a build */
#define STATUS_MAX_INCIDENTS     50 /* open, then newest, shown; the rest are counted */
#define BAR_W                    4  /* px per day: a 3 px column and a 1 px gap */
#define BAR_H                    32 /* px */
#define STATUS_MAX_ATTENTION     20 /* runners and pools named in the summary */

/* One runner's completed days, and what they were computed from. */
struct status_runner {
	int64_t runner_id;
	bool valid;
	int64_t day0;        /* past[i] is UTC day day0 + i (days since 1970-01-01) */
	int64_t gen;         /* the runner's registry generation */
	uint64_t policy_gen; /* status.policy_gen */
	bool has_last;
	struct rw_interval last;            /* the runner's latest in-memory change */
	int32_t past[PAST][RW_STATE_COUNT]; /* ms of each state; all 0: no bar */
	char *svg;                          /* the past days' bars (SVG groups) */
	size_t svg_len;
	struct rw_availability avail; /* the rolling verdict, as build "judged" judged it */
	uint64_t judged;              /* the build (status.builds) that judged avail; 0: none */
};

struct status {
	const struct api_ctx *x; /* the API's; outlives the cache */
	char *html;              /* the cached page; NULL before the first build */
	size_t len;
	uint64_t built_loop; /* uv_now() of the build */
	bool complete;       /* false: some runners' past is missing; build again */
	bool served;         /* served since it was built */

	char policy_sha256[65];   /* of the policy the entries were computed under */
	uint64_t policy_gen;      /* bumped when it changes */
	struct status_runner *rv; /* sorted by runner id, like the fleet */
	size_t n_rv;
	struct rw_interval *merged; /* scratch: stored prefix + memory */
	size_t cap_merged;
	struct build *bd; /* a build in progress (status_tick() continues it), or NULL */
	uint64_t builds;  /* builds begun; numbers them from 1 */
};

/* One target's section of a page being built: what it lists, by id, so
 * that a runner leaving the fleet while the build goes on is skipped. */
struct pool_plan {
	char *triple;
	size_t total;    /* runners serving it */
	size_t eligible; /* of which eligible */
	int64_t *ids;    /* the rows, sorted by name */
	size_t n_ids;
	size_t left_out; /* excluded runners past the page's row budget */
	bool below;      /* fewer eligible runners than the policy's minimum */
};

/* One build of the page: planned at once (build_begin()), its rows
 * rendered in slices (build_step()), assembled at the end (build_finish()). */
struct build {
	const struct api_ctx *x;
	struct status *s;
	int64_t now;
	int64_t day0;        /* the first bar's day */
	int64_t today_start; /* the last bar's: (day0 + PAST) * DAY_MS */
	uint64_t budget_ns;  /* left for full computations */
	size_t unread;       /* runners shown without their completed days */
	size_t n_runners;    /* runners with a target */
	bool big;            /* more rows than STATUS_MAX_ROWS: excluded runners only */
	struct pool_plan *pools;
	size_t n_pools, pool_i, row_i;
	uint64_t serial; /* status.builds when it began */
	/* The summary's counts: the judging pass (by id, after judged_id) and
	 * build_begin()'s pools. */
	bool judging_done;
	int64_t judged_id; /* the last runner judged; 0: none yet */
	size_t judged_n, verdicts[3], up, down, other;
	size_t pools_below, open_incidents;
	size_t attention;  /* runners down or failing; the first are named in att */
	bool open_more;    /* there may be open incidents past the query's limit */
	struct strbuf att; /* the summary's list: runners down or failing */
	struct strbuf pb;  /* the sections so far */
	uint64_t spent_ns; /* in its slices, for the slow-build log */
};

static const char css[] =
        /* Laptop first; a screen below 980 px gets each runner as a card;
         * paper gets black text on white, no reload, rows kept whole.
         * Verdicts and states are words in colour (contrast at least 4.5:1),
         * never colour alone. */
        ":root{--pass:#1b5e20;--fail:#b71c1c;--ind:#8a4b00;--line:#d7d7d7}\n"
        "*{box-sizing:border-box}\n"
        "body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
        "margin:1.2em auto;padding:0 1em;max-width:1400px;color:#1f1f1f;background:#fff}\n"
        "h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .3em;"
        "padding-bottom:.15em;border-bottom:1px solid var(--line);overflow-wrap:anywhere}"
        "h2 .tier{font-weight:normal;color:#555;font-size:.85em}\n"
        "p.meta,p.pool,p.note{margin:.25em 0;color:#3d3d3d;font-size:.93em}\n"
        ".triple{white-space:nowrap;font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;"
        "font-size:.95em}\n"
        ".summary{margin:1em 0 1.2em}\n"
        ".cards{display:flex;flex-wrap:wrap;gap:.6em}\n"
        ".card{flex:1 1 11em;min-width:0;border:1px solid var(--line);border-left-width:6px;"
        "border-radius:6px;padding:.45em .7em;background:#fafafa}\n"
        ".card .big{display:block;font-size:1.9em;font-weight:700;line-height:1.15}\n"
        ".card .sub{font-size:.85em;color:#3d3d3d}\n"
        ".k-pass{border-left-color:var(--pass)}.k-fail{border-left-color:var(--fail)}"
        ".k-ind{border-left-color:#ef8f00}.k-warn{border-left-color:var(--fail)}"
        ".k-ok{border-left-color:var(--pass)}\n"
        "ul.attention{margin:.8em 0 0;padding:.5em .8em .5em 2em;border:1px solid #f0c8c8;"
        "background:#fff6f6;border-radius:6px}ul.attention li{margin:.15em "
        "0}.who{font-weight:700}\n"
        ".verdict{font-weight:700;white-space:nowrap}\n"
        "span.verdict{display:inline-block;border-radius:4px;padding:.1em .5em;color:#fff;"
        "font-size:.85em;line-height:1.4}\n"
        "span.v-PASS{background:var(--pass)}span.v-FAIL{background:var(--fail)}"
        "span.v-INDETERMINATE{background:var(--ind)}\n"
        "td.verdict{font-size:.85em}td.v-PASS{background:#e3f1e4;color:var(--pass)}"
        "td.v-FAIL{background:#fbe3e3;color:var(--fail)}"
        "td.v-INDETERMINATE{background:#fdefd9;color:var(--ind)}\n"
        ".v-PASS::before{content:\"\\2713  \"}.v-FAIL::before{content:\"\\2717  \"}"
        ".v-INDETERMINATE::before{content:\"? \"}\n"
        "table{border-collapse:collapse;margin:.4em 0;font-size:.93em}\n"
        "th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;"
        "vertical-align:middle}\n"
        "th{background:#f3f3f3;font-weight:600}td.n{text-align:right;"
        "font-variant-numeric:tabular-nums;white-space:nowrap}td.t{white-space:nowrap}\n"
        "table.runners{width:100%}td.name{font-weight:600}td.state{white-space:nowrap}"
        ".since{font-size:.8em;color:#3d3d3d}td.gauge{padding-left:2px;padding-right:2px}\n"
        ".st{font-weight:700}.st-up{color:var(--pass)}.st-down{color:var(--fail)}"
        ".st-maintenance{color:#0d47a1}.st-unknown,.st-outside_window{color:#555}\n"
        ".st::before{content:\"\\25CF  \"}\n"
        ".ongoing{color:var(--fail);font-weight:700}.below{color:var(--fail);font-weight:600}\n"
        "svg{display:block}.u{fill:#2e7d32}.d{fill:#c62828}.m{fill:#1565c0}.x{fill:#9e9e9e}"
        ".o{fill:#d6d6d6}.bg{fill:#f3f3f3}\n"
        "td.days{width:376px}svg.bars{width:100%;min-width:225px;height:32px}\n"
        "svg.gauge{display:inline-block;vertical-align:middle}"
        ".g-bg{fill:#e6e6e6}.g-ok{fill:#2e7d32}.g-bad{fill:#c62828}.g-none{fill:#bdbdbd}"
        ".g-floor{fill:#1f1f1f}\n"
        ".legend{font-size:.85em;color:#3d3d3d}.legend svg{display:inline;"
        "vertical-align:middle;margin:0 .2em 0 .8em}\n"
        "@media screen and (max-width:980px){body{padding:0 .8em;margin:.8em auto}"
        "h1{font-size:1.35em}.card .big{font-size:1.5em}\n"
        "table.runners,table.runners tbody,table.incidents,table.incidents tbody{display:block;"
        "border:0}table.runners thead,table.incidents thead{display:none}\n"
        "tr.runner,tr.incident{display:flex;flex-wrap:wrap;align-items:center;gap:.2em .9em;"
        "border:1px solid var(--line);border-radius:6px;margin:.5em 0;padding:.45em .6em}\n"
        "tr.runner td,tr.incident td{display:block;border:0;padding:0;text-align:left}\n"
        "tr.runner td.name{flex:1 1 100%;font-size:1.05em;overflow-wrap:anywhere}"
        "tr.runner td:last-child{flex:1 1 100%}\n"
        "svg.bars{width:100%;max-width:540px}\n"
        "tr.runner td:nth-child(2)::before{content:\"operator \";color:#555}"
        "tr.runner td:nth-child(4)::before{content:\"routing \";color:#555}"
        "tr.runner td:nth-child(5)::before{content:\"uptime \";color:#555}"
        "tr.runner td:nth-child(7)::before{content:\"floor \";color:#555}"
        "tr.runner td.verdict{border-radius:4px;padding:.1em .5em}\n"
        "tr.runner td.state{order:1}tr.runner td.verdict{order:2}tr.runner td.uptime{order:3}"
        "tr.runner td.gauge{order:4}tr.runner td.floor{order:5}tr.runner td.routing{order:6}"
        "tr.runner td:nth-child(2){order:7}tr.runner td.days{order:8}\n"
        "tr.incident td:first-child{flex:1 1 100%;font-weight:600}"
        "tr.incident td:nth-child(2)::before{content:\"started \";color:#555}"
        "tr.incident td:nth-child(3)::before{content:\"ended \";color:#555}"
        "tr.incident td:nth-child(4)::before{content:\"lasted \";color:#555}"
        "tr.incident td:nth-child(5)::before{content:\"acknowledged \";color:#555}"
        "tr.incident td:nth-child(6)::before{content:\"mitigated \";color:#555}"
        "tr.incident td:nth-child(7){flex:1 1 100%}td.t{white-space:normal}}\n"
        "@media print{body{margin:0;padding:0;font-size:11px;max-width:none}"
        "h2{break-after:avoid}tr,.card,svg{break-inside:avoid}"
        "table{font-size:.9em}th,td{padding:1px 3px}svg.bars{width:150px;height:24px}"
        "svg.gauge{width:50px}"
        ".card .big{font-size:1.4em}"
        "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* ---- formatting ------------------------------------------------------------ */

/* Appends @p s for HTML text or a quoted attribute (policy/base/html.h:
 * the five special characters as references, control bytes as spaces).
 * NULL appends nothing. */
static void put_html(struct strbuf *b, const char *s)
{
	html_escape(b, s);
}

/* "2026-11-20 23:31" inside <time datetime="RFC 3339">. */
static void put_time(struct strbuf *b, int64_t ms)
{
	char t[40];

	rfc3339_format(ms, t, sizeof(t));
	strbuf_printf(b, "<time datetime=\"%s\">%.10s %.5s</time>", t, t, t + 11);
}

/* "640 ms", "45 s", "12 min", "3 h 05 min", "2 d 4 h" (policy/base/duration.h). */
static void put_duration(struct strbuf *b, int64_t ms)
{
	char d[DURATION_SIZE];

	duration_format(ms, d, sizeof(d));
	strbuf_puts(b, d);
}

#define PCT_LEN 32

/* The uptime of @p a as a percentage with three decimals, truncated (so
 * that any down time never reads as 100 %); "no data" without evidence. */
static void fmt_uptime(char out[PCT_LEN], const struct rw_availability *a)
{
	uint32_t mp = a->uptime_ppm / 10; /* thousandths of a percent */

	if (!a->has_uptime)
		snprintf(out, PCT_LEN, "no data");
	else
		snprintf(out, PCT_LEN, "%" PRIu32 ".%03" PRIu32 " %%", mp / 1000, mp % 1000);
}

static void put_uptime(struct strbuf *b, const struct rw_availability *a)
{
	char t[PCT_LEN];

	fmt_uptime(t, a);
	strbuf_puts(b, t);
}

/* A ratio in ppm as a percentage, trailing zeros trimmed: "99 %", "99.5 %". */
static void fmt_ppm(char out[PCT_LEN], uint32_t ppm)
{
	char frac[8];
	int n;

	n = snprintf(frac, sizeof(frac), "%04u", ppm % 10000);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	snprintf(out, PCT_LEN, "%u%s%s %%", ppm / 10000, n ? "." : "", frac);
}

/* ---- bars ------------------------------------------------------------------ */

/* Top to bottom in a bar, with their CSS classes and names. */
static const enum rw_state bar_order[] = {RW_STATE_DOWN, RW_STATE_UNKNOWN, RW_STATE_MAINTENANCE,
                                          RW_STATE_OUTSIDE_WINDOW, RW_STATE_UP};
static const char *const bar_class[] = {"d", "x", "m", "o", "u"};
static const char *const bar_label[] = {"down", "unknown", "maintenance", "outside window", "up"};
#define N_BAR (sizeof(bar_order) / sizeof(bar_order[0]))

/* One day's bar, at column @p col: a group with its tooltip ("2026-10-03:
 * uptime 99.871 %; down 11 min; not registered 6 h"), its exact
 * milliseconds per state in data-ms (the order of bar_order, then not
 * registered), and one rect per state of bar_order present, in proportion
 * to the runner's part of the day; any down time gets at least 1 px.
 * Nothing for a day with no part of it (before its registration). */
static void put_day(struct strbuf *b, int64_t day, size_t col, const struct rw_totals *t)
{
	struct rw_availability a;
	int64_t total = 0, cum = 0;
	int h[N_BAR], prev = 0, y = 0;
	size_t tallest = 0;
	char date[40];

	for (size_t j = 0; j < N_BAR; j++)
		total += t->ms[bar_order[j]];
	if (total <= 0)
		return;
	/* Cumulative rounding: the segments sum to BAR_H exactly. */
	for (size_t j = 0; j < N_BAR; j++) {
		int edge;
		cum += t->ms[bar_order[j]];
		edge = (int)((cum * BAR_H + total / 2) / total);
		h[j] = edge - prev;
		prev = edge;
		if (h[j] > h[tallest])
			tallest = j;
	}
	if (t->ms[RW_STATE_DOWN] > 0 && h[0] == 0 && tallest != 0) {
		h[0] = 1;
		h[tallest]--;
	}
	/* data-ms: the exact milliseconds of the segments, top to bottom,
	 * for scripts (and the tests) that should not parse the tooltip. */
	rfc3339_format(day * DAY_MS, date, sizeof(date));
	strbuf_printf(b, "<g data-day=\"%.10s\" data-ms=\"", date);
	for (size_t j = 0; j < N_BAR; j++)
		strbuf_printf(b, "%s%" PRId64, j ? "," : "", t->ms[bar_order[j]]);
	strbuf_printf(b, ",%" PRId64, t->ms[RW_STATE_NOT_REGISTERED]);
	strbuf_printf(b, "\"><title>%.10s: uptime ", date);
	account_evaluate(t, 0, 0, &a); /* a day's uptime, computed as every view does */
	put_uptime(b, &a);
	for (size_t j = 0; j < N_BAR; j++) {
		if (bar_order[j] == RW_STATE_UP || t->ms[bar_order[j]] == 0)
			continue;
		strbuf_printf(b, "; %s ", bar_label[j]);
		put_duration(b, t->ms[bar_order[j]]);
	}
	if (t->ms[RW_STATE_NOT_REGISTERED] > 0) {
		strbuf_puts(b, "; not registered ");
		put_duration(b, t->ms[RW_STATE_NOT_REGISTERED]);
	}
	strbuf_puts(b, "</title>");
	for (size_t j = 0; j < N_BAR; j++) {
		if (h[j] <= 0)
			continue;
		strbuf_printf(b,
		              "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
		              bar_class[j], (int)col * BAR_W, y, BAR_W - 1, h[j]);
		y += h[j];
	}
	strbuf_puts(b, "</g>");
}

/* ---- the per-runner cache of completed days ------------------------------------ */

static void entry_clear(struct status_runner *e)
{
	free(e->svg);
	e->svg = NULL;
	e->svg_len = 0;
	e->valid = false;
}

/* Brings the cache in line with the runners the page lists (@p ids,
 * sorted, distinct): entries of runners no longer listed are freed, new
 * ones get empty entries. On allocation failure the old cache stays. */
static int entries_sync(struct status *s, const int64_t *ids, size_t n)
{
	struct status_runner *nv = n ? calloc(n, sizeof(*nv)) : NULL;
	size_t j = 0;

	if (n && !nv)
		return RW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int64_t id = ids[i];
		while (j < s->n_rv && s->rv[j].runner_id < id)
			entry_clear(&s->rv[j++]);
		if (j < s->n_rv && s->rv[j].runner_id == id)
			nv[i] = s->rv[j++];
		else
			nv[i].runner_id = id;
	}
	while (j < s->n_rv)
		entry_clear(&s->rv[j++]);
	free(s->rv);
	s->rv = nv;
	s->n_rv = n;
	return 0;
}

static struct status_runner *entry_find(struct status *s, int64_t id)
{
	size_t lo = 0, hi = s->n_rv;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->rv[mid].runner_id < id)
			lo = mid + 1;
		else if (s->rv[mid].runner_id > id)
			hi = mid;
		else
			return &s->rv[mid];
	}
	return NULL;
}

/* Whether r's in-memory history, since @p e was computed, changed only from
 * @p cut on: e's latest change is still there, and whatever follows it
 * starts at or after cut. (Trimming only drops changes before e's latest.) */
static bool entry_history_holds(const struct runner *r, const struct status_runner *e, int64_t cut)
{
	size_t lo = 0, hi = r->n_hist;

	if (e->has_last) {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (r->hist[mid].start_ms < e->last.start_ms)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == r->n_hist || r->hist[lo].start_ms != e->last.start_ms ||
		    r->hist[lo].state != e->last.state)
			return false;
		lo++;
	}
	return lo >= r->n_hist || r->hist[lo].start_ms >= cut;
}

/* Stores @p days (PAST of them, from bd->day0) in @p e and renders them. */
static int entry_set(struct build *bd, struct status_runner *e, const struct runner *r,
                     const struct rw_totals *days)
{
	struct strbuf b;

	strbuf_init(&b);
	for (size_t i = 0; i < PAST; i++) {
		for (int st = 0; st < RW_STATE_COUNT; st++)
			e->past[i][st] = (int32_t)days[i].ms[st];
		put_day(&b, bd->day0 + (int64_t)i, i, &days[i]);
	}
	if (strbuf_failed(&b)) {
		strbuf_deinit(&b);
		entry_clear(e);
		return RW_ENOMEM;
	}
	free(e->svg);
	e->svg = strbuf_take(&b, &e->svg_len);
	e->valid = true;
	e->day0 = bd->day0;
	e->gen = r->gen;
	e->policy_gen = bd->s->policy_gen;
	e->has_last = r->n_hist > 0;
	if (e->has_last)
		e->last = r->hist[r->n_hist - 1];
	return 0;
}

/* Moves @p e on to bd->day0: the days that ended since come from memory,
 * which must reach back to the first of them. @return 0 or RW_EINVAL. */
static int entry_shift(struct build *bd, struct status_runner *e, const struct runner *r)
{
	int64_t k = bd->day0 - e->day0, from = (e->day0 + PAST) * DAY_MS;
	struct account_input in;
	struct rw_totals days[PAST];

	if (r->n_hist == 0 || r->hist[0].start_ms > from)
		return RW_EINVAL;
	fleet_input(bd->x->fleet, r, bd->now, &in);
	in.policy = bd->x->policy;
	memset(days, 0, sizeof(days));
	for (size_t i = 0; i + (size_t)k < PAST; i++)
		for (int st = 0; st < RW_STATE_COUNT; st++)
			days[i].ms[st] = e->past[i + (size_t)k][st];
	account_period_days(&in, from, bd->today_start, days + PAST - k, (size_t)k);
	return entry_set(bd, e, r, days);
}

/* Computes @p e in full: r's stored intervals over the completed days,
 * before its in-memory history, that history after it (memory is
 * authoritative from its first change, as in api.c's availability()), and
 * its stored maintenance windows (from a month earlier, so that each
 * month's cap counts from its start). */
static int entry_compute(struct build *bd, struct status_runner *e, const struct runner *r)
{
	struct status *s = bd->s;
	const struct api_ctx *x = bd->x;
	int64_t from = bd->day0 * DAY_MS, to = bd->today_start;
	int64_t mem_start = r->n_hist ? r->hist[0].start_ms : INT64_MAX;
	struct rw_interval *iv = NULL;
	struct store_maintenance *ms = NULL;
	struct rw_maintenance *mw = NULL;
	struct rw_totals days[PAST];
	size_t n_iv = 0, n_ms = 0, keep = 0;
	int rc;

	if (from < mem_start) {
		rc = store_intervals(x->st, r->id, from, mem_start < to ? mem_start : to, &iv,
		                     &n_iv);
		if (rc < 0)
			return rc;
		while (keep < n_iv && iv[keep].start_ms < mem_start)
			keep++;
	}
	rc = store_maintenance_list(x->st, r->id, from - 32 * DAY_MS, to, false, &ms, &n_ms);
	if (rc < 0)
		goto out;
	mw = n_ms ? calloc(n_ms, sizeof(*mw)) : NULL;
	if (keep + r->n_hist > s->cap_merged) {
		size_t ncap = keep + r->n_hist + 64;
		struct rw_interval *nm = realloc(s->merged, ncap * sizeof(*nm));
		if (nm) {
			s->merged = nm;
			s->cap_merged = ncap;
		}
	}
	if ((n_ms && !mw) || keep + r->n_hist > s->cap_merged) {
		rc = RW_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_ms; i++) {
		mw[i].start_ms = ms[i].start_ms;
		mw[i].end_ms = ms[i].end_ms;
		mw[i].declared_ms = ms[i].declared_ms;
	}
	if (keep)
		memcpy(s->merged, iv, keep * sizeof(*s->merged));
	if (r->n_hist)
		memcpy(s->merged + keep, r->hist, r->n_hist * sizeof(*s->merged));
	{
		/* Before its registration the runner is not_registered: no
		 * bar on those days rather than an unknown one. */
		struct account_input in;
		fleet_input(x->fleet, r, bd->now, &in);
		in.iv = s->merged;
		in.n_iv = keep + r->n_hist;
		in.mw = mw;
		in.n_mw = n_ms;
		in.policy = x->policy;
		account_period_days(&in, from, to, days, PAST);
	}
	rc = entry_set(bd, e, r, days);
out:
	free(iv);
	free(mw);
	store_maintenance_free(ms, n_ms);
	return rc;
}

/* Makes @p e current for this build, within the budget.
 * @return whether e holds r's completed days. */
static bool entry_ready(struct build *bd, struct status_runner *e, const struct runner *r)
{
	uint64_t t0, spent;
	int rc;

	if (e->valid && e->gen == r->gen && e->policy_gen == bd->s->policy_gen &&
	    e->day0 <= bd->day0 && bd->day0 - e->day0 < PAST &&
	    entry_history_holds(r, e, (e->day0 + PAST) * DAY_MS)) {
		if (e->day0 == bd->day0 || entry_shift(bd, e, r) == 0)
			return true;
	}
	entry_clear(e);
	if (bd->budget_ns == 0)
		return false;
	t0 = uv_hrtime();
	rc = entry_compute(bd, e, r);
	spent = uv_hrtime() - t0;
	bd->budget_ns = spent < bd->budget_ns ? bd->budget_ns - spent : 0;
	if (rc < 0) {
		entry_clear(e);
		return false;
	}
	return true;
}

/* ---- the page ---------------------------------------------------------------- */

/* The strip of daily bars, as inline SVG: the cached completed days (when
 * @p past) and today so far, from memory. */
static void put_bars(struct strbuf *b, struct build *bd, const struct runner *r,
                     const struct status_runner *e, bool past)
{
	strbuf_printf(b,
	              "<svg class=\"bars\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	              "preserveAspectRatio=\"none\" role=\"img\" aria-label=\"daily availability "
	              "of ",
	              STATUS_DAYS * BAR_W, BAR_H, STATUS_DAYS * BAR_W, BAR_H);
	put_html(b, r->name);
	strbuf_printf(b, ", last %d days\"><rect class=\"bg\" width=\"%d\" height=\"%d\"/>",
	              STATUS_DAYS, STATUS_DAYS * BAR_W, BAR_H);
	if (past && e->svg)
		strbuf_append(b, e->svg, e->svg_len);
	if (bd->today_start < bd->now) {
		struct account_input in;
		struct rw_totals t;
		fleet_input(bd->x->fleet, r, bd->now, &in);
		in.policy = bd->x->policy;
		account_period(&in, bd->today_start, bd->now, &t);
		put_day(b, bd->day0 + PAST, PAST, &t);
	}
	strbuf_puts(b, "</svg>");
}

static void put_runner_row(struct strbuf *b, struct build *bd, const struct runner *r)
{
	const struct api_ctx *x = bd->x;
	struct status_runner *e = entry_find(bd->s, r->id);
	struct rw_availability a;
	const char *why = fleet_exclusion(x->fleet, r, bd->now);
	const char *state = rw_state_name(runner_state(r));
	bool past = e && entry_ready(bd, e, r);
	char up[PCT_LEN], fl[PCT_LEN];

	if (e && e->judged == bd->serial)
		a = e->avail; /* judged by judge_step() for this build */
	else
		fleet_judge(x->fleet, r, bd->now,
		            bd->now - (int64_t)x->policy->window.rolling_days * DAY_MS, bd->now,
		            &a);
	fmt_uptime(up, &a);
	fmt_ppm(fl, r->floor_ppm);

	strbuf_puts(b, "<tr class=\"runner\" data-runner=\"");
	put_html(b, r->name);
	strbuf_printf(b, "\" data-state=\"%s\"><td class=\"name\">", state);
	put_html(b, r->name);
	strbuf_puts(b, "</td><td>");
	put_html(b, r->operator_name);
	strbuf_printf(b,
	              "</td><td class=\"state\"><span class=\"st st-%s\">%s</span> "
	              "<span class=\"since\">for ",
	              state, state);
	put_duration(b, bd->now - runner_since(r));
	strbuf_puts(b, "<br>since ");
	put_time(b, runner_since(r));
	strbuf_printf(b,
	              "</span></td><td class=\"routing\">%s</td><td class=\"n uptime\">%s</td>"
	              "<td class=\"gauge\">",
	              why ? why : "eligible", up);
	gauge_svg(b, a.has_uptime, a.uptime_ppm, r->floor_ppm, up, fl);
	strbuf_printf(b, "</td><td class=\"n floor\">%s</td>", fl);
	strbuf_printf(b, "<td class=\"verdict v-%s\">%s</td><td class=\"days\">",
	              rw_verdict_name(a.verdict), rw_verdict_name(a.verdict));
	put_bars(b, bd, r, e, past);
	strbuf_puts(b, "</td></tr>\n");
}

static int cmp_pool(const void *pa, const void *pb)
{
	const struct target_pool *a = *(const struct target_pool *const *)pa;
	const struct target_pool *b = *(const struct target_pool *const *)pb;
	return strcmp(a->triple, b->triple);
}

static int cmp_runner(const void *pa, const void *pb)
{
	const struct runner *a = *(const struct runner *const *)pa;
	const struct runner *b = *(const struct runner *const *)pb;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->id > b->id) - (a->id < b->id);
}

static void put_legend(struct strbuf *b)
{
	strbuf_puts(b, "<p class=\"legend\">Daily bars, oldest left, today (so far) right; "
	               "each splits its day into");
	for (size_t i = 0; i < N_BAR; i++)
		strbuf_printf(b,
		              "<svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect "
		              "class=\"%s\" width=\"10\" height=\"10\"/></svg>%s",
		              bar_class[i], bar_label[i]);
	strbuf_puts(b, ". Hover a bar for its figures.</p>\n");
}

/* The incidents that overlap the last STATUS_DAYS days: the open ones,
 * then those that ended, newest first, at most STATUS_MAX_INCIDENTS (two
 * bounded queries however many there are); the rest are counted and left
 * to the API. @return false when they could not be read (the page says so). */
static bool put_incidents(struct strbuf *b, struct build *bd)
{
	struct store_incident *v = NULL;
	size_t n = 0, more = 0;
	int64_t from = bd->day0 * DAY_MS;

	strbuf_printf(b, "<section id=\"incidents\"><h2>Incidents, last %d days</h2>\n",
	              STATUS_DAYS);
	if (store_incident_recent(bd->x->st, from, bd->now + 1, STATUS_MAX_INCIDENTS, &v, &n,
	                          &more) < 0) {
		strbuf_puts(b, "<p class=\"note\">The incident history could not be read just now; "
		               "it will be back at the next refresh.</p></section>\n");
		return false;
	}
	if (n == 0) {
		strbuf_puts(b, "<p class=\"note\">No incidents.</p></section>\n");
		return true;
	}
	/* Open ones come first: when all shown are open, more may be. */
	for (size_t k = 0; k < n; k++)
		bd->open_incidents += v[k].end_ms == 0;
	bd->open_more = more > 0 && bd->open_incidents == n;
	strbuf_puts(b, "<table class=\"incidents\"><thead><tr><th>Runner</th><th>Started</th>"
	               "<th>Ended</th><th>Duration</th><th>Acknowledged</th><th>Mitigated</th>"
	               "<th>Notes</th></tr></thead><tbody>\n");
	for (size_t k = 0; k < n; k++) {
		const struct store_incident *inc = &v[k];
		int64_t end = inc->end_ms ? inc->end_ms : bd->now;

		strbuf_printf(b, "<tr class=\"incident\" data-ongoing=\"%s\"><td>",
		              inc->end_ms ? "no" : "yes");
		put_html(b, inc->runner_name);
		strbuf_puts(b, "</td><td class=\"t\">");
		put_time(b, inc->start_ms);
		strbuf_puts(b, "</td><td class=\"t\">");
		if (inc->end_ms)
			put_time(b, inc->end_ms);
		else
			strbuf_puts(b, "<span class=\"ongoing\">ongoing</span>");
		strbuf_puts(b, "</td><td class=\"n\">");
		put_duration(b, end - inc->start_ms);
		strbuf_puts(b, "</td><td class=\"t\">");
		if (inc->ack_ms) {
			put_time(b, inc->ack_ms);
			strbuf_puts(b, " (+");
			put_duration(b, inc->ack_ms - inc->start_ms);
			strbuf_puts(b, ")");
		} else {
			strbuf_puts(b, "—");
		}
		strbuf_puts(b, "</td><td class=\"t\">");
		if (inc->mitigated_ms) {
			put_time(b, inc->mitigated_ms);
			strbuf_puts(b, " (+");
			put_duration(b, inc->mitigated_ms - inc->start_ms);
			strbuf_puts(b, ")");
		} else {
			strbuf_puts(b, "—");
		}
		strbuf_puts(b, "</td><td>");
		put_html(b, inc->ack_note);
		if (inc->ack_note && inc->mitigated_note)
			strbuf_puts(b, "<br>");
		put_html(b, inc->mitigated_note);
		strbuf_puts(b, "</td></tr>\n");
	}
	strbuf_puts(b, "</tbody></table>\n");
	if (more)
		strbuf_printf(b,
		              "<p class=\"note more\">And %s%zu more not shown: operators read "
		              "them all with <code>GET /v1/incidents</code>.</p>\n",
		              more >= STORE_INCIDENTS_COUNT_CAP ? "at least " : "", more);
	strbuf_puts(b, "</section>\n");
	store_incidents_free(v, n);
	return true;
}

/* The header of pool @p p's section. */
static void put_pool_head(struct strbuf *b, struct build *bd, const struct pool_plan *p)
{
	const struct api_ctx *x = bd->x;
	int tier = policy_target_tier(x->policy, p->triple);

	strbuf_puts(b, "<section class=\"target\" data-target=\"");
	put_html(b, p->triple);
	strbuf_puts(b, "\"><h2><span class=\"triple\">");
	put_html(b, p->triple);
	strbuf_puts(b, "</span>");
	if (tier > 0)
		strbuf_printf(b, " <span class=\"tier\">tier %d</span>", tier);
	else
		strbuf_puts(b, " <span class=\"tier\">no tier</span>");
	strbuf_printf(b, "</h2>\n<p class=\"pool\">%zu of %zu runner%s eligible for jobs.",
	              p->eligible, p->total, p->total == 1 ? "" : "s");
	if (p->below)
		strbuf_printf(b, " <span class=\"below\">Below the policy's minimum of %u.</span>",
		              (unsigned)x->policy->pool.min_runners);
	strbuf_puts(b, "</p>\n");
	if (bd->big) {
		strbuf_printf(b,
		              "<p class=\"note\">Too many runners for one page: the %zu "
		              "eligible ones are listed by <code>GET /v1/route?target=",
		              p->eligible);
		put_html(b, p->triple);
		strbuf_puts(b, "</code>; the others are below.</p>\n");
	}
	strbuf_printf(b,
	              "<table class=\"runners\"><thead><tr><th>Runner</th><th>Operator</th>"
	              "<th>State</th><th>Routing</th><th>Uptime (%u d)</th>"
	              "<th>Against floor</th><th>Floor</th><th>Verdict</th>"
	              "<th>Last %d days (UTC)</th></tr></thead><tbody>\n",
	              x->policy->window.rolling_days, STATUS_DAYS);
}

static void put_pool_tail(struct strbuf *b, const struct pool_plan *p)
{
	strbuf_puts(b, "</tbody></table>");
	if (p->left_out)
		strbuf_printf(b,
		              "<p class=\"note more\">And %zu more excluded runner%s not shown "
		              "(the page lists at most %d).</p>",
		              p->left_out, p->left_out == 1 ? "" : "s", STATUS_MAX_ROWS);
	strbuf_puts(b, "</section>\n");
}

/* Judges, for the summary, the runners with a target after bd->judged_id
 * (the fleet is sorted by id, so a runner joining or leaving meanwhile
 * moves nothing) until @p deadline_ns (uv_hrtime(); 0: none): counts them
 * by verdict and by state, names those down or failing, and keeps each
 * judgement in the runner's cache entry for its rows. @return whether the
 * pass is done. */
static bool judge_step(struct build *bd, uint64_t deadline_ns)
{
	const struct api_ctx *x = bd->x;
	const struct fleet *f = x->fleet;
	int64_t from = bd->now - (int64_t)x->policy->window.rolling_days * DAY_MS;
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->v[mid]->id <= bd->judged_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < f->n; i++) {
		const struct runner *r = f->v[i];
		struct status_runner *e;
		struct rw_availability av, *a = &av;
		bool down = runner_state(r) == RW_STATE_DOWN;

		bd->judged_id = r->id;
		if (r->n_targets == 0)
			continue;
		fleet_judge(f, r, bd->now, from, bd->now, a);
		e = entry_find(bd->s, r->id);
		if (e) {
			e->avail = av;
			e->judged = bd->serial;
		}
		bd->judged_n++;
		if ((unsigned)a->verdict < 3)
			bd->verdicts[a->verdict]++;
		bd->up += runner_state(r) == RW_STATE_UP;
		bd->down += down;
		bd->other += !down && runner_state(r) != RW_STATE_UP;
		if ((down || a->verdict == RW_VERDICT_FAIL) &&
		    bd->attention++ < STATUS_MAX_ATTENTION) {
			strbuf_puts(&bd->att, "<li>");
			if (down)
				strbuf_puts(&bd->att, "<span class=\"st st-down\">down</span> ");
			if (a->verdict == RW_VERDICT_FAIL)
				strbuf_puts(&bd->att,
				            "<span class=\"verdict v-FAIL\">FAIL</span> ");
			strbuf_puts(&bd->att, "<span class=\"who\">");
			put_html(&bd->att, r->name);
			strbuf_puts(&bd->att, "</span> (");
			put_html(&bd->att, r->operator_name);
			strbuf_puts(&bd->att, ")");
			if (down) {
				strbuf_puts(&bd->att, " for ");
				put_duration(&bd->att, bd->now - runner_since(r));
			}
			if (a->verdict == RW_VERDICT_FAIL) {
				char up[PCT_LEN], fl[PCT_LEN];
				fmt_uptime(up, a);
				fmt_ppm(fl, r->floor_ppm);
				strbuf_printf(&bd->att, ", uptime %s below its floor of %s", up,
				              fl);
			}
			strbuf_puts(&bd->att, "</li>\n");
		}
		if (deadline_ns && uv_hrtime() >= deadline_ns)
			return false;
	}
	bd->judging_done = true;
	return true;
}

/* One card of the summary: a big number and what it counts (HTML). */
static void put_card(struct strbuf *b, const char *kind, size_t n, const char *what)
{
	strbuf_printf(b, "<div class=\"card %s\"><span class=\"big\">%zu</span> %s</div>\n", kind,
	              n, what);
}

/* The summary at the top: runners by verdict and by state, pools below the
 * minimum, open incidents, and what needs someone now. */
static void put_summary(struct strbuf *b, const struct build *bd, bool incidents_ok)
{
	static const char *const vk[3] = {"k-pass", "k-fail", "k-ind"};
	char what[160];

	strbuf_puts(b, "<section id=\"summary\" class=\"summary\" aria-label=\"Summary\">\n"
	               "<div class=\"cards\">\n");
	snprintf(what, sizeof(what),
	         "runner%s<br><span class=\"sub\">%zu up, %zu down, %zu other</span>",
	         bd->judged_n == 1 ? "" : "s", bd->up, bd->down, bd->other);
	put_card(b, bd->down ? "k-warn" : "k-ok", bd->judged_n, what);
	for (int v = 0; v < 3; v++) {
		const char *name = rw_verdict_name((enum rw_verdict)v);
		snprintf(what, sizeof(what),
		         "<span class=\"verdict v-%s\">%s</span><br><span class=\"sub\">over %u "
		         "days</span>",
		         name, name, bd->x->policy->window.rolling_days);
		put_card(b, vk[v], bd->verdicts[v], what);
	}
	snprintf(what, sizeof(what),
	         "of %zu pool%s below the minimum<br><span class=\"sub\">of %u eligible "
	         "runner%s</span>",
	         bd->n_pools, bd->n_pools == 1 ? "" : "s",
	         (unsigned)bd->x->policy->pool.min_runners,
	         bd->x->policy->pool.min_runners == 1 ? "" : "s");
	put_card(b, bd->pools_below ? "k-warn" : "k-ok", bd->pools_below, what);
	snprintf(what, sizeof(what), "open incident%s%s", bd->open_incidents == 1 ? "" : "s",
	         !incidents_ok   ? "<br><span class=\"sub\">(could not be read)</span>"
	         : bd->open_more ? "<br><span class=\"sub\">at least; more are not shown</span>"
	                         : "");
	put_card(b, bd->open_incidents ? "k-warn" : "k-ok", bd->open_incidents, what);
	strbuf_puts(b, "</div>\n");
	if (bd->attention + bd->pools_below) {
		size_t all = bd->attention + bd->pools_below;
		size_t named =
		        bd->attention < STATUS_MAX_ATTENTION ? bd->attention : STATUS_MAX_ATTENTION;

		strbuf_puts(b, "<ul class=\"attention\" aria-label=\"Needs attention\">\n");
		if (bd->att.data)
			strbuf_append(b, bd->att.data, bd->att.len);
		/* The pools below the minimum, after the runners, as many as fit. */
		for (size_t i = 0; i < bd->n_pools && named < STATUS_MAX_ATTENTION; i++) {
			const struct pool_plan *p = &bd->pools[i];
			if (!p->below)
				continue;
			named++;
			strbuf_puts(b, "<li>Pool <span class=\"triple\">");
			put_html(b, p->triple);
			strbuf_printf(b,
			              "</span>: %zu of %zu runner%s eligible, below the minimum of "
			              "%u</li>\n",
			              p->eligible, p->total, p->total == 1 ? "" : "s",
			              (unsigned)bd->x->policy->pool.min_runners);
		}
		if (all > STATUS_MAX_ATTENTION)
			strbuf_printf(b, "<li>and %zu more, below</li>\n",
			              all - STATUS_MAX_ATTENTION);
		strbuf_puts(b, "</ul>\n");
	}
	strbuf_puts(b, "</section>\n");
}

static void build_free(struct build *bd)
{
	if (!bd)
		return;
	for (size_t i = 0; i < bd->n_pools; i++) {
		free(bd->pools[i].triple);
		free(bd->pools[i].ids);
	}
	free(bd->pools);
	strbuf_deinit(&bd->att);
	strbuf_deinit(&bd->pb);
	free(bd);
}

static int cmp_id(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return (a > b) - (a < b);
}

/*
 * Plans a page as of @p now: its pools (sorted by triple) and their rows.
 * With at most STATUS_MAX_ROWS rows in all, every runner of every pool,
 * eligibility judged now (fleet_exclusion()); past it, the page would be
 * megabytes and its build seconds, so it lists only the runners that are
 * not eligible as last announced (their events, r->elig_code), up to
 * STATUS_MAX_ROWS rows (the first registered, sorted by name), and counts
 * the rest. Costs one pass over the pools' runners; the rows are rendered
 * by build_step().
 */
static struct build *build_begin(struct status *s, int64_t now)
{
	const struct api_ctx *x = s->x;
	const struct fleet *f = x->fleet;
	struct build *bd = calloc(1, sizeof(*bd));
	size_t rows = 0, budget = STATUS_MAX_ROWS, n_ids = 0;
	int64_t *all = NULL;

	if (!bd)
		return NULL;
	bd->x = x;
	bd->s = s;
	bd->now = now;
	bd->day0 = now / DAY_MS - PAST;
	bd->today_start = (bd->day0 + PAST) * DAY_MS;
	bd->budget_ns = STATUS_COMPUTE_BUDGET_NS;
	bd->serial = ++s->builds;
	strbuf_init(&bd->att);
	strbuf_init(&bd->pb);
	if (strcmp(s->policy_sha256, x->policy_sha256) != 0) {
		memcpy(s->policy_sha256, x->policy_sha256, sizeof(s->policy_sha256));
		s->policy_gen++;
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i]->n_targets > 0)
			bd->n_runners++;
	for (size_t i = 0; i < f->n_pools; i++)
		rows += f->pools[i].n;
	bd->big = rows > STATUS_MAX_ROWS;
	bd->pools = f->n_pools ? calloc(f->n_pools, sizeof(*bd->pools)) : NULL;
	all = calloc(rows < STATUS_MAX_ROWS ? rows + 1 : STATUS_MAX_ROWS + 1, sizeof(*all));
	if ((f->n_pools && !bd->pools) || !all)
		goto fail;
	{
		const struct target_pool **pv =
		        f->n_pools ? malloc(f->n_pools * sizeof(*pv)) : NULL;
		size_t np = 0;
		if (f->n_pools && !pv)
			goto fail;
		for (size_t i = 0; i < f->n_pools; i++)
			if (f->pools[i].n > 0)
				pv[np++] = &f->pools[i];
		if (np > 1)
			qsort(pv, np, sizeof(*pv), cmp_pool);
		for (size_t i = 0; i < np; i++) {
			struct pool_plan *pp = &bd->pools[bd->n_pools++];
			struct runner **v = malloc(pv[i]->n * sizeof(*v));
			size_t nv = 0;
			pp->triple = strdup(pv[i]->triple);
			pp->total = pv[i]->n;
			if (!v || !pp->triple) {
				free(v);
				free(pv);
				goto fail;
			}
			/* Past the budget, the first excluded runners in the
			 * pool's order (registration) are listed, so that
			 * only the listed ones are sorted by name. */
			for (size_t k = 0; k < pv[i]->n; k++) {
				const struct runner *r = pv[i]->v[k];
				bool ok = bd->big ? r->elig_code == 0 : !fleet_exclusion(f, r, now);
				if (ok)
					pp->eligible++;
				else if (bd->big && nv == budget)
					pp->left_out++;
				if ((!bd->big || !ok) && nv < budget)
					v[nv++] = pv[i]->v[k];
			}
			pp->below = pp->eligible < x->policy->pool.min_runners;
			bd->pools_below += pp->below;
			qsort(v, nv, sizeof(*v), cmp_runner);
			budget -= nv;
			pp->ids = nv ? malloc(nv * sizeof(*pp->ids)) : NULL;
			if (nv && !pp->ids) {
				free(v);
				free(pv);
				goto fail;
			}
			for (size_t k = 0; k < nv; k++) {
				pp->ids[k] = v[k]->id;
				all[n_ids++] = v[k]->id;
			}
			pp->n_ids = nv;
			free(v);
		}
		free(pv);
	}
	/* The cache keeps the completed days of the listed runners only. */
	qsort(all, n_ids, sizeof(*all), cmp_id);
	{
		size_t k = 0;
		for (size_t i = 0; i < n_ids; i++)
			if (k == 0 || all[k - 1] != all[i])
				all[k++] = all[i];
		n_ids = k;
	}
	if (entries_sync(s, all, n_ids) < 0)
		goto fail;
	free(all);
	return bd;
fail:
	free(all);
	build_free(bd);
	return NULL;
}

/* Renders rows until @p deadline_ns (uv_hrtime(); 0: no deadline).
 * @return whether every row is done. */
static bool build_step(struct build *bd, uint64_t deadline_ns)
{
	uint64_t t0 = uv_hrtime();
	bool done = false;

	/* First the summary's judgements (which the rows reuse), then the rows. */
	if (!bd->judging_done && !judge_step(bd, deadline_ns))
		goto out;
	while (bd->pool_i < bd->n_pools) {
		struct pool_plan *pp = &bd->pools[bd->pool_i];
		if (bd->row_i == 0)
			put_pool_head(&bd->pb, bd, pp);
		while (bd->row_i < pp->n_ids) {
			const struct runner *r = fleet_find(bd->x->fleet, pp->ids[bd->row_i++]);
			if (r) /* else it left the fleet meanwhile */
				put_runner_row(&bd->pb, bd, r);
			if (deadline_ns && uv_hrtime() >= deadline_ns)
				goto out;
		}
		put_pool_tail(&bd->pb, pp);
		bd->pool_i++;
		bd->row_i = 0;
	}
	done = true;
out:
	bd->spent_ns += uv_hrtime() - t0;
	return done;
}

/* Assembles the page of a build whose rows are done, into s->html. On
 * failure the old page stays. */
static int build_finish(struct build *bd)
{
	struct status *s = bd->s;
	const struct api_ctx *x = bd->x;
	uint64_t t0 = uv_hrtime();
	bool incidents_ok;
	struct strbuf b, ib;
	char *html;
	size_t len;

	if (strbuf_failed(&bd->pb) || strbuf_failed(&bd->att))
		return RW_ENOMEM;
	for (size_t i = 0; i < s->n_rv; i++)
		if (!s->rv[i].valid)
			bd->unread++;
	strbuf_init(&b);
	strbuf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	                "'none'; style-src 'unsafe-inline'\">\n"
	                "<meta http-equiv=\"refresh\" content=\"60\">\n"
	                "<title>runwarden status</title>\n<style>\n");
	strbuf_puts(&b, css);
	strbuf_puts(&b,
	            "</style></head>\n<body>\n<h1>Runner status</h1>\n<p class=\"meta\">As of ");
	put_time(&b, bd->now);
	strbuf_printf(&b,
	              " UTC (all times are UTC; this page is at most a minute old and reloads "
	              "every minute). %zu runner%s, %zu target%s. Uptime is up / (up + down) over "
	              "the last %u days; the verdict holds it against the runner's floor.</p>\n",
	              bd->n_runners, bd->n_runners == 1 ? "" : "s", bd->n_pools,
	              bd->n_pools == 1 ? "" : "s", x->policy->window.rolling_days);
	strbuf_init(&ib);
	incidents_ok = put_incidents(&ib, bd);
	put_summary(&b, bd, incidents_ok);
	put_legend(&b);
	if (bd->n_pools == 0)
		strbuf_puts(&b, "<p class=\"note\">No runners are registered.</p>\n");
	if (bd->unread)
		strbuf_printf(&b,
		              "<p class=\"note\">The past days of %zu runner%s are still being "
		              "computed; their bars show today only, for now.</p>\n",
		              bd->unread, bd->unread == 1 ? "" : "s");
	if (bd->pb.data)
		strbuf_append(&b, bd->pb.data, bd->pb.len);
	if (ib.data)
		strbuf_append(&b, ib.data, ib.len);
	strbuf_deinit(&ib);
	strbuf_puts(&b, "</body></html>\n");

	html = strbuf_take(&b, &len);
	if (!html)
		return RW_ENOMEM;
	free(s->html);
	s->html = html;
	s->len = len;
	s->built_loop = uv_now(x->loop);
	s->complete = incidents_ok && bd->unread == 0;
	s->served = false;
	bd->spent_ns += uv_hrtime() - t0;
	if (bd->spent_ns > 50u * 1000 * 1000) {
		struct logline l;
		if (log_begin(&l, RW_LOG_WARN, "status page build was slow")) {
			log_int(&l, "ms", (int64_t)(bd->spent_ns / 1000000));
			log_int(&l, "runners", (int64_t)bd->n_runners);
			log_end(&l);
		}
	}
	return 0;
}

/* Builds the page as of @p now at once into s->html (the first page, and
 * status_render()). On failure the old page stays. */
static int build(struct status *s, int64_t now)
{
	struct build *bd;
	int rc;

	build_free(s->bd); /* one at a time: a build at once replaces a sliced one */
	s->bd = NULL;
	bd = build_begin(s, now);
	if (!bd)
		return RW_ENOMEM;
	build_step(bd, 0);
	rc = build_finish(bd);
	build_free(bd);
	return rc;
}

/* Starts a build in slices (status_tick() continues it), unless one runs. */
static void build_start(struct status *s)
{
	if (s->bd)
		return;
	s->bd = build_begin(s, clock_now_ms(s->x->clock));
	if (!s->bd)
		log_msg(RW_LOG_WARN, "status page not rebuilt: out of memory", NULL, NULL);
}

/* ---- entry points -------------------------------------------------------------- */

struct status *status_new(const struct api_ctx *x)
{
	struct status *s = calloc(1, sizeof(*s));

	if (s)
		s->x = x;
	return s;
}

int status_page(struct status *s, const char **html, size_t *len)
{
	uint64_t age = uv_now(s->x->loop) - s->built_loop;

	if (!s->html) {
		/* The first page is built at once: there is nothing to serve. */
		int rc = build(s, clock_now_ms(s->x->clock));
		if (rc < 0) {
			log_msg(RW_LOG_WARN, "status page not built: out of memory", NULL, NULL);
			return rc;
		}
	} else if (age >= STATUS_MAX_AGE_MS || (!s->complete && age >= STATUS_RETRY_MS)) {
		/* The cached page meanwhile; the next one in slices. */
		build_start(s);
	}
	s->served = true;
	*html = s->html;
	*len = s->len;
	return 0;
}

int status_render(struct status *s, int64_t now_ms, const char **html, size_t *len)
{
	int rc = build(s, now_ms);

	if (rc < 0 && !s->html)
		return rc;
	s->served = true;
	*html = s->html;
	*len = s->len;
	return 0;
}

void status_minute(struct status *s)
{
	if (s->served)
		build_start(s);
}

bool status_tick(struct status *s)
{
	if (!s->bd)
		return false;
	if (!build_step(s->bd, uv_hrtime() + STATUS_SLICE_NS))
		return true;
	if (build_finish(s->bd) < 0)
		log_msg(RW_LOG_WARN, "status page not rebuilt: out of memory", NULL, NULL);
	build_free(s->bd);
	s->bd = NULL;
	return false;
}

void status_free(struct status *s)
{
	if (!s)
		return;
	build_free(s->bd);
	for (size_t i = 0; i < s->n_rv; i++)
		entry_clear(&s->rv[i]);
	free(s->rv);
	free(s->merged);
	free(s->html);
	free(s);
}
