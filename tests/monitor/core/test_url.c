/* SPDX-License-Identifier: MIT */
/*
 * test_url.c — url.c, the one URL parser, beyond the registration rows of
 * test_guard.c: what libcurl 7.88 accepts and we refuse (one to three
 * slashes, percent-encoded hosts, empty and zero ports, odd zone ids, empty
 * userinfo), the host as curl will connect to it, messages that quote input
 * safely, url_check(), and the two other places URLs come from: policy
 * canaries (url_check() as policy_parse()'s hook; the rows that were the
 * policy parser's own looser check) and config webhooks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/core/config.h"
#include "monitor/core/guard.h"
#include "monitor/core/url.h"
#include "policy/base/rw_error.h"
#include "policy/policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct bad_row {
	const char *url;
	const char *err_has;
};

/* libcurl takes every one of these; a probe URL may not be any of them. */
static void test_curl_lenience_refused(void **state)
{
	static const struct bad_row rows[] = {
	        {"http:/example.com/", "missing scheme"}, /* curl: one slash is fine */
	        {"https:/example.com", "missing scheme"},
	        {"http:///path", "no host"}, /* curl: host "path" */
	        {"http:///example.com/", "no host"},
	        {"http://%31%32%37.0.0.1/", "has '%'"}, /* curl: 127.0.0.1 */
	        {"http://h%2e/", "has '%'"},            /* curl: "h." */
	        {"http://a~b/", "has '~'"},             /* curl: a host name */
	        {"http://a!b/", "has '!'"},
	        {"http://h:/", "empty port"}, /* curl: the default port */
	        {"http://[::1]:/", "empty port"},
	        {"http://h:0/", "out of range"}, /* curl: port 0 */
	        {"http://h:000/", "out of range"},
	        {"http://[fe80::1%25]/", "not a valid IPv6"}, /* curl: zone "25" */
	        {"http://[fe80::1%eth:0]/", "not a valid IPv6"},
	        {"http://@h/", "userinfo"}, /* curl: user "" */
	        {"http://:@h/", "userinfo"},
	        {"HTTP://user@h/", "userinfo"},
	        {"ftp://example.com/", "unsupported scheme \"ftp\""},
	        {"FTP://example.com/", "unsupported scheme \"ftp\""},
	        {"ws://example.com/", "unsupported scheme \"ws\""},
	        {"javascript:alert(1)", "missing scheme"},
	        {"data:text/plain,x", "missing scheme"},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char host[256] = "junk", err[256] = "";
		int port = -1, https = -1;
		int rc =
		        url_parse(rows[i].url, host, sizeof(host), &port, &https, err, sizeof(err));

		if (rc != RW_EINVAL || !strstr(err, rows[i].err_has) || strchr(err, '\n') ||
		    host[0] != '\0' || port != -1 || https != -1) {
			print_error("\"%s\": rc %d host \"%s\" err \"%s\"; want \"%s\"\n",
			            rows[i].url, rc, host, err, rows[i].err_has);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct host_row {
	const char *url;
	const char *host;
	int port;
};

/* The host is what curl will connect to, so the guard judges that. */
static void test_host_as_curl_reads_it(void **state)
{
	static const struct host_row rows[] = {
	        {"http://0x7f.1/", "127.0.0.1", 80},
	        {"http://2130706433:8080/", "127.0.0.1", 8080},
	        {"http://0177.0.0.1/", "127.0.0.1", 80},
	        {"http://127.1/", "127.0.0.1", 80},
	        {"http://0/", "0.0.0.0", 80},
	        {"https://[::1]/", "::1", 443},
	        {"https://[FE80::1%25eth0]:8443/", "FE80::1", 8443},
	        {"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 80},
	        {"http://Runner.Example.ORG./x", "Runner.Example.ORG.", 80},
	        {"http://h:080/", "h", 80},
	        {"https://h:00443", "h", 443},
	};
	struct guard g;
	int bad = 0;

	(void)state;
	guard_init(&g);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char host[256] = "", err[256] = "";
		int port = 0;

		if (url_parse(rows[i].url, host, sizeof(host), &port, NULL, err, sizeof(err)) !=
		            0 ||
		    strcmp(host, rows[i].host) != 0 || port != rows[i].port) {
			print_error("%s: host \"%s\" port %d err \"%s\"; want \"%s\" %d\n",
			            rows[i].url, host, port, err, rows[i].host, rows[i].port);
			bad++;
		}
	}
	/* So every IPv4 spelling of loopback reaches the guard as 127.0.0.1. */
	for (size_t i = 0; i < 4; i++) {
		char host[256];

		assert_int_equal(url_parse(rows[i].url, host, sizeof(host), NULL, NULL, NULL, 0),
		                 0);
		assert_string_equal(guard_check_host(&g, host), "loopback");
	}
	assert_int_equal(bad, 0);
}

/* Messages are one line of printable ASCII whatever the input. */
static void test_messages_quote_safely(void **state)
{
	static const char *const urls[] = {
	        "http://h:8\x1b[31m/", /* refused for its bytes first */
	        "http://h:\"8\"/",
	        "http://[zz\\::1]/",
	        "http://h\"x/",
	        "http://h:99999999999999999999999999999999999999999999999999999999999999999999999/",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(urls); i++) {
		char host[64], err[256] = "";

		assert_int_equal(
		        url_parse(urls[i], host, sizeof(host), NULL, NULL, err, sizeof(err)),
		        RW_EINVAL);
		assert_true(err[0] != '\0');
		for (const char *p = err; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
	{
		char host[64], err[256];
		url_parse(urls[4], host, sizeof(host), NULL, NULL, err, sizeof(err));
		assert_non_null(strstr(err, "out of range"));
		assert_non_null(strstr(err, "...")); /* a long value is cut */
	}
}

static void test_check(void **state)
{
	char err[256] = "", longhost[300];

	(void)state;
	assert_int_equal(url_check("https://example.org/health", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(url_check("ftp://example.org/", err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "unsupported scheme \"ftp\""));
	assert_int_equal(url_check(NULL, err, sizeof(err)), RW_EINVAL);
	assert_int_equal(url_check("http://h/", NULL, 0), 0);
	/* A 255-byte host fits url_check()'s buffer; 256 bytes do not. */
	snprintf(longhost, sizeof(longhost), "http://%0255d/", 0);
	memset(longhost + 7, 'a', 255);
	assert_int_equal(url_check(longhost, err, sizeof(err)), 0);
	snprintf(longhost, sizeof(longhost), "http://%0256d/", 0);
	memset(longhost + 7, 'a', 256);
	assert_int_equal(url_check(longhost, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "host is 256 bytes"));
}

/* ---- canaries: policy_parse() with url_check() as its hook ------------------ */

#define V1          "{\n  \"version\": 1,\n"
#define END         "\n}\n"
#define CANARIES(x) V1 "  \"blindness\": {\n    \"canaries\": [\n      " x "\n    ]\n  }" END

static const struct policy_parse_opts url_opts = {.check_url = url_check};

struct canary_row {
	const char *doc;
	const char *want; /* the whole message */
};

/* These were the policy parser's own looser check (tests/policy/
 * test_policy_parse.c); the same documents, refused on the same line and
 * field, now say what url.c says. */
static void test_canaries(void **state)
{
	static const struct canary_row rows[] = {
	        {CANARIES("\"ftp://example.org/\""),
	         "policy.json:5: blindness.canaries[0]: \"ftp://example.org/\": unsupported "
	         "scheme \"ftp\"; use http:// or https://"},
	        {CANARIES("\"example.org\""),
	         "policy.json:5: blindness.canaries[0]: \"example.org\": missing scheme; use "
	         "http:// or https://"},
	        {CANARIES("\"http://\""),
	         "policy.json:5: blindness.canaries[0]: \"http://\": URL has no host"},
	        {CANARIES("\"https:///x\""),
	         "policy.json:5: blindness.canaries[0]: \"https:///x\": URL has no host"},
	        {CANARIES("\"http://exa mple.org/\""),
	         "policy.json:5: blindness.canaries[0]: \"http://exa mple.org/\": URL has a "
	         "whitespace, control or non-ASCII byte (0x20) at offset 10; percent-encode it"},
	        {CANARIES("\"http://ex\xc3\xa4mple.org/\""),
	         "policy.json:5: blindness.canaries[0]: \"http://ex\xc3\xa4mple.org/\": URL has a "
	         "whitespace, control or non-ASCII byte (0xc3) at offset 9; percent-encode it"},
	        {CANARIES("\"http://a.example/\",\n      \"https://b.example/\",\n      "
	                  "\"gopher://c\""),
	         "policy.json:7: blindness.canaries[2]: \"gopher://c\": unsupported scheme "
	         "\"gopher\"; use http:// or https://"},
	        /* and what the old check let through */
	        {CANARIES("\"http://user:pw@example.org/\""),
	         "policy.json:5: blindness.canaries[0]: \"http://user:pw@example.org/\": URL has "
	         "userinfo (\"user:pass@\"); credentials in probe URLs are not allowed"},
	        {CANARIES("\"https://example.org:0/\""),
	         "policy.json:5: blindness.canaries[0]: \"https://example.org:0/\": port 0 out of "
	         "range; use 1..65535"},
	        {CANARIES("\"http:/example.org\""),
	         "policy.json:5: blindness.canaries[0]: \"http:/example.org\": missing scheme; "
	         "use http:// or https://"},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct rw_policy p;
		char err[1024] = "";
		int rc = policy_parse(&p, rows[i].doc, strlen(rows[i].doc), "policy.json",
		                      &url_opts, err, sizeof(err));

		if (rc != RW_EINVAL || strcmp(err, rows[i].want) != 0) {
			print_error("row %zu: rc %d\n  got:  %s\n  want: %s\n", i, rc, err,
			            rows[i].want);
			bad++;
		}
		policy_deinit(&p);
	}
	assert_int_equal(bad, 0);
}

/* The length limit, at the byte (test_policy_parse.c's test_canary_too_long). */
static void test_canary_too_long(void **state)
{
	size_t ulen = 2049;
	char *doc = malloc(ulen + 128), err[1024];
	struct rw_policy p;
	int n;

	(void)state;
	assert_non_null(doc);
	n = snprintf(doc, 128,
	             "{\n  \"version\": 1,\n  \"blindness\": {\n    \"canaries\": [\n"
	             "      \"https://");
	memset(doc + n, 'a', ulen - 8);
	snprintf(doc + n + ulen - 8, 64, "\"\n    ]\n  }\n}\n");
	assert_int_equal(
	        policy_parse(&p, doc, strlen(doc), "policy.json", &url_opts, err, sizeof(err)),
	        RW_EINVAL);
	assert_non_null(strstr(err, "policy.json:5: blindness.canaries[0]: \"https://aaaa"));
	assert_non_null(strstr(err, "aaa...: URL longer than 2048 bytes"));
	assert_true(strlen(err) < 200);

	/* Exactly 2048 bytes is allowed. */
	n = snprintf(doc, 128, "{\"version\": 1, \"blindness\": {\"canaries\": [\"https://");
	memset(doc + n, 'a', 2048 - 8 - 1);
	memcpy(doc + n + 2048 - 8 - 1, "/", 1);
	snprintf(doc + n + 2048 - 8, 64, "\"]}}");
	assert_int_equal(
	        policy_parse(&p, doc, strlen(doc), "policy.json", &url_opts, err, sizeof(err)),
	        RW_EINVAL); /* a 2039-byte host does not fit url_check()'s buffer */
	n = snprintf(doc, 128, "{\"version\": 1, \"blindness\": {\"canaries\": [\"https://h/");
	memset(doc + n, 'a', 2048 - 10);
	snprintf(doc + n + 2048 - 10, 64, "\"]}}");
	assert_int_equal(
	        policy_parse(&p, doc, strlen(doc), "policy.json", &url_opts, err, sizeof(err)), 0);
	assert_int_equal(p.blindness.n_canaries, 1);
	assert_int_equal(strlen(p.blindness.canaries[0]), 2048);
	policy_deinit(&p);
	free(doc);
}

/* ---- webhooks: the config file --------------------------------------------- */

static void test_webhooks(void **state)
{
	static const struct bad_row rows[] = {
	        {"https://hooks.example.org/rw", NULL},
	        {"http://[::1]:9000/hook", NULL},
	        {"ftp://hooks.example.org/", "webhooks[0]: url: unsupported scheme \"ftp\""},
	        {"https://user:pw@hooks.example.org/", "webhooks[0]: url: URL has userinfo"},
	        {"https:/hooks.example.org/", "webhooks[0]: url: missing scheme"},
	        {"https://hooks.example.org:0/", "webhooks[0]: url: port 0 out of range"},
	};
	char path[] = "/tmp/rw-test-url-XXXXXX";
	int fd = mkstemp(path), bad = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct rw_config c;
		char err[512] = "";
		FILE *fp = fopen(path, "w");
		int rc;

		assert_non_null(fp);
		fprintf(fp,
		        "{\"webhooks\": [{\"url\": \"%s\", \"secret\": \"0123456789abcdef\"}]}\n",
		        rows[i].url);
		assert_int_equal(fclose(fp), 0);
		config_defaults(&c);
		rc = config_load_file(&c, path, err, sizeof(err));
		if (rows[i].err_has ? rc != RW_EINVAL || !strstr(err, rows[i].err_has) : rc != 0) {
			print_error("%s: rc %d err \"%s\"\n", rows[i].url, rc, err);
			bad++;
		}
		config_deinit(&c);
	}
	unlink(path);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_curl_lenience_refused),
	        cmocka_unit_test(test_host_as_curl_reads_it),
	        cmocka_unit_test(test_messages_quote_safely),
	        cmocka_unit_test(test_check),
	        cmocka_unit_test(test_canaries),
	        cmocka_unit_test(test_canary_too_long),
	        cmocka_unit_test(test_webhooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
