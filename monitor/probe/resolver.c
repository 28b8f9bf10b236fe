/* SPDX-License-Identifier: MIT */
/*
 * resolver.c — bounded name lookups for the probes; see resolver.h.
 *
 * Three kinds of object:
 *   - a key (struct rkey, one per operator with lookups running or requests
 *     queued), in a hash table of RESOLVER_BUCKETS chains embedded in the
 *     resolver; freed as soon as it has neither (key_release());
 *   - a lookup (struct lookup, heap), one uv_getaddrinfo: listed in its key
 *     from launch until getaddrinfo returns, whether requests still wait on
 *     it or not (an orphan); it is the only owner of libuv's request, so a
 *     late answer touches nothing else;
 *   - a request (struct resolver_req, the caller's), on the resolver's live
 *     list from start to callback, and either attached to a lookup or
 *     queued in its key.
 *
 * Invariants: key->lookups counts the key's lookups and is at most
 * RESOLVER_PER_KEY; a key has at most one lookup per host; rs->lookups
 * counts every lookup, so the resolver closes only once it is 0. State
 * changes are finished before any callback runs: callbacks are collected
 * on a local list (reusing rq->next) and called last, so a callback may
 * start or cancel requests freely.
 *
 * The timer is armed at the earliest deadline of the live requests; a
 * request that ends early leaves it armed, and the early fire re-arms it.
 * Live requests are few (those whose runner's cached address expired and
 * whose lookup has not returned), so the scans are short.
 */
#include "monitor/probe/resolver.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

struct rkey {
	struct rkey *next; /* hash chain */
	uint64_t hash;
	unsigned lookups;                   /* running, orphans included */
	struct lookup *lks;                 /* its running lookups */
	struct resolver_req *qhead, *qtail; /* waiting for a slot, in order */
	char name[];
};

struct lookup {
	uv_getaddrinfo_t req;
	struct resolver *rs;
	struct rkey *key;
	struct lookup *next, *prev; /* in key->lks */
	struct resolver_req *reqs;  /* the requests waiting on it */
	char host[];
};

/* Requests ended and not yet told: their callbacks run last. */
struct ended {
	struct resolver_req *head;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* ---- keys --------------------------------------------------------------- */

static struct rkey *key_find(const struct resolver *rs, const char *name, uint64_t h)
{
	struct rkey *k;

