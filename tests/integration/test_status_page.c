/* SPDX-License-Identifier: MIT */
/*
 * test_status_page.c — the status page at GET / of the real daemon, read as
 * HTML and in a real browser.
 *
 * Three fixture runners on two targets: sp-ok (riscv64, up), sp-down
 * (riscv64 and s390x, its fixture fails) and sp-old (s390x, up), whose
 * registration and stored history are seeded through the store API before
 * the daemon starts: registered and up for 100 days, down for two hours 40 days ago (older than the
 * rolling window, so only the stored intervals know it), down for an hour 10 days ago (inside the
 * window, so memory knows it too), and a maintenance window 60 days ago; the old incident is
 * acknowledged and mitigated with notes that hold HTML's special characters.
 *
 * The test checks:
 *  - the answer: 200, text/html; charset=utf-8; HEAD answers too; POST is
 *    refused; nothing external (no script, no src, no href, no url());
 *  - its structure: one section per target with its tier, one row per runner
 *    and target with its state, four strips of 90 daily bars, the seeded
 *    days' figures in their bars' tooltips, the incidents with "ongoing",
 *    acknowledge and mitigate times, and the notes escaped;
 *  - in headless Chromium (`--dump-dom`): the rendered DOM has every runner
 *    with its state and no console message; a screenshot is saved as
 *    status_page.png beside this test's executable (the build folder).
 *    Without chromium the test FAILS (contrib/check.sh installs it; or set
 *    RW_CHROMIUM to a Chromium binary);
 *  - freshness: after sp-ok's fixture starts failing, the page shows sp-ok
 *    down within a minute (plus slack) of the daemon's route saying so,
 *    and a page never claims to be older than STATUS_MAX_AGE_MS.
 *
 * Every wait is bounded; Chromium is killed (its whole process group) after
 * CHROMIUM_MS. RW_KEEP_TMP=1 keeps the directory of a failed run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/api/status.h"
#include "monitor/core/clock.h"
#include "monitor/store/store.h"
#include "policy/base/rfc3339.h"
#include "rwtest.h"

#define DEADLINE_MS 20000
#define CHROMIUM_MS 30000
#define DAY         ((int64_t)86400000)
#define HOUR        ((int64_t)3600000)

#define T1 "riscv64gc-unknown-linux-gnu"
#define T2 "s390x-unknown-linux-gnu"

/* T1 is tier 2 with a stricter floor; probes every second, down after two
 * failures; no probation, so routing shows states, not probation. */
static const char policy_json[] =
        "{ \"version\": 1, \"uptime_floor\": 0.99,\n"
        "  \"tiers\": { \"2\": { \"uptime_floor\": 0.995 } },\n"
        "  \"targets\": { \"" T1 "\": 2 },\n"
        "  \"flagging\": { \"probation_days\": 0 },\n"
        "  \"probe\": { \"interval_s\": 1, \"timeout_ms\": 500,\n"
        "             \"failures_to_down\": 2, \"successes_to_up\": 1 } }\n";

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char policy[320], daemon_log[320], fixture_log[320], cli_log[320];
	char chromium_log[320], profile[320];
	struct rwt_daemon d;
	struct rwt_fixtures fx; /* sp-ok's (ok), sp-down's (fail), sp-old's (ok) */
	bool passed;
};

/* ---- processes ------------------------------------------------------------ */

static int64_t add_runner(struct fx *f, const char *name, const char *t1, const char *t2,
                          int fixture)
{
	char url[128], out[256];
	long long id = 0;
	int rc;

	rwt_fixture_url(&f->fx, (size_t)fixture, url, sizeof(url));
	if (t2)
		rc = rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr",
		             "127.0.0.0/8", "--db", f->db, "--operator", "acme", "--name", name,
		             "--target", t1, "--target", t2, "--url", url, "--interval", "1", NULL);
	else
		rc = rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr",
		             "127.0.0.0/8", "--db", f->db, "--operator", "acme", "--name", name,
		             "--target", t1, "--url", url, "--interval", "1", NULL);
	if (rc != 0 || sscanf(out, "runner %*s id %lld approved", &id) != 1 || id <= 0)
		fail_msg("runner add %s: exit %d: %s", name, rc, out);
	return id;
}

/* ---- the seeded history ------------------------------------------------------ */

struct seed {
	int64_t today; /* days since 1970-01-01 */
	int64_t old_down, recent_down, maint;
};

