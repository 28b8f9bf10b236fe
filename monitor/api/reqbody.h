/* SPDX-License-Identifier: MIT */
/*
 * reqbody.h — the HTTP API's request bodies: checked, parsed and validated
 * before anything is written.
 *
 * Every body goes through reqbody_parse() first: at most REQBODY_MAX bytes,
 * valid UTF-8 without NUL bytes, one JSON object nested at most
 * REQBODY_MAX_DEPTH deep (json_scan_check() in policy/, then cJSON), no
 * duplicate member names at any level and no member outside the endpoint's
 * list. Then one function per endpoint reads the typed fields into a plain
 * struct, applying the same validators as the CLI (runner_spec.h,
 * maintenance_spec.h): one validator, not two.
 *
 * Every failure fills a struct reqbody_error: the HTTP status (400 or 413),
 * the field at fault ("" for the body as a whole) and one line saying what is
 * wrong and what is allowed. These functions are pure (no I/O, no clock: the
 * caller passes "now") and are the fuzzing target in tests/fuzz/.
 */
#ifndef RW_REQBODY_H
#define RW_REQBODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "monitor/intake/runner_spec.h"

#define REQBODY_MAX       (64 * 1024)
#define REQBODY_MAX_DEPTH 32

struct reqbody_error {
	int status;     /* 400, or 413 for a body over REQBODY_MAX */
	char field[64]; /* the member at fault, e.g. "targets[2]"; "" for the whole body */
	char detail[320];
};

/**
 * Parses @p len bytes at @p body (not NUL-terminated; may be NULL when @p len
 * is 0) as a JSON object whose members are all in @p allowed (a NULL-ended
 * list). An empty body is an empty object when @p empty_ok, else an error.
 * @param out  receives the tree; the caller frees it with cJSON_Delete().
 * @return 0 or RW_EINVAL (with @p err filled; *out is then NULL), RW_ENOMEM.
 */
int reqbody_parse(const char *body, size_t len, const char *const *allowed, bool empty_ok,
                  cJSON **out, struct reqbody_error *err);

/** POST /v1/operators {"name","email"}; strings point into the tree. */
struct req_operator {
	const char *name;
	const char *email;
};
int reqbody_operator(const cJSON *o, struct req_operator *out, struct reqbody_error *err);

/** POST /v1/operators/{id}/tokens {"expires"?: RFC 3339, after now}. */
struct req_token {
	int64_t expires_ms; /* 0: never */
};
int reqbody_token(const cJSON *o, int64_t now_ms, struct req_token *out, struct reqbody_error *err);

/**
 * POST /v1/runners {"name","targets":[...],"url"} or {"name","targets","mode":"push"},
 * optional "labels" (runs-on labels), "interval_s", "timeout_ms"; or a GitHub pool
 * {"name","targets","mode":"github","github":"OWNER[/REPO]","labels":[...]}, optional
 * "min_online", "pickup_within_s" (spec_check_github_pool(), its defaults filled in). With
 * @p patch (PATCH /v1/runners/{id}) every member is optional, "name", "mode", "github",
 * "min_online" and "pickup_within_s" may not change, and at least one member must be given;
 * absent ones are left NULL / 0.
 */
struct req_runner {
	const char *name;
	bool push;
	bool github;          /* "mode": "github" */
	const char *source;   /* the pool's "github" */
	long min_online;      /* a pool's, defaults filled in */
	long pickup_within_s; /* a pool's; 0: no pickup check */
	const char *url;
	const char *targets[RUNNER_SPEC_MAX_TARGETS];
	size_t n_targets;
	const char *labels[RUNNER_SPEC_MAX_TARGETS];
	size_t n_labels;
	bool has_labels; /* "labels" was given (patch: replace them) */
	long interval_s; /* 0: the policy's; -1 (patch): unchanged */
	long timeout_ms; /* 0: the policy's; -1 (patch): unchanged */
};
int reqbody_runner(const cJSON *o, bool patch, struct req_runner *out, struct reqbody_error *err);

/** POST /v1/runners/{id}/heartbeat {"busy"?: bool, "version"?: string, "jobs_running"?: int}. */
struct req_heartbeat {
	bool busy;
	const char *version; /* NULL when absent */
	long jobs_running;   /* -1 when absent */
};
int reqbody_heartbeat(const cJSON *o, struct req_heartbeat *out, struct reqbody_error *err);

/** POST /v1/runners/{id}/maintenance {"from","to": RFC 3339, "reason"}. */
struct req_maintenance {
	int64_t from_ms;
	int64_t to_ms;
	const char *reason;
};
int reqbody_maintenance(const cJSON *o, int64_t now_ms, struct req_maintenance *out,
                        struct reqbody_error *err);

/** POST /v1/incidents/{id}/ack {"note"} (required) and /mitigated {"note"?}. */
struct req_note {
	const char *note; /* NULL when absent (mitigated only) */
};
int reqbody_note(const cJSON *o, bool required, struct req_note *out, struct reqbody_error *err);

/**
 * POST /v1/runners/{id}/approve, with an optional body {"probation": false}:
 * the runner skips its probation (store_runner_approve()). No body, or
 * "probation": true, approves as before.
 */
struct req_approve {
	bool probation;
};
int reqbody_approve(const cJSON *o, struct req_approve *out, struct reqbody_error *err);

/* The member lists of the endpoints, for reqbody_parse(). */
extern const char *const reqbody_operator_fields[];
extern const char *const reqbody_token_fields[];
extern const char *const reqbody_runner_fields[];
extern const char *const reqbody_heartbeat_fields[];
extern const char *const reqbody_maintenance_fields[];
extern const char *const reqbody_note_fields[];
extern const char *const reqbody_approve_fields[];

#endif
