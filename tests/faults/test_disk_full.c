/* SPDX-License-Identifier: MIT */
/*
 * test_disk_full.c — a full disk is the monitor's blindness (storage), then
 * recovery; nothing acknowledged is lost (issue 12, the fault suite, and
 * item 8: the WAL without a size limit, SIGTERM while the disk is full).
 *
 * The database lives on a 4 MiB tmpfs mounted in the test's own mount
 * namespace (faultlib.h: gone with the test, whatever happens). The test
 * fills it with a file, then removes the file:
 *   - while full, runwarden_blind_active{cause="storage"} is 1, /healthz
 *     answers, and writes are refused (503), not acknowledged;
 *   - once there is room again, blindness ends, a write is acknowledged
 *     (201), and the WAL has been checkpointed and truncated (it stays
 *     small: before, it kept the size it had grown to, and refilled a small
 *     disk seconds after space returned);
 *   - full again, SIGTERM stops the daemon with exit 0 and one error line
 *     naming what was not written (before: exit 1);
 *   - with room again, PRAGMA integrity_check is ok, every acknowledged
 *     write is there, the storage period is stored, and a restart records
 *     the time the daemon could not write as downtime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "faultlib.h"
#include "rwtest.h"

#define ADMIN_TOKEN "fault-suite-admin-token-0123456789abcdef0123"
#define TARGET      "x86_64-unknown-linux-gnu"
#define RUNNERS     4

static const char policy_json[] =
        "{\"version\":1,\"flagging\":{\"probation_days\":0},"
        "\"probe\":{\"interval_s\":1,\"timeout_ms\":800,\"failures_to_down\":1}}\n";

struct fx {
	char dir[256], data[300], db[340], wal[350], filler[340], policy[320], log[320],
	        cli_log[320], fx_log[320];
	struct rwt_fixtures fixtures;
	struct rwt_daemon d;
	bool mounted, passed;
};

/* Writes zeros into the filler until the disk is full. */
static void fill(struct fx *f)
{
	static char zeros[65536];
	int fd = open(f->filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = write(fd, zeros, sizeof(zeros))) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static bool wait_metric(struct fx *f, const char *name, double want, int64_t within_ms)
{
	int64_t deadline = rwt_mono_ms() + within_ms;

	while (rwf_metric(f->d.url, name) != want) {
		if (rwt_mono_ms() > deadline)
			return false;
		rwt_sleep_ms(100);
	}
	return true;
}

static long post_operator(struct fx *f, const char *name)
{
	struct rwt_resp r;
	char url[200], body[200];
	long st;

	snprintf(url, sizeof(url), "%s/v1/operators", f->d.url);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"x@example.org\"}", name);
	rwt_http("POST", url, ADMIN_TOKEN, body, (size_t)-1, &r);
	st = r.status;
	rwt_resp_free(&r);
	return st;
}

