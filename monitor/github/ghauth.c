/* SPDX-License-Identifier: MIT */
/*
 * ghauth.c — the token GitHub gets from runwarden; see ghauth.h.
 *
 * No cryptography is written here: libcrypto signs (EVP_DigestSign with
 * SHA-256 over an RSA key: RS256) and encodes (EVP_EncodeBlock); base64url
 * is that output with '+' → '-', '/' → '_' and the '=' padding dropped
 * (RFC 7515 section 2), which libcrypto has no function for.
 *
 * Invariants: at most one exchange in flight (exchanging); token[] is
 * either "" or a token GitHub issued with renew_at <= usable_until on the
 * loop clock; every copy of a token or a JWT made here is wiped when it is
 * no longer needed; ready_cb never runs once canceled is set.
 */
#include "monitor/github/ghauth.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/clock.h"
#include "monitor/core/log.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"

/* base64url without padding of @p n bytes into @p out (@p len bytes);
 * returns the length, or -1 when it does not fit. */
static int b64url(const unsigned char *in, size_t n, char *out, size_t len)
{
	size_t need = 4 * ((n + 2) / 3) + 1;
	int k;

	if (need > len || n > INT32_MAX / 2)
		return -1;
	k = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (k > 0 && out[k - 1] == '=')
		k--;
	out[k] = '\0';
	for (int i = 0; i < k; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return k;
}

int ghauth_jwt(EVP_PKEY *key, int64_t app_id, int64_t now_s, char *out, size_t len)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char claims[128];
	EVP_MD_CTX *ctx;
	unsigned char *sig;
	size_t siglen;
	int n, k, cn, rc = RW_EINVAL;

	cn = snprintf(claims, sizeof(claims),
	              "{\"iat\":%" PRId64 ",\"exp\":%" PRId64 ",\"iss\":\"%" PRId64 "\"}",
	              now_s - GHAUTH_JWT_BACKDATE_S, now_s + GHAUTH_JWT_AHEAD_S, app_id);
	n = b64url((const unsigned char *)header, sizeof(header) - 1, out, len);
	if (n < 0 || (size_t)n + 2 > len)
		return RW_EINVAL;
	out[n++] = '.';
	k = b64url((const unsigned char *)claims, (size_t)cn, out + n, len - (size_t)n);
	if (k < 0)
		return RW_EINVAL;
	n += k;
	siglen = (size_t)EVP_PKEY_get_size(key);
	sig = malloc(siglen ? siglen : 1);
	ctx = EVP_MD_CTX_new();
	if (!sig || !ctx) {
		rc = RW_ENOMEM;
	} else if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	           EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)out, (size_t)n) == 1 &&
	           (size_t)n + 1 < len) {
		/* The signing input is header.claims; the JWT appends .signature. */
		out[n] = '.';
		k = b64url(sig, siglen, out + n + 1, len - (size_t)n - 1);
		rc = k < 0 ? RW_EINVAL : 0;
	}
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	free(sig);
	if (rc < 0 && len > 0)
		OPENSSL_cleanse(out, len);
	return rc;
}

static void wipe_token(struct ghauth *a)
{
	OPENSSL_cleanse(a->token, sizeof(a->token));
	a->renew_at = a->usable_until = 0;
}

/* A token goes into an Authorization header: visible ASCII only. */
static bool token_ok(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if (*t < 0x21 || *t > 0x7e)
			return false;
	return true;
}

static void exchange_failed(struct ghauth *a, int rc, const char *why)
{
	struct logline l;

	a->exchanges_failed++;
	a->last_rc = rc;
	snprintf(a->why, sizeof(a->why), "%s", why);
	a->retry_at = uv_now(a->cu->loop) + a->retry_ms;
	if (log_begin(&l, RW_LOG_WARN, "github app token exchange failed")) {
		log_int(&l, "installation_id", a->cfg->installation_id);
		log_str(&l, "why", why);
		log_end(&l);
	}
}

