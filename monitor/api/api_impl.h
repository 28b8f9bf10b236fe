/* SPDX-License-Identifier: MIT */
/*
 * api_impl.h — private to monitor/api/: the server struct and the entry
 * points of the handlers that api.c dispatches to. Nothing outside this
 * folder includes it (contrib/layercheck.py enforces it).
 *
 * Who calls whom (no file calls back into one that calls it):
 *
 *   api.c (server, dispatch) --> tls.c (the listener's TLS context)
 *                            --> gate.c (request heads before h2o)
 *                            --> api_route.c (route, availability)
 *                            --> api_events.c (events feed)
 *                            --> api_github.c (GitHub's webhook deliveries)
 *                            --> call.c + api_operators.c, api_runners.c
 *                                (--> api_maintenance.c), api_incidents.c
 *                            --> status.c (the page)
 *   every handler            --> answer.c (answers, problems)
 */
#ifndef RW_API_IMPL_H
#define RW_API_IMPL_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/api/api.h"
#include "monitor/api/tls.h"

struct status;

struct api_handler {
	h2o_handler_t super;
	struct api *api;
};

/* How long a request head may take to arrive (the gate's deadline, and
 * h2o's request timeout after it). */
#define API_IDLE_MS 1500

/* Connections over max_connections the gate takes, for /healthz only. */
#define GATE_RESERVE 16

/* A connection's phases (gate.c has the diagram and the table). */
enum conn_phase {
	CONN_HELLO,     /* TLS: its first bytes, to tell a TLS handshake from plain HTTP */
	CONN_HANDSHAKE, /* TLS: h2o's socket runs the handshake (h2o_socket_ssl_handshake) */
	CONN_GATE,      /* reading the request head ourselves (decrypted with TLS), h2o
	                 * not involved yet */
	CONN_H2O,       /* handed to h2o with the head read so far */
	CONN_ANSWERING, /* the gate writes its own answer (431, or /healthz over the cap) */
	CONN_LINGER,    /* 431 written: what the client still sends is read and dropped */
	CONN_CLOSING,   /* uv_close() called */
	CONN_PHASE_COUNT
};

/* h2o takes over tcp.data, so the close callback finds its conn by address:
 * tcp must stay the first member. */
struct conn {
	uv_tcp_t tcp;
	struct api *api;
	/* The gate (gate.c): from accept until h2o has the connection. */
	struct conn *gprev, *gnext; /* in api->gated */
	/* The bytes read so far (at most GATE_HEAD_MAX). With TLS, from the
	 * handshake on, the decrypted bytes are in sock->input instead and
	 * head_len counts how far the gate has looked for the head's end. */
	char *head;
	size_t head_len, head_cap;
	h2o_socket_t *sock; /* TLS: h2o's socket, from the handshake on; NULL before */
	uint64_t deadline;  /* loop time: the head must have arrived (or linger end) */
	uv_write_t wreq;
	enum conn_phase phase;
	bool reserve; /* over the cap: taken only for /healthz (gate.c) */
	bool linger;  /* after the gate's answer, drop what comes for a while */
};

/*
 * The server's lifecycle (api_set_state() in api.c logs and checks every
 * change against this table):
 *
 *   OPEN --api_close()--> DRAINING --(no connection left, or the drain
 *                                     timer)--> CLOSING --(its handles
 *                                     closed: closed_cb)--> CLOSED
 *
 * A connection that outlives the drain timer may still close while CLOSING
 * or CLOSED: it only lowers the count; h2o's context is disposed and the
 * struct freed when both the count is 0 and api_free() was called.
 */
enum api_state { API_OPEN, API_DRAINING, API_CLOSING, API_CLOSED };

struct api {
	struct api_ctx x;
	enum api_state state;
	h2o_globalconf_t config;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	uv_tcp_t listener;
	uv_timer_t drain;
	int port;
	int conns;                 /* connections open (struct conn) */
	int conns_reserve;         /* of which over the cap, for /healthz only (gate.c) */
	struct conn *gated;        /* connections the gate still holds (gate.c) */
	uv_timer_t gate_timer;     /* the gate's deadlines */
	uv_close_cb conn_close_cb; /* api.c's: every connection's handle closes through it */
	char gate_drop[16384];     /* where the gate reads what it drops */
	int pending_closes;        /* own handles (listener, timers) not yet closed */
	bool free_asked;           /* api_free() was called while connections were open */
	bool h2o_live;             /* ctx and config not yet disposed */
	api_closed_cb closed_cb;
	void *closed_data;
	struct status *status; /* the status page's cache */
	/* TLS (tls.h): the context new connections get, NULL without TLS;
	 * what its certificate is, and the TLS counters of /metrics. */
	SSL_CTX *ssl_ctx;
	struct tls_cert_info tls_info;
	uint64_t tls_reloads, tls_reload_failures, tls_handshake_failures;
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
	/* /metrics streamed (api.c): the pieces rendered in this loop
	 * iteration (uv_now() tells one from the next) and the scrapes whose
	 * next piece waits for metrics_timer once they took their share. */
	uint64_t metrics_now;
	uint64_t metrics_spent_ns;
	struct metrics_gen *metrics_waiting, *metrics_waiting_tail; /* first come, first served */
	uv_timer_t metrics_timer;
};

/**
 * The gate (gate.c): every accepted connection's request head is read
 * here, capped at GATE_HEAD_MAX, before h2o sees a byte. @p reserve: the
 * connection is over the cap and gets an answer only for /healthz.
 */
void gate_accept(struct api *api, struct conn *c, bool reserve);

/** A connection's handle closed: the gate forgets it (conn_close_cb). */
void gate_closed(struct api *api, struct conn *c);

/** Starts the gate's timer (api_new()); gate_stop() closes what the gate
 *  holds (api_close()). */
void gate_init(struct api *api);
void gate_stop(struct api *api);

/** GET /v1/route?target=T|label=L (api_route.c). */
int api_route(struct api *api, h2o_req_t *req);

/** GET /v1/runners/{id}/availability, once the caller may see runner @p sr
 *  (api_route.c): api_availability_render() over the query's period. */
int api_availability(struct api *api, h2o_req_t *req, const struct store_runner *sr);

/** Frees the cached route answers (api_route.c). */
void api_route_cache_clear(struct api *api);

/** POST /v1/github/webhook (api_github.c). */
int api_github_webhook(struct api *api, h2o_req_t *req);

/** GET /v1/events (api_events.c). */
int api_events(struct api *api, h2o_req_t *req);

/** Answers every parked long poll now (shutdown; api_events.c). */
void api_events_flush(struct api *api);

/**
 * The operator API under /v1/operators, /v1/runners and /v1/incidents
 * (call.c parses and authenticates, then the resource's handler answers).
 * @p path is the normalized path. @return 0.
 */
int api_v1(struct api *api, h2o_req_t *req, const char *path, size_t len);

#endif
