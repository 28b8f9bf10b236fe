/* SPDX-License-Identifier: MIT */
/*
 * demo_runner.c — rw-demo-runner, a scriptable HTTP/1.1 health endpoint.
 *
 * One process, one libuv loop, many listeners. Each listener answers every
 * request in its mode (ok, fail, hang, reset, refuse, slow:MS, flaky:P,
 * flip:SECONDS, huge, badjson, trickle, and the hostile ones of the fault
 * suite: endless, gzip, redirect, resetbody); /_control/mode switches that mode at
 * run time and /_control/stats counts what the listener answered. It serves
 * the quickstart's demo runners, the integration tests' fixture runners and
 * the benchmarks' thousands of runners, so it links libuv and nothing else and
 * keeps the per-request path free of allocation and of O(listeners) work.
 *
 * Invariants:
 * - Every answer is written with Content-Length and "Connection: close", and
 *   the connection is closed once the write completes: one request per
 *   connection, as the monitor probes. Two hostile modes break the first
 *   half on purpose: endless streams a chunked body until the client
 *   leaves, resetbody promises a Content-Length it never sends.
 * - Canned answers are built once at start-up and shared by all connections;
 *   only control answers are built per request (a few dozen bytes).
 * - Reads go into one shared buffer owned by the server (read callbacks run to
 *   completion before the next read). A connection copies bytes only while a
 *   request header spans several reads, into a buffer that grows up to the
 *   8 KiB header cap.
 * - A connection owns its uv_tcp_t and, once a slow or trickle answer needs
 *   it, its uv_timer_t; it is freed in the close callback of the last of them
 *   (pending_closes). Listeners live in one array freed after the loop ends.
 * - The listener's mode is read when a request's header is complete, so a
 *   control switch affects the requests that complete after it.
 * - No global mutable state: everything hangs off struct server.
 *
 * Connection states (conn_set_state() is the only writer of conn->state and
 * checks every transition against conn_transitions[]):
 *
 *               accept
 *                 |
 *                 v
 *   +-------- READING --------------------------------------+
 *   |   header complete: dispatch on the listener's mode     |
 *   |     |          |           |            |             | EOF before the
 *   |   slow:MS    trickle      hang     ok/fail/flaky/...   | header, read
 *   |   resetbody    |           |       control, 400/431    | error, reset
 *   |     v          v           v            |   endless    | mode, shutdown
 *   |  WAITING   TRICKLING    HANGING         |      v       |
 *   |     | timer     | last      | client    v   STREAMING  |
 *   |     +------> WRITING        | closes  WRITING   | the  |
 *   |     |          | byte       |            |      | client
 *   |     | resetbody v written   v            v      | leaves
 *   |     +--(RST)-> CLOSING <-----------------------+-------+
 *                                 | last close callback
 *                                 v
 *                               freed
 *
 *   from \ to   WAITING TRICKLING HANGING WRITING STREAMING CLOSING
 *   READING        x        x        x       x        x        x
 *   WAITING                                  x                 x
 *   TRICKLING                                                  x
 *   HANGING                                                    x
 *   WRITING                                                    x
 *   STREAMING                                                  x
 *
 * resetbody writes its head and part of its body from WAITING, and resets
 * the connection RESET_AFTER_MS after that write completed (so the client
 * has the head when the RST comes).
 *
 * Every state may go to CLOSING (read or write error, shutdown). A client's
 * EOF closes READING and HANGING connections; in WAITING, TRICKLING and
 * WRITING it only stops reading, because a half-closed client may still read
 * the answer (a write error closes the connection if it does not).
 * Transitions are not logged: at thousands of requests a second the log would
 * cost more than the serving.
 */
#include <uv.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "rw-demo-runner"

#define HEADER_CAP         8192          /* request header limit, terminator included */
#define HEADER_STASH_MIN   512           /* first size of a connection's header buffer */
#define READ_BUF_SIZE      65536         /* the shared read buffer */
#define TRICKLE_MS         200           /* one byte of a trickle answer per this period */
#define RESET_AFTER_MS     100           /* resetbody: the RST this long after the part sent */
#define ENDLESS_CHUNK      16384         /* endless: bytes of each chunk */
#define GZIP_RUNS          16256u        /* gzip: 258-byte runs of '0' in the padding */
#define HUGE_BODY_SIZE     (1024 * 1024) /* body of the huge answer */
#define MODE_TEXT_MAX      63            /* longest MODE accepted, in bytes */
#define UA_MAX             127           /* the last User-Agent kept, in bytes */
#define SLOW_MS_MAX        86400000u     /* slow:MS upper bound: one day */
#define FLIP_S_MAX         86400.0       /* flip:SECONDS upper bound: one day */
#define MANY_MAX           100000u       /* --many upper bound */
#define DEFAULT_SEED       1u
#define DEMO_VERSION       "demo-1"
#define CONTROL_PREFIX     "/_control/"
#define CONTROL_MODE_PATH  "/_control/mode"
#define CONTROL_STATS_PATH "/_control/stats"

enum mode_kind {
	MODE_OK,
	MODE_FAIL,
	MODE_HANG,
	MODE_RESET,
	MODE_REFUSE,
	MODE_SLOW,
	MODE_FLAKY,
	MODE_FLIP,
	MODE_HUGE,
	MODE_BADJSON,
	MODE_TRICKLE,
	MODE_ENDLESS,
	MODE_GZIP,
	MODE_REDIRECT,
	MODE_RESETBODY,
	MODE_FAILUA,
};

/* A listener's behaviour: the kind and its one parameter, if any. */
struct mode {
	enum mode_kind kind;
	uint32_t ms;                /* slow: the delay; flip: the half period */
	double p;                   /* flaky: the probability of failing */
	char ua[MODE_TEXT_MAX + 1]; /* failua: fail when the User-Agent holds this */
};

/* A complete HTTP answer; hdr_len bytes of it are the head (for HEAD). */
struct response {
	char *buf;
	size_t len;
	size_t hdr_len;
};

/* The canned answers, built once by responses_init(). */
enum canned {
	RESP_OK,
	RESP_FAIL,
	RESP_HUGE,
	RESP_BADJSON,
	RESP_CONTROL_OK,
	RESP_BAD_REQUEST,
	RESP_NOT_FOUND,
	RESP_BAD_METHOD,
	RESP_TOO_LARGE,
	RESP_GZIP,
	RESP_REDIRECT,
	RESP_RESETBODY, /* the head and part of the body: the whole answer is never sent */
	RESP_ENDLESS,   /* the head of a chunked answer */
	RESP_CHUNK,     /* one chunk of it, sent again and again */
	RESP_COUNT,
};

enum listener_state {
	LISTENER_UNUSED,    /* tcp not initialised (start-up failed before it) */
	LISTENER_LISTENING, /* accepting connections */
	LISTENER_BOUND,     /* refuse from the start: bound, never listening */
	LISTENER_CLOSED,    /* closed (refuse by control, or shutdown) */
};

struct server;

struct listener {
	uv_tcp_t tcp;
	struct server *srv;
	struct mode mode;
	uint64_t requests;        /* requests answered in the listener's mode */
	uint64_t rng;             /* splitmix64 state for flaky:P */
	char last_ua[UA_MAX + 1]; /* the User-Agent of the last request answered */
	enum listener_state state;
};

