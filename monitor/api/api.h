/* SPDX-License-Identifier: MIT */
/*
 * api.h — the HTTP API (libh2o, on the daemon's loop).
 *
 * Routes: /healthz, /metrics, /v1/route?target=T|label=L,
 * /v1/runners/{id}/availability?from=RFC3339&to=RFC3339, /v1/events, the
 * operator API under /v1/operators, /v1/runners and /v1/incidents (call.h),
 * and / (the status page, HTML, status.h). Answers are JSON (Prometheus text
 * for /metrics); errors are application/problem+json with the offending
 * parameter named. Route and metrics are answered from memory; availability
 * reads the runner's in-memory history and, for older time, the intervals
 * table.
 *
 * The API sees the daemon only through struct api_ctx: the modules it reads
 * and writes, and two callbacks for what only the daemon can do. It never
 * includes the daemon's header (contrib/layercheck.py enforces it).
 *
 * With TLS (api_ctx.tls_cert_file), the listener speaks HTTPS only: TLS 1.2
 * and 1.3, HTTP/1.1 (tls.h); the gate (gate.c) reads the decrypted request
 * head, so the 16 KiB cap holds over TLS as over plain HTTP.
 *
 * Lifecycle: api_new() binds and listens (fails fast); api_close() stops
 * accepting, lets open connections finish (at most API_DRAIN_MS), and calls
 * its callback once every handle of its own is closed; api_free() then
 * frees it (h2o's context is disposed there, once the last connection is
 * gone, or left to the exiting process when a client never let go).
 */
#ifndef RW_API_H
#define RW_API_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct api;
struct auth;
struct blind;
struct fleet;
struct guard;
struct metrics;
struct rw_clock;
struct rw_policy;
struct store;
struct store_event;
struct strbuf;
struct writer;

#define API_DRAIN_MS 2000

/** Registry rows changed (a write of the API committed): the owner picks
 *  the changes up before the answer goes out. */
typedef void (*api_registry_changed_cb)(void *owner);
/** Appends the daemon's families of /metrics to @p b; the API streams the
 *  fleet's after them (fleet_metrics_walk_step()). */
typedef void (*api_render_metrics_cb)(void *owner, struct strbuf *b);
typedef void (*api_closed_cb)(struct api *api, void *data);
struct store_github_job;
/** A workflow_job delivery, verified, parsed and merged into the store
 *  (on the writer's thread): @p merged is the job as stored now, owned by
 *  the callee, which judges the pools it matches.
 *  @return 0, or RW_E* (logged; the delivery is taken all the same). */
typedef int (*api_github_job_cb)(void *owner, struct store_github_job *merged);

/**
 * What the API may use of the daemon. Every pointer is the owner's and
 * outlives the API; the policy is read through its pointer, so a reload
 * shows at once.
 */
struct api_ctx {
	uv_loop_t *loop;
	struct store *st;      /* the loop thread's connection: reads only, never waits */
	struct writer *writer; /* writes commit on its thread, before their answers */
	struct fleet *fleet;
	const struct rw_policy *policy;
	const char *policy_sha256; /* of the policy in force (64 hex digits) */
	struct rw_clock *clock;
	const struct guard *guard;
	struct auth *auth;
	struct metrics *m; /* the http_* counters and heartbeats are the API's */
	const char *listen_host;
	int listen_port;
	unsigned max_connections;
	unsigned drain_ms; /* how long api_close() waits for connections; 0: API_DRAIN_MS */
	const char *github_webhook_secret; /* NULL: POST /v1/github/webhook is off */
	api_github_job_cb github_job;      /* with the secret */
	api_registry_changed_cb registry_changed;
	api_render_metrics_cb render_metrics;
	void *owner; /* passed to the callbacks */
	/* This daemon's vantage point (store_vantage_register()) and its own
	 * blindness: the availability answer's "vantages" (api_route.c). */
	int64_t vantage_id;
	const struct blind *blind; /* NULL: never blind (tests) */
	/* TLS on the listener: both files, or neither (plain HTTP). The names
	 * are how the user gave them ("tls.cert_file", "--tls-cert"), for
	 * errors. The files are read by api_new() and api_tls_reload(). */
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_cert_name;
	const char *tls_key_name;
};

/**
 * Starts listening on ctx's listen address (port 0: any free port).
 * @param ctx  copied; what it points to must outlive the API.
 * @return 0, or RW_E* with @p err naming the address and the cause (and
 *         *@p out NULL).
 */
int api_new(struct api **out, const struct api_ctx *ctx, char *err, size_t errlen);

/** The port actually bound (useful with port 0). */
int api_port(const struct api *api);

/** Whether the listener speaks TLS (https://) rather than plain HTTP. */
bool api_tls(const struct api *api);

/**
 * Reads the TLS certificate and key again (SIGHUP: certificates renew) and
 * swaps the new context in for new connections; connections already open
 * finish with the one they started with. On failure the old context stays
 * in force, the failure is logged and counted in /metrics, and @p err says
 * why (naming the key, as at start-up). Nothing happens without TLS.
 * @return 0 (also without TLS), or tls_ctx_load()'s error.
 */
int api_tls_reload(struct api *api, char *err, size_t errlen);

/** Appends the listener's TLS families to /metrics (reloads, failed
 *  reloads and handshakes, the certificate's expiry); nothing without TLS. */
void api_render_tls_metrics(const struct api *api, struct strbuf *b);

/** The daemon's once-a-minute job: keeps the status page fresh while it is read. */
void api_minute(struct api *api);

/** Continues the status page's build by a slice (the daemon calls it every
 *  DAEMON_SLICE_MS). */
void api_tick(struct api *api);

/**
 * Stops accepting, answers parked long polls, waits for open connections
 * (at most API_DRAIN_MS) and closes the API's handles; @p cb runs exactly
 * once, when they are closed. Call once.
 */
void api_close(struct api *api, api_closed_cb cb, void *data);

/** Frees a closed API (after api_close()'s callback). Accepts NULL. */
void api_free(struct api *api);

/**
 * Appends one event as GET /v1/events and the webhooks show it: the object
 * the webhooks sign (api_events.c).
 * @return 0 or RW_ENOMEM.
 */
int api_event_render(struct strbuf *b, const struct store_event *e);

struct store_runner;

/**
 * Appends the answer of GET /v1/runners/{id}/availability for runner @p sr
 * over [@p from_ms, @p to_ms) at @p now_ms (api_route.c): account_judge()
 * of its stored and in-memory history under ctx's policy, with its
 * registration and retirement. Reads ctx's store on the calling thread.
 * @return 0, RW_ENOMEM, or the store's error.
 */
int api_availability_render(const struct api_ctx *ctx, const struct store_runner *sr,
                            int64_t from_ms, int64_t to_ms, int64_t now_ms, struct strbuf *b);

#endif
