/* SPDX-License-Identifier: MIT */
/*
 * policy.h — the uptime policy as a plain struct, its defaults, its parser.
 *
 * A policy is immutable once parsed: the daemon swaps whole policies on
 * SIGHUP and never edits one in place. Everything here is pure (libc and
 * cJSON only); the SHA-256 of the file is computed by the caller (monitor/),
 * because policy/ does not link libcrypto.
 *
 * Ratios (floors, coverage, margins) are kept both as the double the file
 * gave and as integer parts per million (ppm), and every comparison in the
 * accounting uses the ppm form, so that no verdict depends on floating-point
 * rounding. A ratio therefore has six decimal digits of precision.
 */
#ifndef RW_POLICY_H
#define RW_POLICY_H

#include <stddef.h>
#include <stdint.h>

/** The states a runner's time can be in (DESIGN.md "Availability accounting").
 *  The numeric values are stored in SQLite: never renumber.
 *  RW_STATE_NOT_REGISTERED is the accounting's alone (policy/account.h): time
 *  before the runner's registration or after its retirement, outside its
 *  period. It is never a stored interval nor a state machine's state. */
enum rw_state {
	RW_STATE_UNKNOWN = 0,
	RW_STATE_UP = 1,
	RW_STATE_DOWN = 2,
	RW_STATE_MAINTENANCE = 3,
	RW_STATE_OUTSIDE_WINDOW = 4,
	RW_STATE_NOT_REGISTERED = 5,
};
#define RW_STATE_COUNT 6

/** Returns "unknown", "up", "down", "maintenance", "outside_window" or
 *  "not_registered". */
const char *rw_state_name(enum rw_state s);

/** Error class of a failed probe (DESIGN.md "Heartbeat sources").
 *  The numeric values are stored in SQLite: never renumber. */
enum rw_errclass {
	RW_ERRCLASS_NONE = 0, /* the probe succeeded */
	RW_ERRCLASS_DNS = 1,
	RW_ERRCLASS_CONNECT = 2,
	RW_ERRCLASS_TLS = 3,
	RW_ERRCLASS_TIMEOUT = 4,
	RW_ERRCLASS_HTTP_STATUS = 5,
	RW_ERRCLASS_BODY = 6,
	RW_ERRCLASS_TOO_LARGE = 7,
	RW_ERRCLASS_REFUSED_BY_GUARD = 8,
	/* GitHub as a heartbeat source: the sample of a member runner or of a
	 * pool (DESIGN.md "Heartbeat sources", the github and job pickup rows). */
	RW_ERRCLASS_OFFLINE = 9,           /* a member GitHub lists as offline */
	RW_ERRCLASS_GONE = 10,             /* a known member missing from GitHub's list */
	RW_ERRCLASS_BELOW_MIN_ONLINE = 11, /* a pool with fewer than min_online online */
	RW_ERRCLASS_NO_PICKUP = 12,        /* a pool's job waited past pickup_within_s */
};
#define RW_ERRCLASS_COUNT 13

/** Returns "ok", "dns", "connect", "tls", "timeout", "http_status", "body",
 *  "too_large", "refused_by_guard", "offline", "gone", "below_min_online" or
 *  "no_pickup" (the names of the error_classes table); "unknown" for any
 *  other value. */
const char *rw_errclass_name(enum rw_errclass c);

/** One floor per tier: "tiers": { "2": { "uptime_floor": 0.99 } }. */
struct rw_policy_tier {
	int tier;            /* 1..9 */
	double uptime_floor; /* [0, 1] */
	uint32_t floor_ppm;  /* uptime_floor in parts per million */
};

/** "targets": { "riscv64gc-unknown-linux-gnu": 2 }. */
struct rw_policy_target {
	char *triple; /* owned by the policy */
	int tier;
};

/** One span of the weekly service window, in UTC. */
struct rw_policy_span {
	uint8_t days;      /* bit 0 = Monday … bit 6 = Sunday */
	uint16_t from_min; /* minutes after midnight, 0..1439 */
	uint16_t to_min;   /* minutes after midnight, 1..1440; > from_min */
};

struct rw_policy {
	int version; /* the required "version" field, >= 1 */

	double uptime_floor; /* default floor, [0, 1]; default 0.99 */
	uint32_t floor_ppm;

	struct rw_policy_tier *tiers; /* owned */
	size_t n_tiers;
	struct rw_policy_target *targets; /* owned */
	size_t n_targets;

	struct {
		uint32_t interval_s;       /* 1..86400; default 60 */
		uint32_t timeout_ms;       /* 100..interval_s*1000; default 10000 */
		uint32_t failures_to_down; /* 1..100; default 3 */
		uint32_t successes_to_up;  /* 1..100; default 1 */
	} probe;

	struct {
		uint32_t grace_s; /* 0..86400; default 120 */
	} push;

	/* Several vantage points (daemons with `serve --vantage NAME` on one
	 * database): a runner is down while at least quorum of them hold it
	 * down, up while one holds it up and fewer than quorum hold it down,
	 * unknown otherwise (policy/quorum.h). The leader's policy counts. */
	struct {
		uint32_t quorum; /* 1..64; default 1 */
	} vantage;

