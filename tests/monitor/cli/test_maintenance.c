/* SPDX-License-Identifier: MIT */
/*
 * test_maintenance.c — declared maintenance windows: the store functions
 * (store.h, store_maintenance.c) against real SQLite files, the validators
 * of maintenance_spec.h as pure functions, and `runwarden maintenance`
 * through the real binary (RW_BIN) with a temporary --db.
 *
 * Store: the migration (a fresh file, and a file of the previous schema
 * version with data in it), add/list/get, the removal rules (cancel before
 * the start, end early while running, refuse once over or already removed),
 * and that every add and remove bumps the runner's registry generation while
 * a refused one writes nothing.
 * CLI (cli.h contract): each bad field exits 2 with one stderr line naming
 * it, and nothing is written (no window, no generation bump); `add` reports
 * the notice against the default policy and a --policy file; `list --json`
 * parses; `remove` follows the store's rules; every subcommand has --help.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/core/clock.h"
#include "monitor/intake/maintenance_spec.h"
#include "monitor/store/store.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR         ((int64_t)3600 * 1000)
#define DAY          (24 * HOUR)

/* The maintenance table arrives with migration 2 → 3. */
#define MAINT_MIGRATION_FROM 2

#define T_RISCV  "riscv64gc-unknown-linux-gnu"
#define GOOD_URL "https://runner.example.org/health"

struct fx {
	char dir[256];
	char db[1200];       /* a file, or a PostgreSQL URI (rwt_db()) */
	struct rwt_opts run; /* runwarden runs in dir */
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-maint");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	f->run.dir = f->dir;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static struct store *open_db(struct fx *f)
{
	char err[512] = "";
	int rc = store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err));

	if (rc != 0)
		print_error("store_open: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	return f->st;
}

static void close_db(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
}

/* The first column of the first row of @p sql through a plain connection
 * (-999: no row). */
static int64_t raw_int(const char *path, const char *sql)
{
	return rwt_sql_int(path, sql);
}

static void raw_exec(const char *path, const char *sql)
{
	assert_int_equal(rwt_sql_exec(path, sql), 0);
}

static int64_t add_operator(struct store *st, const char *name)
{
	uint8_t tok[32];
	int64_t id = -1;

	memset(tok, name[0], sizeof(tok));
	assert_int_equal(store_operator_add(st, name, "ops@example.org", tok, 1000, &id), 0);
	return id;
}

static int64_t add_runner(struct store *st, int64_t op, const char *name)
{
	char *targets[] = {(char *)T_RISCV};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"http";
	r.url = (char *)GOOD_URL;
	r.targets = targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(st, &r, 1000), 0);
	return r.id;
}

static int64_t runner_gen(struct store *st, int64_t id)
{
	struct store_runner r;
	int64_t gen;

	assert_int_equal(store_runner_get(st, NULL, id, &r), 0);
	gen = r.gen;
	store_runner_deinit(&r);
	return gen;
}

static int64_t max_gen(struct store *st)
{
	int64_t gen = -1;

	assert_int_equal(store_registry_gen(st, &gen), 0);
	return gen;
}

static size_t count_windows(struct store *st, int64_t runner, bool include_removed)
{
	struct store_maintenance *ms;
	size_t n;

	assert_int_equal(
	        store_maintenance_list(st, runner, INT64_MIN, INT64_MAX, include_removed, &ms, &n),
	        0);
	store_maintenance_free(ms, n);
	return n;
}

/* ---- store: migration ---------------------------------------------------- */

static void test_migrate_new_file(void **state)
{
	struct fx *f = *state;

	open_db(f);
	close_db(f);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), store_schema_version());
	assert_true(store_schema_version() > MAINT_MIGRATION_FROM);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
	                                " AND name = 'maintenance'"),
	                 1);
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
	                                " AND name = 'maintenance_runner'"),
	                 1);
}

/* A file of the version before maintenance, with a runner in it, gains the
 * table and keeps its data. The older file is made by undoing the
 * maintenance migration and those after it (a later migration must be
 * undone here too: the DROP list below). */
