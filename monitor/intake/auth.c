/* SPDX-License-Identifier: MIT */
/* auth.c — bearer tokens and write rate limits; see auth.h. */
#include "monitor/intake/auth.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/hex.h"
#include "policy/base/rw_error.h"

struct auth_bucket {
	int64_t key; /* token id; -1 the admin; 0 an empty slot */
	double tokens;
	uint64_t at_ms;
};

/* One token of the table, or one hash known to be no token's. */
struct auth_entry {
	uint8_t h[32];
	bool used;
	bool unknown; /* no stored token has this hash */
	int64_t id, operator_id, runner_id, expires_ms, revoked_ms;
};

void auth_hash(const char *token, size_t len, uint8_t sha256[32])
{
	unsigned int hl = 32;
	EVP_Digest(token, len, sha256, &hl, EVP_sha256(), NULL);
}

int auth_init(struct auth *a, const char *admin_token, unsigned burst, unsigned per_minute,
              char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->burst = burst ? burst : 1;
	a->per_ms = per_minute / 60000.0;
	if (!admin_token)
		return 0;
	if (strlen(admin_token) < AUTH_ADMIN_MIN_CHARS) {
		snprintf(err, errlen,
		         "admin token: %zu characters; use at least %d (e.g. `openssl rand -hex "
		         "32`)",
		         strlen(admin_token), AUTH_ADMIN_MIN_CHARS);
		return RW_EINVAL;
	}
	for (const char *p = admin_token; *p; p++) {
		if (!isgraph((unsigned char)*p)) {
			snprintf(err, errlen,
			         "admin token: only printable ASCII without spaces is allowed");
			return RW_EINVAL;
		}
	}
	auth_hash(admin_token, strlen(admin_token), a->admin_sha256);
	a->has_admin = true;
	return 0;
}

void auth_deinit(struct auth *a)
{
	free(a->buckets);
	a->buckets = NULL;
	a->cap = a->n = 0;
	free(a->tok);
	a->tok = NULL;
	a->tok_cap = a->tok_n = a->tok_unknown = 0;
}

/* ---- the token table ---------------------------------------------------- */

static size_t tok_slot(const struct auth *a, const uint8_t h[32])
{
	uint64_t x;

	memcpy(&x, h, sizeof(x));
	x = (x ^ a->tok_key) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(x >> 20) & (a->tok_cap - 1);
}

static const struct auth_entry *tok_find(const struct auth *a, const uint8_t h[32])
{
	if (!a->tok_cap)
		return NULL;
	for (size_t i = tok_slot(a, h); a->tok[i].used; i = (i + 1) & (a->tok_cap - 1))
		if (memcmp(a->tok[i].h, h, 32) == 0)
			return &a->tok[i];
	return NULL;
}

/* Rebuilds the table with room for @p want entries, without the unknown
 * hashes when @p drop_unknown. */
static int tok_rehash(struct auth *a, size_t want, bool drop_unknown)
{
	size_t ncap = 64;
	struct auth_entry *nt;

	while (ncap < want * 2)
		ncap *= 2;
	nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return RW_ENOMEM;
	if (!a->tok_key && RAND_bytes((unsigned char *)&a->tok_key, sizeof(a->tok_key)) != 1)
		a->tok_key = 0x5bd1e9955bd1e995ULL; /* no randomness: still correct */
	{
		struct auth_entry *old = a->tok;
		size_t ocap = a->tok_cap;
		a->tok = nt;
		a->tok_cap = ncap;
		a->tok_n = a->tok_unknown = 0;
		for (size_t j = 0; j < ocap; j++) {
			size_t i;
			if (!old[j].used || (drop_unknown && old[j].unknown))
				continue;
			for (i = tok_slot(a, old[j].h); nt[i].used; i = (i + 1) & (ncap - 1))
				;
			nt[i] = old[j];
			a->tok_n++;
			if (old[j].unknown)
				a->tok_unknown++;
		}
		free(old);
	}
	return 0;
}

/* The entry of @p h, added (zeroed but for the hash) when it is new. */
static struct auth_entry *tok_put(struct auth *a, const uint8_t h[32])
{
	struct auth_entry *e = (struct auth_entry *)tok_find(a, h);
	size_t i;

	if (e)
		return e;
	if ((a->tok_n + 1) * 2 > a->tok_cap && tok_rehash(a, a->tok_n + 1, false) < 0)
		return NULL;
	for (i = tok_slot(a, h); a->tok[i].used; i = (i + 1) & (a->tok_cap - 1))
		;
	e = &a->tok[i];
	memset(e, 0, sizeof(*e));
	memcpy(e->h, h, 32);
	e->used = true;
	a->tok_n++;
	return e;
}

int auth_learn(struct auth *a, const struct store_token *t)
{
	struct auth_entry *e = tok_put(a, t->sha256);

	if (!e)
		return RW_ENOMEM;
	if (e->unknown)
		a->tok_unknown--;
	e->unknown = false;
	e->id = t->id;
	e->operator_id = t->operator_id;
	e->runner_id = t->runner_id;
	e->expires_ms = t->expires_ms;
	e->revoked_ms = t->revoked_ms;
	return 0;
}

int auth_learn_unknown(struct auth *a, const uint8_t sha256[32])
{
	struct auth_entry *e;

	if (tok_find(a, sha256))
		return 0;
	if (a->tok_unknown >= AUTH_UNKNOWN_MAX &&
	    tok_rehash(a, a->tok_n - a->tok_unknown + 1, true) < 0)
		return RW_ENOMEM;
	e = tok_put(a, sha256);
	if (!e)
		return RW_ENOMEM;
	e->unknown = true;
	a->tok_unknown++;
	return 0;
}

