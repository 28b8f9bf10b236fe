/* SPDX-License-Identifier: MIT */
/*
 * store.h — runwarden's memory: one SQLite file in WAL mode, or a
 * PostgreSQL database (a libpq URI in place of the path; store_pg.c).
 *
 * The store is synchronous and single-connection: a `struct store` is used by
 * one thread at a time. The daemon opens two: the writer thread's (samples,
 * state changes, ticks, in batched transactions) and the loop thread's
 * (registry reloads and history queries, which WAL lets run beside the
 * writer). Times are UTC wall-clock milliseconds. SQLite result codes are
 * converted to RW_E* here and never leave this module.
 *
 * Schema (migrations by PRAGMA user_version, see store.c):
 *   operators, tokens, runners, runner_targets, runner_labels, samples,
 *   intervals, monitor_runs, blind_periods, policy_versions, error_classes,
 *   states, flags, maintenance, incidents, rollups, rollup_days, events,
 *   webhook_cursors, github_jobs, github_deliveries, vantages,
 *   vantage_states.
 * `intervals` holds one row per state change, (runner_id, start_ms) unique;
 * a row holds until the next row of the same runner.
 */
#ifndef RW_STORE_H
#define RW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/account.h"
#include "policy/policy.h"
#include "policy/registration.h"

struct store;

enum store_open_flags {
	STORE_CREATE = 1,      /* create the file and migrate it if needed */
	STORE_READONLY = 2,    /* open read-only; never migrates */
	STORE_SMALL_CACHE = 4, /* a page cache of STORE_SMALL_CACHE_KIB: the daemon's
	                        * connections, which append and read a little at a
	                        * time (SQLite's default is 2 MiB a connection) */
};

/* The page cache of a STORE_SMALL_CACHE connection, in KiB. */
#define STORE_SMALL_CACHE_KIB 512

/**
 * Opens (and with STORE_CREATE creates and migrates) the database at @p path.
 * @param out    receives the store; the caller frees it with store_close().
 * @param err    receives one line naming the file and the cause on failure.
 * @return 0, RW_ENOENT (no file and no STORE_CREATE), RW_ESCHEMA (written by
 *         a newer runwarden), RW_EIO, RW_ENOMEM.
 */
int store_open(struct store **out, const char *path, unsigned flags, char *err, size_t errlen);

/**
 * Whether @p path is a PostgreSQL database: a libpq URI starting with
 * "postgresql://" or "postgres://" (store_open() then connects to it); else
 * it is an SQLite file.
 */
bool store_path_is_postgres(const char *path);

/**
 * The database @p path as messages and logs name it: the path, or the URI
 * with its password (user:PASSWORD@) replaced by ***.
 */
void store_display_name(const char *path, char *out, size_t outlen);

/** The schema version (PRAGMA user_version) this runwarden writes. */
int store_schema_version(void);

/** Closes the store. Accepts NULL. */
void store_close(struct store *st);

/** The last SQLite error message of this connection (for logs). */
const char *store_errmsg(const struct store *st);

/**
 * How long a statement waits for a lock another connection holds before it
 * fails with RW_EBUSY; store_open() sets STORE_BUSY_MS. The daemon's loop
 * thread sets 0 on its connection once it serves (it only reads then, and
 * must never wait: see monitor/fleet/writer.h).
 */
#define STORE_BUSY_MS 5000
void store_set_busy_timeout(struct store *st, int ms);

/**
 * Checkpoints the WAL into the database and truncates it (PRAGMA
 * wal_checkpoint(TRUNCATE)): the writer runs it after storage failures end,
 * so that the WAL does not keep the disk full. Every read-write connection
 * also sets journal_size_limit (STORE_WAL_LIMIT), to which SQLite truncates
 * the WAL after each checkpoint that resets it.
 * @return 0, RW_EBUSY (readers held it back; nothing lost), RW_EIO.
 */
#define STORE_WAL_LIMIT (64 * 1024 * 1024)
int store_checkpoint(struct store *st);

/** Transactions. store_begin() takes the write lock at once (IMMEDIATE). */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---- the writer's records -------------------------------------------- */

enum store_rec_kind {
	STORE_REC_SAMPLE = 1, /* one probe result */
	STORE_REC_CHANGE = 2, /* one state change of one runner */
	STORE_REC_TICK = 3,   /* the monitor was alive at ts_ms */
	STORE_REC_BLIND = 4,  /* the monitor was blind over [start, end) */
	STORE_REC_FLAG = 5,   /* a runner was flagged or unflagged */
	STORE_REC_EVENT = 6,  /* an event the daemon saw (eligibility, maintenance) */
	/* This daemon's own state of one runner changed (u.change: runner_id,
	 * start_ms, state): upserted into vantage_states under the writing
	 * connection's vantage (store_set_vantage()). Pushed beside each
	 * STORE_REC_CHANGE; the CHANGE writes the combined intervals. */
	STORE_REC_VSTATE = 7,
};
#define STORE_REC_KINDS 8 /* one more than the highest kind */

/** Why the monitor was blind; stored as text in blind_periods.cause. */
enum store_blind_cause {
	STORE_BLIND_DOWNTIME = 1,   /* the daemon was not running */
	STORE_BLIND_TICK_GAP = 2,   /* the daemon's loop did not tick */
	STORE_BLIND_CANARY = 3,     /* most of the policy's canaries failed */
	STORE_BLIND_CORRELATED = 4, /* many runners failed at once with network errors */
	STORE_BLIND_STORAGE = 5,    /* the writer's transactions failed */
	STORE_BLIND_GITHUB_API = 6, /* a GitHub source's runner list could not be read */
};
#define STORE_BLIND_CAUSE_COUNT 7 /* one more than the highest cause */

/** "downtime", "tick_gap", "canary", "correlated", "storage", "github_api"
 *  ("unknown" otherwise). */
const char *store_blind_cause_name(int cause);