static int64_t one_int(const char *db, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(db, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(c, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(c));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(c);
	return v;
}

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static void test_disk_full(void **state)
{
	struct fx *f = *state;
	const char *const modes[RUNNERS] = {"ok", "ok", "ok", "ok"};
	const char *const extra[] = {"--policy", f->policy, "--allow-cidr", "127.0.0.0/8", NULL};
	const char *acked[8];
	size_t n_acked = 0;
	char url[128], *log;
	double ms = 0;
	int64_t wal_max = 0, wal_after;

	rwt_fixtures_start(&f->fixtures, f->fx_log, modes, RUNNERS);
	assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "operator", "add", "ops", "--db", f->db,
	                         "--email", "ops@example.org", NULL),
	                 0);
	for (int i = 0; i < RUNNERS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "r%d", i);
		rwt_fixture_url(&f->fixtures, (size_t)i, url, sizeof(url));
		assert_int_equal(rwt_cli(f->cli_log, NULL, 0, "runner", "add", "--allow-cidr",
		                         "127.0.0.0/8", "--db", f->db, "--operator", "ops",
		                         "--name", name, "--target", TARGET, "--url", url, NULL),
		                 0);
	}
	rwt_write_file(f->policy, policy_json);
	rwt_daemon_start(&f->d, f->log, f->db, extra);
	rwt_sleep_ms(3000);
	assert_int_equal(post_operator(f, "before"), 201);
	acked[n_acked++] = "before";

	/* Full: blind for storage; the API still answers; writes refused. */
	fill(f);
	if (!wait_metric(f, "runwarden_blind_active{cause=\"storage\"}", 1, 20000))
		fail_msg("no storage blindness 20 s after the disk filled up");
	assert_int_equal(rwf_get_timed(f->d.url, "/healthz", &ms), 200);
	assert_true(ms < 100);
	{
		long st = post_operator(f, "while-full");
		fprintf(stderr, "a write while the disk is full: %ld\n", st);
		if (st == 201)
			acked[n_acked++] = "while-full";
	}
	wal_max = file_size(f->wal);

	/* Room again: recovery, the WAL checkpointed and truncated. */
	assert_int_equal(unlink(f->filler), 0);
	if (!wait_metric(f, "runwarden_blind_active{cause=\"storage\"}", 0, 20000))
		fail_msg("still blind for storage 20 s after the disk got room again");
	/* Checkpointed and truncated as it recovered (before: it kept the size
	 * it had grown to while full, and grew on from there). */
	wal_after = file_size(f->wal);
	fprintf(stderr, "WAL: %" PRId64 " bytes while full, %" PRId64 " at recovery\n", wal_max,
	        wal_after);
	assert_true(wal_after < wal_max / 2);
	assert_int_equal(post_operator(f, "after"), 201);
	acked[n_acked++] = "after";
	rwt_sleep_ms(3000);
	wal_after = file_size(f->wal);
	fprintf(stderr, "WAL: %" PRId64 " bytes 3 s after recovery\n", wal_after);
	assert_true(wal_after < 1024 * 1024);
	{ /* and the disk keeps the room it got back */
		struct statvfs vfs;
		assert_int_equal(statvfs(f->data, &vfs), 0);
		fprintf(stderr, "free 3 s after recovery: %llu KiB of 4096\n",
		        (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024);
		assert_true((uint64_t)vfs.f_bavail * vfs.f_frsize >= 2 * 1024 * 1024);
	}
	assert_int_equal(
	        one_int(f->db, "SELECT COUNT(*) FROM blind_periods WHERE cause = 'storage'"), 1);

	/* Full again, and SIGTERM: exit 0, saying what was not written. */
	fill(f);
	if (!wait_metric(f, "runwarden_blind_active{cause=\"storage\"}", 1, 20000))
		fail_msg("no storage blindness 20 s after the disk filled up again");
	rwt_daemon_stop(&f->d, 30000);
	log = rwt_slurp(f->log, NULL);
	assert_non_null(strstr(log, "the last records could not be written"));
	free(log);

	/* Room again: everything acknowledged is there, and intact. */
	assert_int_equal(unlink(f->filler), 0);
	assert_int_equal(one_int(f->db, "SELECT COUNT(*) FROM pragma_integrity_check"
	                                " WHERE integrity_check = 'ok'"),
	                 1);
	for (size_t i = 0; i < n_acked; i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM operators WHERE name = '%s'",
		         acked[i]);
		if (one_int(f->db, sql) != 1)
			fail_msg("acknowledged write lost: operator %s", acked[i]);
	}
	/* The restart records the time since the last stored tick as downtime. */
	rwt_daemon_start(&f->d, f->log, f->db, extra);
	rwt_sleep_ms(1500);
	rwt_daemon_stop(&f->d, 15000);
	assert_true(one_int(f->db, "SELECT COUNT(*) FROM blind_periods WHERE cause = 'downtime'") >=
	            1);
	f->passed = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	rwt_tmpdir(f->dir, sizeof(f->dir), "faults-disk");
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	assert_int_equal(mkdir(f->data, 0700), 0);
	if (mount("tmpfs", f->data, "tmpfs", 0, "size=4m,mode=0700") != 0)
		fail_msg("mount tmpfs on %s: %s", f->data, strerror(errno));
	f->mounted = true;
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->data);
	snprintf(f->wal, sizeof(f->wal), "%s/rw.db-wal", f->data);
	snprintf(f->filler, sizeof(f->filler), "%s/filler", f->data);
	snprintf(f->policy, sizeof(f->policy), "%s/policy.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/daemon.log", f->dir);
	snprintf(f->cli_log, sizeof(f->cli_log), "%s/cli.log", f->dir);
	snprintf(f->fx_log, sizeof(f->fx_log), "%s/fixtures.log", f->dir);
	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN_TOKEN, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGKILL, 2000);
	rwt_fixtures_stop(&f->fixtures);
	if (!f->passed)
		rwt_dump_file("daemon", f->log);
	if (f->mounted)
		umount2(f->data, MNT_DETACH);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
	};

	rwf_isolate();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
