/* SPDX-License-Identifier: MIT */
/*
 * notify.c — webhook delivery; see notify.h.
 *
 * One state machine per webhook, driven by a 250 ms timer on the loop
 * (hook_set_state() is the only writer of h->state and checks every change
 * against hook_transitions[]; an illegal one is logged as an error and
 * counted, notify_bad_transitions()):
 *
 *               an event after the cursor, sent
 *     start --> IDLE -------------------------------------------> SENDING
 *               |  ^ ^                                            |  |  |
 *               |  | +--------------- 2xx: cursor = id -----------+  |  |
 *               |  |                                                 |  |
 *               |  +--------- 24 h of failures: event dropped, ------+  |
 *               |  |          cursor = id (from SENDING or BACKOFF)     |
 *               |  |                                                    | failed: not 2xx,
 *               |  +-------------------------------+                    | transport, glue
 *               |                                  |                    v
 *               +--- would not render or send --> BACKOFF <-------------+
 *                                                  |  ^ |
 *                          retry due, would not    |  | |   retry due, sent
 *                          render or send again:   +--+ +---------------------> SENDING
 *                          it stays (no change)
 *
 *     IDLE, SENDING, BACKOFF --notify_close()--> STOPPED
 *     (a delivery in flight is aborted; its event is sent again after the
 *     next start, as the cursor has not moved)
 *
 *   from \ to    IDLE  SENDING  BACKOFF  STOPPED
 *   IDLE                  x        x        x
 *   SENDING        x               x        x
 *   BACKOFF        x      x                 x
 *   STOPPED
 *
 * Staying in a state is not a change: IDLE stays IDLE when there is no
 * event, or when the cursor skips events of other kinds; BACKOFF stays
 * BACKOFF when a retry fails before it is sent (counted as a failure).
 * An event that will not render has no body in BACKOFF: its retry loads
 * and renders it again.
 *
 * Reading events and writing cursors use the loop thread's store
 * connection: one indexed read per webhook per tick at most, one small
 * write per delivered event. That connection never waits for a lock (the
 * daemon sets no busy timeout on it): a cursor the database refuses now
 * (locked by the writer's batch or another process) is kept in memory,
 * which delivery goes by, and saved again at the next tick
 * (cursor_unsaved), so the worst a lock costs is the event sent again
 * after a crash, as at least once allows.
 */
#include "monitor/notify/notify.h"

#include <inttypes.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "monitor/core/clock.h"
#include "monitor/core/log.h"
#include "monitor/core/metrics.h"
#include "monitor/core/url.h"
#include "policy/base/hex.h"
#include "policy/base/rw_error.h"

enum hook_state {
	HOOK_IDLE,    /* waiting for an event after the cursor */
	HOOK_SENDING, /* its event's POST in flight */
	HOOK_BACKOFF, /* its event failed; retried at retry_at */
	HOOK_STOPPED, /* notify_close(): nothing runs any more */
	HOOK_STATE_COUNT
};

static const char *const hook_state_names[HOOK_STATE_COUNT] = {
        [HOOK_IDLE] = "idle",
        [HOOK_SENDING] = "sending",
        [HOOK_BACKOFF] = "backoff",
        [HOOK_STOPPED] = "stopped",
};

/* The table of the file header: bit `to` of row `from`. */
static const uint8_t hook_transitions[HOOK_STATE_COUNT] = {
        [HOOK_IDLE] = 1u << HOOK_SENDING | 1u << HOOK_BACKOFF | 1u << HOOK_STOPPED,
        [HOOK_SENDING] = 1u << HOOK_IDLE | 1u << HOOK_BACKOFF | 1u << HOOK_STOPPED,
        [HOOK_BACKOFF] = 1u << HOOK_IDLE | 1u << HOOK_SENDING | 1u << HOOK_STOPPED,
        [HOOK_STOPPED] = 0,
};

