/* SPDX-License-Identifier: MIT */
/*
 * rollup.h — a day of one runner's probe results in a few hundred bytes
 * (pure): how many, how many failed, a latency histogram and the lengths of
 * the failure runs. The writer folds each completed UTC day of raw samples
 * into one (monitor/store/store_rollup.c); reports add days up and read p50/p95
 * latency and blips from the sums, never from raw samples (DESIGN.md
 * "Storage": a month of per-minute samples of 10,000 runners is far too much
 * to read).
 *
 * Latency histogram. Bucket b holds latencies (µs) in [rollup_bucket_low(b),
 * rollup_bucket_low(b + 1)): one bucket per microsecond below 16 µs, then
 * 8 equal buckets per power of two (an HDR histogram with 3 sub-bucket bits)
 * up to 2^31 µs. A quantile is reported as the midpoint of the bucket that
 * holds it, so it is within 1/16 = 6.25 % of the exact sample quantile
 * (exact below 16 µs). Integer arithmetic only: the same samples give the
 * same bytes on every machine.
 *
 * Quantiles are nearest-rank: the q-quantile of N values is the value of
 * rank ceil(q * N) in ascending order (q in per mille: 500 is the median).
 *
 * Blips. DESIGN.md: a run of fewer than failures_to_down failures that ends
 * in a success is a blip. Here a failure run is a maximal run of consecutive
 * failed samples of one runner, in time order; it is recorded (by its
 * length) when a success came right before it and a success ends it, on the
 * day of that ending success. The blips under a policy are then the recorded
 * runs shorter than its failures_to_down, so one rollup serves every policy.
 * This is the state machine's definition (runstate.h rule 3) when
 * successes_to_up is 1 and the samples have no gap longer than 2 intervals:
 * unlike runstate, it does not split a run at a gap (staleness) nor ask
 * whether the runner was confirmed up before the run.
 */
#ifndef RW_ROLLUP_H
#define RW_ROLLUP_H

#include <stdbool.h>
#include <stdint.h>

/** Buckets: 16 exact, then 8 per power of two from 2^4 to 2^31 µs. */
#define ROLLUP_LAT_BUCKETS (16 + 27 * 8)

/** Failure runs of this length or longer share the last slot (> any
 *  failures_to_down the policy allows, 100). */
#define ROLLUP_RUN_MAX 127

/** The probe results of one runner over one day (or a sum of days). */
struct rollup_day {
	uint32_t samples;                     /* probe results */
	uint32_t failures;                    /* results that were not a success */
	uint32_t latency[ROLLUP_LAT_BUCKETS]; /* answered results (latency >= 0) */
	uint32_t runs[ROLLUP_RUN_MAX + 1];    /* runs[k]: failure runs of length k between
	                                         two successes (k >= 1; the last: >= k) */
};

/** The bucket of a latency of @p us microseconds; -1 when @p us < 0 (no answer). */
int rollup_latency_bucket(int64_t us);

/** The first latency (µs) of bucket @p b, 0 <= b <= ROLLUP_LAT_BUCKETS (the
 *  last value is the end of the last bucket, 2^31). */
int64_t rollup_bucket_low(int b);

/**
 * The @p per_mille quantile (1..1000) of the latencies in @p d, in µs: the
 * midpoint of the bucket holding the nearest-rank value (see above).
 * @return -1 when there are no latencies.
 */
int64_t rollup_latency_quantile(const struct rollup_day *d, unsigned per_mille);

/** Blips under a policy with @p failures_to_down: the recorded runs shorter than it. */
uint64_t rollup_blips(const struct rollup_day *d, uint32_t failures_to_down);

/** Adds @p d into @p sum, saturating at UINT32_MAX. */
void rollup_add(struct rollup_day *sum, const struct rollup_day *d);

/**
 * Folds samples, in time order, into a rollup_day. The run in progress when
 * the day begins is carried in, so a run that crosses midnight is recorded
 * once, on the day it ends.
 */
struct rollup_acc {
	struct rollup_day day;
	uint32_t run;       /* failures in the current run */
	bool after_success; /* a success came right before the current run (or, with
	                       run == 0, the last sample was a success) */
};

/**
 * Starts a day. @p lead_failures: failed samples right before the day's
 * first one (the run in progress); @p lead_success: whether a success came
 * right before those (or, with no lead failures, is the last sample).
 */
void rollup_acc_init(struct rollup_acc *acc, uint32_t lead_failures, bool lead_success);

/** Adds one sample: @p ok a success, @p latency_us its latency (-1: no answer). */
void rollup_acc_feed(struct rollup_acc *acc, bool ok, int64_t latency_us);

#endif
