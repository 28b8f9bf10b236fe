/* SPDX-License-Identifier: MIT */
/*
 * config_path.c — the paths a config file names: relative to the file's
 * folder, not to the working directory (config_rebase(), config_impl.h).
 * Its own file so that every part of the config reader calls it without
 * calling each other.
 */
#include <stdio.h>
#include <string.h>

#include "monitor/core/config_impl.h"
#include "policy/base/rw_error.h"

int config_rebase(const char *path, const char *key, char *dst, size_t n, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0; /* with its '/' */
	size_t len = strlen(dst);

	if (dir == 0 || dst[0] == '/' || dst[0] == '\0')
		return 0;
	if (dir + len >= n) {
		snprintf(err, errlen,
		         "%s: %s: with the config file's folder the path is longer than %zu bytes",
		         path, key, n - 1);
		return RW_EINVAL;
	}
	memmove(dst + dir, dst, len + 1);
	memcpy(dst, path, dir);
	return 0;
}
