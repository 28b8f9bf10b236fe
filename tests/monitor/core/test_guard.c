/* SPDX-License-Identifier: MIT */
/*
 * test_guard.c — the address guard, as pure functions.
 *
 * Table tests: every refused range with its edges (the first and last address
 * inside, the neighbours outside), every spelling of an IP literal that the
 * resolver accepts, the embedding IPv6 forms, the allowlist, CIDR parse
 * errors, and the URL parser's (url.c) good and bad cases as registration
 * meets them. A table row that fails is printed with what it got, and every
 * row runs before the test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "monitor/core/guard.h"
#include "monitor/core/url.h"
#include "policy/base/rw_error.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct reason_row {
	const char *input;
	const char *want; /* NULL: permitted */
};

/* Returns 1 (and prints the row) when @got is not @want. */
static int row_mismatch(const char *input, const char *got, const char *want)
{
	if (got == NULL && want == NULL)
		return 0;
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return 0;
	print_error("%-32s got %-14s want %s\n", input, got != NULL ? got : "(permitted)",
	            want != NULL ? want : "(permitted)");
	return 1;
}

/* Fills @ss from a strict textual address (inet_pton); fails the test if bad. */
static const struct sockaddr *make_sa(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(443);
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(80);
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return (const struct sockaddr *)ss;
}

static const char *check_text(const struct guard *g, const char *text)
{
	struct sockaddr_storage ss;

	return guard_check_sockaddr(g, make_sa(&ss, text));
}

static void run_sockaddr_table(const struct guard *g, const struct reason_row *rows, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += row_mismatch(rows[i].input, check_text(g, rows[i].input), rows[i].want);
	assert_int_equal(bad, 0);
}

static void run_host_table(const struct guard *g, const struct reason_row *rows, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += row_mismatch(rows[i].input, guard_check_host(g, rows[i].input),
		                    rows[i].want);
	assert_int_equal(bad, 0);
}

