/* SPDX-License-Identifier: MIT */
/*
 * config_impl.h — private to monitor/core/config*.c: the sections of the
 * config file that have a file of their own.
 */
#ifndef RW_CONFIG_IMPL_H
#define RW_CONFIG_IMPL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "monitor/core/config.h"

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

/**
 * Reads "tls": {"cert_file": FILE, "key_file": FILE} (@p v) of the config
 * file @p path into @p c: both paths, no other key (config_tls.c). The
 * files are read later, by the API at start-up.
 * err: "PATH: tls.KEY: problem". @return 0 or RW_EINVAL.
 */
int config_tls_parse(struct rw_config *c, const cJSON *v, const char *path, char *err,
                     size_t errlen);

#endif
