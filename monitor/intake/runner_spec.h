/* SPDX-License-Identifier: MIT */
/*
 * runner_spec.h — the one validator of what a user may register: operator
 * names and emails, runner names, targets and URLs, GitHub pools. The CLI
 * (add, import) and the HTTP API (reqbody.c) call these, so the rules cannot
 * drift apart.
 * Every error is one line naming the field, the value and what is allowed.
 */
#ifndef RW_RUNNER_SPEC_H
#define RW_RUNNER_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#define RUNNER_SPEC_MAX_TARGETS 16
#define RUNNER_SPEC_NAME_MAX    64

/** A name: 1..64 bytes of [A-Za-z0-9._-], starting with a letter or digit. */
int spec_check_name(const char *field, const char *name, char *err, size_t errlen);

/** An email: local@domain, no spaces or control bytes, at most 254 bytes. */
int spec_check_email(const char *email, char *err, size_t errlen);

/** A list of 1..16 distinct target triples. */
int spec_check_targets(const char *const *targets, size_t n, char *err, size_t errlen);

struct rw_policy;

/**
 * Whether every one of @p targets (well-formed: spec_check_targets()) is a
 * target runwarden knows under @p pol (policy/target.h target_known(): the
 * policy's "targets" when it lists any, else Rust's vocabulary), so that a
 * typo does not become a target of its own. @p pol may be NULL.
 * @return 0, or RW_EINVAL with @p err naming the target and the closest name.
 */
int spec_check_targets_known(const char *const *targets, size_t n, const struct rw_policy *pol,
                             char *err, size_t errlen);

/** 0..16 distinct runs-on labels, each a name (spec_check_name()), e.g. "self-hosted". */
int spec_check_labels(const char *const *labels, size_t n, char *err, size_t errlen);

/** A health URL: http or https, a host, optional port, as url_parse() checks it. */
int spec_check_url(const char *url, char *err, size_t errlen);

struct guard; /* monitor/core/guard.h */

/** What a refused URL's message needs, beyond its one line. */
struct spec_guard_refusal {
	char host[256];  /* the host as curl reads it */
	char range[64];  /* the refused range as a CIDR ("10.0.0.0/8"); "" when none */
	const char *why; /* the guard's reason ("private", "loopback", …) */
};

/**
 * The registration-time address check, one for the API (POST and PATCH
 * /v1/runners) and the CLI (runner add, runner import): @p url is read by
 * url_parse() and its host judged by guard_check_host() under @p g (IP
 * literals in every spelling, and "localhost"; a name passes here and is
 * judged again at connect time, where a refusal makes the runner unknown).
 * On refusal @p err holds "url: the address guard refuses HOST (WHY): only
 * public addresses are probed" and @p out the host and the range, so that
 * each caller names its own fix (a flag, a config key).
 * @param out  may be NULL.
 * @return 0; RW_EINVAL when url_parse() refuses the URL (@p err says why);
 *         RW_EREFUSED when the guard refuses its host.
 */
int spec_check_url_guard(const struct guard *g, const char *url, struct spec_guard_refusal *out,
                         char *err, size_t errlen);

/** A probe or heartbeat interval: 0 (the policy's) or 1..86400 seconds. */
int spec_check_interval(long interval_s, char *err, size_t errlen);

/** A probe timeout: 0 (the policy's) or 100..86400000 ms. */
int spec_check_timeout(long timeout_ms, char *err, size_t errlen);

/* ---- GitHub pools ----------------------------------------------------------
 *
 * A pool watches the self-hosted runners of a GitHub organisation ("OWNER")
 * or repository ("OWNER/REPO") that carry all of its labels. The CLI names
 * its flags in messages and the API its members, so each rule takes the name
 * to use; the rules are the same.
 */

#define RUNNER_SPEC_GITHUB_OWNER_MAX 39
#define RUNNER_SPEC_GITHUB_REPO_MAX  100
#define RUNNER_SPEC_MIN_ONLINE_MAX   10000
#define RUNNER_SPEC_PICKUP_MAX       86400

/**
 * A GitHub source: OWNER is 1..39 of [A-Za-z0-9-], not starting with '-';
 * REPO is 1..100 of [A-Za-z0-9._-], and neither "." nor "..".
 * @param field  the name to put first in the message ("--github", "github").
 */
int spec_check_github(const char *field, const char *source, char *err, size_t errlen);

/**
 * A pool's labels: 1..16 runs-on labels, each a name (spec_check_name()),
 * distinct without regard to case, as GitHub compares them.
 * @param field  "--label" or "labels".
 */
int spec_check_github_labels(const char *field, const char *const *labels, size_t n, char *err,
                             size_t errlen);

/** Members that must be online: 0..10000. @param field "--min-online" or "min_online". */
int spec_check_min_online(const char *field, long n, char *err, size_t errlen);

/** The pickup deadline: 1..86400 seconds. @param field "--pickup-within" or "pickup_within_s". */
int spec_check_pickup_within(const char *field, long seconds, char *err, size_t errlen);

/** What a GitHub pool is registered with. */
struct spec_github {
	const char *source; /* "OWNER" or "OWNER/REPO" */
	const char *const *labels;
	size_t n_labels;
	bool has_min_online; /* false: the default */
	long min_online;
	bool has_pickup; /* false: no pickup check */
	long pickup_within_s;
	long interval_s; /* must be 0: the config's github.poll_interval_s applies */
	long timeout_ms; /* must be 0: there is no probe */
};

/** The names a pool's rules use in messages: the CLI's flags or the API's members. */
struct spec_github_names {
	const char *source, *labels, *min_online, *pickup_within, *interval, *timeout;
};
extern const struct spec_github_names spec_github_flags;   /* --github, --label, ... */
extern const struct spec_github_names spec_github_members; /* github, labels, ... */

/**
 * Checks a GitHub pool with the rules above (and no interval or timeout of
 * its own), then gives the numbers not given their defaults (and sets their
 * has_ flags): min_online 1, or 0 when pickup_within_s is given (an ephemeral
 * pool has no idle runner); pickup_within_s 0 (no pickup check).
 * @param field  receives the name (from @p names) of what is wrong; may be NULL.
 * @return 0 or RW_EINVAL with one line in @p err.
 */
int spec_check_github_pool(struct spec_github *g, const struct spec_github_names *names,
                           const char **field, char *err, size_t errlen);

#endif
