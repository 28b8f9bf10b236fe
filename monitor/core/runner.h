/* SPDX-License-Identifier: MIT */
/*
 * runner.h — a runner as the daemon holds it in memory.
 *
 * The struct gathers what several modules keep per runner, each field group
 * owned by one module: the registry fields by fleet.c, `due`/`heap_idx` by
 * scheduler.c, `inflight` and the address cache by probe.c, the state machine
 * and last result by fleet.c, the correlated-failure window by blind.c.
 * Only the loop thread touches a runner. blind.c also makes runners that are
 * not in the fleet: the policy's canaries (negative ids), probed and
 * scheduled like any other.
 * A runner is freed by fleet.c only when no probe is in flight for it.
 */
#ifndef RW_RUNNER_H
#define RW_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy/account.h"
#include "policy/policy.h"
#include "policy/runstate.h"

#define RUNNER_LAT_N 8
/* The longest host a URL may name (DNS: 253), with its NUL. */
#define RUNNER_HOST_MAX 256

/* A resolved address: IPv4 or IPv6, not the 128 bytes of a
 * sockaddr_storage in every runner. */
union runner_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* What one probe (probe/) or heartbeat (api/) tells about a runner; the
 * fleet (fleet/) turns it into evidence for the state machine. */
struct probe_result {
	int64_t t_ms;         /* wall time the probe started: its evidence time */
	enum rw_errclass cls; /* RW_ERRCLASS_NONE on success */
	int http_status;      /* 0 when there was no answer */
	int32_t latency_us;   /* -1 when there was no answer */
	bool busy;            /* the body said {"busy": true} */
	bool canceled;        /* shutdown: not a result, do not record */
	bool local;           /* the monitor itself failed (memory, a socket it could not
	                       * poll): not evidence about the runner, which the monitor
	                       * did not see; cls is RW_ERRCLASS_NONE and means nothing */
	char detail[128];     /* curl's message or the guard's reason */
};

struct probe;

struct runner {
	/* Fields are ordered so that the struct has no holes to speak of
	 * (pahole): 10,000 runners are 10,000 of these. */

	/* Registry (fleet.c), from the store. The strings and the two arrays
	 * live in one allocation, `reg` (runner_set_registry()): a runner's
	 * ten or so small strings each in their own malloc() chunk cost more
	 * in headers and rounding than in text (~200 bytes a runner). */
	int64_t id;
	void *reg;
	char *name;
	char *operator_name;
	char *url;
	char *host; /* the URL's host, brackets removed (< RUNNER_HOST_MAX bytes) */
	char **targets;
	size_t n_targets;
	char **labels; /* runs-on labels */
	size_t n_labels;
	int64_t gen;
	int64_t created_ms;          /* registration: probation counts from here */
	int64_t probation_waived_ms; /* the admin waived its probation then; 0: not */
	int port;
	int status; /* enum store_runner_status */
	bool host_is_ip;
	bool push; /* a push runner: heartbeats, no probes, no URL */
	/* GitHub (fleet.c, from the store; the daemon's GitHub wiring feeds
	 * their samples): a pool watches the runners of `github` that carry
	 * its labels; a member is one of them. Neither is probed. */
	bool gh_pool, gh_member;
	bool gh_seen;             /* a member: in the list being read (scratch) */
	uint32_t min_online;      /* a pool's */
	uint32_t pickup_within_s; /* a pool's; 0: no pickup rule */
	uint32_t gh_online;       /* a pool: members online at the last poll */
	uint32_t gh_members;      /* a pool: members at the last poll */
	char *github;             /* a pool's source: "OWNER" or "OWNER/REPO" */
	int64_t pool_id;          /* a member's pool */
	int64_t github_id;        /* a member's id at GitHub */
	int64_t gone_ms;          /* a member: missing from the list since (0: present) */
	int64_t gh_job_id;        /* a pool: the job that waits too long (no_pickup) */
	/* Eligibility as last announced by an event (fleet_check_eligibility()):
	 * -1 never; 0 eligible; else the enum store_reason it is excluded for. */
	int elig_code;
	/* When the tick must next look at it with no new input, its index in
	 * the fleet's heap of those times, and whether it is on the fleet's
	 * list of runners to judge at the next tick (fleet_wake.c). */
	bool wake_listed;
	int64_t wake_ms; /* INT64_MAX: never */
	size_t wake_idx; /* SIZE_MAX: not in the heap */

