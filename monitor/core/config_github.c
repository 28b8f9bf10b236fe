/* SPDX-License-Identifier: MIT */
/*
 * config_github.c — the "github" object of the config file (config.h,
 * struct rw_github_cfg): its keys checked one by one, then together (a
 * token or a whole App, not both), then the files it names read, once, at
 * start-up.
 *
 * Invariants: an error is one line naming the key as "github.KEY" and never
 * quoting a file's content; every buffer that held a secret is wiped
 * (OPENSSL_cleanse) before it is freed; the private key is only checked
 * here (libcrypto loads it, and it must be RSA, as RS256 needs): the
 * GitHub client loads it again from the text kept in app_private_key_pem.
 */
#include "monitor/core/config_impl.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/url.h"
#include "policy/base/rw_error.h"

void config_github_defaults(struct rw_github_cfg *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->api_url, sizeof(g->api_url), "%s", RW_GITHUB_API_URL);
	g->poll_interval_s = RW_GITHUB_POLL_S;
}

void config_github_deinit(struct rw_github_cfg *g)
{
	config_wipe_free(&g->token);
	config_wipe_free(&g->app_private_key_pem);
	config_wipe_free(&g->webhook_secret);
}

/* A token goes into an Authorization header: visible ASCII only, so that
 * it can neither end the header nor start another. */
static bool token_ok(const char *t)
{
	for (; *t; t++)
		if (*t < 0x21 || *t > 0x7e)
			return false;
	return true;
}

static int read_token(struct rw_github_cfg *g, char *why, size_t whylen)
{
	g->token = config_first_line(g->token_file, true, why, whylen);
	if (!g->token)
		return RW_EINVAL;
	if (!token_ok(g->token)) {
		snprintf(why, whylen,
		         "%s: the token holds a space or a byte outside printable ASCII",
		         g->token_file);
		config_wipe_free(&g->token);
		return RW_EINVAL;
	}
	return 0;
}

static int read_private_key(struct rw_github_cfg *g, char *why, size_t whylen)
{
	const char *file = g->app_private_key_file;
	size_t len = 0;
	char *pem = config_read_secret_file(file, &len, why, whylen);
	BIO *bio;
	EVP_PKEY *key = NULL;

	if (!pem)
		return RW_EINVAL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio) {
		/* No passphrase callback: an encrypted key fails to load. */
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
		BIO_free(bio);
	}
	ERR_clear_error();
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		snprintf(why, whylen, "%s: %s", file,
		         !bio  ? "out of memory"
		         : key ? "not an RSA key (a GitHub App's key is RSA, for RS256)"
		               : "not a PEM private key that libcrypto loads (unencrypted, as "
		                 "GitHub gives it)");
		EVP_PKEY_free(key);
		OPENSSL_cleanse(pem, len);
		free(pem);
		return RW_EINVAL;
	}
	EVP_PKEY_free(key);
	g->app_private_key_pem = pem;
	return 0;
}

static int str_key(const cJSON *v, const char *key, char *dst, size_t n, const char *path,
                   char *err, size_t errlen)
{
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= n) {
		snprintf(err, errlen,
		         "%s: github.%s: must be a non-empty string shorter than %zu bytes", path,
		         key, n);
		return RW_EINVAL;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return 0;
}

