/* SPDX-License-Identifier: MIT */
/*
 * ghpoll.c — GitHub's runner lists, polled per source; see ghpoll.h.
 *
 * One state machine per source (src_set_state() is the only writer of
 * s->state, logs old → new at debug level, and checks every change against
 * src_transitions[]; a change the table forbids is logged as an error and
 * counted in stats.bad_transitions):
 *
 *               due; no usable token (an exchange starts)
 *          +------+ ------------------------------------------> +------+
 *   add -> | IDLE |                                             | AUTH |
 *          +------+ -- due; a token --> +----------+ <- token - +------+
 *           |  ^  ^                     | FETCHING |   ready     ^  |
 *           |  |  +-- the whole list -- +----------+ -- next ----+  |
 *           |  |                             |          page; no    |
 *           |  |                             |          token yet   |
 *           |  |                     no list | (an error, a rate    | the
 *           |  |                             |  limit, a timeout)   | exchange
 *           |  |                             v                      | failed
 *           |  +------ backoff over ---- +---------+ <--------------+
 *           +-- due, but the rate-limit  | BACKOFF |
 *               gate is shut, or no ---> +---------+
 *               token can be had
 *
 *     IDLE, AUTH, FETCHING, BACKOFF --last ghpoll_remove(), ghpoll_close()--> CLOSING
 *     (a request in flight is aborted; nothing is reported for it)
 *
 *   from \ to    IDLE  AUTH  FETCHING  BACKOFF  CLOSING
 *   IDLE                x       x         x        x
 *   AUTH                        x         x        x
 *   FETCHING      x     x                 x        x
 *   BACKOFF       x                                x
 *   CLOSING
 *
 * BACKOFF → IDLE and the poll's start happen in one step of the timer, so
 * a source leaves BACKOFF only when it is polled again.
 *
 * Pages: a poll reads its pages into s->lst (ghlist.h): a page answered
 * 304 is the last whole list's page of the same index, sent with its ETag
 * and not parsed again; when every page was, the list handed out is the
 * same array as the last time. A failed poll drops only its own pages.
 *
 * Reentrancy: result_cb may add and remove sources or close the poller, so
 * nothing touches a source after calling it, and the loops that may call it
 * (the timer, a token becoming ready) look the next source up afresh each
 * time instead of walking an index across the call.
 *
 * Invariants: a source has at most one request in flight, and only in
 * FETCHING; a request starts only when gp->gate_until has passed; the
 * timer is armed for the earliest due IDLE or BACKOFF source, or stopped.
 */
#include "monitor/github/ghpoll.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/core/clock.h"
#include "monitor/core/log.h"
#include "monitor/core/metrics.h"
#include "monitor/core/url.h"
#include "policy/base/rw_error.h"

enum src_state {
	SRC_IDLE,     /* waiting for its slot */
	SRC_AUTH,     /* waiting for a token to send its next page with */
	SRC_FETCHING, /* a page request in flight */
	SRC_BACKOFF,  /* the last poll failed; the next waits until due */
	SRC_CLOSING,  /* removed, or the poller is closing */
	SRC_STATE_COUNT
};

static const char *const src_state_names[SRC_STATE_COUNT] = {
        [SRC_IDLE] = "idle",       [SRC_AUTH] = "auth",       [SRC_FETCHING] = "fetching",
        [SRC_BACKOFF] = "backoff", [SRC_CLOSING] = "closing",
};

/* The table of the file header: bit `to` of row `from`. */
static const uint8_t src_transitions[SRC_STATE_COUNT] = {
        [SRC_IDLE] = 1u << SRC_AUTH | 1u << SRC_FETCHING | 1u << SRC_BACKOFF | 1u << SRC_CLOSING,
        [SRC_AUTH] = 1u << SRC_FETCHING | 1u << SRC_BACKOFF | 1u << SRC_CLOSING,
        [SRC_FETCHING] = 1u << SRC_IDLE | 1u << SRC_AUTH | 1u << SRC_BACKOFF | 1u << SRC_CLOSING,
        [SRC_BACKOFF] = 1u << SRC_IDLE | 1u << SRC_CLOSING,
        [SRC_CLOSING] = 0,
};

