/* SPDX-License-Identifier: MIT */
/*
 * api.c — the HTTP server on libh2o and its dispatch; see api.h, and
 * api_impl.h for the lifecycle's states.
 *
 * h2o runs on the daemon's libuv loop: we own the listening uv_tcp_t, and
 * each accepted connection goes first through the gate (gate.c), which
 * reads its request head (at most 16 KiB: 431 beyond) and then hands it to
 * h2o with h2o_uv_socket_create(); over max_connections, the gate answers
 * /healthz only. With TLS the gate runs the handshake on h2o's socket and
 * reads the decrypted head (gate.c says why h2o's own TLS accept is not
 * used); the context is tls.c's, swapped on api_tls_reload(). Each connection's uv_tcp_t is
 * embedded in a `struct conn` we count, so that shutdown can wait for open connections. Every
 * answer closes its connection (one request per connection, which the gate relies on); h2o's
 * request timeout, set to API_IDLE_MS, closes slow ones, and shutdown waits at most API_DRAIN_MS.
 */
#include "monitor/api/api.h"

#include <h2o.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/answer.h"
#include "monitor/api/api_impl.h"
#include "monitor/api/call.h"
#include "monitor/api/reqbody.h"
#include "monitor/api/status.h"
#include "monitor/core/clock.h"
#include "monitor/core/log.h"
#include "monitor/fleet/fleet.h"
#include "monitor/core/metrics.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"

static int tls_load(struct api *api, char *err, size_t errlen);

/* ---- lifecycle ------------------------------------------------------------ */

static const char *const state_names[] = {"open", "draining", "closing", "closed"};

/* The transitions api_impl.h draws: allowed[from][to]. */
static const bool allowed[4][4] = {
        [API_OPEN] = {[API_DRAINING] = true},
        [API_DRAINING] = {[API_CLOSING] = true},
        [API_CLOSING] = {[API_CLOSED] = true},
};

/* The one place the server's state changes. A transition outside the table
 * is a bug: it is logged and refused, so that a handle is never closed twice. */
static bool api_set_state(struct api *api, enum api_state to)
{
	struct logline l;
	bool ok = allowed[api->state][to];

	if (log_begin(&l, ok ? RW_LOG_DEBUG : RW_LOG_ERROR,
	              ok ? "api state change" : "illegal state change")) {
		log_str(&l, "from", state_names[api->state]);
		log_str(&l, "to", state_names[to]);
		log_end(&l);
	}
	if (ok)
		api->state = to;
	return ok;
}

/* h2o's context holds libuv handles of its own: it is disposed on the loop,
 * once the server is closing and no connection uses it any more (disposing
 * it under a connection would be a use after free). */
static void dispose_h2o(struct api *api)
{
	if (!api->h2o_live || api->conns > 0 || api->state < API_CLOSING)
		return;
	api->h2o_live = false;
	h2o_context_dispose(&api->ctx);
	h2o_config_dispose(&api->config);
}

static void dispose(struct api *api)
{
	status_free(api->status);
	SSL_CTX_free(api->ssl_ctx);
	free(api);
}

/* One of the server's own handles closed; the last one ends CLOSING. */
static void closed_one(struct api *api)
{
	if (--api->pending_closes == 0 && api->state == API_CLOSING &&
	    api_set_state(api, API_CLOSED) && api->closed_cb)
		api->closed_cb(api, api->closed_data);
}

static void handle_closed_cb(uv_handle_t *h)
{
	closed_one(h->data);
}

/* DRAINING -> CLOSING, once, whichever comes first of the last connection
 * closing and the drain timer. */
static void finish_close(struct api *api)
{
	if (api->state != API_DRAINING || !api_set_state(api, API_CLOSING))
		return;
	api_route_cache_clear(api);
	dispose_h2o(api);
	api->pending_closes += 4;
	uv_close((uv_handle_t *)&api->metrics_timer, handle_closed_cb);
	uv_close((uv_handle_t *)&api->drain, handle_closed_cb);
	uv_close((uv_handle_t *)&api->events_timer, handle_closed_cb);
	uv_close((uv_handle_t *)&api->gate_timer, handle_closed_cb);
}

static void drain_cb(uv_timer_t *t)
{
	struct api *api = t->data;

	if (api->conns > 0)
		log_msg(RW_LOG_WARN, "closing with HTTP connections still open", NULL, NULL);
	finish_close(api);
}

