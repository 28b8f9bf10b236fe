/* SPDX-License-Identifier: MIT */
/*
 * api.c — HTTP handlers on libh2o; see api.h.
 *
 * h2o runs on the daemon's libuv loop: we own the listening uv_tcp_t and
 * hand each accepted connection to h2o with h2o_uv_socket_create(). Each
 * connection's uv_tcp_t is embedded in a `struct conn` we count, so that
 * shutdown can wait for open connections (h2o 2.2 has no way to close an
 * HTTP/1 keep-alive connection from outside; h2o's request timeout, set to
 * API_IDLE_MS, closes idle ones, and shutdown waits at most API_DRAIN_MS).
 */
#include "monitor/api/api_impl.h"

#include <curl/curl.h>
#include <h2o.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/reqbody.h"
#include "monitor/api/status.h"
#include "monitor/core/log.h"
#include "monitor/daemon/daemon.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"

#define API_IDLE_MS        1500
#define API_ROUTE_CACHE_MS 1000
#define API_MAX_RANGE_MS   (3660LL * 86400 * 1000)

/* ---- answers ----------------------------------------------------------- */

void api_send_body(h2o_req_t *req, int status, const char *reason, const char *ctype,
                   const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = reason;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
	               strlen(ctype));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_send_inline(req, body, len);
}

int api_send_json(struct api *api, h2o_req_t *req, int status, struct strbuf *b)
{
	if (strbuf_failed(b)) {
		static const char oom[] = "{\"type\":\"about:blank\",\"title\":\"out of memory\","
		                          "\"status\":503}\n";
		api->d->m.http_errors++;
		api->d->m.http_server_errors++;
		api_send_body(req, 503, "Service Unavailable", "application/problem+json", oom,
		              sizeof(oom) - 1);
	} else {
		api_send_body(req, status, status == 201 ? "Created" : "OK", "application/json",
		              b->data ? b->data : "", b->len);
	}
	strbuf_free(b);
	return 0;
}

int api_send_strbuf(struct api *api, h2o_req_t *req, struct strbuf *b, const char *ctype)
{
	if (strbuf_failed(b) || strcmp(ctype, "application/json") == 0)
		return api_send_json(api, req, 200, b);
	api_send_body(req, 200, "OK", ctype, b->data ? b->data : "", b->len);
	strbuf_free(b);
	return 0;
}

int api_send_problem(struct api *api, h2o_req_t *req, int status, const char *reason,
                     const char *field, const char *detail)
{
	struct strbuf b;

	strbuf_init(&b);
	strbuf_printf(&b, "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d,\"detail\":",
	              reason, status);
	strbuf_json_str(&b, detail);
	if (field && *field) {
		strbuf_puts(&b, ",\"field\":");
		strbuf_json_str(&b, field);
	}
	strbuf_puts(&b, "}\n");
	api->d->m.http_errors++;
	api->d->m.http_server_errors += status >= 500;
	api_send_body(req, status, reason, "application/problem+json", b.data ? b.data : "{}\n",
	              b.data ? b.len : 3);
	strbuf_free(&b);
	return 0;
}

/* Finds ?name=value in the query and percent-decodes it into out. */
bool api_query_param(h2o_req_t *req, const char *name, char *out, size_t outlen)
{
	const char *q, *end;
	size_t nl = strlen(name);

	if (req->query_at == SIZE_MAX)
		return false;
	q = req->path.base + req->query_at + 1;
	end = req->path.base + req->path.len;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		if ((size_t)(pe - q) > nl && memcmp(q, name, nl) == 0 && q[nl] == '=') {
			int olen = 0;
			char *dec;
			/* curl_easy_unescape() takes a length of 0 to mean strlen():
			 * it would read past the query. An empty value is "". */
			if (pe - q - (ptrdiff_t)nl - 1 == 0) {
				if (outlen == 0)
					return false;
				out[0] = '\0';
				return true;
			}
			dec = curl_easy_unescape(NULL, q + nl + 1, (int)(pe - q - nl - 1), &olen);
			bool ok = dec && (size_t)olen < outlen &&
			          memchr(dec, '\0', (size_t)olen) == NULL;
			if (ok)
				memcpy(out, dec, (size_t)olen + 1);
			curl_free(dec);
			return ok;
		}
		q = pe + 1;
	}
	return false;
}

