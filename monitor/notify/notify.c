/* SPDX-License-Identifier: MIT */
/*
 * notify.c — delivery of the outbox to every sink (webhooks, Zulip, mail),
 * and the webhook kind itself; see notify.h and notify_impl.h.
 *
 * One state machine per sink, whatever its kind, driven by a 250 ms timer
 * on the loop (sink_set_state() is the only writer of s->state and checks
 * every change against sink_transitions[]; an illegal one is logged as an
 * error and counted, notify_bad_transitions()). "An event" below is the
 * sink's delivery: one event for a webhook or Zulip, one mail (one or more
 * events) for mail; its kind's load() says which and how far the cursor
 * moves once it is done:
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
 * and renders it again. An answer that says the delivery can never succeed
 * (judge() returns NOTIFY_PERMANENT: a mailbox that does not exist) drops
 * it at once, SENDING -> IDLE, logged and counted like a drop after 24 h.
 *
 * Reading events and writing cursors use the loop thread's store
 * connection: one indexed read per sink per tick at most, one small
 * write per delivery. Zulip and mail also read the runner (and its
 * operator) an event names, when they render it. That connection never
 * waits for a lock (the daemon sets no busy timeout on it): a cursor the
 * database refuses is kept in memory and saved at the next tick
 * (save_cursor()).
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
#include "monitor/notify/notify_impl.h"
#include "policy/base/hex.h"
#include "policy/base/rw_error.h"

#define MAX_SINKS (RW_MAX_WEBHOOKS + 2)

static const char *const sink_state_names[SINK_STATE_COUNT] = {
        [SINK_IDLE] = "idle",
        [SINK_SENDING] = "sending",
        [SINK_BACKOFF] = "backoff",
        [SINK_STOPPED] = "stopped",
};

/* The table of the file header: bit `to` of row `from`. */
static const uint8_t sink_transitions[SINK_STATE_COUNT] = {
        [SINK_IDLE] = 1u << SINK_SENDING | 1u << SINK_BACKOFF | 1u << SINK_STOPPED,
        [SINK_SENDING] = 1u << SINK_IDLE | 1u << SINK_BACKOFF | 1u << SINK_STOPPED,
        [SINK_BACKOFF] = 1u << SINK_IDLE | 1u << SINK_SENDING | 1u << SINK_STOPPED,
        [SINK_STOPPED] = 0,
};

struct notify {
	uv_loop_t *loop;
	const struct guard *guard;
	const struct rw_config *cfg;
	struct store *st;
	struct curluv cu;
	uv_timer_t timer;
	struct sink sinks[MAX_SINKS];
	size_t n;
	notify_render_fn render;
	int64_t max_id; /* the newest event id at the last poll */
	notify_closed_cb closed_cb;
	void *closed_data;
	int pending_closes;       /* handles closing, counted at each close */
	uint64_t bad_transitions; /* changes sink_transitions[] forbids: bugs */
	bool timer_open;          /* timer initialised and not yet closing */
	/* notify_set_active(): a follower delivers nothing; a daemon that
	 * becomes the leader reads each sink's cursor again first. */
	bool inactive;
};

static void log_sink(const struct sink *s, enum rw_log_level lvl, const char *msg,
                     const char *detail)
{
	struct logline l;

	if (log_begin(&l, lvl, msg)) {
		log_str(&l, s->ops->is_webhook ? "webhook" : "channel", s->shown);
		log_int(&l, "event_id", s->upto);
		log_int(&l, "attempts", s->attempts);
		if (detail)
			log_str(&l, "detail", detail);
		log_end(&l);
	}
}

/* The one writer of s->state; staying in a state is not a change. */
static void sink_set_state(struct sink *s, enum sink_state to)
{
	enum sink_state from = s->state;
	bool legal = (sink_transitions[from] >> to) & 1u;
	struct logline l;

	if (from == to)
		return;
	if (!legal)
		s->n->bad_transitions++;
	if (log_begin(&l, legal ? RW_LOG_DEBUG : RW_LOG_ERROR,
	              legal ? "notification state change" : "illegal notification state change")) {
		log_str(&l, s->ops->is_webhook ? "webhook" : "channel", s->shown);
		log_int(&l, "event_id", s->upto);
		log_str(&l, "from", sink_state_names[from]);
		log_str(&l, "to", sink_state_names[to]);
		log_end(&l);
	}
	s->state = to;
}