static void listener_closed_cb(uv_handle_t *h)
{
	struct api *api = h->data;

	if (api->conns == 0)
		finish_close(api);
	closed_one(api);
}

void api_close(struct api *api, api_closed_cb cb, void *data)
{
	if (!api_set_state(api, API_DRAINING))
		return;
	api_events_flush(api);
	gate_stop(api);
	api->closed_cb = cb;
	api->closed_data = data;
	api->pending_closes = 1;
	uv_timer_start(&api->drain, drain_cb, api->x.drain_ms ? api->x.drain_ms : API_DRAIN_MS, 0);
	uv_close((uv_handle_t *)&api->listener, listener_closed_cb);
}

void api_free(struct api *api)
{
	if (!api)
		return;
	if (api->conns > 0) {
		api->free_asked = true; /* conn_close_cb frees it with the last one */
		return;
	}
	dispose(api);
}

/* ---- dispatch ------------------------------------------------------------- */

/* /v1/operators, /v1/runners, /v1/incidents: call.h's steps, then the
 * resource's handler. */
static int operator_api(struct api *api, h2o_req_t *req, const char *path, size_t len)
{
	struct call c;
	enum method m;

	if (call_begin(&c, api, req, path, len, &m, operator_api) < 0)
		return 0; /* answered, or answered once its token is looked up */
	if (call_seg_is(&c, 0, "operators"))
		return api_operators(&c, m);
	if (call_seg_is(&c, 0, "runners"))
		return api_runners(&c, m);
	return api_incidents(&c, m);
}

/* ---- /metrics in slices ----------------------------------------------------
 *
 * The daemon's own families are rendered at once (a few hundred lines);
 * the fleet's per-runner families (7 lines a runner) are streamed: each
 * piece is what fleet_metrics_walk_step() renders in API_METRICS_SLICE_NS,
 * sent when the client took the last one (h2o's proceed). libuv runs write
 * callbacks several times an iteration, and every scrape has its own, so
 * the pieces of all scrapes share API_METRICS_ITER_NS an iteration: past
 * it, a scrape's next piece waits for metrics_timer. So 100,000 runners'
 * 600,000 lines, scraped by many at once, never hold the loop for more
 * than about a millisecond. The scrape's time is its start. */
#define API_METRICS_SLICE_NS ((uint64_t)300 * 1000)
#define API_METRICS_ITER_NS  ((uint64_t)1000 * 1000)

struct metrics_gen {
	h2o_generator_t super; /* first: h2o's */
	struct api *api;
	h2o_req_t *req;
	struct strbuf b; /* the piece being sent; valid until proceed */
	struct fleet_metrics_walk w;
	bool walk_live;
	bool waiting; /* in api->metrics_waiting */
	struct metrics_gen *wprev, *wnext;
};

static void metrics_unwait(struct metrics_gen *g)
{
	if (!g->waiting)
		return;
	if (g->wprev)
		g->wprev->wnext = g->wnext;
	else
		g->api->metrics_waiting = g->wnext;
	if (g->wnext)
		g->wnext->wprev = g->wprev;
	else
		g->api->metrics_waiting_tail = g->wprev;
	g->wprev = g->wnext = NULL;
	g->waiting = false;
}

static void metrics_gen_dispose(void *p)
{
	struct metrics_gen *g = p;

	metrics_unwait(g); /* the client left while its piece waited */
	strbuf_deinit(&g->b);
	if (g->walk_live)
		fleet_metrics_walk_deinit(&g->w);
}

/* Whether this loop iteration has room for another piece. */
static bool metrics_room(struct api *api)
{
	uint64_t now = uv_now(api->x.loop);

	if (now != api->metrics_now) {
		api->metrics_now = now;
		api->metrics_spent_ns = 0;
	}
	return api->metrics_spent_ns < API_METRICS_ITER_NS;
}

static void metrics_send(struct metrics_gen *g, h2o_req_t *req);

static void metrics_timer_cb(uv_timer_t *t)
{
	struct api *api = t->data;

	while (api->metrics_waiting && metrics_room(api)) {
		struct metrics_gen *g = api->metrics_waiting;
		metrics_unwait(g);
		metrics_send(g, g->req);
	}
	if (api->metrics_waiting)
		uv_timer_start(&api->metrics_timer, metrics_timer_cb, 1, 0);
}