enum conn_state {
	CONN_READING,
	CONN_WAITING,
	CONN_TRICKLING,
	CONN_HANGING,
	CONN_WRITING,
	CONN_STREAMING,
	CONN_CLOSING,
	CONN_STATE_COUNT,
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer; /* initialised only when timer_live */
	uv_write_t wreq;  /* at most one write in flight */
	struct listener *l;
	struct conn *prev, *next; /* the server's list of live connections */
	char *hdr;                /* header bytes while a header spans reads */
	char *dyn;                /* a control answer built for this request */
	const char *out;          /* the answer a timer sends (slow, trickle) */
	size_t out_len, out_off;
	uint16_t hdr_len, hdr_cap;
	uint8_t state;
	uint8_t pending_closes;
	bool timer_live;
	bool writing;
};

struct server {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	bool signals_live;
	bool stopping;
	struct listener *ls;
	size_t nls;
	struct conn *conns;
	uint64_t start_ms; /* uv_now() when the address line was printed */
	struct response resp[RESP_COUNT];
	char rbuf[READ_BUF_SIZE];
};

/* One --listen, or the --many block in its place on the command line. */
struct listen_spec {
	const char *arg; /* for messages */
	struct sockaddr_storage addr;
	struct mode mode;
	size_t count;
	bool many;
};

struct options {
	struct listen_spec *specs;
	size_t nspecs;
	uint64_t seed;
	size_t total;
};

/* The parts of a request line; pointers into the request bytes. */
struct request {
	const char *method, *path, *query;
	size_t method_len, path_len, query_len;
	bool head;
};

static const char usage_text[] =
        "Usage: " PROG " [--listen ADDR:PORT MODE]... [--many N [--host ADDR] [--mode MODE]]\n"
        "                      [--seed S] [--help]\n"
        "\n"
        "A scriptable HTTP/1.1 health endpoint for runwarden's quickstart, integration\n"
        "tests and benchmarks. One process serves every listener from one libuv loop.\n"
        "\n"
        "Options:\n"
        "  --listen ADDR:PORT MODE  open one listener in MODE. PORT 0 picks an ephemeral\n"
        "                           port. ADDR is an IPv4 address (any 127.x.y.z works on\n"
        "                           Linux) or an IPv6 one in brackets, e.g. [::1]:0.\n"
        "  --many N                 open N listeners (1..100000) on ephemeral ports of\n"
        "                           --host, all in --mode. They take the place of --many\n"
        "                           among the --listen options. At most one --many.\n"
        "  --host ADDR              address for --many (default 127.0.0.1)\n"
        "  --mode MODE              mode for --many (default ok)\n"
        "  --seed S                 seed of flaky:P, an unsigned integer (default 1).\n"
        "                           Each listener draws from its own stream, so what one\n"
        "                           listener answers does not depend on the others.\n"
        "  --help, -h               print this help and exit 0\n"
        "\n"
        "At start the soft RLIMIT_NOFILE is raised to the hard limit. When every\n"
        "listener is bound, one line is printed on stdout and flushed: a JSON array of\n"
        "the bound \"ADDR:PORT\" strings in command-line order, e.g.\n"
        "  [\"127.0.0.1:40001\",\"127.0.0.1:40002\"]\n"
        "Then it serves until SIGTERM or SIGINT, closes every handle and exits 0.\n"
        "\n"
        "Modes (the answer to any path outside /_control/):\n"
        "  ok            200 application/json {\"busy\":false,\"version\":\"" DEMO_VERSION "\"}\n"
        "  fail          503 with a small text/plain body\n"
        "  hang          read the request, never answer; close when the client does\n"
        "  reset         read the request, then reset the connection (RST)\n"
        "  refuse        bind the port but never listen: connects are refused; its\n"
        "                address is printed all the same\n"
        "  slow:MS       the ok answer after MS milliseconds (0..86400000)\n"
        "  flaky:P       the fail answer with probability P in [0,1], else the ok one\n"
        "  flip:SECONDS  ok for SECONDS, then fail for SECONDS, and so on, counted on\n"
        "                the monotonic clock from start-up (SECONDS > 0, may have a\n"
        "                fraction, at most 86400)\n"
        "  huge          200 application/json with a 1 MiB body (valid JSON)\n"
        "  badjson       200 application/json with a body that is not JSON\n"
        "  trickle       the ok answer, one byte every 200 ms\n"
        "  endless       200 application/json with a chunked body that never ends\n"
        "  gzip          200 application/json, Content-Encoding: gzip (unasked): about\n"
        "                26 kB that inflate to 4 MiB of JSON\n"
        "  redirect      302 to http://169.254.169.254/latest/meta-data/\n"
        "  resetbody     200 with Content-Length 4096, 100 bytes of body, then RST\n"
        "  failua:TEXT   fail when the request's User-Agent contains TEXT, else ok (a\n"
        "                runner that only one vantage point of several sees down)\n"
        "\n"
        "Control (on any listener whatever its mode; a refused port has no listener):\n"
        "  GET|POST /_control/mode?m=MODE  switch this listener to MODE: 200 \"ok\\n\", or\n"
        "                                  400 with the reason. m=refuse closes the\n"
        "                                  listener for good; later control cannot\n"
        "                                  reopen it. MODE may be percent-encoded.\n"
        "  GET /_control/stats             200 {\"requests\":N,\"user_agent\":UA}: the\n"
        "                                  requests this listener answered in its mode\n"
        "                                  (control requests are not counted) and the\n"
        "                                  User-Agent of the last one (null: none)\n"
        "\n"
        "HTTP: the request header may take up to 8 KiB (else 431 and close); only the\n"
        "request line is parsed. Every answer has Content-Length and Connection: close,\n"
        "and the connection is closed once the answer is written. HEAD gets the head.\n"
        "\n"
        "Exit status: 0 after SIGTERM or SIGINT, 1 if a listener cannot be opened or\n"
        "stdout cannot be written, 2 for a bad argument.\n";

/* ---- small helpers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A double uniform in [0, 1), so P = 0 never fails and P = 1 always does. */
static double rng_unit(uint64_t *state)
{
	return (double)(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

static bool bytes_eq(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);

	return n == m && memcmp(p, lit, m) == 0;
}

static bool starts_with(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);

	return n >= m && memcmp(p, lit, m) == 0;
}

/* Parses exactly n decimal digits into *out, refusing values above max. */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parses a plain decimal number ("0.25", "3", ".5"): strtod alone would also
 * take signs, blanks, hex, "inf" and "nan".
 */
