/* SPDX-License-Identifier: MIT */
/* reqbody.c — request bodies of the HTTP API; see reqbody.h. */
#include "monitor/api/reqbody.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/intake/maintenance_spec.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/json_scan.h"

const char *const reqbody_operator_fields[] = {"name", "email", NULL};
const char *const reqbody_token_fields[] = {"expires", NULL};
const char *const reqbody_runner_fields[] = {
        "name",   "targets",    "labels",          "url", "mode", "interval_s", "timeout_ms",
        "github", "min_online", "pickup_within_s", NULL};
const char *const reqbody_heartbeat_fields[] = {"busy", "version", "jobs_running", NULL};
const char *const reqbody_maintenance_fields[] = {"from", "to", "reason", NULL};
const char *const reqbody_note_fields[] = {"note", NULL};
const char *const reqbody_approve_fields[] = {"probation", NULL};

#define VERSION_MAX 128 /* bytes of a heartbeat's "version" */

static int fail(struct reqbody_error *err, int status, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct reqbody_error *err, int status, const char *field, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return RW_EINVAL;
}

/* A member name for a message: printable ASCII only, shortened; the empty
 * name is shown as "(empty name)" so that "" keeps meaning the whole body. */
static const char *shown(const char *s, char *out, size_t outlen)
{
	size_t j = 0;

	if (!*s) {
		snprintf(out, outlen, "(empty name)");
		return out;
	}

	for (const unsigned char *p = (const unsigned char *)s; *p && j + 1 < outlen; p++)
		out[j++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
	out[j] = '\0';
	return out;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Refuses duplicate member names in @p o and every object below it. Sorting
 * keeps a body of many members O(n log n), not O(n^2). */
static int check_duplicates(const cJSON *o, struct reqbody_error *err)
{
	const cJSON *c;
	const cJSON **v;
	size_t n = 0, i = 0;
	int rc = 0;

	for (c = o->child; c; c = c->next) {
		n++;
		if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
			rc = check_duplicates(c, err);
			if (rc < 0)
				return rc;
		}
	}
	if (!cJSON_IsObject(o) || n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return RW_ENOMEM;
	for (c = o->child; c; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cmp_names);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->string, v[i]->string) == 0) {
			char name[48];
			shown(v[i]->string, name, sizeof(name));
			rc = fail(err, 400, name, "%s: the member is given twice; give it once",
			          name);
			break;
		}
	}
	free(v);
	return rc;
}

int reqbody_parse(const char *body, size_t len, const char *const *allowed, bool empty_ok,
                  cJSON **out, struct reqbody_error *err)
{
	struct json_scan_error se;
	size_t root;
	cJSON *o;
	int rc;

	*out = NULL;
	if (len > REQBODY_MAX)
		return fail(err, 413, "", "the body is %zu bytes; at most %d are accepted", len,
		            REQBODY_MAX);
	if (len == 0 || !body) {
		if (!empty_ok)
			return fail(err, 400, "",
			            "the body is empty; send a JSON object "
			            "(Content-Type: application/json)");
		o = cJSON_CreateObject();
		if (!o)
			return RW_ENOMEM;
		*out = o;
		return 0;
	}
	if (!json_scan_check(body, len, &root, &se))
		return fail(err, 400, "", "the body is not a JSON object: at byte %zu: %s", se.pos,
		            se.msg);
	o = cJSON_ParseWithLength(body, len);
	if (!o)
		return RW_ENOMEM; /* json_scan_check() accepted it: only memory can fail */
	rc = check_duplicates(o, err);
	if (rc < 0) {
		cJSON_Delete(o);
		return rc;
	}
	for (const cJSON *c = o->child; c; c = c->next) {
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], c->string) == 0)
				break;
		if (!allowed[i]) {
			char name[48], list[200];
			size_t j = 0;
			for (i = 0; allowed[i] && j + 2 < sizeof(list); i++)
				j += (size_t)snprintf(list + j, sizeof(list) - j, "%s%s",
				                      i ? ", " : "", allowed[i]);
			shown(c->string, name, sizeof(name));
			cJSON_Delete(o);
			return fail(err, 400, name, "%s: unknown member; the members are: %s", name,
			            i ? list : "(none)");
		}
	}
	*out = o;
	return 0;
}

/* ---- typed members ------------------------------------------------------ */

