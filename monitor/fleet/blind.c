/* SPDX-License-Identifier: MIT */
/*
 * blind.c — the monitor's own blindness; the rules are in blind.h.
 *
 * Invariants: win[] is a binary min-heap on blind_t_ms, r->blind_pos is 1 +
 * r's index in it or 0, and n_net counts the entries with blind_net set.
 * Every period starts in period_begin() and ends in period_end() (or, found
 * after the fact, in blind_record()), so each is counted, logged and queued
 * exactly once.
 */
#include "monitor/fleet/blind.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/log.h"
#include "monitor/core/url.h"
#include "policy/base/rw_error.h"

void blind_init(struct blind *b, struct fleet *f)
{
	memset(b, 0, sizeof(*b));
	b->fleet = f;
	b->latest_ms = -1;
}

void blind_deinit(struct blind *b)
{
	for (size_t i = 0; i < b->n_canaries; i++)
		runner_free(b->canaries[i]);
	free(b->canaries);
	b->canaries = NULL;
	b->n_canaries = 0;
	for (size_t i = 0; i < b->n_win; i++)
		b->win[i]->blind_pos = 0;
	free(b->win);
	b->win = NULL;
	b->n_win = b->cap_win = b->n_net = 0;
}

static bool is_network(int cls)
{
	return cls == RW_ERRCLASS_DNS || cls == RW_ERRCLASS_CONNECT || cls == RW_ERRCLASS_TIMEOUT;
}

static int64_t interval_ms(const struct blind *b)
{
	return (int64_t)b->fleet->pol->probe.interval_s * 1000;
}

/* ---- periods ----------------------------------------------------------- */

static void period_begin(struct blind *b, enum store_blind_cause cause, int64_t from_ms,
                         const char *msg, const char *what, size_t n, size_t k)
{
	struct logline l;

	b->cause[cause].active = true;
	b->cause[cause].since_ms = from_ms;
	b->cause[cause].periods++;
	if (log_begin(&l, RW_LOG_WARN, msg)) {
		log_str(&l, "cause", store_blind_cause_name(cause));
		log_int(&l, "from_ms", from_ms);
		if (what) {
			char key[32];
			log_int(&l, what, (int64_t)n);
			snprintf(key, sizeof(key), "%s_failing", what);
			log_int(&l, key, (int64_t)k);
		}
		log_end(&l);
	}
}

/*
 * Counts [from, to) in runwarden_blind_seconds_total, less what is already
 * counted: the spans in b->counted are disjoint and sorted; the new one is
 * merged into them. Periods overlap (a correlated period backdated into
 * the one before it, canary and correlated blindness at once, a tick gap
 * inside either), and each blind second is counted once. The oldest span
 * is forgotten when the list is full: a period never reaches that far back
 * but at start-up (downtime), when the list is empty.
 */
static void count_blind(struct blind *b, int64_t from, int64_t to)
{
	struct blind_span *v = b->counted;
	int64_t add = to - from;
	size_t i, j;

	if (to <= from)
		return;
	for (i = 0; i < b->n_counted; i++) {
		int64_t a = v[i].from > from ? v[i].from : from;
		int64_t z = v[i].to < to ? v[i].to : to;
		if (z > a)
			add -= z - a;
	}
	b->fleet->m->blind_ms += (uint64_t)add;
	/* Merge: the spans that touch [from, to) become one. */
	for (i = 0; i < b->n_counted && v[i].to < from; i++)
		;
	for (j = i; j < b->n_counted && v[j].from <= to; j++) {
		if (v[j].from < from)
			from = v[j].from;
		if (v[j].to > to)
			to = v[j].to;
	}
	if (j == i) { /* nothing merged: insert at i */
		if (b->n_counted == BLIND_COUNTED) {
			if (i == 0)
				return; /* older than all we remember */
			memmove(&v[0], &v[1], (BLIND_COUNTED - 1) * sizeof(*v));
			b->n_counted--;
			i--;
		}
		memmove(&v[i + 1], &v[i], (b->n_counted - i) * sizeof(*v));
		b->n_counted++;
	} else if (j > i + 1) {
		memmove(&v[i + 1], &v[j], (b->n_counted - j) * sizeof(*v));
		b->n_counted -= j - i - 1;
	}
	v[i].from = from;
	v[i].to = to;
}

