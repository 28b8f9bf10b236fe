/* SPDX-License-Identifier: MIT */
/*
 * test_config.c — config.c's "github" object (config_github.c): the
 * defaults, a token and an App read from their files at load time, the
 * api_url as url_parse() reads it with its trailing '/' removed, and every
 * refusal as one line "FILE: github.KEY: problem" naming the key: bad
 * values, a token with an App, a partial App (naming the missing key),
 * files that are missing, empty, hold a bad token, a key libcrypto will
 * not load or a key that is not RSA, a short webhook secret. No error line
 * quotes a secret. The keys are made here with libcrypto (RSA 2048, and an
 * EC key for the refusal). Then the "tls" object and --tls-cert/--tls-key
 * (config_tls.c): the paths, where each came from, and every refusal. Then
 * relative paths: from the config file's folder, not the working directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/core/config.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
	char dir[128];
	char cfg[192], token[192], key[192], eckey[192], secret[192], junk[192];
};

static void write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	EVP_PKEY *rsa, *ec;

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "config");
	snprintf(f->cfg, sizeof(f->cfg), "%s/rw.json", f->dir);
	snprintf(f->token, sizeof(f->token), "%s/token", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/app.pem", f->dir);
	snprintf(f->eckey, sizeof(f->eckey), "%s/ec.pem", f->dir);
	snprintf(f->secret, sizeof(f->secret), "%s/hook-secret", f->dir);
	snprintf(f->junk, sizeof(f->junk), "%s/junk.pem", f->dir);
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!rsa || !ec)
		return -1;
	write_key(f->key, rsa);
	write_key(f->eckey, ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	rwt_write_file(f->token, "  ghp_TOKENSECRET0123456789  \r\nsecond line\n");
	rwt_write_file(f->secret, "hook-secret-0123456789\n");
	rwt_write_file(f->junk,
	               "-----BEGIN PRIVATE KEY-----\nJUNKSECRET\n-----END PRIVATE KEY-----\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

/* Loads the config file holding "github": @p github (a JSON text, with
 * TOKEN, KEY, ECKEY, SECRET and JUNK replaced by the fixture's paths). */
static int load(struct fx *f, struct rw_config *c, const char *github, char *err, size_t errlen)
{
	const char *names[] = {"TOKEN", "ECKEY", "KEY", "SECRET", "JUNK"};
	const char *paths[] = {f->token, f->eckey, f->key, f->secret, f->junk};
	char text[4096];
	size_t n = 0;

	n += (size_t)snprintf(text, sizeof(text), "{\"github\": ");
	for (const char *p = github; *p;) {
		size_t i;
		for (i = 0; i < ARRAY_LEN(names); i++)
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				break;
		if (i < ARRAY_LEN(names)) {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", paths[i]);
			p += strlen(names[i]);
		} else {
			text[n++] = *p++;
		}
		assert_true(n < sizeof(text) - 8);
	}
	snprintf(text + n, sizeof(text) - n, "}\n");
	rwt_write_file(f->cfg, text);
	config_defaults(c);
	err[0] = '\0';
	return config_load_file(c, f->cfg, err, errlen);
}

static void test_defaults(void **state)
{
	struct fx *f = *state;
	struct rw_config c;
	char err[512];

	(void)f;
	config_defaults(&c);
	assert_false(c.github.configured);
	assert_string_equal(c.github.api_url, "https://api.github.com");
	assert_int_equal(c.github.poll_interval_s, 60);
	assert_int_equal(c.github.auth, RW_GITHUB_AUTH_NONE);
	assert_null(c.github.token);
	config_deinit(&c);

	/* An empty object: configured, still the defaults, no credentials. */
	assert_int_equal(load(f, &c, "{}", err, sizeof(err)), 0);
	assert_true(c.github.configured);
	assert_string_equal(c.github.api_url, "https://api.github.com");
	assert_int_equal(c.github.auth, RW_GITHUB_AUTH_NONE);
	config_deinit(&c);
}

static void test_token(void **state)
{
	struct fx *f = *state;
	struct rw_config c;
	char err[512];

	assert_int_equal(load(f, &c,
	                      "{\"api_url\": \"http://127.0.0.1:8080/api/v3//\", \"token_file\": "
	                      "\"TOKEN\", \"poll_interval_s\": 10, \"webhook_secret_file\": "
	                      "\"SECRET\"}",
	                      err, sizeof(err)),
	                 0);
	assert_string_equal(c.github.api_url, "http://127.0.0.1:8080/api/v3");
	assert_int_equal(c.github.auth, RW_GITHUB_AUTH_TOKEN);
	/* The first line, blanks and CR removed. */
	assert_string_equal(c.github.token, "ghp_TOKENSECRET0123456789");
	assert_string_equal(c.github.token_file, f->token);
	assert_int_equal(c.github.poll_interval_s, 10);
	assert_string_equal(c.github.webhook_secret, "hook-secret-0123456789");
	assert_null(c.github.app_private_key_pem);
	config_deinit(&c);
	assert_null(c.github.token);
	assert_null(c.github.webhook_secret);
}

