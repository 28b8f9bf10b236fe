/* SPDX-License-Identifier: MIT */
/*
 * answer.h — how every handler of the API answers: a body with its type, a
 * JSON document built in a strbuf, or an RFC 7807 problem; and the two
 * things every handler reads from a request or writes into JSON the same
 * way (a query parameter, a time, a ratio).
 *
 * Every answer is sent with Cache-Control: no-store. Problems and answers
 * that ran out of memory are counted in the API's metrics (http_errors,
 * http_server_errors). A strbuf that failed while being built is answered
 * 503, never sent truncated.
 */
#ifndef RW_ANSWER_H
#define RW_ANSWER_H

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api;
struct strbuf;

/** Sends @p len bytes of @p body with @p status and Content-Type @p ctype. */
void answer_body(h2o_req_t *req, int status, const char *reason, const char *ctype,
                 const char *body, size_t len);

/** Sends 204 No Content. @return 0. */
int answer_no_content(h2o_req_t *req);

/** Sends @p b as JSON with @p status (200 or 201) and frees it; 503 problem
 *  when @p b ran out of memory. @return 0. */
int answer_json(struct api *api, h2o_req_t *req, int status, struct strbuf *b);

/** Sends @p b (200, Content-Type @p ctype) and frees it; 503 problem when
 *  @p b ran out of memory. @return 0. */
int answer_strbuf(struct api *api, h2o_req_t *req, struct strbuf *b, const char *ctype);

/**
 * Sends an RFC 7807 problem (application/problem+json):
 * {"type","title","status","detail"[,"field"]}. @p field names the member or
 * parameter at fault, or is NULL / "". @return 0.
 */
int answer_problem(struct api *api, h2o_req_t *req, int status, const char *reason,
                   const char *field, const char *detail);

/**
 * Finds ?@p name=value in the query and percent-decodes it into @p out.
 * @return false when absent, too long for @p out, or holding a NUL byte.
 */
bool answer_query(h2o_req_t *req, const char *name, char *out, size_t outlen);

/** Appends an RFC 3339 time as a JSON string. */
void answer_json_time(struct strbuf *b, int64_t ms);

/** Appends a ratio, or null when there is none. */
void answer_json_ratio(struct strbuf *b, bool has, double v);

#endif
