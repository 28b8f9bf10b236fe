/* SPDX-License-Identifier: MIT */
/* rwtest.c — the tests' harness; see rwtest.h. */
#include "rwtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

/* ---- time ---------------------------------------------------------------- */

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

/* ---- temporary folders and files ----------------------------------------- */

void rwt_tmpdir(char *dir, size_t len, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, len, "%s/rw-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);

	if (n < 0 || (size_t)n >= len)
		fail_msg("rwt_tmpdir: %zu bytes are too few for the folder of %s", len, tag);
	if (!mkdtemp(dir))
		fail_msg("mkdtemp(%s): %s", dir, strerror(errno));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rwt_tmpdir_remove(const char *dir, bool failed)
{
	if (!dir || !*dir)
		return;
	if (failed && getenv("RW_KEEP_TMP")) {
		fprintf(stderr, "kept %s\n", dir);
		return;
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void rwt_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		fail_msg("%s: %s", path, strerror(errno));
	if (fputs(text, fp) < 0 || fclose(fp) != 0)
		fail_msg("%s: write failed", path);
}

/* Reads everything from @p fd (a file or a pipe) into a malloc'd,
 * NUL-terminated buffer. */
static char *read_all(int fd, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		fail_msg("out of memory");
	for (;;) {
		ssize_t k;
		if (cap - n < 4096 + 1) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				fail_msg("out of memory");
			buf = nb;
		}
		k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			fail_msg("read: %s", strerror(errno));
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *rwt_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;

	if (fd < 0)
		return NULL;
	text = read_all(fd, len);
	close(fd);
	return text;
}

void rwt_dump_file(const char *label, const char *path)
{
	char *text = rwt_slurp(path, NULL);

	if (!text)
		return;
	fprintf(stderr, "---- %s (%s)\n%s", label, path, text);
	if (*text && text[strlen(text) - 1] != '\n')
		fputc('\n', stderr);
	free(text);
}

static void append_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t k = write(fd, data, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			fail_msg("%s: %s", path, strerror(errno));
		data += k;
		len -= (size_t)k;
	}
	close(fd);
}

/* ---- children ------------------------------------------------------------- */

/*
 * In a child after fork(): the state of a fresh process (its own process
 * group when @p own_group, death with the parent, an empty signal mask,
 * default SIGPIPE, no $RUNWARDEN_DB), fds 0-2 from @p in, @p out, @p err,
 * then exec. A failure before or at exec writes errno into @p report (a
 * close-on-exec pipe, so the parent reads nothing when exec succeeded).
 */
static void child_exec(const char *const argv[], const char *dir, int in, int out, int err,
                       bool own_group, int report)
{
	sigset_t none;
	int e;

	if (own_group)
		setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	unsetenv("RUNWARDEN_DB");
	if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0 || (dir && chdir(dir) != 0))
		goto fail;
	execv(argv[0], (char *const *)argv);
fail:
	e = errno ? errno : EINVAL;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* After fork(): whether the child reported a failure to start (errno in *e). */
static bool child_failed(int report, int *e)
{
	ssize_t k;

	do
		k = read(report, e, sizeof(*e));
	while (k < 0 && errno == EINTR);
	close(report);
	return k == (ssize_t)sizeof(*e);
}

static void report_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		fail_msg("pipe2: %s", strerror(errno));
}

