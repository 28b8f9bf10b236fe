/* SPDX-License-Identifier: MIT */
/*
 * test_report_cli.c — `runwarden report monthly` as users run it: the real
 * binaries (RW_BIN execs RW_REPORT_BIN) on the scripted database of
 * report_fixture.h.
 *
 *  - Every format through `runwarden report monthly` is byte for byte its
 *    golden file (the months are over, so the wall clock plays no part), and
 *    runwarden-report directly says the same; so is a month with GitHub pools
 *    (report_fixture.h's rfx_build_github()); --out writes the same bytes
 *    (and leaves no temporary file); --stamp adds the time of generation and
 *    nothing else changes; --operator and --policy are honoured; the database
 *    is only read.
 *  - Errors exit 2 with one line naming the problem: a bad month, a month in
 *    the future, a missing database (not created), an empty database (a
 *    zero-byte file, and a schema with no runners), a bad --format, an
 *    unknown --operator, an invalid --policy, no --month.
 *  - HTML in a browser: headless Chromium loads the page with no console
 *    message at all and no request made by the page (its net log is read); a
 *    deliberately bad page shows that both checks catch what they look for;
 *    the golden page of a month with GitHub pools too.
 *    Without chromium the test FAILS, naming the package (contrib/check.sh
 *    installs it; or set RW_CHROMIUM to a Chromium binary).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report_fixture.h"
#include "rwtest.h"

/* The fixture closed, so that only the binaries touch the file. */
static void build_and_close(struct rfx *f)
{
	rfx_build_history(f);
	store_close(f->st);
	f->st = NULL;
}

static char *golden(const char *name, size_t *len)
{
	char path[512];
	char *text;

	snprintf(path, sizeof(path), "%s/tests/reports/golden/%s", RW_SOURCE_DIR, name);
	text = rwt_slurp(path, len);
	assert_non_null(text);
	return text;
}

static void assert_same(const struct rwt_res *r, const char *golden_name)
{
	size_t len;
	char *want = golden(golden_name, &len);

	if (r->code != 0)
		print_error("stderr: %s\n", r->err);
	assert_int_equal(r->code, 0);
	assert_string_equal(r->err, "");
	assert_int_equal(r->out_len, len);
	assert_memory_equal(r->out, want, len);
	free(want);
}

static void test_formats_match_golden(void **state)
{
	static const char *const fmts[] = {"md", "json", "csv", "html"};
	struct rfx *f = *state;
	struct rwt_res r = {0};
	struct stat before, after;

	build_and_close(f);
	/* The reports only read: the file is not touched; on PostgreSQL no
	 * row (rwt_sql_write_mark()). */
	int64_t xmin_before = 0;
	if (rwt_db_is_pg(f->db))
		xmin_before = rwt_sql_write_mark(f->db);
	else
		assert_int_equal(stat(f->db, &before), 0);
	for (size_t i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof(name), "monthly-2024-02.%s", fmts[i]);
		RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db",
		        f->db, "--format", fmts[i]);
		assert_same(&r, name);
		rwt_res_free(&r);
		snprintf(name, sizeof(name), "monthly-2024-03.%s", fmts[i]);
		RWT_RUN(&r, &f->run, RW_REPORT_BIN, "monthly", "--format", fmts[i], "--month",
		        "2024-03", "--db", f->db);
		assert_same(&r, name);
		rwt_res_free(&r);
	}
	/* Markdown is the default format. */
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db);
	assert_same(&r, "monthly-2024-02.md");
	rwt_res_free(&r);
	/* Only read: not a byte of the file changes. */
	if (rwt_db_is_pg(f->db)) {
		assert_int_equal(rwt_sql_write_mark(f->db), xmin_before);
		return;
	}
	assert_int_equal(stat(f->db, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
}

/* A month with GitHub pools: members and pickup figures, from the binary. */
static void test_github_formats_match_golden(void **state)
{
	static const char *const fmts[] = {"md", "json", "csv", "html"};
	struct rfx *f = *state;
	struct rwt_res r = {0};

	rfx_build_github(f);
	store_close(f->st);
	f->st = NULL;
	for (size_t i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof(name), "monthly-github-2024-06.%s", fmts[i]);
		RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-06", "--db",
		        f->db, "--format", fmts[i]);
		assert_same(&r, name);
		rwt_res_free(&r);
	}
}

