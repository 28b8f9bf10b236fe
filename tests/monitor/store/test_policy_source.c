/* SPDX-License-Identifier: MIT */
/*
 * test_policy_source.c — the one policy loader (monitor/store/policy_source.h)
 * as the daemon, the CLI and the reports use it: a file (hash of its exact
 * bytes, checked against a hash computed elsewhere; the body kept), no file
 * (the defaults, hashed as their normalized JSON), the store (the recorded
 * row; an empty store gives the defaults with the same hash), and each way of
 * failing with its code and one line naming the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/store/policy_source.h"
#include "policy/base/rw_error.h"

/* sha256sum of DOC, computed with Python's hashlib (not with the code under test). */
#define DOC     "{\"version\": 3, \"uptime_floor\": 0.95}\n"
#define DOC_SHA "ad0613b67222c6f76bf08b7147eb211bd0ba99886e29370a1f9bc64036202712"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rw-test-policy-source-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/policy.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char db[160];

	unlink(f->path);
	snprintf(db, sizeof(db), "%s/rw.db", f->dir);
	unlink(db);
	strcat(db, "-wal");
	unlink(db);
	db[strlen(db) - 4] = '\0';
	strcat(db, "-shm");
	unlink(db);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void test_file(void **state)
{
	struct fx *f = *state;
	struct policy_source ps;
	char err[256] = "";

	write_file(f->path, DOC, strlen(DOC));
	policy_source_init(&ps);
	assert_int_equal(policy_source_file(&ps, f->path, NULL, err, sizeof(err)), 0);
	assert_string_equal(ps.sha256, DOC_SHA);
	assert_string_equal(ps.body, DOC);
	assert_string_equal(ps.origin, f->path);
	assert_int_equal(ps.pol.version, 3);
	assert_int_equal(ps.pol.floor_ppm, 950000);
	assert_int_equal(ps.id, 0);
	assert_int_equal(ps.effective_ms, -1);
	policy_source_deinit(&ps);
	assert_null(ps.body);
	policy_source_deinit(NULL);
}

/* No file: the defaults, hashed as their normalized JSON; an empty store says
 * the same, so a report names the hash the daemon ran with. */
static void test_defaults_agree(void **state)
{
	struct fx *f = *state;
	struct policy_source a, b;
	struct rw_policy d;
	struct store *st;
	char err[256] = "", db[160], *json, sha[65];

	policy_source_init(&a);
	assert_int_equal(policy_source_file(&a, NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(a.origin, "built-in defaults");
	policy_defaults(&d);
	json = policy_to_json(&d);
	assert_non_null(json);
	assert_string_equal(a.body, json);
	policy_source_sha256_hex(json, strlen(json), sha);
	assert_string_equal(a.sha256, sha);
	free(json);
	policy_source_deinit(&a);
	assert_int_equal(policy_source_file(&a, "", NULL, err, sizeof(err)), 0);
	assert_string_equal(a.origin, "built-in defaults");

	snprintf(db, sizeof(db), "%s/rw.db", f->dir);
	assert_int_equal(store_open(&st, db, STORE_CREATE, err, sizeof(err)), 0);
	policy_source_init(&b);
	assert_int_equal(policy_source_current(&b, st, err, sizeof(err)), 0);
	assert_string_equal(b.sha256, a.sha256);
	assert_string_equal(b.body, a.body);

	/* What the daemon records is what the store gives back, body included. */
	assert_int_equal(store_record_policy(st, DOC_SHA, 3, DOC, 1000, NULL), 0);
	assert_int_equal(policy_source_current(&b, st, err, sizeof(err)), 0);
	assert_string_equal(b.sha256, DOC_SHA);
	assert_string_equal(b.body, DOC);
	assert_int_equal(b.pol.version, 3);
	assert_int_equal(b.effective_ms, 1000);
	assert_true(b.id > 0);
	assert_int_equal(policy_source_at(&b, st, 999, err, sizeof(err)), 0);
	assert_string_equal(b.origin, "built-in defaults");
	policy_source_deinit(&b);
	policy_source_deinit(&a);
	store_close(st);
}

static void test_failures(void **state)
{
	struct fx *f = *state;
	struct policy_source ps;
	char err[256], missing[160], *big;
	size_t n = (1 << 20) + 1;

	policy_source_init(&ps);

	/* Missing: RW_ENOENT (the code is taken before anything can change errno). */
	snprintf(missing, sizeof(missing), "%s/nope.json", f->dir);
	assert_int_equal(policy_source_file(&ps, missing, NULL, err, sizeof(err)), RW_ENOENT);
	assert_non_null(strstr(err, "nope.json: cannot open: No such file or directory"));

	/* A directory cannot be read: RW_EIO. */
	assert_int_equal(policy_source_file(&ps, f->dir, NULL, err, sizeof(err)), RW_EIO);
	assert_non_null(strstr(err, f->dir));

	/* Not a policy: RW_EINVAL, the parser's FILE:LINE: FIELD: problem. */
	write_file(f->path, "{\n  \"version\": 1,\n  \"uptime_floor\": 1.5\n}\n", 42);
	assert_int_equal(policy_source_file(&ps, f->path, NULL, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "policy.json:3: uptime_floor: 1.5 is not in [0, 1]"));
	assert_null(ps.body);
	assert_null(ps.origin);

	/* More than 1 MiB: RW_EIO, saying so. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	write_file(f->path, big, n);
	free(big);
	assert_int_equal(policy_source_file(&ps, f->path, NULL, err, sizeof(err)), RW_EIO);
	assert_non_null(strstr(err, "larger than 1 MiB"));
	policy_source_deinit(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_defaults_agree, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
