/* SPDX-License-Identifier: MIT */
/*
 * loopsrv.h — a tiny HTTP/1.1 server on the test's own libuv loop, for the
 * event-loop tests of the probe and notify layers: a real loopback listener
 * on port 0, one request per connection, each answered as the test's
 * function says (a status and a body, or never: hang).
 *
 * It runs on the same loop as the code under test, so a test is one thread
 * and one uv_run(). Every connection is closed after its answer is written,
 * when the client goes away, or by loopsrv_close(), which closes everything
 * the server holds; after it the loop runs out of handles and
 * uv_loop_close() returns 0.
 *
 * Header-only (static inline) so that each unit test can use it without a
 * library of its own. Failures inside the server are test failures
 * (cmocka's fail_msg), never silent.
 */
#ifndef RW_TEST_LOOPSRV_H
#define RW_TEST_LOOPSRV_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define LOOPSRV_HEAD_MAX (64 * 1024)

/** One complete request, valid during the answer function only. */
struct loopsrv_req {
	char method[16];
	char path[512];
	const char *head; /* the header block, request line included, NUL-terminated */
	const char *body; /* NUL-terminated for convenience */
	size_t body_len;
};

/** What the answer function fills in (zeroed before it runs). */
struct loopsrv_answer {
	int status;               /* 0: 200 */
	const char *content_type; /* NULL: text/plain */
	const char *body;         /* NULL: empty */
	size_t body_len;          /* 0 with a body: strlen(body) */
	bool hang;                /* never answer; the connection stays open */
};

struct loopsrv;
typedef void (*loopsrv_fn)(struct loopsrv *s, const struct loopsrv_req *rq,
                           struct loopsrv_answer *ans);

struct loopsrv_conn {
	uv_tcp_t tcp;
	uv_write_t wr;
	struct loopsrv *s;
	struct loopsrv_conn *next, *prev;
	char *in;
	size_t len, cap;
	char *out;
	bool answered;
	bool closing;
};

struct loopsrv {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	int port;
	loopsrv_fn fn;
	void *data; /* the test's */
	unsigned accepted;
	unsigned requests;
	unsigned open_conns;
	struct loopsrv_conn *conns;
	bool closing;
};

static inline void loopsrv_conn_close_cb(uv_handle_t *h)
{
	struct loopsrv_conn *c = h->data;

	c->s->open_conns--;
	free(c->in);
	free(c->out);
	free(c);
}

static inline void loopsrv_conn_close(struct loopsrv_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->tcp, loopsrv_conn_close_cb);
}

static inline void loopsrv_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct loopsrv_conn *c = h->data;
	(void)hint;

	if (c->cap - c->len < 16384) {
		size_t ncap = c->cap ? c->cap * 2 : 32768;
		char *n = realloc(c->in, ncap);
		if (!n)
			fail_msg("loopsrv: out of memory");
		c->in = n;
		c->cap = ncap;
	}
	/* One byte is kept for the NUL that ends the body. */
	*buf = uv_buf_init(c->in + c->len, (unsigned)(c->cap - c->len - 1));
}

static inline void loopsrv_write_cb(uv_write_t *w, int status)
{
	struct loopsrv_conn *c = w->data;
	(void)status; /* a client that went away: nothing to do but close */
	loopsrv_conn_close(c);
}

