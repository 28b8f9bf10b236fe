/* SPDX-License-Identifier: MIT */
/*
 * api_write.c — the operator API: operators and their tokens, runners
 * (register → pending → approved → retired), push heartbeats, maintenance
 * windows and incidents. See api_impl.h and README.md "HTTP API".
 *
 * Every request here goes through these checks, and nothing is written
 * before the last one passes:
 *   - the caller is authenticated (auth.h): 401 otherwise; a heartbeat token
 *     is good for its own runner's heartbeat only: 403 elsewhere;
 *   - a write takes one token from the caller's bucket: 429 otherwise (so a
 *     refused write still costs one);
 *   - the object is looked up within the caller's scope: an operator sees
 *     only its own runners and their incidents, so anything else is 404,
 *     exactly as if it did not exist; admin-only actions are 403;
 *   - the body is parsed and validated (reqbody.h): 4xx naming the field.
 * For /v1/runners/{id}/... and /v1/incidents/{id}/... the scope comes before
 * the body (another operator's runner is 404 whatever the body says); for
 * collections there is no object to look up. Then the change commits (on the
 * loop thread's store connection) before the answer, and the daemon picks
 * registry changes up at once.
 */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_impl.h"
#include "auth.h"
#include "daemon.h"
#include "log.h"
#include "reqbody.h"
#include "rw_error.h"

#define MAX_SEGS             6
#define INCIDENTS_DEFAULT_MS (90LL * 86400000)

struct call {
	struct api *api;
	struct rw_daemon *d;
	h2o_req_t *req;
	struct principal who;
	int64_t now;
	const char *seg[MAX_SEGS]; /* path segments after "/v1/" */
	size_t seglen[MAX_SEGS];
	int nseg;
};

enum method { M_GET, M_POST, M_PATCH, M_DELETE, M_OTHER };

static enum method method_of(const h2o_req_t *req)
{
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
	    h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
		return M_GET;
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
		return M_POST;
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PATCH")))
		return M_PATCH;
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE")))
		return M_DELETE;
	return M_OTHER;
}

static const char *reason_of(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	}
	return "Service Unavailable";
}

static int problem(struct call *c, int status, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int problem(struct call *c, int status, const char *field, const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return api_send_problem(c->api, c->req, status, reason_of(status), field, detail);
}

/* A store failure while answering: the request may be retried. */
static int store_problem(struct call *c, int rc)
{
	struct logline l;

	if (log_begin(&l, RW_LOG_WARN, "API store access failed")) {
		log_str(&l, "error", rw_strerror(rc));
		log_str(&l, "detail", store_errmsg(c->d->st));
		log_end(&l);
	}
	return problem(c, 503, NULL, "the database could not be %s; try again",
	               rc == RW_EBUSY ? "locked in time" : "used");
}

static bool seg_is(const struct call *c, int i, const char *s)
{
	return i < c->nseg && c->seglen[i] == strlen(s) && memcmp(c->seg[i], s, c->seglen[i]) == 0;
}

/* Segment @p i as a positive id, or 0. */
static int64_t seg_id(const struct call *c, int i)
{
	char buf[24];
	char *end;
	long long v;

	if (i >= c->nseg || c->seglen[i] == 0 || c->seglen[i] >= sizeof(buf))
		return 0;
	memcpy(buf, c->seg[i], c->seglen[i]);
	buf[c->seglen[i]] = '\0';
	if (buf[0] < '1' || buf[0] > '9')
		return 0;
	v = strtoll(buf, &end, 10);
	return *end ? 0 : (int64_t)v;
}

/* ---- steps 1 to 3 --------------------------------------------------------- */

static int authenticate(struct call *c)
{
	ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
	const char *why = "missing";
	int rc;

	rc = auth_resolve(&c->d->auth, c->d->st,
	                  i >= 0 ? c->req->headers.entries[i].value.base : NULL,
	                  i >= 0 ? c->req->headers.entries[i].value.len : 0, c->now, &c->who, &why);
	if (rc == 0)
		return 0;
	if (rc != RW_EINVAL) {
		store_problem(c, rc);
		return rc;
	}
	c->d->m.http_auth_failures++;
	h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
	               H2O_STRLIT("Bearer realm=\"runwarden\""));
	problem(c, 401, "Authorization",
	        "%s: send \"Authorization: Bearer TOKEN\" with a valid, unexpired token", why);
	return RW_EINVAL;
}

static int rate_limit(struct call *c)
{
	uint32_t retry;
	char v[16];
	size_t n;

	if (auth_rate_take(&c->d->auth, &c->who, uv_now(c->d->loop), &retry))
		return 0;
	c->d->m.http_rate_limited++;
	n = (size_t)snprintf(v, sizeof(v), "%" PRIu32, retry);
	h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
	               h2o_strdup(&c->req->pool, v, n).base, n);
	problem(c, 429, NULL, "too many writes with this token; retry after %" PRIu32 " s", retry);
	return RW_EBUSY;
}