struct store_rec {
	uint8_t kind; /* enum store_rec_kind */
	union {
		struct {
			int64_t runner_id;
			int64_t ts_ms;
			int32_t latency_us;  /* -1 when no answer */
			int16_t http_status; /* 0 when no answer */
			uint8_t errclass;    /* enum rw_errclass */
		} sample;
		struct {
			int64_t runner_id;
			int64_t start_ms;
			uint8_t state; /* enum rw_state */
			/* DOWN: the failure that confirmed it, for the "down"
			 * event (enum rw_errclass; 0 when not known). */
			uint8_t errclass;
			int16_t http_status;
		} change;
		struct {
			int64_t run_id;
			int64_t ts_ms;
			/* A follower's tick (writer_set_combined()): it moves its
			 * run's last tick and its vantage's heartbeat, not the
			 * run's led_until_ms, which only a leader's ticks move. */
			bool follower;
		} tick;
		struct {
			int64_t start_ms;
			int64_t end_ms;
			uint8_t cause; /* enum store_blind_cause */
		} blind;
		struct {
			int64_t runner_id; /* 0: none (a target's pool) */
			int64_t at_ms;
			uint8_t kind;   /* enum store_event_kind */
			uint8_t reason; /* ineligible: enum store_reason */
			/* The pool events' data, a JSON object (malloc'd, owned by
			 * the record: see store_rec_release()); an ineligible
			 * event's when it says more than its reason (the address
			 * guard's refusal); NULL for the others. */
			char *data;
		} event;
		struct {
			int64_t runner_id;
			int64_t at_ms;
			int64_t policy_id;      /* policy_versions.id in force */
			uint32_t uptime_ppm;    /* rolling-window uptime */
			uint32_t threshold_ppm; /* the floor, or floor + restore margin */
			uint8_t flagged;        /* 1: flagged, 0: unflagged */
		} flag;
	} u;
};

/**
 * On PostgreSQL, the channel on which every committed batch with state
 * changes notifies its listeners (NOTIFY, sent at commit): payloads of
 * lines, in the batch's order, at most ~7,000 bytes each:
 *   "RUNNER_ID STATE START_MS\n"  a combined change (STORE_REC_CHANGE;
 *       enum rw_state), written by the leader only (monitor/daemon/leader.h);
 *   "v VANTAGE_ID RUNNER_ID STATE SINCE_MS ERRCLASS HTTP_STATUS\n"  a
 *       vantage's own change (STORE_REC_VSTATE), written by every daemon;
 *   "r VANTAGE_ID SINCE_MS\n"  the vantage's daemon started again: every
 *       state it held is unknown from SINCE_MS (store_vantage_register()).
 * Listeners skip lines of a form they do not know.
 */
#define STORE_PG_STATE_CHANNEL "runwarden_state"

/**
 * Writes @p n records in one transaction; all or nothing.
 * @return 0, RW_EBUSY, RW_EIO.
 */
int store_write_batch(struct store *st, const struct store_rec *recs, size_t n);

/** Frees what a record owns (an event's data) and clears it; the writer
 *  calls it once the record is written or dropped. */
void store_rec_release(struct store_rec *rec);

/* ---- vantage points (store_vantage.c) ----------------------------------
 *
 * Each daemon is a vantage point with a name (`serve --vantage NAME`).
 * The first vantage to register in a database gets id 0, which is also
 * what every row written before vantages existed is tagged with (the
 * columns' DEFAULT 0): a single daemon's history stays its own. A
 * connection writes under its vantage (store_set_vantage(); 0 until set):
 * samples, blind periods and STORE_REC_VSTATE records are tagged with it,
 * store_run_begin() opens the run under it, and a STORE_REC_TICK moves the
 * heartbeat (vantages.last_tick_ms) of its run's vantage.
 */

/** Vantage names: 1 to STORE_VANTAGE_MAX characters of [A-Za-z0-9._-]. */
#define STORE_VANTAGE_MAX 63

/** Whether @p name is a valid vantage name (see STORE_VANTAGE_MAX). */
bool store_vantage_name_valid(const char *name);

/**
 * Finds the vantage @p name, or adds it (first seen and heartbeat at
 * @p now_ms; id 0 when it is the first, else the highest id + 1), in one
 * transaction; then every runner state it held (vantage_states) becomes
 * unknown from its last heartbeat, because its daemon is starting over and
 * knows nothing yet; and the connection writes under it from then on
 * (store_set_vantage()). Two daemons registering at once both succeed.
 * @return 0, RW_EINVAL (not a valid name), RW_EBUSY, RW_EIO.
 */
int store_vantage_register(struct store *st, const char *name, int64_t now_ms, int64_t *id);

/** The vantage this connection's writes are tagged with (see above). */
void store_set_vantage(struct store *st, int64_t vantage_id);

/** One vantage's view of one runner (store_vantage_states()). */
struct store_vantage_state {
	int64_t vantage_id;
	char name[STORE_VANTAGE_MAX + 1];
	int state; /* enum rw_state, as its daemon last wrote it */
	int64_t since_ms;
	int64_t last_tick_ms; /* the vantage's heartbeat */
	bool blind;           /* a stored blind period of it covers now_ms */
};

/**
 * Reads every vantage's row for runner @p runner_id, ordered by id (the
 * order they registered in).
 * @param out  receives a malloc'd array the caller frees (NULL when n is 0).
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_vantage_states(struct store *st, int64_t runner_id, int64_t now_ms,
                         struct store_vantage_state **out, size_t *n);

/** One stored state of one vantage (store_vantage_states_all()). */
struct store_vstate_row {
	int64_t vantage_id;
	int64_t runner_id;
	int64_t since_ms;
	int state; /* enum rw_state */
};

/**
 * Reads every vantage's own state of every runner, but those of vantage
 * @p except_id, ordered by vantage then runner: what a daemon combining the
 * vantage points starts from (monitor/fleet/fleet_quorum.c).
 * @param out  receives a malloc'd array the caller frees (NULL when n is 0).
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_vantage_states_all(struct store *st, int64_t except_id, struct store_vstate_row **out,
                             size_t *n);

/** A vantage point as registered. */
struct store_vantage {
	int64_t id;
	char name[STORE_VANTAGE_MAX + 1];
	int64_t first_seen_ms;
	int64_t last_tick_ms;
};

/**
 * Lists every vantage, ordered by id. @p out is malloc'd (NULL when *n is
 * 0); free it with free(). @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_vantage_list(struct store *st, struct store_vantage **out, size_t *n);

/* ---- the monitor's own runs ------------------------------------------ */

/**
 * Records that a daemon run starts at @p now_ms, under the connection's
 * vantage (store_set_vantage()).
 * @param run_id        receives the new run's id.
 * @param prev_tick_ms  receives the last tick of the previous run of the
 *                      same vantage, or -1.
 */
int store_run_begin(struct store *st, int64_t now_ms, int64_t *run_id, int64_t *prev_tick_ms);

