/* SPDX-License-Identifier: MIT */
/*
 * whatif_render.h — a whatif_result as text or Markdown (for people), JSON
 * or CSV (for scripts). Text, Markdown and JSON say which policies were
 * compared (SHA-256, version, where from), the month, whether it was partial
 * and as of when; CSV is the runner rows alone.
 *
 * JSON: { "month": "YYYY-MM", "partial": bool, "as_of": RFC 3339 | null,
 *   "current": {"sha256", "version", "source"}, "new": {…},
 *   "summary": {"runners", "verdict_changes", "eligibility_changes"},
 *   "runners": [ {"id", "name", "operator", "changed", "verdict_changed",
 *     "eligibility_changed", "current": SIDE, "new": SIDE} ] }
 * SIDE = {"verdict", "uptime", "coverage", "floor", "up_ms", "down_ms",
 *   "maintenance_ms", "unknown_ms", "outside_window_ms", "eligible",
 *   "reason", "rolling_uptime"}; ratios in [0, 1] or null when there is
 *   nothing to divide by; "reason" is null when eligible.
 */
#ifndef RW_WHATIF_RENDER_H
#define RW_WHATIF_RENDER_H

#include <stdio.h>

#include "monitor/store/policy_source.h"
#include "reports/table.h"
#include "reports/whatif.h"

/**
 * Writes the table: one row per runner (a '*' in front of a row whose
 * verdict or eligibility changes), then
 * "N runners, X verdict changes, Y eligibility changes".
 * @return 0, or RW_EIO when writing failed.
 */
int whatif_render_text(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                       const struct policy_source *next);

/** Writes the JSON document above. @return 0, RW_ENOMEM or RW_EIO. */
int whatif_render_json(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                       const struct policy_source *next);

/**
 * Writes the comparison through the reports' table writer (table.h): as
 * Markdown (TABLE_MD: a header naming the month and both policies, then a
 * pipe table, a column per side) or as CSV (TABLE_CSV: one row per runner,
 * RFC 4180; uptime and floor as ratios, eligibility "yes" or the reason).
 * @return 0, RW_ENOMEM or RW_EIO.
 */
int whatif_render_table(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                        const struct policy_source *next, enum table_format fmt);

#endif