static void push_period(struct blind *b, enum store_blind_cause cause, int64_t from_ms,
                        int64_t to_ms)
{
	struct store_rec rec = {.kind = STORE_REC_BLIND};

	rec.u.blind.start_ms = from_ms;
	rec.u.blind.end_ms = to_ms;
	rec.u.blind.cause = (uint8_t)cause;
	writer_push(b->fleet->writer, &rec);
	/* GitHub unreadable blinds the monitor on GitHub's runners only, not
	 * on the whole fleet: it is stored and listed, not counted here. */
	if (cause != STORE_BLIND_GITHUB_API)
		count_blind(b, from_ms, to_ms);
}

static void period_end(struct blind *b, enum store_blind_cause cause, int64_t to_ms)
{
	int64_t from = b->cause[cause].since_ms;
	struct logline l;

	if (to_ms < from)
		to_ms = from;
	b->cause[cause].active = false;
	{
		struct blind_cause *c = &b->cause[cause];
		c->past_from[c->n_past % BLIND_PAST] = from;
		c->past_to[c->n_past % BLIND_PAST] = to_ms;
		c->n_past++;
	}
	push_period(b, cause, from, to_ms);
	if (log_begin(&l, RW_LOG_INFO, "monitor sees again: blind period over")) {
		log_str(&l, "cause", store_blind_cause_name(cause));
		log_int(&l, "from_ms", from);
		log_int(&l, "to_ms", to_ms);
		log_int(&l, "duration_ms", to_ms - from);
		log_end(&l);
	}
}

void blind_record(struct blind *b, enum store_blind_cause cause, int64_t from_ms, int64_t to_ms)
{
	struct logline l;

	if (to_ms < from_ms)
		to_ms = from_ms;
	push_period(b, cause, from_ms, to_ms);
	b->cause[cause].periods++;
	if (log_begin(&l, RW_LOG_WARN,
	              cause == STORE_BLIND_GITHUB_API
	                      ? "GitHub was unreadable: its pools' time was unknown"
	                      : "monitor blind: time is unknown for every runner")) {
		log_str(&l, "cause", store_blind_cause_name(cause));
		log_int(&l, "from_ms", from_ms);
		log_int(&l, "to_ms", to_ms);
		log_int(&l, "duration_ms", to_ms - from_ms);
		log_end(&l);
	}
}

void blind_stop(struct blind *b, int64_t now_ms)
{
	static const enum store_blind_cause live[] = {STORE_BLIND_CANARY, STORE_BLIND_CORRELATED,
	                                              STORE_BLIND_STORAGE};

	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (b->cause[live[i]].active)
			period_end(b, live[i], now_ms);
}

bool blind_active(const struct blind *b, enum store_blind_cause cause)
{
	return cause > 0 && cause < STORE_BLIND_CAUSE_COUNT && b->cause[cause].active;
}

/*
 * Whether @p cause's blindness covers a result sampled at @p t_ms: it is
 * active (a result that arrives while the monitor is blind is judged by
 * it, whenever its probe started), or @p t_ms is inside one of its
 * recently ended periods (a probe that started in it and whose result,
 * a timeout say, arrived after it ended).
 */
static bool covers(const struct blind *b, enum store_blind_cause cause, int64_t t_ms)
{
	const struct blind_cause *c = &b->cause[cause];
	unsigned n = c->n_past < BLIND_PAST ? c->n_past : BLIND_PAST;

	if (c->active)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (c->past_from[i] <= t_ms && t_ms < c->past_to[i])
			return true;
	return false;
}