/* Renders the next piece and sends it (the last one as final), or queues
 * the scrape when this iteration's share is spent. */
static void metrics_send(struct metrics_gen *g, h2o_req_t *req)
{
	struct api *api = g->api;
	h2o_iovec_t buf;
	uint64_t t0;
	bool done;

	if (!metrics_room(api) && api->state == API_OPEN) {
		g->waiting = true;
		g->wnext = NULL;
		g->wprev = api->metrics_waiting_tail;
		if (g->wprev)
			g->wprev->wnext = g;
		else
			api->metrics_waiting = g;
		api->metrics_waiting_tail = g;
		if (!uv_is_active((uv_handle_t *)&api->metrics_timer))
			uv_timer_start(&api->metrics_timer, metrics_timer_cb, 1, 0);
		return;
	}
	t0 = uv_hrtime();
	done = fleet_metrics_walk_step(api->x.fleet, &g->w, &g->b, t0 + API_METRICS_SLICE_NS);
	api->metrics_spent_ns += uv_hrtime() - t0;

	/* Out of memory mid-stream: the answer ends short; Prometheus
	 * rejects a scrape cut in the middle of a line, so cut at one. */
	if (strbuf_failed(&g->b))
		done = true;
	buf = h2o_iovec_init(g->b.data ? g->b.data : "", g->b.failed ? 0 : g->b.len);
	h2o_send(req, &buf, 1, done ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void metrics_proceed(h2o_generator_t *self, h2o_req_t *req)
{
	struct metrics_gen *g = (struct metrics_gen *)self;

	strbuf_deinit(&g->b); /* the last piece was taken */
	strbuf_init(&g->b);
	metrics_send(g, req);
}

static void metrics_stop(h2o_generator_t *self, h2o_req_t *req)
{
	(void)self;
	(void)req; /* the client left: the pool's dispose frees the walk */
}

static int answer_metrics(struct api *api, h2o_req_t *req)
{
	struct metrics_gen *g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), metrics_gen_dispose);

	uint64_t t0 = uv_hrtime();

	memset(g, 0, sizeof(*g));
	g->super.proceed = metrics_proceed;
	g->super.stop = metrics_stop;
	g->api = api;
	g->req = req;
	strbuf_init(&g->b);
	metrics_room(api);
	api->x.render_metrics(api->x.owner, &g->b);
	g->walk_live =
	        fleet_metrics_walk_init(&g->w, api->x.fleet, clock_now_ms(api->x.clock)) == 0;
	if (!g->walk_live)
		g->b.failed = true;
	api->metrics_spent_ns += uv_hrtime() - t0;
	if (strbuf_failed(&g->b)) {
		struct strbuf b = g->b;
		strbuf_init(&g->b);
		return answer_strbuf(api, req, &b, "text/plain; version=0.0.4; charset=utf-8");
	}
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("text/plain; version=0.0.4; charset=utf-8"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_start_response(req, &g->super);
	metrics_send(g, req);
	return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct api *api = ((struct api_handler *)self)->api;
	const char *p = req->path_normalized.base;
	size_t n = req->path_normalized.len;

	api->x.m->http_requests++;
	/* One request per connection: the gate (gate.c) reads each
	 * connection's first request head only. */
	req->http1_is_persistent = 0;
	if ((n >= 13 && memcmp(p, "/v1/operators", 13) == 0 && (n == 13 || p[13] == '/')) ||
	    (n >= 11 && memcmp(p, "/v1/runners", 11) == 0 && (n == 11 || p[11] == '/')) ||
	    (n >= 13 && memcmp(p, "/v1/incidents", 13) == 0 && (n == 13 || p[13] == '/')))
		return operator_api(api, req, p, n);
	if (h2o_memis(p, n, H2O_STRLIT("/v1/github/webhook")))
		return api_github_webhook(api, req);
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
		               H2O_STRLIT("GET, HEAD"));
		return answer_problem(api, req, 405, "Method Not Allowed", NULL,
		                      "this endpoint answers GET and HEAD only");
	}
	if (h2o_memis(p, n, H2O_STRLIT("/healthz"))) {
		static const char ok[] = "{\"status\":\"ok\"}\n";
		answer_body(req, 200, "OK", "application/json", ok, sizeof(ok) - 1);
		return 0;
	}
	if (h2o_memis(p, n, H2O_STRLIT("/metrics")))
		return answer_metrics(api, req);
	if (h2o_memis(p, n, H2O_STRLIT("/v1/route")))
		return api_route(api, req);
	if (h2o_memis(p, n, H2O_STRLIT("/"))) {
		const char *html;
		size_t len;
		if (status_page(api->status, &html, &len) < 0)
			return answer_problem(api, req, 503, "Service Unavailable", NULL,
			                      "the status page could not be built; try again");
		answer_body(req, 200, "OK", "text/html; charset=utf-8", html, len);
		return 0;
	}
	if (h2o_memis(p, n, H2O_STRLIT("/v1/events")))
		return api_events(api, req);
	return answer_problem(api, req, 404, "Not Found", NULL, "no such endpoint");
}