/* Parses the body against @p fields; on failure the problem is sent. */
static int body(struct call *c, const char *const *fields, bool empty_ok, cJSON **out)
{
	struct reqbody_error e = {0};
	int rc = reqbody_parse(c->req->entity.base, c->req->entity.len, fields, empty_ok, out, &e);

	if (rc == RW_ENOMEM)
		problem(c, 503, NULL, "out of memory");
	else if (rc < 0)
		problem(c, e.status, e.field, "%s", e.detail);
	return rc;
}

static bool is_admin(const struct call *c)
{
	return c->who.kind == PRINCIPAL_ADMIN;
}

/* ---- answers -------------------------------------------------------------- */

static void json_time_or_null(struct strbuf *b, int64_t ms)
{
	if (ms > 0)
		api_json_time(b, ms);
	else
		strbuf_puts(b, "null");
}

static void json_str_or_null(struct strbuf *b, const char *s)
{
	if (s)
		strbuf_json_str(b, s);
	else
		strbuf_puts(b, "null");
}

static void runner_json(struct call *c, struct strbuf *b, const struct store_runner *sr)
{
	struct runner *r = fleet_find(&c->d->fleet, sr->id);
	bool push = strcmp(sr->kind, "push") == 0;
	const char *why;

	strbuf_printf(b, "{\"id\":%" PRId64 ",\"name\":", sr->id);
	strbuf_json_str(b, sr->name);
	strbuf_puts(b, ",\"operator\":");
	strbuf_json_str(b, sr->operator_name ? sr->operator_name : "");
	strbuf_printf(b, ",\"mode\":\"%s\",\"url\":", push ? "push" : sr->kind);
	json_str_or_null(b, push ? NULL : sr->url);
	strbuf_puts(b, ",\"targets\":[");
	for (size_t i = 0; i < sr->n_targets; i++) {
		if (i)
			strbuf_puts(b, ",");
		strbuf_json_str(b, sr->targets[i]);
	}
	strbuf_puts(b, "],\"labels\":[");
	for (size_t i = 0; i < sr->n_labels; i++) {
		if (i)
			strbuf_puts(b, ",");
		strbuf_json_str(b, sr->labels[i]);
	}
	strbuf_printf(b, "],\"status\":\"%s\",\"created\":", store_runner_status_name(sr->status));
	api_json_time(b, sr->created_ms);
	strbuf_printf(b, ",\"interval_s\":%" PRIu32 ",\"timeout_ms\":%" PRIu32, sr->interval_s,
	              sr->timeout_ms);
	strbuf_printf(b, ",\"state\":\"%s\",\"since\":",
	              rw_state_name(r ? r->rs.state : (enum rw_state)sr->last_state));
	api_json_time(b, r ? r->rs.since_ms : sr->last_state_ms);
	why = r ? fleet_exclusion(&c->d->fleet, r, c->now) : "retired";
	strbuf_printf(b, ",\"eligible\":%s,\"reason\":", why ? "false" : "true");
	json_str_or_null(b, why);
	if (push && r) {
		strbuf_puts(b, ",\"last_heartbeat\":");
		json_time_or_null(b, r->last_heartbeat_ms);
		strbuf_puts(b, ",\"version\":");
		json_str_or_null(b, r->version[0] ? r->version : NULL);
		if (r->jobs_running >= 0)
			strbuf_printf(b, ",\"jobs_running\":%ld", r->jobs_running);
		else
			strbuf_puts(b, ",\"jobs_running\":null");
		strbuf_printf(b, ",\"busy\":%s", r->busy ? "true" : "false");
	}
	strbuf_puts(b, "}");
}

static int send_runner(struct call *c, int status, const struct store_runner *sr)
{
	struct strbuf b;

	strbuf_init(&b);
	runner_json(c, &b, sr);
	strbuf_puts(&b, "\n");
	return api_send_json(c->api, c->req, status, &b);
}

/* Reads runner @p id within the caller's scope; sends 404 naming @p field
 * (or 503) if not. */
static int load_runner(struct call *c, int64_t id, const char *field, struct store_runner *sr)
{
	int rc = id > 0 ? store_runner_get(c->d->st, NULL, id, sr) : RW_ENOENT;

	if (rc == 0 && !is_admin(c) && sr->operator_id != c->who.operator_id) {
		store_runner_deinit(sr);
		rc = RW_ENOENT;
	}
	if (rc == RW_ENOENT)
		problem(c, 404, field, "no runner %" PRId64 " that this token may see", id);
	else if (rc < 0)
		store_problem(c, rc);
	return rc;
}

/* Refuses a URL whose host the address guard refuses (every spelling of a
 * literal; names are checked again at connect time). */
static int guard_url(struct call *c, const char *url)
{
	char host[256], err[200];
	const char *why;

	if (guard_parse_url(url, host, sizeof(host), NULL, NULL, err, sizeof(err)) < 0) {
		problem(c, 400, "url", "url: %s", err);
		return RW_EINVAL;
	}
	why = guard_check_host(&c->d->guard, host);
	if (!why)
		return 0;
	problem(c, 400, "url",
	        "url: the address guard refuses %s (%s): only public addresses are probed, "
	        "unless the daemon's allow_cidrs permits the range",
	        host, why);
	return RW_EREFUSED;
}

/* ---- operators and tokens ------------------------------------------------- */