static void test_out_stamp_operator_policy(void **state)
{
	struct rfx *f = *state;
	struct rwt_res r = {0};
	char out[256], tmp[300], path[256], *text, *want;
	size_t len, want_len;
	cJSON *doc;

	build_and_close(f);
	/* --out: the same bytes as standard output, no temporary file left. */
	snprintf(out, sizeof(out), "%s/report.html", f->dir);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--format", "html", "--out", out);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.out_len, 0);
	rwt_res_free(&r);
	text = rwt_slurp(out, &len);
	want = golden("monthly-2024-02.html", &want_len);
	assert_int_equal(len, want_len);
	assert_memory_equal(text, want, len);
	free(text);
	free(want);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	assert_int_equal(access(tmp, F_OK), -1);

	/* --stamp: a "generated" member, the rest unchanged. */
	RWT_RUN(&r, &f->run, RW_REPORT_BIN, "monthly", "--month", "2024-02", "--db", f->db,
	        "--format", "json", "--stamp");
	assert_int_equal(r.code, 0);
	doc = cJSON_Parse(r.out);
	assert_non_null(doc);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(doc, "generated")));
	cJSON_DeleteItemFromObject(doc, "generated");
	want = golden("monthly-2024-02.json", NULL);
	{
		cJSON *g = cJSON_Parse(want);
		assert_true(cJSON_Compare(doc, g, true));
		cJSON_Delete(g);
	}
	free(want);
	cJSON_Delete(doc);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_REPORT_BIN, "monthly", "--month", "2024-02", "--db", f->db,
	        "--stamp");
	assert_non_null(strstr(r.out, "\n- Generated: "));
	rwt_res_free(&r);

	/* --operator and --policy. */
	rfx_write_file(
	        f->dir, "lenient.json",
	        "{ \"version\": 9, \"uptime_floor\": 0.9, \"vantage\": { \"quorum\": 3 } }\n", path,
	        sizeof(path));
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--operator", "acme", "--policy", "lenient.json", "--format", "csv");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "\r\nrv-alpha,1,acme,"));
	assert_non_null(strstr(r.out, ",PASS,0.988355,0.9,"));
	assert_null(strstr(r.out, "s390-gamma"));
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--operator", "acme", "--policy", "lenient.json");
	assert_non_null(strstr(r.out, "- Policy: lenient.json, version 9\n"));
	assert_non_null(strstr(r.out, "- Operator: acme\n"));
	rwt_res_free(&r);
	/* The JSON's policy section names the quorum the report's policy sets. */
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--policy", "lenient.json", "--format", "json");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "\"failures_to_down\":3,\"vantage_quorum\":3,"));
	rwt_res_free(&r);
}

