/* SPDX-License-Identifier: MIT */
/*
 * probe.c — HTTP probes over the easy-handle pool; see probe.h.
 *
 * A probe's life: prober_start() takes a handle from the pool (or makes one,
 * up to the cap), resolves the host if it is a name whose cached address has
 * expired (resolver.h: the lookup ends at the probe's timeout at the latest),
 * configures the handle with what is left of the timeout and adds it to the
 * multi handle. When curl is done, classify() turns the result into an error
 * class, the handle goes back to the pool, and the callback runs. The `live`
 * list holds every probe from start to callback (every state but IDLE), the
 * free list the IDLE ones, so shutdown can cancel each live probe exactly
 * once.
 *
 * A probe's states (probe_set_state() is the only writer of p->state and
 * checks every change against probe_transitions[]; an illegal one is
 * logged as an error):
 *
 *                prober_start()
 *      IDLE ----------------------> STARTING ---- a name to resolve ----> RESOLVING
 *      ^ ^ ^                         |  |  ^                                |  |
 *      | | |    could not start:     |  |  +---------- resolved ------------+  |
 *      | | +------ callback ---------+  |                                      |
 *      | |   (local, or dns)            | curluv_add() ok                      |
 *      | |                              v                                      |
 *      | +---- curl done, aborted ---TRANSFER                                  |
 *      |       or glue failure:                                                |
 *      |       callback                                                        |
 *      +------ lookup failed or timed out (dns), canceled: callback -----------+
 *
 *   from \ to    IDLE  STARTING  RESOLVING  TRANSFER
 *   IDLE                   x
 *   STARTING       x                  x          x
 *   RESOLVING      x       x
 *   TRANSFER       x
 *
 * finish() is the one way back to IDLE: the runner is released, the handle
 * goes back to the pool (or is freed once the prober is closing), then the
 * callback runs. A TRANSFER probe is canceled by curluv_abort(), a
 * RESOLVING one by resolver_cancel(); both end it at once (a lookup still
 * running is the resolver's to wait for, not the probe's).
 *
 * The prober's own states (prober_set_state(), prober_transitions[]):
 *
 *   OPEN --prober_close()--> DRAINING --no probe live--> CLOSING --both closed--> CLOSED
 *                          (live probes     (pool freed,           (closed_cb runs)
 *                           canceled)        curluv_close(),
 *                                            resolver_close())
 *
 *   from \ to    OPEN  DRAINING  CLOSING  CLOSED
 *   OPEN                   x
 *   DRAINING                         x
 *   CLOSING                                   x
 *   CLOSED
 *
 * Transitions are logged at debug level (old -> new): at thousands of
 * probes a second anything louder would cost more than the probes.
 */
#include "monitor/probe/probe.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "monitor/core/log.h"
#include "policy/base/rw_error.h"

enum probe_state {
	PROBE_IDLE,      /* in the pool (free list), no runner */
	PROBE_STARTING,  /* taken for a runner: neither resolving nor in the multi handle */
	PROBE_RESOLVING, /* a resolver request is live */
	PROBE_TRANSFER,  /* in the multi handle */
	PROBE_STATE_COUNT
};

static const char *const probe_state_names[PROBE_STATE_COUNT] = {
        [PROBE_IDLE] = "idle",
        [PROBE_STARTING] = "starting",
        [PROBE_RESOLVING] = "resolving",
        [PROBE_TRANSFER] = "transfer",
};

/* The table of the file header: bit `to` of row `from`. */
static const uint8_t probe_transitions[PROBE_STATE_COUNT] = {
        [PROBE_IDLE] = 1u << PROBE_STARTING,
        [PROBE_STARTING] = 1u << PROBE_IDLE | 1u << PROBE_RESOLVING | 1u << PROBE_TRANSFER,
        [PROBE_RESOLVING] = 1u << PROBE_IDLE | 1u << PROBE_STARTING,
        [PROBE_TRANSFER] = 1u << PROBE_IDLE,
};

static const char *const prober_state_names[] = {
        [PROBER_OPEN] = "open",
        [PROBER_DRAINING] = "draining",
        [PROBER_CLOSING] = "closing",
        [PROBER_CLOSED] = "closed",
};

