/* SPDX-License-Identifier: MIT */
/*
 * api_runners.c — /v1/runners: registration (pending until the admin
 * approves), reading, changing and withdrawing runners, approval and
 * retirement, and push heartbeats (see call.h).
 */
#include <openssl/crypto.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/call.h"
#include "monitor/api/reqbody.h"
#include "monitor/api/answer.h"
#include "monitor/core/clock.h"
#include "monitor/core/guard.h"
#include "monitor/core/log.h"
#include "monitor/core/metrics.h"
#include "monitor/fleet/fleet.h"
#include "policy/base/rw_error.h"
#include "monitor/core/url.h"

/* Why a runner the daemon has not loaded is not eligible. Every runner but a
 * retired one is in the fleet, except GitHub pools and members, which the
 * daemon does not watch yet: their state is unknown. */
static const char *unloaded_reason(const struct store_runner *sr)
{
	if (sr->status == STORE_RUNNER_RETIRED)
		return "retired";
	if (sr->status == STORE_RUNNER_PENDING)
		return "pending";
	return "unknown";
}

static void runner_json(struct call *c, struct strbuf *b, const struct store_runner *sr)
{
	struct runner *r = fleet_find(c->x->fleet, sr->id);
	bool push = strcmp(sr->kind, "push") == 0;
	const char *why;

	strbuf_printf(b, "{\"id\":%" PRId64 ",\"name\":", sr->id);
	strbuf_json_str(b, sr->name);
	strbuf_puts(b, ",\"operator\":");
	strbuf_json_str(b, sr->operator_name ? sr->operator_name : "");
	strbuf_printf(b, ",\"mode\":\"%s\",\"url\":", push ? "push" : sr->kind);
	call_json_str_or_null(b, push ? NULL : sr->url);
	strbuf_puts(b, ",\"targets\":[");
	for (size_t i = 0; i < sr->n_targets; i++) {
		if (i)
			strbuf_puts(b, ",");
		strbuf_json_str(b, sr->targets[i]);
	}
	strbuf_puts(b, "],\"labels\":[");
	for (size_t i = 0; i < sr->n_labels; i++) {
		if (i)
			strbuf_puts(b, ",");
		strbuf_json_str(b, sr->labels[i]);
	}
	strbuf_printf(b, "],\"status\":\"%s\",\"created\":", store_runner_status_name(sr->status));
	answer_json_time(b, sr->created_ms);
	strbuf_printf(b, ",\"interval_s\":%" PRIu32 ",\"timeout_ms\":%" PRIu32, sr->interval_s,
	              sr->timeout_ms);
	/* What is used: the fleet's settings (its own, else the policy's; a
	 * GitHub pool's poll interval; the timeout capped at the interval), or
	 * for a runner the daemon has not loaded, what it would use. */
	if (r) {
		strbuf_printf(b,
		              ",\"effective_interval_s\":%" PRId64 ",\"effective_timeout_ms\":%u",
		              r->params.interval_ms / 1000, r->timeout_ms);
	} else {
		uint32_t iv = sr->interval_s ? sr->interval_s : c->x->policy->probe.interval_s;
		uint32_t to = sr->timeout_ms ? sr->timeout_ms : c->x->policy->probe.timeout_ms;
		strbuf_printf(b,
		              ",\"effective_interval_s\":%" PRIu32
		              ",\"effective_timeout_ms\":%" PRIu32,
		              iv, to < iv * 1000 ? to : iv * 1000);
	}
	strbuf_printf(b, ",\"state\":\"%s\",\"since\":",
	              rw_state_name(r ? runner_state(r) : (enum rw_state)sr->last_state));
	answer_json_time(b, r ? runner_since(r) : sr->last_state_ms);
	why = r ? fleet_exclusion(c->x->fleet, r, c->now) : unloaded_reason(sr);
	strbuf_printf(b, ",\"eligible\":%s,\"reason\":", why ? "false" : "true");
	call_json_str_or_null(b, why);
	if (push && r) {
		strbuf_puts(b, ",\"last_heartbeat\":");
		call_json_time_or_null(b, r->last_heartbeat_ms);
		strbuf_puts(b, ",\"version\":");
		call_json_str_or_null(b, r->version && r->version[0] ? r->version : NULL);
		if (r->jobs_running >= 0)
			strbuf_printf(b, ",\"jobs_running\":%ld", r->jobs_running);
		else
			strbuf_puts(b, ",\"jobs_running\":null");
		strbuf_printf(b, ",\"busy\":%s", r->busy ? "true" : "false");
	}
	if (store_runner_is_pool(sr)) {
		strbuf_puts(b, ",\"github\":");
		strbuf_json_str(b, sr->github);
		strbuf_printf(b, ",\"min_online\":%" PRIu32 ",\"pickup_within_s\":%" PRIu32,
		              sr->min_online, sr->pickup_within_s);
	} else if (store_runner_is_member(sr)) {
		strbuf_puts(b, ",\"pool\":");
		strbuf_json_str(b, sr->pool_name ? sr->pool_name : "");
		strbuf_printf(b, ",\"github_id\":%" PRId64 ",\"github_name\":", sr->github_id);
		strbuf_json_str(b, sr->github_name ? sr->github_name : "");
	}
	strbuf_puts(b, "}");
}

