/* SPDX-License-Identifier: MIT */
/*
 * rwtest.h — the tests' one harness: temporary folders and files, programs
 * run to completion (the CLI, runwarden-report, Chromium, promtool) with
 * their exit status, stdout and stderr, the real `runwarden serve` on a
 * temporary database, rw-demo-runner fixture runners, the programs a test
 * needs from the system, monotonic time, and HTTP requests with libcurl.
 *
 * Invariants:
 * - Every child is started and stopped by its PID (never by name), always
 *   reaped, and dies with the test process (PR_SET_PDEATHSIG); a child that
 *   outlives its deadline is killed with its whole process group.
 * - Children run with $RUNWARDEN_DB unset, stdin from /dev/null unless told
 *   otherwise, and the signal mask and SIGPIPE disposition of a fresh
 *   process, so that only what a test passes reaches them.
 * - Failures end the test with cmocka's fail_msg(), so callers check
 *   results, not errors. A child killed by a signal (a crash, a sanitizer's
 *   abort) or one that cannot be started fails the test: no test expects one.
 * - A program the tests need and do not find fails the test with the
 *   Debian package to install: nothing is skipped.
 *
 * The binaries' paths come from the build: RW_BIN (runwarden) and
 * RW_DEMO_RUNNER (rw-demo-runner) are compiled into this library; tests that
 * run runwarden-report name RW_REPORT_BIN themselves.
 */
#ifndef RW_RWTEST_H
#define RW_RWTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- time ---------------------------------------------------------------- */

/** Monotonic milliseconds. */
int64_t rwt_mono_ms(void);

/** Sleeps @p ms, through EINTR. */
void rwt_sleep_ms(int64_t ms);

/* ---- temporary folders and files ----------------------------------------- */

/**
 * Creates a fresh folder $TMPDIR/rw-@p tag-XXXXXX (/tmp without $TMPDIR)
 * and writes its path into @p dir (@p len bytes, at least 64).
 */
void rwt_tmpdir(char *dir, size_t len, const char *tag);

/**
 * Removes @p dir and everything in it. When @p failed and $RW_KEEP_TMP is
 * set, keeps it for a post-mortem and says where on stderr.
 */
void rwt_tmpdir_remove(const char *dir, bool failed);

/** Writes @p text to @p path, replacing it. */
void rwt_write_file(const char *path, const char *text);

/**
 * The whole file at @p path, NUL-terminated and malloc'd (the caller frees
 * it), its length in *len when @p len is not NULL; NULL when it cannot be
 * read.
 */
char *rwt_slurp(const char *path, size_t *len);

/** Prints "---- LABEL (PATH)" and the file at @p path to stderr, if any. */
void rwt_dump_file(const char *label, const char *path);

/* ---- the database a test runs on (rwtdb.c) -------------------------------
 *
 * The store's tests, and the integration tests that pass --db, run on SQLite
 * files, or on PostgreSQL when $RW_TEST_PG_URI (or the file named by
 * $RW_TEST_PG_URI_FILE) holds a libpq URI with the placeholder {db}: the
 * ctest fixture `postgres` starts a throwaway server (tests/lib/pg_server.sh)
 * and runs the *_pg twins of those tests on it.
 */

/** Whether the tests run on PostgreSQL. */
bool rwt_pg(void);

/**
 * A fresh database for a test: @p dir/@p name (not created), or on
 * PostgreSQL a new empty database on the test server, its URI into @p out.
 */
void rwt_db(char *out, size_t len, const char *dir, const char *name);

/** Drops a database rwt_db() created on PostgreSQL; nothing for a file. */
void rwt_db_drop(const char *db);

/** Whether @p db is a PostgreSQL URI. */
bool rwt_db_is_pg(const char *db);

/** The first column of the first row of @p sql on @p db as an integer (-999:
 *  no row; a NULL reads 0), through a connection of the test's own. */
int64_t rwt_sql_int(const char *db, const char *sql);

/** The same as text into @p out ("" for no row or NULL). */
void rwt_sql_text(const char *db, const char *sql, char *out, size_t outlen);

/** The integer of the one row of @p sql with parameters ?1 = @p a and ?2 =
 *  @p b (a NULL reads 0); no row fails the test. */
int64_t rwt_sql_int_args(const char *db, const char *sql, int64_t a, int64_t b);

/** Fails the test unless SQLite's integrity_check answers "ok" (on
 *  PostgreSQL, whose server keeps its pages whole: the schema is there). */
void rwt_sql_check_integrity(const char *db);

/** On PostgreSQL: a number that any write to any table of @p db changes
 *  (which transactions wrote its rows, and how many there are); what
 *  stat() of the file is on SQLite. */
int64_t rwt_sql_write_mark(const char *db);

/** Runs @p sql (several statements allowed) on @p db, creating an SQLite
 *  file that does not exist. @return 0, or -1 when it failed. */
int rwt_sql_exec(const char *db, const char *sql);

/* ---- programs run to completion ------------------------------------------ */

/** The default bound of rwt_run(): generous, since tests may run under the
 *  sanitizers on a loaded machine. */