static const char *const result_names[GHPOLL_RESULT_COUNT] = {
        [GHPOLL_OK] = "ok",
        [GHPOLL_NOT_MODIFIED] = "not_modified",
        [GHPOLL_ERROR] = "error",
        [GHPOLL_RATE_LIMITED] = "rate_limited",
        [GHPOLL_NOT_FOUND] = "not_found",
        [GHPOLL_UNAUTHORIZED] = "unauthorized",
};

struct ghsource {
	struct ghpoll *gp;
	char name[GHPOLL_SOURCE_MAX]; /* as first added */
	char first_url[URL_MAX + 128];
	unsigned refs;
	enum src_state state;
	uint64_t phase;    /* its offset within the interval, ms */
	uint64_t due;      /* loop time: IDLE, its next poll; BACKOFF, its retry */
	unsigned failures; /* polls failed in a row: the backoff's exponent */
	bool wake;         /* a token became ready while in AUTH */
	uint64_t token_gen;
	struct ghreq req;
	bool conditional;  /* the page in flight carries If-None-Match */
	struct ghlist lst; /* the poll's pages, the last whole list's */
};

static void source_free(struct ghsource *s)
{
	ghlist_deinit(&s->lst);
	ghreq_deinit(&s->req);
	free(s);
}

/* ---- state, scheduling ------------------------------------------------------ */

static void src_set_state(struct ghsource *s, enum src_state to)
{
	enum src_state from = s->state;
	bool legal = (src_transitions[from] >> to) & 1u;
	struct logline l;

	if (from == to)
		return;
	if (!legal)
		s->gp->stats.bad_transitions++;
	if (log_begin(&l, legal ? RW_LOG_DEBUG : RW_LOG_ERROR,
	              legal ? "github source state change"
	                    : "illegal github source state change")) {
		log_str(&l, "source", s->name);
		log_str(&l, "from", src_state_names[from]);
		log_str(&l, "to", src_state_names[to]);
		log_end(&l);
	}
	s->state = to;
}

static void timer_cb(uv_timer_t *t);

/* Arms the timer for the earliest due source, or stops it. */
static void arm(struct ghpoll *gp)
{
	uint64_t now = uv_now(gp->loop), first = UINT64_MAX;
	int rc;

	if (gp->closing || !gp->timer_open)
		return;
	for (size_t i = 0; i < gp->n_src; i++) {
		const struct ghsource *s = gp->src[i];
		if ((s->state == SRC_IDLE || s->state == SRC_BACKOFF) && s->due < first)
			first = s->due;
	}
	if (first == UINT64_MAX) {
		uv_timer_stop(&gp->timer);
		return;
	}
	rc = uv_timer_start(&gp->timer, timer_cb, first > now ? first - now : 0, 0);
	if (rc < 0)
		log_msg(RW_LOG_ERROR, "uv_timer_start failed", "error", uv_strerror(rc));
}

/* The next slot of @p s after @p now: phase + k * interval. */
static uint64_t next_slot(const struct ghsource *s, uint64_t now)
{
	uint64_t iv = s->gp->opts.interval_ms;
	uint64_t t = now - now % iv + s->phase;

	return t > now ? t : t + iv;
}

/*
 * The wait after @p failures failed polls in a row, doubling to the
 * maximum. A refusal that looks like a limit (403/429 without Retry-After
 * or a reset) starts at backoff_min_ms (60 s), as GitHub asks; any other
 * failure (5xx, a timeout, no connection) starts at the poll interval when
 * that is shorter, so that GitHub back after a blip is seen at the next
 * slot rather than a minute later.
 */
static uint64_t backoff_ms(const struct ghpoll *gp, unsigned failures, bool limit)
{
	uint64_t b = gp->opts.backoff_min_ms;

	if (!limit && gp->opts.interval_ms < b)
		b = gp->opts.interval_ms;

	for (unsigned i = 1; i < failures && b < gp->opts.backoff_max_ms; i++)
		b *= 2;
	return b < gp->opts.backoff_max_ms ? b : gp->opts.backoff_max_ms;
}

