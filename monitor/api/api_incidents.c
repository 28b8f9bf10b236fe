/* SPDX-License-Identifier: MIT */
/* api_incidents.c — /v1/incidents: listing, acknowledge, mitigated (see call.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/call.h"
#include "monitor/api/reqbody.h"
#include "monitor/api/answer.h"
#include "monitor/core/clock.h"
#include "monitor/core/guard.h"
#include "monitor/core/metrics.h"
#include "monitor/fleet/fleet.h"
#include "policy/base/rw_error.h"
#include "policy/base/rfc3339.h"

#define INCIDENTS_DEFAULT_MS (90LL * 86400000)

/* ---- incidents ------------------------------------------------------------ */

static void incident_json(struct call *c, struct strbuf *b, const struct store_incident *i)
{
	int64_t end = i->end_ms ? i->end_ms : c->now;

	strbuf_printf(b, "{\"id\":%" PRId64 ",\"runner_id\":%" PRId64 ",\"runner\":", i->id,
	              i->runner_id);
	strbuf_json_str(b, i->runner_name);
	strbuf_puts(b, ",\"start\":");
	answer_json_time(b, i->start_ms);
	strbuf_puts(b, ",\"end\":");
	call_json_time_or_null(b, i->end_ms);
	strbuf_printf(b, ",\"open\":%s,\"duration_ms\":%" PRId64 ",\"acknowledged\":",
	              i->end_ms ? "false" : "true", end > i->start_ms ? end - i->start_ms : 0);
	call_json_time_or_null(b, i->ack_ms);
	strbuf_puts(b, ",\"ack_note\":");
	call_json_str_or_null(b, i->ack_note);
	strbuf_puts(b, ",\"mitigated\":");
	call_json_time_or_null(b, i->mitigated_ms);
	strbuf_puts(b, ",\"mitigated_note\":");
	call_json_str_or_null(b, i->mitigated_note);
	if (i->ack_ms)
		strbuf_printf(b, ",\"time_to_acknowledge_ms\":%" PRId64, i->ack_ms - i->start_ms);
	else
		strbuf_puts(b, ",\"time_to_acknowledge_ms\":null");
	if (i->mitigated_ms)
		strbuf_printf(b, ",\"time_to_mitigate_ms\":%" PRId64,
		              i->mitigated_ms - i->start_ms);
	else
		strbuf_puts(b, ",\"time_to_mitigate_ms\":null");
	strbuf_puts(b, "}");
}

static int incidents_list(struct call *c)
{
	struct store_incident *v;
	struct strbuf b;
	char q[64];
	int64_t to = c->now + 1, from, runner = 0;
	size_t n;
	int rc;

	if (answer_query(c->req, "to", q, sizeof(q)) && rfc3339_parse(q, &to) < 0)
		return call_problem(c, 400, "to",
		                    "to: not an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
	from = to - INCIDENTS_DEFAULT_MS;
	if (answer_query(c->req, "from", q, sizeof(q)) && rfc3339_parse(q, &from) < 0)
		return call_problem(c, 400, "from",
		                    "from: not an RFC 3339 time, e.g. 2026-10-01T00:00:00Z");
	if (from >= to)
		return call_problem(c, 400, "from", "from: must be before to");
	if (answer_query(c->req, "runner", q, sizeof(q))) {
		struct store_runner sr;
		char *end;
		runner = strtoll(q, &end, 10);
		if (*end || runner <= 0)
			return call_problem(c, 400, "runner",
			                    "runner: a runner id is a positive integer");
		if (call_load_runner(c, runner, "runner", &sr) < 0)
			return 0;
		store_runner_deinit(&sr);
	}
	rc = store_incident_list(c->x->st, call_is_admin(c) ? 0 : c->who.operator_id, runner, from,
	                         to, &v, &n);
	if (rc < 0)
		return call_store_problem(c, rc);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"incidents\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(&b, ",");
		incident_json(c, &b, &v[i]);
	}
	strbuf_puts(&b, "]}\n");
	store_incidents_free(v, n);
	return answer_json(c->api, c->req, 200, &b);
}