void auth_revoked(struct auth *a, const uint8_t sha256[32], int64_t now_ms)
{
	struct auth_entry *e = (struct auth_entry *)tok_find(a, sha256);

	if (e && !e->unknown && !e->revoked_ms)
		e->revoked_ms = now_ms > 0 ? now_ms : 1;
}

int auth_load(struct auth *a, struct store *st)
{
	struct store_token *v = NULL;
	size_t n = 0;
	int rc = store_token_list(st, 0, &v, &n);

	if (rc < 0)
		return rc;
	rc = tok_rehash(a, n + 1, false);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = auth_learn(a, &v[i]);
	free(v);
	return rc;
}

int auth_read_token_file(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t len;
	char *s;

	if (!f) {
		snprintf(err, errlen, "admin_token_file: %s: %s", path, strerror(errno));
		return errno == ENOENT ? RW_ENOENT : RW_EIO;
	}
	if (!fgets(out, (int)outlen, f)) {
		fclose(f);
		snprintf(err, errlen, "admin_token_file: %s: the file is empty", path);
		return RW_EINVAL;
	}
	fclose(f);
	len = strlen(out);
	while (len && isspace((unsigned char)out[len - 1]))
		out[--len] = '\0';
	for (s = out; isspace((unsigned char)*s); s++)
		;
	memmove(out, s, strlen(s) + 1);
	return 0;
}

int auth_new_token(const char *prefix, char *out, uint8_t sha256[32])
{
	unsigned char raw[32];
	size_t pl = strlen(prefix);

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return RW_EIO;
	memcpy(out, prefix, pl);
	hex_encode(raw, sizeof(raw), out + pl);
	OPENSSL_cleanse(raw, sizeof(raw));
	auth_hash(out, strlen(out), sha256);
	return 0;
}

int auth_resolve(const struct auth *a, const char *hdr, size_t len, int64_t now_ms,
                 struct principal *out, const char **why, uint8_t h[32])
{
	const struct auth_entry *t;

	memset(out, 0, sizeof(*out));
	if (!hdr || len == 0) {
		*why = "missing";
		return RW_EINVAL;
	}
	if (len < 8 || strncasecmp(hdr, "Bearer ", 7) != 0) {
		*why = "not a Bearer token";
		return RW_EINVAL;
	}
	hdr += 7;
	len -= 7;
	while (len && *hdr == ' ') {
		hdr++;
		len--;
	}
	if (len == 0 || len > 512) {
		*why = "not a Bearer token";
		return RW_EINVAL;
	}
	auth_hash(hdr, len, h);
	if (a->has_admin && CRYPTO_memcmp(h, a->admin_sha256, 32) == 0) {
		out->kind = PRINCIPAL_ADMIN;
		return 0;
	}
	t = tok_find(a, h);
	if (!t)
		return RW_ENOENT; /* not in memory: the caller looks it up */
	if (t->unknown) {
		*why = "unknown token";
		return RW_EINVAL;
	}
	if (t->revoked_ms) {
		*why = "revoked token";
		return RW_EINVAL;
	}
	if (t->expires_ms && t->expires_ms <= now_ms) {
		*why = "expired token";
		return RW_EINVAL;
	}
	out->kind = t->runner_id ? PRINCIPAL_RUNNER : PRINCIPAL_OPERATOR;
	out->operator_id = t->operator_id;
	out->runner_id = t->runner_id;
	out->token_id = t->id;
	return 0;
}

/* ---- rate limits -------------------------------------------------------- */

static size_t slot_of(int64_t key, size_t cap)
{
	uint64_t x = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
	return (size_t)(x >> 17) & (cap - 1);
}

static struct auth_bucket *bucket_find(struct auth *a, int64_t key)
{
	size_t i;

	if ((a->n + 1) * 2 > a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		struct auth_bucket *nb = calloc(ncap, sizeof(*nb));
		if (!nb)
			return NULL;
		for (size_t j = 0; j < a->cap; j++) {
			if (!a->buckets[j].key)
				continue;
			for (i = slot_of(a->buckets[j].key, ncap); nb[i].key;
			     i = (i + 1) & (ncap - 1))
				;
			nb[i] = a->buckets[j];
		}
		free(a->buckets);
		a->buckets = nb;
		a->cap = ncap;
	}
	for (i = slot_of(key, a->cap); a->buckets[i].key; i = (i + 1) & (a->cap - 1))
		if (a->buckets[i].key == key)
			return &a->buckets[i];
	a->buckets[i].key = key;
	a->buckets[i].tokens = a->burst;
	a->buckets[i].at_ms = 0;
	a->n++;
	return &a->buckets[i];
}

bool auth_rate_take(struct auth *a, const struct principal *p, uint64_t now_ms,
                    uint32_t *retry_after_s)
{
	struct auth_bucket *b = bucket_find(a, p->kind == PRINCIPAL_ADMIN ? -1 : p->token_id);

	*retry_after_s = 0;
	if (!b)
		return true; /* out of memory: fail open rather than lock everyone out */
	if (b->at_ms && now_ms > b->at_ms)
		b->tokens = fmin(a->burst, b->tokens + (double)(now_ms - b->at_ms) * a->per_ms);
	b->at_ms = now_ms;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return true;
	}
	*retry_after_s =
	        a->per_ms > 0 ? (uint32_t)ceil((1.0 - b->tokens) / a->per_ms / 1000.0) : 3600;
	if (*retry_after_s == 0)
		*retry_after_s = 1;
	return false;
}