pid_t rwt_spawn(const char *const argv[], const char *log_path, int *out_fd)
{
	int p[2], rep[2], e;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		fail_msg("pipe2: %s", strerror(errno));
	report_pipe(rep);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int lf = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		child_exec(argv, NULL, nul, p[1], lf, false, rep[1]);
	}
	close(p[1]);
	close(rep[1]);
	if (child_failed(rep[0], &e)) {
		int status;
		close(p[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		fail_msg("cannot run %s (stderr to %s): %s", argv[0], log_path, strerror(e));
	}
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

/* ---- programs run to completion ------------------------------------------ */

/* An anonymous file for a child's output: read back from the start once the
 * child is gone, whatever its own children still hold open. */
static int capture_fd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		fail_msg("memfd_create: %s", strerror(errno));
	return fd;
}

static char *read_back(int fd, size_t *len)
{
	char *text;

	if (lseek(fd, 0, SEEK_SET) < 0)
		fail_msg("lseek: %s", strerror(errno));
	text = read_all(fd, len);
	close(fd);
	return text;
}

/* The command line, for messages: the arguments joined by spaces, cut. */
static const char *describe(const char *const argv[], char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && n + 1 < len; i++) {
		int k = snprintf(buf + n, len - n, "%s%s", i ? " " : "", argv[i]);
		if (k < 0)
			break;
		n += (size_t)k;
	}
	if (n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

void rwt_run(struct rwt_res *r, const struct rwt_opts *o, const char *const argv[])
{
	static const struct rwt_opts defaults;
	char cmd[400];
	int64_t timeout;
	int fo, fe, rep[2], status = 0, e;
	pid_t pid;

	if (!o)
		o = &defaults;
	timeout = o->timeout_ms > 0 ? o->timeout_ms : RWT_RUN_MS;
	rwt_res_free(r);
	fo = capture_fd("rwt-stdout");
	fe = capture_fd("rwt-stderr");
	report_pipe(rep);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open(o->in ? o->in : "/dev/null", O_RDONLY | O_CLOEXEC);
		child_exec(argv, o->dir, in, fo, fe, true, rep[1]);
	}
	setpgid(pid, pid); /* here too, so that the group exists before any kill */
	close(rep[1]);
	if (child_failed(rep[0], &e)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(fo);
		close(fe);
		fail_msg("cannot run %s%s%s: %s", describe(argv, cmd, sizeof(cmd)),
		         o->dir ? " in " : "", o->dir ? o->dir : "", strerror(e));
	}
	if (rwt_reap_by(pid, rwt_mono_ms() + timeout, &status) < 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(fo);
		close(fe);
		fail_msg("%s: did not finish within %lld ms (killed)",
		         describe(argv, cmd, sizeof(cmd)), (long long)timeout);
	}
	r->out = read_back(fo, &r->out_len);
	r->err = read_back(fe, &r->err_len);
	if (o->log)
		append_file(o->log, r->err, r->err_len);
	if (WIFSIGNALED(status))
		fail_msg("%s: died of signal %d; its stderr:\n%s", describe(argv, cmd, sizeof(cmd)),
		         WTERMSIG(status), r->err);
	r->code = WEXITSTATUS(status);
}

/* Collects the arguments after @p bin, up to a NULL, into argv. */
static void collect_args(const char **argv, const char *bin, va_list ap)
{
	size_t n = 0;

	argv[n++] = bin;
	while ((argv[n] = va_arg(ap, const char *)) != NULL)
		if (++n > MAX_ARGS)
			fail_msg("%s: more than %d arguments", bin, MAX_ARGS);
}

void rwt_runl(struct rwt_res *r, const struct rwt_opts *o, const char *bin, ...)
{
	const char *argv[MAX_ARGS + 2];
	va_list ap;

	va_start(ap, bin);
	collect_args(argv, bin, ap);
	va_end(ap);
	rwt_run(r, o, argv);
}

void rwt_res_free(struct rwt_res *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

int rwt_cli(const char *log, char *out, size_t outlen, ...)
{
	const char *argv[MAX_ARGS + 2];
	struct rwt_opts o = {.log = log};
	struct rwt_res r = {0};
	int code;
	va_list ap;

	va_start(ap, outlen);
	collect_args(argv, RW_BIN, ap);
	va_end(ap);
	rwt_run(&r, &o, argv);
	if (out && outlen)
		snprintf(out, outlen, "%s", r.out);
	code = r.code;
	rwt_res_free(&r);
	return code;
}

/* ---- programs the tests need from the system ------------------------------ */

static bool on_path(char *out, size_t len, const char *name)
{
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");
		if (n) {
			snprintf(out, len, "%.*s/%s", (int)n, p, name);
			if (access(out, X_OK) == 0)
				return true;
		}
		p += n + (p[n] == ':');
	}
	return false;
}

void rwt_require_program(char *out, size_t len, const char *env, const char *const names[],
                         const char *package, const char *what)
{
	const char *set = env ? getenv(env) : NULL;

	if (set && *set) {
		snprintf(out, len, "%s", set);
		if (access(out, X_OK) != 0)
			fail_msg("$%s is %s, which is not an executable file (%s needs it)", env,
			         set, what);
		return;
	}
	for (size_t i = 0; names[i]; i++)
		if (on_path(out, len, names[i]))
			return;
	fail_msg("%s is not installed (not on PATH), and %s needs it: apt-get install %s "
	         "(contrib/check.sh does it)%s%s%s",
	         names[0], what, package, env ? ", or set $" : "", env ? env : "",
	         env ? " to its path" : "");
}

void rwt_chromium(char *out, size_t len, const char *what)
{
	static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", NULL};

	rwt_require_program(out, len, "RW_CHROMIUM", names, "chromium", what);
}

void rwt_promtool(char *out, size_t len, const char *what)
{
	static const char *const names[] = {"promtool", NULL};

	rwt_require_program(out, len, NULL, names, "prometheus", what);
}

/* ---- the daemon ------------------------------------------------------------ */

void rwt_daemon_start(struct rwt_daemon *d, const char *log, const char *db,
                      const char *const extra[])
{
	const char *argv[MAX_ARGS + 8];
	int64_t deadline = rwt_mono_ms() + RWT_START_MS;
	size_t n = 0;
	char line[256];

	argv[n++] = RW_BIN;
	argv[n++] = "serve";
	argv[n++] = "--db";
	argv[n++] = db;
	argv[n++] = "--init"; /* a test's database may be new */
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (size_t i = 0; extra && extra[i]; i++) {
		if (n >= MAX_ARGS + 5)
			fail_msg("runwarden serve: too many arguments");
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	snprintf(d->log, sizeof(d->log), "%s", log);
	d->url[0] = '\0';
	d->pid = rwt_spawn(argv, log, &d->out);
	for (;;) {
		if (rwt_read_line(d->out, line, sizeof(line), deadline) < 0) {
			int status = rwt_daemon_kill(d, SIGKILL, 1000);
			rwt_dump_file("runwarden serve stderr", log);
			fail_msg("runwarden serve printed no \"listening on\" line within %d ms "
			         "(wait status %d; its stderr is above, in %s)",
			         RWT_START_MS, status, log);
		}
		if (strncmp(line, "listening on http://", 20) == 0 ||
		    strncmp(line, "listening on https://", 21) == 0)
			break;
	}
	snprintf(d->url, sizeof(d->url), "%s", line + 13);
}

int rwt_daemon_kill(struct rwt_daemon *d, int sig, int64_t timeout_ms)
{
	int status = rwt_stop_proc(&d->pid, sig, timeout_ms);

	if (d->out > 0)
		close(d->out);
	d->out = -1;
	return status;
}

void rwt_daemon_stop(struct rwt_daemon *d, int64_t timeout_ms)
{
	int status;

	if (d->pid <= 0)
		fail_msg("runwarden serve is not running");
	status = rwt_daemon_kill(d, SIGTERM, timeout_ms);
	if (status < 0)
		fail_msg("runwarden serve did not exit within %lld ms of SIGTERM (killed; see %s)",
		         (long long)timeout_ms, d->log);
	if (!WIFEXITED(status))
		fail_msg("runwarden serve died of signal %d (see %s)", WTERMSIG(status), d->log);
	if (WEXITSTATUS(status) != 0)
		fail_msg("runwarden serve exited %d after SIGTERM, not 0 (see %s)",
		         WEXITSTATUS(status), d->log);
}

/* ---- fixture runners ------------------------------------------------------- */

void rwt_fixtures_start(struct rwt_fixtures *fx, const char *log, const char *const modes[],
                        size_t n)
{
	const char *argv[3 * RWT_MAX_FIXTURES + 2];
	size_t k = 0;
	char line[1024];
	cJSON *arr, *e;

	if (n == 0 || n > RWT_MAX_FIXTURES)
		fail_msg("rwt_fixtures_start: %zu fixtures, not 1 to %d", n, RWT_MAX_FIXTURES);
	argv[k++] = RW_DEMO_RUNNER;
	for (size_t i = 0; i < n; i++) {
		argv[k++] = "--listen";
		argv[k++] = "127.0.0.1:0";
		argv[k++] = modes[i];
	}
	argv[k] = NULL;
	fx->n = 0;
	fx->pid = rwt_spawn(argv, log, &fx->out);
	if (rwt_read_line(fx->out, line, sizeof(line), rwt_mono_ms() + RWT_START_MS) < 0) {
		rwt_fixtures_stop(fx);
		rwt_dump_file("rw-demo-runner stderr", log);
		fail_msg("rw-demo-runner printed no address line (its stderr is above)");
	}
	/* ["127.0.0.1:P1","127.0.0.1:P2",...] */
	arr = cJSON_Parse(line);
	if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n)
		fail_msg("rw-demo-runner: unexpected address line: %s", line);
	cJSON_ArrayForEach(e, arr)
	{
		if (!cJSON_IsString(e))
			fail_msg("rw-demo-runner: unexpected address line: %s", line);
		snprintf(fx->addr[fx->n++], sizeof(fx->addr[0]), "%s", e->valuestring);
	}
	cJSON_Delete(arr);
}

void rwt_fixtures_stop(struct rwt_fixtures *fx)
{
	rwt_stop_proc(&fx->pid, SIGTERM, 5000);
	if (fx->out > 0)
		close(fx->out);
	fx->out = -1;
}

void rwt_fixture_mode(const struct rwt_fixtures *fx, size_t i, const char *mode)
{
	char url[200];
	struct rwt_resp r;

	if (i >= fx->n)
		fail_msg("no fixture %zu (of %zu)", i, fx->n);
	snprintf(url, sizeof(url), "http://%s/_control/mode?m=%s", fx->addr[i], mode);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("%s: switching to %s: HTTP %ld %s", fx->addr[i], mode, r.status, r.error);
	rwt_resp_free(&r);
}

void rwt_fixture_url(const struct rwt_fixtures *fx, size_t i, char *out, size_t len)
{
	if (i >= fx->n)
		fail_msg("no fixture %zu (of %zu)", i, fx->n);
	snprintf(out, len, "http://%s/health", fx->addr[i]);
}

/* ---- HTTP ------------------------------------------------------------------- */

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
	header_value(data, n, "Allow", r->allow, sizeof(r->allow));
	return n;
}