/* Whether @p t_ms is inside an ended period of @p cause (not an active one). */
static bool in_past(const struct blind *b, enum store_blind_cause cause, int64_t t_ms)
{
	const struct blind_cause *c = &b->cause[cause];
	unsigned n = c->n_past < BLIND_PAST ? c->n_past : BLIND_PAST;

	for (unsigned i = 0; i < n; i++)
		if (c->past_from[i] <= t_ms && t_ms < c->past_to[i])
			return true;
	return false;
}

/*
 * The retroactive correction of a blind period that starts at @p from_ms,
 * one rule for every runner, whatever its state: a runner whose latest
 * result is a failure the period covers (with @p net_only a network-class
 * one) is unknown from the later of @p from_ms and the first failure of
 * that run. From the period's start on, such failures are the monitor's,
 * and so is what they keep saying: a runner that went down in the period
 * (even with failures_to_down 1) is unknown from the same start instead (its
 * incident voided), an up runner's pending failure run is dropped, and a
 * runner down since before the period, for reasons of its own or at the
 * outage's first probes, is unknown from the period's start (what it was
 * before the start stays: runstate_blind() never rewrites it).
 * Push runners are skipped (their silence is not the monitor's network),
 * and so are GitHub pools and members (their evidence is GitHub's API,
 * whose blindness is github_api).
 * @return the earliest time corrected, or INT64_MAX when none.
 */
static int64_t correct_since(struct blind *b, int64_t from_ms, bool net_only, const char *cause)
{
	struct fleet *f = b->fleet;
	int64_t earliest = INT64_MAX;

	for (size_t i = 0; i < f->n; i++) {
		struct runner *r = f->v[i];
		int64_t at;

		if (r->push || !(net_only ? r->blind_net_failing : r->blind_failing))
			continue;
		at = net_only ? r->blind_net_since_ms : r->blind_fail_since_ms;
		if (at < from_ms)
			at = from_ms;
		fleet_blind_runner(f, r, at, cause);
		if (at < earliest)
			earliest = at;
	}
	return earliest;
}

/* ---- correlated failures: the window ------------------------------------ */

static void win_set(struct blind *b, size_t i, struct runner *r)
{
	b->win[i] = r;
	r->blind_pos = i + 1;
}

static void win_up(struct blind *b, size_t i)
{
	struct runner *r = b->win[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (b->win[parent]->blind_t_ms <= r->blind_t_ms)
			break;
		win_set(b, i, b->win[parent]);
		i = parent;
	}
	win_set(b, i, r);
}

static void win_down(struct blind *b, size_t i)
{
	struct runner *r = b->win[i];

	for (;;) {
		size_t l = 2 * i + 1, m = l;
		if (l >= b->n_win)
			break;
		if (l + 1 < b->n_win && b->win[l + 1]->blind_t_ms < b->win[l]->blind_t_ms)
			m = l + 1;
		if (r->blind_t_ms <= b->win[m]->blind_t_ms)
			break;
		win_set(b, i, b->win[m]);
		i = m;
	}
	win_set(b, i, r);
}

static void win_del(struct blind *b, size_t i)
{
	struct runner *r = b->win[i], *moved;
	size_t last = --b->n_win;

	if (r->blind_net)
		b->n_net--;
	r->blind_pos = 0;
	if (i == last)
		return;
	moved = b->win[last];
	win_set(b, i, moved);
	win_up(b, i);
	win_down(b, moved->blind_pos - 1);
}

