/* SPDX-License-Identifier: MIT */
/*
 * guard.c — the address guard: the tables of refused ranges, the allowlist,
 * and the registration-time host check (the URL is read by url.c).
 *
 * The refused ranges are two tables (IPv4, IPv6) searched by longest prefix,
 * so a narrow entry (169.254.169.254/32 "metadata") wins over the wide one
 * that contains it (169.254.0.0/16 "link_local") whatever the order of the
 * rows. An IPv6 row marked `embeds_v4` stands for a form that carries an IPv4
 * address in its last 32 bits; such an address is judged again by the IPv4
 * table, so ::ffff:10.0.0.1 is refused exactly when 10.0.0.1 is.
 *
 * Invariants:
 *   - Nothing here allocates, logs, or touches global mutable state; the
 *     tables are const. Every function is safe to call from any thread.
 *   - Textual IPv4 is parsed by inet_aton(), the parser glibc's resolver uses,
 *     so every spelling that getaddrinfo() and curl turn into an address is
 *     turned into the same address here. No hand-written numeric parser.
 *   - Error lines never contain raw control or non-ASCII bytes from the input:
 *     they are escaped as \xNN and long values are cut short.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* inet_aton(); the build also defines _GNU_SOURCE */
#endif

#include "monitor/core/guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"

/* A refused range. */
struct guard_range {
	uint8_t addr[16];
	uint8_t prefix;
	bool embeds_v4;     /* judge by the IPv4 address in addr[12..15] */
	const char *reason; /* for an embeds_v4 row, a label only: never returned */
};

/* IPv4 ranges refused by default (addr[0..3]). */
static const struct guard_range guard_v4[] = {
        {{0, 0, 0, 0}, 8, false, "unspecified"},         /* 0.0.0.0/8 "this network" */
        {{10, 0, 0, 0}, 8, false, "private"},            /* 10.0.0.0/8 */
        {{100, 64, 0, 0}, 10, false, "cgnat"},           /* 100.64.0.0/10 */
        {{127, 0, 0, 0}, 8, false, "loopback"},          /* 127.0.0.0/8 */
        {{169, 254, 0, 0}, 16, false, "link_local"},     /* 169.254.0.0/16 */
        {{169, 254, 169, 254}, 32, false, "metadata"},   /* cloud instance metadata */
        {{172, 16, 0, 0}, 12, false, "private"},         /* 172.16.0.0/12 */
        {{192, 0, 0, 0}, 24, false, "reserved"},         /* 192.0.0.0/24 IETF protocol */
        {{192, 0, 2, 0}, 24, false, "documentation"},    /* 192.0.2.0/24 TEST-NET-1 */
        {{192, 168, 0, 0}, 16, false, "private"},        /* 192.168.0.0/16 */
        {{198, 18, 0, 0}, 15, false, "reserved"},        /* 198.18.0.0/15 benchmarking */
        {{198, 51, 100, 0}, 24, false, "documentation"}, /* 198.51.100.0/24 TEST-NET-2 */
        {{203, 0, 113, 0}, 24, false, "documentation"},  /* 203.0.113.0/24 TEST-NET-3 */
        {{224, 0, 0, 0}, 4, false, "multicast"},         /* 224.0.0.0/4 */
        {{240, 0, 0, 0}, 4, false, "reserved"},          /* 240.0.0.0/4 class E */
        {{255, 255, 255, 255}, 32, false, "broadcast"},  /* limited broadcast */
};

/* IPv6 ranges refused by default. */
static const struct guard_range guard_v6[] = {
        /* ::/128 */
        {{0}, 128, false, "unspecified"},
        /* ::1/128 */
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, false, "loopback"},
        /* ::ffff:0:0/96 IPv4-mapped */
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, true, "ipv4_mapped"},
        /* ::/96 IPv4-compatible (deprecated) */
        {{0}, 96, true, "ipv4_mapped"},
        /* 64:ff9b::/96 NAT64 well-known prefix */
        {{0x00, 0x64, 0xff, 0x9b}, 96, true, "nat64"},
        /* 100::/64 discard-only */
        {{0x01, 0x00}, 64, false, "reserved"},
        /* 2001:db8::/32 */
        {{0x20, 0x01, 0x0d, 0xb8}, 32, false, "documentation"},
        /* fc00::/7 */
        {{0xfc, 0x00}, 7, false, "unique_local"},
        /* fd00:ec2::254/128 AWS instance metadata over IPv6 */
        {{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54},
         128,
         false,
         "metadata"},
        /* fe80::/10 */
        {{0xfe, 0x80}, 10, false, "link_local"},
        /* fec0::/10 site-local (deprecated) */
        {{0xfe, 0xc0}, 10, false, "reserved"},
        /* ff00::/8 */
        {{0xff, 0x00}, 8, false, "multicast"},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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

