/* SPDX-License-Identifier: MIT */
/*
 * monthly_html.c — the monthly report as one self-contained HTML page.
 *
 * Self-contained means: inline CSS, inline SVG, no script, no image, font or
 * style sheet to fetch, and a Content-Security-Policy (default-src 'none')
 * that makes the browser refuse any fetch that would slip in, so the page
 * reads the same offline, from a mail attachment or an archive years later.
 * The tests render it in headless Chromium and check that nothing is
 * fetched and nothing is logged to the console.
 *
 * The page, top to bottom: the title and period; the summary (cards of the
 * runners, PASS, FAIL, INDETERMINATE, targets below the pool minimum,
 * incidents with those open at the end, the monitor's coverage), with the
 * runners that are not PASS and the targets below the minimum named under
 * it; the heat strip; the runners (a row of figures with the uptime's gauge
 * against the floor, policy/base/gauge.h, and a row for the daily bar, as
 * wide as the page); targets, pools, operators, incidents. On a screen
 * narrower than 1100 px (a tablet, a phone: the pools table needs about
 * that much)
 * every table row becomes a card (cells labelled from data-label); printed,
 * rows stay whole and colours are kept. Verdicts are words in colour, never
 * colour alone; target triples never wrap.
 *
 * Charts:
 *  - the heat strip: one cell per day of the month, coloured by the fleet's
 *    uptime that day (every reported runner's up and down time summed);
 *  - per runner, a daily bar: one column per day, split top to bottom into
 *    down, unknown, maintenance, outside the window and up, in proportion to
 *    the runner's part of that day (a day outside its part is empty). A day
 *    with any down time shows at least 2 px of it. Days that are not all up,
 *    or only partly the runner's (its registration or retirement), carry a
 *    <title> (a tooltip on screen) with their figures, the time outside its
 *    part as "not registered".
 * Heights are integer tenths of a viewBox unit, so the bytes do not depend
 * on floating-point printing.
 */
#include "reports/monthly_render.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/duration.h"
#include "policy/base/gauge.h"
#include "policy/base/html.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"
#include "reports/fmt.h"
#include "reports/monthly_tables.h"

#define BAR_W            24 /* viewBox units per day, 4 of them a gap */
#define BAR_GAP_W        20 /* BAR_W - 4: the column's width */
#define RW_STRINGIFY_(x) #x
#define RW_STRINGIFY(x)  RW_STRINGIFY_(x)
#define BAR_H            400 /* tenths of a viewBox unit (the bar is drawn 40 px high) */
#define HEAT_W           18
#define HEAT_H           16
#define MIN_BAD          20 /* tenths: the least down time drawn */
#define MAX_ATTENTION    20 /* runners and targets named in the summary */

/* Laptop first; on a screen below 1100 px every table row becomes a card (each cell
 * labelled with its column's title); paper keeps rows whole and colours.
 * Verdicts are words in colour (contrast at least 4.5:1), never colour
 * alone. */