static void test_app(void **state)
{
	struct fx *f = *state;
	struct rw_config c;
	char err[512];

	assert_int_equal(load(f, &c,
	                      "{\"app_id\": 12345, \"app_private_key_file\": \"KEY\", "
	                      "\"installation_id\": 678, \"poll_interval_s\": 3600}",
	                      err, sizeof(err)),
	                 0);
	assert_int_equal(c.github.auth, RW_GITHUB_AUTH_APP);
	assert_int_equal(c.github.app_id, 12345);
	assert_int_equal(c.github.installation_id, 678);
	assert_int_equal(c.github.poll_interval_s, 3600);
	assert_non_null(c.github.app_private_key_pem);
	assert_non_null(strstr(c.github.app_private_key_pem, "-----BEGIN PRIVATE KEY-----"));
	assert_null(c.github.token);
	config_deinit(&c);
	assert_null(c.github.app_private_key_pem);
}

struct bad_row {
	const char *github;
	const char *err_has; /* after "FILE: " */
};

static void test_refused(void **state)
{
	static const struct bad_row rows[] = {
	        {"5", "github: must be an object"},
	        {"{\"api_ur\": \"x\"}", "github.api_ur: unknown key (allowed: api_url,"},
	        {"{\"api_url\": 5}", "github.api_url: must be an http(s) URL"},
	        {"{\"api_url\": \"ftp://ghe.example.org\"}",
	         "github.api_url: unsupported scheme \"ftp\""},
	        {"{\"api_url\": \"https://u:p@ghe.example.org\"}",
	         "github.api_url: URL has userinfo"},
	        {"{\"api_url\": \"https://ghe.example.org/api?x=1\"}",
	         "github.api_url: must have no query or fragment"},
	        {"{\"poll_interval_s\": 0}",
	         "github.poll_interval_s: must be a whole number in [1, 3600]"},
	        {"{\"poll_interval_s\": 3601}", "github.poll_interval_s: must be a whole number"},
	        {"{\"poll_interval_s\": 60.5}", "github.poll_interval_s: must be a whole number"},
	        {"{\"poll_interval_s\": \"60\"}", "github.poll_interval_s: must be a whole number"},
	        {"{\"app_id\": 0, \"app_private_key_file\": \"KEY\", \"installation_id\": 1}",
	         "github.app_id: must be a whole number"},
	        {"{\"installation_id\": -1}", "github.installation_id: must be a whole number"},
	        {"{\"token_file\": \"\"}", "github.token_file: must be a non-empty string"},
	        {"{\"token_file\": \"TOKEN\", \"app_id\": 1}",
	         "github.token_file: give either token_file or a GitHub App"},
	        {"{\"app_id\": 1}",
	         "github.app_private_key_file: missing (a GitHub App needs app_id, "
	         "app_private_key_file and installation_id)"},
	        {"{\"app_id\": 1, \"app_private_key_file\": \"KEY\"}",
	         "github.installation_id: missing"},
	        {"{\"installation_id\": 7, \"app_private_key_file\": \"KEY\"}",
	         "github.app_id: missing"},
	        {"{\"token_file\": \"TOKEN.none\"}",
	         "github.token_file: TOKEN.none: No such file or directory"},
	        {"{\"token_file\": \"SECRET.empty\"}", "github.token_file: SECRET.empty: the first "
	                                               "line is empty"},
	        {"{\"token_file\": \"SECRET.space\"}",
	         "github.token_file: SECRET.space: the token holds a space or a byte outside "
	         "printable ASCII"},
	        {"{\"app_id\": 1, \"app_private_key_file\": \"JUNK\", \"installation_id\": 2}",
	         "github.app_private_key_file: JUNK: not a PEM private key that libcrypto loads"},
	        {"{\"app_id\": 1, \"app_private_key_file\": \"ECKEY\", \"installation_id\": 2}",
	         "github.app_private_key_file: ECKEY: not an RSA key"},
	        {"{\"webhook_secret_file\": \"SECRET.short\"}",
	         "github.webhook_secret_file: SECRET.short: the secret must be at least 16 bytes"},
	};
	struct fx *f = *state;
	char p[256];
	int bad = 0;

	snprintf(p, sizeof(p), "%s.empty", f->secret);
	rwt_write_file(p, "   \nghp_SECRETONLINE2\n");
	snprintf(p, sizeof(p), "%s.space", f->secret);
	rwt_write_file(p, "ghp_SECRET PART\n");
	snprintf(p, sizeof(p), "%s.short", f->secret);
	rwt_write_file(p, "SECRETSHORT\n");
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct rw_config c;
		char err[1024], want[1024];
		const char *names[] = {"TOKEN", "ECKEY", "KEY", "SECRET", "JUNK"};
		const char *paths[] = {f->token, f->eckey, f->key, f->secret, f->junk};
		size_t n = 0;
		int rc = load(f, &c, rows[i].github, err, sizeof(err));

		/* The expected text with the paths put in, after "FILE: ". */
		n = (size_t)snprintf(want, sizeof(want), "%s: ", f->cfg);
		for (const char *q = rows[i].err_has; *q;) {
			size_t k;
			for (k = 0; k < ARRAY_LEN(names); k++)
				if (strncmp(q, names[k], strlen(names[k])) == 0)
					break;
			if (k < ARRAY_LEN(names)) {
				n += (size_t)snprintf(want + n, sizeof(want) - n, "%s", paths[k]);
				q += strlen(names[k]);
			} else {
				want[n++] = *q++;
			}
		}
		want[n] = '\0';
		if (rc != RW_EINVAL || strncmp(err, want, strlen(want)) != 0 || strchr(err, '\n') ||
		    strstr(err, "SECRET")) {
			print_error("row %zu: %s\n  rc %d\n  err  \"%s\"\n  want \"%s...\"\n", i,
			            rows[i].github, rc, err, want);
			bad++;
		}
		config_deinit(&c);
		assert_null(c.github.token);
		assert_null(c.github.app_private_key_pem);
		assert_null(c.github.webhook_secret);
	}
	assert_int_equal(bad, 0);
}