/* The poll ends without a list: backs off (@p wait_ms, or exponentially
 * when 0) and reports. Touches nothing of @p s after result_cb. */
static void poll_failed(struct ghsource *s, int rc, const char *why, uint64_t wait_ms)
{
	struct ghpoll *gp = s->gp;
	uint64_t wait;
	struct logline l;

	ghlist_drop(&s->lst);
	s->failures++;
	wait = wait_ms ? wait_ms : backoff_ms(gp, s->failures, false);
	s->due = uv_now(gp->loop) + (wait ? wait : 1);
	src_set_state(s, SRC_BACKOFF);
	gp->stats.polls_failed++;
	if (log_begin(&l, RW_LOG_WARN, "github runner list not read")) {
		log_str(&l, "source", s->name);
		log_str(&l, "why", why);
		log_int(&l, "retry_in_ms", (int64_t)wait);
		log_end(&l);
	}
	arm(gp);
	gp->result_cb(gp, s->name, NULL, 0, rc < 0 ? rc : RW_EIO, why, gp->data);
}

static void poll_done(struct ghsource *s)
{
	struct ghpoll *gp = s->gp;
	int rc = ghlist_commit(&s->lst);

	if (rc < 0) {
		poll_failed(s, rc, "out of memory assembling the list", 0);
		return;
	}
	s->failures = 0;
	s->due = next_slot(s, uv_now(gp->loop));
	src_set_state(s, SRC_IDLE);
	gp->stats.polls_ok++;
	gp->stats.last_success_ms = clock_wall_ms();
	arm(gp);
	gp->result_cb(gp, s->name, s->lst.n_list ? s->lst.list : NULL, s->lst.n_list, 0, NULL,
	              gp->data);
}

/* Sends page number n_pages: the first URL, or the previous page's next. */
static void next_page(struct ghsource *s)
{
	struct ghpoll *gp = s->gp;
	const char *url =
	        s->lst.n_pages == 0 ? s->first_url : s->lst.pages[s->lst.n_pages - 1].next;
	const char *token = NULL, *why = NULL, *inm;
	char buf[200];
	int rc;

	rc = ghauth_token(&gp->auth, &token, &s->token_gen, &why);
	if (rc == GHAUTH_PENDING) {
		src_set_state(s, SRC_AUTH);
		return;
	}
	if (rc < 0) {
		poll_failed(s, rc, why && *why ? why : rw_strerror(rc), 0);
		return;
	}
	inm = ghlist_etag_for(&s->lst, url);
	s->conditional = inm != NULL;
	rc = ghreq_prepare(&s->req, url, false, "Bearer", token, inm, (long)gp->opts.timeout_ms,
	                   GHPOLL_PAGE_MAX, s);
	if (rc == 0)
		rc = curluv_add(&gp->cu, s->req.easy);
	if (rc < 0) {
		snprintf(buf, sizeof(buf), "the request could not start: %s", rw_strerror(rc));
		poll_failed(s, rc, buf, 0);
		return;
	}
	src_set_state(s, SRC_FETCHING);
}

/* A poll is due: the gate, then the first page. */
static void poll_start(struct ghsource *s)
{
	struct ghpoll *gp = s->gp;
	uint64_t now = uv_now(gp->loop);
	char why[160];

	if (s->state == SRC_BACKOFF)
		src_set_state(s, SRC_IDLE);
	ghlist_drop(&s->lst);
	if (gp->gate_until > now) {
		snprintf(why, sizeof(why),
		         "GitHub's rate limit holds every request for another %" PRIu64 " ms",
		         gp->gate_until - now);
		poll_failed(s, RW_EIO, why, gp->gate_until - now);
		return;
	}
	next_page(s);
}

static struct ghsource *find_due(struct ghpoll *gp, uint64_t now)
{
	for (size_t i = 0; i < gp->n_src; i++) {
		struct ghsource *s = gp->src[i];
		if ((s->state == SRC_IDLE || s->state == SRC_BACKOFF) && s->due <= now)
			return s;
	}
	return NULL;
}

