/* SPDX-License-Identifier: MIT */
/*
 * notify_zulip.c — the Zulip sink: one short stream message per event
 * people care about, posted with Zulip's REST API (POST SITE/api/v1/messages,
 * HTTP basic auth bot_email:api_key, form fields type=stream, to, topic,
 * content), through notify.c's machine (in order, at least once, retried,
 * resumed after a restart).
 *
 * Events posted: "down", "up", "flagged", "unflagged", "pool_below_min",
 * "pool_restored", "incident_acknowledged", "incident_mitigated". Not
 * posted (the cursor moves past them): a GitHub pool member going down
 * because GitHub no longer lists it (class "gone": ephemeral runners come
 * and go; the pool's own minimum is what matters), and an event whose
 * runner no longer exists.
 *
 * The topic is config's zulip.topic with {target} (the runner's first
 * target, or the pool's target) and {runner} substituted, cut to Zulip's
 * 60 characters. Messages are Zulip Markdown: names and notes go into code
 * spans (notify_put_code()), so that nothing from a runner or an operator
 * is read as Markdown or mentions anyone. A 2xx answer whose JSON says
 * "result": "success" is a delivery; anything else is retried, its "msg"
 * logged.
 *
 * Zulip's site is an administrator's setting, like the config itself: the
 * probe address guard does not apply to it (a Zulip server on a private
 * address needs no allow_cidrs); redirects are not followed.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/notify/notify_impl.h"
#include "policy/base/duration.h"
#include "policy/base/rw_error.h"

#define ZULIP_TOPIC_MAX  60          /* characters, Zulip's limit */
#define ZULIP_ANSWER_MAX (64 * 1024) /* bytes of an answer kept */
#define NOTE_MAX         300

struct zulip {
	const struct rw_zulip_cfg *cfg;
	const char *public_url;
	char url[URL_MAX + 32];
	char *form;           /* the loaded message's form body */
	struct strbuf answer; /* what Zulip answered */
};

static const char *const zulip_kinds[] = {
        "down",
        "up",
        "flagged",
        "unflagged",
        "pool_below_min",
        "pool_restored",
        "incident_acknowledged",
        "incident_mitigated",
        NULL,
};

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* "`r1` (operator `acme`)", or "GitHub pool `p`" for a pool. */
static void put_runner(struct strbuf *b, const struct store_runner *r)
{
	if (store_runner_is_pool(r))
		strbuf_puts(b, "GitHub pool ");
	notify_put_code(b, r->name, 200);
	strbuf_puts(b, " (operator ");
	notify_put_code(b, r->operator_name, 100);
	strbuf_puts(b, ")");
}

/* The content of @p e's message, and the {target} and {runner} of its
 * topic. @return 1, NOTIFY_SKIP, or RW_E*. */
