/* SPDX-License-Identifier: MIT */
/*
 * ghreq.c — one GitHub request on a reused easy handle; see ghreq.h.
 *
 * The answer's headers are read after the transfer with curl_easy_header()
 * (libcurl's own header parsing, in 7.88 a stable API) rather than with a
 * CURLOPT_HEADERFUNCTION of our own: libcurl has already split, unfolded
 * and trimmed them, and keeps only the last response's (no redirects are
 * followed, so there is one). The one header libcurl does not take apart is
 * Link (RFC 8288): ghreq_parse_link() reads its `<URL>; rel="next"` form.
 */
#include "monitor/github/ghreq.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/base/rw_error.h"

int ghreq_init(struct ghreq *r)
{
	memset(r, 0, sizeof(*r));
	r->easy = curl_easy_init();
	return r->easy ? 0 : RW_ENOMEM;
}

/* Frees a header list, wiping each line first (one holds a credential). */
static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i; i = i->next)
		OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static void body_clear(struct ghreq *r)
{
	if (r->body)
		OPENSSL_cleanse(r->body, r->alloc);
	free(r->body);
	r->body = NULL;
	r->len = r->alloc = 0;
	r->too_large = false;
}

void ghreq_wipe_body(struct ghreq *r)
{
	body_clear(r);
}

void ghreq_deinit(struct ghreq *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	r->easy = NULL;
	free_headers(r->hdrs);
	r->hdrs = NULL;
	body_clear(r);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct ghreq *r = userp;
	size_t n = size * nmemb;

	if (r->len + n > r->cap) {
		r->too_large = true;
		return 0; /* CURLE_WRITE_ERROR ends the transfer */
	}
	if (r->len + n + 1 > r->alloc) {
		size_t na = r->alloc ? r->alloc : 4096;
		char *nb;
		while (na < r->len + n + 1)
			na *= 2;
		/* Not realloc: the old block is wiped before it is freed. */
		nb = malloc(na);
		if (!nb)
			return 0;
		if (r->body) {
			memcpy(nb, r->body, r->len);
			OPENSSL_cleanse(r->body, r->alloc);
			free(r->body);
		}
		r->body = nb;
		r->alloc = na;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static int append(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (!n)
		return RW_ENOMEM;
	*l = n;
	return 0;
}

int ghreq_prepare(struct ghreq *r, const char *url, bool post, const char *auth_scheme,
                  const char *credential, const char *if_none_match, long timeout_ms, size_t cap,
                  void *priv)
{
	struct curl_slist *l = NULL;
	CURLcode c = CURLE_OK;
	int rc = 0;

	free_headers(r->hdrs);
	r->hdrs = NULL;
	body_clear(r);
	r->cap = cap;
	r->errbuf[0] = '\0';
	rc = append(&l, "Accept: application/vnd.github+json");
	if (rc == 0)
		rc = append(&l, "X-GitHub-Api-Version: " GHREQ_API_VERSION);
	if (rc == 0 && post)
		rc = append(&l, "Expect:");
	if (rc == 0 && if_none_match) {
		char line[512];
		snprintf(line, sizeof(line), "If-None-Match: %s", if_none_match);
		rc = append(&l, line);
	}
	if (rc == 0 && credential) {
		size_t n = strlen("Authorization: ") + strlen(auth_scheme) + 1 +
		           strlen(credential) + 1;
		char *line = malloc(n);
		if (!line) {
			rc = RW_ENOMEM;
		} else {
			snprintf(line, n, "Authorization: %s %s", auth_scheme, credential);
			rc = append(&l, line);
			OPENSSL_cleanse(line, n);
			free(line);
		}
	}
	if (rc < 0) {
		free_headers(l);
		return rc;
	}
	r->hdrs = l;
	curl_easy_reset(r->easy);
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(r->easy, opt, val);                                   \
	} while (0)
	SET(CURLOPT_PRIVATE, priv);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	SET(CURLOPT_HTTPHEADER, r->hdrs);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_USERAGENT, "runwarden/" RW_VERSION);
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes */
	if (post) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, "");
		SET(CURLOPT_POSTFIELDSIZE, 0L);
	}
#undef SET
	if (c != CURLE_OK)
		return c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
	return 0;
}

long ghreq_status(struct ghreq *r)
{
	long status = 0;

	if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		return 0;
	return status;
}

const char *ghreq_header(struct ghreq *r, const char *name, size_t index)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(r->easy, name, index, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
		return NULL;
	return h->value;
}

int ghreq_header_int(struct ghreq *r, const char *name, int64_t *out)
{
	const char *v = ghreq_header(r, name, 0);
	int64_t n = 0;

	if (!v || !*v)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*v - '0');
	}
	*out = n;
	return 0;
}

void ghreq_message(const struct ghreq *r, char *out, size_t len)
{
	cJSON *doc;
	const cJSON *m;

	out[0] = '\0';
	if (!r->body || len == 0)
		return;
	doc = cJSON_ParseWithLength(r->body, r->len);
	m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	if (cJSON_IsString(m)) {
		snprintf(out, len, "%s", m->valuestring);
		for (char *p = out; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	cJSON_Delete(doc);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the space-separated relation types @p v (@p n bytes) hold "next". */
static bool rels_have_next(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && v[j] != ' ')
			j++;
		if (j - i == 4 && strncasecmp(v + i, "next", 4) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

int ghreq_parse_link(const char *value, char *out, size_t len)
{
	const char *p = value;

	for (;;) {
		const char *u, *e;
		bool next = false;

		while (is_ws(*p) || *p == ',')
			p++;
		if (!*p)
			return 0;
		if (*p != '<')
			return RW_EINVAL;
		u = p + 1;
		e = strchr(u, '>');
		if (!e)
			return RW_EINVAL;
		p = e + 1;
		/* link-params: *( OWS ";" OWS name [ "=" value ] ) */
		for (;;) {
			const char *name, *v = NULL;
			size_t nlen, vlen = 0;

			while (is_ws(*p))
				p++;
			if (*p != ';')
				break;
			p++;
			while (is_ws(*p))
				p++;
			name = p;
			while (*p && *p != '=' && *p != ';' && *p != ',' && !is_ws(*p))
				p++;
			nlen = (size_t)(p - name);
			while (is_ws(*p))
				p++;
			if (*p == '=') {
				p++;
				while (is_ws(*p))
					p++;
				if (*p == '"') {
					v = ++p;
					while (*p && *p != '"')
						p += (*p == '\\' && p[1]) ? 2 : 1;
					if (*p != '"')
						return RW_EINVAL;
					vlen = (size_t)(p - v);
					p++;
				} else {
					v = p;
					while (*p && *p != ';' && *p != ',' && !is_ws(*p))
						p++;
					vlen = (size_t)(p - v);
				}
			}
			if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 && v &&
			    rels_have_next(v, vlen))
				next = true;
		}
		if (*p && *p != ',')
			return RW_EINVAL;
		if (next) {
			size_t n = (size_t)(e - u);
			if (n == 0 || n >= len)
				return RW_EINVAL;
			memcpy(out, u, n);
			out[n] = '\0';
			return 1;
		}
	}
}

int ghreq_link_next(struct ghreq *r, char *out, size_t len)
{
	const char *v;

	for (size_t i = 0; (v = ghreq_header(r, "Link", i)) != NULL; i++) {
		int rc = ghreq_parse_link(v, out, len);
		if (rc != 0)
			return rc;
	}
	return 0;
}
