/* SPDX-License-Identifier: MIT */
/*
 * monthly_pools.c — the monthly report's GitHub pools; see monthly_pools.h.
 *
 * The pools are picked from the report's runners (already in name order, so
 * the pools are too); members are counted by their pool's id through a
 * small sorted index. The period's jobs are read once and handed to
 * pickup_stats() pool by pool, after keeping those of the pool's source.
 */
#include "reports/monthly_pools.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "policy/pickup.h"
#include "reports/fmt.h"

/* A pool's runner id and its index in monthly.pools. */
struct pool_index {
	int64_t id;
	size_t pool;
};

static int cmp_pool_index(const void *a, const void *b)
{
	const struct pool_index *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Counts each pool's members among the report's runners. */
static int count_members(struct monthly *m)
{
	struct pool_index *ix = calloc(m->n_pools, sizeof(*ix));

	if (!ix)
		return RW_ENOMEM;
	for (size_t i = 0; i < m->n_pools; i++)
		ix[i] = (struct pool_index){m->runners[m->pools[i].runner].sr->id, i};
	qsort(ix, m->n_pools, sizeof(*ix), cmp_pool_index);
	for (size_t i = 0; i < m->n_runners; i++) {
		const struct store_runner *sr = m->runners[i].sr;
		struct pool_index key = {.id = sr->pool_id}, *p;
		if (!store_runner_is_member(sr))
			continue;
		p = bsearch(&key, ix, m->n_pools, sizeof(*ix), cmp_pool_index);
		if (p)
			m->pools[p->pool].members++;
	}
	free(ix);
	return 0;
}

/* @p s lower-cased (ASCII), malloc'd; NULL when out of memory. */
static char *lower_dup(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		d[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	return d;
}

/* pickup_stats() of pool @p p over the jobs @p all (@p n of them) whose
 * repository is of its source; @p v is scratch room for @p n jobs. */
static int pool_stats(struct monthly *m, struct monthly_pool *p, const struct pickup_job *all,
                      const struct store_github_job *jobs, size_t n, struct pickup_job *v)
{
	const struct monthly_runner *r = &m->runners[p->runner];
	const struct store_runner *sr = r->sr;
	char **labels = calloc(sr->n_labels + 1, sizeof(*labels));
	size_t k = 0;
	int rc = 0;

	if (!labels)
		return RW_ENOMEM;
	for (size_t i = 0; rc == 0 && i < sr->n_labels; i++)
		if (!(labels[i] = lower_dup(sr->labels[i])))
			rc = RW_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (pickup_source_matches(jobs[i].repo, sr->github))
			v[k++] = all[i];
	if (rc == 0 &&
	    pickup_stats(v, k, (const char *const *)labels, sr->n_labels,
	                 (int64_t)sr->pickup_within_s * 1000, r->from_ms, r->to_ms, &p->jobs) < 0)
		rc = RW_ENOMEM;
	if (rc == 0 && p->jobs.queued > 0)
		p->started_share_ppm = fmt_ppm(p->jobs.started_in_time, p->jobs.queued);
	for (size_t i = 0; i < sr->n_labels; i++)
		free(labels[i]);
	free(labels);
	return rc;
}

/* The pickup figures of every pool that has a deadline. */
static int pickup_figures(struct store *st, struct monthly *m)
{
	struct store_github_job *jobs = NULL;
	struct pickup_job *all = NULL, *v = NULL;
	size_t n = 0;
	int rc;

	rc = store_github_jobs(st, m->month_start_ms, m->period_end_ms, &jobs, &n);
	if (rc < 0)
		return rc;
	all = calloc(n + 1, sizeof(*all));
	v = calloc(n + 1, sizeof(*v));
	if (!all || !v)
		rc = RW_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++)
		all[i] = (struct pickup_job){.id = jobs[i].id,
		                             .labels = (const char *const *)jobs[i].labels,
		                             .n_labels = jobs[i].n_labels,
		                             .queued_ms = jobs[i].queued_ms,
		                             .started_ms = jobs[i].started_ms,
		                             .completed_ms = jobs[i].completed_ms};
	for (size_t i = 0; rc == 0 && i < m->n_pools; i++)
		if (m->pools[i].has_pickup)
			rc = pool_stats(m, &m->pools[i], all, jobs, n, v);
	free(all);
	free(v);
	store_github_jobs_free(jobs, n);
	return rc;
}

int monthly_pools_build(struct store *st, struct monthly *m)
{
	bool any_pickup = false;
	int rc;

	for (size_t i = 0; i < m->n_runners; i++)
		m->n_pools += store_runner_is_pool(m->runners[i].sr);
	if (m->n_pools == 0)
		return 0;
	m->pools = calloc(m->n_pools, sizeof(*m->pools));
	if (!m->pools)
		return RW_ENOMEM;
	for (size_t i = 0, k = 0; i < m->n_runners; i++) {
		struct monthly_pool *p;
		if (!store_runner_is_pool(m->runners[i].sr))
			continue;
		p = &m->pools[k++];
		p->runner = i;
		p->has_pickup = m->runners[i].sr->pickup_within_s > 0;
		p->jobs.wait_p50_ms = p->jobs.wait_p95_ms = p->jobs.wait_max_ms = -1;
		any_pickup |= p->has_pickup;
	}
	rc = count_members(m);
	if (rc == 0 && any_pickup)
		rc = pickup_figures(st, m);
	return rc;
}