/* The delivery is done with (delivered, dropped, or nothing to send): the
 * cursor moves. */
/* Saves the cursor; one the database refuses now (locked by the writer's
 * batch or another process: the loop's connection never waits) is kept in
 * memory, which delivery goes by, and saved again at the next tick, so
 * the worst a lock costs is an event sent again after a crash, as at
 * least once allows. */
static void save_cursor(struct sink *s)
{
	int rc = store_webhook_cursor_set(s->n->st, s->key, s->cursor, clock_wall_ms());

	if (rc < 0 && rc != RW_EBUSY && !s->cursor_unsaved)
		log_sink(s, RW_LOG_WARN, "notification cursor not saved yet (retried at each tick)",
		         rw_strerror(rc));
	s->cursor_unsaved = rc < 0;
}

static void advance(struct sink *s)
{
	s->cursor = s->upto;
	save_cursor(s);
	if (s->loaded)
		s->ops->clear(s);
	s->loaded = false;
	s->attempts = 0;
	s->failing_since = 0;
	sink_set_state(s, SINK_IDLE);
}

static void dropped(struct sink *s, const char *msg, const char *why)
{
	s->dropped++;
	log_sink(s, RW_LOG_ERROR, msg, why);
	advance(s);
}

static void failed(struct sink *s, const char *why)
{
	int64_t now = clock_wall_ms();
	uint64_t backoff;

	s->failed++;
	s->failing = true;
	s->attempts++;
	if (!s->failing_since)
		s->failing_since = now;
	if (now - s->failing_since >= NOTIFY_GIVE_UP_MS) {
		dropped(s,
		        s->ops->is_webhook ? "webhook event dropped after 24 h of failures"
		                           : "notification dropped after 24 h of failures",
		        why);
		return;
	}
	backoff = NOTIFY_BACKOFF_MIN_MS;
	for (unsigned i = 1; i < s->attempts && backoff < NOTIFY_BACKOFF_MAX_MS; i++)
		backoff *= 2;
	if (backoff > NOTIFY_BACKOFF_MAX_MS)
		backoff = NOTIFY_BACKOFF_MAX_MS;
	s->retry_at = uv_now(s->n->loop) + backoff;
	sink_set_state(s, SINK_BACKOFF);
	log_sink(s, RW_LOG_WARN,
	         s->ops->is_webhook ? "webhook delivery failed; retrying"
	                            : "notification failed; retrying",
	         why);
}

static void done_cb(struct curluv *cu, CURL *easy, CURLcode result, int rc)
{
	struct sink *s = NULL;
	long status = 0;
	char why[CURL_ERROR_SIZE + 128];
	int verdict;

	(void)cu;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&s);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == RW_ECANCELED) {
		/* notify_close(): sent again after the next start. */
		sink_set_state(s, SINK_STOPPED);
		return;
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "the monitor could not drive the request: %s",
		         rw_strerror(rc));
		failed(s, why);
		return;
	}
	why[0] = '\0';
	verdict = s->ops->judge(s, result, status, why, sizeof(why));
	if (verdict == 0) {
		s->delivered++;
		s->failing = false;
		advance(s);
	} else if (verdict == NOTIFY_PERMANENT) {
		s->failed++;
		s->failing = true;
		dropped(s, "notification refused for good; dropped", why);
	} else {
		failed(s, why);
	}
}

static int send_delivery(struct sink *s)
{
	CURLcode c = CURLE_OK;
	int rc;

	curl_easy_reset(s->easy);
	s->errbuf[0] = '\0';
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(s->easy, opt, val);                                   \
	} while (0)
	SET(CURLOPT_PRIVATE, s);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TIMEOUT_MS, (long)NOTIFY_TIMEOUT_MS);
	SET(CURLOPT_USERAGENT, "runwarden/" RW_VERSION);
