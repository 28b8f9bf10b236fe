/* SPDX-License-Identifier: MIT */
/*
 * test_cli.c — the CLI's validation, through the real `runwarden` binary
 * (RW_BIN) with a temporary --db, and the validators of runner_spec.h as
 * pure functions.
 *
 * The contract checked (cli.h, DESIGN.md "Contract"): bad input exits 2
 * with one line on stderr that names the field, and writes nothing, which
 * the test confirms by listing what is in the database afterwards; approve
 * and retire follow policy/registration.h's table (a retired runner stays
 * retired: exit 2, one line, nothing written); an import
 * with one bad entry names the entry and the field and imports none; GitHub
 * pools (--github with --label, never with --url or --push; --json shows the
 * source, labels and numbers, and a member its pool, GitHub id and name;
 * members are retired by the daemon, not by hand); every
 * command answers --help on stdout with exit 0; backup refuses an existing
 * file; policy check points at FILE:LINE:.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/intake/runner_spec.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS     64

#define T_RISCV  "riscv64gc-unknown-linux-gnu"
#define T_S390X  "s390x-unknown-linux-gnu"
#define GOOD_URL "https://runner.example.org/health"

struct fx {
	char dir[256];
	char db[1200];       /* a file, or a PostgreSQL URI (rwt_db()) */
	struct rwt_opts run; /* runwarden runs in dir */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-cli");
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
	f->run.dir = f->dir;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void path_in(const struct fx *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->dir, name);
}

/* Runs RW_BIN with the arguments given in the test's directory (the
 * harness leaves $RUNWARDEN_DB unset), capturing stdout and stderr. */
#define RUN(f, r, ...) RWT_RUN((r), &(f)->run, RW_BIN, __VA_ARGS__)

static void free_res(struct rwt_res *r)
{
	rwt_res_free(r);
	free(r);
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
	print_error("%s: exit %d, want 2 and one stderr line naming \"%s\"; stderr:\n%s", what,
	            r->code, field, r->err);
	return 1;
}

/* The names that `runner list --json` shows, joined by ','. */
static void runner_names(const struct fx *f, char *out, size_t outlen)
{
	struct rwt_res *r = calloc(1, sizeof(*r));
	cJSON *doc, *e;
	size_t j = 0;

	assert_non_null(r);
	RUN(f, r, "runner", "list", "--json", "--db", f->db);
	if (r->code != 0)
		print_error("runner list: exit %d: %s", r->code, r->err);
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	assert_true(cJSON_IsArray(doc));
	out[0] = '\0';
	cJSON_ArrayForEach(e, doc)
	{
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
		assert_true(cJSON_IsString(nm));
		j += (size_t)snprintf(out + j, outlen - j, "%s%s", j ? "," : "", nm->valuestring);
	}
	cJSON_Delete(doc);
	free_res(r);
}