static int render(struct sink *s, const struct store_event *e, struct strbuf *b, char *target,
                  size_t tlen, char *runner, size_t rlen)
{
	struct store *st = s->st;
	struct store_runner r;
	cJSON *d = cJSON_Parse(e->data ? e->data : "{}");
	char when[48], buf[64], dur[DURATION_SIZE];
	const char *cls;
	bool have_runner = false;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	if (!d)
		return RW_EINVAL;
	if (e->runner_id > 0) {
		rc = store_runner_get(st, NULL, e->runner_id, &r);
		if (rc == RW_ENOENT) {
			cJSON_Delete(d);
			return NOTIFY_SKIP;
		}
		if (rc < 0) {
			cJSON_Delete(d);
			return rc;
		}
		rc = 1;
		have_runner = true;
		snprintf(target, tlen, "%s", r.n_targets ? r.targets[0] : "runners");
		snprintf(runner, rlen, "%s", r.name);
	} else {
		snprintf(target, tlen, "%s", jstr(d, "target") ? jstr(d, "target") : "pools");
		snprintf(runner, rlen, "%s", target);
	}
	notify_time(e->at_ms, when, sizeof(when));
	if (strcmp(e->kind, "down") == 0 && have_runner) {
		cls = jstr(d, "class");
		if (store_runner_is_member(&r) && cls && strcmp(cls, "gone") == 0) {
			rc = NOTIFY_SKIP;
			goto out;
		}
		put_runner(b, &r);
		strbuf_printf(b, " is **down** since %s", when);
		if (cls)
			strbuf_printf(b, ": %s, %s", cls,
			              notify_class_text(cls, (long)jnum(d, "http_status"), buf,
			                                sizeof(buf)));
		strbuf_puts(b, ".");
	} else if (strcmp(e->kind, "up") == 0 && have_runner) {
		duration_format((int64_t)jnum(d, "down_ms"), dur, sizeof(dur));
		put_runner(b, &r);
		strbuf_printf(b, " is **back up** since %s, after %s down.", when, dur);
	} else if ((strcmp(e->kind, "flagged") == 0 || strcmp(e->kind, "unflagged") == 0) &&
	           have_runner) {
		bool flagged = e->kind[0] == 'f';
		put_runner(b, &r);
		if (flagged)
			strbuf_printf(
			        b,
			        " is **flagged**: its uptime over the rolling window, %.4f %%, "
			        "is below its floor, %.4f %%; it takes no jobs until it is "
			        "unflagged.",
			        jnum(d, "uptime") * 100, jnum(d, "threshold") * 100);
		else
			strbuf_printf(b,
			              " is **unflagged**: its uptime over the rolling window is "
			              "%.4f %% (at least %.4f %%); it may take jobs again.",
			              jnum(d, "uptime") * 100, jnum(d, "threshold") * 100);
	} else if (strcmp(e->kind, "pool_below_min") == 0 ||
	           strcmp(e->kind, "pool_restored") == 0) {
		bool below = strcmp(e->kind, "pool_below_min") == 0;
		strbuf_puts(b, "The pool of ");
		notify_put_code(b, target, 100);
		strbuf_printf(b, " is **%s**: %.0f eligible runner%s",
		              below ? "below its minimum" : "back at its minimum",
		              jnum(d, "eligible"), jnum(d, "eligible") == 1 ? "" : "s");
		if (jnum(d, "unknown") > 0)
			strbuf_printf(b, " and %.0f the monitor cannot see now",
			              jnum(d, "unknown"));
		strbuf_printf(b, "; the policy asks for %.0f.", jnum(d, "min_runners"));
	} else if (strncmp(e->kind, "incident_", 9) == 0 && have_runner) {
		struct store_incident inc;
		bool ack = strcmp(e->kind, "incident_acknowledged") == 0;
		const char *note;
		memset(&inc, 0, sizeof(inc));
		if (store_incident_get(st, (int64_t)jnum(d, "incident_id"), &inc) < 0) {
			rc = NOTIFY_SKIP; /* voided since */
			goto out;
		}
		notify_time(inc.start_ms, when, sizeof(when));
		strbuf_puts(b, "The incident of ");
		put_runner(b, &r);
		strbuf_printf(b, " (down since %s) is **%s**", when,
		              ack ? "acknowledged" : "mitigated");
		note = ack ? inc.ack_note : inc.mitigated_note;
		if (note && *note) {
			strbuf_puts(b, ": ");
			notify_put_code(b, note, NOTE_MAX);
		}
		strbuf_puts(b, ".");
		store_incident_deinit(&inc);
	} else {
		rc = NOTIFY_SKIP;
		goto out;
	}
	{
		struct zulip *z = s->impl;
		if (z->public_url[0])
			strbuf_printf(b, " [Status page](%s/)", z->public_url);
	}
out:
	cJSON_Delete(d);
	store_runner_deinit(&r);
	if (rc == 1 && strbuf_failed(b))
		rc = RW_ENOMEM;
	return rc;
}

/* zulip.topic with {target} and {runner} put in, at most 60 characters
 * (UTF-8 sequences are not cut). */
static void make_topic(const char *tmpl, const char *target, const char *runner, char *out,
                       size_t len)
{
	size_t o = 0, chars = 0;

	for (const char *p = tmpl; *p && o + 1 < len;) {
		const char *put = NULL;
		if (strncmp(p, "{target}", 8) == 0)
			put = target;
		else if (strncmp(p, "{runner}", 8) == 0)
			put = runner;
		if (put)
			p += 8;
		for (const char *q = put ? put : p; *q && o + 1 < len; q++) {
			unsigned char c = (unsigned char)*q;
			if ((c & 0xc0) != 0x80 && ++chars > ZULIP_TOPIC_MAX)
				goto done;
			out[o++] = c < 0x20 ? ' ' : (char)c;
			if (!put)
				break;
		}
		if (!put)
			p++;
	}
done:
	/* Never end inside a UTF-8 sequence. */
	while (o > 0 && ((unsigned char)out[o - 1] & 0x80)) {
		size_t start = o - 1;
		while (start > 0 && ((unsigned char)out[start] & 0xc0) == 0x80)
			start--;
		unsigned char lead = (unsigned char)out[start];
		size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
		if (o - start == need)
			break;
		o = start;
	}
	out[o] = '\0';
}

static int append_field(struct strbuf *b, CURL *easy, const char *name, const char *value)
{
	char *esc = curl_easy_escape(easy, value, 0);

	if (!esc)
		return RW_ENOMEM;
	strbuf_printf(b, "%s%s=%s", b->len ? "&" : "", name, esc);
	curl_free(esc);
	return 0;
}