/* Acknowledging and mitigating, on the writer's thread. */
struct incident_write {
	struct call_write w;
	int64_t id;
	bool ack;
	char *note; /* may be NULL (mitigated without a note) */
};

static void incident_release(struct call_write *w)
{
	free(((struct incident_write *)w)->note);
}

static int incident_work(struct store *st, struct call_write *w)
{
	struct incident_write *x = (struct incident_write *)w;

	return x->ack ? store_incident_ack(st, x->id, w->c.now, x->note)
	              : store_incident_mitigate(st, x->id, w->c.now, x->note);
}

static void incident_answer(struct call *c, struct call_write *w, int rc)
{
	struct incident_write *x = (struct incident_write *)w;
	struct store_incident inc;
	struct strbuf b;

	if (rc == RW_EEXIST) {
		call_problem(c, 409, "id", "incident %" PRId64 " is already %s", x->id,
		             x->ack ? "acknowledged" : "mitigated");
		return;
	}
	if (rc == 0)
		rc = store_incident_get(c->x->st, x->id, &inc);
	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	strbuf_init(&b);
	incident_json(c, &b, &inc);
	strbuf_puts(&b, "\n");
	store_incident_deinit(&inc);
	answer_json(c->api, c->req, 200, &b);
}

int api_incidents(struct call *c, enum method m)
{
	struct store_incident inc;
	struct strbuf b;
	int64_t id;
	int rc;

	if (c->who.kind == PRINCIPAL_RUNNER)
		return call_problem(c, 403, NULL,
		                    "a heartbeat token is good only for POST "
		                    "/v1/runners/{id}/heartbeat");
	if (c->nseg == 1)
		return m == M_GET ? incidents_list(c)
		                  : call_problem(c, 405, NULL, "use GET /v1/incidents");
	id = call_seg_id(c, 1);
	if (id == 0)
		return call_problem(c, 400, "id", "an incident id is a positive integer");
	if (m != M_GET && call_rate_limit(c) < 0)
		return 0;
	rc = store_incident_get(c->x->st, id, &inc);
	if (rc == 0 && !call_is_admin(c) && inc.operator_id != c->who.operator_id) {
		store_incident_deinit(&inc);
		rc = RW_ENOENT;
	}
	if (rc == RW_ENOENT)
		return call_problem(c, 404, "id", "no incident %" PRId64 " that this token may see",
		                    id);
	if (rc < 0)
		return call_store_problem(c, rc);
	if (c->nseg == 3 && m == M_POST &&
	    (call_seg_is(c, 2, "ack") || call_seg_is(c, 2, "mitigated"))) {
		bool ack = call_seg_is(c, 2, "ack");
		struct incident_write *x;
		struct req_note rn;
		struct reqbody_error e = {0};
		cJSON *o;
		store_incident_deinit(&inc);
		if (call_body(c, reqbody_note_fields, !ack, &o) < 0)
			return 0;
		rc = reqbody_note(o, ack, &rn, &e);
		if (rc < 0) {
			cJSON_Delete(o);
			return call_problem(c, e.status, e.field, "%s", e.detail);
		}
		x = call_write_new(c, sizeof(*x), incident_work, incident_answer);
		if (x) {
			x->id = id;
			x->ack = ack;
			x->note = rn.note ? strdup(rn.note) : NULL;
			x->w.release = incident_release;
		}
		cJSON_Delete(o);
		if (!x)
			return 0;
		if (rn.note && !x->note) {
			free(x);
			return call_problem(c, 503, NULL, "out of memory");
		}
		return call_write_start(&x->w);
	} else if (c->nseg != 2 || m != M_GET) {
		store_incident_deinit(&inc);
		return call_problem(c, 405, NULL,
		                    "use GET /v1/incidents/{id}, POST /v1/incidents/{id}/ack or "
		                    "/mitigated");
	}
	strbuf_init(&b);
	incident_json(c, &b, &inc);
	strbuf_puts(&b, "\n");
	store_incident_deinit(&inc);
	return answer_json(c->api, c->req, 200, &b);
}