static void operator_names(const struct fx *f, char *out, size_t outlen)
{
	struct rwt_res *r = calloc(1, sizeof(*r));
	cJSON *doc, *e;
	size_t j = 0;

	assert_non_null(r);
	RUN(f, r, "operator", "list", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	assert_true(cJSON_IsArray(doc));
	out[0] = '\0';
	cJSON_ArrayForEach(e, doc)
	{
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
		assert_true(cJSON_IsString(nm));
		j += (size_t)snprintf(out + j, outlen - j, "%s%s", j ? "," : "", nm->valuestring);
	}
	cJSON_Delete(doc);
	free_res(r);
}

static struct rwt_res *new_res(void)
{
	struct rwt_res *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

/* An operator "acme" and a runner "r1". */
static void seed(const struct fx *f)
{
	struct rwt_res *r = new_res();

	RUN(f, r, "operator", "add", "acme", "--email", "ops@acme.example", "--db", f->db);
	assert_int_equal(r->code, 0);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "r1", "--target", T_RISCV,
	    "--url", GOOD_URL, "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	free_res(r);
}

/* ---- operator add -------------------------------------------------------- */

static void test_operator_add(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char names[256], default_db[192];
	const char *tok;
	int bad = 0;

	/* Refused before anything is created. */
	RUN(f, r, "operator", "add", "acme", "--db", f->db);
	bad += usage_error_names(r, "no --email", "email");
	RUN(f, r, "operator", "add", "acme", "--email", "not-an-address", "--db", f->db);
	bad += usage_error_names(r, "bad email", "email");
	RUN(f, r, "operator", "add", "-acme", "--email", "ops@acme.example", "--db", f->db);
	assert_int_equal(r->code, 2);
	RUN(f, r, "operator", "add", "ac me", "--email", "ops@acme.example", "--db", f->db);
	bad += usage_error_names(r, "bad name", "name");
	RUN(f, r, "operator", "add", "acme/x", "--email", "ops@acme.example", "--db", f->db);
	bad += usage_error_names(r, "bad name", "name");
	assert_int_equal(bad, 0);
	assert_int_equal(access(f->db, F_OK), -1);
	path_in(f, "runwarden.db", default_db, sizeof(default_db));
	assert_int_equal(access(default_db, F_OK), -1);

	/* A good one: its id and a token, shown once. */
	RUN(f, r, "operator", "add", "acme", "--email", "ops@acme.example", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "operator acme id "));
	tok = strstr(r->out, "token rw_");
	assert_non_null(tok);
	tok += strlen("token rw_");
	for (int i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", tok[i]));
	assert_int_equal(tok[64], '\n');

	/* With a database: still nothing written. */
	RUN(f, r, "operator", "add", "zed", "--db", f->db);
	bad += usage_error_names(r, "no --email", "email");
	RUN(f, r, "operator", "add", "zed", "--email", "zed@", "--db", f->db);
	bad += usage_error_names(r, "bad email", "email");
	RUN(f, r, "operator", "add", "zed", "--email", "z ed@example.org", "--db", f->db);
	bad += usage_error_names(r, "bad email", "email");
	RUN(f, r, "operator", "add", "", "--email", "zed@example.org", "--db", f->db);
	bad += usage_error_names(r, "empty name", "name");
	RUN(f, r, "operator", "add", "acme", "--email", "other@example.org", "--db", f->db);
	bad += usage_error_names(r, "duplicate", "name");
	RUN(f, r, "operator", "add", "zed", "extra", "--email", "zed@example.org", "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_int_equal(bad, 0);
	operator_names(f, names, sizeof(names));
	assert_string_equal(names, "acme");
	free_res(r);
}

/* ---- runner add ---------------------------------------------------------- */

static void test_runner_add_refusals(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char names[512];
	int bad = 0;

	seed(f);

#define ADD_REFUSED(field, ...)                                                                    \
	do {                                                                                       \
		RUN(f, r, "runner", "add", __VA_ARGS__, "--db", f->db);                            \
		bad += usage_error_names(r, #__VA_ARGS__, field);                                  \
	} while (0)

	/* Targets. */
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--target", "RISCV64", "--url",
	            GOOD_URL);
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--target", "x86_64", "--url",
	            GOOD_URL);
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--target", "a--b", "--url",
	            GOOD_URL);
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--target",
	            T_RISCV, "--url", GOOD_URL);
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--url", GOOD_URL);
	/* Typos of well-formed triples: a target of its own otherwise. */
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--target",
	            "riscv64gc-unknwon-linux-gnu", "--url", GOOD_URL);
	assert_non_null(strstr(r->err, "did you mean unknown?"));
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--target", "s390x-linux",
	            "--url", GOOD_URL);
	/* URLs. */
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            "ftp://runner.example.org/");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            "file:///etc/passwd");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            "javascript:alert(1)");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            "https://user:pw@runner.example.org/");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            "http://runner.example.org:99999/");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            "https://runner.example.org/a b");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url", "");
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV);
	/* Names and operators. */
	ADD_REFUSED("name", "--operator", "acme", "--name", "r1", "--target", T_RISCV, "--url",
	            GOOD_URL);
	ADD_REFUSED("name", "--operator", "acme", "--name", "bad name", "--target", T_RISCV,
	            "--url", GOOD_URL);
	ADD_REFUSED("name", "--operator", "acme", "--target", T_RISCV, "--url", GOOD_URL);
	ADD_REFUSED("operator", "--operator", "ghost", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL);
	ADD_REFUSED("operator", "--name", "r2", "--target", T_RISCV, "--url", GOOD_URL);
	/* Numbers. */
	ADD_REFUSED("interval", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL, "--interval", "0");
	ADD_REFUSED("interval", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL, "--interval", "-5");
	ADD_REFUSED("interval", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL, "--interval", "86401");
	ADD_REFUSED("interval", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL, "--interval", "10s");
	ADD_REFUSED("timeout", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL, "--timeout", "50");
	ADD_REFUSED("timeout", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--url",
	            GOOD_URL, "--timeout", "x");
	/* A push runner has no URL. */
	ADD_REFUSED("url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--push",
	            "--url", GOOD_URL);
	/* GitHub pools: --github goes with neither --url nor --push, and needs
	 * --label; each refusal names the flag. */
	ADD_REFUSED("--url", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--github",
	            "acme-org", "--label", "x", "--url", GOOD_URL);
	ADD_REFUSED("--push", "--operator", "acme", "--name", "r2", "--target", T_RISCV, "--github",
	            "acme-org", "--label", "x", "--push");
	ADD_REFUSED("--label", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org");
	ADD_REFUSED("--label", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "Linux", "--label", "linux");
	ADD_REFUSED("--label", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "self hosted");
	ADD_REFUSED("--github", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "-acme", "--label", "x");
	ADD_REFUSED("--github", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme/ci/extra", "--label", "x");
	ADD_REFUSED("--github", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme/..", "--label", "x");
	ADD_REFUSED("--github", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "", "--label", "x");
	ADD_REFUSED("--min-online", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--min-online", "10001");
	ADD_REFUSED("--min-online", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--min-online", "-1");
	ADD_REFUSED("--min-online", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--min-online", "two");
	ADD_REFUSED("--pickup-within", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--pickup-within", "0");
	ADD_REFUSED("--pickup-within", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--pickup-within", "86401");
	ADD_REFUSED("--interval", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--interval", "30");
	ADD_REFUSED("--timeout", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--github", "acme-org", "--label", "x", "--timeout", "5000");
	ADD_REFUSED("target", "--operator", "acme", "--name", "r2", "--github", "acme-org",
	            "--label", "x");
	ADD_REFUSED("name", "--operator", "acme", "--name", "r1", "--target", T_RISCV, "--github",
	            "acme-org", "--label", "x");
	/* The pool's flags without --github. */
	ADD_REFUSED("--min-online", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--url", GOOD_URL, "--min-online", "1");
	ADD_REFUSED("--pickup-within", "--operator", "acme", "--name", "r2", "--target", T_RISCV,
	            "--push", "--pickup-within", "60");
#undef ADD_REFUSED

	/* Seventeen targets. */
	{
		const char *args[MAX_ARGS] = {RW_BIN,   "runner", "add",   "--operator", "acme",
		                              "--name", "r2",     "--url", GOOD_URL};
		char tgt[17][40];
		size_t n = 9;
		for (int i = 0; i < 17; i++) {
			snprintf(tgt[i], sizeof(tgt[i]), "arch%d-unknown-linux-gnu", i);
			args[n++] = "--target";
			args[n++] = tgt[i];
		}
		args[n++] = "--db";
		args[n++] = f->db;
		args[n] = NULL;
		rwt_run(r, &f->run, args);
		bad += usage_error_names(r, "17 targets", "target");
	}
	assert_int_equal(bad, 0);
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1");
	free_res(r);
}

static void test_runner_add_good(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	const cJSON *t;
	cJSON *doc;

	seed(f);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "r2", "--target", T_S390X,
	    "--target", T_RISCV, "--url", "http://[2001:db8::1]:8080/health", "--interval", "30",
	    "--timeout", "5000", "--allow-cidr", "2001:db8::/32", "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "runner r2 id "));
	assert_non_null(strstr(r->out, "approved"));

	RUN(f, r, "runner", "show", "r2", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "name")->valuestring, "r2");
	assert_string_equal(cJSON_GetObjectItem(doc, "operator")->valuestring, "acme");
	assert_string_equal(cJSON_GetObjectItem(doc, "status")->valuestring, "approved");
	assert_string_equal(cJSON_GetObjectItem(doc, "state")->valuestring, "unknown");
	assert_string_equal(cJSON_GetObjectItem(doc, "url")->valuestring,
	                    "http://[2001:db8::1]:8080/health");
	assert_int_equal(cJSON_GetObjectItem(doc, "interval_s")->valueint, 30);
	assert_int_equal(cJSON_GetObjectItem(doc, "timeout_ms")->valueint, 5000);
	t = cJSON_GetObjectItem(doc, "targets");
	assert_int_equal(cJSON_GetArraySize(t), 2);
	assert_string_equal(cJSON_GetArrayItem(t, 0)->valuestring, T_RISCV);
	assert_string_equal(cJSON_GetArrayItem(t, 1)->valuestring, T_S390X);
	cJSON_Delete(doc);

	/* A push runner: its heartbeat token is printed once, stored hashed. */
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "p1", "--target", T_RISCV,
	    "--push", "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "heartbeat token rwh_"));
	RUN(f, r, "runner", "show", "p1", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "\"push\""));

	/* By id, too. */
	RUN(f, r, "runner", "show", "2", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "\"r2\""));
	RUN(f, r, "runner", "show", "nobody", "--db", f->db);
	assert_int_equal(usage_error_names(r, "show unknown", "nobody"), 0);
	free_res(r);
}

/* ---- GitHub pools ------------------------------------------------------------ */

/* `runner show NAME --json`, parsed. */
static cJSON *show_json(const struct fx *f, const char *name)
{
	struct rwt_res *r = new_res();
	cJSON *doc;

	RUN(f, r, "runner", "show", name, "--json", "--db", f->db);
	if (r->code != 0)
		print_error("show %s: %s", name, r->err);
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	assert_non_null(doc);
	free_res(r);
	return doc;
}

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(v))
		print_error("%s: not a string\n", name);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double jnum(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		print_error("%s: not a number\n", name);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void test_github_pool_add(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	const cJSON *l;
	cJSON *doc;

	seed(f);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "rv-pool", "--target", T_RISCV,
	    "--github", "rust-lang/rust", "--label", "self-hosted", "--label", "riscv64", "--db",
	    f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "runner rv-pool id "));
	assert_non_null(strstr(r->out, "approved"));
	doc = show_json(f, "rv-pool");
	assert_string_equal(jstr(doc, "kind"), "github");
	assert_string_equal(jstr(doc, "github"), "rust-lang/rust");
	assert_string_equal(jstr(doc, "status"), "approved");
	assert_int_equal(jnum(doc, "min_online"), 1); /* the default */
	assert_int_equal(jnum(doc, "pickup_within_s"), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "url"));
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "pool"));
	l = cJSON_GetObjectItemCaseSensitive(doc, "labels");
	assert_int_equal(cJSON_GetArraySize(l), 2);
	assert_string_equal(cJSON_GetArrayItem(l, 0)->valuestring, "riscv64");
	assert_string_equal(cJSON_GetArrayItem(l, 1)->valuestring, "self-hosted");
	cJSON_Delete(doc);

	/* An ephemeral pool: with --pickup-within, no member need be online. */
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "eph", "--target", T_S390X,
	    "--github", "acme-org", "--label", "s390x", "--pickup-within", "300", "--db", f->db);
	assert_int_equal(r->code, 0);
	doc = show_json(f, "eph");
	assert_string_equal(jstr(doc, "github"), "acme-org");
	assert_int_equal(jnum(doc, "min_online"), 0);
	assert_int_equal(jnum(doc, "pickup_within_s"), 300);
	cJSON_Delete(doc);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "both", "--target", T_S390X,
	    "--github", "acme-org", "--label", "s390x", "--pickup-within", "60", "--min-online",
	    "3", "--db", f->db);
	assert_int_equal(r->code, 0);
	doc = show_json(f, "both");
	assert_int_equal(jnum(doc, "min_online"), 3);
	assert_int_equal(jnum(doc, "pickup_within_s"), 60);
	cJSON_Delete(doc);

	/* The text form says what it watches. */
	RUN(f, r, "runner", "show", "eph", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "github    acme-org\n"));
	assert_non_null(strstr(r->out, "within 300 s"));
	free_res(r);
}

