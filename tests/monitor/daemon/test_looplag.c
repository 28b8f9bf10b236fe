/* SPDX-License-Identifier: MIT */
/*
 * test_looplag.c — monitor/daemon/looplag.h on a real loop: a callback that
 * keeps the loop busy is measured whenever it runs (here between the
 * ticks of a one-second timer, which would not see it), and time the loop
 * spends waiting for a timer is not lag. Bounds are generous: the busy
 * callback spins 250 ms; lag must read at least 240 ms; an idle 300 ms
 * wait must read under 100 ms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <uv.h>

#include "monitor/daemon/looplag.h"

struct fx {
	uv_loop_t loop;
	uv_timer_t t;
	struct looplag ll;
	double max_s;
	int spin_ms;
};

static void spin_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	uint64_t until = uv_hrtime() + (uint64_t)f->spin_ms * 1000000;

	while (uv_hrtime() < until)
		;
}

static void run(struct fx *f, int after_ms, int spin_ms)
{
	f->max_s = 0;
	f->spin_ms = spin_ms;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(looplag_start(&f->ll, &f->loop, &f->max_s), 0);
	uv_timer_init(&f->loop, &f->t);
	f->t.data = f;
	uv_timer_start(&f->t, spin_cb, (uint64_t)after_ms, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&f->t, NULL);
	uv_close((uv_handle_t *)&f->ll.prepare, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void test_busy_callback_is_lag(void **state)
{
	struct fx f;
	(void)state;

	run(&f, 100, 250);
	assert_true(f.max_s >= 0.240);
	assert_true(f.max_s < 5.0);
}

static void test_waiting_is_not_lag(void **state)
{
	struct fx f;
	(void)state;

	run(&f, 300, 0);
	assert_true(f.max_s < 0.100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_busy_callback_is_lag),
	        cmocka_unit_test(test_waiting_is_not_lag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