static int parse_decimal(const char *s, double *out)
{
	char *end;
	double v;

	if (!((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -1;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v == v))
		return -1;
	*out = v;
	return 0;
}

/*
 * Parses MODE (NUL-terminated) into *m. On failure returns -1 and points *why
 * at a static sentence fit for an error line or a 400 body.
 */
static int mode_parse(const char *s, struct mode *m, const char **why)
{
	static const struct {
		const char *name;
		enum mode_kind kind;
	} plain[] = {
	        {"ok", MODE_OK},
	        {"fail", MODE_FAIL},
	        {"hang", MODE_HANG},
	        {"reset", MODE_RESET},
	        {"refuse", MODE_REFUSE},
	        {"huge", MODE_HUGE},
	        {"badjson", MODE_BADJSON},
	        {"trickle", MODE_TRICKLE},
	        {"endless", MODE_ENDLESS},
	        {"gzip", MODE_GZIP},
	        {"redirect", MODE_REDIRECT},
	        {"resetbody", MODE_RESETBODY},
	};
	uint64_t u;
	double d;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(s, plain[i].name) == 0) {
			m->kind = plain[i].kind;
			return 0;
		}
	}
	if (strncmp(s, "slow:", 5) == 0) {
		if (parse_u64(s + 5, strlen(s + 5), SLOW_MS_MAX, &u) < 0) {
			*why = "slow:MS needs whole milliseconds in 0..86400000";
			return -1;
		}
		m->kind = MODE_SLOW;
		m->ms = (uint32_t)u;
		return 0;
	}
	if (strncmp(s, "flaky:", 6) == 0) {
		if (parse_decimal(s + 6, &d) < 0 || d < 0.0 || d > 1.0) {
			*why = "flaky:P needs a probability P in [0,1]";
			return -1;
		}
		m->kind = MODE_FLAKY;
		m->p = d;
		return 0;
	}
	if (strncmp(s, "flip:", 5) == 0) {
		if (parse_decimal(s + 5, &d) < 0 || d > FLIP_S_MAX || d * 1000.0 + 0.5 < 1.0) {
			*why = "flip:SECONDS needs seconds > 0 (at least 1 ms, at most 86400)";
			return -1;
		}
		m->kind = MODE_FLIP;
		m->ms = (uint32_t)(d * 1000.0 + 0.5);
		return 0;
	}
	if (strncmp(s, "failua:", 7) == 0) {
		if (!s[7]) {
			*why = "failua:TEXT needs the text to look for in the User-Agent";
			return -1;
		}
		m->kind = MODE_FAILUA;
		snprintf(m->ua, sizeof(m->ua), "%s", s + 7);
		return 0;
	}
	*why = "unknown mode; expected ok, fail, hang, reset, refuse, slow:MS, flaky:P, "
	       "flip:SECONDS, huge, badjson, trickle, endless, gzip, redirect, resetbody or "
	       "failua:TEXT";
	return -1;
}

/* Parses "A.B.C.D" or "[v6]" / "v6" (no port) into *ss with the given port. */
static int host_parse(const char *s, size_t n, int port, struct sockaddr_storage *ss)
{
	char host[64];

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (n - 2 >= sizeof(host))
			return -1;
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
		return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0 ? 0 : -1;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
		return 0;
	return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0 ? 0 : -1;
}

/* Parses "ADDR:PORT" (IPv6 as "[ADDR]:PORT"). */
static int addr_port_parse(const char *s, struct sockaddr_storage *ss)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (!colon || colon == s)
		return -1;
	if (parse_u64(colon + 1, strlen(colon + 1), 65535, &port) < 0)
		return -1;
	if (s[0] == '[' && colon[-1] != ']')
		return -1;
	if (s[0] != '[' && memchr(s, ':', (size_t)(colon - s)))
		return -1; /* a bare IPv6 address needs brackets */
	return host_parse(s, (size_t)(colon - s), (int)port, ss);
}

/* Formats a bound address as "ADDR:PORT" ("[ADDR]:PORT" for IPv6). */
static int addr_format(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char host[64];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		if (uv_ip4_name(in, host, sizeof(host)) != 0)
			return -1;
		return snprintf(out, size, "%s:%u", host, (unsigned)ntohs(in->sin_port));
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		if (uv_ip6_name(in6, host, sizeof(host)) != 0)
			return -1;
		return snprintf(out, size, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
	}
	return -1;
}

/* ---- answers ---------------------------------------------------------- */

static const char *status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	}
	return "Unknown";
}

/*
 * Builds a complete answer into r->buf (malloc'd, owned by the caller), with
 * the header lines in @p extra ("" or lines ending in CRLF) and a
 * Content-Length of @p clen (that of the body when (size_t)-1).
 * Returns 0, or UV_ENOMEM.
 */
static int response_build_x(struct response *r, int status, const char *ctype, const char *extra,
                            size_t clen, const char *body, size_t body_len)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %d %s\r\n"
	             "Server: " PROG "\r\n"
	             "Content-Type: %s\r\n"
	             "%s"
	             "Content-Length: %zu\r\n"
	             "Connection: close\r\n"
	             "\r\n",
	             status, status_reason(status), ctype, extra,
	             clen == (size_t)-1 ? body_len : clen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return UV_EINVAL;
	r->buf = malloc((size_t)n + body_len);
	if (!r->buf)
		return UV_ENOMEM;
	memcpy(r->buf, head, (size_t)n);
	memcpy(r->buf + n, body, body_len);
	r->hdr_len = (size_t)n;
	r->len = (size_t)n + body_len;
	return 0;
}

static int response_build(struct response *r, int status, const char *ctype, const char *body,
                          size_t body_len)
{
	return response_build_x(r, status, ctype, "", (size_t)-1, body, body_len);
}

/* A raw answer: @p text as it is. */
static int response_raw(struct response *r, const char *text, size_t len)
{
	r->buf = malloc(len);
	if (!r->buf)
		return UV_ENOMEM;
	memcpy(r->buf, text, len);
	r->len = r->hdr_len = len;
	return 0;
}

static int response_build_text(struct response *r, int status, const char *ctype, const char *body)
{
	return response_build(r, status, ctype, body, strlen(body));
}

/* A 1 MiB body that is valid JSON, so that only its size is at fault. */
static int response_build_huge(struct response *r)
{
	static const char pre[] = "{\"busy\":false,\"version\":\"" DEMO_VERSION "\",\"pad\":\"";
	static const char post[] = "\"}";
	char *body = malloc(HUGE_BODY_SIZE);
	int rc;

	if (!body)
		return UV_ENOMEM;
	memset(body, 'x', HUGE_BODY_SIZE);
	memcpy(body, pre, sizeof(pre) - 1);
	memcpy(body + HUGE_BODY_SIZE - (sizeof(post) - 1), post, sizeof(post) - 1);
	rc = response_build(r, 200, "application/json", body, HUGE_BODY_SIZE);
	free(body);
	return rc;
}

/* ---- the gzip bomb ------------------------------------------------------ */

/* Bits into a deflate stream: least significant first, as RFC 1951 packs
 * them; Huffman codes are written most significant bit first (put_code). */
struct bitw {
	unsigned char *p;
	size_t n;
	uint32_t acc;
	int bits;
};

static void put_bits(struct bitw *w, uint32_t v, int n)
{
	w->acc |= v << w->bits;
	w->bits += n;
	while (w->bits >= 8) {
		w->p[w->n++] = (unsigned char)w->acc;
		w->acc >>= 8;
		w->bits -= 8;
	}
}

static void put_code(struct bitw *w, uint32_t code, int n)
{
	for (int i = n - 1; i >= 0; i--)
		put_bits(w, (code >> i) & 1u, 1);
}

