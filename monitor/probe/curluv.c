/* SPDX-License-Identifier: MIT */
/*
 * curluv.c — libcurl multi driven by libuv; see curluv.h for the contract.
 *
 * Each socket curl tells us about gets a `struct sockctx` holding a uv_poll_t,
 * stored with curl_multi_assign so curl hands it back. On CURL_POLL_REMOVE the
 * poll is stopped and closed at once (curl closes the descriptor right after
 * the callback returns) and the context is freed in the close callback.
 * Every return value of curl and libuv is checked; failures are logged,
 * never ignored silently, and a transfer that cannot be driven is finished
 * with an error rather than left hanging.
 *
 * The glue's own failures (no memory for a socket context, a socket libuv
 * will not poll) never reach curl as an error: a socket or timer callback
 * that returns -1 makes libcurl fail every transfer of the multi handle,
 * and a probe's transfer would be charged to a runner for the monitor's own
 * trouble. Instead the callback returns 0, the affected transfer is queued
 * in cu->failed with the glue's RW_E* code, and the timer, armed at 0 ms,
 * removes it and runs done_cb from the loop: curl's callbacks must not
 * remove handles. A transfer in that queue that curl finishes first is
 * reported with the glue's code too: whatever curl saw, the glue had
 * stopped driving it. Queueing never allocates (cap_failed >= running,
 * grown by curluv_add()).
 *
 * One timer serves both curl's timeout and that queue, so that the only
 * fallible step after a uv handle exists is none (a second handle would
 * leave curluv_init() a half-initialised struct to close asynchronously on
 * failure): curl_due remembers curl's deadline while the timer runs early
 * for the queue, and arm() chooses the earlier of the two.
 *
 * Invariant: pending_closes counts the uv handles initialised and not yet
 * closed (the timer, one poll per socket context); closed_cb runs when it
 * reaches 0 after curluv_close().
 */
#include "monitor/probe/curluv.h"

#include <stdint.h>
#include <stdlib.h>

#include "monitor/core/log.h"
#include "policy/base/rw_error.h"

struct sockctx {
	uv_poll_t poll;
	curl_socket_t fd;
	int events; /* UV_READABLE|UV_WRITABLE being polled, 0 before the first start */
	struct curluv *cu;
};

static int from_uv(int uvrc)
{
	return uvrc == UV_ENOMEM ? RW_ENOMEM : RW_EIO;
}

static int from_curlm(CURLMcode mc)
{
	return mc == CURLM_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
}

static void log_curlm(const char *what, CURLMcode mc)
{
	log_msg(RW_LOG_ERROR, what, "error", curl_multi_strerror(mc));
}

/* Takes @p easy out of the failed queue; returns its code, or 0 when it
 * was not queued. */
static int failed_take(struct curluv *cu, CURL *easy)
{
	for (size_t i = 0; i < cu->n_failed; i++) {
		if (cu->failed[i].easy == easy) {
			int rc = cu->failed[i].rc;
			cu->failed[i] = cu->failed[--cu->n_failed];
			return rc;
		}
	}
	return 0;
}

static void timer_cb(uv_timer_t *t);

/* Arms the timer for the failed transfers (now) or curl's deadline. */
static void arm(struct curluv *cu)
{
	uint64_t now = uv_now(cu->loop), wait;
	int rc;

	if (cu->n_failed > 0) {
		wait = 0;
	} else if (cu->curl_due == UINT64_MAX) {
		uv_timer_stop(&cu->timer);
		return;
	} else {
		wait = cu->curl_due > now ? cu->curl_due - now : 0;
	}
	/* Starting an initialised timer fails only once it is closing,
	 * after the multi handle is gone. */
	rc = uv_timer_start(&cu->timer, timer_cb, wait, 0);
	if (rc < 0)
		log_msg(RW_LOG_ERROR, "uv_timer_start failed", "error", uv_strerror(rc));
}

/* Called from inside curl's callbacks: queues @p easy to be finished from
 * the loop with @p rc, once. */
static void fail_transfer(struct curluv *cu, CURL *easy, int rc)
{
	for (size_t i = 0; i < cu->n_failed; i++)
		if (cu->failed[i].easy == easy)
			return;
	if (cu->n_failed < cu->cap_failed) /* always, by the invariant */
		cu->failed[cu->n_failed++] = (struct curluv_failed){easy, rc};
	arm(cu);
}

