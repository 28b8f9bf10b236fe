/* SPDX-License-Identifier: MIT */
/*
 * notify_sink.c — what every kind of sink reads of the outbox: the events
 * after its cursor (notify_impl.h).
 */
#include <stdlib.h>

#include "monitor/notify/notify_impl.h"

int notify_next_events(struct sink *s, const char *const *kinds, size_t limit,
                       struct store_event **v, size_t *n)
{
	int64_t max_id = 0;
	int rc;

	*v = NULL;
	*n = 0;
	/* The highest id first: every event up to it is committed, so when
	 * none after the cursor is of these kinds, the cursor can skip to it
	 * without missing one. A read that fails is tried again at the next
	 * tick, as it is no event's fault. */
	rc = store_event_max_id(s->st, &max_id);
	if (rc < 0 || max_id <= s->cursor)
		return 0;
	*s->max_id = max_id;
	rc = store_events_after(s->st, s->cursor, limit, kinds, v, n);
	if (rc < 0)
		return 0;
	if (*n == 0) {
		s->upto = max_id;
		return NOTIFY_SKIP;
	}
	while (*n > 0 && (*v)[*n - 1].id > max_id) {
		/* Committed after the max was read: at the next tick. */
		(*n)--;
		free((*v)[*n].runner_name);
		free((*v)[*n].data);
	}
	if (*n == 0) {
		free(*v);
		*v = NULL;
	}
	return 0;
}
