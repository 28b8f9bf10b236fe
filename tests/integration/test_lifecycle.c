/* SPDX-License-Identifier: MIT */
/*
 * test_lifecycle.c — `runwarden serve` opens and closes everything it
 * starts, also when start-up fails half-way: serving on a port that is
 * taken exits 1 with one line naming the address, and the event loop closes
 * with no handle left open (before the daemon counted its closes by hand,
 * it left the prober's, scheduler's and writer's handles open and main()
 * warned "event loop closed with handles still open"). A normal stop after
 * SIGTERM logs "stopped" once and exits 0. The daemon reads the registry
 * page by page (at start-up and when it changes): a fleet of several pages
 * is loaded whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rwtest.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_busy_port(void **state)
{
	char dir[256], db[1200], listen_arg[64];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct rwt_res r = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "lifecycle");
	rwt_db(db, sizeof(db), dir, "runwarden.db");
	/* Hold a port so that the daemon's bind fails after the store, the
	 * writer, the prober and the scheduler have started. */
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%d", ntohs(sa.sin_port));

	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", db, "--init", "--listen", listen_arg,
	        "--log-level", "warn");
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "runwarden: listen: cannot listen on"));
	assert_non_null(strstr(r.err, listen_arg));
	assert_null(strstr(r.err, "handles still open"));
	assert_int_equal(count(r.err, "runwarden: "), 1);
	assert_int_equal(r.out_len, 0);
	rwt_res_free(&r);
	close(fd);
	rwt_db_drop(db);
	rwt_tmpdir_remove(dir, false);
}

static void test_clean_stop(void **state)
{
	char dir[256], db[1200], log[320];
	struct rwt_daemon d = {0};
	char *text;
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "lifecycle");
	rwt_db(db, sizeof(db), dir, "runwarden.db");
	snprintf(log, sizeof(log), "%s/daemon.log", dir);
	rwt_daemon_start(&d, log, db, NULL);
	rwt_daemon_stop(&d, 20000); /* SIGTERM; fails the test unless it exits 0 */
	text = rwt_slurp(log, NULL);
	assert_non_null(text);
	assert_int_equal(count(text, "msg=stopping"), 1);
	assert_int_equal(count(text, "msg=stopped"), 1);
	assert_null(strstr(text, "handles still open"));
	assert_null(strstr(text, "illegal state change"));
	free(text);
	rwt_db_drop(db);
	rwt_tmpdir_remove(dir, false);
}

/* On IPv6 the line scripts read is a URL: the address in brackets. */
static void test_ipv6_listen_line(void **state)
{
	char dir[256], db[1200], log[320], line[256];
	const char *argv[] = {RW_BIN, "serve", "--db", db, "--init", "--listen", "[::1]:0", NULL};
	pid_t pid;
	int out = -1;
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "lifecycle");
	rwt_db(db, sizeof(db), dir, "runwarden.db");
	snprintf(log, sizeof(log), "%s/daemon.log", dir);
	pid = rwt_spawn(argv, log, &out);
	assert_int_equal(rwt_read_line(out, line, sizeof(line), rwt_mono_ms() + 30000), 0);
	assert_non_null(strstr(line, "listening on http://[::1]:"));
	assert_int_equal(rwt_stop_proc(&pid, SIGTERM, 20000), 0);
	close(out);
	rwt_db_drop(db);
	rwt_tmpdir_remove(dir, false);
}

/* A mistyped --db is refused, not served empty; a bad policy writes
 * nothing; both are bad input (exit 2). --init makes a new database. */