/* Members, which the daemon creates (here through the store, as it does):
 * shown with their pool, GitHub id and name; retiring one by hand is refused. */
static void test_github_members(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	struct store *st = NULL;
	char err[256], names[512];
	int64_t pool = 0, m = 0;
	cJSON *doc, *e;
	int members = 0;

	seed(f);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "pool", "--target", T_RISCV,
	    "--github", "acme-org", "--label", "riscv64", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_int_equal(store_open(&st, f->db, 0, err, sizeof(err)), 0);
	{
		struct store_runner p;
		assert_int_equal(store_runner_get(st, "pool", 0, &p), 0);
		pool = p.id;
		store_runner_deinit(&p);
	}
	assert_int_equal(store_github_member_upsert(st, pool, 4711, "rv 1\x1b[31m", 1000, &m, NULL),
	                 0);
	store_close(st);

	RUN(f, r, "runner", "list", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	doc = cJSON_Parse(r->out);
	assert_true(cJSON_IsArray(doc));
	cJSON_ArrayForEach(e, doc)
	{
		if (!cJSON_GetObjectItemCaseSensitive(e, "pool"))
			continue;
		members++;
		assert_string_equal(jstr(e, "kind"), "github");
		assert_string_equal(jstr(e, "name"), "pool/rv_1__31m");
		assert_string_equal(jstr(e, "pool"), "pool");
		assert_int_equal(jnum(e, "github_id"), 4711);
		assert_string_equal(jstr(e, "github_name"), "rv 1\x1b[31m");
		assert_string_equal(jstr(e, "operator"), "acme");
		assert_string_equal(jstr(e, "status"), "approved");
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "labels")),
		                 0);
		assert_null(cJSON_GetObjectItemCaseSensitive(e, "github"));
		assert_null(cJSON_GetObjectItemCaseSensitive(e, "min_online"));
		assert_null(cJSON_GetObjectItemCaseSensitive(e, "url"));
	}
	cJSON_Delete(doc);
	assert_int_equal(members, 1);

	/* The text form escapes GitHub's name; the list does not choke on a
	 * runner without a URL. */
	RUN(f, r, "runner", "show", "pool/rv_1__31m", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_null(strchr(r->out, 0x1b));
	assert_non_null(strstr(r->out, "pool      pool\n"));
	assert_non_null(strstr(r->out, "github id 4711\n"));
	RUN(f, r, "runner", "list", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "pool/rv_1__31m"));

	/* The daemon retires members; by hand it is refused, nothing written. */
	RUN(f, r, "runner", "retire", "pool/rv_1__31m", "--db", f->db);
	assert_int_equal(usage_error_names(r, "retire member", "member of GitHub pool pool"), 0);
	doc = show_json(f, "pool/rv_1__31m");
	assert_string_equal(jstr(doc, "status"), "approved");
	cJSON_Delete(doc);
	/* Retiring the pool is the way. */
	RUN(f, r, "runner", "retire", "pool", "--db", f->db);
	assert_int_equal(r->code, 0);
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1,pool,pool/rv_1__31m");
	free_res(r);
}

