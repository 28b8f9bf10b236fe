/* SPDX-License-Identifier: MIT */
/*
 * ghauth.h — the credential runwarden sends to GitHub's REST API: the token
 * of github.token_file, or a GitHub App's installation access token.
 *
 * The App flow (GitHub's "Authenticating as a GitHub App" and "Create an
 * installation access token for an app"): a JWT, RS256-signed with the
 * App's private key by libcrypto (EVP_DigestSign), header
 * {"alg":"RS256","typ":"JWT"}, claims {"iat": now - 60, "exp": now + 540,
 * "iss": "APP_ID"} (iat backdated for clock drift; exp at most 10 minutes
 * after iat), base64url by EVP_EncodeBlock with the URL-safe alphabet and no
 * padding; sent as `Authorization: Bearer JWT` in
 * `POST {api_url}/app/installations/{installation_id}/access_tokens`, whose
 * 201 answer is {"token", "expires_at"}. The token is renewed in the
 * background once less than GHAUTH_RENEW_BEFORE_MS (5 minutes) of its
 * lifetime remain — or half of it, for a token that lives less than 10
 * minutes — and is no longer handed out once less than a quarter of that
 * margin remains. Its expiry is kept on the loop's monotonic clock (the
 * wall-clock expires_at is converted once, when it arrives), so a
 * wall-clock step after that changes nothing. One exchange at a time.
 *
 * When no token can be had (no credentials, the exchange failed), the
 * caller gets the reason and the poller reports "no list": the monitor's
 * blindness, never a runner's failure. A failed exchange is not retried
 * for retry_ms (GHAUTH_RETRY_MS): callers asking in that time get the same
 * failure at once, so that several sources do not each repeat it.
 *
 * Secrets: the token, the JWT and the key are never logged; the token is
 * wiped when replaced and at ghauth_deinit().
 *
 * Transfers run on the owner's curluv (the poller's: one multi handle and
 * one connection cache for every request to GitHub), so ghauth owns no
 * libuv handle: the owner's curluv done_cb hands it its transfer
 * (ghauth_owns(), ghauth_done()), and the owner calls ghauth_cancel()
 * before it closes the curluv.
 *
 * Lifecycle (embedded struct, no handle): ghauth_init() → ghauth_cancel()
 * → ghauth_deinit(). ready_cb never runs after ghauth_cancel().
 */
#ifndef RW_GHAUTH_H
#define RW_GHAUTH_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/core/config.h"
#include "monitor/github/ghreq.h"
#include "monitor/probe/curluv.h"

#define GHAUTH_JWT_BACKDATE_S  60     /* iat = now - 60 */
#define GHAUTH_JWT_AHEAD_S     540    /* exp = now + 540: 600 s after iat */
#define GHAUTH_RENEW_BEFORE_MS 300000 /* renew when less than 5 min remain */
#define GHAUTH_TIMEOUT_MS      30000
#define GHAUTH_RETRY_MS        10000
#define GHAUTH_BODY_MAX        (64 * 1024)
#define GHAUTH_TOKEN_MAX       1024

/** ghauth_token()'s answer when an exchange is under way: ready_cb will run. */
#define GHAUTH_PENDING 1

struct ghauth;

/**
 * An exchange ended: @p rc 0, a new token is available (ghauth_token());
 * @p rc < 0, it failed and @p why says why (one line, no secret).
 * Runs on the loop, for renewals in the background too.
 */
typedef void (*ghauth_ready_cb)(struct ghauth *a, int rc, const char *why, void *data);

struct ghauth {
	struct curluv *cu; /* the owner's */
	const struct rw_github_cfg *cfg;
	enum rw_github_auth mode;
	EVP_PKEY *key; /* the App's key (AUTH_APP) */
	struct ghreq req;
	char url[URL_MAX + 64]; /* the token exchange's URL */
	ghauth_ready_cb ready_cb;
	void *data;
	bool exchanging; /* a token exchange in flight */
	bool canceled;   /* ghauth_cancel(): no more exchanges, no ready_cb */

	char token[GHAUTH_TOKEN_MAX]; /* the installation token; "" when none */
	uint64_t gen;                 /* counts the tokens obtained */
	uint64_t renew_at;            /* loop times: start renewing ... */
	uint64_t usable_until;        /* ... and stop handing it out */
	uint64_t retry_at;            /* no new exchange before (after a failure) */
	int last_rc;                  /* the last exchange's failure, 0 after a success */
	char why[256];                /* and why */
	uint64_t retry_ms;            /* GHAUTH_RETRY_MS; tests may lower it */
	long timeout_ms;              /* GHAUTH_TIMEOUT_MS; tests may lower it */

	uint64_t exchanges_ok, exchanges_failed;
};

/**
 * Starts from @p cfg (which must outlive @p a), its exchanges to run on
 * @p cu (likewise): loads the App's key (AUTH_APP). No request is made
 * before a token is asked for.
 * @param err  one line on failure.
 * @return 0, RW_EINVAL (the key does not load), RW_ENOMEM. On failure,
 *         ghauth_deinit() frees what was made.
 */
int ghauth_init(struct ghauth *a, struct curluv *cu, const struct rw_github_cfg *cfg,
                ghauth_ready_cb ready_cb, void *data, char *err, size_t errlen);

/**
 * The credential to send now.
 *
 * @param token  on 0, the token (owned by @p a; valid until control returns
 *               to the loop: copy it into the request at once).
 * @param gen    on 0, which token it is (for ghauth_reject()); may be NULL.
 * @param why    on a failure, why (owned by @p a, one line).
 * @return 0; GHAUTH_PENDING when an exchange is under way (ready_cb runs
 *         when it ends); RW_EINVAL when no credentials are configured;
 *         the last exchange's failure (RW_ENET, RW_ETIMEDOUT, RW_EIO,
 *         RW_ENOENT) while it is not yet to be retried; RW_ENOMEM, or
 *         RW_ECANCELED after ghauth_cancel(). With a token that is due for
 *         renewal but still usable, returns it and starts the renewal.
 */
int ghauth_token(struct ghauth *a, const char **token, uint64_t *gen, const char **why);

/** Whether @p easy is the handle of ghauth's exchange. */
bool ghauth_owns(const struct ghauth *a, const CURL *easy);

/** The owner's curluv done_cb, for ghauth's handle: the exchange ended. */
void ghauth_done(struct ghauth *a, CURLcode result, int rc);

/**
 * GitHub refused the token @p gen (401): it is forgotten, so that the next
 * ghauth_token() exchanges for a new one. A token file's token stays (it is
 * read at start-up only; the failure is GitHub's answer to report).
 */
void ghauth_reject(struct ghauth *a, uint64_t gen);

/**
 * Builds and signs a JWT for @p app_id, issued at @p now_s (epoch seconds),
 * into @p out. Exposed for tests. @return 0, RW_EINVAL (out too small, the
 * key cannot sign), RW_ENOMEM.
 */
int ghauth_jwt(EVP_PKEY *key, int64_t app_id, int64_t now_s, char *out, size_t len);

/** Aborts an exchange in flight (no ready_cb runs for it) and stops
 *  starting new ones. Call before closing the curluv. */
void ghauth_cancel(struct ghauth *a);

/** Frees and wipes what ghauth_init() made. Accepts a zeroed struct. */
void ghauth_deinit(struct ghauth *a);

#endif