static const uint8_t prober_transitions[] = {
        [PROBER_OPEN] = 1u << PROBER_DRAINING,
        [PROBER_DRAINING] = 1u << PROBER_CLOSING,
        [PROBER_CLOSING] = 1u << PROBER_CLOSED,
        [PROBER_CLOSED] = 0,
};

struct probe {
	CURL *easy;
	struct prober *pr;
	struct runner *r;
	enum probe_state state;
	struct probe *next, *prev; /* live list, or free list (next only) */
	struct curl_slist *resolve;
	struct resolver_req rq;
	uint64_t start_loop; /* uv_now() when it started: the timeout counts from here */
	bool guard_refused;
	bool too_large;
	bool oom;        /* the body could not be stored: the monitor's failure */
	bool configured; /* the options shared by every probe are set */
	int64_t t_ms;
	size_t body_len;
	size_t body_cap;
	char *body; /* grown on demand up to PROBE_BODY_MAX + 1: most are tiny */
	char guard_reason[48];
	char errbuf[CURL_ERROR_SIZE];
	/* "-HOST:PORT" of this handle's previous transfer: see set_resolve(). */
	char prev_key[RUNNER_HOST_MAX + 8];
};

/* Logs a transition: debug for a legal one, error for one the table does
 * not allow (a bug: the change is made anyway, as the caller's next steps
 * assume it, but it is counted so tests catch it). */
static void log_transition(struct prober *pr, const char *machine, const char *from, const char *to,
                           int64_t runner_id, bool legal)
{
	struct logline l;

	if (!legal)
		pr->bad_transitions++;
	if (log_begin(&l, legal ? RW_LOG_DEBUG : RW_LOG_ERROR,
	              legal ? "state change" : "illegal state change")) {
		log_str(&l, "machine", machine);
		log_str(&l, "from", from);
		log_str(&l, "to", to);
		if (runner_id)
			log_int(&l, "runner_id", runner_id);
		log_end(&l);
	}
}

/* The one writer of p->state. */
static void probe_set_state(struct probe *p, enum probe_state to)
{
	enum probe_state from = p->state;

	log_transition(p->pr, "probe", probe_state_names[from], probe_state_names[to],
	               p->r ? p->r->id : 0, (probe_transitions[from] >> to) & 1u);
	p->state = to;
}

/* The one writer of pr->state. */
static void prober_set_state(struct prober *pr, enum prober_state to)
{
	enum prober_state from = pr->state;

	log_transition(pr, "prober", prober_state_names[from], prober_state_names[to], 0,
	               (prober_transitions[from] >> to) & 1u);
	pr->state = to;
}

static void live_add(struct prober *pr, struct probe *p)
{
	p->prev = NULL;
	p->next = pr->live;
	if (pr->live)
		pr->live->prev = p;
	pr->live = p;
	pr->in_flight++;
}

static void live_remove(struct prober *pr, struct probe *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		pr->live = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pr->in_flight--;
}

static void probe_free(struct probe *p)
{
	if (!p)
		return;
	curl_easy_cleanup(p->easy);
	curl_slist_free_all(p->resolve);
	free(p->body);
	free(p);
}

static void maybe_closed(struct prober *pr);

/* Ends a probe: back to the pool, then the callback. */
static void finish(struct probe *p, struct probe_result *res)
{
	struct prober *pr = p->pr;
	struct runner *r = p->r;

	probe_set_state(p, PROBE_IDLE);
	live_remove(pr, p);
	r->inflight = NULL;
	curl_slist_free_all(p->resolve);
	p->resolve = NULL;
	p->r = NULL;
	if (p->body_cap > 4096) { /* a rare big body: do not keep it pooled */
		free(p->body);
		p->body = NULL;
		p->body_cap = 0;
	}
	if (pr->state != PROBER_OPEN) {
		probe_free(p);
		pr->n_alloc--;
	} else {
		p->next = pr->free_list;
		pr->free_list = p;
	}
	pr->done_cb(pr, r, res);
	if (pr->state == PROBER_DRAINING)
		maybe_closed(pr);
}

static void result_init(struct probe_result *res, const struct probe *p)
{
	memset(res, 0, sizeof(*res));
	res->t_ms = p->t_ms;
	res->latency_us = -1;
}