static void test_github_import(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char file[192], names[512];
	cJSON *doc;

	seed(f);
	path_in(f, "import.json", file, sizeof(file));
	/* Bad pools: each entry names its field; nothing is imported. */
	rwt_write_file(
	        file, "[{\"operator\": \"acme\", \"name\": \"g0\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"acme-org\", \"labels\": [\"x\"]},"
	              " {\"operator\": \"acme\", \"name\": \"g1\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"acme-org\"},"
	              " {\"operator\": \"acme\", \"name\": \"g2\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"acme-org\", \"labels\": [\"x\"], \"url\": \"" GOOD_URL "\"},"
	              " {\"operator\": \"acme\", \"name\": \"g3\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"a/b/c\", \"labels\": [\"x\"]},"
	              " {\"operator\": \"acme\", \"name\": \"g4\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"acme-org\", \"labels\": [\"x\"], \"min_online\": 1.5},"
	              " {\"operator\": \"acme\", \"name\": \"g5\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"acme-org\", \"labels\": [\"x\"], \"pickup_within_s\": 0},"
	              " {\"operator\": \"acme\", \"name\": \"g6\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"url\": \"" GOOD_URL "\", \"min_online\": 2},"
	              " {\"operator\": \"acme\", \"name\": \"g7\", \"targets\": [\"" T_RISCV "\"],"
	              "  \"github\": \"acme-org\", \"labels\": [\"x\"], \"min_online\": -1}]");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_null(strstr(r->err, "entry 1:"));
	assert_non_null(strstr(r->err, "entry 2: labels"));
	assert_non_null(strstr(r->err, "entry 3: url"));
	assert_non_null(strstr(r->err, "entry 4: github"));
	assert_non_null(strstr(r->err, "entry 5: min_online"));
	assert_non_null(strstr(r->err, "entry 6: pickup_within_s"));
	assert_non_null(strstr(r->err, "entry 7: min_online"));
	assert_non_null(strstr(r->err, "entry 8: min_online: -1 is not in"));
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1");

	/* Good ones, with an http runner with labels beside them. */
	rwt_write_file(file,
	               "[{\"operator\": \"acme\", \"name\": \"g0\", \"targets\": [\"" T_RISCV "\"],"
	               "  \"github\": \"acme-org/ci\", \"labels\": [\"self-hosted\", \"riscv64\"],"
	               "  \"pickup_within_s\": 120},"
	               " {\"operator\": \"acme\", \"name\": \"h0\", \"targets\": [\"" T_RISCV "\"],"
	               "  \"url\": \"" GOOD_URL "\", \"labels\": [\"fast\"]}]");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	doc = show_json(f, "g0");
	assert_string_equal(jstr(doc, "kind"), "github");
	assert_string_equal(jstr(doc, "github"), "acme-org/ci");
	assert_int_equal(jnum(doc, "min_online"), 0);
	assert_int_equal(jnum(doc, "pickup_within_s"), 120);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "labels")), 2);
	cJSON_Delete(doc);
	doc = show_json(f, "h0");
	assert_string_equal(jstr(doc, "kind"), "http");
	assert_string_equal(
	        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "labels"), 0)->valuestring,
	        "fast");
	cJSON_Delete(doc);
	free_res(r);
}

/* ---- the address guard --------------------------------------------------- */

#define ENTRY(name, url)                                                                           \
	"{\"operator\": \"acme\", \"name\": \"" name "\", \"targets\": [\"" T_RISCV                \
	"\"], \"url\": \"" url "\"}"

/* runner add and runner import refuse the URLs the daemon's address guard
 * refuses (the API's check, spec_check_url_guard()), with the field, the
 * value and the fix, exit 2 and nothing written; --allow-cidr and the
 * allow_cidrs of --config let them through. */
