/* SPDX-License-Identifier: MIT */
/*
 * test_tls_cost.c — an HTTPS probe costs what the TLS handshake costs
 * (issue 12, item 1).
 *
 * Debian's libcurl has both a CA bundle and a CA path; with both, libcurl
 * does not cache the CA store and every HTTPS probe re-read and parsed the
 * whole system bundle on the loop thread (~45 ms of CPU against under 1 ms
 * for plain HTTP). The scenario: ten runners probed every second over HTTPS
 * (openssl s_server with a certificate of a test CA that the daemon trusts
 * through the system bundle, bind-mounted in the test's own mount
 * namespace), then ten over plain HTTP (rw-demo-runner), each for a few
 * seconds on its own daemon. It asserts
 *   - the HTTPS probes succeed (so the handshake and verification are real);
 *   - the bundle is opened at most once while they run (inotify on it);
 *   - the daemon's CPU per HTTPS probe is within a generous ratio of its CPU
 *     per HTTP probe: a ratio of two figures taken on the same machine in
 *     the same run, never a time.
 * And webhooks, which go through the same glue: deliveries of the
 * registration events to an HTTPS receiver whose certificate is not
 * trusted (so every attempt is a handshake, retried with backoff) open the
 * bundle at most once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define N_RUNNERS 10
#define WINDOW_MS 8000
/* HTTPS against HTTP CPU per probe: measured ~5 with the CA store cached,
 * ~100 without (the bundle parsed per probe). */
#define MAX_RATIO 30.0

static const char policy_json[] =
        "{\"version\": 1, \"uptime_floor\": 0,\n"
        " \"flagging\": {\"probation_days\": 0},\n"
        " \"probe\": {\"interval_s\": 1, \"timeout_ms\": 900, \"failures_to_down\": 3,\n"
        "           \"successes_to_up\": 1},\n"
        " \"blindness\": {\"fraction\": 1, \"min_runners\": 1000}}\n";

struct fx {
	char dir[256], bundle[512], policy[320], log[320], cli_log[320], tls_log[320], fx_log[320];
	struct rwf_tls tls, untrusted;
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	bool passed;
};

/* Registers N_RUNNERS runners at @p url in a fresh database @p db. */
static void register_runners(struct fx *f, const char *db, const char *url)
{
	char name[32];

	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "operator", "add", "ops", "--db", db,
	                         "--email", "ops@example.org", NULL),
	                 0);
	for (int i = 0; i < N_RUNNERS; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "runner", "add", "--allow-cidr",
		                         "127.0.0.0/8", "--db", db, "--operator", "ops", "--name",
		                         name, "--target", "x86_64-unknown-linux-gnu", "--url", url,
		                         NULL),
		                 0);
	}
}

struct cost {
	double probes, cpu_ms, ok, opens;
};

/* Runs a daemon over @p db until its runners answer, then measures its CPU
 * and probes over WINDOW_MS (and the opens of the CA bundle). */
static struct cost measure(struct fx *f, const char *db)
{
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	struct cost c = {0};
	double p0, p1;
	int64_t cpu0, deadline = rwt_mono_ms() + 20000;
	int in, wd;
	char buf[4096];
	ssize_t n;

	rwt_daemon_start(&f->d, f->log, db, extra);
	/* Until every runner has been probed successfully at least once. */
	while (rwf_metric(f->d.url, "runwarden_probes_total{result=\"ok\"}") < N_RUNNERS) {
		if (rwt_mono_ms() > deadline) {
			rwt_dump_file("daemon", f->log);
			fail_msg("the runners were not probed successfully within 20 s");
		}
		rwt_sleep_ms(200);
	}
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(in >= 0);
	/* Opens and closes alternate, so that inotify does not coalesce
	 * repeated opens into one event while they wait to be read. */
	wd = inotify_add_watch(in, f->bundle, IN_OPEN | IN_CLOSE_NOWRITE);
	assert_true(wd >= 0);
	p0 = rwf_metric_sum(f->d.url, "runwarden_probes_total");
	cpu0 = rwf_cpu_ms(f->d.pid);
	rwt_sleep_ms(WINDOW_MS);
	c.cpu_ms = (double)(rwf_cpu_ms(f->d.pid) - cpu0);
	p1 = rwf_metric_sum(f->d.url, "runwarden_probes_total");
	c.probes = p1 - p0;
	c.ok = rwf_metric(f->d.url, "runwarden_probes_total{result=\"ok\"}");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;
		     p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
			c.opens += (((struct inotify_event *)p)->mask & IN_OPEN) != 0;
	close(in);
	rwt_daemon_stop(&f->d, 15000);
	return c;
}