/** The latest tick any run made as the leader (monitor_runs.led_until_ms):
 *  until then the combined records were written; -1 when none ever led. */
int store_last_tick(struct store *st, int64_t *tick_ms);

/** store_last_tick(), and the vantage of the run that made it (the old
 *  leader's, at a takeover), or -1 for both. */
int store_last_run(struct store *st, int64_t *tick_ms, int64_t *vantage_id);

/* ---- history ----------------------------------------------------------- */

/**
 * Reads the changes of @p runner_id that matter for [from_ms, to_ms): the
 * last one starting at or before from_ms, and every one starting before
 * to_ms, sorted by start.
 * @param out  receives a malloc'd array the caller frees (NULL when n is 0).
 */
int store_intervals(struct store *st, int64_t runner_id, int64_t from_ms, int64_t to_ms,
                    struct rw_interval **out, size_t *n);

/** Counts the samples of @p runner_id (tests and `runner show`). */
int store_sample_count(struct store *st, int64_t runner_id, int64_t *count);

/** Deletes at most @p limit samples older than @p before_ms. */
int store_purge_samples(struct store *st, int64_t before_ms, int limit, int *deleted);

/* ---- policy versions ------------------------------------------------- */

/**
 * Records that the policy with @p sha256_hex took effect at @p now_ms, unless
 * it is already the latest recorded one (then nothing is written).
 * @param id  receives its row id in policy_versions; may be NULL.
 */
int store_record_policy(struct store *st, const char *sha256_hex, int version, const char *body,
                        int64_t now_ms, int64_t *id);

/** One row of policy_versions; body is owned by it. */
struct store_policy_version {
	int64_t id;
	char sha256[65]; /* lowercase hex */
	int version;     /* the policy's "version" field */
	char *body;      /* the bytes that were hashed */
	int64_t effective_ms;
};

/**
 * Reads the latest recorded policy (the highest id): the one in force, as far
 * as the store knows. Free @p out with store_policy_version_deinit().
 * @return 0, RW_ENOENT (no policy recorded yet), RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_policy_latest(struct store *st, struct store_policy_version *out);

/** Frees what a store_policy_version owns. Accepts NULL. */
void store_policy_version_deinit(struct store_policy_version *pv);

/* ---- backup ------------------------------------------------------------ */

/**
 * Copies the live database to @p dest_path with the SQLite online backup
 * API, then checks the copy with PRAGMA integrity_check.
 * @return 0, RW_EEXIST (dest exists), RW_EIO.
 */
int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen);

/**
 * What store_open() migrated: @return the schema version the file had before
 * this open brought it to store_schema_version(), or 0 when it migrated
 * nothing (a new file, one already current, or opened read-only). When it
 * migrated, *backup_path (if not NULL) is the copy of the database taken
 * before the first migration step (store_migrate()), owned by @p st.
 */
int store_migrated_from(const struct store *st, const char **backup_path);

/** Runs PRAGMA integrity_check; 0 when it answers "ok". */
int store_integrity_check(struct store *st, char *err, size_t errlen);

/* ---- registry (store_registry.c) --------------------------------------- */

/* The registration statuses of policy/registration.h, which holds their
 * transition table; the stored integers are its values. The STORE_RUNNER_*
 * names stay for the code that already spells them. */
enum store_runner_status {
	STORE_RUNNER_PENDING = REGISTRATION_PENDING,
	STORE_RUNNER_APPROVED = REGISTRATION_APPROVED,
	STORE_RUNNER_RETIRED = REGISTRATION_RETIRED,
};

/** Returns "pending", "approved" or "retired" (registration_status_name()). */
const char *store_runner_status_name(int status);

struct store_operator {
	int64_t id;
	char *name;
	char *email;
	int64_t created_ms;
};

/**
 * A runner as stored; strings and the targets array are owned by it.
 *
 * Kind "github" is either a pool (github set, pool_id 0: the runners of a
 * GitHub organisation or repository that carry all of its labels, at
 * least one) or a member (pool_id set: one such self-hosted runner, created
 * by the daemon through store_github_member_upsert(), with the pool's
 * operator and targets and no labels of its own). Neither has a URL.
 */
struct store_runner {
	int64_t id;
	int64_t operator_id;
	char *operator_name;
	char *name;
	char *kind; /* "http", "push" or "github" */
	char *url;  /* NULL unless kind is "http" */
	char **targets;
	size_t n_targets;
	char **labels; /* runs-on labels, sorted; may be empty */
	size_t n_labels;
	int status;          /* enum store_runner_status */
	uint32_t interval_s; /* 0: the policy's default */
	uint32_t timeout_ms; /* 0: the policy's default */
	int64_t created_ms;
	int64_t retired_ms; /* 0 unless retired */
	int64_t gen;        /* registry generation of the last change */
	int last_state;     /* enum rw_state of the latest stored change */
	int64_t last_state_ms;
	bool flagged; /* the latest stored flag row says flagged */
	int64_t flag_since_ms;
	/* Kind "github" only; zero / NULL otherwise. */
	char *github;             /* pool: "OWNER" or "OWNER/REPO" */
	uint32_t min_online;      /* pool: members that must be online */
	uint32_t pickup_within_s; /* pool: a job must start within this; 0: no check */
	int64_t pool_id;          /* member: its pool's id */
	char *pool_name;          /* member: its pool's name (read; ignored on insert) */
	int64_t github_id;        /* member: GitHub's runner id */
	char *github_name;        /* member: GitHub's runner name, verbatim */
	int64_t gone_ms;          /* member: missing from GitHub's list since; 0: listed */
	/* When the admin waived its probation (store_runner_approve()); 0: not
	 * waived. Read only: policy_probation_end_ms() says when it ends. */
	int64_t probation_waived_ms;
};

/** Whether @p r is a GitHub pool (kind "github", no pool of its own). */
bool store_runner_is_pool(const struct store_runner *r);

/** Whether @p r is a member of a GitHub pool (pool_id set). */
bool store_runner_is_member(const struct store_runner *r);

/**
 * Adds an operator. The token is stored only as its SHA-256.
 * @return 0, RW_EEXIST (name taken), RW_EIO.
 */
int store_operator_add(struct store *st, const char *name, const char *email,
                       const uint8_t token_sha256[32], int64_t now_ms, int64_t *id);