/* The 201 answer: {"token", "expires_at", ...}. */
static int take_token(struct ghauth *a, char *why, size_t whylen)
{
	cJSON *doc = cJSON_ParseWithLength(a->req.body ? a->req.body : "", a->req.len);
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(doc, "token");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(doc, "expires_at");
	int64_t expires_ms = 0, left, margin;
	uint64_t now = uv_now(a->cu->loop);
	int rc = RW_EIO;

	if (!cJSON_IsString(tok) || !token_ok(tok->valuestring) ||
	    strlen(tok->valuestring) >= sizeof(a->token)) {
		snprintf(why, whylen, "the token exchange's answer has no usable \"token\"");
	} else if (!cJSON_IsString(exp) || rfc3339_parse(exp->valuestring, &expires_ms) < 0) {
		snprintf(why, whylen, "the token exchange's answer has no RFC 3339 \"expires_at\"");
	} else if ((left = expires_ms - clock_wall_ms()) <= 0) {
		snprintf(why, whylen,
		         "the installation token expires_at %.40s is already past (is this "
		         "host's clock right?)",
		         exp->valuestring);
	} else {
		/* Renew with 5 minutes left, or half the lifetime of a short one;
		 * stop handing it out with a quarter of that margin left. */
		margin = left / 2 < GHAUTH_RENEW_BEFORE_MS ? left / 2 : GHAUTH_RENEW_BEFORE_MS;
		wipe_token(a);
		snprintf(a->token, sizeof(a->token), "%s", tok->valuestring);
		a->gen++;
		a->renew_at = now + (uint64_t)(left - margin);
		a->usable_until = now + (uint64_t)(left - margin / 4);
		rc = 0;
	}
	if (tok && cJSON_IsString(tok))
		OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(doc);
	ghreq_wipe_body(&a->req);
	return rc;
}

bool ghauth_owns(const struct ghauth *a, const CURL *easy)
{
	return a->req.easy && a->req.easy == easy;
}

void ghauth_done(struct ghauth *a, CURLcode result, int rc)
{
	char why[sizeof(a->why)], msg[160];
	long status;

	a->exchanging = false;
	if (a->canceled || rc == RW_ECANCELED)
		return;
	status = ghreq_status(&a->req);
	if (rc < 0) {
		snprintf(why, sizeof(why), "the monitor could not drive the token exchange: %s",
		         rw_strerror(rc));
	} else if (result != CURLE_OK) {
		rc = result == CURLE_OPERATION_TIMEDOUT ? RW_ETIMEDOUT : RW_ENET;
		snprintf(why, sizeof(why), "token exchange: %s",
		         a->req.too_large   ? "the answer is too large"
		         : a->req.errbuf[0] ? a->req.errbuf
		                            : curl_easy_strerror(result));
	} else if (status != 201 && status != 200) {
		ghreq_message(&a->req, msg, sizeof(msg));
		ghreq_wipe_body(&a->req);
		rc = status == 404 ? RW_ENOENT : RW_EIO;
		if (status == 404)
			snprintf(why, sizeof(why),
			         "token exchange: installation %" PRId64
			         " not found (HTTP 404; check installation_id)",
			         a->cfg->installation_id);
		else if (status == 401)
			snprintf(why, sizeof(why),
			         "token exchange: GitHub refused the App's JWT (HTTP 401: %s); "
			         "check "
			         "app_id, app_private_key_file and this host's clock",
			         msg);
		else
			snprintf(why, sizeof(why), "token exchange: HTTP %ld%s%s", status,
			         msg[0] ? ": " : "", msg);
	} else {
		rc = take_token(a, why, sizeof(why));
	}
	if (rc < 0) {
		exchange_failed(a, rc, why);
		a->ready_cb(a, rc, a->why, a->data);
		return;
	}
	a->exchanges_ok++;
	a->last_rc = 0;
	a->why[0] = '\0';
	log_msg(RW_LOG_INFO, "github app installation token obtained", NULL, NULL);
	a->ready_cb(a, 0, NULL, a->data);
}