void api_minute(struct api *api)
{
	status_minute(api->status);
}

void api_tick(struct api *api)
{
	status_tick(api->status);
}

/* ---- connections ---------------------------------------------------------- */

static void conn_close_cb(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h; /* tcp is the first member */
	struct api *api = c->api;

	gate_closed(api, c);
	free(c);
	if (--api->conns > 0)
		return;
	if (api->state == API_DRAINING) {
		finish_close(api);
		return;
	}
	dispose_h2o(api);
	if (api->free_asked)
		dispose(api);
}

static void on_accept(uv_stream_t *listener, int status)
{
	struct api *api = listener->data;
	struct conn *c;
	bool over;

	if (status < 0 || api->state != API_OPEN)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->api = api;
	if (uv_tcp_init(listener->loop, &c->tcp) < 0) {
		free(c);
		return;
	}
	over = (unsigned)(api->conns - api->conns_reserve) >= api->x.max_connections;
	api->conns++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
		uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
		return;
	}
	if (over && api->conns_reserve >= GATE_RESERVE) {
		/* Over the cap and the /healthz reserve: close at once, so the
		 * client sees a reset now rather than waiting in the backlog. */
		api->x.m->http_conns_refused++;
		uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
		return;
	}
	/* The gate reads the request head, then hands the connection to h2o
	 * (or, over the cap, answers /healthz only). */
	gate_accept(api, c, over);
}

/* Binds and listens; on failure the listener is closed and the loop run
 * once so that nothing stays open. */
