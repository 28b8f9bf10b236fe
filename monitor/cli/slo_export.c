/* SPDX-License-Identifier: MIT */
/*
 * slo_export.c — the policy's floors as OpenSLO, Sloth and Pyrra specs, and
 * the recording rule of their SLI; see slo_export.h.
 *
 * The schemas, as their projects define them:
 * - OpenSLO v1 (github.com/OpenSLO/OpenSLO, README "SLO", "SLI",
 *   "Objectives"): apiVersion openslo/v1, kind SLO, metadata.name an RFC 1123
 *   label; spec.service, an inline spec.indicator (ratioMetric good/total,
 *   counter false: gauges), exactly one timeWindow (here calendar-aligned:
 *   duration 1M, isRolling false, calendar.startTime without a zone and
 *   calendar.timeZone), budgetingMethod Timeslices, objectives with target in
 *   [0, 1), timeSliceTarget in (0, 1] and timeSliceWindow (required with
 *   Timeslices). A one-minute slice is good when the runner was up at every
 *   sample of it (timeSliceTarget 1).
 * - Sloth prometheus/v1 (github.com/slok/sloth, pkg/prometheus/api/v1):
 *   version, service, labels, slos[] with name (^[A-Za-z0-9][-A-Za-z0-9_.]*
 *   [A-Za-z0-9]$), objective in percent (0, 100], description, sli.events
 *   error_query and total_query using {{.window}}, alerting.name (required),
 *   labels, annotations, page_alert and ticket_alert. Sloth has no calendar
 *   window: its period is its --default-slo-period (30d unless set).
 * - Pyrra pyrra.dev/v1alpha1 ServiceLevelObjective (github.com/pyrra-dev/
 *   pyrra, kubernetes/api/v1alpha1): metadata.name and namespace, spec.target
 *   a string in percent, spec.window a Prometheus duration (rolling only:
 *   the policy's rolling window), spec.indicator.bool_gauge.metric a vector
 *   selector (1 good, 0 bad) with grouping, spec.alerting.name.
 *
 * Output is deterministic: tiers in ascending order, then the targets no
 * tier maps, then each mapped target sorted by triple. Strings are written
 * as YAML single-quoted scalars (or JSON-quoted ones, which YAML reads the
 * same, when they hold a control character).
 */
#include "monitor/cli/slo_export.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

#define SERVICE    "ci-runners"
#define ALERT_NAME "RunwardenRunnerUptimeBudgetBurn"
#define GROUPING   "runner, operator"

/* One SLO: a tier, the targets no tier maps, or one mapped target. */
struct unit {
	enum { UNIT_TIER, UNIT_DEFAULT, UNIT_TARGET } kind;
	int tier;           /* UNIT_TIER, UNIT_TARGET (0: none) */
	const char *triple; /* UNIT_TARGET */
	uint32_t floor_ppm;
	char id[160];      /* Sloth's name: tier-2, default, target-TRIPLE */
	char name[64];     /* OpenSLO's and Pyrra's: an RFC 1123 label, runwarden-… */
	char sli[64];      /* OpenSLO's indicator name */
	char sel[200];     /* the SLI's selector: M{tier="2"} */
	char what[200];    /* for people: "tier 2", … */
	char serving[200]; /* "runners serving …": "a target of tier 2", … */
};

int slo_format_parse(const char *s, enum slo_format *out)
{
	static const char *const names[] = {"openslo", "sloth", "pyrra", "rules"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum slo_format)i;
			return 0;
		}
	}
	return RW_EINVAL;
}

/* ---- YAML and numbers --------------------------------------------------- */

/* A YAML scalar for @p s: single-quoted ('' for '), or JSON-quoted when it
 * holds a control character (YAML reads JSON strings as double-quoted). */
static void ystr(struct strbuf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			strbuf_json_str(b, s);
			return;
		}
	}
	strbuf_puts(b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			strbuf_puts(b, "''");
		else
			strbuf_append(b, p, 1);
	}
	strbuf_puts(b, "'");
}

/* @p ppm / 10^@p scale_digits, exactly, without trailing zeros:
 * ratio (6 digits) 990000 -> "0.99"; percent (4 digits) 990000 -> "99". */
