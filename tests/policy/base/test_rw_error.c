/* SPDX-License-Identifier: MIT */
/*
 * test_rw_error.c — rw_strerror(): every RW_E* code has its own text, and a
 * code it does not know still gets one (never NULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "policy/base/rw_error.h"

static void test_every_code(void **state)
{
	const char *seen[1 - RW_E_LAST] = {0};

	(void)state;
	for (int rc = RW_OK; rc >= RW_E_LAST; rc--) {
		const char *s = rw_strerror(rc);

		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
		for (int k = 0; k < -rc; k++)
			assert_string_not_equal(s, seen[k]);
		seen[-rc] = s;
	}
	assert_string_equal(rw_strerror(RW_E_LAST - 1), "unknown error");
	assert_string_equal(rw_strerror(1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