/* Every default range, its first and last address, and its neighbours outside. */
static const struct reason_row range_rows[] = {
        /* 0.0.0.0/8 */
        {"0.0.0.0", "unspecified"},
        {"0.255.255.255", "unspecified"},
        {"1.0.0.0", NULL},
        /* 10.0.0.0/8 */
        {"9.255.255.255", NULL},
        {"10.0.0.0", "private"},
        {"10.255.255.255", "private"},
        {"11.0.0.0", NULL},
        /* 100.64.0.0/10 */
        {"100.63.255.255", NULL},
        {"100.64.0.0", "cgnat"},
        {"100.127.255.255", "cgnat"},
        {"100.128.0.0", NULL},
        /* 127.0.0.0/8 */
        {"126.255.255.255", NULL},
        {"127.0.0.0", "loopback"},
        {"127.0.0.1", "loopback"},
        {"127.255.255.255", "loopback"},
        {"128.0.0.0", NULL},
        /* 169.254.0.0/16 and the metadata address inside it */
        {"169.253.255.255", NULL},
        {"169.254.0.0", "link_local"},
        {"169.254.169.253", "link_local"},
        {"169.254.169.254", "metadata"},
        {"169.254.169.255", "link_local"},
        {"169.254.255.255", "link_local"},
        {"169.255.0.0", NULL},
        /* 172.16.0.0/12 */
        {"172.15.255.255", NULL},
        {"172.16.0.0", "private"},
        {"172.31.255.255", "private"},
        {"172.32.0.0", NULL},
        /* 192.0.0.0/24, 192.0.2.0/24 */
        {"191.255.255.255", NULL},
        {"192.0.0.0", "reserved"},
        {"192.0.0.255", "reserved"},
        {"192.0.1.0", NULL},
        {"192.0.2.0", "documentation"},
        {"192.0.2.255", "documentation"},
        {"192.0.3.0", NULL},
        /* 192.168.0.0/16 */
        {"192.167.255.255", NULL},
        {"192.168.0.0", "private"},
        {"192.168.255.255", "private"},
        {"192.169.0.0", NULL},
        /* 198.18.0.0/15 */
        {"198.17.255.255", NULL},
        {"198.18.0.0", "reserved"},
        {"198.19.255.255", "reserved"},
        {"198.20.0.0", NULL},
        /* 198.51.100.0/24, 203.0.113.0/24 */
        {"198.51.99.255", NULL},
        {"198.51.100.0", "documentation"},
        {"198.51.100.255", "documentation"},
        {"198.51.101.0", NULL},
        {"203.0.112.255", NULL},
        {"203.0.113.0", "documentation"},
        {"203.0.113.255", "documentation"},
        {"203.0.114.0", NULL},
        /* 224.0.0.0/4, 240.0.0.0/4, 255.255.255.255 */
        {"223.255.255.255", NULL},
        {"224.0.0.0", "multicast"},
        {"239.255.255.255", "multicast"},
        {"240.0.0.0", "reserved"},
        {"255.255.255.254", "reserved"},
        {"255.255.255.255", "broadcast"},
        /* ::/128, ::1/128 */
        {"::", "unspecified"},
        {"::1", "loopback"},
        /* ::/96 IPv4-compatible: judged by the embedded address */
        {"::2", "unspecified"},
        {"::127.0.0.1", "loopback"},
        {"::10.0.0.1", "private"},
        {"::8.8.8.8", NULL},
        /* ::ffff:0:0/96 IPv4-mapped: judged by the embedded address */
        {"::ffff:0.0.0.0", "unspecified"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:7f00:1", "loopback"},
        {"::ffff:10.0.0.1", "private"},
        {"::ffff:100.64.0.1", "cgnat"},
        {"::ffff:169.254.169.254", "metadata"},
        {"::ffff:169.254.1.1", "link_local"},
        {"::ffff:192.0.2.1", "documentation"},
        {"::ffff:224.0.0.1", "multicast"},
        {"::ffff:255.255.255.255", "broadcast"},
        {"::ffff:8.8.8.8", NULL},
        {"::fffe:7f00:1", NULL}, /* outside every embedding prefix */
        /* 64:ff9b::/96 NAT64: judged by the embedded address */
        {"64:ff9b::7f00:1", "loopback"},
        {"64:ff9b::127.0.0.1", "loopback"},
        {"64:ff9b::10.0.0.1", "private"},
        {"64:ff9b::a9fe:a9fe", "metadata"},
        {"64:ff9b::8.8.8.8", NULL},
        {"64:ff9b:0:0:0:1:7f00:1", NULL}, /* outside the /96 */
        /* 100::/64 */
        {"100::", "reserved"},
        {"100::ffff:ffff:ffff:ffff", "reserved"},
        {"100:0:0:1::", NULL},
        /* 2001:db8::/32 */
        {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
        {"2001:db8::", "documentation"},
        {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation"},
        {"2001:db9::", NULL},
        /* fc00::/7 and the metadata address inside it */
        {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
        {"fc00::", "unique_local"},
        {"fd00:ec2::253", "unique_local"},
        {"fd00:ec2::254", "metadata"},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique_local"},
        /* fe80::/10 link-local, fec0::/10 site-local */
        {"fe00::", NULL},
        {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
        {"fe80::", "link_local"},
        {"fe80::1", "link_local"},
        {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link_local"},
        {"fec0::", "reserved"},
        {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
        /* ff00::/8 */
        {"ff00::", "multicast"},
        {"ff02::1", "multicast"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"},
        /* global unicast */
        {"8.8.8.8", NULL},
        {"1.1.1.1", NULL},
        {"2606:4700::1111", NULL},
        {"2001:4860:4860::8888", NULL},
};

static void test_default_ranges(void **state)
{
	struct guard g;

	(void)state;
	guard_init(&g);
	run_sockaddr_table(&g, range_rows, ARRAY_LEN(range_rows));
}

/* The same table through guard_check_host: a dotted or IPv6 literal is a host. */
static void test_default_ranges_as_hosts(void **state)
{
	struct guard g;

	(void)state;
	guard_init(&g);
	run_host_table(&g, range_rows, ARRAY_LEN(range_rows));
}

static void test_sockaddr_family_port_scope(void **state)
{
	struct guard g;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6;

	(void)state;
	guard_init(&g);

	/* The scope id and the port do not change the verdict. */
	make_sa(&ss, "fe80::1");
	s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_scope_id = 2;
	s6->sin6_port = htons(8080);
	assert_string_equal(guard_check_sockaddr(&g, (struct sockaddr *)&ss), "link_local");

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_string_equal(guard_check_sockaddr(&g, (struct sockaddr *)&ss), "unsupported_family");
	ss.ss_family = AF_UNSPEC;
	assert_string_equal(guard_check_sockaddr(&g, (struct sockaddr *)&ss), "unsupported_family");
	assert_string_equal(guard_check_sockaddr(&g, NULL), "unsupported_family");
}

/* Every spelling of an address that the resolver (inet_aton) accepts. */
static const struct reason_row spelling_rows[] = {
        /* 127.0.0.1 */
        {"127.0.0.1", "loopback"},
        {"2130706433", "loopback"},
        {"0x7f000001", "loopback"},
        {"0X7F000001", "loopback"},
        {"017700000001", "loopback"},
        {"0177.0.0.1", "loopback"},
        {"0177.0000.0000.0001", "loopback"},
        {"127.1", "loopback"},
        {"127.0.1", "loopback"},
        {"0x7f.1", "loopback"},
        {"0x7f.0.1", "loopback"},
        {"0x7f.0.0.1", "loopback"},
        {"0177.0x0.1", "loopback"},
        {"0x7f.0.0.0x1", "loopback"},
        {"127.0.0.1.", "loopback"},
        {"0x7f.1.", "loopback"},
        /* other ranges in other spellings */
        {"0xa.0.0.1", "private"},
        {"012.0.0.1", "private"},
        {"167772161", "private"},
        {"3232235777", "private"},
        {"0xc0a80101", "private"},
        {"192.168.257", "private"},
        {"0xA9FEA9FE", "metadata"},
        {"2852039166", "metadata"},
        {"169.254.43518", "metadata"},
        {"0251.0376.0251.0376", "metadata"},
        {"100.64.1", "cgnat"},
        {"224.1", "multicast"},
        {"4294967295", "broadcast"},
        {"0xffffffff", "broadcast"},
        /* unspecified */
        {"0", "unspecified"},
        {"00", "unspecified"},
        {"0x0", "unspecified"},
        {"0.0.0.0", "unspecified"},
        {"0.0", "unspecified"},
        /* public, in odd spellings */
        {"134744072", NULL},
        {"0x08080808", NULL},
        {"8.8.2056", NULL},
        {"1.1.1.1", NULL},
        /* localhost */
        {"localhost", "loopback"},
        {"LOCALHOST", "loopback"},
        {"LocalHost", "loopback"},
        {"localhost.", "loopback"},
        {"foo.localhost", "loopback"},
        {"a.b.LOCALHOST.", "loopback"},
        {"notlocalhost", NULL},
        {"localhostx", NULL},
        {"localhost.example.com", NULL},
        /* names: judged at connect time */
        {"example.com", NULL},
        {"1.2.3.4.example.com", NULL},
        {"127.0.0.1.nip.io", NULL},
        {"0x7f.example", NULL},
        {"4294967296", NULL}, /* 2^32: not an address, so a (numeric) name */
        {"1.2.3.4.5", NULL},
        /* IPv6, bracketed or not */
        {"[::1]", "loopback"},
        {"::1", "loopback"},
        {"[0:0:0:0:0:0:0:1]", "loopback"},
        {"[::]", "unspecified"},
        {"[::ffff:127.0.0.1]", "loopback"},
        {"[::ffff:7f00:1]", "loopback"},
        {"[::FFFF:7F00:0001]", "loopback"},
        {"[0:0:0:0:0:ffff:127.0.0.1]", "loopback"},
        {"::ffff:10.0.0.1", "private"},
        {"[::ffff:a9fe:a9fe]", "metadata"},
        {"[::ffff:8.8.8.8]", NULL},
        {"[::127.0.0.1]", "loopback"},
        {"[::7f00:1]", "loopback"},
        {"[64:ff9b::7f00:1]", "loopback"},
        {"[64:ff9b::127.0.0.1]", "loopback"},
        {"[64:FF9B::A9FE:A9FE]", "metadata"},
        {"[64:ff9b::808:808]", NULL},
        {"[fe80::1%eth0]", "link_local"},
        {"[fe80::1%25eth0]", "link_local"},
        {"fe80::1%eth0", "link_local"},
        {"[fe80::1%1]", "link_local"},
        {"[fd00:ec2::254]", "metadata"},
        {"[fc00::1]", "unique_local"},
        {"[ff02::1%eth0]", "multicast"},
        {"[2606:4700::1111]", NULL},
        {"2606:4700::1111", NULL},
        /* not names, not addresses */
        {"", "unspecified"},
        {"[::1", "unsupported_family"},
        {"[]", "unsupported_family"},
        {"[%eth0]", "unsupported_family"},
        {"[not-v6]", "unsupported_family"},
        {"[127.0.0.1]", "unsupported_family"},
        {"::zz", "unsupported_family"},
        {"example.com:80", "unsupported_family"},
};

static void test_host_spellings(void **state)
{
	struct guard g;

	(void)state;
	guard_init(&g);
	run_host_table(&g, spelling_rows, ARRAY_LEN(spelling_rows));
	assert_string_equal(guard_check_host(&g, NULL), "unspecified");
}

static void test_allow_loopback_v4(void **state)
{
	static const struct reason_row sa_rows[] = {
	        {"127.0.0.1", NULL},
	        {"127.255.255.254", NULL},
	        {"::ffff:127.0.0.1", NULL},
	        {"::ffff:7f00:1", NULL},
	        {"::127.0.0.1", NULL},
	        {"64:ff9b::127.0.0.1", NULL},
	        {"10.0.0.1", "private"},
	        {"::ffff:10.0.0.1", "private"},
	        {"169.254.169.254", "metadata"},
	        {"::1", "loopback"}, /* an IPv4 CIDR does not cover ::1 */
	        {"128.0.0.1", NULL},
	};
	static const struct reason_row host_rows[] = {
	        /* 127.0.0.1 in several spellings, and localhost */
	        {"127.0.0.1", NULL},
	        {"0x7f.1", NULL},
	        {"2130706433", NULL},
	        {"[::ffff:127.0.0.1]", NULL},
	        {"localhost", NULL},
	        /* outside the allowlist */
	        {"10.0.0.1", "private"},
	        {"[::1]", "loopback"},
	};
	struct guard g;
	char err[128] = "";

	(void)state;
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "127.0.0.0/8", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(g.n_allow, 1);
	assert_int_equal(g.allow[0].family, AF_INET);
	assert_int_equal(g.allow[0].prefix, 8);
	assert_int_equal(g.allow[0].addr[0], 127);
	run_sockaddr_table(&g, sa_rows, ARRAY_LEN(sa_rows));
	run_host_table(&g, host_rows, ARRAY_LEN(host_rows));
}

static void test_allow_other_forms(void **state)
{
	struct guard g;
	char err[128];

	(void)state;

	/* ::1/128 permits ::1 and localhost, not 127.0.0.1 or its mapped form. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "::1/128", err, sizeof(err)), 0);
	assert_null(check_text(&g, "::1"));
	assert_null(guard_check_host(&g, "localhost"));
	assert_string_equal(check_text(&g, "127.0.0.1"), "loopback");
	assert_string_equal(check_text(&g, "::ffff:127.0.0.1"), "loopback");

	/* A bare address is a /32 or a /128. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "10.1.2.3", err, sizeof(err)), 0);
	assert_int_equal(guard_allow(&g, "fd00::5", err, sizeof(err)), 0);
	assert_int_equal(g.n_allow, 2);
	assert_int_equal(g.allow[0].prefix, 32);
	assert_int_equal(g.allow[1].prefix, 128);
	assert_int_equal(g.allow[1].family, AF_INET6);
	assert_null(check_text(&g, "10.1.2.3"));
	assert_null(check_text(&g, "::ffff:10.1.2.3"));
	assert_string_equal(check_text(&g, "10.1.2.4"), "private");
	assert_null(check_text(&g, "fd00::5"));
	assert_string_equal(check_text(&g, "fd00::6"), "unique_local");

	/* The IPv6 form of a mapped range permits the mapped form only. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "::ffff:0:0/96", err, sizeof(err)), 0);
	assert_null(check_text(&g, "::ffff:10.0.0.1"));
	assert_string_equal(check_text(&g, "10.0.0.1"), "private");

	/* A NAT64 prefix allowlisted as IPv6. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "64:ff9b::/96", err, sizeof(err)), 0);
	assert_null(check_text(&g, "64:ff9b::10.0.0.1"));
	assert_string_equal(check_text(&g, "::ffff:10.0.0.1"), "private");

	/* Narrow allowlists inside wide ranges, and the reverse. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "169.254.169.254/32", err, sizeof(err)), 0);
	assert_int_equal(guard_allow(&g, "fd00::/8", err, sizeof(err)), 0);
	assert_null(check_text(&g, "169.254.169.254"));
	assert_string_equal(check_text(&g, "169.254.1.1"), "link_local");
	assert_null(check_text(&g, "fd00:ec2::254"));
	assert_string_equal(check_text(&g, "fc00::1"), "unique_local");

	/* /0 is everything of its family. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_null(check_text(&g, "10.0.0.1"));
	assert_null(check_text(&g, "255.255.255.255"));
	assert_null(check_text(&g, "::ffff:10.0.0.1"));
	assert_string_equal(check_text(&g, "::1"), "loopback");

	/* Odd prefix lengths. */
	guard_init(&g);
	assert_int_equal(guard_allow(&g, "172.16.0.0/13", err, sizeof(err)), 0);
	assert_null(check_text(&g, "172.23.255.255"));
	assert_string_equal(check_text(&g, "172.24.0.0"), "private");
}

struct cidr_err_row {
	const char *cidr;
	const char *err_has;
};

static void test_allow_errors(void **state)
{
	static const struct cidr_err_row rows[] = {
	        {"127.0.0.0/33", "prefix length must be a number 0..32"},
	        {"::/129", "prefix length must be a number 0..128"},
	        {"10.0.0.0/1000000000000000000000", "prefix length"},
	        {"10.0.0.0/-1", "prefix length"},
	        {"10.0.0.0/+8", "prefix length"},
	        {"10.0.0.0/8/8", "prefix length"},
	        {"10.0.0.0/8 ", "prefix length"},
	        {"10.0.0.0/0x8", "prefix length"},
	        {"10.0.0.0/", "missing prefix length"},
	        {"garbage", "not an IPv4 or IPv6 address"},
	        {"garbage/8", "not an IPv4 or IPv6 address"},
	        {"/8", "not an IPv4 or IPv6 address"},
	        {" 10.0.0.0/8", "not an IPv4 or IPv6 address"},
	        {"127.1/8", "not an IPv4 or IPv6 address"},
	        {"0x7f000000/8", "not an IPv4 or IPv6 address"},
	        {"1.2.3.4.5/32", "not an IPv4 or IPv6 address"},
	        {"256.0.0.0/8", "not an IPv4 or IPv6 address"},
	        {"fe80::1%eth0/64", "not an IPv4 or IPv6 address"},
	        {"1:2:3:4:5:6:7:8:9/128", "not an IPv4 or IPv6 address"},
	        {"aaaa:bbbb:cccc:dddd:eeee:ffff:1111:2222:3333:4444:5555:6666/64",
	         "not an IPv4 or IPv6 address"},
	        {"10.0.0.1/8", "host bits set; did you mean 10.0.0.0/8?"},
	        {"192.168.1.1/16", "host bits set; did you mean 192.168.0.0/16?"},
	        {"172.31.0.0/12", "host bits set; did you mean 172.16.0.0/12?"},
	        {"fe80::1/10", "host bits set; did you mean fe80::/10?"},
	        {"::1/0", "host bits set; did you mean ::/0?"},
	        {"", "empty CIDR"},
	};
	struct guard g;
	int bad = 0;

	(void)state;
	guard_init(&g);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char err[256] = "";
		int rc = guard_allow(&g, rows[i].cidr, err, sizeof(err));

		if (rc != RW_EINVAL || strstr(err, rows[i].err_has) == NULL ||
		    strchr(err, '\n') != NULL ||
		    strncmp(err, rows[i].cidr, strnlen(rows[i].cidr, 4)) != 0) {
			print_error("guard_allow(\"%s\") = %d, err \"%s\"; want %d with \"%s\"\n",
			            rows[i].cidr, rc, err, RW_EINVAL, rows[i].err_has);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(g.n_allow, 0);
	assert_int_equal(guard_allow(&g, NULL, NULL, 0), RW_EINVAL);
}

static void test_allow_error_text(void **state)
{
	struct guard g;
	char err[256];
	char small[8];

	(void)state;
	guard_init(&g);

	assert_int_equal(guard_allow(&g, "10.0.0.1/8", err, sizeof(err)), RW_EINVAL);
	assert_string_equal(err, "10.0.0.1/8: host bits set; did you mean 10.0.0.0/8?");

	/* Control bytes are escaped; the line stays one line. */
	assert_int_equal(guard_allow(&g, "10.0.0.0\n/8", err, sizeof(err)), RW_EINVAL);
	assert_non_null(strstr(err, "10.0.0.0\\x0a/8"));
	assert_null(strchr(err, '\n'));

	/* A long value is cut short. */
	{
		char longv[600];

		memset(longv, 'a', sizeof(longv) - 1);
		longv[sizeof(longv) - 1] = '\0';
		assert_int_equal(guard_allow(&g, longv, err, sizeof(err)), RW_EINVAL);
		assert_non_null(strstr(err, "..."));
		assert_true(strlen(err) < 200);
	}

	/* A small buffer is truncated and terminated; NULL is allowed. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(guard_allow(&g, "garbage", small, sizeof(small)), RW_EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(guard_allow(&g, "garbage", NULL, 0), RW_EINVAL);
	assert_int_equal(g.n_allow, 0);
}

static void test_allow_capacity(void **state)
{
	struct guard g;
	char cidr[32], err[256] = "";

	(void)state;
	guard_init(&g);
	for (int i = 0; i < GUARD_MAX_CIDRS; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.0.0/16", i);
		assert_int_equal(guard_allow(&g, cidr, err, sizeof(err)), 0);
	}
	assert_int_equal(g.n_allow, GUARD_MAX_CIDRS);
	assert_int_equal(guard_allow(&g, "10.200.0.0/16", err, sizeof(err)), RW_ERANGE);
	assert_non_null(strstr(err, "10.200.0.0/16"));
	assert_non_null(strstr(err, "too many"));
	/* A bad value is still reported as bad, not as too many. */
	assert_int_equal(guard_allow(&g, "10.0.0.1/8", err, sizeof(err)), RW_EINVAL);
	assert_int_equal(g.n_allow, GUARD_MAX_CIDRS);
	assert_null(check_text(&g, "10.63.255.255"));
	assert_string_equal(check_text(&g, "10.64.0.0"), "private");
	assert_string_equal(check_text(&g, "10.200.0.1"), "private");

	guard_init(&g);
	assert_int_equal(g.n_allow, 0);
	assert_string_equal(check_text(&g, "10.0.0.1"), "private");
}

struct url_ok_row {
	const char *url;
	const char *host;
	int port;
	int https;
};

static void test_parse_url_good(void **state)
{
	static const struct url_ok_row rows[] = {
	        {"http://example.com/", "example.com", 80, 0},
	        {"https://example.com", "example.com", 443, 1},
	        {"HTTPS://Example.COM:8443/x?y#z", "Example.COM", 8443, 1},
	        {"HtTp://a.b-c_d.example:1/", "a.b-c_d.example", 1, 0},
	        {"http://h:65535", "h", 65535, 0},
	        {"http://h:080/", "h", 80, 0},
	        {"https://h:80/", "h", 80, 1},
	        {"http://h?q=1", "h", 80, 0},
	        {"http://h#frag", "h", 80, 0},
	        {"http://h/path@with-at?x=@", "h", 80, 0},
	        {"http://127.0.0.1:8080/health", "127.0.0.1", 8080, 0},
	        /* The host is curl's reading (url.h): what curl will connect to. */
	        {"http://0x7f.1/", "127.0.0.1", 80, 0},
	        {"http://[::1]:8080/", "::1", 8080, 0},
	        {"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 80, 0},
	        {"http://[fe80::1%25eth0]/", "fe80::1", 80, 0}, /* the zone id apart */
	        {"http://[fe80::1%eth0]:81", "fe80::1", 81, 0},
	        {"https://[2606:4700::1111]", "2606:4700::1111", 443, 1},
	        {"https://[2606:4700::1111]?a", "2606:4700::1111", 443, 1},
	        {"http://xn--bcher-kva.example/", "xn--bcher-kva.example", 80, 0},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char host[256] = "junk", err[256] = "";
		int port = -1, https = -1;
		int rc =
		        url_parse(rows[i].url, host, sizeof(host), &port, &https, err, sizeof(err));

		if (rc != 0 || strcmp(host, rows[i].host) != 0 || port != rows[i].port ||
		    https != rows[i].https || err[0] != '\0') {
			print_error("%s: rc %d host \"%s\" port %d https %d err \"%s\"\n",
			            rows[i].url, rc, host, port, https, err);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct url_bad_row {
	const char *url;
	const char *err_has;
};

static void test_parse_url_bad(void **state)
{
	static const struct url_bad_row rows[] = {
	        {"ftp://example.com/", "unsupported scheme \"ftp\""},
	        {"file:///etc/passwd", "unsupported scheme \"file\""},
	        {"gopher://h/", "unsupported scheme"},
	        {"httpx://h/", "unsupported scheme"},
	        {"javascript://h/", "unsupported scheme"},
	        {"example.com", "missing scheme"},
	        {"example.com/a://b", "missing scheme"},
	        {"http:/example.com", "missing scheme"},
	        {"http:example.com", "missing scheme"},
	        {"//example.com", "missing scheme"},
	        {"://example.com", "missing scheme"},
	        {"", "empty URL"},
	        {"http://", "no host"},
	        {"http:///path", "no host"},
	        {"http://?x", "no host"},
	        {"http://#x", "no host"},
	        {"http://:80/", "no host"},
	        {"http://::1/", "no host"},
	        {"http://h:0/", "out of range"},
	        {"http://h:00000/", "out of range"},
	        {"http://h:65536/", "out of range"},
	        {"http://h:70000/", "out of range"},
	        {"http://h:99999999999999999999/", "out of range"},
	        {"http://h:/", "empty port"},
	        {"http://h:8a/", "not a number"},
	        {"http://h:-1/", "not a number"},
	        {"http://h:80:90/", "not a number"},
	        {"http://[::1]:/", "empty port"},
	        {"http://[::1]:0/", "out of range"},
	        {"http://user:pass@h/", "userinfo"},
	        {"http://user@h/", "userinfo"},
	        {"http://@h/", "userinfo"},
	        {"http://h:80@evil/", "userinfo"},
	        {"http://evil.com\\@127.0.0.1/", "userinfo"},
	        {"http://a b/", "whitespace"},
	        {"http://ab/ c", "whitespace"},
	        {"http://ab/\t", "whitespace"},
	        {" http://ab/", "whitespace"},
	        {"http://ab/\r\nHost: x", "whitespace"},
	        {"http://ab/\x7f", "control"},
	        {"http://\x01/", "control"},
	        {"http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1/", "non-ASCII"},
	        {"http://b\xc3\xbc"
	         "cher.example/",
	         "non-ASCII"},
	        {"http://%31%32%37.0.0.1/", "has '%'"},
	        {"http://h\\x/", "has '\\'"},
	        {"http://h;x/", "has ';'"},
	        {"http://[::1/", "no closing ']'"},
	        {"http://[::1", "no closing ']'"},
	        {"http://[zz::1]/", "not a valid IPv6 address"},
	        {"http://[127.0.0.1]/", "not a valid IPv6 address"},
	        {"http://[]/", "not a valid IPv6 address"},
	        {"http://[fe80::1%]/", "not a valid IPv6 address"},
	        {"http://[fe80::1%25]/", "not a valid IPv6 address"},
	        {"http://[fe80::1%eth:0]/", "not a valid IPv6 address"},
	        {"http://[::1]x/", "after ']'"},
	        {"http://[::1]]/", "after ']'"},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char host[256] = "junk", err[256] = "";
		int port = -1, https = -1;
		int rc =
		        url_parse(rows[i].url, host, sizeof(host), &port, &https, err, sizeof(err));

		if (rc != RW_EINVAL || strstr(err, rows[i].err_has) == NULL ||
		    strchr(err, '\n') != NULL || host[0] != '\0' || port != -1 || https != -1) {
			print_error("\"%s\": rc %d host \"%s\" port %d err \"%s\"; want \"%s\"\n",
			            rows[i].url, rc, host, port, err, rows[i].err_has);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_parse_url_limits(void **state)
{
	char url[2100], host[8], err[256];
	int port = 0, https = 0;
	size_t pre;

	(void)state;

	/* Exactly 2048 bytes is fine; 2049 is not. */
	strcpy(url, "http://h/");
	pre = strlen(url);
	memset(url + pre, 'a', 2048 - pre);
	url[2048] = '\0';
	assert_int_equal(url_parse(url, host, sizeof(host), &port, &https, err, sizeof(err)), 0);
	assert_string_equal(host, "h");
	url[2048] = 'a';
	url[2049] = '\0';
	assert_int_equal(url_parse(url, host, sizeof(host), &port, &https, err, sizeof(err)),
	                 RW_EINVAL);
	assert_non_null(strstr(err, "longer than 2048 bytes"));

	/* The host must fit in the caller's buffer, terminator included. */
	assert_int_equal(
	        url_parse("http://abcdefg/", host, sizeof(host), NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(host, "abcdefg");
	assert_int_equal(
	        url_parse("http://abcdefgh/", host, sizeof(host), NULL, NULL, err, sizeof(err)),
	        RW_EINVAL);
	assert_string_equal(host, "");
	assert_non_null(strstr(err, "host is 8 bytes"));

	/* NULL inputs. */
	assert_int_equal(url_parse(NULL, host, sizeof(host), NULL, NULL, NULL, 0), RW_EINVAL);
	assert_int_equal(url_parse("http://h/", NULL, 0, NULL, NULL, NULL, 0), RW_EINVAL);
	assert_int_equal(url_parse("ftp://h/", host, sizeof(host), NULL, NULL, NULL, 0), RW_EINVAL);
}

/* Registration as the daemon does it: parse the URL, then judge its host. */
static void test_parse_then_check(void **state)
{
	static const struct reason_row rows[] = {
	        {"http://[::ffff:127.0.0.1]/", "loopback"},
	        {"http://[::ffff:7f00:1]:8080/", "loopback"},
	        {"http://[64:ff9b::7f00:1]/", "loopback"},
	        {"http://0x7f.1:8080/", "loopback"},
	        {"http://2130706433/", "loopback"},
	        {"http://0177.0.0.1/", "loopback"},
	        {"http://localhost:8080/", "loopback"},
	        {"http://LOCALHOST./", "loopback"},
	        {"http://169.254.169.254/latest/meta-data/", "metadata"},
	        {"http://[fd00:ec2::254]/", "metadata"},
	        {"http://[fe80::1%25eth0]:80/", "link_local"},
	        {"http://0/", "unspecified"},
	        {"https://example.com/", NULL},
	        {"https://8.8.8.8/", NULL},
	        {"https://[2606:4700::1111]/", NULL},
	};
	struct guard g;
	int bad = 0;

	(void)state;
	guard_init(&g);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char host[256], err[256] = "";

		if (url_parse(rows[i].input, host, sizeof(host), NULL, NULL, err, sizeof(err)) !=
		    0) {
			print_error("%s: parse failed: %s\n", rows[i].input, err);
			bad++;
			continue;
		}
		bad += row_mismatch(rows[i].input, guard_check_host(&g, host), rows[i].want);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_default_ranges),
	        cmocka_unit_test(test_default_ranges_as_hosts),
	        cmocka_unit_test(test_sockaddr_family_port_scope),
	        cmocka_unit_test(test_host_spellings),
	        cmocka_unit_test(test_allow_loopback_v4),
	        cmocka_unit_test(test_allow_other_forms),
	        cmocka_unit_test(test_allow_errors),
	        cmocka_unit_test(test_allow_error_text),
	        cmocka_unit_test(test_allow_capacity),
	        cmocka_unit_test(test_parse_url_good),
	        cmocka_unit_test(test_parse_url_bad),
	        cmocka_unit_test(test_parse_url_limits),
	        cmocka_unit_test(test_parse_then_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
