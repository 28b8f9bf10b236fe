/* SPDX-License-Identifier: MIT */
/*
 * notify_email.c — the mail sink: each runner's operator is told, at the
 * address stored with the operator, when a runner goes down ("your runner X
 * is down since T (class, what it means)") and when it is back up ("back up
 * after D"), by SMTP through libcurl, through notify.c's machine (in order,
 * at least once, retried, resumed after a restart).
 *
 * One mail per change ("down" and "up" events alternate per runner, see
 * store.c), and one mail per operator for changes that close together: the
 * sink waits smtp.digest_window_s (default 60 s) from the moment it first
 * sees the oldest unsent change, then takes every down/up event up to the
 * newest (at most MAIL_BATCH), groups them by operator in order and sends
 * one mail per operator: a single change, or a digest listing them (a
 * network outage at one operator's site takes many runners down within a
 * minute; they get one mail). A GitHub pool member that GitHub no longer
 * lists (class "gone") is left out, as in Zulip.
 *
 * The cursor: mails are sent in the order of their first event; after a
 * mail, the cursor moves to just before the next mail's first event (or to
 * the batch's last event after the last mail), so it only moves forward and
 * never past an unsent change. A crash between mails sends the changes of
 * the batch that lie beyond the cursor again (at least once); each mail's
 * Message-ID is made of its events, the same when it is sent again.
 *
 * Headers: Date, From, To, Subject, Message-ID, MIME-Version, Content-Type
 * (text/plain; UTF-8), Auto-Submitted: auto-generated (RFC 3834: no
 * vacation replies), X-Runwarden-Events (the event ids it covers). What
 * comes from runners and operators reaches a header only through
 * notify_put_plain() (no CR, LF or other control byte, ASCII only), and an
 * address only when it holds no byte that could end or extend a header or
 * an SMTP command (else the mail is dropped, logged and counted).
 *
 * An SMTP 550, 551 or 553 (no such mailbox, not local, not allowed) drops
 * that mail at once; any other failure is retried with backoff. smtps://
 * speaks TLS from the start; smtp:// requires STARTTLS unless its host is a
 * loopback relay (config.h). The SMTP server is an administrator's setting:
 * the probe address guard does not apply to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "monitor/core/log.h"
#include "monitor/notify/notify_impl.h"
#include "policy/base/duration.h"
#include "policy/base/rw_error.h"

#define MAIL_BATCH        200   /* events read at once */
#define MAIL_TIMEOUT_MS   60000 /* SMTP servers may greet slowly */
#define MAIL_NAME_MAX     100   /* bytes of a name in a mail */
#define MAIL_DIGEST_LINES 100   /* runners listed in one digest */

struct mail {
	int64_t first_id, last_id; /* its first and last event */
	int64_t operator_id;
	char *to;   /* the operator's address */
	char *text; /* headers and body, CRLF lines */
};

struct email {
	const struct rw_smtp_cfg *cfg;
	const char *public_url;
	char domain[256];   /* of smtp.from: Message-IDs */
	char from_env[272]; /* "<from>" */
	struct mail *q;     /* the batch's mails, by first event */
	size_t nq, iq;      /* iq: the one loaded (or next) */
	int64_t batch_end;  /* the batch's last event */
	int64_t seen_id;    /* the oldest unsent change, when first seen */
	uint64_t seen_at;   /* loop time */
	size_t pos;         /* how much of the loaded mail curl has read */
	struct curl_slist *rcpt;
};

static const char *const mail_kinds[] = {"down", "up", NULL};

/* One change of one runner, as a mail lists it. */
struct change {
	int64_t id, at_ms, operator_id;
	bool down;
	char *runner;   /* name */
	char *target;   /* first target */
	char *operator; /* name */
	char *email;
	char cls[32];
	long http_status;
	int64_t down_ms;
	char down_since[40];
};

static void change_deinit(struct change *c)
{
	free(c->runner);
	free(c->target);
	free(c->operator);
	free(c->email);
}

static void batch_free(struct email *m)
{
	for (size_t i = 0; i < m->nq; i++) {
		free(m->q[i].to);
		free(m->q[i].text);
	}
	free(m->q);
	m->q = NULL;
	m->nq = m->iq = 0;
}

/* An address that can go into a header and an SMTP command as it is. */
static bool address_ok(const char *a)
{
	const char *at = a ? strchr(a, '@') : NULL;

	if (!at || at == a || !at[1] || strlen(a) > 254)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= 0x20 || (unsigned char)*a >= 0x7f ||
		    strchr("<>()[],;:\\\"", *a))
			return false;
	return true;
}

