/* SPDX-License-Identifier: MIT */
/* policy_file.c — reading and hashing a policy file; see policy_file.h. */
#include "monitor/core/policy_file.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/hex.h"
#include "policy/base/rw_error.h"

#define POLICY_MAX_BYTES (1 << 20)

void policy_file_sha256_hex(const void *data, size_t len, char out[65])
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
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return errno == ENOENT ? RW_ENOENT : RW_EIO;
	}
	buf = malloc(POLICY_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
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
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int policy_file_load(const char *path, struct rw_policy *out, char sha256_hex[65], char **body,
                     char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (body)
		*body = NULL;
	if (!path || !*path) {
		policy_defaults(out);
		text = policy_to_json(out);
		if (!text)
			return RW_ENOMEM;
		policy_file_sha256_hex(text, strlen(text), sha256_hex);
		if (body)
			*body = text;
		else
			free(text);
		return 0;
	}
	rc = read_file(path, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = policy_parse(out, text, len, path, err, errlen);
	if (rc < 0) {
		free(text);
		return rc;
	}
	policy_file_sha256_hex(text, len, sha256_hex);
	if (body)
		*body = text;
	else
		free(text);
	return 0;
}
