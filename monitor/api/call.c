/* SPDX-License-Identifier: MIT */
/* call.c — the steps every operator API request shares; see call.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/call.h"
#include "monitor/api/reqbody.h"
#include "monitor/core/log.h"
#include "monitor/api/answer.h"
#include "monitor/core/clock.h"
#include "monitor/core/metrics.h"
#include "policy/base/rw_error.h"

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
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	}
	return "Service Unavailable";
}

int call_problem(struct call *c, int status, const char *field, const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return answer_problem(c->api, c->req, status, reason_of(status), field, detail);
}

/* A store failure while answering: the request may be retried. */
int call_store_problem(struct call *c, int rc)
{
	struct logline l;

	if (log_begin(&l, RW_LOG_WARN, "API store access failed")) {
		log_str(&l, "error", rw_strerror(rc));
		log_str(&l, "detail", store_errmsg(c->x->st));
		log_end(&l);
	}
	{
		char v[16];
		size_t n = (size_t)snprintf(v, sizeof(v), "%d", CALL_RETRY_AFTER_S);
		h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		               h2o_strdup(&c->req->pool, v, n).base, n);
	}
	if (rc == RW_ECANCELED)
		return call_problem(c, 503, NULL, "the daemon is stopping; try again");
	return call_problem(c, 503, NULL, "the database could not be %s; try again",
	                    rc == RW_EBUSY ? "locked in time" : "used");
}

/* ---- writes on the writer's thread ------------------------------------------ */

/* The request's pool is being freed: its client is gone (or answered). */
static void write_link_dispose(void *p)
{
	struct call_write *w = *(struct call_write **)p;

	if (w) {
		w->c.req = NULL;
		w->link = NULL;
	}
}

static int write_work(struct store *st, struct writer_job *job)
{
	struct call_write *w = (struct call_write *)job;
	return w->work(st, w);
}

static void write_done(struct writer_job *job, int rc)
{
	struct call_write *w = (struct call_write *)job;

	if (rc == 0 && w->committed)
		w->committed(w);
	if (rc == 0 && w->registry)
		w->c.x->registry_changed(w->c.x->owner);
	if (w->c.req)
		w->answer(&w->c, w, rc);
	if (w->link)
		*w->link = NULL;
	if (w->release)
		w->release(w);
	free(w);
}

void *call_write_new(struct call *c, size_t size, call_write_fn work, call_answer_fn answer)
{
	struct call_write *w = calloc(1, size);

	if (!w) {
		call_problem(c, 503, NULL, "out of memory");
		return NULL;
	}
	w->c = *c;
	w->work = work;
	w->answer = answer;
	w->job.fn = write_work;
	w->job.done = write_done;
	return w;
}

int call_write_start(struct call_write *w)
{
	w->link = h2o_mem_alloc_shared(&w->c.req->pool, sizeof(*w->link), write_link_dispose);
	*w->link = w;
	writer_call(w->c.x->writer, &w->job, CALL_WRITE_WAIT_MS);
	return 0;
}

bool call_seg_is(const struct call *c, int i, const char *s)
{
	return i < c->nseg && c->seglen[i] == strlen(s) && memcmp(c->seg[i], s, c->seglen[i]) == 0;
}

/* Segment @p i as a positive id, or 0. */
int64_t call_seg_id(const struct call *c, int i)
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

/* ---- a token memory does not know, looked up on the writer's thread ---------- */

struct token_lookup {
	struct writer_job job; /* first: the writer's */
	struct api *api;
	h2o_req_t *req; /* NULL once the client has gone */
	struct token_lookup **link;
	call_resume_fn resume;
	uint8_t h[32];
	struct store_token t;
};

static void lookup_link_dispose(void *p)
{
	struct token_lookup *l = *(struct token_lookup **)p;

	if (l) {
		l->req = NULL;
		l->link = NULL;
	}
}

static int lookup_work(struct store *st, struct writer_job *job)
{
	struct token_lookup *l = (struct token_lookup *)job;
	return store_token_find(st, l->h, &l->t);
}

static void lookup_done(struct writer_job *job, int rc)
{
	struct token_lookup *l = (struct token_lookup *)job;
	struct api *api = l->api;

	if (rc == 0)
		rc = auth_learn(api->x.auth, &l->t);
	else if (rc == RW_ENOENT)
		rc = auth_learn_unknown(api->x.auth, l->h);
	if (l->link)
		*l->link = NULL;
	if (l->req) {
		if (rc == 0) {
			/* The table knows the hash now: call_begin() resolves it. */
			l->resume(api, l->req, l->req->path_normalized.base,
			          l->req->path_normalized.len);
		} else {
			struct call c = {.api = api, .x = &api->x, .req = l->req};
			call_store_problem(&c, rc == RW_ENOMEM ? RW_EIO : rc);
		}
	}
	free(l);
}

/* Looks hash @p h up off the loop; @return RW_EBUSY: answered later (or the problem sent). */
static int lookup_start(struct call *c, const uint8_t h[32], call_resume_fn resume)
{
	struct token_lookup *l = calloc(1, sizeof(*l));

	if (!l) {
		call_problem(c, 503, NULL, "out of memory");
		return RW_ENOMEM;
	}
	l->api = c->api;
	l->req = c->req;
	l->resume = resume;
	memcpy(l->h, h, sizeof(l->h));
	l->link = h2o_mem_alloc_shared(&c->req->pool, sizeof(*l->link), lookup_link_dispose);
	*l->link = l;
	l->job.fn = lookup_work;
	l->job.done = lookup_done;
	writer_call(c->x->writer, &l->job, CALL_WRITE_WAIT_MS);
	return RW_EBUSY;
}

