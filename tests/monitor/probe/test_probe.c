/* SPDX-License-Identifier: MIT */
/*
 * test_probe.c — monitor/probe/probe.h, the prober, on a real libuv loop
 * against real loopback servers (tests/lib/loopsrv.h) started inside the
 * test on port 0.
 *
 * What it proves: the classes of DESIGN.md come out of real transfers: a
 * 2xx with a JSON body is success (busy read), other statuses are
 * http_status, a broken JSON body is body, a refused port is connect, a
 * server that never answers is timeout, a body over PROBE_BODY_MAX is
 * too_large, loopback without an allowlist is refused_by_guard. The cap
 * answers RW_EBUSY; handles are pooled and reused. At close, probes in
 * TRANSFER and in RESOLVING run their callback exactly once, canceled, and
 * nothing starts afterwards. A glue failure on one probe's socket (injected
 * through the seam in struct curluv) ends that probe alone, reported as the
 * monitor's own failure (local, no error class), while the other probe in
 * flight succeeds. Every probe's callback runs exactly once, the prober's
 * closed callback exactly once, the prober ends CLOSED with no illegal
 * state change, and the loop closes with no handle left (uv_loop_close()
 * == 0). Waits are bounded generously (WAIT_MS); no test asserts a time.
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
static char loopback_host[] = "127.0.0.1", localhost_host[] = "localhost";

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
		r->host = loopback_host;
		r->port = port ? port : f->srv.port;
		r->host_is_ip = true;
		r->timeout_ms = timeout_ms;
		r->heap_idx = SIZE_MAX;
	}
}

static void close_all(struct fx *f)
{
	if (f->pr.state == PROBER_OPEN) /* else the test closed it itself */
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

#define ROUNDS 5

/* Starts the next probe of runners 0 and 1 once the previous one is done
 * (a runner never has two in flight). */
static void restart_done(struct fx *f)
{
	assert_true(f->pr.n_alloc <= 2); /* the pool, not a handle per probe */
	for (int i = 0; i < 2; i++)
		if (!f->r[i].inflight && f->calls[i] < ROUNDS)
			assert_int_equal(prober_start(&f->pr, &f->r[i]), 0);
}

static bool rounds_done(struct fx *f)
{
	return f->calls[0] >= ROUNDS && f->calls[1] >= ROUNDS;
}

/* ---- results and their classes ------------------------------------------ */

static bool first_called(struct fx *f)
{
	return f->calls[0] > 0;
}

/* Starts one probe of runner 0 and runs until its callback. */
static void probe_one(struct fx *f, uint32_t timeout_ms, int port)
{
	start(f, 8, timeout_ms, port);
	assert_int_equal(prober_start(&f->pr, &f->r[0]), 0);
	assert_ptr_not_equal(f->r[0].inflight, NULL);
	f->until = first_called;
	run(f);
	assert_int_equal(f->calls[0], 1);
	assert_false(f->res[0].canceled);
	assert_false(f->res[0].local);
}

static void test_success(void **state)
{
	struct fx *f = *state;

	f->ctype = "application/json";
	f->body = "{\"busy\": true, \"version\": \"1.2\"}";
	probe_one(f, 5000, 0);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_NONE);
	assert_int_equal(f->res[0].http_status, 200);
	assert_true(f->res[0].busy);
	assert_true(f->res[0].latency_us >= 0);
	assert_true(f->res[0].t_ms > 0);
	assert_int_equal(f->srv.requests, 1);
}

static void test_http_status(void **state)
{
	struct fx *f = *state;

	f->status = 503;
	f->body = "down\n";
	probe_one(f, 5000, 0);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_HTTP_STATUS);
	assert_int_equal(f->res[0].http_status, 503);
}

static void test_bad_json_body(void **state)
{
	struct fx *f = *state;

	f->ctype = "application/json";
	f->body = "{\"busy\": ";
	probe_one(f, 5000, 0);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_BODY);
	assert_int_equal(f->res[0].http_status, 200);
}

static void test_connect_refused(void **state)
{
	struct fx *f = *state;
	int port, fd = loopsrv_refusing_port(&port);

	probe_one(f, 5000, port);
	close(fd);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_CONNECT);
	assert_int_equal(f->res[0].http_status, 0);
	assert_int_equal(f->res[0].latency_us, -1);
	assert_int_equal(f->srv.accepted, 0);
}

