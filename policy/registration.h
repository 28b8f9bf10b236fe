/* SPDX-License-Identifier: MIT */
/*
 * registration.h — a runner's registration status and the one table of its
 * transitions (pure). The store checks every status change against it inside
 * the transaction that reads the current status (store_runner_set_status()),
 * and the API and the CLI answer with the reason it gives: nobody else holds
 * a copy of these rules.
 *
 * A runner registered through the API starts PENDING (not probed, never
 * eligible); one added with the CLI starts APPROVED (the CLI is the admin).
 *
 *                  approve
 *     +---------+ --------> +----------+
 *     | PENDING |           | APPROVED |  <-- approve again: no change
 *     +---------+           +----------+
 *          |    retire           |  retire (or the operator's DELETE)
 *          |                     v
 *          |   retire      +---------+
 *          `-------------> | RETIRED |  final: every request is refused
 *                          +---------+
 *
 *     from \ to |  pending   approved   retired
 *     ----------+---------------------------------
 *     pending   |  same      change     change
 *     approved  |  refused   same       change
 *     retired   |  refused   refused    refused
 *
 *   change   the status is written, with a new registry generation and an
 *            event, in one transaction;
 *   same     the runner already has the status asked for: a success that
 *            writes nothing (no generation, no event). Approving is a
 *            request for a state ("may take jobs"), so a retried approval
 *            whose first answer was lost succeeds instead of failing;
 *   refused  RW_ECONFLICT, with a reason naming the runner, its status and
 *            what it still allows.
 *
 * Why RETIRED is final, and refuses even retire: retiring ends the runner's
 * record. Its history stays as the evidence it is for the monthly reports
 * (which judge a retired runner up to its retirement, so the retirement time
 * must never move), its heartbeats are refused, and its name stays taken by
 * that history. Bringing it back would mix two lives into one record, so a
 * runner that returns is registered anew, under a new name. A retired runner
 * accepts no change at all: PATCH, maintenance, heartbeats and availability
 * already answer 409 for it, and retire is no exception (a second retirement
 * would also move retired_ms). There is no way back to PENDING: approval is
 * not withdrawn, the runner is retired.
 *
 * The stored integers are the enum's values; the database schema depends on
 * them, so they never change.
 */
#ifndef RW_REGISTRATION_H
#define RW_REGISTRATION_H

#include <stddef.h>

enum registration_status {
	REGISTRATION_PENDING = 0,
	REGISTRATION_APPROVED = 1,
	REGISTRATION_RETIRED = 2,
};

/** Number of statuses: values are 0 .. REGISTRATION_NSTATUS - 1. */
#define REGISTRATION_NSTATUS 3

/** What registration_check() decided for an allowed request. */
enum registration_step {
	REGISTRATION_SAME = 0,   /* already there: nothing to write */
	REGISTRATION_CHANGE = 1, /* write the new status */
};

/** Returns "pending", "approved", "retired", or "unknown" for any other value. */
const char *registration_status_name(int status);

/**
 * Checks the change of runner @p runner (its name, for the reason) from
 * @p from to @p to against the table above.
 *
 * @param why    receives, when the change is refused, one line without a
 *               newline, e.g. "runner rv-1 is retired; a retired runner stays
 *               retired (register a new one)"; untouched otherwise. May be NULL.
 * @return REGISTRATION_CHANGE, REGISTRATION_SAME, RW_ECONFLICT (refused), or
 *         RW_EINVAL (@p from or @p to is not a status; @p why says which).
 */
int registration_check(const char *runner, int from, int to, char *why, size_t whylen);

#endif