/* r's latest result is now (t_ms, net). */
static void win_put(struct blind *b, struct runner *r, int64_t t_ms, bool net)
{
	if (r->blind_pos) {
		size_t i = r->blind_pos - 1;
		b->n_net -= r->blind_net;
		r->blind_t_ms = t_ms;
		r->blind_net = net;
		b->n_net += net;
		win_up(b, i);
		win_down(b, r->blind_pos - 1);
		return;
	}
	if (b->n_win == b->cap_win) {
		size_t ncap = b->cap_win ? b->cap_win * 2 : 64;
		struct runner **nv = realloc(b->win, ncap * sizeof(*nv));
		if (!nv) {
			log_msg(RW_LOG_ERROR, "out of memory for the blindness window", "runner",
			        r->name);
			return;
		}
		b->win = nv;
		b->cap_win = ncap;
	}
	r->blind_t_ms = t_ms;
	r->blind_net = net;
	b->n_net += net;
	win_set(b, b->n_win++, r);
	win_up(b, b->n_win - 1);
}

void blind_forget(struct blind *b, struct runner *r)
{
	if (r->blind_pos)
		win_del(b, r->blind_pos - 1);
}

/* k of n at least the fraction, exactly. */
static bool ratio_reached(uint64_t k, uint64_t n, uint32_t fraction_ppm)
{
	return n > 0 && k * 1000000 >= n * fraction_ppm;
}

/* Re-decides correlated blindness with the window ending at @p end_ms; a
 * period that ends, ends at @p end_ms. */
static void correlated_eval(struct blind *b, int64_t end_ms)
{
	const struct rw_policy *pol = b->fleet->pol;
	int64_t iv = interval_ms(b);
	bool hit;

	while (b->n_win > 0 && b->win[0]->blind_t_ms <= end_ms - iv)
		win_del(b, 0);
	hit = ratio_reached(b->n_net, b->n_win, pol->blindness.fraction_ppm);
	if (b->cause[STORE_BLIND_CORRELATED].active) {
		if (!hit)
			period_end(b, STORE_BLIND_CORRELATED, end_ms);
		return;
	}
	if (hit && b->n_win >= pol->blindness.min_runners) {
		const struct blind_cause *c = &b->cause[STORE_BLIND_CORRELATED];
		int64_t start = end_ms;
		/* The period starts at its earliest counted failure, but never
		 * inside the previous one: periods of one cause do not overlap. */
		for (size_t i = 0; i < b->n_win; i++)
			if (b->win[i]->blind_net && b->win[i]->blind_t_ms < start)
				start = b->win[i]->blind_t_ms;
		if (c->n_past > 0 && start < c->past_to[(c->n_past - 1) % BLIND_PAST])
			start = c->past_to[(c->n_past - 1) % BLIND_PAST];
		correct_since(b, start, true, "blind: correlated");
		period_begin(b, STORE_BLIND_CORRELATED, start,
		             "monitor blind: many runners fail at once with network errors; "
		             "their network failures are unknown",
		             "runners", b->n_win, b->n_net);
	}
}

/* Keeps r's runs of failures (correct_since() reads them). */
static void track_runs(struct runner *r, int64_t t_ms, bool failed, bool net)
{
	if (failed && !r->blind_failing)
		r->blind_fail_since_ms = t_ms;
	if (net && !r->blind_net_failing)
		r->blind_net_since_ms = t_ms;
	r->blind_failing = failed;
	r->blind_net_failing = net;
	r->blind_last_ms = t_ms;
}

enum fleet_apply blind_on_result(struct blind *b, struct runner *r, const struct probe_result *res)
{
	bool failed = res->cls != RW_ERRCLASS_NONE, net = is_network(res->cls);
	int64_t t = res->t_ms;

	track_runs(r, t, failed, net);
	/* A network failure sampled inside an ended correlated period is
	 * that period's (below), not evidence of a new one: the runner is
	 * out of the window until its next result. */
	if (net && in_past(b, STORE_BLIND_CORRELATED, t))
		blind_forget(b, r);
	else
		win_put(b, r, t, net);
	if (t > b->latest_ms)
		b->latest_ms = t;
	correlated_eval(b, b->latest_ms);

