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

	/* Loop only. */
	bool held;
	bool closing;
	uint64_t gained, lost;

	/* Under mu. */
	bool t_held;
	bool stop;
	bool exited;
	char t_err[256]; /* why the session failed, for the loop's log */
};

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

		uv_mutex_lock(&l->mu);
		if (!l->stop)
			uv_cond_timedwait(&l->cond, &l->mu, (uint64_t)LEADER_RETRY_MS * 1000000);
		if (l->stop) {
			uv_mutex_unlock(&l->mu);
			break;
		}
		uv_mutex_unlock(&l->mu);
		now = step(l->conninfo, &c, held, err, sizeof(err));
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

	uv_mutex_lock(&l->mu);
	held = l->t_held;
	exited = l->exited;
	snprintf(err, sizeof(err), "%s", l->t_err);
	uv_mutex_unlock(&l->mu);
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
	}
	free(l);
}
