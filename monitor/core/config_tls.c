/* SPDX-License-Identifier: MIT */
/*
 * config_tls.c — the listener's TLS settings: "tls": {"cert_file",
 * "key_file"} of the config file and --tls-cert/--tls-key; see config.h.
 *
 * Only the shape is checked here (two paths, both or neither); the files
 * are read by the API when the daemon starts (monitor/api/tls.h), before it
 * listens, so that a missing or bad file stops the start-up with one line
 * naming the key that gave it, and again on every SIGHUP.
 */
#include <stdio.h>
#include <string.h>

#include "monitor/core/config.h"
#include "monitor/core/config_impl.h"
#include "policy/base/rw_error.h"

int config_tls_parse(struct rw_config *c, const cJSON *v, const char *path, char *err,
                     size_t errlen)
{
	const cJSON *m;
	bool cert = false, key = false;

	if (!cJSON_IsObject(v)) {
		snprintf(err, errlen,
		         "%s: tls: must be an object {\"cert_file\": FILE, \"key_file\": FILE}",
		         path);
		return RW_EINVAL;
	}
	cJSON_ArrayForEach(m, v)
	{
		bool is_cert = strcmp(m->string, "cert_file") == 0;
		char *dst = is_cert ? c->tls_cert_file : c->tls_key_file;
		char *name = is_cert ? c->tls_cert_name : c->tls_key_name;

		if (!is_cert && strcmp(m->string, "key_file") != 0) {
			snprintf(err, errlen,
			         "%s: tls.%s: unknown key (allowed: cert_file, key_file)", path,
			         m->string);
			return RW_EINVAL;
		}
		if (!cJSON_IsString(m) || !m->valuestring[0] ||
		    strlen(m->valuestring) >= sizeof(c->tls_cert_file)) {
			snprintf(err, errlen,
			         "%s: tls.%s: must be the path of a PEM file (a non-empty string "
			         "shorter than %zu bytes)",
			         path, m->string, sizeof(c->tls_cert_file));
			return RW_EINVAL;
		}
		snprintf(dst, sizeof(c->tls_cert_file), "%s", m->valuestring);
		snprintf(name, sizeof(c->tls_cert_name), "%s: tls.%s", path, m->string);
		if (config_rebase(path, is_cert ? "tls.cert_file" : "tls.key_file", dst,
		                  sizeof(c->tls_cert_file), err, errlen) < 0)
			return RW_EINVAL;
		cert |= is_cert;
		key |= !is_cert;
	}
	if (!cert || !key) {
		snprintf(err, errlen, "%s: tls.%s: missing (tls needs both cert_file and key_file)",
		         path, cert ? "key_file" : "cert_file");
		return RW_EINVAL;
	}
	return 0;
}

int config_set_tls(struct rw_config *c, const char *cert, const char *key, char *err, size_t errlen)
{
	if (cert) {
		if (!*cert || strlen(cert) >= sizeof(c->tls_cert_file)) {
			snprintf(err, errlen, "--tls-cert: \"%s\" is not a file path", cert);
			return RW_EINVAL;
		}
		snprintf(c->tls_cert_file, sizeof(c->tls_cert_file), "%s", cert);
		snprintf(c->tls_cert_name, sizeof(c->tls_cert_name), "--tls-cert");
	}
	if (key) {
		if (!*key || strlen(key) >= sizeof(c->tls_key_file)) {
			snprintf(err, errlen, "--tls-key: \"%s\" is not a file path", key);
			return RW_EINVAL;
		}
		snprintf(c->tls_key_file, sizeof(c->tls_key_file), "%s", key);
		snprintf(c->tls_key_name, sizeof(c->tls_key_name), "--tls-key");
	}
	if (!c->tls_cert_file[0] != !c->tls_key_file[0]) {
		snprintf(err, errlen,
		         "%s needs %s as well (or \"tls\": {\"cert_file\", \"key_file\"} "
		         "in the config)",
		         c->tls_cert_file[0] ? "--tls-cert" : "--tls-key",
		         c->tls_cert_file[0] ? "--tls-key" : "--tls-cert");
		return RW_EINVAL;
	}
	return 0;
}
