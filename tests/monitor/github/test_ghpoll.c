/* SPDX-License-Identifier: MIT */
/*
 * test_ghpoll.c — ghpoll.c (and ghauth.c's token exchange) on a real libuv
 * loop against the fake GitHub (tests/lib/fake_github.py, started per test
 * on port 0 and driven through /_control/).
 *
 * What it proves: organisation and repository lists come back whole, with
 * online, busy and lower-cased labels, and a source shared by several adds
 * is polled once per interval; 250 runners come in 3 pages by Link, sorted
 * by id; later polls are conditional, all-304 polls hand out the very same
 * list (not rebuilt, not parsed) and cost no rate limit, and a change on
 * one page is read from that page alone; 401, 403 with Retry-After, 429,
 * 403 with x-ratelimit-remaining 0, 503, a hang (the request timeout), a
 * broken and a truncated body, a 403 without a rate limit and a redirect
 * (a renamed repository; not followed) each end a
 * poll with rc < 0 and the source recovers at the next poll; no request
 * leaves before Retry-After or the reset passes, on any source; a 404 says
 * which owner; the App flow with keys made here (the fake checks the JWT
 * with the public key), tokens renewed before they expire with no poll
 * lost, a wrong key refused once and not hammered; sources polled
 * concurrently but never two requests at once on one source; ten pools on
 * three owners cost three requests per interval; a source removed while its
 * request hangs reports nothing more; a callback may remove its own source,
 * add another and close the poller. Every test ends with ghpoll's closed
 * callback run exactly once, no illegal state change, and
 * uv_loop_close() == 0. Waits are bounded generously; the only times
 * asserted are lower bounds the client must respect (Retry-After, reset).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "fakegh.h"
#include "monitor/github/ghpoll.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"
#include "rwtest.h"

#define WAIT_MS   60000 /* a test gives up (and fails) after this long */
#define MAX_CALLS 512
#define TOKEN     "test-token"

/* One result_cb. */
struct call {
	char source[GHPOLL_SOURCE_MAX];
	int rc;
	char why[512];
	size_t n;
	const void *list; /* the array handed out */
	size_t online, busy;
	bool sorted;  /* ids strictly increasing */
	int64_t t_ms; /* rwt_mono_ms() */
};

struct fx {
	char dir[128];
	uv_loop_t loop;
	uv_timer_t watch;
	struct rwt_fakegh gh;
	struct rw_github_cfg cfg;
	struct ghpoll_opts opts;
	struct ghpoll gp;
	bool running;
	int closed;
	bool timed_out;
	uint64_t t0;
	bool (*until)(struct fx *f);
	void (*step)(struct fx *f);
	/* checks the list of every successful call */
	void (*check)(struct fx *f, const struct call *c, const struct gh_runner *v, size_t n);
	/* runs at the end of every result_cb (re-entrancy) */
	void (*in_cb)(struct fx *f, const struct call *c);
	bool closing; /* the poller was closed (from the watch or a callback) */
	struct call calls[MAX_CALLS];
	int n_calls;
	char metrics[8192]; /* ghpoll_render_metrics() just before the close */
	/* a test's own progress */
	int stage, mark, idx;
	int64_t marks[32];
	char pem[8192];
};

/* ---- the fixture ---------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "ghpoll");
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	f->cfg.auth = RW_GITHUB_AUTH_TOKEN;
	f->cfg.token = TOKEN;
	f->cfg.poll_interval_s = 60;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_fakegh_stop(&f->gh);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void result_cb(struct ghpoll *gp, const char *source, const struct gh_runner *v, size_t n,
                      int rc, const char *why, void *data)
{
	struct fx *f = data;
	struct call *c;

	assert_ptr_equal(gp, &f->gp);
	assert_true(f->n_calls < MAX_CALLS);
	c = &f->calls[f->n_calls++];
	snprintf(c->source, sizeof(c->source), "%s", source);
	c->rc = rc;
	snprintf(c->why, sizeof(c->why), "%s", why ? why : "");
	c->n = n;
	c->list = v;
	c->t_ms = rwt_mono_ms();
	c->sorted = true;
	if (rc < 0) {
		assert_null(v);
		assert_int_equal(n, 0);
		assert_non_null(why);
		assert_null(strchr(why, '\n'));
		if (f->in_cb)
			f->in_cb(f, c);
		return;
	}
	assert_null(why);
	for (size_t i = 0; i < n; i++) {
		c->online += v[i].online;
		c->busy += v[i].busy;
		if (i > 0 && v[i].id <= v[i - 1].id)
			c->sorted = false;
		for (size_t j = 0; j < v[i].n_labels; j++)
			for (const char *p = v[i].labels[j]; *p; p++)
				assert_false(*p >= 'A' && *p <= 'Z');
	}
	if (f->check)
		f->check(f, c, v, n);
	if (f->in_cb)
		f->in_cb(f, c);
}

static void closed_cb(struct ghpoll *gp, void *data)
{
	struct fx *f = data;

	assert_ptr_equal(gp, &f->gp);
	f->closed++;
}

/* Renders the metrics, closes the poller and the watch. */
static void finish(struct fx *f)
{
	struct strbuf b;

	f->closing = true;
	strbuf_init(&b);
	ghpoll_render_metrics(&f->gp, &b);
	snprintf(f->metrics, sizeof(f->metrics), "%s", b.data ? b.data : "");
	strbuf_deinit(&b);
	ghpoll_close(&f->gp, closed_cb, f);
	uv_close((uv_handle_t *)&f->watch, NULL);
}

