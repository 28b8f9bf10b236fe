/* SPDX-License-Identifier: MIT */
/* target.c — target triples: their grammar and whether one is known (target.h). */
#include "policy/target.h"

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

bool target_is_valid(const char *s)
{
	size_t len, parts = 1, part_len = 0;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > RW_TARGET_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '-') {
			if (part_len == 0)
				return false;
			parts++;
			part_len = 0;
			continue;
		}
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (part_len == 0 && !alnum)
			return false;
		if (!alnum && c != '_' && c != '.')
			return false;
		part_len++;
	}
	return part_len > 0 && parts >= 2 && parts <= 4;
}

/* The vendors, operating systems and environments of Rust's targets
 * (`rustc --print target-list`, 1.9x), as the parts after the
 * architecture. A new platform that is not here is refused with the
 * closest name: name it in the policy's "targets" to accept it. */
static const char *const vendors[] = {
        "unknown", "pc",   "apple",     "none",  "nvidia",   "sun",     "fortanix", "uwp",
        "wrs",     "esp",  "espressif", "sony",  "nintendo", "openwrt", "kmc",      "unikraft",
        "ibm",     "lynx", "win7",      "risc0", "succinct", "amd",     "mti",      "rumprun",
        "ohos",    "sgx",  "linux",     "esp32", "esp32s2",  "esp32s3", "vex"};
static const char *const oses[] = {"linux",
                                   "windows",
                                   "darwin",
                                   "ios",
                                   "tvos",
                                   "watchos",
                                   "visionos",
                                   "freebsd",
                                   "netbsd",
                                   "openbsd",
                                   "dragonfly",
                                   "solaris",
                                   "illumos",
                                   "android",
                                   "androideabi",
                                   "fuchsia",
                                   "redox",
                                   "haiku",
                                   "hermit",
                                   "wasi",
                                   "wasip1",
                                   "wasip2",
                                   "wasip1-threads",
                                   "emscripten",
                                   "cuda",
                                   "l4re",
                                   "vxworks",
                                   "espidf",
                                   "horizon",
                                   "psp",
                                   "psx",
                                   "vita",
                                   "aix",
                                   "hurd",
                                   "nto",
                                   "teeos",
                                   "trusty",
                                   "uefi",
                                   "managarm",
                                   "rtems",
                                   "nuttx",
                                   "zkvm",
                                   "cygwin",
                                   "qurt",
                                   "ohos",
                                   "none",
                                   "elf",
                                   "unknown",
                                   "amdhsa",
                                   "gnu",
                                   "xous",
                                   "solid_asp3",
                                   "vexos",
                                   "helenos",
                                   "lynxos178",
                                   "amdgcn",
                                   "macabi",
                                   "sim",
                                   "eabi",
                                   "eabihf",
                                   "switch",
                                   "3ds"};
static const char *const envs[] = {
        "gnu",          "gnueabi",    "gnueabihf",    "gnux32",       "gnuspe",
        "gnuabi64",     "gnuabiv2",   "gnuabiv2hf",   "gnullvm",      "musl",
        "musleabi",     "musleabihf", "muslabi64",    "muslspe",      "msvc",
        "sgx",          "android",    "androideabi",  "eabi",         "eabihf",
        "elf",          "macabi",     "sim",          "uclibc",       "uclibceabi",
        "uclibceabihf", "newlib",     "newlibeabihf", "relibc",       "ohos",
        "sgx",          "softfloat",  "threads",      "spe",          "kernel",
        "p1",           "p2",         "hermit",       "nto70",        "nto71",
        "nto71_iosock", "nto80",      "v5",           "freestanding", "ilp32",
        "gnuilp32",     "atmega328",  "preview1",     "wasip1",       "wasip2",
        "llvm",         "none",       "qnx700",       "qnx710",       "qnx710_iosock",
        "qnx800",       "mlibc",      "gnu_ilp32"};

/* The only OSes of two-part targets (wasm32-wasip1, wasm32v1-none): a two-
 * part "s390x-linux" is a triple missing its vendor, not a target. */
