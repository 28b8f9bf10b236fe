/* SPDX-License-Identifier: MIT */
/* daemon_github.c — GitHub pools and members in the daemon; see daemon_github.h. */
#include "monitor/daemon/daemon_github.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/core/clock.h"
#include "monitor/core/log.h"
#include "monitor/core/metrics.h"
#include "monitor/daemon/daemon.h"
#include "monitor/fleet/blind.h"
#include "monitor/fleet/fleet.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "policy/base/strbuf.h"
#include "policy/pickup.h"

#define DAY_MS ((int64_t)86400000)
/* Jobs kept in memory besides the open ones: a queued job waits at most a
 * day at GitHub, and only the latest start matters to pickup_check(). */
#define GITHUB_JOBS_KEEP_MS (2 * DAY_MS)
#define POOL_LABELS_MAX     16
#define LABEL_MAX           128

/* ---- who is who -------------------------------------------------------------- */

/* An approved, loaded pool. */
static bool live_pool(const struct runner *r)
{
	return r->gh_pool && r->status == STORE_RUNNER_APPROVED && !r->removed;
}

/* @p r's labels, lower-cased into @p buf, for pickup.h and for matching
 * GitHub's lists (whose labels ghlist.h lower-cases). @return how many. */
static size_t lower_labels(const struct runner *r, char buf[][LABEL_MAX], const char **out)
{
	size_t n = r->n_labels < POOL_LABELS_MAX ? r->n_labels : POOL_LABELS_MAX;

	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (; r->labels[i][k] && k + 1 < LABEL_MAX; k++)
			buf[i][k] = (char)tolower((unsigned char)r->labels[i][k]);
		buf[i][k] = '\0';
		out[i] = buf[i];
	}
	return n;
}

/* Every label of the pool among the runner's. */
static bool carries(const struct gh_runner *g, const char *const *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < g->n_labels && strcmp(g->labels[k], labels[i]) != 0)
			k++;
		if (k == g->n_labels)
			return false;
	}
	return true;
}

/* ---- pickup ------------------------------------------------------------------ */

/* The pool's jobs as pickup.h reads them: those of its source. @p v is
 * malloc'd by the caller (n_jobs entries). @return how many. */
static size_t pool_jobs(const struct daemon_github *g, const struct runner *pool,
                        struct pickup_job *v)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_jobs; i++) {
		const struct store_github_job *j = &g->jobs[i];
		if (!pickup_source_matches(j->repo, pool->github))
			continue;
		v[n++] = (struct pickup_job){.id = j->id,
		                             .labels = (const char *const *)j->labels,
		                             .n_labels = j->n_labels,
		                             .queued_ms = j->queued_ms,
		                             .started_ms = j->started_ms,
		                             .completed_ms = j->completed_ms};
	}
	return n;
}

/*
 * The pool's verdict at @p t_ms: no_pickup (with *since the deadline that
 * opened it and *job the job that waits) before below_min_online, else a
 * success. @p next receives the pool's next deadline (INT64_MAX: none).
 */
static enum rw_errclass pool_class(const struct daemon_github *g, const struct runner *pool,
                                   int64_t t_ms, int64_t *since, int64_t *next, int64_t *job)
{
	char buf[POOL_LABELS_MAX][LABEL_MAX];
	const char *labels[POOL_LABELS_MAX];
	size_t nl = lower_labels(pool, buf, labels), n;
	struct pickup_job *v;
	enum rw_errclass cls = RW_ERRCLASS_NONE;

	*since = t_ms;
	*next = INT64_MAX;
	*job = 0;
	if (pool->pickup_within_s && g->n_jobs) {
		int64_t w = (int64_t)pool->pickup_within_s * 1000;
		v = malloc(g->n_jobs * sizeof(*v));
		if (v) {
			n = pool_jobs(g, pool, v);
			if (pickup_check(v, n, labels, nl, w, t_ms, since, job))
				cls = RW_ERRCLASS_NO_PICKUP;
			*next = pickup_next_deadline(v, n, labels, nl, w, t_ms);
			free(v);
		}
	}
	if (cls == RW_ERRCLASS_NONE && pool->gh_online < pool->min_online)
		cls = RW_ERRCLASS_BELOW_MIN_ONLINE;
	return cls;
}

