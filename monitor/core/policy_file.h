/* SPDX-License-Identifier: MIT */
/*
 * policy_file.h — a policy as a file on disk: read, parse, hash.
 * The SHA-256 (libcrypto) is of the file's exact bytes, so the hash a report
 * names can be checked with `sha256sum policy.json`. With no file, the
 * built-in defaults are used and hashed as their normalized JSON.
 */
#ifndef RW_POLICY_FILE_H
#define RW_POLICY_FILE_H

#include <stddef.h>

#include "policy/policy.h"

/**
 * Loads @p path (NULL or "": the defaults) into @p out.
 * @param sha256_hex receives 64 hex digits and a NUL.
 * @param body       receives the malloc'd bytes that were hashed (caller frees); may be NULL.
 * @param err        one line naming file, line and field on failure.
 * @return 0, RW_ENOENT, RW_EIO, RW_EINVAL, RW_ENOMEM; on failure @p out is
 *         untouched apart from being reset to defaults.
 */
int policy_file_load(const char *path, struct rw_policy *out, char sha256_hex[65], char **body,
                     char *err, size_t errlen);

/** SHA-256 of @p len bytes as lowercase hex. */
void policy_file_sha256_hex(const void *data, size_t len, char out[65]);

#endif