static void watch_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	if (f->closing)
		return;
	if (f->step)
		f->step(f);
	if (uv_now(&f->loop) - f->t0 > WAIT_MS)
		f->timed_out = true;
	if (f->timed_out || f->until(f))
		finish(f);
}

/* Starts the fake GitHub with @p fake_json and a poller on it. */
static void start(struct fx *f, const char *fake_json)
{
	char err[256] = "";

	rwt_fakegh_start(&f->gh, f->dir, fake_json);
	snprintf(f->cfg.api_url, sizeof(f->cfg.api_url), "%s", f->gh.url);
	assert_int_equal(
	        ghpoll_init(&f->gp, &f->loop, &f->cfg, &f->opts, result_cb, f, err, sizeof(err)),
	        0);
	f->running = true;
}

static void add(struct fx *f, const char *source)
{
	assert_int_equal(ghpoll_add(&f->gp, source), 0);
}

/* Runs the loop until f->until() holds, closes, and checks the loop is
 * left with no handle. */
static void run(struct fx *f)
{
	assert_int_equal(uv_timer_init(&f->loop, &f->watch), 0);
	f->watch.data = f;
	f->t0 = uv_now(&f->loop);
	assert_int_equal(uv_timer_start(&f->watch, watch_cb, 20, 20), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->gp.stats.bad_transitions, 0);
	ghpoll_deinit(&f->gp);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_false(f->timed_out);
	assert_int_equal(f->closed, 1);
}

static int calls_of(const struct fx *f, const char *source)
{
	int n = 0;

	for (int i = 0; i < f->n_calls; i++)
		n += strcasecmp(f->calls[i].source, source) == 0;
	return n;
}

/* The index of the k-th call (0-based) of @p source, or -1. */
static int call_of(const struct fx *f, const char *source, int k)
{
	for (int i = 0; i < f->n_calls; i++)
		if (strcasecmp(f->calls[i].source, source) == 0 && k-- == 0)
			return i;
	return -1;
}

/* The arrival times and statuses of the fake's requests on @p path. */
static int path_log(const struct fx *f, const char *path, double *t, int *status, int max)
{
	cJSON *doc = rwt_fakegh_call(&f->gh, "GET", "stats", NULL);
	const cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "paths"), path);
	const cJSON *e;
	int n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "log"))
	{
		if (n == max)
			break;
		t[n] = cJSON_GetObjectItem(e, "t_ms")->valuedouble;
		status[n] = (int)cJSON_GetObjectItem(e, "status")->valuedouble;
		n++;
	}
	cJSON_Delete(doc);
	return n;
}

/* A metric's value in f->metrics: the line that starts with @p series. */
static double metric(const struct fx *f, const char *series)
{
	char key[256];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", series);
	p = strstr(f->metrics, key);
	if (!p)
		fail_msg("no \"%s\" in the metrics:\n%s", series, f->metrics);
	return strtod(p + strlen(key), NULL);
}

/* ---- lists ------------------------------------------------------------------- */

static const struct gh_runner *by_name(const struct gh_runner *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("no runner %s in the list", name);
	return NULL;
}

static bool has_label(const struct gh_runner *r, const char *label)
{
	for (size_t i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i], label) == 0)
			return true;
	return false;
}