static void sample(struct rw_daemon *d, struct runner *r, int64_t t_ms, enum rw_errclass cls)
{
	struct probe_result res = {.t_ms = t_ms, .cls = cls, .latency_us = -1};

	/* Samples go in time order (runstate.h rule 6): evidence the pool
	 * learns late is placed at its own time when it can be. */
	if (res.t_ms < runner_since(r))
		res.t_ms = runner_since(r);
	if (r->rs.last_sample_ms >= 0 && res.t_ms < r->rs.last_sample_ms)
		res.t_ms = r->rs.last_sample_ms;
	fleet_record_result(&d->fleet, r, &res, FLEET_APPLY_SAMPLE);
}

/* Samples @p pool at @p now_ms from what is known; @return its next deadline. */
static int64_t judge_pool(struct daemon_github *g, struct runner *pool, int64_t now_ms)
{
	int64_t since, next, job;
	enum rw_errclass cls = pool_class(g, pool, now_ms, &since, &next, &job);

	/* A missed pickup is down from its deadline, not from when it was
	 * noticed; a recovery is at once. */
	pool->gh_job_id = job;
	sample(g->d, pool, cls == RW_ERRCLASS_NO_PICKUP ? since : now_ms, cls);
	return next;
}

static void arm_timer(struct daemon_github *g, int64_t now_ms);

static void timer_cb(uv_timer_t *t)
{
	struct daemon_github *g = t->data;
	struct rw_daemon *d = g->d;
	int64_t now = clock_now_ms(&d->clock);

	for (size_t i = 0; i < d->fleet.n; i++) {
		struct runner *r = d->fleet.v[i];
		if (live_pool(r) && r->pickup_within_s) {
			int64_t since, next, job;
			/* Only a pool whose verdict turns gets a sample between polls. */
			if (pool_class(g, r, now, &since, &next, &job) == RW_ERRCLASS_NO_PICKUP &&
			    r->last_class != RW_ERRCLASS_NO_PICKUP)
				judge_pool(g, r, now);
		}
	}
	arm_timer(g, now);
}

/* The earliest deadline of any pickup pool, as a one-shot timer. */
static void arm_timer(struct daemon_github *g, int64_t now_ms)
{
	struct rw_daemon *d = g->d;
	int64_t next = INT64_MAX;

	if (!g->timer_live || d->stopping)
		return;
	for (size_t i = 0; i < d->fleet.n; i++) {
		const struct runner *r = d->fleet.v[i];
		int64_t since, nd, job;
		if (!live_pool(r) || !r->pickup_within_s)
			continue;
		pool_class(g, r, now_ms, &since, &nd, &job);
		if (nd < next)
			next = nd;
	}
	uv_timer_stop(&g->timer);
	if (next != INT64_MAX)
		uv_timer_start(&g->timer, timer_cb, (uint64_t)(next - now_ms), 0);
}

/* ---- jobs -------------------------------------------------------------------- */

static void jobs_prune(struct daemon_github *g, int64_t now_ms)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n_jobs; i++) {
		struct store_github_job *j = &g->jobs[i];
		int64_t last = j->completed_ms ? j->completed_ms : j->started_ms;
		bool open = j->completed_ms == 0 && j->started_ms == 0;
		if (open ? now_ms - j->queued_ms > GITHUB_JOBS_KEEP_MS
		         : now_ms - last > GITHUB_JOBS_KEEP_MS) {
			store_github_job_deinit(j);
			continue;
		}
		g->jobs[k++] = *j;
	}
	g->n_jobs = k;
}

/* Takes over @p j (merged, as stored): replaces the job of its id or adds it. */
static int jobs_put(struct daemon_github *g, struct store_github_job *j)
{
	for (size_t i = 0; i < g->n_jobs; i++) {
		if (g->jobs[i].id == j->id) {
			store_github_job_deinit(&g->jobs[i]);
			g->jobs[i] = *j;
			return 0;
		}
	}
	if (g->n_jobs == g->cap_jobs) {
		size_t cap = g->cap_jobs ? 2 * g->cap_jobs : 64;
		struct store_github_job *v = realloc(g->jobs, cap * sizeof(*v));
		if (!v)
			return RW_ENOMEM;
		g->jobs = v;
		g->cap_jobs = cap;
	}
	g->jobs[g->n_jobs++] = *j;
	return 0;
}

