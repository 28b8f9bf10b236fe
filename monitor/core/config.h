/* SPDX-License-Identifier: MIT */
/*
 * config.h — the daemon's own settings: command-line flags, then the
 * optional --config JSON file, then defaults. (Runtime code and config
 * parsing live apart: this file only reads settings.)
 *
 * Config file keys (all optional): "listen": "ADDR:PORT", "allow_cidrs":
 * ["CIDR", ...], "log_level": "debug|info|warn|error", "max_concurrency": N,
 * "policy": "FILE", "db": "FILE", "retention_days": N (raw samples; the
 * intervals are kept forever), "max_connections": N (API), "write_burst": N
 * and "write_per_minute": N (API write rate per token), "admin_token_file":
 * "FILE" (the admin's bearer token; else $RUNWARDEN_ADMIN_TOKEN), "webhooks":
 * [{"url", "secret", "events": [KIND, ...]}] (notify.h). Flags win over the
 * file.
 */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include <stddef.h>

#include "monitor/core/guard.h"
#include "monitor/core/log.h"

#define RW_DEFAULT_LISTEN "127.0.0.1:8470"
#define RW_DEFAULT_DB     "runwarden.db"

#define RW_MAX_WEBHOOKS 16

/** One webhook: events are POSTed to url, signed with secret (notify.h). */
struct rw_webhook_cfg {
	char *url;
	char *secret;
	char **events; /* the kinds it wants; NULL-ended; NULL: all */
};

struct rw_config {
	char db_path[1024];
	char policy_path[1024]; /* empty: the built-in defaults */
	char listen_host[256];
	int listen_port;
	char *allow_cidrs[GUARD_MAX_CIDRS];
	size_t n_allow_cidrs;
	enum rw_log_level log_level;
	size_t max_concurrency;
	int retention_days;          /* raw samples are kept this long; default 90 */
	unsigned max_connections;    /* open API connections; default 1024 */
	unsigned write_burst;        /* API writes a token may make at once; default 30 */
	unsigned write_per_minute;   /* and the rate they refill at; default 60 */
	char admin_token_file[1024]; /* empty: $RUNWARDEN_ADMIN_TOKEN, else no admin */
	struct rw_webhook_cfg webhooks[RW_MAX_WEBHOOKS];
	size_t n_webhooks;
};

/** Fills the defaults (db from $RUNWARDEN_DB when set). */
void config_defaults(struct rw_config *c);

/** Reads a --config file over @p c. err gets "FILE: key: problem". */
int config_load_file(struct rw_config *c, const char *path, char *err, size_t errlen);

/** Parses "ADDR:PORT" (IPv6 as "[::1]:8470") into the listen fields. */
int config_set_listen(struct rw_config *c, const char *s, char *err, size_t errlen);

/** Adds an allowlisted CIDR (validated later by the guard). */
int config_add_cidr(struct rw_config *c, const char *cidr, char *err, size_t errlen);

/** Frees what config_* allocated. */
void config_deinit(struct rw_config *c);

#endif