/* A literal byte below 144 in the fixed Huffman code: 8 bits, 0x30 + b. */
static void put_literal(struct bitw *w, unsigned char b)
{
	put_code(w, 0x30u + b, 8);
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/*
 * The gzip answer: {"busy":false,"version":"demo-1","pad":"000…0"} with
 * 1 + 258 × GZIP_RUNS zeros, as one fixed-Huffman deflate block (a literal
 * '0', then GZIP_RUNS copies of length 258 at distance 1: 13 bits each).
 * Built by hand so that the demo runner needs no zlib; tests inflate it to
 * check it.
 */
static int response_build_gzip(struct response *r)
{
	static const char pre[] = "{\"busy\":false,\"version\":\"" DEMO_VERSION "\",\"pad\":\"";
	static const char post[] = "\"}";
	size_t plain = sizeof(pre) - 1 + 1 + 258u * GZIP_RUNS + sizeof(post) - 1;
	size_t cap = 10 + (sizeof(pre) + sizeof(post)) * 2 + 2 * GZIP_RUNS + 64;
	unsigned char *z = malloc(cap);
	unsigned char zero = '0', run[258];
	struct bitw w = {z, 0, 0, 0};
	uint32_t crc = 0;
	int rc;

	if (!z)
		return UV_ENOMEM;
	memcpy(z, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10); /* gzip, deflate, Unix */
	w.n = 10;
	put_bits(&w, 1, 1); /* BFINAL */
	put_bits(&w, 1, 2); /* BTYPE 01: fixed Huffman */
	for (size_t i = 0; i < sizeof(pre) - 1; i++)
		put_literal(&w, (unsigned char)pre[i]);
	put_literal(&w, zero);
	for (uint32_t i = 0; i < GZIP_RUNS; i++) {
		put_code(&w, 0xC5u, 8); /* length symbol 285: 258, no extra bits */
		put_code(&w, 0u, 5);    /* distance code 0: 1 */
	}
	for (size_t i = 0; i < sizeof(post) - 1; i++)
		put_literal(&w, (unsigned char)post[i]);
	put_code(&w, 0u, 7); /* end of block */
	if (w.bits)
		put_bits(&w, 0, 8 - w.bits);
	crc = crc32_update(crc, (const unsigned char *)pre, sizeof(pre) - 1);
	crc = crc32_update(crc, &zero, 1);
	memset(run, '0', sizeof(run));
	for (uint32_t i = 0; i < GZIP_RUNS; i++)
		crc = crc32_update(crc, run, sizeof(run));
	crc = crc32_update(crc, (const unsigned char *)post, sizeof(post) - 1);
	for (int i = 0; i < 4; i++)
		z[w.n++] = (unsigned char)(crc >> (8 * i));
	for (int i = 0; i < 4; i++)
		z[w.n++] = (unsigned char)((uint32_t)plain >> (8 * i));
	rc = response_build_x(r, 200, "application/json", "Content-Encoding: gzip\r\n", (size_t)-1,
	                      (const char *)z, w.n);
	free(z);
	return rc;
}

static int responses_init(struct server *srv)
{
	static const char json[] = "application/json";
	static const char text[] = "text/plain";
	struct response *r = srv->resp;
	int rc = 0;

	rc = rc ? rc
	        : response_build_text(&r[RESP_OK], 200, json,
	                              "{\"busy\":false,\"version\":\"" DEMO_VERSION "\"}");
	rc = rc ? rc : response_build_text(&r[RESP_FAIL], 503, text, "demo runner failing\n");
	rc = rc ? rc : response_build_huge(&r[RESP_HUGE]);
	rc = rc ? rc
	        : response_build_text(&r[RESP_BADJSON], 200, json,
	                              "{\"busy\": fals, \"version\": \"demo-1\"");
	rc = rc ? rc : response_build_text(&r[RESP_CONTROL_OK], 200, text, "ok\n");
	rc = rc ? rc : response_build_text(&r[RESP_BAD_REQUEST], 400, text, "bad request line\n");
	rc = rc ? rc : response_build_text(&r[RESP_NOT_FOUND], 404, text, "unknown control path\n");
	rc = rc ? rc : response_build_text(&r[RESP_BAD_METHOD], 405, text, "method not allowed\n");
	rc = rc ? rc
	        : response_build_text(&r[RESP_TOO_LARGE], 431, text,
	                              "request header larger than 8 KiB\n");
	rc = rc ? rc : response_build_gzip(&r[RESP_GZIP]);
	rc = rc ? rc
	        : response_build_x(&r[RESP_REDIRECT], 302, text,
	                           "Location: http://169.254.169.254/latest/meta-data/\r\n",
	                           (size_t)-1, "see the metadata service\n", 25);
	if (rc == 0) {
		char part[100];
		memset(part, ' ', sizeof(part));
		part[0] = '{';
		rc = response_build_x(&r[RESP_RESETBODY], 200, json, "", 4096, part, sizeof(part));
	}
	if (rc == 0) {
		static const char head[] = "HTTP/1.1 200 OK\r\n"
		                           "Server: " PROG "\r\n"
		                           "Content-Type: application/json\r\n"
		                           "Transfer-Encoding: chunked\r\n"
		                           "\r\n";
		rc = response_raw(&r[RESP_ENDLESS], head, sizeof(head) - 1);
	}
	if (rc == 0) {
		char *chunk = malloc(ENDLESS_CHUNK + 16);
		int n;
		if (!chunk)
			return UV_ENOMEM;
		n = snprintf(chunk, 16, "%x\r\n", ENDLESS_CHUNK);
		memset(chunk + n, ' ', ENDLESS_CHUNK);
		memcpy(chunk + n + ENDLESS_CHUNK, "\r\n", 2);
		rc = response_raw(&r[RESP_CHUNK], chunk, (size_t)n + ENDLESS_CHUNK + 2);
		free(chunk);
	}
	return rc;
}

static void responses_free(struct server *srv)
{
	for (size_t i = 0; i < RESP_COUNT; i++)
		free(srv->resp[i].buf);
}

/* ---- connections ------------------------------------------------------ */

static void conn_close(struct conn *c, bool reset);

static const uint8_t conn_transitions[CONN_STATE_COUNT] = {
        [CONN_READING] = 1u << CONN_WAITING | 1u << CONN_TRICKLING | 1u << CONN_HANGING |
                         1u << CONN_WRITING | 1u << CONN_STREAMING | 1u << CONN_CLOSING,
        [CONN_WAITING] = 1u << CONN_WRITING | 1u << CONN_CLOSING,
        [CONN_TRICKLING] = 1u << CONN_CLOSING,
        [CONN_HANGING] = 1u << CONN_CLOSING,
        [CONN_WRITING] = 1u << CONN_CLOSING,
        [CONN_STREAMING] = 1u << CONN_CLOSING,
        [CONN_CLOSING] = 0,
};

static void conn_set_state(struct conn *c, enum conn_state to)
{
	assert(conn_transitions[c->state] & (1u << to));
	(void)conn_transitions; /* used only by assert(), gone under NDEBUG */
	c->state = (uint8_t)to;
}

static void conn_free(struct conn *c)
{
	struct server *srv = c->l->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->hdr);
	free(c->dyn);
	free(c);
}

static void conn_close_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->pending_closes == 0)
		conn_free(c);
}

/* Closes the connection (with an RST when reset); idempotent. */
static void conn_close(struct conn *c, bool reset)
{
	if (c->state == CONN_CLOSING)
		return;
	conn_set_state(c, CONN_CLOSING);
	c->pending_closes = (uint8_t)(1 + c->timer_live);
	if (c->timer_live)
		uv_close((uv_handle_t *)&c->timer, conn_close_cb);
	if (!reset || uv_tcp_close_reset(&c->tcp, conn_close_cb) != 0)
		uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
}