struct hook {
	struct notify *n;
	const struct rw_webhook_cfg *cfg;
	enum hook_state state;
	int64_t cursor;      /* the last event delivered (or dropped) */
	bool cursor_unsaved; /* the store refused it: saved again at the next tick */
	int64_t id;          /* the event being delivered */
	char *body;          /* its JSON, while SENDING or in BACKOFF */
	CURL *easy;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	char refused[64];      /* the guard's reason, when it refused */
	unsigned attempts;     /* failures of this event so far */
	char shown[512];       /* the URL without its query and fragment (which may
	                          hold a secret): what logs and metrics show */
	int64_t failing_since; /* wall time of its event's first failure */
	/* From a failure until the next 2xx, through retries and dropped
	 * events: runwarden_webhook_failing (an alert's `for:` must not reset
	 * each time a retry is in flight). */
	bool failing;
	uint64_t retry_at; /* loop time */
	uint64_t delivered, failed, dropped;
};

struct notify {
	uv_loop_t *loop;
	const struct guard *guard;
	struct store *st;
	struct curluv cu;
	uv_timer_t timer;
	struct hook hooks[RW_MAX_WEBHOOKS];
	size_t n;
	notify_render_fn render;
	int64_t max_id; /* the newest event id at the last poll */
	notify_closed_cb closed_cb;
	void *closed_data;
	int pending_closes;       /* handles closing, counted at each close */
	uint64_t bad_transitions; /* changes hook_transitions[] forbids: bugs */
	bool timer_open;          /* timer initialised and not yet closing */
};

static curl_socket_t opensocket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct hook *h = clientp;
	const char *why;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	why = guard_check_sockaddr(h->n->guard, &a->addr);
	if (why) {
		snprintf(h->refused, sizeof(h->refused), "%s", why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t discard_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

static void log_hook(const struct hook *h, enum rw_log_level lvl, const char *msg,
                     const char *detail)
{
	struct logline l;

	if (log_begin(&l, lvl, msg)) {
		log_str(&l, "webhook", h->shown);
		log_int(&l, "event_id", h->id);
		log_int(&l, "attempts", h->attempts);
		if (detail)
			log_str(&l, "detail", detail);
		log_end(&l);
	}
}

/* The one writer of h->state; staying in a state is not a change. */
static void hook_set_state(struct hook *h, enum hook_state to)
{
	enum hook_state from = h->state;
	bool legal = (hook_transitions[from] >> to) & 1u;
	struct logline l;

	if (from == to)
		return;
	if (!legal)
		h->n->bad_transitions++;
	if (log_begin(&l, legal ? RW_LOG_DEBUG : RW_LOG_ERROR,
	              legal ? "webhook state change" : "illegal webhook state change")) {
		log_str(&l, "webhook", h->shown);
		log_int(&l, "event_id", h->id);
		log_str(&l, "from", hook_state_names[from]);
		log_str(&l, "to", hook_state_names[to]);
		log_end(&l);
	}
	h->state = to;
}

/* The event is done with (delivered, or dropped): the cursor moves. */
/* Saves the cursor; one that cannot be saved now is tried at the next tick. */
static void save_cursor(struct hook *h)
{
	int rc = store_webhook_cursor_set(h->n->st, h->cfg->url, h->cursor, clock_wall_ms());

	if (rc < 0 && rc != RW_EBUSY && !h->cursor_unsaved)
		log_hook(h, RW_LOG_WARN, "webhook cursor not saved yet (retried at each tick)",
		         rw_strerror(rc));
	h->cursor_unsaved = rc < 0;
}

static void advance(struct hook *h)
{
	h->cursor = h->id;
	save_cursor(h);
	free(h->body);
	h->body = NULL;
	h->attempts = 0;
	h->failing_since = 0;
	hook_set_state(h, HOOK_IDLE);
}

static void failed(struct hook *h, const char *why)
{
	int64_t now = clock_wall_ms();
	uint64_t backoff;

	h->failed++;
	h->failing = true;
	h->attempts++;
	if (!h->failing_since)
		h->failing_since = now;
	if (now - h->failing_since >= NOTIFY_GIVE_UP_MS) {
		h->dropped++;
		log_hook(h, RW_LOG_ERROR, "webhook event dropped after 24 h of failures", why);
		advance(h);
		return;
	}
	backoff = NOTIFY_BACKOFF_MIN_MS;
	for (unsigned i = 1; i < h->attempts && backoff < NOTIFY_BACKOFF_MAX_MS; i++)
		backoff *= 2;
	if (backoff > NOTIFY_BACKOFF_MAX_MS)
		backoff = NOTIFY_BACKOFF_MAX_MS;
	h->retry_at = uv_now(h->n->loop) + backoff;
	hook_set_state(h, HOOK_BACKOFF);
	log_hook(h, RW_LOG_WARN, "webhook delivery failed; retrying", why);
}

static void done_cb(struct curluv *cu, CURL *easy, CURLcode result, int rc)
{
	struct hook *h = NULL;
	long status = 0;
	char why[CURL_ERROR_SIZE + 64];

	(void)cu;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&h);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == RW_ECANCELED) {
		/* notify_close(): sent again after the next start. */
		hook_set_state(h, HOOK_STOPPED);
		return;
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "the monitor could not drive the request: %s",
		         rw_strerror(rc));
		failed(h, why);
		return;
	}
	if (result == CURLE_OK && status >= 200 && status < 300) {
		h->delivered++;
		h->failing = false;
		advance(h);
		return;
	}
	if (h->refused[0])
		snprintf(why, sizeof(why), "refused by the address guard: %s", h->refused);
	else if (result != CURLE_OK)
		snprintf(why, sizeof(why), "%s",
		         h->errbuf[0] ? h->errbuf : curl_easy_strerror(result));
	else
		snprintf(why, sizeof(why), "HTTP %ld", status);
	failed(h, why);
}

