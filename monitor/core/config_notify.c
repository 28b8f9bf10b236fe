/* SPDX-License-Identifier: MIT */
/*
 * config_notify.c — the config keys of the notifications people read:
 * "public_url", "zulip": {...} and "smtp": {...} (config.h). Each key is
 * checked alone, then the object as a whole (the required keys), then the
 * files it names are read, once, at start-up.
 *
 * Invariants: an error is one line naming the key ("zulip.stream",
 * "smtp.password_file") and never quoting a secret file's content; the
 * secrets are wiped before they are freed (config_notify_deinit()).
 */
#include "monitor/core/config_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/url.h"
#include "policy/base/rw_error.h"

void config_notify_defaults(struct rw_config *c)
{
	memset(&c->zulip, 0, sizeof(c->zulip));
	snprintf(c->zulip.topic, sizeof(c->zulip.topic), "{target}");
	memset(&c->smtp, 0, sizeof(c->smtp));
	c->smtp.digest_window_s = RW_SMTP_DIGEST_S;
	c->public_url[0] = '\0';
}

void config_notify_deinit(struct rw_config *c)
{
	config_wipe_free(&c->zulip.api_key);
	config_wipe_free(&c->smtp.username);
	config_wipe_free(&c->smtp.password);
}

/* Printable text: no control byte, which could end a header or a line. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A plain address, local@domain: what goes into an SMTP envelope and a
 * header, and the user name of Zulip's basic auth, so nothing that could
 * end or extend either. */
static bool address_ok(const char *a)
{
	const char *at = strchr(a, '@');

	if (!at || at == a || !at[1] || strchr(at + 1, '@') || strlen(a) > 254)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= 0x20 || (unsigned char)*a >= 0x7f ||
		    strchr("<>()[],;:\\\"", *a))
			return false;
	return true;
}

static int str_key(const cJSON *v, const char *obj, const char *key, char *dst, size_t n,
                   const char *path, char *err, size_t errlen)
{
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= n ||
	    !printable(v->valuestring)) {
		snprintf(err, errlen,
		         "%s: %s.%s: must be a non-empty string of printable characters shorter "
		         "than %zu bytes",
		         path, obj, key, n);
		return RW_EINVAL;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return 0;
}

/* An http(s) URL with no query or fragment; a trailing '/' is dropped. */
static int base_url(const cJSON *v, const char *key, char *dst, size_t n, const char *path,
                    char *err, size_t errlen)
{
	char why[200];
	size_t len;

	if (!cJSON_IsString(v) || url_check(v->valuestring, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s: %s", path, key,
		         cJSON_IsString(v) ? why : "must be an http(s) URL");
		return RW_EINVAL;
	}
	if (strpbrk(v->valuestring, "?#")) {
		snprintf(err, errlen, "%s: %s: must have no query or fragment", path, key);
		return RW_EINVAL;
	}
	snprintf(dst, n, "%s", v->valuestring);
	len = strlen(dst);
	while (len > 0 && dst[len - 1] == '/')
		dst[--len] = '\0';
	return 0;
}

int config_public_url_parse(struct rw_config *c, const cJSON *v, const char *path, char *err,
                            size_t errlen)
{
	return base_url(v, "public_url", c->public_url, sizeof(c->public_url), path, err, errlen);
}

/* Only {target} and {runner} are placeholders. */
static int topic_key(struct rw_zulip_cfg *z, const cJSON *v, const char *path, char *err,
                     size_t errlen)
{
	int rc = str_key(v, "zulip", "topic", z->topic, sizeof(z->topic), path, err, errlen);

	for (const char *p = z->topic; rc == 0 && (p = strchr(p, '{')) != NULL; p++) {
		if (strncmp(p, "{target}", 8) != 0 && strncmp(p, "{runner}", 8) != 0) {
			snprintf(err, errlen,
			         "%s: zulip.topic: only {target} and {runner} are substituted",
			         path);
			rc = RW_EINVAL;
		}
	}
	return rc;
}

