/* SPDX-License-Identifier: MIT */
/*
 * gate.c — every API connection's request head, read before h2o sees it.
 *
 * Why: libh2o 2.2 has no setting for the size of a request head. Its
 * HTTP/1 parser buffers up to H2O_MAX_REQLEN per connection (8 KiB +
 * 4 KiB × H2O_MAX_HEADERS = 408 KiB, a constant compiled into the library:
 * lib/http1.c, handle_incoming_request) before it answers 400, and it does
 * so before any handler runs, so before authentication: 1,000 connections
 * sending 400 KB of unfinished headers took the daemon from 13 to 406 MiB.
 * So the server reads each connection's head itself, into a buffer of its
 * own of at most GATE_HEAD_MAX bytes (request line, headers and the blank
 * line). A head that does not end within them is answered 431 with a
 * problem; what the client still sends is then read and dropped for up to
 * GATE_LINGER_MS, so that the client reads the answer rather than a reset,
 * and the connection closes. A complete head is handed to h2o with every
 * byte read so far: they go into the h2o socket's input buffer, which h2o
 * parses before it reads more (lib/http1.c, reqread_start).
 *
 * The gate sees a connection's first request only, so the API answers one
 * request per connection (api.c makes every request non-persistent: h2o
 * answers "Connection: close" and closes), and HTTP/2 without TLS (h2c),
 * whose header blocks h2o also buffers up to H2O_MAX_REQLEN, is off.
 *
 * The connection cap and /healthz: a connection over max_connections is
 * still accepted, into a reserve of at most GATE_RESERVE connections, for
 * at most GATE_RESERVE_MS. If its head is a GET or HEAD of /healthz, the
 * gate answers it itself (the 200 {"status":"ok"} that h2o would send);
 * anything else, a head that is slow to come, or a full reserve, is closed
 * as every connection over the cap was before. So a flood that holds every
 * connection the cap allows does not make the monitor look dead to its
 * health checks, and the reserve costs at most GATE_RESERVE heads of
 * GATE_HEAD_MAX bytes for GATE_RESERVE_MS each. (A flood of new
 * connections faster than GATE_RESERVE per GATE_RESERVE_MS can still keep
 * the reserve full: the cap then holds, as it must.)
 *
 * A connection's phases (conn_set_phase() is the one writer of c->phase and
 * checks every change against phase_transitions[]):
 *
 *   accept --> GATE ---- head complete, under the cap ----------> H2O (h2o's)
 *               |  \---- /healthz over the cap: 200 ---> ANSWERING --written--> CLOSING
 *               |   \--- GATE_HEAD_MAX bytes, no end: 431 -> ANSWERING --written--> LINGER
 *               |                                                                    |
 *               +-- EOF, error, deadline, other request over the cap, shutdown       |
 *                                   v                                EOF, deadline   |
 *                                CLOSING <-------------------------------------------+
 *
 *   from \ to    GATE  H2O  ANSWERING  LINGER  CLOSING
 *   GATE                x       x                 x
 *   H2O
 *   ANSWERING                             x       x
 *   LINGER                                        x
 *   CLOSING
 *
 * Invariant: a connection is on api->gated exactly while its phase is GATE,
 * ANSWERING or LINGER; the gate's timer runs while that list is not empty.
 */
#include <h2o.h>
#include <h2o/socket/uv-binding.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/api_impl.h"
#include "monitor/core/log.h"
#include "monitor/core/metrics.h"

#define GATE_HEAD_MAX   16384 /* bytes of a request head, its blank line included */
#define GATE_HEAD_FIRST 2048  /* the head buffer's first size; it doubles up to the max */
#define GATE_RESERVE_MS 250   /* how long one of them may take to send its head */
#define GATE_LINGER_MS  1000  /* how long the client's bytes are dropped after a 431 */
#define GATE_TICK_MS    100   /* the deadlines' resolution */

static const char *const phase_names[CONN_PHASE_COUNT] = {
        [CONN_GATE] = "gate",     [CONN_H2O] = "h2o",         [CONN_ANSWERING] = "answering",
        [CONN_LINGER] = "linger", [CONN_CLOSING] = "closing",
};

/* The table of the file header: bit `to` of row `from`. */
static const uint8_t phase_transitions[CONN_PHASE_COUNT] = {
        [CONN_GATE] = 1u << CONN_H2O | 1u << CONN_ANSWERING | 1u << CONN_CLOSING,
        [CONN_ANSWERING] = 1u << CONN_LINGER | 1u << CONN_CLOSING,
        [CONN_LINGER] = 1u << CONN_CLOSING,
};