static void check_acme(struct fx *f, const struct call *c, const struct gh_runner *v, size_t n)
{
	const struct gh_runner *r;

	(void)f;
	if (strcasecmp(c->source, "acme") == 0) {
		assert_int_equal(n, 3);
		r = by_name(v, n, "rv-1");
		assert_true(r->online);
		assert_false(r->busy);
		assert_true(has_label(r, "riscv64")); /* "RISCV64" at GitHub */
		assert_true(has_label(r, "linux"));
		assert_int_equal(r->n_labels, 3);
		r = by_name(v, n, "rv-2");
		assert_false(r->online);
		r = by_name(v, n, "rv 3 (busy)");
		assert_true(r->online);
		assert_true(r->busy);
	} else {
		assert_string_equal(c->source, "Acme/Widgets");
		assert_int_equal(n, 2);
		assert_true(has_label(by_name(v, n, "w-1"), "s390x"));
		assert_int_equal(by_name(v, n, "w-2")->n_labels, 3);
	}
}

static bool two_each(struct fx *f)
{
	return calls_of(f, "acme") >= 2 && calls_of(f, "acme/widgets") >= 2;
}

static void test_org_and_repo(void **state)
{
	struct fx *f = *state;
	double req;

	f->opts.interval_ms = 400;
	start(f, "{\"owners\": {\"acme\": ["
	         "{\"name\": \"rv-1\", \"labels\": [\"self-hosted\", \"Linux\", \"RISCV64\"]},"
	         "{\"name\": \"rv-2\", \"status\": \"offline\", \"labels\": [\"self-hosted\"]},"
	         "{\"name\": \"rv 3 (busy)\", \"busy\": true}],"
	         "\"acme/widgets\": [{\"name\": \"w-1\", \"labels\": [\"self-hosted\", "
	         "\"S390X\"]}, \"w-2\"]}}");
	add(f, "acme");
	add(f, "Acme/Widgets");
	add(f, "ACME"); /* a second pool on the same organisation */
	f->check = check_acme;
	f->until = two_each;
	run(f);
	for (int i = 0; i < f->n_calls; i++) {
		assert_int_equal(f->calls[i].rc, 0);
		assert_true(f->calls[i].sorted);
	}
	/* One request per poll for the shared organisation, not one per add
	 * (one more may have been in flight at the close). */
	req = rwt_fakegh_stat(&f->gh, "/orgs/acme/actions/runners", "requests");
	assert_true(req >= calls_of(f, "acme") && req <= calls_of(f, "acme") + 1);
	req = rwt_fakegh_stat(&f->gh, "/repos/Acme/Widgets/actions/runners", "requests");
	assert_true(req >= calls_of(f, "acme/widgets") && req <= calls_of(f, "acme/widgets") + 1);
}

/* ---- pages and 304 ------------------------------------------------------------- */

static void check_big(struct fx *f, const struct call *c, const struct gh_runner *v, size_t n)
{
	(void)f;
	(void)c;
	assert_int_equal(n, 250);
	assert_string_equal(v[0].name, "big-001");
	assert_string_equal(v[249].name, "big-250");
}

/* After the second poll, one runner on page 2 goes offline. */
static void change_page_2(struct fx *f)
{
	if (f->n_calls == 2 && f->stage == 0) {
		rwt_fakegh_post(
		        &f->gh, "runner",
		        "{\"owner\": \"big\", \"name\": \"big-150\", \"status\": \"offline\"}");
		f->stage = 1;
	}
}

static bool four_calls(struct fx *f)
{
	return f->n_calls >= 4;
}

