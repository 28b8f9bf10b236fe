/* SPDX-License-Identifier: MIT */
/*
 * test_report_views.c — the four views of a runner's availability hold the
 * same figures and verdict for the same period on the same database:
 *
 *   - the monthly report (monthly_run(), rendered as JSON),
 *   - `policy whatif` (whatif_run(), rendered as JSON, the current side),
 *   - GET /v1/runners/{id}/availability?from=&to= (api_availability_render(),
 *     the answer's body),
 *   - the status page (status_render() at the month's end: its rolling
 *     verdict and uptime, and the exact milliseconds per state of its daily
 *     bars, data-ms).
 *
 * The database is the reports' scripted February and March 2024
 * (report_fixture.h): arm-delta registered on 02-10 at noon (PASS in
 * February, down at the end of March: FAIL), rv-beta retired on 03-20 at
 * noon, rv-alpha down and over its maintenance cap in February (FAIL),
 * s390-gamma 9 days unknown in February, a stored monitor outage.
 *
 * The daemon's side is put together in-process, as the daemon holds it at
 * the month's end: a fleet of the runners that are not retired, each with
 * its stored history over the rolling window in memory and its maintenance
 * windows, and the API's context; the API and the page are asked as of the
 * month's end.
 * Every view judges under the same policy: the one in force at the month's
 * end, with window.rolling_days set to the month's length, so that the
 * status page's rolling window is exactly the month (a second run adds a
 * service window, so that outside_window has a part too).
 *
 * Each runner of the report is compared, state by state in milliseconds,
 * uptime and coverage (truncated ppm), floor and verdict: the API answers
 * for every one of them (a retired one from the store, up to its
 * retirement), what-if and the status page for those not retired. The
 * report's six states sum to the month.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/api/api.h"
#include "monitor/api/status.h"
#include "monitor/core/clock.h"
#include "monitor/core/metrics.h"
#include "monitor/fleet/fleet.h"
#include "policy/base/rfc3339.h"
#include "policy/base/strbuf.h"
#include "report_fixture.h"
#include "reports/whatif.h"
#include "reports/whatif_render.h"

#define N_ST RW_STATE_COUNT

/* The keys of the six states, in every view's JSON. */
static const char *const state_keys[N_ST] = {
        [RW_STATE_UNKNOWN] = "unknown_ms",
        [RW_STATE_UP] = "up_ms",
        [RW_STATE_DOWN] = "down_ms",
        [RW_STATE_MAINTENANCE] = "maintenance_ms",
        [RW_STATE_OUTSIDE_WINDOW] = "outside_window_ms",
        [RW_STATE_NOT_REGISTERED] = "not_registered_ms",
};

/* One view's figures of one runner. */
struct figures {
	int64_t ms[N_ST];
	int has_uptime, has_coverage;
	int64_t uptime_ppm, coverage_ppm, floor_ppm; /* -1: not given */
	char verdict[16];
};

static int64_t ppm_of(const cJSON *v)
{
	return (int64_t)llround(v->valuedouble * 1e6);
}

/* The figures in a JSON object with the states' keys, "uptime",
 * "coverage", "verdict" and (when present) "floor". A missing state counts
 * as -1, so that a view without it differs. */
static void figures_from_json(const cJSON *o, struct figures *f)
{
	const cJSON *v;

	memset(f, 0, sizeof(*f));
	for (int k = 0; k < N_ST; k++) {
		v = cJSON_GetObjectItemCaseSensitive(o, state_keys[k]);
		f->ms[k] = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "uptime");
	f->has_uptime = cJSON_IsNumber(v);
	f->uptime_ppm = f->has_uptime ? ppm_of(v) : -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "coverage");
	f->has_coverage = cJSON_IsNumber(v);
	f->coverage_ppm = f->has_coverage ? ppm_of(v) : -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "floor");
	f->floor_ppm = cJSON_IsNumber(v) ? ppm_of(v) : -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "verdict");
	snprintf(f->verdict, sizeof(f->verdict), "%s", cJSON_IsString(v) ? v->valuestring : "?");
}