/* The monitor's own failure: the runner was not seen, so nothing is
 * charged to it (probe_result.local). */
static void local_failure(struct probe_result *res, const char *what, int rc)
{
	res->local = true;
	res->cls = RW_ERRCLASS_NONE;
	snprintf(res->detail, sizeof(res->detail), "monitor: %s: %s", what, rw_strerror(rc));
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct probe *p = userp;
	size_t n = size * nmemb;

	if (p->body_len + n > PROBE_BODY_MAX) {
		p->too_large = true;
		return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
	}
	if (p->body_len + n + 1 > p->body_cap) {
		size_t ncap = p->body_cap ? p->body_cap : 512;
		char *nb;
		while (ncap < p->body_len + n + 1)
			ncap *= 2;
		nb = realloc(p->body, ncap);
		if (!nb) {
			p->oom = true;
			return 0; /* curl ends the transfer; done_cb reports it as ours */
		}
		p->body = nb;
		p->body_cap = ncap;
	}
	memcpy(p->body + p->body_len, data, n);
	p->body_len += n;
	return n;
}

static curl_socket_t opensocket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct probe *p = clientp;
	const char *why;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	why = guard_check_sockaddr(p->pr->guard, &a->addr);
	if (why) {
		p->guard_refused = true;
		snprintf(p->guard_reason, sizeof(p->guard_reason), "%s", why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static bool is_tls_error(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED: return true;
	default: return false;
	}
}

/* Reads the optional {"busy": bool, "version": str} body of a 2xx answer.
 * Only a body that says it is JSON is parsed; a broken one is class body. */
static enum rw_errclass check_body(struct probe *p, struct probe_result *res)
{
	char *ctype = NULL;
	cJSON *doc, *busy;

	curl_easy_getinfo(p->easy, CURLINFO_CONTENT_TYPE, &ctype);
	if (!ctype || strncasecmp(ctype, "application/json", 16) != 0 || p->body_len == 0)
		return RW_ERRCLASS_NONE;
	p->body[p->body_len] = '\0';
	doc = cJSON_ParseWithLength(p->body, p->body_len);
	if (!doc || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		snprintf(res->detail, sizeof(res->detail), "the JSON body does not parse");
		return RW_ERRCLASS_BODY;
	}
	busy = cJSON_GetObjectItemCaseSensitive(doc, "busy");
	if (busy && !cJSON_IsBool(busy)) {
		cJSON_Delete(doc);
		snprintf(res->detail, sizeof(res->detail), "\"busy\" is not true or false");
		return RW_ERRCLASS_BODY;
	}
	res->busy = cJSON_IsTrue(busy);
	cJSON_Delete(doc);
	return RW_ERRCLASS_NONE;
}

static void classify(struct probe *p, CURLcode result, struct probe_result *res)
{
	long code = 0;
	curl_off_t total_us = -1;

	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
	res->http_status = (int)code;
	if (code > 0 && curl_easy_getinfo(p->easy, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK)
		res->latency_us = total_us > INT32_MAX ? INT32_MAX : (int32_t)total_us;

	if (result == CURLE_OK) {
		if (code < 200 || code > 299) {
			res->cls = RW_ERRCLASS_HTTP_STATUS;
			snprintf(res->detail, sizeof(res->detail), "HTTP status %ld", code);
		} else {
			res->cls = check_body(p, res);
		}
		return;
	}
	snprintf(res->detail, sizeof(res->detail), "%s",
	         p->errbuf[0] ? p->errbuf : curl_easy_strerror(result));
	if (p->guard_refused) {
		res->cls = RW_ERRCLASS_REFUSED_BY_GUARD;
		snprintf(res->detail, sizeof(res->detail), "address refused by the guard: %s",
		         p->guard_reason);
	} else if (p->too_large || result == CURLE_FILESIZE_EXCEEDED) {
		res->cls = RW_ERRCLASS_TOO_LARGE;
	} else if (result == CURLE_COULDNT_RESOLVE_HOST || result == CURLE_COULDNT_RESOLVE_PROXY) {
		res->cls = RW_ERRCLASS_DNS;
	} else if (result == CURLE_OPERATION_TIMEDOUT) {
		res->cls = RW_ERRCLASS_TIMEOUT;
	} else if (is_tls_error(result)) {
		res->cls = RW_ERRCLASS_TLS;
	} else if (result == CURLE_TOO_MANY_REDIRECTS) {
		res->cls = RW_ERRCLASS_HTTP_STATUS;
	} else {
		/* No answer yet: the connection failed; after one: the body. */
		res->cls = code == 0 ? RW_ERRCLASS_CONNECT : RW_ERRCLASS_BODY;
	}
}

static void done_cb(struct curluv *cu, CURL *easy, CURLcode result, int rc)
{
	struct probe *p = NULL;
	struct probe_result res;
	(void)cu;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&p);
	result_init(&res, p);
	if (rc == RW_ECANCELED)
		res.canceled = true;
	else if (rc < 0)
		local_failure(&res, "the transfer could not be driven", rc);
	else if (p->oom)
		local_failure(&res, "no memory for the body", RW_ENOMEM);
	else
		classify(p, result, &res);
	finish(p, &res);
}

static int configure(struct probe *p)
{
	struct runner *r = p->r;
	CURL *e = p->easy;
	CURLcode c = CURLE_OK;
	/* What the name lookup left of the timeout (at least 1 ms: 0 would
	 * mean no timeout to curl). */
	uint64_t spent = uv_now(p->pr->loop) - p->start_loop;
	long left_ms = spent < r->timeout_ms ? (long)(r->timeout_ms - spent) : 1;

	p->errbuf[0] = '\0';
	p->body_len = 0;
	p->too_large = false;
	p->oom = false;
	p->guard_refused = false;
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(e, opt, val);                                         \
	} while (0)
	/* What every probe shares is set once per pooled handle, not reset
	 * and set again per probe (curl_easy_reset and twenty setopts cost
	 * ~15 allocations a probe). Options persist across transfers. */
	if (!p->configured) {
		SET(CURLOPT_PRIVATE, p);
		SET(CURLOPT_ERRORBUFFER, p->errbuf);
		SET(CURLOPT_NOSIGNAL, 1L);
		SET(CURLOPT_PROTOCOLS_STR, "http,https");
		SET(CURLOPT_FOLLOWLOCATION, 0L);
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PROBE_BODY_MAX);
		SET(CURLOPT_WRITEFUNCTION, write_cb);
		SET(CURLOPT_WRITEDATA, p);
		SET(CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
		SET(CURLOPT_OPENSOCKETDATA, p);
		SET(CURLOPT_FORBID_REUSE, 1L);
		SET(CURLOPT_FRESH_CONNECT, 1L);
		SET(CURLOPT_DNS_CACHE_TIMEOUT, -1L);
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
		SET(CURLOPT_USERAGENT, p->pr->user_agent);
		SET(CURLOPT_TCP_NODELAY, 1L);
		/* libcurl 7.88 keeps a receive buffer of this size in every
		 * easy handle, pooled or not (16 KiB by default): health
		 * answers are a few hundred bytes, and a big one only takes
		 * more write callbacks. */
		SET(CURLOPT_BUFFERSIZE, PROBE_RECV_BUFFER);
		if (c == CURLE_OK)
			c = curluv_easy_trust(e); /* the CA store is cached: curluv.h */
		p->configured = c == CURLE_OK;
	}
	/* What differs between runners is set for every probe (the resolve
	 * list too when empty, so none is left from the previous probe). */
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_TIMEOUT_MS, left_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, left_ms);
	SET(CURLOPT_RESOLVE, p->resolve);
