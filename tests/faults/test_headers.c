/* SPDX-License-Identifier: MIT */
/*
 * test_headers.c — request heads are capped before authentication, and
 * /healthz answers when the connection cap is reached (issue 12, items 4
 * and 8).
 *
 *   test_header_flood: 1,000 connections each send up to 400 KB of a request
 *   head that never ends (libh2o 2.2 buffers up to 408 KiB of it per
 *   connection before answering), all at once. Every connection must be
 *   answered 431, and the daemon's peak resident memory (VmHWM) must stay
 *   within HEADER_RSS_MAX_KB of what it was before (before the fix: +393
 *   MiB, and no answer at all). After its 431 the server drops what a
 *   client still sends for a second, then closes: a client may not get to
 *   send all 400 KB, which is the point.
 *
 *   test_healthz_over_cap: with max_connections 20 and 28 idle connections
 *   open, /healthz must still answer 200, in under 100 ms, while another
 *   request over the cap gets no answer (before the fix, every connection
 *   over the cap was closed at accept, health checks included).
 *
 * It runs in network and mount namespaces of its own (faultlib.h) only so
 * that its 1,000 connections use their own loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define N_CONNS           1000
#define HEAD_BYTES        (400 * 1000)
#define HEADER_RSS_MAX_KB (64 * 1024) /* generous: 16 KiB per connection is the design */
#define WAIT_MS           60000

struct fx {
	char dir[256], db[320], config[320], log[320];
	struct rwt_daemon d;
	bool passed;
};

struct flood {
	int fd;
	size_t sent;
	char got[64];
	size_t got_len;
	bool done;     /* answered, closed or failed */
	bool send_end; /* all sent, or the server stopped taking it */
};

