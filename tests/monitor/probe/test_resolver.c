/* SPDX-License-Identifier: MIT */
/*
 * test_resolver.c — monitor/probe/resolver.h on a real libuv loop, with the
 * lookup function replaced (struct resolver's getaddrinfo seam) by one that
 * holds each lookup until the test completes it: so "a DNS server that
 * never answers" and "the answer arrives late" are exact, not timed.
 *
 * What it proves: a request ends at its deadline with RW_ETIMEDOUT while
 * its lookup goes on, and the late answer reaches no ended request; a
 * later request for the same name joins that lookup (one thread per name)
 * and gets its answer; a key has at most RESOLVER_PER_KEY lookups at once,
 * its further requests wait in order and time out if no slot frees in
 * time, while another key's lookups start at once; a name with no address
 * is RW_ENOENT with the lookup's reason; cancel runs the callback at once;
 * close waits for the last lookup. Every callback runs exactly once and
 * the loop closes with nothing left open. The real uv_getaddrinfo serves
 * a numeric name end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/probe/resolver.h"
#include "policy/base/rw_error.h"

#define MAX_REQ  16
#define MAX_HELD 16

/* A lookup the fake holds until the test completes it. */
struct held {
	uv_getaddrinfo_t *req;
	uv_getaddrinfo_cb cb;
	char node[64];
};

struct fx {
	uv_loop_t loop;
	struct resolver rs;
	struct resolver_req rq[MAX_REQ];
	int calls[MAX_REQ];
	int rc[MAX_REQ];
	char addr[MAX_REQ][64];
	char why[MAX_REQ][96];
	struct held held[MAX_HELD];
	int n_held;  /* lookups started (the fake's calls) */
	int closed;  /* resolver_close callbacks */
	int restart; /* request index the callback of request 0 starts, or -1 */
};

static struct fx *the_fx; /* the seam has no context argument */

static int fake_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb,
                            const char *node, const char *service, const struct addrinfo *hints)
{
	struct fx *f = the_fx;
	(void)loop;
	(void)service;
	(void)hints;
	if (strcmp(node, "refused") == 0)
		return UV_EINVAL;
	assert_true(f->n_held < MAX_HELD);
	f->held[f->n_held].req = req;
	f->held[f->n_held].cb = cb;
	snprintf(f->held[f->n_held].node, sizeof(f->held[0].node), "%s", node);
	f->n_held++;
	return 0;
}

static int fake_cancel(uv_req_t *req)
{
	(void)req;
	return UV_EBUSY; /* as for a lookup already running */
}

/* Completes held lookup @p i: its node's address when @p status is 0. */
static void complete(struct fx *f, int i, int status)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM},
	                *ai = NULL;

	assert_true(i < f->n_held && f->held[i].req);
	if (status == 0)
		assert_int_equal(getaddrinfo(f->held[i].node, NULL, &hints, &ai), 0);
	f->held[i].cb(f->held[i].req, status, ai);
	f->held[i].req = NULL;
}

static void done_cb(struct resolver_req *rq, int rc, const struct sockaddr_storage *addr,
                    const char *why)
{
	struct fx *f = rq->data;
	int i = (int)(rq - f->rq);

	f->calls[i]++;
	f->rc[i] = rc;
	f->addr[i][0] = '\0';
	if (rc == 0) {
		assert_non_null(addr);
		assert_int_equal(addr->ss_family, AF_INET);
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, f->addr[i],
		          sizeof(f->addr[i]));
	} else {
		assert_null(addr);
		assert_non_null(why);
		snprintf(f->why[i], sizeof(f->why[i]), "%s", why);
	}
	if (i == 0 && f->restart > 0) {
		const char *w;
		int k = f->restart;
		f->restart = -1;
		/* A callback may start a request (the next probe does). */
		assert_int_equal(
		        resolver_start(&f->rs, &f->rq[k], "10.0.0.9", "a", 5000, done_cb, &w), 0);
	}
}

