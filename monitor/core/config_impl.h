/* SPDX-License-Identifier: MIT */
/*
 * config_impl.h — private to monitor/core/config*.c: the sections of the
 * config file that have a file of their own.
 */
#ifndef RW_CONFIG_IMPL_H
#define RW_CONFIG_IMPL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "monitor/core/config.h"

/**
 * (config_path.c) Rebases the file path in @p dst (a value of the config file @p path) on
 * the config file's folder when it is relative: a config names its files
 * where it lives, whatever the working directory of the command that reads
 * it ("db": "rw.db" in /etc/runwarden/runwarden.json is
 * /etc/runwarden/rw.db). An absolute path, and a config file named without
 * a folder, leave it as it is.
 * @param key  the key, for the error ("github.token_file").
 * @return 0, or RW_EINVAL with "PATH: KEY: problem" when the result does not
 *         fit in @p n bytes.
 */
int config_rebase(const char *path, const char *key, char *dst, size_t n, char *err, size_t errlen);

/** The defaults of "github" (no file read, nothing allocated). */
void config_github_defaults(struct rw_github_cfg *g);

/**
 * Reads "github": {...} (@p v) of the config file @p path into @p g and
 * reads the files it names. err: "PATH: github.KEY: problem".
 * @return 0, RW_EINVAL or RW_ENOMEM; on failure @p g may hold part of it
 *         (config_github_deinit() frees it).
 */
int config_github_parse(struct rw_github_cfg *g, const cJSON *v, const char *path, char *err,
                        size_t errlen);

/** Wipes and frees the secrets of @p g. */
void config_github_deinit(struct rw_github_cfg *g);

/* ---- files that hold secrets (config_secret.c) ---- */

/** The most a secret file may hold. */
#define RW_SECRET_FILE_MAX (64 * 1024)

/**
 * Reads all of @p file (at most RW_SECRET_FILE_MAX bytes) into a
 * NUL-terminated heap buffer (free it with OPENSSL_cleanse() and free());
 * NULL with one line in @p why ("FILE: cause", never the content).
 */
char *config_read_secret_file(const char *file, size_t *len, char *why, size_t whylen);

/** The first line of @p file as a new string, without its line end and,
 *  with @p trim, without surrounding blanks; NULL with @p why as above
 *  (also for an empty first line or one that holds a NUL byte). */
char *config_first_line(const char *file, bool trim, char *why, size_t whylen);

/** Wipes and frees *@p s, and sets it to NULL. Accepts a NULL *s. */
void config_wipe_free(char **s);

/* ---- "public_url", "zulip", "smtp" (config_notify.c) ---- */

/** The defaults of "zulip" and "smtp" (nothing allocated). */
void config_notify_defaults(struct rw_config *c);

/** Reads "public_url" (@p v) into @p c. err: "PATH: public_url: problem". */
int config_public_url_parse(struct rw_config *c, const cJSON *v, const char *path, char *err,
                            size_t errlen);

/** Reads "zulip": {...} and its API key file. err: "PATH: zulip.KEY: problem". */
int config_zulip_parse(struct rw_zulip_cfg *z, const cJSON *v, const char *path, char *err,
                       size_t errlen);

/** Reads "smtp": {...} and its credential files. err: "PATH: smtp.KEY: problem". */
int config_smtp_parse(struct rw_smtp_cfg *m, const cJSON *v, const char *path, char *err,
                      size_t errlen);

/** Wipes and frees the secrets of "zulip" and "smtp". */
void config_notify_deinit(struct rw_config *c);

/* ---- "tls" (config_tls.c) ---- */

/**
 * Reads "tls": {"cert_file": FILE, "key_file": FILE} (@p v) of the config
 * file @p path into @p c: both paths, no other key (config_tls.c). The
 * files are read later, by the API at start-up.
 * err: "PATH: tls.KEY: problem". @return 0 or RW_EINVAL.
 */
int config_tls_parse(struct rw_config *c, const cJSON *v, const char *path, char *err,
                     size_t errlen);

#endif
