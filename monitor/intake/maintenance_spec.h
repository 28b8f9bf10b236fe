/* SPDX-License-Identifier: MIT */
/*
 * maintenance_spec.h — the one validator of a declared maintenance window:
 * its times and its reason. The CLI (`runwarden maintenance add`) and, later,
 * the HTTP API call these, so the rules cannot drift apart. Every error is
 * one line naming the field ("from", "to", "reason"), the value and what is
 * allowed. Whether the window has enough notice is not a validity question:
 * a late window is accepted and counts as what the probes see (account.h).
 */
#ifndef RW_MAINTENANCE_SPEC_H
#define RW_MAINTENANCE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define MAINT_SPEC_MAX_DAYS   31
#define MAINT_SPEC_MAX_MS     ((int64_t)MAINT_SPEC_MAX_DAYS * 24 * 3600 * 1000)
#define MAINT_SPEC_REASON_MAX 500 /* bytes */

/**
 * Checks a window [@p from_ms, @p to_ms) declared at @p now_ms: from before
 * to, to after now (a window already over cannot be declared), and at most
 * MAINT_SPEC_MAX_DAYS long. A window that has already started is allowed.
 * @return 0 or RW_EINVAL with @p err set.
 */
int spec_check_maintenance(int64_t from_ms, int64_t to_ms, int64_t now_ms, char *err,
                           size_t errlen);

/**
 * Checks a reason: 1..MAINT_SPEC_REASON_MAX bytes of valid UTF-8 with no
 * control characters (C0, DEL, C1), so it is safe in logs, tables and JSON.
 * @return 0 or RW_EINVAL with @p err set.
 */
int spec_check_reason(const char *reason, char *err, size_t errlen);

#endif
