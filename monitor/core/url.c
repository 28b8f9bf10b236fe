/* SPDX-License-Identifier: MIT */
/*
 * url.c — URLs read by libcurl's URL API, then checked; see url.h.
 *
 * Flags given to curl_url_set(): CURLU_NON_SUPPORT_SCHEME, so that curl
 * reads any scheme and we can name the one we refuse ("ftp" is refused by
 * us, not by whichever protocols this libcurl was built with), and
 * CURLU_DISALLOW_USER, so that curl itself refuses userinfo, "http://@h/"
 * included (CURLUE_USER_NOT_ALLOWED).
 *
 * Where libcurl 7.88 is more lenient than a probe URL may be, and what we do:
 *   - it takes one to three slashes after the scheme ("http:/h",
 *     "http:///path" whose host is then "path"): we want exactly "//";
 *   - it percent-decodes the host ("%31%32%37.0.0.1" is 127.0.0.1) and
 *     allows more characters in a name than DNS does: we check the host as
 *     written;
 *   - it takes an empty port ("h:/") and port 0: we refuse both;
 *   - it takes "%25" followed by nothing, or a ':' inside, as a zone id
 *     ("[fe80::1%25]" has zone "25"): we check the bracketed literal with
 *     inet_pton() and the zone against RFC 6874.
 * curl's error codes are coarse (CURLUE_BAD_PORT_NUMBER for "h:8a", "h:70000"
 * and "[::1]x" alike), so a refusal is explained from the URL's text, after
 * curl has refused it.
 */
#include "monitor/core/url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"

/* A value quoted in a message: escaped, cut past 64 characters. */
#define SHOWN_SIZE 68

