/* SPDX-License-Identifier: MIT */
/*
 * runner_spec.h — the one validator of what a user may register: operator
 * names and emails, runner names, targets and URLs. The CLI (add, import)
 * and, later, the HTTP API call these, so the rules cannot drift apart.
 * Every error is one line naming the field, the value and what is allowed.
 */
#ifndef RW_RUNNER_SPEC_H
#define RW_RUNNER_SPEC_H

#include <stddef.h>

#define RUNNER_SPEC_MAX_TARGETS 16
#define RUNNER_SPEC_NAME_MAX    64

/** A name: 1..64 bytes of [A-Za-z0-9._-], starting with a letter or digit. */
int spec_check_name(const char *field, const char *name, char *err, size_t errlen);

/** An email: local@domain, no spaces or control bytes, at most 254 bytes. */
int spec_check_email(const char *email, char *err, size_t errlen);

/** A list of 1..16 distinct target triples. */
int spec_check_targets(const char *const *targets, size_t n, char *err, size_t errlen);

/** 0..16 distinct runs-on labels, each a name (spec_check_name()), e.g. "self-hosted". */
int spec_check_labels(const char *const *labels, size_t n, char *err, size_t errlen);

/** A health URL: http or https, a host, optional port, as url_parse() checks it. */
int spec_check_url(const char *url, char *err, size_t errlen);

/** A probe or heartbeat interval: 0 (the policy's) or 1..86400 seconds. */
int spec_check_interval(long interval_s, char *err, size_t errlen);

/** A probe timeout: 0 (the policy's) or 100..86400000 ms. */
int spec_check_timeout(long timeout_ms, char *err, size_t errlen);

#endif