	/* Push runners (fleet_heartbeat()): the last heartbeat and what it said. */
	int64_t last_heartbeat_ms; /* 0: none since the daemon started */
	char *version;             /* NULL: none reported */
	long jobs_running;         /* -1: not reported */
	int64_t grace_ms;          /* the policy's push grace */

	/* The runner's own settings (0: the policy's) and the effective ones. */
	uint32_t own_interval_s;
	uint32_t own_timeout_ms;
	struct runstate_params params;
	uint32_t timeout_ms;
	uint32_t floor_ppm;

	/* Availability (fleet.c). */
	struct runstate rs;
	int64_t last_probe_ms; /* wall time of the last result; 0: none */
	uint8_t last_class;    /* enum rw_errclass */
	uint16_t last_http;
	int32_t last_latency_us; /* -1: no answer */
	/* The latencies of the last RUNNER_LAT_N answers, for the route's p50
	 * (fleet_p50_latency()). */
	int32_t lat[RUNNER_LAT_N];
	uint8_t n_lat, lat_next;
	bool busy; /* the runner said {"busy": true} */
	/* Flag (fleet.c): rolling-window uptime below the floor, with
	 * hysteresis; see fleet_evaluate(). */
	bool flagged;
	uint32_t window_uptime_ppm; /* at the last evaluation */
	bool has_window_uptime;
	int64_t flag_since_ms;
	/* Its state changes over the rolling window (and the one before it),
	 * sorted, so that route and availability answers come from memory. */
	struct rw_interval *hist;
	size_t n_hist, cap_hist;
	/* Its declared maintenance windows that can still matter (those ending
	 * after the start of the month before the rolling window), reloaded
	 * from the store whenever its registry generation changes. */
	struct rw_maintenance *mw;
	size_t n_mw;

	/* Correlated-failure window (blind.c): the runner's latest result,
	 * while it is in the window. */
	size_t blind_pos;   /* 1 + its index in the window's heap; 0: not in it */
	int64_t blind_t_ms; /* the latest result's sample time */
	/* Its current runs of failures, as results reach blind.c (which
	 * corrects a blind period's start from them): whether its latest
	 * result failed (with any class / with a network class), and the
	 * sample time of the first failure of that run. */
	int64_t blind_fail_since_ms, blind_net_since_ms;
	int64_t blind_last_ms; /* the latest result's sample time, kept out of the window too */
	bool blind_net;        /* it failed with dns, connect or timeout */
	bool blind_failing, blind_net_failing;

	/* Scheduling (scheduler.c). */
	bool removed;    /* retired or deleted: free once idle */
	uint64_t due;    /* loop time (ms) the next probe is due */
	size_t heap_idx; /* SIZE_MAX when not scheduled */

	/* Probing (probe.c). */
	struct probe *inflight;
	uint64_t addr_expires;  /* loop time; 0: none */
	union runner_addr addr; /* cached resolution of host */
};

/** The runner's combined state (the last interval of its history: every
 *  vantage point's under the quorum; with one vantage, its own), which
 *  every view shows; r->rs is this vantage's own state machine. */
static inline enum rw_state runner_state(const struct runner *r)
{
	return r->n_hist > 0 ? r->hist[r->n_hist - 1].state : RW_STATE_UNKNOWN;
}

/** Since when runner_state() holds. */
static inline int64_t runner_since(const struct runner *r)
{
	return r->n_hist > 0 ? r->hist[r->n_hist - 1].start_ms : r->rs.since_ms;
}

#endif