static void put_fixed(struct strbuf *b, uint32_t ppm, int scale_digits)
{
	uint32_t scale = scale_digits == 6 ? 1000000 : 10000;
	char frac[8];
	int n;

	strbuf_printf(b, "%" PRIu32, ppm / scale);
	n = snprintf(frac, sizeof(frac), "%0*" PRIu32, scale_digits, ppm % scale);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	if (n > 0)
		strbuf_printf(b, ".%s", frac);
}

static void ratio(struct strbuf *b, uint32_t ppm)
{
	put_fixed(b, ppm, 6);
}

static void percent(struct strbuf *b, uint32_t ppm)
{
	put_fixed(b, ppm, 4);
}

/* A PromQL label value: backslash and double quote escaped. */
static void promql_value(char *dst, size_t n, const char *s)
{
	size_t j = 0;

	for (; *s && j + 3 < n; s++) {
		if (*s == '\\' || *s == '"')
			dst[j++] = '\\';
		dst[j++] = *s;
	}
	dst[j] = '\0';
}

/* FNV-1a, for a short stable suffix that keeps long or clashing names apart. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Ends @p name (at most 54 bytes of it kept) with "-" and 8 hex digits of
 * @p id's hash: 63 bytes at most, still a valid label. */
static void name_suffix(char name[64], const char *id)
{
	size_t l = strlen(name);

	if (l > 54)
		l = 54;
	while (l > 0 && name[l - 1] == '-')
		l--;
	snprintf(name + l, 64 - l, "-%08" PRIx32, fnv1a(id));
}

/* "runwarden-" + @p id as an RFC 1123 label: lowercase letters, digits and
 * '-', at most 63, starting and ending with a letter or digit. */
static void k8s_name(char out[64], const char *id)
{
	size_t j = 0;
	char raw[256];

	snprintf(raw, sizeof(raw), "runwarden-%s", id);
	for (const char *p = raw; *p && j < 63; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (j == 0 || out[j - 1] == '-'))
			continue;
		out[j++] = c;
	}
	while (j > 0 && out[j - 1] == '-')
		j--;
	out[j] = '\0';
	if (strlen(raw) > 63)
		name_suffix(out, id);
}

/* ---- the SLOs ------------------------------------------------------------ */

static uint32_t tier_floor(const struct rw_policy *pol, int tier)
{
	for (size_t i = 0; i < pol->n_tiers; i++)
		if (pol->tiers[i].tier == tier)
			return pol->tiers[i].floor_ppm;
	return pol->floor_ppm;
}

static int by_triple(const void *a, const void *b)
{
	const struct rw_policy_target *x = *(const struct rw_policy_target *const *)a;
	const struct rw_policy_target *y = *(const struct rw_policy_target *const *)b;
	return strcmp(x->triple, y->triple);
}

static void finish_unit(struct unit *u, const char *matcher_label, const char *matcher_value)
{
	char v[160];

	promql_value(v, sizeof(v), matcher_value);
	snprintf(u->sel, sizeof(u->sel), SLO_SLI_METRIC "{%s=\"%s\"}", matcher_label, v);
	k8s_name(u->name, u->id);
	snprintf(v, sizeof(v), "%s-sli", u->id);
	k8s_name(u->sli, v);
}

/* The SLOs of @p pol, in output order; *n of them. NULL on allocation failure. */
static struct unit *units_of(const struct rw_policy *pol, size_t *n)
{
	bool seen[10] = {false};
	const struct rw_policy_target **ts = NULL;
	struct unit *u = calloc(10 + pol->n_targets + 1, sizeof(*u));
	size_t k = 0;