static void test_pages_and_not_modified(void **state)
{
	struct fx *f = *state;
	const char *path = "/orgs/big/actions/runners";
	cJSON *rl, *st, *log;
	int n2 = 0, n3 = 0;
	const cJSON *e;

	f->opts.interval_ms = 600;
	start(f, "{\"owners\": {\"big\": {\"count\": 250, \"name_pattern\": \"big-{i:03d}\"}}}");
	add(f, "big");
	f->check = check_big;
	f->step = change_page_2;
	f->until = four_calls;
	run(f);
	assert_int_equal(f->n_calls, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(f->calls[i].rc, 0);
		assert_true(f->calls[i].sorted);
	}
	/* Poll 2: every page 304, the list handed out is the same array. */
	assert_ptr_equal(f->calls[1].list, f->calls[0].list);
	assert_int_equal(f->calls[1].online, 250);
	/* Poll 3: page 2 changed, read again; a new list. */
	assert_ptr_not_equal(f->calls[2].list, f->calls[1].list);
	assert_int_equal(f->calls[2].online, 249);
	/* Poll 4: all 304 again. */
	assert_ptr_equal(f->calls[3].list, f->calls[2].list);
	assert_int_equal(f->calls[3].online, 249);

	/* 12 requests: 3 pages x 4 polls; 9 conditional, 8 answered 304. */
	assert_int_equal(rwt_fakegh_stat(&f->gh, path, "requests"), 12);
	assert_int_equal(rwt_fakegh_stat(&f->gh, path, "conditional"), 9);
	assert_int_equal(rwt_fakegh_stat(&f->gh, path, "not_modified"), 8);
	assert_int_equal(f->gp.stats.requests[GHPOLL_OK], 4);
	assert_int_equal(f->gp.stats.requests[GHPOLL_NOT_MODIFIED], 8);
	/* A 304 costs no rate limit: 4 answers with a body, 4 used. */
	rl = rwt_fakegh_call(&f->gh, "GET", "ratelimit", NULL);
	assert_int_equal(cJSON_GetObjectItem(rl, "used")->valuedouble, 4);
	assert_int_equal(f->gp.stats.rate_remaining,
	                 (int64_t)cJSON_GetObjectItem(rl, "remaining")->valuedouble);
	cJSON_Delete(rl);
	/* Pages 2 and 3 were asked for by the Link header's URLs. */
	st = rwt_fakegh_call(&f->gh, "GET", "stats", NULL);
	log = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "paths"), path),
	                          "log");
	cJSON_ArrayForEach(e, log)
	{
		const char *q = cJSON_GetStringValue(cJSON_GetObjectItem(e, "query"));
		assert_non_null(strstr(q, "per_page=100"));
		n2 += strstr(q, "page=2") != NULL;
		n3 += strstr(q, "page=3") != NULL;
	}
	cJSON_Delete(st);
	assert_int_equal(n2, 4);
	assert_int_equal(n3, 4);
	assert_int_equal(metric(f, "runwarden_github_requests_total{result=\"not_modified\"}"), 8);
	assert_true(metric(f, "runwarden_github_last_success_timestamp_seconds") > 1.6e9);
}

/* ---- failures ------------------------------------------------------------------ */

struct scenario {
	const char *fault;   /* POST /_control/faults, on /orgs/acme/ only */
	const char *why_has; /* in the failure's why */
	int rc;              /* the failure's rc */
	int status;          /* the fake's answer to the failed request */
	double min_gap_ms;   /* the next request on any source waits at least this */
};

static const struct scenario scenarios[] = {
        {"{\"mode\": \"401\", \"count\": 1}", "HTTP 401: Bad credentials", RW_EIO, 401, 0},
        {"{\"mode\": \"403\", \"count\": 1, \"retry_after\": 2}", "HTTP 403, rate limited", RW_EIO,
         403, 2000},
        {"{\"mode\": \"429\", \"count\": 1}", "HTTP 429, rate limited", RW_EIO, 429, 0},
        {"{\"mode\": \"rate_limited\", \"count\": 1, \"reset_in_s\": 2}",
         "HTTP 403, rate limited: API rate limit exceeded", RW_EIO, 403, 1000},
        {"{\"mode\": \"503\", \"count\": 1}", "page 1: HTTP 503: Service Unavailable", RW_EIO, 503,
         0},
        {"{\"mode\": \"hang\", \"count\": 1}", "page 1: no answer within 1000 ms", RW_ETIMEDOUT, 0,
         0},
        {"{\"mode\": \"broken_body\", \"count\": 1}",
         "page 1: not a runner list: the answer is not JSON", RW_EIO, 200, 0},
        {"{\"mode\": \"truncate\", \"count\": 1}", "page 1: ", RW_ENET, 200, 0},
        {"{\"mode\": \"403\", \"count\": 1}",
         "HTTP 403: Forbidden (the token needs \"Self-hosted runners: read\"", RW_EIO, 403, 0},
        {"{\"mode\": \"status\", \"status\": 301, \"count\": 1}",
         "HTTP 301: acme moved (renamed or transferred?)", RW_EIO, 301, 0},
};
#define N_SCENARIOS (int)(sizeof(scenarios) / sizeof(scenarios[0]))

/* stage 0: wait for an acme success, inject the fault; 1: wait for the
 * failure; 2: wait for the recovery. f->marks[2i], [2i+1]: the calls. */
