/* SPDX-License-Identifier: MIT */
/*
 * bare_prober.c — the floor under runwarden's probe engine: nothing but the
 * probes (tests/bench/README.md, "bare_prober").
 *
 * libcurl's multi interface driven by libuv the way curl's
 * docs/examples/multi-uv.c does it (CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION, one uv_poll_t per socket, one uv_timer_t), one easy
 * handle per probe in flight (handles are kept in a free list and reused, as
 * any prober would), a fresh connection per probe (CURLOPT_FRESH_CONNECT and
 * CURLOPT_FORBID_REUSE), the body read and dropped, no storage, no
 * accounting, no metrics. With --cacert it trusts that CA file alone and lets
 * the multi handle cache the CA store (CURLOPT_CA_CACHE_TIMEOUT), as
 * runwarden does with the system bundle.
 *
 * Schedule: URL i is due at i × interval / N within each interval, the same
 * even spread as runwarden's scheduler; a URL whose previous probe is still
 * in flight skips its slot (counted), and at --max-concurrency a due probe
 * waits for a free handle (counted as deferred).
 *
 * It probes for --warmup seconds, then measures --duration seconds: CPU of
 * the process (getrusage, user + system, every thread) over the probes that
 * finished in the window, and peak RSS (ru_maxrss). It prints one line of
 * key=value pairs and exits 0, or 2 on bad arguments. Not installed.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

struct target {
	char *url;
	bool inflight;
};

struct probe {
	CURL *easy;
	struct target *t;
	struct probe *next; /* free list */
};

struct sockctx {
	uv_poll_t poll;
	curl_socket_t fd;
	int events;
};

static struct {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t curl_timer, sched_timer, end_timer;
	struct target *targets;
	size_t n;
	uint64_t interval_ms, t0;
	uint64_t slot;   /* the next slot to start: URL slot % n, due t0 + slot × interval / n */
	size_t max;      /* probes in flight at most */
	size_t inflight; /* probes in flight now */
	struct probe *free_list;
	const char *cacert;
	long timeout_ms;
	bool measuring;
	uint64_t done, ok, failed, skipped, deferred; /* in the window */
	uint64_t late_max_ms;
} B;

static void die(const char *what)
{
	fprintf(stderr, "bare_prober: %s\n", what);
	exit(2);
}

static size_t discard_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

static void check_done(void)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(B.multi, &left))) {
		struct probe *p = NULL;
		CURL *easy;
		CURLcode result;
		long code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		result = msg->data.result;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&p);
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
		curl_multi_remove_handle(B.multi, easy);
		if (B.measuring) {
			B.done++;
			if (result == CURLE_OK && code >= 200 && code <= 299)
				B.ok++;
			else
				B.failed++;
		}
		p->t->inflight = false;
		p->t = NULL;
		p->next = B.free_list;
		B.free_list = p;
		B.inflight--;
	}
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct sockctx *sc = h->data;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(B.multi, sc->fd, flags, &running);
	check_done();
}

static void close_cb(uv_handle_t *h)
{
	free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct sockctx *sc = socketp;
	int events = 0;
	(void)easy;
	(void)userp;

	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			curl_multi_assign(B.multi, fd, NULL);
			uv_close((uv_handle_t *)&sc->poll, close_cb);
		}
		return 0;
	}
	if (!sc) {
		sc = malloc(sizeof(*sc));
		if (!sc || uv_poll_init_socket(B.loop, &sc->poll, fd) < 0)
			die("cannot poll a socket");
		sc->fd = fd;
		sc->events = 0;
		sc->poll.data = sc;
		curl_multi_assign(B.multi, fd, sc);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (events != sc->events && uv_poll_start(&sc->poll, events, poll_cb) == 0)
		sc->events = events;
	return 0;
}

