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
 * TLS (api_ctx.tls_cert_file). The gate must see the request head in
 * clear to cap it, so h2o's own TLS accept is not used: h2o_accept() with
 * accept_ctx.ssl_ctx set would run the handshake and hand the decrypted
 * stream straight to its HTTP/1 (or, by ALPN, HTTP/2) parser, which
 * buffers up to H2O_MAX_REQLEN, past any cap of ours. Instead the gate:
 *   1. reads the connection's first bytes itself (HELLO). A TLS record
 *      starts with 0x16 (a handshake); anything else is not TLS: a request
 *      in clear ("GET / HTTP/1.1" to an https port) is answered 400 with a
 *      problem in clear saying to use https://, then lingers and closes as
 *      after a 431; other bytes are closed at once;
 *   2. makes h2o's socket for the connection with those bytes as its input
 *      and runs h2o_socket_ssl_handshake() with the context in force
 *      (HANDSHAKE; h2o takes initial input as encrypted bytes, socket.c);
 *      a failed handshake (TLS 1.0/1.1, no shared cipher) closes it and is
 *      counted (runwarden_tls_handshake_failures_total);
 *   3. reads the decrypted bytes through h2o_socket_read_start() into the
 *      socket's input buffer and looks for the head's end there (GATE), with
 *      the same cap, the same 431 and /healthz answers (written with
 *      h2o_socket_write(), so encrypted) and the same deadlines: the
 *      handshake counts against the head's API_IDLE_MS (GATE_RESERVE_MS
 *      over the cap), so a client that stalls its handshake is closed as
 *      one that stalls its head;
 *   4. hands a complete head to h2o_http1_accept() (what h2o_accept() calls
 *      after its own handshake), the bytes already in the socket's input.
 * Each read callback adds to the input buffer what one read of the socket
 * brought, decrypted (socket/uv-binding.c.h, on_read_ssl), so the buffer
 * holds at most GATE_HEAD_MAX plus one read before the gate answers 431. ALPN offers http/1.1 only
 * (tls.c), so no connection is HTTP/2, whose header blocks would bypass the gate as h2c would.
 *
 * A connection's phases (conn_set_phase() is the one writer of c->phase and
 * checks every change against phase_transitions[]):
 *
 *   accept --(TLS)--> HELLO --0x16--> HANDSHAKE --done--+
 *     |                 |  \                |            |
 *     |                 |   \-- request in clear: 400 --|--> ANSWERING --written--> LINGER
 *     |                 |                   |            |
 *     |   other bytes, EOF, deadline   failed, EOF,      |
 *     |   shutdown: CLOSING            deadline: CLOSING |
 *     v                                                  v
 *   (plain) -------------------------------------------> GATE
 *
 *   GATE ---- head complete, under the cap ----------> H2O (h2o's)
 *    |  \---- /healthz over the cap: 200 ---> ANSWERING --written--> CLOSING
 *    |   \--- GATE_HEAD_MAX bytes, no end: 431 -> ANSWERING --written--> LINGER
 *    |                                                                    |
 *    +-- EOF, error, deadline, other request over the cap, shutdown       |
 *                        v                                EOF, deadline   |
 *                     CLOSING <-------------------------------------------+
 *
 *   from \ to    HELLO  HANDSHAKE  GATE  H2O  ANSWERING  LINGER  CLOSING
 *   HELLO                 x                       x                 x
 *   HANDSHAKE                        x                              x
 *   GATE                                   x      x                 x
 *   H2O
 *   ANSWERING                                             x         x
 *   LINGER                                                          x
 *   CLOSING
 *
 * Invariant: a connection is on api->gated exactly while its phase is
 * HELLO, HANDSHAKE, GATE, ANSWERING or LINGER; the gate's timer runs while
 * that list is not empty. c->sock is set from HANDSHAKE on (TLS only):
 * from then on h2o's socket owns the handle, and the connection is read,
 * written and closed through it.
 */
#include <h2o.h>
#include <h2o/http1.h>
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
        [CONN_HELLO] = "hello",     [CONN_HANDSHAKE] = "handshake", [CONN_GATE] = "gate",
        [CONN_H2O] = "h2o",         [CONN_ANSWERING] = "answering", [CONN_LINGER] = "linger",
        [CONN_CLOSING] = "closing",
};

