/* SPDX-License-Identifier: MIT */
/*
 * api_impl.h — private to api.c (the server, the read endpoints) and
 * the operator API (call.c, api_operators.c, api_runners.c, api_maintenance.c,
 * api_incidents.c) and api_events.c: the server struct and the answer helpers.
 * Nothing else includes this.
 */
#ifndef RW_API_IMPL_H
#define RW_API_IMPL_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/api/api.h"
#include "monitor/store/store.h"
#include "policy/base/strbuf.h"

struct api_handler {
	h2o_handler_t super;
	struct api *api;
};

/* h2o takes over tcp.data, so the close callback finds its conn by address:
 * tcp must stay the first member. */
struct conn {
	uv_tcp_t tcp;
	struct api *api;
};

struct api {
	struct rw_daemon *d;
	h2o_globalconf_t config;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	uv_tcp_t listener;
	uv_timer_t drain;
	int port;
	int conns;
	int pending_closes;
	int closing;
	api_closed_cb closed_cb;
	void *closed_data;
	/* Route answers, by "t:TARGET" or "l:LABEL", reused while no change
	 * that shows at once (fleet.route_gen) happened and for at most
	 * API_ROUTE_CACHE_MS (uptimes and latencies drift slowly). */
	struct route_cache {
		char key[136];
		uint64_t gen;
		uint64_t at; /* loop time */
		char *body;
		size_t len;
	} rcache[32];
	unsigned rcache_next;
	/* Long polls of /v1/events (api_events.c). */
	struct waiter *waiters;
	uv_timer_t events_timer;
};

/** Sends @p len bytes of @p body with @p status and Content-Type @p ctype. */
void api_send_body(h2o_req_t *req, int status, const char *reason, const char *ctype,
                   const char *body, size_t len);

/** Sends @p b (200) and frees it; 503 problem when @p b ran out of memory. */
int api_send_strbuf(struct api *api, h2o_req_t *req, struct strbuf *b, const char *ctype);

/** Like api_send_strbuf() with another status. */
int api_send_json(struct api *api, h2o_req_t *req, int status, struct strbuf *b);

/**
 * Sends an RFC 7807 problem (application/problem+json):
 * {"type","title","status","detail"[,"field"]}. @p field names the member or
 * parameter at fault, or is NULL / "".
 */
int api_send_problem(struct api *api, h2o_req_t *req, int status, const char *reason,
                     const char *field, const char *detail);

/** Finds ?name=value in the query and percent-decodes it into @p out. */
bool api_query_param(h2o_req_t *req, const char *name, char *out, size_t outlen);

/** Appends an RFC 3339 time as a JSON string. */
void api_json_time(struct strbuf *b, int64_t ms);

/** Appends a ratio, or null when there is none. */
void api_json_ratio(struct strbuf *b, bool has, double v);

/** GET /v1/runners/{id}/availability, once the caller may see runner @p id. */
int api_availability(struct api *api, h2o_req_t *req, int64_t id);

/**
 * The operator API under /v1/operators, /v1/runners and /v1/incidents
 * (call.c). @p path is the normalized path.
 */
int api_v1(struct api *api, h2o_req_t *req, const char *path, size_t len);

/** GET /v1/events (api_events.c). */
int api_events(struct api *api, h2o_req_t *req);

/** Answers every parked long poll now (shutdown). */
void api_events_flush(struct api *api);

#endif