static void fault_steps(struct fx *f)
{
	int n = calls_of(f, "acme");
	char fault[256];

	if (f->idx >= N_SCENARIOS)
		return;
	if (f->stage == 0 && n > f->mark && f->calls[call_of(f, "acme", n - 1)].rc == 0) {
		snprintf(fault, sizeof(fault), "%.*s, \"path_prefix\": \"/orgs/acme/\"}",
		         (int)strlen(scenarios[f->idx].fault) - 1, scenarios[f->idx].fault);
		rwt_fakegh_post(&f->gh, "faults", fault);
		f->mark = n;
		f->stage = 1;
	} else if (f->stage == 1) {
		for (int k = f->mark; k < n; k++) {
			int i = call_of(f, "acme", k);
			if (f->calls[i].rc < 0) {
				f->marks[2 * f->idx] = i;
				f->mark = k + 1;
				f->stage = 2;
				/* Releases the hang, if any. */
				rwt_fakegh_post(&f->gh, "faults/clear", "{}");
				break;
			}
		}
	} else if (f->stage == 2 && n > f->mark) {
		int i = call_of(f, "acme", f->mark);
		assert_int_equal(f->calls[i].rc, 0); /* recovered at once */
		f->marks[2 * f->idx + 1] = i;
		f->mark = n;
		f->idx++;
		f->stage = 0;
	}
}

static bool all_scenarios(struct fx *f)
{
	return f->idx >= N_SCENARIOS;
}

static void test_failures_then_recovery(void **state)
{
	struct fx *f = *state;
	double ta[256], tb[256];
	int sa[256], sb[256], na, nb, j = 0;

	f->opts.interval_ms = 300;
	f->opts.backoff_min_ms = 200;
	f->opts.timeout_ms = 1000;
	start(f, "{\"owners\": {\"acme\": [\"a-1\", \"a-2\"], \"beta\": [\"b-1\"]}}");
	add(f, "acme");
	add(f, "beta");
	f->step = fault_steps;
	f->until = all_scenarios;
	run(f);
	na = path_log(f, "/orgs/acme/actions/runners", ta, sa, 256);
	nb = path_log(f, "/orgs/beta/actions/runners", tb, sb, 256);
	for (int s = 0; s < N_SCENARIOS; s++) {
		const struct call *c = &f->calls[f->marks[2 * s]];
		if (c->rc != scenarios[s].rc || !strstr(c->why, scenarios[s].why_has))
			fail_msg("scenario %d (%s): rc %d, why \"%s\"; want rc %d and \"%s\"", s,
			         scenarios[s].fault, c->rc, c->why, scenarios[s].rc,
			         scenarios[s].why_has);
		if (scenarios[s].min_gap_ms > 0) {
			/* The failed request, then nothing before the wait is over:
			 * neither on acme nor on beta (the limit is the token's). */
			while (j < na && sa[j] != scenarios[s].status)
				j++;
			assert_true(j + 1 < na);
			if (ta[j + 1] - ta[j] < scenarios[s].min_gap_ms)
				fail_msg("scenario %d: the next request came %.0f ms after the %d",
				         s, ta[j + 1] - ta[j], sa[j]);
			for (int k = 0; k < nb; k++)
				if (tb[k] > ta[j] && tb[k] - ta[j] < scenarios[s].min_gap_ms)
					fail_msg("scenario %d: beta asked %.0f ms after the %d", s,
					         tb[k] - ta[j], sa[j]);
			j++;
		}
	}
	assert_int_equal(f->gp.stats.requests[GHPOLL_UNAUTHORIZED], 1);
	assert_int_equal(f->gp.stats.requests[GHPOLL_RATE_LIMITED], 3);
	assert_int_equal(f->gp.stats.requests[GHPOLL_ERROR], 6);
	assert_int_equal(f->gp.stats.requests[GHPOLL_NOT_FOUND], 0);
	assert_int_equal(metric(f, "runwarden_github_requests_total{result=\"unauthorized\"}"), 1);
	assert_int_equal(metric(f, "runwarden_github_requests_total{result=\"rate_limited\"}"), 3);
	assert_int_equal(metric(f, "runwarden_github_source_failing{source=\"acme\"}"), 0);
}

static bool one_each_missing(struct fx *f)
{
	return calls_of(f, "ghost") >= 1 && calls_of(f, "acme/ghost") >= 1;
}

static void test_not_found(void **state)
{
	struct fx *f = *state;
	const struct call *c;

	f->opts.interval_ms = 300;
	start(f, "{\"owners\": {\"acme\": [\"a-1\"]}}");
	add(f, "ghost");
	add(f, "acme/ghost");
	f->until = one_each_missing;
	run(f);
	c = &f->calls[call_of(f, "ghost", 0)];
	assert_int_equal(c->rc, RW_ENOENT);
	assert_string_equal(c->why, "not found: ghost (check the name and the token's access)");
	c = &f->calls[call_of(f, "acme/ghost", 0)];
	assert_int_equal(c->rc, RW_ENOENT);
	assert_string_equal(c->why,
	                    "not found: acme/ghost (check the name and the token's access)");
	assert_int_equal(f->gp.stats.requests[GHPOLL_NOT_FOUND], 2);
}

