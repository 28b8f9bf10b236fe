/* SPDX-License-Identifier: MIT */
/*
 * monthly_render.h — the monthly report (monthly.h) as Markdown, JSON, CSV or
 * HTML. Every format is a function of the report alone: no clock, no locale
 * (the generation time appears only when the report was made with --stamp).
 *
 *  - Markdown: for pasting into an issue. A header (month, period, complete
 *    or "partial, as of …", the policy's source, version and SHA-256), then
 *    the sections Summary (with the monitor's blind periods), Targets,
 *    Runners, GitHub pools (only when the report has a pool), Operators and
 *    Incidents as pipe tables.
 *  - JSON: one object, described by contrib/schema/report.schema.json
 *    (monthly_json.c): exact milliseconds, ratios in [0, 1] (truncated to
 *    6 decimals) or null when there is nothing to divide, RFC 3339 times.
 *  - CSV: one row per runner after a header row, RFC 4180 (CRLF, quoting
 *    only where needed), UTF-8; empty fields for missing values. With
 *    GitHub pools, more columns at the end: a member's pool, a pool's
 *    source, labels, minimum, deadline, members and job figures.
 *  - HTML: one self-contained page (monthly_html.c): inline CSS, inline SVG
 *    charts (a heat strip of the fleet's days, a daily bar per runner), a
 *    Content-Security-Policy that forbids every fetch, no JavaScript; prints
 *    on paper as it looks on screen.
 */
#ifndef RW_MONTHLY_RENDER_H
#define RW_MONTHLY_RENDER_H

#include <stdio.h>

#include "reports/monthly.h"

enum report_format { REPORT_MD, REPORT_JSON, REPORT_CSV, REPORT_HTML };

/**
 * Parses "md", "json", "csv" or "html".
 * @return 0 or RW_EINVAL.
 */
int report_format_parse(const char *s, enum report_format *out);

/**
 * Writes @p m to @p f in @p fmt.
 * @return 0, RW_ENOMEM, RW_EIO (writing failed).
 */
int monthly_render(FILE *f, const struct monthly *m, enum report_format fmt);

/** The JSON document (monthly_json.c). @return 0, RW_ENOMEM, RW_EIO. */
int monthly_render_json(FILE *f, const struct monthly *m);

/** The HTML page (monthly_html.c). @return 0, RW_ENOMEM, RW_EIO. */
int monthly_render_html(FILE *f, const struct monthly *m);

#endif