static void test_migrate_previous_version(void **state)
{
	struct fx *f = *state;
	struct store_runner r;
	int64_t id = 0;

	open_db(f);
	add_runner(f->st, add_operator(f->st, "acme"), "r1");
	close_db(f);
	/* Undo the maintenance migration and every one after it. */
	raw_exec(f->db, "ALTER TABLE monitor_runs DROP COLUMN led_until_ms;"
	                " DROP TABLE vantages; DROP TABLE vantage_states;"
	                " ALTER TABLE samples DROP COLUMN vantage_id;"
	                " ALTER TABLE monitor_runs DROP COLUMN vantage_id;"
	                " ALTER TABLE blind_periods DROP COLUMN vantage_id;"
	                " ALTER TABLE runners DROP COLUMN probation_waived_ms;"
	                " DROP TABLE github_jobs; DROP TABLE github_deliveries;"
	                " DROP INDEX runners_github_member; ALTER TABLE runners DROP COLUMN github;"
	                " ALTER TABLE runners DROP COLUMN min_online;"
	                " ALTER TABLE runners DROP COLUMN pickup_within_s;"
	                " ALTER TABLE runners DROP COLUMN pool_id;"
	                " ALTER TABLE runners DROP COLUMN github_id;"
	                " ALTER TABLE runners DROP COLUMN github_name;"
	                " ALTER TABLE runners DROP COLUMN gone_ms;"
	                " DELETE FROM error_classes WHERE code >= 9;");
	raw_exec(f->db, "DROP TABLE events; DROP TABLE webhook_cursors; DROP TABLE runner_labels;"
	                " DROP TABLE rollups; DROP TABLE rollup_days;"
	                " DROP TABLE incidents; DROP INDEX tokens_operator;"
	                " ALTER TABLE tokens DROP COLUMN runner_id;"
	                " ALTER TABLE tokens DROP COLUMN label; DROP TABLE maintenance;"
	                " PRAGMA user_version = 2;");
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM sqlite_master WHERE"
	                                " name = 'maintenance'"),
	                 0);

	open_db(f);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(store_runner_get(f->st, "r1", 0, &r), 0);
	assert_int_equal(store_maintenance_add(f->st, r.id, 10 * HOUR, 12 * HOUR, HOUR, "x", &id),
	                 0);
	assert_true(id > 0);
	store_runner_deinit(&r);
	assert_int_equal(count_windows(f->st, 0, false), 1);
}

/* ---- store: add, list, get ------------------------------------------------ */

