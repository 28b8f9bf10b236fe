/* SPDX-License-Identifier: MIT */
/*
 * call.h — one request of the operator API (/v1/operators, /v1/runners,
 * /v1/incidents): who asks, what the path says, and the steps and answers
 * every handler shares (call.c). The handlers live by resource:
 * api_operators.c, api_runners.c, api_maintenance.c, api_incidents.c.
 *
 * Every request here goes through these checks, and nothing is written
 * before the last one passes:
 *   - the caller is authenticated (auth.h): 401 otherwise; a heartbeat token
 *     is good for its own runner's heartbeat only: 403 elsewhere;
 *   - a write takes one token from the caller's bucket: 429 otherwise (so a
 *     refused write still costs one);
 *   - the object is looked up within the caller's scope: an operator sees
 *     only its own runners and their incidents, so anything else is 404,
 *     exactly as if it did not exist; admin-only actions are 403;
 *   - a body must come with Content-Type: application/json (415 naming
 *     the header), then it is parsed and validated (reqbody.h): 4xx naming
 *     the field.
 * For /v1/runners/{id}/... and /v1/incidents/{id}/... the scope comes before
 * the body (another operator's runner is 404 whatever the body says); for
 * collections there is no object to look up. Then the change commits before
 * the answer, and the daemon picks registry changes up at once.
 *
 * Writes commit on the writer's thread (call_write_start(), writer.h), never
 * on the loop thread, and the request is answered from the loop once they
 * did: the loop never waits on SQLite (a database locked by another process
 * holds up the write and its answer, nothing else), and a write never
 * contends with the daemon's own batches for the lock. The loop thread's
 * connection only reads, with no busy timeout: in WAL mode a read does not
 * wait for a writer, and in the rare case it would (another process
 * recovering the WAL), the request is answered 503 with Retry-After at once.
 * A write still locked out after CALL_WRITE_WAIT_MS is answered the same way.
 */
#ifndef RW_CALL_H
#define RW_CALL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/api/api_impl.h"
#include "monitor/fleet/writer.h"
#include "monitor/intake/auth.h"
#include "monitor/store/store.h"

#define CALL_MAX_SEGS 6
/* How long a write waits for a database another process has locked. */
#define CALL_WRITE_WAIT_MS 20000
/* Retry-After (seconds) of a 503 for a busy or failing database. */
#define CALL_RETRY_AFTER_S 2

struct call {
	struct api *api;
	const struct api_ctx *x; /* &api->x */
	h2o_req_t *req;
	struct principal who;
	int64_t now;
	const char *seg[CALL_MAX_SEGS]; /* path segments after "/v1/" */
	size_t seglen[CALL_MAX_SEGS];
	int nseg;
};

enum method { M_GET, M_POST, M_PATCH, M_DELETE, M_OTHER };

/** Dispatches a request of the operator API again (api.c's): call_begin()
 *  calls it once a token it had to look up is known. */
typedef int (*call_resume_fn)(struct api *api, h2o_req_t *req, const char *path, size_t len);

/**
 * Starts a call: splits @p path (normalized, "/v1/...") into segments and
 * authenticates the caller from memory (auth.h). On failure the problem
 * (404, 405, 401, 403 or 503) is sent and an error returned. A token the
 * daemon's table does not know is looked up on the writer's thread, never
 * on the loop: call_begin() then returns RW_EBUSY without answering, and
 * once the lookup is done @p resume runs with the same request (if its
 * client still waits), when the table knows the answer.
 * @return 0 or RW_E*.
 */
int call_begin(struct call *c, struct api *api, h2o_req_t *req, const char *path, size_t len,
               enum method *m, call_resume_fn resume);

/** A write committed: the daemon picks registry changes up before the answer. */
void call_registry_changed(struct call *c);

/** Sends a problem (answer_problem()) with the reason phrase of @p status. */
int call_problem(struct call *c, int status, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/** A store failure while answering: logged, and a 503 the client may retry. */
int call_store_problem(struct call *c, int rc);

/** Whether path segment @p i is @p s; segment @p i as a positive id, or 0. */
bool call_seg_is(const struct call *c, int i, const char *s);
int64_t call_seg_id(const struct call *c, int i);

/** Takes one write from the caller's bucket; on refusal the 429 is sent. */
int call_rate_limit(struct call *c);

/** Parses the body against @p fields (reqbody.h) once its Content-Type
 *  says JSON (415 otherwise); on failure the problem is sent. */
int call_body(struct call *c, const char *const *fields, bool empty_ok, cJSON **out);

bool call_is_admin(const struct call *c);

/** Appends an RFC 3339 time or a string, or null (ms 0 / NULL). */
void call_json_time_or_null(struct strbuf *b, int64_t ms);
void call_json_str_or_null(struct strbuf *b, const char *s);

/**
 * Reads runner @p id within the caller's scope; sends 404 naming @p field
 * (or 503) if not. The caller deinits @p sr on success.
 */
int call_load_runner(struct call *c, int64_t id, const char *field, struct store_runner *sr);

/* ---- writes on the writer's thread ----------------------------------------- */

struct call_write;

/** A write's work, on the writer thread (one attempt; see writer_job_fn). */
typedef int (*call_write_fn)(struct store *st, struct call_write *w);

/**
 * A write is done, on the loop thread, and its client still waits:
 * answer it. @p rc is the work's result (RW_EBUSY: still locked after
 * CALL_WRITE_WAIT_MS; RW_ECANCELED: the daemon is stopping).
 */
typedef void (*call_answer_fn)(struct call *c, struct call_write *w, int rc);

/**
 * A write in flight: the first member of the handler's own struct, which
 * holds what the work needs (copied or owned: the request's body may be
 * gone by the time it runs, but the request's path and pool are not while
 * c.req is set).
 */
struct call_write {
	struct writer_job job; /* first: the writer's */
	struct call c;         /* c.req is NULL once the client has gone */
	call_write_fn work;
	call_answer_fn answer;
	/* Frees what the handler's struct owns (may be NULL); runs last. */
	void (*release)(struct call_write *w);
	/* On success, on the loop thread, whether the client waits or not
	 * (may be NULL): what memory must learn of the write (auth.h). */
	void (*committed)(struct call_write *w);
	bool registry;            /* on success, the daemon reloads the registry */
	struct call_write **link; /* in the request's pool: cleared when it goes */
};

/**
 * A zeroed write of @p size bytes (a struct that begins with struct
 * call_write) for call @p c. @return NULL after answering 503 (no memory).
 */
void *call_write_new(struct call *c, size_t size, call_write_fn work, call_answer_fn answer);

/**
 * Queues @p w on the writer's thread. When it is done: with rc 0 and
 * w->registry the daemon picks the registry change up; answer runs if the
 * client still waits, a failure other than the ones the handler answers is
 * a 503 with Retry-After (call_store_problem()); then release, and @p w is
 * freed. @return 0 (what a handler returns).
 */
int call_write_start(struct call_write *w);

/* The handlers, by resource. Each answers the request (always returns 0). */
int api_operators(struct call *c, enum method m);
int api_runners(struct call *c, enum method m);
int api_maintenance(struct call *c, enum method m, struct store_runner *sr);
int api_incidents(struct call *c, enum method m);

#endif
