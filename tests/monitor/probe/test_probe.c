/* SPDX-License-Identifier: MIT */
/*
 * test_probe.c — monitor/probe/probe.h, the prober, on a real libuv loop
 * against real loopback servers (tests/lib/loopsrv.h) started inside the
 * test on port 0.
 *
 * What it proves: a glue failure on one probe's socket (injected through
 * the seam in struct curluv) ends that probe alone, reported as the
 * monitor's own failure (local, no error class), while the other probe in
 * flight succeeds. Every probe's callback runs exactly once, the prober's
 * closed callback exactly once, and the loop closes with no handle left
 * (uv_loop_close() == 0). Waits are bounded generously (WAIT_MS); no test
 * asserts a time.
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
#include "monitor/core/clock.h"
#include "monitor/core/guard.h"
#include "monitor/probe/probe.h"
#include "policy/base/rw_error.h"

#define N_RUNNERS 4
#define WAIT_MS   10000 /* a test gives up (and fails) after this long */

struct fx {
	uv_loop_t loop;
	uv_timer_t watch;
	struct loopsrv srv;
	struct guard guard;
	struct rw_clock clock;
	struct prober pr;
	struct runner r[N_RUNNERS];
	char url[N_RUNNERS][128];
	int calls[N_RUNNERS]; /* probe callbacks per runner */
	struct probe_result res[N_RUNNERS];
	int closed; /* prober closed callbacks */
	bool timed_out;
	uint64_t t0;
	bool (*until)(struct fx *f);
	void (*step)(struct fx *f);

	/* The answer the server gives. */
	int status;
	const char *ctype;
	const char *body;
	size_t body_len;
	bool hang;

	int fail_poll_init; /* the n-th uv_poll_init_socket fails (0: none) */
	int n_poll_init;
};

static struct fx *the_fx; /* the seam has no context argument */

static void answer(struct loopsrv *s, const struct loopsrv_req *rq, struct loopsrv_answer *ans)
{
	struct fx *f = s->data;
	(void)rq;
	ans->status = f->status;
	ans->content_type = f->ctype;
	ans->body = f->body;
	ans->body_len = f->body_len;
	ans->hang = f->hang;
}

static void probe_cb(struct prober *pr, struct runner *r, const struct probe_result *res)
{
	struct fx *f = pr->data;
	size_t i = (size_t)(r - f->r);

	assert_true(i < N_RUNNERS);
	assert_null(r->inflight); /* the runner is free again when told */
	f->calls[i]++;
	f->res[i] = *res;
}

static void prober_closed(struct prober *pr)
{
	struct fx *f = pr->data;
	f->closed++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || uv_loop_init(&f->loop) != 0)
		return -1;
	guard_init(&f->guard);
	if (guard_allow(&f->guard, "127.0.0.0/8", NULL, 0) != 0)
		return -1;
	clock_init(&f->clock);
	the_fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	the_fx = NULL;
	return 0;
}

/* Starts the server and the prober; runner i probes the server (or @p port
 * when not 0) at 127.0.0.1 with @p timeout_ms. */
static void start(struct fx *f, size_t max, uint32_t timeout_ms, int port)
{
	loopsrv_start(&f->srv, &f->loop, answer, f);
	assert_int_equal(prober_init(&f->pr, &f->loop, &f->guard, &f->clock, max, probe_cb), 0);
	f->pr.data = f;
	for (size_t i = 0; i < N_RUNNERS; i++) {
		struct runner *r = &f->r[i];
		snprintf(f->url[i], sizeof(f->url[i]), "http://127.0.0.1:%d/health/%zu",
		         port ? port : f->srv.port, i);
		r->id = (int64_t)i + 1;
		r->name = f->url[i];
		r->url = f->url[i];
		snprintf(r->host, sizeof(r->host), "127.0.0.1");
		r->port = port ? port : f->srv.port;
		r->host_is_ip = true;
		r->timeout_ms = timeout_ms;
		r->heap_idx = SIZE_MAX;
	}
}

static void close_all(struct fx *f)
{
	prober_close(&f->pr, prober_closed);
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
	assert_int_equal(f->pr.in_flight, 0);
	assert_int_equal(f->pr.n_alloc, 0);
	assert_int_equal(f->pr.state, PROBER_CLOSED);
	assert_int_equal(f->pr.bad_transitions, 0);
}

static bool first_two_called(struct fx *f)
{
	return f->calls[0] > 0 && f->calls[1] > 0;
}

/* ---- the monitor's own failure ----------------------------------------- */

static int fake_poll_init(uv_loop_t *loop, uv_poll_t *p, uv_os_sock_t fd)
{
	struct fx *f = the_fx;
	if (++f->n_poll_init == f->fail_poll_init)
		return UV_ENOMEM;
	return uv_poll_init_socket(loop, p, fd);
}

static void test_local_failure_is_one_probe_and_local(void **state)
{
	struct fx *f = *state;
	struct probe_result *hit, *other;

	f->body = "ok\n";
	start(f, 8, 5000, 0);
	f->pr.cu.poll_init = fake_poll_init;
	f->fail_poll_init = 1;
	assert_int_equal(prober_start(&f->pr, &f->r[0]), 0);
	assert_int_equal(prober_start(&f->pr, &f->r[1]), 0);
	f->until = first_two_called;
	run(f);

	assert_int_equal(f->calls[0], 1);
	assert_int_equal(f->calls[1], 1);
	hit = f->res[0].local ? &f->res[0] : &f->res[1];
	other = f->res[0].local ? &f->res[1] : &f->res[0];
	/* One probe failed on the monitor's side: local, no class charged. */
	assert_true(hit->local);
	assert_false(hit->canceled);
	assert_int_equal(hit->cls, RW_ERRCLASS_NONE);
	assert_non_null(strstr(hit->detail, "monitor"));
	/* The other went through. */
	assert_false(other->local);
	assert_false(other->canceled);
	assert_int_equal(other->cls, RW_ERRCLASS_NONE);
	assert_int_equal(other->http_status, 200);
	assert_true(other->latency_us >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_local_failure_is_one_probe_and_local, setup,
	                                        teardown),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