	/* Each result is judged by the time it was sampled: a probe that
	 * started while the monitor was blind and ended after is blind too. */
	if (covers(b, STORE_BLIND_STORAGE, t))
		return FLEET_APPLY_NONE;
	if (!failed || t < r->rs.since_ms)
		return FLEET_APPLY_SAMPLE; /* a success, or a sample rule 6 ignores */
	if (covers(b, STORE_BLIND_CANARY, t) || (net && covers(b, STORE_BLIND_CORRELATED, t)))
		return FLEET_APPLY_BLIND;
	return FLEET_APPLY_SAMPLE;
}

/* ---- canaries ------------------------------------------------------------ */

static bool canary_failing(const struct runner *c)
{
	return c->rs.state == RW_STATE_DOWN;
}

size_t blind_canaries_failing(const struct blind *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->n_canaries; i++)
		k += canary_failing(b->canaries[i]);
	return k;
}

/* Re-decides canary blindness; a period that ends, ends at @p at_ms. */
static void canary_eval(struct blind *b, int64_t at_ms)
{
	size_t n = b->n_canaries, k = blind_canaries_failing(b);
	bool hit = 2 * k > n;
	int64_t from = INT64_MAX;

	if (b->cause[STORE_BLIND_CANARY].active) {
		if (!hit)
			period_end(b, STORE_BLIND_CANARY, at_ms);
		return;
	}
	if (!hit)
		return;
	for (size_t i = 0; i < n; i++)
		if (canary_failing(b->canaries[i]) && b->canaries[i]->rs.since_ms < from)
			from = b->canaries[i]->rs.since_ms;
	correct_since(b, from, false, "blind: canary");
	period_begin(b, STORE_BLIND_CANARY, from,
	             "monitor blind: most canaries fail; runner failures are unknown", "canaries",
	             n, k);
}

void blind_canary_result(struct blind *b, struct runner *c, const struct probe_result *res)
{
	struct runstate_change ch[RUNSTATE_MAX_CHANGES];
	bool ok = res->cls == RW_ERRCLASS_NONE;
	bool was = canary_failing(c);
	struct logline l;

	runstate_sample(&c->rs, &c->params, res->t_ms, ok, ch);
	c->last_probe_ms = res->t_ms;
	c->last_class = (uint8_t)res->cls;
	c->last_http = (uint16_t)res->http_status;
	c->last_latency_us = res->latency_us;
	if (was != canary_failing(c) &&
	    log_begin(&l, RW_LOG_INFO, was ? "canary answers again" : "canary fails")) {
		log_str(&l, "canary", c->url);
		log_str(&l, "class", rw_errclass_name(res->cls));
		if (!ok)
			log_str(&l, "detail", res->detail);
		log_end(&l);
	}
	canary_eval(b, res->t_ms);
}

/* A canary: a runner that is not in the fleet. */
static int canary_new(const struct rw_policy *pol, const char *url, int64_t id, struct runner **out)
{
	char host[256], err[160];
	int port = 0, https = 0;
	unsigned char buf[sizeof(struct in6_addr)];
	int64_t iv = (int64_t)pol->probe.interval_s * 1000;
	struct runner *c;

	*out = NULL;
	if (url_parse(url, host, sizeof(host), &port, &https, err, sizeof(err)) < 0)
		return RW_EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return RW_ENOMEM;
	c->id = id;
	if (runner_set_registry(
	            c, &(struct runner_registry){.name = url, .url = url, .host = host}) < 0) {
		runner_free(c);
		return RW_ENOMEM;
	}
	c->port = port ? port : (https ? 443 : 80);
	c->host_is_ip = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
	c->status = STORE_RUNNER_APPROVED;
	c->params.interval_ms = iv;
	c->params.failures_to_down = 1;
	c->params.successes_to_up = 1;
	c->timeout_ms = (int64_t)pol->probe.timeout_ms < iv ? pol->probe.timeout_ms : (uint32_t)iv;
	c->heap_idx = SIZE_MAX;
	c->last_latency_us = -1;
	runstate_init(&c->rs, RW_STATE_UNKNOWN, 0);
	*out = c;
	return 0;
}