static void test_runner_add_guard(void **state)
{
	static const struct {
		const char *url, *host, *range;
	} refused[] = {
	        {"http://10.1.2.3/health", "10.1.2.3", "10.0.0.0/8"},
	        {"http://localhost:8080/health", "localhost", "127.0.0.0/8"},
	        {"http://0x7f000001/health", "127.0.0.1", "127.0.0.0/8"},
	        {"http://[::ffff:192.168.1.5]/", "192.168.1.5", "192.168.0.0/16"},
	        {"http://169.254.169.254/latest", "169.254.169.254", "169.254.169.254/32"},
	        {"https://[fd00::1]:8443/", "fd00::1", "fc00::/7"},
	};
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char names[512], file[192], cfg[192], text[512];
	int bad = 0;

	seed(f);
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		RUN(f, r, "runner", "add", "--operator", "acme", "--name", "g1", "--target",
		    T_RISCV, "--url", refused[i].url, "--db", f->db);
		bad += usage_error_names(r, refused[i].url, "url: the address guard refuses");
		if (!strstr(r->err, refused[i].url) || !strstr(r->err, "--allow-cidr") ||
		    !strstr(r->err, refused[i].range) || !strstr(r->err, "allow_cidrs")) {
			print_error("%s: want the URL, --allow-cidr %s and allow_cidrs in: %s",
			            refused[i].url, refused[i].range, r->err);
			bad++;
		}
		/* The fix it names works. */
		snprintf(text, sizeof(text), "g%zu", i);
		RUN(f, r, "runner", "add", "--operator", "acme", "--name", text, "--target",
		    T_RISCV, "--url", refused[i].url, "--allow-cidr", refused[i].range, "--db",
		    f->db);
		if (r->code != 0) {
			print_error("%s with --allow-cidr %s: exit %d: %s", refused[i].url,
			            refused[i].range, r->code, r->err);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1,g0,g1,g2,g3,g4,g5");

	/* A range that does not hold the address does not help; a bad CIDR is
	 * a usage error naming the flag; the flag is for add and import only. */
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "h1", "--target", T_RISCV,
	    "--url", "http://10.1.2.3/", "--allow-cidr", "192.168.0.0/16", "--db", f->db);
	assert_int_equal(usage_error_names(r, "other range", "10.0.0.0/8"), 0);
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "h1", "--target", T_RISCV,
	    "--url", "http://10.1.2.3/", "--allow-cidr", "10.0.0.1/8", "--db", f->db);
	assert_int_equal(usage_error_names(r, "host bits", "--allow-cidr"), 0);
	RUN(f, r, "runner", "list", "--allow-cidr", "10.0.0.0/8", "--db", f->db);
	assert_int_equal(usage_error_names(r, "list", "--allow-cidr"), 0);

	/* The config file `serve` reads: its allow_cidrs, and its db when there
	 * is no --db (a relative path, from the config file's folder: conf/,
	 * while the command runs in the test's folder). */
	path_in(f, "conf", cfg, sizeof(cfg));
	assert_int_equal(mkdir(cfg, 0700), 0);
	path_in(f, "conf/rw.json", cfg, sizeof(cfg));
	rwt_write_file(cfg, "{\"allow_cidrs\": [\"10.0.0.0/8\"], \"db\": \"../rw.db\"}\n");
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "h1", "--target", T_RISCV,
	    "--url", "http://10.9.9.9/health", "--config", cfg);
	if (r->code != 0)
		print_error("--config: exit %d: %s", r->code, r->err);
	assert_int_equal(r->code, 0);
	rwt_write_file(cfg, "{\"allow_cidrs\": [\"10.0.0.1/8\"]}\n");
	RUN(f, r, "runner", "add", "--operator", "acme", "--name", "h2", "--target", T_RISCV,
	    "--url", "http://10.9.9.9/health", "--config", cfg, "--db", f->db);
	assert_int_equal(usage_error_names(r, "bad config", "allow_cidrs"), 0);

	/* import: the entry, the field and the fix; nothing imported. */
	path_in(f, "import.json", file, sizeof(file));
	rwt_write_file(file, "[" ENTRY("i1", GOOD_URL) ",\n" ENTRY(
	                             "i2", "http://172.16.0.9:9000/health") "]\n");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_non_null(strstr(r->err, "entry 2: url: the address guard refuses 172.16.0.9"));
	assert_non_null(strstr(r->err, "--allow-cidr 172.16.0.0/12"));
	assert_null(strstr(r->err, "entry 1:"));
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1,g0,g1,g2,g3,g4,g5,h1");
	RUN(f, r, "runner", "import", file, "--allow-cidr", "172.16.0.0/12", "--db", f->db);
	if (r->code != 0)
		print_error("import --allow-cidr: exit %d: %s", r->code, r->err);
	assert_int_equal(r->code, 0);
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1,g0,g1,g2,g3,g4,g5,h1,i1,i2");
	free_res(r);
}

/* ---- runner import ------------------------------------------------------- */

static void test_import_bad_entry(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char file[192], names[512];

	seed(f);
	path_in(f, "import.json", file, sizeof(file));

	/* One bad URL among good entries: entry 2, field url; nothing written. */
	rwt_write_file(file,
	               "[\n " ENTRY("i0", GOOD_URL) ",\n " ENTRY(
	                       "i1", "ftp://x.example.org/") ",\n " ENTRY("i2", GOOD_URL) "\n]\n");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_non_null(strstr(r->err, "entry 2: url"));
	assert_null(strstr(r->err, "entry 1:"));
	assert_null(strstr(r->err, "entry 3:"));
	assert_non_null(strstr(r->err, "nothing was imported"));
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1");

	/* The bad one last, and of every kind: each entry reported. */
	rwt_write_file(
	        file,
	        "[" ENTRY("i0",
	                  GOOD_URL) ","
	                            "{\"operator\": \"acme\", \"name\": \"i1\", \"targets\": "
	                            "\"" T_RISCV "\", \"url\": \"" GOOD_URL "\"},"
	                            "{\"operator\": \"acme\", \"name\": \"i2\", \"targets\": "
	                            "[\"Bad\"], \"url\": \"" GOOD_URL "\"},"
	                            "{\"operator\": \"ghost\", \"name\": \"i3\", \"targets\": "
	                            "[\"" T_RISCV "\"], \"url\": \"" GOOD_URL "\"},"
	                            "{\"name\": \"i4\", \"targets\": [\"" T_RISCV
	                            "\"], \"url\": \"" GOOD_URL "\"},"
	                            "42," ENTRY("r1", GOOD_URL) "," ENTRY(
	                                    "i0", GOOD_URL) ","
	                                                    "{\"operator\": \"acme\", \"name\": "
	                                                    "\"i8\", \"targets\": [\"" T_RISCV
	                                                    "\"], \"url\": 7}]");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_non_null(strstr(r->err, "entry 2: targets"));
	assert_non_null(strstr(r->err, "entry 3: target"));
	assert_non_null(strstr(r->err, "entry 4: operator"));
	assert_non_null(strstr(r->err, "entry 5: operator"));
	assert_non_null(strstr(r->err, "entry 6: (entry)"));
	assert_non_null(strstr(r->err, "entry 7: name"));
	assert_non_null(strstr(r->err, "entry 8: name"));
	assert_non_null(strstr(r->err, "entry 9: url"));
	assert_null(strstr(r->err, "entry 1:"));
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1");

	/* Not an array; not JSON; no file. */
	rwt_write_file(file, ENTRY("i0", GOOD_URL));
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(usage_error_names(r, "object", "array"), 0);
	rwt_write_file(file, "[{");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	path_in(f, "missing.json", file, sizeof(file));
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1");
	free_res(r);
}