static void test_timeout(void **state)
{
	struct fx *f = *state;

	f->hang = true;
	probe_one(f, 300, 0);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_TIMEOUT);
	assert_int_equal(f->srv.accepted, 1);
}

static void test_body_too_large(void **state)
{
	struct fx *f = *state;
	size_t len = 2 * PROBE_BODY_MAX;
	char *big = malloc(len);

	assert_non_null(big);
	memset(big, 'x', len);
	f->body = big;
	f->body_len = len;
	probe_one(f, 5000, 0);
	free(big);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_TOO_LARGE);
}

static void test_guard_refuses(void **state)
{
	struct fx *f = *state;

	guard_init(&f->guard); /* nothing allowed: loopback is refused */
	probe_one(f, 5000, 0);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_REFUSED_BY_GUARD);
	assert_int_equal(f->srv.accepted, 0);
}

/* ---- the concurrency cap and shutdown ----------------------------------- */

static void test_busy_at_the_cap(void **state)
{
	struct fx *f = *state;

	f->body = "ok\n";
	start(f, 1, 5000, 0);
	assert_int_equal(prober_start(&f->pr, &f->r[0]), 0);
	assert_int_equal(prober_start(&f->pr, &f->r[1]), RW_EBUSY);
	assert_null(f->r[1].inflight);
	f->until = first_called;
	run(f);
	assert_int_equal(f->calls[0], 1);
	assert_int_equal(f->calls[1], 0);
	assert_int_equal(f->res[0].cls, RW_ERRCLASS_NONE);
}

static bool all_accepted(struct fx *f)
{
	return f->srv.accepted >= 2;
}

/* Two probes hang in TRANSFER when the prober closes: each callback runs
 * exactly once, canceled; no probe starts after the close. */
static void test_cancel_at_close(void **state)
{
	struct fx *f = *state;

	f->hang = true;
	start(f, 8, WAIT_MS * 2, 0);
	assert_int_equal(prober_start(&f->pr, &f->r[0]), 0);
	assert_int_equal(prober_start(&f->pr, &f->r[1]), 0);
	f->until = all_accepted;
	run(f);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->calls[i], 1);
		assert_true(f->res[i].canceled);
		assert_false(f->res[i].local);
		assert_null(f->r[i].inflight);
	}
	assert_int_equal(prober_start(&f->pr, &f->r[2]), RW_ECANCELED);
	assert_int_equal(f->calls[2], 0);
}

static bool always(struct fx *f)
{
	(void)f;
	return true;
}

/* A probe whose host name is being resolved when the prober closes: its
 * callback runs exactly once, canceled, whether uv_cancel() catches the
 * lookup or it has already started. */
static void test_cancel_while_resolving(void **state)
{
	struct fx *f = *state;

	start(f, 8, 5000, 0);
	f->r[0].host = localhost_host;
	f->r[0].host_is_ip = false;
	assert_int_equal(prober_start(&f->pr, &f->r[0]), 0);
	assert_int_equal(f->calls[0], 0);
	/* The lookup runs on libuv's thread pool: until the loop runs, the
	 * probe is still resolving. */
	prober_close(&f->pr, prober_closed);
	f->until = always;
	run(f);
	assert_int_equal(f->calls[0], 1);
	assert_true(f->res[0].canceled);
	assert_null(f->r[0].inflight);
}

/* A prober closed with nothing ever started. */
static void test_close_idle(void **state)
{
	struct fx *f = *state;

	start(f, 8, 5000, 0);
	f->until = always;
	run(f);
}

/* Many probes through a small pool: every callback once, handles reused. */
static void test_pool_reuse(void **state)
{
	struct fx *f = *state;

	f->body = "ok\n";
	start(f, 2, 5000, 0);
	f->step = restart_done;
	f->until = rounds_done;
	run(f);
	for (int i = 0; i < 2; i++)
		assert_int_equal(f->calls[i], ROUNDS);
	assert_int_equal(f->srv.requests, 2 * ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_success, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_http_status, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_json_body, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_body_too_large, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_guard_refuses, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_busy_at_the_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel_at_close, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel_while_resolving, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_close_idle, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pool_reuse, setup, teardown),
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