static void timer_cb(uv_timer_t *t)
{
	struct ghpoll *gp = t->data;
	uint64_t now = uv_now(gp->loop);
	struct ghsource *s;

	/* Each start moves s out of "due": to AUTH, FETCHING, or BACKOFF
	 * with a later due time. */
	while (!gp->closing && (s = find_due(gp, now)) != NULL)
		poll_start(s);
	arm(gp);
}

/* ghauth: an exchange ended. The sources waiting for it go on. */
static void auth_ready(struct ghauth *a, int rc, const char *why, void *data)
{
	struct ghpoll *gp = data;
	struct ghsource *s;

	(void)a;
	for (size_t i = 0; i < gp->n_src; i++)
		gp->src[i]->wake = gp->src[i]->state == SRC_AUTH;
	for (;;) {
		s = NULL;
		for (size_t i = 0; !gp->closing && i < gp->n_src && !s; i++)
			if (gp->src[i]->wake)
				s = gp->src[i];
		if (!s)
			break;
		s->wake = false;
		if (rc < 0)
			poll_failed(s, rc, why, 0);
		else
			next_page(s);
	}
}

/* ---- answers ------------------------------------------------------------------ */

/* Retry-After: delay-seconds, or an HTTP-date (curl_getdate reads it). */
static bool retry_after_ms(struct ghreq *r, uint64_t *out)
{
	const char *v = ghreq_header(r, "Retry-After", 0);
	int64_t secs;
	time_t when;

	if (!v)
		return false;
	if (ghreq_header_int(r, "Retry-After", &secs) == 0) {
		*out = (uint64_t)(secs > 86400 ? 86400 : secs) * 1000;
		return true;
	}
	when = curl_getdate(v, NULL);
	if (when < 0)
		return false;
	secs = (int64_t)when - clock_wall_ms() / 1000;
	*out = (uint64_t)(secs < 0 ? 0 : secs > 86400 ? 86400 : secs) * 1000;
	return true;
}

static void count(struct ghpoll *gp, enum ghpoll_result r)
{
	gp->stats.requests[r]++;
}

/* A 403 or 429: how long the credential must wait (0: back off as usual). */
static enum ghpoll_result limited(struct ghsource *s, long status, const char *msg, uint64_t *wait)
{
	struct ghreq *r = &s->req;
	int64_t remaining = -1, reset = 0;
	uint64_t ra;

	*wait = 0;
	if (retry_after_ms(r, &ra)) {
		*wait = ra ? ra : 1000;
		return GHPOLL_RATE_LIMITED;
	}
	if (ghreq_header_int(r, "x-ratelimit-remaining", &remaining) == 0 && remaining == 0 &&
	    ghreq_header_int(r, "x-ratelimit-reset", &reset) == 0) {
		int64_t ms = reset * 1000 - clock_wall_ms();
		*wait = (uint64_t)(ms < 1000 ? 1000 : ms > 86400000 ? 86400000 : ms);
		return GHPOLL_RATE_LIMITED;
	}
	return status == 429 || strcasestr(msg, "rate limit") ? GHPOLL_RATE_LIMITED : GHPOLL_ERROR;
}

/* The page's Link rel="next", checked: on the api_url's origin and path,
 * not a page of this poll already, within GHPOLL_MAX_PAGES. */
static int take_next(struct ghsource *s, struct ghpage *pg, char *why, size_t whylen)
{
	const char *api = s->gp->cfg->api_url;
	char next[URL_MAX + 1], host[256];
	size_t al = strlen(api);
	int rc = ghreq_link_next(&s->req, next, sizeof(next));

	if (rc == 0)
		return 0;
	if (rc < 0 || url_parse(next, host, sizeof(host), NULL, NULL, NULL, 0) < 0) {
		snprintf(why, whylen, "the Link header does not parse");
		return RW_EINVAL;
	}
	if (strncmp(next, api, al) != 0 || next[al] != '/') {
		snprintf(why, whylen, "the Link rel=\"next\" leaves api_url (%.200s)", api);
		return RW_EINVAL;
	}
	if (s->lst.n_pages >= GHPOLL_MAX_PAGES) {
		snprintf(why, whylen, "more than %d pages", GHPOLL_MAX_PAGES);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < s->lst.n_pages; i++) {
		if (strcmp(s->lst.pages[i].url, next) == 0) {
			snprintf(why, whylen, "the Link rel=\"next\" goes back to page %zu", i + 1);
			return RW_EINVAL;
		}
	}
	pg->next = strdup(next);
	return pg->next ? 0 : RW_ENOMEM;
}

