/* SPDX-License-Identifier: MIT */
/*
 * test_config_notify.c — the notification keys of the config file
 * (config_notify.c): "public_url", "zulip" and "smtp" read with their
 * secret files at load time (the key trimmed, a password's blanks kept, a
 * trailing '/' of a URL removed, the topic's default, STARTTLS optional only
 * for a loopback relay), and every refusal as one line "FILE: KEY: problem"
 * naming the key, never quoting a secret: wrong types, unknown keys,
 * missing required keys (named), addresses that could extend a header,
 * unknown topic placeholders, SMTP URLs of another scheme or with
 * credentials, half of SMTP AUTH, missing or empty secret files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/config.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
	char dir[128];
	char cfg[192], key[192], user[192], pass[192], empty[192];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "config-notify");
	snprintf(f->cfg, sizeof(f->cfg), "%s/rw.json", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/zulip-key", f->dir);
	snprintf(f->user, sizeof(f->user), "%s/smtp-user", f->dir);
	snprintf(f->pass, sizeof(f->pass), "%s/smtp-pass", f->dir);
	snprintf(f->empty, sizeof(f->empty), "%s/empty", f->dir);
	rwt_write_file(f->key, "  KEYSECRET0123  \nsecond\n");
	rwt_write_file(f->user, "mailer\n");
	rwt_write_file(f->pass, " PASS SECRET \r\n");
	rwt_write_file(f->empty, "\nSECRETLATER\n");
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

/* Writes @p body (KEY, USER, PASS, EMPTY replaced by the fixture's paths)
 * as the config file and loads it. */