static void token_json(struct strbuf *b, const struct store_token *t)
{
	strbuf_printf(b, "{\"id\":%" PRId64 ",\"operator_id\":%" PRId64 ",\"runner_id\":", t->id,
	              t->operator_id);
	if (t->runner_id)
		strbuf_printf(b, "%" PRId64, t->runner_id);
	else
		strbuf_puts(b, "null");
	strbuf_puts(b, ",\"created\":");
	api_json_time(b, t->created_ms);
	strbuf_puts(b, ",\"expires\":");
	json_time_or_null(b, t->expires_ms);
	strbuf_puts(b, ",\"revoked\":");
	json_time_or_null(b, t->revoked_ms);
	strbuf_puts(b, "}");
}

static int operators_post(struct call *c)
{
	struct req_operator ro;
	struct reqbody_error e = {0};
	struct store_token t;
	struct strbuf b;
	char tok[AUTH_TOKEN_MAX];
	uint8_t h[32];
	cJSON *o;
	int64_t id;
	int rc;

	if (!is_admin(c))
		return problem(c, 403, NULL, "only the admin creates operators");
	if (body(c, reqbody_operator_fields, false, &o) < 0)
		return 0;
	rc = reqbody_operator(o, &ro, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return problem(c, e.status, e.field, "%s", e.detail);
	}
	if (auth_new_token("rw_", tok, h) < 0) {
		cJSON_Delete(o);
		return problem(c, 503, NULL, "no random bytes for a token; try again");
	}
	rc = store_operator_add(c->d->st, ro.name, ro.email, h, c->now, &id);
	if (rc == RW_EEXIST) {
		problem(c, 409, "name", "name: an operator named \"%s\" exists; choose another",
		        ro.name);
		cJSON_Delete(o);
		return 0;
	}
	if (rc == 0)
		rc = store_token_find(c->d->st, h, &t);
	if (rc < 0) {
		cJSON_Delete(o);
		return store_problem(c, rc);
	}
	strbuf_init(&b);
	strbuf_printf(&b, "{\"id\":%" PRId64 ",\"name\":", id);
	strbuf_json_str(&b, ro.name);
	strbuf_puts(&b, ",\"email\":");
	strbuf_json_str(&b, ro.email);
	strbuf_printf(&b, ",\"token_id\":%" PRId64 ",\"token\":\"%s\"}\n", t.id, tok);
	OPENSSL_cleanse(tok, sizeof(tok));
	cJSON_Delete(o);
	return api_send_json(c->api, c->req, 201, &b);
}

static int operators_get(struct call *c)
{
	struct store_operator *ops;
	struct strbuf b;
	size_t n;
	int rc;

	if (!is_admin(c))
		return problem(c, 403, NULL, "only the admin lists operators");
	rc = store_operator_list(c->d->st, &ops, &n);
	if (rc < 0)
		return store_problem(c, rc);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"operators\":[");
	for (size_t i = 0; i < n; i++) {
		strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":", i ? "," : "", ops[i].id);
		strbuf_json_str(&b, ops[i].name);
		strbuf_puts(&b, ",\"email\":");
		strbuf_json_str(&b, ops[i].email);
		strbuf_puts(&b, ",\"created\":");
		api_json_time(&b, ops[i].created_ms);
		strbuf_puts(&b, "}");
	}
	strbuf_puts(&b, "]}\n");
	store_operators_free(ops, n);
	return api_send_json(c->api, c->req, 200, &b);
}

