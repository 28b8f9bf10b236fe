/* SPDX-License-Identifier: MIT */
/* api_operators.c — /v1/operators and their tokens (see call.h). */
#include <openssl/crypto.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/call.h"
#include "monitor/api/reqbody.h"
#include "monitor/api/answer.h"
#include "monitor/core/clock.h"
#include "monitor/core/guard.h"
#include "monitor/core/metrics.h"
#include "monitor/fleet/fleet.h"
#include "policy/base/rw_error.h"

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
	answer_json_time(b, t->created_ms);
	strbuf_puts(b, ",\"expires\":");
	call_json_time_or_null(b, t->expires_ms);
	strbuf_puts(b, ",\"revoked\":");
	call_json_time_or_null(b, t->revoked_ms);
	strbuf_puts(b, "}");
}

/* POST /v1/operators: the operator and its first token, on the writer's thread. */
struct operator_write {
	struct call_write w;
	cJSON *o; /* owns what ro points to */
	struct req_operator ro;
	char tok[AUTH_TOKEN_MAX];
	uint8_t h[32];
	int64_t id;
	struct store_token t;
};

static int operator_add_work(struct store *st, struct call_write *w)
{
	struct operator_write *x = (struct operator_write *)w;
	int rc = store_operator_add(st, x->ro.name, x->ro.email, x->h, w->c.now, &x->id);

	if (rc == 0)
		rc = store_token_find(st, x->h, &x->t);
	return rc;
}

static void operator_add_answer(struct call *c, struct call_write *w, int rc)
{
	struct operator_write *x = (struct operator_write *)w;
	struct strbuf b;

	if (rc == RW_EEXIST) {
		call_problem(c, 409, "name",
		             "name: an operator named \"%s\" exists; choose another", x->ro.name);
		return;
	}
	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	strbuf_init(&b);
	strbuf_printf(&b, "{\"id\":%" PRId64 ",\"name\":", x->id);
	strbuf_json_str(&b, x->ro.name);
	strbuf_puts(&b, ",\"email\":");
	strbuf_json_str(&b, x->ro.email);
	strbuf_printf(&b, ",\"token_id\":%" PRId64 ",\"token\":\"%s\"}\n", x->t.id, x->tok);
	answer_json(c->api, c->req, 201, &b);
}

static void operator_add_release(struct call_write *w)
{
	struct operator_write *x = (struct operator_write *)w;

	OPENSSL_cleanse(x->tok, sizeof(x->tok));
	cJSON_Delete(x->o);
}

static int operators_post(struct call *c)
{
	struct operator_write *x;
	struct reqbody_error e = {0};
	cJSON *o;
	int rc;

	if (!call_is_admin(c))
		return call_problem(c, 403, NULL, "only the admin creates operators");
	if (call_body(c, reqbody_operator_fields, false, &o) < 0)
		return 0;
	x = call_write_new(c, sizeof(*x), operator_add_work, operator_add_answer);
	if (!x) {
		cJSON_Delete(o);
		return 0;
	}
	x->o = o;
	x->w.release = operator_add_release;
	rc = reqbody_operator(o, &x->ro, &e);
	if (rc < 0) {
		call_problem(c, e.status, e.field, "%s", e.detail);
		operator_add_release(&x->w);
		free(x);
		return 0;
	}
	if (auth_new_token("rw_", x->tok, x->h) < 0) {
		call_problem(c, 503, NULL, "no random bytes for a token; try again");
		operator_add_release(&x->w);
		free(x);
		return 0;
	}
	return call_write_start(&x->w);
}

static int operators_get(struct call *c)
{
	struct store_operator *ops;
	struct strbuf b;
	size_t n;
	int rc;

	if (!call_is_admin(c))
		return call_problem(c, 403, NULL, "only the admin lists operators");
	rc = store_operator_list(c->x->st, &ops, &n);
	if (rc < 0)
		return call_store_problem(c, rc);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"operators\":[");
	for (size_t i = 0; i < n; i++) {
		strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"name\":", i ? "," : "", ops[i].id);
		strbuf_json_str(&b, ops[i].name);
		strbuf_puts(&b, ",\"email\":");
		strbuf_json_str(&b, ops[i].email);
		strbuf_puts(&b, ",\"created\":");
		answer_json_time(&b, ops[i].created_ms);
		strbuf_puts(&b, "}");
	}
	strbuf_puts(&b, "]}\n");
	store_operators_free(ops, n);
	return answer_json(c->api, c->req, 200, &b);
}

/* POST and DELETE /v1/operators/{id}/tokens[/{tid}], on the writer's thread. */
struct token_write {
	struct call_write w;
	int64_t op, tid, expires_ms;
	char tok[AUTH_TOKEN_MAX];
	uint8_t h[32];
	struct store_token t;
};

static int token_add_work(struct store *st, struct call_write *w)
{
	struct token_write *x = (struct token_write *)w;
	int rc = store_token_add(st, x->op, 0, x->h, w->c.now, x->expires_ms, NULL);

	if (rc == 0)
		rc = store_token_find(st, x->h, &x->t);
	return rc;
}

static void token_add_answer(struct call *c, struct call_write *w, int rc)
{
	struct token_write *x = (struct token_write *)w;
	struct strbuf b;

	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	strbuf_init(&b);
	strbuf_puts(&b, "{\"token\":\"");
	strbuf_puts(&b, x->tok);
	strbuf_puts(&b, "\",\"token_info\":");
	token_json(&b, &x->t);
	strbuf_printf(&b, ",\"id\":%" PRId64 "}\n", x->t.id);
	answer_json(c->api, c->req, 201, &b);
}

