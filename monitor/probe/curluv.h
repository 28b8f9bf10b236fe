/* SPDX-License-Identifier: MIT */
/*
 * curluv.h — all of the libcurl ↔ libuv glue (after curl's
 * docs/examples/multi-uv.c): one uv_poll_t per socket curl asks about, one
 * uv_timer_t for the multi handle's timeout, and curl_multi_info_read drained
 * after every curl_multi_socket_action.
 *
 * Contract: if curluv_add() returns an error, done_cb never runs for that
 * easy handle; if it returns 0, done_cb runs exactly once for it, on the
 * loop, after the handle has been removed from the multi handle (so the
 * callee may reuse or clean it up at once). curl 7.88 cannot list the easy
 * handles of a multi handle, so the owner tracks its transfers and aborts
 * each with curluv_abort() before curluv_close().
 */
#ifndef RW_CURLUV_H
#define RW_CURLUV_H

#include <curl/curl.h>
#include <uv.h>

struct curluv;

/* How long a multi handle keeps the CA store it built (seconds): an update
 * of the system bundle is seen within this time. */
#define CURLUV_CA_CACHE_S 3600L

/**
 * A transfer ended; @p easy is already out of the multi handle.
 * @param result  curl's verdict when @p rc is 0; else CURLE_ABORTED_BY_CALLBACK.
 * @param rc      0: curl ended the transfer and @p result says how;
 *                RW_ECANCELED: curluv_abort() ended it;
 *                another RW_E* code: the glue itself could not drive the
 *                transfer (RW_ENOMEM, or RW_EIO for a socket libuv would not
 *                poll). That is the monitor's own failure, never the far end's.
 */
typedef void (*curluv_done_cb)(struct curluv *cu, CURL *easy, CURLcode result, int rc);
typedef void (*curluv_closed_cb)(struct curluv *cu);

/* A transfer the glue failed to drive, waiting to be finished from the loop. */
struct curluv_failed {
	CURL *easy;
	int rc;
};

struct curluv {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;  /* curl's timeout, and the failed transfers' finish */
	uint64_t curl_due; /* loop time curl's timeout expires; UINT64_MAX: none */
	curluv_done_cb done_cb;
	curluv_closed_cb closed_cb;
	int pending_closes; /* handles (timers, polls) not yet closed */
	int closing;
	unsigned running; /* transfers in the multi handle */
	/* Failed transfers (each at most once). cap_failed >= running, so that
	 * queueing one never allocates: it may be failing for want of memory. */
	struct curluv_failed *failed;
	size_t n_failed, cap_failed;
	/* Fault-injection seams: curluv_init() sets the real functions; only
	 * tests replace them (after curluv_init()). */
	void *(*alloc)(size_t size);
	int (*poll_init)(uv_loop_t *loop, uv_poll_t *poll, uv_os_sock_t fd);
	int (*poll_start)(uv_poll_t *poll, int events, uv_poll_cb cb);
	void *data; /* the owner's */
};

/**
 * Initialises @p cu on @p loop. @p max_conns bounds curl's
 * connection cache (keep them small: probes do not reuse connections).
 * @return 0 or RW_ENOMEM.
 */
int curluv_init(struct curluv *cu, uv_loop_t *loop, curluv_done_cb done_cb, long max_conns);

/**
 * Sets the TLS trust options of @p easy so that the multi handle's cache of
 * the CA store is used: the system CA bundle (libcurl's default CAINFO) and
 * no CA directory. libcurl builds an X509 store from the bundle for every
 * connection unless it may cache it, and it caches only a store made from a
 * CA file alone (lib/vtls/openssl.c, cache_criteria_met: no CAPATH, no CA
 * blob, no CRL file). Debian's libcurl is built with both a bundle and a CA
 * path, so by default every HTTPS transfer re-read the 200 kB bundle on the
 * loop thread (~45 ms of CPU). Without the CA path the store is built once
 * per multi handle and kept for CURLUV_CA_CACHE_S; on Debian the path holds
 * the same certificates as the bundle, so what is trusted does not change.
 * Call it again after curl_easy_reset().
 * @return CURLE_OK, or curl's error (CURLE_OUT_OF_MEMORY).
 */
CURLcode curluv_easy_trust(CURL *easy);

/** Starts a transfer. @return 0, RW_EINVAL or RW_ENOMEM. */
int curluv_add(struct curluv *cu, CURL *easy);

/** Aborts a running transfer: done_cb runs for it with
 *  CURLE_ABORTED_BY_CALLBACK before this returns. */
void curluv_abort(struct curluv *cu, CURL *easy);

/**
 * Closes the multi handle (every transfer must have been aborted or be done)
 * and its uv handles; when the last one is closed, calls @p cb, after which
 * @p cu may be freed.
 */
void curluv_close(struct curluv *cu, curluv_closed_cb cb);

#endif