/* The table of the file header: bit `to` of row `from`. */
static const uint8_t phase_transitions[CONN_PHASE_COUNT] = {
        [CONN_HELLO] = 1u << CONN_HANDSHAKE | 1u << CONN_ANSWERING | 1u << CONN_CLOSING,
        [CONN_HANDSHAKE] = 1u << CONN_GATE | 1u << CONN_CLOSING,
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

#define PLAIN_TO_TLS_BODY                                                                          \
	"{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"                      \
	"\"detail\":\"this port speaks HTTPS (TLS); the request was sent in clear: use an "        \
	"https:// URL\"}\n"

_Static_assert(sizeof(PLAIN_TO_TLS_BODY) - 1 == 150, "the 400's Content-Length");

/* The answer, in clear, to a request in clear on the TLS port. */
static const char plain_to_tls_answer[] = "HTTP/1.1 400 Bad Request\r\n"
                                          "Content-Type: application/problem+json\r\n"
                                          "Cache-Control: no-store\r\n"
                                          "Content-Length: 150\r\n"
                                          "Connection: close\r\n"
                                          "\r\n" PLAIN_TO_TLS_BODY;

/* The first byte of a TLS record that carries a handshake (RFC 8446 5.1). */
#define TLS_HANDSHAKE_RECORD 0x16

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
 * handle is closed. With TLS, h2o's socket closes it (at once: the
 * context's shutdown is quiet, tls.c says why) and then calls conn_close_cb
 * on the handle. */
static void gate_close(struct conn *c)
{
	if (c->phase == CONN_CLOSING)
		return;
	conn_set_phase(c, CONN_CLOSING);
	if (c->sock)
		h2o_socket_close(c->sock);
	else
		uv_close((uv_handle_t *)&c->tcp, c->api->conn_close_cb);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)suggested;

	if (c->phase != CONN_GATE && c->phase != CONN_HELLO) { /* answered: read and drop */
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

/* Where the head ends in @p buf (just past its blank line), or 0.
 * picohttpparser takes a bare "\n\n" as well as "\r\n\r\n". */
static size_t head_end(const char *buf, size_t len, size_t from)
{
	for (size_t i = from; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Whether the head in @p buf is a GET or HEAD of /healthz (query or not). */
static bool is_healthz(const char *buf, size_t len, bool *head)
{
	static const char path[] = "/healthz";
	const char *p = buf, *end = buf + len;
	size_t m;

	*head = len > 5 && memcmp(p, "HEAD ", 5) == 0;
	if (*head)
		m = 5;
	else if (len > 4 && memcmp(p, "GET ", 4) == 0)
		m = 4;
	else
		return false;
	p += m;
	return (size_t)(end - p) > sizeof(path) - 1 && memcmp(p, path, sizeof(path) - 1) == 0 &&
	       (p[sizeof(path) - 1] == ' ' || p[sizeof(path) - 1] == '?');
}

/* The gate's answer is written (or failed): close, or linger. */
static void written(struct conn *c, bool failed)
{
	if (c->phase != CONN_ANSWERING) /* closed meanwhile: the write was canceled */
		return;
	if (failed || !c->linger) {
		gate_close(c);
		return;
	}
	conn_set_phase(c, CONN_LINGER);
	c->deadline = uv_now(c->api->x.loop) + GATE_LINGER_MS;
}

static void write_cb(uv_write_t *w, int status)
{
	written(w->data, status < 0);
}

static void tls_write_cb(h2o_socket_t *sock, const char *err)
{
	written(sock->data, err != NULL);
}

/* Writes @p len bytes of a static answer (encrypted on a TLS connection);
 * after it, the connection closes or, when @p linger, drops what the client
 * still sends for a while. */
static void answer(struct conn *c, const char *text, size_t len, bool linger)
{
	uv_buf_t b = uv_buf_init((char *)text, (unsigned)len);

	conn_set_phase(c, CONN_ANSWERING);
	free(c->head);
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	c->linger = linger;
	if (c->sock) {
		h2o_iovec_t iov = h2o_iovec_init(text, len);
		h2o_buffer_consume(&c->sock->input, c->sock->input->size);
		h2o_socket_write(c->sock, &iov, 1, tls_write_cb);
		return;
	}
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0)
		gate_close(c);
}

/* A complete head of a TLS connection: to h2o's HTTP/1 parser, the
 * decrypted bytes already in the socket's input (h2o_accept() would start
 * a second handshake). */
static void hand_over_tls(struct api *api, struct conn *c)
{
	h2o_socket_read_stop(c->sock);
	gated_remove(api, c);
	conn_set_phase(c, CONN_H2O);
	h2o_http1_accept(&api->accept_ctx, c->sock, *h2o_get_timestamp(&api->ctx, NULL, NULL));
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
		if (!(c->sock ? is_healthz(c->sock->input->bytes, c->sock->input->size, &head)
		              : is_healthz(c->head, c->head_len, &head))) {
			api->x.m->http_conns_refused++;
			gate_close(c);
			return;
		}
		answer(c, healthz_answer,
		       head ? sizeof(healthz_answer) - 1 - 16 : sizeof(healthz_answer) - 1, false);
		return;
	}
	if (c->sock) {
		hand_over_tls(api, c);
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

/* No head within GATE_HEAD_MAX bytes: 431, then linger. */
static void too_large(struct conn *c)
{
	c->api->x.m->http_requests++;
	c->api->x.m->http_errors++;
	answer(c, too_large_answer, sizeof(too_large_answer) - 1, true);
}

/* ---- TLS: the handshake, then the decrypted head ---------------------------- */

/* The decrypted bytes so far are in c->sock->input; c->head_len is how far
 * the gate has looked. The head must end within GATE_HEAD_MAX bytes, as
 * over plain HTTP, although one read may decrypt past them. */
static void tls_check_head(struct conn *c)
{
	h2o_buffer_t *in = c->sock->input;
	size_t from = c->head_len > 3 ? c->head_len - 3 : 0;
	size_t end = head_end(in->bytes, in->size, from);

	c->head_len = in->size;
	if (end && end <= GATE_HEAD_MAX)
		hand_over(c->api, c);
	else if (end || in->size >= GATE_HEAD_MAX)
		too_large(c);
}

static void tls_read_cb(h2o_socket_t *sock, const char *err)
{
	struct conn *c = sock->data;

	if (err) {
		gate_close(c);
		return;
	}
	if (c->phase == CONN_GATE)
		tls_check_head(c);
	else /* answered: read and drop */
		h2o_buffer_consume(&sock->input, sock->input->size);
}

static void handshake_cb(h2o_socket_t *sock, const char *err)
{
	struct conn *c = sock->data;

	if (err) {
		struct logline l;
		c->api->tls_handshake_failures++;
		if (log_begin(&l, RW_LOG_DEBUG, "tls handshake failed")) {
			log_str(&l, "error", err);
			log_end(&l);
		}
		gate_close(c);
		return;
	}
	conn_set_phase(c, CONN_GATE);
	c->head_len = 0;
	h2o_socket_read_start(sock, tls_read_cb);
	/* Records that came with the handshake's last flight are decrypted
	 * already (socket.c, on_handshake_complete). */
	if (sock->input->size)
		tls_check_head(c);
}

/* The first bytes of a connection to the TLS port: a TLS handshake goes to
 * h2o's socket with them; a request in clear gets a 400 in clear. */
static void hello(struct api *api, struct conn *c)
{
	h2o_iovec_t buf;

	if ((unsigned char)c->head[0] != TLS_HANDSHAKE_RECORD) {
		if (c->head[0] >= 'A' && c->head[0] <= 'Z') { /* a method: HTTP in clear */
			api->x.m->http_requests++;
			api->x.m->http_errors++;
			answer(c, plain_to_tls_answer, sizeof(plain_to_tls_answer) - 1, true);
		} else {
			api->tls_handshake_failures++;
			gate_close(c);
		}
		return;
	}
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, api->conn_close_cb);
	if (!c->sock) {
		gate_close(c);
		return;
	}
	c->sock->data = c;
	/* h2o aborts the process when it cannot reserve: as it would have
	 * reading the same bytes itself. */
	buf = h2o_buffer_reserve(&c->sock->input, c->head_len);
	memcpy(buf.base, c->head, c->head_len);
	c->sock->input->size += c->head_len;
	free(c->head);
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	conn_set_phase(c, CONN_HANDSHAKE);
	/* The context in force now: a reload later does not change it. */
	h2o_socket_ssl_handshake(c->sock, api->ssl_ctx, NULL, handshake_cb);
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
	if (nread == 0)
		return;
	if (c->phase == CONN_HELLO) {
		c->head_len += (size_t)nread;
		hello(c->api, c);
		return;
	}
	if (c->phase != CONN_GATE)
		return;
	from = c->head_len > 3 ? c->head_len - 3 : 0;
	c->head_len += (size_t)nread;
	end = head_end(c->head, c->head_len, from);
	if (end)
		hand_over(c->api, c);
	else if (c->head_len >= GATE_HEAD_MAX)
		too_large(c);
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
		if (c->reserve && c->phase <= CONN_GATE)
			api->x.m->http_conns_refused++;
		gate_close(c);
	}
}

void gate_accept(struct api *api, struct conn *c, bool reserve)
{
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	c->sock = NULL;
	c->phase = api->ssl_ctx ? CONN_HELLO : CONN_GATE;
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
