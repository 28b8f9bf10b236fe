/* SPDX-License-Identifier: MIT */
/* api_maintenance.c — /v1/runners/{id}/maintenance (see call.h). */
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
#include "monitor/intake/maintenance_spec.h"
#include "policy/base/rw_error.h"
#include "policy/base/rfc3339.h"
#include "policy/calendar.h"

/* ---- maintenance ---------------------------------------------------------- */

static void window_json(struct strbuf *b, const struct store_maintenance *m, int64_t notice_ms)
{
	strbuf_printf(b, "{\"id\":%" PRId64 ",\"runner_id\":%" PRId64 ",\"from\":", m->id,
	              m->runner_id);
	answer_json_time(b, m->start_ms);
	strbuf_puts(b, ",\"to\":");
	answer_json_time(b, m->end_ms);
	strbuf_puts(b, ",\"declared\":");
	answer_json_time(b, m->declared_ms);
	strbuf_puts(b, ",\"reason\":");
	strbuf_json_str(b, m->reason);
	strbuf_puts(b, ",\"removed\":");
	call_json_time_or_null(b, m->removed_ms);
	strbuf_printf(b, ",\"notice_met\":%s}",
	              m->start_ms - m->declared_ms >= notice_ms ? "true" : "false");
}

/* ,"maintenance_used_ms":N,"maintenance_cap_ms":N for runner @p id now. */
static void cap_json(struct call *c, struct strbuf *b, int64_t id)
{
	struct runner *r = fleet_find(c->x->fleet, id);

	strbuf_printf(b, ",\"maintenance_used_ms\":%" PRId64 ",\"maintenance_cap_ms\":%" PRId64,
	              r ? fleet_maintenance_used(c->x->fleet, r, c->now) : 0,
	              (int64_t)c->x->policy->maintenance.max_h_per_month * 3600000);
}

/* ,"warnings":[...] about new window @p w of a runner registered at
 * @p created_ms (maintenance_spec.h: the month's cap, overlaps), from the
 * runner's windows over the months it touches. */
static void warnings_json(struct call *c, struct strbuf *b, const struct store_maintenance *w,
                          int64_t created_ms)
{
	struct store_maintenance *ws = NULL;
	struct maint_advice adv = {.n = 0};
	int64_t m0, m1, end0, end1;
	size_t n = 0;

	calendar_month(w->start_ms, &m0, &end0);
	calendar_month(w->end_ms - 1, &m1, &end1);
	if (store_maintenance_list(c->x->st, w->runner_id, m0, end1, false, &ws, &n) == 0)
		spec_maintenance_advice(c->x->policy, created_ms, ws, n, w->id, &adv);
	store_maintenance_free(ws, n);
	strbuf_puts(b, ",\"warnings\":[");
	for (size_t i = 0; i < adv.n; i++) {
		const struct maint_warning *x = &adv.w[i];
		strbuf_printf(b, "%s{\"kind\":\"%s\",\"detail\":", i ? "," : "", x->kind);
		strbuf_json_str(b, x->detail);
		if (strcmp(x->kind, "overlap") == 0) {
			strbuf_printf(b, ",\"window_id\":%" PRId64 ",\"from\":", x->window_id);
			answer_json_time(b, x->start_ms);
			strbuf_puts(b, ",\"to\":");
			answer_json_time(b, x->end_ms);
		} else {
			char month[40];
			rfc3339_format(x->month_start_ms, month, sizeof(month));
			month[7] = '\0';
			strbuf_printf(b,
			              ",\"month\":\"%s\",\"used_ms\":%" PRId64
			              ",\"declared_ms\":%" PRId64 ",\"cap_ms\":%" PRId64,
			              month, x->used_ms, x->declared_ms, x->cap_ms);
		}
		strbuf_puts(b, "}");
	}
	strbuf_puts(b, "]");
}

/* After a maintenance write (which the daemon picked up): window @p mid as
 * stored, with the runner's cap, and for a new one (@p created_ms > 0: its
 * runner's registration) the warnings. */
static void send_window(struct call *c, int status, int64_t runner_id, int64_t mid,
                        int64_t created_ms)
{
	struct store_maintenance w;
	struct strbuf b;
	int rc = store_maintenance_get(c->x->st, mid, &w);

	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	strbuf_init(&b);
	strbuf_puts(&b, "{\"window\":");
	window_json(&b, &w, (int64_t)c->x->policy->maintenance.min_notice_h * 3600000);
	cap_json(c, &b, runner_id);
	if (created_ms > 0)
		warnings_json(c, &b, &w, created_ms);
	strbuf_puts(&b, "}\n");
	store_maintenance_deinit(&w);
	answer_json(c->api, c->req, status, &b);
}

/* Declaring and removing a window, on the writer's thread. */
struct maint_write {
	struct call_write w;
	int64_t runner_id, mid, from_ms, to_ms;
	int64_t created_ms; /* the runner's registration */
	char *reason;
};

static void maint_release(struct call_write *w)
{
	free(((struct maint_write *)w)->reason);
}

static int maint_add_work(struct store *st, struct call_write *w)
{
	struct maint_write *x = (struct maint_write *)w;
	return store_maintenance_add(st, x->runner_id, x->from_ms, x->to_ms, w->c.now, x->reason,
	                             &x->mid);
}

