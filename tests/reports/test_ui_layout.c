/* SPDX-License-Identifier: MIT */
/*
 * test_ui_layout.c — the monthly HTML report and the status page as people
 * see them: loaded in headless Chromium (tests/lib/cdp_layout.py drives it
 * over the DevTools protocol on a pipe) on a laptop (1280 px), a small
 * laptop (1024 px), a tablet (820 px), a phone (390 px) and paper (the
 * print media type at A4's 794 px), each measured and photographed. The
 * screenshots and pages stay in the build folder, beside this executable:
 * ui-report-2024-03*, ui-report-github-2024-06*, ui-status* (.html; .png
 * of the whole page; -top.png of the first screenful).
 *
 * On every page, at every width:
 *  - no horizontal scrollbar: the document is no wider than the viewport,
 *    and no element passes the viewport's right edge or scrolls sideways;
 *  - a summary (#summary) comes first, inside the viewport, and nothing in
 *    it spills out of its box;
 *  - laid out at the phone's own width (a page without a viewport meta is
 *    laid out 980 px wide and zoomed out);
 *  - no console message, exception or log entry (CSP violations are log
 *    entries), and no request but the page itself;
 *  - target triples (.triple) each on one line;
 *  - every verdict is text in colour (PASS, FAIL, INDETERMINATE written
 *    out; a background of its own, PASS's and FAIL's different), and every
 *    runner has a gauge of its uptime against its floor;
 *  - daily bars large enough to see: at 1280 px at least 8 px (report) or
 *    4 px (status page, 90 days) a day and 24 px high; at the other screen
 *    widths at least 2.5 px a day and 20 px high.
 * A deliberately bad page (too wide, a script that logs, an image from the
 * network) shows that the checks catch what they look for.
 *
 * The databases: the reports' scripted March 2024 (long triples, a failing
 * runner, a retired one, incidents, maintenance, a monitor outage) and June
 * 2024 with GitHub pools (report_fixture.h); for the status page a daemon
 * started on port 0 with runners on riscv64gc-unknown-linux-gnu,
 * aarch64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf,
 * x86_64-pc-windows-msvc and s390x-unknown-linux-gnu: one down now (an
 * open incident), one below its floor over 100 days of stored history, one
 * with maintenance and an acknowledged incident, and pools below the
 * policy's minimum of 2.
 * Without chromium the test FAILS, naming the package (contrib/check.sh
 * installs it; or set RW_CHROMIUM to a Chromium binary).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report_fixture.h"
#include "rwtest.h"

#define CDP_MS      120000
#define CONVERGE_MS 20000
#define DAY         ((int64_t)86400000)
#define HOUR        ((int64_t)3600000)

#define T_RV    "riscv64gc-unknown-linux-gnu"
#define T_ARM64 "aarch64-unknown-linux-gnu"
#define T_ARMV7 "armv7-unknown-linux-gnueabihf"
#define T_WIN   "x86_64-pc-windows-msvc"
#define T_S390X "s390x-unknown-linux-gnu"

/* The wall clock in ms (the seeded history ends now). */
static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const modes[] = {"1280x900", "1024x768", "820x1180", "390x844", "print:794"};
#define N_MODES (sizeof(modes) / sizeof(modes[0]))

/* The folder of this executable: the build folder, where screenshots stay. */
static void build_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(k > 0);
	exe[k] = '\0';
	snprintf(out, len, "%s", dirname(exe));
}

/* Runs cdp_layout.py on @p url in every mode; returns its JSON. */
static cJSON *measure(const char *dir, const char *url, const char *shots)
{
	char chromium[PATH_MAX], py[PATH_MAX], profile[512];
	static const char *const names[] = {"python3", NULL};
	struct rwt_opts o = {.timeout_ms = CDP_MS};
	struct rwt_res r = {0};
	cJSON *doc;

	rwt_chromium(chromium, sizeof(chromium), "this test, which loads the pages in it");
	rwt_require_program(py, sizeof(py), "RW_PYTHON3", names, "python3", "the browser driver");
	snprintf(profile, sizeof(profile), "%s/chromium-profile", dir);
	RWT_RUN(&r, &o, py, RW_SOURCE_DIR "/tests/lib/cdp_layout.py", chromium, profile, url, shots,
	        modes[0], modes[1], modes[2], modes[3], modes[4]);
	if (r.code != 0)
		fail_msg("cdp_layout.py %s: exit %d: %s", url, r.code, r.err);
	doc = cJSON_Parse(r.out);
	if (!doc)
		fail_msg("cdp_layout.py %s: no JSON: %s", url, r.out);
	rwt_res_free(&r);
	return doc;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("no number %s in the measurements", key);
	return v->valuedouble;
}