static const char css[] =
        ":root{--pass:#1b5e20;--fail:#b71c1c;--ind:#8a4b00;--line:#d7d7d7}\n"
        "*{box-sizing:border-box}\n"
        "body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
        "margin:1.5em auto;padding:0 1.2em;max-width:1200px;color:#1f1f1f;background:#fff}\n"
        "h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.8em 0 .4em;"
        "padding-bottom:.15em;border-bottom:1px solid var(--line)}h3{font-size:1em}\n"
        "ul.meta{list-style:none;padding:0;margin:0;color:#3d3d3d}ul.meta li{margin:.1em 0}\n"
        "code{font-size:.85em;overflow-wrap:anywhere}\n"
        ".triple{white-space:nowrap;font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;"
        "font-size:.85em}\n"
        ".summary{margin:1.2em 0}.cards{display:flex;flex-wrap:wrap;gap:.6em}\n"
        ".card{flex:1 1 11em;min-width:0;border:1px solid var(--line);border-left-width:6px;"
        "border-radius:6px;padding:.45em .7em;background:#fafafa}\n"
        ".card .big{display:block;font-size:1.7em;font-weight:700;line-height:1.15}"
        ".card .sub{display:block}.card.wide{flex-basis:12em}\n"
        ".sub{font-size:.85em;color:#3d3d3d}\n"
        ".k-pass,.k-ok{border-left-color:var(--pass)}.k-fail,.k-warn{border-left-color:"
        "var(--fail)}.k-ind{border-left-color:#ef8f00}.k-info{border-left-color:#607d8b}\n"
        "ul.attention{margin:.8em 0 0;padding:.5em .8em .5em 2em;border:1px solid #f0c8c8;"
        "background:#fff6f6;border-radius:6px}ul.attention li{margin:.15em 0}\n"
        ".verdict{display:inline-block;border-radius:4px;padding:.1em .5em;color:#fff;"
        "font-size:.85em;font-weight:700;line-height:1.4;white-space:nowrap}\n"
        ".v-PASS{background:var(--pass)}.v-FAIL{background:var(--fail)}"
        ".v-INDETERMINATE{background:var(--ind)}\n"
        ".v-PASS::before{content:\"\\2713  \"}.v-FAIL::before{content:\"\\2717  \"}"
        ".v-INDETERMINATE::before{content:\"? \"}\n"
        "table{border-collapse:collapse;margin:.5em 0;font-size:.93em}\n"
        "th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;"
        "vertical-align:middle}\n"
        "th{background:#f3f3f3;font-weight:600}td.n,th.n{text-align:right;"
        "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
        "table.runners{width:100%}table.runners td{vertical-align:top}"
        "tr.runner td{border-bottom:0}tr.daily td{border-top:0;padding-bottom:8px}\n"
        "td.name b{font-size:1.05em}td.name .sub,td .sub{display:block}"
        ".tgts .triple{display:block}.pct{font-weight:700;font-variant-numeric:tabular-nums}\n"
        "svg{display:block}svg text{font:8px sans-serif;fill:#555}\n"
        "svg.heat{max-width:100%;height:auto}\n"
        "svg.bars{width:100%;height:40px}\n"
        "svg.gauge{display:inline-block;vertical-align:middle;margin:0 .3em}"
        ".g-bg{fill:#e6e6e6}.g-ok{fill:#2e7d32}.g-bad{fill:#c62828}.g-none{fill:#bdbdbd}"
        ".g-floor{fill:#1f1f1f}\n"
        ".u{fill:#2e7d32}.d{fill:#c62828}.m{fill:#1565c0}.x{fill:#9e9e9e}.o{fill:#d6d6d6}\n"
        ".h0{fill:#e0e0e0}.h1{fill:#b71c1c}.h2{fill:#ef6c00}.h3{fill:#f9a825}"
        ".h4{fill:#7cb342}.h5{fill:#1b5e20}\n"
        ".legend{font-size:.85em;color:#3d3d3d}.legend svg{display:inline;vertical-align:middle}"
        "\n"
        "p.note{font-size:.85em;color:#3d3d3d;max-width:60em}\n"
        "@media screen and (max-width:1100px){body{padding:0 .8em;margin:.8em auto}"
        "h1{font-size:1.35em}"
        ".card .big{font-size:1.5em}\n"
        "table,thead,tbody,tr,td{display:block;border:0}table{width:100%}thead{display:none}\n"
        "tbody>tr{border:1px solid var(--line);border-radius:6px;margin:.5em 0;"
        "padding:.4em .6em}\n"
        "td{padding:1px 0}td.n{text-align:left;white-space:normal}"
        "td[data-label]::before{content:attr(data-label) \": \";color:#555}\n"
        "tr.runner{border-bottom:0;border-radius:6px 6px 0 0;margin-bottom:0}"
        "tr.daily{border-top:0;border-radius:0 0 6px 6px;margin-top:0;padding-top:0}\n"
        "td.name::before,td.chart::before{content:none}td.name .op{display:inline;margin-left:.4em}"
        ".tgts{display:block}.tgts .triple{display:inline-block;margin-right:.8em}}\n"
        "@media print{body{margin:0;padding:0;font-size:10px;max-width:none}"
        "h2{break-after:avoid}tr,.card,svg{break-inside:avoid}table{font-size:.9em}"
        "th,td{padding:1px 4px}svg.bars{height:28px}.card .big{font-size:1.4em}"
        "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* Decimal digits of @p v >= 0 at @p p; returns the end. (The bars are most of
 * a large report's bytes: this avoids a printf per number.) */