static void print_figures(const char *who, const struct figures *f)
{
	print_error("  %-9s %-13s up %" PRId64 " down %" PRId64 " maintenance %" PRId64
	            " unknown %" PRId64 " outside %" PRId64 " not_registered %" PRId64
	            " uptime %" PRId64 " coverage %" PRId64 " floor %" PRId64 "\n",
	            who, f->verdict, f->ms[RW_STATE_UP], f->ms[RW_STATE_DOWN],
	            f->ms[RW_STATE_MAINTENANCE], f->ms[RW_STATE_UNKNOWN],
	            f->ms[RW_STATE_OUTSIDE_WINDOW], f->ms[RW_STATE_NOT_REGISTERED], f->uptime_ppm,
	            f->coverage_ppm, f->floor_ppm);
}

/* Whether @p got agrees with the report's @p want (the floor only when
 * @p got gives one); prints both when not. */
static bool agree(const char *runner, const char *who, const struct figures *want,
                  const struct figures *got)
{
	bool same = memcmp(want->ms, got->ms, sizeof(want->ms)) == 0 &&
	            want->has_uptime == got->has_uptime && want->uptime_ppm == got->uptime_ppm &&
	            want->has_coverage == got->has_coverage &&
	            want->coverage_ppm == got->coverage_ppm &&
	            strcmp(want->verdict, got->verdict) == 0 &&
	            (got->floor_ppm < 0 || got->floor_ppm == want->floor_ppm);

	if (!same) {
		print_error("%s: %s disagrees with the monthly report\n", runner, who);
		print_figures("report", want);
		print_figures(who, got);
	}
	return same;
}

/* ---- the daemon's side, in-process ------------------------------------------- */

struct daemon_side {
	uv_loop_t loop;
	struct rw_clock clock;
	struct metrics m;
	struct fleet fleet;
	struct api_ctx x;
	struct status *status;
	char sha[65];
};

/* Loads every runner that is not retired into the fleet as the daemon
 * holds it at @p now: its stored history over the rolling window (and a
 * day before) in memory, its maintenance windows. */
static void daemon_side_start(struct daemon_side *d, struct rfx *f, const struct rw_policy *pol,
                              int64_t now)
{
	struct store_runner *rs = NULL;
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	assert_int_equal(uv_loop_init(&d->loop), 0);
	clock_init(&d->clock);
	d->clock.last_ms = now; /* the instant the views are asked at */
	snprintf(d->sha, sizeof(d->sha), "views");
	fleet_init(&d->fleet, NULL, &d->m, pol);
	d->x = (struct api_ctx){.loop = &d->loop,
	                        .st = f->st,
	                        .fleet = &d->fleet,
	                        .policy = pol,
	                        .policy_sha256 = d->sha,
	                        .clock = &d->clock,
	                        .m = &d->m};
	assert_int_equal(store_runner_list(f->st, 0, &rs, &n), 0);
	for (size_t i = 0; i < n; i++) {
		int64_t from = now - ((int64_t)pol->window.rolling_days + 1) * RFX_DAY;
		struct store_maintenance *ms = NULL;
		struct rw_maintenance *mw;
		struct rw_interval *iv = NULL;
		size_t n_iv = 0, n_ms = 0;
		struct runner *r;
		bool is_new;

		if (rs[i].status == STORE_RUNNER_RETIRED)
			continue;
		assert_int_equal(fleet_upsert(&d->fleet, &rs[i], pol, now, &r, &is_new), 0);
		assert_true(is_new);
		assert_int_equal(store_intervals(f->st, r->id, from, now, &iv, &n_iv), 0);
		r->n_hist = 0;
		for (size_t k = 0; k < n_iv; k++)
			assert_int_equal(fleet_hist_append(r, iv[k].start_ms, iv[k].state), 0);
		free(iv);
		assert_int_equal(store_maintenance_list(f->st, r->id, from - 32 * RFX_DAY,
		                                        INT64_MAX, false, &ms, &n_ms),
		                 0);
		mw = calloc(n_ms + 1, sizeof(*mw));
		assert_non_null(mw);
		for (size_t k = 0; k < n_ms; k++) {
			mw[k].start_ms = ms[k].start_ms;
			mw[k].end_ms = ms[k].end_ms;
			mw[k].declared_ms = ms[k].declared_ms;
		}
		store_maintenance_free(ms, n_ms);
		fleet_set_maintenance(r, mw, n_ms);
	}
	store_runners_free(rs, n);
	d->status = status_new(&d->x);
	assert_non_null(d->status);
}

