/* SPDX-License-Identifier: MIT */
/* pickup.c — whether a pool picks jobs up in time; see pickup.h. */
#include "policy/pickup.h"

#include <stdlib.h>
#include <string.h>

/* ASCII case folding: GitHub's names are ASCII, and the locale must not
 * matter. */
static int fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether the first @p n bytes of @p a and @p b are equal without case. */
static bool same_prefix(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]) || !a[i])
			return false;
	return true;
}

bool pickup_source_matches(const char *repo, const char *source)
{
	size_t n;

	if (!repo || !source)
		return false;
	n = strlen(source);
	if (strchr(source, '/'))
		return strlen(repo) == n && same_prefix(repo, source, n);
	return n > 0 && same_prefix(repo, source, n) && repo[n] == '/';
}

bool pickup_matches(const struct pickup_job *j, const char *const *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < j->n_labels && strcmp(j->labels[k], labels[i]) != 0)
			k++;
		if (k == j->n_labels)
			return false;
	}
	return true;
}

/* Not started and not completed by @p t. */
static bool open_at(const struct pickup_job *j, int64_t t)
{
	return (j->started_ms == 0 || j->started_ms > t) &&
	       (j->completed_ms == 0 || j->completed_ms > t);
}

bool pickup_check(const struct pickup_job *v, size_t n, const char *const *labels, size_t n_labels,
                  int64_t within_ms, int64_t now_ms, int64_t *since_ms, int64_t *job_id)
{
	int64_t last_start = 0, best = INT64_MAX, best_id = 0;

	/* A job fails the pool when no matching job started after its
	 * deadline: with the latest matching start up to now, L, that is
	 * d <= now and L <= d. */
	for (size_t i = 0; i < n; i++)
		if (v[i].started_ms > 0 && v[i].started_ms <= now_ms &&
		    v[i].started_ms > last_start && pickup_matches(&v[i], labels, n_labels))
			last_start = v[i].started_ms;
	for (size_t i = 0; i < n; i++) {
		int64_t d = v[i].queued_ms + within_ms;
		if (v[i].queued_ms <= 0 || d > now_ms || last_start > d || d >= best ||
		    !open_at(&v[i], now_ms) || !pickup_matches(&v[i], labels, n_labels))
			continue;
		best = d;
		best_id = v[i].id;
	}
	if (best == INT64_MAX)
		return false;
	if (since_ms)
		*since_ms = best;
	if (job_id)
		*job_id = best_id;
	return true;
}

int64_t pickup_next_deadline(const struct pickup_job *v, size_t n, const char *const *labels,
                             size_t n_labels, int64_t within_ms, int64_t now_ms)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < n; i++) {
		int64_t d = v[i].queued_ms + within_ms;
		if (v[i].queued_ms > 0 && d > now_ms && d < next && open_at(&v[i], now_ms) &&
		    pickup_matches(&v[i], labels, n_labels))
			next = d;
	}
	return next;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of them at or below it. */
static int64_t rank(const int64_t *sorted, size_t n, unsigned q_percent)
{
	size_t k = (n * q_percent + 99) / 100;
	return sorted[k ? k - 1 : 0];
}

int pickup_stats(const struct pickup_job *v, size_t n, const char *const *labels, size_t n_labels,
                 int64_t within_ms, int64_t from_ms, int64_t to_ms, struct pickup_stats *out)
{
	int64_t *w = n ? malloc(n * sizeof(*w)) : NULL;
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	out->wait_p50_ms = out->wait_p95_ms = out->wait_max_ms = -1;
	if (n && !w)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct pickup_job *j = &v[i];
		int64_t end;
		if (j->queued_ms < from_ms || j->queued_ms >= to_ms || j->queued_ms <= 0 ||
		    !pickup_matches(j, labels, n_labels))
			continue;
		out->queued++;
		if (j->started_ms > 0 && j->started_ms - j->queued_ms <= within_ms)
			out->started_in_time++;
		end = j->started_ms > 0     ? j->started_ms
		      : j->completed_ms > 0 ? j->completed_ms
		                            : to_ms;
		if (end > to_ms && j->started_ms <= 0)
			end = to_ms;
		w[k++] = end > j->queued_ms ? end - j->queued_ms : 0;
	}
	out->waited = (uint32_t)k;
	if (k) {
		qsort(w, k, sizeof(*w), cmp_i64);
		out->wait_p50_ms = rank(w, k, 50);
		out->wait_p95_ms = rank(w, k, 95);
		out->wait_max_ms = w[k - 1];
	}
	free(w);
	return 0;
}
