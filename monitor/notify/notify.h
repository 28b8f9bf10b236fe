/* SPDX-License-Identifier: MIT */
/*
 * notify.h — the events outbox (store.h "events") delivered to its sinks:
 * the webhooks of the config (below), Zulip ("zulip" in the config:
 * notify_zulip.c) and mail to each runner's operator ("smtp":
 * notify_email.c). Every sink is the same machine (notify.c): a durable
 * cursor, one delivery at a time in id order, retried with backoff, given
 * up after 24 h; what differs is what a sink sends for which events.
 * Zulip's and mail's cursors are rows of webhook_cursors too, keyed
 * "zulip:SITE#STREAM" and "smtp:URL".
 *
 * Each webhook has a cursor, the id of the last event it delivered, kept in
 * the store (webhook_cursors), so delivery resumes after a restart or a
 * crash where it stopped. A webhook delivers one event at a time, in id
 * order, which is also the order of each runner's events; the cursor moves
 * only after a 2xx answer, so an event may arrive twice (after a crash
 * between the answer and the cursor's write) but is never skipped, except:
 * an event that keeps failing (to render, to be sent or to be answered
 * with a 2xx) is retried with exponential backoff from 1 s to 1 h, each
 * failure counted in runwarden_webhook_failures_total, for 24 h from its
 * first failure, then dropped (logged and counted
 * in runwarden_webhook_dropped_total) so that one bad event does not stop
 * the feed forever.
 *
 * A delivery is `POST URL` with the event as JSON (the same object as in
 * GET /v1/events), `X-Runwarden-Event-Id: ID`, `X-Runwarden-Event: KIND` and
 * `X-Runwarden-Signature: sha256=HEX`, the HMAC-SHA256 of the body with the
 * webhook's secret. Webhook targets pass the same address guard as probes,
 * at start-up (the host) and at connect time (the address); redirects are
 * not followed; a delivery times out after 10 s.
 */
#ifndef RW_NOTIFY_H
#define RW_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "monitor/core/config.h"
#include "monitor/core/guard.h"
#include "monitor/probe/curluv.h"
#include "monitor/store/store.h"
#include "policy/base/strbuf.h"

#define NOTIFY_POLL_MS        250
#define NOTIFY_TIMEOUT_MS     10000
#define NOTIFY_BACKOFF_MIN_MS 1000
#define NOTIFY_BACKOFF_MAX_MS 3600000
#define NOTIFY_GIVE_UP_MS     (24LL * 3600 * 1000)

struct notify;
struct hook;

typedef void (*notify_closed_cb)(struct notify *n, void *data);

/**
 * Starts delivering to the webhooks, Zulip and mail of @p cfg (which must
 * outlive it), reading events and cursors through @p st (the loop thread's
 * store). With none configured, *@p out is NULL and nothing runs. A sink
 * seen for the first time starts with the events after the newest one.
 * @param err  one line on failure, naming the webhook.
 * @return 0, RW_EINVAL (a webhook's URL does not parse), RW_EREFUSED (a
 *         webhook's host is refused by @p guard), RW_ENOMEM, RW_EIO.
 */
int notify_new(struct notify **out, uv_loop_t *loop, const struct rw_config *cfg,
               const struct guard *guard, struct store *st, char *err, size_t errlen);

/** Renders one event as delivered (the body that is signed). */
typedef int (*notify_render_fn)(struct strbuf *b, const struct store_event *e);
void notify_set_renderer(struct notify *n, notify_render_fn fn);

/**
 * Appends the webhooks' metrics (per URL, its query string left out as it
 * may carry a secret: delivered, failures, dropped, pending events as of the
 * last poll, failing) and the same of Zulip and mail
 * (runwarden_notification_*{channel="zulip"|"email"}) to @p b, from memory;
 * @p n may be NULL (none: the families with no samples).
 */
void notify_render_metrics(const struct notify *n, struct strbuf *b);

/**
 * Whether this daemon delivers (default: yes). With several daemons on one
 * PostgreSQL database only the leader does (monitor/daemon/leader.h): a
 * follower starts no delivery (one in flight when it lost the lead ends
 * and moves its cursor). Made active again, each sink first reads its
 * stored cursor, which the old leader moved, and goes on from there: every
 * event is delivered at least once and in id order, and a receiver
 * deduplicates by the event id (X-Runwarden-Event-Id). Accepts NULL.
 */
void notify_set_active(struct notify *n, bool active);

/**
 * Stops: aborts deliveries in flight (their events are delivered again
 * after the next start), closes every handle, then calls @p cb once.
 * Accepts NULL (then @p cb runs at once).
 */
void notify_close(struct notify *n, notify_closed_cb cb, void *data);

/** State changes of webhook delivery that notify.c's transition table
 *  forbids (bugs; each is also logged as an error). For tests. */
uint64_t notify_bad_transitions(const struct notify *n);

/** Frees a closed notifier. Accepts NULL. */
void notify_free(struct notify *n);

#endif
