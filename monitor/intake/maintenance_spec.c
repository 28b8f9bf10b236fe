/* SPDX-License-Identifier: MIT */
/* maintenance_spec.c — maintenance window validators; see maintenance_spec.h. */
#include "monitor/intake/maintenance_spec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/base/utf8.h"

int spec_check_maintenance(int64_t from_ms, int64_t to_ms, int64_t now_ms, char *err, size_t errlen)
{
	char a[40], b[40];

	rfc3339_format(from_ms, a, sizeof(a));
	rfc3339_format(to_ms, b, sizeof(b));
	if (from_ms >= to_ms) {
		snprintf(err, errlen, "to: %s is not after from (%s)", b, a);
		return RW_EINVAL;
	}
	if (to_ms <= now_ms) {
		rfc3339_format(now_ms, a, sizeof(a));
		snprintf(err, errlen, "to: %s is in the past (now is %s)", b, a);
		return RW_EINVAL;
	}
	/* Written so that it cannot overflow: to is after now (> 0) here, so
	 * to - MAINT_SPEC_MAX_MS cannot, where to - from could for a from far
	 * in the past. */
	if (from_ms < to_ms - MAINT_SPEC_MAX_MS) {
		snprintf(err, errlen,
		         "to: the window from %s to %s is longer than %d days; declare it in "
		         "parts",
		         a, b, MAINT_SPEC_MAX_DAYS);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_reason(const char *reason, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)(reason ? reason : "");
	size_t len = strlen((const char *)p), i = 0;

	if (len == 0) {
		snprintf(err, errlen,
		         "reason: is empty; say why, e.g. --reason \"kernel upgrade\"");
		return RW_EINVAL;
	}
	if (len > MAINT_SPEC_REASON_MAX) {
		snprintf(err, errlen, "reason: %zu bytes; at most %d", len, MAINT_SPEC_REASON_MAX);
		return RW_EINVAL;
	}
	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0) {
			snprintf(err, errlen, "reason: byte %zu (0x%02x) is not valid UTF-8", i,
			         p[i]);
			return RW_EINVAL;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			snprintf(err, errlen,
			         "reason: control character U+%04" PRIX32
			         " at byte %zu; one line of printable text",
			         cp, i);
			return RW_EINVAL;
		}
		i += n;
	}
	return 0;
}