#undef SET
	if (c == CURLE_OK)
		c = curluv_easy_trust(s->easy); /* reset cleared it: see curluv.h */
	if (c != CURLE_OK)
		return c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
	rc = s->ops->prepare(s);
	if (rc < 0)
		return rc;
	rc = curluv_add(&s->n->cu, s->easy);
	if (rc < 0)
		return rc;
	sink_set_state(s, SINK_SENDING);
	return 0;
}

/* IDLE, or BACKOFF with its time over: (re)loads the delivery when none is
 * loaded (it never rendered), and sends it. A delivery that will not
 * render or send is a failure like any other: counted, backed off, and
 * dropped after NOTIFY_GIVE_UP_MS. */
static void attempt(struct sink *s)
{
	char why[96];
	int rc;

	if (!s->loaded) {
		rc = s->ops->load(s);
		if (rc == 0)
			return;
		if (rc == NOTIFY_SKIP) {
			advance(s);
			return;
		}
		if (rc < 0) {
			snprintf(why, sizeof(why), "the event could not be rendered: %s",
			         rw_strerror(rc));
			failed(s, why);
			return;
		}
		s->loaded = true;
	}
	rc = send_delivery(s);
	if (rc < 0) {
		snprintf(why, sizeof(why), "the request could not be made: %s", rw_strerror(rc));
		failed(s, why);
	}
}

/* A daemon that has just become the leader goes on from the cursor the old
 * leader stored, or from its own when that is further (one it could not
 * save yet): what it had loaded itself, as a follower or as an earlier
 * leader, is dropped and loaded again. @return 0, or RW_E* (retried at the
 * next tick). */
static int reload_cursor(struct sink *s)
{
	int64_t stored;
	int rc = store_webhook_cursor(s->st, s->key, &stored);

	if (rc == RW_ENOENT)
		stored = s->cursor;
	else if (rc < 0)
		return rc;
	if (s->loaded)
		s->ops->clear(s);
	s->loaded = false;
	s->attempts = 0;
	s->failing_since = 0;
	if (stored > s->cursor)
		s->cursor = stored;
	s->upto = s->cursor;
	sink_set_state(s, SINK_IDLE);
	s->reload = false;
	return 0;
}

static void tick_cb(uv_timer_t *t)
{
	struct notify *n = t->data;
	uint64_t now = uv_now(n->loop);

	for (size_t i = 0; i < n->n; i++) {
		struct sink *s = &n->sinks[i];
		if (s->cursor_unsaved)
			save_cursor(s);
		if (n->inactive)
			continue; /* a follower: its delivery in flight ends, no other starts */
		if (s->reload && s->state != SINK_SENDING && reload_cursor(s) < 0)
			continue;
		if (s->state == SINK_IDLE || (s->state == SINK_BACKOFF && now >= s->retry_at))
			attempt(s);
	}
}

void notify_set_active(struct notify *n, bool active)
{
	if (!n || n->inactive == !active)
		return;
	n->inactive = !active;
	for (size_t i = 0; active && i < n->n; i++)
		n->sinks[i].reload = true;
}

/* ---- webhooks ---------------------------------------------------------- */

struct hook {
	const struct rw_webhook_cfg *cfg;
	char *body; /* the loaded event's JSON */
	int64_t id; /* its id */
	struct curl_slist *hdrs;
	char refused[64]; /* the guard's reason, when it refused */
};

static curl_socket_t opensocket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct sink *s = clientp;
	struct hook *h = s->impl;
	const char *why;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	why = guard_check_sockaddr(s->n->guard, &a->addr);
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