/* The first string of array @p key of @p o, or NULL when it is empty. */
static const char *first_of(const cJSON *o, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsArray(a))
		fail_msg("no array %s in the measurements", key);
	return cJSON_GetArraySize(a) ? cJSON_GetStringValue(cJSON_GetArrayItem(a, 0)) : NULL;
}

struct expect {
	const char *what;   /* "the report of 2024-03" */
	int runners;        /* verdicts, gauges and bars, at least */
	double day_px_wide; /* at 1280 px, the least width of a day's bar */
};

/* Holds one page's measurements to the checks above; returns how many
 * checks failed (each printed). */
static int check_page(const cJSON *doc, const struct expect *e)
{
	const char *s;
	int bad = 0;

	if ((s = first_of(doc, "console")) != NULL) {
		print_error("%s: console: %s\n", e->what, s);
		bad++;
	}
	if ((s = first_of(doc, "requests")) != NULL) {
		print_error("%s: the page requested %s\n", e->what, s);
		bad++;
	}
	for (size_t i = 0; i < N_MODES; i++) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(doc, "modes"), modes[i]);
		const cJSON *sum, *v;
		double cw;
		bool phone = strcmp(modes[i], "390x844") == 0, laptop = i == 0;
		char pass_bg_s[64] = "", fail_bg_s[64] = "";
		int verdicts = 0, bars = 0;

		assert_non_null(m);
		cw = num(m, "client_width");
		if (phone && cw != 390) {
			/* no viewport meta: a phone lays it out 980 px wide, zoomed out */
			print_error("%s at %s: laid out %g px wide, not at the phone's width\n",
			            e->what, modes[i], cw);
			bad++;
		}
		if (num(m, "scroll_width") > cw) {
			print_error("%s at %s: a horizontal scrollbar (%g px wide in %g)\n",
			            e->what, modes[i], num(m, "scroll_width"), cw);
			bad++;
		}
		if ((s = first_of(m, "overflowing")) != NULL) {
			print_error("%s at %s: %s\n", e->what, modes[i], s);
			bad++;
		}
		sum = cJSON_GetObjectItemCaseSensitive(m, "summary");
		if (!cJSON_IsObject(sum)) {
			print_error("%s at %s: no #summary\n", e->what, modes[i]);
			bad++;
		} else if (num(sum, "right") > cw + 0.5 ||
		           num(sum, "scroll_width") > num(sum, "client_width")) {
			print_error("%s at %s: the summary does not fit (right %g, %g in %g)\n",
			            e->what, modes[i], num(sum, "right"), num(sum, "scroll_width"),
			            num(sum, "client_width"));
			bad++;
		}
		if ((s = first_of(m, "wrapped_triples")) != NULL) {
			print_error("%s at %s: the triple %s is wrapped\n", e->what, modes[i], s);
			bad++;
		}
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "verdicts"))
		{
			const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(v, "text"));
			const char *bg = cJSON_GetStringValue(cJSON_GetObjectItem(v, "background"));
			verdicts++;
			if (!text || !bg ||
			    (!strstr(text, "PASS") && !strstr(text, "FAIL") &&
			     !strstr(text, "INDETERMINATE"))) {
				print_error("%s at %s: a verdict reads \"%s\"\n", e->what, modes[i],
				            text ? text : "?");
				bad++;
				continue;
			}
			if (strcmp(bg, "rgba(0, 0, 0, 0)") == 0) {
				print_error("%s at %s: the verdict %s has no colour of its own\n",
				            e->what, modes[i], text);
				bad++;
			}
			if (strstr(text, "PASS"))
				snprintf(pass_bg_s, sizeof(pass_bg_s), "%s", bg);
			if (strstr(text, "FAIL"))
				snprintf(fail_bg_s, sizeof(fail_bg_s), "%s", bg);
		}
		if (verdicts < e->runners) {
			print_error("%s at %s: %d verdicts for %d runners\n", e->what, modes[i],
			            verdicts, e->runners);
			bad++;
		}
		if (pass_bg_s[0] && fail_bg_s[0] && strcmp(pass_bg_s, fail_bg_s) == 0) {
			print_error("%s at %s: PASS and FAIL look alike (%s)\n", e->what, modes[i],
			            pass_bg_s);
			bad++;
		}
		if (num(m, "gauges") < e->runners) {
			print_error("%s at %s: %g uptime gauges for %d runners\n", e->what,
			            modes[i], num(m, "gauges"), e->runners);
			bad++;
		}
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "bars"))
		{
			double w = num(v, "width"), h = num(v, "height"), days = num(v, "days");
			double per_day = days > 0 ? w / days : 0;
			double want_w = laptop ? e->day_px_wide : 2.5, want_h = laptop ? 24 : 20;
			bars++;
			if (strncmp(modes[i], "print:", 6) == 0)
				continue; /* paper: it fits, above */
			if (days > 0 && (per_day < want_w || h < want_h)) {
				print_error("%s at %s: daily bars of %.1f px a day, %.0f px high\n",
				            e->what, modes[i], per_day, h);
				bad++;
				break;
			}
		}
		if (bars < e->runners) {
			print_error("%s at %s: %d daily bars for %d runners\n", e->what, modes[i],
			            bars, e->runners);
			bad++;
		}
	}
	return bad;
}