static void token_release(struct call_write *w)
{
	struct token_write *x = (struct token_write *)w;
	OPENSSL_cleanse(x->tok, sizeof(x->tok));
}

/* The revocation, then the token as it is now (its hash for the daemon's
 * table, and the answer), on the writer's thread. */
static int token_revoke_work(struct store *st, struct call_write *w)
{
	struct token_write *x = (struct token_write *)w;
	struct store_token *v = NULL;
	size_t n = 0;
	int rc = store_token_revoke(st, x->op, x->tid, w->c.now);

	if (rc == 0)
		rc = store_token_list(st, x->op, &v, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (v[i].id == x->tid)
			x->t = v[i];
	free(v);
	return rc;
}

/* Committed: the token is refused from the next request on, before the
 * revoking request is answered. */
static void token_revoke_committed(struct call_write *w)
{
	struct token_write *x = (struct token_write *)w;
	auth_revoked(w->c.x->auth, x->t.sha256, x->t.revoked_ms ? x->t.revoked_ms : w->c.now);
}

/* A new token: the daemon's table learns it. */
static void token_add_committed(struct call_write *w)
{
	struct token_write *x = (struct token_write *)w;
	auth_learn(w->c.x->auth, &x->t); /* out of memory: looked up at its first use */
}

static void token_revoke_answer(struct call *c, struct call_write *w, int rc)
{
	struct token_write *x = (struct token_write *)w;
	struct strbuf b;

	if (rc == RW_ENOENT) {
		call_problem(c, 404, "tid", "operator %" PRId64 " has no token %" PRId64, x->op,
		             x->tid);
		return;
	}
	if (rc == RW_EINVAL) {
		call_problem(c, 409, "tid", "token %" PRId64 " is already revoked", x->tid);
		return;
	}
	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	strbuf_init(&b);
	token_json(&b, &x->t);
	strbuf_puts(&b, "\n");
	answer_json(c->api, c->req, 200, &b);
}

/* /v1/operators/{id}/tokens[/{tid}]: the admin, or that operator itself. */
static int operator_tokens(struct call *c, enum method m)
{
	int64_t op = call_seg_id(c, 1), tid;
	struct store_operator so;
	struct strbuf b;
	int rc;

	if (op == 0 || (!call_is_admin(c) && c->who.operator_id != op))
		return call_problem(c, 404, "id", "no operator that this token may see");
	rc = store_operator_get(c->x->st, op, &so);
	if (rc == RW_ENOENT)
		return call_problem(c, 404, "id", "no operator %" PRId64, op);
	if (rc < 0)
		return call_store_problem(c, rc);
	store_operator_deinit(&so);

	if (c->nseg == 3 && m == M_GET) {
		struct store_token *v;
		size_t n;
		rc = store_token_list(c->x->st, op, &v, &n);
		if (rc < 0)
			return call_store_problem(c, rc);
		strbuf_init(&b);
		strbuf_puts(&b, "{\"tokens\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_puts(&b, ",");
			token_json(&b, &v[i]);
		}
		strbuf_puts(&b, "]}\n");
		free(v);
		return answer_json(c->api, c->req, 200, &b);
	}
	if (c->nseg == 3 && m == M_POST) {
		struct req_token rt;
		struct reqbody_error e = {0};
		struct token_write *x;
		cJSON *o;
		if (call_rate_limit(c) < 0 || call_body(c, reqbody_token_fields, true, &o) < 0)
			return 0;
		rc = reqbody_token(o, c->now, &rt, &e);
		cJSON_Delete(o);
		if (rc < 0)
			return call_problem(c, e.status, e.field, "%s", e.detail);
		x = call_write_new(c, sizeof(*x), token_add_work, token_add_answer);
		if (!x)
			return 0;
		x->w.release = token_release;
		x->w.committed = token_add_committed;
		x->op = op;
		x->expires_ms = rt.expires_ms;
		if (auth_new_token("rw_", x->tok, x->h) < 0) {
			call_problem(c, 503, NULL, "no random bytes for a token; try again");
			token_release(&x->w);
			free(x);
			return 0;
		}
		return call_write_start(&x->w);
	}
	if (c->nseg == 4 && m == M_DELETE && (tid = call_seg_id(c, 3)) > 0) {
		struct token_write *x;
		if (call_rate_limit(c) < 0)
			return 0;
		x = call_write_new(c, sizeof(*x), token_revoke_work, token_revoke_answer);
		if (!x)
			return 0;
		x->op = op;
		x->tid = tid;
		x->w.committed = token_revoke_committed;
		return call_write_start(&x->w);
	}
	return call_problem(c, 405, NULL,
	                    "use GET or POST /v1/operators/{id}/tokens, or DELETE "
	                    "/v1/operators/{id}/tokens/{tid}");
}

/* /v1/operators[/{id}/tokens[/{tid}]]. */
int api_operators(struct call *c, enum method m)
{
	if (c->who.kind == PRINCIPAL_RUNNER)
		return call_problem(c, 403, NULL,
		                    "a heartbeat token is good only for POST "
		                    "/v1/runners/{id}/heartbeat");
	if (c->nseg == 1 && m == M_POST)
		return call_rate_limit(c) < 0 ? 0 : operators_post(c);
	if (c->nseg == 1 && m == M_GET)
		return operators_get(c);
	if (c->nseg >= 3 && call_seg_is(c, 2, "tokens"))
		return operator_tokens(c, m);
	return call_problem(c, c->nseg == 1 ? 405 : 404, NULL, "no such endpoint");
}
