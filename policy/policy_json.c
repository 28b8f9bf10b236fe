/* SPDX-License-Identifier: MIT */
/*
 * policy_json.c — policy_to_json(): a parsed policy back to normalized JSON.
 *
 * The output is the canonical text of a policy: every field present, defaults
 * included, keys in the order of DESIGN.md's example (then "pool", "github"), two-space indent, one
 * trailing newline. It depends only on the struct, never on the file the
 * policy came from, so equal policies render to equal bytes.
 *
 * Invariant: policy_parse(policy_to_json(p)) gives a policy equal to p.
 * Ratios are printed with the fewest significant digits that read back as the
 * same double (so their ppm is the same too), days as a comma list in week
 * order ("mon,tue,wed,thu,fri"), times as "HH:MM", tiers and targets in the
 * sorted order the parser keeps them in. Numbers are written with '.' even
 * under a locale whose decimal point is ','. Strings are written by
 * strbuf_json_str(), the one JSON string writer.
 */
#include "policy/policy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/strbuf.h"

/* The shortest "%.*g" that reads back as @p v. */
static void put_double(struct strbuf *b, double v)
{
	char s[40];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	for (char *q = s; *q; q++)
		if (*q == ',')
			*q = '.';
	strbuf_puts(b, s);
}

/* Starts a member: indentation, the key and ": ". */
static void key(struct strbuf *b, int level, const char *name)
{
	for (int i = 0; i < level; i++)
		strbuf_puts(b, "  ");
	strbuf_json_str(b, name);
	strbuf_puts(b, ": ");
}

/* Ends a member or an element. */
static void next(struct strbuf *b, bool last)
{
	strbuf_puts(b, last ? "\n" : ",\n");
}

static void close_at(struct strbuf *b, int level, const char *bracket)
{
	for (int i = 0; i < level; i++)
		strbuf_puts(b, "  ");
	strbuf_puts(b, bracket);
}

static void uint_member(struct strbuf *b, int level, const char *name, uint32_t v, bool last)
{
	key(b, level, name);
	strbuf_printf(b, "%u", (unsigned)v);
	next(b, last);
}

static void ratio_member(struct strbuf *b, int level, const char *name, double v, bool last)
{
	key(b, level, name);
	put_double(b, v);
	next(b, last);
}

static void put_days(struct strbuf *b, uint8_t days)
{
	static const char *const names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	bool first = true;

	strbuf_puts(b, "\"");
	for (int d = 0; d < 7; d++) {
		if (!(days & (1u << d)))
			continue;
		strbuf_puts(b, first ? "" : ",");
		strbuf_puts(b, names[d]);
		first = false;
	}
	strbuf_puts(b, "\"");
}

static void put_time(struct strbuf *b, uint16_t min)
{
	strbuf_printf(b, "\"%02u:%02u\"", (unsigned)(min / 60), (unsigned)(min % 60));
}

static void put_tiers_targets(struct strbuf *b, const struct rw_policy *p)
{
	key(b, 1, "tiers");
	strbuf_puts(b, p->n_tiers ? "{\n" : "{}");
	for (size_t i = 0; i < p->n_tiers; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", p->tiers[i].tier);
		key(b, 2, name);
		strbuf_puts(b, "{\n");
		ratio_member(b, 3, "uptime_floor", p->tiers[i].uptime_floor, true);
		close_at(b, 2, "}");
		next(b, i + 1 == p->n_tiers);
	}
	if (p->n_tiers)
		close_at(b, 1, "}");
	next(b, false);

	key(b, 1, "targets");
	strbuf_puts(b, p->n_targets ? "{\n" : "{}");
	for (size_t i = 0; i < p->n_targets; i++) {
		key(b, 2, p->targets[i].triple);
		strbuf_printf(b, "%d", p->targets[i].tier);
		next(b, i + 1 == p->n_targets);
	}
	if (p->n_targets)
		close_at(b, 1, "}");
	next(b, false);
}