static void conn_send(struct conn *c, const char *buf, size_t len);
static int conn_timer_start(struct conn *c, uv_timer_cb cb, uint64_t timeout, uint64_t repeat);

static void reset_timer_cb(uv_timer_t *t)
{
	conn_close(t->data, true);
}

static void conn_write_cb(uv_write_t *req, int status)
{
	struct conn *c = req->data;
	const struct response *chunk = &c->l->srv->resp[RESP_CHUNK];

	c->writing = false;
	if (c->state == CONN_CLOSING)
		return; /* cancelled by conn_close() */
	if (status == 0 && c->state == CONN_TRICKLING && c->out_off < c->out_len)
		return; /* the timer sends the next byte */
	if (status == 0 && c->state == CONN_STREAMING) {
		conn_send(c, chunk->buf, chunk->len); /* until the client leaves */
		return;
	}
	if (status == 0 && c->state == CONN_WAITING) { /* resetbody: part sent */
		if (conn_timer_start(c, reset_timer_cb, RESET_AFTER_MS, 0) != 0)
			conn_close(c, true);
		return;
	}
	conn_close(c, false);
}

/* Starts writing len bytes of buf, which must outlive the write. */
static void conn_send(struct conn *c, const char *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned int)len);

	c->writing = true;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, conn_write_cb) != 0) {
		c->writing = false;
		conn_close(c, false);
	}
}

static void conn_write(struct conn *c, const char *buf, size_t len)
{
	conn_set_state(c, CONN_WRITING);
	conn_send(c, buf, len);
}

static void conn_respond(struct conn *c, enum canned which, bool head)
{
	const struct response *r = &c->l->srv->resp[which];

	conn_write(c, r->buf, head ? r->hdr_len : r->len);
}

/* Answers with a per-request body; the answer lives in c->dyn. */
static void conn_respond_dyn(struct conn *c, int status, const char *ctype, const char *body,
                             bool head)
{
	struct response r;

	if (response_build_text(&r, status, ctype, body) != 0) {
		conn_close(c, false);
		return;
	}
	c->dyn = r.buf;
	conn_write(c, r.buf, head ? r.hdr_len : r.len);
}

static int conn_timer_start(struct conn *c, uv_timer_cb cb, uint64_t timeout, uint64_t repeat)
{
	if (!c->timer_live) {
		if (uv_timer_init(&c->l->srv->loop, &c->timer) != 0)
			return -1;
		c->timer.data = c;
		c->timer_live = true;
	}
	return uv_timer_start(&c->timer, cb, timeout, repeat);
}

static void slow_timer_cb(uv_timer_t *t)
{
	struct conn *c = t->data;

	conn_write(c, c->out, c->out_len);
}

static void trickle_send_byte(struct conn *c)
{
	if (c->writing)
		return; /* the previous byte is still queued: skip a beat */
	conn_send(c, c->out + c->out_off, 1);
	if (c->state == CONN_CLOSING)
		return;
	if (++c->out_off == c->out_len)
		uv_timer_stop(&c->timer);
}

static void trickle_timer_cb(uv_timer_t *t)
{
	trickle_send_byte(t->data);
}

/* ---- requests --------------------------------------------------------- */

static bool is_tchar(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Parses the request line at the start of p[0..n). Returns 0 or -1. */
static int request_parse(const char *p, size_t n, struct request *rq)
{
	const char *end, *sp1, *sp2, *t, *q;
	size_t line;

	while (n > 0 && (*p == '\r' || *p == '\n')) { /* RFC 9112 2.2: skip empty lines */
		p++;
		n--;
	}
	end = memchr(p, '\n', n);
	if (!end)
		return -1;
	line = (size_t)(end - p);
	if (line > 0 && p[line - 1] == '\r')
		line--;
	sp1 = memchr(p, ' ', line);
	if (!sp1 || sp1 == p)
		return -1;
	for (t = p; t < sp1; t++)
		if (!is_tchar(*t))
			return -1;
	sp2 = memchr(sp1 + 1, ' ', line - (size_t)(sp1 + 1 - p));
	if (!sp2 || sp2 == sp1 + 1)
		return -1;
	if ((size_t)(p + line - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    sp2[8] < '0' || sp2[8] > '9')
		return -1;
	for (t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return -1;
	rq->method = p;
	rq->method_len = (size_t)(sp1 - p);
	rq->head = bytes_eq(rq->method, rq->method_len, "HEAD");
	t = sp1 + 1;
	if (starts_with(t, (size_t)(sp2 - t), "http://") ||
	    starts_with(t, (size_t)(sp2 - t), "https://")) {
		/* absolute-form: skip the scheme and the authority */
		const char *a = memchr(t, ':', (size_t)(sp2 - t)) + 3;
		const char *slash = a < sp2 ? memchr(a, '/', (size_t)(sp2 - a)) : NULL;
		t = slash ? slash : sp2;
	}
	q = memchr(t, '?', (size_t)(sp2 - t));
	rq->path = t;
	rq->path_len = (size_t)((q ? q : sp2) - t);
	rq->query = q ? q + 1 : sp2;
	rq->query_len = q ? (size_t)(sp2 - (q + 1)) : 0;
	if (rq->path_len == 0) {
		rq->path = "/";
		rq->path_len = 1;
	}
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Finds query parameter key and percent-decodes its value into out (NUL-
 * terminated, at most size - 1 bytes). Returns 0, or -1 with *why set.
 */
static int query_param(const char *q, size_t n, const char *key, char *out, size_t size,
                       const char **why)
{
	size_t klen = strlen(key);
	const char *p = q, *end = q + n;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t o = 0;

			for (const char *v = p + klen + 1; v < stop; v++) {
				char ch = *v;
				if (ch == '%') {
					int hi = v + 2 < stop ? hexval(v[1]) : -1;
					int lo = hi >= 0 ? hexval(v[2]) : -1;
					if (lo < 0) {
						*why = "bad percent-encoding in m=MODE";
						return -1;
					}
					ch = (char)(hi << 4 | lo);
					v += 2;
				} else if (ch == '+') {
					ch = ' ';
				}
				if (o + 1 >= size) {
					*why = "m=MODE is too long";
					return -1;
				}
				out[o++] = ch;
			}
			out[o] = '\0';
			if (memchr(out, '\0', o)) {
				*why = "m=MODE contains a NUL byte";
				return -1;
			}
			return 0;
		}
		p = stop + 1;
	}
	*why = "missing m=MODE in the query";
	return -1;
}

static void listener_close(struct listener *l)
{
	if (l->state == LISTENER_LISTENING || l->state == LISTENER_BOUND)
		uv_close((uv_handle_t *)&l->tcp, NULL);
	if (l->state != LISTENER_UNUSED)
		l->state = LISTENER_CLOSED;
}

static void control_mode(struct conn *c, const struct request *rq)
{
	struct listener *l = c->l;
	char text[MODE_TEXT_MAX + 1], body[256];
	const char *why = NULL;
	struct mode m;

	if (!bytes_eq(rq->method, rq->method_len, "GET") &&
	    !bytes_eq(rq->method, rq->method_len, "POST")) {
		conn_respond(c, RESP_BAD_METHOD, rq->head);
		return;
	}
	if (query_param(rq->query, rq->query_len, "m", text, sizeof(text), &why) < 0 ||
	    mode_parse(text, &m, &why) < 0) {
		snprintf(body, sizeof(body), "%s\n", why);
		conn_respond_dyn(c, 400, "text/plain", body, false);
		return;
	}
	if (l->state != LISTENER_LISTENING) {
		conn_respond_dyn(c, 409, "text/plain",
		                 "this listener was closed by refuse and cannot be reopened\n",
		                 false);
		return;
	}
	l->mode = m;
	if (m.kind == MODE_REFUSE)
		listener_close(l);
	conn_respond(c, RESP_CONTROL_OK, false);
}

static void control_stats(struct conn *c, const struct request *rq)
{
	char body[64 + 2 * UA_MAX], *o;

	if (!rq->head && !bytes_eq(rq->method, rq->method_len, "GET")) {
		conn_respond(c, RESP_BAD_METHOD, false);
		return;
	}
	o = body + snprintf(body, sizeof(body),
	                    "{\"requests\":%" PRIu64 ",\"user_agent\":", c->l->requests);
	if (!c->l->last_ua[0]) {
		o += snprintf(o, 8, "null");
	} else { /* a JSON string: the header's bytes are printable ASCII */
		*o++ = '"';
		for (const char *u = c->l->last_ua; *u; u++) {
			if (*u == '"' || *u == '\\')
				*o++ = '\\';
			*o++ = *u;
		}
		*o++ = '"';
	}
	snprintf(o, 4, "}");
	conn_respond_dyn(c, 200, "application/json", body, rq->head);
}

/*
 * Keeps the value of the User-Agent header in p[0..n) (a complete header)
 * in @p out, printable ASCII only, at most UA_MAX bytes; "" when absent.
 */
static void header_user_agent(const char *p, size_t n, char *out)
{
	static const char name[] = "\nuser-agent:";
	size_t k = sizeof(name) - 1, len = 0;

	out[0] = '\0';
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k && tolower((unsigned char)p[i + j]) == name[j])
			j++;
		if (j < k)
			continue;
		i += k;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < n && len < UA_MAX && p[i] >= ' ' && p[i] < 0x7f)
			out[len++] = p[i++];
		while (len > 0 && out[len - 1] == ' ')
			len--;
		out[len] = '\0';
		return;
	}
}