void api_json_time(struct strbuf *b, int64_t ms)
{
	char t[40];
	rfc3339_format(ms, t, sizeof(t));
	strbuf_json_str(b, t);
}

void api_json_ratio(struct strbuf *b, bool has, double v)
{
	if (has)
		strbuf_printf(b, "%.6f", v);
	else
		strbuf_puts(b, "null");
}

/* Availability of r over [from, to): stored intervals before its in-memory
 * history, the in-memory history (authoritative from its first entry) after;
 * its maintenance windows from the store (from a month before `from`, so the
 * monthly cap sees the whole month), the service window from the policy. */
static int availability(struct rw_daemon *d, struct runner *r, int64_t from, int64_t to,
                        int64_t now, struct rw_availability *out, int64_t *maint_used)
{
	struct rw_interval *iv = NULL, *all;
	struct store_maintenance *ms = NULL;
	struct rw_maintenance *mw = NULL;
	size_t n = 0, keep = 0, n_ms = 0;
	struct rw_totals t;
	int64_t mem_start = r->n_hist ? r->hist[0].start_ms : INT64_MAX;
	int rc = 0;

	if (from < mem_start) {
		rc = store_intervals(d->st, r->id, from, to, &iv, &n);
		if (rc < 0)
			return rc;
		while (keep < n && iv[keep].start_ms < mem_start)
			keep++;
	}
	rc = store_maintenance_list(d->st, r->id, from - 32LL * 86400000, to, false, &ms, &n_ms);
	if (rc < 0) {
		free(iv);
		return rc;
	}
	all = malloc((keep + r->n_hist + 1) * sizeof(*all));
	mw = malloc((n_ms + 1) * sizeof(*mw));
	if (!all || !mw) {
		rc = RW_ENOMEM;
		goto out;
	}
	if (keep)
		memcpy(all, iv, keep * sizeof(*all));
	if (r->n_hist)
		memcpy(all + keep, r->hist, r->n_hist * sizeof(*all));
	for (size_t i = 0; i < n_ms; i++) {
		mw[i].start_ms = ms[i].start_ms;
		mw[i].end_ms = ms[i].end_ms;
		mw[i].declared_ms = ms[i].declared_ms;
	}
	{
		struct account_input in = {.iv = all,
		                           .n_iv = keep + r->n_hist,
		                           .mw = mw,
		                           .n_mw = n_ms,
		                           .policy = &d->policy,
		                           .now_ms = now};
		account_period(&in, from, to, &t);
		*maint_used = account_maintenance_used(&in, to - 1);
	}
	account_evaluate(&t, r->floor_ppm, d->policy.window.min_coverage_ppm, out);
out:
	free(all);
	free(mw);
	free(iv);
	store_maintenance_free(ms, n_ms);
	return rc;
}