/* ---- the checks themselves ---------------------------------------------------- */

static void test_checks_catch(void **state)
{
	char dir[256], page[512], url[600], shots[600];
	struct expect e = {"a bad page", 1, 8};
	cJSON *doc;
	FILE *fp;

	(void)state;
	rwt_tmpdir(dir, sizeof(dir), "uibad");
	snprintf(page, sizeof(page), "%s/bad.html", dir);
	fp = fopen(page, "w");
	assert_non_null(fp);
	fputs("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bad</title></head>"
	      "<body><h2 id=\"summary\">Summary</h2><table><tr><td class=\"verdict\">PASS</td>"
	      "<td><code class=\"triple\">riscv64gc-unknown-linux-gnu</code></td>"
	      "<td><div style=\"width:1400px\">wide</div></td></tr></table>"
	      "<img src=\"http://192.0.2.1/x.png\" alt=\"\">"
	      "<script>console.error('boom')</script></body></html>\n",
	      fp);
	assert_int_equal(fclose(fp), 0);
	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(shots, sizeof(shots), "%s/bad", dir);
	doc = measure(dir, url, shots);
	assert_non_null(first_of(doc, "console"));
	assert_non_null(first_of(doc, "requests"));
	/* scrollbar, overflow, summary, verdict colour, gauge and bars: at
	 * each of the three widths, and more */
	assert_true(check_page(doc, &e) >= 12);
	cJSON_Delete(doc);
	rwt_tmpdir_remove(dir, false);
}

/* ---- the report ----------------------------------------------------------------- */

static void report_page(struct rfx *f, bool github, const char *month, const char *stem,
                        int runners)
{
	struct rwt_res r = {0};
	char page[PATH_MAX + 64], url[PATH_MAX + 80], shots[PATH_MAX + 64], bd[PATH_MAX], what[64];
	struct expect e = {what, runners, 8};
	cJSON *doc;

	if (github)
		rfx_build_github(f);
	else
		rfx_build_history(f);
	store_close(f->st);
	f->st = NULL;
	build_dir(bd, sizeof(bd));
	snprintf(page, sizeof(page), "%s/ui-%s.html", bd, stem); /* kept, to look at */
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", month, "--db", f->db,
	        "--format", "html", "--out", page);
	if (r.code != 0)
		fail_msg("report monthly --month %s: exit %d: %s", month, r.code, r.err);
	rwt_res_free(&r);
	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(shots, sizeof(shots), "%s/ui-%s", bd, stem);
	snprintf(what, sizeof(what), "the report of %s", month);
	doc = measure(f->dir, url, shots);
	if (check_page(doc, &e) > 0)
		fail_msg("%s does not read well (the screenshots are %s-*.png)", what, shots);
	cJSON_Delete(doc);
}

static void test_report(void **state)
{
	report_page(*state, false, "2024-03", "report-2024-03", 4);
}

static void test_report_github(void **state)
{
	report_page(*state, true, "2024-06", "report-github-2024-06", 4);
}

/* ---- the status page ------------------------------------------------------------- */

static const char policy_json[] =
        "{ \"version\": 1, \"uptime_floor\": 0.99,\n"
        "  \"tiers\": { \"1\": { \"uptime_floor\": 0.995 }, \"2\": { \"uptime_floor\": 0.99 },\n"
        "             \"3\": { \"uptime_floor\": 0.95 } },\n"
        "  \"targets\": { \"" T_RV "\": 2, \"" T_ARM64 "\": 1, \"" T_ARMV7 "\": 3,\n"
        "               \"" T_WIN "\": 2, \"" T_S390X "\": 2 },\n"
        "  \"pool\": { \"min_runners\": 2 },\n"
        "  \"flagging\": { \"probation_days\": 0 },\n"
        "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
        "             \"failures_to_down\": 2, \"successes_to_up\": 1 } }\n";

