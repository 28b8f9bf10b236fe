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

/* ---- advice on a new window ------------------------------------------------
 *
 * What the CLI (`maintenance add`) and the API (POST .../maintenance) say
 * about a window they stored, beside its notice: whether the month's cap
 * (the policy's maintenance.max_h_per_month) was already used or is now
 * exceeded, and which of the runner's windows it overlaps. Advice, not a
 * refusal: the accounting decides what counts (policy/account.h, rule 2).
 */

struct rw_policy;
struct store_maintenance;

#define MAINT_ADVICE_MAX 10

/** One warning; the fields after detail are set for its kind. */
struct maint_warning {
	const char *kind; /* "cap_used", "cap_exceeded" or "overlap" (static) */
	char detail[300]; /* one line for people, naming the figures or the window */
	/* cap_used, cap_exceeded: the calendar month (UTC) and its figures */
	int64_t month_start_ms;
	int64_t used_ms;     /* credited in the month before this window */
	int64_t declared_ms; /* declared in the month with it, before the cap */
	int64_t cap_ms;
	/* overlap: the other window */
	int64_t window_id, start_ms, end_ms;
};

struct maint_advice {
	struct maint_warning w[MAINT_ADVICE_MAX];
	size_t n;
	size_t n_more; /* overlapping windows left out for want of room */
};

/**
 * The warnings about window @p new_id among @p ws, the runner's windows
 * that stand (store_maintenance_list() without the removed ones, over the
 * months the new window touches; the new window is among them), under
 * @p pol, for a runner registered at @p created_ms. The cap's figures are
 * account_maintenance_used()'s: what the month credits without the new
 * window ("used"), and what it would credit with it if there were no cap
 * ("declared"; notice and service window still apply). cap_used when the
 * month's cap was used up before it; else cap_exceeded when the month's
 * declared maintenance is over the cap. A window that touches two months
 * is judged in each.
 */
void spec_maintenance_advice(const struct rw_policy *pol, int64_t created_ms,
                             const struct store_maintenance *ws, size_t n, int64_t new_id,
                             struct maint_advice *out);

#endif