static char *put_uint(char *p, unsigned v)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Tenths as "12.3". */
static char *put_tenths(char *p, unsigned v)
{
	p = put_uint(p, v / 10);
	*p++ = '.';
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static const char *heat_class(const struct rw_totals *t)
{
	struct rw_availability a;
	uint32_t ppm;

	account_evaluate(t, 0, 0, &a);
	if (!a.has_uptime)
		return "h0";
	ppm = a.uptime_ppm;
	return ppm >= 999000   ? "h5"
	       : ppm >= 990000 ? "h4"
	       : ppm >= 950000 ? "h3"
	       : ppm >= 900000 ? "h2"
	                       : "h1";
}

/* "2026-03-04: uptime 99.583%; down 1h 0m; unknown 3h 0m" (states other than
 * up; a runner's time outside its part as "not registered", when
 * @p with_nr). */
static void day_title(FILE *f, const char *date, const struct rw_totals *t, bool with_nr)
{
	static const enum rw_state order[] = {RW_STATE_DOWN, RW_STATE_UNKNOWN, RW_STATE_MAINTENANCE,
	                                      RW_STATE_OUTSIDE_WINDOW};
	static const char *const names[] = {"down", "unknown", "maintenance", "outside window"};
	struct rw_availability a;
	char s[FMT_LEN];

	fprintf(f, "<title>%s: ", date);
	account_evaluate(t, 0, 0, &a); /* the uptime as every view computes it */
	if (a.has_uptime) {
		fmt_percent(a.uptime_ppm, s);
		fprintf(f, "uptime %s", s);
	} else {
		fputs("no uptime", f);
	}
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		if (t->ms[order[k]] == 0)
			continue;
		duration_format(t->ms[order[k]], s, FMT_LEN);
		fprintf(f, "; %s %s", names[k], s);
	}
	if (with_nr && t->ms[RW_STATE_NOT_REGISTERED] > 0) {
		duration_format(t->ms[RW_STATE_NOT_REGISTERED], s, FMT_LEN);
		fprintf(f, "; not registered %s", s);
	}
	fputs("</title>", f);
}

/* "YYYY-MM-DD" of day @p d (0-based) of the report's month. */
static void day_date(const struct monthly *m, size_t d, char out[FMT_LEN])
{
	fmt_date(m->month_start_ms, out);
	out[8] = (char)('0' + (d + 1) / 10);
	out[9] = (char)('0' + (d + 1) % 10);
}

/* A legend: a coloured square (CSS class @p cls[i]) and @p names[i] (HTML) each. */
static void legend(FILE *f, const char *title, const char *const *cls, const char *const *names,
                   size_t n)
{
	fprintf(f, "<p class=\"legend\">%s:", title);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
		        " <svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" "
		        "height=\"10\" class=\"%s\"/></svg> %s",
		        cls[i], names[i]);
	fputs("</p>\n", f);
}

static void heat_strip(FILE *f, const struct monthly *m)
{
	static const char *const cls[] = {"h5", "h4", "h3", "h2", "h1", "h0"};
	static const char *const names[] = {"&#8805; 99.9%", "&#8805; 99%", "&#8805; 95%",
	                                    "&#8805; 90%",   "&lt; 90%",    "no data"};
	int w = (int)m->n_days * HEAT_W;

	fprintf(f,
	        "<svg class=\"heat\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	        "aria-label=\"The fleet's uptime, day by day\">\n",
	        w, HEAT_H + 12, w, HEAT_H + 12);
	for (size_t d = 0; d < m->n_days; d++) {
		char date[FMT_LEN];
		day_date(m, d, date);
		fputs("<g>", f);
		day_title(f, date, &m->fleet[d], false);
		fprintf(f,
		        "<rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" class=\"%s\"/>"
		        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%zu</text></g>\n",
		        (int)d * HEAT_W, HEAT_W - 2, HEAT_H, heat_class(&m->fleet[d]),
		        (int)d * HEAT_W + (HEAT_W - 2) / 2, HEAT_H + 10, d + 1);
	}
	fputs("</svg>\n", f);
	legend(f, "Heat strip (the fleet's uptime that day)", cls, names, 6);
}