struct sfx {
	char dir[256], db[320], policy[320], daemon_log[320], fixture_log[320], cli_log[320];
	struct rwt_daemon d;
	struct rwt_fixtures fx;
	bool passed;
};

static int s_setup(void **state)
{
	struct sfx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "uistatus");
	snprintf(f->db, sizeof(f->db), "%s/runwarden.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->daemon_log, sizeof(f->daemon_log), "%s/daemon.log", f->dir);
	snprintf(f->fixture_log, sizeof(f->fixture_log), "%s/fixtures.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	rwt_write_file(f->policy, policy_json);
	*state = f;
	return 0;
}

static int s_teardown(void **state)
{
	struct sfx *f = *state;

	rwt_daemon_kill(&f->d, SIGTERM, 5000);
	rwt_fixtures_stop(&f->fx);
	if (!f->passed) {
		rwt_dump_file("runwarden serve stderr", f->daemon_log);
		rwt_dump_file("runwarden CLI stderr", f->cli_log);
	}
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

static void cli_runner(struct sfx *f, const char *name, const char *op, const char *t1,
                       const char *t2, int fixture)
{
	char url[128], out[256];
	int rc;

	rwt_fixture_url(&f->fx, (size_t)fixture, url, sizeof(url));
	if (t2)
		rc = rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--db", f->db,
		             "--operator", op, "--name", name, "--target", t1, "--target", t2,
		             "--url", url, "--interval", "1", "--allow-cidr", "127.0.0.0/8", NULL);
	else
		rc = rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--db", f->db,
		             "--operator", op, "--name", name, "--target", t1, "--url", url,
		             "--interval", "1", "--allow-cidr", "127.0.0.0/8", NULL);
	if (rc != 0)
		fail_msg("runner add %s: exit %d: %s", name, rc, out);
}

/* A runner registered 100 days ago through the store, with @p n_down
 * outages of @p down_ms each, spread over the last 90 days. */
static int64_t stored_runner(struct store *st, struct sfx *f, const char *name, const char *op,
                             const char *t1, const char *t2, int fixture, int n_down,
                             int64_t down_ms, int64_t *run)
{
	const char *targets[] = {t1, t2};
	struct store_runner sr = {0};
	struct store_rec recs[64];
	int64_t base = wall_ms() / DAY * DAY, prev;
	size_t n = 0;
	char url[128];

	rwt_fixture_url(&f->fx, (size_t)fixture, url, sizeof(url));
	assert_int_equal(store_operator_find(st, op, &sr.operator_id), 0);
	sr.name = (char *)name;
	sr.kind = "http";
	sr.url = url;
	sr.targets = (char **)targets;
	sr.n_targets = t2 ? 2 : 1;
	sr.status = STORE_RUNNER_APPROVED;
	sr.interval_s = 1;
	assert_int_equal(store_runner_add(st, &sr, base - 100 * DAY), 0);
	if (*run == 0)
		assert_int_equal(store_run_begin(st, base - 100 * DAY, run, &prev), 0);
	recs[n++] = (struct store_rec){.kind = STORE_REC_CHANGE,
	                               .u.change = {sr.id, base - 100 * DAY, RW_STATE_UP}};
	for (int i = 0; i < n_down && n + 2 < 64; i++) {
		int64_t at = base - (88 - i * 87 / (n_down > 1 ? n_down - 1 : 1)) * DAY + 9 * HOUR;
		recs[n++] = (struct store_rec){.kind = STORE_REC_CHANGE,
		                               .u.change = {sr.id, at, RW_STATE_DOWN}};
		recs[n++] = (struct store_rec){.kind = STORE_REC_CHANGE,
		                               .u.change = {sr.id, at + down_ms, RW_STATE_UP}};
	}
	assert_int_equal(store_write_batch(st, recs, n), 0);
	return sr.id;
}

