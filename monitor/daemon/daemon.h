/* SPDX-License-Identifier: MIT */
/*
 * daemon.h — `runwarden serve`: one loop, one struct rw_daemon.
 *
 * The daemon owns the loop's modules and wires them: the scheduler asks the
 * prober to start probes, the prober's results go to the fleet (state
 * machine) and through the writer to SQLite; the API answers from the fleet.
 * A one-second tick records that the monitor is alive, applies staleness,
 * turns its own gaps into blindness, and picks up registry changes.
 *
 * Shutdown (SIGTERM/SIGINT): stop the scheduler, cancel probes, close the
 * API, write a last tick, flush and stop the writer, close every handle and
 * return; the loop must then close cleanly.
 */
#ifndef RW_DAEMON_H
#define RW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/clock.h"
#include "monitor/core/config.h"
#include "monitor/daemon/daemon_github.h"
#include "monitor/core/guard.h"
#include "monitor/core/metrics.h"
#include "monitor/daemon/leader.h"
#include "monitor/daemon/looplag.h"
#include "monitor/fleet/blind.h"
#include "monitor/fleet/fleet.h"
#include "monitor/fleet/writer.h"
#include "monitor/intake/auth.h"
#include "monitor/probe/probe.h"
#include "monitor/probe/scheduler.h"
#include "monitor/store/store.h"
#include "policy/policy.h"

struct api;
struct notify;

/** A tick gap longer than this is blindness: the daemon did not see. */
#define DAEMON_TICK_MS      1000
#define DAEMON_BLIND_GAP_MS 5000
/** The period of the slices of work spread over time (flags, the status
 *  page's build), so that no iteration of the loop does much of it. */
#define DAEMON_SLICE_MS 100

struct rw_daemon {
	uv_loop_t *loop;
	struct rw_config cfg;

	struct rw_policy policy;
	char policy_sha256[65];

	struct guard guard;
	struct rw_clock clock;
	/* The loop thread's connection: history reads, and the API's writes
	 * (registration, maintenance, tokens, incidents), which commit before
	 * the HTTP answer. Probe results go through the writer thread. */
	struct store *st;
	struct auth auth;
	struct writer *writer;
	struct prober prober;
	struct scheduler sched;
	struct fleet fleet;
	struct blind blind; /* the monitor's own blindness; owns the canaries */
	struct metrics m;
	struct api *api;
	struct notify *notify;       /* webhooks; NULL when none are configured */
	struct daemon_github github; /* GitHub pools: polls and job pickup */
	/* Whether this daemon writes the combined records and delivers
	 * (leader.h): always on SQLite; on PostgreSQL, the holder of the
	 * advisory lock. A follower probes, keeps its own view in memory and
	 * serves the API; its writer and notifier hold the rest back. */
	struct leader *leader;

	uv_timer_t tick;
	uv_timer_t slice; /* every DAEMON_SLICE_MS: slice_cb() */
	uv_signal_t sig_term, sig_int, sig_hup;
	/* Fault injection for the test suite only (tests/faults/test_loop_lag):
	 * with $RUNWARDEN_FAULT_STALL_MS set at start, SIGUSR2 makes the loop
	 * busy for that long in one callback, a stall of known size. */
	uv_signal_t sig_stall;
	unsigned fault_stall_ms;
	struct looplag looplag; /* every iteration's lag: runwarden_loop_lag_max_seconds */
	int64_t run_id;
	int64_t vantage_id; /* store_vantage_register() of cfg.vantage */
	int64_t started_ms;
	int64_t last_tick_ms;
	int64_t quorum_warned_ms;  /* fewer vantages alive than the quorum, last said */
	uint64_t last_tick_loop;   /* uv_now at the last tick */
	uint64_t last_minute;      /* uv_now of the last once-a-minute job */
	struct runner **graveyard; /* removed runners waiting for their probe */
	size_t n_graveyard;

	int pending_closes; /* closes started by stop() and not yet done */
	bool prober_live;   /* prober_init() succeeded */
	bool sched_live;    /* sched_init() succeeded */
	bool serving;       /* start() completed */
	bool bad_input;     /* start() failed on the user's input (exit 2) */
	bool stopping;
	int exit_code;
};

/**
 * Runs the daemon on @p loop (created by main) until SIGTERM or SIGINT.
 * @return the process exit status: 0 after a clean stop, 1 when start-up
 *         failed (the reason is logged as one line).
 */
int daemon_run(uv_loop_t *loop, const struct rw_config *cfg);

#endif