static const char *const two_part_oses[] = {"wasip1", "wasip2", "none"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The Damerau-Levenshtein distance of @p a and @p b (n, m < 72). */
static size_t distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t d[73][73];

	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

/* The closest of @p v to @p s[0..len) at distance 1..2, or NULL. */
static const char *closest(const char *s, size_t len, const char *const *v, size_t n)
{
	const char *best = NULL;
	size_t bd = 3;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]), dd;
		if (l > 72 || len > 72)
			continue;
		dd = distance(s, len, v[i], l);
		if (dd < bd) {
			bd = dd;
			best = v[i];
		}
	}
	return best;
}

static bool in(const char *s, size_t len, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i]) == len && memcmp(v[i], s, len) == 0)
			return true;
	return false;
}

/* The policy's list, as the known names. */
static bool known_by_policy(const char *s, const struct rw_policy *pol, char *why, size_t len)
{
	const char *best = NULL;
	/* Whole triples: a longer name may be further off and still meant. */
	size_t bd = 4 + strlen(s) / 16;

	for (size_t i = 0; i < pol->n_targets; i++) {
		const char *t = pol->targets[i].triple;
		size_t dd;
		if (strcmp(t, s) == 0)
			return true;
		dd = distance(s, strlen(s), t, strlen(t));
		if (dd < bd) {
			bd = dd;
			best = t;
		}
	}
	if (best)
		snprintf(why, len, "the policy's targets do not include it (did you mean %s?)",
		         best);
	else
		snprintf(why, len,
		         "the policy's targets do not include it (add it to \"targets\" in the "
		         "policy first)");
	return false;
}

bool target_known(const char *s, const struct rw_policy *pol, char *why, size_t len)
{
	const char *part[4], *end;
	size_t plen[4], n = 0;

	if (pol && pol->n_targets > 0)
		return known_by_policy(s, pol, why, len);
	for (const char *p = s; n < 4; p = end + 1) {
		end = strchr(p, '-');
		part[n] = p;
		plen[n] = end ? (size_t)(end - p) : strlen(p);
		n++;
		if (!end)
			break;
	}
	/* arch-os, arch-vendor-os or arch-os-env, arch-vendor-os-env. */
	for (size_t i = 1; i < n; i++) {
		const char *const *v;
		size_t nv;
		const char *what, *near;
		bool ok;
		if (n == 2 || (i == 1 && n == 3)) {
			/* a vendor or an OS (aarch64-linux-android has no vendor) */
			ok = n == 2 ? in(part[i], plen[i], two_part_oses, N(two_part_oses))
			            : in(part[i], plen[i], vendors, N(vendors)) ||
			                      in(part[i], plen[i], oses, N(oses));
			v = n == 2 ? two_part_oses : vendors;
			nv = n == 2 ? N(two_part_oses) : N(vendors);
			what = n == 2 ? "operating system" : "vendor";
		} else if ((n == 3 && i == 2) || (n == 4 && i == 2)) {
			ok = in(part[i], plen[i], oses, N(oses)) ||
			     (n == 3 && in(part[i], plen[i], envs, N(envs)));
			v = oses;
			nv = N(oses);
			what = "operating system";
		} else if (n == 4 && i == 1) {
			ok = in(part[i], plen[i], vendors, N(vendors));
			v = vendors;
			nv = N(vendors);
			what = "vendor";
		} else {
			ok = in(part[i], plen[i], envs, N(envs));
			v = envs;
			nv = N(envs);
			what = "environment";
		}
		if (ok)
			continue;
		near = closest(part[i], plen[i], v, nv);
		if (!near && n == 3 && i == 1) /* a vendor or an OS: either may be meant */
			near = closest(part[i], plen[i], oses, N(oses));
		if (n == 2)
			snprintf(why, len,
			         "a two-part triple is ARCH-OS for %s only; this looks like "
			         "ARCH-VENDOR-OS[-ENV] with a part missing (e.g. "
			         "%.*s-unknown-linux-gnu)",
			         "wasip1, wasip2 and none", (int)plen[0], part[0]);
		else if (near)
			snprintf(why, len, "\"%.*s\" is no %s of Rust's targets (did you mean %s?)",
			         (int)plen[i], part[i], what, near);
		else
			snprintf(why, len,
			         "\"%.*s\" is no %s of Rust's targets (name the target in the "
			         "policy's \"targets\" to accept it)",
			         (int)plen[i], part[i], what);
		return false;
	}
	return true;
}