static int load(struct fx *f, struct rw_config *c, const char *body, char *err, size_t errlen)
{
	const char *names[] = {"KEY", "USER", "PASS", "EMPTY"};
	const char *paths[] = {f->key, f->user, f->pass, f->empty};
	char text[4096];
	size_t n = 0;

	for (const char *p = body; *p;) {
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
	text[n] = '\0';
	rwt_write_file(f->cfg, text);
	config_defaults(c);
	err[0] = '\0';
	return config_load_file(c, f->cfg, err, errlen);
}

#define ZULIP                                                                                      \
	"\"zulip\": {\"site\": \"https://rust-lang.zulipchat.com/\", \"bot_email\": "              \
	"\"rw-bot@zulipchat.com\", \"api_key_file\": \"KEY\", \"stream\": \"t-infra/ci-runners\""

static void test_read(void **state)
{
	struct fx *f = *state;
	struct rw_config c;
	char err[1024];

	config_defaults(&c);
	assert_false(c.zulip.configured);
	assert_false(c.smtp.configured);
	assert_string_equal(c.public_url, "");
	config_deinit(&c);

	assert_int_equal(load(f, &c,
	                      "{\"public_url\": \"https://status.example.org/\", " ZULIP
	                      "}, \"smtp\": {\"url\": \"smtps://mail.example.org\", \"from\": "
	                      "\"runwarden@example.org\", \"username_file\": \"USER\", "
	                      "\"password_file\": \"PASS\", \"digest_window_s\": 30}}",
	                      err, sizeof(err)),
	                 0);
	assert_string_equal(c.public_url, "https://status.example.org");
	assert_true(c.zulip.configured);
	assert_string_equal(c.zulip.site, "https://rust-lang.zulipchat.com");
	assert_string_equal(c.zulip.bot_email, "rw-bot@zulipchat.com");
	assert_string_equal(c.zulip.api_key, "KEYSECRET0123");
	assert_string_equal(c.zulip.stream, "t-infra/ci-runners");
	assert_string_equal(c.zulip.topic, "{target}");
	assert_true(c.smtp.configured);
	assert_string_equal(c.smtp.url, "smtps://mail.example.org");
	assert_false(c.smtp.starttls_optional);
	assert_string_equal(c.smtp.from, "runwarden@example.org");
	assert_string_equal(c.smtp.username, "mailer");
	assert_string_equal(c.smtp.password, " PASS SECRET ");
	assert_int_equal(c.smtp.digest_window_s, 30);
	config_deinit(&c);
	assert_null(c.zulip.api_key);
	assert_null(c.smtp.username);
	assert_null(c.smtp.password);

	/* A local relay: plain SMTP, no AUTH; a topic with both placeholders. */
	assert_int_equal(load(f, &c,
	                      "{" ZULIP ", \"topic\": \"{target} / {runner}\"}, \"smtp\": "
	                      "{\"url\": \"smtp://127.0.0.1:2525\", \"from\": \"rw@example.org\"}}",
	                      err, sizeof(err)),
	                 0);
	assert_string_equal(c.zulip.topic, "{target} / {runner}");
	assert_true(c.smtp.starttls_optional);
	assert_null(c.smtp.username);
	assert_int_equal(c.smtp.digest_window_s, 60);
	config_deinit(&c);
	assert_int_equal(load(f, &c,
	                      "{\"smtp\": {\"url\": \"smtp://mail.example.org\", \"from\": "
	                      "\"rw@example.org\"}}",
	                      err, sizeof(err)),
	                 0);
	assert_false(c.smtp.starttls_optional);
	config_deinit(&c);
}

struct bad_row {
	const char *body;
	const char *err_has;
};

static void test_refused(void **state)
{
	static const struct bad_row rows[] = {
	        {"{\"public_url\": 5}", "public_url: must be an http(s) URL"},
	        {"{\"public_url\": \"https://s.example.org/?a=1\"}",
	         "public_url: must have no query or fragment"},
	        {"{\"zulip\": []}", "zulip: must be an object"},
	        {"{" ZULIP ", \"channel\": \"x\"}}", "zulip.channel: unknown key (allowed: site,"},
	        {"{\"zulip\": {\"bot_email\": \"b@x.org\"}}",
	         "zulip.site: missing (zulip needs site, bot_email, api_key_file and stream)"},
	        {"{\"zulip\": {\"site\": \"https://z.example.org\", \"bot_email\": \"b@x.org\", "
	         "\"api_key_file\": \"KEY\"}}",
	         "zulip.stream: missing"},
	        {"{\"zulip\": {\"site\": \"ftp://z.example.org\"}}",
	         "zulip.site: unsupported scheme \"ftp\""},
	        {"{\"zulip\": {\"bot_email\": \"b@x.org>\\r\\nBcc: x@y.org\"}}",
	         "zulip.bot_email: must be a non-empty string of printable characters"},
	        {"{\"zulip\": {\"bot_email\": \"not-an-address\"}}",
	         "zulip.bot_email: not an address like bot@example.org"},
	        {"{\"zulip\": {\"stream\": \"\"}}", "zulip.stream: must be a non-empty string"},
	        {"{\"zulip\": {\"topic\": \"{operator}\"}}",
	         "zulip.topic: only {target} and {runner} are substituted"},
	        {"{" ZULIP ", \"api_key_file\": \"KEY.none\"}}",
	         "zulip.api_key_file: KEY.none: No such file or directory"},
	        {"{" ZULIP ", \"api_key_file\": \"EMPTY\"}}",
	         "zulip.api_key_file: EMPTY: the first line is empty"},
	        {"{\"smtp\": 1}", "smtp: must be an object"},
	        {"{\"smtp\": {\"url\": \"https://mail.example.org\"}}",
	         "smtp.url: must be smtps://HOST[:PORT] or smtp://HOST[:PORT]"},
	        {"{\"smtp\": {\"url\": \"smtps://u:p@mail.example.org\"}}",
	         "smtp.url: URL has userinfo"},
	        {"{\"smtp\": {\"url\": \"smtps://mail.example.org\"}}",
	         "smtp.from: missing (smtp needs url and from)"},
	        {"{\"smtp\": {\"from\": \"a@b.org\"}}", "smtp.url: missing"},
	        {"{\"smtp\": {\"from\": \"a b@c.org\"}}",
	         "smtp.from: not an address like runwarden@example.org"},
	        {"{\"smtp\": {\"url\": \"smtps://m.example.org\", \"from\": \"a@b.org\", "
	         "\"username_file\": \"USER\"}}",
	         "smtp.password_file: missing (SMTP AUTH needs username_file and password_file)"},
	        {"{\"smtp\": {\"url\": \"smtps://m.example.org\", \"from\": \"a@b.org\", "
	         "\"username_file\": \"USER\", \"password_file\": \"EMPTY\"}}",
	         "smtp.password_file: EMPTY: the first line is empty"},
	        {"{\"smtp\": {\"digest_window_s\": 3601}}",
	         "smtp.digest_window_s: must be a whole number in [0, 3600]"},
	        {"{\"smtp\": {\"port\": 25}}", "smtp.port: unknown key (allowed: url, from,"},
	        {"{\"zulipp\": {}}", "zulipp: unknown key (allowed: listen,"},
	};
	struct fx *f = *state;
	int bad = 0;

	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct rw_config c;
		char err[1024], want[1024];
		const char *names[] = {"KEY", "USER", "PASS", "EMPTY"};
		const char *paths[] = {f->key, f->user, f->pass, f->empty};
		size_t n;
		int rc = load(f, &c, rows[i].body, err, sizeof(err));

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
			            rows[i].body, rc, err, want);
			bad++;
		}
		config_deinit(&c);
		assert_null(c.zulip.api_key);
		assert_null(c.smtp.password);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_read),
	        cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
