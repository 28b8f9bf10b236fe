/* SPDX-License-Identifier: MIT */
/*
 * writer.h — the one SQLite writer: a dedicated thread fed from the loop.
 *
 * The loop thread appends records with writer_push(), which takes a mutex
 * for the length of a memcpy and never waits on SQLite, so no probe waits on
 * an fsync. The writer thread commits what has queued in one transaction at
 * most every 100 ms, or as soon as 1,000 records are waiting, whichever comes
 * first. (A dedicated thread rather than the loop: a WAL checkpoint inside a
 * commit can take tens of milliseconds, and the loop must not stall > 5 ms.)
 *
 * A failed batch is kept and retried, ahead of newer records, with backoff;
 * while the queue is over WRITER_MAX_QUEUED records, new samples are dropped
 * (and counted) but state changes and ticks are always kept, because history
 * is worth more than raw samples. Failures are reported to the loop through
 * a uv_async_t, so that the daemon can log and count them.
 *
 * The loop's other writes go the same way (writer_call()): the API's
 * registrations, maintenance, tokens, incident acknowledgements and GitHub
 * deliveries, the policy record, each a job run on the thread between
 * batches, in its own transaction, its result handed back to the loop. So
 * the loop thread never waits on SQLite, nor does it contend with this
 * thread for the write lock (it opens no write transaction at all once the
 * daemon serves): another process that holds the database's lock (a
 * backup, an sqlite3 shell in BEGIN EXCLUSIVE) makes this thread wait, never
 * the loop. A job that finds the database locked (RW_EBUSY, after the
 * connection's busy timeout) is tried again until its deadline; a batch
 * that finds it locked is kept and retried, and counts as a storage failure
 * only once it has been locked for WRITER_BUSY_FAIL_MS: a lock is not a
 * failing disk, and the samples wait in memory meanwhile.
 *
 * Lifecycle: writer_new() / writer_close(). writer_close() flushes whatever
 * is queued, runs the jobs still queued once, joins the thread, runs the
 * jobs' callbacks and closes the async handle; its callback runs exactly
 * once, after which writer_free() frees it.
 */
#ifndef RW_WRITER_H
#define RW_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/store/store.h"

#define WRITER_BATCH_ROWS 1000
#define WRITER_BATCH_MS   100
#define WRITER_MAX_QUEUED 2000000
/* A batch locked out this long (by another process) is a storage failure. */
#define WRITER_BUSY_FAIL_MS 30000

struct writer;

/** Called on the loop thread after a batch failed (rc) or succeeded again. */
typedef void (*writer_status_cb)(struct writer *w, int rc, const char *message, void *data);
typedef void (*writer_closed_cb)(struct writer *w, void *data);

struct writer_stats {
	uint64_t rows_written;
	uint64_t batches;
	uint64_t failures;
	uint64_t dropped;
	size_t queued;
	uint64_t last_batch_us; /* duration of the last commit */
	uint64_t max_batch_us;
	uint64_t withheld; /* combined records not written: a follower's */
};

/**
 * Opens its own connection to @p db_path and starts the thread.
 * @param retention_ms  raw samples older than this are purged while idle
 *                      (0: keep them forever).
 * @param status_cb may be NULL.
 * @return 0, or RW_E* with @p err filled (nothing to free then).
 */
int writer_new(struct writer **out, uv_loop_t *loop, const char *db_path, int64_t retention_ms,
               writer_status_cb status_cb, void *data, char *err, size_t errlen);

struct writer_job;

/**
 * A job's work, on the writer thread with its connection: one attempt, in
 * transactions of its own. @return 0 or RW_E*; RW_EBUSY (the database was
 * locked for the connection's whole busy timeout) is tried again until the
 * job's deadline.
 */
typedef int (*writer_job_fn)(struct store *st, struct writer_job *job);

/**
 * A job is done, on the loop thread: @p rc is its work's result, RW_EBUSY
 * when the database stayed locked past its deadline, RW_ECANCELED when the
 * writer stopped before it ran.
 */
typedef void (*writer_job_done_cb)(struct writer_job *job, int rc);

/** A job, embedded in the caller's struct, which owns it until done runs. */
struct writer_job {
	writer_job_fn fn;
	writer_job_done_cb done;
	/* The writer's. */
	uint64_t deadline_ms; /* uv_hrtime() in ms */
	int rc;
	struct writer_job *next;
};

/**
 * Queues @p job (fn and done set) to run on the writer thread; its done
 * callback runs exactly once, on the loop thread, even when the writer
 * stops first. Never blocks on I/O.
 * @param wait_ms  how long a locked database is waited for, at most.
 */
void writer_call(struct writer *w, struct writer_job *job, uint32_t wait_ms);

/**
 * Tags what the writer writes from now on with vantage @p vantage_id
 * (store_set_vantage() on its connection; 0 until set). Call it before the
 * first writer_push() of records that are the vantage's.
 */
void writer_set_vantage(struct writer *w, int64_t vantage_id);

/** Queues one record (copied). Never blocks on I/O. What the record owns
 *  (store_rec_release()) is the writer's from then on, written or not.
 *  With @p w NULL (a fleet without storage, in tests) it is released. */
void writer_push(struct writer *w, const struct store_rec *rec);

/**
 * Whether this daemon writes the combined records (default: yes). With
 * several daemons on one PostgreSQL database only the leader does
 * (monitor/daemon/leader.h): a follower's writer_push() releases every
 * record but samples unwritten (state changes, and with them incidents;
 * flags; events; blind periods), counted in stats.withheld. Samples, the
 * vantage's own states (STORE_REC_VSTATE) and jobs (the API's writes) are
 * written by every daemon; a follower's tick moves its run's last tick and
 * its vantage's heartbeat, not the run's led_until_ms, which a takeover
 * reads as the old leader's last tick. Records queued before the switch
 * are written. Loop thread only.
 */
void writer_set_combined(struct writer *w, bool on);

/** A snapshot of the counters. */
void writer_get_stats(struct writer *w, struct writer_stats *out);

/**
 * What a stopped writer could not write, by record kind (index: enum
 * store_rec_kind; 0 unused). @return the total.
 */
size_t writer_unwritten(struct writer *w, size_t counts[STORE_REC_KINDS]);

/**
 * Flushes, stops the thread, closes the handle; @p cb runs once, on the loop,
 * when @p w may be freed with writer_free().
 * @return the result of the final flush (0 or RW_E*; then writer_unwritten()
 *         says what was lost).
 */
int writer_close(struct writer *w, writer_closed_cb cb, void *data);

/** Frees a stopped writer. Accepts NULL. */
void writer_free(struct writer *w);

#endif
