/* SPDX-License-Identifier: MIT */
/*
 * api_github.c — POST /v1/github/webhook: GitHub's webhook deliveries of
 * `workflow_job` (and `ping`), the evidence of a pool of ephemeral runners
 * (policy/pickup.h).
 *
 * The steps, in this order, and nothing changes before the last:
 *   1. the endpoint exists only when the config names
 *      github.webhook_secret_file (else 404, saying so);
 *   2. the body is at most h2o's cap on every request, 4 × REQBODY_MAX
 *      (256 KiB): GitHub's workflow_job payloads run to tens of KiB, more
 *      than the operator API's 64 KiB bodies;
 *   3. X-Hub-Signature-256 must be "sha256=" and the HMAC-SHA256 of the raw
 *      body with the secret, compared in constant time (CRYPTO_memcmp):
 *      else 401, and the delivery is not looked at;
 *   4. X-GitHub-Delivery is required (400);
 *   5. X-GitHub-Event: `ping` and other events answer 204 and are counted
 *      as ignored; `workflow_job` is parsed (400 naming the member when it
 *      is not GitHub's shape) and handed to the daemon, which merges it into
 *      the stored job and judges the pools it matches; 204 once stored;
 *   6. the delivery id is then taken: one seen before is counted as a
 *      duplicate (its merge changed nothing).
 * Every delivery is counted by result in /metrics.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/answer.h"
#include "monitor/api/api_impl.h"
#include "monitor/api/call.h"
#include "monitor/core/clock.h"
#include "monitor/core/metrics.h"
#include "monitor/store/store.h"
#include "policy/base/hex.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"

static int count(struct api *api, enum metrics_gh_delivery what)
{
	api->x.m->github_deliveries[what]++;
	return 0;
}

/* The value of request header @p name, or NULL. */
static const char *header(h2o_req_t *req, const char *name, size_t *len)
{
	ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);

	if (i < 0)
		return NULL;
	*len = req->headers.entries[i].value.len;
	return req->headers.entries[i].value.base;
}

static bool signature_ok(const struct api_ctx *x, h2o_req_t *req)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char want[HEX_SIZE(EVP_MAX_MD_SIZE)];
	size_t len = 0;
	const char *sig = header(req, "x-hub-signature-256", &len);

	if (!sig || len < 7 || memcmp(sig, "sha256=", 7) != 0)
		return false;
	if (!HMAC(EVP_sha256(), x->github_webhook_secret, (int)strlen(x->github_webhook_secret),
	          (const unsigned char *)req->entity.base, req->entity.len, mac, &maclen))
		return false;
	hex_encode(mac, maclen, want);
	/* GitHub writes lower-case hex; compare the whole value in constant time. */
	return len - 7 == 2 * (size_t)maclen && CRYPTO_memcmp(sig + 7, want, len - 7) == 0;
}