/* One day's column of a runner's bar; nothing when the day is not in its part. */
static void bar_day(FILE *f, int x, const char *date, const struct rw_totals *t)
{
	/* Top to bottom. */
	static const enum rw_state order[5] = {RW_STATE_DOWN, RW_STATE_UNKNOWN,
	                                       RW_STATE_MAINTENANCE, RW_STATE_OUTSIDE_WINDOW,
	                                       RW_STATE_UP};
	static const char *const cls[5] = {"d", "x", "m", "o", "u"};
	int64_t total = 0, cum = 0;
	int h[5] = {0}, prev = 0, y = 0, big = 4;
	char buf[512], *p = buf;

	for (int k = 0; k < 5; k++)
		total += t->ms[order[k]];
	if (total == 0)
		return;
	for (int k = 0; k < 5; k++) {
		int c;
		cum += t->ms[order[k]];
		c = (int)((__int128)cum * BAR_H / total);
		h[k] = c - prev;
		prev = c;
		if (h[k] > h[big])
			big = k;
	}
	if (t->ms[RW_STATE_DOWN] > 0 && h[0] < MIN_BAD && big != 0) {
		h[big] -= MIN_BAD - h[0];
		h[0] = MIN_BAD;
	}
	fputs("<g>", f);
	if (t->ms[RW_STATE_UP] != total || t->ms[RW_STATE_NOT_REGISTERED] > 0)
		day_title(f, date, t, true);
	for (int k = 0; k < 5; k++) {
		if (h[k] <= 0)
			continue;
		p = put_str(p, "<rect x=\"");
		p = put_uint(p, (unsigned)x);
		p = put_str(p, "\" y=\"");
		p = put_tenths(p, (unsigned)y);
		p = put_str(p, "\" width=\"" RW_STRINGIFY(BAR_GAP_W) "\" height=\"");
		p = put_tenths(p, (unsigned)h[k]);
		p = put_str(p, "\" class=\"");
		p = put_str(p, cls[k]);
		p = put_str(p, "\"/>");
		y += h[k];
	}
	p = put_str(p, "</g>");
	fwrite(buf, 1, (size_t)(p - buf), f);
}