/* Builds the delivery's header list into h->hdrs. A failed append frees
 * the list built so far: curl_slist_append() returns NULL then, and
 * assigning that over the list would lose it (and go on to send the event
 * with only the headers appended after the failure). */
static int build_headers(struct hook *h, const char *sig_line, const char *id_line)
{
	const char *lines[] = {"Content-Type: application/json", sig_line, id_line, "Expect:"};
	struct curl_slist *list = NULL;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct curl_slist *l = curl_slist_append(list, lines[i]);
		if (!l) {
			curl_slist_free_all(list);
			return RW_ENOMEM;
		}
		list = l;
	}
	curl_slist_free_all(h->hdrs);
	h->hdrs = list;
	return 0;
}

static int send_event(struct hook *h)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char sig[64 + 2 * EVP_MAX_MD_SIZE], id[64];
	int n, rc;
	CURLcode c = CURLE_OK;

	if (!HMAC(EVP_sha256(), h->cfg->secret, (int)strlen(h->cfg->secret),
	          (const unsigned char *)h->body, strlen(h->body), mac, &maclen))
		return RW_ENOMEM;
	n = snprintf(sig, sizeof(sig), "X-Runwarden-Signature: sha256=");
	hex_encode(mac, maclen, sig + n);
	snprintf(id, sizeof(id), "X-Runwarden-Event-Id: %" PRId64, h->id);
	rc = build_headers(h, sig, id);
	if (rc < 0)
		return rc;
	curl_easy_reset(h->easy);
	h->errbuf[0] = '\0';
	h->refused[0] = '\0';
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(h->easy, opt, val);                                   \
	} while (0)
	SET(CURLOPT_PRIVATE, h);
	SET(CURLOPT_URL, h->cfg->url);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS);
	SET(CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	SET(CURLOPT_OPENSOCKETDATA, h);
	SET(CURLOPT_HTTPHEADER, h->hdrs);
	SET(CURLOPT_POSTFIELDS, h->body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(h->body));
	SET(CURLOPT_WRITEFUNCTION, discard_cb);
	SET(CURLOPT_USERAGENT, "runwarden/" RW_VERSION);
#undef SET
	if (c == CURLE_OK)
		c = curluv_easy_trust(h->easy); /* reset cleared it: see curluv.h */
	if (c != CURLE_OK)
		return c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
	rc = curluv_add(&h->n->cu, h->easy);
	if (rc < 0)
		return rc;
	hook_set_state(h, HOOK_SENDING);
	return 0;
}

/* Loads the event after the cursor, if any, and renders it into h->body.
 * @return 1 when h->body holds it; 0 when there is none to send (yet: a
 *         store read that failed is tried again at the next tick, as it is
 *         no event's fault); a negative code when it cannot be rendered. */