static void test_missing_database(void **state)
{
	char dir[256], db[1200], policy[320];
	struct rwt_res r = {0};
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "lifecycle");
	rwt_db(db, sizeof(db), dir, "runwarden.db");
	snprintf(policy, sizeof(policy), "%s/policy.json", dir);
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0");
	assert_int_equal(r.code, 2);
	/* On PostgreSQL the database is there, empty: not a runwarden one. */
	assert_non_null(
	        strstr(r.err, rwt_db_is_pg(db) ? "not a runwarden database" : "no such database"));
	assert_non_null(strstr(r.err, "serve --init"));
	assert_int_equal(access(db, F_OK), -1);
	if (rwt_db_is_pg(db))
		assert_int_equal(rwt_sql_int(db, "SELECT count(*) FROM information_schema.tables"
		                                 " WHERE table_schema = 'public'"),
		                 0);
	rwt_res_free(&r);
	rwt_write_file(policy, "{\"version\": 1, \"uptime_floor\": 1.5}\n");
	RWT_RUN(&r, NULL, RW_BIN, "serve", "--db", db, "--init", "--policy", policy, "--listen",
	        "127.0.0.1:0");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "uptime_floor"));
	assert_int_equal(access(db, F_OK), -1);
	if (rwt_db_is_pg(db))
		assert_int_equal(rwt_sql_int(db, "SELECT count(*) FROM information_schema.tables"
		                                 " WHERE table_schema = 'public'"),
		                 0);
	rwt_res_free(&r);
	rwt_db_drop(db);
	rwt_tmpdir_remove(dir, false);
}

/* Writes @p n runners named NAME-00001.. of operator acme to @p path. */
static void write_runners(const char *path, const char *name, int n)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs("[", fp);
	for (int i = 1; i <= n; i++)
		fprintf(fp,
		        "%s\n{\"operator\":\"acme\",\"name\":\"%s-%05d\",\"targets\":"
		        "[\"riscv64gc-unknown-linux-gnu\"],\"url\":\"http://127.0.0.1:9/%s/%d\"}",
		        i > 1 ? "," : "", name, i, name, i);
	fputs("]\n", fp);
	assert_int_equal(fclose(fp), 0);
}

/* The approved runners /metrics counts (runwarden_runners, every state). */
static long metrics_runners(const struct rwt_daemon *d)
{
	char url[192];
	struct rwt_resp r = {0};
	long total = 0;

	snprintf(url, sizeof(url), "%s/metrics", d->url);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	for (const char *p = r.body; (p = strstr(p, "\nrunwarden_runners{state=\"")) != NULL;) {
		const char *v = strchr(p, ' ');
		assert_non_null(v);
		total += strtol(v + 1, NULL, 10);
		p = v;
	}
	rwt_resp_free(&r);
	return total;
}

/* More runners than one page of the registry (512): all of them are loaded
 * at start-up, and as many again added while it runs are all picked up. */
static void test_fleet_of_pages(void **state)
{
	char dir[256], db[320], log[320], json[320];
	struct rwt_daemon d = {0};
	int64_t deadline;
	long n = 0;
	(void)state;

	rwt_tmpdir(dir, sizeof(dir), "lifecycle");
	snprintf(db, sizeof(db), "%s/runwarden.db", dir);
	snprintf(log, sizeof(log), "%s/daemon.log", dir);
	snprintf(json, sizeof(json), "%s/runners.json", dir);
	assert_int_equal(rwt_cli(log, NULL, 0, "operator", "add", "acme", "--email",
	                         "ops@example.org", "--db", db, NULL),
	                 0);
	write_runners(json, "first", 1100);
	assert_int_equal(rwt_cli(log, NULL, 0, "runner", "import", json, "--db", db, "--allow-cidr",
	                         "127.0.0.0/8", NULL),
	                 0);
	rwt_daemon_start(&d, log, db, NULL);
	assert_int_equal(metrics_runners(&d), 1100);

	write_runners(json, "second", 600);
	assert_int_equal(rwt_cli(log, NULL, 0, "runner", "import", json, "--db", db, "--allow-cidr",
	                         "127.0.0.0/8", NULL),
	                 0);
	/* The registry is read again at the next tick (once a second). */
	deadline = rwt_mono_ms() + 20000;
	while ((n = metrics_runners(&d)) != 1700 && rwt_mono_ms() < deadline)
		rwt_sleep_ms(200);
	assert_int_equal(n, 1700);
	rwt_daemon_stop(&d, 20000);
	rwt_tmpdir_remove(dir, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_busy_port),        cmocka_unit_test(test_clean_stop),
	        cmocka_unit_test(test_ipv6_listen_line), cmocka_unit_test(test_missing_database),
	        cmocka_unit_test(test_fleet_of_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
