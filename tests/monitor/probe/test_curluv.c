/* SPDX-License-Identifier: MIT */
/*
 * test_curluv.c — monitor/probe/curluv.h, the libcurl ↔ libuv glue, on a
 * real libuv loop against a real loopback server (tests/lib/loopsrv.h).
 *
 * What it proves: transfers complete and done_cb runs once for each;
 * curluv_abort() runs done_cb exactly once, before it returns, with
 * RW_ECANCELED, and never again; curluv_close() runs closed_cb exactly once,
 * with or without transfers behind it. Then the glue's own failures (an
 * allocation, uv_poll_init_socket, uv_poll_start), injected through the
 * seams in struct curluv: with two transfers in flight only the one whose
 * socket could not be polled ends, with the glue's code (the monitor's own
 * failure), and the other completes, or times out on curl's deadline,
 * which the early run of the timer for the failed one must not lose. Every test ends with
 * uv_loop_close() returning 0: a handle left open fails it. Waits are bounded generously (WAIT_MS);
 * no test asserts a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "loopsrv.h"
#include "monitor/probe/curluv.h"
#include "policy/base/rw_error.h"

#define N_MAX   8
#define WAIT_MS 10000 /* a test gives up (and fails) after this long */

struct xfer {
	CURL *easy;
	int done; /* done_cb runs */
	CURLcode result;
	int rc;
	long status;
};

struct fx {
	uv_loop_t loop;
	uv_timer_t watch;
	struct loopsrv srv;
	struct curluv cu;
	struct xfer x[N_MAX];
	int n;
	int closed;      /* closed_cb runs */
	bool hang;       /* the server never answers */
	long timeout_ms; /* the transfers' CURLOPT_TIMEOUT_MS; 0: WAIT_MS * 2 */
	bool cu_closing; /* curluv_close() called */
	bool timed_out;
	uint64_t t0;
	bool (*until)(struct fx *f); /* when true, the watch closes everything */
	void (*step)(struct fx *f);  /* runs at every watch tick before until() */

	/* Fault injection: the fault-th call of the seam fails (0: none). */
	int fail_alloc, fail_poll_init, fail_poll_start;
	int n_alloc, n_poll_init, n_poll_start;
};

static struct fx *the_fx; /* the seams have no context argument */

static void answer(struct loopsrv *s, const struct loopsrv_req *rq, struct loopsrv_answer *ans)
{
	struct fx *f = s->data;
	(void)rq;
	ans->hang = f->hang;
	ans->body = "ok\n";
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

static void done_cb(struct curluv *cu, CURL *easy, CURLcode result, int rc)
{
	struct fx *f = cu->data;
	struct xfer *x = NULL;

	assert_int_equal(curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x), CURLE_OK);
	assert_ptr_equal(x->easy, easy);
	x->done++;
	x->result = result;
	x->rc = rc;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->status);
	(void)f;
}

static void closed_cb(struct curluv *cu)
{
	struct fx *f = cu->data;
	f->closed++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || uv_loop_init(&f->loop) != 0)
		return -1;
	the_fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < f->n; i++)
		curl_easy_cleanup(f->x[i].easy);
	free(f);
	the_fx = NULL;
	return 0;
}

static void start_server(struct fx *f)
{
	loopsrv_start(&f->srv, &f->loop, answer, f);
	assert_int_equal(curluv_init(&f->cu, &f->loop, done_cb, 4), 0);
	f->cu.data = f;
}

static void add(struct fx *f)
{
	struct xfer *x = &f->x[f->n];
	char url[128];

	assert_true(f->n < N_MAX);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/t%d", f->srv.port, f->n);
	x->easy = curl_easy_init();
	assert_non_null(x->easy);
	assert_int_equal(curl_easy_setopt(x->easy, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x), CURLE_OK);
	assert_int_equal(curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, discard), CURLE_OK);
	assert_int_equal(curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
	                                  f->timeout_ms ? f->timeout_ms : (long)WAIT_MS * 2),
	                 CURLE_OK);
	f->n++;
	assert_int_equal(curluv_add(&f->cu, x->easy), 0);
}