/** Looks an operator up by name. @return 0 or RW_ENOENT. */
int store_operator_find(struct store *st, const char *name, int64_t *id);

/** Lists every operator by name; free with store_operators_free(). */
int store_operator_list(struct store *st, struct store_operator **out, size_t *n);
void store_operators_free(struct store_operator *ops, size_t n);

/**
 * Adds a runner (fields of @p r: operator_id, name, kind, url, targets,
 * labels, status, interval_s, timeout_ms, and for kind "github" github,
 * min_online, pickup_within_s, or pool_id, github_id, github_name) and its
 * first interval, UNKNOWN from @p now_ms. Sets r->id, r->gen and
 * r->created_ms. The caller validates (runner_spec.h); the store refuses
 * only what would break its invariants: a "github" runner that is neither
 * exactly a pool nor exactly a member, or another kind with GitHub fields.
 * @return 0, RW_EEXIST (name taken), RW_ENOENT (no such operator),
 *         RW_EINVAL, RW_EIO.
 */
int store_runner_add(struct store *st, struct store_runner *r, int64_t now_ms);

/** store_runner_add() inside the caller's transaction (store_begin()). */
int store_runner_insert(struct store *st, struct store_runner *r, int64_t now_ms);

/**
 * Lists runners whose registry generation is above @p after_gen (0: all),
 * ordered by id. Free with store_runners_free().
 */
int store_runner_list(struct store *st, int64_t after_gen, struct store_runner **out, size_t *n);

/**
 * One page of store_runner_list(): at most @p limit runners (0: no limit)
 * whose generation is above @p after_gen and whose id is above @p after_id,
 * ordered by id; the next page starts after the last id of this one. Each
 * page is its own snapshot: a runner changed between pages gets a
 * generation above every one read so far, so a later list after the
 * highest generation seen picks it up. A caller that loads a large fleet
 * page by page holds one page of copies at a time, not the whole registry
 * twice (the daemon's start-up). Free with store_runners_free().
 */
int store_runner_page(struct store *st, int64_t after_gen, int64_t after_id, size_t limit,
                      struct store_runner **out, size_t *n);

/** Reads one runner by name (or, when @p name is NULL, by @p id). */
int store_runner_get(struct store *st, const char *name, int64_t id, struct store_runner *out);

/** What store_runner_set_status() found and did. */
struct store_status_change {
	int from;      /* the status read inside the transaction */
	bool changed;  /* false: the runner already had the status; nothing written */
	bool waived;   /* store_runner_approve(): its probation was waived now */
	char why[256]; /* RW_ECONFLICT: one line naming the runner, its status and
	                  what it allows (registration_check()) */
};

/**
 * Changes runner @p id's registration status to @p status, if the table of
 * policy/registration.h allows it. One write transaction (BEGIN IMMEDIATE)
 * reads the current status, checks the change and writes it, so two writers
 * cannot both pass the check on the same old status.
 *
 * A change writes the status (and retired_ms when retiring), a new registry
 * generation and an event. Asking for the status the runner already has
 * (approving an approved runner) is a success that writes nothing. A refused
 * change writes nothing either.
 *
 * @param out  may be NULL; otherwise filled whenever the runner exists.
 * @return 0, RW_ECONFLICT (refused; the reason in out->why), RW_ENOENT,
 *         RW_EINVAL (@p status is not a status), RW_EBUSY, RW_EIO.
 */
int store_runner_set_status(struct store *st, int64_t id, int status, int64_t now_ms,
                            struct store_status_change *out);

/**
 * store_runner_set_status(id, STORE_RUNNER_APPROVED), and with
 * @p no_probation the waiver of its probation in the same transaction
 * (probation_waived_ms = @p now_ms, a new registry generation, so that the
 * daemon picks it up), for a runner that is approved already too: a runner
 * moved from another monitor has its history elsewhere. A runner waived
 * before keeps its first waiver (out->waived false, nothing written); a
 * refused approval (a retired runner) writes nothing.
 * @return as store_runner_set_status().
 */
int store_runner_approve(struct store *st, int64_t id, int64_t now_ms, bool no_probation,
                         struct store_status_change *out);

/**
 * Changes a runner's URL (unless NULL), targets and labels (each unless NULL;
 * labels may be an empty list), interval and
 * timeout (unless negative), and bumps its gen; one transaction. The caller
 * validates (runner_spec.h). New targets of a GitHub pool are its members'
 * too (the live ones, whose generations are bumped in the same transaction).
 * @return 0, RW_ENOENT, RW_EBUSY, RW_EIO.
 */
int store_runner_update(struct store *st, int64_t id, const char *url, const char *const *targets,
                        size_t n_targets, const char *const *labels, size_t n_labels,
                        long interval_s, long timeout_ms);

/** The highest registry generation, 0 when there are no runners. */
int store_registry_gen(struct store *st, int64_t *gen);

void store_runner_deinit(struct store_runner *r);
void store_runners_free(struct store_runner *rs, size_t n);

/* ---- maintenance windows (store_maintenance.c) --------------------------
 *
 * A declared window [start_ms, end_ms) of one runner. Rows are never
 * deleted: they are the evidence the accounting credits. Removing one sets
 * removed_ms and
 *   - before it starts (start_ms >= now): cancels it; it no longer counts;
 *   - while it runs (start_ms < now < end_ms): ends it early, end_ms = now;
 *   - after it is over (end_ms <= now): is refused (RW_EINVAL).
 * Adding and removing bump the runner's registry generation in the same
 * transaction, so a running daemon picks the change up with the runner.
 */

/** One maintenance window as stored; runner_name and reason are owned by it. */
struct store_maintenance {
	int64_t id;
	int64_t runner_id;
	char *runner_name;
	int64_t start_ms;
	int64_t end_ms; /* > start_ms; the removal time when ended early */
	int64_t declared_ms;
	char *reason;
	int64_t removed_ms; /* 0 unless removed */
};

/**
 * Whether @p m was cancelled before it started (removed_ms <= start_ms): such
 * a window is not part of the accounting. A window ended early still is.
 */
bool store_maintenance_cancelled(const struct store_maintenance *m);