static void curl_timer_cb(uv_timer_t *t)
{
	int running;
	(void)t;
	curl_multi_socket_action(B.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done();
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	(void)userp;
	if (timeout_ms < 0)
		uv_timer_stop(&B.curl_timer);
	else /* 0: at the next loop iteration, not from inside curl */
		uv_timer_start(&B.curl_timer, curl_timer_cb, (uint64_t)timeout_ms, 0);
	return 0;
}

static struct probe *take_probe(void)
{
	struct probe *p = B.free_list;

	if (p) {
		B.free_list = p->next;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->easy = curl_easy_init()))
		die("out of memory");
	curl_easy_setopt(p->easy, CURLOPT_PRIVATE, p);
	curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(p->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(p->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, B.timeout_ms);
	curl_easy_setopt(p->easy, CURLOPT_TCP_NODELAY, 1L);
	/* libcurl 7.88 keeps a DNS cache entry per HOST:PORT, IP literals
	 * too, in a hash of a few dozen slots: with thousands of URLs every
	 * lookup walks long chains (runwarden removes each handle's previous
	 * entry, monitor/probe/probe.c). Entries that expire at once keep
	 * the cache as small as the probes in flight. */
	curl_easy_setopt(p->easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	if (B.cacert) {
		curl_easy_setopt(p->easy, CURLOPT_CAINFO, B.cacert);
		curl_easy_setopt(p->easy, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(p->easy, CURLOPT_CA_CACHE_TIMEOUT, 3600L);
	}
	return p;
}

static uint64_t slot_due(uint64_t slot)
{
	return B.t0 + slot / B.n * B.interval_ms + (slot % B.n) * B.interval_ms / B.n;
}

static void sched_cb(uv_timer_t *t)
{
	uint64_t now = uv_now(B.loop), due;

	while ((due = slot_due(B.slot)) <= now) {
		struct target *tg = &B.targets[B.slot % B.n];
		struct probe *p;

		if (tg->inflight) {
			if (B.measuring)
				B.skipped++;
			B.slot++;
			continue;
		}
		if (B.inflight >= B.max) { /* wait for a handle: check again in 1 ms */
			if (B.measuring)
				B.deferred++;
			uv_timer_start(t, sched_cb, 1, 0);
			return;
		}
		if (B.measuring && now - due > B.late_max_ms)
			B.late_max_ms = now - due;
		p = take_probe();
		p->t = tg;
		tg->inflight = true;
		curl_easy_setopt(p->easy, CURLOPT_URL, tg->url);
		if (curl_multi_add_handle(B.multi, p->easy) != CURLM_OK)
			die("curl_multi_add_handle failed");
		B.inflight++;
		B.slot++;
	}
	uv_timer_start(t, sched_cb, due - now, 0);
}

static struct rusage ru0;
static uint64_t wall0;
static unsigned duration_s;

static double cpu_s(const struct rusage *r)
{
	return (double)r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
	       r->ru_stime.tv_usec / 1e6;
}

static void end_cb(uv_timer_t *t)
{
	struct rusage ru1;
	double cpu, el;

	if (!B.measuring) { /* end of the warm-up: the window starts */
		B.measuring = true;
		getrusage(RUSAGE_SELF, &ru0);
		wall0 = uv_hrtime();
		uv_timer_start(t, end_cb, (uint64_t)duration_s * 1000, 0);
		return;
	}
	getrusage(RUSAGE_SELF, &ru1);
	cpu = cpu_s(&ru1) - cpu_s(&ru0);
	el = (double)(uv_hrtime() - wall0) / 1e9;
	printf("bare: elapsed_s=%.2f probes=%" PRIu64 " probes_per_s=%.0f ok=%" PRIu64
	       " failed=%" PRIu64 " skipped=%" PRIu64 " deferred=%" PRIu64 " late_max_ms=%" PRIu64
	       " cpu_s=%.2f cpu_pct=%.1f cpu_us_per_probe=%.1f"
	       " rss_peak_mb=%.1f max_concurrency=%zu\n",
	       el, B.done, B.done / el, B.ok, B.failed, B.skipped, B.deferred, B.late_max_ms, cpu,
	       100 * cpu / el, B.done ? cpu * 1e6 / (double)B.done : 0.0, ru1.ru_maxrss / 1024.0,
	       B.max);
	fflush(stdout);
	exit(0); /* no teardown: the OS frees it, and it is not measured */
}

static const char usage[] =
        "usage: bare_prober --urls FILE [--interval S] [--duration S] [--warmup S]\n"
        "                   [--max-concurrency N] [--timeout-ms MS] [--cacert FILE]\n"
        "  --urls FILE           one URL a line\n"
        "  --interval S          each URL every S seconds (default 10)\n"
        "  --duration S          measured window (default 60)\n"
        "  --warmup S            probing before the window (default: the interval)\n"
        "  --max-concurrency N   probes in flight at most (default 4096)\n"
        "  --timeout-ms MS       per probe (default 2000)\n"
        "  --cacert FILE         trust the CA certificates in FILE alone (HTTPS)\n"
        "Prints one line of key=value pairs after the window.\n";

static unsigned long arg_num(const char *opt, const char *s, unsigned long min)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min) {
		fprintf(stderr, "bare_prober: %s: \"%s\" is not a whole number >= %lu\n", opt, s,
		        min);
		exit(2);
	}
	return v;
}

static void read_urls(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	size_t cap = 0;

	if (!fp) {
		fprintf(stderr, "bare_prober: --urls %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (B.n == cap) {
			cap = cap ? cap * 2 : 1024;
			B.targets = realloc(B.targets, cap * sizeof(*B.targets));
			if (!B.targets)
				die("out of memory");
		}
		B.targets[B.n].url = strdup(line);
		B.targets[B.n].inflight = false;
		if (!B.targets[B.n++].url)
			die("out of memory");
	}
	fclose(fp);
	if (B.n == 0) {
		fprintf(stderr, "bare_prober: --urls %s: no URL in it\n", path);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"urls", required_argument, NULL, 'u'},
	        {"interval", required_argument, NULL, 'i'},
	        {"duration", required_argument, NULL, 'd'},
	        {"warmup", required_argument, NULL, 'w'},
	        {"max-concurrency", required_argument, NULL, 'm'},
	        {"timeout-ms", required_argument, NULL, 't'},
	        {"cacert", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *urls = NULL;
	unsigned long interval = 10, warmup = (unsigned long)-1;
	int c;

	duration_s = 60;
	B.max = 4096;
	B.timeout_ms = 2000;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': urls = optarg; break;
		case 'i': interval = arg_num("--interval", optarg, 1); break;
		case 'd': duration_s = (unsigned)arg_num("--duration", optarg, 1); break;
		case 'w': warmup = arg_num("--warmup", optarg, 0); break;
		case 'm': B.max = arg_num("--max-concurrency", optarg, 1); break;
		case 't': B.timeout_ms = (long)arg_num("--timeout-ms", optarg, 1); break;
		case 'c': B.cacert = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || !urls) {
		fprintf(stderr, "bare_prober: %s\n%s",
		        urls ? "unexpected argument" : "--urls FILE is required", usage);
		return 2;
	}
	if (warmup == (unsigned long)-1)
		warmup = interval;
	read_urls(urls);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	B.loop = uv_default_loop();
	B.multi = curl_multi_init();
	if (!B.multi)
		die("curl_multi_init failed");
	curl_multi_setopt(B.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(B.multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(B.multi, CURLMOPT_MAXCONNECTS, 16L);
	uv_timer_init(B.loop, &B.curl_timer);
	uv_timer_init(B.loop, &B.sched_timer);
	uv_timer_init(B.loop, &B.end_timer);
	B.interval_ms = (uint64_t)interval * 1000;
	B.t0 = uv_now(B.loop);
	uv_timer_start(&B.sched_timer, sched_cb, 0, 0);
	uv_timer_start(&B.end_timer, end_cb, (uint64_t)warmup * 1000, 0);
	return uv_run(B.loop, UV_RUN_DEFAULT);
}
