/* SPDX-License-Identifier: MIT */
/*
 * whatif_render.c — a whatif_result as a text table, Markdown, CSV or JSON;
 * see whatif_render.h. Markdown and CSV go through the reports' table
 * writer (table.h), the same one the monthly report uses.
 */
#include "reports/whatif_render.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "reports/fmt.h"
#include "reports/jsonw.h"
#include "reports/month.h"
#include "reports/table.h"

#define CELL 64

/* Truncated like every report's percentages (fmt.h), so that a runner shown
 * at a floor's value meets that floor. */
static void fmt_uptime(const struct rw_availability *a, char out[CELL])
{
	if (a->has_uptime)
		fmt_percent(a->uptime_ppm, out);
	else
		snprintf(out, CELL, "-");
}

static void fmt_eligible(const struct whatif_side *s, char out[CELL])
{
	if (s->eligible)
		snprintf(out, CELL, "yes");
	else
		snprintf(out, CELL, "no (%s)", s->reason);
}

/* "a -> b"; just "a" when @p collapse and they are equal. */
static void fmt_pair(const char *a, const char *b, int collapse, char out[2 * CELL])
{
	if (collapse && strcmp(a, b) == 0)
		snprintf(out, 2 * CELL, "%s", a);
	else
		snprintf(out, 2 * CELL, "%s -> %s", a, b);
}

enum { COL_NAME, COL_OPERATOR, COL_VERDICT, COL_ELIGIBLE, COL_UPTIME, COL_FLOOR, N_COLS };

static void row_cells(const struct whatif_runner *w, char cells[N_COLS][2 * CELL])
{
	char a[CELL], b[CELL];

	snprintf(cells[COL_NAME], 2 * CELL, "%s", w->name);
	snprintf(cells[COL_OPERATOR], 2 * CELL, "%s", w->operator_name);
	fmt_pair(rw_verdict_name(w->side[0].month.verdict),
	         rw_verdict_name(w->side[1].month.verdict), 0, cells[COL_VERDICT]);
	fmt_eligible(&w->side[0], a);
	fmt_eligible(&w->side[1], b);
	fmt_pair(a, b, 0, cells[COL_ELIGIBLE]);
	fmt_uptime(&w->side[0].month, a);
	fmt_uptime(&w->side[1].month, b);
	fmt_pair(a, b, 1, cells[COL_UPTIME]);
	fmt_floor(w->side[0].floor_ppm, a);
	fmt_floor(w->side[1].floor_ppm, b);
	fmt_pair(a, b, 0, cells[COL_FLOOR]);
}

static void print_row(FILE *f, char mark, char cells[N_COLS][2 * CELL], const int width[N_COLS])
{
	fprintf(f, "%c ", mark);
	for (int c = 0; c < N_COLS; c++) {
		if (c == N_COLS - 1)
			fprintf(f, "%s\n", cells[c]);
		else
			fprintf(f, "%-*s  ", width[c], cells[c]);
	}
}

static void print_policy(FILE *f, const char *label, const struct policy_source *ps)
{
	fprintf(f, "%-9s%s (version %d, sha256 %s)\n", label, ps->origin ? ps->origin : "-",
	        ps->pol.version, ps->sha256);
}

