/* SPDX-License-Identifier: MIT */
/*
 * policy_source.h — loading a policy, and its identity: the one policy
 * loader of the daemon (`serve`, SIGHUP), the CLI (`policy check`,
 * `maintenance add`) and the reports (`report monthly`, `policy whatif`).
 *
 * A policy is known by its SHA-256, its "version" field and where it came
 * from. It comes either from a file (hashed over the file's exact bytes, so
 * `sha256sum FILE` agrees), from no file at all (the built-in defaults,
 * hashed as their normalized JSON, policy_to_json()), or from the store: a
 * row of policy_versions, which the daemon writes with the bytes and the hash
 * of each policy it puts in force. A store with no recorded policy means the
 * daemon ran on the built-in defaults (or never ran); they get the hash the
 * daemon would have recorded for them.
 *
 * This is the store layer because reading the stored versions is SQL, and it
 * may use libcrypto (EVP_Digest) for the hash; the daemon, the CLI and the
 * reports all link rw_store, so none of them keeps a copy.
 */
#ifndef RW_POLICY_SOURCE_H
#define RW_POLICY_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/store/store.h"
#include "policy/policy.h"

struct policy_source {
	struct rw_policy pol; /* owned */
	char sha256[65];      /* lowercase hex of the bytes the policy was parsed from */
	int64_t id;           /* policy_versions.id, or 0 when not from the store */
	int64_t effective_ms; /* policy_versions.effective_ms, or -1 when not from the store */
	char *origin;         /* owned: the file's path, "policy_versions #ID" or
	                         "built-in defaults" */
	char *body;           /* owned: the bytes hashed, NUL-terminated (what the
	                         daemon records in policy_versions); NULL when empty */
};

/** An empty source holding the defaults; nothing to free yet. */
void policy_source_init(struct policy_source *ps);

/** Frees what @p ps owns and re-initialises it. Accepts NULL. */
void policy_source_deinit(struct policy_source *ps);

/**
 * Reads and parses the policy file @p path (at most 1 MiB) into @p ps; with
 * @p path NULL or "", the built-in defaults (origin "built-in defaults").
 * On failure @p ps is left as policy_source_init() leaves it.
 * @param opts  handed to policy_parse(): the daemon and the CLI pass the URL
 *              check (url_check(), monitor/core/url.h); NULL checks no URL.
 * @param err   one line on failure: "FILE: cannot open: …", or the parser's
 *              "FILE:LINE: FIELD: problem".
 * @return 0, RW_ENOENT, RW_EIO, RW_EINVAL (not a valid policy), RW_ENOMEM.
 */
int policy_source_file(struct policy_source *ps, const char *path,
                       const struct policy_parse_opts *opts, char *err, size_t errlen);

/**
 * The policy in force as the store records it: the body of the latest
 * policy_versions row, parsed; with no row, the built-in defaults.
 * @param err  one line on failure.
 * @return 0, RW_EINVAL (the stored body does not parse), RW_ENOMEM, or the
 *         store's error.
 */
int policy_source_current(struct policy_source *ps, struct store *st, char *err, size_t errlen);

/**
 * The policy in force at @p t_ms as the store records it: the body of the
 * policy_versions row that took effect last before @p t_ms (store_policy_at());
 * with none, the built-in defaults. A monthly report uses the policy in force
 * at the end of its month.
 * @return as policy_source_current().
 */
int policy_source_at(struct policy_source *ps, struct store *st, int64_t t_ms, char *err,
                     size_t errlen);

/** SHA-256 of @p len bytes as 64 lowercase hex digits and a NUL. */
void policy_source_sha256_hex(const void *data, size_t len, char out[65]);

#endif