/**
 * Declares a maintenance window of @p runner_id over [@p start_ms, @p end_ms),
 * declared at @p declared_ms, and bumps the runner's generation; one
 * transaction. The caller validates the reason and the times (the CLI and API
 * share maintenance_spec.h); the store checks only what the schema needs.
 * An exact duplicate of a window that stands (same runner, start and end,
 * not removed) is refused and writes nothing: it would change nothing, and
 * is a request sent twice (store_maintenance.c says why).
 * @param reason  copied; must not be NULL.
 * @param id      receives the new window's id, or with RW_EEXIST the id of
 *                the window it duplicates; may be NULL.
 * @return 0, RW_EEXIST (a duplicate), RW_EINVAL (end_ms <= start_ms, no
 *         reason), RW_ENOENT (no such runner), RW_EBUSY, RW_EIO.
 */
int store_maintenance_add(struct store *st, int64_t runner_id, int64_t start_ms, int64_t end_ms,
                          int64_t declared_ms, const char *reason, int64_t *id);

/**
 * Lists the windows of @p runner_id (0: of every runner) that overlap
 * [@p from_ms, @p to_ms), ordered by start, then id. Cancelled windows (see
 * store_maintenance_cancelled()) are left out unless @p include_removed;
 * windows ended early are always in, with their shortened end.
 * @param out  receives a malloc'd array (NULL when *n is 0); free it with
 *             store_maintenance_free().
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_maintenance_list(struct store *st, int64_t runner_id, int64_t from_ms, int64_t to_ms,
                           bool include_removed, struct store_maintenance **out, size_t *n);

/**
 * Reads one window by id, removed or not. Free with store_maintenance_deinit().
 * @return 0, RW_ENOENT, RW_ENOMEM, RW_EIO.
 */
int store_maintenance_get(struct store *st, int64_t id, struct store_maintenance *out);

/**
 * Removes window @p id at @p now_ms by the rules above, and bumps its
 * runner's generation; one transaction.
 * @return 0, RW_ENOENT (no such window), RW_EINVAL (already over, or already
 *         removed), RW_EBUSY, RW_EIO.
 */
int store_maintenance_remove(struct store *st, int64_t id, int64_t now_ms);

/** Frees what a store_maintenance owns. Accepts NULL. */
void store_maintenance_deinit(struct store_maintenance *m);

/** Frees an array from store_maintenance_list(). Accepts NULL. */
void store_maintenance_free(struct store_maintenance *ms, size_t n);

/* ---- tokens (store_auth.c) ---------------------------------------------
 *
 * Bearer tokens are stored only as their SHA-256; the raw token is shown
 * once and never written. A token belongs to an operator; a heartbeat token
 * is also scoped to one runner (runner_id) and is good for nothing else.
 * Tokens are never deleted: revoking one sets revoked_ms.
 */

struct store_token {
	int64_t id;
	int64_t operator_id;
	int64_t runner_id; /* 0 unless scoped to one runner */
	int64_t created_ms;
	int64_t expires_ms; /* 0: never */
	int64_t revoked_ms; /* 0: not revoked */
	uint8_t sha256[32];
};

/**
 * Adds a token of @p operator_id (scoped to @p runner_id unless 0).
 * @param expires_ms  0: never expires.
 * @param id          receives the token's id; may be NULL.
 * @return 0, RW_ENOENT (no such operator or runner), RW_EEXIST (hash taken),
 *         RW_EBUSY, RW_EIO.
 */
int store_token_add(struct store *st, int64_t operator_id, int64_t runner_id,
                    const uint8_t sha256[32], int64_t now_ms, int64_t expires_ms, int64_t *id);

/** Finds the token whose hash is @p sha256, revoked or not. @return 0 or RW_ENOENT. */
int store_token_find(struct store *st, const uint8_t sha256[32], struct store_token *out);

/**
 * Lists the tokens of @p operator_id by id, or every token with
 * @p operator_id 0 (the daemon's cache of them, auth.h). @p out is
 * malloc'd (NULL when *n is 0); the caller frees it with free().
 */
int store_token_list(struct store *st, int64_t operator_id, struct store_token **out, size_t *n);

/**
 * Revokes token @p token_id of @p operator_id at @p now_ms.
 * @return 0, RW_ENOENT (no such token of that operator), RW_EINVAL (already
 *         revoked), RW_EBUSY, RW_EIO.
 */
int store_token_revoke(struct store *st, int64_t operator_id, int64_t token_id, int64_t now_ms);

/** Reads one operator by id; free its strings with store_operators_free(op, 1)'s rules. */
int store_operator_get(struct store *st, int64_t id, struct store_operator *out);

/** Frees what a store_operator owns. Accepts NULL. */
void store_operator_deinit(struct store_operator *op);

/* ---- incidents (store_incident.c) ---------------------------------------
 *
 * One incident per DOWN interval, opened and closed by the writer in the
 * same transaction as the interval (store.c, write_one()): start_ms is the
 * DOWN interval's start, end_ms the start of the next interval (0 while
 * open). An incident whose DOWN interval was replaced by the monitor's own
 * blindness is voided and left out of every listing. The operator's
 * acknowledge and mitigate times are what the report's time-to-acknowledge
 * and time-to-mitigate are measured from (start_ms).
 */

struct store_incident {
	int64_t id;
	int64_t runner_id;
	char *runner_name;
	int64_t operator_id;
	int64_t start_ms;
	int64_t end_ms;       /* 0 while open */
	int64_t ack_ms;       /* 0 until acknowledged */
	char *ack_note;       /* NULL until acknowledged */
	int64_t mitigated_ms; /* 0 until mitigated */
	char *mitigated_note; /* NULL unless given */
};

/**
 * Lists the incidents that overlap [@p from_ms, @p to_ms) (open ones reach
 * to infinity), of @p runner_id unless 0, of @p operator_id's runners unless
 * 0, voided ones left out, ordered by start then id.
 * @param out  malloc'd (NULL when *n is 0); free with store_incidents_free().
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_incident_list(struct store *st, int64_t operator_id, int64_t runner_id, int64_t from_ms,
                        int64_t to_ms, struct store_incident **out, size_t *n);

/** How far store_incident_recent() counts the incidents it leaves out. */
#define STORE_INCIDENTS_COUNT_CAP 10000

/**
 * The incidents that overlap [@p from_ms, @p to_ms), voided ones left out,
 * at most @p limit of them: the open ones first, then those that ended,
 * each newest (by start) first; and in @p more how many others overlap (at
 * most STORE_INCIDENTS_COUNT_CAP; it may be that cap when there are more).
 * Bounded work however many incidents there are (the status page's).
 * @param out  malloc'd (NULL when *n is 0); free with store_incidents_free().
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_incident_recent(struct store *st, int64_t from_ms, int64_t to_ms, size_t limit,
                          struct store_incident **out, size_t *n, size_t *more);

/** Reads one incident (not voided). @return 0, RW_ENOENT, RW_ENOMEM, RW_EIO. */
int store_incident_get(struct store *st, int64_t id, struct store_incident *out);

