/* SPDX-License-Identifier: MIT */
/*
 * test_ghauth.c — ghauth.c in-process: the App's JWT (three base64url
 * parts without padding or '+' '/' '='; the header's known encoding; the
 * claims iat = now - 60, exp = now + 540, iss = the App id as a string; an
 * RS256 signature that libcrypto verifies with the public half of a key
 * made here, and that another key does not verify), and what ghauth_token()
 * answers without a network: a token file's token as it is, "no
 * credentials" naming the keys, a key that will not load refused at init.
 * The exchange itself runs against the fake GitHub in test_ghpoll.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/github/ghauth.h"
#include "policy/base/rw_error.h"

/* base64url → bytes (libcrypto's decoder after undoing the URL alphabet). */
static size_t b64url_decode(const char *s, size_t n, unsigned char *out, size_t outlen)
{
	char buf[4096];
	size_t k = 0, pad;
	int got;

	assert_true(n + 4 < sizeof(buf));
	for (size_t i = 0; i < n; i++) {
		assert_true(s[i] != '+' && s[i] != '/' && s[i] != '=');
		buf[k++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	pad = (4 - k % 4) % 4;
	for (size_t i = 0; i < pad; i++)
		buf[k++] = '=';
	assert_true(k / 4 * 3 <= outlen);
	got = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)k);
	assert_true(got >= 0);
	return (size_t)got - pad;
}

static void test_jwt(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char jwt[2048], text[512];
	const char *dot1, *dot2;
	unsigned char sig[1024];
	size_t siglen, n;
	EVP_MD_CTX *ctx;
	cJSON *claims;

	(void)state;
	assert_non_null(key);
	assert_non_null(other);
	assert_int_equal(ghauth_jwt(key, 12345, 1700000000, jwt, sizeof(jwt)), 0);
	dot1 = strchr(jwt, '.');
	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	assert_null(strchr(dot2 + 1, '.'));
	/* {"alg":"RS256","typ":"JWT"}, encoded as every JWT library does. */
	assert_int_equal((int)(dot1 - jwt), 36);
	assert_memory_equal(jwt, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9", 36);

	n = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), (unsigned char *)text,
	                  sizeof(text) - 1);
	text[n] = '\0';
	claims = cJSON_Parse(text);
	assert_non_null(claims);
	assert_int_equal(cJSON_GetObjectItem(claims, "iat")->valuedouble, 1700000000 - 60);
	assert_int_equal(cJSON_GetObjectItem(claims, "exp")->valuedouble, 1700000000 + 540);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(claims, "iss")), "12345");
	cJSON_Delete(claims);

	/* RS256 over "header.claims", checked by libcrypto with the key, and
	 * refused with another key. */
	siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig));
	assert_int_equal(siglen, 256);
	for (int k = 0; k < 2; k++) {
		ctx = EVP_MD_CTX_new();
		assert_int_equal(
		        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k == 0 ? key : other),
		        1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)jwt,
		                                  (size_t)(dot2 - jwt)),
		                 k == 0 ? 1 : 0);
		EVP_MD_CTX_free(ctx);
	}
	/* Too small a buffer is an error, not a truncated token. */
	assert_int_equal(ghauth_jwt(key, 12345, 1700000000, jwt, 100), RW_EINVAL);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void ready_cb(struct ghauth *a, int rc, const char *why, void *data)
{
	(void)a;
	(void)rc;
	(void)why;
	(void)data;
	fail_msg("no exchange was started");
}

static void test_token_modes(void **state)
{
	struct rw_github_cfg cfg;
	struct curluv cu;
	struct ghauth a;
	uv_loop_t loop;
	const char *tok, *why;
	uint64_t gen;
	char err[256] = "";

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&cu, 0, sizeof(cu));
	cu.loop = &loop;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.api_url, sizeof(cfg.api_url), "http://127.0.0.1:9");

	/* No credentials: every ask fails, naming the keys. */
	cfg.auth = RW_GITHUB_AUTH_NONE;
	assert_int_equal(ghauth_init(&a, &cu, &cfg, ready_cb, NULL, err, sizeof(err)), 0);
	assert_int_equal(ghauth_token(&a, &tok, &gen, &why), RW_EINVAL);
	assert_null(tok);
	assert_non_null(strstr(why, "github.token_file"));
	ghauth_deinit(&a);

	/* A token file's token, as it is; a 401 does not drop it. */
	cfg.auth = RW_GITHUB_AUTH_TOKEN;
	cfg.token = "ghp_from_the_file";
	assert_int_equal(ghauth_init(&a, &cu, &cfg, ready_cb, NULL, err, sizeof(err)), 0);
	assert_int_equal(ghauth_token(&a, &tok, &gen, &why), 0);
	assert_string_equal(tok, "ghp_from_the_file");
	ghauth_reject(&a, gen);
	assert_int_equal(ghauth_token(&a, &tok, &gen, &why), 0);
	assert_string_equal(tok, "ghp_from_the_file");
	ghauth_cancel(&a);
	assert_int_equal(ghauth_token(&a, &tok, &gen, &why), RW_ECANCELED);
	ghauth_deinit(&a);

	/* An App whose key text will not load. */
	cfg.auth = RW_GITHUB_AUTH_APP;
	cfg.token = NULL;
	cfg.app_id = 1;
	cfg.installation_id = 2;
	cfg.app_private_key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	assert_int_equal(ghauth_init(&a, &cu, &cfg, ready_cb, NULL, err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "github.app_private_key_file"));
	ghauth_deinit(&a);

	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_jwt),
	        cmocka_unit_test(test_token_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