/* A string member; absent is NULL, or an error when @p required. */
static int get_str(const cJSON *o, const char *field, bool required, const char **out,
                   struct reqbody_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	*out = NULL;
	if (!v) {
		if (required)
			return fail(err, 400, field, "%s: missing; it is required", field);
		return 0;
	}
	if (!cJSON_IsString(v))
		return fail(err, 400, field, "%s: must be a string", field);
	*out = v->valuestring;
	return 0;
}

/* An integer member in [lo, hi]; absent leaves *out alone. */
static int get_int(const cJSON *o, const char *field, long lo, long hi, long *out,
                   struct reqbody_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble))
		return fail(err, 400, field, "%s: must be a whole number", field);
	if (v->valuedouble < (double)lo || v->valuedouble > (double)hi)
		return fail(err, 400, field, "%s: %.0f is not in [%ld, %ld]", field, v->valuedouble,
		            lo, hi);
	*out = (long)v->valuedouble;
	return 0;
}

/* An RFC 3339 time member. */
static int get_time(const cJSON *o, const char *field, bool required, int64_t *out,
                    struct reqbody_error *err)
{
	const char *s;
	int rc = get_str(o, field, required, &s, err);

	if (rc < 0 || !s)
		return rc;
	if (rfc3339_parse(s, out) < 0)
		return fail(err, 400, field,
		            "%s: not an RFC 3339 time in UTC or with an offset, e.g. "
		            "2026-12-01T08:00:00Z",
		            field);
	return 0;
}

/* Turns a validator's "field: message" into an error naming @p field. */
static int spec_fail(struct reqbody_error *err, const char *field, const char *msg)
{
	return fail(err, 400, field, "%s", msg);
}

int reqbody_operator(const cJSON *o, struct req_operator *out, struct reqbody_error *err)
{
	char msg[300];

	memset(out, 0, sizeof(*out));
	if (get_str(o, "name", true, &out->name, err) < 0 ||
	    get_str(o, "email", true, &out->email, err) < 0)
		return RW_EINVAL;
	if (spec_check_name("name", out->name, msg, sizeof(msg)) < 0)
		return spec_fail(err, "name", msg);
	if (spec_check_email(out->email, msg, sizeof(msg)) < 0)
		return spec_fail(err, "email", msg);
	return 0;
}

int reqbody_token(const cJSON *o, int64_t now_ms, struct req_token *out, struct reqbody_error *err)
{
	memset(out, 0, sizeof(*out));
	if (get_time(o, "expires", false, &out->expires_ms, err) < 0)
		return RW_EINVAL;
	if (cJSON_GetObjectItemCaseSensitive(o, "expires") && out->expires_ms <= now_ms)
		return fail(err, 400, "expires", "expires: must be in the future");
	return 0;
}

/* "targets" (or "labels"): an array of at most RUNNER_SPEC_MAX_TARGETS
 * strings, not checked further. */
static int get_strings(const cJSON *o, const char *name, const char **list, size_t *n,
                       struct reqbody_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	const cJSON *c;
	bool labels = strcmp(name, "labels") == 0;
	size_t i = 0;

	if (!cJSON_IsArray(v))
		return fail(err, 400, name, "%s: must be an array of %s", name,
		            labels ? "0 to 16 runs-on labels, e.g. [\"self-hosted\", \"riscv64\"]"
		                   : "1 to 16 target triples, e.g. "
		                     "[\"riscv64gc-unknown-linux-gnu\"]");
	cJSON_ArrayForEach(c, v)
	{
		char field[32];
		snprintf(field, sizeof(field), "%s[%zu]", name, i);
		if (!cJSON_IsString(c))
			return fail(err, 400, field, "%s: must be a string", field);
		if (i == RUNNER_SPEC_MAX_TARGETS)
			return fail(err, 400, name, "%s: at most %d", name,
			            RUNNER_SPEC_MAX_TARGETS);
		list[i++] = c->valuestring;
	}
	*n = i;
	return 0;
}

/* get_strings(), checked by the CLI's validator. */
static int get_list(const cJSON *o, const char *name, const char **list, size_t *n,
                    struct reqbody_error *err)
{
	bool labels = strcmp(name, "labels") == 0;
	char msg[300];

	if (get_strings(o, name, list, n, err) < 0)
		return RW_EINVAL;
	if ((labels ? spec_check_labels(list, *n, msg, sizeof(msg))
	            : spec_check_targets(list, *n, msg, sizeof(msg))) < 0)
		return spec_fail(err, name, msg);
	return 0;
}

