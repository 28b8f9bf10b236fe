/* SPDX-License-Identifier: MIT */
/*
 * test_target.c — policy/target.h: which triples are known. Without a
 * policy list, Rust's targets pass and the typos a reviewer found are
 * refused with the right suggestion; with a list, only its names pass and
 * the closest one is suggested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "policy/policy.h"
#include "policy/target.h"

static void test_rust_targets_pass(void **state)
{
	static const char *const ok[] = {"riscv64gc-unknown-linux-gnu",
	                                 "s390x-unknown-linux-gnu",
	                                 "x86_64-pc-windows-msvc",
	                                 "aarch64-apple-darwin",
	                                 "aarch64-linux-android",
	                                 "wasm32-wasip1",
	                                 "wasm32v1-none",
	                                 "wasm32-unknown-unknown",
	                                 "thumbv7em-none-eabihf",
	                                 "powerpc64le-unknown-linux-gnu",
	                                 "armv7-unknown-linux-gnueabihf",
	                                 "x86_64-fortanix-unknown-sgx",
	                                 "xtensa-esp32-espidf",
	                                 "aarch64-unknown-nto-qnx710",
	                                 "avr-unknown-gnu-atmega328",
	                                 "wasm32-wasip1-threads",
	                                 "sparcv9-sun-solaris",
	                                 "x86_64-unknown-illumos",
	                                 "loongarch64-unknown-linux-musl",
	                                 "nvptx64-nvidia-cuda",
	                                 "powerpc64-ibm-aix",
	                                 "mips64-openwrt-linux-musl",
	                                 "x86_64-unknown-uefi",
	                                 "aarch64-unknown-none-softfloat"};
	char why[200];
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!target_known(ok[i], NULL, why, sizeof(why)))
			fail_msg("%s refused: %s", ok[i], why);
}

static void test_typos_refused(void **state)
{
	static const struct {
		const char *t, *hint;
	} bad[] = {
	        {"riscv64gc-unknwon-linux-gnu", "did you mean unknown?"},
	        {"s390x-linux", "s390x-unknown-linux-gnu"},
	        {"powerpc64-unknown-linx-gnu", "did you mean linux?"},
	        {"s390x-unknown-linux-gun", "did you mean gnu?"},
	        {"x86_64-foo-bar-baz", "policy's \"targets\""},
	};
	char why[200];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(target_known(bad[i].t, NULL, why, sizeof(why)));
		if (!strstr(why, bad[i].hint))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].t, why, bad[i].hint);
	}
}

static void test_policy_list(void **state)
{
	struct rw_policy p;
	struct rw_policy_target t[] = {{"riscv64gc-unknown-linux-gnu", 2},
	                               {"s390x-unknown-linux-gnu", 2}};
	char why[200];
	(void)state;
	policy_defaults(&p);
	p.targets = t;
	p.n_targets = 2;
	assert_true(target_known("s390x-unknown-linux-gnu", &p, why, sizeof(why)));
	assert_false(target_known("riscv64gc-unknown-linux-musl", &p, why, sizeof(why)));
	assert_non_null(strstr(why, "did you mean riscv64gc-unknown-linux-gnu?"));
	/* A Rust target the policy does not list is refused too. */
	assert_false(target_known("x86_64-unknown-linux-gnu", &p, why, sizeof(why)));
	assert_non_null(strstr(why, "the policy's targets do not include it"));
	p.targets = NULL;
	p.n_targets = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rust_targets_pass),
	        cmocka_unit_test(test_typos_refused),
	        cmocka_unit_test(test_policy_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
