/* SPDX-License-Identifier: MIT */
/*
 * status.h — the public status page at GET /: one self-contained HTML page
 * (inline CSS and SVG, no script, nothing fetched) showing a summary (runners
 * by state and verdict, pools below the minimum, open incidents, what needs
 * someone now), then per target pool its runners with their current state,
 * rolling-window uptime against their floor, verdict and STATUS_DAYS daily
 * bars, then the incidents of the last STATUS_DAYS days. It reads on a
 * laptop, as cards on a phone, and on paper.
 *
 * The page is built from the in-memory fleet plus each runner's stored
 * intervals and maintenance windows (never raw samples), and cached: it is
 * rebuilt when a request finds it STATUS_MAX_AGE_MS old, and by the daemon's
 * once-a-minute job while someone is reading it, so a request usually costs
 * a copy of the cached bytes. Only the loop thread calls these functions.
 */
#ifndef RW_STATUS_H
#define RW_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct api_ctx;
struct status;

/** Days of daily bars and of incident history on the page. */
#define STATUS_DAYS 90

/** A cached page older than this is rebuilt before it is served. */
#define STATUS_MAX_AGE_MS 60000

/**
 * An empty cache that builds pages from @p x's fleet, store, policy and
 * clock (@p x must outlive it). @return the cache, or NULL out of memory.
 */
struct status *status_new(const struct api_ctx *x);

/**
 * The status page, as of at most STATUS_MAX_AGE_MS ago: the cached page, or
 * a new one built first.
 * @param html  receives the page; it belongs to the cache and stays valid
 *              until the next status_*() call.
 * @param len   receives its length in bytes.
 * @return 0, or RW_ENOMEM when there is no page to serve (nothing cached and
 *         the build ran out of memory).
 */
int status_page(struct status *s, const char **html, size_t *len);

/**
 * Builds the page as of @p now_ms now, whatever the cache holds, and caches
 * it: status_page() with the clock given rather than read (the status page
 * as another view of the accounting, judged at a chosen instant, for the
 * tests that hold the views against each other). Same ownership and return
 * values as status_page().
 */
int status_render(struct status *s, int64_t now_ms, const char **html, size_t *len);

/**
 * The once-a-minute job: rebuilds the page when it has been served since it
 * was last built (someone is reading it), so that the next request finds it
 * fresh. Does nothing before the first request.
 */
void status_tick(struct status *s);

/** Frees the cache. Accepts NULL. */
void status_free(struct status *s);

#endif
