/* SPDX-License-Identifier: MIT */
/*
 * fleet.c — the in-memory registry and the path from a probe result to a
 * stored state change; see fleet.h.
 *
 * A runner's remembered history and the figures computed from it are in
 * fleet_history.c; judging runners (eligibility, flags, their events) in
 * fleet_eligibility.c; each target's pool against its minimum in
 * fleet_minimum.c; what the fleet reports to /metrics in fleet_metrics.c.
 * Calls go one way: fleet.c -> fleet_eligibility.c -> fleet_history.c, and
 * fleet_eligibility.c -> fleet_minimum.c.
 *
 * Invariants: v[] is sorted by id; every runner in v[] is in the pool of
 * each of its targets and of each of its labels, and nowhere else; only runners with status
 * approved are scheduled (the daemon enforces that), but pending runners are kept so that the route
 * query can name them.
 */
#include "monitor/fleet/fleet.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "monitor/core/url.h"
#include "policy/base/rw_error.h"

void fleet_init(struct fleet *f, struct writer *w, struct metrics *m, const struct rw_policy *pol)
{
	memset(f, 0, sizeof(*f));
	f->writer = w;
	f->m = m;
	f->pol = pol;
	f->combining = true; /* one daemon, until the owner says otherwise */
}

static void free_registry(struct runner *r);

void runner_free(struct runner *r)
{
	if (!r)
		return;
	free_registry(r);
	free(r->version);
	free(r->hist);
	free(r->mw);
	free(r);
}

void fleet_deinit(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		runner_free(f->v[i]);
	free(f->v);
	for (size_t i = 0; i < f->n_pools; i++) {
		free(f->pools[i].triple);
		free(f->pools[i].v);
	}
	free(f->pools);
	for (size_t i = 0; i < f->n_lpools; i++) {
		free(f->lpools[i].triple);
		free(f->lpools[i].v);
	}
	free(f->lpools);
	fleet_wake_deinit(f);
	fleet_vantages_deinit(f);
	fleet_init(f, f->writer, f->m, f->pol);
}

static size_t lower_bound(const struct fleet *f, int64_t id)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct runner *fleet_find(const struct fleet *f, int64_t id)
{
	size_t i = lower_bound(f, id);
	return i < f->n && f->v[i]->id == id ? f->v[i] : NULL;
}

static struct target_pool *find_pool(struct target_pool *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].triple, key) == 0)
			return &v[i];
	return NULL;
}

const struct target_pool *fleet_pool(const struct fleet *f, const char *triple)
{
	return find_pool(f->pools, f->n_pools, triple);
}

const struct target_pool *fleet_label_pool(const struct fleet *f, const char *label)
{
	return find_pool(f->lpools, f->n_lpools, label);
}

/* Adds @p r to the pool of @p key in the set (*v, *n): targets or labels. */
static int pool_add(struct target_pool **v, size_t *n, const char *key, struct runner *r)
{
	struct target_pool *p = find_pool(*v, *n, key);

	if (!p) {
		struct target_pool *np = realloc(*v, (*n + 1) * sizeof(*np));
		if (!np)
			return RW_ENOMEM;
		*v = np;
		p = &np[*n];
		memset(p, 0, sizeof(*p));
		p->triple = strdup(key);
		if (!p->triple)
			return RW_ENOMEM;
		(*n)++;
	}
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 8;
		struct runner **nv = realloc(p->v, ncap * sizeof(*nv));
		if (!nv)
			return RW_ENOMEM;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = r;
	return 0;
}

static void set_remove(struct target_pool *v, size_t n, struct runner *r)
{
	for (size_t i = 0; i < n; i++) {
		struct target_pool *p = &v[i];
		for (size_t j = 0; j < p->n; j++) {
			if (p->v[j] == r) {
				memmove(&p->v[j], &p->v[j + 1], (p->n - j - 1) * sizeof(*p->v));
				p->n--;
				break;
			}
		}
	}
}

static void pools_remove(struct fleet *f, struct runner *r)
{
	set_remove(f->pools, f->n_pools, r);
	set_remove(f->lpools, f->n_lpools, r);
}

