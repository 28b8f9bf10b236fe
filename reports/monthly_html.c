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
 * Charts:
 *  - the heat strip: one cell per day of the month, coloured by the fleet's
 *    uptime that day (every reported runner's up and down time summed);
 *  - per runner, a daily bar: one column per day, split top to bottom into
 *    down, unknown, maintenance, outside the window and up, in proportion to
 *    the runner's part of that day (a day outside its part is empty). A day
 *    with any down time shows at least 1 px of it. Days that are not all up,
 *    or only partly the runner's (its registration or retirement), carry a
 *    <title> (a tooltip on screen) with their figures, the time outside its
 *    part as "not registered".
 * Heights are integer tenths of a pixel, so the bytes do not depend on
 * floating-point printing.
 */
#include "reports/monthly_render.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/duration.h"
#include "policy/base/html.h"
#include "policy/base/rw_error.h"
#include "reports/fmt.h"
#include "reports/monthly_tables.h"

#define BAR_W            7 /* px per day, 1 of them a gap */
#define BAR_GAP_W        6 /* BAR_W - 1: the column's width */
#define RW_STRINGIFY_(x) #x
#define RW_STRINGIFY(x)  RW_STRINGIFY_(x)
#define BAR_H            200 /* tenths of a px */
#define HEAT_W           18
#define HEAT_H           16
#define MIN_BAD          10 /* tenths of a px: the least down time drawn */

static const char css[] =
        "body{font:14px/1.4 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
        "margin:2em;color:#212121}\n"
        "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .4em;"
        "border-bottom:1px solid #ccc}h3{font-size:1em}\n"
        "ul.meta{list-style:none;padding:0;margin:0}ul.meta li{margin:.1em 0}\n"
        "code{font-size:12px}\n"
        "table{border-collapse:collapse;margin:.5em 0;font-size:12px}\n"
        "th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:middle}\n"
        "th{background:#f5f5f5}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-"
        "space:nowrap}\n"
        "svg{display:block}svg text{font:8px sans-serif;fill:#616161}\n"
        ".u{fill:#2e7d32}.d{fill:#c62828}.m{fill:#1565c0}.x{fill:#9e9e9e}.o{fill:#e0e0e0}\n"
        ".h0{fill:#e0e0e0}.h1{fill:#b71c1c}.h2{fill:#ef6c00}.h3{fill:#f9a825}"
        ".h4{fill:#7cb342}.h5{fill:#1b5e20}\n"
        ".legend{font-size:12px;color:#424242}.legend svg{display:inline;vertical-align:middle}"
        "\n"
        "p.note{font-size:12px;color:#424242;max-width:60em}\n"
        "@media print{body{margin:0;font-size:10px}h2{break-after:avoid}"
        "tr,svg{break-inside:avoid}"
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
	int w = (int)m->n_days * BAR_W - 1;

	if (!f)
		return NULL;
	fprintf(f,
	        "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	        "aria-label=\"Daily states\">",
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

static int runners_section(FILE *f, const struct monthly *m)
{
	static const char *const cls[] = {"u", "d", "m", "x", "o"};
	static const char *const names[] = {"up", "down", "maintenance", "unknown",
	                                    "outside the service window"};

	fputs("<h2 id=\"runners\">Runners</h2>\n", f);
	legend(f, "Daily bars", cls, names, 5);
	return monthly_tables_runners(m, f, TABLE_HTML, "runners", bar_svg);
}

int monthly_render_html(FILE *f, const struct monthly *m)
{
	char title[128], period[256], policy[256], t[FMT_LEN];
	int rc;

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
	fputs("</ul>\n<h2 id=\"summary\">Summary</h2>\n", f);
	rc = monthly_tables_summary(m, f, TABLE_HTML, "summary");
	if (rc == 0) {
		heat_strip(f, m);
		fprintf(f,
		        "<p class=\"note\">Floors are the strictest of a runner's targets' tiers. "
		        "Maintenance is credited up to %u h a month with %u h notice; a blip is a "
		        "run "
		        "of fewer than %u failed probes between two successes. Latency and blips "
		        "come from the daily rollups of %lld of the month's %zu days. All times "
		        "are "
		        "UTC.</p>\n",
		        (unsigned)m->policy->pol.maintenance.max_h_per_month,
		        (unsigned)m->policy->pol.maintenance.min_notice_h,
		        (unsigned)m->policy->pol.probe.failures_to_down, (long long)m->rollup_days,
		        m->n_days);
	}
	if (rc == 0 && m->monitor.n_blind) {
		fputs("<h3>Monitor blind periods</h3>\n", f);
		rc = monthly_tables_blind(m, f, TABLE_HTML, "blind");
	}
	if (rc == 0) {
		fputs("<h2 id=\"targets\">Targets</h2>\n", f);
		rc = monthly_tables_targets(m, f, TABLE_HTML, "targets");
	}
	if (rc == 0)
		rc = runners_section(f, m);
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
