/* SPDX-License-Identifier: MIT */
/* runner_spec.c — registration validators; see runner_spec.h. */
#include "monitor/intake/runner_spec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "monitor/core/guard.h"
#include "monitor/core/url.h"
#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"
#include "policy/target.h"

/* @p s escaped into @p out for quoting in a message (xesc()). */
static const char *shown(const char *s, char *out, size_t outlen)
{
	xesc(out, outlen, s, strlen(s));
	return out;
}

int spec_check_name(const char *field, const char *name, char *err, size_t errlen)
{
	char buf[96];
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > RUNNER_SPEC_NAME_MAX) {
		snprintf(err, errlen, "%s: \"%s\" must be 1 to %d characters", field,
		         shown(name ? name : "", buf, sizeof(buf)), RUNNER_SPEC_NAME_MAX);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isalnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-')))
			continue;
		snprintf(err, errlen,
		         "%s: \"%s\" may use only letters, digits, '.', '_' and '-', starting "
		         "with a letter or digit",
		         field, shown(name, buf, sizeof(buf)));
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_email(const char *email, char *err, size_t errlen)
{
	char buf[96];
	const char *at = email ? strchr(email, '@') : NULL;
	size_t len = email ? strlen(email) : 0;

	if (!at || at == email || !at[1] || strchr(at + 1, '@') || len > 254 ||
	    !strchr(at + 1, '.') || at[1] == '.' || email[len - 1] == '.' || strstr(at, ".."))
		goto bad;
	for (const unsigned char *p = (const unsigned char *)email; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			goto bad;
	return 0;
bad:
	snprintf(err, errlen, "email: \"%s\" is not an address like ops@example.org",
	         shown(email ? email : "", buf, sizeof(buf)));
	return RW_EINVAL;
}

int spec_check_targets_known(const char *const *targets, size_t n, const struct rw_policy *pol,
                             char *err, size_t errlen)
{
	char why[200], buf[96];

	for (size_t i = 0; i < n; i++) {
		if (target_known(targets[i], pol, why, sizeof(why)))
			continue;
		snprintf(err, errlen, "target: \"%s\": %s", shown(targets[i], buf, sizeof(buf)),
		         why);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_targets(const char *const *targets, size_t n, char *err, size_t errlen)
{
	char buf[96];

	if (n == 0) {
		snprintf(err, errlen,
		         "target: at least one target is required, e.g. --target "
		         "riscv64gc-unknown-linux-gnu");
		return RW_EINVAL;
	}
	if (n > RUNNER_SPEC_MAX_TARGETS) {
		snprintf(err, errlen, "target: %zu targets given; at most %d", n,
		         RUNNER_SPEC_MAX_TARGETS);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!target_is_valid(targets[i])) {
			snprintf(err, errlen,
			         "target: \"%s\" is not a target triple (lowercase "
			         "arch-vendor-os[-env], "
			         "e.g. riscv64gc-unknown-linux-gnu)",
			         shown(targets[i], buf, sizeof(buf)));
			return RW_EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(targets[i], targets[j]) == 0) {
				snprintf(err, errlen, "target: \"%s\" is given twice", targets[i]);
				return RW_EINVAL;
			}
		}
	}
	return 0;
}

int spec_check_url(const char *url, char *err, size_t errlen)
{
	char why[200], buf[96];

	if (!url || url_check(url, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "url: \"%s\": %s", shown(url ? url : "", buf, sizeof(buf)),
		         url ? why : "missing");
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_url_guard(const struct guard *g, const char *url, struct spec_guard_refusal *out,
                         char *err, size_t errlen)
{
	struct spec_guard_refusal local;
	char why[200];

	if (!out)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (url_parse(url, out->host, sizeof(out->host), NULL, NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "url: %s", why);
		return RW_EINVAL;
	}
	out->why = guard_check_host_range(g, out->host, out->range, sizeof(out->range));
	if (!out->why)
		return 0;
	/* The host came through url_parse(): printable ASCII, no quoting needed. */
	snprintf(err, errlen,
	         "url: the address guard refuses %s (%s): only public addresses are probed",
	         out->host, out->why);
	return RW_EREFUSED;
}

int spec_check_interval(long interval_s, char *err, size_t errlen)
{
	if (interval_s < 0 || interval_s > 86400) {
		snprintf(err, errlen, "interval: %ld is not in [1, 86400] seconds", interval_s);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_timeout(long timeout_ms, char *err, size_t errlen)
{
	if (timeout_ms < 0 || (timeout_ms && timeout_ms < 100) || timeout_ms > 86400000) {
		snprintf(err, errlen, "timeout: %ld is not in [100, 86400000] ms", timeout_ms);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_labels(const char *const *labels, size_t n, char *err, size_t errlen)
{
	if (n > RUNNER_SPEC_MAX_TARGETS) {
		snprintf(err, errlen, "label: %zu labels given; at most %d", n,
		         RUNNER_SPEC_MAX_TARGETS);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (spec_check_name("label", labels[i], err, errlen) < 0)
			return RW_EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(labels[i], labels[j]) == 0) {
				snprintf(err, errlen, "label: \"%s\" is given twice", labels[i]);
				return RW_EINVAL;
			}
		}
	}
	return 0;
}

/* ---- GitHub pools ---------------------------------------------------------- */

const struct spec_github_names spec_github_flags = {
        .source = "--github",
        .labels = "--label",
        .min_online = "--min-online",
        .pickup_within = "--pickup-within",
        .interval = "--interval",
        .timeout = "--timeout",
};

const struct spec_github_names spec_github_members = {
        .source = "github",
        .labels = "labels",
        .min_online = "min_online",
        .pickup_within = "pickup_within_s",
        .interval = "interval_s",
        .timeout = "timeout_ms",
};

static bool github_chars(const char *s, size_t n, bool repo)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || (repo && (c == '.' || c == '_')))
			continue;
		return false;
	}
	return true;
}

int spec_check_github(const char *field, const char *source, char *err, size_t errlen)
{
	char buf[160];
	const char *slash = source ? strchr(source, '/') : NULL;
	size_t owner = slash ? (size_t)(slash - source) : (source ? strlen(source) : 0);
	const char *repo = slash ? slash + 1 : NULL;
	size_t nrepo = repo ? strlen(repo) : 0;

	if (owner < 1 || owner > RUNNER_SPEC_GITHUB_OWNER_MAX || source[0] == '-' ||
	    !github_chars(source, owner, false))
		goto bad;
	if (slash &&
	    (nrepo < 1 || nrepo > RUNNER_SPEC_GITHUB_REPO_MAX || !github_chars(repo, nrepo, true) ||
	     strcmp(repo, ".") == 0 || strcmp(repo, "..") == 0))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
	         "%s: \"%s\" is not OWNER or OWNER/REPO (OWNER: 1 to 39 letters, digits or '-', "
	         "not starting with '-'; REPO: 1 to 100 letters, digits, '.', '_' or '-'), e.g. "
	         "rust-lang or rust-lang/rust",
	         field, shown(source ? source : "", buf, sizeof(buf)));
	return RW_EINVAL;
}

int spec_check_github_labels(const char *field, const char *const *labels, size_t n, char *err,
                             size_t errlen)
{
	char msg[200];

	if (n == 0) {
		snprintf(err, errlen,
		         "%s: a GitHub pool needs at least one runs-on label, e.g. %s self-hosted",
		         field, field);
		return RW_EINVAL;
	}
	if (n > RUNNER_SPEC_MAX_TARGETS) {
		snprintf(err, errlen, "%s: %zu labels given; at most %d", field, n,
		         RUNNER_SPEC_MAX_TARGETS);
		return RW_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (spec_check_name("label", labels[i], msg, sizeof(msg)) < 0) {
			/* The rule's own message, under the caller's name. */
			snprintf(err, errlen, "%s%s", field, msg + strlen("label"));
			return RW_EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(labels[i], labels[j]) == 0) {
				snprintf(
				        err, errlen,
				        "%s: \"%s\" and \"%s\" are the same label to GitHub, which "
				        "ignores case; give it once",
				        field, labels[j], labels[i]);
				return RW_EINVAL;
			}
		}
	}
	return 0;
}

int spec_check_min_online(const char *field, long n, char *err, size_t errlen)
{
	if (n < 0 || n > RUNNER_SPEC_MIN_ONLINE_MAX) {
		snprintf(err, errlen,
		         "%s: %ld is not in [0, %d] (members that must be online; 0 for a pool of "
		         "ephemeral runners)",
		         field, n, RUNNER_SPEC_MIN_ONLINE_MAX);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_pickup_within(const char *field, long seconds, char *err, size_t errlen)
{
	if (seconds < 1 || seconds > RUNNER_SPEC_PICKUP_MAX) {
		snprintf(err, errlen,
		         "%s: %ld is not in [1, %d] seconds (how soon a queued job must start)",
		         field, seconds, RUNNER_SPEC_PICKUP_MAX);
		return RW_EINVAL;
	}
	return 0;
}

int spec_check_github_pool(struct spec_github *g, const struct spec_github_names *names,
                           const char **field, char *err, size_t errlen)
{
	const char *bad = NULL;

	if (spec_check_github(names->source, g->source, err, errlen) < 0)
		bad = names->source;
	else if (spec_check_github_labels(names->labels, g->labels, g->n_labels, err, errlen) < 0)
		bad = names->labels;
	else if (g->has_min_online &&
	         spec_check_min_online(names->min_online, g->min_online, err, errlen) < 0)
		bad = names->min_online;
	else if (g->has_pickup && spec_check_pickup_within(names->pickup_within, g->pickup_within_s,
	                                                   err, errlen) < 0)
		bad = names->pickup_within;
	else if (g->interval_s != 0 || g->timeout_ms != 0) {
		bad = g->interval_s != 0 ? names->interval : names->timeout;
		snprintf(err, errlen,
		         "%s: a GitHub pool is polled every github.poll_interval_s of the daemon's "
		         "config, without a probe of its own; leave %s out",
		         bad, bad);
	}
	if (field)
		*field = bad;
	if (bad)
		return RW_EINVAL;
	if (!g->has_min_online)
		g->min_online = g->has_pickup ? 0 : 1;
	if (!g->has_pickup)
		g->pickup_within_s = 0;
	g->has_min_online = g->has_pickup = true;
	return 0;
}
