/* SPDX-License-Identifier: MIT */
/*
 * pickup.h — whether a pool of ephemeral runners picks jobs up in time
 * (pure): the rule the daemon samples, the route explains and the report
 * counts, from the workflow jobs GitHub's webhooks told of.
 *
 * A job is of a pool's source when its repository ("OWNER/REPO") is that
 * source ("OWNER/REPO"), or is one of that owner's ("OWNER"); GitHub's names
 * compare without case (ASCII). It matches a pool when it is of the pool's
 * source and its labels include every one of the pool's labels (both
 * lower-case; GitHub compares labels case-insensitively): the caller keeps
 * the jobs of the source, and pickup_matches() judges the labels. With
 * W = pickup_within and d(j) = queued(j) + W, the pool FAILS at time t when
 * some matching job j
 *   - was queued and its deadline has passed: d(j) <= t;
 *   - has neither started nor completed by t (a job cancelled or completed
 *     without a runner no longer waits);
 *   - and no matching job started in (d(j), t]: once any matching job
 *     starts after j's deadline, runners are being provisioned again and
 *     the outage j opened is over, even if j itself still waits.
 * Otherwise the pool is fine at t. When it fails, it has failed
 * continuously since the smallest d(j) of the jobs that make it fail
 * (pickup_check()'s since); it can only start failing at a deadline, so a
 * timer at pickup_next_deadline() is all the daemon needs between
 * deliveries. Times are UTC milliseconds; 0 means "not (yet) known".
 *
 * Deliveries may arrive out of order or twice: the caller merges them into
 * one record per job (the later of two states wins, a time once known
 * stays), and this module only reads the records.
 */
#ifndef RW_PICKUP_H
#define RW_PICKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What is known of one workflow job. */
struct pickup_job {
	int64_t id;
	const char *const *labels; /* lower-case */
	size_t n_labels;
	int64_t queued_ms;    /* created_at; 0: never seen queued (then it cannot fail) */
	int64_t started_ms;   /* 0: not started */
	int64_t completed_ms; /* 0: not completed */
};

/**
 * Whether a job of repository @p repo ("OWNER/REPO"; NULL when unknown) is of
 * pool source @p source ("OWNER" or "OWNER/REPO"), comparing ASCII letters
 * without case. A NULL @p repo is of no source.
 */
bool pickup_source_matches(const char *repo, const char *source);

/** Whether @p j carries every one of the @p n labels (lower-case). */
bool pickup_matches(const struct pickup_job *j, const char *const *labels, size_t n);

/**
 * Whether the pool with @p labels and @p within_ms fails at @p now_ms.
 * @param since_ms  when failing, receives since when (the smallest open
 *                  deadline); may be NULL.
 * @param job_id    when failing, receives the id of that job; may be NULL.
 */
bool pickup_check(const struct pickup_job *v, size_t n, const char *const *labels, size_t n_labels,
                  int64_t within_ms, int64_t now_ms, int64_t *since_ms, int64_t *job_id);

/**
 * The earliest deadline after @p now_ms of a matching job that has neither
 * started nor completed: when the pool may start failing without a new
 * delivery. INT64_MAX when there is none.
 */
int64_t pickup_next_deadline(const struct pickup_job *v, size_t n, const char *const *labels,
                             size_t n_labels, int64_t within_ms, int64_t now_ms);

/** A pool's pickup figures over a period (the monthly report). */
struct pickup_stats {
	uint32_t queued;                               /* matching jobs queued in the period */
	uint32_t started_in_time;                      /* of those, started within the deadline */
	uint32_t waited;                               /* of those, with a wait (all of them) */
	int64_t wait_p50_ms, wait_p95_ms, wait_max_ms; /* -1 when none */
};

/**
 * The figures of the matching jobs queued in [@p from_ms, @p to_ms): a
 * job's wait runs from its queueing to its start, or, for a job that never
 * started, to its completion (cancelled) or the period's end, whichever is
 * first. p50 and p95 are nearest-rank quantiles of the waits.
 * @return 0, or -1 when out of memory (@p out then zeroed, quantiles -1).
 */
int pickup_stats(const struct pickup_job *v, size_t n, const char *const *labels, size_t n_labels,
                 int64_t within_ms, int64_t from_ms, int64_t to_ms, struct pickup_stats *out);

#endif
