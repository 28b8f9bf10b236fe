/* SPDX-License-Identifier: MIT */
/*
 * ghpoll.h — polling GitHub's self-hosted runner lists, one source at a
 * time, as a good API citizen.
 *
 * A source is an organisation ("OWNER": GET /orgs/{org}/actions/runners) or
 * a repository ("OWNER/REPO": GET /repos/{owner}/{repo}/actions/runners).
 * Pools on the same source share it: ghpoll_add() counts references and
 * one poll serves them all; names compare case-insensitively, as GitHub's
 * do. Each source is polled every interval (github.poll_interval_s), at a
 * phase within the interval taken from a hash of its name, so that sources
 * spread over the interval instead of starting together; a source has at
 * most one request in flight, ever. A poll reads every page
 * (per_page=100, following `Link: <...>; rel="next"` for as long as it is
 * given, at most GHPOLL_MAX_PAGES pages, on the api_url's own origin only),
 * each page conditional on its last ETag (If-None-Match): a 304 costs no
 * rate limit and reuses that page as it was, unparsed; when every page
 * answers 304 the previous list is handed out again as it is.
 *
 * Failures, each reported as "no list" (rc < 0) and followed by a backoff
 * during which the source makes no request:
 *   - 403 or 429 with Retry-After: that many seconds (or until that
 *     HTTP-date); else x-ratelimit-remaining 0: until x-ratelimit-reset.
 *     Both are limits of the credential, not of one source, so no source
 *     starts a request before they pass (the gate);
 *   - another 403 or 429 backs off exponentially from
 *     GHPOLL_BACKOFF_MIN_MS (60 s), doubling to GHPOLL_BACKOFF_MAX_MS (1 h);
 *   - anything else — 401, 404, 5xx, an answer that is not a runner list, a
 *     timeout (GHPOLL_TIMEOUT_MS per request), a connection error, no
 *     token — backs off the same way but from the poll interval when that
 *     is shorter than 60 s, so that GitHub back after a blip is seen at the
 *     next slot.
 * After the backoff the source is polled at once; after a success, at its
 * next slot. A 404 says "not found: OWNER[/REPO] (check the name and the
 * token's access)": GitHub answers 404 both for a name that does not exist
 * and for one the token may not see.
 *
 * Callback contract: result_cb runs once per poll of a source, on the
 * loop: rc 0 with the complete list (every page), or rc < 0 with no list
 * and a reason. A poll cut short by ghpoll_remove() of its last reference
 * or by ghpoll_close() reports nothing: after those calls no result_cb runs
 * for that source (or at all). result_cb may call ghpoll_add(),
 * ghpoll_remove() and ghpoll_close() (removing the source it is told about
 * frees the list it was given: read it first).
 *
 * Lifecycle (embedded struct): ghpoll_init() → ghpoll_add()... →
 * ghpoll_close(cb) → cb runs once, from the loop, after the last handle is
 * closed → ghpoll_deinit(). When ghpoll_init() fails, nothing is left
 * open: call ghpoll_deinit() (which also accepts a zeroed struct).
 */
#ifndef RW_GHPOLL_H
#define RW_GHPOLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/config.h"
#include "monitor/github/ghauth.h"
#include "monitor/github/ghlist.h"
#include "monitor/probe/curluv.h"
#include "policy/base/strbuf.h"

#define GHPOLL_TIMEOUT_MS     30000
#define GHPOLL_BACKOFF_MIN_MS 60000
#define GHPOLL_BACKOFF_MAX_MS 3600000
#define GHPOLL_PER_PAGE       100
#define GHPOLL_MAX_PAGES      100 /* 10,000 runners */
#define GHPOLL_PAGE_MAX       (8 * 1024 * 1024)
#define GHPOLL_SOURCE_MAX     141 /* "OWNER/REPO": 39 + 1 + 100, and the NUL */

/** What a list request ended with (runwarden_github_requests_total{result}). */
enum ghpoll_result {
	GHPOLL_OK,           /* 200: a page */
	GHPOLL_NOT_MODIFIED, /* 304: the page as it was */
	GHPOLL_ERROR,        /* 5xx, another status, a bad body, timeout, transport */
	GHPOLL_RATE_LIMITED, /* 429, or 403 with Retry-After, remaining 0 or "rate limit" */
	GHPOLL_NOT_FOUND,    /* 404 */
	GHPOLL_UNAUTHORIZED, /* 401 */
	GHPOLL_RESULT_COUNT
};

struct ghpoll;
struct ghsource;

