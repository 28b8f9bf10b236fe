/* SPDX-License-Identifier: MIT */
/* rwtest.c — see rwtest.h. */
#include "rwtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t rwt_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rwt_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

pid_t rwt_spawn(const char *const argv[], const char *log_path, int *out_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		fail_msg("pipe2: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int lf = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigset_t none;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (lf < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(p[1], 1) < 0 || dup2(lf, 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	*out_fd = p[0];
	return pid;
}

int rwt_reap_by(pid_t pid, int64_t deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			fail_msg("waitpid(%d): %s", (int)pid, strerror(errno));
		if (rwt_mono_ms() >= deadline)
			return -1;
		rwt_sleep_ms(10);
	}
}

int rwt_stop_proc(pid_t *pid, int sig, int64_t timeout_ms)
{
	int status = 0;

	if (*pid <= 0)
		return 0;
	kill(*pid, sig);
	if (rwt_reap_by(*pid, rwt_mono_ms() + timeout_ms, &status) == 0) {
		*pid = 0;
		return status;
	}
	kill(*pid, SIGKILL);
	while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
		;
	*pid = 0;
	return -1;
}

int rwt_read_line(int fd, char *buf, size_t len, int64_t deadline)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - rwt_mono_ms();
		ssize_t k;
		char c;
		int r;

		if (left <= 0)
			return -1;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (c == '\n') {
			buf[n] = '\0';
			return 0;
		}
		buf[n++] = c;
	}
	return -1;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
	struct rwt_resp *r = userp;
	size_t n = size * nmemb;
	char *nd = realloc(r->body, r->len + n + 1);

	if (!nd)
		return 0;
	memcpy(nd + r->len, data, n);
	r->body = nd;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	if (n > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
		const char *v = line + nl + 1;
		size_t vl = n - nl - 1;
		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		snprintf(out, outlen, "%.*s", (int)vl, v);
	}
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct rwt_resp *r = userp;
	size_t n = size * nmemb;

	header_value(data, n, "Content-Type", r->ctype, sizeof(r->ctype));
	header_value(data, n, "Retry-After", r->retry_after, sizeof(r->retry_after));
	header_value(data, n, "WWW-Authenticate", r->www_auth, sizeof(r->www_auth));
	return n;
}

void rwt_http(const char *method, const char *url, const char *token, const char *body,
              size_t body_len, struct rwt_resp *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char auth[600];

	memset(out, 0, sizeof(*out));
	out->status = -1;
	out->body = calloc(1, 1);
	if (!h || !out->body)
		fail_msg("out of memory");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(body_len == (size_t)-1 ? strlen(body) : body_len));
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
}

void rwt_resp_free(struct rwt_resp *r)
{
	free(r->body);
	r->body = NULL;
}