/* Loads the event after the cursor, if any, and renders it into h->body. */
static int hook_load(struct sink *s)
{
	struct hook *h = s->impl;
	struct store_event *v = NULL;
	struct strbuf b;
	size_t n = 0;
	int rc = notify_next_events(s, (const char *const *)h->cfg->events, 1, &v, &n);

	if (rc != 0 || n == 0)
		return rc;
	strbuf_init(&b);
	s->upto = h->id = v[0].id;
	rc = s->n->render ? s->n->render(&b, &v[0]) : RW_EINVAL;
	store_events_free(v, n);
	if (rc == 0)
		h->body = strbuf_take(&b, NULL);
	if (rc < 0 || !h->body) {
		strbuf_deinit(&b);
		return rc < 0 ? rc : RW_ENOMEM;
	}
	return 1;
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

static int hook_prepare(struct sink *s)
{
	struct hook *h = s->impl;
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
	h->refused[0] = '\0';
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(s->easy, opt, val);                                   \
	} while (0)
	SET(CURLOPT_URL, h->cfg->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	SET(CURLOPT_OPENSOCKETDATA, s);
	SET(CURLOPT_HTTPHEADER, h->hdrs);
	SET(CURLOPT_POSTFIELDS, h->body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(h->body));
	SET(CURLOPT_WRITEFUNCTION, discard_cb);
#undef SET
	return c == CURLE_OK ? 0 : c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
}

static int hook_judge(struct sink *s, CURLcode result, long status, char *why, size_t whylen)
{
	struct hook *h = s->impl;

	if (result == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if (h->refused[0])
		snprintf(why, whylen, "refused by the address guard: %s", h->refused);
	else if (result != CURLE_OK)
		snprintf(why, whylen, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(result));
	else
		snprintf(why, whylen, "HTTP %ld", status);
	return -1;
}

static void hook_clear(struct sink *s)
{
	struct hook *h = s->impl;

	free(h->body);
	h->body = NULL;
}

static void hook_free(struct sink *s)
{
	struct hook *h = s->impl;

	if (!h)
		return;
	free(h->body);
	curl_slist_free_all(h->hdrs);
	free(h);
	s->impl = NULL;
}

static const struct sink_ops hook_ops = {
        .is_webhook = true,
        .load = hook_load,
        .prepare = hook_prepare,
        .judge = hook_judge,
        .clear = hook_clear,
        .free = hook_free,
};

static int hook_init(struct sink *s, const struct rw_webhook_cfg *cfg, size_t i,
                     const struct guard *guard, char *err, size_t errlen)
{
	struct hook *h = calloc(1, sizeof(*h));
	char host[256], bad[128];
	const char *why;

	if (!h)
		return RW_ENOMEM;
	s->impl = h;
	s->ops = &hook_ops;
	s->channel = "webhook";
	h->cfg = cfg;
	snprintf(s->key, sizeof(s->key), "%s", cfg->url);
	snprintf(s->shown, sizeof(s->shown), "%.*s", (int)strcspn(cfg->url, "?#"), cfg->url);
	if (url_parse(cfg->url, host, sizeof(host), NULL, NULL, bad, sizeof(bad)) < 0) {
		snprintf(err, errlen, "webhooks[%zu]: url: %s", i, bad);
		return RW_EINVAL;
	}
	why = guard_check_host(guard, host);
	if (why) {
		snprintf(err, errlen,
		         "webhooks[%zu]: url: the address guard refuses %s (%s); allow it "
		         "with allow_cidrs",
		         i, host, why);
		return RW_EREFUSED;
	}
	return 0;
}

/* ---- the notifier ------------------------------------------------------ */

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

/* The sink's cursor, or for a sink seen for the first time the newest
 * event (it starts with the events from now on), and its easy handle. */
static int sink_start(struct notify *n, struct sink *s)
{
	int rc = store_webhook_cursor(n->st, s->key, &s->cursor);

	if (rc == RW_ENOENT) {
		rc = store_event_max_id(n->st, &s->cursor);
		if (rc == 0)
			rc = store_webhook_cursor_set(n->st, s->key, s->cursor, clock_wall_ms());
	}
	s->upto = s->cursor;
	s->easy = curl_easy_init();
	return rc < 0 ? rc : s->easy ? 0 : RW_ENOMEM;
}

int notify_new(struct notify **out, uv_loop_t *loop, const struct rw_config *cfg,
               const struct guard *guard, struct store *st, char *err, size_t errlen)
{
	struct notify *n;
	size_t want =
	        cfg->n_webhooks + (cfg->zulip.configured ? 1 : 0) + (cfg->smtp.configured ? 1 : 0);
	int rc = 0, uvrc;

	*out = NULL;
	if (want == 0)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return RW_ENOMEM;
	n->loop = loop;
	n->guard = guard;
	n->cfg = cfg;
	n->st = st;
	for (size_t i = 0; i < want; i++) {
		struct sink *s = &n->sinks[i];

		s->n = n;
		s->st = st;
		s->loop = loop;
		s->max_id = &n->max_id;
		n->n = i + 1;
		if (i < cfg->n_webhooks)
			rc = hook_init(s, &cfg->webhooks[i], i, guard, err, errlen);
		else if (cfg->zulip.configured && i == cfg->n_webhooks)
			rc = notify_zulip_init(s, cfg, err, errlen);
		else
			rc = notify_email_init(s, cfg, err, errlen);
		if (rc == 0) {
			rc = sink_start(n, s);
			if (rc < 0)
				snprintf(err, errlen, "%s: cannot start: %s", s->shown,
				         rw_strerror(rc));
		} else if (rc == RW_ENOMEM) {
			snprintf(err, errlen, "notifications: out of memory");
		}
		if (rc < 0) {
			notify_free(n);
			return rc;
		}
	}
	rc = curluv_init(&n->cu, loop, done_cb, 8);
	if (rc < 0) {
		snprintf(err, errlen, "notifications: cannot start: %s", rw_strerror(rc));
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
		snprintf(err, errlen, "notifications: cannot start the timer: %s",
		         uv_strerror(uvrc));
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
		if (n->sinks[i].state == SINK_SENDING)
			curluv_abort(&n->cu, n->sinks[i].easy); /* done_cb: STOPPED */
		sink_set_state(&n->sinks[i], SINK_STOPPED);
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
		struct sink *s = &n->sinks[i];
		curl_easy_cleanup(s->easy);
		if (s->ops && s->impl) {
			if (s->loaded)
				s->ops->clear(s);
			s->ops->free(s);
		}
	}
	free(n);
}

void notify_render_metrics(const struct notify *n, struct strbuf *b)
{
	int64_t max_event_id = n ? n->max_id : 0;
	static const struct {
		const char *name, *type, *help;
	} fam[2][5] = {
	        {
	                {"runwarden_webhook_delivered_total", "counter", "Events delivered (2xx)."},
	                {"runwarden_webhook_failures_total", "counter",
	                 "Delivery attempts that failed."},
	                {"runwarden_webhook_dropped_total", "counter",
	                 "Events given up after 24 h of failures."},
	                {"runwarden_webhook_pending_events", "gauge",
	                 "Events after the webhook's cursor (not yet delivered)."},
	                {"runwarden_webhook_failing", "gauge",
	                 "1 from a failed delivery until the next successful one."},
	        },
	        {
	                {"runwarden_notification_delivered_total", "counter",
	                 "Messages delivered to people (Zulip messages, mails)."},
	                {"runwarden_notification_failures_total", "counter",
	                 "Message attempts that failed."},
	                {"runwarden_notification_dropped_total", "counter",
	                 "Messages given up: refused for good, or after 24 h of failures."},
	                {"runwarden_notification_pending_events", "gauge",
	                 "Events after the channel's cursor (not yet delivered, or of no "
	                 "interest to it)."},
	                {"runwarden_notification_failing", "gauge",
	                 "1 from a failed message until the next successful one."},
	        },
	};

	for (int w = 0; w < 2; w++) {
		for (size_t f = 0; f < 5; f++) {
			metrics_family(b, fam[w][f].name, fam[w][f].type, fam[w][f].help);
			for (size_t i = 0; n && i < n->n; i++) {
				const struct sink *s = &n->sinks[i];
				double v = f == 0   ? (double)s->delivered
				           : f == 1 ? (double)s->failed
				           : f == 2 ? (double)s->dropped
				           : f == 3 ? (double)(max_event_id > s->cursor
				                                       ? max_event_id - s->cursor
				                                       : 0)
				                    : (double)s->failing;
				if (s->ops->is_webhook != (w == 0))
					continue;
				strbuf_printf(b, "%s{%s=", fam[w][f].name,
				              w == 0 ? "url" : "channel");
				metrics_label_value(b, w == 0 ? s->shown : s->channel);
				strbuf_puts(b, "} ");
				metrics_value(b, v);
				strbuf_puts(b, "\n");
			}
		}
	}
}
