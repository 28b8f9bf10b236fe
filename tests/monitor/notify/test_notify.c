/* SPDX-License-Identifier: MIT */
/*
 * test_notify.c — monitor/notify/notify.h, webhook delivery, on a real libuv
 * loop and a real SQLite file, against a loopback receiver started inside
 * the test on port 0 (tests/lib/loopsrv.h).
 *
 * libcurl's memory goes through cmocka's test_malloc (curl_global_init_mem),
 * so every test also checks that notify leaks nothing of curl's, and an
 * allocation inside curl_slist_append can be made to fail.
 *
 * What it proves: events are delivered in id order, each signed
 * (X-Runwarden-Signature is the HMAC-SHA256 of the body with the secret)
 * and carrying its id; the cursor moves only after a 2xx (the receiver
 * reads it from the store while each request is in flight); a 500 is
 * retried, after the backoff, before the next event; a webhook gets only
 * its kinds and its cursor moves past the others; a close while a
 * delivery hangs aborts it, runs the closed callback once and leaves the
 * cursor where it was. An event that fails to render is a counted failure that
 * backs off like a failed delivery (and is delivered once it renders); a
 * header list whose building fails is freed, not leaked, and the event is
 * sent again later; a webhook URL that does not parse stops the start with
 * a line naming it. Every test ends with notify's closed callback run
 * exactly once and uv_loop_close() returning 0. Waits are bounded
 * generously (WAIT_MS); no test asserts a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <ftw.h>
#include <inttypes.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "loopsrv.h"
#include "monitor/core/clock.h"
#include "monitor/core/config.h"
#include "monitor/core/guard.h"
#include "monitor/notify/notify.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"

#define WAIT_MS  15000 /* a test gives up (and fails) after this long */
#define SECRET   "test-secret-0123456789"
#define MAX_GOT  32
#define MAX_EVTS 8

/* What the receiver saw of one request. */
struct got {
	int64_t id;     /* X-Runwarden-Event-Id */
	int64_t cursor; /* the webhook's stored cursor while the request was made */
	bool signed_ok; /* X-Runwarden-Signature is the HMAC of the body */
	int status;     /* what it answered */
	char kind[32];  /* "kind" in the body */
	double failing; /* runwarden_webhook_failing while the request was made */
};

struct fx {
	char dir[64];
	char db[128];
	uv_loop_t loop;
	uv_timer_t watch;
	struct loopsrv srv;
	struct guard guard;
	struct store *st;
	struct rw_config cfg;
	char url[128];
	struct notify *n;
	int closed; /* notify's closed callback runs */
	bool timed_out;
	uint64_t t0;
	bool (*until)(struct fx *f);
	void (*step)(struct fx *f);

	/* The receiver: the i-th request is answered statuses[i] (0: 200). */
	int statuses[MAX_GOT];
	bool hang;
	struct got got[MAX_GOT];
	int n_got;

	/* The renderer: its first render_fail calls fail. */
	int render_calls;
	int render_fail;

	int64_t ev[MAX_EVTS]; /* ids of the events added */
	int n_ev;

	/* The webhook's counters just before the close. */
	double delivered, failures, dropped, failing;
};

static struct fx *the_fx; /* the renderer has no context argument */

/* ---- libcurl's memory through cmocka ------------------------------------ */

static const char *fail_strdup_prefix; /* a curl strdup of this fails, once */
static int strdups_failed;

static void *t_malloc(size_t n)
{
	return test_malloc(n);
}

static void t_free(void *p)
{
	if (p)
		test_free(p);
}

static void *t_realloc(void *p, size_t n)
{
	return test_realloc(p, n);
}

static void *t_calloc(size_t a, size_t b)
{
	return test_calloc(a, b);
}

static char *t_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if (fail_strdup_prefix && strncmp(s, fail_strdup_prefix, strlen(fail_strdup_prefix)) == 0) {
		fail_strdup_prefix = NULL;
		strdups_failed++;
		return NULL;
	}
	d = test_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- the receiver ------------------------------------------------------- */

static const char *header(const char *head, const char *name, char *out, size_t outlen)
{
	const char *p = head;
	size_t nl = strlen(name);

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t len;
			while (*v == ' ')
				v++;
			len = strcspn(v, "\r\n");
			snprintf(out, outlen, "%.*s", (int)len, v);
			return out;
		}
	}
	return NULL;
}