/* The queue-wait histogram of @p pool_id (created on first use), or NULL. */
static struct histogram *wait_histogram(struct daemon_github *g, int64_t pool_id)
{
	struct daemon_gh_wait *v;

	for (size_t i = 0; i < g->n_waits; i++)
		if (g->waits[i].pool_id == pool_id)
			return &g->waits[i].h;
	v = realloc(g->waits, (g->n_waits + 1) * sizeof(*v));
	if (!v)
		return NULL;
	g->waits = v;
	memset(&v[g->n_waits], 0, sizeof(*v));
	v[g->n_waits].pool_id = pool_id;
	return &v[g->n_waits++].h;
}

/* A job @p j just started: its wait counts for every pool it matches. */
static void observe_wait(struct daemon_github *g, const struct store_github_job *j)
{
	struct rw_daemon *d = g->d;
	struct pickup_job pj = {.labels = (const char *const *)j->labels, .n_labels = j->n_labels};

	for (size_t i = 0; i < d->fleet.n; i++) {
		struct runner *r = d->fleet.v[i];
		char buf[POOL_LABELS_MAX][LABEL_MAX];
		const char *labels[POOL_LABELS_MAX];
		struct histogram *h;
		if (!live_pool(r) || !pickup_source_matches(j->repo, r->github) ||
		    !pickup_matches(&pj, labels, lower_labels(r, buf, labels)))
			continue;
		h = wait_histogram(g, r->id);
		if (h)
			histogram_observe(h, (double)(j->started_ms - j->queued_ms) / 1000.0);
	}
}

/* Whether the job of @p id is known started in memory. */
static bool known_started(const struct daemon_github *g, int64_t id)
{
	for (size_t i = 0; i < g->n_jobs; i++)
		if (g->jobs[i].id == id)
			return g->jobs[i].started_ms > 0;
	return false;
}

int daemon_github_job(void *owner, struct store_github_job *stored)
{
	struct rw_daemon *d = owner;
	struct daemon_github *g = &d->github;
	struct store_github_job merged = *stored;
	int64_t now = clock_now_ms(&d->clock);
	bool was_started;
	int rc;

	was_started = known_started(g, merged.id);
	if (!was_started && merged.started_ms > 0 && merged.queued_ms > 0 &&
	    merged.started_ms >= merged.queued_ms)
		observe_wait(g, &merged);
	rc = jobs_put(g, &merged);
	if (rc < 0) {
		log_msg(RW_LOG_WARN, "workflow job not judged", "error", rw_strerror(rc));
		return rc; /* the caller still owns it */
	}
	/* A pickup pool whose verdict this turns is judged now: a start ends
	 * an outage at once, a late delivery of an old queueing opens one at
	 * its deadline. */
	for (size_t i = 0; i < d->fleet.n; i++) {
		struct runner *r = d->fleet.v[i];
		int64_t since, next, job;
		enum rw_errclass cls;
		if (!live_pool(r) || !r->pickup_within_s)
			continue;
		cls = pool_class(g, r, now, &since, &next, &job);
		if ((cls == RW_ERRCLASS_NO_PICKUP) != (r->last_class == RW_ERRCLASS_NO_PICKUP))
			judge_pool(g, r, now);
	}
	jobs_prune(g, now);
	arm_timer(g, now);
	return 0;
}

/* ---- polls ------------------------------------------------------------------- */

static struct daemon_gh_source *source_find(struct daemon_github *g, const char *name)
{
	for (size_t i = 0; i < g->n_src; i++)
		if (strcasecmp(g->src[i].name, name) == 0)
			return &g->src[i];
	return NULL;
}

/* The member of @p pool for GitHub runner @p github_id in the sorted
 * array @p v of the pool's members, or NULL. */
static struct runner *member_find(struct runner **v, size_t n, int64_t github_id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid]->github_id < github_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo]->github_id == github_id ? v[lo] : NULL;
}

static int cmp_github_id(const void *a, const void *b)
{
	const struct runner *x = *(struct runner *const *)a, *y = *(struct runner *const *)b;
	return x->github_id < y->github_id ? -1 : x->github_id > y->github_id;
}

