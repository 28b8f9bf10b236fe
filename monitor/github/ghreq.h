/* SPDX-License-Identifier: MIT */
/*
 * ghreq.h — one request to GitHub's REST API on a curl easy handle that its
 * owner keeps and reuses (a runner list page, a token exchange): GitHub's
 * headers, the answer's body kept up to a cap, its headers read back
 * through libcurl's header API, and GitHub's error message.
 *
 * Every request carries `Accept: application/vnd.github+json`,
 * `X-GitHub-Api-Version: 2022-11-28` and `User-Agent: runwarden/VERSION`
 * (GitHub refuses a request without a User-Agent). Redirects are not
 * followed (the api_url is the admin's, and a token must not travel to
 * another host); only http and https; TLS is verified; the whole request
 * is bounded by its timeout. The api_url is an admin setting, so no address
 * guard applies (config.h).
 *
 * Secrets: the Authorization line is built in memory the request owns and
 * wiped (OPENSSL_cleanse) when the next request is prepared or the request
 * is deinitialised, and so is the body (a token exchange's answer holds a
 * token), also each time it grows (hence no strbuf here: its realloc would
 * leave copies behind). Nothing here logs.
 *
 * Lifecycle: ghreq_init()/ghreq_deinit() (deinit accepts a zeroed struct);
 * the transfer itself runs through the owner's curluv.
 */
#ifndef RW_GHREQ_H
#define RW_GHREQ_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GHREQ_API_VERSION "2022-11-28"

struct ghreq {
	CURL *easy;
	struct curl_slist *hdrs; /* this request's headers (Authorization wiped on reuse) */
	char *body;              /* the answer's body, NUL-terminated (NULL: none yet) */
	size_t len, alloc;       /* its length, and the bytes allocated */
	size_t cap;              /* the most it may hold */
	bool too_large;          /* the body passed cap: the transfer was ended */
	char errbuf[CURL_ERROR_SIZE];
};

/** Creates the easy handle. @return 0 or RW_ENOMEM. */
int ghreq_init(struct ghreq *r);

/**
 * Sets up the next request on the handle (curl_easy_reset() first).
 *
 * @param url           the URL (the caller has checked it).
 * @param post          true: POST with an empty body; false: GET.
 * @param auth_scheme   "Bearer" (tokens and JWTs); with @p credential NULL
 *                      no Authorization header is sent.
 * @param credential    the token or JWT; copied into the header list.
 * @param if_none_match an ETag to send as If-None-Match, or NULL.
 * @param timeout_ms    the whole request's bound.
 * @param cap           the largest body kept; a larger one ends the
 *                      transfer (CURLE_WRITE_ERROR, too_large set).
 * @param priv          CURLOPT_PRIVATE, for the owner's done callback.
 * @return 0, RW_ENOMEM or RW_EINVAL (curl refused an option).
 */
int ghreq_prepare(struct ghreq *r, const char *url, bool post, const char *auth_scheme,
                  const char *credential, const char *if_none_match, long timeout_ms, size_t cap,
                  void *priv);

/** The HTTP status of the finished request, 0 when there was no answer. */
long ghreq_status(struct ghreq *r);

/**
 * The value of the answer's header @p name (case-insensitive), the
 * @p index-th of its kind (0: the first), or NULL. libcurl owns the text;
 * it is valid until the handle's next request.
 */
const char *ghreq_header(struct ghreq *r, const char *name, size_t index);

/**
 * An integer header (x-ratelimit-remaining, x-ratelimit-reset,
 * Retry-After in its delay-seconds form): 0 and *out, or -1 when absent or
 * not a non-negative integer.
 */
int ghreq_header_int(struct ghreq *r, const char *name, int64_t *out);

/**
 * Writes GitHub's "message" from a JSON error body into @p out (at most
 * @p len - 1 bytes, control bytes replaced by '?'), or "" when there is none.
 */
void ghreq_message(const struct ghreq *r, char *out, size_t len);

/**
 * Finds the target of `rel="next"` in the Link header values of the answer
 * and copies it into @p out. @return 1 when found, 0 when there is no next
 * page, RW_EINVAL when a Link value does not parse or the URL does not fit.
 */
int ghreq_link_next(struct ghreq *r, char *out, size_t len);

/**
 * Parses Link header values: exposed for tests. Same return as
 * ghreq_link_next() for one header value.
 */
int ghreq_parse_link(const char *value, char *out, size_t len);

/** Wipes and frees the answer's body (once a secret in it has been taken). */
void ghreq_wipe_body(struct ghreq *r);

/** Wipes what held secrets, frees the handle and the buffers. */
void ghreq_deinit(struct ghreq *r);

#endif