void rwt_http(const char *method, const char *url, const char *token, const char *body,
              size_t body_len, struct rwt_resp *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char auth[600], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

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
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
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
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	else
		snprintf(out->error, sizeof(out->error), "%s",
		         errbuf[0] ? errbuf : curl_easy_strerror(cc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
}

void rwt_resp_free(struct rwt_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- the daemon's answers -------------------------------------------------- */

cJSON *rwt_get_json(const struct rwt_daemon *d, const char *token, const char *path)
{
	char url[512];
	struct rwt_resp r;
	cJSON *doc;

	snprintf(url, sizeof(url), "%s%s", d->url, path);
	rwt_http("GET", url, token, NULL, 0, &r);
	if (r.status != 200) {
		char copy[300];
		long status = r.status;
		snprintf(copy, sizeof(copy), "%s", status < 0 ? r.error : r.body);
		rwt_resp_free(&r);
		fail_msg("GET %s: HTTP %ld: %s", url, status, copy);
	}
	doc = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	if (!doc)
		fail_msg("GET %s: the answer is not JSON", url);
	return doc;
}

int rwt_leader_gauge(const struct rwt_daemon *d, const char *token)
{
	char url[256];
	struct rwt_resp r;
	const char *at;
	int v = -1;

	snprintf(url, sizeof(url), "%s/metrics", d->url);
	rwt_http("GET", url, token, NULL, 0, &r);
	if (r.status == 200) {
		at = strstr(r.body, "\nrunwarden_leader ");
		if (!at) {
			rwt_resp_free(&r);
			fail_msg("/metrics of %s has no runwarden_leader", d->url);
		}
		v = atoi(at + strlen("\nrunwarden_leader "));
	}
	rwt_resp_free(&r);
	return v;
}

void rwt_vantages_of(const struct rwt_daemon *d, const char *token, int64_t id, char *out,
                     size_t len)
{
	char path[128];
	cJSON *doc, *vs, *v;
	size_t k = 0;

	snprintf(path, sizeof(path), "/v1/runners/%" PRId64 "/availability", id);
	doc = rwt_get_json(d, token, path);
	vs = cJSON_GetObjectItemCaseSensitive(doc, "vantages");
	if (!cJSON_IsArray(vs))
		fail_msg("GET %s%s: no \"vantages\" array", d->url, path);
	out[0] = '\0';
	cJSON_ArrayForEach(v, vs)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(v, "state");
		const cJSON *since = cJSON_GetObjectItemCaseSensitive(v, "since");
		assert_true(cJSON_IsString(name) && cJSON_IsString(st) && cJSON_IsString(since));
		/* 2026-11-01T00:00:00.000Z, as the answer's "from" and "to" */
		assert_int_equal(strlen(since->valuestring), 24);
		assert_int_equal(since->valuestring[10], 'T');
		assert_int_equal(since->valuestring[23], 'Z');
		k += (size_t)snprintf(out + k, len - k, "%s%s=%s", k ? "," : "", name->valuestring,
		                      st->valuestring);
		assert_true(k < len);
	}
	cJSON_Delete(doc);
}

void rwt_wait_vantages(const struct rwt_daemon *d, const char *token, int64_t id, const char *want)
{
	int64_t deadline = rwt_mono_ms() + RWT_WAIT_MS;
	char got[512] = "";

	for (;;) {
		rwt_vantages_of(d, token, id, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return;
		if (rwt_mono_ms() > deadline)
			fail_msg("%s: runner %" PRId64 ": vantages \"%s\", want \"%s\"", d->url, id,
			         got, want);
		rwt_sleep_ms(200);
	}
}

void rwt_route_place(const struct rwt_daemon *d, const char *token, const char *target,
                     const char *name, char *out, size_t len)
{
	char path[256];
	cJSON *doc;
	const cJSON *e;

	snprintf(path, sizeof(path), "/v1/route?target=%s", target);
	doc = rwt_get_json(d, token, path);
	snprintf(out, len, "absent");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "eligible"))
	{
		const cJSON *n = cJSON_GetObjectItem(e, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			snprintf(out, len, "eligible");
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "excluded"))
	{
		const cJSON *n = cJSON_GetObjectItem(e, "name");
		const cJSON *why = cJSON_GetObjectItem(e, "reason");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			snprintf(out, len, "%s", cJSON_IsString(why) ? why->valuestring : "?");
	}
	cJSON_Delete(doc);
}

void rwt_wait_route(const struct rwt_daemon *d, const char *token, const char *target,
                    const char *name, const char *want)
{
	int64_t deadline = rwt_mono_ms() + RWT_WAIT_MS;
	char got[64];

	for (;;) {
		rwt_route_place(d, token, target, name, got, sizeof(got));
		if (strcmp(got, want) == 0)
			return;
		if (rwt_mono_ms() > deadline)
			fail_msg("route of %s: %s is %s, not %s", d->url, name, got, want);
		rwt_sleep_ms(100);
	}
}

void rwt_wait_sql(const char *db, const char *sql, int64_t a, int64_t want)
{
	int64_t deadline = rwt_mono_ms() + RWT_WAIT_MS, got;

	while ((got = rwt_sql_int_args(db, sql, a, 0)) != want && rwt_mono_ms() < deadline)
		rwt_sleep_ms(100);
	if (got != want)
		fail_msg("%s: %" PRId64 ", want %" PRId64, sql, got, want);
}