/**
 * A poll of @p source ended.
 * @param source   the source as first added (compare case-insensitively).
 * @param runners  rc 0: the whole list, sorted by id, ids unique; owned by
 *                 ghpoll and valid only during the call. NULL when n is 0.
 * @param rc       0: the list; < 0: none (the monitor is blind on this
 *                 source): RW_ENOENT (404), RW_ETIMEDOUT, RW_ENET (no
 *                 connection), RW_EIO (GitHub answered, but not a list:
 *                 401, 403, 429, 5xx, a bad body, a rate limit still
 *                 running), RW_EINVAL (no credentials), RW_ENOMEM.
 * @param why      rc < 0: one line for the log (no secret; GitHub's message
 *                 quoted as received, control bytes replaced); NULL on 0.
 */
typedef void (*ghpoll_result_cb)(struct ghpoll *gp, const char *source,
                                 const struct gh_runner *runners, size_t n, int rc, const char *why,
                                 void *data);
typedef void (*ghpoll_closed_cb)(struct ghpoll *gp, void *data);

/** Timings; a zero field takes its default. Tests shorten them. */
struct ghpoll_opts {
	uint64_t interval_ms;    /* default: github.poll_interval_s */
	uint64_t timeout_ms;     /* GHPOLL_TIMEOUT_MS, per request */
	uint64_t backoff_min_ms; /* GHPOLL_BACKOFF_MIN_MS */
	uint64_t backoff_max_ms; /* GHPOLL_BACKOFF_MAX_MS */
};

/** The counters behind ghpoll_render_metrics(). */
struct ghpoll_stats {
	uint64_t requests[GHPOLL_RESULT_COUNT];
	int64_t rate_remaining;  /* the last x-ratelimit-remaining seen; -1: none yet */
	int64_t last_success_ms; /* wall clock of the last complete list; 0: none */
	uint64_t polls_ok, polls_failed;
	uint64_t bad_transitions; /* state changes the table forbids: bugs, logged */
};

struct ghpoll {
	uv_loop_t *loop;
	const struct rw_github_cfg *cfg;
	struct ghpoll_opts opts;
	struct ghauth auth;
	struct curluv cu;
	uv_timer_t timer;
	struct ghsource **src;
	size_t n_src, cap_src;
	ghpoll_result_cb result_cb;
	void *data;
	ghpoll_closed_cb closed_cb;
	void *closed_data;
	int pending_closes; /* the timer, curluv, ghauth, while closing */
	bool closing;
	bool timer_open;
	uint64_t gate_until; /* loop time: no list request starts before it */
	struct ghpoll_stats stats;
};

/**
 * Starts a poller for @p cfg (which must outlive it) on @p loop, with no
 * source yet. @p opts may be NULL (the defaults).
 * @param err  one line on failure.
 * @return 0, RW_EINVAL (the App key does not load), RW_ENOMEM, RW_EIO (a
 *         libuv handle would not start).
 */
int ghpoll_init(struct ghpoll *gp, uv_loop_t *loop, const struct rw_github_cfg *cfg,
                const struct ghpoll_opts *opts, ghpoll_result_cb result_cb, void *data, char *err,
                size_t errlen);

/**
 * Adds a reference to @p source ("OWNER" or "OWNER/REPO", GitHub's rules:
 * owner 1-39 of [A-Za-z0-9-] not starting with '-', repo 1-100 of
 * [A-Za-z0-9._-] and not "." or ".."); a new source is first polled at its
 * phase, within one interval.
 * @return 0, RW_EINVAL (not a source name), RW_ENOMEM, RW_ECANCELED (closing).
 */
int ghpoll_add(struct ghpoll *gp, const char *source);

/**
 * Drops a reference; at the last one the source's request in flight is
 * aborted, its cache freed, and no result_cb runs for it any more.
 * @return 0, or RW_ENOENT when @p source is not added.
 */
int ghpoll_remove(struct ghpoll *gp, const char *source);

/** Whether @p source ("OWNER" or "OWNER/REPO") is a valid source name. */
bool ghpoll_source_valid(const char *source);

/**
 * Appends runwarden_github_requests_total{result}, _rate_limit_remaining
 * (no sample before GitHub has sent one), _last_success_timestamp_seconds
 * (0 before the first list), _token_exchanges_total{result} and
 * _source_failing{source} (1 while that source is backing off) in the
 * Prometheus text format. @p gp may be NULL (GitHub not in use): the
 * counters at 0.
 */
void ghpoll_render_metrics(const struct ghpoll *gp, struct strbuf *b);

/**
 * Stops: aborts the requests in flight (no result_cb runs for them), closes
 * the handles, then runs @p cb once, from the loop.
 */
void ghpoll_close(struct ghpoll *gp, ghpoll_closed_cb cb, void *data);

/** Frees what is left after the closed callback (or a failed init). */
void ghpoll_deinit(struct ghpoll *gp);

#endif