int api_availability(struct api *api, h2o_req_t *req, int64_t id)
{
	struct rw_daemon *d = api->d;
	struct runner *r = fleet_find(&d->fleet, id);
	struct rw_availability a;
	struct strbuf b;
	char v[64];
	int64_t now = clock_now_ms(&d->clock), from, to, maint_used = 0;

	if (!r)
		return api_send_problem(api, req, 404, "Not Found", "id", "no such runner");
	to = now;
	if (api_query_param(req, "to", v, sizeof(v)) && rfc3339_parse(v, &to) < 0)
		return api_send_problem(api, req, 400, "Bad Request", "to",
		                        "not an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
	from = to - (int64_t)d->policy.window.rolling_days * 86400000;
	if (api_query_param(req, "from", v, sizeof(v)) && rfc3339_parse(v, &from) < 0)
		return api_send_problem(api, req, 400, "Bad Request", "from",
		                        "not an RFC 3339 time, e.g. 2026-10-01T00:00:00Z");
	if (from >= to)
		return api_send_problem(api, req, 400, "Bad Request", "from", "must be before to");
	if (to - from > API_MAX_RANGE_MS)
		return api_send_problem(api, req, 400, "Bad Request", "from",
		                        "the period may be at most 3660 days");
	if (availability(d, r, from, to, now, &a, &maint_used) < 0)
		return api_send_problem(api, req, 503, "Service Unavailable", NULL,
		                        "the history could not be read; try again");
	strbuf_init(&b);
	strbuf_printf(&b, "{\"id\":%" PRId64 ",\"name\":", r->id);
	strbuf_json_str(&b, r->name);
	strbuf_puts(&b, ",\"from\":");
	api_json_time(&b, from);
	strbuf_puts(&b, ",\"to\":");
	api_json_time(&b, to);
	strbuf_printf(&b,
	              ",\"up_ms\":%" PRId64 ",\"down_ms\":%" PRId64 ",\"maintenance_ms\":%" PRId64
	              ",\"unknown_ms\":%" PRId64 ",\"outside_window_ms\":%" PRId64 ",\"uptime\":",
	              a.totals.ms[RW_STATE_UP], a.totals.ms[RW_STATE_DOWN],
	              a.totals.ms[RW_STATE_MAINTENANCE], a.totals.ms[RW_STATE_UNKNOWN],
	              a.totals.ms[RW_STATE_OUTSIDE_WINDOW]);
	api_json_ratio(&b, a.has_uptime, a.uptime);
	strbuf_puts(&b, ",\"coverage\":");
	api_json_ratio(&b, a.has_coverage, a.coverage);
	strbuf_printf(&b,
	              ",\"verdict\":\"%s\",\"floor\":%.6f,\"maintenance_used_ms\":%" PRId64
	              ",\"maintenance_cap_ms\":%" PRId64 "}\n",
	              rw_verdict_name(a.verdict), a.floor_ppm / 1e6, maint_used,
	              (int64_t)d->policy.maintenance.max_h_per_month * 3600000);
	return api_send_strbuf(api, req, &b, "application/json");
}

struct ranked {
	struct runner *r;
	struct rw_availability a;
	int32_t p50_us; /* -1: no latency known */
};

/* Best first (all are up): higher rolling uptime, then lower p50 latency of
 * the last answers, then not busy, then id. */
static int rank_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	double ua = a->a.has_uptime ? a->a.uptime : -1, ub = b->a.has_uptime ? b->a.uptime : -1;
	int32_t la = a->p50_us < 0 ? INT32_MAX : a->p50_us;
	int32_t lb = b->p50_us < 0 ? INT32_MAX : b->p50_us;

	if (ua != ub)
		return ua > ub ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (a->r->busy != b->r->busy)
		return a->r->busy ? 1 : -1;
	return a->r->id < b->r->id ? -1 : a->r->id > b->r->id;
}

/* "since" and "detail" of an excluded runner, by its reason. */
static void exclusion_detail(struct strbuf *b, struct rw_daemon *d, const struct runner *r,
                             const char *why)
{
	if (strcmp(why, "flagged") == 0) {
		api_json_time(b, r->flag_since_ms);
		strbuf_printf(b, ",\"detail\":\"uptime %.6f < floor %.6f\"",
		              r->window_uptime_ppm / 1e6, r->floor_ppm / 1e6);
	} else if (strcmp(why, "probation") == 0) {
		int64_t until =
		        r->created_ms + (int64_t)d->policy.flagging.probation_days * 86400000;
		api_json_time(b, r->created_ms);
		strbuf_puts(b, ",\"detail\":\"in probation until ");
		{
			char t[40];
			rfc3339_format(until, t, sizeof(t));
			strbuf_puts(b, t);
		}
		strbuf_puts(b, "\"");
	} else {
		api_json_time(b, r->rs.since_ms);
		if (r->last_probe_ms && r->last_class != RW_ERRCLASS_NONE)
			strbuf_printf(b, ",\"detail\":\"last probe: %s\"",
			              rw_errclass_name(r->last_class));
	}
}