	struct {
		uint32_t rolling_days; /* 1..366; default 30 */
		double min_coverage;   /* [0, 1]; default 0.9 */
		uint32_t min_coverage_ppm;
	} window;

	struct {
		double restore_margin; /* [0, 1]; default 0.005 */
		uint32_t restore_margin_ppm;
		uint32_t probation_days; /* 0..366; default 7 */
	} flagging;

	struct {
		uint32_t min_notice_h;    /* 0..8760; default 24 */
		uint32_t max_h_per_month; /* 0..744; default 8 */
	} maintenance;

	/* Weekly service window; n_service_spans == 0 means always in service. */
	struct rw_policy_span *service_spans; /* owned */
	size_t n_service_spans;

	struct {
		double fraction; /* (0, 1]; default 0.5 */
		uint32_t fraction_ppm;
		uint32_t min_runners; /* 1..1000000; default 4 */
		char **canaries;      /* owned; http(s) URLs */
		size_t n_canaries;
	} blindness;

	/* The pool minimum the monthly report checks for every target: at
	 * least min_runners compliant (PASS) runners serve it. */
	struct {
		uint32_t min_runners; /* 0..100000; default 0: no minimum */
	} pool;

	/* GitHub pools: a member missing from GitHub's list this long is
	 * retired (GitHub itself drops offline runners after 14 days). */
	struct {
		uint32_t member_retention_days; /* 1..366; default 14 */
	} github;
};

/**
 * Fills @p p with the documented defaults (version 1, no tiers, no targets,
 * no service window, no canaries). The result owns nothing; deinit is still
 * allowed.
 */
void policy_defaults(struct rw_policy *p);

/**
 * Checks one URL of a policy (a canary), for policy_parse().
 *
 * @param url     the URL as the document gives it (NUL-terminated).
 * @param why     on failure receives one line saying what is wrong (the parser
 *                writes it after the field and the quoted URL).
 * @param whylen  size of @p why.
 * @return 0 when the URL may be used; RW_EINVAL when it may not; RW_ENOMEM.
 */
typedef int policy_url_check_cb(const char *url, char *why, size_t whylen);

/**
 * What the caller of policy_parse() supplies that a pure parser cannot do
 * itself. URLs are parsed by libcurl's URL API, which policy/ must not link;
 * so the parser asks the caller (the daemon and the CLI pass url_check(),
 * monitor/core/url.h), and every URL runwarden will ever request is checked
 * by the one parser that also reads it at transfer time.
 */
struct policy_parse_opts {
	/* Checks every canary URL. NULL: canaries are taken as any string,
	 * unchecked; only for a caller that never requests them (say why). */
	policy_url_check_cb *check_url;
};

/**
 * Parses a policy document. Every field is optional except "version"; absent
 * fields take the defaults of policy_defaults(). Unknown keys are errors.
 *
 * @param out      filled on success; on failure left as policy_defaults()
 *                 (nothing to free, but policy_deinit() is allowed).
 * @param text     the file's bytes, need not be NUL-terminated.
 * @param len      their length.
 * @param filename used in messages ("policy.json"); may be NULL.
 * @param opts     the caller's checks (struct policy_parse_opts); NULL is
 *                 the same as all of them NULL.
 * @param err      on failure receives one line, e.g.
 *                 "policy.json:12: uptime_floor: 1.5 is not in [0, 1]".
 * @return 0, RW_EINVAL (bad document) or RW_ENOMEM.
 */
int policy_parse(struct rw_policy *out, const char *text, size_t len, const char *filename,
                 const struct policy_parse_opts *opts, char *err, size_t errlen);

/** Frees what @p p owns and resets it to defaults. Accepts NULL. */
void policy_deinit(struct rw_policy *p);

/**
 * Renders @p p as normalized JSON (every field, defaults included, keys in a
 * fixed order, two-space indent, trailing newline).
 * @return a malloc'd string the caller frees, or NULL on allocation failure.
 */
char *policy_to_json(const struct rw_policy *p);

/** The tier of @p triple in the policy's target map, or 0 when not mapped. */
int policy_target_tier(const struct rw_policy *p, const char *triple);

/**
 * The floor (ppm) that applies to a runner serving @p targets: the strictest
 * (highest) floor among its targets' tiers; a target without a tier, or a
 * tier without its own floor, uses the default floor.
 */
uint32_t policy_floor_ppm(const struct rw_policy *p, const char *const *targets, size_t n);

/**
 * When a runner's probation ends: flagging.probation_days after its
 * registration @p created_ms, or at @p waived_ms when the admin waived it
 * before that (`runner approve --no-probation`; 0: not waived). A runner is
 * in probation at t while t < the end. One function for the daemon's
 * eligibility, the route's "until" and what-if, so they cannot disagree.
 */
int64_t policy_probation_end_ms(const struct rw_policy *p, int64_t created_ms, int64_t waived_ms);

#endif
