/* SPDX-License-Identifier: MIT */
/*
 * slo_export.h — the policy's uptime floors as SLO specifications for
 * OpenSLO, Sloth and Pyrra, and the Prometheus recording rule their SLI
 * reads (`runwarden policy export`).
 *
 * One SLO per tier the policy names (its floor, or the default floor for a
 * tier without one), one for the targets the policy maps to no tier (the
 * default floor), and one per target the policy maps (its tier's floor).
 * Each is grouped by runner: the policy holds every runner to its floor, so
 * every runner gets its own objective and error budget.
 *
 * The SLI is the series SLO_SLI_METRIC, which the recording rule of
 * SLO_FORMAT_RULES makes from the daemon's per-runner families: 1 while a
 * runner is up, 0 while it is down, absent while it is unknown or in
 * credited maintenance (time the policy does not count), one series per
 * (runner, target) labelled with the target's tier. Pyrra's bool_gauge
 * takes only a selector, so the join of runwarden_runner_state with
 * runwarden_runner_target_info has to be recorded; the other formats use
 * the same series so that the three agree.
 *
 * Everything here is pure: a policy in, YAML text out.
 */
#ifndef RW_SLO_EXPORT_H
#define RW_SLO_EXPORT_H

#include "policy/base/strbuf.h"
#include "policy/policy.h"

/** The recorded SLI series (SLO_FORMAT_RULES records it). */
#define SLO_SLI_METRIC "runner_target:runwarden_runner_up:bool"

enum slo_format {
	SLO_FORMAT_OPENSLO, /* OpenSLO v1 SLO objects, calendar month, Timeslices */
	SLO_FORMAT_SLOTH,   /* one Sloth prometheus/v1 spec */
	SLO_FORMAT_PYRRA,   /* Pyrra pyrra.dev/v1alpha1 ServiceLevelObjective objects */
	SLO_FORMAT_RULES,   /* the Prometheus rule file recording SLO_SLI_METRIC */
};

/** Parses "openslo", "sloth", "pyrra" or "rules". @return 0 or RW_EINVAL. */
int slo_format_parse(const char *s, enum slo_format *out);

/** Where the policy came from, for the header comment. */
struct slo_origin {
	const char *origin; /* a path, "policy_versions #ID" or "built-in defaults" */
	const char *sha256; /* 64 hex digits */
	int version;
};

/**
 * Appends the policy's SLOs in @p f to @p out (YAML; several documents
 * separated by "---" for OpenSLO and Pyrra). A floor of 0 (nothing to meet)
 * or 1 (no error budget) is no SLO: it is left out, with a YAML comment in
 * @p out and a line in @p warnings (may be NULL).
 * On allocation failure @p out is marked failed.
 */
void slo_export(const struct rw_policy *pol, const struct slo_origin *src, enum slo_format f,
                struct strbuf *out, struct strbuf *warnings);

#endif