/* Answers once the header and Content-Length bytes of body are in. */
static inline void loopsrv_try_answer(struct loopsrv_conn *c)
{
	struct loopsrv_req rq;
	struct loopsrv_answer ans;
	char *end, *cl;
	size_t head_len, body_len = 0, out_len;
	uv_buf_t b;
	int n;

	c->in[c->len] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (!end) {
		if (c->len > LOOPSRV_HEAD_MAX)
			fail_msg("loopsrv: request header over %d bytes", LOOPSRV_HEAD_MAX);
		return;
	}
	head_len = (size_t)(end - c->in) + 4;
	for (cl = c->in; (cl = strchr(cl, '\n')) != NULL;) {
		cl++;
		if (cl >= end)
			break;
		if (strncasecmp(cl, "content-length:", 15) == 0) {
			body_len = strtoul(cl + 15, NULL, 10);
			break;
		}
	}
	if (c->len < head_len + body_len)
		return;
	c->answered = true;
	c->s->requests++;

	memset(&rq, 0, sizeof(rq));
	if (sscanf(c->in, "%15s %511s", rq.method, rq.path) != 2)
		fail_msg("loopsrv: bad request line");
	*end = '\0'; /* the head ends here; the body starts at end + 4 */
	rq.head = c->in;
	rq.body = c->in + head_len;
	rq.body_len = body_len;
	c->in[head_len + body_len] = '\0';

	memset(&ans, 0, sizeof(ans));
	c->s->fn(c->s, &rq, &ans);
	if (ans.hang)
		return;
	if (ans.body && !ans.body_len)
		ans.body_len = strlen(ans.body);
	out_len = 256 + ans.body_len;
	c->out = malloc(out_len);
	if (!c->out)
		fail_msg("loopsrv: out of memory");
	n = snprintf(c->out, out_len,
	             "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n",
	             ans.status ? ans.status : 200,
	             ans.content_type ? ans.content_type : "text/plain", ans.body_len);
	if (ans.body_len)
		memcpy(c->out + n, ans.body, ans.body_len);
	b = uv_buf_init(c->out, (unsigned)((size_t)n + ans.body_len));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, loopsrv_write_cb) != 0)
		loopsrv_conn_close(c);
}

static inline void loopsrv_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct loopsrv_conn *c = st->data;
	(void)buf;

	if (nread < 0) { /* EOF or reset: the client is gone */
		loopsrv_conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	if (!c->answered)
		loopsrv_try_answer(c);
}

static inline void loopsrv_connection_cb(uv_stream_t *l, int status)
{
	struct loopsrv *s = l->data;
	struct loopsrv_conn *c;

	if (status < 0)
		fail_msg("loopsrv: listen: %s", uv_strerror(status));
	c = calloc(1, sizeof(*c));
	if (!c)
		fail_msg("loopsrv: out of memory");
	c->s = s;
	if (uv_tcp_init(s->loop, &c->tcp) != 0)
		fail_msg("loopsrv: uv_tcp_init");
	c->tcp.data = c;
	s->open_conns++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
		loopsrv_conn_close(c);
		return;
	}
	s->accepted++;
	if (uv_read_start((uv_stream_t *)&c->tcp, loopsrv_alloc_cb, loopsrv_read_cb) != 0)
		loopsrv_conn_close(c);
}

/** Listens on 127.0.0.1, a port of the kernel's choice (s->port). */
static inline void loopsrv_start(struct loopsrv *s, uv_loop_t *loop, loopsrv_fn fn, void *data)
{
	struct sockaddr_in sa;
	struct sockaddr_storage got;
	int len = sizeof(got);

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->fn = fn;
	s->data = data;
	if (uv_tcp_init(loop, &s->tcp) != 0 || uv_ip4_addr("127.0.0.1", 0, &sa) != 0 ||
	    uv_tcp_bind(&s->tcp, (const struct sockaddr *)&sa, 0) != 0)
		fail_msg("loopsrv: cannot bind 127.0.0.1:0");
	s->tcp.data = s;
	if (uv_listen((uv_stream_t *)&s->tcp, 128, loopsrv_connection_cb) != 0 ||
	    uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&got, &len) != 0)
		fail_msg("loopsrv: cannot listen");
	s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

/** Closes the listener and every open connection (hanging ones too). */
static inline void loopsrv_close(struct loopsrv *s)
{
	if (s->closing)
		return;
	s->closing = true;
	while (s->conns)
		loopsrv_conn_close(s->conns);
	uv_close((uv_handle_t *)&s->tcp, NULL);
}

/**
 * A port on 127.0.0.1 that refuses connections: bound, never listening, so
 * the kernel answers a SYN with a reset and no other test can take it.
 * @return the socket, which the caller closes; *port receives its port.
 */
static inline int loopsrv_refusing_port(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		fail_msg("loopsrv: cannot bind a refusing port");
	*port = ntohs(sa.sin_port);
	return fd;
}

#endif