/*
 * At most @n bytes of @s, escaped (xesc()) for quoting in an error line, and
 * cut with "..." past 64 characters.
 */
static void escape_value(char dst[80], const char *s, size_t n)
{
	xesc(dst, 68, s, n);
}

/* True when the first @prefix bits of @a and @b agree. */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return ((a[full] ^ b[full]) & mask) == 0;
}

/* The longest-prefix row of @tab containing @addr, or NULL. */
static const struct guard_range *range_lookup(const struct guard_range *tab, size_t n,
                                              const uint8_t *addr)
{
	const struct guard_range *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!prefix_match(tab[i].addr, addr, tab[i].prefix))
			continue;
		if (best == NULL || tab[i].prefix > best->prefix)
			best = &tab[i];
	}
	return best;
}

static bool allowlisted(const struct guard *g, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < g->n_allow; i++) {
		const struct guard_cidr *c = &g->allow[i];

		if (c->family == family && prefix_match(c->addr, addr, c->prefix))
			return true;
	}
	return false;
}

/* The refused range that decided, for guard_check_host_range(). */
struct guard_hit {
	const struct guard_range *row;
	int family;
};

static const char *check_v4(const struct guard *g, const uint8_t addr[4], struct guard_hit *hit)
{
	const struct guard_range *r;

	if (allowlisted(g, AF_INET, addr))
		return NULL;
	r = range_lookup(guard_v4, ARRAY_LEN(guard_v4), addr);
	if (r != NULL && hit != NULL) {
		hit->row = r;
		hit->family = AF_INET;
	}
	return r != NULL ? r->reason : NULL;
}

static const char *check_v6(const struct guard *g, const uint8_t addr[16], struct guard_hit *hit)
{
	const struct guard_range *r;

	if (allowlisted(g, AF_INET6, addr))
		return NULL;
	r = range_lookup(guard_v6, ARRAY_LEN(guard_v6), addr);
	if (r == NULL)
		return NULL;
	if (r->embeds_v4)
		return check_v4(g, addr + 12, hit);
	if (hit != NULL) {
		hit->row = r;
		hit->family = AF_INET6;
	}
	return r->reason;
}

void guard_init(struct guard *g)
{
	memset(g, 0, sizeof(*g));
}

int guard_allow(struct guard *g, const char *cidr, char *err, size_t errlen)
{
	char shown[80], text[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	struct guard_cidr c;
	const char *slash;
	size_t addrlen;
	unsigned prefix, max;

	if (cidr == NULL || cidr[0] == '\0') {
		set_err(err, errlen, "empty CIDR; write it as ADDRESS/PREFIX, e.g. 127.0.0.0/8");
		return RW_EINVAL;
	}
	escape_value(shown, cidr, strlen(cidr));

	memset(&c, 0, sizeof(c));
	slash = strchr(cidr, '/');
	addrlen = slash != NULL ? (size_t)(slash - cidr) : strlen(cidr);
	if (addrlen == 0 || addrlen >= sizeof(text)) {
		set_err(err, errlen,
		        "%s: not an IPv4 or IPv6 address; write it as ADDRESS/PREFIX, e.g. "
		        "127.0.0.0/8 or ::1/128",
		        shown);
		return RW_EINVAL;
	}
	memcpy(text, cidr, addrlen);
	text[addrlen] = '\0';

	if (memchr(text, ':', addrlen) != NULL) {
		c.family = AF_INET6;
		max = 128;
	} else {
		c.family = AF_INET;
		max = 32;
	}
	if (inet_pton(c.family, text, c.addr) != 1) {
		set_err(err, errlen,
		        "%s: not an IPv4 or IPv6 address; write it as ADDRESS/PREFIX, e.g. "
		        "127.0.0.0/8 or ::1/128 (IPv4 as a dotted quad)",
		        shown);
		return RW_EINVAL;
	}

	prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1;

		prefix = 0;
		if (*p == '\0') {
			set_err(err, errlen, "%s: missing prefix length after '/'; use 0..%u",
			        shown, max);
			return RW_EINVAL;
		}
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9' || prefix > max) {
				prefix = max + 1;
				break;
			}
			prefix = prefix * 10 + (unsigned)(*p - '0');
		}
		if (prefix > max) {
			set_err(err, errlen, "%s: prefix length must be a number 0..%u for %s",
			        shown, max, c.family == AF_INET ? "IPv4" : "IPv6");
			return RW_EINVAL;
		}
	}
	c.prefix = (uint8_t)prefix;

	/* Clear the host bits into a copy and compare: any difference is an error. */
	{
		uint8_t masked[16] = {0};
		unsigned full = prefix / 8, rest = prefix % 8;

		memcpy(masked, c.addr, full);
		if (rest != 0)
			masked[full] = (uint8_t)(c.addr[full] & (0xff << (8 - rest)));
		if (memcmp(masked, c.addr, sizeof(masked)) != 0) {
			inet_ntop(c.family, masked, net, sizeof(net));
			set_err(err, errlen, "%s: host bits set; did you mean %s/%u?", shown, net,
			        prefix);
			return RW_EINVAL;
		}
	}

	if (g->n_allow >= GUARD_MAX_CIDRS) {
		set_err(err, errlen, "%s: too many allowlisted CIDRs (at most %d); merge some",
		        shown, GUARD_MAX_CIDRS);
		return RW_ERANGE;
	}
	g->allow[g->n_allow++] = c;
	return 0;
}