static int load_event(struct hook *h)
{
	struct store_event *v = NULL;
	struct strbuf b;
	size_t n = 0;
	int64_t max_id = 0;
	int rc;

	/* The highest id first: every event up to it is committed, so when
	 * none after the cursor is of this webhook's kinds, the cursor can
	 * skip to it without missing one. */
	rc = store_event_max_id(h->n->st, &max_id);
	if (rc == 0)
		h->n->max_id = max_id;
	if (rc == 0 && max_id > h->cursor)
		rc = store_events_after(h->n->st, h->cursor, 1, (const char *const *)h->cfg->events,
		                        &v, &n);
	if (rc < 0 || max_id <= h->cursor)
		return 0;
	if (n == 0) {
		h->id = max_id;
		advance(h);
		return 0;
	}
	if (v[0].id > max_id) {
		store_events_free(v, n);
		return 0; /* committed after the max was read: next tick */
	}
	strbuf_init(&b);
	h->id = v[0].id;
	rc = h->n->render ? h->n->render(&b, &v[0]) : RW_EINVAL;
	store_events_free(v, n);
	if (rc == 0)
		h->body = strbuf_take(&b, NULL);
	if (rc < 0 || !h->body) {
		strbuf_deinit(&b);
		return rc < 0 ? rc : RW_ENOMEM;
	}
	return 1;
}

/* IDLE, or BACKOFF with its time over: (re)loads the event when its body
 * is missing (it never rendered), and sends it. An event that will not
 * render or send is a failure like any other: counted, backed off, and
 * dropped after NOTIFY_GIVE_UP_MS. */
static void attempt(struct hook *h)
{
	char why[96];
	int rc;

	if (!h->body) {
		rc = load_event(h);
		if (rc == 0)
			return;
		if (rc < 0) {
			snprintf(why, sizeof(why), "the event could not be rendered: %s",
			         rw_strerror(rc));
			failed(h, why);
			return;
		}
	}
	rc = send_event(h);
	if (rc < 0) {
		snprintf(why, sizeof(why), "the request could not be made: %s", rw_strerror(rc));
		failed(h, why);
	}
}

static void tick_cb(uv_timer_t *t)
{
	struct notify *n = t->data;
	uint64_t now = uv_now(n->loop);

	for (size_t i = 0; i < n->n; i++) {
		struct hook *h = &n->hooks[i];
		if (h->cursor_unsaved)
			save_cursor(h);
		if (h->state == HOOK_IDLE || (h->state == HOOK_BACKOFF && now >= h->retry_at))
			attempt(h);
	}
}

static void closed_one(struct notify *n)
{
	if (--n->pending_closes == 0 && n->closed_cb)
		n->closed_cb(n, n->closed_data);
}

static void timer_closed_cb(uv_handle_t *t)
{
	closed_one(t->data);
}

static void cu_closed_cb(struct curluv *cu)
{
	closed_one(cu->data);
}

/* Closes the timer (when it was initialised) and the curl glue, each
 * counted in pending_closes as it is closed. */
static void close_handles(struct notify *n)
{
	if (n->timer_open) {
		n->timer_open = false;
		n->pending_closes++;
		uv_close((uv_handle_t *)&n->timer, timer_closed_cb);
	}
	n->pending_closes++;
	curluv_close(&n->cu, cu_closed_cb);
}

static void free_when_closed(struct notify *n, void *data)
{
	(void)data;
	notify_free(n);
}