static void test_import_good(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char file[192], names[512];

	seed(f);
	path_in(f, "import.json", file, sizeof(file));
	rwt_write_file(
	        file,
	        "[\n " ENTRY("i0", GOOD_URL) ",\n " ENTRY(
	                "i1", "http://b.example.org:81/") ",\n {\"operator\": \"acme\", \"name\": "
	                                                  "\"i2\", \"targets\": [\"" T_RISCV
	                                                  "\", \"" T_S390X
	                                                  "\"], \"url\": \"" GOOD_URL "\"}\n]\n");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "imported 3 runners"));
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1,i0,i1,i2");
	RUN(f, r, "runner", "show", "i2", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, T_S390X));
	assert_non_null(strstr(r->out, "approved"));

	/* Importing the same file again: every entry is now a duplicate. */
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_non_null(strstr(r->err, "entry 1: name"));
	assert_non_null(strstr(r->err, "entry 3: name"));
	runner_names(f, names, sizeof(names));
	assert_string_equal(names, "r1,i0,i1,i2");

	/* Every field runner add takes: labels, interval_s, timeout_ms, and
	 * push runners (whose tokens are shown once); an unknown key is
	 * refused, not dropped. */
	rwt_write_file(file, "[{\"operator\": \"acme\", \"name\": \"i3\", \"targets\": [\"" T_RISCV
	                     "\"], \"url\": \"" GOOD_URL "\", \"labels\": [\"self-hosted\"],"
	                     " \"interval_s\": 30, \"timeout_ms\": 5000},"
	                     " {\"operator\": \"acme\", \"name\": \"i4\", \"targets\": [\"" T_RISCV
	                     "\"], \"push\": true}]");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "runner i4 heartbeat token rwh_"));
	RUN(f, r, "runner", "show", "i3", "--json", "--db", f->db);
	assert_non_null(strstr(r->out, "\"interval_s\":\t30"));
	assert_non_null(strstr(r->out, "\"timeout_ms\":\t5000"));
	assert_non_null(strstr(r->out, "self-hosted"));
	RUN(f, r, "runner", "show", "i4", "--json", "--db", f->db);
	assert_non_null(strstr(r->out, "\"kind\":\t\"push\""));
	rwt_write_file(file, "[{\"operator\": \"acme\", \"name\": \"i5\", \"targets\": [\"" T_RISCV
	                     "\"], \"url\": \"" GOOD_URL "\", \"intervall_s\": 30}]");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 2);
	assert_non_null(strstr(r->err, "entry 1: intervall_s: unknown key"));

	/* An empty array imports nothing, successfully. */
	rwt_write_file(file, "[]");
	RUN(f, r, "runner", "import", file, "--db", f->db);
	assert_int_equal(r->code, 0);
	free_res(r);
}

/* ---- approve, retire ----------------------------------------------------- */

/* The registry generation and the number of events, read from f->db. */
static void registry_marks(const struct fx *f, int64_t *gen, int64_t *events)
{
	char err[256];
	struct store *st = NULL;
	struct store_event *ev = NULL;
	size_t n = 0;

	assert_int_equal(store_open(&st, f->db, STORE_READONLY, err, sizeof(err)), 0);
	assert_int_equal(store_registry_gen(st, gen), 0);
	assert_int_equal(store_events_after(st, 0, 100000, NULL, &ev, &n), 0);
	store_events_free(ev, n);
	store_close(st);
	*events = (int64_t)n;
}

static void test_status_changes(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	int64_t gen, ev, gen2, ev2;
	int bad = 0;

	seed(f);
	RUN(f, r, "runner", "retire", "ghost", "--db", f->db);
	bad += usage_error_names(r, "retire unknown", "ghost");
	RUN(f, r, "runner", "approve", "ghost", "--db", f->db);
	bad += usage_error_names(r, "approve unknown", "ghost");
	RUN(f, r, "runner", "retire", "999", "--db", f->db);
	bad += usage_error_names(r, "retire unknown id", "999");
	assert_int_equal(bad, 0);

	/* Approving an approved runner succeeds and writes nothing. */
	registry_marks(f, &gen, &ev);
	RUN(f, r, "runner", "approve", "r1", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "runner r1 is already approved"));
	registry_marks(f, &gen2, &ev2);
	assert_int_equal(gen2, gen);
	assert_int_equal(ev2, ev);

	RUN(f, r, "runner", "retire", "r1", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "retired"));
	RUN(f, r, "runner", "show", "r1", "--json", "--db", f->db);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "\"retired\""));
	/* A retired runner stays retired: approving or retiring it again exits 2
	 * with one line naming the runner, its status and what it allows, and
	 * writes nothing. */
	registry_marks(f, &gen, &ev);
	RUN(f, r, "runner", "approve", "r1", "--db", f->db);
	assert_int_equal(usage_error_names(r, "approve retired", "retired"), 0);
	assert_string_equal(r->err, "runwarden: runner r1 is retired; a retired runner stays "
	                            "retired (register a new one)\n");
	RUN(f, r, "runner", "retire", "r1", "--db", f->db);
	assert_int_equal(usage_error_names(r, "retire retired", "retired"), 0);
	assert_string_equal(r->err, "runwarden: runner r1 is retired; a retired runner stays "
	                            "retired (register a new one)\n");
	RUN(f, r, "runner", "retire", "1", "--db", f->db);
	assert_int_equal(usage_error_names(r, "retire retired by id", "r1 is retired"), 0);
	registry_marks(f, &gen2, &ev2);
	assert_int_equal(gen2, gen);
	assert_int_equal(ev2, ev);
	RUN(f, r, "runner", "show", "1", "--json", "--db", f->db);
	assert_non_null(strstr(r->out, "\"retired\""));

	/* No database: a wrong --db is bad input (exit 2, as runwarden-report
	 * says too), and none is created. */
	char other[192];
	path_in(f, "none.db", other, sizeof(other));
	RUN(f, r, "runner", "retire", "r1", "--db", other);
	assert_int_equal(r->code, 2);
	assert_int_equal(access(other, F_OK), -1);
	RWT_RUN(r, &f->run, RW_REPORT_BIN, "monthly", "--month", "2026-01", "--db", other);
	assert_int_equal(r->code, 2);
	/* A zero-byte file is not given a schema by a read. */
	{
		struct stat sb;
		rwt_write_file(other, "");
		RUN(f, r, "runner", "list", "--db", other);
		assert_int_equal(r->code, 2);
		assert_non_null(strstr(r->err, "not a runwarden database"));
		assert_int_equal(stat(other, &sb), 0);
		assert_int_equal(sb.st_size, 0);
	}
	free_res(r);
}

/* ---- --help -------------------------------------------------------------- */