/* The request header is complete in p[0..n): answer it. */
static void conn_dispatch(struct conn *c, const char *p, size_t n)
{
	struct listener *l = c->l;
	struct server *srv = l->srv;
	const struct response *ok = &srv->resp[RESP_OK];
	struct request rq;
	bool fail;

	if (request_parse(p, n, &rq) < 0) {
		conn_respond(c, RESP_BAD_REQUEST, false);
		return;
	}
	if (starts_with(rq.path, rq.path_len, CONTROL_PREFIX)) {
		if (bytes_eq(rq.path, rq.path_len, CONTROL_MODE_PATH))
			control_mode(c, &rq);
		else if (bytes_eq(rq.path, rq.path_len, CONTROL_STATS_PATH))
			control_stats(c, &rq);
		else
			conn_respond(c, RESP_NOT_FOUND, rq.head);
		return;
	}
	l->requests++;
	header_user_agent(p, n, l->last_ua);
	switch (l->mode.kind) {
	case MODE_FAILUA:
		fail = strstr(l->last_ua, l->mode.ua) != NULL;
		conn_respond(c, fail ? RESP_FAIL : RESP_OK, rq.head);
		return;
	case MODE_OK: conn_respond(c, RESP_OK, rq.head); return;
	case MODE_FAIL: conn_respond(c, RESP_FAIL, rq.head); return;
	case MODE_HUGE: conn_respond(c, RESP_HUGE, rq.head); return;
	case MODE_BADJSON: conn_respond(c, RESP_BADJSON, rq.head); return;
	case MODE_FLAKY:
		fail = rng_unit(&l->rng) < l->mode.p;
		conn_respond(c, fail ? RESP_FAIL : RESP_OK, rq.head);
		return;
	case MODE_FLIP:
		fail = ((uv_now(&srv->loop) - srv->start_ms) / l->mode.ms) & 1;
		conn_respond(c, fail ? RESP_FAIL : RESP_OK, rq.head);
		return;
	case MODE_HANG: conn_set_state(c, CONN_HANGING); return;
	case MODE_RESET:
	case MODE_REFUSE: /* accepted just before a refuse by control */
		conn_close(c, true);
		return;
	case MODE_SLOW:
		c->out = ok->buf;
		c->out_len = rq.head ? ok->hdr_len : ok->len;
		conn_set_state(c, CONN_WAITING);
		if (conn_timer_start(c, slow_timer_cb, l->mode.ms, 0) != 0)
			conn_close(c, false);
		return;
	case MODE_GZIP: conn_respond(c, RESP_GZIP, rq.head); return;
	case MODE_REDIRECT: conn_respond(c, RESP_REDIRECT, rq.head); return;
	case MODE_RESETBODY:
		conn_set_state(c, CONN_WAITING);
		conn_send(c, srv->resp[RESP_RESETBODY].buf, srv->resp[RESP_RESETBODY].len);
		return;
	case MODE_ENDLESS:
		conn_set_state(c, CONN_STREAMING);
		conn_send(c, srv->resp[RESP_ENDLESS].buf, srv->resp[RESP_ENDLESS].len);
		return;
	case MODE_TRICKLE:
		c->out = ok->buf;
		c->out_len = rq.head ? ok->hdr_len : ok->len;
		c->out_off = 0;
		conn_set_state(c, CONN_TRICKLING);
		(void)uv_tcp_nodelay(&c->tcp, 1);
		if (conn_timer_start(c, trickle_timer_cb, TRICKLE_MS, TRICKLE_MS) != 0) {
			conn_close(c, false);
			return;
		}
		trickle_send_byte(c);
		return;
	}
}

/*
 * Returns the offset just past the blank line ending a header in p[0..n),
 * looking for its first '\n' at or after from; 0 when there is none yet.
 * "\n\n" is taken as well as "\r\n\r\n", for hand-typed requests.
 */
static size_t header_end(const char *p, size_t n, size_t from)
{
	const char *nl;

	while (from < n && (nl = memchr(p + from, '\n', n - from)) != NULL) {
		size_t i = (size_t)(nl - p);
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
		from = i + 1;
	}
	return 0;
}

/* Appends to the connection's header buffer, which grows up to HEADER_CAP. */
static int conn_stash(struct conn *c, const char *p, size_t n)
{
	size_t need = (size_t)c->hdr_len + n;

	assert(need <= HEADER_CAP);
	if (need > c->hdr_cap) {
		size_t cap = c->hdr_cap ? c->hdr_cap : HEADER_STASH_MIN;
		char *b;

		while (cap < need)
			cap *= 2;
		b = realloc(c->hdr, cap);
		if (!b)
			return -1;
		c->hdr = b;
		c->hdr_cap = (uint16_t)cap;
	}
	memcpy(c->hdr + c->hdr_len, p, n);
	c->hdr_len = (uint16_t)need;
	return 0;
}