static void put_service_window(struct strbuf *b, const struct rw_policy *p)
{
	key(b, 1, "service_window");
	strbuf_puts(b, "{\n");
	key(b, 2, "weekly");
	strbuf_puts(b, p->n_service_spans ? "[\n" : "[]");
	for (size_t i = 0; i < p->n_service_spans; i++) {
		const struct rw_policy_span *s = &p->service_spans[i];
		close_at(b, 3, "{\n");
		key(b, 4, "days");
		put_days(b, s->days);
		next(b, false);
		key(b, 4, "from");
		put_time(b, s->from_min);
		next(b, false);
		key(b, 4, "to");
		put_time(b, s->to_min);
		next(b, true);
		close_at(b, 3, "}");
		next(b, i + 1 == p->n_service_spans);
	}
	if (p->n_service_spans)
		close_at(b, 2, "]");
	next(b, true);
	close_at(b, 1, "}");
	next(b, false);
}

static void put_blindness(struct strbuf *b, const struct rw_policy *p)
{
	key(b, 1, "blindness");
	strbuf_puts(b, "{\n");
	ratio_member(b, 2, "fraction", p->blindness.fraction, false);
	uint_member(b, 2, "min_runners", p->blindness.min_runners, false);
	key(b, 2, "canaries");
	strbuf_puts(b, p->blindness.n_canaries ? "[\n" : "[]");
	for (size_t i = 0; i < p->blindness.n_canaries; i++) {
		close_at(b, 3, "");
		strbuf_json_str(b, p->blindness.canaries[i]);
		next(b, i + 1 == p->blindness.n_canaries);
	}
	if (p->blindness.n_canaries)
		close_at(b, 2, "]");
	next(b, true);
	close_at(b, 1, "}");
	next(b, false);
}

char *policy_to_json(const struct rw_policy *p)
{
	struct strbuf b;

	if (!p)
		return NULL;
	strbuf_init(&b);
	strbuf_puts(&b, "{\n");
	key(&b, 1, "version");
	strbuf_printf(&b, "%d", p->version);
	next(&b, false);
	ratio_member(&b, 1, "uptime_floor", p->uptime_floor, false);
	put_tiers_targets(&b, p);

	key(&b, 1, "probe");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "interval_s", p->probe.interval_s, false);
	uint_member(&b, 2, "timeout_ms", p->probe.timeout_ms, false);
	uint_member(&b, 2, "failures_to_down", p->probe.failures_to_down, false);
	uint_member(&b, 2, "successes_to_up", p->probe.successes_to_up, true);
	close_at(&b, 1, "},\n");

	key(&b, 1, "push");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "grace_s", p->push.grace_s, true);
	close_at(&b, 1, "},\n");

	key(&b, 1, "vantage");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "quorum", p->vantage.quorum, true);
	close_at(&b, 1, "},\n");

	key(&b, 1, "window");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "rolling_days", p->window.rolling_days, false);
	ratio_member(&b, 2, "min_coverage", p->window.min_coverage, true);
	close_at(&b, 1, "},\n");

	key(&b, 1, "flagging");
	strbuf_puts(&b, "{\n");
	ratio_member(&b, 2, "restore_margin", p->flagging.restore_margin, false);
	uint_member(&b, 2, "probation_days", p->flagging.probation_days, true);
	close_at(&b, 1, "},\n");

	key(&b, 1, "maintenance");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "min_notice_h", p->maintenance.min_notice_h, false);
	uint_member(&b, 2, "max_h_per_month", p->maintenance.max_h_per_month, true);
	close_at(&b, 1, "},\n");

	put_service_window(&b, p);
	put_blindness(&b, p);
	key(&b, 1, "pool");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "min_runners", p->pool.min_runners, true);
	close_at(&b, 1, "},\n");
	key(&b, 1, "github");
	strbuf_puts(&b, "{\n");
	uint_member(&b, 2, "member_retention_days", p->github.member_retention_days, true);
	close_at(&b, 1, "}\n");
	strbuf_puts(&b, "}\n");
	return strbuf_take(&b, NULL); /* NULL after a failed allocation */
}