#define RWT_RUN_MS 120000

/** How rwt_run() runs a program; NULL or {0}: the defaults below. */
struct rwt_opts {
	const char *dir;    /* working directory (NULL: the test's own) */
	const char *in;     /* file read as stdin (NULL: /dev/null) */
	const char *log;    /* stderr is also appended to this file (NULL: not) */
	int64_t timeout_ms; /* 0: RWT_RUN_MS; past it the test fails */
};

/** What a program run to completion did. */
struct rwt_res {
	int code;       /* exit status */
	char *out;      /* stdout, NUL-terminated, malloc'd */
	size_t out_len; /* bytes in out (it may hold NULs) */
	char *err;      /* stderr, likewise */
	size_t err_len;
};

/**
 * Runs argv[0] (a path; @p argv NULL-terminated) to completion and stores
 * its exit status, stdout and stderr in @p r, which must be zeroed or hold
 * an earlier result (freed here). Fails the test when the program cannot be
 * started, dies of a signal, or outlives its timeout (then it is killed with
 * its process group, in which it runs). Free with rwt_res_free().
 */
void rwt_run(struct rwt_res *r, const struct rwt_opts *o, const char *const argv[]);

/** rwt_run() of @p bin with the arguments that follow, up to a NULL. */
void rwt_runl(struct rwt_res *r, const struct rwt_opts *o, const char *bin, ...)
        __attribute__((sentinel));

/** rwt_run() of the program and arguments given (the NULL is added). */
#define RWT_RUN(r, o, ...)                                                                         \
	do {                                                                                       \
		const char *const rwt_argv_[] = {__VA_ARGS__, NULL};                               \
		rwt_run((r), (o), rwt_argv_);                                                      \
	} while (0)

/** Frees what @p r holds and leaves it zeroed; NULL and {0} are fine. */
void rwt_res_free(struct rwt_res *r);

/**
 * Runs `runwarden ARGS...` (RW_BIN; the arguments end with NULL) to
 * completion: its stdout is copied into @p out (@p outlen bytes with the
 * NUL; @p out may be NULL), its stderr appended to @p log (NULL: dropped).
 * Returns the exit status; fails the test as rwt_run() does.
 */
int rwt_cli(const char *log, char *out, size_t outlen, ...) __attribute__((sentinel));

/* ---- programs the tests need from the system ------------------------------ */

/**
 * Finds a program: the path in $@p env when that is set (it must be
 * executable), else the first of @p names (NULL-terminated) on $PATH. When
 * there is none, fails the test saying that @p what needs it and which
 * Debian @p package to install (contrib/check.sh installs them all).
 */
void rwt_require_program(char *out, size_t len, const char *env, const char *const names[],
                         const char *package, const char *what);

/** Chromium ($RW_CHROMIUM, chromium, chromium-browser, google-chrome), needed
 *  by @p what; fails the test naming Debian's chromium package without it. */
void rwt_chromium(char *out, size_t len, const char *what);

/** promtool, needed by @p what; fails the test naming Debian's prometheus
 *  package without it. */
void rwt_promtool(char *out, size_t len, const char *what);

/* ---- children that keep running ------------------------------------------ */

/**
 * Starts argv[0] with stdin from /dev/null, stdout into a pipe (*out_fd),
 * stderr appended to @p log_path; the child dies with the test.
 */
pid_t rwt_spawn(const char *const argv[], const char *log_path, int *out_fd);

/** Waits for @p pid until the monotonic @p deadline: 0 with *status, or -1
 *  (still running). */
int rwt_reap_by(pid_t pid, int64_t deadline, int *status);

/** Sends @p sig and reaps within @p timeout_ms, else SIGKILLs. The wait
 *  status, or -1 when it had to be killed. Clears *pid; 0 when *pid is 0. */
int rwt_stop_proc(pid_t *pid, int sig, int64_t timeout_ms);

/** Reads one line before the monotonic @p deadline. 0, or -1. */
int rwt_read_line(int fd, char *buf, size_t len, int64_t deadline);

/* ---- the daemon ------------------------------------------------------------ */

/** How long `runwarden serve` may take to say where it listens. */
#define RWT_START_MS 30000

/** A running `runwarden serve`; zeroed when none ever ran. */
struct rwt_daemon {
	pid_t pid;     /* 0: not running */
	int out;       /* its stdout after the "listening on" line (<= 0: none) */
	char url[128]; /* http://127.0.0.1:PORT (https:// with TLS), kept after it stops */
	char log[320]; /* its stderr */
};

/**
 * Starts `runwarden serve --db @p db --listen 127.0.0.1:0` followed by
 * @p extra (NULL-terminated; NULL: nothing), stderr appended to @p log,
 * and reads the port from its "listening on http://ADDR:PORT" line (https://
 * with TLS) into d->url. On failure prints the daemon's log and fails the test.
 */
void rwt_daemon_start(struct rwt_daemon *d, const char *log, const char *db,
                      const char *const extra[]);