static void test_help(void **state)
{
	static const char *const cmds[] = {"operator", "runner", "route",
	                                   "policy",   "backup", "serve"};
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	int bad = 0;

	for (size_t i = 0; i < ARRAY_LEN(cmds); i++) {
		RUN(f, r, cmds[i], "--help");
		if (r->code != 0 || strncmp(r->out, "usage: runwarden ", 17) != 0 ||
		    strstr(r->out, cmds[i]) == NULL) {
			print_error("%s --help: exit %d, stdout:\n%s\n", cmds[i], r->code, r->out);
			bad++;
		}
	}
	RUN(f, r, "--help");
	bad += r->code != 0 || strstr(r->out, "usage:") == NULL;
	RUN(f, r, "frobnicate");
	bad += usage_error_names(r, "unknown command", "frobnicate");
	RUN(f, r, "runner", "frobnicate", "--db", f->db);
	bad += r->code != 2 || strstr(r->err, "usage:") == NULL;
	assert_int_equal(bad, 0);
	free_res(r);
}

/* ---- backup -------------------------------------------------------------- */

static void test_backup(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	struct store *st = NULL;
	char dest[192], *text, err[512];

	seed(f);
	path_in(f, "existing.txt", dest, sizeof(dest));
	rwt_write_file(dest, "keep me\n");
	RUN(f, r, "backup", dest, "--db", f->db);
	assert_int_equal(usage_error_names(r, "backup to existing", dest), 0);
	text = rwt_slurp(dest, NULL);
	assert_non_null(text);
	assert_string_equal(text, "keep me\n");
	free(text);

	path_in(f, "copy.db", dest, sizeof(dest));
	RUN(f, r, "backup", dest, "--db", f->db);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_int_equal(store_open(&st, dest, 0, err, sizeof(err)), 0);
	assert_int_equal(store_integrity_check(st, err, sizeof(err)), 0);
	store_close(st);
	RUN(f, r, "runner", "list", "--json", "--db", dest);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "\"r1\""));

	/* Again to the same file: now it exists. */
	RUN(f, r, "backup", dest, "--db", f->db);
	assert_int_equal(r->code, 2);
	RUN(f, r, "backup", "--db", f->db);
	assert_int_equal(r->code, 2);
	free_res(r);
}

/* On PostgreSQL `backup` copies nothing and says to use pg_dump (exit 1). */
static void test_backup_pg(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char dest[192];

	RUN(f, r, "operator", "add", "acme", "--email", "ops@acme.example", "--db", f->db);
	assert_int_equal(r->code, 0);
	path_in(f, "copy.db", dest, sizeof(dest));
	RUN(f, r, "backup", dest, "--db", f->db);
	assert_int_equal(r->code, 1);
	assert_non_null(strstr(r->err, "pg_dump"));
	assert_int_equal(access(dest, F_OK), -1);
	free_res(r);
}

/* ---- policy check -------------------------------------------------------- */

static void test_policy_check(void **state)
{
	struct fx *f = *state;
	struct rwt_res *r = new_res();
	char file[192], want[256];

	path_in(f, "policy.json", file, sizeof(file));
	rwt_write_file(file, "{\n  \"version\": 1,\n  \"uptime_floor\": 1.5\n}\n");
	RUN(f, r, "policy", "check", file);
	snprintf(want, sizeof(want), "%s:3: uptime_floor", file);
	assert_int_equal(usage_error_names(r, "policy floor", want), 0);
	assert_string_equal(r->out, "");

	rwt_write_file(file, "{\n  \"version\": 1,\n\n  oops\n}\n");
	RUN(f, r, "policy", "check", file);
	snprintf(want, sizeof(want), "%s:4:", file);
	assert_int_equal(usage_error_names(r, "policy syntax", want), 0);

	rwt_write_file(file, "{\n  \"version\": 1,\n  \"uptime_floor\": 0.95\n}\n");
	RUN(f, r, "policy", "check", file);
	if (r->code != 0)
		print_error("%s", r->err);
	assert_int_equal(r->code, 0);
	assert_non_null(strstr(r->out, "sha256 "));

	/* Canary URLs are checked as the daemon checks them (url.c). */
	rwt_write_file(file,
	               "{\n  \"version\": 1,\n  \"blindness\": {\n    \"canaries\": [\n"
	               "      \"https://example.org/\", \"http:/example.org\"\n    ]\n  }\n}\n");
	RUN(f, r, "policy", "check", file);
	snprintf(want, sizeof(want),
	         "%s:5: blindness.canaries[1]: \"http:/example.org\": missing "
	         "scheme",
	         file);
	assert_int_equal(usage_error_names(r, "policy canary", want), 0);

	path_in(f, "missing.json", file, sizeof(file));
	RUN(f, r, "policy", "check", file);
	assert_int_equal(usage_error_names(r, "policy missing", file), 0);
	RUN(f, r, "policy", "frob", file);
	assert_int_equal(r->code, 2);
	free_res(r);
}

/* ---- runner_spec.h as pure functions ------------------------------------ */

struct spec_row {
	const char *in;
	int ok;
};

/* An error must be one line and start with "FIELD: ". */
static int check_err(const char *what, const char *in, int rc, int ok, const char *err,
                     const char *field)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "%s: ", field);
	if (ok && rc == 0)
		return 0;
	if (!ok && rc == RW_EINVAL && strncmp(err, prefix, strlen(prefix)) == 0 &&
	    strchr(err, '\n') == NULL)
		return 0;
	print_error("%s(\"%s\"): rc %d, want %s; err: %s\n", what, in ? in : "(null)", rc,
	            ok ? "0" : "RW_EINVAL", err);
	return 1;
}

static void test_spec_name(void **state)
{
	char n64[65], n65[66];
	struct spec_row rows[] = {
	        {"a", 1},           {"A", 1},   {"9", 1},    {"runner-1.riscv_64", 1},
	        {"Z.-_", 1},        {n64, 1},   {n65, 0},    {"", 0},
	        {NULL, 0},          {"-a", 0},  {".a", 0},   {"_a", 0},
	        {"a b", 0},         {"a/b", 0}, {"a\nb", 0}, {"a\x01", 0},
	        {"caf\xc3\xa9", 0}, {"a:b", 0}, {"a@b", 0},  {"\"q\"", 0},
	};
	int bad = 0;

	(void)state;
	memset(n64, 'x', 64);
	n64[64] = '\0';
	memset(n65, 'x', 65);
	n65[65] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char err[256] = "";
		int rc = spec_check_name("name", rows[i].in, err, sizeof(err));
		bad += check_err("name", rows[i].in, rc, rows[i].ok, err, "name");
		rc = spec_check_name("operator", rows[i].in, err, sizeof(err));
		bad += check_err("operator", rows[i].in, rc, rows[i].ok, err, "operator");
	}
	assert_int_equal(bad, 0);

	/* What is not printable is escaped, not echoed. */
	char err[256];
	assert_int_equal(spec_check_name("name", "a\nb\x1b", err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "a\\x0ab\\x1b"));
	assert_int_equal(spec_check_name("name", "a\"b", err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "a\\x22b"));
	/* A tiny buffer is not overrun. */
	char tiny[8];
	memset(tiny, 'z', sizeof(tiny));
	assert_int_equal(spec_check_name("name", "", tiny, sizeof(tiny)), RW_EINVAL);
	assert_int_equal(tiny[7], '\0');
}