/* Removes @p easy from the multi handle and runs done_cb for it. */
static void end_transfer(struct curluv *cu, CURL *easy, CURLcode result, int rc)
{
	CURLMcode mc = curl_multi_remove_handle(cu->multi, easy);

	/* Only a bad handle or a call from inside a callback fail here, both
	 * our bugs: say so, and keep the contract (done_cb runs once). */
	if (mc != CURLM_OK)
		log_curlm("curl_multi_remove_handle failed", mc);
	cu->running--;
	cu->done_cb(cu, easy, result, rc);
}

static void check_done(struct curluv *cu)
{
	CURLMsg *msg;
	int left;

	while (cu->multi && (msg = curl_multi_info_read(cu->multi, &left))) {
		CURL *easy;
		CURLcode result;
		int rc;
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* Copy out before remove_handle: msg is invalid afterwards. */
		easy = msg->easy_handle;
		result = msg->data.result;
		rc = cu->n_failed ? failed_take(cu, easy) : 0;
		end_transfer(cu, easy, rc ? CURLE_ABORTED_BY_CALLBACK : result, rc);
	}
}

static void socket_action(struct curluv *cu, curl_socket_t fd, int events)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(cu->multi, fd, events, &running);
	if (mc != CURLM_OK)
		log_curlm("curl_multi_socket_action failed", mc);
	check_done(cu);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct sockctx *sc = h->data;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	socket_action(sc->cu, sc->fd, flags);
}

static void timer_cb(uv_timer_t *t)
{
	struct curluv *cu = t->data;

	/* done_cb may add transfers (and fail them): take one at a time. */
	while (cu->n_failed > 0) {
		struct curluv_failed fl = cu->failed[--cu->n_failed];
		end_transfer(cu, fl.easy, CURLE_ABORTED_BY_CALLBACK, fl.rc);
	}
	if (cu->multi && cu->curl_due != UINT64_MAX && uv_now(cu->loop) >= cu->curl_due) {
		/* curl sets the next deadline through on_timer, if any. */
		cu->curl_due = UINT64_MAX;
		socket_action(cu, CURL_SOCKET_TIMEOUT, 0);
	} else if (cu->multi) {
		arm(cu);
	}
}

static void handle_closed(struct curluv *cu)
{
	if (--cu->pending_closes == 0 && cu->closing && cu->closed_cb)
		cu->closed_cb(cu);
}

static void sock_close_cb(uv_handle_t *h)
{
	struct sockctx *sc = h->data;
	struct curluv *cu = sc->cu;
	free(sc);
	handle_closed(cu);
}

/* Never returns -1: see the file comment. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curluv *cu = userp;
	struct sockctx *sc = socketp;
	int events = 0, rc;
	CURLMcode mc;

	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			/* uv_close() stops the poll itself (an epoll_ctl); a
			 * uv_poll_stop() before it was a second, failing one. */
			if (!cu->closing) {
				mc = curl_multi_assign(cu->multi, fd, NULL);
				if (mc != CURLM_OK)
					log_curlm("curl_multi_assign failed", mc);
			}
			uv_close((uv_handle_t *)&sc->poll, sock_close_cb);
		}
		return 0;
	}
	if (!sc) {
		sc = cu->alloc(sizeof(*sc));
		if (!sc) {
			log_msg(RW_LOG_ERROR, "out of memory for a socket; the transfer ends", NULL,
			        NULL);
			fail_transfer(cu, easy, RW_ENOMEM);
			return 0;
		}
		rc = cu->poll_init(cu->loop, &sc->poll, fd);
		if (rc < 0) {
			log_msg(RW_LOG_ERROR, "uv_poll_init_socket failed; the transfer ends",
			        "error", uv_strerror(rc));
			free(sc);
			fail_transfer(cu, easy, from_uv(rc));
			return 0;
		}
		sc->fd = fd;
		sc->events = 0;
		sc->cu = cu;
		sc->poll.data = sc;
		cu->pending_closes++;
		mc = curl_multi_assign(cu->multi, fd, sc);
		if (mc != CURLM_OK) {
			/* curl would not hand sc back at CURL_POLL_REMOVE. */
			log_curlm("curl_multi_assign failed; the transfer ends", mc);
			uv_close((uv_handle_t *)&sc->poll, sock_close_cb);
			fail_transfer(cu, easy, from_curlm(mc));
			return 0;
		}
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	/* libuv re-registers the descriptor on every uv_poll_start (two
	 * epoll_ctl calls): skip it when nothing changes. */
	if (events == sc->events)
		return 0;
	rc = cu->poll_start(&sc->poll, events, poll_cb);
	if (rc < 0) {
		log_msg(RW_LOG_ERROR, "uv_poll_start failed; the transfer ends", "error",
		        uv_strerror(rc));
		fail_transfer(cu, easy, from_uv(rc));
		return 0;
	}
	sc->events = events;
	return 0;
}