static int listen_on(struct api *api, char *err, size_t errlen)
{
	const struct api_ctx *x = &api->x;
	struct sockaddr_storage ss;
	int rc, len = sizeof(ss);

	if (uv_ip4_addr(x->listen_host, x->listen_port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(x->listen_host, x->listen_port, (struct sockaddr_in6 *)&ss) != 0) {
		snprintf(err, errlen, "listen: %s is not an IP address", x->listen_host);
		return RW_EINVAL;
	}
	rc = uv_tcp_init(x->loop, &api->listener);
	if (rc < 0) {
		snprintf(err, errlen, "listen: %s", uv_strerror(rc));
		return RW_ENOMEM;
	}
	api->listener.data = api;
	rc = uv_tcp_bind(&api->listener, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&api->listener, 1024, on_accept);
	if (rc == 0)
		rc = uv_tcp_getsockname(&api->listener, (struct sockaddr *)&ss, &len);
	if (rc < 0) {
		snprintf(err, errlen, "listen: cannot listen on %s:%d: %s", x->listen_host,
		         x->listen_port, uv_strerror(rc));
		uv_close((uv_handle_t *)&api->listener, NULL);
		uv_run(x->loop, UV_RUN_NOWAIT);
		return RW_EIO;
	}
	api->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                           : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int api_new(struct api **out, const struct api_ctx *x, char *err, size_t errlen)
{
	struct api *api = calloc(1, sizeof(*api));
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	struct api_handler *h;
	int rc;

	*out = NULL;
	if (!api)
		return RW_ENOMEM;
	api->x = *x;
	api->state = API_OPEN;
	api->status = status_new(&api->x);
	if (!api->status) {
		free(api);
		return RW_ENOMEM;
	}
	/* The certificate and key are read before anything listens, so that a
	 * bad file stops the start-up with one line naming its key. */
	rc = x->tls_cert_file ? tls_load(api, err, errlen) : 0;
	if (rc == 0)
		rc = listen_on(api, err, errlen);
	if (rc < 0) {
		status_free(api->status);
		SSL_CTX_free(api->ssl_ctx);
		free(api);
		return rc;
	}
	h2o_config_init(&api->config);
	api->config.server_name = h2o_iovec_init(H2O_STRLIT("runwarden"));
	/* h2o refuses bodies over this with its own text/plain 413; between
	 * REQBODY_MAX and this, reqbody_parse() answers with a problem. */
	api->config.max_request_entity_size = 4 * REQBODY_MAX;
	api->config.http1.req_timeout = API_IDLE_MS;
	/* No h2c: h2o would buffer its header blocks up to H2O_MAX_REQLEN,
	 * past the gate (gate.c). */
	api->config.http1.upgrade_to_http2 = 0;
	api->config.http2.idle_timeout = API_IDLE_MS;
	host = h2o_config_register_host(&api->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	h = (struct api_handler *)h2o_create_handler(path, sizeof(*h));
	h->super.on_req = on_req;
	h->api = api;
	h2o_context_init(&api->ctx, x->loop, &api->config);
	api->accept_ctx.ctx = &api->ctx;
	api->accept_ctx.hosts = api->config.hosts;
	api->h2o_live = true;
	/* Timers cannot fail to initialise on a live loop (libuv only sets fields). */
	uv_timer_init(x->loop, &api->drain);
	api->drain.data = api;
	uv_timer_init(x->loop, &api->events_timer);
	api->events_timer.data = api;
	uv_timer_init(x->loop, &api->metrics_timer);
	api->metrics_timer.data = api;
	api->conn_close_cb = conn_close_cb;
	gate_init(api);
	*out = api;
	return 0;
}

int api_port(const struct api *api)
{
	return api->port;
}

/* ---- TLS ------------------------------------------------------------------ */

/* Builds a context from the configured files and, when it loads, puts it
 * in force for new connections (the old one lives on in the connections
 * that hold it: OpenSSL counts them). */
static int tls_load(struct api *api, char *err, size_t errlen)
{
	const struct api_ctx *x = &api->x;
	struct tls_files files = {.cert_file = x->tls_cert_file,
	                          .key_file = x->tls_key_file,
	                          .cert_name =
	                                  x->tls_cert_name ? x->tls_cert_name : "tls.cert_file",
	                          .key_name = x->tls_key_name ? x->tls_key_name : "tls.key_file"};
	struct tls_cert_info info;
	struct logline l;
	SSL_CTX *ctx;
	int rc = tls_ctx_load(&ctx, &files, &info, err, errlen);

	if (rc < 0)
		return rc;
	SSL_CTX_free(api->ssl_ctx);
	api->ssl_ctx = ctx;
	api->tls_info = info;
	if (log_begin(&l, RW_LOG_INFO, "tls certificate loaded")) {
		log_str(&l, "subject", info.subject);
		log_str(&l, "serial", info.serial);
		log_int(&l, "not_after", info.not_after_s);
		log_str(&l, "cert_file", x->tls_cert_file);
		log_end(&l);
	}
	return 0;
}

bool api_tls(const struct api *api)
{
	return api->ssl_ctx != NULL;
}

int api_tls_reload(struct api *api, char *err, size_t errlen)
{
	int rc;

	if (!api->ssl_ctx)
		return 0;
	rc = tls_load(api, err, errlen);
	if (rc < 0) {
		api->tls_reload_failures++;
		log_msg(RW_LOG_ERROR, "tls reload failed; keeping the old certificate", "error",
		        err);
		return rc;
	}
	api->tls_reloads++;
	return 0;
}

void api_render_tls_metrics(const struct api *api, struct strbuf *b)
{
	if (!api || !api->ssl_ctx)
		return;
	metrics_scalar(b, "runwarden_tls_reloads_total", "counter",
	               "Certificate reloads (SIGHUP) that put a new certificate in force.",
	               (double)api->tls_reloads);
	metrics_scalar(b, "runwarden_tls_reload_failures_total", "counter",
	               "Certificate reloads refused (the old certificate stayed in force).",
	               (double)api->tls_reload_failures);
	metrics_scalar(b, "runwarden_tls_handshake_failures_total", "counter",
	               "TLS handshakes that failed (old protocol versions, no common cipher, "
	               "garbage).",
	               (double)api->tls_handshake_failures);
	metrics_scalar(b, "runwarden_tls_certificate_expiry_timestamp_seconds", "gauge",
	               "When the certificate in force expires (notAfter), in Unix seconds.",
	               (double)api->tls_info.not_after_s);
}