static void seed(struct sfx *f)
{
	struct store *st = NULL;
	struct store_incident *inc = NULL;
	struct store_rec tick;
	int64_t base = wall_ms() / DAY * DAY, run = 0, id;
	size_t n = 0;
	char err[256];

	if (store_open(&st, f->db, 0, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	/* Below its floor: 12 outages of 3 h over 90 days, 4 in the last 30. */
	stored_runner(st, f, "arm64-graviton-flaky-07", "globex", T_ARM64, NULL, 3, 12, 3 * HOUR,
	              &run);
	/* Maintenance and an acknowledged, mitigated incident. */
	id = stored_runner(st, f, "rv-sifive-unmatched-old-02", "acme", T_RV, T_S390X, 1, 2,
	                   2 * HOUR, &run);
	assert_int_equal(store_maintenance_add(st, id, base - 20 * DAY + 12 * HOUR,
	                                       base - 20 * DAY + 15 * HOUR, base - 30 * DAY,
	                                       "firmware <update>", NULL),
	                 0);
	assert_int_equal(store_incident_list(st, 0, id, 0, INT64_MAX, &inc, &n), 0);
	assert_true(n >= 1);
	assert_int_equal(store_incident_ack(st, inc[n - 1].id, inc[n - 1].start_ms + 10 * 60000,
	                                    "<b>on it</b> & \"swapping the PSU\""),
	                 0);
	assert_int_equal(store_incident_mitigate(st, inc[n - 1].id,
	                                         inc[n - 1].start_ms + 70 * 60000, "spare fitted"),
	                 0);
	store_incidents_free(inc, n);
	tick = (struct store_rec){.kind = STORE_REC_TICK, .u.tick = {run, wall_ms() - 1000}};
	assert_int_equal(store_write_batch(st, &tick, 1), 0);
	store_close(st);
}

static char *get_page(struct sfx *f)
{
	char url[200];
	struct rwt_resp r;

	snprintf(url, sizeof(url), "%s/", f->d.url);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("GET /: HTTP %ld: %s", r.status, r.body);
	return r.body;
}

static void test_status(void **state)
{
	static const char *const fixture_modes[] = {"ok", "ok", "fail", "ok", "ok"};
	struct sfx *f = *state;
	struct expect e = {"the status page", 6, 4};
	char out[256], url[200], shots[PATH_MAX + 64], bd[PATH_MAX];
	int64_t deadline;
	cJSON *doc;

	rwt_fixtures_start(&f->fx, f->fixture_log, fixture_modes, 5);
	for (int i = 0; i < 2; i++)
		assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add",
		                         i ? "globex" : "acme", "--email", "ops@example.org",
		                         "--db", f->db, NULL),
		                 0);
	cli_runner(f, "rv-sifive-unmatched-01", "acme", T_RV, NULL, 0);
	cli_runner(f, "arm-ampere-altra-03", "globex", T_ARM64, T_ARMV7, 4);
	cli_runner(f, "win-msvc-builder-04", "globex", T_WIN, NULL, 2);
	cli_runner(f, "s390x-linuxone-05", "acme", T_S390X, NULL, 3);
	seed(f);
	{
		const char *const args[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8",
		                            NULL};
		rwt_daemon_start(&f->d, f->daemon_log, f->db, args);
	}
	/* Converged (the daemon's log says so; the page is built at the first
	 * request): every fixture runner probed, the failing one down. */
	deadline = rwt_mono_ms() + CONVERGE_MS;
	for (;;) {
		char *log = rwt_slurp(f->daemon_log, NULL);
		bool done = log && strstr(log, "runner=win-msvc-builder-04 from=unknown to=down") &&
		            strstr(log, "runner=rv-sifive-unmatched-01 from=unknown to=up") &&
		            strstr(log, "runner=arm-ampere-altra-03 from=unknown to=up") &&
		            strstr(log, "runner=s390x-linuxone-05 from=unknown to=up");
		free(log);
		if (done)
			break;
		if (rwt_mono_ms() >= deadline)
			fail_msg("the daemon did not converge within %d ms", CONVERGE_MS);
		rwt_sleep_ms(200);
	}
	rwt_sleep_ms(1000); /* the writer stores the incident in its next batch */
	{
		char *page = get_page(f);
		char path[PATH_MAX + 32];
		if (!strstr(page, "data-runner=\"win-msvc-builder-04\" data-state=\"down\"") ||
		    !strstr(page, "data-ongoing=\"yes\""))
			fail_msg("the page does not show win-msvc-builder-04 down with its "
			         "incident");
		build_dir(bd, sizeof(bd));
		snprintf(path, sizeof(path), "%s/ui-status.html", bd); /* kept, to look at */
		rwt_write_file(path, page);
		free(page);
	}
	snprintf(url, sizeof(url), "%s/", f->d.url);
	build_dir(bd, sizeof(bd));
	snprintf(shots, sizeof(shots), "%s/ui-status", bd);
	doc = measure(f->dir, url, shots);
	if (check_page(doc, &e) > 0)
		fail_msg("the status page does not read well (the screenshots are %s-*.png)",
		         shots);
	cJSON_Delete(doc);
	f->passed = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_checks_catch),
	        cmocka_unit_test_setup_teardown(test_report, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_report_github, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_status, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
