/* SPDX-License-Identifier: MIT */
/*
 * notify_impl.h — private to monitor/notify: a sink, the one delivery
 * machine (notify.c) every destination shares, and what each kind of
 * destination adds to it (struct sink_ops): webhooks (notify.c), Zulip
 * (notify_zulip.c), mail to operators (notify_email.c), and the words
 * people read (notify_text.c).
 *
 * A sink owns a cursor in the outbox (webhook_cursors, keyed by
 * sink->key), one curl easy handle and one delivery at a time. Its kind
 * loads the next delivery after the cursor (which events it covers, what
 * to send), sets the request up, and judges the answer; notify.c does the
 * rest: the state machine, the cursor's durable moves, backoff, giving up,
 * the metrics.
 */
#ifndef RW_NOTIFY_IMPL_H
#define RW_NOTIFY_IMPL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/notify/notify.h"

/* load(): no delivery, but the cursor may move to sink->upto (events of
 * no interest to this sink). */
#define NOTIFY_SKIP 2

/* judge(): the answer says this delivery will never succeed (a mailbox
 * that does not exist): it is dropped now rather than retried for 24 h. */
#define NOTIFY_PERMANENT 1

enum sink_state {
	SINK_IDLE,    /* waiting for an event after the cursor */
	SINK_SENDING, /* its delivery's request in flight */
	SINK_BACKOFF, /* its delivery failed; retried at retry_at */
	SINK_STOPPED, /* notify_close(): nothing runs any more */
	SINK_STATE_COUNT
};

struct sink;

struct sink_ops {
	/* Which family of metrics (false: runwarden_notification_*{channel}). */
	bool is_webhook;
	/* Loads the delivery after s->cursor and sets s->upto, the cursor once
	 * it is delivered. @return 1 loaded, 0 nothing yet, NOTIFY_SKIP, or a
	 * negative code (it cannot be rendered: a failure like any other). */
	int (*load)(struct sink *s);
	/* Sets the kind's options on s->easy for the loaded delivery (after
	 * notify.c's common ones). @return 0 or RW_E*. */
	int (*prepare)(struct sink *s);
	/* 0 when the answer is a success; else -1 (retry) or NOTIFY_PERMANENT,
	 * with the reason in @p why. */
	int (*judge)(struct sink *s, CURLcode result, long status, char *why, size_t whylen);
	/* The loaded delivery is over (delivered, dropped): free it. */
	void (*clear)(struct sink *s);
	/* Frees the kind's state (s->impl). */
	void (*free)(struct sink *s);
};

struct sink {
	struct notify *n;
	struct store *st; /* the loop thread's: events, cursors, runners */
	uv_loop_t *loop;
	int64_t *max_id; /* the notifier's newest event id, for the metrics */
	const struct sink_ops *ops;
	void *impl; /* the kind's state */
	char key[URL_MAX + 16];
	char shown[512];     /* what logs and metrics show: no query, no secret */
	const char *channel; /* "webhook", "zulip", "email" */
	enum sink_state state;
	int64_t cursor;      /* the last event delivered (or dropped) */
	int64_t upto;        /* the cursor once the loaded delivery is done */
	bool cursor_unsaved; /* the store refused it: saved again at the next tick */
	bool loaded;         /* a delivery is loaded (SENDING, or in BACKOFF) */
	bool reload;         /* read the stored cursor again before the next attempt */
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	unsigned attempts;     /* failures of this delivery so far */
	int64_t failing_since; /* wall time of its first failure */
	bool failing;          /* from a failure until the next success */
	uint64_t retry_at;     /* loop time */
	uint64_t delivered, failed, dropped;
};

/**
 * The events of @p kinds (NULL-ended) after s->cursor, at most @p limit
 * (notify_sink.c),
 * committed as of the newest id read first.
 * @return 0 with *n events (0: none yet: the store could not be read, or
 *         an event is still being committed), or NOTIFY_SKIP with
 *         s->upto set when none after the cursor is of @p kinds.
 */
int notify_next_events(struct sink *s, const char *const *kinds, size_t limit,
                       struct store_event **v, size_t *n);

/* Each kind's set-up, from notify_new(): fills s (ops, impl, key, shown,
 * channel); err names the key at fault. */
int notify_zulip_init(struct sink *s, const struct rw_config *cfg, char *err, size_t errlen);
int notify_email_init(struct sink *s, const struct rw_config *cfg, char *err, size_t errlen);

/* ---- words (notify_text.c) ---- */

/** "2026-10-03 14:02:11 UTC" (at least 32 bytes). */
void notify_time(int64_t ms, char *out, size_t len);

/** What a failure class and HTTP status mean, for people: "HTTP 503",
 *  "the connection was refused or did not complete", ... */
const char *notify_class_text(const char *cls, long http_status, char *buf, size_t len);

/** Appends @p s to @p b without bytes that could end a line or a header
 *  (control bytes and non-ASCII become '?'); at most @p max bytes. */
void notify_put_plain(struct strbuf *b, const char *s, size_t max);

/** Appends @p s as a Zulip Markdown code span (backticks and control
 *  bytes replaced), at most @p max bytes of it. */
void notify_put_code(struct strbuf *b, const char *s, size_t max);

#endif