static void test_header_flood(void **state)
{
	struct fx *f = *state;
	static struct flood c[N_CONNS];
	static char pad[65536];
	static const char start[] = "GET /v1/runners HTTP/1.1\r\nHost: x\r\nX-Pad: ";
	int64_t rss0, hwm, deadline = rwt_mono_ms() + WAIT_MS;
	size_t left = N_CONNS;
	int n431 = 0, other = 0;

	rwt_daemon_start(&f->d, f->log, f->db, NULL);
	rwt_sleep_ms(300);
	rss0 = rwf_status_kb(f->d.pid, "VmRSS");
	memset(pad, 'a', sizeof(pad));
	memset(c, 0, sizeof(c));
	for (int i = 0; i < N_CONNS; i++) {
		c[i].fd = rwf_connect(f->d.url);
		if (c[i].fd < 0)
			fail_msg("connection %d: %s", i, strerror(errno));
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
	/* Send every head (never ending it), then read what each is answered. */
	while (left > 0 && rwt_mono_ms() < deadline) {
		static struct pollfd p[N_CONNS];
		int np = 0, map[N_CONNS];

		for (int i = 0; i < N_CONNS; i++) {
			if (c[i].done)
				continue;
			p[np].fd = c[i].fd;
			p[np].events = (short)(POLLIN | (c[i].send_end ? 0 : POLLOUT));
			p[np].revents = 0;
			map[np++] = i;
		}
		if (poll(p, (nfds_t)np, 200) < 0)
			continue;
		for (int k = 0; k < np; k++) {
			struct flood *x = &c[map[k]];
			if (p[k].revents & POLLOUT) {
				const char *b = x->sent < sizeof(start) - 1 ? start + x->sent : pad;
				size_t want = x->sent < sizeof(start) - 1
				                      ? sizeof(start) - 1 - x->sent
				                      : sizeof(pad);
				ssize_t w;
				if (want > HEAD_BYTES - x->sent)
					want = HEAD_BYTES - x->sent;
				w = send(x->fd, b, want, MSG_NOSIGNAL);
				if (w > 0)
					x->sent += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
				    x->sent == HEAD_BYTES)
					x->send_end = true;
			}
			if (p[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = recv(x->fd, x->got + x->got_len,
				                 sizeof(x->got) - 1 - x->got_len, 0);
				if (r > 0)
					x->got_len += (size_t)r;
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				/* Done at the end of the stream, or with the answer
				 * read once every byte is sent (the server drops what
				 * comes after a 431 for a while). */
				if (r <= 0 || (x->got_len == sizeof(x->got) - 1 && x->send_end)) {
					x->done = true;
					left--;
				}
			}
		}
	}
	hwm = rwf_status_kb(f->d.pid, "VmHWM");
	{
		size_t total = 0, full = 0;
		for (int i = 0; i < N_CONNS; i++) {
			total += c[i].sent;
			full += c[i].sent == HEAD_BYTES;
		}
		fprintf(stderr, "%zu bytes of headers sent on %d connections (%zu sent all %d)\n",
		        total, N_CONNS, full, HEAD_BYTES);
	}
	for (int i = 0; i < N_CONNS; i++) {
		c[i].got[c[i].got_len] = '\0';
		if (strncmp(c[i].got, "HTTP/1.1 431 ", 13) == 0)
			n431++;
		else if (other++ < 3)
			fprintf(stderr, "connection %d: sent %zu, got \"%.40s\"\n", i, c[i].sent,
			        c[i].got);
		close(c[i].fd);
	}
	fprintf(stderr,
	        "VmRSS before %lld kB, VmHWM after %lld kB (+%lld kB); %d of %d answered 431\n",
	        (long long)rss0, (long long)hwm, (long long)(hwm - rss0), n431, N_CONNS);
	if (hwm - rss0 > HEADER_RSS_MAX_KB)
		fail_msg("the daemon grew by %lld kB (at most %d)", (long long)(hwm - rss0),
		         HEADER_RSS_MAX_KB);
	assert_int_equal(n431, N_CONNS);
	/* And it still serves. */
	{
		double ms;
		assert_int_equal(rwf_get_timed(f->d.url, "/healthz", &ms), 200);
	}
	rwt_daemon_stop(&f->d, 15000);
	f->passed = true;
}

static void test_healthz_over_cap(void **state)
{
	struct fx *f = *state;
	const char *const extra[] = {"--config", f->config, NULL};
	int idle[28], extra_fd;
	double ms;
	char buf[64];
	ssize_t n;

	rwt_write_file(f->config, "{\"max_connections\": 20}\n");
	rwt_daemon_start(&f->d, f->log, f->db, extra);
	for (int i = 0; i < 28; i++) {
		idle[i] = rwf_connect(f->d.url);
		assert_true(idle[i] >= 0);
	}
	rwt_sleep_ms(50);
	/* A health check over the cap is answered, at once. */
	for (int i = 0; i < 5; i++) {
		long st = rwf_get_timed(f->d.url, "/healthz", &ms);
		fprintf(stderr, "/healthz over the cap: %ld in %.1f ms\n", st, ms);
		assert_int_equal(st, 200);
		if (ms >= 100)
			fail_msg("/healthz over the cap took %.1f ms", ms);
	}
	/* Anything else over the cap is not. */
	extra_fd = rwf_connect(f->d.url);
	assert_true(extra_fd >= 0);
	assert_true(send(extra_fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 34, 0) == 34);
	{
		struct timeval tv = {.tv_sec = 5};
		setsockopt(extra_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	n = recv(extra_fd, buf, sizeof(buf), 0);
	if (n > 0)
		fail_msg("a request over the cap was answered: %.*s", (int)n, buf);
	close(extra_fd);
	for (int i = 0; i < 28; i++)
		close(idle[i]);
	rwt_daemon_stop(&f->d, 15000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-hdr");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	if (!f->passed)
		rwt_dump_file("daemon", f->log);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_header_flood, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_healthz_over_cap, setup, teardown),
	};
	struct rlimit rl;

	rwf_isolate();
	/* 1,000 connections here and as many in the daemon, which inherits it. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