/* A 200 or a 304 of the next page: keep it, then the next page or the end. */
static void page_read(struct ghsource *s, long status, const char *url)
{
	char why[400], detail[300] = "";
	struct ghpage *pg = NULL;
	int rc;

	if (status == 304) {
		count(s->gp, GHPOLL_NOT_MODIFIED);
		rc = ghlist_add_cached(&s->lst);
		if (rc == 0)
			pg = &s->lst.pages[s->lst.n_pages - 1];
	} else {
		rc = ghlist_add_page(&s->lst, url, ghreq_header(&s->req, "ETag", 0), s->req.body,
		                     s->req.len, &pg, detail, sizeof(detail));
		if (rc == 0)
			rc = take_next(s, pg, detail, sizeof(detail));
		ghreq_wipe_body(&s->req);
		count(s->gp, rc == RW_EINVAL ? GHPOLL_ERROR : GHPOLL_OK);
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "page %zu: not a runner list: %s", s->lst.n_pages,
		         rc == RW_ENOMEM ? "out of memory" : detail);
		poll_failed(s, rc == RW_ENOMEM ? rc : RW_EIO, why, 0);
		return;
	}
	if (pg->next)
		next_page(s);
	else
		poll_done(s);
}

static void source_done(struct ghsource *s, CURLcode result, int rc)
{
	struct ghpoll *gp = s->gp;
	struct ghreq *r = &s->req;
	char why[600], msg[200] = "";
	const char *url =
	        s->lst.n_pages == 0 ? s->first_url : s->lst.pages[s->lst.n_pages - 1].next;
	enum ghpoll_result res;
	uint64_t wait = 0;
	int64_t remaining;
	long status;

	if (rc == RW_ECANCELED || s->state != SRC_FETCHING)
		return; /* aborted by ghpoll_remove() or ghpoll_close() */
	status = ghreq_status(r);
	if (rc < 0) {
		count(gp, GHPOLL_ERROR);
		snprintf(why, sizeof(why), "the monitor could not drive the request: %s",
		         rw_strerror(rc));
		poll_failed(s, rc, why, 0);
		return;
	}
	if (result != CURLE_OK) {
		count(gp, GHPOLL_ERROR);
		if (r->too_large)
			snprintf(why, sizeof(why), "page %zu: the answer is larger than %d bytes",
			         s->lst.n_pages + 1, GHPOLL_PAGE_MAX);
		else if (result == CURLE_OPERATION_TIMEDOUT)
			snprintf(why, sizeof(why), "page %zu: no answer within %" PRIu64 " ms",
			         s->lst.n_pages + 1, gp->opts.timeout_ms);
		else
			snprintf(why, sizeof(why), "page %zu: %s", s->lst.n_pages + 1,
			         r->errbuf[0] ? r->errbuf : curl_easy_strerror(result));
		poll_failed(s,
		            result == CURLE_OPERATION_TIMEDOUT ? RW_ETIMEDOUT
		            : r->too_large                     ? RW_EIO
		                                               : RW_ENET,
		            why, 0);
		return;
	}
	if (ghreq_header_int(r, "x-ratelimit-remaining", &remaining) == 0)
		gp->stats.rate_remaining = remaining;
	if (status == 200 || (status == 304 && s->conditional)) {
		page_read(s, status, url);
		return;
	}
	ghreq_message(r, msg, sizeof(msg));
	ghreq_wipe_body(r);
	switch (status) {
	case 401:
		count(gp, GHPOLL_UNAUTHORIZED);
		ghauth_reject(&gp->auth, s->token_gen);
		snprintf(why, sizeof(why),
		         "HTTP 401: %s (check github.token_file, or the App's installation)",
		         msg[0] ? msg : "Unauthorized");
		poll_failed(s, RW_EIO, why, 0);
		return;
	case 404:
		count(gp, GHPOLL_NOT_FOUND);
		snprintf(why, sizeof(why), "not found: %s (check the name and the token's access)",
		         s->name);
		poll_failed(s, RW_ENOENT, why, 0);
		return;
	case 403:
	case 429:
		res = limited(s, status, msg, &wait);
		count(gp, res);
		if (res == GHPOLL_RATE_LIMITED) {
			if (wait && gp->gate_until < uv_now(gp->loop) + wait)
				gp->gate_until = uv_now(gp->loop) + wait;
			snprintf(why, sizeof(why), "HTTP %ld, rate limited: %s%s", status,
			         msg[0] ? msg : "no message", wait ? "" : " (backing off)");
		} else {
			snprintf(
			        why, sizeof(why),
			        "HTTP 403: %s (the token needs \"Self-hosted runners: read\" on an "
			        "organisation, \"Administration: read\" on a repository)",
			        msg[0] ? msg : "Forbidden");
		}
		poll_failed(s, RW_EIO, why, wait ? wait : backoff_ms(gp, s->failures + 1, true));
		return;
	case 301:
	case 302:
	case 307:
	case 308:
		/* GitHub redirects a renamed or transferred repository. Not
		 * followed: the token must not travel where the admin did not
		 * point it, and the pool should carry the new name. */
		count(gp, GHPOLL_ERROR);
		snprintf(why, sizeof(why),
		         "HTTP %ld: %s moved (renamed or transferred?): register the pool under "
		         "its new name",
		         status, s->name);
		poll_failed(s, RW_EIO, why, 0);
		return;
	default:
		count(gp, GHPOLL_ERROR);
		snprintf(why, sizeof(why), "page %zu: HTTP %ld%s%s", s->lst.n_pages + 1, status,
		         msg[0] ? ": " : "", msg);
		poll_failed(s, RW_EIO, why, 0);
		return;
	}
}

