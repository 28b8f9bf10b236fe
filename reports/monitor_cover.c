/* SPDX-License-Identifier: MIT */
/*
 * monitor_cover.c — the monitor's coverage of a period from its runs and its
 * blind periods; see monitor_cover.h. Span lists here are small (a few runs
 * and blind periods a month), so plain arrays and insertion into them do.
 */
#include "reports/monitor_cover.h"

#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"
#include "reports/fmt.h"

struct span {
	int64_t a, b;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int spans_push(struct spans *s, int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct span *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return RW_ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n].a = a;
	s->v[s->n].b = b;
	s->n++;
	return 0;
}

static int cmp_span(const void *x, const void *y)
{
	const struct span *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return (p->b > q->b) - (p->b < q->b);
}

/* Sorts and merges overlapping or touching spans, in place. */
static void spans_merge(struct spans *s)
{
	size_t k = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_span);
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].a <= s->v[k].b) {
			if (s->v[i].b > s->v[k].b)
				s->v[k].b = s->v[i].b;
		} else {
			s->v[++k] = s->v[i];
		}
	}
	s->n = k + 1;
}

/* @p out = [from, to) minus the merged spans @p m. */
static int spans_complement(const struct spans *m, int64_t from, int64_t to, struct spans *out)
{
	int64_t p = from;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < m->n; i++) {
		rc = spans_push(out, p, m->v[i].a < to ? m->v[i].a : to);
		if (m->v[i].b > p)
			p = m->v[i].b;
	}
	if (rc == 0)
		rc = spans_push(out, p, to);
	return rc;
}

/* @p out = merged @p x minus merged @p y. */
static int spans_subtract(const struct spans *x, const struct spans *y, struct spans *out)
{
	size_t j = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < x->n; i++) {
		int64_t a = x->v[i].a, b = x->v[i].b;
		while (j < y->n && y->v[j].b <= a)
			j++;
		for (size_t k = j; rc == 0 && k < y->n && y->v[k].a < b; k++) {
			rc = spans_push(out, a, y->v[k].a);
			if (y->v[k].b > a)
				a = y->v[k].b;
		}
		if (rc == 0)
			rc = spans_push(out, a, b);
	}
	return rc;
}

static int64_t spans_total(const struct spans *s)
{
	int64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->v[i].b - s->v[i].a;
	return t;
}

static int cmp_blind(const void *x, const void *y)
{
	const struct monitor_blind *p = x, *q = y;
	int c;

	if (p->start_ms != q->start_ms)
		return p->start_ms < q->start_ms ? -1 : 1;
	c = strcmp(p->cause, q->cause);
	if (c)
		return c;
	return (p->end_ms > q->end_ms) - (p->end_ms < q->end_ms);
}

static int64_t clip(int64_t t, int64_t lo, int64_t hi)
{
	return t < lo ? lo : t > hi ? hi : t;
}

/* Keeps the runs of @p vantage_id (-1: all) in place; returns how many. */
static size_t keep_runs(struct store_run *v, size_t n, int64_t vantage_id)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (vantage_id < 0 || v[i].vantage_id == vantage_id)
			v[k++] = v[i];
	return k;
}

static size_t keep_blind(struct store_blind *v, size_t n, int64_t vantage_id)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (vantage_id < 0 || v[i].vantage_id == vantage_id)
			v[k++] = v[i];
	return k;
}

int monitor_cover_compute(struct store *st, int64_t from_ms, int64_t to_ms,
                          struct monitor_cover *out)
{
	return monitor_cover_compute_vantage(st, -1, from_ms, to_ms, out);
}

int monitor_cover_compute_vantage(struct store *st, int64_t vantage_id, int64_t from_ms,
                                  int64_t to_ms, struct monitor_cover *out)
{
	struct store_run *runs = NULL;
	struct store_blind *bl = NULL;
	struct spans seen = {0}, gaps = {0}, stored = {0}, idle = {0};
	size_t n_runs = 0, n_bl = 0, k = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->from_ms = from_ms;
	out->to_ms = to_ms;
	/* Before the monitor's first run ever it was not installed: that is
	 * not blindness, and the period it could watch starts there. */
	rc = store_run_list(st, INT64_MIN / 2, to_ms, &runs, &n_runs);
	if (rc == 0)
		n_runs = keep_runs(runs, n_runs, vantage_id);
	if (rc == 0 && n_runs > 0 && runs[0].started_ms > from_ms)
		from_ms = runs[0].started_ms < to_ms ? runs[0].started_ms : to_ms;
	if (rc == 0 && n_runs == 0)
		from_ms = to_ms; /* never ran: nothing to judge the monitor on */
	out->since_ms = from_ms;
	free(runs);
	runs = NULL;
	n_runs = 0;
	if (rc == 0)
		rc = store_run_list(st, from_ms, to_ms, &runs, &n_runs);
	if (rc == 0)
		n_runs = keep_runs(runs, n_runs, vantage_id);
	if (rc == 0)
		rc = store_blind_list(st, from_ms, to_ms, &bl, &n_bl);
	if (rc == 0)
		n_bl = keep_blind(bl, n_bl, vantage_id);
	for (size_t i = 0; rc == 0 && i < n_runs; i++)
		rc = spans_push(&seen, clip(runs[i].started_ms, from_ms, to_ms),
		                clip(runs[i].last_tick_ms, from_ms, to_ms));
	/* GitHub unreadable is blindness on GitHub's pools only: listed with
	 * its cause, not taken from the monitor's own coverage. */
	for (size_t i = 0; rc == 0 && i < n_bl; i++)
		if (strcmp(bl[i].cause, "github_api") != 0)
			rc = spans_push(&stored, clip(bl[i].start_ms, from_ms, to_ms),
			                clip(bl[i].end_ms, from_ms, to_ms));
	spans_merge(&seen);
	spans_merge(&stored);
	if (rc == 0)
		rc = spans_complement(&seen, from_ms, to_ms, &gaps);
	if (rc == 0)
		rc = spans_subtract(&gaps, &stored, &idle);
	if (rc == 0 && n_bl + idle.n > 0) {
		out->blind = calloc(n_bl + idle.n, sizeof(*out->blind));
		if (!out->blind)
			rc = RW_ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < n_bl; i++) {
		struct monitor_blind *m = &out->blind[k];
		m->start_ms = clip(bl[i].start_ms, from_ms, to_ms);
		m->end_ms = clip(bl[i].end_ms, from_ms, to_ms);
		memcpy(m->cause, bl[i].cause, sizeof(m->cause));
		k += m->end_ms > m->start_ms;
	}
	for (size_t i = 0; rc == 0 && i < idle.n; i++) {
		struct monitor_blind *m = &out->blind[k++];
		m->start_ms = idle.v[i].a;
		m->end_ms = idle.v[i].b;
		memcpy(m->cause, "not_running", sizeof("not_running"));
	}
	if (rc == 0) {
		out->n_blind = k;
		if (k)
			qsort(out->blind, k, sizeof(*out->blind), cmp_blind);
		out->blind_ms = spans_total(&stored) + spans_total(&idle);
		out->coverage_ppm =
		        to_ms > from_ms ? fmt_ppm(to_ms - from_ms - out->blind_ms, to_ms - from_ms)
		                        : 0;
	}
	free(runs);
	free(bl);
	free(seen.v);
	free(gaps.v);
	free(stored.v);
	free(idle.v);
	if (rc < 0)
		monitor_cover_deinit(out);
	return rc;
}

void monitor_cover_deinit(struct monitor_cover *c)
{
	if (!c)
		return;
	free(c->blind);
	c->blind = NULL;
	c->n_blind = 0;
}
