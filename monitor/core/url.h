/* SPDX-License-Identifier: MIT */
/*
 * url.h — the one URL parser of runwarden: runner health URLs (registration
 * through the CLI and the API, and again when the fleet loads them), canary
 * URLs (the policy), webhook URLs (the config).
 *
 * A URL is read by libcurl's URL API (curl_url_set()), the parser that will
 * also read it at transfer time, so the host the address guard judges is the
 * host curl connects to: IPv4 in any spelling curl accepts comes back as a
 * dotted quad ("0x7f.1" is "127.0.0.1"), an IPv6 literal without its brackets
 * and without its zone id. There is no second parser to disagree with it.
 *
 * curl is more lenient than a probe URL may be, so its reading is checked:
 *   - at most URL_MAX bytes, printable ASCII only (no whitespace, control or
 *     non-ASCII byte anywhere: percent-encode it);
 *   - the scheme is "http" or "https" (any case), written with exactly "//"
 *     after it (curl takes one to three slashes);
 *   - there is a host, and the URL spells it plainly: a name of letters,
 *     digits, '-', '.' and '_' (no percent-encoding, which curl would decode;
 *     IDNs in their xn-- form), or an IPv6 literal in brackets with an
 *     optional zone id after '%' or "%25" (RFC 6874 characters);
 *   - no userinfo ("user:password@", CURLU_DISALLOW_USER): credentials do not
 *     belong in a URL that is stored, listed and logged;
 *   - the port, when written, is 1..65535 and not empty ("h:/" is refused).
 * When curl or a check refuses, the message names the part and the fix (the
 * caller quotes the URL itself); the URL text is then looked at only to say
 * what is wrong, never to decide.
 *
 * Invariants: nothing here touches the network or the address guard (the
 * caller judges the host with guard_check_host()); messages are one line and
 * quote input only through xesc(); nothing is kept between calls.
 */
#ifndef RW_URL_H
#define RW_URL_H

#include <stddef.h>

/** The longest URL accepted, in bytes. */
#define URL_MAX 2048

/**
 * Parses and checks an http(s) URL as the header says.
 *
 * @param url       the URL (NUL-terminated; NULL is refused).
 * @param host      receives the host as curl will connect to it: a name as
 *                  written, IPv4 as a dotted quad, IPv6 without brackets or
 *                  zone id (not NULL).
 * @param hostlen   size of @p host in bytes; a host that does not fit is an
 *                  error.
 * @param port      receives the port, 80 or 443 when the URL names none; may
 *                  be NULL.
 * @param is_https  receives 1 for https, 0 for http; may be NULL.
 * @param err       on failure, receives a one-line reason; may be NULL. Left
 *                  untouched on success.
 * @param errlen    size of @p err in bytes.
 * @return 0; RW_EINVAL when the URL is refused, RW_ENOMEM when libcurl ran
 *         out of memory. On failure @p host is "" (when @p hostlen > 0) and
 *         @p port, @p is_https are untouched.
 */
int url_parse(const char *url, char *host, size_t hostlen, int *port, int *is_https, char *err,
              size_t errlen);

/**
 * url_parse() for a caller that needs only the verdict: the policy parser's
 * canary check (struct policy_parse_opts) and the config's webhook check.
 *
 * @return 0, RW_EINVAL or RW_ENOMEM, with @p err as url_parse() writes it.
 */
int url_check(const char *url, char *err, size_t errlen);

#endif