	if (!u || (pol->n_targets && !(ts = calloc(pol->n_targets, sizeof(*ts))))) {
		free(u);
		return NULL;
	}
	for (size_t i = 0; i < pol->n_tiers; i++)
		if (pol->tiers[i].tier >= 0 && pol->tiers[i].tier < 10)
			seen[pol->tiers[i].tier] = true;
	for (size_t i = 0; i < pol->n_targets; i++) {
		if (pol->targets[i].tier >= 0 && pol->targets[i].tier < 10)
			seen[pol->targets[i].tier] = true;
		ts[i] = &pol->targets[i];
	}
	for (int t = 1; t < 10; t++) {
		char v[8];
		if (!seen[t])
			continue;
		u[k].kind = UNIT_TIER;
		u[k].tier = t;
		u[k].floor_ppm = tier_floor(pol, t);
		snprintf(u[k].id, sizeof(u[k].id), "tier-%d", t);
		snprintf(u[k].what, sizeof(u[k].what), "tier %d", t);
		snprintf(u[k].serving, sizeof(u[k].serving), "a target of tier %d", t);
		snprintf(v, sizeof(v), "%d", t);
		finish_unit(&u[k++], "tier", v);
	}
	u[k].kind = UNIT_DEFAULT;
	u[k].floor_ppm = pol->floor_ppm;
	snprintf(u[k].id, sizeof(u[k].id), "default");
	snprintf(u[k].what, sizeof(u[k].what), "the targets no tier maps");
	snprintf(u[k].serving, sizeof(u[k].serving), "a target no tier maps");
	finish_unit(&u[k++], "tier", "default");
	if (pol->n_targets)
		qsort(ts, pol->n_targets, sizeof(*ts), by_triple);
	for (size_t i = 0; i < pol->n_targets; i++) {
		u[k].kind = UNIT_TARGET;
		u[k].tier = ts[i]->tier;
		u[k].triple = ts[i]->triple;
		u[k].floor_ppm = tier_floor(pol, ts[i]->tier);
		snprintf(u[k].id, sizeof(u[k].id), "target-%s", ts[i]->triple);
		snprintf(u[k].what, sizeof(u[k].what), "target %s (tier %d)", ts[i]->triple,
		         ts[i]->tier);
		snprintf(u[k].serving, sizeof(u[k].serving), "%s (tier %d)", ts[i]->triple,
		         ts[i]->tier);
		finish_unit(&u[k], "target", ts[i]->triple);
		/* Two triples may sanitize to one name (x86_64 and x86-64). */
		for (size_t j = 0; j < k; j++) {
			if (strcmp(u[j].name, u[k].name) == 0) {
				name_suffix(u[k].name, u[k].id);
				break;
			}
		}
		k++;
	}
	free(ts);
	*n = k;
	return u;
}

/* Whether @p u's floor makes an SLO: 0 asks for nothing, 1 leaves no error
 * budget (every tool refuses a 100 % objective or computes nothing useful). */
static bool usable(const struct unit *u)
{
	return u->floor_ppm > 0 && u->floor_ppm < 1000000;
}

static void description(struct strbuf *b, const struct unit *u, const char *window)
{
	strbuf_puts(b, "Every runner serving ");
	strbuf_puts(b, u->serving);
	strbuf_puts(b, " is up at least ");
	percent(b, u->floor_ppm);
	strbuf_printf(b,
	              "%% of the time it is up or down, %s, as the runwarden policy requires. "
	              "Unknown time and credited maintenance do not count.",
	              window);
}

/* ---- formats ------------------------------------------------------------- */

static void header(struct strbuf *b, const struct slo_origin *src, const char *format)
{
	strbuf_printf(b, "# runwarden policy export --format %s\n", format);
	if (strcmp(format, "rules") == 0)
		return; /* the same for every policy */
	strbuf_printf(b, "# The floors of the policy %s (version %d, sha256 %s).\n",
	              src->origin ? src->origin : "", src->version, src->sha256 ? src->sha256 : "");
	strbuf_puts(b, "# The SLI, " SLO_SLI_METRIC ", is recorded by the rule of\n"
	               "# `runwarden policy export --format rules`\n"
	               "# (contrib/prometheus/slo-rules.yml): load it into Prometheus first.\n");
}

static void skipped(struct strbuf *b, struct strbuf *warnings, const struct unit *u)
{
	strbuf_printf(b, "# %s: floor ", u->id);
	percent(b, u->floor_ppm);
	strbuf_puts(b, u->floor_ppm ? "% leaves no error budget: no SLO\n"
	                            : "% asks for nothing: no SLO\n");
	if (warnings) {
		strbuf_printf(warnings, "%s: floor ", u->what);
		percent(warnings, u->floor_ppm);
		strbuf_puts(warnings, u->floor_ppm ? "% leaves no error budget: no SLO\n"
		                                   : "% asks for nothing: no SLO\n");
	}
}

