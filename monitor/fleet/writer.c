/* SPDX-License-Identifier: MIT */
/*
 * writer.c — the writer thread (see writer.h for the contract).
 *
 * Two buffers: `queue` is filled by the loop under `mu`; the thread swaps it
 * with `batch` under `mu` and writes `batch` without holding the lock. A
 * failed `batch` stays where it is and the next swap appends the new queue
 * behind it, so order is kept. The thread is the only user of `st`.
 *
 * Between batches the thread also does the store's background work, a bounded
 * step at a time: the daily rollups of completed days (store_rollup.c), then,
 * when idle, the retention purge, which never deletes samples of a day that
 * is not rolled up yet.
 */
#include "monitor/fleet/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/clock.h"
#include "policy/base/rw_error.h"
#include "policy/calendar.h"

/* Raw samples older than the retention are deleted by the writer, a few
 * thousand rows per minute, so that the purge never holds the lock long. */
#define WRITER_PURGE_EVERY_MS 60000
#define WRITER_PURGE_ROWS     5000
#define WRITER_PURGE_HELD_MS  1000 /* again soon when rollups held the purge back */

/* Daily rollups (store_rollup.c): a completed day is rolled up in steps of
 * about WRITER_ROLLUP_SAMPLES samples (~10-20 ms each), one step at most
 * every WRITER_ROLLUP_PAUSE_MS between batches, so that a day of 10,000
 * runners (14.4 M samples) takes a couple of minutes of background work and
 * no batch waits long. With nothing to roll up, look again a minute later;
 * after a failed step, retry after WRITER_ROLLUP_RETRY_MS. */
#define WRITER_ROLLUP_SAMPLES  20000
#define WRITER_ROLLUP_PAUSE_MS 100
#define WRITER_ROLLUP_IDLE_MS  60000
#define WRITER_ROLLUP_RETRY_MS 5000

struct recvec {
	struct store_rec *v;
	size_t len, cap;
};

struct writer {
	uv_loop_t *loop;
	uv_async_t async;  /* thread → loop: a status to report */
	bool follower;     /* loop only: writer_set_combined(w, false) */
	uint64_t withheld; /* loop only: records a follower did not write */
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cond;
	struct store *st;

	/* Under mu. */
	struct recvec queue;
	struct writer_job *jobs, **jobs_tail; /* queued by writer_call() */
	struct writer_job *done;              /* run: their callbacks are due */
	int joined;                           /* the thread is gone */
	int stopping;
	int final_rc;
	struct writer_stats stats;
	int64_t vantage_id; /* writer_set_vantage(); the thread applies it */
	int vantage_set;
	int pending_status; /* a status not yet reported to the loop */
	int status_rc;
	char status_msg[256];

	/* Thread only. */
	struct recvec batch;
	struct writer_job *retry; /* jobs that found the database locked */
	int64_t retention_ms;
	uint64_t next_purge;   /* uv_hrtime() in ms */
	uint64_t next_rollup;  /* uv_hrtime() in ms */
	int64_t rollup_day;    /* the day being rolled up; -1: none */
	int64_t rollup_cursor; /* the last runner of rollup_day done */

	writer_status_cb status_cb;
	writer_closed_cb closed_cb;
	void *data;
	void *closed_data;
};

static int vec_reserve(struct recvec *v, size_t extra)
{
	size_t need = v->len + extra, ncap;
	struct store_rec *nv;

	if (need <= v->cap)
		return 0;
	ncap = v->cap ? v->cap : 1024;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(v->v, ncap * sizeof(*nv));
	if (!nv)
		return RW_ENOMEM;
	v->v = nv;
	v->cap = ncap;
	return 0;
}

void writer_push(struct writer *w, const struct store_rec *rec)
{
	struct store_rec hb;

	if (!w) { /* a fleet without storage (tests): nothing is kept */
		struct store_rec lost = *rec;
		store_rec_release(&lost);
		return;
	}
	if (w->follower && rec->kind == STORE_REC_TICK) {
		/* Its run's tick and heartbeat, not the leader's tick (writer.h). */
		hb = *rec;
		hb.u.tick.follower = true;
		rec = &hb;
	} else if (w->follower && rec->kind != STORE_REC_SAMPLE && rec->kind != STORE_REC_VSTATE) {
		/* The leader writes the combined records (writer.h). */
		struct store_rec withheld = *rec;
		store_rec_release(&withheld);
		w->withheld++;
		return;
	}
	uv_mutex_lock(&w->mu);
	if (rec->kind == STORE_REC_SAMPLE && w->queue.len >= WRITER_MAX_QUEUED) {
		w->stats.dropped++;
	} else if (vec_reserve(&w->queue, 1) < 0) {
		struct store_rec lost = *rec;
		store_rec_release(&lost); /* the record owned it: see writer.h */
		w->stats.dropped++;
	} else {
		w->queue.v[w->queue.len++] = *rec;
		if (w->queue.len == WRITER_BATCH_ROWS)
			uv_cond_signal(&w->cond);
	}
	w->stats.queued = w->queue.len;
	uv_mutex_unlock(&w->mu);
}