static void set_err(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* Characters allowed in a zone id (RFC 6874 "unreserved"). */
static bool is_zone_char(char c)
{
	return is_name_char(c) || c == '~';
}

/*
 * The bracketed IPv6 literal @lit of length @n (brackets excluded): an address
 * inet_pton() accepts, then optionally '%' or "%25" and a zone id.
 */
static bool valid_ipv6_literal(const char *lit, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *pct = memchr(lit, '%', n);
	size_t alen = pct != NULL ? (size_t)(pct - lit) : n;

	if (alen == 0 || alen >= sizeof(buf))
		return false;
	memcpy(buf, lit, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return false;
	if (pct != NULL) {
		const char *z = pct + 1, *end = lit + n;

		if (end - z >= 2 && z[0] == '2' && z[1] == '5')
			z += 2;
		if (z == end)
			return false;
		for (; z < end; z++) {
			if (!is_zone_char(*z))
				return false;
		}
	}
	return true;
}

/* The URL text's authority: after the scheme, its ':' and the slashes, up to
 * the first '/', '?' or '#'. Only for a URL whose scheme curl has read. */
static void authority_of(const char *url, const char **a, const char **a_end)
{
	const char *p = strchr(url, ':');

	p = p ? p + 1 : url;
	while (*p == '/')
		p++;
	*a = p;
	*a_end = p + strcspn(p, "/?#");
}

/*
 * Explains what is wrong with the host or the port of the authority
 * [@a, @a_end), or returns false when it finds nothing wrong there. Used both
 * after curl refused a URL and on what curl accepted.
 */
static bool authority_problem(const char *a, const char *a_end, char *err, size_t errlen)
{
	char shown[SHOWN_SIZE];
	const char *h, *h_end, *p, *port = NULL;
	unsigned long num = 0;

	if (a == a_end || *a == ':') {
		set_err(err, errlen, "URL has no host");
		return true;
	}
	if (*a == '[') {
		h = a + 1;
		h_end = memchr(h, ']', (size_t)(a_end - h));
		if (h_end == NULL) {
			set_err(err, errlen, "IPv6 host has no closing ']'");
			return true;
		}
		if (!valid_ipv6_literal(h, (size_t)(h_end - h))) {
			xesc(shown, sizeof(shown), h, (size_t)(h_end - h));
			set_err(err, errlen, "[%s]: not a valid IPv6 address", shown);
			return true;
		}
		p = h_end + 1;
		if (p < a_end && *p != ':') {
			set_err(err, errlen, "unexpected text after ']'; expected ':PORT' or '/'");
			return true;
		}
	} else {
		h = a;
		h_end = memchr(a, ':', (size_t)(a_end - a));
		if (h_end == NULL)
			h_end = a_end;
		for (p = h; p < h_end; p++) {
			if (!is_name_char(*p)) {
				xesc(shown, sizeof(shown), h, (size_t)(h_end - h));
				set_err(err, errlen,
				        "host \"%s\" has '%c'; a host name is letters, digits, "
				        "'-', "
				        "'.' and '_' (IDNs in xn-- form, IPv6 in [brackets])",
				        shown, *p);
				return true;
			}
		}
		p = h_end;
	}
	if (p == a_end) /* no port */
		return false;
	port = p + 1; /* *p == ':' */
	if (port == a_end) {
		set_err(err, errlen, "empty port after ':'; use 1..65535 or leave out ':'");
		return true;
	}
	for (p = port; p < a_end; p++) {
		if (*p < '0' || *p > '9') {
			xesc(shown, sizeof(shown), port, (size_t)(a_end - port));
			set_err(err, errlen, "port \"%s\" is not a number 1..65535", shown);
			return true;
		}
		if (num <= 65535)
			num = num * 10 + (unsigned long)(*p - '0');
	}
	if (num < 1 || num > 65535) {
		xesc(shown, sizeof(shown), port, (size_t)(a_end - port));
		set_err(err, errlen, "port %s out of range; use 1..65535", shown);
		return true;
	}
	return false;
}

/* The message for a URL that curl_url_set() refused with @uc. */
static int refused(const char *url, CURLUcode uc, char *err, size_t errlen)
{
	const char *a, *a_end;

	switch (uc) {
	case CURLUE_OUT_OF_MEMORY: set_err(err, errlen, "out of memory"); return RW_ENOMEM;
	case CURLUE_BAD_SCHEME:
	case CURLUE_BAD_SLASHES:
	case CURLUE_NO_SCHEME:
	case CURLUE_MALFORMED_INPUT:
		set_err(err, errlen, "missing scheme; use http:// or https://");
		return RW_EINVAL;
	case CURLUE_NO_HOST: set_err(err, errlen, "URL has no host"); return RW_EINVAL;
	case CURLUE_USER_NOT_ALLOWED:
		set_err(err, errlen,
		        "URL has userinfo (\"user:pass@\"); credentials in probe URLs are not "
		        "allowed");
		return RW_EINVAL;
	case CURLUE_BAD_PORT_NUMBER:
	case CURLUE_BAD_HOSTNAME:
	case CURLUE_BAD_IPV6:
		authority_of(url, &a, &a_end);
		if (authority_problem(a, a_end, err, errlen))
			return RW_EINVAL;
		break;
	default: break;
	}
	set_err(err, errlen, "not a valid URL (libcurl: %s)", curl_url_strerror(uc));
	return RW_EINVAL;
}

/* The checks on what curl accepted: @u holds @url, read. */
static int check_parts(const char *url, CURLU *u, char *host, size_t hostlen, int *port,
                       int *is_https, char *err, size_t errlen)
{
	char *scheme = NULL, *h = NULL, *p = NULL, shown[SHOWN_SIZE];
	const char *a, *a_end, *name;
	size_t slen, hlen;
	int https, portnum, rc = RW_EINVAL;
	CURLUcode uc;

	uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (uc != CURLUE_OK)
		return refused(url, uc, err, errlen);
	slen = strlen(scheme);
	if (strcmp(scheme, "http") == 0) {
		https = 0;
	} else if (strcmp(scheme, "https") == 0) {
		https = 1;
	} else {
		xesc(shown, sizeof(shown), scheme, slen);
		set_err(err, errlen, "unsupported scheme \"%s\"; use http:// or https://", shown);
		goto out;
	}
	/* curl lowercases the scheme; the text spells it, then exactly "//". */
	if (strncasecmp(url, scheme, slen) != 0 || strncmp(url + slen, "://", 3) != 0) {
		set_err(err, errlen, "missing scheme; use http:// or https://");
		goto out;
	}
	authority_of(url, &a, &a_end);
	if (a != url + slen + 3) { /* "http:///path": curl's host is "path" */
		set_err(err, errlen, "URL has no host");
		goto out;
	}
	if (authority_problem(a, a_end, err, errlen))
		goto out;

	uc = curl_url_get(u, CURLUPART_HOST, &h, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT);
	if (uc != CURLUE_OK) {
		rc = refused(url, uc, err, errlen);
		goto out;
	}
	portnum = atoi(p);
	if (portnum < 1 || portnum > 65535) { /* checked on the text already */
		set_err(err, errlen, "port %s out of range; use 1..65535", p);
		goto out;
	}
	/* curl writes an IPv6 host in brackets and keeps the zone id apart. */
	name = h;
	hlen = strlen(h);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		name = h + 1;
		hlen -= 2;
	}
	if (hlen == 0) {
		set_err(err, errlen, "URL has no host");
		goto out;
	}
	if (hlen >= hostlen) {
		set_err(err, errlen, "host is %zu bytes; at most %zu fit", hlen, hostlen - 1);
		goto out;
	}
	memcpy(host, name, hlen);
	host[hlen] = '\0';
	if (port != NULL)
		*port = portnum;
	if (is_https != NULL)
		*is_https = https;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(h);
	curl_free(p);
	return rc;
}

int url_parse(const char *url, char *host, size_t hostlen, int *port, int *is_https, char *err,
              size_t errlen)
{
	CURLU *u;
	CURLUcode uc;
	size_t len;
	int rc;

	if (host != NULL && hostlen > 0)
		host[0] = '\0';
	if (url == NULL || url[0] == '\0') {
		set_err(err, errlen, "empty URL; give an http:// or https:// URL");
		return RW_EINVAL;
	}
	if (host == NULL || hostlen == 0) {
		set_err(err, errlen, "no room for the host");
		return RW_EINVAL;
	}
	len = strnlen(url, URL_MAX + 1);
	if (len > URL_MAX) {
		set_err(err, errlen, "URL longer than %d bytes", URL_MAX);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f) {
			set_err(err, errlen,
			        "URL has a whitespace, control or non-ASCII byte (0x%02x) at "
			        "offset %zu; percent-encode it",
			        c, i);
			return RW_EINVAL;
		}
	}

	u = curl_url();
	if (u == NULL) {
		set_err(err, errlen, "out of memory");
		return RW_ENOMEM;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | CURLU_DISALLOW_USER);
	if (uc != CURLUE_OK)
		rc = refused(url, uc, err, errlen);
	else
		rc = check_parts(url, u, host, hostlen, port, is_https, err, errlen);
	curl_url_cleanup(u);
	if (rc < 0)
		host[0] = '\0';
	return rc;
}

int url_check(const char *url, char *err, size_t errlen)
{
	char host[256];

	return url_parse(url, host, sizeof(host), NULL, NULL, err, errlen);
}
