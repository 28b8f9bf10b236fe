/* SPDX-License-Identifier: MIT */
/*
 * monthly_pools.h — the GitHub pools of the monthly report (monthly.h): each
 * reported pool's members and, for a pool with a pickup deadline, the
 * figures of its workflow jobs (policy/pickup.h).
 *
 * A job is a pool's when its repository is of the pool's source
 * (pickup_source_matches()) and its labels include every one of the pool's
 * (pickup_matches(); the pool's labels lower-cased, the stored jobs' are).
 * The jobs counted are those queued in the pool's part of the period
 * ([from, to) of its monthly_runner): a pool registered mid-month is not
 * blamed for jobs queued before it existed, nor a retired one for jobs after
 * its retirement. A job that never started waits until its completion
 * (cancelled) or the end of that part, whichever is first (pickup_stats()).
 */
#ifndef RW_MONTHLY_POOLS_H
#define RW_MONTHLY_POOLS_H

#include "monitor/store/store.h"
#include "reports/monthly.h"

/**
 * Fills m->pools and m->n_pools from the runners already in @p m (sorted by
 * name); reads the workflow jobs of the period from @p st only when a pool
 * has a pickup deadline.
 * @return 0, RW_ENOMEM, or the store's error.
 */
int monthly_pools_build(struct store *st, struct monthly *m);

#endif
