/* SPDX-License-Identifier: MIT */
/* maintenance_spec.c — maintenance window validators; see maintenance_spec.h. */
#include "monitor/intake/maintenance_spec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/store/store.h"
#include "policy/account.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/base/utf8.h"
#include "policy/calendar.h"

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

#define HOUR_MS ((int64_t)3600000)

/* "24" or "1.50" hours. */
static const char *hours(int64_t ms, char *out, size_t outlen)
{
	if (ms % HOUR_MS == 0)
		snprintf(out, outlen, "%" PRId64, ms / HOUR_MS);
	else
		snprintf(out, outlen, "%.2f", (double)ms / (double)HOUR_MS);
	return out;
}

/* The windows of @p ws as the accounting reads them, without @p skip_id (0:
 * all); @p out holds @p n. */
static size_t to_windows(const struct store_maintenance *ws, size_t n, int64_t skip_id,
                         struct rw_maintenance *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (ws[i].id == skip_id || store_maintenance_cancelled(&ws[i]))
			continue;
		out[k].start_ms = ws[i].start_ms;
		out[k].end_ms = ws[i].end_ms;
		out[k].declared_ms = ws[i].declared_ms;
		k++;
	}
	return k;
}

static struct maint_warning *next_warning(struct maint_advice *out)
{
	struct maint_warning *w;

	if (out->n == MAINT_ADVICE_MAX)
		return NULL;
	w = &out->w[out->n++];
	memset(w, 0, sizeof(*w));
	return w;
}

/* The cap's warning for the month that starts at @p month_start. */
static void cap_advice(const struct rw_policy *pol, struct account_input *in,
                       struct rw_maintenance *all, size_t n_all, size_t n_without,
                       struct rw_maintenance *without, int64_t month_start,
                       struct maint_advice *out)
{
	struct rw_policy uncapped = *pol; /* a shallow copy, only read */
	int64_t cap = (int64_t)pol->maintenance.max_h_per_month * HOUR_MS, used, declared;
	char month[40], a[32], b[32], c[32];
	struct maint_warning *w;

	in->mw = without;
	in->n_mw = n_without;
	used = account_maintenance_used(in, month_start);
	/* More hours than any month has: nothing is cut by the cap. */
	uncapped.maintenance.max_h_per_month = 32 * 24;
	in->policy = &uncapped;
	in->mw = all;
	in->n_mw = n_all;
	declared = account_maintenance_used(in, month_start);
	in->policy = pol;
	if (used < cap && declared <= cap)
		return;
	w = next_warning(out);
	if (!w)
		return;
	rfc3339_format(month_start, month, sizeof(month));
	month[7] = '\0'; /* YYYY-MM */
	w->month_start_ms = month_start;
	w->used_ms = used;
	w->declared_ms = declared;
	w->cap_ms = cap;
	if (cap == 0) {
		w->kind = "cap_used";
		snprintf(w->detail, sizeof(w->detail),
		         "the policy credits no maintenance (maintenance.max_h_per_month is 0): "
		         "this window counts as what the probes see");
	} else if (used >= cap) {
		w->kind = "cap_used";
		snprintf(w->detail, sizeof(w->detail),
		         "the maintenance cap of %s (max_h_per_month %s h) is already used (%s h "
		         "credited): this window counts as what the probes see",
		         month, hours(cap, a, sizeof(a)), hours(used, b, sizeof(b)));
	} else {
		w->kind = "cap_exceeded";
		snprintf(w->detail, sizeof(w->detail),
		         "%s h of maintenance are now declared in %s, over the cap of %s h "
		         "(max_h_per_month): the %s h beyond it, the latest, count as what the "
		         "probes see",
		         hours(declared, a, sizeof(a)), month, hours(cap, b, sizeof(b)),
		         hours(declared - cap, c, sizeof(c)));
	}
}

void spec_maintenance_advice(const struct rw_policy *pol, int64_t created_ms,
                             const struct store_maintenance *ws, size_t n, int64_t new_id,
                             struct maint_advice *out)
{
	struct rw_maintenance stack[32], *all = stack, *without;
	const struct store_maintenance *nw = NULL;
	struct account_input in;
	int64_t m0, m0_end, m1, m1_end;
	size_t n_all, n_without;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		if (ws[i].id == new_id)
			nw = &ws[i];
	if (!nw)
		return;
	/* Overlaps first: the other windows that stand and share time with it. */
	for (size_t i = 0; i < n; i++) {
		const struct store_maintenance *o = &ws[i];
		struct maint_warning *w;
		char a[40], b[40];

		if (o == nw || store_maintenance_cancelled(o) || o->end_ms <= nw->start_ms ||
		    o->start_ms >= nw->end_ms)
			continue;
		if (out->n >= MAINT_ADVICE_MAX - 2) { /* room for the cap's two months */
			out->n_more++;
			continue;
		}
		w = next_warning(out);
		w->kind = "overlap";
		w->window_id = o->id;
		w->start_ms = o->start_ms;
		w->end_ms = o->end_ms;
		rfc3339_format(o->start_ms, a, sizeof(a));
		rfc3339_format(o->end_ms, b, sizeof(b));
		snprintf(w->detail, sizeof(w->detail),
		         "it overlaps maintenance %" PRId64 " (%s to %s) of the same runner; time "
		         "in both counts once",
		         o->id, a, b);
	}
	/* The cap, in each month the window touches. */
	if (n * 2 > sizeof(stack) / sizeof(stack[0])) {
		all = malloc(n * 2 * sizeof(*all));
		if (!all)
			return; /* advice only: none rather than a wrong one */
	}
	without = all + n;
	n_all = to_windows(ws, n, 0, all);
	n_without = to_windows(ws, n, new_id, without);
	memset(&in, 0, sizeof(in));
	in.policy = pol;
	in.now_ms = nw->declared_ms;
	in.created_ms = created_ms;
	calendar_month(nw->start_ms, &m0, &m0_end);
	cap_advice(pol, &in, all, n_all, n_without, without, m0, out);
	calendar_month(nw->end_ms - 1, &m1, &m1_end);
	if (m1 != m0)
		cap_advice(pol, &in, all, n_all, n_without, without, m1, out);
	if (all != stack)
		free(all);
}