/**
 * Acknowledges incident @p id at @p now_ms with @p note (copied; not NULL).
 * @return 0, RW_ENOENT, RW_EEXIST (already acknowledged), RW_EBUSY, RW_EIO.
 */
int store_incident_ack(struct store *st, int64_t id, int64_t now_ms, const char *note);

/**
 * Marks incident @p id mitigated at @p now_ms, with an optional @p note. An
 * incident not yet acknowledged is acknowledged at the same time.
 * @return 0, RW_ENOENT, RW_EEXIST (already mitigated), RW_EBUSY, RW_EIO.
 */
int store_incident_mitigate(struct store *st, int64_t id, int64_t now_ms, const char *note);

/** Frees what a store_incident owns. Accepts NULL. */
void store_incident_deinit(struct store_incident *inc);

/** Frees an array from store_incident_list(). Accepts NULL. */
void store_incidents_free(struct store_incident *v, size_t n);

/* ---- reports: daily rollups (store_rollup.c) -----------------------------
 *
 * One row per runner and completed UTC day with samples: that day's
 * struct rollup_day (policy/rollup.h: samples, failures, a latency histogram,
 * failure-run lengths), so that reports read rollups, never raw samples. The
 * writer computes them from the raw samples a chunk at a time (one short
 * transaction per step), once a day has been over for STORE_ROLLUP_SETTLE_MS,
 * and before the retention purge deletes that day's samples; rollup_days
 * lists each day done. A sample stored after its day was rolled up is not in
 * the rollup. Days are counted from 1970-01-01 (UTC): day d is
 * [d * 86400000, (d + 1) * 86400000).
 */

struct rollup_day; /* policy/rollup.h */

/** How long after a day's end its rollup waits for late samples. */
#define STORE_ROLLUP_SETTLE_MS ((int64_t)10 * 60 * 1000)

/**
 * The earliest day that may have samples not rolled up yet: the day of the
 * first sample after the last day done (of the first sample at all when no
 * day is done). The retention purge must keep samples from this day on.
 * @return 0, RW_ENOENT (every sample is rolled up), RW_EBUSY, RW_EIO.
 */
int store_rollup_frontier(struct store *st, int64_t *day);

/**
 * The next day to roll up: store_rollup_frontier(), once that day has been
 * over for STORE_ROLLUP_SETTLE_MS at @p now_ms.
 * @return 0, RW_ENOENT (nothing to do yet), RW_EBUSY, RW_EIO.
 */
int store_rollup_next_day(struct store *st, int64_t now_ms, int64_t *day);

/**
 * Rolls up part of @p day: the runners with id > *@p cursor, in id order,
 * until about @p max_samples samples have been read (a runner is never
 * split), then writes their rows in one transaction; the samples are read
 * before it, outside any lock. The step that reaches the end of the runner
 * list also records the day in rollup_days, in the same transaction.
 * @param cursor  in: the last runner done (0 to start a day); out: the next.
 * @param done    set when the day is complete.
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO; on failure nothing of the step is
 *         written and *cursor is unchanged, so the step can be retried.
 */
int store_rollup_step(struct store *st, int64_t day, int64_t *cursor, uint32_t max_samples,
                      bool *done);

/** Rolls up all of @p day, in steps (tests and tools). */
int store_rollup_day(struct store *st, int64_t day);

/** Writes one rollup row as given (benchmarks and tests that build a history
 *  without raw samples); replaces an existing row. Runs in the caller's
 *  transaction when one is open (store_begin()), else in its own. */
int store_rollup_put(struct store *st, int64_t day, int64_t runner_id, const struct rollup_day *d);

/** Records @p day as done in rollup_days (with store_rollup_put()); in the
 *  caller's transaction when one is open. */
int store_rollup_mark_done(struct store *st, int64_t day);

/**
 * Where store_rollup_sum() adds the rollup of @p runner_id on @p day: a sum
 * owned by the caller, or NULL to skip that row.
 */
typedef struct rollup_day *(*store_rollup_sink_cb)(int64_t runner_id, int64_t day, void *data);

/**
 * Adds every stored rollup of the days [@p from_day, @p to_day) into the
 * sums @p cb returns, in (day, runner id) order: one pass, no allocation.
 * @return 0, RW_EIO (a row that does not decode), RW_EBUSY.
 */
int store_rollup_sum(struct store *st, int64_t from_day, int64_t to_day, store_rollup_sink_cb cb,
                     void *data);

/** How many of the days [@p from_day, @p to_day) are in rollup_days. */
int store_rollup_days_done(struct store *st, int64_t from_day, int64_t to_day, int64_t *count);

/* ---- reports: many runners' history (store_report.c) ----------------------
 *
 * A reader keeps the statements prepared for reading runner after runner:
 * the same rows as store_intervals() and store_maintenance_list(), at the
 * cost of an index seek each, into buffers the caller reuses.
 */

struct store_reader;

/**
 * Prepares a reader on @p st (which must outlive it). Free with
 * store_reader_free(). @return 0, RW_ENOMEM, RW_EIO.
 */
int store_reader_new(struct store *st, struct store_reader **out);

/** Frees @p r. Accepts NULL. */
void store_reader_free(struct store_reader *r);

/**
 * store_intervals() of @p runner_id for [@p from_ms, @p to_ms) into *@p buf
 * (of *@p cap elements, grown with realloc as needed; the caller frees it).
 * @param n  receives the number of intervals.
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_reader_intervals(struct store_reader *r, int64_t runner_id, int64_t from_ms,
                           int64_t to_ms, struct rw_interval **buf, size_t *cap, size_t *n);

/**
 * The maintenance windows of @p runner_id that overlap [@p from_ms, @p to_ms)
 * and were not cancelled (store_maintenance_cancelled()), by start then id,
 * as the accounting reads them, into *@p buf as above.
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_reader_maintenance(struct store_reader *r, int64_t runner_id, int64_t from_ms,
                             int64_t to_ms, struct rw_maintenance **buf, size_t *cap, size_t *n);

/* ---- reports: the monitor's own record (store_report.c) ------------------- */