static int handle_route(struct api *api, h2o_req_t *req)
{
	struct rw_daemon *d = api->d;
	const struct target_pool *pool;
	struct ranked *rk = NULL;
	struct strbuf b;
	char target[128];
	int64_t now = clock_now_ms(&d->clock);
	int64_t from = now - (int64_t)d->policy.window.rolling_days * 86400000;
	size_t n_ok = 0;
	bool first = true, by_label = false;
	char key[sizeof(api->rcache[0].key)];

	if ((!api_query_param(req, "target", target, sizeof(target)) || !target[0]) &&
	    !(by_label = api_query_param(req, "label", target, sizeof(target)) && target[0]))
		return api_send_problem(
		        api, req, 400, "Bad Request", "target",
		        "give the target triple, e.g. ?target=riscv64gc-unknown-linux-gnu, or a "
		        "runs-on label, e.g. ?label=self-hosted");
	snprintf(key, sizeof(key), "%c:%s", by_label ? 'l' : 't', target);
	for (size_t i = 0; i < sizeof(api->rcache) / sizeof(api->rcache[0]); i++) {
		struct route_cache *c = &api->rcache[i];
		if (c->body && c->gen == d->fleet.route_gen &&
		    uv_now(d->loop) - c->at < API_ROUTE_CACHE_MS && strcmp(c->key, key) == 0) {
			api_send_body(req, 200, "OK", "application/json", c->body, c->len);
			return 0;
		}
	}
	pool = by_label ? fleet_label_pool(&d->fleet, target) : fleet_pool(&d->fleet, target);
	if (pool && pool->n) {
		rk = calloc(pool->n, sizeof(*rk));
		if (!rk)
			return api_send_problem(api, req, 503, "Service Unavailable", NULL,
			                        "out of memory");
		for (size_t i = 0; i < pool->n; i++) {
			struct runner *r = pool->v[i];
			struct rw_totals t;
			if (fleet_exclusion(&d->fleet, r, now))
				continue;
			rk[n_ok].r = r;
			rk[n_ok].p50_us = fleet_p50_latency(r);
			fleet_account(&d->fleet, r, now, from, now, &t);
			account_evaluate(&t, r->floor_ppm, d->policy.window.min_coverage_ppm,
			                 &rk[n_ok].a);
			n_ok++;
		}
		qsort(rk, n_ok, sizeof(*rk), rank_cmp);
	}
	strbuf_init(&b);
	strbuf_puts(&b, by_label ? "{\"label\":" : "{\"target\":");
	strbuf_json_str(&b, target);
	strbuf_puts(&b, ",\"eligible\":[");
	for (size_t i = 0; i < n_ok; i++) {
		struct runner *r = rk[i].r;
		strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":", i ? "," : "", r->id);
		strbuf_json_str(&b, r->name);
		strbuf_puts(&b, ",\"operator\":");
		strbuf_json_str(&b, r->operator_name);
		strbuf_printf(&b, ",\"state\":\"%s\",\"since\":", rw_state_name(r->rs.state));
		api_json_time(&b, r->rs.since_ms);
		strbuf_puts(&b, ",\"uptime\":");
		api_json_ratio(&b, rk[i].a.has_uptime, rk[i].a.uptime);
		if (rk[i].p50_us >= 0)
			strbuf_printf(&b, ",\"latency_ms\":%.3f", rk[i].p50_us / 1000.0);
		strbuf_printf(&b, ",\"busy\":%s}", r->busy ? "true" : "false");
	}
	strbuf_puts(&b, "],\"excluded\":[");
	for (size_t i = 0; pool && i < pool->n; i++) {
		struct runner *r = pool->v[i];
		const char *why = fleet_exclusion(&d->fleet, r, now);
		if (!why)
			continue;
		strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":", first ? "" : ",", r->id);
		first = false;
		strbuf_json_str(&b, r->name);
		strbuf_puts(&b, ",\"operator\":");
		strbuf_json_str(&b, r->operator_name);
		strbuf_printf(&b, ",\"reason\":\"%s\",\"since\":", why);
		exclusion_detail(&b, d, r, why);
		strbuf_puts(&b, "}");
	}
	strbuf_puts(&b, "]}\n");
	free(rk);
	if (!strbuf_failed(&b)) {
		struct route_cache *c = &api->rcache[api->rcache_next++ % (sizeof(api->rcache) /
		                                                           sizeof(api->rcache[0]))];
		char *copy = malloc(b.len);
		if (copy) {
			memcpy(copy, b.data, b.len);
			free(c->body);
			snprintf(c->key, sizeof(c->key), "%s", key);
			c->gen = d->fleet.route_gen;
			c->at = uv_now(d->loop);
			c->body = copy;
			c->len = b.len;
		}
	}
	return api_send_strbuf(api, req, &b, "application/json");
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct api *api = ((struct api_handler *)self)->api;
	const char *p = req->path_normalized.base;
	size_t n = req->path_normalized.len;
	struct strbuf b;

	api->d->m.http_requests++;
	if ((n >= 13 && memcmp(p, "/v1/operators", 13) == 0 && (n == 13 || p[13] == '/')) ||
	    (n >= 11 && memcmp(p, "/v1/runners", 11) == 0 && (n == 11 || p[11] == '/')) ||
	    (n >= 13 && memcmp(p, "/v1/incidents", 13) == 0 && (n == 13 || p[13] == '/')))
		return api_v1(api, req, p, n);
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
		return api_send_problem(api, req, 405, "Method Not Allowed", NULL,
		                        "this endpoint answers GET only");
	if (h2o_memis(p, n, H2O_STRLIT("/healthz"))) {
		static const char ok[] = "{\"status\":\"ok\"}\n";
		api_send_body(req, 200, "OK", "application/json", ok, sizeof(ok) - 1);
		return 0;
	}
	if (h2o_memis(p, n, H2O_STRLIT("/metrics"))) {
		strbuf_init(&b);
		daemon_render_metrics(api->d, &b);
		return api_send_strbuf(api, req, &b, "text/plain; version=0.0.4; charset=utf-8");
	}
	if (h2o_memis(p, n, H2O_STRLIT("/v1/route")))
		return handle_route(api, req);
	if (h2o_memis(p, n, H2O_STRLIT("/"))) {
		const char *html;
		size_t len;
		if (status_page(api->d, &html, &len) < 0)
			return api_send_problem(api, req, 503, "Service Unavailable", NULL,
			                        "the status page could not be built; try again");
		api_send_body(req, 200, "OK", "text/html; charset=utf-8", html, len);
		return 0;
	}
	if (h2o_memis(p, n, H2O_STRLIT("/v1/events")))
		return api_events(api, req);
	return api_send_problem(api, req, 404, "Not Found", NULL, "no such endpoint");
}

