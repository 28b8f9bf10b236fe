/* SPDX-License-Identifier: MIT */
/*
 * api.h — the HTTP API (libh2o, on the daemon's loop).
 *
 * Routes (all GET): /healthz, /metrics, /v1/route?target=T,
 * /v1/runners/{id}/availability?from=RFC3339&to=RFC3339, and / (the status
 * page, HTML, status.h). Answers are JSON
 * (Prometheus text for /metrics); errors are application/problem+json with
 * the offending parameter named. Route and metrics are answered from memory;
 * availability reads the runner's in-memory history and, for older time,
 * the intervals table.
 *
 * Lifecycle: api_start() binds and listens (fails fast); api_close() stops
 * accepting, lets open connections finish (at most API_DRAIN_MS), disposes
 * h2o and calls its callback once every handle is closed.
 */
#ifndef RW_API_H
#define RW_API_H

#include <stddef.h>

struct rw_daemon;
struct api;

#define API_DRAIN_MS 2000

typedef void (*api_closed_cb)(struct api *api, void *data);

/**
 * Starts listening on cfg's listen address.
 * @return 0, or RW_E* with @p err naming the address and the cause.
 */
int api_start(struct api **out, struct rw_daemon *d, char *err, size_t errlen);

/** The port actually bound (useful with port 0). */
int api_port(const struct api *api);

/** Closes the API; @p cb runs once when all its handles are closed, after
 *  which the api is freed (by api.c). */
void api_close(struct api *api, api_closed_cb cb, void *data);

struct strbuf;
struct store_event;

/** Appends one event as GET /v1/events and the webhooks show it (api_events.c). */
int api_event_render(struct strbuf *b, const struct store_event *e);

#endif
