/* SPDX-License-Identifier: MIT */
/* policy_source.c — a policy from a file, the defaults or the store; see policy_source.h. */
#include "monitor/store/policy_source.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/hex.h"
#include "policy/base/rw_error.h"

/* A policy is a small file: a bigger one is a mistake, not a policy. */
#define POLICY_MAX_BYTES (1 << 20)

void policy_source_init(struct policy_source *ps)
{
	memset(ps, 0, sizeof(*ps));
	policy_defaults(&ps->pol);
	ps->effective_ms = -1;
}

void policy_source_deinit(struct policy_source *ps)
{
	if (!ps)
		return;
	policy_deinit(&ps->pol);
	free(ps->origin);
	free(ps->body);
	policy_source_init(ps);
}

void policy_source_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		n = 0; /* only when libcrypto itself is broken: an empty hash says so */
	hex_encode(md, n, out);
}

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf, *fit;
	size_t n;
	int rc;

	if (!f) {
		rc = errno == ENOENT ? RW_ENOENT : RW_EIO;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(POLICY_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return RW_ENOMEM;
	}
	n = fread(buf, 1, POLICY_MAX_BYTES + 1, f);
	if (ferror(f) || n > POLICY_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path,
		         ferror(f) ? "read error" : "larger than 1 MiB; a policy is a small file");
		fclose(f);
		free(buf);
		return RW_EIO;
	}
	fclose(f);
	buf[n] = '\0';             /* the body is text; the parser rejects a NUL inside */
	fit = realloc(buf, n + 1); /* it is kept as the body: give back the rest */
	*out = fit ? fit : buf;
	*len = n;
	return 0;
}

/* The built-in defaults, hashed as their normalized JSON: the hash the
 * daemon records when it runs with no policy file. */
static int use_defaults(struct policy_source *ps, char *err, size_t errlen)
{
	ps->body = policy_to_json(&ps->pol);
	ps->origin = strdup("built-in defaults");
	if (!ps->body || !ps->origin) {
		policy_source_deinit(ps);
		snprintf(err, errlen, "out of memory");
		return RW_ENOMEM;
	}
	policy_source_sha256_hex(ps->body, strlen(ps->body), ps->sha256);
	return 0;
}

int policy_source_file(struct policy_source *ps, const char *path,
                       const struct policy_parse_opts *opts, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	policy_source_deinit(ps);
	if (!path || !*path)
		return use_defaults(ps, err, errlen);
	rc = read_file(path, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = policy_parse(&ps->pol, text, len, path, opts, err, errlen);
	if (rc == 0) {
		policy_source_sha256_hex(text, len, ps->sha256);
		ps->body = text;
		text = NULL;
		ps->origin = strdup(path);
		if (!ps->origin) {
			snprintf(err, errlen, "out of memory");
			rc = RW_ENOMEM;
		}
	}
	free(text);
	if (rc < 0)
		policy_source_deinit(ps);
	return rc;
}

/* Fills @p ps from @p rc and @p pv, the answer of store_policy_latest() or
 * store_policy_at(): the stored policy, or with RW_ENOENT the defaults. */
static int from_store(struct policy_source *ps, struct store *st, int rc,
                      struct store_policy_version *pv, char *err, size_t errlen)
{
	char origin[64];

	if (rc == RW_ENOENT)
		return use_defaults(ps, err, errlen);
	if (rc < 0) {
		snprintf(err, errlen, "reading policy_versions: %s", store_errmsg(st));
		return rc;
	}
	snprintf(origin, sizeof(origin), "policy_versions #%lld", (long long)pv->id);
	/* No URL check (NULL opts): a stored policy is one the daemon accepted,
	 * its URLs checked then; whoever reads it back here does not request
	 * them, and the store cannot link libcurl to check them again. */
	rc = policy_parse(&ps->pol, pv->body, strlen(pv->body), origin, NULL, err, errlen);
	if (rc == 0) {
		/* The stored hash is the file's; the stored body is those bytes. */
		snprintf(ps->sha256, sizeof(ps->sha256), "%s", pv->sha256);
		ps->body = pv->body;
		pv->body = NULL;
		ps->id = pv->id;
		ps->effective_ms = pv->effective_ms;
		ps->origin = strdup(origin);
		if (!ps->origin) {
			snprintf(err, errlen, "out of memory");
			rc = RW_ENOMEM;
		}
	}
	store_policy_version_deinit(pv);
	if (rc < 0)
		policy_source_deinit(ps);
	return rc;
}

int policy_source_current(struct policy_source *ps, struct store *st, char *err, size_t errlen)
{
	struct store_policy_version pv;

	policy_source_deinit(ps);
	return from_store(ps, st, store_policy_latest(st, &pv), &pv, err, errlen);
}

int policy_source_at(struct policy_source *ps, struct store *st, int64_t t_ms, char *err,
                     size_t errlen)
{
	struct store_policy_version pv;

	policy_source_deinit(ps);
	return from_store(ps, st, store_policy_at(st, t_ms, &pv), &pv, err, errlen);
}