/* /v1/operators/{id}/tokens[/{tid}]: the admin, or that operator itself. */
static int operator_tokens(struct call *c, enum method m)
{
	int64_t op = seg_id(c, 1), tid;
	struct store_operator so;
	struct strbuf b;
	int rc;

	if (op == 0 || (!is_admin(c) && c->who.operator_id != op))
		return problem(c, 404, "id", "no operator that this token may see");
	rc = store_operator_get(c->d->st, op, &so);
	if (rc == RW_ENOENT)
		return problem(c, 404, "id", "no operator %" PRId64, op);
	if (rc < 0)
		return store_problem(c, rc);
	store_operator_deinit(&so);

	if (c->nseg == 3 && m == M_GET) {
		struct store_token *v;
		size_t n;
		rc = store_token_list(c->d->st, op, &v, &n);
		if (rc < 0)
			return store_problem(c, rc);
		strbuf_init(&b);
		strbuf_puts(&b, "{\"tokens\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_puts(&b, ",");
			token_json(&b, &v[i]);
		}
		strbuf_puts(&b, "]}\n");
		free(v);
		return api_send_json(c->api, c->req, 200, &b);
	}
	if (c->nseg == 3 && m == M_POST) {
		struct req_token rt;
		struct reqbody_error e = {0};
		struct store_token t;
		char tok[AUTH_TOKEN_MAX];
		uint8_t h[32];
		cJSON *o;
		if (rate_limit(c) < 0 || body(c, reqbody_token_fields, true, &o) < 0)
			return 0;
		rc = reqbody_token(o, c->now, &rt, &e);
		cJSON_Delete(o);
		if (rc < 0)
			return problem(c, e.status, e.field, "%s", e.detail);
		if (auth_new_token("rw_", tok, h) < 0)
			return problem(c, 503, NULL, "no random bytes for a token; try again");
		rc = store_token_add(c->d->st, op, 0, h, c->now, rt.expires_ms, NULL);
		if (rc == 0)
			rc = store_token_find(c->d->st, h, &t);
		if (rc < 0)
			return store_problem(c, rc);
		strbuf_init(&b);
		strbuf_puts(&b, "{\"token\":\"");
		strbuf_puts(&b, tok);
		strbuf_puts(&b, "\",\"token_info\":");
		token_json(&b, &t);
		strbuf_printf(&b, ",\"id\":%" PRId64 "}\n", t.id);
		OPENSSL_cleanse(tok, sizeof(tok));
		return api_send_json(c->api, c->req, 201, &b);
	}
	if (c->nseg == 4 && m == M_DELETE && (tid = seg_id(c, 3)) > 0) {
		struct store_token *v;
		size_t n;
		if (rate_limit(c) < 0)
			return 0;
		rc = store_token_revoke(c->d->st, op, tid, c->now);
		if (rc == RW_ENOENT)
			return problem(c, 404, "tid", "operator %" PRId64 " has no token %" PRId64,
			               op, tid);
		if (rc == RW_EINVAL)
			return problem(c, 409, "tid", "token %" PRId64 " is already revoked", tid);
		if (rc == 0)
			rc = store_token_list(c->d->st, op, &v, &n);
		if (rc < 0)
			return store_problem(c, rc);
		strbuf_init(&b);
		for (size_t i = 0; i < n; i++)
			if (v[i].id == tid)
				token_json(&b, &v[i]);
		strbuf_puts(&b, "\n");
		free(v);
		return api_send_json(c->api, c->req, 200, &b);
	}
	return problem(c, 405, NULL,
	               "use GET or POST /v1/operators/{id}/tokens, or DELETE "
	               "/v1/operators/{id}/tokens/{tid}");
}

/* ---- runners -------------------------------------------------------------- */

static int runners_post(struct call *c)
{
	struct req_runner rr;
	struct reqbody_error e = {0};
	struct store_runner sr = {0};
	struct strbuf b;
	char tok[AUTH_TOKEN_MAX] = "";
	uint8_t h[32];
	cJSON *o;
	int rc;

	if (c->who.kind != PRINCIPAL_OPERATOR)
		return problem(c, 403, NULL,
		               "runners are registered with an operator's token (the admin uses "
		               "`runwarden runner add`)");
	if (rate_limit(c) < 0 || body(c, reqbody_runner_fields, false, &o) < 0)
		return 0;
	rc = reqbody_runner(o, false, &rr, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return problem(c, e.status, e.field, "%s", e.detail);
	}
	if (rr.url && guard_url(c, rr.url) < 0) {
		cJSON_Delete(o);
		return 0;
	}
	sr.operator_id = c->who.operator_id;
	sr.name = (char *)rr.name;
	sr.kind = rr.push ? "push" : "http";
	sr.url = (char *)rr.url;
	sr.targets = (char **)rr.targets;
	sr.n_targets = rr.n_targets;
	sr.labels = (char **)rr.labels;
	sr.n_labels = rr.n_labels;
	sr.status = STORE_RUNNER_PENDING;
	sr.interval_s = (uint32_t)rr.interval_s;
	sr.timeout_ms = (uint32_t)rr.timeout_ms;
	if (rr.push && auth_new_token("rwh_", tok, h) < 0) {
		cJSON_Delete(o);
		return problem(c, 503, NULL, "no random bytes for a token; try again");
	}
	rc = store_begin(c->d->st);
	if (rc == 0)
		rc = store_runner_insert(c->d->st, &sr, c->now);
	if (rc == 0 && rr.push)
		rc = store_token_add(c->d->st, c->who.operator_id, sr.id, h, c->now, 0, NULL);
	if (rc == 0)
		rc = store_commit(c->d->st);
	if (rc < 0) {
		store_rollback(c->d->st);
		if (rc == RW_EEXIST)
			problem(c, 409, "name",
			        "name: a runner named \"%s\" exists; choose another", rr.name);
		else
			store_problem(c, rc);
		cJSON_Delete(o);
		return 0;
	}
	daemon_sync_registry(c->d);
	strbuf_init(&b);
	strbuf_printf(&b, "{\"id\":%" PRId64 ",\"name\":", sr.id);
	strbuf_json_str(&b, rr.name);
	strbuf_puts(&b, ",\"status\":\"pending\"");
	if (rr.push)
		strbuf_printf(&b, ",\"heartbeat_token\":\"%s\"", tok);
	strbuf_puts(&b, "}\n");
	OPENSSL_cleanse(tok, sizeof(tok));
	cJSON_Delete(o);
	return api_send_json(c->api, c->req, 201, &b);
}

static int runners_get(struct call *c)
{
	struct store_runner *v;
	struct strbuf b;
	size_t n;
	bool first = true;
	int rc = store_runner_list(c->d->st, 0, &v, &n);

	if (rc < 0)
		return store_problem(c, rc);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"runners\":[");
	for (size_t i = 0; i < n; i++) {
		if (!is_admin(c) && v[i].operator_id != c->who.operator_id)
			continue;
		if (!first)
			strbuf_puts(&b, ",");
		first = false;
		runner_json(c, &b, &v[i]);
	}
	strbuf_puts(&b, "]}\n");
	store_runners_free(v, n);
	return api_send_json(c->api, c->req, 200, &b);
}

