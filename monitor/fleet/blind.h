/* SPDX-License-Identifier: MIT */
/*
 * blind.h — the monitor's own blindness (DESIGN.md "Availability
 * accounting"): when what the probes say is about the monitor and not about
 * the runners, time is `unknown`, never `down`.
 *
 * Five causes (enum store_blind_cause). Each blind period is stored in
 * blind_periods as [start, end) with its cause, counted in /metrics
 * (runwarden_blind_periods_total{cause} when it starts,
 * runwarden_blind_active{cause} while it lasts, runwarden_blind_seconds_total
 * when it ends) and logged. The daemon finds the first two after the fact
 * and reports them with blind_record() (one warn line); the other three are
 * decided here, each with one warn line when it starts and one info line,
 * with its duration, when it ends.
 *
 *  downtime    The daemon was not running (its last tick to its restart).
 *  tick_gap    The daemon's one-second tick stalled (daemon.c).
 *
 *  correlated  Over a sliding window of the policy's probe.interval_s, each
 *              runner counts with its latest result (so a runner probed more
 *              often than the policy's interval counts once). The window ends
 *              at the latest sample time seen, E, and holds the results with
 *              sample time t > E - I. With n runners in it, k of them failing
 *              with class dns, connect or timeout ("network"), the monitor
 *              becomes blind when n >= blindness.min_runners and
 *              k * 10^6 >= n * blindness.fraction_ppm (exact integers), and
 *              stays blind until k * 10^6 < n * fraction_ppm, or n == 0 (only
 *              the ratio ends it: a window that briefly holds fewer runners
 *              because of jitter does not). While blind, a runner's network
 *              failure is applied as runstate_blind() at its sample time;
 *              other failures and successes are applied as usual. The
 *              period starts at the earliest sample time of the counted
 *              network failures in the window (never before the end of the
 *              previous correlated period: periods of one cause do not
 *              overlap).
 *
 *  canary      The policy's blindness.canaries are probed like runners (same
 *              interval, timeout, prober, guard and scheduler) as struct
 *              runners that are not in the fleet (ids -1, -2, …; see
 *              blind_canaries_load()). Each canary keeps its own state
 *              machine with failures_to_down = successes_to_up = 1: it is
 *              failing while its latest probe failed (any class), since its
 *              first failing probe of the streak; evidence goes stale after
 *              2 × interval like a runner's, and a stale canary is not failing.
 *              The monitor is canary-blind while more than half of the
 *              canaries are failing (one canary: while it fails). While
 *              canary-blind, every runner failure, of any class, is
 *              covered by the rule below; the period starts at F, the
 *              earliest first failing probe among the failing canaries.
 *
 *  storage     From a failed writer batch (writer_status_cb with rc < 0) until
 *              the writer reports recovery: every runner becomes unknown at
 *              the failure (fleet_blind()), and no result that arrives while
 *              it lasts, or that was sampled in it, reaches a state machine
 *              (samples are still queued). The period is queued at recovery,
 *              so it is written with the retried batch.
 *
 * One rule for the time a blind period covers, whatever the cause and the
 * runner's state: no failure it covers (network-class for correlated, any
 * class for canary) that was *sampled* in it counts as evidence.
 *   - On entering, every runner whose latest result is such a failure
 *     becomes unknown from the later of the period's start S and the first
 *     failure of that run (correct_since()): one that went down in the
 *     period is unknown from the same start (the DOWN interval becomes
 *     UNKNOWN: the store's INSERT OR REPLACE on (runner, start) and
 *     fleet_hist_append() replace it, and its incident is voided and
 *     retracted), an up runner's pending failure run is dropped, and one
 *     down since before S (for its own reasons, or at the outage's first
 *     probes, sampled before the window) is unknown from S (what it was
 *     before S stays). So a DNS outage on the monitor's side costs no
 *     runner its compliance, even with failures_to_down = 1.
 *   - While it lasts, each such failure is applied as runstate_blind() at
 *     its sample time.
 *   - After it ended, a failure sampled in it (a probe that started in it
 *     and timed out after its end, up to timeout_ms later) is applied the
 *     same way: each result is judged by its sample time against the
 *     active period and the last BLIND_PAST ended ones of each cause. Such
 *     a late network failure does not count towards a new correlated
 *     period either (its runner leaves the window until its next result).
 * Between ticks the window's end is max(E, now - I), so results that
 * stopped coming age out.
 *
 * The causes are independent (two may overlap; runwarden_blind_seconds_total
 * counts the time they cover once); storage wins over the others when a
 * result is applied. A result older than its runner's current
 * interval (rule 6 of runstate.h) is left to runstate_sample(), which ignores
 * it. At shutdown, blind_stop() ends and records what is still active.
 *
 * Only the loop thread calls these functions.
 */