/* Never returns -1 either: that too would fail every transfer. 0 means
 * "call socket_action now": the timer does it from the loop, not from
 * inside curl's callback. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct curluv *cu = userp;
	(void)multi;

	cu->curl_due = timeout_ms < 0 ? UINT64_MAX : uv_now(cu->loop) + (uint64_t)timeout_ms;
	arm(cu);
	return 0;
}

static void timer_close_cb(uv_handle_t *h)
{
	handle_closed(h->data);
}

int curluv_init(struct curluv *cu, uv_loop_t *loop, curluv_done_cb done_cb, long max_conns)
{
	CURLMcode mc = CURLM_OK;
	int rc;

	cu->loop = loop;
	cu->done_cb = done_cb;
	cu->closed_cb = NULL;
	cu->closing = 0;
	cu->running = 0;
	cu->pending_closes = 0;
	cu->curl_due = UINT64_MAX;
	cu->failed = NULL;
	cu->n_failed = cu->cap_failed = 0;
	cu->alloc = malloc;
	cu->poll_init = uv_poll_init_socket;
	cu->poll_start = uv_poll_start;
	cu->multi = curl_multi_init();
	if (!cu->multi)
		return RW_ENOMEM;
#define SETM(opt, val)                                                                             \
	do {                                                                                       \
		if (mc == CURLM_OK)                                                                \
			mc = curl_multi_setopt(cu->multi, opt, val);                               \
	} while (0)
	SETM(CURLMOPT_SOCKETFUNCTION, on_socket);
	SETM(CURLMOPT_SOCKETDATA, cu);
	SETM(CURLMOPT_TIMERFUNCTION, on_timer);
	SETM(CURLMOPT_TIMERDATA, cu);
	SETM(CURLMOPT_MAXCONNECTS, max_conns);
#undef SETM
	if (mc != CURLM_OK) {
		log_curlm("curl_multi_setopt failed", mc);
		curl_multi_cleanup(cu->multi);
		cu->multi = NULL;
		return from_curlm(mc);
	}
	/* The last fallible step, so that a failure leaves nothing to close. */
	rc = uv_timer_init(loop, &cu->timer);
	if (rc < 0) {
		curl_multi_cleanup(cu->multi);
		cu->multi = NULL;
		return from_uv(rc);
	}
	cu->timer.data = cu;
	cu->pending_closes++;
	return 0;
}

CURLcode curluv_easy_trust(CURL *easy)
{
	/* A NULL CAPATH overrides the built-in default (Curl_setstropt frees
	 * it); CAINFO keeps the built-in bundle. */
	CURLcode c = curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);

	if (c == CURLE_OK)
		c = curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, CURLUV_CA_CACHE_S);
	return c;
}

int curluv_add(struct curluv *cu, CURL *easy)
{
	CURLMcode mc;

	if (cu->closing)
		return RW_ECANCELED;
	if (cu->running + 1 > cu->cap_failed) {
		size_t ncap = cu->cap_failed ? cu->cap_failed * 2 : 16;
		struct curluv_failed *nf = realloc(cu->failed, ncap * sizeof(*nf));
		if (!nf)
			return RW_ENOMEM;
		cu->failed = nf;
		cu->cap_failed = ncap;
	}
	mc = curl_multi_add_handle(cu->multi, easy);
	if (mc != CURLM_OK)
		return from_curlm(mc);
	cu->running++;
	return 0;
}

void curluv_abort(struct curluv *cu, CURL *easy)
{
	if (cu->n_failed)
		failed_take(cu, easy);
	end_transfer(cu, easy, CURLE_ABORTED_BY_CALLBACK, RW_ECANCELED);
}

void curluv_close(struct curluv *cu, curluv_closed_cb cb)
{
	CURLMcode mc;

	cu->closing = 1;
	cu->closed_cb = cb;
	uv_timer_stop(&cu->timer);
	/* Cleanup closes cached connections; on_socket closes their polls. */
	mc = curl_multi_cleanup(cu->multi);
	if (mc != CURLM_OK)
		log_curlm("curl_multi_cleanup failed", mc);
	cu->multi = NULL;
	free(cu->failed);
	cu->failed = NULL;
	cu->n_failed = cu->cap_failed = 0;
	uv_close((uv_handle_t *)&cu->timer, timer_close_cb);
}