static void rules(struct strbuf *b)
{
	strbuf_puts(b, "# The SLI of the specs `runwarden policy export --format openslo|sloth|\n"
	               "# pyrra` writes; load this file with rule_files. It records\n"
	               "# " SLO_SLI_METRIC ":\n"
	               "# 1 while a runner is up, 0 while it is down, no sample while it is\n"
	               "# unknown or in credited maintenance (time the policy does not count);\n"
	               "# one series per (runner, target), labelled with the target's tier\n"
	               "# (\"default\" for a target no tier maps) and the runner's operator.\n"
	               "groups:\n"
	               "  - name: runwarden-slo\n"
	               "    rules:\n"
	               "      - record: " SLO_SLI_METRIC "\n"
	               "        expr: |-\n"
	               "          runwarden_runner_target_info\n"
	               "            * on (job, instance, runner) group_left (operator)\n"
	               "          (\n"
	               "            runwarden_runner_state{state=\"up\"}\n"
	               "              and on (job, instance, runner)\n"
	               "            (runwarden_runner_state{state=~\"up|down\"} == 1)\n"
	               "          )\n");
}

static void openslo(struct strbuf *b, const struct unit *u, size_t n, struct strbuf *warnings)
{
	for (size_t i = 0; i < n; i++) {
		char q[400];
		if (!usable(&u[i])) {
			skipped(b, warnings, &u[i]);
			continue;
		}
		strbuf_puts(b, "---\napiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: ");
		strbuf_puts(b, u[i].name);
		strbuf_puts(b, "\n  displayName: ");
		snprintf(q, sizeof(q), "runwarden uptime floor: runners serving %s", u[i].serving);
		ystr(b, q);
		strbuf_puts(b, "\nspec:\n  description: ");
		{
			struct strbuf d;
			strbuf_init(&d);
			description(&d, &u[i], "over each calendar month (UTC)");
			ystr(b, d.data ? d.data : "");
			strbuf_deinit(&d);
		}
		strbuf_puts(b, "\n  service: " SERVICE "\n"
		               "  indicator:\n"
		               "    metadata:\n"
		               "      name: ");
		strbuf_puts(b, u[i].sli);
		strbuf_puts(b, "\n"
		               "      displayName: 'Runner up (1) or down (0), per runner'\n"
		               "    spec:\n"
		               "      ratioMetric:\n"
		               "        counter: false\n"
		               "        good:\n"
		               "          metricSource:\n"
		               "            type: Prometheus\n"
		               "            spec:\n"
		               "              query: ");
		snprintf(q, sizeof(q), "sum by (" GROUPING ") (%s)", u[i].sel);
		ystr(b, q);
		strbuf_puts(b, "\n        total:\n"
		               "          metricSource:\n"
		               "            type: Prometheus\n"
		               "            spec:\n"
		               "              query: ");
		snprintf(q, sizeof(q), "count by (" GROUPING ") (%s)", u[i].sel);
		ystr(b, q);
		strbuf_puts(b, "\n  timeWindow:\n"
		               "    - duration: 1M\n"
		               "      isRolling: false\n"
		               "      calendar:\n"
		               "        startTime: '2020-01-01 00:00:00'\n"
		               "        timeZone: UTC\n"
		               "  budgetingMethod: Timeslices\n"
		               "  objectives:\n"
		               "    - displayName: ");
		snprintf(q, sizeof(q), "the policy's floor for %s", u[i].what);
		ystr(b, q);
		strbuf_puts(b, "\n      target: ");
		ratio(b, u[i].floor_ppm);
		strbuf_puts(b, "\n      timeSliceTarget: 1\n"
		               "      timeSliceWindow: 1m\n");
	}
}

