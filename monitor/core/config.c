/* SPDX-License-Identifier: MIT */
/* config.c — reading the daemon's settings; see config.h. */
#include "monitor/core/config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/core/config_impl.h"
#include "monitor/core/url.h"
#include "policy/json_scan.h"
#include "policy/base/rw_error.h"

void config_defaults(struct rw_config *c)
{
	const char *db = getenv("RUNWARDEN_DB");
	memset(c, 0, sizeof(*c));
	snprintf(c->db_path, sizeof(c->db_path), "%s", db && *db ? db : RW_DEFAULT_DB);
	config_set_listen(c, RW_DEFAULT_LISTEN, NULL, 0);
	c->log_level = RW_LOG_INFO;
	c->max_concurrency = 256;
	c->retention_days = 90;
	c->max_connections = 1024;
	c->write_burst = 30;
	c->write_per_minute = 60;
	config_github_defaults(&c->github);
	config_notify_defaults(c);
}

void config_deinit(struct rw_config *c)
{
	for (size_t i = 0; i < c->n_allow_cidrs; i++)
		free(c->allow_cidrs[i]);
	c->n_allow_cidrs = 0;
	for (size_t i = 0; i < c->n_webhooks; i++) {
		struct rw_webhook_cfg *w = &c->webhooks[i];
		free(w->url);
		free(w->secret);
		for (size_t j = 0; w->events && w->events[j]; j++)
			free(w->events[j]);
		free(w->events);
	}
	c->n_webhooks = 0;
	config_github_deinit(&c->github);
	config_notify_deinit(c);
}

static const char *const event_kinds[] = {
        "eligible",
        "ineligible",
        "registered",
        "approved",
        "retired",
        "pending",
        "flagged",
        "unflagged",
        "maintenance_start",
        "maintenance_end",
        "incident_open",
        "incident_voided",
        "incident_acknowledged",
        "incident_mitigated",
        "down",
        "up",
        "pool_below_min",
        "pool_restored",
        NULL,
};

/* "webhooks": [{"url", "secret", "events"?}] */
static int parse_webhooks(struct rw_config *c, const cJSON *v, const char *path, char *err,
                          size_t errlen)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsArray(v)) {
		snprintf(err, errlen, "%s: webhooks: must be an array of {\"url\", \"secret\"}",
		         path);
		return RW_EINVAL;
	}
	cJSON_ArrayForEach(e, v)
	{
		const cJSON *url = cJSON_GetObjectItemCaseSensitive(e, "url");
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(e, "secret");
		const cJSON *evs = cJSON_GetObjectItemCaseSensitive(e, "events"), *k, *m;
		struct rw_webhook_cfg *w;
		char why[200];
		size_t n = 0;

		if (i == RW_MAX_WEBHOOKS) {
			snprintf(err, errlen, "%s: webhooks: at most %d", path, RW_MAX_WEBHOOKS);
			return RW_EINVAL;
		}
		cJSON_ArrayForEach(m, e)
		{
			if (strcmp(m->string, "url") && strcmp(m->string, "secret") &&
			    strcmp(m->string, "events")) {
				snprintf(
				        err, errlen,
				        "%s: webhooks[%zu]: %s: unknown key (allowed: url, secret, "
				        "events)",
				        path, i, m->string);
				return RW_EINVAL;
			}
		}
		if (!cJSON_IsString(url) || url_check(url->valuestring, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: webhooks[%zu]: url: %s", path, i,
			         cJSON_IsString(url) ? why : "must be an http(s) URL");
			return RW_EINVAL;
		}
		if (!cJSON_IsString(sec) || strlen(sec->valuestring) < 16) {
			snprintf(err, errlen,
			         "%s: webhooks[%zu]: secret: must be a string of at least 16 "
			         "characters (e.g. `openssl rand -hex 32`)",
			         path, i);
			return RW_EINVAL;
		}
		if (evs && !cJSON_IsArray(evs)) {
			snprintf(err, errlen,
			         "%s: webhooks[%zu]: events: must be an array of kinds", path, i);
			return RW_EINVAL;
		}
		w = &c->webhooks[i];
		memset(w, 0, sizeof(*w));
		c->n_webhooks = ++i;
		w->url = strdup(url->valuestring);
		w->secret = strdup(sec->valuestring);
		if (!w->url || !w->secret)
			return RW_ENOMEM;
		if (!evs)
			continue;
		w->events = calloc((size_t)cJSON_GetArraySize(evs) + 1, sizeof(char *));
		if (!w->events)
			return RW_ENOMEM;
		cJSON_ArrayForEach(k, evs)
		{
			size_t j;
			for (j = 0; cJSON_IsString(k) && event_kinds[j]; j++)
				if (strcmp(event_kinds[j], k->valuestring) == 0)
					break;
			if (!cJSON_IsString(k) || !event_kinds[j]) {
				snprintf(err, errlen,
				         "%s: webhooks[%zu]: events[%zu]: not an event kind "
				         "(eligible, "
				         "ineligible, registered, approved, retired, pending, "
				         "flagged, "
				         "unflagged, maintenance_start, maintenance_end, "
				         "incident_open, incident_voided, "
				         "incident_acknowledged, incident_mitigated, down, up, "
				         "pool_below_min, pool_restored)",
				         path, i - 1, n);
				return RW_EINVAL;
			}
			w->events[n] = strdup(k->valuestring);
			if (!w->events[n++])
				return RW_ENOMEM;
		}
	}
	return 0;
}