	for (k = rs->keys[h % RESOLVER_BUCKETS]; k; k = k->next)
		if (k->hash == h && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static struct rkey *key_get(struct resolver *rs, const char *name)
{
	uint64_t h = hash_str(name);
	struct rkey *k = key_find(rs, name, h);
	size_t n;

	if (k)
		return k;
	n = strlen(name);
	k = calloc(1, sizeof(*k) + n + 1);
	if (!k)
		return NULL;
	memcpy(k->name, name, n + 1);
	k->hash = h;
	k->next = rs->keys[h % RESOLVER_BUCKETS];
	rs->keys[h % RESOLVER_BUCKETS] = k;
	rs->n_keys++;
	return k;
}

/* Frees @p k once it has no lookup and no queued request. */
static void key_release(struct resolver *rs, struct rkey *k)
{
	struct rkey **pp;

	if (k->lookups > 0 || k->qhead)
		return;
	for (pp = &rs->keys[k->hash % RESOLVER_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	rs->n_keys--;
	free(k);
}

static void queue_push(struct rkey *k, struct resolver_req *rq)
{
	rq->next = NULL;
	rq->prev = k->qtail;
	if (k->qtail)
		k->qtail->next = rq;
	else
		k->qhead = rq;
	k->qtail = rq;
}

static void queue_remove(struct rkey *k, struct resolver_req *rq)
{
	if (rq->prev)
		rq->prev->next = rq->next;
	else
		k->qhead = rq->next;
	if (rq->next)
		rq->next->prev = rq->prev;
	else
		k->qtail = rq->prev;
	rq->next = rq->prev = NULL;
}

/* ---- requests ------------------------------------------------------------- */

static void live_add(struct resolver *rs, struct resolver_req *rq)
{
	rq->dprev = NULL;
	rq->dnext = rs->live;
	if (rs->live)
		rs->live->dprev = rq;
	rs->live = rq;
}

static void live_remove(struct resolver *rs, struct resolver_req *rq)
{
	if (rq->dprev)
		rq->dprev->dnext = rq->dnext;
	else
		rs->live = rq->dnext;
	if (rq->dnext)
		rq->dnext->dprev = rq->dprev;
	rq->dnext = rq->dprev = NULL;
}

static void attach(struct lookup *lk, struct resolver_req *rq)
{
	rq->lk = lk;
	rq->prev = NULL;
	rq->next = lk->reqs;
	if (lk->reqs)
		lk->reqs->prev = rq;
	lk->reqs = rq;
}

static void detach(struct resolver_req *rq)
{
	struct lookup *lk = rq->lk;

	if (rq->prev)
		rq->prev->next = rq->next;
	else
		lk->reqs = rq->next;
	if (rq->next)
		rq->next->prev = rq->prev;
	rq->next = rq->prev = NULL;
	rq->lk = NULL;
}

/* Takes @p rq out of its lookup or queue and off the live list; the key is
 * released if that was its last use. */
static void unlink_req(struct resolver *rs, struct resolver_req *rq)
{
	struct rkey *k = rq->key;

	if (rq->lk)
		detach(rq);
	else
		queue_remove(k, rq);
	live_remove(rs, rq);
	rq->key = NULL;
	key_release(rs, k);
}

/* Appends @p rq (already unlinked) to the callbacks to run. */
static void ended_push(struct ended *e, struct resolver_req *rq, int rc, const char *why)
{
	rq->end_rc = rc;
	rq->end_why = why;
	rq->next = e->head;
	e->head = rq;
}

static void ended_run(struct ended *e, const struct sockaddr_storage *addr)
{
	while (e->head) {
		struct resolver_req *rq = e->head;
		e->head = rq->next;
		rq->next = NULL;
		rq->cb(rq, rq->end_rc, rq->end_rc == 0 ? addr : NULL, rq->end_why);
	}
}

/* ---- lookups ---------------------------------------------------------------- */

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *ai);

static struct lookup *lookup_find(const struct rkey *k, const char *host)
{
	for (struct lookup *lk = k->lks; lk; lk = lk->next)
		if (strcmp(lk->host, host) == 0)
			return lk;
	return NULL;
}

/* Starts a lookup of @p host for key @p k into *@p out.
 * @return 0, RW_ENOMEM or RW_EINVAL (with *why). */
static int lookup_launch(struct resolver *rs, struct rkey *k, const char *host, struct lookup **out,
                         const char **why)
{
	struct addrinfo hints;
	size_t n = strlen(host);
	struct lookup *lk = calloc(1, sizeof(*lk) + n + 1);
	int rc;

	if (!lk) {
		*why = "no memory for the name lookup";
		return RW_ENOMEM;
	}
	memcpy(lk->host, host, n + 1);
	lk->rs = rs;
	lk->key = k;
	lk->req.data = lk;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = rs->getaddrinfo(rs->loop, &lk->req, gai_cb, lk->host, NULL, &hints);
	if (rc < 0) {
		free(lk);
		*why = uv_strerror(rc);
		return rc == UV_ENOMEM ? RW_ENOMEM : RW_EINVAL;
	}
	lk->prev = NULL;
	lk->next = k->lks;
	if (k->lks)
		k->lks->prev = lk;
	k->lks = lk;
	k->lookups++;
	rs->lookups++;
	*out = lk;
	return 0;
}

/* Serves @p k's queue: requests for a host being looked up join that
 * lookup; the others start one while the key has room. */
static void pump(struct resolver *rs, struct rkey *k, struct ended *e)
{
	struct resolver_req *rq, *next;

	for (rq = k->qhead; rq; rq = next) {
		struct lookup *lk = lookup_find(k, rq->host);
		const char *why = NULL;
		int rc;

		next = rq->next;
		if (!lk && k->lookups >= RESOLVER_PER_KEY)
			continue;
		queue_remove(k, rq);
		if (lk) {
			rs->shared++;
			attach(lk, rq);
			continue;
		}
		rc = lookup_launch(rs, k, rq->host, &lk, &why);
		if (rc == 0) {
			attach(lk, rq);
			continue;
		}
		live_remove(rs, rq);
		rq->key = NULL;
		ended_push(e, rq, rc, why);
	}
}

static void maybe_closed(struct resolver *rs);

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
	struct lookup *lk = req->data;
	struct resolver *rs = lk->rs;
	struct rkey *k = lk->key;
	struct sockaddr_storage addr;
	struct ended e = {NULL};
	const struct addrinfo *a;
	const char *why = NULL;
	int rc = 0;

	for (a = ai; status == 0 && a; a = a->ai_next)
		if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
		    a->ai_addrlen <= sizeof(addr)) {
			memset(&addr, 0, sizeof(addr));
			memcpy(&addr, a->ai_addr, a->ai_addrlen);
			break;
		}
	uv_freeaddrinfo(ai);
	if (status == UV_ENOMEM) {
		rc = RW_ENOMEM;
		why = "no memory for the name lookup";
	} else if (status != 0) {
		rc = status == UV_ECANCELED ? RW_ECANCELED : RW_ENOENT;
		why = uv_strerror(status);
	} else if (!a) {
		rc = RW_ENOENT;
		why = "no IPv4 or IPv6 address";
	}
	while (lk->reqs) {
		struct resolver_req *rq = lk->reqs;
		detach(rq);
		live_remove(rs, rq);
		rq->key = NULL;
		ended_push(&e, rq, rc, why);
	}
	if (lk->prev)
		lk->prev->next = lk->next;
	else
		k->lks = lk->next;
	if (lk->next)
		lk->next->prev = lk->prev;
	k->lookups--;
	rs->lookups--;
	free(lk);
	if (!rs->closing)
		pump(rs, k, &e);
	key_release(rs, k);
	maybe_closed(rs);
	ended_run(&e, &addr);
}

/* ---- the deadline timer ----------------------------------------------------- */

static void timer_cb(uv_timer_t *t);

static void arm_at(struct resolver *rs, uint64_t due)
{
	uint64_t now = uv_now(rs->loop);

	rs->timer_due = due;
	if (due == UINT64_MAX)
		uv_timer_stop(&rs->timer);
	else
		uv_timer_start(&rs->timer, timer_cb, due > now ? due - now : 0, 0);
}

static void rearm(struct resolver *rs)
{
	uint64_t due = UINT64_MAX;

	for (struct resolver_req *rq = rs->live; rq; rq = rq->dnext)
		if (rq->deadline < due)
			due = rq->deadline;
	arm_at(rs, due);
}

static void timer_cb(uv_timer_t *t)
{
	struct resolver *rs = t->data;
	uint64_t now = uv_now(rs->loop);
	struct resolver_req *rq, *next;
	struct ended e = {NULL};

	for (rq = rs->live; rq; rq = next) {
		next = rq->dnext;
		if (rq->deadline > now)
			continue;
		unlink_req(rs, rq);
		rs->timeouts++;
		ended_push(&e, rq, RW_ETIMEDOUT, "no answer within the timeout");
	}
	rearm(rs);
	ended_run(&e, NULL);
}

/* ---- lifecycle -------------------------------------------------------------- */

void resolver_init(struct resolver *rs, uv_loop_t *loop)
{
	memset(rs, 0, sizeof(*rs));
	rs->loop = loop;
	rs->timer_due = UINT64_MAX;
	rs->getaddrinfo = uv_getaddrinfo;
	rs->cancel = uv_cancel;
	/* Cannot fail on a live loop: libuv only sets fields. */
	uv_timer_init(loop, &rs->timer);
	rs->timer.data = rs;
}

int resolver_start(struct resolver *rs, struct resolver_req *rq, const char *host, const char *key,
                   uint32_t timeout_ms, resolver_cb cb, const char **why)
{
	struct rkey *k;
	struct lookup *lk;
	int rc;

	*why = NULL;
	if (rs->closing)
		return RW_ECANCELED;
	k = key_get(rs, key ? key : "");
	if (!k) {
		*why = "no memory for the name lookup";
		return RW_ENOMEM;
	}
	rq->rs = rs;
	rq->key = k;
	rq->lk = NULL;
	rq->next = rq->prev = NULL;
	rq->host = host;
	rq->cb = cb;
	rq->deadline = uv_now(rs->loop) + timeout_ms;
	lk = lookup_find(k, host);
	if (lk) {
		rs->shared++;
	} else if (k->lookups < RESOLVER_PER_KEY) {
		rc = lookup_launch(rs, k, host, &lk, why);
		if (rc < 0) {
			key_release(rs, k);
			return rc;
		}
	}
	if (lk) {
		attach(lk, rq);
	} else {
		rs->queued++;
		queue_push(k, rq);
	}
	live_add(rs, rq);
	if (rq->deadline < rs->timer_due)
		arm_at(rs, rq->deadline);
	return 0;
}

void resolver_cancel(struct resolver *rs, struct resolver_req *rq)
{
	unlink_req(rs, rq);
	rq->cb(rq, RW_ECANCELED, NULL, "canceled");
}

unsigned resolver_key_lookups(const struct resolver *rs, const char *key)
{
	const struct rkey *k = key_find(rs, key, hash_str(key));
	return k ? k->lookups : 0;
}

static void timer_closed_cb(uv_handle_t *h)
{
	struct resolver *rs = h->data;

	if (rs->closed_cb)
		rs->closed_cb(rs);
}

/* Closing, and the last lookup returned: close the timer. */
static void maybe_closed(struct resolver *rs)
{
	if (!rs->closing || rs->lookups > 0 || uv_is_closing((uv_handle_t *)&rs->timer))
		return;
	uv_close((uv_handle_t *)&rs->timer, timer_closed_cb);
}

void resolver_close(struct resolver *rs, resolver_closed_cb cb)
{
	rs->closing = true;
	rs->closed_cb = cb;
	while (rs->live)
		resolver_cancel(rs, rs->live);
	/* Lookups not started yet are dropped from libuv's queue (their
	 * callback then runs with UV_ECANCELED); running ones are waited for. */
	for (size_t i = 0; i < RESOLVER_BUCKETS; i++)
		for (struct rkey *k = rs->keys[i]; k; k = k->next)
			for (struct lookup *lk = k->lks; lk; lk = lk->next)
				(void)rs->cancel((uv_req_t *)&lk->req);
	maybe_closed(rs);
}