static int send_runner(struct call *c, int status, const struct store_runner *sr)
{
	struct strbuf b;

	strbuf_init(&b);
	runner_json(c, &b, sr);
	strbuf_puts(&b, "\n");
	return answer_json(c->api, c->req, status, &b);
}

/* Refuses a URL whose host the address guard refuses (every spelling of a
 * literal; names are checked again at connect time): the check the CLI
 * makes too (spec_check_url_guard()). On refusal the 400 is sent. */
static int guard_url(struct call *c, const char *url)
{
	struct spec_guard_refusal g;
	char err[400];
	int rc = spec_check_url_guard(c->x->guard, url, &g, err, sizeof(err));

	if (rc == RW_EREFUSED && g.range[0])
		call_problem(c, 400, "url",
		             "%s, unless the daemon's allow_cidrs permits the range (%s)", err,
		             g.range);
	else if (rc == RW_EREFUSED)
		call_problem(c, 400, "url", "%s, unless the daemon's allow_cidrs permits it", err);
	else if (rc < 0)
		call_problem(c, 400, "url", "%s", err);
	return rc;
}

/* The targets are ones the policy in force knows (policy/target.h): a
 * typo would become a target of its own. On refusal the 400 is sent. */
static int known_targets(struct call *c, const char *const *targets, size_t n)
{
	char err[320];

	if (spec_check_targets_known(targets, n, c->x->policy, err, sizeof(err)) == 0)
		return 0;
	call_problem(c, 400, "targets", "%s", err);
	return RW_EINVAL;
}

/* ---- runners -------------------------------------------------------------- */

/* POST /v1/runners: the runner (and a push runner's heartbeat token), in one
 * transaction on the writer's thread. */
struct register_write {
	struct call_write w;
	cJSON *o; /* owns what rr and sr point to */
	struct req_runner rr;
	struct store_runner sr;
	char tok[AUTH_TOKEN_MAX];
	uint8_t h[32];
};

static int register_work(struct store *st, struct call_write *w)
{
	struct register_write *x = (struct register_write *)w;
	int rc = store_begin(st);

	if (rc == 0)
		rc = store_runner_insert(st, &x->sr, w->c.now);
	if (rc == 0 && x->rr.push)
		rc = store_token_add(st, w->c.who.operator_id, x->sr.id, x->h, w->c.now, 0, NULL);
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	return rc;
}

static void register_answer(struct call *c, struct call_write *w, int rc)
{
	struct register_write *x = (struct register_write *)w;
	struct strbuf b;

	if (rc == RW_EEXIST) {
		call_problem(c, 409, "name", "name: a runner named \"%s\" exists; choose another",
		             x->rr.name);
		return;
	}
	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	strbuf_init(&b);
	strbuf_printf(&b, "{\"id\":%" PRId64 ",\"name\":", x->sr.id);
	strbuf_json_str(&b, x->rr.name);
	strbuf_puts(&b, ",\"status\":\"pending\"");
	if (x->rr.push)
		strbuf_printf(&b, ",\"heartbeat_token\":\"%s\"", x->tok);
	strbuf_puts(&b, "}\n");
	answer_json(c->api, c->req, 201, &b);
}

