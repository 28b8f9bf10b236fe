/* SPDX-License-Identifier: MIT */
/*
 * config_vantage.c — the daemon's vantage name (config.h): `serve --vantage
 * NAME`, else "vantage" in the config file, else the host name. A name is
 * 1 to RW_VANTAGE_MAX characters of [A-Za-z0-9._-] (the store's rule,
 * store_vantage_name_valid(), which this layer may not call): it appears in
 * the probes' User-Agent and in the API's JSON, and is a key in the store.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor/core/config.h"
#include "policy/base/rw_error.h"

#define VANTAGE_RULE "1 to 63 characters of A-Z, a-z, 0-9, '.', '_' and '-'"

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > RW_VANTAGE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

int config_set_vantage(struct rw_config *c, const char *name, const char *where, char *err,
                       size_t errlen)
{
	if (!name_valid(name)) {
		snprintf(err, errlen,
		         "%s: \"%.80s%s\" is not a vantage name: use %s, e.g. eu-west-1", where,
		         name, strlen(name) > 80 ? "..." : "", VANTAGE_RULE);
		return RW_EINVAL;
	}
	snprintf(c->vantage, sizeof(c->vantage), "%s", name);
	return 0;
}

int config_default_vantage(struct rw_config *c, char *err, size_t errlen)
{
	char host[256];

	if (c->vantage[0])
		return 0;
	if (gethostname(host, sizeof(host)) != 0) {
		snprintf(err, errlen,
		         "the host name cannot be read for the vantage name; give one with "
		         "--vantage NAME or \"vantage\" in the config file");
		return RW_EINVAL;
	}
	host[sizeof(host) - 1] = '\0';
	if (!name_valid(host)) {
		snprintf(err, errlen,
		         "the host name \"%.80s\" is not a vantage name (%s); give one with "
		         "--vantage NAME or \"vantage\" in the config file",
		         host, VANTAGE_RULE);
		return RW_EINVAL;
	}
	snprintf(c->vantage, sizeof(c->vantage), "%s", host);
	return 0;
}