/* Reads what a mail says of event @p e. @return 1, NOTIFY_SKIP (not for a
 * mail: its runner is gone, or a pool member GitHub dropped), RW_E*. */
static int read_change(struct store *st, const struct store_event *e, struct change *c)
{
	struct store_runner r;
	struct store_operator op;
	cJSON *d = cJSON_Parse(e->data ? e->data : "{}");
	const cJSON *v;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&r, 0, sizeof(r));
	memset(&op, 0, sizeof(op));
	if (!d)
		return RW_EINVAL;
	c->id = e->id;
	c->at_ms = e->at_ms;
	c->down = strcmp(e->kind, "down") == 0;
	v = cJSON_GetObjectItemCaseSensitive(d, "class");
	if (cJSON_IsString(v))
		snprintf(c->cls, sizeof(c->cls), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(d, "http_status");
	c->http_status = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(d, "down_ms");
	c->down_ms = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(d, "down_since");
	if (cJSON_IsString(v))
		snprintf(c->down_since, sizeof(c->down_since), "%s", v->valuestring);
	cJSON_Delete(d);
	rc = store_runner_get(st, NULL, e->runner_id, &r);
	if (rc == RW_ENOENT)
		return NOTIFY_SKIP;
	if (rc < 0)
		return rc;
	if (store_runner_is_member(&r) && strcmp(c->cls, "gone") == 0) {
		store_runner_deinit(&r);
		return NOTIFY_SKIP;
	}
	rc = store_operator_get(st, r.operator_id, &op);
	if (rc == 0) {
		c->operator_id = r.operator_id;
		c->runner = strdup(r.name);
		c->target = strdup(r.n_targets ? r.targets[0] : "");
		c->operator= strdup(op.name ? op.name : "");
		c->email = strdup(op.email ? op.email : "");
		if (!c->runner || !c->target || !c->operator|| !c->email)
			rc = RW_ENOMEM;
	}
	store_operator_deinit(&op);
	store_runner_deinit(&r);
	if (rc < 0) {
		change_deinit(c);
		return rc == RW_ENOENT ? NOTIFY_SKIP : rc;
	}
	return 1;
}

/* "down since T (connect: the connection was refused ...)" or "back up
 * since T, after D down". */
static void put_change(struct strbuf *b, const struct change *c)
{
	char when[48], buf[64], dur[DURATION_SIZE];

	notify_time(c->at_ms, when, sizeof(when));
	if (c->down) {
		strbuf_printf(b, "down since %s", when);
		if (c->cls[0])
			strbuf_printf(b, " (%s: %s)", c->cls,
			              notify_class_text(c->cls, c->http_status, buf, sizeof(buf)));
	} else {
		duration_format(c->down_ms, dur, sizeof(dur));
		strbuf_printf(b, "back up since %s, after %s down", when, dur);
	}
}