static void register_release(struct call_write *w)
{
	struct register_write *x = (struct register_write *)w;

	OPENSSL_cleanse(x->tok, sizeof(x->tok));
	cJSON_Delete(x->o);
}

static int runners_post(struct call *c)
{
	struct reqbody_error e = {0};
	struct register_write *x;
	struct store_runner *sr;
	struct req_runner *rr;
	cJSON *o;
	int rc;

	if (c->who.kind != PRINCIPAL_OPERATOR)
		return call_problem(
		        c, 403, NULL,
		        "runners are registered with an operator's token (the admin uses "
		        "`runwarden runner add`)");
	if (call_rate_limit(c) < 0 || call_body(c, reqbody_runner_fields, false, &o) < 0)
		return 0;
	x = call_write_new(c, sizeof(*x), register_work, register_answer);
	if (!x) {
		cJSON_Delete(o);
		return 0;
	}
	x->o = o;
	x->w.release = register_release;
	x->w.registry = true;
	rr = &x->rr;
	sr = &x->sr;
	rc = reqbody_runner(o, false, rr, &e);
	if (rc < 0)
		call_problem(c, e.status, e.field, "%s", e.detail);
	else if (rr->url)
		rc = guard_url(c, rr->url);
	if (rc == 0)
		rc = known_targets(c, rr->targets, rr->n_targets);
	if (rc == 0 && rr->push && auth_new_token("rwh_", x->tok, x->h) < 0) {
		call_problem(c, 503, NULL, "no random bytes for a token; try again");
		rc = RW_ENOMEM;
	}
	if (rc < 0) {
		register_release(&x->w);
		free(x);
		return 0;
	}
	sr->operator_id = c->who.operator_id;
	sr->name = (char *)rr->name;
	sr->kind = rr->github ? "github" : rr->push ? "push" : "http";
	sr->github = (char *)rr->source;
	sr->min_online = (uint32_t)rr->min_online;
	sr->pickup_within_s = (uint32_t)rr->pickup_within_s;
	sr->url = (char *)rr->url;
	sr->targets = (char **)rr->targets;
	sr->n_targets = rr->n_targets;
	sr->labels = (char **)rr->labels;
	sr->n_labels = rr->n_labels;
	sr->status = STORE_RUNNER_PENDING;
	sr->interval_s = (uint32_t)rr->interval_s;
	sr->timeout_ms = (uint32_t)rr->timeout_ms;
	return call_write_start(&x->w);
}

static int runners_get(struct call *c)
{
	struct store_runner *v;
	struct strbuf b;
	size_t n;
	bool first = true;
	int rc = store_runner_list(c->x->st, 0, &v, &n);

	if (rc < 0)
		return call_store_problem(c, rc);
	strbuf_init(&b);
	strbuf_puts(&b, "{\"runners\":[");
	for (size_t i = 0; i < n; i++) {
		if (!call_is_admin(c) && v[i].operator_id != c->who.operator_id)
			continue;
		if (!first)
			strbuf_puts(&b, ",");
		first = false;
		runner_json(c, &b, &v[i]);
	}
	strbuf_puts(&b, "]}\n");
	store_runners_free(v, n);
	return answer_json(c->api, c->req, 200, &b);
}

/* After a registry write (which the daemon picked up): the runner as stored. */
static void reload_and_send(struct call *c, int64_t id)
{
	struct store_runner sr;
	int rc = store_runner_get(c->x->st, NULL, id, &sr);

	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	send_runner(c, 200, &sr);
	store_runner_deinit(&sr);
}

/* PATCH, approve, retire and DELETE of one runner, on the writer's thread. */
struct runner_write {
	struct call_write w;
	int64_t id;
	cJSON *o; /* PATCH: owns what rr points to */
	struct req_runner rr;
	int to;            /* status changes: the new status */
	bool no_probation; /* approve {"probation": false} */
	struct store_status_change ch;
	char *name; /* for the log */
};