/* The members only a GitHub pool has. */
static const char *const pool_only[] = {"github", "min_online", "pickup_within_s", NULL};

/* POST /v1/runners with "mode": "github", after "name" and "mode". */
static int github_pool(const cJSON *o, struct req_runner *out, struct reqbody_error *err)
{
	struct spec_github g;
	const char *field;
	char msg[300];

	if (cJSON_GetObjectItemCaseSensitive(o, "url"))
		return fail(err, 400, "url",
		            "url: a GitHub pool has no URL (GitHub says whether its runners are "
		            "online); give either \"url\" or \"mode\": \"github\"");
	if (get_list(o, "targets", out->targets, &out->n_targets, err) < 0 ||
	    get_str(o, "github", true, &out->source, err) < 0)
		return RW_EINVAL;
	memset(&g, 0, sizeof(g));
	g.source = out->source;
	/* The labels' own rule is the pool's (at least one, case-blind), so
	 * they are read here without spec_check_labels(). */
	if (!cJSON_GetObjectItemCaseSensitive(o, "labels"))
		return fail(err, 400, "labels",
		            "labels: missing; a GitHub pool needs at least one runs-on label, e.g. "
		            "[\"self-hosted\"]");
	if (get_strings(o, "labels", out->labels, &out->n_labels, err) < 0)
		return RW_EINVAL;
	out->has_labels = true;
	g.labels = out->labels;
	g.n_labels = out->n_labels;
	g.has_min_online = cJSON_GetObjectItemCaseSensitive(o, "min_online") != NULL;
	g.has_pickup = cJSON_GetObjectItemCaseSensitive(o, "pickup_within_s") != NULL;
	/* Whole numbers in int's range here; the pool's rule checks the rest. A
	 * pool has no interval or timeout: given at all, the rule refuses them. */
	if (get_int(o, "min_online", INT_MIN, INT_MAX, &g.min_online, err) < 0 ||
	    get_int(o, "pickup_within_s", INT_MIN, INT_MAX, &g.pickup_within_s, err) < 0)
		return RW_EINVAL;
	g.interval_s = cJSON_GetObjectItemCaseSensitive(o, "interval_s") ? -1 : 0;
	g.timeout_ms = cJSON_GetObjectItemCaseSensitive(o, "timeout_ms") ? -1 : 0;
	if (spec_check_github_pool(&g, &spec_github_members, &field, msg, sizeof(msg)) < 0)
		return spec_fail(err, field, msg);
	out->min_online = g.min_online;
	out->pickup_within_s = g.pickup_within_s;
	return 0;
}