/* After a registry write: the daemon picks it up now, and the answer is the
 * runner as stored. */
static int reload_and_send(struct call *c, struct store_runner *sr)
{
	int64_t id = sr->id;
	int rc;

	daemon_sync_registry(c->d);
	store_runner_deinit(sr);
	rc = store_runner_get(c->d->st, NULL, id, sr);
	if (rc < 0)
		return store_problem(c, rc);
	return send_runner(c, 200, sr);
}

static int runner_patch(struct call *c, struct store_runner *sr)
{
	struct req_runner rr;
	struct reqbody_error e = {0};
	cJSON *o;
	int rc;

	if (body(c, reqbody_runner_fields, false, &o) < 0)
		return 0;
	rc = reqbody_runner(o, true, &rr, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return problem(c, e.status, e.field, "%s", e.detail);
	}
	if (rr.url && strcmp(sr->kind, "push") == 0) {
		cJSON_Delete(o);
		return problem(c, 400, "url", "url: runner %s is a push runner; it has no URL",
		               sr->name);
	}
	if (sr->status == STORE_RUNNER_RETIRED) {
		cJSON_Delete(o);
		return problem(c, 409, "id", "runner %s is retired; it cannot change", sr->name);
	}
	if (rr.url && guard_url(c, rr.url) < 0) {
		cJSON_Delete(o);
		return 0;
	}
	rc = store_runner_update(c->d->st, sr->id, rr.url, rr.n_targets ? rr.targets : NULL,
	                         rr.n_targets, rr.has_labels ? rr.labels : NULL, rr.n_labels,
	                         rr.interval_s, rr.timeout_ms);
	cJSON_Delete(o);
	if (rc < 0)
		return store_problem(c, rc);
	return reload_and_send(c, sr);
}

/* approve, retire, and DELETE (the operator withdraws its runner: retired,
 * its history kept as the evidence it is). */
static int runner_status(struct call *c, struct store_runner *sr, int to)
{
	int rc;

	if (to == STORE_RUNNER_APPROVED && sr->status != STORE_RUNNER_PENDING)
		return problem(c, 409, "id", "runner %s is %s, not pending", sr->name,
		               store_runner_status_name(sr->status));
	if (to == STORE_RUNNER_RETIRED && sr->status == STORE_RUNNER_RETIRED)
		return problem(c, 409, "id", "runner %s is already retired", sr->name);
	rc = store_runner_set_status(c->d->st, sr->id, to, c->now);
	if (rc < 0)
		return store_problem(c, rc);
	return reload_and_send(c, sr);
}

static int heartbeat(struct call *c, int64_t id)
{
	struct req_heartbeat hb;
	struct reqbody_error e = {0};
	struct runner *r;
	struct strbuf b;
	cJSON *o;
	int rc;

	if (c->who.kind != PRINCIPAL_RUNNER) {
		struct store_runner sr;
		if (load_runner(c, id, "id", &sr) < 0)
			return 0; /* not the caller's runner: 404 */
		store_runner_deinit(&sr);
		return problem(c, 403, NULL,
		               "heartbeats are sent with the runner's own heartbeat token");
	}
	if (c->who.runner_id != id)
		return problem(c, 404, "id", "no runner %" PRId64 " that this token may see", id);
	if (rate_limit(c) < 0 || body(c, reqbody_heartbeat_fields, true, &o) < 0)
		return 0;
	rc = reqbody_heartbeat(o, &hb, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return problem(c, e.status, e.field, "%s", e.detail);
	}
	r = fleet_find(&c->d->fleet, id);
	if (!r) {
		cJSON_Delete(o);
		return problem(c, 409, "id", "runner %" PRId64 " is retired", id);
	}
	fleet_heartbeat(&c->d->fleet, r, c->now, hb.busy, hb.version, hb.jobs_running);
	cJSON_Delete(o);
	c->d->m.heartbeats++;
	strbuf_init(&b);
	strbuf_printf(&b,
	              "{\"id\":%" PRId64 ",\"state\":\"%s\",\"status\":\"%s\",\"next_before\":", id,
	              rw_state_name(r->rs.state), store_runner_status_name(r->status));
	api_json_time(&b, r->last_heartbeat_ms + r->params.interval_ms + r->grace_ms);
	strbuf_puts(&b, "}\n");
	return api_send_json(c->api, c->req, 200, &b);
}

/* ---- maintenance ---------------------------------------------------------- */

static void window_json(struct strbuf *b, const struct store_maintenance *m, int64_t notice_ms)
{
	strbuf_printf(b, "{\"id\":%" PRId64 ",\"runner_id\":%" PRId64 ",\"from\":", m->id,
	              m->runner_id);
	api_json_time(b, m->start_ms);
	strbuf_puts(b, ",\"to\":");
	api_json_time(b, m->end_ms);
	strbuf_puts(b, ",\"declared\":");
	api_json_time(b, m->declared_ms);
	strbuf_puts(b, ",\"reason\":");
	strbuf_json_str(b, m->reason);
	strbuf_puts(b, ",\"removed\":");
	json_time_or_null(b, m->removed_ms);
	strbuf_printf(b, ",\"notice_met\":%s}",
	              m->start_ms - m->declared_ms >= notice_ms ? "true" : "false");
}

