/* SPDX-License-Identifier: MIT */
/*
 * call.h — one request of the operator API (/v1/operators, /v1/runners,
 * /v1/incidents): who asks, what the path says, and the steps and answers
 * every handler shares (call.c). The handlers live by resource:
 * api_operators.c, api_runners.c, api_maintenance.c, api_incidents.c.
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
 *   - a body must come with Content-Type: application/json (415 naming
 *     the header), then it is parsed and validated (reqbody.h): 4xx naming
 *     the field.
 * For /v1/runners/{id}/... and /v1/incidents/{id}/... the scope comes before
 * the body (another operator's runner is 404 whatever the body says); for
 * collections there is no object to look up. Then the change commits (on the
 * loop thread's store connection) before the answer, and the daemon picks
 * registry changes up at once.
 */
#ifndef RW_CALL_H
#define RW_CALL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/api/api_impl.h"
#include "monitor/intake/auth.h"
#include "monitor/store/store.h"

#define CALL_MAX_SEGS 6

struct call {
	struct api *api;
	const struct api_ctx *x; /* &api->x */
	h2o_req_t *req;
	struct principal who;
	int64_t now;
	const char *seg[CALL_MAX_SEGS]; /* path segments after "/v1/" */
	size_t seglen[CALL_MAX_SEGS];
	int nseg;
};

enum method { M_GET, M_POST, M_PATCH, M_DELETE, M_OTHER };

/**
 * Starts a call: splits @p path (normalized, "/v1/...") into segments and
 * authenticates the caller. On failure the problem (404, 405, 401, 403 or
 * 503) is sent and an error returned.
 * @return 0 or RW_E*.
 */
int call_begin(struct call *c, struct api *api, h2o_req_t *req, const char *path, size_t len,
               enum method *m);

/** A write committed: the daemon picks registry changes up before the answer. */
void call_registry_changed(struct call *c);

/** Sends a problem (answer_problem()) with the reason phrase of @p status. */
int call_problem(struct call *c, int status, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/** A store failure while answering: logged, and a 503 the client may retry. */
int call_store_problem(struct call *c, int rc);

/** Whether path segment @p i is @p s; segment @p i as a positive id, or 0. */
bool call_seg_is(const struct call *c, int i, const char *s);
int64_t call_seg_id(const struct call *c, int i);

/** Takes one write from the caller's bucket; on refusal the 429 is sent. */
int call_rate_limit(struct call *c);

/** Parses the body against @p fields (reqbody.h) once its Content-Type
 *  says JSON (415 otherwise); on failure the problem is sent. */
int call_body(struct call *c, const char *const *fields, bool empty_ok, cJSON **out);

bool call_is_admin(const struct call *c);

/** Appends an RFC 3339 time or a string, or null (ms 0 / NULL). */
void call_json_time_or_null(struct strbuf *b, int64_t ms);
void call_json_str_or_null(struct strbuf *b, const char *s);

/**
 * Reads runner @p id within the caller's scope; sends 404 naming @p field
 * (or 503) if not. The caller deinits @p sr on success.
 */
int call_load_runner(struct call *c, int64_t id, const char *field, struct store_runner *sr);

/* The handlers, by resource. Each answers the request (always returns 0). */
int api_operators(struct call *c, enum method m);
int api_runners(struct call *c, enum method m);
int api_maintenance(struct call *c, enum method m, struct store_runner *sr);
int api_incidents(struct call *c, enum method m);

#endif