static bool signature_ok(const char *head, const char *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char want[16 + 2 * EVP_MAX_MD_SIZE], got[256];
	int n;

	if (!header(head, "X-Runwarden-Signature", got, sizeof(got)))
		return false;
	if (!HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body, len, mac,
	          &maclen))
		return false;
	n = snprintf(want, sizeof(want), "sha256=");
	for (unsigned int i = 0; i < maclen; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", mac[i]);
	return strcmp(want, got) == 0;
}

static double metric(struct fx *f, const char *name);

static void receive(struct loopsrv *s, const struct loopsrv_req *rq, struct loopsrv_answer *ans)
{
	struct fx *f = s->data;
	struct got *g;
	char v[64];
	const char *k;

	assert_string_equal(rq->method, "POST");
	assert_true(f->n_got < MAX_GOT);
	g = &f->got[f->n_got];
	g->id = header(rq->head, "X-Runwarden-Event-Id", v, sizeof(v)) ? strtoll(v, NULL, 10) : -1;
	assert_int_equal(store_webhook_cursor(f->st, f->url, &g->cursor), 0);
	g->signed_ok = signature_ok(rq->head, rq->body, rq->body_len);
	g->failing = metric(f, "runwarden_webhook_failing");
	k = strstr(rq->body, "\"kind\":\"");
	if (k)
		snprintf(g->kind, sizeof(g->kind), "%.*s", (int)strcspn(k + 8, "\""), k + 8);
	g->status = f->statuses[f->n_got] ? f->statuses[f->n_got] : 200;
	f->n_got++;
	ans->status = g->status;
	ans->hang = f->hang;
	ans->body = "{}";
}

static int render(struct strbuf *b, const struct store_event *e)
{
	struct fx *f = the_fx;

	if (f->render_calls++ < f->render_fail)
		return RW_ENOMEM;
	strbuf_printf(b, "{\"id\":%" PRId64 ",\"kind\":", e->id);
	strbuf_json_str(b, e->kind);
	strbuf_puts(b, "}");
	return strbuf_failed(b) ? RW_ENOMEM : 0;
}

/* ---- the fixture -------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rw-test-notify-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	if (store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	guard_init(&f->guard);
	if (guard_allow(&f->guard, "127.0.0.0/8", NULL, 0) != 0)
		return -1;
	fail_strdup_prefix = NULL;
	strdups_failed = 0;
	the_fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	the_fx = NULL;
	return 0;
}

/* Starts the receiver and a notifier with one webhook to it (the kinds of
 * f->cfg.webhooks[0].events; NULL, the default: all). */
static void start(struct fx *f)
{
	char err[256] = "";

	loopsrv_start(&f->srv, &f->loop, receive, f);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/hook?token=x", f->srv.port);
	f->cfg.webhooks[0].url = f->url;
	f->cfg.webhooks[0].secret = SECRET;
	f->cfg.n_webhooks = 1;
	assert_int_equal(notify_new(&f->n, &f->loop, &f->cfg, &f->guard, f->st, err, sizeof(err)),
	                 0);
	assert_non_null(f->n);
	notify_set_renderer(f->n, render);
}

static void add_event(struct fx *f, const char *kind)
{
	assert_true(f->n_ev < MAX_EVTS);
	assert_int_equal(store_event_add(f->st, clock_wall_ms(), kind, 0, NULL), 0);
	assert_int_equal(store_event_max_id(f->st, &f->ev[f->n_ev]), 0);
	f->n_ev++;
}

static void closed_cb(struct notify *n, void *data)
{
	struct fx *f = data;
	assert_ptr_equal(n, f->n);
	f->closed++;
}

static void watch_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	if (f->step)
		f->step(f);
	if (uv_now(&f->loop) - f->t0 > WAIT_MS)
		f->timed_out = true;
	if (f->timed_out || f->until(f)) {
		f->delivered = metric(f, "runwarden_webhook_delivered_total");
		f->failures = metric(f, "runwarden_webhook_failures_total");
		f->dropped = metric(f, "runwarden_webhook_dropped_total");
		f->failing = metric(f, "runwarden_webhook_failing");
		notify_close(f->n, closed_cb, f);
		loopsrv_close(&f->srv);
		uv_close((uv_handle_t *)&f->watch, NULL);
	}
}