/* New bytes of a request header in READING state. */
static void conn_feed(struct conn *c, const char *p, size_t n)
{
	size_t end, from, take;

	if (c->hdr_len == 0) {
		/* The usual case: the whole header in one read, answered in place. */
		end = header_end(p, n < HEADER_CAP ? n : HEADER_CAP, 0);
		if (end) {
			conn_dispatch(c, p, end);
		} else if (n >= HEADER_CAP) {
			conn_respond(c, RESP_TOO_LARGE, false);
		} else if (conn_stash(c, p, n) < 0) {
			conn_close(c, false);
		}
		return;
	}
	from = c->hdr_len >= 2 ? c->hdr_len - 2u : 0;
	take = HEADER_CAP - c->hdr_len;
	if (take > n)
		take = n;
	if (conn_stash(c, p, take) < 0) {
		conn_close(c, false);
		return;
	}
	end = header_end(c->hdr, c->hdr_len, from);
	if (end)
		conn_dispatch(c, c->hdr, end);
	else if (c->hdr_len == HEADER_CAP)
		conn_respond(c, RESP_TOO_LARGE, false);
	if (c->state != CONN_READING) {
		free(c->hdr); /* no longer needed; conn_close() frees nothing yet */
		c->hdr = NULL;
		c->hdr_len = c->hdr_cap = 0;
	}
}

static void conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	buf->base = c->l->srv->rbuf;
	buf->len = sizeof(c->l->srv->rbuf);
}

static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (nread > 0) {
		if (c->state == CONN_READING)
			conn_feed(c, buf->base, (size_t)nread);
		return; /* bytes after the header are read and dropped */
	}
	if (nread == 0)
		return;
	switch (c->state) {
	case CONN_WAITING:
	case CONN_TRICKLING:
	case CONN_WRITING:
		if (nread == UV_EOF) {
			uv_read_stop(s); /* half-closed: the client may still read */
			return;
		}
		conn_close(c, false);
		return;
	default: conn_close(c, false); return;
	}
}

static void listener_connection_cb(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct server *srv = l->srv;
	struct conn *c;

	if (status < 0) {
		fprintf(stderr, PROG ": accept: %s\n", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		/* libuv holds the accepted socket until uv_accept(): the listener
		 * stalls until memory is back, which is all we can do. */
		fprintf(stderr, PROG ": out of memory accepting a connection\n");
		return;
	}
	if (uv_tcp_init(&srv->loop, &c->tcp) != 0) {
		free(c);
		return;
	}
	c->tcp.data = c;
	c->wreq.data = c;
	c->l = l;
	c->state = CONN_READING;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb) != 0)
		conn_close(c, false);
}

/* ---- server ----------------------------------------------------------- */

/* Closes every handle; uv_run() returns once their callbacks have run. */
static void server_stop(struct server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	if (srv->signals_live) {
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		uv_close((uv_handle_t *)&srv->sigint, NULL);
	}
	for (size_t i = 0; i < srv->nls; i++)
		listener_close(&srv->ls[i]);
	for (struct conn *c = srv->conns; c; c = c->next)
		conn_close(c, false);
}

static void signal_cb(uv_signal_t *sig, int signum)
{
	(void)signum;
	server_stop(sig->data);
}

/* Watches SIGTERM and SIGINT; on failure nothing is left open. */
static int signals_start(struct server *srv)
{
	int rc = uv_signal_init(&srv->loop, &srv->sigterm);

	if (rc != 0)
		return rc;
	rc = uv_signal_init(&srv->loop, &srv->sigint);
	if (rc != 0) {
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		return rc;
	}
	srv->signals_live = true;
	srv->sigterm.data = srv->sigint.data = srv;
	rc = uv_signal_start(&srv->sigterm, signal_cb, SIGTERM);
	if (rc == 0)
		rc = uv_signal_start(&srv->sigint, signal_cb, SIGINT);
	return rc; /* on failure server_stop() closes both */
}

/*
 * Port 0 is served by walking the ephemeral port range here instead of
 * binding port 0: once a few thousand ports of the range are taken, the
 * kernel's port-0 search costs milliseconds per bind (27 s for 20,000
 * listeners, measured on Linux 6.x), while trying ports in turn costs one
 * bind per port. One walk serves every address: after a full turn it hands
 * out the same ports again on other addresses. Unlike the kernel it does not
 * skip ip_local_reserved_ports.
 */
struct port_walk {
	uint32_t lo, hi; /* the range, inclusive */
	uint32_t next;   /* the next port to try */
};

static void port_walk_init(struct port_walk *w)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned lo = 32768, hi = 60999, a, b;

	if (f) {
		if (fscanf(f, "%u %u", &a, &b) == 2 && a >= 1 && a <= b && b <= 65535) {
			lo = a;
			hi = b;
		}
		fclose(f);
	}
	w->lo = lo;
	w->hi = hi;
	/* Start anywhere, so that runners started together rarely contend. */
	w->next = lo + (uint32_t)((uv_hrtime() ^ (uint64_t)getpid() * 0x9E3779B97F4A7C15ull) %
	                          (hi - lo + 1));
}

static uint16_t sockaddr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

/* Opens a socket bound to a (and listening, if asked) into *fd; 0 or a UV_E* code. */
static int socket_open(const struct sockaddr_storage *a, bool listening, int *fd)
{
	socklen_t len =
	        a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1, err;

	*fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return uv_translate_sys_error(errno);
	if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(*fd, (const struct sockaddr *)a, len) == 0 &&
	    (!listening || listen(*fd, SOMAXCONN) == 0))
		return 0;
	err = errno;
	close(*fd);
	*fd = -1;
	return uv_translate_sys_error(err);
}

/*
 * Opens a socket on addr at the next free port of w. A port held by another
 * SO_REUSEADDR socket may bind and then fail to listen: both are skipped.
 */
static int port_walk_open(struct port_walk *w, const struct sockaddr_storage *addr, bool listening,
                          int *fd)
{
	struct sockaddr_storage a = *addr;
	uint32_t span = w->hi - w->lo + 1;
	int rc = UV_EADDRINUSE;

	for (uint32_t i = 0; i < span && rc == UV_EADDRINUSE; i++) {
		uint16_t port = htons((uint16_t)w->next);

		w->next = w->next == w->hi ? w->lo : w->next + 1;
		if (a.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&a)->sin6_port = port;
		else
			((struct sockaddr_in *)&a)->sin_port = port;
		rc = socket_open(&a, listening, fd);
	}
	return rc;
}

/*
 * Opens listener l on addr in mode m, at the next free port of walk when walk
 * is not NULL (addr has port 0), and formats its bound "ADDR:PORT" into out.
 */
static int listener_open(struct server *srv, struct listener *l,
                         const struct sockaddr_storage *addr, struct port_walk *walk,
                         const struct mode *m, char *out, size_t size)
{
	bool listening = m->kind != MODE_REFUSE;
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	int rc, fd;

	l->srv = srv;
	l->mode = *m;
	rc = uv_tcp_init(&srv->loop, &l->tcp);
	if (rc != 0)
		return rc;
	l->tcp.data = l;
	l->state = LISTENER_BOUND;
	if (walk) {
		rc = port_walk_open(walk, addr, listening, &fd);
		if (rc == 0) {
			rc = uv_tcp_open(&l->tcp, fd);
			if (rc != 0)
				close(fd);
		}
	} else {
		rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)addr, 0);
	}
	if (rc == 0)
		rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &len);
	if (rc == 0 && listening) {
		/* libuv defers some bind errors to listen() */
		rc = uv_listen((uv_stream_t *)&l->tcp, SOMAXCONN, listener_connection_cb);
		if (rc == 0)
			l->state = LISTENER_LISTENING;
	}
	if (rc == 0 && addr_format(&bound, out, size) < 0)
		rc = UV_EINVAL;
	return rc;
}