/* "tls": {"cert_file", "key_file"}: both paths kept with the key that
 * named them (for the daemon's errors); every refusal is one line naming
 * the key; the flags fill in or override either path, and one without the
 * other is refused naming the flag. */
static void test_tls(void **state)
{
	static const struct {
		const char *tls, *err_has;
	} bad[] = {
	        {"\"cert.pem\"",
	         "tls: must be an object {\"cert_file\": FILE, \"key_file\": FILE}"},
	        {"{\"cert_file\": \"c.pem\"}",
	         "tls.key_file: missing (tls needs both cert_file and key_file)"},
	        {"{\"key_file\": \"k.pem\"}", "tls.cert_file: missing"},
	        {"{\"cert_file\": \"c.pem\", \"key_file\": \"\"}",
	         "tls.key_file: must be the path of a PEM file"},
	        {"{\"cert_file\": 5, \"key_file\": \"k.pem\"}",
	         "tls.cert_file: must be the path of a PEM file"},
	        {"{\"cert_file\": \"c.pem\", \"key_file\": \"k.pem\", \"ca_file\": \"x\"}",
	         "tls.ca_file: unknown key (allowed: cert_file, key_file)"},
	};
	struct fx *f = *state;
	struct rw_config c;
	char text[512], err[512], want[512];

	config_defaults(&c);
	assert_string_equal(c.tls_cert_file, "");
	assert_int_equal(config_set_tls(&c, NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.tls_cert_file, "");
	config_deinit(&c);

	rwt_write_file(f->cfg, "{\"tls\": {\"cert_file\": \"/etc/rw/cert.pem\", "
	                       "\"key_file\": \"/etc/rw/key.pem\"}}\n");
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, f->cfg, err, sizeof(err)), 0);
	assert_string_equal(c.tls_cert_file, "/etc/rw/cert.pem");
	assert_string_equal(c.tls_key_file, "/etc/rw/key.pem");
	snprintf(want, sizeof(want), "%s: tls.cert_file", f->cfg);
	assert_string_equal(c.tls_cert_name, want);
	snprintf(want, sizeof(want), "%s: tls.key_file", f->cfg);
	assert_string_equal(c.tls_key_name, want);
	/* A flag wins over the file, and says so in errors. */
	assert_int_equal(config_set_tls(&c, "/run/new.pem", NULL, err, sizeof(err)), 0);
	assert_string_equal(c.tls_cert_file, "/run/new.pem");
	assert_string_equal(c.tls_cert_name, "--tls-cert");
	assert_string_equal(c.tls_key_file, "/etc/rw/key.pem");
	config_deinit(&c);

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(text, sizeof(text), "{\"tls\": %s}\n", bad[i].tls);
		rwt_write_file(f->cfg, text);
		config_defaults(&c);
		snprintf(want, sizeof(want), "%s: %s", f->cfg, bad[i].err_has);
		if (config_load_file(&c, f->cfg, err, sizeof(err)) != RW_EINVAL ||
		    strncmp(err, want, strlen(want)) != 0 || strchr(err, '\n'))
			fail_msg("row %zu: %s\n  err  \"%s\"\n  want \"%s...\"", i, bad[i].tls, err,
			         want);
		config_deinit(&c);
	}

	/* One flag without the other, and nothing in the file. */
	config_defaults(&c);
	assert_int_equal(config_set_tls(&c, "c.pem", NULL, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "--tls-cert needs --tls-key"));
	config_deinit(&c);
	config_defaults(&c);
	assert_int_equal(config_set_tls(&c, NULL, "k.pem", err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "--tls-key needs --tls-cert"));
	config_deinit(&c);
	config_defaults(&c);
	assert_int_equal(config_set_tls(&c, "", "k.pem", err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "--tls-cert: \"\" is not a file path"));
	config_deinit(&c);
}

