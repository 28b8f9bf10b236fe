/* SPDX-License-Identifier: MIT */
/* whatif_render.c — a whatif_result as a text table or as JSON; see whatif_render.h. */
#include "whatif_render.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "month.h"
#include "rw_error.h"

#define CELL 64

/* RFC 3339 UTC with milliseconds, as the daemon writes times. */
static void fmt_time(int64_t ms, char out[40])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !gmtime_r(&t, &tm)) {
		snprintf(out, 40, "-");
		return;
	}
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* A floor in percent with no trailing zeros: 990000 → "99%", 995000 → "99.5%". */
static void fmt_floor(uint32_t ppm, char out[CELL])
{
	char *p;

	snprintf(out, CELL, "%.4f", ppm / 10000.0);
	p = out + strlen(out) - 1;
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
	strcat(out, "%");
}

static void fmt_uptime(const struct rw_availability *a, char out[CELL])
{
	if (a->has_uptime)
		snprintf(out, CELL, "%.3f%%", a->uptime * 100.0);
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
	char month[8], t[40], cells[N_COLS][2 * CELL];
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

/* ---- JSON ------------------------------------------------------------------
 *
 * cJSON reports a failed allocation only by returning NULL, and its adders
 * accept a NULL object silently: every add goes through put(), which
 * remembers a failure, so a document missing an item is never printed. */

static void put(cJSON *o, const char *key, cJSON *item, bool *oom)
{
	if (!item || !o || !cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		*oom = true;
	}
}

static cJSON *ratio_or_null(int has, double v)
{
	return has ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *policy_json(const struct policy_source *ps, bool *oom)
{
	cJSON *o = cJSON_CreateObject();

	put(o, "sha256", cJSON_CreateString(ps->sha256), oom);
	put(o, "version", cJSON_CreateNumber(ps->pol.version), oom);
	put(o, "source", cJSON_CreateString(ps->origin ? ps->origin : ""), oom);
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
	};
	static const enum rw_state order[RW_STATE_COUNT] = {RW_STATE_UP, RW_STATE_DOWN,
	                                                    RW_STATE_MAINTENANCE, RW_STATE_UNKNOWN,
	                                                    RW_STATE_OUTSIDE_WINDOW};
	cJSON *o = cJSON_CreateObject();

	put(o, "verdict", cJSON_CreateString(rw_verdict_name(s->month.verdict)), oom);
	put(o, "uptime", ratio_or_null(s->month.has_uptime, s->month.uptime), oom);
	put(o, "coverage", ratio_or_null(s->month.has_coverage, s->month.coverage), oom);
	put(o, "floor", cJSON_CreateNumber(s->floor_ppm / 1e6), oom);
	for (int k = 0; k < RW_STATE_COUNT; k++)
		put(o, keys[order[k]], cJSON_CreateNumber((double)s->month.totals.ms[order[k]]),
		    oom);
	put(o, "eligible", cJSON_CreateBool(s->eligible), oom);
	put(o, "reason", s->reason ? cJSON_CreateString(s->reason) : cJSON_CreateNull(), oom);
	put(o, "rolling_uptime", ratio_or_null(s->has_rolling, s->rolling_uptime_ppm / 1e6), oom);
	return o;
}

static cJSON *runner_json(const struct whatif_runner *w, bool *oom)
{
	cJSON *o = cJSON_CreateObject();

	put(o, "id", cJSON_CreateNumber((double)w->id), oom);
	put(o, "name", cJSON_CreateString(w->name), oom);
	put(o, "operator", cJSON_CreateString(w->operator_name), oom);
	put(o, "changed", cJSON_CreateBool(w->verdict_changed || w->eligibility_changed), oom);
	put(o, "verdict_changed", cJSON_CreateBool(w->verdict_changed), oom);
	put(o, "eligibility_changed", cJSON_CreateBool(w->eligibility_changed), oom);
	put(o, "current", side_json(&w->side[WHATIF_CURRENT], oom), oom);
	put(o, "new", side_json(&w->side[WHATIF_NEW], oom), oom);
	return o;
}

int whatif_render_json(FILE *f, const struct whatif_result *r, const struct policy_source *cur,
                       const struct policy_source *next)
{
	cJSON *doc = cJSON_CreateObject(), *sum = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char month[8], t[40], *s = NULL;
	bool oom = false;
	int rc = 0;

	month_format(r->month_start_ms, month);
	put(doc, "month", cJSON_CreateString(month), &oom);
	put(doc, "partial", cJSON_CreateBool(r->partial), &oom);
	fmt_time(r->as_of_ms, t);
	put(doc, "as_of", r->as_of_ms >= 0 ? cJSON_CreateString(t) : cJSON_CreateNull(), &oom);
	put(doc, "current", policy_json(cur, &oom), &oom);
	put(doc, "new", policy_json(next, &oom), &oom);
	put(sum, "runners", cJSON_CreateNumber((double)r->n_runners), &oom);
	put(sum, "verdict_changes", cJSON_CreateNumber((double)r->verdict_changes), &oom);
	put(sum, "eligibility_changes", cJSON_CreateNumber((double)r->eligibility_changes), &oom);
	put(doc, "summary", sum, &oom);
	for (size_t i = 0; arr && i < r->n_runners; i++) {
		cJSON *o = runner_json(&r->runners[i], &oom);
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			oom = true;
		}
	}
	put(doc, "runners", arr, &oom);
	if (!oom)
		s = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!s)
		return RW_ENOMEM;
	if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
		rc = RW_EIO;
	free(s);
	return rc;
}