/** One row of blind_periods. */
struct store_blind {
	int64_t id;
	int64_t start_ms;
	int64_t end_ms;
	char cause[16];     /* store_blind_cause_name() */
	int64_t vantage_id; /* the vantage that was blind */
};

/**
 * Lists the blind periods that overlap [@p from_ms, @p to_ms), unclipped,
 * ordered by start then id. @p out is malloc'd (NULL when *n is 0); free it
 * with free().
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_blind_list(struct store *st, int64_t from_ms, int64_t to_ms, struct store_blind **out,
                     size_t *n);

/** One daemon run: from its start to its last recorded tick. */
struct store_run {
	int64_t id;
	int64_t started_ms;
	int64_t last_tick_ms;
	int64_t vantage_id;
};

/**
 * Lists the runs that overlap [@p from_ms, @p to_ms) (started before to_ms,
 * last tick after from_ms), ordered by start. @p out is malloc'd (NULL when
 * *n is 0); free it with free().
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_run_list(struct store *st, int64_t from_ms, int64_t to_ms, struct store_run **out,
                   size_t *n);

/**
 * Reads the policy in force at @p t_ms: the policy_versions row with the
 * latest effective_ms before @p t_ms (the highest id among equals). Free
 * @p out with store_policy_version_deinit().
 * @return 0, RW_ENOENT (none took effect before t_ms), RW_ENOMEM, RW_EBUSY,
 *         RW_EIO.
 */
int store_policy_at(struct store *st, int64_t t_ms, struct store_policy_version *out);

/* ---- events (store_events.c) -------------------------------------------
 *
 * The outbox: one row per event, written in the same transaction as the
 * change it records (registration, approval and retirement here in
 * store_registry.c; flags and incident openings by the writer in the batch
 * of the flag or interval; acknowledge and mitigate in store_incident.c;
 * eligibility and maintenance start/end as STORE_REC_EVENT records the
 * daemon pushes right after the change that caused them). Ids strictly
 * increase. Kinds: "eligible", "ineligible" (data: reason), "registered",
 * "approved", "retired", "flagged", "unflagged" (data: uptime, threshold),
 * "maintenance_start", "maintenance_end", "incident_open" (data:
 * incident_id), "incident_voided" (data: incident_id, state: what the time
 * became; written by the writer in the batch whose change voids the
 * incident), "incident_acknowledged", "incident_mitigated"; for people
 * (monitor/notify): "down" (data: class, http_status, incident_id; at: the
 * start of the DOWN interval) and "up" (data: down_since, down_ms), written
 * by the writer with the interval and alternating per runner (see
 * store.c), and "pool_below_min", "pool_restored" (no runner; data: target,
 * available, min_runners), pushed by the daemon right after the change that
 * caused them.
 */

enum store_event_kind {
	STORE_EV_ELIGIBLE = 1,
	STORE_EV_INELIGIBLE = 2,
	STORE_EV_MAINT_START = 3,
	STORE_EV_MAINT_END = 4,
	STORE_EV_POOL_BELOW = 5,    /* "pool_below_min" (data owned by the record) */
	STORE_EV_POOL_RESTORED = 6, /* "pool_restored" (likewise) */
};

/** Why a runner is not eligible (fleet_exclusion()'s codes). */
enum store_reason {
	STORE_REASON_NONE = 0,
	STORE_REASON_PENDING = 1,
	STORE_REASON_MAINTENANCE = 2,
	STORE_REASON_DOWN = 3,
	STORE_REASON_UNKNOWN = 4,
	STORE_REASON_FLAGGED = 5,
	STORE_REASON_PROBATION = 6,
	STORE_REASON_RETIRED = 7,
	STORE_REASON_BELOW_MIN_ONLINE = 8, /* a GitHub pool: too few members online */
	STORE_REASON_NO_PICKUP = 9,        /* a GitHub pool: a job waited past pickup_within_s */
};

/** "pending", "maintenance", ... ("" for STORE_REASON_NONE); and back (0 when unknown). */
const char *store_reason_name(int reason);
int store_reason_code(const char *name);

struct store_event {
	int64_t id;
	int64_t at_ms;
	char kind[32];
	int64_t runner_id; /* 0 when none */
	char *runner_name; /* NULL when none */
	char *data;        /* a JSON object, owned */
};

/**
 * Adds an event inside the caller's transaction (or alone).
 * @param data  a JSON object as text, or NULL for {}.
 */
int store_event_add(struct store *st, int64_t at_ms, const char *kind, int64_t runner_id,
                    const char *data);

/**
 * Reads at most @p limit events with id above @p after_id, by id; with
 * @p kinds (a NULL-ended list; NULL: all), only those kinds.
 * @param out  malloc'd (NULL when *n is 0); free with store_events_free().
 */
int store_events_after(struct store *st, int64_t after_id, size_t limit, const char *const *kinds,
                       struct store_event **out, size_t *n);

/** The highest event id, 0 when there is none. */
int store_event_max_id(struct store *st, int64_t *id);

void store_events_free(struct store_event *v, size_t n);

/** A runner's last announced eligibility: 0 eligible, else enum store_reason. */
struct store_eligibility {
	int64_t runner_id;
	int code;
};

/**
 * Reads every runner's last "eligible"/"ineligible" event, so that a
 * restarted daemon announces only real changes.
 * @param out  malloc'd (NULL when *n is 0); the caller frees it.
 */
int store_eligibility_last(struct store *st, struct store_eligibility **out, size_t *n);

/**
 * Calls @p cb for every target whose last pool event is "pool_below_min"
 * (@p below true) or "pool_restored", so that a restarted daemon announces
 * only changes.
 */
int store_pool_last(struct store *st, void (*cb)(const char *target, bool below, void *data),
                    void *data);

/** A webhook's last delivered event id. @return 0, RW_ENOENT (a webhook never seen). */
int store_webhook_cursor(struct store *st, const char *url, int64_t *last_id);

/** Records that the webhook at @p url has delivered up to @p last_id. */
int store_webhook_cursor_set(struct store *st, const char *url, int64_t last_id, int64_t now_ms);