/* The runner's bar as a malloc'd string (NULL when out of memory). */
static char *bar_svg(const struct monthly *m, const struct monthly_runner *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int w = (int)m->n_days * BAR_W - (BAR_W - BAR_GAP_W);

	if (!f)
		return NULL;
	fprintf(f,
	        "<svg class=\"bars\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	        "preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Daily states\">",
	        w, BAR_H / 10, w, BAR_H / 10);
	for (size_t d = 0; d < m->n_days; d++) {
		char date[FMT_LEN];
		day_date(m, d, date);
		bar_day(f, (int)d * BAR_W, date, &r->days[d]);
	}
	fputs("</svg>", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void meta_item(FILE *f, const char *label, const char *text)
{
	fprintf(f, "<li><b>%s:</b> ", label);
	html_escape_file(f, text);
	fputs("</li>\n", f);
}

/* A verdict as a word in colour. */
static void put_verdict(FILE *f, const char *name)
{
	fprintf(f, "<span class=\"verdict v-%s\">%s</span>", name, name);
}

/* One card of the summary: a big figure and what it counts (HTML). */
static void card(FILE *f, const char *kind, const char *big, const char *what)
{
	fprintf(f, "<div class=\"card %s\"><span class=\"big\">%s</span> %s</div>\n", kind, big,
	        what);
}

/* What needs a decision: failing and indeterminate runners, targets below
 * the pool minimum; at most MAX_ATTENTION of them. */
static void attention(FILE *f, const struct monthly *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		struct monthly_runner_cells c;

		if (r->avail.verdict == RW_VERDICT_PASS)
			continue;
		if (n++ == 0)
			fputs("<ul class=\"attention\" aria-label=\"Needs a decision\">\n", f);
		if (n > MAX_ATTENTION)
			continue;
		monthly_tables_runner_cells(m, r, &c);
		fputs("<li>", f);
		put_verdict(f, c.verdict);
		fputs(" <b>", f);
		html_escape_file(f, r->sr->name);
		fputs("</b> (", f);
		html_escape_file(f, r->sr->operator_name ? r->sr->operator_name : "");
		if (r->avail.verdict == RW_VERDICT_FAIL)
			fprintf(f, "): uptime %s below its floor of %s; down %s in %s incident%s",
			        c.uptime, c.floor, c.down, c.incidents,
			        r->n_incidents == 1 ? "" : "s");
		else
			fprintf(f, "): too little evidence to judge (coverage %s)", c.coverage);
		if (r->maint_over_cap_ms > 0)
			fprintf(f, "; maintenance %s", c.maintenance);
		fputs("</li>\n", f);
	}
	for (size_t i = 0; i < m->n_targets; i++) {
		const struct monthly_target *g = &m->targets[i];
		if (g->pool_met)
			continue;
		if (n++ == 0)
			fputs("<ul class=\"attention\" aria-label=\"Needs a decision\">\n", f);
		if (n > MAX_ATTENTION)
			continue;
		fputs("<li>Target <span class=\"triple\">", f);
		html_escape_file(f, g->name);
		fprintf(f,
		        "</span>: %zu of %zu runner%s compliant, below the pool minimum of "
		        "%u</li>\n",
		        g->compliant, g->runners, g->runners == 1 ? "" : "s",
		        (unsigned)m->policy->pol.pool.min_runners);
	}
	if (n > MAX_ATTENTION)
		fprintf(f, "<li>and %zu more, below</li>\n", n - MAX_ATTENTION);
	if (n)
		fputs("</ul>\n", f);
}

/* The summary, first: runners by verdict, targets below the pool minimum,
 * incidents (open at the period's end), the monitor's coverage; what needs
 * a decision; the fleet's heat strip. */
static void summary(FILE *f, const struct monthly *m)
{
	static const char *const kind[3] = {"k-pass", "k-fail", "k-ind"};
	static const enum rw_verdict order[3] = {RW_VERDICT_PASS, RW_VERDICT_FAIL,
	                                         RW_VERDICT_INDETERMINATE};
	char big[FMT_LEN], what[256], d[FMT_LEN];
	size_t below = 0, open = 0;

	for (size_t i = 0; i < m->n_targets; i++)
		below += !m->targets[i].pool_met;
	for (size_t i = 0; i < m->n_incidents; i++)
		open += m->incidents[i].open;
	fputs("<section id=\"summary\" class=\"summary\" aria-label=\"Summary\">\n"
	      "<h2>Summary</h2>\n<div class=\"cards\">\n",
	      f);
	snprintf(big, sizeof(big), "%zu", m->n_runners);
	card(f, "k-info", big, m->n_runners == 1 ? "runner" : "runners");
	for (int k = 0; k < 3; k++) {
		const char *name = rw_verdict_name(order[k]);
		snprintf(big, sizeof(big), "%zu", m->verdicts[order[k]]);
		snprintf(what, sizeof(what), "<span class=\"verdict v-%s\">%s</span>", name, name);
		card(f, m->verdicts[order[k]] || k == 0 ? kind[k] : "k-ok", big, what);
	}
	snprintf(big, sizeof(big), "%zu", below);
	snprintf(what, sizeof(what),
	         "of %zu target%s below the pool minimum<span class=\"sub\">of %u compliant "
	         "runner%s</span>",
	         m->n_targets, m->n_targets == 1 ? "" : "s",
	         (unsigned)m->policy->pol.pool.min_runners,
	         m->policy->pol.pool.min_runners == 1 ? "" : "s");
	card(f, below ? "k-warn" : "k-ok", big, what);
	snprintf(big, sizeof(big), "%zu", m->n_incidents);
	snprintf(what, sizeof(what), "incident%s<span class=\"sub\">%zu open at the end</span>",
	         m->n_incidents == 1 ? "" : "s", open);
	card(f, open ? "k-warn" : "k-info", big, what);
	fmt_percent(m->monitor.coverage_ppm, big);
	duration_format(m->monitor.blind_ms, d, FMT_LEN);
	snprintf(what, sizeof(what),
	         "monitor coverage<span class=\"sub\">blind %s in %zu period%s</span>", d,
	         m->monitor.n_blind, m->monitor.n_blind == 1 ? "" : "s");
	card(f, "k-info wide", big, what);
	fputs("</div>\n", f);
	attention(f, m);
	fputs("</section>\n", f);
}

/* The runners: a row of figures and a row of daily bars each. */
static int runners_section(FILE *f, const struct monthly *m)
{
	static const char *const cls[] = {"u", "d", "m", "x", "o"};
	static const char *const names[] = {"up", "down", "maintenance", "unknown",
	                                    "outside the service window"};
	struct strbuf g;

	fputs("<h2 id=\"runners\">Runners</h2>\n", f);
	legend(f, "Daily bars, one column a day (hover one for its figures)", cls, names, 5);
	fputs("<table class=\"runners\">\n<thead><tr><th>Runner</th><th>Verdict</th>"
	      "<th>Uptime against the floor</th><th class=\"n\">Down</th><th>Incidents</th>"
	      "<th>Maintenance</th><th>Probes</th></tr></thead>\n<tbody>\n",
	      f);
	strbuf_init(&g);
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct monthly_runner *r = &m->runners[i];
		struct monthly_runner_cells c;
		char *svg;

		monthly_tables_runner_cells(m, r, &c);
		fputs("<tr class=\"runner\"><td class=\"name\"><b>", f);
		html_escape_file(f, r->sr->name);
		fputs("</b> <span class=\"sub op\">", f);
		html_escape_file(f, r->sr->operator_name ? r->sr->operator_name : "");
		fputs("</span><span class=\"tgts\">", f);
		for (size_t t = 0; t < r->sr->n_targets; t++) {
			fputs(t ? " <span class=\"triple\">" : "<span class=\"triple\">", f);
			html_escape_file(f, r->sr->targets[t]);
			fputs("</span>", f);
		}
		fputs("</span>", f);
		if (c.notes[0]) {
			fputs("<span class=\"sub\">", f);
			html_escape_file(f, c.notes);
			fputs("</span>", f);
		}
		fputs("</td><td data-label=\"Verdict\">", f);
		put_verdict(f, c.verdict);
		fprintf(f, "</td><td data-label=\"Uptime\"><span class=\"pct\">%s</span>",
		        c.uptime);
		g.len = 0;
		gauge_svg(&g, r->avail.has_uptime, r->uptime_ppm, r->avail.floor_ppm, c.uptime,
		          c.floor);
		if (strbuf_failed(&g)) {
			strbuf_deinit(&g);
			return RW_ENOMEM;
		}
		fwrite(g.data, 1, g.len, f);
		fprintf(f,
		        "<span class=\"sub\">floor %s, coverage %s</span></td>"
		        "<td class=\"n\" data-label=\"Down\">%s</td>"
		        "<td data-label=\"Incidents\">%s",
		        c.floor, c.coverage, c.down, c.incidents);
		if (r->longest_incident_ms >= 0)
			fprintf(f, "<span class=\"sub\">longest %s</span>", c.longest);
		fprintf(f,
		        "</td><td data-label=\"Maintenance\">%s</td><td data-label=\"Probes\">"
		        "blips %s<span class=\"sub\">p50 %s, p95 %s</span></td></tr>\n",
		        c.maintenance, c.blips, c.p50, c.p95);
		svg = bar_svg(m, r);
		if (!svg) {
			strbuf_deinit(&g);
			return RW_ENOMEM;
		}
		fprintf(f, "<tr class=\"daily\"><td class=\"chart\" colspan=\"7\">%s</td></tr>\n",
		        svg);
		free(svg);
	}
	strbuf_deinit(&g);
	fputs("</tbody>\n</table>\n", f);
	return ferror(f) ? RW_EIO : 0;
}