/* Runs the loop until f->until() holds, closes everything, and checks that
 * the loop is left with no handle. */
static void run(struct fx *f)
{
	assert_int_equal(uv_timer_init(&f->loop, &f->watch), 0);
	f->watch.data = f;
	f->t0 = uv_now(&f->loop);
	assert_int_equal(uv_timer_start(&f->watch, watch_cb, 10, 10), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(notify_bad_transitions(f->n), 0);
	notify_free(f->n);
	f->n = NULL;
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_false(f->timed_out);
	assert_int_equal(f->closed, 1);
}

/* The value of metric @p name for the webhook, from notify_render_metrics. */
static double metric(struct fx *f, const char *name)
{
	struct strbuf b;
	char *text, *p, key[128];
	double v = -1;

	strbuf_init(&b);
	notify_render_metrics(f->n, &b);
	text = strbuf_take(&b, NULL);
	assert_non_null(text);
	snprintf(key, sizeof(key), "\n%s{", name);
	p = strstr(text, key);
	if (p && (p = strstr(p, "} ")) != NULL)
		v = strtod(p + 2, NULL);
	free(text);
	return v;
}

static int64_t cursor(struct fx *f)
{
	int64_t c = -1;
	assert_int_equal(store_webhook_cursor(f->st, f->url, &c), 0);
	return c;
}

static bool delivered_all(struct fx *f)
{
	return f->n_ev > 0 && cursor(f) == f->ev[f->n_ev - 1];
}

/* Lets notify's 250 ms timer run a few times. */
static bool after_a_few_ticks(struct fx *f)
{
	return uv_now(&f->loop) - f->t0 > 4 * NOTIFY_POLL_MS;
}

/* ---- delivery ------------------------------------------------------------ */

static void test_delivered_in_order_signed(void **state)
{
	struct fx *f = *state;
	static const char *const kinds[] = {"registered", "approved", "flagged"};

	start(f);
	for (int i = 0; i < 3; i++)
		add_event(f, kinds[i]);
	f->until = delivered_all;
	run(f);
	assert_int_equal(f->n_got, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->got[i].id, f->ev[i]); /* in id order */
		assert_string_equal(f->got[i].kind, kinds[i]);
		assert_true(f->got[i].signed_ok);
		/* The cursor moves only after the 2xx of the event before. */
		assert_int_equal(f->got[i].cursor, i == 0 ? 0 : f->ev[i - 1]);
	}
	assert_int_equal((int)f->delivered, 3);
	assert_int_equal((int)f->failures, 0);
	assert_int_equal((int)f->dropped, 0);
}

static void test_retry_after_500(void **state)
{
	struct fx *f = *state;

	f->statuses[0] = 500;
	start(f);
	add_event(f, "registered");
	add_event(f, "approved");
	f->until = delivered_all;
	run(f);
	assert_int_equal(f->n_got, 3);
	/* The 500 is retried (after the backoff) before the next event is
	 * sent, and the cursor did not move for it. */
	assert_int_equal(f->got[0].id, f->ev[0]);
	assert_int_equal(f->got[0].status, 500);
	assert_int_equal(f->got[0].cursor, 0);
	assert_int_equal(f->got[1].id, f->ev[0]);
	assert_int_equal(f->got[1].status, 200);
	assert_int_equal(f->got[1].cursor, 0);
	assert_int_equal(f->got[2].id, f->ev[1]);
	assert_int_equal(f->got[2].cursor, f->ev[0]);
	for (int i = 0; i < 3; i++)
		assert_true(f->got[i].signed_ok);
	assert_int_equal((int)f->delivered, 2);
	assert_int_equal((int)f->failures, 1);
	/* Failing from the first failure until the first success, through the
	 * retry (an alert with `for:` must not reset at each attempt). */
	assert_int_equal((int)f->got[0].failing, 0);
	assert_int_equal((int)f->got[1].failing, 1);
	assert_int_equal((int)f->got[2].failing, 0);
	assert_int_equal((int)f->failing, 0);
}

/* A webhook that wants one kind: the others are skipped, the cursor moves
 * past them, and only its kind is sent. */