static int start_exchange(struct ghauth *a)
{
	char jwt[2048];
	int rc;

	rc = ghauth_jwt(a->key, a->cfg->app_id, clock_wall_ms() / 1000, jwt, sizeof(jwt));
	if (rc == 0)
		rc = ghreq_prepare(&a->req, a->url, true, "Bearer", jwt, NULL, a->timeout_ms,
		                   GHAUTH_BODY_MAX, a);
	OPENSSL_cleanse(jwt, sizeof(jwt));
	if (rc == 0)
		rc = curluv_add(a->cu, a->req.easy);
	if (rc < 0) {
		char why[128];
		snprintf(why, sizeof(why), "the token exchange could not start: %s",
		         rw_strerror(rc));
		exchange_failed(a, rc, why);
		return rc;
	}
	a->exchanging = true;
	return 0;
}

int ghauth_init(struct ghauth *a, struct curluv *cu, const struct rw_github_cfg *cfg,
                ghauth_ready_cb ready_cb, void *data, char *err, size_t errlen)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->cu = cu;
	a->cfg = cfg;
	a->mode = cfg->auth;
	a->ready_cb = ready_cb;
	a->data = data;
	a->retry_ms = GHAUTH_RETRY_MS;
	a->timeout_ms = GHAUTH_TIMEOUT_MS;
	if (a->mode != RW_GITHUB_AUTH_APP)
		return 0;
	if (cfg->app_private_key_pem) {
		BIO *bio = BIO_new_mem_buf(cfg->app_private_key_pem,
		                           (int)strlen(cfg->app_private_key_pem));
		if (bio)
			a->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
		BIO_free(bio);
		ERR_clear_error();
	}
	if (!a->key || EVP_PKEY_get_base_id(a->key) != EVP_PKEY_RSA) {
		snprintf(
		        err, errlen,
		        "github.app_private_key_file: not an RSA private key that libcrypto loads");
		ghauth_deinit(a);
		return RW_EINVAL;
	}
	snprintf(a->url, sizeof(a->url), "%s/app/installations/%" PRId64 "/access_tokens",
	         cfg->api_url, cfg->installation_id);
	rc = ghreq_init(&a->req);
	if (rc < 0) {
		snprintf(err, errlen, "github: cannot start the token client: %s", rw_strerror(rc));
		ghauth_deinit(a);
	}
	return rc;
}

int ghauth_token(struct ghauth *a, const char **token, uint64_t *gen, const char **why)
{
	uint64_t now = uv_now(a->cu->loop);
	int rc;

	*token = NULL;
	*why = a->why;
	if (gen)
		*gen = a->gen;
	if (a->canceled)
		return RW_ECANCELED;
	if (a->mode == RW_GITHUB_AUTH_NONE) {
		snprintf(a->why, sizeof(a->why),
		         "no GitHub credentials configured (github.token_file, or app_id, "
		         "app_private_key_file and installation_id)");
		return RW_EINVAL;
	}
	if (a->mode == RW_GITHUB_AUTH_TOKEN) {
		*token = a->cfg->token;
		return 0;
	}
	if (a->token[0] && now < a->usable_until) {
		if (now >= a->renew_at && !a->exchanging && now >= a->retry_at)
			start_exchange(a); /* in the background; a failure is remembered */
		*token = a->token;
		if (gen)
			*gen = a->gen;
		return 0;
	}
	if (a->token[0])
		wipe_token(a);
	if (a->exchanging)
		return GHAUTH_PENDING;
	if (a->last_rc < 0 && now < a->retry_at)
		return a->last_rc;
	rc = start_exchange(a);
	return rc < 0 ? rc : GHAUTH_PENDING;
}

void ghauth_reject(struct ghauth *a, uint64_t gen)
{
	if (a->mode == RW_GITHUB_AUTH_APP && a->token[0] && gen == a->gen)
		wipe_token(a);
}

void ghauth_cancel(struct ghauth *a)
{
	a->canceled = true;
	if (a->exchanging)
		curluv_abort(a->cu, a->req.easy); /* ghauth_done(): ignored, canceled */
	a->exchanging = false;
}

void ghauth_deinit(struct ghauth *a)
{
	ghreq_deinit(&a->req);
	EVP_PKEY_free(a->key);
	a->key = NULL;
	wipe_token(a);
}