static void runner_write_release(struct call_write *w)
{
	struct runner_write *x = (struct runner_write *)w;

	cJSON_Delete(x->o);
	free(x->name);
}

static int patch_work(struct store *st, struct call_write *w)
{
	struct runner_write *x = (struct runner_write *)w;
	struct req_runner *rr = &x->rr;

	return store_runner_update(st, x->id, rr->url, rr->n_targets ? rr->targets : NULL,
	                           rr->n_targets, rr->has_labels ? rr->labels : NULL, rr->n_labels,
	                           rr->interval_s, rr->timeout_ms);
}

static void patch_answer(struct call *c, struct call_write *w, int rc)
{
	struct runner_write *x = (struct runner_write *)w;

	if (rc < 0)
		call_store_problem(c, rc);
	else
		reload_and_send(c, x->id);
}

/* What a PATCH may change of a GitHub pool (targets and labels, by the
 * pool's rules) and of a member (nothing: the daemon keeps it in line with
 * GitHub and its pool). Answers the refusal and returns RW_EINVAL. */
static int runner_patch_github(struct call *c, const struct store_runner *sr,
                               const struct req_runner *rr)
{
	char msg[300];

	if (store_runner_is_member(sr)) {
		call_problem(c, 409, "id",
		             "runner %s is a member of GitHub pool %s, which the daemon keeps in "
		             "line with GitHub: change the pool instead",
		             sr->name, sr->pool_name ? sr->pool_name : "-");
		return RW_EINVAL;
	}
	if (rr->url) {
		call_problem(c, 400, "url",
		             "url: runner %s is a GitHub pool; it has no URL (GitHub says whether "
		             "its runners are online)",
		             sr->name);
		return RW_EINVAL;
	}
	if (rr->interval_s != -1 || rr->timeout_ms != -1) {
		const char *f = rr->interval_s != -1 ? "interval_s" : "timeout_ms";
		call_problem(c, 400, f,
		             "%s: a GitHub pool is polled every github.poll_interval_s of the "
		             "daemon's config, without a probe of its own; leave %s out",
		             f, f);
		return RW_EINVAL;
	}
	if (rr->has_labels &&
	    spec_check_github_labels("labels", rr->labels, rr->n_labels, msg, sizeof(msg)) < 0) {
		call_problem(c, 400, "labels", "%s", msg);
		return RW_EINVAL;
	}
	return 0;
}

static int runner_patch(struct call *c, struct store_runner *sr)
{
	struct req_runner rr;
	struct reqbody_error e = {0};
	struct runner_write *x;
	cJSON *o;
	int rc;

	if (call_body(c, reqbody_runner_fields, false, &o) < 0)
		return 0;
	rc = reqbody_runner(o, true, &rr, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return call_problem(c, e.status, e.field, "%s", e.detail);
	}
	if (rr.url && strcmp(sr->kind, "push") == 0) {
		cJSON_Delete(o);
		return call_problem(c, 400, "url", "url: runner %s is a push runner; it has no URL",
		                    sr->name);
	}
	if (strcmp(sr->kind, "github") == 0 && runner_patch_github(c, sr, &rr) < 0) {
		cJSON_Delete(o);
		return 0;
	}
	if (sr->status == STORE_RUNNER_RETIRED) {
		cJSON_Delete(o);
		return call_problem(c, 409, "id", "runner %s is retired; it cannot change",
		                    sr->name);
	}
	if (rr.url && guard_url(c, rr.url) < 0) {
		cJSON_Delete(o);
		return 0;
	}
	if (rr.n_targets && known_targets(c, rr.targets, rr.n_targets) < 0) {
		cJSON_Delete(o);
		return 0;
	}
	x = call_write_new(c, sizeof(*x), patch_work, patch_answer);
	if (!x) {
		cJSON_Delete(o);
		return 0;
	}
	x->o = o;
	x->rr = rr;
	x->id = sr->id;
	x->w.registry = true;
	x->w.release = runner_write_release;
	return call_write_start(&x->w);
}