static int zulip_load(struct sink *s)
{
	struct zulip *z = s->impl;
	struct store_event *v = NULL;
	struct strbuf content, form;
	char target[128], runner[256], topic[256];
	size_t n = 0;
	int rc = notify_next_events(s, zulip_kinds, 1, &v, &n);

	if (rc != 0 || n == 0)
		return rc;
	s->upto = v[0].id;
	strbuf_init(&content);
	rc = render(s, &v[0], &content, target, sizeof(target), runner, sizeof(runner));
	store_events_free(v, n);
	if (rc != 1) {
		strbuf_deinit(&content);
		return rc;
	}
	make_topic(z->cfg->topic, target, runner, topic, sizeof(topic));
	strbuf_init(&form);
	rc = append_field(&form, s->easy, "type", "stream");
	if (rc == 0)
		rc = append_field(&form, s->easy, "to", z->cfg->stream);
	if (rc == 0)
		rc = append_field(&form, s->easy, "topic", topic);
	if (rc == 0)
		rc = append_field(&form, s->easy, "content", content.data ? content.data : "");
	strbuf_deinit(&content);
	if (rc == 0)
		z->form = strbuf_take(&form, NULL);
	if (rc < 0 || !z->form) {
		strbuf_deinit(&form);
		return RW_ENOMEM;
	}
	return 1;
}

static size_t answer_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct zulip *z = userp;
	size_t len = size * nmemb;

	if (z->answer.len + len <= ZULIP_ANSWER_MAX)
		strbuf_append(&z->answer, data, len);
	return len;
}

static int zulip_prepare(struct sink *s)
{
	struct zulip *z = s->impl;
	const struct rw_zulip_cfg *cfg = z->cfg;
	CURLcode c = CURLE_OK;

	strbuf_deinit(&z->answer);
	strbuf_init(&z->answer);
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(s->easy, opt, val);                                   \
	} while (0)
	SET(CURLOPT_URL, z->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	SET(CURLOPT_USERNAME, cfg->bot_email);
	SET(CURLOPT_PASSWORD, cfg->api_key);
	SET(CURLOPT_POSTFIELDS, z->form);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(z->form));
	SET(CURLOPT_WRITEFUNCTION, answer_cb);
	SET(CURLOPT_WRITEDATA, z);
#undef SET
	return c == CURLE_OK ? 0 : c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
}

static int zulip_judge(struct sink *s, CURLcode result, long status, char *why, size_t whylen)
{
	struct zulip *z = s->impl;
	cJSON *d;
	const char *res, *msg;
	int rc = -1;

	if (result != CURLE_OK) {
		snprintf(why, whylen, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(result));
		return -1;
	}
	d = cJSON_ParseWithLength(z->answer.data ? z->answer.data : "", z->answer.len);
	res = jstr(d, "result");
	msg = jstr(d, "msg");
	if (status >= 200 && status < 300 && res && strcmp(res, "success") == 0) {
		rc = 0;
	} else {
		struct strbuf m;
		strbuf_init(&m);
		notify_put_plain(&m, msg ? msg : "no Zulip answer", 200);
		snprintf(why, whylen, "HTTP %ld: %s", status, m.data ? m.data : "");
		strbuf_deinit(&m);
	}
	cJSON_Delete(d);
	return rc;
}

static void zulip_clear(struct sink *s)
{
	struct zulip *z = s->impl;

	free(z->form);
	z->form = NULL;
}

static void zulip_free(struct sink *s)
{
	struct zulip *z = s->impl;

	if (!z)
		return;
	free(z->form);
	strbuf_deinit(&z->answer);
	free(z);
	s->impl = NULL;
}

static const struct sink_ops zulip_ops = {
        .is_webhook = false,
        .load = zulip_load,
        .prepare = zulip_prepare,
        .judge = zulip_judge,
        .clear = zulip_clear,
        .free = zulip_free,
};

int notify_zulip_init(struct sink *s, const struct rw_config *cfg, char *err, size_t errlen)
{
	struct zulip *z = calloc(1, sizeof(*z));

	(void)err;
	(void)errlen;
	if (!z)
		return RW_ENOMEM;
	s->impl = z;
	s->ops = &zulip_ops;
	s->channel = "zulip";
	z->cfg = &cfg->zulip;
	z->public_url = cfg->public_url;
	strbuf_init(&z->answer);
	snprintf(z->url, sizeof(z->url), "%s/api/v1/messages", cfg->zulip.site);
	/* A new stream is a new destination: it starts with the events from
	 * then on. */
	snprintf(s->key, sizeof(s->key), "zulip:%s#%s", cfg->zulip.site, cfg->zulip.stream);
	snprintf(s->shown, sizeof(s->shown), "zulip");
	return 0;
}