static void maint_add_answer(struct call *c, struct call_write *w, int rc)
{
	struct maint_write *x = (struct maint_write *)w;
	char a[40], b[40];

	if (rc == RW_EEXIST) {
		/* The same window stands (store.h): its id, so that a retried
		 * POST learns it. */
		rfc3339_format(x->from_ms, a, sizeof(a));
		rfc3339_format(x->to_ms, b, sizeof(b));
		call_problem(c, 409, "from",
		             "maintenance %" PRId64
		             " of this runner is the same window (%s to %s); "
		             "nothing was added",
		             x->mid, a, b);
	} else if (rc < 0) {
		call_store_problem(c, rc);
	} else {
		send_window(c, 201, x->runner_id, x->mid, x->created_ms > 0 ? x->created_ms : 1);
	}
}

static int maint_remove_work(struct store *st, struct call_write *w)
{
	struct maint_write *x = (struct maint_write *)w;
	return store_maintenance_remove(st, x->mid, w->c.now);
}

static void maint_remove_answer(struct call *c, struct call_write *w, int rc)
{
	struct maint_write *x = (struct maint_write *)w;

	if (rc == RW_EINVAL)
		call_problem(c, 409, "mid",
		             "window %" PRId64 " is already over or removed: it stays as evidence",
		             x->mid);
	else if (rc < 0)
		call_store_problem(c, rc);
	else
		send_window(c, 200, x->runner_id, x->mid, 0);
}

int api_maintenance(struct call *c, enum method m, struct store_runner *sr)
{
	int64_t notice = (int64_t)c->x->policy->maintenance.min_notice_h * 3600000;
	struct store_maintenance w;
	struct maint_write *x;
	struct strbuf b;
	int64_t mid;
	int rc;

	if (c->nseg == 3 && m == M_GET) {
		struct store_maintenance *v;
		size_t n;
		char q[64];
		int64_t from = c->now - 31LL * 86400000, to = INT64_MAX / 2;
		if (answer_query(c->req, "from", q, sizeof(q)) && rfc3339_parse(q, &from) < 0)
			return call_problem(c, 400, "from", "from: not an RFC 3339 time");
		if (answer_query(c->req, "to", q, sizeof(q)) && rfc3339_parse(q, &to) < 0)
			return call_problem(c, 400, "to", "to: not an RFC 3339 time");
		rc = store_maintenance_list(c->x->st, sr->id, from, to, false, &v, &n);
		if (rc < 0)
			return call_store_problem(c, rc);
		strbuf_init(&b);
		strbuf_puts(&b, "{\"windows\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_puts(&b, ",");
			window_json(&b, &v[i], notice);
		}
		strbuf_puts(&b, "]");
		cap_json(c, &b, sr->id);
		strbuf_puts(&b, "}\n");
		store_maintenance_free(v, n);
		return answer_json(c->api, c->req, 200, &b);
	}
	if (c->nseg == 3 && m == M_POST) {
		struct req_maintenance rm;
		struct reqbody_error e = {0};
		cJSON *o;
		if (call_body(c, reqbody_maintenance_fields, false, &o) < 0)
			return 0;
		rc = reqbody_maintenance(o, c->now, &rm, &e);
		if (rc < 0) {
			cJSON_Delete(o);
			return call_problem(c, e.status, e.field, "%s", e.detail);
		}
		if (sr->status == STORE_RUNNER_RETIRED) {
			cJSON_Delete(o);
			return call_problem(c, 409, "id", "runner %s is retired", sr->name);
		}
		x = call_write_new(c, sizeof(*x), maint_add_work, maint_add_answer);
		if (x) {
			x->runner_id = sr->id;
			x->created_ms = sr->created_ms;
			x->from_ms = rm.from_ms;
			x->to_ms = rm.to_ms;
			x->reason = strdup(rm.reason);
			x->w.registry = true;
			x->w.release = maint_release;
		}
		cJSON_Delete(o);
		if (!x)
			return 0;
		if (!x->reason) {
			free(x);
			return call_problem(c, 503, NULL, "out of memory");
		}
		return call_write_start(&x->w);
	}
	if (c->nseg == 4 && m == M_DELETE && (mid = call_seg_id(c, 3)) > 0) {
		rc = store_maintenance_get(c->x->st, mid, &w);
		if (rc == 0 && w.runner_id != sr->id) {
			store_maintenance_deinit(&w);
			rc = RW_ENOENT;
		}
		if (rc == RW_ENOENT)
			return call_problem(c, 404, "mid",
			                    "runner %s has no maintenance window %" PRId64,
			                    sr->name, mid);
		if (rc < 0)
			return call_store_problem(c, rc);
		store_maintenance_deinit(&w);
		x = call_write_new(c, sizeof(*x), maint_remove_work, maint_remove_answer);
		if (!x)
			return 0;
		x->runner_id = sr->id;
		x->mid = mid;
		x->w.registry = true;
		return call_write_start(&x->w);
	}
	return call_problem(c, 405, NULL,
	                    "use GET or POST /v1/runners/{id}/maintenance, or DELETE "
	                    "/v1/runners/{id}/maintenance/{mid}");
}