/* Registers sp-old 100 days ago (through the store: the CLI registers now,
 * and time before a runner's registration is not its own) with the
 * history above. */
static void seed_history(struct fx *f, struct seed *sd)
{
	struct store *st = NULL;
	struct store_incident *inc = NULL;
	struct store_runner sr = {0};
	const char *targets[] = {T2};
	char url[128];
	size_t n = 0;
	char err[256];
	int64_t base, id, run, prev;

	sd->today = clock_wall_ms() / DAY;
	base = sd->today * DAY;
	sd->old_down = base - 40 * DAY + 10 * HOUR;
	sd->recent_down = base - 10 * DAY + 10 * HOUR;
	sd->maint = base - 60 * DAY + 12 * HOUR;
	if (store_open(&st, f->db, 0, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	rwt_fixture_url(&f->fx, 2, url, sizeof(url));
	assert_int_equal(store_operator_find(st, "acme", &sr.operator_id), 0);
	sr.name = "sp-old";
	sr.kind = "http";
	sr.url = url;
	sr.targets = (char **)targets;
	sr.n_targets = 1;
	sr.status = STORE_RUNNER_APPROVED;
	sr.interval_s = 1;
	assert_int_equal(store_runner_add(st, &sr, base - 100 * DAY), 0);
	id = sr.id;
	/* A monitor that watched it from then until a second ago. */
	assert_int_equal(store_run_begin(st, base - 100 * DAY, &run, &prev), 0);
	struct store_rec recs[6] = {
	        {.kind = STORE_REC_CHANGE, .u.change = {id, base - 100 * DAY, RW_STATE_UP}},
	        {.kind = STORE_REC_CHANGE, .u.change = {id, sd->old_down, RW_STATE_DOWN}},
	        {.kind = STORE_REC_CHANGE, .u.change = {id, sd->old_down + 2 * HOUR, RW_STATE_UP}},
	        {.kind = STORE_REC_CHANGE, .u.change = {id, sd->recent_down, RW_STATE_DOWN}},
	        {.kind = STORE_REC_CHANGE, .u.change = {id, sd->recent_down + HOUR, RW_STATE_UP}},
	        {.kind = STORE_REC_TICK, .u.tick = {run, clock_wall_ms() - 1000}},
	};

	assert_int_equal(store_write_batch(st, recs, 6), 0);
	assert_int_equal(store_maintenance_add(st, id, sd->maint, sd->maint + 2 * HOUR,
	                                       sd->maint - 10 * DAY, "kernel <update>", NULL),
	                 0);
	assert_int_equal(store_incident_list(st, 0, id, 0, INT64_MAX, &inc, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(inc[0].start_ms, sd->old_down);
	assert_int_equal(store_incident_ack(st, inc[0].id, sd->old_down + 10 * 60000,
	                                    "<b>on it</b> & \"x\""),
	                 0);
	assert_int_equal(
	        store_incident_mitigate(st, inc[0].id, sd->old_down + 90 * 60000, "PSU 'swapped'"),
	        0);
	store_incidents_free(inc, n);
	store_close(st);
}

/* ---- the page ----------------------------------------------------------------- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void expect_has(const char *page, const char *what, const char *needle)
{
	if (!strstr(page, needle))
		fail_msg("%s: the page has no %s", what, needle);
}

static void expect_lacks(const char *page, const char *what, const char *needle)
{
	if (strstr(page, needle))
		fail_msg("%s: the page has %s", what, needle);
}

static char *get_page(struct fx *f)
{
	char url[200];
	struct rwt_resp r;

	snprintf(url, sizeof(url), "%s/", f->d.url);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("GET /: HTTP %ld: %s", r.status, r.body);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	return r.body;
}

/* The section of target @p triple (up to the next section), copied. */
static char *section(const char *page, const char *triple)
{
	char key[200];
	const char *p, *end;
	char *out;

	snprintf(key, sizeof(key), "<section class=\"target\" data-target=\"%s\">", triple);
	p = strstr(page, key);
	if (!p) {
		fail_msg("no section for target %s", triple);
		return NULL;
	}
	end = strstr(p + strlen(key), "<section");
	if (!end)
		end = p + strlen(p);
	out = strndup(p, (size_t)(end - p));
	assert_non_null(out);
	return out;
}

/* The row of runner @p name in @p html says state @p state. */
static void expect_row(const char *html, const char *where, const char *name, const char *state)
{
	char row[200];

	snprintf(row, sizeof(row), "<tr class=\"runner\" data-runner=\"%s\" data-state=\"%s\">",
	         name, state);
	expect_has(html, where, row);
	snprintf(row, sizeof(row), "<td class=\"name\">%s</td>", name);
	expect_has(html, where, row);
	snprintf(row, sizeof(row), "<span class=\"st st-%s\">%s</span>", state, state);
	expect_has(html, where, row);
}

/* The state the page gives runner @p name (its first row), or "". */
static void row_state(const char *page, const char *name, char *out, size_t len)
{
	char key[200];
	const char *p;

	snprintf(key, sizeof(key), "data-runner=\"%s\" data-state=\"", name);
	p = strstr(page, key);
	out[0] = '\0';
	if (p)
		snprintf(out, len, "%.*s", (int)strcspn(p + strlen(key), "\""), p + strlen(key));
}

/* The page's "As of" time. */
static int64_t page_time(const char *page)
{
	static const char key[] = "<p class=\"meta\">As of <time datetime=\"";
	const char *p = strstr(page, key);
	char t[40];
	int64_t ms;

	if (!p)
		fail_msg("the page has no \"As of\" time");
	snprintf(t, sizeof(t), "%.*s", (int)strcspn(p + strlen(key), "\""), p + strlen(key));
	if (rfc3339_parse(t, &ms) < 0)
		fail_msg("\"As of\" %s is not RFC 3339", t);
	return ms;
}

/* The tooltip of day @p day in the bars: "<title>YYYY-MM-DD: ...". */
static void day_title(char *out, size_t len, int64_t day, const char *rest)
{
	char t[40];
	rfc3339_format(day * DAY, t, sizeof(t));
	snprintf(out, len, "<title>%.10s: %s</title>", t, rest);
}

static void check_structure(const char *page, const struct seed *sd)
{
	char *s1 = section(page, T1), *s2 = section(page, T2), want[200];

	/* One document, self-contained. */
	assert_true(strncmp(page, "<!DOCTYPE html>\n<html", 21) == 0);
	assert_int_equal(count(page, "</html>"), 1);
	expect_has(page, "document", "<meta charset=\"utf-8\">");
	expect_has(page, "document", "<style>");
	expect_has(page, "document", "default-src 'none'");
	expect_lacks(page, "document", "<script");
	expect_lacks(page, "document", "src=");
	expect_lacks(page, "document", "href=");
	expect_lacks(page, "document", "url(");
	expect_lacks(page, "document", "@import");
	if (page_time(page) < clock_wall_ms() - STATUS_MAX_AGE_MS - 5000)
		fail_msg("the page is older than a minute");

	/* Targets in order, with their tiers; runners with their states. */
	assert_true(strstr(page, s1 + 1) < strstr(page, s2 + 1));
	expect_has(s1, T1,
	           "<h2><span class=\"triple\">" T1
	           "</span> <span class=\"tier\">tier 2</span></h2>");
	expect_has(s2, T2,
	           "<h2><span class=\"triple\">" T2
	           "</span> <span class=\"tier\">no tier</span></h2>");
	expect_row(s1, T1, "sp-ok", "up");
	expect_row(s1, T1, "sp-down", "down");
	expect_row(s2, T2, "sp-down", "down");
	expect_row(s2, T2, "sp-old", "up");
	expect_lacks(s1, T1, "data-runner=\"sp-old\"");
	expect_lacks(s2, T2, "data-runner=\"sp-ok\"");
	expect_has(s1, T1, "1 of 2 runners eligible");
	expect_has(s2, T2, "1 of 2 runners eligible");
	assert_int_equal(count(page, "<tr class=\"runner\""), 4);
	assert_int_equal(count(page, "<svg class=\"bars\""), 4);
	/* Floors: sp-down serves the tier-2 target, so its floor is tier 2's. */
	expect_has(s2, T2, "<td class=\"n floor\">99.5 %</td>");
	expect_has(s2, T2, "<td class=\"n floor\">99 %</td>");
	/* sp-old: 30 days with one hour down, PASS against 99 %. */
	expect_has(s2, "sp-old", "<td class=\"verdict v-PASS\">PASS</td>");

	/* sp-old's seeded days: the old outage only the store knows, the
	 * recent one memory knows too, credited maintenance; 90 bars each
	 * (sp-old's are all there: its history began 100 days ago). */
	day_title(want, sizeof(want), sd->old_down / DAY, "uptime 91.666 %; down 2 h 00 min");
	expect_has(s2, "sp-old, 40 days ago", want);
	day_title(want, sizeof(want), sd->recent_down / DAY, "uptime 95.833 %; down 1 h 00 min");
	expect_has(s2, "sp-old, 10 days ago", want);
	day_title(want, sizeof(want), sd->maint / DAY, "uptime 100.000 %; maintenance 2 h 00 min");
	expect_has(s2, "sp-old, 60 days ago", want);
	day_title(want, sizeof(want), sd->today - 89, "uptime 100.000 %");
	expect_has(s2, "sp-old, 89 days ago", want);
	day_title(want, sizeof(want), sd->today - 90, "uptime 100.000 %");
	expect_lacks(page, "91 days of bars", want);
	{
		/* sp-old's strip: a group per day, 90 of them. */
		const char *p = strstr(s2, "data-runner=\"sp-old\"");
		const char *end;
		p = p ? strstr(p, "<svg class=\"bars\"") : NULL; /* after the gauge */
		end = p ? strstr(p, "</svg>") : NULL;
		char *strip;
		assert_non_null(end);
		strip = strndup(p, (size_t)(end - p));
		assert_non_null(strip);
		assert_int_equal(count(strip, "<g data-day="), STATUS_DAYS);
		free(strip);
	}

	/* Incidents: sp-down's ongoing one, sp-old's two, newest first; the
	 * notes escaped. */
	expect_has(page, "incidents", "<section id=\"incidents\">");
	assert_int_equal(count(page, "<tr class=\"incident\""), 3);
	assert_int_equal(count(page, "<span class=\"ongoing\">ongoing</span>"), 1);
	expect_has(page, "incidents",
	           "<tr class=\"incident\" data-ongoing=\"yes\"><td>sp-down</td>");
	assert_true(strstr(page, "data-ongoing=\"yes\"><td>sp-down") <
	            strstr(page, "<td>sp-old</td>"));
	expect_has(page, "old incident", "<td class=\"n\">2 h 00 min</td>");
	expect_has(page, "old incident", " (+10 min)");
	expect_has(page, "old incident", " (+1 h 30 min)");
	expect_has(page, "ack note", "&lt;b&gt;on it&lt;/b&gt; &amp; &quot;x&quot;");
	expect_has(page, "mitigate note", "PSU &#39;swapped&#39;");
	expect_lacks(page, "ack note", "<b>");
	expect_lacks(page, "maintenance reason", "<update>");
	free(s1);
	free(s2);
}

/* ---- Chromium ---------------------------------------------------------------- */

/* Runs Chromium headless with @p extra (a flag) on @p url, its stderr
 * appended to f->chromium_log, in its own process group, killed after
 * CHROMIUM_MS. Fails the test unless it exits 0; returns its stdout (the
 * caller frees it). */
static char *chromium(struct fx *f, const char *bin, const char *extra, const char *url)
{
	struct rwt_opts o = {.log = f->chromium_log, .timeout_ms = CHROMIUM_MS};
	struct rwt_res r = {0};
	char prof[400], *out;

	snprintf(prof, sizeof(prof), "--user-data-dir=%s", f->profile);
	RWT_RUN(&r, &o, bin, "--headless", "--no-sandbox", "--disable-gpu",
	        "--enable-logging=stderr", "--v=0", prof, "--no-first-run",
	        "--no-default-browser-check", "--disable-background-networking",
	        "--disable-component-update", "--disable-sync", "--window-size=1280,2000", extra,
	        url);
	if (r.code != 0)
		fail_msg("chromium %s failed (exit %d; see %s)", extra, r.code, f->chromium_log);
	out = r.out;
	r.out = NULL;
	rwt_res_free(&r);
	return out;
}

/* Console messages (errors, CSP violations) in Chromium's log. */
static size_t console_messages(const char *log, char *first, size_t len)
{
	size_t n = 0;

	first[0] = '\0';
	for (const char *p = strstr(log, ":CONSOLE"); p; p = strstr(p + 1, ":CONSOLE"))
		if (n++ == 0)
			snprintf(first, len, "%.*s", (int)strcspn(p, "\n"), p);
	return n;
}

static void check_in_browser(struct fx *f, const char *bin)
{
	char url[200], shot[PATH_MAX + 32], exe[PATH_MAX], flag[PATH_MAX + 32], first[300];
	char *dom, *log;
	ssize_t k;
	struct stat sb;
	unsigned char sig[8];
	FILE *fp;

	snprintf(url, sizeof(url), "%s/", f->d.url);
	dom = chromium(f, bin, "--dump-dom", url);
	/* The browser parsed what the daemon sent: every runner with its state,
	 * the escaped note as text (no <b> element came of it). */
	expect_has(dom, "DOM", "<h1>Runner status</h1>");
	expect_row(dom, "DOM", "sp-ok", "up");
	expect_row(dom, "DOM", "sp-down", "down");
	expect_row(dom, "DOM", "sp-old", "up");
	assert_int_equal(count(dom, "<svg class=\"bars\""), 4);
	expect_has(dom, "DOM", "&lt;b&gt;on it&lt;/b&gt; &amp; \"x\"");
	expect_lacks(dom, "DOM", "<b>");
	expect_lacks(dom, "DOM", "<script");
	free(dom);

	/* The screenshot, beside this executable: the build folder. */
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(k > 0);
	exe[k] = '\0';
	snprintf(shot, sizeof(shot), "%s/status_page.png", dirname(exe));
	unlink(shot);
	snprintf(flag, sizeof(flag), "--screenshot=%s", shot);
	free(chromium(f, bin, flag, url));
	if (stat(shot, &sb) < 0 || sb.st_size < 1000)
		fail_msg("chromium wrote no screenshot at %s", shot);
	fp = fopen(shot, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(sig, 1, 8, fp), 8);
	fclose(fp);
	assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
	print_message("status page screenshot: %s\n", shot);

	log = rwt_slurp(f->chromium_log, NULL);
	if (log && console_messages(log, first, sizeof(first)) > 0)
		fail_msg("the page logged to the console: %s", first);
	free(log);
}

/* ---- fixture ------------------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "status");
	rwt_db(f->db, sizeof(f->db), f->dir, "runwarden.db");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->daemon_log, sizeof(f->daemon_log), "%s/daemon.log", f->dir);
	snprintf(f->fixture_log, sizeof(f->fixture_log), "%s/fixtures.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->chromium_log, sizeof(f->chromium_log), "%s/chromium.log", f->dir);
	snprintf(f->profile, sizeof(f->profile), "%s/chromium-profile", f->dir);
	rwt_write_file(f->policy, policy_json);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGTERM, 5000);
	rwt_fixtures_stop(&f->fx);
	if (!f->passed) {
		rwt_dump_file("runwarden serve stderr", f->daemon_log);
		rwt_dump_file("rw-demo-runner stderr", f->fixture_log);
		rwt_dump_file("runwarden CLI stderr", f->cli_log);
		rwt_dump_file("chromium stderr", f->chromium_log);
	}
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

/* ---- the test ------------------------------------------------------------------- */

/* Polls the page until runner @p name shows @p state; fails after @p ms. */
static char *wait_page_state(struct fx *f, const char *name, const char *state, int64_t ms)
{
	int64_t deadline = rwt_mono_ms() + ms;
	char got[32];

	for (;;) {
		char *page = get_page(f);
		row_state(page, name, got, sizeof(got));
		if (strcmp(got, state) == 0)
			return page;
		if (page_time(page) < clock_wall_ms() - STATUS_MAX_AGE_MS - 5000)
			fail_msg("the page is older than a minute");
		free(page);
		if (rwt_mono_ms() >= deadline)
			fail_msg("the page shows %s %s, not %s, after %" PRId64 " ms", name, got,
			         state, ms);
		rwt_sleep_ms(500);
	}
}

/* Waits until the writer has stored @p want incidents overlapping the last
 * day (it writes them in its next batch, within 100 ms of the change). */
static void wait_incidents(struct fx *f, size_t want)
{
	int64_t deadline = rwt_mono_ms() + DEADLINE_MS;
	struct store *st = NULL;
	char err[256];

	if (store_open(&st, f->db, STORE_READONLY, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	for (;;) {
		struct store_incident *v = NULL;
		size_t n = 0;
		int rc = store_incident_list(st, 0, 0, clock_wall_ms() - DAY, INT64_MAX, &v, &n);
		store_incidents_free(v, n);
		if (rc == 0 && n == want)
			break;
		if (rwt_mono_ms() >= deadline)
			fail_msg("%zu incidents in the last day, not %zu", n, want);
		rwt_sleep_ms(50);
	}
	store_close(st);
}

/* Polls the route answer of @p target until runner @p name is @p want:
 * "eligible" or an exclusion reason. */
static void wait_route(struct fx *f, const char *target, const char *name, const char *want)
{
	int64_t deadline = rwt_mono_ms() + DEADLINE_MS;
	char url[256], got[32];

	snprintf(url, sizeof(url), "%s/v1/route?target=%s", f->d.url, target);
	for (;;) {
		struct rwt_resp r;
		const cJSON *e;
		cJSON *doc;

		rwt_http("GET", url, NULL, NULL, 0, &r);
		assert_int_equal(r.status, 200);
		doc = cJSON_Parse(r.body);
		rwt_resp_free(&r);
		assert_non_null(doc);
		snprintf(got, sizeof(got), "absent");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "eligible"))
		{
			const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
			if (n && strcmp(n, name) == 0)
				snprintf(got, sizeof(got), "eligible");
		}
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "excluded"))
		{
			const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
			const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(e, "reason"));
			if (n && why && strcmp(n, name) == 0)
				snprintf(got, sizeof(got), "%s", why);
		}
		cJSON_Delete(doc);
		if (strcmp(got, want) == 0)
			return;
		if (rwt_mono_ms() >= deadline)
			fail_msg("route %s: %s is %s, not %s", target, name, got, want);
		rwt_sleep_ms(200);
	}
}

static void test_status_page(void **state)
{
	static const char *const fixture_modes[] = {"ok", "fail", "ok"};
	struct fx *f = *state;
	struct seed sd;
	struct rwt_resp r;
	char bin[PATH_MAX], url[200], out[256];
	char *page;
	int64_t t_down;

	rwt_chromium(bin, sizeof(bin), "this test, which loads the status page in it");

	rwt_fixtures_start(&f->fx, f->fixture_log, fixture_modes, 3);
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	                         "ops@example.org", "--db", f->db, NULL),
	                 0);
	add_runner(f, "sp-ok", T1, NULL, 0);
	add_runner(f, "sp-down", T1, T2, 1);
	seed_history(f, &sd);
	{
		const char *const args[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8",
		                            NULL};
		rwt_daemon_start(&f->d, f->daemon_log, f->db, args);
	}

	/* The daemon converges within seconds (it probes every second); the
	 * first request for the page builds it then. (A page built earlier
	 * would show the runners unknown, or sp-down without its incident,
	 * for up to a minute.) */
	wait_route(f, T1, "sp-ok", "eligible");
	wait_route(f, T1, "sp-down", "down");
	wait_route(f, T2, "sp-old", "eligible");
	wait_incidents(f, 1); /* sp-down's */
	page = get_page(f);
	check_structure(page, &sd);
	free(page);

	/* HEAD answers like GET, without the body; other methods are refused. */
	snprintf(url, sizeof(url), "%s/", f->d.url);
	rwt_http("HEAD", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	assert_int_equal(r.len, 0);
	rwt_resp_free(&r);
	rwt_http("POST", url, NULL, "{}", (size_t)-1, &r);
	assert_int_equal(r.status, 405);
	rwt_resp_free(&r);

	check_in_browser(f, bin);

	/* Cached: pages served back to back come from one build (the same
	 * bytes, to the millisecond of their "As of"), but where a rebuild
	 * (at most one a minute, plus the minute job's) falls between two. */
	{
		char *p[4];
		bool same = false;
		for (int i = 0; i < 4; i++)
			p[i] = get_page(f);
		for (int i = 1; i < 4; i++)
			same = same || strcmp(p[i - 1], p[i]) == 0;
		for (int i = 0; i < 4; i++)
			free(p[i]);
		if (!same)
			fail_msg("four pages served back to back are four different builds");
	}

	/* Freshness: sp-ok fails; the route knows within seconds, the page
	 * within a minute; a page served in between is never older than that. */
	rwt_fixture_mode(&f->fx, 0, "fail");
	wait_route(f, T1, "sp-ok", "down");
	t_down = rwt_mono_ms();
	page = wait_page_state(f, "sp-ok", "down", STATUS_MAX_AGE_MS + 10000);
	print_message("the page showed sp-ok down %" PRId64 " ms after the route did\n",
	              rwt_mono_ms() - t_down);
	expect_row(page, "after the change", "sp-ok", "down");
	assert_int_equal(count(page, "<span class=\"ongoing\">ongoing</span>"), 2);
	free(page);

	rwt_daemon_stop(&f->d, 5000);
	f->passed = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_status_page, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