/* ---- connections ------------------------------------------------------- */

static void maybe_closed(struct api *api);

static void conn_close_cb(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h; /* tcp is the first member */
	struct api *api = c->api;
	free(c);
	api->conns--;
	if (api->closing)
		maybe_closed(api);
}

static void on_accept(uv_stream_t *listener, int status)
{
	struct api *api = listener->data;
	struct conn *c;
	h2o_socket_t *sock;

	if (status < 0 || api->closing)
		return;
	c = malloc(sizeof(*c));
	if (!c)
		return;
	c->api = api;
	if (uv_tcp_init(listener->loop, &c->tcp) < 0) {
		free(c);
		return;
	}
	api->conns++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
		uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
		return;
	}
	if ((unsigned)api->conns > api->d->cfg.max_connections) {
		/* Over the cap: close at once, so the client sees a reset now
		 * rather than waiting in the backlog. */
		api->d->m.http_conns_refused++;
		uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
		return;
	}
	sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, conn_close_cb);
	if (!sock) {
		uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
		return;
	}
	h2o_accept(&api->accept_ctx, sock);
}

int api_start(struct api **out, struct rw_daemon *d, char *err, size_t errlen)
{
	struct api *api = calloc(1, sizeof(*api));
	struct sockaddr_storage ss;
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	struct api_handler *h;
	int rc, len = sizeof(ss);

	*out = NULL;
	if (!api)
		return RW_ENOMEM;
	api->d = d;
	if (uv_ip4_addr(d->cfg.listen_host, d->cfg.listen_port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(d->cfg.listen_host, d->cfg.listen_port, (struct sockaddr_in6 *)&ss) != 0) {
		snprintf(err, errlen, "listen: %s is not an IP address", d->cfg.listen_host);
		free(api);
		return RW_EINVAL;
	}
	uv_tcp_init(d->loop, &api->listener);
	api->listener.data = api;
	rc = uv_tcp_bind(&api->listener, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&api->listener, 1024, on_accept);
	if (rc < 0) {
		snprintf(err, errlen, "listen: cannot listen on %s:%d: %s", d->cfg.listen_host,
		         d->cfg.listen_port, uv_strerror(rc));
		uv_close((uv_handle_t *)&api->listener, NULL);
		uv_run(d->loop, UV_RUN_NOWAIT);
		free(api);
		return RW_EIO;
	}
	uv_tcp_getsockname(&api->listener, (struct sockaddr *)&ss, &len);
	api->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                           : ((struct sockaddr_in *)&ss)->sin_port);

	h2o_config_init(&api->config);
	api->config.server_name = h2o_iovec_init(H2O_STRLIT("runwarden"));
	/* h2o refuses bodies over this with its own text/plain 413; between
	 * REQBODY_MAX and this, reqbody_parse() answers with a problem. */
	api->config.max_request_entity_size = 4 * REQBODY_MAX;
	api->config.http1.req_timeout = API_IDLE_MS;
	api->config.http2.idle_timeout = API_IDLE_MS;
	host = h2o_config_register_host(&api->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	h = (struct api_handler *)h2o_create_handler(path, sizeof(*h));
	h->super.on_req = on_req;
	h->api = api;
	h2o_context_init(&api->ctx, d->loop, &api->config);
	api->accept_ctx.ctx = &api->ctx;
	api->accept_ctx.hosts = api->config.hosts;
	uv_timer_init(d->loop, &api->drain);
	api->drain.data = api;
	uv_timer_init(d->loop, &api->events_timer);
	api->events_timer.data = api;
	*out = api;
	return 0;
}

int api_port(const struct api *api)
{
	return api->port;
}

static void handle_closed_cb(uv_handle_t *h)
{
	struct api *api = h->data;
	if (--api->pending_closes == 0) {
		if (api->closed_cb)
			api->closed_cb(api, api->closed_data);
		if (api->conns == 0)
			free(api); /* else h2o still holds it: see finish_close() */
	}
}

static void finish_close(struct api *api)
{
	if (api->pending_closes > 0)
		return; /* already finishing */
	for (size_t i = 0; i < sizeof(api->rcache) / sizeof(api->rcache[0]); i++)
		free(api->rcache[i].body);
	memset(api->rcache, 0, sizeof(api->rcache));
	if (api->conns == 0) {
		h2o_context_dispose(&api->ctx);
		h2o_config_dispose(&api->config);
	}
	/* else: connections still hold the context; disposing it under them
	 * would be a use after free. The process is exiting: leave it. */
	uv_timer_stop(&api->drain);
	uv_timer_stop(&api->events_timer);
	api->pending_closes = 2;
	uv_close((uv_handle_t *)&api->drain, handle_closed_cb);
	uv_close((uv_handle_t *)&api->events_timer, handle_closed_cb);
}

static void maybe_closed(struct api *api)
{
	if (api->conns == 0 && uv_is_closing((uv_handle_t *)&api->listener))
		finish_close(api);
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
	maybe_closed(h->data);
}

void api_close(struct api *api, api_closed_cb cb, void *data)
{
	api->closing = 1;
	api_events_flush(api);
	api->closed_cb = cb;
	api->closed_data = data;
	uv_timer_start(&api->drain, drain_cb, API_DRAIN_MS, 0);
	uv_close((uv_handle_t *)&api->listener, listener_closed_cb);
}