#undef SET
	return c == CURLE_OK ? 0 : (c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL);
}

/* The CURLOPT_RESOLVE list of a transfer.
 *
 * Curl keeps an entry per HOST:PORT in the multi handle's DNS cache, IP
 * literals included, and with CURLOPT_DNS_CACHE_TIMEOUT -1 it never drops
 * one: with 10,000 runners the cache holds 10,000 entries in a hash of a few
 * dozen slots, and every transfer's lookup walks a chain of ~140 of them
 * (measured: ~9 % of a probe's CPU, tests/bench/probe_bench.sh). So each
 * handle first removes the entry its previous transfer left ("-HOST:PORT",
 * libcurl >= 7.42) and the cache holds at most one entry per pooled handle.
 * An entry another transfer is still using stays alive until that transfer
 * is done (curl reference-counts them). Curl's removal syntax cannot name an
 * IPv6 literal (the host ends at the first ':'), so those entries stay:
 * one per IPv6-literal runner at most.
 *
 * Then, for a host name, the address we resolved and cached ourselves, so
 * curl does not resolve. */
static int set_resolve(struct probe *p)
{
	struct runner *r = p->r;
	struct curl_slist *list = NULL, *l;
	char ip[INET6_ADDRSTRLEN], line[RUNNER_HOST_MAX + INET6_ADDRSTRLEN + 16];
	const void *src;

	curl_slist_free_all(p->resolve);
	p->resolve = NULL;
	if (p->prev_key[0]) {
		list = curl_slist_append(NULL, p->prev_key);
		if (!list)
			return RW_ENOMEM;
	}
	if (strchr(r->host, ':'))
		p->prev_key[0] = '\0';
	else
		snprintf(p->prev_key, sizeof(p->prev_key), "-%s:%d", r->host, r->port);
	if (!r->host_is_ip) {
		if (r->addr.sa.sa_family == AF_INET6)
			src = &r->addr.in6.sin6_addr;
		else
			src = &r->addr.in.sin_addr;
		if (!inet_ntop(r->addr.sa.sa_family, src, ip, sizeof(ip))) {
			curl_slist_free_all(list);
			return RW_EINVAL;
		}
		snprintf(line, sizeof(line),
		         r->addr.sa.sa_family == AF_INET6 ? "%s:%d:[%s]" : "%s:%d:%s", r->host,
		         r->port, ip);
		l = curl_slist_append(list, line);
		if (!l) {
			curl_slist_free_all(list);
			return RW_ENOMEM;
		}
		list = l;
	}
	p->resolve = list;
	return 0;
}