static void test_only_its_kinds(void **state)
{
	struct fx *f = *state;
	static char *wanted[] = {"flagged", NULL};

	f->cfg.webhooks[0].events = wanted;
	start(f);
	add_event(f, "registered");
	add_event(f, "flagged");
	add_event(f, "approved");
	f->until = delivered_all;
	run(f);
	assert_int_equal(f->n_got, 1);
	assert_int_equal(f->got[0].id, f->ev[1]);
	assert_string_equal(f->got[0].kind, "flagged");
	assert_int_equal((int)f->delivered, 1);
}

static bool accepted_once(struct fx *f)
{
	return f->n_got >= 1;
}

/* The receiver never answers: notify_close() aborts the delivery, its
 * closed callback runs once, and the cursor has not moved (the event is
 * sent again after the next start). */
static void test_close_while_sending(void **state)
{
	struct fx *f = *state;

	f->hang = true;
	start(f);
	add_event(f, "registered");
	f->until = accepted_once;
	run(f);
	assert_int_equal(f->n_got, 1);
	assert_int_equal(cursor(f), 0);
	assert_int_equal((int)f->delivered, 0);
	assert_int_equal((int)f->failures, 0);
}

/* No event at all: the notifier idles and closes cleanly. */
static void test_close_idle(void **state)
{
	struct fx *f = *state;

	start(f);
	f->until = after_a_few_ticks;
	run(f);
	assert_int_equal(f->n_got, 0);
}

/* ---- defects ------------------------------------------------------------ */

/* The render failure must put the hook in backoff, counted. */
static void check_after_render_failure(struct fx *f)
{
	if (f->render_calls == 1 && f->n_got == 0) {
		/* One failed render and no retry yet (the minimum backoff is
		 * 1 s; the watch runs every 10 ms): failing, and counted. */
		assert_int_equal((int)metric(f, "runwarden_webhook_failures_total"), 1);
		assert_int_equal((int)metric(f, "runwarden_webhook_failing"), 1);
		assert_int_equal(cursor(f), 0);
	}
}

static void test_render_failure_backs_off_counted(void **state)
{
	struct fx *f = *state;

	f->render_fail = 1;
	start(f);
	add_event(f, "registered");
	f->step = check_after_render_failure;
	f->until = delivered_all;
	run(f);
	/* Rendered twice: the failure, then the delivery after the backoff. */
	assert_int_equal(f->render_calls, 2);
	assert_int_equal(f->n_got, 1);
	assert_int_equal(f->got[0].id, f->ev[0]);
	assert_int_equal(f->got[0].cursor, 0);
	assert_int_equal((int)f->failures, 1);
	assert_int_equal((int)f->delivered, 1);
}

/* The headers of a delivery cannot be built (curl_slist_append fails on the
 * third header): the list built so far is freed (cmocka's leak check of
 * libcurl's memory fails the test otherwise), the failure is counted, and
 * the event goes out after the backoff. */
static void test_header_list_failure_frees_the_list(void **state)
{
	struct fx *f = *state;

	start(f);
	fail_strdup_prefix = "X-Runwarden-Event-Id";
	add_event(f, "registered");
	f->until = delivered_all;
	run(f);
	assert_int_equal(strdups_failed, 1);
	assert_int_equal(f->n_got, 1);
	assert_int_equal(f->got[0].id, f->ev[0]);
	assert_true(f->got[0].signed_ok);
	assert_int_equal((int)f->failures, 1);
	assert_int_equal((int)f->delivered, 1);
}

static void test_bad_url_is_refused_at_start(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"ftp://127.0.0.1/hook", "http://", "not a url",
	                                  "http://user:pw@127.0.0.1/"};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct notify *n = (struct notify *)&err; /* must be set to NULL */
		f->cfg.webhooks[0].url = (char *)bad[i];
		f->cfg.webhooks[0].secret = SECRET;
		f->cfg.n_webhooks = 1;
		err[0] = '\0';
		assert_int_equal(
		        notify_new(&n, &f->loop, &f->cfg, &f->guard, f->st, err, sizeof(err)),
		        RW_EINVAL);
		assert_null(n);
		assert_non_null(strstr(err, "webhooks[0]: url"));
	}
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_delivered_in_order_signed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_after_500, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_only_its_kinds, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_close_while_sending, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_close_idle, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_render_failure_backs_off_counted, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_header_list_failure_frees_the_list, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_bad_url_is_refused_at_start, setup, teardown),
	};
	int rc;

	if (curl_global_init_mem(CURL_GLOBAL_ALL, t_malloc, t_free, t_realloc, t_strdup,
	                         t_calloc) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
