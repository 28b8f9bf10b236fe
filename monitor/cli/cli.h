/* SPDX-License-Identifier: MIT */
/*
 * cli.h — the `runwarden` subcommands other than serve, and what they share.
 *
 * Exit statuses: 0 success; 1 a runtime failure (database, network);
 * 2 bad input or usage (one line naming the field, nothing written);
 * 3 `route`: no runner is eligible.
 */
#ifndef RW_CLI_H
#define RW_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "monitor/store/store.h"

#define CLI_OK            0
#define CLI_FAIL          1
#define CLI_USAGE         2
#define CLI_NONE_ELIGIBLE 3

/* Entry points: argv[0] is the subcommand's name ("operator", …). */
int cli_operator(int argc, char **argv);
int cli_runner(int argc, char **argv);
int cli_route(int argc, char **argv);
int cli_policy(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_maintenance(int argc, char **argv);
/** `runwarden policy export …`; argv[0] is "export" (cli_slo.c). */
int cli_policy_export(int argc, char **argv);

/** The database path: @p flag when given, else $RUNWARDEN_DB, else ./runwarden.db. */
const char *cli_db_path(const char *flag);

/** Opens the store or prints one line and returns CLI_FAIL. */
int cli_open_store(const char *path, bool create, struct store **out);

/**
 * Finds a runner by name, or by id when @p key is all digits and no runner
 * has that name. @p out is filled as by store_runner_get().
 * @return 0, RW_ENOENT, or the store's error.
 */
int cli_find_runner(struct store *st, const char *key, struct store_runner *out);

struct spec_github; /* monitor/intake/runner_spec.h */
struct guard;       /* monitor/core/guard.h */
struct rw_config;   /* monitor/core/config.h */

/**
 * The address guard the daemon would probe with, for the commands that
 * register URLs (`runner add`, `runner import`): the allow_cidrs of the
 * config file @p config (read as `serve --config` reads it; NULL: none),
 * then each of @p cidrs (--allow-cidr). @p cfg receives the config (its
 * db_path is the database when no --db is given, as in `serve`); the caller
 * releases it with config_deinit(), also after a failure.
 * @return CLI_OK, or CLI_USAGE after one line naming the file or the flag.
 */
int cli_load_guard(const char *config, const char *const *cidrs, size_t n_cidrs,
                   struct rw_config *cfg, struct guard *g);

/**
 * Checks one runner of `runner add` or `runner import` against the rules of
 * runner_spec.h and the database (the operator exists, the name is free); on
 * success fills @p sr, approved, borrowing the strings.
 * @param g    the address guard (cli_load_guard()): a URL whose host it
 *             refuses is refused as the API refuses it, with the fix
 *             (--allow-cidr RANGE or allow_cidrs in the config).
 * @param url  an http runner's URL, or NULL (push, or a pool).
 * @param gh   a GitHub pool's source, labels and numbers, already checked with
 *             spec_check_github_pool(), or NULL.
 * @return 0, RW_EINVAL (bad input, one line in @p err), or the store's error.
 */
int cli_check_runner(struct store *st, const struct guard *g, const char *operator_name,
                     const char *name, const char *const *targets, size_t n_targets,
                     const char *url, const struct spec_github *gh, struct store_runner *sr,
                     char *err, size_t errlen);

/** `runwarden runner import FILE` on the database @p db, URLs checked
 *  against @p g (cli_import.c). */
int cli_runner_import(const char *db, const struct guard *g, const char *file);

/**
 * Runs `runwarden-report SUBCOMMAND ARGS…` in place of this process
 * (git-style: DESIGN.md "Components"): the binary beside this one, found
 * through /proc/self/exe, never through $PATH, so the two always come from
 * the same build or installation. @p args are the @p n arguments after the
 * subcommand.
 * @return only on failure: CLI_FAIL, after one line on stderr saying what is
 *         missing.
 */
int cli_exec_report(const char *subcommand, int n, char **args);

/** Prints "runwarden: <message>" on stderr and returns @p code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Prints an RFC 3339 time to @p f. */
void cli_print_time(FILE *f, int64_t ms);

#endif