/* ,"maintenance_used_ms":N,"maintenance_cap_ms":N for runner @p id now. */
static void cap_json(struct call *c, struct strbuf *b, int64_t id)
{
	struct runner *r = fleet_find(&c->d->fleet, id);

	strbuf_printf(b, ",\"maintenance_used_ms\":%" PRId64 ",\"maintenance_cap_ms\":%" PRId64,
	              r ? fleet_maintenance_used(&c->d->fleet, r, c->now) : 0,
	              (int64_t)c->d->policy.maintenance.max_h_per_month * 3600000);
}

/* After a maintenance write: the daemon picks it up now, and the answer is
 * window @p mid as stored, with the runner's cap. */
static int send_window(struct call *c, int status, int64_t runner_id, int64_t mid)
{
	struct store_maintenance w;
	struct strbuf b;
	int rc = store_maintenance_get(c->d->st, mid, &w);

	if (rc < 0)
		return store_problem(c, rc);
	daemon_sync_registry(c->d);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"window\":");
	window_json(&b, &w, (int64_t)c->d->policy.maintenance.min_notice_h * 3600000);
	cap_json(c, &b, runner_id);
	strbuf_puts(&b, "}\n");
	store_maintenance_deinit(&w);
	return api_send_json(c->api, c->req, status, &b);
}

static int maintenance(struct call *c, enum method m, struct store_runner *sr)
{
	int64_t notice = (int64_t)c->d->policy.maintenance.min_notice_h * 3600000;
	struct store_maintenance w;
	struct strbuf b;
	int64_t mid;
	int rc;

	if (c->nseg == 3 && m == M_GET) {
		struct store_maintenance *v;
		size_t n;
		char q[64];
		int64_t from = c->now - 31LL * 86400000, to = INT64_MAX / 2;
		if (api_query_param(c->req, "from", q, sizeof(q)) &&
		    clock_parse_rfc3339(q, &from) < 0)
			return problem(c, 400, "from", "from: not an RFC 3339 time");
		if (api_query_param(c->req, "to", q, sizeof(q)) && clock_parse_rfc3339(q, &to) < 0)
			return problem(c, 400, "to", "to: not an RFC 3339 time");
		rc = store_maintenance_list(c->d->st, sr->id, from, to, false, &v, &n);
		if (rc < 0)
			return store_problem(c, rc);
		strbuf_init(&b);
		strbuf_puts(&b, "{\"windows\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_puts(&b, ",");
			window_json(&b, &v[i], notice);
		}
		strbuf_puts(&b, "]");
		cap_json(c, &b, sr->id);
		strbuf_puts(&b, "}\n");
		store_maintenance_free(v, n);
		return api_send_json(c->api, c->req, 200, &b);
	}
	if (c->nseg == 3 && m == M_POST) {
		struct req_maintenance rm;
		struct reqbody_error e = {0};
		cJSON *o;
		if (body(c, reqbody_maintenance_fields, false, &o) < 0)
			return 0;
		rc = reqbody_maintenance(o, c->now, &rm, &e);
		if (rc < 0) {
			cJSON_Delete(o);
			return problem(c, e.status, e.field, "%s", e.detail);
		}
		if (sr->status == STORE_RUNNER_RETIRED) {
			cJSON_Delete(o);
			return problem(c, 409, "id", "runner %s is retired", sr->name);
		}
		rc = store_maintenance_add(c->d->st, sr->id, rm.from_ms, rm.to_ms, c->now,
		                           rm.reason, &mid);
		cJSON_Delete(o);
		if (rc < 0)
			return store_problem(c, rc);
		return send_window(c, 201, sr->id, mid);
	}
	if (c->nseg == 4 && m == M_DELETE && (mid = seg_id(c, 3)) > 0) {
		rc = store_maintenance_get(c->d->st, mid, &w);
		if (rc == 0 && w.runner_id != sr->id) {
			store_maintenance_deinit(&w);
			rc = RW_ENOENT;
		}
		if (rc == RW_ENOENT)
			return problem(c, 404, "mid",
			               "runner %s has no maintenance window %" PRId64, sr->name,
			               mid);
		if (rc < 0)
			return store_problem(c, rc);
		store_maintenance_deinit(&w);
		rc = store_maintenance_remove(c->d->st, mid, c->now);
		if (rc == RW_EINVAL)
			return problem(c, 409, "mid",
			               "window %" PRId64 " is already over or removed: it stays as "
			               "evidence",
			               mid);
		if (rc < 0)
			return store_problem(c, rc);
		return send_window(c, 200, sr->id, mid);
	}
	return problem(c, 405, NULL,
	               "use GET or POST /v1/runners/{id}/maintenance, or DELETE "
	               "/v1/runners/{id}/maintenance/{mid}");
}

