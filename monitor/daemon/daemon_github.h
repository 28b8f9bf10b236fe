/* SPDX-License-Identifier: MIT */
/*
 * daemon_github.h — GitHub as a heartbeat source, wired into the daemon:
 * the poller's lists become samples of pools and members, workflow_job
 * deliveries become a pool's pickup evidence (policy/pickup.h).
 *
 * Pools and members are runners of the fleet that are never probed. On a
 * poll of a source that returned the list (ghpoll.h), for every approved
 * pool of that source:
 *   - each listed runner carrying all of the pool's labels (compared without
 *     case, as GitHub does) is a member: created in the store the first
 *     time it is seen and loaded into the fleet; it gets one sample at the
 *     poll's time: online (busy or idle) is a success, offline a failure of
 *     class `offline`;
 *   - each member of the pool not in the list (removed from GitHub, or its
 *     labels changed) gets a failure of class `gone`; it is retired once it
 *     has been gone for the policy's github.member_retention_days;
 *   - the pool gets one sample: a failure of class `no_pickup` while a job
 *     waits past its deadline (pickup_within_s), else `below_min_online`
 *     when fewer than min_online members are online, else a success.
 * A poll that returned no list makes no sample: the pools and members of
 * that source go unknown by the usual staleness (two intervals after their
 * last sample), never down, and the time the source cannot be read is a
 * blind period of cause github_api. A pickup pool is also sampled at each
 * job deadline (a timer) and when a delivery changes its verdict, at the
 * time the evidence gives (the deadline; the job's start).
 *
 * Lifecycle: daemon_github_init() after the fleet is loaded; sync after
 * every registry change; daemon_github_close(cb) with the other handles;
 * daemon_github_deinit() after the loop ends. Loop thread only.
 */
#ifndef RW_DAEMON_GITHUB_H
#define RW_DAEMON_GITHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/metrics.h"
#include "monitor/github/ghpoll.h"

struct rw_daemon;
struct store_github_job;
struct strbuf;

/** A source's readability, for its blind periods. */
struct daemon_gh_source {
	char name[GHPOLL_SOURCE_MAX];
	int64_t failing_since_ms; /* 0: readable */
	bool wanted;              /* scratch for daemon_github_sync() */
};

/** A pickup pool's queue waits, for /metrics. */
struct daemon_gh_wait {
	int64_t pool_id;
	struct histogram h;
};

struct daemon_github {
	struct rw_daemon *d;
	struct ghpoll poll;
	bool poll_live;   /* ghpoll_init() succeeded */
	uv_timer_t timer; /* the next pickup deadline */
	bool timer_live;
	struct daemon_gh_source *src; /* the sources added to the poller */
	size_t n_src;
	/* Workflow jobs of the last GITHUB_JOBS_KEEP_MS and every open one,
	 * as merged in the store. */
	struct store_github_job *jobs;
	size_t n_jobs, cap_jobs;
	struct daemon_gh_wait *waits;
	size_t n_waits;
	bool warned_unconfigured;
	void (*closed_cb)(struct daemon_github *g);
	int pending_closes;
};

/**
 * Starts the poller when the config has a "github" object and loads the
 * recent workflow jobs; adds the sources of the approved pools.
 * @param err  one line on failure.
 * @return 0, or RW_E* (start-up fails: a bad App key).
 */
int daemon_github_init(struct daemon_github *g, struct rw_daemon *d, char *err, size_t errlen);

/** Brings the sources in line with the approved pools, retires the members
 *  of pools that left. Call after every registry change. */
void daemon_github_sync(struct daemon_github *g);

/** The API's workflow_job callback (api.h api_github_job_cb): @p merged is
 *  the job as stored (the API merged it on the writer's thread), taken over
 *  on success; owner is the daemon. */
int daemon_github_job(void *owner, struct store_github_job *merged);

/** Appends the GitHub metric families. */
void daemon_github_render_metrics(const struct daemon_github *g, struct strbuf *b);

/**
 * Ends the blind periods of failing sources at @p now_ms and closes the
 * poller and the timer; @p cb runs once when both are closed (at once when
 * nothing was started).
 */
void daemon_github_close(struct daemon_github *g, int64_t now_ms,
                         void (*cb)(struct daemon_github *g));

/** Frees what is left after the close. Accepts a zeroed struct. */
void daemon_github_deinit(struct daemon_github *g);

#endif