static void put_date(struct strbuf *b, int64_t ms)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strbuf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		              days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		              tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The mail to one operator of changes @p c[0..n) (all theirs, by id). */
static char *compose(struct email *m, const struct change *c, size_t n, int64_t now_ms)
{
	struct strbuf b;
	size_t downs = 0;

	for (size_t i = 0; i < n; i++)
		downs += c[i].down;
	strbuf_init(&b);
	put_date(&b, now_ms);
	strbuf_printf(&b, "From: runwarden <%s>\r\nTo: <%s>\r\nSubject: runwarden: ", m->cfg->from,
	              c[0].email);
	if (n == 1) {
		notify_put_plain(&b, c[0].runner, MAIL_NAME_MAX);
		strbuf_puts(&b, c[0].down ? " is down" : " is back up");
	} else {
		strbuf_printf(&b, "%zu of your runners changed state (", n);
		if (downs)
			strbuf_printf(&b, "%zu down%s", downs, downs < n ? ", " : "");
		if (downs < n)
			strbuf_printf(&b, "%zu back up", n - downs);
		strbuf_puts(&b, ")");
	}
	strbuf_printf(&b,
	              "\r\nMessage-ID: <runwarden.%lld-%lld.%lld@%s>\r\nMIME-Version: 1.0\r\n"
	              "Content-Type: text/plain; charset=utf-8\r\n"
	              "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n"
	              "X-Runwarden-Events: ",
	              (long long)c[0].id, (long long)c[n - 1].id, (long long)c[0].operator_id,
	              m->domain);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&b, "%s%lld", i ? "," : "", (long long)c[i].id);
	strbuf_puts(&b, "\r\n\r\nHello ");
	notify_put_plain(&b, c[0].operator, MAIL_NAME_MAX);
	strbuf_puts(&b, ",\r\n\r\n");
	if (n == 1) {
		strbuf_puts(&b, "your runner ");
		notify_put_plain(&b, c[0].runner, MAIL_NAME_MAX);
		if (c[0].target[0]) {
			strbuf_puts(&b, " (");
			notify_put_plain(&b, c[0].target, MAIL_NAME_MAX);
			strbuf_puts(&b, ")");
		}
		strbuf_puts(&b, " is ");
		put_change(&b, &c[0]);
		strbuf_puts(&b, ".\r\n\r\n");
		strbuf_puts(&b, c[0].down ? "It takes no CI jobs until it is back up.\r\n"
		                          : "It may take CI jobs again.\r\n");
	} else {
		strbuf_printf(&b, "%zu of your runners changed state:\r\n\r\n", n);
		for (size_t i = 0; i < n && i < MAIL_DIGEST_LINES; i++) {
			strbuf_puts(&b, "- ");
			notify_put_plain(&b, c[i].runner, MAIL_NAME_MAX);
			strbuf_puts(&b, ": ");
			put_change(&b, &c[i]);
			strbuf_puts(&b, "\r\n");
		}
		if (n > MAIL_DIGEST_LINES)
			strbuf_printf(&b, "- and %zu more\r\n", n - MAIL_DIGEST_LINES);
	}
	if (m->public_url[0])
		strbuf_printf(&b, "\r\nStatus page: %s/\r\n", m->public_url);
	strbuf_puts(&b, "\r\n-- \r\nrunwarden. You get this mail because you operate these "
	                "runners.\r\n");
	if (strbuf_failed(&b)) {
		strbuf_deinit(&b);
		return NULL;
	}
	return strbuf_take(&b, NULL);
}

/* Groups @p c[0..n) (by id) by operator into mails, in the order of each
 * operator's first change. */
static int build_batch(struct sink *s, struct change *c, size_t n)
{
	struct email *m = s->impl;
	bool *done = calloc(n ? n : 1, sizeof(bool));
	struct change *mine = calloc(n ? n : 1, sizeof(*mine));
	int64_t now = (int64_t)time(NULL) * 1000;
	int rc = 0;

	m->q = calloc(n ? n : 1, sizeof(*m->q));
	if (!done || !mine || !m->q) {
		free(done);
		free(mine);
		return RW_ENOMEM;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t k = 0;
		if (done[i])
			continue;
		for (size_t j = i; j < n; j++) {
			if (!done[j] && c[j].operator_id == c[i].operator_id) {
				mine[k++] = c[j];
				done[j] = true;
			}
		}
		if (!address_ok(c[i].email)) {
			struct logline l;
			s->dropped++;
			if (log_begin(&l, RW_LOG_ERROR,
			              "operator address unfit for mail; not sent")) {
				log_int(&l, "operator_id", c[i].operator_id);
				log_int(&l, "event_id", c[i].id);
				log_end(&l);
			}
			continue;
		}
		m->q[m->nq].first_id = mine[0].id;
		m->q[m->nq].last_id = mine[k - 1].id;
		m->q[m->nq].operator_id = c[i].operator_id;
		m->q[m->nq].to = strdup(c[i].email);
		m->q[m->nq].text = compose(m, mine, k, now);
		if (!m->q[m->nq].to || !m->q[m->nq].text)
			rc = RW_ENOMEM;
		m->nq++;
	}
	free(done);
	free(mine);
	if (rc < 0)
		batch_free(m);
	return rc;
}

/* The cursor once mail m->iq is sent: just before the next mail's first
 * change, or the batch's end. */
static int64_t upto_after(const struct email *m)
{
	return m->iq + 1 < m->nq ? m->q[m->iq + 1].first_id - 1 : m->batch_end;
}

