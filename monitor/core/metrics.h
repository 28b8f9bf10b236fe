/* SPDX-License-Identifier: MIT */
/*
 * metrics.h — the daemon's counters and histograms, rendered in the
 * Prometheus text format (version 0.0.4) for GET /metrics.
 *
 * Counters only grow; they live in one struct owned by the daemon and are
 * touched only on the loop thread (the writer's counters are read through
 * writer_get_stats()). Histograms use fixed buckets in seconds.
 */
#ifndef RW_METRICS_H
#define RW_METRICS_H

#include <stdint.h>

#include "policy/base/strbuf.h"
#include "policy/policy.h"

#define METRICS_N_BUCKETS 14

struct histogram {
	uint64_t buckets[METRICS_N_BUCKETS]; /* non-cumulative counts */
	uint64_t count;
	double sum_s;
};

/** The bucket bounds, in seconds, shared by every histogram. */
extern const double metrics_bucket_bounds[METRICS_N_BUCKETS];

void histogram_observe(struct histogram *h, double seconds);

/** The q-quantile (0..1) estimated from the buckets (upper bound). */
double histogram_quantile(const struct histogram *h, double q);

/** GitHub webhook deliveries by result (POST /v1/github/webhook). */
enum metrics_gh_delivery {
	METRICS_GH_ACCEPTED,      /* a workflow_job merged */
	METRICS_GH_DUPLICATE,     /* a delivery id seen before */
	METRICS_GH_BAD_SIGNATURE, /* missing or wrong X-Hub-Signature-256 */
	METRICS_GH_IGNORED,       /* ping, or an event not used */
	METRICS_GH_INVALID,       /* no delivery id, or not GitHub's shape */
	METRICS_GH_COUNT
};

/** The result label of each enum metrics_gh_delivery. */
extern const char *const metrics_gh_delivery_names[METRICS_GH_COUNT];

struct metrics {
	uint64_t probes[RW_ERRCLASS_COUNT];     /* by result: ok or error class */
	struct histogram probe_latency;         /* answered probes */
	struct histogram lateness;              /* start time minus due time */
	struct histogram loop_lag;              /* tick timer lateness */
	struct histogram loop_cpu;              /* CPU time of each loop iteration */
	uint64_t probes_skipped;                /* slot skipped: previous in flight */
	uint64_t probes_deferred;               /* at the concurrency cap */
	uint64_t state_changes[RW_STATE_COUNT]; /* changes into each state */
	uint64_t blips;
	uint64_t flags;   /* runners flagged */
	uint64_t unflags; /* runners unflagged */
	uint64_t blind_ms;
	uint64_t clock_back_jumps;
	uint64_t policy_reloads;
	uint64_t policy_reload_failures;
	uint64_t registry_reloads;
	uint64_t followed_changes; /* a follower: runners set to the leader's state */
	uint64_t storage_failures;
	uint64_t http_requests;
	uint64_t http_errors;        /* answers >= 400 */
	uint64_t http_server_errors; /* answers >= 500 */
	uint64_t http_conns_refused; /* connections over max_connections */
	uint64_t http_auth_failures; /* 401 answers */
	uint64_t http_rate_limited;  /* 429 answers */
	uint64_t heartbeats;         /* push heartbeats accepted */
	uint64_t events;             /* eligibility events announced */
	uint64_t github_deliveries[METRICS_GH_COUNT];
	double loop_lag_max_s;
	double loop_cpu_max_s;
};

/**
 * Appends @p v as a sample value: the shortest decimal that reads back as
 * @p v, or the text format's "NaN", "+Inf" and "-Inf".
 */
void metrics_value(struct strbuf *b, double v);

/**
 * Appends @p s as a quoted label value, with backslash, double quote and
 * line feed escaped as the text format (0.0.4) requires. Callers pass
 * values that come from outside (target triples, policy names) through it.
 */
void metrics_label_value(struct strbuf *b, const char *s);

/**
 * Appends `# HELP` and `# TYPE` lines of a metric family. @p help is a
 * constant: it is not escaped, so it must hold no backslash or line feed.
 */
void metrics_family(struct strbuf *b, const char *name, const char *type, const char *help);

/** Appends `# HELP`, `# TYPE` and one sample line of a counter or gauge. */
void metrics_scalar(struct strbuf *b, const char *name, const char *type, const char *help,
                    double value);

/**
 * Appends one labelled series of a histogram family (_bucket, _sum and
 * _count with @p label="@p value"); the family's HELP and TYPE come first,
 * once, from metrics_family().
 */
void metrics_histogram_labeled(struct strbuf *b, const char *name, const char *label,
                               const char *value, const struct histogram *h);

/** Appends a histogram with its _bucket, _sum and _count lines. */
void metrics_histogram(struct strbuf *b, const char *name, const char *help,
                       const struct histogram *h);

#endif