/* Configures and adds the transfer; on failure finishes the probe as the
 * monitor's own failure (the probe was started, so its callback must run). */
static void launch(struct probe *p)
{
	struct probe_result res;
	int rc = 0;

	rc = set_resolve(p);
	if (rc == 0)
		rc = configure(p);
	if (rc == 0)
		rc = curluv_add(&p->pr->cu, p->easy);
	if (rc == 0) {
		probe_set_state(p, PROBE_TRANSFER);
		return;
	}
	result_init(&res, p);
	if (rc == RW_ECANCELED)
		res.canceled = true;
	else
		local_failure(&res, "could not start the transfer", rc);
	finish(p, &res);
}

static void resolved_cb(struct resolver_req *rq, int rc, const struct sockaddr_storage *addr,
                        const char *why)
{
	struct probe *p = rq->data;
	struct prober *pr = p->pr;
	struct probe_result res;

	if (rc == 0) {
		/* The resolver answers AF_INET or AF_INET6 only. */
		memcpy(&p->r->addr, addr,
		       addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                   : sizeof(struct sockaddr_in));
		p->r->addr_expires = uv_now(pr->loop) + PROBE_DNS_TTL_MS;
		probe_set_state(p, PROBE_STARTING);
		launch(p);
		return;
	}
	result_init(&res, p);
	if (rc == RW_ECANCELED) {
		res.canceled = true;
	} else if (rc == RW_ENOMEM) {
		local_failure(&res, "could not look the name up", RW_ENOMEM);
	} else {
		res.cls = RW_ERRCLASS_DNS;
		if (rc == RW_ETIMEDOUT)
			snprintf(res.detail, sizeof(res.detail),
			         "%s: the name lookup took longer than the timeout (%" PRIu32
			         " ms)",
			         p->r->host, p->r->timeout_ms);
		else
			snprintf(res.detail, sizeof(res.detail), "%s: %s", p->r->host, why);
	}
	finish(p, &res);
}

int prober_init(struct prober *pr, uv_loop_t *loop, const struct guard *guard,
                struct rw_clock *clock, size_t max, probe_done_cb cb)
{
	int rc;