/**
 * SIGTERM; requires the daemon to exit 0 within @p timeout_ms (else it is
 * killed and the test fails, saying which).
 */
void rwt_daemon_stop(struct rwt_daemon *d, int64_t timeout_ms);

/**
 * Sends @p sig and reaps within @p timeout_ms, else SIGKILLs: for crash
 * tests and teardowns. Returns the wait status, or -1 when it had to be
 * killed; 0 when it was not running. Closes its stdout.
 */
int rwt_daemon_kill(struct rwt_daemon *d, int sig, int64_t timeout_ms);

/* ---- fixture runners (rw-demo-runner) -------------------------------------- */

#define RWT_MAX_FIXTURES 8

/** An rw-demo-runner process with one listener per fixture. */
struct rwt_fixtures {
	pid_t pid;                       /* 0: not running */
	int out;                         /* its stdout (<= 0: none) */
	size_t n;                        /* listeners */
	char addr[RWT_MAX_FIXTURES][64]; /* "127.0.0.1:PORT" of each */
};

/**
 * Starts rw-demo-runner with listener i on 127.0.0.1:0 in @p modes[i] (ok,
 * fail, hang, refuse, ...; see contrib/demo_runner.c), stderr appended to
 * @p log, and reads the listeners' addresses.
 */
void rwt_fixtures_start(struct rwt_fixtures *fx, const char *log, const char *const modes[],
                        size_t n);

/** SIGTERM and reap (SIGKILL after 5 s); nothing when not running. */
void rwt_fixtures_stop(struct rwt_fixtures *fx);

/** Switches listener @p i to @p mode with its control endpoint. */
void rwt_fixture_mode(const struct rwt_fixtures *fx, size_t i, const char *mode);

/** "http://ADDR/health" of listener @p i. */
void rwt_fixture_url(const struct rwt_fixtures *fx, size_t i, char *out, size_t len);

/* ---- HTTP ------------------------------------------------------------------- */

/** An HTTP answer: status (-1: none, see error), body (NUL-terminated,
 *  never NULL), Content-Type, Retry-After, WWW-Authenticate and Allow (""
 *  when absent). */
struct rwt_resp {
	long status;
	char *body;
	size_t len;
	char ctype[96];
	char retry_after[16];
	char www_auth[96];
	char allow[64];  /* Allow (405 answers) */
	char error[256]; /* why there is no answer ("" when there is one) */
};

/**
 * Sends @p method @p url with @p token as a Bearer token (NULL: none) and
 * @p body (NULL: none; @p body_len bytes, or strlen when (size_t)-1), one
 * connection per request (so that a daemon's shutdown never waits on a
 * test), within 10 s. Free with rwt_resp_free().
 */
void rwt_http(const char *method, const char *url, const char *token, const char *body,
              size_t body_len, struct rwt_resp *out);

void rwt_resp_free(struct rwt_resp *r);

/* ---- the daemon's answers ---------------------------------------------------
 *
 * What the tests of several daemons on one database (test_vantage,
 * test_leader, test_quorum) ask each daemon. Each request carries @p token
 * as a Bearer token.
 */

/** How long the rwt_wait_*() helpers wait: generous, for a loaded machine. */
#define RWT_WAIT_MS 30000

struct cJSON;

/** GET @p path (e.g. "/v1/route?target=T") of @p d, parsed; fails the test
 *  unless the answer is HTTP 200 with JSON. Free with cJSON_Delete(). */
struct cJSON *rwt_get_json(const struct rwt_daemon *d, const char *token, const char *path);

/** runwarden_leader of the /metrics of @p d: 1, 0, or -1 when the daemon
 *  does not answer; a /metrics without it fails the test. */
int rwt_leader_gauge(const struct rwt_daemon *d, const char *token);

/**
 * The "vantages" of runner @p id's availability answer of @p d, as
 * "name=state,name=state" in the answer's order, into @p out; each entry's
 * "since" must be an RFC 3339 time with milliseconds.
 */
void rwt_vantages_of(const struct rwt_daemon *d, const char *token, int64_t id, char *out,
                     size_t len);

/** Waits up to RWT_WAIT_MS until rwt_vantages_of() is @p want; fails with
 *  the last answer. */
void rwt_wait_vantages(const struct rwt_daemon *d, const char *token, int64_t id, const char *want);

/** Where the route answer of @p d for @p target puts the runner named
 *  @p name: "eligible", the reason it is excluded ("down", ...), or
 *  "absent". */
void rwt_route_place(const struct rwt_daemon *d, const char *token, const char *target,
                     const char *name, char *out, size_t len);

/** Waits up to RWT_WAIT_MS until rwt_route_place() is @p want. */
void rwt_wait_route(const struct rwt_daemon *d, const char *token, const char *target,
                    const char *name, const char *want);

/** Waits up to RWT_WAIT_MS until the integer @p sql answers on @p db (with
 *  ?1 = @p a, as rwt_sql_int_args()) is @p want: a daemon's writer commits
 *  what it already answers from memory. */
void rwt_wait_sql(const char *db, const char *sql, int64_t a, int64_t want);

#endif