/* A string member, or NULL. */
static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A time member: RFC 3339, or null/absent (0). @return 0 or RW_EINVAL. */
static int when(const cJSON *o, const char *k, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	*out = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	return cJSON_IsString(v) && rfc3339_parse(v->valuestring, out) == 0 ? 0 : RW_EINVAL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The workflow_job payload into @p j (strings borrowed from @p doc, labels
 * lower-cased into @p lab). @return 0, or RW_EINVAL with @p field naming the
 * member at fault.
 */
static int parse_job(const cJSON *doc, struct store_github_job *j, char **lab, size_t lab_max,
                     const char **field)
{
	const cJSON *wj = cJSON_GetObjectItemCaseSensitive(doc, "workflow_job");
	const cJSON *repo = cJSON_GetObjectItemCaseSensitive(doc, "repository");
	const cJSON *id, *run, *labels, *l;
	const char *action = str(doc, "action");

	memset(j, 0, sizeof(*j));
	*field = "workflow_job";
	if (!cJSON_IsObject(wj))
		return RW_EINVAL;
	id = cJSON_GetObjectItemCaseSensitive(wj, "id");
	*field = "workflow_job.id";
	if (!cJSON_IsNumber(id) || id->valuedouble < 1 || id->valuedouble > 9e15)
		return RW_EINVAL;
	j->id = (int64_t)id->valuedouble;
	run = cJSON_GetObjectItemCaseSensitive(wj, "run_id");
	j->run_id = cJSON_IsNumber(run) ? (int64_t)run->valuedouble : 0;
	j->name = (char *)str(wj, "name");
	j->repo = (char *)str(repo, "full_name");
	*field = "repository.full_name";
	if (!j->repo)
		return RW_EINVAL;
	*field = "action";
	j->status = store_github_job_status_code(action ? action : "");
	if (j->status <= 0)
		return RW_EINVAL;
	j->conclusion = (char *)str(wj, "conclusion");
	j->runner_name = (char *)str(wj, "runner_name");
	*field = "workflow_job.created_at";
	if (when(wj, "created_at", &j->queued_ms) < 0 || j->queued_ms <= 0)
		return RW_EINVAL;
	*field = "workflow_job.started_at";
	if (when(wj, "started_at", &j->started_ms) < 0)
		return RW_EINVAL;
	*field = "workflow_job.completed_at";
	if (when(wj, "completed_at", &j->completed_ms) < 0)
		return RW_EINVAL;
	labels = cJSON_GetObjectItemCaseSensitive(wj, "labels");
	*field = "workflow_job.labels";
	if (!cJSON_IsArray(labels))
		return RW_EINVAL;
	j->labels = lab;
	cJSON_ArrayForEach(l, labels)
	{
		if (!cJSON_IsString(l) || j->n_labels == lab_max)
			return RW_EINVAL;
		lab[j->n_labels++] = l->valuestring;
	}
	/* GitHub compares labels without case: keep them lower-cased, sorted. */
	for (size_t i = 0; i < j->n_labels; i++)
		for (char *p = lab[i]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	qsort(lab, j->n_labels, sizeof(*lab), cmp_str);
	return 0;
}

/*
 * A delivery, taken on the writer's thread: a workflow_job is merged first
 * and the delivery id taken after, so that a failure leaves it new for a
 * redelivery; merging a duplicate again changes nothing
 * (store_github_job_upsert() never moves a job backwards).
 */
struct delivery_write {
	struct call_write w;
	char guid[128];
	bool is_job;
	cJSON *doc; /* owns what j points to */
	char *labels[64];
	struct store_github_job j;
	struct store_github_job merged; /* the job as stored */
	bool stored, dup;
};

static int delivery_work(struct store *st, struct call_write *w)
{
	struct delivery_write *x = (struct delivery_write *)w;
	int rc = 0;

	if (x->is_job) {
		store_github_job_deinit(&x->merged);
		memset(&x->merged, 0, sizeof(x->merged));
		rc = store_github_job_upsert(st, &x->j, &x->merged);
	}
	if (rc == 0)
		rc = store_github_delivery_seen(st, x->guid, w->c.now, &x->dup);
	x->stored = rc == 0;
	return rc;
}

static void delivery_answer(struct call *c, struct call_write *w, int rc)
{
	struct delivery_write *x = (struct delivery_write *)w;

	if (rc < 0) {
		answer_problem(c->api, c->req, 503, "Service Unavailable", NULL,
		               x->is_job ? "the job could not be stored; redeliver it"
		                         : "the delivery could not be recorded; redeliver it");
		return;
	}
	answer_no_content(c->req);
}

/* Counted, and a job judged, whether or not GitHub still waits. */
static void delivery_release(struct call_write *w)
{
	struct delivery_write *x = (struct delivery_write *)w;
	struct api *api = w->c.api;

	if (x->stored) {
		count(api, x->dup      ? METRICS_GH_DUPLICATE
		           : x->is_job ? METRICS_GH_ACCEPTED
		                       : METRICS_GH_IGNORED);
		/* Stopping: the job is stored, and loaded at the next start. */
		if (x->is_job && api->state == API_OPEN &&
		    api->x.github_job(api->x.owner, &x->merged) == 0)
			memset(&x->merged, 0, sizeof(x->merged)); /* the daemon's now */
	}
	store_github_job_deinit(&x->merged);
	cJSON_Delete(x->doc);
}

int api_github_webhook(struct api *api, h2o_req_t *req)
{
	const struct api_ctx *x = &api->x;
	struct delivery_write *dw;
	const char *v, *field = NULL;
	size_t len = 0;
	struct call c;
	int rc;

	if (!x->github_webhook_secret || !x->github_job)
		return answer_problem(
		        api, req, 404, "Not Found", NULL,
		        "GitHub webhooks are off: set github.webhook_secret_file in the "
		        "config to receive workflow_job deliveries");
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
		return answer_problem(api, req, 405, "Method Not Allowed", NULL,
		                      "GitHub posts its deliveries here");
	if (!signature_ok(x, req)) {
		count(api, METRICS_GH_BAD_SIGNATURE);
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		               H2O_STRLIT("X-Hub-Signature-256 realm=\"github-webhook\""));
		return answer_problem(
		        api, req, 401, "Unauthorized", "X-Hub-Signature-256",
		        "missing or wrong signature: the webhook's secret must be the "
		        "one in github.webhook_secret_file");
	}
	v = header(req, "x-github-delivery", &len);
	if (!v || len == 0 || len >= sizeof(dw->guid)) {
		count(api, METRICS_GH_INVALID);
		return answer_problem(api, req, 400, "Bad Request", "X-GitHub-Delivery",
		                      "a delivery needs its X-GitHub-Delivery id");
	}
	memset(&c, 0, sizeof(c));
	c.api = api;
	c.x = x;
	c.req = req;
	c.now = clock_now_ms(x->clock);
	dw = call_write_new(&c, sizeof(*dw), delivery_work, delivery_answer);
	if (!dw)
		return 0;
	dw->w.release = delivery_release;
	snprintf(dw->guid, sizeof(dw->guid), "%.*s", (int)len, v);
	v = header(req, "x-github-event", &len);
	/* ping, and events this endpoint does not use, are only taken. */
	dw->is_job = v && len == 12 && memcmp(v, "workflow_job", 12) == 0;
	if (dw->is_job) {
		dw->doc = cJSON_ParseWithLength(req->entity.base, req->entity.len);
		rc = dw->doc ? parse_job(dw->doc, &dw->j, dw->labels,
		                         sizeof(dw->labels) / sizeof(dw->labels[0]), &field)
		             : RW_EINVAL;
		if (rc < 0) {
			count(api, METRICS_GH_INVALID);
			answer_problem(api, req, 400, "Bad Request", dw->doc ? field : NULL,
			               dw->doc ? "not a workflow_job delivery as GitHub sends it"
			                       : "the body is not JSON");
			delivery_release(&dw->w);
			free(dw);
			return 0;
		}
		dw->j.updated_ms = c.now;
	}
	return call_write_start(&dw->w);
}
