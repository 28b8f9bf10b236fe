/* SPDX-License-Identifier: MIT */
/* runner_spec.c — registration validators; see runner_spec.h. */
#include "monitor/intake/runner_spec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "monitor/core/url.h"
#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"
#include "policy/target.h"

/* @p s escaped into @p out for quoting in a message (xesc()). */
static const char *shown(const char *s, char *out, size_t outlen)
{
	xesc(out, outlen, s, strlen(s));
	return out;
}

int spec_check_name(const char *field, const char *name, char *err, size_t errlen)
{
	char buf[96];
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > RUNNER_SPEC_NAME_MAX) {
		snprintf(err, errlen, "%s: \"%s\" must be 1 to %d characters", field,
		         shown(name ? name : "", buf, sizeof(buf)), RUNNER_SPEC_NAME_MAX);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isalnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-')))
			continue;
		snprintf(err, errlen,
		         "%s: \"%s\" may use only letters, digits, '.', '_' and '-', starting "
		         "with a letter or digit",
		         field, shown(name, buf, sizeof(buf)));
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_email(const char *email, char *err, size_t errlen)
{
	char buf[96];
	const char *at = email ? strchr(email, '@') : NULL;
	size_t len = email ? strlen(email) : 0;

	if (!at || at == email || !at[1] || strchr(at + 1, '@') || len > 254 ||
	    !strchr(at + 1, '.') || at[1] == '.' || email[len - 1] == '.' || strstr(at, ".."))
		goto bad;
	for (const unsigned char *p = (const unsigned char *)email; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			goto bad;
	return 0;
bad:
	snprintf(err, errlen, "email: \"%s\" is not an address like ops@example.org",
	         shown(email ? email : "", buf, sizeof(buf)));
	return RW_EINVAL;
}

int spec_check_targets(const char *const *targets, size_t n, char *err, size_t errlen)
{
	char buf[96];

	if (n == 0) {
		snprintf(err, errlen,
		         "target: at least one target is required, e.g. --target "
		         "riscv64gc-unknown-linux-gnu");
		return RW_EINVAL;
	}
	if (n > RUNNER_SPEC_MAX_TARGETS) {
		snprintf(err, errlen, "target: %zu targets given; at most %d", n,
		         RUNNER_SPEC_MAX_TARGETS);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!target_is_valid(targets[i])) {
			snprintf(err, errlen,
			         "target: \"%s\" is not a target triple (lowercase "
			         "arch-vendor-os[-env], "
			         "e.g. riscv64gc-unknown-linux-gnu)",
			         shown(targets[i], buf, sizeof(buf)));
			return RW_EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(targets[i], targets[j]) == 0) {
				snprintf(err, errlen, "target: \"%s\" is given twice", targets[i]);
				return RW_EINVAL;
			}
		}
	}
	return 0;
}

int spec_check_url(const char *url, char *err, size_t errlen)
{
	char why[200], buf[96];

	if (!url || url_check(url, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "url: \"%s\": %s", shown(url ? url : "", buf, sizeof(buf)),
		         url ? why : "missing");
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_interval(long interval_s, char *err, size_t errlen)
{
	if (interval_s < 0 || interval_s > 86400) {
		snprintf(err, errlen, "interval: %ld is not in [1, 86400] seconds", interval_s);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_timeout(long timeout_ms, char *err, size_t errlen)
{
	if (timeout_ms < 0 || (timeout_ms && timeout_ms < 100) || timeout_ms > 86400000) {
		snprintf(err, errlen, "timeout: %ld is not in [100, 86400000] ms", timeout_ms);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_labels(const char *const *labels, size_t n, char *err, size_t errlen)
{
	if (n > RUNNER_SPEC_MAX_TARGETS) {
		snprintf(err, errlen, "label: %zu labels given; at most %d", n,
		         RUNNER_SPEC_MAX_TARGETS);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (spec_check_name("label", labels[i], err, errlen) < 0)
			return RW_EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(labels[i], labels[j]) == 0) {
				snprintf(err, errlen, "label: \"%s\" is given twice", labels[i]);
				return RW_EINVAL;
			}
		}
	}
	return 0;
}
