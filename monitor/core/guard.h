/* SPDX-License-Identifier: MIT */
/*
 * guard.h — the address guard: which destinations a probe may reach.
 *
 * Probe URLs come from runner operators and are untrusted. The guard refuses
 * loopback, private, link-local, metadata, unique-local, CGNAT, multicast,
 * documentation, reserved and unspecified addresses, unless the operator of
 * the daemon has allowlisted a CIDR that contains them (--allow-cidr).
 *
 * There are two checks. guard_check_host() runs at registration time on the
 * URL's host part as url_parse() reads it (which is how curl reads it) and
 * catches IP literals in every spelling a resolver or curl would accept; it
 * does no DNS, so a name passes. guard_check_sockaddr()
 * runs at connect time (CURLOPT_OPENSOCKETFUNCTION) on the address curl is
 * about to connect to, after DNS; it is the check that counts.
 *
 * Invariants:
 *   - An IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96) or NAT64
 *     (64:ff9b::/96) address is judged by its embedded IPv4 address, and the
 *     reason reported is the embedded one ("loopback" for ::ffff:127.0.0.1).
 *   - An address inside an allowlisted CIDR is always permitted; for the
 *     embedding forms the allowlist is checked against both the IPv6 address
 *     and the embedded IPv4 address.
 *   - Reason strings are static and never NULL when returned; NULL means
 *     "permitted".
 *   - The guard holds no pointers and allocates nothing: a struct guard can be
 *     copied, and is read-only (safe to share) once built.
 */
#ifndef RW_GUARD_H
#define RW_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** The most CIDRs an allowlist holds. */
#define GUARD_MAX_CIDRS 64

/** An allowlisted network. Host bits beyond @c prefix are always zero. */
struct guard_cidr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; an IPv4 network uses addr[0..3] */
	uint8_t prefix;   /* 0..32 for AF_INET, 0..128 for AF_INET6 */
};

/** The allowlist. Embed it and set it up with guard_init(); no deinit needed. */
struct guard {
	struct guard_cidr allow[GUARD_MAX_CIDRS];
	size_t n_allow;
};

/**
 * Initializes @p g with an empty allowlist: every range the guard knows is
 * refused.
 *
 * @param g  the guard to initialize (not NULL).
 */
void guard_init(struct guard *g);

/**
 * Adds a CIDR to the allowlist of @p g.
 *
 * Accepts "127.0.0.0/8", "::1/128", and a bare address ("10.1.2.3" is
 * 10.1.2.3/32, "::1" is ::1/128). IPv4 addresses must be dotted quads (no
 * "127.1" or hex spellings here: a config file should say what it means).
 * Host bits set beyond the prefix are an error, with a suggestion:
 * "10.0.0.1/8: host bits set; did you mean 10.0.0.0/8?".
 *
 * @param g       the guard (not NULL).
 * @param cidr    the CIDR text (NUL-terminated).
 * @param err     on failure, receives one line naming the value and the fix;
 *                may be NULL. Left untouched on success.
 * @param errlen  size of @p err in bytes.
 * @return 0 on success; RW_EINVAL when @p cidr does not parse (bad address,
 *         prefix out of range, host bits set); RW_ERANGE when the allowlist
 *         already holds GUARD_MAX_CIDRS entries.
 */
int guard_allow(struct guard *g, const char *cidr, char *err, size_t errlen);

/**
 * Judges the address curl is about to connect to.
 *
 * @param g   the guard (not NULL).
 * @param sa  a complete struct sockaddr_in (AF_INET) or struct sockaddr_in6
 *            (AF_INET6); the port and the IPv6 scope id are ignored.
 * @return NULL when the connection is permitted; otherwise a static reason:
 *         "loopback", "private", "link_local", "metadata", "unique_local",
 *         "cgnat", "multicast", "unspecified", "broadcast", "reserved",
 *         "documentation", or "unsupported_family" (any other family, or
 *         @p sa NULL). An embedding form (IPv4-mapped, IPv4-compatible,
 *         NAT64) reports the reason of its embedded IPv4 address, and is
 *         permitted when that address is.
 */
const char *guard_check_sockaddr(const struct guard *g, const struct sockaddr *sa);

/**
 * Judges the host part of a URL at registration time, without DNS.
 *
 * An IP literal is recognized in every spelling the C library's resolver
 * accepts: dotted decimal, a single decimal, hex or octal number
 * ("2130706433", "0x7f000001", "017700000001"), octal or hex parts
 * ("0177.0.0.1"), short forms ("127.1", "0x7f.1") and mixes of them, with one
 * trailing dot; IPv6 with or without brackets, including the mapped,
 * compatible and NAT64 forms and a zone id ("fe80::1%eth0", "fe80::1%25eth0").
 * The literal is then judged by guard_check_sockaddr().
 *
 * "localhost" and names ending in ".localhost" (any case, one trailing dot
 * allowed) are loopback: refused as "loopback" unless the allowlist permits
 * 127.0.0.1 or ::1.
 *
 * @param g     the guard (not NULL).
 * @param host  the host, as url_parse() fills it in (brackets optional).
 * @return NULL when @p host is a name (checked later at connect time) or a
 *         permitted address; otherwise a static reason as for
 *         guard_check_sockaddr(). A host that is NULL or empty is refused as
 *         "unspecified"; a host that looks like an IPv6 literal (it contains
 *         ':' or is bracketed) but does not parse is refused as
 *         "unsupported_family".
 */
const char *guard_check_host(const struct guard *g, const char *host);

/**
 * guard_check_host(), and the refused range that decided, as a CIDR that
 * guard_allow() takes ("10.0.0.0/8", "127.0.0.0/8", "fc00::/7"; for an
 * IPv4-mapped, compatible or NAT64 address the embedded IPv4 address's
 * range, which allowlists it), so that a refusal can say what to allow.
 *
 * @param range     receives the CIDR when a range refused @p host; "" when
 *                  @p host is permitted or refused for its shape (empty,
 *                  "unsupported_family"). May be NULL.
 * @param rangelen  size of @p range (INET6_ADDRSTRLEN + 4 holds any).
 * @return as guard_check_host().
 */
const char *guard_check_host_range(const struct guard *g, const char *host, char *range,
                                   size_t rangelen);

#endif
