/* SPDX-License-Identifier: MIT */
/*
 * probe.h — one HTTP health probe of one runner, and the pool of curl easy
 * handles that run them.
 *
 * Handles are pooled and sized to the concurrency, not one per runner (a
 * handle costs ~10 kB). Host names are resolved by the prober itself
 * (resolver.h: uv_getaddrinfo within the probe's timeout, at most
 * RESOLVER_PER_KEY lookups per operator), cached per runner for
 * PROBE_DNS_TTL_MS, and handed to curl with CURLOPT_RESOLVE; the time the
 * lookup took counts against the probe's timeout, so a probe ends at its
 * timeout whatever DNS does (class dns). curl's own DNS cache is never pruned
 * (CURLOPT_DNS_CACHE_TIMEOUT -1) because pruning walks the whole cache after
 * every transfer, which with 10,000 hosts costs more than the probe itself.
 * Connections are never reused (a heartbeat to a distinct host has nothing
 * to reuse, and an idle cache makes every removal walk it).
 *
 * Safety: the connect-time address goes through the guard in
 * CURLOPT_OPENSOCKETFUNCTION; only http and https; no redirects; bodies over
 * PROBE_BODY_MAX end the transfer with class too_large; TLS is verified.
 *
 * Contract: if prober_start() returns an error, the callback never runs; if
 * it returns 0, it runs exactly once, with canceled set at shutdown, and
 * with local set when the monitor itself failed (the runner was not seen).
 * A probe that cannot even start (a name libuv will not look up, no memory
 * to configure it) runs its callback before prober_start() returns.
 */
#ifndef RW_PROBE_H
#define RW_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/clock.h"
#include "monitor/core/guard.h"
#include "monitor/core/runner.h"
#include "monitor/probe/curluv.h"
#include "monitor/probe/resolver.h"
#include "policy/policy.h"

#define PROBE_BODY_MAX (64 * 1024)
/* The receive buffer each pooled easy handle keeps (curl's minimum: 1024). */
#define PROBE_RECV_BUFFER 4096L
#define PROBE_DNS_TTL_MS  60000
/* "runwarden/VERSION (vantage NAME)" with a 63-character name fits. */
#define PROBE_USER_AGENT_MAX 128

struct prober;
typedef void (*probe_done_cb)(struct prober *pr, struct runner *r, const struct probe_result *res);
typedef void (*prober_closed_cb)(struct prober *pr);

struct probe;

/** The prober's lifecycle; probe.c's header has the diagram and the table. */
enum prober_state {
	PROBER_OPEN,     /* probes may start */
	PROBER_DRAINING, /* prober_close(): live probes are being canceled */
	PROBER_CLOSING,  /* none is live: the curl glue and the resolver are closing */
	PROBER_CLOSED,   /* closed_cb has run */
};

struct prober {
	uv_loop_t *loop;
	struct curluv cu;
	struct resolver rs;
	int pending_closes; /* CLOSING: the glue and the resolver */
	const struct guard *guard;
	struct rw_clock *clock;
	probe_done_cb done_cb;
	prober_closed_cb closed_cb;
	void *data; /* the owner's */

	struct probe *free_list;
	struct probe *live; /* doubly linked list of probes in flight */
	size_t n_alloc;     /* handles allocated */
	size_t max;         /* concurrency cap */
	size_t in_flight;
	enum prober_state state;
	uint64_t bad_transitions; /* state changes the tables forbid: bugs, logged */
	/* Sent with every probe: "runwarden/VERSION", or with a vantage
	 * "runwarden/VERSION (vantage NAME)" (prober_set_vantage()). */
	char user_agent[PROBE_USER_AGENT_MAX];
};

/**
 * Initialises a prober that runs at most @p max probes at once.
 * @p guard and @p clock must outlive it.
 * @return 0 or RW_ENOMEM.
 */
int prober_init(struct prober *pr, uv_loop_t *loop, const struct guard *guard,
                struct rw_clock *clock, size_t max, probe_done_cb done_cb);

/**
 * Names the vantage point in every probe's User-Agent from now on:
 * "runwarden/VERSION (vantage NAME)", so that the operators of the runners
 * can tell several monitors apart in their logs. Call it before the first
 * probe (a pooled handle keeps the User-Agent it was first set up with).
 */
void prober_set_vantage(struct prober *pr, const char *name);

/**
 * Starts a probe of @p r (which must have none in flight).
 * @return 0; RW_EBUSY at the concurrency cap; RW_ECANCELED when closing;
 *         RW_ENOMEM.
 */
int prober_start(struct prober *pr, struct runner *r);

/**
 * Cancels every probe in flight (their callbacks run with canceled set),
 * frees the pool and closes the handles; @p cb runs once when all are closed.
 */
void prober_close(struct prober *pr, prober_closed_cb cb);

#endif