int config_set_listen(struct rw_config *c, const char *s, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;
	size_t hl;

	if (!colon || colon == s)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		goto bad;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(c->listen_host))
		goto bad;
	memcpy(c->listen_host, s, hl);
	c->listen_host[hl] = '\0';
	c->listen_port = (int)port;
	return 0;
bad:
	if (err)
		snprintf(err, errlen,
		         "listen: \"%s\" is not ADDR:PORT (e.g. 127.0.0.1:8470, [::1]:8470)", s);
	return RW_EINVAL;
}

int config_add_cidr(struct rw_config *c, const char *cidr, char *err, size_t errlen)
{
	if (c->n_allow_cidrs == GUARD_MAX_CIDRS) {
		snprintf(err, errlen, "allow_cidrs: at most %d entries", GUARD_MAX_CIDRS);
		return RW_ERANGE;
	}
	c->allow_cidrs[c->n_allow_cidrs] = strdup(cidr);
	if (!c->allow_cidrs[c->n_allow_cidrs])
		return RW_ENOMEM;
	c->n_allow_cidrs++;
	return 0;
}

/* "db" may name a PostgreSQL database by its libpq URI (store.h,
 * store_path_is_postgres(): the same two schemes). */
static bool is_pg_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

static int copy_str(const cJSON *v, const char *key, char *dst, size_t n, const char *path,
                    char *err, size_t errlen)
{
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= n) {
		snprintf(err, errlen, "%s: %s: must be a string shorter than %zu bytes", path, key,
		         n);
		return RW_EINVAL;
	}
	snprintf(dst, n, "%s", v->valuestring);
	return 0;
}

/* A whole number in [lo, hi]. */
static int whole(const cJSON *v, const char *key, long lo, long hi, long *out, const char *path,
                 char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < (double)lo || v->valuedouble > (double)hi ||
	    v->valuedouble != (double)(long)v->valuedouble) {
		snprintf(err, errlen, "%s: %s: must be a whole number in [%ld, %ld]", path, key, lo,
		         hi);
		return RW_EINVAL;
	}
	*out = (long)v->valuedouble;
	return 0;
}

