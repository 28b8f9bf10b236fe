/* SPDX-License-Identifier: MIT */
/*
 * test_hostile.c — hostile runners each get the right error class within
 * their timeout, while /healthz keeps answering at once (issue 12, the
 * fault suite).
 *
 * One daemon probes, every 2 s with a 1 s timeout, runners that are:
 *   a black hole (SYNs dropped: a listener whose accept queue the test
 *   filled), a server that accepts and never answers, one that trickles a
 *   byte every 200 ms, an endless chunked body, a 1 MiB body, a gzip bomb
 *   (unasked Content-Encoding: 26 kB that inflate to 4 MiB), a redirect to
 *   the metadata address, a reset in the middle of the body (rw-demo-runner's
 *   modes); TLS with a self-signed certificate, an expired one, one for
 *   another host, and TLS 1.0 only (openssl s_server), next to a good
 *   certificate of the same test CA, which the daemon trusts; a name whose
 *   DNS server never answers and an NXDOMAIN (the DNS fixture of
 *   faultlib.h), next to a name that resolves. Controls (plain HTTP, good
 *   TLS, a resolving name) must succeed, so a failure class cannot come
 *   from the fixtures themselves.
 *
 * Over a 14 s window (7 slots) every runner must have at least 4 samples,
 * each of its expected class: a probe that outlived its slot would skip
 * the next one. Meanwhile /healthz is timed every 100 ms: 99 % of the
 * answers under 100 ms. The daemon's peak memory must not grow by more
 * than RSS_MAX_KB (the bomb is never inflated, the endless body is cut at
 * 64 KiB). Everything runs in the test's own network and mount namespaces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define TARGET     "x86_64-unknown-linux-gnu"
#define WINDOW_MS  14000
#define MIN_SAMPLE 4
#define RSS_MAX_KB (64 * 1024)

enum { C_OK, C_DNS, C_CONNECT, C_TLS, C_TIMEOUT, C_HTTP_STATUS, C_BODY, C_TOO_LARGE };

/* rw-demo-runner's listeners, in this order. */
static const char *const modes[] = {"ok",   "hang", "trickle",  "endless",
                                    "huge", "gzip", "redirect", "resetbody"};
enum { FX_OK, FX_HANG, FX_TRICKLE, FX_ENDLESS, FX_HUGE, FX_GZIP, FX_REDIRECT, FX_RESETBODY };

enum { TLS_GOOD, TLS_SELF, TLS_EXPIRED, TLS_WRONGHOST, TLS_10, N_TLS };

struct fx {
	char dir[256], db[320], policy[320], log[320], cli_log[320], fx_log[320], tls_log[320];
	char bundle[512];
	struct rwf_dns dns;
	struct rwt_fixtures fixtures;
	struct rwf_tls tls[N_TLS];
	struct rwt_daemon d;
	int hole, hole_fill[3], hole_port;
	bool passed;
};

struct hostile {
	const char *name;
	char url[160];
	int expect;
};

/* A listener whose accept queue is full: the kernel drops further SYNs,
 * so a connect hangs as it does to a black-holed address. */