#ifndef RW_BLIND_H
#define RW_BLIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/core/runner.h"
#include "monitor/fleet/fleet.h"
#include "monitor/store/store.h"
#include "policy/base/strbuf.h"
#include "policy/policy.h"

/* Ended periods remembered per cause, for results that arrive late. */
#define BLIND_PAST 4
/* Merged spans of blind time remembered for runwarden_blind_seconds_total. */
#define BLIND_COUNTED 32

/** One cause's state. */
struct blind_cause {
	bool active;
	int64_t since_ms; /* start of the active period */
	uint64_t periods; /* periods started (recorded ones for downtime and tick_gap) */
	/* The latest ended periods [past_from, past_to) (a ring; n_past ended
	 * so far): a result sampled in one arrives up to its timeout later. */
	int64_t past_from[BLIND_PAST], past_to[BLIND_PAST];
	unsigned n_past;
};

/** A span of time already counted in runwarden_blind_seconds_total. */
struct blind_span {
	int64_t from, to;
};

struct blind {
	struct fleet *fleet; /* its writer, metrics and policy are used too */

	/* Correlated failures: a min-heap on blind_t_ms of the runners whose
	 * latest result is in the window. */
	struct runner **win;
	size_t n_win, cap_win;
	size_t n_net;      /* runners in win whose latest result is a network failure */
	int64_t latest_ms; /* the latest sample time seen; -1: none */

	/* Canaries, owned: ids -1 … -n_canaries. */
	struct runner **canaries;
	size_t n_canaries;

	struct blind_cause cause[STORE_BLIND_CAUSE_COUNT]; /* by enum store_blind_cause */

	/* The blind time counted so far, as disjoint spans sorted by start
	 * (the latest BLIND_COUNTED), so that periods that overlap, of one
	 * cause or of several, are counted once. */
	struct blind_span counted[BLIND_COUNTED];
	size_t n_counted;
};

/** Initialises @p b over @p f (which must outlive it); no canaries yet. */
void blind_init(struct blind *b, struct fleet *f);

/**
 * Frees the window and the canaries (none may have a probe in flight). Call
 * it before the fleet's runners are freed: it clears their window positions.
 * Accepts a zeroed struct.
 */
void blind_deinit(struct blind *b);

/**
 * Rebuilds the canaries from @p pol (start-up and SIGHUP). A canary whose URL
 * was a canary before keeps that one's evidence, so a reload alone neither
 * starts nor ends canary blindness; a smaller list may end it (at @p now_ms).
 * @param old    receives the previous canaries (a malloc'd array, NULL when
 *               none): the caller takes them out of the schedule, frees the
 *               array, and frees each with runner_free() once no probe is in
 *               flight for it.
 * @return 0; RW_ENOMEM or RW_EINVAL (a URL the prober cannot probe), and then
 *         the old canaries stay and *old is NULL.
 */
int blind_canaries_load(struct blind *b, const struct rw_policy *pol, int64_t now_ms,
                        struct runner ***old, size_t *n_old);

/**
 * Takes the result @p res of fleet runner @p r into the correlated window,
 * starts or ends correlated blindness (with its correction), and says how
 * the caller applies it: fleet_record_result(f, r, res, blind_on_result(…)).
 */
enum fleet_apply blind_on_result(struct blind *b, struct runner *r, const struct probe_result *res);

/** Records the result of canary @p c (not canceled); may start or end canary blindness. */
void blind_canary_result(struct blind *b, struct runner *c, const struct probe_result *res);

/**
 * The writer's status at @p now_ms: @p rc < 0, a batch failed (starts storage
 * blindness); 0, writes succeed again (ends it). Repeats change nothing.
 */
void blind_storage(struct blind *b, int rc, int64_t now_ms);

/** Once a second: slides the window and ages the canaries' evidence. */
void blind_tick(struct blind *b, int64_t now_ms);

/** @p r leaves the fleet: out of the window (before it may be freed). */
void blind_forget(struct blind *b, struct runner *r);

/**
 * A period found after the fact (downtime, tick_gap) over [@p from_ms,
 * @p to_ms): queued, counted, one warn line. The caller makes the runners
 * unknown.
 */
void blind_record(struct blind *b, enum store_blind_cause cause, int64_t from_ms, int64_t to_ms);

/** Shutdown: ends and records every active period at @p now_ms. */
void blind_stop(struct blind *b, int64_t now_ms);

/** Whether the monitor is blind now for @p cause. */
bool blind_active(const struct blind *b, enum store_blind_cause cause);

/** Canaries whose latest evidence is a failure. */
size_t blind_canaries_failing(const struct blind *b);

/**
 * Appends runwarden_blind_periods_total{cause}, runwarden_blind_active{cause},
 * runwarden_canaries and runwarden_canaries_failing to @p sb.
 */
void blind_render_metrics(const struct blind *b, struct strbuf *sb);

#endif