void writer_set_vantage(struct writer *w, int64_t vantage_id)
{
	if (!w)
		return;
	uv_mutex_lock(&w->mu);
	w->vantage_id = vantage_id;
	w->vantage_set = 1;
	uv_mutex_unlock(&w->mu);
}

void writer_get_stats(struct writer *w, struct writer_stats *out)
{
	uv_mutex_lock(&w->mu);
	*out = w->stats;
	out->queued = w->queue.len + w->batch.len;
	uv_mutex_unlock(&w->mu);
	out->withheld = w->withheld;
}

void writer_set_combined(struct writer *w, bool on)
{
	if (w)
		w->follower = !on;
}

/* Moves the loop's queue behind whatever the thread still holds. Under mu. */
static void take_queue(struct writer *w)
{
	if (w->batch.len == 0) {
		struct recvec t = w->batch;
		w->batch = w->queue;
		w->queue = t;
		w->queue.len = 0;
		return;
	}
	if (vec_reserve(&w->batch, w->queue.len) < 0)
		return; /* retry the old batch alone; the queue waits */
	memcpy(w->batch.v + w->batch.len, w->queue.v, w->queue.len * sizeof(*w->queue.v));
	w->batch.len += w->queue.len;
	w->queue.len = 0;
}

static void report(struct writer *w, int rc, const char *msg)
{
	uv_mutex_lock(&w->mu);
	w->pending_status = 1;
	w->status_rc = rc;
	snprintf(w->status_msg, sizeof(w->status_msg), "%s", msg);
	uv_mutex_unlock(&w->mu);
	uv_async_send(&w->async);
}

static void purge(struct writer *w)
{
	uint64_t now = uv_hrtime() / 1000000;
	int64_t before = clock_wall_ms() - w->retention_ms, day;
	int deleted = 0, rc;

	if (w->retention_ms <= 0 || now < w->next_purge)
		return;
	w->next_purge = now + WRITER_PURGE_EVERY_MS;
	/* Never delete samples that are not rolled up yet. */
	rc = store_rollup_frontier(w->st, &day);
	if (rc < 0 && rc != RW_ENOENT)
		return;
	if (rc == 0 && day * CALENDAR_MS_PER_DAY < before) {
		before = day * CALENDAR_MS_PER_DAY;
		/* Held back: look again once the rollups have moved on. */
		w->next_purge = now + WRITER_PURGE_HELD_MS;
	}
	if (store_purge_samples(w->st, before, WRITER_PURGE_ROWS, &deleted) == 0 &&
	    deleted == WRITER_PURGE_ROWS)
		w->next_purge = now; /* more to do: again at the next idle moment */
}

/* One step of the daily rollups, when one is due (see WRITER_ROLLUP_*). */
static void rollup(struct writer *w)
{
	uint64_t now = uv_hrtime() / 1000000;
	bool done = false;
	int rc;

	if (now < w->next_rollup)
		return;
	if (w->rollup_day < 0) {
		rc = store_rollup_next_day(w->st, clock_wall_ms(), &w->rollup_day);
		if (rc < 0) {
			w->rollup_day = -1;
			w->next_rollup = now + (rc == RW_ENOENT ? WRITER_ROLLUP_IDLE_MS
			                                        : WRITER_ROLLUP_RETRY_MS);
			return;
		}
		w->rollup_cursor = 0;
	}
	rc = store_rollup_step(w->st, w->rollup_day, &w->rollup_cursor, WRITER_ROLLUP_SAMPLES,
	                       &done);
	if (rc < 0) {
		w->next_rollup = now + WRITER_ROLLUP_RETRY_MS;
		return;
	}
	if (done)
		w->rollup_day = -1; /* the next day, if any, right away */
	w->next_rollup = done ? now : now + WRITER_ROLLUP_PAUSE_MS;
}

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

void writer_call(struct writer *w, struct writer_job *job, uint32_t wait_ms)
{
	int joined;

	job->deadline_ms = now_ms() + wait_ms;
	job->rc = RW_ECANCELED;
	job->next = NULL;
	uv_mutex_lock(&w->mu);
	joined = w->joined;
	if (!joined) {
		*w->jobs_tail = job;
		w->jobs_tail = &job->next;
		uv_cond_signal(&w->cond);
	}
	uv_mutex_unlock(&w->mu);
	if (joined)
		job->done(job, RW_ECANCELED); /* the thread is gone: nothing runs it */
}