static void apply_settings(struct runner *r, const struct rw_policy *pol)
{
	uint32_t iv = r->own_interval_s ? r->own_interval_s : pol->probe.interval_s;
	uint32_t to = r->own_timeout_ms ? r->own_timeout_ms : pol->probe.timeout_ms;

	r->params.interval_ms = (int64_t)iv * 1000;
	/* A push runner's silence is judged once, at interval + grace; a
	 * missed heartbeat is then down at once (fleet_advance()). */
	r->params.failures_to_down = r->push ? 1 : pol->probe.failures_to_down;
	r->params.stale_ms = r->push ? INT64_MAX / 4 : 0;
	r->grace_ms = (int64_t)pol->push.grace_s * 1000;
	r->params.successes_to_up = pol->probe.successes_to_up;
	if (r->gh_pool && r->pickup_within_s) {
		/* A job that waited past its deadline is an outage, not a blip:
		 * the pool is down from the deadline to the start (pickup.h). */
		r->params.failures_to_down = 1;
		r->params.successes_to_up = 1;
	}
	/* A probe never outlives its slot: at most the interval. */
	r->timeout_ms = to < iv * 1000 ? to : iv * 1000;
	r->floor_ppm = policy_floor_ppm(pol, (const char *const *)r->targets, r->n_targets);
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool same_targets(const struct runner *r, const struct store_runner *sr)
{
	return same_list(r->targets, r->n_targets, sr->targets, sr->n_targets) &&
	       same_list(r->labels, r->n_labels, sr->labels, sr->n_labels);
}

static void free_registry(struct runner *r)
{
	free(r->reg);
	r->reg = NULL;
	r->name = r->operator_name = r->url = r->github = r->host = NULL;
	r->targets = r->labels = NULL;
	r->n_targets = r->n_labels = 0;
}

/* Copies @p s to @p *at and moves @p *at past its NUL. */
static char *put_str(char **at, const char *s)
{
	char *d = *at;
	size_t n = strlen(s ? s : "") + 1;

	memcpy(d, s ? s : "", n);
	*at += n;
	return d;
}

int runner_set_registry(struct runner *r, const struct runner_registry *in)
{
	const char *one[] = {in->name, in->operator_name, in->url, in->github, in->host};
	size_t n_ptr = in->n_targets + in->n_labels, size = n_ptr * sizeof(char *);
	char **ptrs, *at;
	struct runner nr = {0};

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		size += strlen(one[i] ? one[i] : "") + 1;
	for (size_t i = 0; i < in->n_targets; i++)
		size += strlen(in->targets[i]) + 1;
	for (size_t i = 0; i < in->n_labels; i++)
		size += strlen(in->labels[i]) + 1;
	/* The pointer arrays first, for their alignment; then the text. */
	ptrs = malloc(size);
	if (!ptrs)
		return RW_ENOMEM;
	at = (char *)(ptrs + n_ptr);
	/* All copied before the old block goes: @p in may point into it. */
	nr.name = put_str(&at, in->name);
	nr.operator_name = put_str(&at, in->operator_name);
	nr.url = put_str(&at, in->url);
	nr.github = put_str(&at, in->github);
	nr.host = put_str(&at, in->host);
	for (size_t i = 0; i < in->n_targets; i++)
		ptrs[i] = put_str(&at, in->targets[i]);
	for (size_t i = 0; i < in->n_labels; i++)
		ptrs[in->n_targets + i] = put_str(&at, in->labels[i]);
	free_registry(r);
	r->reg = ptrs;
	r->name = nr.name;
	r->operator_name = nr.operator_name;
	r->url = nr.url;
	r->github = nr.github;
	r->host = nr.host;
	r->targets = ptrs;
	r->n_targets = in->n_targets;
	r->labels = ptrs + in->n_targets;
	r->n_labels = in->n_labels;
	return 0;
}

/* Copies the registry fields of @p sr into @p r (whose old ones are freed
 * first). A push runner has no URL; an http runner's must parse. */
static int fill_registry(struct runner *r, const struct store_runner *sr)
{
	char host[RUNNER_HOST_MAX] = "", err[160];
	int port = 0, https = 0;
	unsigned char buf[sizeof(struct in6_addr)];

	r->push = strcmp(sr->kind, "push") == 0;
	r->gh_pool = store_runner_is_pool(sr);
	r->gh_member = store_runner_is_member(sr);
	if (!r->push && !r->gh_pool && !r->gh_member &&
	    (!sr->url ||
	     url_parse(sr->url, host, sizeof(host), &port, &https, err, sizeof(err)) < 0))
		return RW_EINVAL;
	{
		struct runner_registry in = {
		        .name = sr->name,
		        .operator_name = sr->operator_name,
		        .url = sr->url,
		        .github = sr->github,
		        .host = host,
		        .targets = sr->targets,
		        .n_targets = sr->n_targets,
		        .labels = sr->labels,
		        .n_labels = sr->n_labels,
		};
		int rc = runner_set_registry(r, &in);
		if (rc < 0)
			return rc;
	}
	r->min_online = (uint32_t)sr->min_online;
	r->pickup_within_s = (uint32_t)sr->pickup_within_s;
	r->pool_id = sr->pool_id;
	r->github_id = sr->github_id;
	r->gone_ms = sr->gone_ms;
	r->port = port ? port : (https ? 443 : 80);
	r->host_is_ip = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
	r->addr_expires = 0; /* resolve the (maybe new) host again */
	return 0;
}

static int pools_add(struct fleet *f, struct runner *r)
{
	for (size_t i = 0; i < r->n_targets; i++) {
		int rc = pool_add(&f->pools, &f->n_pools, r->targets[i], r);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < r->n_labels; i++) {
		int rc = pool_add(&f->lpools, &f->n_lpools, r->labels[i], r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* GitHub runners are sampled once a poll: their interval is the poll's. */
static uint32_t own_interval(const struct fleet *f, const struct store_runner *sr)
{
	if ((store_runner_is_pool(sr) || store_runner_is_member(sr)) && f->github_interval_s)
		return f->github_interval_s;
	return sr->interval_s;
}

/* A member carries its pool's runs-on labels (the store keeps them on the
 * pool only), so that a route by label lists the pool's members too. */
static int take_pool_labels(struct fleet *f, struct runner *r)
{
	const struct runner *pool = fleet_find(f, r->pool_id);

	if (!pool || r->n_labels)
		return 0;
	{
		struct runner_registry in = {
		        .name = r->name,
		        .operator_name = r->operator_name,
		        .url = r->url,
		        .github = r->github,
		        .host = r->host,
		        .targets = r->targets,
		        .n_targets = r->n_targets,
		        .labels = pool->labels,
		        .n_labels = pool->n_labels,
		};
		return runner_set_registry(r, &in);
	}
}

int fleet_upsert(struct fleet *f, const struct store_runner *sr, const struct rw_policy *pol,
                 int64_t since_ms, struct runner **out, bool *is_new)
{
	struct runner *r = fleet_find(f, sr->id);
	size_t at;
	int rc;

	f->route_gen++;           /* registry fields (targets, labels, status) show in routes */
	f->minimums_dirty = true; /* and pools count approved runners */

	*is_new = false;
	if (r) {
		/* Status, settings, URL and targets may change (PATCH); the
		 * availability state and history stay. libcurl copied the old
		 * URL when a probe in flight started, so it may be freed. */
		if (strcmp(r->url, sr->url ? sr->url : "") != 0 || !same_targets(r, sr)) {
			pools_remove(f, r);
			rc = fill_registry(r, sr);
			if (rc == 0 && r->gh_member)
				rc = take_pool_labels(f, r);
			if (rc == 0)
				rc = pools_add(f, r);
			if (rc < 0)
				return rc;
		}
		r->status = sr->status;
		r->gen = sr->gen;
		r->gone_ms = sr->gone_ms;
		r->probation_waived_ms = sr->probation_waived_ms;
		r->own_interval_s = own_interval(f, sr);
		r->own_timeout_ms = sr->timeout_ms;
		apply_settings(r, pol);
		fleet_touch(f, r);
		*out = r;
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return RW_ENOMEM;
	r->id = sr->id;
	r->status = sr->status;
	r->gen = sr->gen;
	r->created_ms = sr->created_ms;
	r->probation_waived_ms = sr->probation_waived_ms;
	r->flagged = sr->flagged;
	r->flag_since_ms = sr->flag_since_ms;
	r->heap_idx = SIZE_MAX;
	r->wake_idx = SIZE_MAX;
	r->wake_ms = INT64_MAX;
	r->last_latency_us = -1;
	r->jobs_running = -1;
	r->elig_code = -1;
	rc = fill_registry(r, sr);
	if (rc == 0 && r->gh_member)
		rc = take_pool_labels(f, r);
	if (rc < 0) {
		runner_free(r);
		return rc;
	}
	r->own_interval_s = own_interval(f, sr);
	r->own_timeout_ms = sr->timeout_ms;
	apply_settings(r, pol);
	runstate_init(&r->rs, RW_STATE_UNKNOWN, since_ms);
	rc = fleet_hist_append(r, since_ms, RW_STATE_UNKNOWN);
	if (rc < 0) {
		runner_free(r);
		return rc;
	}

	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 256;
		struct runner **nv = realloc(f->v, ncap * sizeof(*nv));
		if (!nv) {
			runner_free(r);
			return RW_ENOMEM;
		}
		f->v = nv;
		f->cap = ncap;
	}
	at = lower_bound(f, r->id);
	memmove(&f->v[at + 1], &f->v[at], (f->n - at) * sizeof(*f->v));
	f->v[at] = r;
	f->n++;
	rc = pools_add(f, r);
	if (rc < 0) {
		fleet_remove(f, r);
		runner_free(r);
		return rc;
	}
	fleet_touch(f, r);
	*is_new = true;
	*out = r;
	return 0;
}

void fleet_remove(struct fleet *f, struct runner *r)
{
	size_t i = lower_bound(f, r->id);

	f->route_gen++;
	f->minimums_dirty = true;
	pools_remove(f, r);
	fleet_wake_forget(f, r);
	if (i < f->n && f->v[i] == r) {
		memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(*f->v));
		f->n--;
	}
	r->removed = true;
}

void fleet_apply_policy(struct fleet *f, const struct rw_policy *pol)
{
	for (size_t i = 0; i < f->n; i++)
		apply_settings(f->v[i], pol);
	fleet_touch_all(f); /* probation, maintenance caps, intervals may move */
	f->minimums_dirty = true;
}

/*
 * Writes this vantage's own changes (STORE_REC_VSTATE), then has each judged
 * for the combined verdict (fleet_quorum.c): with one vantage, each own
 * change is a combined change, logged "state change". Own changes are
 * logged apart only where they can differ from the combined ones.
 */
static void emit_changes(struct fleet *f, struct runner *r, const struct runstate_change *c, int n,
                         const char *cause)
{
	for (int i = 0; i < n; i++) {
		struct store_rec rec = {.kind = STORE_REC_VSTATE};
		struct logline l;

		rec.u.change.runner_id = r->id;
		rec.u.change.start_ms = c[i].at_ms;
		rec.u.change.state = (uint8_t)c[i].to;
		if (c[i].to == RW_STATE_DOWN) {
			/* Only a failed result confirms DOWN: it is the last one. */
			rec.u.change.errclass = r->last_class;
			rec.u.change.http_status = (int16_t)r->last_http;
		}
		writer_push(f->writer, &rec);
		fleet_combine(f, r, c[i].to, c[i].at_ms, c[i].at_ms, 0, cause);
		if ((!f->combining || f->n_vantages > 0) &&
		    log_begin(&l, RW_LOG_INFO, "vantage state change")) {
			log_int(&l, "runner_id", r->id);
			log_str(&l, "runner", r->name);
			log_str(&l, "from", rw_state_name(c[i].from));
			log_str(&l, "to", rw_state_name(c[i].to));
			log_int(&l, "at_ms", c[i].at_ms);
			log_str(&l, "cause", cause);
			log_end(&l);
		}
	}
}

void fleet_record_result(struct fleet *f, struct runner *r, const struct probe_result *res,
                         enum fleet_apply how)
{
	struct store_rec rec = {.kind = STORE_REC_SAMPLE};
	struct runstate_change c[RUNSTATE_MAX_CHANGES];
	uint64_t blips = r->rs.blips;
	uint8_t prev_class = r->last_class;
	int n;

	rec.u.sample.runner_id = r->id;
	rec.u.sample.ts_ms = res->t_ms;
	rec.u.sample.errclass = (uint8_t)res->cls;
	rec.u.sample.http_status = (int16_t)res->http_status;
	rec.u.sample.latency_us = res->latency_us;
	writer_push(f->writer, &rec);
	fleet_touch(f, r); /* its staleness deadline, maybe its reason */

	r->last_probe_ms = res->t_ms;
	r->last_class = (uint8_t)res->cls;
	r->last_http = (uint16_t)res->http_status;
	r->last_latency_us = res->latency_us;
	if (res->latency_us >= 0) {
		r->lat[r->lat_next] = res->latency_us;
		r->lat_next = (uint8_t)((r->lat_next + 1) % RUNNER_LAT_N);
		if (r->n_lat < RUNNER_LAT_N)
			r->n_lat++;
	}
	r->busy = res->busy;
	f->m->probes[res->cls]++;
	if (res->latency_us >= 0)
		histogram_observe(&f->m->probe_latency, res->latency_us / 1e6);

	if (how == FLEET_APPLY_SAMPLE && res->cls == RW_ERRCLASS_REFUSED_BY_GUARD) {
		/* The address guard refused the address the name resolved to at
		 * connect time: the monitor refused to look, which says nothing
		 * about the runner. Unknown from the sample on (as for the
		 * monitor's blindness: its runs are dropped, so no failure before
		 * it joins one after), never down: no flag, no incident. */
		struct logline l;
		n = runstate_blind(&r->rs, &r->params, res->t_ms, c);
		emit_changes(f, r, c, n, rw_errclass_name(res->cls));
		/* Once per run of refusals, whether or not the state changed
		 * (a runner unknown since its start has no change to log). */
		if (prev_class != RW_ERRCLASS_REFUSED_BY_GUARD &&
		    log_begin(&l, RW_LOG_WARN,
		              "probe refused by the address guard: the runner is unknown")) {
			log_int(&l, "runner_id", r->id);
			log_str(&l, "runner", r->name);
			log_str(&l, "cause", rw_errclass_name(res->cls));
			log_str(&l, "detail", res->detail);
			log_end(&l);
		}
	} else if (how == FLEET_APPLY_SAMPLE) {
		n = runstate_sample(&r->rs, &r->params, res->t_ms, res->cls == RW_ERRCLASS_NONE, c);
		emit_changes(f, r, c, n,
		             res->cls == RW_ERRCLASS_NONE ? "probe" : rw_errclass_name(res->cls));
	} else if (how == FLEET_APPLY_BLIND) {
		n = runstate_blind(&r->rs, &r->params, res->t_ms, c);
		emit_changes(f, r, c, n, "blind");
	} else {
		n = 0;
	}
	if (n > 0)
		fleet_evaluate(f, r, res->t_ms);
	if (r->rs.blips > blips) {
		struct logline l;
		f->m->blips++;
		if (log_begin(&l, RW_LOG_INFO, "blip")) {
			log_int(&l, "runner_id", r->id);
			log_str(&l, "runner", r->name);
			log_end(&l);
		}
	}
	if (res->cls != RW_ERRCLASS_NONE) {
		struct logline l;
		if (log_begin(&l, RW_LOG_DEBUG, "probe failed")) {
			log_int(&l, "runner_id", r->id);
			log_str(&l, "class", rw_errclass_name(res->cls));
			log_str(&l, "detail", res->detail);
			log_end(&l);
		}
	}
}

/*
 * A push runner that sent no heartbeat for interval + grace is down from
 * the last heartbeat + interval (from the start of its current interval when
 * it never sent one since the daemon started, or since the monitor's last
 * gap: f->seeing_since_ms). Its silence is the evidence,
 * so staleness (unknown after 2 x interval) does not apply to it: the miss is
 * recorded as a failed sample of class "timeout" at that time.
 */
static void push_check(struct fleet *f, struct runner *r, int64_t now_ms)
{
	int64_t base = r->rs.last_sample_ms >= 0 ? r->rs.last_sample_ms : r->rs.since_ms;

	if (base < f->seeing_since_ms)
		base = f->seeing_since_ms;
	struct probe_result res = {.cls = RW_ERRCLASS_TIMEOUT, .latency_us = -1};

	if (r->status != STORE_RUNNER_APPROVED || r->rs.state == RW_STATE_DOWN ||
	    now_ms <= base + r->params.interval_ms + r->grace_ms)
		return;
	res.t_ms = base + r->params.interval_ms;
	snprintf(res.detail, sizeof(res.detail), "no heartbeat for %" PRId64 " s",
	         (now_ms - base) / 1000);
	fleet_record_result(f, r, &res, FLEET_APPLY_SAMPLE);
}

void fleet_advance(struct fleet *f, int64_t now_ms)
{
	if (now_ms < f->last_judged_ms)
		fleet_touch_all(f); /* times went back: wake times may be too late */
	f->last_judged_ms = now_ms;
	fleet_wake_collect(f, now_ms);
	/* The list may grow meanwhile (a push runner's miss touches it again:
	 * a no-op, it is listed); by index, as it may move. */
	for (size_t i = 0; i < f->n_due; i++) {
		struct runstate_change c[1];
		struct runner *r = f->due[i];
		int n;
		if (r->push) {
			push_check(f, r, now_ms);
			continue;
		}
		n = runstate_advance(&r->rs, &r->params, now_ms, c);
		emit_changes(f, r, c, n, "stale");
	}
}

void fleet_heartbeat(struct fleet *f, struct runner *r, int64_t now_ms, bool busy,
                     const char *version, long jobs_running)
{
	struct probe_result res = {.t_ms = now_ms, .cls = RW_ERRCLASS_NONE, .latency_us = -1};

	/* Heartbeats arrive in order on one loop; a clock step back must not
	 * put a sample before the runner's current interval. */
	if (res.t_ms < r->rs.since_ms)
		res.t_ms = r->rs.since_ms;
	if (r->rs.last_sample_ms >= 0 && res.t_ms <= r->rs.last_sample_ms)
		res.t_ms = r->rs.last_sample_ms + 1;
	res.busy = busy;
	r->last_heartbeat_ms = res.t_ms;
	/* Kept only when it changes: most runners never send one, and a
	 * runner's version is the same heartbeat after heartbeat. Without
	 * memory for a new one, the old one stays. */
	if (version && (!r->version || strcmp(r->version, version) != 0)) {
		char *v = strdup(version);
		if (v) {
			free(r->version);
			r->version = v;
		}
	}
	if (jobs_running >= 0)
		r->jobs_running = jobs_running;
	fleet_record_result(f, r, &res, FLEET_APPLY_SAMPLE);
}

void fleet_blind(struct fleet *f, int64_t from_ms)
{
	for (size_t i = 0; i < f->n; i++) {
		struct runstate_change c[1];
		struct runner *r = f->v[i];
		int n = runstate_blind(&r->rs, &r->params, from_ms, c);
		emit_changes(f, r, c, n, "blind");
	}
	fleet_touch_all(f);
}

void fleet_blind_runner(struct fleet *f, struct runner *r, int64_t from_ms, const char *cause)
{
	struct runstate_change c[1];
	int n = runstate_blind(&r->rs, &r->params, from_ms, c);
	emit_changes(f, r, c, n, cause);
	fleet_touch(f, r);
}