/* Creates the member of @p pool for @p gr in the store and loads it. */
static struct runner *member_create(struct rw_daemon *d, struct runner *pool,
                                    const struct gh_runner *gr, int64_t now_ms)
{
	struct store_runner sr;
	struct runner *r = NULL;
	int64_t id = 0;
	bool created = false, is_new = false;
	int rc = store_github_member_upsert(d->st, pool->id, gr->id, gr->name, now_ms, &id,
	                                    &created);

	if (rc == 0)
		rc = store_runner_get(d->st, NULL, id, &sr);
	if (rc < 0) {
		log_msg(RW_LOG_WARN, "GitHub runner not recorded; next poll", "runner", gr->name);
		return NULL;
	}
	/* Loaded here so that this poll's sample reaches it; the registry
	 * sync that follows finds it loaded. A new member is unknown from
	 * its first sight. */
	rc = fleet_upsert(&d->fleet, &sr, &d->policy, now_ms, &r, &is_new);
	if (rc == 0 && created) {
		struct logline l;
		if (log_begin(&l, RW_LOG_INFO, "GitHub runner joined a pool")) {
			log_str(&l, "pool", pool->name);
			log_str(&l, "runner", sr.name);
			log_int(&l, "github_id", gr->id);
			log_end(&l);
		}
	}
	store_runner_deinit(&sr);
	return rc == 0 ? r : NULL;
}

/* One pool's members and its own sample from source list @p v. */
static void poll_pool(struct daemon_github *g, struct runner *pool, const struct gh_runner *v,
                      size_t n, int64_t now_ms)
{
	struct rw_daemon *d = g->d;
	char buf[POOL_LABELS_MAX][LABEL_MAX];
	const char *labels[POOL_LABELS_MAX];
	size_t nl = lower_labels(pool, buf, labels), nm = 0;
	struct runner **mine = d->fleet.n ? malloc(d->fleet.n * sizeof(*mine)) : NULL;
	int64_t retention = (int64_t)d->policy.github.member_retention_days * DAY_MS;
	uint32_t online = 0, members = 0;

	if (d->fleet.n && !mine)
		return; /* no sample: unknown by staleness, as for a failed poll */
	for (size_t i = 0; i < d->fleet.n; i++) {
		struct runner *r = d->fleet.v[i];
		if (r->gh_member && r->pool_id == pool->id && r->status == STORE_RUNNER_APPROVED &&
		    !r->removed) {
			r->gh_seen = false;
			mine[nm++] = r;
		}
	}
	qsort(mine, nm, sizeof(*mine), cmp_github_id);
	for (size_t i = 0; i < n; i++) {
		struct runner *r;
		if (!carries(&v[i], labels, nl))
			continue;
		r = member_find(mine, nm, v[i].id);
		if (!r)
			r = member_create(d, pool, &v[i], now_ms);
		if (!r)
			continue;
		r->gh_seen = true;
		members++;
		online += v[i].online;
		r->busy = v[i].busy;
		if (r->gone_ms && store_github_member_set_gone(d->st, r->id, 0) == 0)
			r->gone_ms = 0;
		sample(d, r, now_ms, v[i].online ? RW_ERRCLASS_NONE : RW_ERRCLASS_OFFLINE);
	}
	for (size_t i = 0; i < nm; i++) {
		struct runner *r = mine[i];
		if (r->gh_seen)
			continue;
		if (!r->gone_ms && store_github_member_set_gone(d->st, r->id, now_ms) == 0)
			r->gone_ms = now_ms;
		sample(d, r, now_ms, RW_ERRCLASS_GONE);
		if (r->gone_ms && now_ms - r->gone_ms >= retention &&
		    store_runner_set_status(d->st, r->id, STORE_RUNNER_RETIRED, now_ms, NULL) == 0)
			log_msg(RW_LOG_INFO, "GitHub runner retired: gone past the retention",
			        "runner", r->name);
	}
	free(mine);
	pool->gh_online = online;
	pool->gh_members = members;
	judge_pool(g, pool, now_ms);
}