/* Aborts what is still running (a test that failed), then closes. */
static void close_all(struct fx *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->x[i].done == 0)
			curluv_abort(&f->cu, f->x[i].easy);
	f->cu_closing = true;
	curluv_close(&f->cu, closed_cb);
	loopsrv_close(&f->srv);
	uv_close((uv_handle_t *)&f->watch, NULL);
}

static void watch_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	if (f->step)
		f->step(f);
	if (uv_now(&f->loop) - f->t0 > WAIT_MS)
		f->timed_out = true;
	if (f->timed_out || f->until(f))
		close_all(f);
}

/* Runs the loop until f->until() holds, closes everything, and checks that
 * the loop is left with no handle. */
static void run(struct fx *f)
{
	assert_int_equal(uv_timer_init(&f->loop, &f->watch), 0);
	f->watch.data = f;
	f->t0 = uv_now(&f->loop);
	assert_int_equal(uv_timer_start(&f->watch, watch_cb, 5, 5), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_false(f->timed_out);
	assert_int_equal(f->closed, 1);
}

static bool all_done(struct fx *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->x[i].done == 0)
			return false;
	return true;
}

/* ---- the contract ------------------------------------------------------ */

static void test_transfers_complete(void **state)
{
	struct fx *f = *state;

	start_server(f);
	for (int i = 0; i < 4; i++)
		add(f);
	f->until = all_done;
	run(f);
	for (int i = 0; i < f->n; i++) {
		assert_int_equal(f->x[i].done, 1);
		assert_int_equal(f->x[i].rc, 0);
		assert_int_equal(f->x[i].result, CURLE_OK);
		assert_int_equal(f->x[i].status, 200);
	}
	assert_int_equal(f->srv.requests, 4);
	assert_int_equal(f->cu.running, 0);
}

static bool accepted_once(struct fx *f)
{
	return f->srv.accepted >= 1;
}

static void abort_when_accepted(struct fx *f)
{
	if (f->srv.accepted >= 1 && f->x[0].done == 0) {
		curluv_abort(&f->cu, f->x[0].easy);
		/* done_cb ran before curluv_abort() returned. */
		assert_int_equal(f->x[0].done, 1);
	}
}

static void test_abort_runs_done_once(void **state)
{
	struct fx *f = *state;

	f->hang = true;
	start_server(f);
	add(f);
	f->step = abort_when_accepted;
	f->until = accepted_once;
	run(f);
	assert_int_equal(f->x[0].done, 1);
	assert_int_equal(f->x[0].rc, RW_ECANCELED);
	assert_int_equal(f->x[0].result, CURLE_ABORTED_BY_CALLBACK);
	assert_int_equal(f->cu.running, 0);
}

static bool always(struct fx *f)
{
	(void)f;
	return true;
}

static void test_close_idle_runs_closed_once(void **state)
{
	struct fx *f = *state;

	start_server(f); /* no transfer ever */
	f->until = always;
	run(f);
}

static void test_close_after_abort_runs_closed_once(void **state)
{
	struct fx *f = *state;

	/* Two hanging transfers: both open a socket (and a poll) that
	 * curl_multi_cleanup() must close before closed_cb. */
	f->hang = true;
	start_server(f);
	add(f);
	add(f);
	f->until = accepted_once;
	run(f);
	assert_int_equal(f->x[0].done, 1);
	assert_int_equal(f->x[1].done, 1);
	assert_int_equal(f->x[0].rc, RW_ECANCELED);
	assert_int_equal(f->x[1].rc, RW_ECANCELED);
}

/* curl's own deadline, through the timer. */
static void test_timeout_through_the_timer(void **state)
{
	struct fx *f = *state;

	f->hang = true;
	f->timeout_ms = 200;
	start_server(f);
	add(f);
	f->until = all_done;
	run(f);
	assert_int_equal(f->x[0].done, 1);
	assert_int_equal(f->x[0].rc, 0);
	assert_int_equal(f->x[0].result, CURLE_OPERATION_TIMEDOUT);
}

/* ---- the glue's own failures -------------------------------------------- */

