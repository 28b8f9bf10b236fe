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

	if (!call_is_admin(c))
		return call_problem(c, 403, NULL, "only the admin creates operators");
	if (call_body(c, reqbody_operator_fields, false, &o) < 0)
		return 0;
	rc = reqbody_operator(o, &ro, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return call_problem(c, e.status, e.field, "%s", e.detail);
	}
	if (auth_new_token("rw_", tok, h) < 0) {
		cJSON_Delete(o);
		return call_problem(c, 503, NULL, "no random bytes for a token; try again");
	}
	rc = store_operator_add(c->x->st, ro.name, ro.email, h, c->now, &id);
	if (rc == RW_EEXIST) {
		call_problem(c, 409, "name",
		             "name: an operator named \"%s\" exists; choose another", ro.name);
		cJSON_Delete(o);
		return 0;
	}
	if (rc == 0)
		rc = store_token_find(c->x->st, h, &t);
	if (rc < 0) {
		cJSON_Delete(o);
		return call_store_problem(c, rc);
	}
	strbuf_init(&b);
	strbuf_printf(&b, "{\"id\":%" PRId64 ",\"name\":", id);
	strbuf_json_str(&b, ro.name);
	strbuf_puts(&b, ",\"email\":");
	strbuf_json_str(&b, ro.email);
	strbuf_printf(&b, ",\"token_id\":%" PRId64 ",\"token\":\"%s\"}\n", t.id, tok);
	OPENSSL_cleanse(tok, sizeof(tok));
	cJSON_Delete(o);
	return answer_json(c->api, c->req, 201, &b);
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
		struct store_token t;
		char tok[AUTH_TOKEN_MAX];
		uint8_t h[32];
		cJSON *o;
		if (call_rate_limit(c) < 0 || call_body(c, reqbody_token_fields, true, &o) < 0)
			return 0;
		rc = reqbody_token(o, c->now, &rt, &e);
		cJSON_Delete(o);
		if (rc < 0)
			return call_problem(c, e.status, e.field, "%s", e.detail);
		if (auth_new_token("rw_", tok, h) < 0)
			return call_problem(c, 503, NULL, "no random bytes for a token; try again");
		rc = store_token_add(c->x->st, op, 0, h, c->now, rt.expires_ms, NULL);
		if (rc == 0)
			rc = store_token_find(c->x->st, h, &t);
		if (rc < 0)
			return call_store_problem(c, rc);
		strbuf_init(&b);
		strbuf_puts(&b, "{\"token\":\"");
		strbuf_puts(&b, tok);
		strbuf_puts(&b, "\",\"token_info\":");
		token_json(&b, &t);
		strbuf_printf(&b, ",\"id\":%" PRId64 "}\n", t.id);
		OPENSSL_cleanse(tok, sizeof(tok));
		return answer_json(c->api, c->req, 201, &b);
	}
	if (c->nseg == 4 && m == M_DELETE && (tid = call_seg_id(c, 3)) > 0) {
		struct store_token *v;
		size_t n;
		if (call_rate_limit(c) < 0)
			return 0;
		rc = store_token_revoke(c->x->st, op, tid, c->now);
		if (rc == RW_ENOENT)
			return call_problem(c, 404, "tid",
			                    "operator %" PRId64 " has no token %" PRId64, op, tid);
		if (rc == RW_EINVAL)
			return call_problem(c, 409, "tid", "token %" PRId64 " is already revoked",
			                    tid);
		if (rc == 0)
			rc = store_token_list(c->x->st, op, &v, &n);
		if (rc < 0)
			return call_store_problem(c, rc);
		strbuf_init(&b);
		for (size_t i = 0; i < n; i++)
			if (v[i].id == tid)
				token_json(&b, &v[i]);
		strbuf_puts(&b, "\n");
		free(v);
		return answer_json(c->api, c->req, 200, &b);
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