/* approve, retire, and DELETE (the operator withdraws its runner: retired,
 * its history kept as the evidence it is). The store checks the change
 * against policy/registration.h in the transaction that writes it, so the
 * rules live there and not here: a refusal is a 409 with its reason, and
 * asking for the status the runner already has (approving an approved runner)
 * answers the runner as it is. */
static int status_work(struct store *st, struct call_write *w)
{
	struct runner_write *x = (struct runner_write *)w;

	if (x->to == STORE_RUNNER_APPROVED)
		return store_runner_approve(st, x->id, w->c.now, x->no_probation, &x->ch);
	return store_runner_set_status(st, x->id, x->to, w->c.now, &x->ch);
}

static void status_answer(struct call *c, struct call_write *w, int rc)
{
	struct runner_write *x = (struct runner_write *)w;

	if (rc == RW_ECONFLICT) {
		call_problem(c, 409, "id", "%s", x->ch.why);
		return;
	}
	if (rc < 0) {
		call_store_problem(c, rc);
		return;
	}
	reload_and_send(c, x->id);
}

/* Logged when it committed, whether or not the client still waits. */
static void status_done_log(struct call_write *w)
{
	struct runner_write *x = (struct runner_write *)w;
	struct logline l;

	if (x->ch.changed && log_begin(&l, RW_LOG_INFO, "runner registration changed")) {
		log_int(&l, "runner_id", x->id);
		log_str(&l, "runner", x->name ? x->name : "");
		log_str(&l, "from", store_runner_status_name(x->ch.from));
		log_str(&l, "to", store_runner_status_name(x->to));
		log_str(&l, "by", call_is_admin(&w->c) ? "admin" : "operator");
		log_end(&l);
	}
	if (x->ch.waived && log_begin(&l, RW_LOG_INFO, "runner probation waived")) {
		log_int(&l, "runner_id", x->id);
		log_str(&l, "runner", x->name ? x->name : "");
		log_str(&l, "by", "admin");
		log_end(&l);
	}
	runner_write_release(w);
}

static int runner_status(struct call *c, struct store_runner *sr, int to)
{
	struct req_approve ap = {.probation = true};
	struct runner_write *x;

	/* The daemon retires a member once it has been gone from GitHub long
	 * enough; retired by hand, it would come back at the next poll as a new
	 * member. */
	if (to == STORE_RUNNER_RETIRED && store_runner_is_member(sr) &&
	    sr->status != STORE_RUNNER_RETIRED)
		return call_problem(c, 409, "id",
		                    "runner %s is a member of GitHub pool %s, which the daemon "
		                    "manages: it is retired when it has been gone from GitHub for "
		                    "the policy's retention; remove the runner or its labels on "
		                    "GitHub, or retire the pool",
		                    sr->name, sr->pool_name ? sr->pool_name : "-");
	if (to == STORE_RUNNER_APPROVED && c->req->entity.len > 0) {
		struct reqbody_error e = {0};
		cJSON *o;
		if (call_body(c, reqbody_approve_fields, true, &o) < 0)
			return 0;
		if (reqbody_approve(o, &ap, &e) < 0) {
			cJSON_Delete(o);
			return call_problem(c, e.status, e.field, "%s", e.detail);
		}
		cJSON_Delete(o);
	}
	x = call_write_new(c, sizeof(*x), status_work, status_answer);
	if (!x)
		return 0;
	x->id = sr->id;
	x->to = to;
	x->no_probation = !ap.probation;
	x->name = strdup(sr->name);
	x->w.registry = true;
	x->w.release = status_done_log;
	return call_write_start(&x->w);
}

