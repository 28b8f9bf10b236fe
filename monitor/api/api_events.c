/* SPDX-License-Identifier: MIT */
/*
 * api_events.c — GET /v1/events?after=ID&wait=S: the events feed, with long
 * polling, so that CI scheduling learns of a change without polling.
 *
 * A request that finds no event after ID and asks to wait is parked in a
 * list; a 100 ms timer, running only while someone waits, asks the store for
 * its highest event id (one indexed lookup for all waiters) and answers the
 * waiters it has news for, and those whose wait is over with an empty list.
 * A parked request's record lives in the request's memory pool with a
 * dispose callback, so a client that goes away unlinks itself and is never
 * answered into freed memory. At shutdown every waiter is answered at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/api_impl.h"
#include "monitor/api/answer.h"
#include "monitor/core/clock.h"
#include "monitor/core/guard.h"
#include "monitor/core/metrics.h"
#include "monitor/fleet/fleet.h"
#include "policy/base/rw_error.h"

#define EVENTS_POLL_MS  100
#define EVENTS_MAX_WAIT 60   /* seconds */
#define EVENTS_LIMIT    1000 /* events in one answer, at most */
#define EVENTS_DEFAULT  100

struct waiter {
	struct api *api;
	h2o_req_t *req;
	int64_t after;
	size_t limit;
	uint64_t deadline; /* loop time */
	struct waiter *prev, *next;
	bool linked;
};

static void unlink_waiter(struct waiter *w)
{
	struct api *api = w->api;

	if (!w->linked)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		api->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->linked = false;
	if (!api->waiters)
		uv_timer_stop(&api->events_timer);
}

/* The request's pool is being freed: the client is gone or answered. */
static void waiter_dispose(void *p)
{
	unlink_waiter(p);
}

static void event_json(struct strbuf *b, const struct store_event *e)
{
	strbuf_printf(b, "{\"id\":%" PRId64 ",\"kind\":", e->id);
	strbuf_json_str(b, e->kind);
	strbuf_puts(b, ",\"at\":");
	answer_json_time(b, e->at_ms);
	if (e->runner_id) {
		strbuf_printf(b, ",\"runner_id\":%" PRId64 ",\"runner\":", e->runner_id);
		if (e->runner_name)
			strbuf_json_str(b, e->runner_name);
		else
			strbuf_puts(b, "null");
	} else {
		strbuf_puts(b, ",\"runner_id\":null,\"runner\":null");
	}
	strbuf_puts(b, ",\"data\":");
	strbuf_puts(b, e->data && *e->data ? e->data : "{}");
	strbuf_puts(b, "}");
}

int api_event_render(struct strbuf *b, const struct store_event *e)
{
	event_json(b, e);
	return strbuf_failed(b) ? RW_ENOMEM : 0;
}

/* Answers with the events after @p after (maybe none). */
static int answer(struct api *api, h2o_req_t *req, int64_t after, size_t limit)
{
	struct store_event *v = NULL;
	struct strbuf b;
	size_t n = 0;
	int64_t last = after;
	int rc = store_events_after(api->x.st, after, limit, NULL, &v, &n);

	if (rc < 0)
		return answer_problem(api, req, 503, "Service Unavailable", NULL,
		                      "the events could not be read; try again");
	strbuf_init(&b);
	strbuf_puts(&b, "{\"events\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(&b, ",");
		event_json(&b, &v[i]);
		last = v[i].id;
	}
	strbuf_printf(&b, "],\"last_id\":%" PRId64 "}\n", last);
	store_events_free(v, n);
	return answer_json(api, req, 200, &b);
}

static void poll_cb(uv_timer_t *t)
{
	struct api *api = t->data;
	uint64_t now = uv_now(t->loop);
	int64_t max_id = 0;
	struct waiter *w, *next;

	if (store_event_max_id(api->x.st, &max_id) < 0)
		max_id = 0; /* try again next time; waiters time out meanwhile */
	for (w = api->waiters; w; w = next) {
		next = w->next;
		if (max_id > w->after || now >= w->deadline) {
			h2o_req_t *req = w->req;
			unlink_waiter(w);
			answer(api, req, w->after, w->limit);
		}
	}
}

int api_events(struct api *api, h2o_req_t *req)
{
	char v[32];
	char *end;
	long long after = 0, wait = 0, limit = EVENTS_DEFAULT;
	int64_t max_id = 0;
	struct waiter *w;

	if (answer_query(req, "after", v, sizeof(v))) {
		after = strtoll(v, &end, 10);
		if (!*v || *end || after < 0)
			return answer_problem(api, req, 400, "Bad Request", "after",
			                      "after: an event id (a whole number >= 0)");
	}
	if (answer_query(req, "wait", v, sizeof(v))) {
		wait = strtoll(v, &end, 10);
		if (!*v || *end || wait < 0 || wait > EVENTS_MAX_WAIT)
			return answer_problem(api, req, 400, "Bad Request", "wait",
			                      "wait: whole seconds in [0, 60]");
	}
	if (answer_query(req, "limit", v, sizeof(v))) {
		limit = strtoll(v, &end, 10);
		if (!*v || *end || limit < 1 || limit > EVENTS_LIMIT)
			return answer_problem(api, req, 400, "Bad Request", "limit",
			                      "limit: whole number in [1, 1000]");
	}
	if (wait == 0 || api->state != API_OPEN || store_event_max_id(api->x.st, &max_id) < 0 ||
	    max_id > after)
		return answer(api, req, after, (size_t)limit);
	w = h2o_mem_alloc_shared(&req->pool, sizeof(*w), waiter_dispose);
	memset(w, 0, sizeof(*w));
	w->api = api;
	w->req = req;
	w->after = after;
	w->limit = (size_t)limit;
	w->deadline = uv_now(api->x.loop) + (uint64_t)wait * 1000;
	w->next = api->waiters;
	if (w->next)
		w->next->prev = w;
	api->waiters = w;
	w->linked = true;
	if (!uv_is_active((uv_handle_t *)&api->events_timer))
		uv_timer_start(&api->events_timer, poll_cb, EVENTS_POLL_MS, EVENTS_POLL_MS);
	return 0;
}

void api_events_flush(struct api *api)
{
	while (api->waiters) {
		struct waiter *w = api->waiters;
		h2o_req_t *req = w->req;
		unlink_waiter(w);
		answer(api, req, w->after, w->limit);
	}
}
