/* SPDX-License-Identifier: MIT */
/*
 * auth.h — who is asking: bearer tokens and per-token write rate limits.
 *
 * Three kinds of caller hold a token:
 *   - the admin: one token from the config (admin_token_file) or from
 *     $RUNWARDEN_ADMIN_TOKEN; it approves and retires runners and sees all;
 *   - an operator: tokens it was given ("rw_" + 64 hex digits, 256 random
 *     bits); it sees and changes only its own runners;
 *   - a push runner: its heartbeat token ("rwh_" + 64 hex digits), good only
 *     for POST /v1/runners/{id}/heartbeat of that runner.
 * Tokens are shown once and stored only as SHA-256 (store_auth.c). A token
 * arrives only as "Authorization: Bearer TOKEN"; query strings and cookies
 * are never read.
 *
 * Lookup is by the SHA-256 of the presented token, so memory and the
 * database compare hashes, never tokens: how long a lookup takes says
 * nothing about any stored token. The admin token's hash is compared with
 * CRYPTO_memcmp().
 *
 * The stored tokens are held in memory (a hash table by SHA-256), so that
 * authenticating a request never reads SQLite on the loop: auth_load() at
 * start-up reads them all; a token the table does not know (one the CLI
 * made while the daemon runs) is looked up off the loop by the caller
 * (call.c, on the writer's thread) and learnt, found (auth_learn()) or not
 * (auth_learn_unknown(): at most AUTH_UNKNOWN_MAX such hashes are kept, so
 * that a stream of made-up tokens costs one lookup each and bounded
 * memory). A revocation through the API marks the token at once
 * (auth_revoked()), before the revoking request is answered. Tokens are
 * never deleted and only the API revokes them, so what the table holds
 * stays true.
 *
 * Writes are rate-limited per token with a token bucket: `burst` writes at
 * once, refilled at `per_minute`. The buckets live in memory (a restart
 * refills them); there is one per token that ever wrote, which the number of
 * tokens bounds.
 */
#ifndef RW_AUTH_H
#define RW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/store/store.h"

#define AUTH_TOKEN_MAX       72 /* "rwh_" + 64 hex + NUL, with room */
#define AUTH_ADMIN_MIN_CHARS 32

enum principal_kind {
	PRINCIPAL_NONE = 0,
	PRINCIPAL_ADMIN = 1,
	PRINCIPAL_OPERATOR = 2,
	PRINCIPAL_RUNNER = 3, /* a heartbeat token */
};

struct principal {
	enum principal_kind kind;
	int64_t operator_id; /* 0 for the admin */
	int64_t runner_id;   /* PRINCIPAL_RUNNER only */
	int64_t token_id;    /* 0 for the admin */
};

/* Hashes of unknown tokens kept at most (auth_learn_unknown()). */
#define AUTH_UNKNOWN_MAX 4096

struct auth_bucket;
struct auth_entry;

struct auth {
	bool has_admin;
	uint8_t admin_sha256[32];
	double burst;
	double per_ms;
	struct auth_bucket *buckets; /* open addressing by key */
	size_t cap, n;
	/* The token table: open addressing by the SHA-256, mixed with a key
	 * drawn at start-up (a client cannot aim its hashes at one slot). */
	struct auth_entry *tok;
	size_t tok_cap, tok_n, tok_unknown;
	uint64_t tok_key;
};

/**
 * Sets up @p a. @p admin_token (may be NULL: no admin over HTTP) must be at
 * least AUTH_ADMIN_MIN_CHARS printable characters; only its hash is kept.
 * @return 0, RW_EINVAL (err names the problem).
 */
int auth_init(struct auth *a, const char *admin_token, unsigned burst, unsigned per_minute,
              char *err, size_t errlen);

/** Frees the buckets. Accepts a zeroed struct. */
void auth_deinit(struct auth *a);

/**
 * Reads the admin token from @p path (first line, surrounding whitespace
 * removed) into @p out.
 * @return 0, RW_ENOENT / RW_EIO / RW_EINVAL with @p err set.
 */
int auth_read_token_file(const char *path, char *out, size_t outlen, char *err, size_t errlen);

/**
 * Makes a new token: @p prefix ("rw_" or "rwh_") and 64 hex digits from 256
 * random bits (RAND_bytes), and its SHA-256.
 * @param out  at least AUTH_TOKEN_MAX bytes.
 * @return 0, RW_EIO (no randomness).
 */
int auth_new_token(const char *prefix, char *out, uint8_t sha256[32]);

/** SHA-256 of @p len bytes at @p token. */
void auth_hash(const char *token, size_t len, uint8_t sha256[32]);

/**
 * Resolves an Authorization header value (@p hdr, @p len bytes; NULL when
 * absent) to a principal, from memory only.
 * @param why     on failure, a static reason: "missing", "not a Bearer token",
 *                "unknown token", "revoked token", "expired token".
 * @param sha256  receives the token's hash (when there is a Bearer token).
 * @return 0, RW_EINVAL (not authenticated: 401), RW_ENOENT (the table does
 *         not know the hash: look it up with store_token_find() off the
 *         loop, auth_learn() or auth_learn_unknown() the answer, and
 *         resolve again).
 */
int auth_resolve(const struct auth *a, const char *hdr, size_t len, int64_t now_ms,
                 struct principal *out, const char **why, uint8_t sha256[32]);

/**
 * Loads every stored token into the table (start-up, before the loop
 * serves). @return 0, RW_ENOMEM, or the store's error.
 */
int auth_load(struct auth *a, struct store *st);

/** Adds or updates stored token @p t (its sha256 set) in the table.
 *  @return 0 or RW_ENOMEM. */
int auth_learn(struct auth *a, const struct store_token *t);

/** Remembers that no stored token has hash @p sha256; past
 *  AUTH_UNKNOWN_MAX, the unknown hashes kept are dropped first.
 *  @return 0 or RW_ENOMEM. */
int auth_learn_unknown(struct auth *a, const uint8_t sha256[32]);

/** The token whose hash is @p sha256 was revoked at @p now_ms (committed):
 *  it is refused from now on. Unknown hashes are ignored. */
void auth_revoked(struct auth *a, const uint8_t sha256[32], int64_t now_ms);

/**
 * Takes one write from @p p's bucket at loop time @p now_ms.
 * @param retry_after_s  when refused, the whole seconds until one is free.
 * @return true when the write may go ahead.
 */
bool auth_rate_take(struct auth *a, const struct principal *p, uint64_t now_ms,
                    uint32_t *retry_after_s);

#endif
