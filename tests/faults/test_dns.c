/* SPDX-License-Identifier: MIT */
/*
 * test_dns.c — DNS is bounded by the probe timeout, and one operator's
 * broken names cannot delay another's probes (issue 12, item 3).
 *
 * The test process's own network and mount namespaces hold a DNS server on
 * 127.0.0.1:53 (faultlib.h) that answers NAME.ok.test, answers NXDOMAIN for
 * NAME.nx.test and never answers NAME.silent.test, and /etc/resolv.conf
 * points at it; glibc's defaults (5 s, 2 attempts) then hold a silent lookup
 * about 10 s, far past the probe timeouts used here.
 *
 *   test_dns_bounded: a runner whose name is never answered is probed at
 *   every interval and each probe ends within its timeout as class dns
 *   (before: one lookup held a probe ~10 s, so almost no samples);
 *   NXDOMAIN is dns too; a name that resolves is probed successfully.
 *
 *   test_dns_isolation: 100 runners of operator "broken" with silent names
 *   (more than libuv's thread pool has threads), then a runner of operator
 *   "good" with a working name, registered while they hang: it must be
 *   probed successfully from its first interval on (before: its lookup
 *   queued behind the hung ones and never finished within the test).
 *
 * Counts come from the samples the daemon stored; every bound is generous
 * (at least half the slots of the window).
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
#include <sys/mount.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define TARGET "x86_64-unknown-linux-gnu"

struct fx {
	char dir[256], db[320], policy[320], log[320], cli_log[320], fx_log[320];
	struct rwf_dns dns;
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	int port; /* the fixture's */
	bool passed;
};

static void add_operator(struct fx *f, const char *name)
{
	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "operator", "add", name, "--db", f->db,
	                         "--email", "ops@example.org", NULL),
	                 0);
}

static void add_runner(struct fx *f, const char *op, const char *name, const char *host)
{
	char url[256];

	snprintf(url, sizeof(url), "http://%s:%d/health", host, f->port);
	if (rwt_cli(f->cli_log, NULL, 0, "runner", "add", "--allow-cidr", "127.0.0.0/8", "--db",
	            f->db, "--operator", op, "--name", name, "--target", TARGET, "--url", url,
	            NULL) != 0) {
		rwt_dump_file("cli", f->cli_log);
		fail_msg("runner add %s failed", name);
	}
}

static void start(struct fx *f, const char *policy)
{
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};

	rwt_write_file(f->policy, policy);
	rwt_daemon_start(&f->d, f->log, f->db, extra);
}

/* Requires at least @p min samples of runner @p name since @p since, all of
 * class @p cls. */
static void expect_samples(struct fx *f, const char *name, int64_t since, int min, int cls)
{
	int counts[RWF_NCLASS], total = rwf_samples(f->db, name, since, counts);
	char s[200];

	rwf_counts_str(counts, s, sizeof(s));
	fprintf(stderr, "%-8s %s\n", name, s);
	if (total < min || counts[cls] != total)
		fail_msg("runner %s: samples %s; expected at least %d, all %s", name, s, min,
		         rwf_class_names[cls]);
}

static void test_dns_bounded(void **state)
{
	struct fx *f = *state;
	int64_t t0;

	add_operator(f, "acme");
	add_runner(f, "acme", "silent", "r1.silent.test");
	add_runner(f, "acme", "nx", "r1.nx.test");
	add_runner(f, "acme", "ok", "r1.ok.test");
	start(f, "{\"version\": 1, \"uptime_floor\": 0, \"flagging\": {\"probation_days\": 0},\n"
	         " \"probe\": {\"interval_s\": 2, \"timeout_ms\": 1000, \"failures_to_down\": 2},\n"
	         " \"blindness\": {\"fraction\": 1, \"min_runners\": 1000}}\n");
	t0 = rwf_wall_ms();
	rwt_sleep_ms(14000);
	/* 7 slots of 2 s: at least half of them, each a dns failure that ended
	 * within its second (a probe still running at its next slot skips it). */
	expect_samples(f, "silent", t0, 4, 1);
	expect_samples(f, "nx", t0, 4, 1);
	expect_samples(f, "ok", t0, 4, 0);
	assert_true(atomic_load(&f->dns.silent) > 0);
	rwt_daemon_stop(&f->d, 30000);
	f->passed = true;
}

static void test_dns_isolation(void **state)
{
	struct fx *f = *state;
	char path[320], *json;
	size_t len = 0, cap = 100 * 160 + 16;
	int64_t t0, deadline;
	int counts[RWF_NCLASS];

	add_operator(f, "broken");
	add_operator(f, "good");
	/* 100 runners with silent names, imported in one go. */
	json = malloc(cap);
	len += (size_t)snprintf(json + len, cap - len, "[");
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(json + len, cap - len,
		                        "%s{\"operator\":\"broken\",\"name\":\"b%d\",\"targets\":"
		                        "[\"" TARGET "\"],\"url\":\"http://b%d.silent.test:%d/h\"}",
		                        i ? "," : "", i, i, f->port);
	snprintf(json + len, cap - len, "]\n");
	snprintf(path, sizeof(path), "%s/broken.json", f->dir);
	rwt_write_file(path, json);
	free(json);
	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "runner", "import", "--allow-cidr",
	                         "127.0.0.0/8", path, "--db", f->db, NULL),
	                 0);
	start(f, "{\"version\": 1, \"uptime_floor\": 0, \"flagging\": {\"probation_days\": 0},\n"
	         " \"probe\": {\"interval_s\": 2, \"timeout_ms\": 1500, \"failures_to_down\": 2},\n"
	         " \"blindness\": {\"fraction\": 1, \"min_runners\": 1000}}\n");
	/* Until the broken names have asked a while (A and AAAA each). */
	deadline = rwt_mono_ms() + 5000;
	while (atomic_load(&f->dns.silent) < 32 && rwt_mono_ms() < deadline)
		rwt_sleep_ms(100);
	rwt_sleep_ms(1000);
	fprintf(stderr, "silent queries so far: %u\n", atomic_load(&f->dns.silent));
	/* The good operator's runner arrives while the broken names hang. */
	t0 = rwf_wall_ms();
	add_runner(f, "good", "healthy", "healthy.ok.test");
	rwt_sleep_ms(10000);
	/* Picked up at the next tick (1 s), then probed every 2 s: at least 3
	 * successes, and not one dns failure. */
	expect_samples(f, "healthy", t0, 3, 0);
	rwf_samples(f->db, "b7", t0, counts);
	fprintf(stderr, "b7: %d dns\n", counts[1]);
	rwt_daemon_stop(&f->d, 30000);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *const ok[] = {"ok"};
	const char *colon;

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-dns");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	rwf_dns_start(&f->dns, f->dir);
	rwt_fixtures_start(&f->fixtures, f->fx_log, ok, 1);
	colon = strrchr(f->fixtures.addr[0], ':');
	f->port = atoi(colon + 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwt_fixtures_stop(&f->fixtures);
	rwf_dns_stop(&f->dns);
	(void)umount("/etc/resolv.conf");
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
	        cmocka_unit_test_setup_teardown(test_dns_bounded, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dns_isolation, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