static void *fake_alloc(size_t n)
{
	struct fx *f = the_fx;
	if (++f->n_alloc == f->fail_alloc)
		return NULL;
	return malloc(n);
}

static int fake_poll_init(uv_loop_t *loop, uv_poll_t *p, uv_os_sock_t fd)
{
	struct fx *f = the_fx;
	if (++f->n_poll_init == f->fail_poll_init)
		return UV_EBADF;
	return uv_poll_init_socket(loop, p, fd);
}

static int fake_poll_start(uv_poll_t *p, int events, uv_poll_cb cb)
{
	struct fx *f = the_fx;
	if (++f->n_poll_start == f->fail_poll_start)
		return UV_EBADF;
	return uv_poll_start(p, events, cb);
}

/* Two transfers, a fault on one socket: which transfer it hits is curl's
 * choice, so the test finds it by its code. */
static void fault_two(struct fx *f, int expect_rc)
{
	struct xfer *hit, *other;

	start_server(f);
	f->cu.alloc = fake_alloc;
	f->cu.poll_init = fake_poll_init;
	f->cu.poll_start = fake_poll_start;
	add(f);
	add(f);
	f->until = all_done;
	run(f);

	/* Exactly one transfer failed, with the glue's code; the other went
	 * through: the multi handle kept working. */
	assert_int_equal(f->x[0].done, 1);
	assert_int_equal(f->x[1].done, 1);
	if (f->x[0].rc != 0) {
		hit = &f->x[0];
		other = &f->x[1];
	} else {
		hit = &f->x[1];
		other = &f->x[0];
	}
	assert_int_equal(hit->rc, expect_rc);
	assert_int_equal(hit->result, CURLE_ABORTED_BY_CALLBACK);
	assert_int_equal(other->rc, 0);
	assert_int_equal(other->result, CURLE_OK);
	assert_int_equal(other->status, 200);
	assert_int_equal(f->cu.running, 0);
	assert_int_equal(f->cu.n_failed, 0);
}

static void test_alloc_failure_fails_one_transfer(void **state)
{
	struct fx *f = *state;
	f->fail_alloc = 1;
	fault_two(f, RW_ENOMEM);
}

static void test_poll_init_failure_fails_one_transfer(void **state)
{
	struct fx *f = *state;
	f->fail_poll_init = 1;
	fault_two(f, RW_EIO);
}

static void test_poll_start_failure_fails_one_transfer(void **state)
{
	struct fx *f = *state;
	f->fail_poll_start = 1;
	fault_two(f, RW_EIO);
}

/* A later failure, after the first transfer is well under way. */
static void test_second_socket_failure_fails_one_transfer(void **state)
{
	struct fx *f = *state;
	f->fail_poll_init = 2;
	fault_two(f, RW_EIO);
}

/* The timer runs early for a failed transfer; curl's deadline for the
 * other one must survive that. */
static void test_failure_keeps_the_other_deadline(void **state)
{
	struct fx *f = *state;
	struct xfer *hit, *other;

	f->hang = true;
	f->timeout_ms = 300;
	f->fail_poll_init = 1;
	start_server(f);
	f->cu.poll_init = fake_poll_init;
	add(f);
	add(f);
	f->until = all_done;
	run(f);
	hit = f->x[0].rc ? &f->x[0] : &f->x[1];
	other = f->x[0].rc ? &f->x[1] : &f->x[0];
	assert_int_equal(hit->done, 1);
	assert_int_equal(hit->rc, RW_EIO);
	assert_int_equal(other->done, 1);
	assert_int_equal(other->rc, 0);
	assert_int_equal(other->result, CURLE_OPERATION_TIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_transfers_complete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_abort_runs_done_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_close_idle_runs_closed_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_close_after_abort_runs_closed_once, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_timeout_through_the_timer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_alloc_failure_fails_one_transfer, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_poll_init_failure_fails_one_transfer, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_poll_start_failure_fails_one_transfer, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_second_socket_failure_fails_one_transfer,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failure_keeps_the_other_deadline, setup,
	                                        teardown),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
