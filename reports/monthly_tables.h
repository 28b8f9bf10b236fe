/* SPDX-License-Identifier: MIT */
/*
 * monthly_tables.h — the monthly report's tables as cells (table.h), the
 * same code for the Markdown, HTML and CSV renderers alike, so the formats
 * cannot disagree on a figure. Cells for people use fmt.h's forms
 * (percentages truncated, durations, UTC times); the CSV table uses exact
 * milliseconds and ratios with 6 decimals, and leaves a missing value empty.
 */
#ifndef RW_MONTHLY_TABLES_H
#define RW_MONTHLY_TABLES_H

#include <stdio.h>

#include "reports/fmt.h"
#include "reports/monthly.h"
#include "reports/table.h"

/*
 * Each function writes one table to @p f in @p fmt (HTML: with class
 * @p css_class) and returns table_end()'s result: 0 or RW_EIO.
 */

/** One row: runners, PASS, FAIL, INDETERMINATE, incidents, monitor coverage and blind time. */
int monthly_tables_summary(const struct monthly *m, FILE *f, enum table_format fmt,
                           const char *css_class);

/** The vantage points (m->vantages): name, coverage, blind time and
 *  periods, first seen. */
int monthly_tables_vantages(const struct monthly *m, FILE *f, enum table_format fmt,
                            const char *css_class);

/** The sentence under the vantage points' table: what their coverage is. */
const char *monthly_tables_vantages_note(void);

/** The monitor's blind periods: start, end, duration, cause. */
int monthly_tables_blind(const struct monthly *m, FILE *f, enum table_format fmt,
                         const char *css_class);

/** Per target: tier, floor, runners, compliant, pool minimum, met. */
int monthly_tables_targets(const struct monthly *m, FILE *f, enum table_format fmt,
                           const char *css_class);

/** One runner's figures for people, as the runners table shows them. */
struct monthly_runner_cells {
	char targets[512];               /* "a, b" */
	const char *verdict;             /* "PASS", "FAIL", "INDETERMINATE" */
	char uptime[FMT_LEN];            /* "99.567%", or "-" */
	char floor[FMT_LEN];             /* "99.5%" */
	char coverage[FMT_LEN];          /* "100.000%", or "-" */
	char down[FMT_LEN];              /* a duration */
	char incidents[FMT_LEN];         /* a count */
	char longest[FMT_LEN];           /* a duration, or "-" */
	char maintenance[2 * FMT_LEN];   /* "2 h 00 min of 8 h (+1 h 00 min over cap)" */
	char blips[FMT_LEN];             /* a count, or "-" */
	char p50[FMT_LEN], p95[FMT_LEN]; /* latencies, or "-" */
	char notes[512];                 /* monthly_tables_runner_notes() */
};

/** Fills @p c with runner @p r's figures. */
void monthly_tables_runner_cells(const struct monthly *m, const struct monthly_runner *r,
                                 struct monthly_runner_cells *c);

/** Per runner, for people: the cells above, a column each. */
int monthly_tables_runners(const struct monthly *m, FILE *f, enum table_format fmt,
                           const char *css_class);

/**
 * Per GitHub pool (m->pools): pool, operator, source, labels, min online,
 * pickup within, members, jobs queued, started within (count and share),
 * queue wait p50, p95 and max; a pool without a pickup deadline has "-" for
 * the job figures.
 */
int monthly_tables_pools(const struct monthly *m, FILE *f, enum table_format fmt,
                         const char *css_class);

/** What the pools table counts, one paragraph of plain text (no markup, no
 *  character HTML must escape), for Markdown and HTML alike. */
const char *monthly_tables_pools_note(void);

/** Per operator: counts, down time, incidents, unacknowledged, median TTA and TTM. */
int monthly_tables_operators(const struct monthly *m, FILE *f, enum table_format fmt,
                             const char *css_class);

/** Every incident, by start: runner, operator, times, TTA, TTM, notes. */
int monthly_tables_incidents(const struct monthly *m, FILE *f, enum table_format fmt,
                             const char *css_class);

/** Per runner, for programs: the CSV format's one row per runner. */
int monthly_tables_runners_csv(const struct monthly *m, FILE *f);

/** "registered 2026-03-10; retired 2026-03-20", or "" (a runner's notes). */
void monthly_tables_runner_notes(const struct monthly *m, const struct monthly_runner *r, char *out,
                                 size_t len);

/**
 * The report's header lines for people, shared by Markdown and HTML:
 * @p title "Monthly compliance report: 2026-03", @p period "2026-03-01
 * 00:00:00 to 2026-04-01 00:00:00 UTC (31 days), complete" (or "…, partial,
 * as of …"), @p policy "policy_versions #2 (version 3, in force since …),
 * sha256 …".
 */
void monthly_tables_header(const struct monthly *m, char *title, size_t title_len, char *period,
                           size_t period_len, char *policy, size_t policy_len);

#endif