int config_zulip_parse(struct rw_zulip_cfg *z, const cJSON *v, const char *path, char *err,
                       size_t errlen)
{
	const cJSON *m;
	const char *missing;
	char why[1200];

	if (!cJSON_IsObject(v)) {
		snprintf(err, errlen, "%s: zulip: must be an object", path);
		return RW_EINVAL;
	}
	config_wipe_free(&z->api_key);
	memset(z, 0, sizeof(*z));
	snprintf(z->topic, sizeof(z->topic), "{target}");
	z->configured = true;
	cJSON_ArrayForEach(m, v)
	{
		const char *k = m->string;
		int rc;

		if (strcmp(k, "site") == 0)
			rc = base_url(m, "zulip.site", z->site, sizeof(z->site), path, err, errlen);
		else if (strcmp(k, "bot_email") == 0) {
			rc = str_key(m, "zulip", k, z->bot_email, sizeof(z->bot_email), path, err,
			             errlen);
			if (rc == 0 && !address_ok(z->bot_email)) {
				snprintf(err, errlen,
				         "%s: zulip.bot_email: not an address like bot@example.org",
				         path);
				rc = RW_EINVAL;
			}
		} else if (strcmp(k, "api_key_file") == 0) {
			rc = str_key(m, "zulip", k, z->api_key_file, sizeof(z->api_key_file), path,
			             err, errlen);
			if (rc == 0)
				rc = config_rebase(path, "zulip.api_key_file", z->api_key_file,
				                   sizeof(z->api_key_file), err, errlen);
		} else if (strcmp(k, "stream") == 0)
			rc = str_key(m, "zulip", k, z->stream, sizeof(z->stream), path, err,
			             errlen);
		else if (strcmp(k, "topic") == 0)
			rc = topic_key(z, m, path, err, errlen);
		else {
			snprintf(err, errlen,
			         "%s: zulip.%s: unknown key (allowed: site, bot_email, "
			         "api_key_file, stream, topic)",
			         path, k);
			rc = RW_EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	missing = !z->site[0]           ? "site"
	          : !z->bot_email[0]    ? "bot_email"
	          : !z->api_key_file[0] ? "api_key_file"
	          : !z->stream[0]       ? "stream"
	                                : NULL;
	if (missing) {
		snprintf(err, errlen,
		         "%s: zulip.%s: missing (zulip needs site, bot_email, api_key_file and "
		         "stream)",
		         path, missing);
		return RW_EINVAL;
	}
	z->api_key = config_first_line(z->api_key_file, true, why, sizeof(why));
	if (z->api_key && !printable(z->api_key)) {
		snprintf(why, sizeof(why), "%s: the key holds a control character",
		         z->api_key_file);
		config_wipe_free(&z->api_key);
	}
	if (!z->api_key) {
		snprintf(err, errlen, "%s: zulip.api_key_file: %s", path, why);
		return RW_EINVAL;
	}
	return 0;
}

/* smtp:// or smtps://, then what url_parse() checks of an http(s) URL
 * (host, port, no userinfo: credentials come from files). */
static int smtp_url_key(struct rw_smtp_cfg *m, const cJSON *v, const char *path, char *err,
                        size_t errlen)
{
	char probe[URL_MAX + 8], host[256], why[200];
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	bool tls = strncmp(s, "smtps://", 8) == 0;

	if (!tls && strncmp(s, "smtp://", 7) != 0) {
		snprintf(err, errlen,
		         "%s: smtp.url: must be smtps://HOST[:PORT] or smtp://HOST[:PORT]", path);
		return RW_EINVAL;
	}
	snprintf(probe, sizeof(probe), "http%s", s + 4);
	if (strlen(s) > URL_MAX ||
	    url_parse(probe, host, sizeof(host), NULL, NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: smtp.url: %s", path,
		         strlen(s) > URL_MAX ? "too long" : why);
		return RW_EINVAL;
	}
	if (strpbrk(s, "?#")) {
		snprintf(err, errlen, "%s: smtp.url: must have no query or fragment", path);
		return RW_EINVAL;
	}
	snprintf(m->url, sizeof(m->url), "%s", s);
	/* A local relay (the host's own MTA) may speak plain SMTP; anything
	 * else must offer STARTTLS, or credentials and mail cross the network
	 * in the clear. */
	m->starttls_optional = !tls && (strcmp(host, "localhost") == 0 ||
	                                strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0);
	return 0;
}

int config_smtp_parse(struct rw_smtp_cfg *m, const cJSON *v, const char *path, char *err,
                      size_t errlen)
{
	const cJSON *k;
	char why[1200];
	long n;

	if (!cJSON_IsObject(v)) {
		snprintf(err, errlen, "%s: smtp: must be an object", path);
		return RW_EINVAL;
	}
	config_wipe_free(&m->username);
	config_wipe_free(&m->password);
	memset(m, 0, sizeof(*m));
	m->digest_window_s = RW_SMTP_DIGEST_S;
	m->configured = true;
	cJSON_ArrayForEach(k, v)
	{
		const char *key = k->string;
		int rc;

		if (strcmp(key, "url") == 0)
			rc = smtp_url_key(m, k, path, err, errlen);
		else if (strcmp(key, "from") == 0) {
			rc = str_key(k, "smtp", key, m->from, sizeof(m->from), path, err, errlen);
			if (rc == 0 && !address_ok(m->from)) {
				snprintf(err, errlen,
				         "%s: smtp.from: not an address like runwarden@example.org",
				         path);
				rc = RW_EINVAL;
			}
		} else if (strcmp(key, "username_file") == 0) {
			rc = str_key(k, "smtp", key, m->username_file, sizeof(m->username_file),
			             path, err, errlen);
			if (rc == 0)
				rc = config_rebase(path, "smtp.username_file", m->username_file,
				                   sizeof(m->username_file), err, errlen);
		} else if (strcmp(key, "password_file") == 0) {
			rc = str_key(k, "smtp", key, m->password_file, sizeof(m->password_file),
			             path, err, errlen);
			if (rc == 0)
				rc = config_rebase(path, "smtp.password_file", m->password_file,
				                   sizeof(m->password_file), err, errlen);
		} else if (strcmp(key, "digest_window_s") == 0) {
			rc = 0;
			if (!cJSON_IsNumber(k) || k->valuedouble < 0 ||
			    k->valuedouble > RW_SMTP_DIGEST_MAX_S ||
			    k->valuedouble != (double)(long)k->valuedouble) {
				snprintf(err, errlen,
				         "%s: smtp.digest_window_s: must be a whole number in [0, "
				         "%d]",
				         path, RW_SMTP_DIGEST_MAX_S);
				rc = RW_EINVAL;
			} else {
				n = (long)k->valuedouble;
				m->digest_window_s = (int)n;
			}
		} else {
			snprintf(err, errlen,
			         "%s: smtp.%s: unknown key (allowed: url, from, username_file, "
			         "password_file, digest_window_s)",
			         path, key);
			rc = RW_EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	if (!m->url[0] || !m->from[0]) {
		snprintf(err, errlen, "%s: smtp.%s: missing (smtp needs url and from)", path,
		         !m->url[0] ? "url" : "from");
		return RW_EINVAL;
	}
	if (!m->username_file[0] != !m->password_file[0]) {
		snprintf(err, errlen,
		         "%s: smtp.%s: missing (SMTP AUTH needs username_file and password_file)",
		         path, m->username_file[0] ? "password_file" : "username_file");
		return RW_EINVAL;
	}
	if (m->username_file[0]) {
		m->username = config_first_line(m->username_file, true, why, sizeof(why));
		if (!m->username) {
			snprintf(err, errlen, "%s: smtp.username_file: %s", path, why);
			return RW_EINVAL;
		}
		/* A password may hold blanks: only the line end is taken off. */
		m->password = config_first_line(m->password_file, false, why, sizeof(why));
		if (!m->password) {
			snprintf(err, errlen, "%s: smtp.password_file: %s", path, why);
			return RW_EINVAL;
		}
	}
	return 0;
}