int notify_new(struct notify **out, uv_loop_t *loop, const struct rw_config *cfg,
               const struct guard *guard, struct store *st, char *err, size_t errlen)
{
	struct notify *n;
	int rc, uvrc;

	*out = NULL;
	if (cfg->n_webhooks == 0)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return RW_ENOMEM;
	n->loop = loop;
	n->guard = guard;
	n->st = st;
	for (size_t i = 0; i < cfg->n_webhooks; i++) {
		struct hook *h = &n->hooks[i];
		char host[256], bad[128];
		const char *why;

		h->n = n;
		h->cfg = &cfg->webhooks[i];
		snprintf(h->shown, sizeof(h->shown), "%.*s", (int)strcspn(h->cfg->url, "?#"),
		         h->cfg->url);
		if (url_parse(h->cfg->url, host, sizeof(host), NULL, NULL, bad, sizeof(bad)) < 0) {
			snprintf(err, errlen, "webhooks[%zu]: url: %s", i, bad);
			notify_free(n);
			return RW_EINVAL;
		}
		why = guard_check_host(guard, host);
		if (why) {
			snprintf(err, errlen,
			         "webhooks[%zu]: url: the address guard refuses %s (%s); allow it "
			         "with allow_cidrs",
			         i, host, why);
			notify_free(n);
			return RW_EREFUSED;
		}
		rc = store_webhook_cursor(st, h->cfg->url, &h->cursor);
		if (rc == RW_ENOENT) {
			/* A new webhook starts with the events from now on. */
			rc = store_event_max_id(st, &h->cursor);
			if (rc == 0)
				rc = store_webhook_cursor_set(st, h->cfg->url, h->cursor,
				                              clock_wall_ms());
		}
		h->easy = curl_easy_init();
		if (rc < 0 || !h->easy) {
			snprintf(err, errlen, "webhooks[%zu]: cannot start: %s", i,
			         rc < 0 ? rw_strerror(rc) : "out of memory");
			n->n = i + 1;
			notify_free(n);
			return rc < 0 ? rc : RW_ENOMEM;
		}
		n->n = i + 1;
	}
	rc = curluv_init(&n->cu, loop, done_cb, 8);
	if (rc < 0) {
		snprintf(err, errlen, "webhooks: cannot start: %s", rw_strerror(rc));
		notify_free(n);
		return rc;
	}
	n->cu.data = n;
	uvrc = uv_timer_init(loop, &n->timer);
	if (uvrc == 0) {
		n->timer_open = true;
		n->timer.data = n;
		uvrc = uv_timer_start(&n->timer, tick_cb, NOTIFY_POLL_MS, NOTIFY_POLL_MS);
	}
	if (uvrc < 0) {
		/* Handles exist now: they close on the loop, and n is freed in
		 * the last close callback. */
		snprintf(err, errlen, "webhooks: cannot start the timer: %s", uv_strerror(uvrc));
		n->closed_cb = free_when_closed;
		close_handles(n);
		return uvrc == UV_ENOMEM ? RW_ENOMEM : RW_EIO;
	}
	*out = n;
	return 0;
}

void notify_set_renderer(struct notify *n, notify_render_fn fn)
{
	if (n)
		n->render = fn;
}

void notify_close(struct notify *n, notify_closed_cb cb, void *data)
{
	if (!n) {
		if (cb)
			cb(NULL, data);
		return;
	}
	n->closed_cb = cb;
	n->closed_data = data;
	for (size_t i = 0; i < n->n; i++) {
		if (n->hooks[i].state == HOOK_SENDING)
			curluv_abort(&n->cu, n->hooks[i].easy); /* done_cb: STOPPED */
		hook_set_state(&n->hooks[i], HOOK_STOPPED);
	}
	uv_timer_stop(&n->timer);
	close_handles(n);
}

uint64_t notify_bad_transitions(const struct notify *n)
{
	return n ? n->bad_transitions : 0;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		curl_easy_cleanup(n->hooks[i].easy);
		curl_slist_free_all(n->hooks[i].hdrs);
		free(n->hooks[i].body);
	}
	free(n);
}

void notify_render_metrics(const struct notify *n, struct strbuf *b)
{
	int64_t max_event_id = n ? n->max_id : 0;
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
	        {"runwarden_webhook_delivered_total", "counter", "Events delivered (2xx)."},
	        {"runwarden_webhook_failures_total", "counter", "Delivery attempts that failed."},
	        {"runwarden_webhook_dropped_total", "counter",
	         "Events given up after 24 h of failures."},
	        {"runwarden_webhook_pending_events", "gauge",
	         "Events after the webhook's cursor (not yet delivered)."},
	        {"runwarden_webhook_failing", "gauge",
	         "1 from a failed delivery until the next successful one."},
	};

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		metrics_family(b, fam[f].name, fam[f].type, fam[f].help);
		for (size_t i = 0; n && i < n->n; i++) {
			const struct hook *h = &n->hooks[i];
			double v = f == 0   ? (double)h->delivered
			           : f == 1 ? (double)h->failed
			           : f == 2 ? (double)h->dropped
			           : f == 3 ? (double)(max_event_id > h->cursor
			                                       ? max_event_id - h->cursor
			                                       : 0)
			                    : (double)h->failing;
			strbuf_printf(b, "%s{url=", fam[f].name);
			metrics_label_value(b, h->shown);
			strbuf_puts(b, "} ");
			metrics_value(b, v);
			strbuf_puts(b, "\n");
		}
	}
}