/* ---- GitHub: pool members, workflow jobs, deliveries (store_github.c) ----
 *
 * Members of a pool are runners (struct store_runner, kind "github",
 * pool_id set) that the daemon creates when a self-hosted runner carrying
 * all of the pool's labels first appears in the pool's source, and retires
 * after it has been gone for the policy's retention. A member is named
 * POOL/NAME, NAME being GitHub's runner name with every byte outside
 * [A-Za-z0-9._-] replaced by '_' (at most STORE_GITHUB_NAME_MAX of them);
 * when that name is taken, POOL/NAME~GITHUB_ID (then ~GITHUB_ID.2, .3, ...).
 *
 * Workflow jobs come from the workflow_job webhook, which GitHub may deliver
 * twice or out of order; store_github_job_upsert() merges each delivery into
 * the stored job so that a job never moves backwards (see there).
 */

/** Bytes of GitHub's runner name kept in a member's runner name. */
#define STORE_GITHUB_NAME_MAX 100

/**
 * Finds or creates the live (not retired) member of pool @p pool_id for
 * GitHub runner @p github_id, in one transaction. A new member is approved,
 * has the pool's operator and targets, is UNKNOWN from @p now_ms (as
 * store_runner_insert()) and has a "registered" event; an existing one keeps
 * its name and gets @p github_name if GitHub's name changed (and a new
 * generation). Idempotent: asking again for the same runner changes nothing.
 * @param github_name  GitHub's runner name, non-empty; copied.
 * @param member_id    receives the member's runner id.
 * @param created      receives whether it was created now; may be NULL.
 * @return 0, RW_ENOENT (no runner @p pool_id), RW_EINVAL (it is not a GitHub
 *         pool, or @p github_name is empty), RW_ECONFLICT (the pool is
 *         retired), RW_EEXIST (no free name), RW_EBUSY, RW_EIO.
 */
int store_github_member_upsert(struct store *st, int64_t pool_id, int64_t github_id,
                               const char *github_name, int64_t now_ms, int64_t *member_id,
                               bool *created);

/**
 * Records that member @p member_id has been missing from GitHub's list since
 * @p gone_ms, or with 0 that it is listed again. A member already gone keeps
 * its first gone_ms (the call is then a success that writes nothing). A
 * change bumps the member's generation.
 * @return 0, RW_ENOENT (no such runner), RW_EINVAL (not a member, or
 *         @p gone_ms negative), RW_EBUSY, RW_EIO.
 */
int store_github_member_set_gone(struct store *st, int64_t member_id, int64_t gone_ms);

/**
 * Takes the delivery @p guid (X-GitHub-Delivery) received at @p now_ms: inserts
 * it, or finds it already taken.
 * @param dup  receives true when it had been taken before (nothing written).
 * @return 0, RW_EINVAL (empty guid), RW_EBUSY, RW_EIO.
 */
int store_github_delivery_seen(struct store *st, const char *guid, int64_t now_ms, bool *dup);

/** Deletes the deliveries received before @p before_ms (GitHub redelivers for
 *  at most a few days; seven are kept). @param deleted may be NULL. */
int store_github_delivery_purge(struct store *st, int64_t before_ms, int *deleted);

/** The status of a workflow job, in the order a job goes through them. */
enum store_github_job_status {
	STORE_GHJOB_WAITING = 1,     /* waiting for an approval or protection rule */
	STORE_GHJOB_QUEUED = 2,      /* waiting for a runner */
	STORE_GHJOB_IN_PROGRESS = 3, /* a runner took it */
	STORE_GHJOB_COMPLETED = 4,   /* over, with a conclusion */
};

/** "waiting", "queued", "in_progress", "completed"; NULL for anything else. */
const char *store_github_job_status_name(int status);

/** The status named @p name (GitHub's workflow_job "status"), or 0. */
int store_github_job_status_code(const char *name);

/**
 * One workflow job. As an argument its strings are borrowed; as a result
 * (store_github_job_upsert()'s @p merged, store_github_jobs()) they are owned
 * and freed by store_github_job_deinit(). Times are UTC ms, 0 when unknown.
 */
struct store_github_job {
	int64_t id;     /* GitHub's workflow job id, > 0 */
	int64_t run_id; /* its workflow run; 0 when unknown */
	char *repo;     /* "OWNER/REPO"; may be NULL */
	char *name;     /* the job's name; may be NULL */
	char **labels;  /* runs-on labels; stored lower-cased, sorted, distinct */
	size_t n_labels;
	int status;         /* enum store_github_job_status */
	char *conclusion;   /* "success", "cancelled", ...; NULL until completed */
	int64_t queued_ms;  /* created_at: when it was queued */
	int64_t started_ms; /* started_at once a runner took it (in_progress, completed) */
	int64_t completed_ms;
	char *runner_name;  /* the runner that took it; may be NULL */
	int64_t updated_ms; /* when this delivery (or the latest merged one) arrived */
};

/**
 * Merges the delivery @p j into the stored job of the same id (or inserts
 * it), in one transaction, so that no order or repetition of deliveries
 * moves a job backwards:
 *   - the status advances only (waiting < queued < in_progress < completed);
 *     a delivery of an earlier status adds only what the job lacks;
 *   - queued_ms, started_ms and completed_ms, once set, change only to an
 *     earlier non-zero value (GitHub's times are authoritative); started_ms
 *     and completed_ms of a waiting or queued delivery are ignored (GitHub
 *     fills started_at with the queue time there);
 *   - conclusion and runner_name come with the furthest status; run_id, repo,
 *     name and labels are taken when the job lacks them;
 *   - updated_ms is the latest seen.
 * @param merged  receives the job as stored afterwards (free it with
 *                store_github_job_deinit()); may be NULL.
 * @return 0, RW_EINVAL (id <= 0, no such status), RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_github_job_upsert(struct store *st, const struct store_github_job *j,
                            struct store_github_job *merged);

/**
 * Reads the jobs queued in [@p from_ms, @p to_ms) (by queued_ms; a job
 * without a queue time is in no period), ordered by queued_ms then id, for
 * the report.
 * @param out  malloc'd (NULL when *n is 0); free with store_github_jobs_free().
 * @return 0, RW_ENOMEM, RW_EBUSY, RW_EIO.
 */
int store_github_jobs(struct store *st, int64_t from_ms, int64_t to_ms,
                      struct store_github_job **out, size_t *n);

/** Frees what a store_github_job read from the store owns. Accepts NULL. */
void store_github_job_deinit(struct store_github_job *j);

/** Frees an array from store_github_jobs(). Accepts NULL. */
void store_github_jobs_free(struct store_github_job *v, size_t n);

#endif