/* A syntax error names the file and its line, as the policy's do. */
static void test_syntax_error_line(void **state)
{
	struct fx *f = *state;
	struct rw_config c;
	char err[256];

	rwt_write_file(f->cfg, "{\n  \"listen\": \"127.0.0.1:0\",\n  \"retention_days\": 30,\n}\n");
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, f->cfg, err, sizeof(err)), RW_EINVAL);
	if (!strstr(err, ":3: syntax error"))
		fail_msg("no line in \"%s\"", err);
	config_deinit(&c);
}

/* Relative paths in the file are relative to its folder: the config in
 * folder A, the working directory B; the token file is read from A. */
static void test_relative_paths(void **state)
{
	struct fx *f = *state;
	struct rw_config c;
	char cwd[512], other[256], want[512], err[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(other, sizeof(other), "%s/elsewhere", f->dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(chdir(other), 0);
	rwt_write_file(f->cfg, "{\"db\": \"rw.db\", \"policy\": \"sub/policy.json\","
	                       " \"admin_token_file\": \"../admin.tok\","
	                       " \"tls\": {\"cert_file\": \"c.pem\", \"key_file\": \"/abs/k.pem\"},"
	                       " \"github\": {\"token_file\": \"token\"},"
	                       " \"smtp\": {\"url\": \"smtps://mail.example.org\","
	                       " \"from\": \"rw@example.org\", \"username_file\": \"token\","
	                       " \"password_file\": \"token\"}}\n");
	config_defaults(&c);
	if (config_load_file(&c, f->cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	snprintf(want, sizeof(want), "%s/rw.db", f->dir);
	assert_string_equal(c.db_path, want);
	snprintf(want, sizeof(want), "%s/sub/policy.json", f->dir);
	assert_string_equal(c.policy_path, want);
	snprintf(want, sizeof(want), "%s/../admin.tok", f->dir);
	assert_string_equal(c.admin_token_file, want);
	snprintf(want, sizeof(want), "%s/c.pem", f->dir);
	assert_string_equal(c.tls_cert_file, want);
	assert_string_equal(c.tls_key_file, "/abs/k.pem");
	assert_string_equal(c.github.token_file, f->token);
	assert_string_equal(c.github.token, "ghp_TOKENSECRET0123456789");
	assert_string_equal(c.smtp.username_file, f->token);
	config_deinit(&c);

	/* A config file named without a folder: its folder is the working one. */
	assert_int_equal(chdir(f->dir), 0);
	rwt_write_file(f->cfg, "{\"db\": \"rw.db\", \"github\": {\"token_file\": \"token\"}}\n");
	config_defaults(&c);
	if (config_load_file(&c, "rw.json", err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.db_path, "rw.db");
	assert_string_equal(c.github.token, "ghp_TOKENSECRET0123456789");
	config_deinit(&c);
	assert_int_equal(chdir(cwd), 0);
}

/* A libpq URI in "db" names a PostgreSQL database, not a file: it is kept
 * as written, not joined to the config file's folder. */
static void test_db_uri_kept(void **state)
{
	static const char *const uris[] = {
	        "postgresql://rw@db.example.org/runwarden?sslmode=verify-full",
	        "postgres:///runwarden?host=/run/postgresql",
	};
	struct fx *f = *state;
	struct rw_config c;
	char json[256], err[512];

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		snprintf(json, sizeof(json), "{\"db\": \"%s\"}\n", uris[i]);
		rwt_write_file(f->cfg, json);
		config_defaults(&c);
		if (config_load_file(&c, f->cfg, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_string_equal(c.db_path, uris[i]);
		config_deinit(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_token),
	        cmocka_unit_test(test_app),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_syntax_error_line),
	        cmocka_unit_test(test_tls),
	        cmocka_unit_test(test_relative_paths),
	        cmocka_unit_test(test_db_uri_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
