/* SPDX-License-Identifier: MIT */
/*
 * quorum.c — combining vantage points' histories (quorum.h).
 *
 * One sweep over the instants where any vantage point's holding can change
 * (each interval's start before its until_ms, and each until_ms), sorted
 * and distinct; at each, every vantage point's cursor moves to its interval
 * in force and the counts decide the combined state (quorum_state()).
 * Vantage points are few (a handful), so the sweep is O(T log T + T * V)
 * for T instants and V vantage points, with no allocation but the instants
 * and the result.
 */
#include "policy/quorum.h"

#include <stdlib.h>

#include "policy/base/rw_error.h"

enum rw_state quorum_state(unsigned n_up, unsigned n_down, unsigned quorum)
{
	if (quorum > 0 && n_down >= quorum)
		return RW_STATE_DOWN;
	if (n_up > 0)
		return RW_STATE_UP;
	return RW_STATE_UNKNOWN;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int quorum_combine(const struct quorum_vantage *vs, size_t n_vs, unsigned quorum,
                   struct rw_interval **out, size_t *n_out)
{
	struct rw_interval *res = NULL;
	int64_t *t = NULL;
	size_t *cur = NULL, n_t = 0, total = 0, len = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	if (quorum == 0)
		return RW_EINVAL;
	for (size_t k = 0; k < n_vs; k++) {
		for (size_t i = 1; i < vs[k].n; i++)
			if (vs[k].v[i].start_ms <= vs[k].v[i - 1].start_ms)
				return RW_EINVAL;
		total += vs[k].n + 1;
	}
	if (total == 0)
		return 0;
	t = malloc(total * sizeof(*t));
	cur = calloc(n_vs, sizeof(*cur));
	if (!t || !cur) {
		rc = RW_ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < n_vs; k++) {
		for (size_t i = 0; i < vs[k].n && vs[k].v[i].start_ms < vs[k].until_ms; i++)
			t[n_t++] = vs[k].v[i].start_ms;
		/* A stop matters only after the vantage point held something. */
		if (vs[k].n > 0 && vs[k].until_ms != INT64_MAX &&
		    vs[k].until_ms > vs[k].v[0].start_ms)
			t[n_t++] = vs[k].until_ms;
	}
	if (n_t == 0)
		goto out;
	qsort(t, n_t, sizeof(*t), cmp_i64);
	res = malloc(n_t * sizeof(*res));
	if (!res) {
		rc = RW_ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < n_t; j++) {
		unsigned up = 0, down = 0;
		enum rw_state s;

		if (j > 0 && t[j] == t[j - 1])
			continue;
		for (size_t k = 0; k < n_vs; k++) {
			/* cur[k]: how many of k's intervals started by t[j]. */
			while (cur[k] < vs[k].n && vs[k].v[cur[k]].start_ms <= t[j])
				cur[k]++;
			if (cur[k] == 0 || t[j] >= vs[k].until_ms)
				continue;
			if (vs[k].v[cur[k] - 1].state == RW_STATE_UP)
				up++;
			else if (vs[k].v[cur[k] - 1].state == RW_STATE_DOWN)
				down++;
		}
		s = quorum_state(up, down, quorum);
		if (len > 0 && res[len - 1].state == s)
			continue;
		res[len].start_ms = t[j];
		res[len].state = s;
		len++;
	}
out:
	free(t);
	free(cur);
	if (rc < 0) {
		free(res);
		return rc;
	}
	*out = res;
	*n_out = len;
	return 0;
}