int whatif_render_text(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                       const struct policy_source *next)
{
	static const char *const heads[N_COLS] = {"RUNNER",   "OPERATOR", "VERDICT",
	                                          "ELIGIBLE", "UPTIME",   "FLOOR"};
	char month[8], t[FMT_LEN], cells[N_COLS][2 * CELL];
	int width[N_COLS];

	month_format(r->month_start_ms, month);
	fmt_time(r->period_end_ms, t);
	if (r->partial)
		fprintf(f, "month %s: partial, as of %s\n", month, t);
	else
		fprintf(f, "month %s: complete\n", month);
	print_policy(f, "current:", cur);
	print_policy(f, "new:", next);
	if (r->as_of_ms >= 0) {
		fmt_time(r->as_of_ms, t);
		fprintf(f, "eligible: as of the monitor's last tick, %s", t);
	} else {
		fprintf(f, "eligible: the monitor has not run yet: nothing observed");
	}
	fputs(" (the daemon's hysteresis is not replayed)\n\n", f);

	for (int c = 0; c < N_COLS; c++)
		width[c] = (int)strlen(heads[c]);
	for (size_t i = 0; i < r->n_runners; i++) {
		row_cells(&r->runners[i], cells);
		for (int c = 0; c < N_COLS; c++)
			if ((int)strlen(cells[c]) > width[c])
				width[c] = (int)strlen(cells[c]);
	}
	for (int c = 0; c < N_COLS; c++)
		snprintf(cells[c], 2 * CELL, "%s", heads[c]);
	print_row(f, ' ', cells, width);
	for (size_t i = 0; i < r->n_runners; i++) {
		const struct whatif_runner *w = &r->runners[i];
		row_cells(w, cells);
		print_row(f, w->verdict_changed || w->eligibility_changed ? '*' : ' ', cells,
		          width);
	}
	fprintf(f, "\n%zu runners, %zu verdict changes, %zu eligibility changes\n", r->n_runners,
	        r->verdict_changes, r->eligibility_changes);
	return ferror(f) ? RW_EIO : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static cJSON *policy_json(const struct policy_source *ps, bool *oom)
{
	cJSON *o = cJSON_CreateObject();

	jsonw_put(o, "sha256", cJSON_CreateString(ps->sha256), oom);
	jsonw_put(o, "version", cJSON_CreateNumber(ps->pol.version), oom);
	jsonw_put(o, "source", cJSON_CreateString(ps->origin ? ps->origin : ""), oom);
	return o;
}

static cJSON *side_json(const struct whatif_side *s, bool *oom)
{
	static const char *const keys[RW_STATE_COUNT] = {
	        [RW_STATE_UNKNOWN] = "unknown_ms",
	        [RW_STATE_UP] = "up_ms",
	        [RW_STATE_DOWN] = "down_ms",
	        [RW_STATE_MAINTENANCE] = "maintenance_ms",
	        [RW_STATE_OUTSIDE_WINDOW] = "outside_window_ms",
	        [RW_STATE_NOT_REGISTERED] = "not_registered_ms",
	};
	static const enum rw_state order[RW_STATE_COUNT] = {
	        RW_STATE_UP,      RW_STATE_DOWN,           RW_STATE_MAINTENANCE,
	        RW_STATE_UNKNOWN, RW_STATE_OUTSIDE_WINDOW, RW_STATE_NOT_REGISTERED};
	cJSON *o = cJSON_CreateObject();

	/* Ratios truncated to six decimals, as the monthly report and the API
	 * print them. */
	jsonw_put(o, "verdict", cJSON_CreateString(rw_verdict_name(s->month.verdict)), oom);
	jsonw_put(o, "uptime", jsonw_ratio(s->month.has_uptime, s->month.uptime_ppm), oom);
	jsonw_put(o, "coverage", jsonw_ratio(s->month.has_coverage, s->month.coverage_ppm), oom);
	jsonw_put(o, "floor", cJSON_CreateNumber(s->floor_ppm / 1e6), oom);
	for (int k = 0; k < RW_STATE_COUNT; k++)
		jsonw_put(o, keys[order[k]],
		          cJSON_CreateNumber((double)s->month.totals.ms[order[k]]), oom);
	jsonw_put(o, "eligible", cJSON_CreateBool(s->eligible), oom);
	jsonw_put(o, "reason", s->reason ? cJSON_CreateString(s->reason) : cJSON_CreateNull(), oom);
	jsonw_put(o, "rolling_uptime", jsonw_ratio(s->has_rolling, s->rolling_uptime_ppm), oom);
	return o;
}

static cJSON *runner_json(const struct whatif_runner *w, bool *oom)
{
	cJSON *o = cJSON_CreateObject();

	jsonw_put(o, "id", cJSON_CreateNumber((double)w->id), oom);
	jsonw_put(o, "name", cJSON_CreateString(w->name), oom);
	jsonw_put(o, "operator", cJSON_CreateString(w->operator_name), oom);
	jsonw_put(o, "changed", cJSON_CreateBool(w->verdict_changed || w->eligibility_changed),
	          oom);
	jsonw_put(o, "verdict_changed", cJSON_CreateBool(w->verdict_changed), oom);
	jsonw_put(o, "eligibility_changed", cJSON_CreateBool(w->eligibility_changed), oom);
	jsonw_put(o, "current", side_json(&w->side[WHATIF_CURRENT], oom), oom);
	jsonw_put(o, "new", side_json(&w->side[WHATIF_NEW], oom), oom);
	return o;
}

int whatif_render_json(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                       const struct policy_source *next)
{
	cJSON *doc = cJSON_CreateObject(), *sum = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char month[8];
	bool oom = false;

	month_format(r->month_start_ms, month);
	jsonw_put(doc, "month", cJSON_CreateString(month), &oom);
	jsonw_put(doc, "partial", cJSON_CreateBool(r->partial), &oom);
	jsonw_put(doc, "as_of", jsonw_time(r->as_of_ms), &oom);
	jsonw_put(doc, "current", policy_json(cur, &oom), &oom);
	jsonw_put(doc, "new", policy_json(next, &oom), &oom);
	jsonw_put(sum, "runners", jsonw_int((int64_t)r->n_runners), &oom);
	jsonw_put(sum, "verdict_changes", jsonw_int((int64_t)r->verdict_changes), &oom);
	jsonw_put(sum, "eligibility_changes", jsonw_int((int64_t)r->eligibility_changes), &oom);
	jsonw_put(doc, "summary", sum, &oom);
	for (size_t i = 0; i < r->n_runners; i++)
		jsonw_push(arr, runner_json(&r->runners[i], &oom), &oom);
	jsonw_put(doc, "runners", arr, &oom);
	return jsonw_write(f, doc, oom);
}

/* ---- Markdown and CSV -------------------------------------------------------- */

enum {
	T_RUNNER,
	T_OPERATOR,
	T_CHANGED,
	T_VERDICT_CUR,
	T_VERDICT_NEW,
	T_ELIGIBLE_CUR,
	T_ELIGIBLE_NEW,
	T_UPTIME_CUR,
	T_UPTIME_NEW,
	T_FLOOR_CUR,
	T_FLOOR_NEW,
	T_COLS
};

/* For people (Markdown): the text table's columns, a side each. */
static const char *const md_heads[T_COLS] = {
        "Runner",        "Operator",           "Changed",        "Verdict (current)",
        "Verdict (new)", "Eligible (current)", "Eligible (new)", "Uptime (current)",
        "Uptime (new)",  "Floor (current)",    "Floor (new)"};
/* For programs (CSV): exact ratios, reasons in their own words. */
static const char *const csv_heads[T_COLS] = {
        "runner",      "operator",         "changed",      "verdict_current",
        "verdict_new", "eligible_current", "eligible_new", "uptime_current",
        "uptime_new",  "floor_current",    "floor_new"};

static void side_cells(const struct whatif_side *s, bool csv, char *verdict, char *eligible,
                       char *uptime, char *floor_)
{
	uint32_t up = s->month.uptime_ppm;

	snprintf(verdict, CELL, "%s", rw_verdict_name(s->month.verdict));
	if (csv)
		snprintf(eligible, CELL, "%s", s->eligible ? "yes" : s->reason);
	else
		fmt_eligible(s, eligible);
	if (!s->month.has_uptime)
		snprintf(uptime, CELL, "%s", csv ? "" : "-");
	else if (csv)
		fmt_ratio(up, uptime);
	else
		fmt_percent(up, uptime);
	if (csv)
		fmt_ratio(s->floor_ppm, floor_);
	else
		fmt_floor(s->floor_ppm, floor_);
}

int whatif_render_table(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                        const struct policy_source *next, enum table_format fmt)
{
	bool csv = fmt == TABLE_CSV;
	struct table t = {0};

	if (fmt == TABLE_MD) {
		char month[8], when[FMT_LEN];
		month_format(r->month_start_ms, month);
		fmt_when(r->period_end_ms, when);
		fprintf(f, "# What-if: %s\n\n- Month: %s, %s%s%s\n", month, month,
		        r->partial ? "partial, as of " : "complete", r->partial ? when : "",
		        r->partial ? " UTC" : "");
		for (int k = 0; k < 2; k++) {
			const struct policy_source *ps = k ? next : cur;
			fprintf(f, "- %s policy: ", k ? "New" : "Current");
			table_put_md(f, ps->origin ? ps->origin : "-");
			fprintf(f, ", version %d, sha256 `%s`\n", ps->pol.version, ps->sha256);
		}
		fprintf(f,
		        "- %zu runners, %zu verdict changes, %zu eligibility changes (the "
		        "daemon's hysteresis is not replayed)\n\n",
		        r->n_runners, r->verdict_changes, r->eligibility_changes);
	}
	table_begin(&t, f, fmt, T_COLS, csv ? csv_heads : md_heads, NULL);
	for (size_t i = 0; i < r->n_runners; i++) {
		const struct whatif_runner *w = &r->runners[i];
		char c[T_COLS][CELL];
		const char *row[T_COLS];
		for (int k = 0; k < T_COLS; k++)
			row[k] = c[k];
		row[T_RUNNER] = w->name;
		row[T_OPERATOR] = w->operator_name;
		row[T_CHANGED] = w->verdict_changed || w->eligibility_changed ? "yes" : "no";
		for (int k = 0; k < 2; k++)
			side_cells(&w->side[k], csv, c[T_VERDICT_CUR + k], c[T_ELIGIBLE_CUR + k],
			           c[T_UPTIME_CUR + k], c[T_FLOOR_CUR + k]);
		table_row(&t, row);
	}
	return table_end(&t);
}
