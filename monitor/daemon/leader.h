/* SPDX-License-Identifier: MIT */
/*
 * leader.h — which of several daemons on one PostgreSQL database writes the
 * combined records and delivers notifications.
 *
 * Protocol. Every daemon holds a libpq session of its own (not the loop's
 * nor the writer's connection) and on it tries, once a second,
 * pg_try_advisory_lock(LEADER_PG_LOCK_KEY): a session-level lock that
 * PostgreSQL frees when the session ends, however it ends. The daemon that
 * holds it is the leader; the others are followers and keep trying. The
 * leader checks its session once a second (a one-row query); when the
 * session fails it is no longer the leader (its lock may be gone) and it
 * tries again like any follower. So when a leader dies, a follower takes
 * over within a second of PostgreSQL noticing that the session ended: at
 * once on a Unix socket or a loopback TCP connection (the kernel closes
 * the socket of a killed process); for a whole machine that vanishes, when
 * the server's TCP keepalives give up, so a server reached over a network
 * should shorten them (tcp_keepalives_idle, tcp_keepalives_interval,
 * tcp_keepalives_count on the server; keepalives_idle etc. in the URI only
 * shorten the client's side). See the README, "Several daemons on one
 * PostgreSQL".
 *
 *        start (one attempt, synchronous)
 *            |               |
 *          lock            no lock / error
 *            v               v
 *         LEADER  <------  FOLLOWER   (tried again every second)
 *            |   lock taken   ^
 *            +----------------+
 *             session failed (the lock is gone with it)
 *
 * The same session LISTENs on STORE_PG_STATE_CHANNEL, on which the leader's
 * writer notifies every committed batch of state changes: the followers'
 * in-memory views follow the leader's within a second (leader_on_state()).
 *
 * On SQLite there is one daemon: it is the leader from the start, always,
 * and nothing runs (no thread, no handle).
 *
 * Why a thread and not a nonblocking libpq connection polled by the loop:
 * libpq resolves the server's host name inside PQconnectStart() and
 * PQconnectPoll() with blocking getaddrinfo(), and the loop must never wait
 * on DNS or the network; a thread of its own may wait on both, and tells the
 * loop only of changes, through a uv_async_t.
 */
#ifndef RW_LEADER_H
#define RW_LEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/store/store.h"

/** The advisory lock's key, 0x72770002: "rw" and 2 (the store's write
 *  transactions use "rw" and 1, transaction-scoped: monitor/store/store_pg.c).
 *  In decimal, as PostgreSQL 15 reads no hexadecimal literal. */
#define LEADER_PG_LOCK_KEY 1920401410
/** How often a follower tries the lock and a leader checks its session. */
#define LEADER_RETRY_MS 1000

struct leader;

/** The leadership changed; on the loop thread. Never runs after
 *  leader_close(). */
typedef void (*leader_change_cb)(struct leader *l, bool held, void *data);
typedef void (*leader_closed_cb)(struct leader *l, void *data);
/** Payloads of STORE_PG_STATE_CHANNEL (monitor/store/store.h: lines
 *  "RUNNER_ID STATE START_MS\n"), @p len bytes, not NUL-terminated, in the
 *  order the leader committed them; on the loop thread, borrowed for the
 *  call. Every daemon gets them, the leader its own too. */
typedef void (*leader_state_cb)(struct leader *l, const char *payloads, size_t len, void *data);

/**
 * For @p db (a file or a libpq URI): on SQLite, a leader at once, always.
 * On PostgreSQL, connects its own session and tries the lock once before it
 * returns (start-up may wait), then tries again every LEADER_RETRY_MS on a
 * thread of its own; @p cb runs on @p loop at each change.
 * @param err  one line on failure.
 * @return 0, RW_ENOMEM, RW_EIO (the first connection failed: the database
 *         is not reachable); on failure nothing is left to free.
 */
int leader_new(struct leader **out, uv_loop_t *loop, const char *db, leader_change_cb cb,
               void *data, char *err, size_t errlen);

/** Sets the callback of the leader's state changes (none by default). The
 *  session LISTENs on STORE_PG_STATE_CHANNEL from its start; notifications
 *  reach the loop as they arrive (the thread waits on the session's socket
 *  between its once-a-second steps). Nothing on SQLite. */
void leader_on_state(struct leader *l, leader_state_cb cb, void *data);

/** Whether this daemon is the leader now (as the loop last heard). */
bool leader_held(const struct leader *l);

/** Times this daemon became the leader since it started (the first time
 *  counts) and times it stopped being it. */
void leader_counts(const struct leader *l, uint64_t *gained, uint64_t *lost);

/**
 * Stops: ends the session (freeing the lock) and joins the thread without
 * waiting on the loop, then @p cb runs once on the loop (at once, before
 * this returns, on SQLite); then leader_free(). Accepts NULL (@p cb then
 * runs at once).
 */
void leader_close(struct leader *l, leader_closed_cb cb, void *data);

/** Frees a closed leader. Accepts NULL. */
void leader_free(struct leader *l);

#endif
