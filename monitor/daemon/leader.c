/* SPDX-License-Identifier: MIT */
/*
 * leader.c — the advisory lock that makes one daemon the leader; see
 * leader.h for the protocol and why it runs on a thread.
 *
 * The thread owns the session (PGconn) alone; the loop and the thread share
 * only what is under mu: the thread's verdict (t_held), the stop request
 * and whether the thread is done. The loop's own copy (held) changes only
 * in async_cb(), which runs the change callback.
 */
#include "monitor/daemon/leader.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

struct leader {
	uv_loop_t *loop;
	char *conninfo; /* NULL on SQLite: always the leader, nothing runs */
	leader_change_cb change_cb;
	void *data;
	leader_closed_cb closed_cb;
	void *closed_data;
	uv_async_t async;
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cond;
	PGconn *first; /* the session of the first attempt, handed to the thread */
	leader_state_cb state_cb;
	void *state_data;

	/* Loop only. */
	bool held;
	bool closing;
	uint64_t gained, lost;

	/* Under mu. */
	bool t_held;
	bool stop;
	bool exited;
	char t_err[256]; /* why the session failed, for the loop's log */
	/* Notifications on STORE_PG_STATE_CHANNEL not yet handed to the loop,
	 * their payloads one after the other; bounded by LEADER_QUEUE_MAX. */
	char *q;
	size_t q_len, q_cap;
	uint64_t q_dropped;
};

/* Payload bytes waiting for the loop, at most: past it they are dropped
 * (counted), and the follower's view catches up at the next change. */
#define LEADER_QUEUE_MAX (4u << 20)

static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* One step on @p *c: connects when there is no session, then tries the lock
 * (a follower) or checks the session (a leader, whose lock lives as long as
 * the session). A failed session is closed: its lock is gone with it.
 * @return whether the lock is held after the step. */
static bool step(const char *conninfo, PGconn **c, bool held, char *err, size_t errlen)
{
	PGresult *r;
	bool ok, got;

	if (!*c) {
		*c = PQconnectdb(conninfo);
		if (PQstatus(*c) != CONNECTION_OK) {
			snprintf(err, errlen, "%s", PQerrorMessage(*c));
			PQfinish(*c);
			*c = NULL;
			return false;
		}
		PQsetNoticeProcessor(*c, no_notice, NULL);
		held = false; /* a new session holds nothing */
		r = PQexec(*c, "LISTEN " STORE_PG_STATE_CHANNEL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok) {
			snprintf(err, errlen, "%s", PQerrorMessage(*c));
			PQfinish(*c);
			*c = NULL;
			return false;
		}
	}
	r = PQexec(*c, held ? "SELECT true"
	                    : "SELECT pg_try_advisory_lock(" STR(LEADER_PG_LOCK_KEY) ")");
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	got = ok && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!ok) {
		snprintf(err, errlen, "%s", PQerrorMessage(*c));
		PQfinish(*c);
		*c = NULL;
		return false;
	}
	return got;
}

/* Moves the session's notifications into the loop's queue. Thread only. */
static void take_notifications(struct leader *l, PGconn *c)
{
	PGnotify *nf;
	bool any = false;

	if (!c)
		return;
	while ((nf = PQnotifies(c)) != NULL) {
		size_t n = strlen(nf->extra);
		uv_mutex_lock(&l->mu);
		if (l->q_len + n > LEADER_QUEUE_MAX) {
			l->q_dropped++;
		} else {
			if (l->q_len + n > l->q_cap) {
				size_t cap = l->q_cap ? l->q_cap : 4096;
				char *nq;
				while (cap < l->q_len + n)
					cap *= 2;
				nq = realloc(l->q, cap);
				if (nq) {
					l->q = nq;
					l->q_cap = cap;
				}
			}
			if (l->q_len + n <= l->q_cap) {
				memcpy(l->q + l->q_len, nf->extra, n);
				l->q_len += n;
				any = true;
			} else {
				l->q_dropped++;
			}
		}
		uv_mutex_unlock(&l->mu);
		PQfreemem(nf);
	}
	if (any)
		uv_async_send(&l->async);
}

/* Waits LEADER_RETRY_MS for the next step, taking the notifications that
 * arrive meanwhile (checked every 100 ms for a stop). Thread only.
 * @return whether to stop. */
static bool wait_and_listen(struct leader *l, PGconn **c)
{
	uint64_t end = uv_hrtime() + (uint64_t)LEADER_RETRY_MS * 1000000;

	for (;;) {
		uint64_t now = uv_hrtime();
		bool stop;
		uv_mutex_lock(&l->mu);
		if (!l->stop && !*c && now < end)
			uv_cond_timedwait(&l->cond, &l->mu, end - now);
		stop = l->stop;
		uv_mutex_unlock(&l->mu);
		if (stop)
			return true;
		if (!*c || now >= end)
			return false;
		{
			struct pollfd pfd = {.fd = PQsocket(*c), .events = POLLIN};
			uint64_t left_ms = (end - now) / 1000000 + 1;
			if (poll(&pfd, 1, left_ms > 100 ? 100 : (int)left_ms) > 0) {
				if (!PQconsumeInput(*c))
					return false; /* the next step finds it failed */
				take_notifications(l, *c);
			}
		}
	}
}