int monthly_render_html(FILE *f, const struct monthly *m)
{
	char title[128], period[256], policy[256], t[FMT_LEN];
	int rc = 0;

	monthly_tables_header(m, title, sizeof(title), period, sizeof(period), policy,
	                      sizeof(policy));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      f);
	html_escape_file(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
	html_escape_file(f, title);
	fputs("</h1>\n<ul class=\"meta\">\n", f);
	meta_item(f, "Period", period);
	meta_item(f, "Policy", policy);
	fprintf(f, "<li><b>Policy SHA-256:</b> <code>%s</code></li>\n", m->policy->sha256);
	if (m->operator_filter)
		meta_item(f, "Operator", m->operator_filter);
	if (m->generated_ms >= 0) {
		fmt_when(m->generated_ms, t);
		fprintf(f, "<li><b>Generated:</b> %s UTC</li>\n", t);
	}
	fputs("</ul>\n", f);
	summary(f, m);
	heat_strip(f, m);
	fprintf(f,
	        "<p class=\"note\">Floors are the strictest of a runner's targets' tiers. "
	        "Maintenance is credited up to %u h a month with %u h notice; a blip is a run "
	        "of fewer than %u failed probes between two successes. Latency and blips "
	        "come from the daily rollups of %lld of the month's %zu days. All times are "
	        "UTC.</p>\n",
	        (unsigned)m->policy->pol.maintenance.max_h_per_month,
	        (unsigned)m->policy->pol.maintenance.min_notice_h,
	        (unsigned)m->policy->pol.probe.failures_to_down, (long long)m->rollup_days,
	        m->n_days);
	if (m->monitor.n_blind) {
		fputs("<h3>Monitor blind periods</h3>\n", f);
		rc = monthly_tables_blind(m, f, TABLE_HTML, "blind");
	}
	if (rc == 0 && m->n_vantages) {
		fprintf(f, "<h3 id=\"vantages\">Vantage points</h3>\n<p class=\"note\">%s</p>\n",
		        monthly_tables_vantages_note());
		rc = monthly_tables_vantages(m, f, TABLE_HTML, "vantages");
	}
	if (rc == 0)
		rc = runners_section(f, m);
	if (rc == 0) {
		fputs("<h2 id=\"targets\">Targets</h2>\n", f);
		rc = monthly_tables_targets(m, f, TABLE_HTML, "targets");
	}
	if (rc == 0 && m->n_pools) {
		fprintf(f, "<h2 id=\"github-pools\">GitHub pools</h2>\n<p class=\"note\">%s</p>\n",
		        monthly_tables_pools_note());
		rc = monthly_tables_pools(m, f, TABLE_HTML, "pools");
	}
	if (rc == 0) {
		fputs("<h2 id=\"operators\">Operators</h2>\n", f);
		rc = monthly_tables_operators(m, f, TABLE_HTML, "operators");
	}
	if (rc == 0) {
		fputs("<h2 id=\"incidents\">Incidents</h2>\n", f);
		if (m->n_incidents == 0) {
			fputs("<p>No incidents.</p>\n", f);
		} else {
			fputs("<p class=\"note\">Times to acknowledge and to mitigate are measured "
			      "from "
			      "the incident's start.</p>\n",
			      f);
			rc = monthly_tables_incidents(m, f, TABLE_HTML, "incidents");
		}
	}
	fputs("</body>\n</html>\n", f);
	return rc < 0 ? rc : ferror(f) ? RW_EIO : 0;
}