/* curluv's callback for every transfer: ghauth's exchange, or a page. */
static void done_cb(struct curluv *cu, CURL *easy, CURLcode result, int rc)
{
	struct ghpoll *gp = cu->data;
	struct ghsource *s = NULL;

	if (ghauth_owns(&gp->auth, easy)) {
		ghauth_done(&gp->auth, result, rc);
		return;
	}
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&s);
	if (s)
		source_done(s, result, rc);
}

/* ---- sources ------------------------------------------------------------------ */

bool ghpoll_source_valid(const char *src)
{
	const char *slash = src ? strchr(src, '/') : NULL;
	size_t ol = slash ? (size_t)(slash - src) : (src ? strlen(src) : 0), rl;

	if (ol < 1 || ol > 39 || src[0] == '-')
		return false;
	for (size_t i = 0; i < ol; i++)
		if (!isalnum((unsigned char)src[i]) && src[i] != '-')
			return false;
	if (!slash)
		return true;
	rl = strlen(slash + 1);
	if (rl < 1 || rl > 100 || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
		return false;
	for (const char *p = slash + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

static struct ghsource *find(const struct ghpoll *gp, const char *name)
{
	for (size_t i = 0; i < gp->n_src; i++)
		if (strcasecmp(gp->src[i]->name, name) == 0)
			return gp->src[i];
	return NULL;
}

/* FNV-1a of the lower-cased name: the source's phase. */
static uint64_t phase_of(const char *name, uint64_t interval)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *name; name++) {
		h ^= (unsigned char)tolower((unsigned char)*name);
		h *= 1099511628211ULL;
	}
	return h % interval;
}

int ghpoll_add(struct ghpoll *gp, const char *source)
{
	struct ghsource *s;
	const char *slash;
	int rc;

	if (gp->closing)
		return RW_ECANCELED;
	if (!ghpoll_source_valid(source))
		return RW_EINVAL;
	s = find(gp, source);
	if (s) {
		s->refs++;
		return 0;
	}
	if (gp->n_src == gp->cap_src) {
		size_t nc = gp->cap_src ? gp->cap_src * 2 : 8;
		struct ghsource **ns = realloc(gp->src, nc * sizeof(*ns));
		if (!ns)
			return RW_ENOMEM;
		gp->src = ns;
		gp->cap_src = nc;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return RW_ENOMEM;
	rc = ghreq_init(&s->req);
	if (rc < 0) {
		source_free(s);
		return rc;
	}
	s->gp = gp;
	s->refs = 1;
	snprintf(s->name, sizeof(s->name), "%s", source);
	slash = strchr(source, '/');
	if (slash)
		snprintf(s->first_url, sizeof(s->first_url),
		         "%s/repos/%.*s/%s/actions/runners?per_page=%d", gp->cfg->api_url,
		         (int)(slash - source), source, slash + 1, GHPOLL_PER_PAGE);
	else
		snprintf(s->first_url, sizeof(s->first_url),
		         "%s/orgs/%s/actions/runners?per_page=%d", gp->cfg->api_url, source,
		         GHPOLL_PER_PAGE);
	s->phase = phase_of(source, gp->opts.interval_ms);
	/* The loop's time may be stale (sources are added before the loop
	 * runs, or after a blocking start-up): a slot computed from it would
	 * be past at once, and every source would start together. */
	uv_update_time(gp->loop);
	s->due = next_slot(s, uv_now(gp->loop));
	s->state = SRC_IDLE;
	gp->src[gp->n_src++] = s;
	arm(gp);
	return 0;
}

/* Takes @p s out: aborts its request, frees it. */
static void source_drop(struct ghpoll *gp, struct ghsource *s)
{
	enum src_state was = s->state;

	src_set_state(s, SRC_CLOSING);
	if (was == SRC_FETCHING)
		curluv_abort(&gp->cu, s->req.easy); /* source_done(): ignored, CLOSING */
	for (size_t i = 0; i < gp->n_src; i++) {
		if (gp->src[i] == s) {
			gp->src[i] = gp->src[--gp->n_src];
			break;
		}
	}
	source_free(s);
}

int ghpoll_remove(struct ghpoll *gp, const char *source)
{
	struct ghsource *s = source ? find(gp, source) : NULL;

	if (!s)
		return RW_ENOENT;
	if (--s->refs == 0) {
		source_drop(gp, s);
		arm(gp);
	}
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------------- */

int ghpoll_init(struct ghpoll *gp, uv_loop_t *loop, const struct rw_github_cfg *cfg,
                const struct ghpoll_opts *opts, ghpoll_result_cb result_cb, void *data, char *err,
                size_t errlen)
{
	int rc;

	memset(gp, 0, sizeof(*gp));
	gp->loop = loop;
	gp->cfg = cfg;
	if (opts)
		gp->opts = *opts;
	if (!gp->opts.interval_ms)
		gp->opts.interval_ms = (uint64_t)(cfg->poll_interval_s > 0 ? cfg->poll_interval_s
		                                                           : RW_GITHUB_POLL_S) *
		                       1000;
	if (!gp->opts.timeout_ms)
		gp->opts.timeout_ms = GHPOLL_TIMEOUT_MS;
	if (!gp->opts.backoff_min_ms)
		gp->opts.backoff_min_ms = GHPOLL_BACKOFF_MIN_MS;
	if (!gp->opts.backoff_max_ms)
		gp->opts.backoff_max_ms = GHPOLL_BACKOFF_MAX_MS;
	gp->result_cb = result_cb;
	gp->data = data;
	gp->stats.rate_remaining = -1;
	/* The fallible steps without a handle first: ghauth has none, and
	 * curluv_init() creates its one handle last. */
	rc = ghauth_init(&gp->auth, &gp->cu, cfg, auth_ready, gp, err, errlen);
	if (rc < 0)
		return rc;
	gp->auth.timeout_ms = (long)gp->opts.timeout_ms;
	rc = curluv_init(&gp->cu, loop, done_cb, 8);
	if (rc < 0) {
		snprintf(err, errlen, "github: cannot start the HTTP client: %s", rw_strerror(rc));
		ghauth_deinit(&gp->auth);
		return rc;
	}
	gp->cu.data = gp;
	/* libuv's uv_timer_init() only fills the struct and returns 0. */
	rc = uv_timer_init(loop, &gp->timer);
	if (rc < 0) {
		snprintf(err, errlen, "github: cannot start a timer: %s", uv_strerror(rc));
		curluv_close(&gp->cu, NULL); /* closes on the loop; gp must outlive it */
		ghauth_deinit(&gp->auth);
		return RW_EIO;
	}
	gp->timer.data = gp;
	gp->timer_open = true;
	return 0;
}

static void closed_one(struct ghpoll *gp)
{
	if (--gp->pending_closes == 0 && gp->closed_cb)
		gp->closed_cb(gp, gp->closed_data);
}

static void timer_closed_cb(uv_handle_t *h)
{
	closed_one(h->data);
}

static void cu_closed_cb(struct curluv *cu)
{
	closed_one(cu->data);
}

void ghpoll_close(struct ghpoll *gp, ghpoll_closed_cb cb, void *data)
{
	gp->closing = true;
	gp->closed_cb = cb;
	gp->closed_data = data;
	for (size_t i = 0; i < gp->n_src; i++) {
		struct ghsource *s = gp->src[i];
		enum src_state was = s->state;
		src_set_state(s, SRC_CLOSING);
		if (was == SRC_FETCHING)
			curluv_abort(&gp->cu, s->req.easy);
	}
	ghauth_cancel(&gp->auth);
	gp->pending_closes = 2;
	gp->timer_open = false;
	uv_close((uv_handle_t *)&gp->timer, timer_closed_cb);
	curluv_close(&gp->cu, cu_closed_cb);
}

void ghpoll_deinit(struct ghpoll *gp)
{
	for (size_t i = 0; i < gp->n_src; i++)
		source_free(gp->src[i]);
	free(gp->src);
	gp->src = NULL;
	gp->n_src = gp->cap_src = 0;
	ghauth_deinit(&gp->auth);
}

/* ---- metrics ------------------------------------------------------------------- */

void ghpoll_render_metrics(const struct ghpoll *gp, struct strbuf *b)
{
	metrics_family(b, "runwarden_github_requests_total", "counter",
	               "Requests for GitHub's self-hosted runner lists, by result.");
	for (int r = 0; r < GHPOLL_RESULT_COUNT; r++) {
		strbuf_printf(b, "runwarden_github_requests_total{result=\"%s\"} ",
		              result_names[r]);
		metrics_value(b, gp ? (double)gp->stats.requests[r] : 0);
		strbuf_puts(b, "\n");
	}
	metrics_family(b, "runwarden_github_rate_limit_remaining", "gauge",
	               "x-ratelimit-remaining of GitHub's last answer to a list request.");
	if (gp && gp->stats.rate_remaining >= 0) {
		strbuf_puts(b, "runwarden_github_rate_limit_remaining ");
		metrics_value(b, (double)gp->stats.rate_remaining);
		strbuf_puts(b, "\n");
	}
	metrics_scalar(b, "runwarden_github_last_success_timestamp_seconds", "gauge",
	               "When a whole runner list was last read (Unix time; 0: never).",
	               gp ? (double)gp->stats.last_success_ms / 1000.0 : 0);
	metrics_family(b, "runwarden_github_token_exchanges_total", "counter",
	               "GitHub App installation token exchanges, by result.");
	strbuf_puts(b, "runwarden_github_token_exchanges_total{result=\"ok\"} ");
	metrics_value(b, gp ? (double)gp->auth.exchanges_ok : 0);
	strbuf_puts(b, "\nrunwarden_github_token_exchanges_total{result=\"error\"} ");
	metrics_value(b, gp ? (double)gp->auth.exchanges_failed : 0);
	strbuf_puts(b, "\n");
	metrics_family(b, "runwarden_github_source_failing", "gauge",
	               "1 while the source's last poll failed (the monitor is blind on it).");
	for (size_t i = 0; gp && i < gp->n_src; i++) {
		strbuf_puts(b, "runwarden_github_source_failing{source=");
		metrics_label_value(b, gp->src[i]->name);
		strbuf_printf(b, "} %d\n", gp->src[i]->failures > 0);
	}
}