int config_load_file(struct rw_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long len;
	cJSON *doc = NULL, *v;
	long n;
	int rc = RW_EINVAL;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open the config file", path);
		return RW_ENOENT;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len <= 1 << 20 &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) &&
	    fread(text, 1, (size_t)len, f) == (size_t)len) {
		struct json_scan_error je;
		size_t root = 0;
		text[len] = '\0';
		/* The policy's scanner first: a syntax error gets its line. */
		if (!json_scan_check(text, (size_t)len, &root, &je)) {
			snprintf(err, errlen, "%s:%zu: %s", path,
			         json_scan_line(text, (size_t)len, je.pos), je.msg);
			fclose(f);
			free(text);
			return RW_EINVAL;
		}
		doc = cJSON_ParseWithLength(text, (size_t)len);
	}
	fclose(f);
	free(text);
	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "%s: not a JSON object (or larger than 1 MiB)", path);
		goto out;
	}
	cJSON_ArrayForEach(v, doc)
	{
		const char *k = v->string;
		if (strcmp(k, "listen") == 0) {
			if (!cJSON_IsString(v) ||
			    config_set_listen(c, v->valuestring, err, errlen) < 0) {
				if (!cJSON_IsString(v))
					snprintf(err, errlen, "%s: listen: must be a string", path);
				goto out;
			}
		} else if (strcmp(k, "allow_cidrs") == 0) {
			const cJSON *e;
			if (!cJSON_IsArray(v)) {
				snprintf(err, errlen,
				         "%s: allow_cidrs: must be an array of strings", path);
				goto out;
			}
			cJSON_ArrayForEach(e, v)
			{
				if (!cJSON_IsString(e)) {
					snprintf(err, errlen,
					         "%s: allow_cidrs: must be an array of strings",
					         path);
					goto out;
				}
				if (config_add_cidr(c, e->valuestring, err, errlen) < 0)
					goto out;
			}
		} else if (strcmp(k, "log_level") == 0) {
			if (!cJSON_IsString(v) ||
			    log_parse_level(v->valuestring, &c->log_level) < 0) {
				snprintf(err, errlen,
				         "%s: log_level: must be one of debug, info, warn, error",
				         path);
				goto out;
			}
		} else if (strcmp(k, "max_concurrency") == 0) {
			if (whole(v, k, 1, 100000, &n, path, err, errlen) < 0)
				goto out;
			c->max_concurrency = (size_t)n;
		} else if (strcmp(k, "retention_days") == 0) {
			if (whole(v, k, 1, 36600, &n, path, err, errlen) < 0)
				goto out;
			c->retention_days = (int)n;
		} else if (strcmp(k, "max_connections") == 0) {
			if (whole(v, k, 1, 100000, &n, path, err, errlen) < 0)
				goto out;
			c->max_connections = (unsigned)n;
		} else if (strcmp(k, "write_burst") == 0) {
			if (whole(v, k, 1, 100000, &n, path, err, errlen) < 0)
				goto out;
			c->write_burst = (unsigned)n;
		} else if (strcmp(k, "write_per_minute") == 0) {
			if (whole(v, k, 1, 1000000, &n, path, err, errlen) < 0)
				goto out;
			c->write_per_minute = (unsigned)n;
		} else if (strcmp(k, "webhooks") == 0) {
			if (parse_webhooks(c, v, path, err, errlen) < 0)
				goto out;
		} else if (strcmp(k, "github") == 0) {
			int grc = config_github_parse(&c->github, v, path, err, errlen);
			if (grc < 0) {
				rc = grc;
				goto out;
			}
		} else if (strcmp(k, "public_url") == 0) {
			if (config_public_url_parse(c, v, path, err, errlen) < 0)
				goto out;
		} else if (strcmp(k, "zulip") == 0) {
			int zrc = config_zulip_parse(&c->zulip, v, path, err, errlen);
			if (zrc < 0) {
				rc = zrc;
				goto out;
			}
		} else if (strcmp(k, "smtp") == 0) {
			int mrc = config_smtp_parse(&c->smtp, v, path, err, errlen);
			if (mrc < 0) {
				rc = mrc;
				goto out;
			}
		} else if (strcmp(k, "tls") == 0) {
			if (config_tls_parse(c, v, path, err, errlen) < 0)
				goto out;
		} else if (strcmp(k, "admin_token_file") == 0) {
			if (copy_str(v, k, c->admin_token_file, sizeof(c->admin_token_file), path,
			             err, errlen) ||
			    config_rebase(path, k, c->admin_token_file, sizeof(c->admin_token_file),
			                  err, errlen))
				goto out;
		} else if (strcmp(k, "policy") == 0) {
			if (copy_str(v, k, c->policy_path, sizeof(c->policy_path), path, err,
			             errlen) ||
			    config_rebase(path, k, c->policy_path, sizeof(c->policy_path), err,
			                  errlen))
				goto out;
		} else if (strcmp(k, "vantage") == 0) {
			char where[1100];
			snprintf(where, sizeof(where), "%s: vantage", path);
			if (!cJSON_IsString(v)) {
				snprintf(err, errlen,
				         "%s: must be a string, the vantage name, e.g. "
				         "\"eu-west-1\"",
				         where);
				goto out;
			}
			if (config_set_vantage(c, v->valuestring, where, err, errlen) < 0)
				goto out;
		} else if (strcmp(k, "db") == 0) {
			/* A libpq URI (the store on PostgreSQL) is not a path. */
			if (copy_str(v, k, c->db_path, sizeof(c->db_path), path, err, errlen) ||
			    (!is_pg_uri(c->db_path) &&
			     config_rebase(path, k, c->db_path, sizeof(c->db_path), err, errlen)))
				goto out;
		} else {
			snprintf(err, errlen,
			         "%s: %s: unknown key (allowed: listen, allow_cidrs, log_level,"
			         " max_concurrency, retention_days, max_connections, write_burst,"
			         " write_per_minute, admin_token_file, webhooks, github, tls, "
			         "public_url,"
			         " zulip, smtp, policy, db, vantage)",
			         path, k);
			goto out;
		}
	}
	rc = 0;
out:
	cJSON_Delete(doc);
	return rc;
}