static bool one_call(struct fx *f)
{
	return f->n_calls >= 1;
}

static void test_no_credentials(void **state)
{
	struct fx *f = *state;

	f->cfg.auth = RW_GITHUB_AUTH_NONE;
	f->cfg.token = NULL;
	f->opts.interval_ms = 200;
	start(f, "{\"owners\": {\"acme\": [\"a-1\"]}}");
	add(f, "acme");
	f->until = one_call;
	run(f);
	assert_int_equal(f->calls[0].rc, RW_EINVAL);
	assert_non_null(strstr(f->calls[0].why, "no GitHub credentials configured"));
	assert_int_equal(rwt_fakegh_stat(&f->gh, NULL, "requests_total"), 0);
}

/* ---- the GitHub App ----------------------------------------------------------- */

/* Makes an RSA 2048 key pair: the public key in DIR/NAME.pub.pem, the
 * private one in f->pem (and DIR/NAME.pem). */
static void make_key(struct fx *f, const char *name, char *pub_path, size_t len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char priv_path[256];
	FILE *fp;
	char *text;

	assert_non_null(k);
	snprintf(pub_path, len, "%s/%s.pub.pem", f->dir, name);
	snprintf(priv_path, sizeof(priv_path), "%s/%s.pem", f->dir, name);
	fp = fopen(pub_path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
	assert_int_equal(fclose(fp), 0);
	fp = fopen(priv_path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(fp), 0);
	EVP_PKEY_free(k);
	text = rwt_slurp(priv_path, NULL);
	assert_non_null(text);
	snprintf(f->pem, sizeof(f->pem), "%s", text);
	free(text);
}

static void app_config(struct fx *f, const char *pub, int lifetime_s, char *out, size_t len)
{
	snprintf(out, len,
	         "{\"tokens\": [], \"app\": {\"app_id\": 12345, \"public_key_file\": \"%s\", "
	         "\"installations\": [678], \"token_lifetime_s\": %d}, "
	         "\"owners\": {\"acme\": [\"a-1\", \"a-2\"]}}",
	         pub, lifetime_s);
	f->cfg.auth = RW_GITHUB_AUTH_APP;
	f->cfg.token = NULL;
	f->cfg.app_id = 12345;
	f->cfg.installation_id = 678;
	f->cfg.app_private_key_pem = f->pem;
}

static bool renewed_twice(struct fx *f)
{
	return f->gp.auth.exchanges_ok >= 3 && f->n_calls >= 12;
}

static void test_app_token_renewal(void **state)
{
	struct fx *f = *state;
	char pub[256], cfg[1024];
	cJSON *toks;

	make_key(f, "app", pub, sizeof(pub));
	app_config(f, pub, 6, cfg, sizeof(cfg));
	f->opts.interval_ms = 400;
	start(f, cfg);
	add(f, "acme");
	f->until = renewed_twice;
	run(f);
	/* Every poll had a list: the tokens were renewed before they expired
	 * (each lives 6 s; the test ran for more than two lifetimes). */
	for (int i = 0; i < f->n_calls; i++)
		if (f->calls[i].rc != 0)
			fail_msg("poll %d failed: %s", i, f->calls[i].why);
	assert_true(rwt_fakegh_stat(&f->gh, NULL, "token_exchanges") >= 3);
	assert_int_equal(rwt_fakegh_stat(&f->gh, NULL, "jwt_failures"), 0);
	assert_int_equal(rwt_fakegh_stat(&f->gh, NULL, "auth_failures"), 0);
	assert_int_equal(f->gp.auth.exchanges_failed, 0);
	toks = rwt_fakegh_call(&f->gh, "GET", "tokens", NULL);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(toks, "issued")) >= 3);
	cJSON_Delete(toks);
	assert_true(metric(f, "runwarden_github_token_exchanges_total{result=\"ok\"}") >= 3);
}

static bool two_calls(struct fx *f)
{
	return f->n_calls >= 2;
}

static void test_app_wrong_key(void **state)
{
	struct fx *f = *state;
	char pub[256], other[256], cfg[1024];
	cJSON *st;

	make_key(f, "other", other, sizeof(other)); /* the fake gets this one's public key */
	make_key(f, "app", pub, sizeof(pub));       /* and the poller signs with this one */
	app_config(f, other, 3600, cfg, sizeof(cfg));
	f->opts.interval_ms = 300;
	f->opts.backoff_min_ms = 100;
	start(f, cfg);
	add(f, "acme");
	f->until = two_calls;
	run(f);
	for (int i = 0; i < f->n_calls; i++) {
		assert_true(f->calls[i].rc < 0);
		assert_non_null(strstr(f->calls[i].why, "GitHub refused the App's JWT (HTTP 401"));
	}
	/* Refused once; the second poll got the same answer without asking
	 * again, and no list request was made without a token. */
	st = rwt_fakegh_call(&f->gh, "GET", "stats", NULL);
	assert_int_equal(cJSON_GetObjectItem(st, "jwt_failures")->valuedouble, 1);
	assert_int_equal(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "jwt_failure_reasons"), "signature")
	                ->valuedouble,
	        1);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "paths"),
	                                "/orgs/acme/actions/runners"));
	cJSON_Delete(st);
	assert_int_equal(f->gp.auth.exchanges_failed, 1);
}

