/* SPDX-License-Identifier: MIT */
/*
 * fakegh.h — tests/lib/fake_github.py, the fake GitHub REST API, from a C
 * test: started with rwt_spawn() (python3, found on PATH or in $RW_PYTHON3)
 * on port 0, its address read from its one "listening on URL" line, driven
 * through its /_control/ API with libcurl (rwt_http), stopped by its PID.
 *
 * A test that uses it runs a program, so it is an integration test: the
 * configure guard (tests/CMakeLists.txt) knows the rwt_fakegh_ prefix.
 * Failures end the test (fail_msg), as everywhere in the harness.
 */
#ifndef RW_FAKEGH_H
#define RW_FAKEGH_H

#include <cjson/cJSON.h>
#include <sys/types.h>

struct rwt_fakegh {
	pid_t pid;     /* 0: not running */
	int out;       /* its stdout */
	char url[128]; /* http://127.0.0.1:PORT */
	char log[320]; /* its stderr */
};

/**
 * Starts the fake with @p config_json (its --config file, written into
 * @p dir; NULL: none), stderr appended to DIR/fake_github.log.
 */
void rwt_fakegh_start(struct rwt_fakegh *g, const char *dir, const char *config_json);

/**
 * Calls the control API: @p method /_control/@p path with @p json (NULL:
 * no body). Fails the test unless the answer is 200; returns the answer
 * parsed (the caller frees it with cJSON_Delete).
 */
cJSON *rwt_fakegh_call(const struct rwt_fakegh *g, const char *method, const char *path,
                       const char *json);

/** rwt_fakegh_call() for a POST whose answer is not needed. */
void rwt_fakegh_post(const struct rwt_fakegh *g, const char *path, const char *json);

/**
 * A number in GET /_control/stats: @p path_key NULL for the top level, else
 * the key of "paths" (e.g. "/orgs/acme/actions/runners"); @p field the
 * member ("requests", "not_modified", "max_in_flight", ...). Missing: 0.
 */
double rwt_fakegh_stat(const struct rwt_fakegh *g, const char *path_key, const char *field);

/** SIGTERM; the fake must exit 0 within 5 s (else the test fails). */
void rwt_fakegh_stop(struct rwt_fakegh *g);

#endif