static void test_add_and_list(void **state)
{
	struct fx *f = *state;
	struct store_maintenance *ms, m;
	int64_t op, r1, r2, id1 = 0, id2 = 0, id3 = 0, g;
	size_t n;

	open_db(f);
	op = add_operator(f->st, "acme");
	r1 = add_runner(f->st, op, "r1");
	r2 = add_runner(f->st, op, "r2");

	/* Every add gives the runner the next generation. */
	g = max_gen(f->st);
	assert_int_equal(store_maintenance_add(f->st, r1, 20 * HOUR, 22 * HOUR, 1 * HOUR,
	                                       "kernel upgrade", &id1),
	                 0);
	assert_int_equal(max_gen(f->st), g + 1);
	assert_int_equal(runner_gen(f->st, r1), g + 1);
	assert_int_equal(
	        store_maintenance_add(f->st, r2, 10 * HOUR, 30 * HOUR, 2 * HOUR, "rack move", &id2),
	        0);
	assert_int_equal(runner_gen(f->st, r2), g + 2);
	assert_int_equal(
	        store_maintenance_add(f->st, r1, 5 * HOUR, 6 * HOUR, 3 * HOUR, "é ok", &id3), 0);
	assert_int_equal(runner_gen(f->st, r1), g + 3);
	assert_true(id1 > 0 && id2 > id1 && id3 > id2);

	/* All, ordered by start. */
	assert_int_equal(store_maintenance_list(f->st, 0, INT64_MIN, INT64_MAX, false, &ms, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ms[0].id, id3);
	assert_int_equal(ms[1].id, id2);
	assert_int_equal(ms[2].id, id1);
	assert_string_equal(ms[1].runner_name, "r2");
	assert_int_equal(ms[1].runner_id, r2);
	assert_int_equal(ms[2].start_ms, 20 * HOUR);
	assert_int_equal(ms[2].end_ms, 22 * HOUR);
	assert_int_equal(ms[2].declared_ms, 1 * HOUR);
	assert_string_equal(ms[2].reason, "kernel upgrade");
	assert_int_equal(ms[2].removed_ms, 0);
	store_maintenance_free(ms, n);

	/* One runner's. */
	assert_int_equal(store_maintenance_list(f->st, r1, INT64_MIN, INT64_MAX, false, &ms, &n),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(ms[0].id, id3);
	assert_int_equal(ms[1].id, id1);
	store_maintenance_free(ms, n);

	/* Overlap with [from, to) is half-open on both sides. */
	assert_int_equal(store_maintenance_list(f->st, r1, 22 * HOUR, 30 * HOUR, false, &ms, &n),
	                 0);
	assert_int_equal(n, 0);
	assert_null(ms);
	assert_int_equal(store_maintenance_list(f->st, r1, 6 * HOUR, 20 * HOUR, false, &ms, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	        store_maintenance_list(f->st, r1, 22 * HOUR - 1, 22 * HOUR, false, &ms, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ms[0].id, id1);
	store_maintenance_free(ms, n);
	assert_int_equal(store_maintenance_list(f->st, 0, 5 * HOUR, 20 * HOUR + 1, false, &ms, &n),
	                 0);
	assert_int_equal(n, 3);
	store_maintenance_free(ms, n);

	/* get */
	assert_int_equal(store_maintenance_get(f->st, id2, &m), 0);
	assert_string_equal(m.runner_name, "r2");
	assert_string_equal(m.reason, "rack move");
	store_maintenance_deinit(&m);
	assert_int_equal(store_maintenance_get(f->st, id3 + 100, &m), RW_ENOENT);
	store_maintenance_deinit(&m);
	store_maintenance_deinit(NULL);
	store_maintenance_free(NULL, 0);
}

static void test_add_refusals(void **state)
{
	struct fx *f = *state;
	int64_t r1, g, id = -7;

	open_db(f);
	r1 = add_runner(f->st, add_operator(f->st, "acme"), "r1");
	g = max_gen(f->st);
	assert_int_equal(store_maintenance_add(f->st, r1, 5 * HOUR, 5 * HOUR, 0, "x", &id),
	                 RW_EINVAL);
	assert_int_equal(store_maintenance_add(f->st, r1, 6 * HOUR, 5 * HOUR, 0, "x", &id),
	                 RW_EINVAL);
	assert_int_equal(store_maintenance_add(f->st, r1, 5 * HOUR, 6 * HOUR, 0, NULL, &id),
	                 RW_EINVAL);
	assert_int_equal(store_maintenance_add(f->st, r1 + 50, 5 * HOUR, 6 * HOUR, 0, "x", &id),
	                 RW_ENOENT);
	assert_int_equal(id, -7);
	assert_int_equal(max_gen(f->st), g);
	assert_int_equal(count_windows(f->st, 0, true), 0);
	/* The id out-parameter is optional. */
	assert_int_equal(store_maintenance_add(f->st, r1, 5 * HOUR, 6 * HOUR, 0, "x", NULL), 0);
	assert_int_equal(count_windows(f->st, 0, true), 1);
}

/* ---- store: removal rules -------------------------------------------------- */

static void test_remove_rules(void **state)
{
	struct fx *f = *state;
	struct store_maintenance m, *ms;
	int64_t r1, future = 0, running = 0, past = 0, at_now = 0, g;
	const int64_t now = 100 * HOUR;
	size_t n;

	open_db(f);
	r1 = add_runner(f->st, add_operator(f->st, "acme"), "r1");
	assert_int_equal(store_maintenance_add(f->st, r1, now + 2 * HOUR, now + 4 * HOUR, 0,
	                                       "future", &future),
	                 0);
	assert_int_equal(store_maintenance_add(f->st, r1, now - 1 * HOUR, now + 3 * HOUR, 0,
	                                       "running", &running),
	                 0);
	assert_int_equal(
	        store_maintenance_add(f->st, r1, now - 5 * HOUR, now - 4 * HOUR, 0, "past", &past),
	        0);
	assert_int_equal(store_maintenance_add(f->st, r1, now, now + HOUR, 0, "at now", &at_now),
	                 0);

	/* Over: evidence, refused, nothing changes (not even the generation). */
	g = max_gen(f->st);
	assert_int_equal(store_maintenance_remove(f->st, past, now), RW_EINVAL);
	assert_int_equal(store_maintenance_get(f->st, past, &m), 0);
	assert_int_equal(m.removed_ms, 0);
	assert_int_equal(m.end_ms, now - 4 * HOUR);
	store_maintenance_deinit(&m);
	/* Ending exactly now is over too. */
	assert_int_equal(store_maintenance_remove(f->st, running, now + 3 * HOUR), RW_EINVAL);
	assert_int_equal(store_maintenance_remove(f->st, 9999, now), RW_ENOENT);
	assert_int_equal(max_gen(f->st), g);

	/* Not started: cancelled, the end kept, hidden from the accounting. */
	assert_int_equal(store_maintenance_remove(f->st, future, now), 0);
	assert_int_equal(runner_gen(f->st, r1), g + 1);
	assert_int_equal(store_maintenance_get(f->st, future, &m), 0);
	assert_int_equal(m.removed_ms, now);
	assert_int_equal(m.end_ms, now + 4 * HOUR);
	assert_true(store_maintenance_cancelled(&m));
	store_maintenance_deinit(&m);

	/* Starting exactly now has not started: cancelled as well. */
	assert_int_equal(store_maintenance_remove(f->st, at_now, now), 0);
	assert_int_equal(store_maintenance_get(f->st, at_now, &m), 0);
	assert_int_equal(m.end_ms, now + HOUR);
	assert_true(store_maintenance_cancelled(&m));
	store_maintenance_deinit(&m);

	/* Running: ended early at now, still part of the accounting. */
	assert_int_equal(store_maintenance_remove(f->st, running, now), 0);
	assert_int_equal(runner_gen(f->st, r1), g + 3);
	assert_int_equal(store_maintenance_get(f->st, running, &m), 0);
	assert_int_equal(m.removed_ms, now);
	assert_int_equal(m.end_ms, now);
	assert_int_equal(m.start_ms, now - 1 * HOUR);
	assert_false(store_maintenance_cancelled(&m));
	store_maintenance_deinit(&m);

	/* Removed once is removed: a second removal is refused. */
	g = max_gen(f->st);
	assert_int_equal(store_maintenance_remove(f->st, future, now + 1), RW_EINVAL);
	assert_int_equal(store_maintenance_remove(f->st, running, now + 1), RW_EINVAL);
	assert_int_equal(max_gen(f->st), g);

	/* Rows are never deleted; the accounting's list hides the cancelled. */
	assert_int_equal(raw_int(f->db, "SELECT COUNT(*) FROM maintenance"), 4);
	assert_int_equal(count_windows(f->st, r1, true), 4);
	assert_int_equal(store_maintenance_list(f->st, r1, INT64_MIN, INT64_MAX, false, &ms, &n),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(ms[0].id, past);
	assert_int_equal(ms[1].id, running);
	assert_int_equal(ms[1].end_ms, now);
	store_maintenance_free(ms, n);
	/* The truncated window no longer overlaps what follows its new end. */
	assert_int_equal(store_maintenance_list(f->st, r1, now, INT64_MAX, true, &ms, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(ms[i].id, running);
	store_maintenance_free(ms, n);
}

/* ---- maintenance_spec.h ----------------------------------------------------- */

static void test_spec(void **state)
{
	char err[512], big[MAINT_SPEC_REASON_MAX + 2];
	const int64_t now = 1000 * DAY;

	(void)state;
	/* Times. */
	assert_int_equal(spec_check_maintenance(now + HOUR, now + 2 * HOUR, now, err, sizeof(err)),
	                 0);
	assert_int_equal(spec_check_maintenance(now - HOUR, now + 1, now, err, sizeof(err)), 0);
	assert_int_equal(
	        spec_check_maintenance(now, now + MAINT_SPEC_MAX_MS, now, err, sizeof(err)), 0);
	assert_int_equal(
	        spec_check_maintenance(now, now + MAINT_SPEC_MAX_MS + 1, now, err, sizeof(err)),
	        RW_EINVAL);
	assert_non_null(strstr(err, "to:"));
	assert_non_null(strstr(err, "31 days"));
	assert_int_equal(spec_check_maintenance(now + HOUR, now + HOUR, now, err, sizeof(err)),
	                 RW_EINVAL);
	assert_non_null(strstr(err, "to:"));
	assert_int_equal(spec_check_maintenance(now - 2 * HOUR, now, now, err, sizeof(err)),
	                 RW_EINVAL);
	assert_non_null(strstr(err, "past"));

	/* Reasons. */
	assert_int_equal(spec_check_reason("kernel upgrade", err, sizeof(err)), 0);
	assert_int_equal(spec_check_reason("Wartung: Kühlung, 冷却 🙂", err, sizeof(err)), 0);
	memset(big, 'a', sizeof(big));
	big[MAINT_SPEC_REASON_MAX] = '\0';
	assert_int_equal(spec_check_reason(big, err, sizeof(err)), 0);
	big[MAINT_SPEC_REASON_MAX] = 'a';
	big[MAINT_SPEC_REASON_MAX + 1] = '\0';
	assert_int_equal(spec_check_reason(big, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "reason:"));
	static const char *const bad[] = {
	        "",
	        "a\nb",
	        "a\tb",
	        "\x1b[31mred",
	        "del\x7f",
	        "c1 \xc2\x85",
	        "\xff",
	        "trunc \xe2\x82",
	        "\xc0\xaf",
	        "\xed\xa0\x80",
	        "\xf4\x90\x80\x80",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		if (spec_check_reason(bad[i], err, sizeof(err)) != RW_EINVAL ||
		    strncmp(err, "reason:", 7) != 0)
			fail_msg("reason #%zu accepted or not named: %s", i, err);
	}
	assert_int_equal(spec_check_reason(NULL, err, sizeof(err)), RW_EINVAL);
}

/* ---- the CLI -------------------------------------------------------------- */

/* Runs RW_BIN with the arguments given in the test's directory (the
 * harness leaves $RUNWARDEN_DB unset), capturing stdout and stderr. */
#define RUN(f, r, ...) RWT_RUN((r), &(f)->run, RW_BIN, __VA_ARGS__)

static void free_res(struct rwt_res *r)
{
	rwt_res_free(r);
	free(r);
}

static struct rwt_res *new_res(void)
{
	struct rwt_res *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Exit 2, exactly one line on stderr, and that line names @p field. */
static int usage_error_names(const struct rwt_res *r, const char *what, const char *field)
{
	size_t len = strlen(r->err);

	if (r->code == 2 && count_lines(r->err) == 1 && len > 0 && r->err[len - 1] == '\n' &&
	    strstr(r->err, field) != NULL)
		return 0;
	print_error("%s: exit %d, want 2 and one stderr line naming \"%s\"; stderr:\n%s\n", what,
	            r->code, field, r->err);
	return 1;
}

/* An operator "acme", runners "r1" (id 1) and "r2" (id 2, retired). */
static void seed(const struct fx *f)
{
	struct rwt_res *r = new_res();

	RUN(f, r, "operator", "add", "acme", "--email", "ops@acme.example", "--db", f->db);
	assert_int_equal(r->code, 0);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "r1", "--target", T_RISCV,
	    "--url", GOOD_URL, "--db", f->db);
	assert_int_equal(r->code, 0);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	    "--url", GOOD_URL, "--db", f->db);
	assert_int_equal(r->code, 0);
	RUN(f, r, "runner", "retire", "r2", "--db", f->db);
	assert_int_equal(r->code, 0);
	free_res(r);
}

/* @p ms from the wall clock now, rounded to the second, as RFC 3339. */
static void time_from_now(int64_t ms, char out[40])
{
	rfc3339_format((clock_wall_ms() / 1000) * 1000 + ms, out, 40);
}

/* The `list --json` output parsed; fails the test unless it is an array. */
static cJSON *list_json(const struct fx *f, const char *runner)
{
	struct rwt_res *r = new_res();
	cJSON *doc;

	if (runner)
		RUN(f, r, "maintenance", "list", runner, "--json", "--db", f->db);
	else
		RUN(f, r, "maintenance", "list", "--json", "--db", f->db);
	if (r->code != 0)
		print_error("maintenance list: exit %d: %s\n", r->code, r->err);
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	free_res(r);
	assert_true(cJSON_IsArray(doc));
	return doc;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void test_cli_add_and_list(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char from[40], to[40], from1[40], to1[40], policy[192];
	long long id1 = 0, id2 = 0, id3 = 0;
	int64_t ms;
	cJSON *doc, *e;

	seed(f);

	/* Enough notice under the default policy (24 h). */
	time_from_now(48 * HOUR, from);
	time_from_now(52 * HOUR, to);
	RUN(f, r, "maintenance", "add", "r1", "--from", from, "--to", to, "--reason",
	    "kernel upgrade", "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_int_equal(sscanf(r->out, "maintenance %lld added", &id1), 1);
	assert_non_null(strstr(r->out, "needs 24 h: enough"));
	assert_non_null(strstr(r->out, "at most 8 h"));
	memcpy(from1, from, sizeof(from1));
	memcpy(to1, to, sizeof(to1));

	/* Short notice: the part before now + 24 h counts as what the probes
	 * see. The window is named by id here. */
	time_from_now(20 * HOUR, from);
	time_from_now(30 * HOUR, to);
	RUN(f, r, "maintenance", "add", "1", "--from", from, "--to", to, "--reason", "disk swap",
	    "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_int_equal(sscanf(r->out, "maintenance %lld added", &id2), 1);
	assert_non_null(strstr(r->out, "needs 24 h: the first 4"));
	assert_non_null(strstr(r->out, "count as what the probes see"));

	/* A policy without notice, and its cap. Even then, the part of a window
	 * before its declaration counts as what the probes see (account.h). */
	snprintf(policy, sizeof(policy), "%s/policy.json", f->dir);
	rwt_write_file(policy, "{\"version\": 1, \"maintenance\": {\"min_notice_h\": 0, "
	                       "\"max_h_per_month\": 3}}\n");
	time_from_now(-HOUR, from);
	time_from_now(HOUR, to);
	RUN(f, r, "maintenance", "add", "r1", "--from", from, "--to", to, "--reason", "now",
	    "--policy", policy, "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_int_equal(sscanf(r->out, "maintenance %lld added", &id3), 1);
	assert_non_null(strstr(r->out, "needs 0 h: the first 1"));
	assert_non_null(strstr(r->out, "at most 3 h"));
	time_from_now(HOUR, from);
	time_from_now(2 * HOUR, to);
	RUN(f, r, "maintenance", "add", "r1", "--from", from, "--to", to, "--reason", "soon",
	    "--policy", policy, "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "needs 0 h: enough"));
	assert_true(id1 > 0 && id2 > id1 && id3 > id2);

	/* list --json: every window, by start, with its fields. */
	doc = list_json(f, NULL);
	assert_int_equal(cJSON_GetArraySize(doc), 4);
	e = cJSON_GetArrayItem(doc, 0);
	assert_int_equal((long long)cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble, id3);
	assert_string_equal(json_str(e, "status"), "active");
	assert_string_equal(json_str(e, "runner"), "r1");
	assert_string_equal(json_str(e, "reason"), "now");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "removed")));
	assert_int_equal(rfc3339_parse(json_str(e, "from"), &ms), 0);
	assert_int_equal(rfc3339_parse(json_str(e, "declared"), &ms), 0);
	e = cJSON_GetArrayItem(doc, 3);
	assert_int_equal((long long)cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble, id1);
	assert_string_equal(json_str(e, "status"), "upcoming");
	assert_string_equal(json_str(e, "reason"), "kernel upgrade");
	assert_string_equal(json_str(e, "from"), from1);
	assert_string_equal(json_str(e, "to"), to1);
	cJSON_Delete(doc);

	/* One runner's; an unknown runner is a usage error. */
	doc = list_json(f, "r1");
	assert_int_equal(cJSON_GetArraySize(doc), 4);
	cJSON_Delete(doc);
	doc = list_json(f, "r2");
	assert_int_equal(cJSON_GetArraySize(doc), 0);
	cJSON_Delete(doc);
	RUN(f, r, "maintenance", "list", "nope", "--db", f->db);
	assert_int_equal(usage_error_names(r, "list nope", "runner"), 0);

	/* The table for people: a header and one line per window. */
	RUN(f, r, "maintenance", "list", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_int_equal(count_lines(r->out), 5);
	assert_non_null(strstr(r->out, "disk swap"));
	free_res(r);
}

/* `maintenance add` says when the month's cap is already used or the new
 * window takes the month over it, and which windows it overlaps (naming
 * their ids and times); an exact duplicate of a window that stands is
 * refused, exit 2 naming "from" and the window, and writes nothing. Times
 * in a fixed future month, so the months are known. */
static void test_cli_add_warnings(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char policy[192], want[200];
	long long a = 0, b = 0;
	cJSON *doc;

	seed(f);
	snprintf(policy, sizeof(policy), "%s/policy.json", f->dir);
	rwt_write_file(policy, "{\"version\": 1, \"maintenance\": {\"min_notice_h\": 0, "
	                       "\"max_h_per_month\": 3}}\n");
#define ADD(from, to)                                                                              \
	RUN(f, r, "maintenance", "add", "r1", "--from", from, "--to", to, "--reason", "work",      \
	    "--policy", policy, "--db", f->db)

	/* 2 h of a 3 h cap: no warning. */
	ADD("2099-01-10T00:00:00Z", "2099-01-10T02:00:00Z");
	assert_int_equal(r->code, 0);
	assert_int_equal(sscanf(r->out, "maintenance %lld added", &a), 1);
	assert_null(strstr(r->out, "warning:"));
	/* 2 h more: the month goes over the cap. */
	ADD("2099-01-11T00:00:00Z", "2099-01-11T02:00:00Z");
	assert_int_equal(r->code, 0);
	assert_int_equal(sscanf(r->out, "maintenance %lld added", &b), 1);
	if (!strstr(r->out, "warning: 4 h of maintenance are now declared in 2099-01, over the "
	                    "cap of 3 h (max_h_per_month): the 1 h beyond it"))
		fail_msg("no cap_exceeded warning in:\n%s", r->out);
	/* The cap is used up: a later window says so. */
	ADD("2099-01-20T00:00:00Z", "2099-01-20T01:00:00Z");
	assert_int_equal(r->code, 0);
	if (!strstr(r->out, "warning: the maintenance cap of 2099-01 (max_h_per_month 3 h) is "
	                    "already used (3 h credited)"))
		fail_msg("no cap_used warning in:\n%s", r->out);
	/* Overlapping the first: its id and times are named. */
	ADD("2099-01-10T01:00:00Z", "2099-01-10T03:00:00Z");
	assert_int_equal(r->code, 0);
	snprintf(want, sizeof(want),
	         "warning: it overlaps maintenance %lld (2099-01-10T00:00:00.000Z to "
	         "2099-01-10T02:00:00.000Z) of the same runner",
	         a);
	if (!strstr(r->out, want))
		fail_msg("no overlap warning (%s) in:\n%s", want, r->out);
	/* The same window again: refused, nothing written. */
	ADD("2099-01-11T00:00:00Z", "2099-01-11T02:00:00Z");
	assert_int_equal(usage_error_names(r, "duplicate", "from:"), 0);
	snprintf(want, sizeof(want), "already has maintenance %lld from 2099-01-11T00:00:00.000Z",
	         b);
	if (!strstr(r->err, want))
		fail_msg("the refusal does not name window %lld: %s", b, r->err);
	doc = list_json(f, "r1");
	assert_int_equal(cJSON_GetArraySize(doc), 4);
	cJSON_Delete(doc);
	/* Across two months: January's cap is used, February's is not. */
	ADD("2099-01-31T23:00:00Z", "2099-02-01T01:00:00Z");
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "cap of 2099-01"));
	assert_null(strstr(r->out, "2099-02 ("));
	assert_null(strstr(r->out, "in 2099-02"));
	/* A cancelled window stands no more: declaring it again is new. */
	{
		char id[32];
		snprintf(id, sizeof(id), "%lld", b);
		RUN(f, r, "maintenance", "remove", id, "--db", f->db);
		assert_int_equal(r->code, 0);
	}
	ADD("2099-01-11T00:00:00Z", "2099-01-11T02:00:00Z");
	assert_int_equal(r->code, 0);
#undef ADD
	free_res(r);
}

static void test_cli_add_refusals(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char from[40], to[40], past1[40], past2[40], far[40], reason_big[520], policy[192];
	char err[512];
	int64_t gen_before = 0, gen_after = 0, from_ms = 0;
	size_t n = 0;
	int bad = 0;
	struct store_maintenance *ms;

	seed(f);
	time_from_now(48 * HOUR, from);
	time_from_now(50 * HOUR, to);
	time_from_now(-3 * HOUR, past1);
	time_from_now(-2 * HOUR, past2);
	time_from_now(48 * HOUR + 31 * DAY + 1000, far);
	memset(reason_big, 'x', 501);
	reason_big[501] = '\0';
	snprintf(policy, sizeof(policy), "%s/bad-policy.json", f->dir);
	rwt_write_file(policy, "{\"version\": 1,\n \"maintenance\": {\"min_notice_h\": -1}}\n");

	assert_int_equal(store_open(&f->st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_registry_gen(f->st, &gen_before), 0);
	close_db(f);

	static const struct {
		const char *field;
		const char *runner, *from, *to, *reason, *policy;
	} cases[] = {
	        {"runner", "nope", "F", "T", "ok", NULL},
	        {"runner", "r2", "F", "T", "ok", NULL}, /* retired */
	        {"runner", "99", "F", "T", "ok", NULL},
	        {"from", "r1", "tomorrow", "T", "ok", NULL},
	        {"from", "r1", "2026-02-30T00:00:00Z", "T", "ok", NULL},
	        {"from", "r1", "2026-11-20T25:00:00Z", "T", "ok", NULL},
	        {"from", "r1", NULL, "T", "ok", NULL},
	        {"to", "r1", "F", "2026-11-20T22:00:00", "ok", NULL},
	        {"to", "r1", "F", NULL, "ok", NULL},
	        {"to", "r1", "F", "F", "ok", NULL},   /* from == to */
	        {"to", "r1", "T", "F", "ok", NULL},   /* from > to */
	        {"to", "r1", "P1", "P2", "ok", NULL}, /* in the past */
	        {"to", "r1", "F", "FAR", "ok", NULL}, /* longer than 31 days */
	        {"reason", "r1", "F", "T", "", NULL},
	        {"reason", "r1", "F", "T", "BIG", NULL},
	        {"reason", "r1", "F", "T", "two\nlines", NULL},
	        {"reason", "r1", "F", "T", "tab\there", NULL},
	        {"reason", "r1", "F", "T", "\x1b[2J", NULL},
	        {"reason", "r1", "F", "T", "bad \xff utf-8", NULL},
	        {"reason", "r1", "F", "T", NULL, NULL},
	        {"policy", "r1", "F", "T", "ok", "POLICY"},
	        {"policy", "r1", "F", "T", "ok", "/nonexistent/policy.json"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *args[24];
		size_t k = 0;
		char what[64];
#define SUBST(s)                                                                                   \
	(strcmp((s), "F") == 0        ? from                                                       \
	 : strcmp((s), "T") == 0      ? to                                                         \
	 : strcmp((s), "P1") == 0     ? past1                                                      \
	 : strcmp((s), "P2") == 0     ? past2                                                      \
	 : strcmp((s), "FAR") == 0    ? far                                                        \
	 : strcmp((s), "BIG") == 0    ? reason_big                                                 \
	 : strcmp((s), "POLICY") == 0 ? policy                                                     \
	                              : (s))

		args[k++] = RW_BIN;
		args[k++] = "maintenance";
		args[k++] = "add";
		args[k++] = cases[i].runner;
		if (cases[i].from) {
			args[k++] = "--from";
			args[k++] = SUBST(cases[i].from);
		}
		if (cases[i].to) {
			args[k++] = "--to";
			args[k++] = SUBST(cases[i].to);
		}
		if (cases[i].reason) {
			args[k++] = "--reason";
			args[k++] = SUBST(cases[i].reason);
		}
		if (cases[i].policy) {
			args[k++] = "--policy";
			args[k++] = SUBST(cases[i].policy);
		}
		args[k++] = "--db";
		args[k++] = f->db;
		args[k] = NULL;
#undef SUBST
		rwt_run(r, &f->run, args);
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].field);
		bad += usage_error_names(r, what, cases[i].field);
		if (r->out[0]) {
			print_error("%s: wrote to stdout: %s\n", what, r->out);
			bad++;
		}
	}
	/* Wrong arity names the positional argument. */
	RUN(f, r, "maintenance", "add", "--from", from, "--to", to, "--reason", "x", "--db", f->db);
	bad += usage_error_names(r, "add without RUNNER", "runner");
	assert_int_equal(bad, 0);

	/* Nothing was written: no window, no generation bump. */
	assert_int_equal(store_open(&f->st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_registry_gen(f->st, &gen_after), 0);
	assert_int_equal(gen_after, gen_before);
	assert_int_equal(store_maintenance_list(f->st, 0, INT64_MIN, INT64_MAX, true, &ms, &n), 0);
	assert_int_equal(n, 0);
	store_maintenance_free(ms, n);

	/* The edges are accepted: 500 bytes of reason, exactly 31 days. */
	close_db(f);
	reason_big[500] = '\0';
	assert_int_equal(rfc3339_parse(from, &from_ms), 0);
	rfc3339_format(from_ms + 31 * DAY, far, sizeof(far));
	RUN(f, r, "maintenance", "add", "r1", "--from", from, "--to", far, "--reason", reason_big,
	    "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	free_res(r);
}

static void test_cli_remove(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	struct store_maintenance m;
	char err[512], idbuf[3][24];
	int64_t now = clock_wall_ms(), ids[3] = {0, 0, 0}, gen = 0, gen2 = 0;
	cJSON *doc, *e;
	int bad = 0;

	seed(f);
	/* Windows the CLI would not let us declare: one over, one running. */
	assert_int_equal(store_open(&f->st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_maintenance_add(f->st, 1, now - 5 * HOUR, now - 4 * HOUR,
	                                       now - 30 * HOUR, "past", &ids[0]),
	                 0);
	assert_int_equal(store_maintenance_add(f->st, 1, now - HOUR, now + 5 * HOUR,
	                                       now - 30 * HOUR, "running", &ids[1]),
	                 0);
	assert_int_equal(store_maintenance_add(f->st, 1, now + 5 * HOUR, now + 6 * HOUR, now,
	                                       "future", &ids[2]),
	                 0);
	assert_int_equal(store_registry_gen(f->st, &gen), 0);
	close_db(f);
	for (int i = 0; i < 3; i++)
		snprintf(idbuf[i], sizeof(idbuf[i]), "%" PRId64, ids[i]);

	/* Refusals: exit 2 naming the id, and nothing changes. */
	RUN(f, r, "maintenance", "remove", idbuf[0], "--db", f->db);
	bad += usage_error_names(r, "remove past", "id");
	bad += strstr(r->err, "evidence") == NULL;
	RUN(f, r, "maintenance", "remove", "abc", "--db", f->db);
	bad += usage_error_names(r, "remove abc", "id");
	RUN(f, r, "maintenance", "remove", "0", "--db", f->db);
	bad += usage_error_names(r, "remove 0", "id");
	RUN(f, r, "maintenance", "remove", "12345", "--db", f->db);
	bad += usage_error_names(r, "remove unknown", "id");
	RUN(f, r, "maintenance", "remove", "--db", f->db);
	bad += usage_error_names(r, "remove without ID", "id");
	assert_int_equal(bad, 0);
	assert_int_equal(store_open(&f->st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_registry_gen(f->st, &gen2), 0);
	assert_int_equal(gen2, gen);
	assert_int_equal(store_maintenance_get(f->st, ids[0], &m), 0);
	assert_int_equal(m.removed_ms, 0);
	store_maintenance_deinit(&m);
	close_db(f);

	/* The future one is cancelled, the running one ends early. */
	RUN(f, r, "maintenance", "remove", idbuf[2], "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "cancelled"));
	RUN(f, r, "maintenance", "remove", idbuf[1], "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "ended early"));
	RUN(f, r, "maintenance", "remove", idbuf[2], "--db", f->db);
	assert_int_equal(usage_error_names(r, "remove twice", "id"), 0);

	assert_int_equal(store_open(&f->st, f->db, 0, err, sizeof(err)), 0);
	assert_int_equal(store_registry_gen(f->st, &gen2), 0);
	assert_int_equal(gen2, gen + 2);
	assert_int_equal(store_maintenance_get(f->st, ids[1], &m), 0);
	assert_true(m.removed_ms >= now && m.removed_ms < now + 5 * HOUR);
	assert_int_equal(m.end_ms, m.removed_ms);
	store_maintenance_deinit(&m);
	assert_int_equal(store_maintenance_get(f->st, ids[2], &m), 0);
	assert_int_equal(m.end_ms, now + 6 * HOUR);
	assert_true(store_maintenance_cancelled(&m));
	store_maintenance_deinit(&m);
	close_db(f);

	doc = list_json(f, "r1");
	assert_int_equal(cJSON_GetArraySize(doc), 3);
	e = cJSON_GetArrayItem(doc, 0);
	assert_string_equal(json_str(e, "status"), "over");
	e = cJSON_GetArrayItem(doc, 1);
	assert_string_equal(json_str(e, "status"), "ended early");
	assert_string_equal(json_str(e, "to"), json_str(e, "removed"));
	e = cJSON_GetArrayItem(doc, 2);
	assert_string_equal(json_str(e, "status"), "cancelled");
	cJSON_Delete(doc);
	free_res(r);
}

static void test_cli_help(void **state)
{
	static const char *const subs[] = {"add", "list", "remove"};
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	int bad = 0;

	for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
		RUN(f, r, "maintenance", subs[i], "--help");
		if (r->code != 0 || strncmp(r->out, "usage: runwarden maintenance ", 29) != 0 ||
		    strstr(r->out, subs[i]) == NULL) {
			print_error("maintenance %s --help: exit %d, stdout:\n%s\n", subs[i],
			            r->code, r->out);
			bad++;
		}
	}
	RUN(f, r, "maintenance", "--help");
	bad += r->code != 0 || strstr(r->out, "min_notice_h") == NULL;
	RUN(f, r, "--help");
	bad += r->code != 0 || strstr(r->out, "maintenance") == NULL;
	RUN(f, r, "maintenance", "frobnicate", "--db", f->db);
	bad += r->code != 2 || strstr(r->err, "usage:") == NULL;
	RUN(f, r, "maintenance", "--db", f->db);
	bad += r->code != 2;
	assert_int_equal(bad, 0);
	free_res(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spec),
	        cmocka_unit_test_setup_teardown(test_migrate_new_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_previous_version, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_add_and_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_remove_rules, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_add_and_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_add_warnings, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_remove, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_help, setup, teardown),
	};
	/* On PostgreSQL (test_maintenance_pg): all but the two that check SQLite's
	 * schema history (test_store.c checks PostgreSQL's migrations). */
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(test_add_and_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_remove_rules, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_add_and_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_remove, setup, teardown),
	};
	if (rwt_pg())
		return cmocka_run_group_tests_name("maintenance on PostgreSQL", pg_tests, NULL,
		                                   NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