/* A whole number in [lo, hi]. */
static int int_key(const cJSON *v, const char *key, int64_t lo, int64_t hi, int64_t *out,
                   const char *path, char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < (double)lo || v->valuedouble > (double)hi ||
	    v->valuedouble != (double)(int64_t)v->valuedouble) {
		snprintf(err, errlen, "%s: github.%s: must be a whole number in [%lld, %lld]", path,
		         key, (long long)lo, (long long)hi);
		return RW_EINVAL;
	}
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int api_url_key(struct rw_github_cfg *g, const cJSON *v, const char *path, char *err,
                       size_t errlen)
{
	char host[256], why[200];
	size_t len;

	if (!cJSON_IsString(v)) {
		snprintf(err, errlen, "%s: github.api_url: must be an http(s) URL", path);
		return RW_EINVAL;
	}
	if (url_parse(v->valuestring, host, sizeof(host), NULL, NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: github.api_url: %s", path, why);
		return RW_EINVAL;
	}
	/* Paths are appended to it: a query or a fragment would swallow them. */
	if (strpbrk(v->valuestring, "?#")) {
		snprintf(err, errlen,
		         "%s: github.api_url: must have no query or fragment (e.g. "
		         "https://api.github.com or https://HOST/api/v3)",
		         path);
		return RW_EINVAL;
	}
	snprintf(g->api_url, sizeof(g->api_url), "%s", v->valuestring);
	len = strlen(g->api_url);
	while (len > 0 && g->api_url[len - 1] == '/')
		g->api_url[--len] = '\0';
	return 0;
}

/* The keys' combination, then the files. */
static int finish(struct rw_github_cfg *g, const char *path, char *err, size_t errlen)
{
	bool app_any = g->app_id || g->app_private_key_file[0] || g->installation_id;
	char why[1400];

	if (g->token_file[0] && app_any) {
		snprintf(err, errlen,
		         "%s: github.token_file: give either token_file or a GitHub App "
		         "(app_id, app_private_key_file, installation_id), not both",
		         path);
		return RW_EINVAL;
	}
	if (app_any) {
		const char *missing = !g->app_id                    ? "app_id"
		                      : !g->app_private_key_file[0] ? "app_private_key_file"
		                      : !g->installation_id         ? "installation_id"
		                                                    : NULL;
		if (missing) {
			snprintf(err, errlen,
			         "%s: github.%s: missing (a GitHub App needs app_id, "
			         "app_private_key_file and installation_id)",
			         path, missing);
			return RW_EINVAL;
		}
		g->auth = RW_GITHUB_AUTH_APP;
		if (read_private_key(g, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: github.app_private_key_file: %s", path, why);
			return RW_EINVAL;
		}
	} else if (g->token_file[0]) {
		g->auth = RW_GITHUB_AUTH_TOKEN;
		if (read_token(g, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: github.token_file: %s", path, why);
			return RW_EINVAL;
		}
	}
	if (g->webhook_secret_file[0]) {
		g->webhook_secret =
		        config_first_line(g->webhook_secret_file, false, why, sizeof(why));
		if (g->webhook_secret && strlen(g->webhook_secret) < RW_GITHUB_WEBHOOK_SECRET_MIN) {
			snprintf(why, sizeof(why),
			         "%s: the secret must be at least %d bytes (e.g. `openssl rand "
			         "-hex 32`)",
			         g->webhook_secret_file, RW_GITHUB_WEBHOOK_SECRET_MIN);
			config_wipe_free(&g->webhook_secret);
		}
		if (!g->webhook_secret) {
			snprintf(err, errlen, "%s: github.webhook_secret_file: %s", path, why);
			return RW_EINVAL;
		}
	}
	return 0;
}

int config_github_parse(struct rw_github_cfg *g, const cJSON *v, const char *path, char *err,
                        size_t errlen)
{
	const cJSON *m;
	int64_t n;

	if (!cJSON_IsObject(v)) {
		snprintf(err, errlen, "%s: github: must be an object", path);
		return RW_EINVAL;
	}
	config_github_deinit(g);
	config_github_defaults(g);
	g->configured = true;
	cJSON_ArrayForEach(m, v)
	{
		const char *k = m->string;
		int rc = 0;

		if (strcmp(k, "api_url") == 0) {
			rc = api_url_key(g, m, path, err, errlen);
		} else if (strcmp(k, "token_file") == 0) {
			rc = str_key(m, k, g->token_file, sizeof(g->token_file), path, err, errlen);
			if (rc == 0)
				rc = config_rebase(path, "github.token_file", g->token_file,
				                   sizeof(g->token_file), err, errlen);
		} else if (strcmp(k, "app_id") == 0) {
			rc = int_key(m, k, 1, INT64_C(1) << 53, &g->app_id, path, err, errlen);
		} else if (strcmp(k, "app_private_key_file") == 0) {
			rc = str_key(m, k, g->app_private_key_file, sizeof(g->app_private_key_file),
			             path, err, errlen);
			if (rc == 0)
				rc = config_rebase(path, "github.app_private_key_file",
				                   g->app_private_key_file,
				                   sizeof(g->app_private_key_file), err, errlen);
		} else if (strcmp(k, "installation_id") == 0) {
			rc = int_key(m, k, 1, INT64_C(1) << 53, &g->installation_id, path, err,
			             errlen);
		} else if (strcmp(k, "poll_interval_s") == 0) {
			rc = int_key(m, k, RW_GITHUB_POLL_MIN_S, RW_GITHUB_POLL_MAX_S, &n, path,
			             err, errlen);
			g->poll_interval_s = rc == 0 ? (int)n : g->poll_interval_s;
		} else if (strcmp(k, "webhook_secret_file") == 0) {
			rc = str_key(m, k, g->webhook_secret_file, sizeof(g->webhook_secret_file),
			             path, err, errlen);
			if (rc == 0)
				rc = config_rebase(path, "github.webhook_secret_file",
				                   g->webhook_secret_file,
				                   sizeof(g->webhook_secret_file), err, errlen);
		} else {
			snprintf(
			        err, errlen,
			        "%s: github.%s: unknown key (allowed: api_url, token_file, app_id, "
			        "app_private_key_file, installation_id, poll_interval_s, "
			        "webhook_secret_file)",
			        path, k);
			rc = RW_EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	return finish(g, path, err, errlen);
}