	memset(pr, 0, sizeof(*pr));
	pr->loop = loop;
	pr->guard = guard;
	pr->clock = clock;
	pr->max = max;
	pr->done_cb = cb;
	snprintf(pr->user_agent, sizeof(pr->user_agent), "runwarden/%s", RW_VERSION);
	/* A small connection cache: probes never reuse connections. The glue
	 * first: a failure there leaves nothing to close. */
	rc = curluv_init(&pr->cu, loop, done_cb, 16);
	if (rc < 0)
		return rc;
	resolver_init(&pr->rs, loop);
	pr->rs.data = pr;
	return 0;
}

void prober_set_vantage(struct prober *pr, const char *name)
{
	snprintf(pr->user_agent, sizeof(pr->user_agent), "runwarden/%s (vantage %s)", RW_VERSION,
	         name);
}

int prober_start(struct prober *pr, struct runner *r)
{
	struct probe_result res;
	struct probe *p;
	const char *why = NULL;
	int rc;

	if (pr->state != PROBER_OPEN)
		return RW_ECANCELED;
	if (pr->in_flight >= pr->max)
		return RW_EBUSY;
	p = pr->free_list;
	if (p) {
		pr->free_list = p->next;
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		p->easy = curl_easy_init();
		if (!p->easy) {
			free(p);
			return RW_ENOMEM;
		}
		p->pr = pr;
		p->state = PROBE_IDLE;
		p->rq.data = p;
		pr->n_alloc++;
	}
	p->r = r;
	p->t_ms = clock_now_ms(pr->clock);
	p->start_loop = uv_now(pr->loop);
	r->inflight = p;
	live_add(pr, p);
	probe_set_state(p, PROBE_STARTING);

	if (r->host_is_ip || uv_now(pr->loop) < r->addr_expires) {
		launch(p);
		return 0;
	}
	/* One operator's names share RESOLVER_PER_KEY lookups: resolver.h. */
	rc = resolver_start(&pr->rs, &p->rq, r->host, r->operator_name ? r->operator_name : "",
	                    r->timeout_ms, resolved_cb, &why);
	if (rc == 0) {
		probe_set_state(p, PROBE_RESOLVING);
		return 0;
	}
	/* Out of memory is the monitor's failure; anything else (a name
	 * libuv will not convert) is the name's. */
	result_init(&res, p);
	if (rc == RW_ENOMEM) {
		local_failure(&res, "could not start the name lookup", RW_ENOMEM);
	} else {
		res.cls = RW_ERRCLASS_DNS;
		snprintf(res.detail, sizeof(res.detail), "%s: %s", r->host,
		         why ? why : rw_strerror(rc));
	}
	finish(p, &res);
	return 0;
}

/* CLOSING: the glue or the resolver closed; the second one ends it. */
static void closed_one(struct prober *pr)
{
	if (--pr->pending_closes > 0)
		return;
	prober_set_state(pr, PROBER_CLOSED);
	if (pr->closed_cb)
		pr->closed_cb(pr);
}

static void cu_closed_cb(struct curluv *cu)
{
	closed_one((struct prober *)((char *)cu - offsetof(struct prober, cu)));
}

static void rs_closed_cb(struct resolver *rs)
{
	closed_one(rs->data);
}

/* DRAINING: once no probe is live, free the pool and close curl's handles
 * and the resolver (which waits for lookups still running). */
static void maybe_closed(struct prober *pr)
{
	if (pr->live || pr->state != PROBER_DRAINING)
		return;
	prober_set_state(pr, PROBER_CLOSING);
	while (pr->free_list) {
		struct probe *p = pr->free_list;
		pr->free_list = p->next;
		probe_free(p);
		pr->n_alloc--;
	}
	pr->pending_closes = 2;
	curluv_close(&pr->cu, cu_closed_cb);
	resolver_close(&pr->rs, rs_closed_cb);
}

void prober_close(struct prober *pr, prober_closed_cb cb)
{
	struct probe *p, *next;

	prober_set_state(pr, PROBER_DRAINING);
	pr->closed_cb = cb;
	for (p = pr->live; p; p = next) {
		next = p->next;
		if (p->state == PROBE_TRANSFER)
			curluv_abort(&pr->cu, p->easy); /* runs done_cb → finish */
		else if (p->state == PROBE_RESOLVING)
			resolver_cancel(&pr->rs, &p->rq); /* runs resolved_cb → finish */
	}
	maybe_closed(pr);
}