/* /v1/runners and /v1/runners/{id}[/...]. */
static int runners(struct call *c, enum method m)
{
	struct store_runner sr;
	int64_t id;
	int rc = 0;

	if (c->nseg == 1 && c->who.kind == PRINCIPAL_RUNNER)
		return problem(c, 403, NULL,
		               "a heartbeat token is good only for POST "
		               "/v1/runners/{id}/heartbeat");
	if (c->nseg == 1) {
		if (m == M_POST)
			return runners_post(c);
		if (m == M_GET)
			return runners_get(c);
		return problem(c, 405, NULL, "use GET or POST /v1/runners");
	}
	id = seg_id(c, 1);
	if (id == 0)
		return problem(c, 400, "id", "a runner id is a positive integer");
	if (c->nseg == 3 && seg_is(c, 2, "heartbeat") && m == M_POST)
		return heartbeat(c, id);
	if (c->who.kind == PRINCIPAL_RUNNER)
		return problem(c, 403, NULL,
		               "a heartbeat token is good only for POST "
		               "/v1/runners/{id}/heartbeat");
	if (m != M_GET && rate_limit(c) < 0)
		return 0;
	if (load_runner(c, id, "id", &sr) < 0)
		return 0;
	if (c->nseg == 2 && m == M_GET)
		rc = send_runner(c, 200, &sr);
	else if (c->nseg == 2 && m == M_PATCH)
		rc = runner_patch(c, &sr);
	else if (c->nseg == 2 && m == M_DELETE)
		rc = runner_status(c, &sr, STORE_RUNNER_RETIRED);
	else if (c->nseg == 3 && m == M_POST && (seg_is(c, 2, "approve") || seg_is(c, 2, "retire")))
		rc = !is_admin(c) ? problem(c, 403, NULL,
		                            "only the admin approves and retires runners; an "
		                            "operator withdraws its own with DELETE")
		                  : runner_status(c, &sr,
		                                  seg_is(c, 2, "approve") ? STORE_RUNNER_APPROVED
		                                                          : STORE_RUNNER_RETIRED);
	else if (c->nseg == 3 && m == M_GET && seg_is(c, 2, "availability"))
		rc = fleet_find(&c->d->fleet, id) ? api_availability(c->api, c->req, id)
		                                  : problem(c, 409, "id",
		                                            "runner %s is retired: its "
		                                            "history is in the monthly report",
		                                            sr.name);
	else if (c->nseg >= 3 && seg_is(c, 2, "maintenance"))
		rc = maintenance(c, m, &sr);
	else
		rc = problem(c, 404, NULL, "no such endpoint (see contrib/openapi.yaml)");
	store_runner_deinit(&sr);
	return rc;
}

/* ---- incidents ------------------------------------------------------------ */

static void incident_json(struct call *c, struct strbuf *b, const struct store_incident *i)
{
	int64_t end = i->end_ms ? i->end_ms : c->now;

	strbuf_printf(b, "{\"id\":%" PRId64 ",\"runner_id\":%" PRId64 ",\"runner\":", i->id,
	              i->runner_id);
	strbuf_json_str(b, i->runner_name);
	strbuf_puts(b, ",\"start\":");
	api_json_time(b, i->start_ms);
	strbuf_puts(b, ",\"end\":");
	json_time_or_null(b, i->end_ms);
	strbuf_printf(b, ",\"open\":%s,\"duration_ms\":%" PRId64 ",\"acknowledged\":",
	              i->end_ms ? "false" : "true", end > i->start_ms ? end - i->start_ms : 0);
	json_time_or_null(b, i->ack_ms);
	strbuf_puts(b, ",\"ack_note\":");
	json_str_or_null(b, i->ack_note);
	strbuf_puts(b, ",\"mitigated\":");
	json_time_or_null(b, i->mitigated_ms);
	strbuf_puts(b, ",\"mitigated_note\":");
	json_str_or_null(b, i->mitigated_note);
	if (i->ack_ms)
		strbuf_printf(b, ",\"time_to_acknowledge_ms\":%" PRId64, i->ack_ms - i->start_ms);
	else
		strbuf_puts(b, ",\"time_to_acknowledge_ms\":null");
	if (i->mitigated_ms)
		strbuf_printf(b, ",\"time_to_mitigate_ms\":%" PRId64,
		              i->mitigated_ms - i->start_ms);
	else
		strbuf_puts(b, ",\"time_to_mitigate_ms\":null");
	strbuf_puts(b, "}");
}