static int heartbeat(struct call *c, int64_t id)
{
	struct req_heartbeat hb;
	struct reqbody_error e = {0};
	struct runner *r;
	struct strbuf b;
	cJSON *o;
	int rc;

	if (c->who.kind != PRINCIPAL_RUNNER) {
		struct store_runner sr;
		if (call_load_runner(c, id, "id", &sr) < 0)
			return 0; /* not the caller's runner: 404 */
		store_runner_deinit(&sr);
		return call_problem(c, 403, NULL,
		                    "heartbeats are sent with the runner's own heartbeat token");
	}
	if (c->who.runner_id != id)
		return call_problem(c, 404, "id", "no runner %" PRId64 " that this token may see",
		                    id);
	if (call_rate_limit(c) < 0 || call_body(c, reqbody_heartbeat_fields, true, &o) < 0)
		return 0;
	rc = reqbody_heartbeat(o, &hb, &e);
	if (rc < 0) {
		cJSON_Delete(o);
		return call_problem(c, e.status, e.field, "%s", e.detail);
	}
	r = fleet_find(c->x->fleet, id);
	if (!r) {
		cJSON_Delete(o);
		return call_problem(c, 409, "id", "runner %" PRId64 " is retired", id);
	}
	fleet_heartbeat(c->x->fleet, r, c->now, hb.busy, hb.version, hb.jobs_running);
	cJSON_Delete(o);
	c->x->m->heartbeats++;
	strbuf_init(&b);
	strbuf_printf(&b,
	              "{\"id\":%" PRId64 ",\"state\":\"%s\",\"status\":\"%s\",\"next_before\":", id,
	              rw_state_name(runner_state(r)), store_runner_status_name(r->status));
	answer_json_time(&b, r->last_heartbeat_ms + r->params.interval_ms + r->grace_ms);
	strbuf_puts(&b, "}\n");
	return answer_json(c->api, c->req, 200, &b);
}

/* /v1/runners and /v1/runners/{id}[/...]. */
int api_runners(struct call *c, enum method m)
{
	struct store_runner sr;
	int64_t id;
	int rc = 0;

	if (c->nseg == 1 && c->who.kind == PRINCIPAL_RUNNER)
		return call_problem(c, 403, NULL,
		                    "a heartbeat token is good only for POST "
		                    "/v1/runners/{id}/heartbeat");
	if (c->nseg == 1) {
		if (m == M_POST)
			return runners_post(c);
		if (m == M_GET)
			return runners_get(c);
		return call_problem(c, 405, NULL, "use GET or POST /v1/runners");
	}
	id = call_seg_id(c, 1);
	if (id == 0)
		return call_problem(c, 400, "id", "a runner id is a positive integer");
	if (c->nseg == 3 && call_seg_is(c, 2, "heartbeat") && m == M_POST)
		return heartbeat(c, id);
	if (c->who.kind == PRINCIPAL_RUNNER)
		return call_problem(c, 403, NULL,
		                    "a heartbeat token is good only for POST "
		                    "/v1/runners/{id}/heartbeat");
	if (m != M_GET && call_rate_limit(c) < 0)
		return 0;
	if (call_load_runner(c, id, "id", &sr) < 0)
		return 0;
	if (c->nseg == 2 && m == M_GET)
		rc = send_runner(c, 200, &sr);
	else if (c->nseg == 2 && m == M_PATCH)
		rc = runner_patch(c, &sr);
	else if (c->nseg == 2 && m == M_DELETE)
		rc = runner_status(c, &sr, STORE_RUNNER_RETIRED);
	else if (c->nseg == 3 && m == M_POST &&
	         (call_seg_is(c, 2, "approve") || call_seg_is(c, 2, "retire")))
		rc = !call_is_admin(c)
		             ? call_problem(c, 403, NULL,
		                            "only the admin approves and retires runners; an "
		                            "operator withdraws its own with DELETE")
		             : runner_status(c, &sr,
		                             call_seg_is(c, 2, "approve") ? STORE_RUNNER_APPROVED
		                                                          : STORE_RUNNER_RETIRED);
	else if (c->nseg == 3 && m == M_GET && call_seg_is(c, 2, "availability"))
		rc = api_availability(c->api, c->req, &sr); /* retired ones too, to retirement */
	else if (c->nseg >= 3 && call_seg_is(c, 2, "maintenance"))
		rc = api_maintenance(c, m, &sr);
	else
		rc = call_problem(c, 404, NULL, "no such endpoint (see contrib/openapi.yaml)");
	store_runner_deinit(&sr);
	return rc;
}