/*
 * Runs the jobs taken from the queue and those waiting for a lock, oldest
 * first. A job that finds the database locked waits for the next round (the
 * others would find it locked too); a job past its deadline, or any job
 * when @p last, is done with what it got. Done jobs go to the loop.
 */
static void run_jobs(struct writer *w, struct writer_job *fresh, bool last)
{
	struct writer_job *todo = w->retry, **tail = &todo, *done = NULL, **dtail = &done;
	bool locked = false;

	while (*tail)
		tail = &(*tail)->next;
	*tail = fresh;
	w->retry = NULL;
	tail = &w->retry;
	while (todo) {
		struct writer_job *j = todo;
		todo = j->next;
		j->next = NULL;
		if (!locked) {
			j->rc = j->fn(w->st, j);
			locked = j->rc == RW_EBUSY;
		}
		if (j->rc == RW_EBUSY && !last && now_ms() < j->deadline_ms) {
			*tail = j;
			tail = &j->next;
		} else {
			*dtail = j;
			dtail = &j->next;
		}
	}
	if (!done)
		return;
	uv_mutex_lock(&w->mu);
	for (tail = &w->done; *tail; tail = &(*tail)->next)
		;
	*tail = done; /* behind earlier rounds: callbacks run in order */
	uv_mutex_unlock(&w->mu);
	uv_async_send(&w->async);
}

static void writer_thread(void *arg)
{
	struct writer *w = arg;
	int failing = 0, reported = 0;
	uint64_t backoff_ms = WRITER_BATCH_MS, busy_since = 0;

	for (;;) {
		struct writer_job *fresh;
		uint64_t t0, dt;
		int rc, stop;

		uv_mutex_lock(&w->mu);
		if (!w->stopping && w->queue.len < WRITER_BATCH_ROWS && !w->jobs)
			uv_cond_timedwait(&w->cond, &w->mu,
			                  (failing || w->retry ? backoff_ms : WRITER_BATCH_MS) *
			                          1000000ULL);
		if (w->vantage_set) {
			/* Before the queue it came ahead of: writer_set_vantage(). */
			store_set_vantage(w->st, w->vantage_id);
			w->vantage_set = 0;
		}
		take_queue(w);
		fresh = w->jobs;
		w->jobs = NULL;
		w->jobs_tail = &w->jobs;
		stop = w->stopping;
		uv_mutex_unlock(&w->mu);

		/* The API's writes first: someone waits for each answer. */
		if (fresh || w->retry)
			run_jobs(w, fresh, stop);
		if (w->batch.len == 0) {
			if (stop)
				break;
			rollup(w);
			purge(w);
			continue;
		}
		t0 = uv_hrtime();
		rc = store_write_batch(w->st, w->batch.v, w->batch.len);
		dt = (uv_hrtime() - t0) / 1000;

		uv_mutex_lock(&w->mu);
		w->final_rc = rc;
		if (rc == 0) {
			for (size_t i = 0; i < w->batch.len; i++)
				store_rec_release(&w->batch.v[i]);
			w->stats.rows_written += w->batch.len;
			w->stats.batches++;
			w->stats.last_batch_us = dt;
			if (dt > w->stats.max_batch_us)
				w->stats.max_batch_us = dt;
			w->batch.len = 0;
		} else {
			w->stats.failures++;
		}
		uv_mutex_unlock(&w->mu);

		if (rc < 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "%s", store_errmsg(w->st));
			if (rc != RW_EBUSY)
				busy_since = 0;
			else if (!busy_since)
				busy_since = now_ms();
			/* Locked by another process: the records wait, and it is
			 * a storage failure only if it lasts. */
			if (!reported &&
			    (rc != RW_EBUSY || now_ms() - busy_since >= WRITER_BUSY_FAIL_MS)) {
				report(w, rc, msg);
				reported = 1;
			}
			failing = 1;
			backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
			if (stop)
				break; /* shutting down: give up after one more try */
		} else if (failing) {
			failing = 0;
			busy_since = 0;
			backoff_ms = WRITER_BATCH_MS;
			/* What piled up in the WAL while commits failed goes back
			 * to the database now, and the WAL file shrinks to
			 * journal_size_limit, so that a disk that just got room
			 * back is not filled again by the log. */
			if (store_checkpoint(w->st) < 0)
				fprintf(stderr,
				        "runwarden: writer: checkpoint after recovery: %s\n",
				        store_errmsg(w->st));
			if (reported)
				report(w, 0, "writes succeed again");
			reported = 0;
		}
		if (!failing && !stop)
			rollup(w); /* a busy writer is rarely idle: between batches too */
	}
}

