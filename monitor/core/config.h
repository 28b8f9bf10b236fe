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
 * [{"url", "secret", "events": [KIND, ...]}] (notify.h), "github": {...}
 * (struct rw_github_cfg below), "tls": {"cert_file": FILE, "key_file":
 * FILE} (HTTPS on the listener; monitor/api/tls.h), "public_url":
 * "https://..." (where people find the status page; messages link to it),
 * "zulip": {...} and "smtp": {...} (struct rw_zulip_cfg, struct
 * rw_smtp_cfg), "vantage": "NAME" (this daemon's vantage point; else the
 * host name; config_set_vantage()). Flags win over the file.
 */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/core/guard.h"
#include "monitor/core/log.h"
#include "monitor/core/url.h"

#define RW_DEFAULT_LISTEN "127.0.0.1:8470"
#define RW_DEFAULT_DB     "runwarden.db"

#define RW_MAX_WEBHOOKS 16

/* The longest vantage name (config_vantage.c; STORE_VANTAGE_MAX). */
#define RW_VANTAGE_MAX 63

/** One webhook: events are POSTed to url, signed with secret (notify.h). */
struct rw_webhook_cfg {
	char *url;
	char *secret;
	char **events; /* the kinds it wants; NULL-ended; NULL: all */
};

#define RW_GITHUB_API_URL            "https://api.github.com"
#define RW_GITHUB_POLL_S             60
#define RW_GITHUB_POLL_MIN_S         1
#define RW_GITHUB_POLL_MAX_S         3600
#define RW_GITHUB_WEBHOOK_SECRET_MIN 16
#define RW_GITHUB_SECRET_FILE_MAX    (64 * 1024)

/** How the GitHub client authenticates (the keys that were given). */
enum rw_github_auth {
	RW_GITHUB_AUTH_NONE = 0, /* neither token_file nor an App: no polling */
	RW_GITHUB_AUTH_TOKEN,    /* token_file */
	RW_GITHUB_AUTH_APP,      /* app_id, app_private_key_file, installation_id */
};

/**
 * "github": {...} of the config file (GITHUB_DESIGN.md "Config"); every key
 * optional:
 *
 *   "api_url": "https://api.github.com"   http(s), url_parse()d, no query or
 *                                          fragment; trailing '/' removed.
 *                                          An admin's setting: the probe
 *                                          address guard does not apply to it.
 *   "token_file": FILE                     first line, trimmed: the token
 *   "app_id": N, "app_private_key_file": FILE, "installation_id": N
 *                                          a GitHub App (all three, and not
 *                                          with token_file)
 *   "poll_interval_s": 60                  1..3600
 *   "webhook_secret_file": FILE            first line, trimmed, >= 16 bytes
 *
 * The files are read by config_load_file(), at start-up; their contents
 * (token, private key, webhook secret) are secrets: never logged, never
 * quoted in an error, wiped by config_deinit().
 */
struct rw_github_cfg {
	bool configured;           /* the file had a "github" object */
	char api_url[URL_MAX + 1]; /* never ends in '/' */
	enum rw_github_auth auth;
	char token_file[1024]; /* "" when not given */
	char *token;           /* its first line (secret; NULL unless AUTH_TOKEN) */
	int64_t app_id;        /* 0 unless AUTH_APP */
	char app_private_key_file[1024];
	char *app_private_key_pem; /* the file's text, a PEM key libcrypto loads (secret) */
	int64_t installation_id;
	int poll_interval_s;
	char webhook_secret_file[1024];
	char *webhook_secret; /* its first line (secret; NULL when not given) */
};

/**
 * "zulip": {...} of the config file: stream messages for people
 * (monitor/notify/notify_zulip.c). Every key but "topic" is required:
 *
 *   "site": "https://rust-lang.zulipchat.com"  http(s), no query; the API is
 *                                              SITE/api/v1/messages
 *   "bot_email": "ci-bot@..."                  the bot's address (basic auth)
 *   "api_key_file": FILE                       first line, trimmed: its key
 *   "stream": "t-infra/ci-runners"             the stream's name
 *   "topic": "{target}"                        {target}, {runner} substituted
 *
 * The key is read at start-up, never logged, wiped by config_deinit().
 */
struct rw_zulip_cfg {
	bool configured;
	char site[URL_MAX + 1]; /* never ends in '/' */
	char bot_email[256];
	char api_key_file[1024];
	char *api_key; /* secret */
	char stream[256];
	char topic[256];
};