static void test_https_costs_the_handshake(void **state)
{
	struct fx *f = *state;
	char db_https[320], db_http[320], url[128];
	struct cost s, h;
	double ratio;

	snprintf(db_https, sizeof(db_https), "%s/https.db", f->dir);
	snprintf(db_http, sizeof(db_http), "%s/http.db", f->dir);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/health", f->tls.port);
	register_runners(f, db_https, url);
	rwt_fixture_url(&f->fixtures, 0, url, sizeof(url));
	register_runners(f, db_http, url);

	s = measure(f, db_https);
	h = measure(f, db_http);
	ratio = (s.cpu_ms / s.probes) / (h.cpu_ms > 0 ? h.cpu_ms / h.probes : 1.0 / h.probes);
	fprintf(stderr,
	        "https: %.0f probes, %.0f ms CPU (%.2f ms/probe), %.0f opens of %s\n"
	        "http:  %.0f probes, %.0f ms CPU (%.2f ms/probe)\n"
	        "ratio: %.1f (at most %.0f)\n",
	        s.probes, s.cpu_ms, s.cpu_ms / s.probes, s.opens, rwf_system_bundle(), h.probes,
	        h.cpu_ms, h.cpu_ms / h.probes, ratio, MAX_RATIO);
	assert_true(s.probes >= N_RUNNERS * (WINDOW_MS / 1000) / 2);
	assert_true(h.probes >= N_RUNNERS * (WINDOW_MS / 1000) / 2);
	if (s.opens > 1)
		fail_msg("the CA bundle was opened %.0f times for %.0f HTTPS probes: the CA store "
		         "is not cached",
		         s.opens, s.probes);
	if (ratio > MAX_RATIO)
		fail_msg("an HTTPS probe costs %.1f times the CPU of an HTTP one (at most %.0f)",
		         ratio, MAX_RATIO);
	f->passed = true;
}

static void test_webhooks_cache_too(void **state)
{
	struct fx *f = *state;
	char db[320], config[320], url[128], text[512], buf[4096];
	const char *const extra[] = {"--config", config, "--allow-cidr", "127.0.0.0/8", NULL};
	double attempts;
	int64_t deadline;
	int in, opens = 0;
	ssize_t n;

	snprintf(db, sizeof(db), "%s/hooks.db", f->dir);
	snprintf(config, sizeof(config), "%s/config.json", f->dir);
	/* The runners are plain HTTP (the prober has a CA cache of its own);
	 * their registrations are the events delivered. */
	rwt_fixture_url(&f->fixtures, 0, url, sizeof(url));
	register_runners(f, db, url);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/hook", f->untrusted.port);
	snprintf(text, sizeof(text),
	         "{\"webhooks\": [{\"url\": \"%s\", \"secret\": \"s3cret-s3cret-s3cret\"}]}\n",
	         url);
	rwt_write_file(config, text);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, f->bundle, IN_OPEN | IN_CLOSE_NOWRITE) >= 0);
	rwt_daemon_start(&f->d, f->log, db, extra);
	deadline = rwt_mono_ms() + 20000;
	do {
		rwt_sleep_ms(500);
		attempts = rwf_metric_sum(f->d.url, "runwarden_webhook_delivered_total") +
		           rwf_metric_sum(f->d.url, "runwarden_webhook_failures_total");
	} while (attempts < 4 && rwt_mono_ms() < deadline);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;
		     p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
			opens += (((struct inotify_event *)p)->mask & IN_OPEN) != 0;
	close(in);
	fprintf(stderr, "webhooks: %.0f delivery attempts over TLS, %d opens of the bundle\n",
	        attempts, opens);
	assert_true(attempts >= 4);
	if (opens > 1)
		fail_msg("%d opens of the CA bundle for %.0f webhook deliveries", opens, attempts);
	rwt_daemon_stop(&f->d, 15000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *const ok[] = {"ok"};

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-tls");
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->tls_log, sizeof(f->tls_log), "%s/s_server.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	rwt_write_file(f->policy, policy_json);
	rwf_certs(f->dir, f->bundle, sizeof(f->bundle));
	rwf_tls_start(&f->tls, f->dir, "good", NULL, f->tls_log);
	rwf_tls_start(&f->untrusted, f->dir, "selfsigned", NULL, f->tls_log);
	rwt_fixtures_start(&f->fixtures, f->fx_log, ok, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwf_tls_stop(&f->tls);
	rwf_tls_stop(&f->untrusted);
	rwt_fixtures_stop(&f->fixtures);
	if (!f->passed) {
		rwt_dump_file("daemon", f->log);
		rwt_dump_file("s_server", f->tls_log);
	}
	/* The bind mount of the bundle lives in this process's namespace. */
	(void)umount(rwf_system_bundle());
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_https_costs_the_handshake, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_webhooks_cache_too, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