/* Runs the callbacks of the jobs done, oldest first. On the loop thread. */
static void finish_jobs(struct writer *w)
{
	struct writer_job *done;

	uv_mutex_lock(&w->mu);
	done = w->done;
	w->done = NULL;
	uv_mutex_unlock(&w->mu);
	while (done) {
		struct writer_job *j = done;
		done = j->next;
		j->done(j, j->rc);
	}
}

static void async_cb(uv_async_t *h)
{
	struct writer *w = h->data;
	int pending, rc;
	char msg[256];

	uv_mutex_lock(&w->mu);
	pending = w->pending_status;
	rc = w->status_rc;
	memcpy(msg, w->status_msg, sizeof(msg));
	w->pending_status = 0;
	uv_mutex_unlock(&w->mu);
	if (pending && w->status_cb)
		w->status_cb(w, rc, msg, w->data);
	finish_jobs(w);
}

int writer_new(struct writer **out, uv_loop_t *loop, const char *db_path, int64_t retention_ms,
               writer_status_cb status_cb, void *data, char *err, size_t errlen)
{
	struct writer *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "writer: out of memory");
		return RW_ENOMEM;
	}
	w->loop = loop;
	w->jobs_tail = &w->jobs;
	w->retention_ms = retention_ms;
	w->rollup_day = -1;
	w->status_cb = status_cb;
	w->data = data;
	rc = store_open(&w->st, db_path, STORE_CREATE | STORE_SMALL_CACHE, err, errlen);
	if (rc < 0) {
		free(w);
		return rc;
	}
	if (uv_mutex_init(&w->mu) != 0 || uv_cond_init(&w->cond) != 0) {
		store_close(w->st);
		free(w);
		snprintf(err, errlen, "writer: cannot create a mutex");
		return RW_ENOMEM;
	}
	uv_async_init(loop, &w->async, async_cb);
	w->async.data = w;
	if (uv_thread_create(&w->thread, writer_thread, w) != 0) {
		snprintf(err, errlen, "writer: cannot start its thread");
		/* Not started: the handle must still be closed by the caller's
		 * loop; keep it simple and fail start-up (the daemon exits). */
		uv_close((uv_handle_t *)&w->async, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		uv_cond_destroy(&w->cond);
		uv_mutex_destroy(&w->mu);
		store_close(w->st);
		free(w);
		return RW_ENOMEM;
	}
	*out = w;
	return 0;
}

static void stopped_close_cb(uv_handle_t *h)
{
	struct writer *w = h->data;
	if (w->closed_cb)
		w->closed_cb(w, w->closed_data);
}

int writer_close(struct writer *w, writer_closed_cb cb, void *data)
{
	int rc;

	uv_mutex_lock(&w->mu);
	w->stopping = 1;
	uv_cond_signal(&w->cond);
	uv_mutex_unlock(&w->mu);
	uv_thread_join(&w->thread);
	uv_mutex_lock(&w->mu);
	w->joined = 1;
	{ /* queued after the thread's last round: never run */
		struct writer_job **tail = &w->done;
		while (*tail)
			tail = &(*tail)->next;
		*tail = w->jobs;
		for (struct writer_job *j = w->jobs; j; j = j->next)
			j->rc = RW_ECANCELED;
		w->jobs = NULL;
		w->jobs_tail = &w->jobs;
	}
	uv_mutex_unlock(&w->mu);
	finish_jobs(w); /* the last round ran every job the thread had */
	rc = w->final_rc;
	w->closed_cb = cb;
	w->closed_data = data;
	uv_close((uv_handle_t *)&w->async, stopped_close_cb);
	return rc;
}

size_t writer_unwritten(struct writer *w, size_t counts[STORE_REC_KINDS])
{
	const struct recvec *v[2] = {&w->batch, &w->queue};
	size_t total = 0;

	memset(counts, 0, STORE_REC_KINDS * sizeof(*counts));
	uv_mutex_lock(&w->mu);
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < v[k]->len; i++) {
			if (v[k]->v[i].kind < STORE_REC_KINDS)
				counts[v[k]->v[i].kind]++;
			total++;
		}
	uv_mutex_unlock(&w->mu);
	return total;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	store_close(w->st);
	uv_cond_destroy(&w->cond);
	uv_mutex_destroy(&w->mu);
	for (size_t i = 0; i < w->queue.len; i++)
		store_rec_release(&w->queue.v[i]);
	for (size_t i = 0; i < w->batch.len; i++)
		store_rec_release(&w->batch.v[i]);
	free(w->queue.v);
	free(w->batch.v);
	free(w);
}