static void daemon_side_stop(struct daemon_side *d)
{
	status_free(d->status);
	fleet_deinit(&d->fleet);
	assert_int_equal(uv_loop_close(&d->loop), 0);
}

/* GET /v1/runners/{id}/availability?from=&to= of runner @p name. */
static cJSON *api_answer(struct daemon_side *d, struct rfx *f, const char *name, int64_t from,
                         int64_t to)
{
	struct store_runner sr = {0};
	struct strbuf b;
	cJSON *doc;

	assert_int_equal(store_runner_get(f->st, name, 0, &sr), 0);
	strbuf_init(&b);
	assert_int_equal(api_availability_render(&d->x, &sr, from, to, d->clock.last_ms, &b), 0);
	store_runner_deinit(&sr);
	doc = cJSON_ParseWithLength(b.data, b.len);
	strbuf_deinit(&b);
	assert_non_null(doc);
	return doc;
}

static int stored_status(struct rfx *f, const char *name)
{
	struct store_runner sr = {0};
	int status;

	assert_int_equal(store_runner_get(f->st, name, 0, &sr), 0);
	status = sr.status;
	store_runner_deinit(&sr);
	return status;
}

/* The status page's figures of runner @p name over the month [ms, me):
 * its row's verdict, its uptime cell, and the sum of its bars' data-ms over
 * the month's days (a day without a bar is a day outside its part). */
static void status_figures(const char *page, const char *name, int64_t ms, int64_t me,
                           struct figures *out, char *uptime_cell, size_t cell_len)
{
	char key[128], month[8];
	const char *row, *end, *p, *q;
	size_t bars = 0;

	memset(out, 0, sizeof(*out));
	out->uptime_ppm = out->coverage_ppm = out->floor_ppm = -2; /* not compared */
	snprintf(key, sizeof(key), "data-runner=\"%s\"", name);
	row = strstr(page, key);
	assert_non_null(row);
	end = strstr(row, "</tr>");
	assert_non_null(end);
	p = strstr(row, "<td class=\"verdict v-");
	assert_true(p && p < end);
	p += strlen("<td class=\"verdict v-");
	q = strchr(p, '"');
	snprintf(out->verdict, sizeof(out->verdict), "%.*s", (int)(q - p), p);
	p = strstr(row, "<td class=\"n uptime\">");
	assert_true(p && p < end);
	p += strlen("<td class=\"n uptime\">");
	q = strstr(p, "</td>");
	snprintf(uptime_cell, cell_len, "%.*s", (int)(q - p), p);

