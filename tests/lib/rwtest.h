/* SPDX-License-Identifier: MIT */
/*
 * rwtest.h — helpers for tests that run the real binaries: processes,
 * monotonic time, and HTTP requests. Failures end the test with cmocka's
 * fail_msg(), so callers check results, not errors.
 */
#ifndef RW_RWTEST_H
#define RW_RWTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** Monotonic milliseconds. */
int64_t rwt_mono_ms(void);

/** Sleeps @p ms, through EINTR. */
void rwt_sleep_ms(int64_t ms);

/**
 * Starts argv[0] with stdin from /dev/null, stdout into a pipe (*out_fd),
 * stderr appended to @p log_path; the child dies with the test and inherits
 * its environment.
 */
pid_t rwt_spawn(const char *const argv[], const char *log_path, int *out_fd);

/** Waits for @p pid until the monotonic @p deadline: 0 with *status, or -1
 *  (still running). */
int rwt_reap_by(pid_t pid, int64_t deadline, int *status);

/** Sends @p sig and reaps within @p timeout_ms, else SIGKILLs. The wait
 *  status, or -1 when it had to be killed. Clears *pid. */
int rwt_stop_proc(pid_t *pid, int sig, int64_t timeout_ms);

/** Reads one line before the monotonic @p deadline. 0, or -1. */
int rwt_read_line(int fd, char *buf, size_t len, int64_t deadline);

/** An HTTP answer: status (-1: none), body (NUL-terminated, never NULL),
 *  Content-Type and Retry-After ("" when absent). */
struct rwt_resp {
	long status;
	char *body;
	size_t len;
	char ctype[96];
	char retry_after[16];
	char www_auth[96];
};

/**
 * Sends @p method @p url with @p token as a Bearer token (NULL: none) and
 * @p body (NULL: none; @p body_len bytes, or strlen when (size_t)-1), one
 * connection per request. Free with rwt_resp_free().
 */
void rwt_http(const char *method, const char *url, const char *token, const char *body,
              size_t body_len, struct rwt_resp *out);

void rwt_resp_free(struct rwt_resp *r);

#endif