static const char healthz_answer[] = "HTTP/1.1 200 OK\r\n"
                                     "Content-Type: application/json\r\n"
                                     "Cache-Control: no-store\r\n"
                                     "Content-Length: 16\r\n"
                                     "Connection: close\r\n"
                                     "\r\n"
                                     "{\"status\":\"ok\"}\n";

#define TOO_LARGE_BODY                                                                             \
	"{\"type\":\"about:blank\",\"title\":\"Request Header Fields Too Large\",\"status\":431,"  \
	"\"detail\":\"the request line and headers take more than 16384 bytes; at most 16384 "     \
	"are accepted\"}\n"

_Static_assert(sizeof(TOO_LARGE_BODY) - 1 == 173, "the 431's Content-Length");

static const char too_large_answer[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                       "Content-Type: application/problem+json\r\n"
                                       "Cache-Control: no-store\r\n"
                                       "Content-Length: 173\r\n"
                                       "Connection: close\r\n"
                                       "\r\n" TOO_LARGE_BODY;

/* Changes @p c's phase; a change the table forbids is a bug: logged, and
 * made anyway (the caller's next steps assume it). */
static void conn_set_phase(struct conn *c, enum conn_phase to)
{
	if (!((phase_transitions[c->phase] >> to) & 1u)) {
		struct logline l;
		if (log_begin(&l, RW_LOG_ERROR, "illegal state change")) {
			log_str(&l, "machine", "api connection");
			log_str(&l, "from", phase_names[c->phase]);
			log_str(&l, "to", phase_names[to]);
			log_end(&l);
		}
	}
	c->phase = to;
}

static void timer_cb(uv_timer_t *t);

static void gated_add(struct api *api, struct conn *c)
{
	c->gprev = NULL;
	c->gnext = api->gated;
	if (api->gated)
		api->gated->gprev = c;
	else
		uv_timer_start(&api->gate_timer, timer_cb, GATE_TICK_MS, GATE_TICK_MS);
	api->gated = c;
}

static void gated_remove(struct api *api, struct conn *c)
{
	if (c->gprev)
		c->gprev->gnext = c->gnext;
	else
		api->gated = c->gnext;
	if (c->gnext)
		c->gnext->gprev = c->gprev;
	c->gprev = c->gnext = NULL;
	if (!api->gated)
		uv_timer_stop(&api->gate_timer);
}

/* Closes a connection the gate holds; gate_closed() forgets it once the
 * handle is closed. */
static void gate_close(struct conn *c)
{
	if (c->phase == CONN_CLOSING)
		return;
	conn_set_phase(c, CONN_CLOSING);
	uv_close((uv_handle_t *)&c->tcp, c->api->conn_close_cb);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)suggested;

	if (c->phase != CONN_GATE) { /* answered: read and drop */
		buf->base = c->api->gate_drop;
		buf->len = sizeof(c->api->gate_drop);
		return;
	}
	if (c->head_len == c->head_cap) {
		size_t cap = c->head_cap ? c->head_cap * 2 : GATE_HEAD_FIRST;
		char *nb = cap <= GATE_HEAD_MAX ? realloc(c->head, cap) : NULL;
		if (!nb) {
			buf->base = NULL; /* libuv then reports UV_ENOBUFS: closed */
			buf->len = 0;
			return;
		}
		c->head = nb;
		c->head_cap = cap;
	}
	buf->base = c->head + c->head_len;
	buf->len = c->head_cap - c->head_len;
}

/* Where the head ends in c->head (just past its blank line), or 0.
 * picohttpparser takes a bare "\n\n" as well as "\r\n\r\n". */