static int incidents_list(struct call *c)
{
	struct store_incident *v;
	struct strbuf b;
	char q[64];
	int64_t to = c->now + 1, from, runner = 0;
	size_t n;
	int rc;

	if (api_query_param(c->req, "to", q, sizeof(q)) && clock_parse_rfc3339(q, &to) < 0)
		return problem(c, 400, "to", "to: not an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
	from = to - INCIDENTS_DEFAULT_MS;
	if (api_query_param(c->req, "from", q, sizeof(q)) && clock_parse_rfc3339(q, &from) < 0)
		return problem(c, 400, "from",
		               "from: not an RFC 3339 time, e.g. 2026-10-01T00:00:00Z");
	if (from >= to)
		return problem(c, 400, "from", "from: must be before to");
	if (api_query_param(c->req, "runner", q, sizeof(q))) {
		struct store_runner sr;
		char *end;
		runner = strtoll(q, &end, 10);
		if (*end || runner <= 0)
			return problem(c, 400, "runner",
			               "runner: a runner id is a positive integer");
		if (load_runner(c, runner, "runner", &sr) < 0)
			return 0;
		store_runner_deinit(&sr);
	}
	rc = store_incident_list(c->d->st, is_admin(c) ? 0 : c->who.operator_id, runner, from, to,
	                         &v, &n);
	if (rc < 0)
		return store_problem(c, rc);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"incidents\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(&b, ",");
		incident_json(c, &b, &v[i]);
	}
	strbuf_puts(&b, "]}\n");
	store_incidents_free(v, n);
	return api_send_json(c->api, c->req, 200, &b);
}

static int incidents(struct call *c, enum method m)
{
	struct store_incident inc;
	struct strbuf b;
	int64_t id;
	int rc;

	if (c->who.kind == PRINCIPAL_RUNNER)
		return problem(c, 403, NULL,
		               "a heartbeat token is good only for POST "
		               "/v1/runners/{id}/heartbeat");
	if (c->nseg == 1)
		return m == M_GET ? incidents_list(c)
		                  : problem(c, 405, NULL, "use GET /v1/incidents");
	id = seg_id(c, 1);
	if (id == 0)
		return problem(c, 400, "id", "an incident id is a positive integer");
	if (m != M_GET && rate_limit(c) < 0)
		return 0;
	rc = store_incident_get(c->d->st, id, &inc);
	if (rc == 0 && !is_admin(c) && inc.operator_id != c->who.operator_id) {
		store_incident_deinit(&inc);
		rc = RW_ENOENT;
	}
	if (rc == RW_ENOENT)
		return problem(c, 404, "id", "no incident %" PRId64 " that this token may see", id);
	if (rc < 0)
		return store_problem(c, rc);
	if (c->nseg == 3 && m == M_POST && (seg_is(c, 2, "ack") || seg_is(c, 2, "mitigated"))) {
		bool ack = seg_is(c, 2, "ack");
		struct req_note rn;
		struct reqbody_error e = {0};
		cJSON *o;
		store_incident_deinit(&inc);
		if (body(c, reqbody_note_fields, !ack, &o) < 0)
			return 0;
		rc = reqbody_note(o, ack, &rn, &e);
		if (rc < 0) {
			cJSON_Delete(o);
			return problem(c, e.status, e.field, "%s", e.detail);
		}
		rc = ack ? store_incident_ack(c->d->st, id, c->now, rn.note)
		         : store_incident_mitigate(c->d->st, id, c->now, rn.note);
		cJSON_Delete(o);
		if (rc == RW_EEXIST)
			return problem(c, 409, "id", "incident %" PRId64 " is already %s", id,
			               ack ? "acknowledged" : "mitigated");
		if (rc == 0)
			rc = store_incident_get(c->d->st, id, &inc);
		if (rc < 0)
			return store_problem(c, rc);
	} else if (c->nseg != 2 || m != M_GET) {
		store_incident_deinit(&inc);
		return problem(c, 405, NULL,
		               "use GET /v1/incidents/{id}, POST /v1/incidents/{id}/ack or "
		               "/mitigated");
	}
	strbuf_init(&b);
	incident_json(c, &b, &inc);
	strbuf_puts(&b, "\n");
	store_incident_deinit(&inc);
	return api_send_json(c->api, c->req, 200, &b);
}

/* ---- dispatch ------------------------------------------------------------- */

int api_v1(struct api *api, h2o_req_t *req, const char *path, size_t len)
{
	struct call c = {.api = api, .d = api->d, .req = req};
	enum method m = method_of(req);
	const char *p = path + 4, *end = path + len;

	c.now = clock_now_ms(&c.d->clock);
	while (p < end && c.nseg < MAX_SEGS) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *se = slash ? slash : end;
		c.seg[c.nseg] = p;
		c.seglen[c.nseg++] = (size_t)(se - p);
		p = se + 1;
		if (!slash)
			break;
	}
	if (p < end || m == M_OTHER)
		return problem(&c, m == M_OTHER ? 405 : 404, NULL, "no such endpoint");
	if (authenticate(&c) < 0)
		return 0;
	if (seg_is(&c, 0, "operators")) {
		if (c.who.kind == PRINCIPAL_RUNNER)
			return problem(&c, 403, NULL,
			               "a heartbeat token is good only for POST "
			               "/v1/runners/{id}/heartbeat");
		if (c.nseg == 1 && m == M_POST)
			return rate_limit(&c) < 0 ? 0 : operators_post(&c);
		if (c.nseg == 1 && m == M_GET)
			return operators_get(&c);
		if (c.nseg >= 3 && seg_is(&c, 2, "tokens"))
			return operator_tokens(&c, m);
		return problem(&c, c.nseg == 1 ? 405 : 404, NULL, "no such endpoint");
	}
	if (seg_is(&c, 0, "runners"))
		return runners(&c, m);
	return incidents(&c, m);
}
