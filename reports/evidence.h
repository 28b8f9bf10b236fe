/* SPDX-License-Identifier: MIT */
/*
 * evidence.h — what the store holds about one runner that the accounting
 * reads (its state changes and its declared maintenance windows), loaded once
 * and then judged under any policy. The what-if report judges the same
 * evidence under two policies; the monthly report under one, month and days.
 *
 * Invariant: every policy that looks at an evidence sees exactly the same
 * intervals, windows and "now", so differences in the figures come from the
 * policies alone.
 */
#ifndef RW_EVIDENCE_H
#define RW_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/store/store.h"
#include "policy/account.h"

struct evidence {
	const struct store_runner *sr; /* borrowed */
	struct rw_interval *iv;        /* owned; sorted by start */
	size_t n_iv, cap_iv;
	struct rw_maintenance *mw; /* owned; cancelled windows left out */
	size_t n_mw, cap_mw;
	int64_t now_ms; /* the last tick: the last change holds until here */
};

/** An empty evidence; its buffers are reused by every evidence_load(). */
void evidence_init(struct evidence *ev);

/**
 * Reads, through @p rd, the changes of @p sr that matter for [@p from_ms,
 * @p to_ms) and every maintenance window that can use a cap from the month
 * of @p from_ms on (the cap counts from its month's first millisecond),
 * replacing what @p ev held.
 * @param now_ms  the instant the last stored change holds until.
 * @return 0, RW_ENOMEM, or the store's error.
 */
int evidence_load(struct evidence *ev, struct store_reader *rd, const struct store_runner *sr,
                  int64_t from_ms, int64_t to_ms, int64_t now_ms);

/** The account_input of @p ev under @p pol (both stay borrowed), with the
 *  runner's registration and retirement (a runner retired without a time,
 *  from older databases, counts as retired at its registration). */
void evidence_input(const struct evidence *ev, const struct rw_policy *pol,
                    struct account_input *in);

/** account_judge() of @p ev under @p pol against @p floor_ppm over
 *  [@p from_ms, @p to_ms): the figures and verdict, as every view makes them. */
void evidence_judge(const struct evidence *ev, const struct rw_policy *pol, uint32_t floor_ppm,
                    int64_t from_ms, int64_t to_ms, struct rw_availability *out);

/** Frees what @p ev owns and empties it. Accepts NULL. */
void evidence_deinit(struct evidence *ev);

#endif