	{
		char t[40];
		rfc3339_format(ms, t, sizeof(t));
		snprintf(month, sizeof(month), "%.7s", t); /* "2024-02" */
	}
	for (p = row; (p = strstr(p, "<g data-day=\"")) != NULL && p < end;) {
		/* down, unknown, maintenance, outside window, up, not registered */
		static const enum rw_state order[N_ST] = {
		        RW_STATE_DOWN,           RW_STATE_UNKNOWN, RW_STATE_MAINTENANCE,
		        RW_STATE_OUTSIDE_WINDOW, RW_STATE_UP,      RW_STATE_NOT_REGISTERED};
		const char *day = p + strlen("<g data-day=\"");
		const char *v = strstr(day, "data-ms=\"");
		assert_non_null(v);
		v += strlen("data-ms=\"");
		p = v;
		if (strncmp(day, month, 7) != 0)
			continue;
		bars++;
		for (int k = 0; k < N_ST; k++) {
			char *e;
			long long x = strtoll(v, &e, 10);
			if (e == v) {
				x = -1000000000000LL; /* a state the bar does not give */
			} else {
				v = e;
				if (*v == ',')
					v++;
			}
			out->ms[order[k]] += x;
		}
	}
	out->ms[RW_STATE_NOT_REGISTERED] +=
	        (int64_t)((size_t)((me - ms) / RFX_DAY) - bars) * RFX_DAY;
}

/* ---- the comparison ------------------------------------------------------------ */

/* The month @p y-@p mo under @p ps (its rolling window set to the month):
 * every view against the report. @return how many runners disagree in
 * some view; *n_compared receives the comparisons made. */
static int compare_month(struct rfx *f, int y, unsigned mo, struct policy_source *ps,
                         size_t *n_compared, size_t *n_api, size_t *n_status, size_t *n_whatif)
{
	int64_t ms = rfx_ms(y, mo, 1, 0, 0), me = rfx_ms(y, mo + 1, 1, 0, 0);
	int64_t later = me + 9 * RFX_DAY; /* the month is over */
	struct daemon_side d;
	struct monthly m;
	struct whatif_result wr;
	char err[256], *text;
	const char *page;
	size_t len;
	cJSON *report, *wdoc, *runner;
	int bad = 0;

	ps->pol.window.rolling_days = (uint32_t)((me - ms) / RFX_DAY);
	rfx_monthly(f, y, mo, later, NULL, ps, 1, &m);
	assert_false(m.partial);
	text = rfx_render(&m, REPORT_JSON, &len);
	report = cJSON_ParseWithLength(text, len);
	free(text);
	assert_non_null(report);
	monthly_deinit(&m);

	assert_int_equal(whatif_run(f->st, ps, ps, ms, me, later, &wr, err, sizeof(err)), 0);
	{
		char *buf = NULL;
		size_t n = 0;
		FILE *mem = open_memstream(&buf, &n);
		assert_non_null(mem);
		assert_int_equal(whatif_render_json(mem, &wr, ps, ps), 0);
		assert_int_equal(fclose(mem), 0);
		wdoc = cJSON_ParseWithLength(buf, n);
		free(buf);
		assert_non_null(wdoc);
	}
	whatif_result_deinit(&wr);

	daemon_side_start(&d, f, &ps->pol, me);
	assert_int_equal(status_render(d.status, me, &page, &len), 0);
	/* A build computes runners' past days within a time budget; on a busy
	 * machine the rest come with the next builds (as the daemon's would). */
	for (int i = 0; i < 20 && strstr(page, "are still being computed"); i++)
		assert_int_equal(status_render(d.status, me, &page, &len), 0);
	assert_null(strstr(page, "are still being computed"));

	cJSON_ArrayForEach(runner, cJSON_GetObjectItemCaseSensitive(report, "runners"))
	{
		const char *name = cJSON_GetObjectItemCaseSensitive(runner, "name")->valuestring;
		/* Retired by now (rv-beta, in February too): not in the fleet. */
		bool retired = stored_status(f, name) == STORE_RUNNER_RETIRED;
		struct figures want, got;
		int64_t sum = 0;
		cJSON *api, *w;

		figures_from_json(runner, &want);
		for (int k = 0; k < N_ST; k++)
			sum += want.ms[k];
		assert_int_equal(sum, me - ms); /* the six states are the month */

		/* The availability API over the month. */
		api = api_answer(&d, f, name, ms, me);
		figures_from_json(api, &got);
		bad += !agree(name, "API", &want, &got);
		cJSON_Delete(api);
		(*n_api)++;

		/* What-if's current side (not for a retired runner). */
		w = NULL;
		cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(wdoc, "runners"))
		{
			if (strcmp(cJSON_GetObjectItemCaseSensitive(w, "name")->valuestring,
			           name) == 0)
				break;
		}
		if (!retired) {
			assert_non_null(w);
			figures_from_json(cJSON_GetObjectItemCaseSensitive(w, "current"), &got);
			bad += !agree(name, "whatif", &want, &got);
			(*n_whatif)++;
		} else {
			assert_null(w);
		}

		/* The status page: the rolling verdict and uptime, the bars. */
		if (!retired) {
			char cell[64], want_cell[64];
			struct figures sf = want;
			status_figures(page, name, ms, me, &got, cell, sizeof(cell));
			sf.uptime_ppm = sf.coverage_ppm = sf.floor_ppm = -2;
			sf.has_uptime = sf.has_coverage = 0;
			bad += !agree(name, "status", &sf, &got);
			if (want.has_uptime)
				snprintf(want_cell, sizeof(want_cell),
				         "%" PRId64 ".%03" PRId64 " %%", want.uptime_ppm / 10000,
				         want.uptime_ppm / 10 % 1000);
			else
				snprintf(want_cell, sizeof(want_cell), "no data");
			if (strcmp(cell, want_cell) != 0) {
				print_error("%s: the status page shows uptime %s, the report %s\n",
				            name, cell, want_cell);
				bad++;
			}
			(*n_status)++;
		}
		(*n_compared)++;
	}
	cJSON_Delete(report);
	cJSON_Delete(wdoc);
	daemon_side_stop(&d);
	return bad;
}