int blind_canaries_load(struct blind *b, const struct rw_policy *pol, int64_t now_ms,
                        struct runner ***old, size_t *n_old)
{
	size_t n = pol->blindness.n_canaries;
	struct runner **nv = NULL;
	int rc = 0;

	*old = NULL;
	*n_old = 0;
	if (n > 0) {
		nv = calloc(n, sizeof(*nv));
		if (!nv)
			return RW_ENOMEM;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = canary_new(pol, pol->blindness.canaries[i], -(int64_t)i - 1, &nv[i]);
		for (size_t j = 0; rc == 0 && j < b->n_canaries; j++) {
			const struct runner *o = b->canaries[j];
			if (strcmp(o->url, nv[i]->url) == 0) {
				nv[i]->rs = o->rs;
				nv[i]->last_probe_ms = o->last_probe_ms;
				nv[i]->last_class = o->last_class;
				nv[i]->last_http = o->last_http;
				nv[i]->last_latency_us = o->last_latency_us;
				break;
			}
		}
	}
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			runner_free(nv[i]);
		free(nv);
		return rc;
	}
	*old = b->canaries;
	*n_old = b->n_canaries;
	b->canaries = nv;
	b->n_canaries = n;
	canary_eval(b, now_ms);
	return 0;
}

/* ---- storage, tick, metrics ------------------------------------------------ */

void blind_storage(struct blind *b, int rc, int64_t now_ms)
{
	if (rc < 0 && !b->cause[STORE_BLIND_STORAGE].active) {
		period_begin(b, STORE_BLIND_STORAGE, now_ms,
		             "monitor blind: storage fails; every runner is unknown until it "
		             "recovers",
		             NULL, 0, 0);
		fleet_blind(b->fleet, now_ms);
	} else if (rc >= 0 && b->cause[STORE_BLIND_STORAGE].active) {
		period_end(b, STORE_BLIND_STORAGE, now_ms);
	}
}

void blind_tick(struct blind *b, int64_t now_ms)
{
	int64_t end = now_ms - interval_ms(b);

	correlated_eval(b, b->latest_ms > end ? b->latest_ms : end);
	for (size_t i = 0; i < b->n_canaries; i++) {
		struct runstate_change ch[1];
		struct runner *c = b->canaries[i];
		runstate_advance(&c->rs, &c->params, now_ms, ch);
	}
	canary_eval(b, now_ms);
}

void blind_render_metrics(const struct blind *b, struct strbuf *sb)
{
	strbuf_puts(sb, "# HELP runwarden_blind_periods_total Periods the monitor could not see, "
	                "by cause.\n# TYPE runwarden_blind_periods_total counter\n");
	for (int c = 1; c < STORE_BLIND_CAUSE_COUNT; c++)
		strbuf_printf(sb, "runwarden_blind_periods_total{cause=\"%s\"} %llu\n",
		              store_blind_cause_name(c), (unsigned long long)b->cause[c].periods);
	strbuf_puts(sb, "# HELP runwarden_blind_active Whether the monitor is blind now, by cause "
	                "(1: blind).\n# TYPE runwarden_blind_active gauge\n");
	for (int c = 1; c < STORE_BLIND_CAUSE_COUNT; c++)
		strbuf_printf(sb, "runwarden_blind_active{cause=\"%s\"} %d\n",
		              store_blind_cause_name(c), b->cause[c].active ? 1 : 0);
	metrics_scalar(sb, "runwarden_canaries", "gauge", "Canaries the policy names.",
	               (double)b->n_canaries);
	metrics_scalar(sb, "runwarden_canaries_failing", "gauge",
	               "Canaries whose latest probe failed.", (double)blind_canaries_failing(b));
}