/* ---- steps 1 to 3 --------------------------------------------------------- */

static int call_authenticate(struct call *c, call_resume_fn resume)
{
	ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
	const char *why = "missing";
	uint8_t h[32];
	int rc;

	rc = auth_resolve(c->x->auth, i >= 0 ? c->req->headers.entries[i].value.base : NULL,
	                  i >= 0 ? c->req->headers.entries[i].value.len : 0, c->now, &c->who, &why,
	                  h);
	if (rc == 0)
		return 0;
	if (rc == RW_ENOENT)
		return lookup_start(c, h, resume);
	c->x->m->http_auth_failures++;
	h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
	               H2O_STRLIT("Bearer realm=\"runwarden\""));
	call_problem(c, 401, "Authorization",
	             "%s: send \"Authorization: Bearer TOKEN\" with a valid, unexpired token", why);
	return RW_EINVAL;
}

int call_rate_limit(struct call *c)
{
	uint32_t retry;
	char v[16];
	size_t n;

	if (auth_rate_take(c->x->auth, &c->who, uv_now(c->x->loop), &retry))
		return 0;
	c->x->m->http_rate_limited++;
	n = (size_t)snprintf(v, sizeof(v), "%" PRIu32, retry);
	h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
	               h2o_strdup(&c->req->pool, v, n).base, n);
	call_problem(c, 429, NULL, "too many writes with this token; retry after %" PRIu32 " s",
	             retry);
	return RW_EBUSY;
}

/* Whether the request says its body is JSON: "application/json", any
 * case, optionally followed by parameters ("; charset=utf-8"). */
static bool says_json(const h2o_req_t *req)
{
	static const char json[] = "application/json";
	ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
	const char *v;
	size_t n;

	if (i < 0)
		return false;
	v = req->headers.entries[i].value.base;
	n = req->headers.entries[i].value.len;
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	return n >= sizeof(json) - 1 && h2o_lcstris(v, sizeof(json) - 1, json, sizeof(json) - 1) &&
	       (n == sizeof(json) - 1 || v[sizeof(json) - 1] == ';' || v[sizeof(json) - 1] == ' ' ||
	        v[sizeof(json) - 1] == '\t');
}

/* Parses the body against @p fields; on failure the problem is sent. A
 * body that does not say it is JSON is refused before it is read (415). */
int call_body(struct call *c, const char *const *fields, bool empty_ok, cJSON **out)
{
	struct reqbody_error e = {0};
	int rc;

	*out = NULL;
	if (c->req->entity.len > 0 && !says_json(c->req)) {
		call_problem(c, 415, "Content-Type",
		             "the body must be JSON: send it with Content-Type: application/json");
		return RW_EINVAL;
	}
	rc = reqbody_parse(c->req->entity.base, c->req->entity.len, fields, empty_ok, out, &e);

	if (rc == RW_ENOMEM)
		call_problem(c, 503, NULL, "out of memory");
	else if (rc < 0)
		call_problem(c, e.status, e.field, "%s", e.detail);
	return rc;
}

bool call_is_admin(const struct call *c)
{
	return c->who.kind == PRINCIPAL_ADMIN;
}

/* ---- answers -------------------------------------------------------------- */

void call_json_time_or_null(struct strbuf *b, int64_t ms)
{
	if (ms > 0)
		answer_json_time(b, ms);
	else
		strbuf_puts(b, "null");
}

void call_json_str_or_null(struct strbuf *b, const char *s)
{
	if (s)
		strbuf_json_str(b, s);
	else
		strbuf_puts(b, "null");
}

/* Reads runner @p id within the caller's scope; sends 404 naming @p field
 * (or 503) if not. */
int call_load_runner(struct call *c, int64_t id, const char *field, struct store_runner *sr)
{
	int rc = id > 0 ? store_runner_get(c->x->st, NULL, id, sr) : RW_ENOENT;

	if (rc == 0 && !call_is_admin(c) && sr->operator_id != c->who.operator_id) {
		store_runner_deinit(sr);
		rc = RW_ENOENT;
	}
	if (rc == RW_ENOENT)
		call_problem(c, 404, field, "no runner %" PRId64 " that this token may see", id);
	else if (rc < 0)
		call_store_problem(c, rc);
	return rc;
}

/* ---- the first steps ------------------------------------------------------ */

int call_begin(struct call *c, struct api *api, h2o_req_t *req, const char *path, size_t len,
               enum method *m, call_resume_fn resume)
{
	const char *p = path + 4, *end = path + len; /* after "/v1/" */

	memset(c, 0, sizeof(*c));
	c->api = api;
	c->x = &api->x;
	c->req = req;
	c->now = clock_now_ms(c->x->clock);
	*m = method_of(req);
	while (p < end && c->nseg < CALL_MAX_SEGS) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *se = slash ? slash : end;
		c->seg[c->nseg] = p;
		c->seglen[c->nseg++] = (size_t)(se - p);
		p = se + 1;
		if (!slash)
			break;
	}
	if (p < end || *m == M_OTHER) {
		call_problem(c, *m == M_OTHER ? 405 : 404, NULL, "no such endpoint");
		return RW_EINVAL;
	}
	return call_authenticate(c, resume);
}

void call_registry_changed(struct call *c)
{
	c->x->registry_changed(c->x->owner);
}