static void test_errors_exit_2(void **state)
{
	struct rfx *f = *state;
	struct rwt_res r = {0};
	char nodb[192], empty[192], fresh[192], future[8], path[256];
	struct store *st;
	FILE *fp;

	build_and_close(f);
	snprintf(nodb, sizeof(nodb), "%s/nope.db", f->dir);
	snprintf(empty, sizeof(empty), "%s/empty.db", f->dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", f->dir);
	fp = fopen(empty, "wb");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(store_open(&st, fresh, STORE_CREATE, path, sizeof(path)), 0);
	store_close(st);
	{
		time_t t = time(NULL) + 62 * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		snprintf(future, sizeof(future), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	}

	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-13", "--db", f->db);
	assert_int_equal(rfx_one_line_error(&r, 2, "bad month", "--month: \"2024-13\""), 0);
	assert_int_equal(r.out_len, 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "24-02", "--db", f->db);
	assert_int_equal(rfx_one_line_error(&r, 2, "short month", "--month"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", future, "--db", f->db);
	assert_int_equal(rfx_one_line_error(&r, 2, "future month", "is in the future"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", nodb);
	assert_int_equal(rfx_one_line_error(&r, 2, "missing database", "nope.db"), 0);
	assert_int_equal(access(nodb, F_OK), -1); /* not created */
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", empty);
	assert_int_equal(rfx_one_line_error(&r, 2, "zero-byte database", "empty database"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", fresh);
	assert_int_equal(rfx_one_line_error(&r, 2, "no runners", "empty database"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--format", "pdf");
	assert_int_equal(rfx_one_line_error(&r, 2, "format", "--format: \"pdf\""), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--operator", "nobody");
	assert_int_equal(rfx_one_line_error(&r, 2, "operator", "no operator named \"nobody\""), 0);
	rwt_res_free(&r);
	rfx_write_file(f->dir, "bad.json", "{\n  \"version\": 2,\n  \"pool\": { \"min\": 1 }\n}\n",
	               path, sizeof(path));
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--policy", "bad.json");
	assert_int_equal(rfx_one_line_error(&r, 2, "bad policy", "bad.json:3: pool.min"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--db", f->db);
	assert_int_equal(rfx_one_line_error(&r, 2, "no month", "--month YYYY-MM is required"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--bogus");
	assert_int_equal(rfx_one_line_error(&r, 2, "unknown option", "--bogus"), 0);
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "report");
	assert_int_equal(rfx_one_line_error(&r, 2, "no report", "which report"), 0);
	rwt_res_free(&r);

	/* Help. */
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--help");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "usage: runwarden report monthly --month YYYY-MM"));
	rwt_res_free(&r);
	RWT_RUN(&r, &f->run, RW_BIN, "--help");
	assert_non_null(strstr(r.out, "report monthly"));
	rwt_res_free(&r);
}

/* ---- HTML in headless Chromium ----------------------------------------------- */

struct browse {
	int code;
	char *dom;               /* what --dump-dom printed */
	int console;             /* console messages in the log */
	int requests;            /* requests the page made (net log) */
	char first_console[256]; /* the first of each */
	char first_request[256];
};

/* Requests the page made: URL_REQUEST_START_JOB events (the beginning of a
 * job, which names its url) whose initiator is the page (a file:// page's
 * origin is "null"), not the browser itself ("not an origin"). */
static int page_requests(const char *netlog, char *first, size_t len)
{
	size_t n = 0;
	char *text = rwt_slurp(netlog, &n), *fixed;
	cJSON *doc, *types, *events;
	int job = -1, count = 0;

	assert_non_null(text);
	doc = cJSON_Parse(text);
	if (!doc) { /* a log cut short: close it as Chromium documents */
		fixed = malloc(n + 4);
		assert_non_null(fixed);
		memcpy(fixed, text, n);
		memcpy(fixed + n, "]}", 3);
		doc = cJSON_Parse(fixed);
		free(fixed);
	}
	free(text);
	assert_non_null(doc);
	types = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "constants"), "logEventTypes");
	assert_non_null(cJSON_GetObjectItem(types, "URL_REQUEST_START_JOB"));
	job = cJSON_GetObjectItem(types, "URL_REQUEST_START_JOB")->valueint;
	events = cJSON_GetObjectItem(doc, "events");
	for (const cJSON *e = events ? events->child : NULL; e; e = e->next) {
		const cJSON *params = cJSON_GetObjectItem(e, "params");
		const cJSON *init = cJSON_GetObjectItem(params, "initiator");
		const cJSON *url = cJSON_GetObjectItem(params, "url");
		if (cJSON_GetObjectItem(e, "type")->valueint != job || !cJSON_IsString(url))
			continue; /* another event, or the end of a job (no url, no initiator) */
		if (cJSON_IsString(init) && strcmp(init->valuestring, "not an origin") == 0)
			continue; /* Chromium's own background traffic */
		if (count++ == 0)
			snprintf(first, len, "%s", url->valuestring);
	}
	cJSON_Delete(doc);
	return count;
}

static void browse(const char *chromium, const char *dir, const char *page, struct browse *b)
{
	char netlog[256], profile[256], logflag[300], profflag[300], url[600];
	struct rwt_opts o = {.dir = dir};
	struct rwt_res r = {0};
	const char *line;

	memset(b, 0, sizeof(*b));
	snprintf(netlog, sizeof(netlog), "%s/netlog.json", dir);
	snprintf(profile, sizeof(profile), "%s/chromium-profile", dir);
	snprintf(logflag, sizeof(logflag), "--log-net-log=%s", netlog);
	snprintf(profflag, sizeof(profflag), "--user-data-dir=%s", profile);
	snprintf(url, sizeof(url), "file://%s", page);
	unlink(netlog);
	RWT_RUN(&r, &o, chromium, "--headless", "--no-sandbox", "--disable-gpu",
	        "--enable-logging=stderr", "--v=1", logflag, profflag,
	        "--disable-background-networking", "--disable-component-update", "--disable-sync",
	        "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
	        "--virtual-time-budget=5000", "--dump-dom", url);
	b->code = r.code;
	b->dom = r.out;
	r.out = NULL;
	for (line = r.err; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		if (memmem(line, n, ":CONSOLE", 8) != NULL && b->console++ == 0)
			snprintf(b->first_console, sizeof(b->first_console), "%.*s", (int)n, line);
	}
	rwt_res_free(&r);
	b->requests = page_requests(netlog, b->first_request, sizeof(b->first_request));
}

static void test_html_in_chromium(void **state)
{
	struct rfx *f = *state;
	struct rwt_res r = {0};
	struct browse b;
	char chromium[512], page[512], bad[256];

	rwt_chromium(chromium, sizeof(chromium), "the browser check of the HTML report");
	build_and_close(f);
	snprintf(page, sizeof(page), "%s/report.html", f->dir);
	RWT_RUN(&r, &f->run, RW_BIN, "report", "monthly", "--month", "2024-02", "--db", f->db,
	        "--format", "html", "--out", page);
	assert_int_equal(r.code, 0);
	rwt_res_free(&r);

	/* The checks catch what they look for: a page with a script that logs an
	 * error and an image from the network. */
	rfx_write_file(f->dir, "bad.html",
	               "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bad</title>"
	               "</head><body><img src=\"http://192.0.2.1/x.png\" alt=\"\">"
	               "<script>console.error('boom')</script></body></html>\n",
	               bad, sizeof(bad));
	browse(chromium, f->dir, bad, &b);
	assert_int_equal(b.code, 0);
	assert_true(b.console >= 1);
	assert_true(b.requests >= 1);
	free(b.dom);

	browse(chromium, f->dir, page, &b);
	assert_int_equal(b.code, 0);
	if (b.console || b.requests)
		fail_msg("the report made %d console messages (%s) and %d requests (%s)", b.console,
		         b.first_console, b.requests, b.first_request);
	/* It rendered: the DOM is the report, charts included. */
	assert_non_null(strstr(b.dom, "<h1>Monthly compliance report: 2024-02</h1>"));
	assert_non_null(strstr(b.dom, "<svg class=\"heat\""));
	assert_non_null(strstr(b.dom, "class=\"d\""));
	free(b.dom);

	/* The page of a month with GitHub pools, as the golden file has it. */
	snprintf(page, sizeof(page), "%s/tests/reports/golden/monthly-github-2024-06.html",
	         RW_SOURCE_DIR);
	browse(chromium, f->dir, page, &b);
	assert_int_equal(b.code, 0);
	if (b.console || b.requests)
		fail_msg("the GitHub report made %d console messages (%s) and %d requests (%s)",
		         b.console, b.first_console, b.requests, b.first_request);
	assert_non_null(strstr(b.dom, "<h2 id=\"github-pools\">GitHub pools</h2>"));
	free(b.dom);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_formats_match_golden, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_github_formats_match_golden, rfx_setup,
	                                        rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_out_stamp_operator_policy, rfx_setup,
	                                        rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_errors_exit_2, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_html_in_chromium, rfx_setup, rfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