int reqbody_runner(const cJSON *o, bool patch, struct req_runner *out, struct reqbody_error *err)
{
	const char *mode;
	char msg[300];

	memset(out, 0, sizeof(*out));
	out->interval_s = patch ? -1 : 0;
	out->timeout_ms = patch ? -1 : 0;
	if (patch) {
		if (!o->child)
			return fail(err, 400, "",
			            "nothing to change; give one or more of: targets, labels, "
			            "url, interval_s, timeout_ms");
		if (cJSON_GetObjectItemCaseSensitive(o, "name"))
			return fail(err, 400, "name",
			            "name: a runner's name cannot change; register a new runner");
		if (cJSON_GetObjectItemCaseSensitive(o, "mode"))
			return fail(err, 400, "mode",
			            "mode: a runner's mode cannot change; register a new runner");
		for (const char *const *g = pool_only; *g; g++)
			if (cJSON_GetObjectItemCaseSensitive(o, *g))
				return fail(err, 400, *g,
				            "%s: a GitHub pool's %s cannot change; register a new "
				            "pool and retire this one",
				            *g, strcmp(*g, "github") == 0 ? "source" : *g);
	} else {
		if (get_str(o, "name", true, &out->name, err) < 0)
			return RW_EINVAL;
		if (spec_check_name("name", out->name, msg, sizeof(msg)) < 0)
			return spec_fail(err, "name", msg);
		if (get_str(o, "mode", false, &mode, err) < 0)
			return RW_EINVAL;
		if (mode && strcmp(mode, "push") != 0 && strcmp(mode, "http") != 0 &&
		    strcmp(mode, "github") != 0)
			return fail(err, 400, "mode",
			            "mode: must be \"http\" (probed at \"url\", the default), "
			            "\"push\" (the runner posts heartbeats) or \"github\" (a pool "
			            "of GitHub self-hosted runners, with \"github\" and "
			            "\"labels\")");
		out->push = mode && strcmp(mode, "push") == 0;
		out->github = mode && strcmp(mode, "github") == 0;
		if (out->github)
			return github_pool(o, out, err);
		for (const char *const *g = pool_only; *g; g++)
			if (cJSON_GetObjectItemCaseSensitive(o, *g))
				return fail(
				        err, 400, *g,
				        "%s: only a GitHub pool has it; add \"mode\": \"github\" "
				        "or leave %s out",
				        *g, *g);
	}
	if ((!patch || cJSON_GetObjectItemCaseSensitive(o, "targets")) &&
	    get_list(o, "targets", out->targets, &out->n_targets, err) < 0)
		return RW_EINVAL;
	out->has_labels = cJSON_GetObjectItemCaseSensitive(o, "labels") != NULL;
	if (out->has_labels && get_list(o, "labels", out->labels, &out->n_labels, err) < 0)
		return RW_EINVAL;
	if (get_str(o, "url", !patch && !out->push, &out->url, err) < 0)
		return RW_EINVAL;
	if (out->push && out->url)
		return fail(err, 400, "url",
		            "url: a push runner has no URL; give either \"url\" or "
		            "\"mode\": \"push\"");
	if (out->url && spec_check_url(out->url, msg, sizeof(msg)) < 0)
		return spec_fail(err, "url", msg);
	if (get_int(o, "interval_s", 1, 86400, &out->interval_s, err) < 0 ||
	    get_int(o, "timeout_ms", 100, 86400000, &out->timeout_ms, err) < 0)
		return RW_EINVAL;
	return 0;
}

int reqbody_heartbeat(const cJSON *o, struct req_heartbeat *out, struct reqbody_error *err)
{
	const cJSON *busy = cJSON_GetObjectItemCaseSensitive(o, "busy");

	memset(out, 0, sizeof(*out));
	out->jobs_running = -1;
	if (busy && !cJSON_IsBool(busy))
		return fail(err, 400, "busy", "busy: must be true or false");
	out->busy = cJSON_IsTrue(busy);
	if (get_str(o, "version", false, &out->version, err) < 0)
		return RW_EINVAL;
	if (out->version) {
		char msg[300];
		if (strlen(out->version) > VERSION_MAX)
			return fail(err, 400, "version", "version: at most %d bytes", VERSION_MAX);
		if (spec_check_reason(out->version, msg, sizeof(msg)) < 0)
			return fail(err, 400, "version",
			            "version: must be printable text without control characters");
	}
	return get_int(o, "jobs_running", 0, 1000000, &out->jobs_running, err);
}

int reqbody_maintenance(const cJSON *o, int64_t now_ms, struct req_maintenance *out,
                        struct reqbody_error *err)
{
	char msg[300];

	memset(out, 0, sizeof(*out));
	if (get_time(o, "from", true, &out->from_ms, err) < 0 ||
	    get_time(o, "to", true, &out->to_ms, err) < 0 ||
	    get_str(o, "reason", true, &out->reason, err) < 0)
		return RW_EINVAL;
	if (spec_check_maintenance(out->from_ms, out->to_ms, now_ms, msg, sizeof(msg)) < 0)
		return spec_fail(err, strncmp(msg, "from", 4) == 0 ? "from" : "to", msg);
	if (spec_check_reason(out->reason, msg, sizeof(msg)) < 0)
		return spec_fail(err, "reason", msg);
	return 0;
}

int reqbody_note(const cJSON *o, bool required, struct req_note *out, struct reqbody_error *err)
{
	char msg[300];

	memset(out, 0, sizeof(*out));
	if (get_str(o, "note", required, &out->note, err) < 0)
		return RW_EINVAL;
	if (out->note && spec_check_reason(out->note, msg, sizeof(msg)) < 0)
		return fail(err, 400, "note", "note%s", msg + strcspn(msg, ":"));
	return 0;
}

int reqbody_approve(const cJSON *o, struct req_approve *out, struct reqbody_error *err)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "probation") : NULL;

	out->probation = true;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return fail(err, 400, "probation",
		            "probation: must be true (the default) or false (no probation: "
		            "eligible as soon as it is up)");
	out->probation = cJSON_IsTrue(v);
	return 0;
}