#define RW_SMTP_DIGEST_S     60
#define RW_SMTP_DIGEST_MAX_S 3600

/**
 * "smtp": {...} of the config file: mail to each runner's operator
 * (monitor/notify/notify_email.c). "url" and "from" are required:
 *
 *   "url": "smtps://mail.example.org"   smtps:// (TLS from the start, port 465
 *                                       by default) or smtp:// (STARTTLS,
 *                                       required unless the host is loopback)
 *   "from": "runwarden@example.org"     the envelope and From: address
 *   "username_file", "password_file"    first lines: SMTP AUTH (both or none)
 *   "digest_window_s": 60               0..3600: changes of one operator's
 *                                       runners that close together make one
 *                                       mail
 */
struct rw_smtp_cfg {
	bool configured;
	char url[URL_MAX + 1];
	bool starttls_optional; /* smtp:// to a loopback host */
	char from[256];
	char username_file[1024];
	char password_file[1024];
	char *username; /* secret */
	char *password; /* secret */
	int digest_window_s;
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
	bool init;                   /* serve --init: create the database when there is none */
	int retention_days;          /* raw samples are kept this long; default 90 */
	unsigned max_connections;    /* open API connections; default 1024 */
	unsigned write_burst;        /* API writes a token may make at once; default 30 */
	unsigned write_per_minute;   /* and the rate they refill at; default 60 */
	char admin_token_file[1024]; /* empty: $RUNWARDEN_ADMIN_TOKEN, else no admin */
	struct rw_webhook_cfg webhooks[RW_MAX_WEBHOOKS];
	size_t n_webhooks;
	struct rw_github_cfg github;
	char public_url[URL_MAX + 1]; /* the status page's public address; "" none */
	struct rw_zulip_cfg zulip;
	struct rw_smtp_cfg smtp;
	/* HTTPS on the listener: both paths, or both empty (plain HTTP). The
	 * names say where each came from ("FILE: tls.cert_file", "--tls-cert"),
	 * for the start-up's and the reload's errors. */
	char tls_cert_file[1024];
	char tls_key_file[1024];
	char tls_cert_name[1100];
	char tls_key_name[1100];
	/* This daemon's vantage point: --vantage, else "vantage" in the file,
	 * else the host name (config_default_vantage()); "" until resolved. */
	char vantage[RW_VANTAGE_MAX + 1];
};

/** Fills the defaults (db from $RUNWARDEN_DB when set). */
void config_defaults(struct rw_config *c);

/**
 * Reads a --config file over @p c, and the files its "github" object names.
 * err gets one line, "FILE: key: problem" ("FILE: github.KEY: problem" for
 * the github keys), never a secret.
 * @return 0, RW_EINVAL, RW_ENOENT (the config file), RW_ENOMEM.
 */
int config_load_file(struct rw_config *c, const char *path, char *err, size_t errlen);

/** Parses "ADDR:PORT" (IPv6 as "[::1]:8470") into the listen fields. */
int config_set_listen(struct rw_config *c, const char *s, char *err, size_t errlen);

/**
 * Sets the TLS files from --tls-cert and --tls-key (NULL: keep what the
 * config file gave), then checks that both or neither are set.
 * @return 0 or RW_EINVAL with one line in @p err naming the flag.
 */
int config_set_tls(struct rw_config *c, const char *cert, const char *key, char *err,
                   size_t errlen);

/**
 * Sets the vantage name from @p name, which @p where names in the error
 * ("--vantage", "FILE: vantage"): 1 to RW_VANTAGE_MAX characters of
 * [A-Za-z0-9._-]. @return 0 or RW_EINVAL with one line in @p err naming
 * @p where, the value and the rule.
 */
int config_set_vantage(struct rw_config *c, const char *name, const char *where, char *err,
                       size_t errlen);

/**
 * When no vantage name was given, takes the host name (gethostname()).
 * @return 0, or RW_EINVAL when it is not a valid name (one line in @p err
 *         saying to give --vantage).
 */
int config_default_vantage(struct rw_config *c, char *err, size_t errlen);

/** Adds an allowlisted CIDR (validated later by the guard). */
int config_add_cidr(struct rw_config *c, const char *cidr, char *err, size_t errlen);

/** Frees what config_* allocated, wiping the secrets first. */
void config_deinit(struct rw_config *c);

#endif