/* Raises the soft open-file limit to the hard one; --many needs the room. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			perror(PROG ": setrlimit(RLIMIT_NOFILE)");
	}
}

/* Binds every listener and prints the address line. Returns 0, or 1 after a message. */
static int server_start(struct server *srv, const struct options *opt)
{
	size_t cap = opt->total * 68 + 4, len = 0, k = 0;
	char *line = malloc(cap);
	struct port_walk walk;
	int rc;

	if (!line) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	port_walk_init(&walk);
	line[len++] = '[';
	for (size_t s = 0; s < opt->nspecs; s++) {
		const struct listen_spec *sp = &opt->specs[s];
		bool ephemeral = sockaddr_port(&sp->addr) == 0;

		for (size_t i = 0; i < sp->count; i++, k++) {
			char one[64];
			uint64_t seed = opt->seed ^ (0xD1B54A32D192ED03ull * (k + 1));

			srv->ls[k].rng = splitmix64(&seed);
			rc = listener_open(srv, &srv->ls[k], &sp->addr, ephemeral ? &walk : NULL,
			                   &sp->mode, one, sizeof(one));
			if (rc != 0) {
				if (sp->many)
					fprintf(stderr,
					        PROG ": cannot listen for --many (listener %zu of "
					             "%zu on %s): %s\n",
					        i + 1, sp->count, sp->arg, uv_strerror(rc));
				else
					fprintf(stderr, PROG ": cannot listen on %s: %s\n", sp->arg,
					        uv_strerror(rc));
				free(line);
				return 1;
			}
			len += (size_t)snprintf(line + len, cap - len, "%s\"%s\"", k ? "," : "",
			                        one);
		}
	}
	line[len++] = ']';
	line[len++] = '\n';
	if (fwrite(line, 1, len, stdout) != len || fflush(stdout) != 0) {
		perror(PROG ": stdout");
		free(line);
		return 1;
	}
	free(line);
	uv_update_time(&srv->loop);
	srv->start_ms = uv_now(&srv->loop);
	return 0;
}

/* ---- command line ----------------------------------------------------- */

static int bad_arg(const char *arg, const char *why)
{
	fprintf(stderr, PROG ": bad argument '%s': %s\n", arg, why);
	return 2;
}

/* Fills opt from argv. Returns 0, or an exit status after printing. */
static int options_parse(int argc, char **argv, struct options *opt)
{
	const char *host = "127.0.0.1", *mode = "ok", *why = "";
	struct listen_spec *many = NULL;
	uint64_t u;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 ? -1 : 1;
		}
	}
	opt->seed = DEFAULT_SEED;
	opt->specs = calloc((size_t)argc, sizeof(*opt->specs));
	if (!opt->specs) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--listen") == 0) {
			struct listen_spec *sp = &opt->specs[opt->nspecs];
			if (i + 2 >= argc)
				return bad_arg(a, "needs ADDR:PORT MODE");
			if (addr_port_parse(argv[i + 1], &sp->addr) < 0)
				return bad_arg(argv[i + 1], "--listen needs ADDR:PORT, e.g. "
				                            "127.0.0.1:0 or [::1]:8080");
			if (mode_parse(argv[i + 2], &sp->mode, &why) < 0)
				return bad_arg(argv[i + 2], why);
			sp->arg = argv[i + 1];
			sp->count = 1;
			opt->nspecs++;
			opt->total++;
			i += 2;
		} else if (strcmp(a, "--many") == 0) {
			if (i + 1 >= argc)
				return bad_arg(a, "needs N");
			if (many)
				return bad_arg(a, "given twice");
			if (parse_u64(argv[i + 1], strlen(argv[i + 1]), MANY_MAX, &u) < 0 || u == 0)
				return bad_arg(argv[i + 1], "--many needs N in 1..100000");
			many = &opt->specs[opt->nspecs++];
			many->many = true;
			many->count = (size_t)u;
			opt->total += (size_t)u;
			i++;
		} else if (strcmp(a, "--host") == 0 || strcmp(a, "--mode") == 0 ||
		           strcmp(a, "--seed") == 0) {
			if (i + 1 >= argc)
				return bad_arg(a, "needs a value");
			if (a[2] == 'h')
				host = argv[i + 1];
			else if (a[2] == 'm')
				mode = argv[i + 1];
			else if (parse_u64(argv[i + 1], strlen(argv[i + 1]), UINT64_MAX,
			                   &opt->seed) < 0)
				return bad_arg(argv[i + 1], "--seed needs an unsigned integer");
			i++;
		} else {
			return bad_arg(a, "unknown option (see --help)");
		}
	}
	if (many) {
		if (host_parse(host, strlen(host), 0, &many->addr) < 0)
			return bad_arg(host, "--host needs an IPv4 or IPv6 address");
		if (mode_parse(mode, &many->mode, &why) < 0)
			return bad_arg(mode, why);
		many->arg = host;
	} else if (strcmp(host, "127.0.0.1") != 0 || strcmp(mode, "ok") != 0) {
		return bad_arg(strcmp(mode, "ok") != 0 ? "--mode" : "--host",
		               "only applies to --many");
	}
	if (opt->total == 0) {
		fprintf(stderr, PROG ": nothing to serve: give --listen or --many (see --help)\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct server *srv = NULL;
	int rc, status;

	status = options_parse(argc, argv, &opt);
	if (status != 0) {
		free(opt.specs);
		return status < 0 ? 0 : status;
	}
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-write is a write error */
	raise_nofile();

	srv = calloc(1, sizeof(*srv));
	if (!srv || !(srv->ls = calloc(opt.total, sizeof(*srv->ls)))) {
		fprintf(stderr, PROG ": out of memory\n");
		free(srv);
		free(opt.specs);
		return 1;
	}
	srv->nls = opt.total;
	rc = uv_loop_init(&srv->loop);
	if (rc != 0) {
		fprintf(stderr, PROG ": uv_loop_init: %s\n", uv_strerror(rc));
		free(srv->ls);
		free(srv);
		free(opt.specs);
		return 1;
	}

	/* Signals first, so a SIGTERM during a long --many start-up is clean. */
	status = 0;
	rc = signals_start(srv);
	if (rc != 0) {
		fprintf(stderr, PROG ": signals: %s\n", uv_strerror(rc));
		status = 1;
	}
	if (status == 0 && responses_init(srv) != 0) {
		fprintf(stderr, PROG ": out of memory\n");
		status = 1;
	}
	if (status == 0)
		status = server_start(srv, &opt);
	if (status != 0)
		server_stop(srv);

	uv_run(&srv->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&srv->loop);
	if (rc != 0) {
		fprintf(stderr, PROG ": uv_loop_close: %s\n", uv_strerror(rc));
		status = 1;
	}
	responses_free(srv);
	free(srv->ls);
	free(srv);
	free(opt.specs);
	return status;
}