/* ---- several sources ---------------------------------------------------------- */

static const char *const many[] = {"o1", "o2", "o3", "o4", "o5/repo"};

static bool three_each(struct fx *f)
{
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		if (calls_of(f, many[i]) < 3)
			return false;
	return true;
}

static void test_concurrent_sources(void **state)
{
	struct fx *f = *state;
	char path[128];

	/* Every answer takes 150 ms: a 3-page poll outlasts the 300 ms
	 * interval, so slots come due while the source is fetching. */
	f->opts.interval_ms = 300;
	start(f, "{\"owners\": {\"o1\": {\"count\": 250}, \"o2\": {\"count\": 250}, "
	         "\"o3\": {\"count\": 250}, \"o4\": {\"count\": 120}, \"o5/repo\": [\"r-1\"]}, "
	         "\"faults\": [{\"mode\": \"slow\", \"delay_ms\": 150}]}");
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		add(f, many[i]);
	f->until = three_each;
	run(f);
	for (int i = 0; i < f->n_calls; i++)
		assert_int_equal(f->calls[i].rc, 0);
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
		if (strchr(many[i], '/'))
			snprintf(path, sizeof(path), "/repos/%s/actions/runners", many[i]);
		else
			snprintf(path, sizeof(path), "/orgs/%s/actions/runners", many[i]);
		assert_int_equal(rwt_fakegh_stat(&f->gh, path, "max_in_flight"), 1);
	}
	assert_true(rwt_fakegh_stat(&f->gh, NULL, "max_in_flight") >= 2);
}

static bool eight_each(struct fx *f)
{
	return calls_of(f, "acme") >= 8 && calls_of(f, "beta") >= 8 &&
	       calls_of(f, "gamma/widgets") >= 8;
}

/* Ten pools on three owners: three requests per interval, whatever the
 * number of pools. The closing note's figure is this, at 60 s. */
static void test_ten_pools_three_owners(void **state)
{
	static const char *const pools[] = {
	        "acme", "acme", "acme",          "acme",          "beta",
	        "Beta", "beta", "gamma/widgets", "gamma/widgets", "Gamma/Widgets"};
	struct fx *f = *state;
	double req, per_interval, elapsed;
	cJSON *rl;

	f->opts.interval_ms = 250;
	start(f, "{\"owners\": {\"acme\": [\"a-1\", \"a-2\"], \"beta\": [\"b-1\"], "
	         "\"gamma/widgets\": [\"g-1\"]}}");
	for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++)
		add(f, pools[i]);
	f->until = eight_each;
	run(f);
	req = rwt_fakegh_stat(&f->gh, NULL, "requests_total");
	/* One request per poll of a source (every list is one page). */
	assert_true(req >= f->n_calls && req <= f->n_calls + 3);
	/* Per source: its requests over the time they spanned at the fake,
	 * in intervals. */
	per_interval = 0;
	for (int k = 0; k < 3; k++) {
		double t[64];
		int st[64], n = path_log(f,
		                         k == 0   ? "/orgs/acme/actions/runners"
		                         : k == 1 ? "/orgs/beta/actions/runners"
		                                  : "/repos/gamma/widgets/actions/runners",
		                         t, st, 64);
		assert_true(n >= 8);
		elapsed = t[n - 1] - t[0];
		per_interval += (double)(n - 1) / (elapsed / (double)f->opts.interval_ms);
	}
	print_message("10 pools on 3 owners: %.0f requests, %.2f per %llu ms interval "
	              "(%.0f per hour at the default 60 s), %.0f answered 304\n",
	              req, per_interval, (unsigned long long)f->opts.interval_ms, per_interval * 60,
	              rwt_fakegh_stat(&f->gh, NULL, "not_modified"));
	assert_true(per_interval > 2.8 && per_interval < 3.2);
	/* After each owner's first list, every answer was a 304: 3 used. */
	rl = rwt_fakegh_call(&f->gh, "GET", "ratelimit", NULL);
	assert_int_equal(cJSON_GetObjectItem(rl, "used")->valuedouble, 3);
	cJSON_Delete(rl);
}

