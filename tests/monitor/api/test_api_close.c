/* SPDX-License-Identifier: MIT */
/*
 * test_api_close.c — the API server's lifecycle (api.h) on a real loop:
 * api_close()'s callback runs exactly once and the loop closes clean, also
 * when a connection outlives the drain timer and closes afterwards (the
 * defect: finish_close() ran a second time then, closing closed timers and
 * calling the callback twice). The drain is shortened to 100 ms; h2o closes
 * the idle connection after its own 1.5 s request timeout, well after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/api/api.h"
#include "monitor/core/metrics.h"
#include "policy/base/strbuf.h"

struct fx {
	uv_loop_t loop;
	struct metrics m;
	struct api *api;
	uv_tcp_t client;
	uv_connect_t creq;
	uv_timer_t later;
	int closed_calls;
	int client_closed;
	bool connected;
};

static void render_metrics(void *owner, struct strbuf *b)
{
	(void)owner;
	strbuf_puts(b, "");
}

static void api_closed(struct api *api, void *data)
{
	struct fx *f = data;
	(void)api;
	f->closed_calls++;
}

static void count_closed(struct api *api, void *data)
{
	(void)api;
	(*(int *)data)++;
}

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char mem[512];
	(void)h;
	(void)size;
	*buf = uv_buf_init(mem, sizeof(mem));
}

static void client_closed(uv_handle_t *h)
{
	struct fx *f = h->data;
	f->client_closed++;
}

/* The server hangs up on the idle connection: close our end. */
static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	if (n < 0)
		uv_close((uv_handle_t *)s, client_closed);
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct fx *f = req->data;

	assert_int_equal(status, 0);
	f->connected = true;
	assert_int_equal(uv_read_start((uv_stream_t *)&f->client, alloc_cb, read_cb), 0);
}

/* Once the connection is open (and accepted), the daemon stops the API. */
static void later_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	assert_true(f->connected);
	api_close(f->api, api_closed, f);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_connection_outlives_drain(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sockaddr_in sa;
	char err[256];
	(void)state;

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	struct api_ctx x = {.loop = &f->loop,
	                    .m = &f->m,
	                    .listen_host = "127.0.0.1",
	                    .listen_port = 0,
	                    .max_connections = 8,
	                    .drain_ms = 100,
	                    .render_metrics = render_metrics};
	assert_int_equal(api_new(&f->api, &x, err, sizeof(err)), 0);

	assert_int_equal(uv_tcp_init(&f->loop, &f->client), 0);
	f->client.data = f;
	f->creq.data = f;
	assert_int_equal(uv_ip4_addr("127.0.0.1", api_port(f->api), &sa), 0);
	assert_int_equal(
	        uv_tcp_connect(&f->creq, &f->client, (const struct sockaddr *)&sa, connect_cb), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->later), 0);
	f->later.data = f;
	assert_int_equal(uv_timer_start(&f->later, later_cb, 200, 0), 0);

	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->closed_calls, 1);
	assert_int_equal(f->client_closed, 1);
	api_free(f->api);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
}

/* The plain case: no connection, the callback once, a clean loop. */
static void test_close_idle(void **state)
{
	uv_loop_t loop;
	struct metrics m = {0};
	struct api *api;
	char err[256];
	int calls = 0;
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	struct api_ctx x = {.loop = &loop,
	                    .m = &m,
	                    .listen_host = "127.0.0.1",
	                    .max_connections = 8,
	                    .render_metrics = render_metrics};
	assert_int_equal(api_new(&api, &x, err, sizeof(err)), 0);
	assert_true(api_port(api) > 0);
	api_close(api, count_closed, &calls);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(calls, 1);
	api_free(api);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A listen address that is not an IP address fails at once, naming it,
 * and leaves nothing open. */
static void test_bad_listen(void **state)
{
	uv_loop_t loop;
	struct metrics m = {0};
	struct api *api = (struct api *)&m;
	char err[256] = "";
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	struct api_ctx x = {.loop = &loop,
	                    .m = &m,
	                    .listen_host = "localhost",
	                    .max_connections = 8,
	                    .render_metrics = render_metrics};
	assert_true(api_new(&api, &x, err, sizeof(err)) < 0);
	assert_null(api);
	assert_non_null(strstr(err, "localhost"));
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_connection_outlives_drain),
	        cmocka_unit_test(test_close_idle),
	        cmocka_unit_test(test_bad_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