static void test_spec_email(void **state)
{
	char e254[255], e255[256];
	struct spec_row rows[] = {
	        {"ops@example.org", 1},
	        {"a.b+c@sub.example.org", 1},
	        {"x@y.z", 1},
	        {e254, 1},
	        {e255, 0},
	        {NULL, 0},
	        {"", 0},
	        {"ops", 0},
	        {"@example.org", 0},
	        {"ops@", 0},
	        {"ops@localhost", 0},
	        {"ops@@example.org", 0},
	        {"a@b@example.org", 0},
	        {"o ps@example.org", 0},
	        {"ops@example.org ", 0},
	        {"ops@exa\tmple.org", 0},
	        {"ops@example.org\n", 0},
	        {"ops@exam\x7fple.org", 0},
	        {"a@b.", 0},
	        {"a@.b", 0},
	        {"a@b..c", 0},
	};
	int bad = 0;

	(void)state;
	memset(e254, 'a', 254);
	memcpy(e254 + 254 - 12, "@example.org", 12);
	e254[254] = '\0';
	memset(e255, 'a', 255);
	memcpy(e255 + 255 - 12, "@example.org", 12);
	e255[255] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char err[256] = "";
		int rc = spec_check_email(rows[i].in, err, sizeof(err));
		bad += check_err("email", rows[i].in, rc, rows[i].ok, err, "email");
	}
	assert_int_equal(bad, 0);
}

static void test_spec_targets(void **state)
{
	char many[RUNNER_SPEC_MAX_TARGETS + 1][40];
	const char *ptrs[RUNNER_SPEC_MAX_TARGETS + 1];
	char err[256];
	int bad = 0;

	(void)state;
	static const struct spec_row one[] = {
	        {T_RISCV, 1},
	        {"s390x-unknown-linux-gnu", 1},
	        {"armv7-unknown-linux-gnueabihf", 1},
	        {"wasm32-wasip1", 1},
	        {"x86_64-pc-windows-msvc", 1},
	        {"x86_64", 0},
	        {"X86_64-unknown-linux-gnu", 0},
	        {"a-b-c-d-e", 0},
	        {"-unknown-linux", 0},
	        {"a--b", 0},
	        {"a-b-", 0},
	        {"", 0},
	        {"a b-c", 0},
	        {"_a-b", 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(one); i++) {
		const char *t[1] = {one[i].in};
		int rc = spec_check_targets(t, 1, err, sizeof(err));
		bad += check_err("targets", one[i].in, rc, one[i].ok, err, "target");
	}
	assert_int_equal(bad, 0);

	/* None; 16; 17; a duplicate; a bad one after good ones. */
	assert_int_equal(spec_check_targets(NULL, 0, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(strncmp(err, "target: ", 8), 0);
	for (int i = 0; i <= RUNNER_SPEC_MAX_TARGETS; i++) {
		snprintf(many[i], sizeof(many[i]), "arch%d-unknown-linux-gnu", i);
		ptrs[i] = many[i];
	}
	assert_int_equal(spec_check_targets(ptrs, RUNNER_SPEC_MAX_TARGETS, err, sizeof(err)), 0);
	assert_int_equal(spec_check_targets(ptrs, RUNNER_SPEC_MAX_TARGETS + 1, err, sizeof(err)),
	                 RW_EINVAL);
	assert_int_equal(strncmp(err, "target: ", 8), 0);
	ptrs[5] = ptrs[2];
	assert_int_equal(spec_check_targets(ptrs, 6, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_non_null(strstr(err, many[2]));
	ptrs[5] = "Bad";
	assert_int_equal(spec_check_targets(ptrs, 6, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "\"Bad\""));
}

static void test_spec_url(void **state)
{
	static const struct spec_row rows[] = {
	        {"http://runner.example.org/health", 1},
	        {"https://runner.example.org/health", 1},
	        {"HTTPS://runner.example.org", 1},
	        {"http://runner.example.org:8080/", 1},
	        {"http://192.0.2.1/", 1},
	        {"http://[2001:db8::1]:443/x?y=1", 1},
	        {NULL, 0},
	        {"", 0},
	        {"ftp://runner.example.org/", 0},
	        {"file:///etc/passwd", 0},
	        {"javascript:alert(1)", 0},
	        {"gopher://runner.example.org/", 0},
	        {"runner.example.org/health", 0},
	        {"//runner.example.org/", 0},
	        {"http://", 0},
	        {"http:///path", 0},
	        {"http://user:pw@runner.example.org/", 0},
	        {"http://runner.example.org:0/", 0},
	        {"http://runner.example.org:65536/", 0},
	        {"http://runner.example.org:x/", 0},
	        {"http://[2001:db8::1/", 0},
	        {"http://runner.example.org/a b", 0},
	        {"http://runner.example.org/\r\nX: y", 0},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char err[512] = "";
		int rc = spec_check_url(rows[i].in, err, sizeof(err));
		bad += check_err("url", rows[i].in, rc, rows[i].ok, err, "url");
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spec_name),
	        cmocka_unit_test(test_spec_email),
	        cmocka_unit_test(test_spec_targets),
	        cmocka_unit_test(test_spec_url),
	        cmocka_unit_test_setup_teardown(test_operator_add, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_good, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_guard, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_pool_add, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_members, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_import, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_bad_entry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_good, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_changes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_help, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_policy_check, setup, teardown),
	};
	/* On PostgreSQL (test_cli_pg): test_backup_pg in test_backup's place. */
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test_setup_teardown(test_operator_add, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_runner_add_good, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_pool_add, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_members, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_github_import, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_bad_entry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_good, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_changes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backup_pg, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_policy_check, setup, teardown),
	};

	if (rwt_pg())
		return cmocka_run_group_tests_name("the CLI on PostgreSQL", pg_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