static void closed_cb(struct resolver *rs)
{
	struct fx *f = rs->data;
	f->closed++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(uv_loop_init(&f->loop), 0);
	resolver_init(&f->rs, &f->loop);
	f->rs.data = f;
	f->rs.getaddrinfo = fake_getaddrinfo;
	f->rs.cancel = fake_cancel;
	for (int i = 0; i < MAX_REQ; i++)
		f->rq[i].data = f;
	f->restart = -1;
	the_fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

static void start(struct fx *f, int i, const char *host, const char *key, uint32_t ms)
{
	const char *why;
	assert_int_equal(resolver_start(&f->rs, &f->rq[i], host, key, ms, done_cb, &why), 0);
}

/* Runs the loop until request @p i has ended (bounded: every request here
 * has a deadline). */
static void wait_for(struct fx *f, int i)
{
	while (f->calls[i] == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
}

/* Closes the resolver, completing whatever lookups are still held. */
static void close_all(struct fx *f)
{
	resolver_close(&f->rs, closed_cb);
	for (int i = 0; i < f->n_held; i++)
		if (f->held[i].req)
			complete(f, i, UV_ECANCELED);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->closed, 1);
	assert_int_equal(f->rs.lookups, 0);
	assert_int_equal(f->rs.n_keys, 0);
}

static void test_deadline_and_late_answer(void **state)
{
	struct fx *f = *state;

	start(f, 0, "10.0.0.1", "a", 20);
	assert_int_equal(f->n_held, 1);
	wait_for(f, 0);
	assert_int_equal(f->rc[0], RW_ETIMEDOUT);
	assert_int_equal(f->rs.timeouts, 1);
	/* The lookup goes on, holding its key's slot... */
	assert_int_equal(resolver_key_lookups(&f->rs, "a"), 1);
	/* ...and a request for the same name joins it instead of starting
	 * another, then gets the late answer. */
	start(f, 1, "10.0.0.1", "a", 5000);
	assert_int_equal(f->n_held, 1);
	assert_int_equal(f->rs.shared, 1);
	complete(f, 0, 0);
	assert_int_equal(f->calls[1], 1);
	assert_int_equal(f->rc[1], 0);
	assert_string_equal(f->addr[1], "10.0.0.1");
	assert_int_equal(f->calls[0], 1); /* the ended request is not told again */
	assert_int_equal(resolver_key_lookups(&f->rs, "a"), 0);
	assert_int_equal(f->rs.n_keys, 0);
	close_all(f);
}

static void test_orphan_answer_dropped(void **state)
{
	struct fx *f = *state;

	start(f, 0, "10.0.0.1", "a", 10);
	wait_for(f, 0);
	assert_int_equal(f->rc[0], RW_ETIMEDOUT);
	complete(f, 0, 0); /* nobody waits: dropped */
	assert_int_equal(f->calls[0], 1);
	assert_int_equal(f->rs.lookups, 0);
	close_all(f);
}

static void test_per_key_cap(void **state)
{
	struct fx *f = *state;
	char host[32];

	/* RESOLVER_PER_KEY hung names of key a, and one more. */
	for (int i = 0; i <= RESOLVER_PER_KEY; i++) {
		snprintf(host, sizeof(host), "10.0.1.%d", i);
		start(f, i, strdup(host), "a", i == RESOLVER_PER_KEY ? 50 : 5000);
	}
	assert_int_equal(f->n_held, RESOLVER_PER_KEY);
	assert_int_equal(resolver_key_lookups(&f->rs, "a"), RESOLVER_PER_KEY);
	assert_int_equal(f->rs.queued, 1);
	/* Another key's lookup starts at once. */
	start(f, RESOLVER_PER_KEY + 1, "10.0.2.1", "b", 5000);
	assert_int_equal(f->n_held, RESOLVER_PER_KEY + 1);
	complete(f, RESOLVER_PER_KEY, 0);
	assert_int_equal(f->rc[RESOLVER_PER_KEY + 1], 0);
	/* The queued request of a gets no slot in time: dns at its deadline. */
	wait_for(f, RESOLVER_PER_KEY);
	assert_int_equal(f->rc[RESOLVER_PER_KEY], RW_ETIMEDOUT);
	assert_int_equal(f->n_held, RESOLVER_PER_KEY + 1);
	/* One more request of a waits; when a slot frees, it starts, in order. */
	start(f, RESOLVER_PER_KEY + 2, "10.0.3.1", "a", 5000);
	start(f, RESOLVER_PER_KEY + 3, "10.0.3.2", "a", 5000);
	assert_int_equal(f->n_held, RESOLVER_PER_KEY + 1);
	complete(f, 0, UV_EAI_NONAME);
	assert_int_equal(f->rc[0], RW_ENOENT);
	assert_true(strlen(f->why[0]) > 0);
	assert_int_equal(f->n_held, RESOLVER_PER_KEY + 2);
	assert_string_equal(f->held[RESOLVER_PER_KEY + 1].node, "10.0.3.1");
	for (int i = 1; i < RESOLVER_PER_KEY; i++)
		complete(f, i, 0);
	assert_int_equal(f->n_held, RESOLVER_PER_KEY + 3);
	complete(f, RESOLVER_PER_KEY + 1, 0);
	complete(f, RESOLVER_PER_KEY + 2, 0);
	assert_int_equal(f->rc[RESOLVER_PER_KEY + 2], 0);
	assert_int_equal(f->rc[RESOLVER_PER_KEY + 3], 0);
	for (int i = 0; i <= RESOLVER_PER_KEY + 3; i++)
		assert_int_equal(f->calls[i], 1);
	for (int i = 0; i <= RESOLVER_PER_KEY; i++)
		free((char *)f->rq[i].host);
	close_all(f);
}

static void test_cancel_close_reentry(void **state)
{
	struct fx *f = *state;
	const char *why = NULL;

	/* libuv refusing the name at once: an error, no callback. */
	assert_int_equal(resolver_start(&f->rs, &f->rq[5], "refused", "a", 100, done_cb, &why),
	                 RW_EINVAL);
	assert_non_null(why);
	assert_int_equal(f->calls[5], 0);
	/* A callback that starts a request. */
	f->restart = 2;
	start(f, 0, "10.0.0.1", "a", 5000);
	complete(f, 0, 0);
	assert_int_equal(f->calls[0], 1);
	assert_int_equal(f->n_held, 2);
	/* Cancel runs the callback before returning. */
	resolver_cancel(&f->rs, &f->rq[2]);
	assert_int_equal(f->calls[2], 1);
	assert_int_equal(f->rc[2], RW_ECANCELED);
	/* Close with a live request and an orphaned lookup. */
	start(f, 3, "10.0.0.3", "b", 5000);
	resolver_close(&f->rs, closed_cb);
	assert_int_equal(f->rc[3], RW_ECANCELED);
	assert_int_equal(resolver_start(&f->rs, &f->rq[4], "10.0.0.4", "b", 10, done_cb, &why),
	                 RW_ECANCELED);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->closed, 0); /* two lookups still held */
	complete(f, 1, 0);
	complete(f, 2, UV_ECANCELED);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->closed, 1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(f->calls[i], i == 0 || i == 2 || i == 3);
}

static void test_real_lookup(void **state)
{
	struct fx *f = *state;

	f->rs.getaddrinfo = uv_getaddrinfo;
	f->rs.cancel = uv_cancel;
	start(f, 0, "127.0.0.1", "a", 10000);
	wait_for(f, 0);
	assert_int_equal(f->rc[0], 0);
	assert_string_equal(f->addr[0], "127.0.0.1");
	resolver_close(&f->rs, closed_cb);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->closed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_deadline_and_late_answer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_orphan_answer_dropped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_per_key_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel_close_reentry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_real_lookup, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