static int email_load(struct sink *s)
{
	struct email *m = s->impl;
	struct store_event *v = NULL;
	struct change *c;
	size_t n = 0, k = 0;
	int rc;

	if (m->iq < m->nq) {
		s->upto = upto_after(m);
		return 1;
	}
	batch_free(m);
	rc = notify_next_events(s, mail_kinds, MAIL_BATCH, &v, &n);
	if (rc != 0 || n == 0)
		return rc;
	/* The digest window, from the moment the oldest change is first seen. */
	if (v[0].id != m->seen_id) {
		m->seen_id = v[0].id;
		m->seen_at = uv_now(s->loop);
	}
	if (uv_now(s->loop) - m->seen_at < (uint64_t)m->cfg->digest_window_s * 1000) {
		store_events_free(v, n);
		return 0;
	}
	c = calloc(n, sizeof(*c));
	if (!c) {
		store_events_free(v, n);
		return RW_ENOMEM;
	}
	m->batch_end = v[n - 1].id;
	for (size_t i = 0; i < n; i++) {
		rc = read_change(s->st, &v[i], &c[k]);
		if (rc < 0)
			break;
		if (rc == 1)
			k++;
	}
	store_events_free(v, n);
	if (rc >= 0)
		rc = build_batch(s, c, k);
	for (size_t i = 0; i < k; i++)
		change_deinit(&c[i]);
	free(c);
	if (rc < 0)
		return rc;
	if (m->nq == 0) {
		s->upto = m->batch_end;
		return NOTIFY_SKIP;
	}
	m->iq = 0;
	s->upto = upto_after(m);
	return 1;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *userp)
{
	struct email *m = userp;
	const char *text = m->q[m->iq].text;
	size_t left = strlen(text) - m->pos, n = size * nitems;

	if (n > left)
		n = left;
	memcpy(buf, text + m->pos, n);
	m->pos += n;
	return n;
}

static int email_prepare(struct sink *s)
{
	struct email *m = s->impl;
	const struct rw_smtp_cfg *cfg = m->cfg;
	char rcpt[300];
	struct curl_slist *l;
	CURLcode c = CURLE_OK;

	snprintf(rcpt, sizeof(rcpt), "<%s>", m->q[m->iq].to);
	l = curl_slist_append(NULL, rcpt);
	if (!l)
		return RW_ENOMEM;
	curl_slist_free_all(m->rcpt);
	m->rcpt = l;
	m->pos = 0;
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(s->easy, opt, val);                                   \
	} while (0)
	SET(CURLOPT_URL, cfg->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_TIMEOUT_MS, (long)MAIL_TIMEOUT_MS);
	if (strncmp(cfg->url, "smtp://", 7) == 0)
		SET(CURLOPT_USE_SSL,
		    (long)(cfg->starttls_optional ? CURLUSESSL_TRY : CURLUSESSL_ALL));
	if (cfg->username) {
		SET(CURLOPT_USERNAME, cfg->username);
		SET(CURLOPT_PASSWORD, cfg->password);
	}
	SET(CURLOPT_MAIL_FROM, m->from_env);
	SET(CURLOPT_MAIL_RCPT, m->rcpt);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, m);
#undef SET
	return c == CURLE_OK ? 0 : c == CURLE_OUT_OF_MEMORY ? RW_ENOMEM : RW_EINVAL;
}

static int email_judge(struct sink *s, CURLcode result, long status, char *why, size_t whylen)
{
	if (result == CURLE_OK)
		return 0;
	snprintf(why, whylen, "SMTP %ld: %s", status,
	         s->errbuf[0] ? s->errbuf : curl_easy_strerror(result));
	return status == 550 || status == 551 || status == 553 ? NOTIFY_PERMANENT : -1;
}

/* The loaded mail is done (sent or dropped): the next one is loaded next. */
static void email_clear(struct sink *s)
{
	struct email *m = s->impl;

	if (m->iq < m->nq)
		m->iq++;
}

static void email_free(struct sink *s)
{
	struct email *m = s->impl;

	if (!m)
		return;
	batch_free(m);
	curl_slist_free_all(m->rcpt);
	free(m);
	s->impl = NULL;
}

static const struct sink_ops email_ops = {
        .is_webhook = false,
        .load = email_load,
        .prepare = email_prepare,
        .judge = email_judge,
        .clear = email_clear,
        .free = email_free,
};

int notify_email_init(struct sink *s, const struct rw_config *cfg, char *err, size_t errlen)
{
	struct email *m = calloc(1, sizeof(*m));
	const char *at = strchr(cfg->smtp.from, '@');

	(void)err;
	(void)errlen;
	if (!m)
		return RW_ENOMEM;
	s->impl = m;
	s->ops = &email_ops;
	s->channel = "email";
	m->cfg = &cfg->smtp;
	m->public_url = cfg->public_url;
	snprintf(m->domain, sizeof(m->domain), "%s", at ? at + 1 : "runwarden.invalid");
	snprintf(m->from_env, sizeof(m->from_env), "<%s>", cfg->smtp.from);
	snprintf(s->key, sizeof(s->key), "smtp:%s", cfg->smtp.url);
	snprintf(s->shown, sizeof(s->shown), "email");
	return 0;
}