static const char *check_sockaddr(const struct guard *g, const struct sockaddr *sa,
                                  struct guard_hit *hit)
{
	if (sa == NULL)
		return "unsupported_family";
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		return check_v4(g, (const uint8_t *)&sin.sin_addr.s_addr, hit);
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		return check_v6(g, sin6.sin6_addr.s6_addr, hit);
	}
	return "unsupported_family";
}

const char *guard_check_sockaddr(const struct guard *g, const struct sockaddr *sa)
{
	return check_sockaddr(g, sa, NULL);
}

/* True when @name, whose length is @n, is "localhost" or ends in ".localhost". */
static bool is_localhost(const char *name, size_t n)
{
	static const char lh[] = "localhost";
	const size_t lhn = sizeof(lh) - 1;

	if (n < lhn || strncasecmp(name + n - lhn, lh, lhn) != 0)
		return false;
	return n == lhn || name[n - lhn - 1] == '.';
}

static const char *check_in_addr(const struct guard *g, struct in_addr a, struct guard_hit *hit)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = a;
	return check_sockaddr(g, (const struct sockaddr *)&sin, hit);
}

static const char *check_in6_addr(const struct guard *g, const struct in6_addr *a,
                                  struct guard_hit *hit)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = *a;
	return check_sockaddr(g, (const struct sockaddr *)&sin6, hit);
}

/* guard_check_host(), and the row that refused it in @p hit (when not NULL). */
static const char *check_host(const struct guard *g, const char *host, struct guard_hit *hit)
{
	char buf[256];
	size_t n;

	if (host == NULL || host[0] == '\0')
		return "unspecified";
	n = strlen(host);

	if (host[0] == '[' || memchr(host, ':', n) != NULL) {
		struct in6_addr a6;
		const char *pct;

		/* IPv6 literal: drop the brackets and any zone id ("%eth0", "%25eth0"). */
		if (host[0] == '[') {
			if (n < 2 || host[n - 1] != ']')
				return "unsupported_family";
			host++;
			n -= 2;
		}
		pct = memchr(host, '%', n);
		if (pct != NULL)
			n = (size_t)(pct - host);
		if (n == 0 || n >= sizeof(buf))
			return "unsupported_family";
		memcpy(buf, host, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return "unsupported_family";
		return check_in6_addr(g, &a6, hit);
	}

	/* A fully qualified spelling ("127.0.0.1.", "localhost.") means the same. */
	if (n > 1 && host[n - 1] == '.')
		n--;

	if (is_localhost(host, n)) {
		struct in_addr a4 = {.s_addr = htonl(INADDR_LOOPBACK)};
		const char *why = check_in_addr(g, a4, hit);

		/* curl resolves localhost to both; either may be allowlisted. */
		if (why != NULL && check_in6_addr(g, &in6addr_loopback, NULL) == NULL)
			return NULL;
		return why;
	}

	if (n < sizeof(buf)) {
		struct in_addr a4;

		memcpy(buf, host, n);
		buf[n] = '\0';
		if (inet_aton(buf, &a4) != 0)
			return check_in_addr(g, a4, hit);
	}
	return NULL; /* a name: judged at connect time */
}

const char *guard_check_host(const struct guard *g, const char *host)
{
	return check_host(g, host, NULL);
}

const char *guard_check_host_range(const struct guard *g, const char *host, char *range,
                                   size_t rangelen)
{
	struct guard_hit hit = {NULL, 0};
	const char *why = check_host(g, host, &hit);
	char net[INET6_ADDRSTRLEN];

	if (range != NULL && rangelen > 0)
		range[0] = '\0';
	if (why == NULL || hit.row == NULL || range == NULL || rangelen == 0)
		return why;
	if (inet_ntop(hit.family, hit.row->addr, net, sizeof(net)) != NULL)
		snprintf(range, rangelen, "%s/%u", net, (unsigned)hit.row->prefix);
	return why;
}