static void black_hole(struct fx *f)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->hole = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->hole >= 0);
	assert_int_equal(bind(f->hole, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->hole, 0), 0);
	assert_int_equal(getsockname(f->hole, (struct sockaddr *)&a, &len), 0);
	f->hole_port = ntohs(a.sin_port);
	for (int i = 0; i < 3; i++) {
		f->hole_fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		(void)connect(f->hole_fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	rwt_sleep_ms(100);
}

static void test_hostile_runners(void **state)
{
	struct fx *f = *state;
	struct hostile h[20];
	size_t n = 0, len = 0;
	char json[8192], path[320], port_ok[16];
	double lat[400], ms;
	int n_lat = 0, slow = 0;
	int64_t t0, end, rss0, hwm;
	bool bad = false;

	snprintf(port_ok, sizeof(port_ok), "%s", strrchr(f->fixtures.addr[FX_OK], ':') + 1);
#define RUNNER(nm, cls, ...)                                                                       \
	do {                                                                                       \
		h[n].name = nm;                                                                    \
		h[n].expect = cls;                                                                 \
		snprintf(h[n].url, sizeof(h[n].url), __VA_ARGS__);                                 \
		n++;                                                                               \
	} while (0)
	RUNNER("plain-ok", C_OK, "http://%s/health", f->fixtures.addr[FX_OK]);
	RUNNER("black-hole", C_TIMEOUT, "http://127.0.0.1:%d/health", f->hole_port);
	RUNNER("hang", C_TIMEOUT, "http://%s/health", f->fixtures.addr[FX_HANG]);
	RUNNER("trickle", C_TIMEOUT, "http://%s/health", f->fixtures.addr[FX_TRICKLE]);
	RUNNER("endless-body", C_TOO_LARGE, "http://%s/health", f->fixtures.addr[FX_ENDLESS]);
	RUNNER("huge-body", C_TOO_LARGE, "http://%s/health", f->fixtures.addr[FX_HUGE]);
	RUNNER("gzip-bomb", C_BODY, "http://%s/health", f->fixtures.addr[FX_GZIP]);
	RUNNER("redirect-metadata", C_HTTP_STATUS, "http://%s/health",
	       f->fixtures.addr[FX_REDIRECT]);
	RUNNER("reset-mid-body", C_BODY, "http://%s/health", f->fixtures.addr[FX_RESETBODY]);
	RUNNER("tls-ok", C_OK, "https://127.0.0.1:%d/health", f->tls[TLS_GOOD].port);
	RUNNER("tls-self-signed", C_TLS, "https://127.0.0.1:%d/health", f->tls[TLS_SELF].port);
	RUNNER("tls-expired", C_TLS, "https://127.0.0.1:%d/health", f->tls[TLS_EXPIRED].port);
	RUNNER("tls-wrong-host", C_TLS, "https://127.0.0.1:%d/health", f->tls[TLS_WRONGHOST].port);
	RUNNER("tls-1.0", C_TLS, "https://127.0.0.1:%d/health", f->tls[TLS_10].port);
	RUNNER("dns-ok", C_OK, "http://r.ok.test:%s/health", port_ok);
	RUNNER("dns-silent", C_DNS, "http://r.silent.test:%s/health", port_ok);
	RUNNER("dns-nxdomain", C_DNS, "http://r.nx.test:%s/health", port_ok);
#undef RUNNER

	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "operator", "add", "hostile", "--db", f->db,
	                         "--email", "ops@example.org", NULL),
	                 0);
	len += (size_t)snprintf(json + len, sizeof(json) - len, "[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(
		        json + len, sizeof(json) - len,
		        "%s{\"operator\":\"hostile\",\"name\":\"%s\",\"targets\":[\"" TARGET
		        "\"],\"url\":\"%s\"}",
		        i ? "," : "", h[i].name, h[i].url);
	snprintf(json + len, sizeof(json) - len, "]\n");
	snprintf(path, sizeof(path), "%s/runners.json", f->dir);
	rwt_write_file(path, json);
	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "runner", "import", "--allow-cidr",
	                         "127.0.0.0/8", path, "--db", f->db, NULL),
	                 0);
	{
		const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8",
		                             NULL};
		rwt_daemon_start(&f->d, f->log, f->db, extra);
	}
	rwt_sleep_ms(200);
	rss0 = rwf_status_kb(f->d.pid, "VmRSS");
	t0 = rwf_wall_ms();
	end = rwt_mono_ms() + WINDOW_MS;
	while (rwt_mono_ms() < end && n_lat < (int)(sizeof(lat) / sizeof(lat[0]))) {
		long st = rwf_get_timed(f->d.url, "/healthz", &ms);
		assert_int_equal(st, 200);
		lat[n_lat++] = ms;
		slow += ms >= 100;
		rwt_sleep_ms(100);
	}
	hwm = rwf_status_kb(f->d.pid, "VmHWM");

	fprintf(stderr, "%-18s %-16s %s\n", "runner", "expected", "samples");
	for (size_t i = 0; i < n; i++) {
		int counts[RWF_NCLASS], total = rwf_samples(f->db, h[i].name, t0, counts);
		char s[200];
		bool ok = total >= MIN_SAMPLE && counts[h[i].expect] == total;
		rwf_counts_str(counts, s, sizeof(s));
		fprintf(stderr, "%-18s %-16s %s%s\n", h[i].name, rwf_class_names[h[i].expect], s,
		        ok ? "" : "   <-- wrong");
		bad |= !ok;
	}
	{
		double max = 0;
		for (int i = 0; i < n_lat; i++)
			max = lat[i] > max ? lat[i] : max;
		fprintf(stderr,
		        "/healthz: %d answers, %d at or over 100 ms, the slowest %.0f ms; "
		        "VmRSS %lld kB before, VmHWM %lld kB after\n",
		        n_lat, slow, max, (long long)rss0, (long long)hwm);
	}
	if (bad)
		fail_msg("some runner did not get its class within its timeout (table above)");
	if (slow * 100 > n_lat)
		fail_msg("/healthz took 100 ms or more in %d of %d answers", slow, n_lat);
	if (hwm - rss0 > RSS_MAX_KB)
		fail_msg("the daemon grew by %lld kB while probing", (long long)(hwm - rss0));
	rwt_daemon_stop(&f->d, 30000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const char *const names[N_TLS] = {"good", "selfsigned", "expired", "wronghost",
	                                         "good"};
	const char *const tls10[] = {"-tls1", "-cipher", "DEFAULT@SECLEVEL=0", NULL};

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-hostile");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	snprintf(f->tls_log, sizeof(f->tls_log), "%s/s_server.log", f->dir);
	rwt_write_file(
	        f->policy,
	        "{\"version\": 1, \"uptime_floor\": 0, \"flagging\": {\"probation_days\": 0},\n"
	        " \"probe\": {\"interval_s\": 2, \"timeout_ms\": 1000, \"failures_to_down\": 2},\n"
	        " \"blindness\": {\"fraction\": 1, \"min_runners\": 1000}}\n");
	rwf_dns_start(&f->dns, f->dir);
	rwf_certs(f->dir, f->bundle, sizeof(f->bundle));
	for (int i = 0; i < N_TLS; i++)
		rwf_tls_start(&f->tls[i], f->dir, names[i], i == TLS_10 ? tls10 : NULL, f->tls_log);
	rwt_fixtures_start(&f->fixtures, f->fx_log, modes, sizeof(modes) / sizeof(modes[0]));
	black_hole(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwt_fixtures_stop(&f->fixtures);
	for (int i = 0; i < N_TLS; i++)
		rwf_tls_stop(&f->tls[i]);
	rwf_dns_stop(&f->dns);
	for (int i = 0; i < 3; i++)
		if (f->hole_fill[i] > 0)
			close(f->hole_fill[i]);
	if (f->hole > 0)
		close(f->hole);
	(void)umount("/etc/resolv.conf");
	(void)umount(rwf_system_bundle());
	if (!f->passed) {
		rwt_dump_file("daemon", f->log);
		rwt_dump_file("cli", f->cli_log);
	}
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_hostile_runners, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