static void thread_main(void *arg)
{
	struct leader *l = arg;
	PGconn *c = l->first;
	bool held;

	uv_mutex_lock(&l->mu);
	held = l->t_held;
	uv_mutex_unlock(&l->mu);
	for (;;) {
		char err[256] = "";
		bool now;

		if (wait_and_listen(l, &c))
			break;
		now = step(l->conninfo, &c, held, err, sizeof(err));
		take_notifications(l, c);
		if (now != held) {
			held = now;
			uv_mutex_lock(&l->mu);
			l->t_held = held;
			snprintf(l->t_err, sizeof(l->t_err), "%s", err);
			uv_mutex_unlock(&l->mu);
			uv_async_send(&l->async);
		}
	}
	PQfinish(c); /* the session ends: the lock is freed at once */
	uv_mutex_lock(&l->mu);
	l->exited = true;
	uv_mutex_unlock(&l->mu);
	uv_async_send(&l->async);
}

static void async_closed_cb(uv_handle_t *h)
{
	struct leader *l = h->data;
	l->closed_cb(l, l->closed_data);
}

static void async_cb(uv_async_t *a)
{
	struct leader *l = a->data;
	bool held, exited;
	char err[256];

	char *q;
	size_t q_len;

	uv_mutex_lock(&l->mu);
	held = l->t_held;
	exited = l->exited;
	snprintf(err, sizeof(err), "%s", l->t_err);
	q = l->q;
	q_len = l->q_len;
	l->q = NULL;
	l->q_len = l->q_cap = 0;
	uv_mutex_unlock(&l->mu);
	if (q_len > 0 && !l->closing && !exited && l->state_cb)
		l->state_cb(l, q, q_len, l->state_data);
	free(q);
	if (exited) {
		uv_thread_join(&l->thread); /* it has returned: no wait */
		uv_close((uv_handle_t *)&l->async, async_closed_cb);
		return;
	}
	if (l->closing || held == l->held)
		return;
	l->held = held;
	if (held)
		l->gained++;
	else
		l->lost++;
	err[strcspn(err, "\r\n")] = '\0';
	log_msg(held ? RW_LOG_INFO : RW_LOG_WARN,
	        held ? "leadership gained: this daemon writes the combined records"
	             : "leadership lost: the lock's session failed; trying again every second",
	        held || !err[0] ? NULL : "error", held || !err[0] ? NULL : err);
	l->change_cb(l, held, l->data);
}

int leader_new(struct leader **out, uv_loop_t *loop, const char *db, leader_change_cb cb,
               void *data, char *err, size_t errlen)
{
	struct leader *l = calloc(1, sizeof(*l));
	char why[256] = "";

	*out = NULL;
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return RW_ENOMEM;
	}
	l->loop = loop;
	l->change_cb = cb;
	l->data = data;
	if (!store_path_is_postgres(db)) {
		l->held = true;
		l->gained = 1;
		*out = l;
		return 0;
	}
	l->conninfo = strdup(db);
	if (!l->conninfo) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return RW_ENOMEM;
	}
	l->held = step(l->conninfo, &l->first, false, why, sizeof(why));
	if (!l->first) {
		why[strcspn(why, "\r\n")] = '\0';
		snprintf(err, errlen, "the leader lock could not be tried: %s", why);
		free(l->conninfo);
		free(l);
		return RW_EIO;
	}
	l->t_held = l->held;
	l->gained = l->held ? 1 : 0;
	if (uv_mutex_init(&l->mu) < 0)
		goto fail_mu;
	if (uv_cond_init(&l->cond) < 0)
		goto fail_cond;
	if (uv_async_init(loop, &l->async, async_cb) < 0)
		goto fail_async;
	l->async.data = l;
	if (uv_thread_create(&l->thread, thread_main, l) < 0) {
		/* The handle exists now: it closes on the loop; nothing runs. */
		l->closing = true;
		uv_close((uv_handle_t *)&l->async, NULL);
		goto fail_async;
	}
	log_msg(RW_LOG_INFO,
	        l->held ? "leadership gained: this daemon writes the combined records"
	                : "follower: another daemon holds the leader lock; trying every second",
	        NULL, NULL);
	*out = l;
	return 0;
fail_async:
	uv_cond_destroy(&l->cond);
fail_cond:
	uv_mutex_destroy(&l->mu);
fail_mu:
	PQfinish(l->first);
	snprintf(err, errlen, "the leader lock's thread could not start");
	/* A closing async handle still points at l: leaked rather than freed
	 * under it (start-up fails and the process exits). */
	if (!l->closing) {
		free(l->conninfo);
		free(l);
	}
	return RW_ENOMEM;
}

void leader_on_state(struct leader *l, leader_state_cb cb, void *data)
{
	l->state_cb = cb;
	l->state_data = data;
}

bool leader_held(const struct leader *l)
{
	return l && l->held;
}

void leader_counts(const struct leader *l, uint64_t *gained, uint64_t *lost)
{
	*gained = l ? l->gained : 0;
	*lost = l ? l->lost : 0;
}

void leader_close(struct leader *l, leader_closed_cb cb, void *data)
{
	if (!l || !l->conninfo) {
		cb(l, data);
		return;
	}
	l->closing = true;
	l->closed_cb = cb;
	l->closed_data = data;
	uv_mutex_lock(&l->mu);
	l->stop = true;
	uv_cond_signal(&l->cond);
	uv_mutex_unlock(&l->mu);
	/* async_cb() joins the thread once it says it has exited. */
}

void leader_free(struct leader *l)
{
	if (!l)
		return;
	if (l->conninfo) {
		uv_cond_destroy(&l->cond);
		uv_mutex_destroy(&l->mu);
		free(l->conninfo);
		free(l->q);
	}
	free(l);
}
