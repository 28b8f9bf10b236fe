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
 */
#include "monitor/probe/curluv.h"

#include <stdlib.h>

#include "monitor/core/log.h"
#include "policy/base/rw_error.h"

struct sockctx {
	uv_poll_t poll;
	curl_socket_t fd;
	int events; /* UV_READABLE|UV_WRITABLE being polled, 0 before the first start */
	struct curluv *cu;
};

static void check_done(struct curluv *cu)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cu->multi, &left))) {
		CURL *easy;
		CURLcode result;
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* Copy out before remove_handle: msg is invalid afterwards. */
		easy = msg->easy_handle;
		result = msg->data.result;
		curl_multi_remove_handle(cu->multi, easy);
		cu->running--;
		cu->done_cb(cu, easy, result);
	}
}

static void socket_action(struct curluv *cu, curl_socket_t fd, int events)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(cu->multi, fd, events, &running);
	if (mc != CURLM_OK)
		log_msg(RW_LOG_ERROR, "curl_multi_socket_action failed", "error",
		        curl_multi_strerror(mc));
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

static void timer_cb(uv_timer_t *h)
{
	socket_action(h->data, CURL_SOCKET_TIMEOUT, 0);
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

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curluv *cu = userp;
	struct sockctx *sc = socketp;
	int events = 0, rc;
	(void)easy;

	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			/* uv_close() stops the poll itself (an epoll_ctl); a
			 * uv_poll_stop() before it was a second, failing one. */
			if (!cu->closing)
				curl_multi_assign(cu->multi, fd, NULL);
			uv_close((uv_handle_t *)&sc->poll, sock_close_cb);
		}
		return 0;
	}
	if (!sc) {
		sc = malloc(sizeof(*sc));
		if (!sc)
			return -1; /* curl fails the transfer */
		rc = uv_poll_init_socket(cu->loop, &sc->poll, fd);
		if (rc < 0) {
			log_msg(RW_LOG_ERROR, "uv_poll_init_socket failed", "error",
			        uv_strerror(rc));
			free(sc);
			return -1;
		}
		sc->fd = fd;
		sc->events = 0;
		sc->cu = cu;
		sc->poll.data = sc;
		cu->pending_closes++;
		curl_multi_assign(cu->multi, fd, sc);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	/* libuv re-registers the descriptor on every uv_poll_start (two
	 * epoll_ctl calls): skip it when nothing changes. */
	if (events == sc->events)
		return 0;
	rc = uv_poll_start(&sc->poll, events, poll_cb);
	if (rc < 0) {
		log_msg(RW_LOG_ERROR, "uv_poll_start failed", "error", uv_strerror(rc));
		return -1;
	}
	sc->events = events;
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct curluv *cu = userp;
	(void)multi;

	if (timeout_ms < 0)
		uv_timer_stop(&cu->timer);
	else
		/* 0 means "call socket_action now": do it from the loop, not
		 * from inside curl's callback. */
		uv_timer_start(&cu->timer, timer_cb, (uint64_t)timeout_ms, 0);
	return 0;
}

int curluv_init(struct curluv *cu, uv_loop_t *loop, curluv_done_cb done_cb, long max_conns)
{
	cu->loop = loop;
	cu->done_cb = done_cb;
	cu->closed_cb = NULL;
	cu->closing = 0;
	cu->running = 0;
	cu->pending_closes = 0;
	cu->multi = curl_multi_init();
	if (!cu->multi)
		return RW_ENOMEM;
	if (uv_timer_init(loop, &cu->timer) < 0) {
		curl_multi_cleanup(cu->multi);
		return RW_ENOMEM;
	}
	cu->timer.data = cu;
	cu->pending_closes = 1;
	curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
	curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
	curl_multi_setopt(cu->multi, CURLMOPT_MAXCONNECTS, max_conns);
	return 0;
}

int curluv_add(struct curluv *cu, CURL *easy)
{
	CURLMcode mc;

	if (cu->closing)
		return RW_ECANCELED;
	mc = curl_multi_add_handle(cu->multi, easy);
	if (mc != CURLM_OK)
		return mc == CURLM_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
	cu->running++;
	return 0;
}

static void timer_close_cb(uv_handle_t *h)
{
	handle_closed(h->data);
}

void curluv_abort(struct curluv *cu, CURL *easy)
{
	curl_multi_remove_handle(cu->multi, easy);
	cu->running--;
	cu->done_cb(cu, easy, CURLE_ABORTED_BY_CALLBACK);
}

void curluv_close(struct curluv *cu, curluv_closed_cb cb)
{
	cu->closing = 1;
	cu->closed_cb = cb;
	uv_timer_stop(&cu->timer);
	/* Cleanup closes cached connections; on_socket closes their polls. */
	curl_multi_cleanup(cu->multi);
	cu->multi = NULL;
	uv_close((uv_handle_t *)&cu->timer, timer_close_cb);
}
