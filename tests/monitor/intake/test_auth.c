/* SPDX-License-Identifier: MIT */
/*
 * test_auth.c — the daemon's table of token hashes (monitor/intake/auth.c):
 * a token memory does not know is "look it up" (RW_ENOENT), never a guess;
 * once learnt it resolves to its principal; revoked and expired tokens are
 * refused with their reason; hashes learnt as unknown are refused, and at
 * most AUTH_UNKNOWN_MAX of them are kept however many are tried, without
 * losing a real token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "monitor/intake/auth.h"
#include "policy/base/rw_error.h"

#define ADMIN "admin-token-0123456789abcdef0123456789abcdef"

static int resolve(struct auth *a, const char *token, int64_t now, struct principal *p,
                   const char **why, uint8_t h[32])
{
	char hdr[128];

	snprintf(hdr, sizeof(hdr), "Bearer %s", token);
	return auth_resolve(a, hdr, strlen(hdr), now, p, why, h);
}

static void test_table(void **state)
{
	struct auth a;
	struct principal p;
	struct store_token t = {0};
	const char *why = NULL;
	char err[128], tok[AUTH_TOKEN_MAX];
	uint8_t h[32], h2[32];

	(void)state;
	assert_int_equal(auth_init(&a, ADMIN, 10, 60, err, sizeof(err)), 0);
	assert_int_equal(resolve(&a, ADMIN, 1000, &p, &why, h), 0);
	assert_int_equal(p.kind, PRINCIPAL_ADMIN);

	/* Not in memory: the caller must look it up. */
	assert_int_equal(auth_new_token("rw_", tok, t.sha256), 0);
	assert_int_equal(resolve(&a, tok, 1000, &p, &why, h), RW_ENOENT);
	assert_memory_equal(h, t.sha256, 32);

	/* Learnt: its principal. */
	t.id = 7;
	t.operator_id = 3;
	assert_int_equal(auth_learn(&a, &t), 0);
	assert_int_equal(resolve(&a, tok, 1000, &p, &why, h), 0);
	assert_int_equal(p.kind, PRINCIPAL_OPERATOR);
	assert_int_equal(p.operator_id, 3);
	assert_int_equal(p.token_id, 7);

	/* A stream of made-up tokens: refused, and bounded in memory. */
	for (int i = 0; i < 3 * AUTH_UNKNOWN_MAX; i++) {
		char fake[80];
		snprintf(fake, sizeof(fake), "rw_%064d", i);
		assert_int_equal(resolve(&a, fake, 1000, &p, &why, h2), RW_ENOENT);
		assert_int_equal(auth_learn_unknown(&a, h2), 0);
		assert_int_equal(resolve(&a, fake, 1000, &p, &why, h2), RW_EINVAL);
		assert_string_equal(why, "unknown token");
		assert_true(a.tok_unknown <= AUTH_UNKNOWN_MAX);
	}
	assert_true(a.tok_n <= AUTH_UNKNOWN_MAX + 1);
	assert_int_equal(resolve(&a, tok, 1000, &p, &why, h), 0);

	/* Revoked: refused from then on. */
	auth_revoked(&a, t.sha256, 2000);
	assert_int_equal(resolve(&a, tok, 2001, &p, &why, h), RW_EINVAL);
	assert_string_equal(why, "revoked token");

	/* Expired: refused from its expiry. */
	assert_int_equal(auth_new_token("rw_", tok, t.sha256), 0);
	t.id = 8;
	t.expires_ms = 5000;
	assert_int_equal(auth_learn(&a, &t), 0);
	assert_int_equal(resolve(&a, tok, 4999, &p, &why, h), 0);
	assert_int_equal(resolve(&a, tok, 5000, &p, &why, h), RW_EINVAL);
	assert_string_equal(why, "expired token");
	auth_deinit(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