static void sloth(struct strbuf *b, const struct rw_policy *pol, const struct unit *u, size_t n,
                  struct strbuf *warnings)
{
	strbuf_printf(b,
	              "# Sloth measures over its --default-slo-period (30d unless set); the\n"
	              "# policy's rolling window is %" PRIu32 "d, its reports calendar months.\n"
	              "version: prometheus/v1\n"
	              "service: " SERVICE "\n"
	              "labels:\n"
	              "  owner: runwarden\n"
	              "slos:",
	              pol->window.rolling_days);
	{
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			k += usable(&u[i]);
		strbuf_puts(b, k ? "\n" : " []\n");
	}
	for (size_t i = 0; i < n; i++) {
		char q[600];
		if (!usable(&u[i])) {
			skipped(b, warnings, &u[i]);
			continue;
		}
		strbuf_printf(b, "  - name: %s\n    objective: ", u[i].id);
		percent(b, u[i].floor_ppm);
		strbuf_puts(b, "\n    description: ");
		{
			struct strbuf d;
			strbuf_init(&d);
			description(&d, &u[i], "over Sloth's SLO period");
			ystr(b, d.data ? d.data : "");
			strbuf_deinit(&d);
		}
		strbuf_puts(b, "\n    sli:\n      events:\n        error_query: ");
		snprintf(q, sizeof(q),
		         "sum by (" GROUPING ") (count_over_time(%s[{{.window}}]) - "
		         "sum_over_time(%s[{{.window}}]))",
		         u[i].sel, u[i].sel);
		ystr(b, q);
		strbuf_puts(b, "\n        total_query: ");
		snprintf(q, sizeof(q), "sum by (" GROUPING ") (count_over_time(%s[{{.window}}]))",
		         u[i].sel);
		ystr(b, q);
		strbuf_puts(b, "\n    alerting:\n      name: " ALERT_NAME "\n"
		               "      labels:\n        category: availability\n"
		               "      annotations:\n        summary: ");
		snprintf(q, sizeof(q),
		         "Runner {{ $labels.runner }} ({{ $labels.operator }}) is burning its "
		         "uptime budget for %s",
		         u[i].what);
		ystr(b, q);
		strbuf_puts(b,
		            "\n      page_alert:\n        labels:\n          severity: critical\n"
		            "      ticket_alert:\n        labels:\n          severity: warning\n");
	}
}

static void pyrra(struct strbuf *b, const struct rw_policy *pol, const struct unit *u, size_t n,
                  struct strbuf *warnings)
{
	for (size_t i = 0; i < n; i++) {
		char w[64];
		if (!usable(&u[i])) {
			skipped(b, warnings, &u[i]);
			continue;
		}
		strbuf_puts(b, "---\napiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\n"
		               "metadata:\n  name: ");
		strbuf_puts(b, u[i].name);
		strbuf_puts(b, "\n  namespace: monitoring\n"
		               "  labels:\n"
		               "    prometheus: k8s\n"
		               "    role: alert-rules\n"
		               "spec:\n  description: ");
		{
			struct strbuf d;
			strbuf_init(&d);
			snprintf(w, sizeof(w), "over the last %" PRIu32 " days",
			         pol->window.rolling_days);
			description(&d, &u[i], w);
			ystr(b, d.data ? d.data : "");
			strbuf_deinit(&d);
		}
		strbuf_puts(b, "\n  target: '");
		percent(b, u[i].floor_ppm);
		strbuf_printf(b, "'\n  window: %" PRIu32 "d\n", pol->window.rolling_days);
		strbuf_puts(b, "  indicator:\n    bool_gauge:\n      metric: ");
		ystr(b, u[i].sel);
		strbuf_puts(b, "\n      grouping:\n        - operator\n        - runner\n"
		               "  alerting:\n    name: " ALERT_NAME "\n");
	}
}

void slo_export(const struct rw_policy *pol, const struct slo_origin *src, enum slo_format f,
                struct strbuf *out, struct strbuf *warnings)
{
	static const char *const names[] = {"openslo", "sloth", "pyrra", "rules"};
	struct unit *u;
	size_t n = 0;

	header(out, src, names[f]);
	if (f == SLO_FORMAT_RULES) {
		rules(out);
		return;
	}
	u = units_of(pol, &n);
	if (!u) {
		out->failed = true;
		return;
	}
	switch (f) {
	case SLO_FORMAT_OPENSLO: openslo(out, u, n, warnings); break;
	case SLO_FORMAT_SLOTH: sloth(out, pol, u, n, warnings); break;
	case SLO_FORMAT_PYRRA: pyrra(out, pol, u, n, warnings); break;
	case SLO_FORMAT_RULES: break;
	}
	free(u);
}