static void policy_in_force(struct rfx *f, int y, unsigned mo, struct policy_source *ps)
{
	char err[256];

	policy_source_init(ps);
	assert_int_equal(
	        policy_source_at(ps, f->st,
	                         mo == 12 ? rfx_ms(y + 1, 1, 1, 0, 0) : rfx_ms(y, mo + 1, 1, 0, 0),
	                         err, sizeof(err)),
	        0);
}

static void test_views_agree(void **state)
{
	struct rfx *f = *state;
	size_t n = 0, n_api = 0, n_status = 0, n_whatif = 0;
	int bad = 0;

	rfx_build_history(f);
	for (unsigned mo = 2; mo <= 3; mo++) {
		struct policy_source ps;
		policy_in_force(f, 2024, mo, &ps);
		bad += compare_month(f, 2024, mo, &ps, &n, &n_api, &n_status, &n_whatif);
		policy_source_deinit(&ps);
	}
	/* March again with a service window (mon-fri 06:00-22:00): the views
	 * agree on outside_window too. */
	{
		struct policy_source ps;
		struct rw_policy_span *span = calloc(1, sizeof(*span));
		assert_non_null(span);
		policy_in_force(f, 2024, 3, &ps);
		span->days = 0x1f;
		span->from_min = 6 * 60;
		span->to_min = 22 * 60;
		free(ps.pol.service_spans);
		ps.pol.service_spans = span;
		ps.pol.n_service_spans = 1;
		bad += compare_month(f, 2024, 3, &ps, &n, &n_api, &n_status, &n_whatif);
		policy_source_deinit(&ps);
	}
	/* 4 runners a month; the retired one (rv-beta, retired on 03-20) is
	 * in neither what-if nor the status page. */
	assert_int_equal(n, 12);
	assert_int_equal(n_api, 12);
	assert_int_equal(n_whatif, 9);
	assert_int_equal(n_status, 9);
	if (bad)
		fail_msg("%d disagreements between the views (above)", bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_views_agree, rfx_setup, rfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