static size_t head_end(const struct conn *c, size_t from)
{
	for (size_t i = from; i + 1 < c->head_len; i++) {
		if (c->head[i] != '\n')
			continue;
		if (c->head[i + 1] == '\n')
			return i + 2;
		if (i + 2 < c->head_len && c->head[i + 1] == '\r' && c->head[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Whether the head is a GET or HEAD of /healthz (query or not). */
static bool is_healthz(const struct conn *c, bool *head)
{
	static const char path[] = "/healthz";
	const char *p = c->head, *end = c->head + c->head_len;
	size_t m;

	*head = c->head_len > 5 && memcmp(p, "HEAD ", 5) == 0;
	if (*head)
		m = 5;
	else if (c->head_len > 4 && memcmp(p, "GET ", 4) == 0)
		m = 4;
	else
		return false;
	p += m;
	return (size_t)(end - p) > sizeof(path) - 1 && memcmp(p, path, sizeof(path) - 1) == 0 &&
	       (p[sizeof(path) - 1] == ' ' || p[sizeof(path) - 1] == '?');
}

static void write_cb(uv_write_t *w, int status)
{
	struct conn *c = w->data;

	if (c->phase != CONN_ANSWERING) /* closed meanwhile: the write was canceled */
		return;
	if (status < 0 || !c->linger) {
		gate_close(c);
		return;
	}
	conn_set_phase(c, CONN_LINGER);
	c->deadline = uv_now(c->api->x.loop) + GATE_LINGER_MS;
}

/* Writes @p len bytes of a static answer; after it, the connection closes
 * or, when @p linger, drops what the client still sends for a while. */
static void answer(struct conn *c, const char *text, size_t len, bool linger)
{
	uv_buf_t b = uv_buf_init((char *)text, (unsigned)len);

	conn_set_phase(c, CONN_ANSWERING);
	free(c->head);
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	c->linger = linger;
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0)
		gate_close(c);
}

/* A complete head: to h2o with every byte read, or (over the cap) the
 * gate's /healthz answer. */
static void hand_over(struct api *api, struct conn *c)
{
	h2o_socket_t *sock;
	h2o_iovec_t buf;
	bool head;

	if (c->reserve) {
		api->x.m->http_requests++;
		if (!is_healthz(c, &head)) {
			api->x.m->http_conns_refused++;
			gate_close(c);
			return;
		}
		answer(c, healthz_answer,
		       head ? sizeof(healthz_answer) - 1 - 16 : sizeof(healthz_answer) - 1, false);
		return;
	}
	uv_read_stop((uv_stream_t *)&c->tcp);
	gated_remove(api, c);
	conn_set_phase(c, CONN_H2O);
	sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, api->conn_close_cb);
	if (!sock) {
		free(c->head);
		c->head = NULL;
		c->phase = CONN_CLOSING; /* not the gate's any more: no table to check */
		uv_close((uv_handle_t *)&c->tcp, api->conn_close_cb);
		return;
	}
	/* h2o aborts the process when it cannot reserve: as it would have
	 * reading the same bytes itself. */
	buf = h2o_buffer_reserve(&sock->input, c->head_len);
	memcpy(buf.base, c->head, c->head_len);
	sock->input->size += c->head_len;
	free(c->head);
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	h2o_accept(&api->accept_ctx, sock);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	size_t from, end;
	(void)buf;

	if (nread < 0) {
		gate_close(c);
		return;
	}
	if (nread == 0 || c->phase != CONN_GATE)
		return;
	from = c->head_len > 3 ? c->head_len - 3 : 0;
	c->head_len += (size_t)nread;
	end = head_end(c, from);
	if (end) {
		hand_over(c->api, c);
	} else if (c->head_len >= GATE_HEAD_MAX) {
		c->api->x.m->http_requests++;
		c->api->x.m->http_errors++;
		answer(c, too_large_answer, sizeof(too_large_answer) - 1, true);
	}
}

static void timer_cb(uv_timer_t *t)
{
	struct api *api = t->data;
	uint64_t now = uv_now(api->x.loop);
	struct conn *c, *next;

	for (c = api->gated; c; c = next) {
		next = c->gnext;
		if (c->deadline > now)
			continue;
		if (c->reserve && c->phase == CONN_GATE)
			api->x.m->http_conns_refused++;
		gate_close(c);
	}
}

void gate_accept(struct api *api, struct conn *c, bool reserve)
{
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	c->phase = CONN_GATE;
	c->reserve = reserve;
	c->tcp.data = c;
	c->deadline = uv_now(api->x.loop) + (reserve ? GATE_RESERVE_MS : API_IDLE_MS);
	api->conns_reserve += reserve;
	gated_add(api, c);
	if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) < 0)
		gate_close(c);
}

void gate_closed(struct api *api, struct conn *c)
{
	if (c->gprev || c->gnext || api->gated == c)
		gated_remove(api, c);
	api->conns_reserve -= c->reserve;
	free(c->head);
	c->head = NULL;
}

void gate_init(struct api *api)
{
	/* Cannot fail on a live loop: libuv only sets fields. */
	uv_timer_init(api->x.loop, &api->gate_timer);
	api->gate_timer.data = api;
}

void gate_stop(struct api *api)
{
	struct conn *c, *next;

	for (c = api->gated; c; c = next) {
		next = c->gnext;
		gate_close(c);
	}
}
