/* SPDX-License-Identifier: MIT */
/*
 * resolver.h — host names resolved for the probes: on libuv's thread pool
 * (uv_getaddrinfo, so /etc/hosts, nsswitch and resolv.conf apply), with a
 * deadline per request and a cap per key (the runner's operator).
 *
 * getaddrinfo cannot be interrupted: a name whose DNS server never answers
 * holds a pool thread for the C library's own timeout (resolv.conf: 5 s ×
 * 2 attempts by default, more with several servers), whatever the probe's
 * timeout. So a request is kept apart from the lookup that serves it:
 *
 *  - A request ends at its deadline with RW_ETIMEDOUT, its lookup or not:
 *    a probe never waits for DNS past its timeout. The lookup goes on,
 *    orphaned, and is freed when getaddrinfo returns; until then it still
 *    serves new requests for the same name (a later probe of a slow name
 *    may get the late answer in time).
 *  - A name has at most one lookup per key at a time: requests for a name
 *    being looked up wait for that lookup instead of taking another thread.
 *  - A key has at most RESOLVER_PER_KEY lookups at a time, orphans
 *    included; its further requests wait, in order, for one to return
 *    (their deadlines still run). So one operator's broken names hold at
 *    most RESOLVER_PER_KEY pool threads, and the other operators' lookups
 *    find the others free: the pool (UV_THREADPOOL_SIZE, set by main.c)
 *    must be larger than RESOLVER_PER_KEY, and the more operators can have
 *    hung names at once without touching the rest, the larger.
 *
 * Contract: if resolver_start() returns an error, the callback never runs;
 * if it returns 0, it runs exactly once, from the loop and never inside
 * resolver_start(): with 0 and an address, RW_ETIMEDOUT at the deadline,
 * RW_ENOENT when the name has no usable address (why says what the lookup
 * said), RW_EINVAL when libuv refused the name, RW_ENOMEM, or RW_ECANCELED
 * after resolver_cancel() (which runs it before returning) and at
 * resolver_close().
 *
 * Lifecycle: resolver_init() / resolver_close(cb): close cancels every
 * request and calls cb once every lookup has returned (a hung one holds it
 * up to the C library's timeout) and the timer is closed.
 */
#ifndef RW_RESOLVER_H
#define RW_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Lookups one key may have at once, orphans included. */
#define RESOLVER_PER_KEY 4
#define RESOLVER_BUCKETS 256

struct resolver;
struct resolver_req;
struct rkey;
struct lookup;

/**
 * A request ended. @p addr (rc 0 only) is the first IPv4 or IPv6 address;
 * @p why is a short text for rc != 0 (static or the request's own).
 */
typedef void (*resolver_cb)(struct resolver_req *rq, int rc, const struct sockaddr_storage *addr,
                            const char *why);
typedef void (*resolver_closed_cb)(struct resolver *rs);

/** A request, embedded in its owner (a probe); private but for data. */
struct resolver_req {
	void *data; /* the owner's */
	struct resolver *rs;
	struct rkey *key;
	struct lookup *lk;                  /* the lookup it waits for, or NULL: queued */
	struct resolver_req *next, *prev;   /* in its lookup's list, or its key's queue */
	struct resolver_req *dnext, *dprev; /* in the resolver's list of live requests */
	const char *host;                   /* the caller's, valid until the callback */
	uint64_t deadline;                  /* loop time */
	resolver_cb cb;
	int end_rc; /* once ended, until the callback runs */
	const char *end_why;
};

struct resolver {
	uv_loop_t *loop;
	uv_timer_t timer;          /* fires at the earliest deadline */
	uint64_t timer_due;        /* UINT64_MAX: not armed */
	struct resolver_req *live; /* every request not yet ended */
	/* Keys with lookups running or requests queued, by hash. */
	struct rkey *keys[RESOLVER_BUCKETS];
	size_t n_keys;
	size_t lookups; /* uv_getaddrinfo outstanding, orphans included */
	bool closing;
	resolver_closed_cb closed_cb;
	/* Counters (for tests and logs). */
	uint64_t timeouts; /* requests ended at their deadline */
	uint64_t queued;   /* requests that waited for a slot of their key */
	uint64_t shared;   /* requests served by a lookup another request started */
	/* The lookup function and its cancel: uv_getaddrinfo and uv_cancel;
	 * tests may replace them (both) after init. */
	int (*getaddrinfo)(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb,
	                   const char *node, const char *service, const struct addrinfo *hints);
	int (*cancel)(uv_req_t *req);
	void *data; /* the owner's */
};

/** Initialises @p rs on @p loop (its timer); cannot fail. */
void resolver_init(struct resolver *rs, uv_loop_t *loop);

/**
 * Resolves @p host (which must stay valid until the callback) for the key
 * @p key (copied; "" is a key like any other) within @p timeout_ms.
 * @return 0; RW_ECANCELED once closing; RW_ENOMEM; RW_EINVAL when libuv
 *         refuses the name at once (then *@p why says why).
 */
int resolver_start(struct resolver *rs, struct resolver_req *rq, const char *host, const char *key,
                   uint32_t timeout_ms, resolver_cb cb, const char **why);

/** Ends @p rq now: its callback runs with RW_ECANCELED before this returns. */
void resolver_cancel(struct resolver *rs, struct resolver_req *rq);

/** Lookups of @p key running now (orphans included); 0 for an unknown key. */
unsigned resolver_key_lookups(const struct resolver *rs, const char *key);

/**
 * Cancels every request and closes; @p cb runs once every lookup has
 * returned and the timer is closed. Call once.
 */
void resolver_close(struct resolver *rs, resolver_closed_cb cb);

#endif