static void poll_cb(struct ghpoll *gp, const char *source, const struct gh_runner *v, size_t n,
                    int rc, const char *why, void *data)
{
	struct daemon_github *g = data;
	struct rw_daemon *d = g->d;
	struct daemon_gh_source *s = source_find(g, source);
	int64_t now = clock_now_ms(&d->clock);
	(void)gp;

	if (rc < 0) {
		/* No list: no sample. Its pools and members go unknown by
		 * staleness; the time is the monitor's blindness on it. */
		if (s && !s->failing_since_ms) {
			struct logline l;
			s->failing_since_ms = now;
			if (log_begin(&l, RW_LOG_WARN,
			              "GitHub list unreadable: its pools go unknown")) {
				log_str(&l, "source", source);
				log_str(&l, "why", why);
				log_end(&l);
			}
		}
		return;
	}
	if (s && s->failing_since_ms) {
		blind_record(&d->blind, STORE_BLIND_GITHUB_API, s->failing_since_ms, now);
		s->failing_since_ms = 0;
	}
	/* The pools first: a new member joins the fleet's array meanwhile. */
	{
		struct runner **pools = malloc((d->fleet.n + 1) * sizeof(*pools));
		size_t np = 0;
		for (size_t i = 0; pools && i < d->fleet.n; i++)
			if (live_pool(d->fleet.v[i]) &&
			    strcasecmp(d->fleet.v[i]->github, source) == 0)
				pools[np++] = d->fleet.v[i];
		for (size_t i = 0; i < np; i++)
			poll_pool(g, pools[i], v, n, now);
		free(pools);
	}
	arm_timer(g, now);
}

/* ---- sources ------------------------------------------------------------------ */

void daemon_github_sync(struct daemon_github *g)
{
	struct rw_daemon *d = g->d;
	int64_t now = clock_now_ms(&d->clock);
	size_t k = 0;

	for (size_t i = 0; i < g->n_src; i++)
		g->src[i].wanted = false;
	for (size_t i = 0; i < d->fleet.n; i++) {
		struct runner *r = d->fleet.v[i];
		struct daemon_gh_source *s;
		if (r->gh_member && r->status == STORE_RUNNER_APPROVED) {
			/* A member outlives no pool: retired with it. */
			struct runner *pool = fleet_find(&d->fleet, r->pool_id);
			if ((!pool || pool->status == STORE_RUNNER_RETIRED || pool->removed) &&
			    store_runner_set_status(d->st, r->id, STORE_RUNNER_RETIRED, now,
			                            NULL) == 0)
				log_msg(RW_LOG_INFO, "GitHub runner retired with its pool",
				        "runner", r->name);
			continue;
		}
		if (!live_pool(r))
			continue;
		if (!g->poll_live) {
			if (!g->warned_unconfigured) {
				g->warned_unconfigured = true;
				log_msg(RW_LOG_WARN,
				        "GitHub pools but no \"github\" in the config: they stay "
				        "unknown",
				        "pool", r->name);
			}
			continue;
		}
		s = source_find(g, r->github);
		if (!s) {
			struct daemon_gh_source *ns = realloc(g->src, (g->n_src + 1) * sizeof(*ns));
			if (!ns || ghpoll_add(&g->poll, r->github) < 0) {
				g->src = ns ? ns : g->src;
				log_msg(RW_LOG_ERROR, "GitHub source not added", "source",
				        r->github);
				continue;
			}
			g->src = ns;
			s = &g->src[g->n_src++];
			memset(s, 0, sizeof(*s));
			snprintf(s->name, sizeof(s->name), "%s", r->github);
		}
		s->wanted = true;
	}
	for (size_t i = 0; i < g->n_src; i++) {
		if (g->src[i].wanted) {
			g->src[i].wanted = false;
			g->src[k++] = g->src[i];
			continue;
		}
		ghpoll_remove(&g->poll, g->src[i].name);
		if (g->src[i].failing_since_ms)
			blind_record(&d->blind, STORE_BLIND_GITHUB_API, g->src[i].failing_since_ms,
			             now);
	}
	g->n_src = k;
	arm_timer(g, now);
}

/* ---- lifecycle ----------------------------------------------------------------- */

int daemon_github_init(struct daemon_github *g, struct rw_daemon *d, char *err, size_t errlen)
{
	struct store_github_job *v = NULL;
	size_t n = 0;
	int64_t now = clock_now_ms(&d->clock);
	int rc;

	memset(g, 0, sizeof(*g));
	g->d = d;
	if (d->cfg.github.configured) {
		rc = ghpoll_init(&g->poll, d->loop, &d->cfg.github, NULL, poll_cb, g, err, errlen);
		if (rc < 0)
			return rc;
		g->poll_live = true;
	}
	rc = uv_timer_init(d->loop, &g->timer);
	if (rc < 0) {
		snprintf(err, errlen, "github: %s", uv_strerror(rc));
		return RW_EIO;
	}
	g->timer.data = g;
	g->timer_live = true;
	/* The jobs that can still matter: queued in the last two days. */
	rc = store_github_jobs(d->st, now - GITHUB_JOBS_KEEP_MS, INT64_MAX, &v, &n);
	if (rc < 0) {
		snprintf(err, errlen, "reading workflow jobs: %s", store_errmsg(d->st));
		return rc;
	}
	g->jobs = v;
	g->n_jobs = g->cap_jobs = n;
	daemon_github_sync(g);
	return 0;
}