/* ---- removal ------------------------------------------------------------------- */

static void remove_hung(struct fx *f)
{
	if (f->stage == 0 &&
	    rwt_fakegh_stat(&f->gh, "/orgs/acme/actions/runners", "in_flight") >= 1) {
		assert_int_equal(ghpoll_remove(&f->gp, "acme"), 0); /* one of two pools */
		assert_int_equal(f->gp.n_src, 2);
		assert_int_equal(ghpoll_remove(&f->gp, "ACME"), 0); /* the last: aborted */
		assert_int_equal(f->gp.n_src, 1);
		assert_int_equal(ghpoll_remove(&f->gp, "acme"), RW_ENOENT);
		f->mark = calls_of(f, "beta");
		f->stage = 1;
		rwt_fakegh_post(&f->gh, "faults/clear", "{}");
	}
}

static bool beta_three_more(struct fx *f)
{
	return f->stage == 1 && calls_of(f, "beta") >= f->mark + 3;
}

static void test_remove_while_fetching(void **state)
{
	static const char *const bad[] = {"",     "-acme", "a/",  "/b",     "a/b/c",
	                                  "a/..", "a/.",   "a b", "a/b%20", "acme/wid?x"};
	struct fx *f = *state;
	char owner[64], src[256];

	f->opts.interval_ms = 300;
	f->opts.timeout_ms = 20000;
	start(f, "{\"owners\": {\"acme\": [\"a-1\"], \"beta\": [\"b-1\"]}, "
	         "\"faults\": [{\"mode\": \"hang\", \"path_prefix\": \"/orgs/acme/\"}]}");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ghpoll_add(&f->gp, bad[i]) != RW_EINVAL)
			fail_msg("ghpoll_add(\"%s\") was accepted", bad[i]);
	assert_true(ghpoll_source_valid("acme-"));
	assert_true(ghpoll_source_valid("A-1/x.y_z-0"));
	assert_true(ghpoll_source_valid("a/..."));
	/* Owners of 39 characters at most, repositories of 100. */
	memset(owner, 'o', 39);
	owner[39] = '\0';
	assert_true(ghpoll_source_valid(owner));
	snprintf(src, sizeof(src), "%s/%0100d", owner, 7);
	assert_true(ghpoll_source_valid(src));
	snprintf(src, sizeof(src), "%s/%0101d", owner, 7);
	assert_false(ghpoll_source_valid(src));
	owner[39] = 'o';
	owner[40] = '\0';
	assert_false(ghpoll_source_valid(owner));
	add(f, "acme");
	add(f, "acme");
	add(f, "beta");
	f->step = remove_hung;
	f->until = beta_three_more;
	run(f);
	assert_int_equal(calls_of(f, "acme"), 0);
	for (int i = 0; i < f->n_calls; i++)
		assert_int_equal(f->calls[i].rc, 0);
}

/* ---- re-entrancy ---------------------------------------------------------------- */

/* acme's first list: acme is removed and gamma added from the callback;
 * gamma's first list closes the poller from its callback. */
static void reenter(struct fx *f, const struct call *c)
{
	if (strcmp(c->source, "acme") == 0) {
		assert_int_equal(ghpoll_remove(&f->gp, "acme"), 0);
		assert_int_equal(ghpoll_add(&f->gp, "gamma"), 0);
	} else if (strcmp(c->source, "gamma") == 0 && !f->closing) {
		finish(f);
		assert_int_equal(ghpoll_add(&f->gp, "delta"), RW_ECANCELED);
	}
}

static bool never(struct fx *f)
{
	(void)f;
	return false;
}

static void test_reentrant_callbacks(void **state)
{
	struct fx *f = *state;

	f->opts.interval_ms = 300;
	start(f, "{\"owners\": {\"acme\": [\"a-1\"], \"beta\": [\"b-1\"], "
	         "\"gamma\": [\"g-1\"]}}");
	add(f, "acme");
	add(f, "beta");
	f->in_cb = reenter;
	f->until = never;
	run(f);
	assert_int_equal(calls_of(f, "acme"), 1);
	assert_int_equal(calls_of(f, "gamma"), 1);
	assert_true(f->closing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_org_and_repo, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pages_and_not_modified, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failures_then_recovery, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_no_credentials, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_app_token_renewal, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_app_wrong_key, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_concurrent_sources, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ten_pools_three_owners, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_remove_while_fetching, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reentrant_callbacks, setup, teardown),
	};

	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