static void closed_one(struct daemon_github *g)
{
	if (--g->pending_closes == 0 && g->closed_cb)
		g->closed_cb(g);
}

static void poll_closed(struct ghpoll *gp, void *data)
{
	(void)gp;
	closed_one(data);
}

static void timer_closed(uv_handle_t *h)
{
	closed_one(h->data);
}

void daemon_github_close(struct daemon_github *g, int64_t now_ms,
                         void (*cb)(struct daemon_github *g))
{
	for (size_t i = 0; i < g->n_src; i++)
		if (g->src[i].failing_since_ms) {
			blind_record(&g->d->blind, STORE_BLIND_GITHUB_API,
			             g->src[i].failing_since_ms, now_ms);
			g->src[i].failing_since_ms = 0;
		}
	g->closed_cb = cb;
	g->pending_closes = 1; /* held while the closes start */
	if (g->poll_live) {
		g->pending_closes++;
		ghpoll_close(&g->poll, poll_closed, g);
	}
	if (g->timer_live) {
		g->timer_live = false;
		g->pending_closes++;
		uv_close((uv_handle_t *)&g->timer, timer_closed);
	}
	closed_one(g);
}

void daemon_github_deinit(struct daemon_github *g)
{
	if (g->poll_live)
		ghpoll_deinit(&g->poll);
	g->poll_live = false;
	store_github_jobs_free(g->jobs, g->n_jobs);
	free(g->src);
	free(g->waits);
	g->waits = NULL;
	g->n_waits = 0;
	g->jobs = NULL;
	g->src = NULL;
	g->n_jobs = g->cap_jobs = g->n_src = 0;
}

/* ---- metrics ------------------------------------------------------------------- */

void daemon_github_render_metrics(const struct daemon_github *g, struct strbuf *b)
{
	const struct rw_daemon *d = g->d;
	static const enum rw_state states[] = {RW_STATE_UNKNOWN, RW_STATE_UP, RW_STATE_DOWN};

	ghpoll_render_metrics(g->poll_live ? &g->poll : NULL, b);
	metrics_family(b, "runwarden_github_webhook_deliveries_total", "counter",
	               "GitHub webhook deliveries received, by result.");
	for (int k = 0; k < METRICS_GH_COUNT; k++)
		strbuf_printf(
		        b, "runwarden_github_webhook_deliveries_total{result=\"%s\"} %" PRIu64 "\n",
		        metrics_gh_delivery_names[k], d->m.github_deliveries[k]);
	metrics_family(b, "runwarden_github_members", "gauge",
	               "Members of each approved GitHub pool, by state.");
	for (size_t i = 0; d && i < d->fleet.n; i++) {
		const struct runner *p = d->fleet.v[i];
		uint64_t count[RW_STATE_COUNT] = {0};
		if (!live_pool(p))
			continue;
		for (size_t k = 0; k < d->fleet.n; k++) {
			const struct runner *r = d->fleet.v[k];
			if (r->gh_member && r->pool_id == p->id &&
			    r->status == STORE_RUNNER_APPROVED && !r->removed)
				count[runner_state(r)]++;
		}
		for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			strbuf_puts(b, "runwarden_github_members{pool=");
			metrics_label_value(b, p->name);
			strbuf_printf(b, ",state=\"%s\"} %" PRIu64 "\n", rw_state_name(states[s]),
			              count[states[s]]);
		}
	}
	metrics_family(b, "runwarden_github_queue_wait_seconds", "histogram",
	               "How long matching jobs waited for a runner, per pickup pool.");
	for (size_t i = 0; i < g->n_waits; i++) {
		const struct runner *p = fleet_find(&d->fleet, g->waits[i].pool_id);
		if (p)
			metrics_histogram_labeled(b, "runwarden_github_queue_wait_seconds", "pool",
			                          p->name, &g->waits[i].h);
	}
}
