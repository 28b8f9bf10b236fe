/* SPDX-License-Identifier: MIT */
/* faultlib.c — the fault scenarios' shared fixtures; see faultlib.h. */
#include "faultlib.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rwtest.h"

/* ---- isolation --------------------------------------------------------------- */

void rwf_isolate(void)
{
	struct ifreq ifr;
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "the fault suite runs in namespaces of its own and needs root "
		                "(CAP_SYS_ADMIN); CI runs it as root\n");
		exit(1);
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
		perror("unshare(CLONE_NEWNET | CLONE_NEWNS)");
		exit(1);
	}
	/* Our bind mounts must not reach the host's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		perror("mount --make-rprivate /");
		exit(1);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		perror("SIOCGIFFLAGS lo");
		exit(1);
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
		perror("SIOCSIFFLAGS lo up");
		exit(1);
	}
	close(fd);
}

void rwf_bind(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
		fail_msg("bind-mounting %s over %s: %s", src, dst, strerror(errno));
}

/* ---- DNS ----------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Answers one query in q[0..n) into r; returns the answer's length, or 0
 * for no answer. */
static size_t dns_answer(struct rwf_dns *dns, const unsigned char *q, size_t n, unsigned char *r,
                         size_t cap)
{
	char name[256];
	size_t i = 12, o = 0, qend;
	uint16_t qtype;
	int rcode = 3; /* NXDOMAIN */
	bool a = false;

	if (n < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return 0;
	while (i < n && q[i] != 0) {
		size_t l = q[i];
		if (l > 63 || i + 1 + l >= n || o + l + 1 >= sizeof(name))
			return 0;
		for (size_t k = 0; k < l; k++) {
			char c = (char)q[i + 1 + k];
			name[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		name[o++] = '.';
		i += 1 + l;
	}
	if (i + 5 > n)
		return 0;
	name[o ? o - 1 : 0] = '\0';
	qtype = (uint16_t)(q[i + 1] << 8 | q[i + 2]);
	qend = i + 5;
	if (ends_with(name, ".silent.test")) {
		atomic_fetch_add(&dns->silent, 1);
		return 0;
	}
	if (ends_with(name, ".ok.test")) {
		atomic_fetch_add(&dns->ok, 1);
		rcode = 0;
		a = qtype == 1;
	} else {
		atomic_fetch_add(&dns->nx, 1);
	}
	if (qend + 16 > cap)
		return 0;
	memcpy(r, q, qend);
	r[2] = (unsigned char)(0x84 | (q[2] & 0x01)); /* QR, AA, the query's RD */
	r[3] = (unsigned char)(0x80 | rcode);         /* RA */
	r[6] = 0;
	r[7] = a ? 1 : 0;
	memset(r + 8, 0, 4);
	if (!a)
		return qend;
	memcpy(r + qend,
	       "\xc0\x0c"         /* the question's name */
	       "\x00\x01\x00\x01" /* A, IN */
	       "\x00\x00\x00\x3c" /* TTL 60 */
	       "\x00\x04\x7f\x00\x00\x01",
	       16);
	return qend + 16;
}

static void *dns_main(void *arg)
{
	struct rwf_dns *dns = arg;
	unsigned char q[1500], r[1500];

	for (;;) {
		struct pollfd p[2] = {{dns->fd, POLLIN, 0}, {dns->stop[0], POLLIN, 0}};
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t m;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		n = recvfrom(dns->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		m = dns_answer(dns, q, (size_t)n, r, sizeof(r));
		if (m)
			(void)sendto(dns->fd, r, m, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

void rwf_dns_start(struct rwf_dns *dns, const char *dir)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	char path[512];

	memset(dns, 0, sizeof(*dns));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dns->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (dns->fd < 0 || bind(dns->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		fail_msg("the DNS fixture cannot bind 127.0.0.1:53: %s", strerror(errno));
	if (pipe2(dns->stop, O_CLOEXEC) != 0)
		fail_msg("pipe: %s", strerror(errno));
	if (pthread_create(&dns->thread, NULL, dns_main, dns) != 0)
		fail_msg("the DNS fixture's thread would not start");
	/* glibc's defaults (5 s, 2 attempts): a silent server holds a lookup
	 * about 10 s, as a real unanswering server does. */
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	rwt_write_file(path, "nameserver 127.0.0.1\n");
	rwf_bind(path, "/etc/resolv.conf");
}

void rwf_dns_stop(struct rwf_dns *dns)
{
	if (dns->fd <= 0)
		return;
	(void)!write(dns->stop[1], "x", 1);
	pthread_join(dns->thread, NULL);
	close(dns->fd);
	close(dns->stop[0]);
	close(dns->stop[1]);
	dns->fd = 0;
}

/* ---- TLS ------------------------------------------------------------------------- */

const char *rwf_system_bundle(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	return v->cainfo ? v->cainfo : "/etc/ssl/certs/ca-certificates.crt";
}

static void openssl_run(const char *dir, const char *const argv[])
{
	struct rwt_res r = {0};
	struct rwt_opts o = {.dir = dir};

	rwt_run(&r, &o, argv);
	if (r.code != 0)
		fail_msg("%s %s failed (%d): %s", argv[0], argv[1], r.code, r.err);
	rwt_res_free(&r);
}

/* NAME.key and a CSR for @p san; signed by the CA for @p days (negative:
 * already expired), or self-signed when @p self. */
static void make_cert(const char *dir, const char *openssl, const char *name, const char *san,
                      const char *days, bool self)
{
	char key[96], csr[96], crt[96], ext[96], text[256];

	snprintf(key, sizeof(key), "%s.key", name);
	snprintf(csr, sizeof(csr), "%s.csr", name);
	snprintf(crt, sizeof(crt), "%s.crt", name);
	snprintf(ext, sizeof(ext), "%s.ext", name);
	snprintf(text, sizeof(text), "%s/%s", dir, ext);
	{
		char line[200];
		snprintf(line, sizeof(line), "subjectAltName=%s\n", san);
		rwt_write_file(text, line);
	}
	if (self) {
		char addext[200];
		const char *const a[] = {openssl,    "req",
		                         "-x509",    "-newkey",
		                         "rsa:2048", "-nodes",
		                         "-keyout",  key,
		                         "-out",     crt,
		                         "-days",    days,
		                         "-subj",    "/CN=self-signed",
		                         "-addext",  addext,
		                         NULL};
		snprintf(addext, sizeof(addext), "subjectAltName=%s", san);
		openssl_run(dir, a);
		return;
	}
	{
		const char *const a[] = {openssl,  "req",     "-newkey", "rsa:2048",
		                         "-nodes", "-keyout", key,       "-out",
		                         csr,      "-subj",   "/CN=rw",  NULL};
		const char *const b[] = {openssl, "x509",   "-req",   "-in",    csr,
		                         "-CA",   "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
		                         "-out",  crt,      "-days",  days,     "-extfile",
		                         ext,     NULL};
		openssl_run(dir, a);
		openssl_run(dir, b);
	}
}

void rwf_certs(const char *dir, char *bundle, size_t len)
{
	static const char *const names[] = {"openssl", NULL};
	static const char good[] = "DNS:localhost,IP:127.0.0.1,DNS:*.ok.test";
	char openssl[256], path[512], *sys, *ca;
	size_t n_sys, n_ca;
	FILE *f;

	rwt_require_program(openssl, sizeof(openssl), "RW_OPENSSL", names, "openssl",
	                    "the TLS fault scenarios");
	{
		const char *const a[] = {openssl,    "req",
		                         "-x509",    "-newkey",
		                         "rsa:2048", "-nodes",
		                         "-keyout",  "ca.key",
		                         "-out",     "ca.crt",
		                         "-days",    "30",
		                         "-subj",    "/CN=runwarden fault-suite CA",
		                         "-addext",  "basicConstraints=critical,CA:TRUE",
		                         "-addext",  "keyUsage=critical,keyCertSign,cRLSign",
		                         NULL};
		openssl_run(dir, a);
	}
	make_cert(dir, openssl, "good", good, "30", false);
	make_cert(dir, openssl, "expired", good, "-1", false);
	make_cert(dir, openssl, "wronghost", "DNS:wrong.example", "30", false);
	make_cert(dir, openssl, "selfsigned", good, "30", true);

	sys = rwt_slurp(rwf_system_bundle(), &n_sys);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	ca = rwt_slurp(path, &n_ca);
	if (!sys || !ca)
		fail_msg("cannot read the system CA bundle %s or %s", rwf_system_bundle(), path);
	snprintf(bundle, len, "%s/bundle.crt", dir);
	f = fopen(bundle, "w");
	if (!f || fwrite(sys, 1, n_sys, f) != n_sys || fwrite(ca, 1, n_ca, f) != n_ca ||
	    fclose(f) != 0)
		fail_msg("cannot write %s", bundle);
	free(sys);
	free(ca);
	rwf_bind(bundle, rwf_system_bundle());
}

void rwf_tls_start(struct rwf_tls *t, const char *dir, const char *name, const char *const extra[],
                   const char *log)
{
	static const char *const names[] = {"openssl", NULL};
	char openssl[256], crt[512], key[512], line[256];
	const char *argv[32];
	size_t n = 0;
	int64_t deadline = rwt_mono_ms() + RWT_START_MS;

	rwt_require_program(openssl, sizeof(openssl), "RW_OPENSSL", names, "openssl",
	                    "the TLS fault scenarios");
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	argv[n++] = openssl;
	argv[n++] = "s_server";
	argv[n++] = "-accept";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "-cert";
	argv[n++] = crt;
	argv[n++] = "-key";
	argv[n++] = key;
	argv[n++] = "-www";
	argv[n++] = "-naccept";
	argv[n++] = "1000000";
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	t->port = 0;
	t->pid = rwt_spawn(argv, log, &t->out);
	while (t->port == 0) {
		const char *colon;
		if (rwt_read_line(t->out, line, sizeof(line), deadline) < 0) {
			rwf_tls_stop(t);
			rwt_dump_file("openssl s_server stderr", log);
			fail_msg("openssl s_server (%s) printed no ACCEPT line", name);
		}
		colon = strrchr(line, ':');
		if (strncmp(line, "ACCEPT ", 7) == 0 && colon)
			t->port = atoi(colon + 1);
	}
}

void rwf_tls_stop(struct rwf_tls *t)
{
	if (t->pid > 0)
		rwt_stop_proc(&t->pid, SIGTERM, 5000);
	if (t->out > 0)
		close(t->out);
	t->out = 0;
}

/* ---- the daemon's figures ------------------------------------------------------- */

static char *metrics_text(const char *base)
{
	struct rwt_resp r;
	char url[256];
	char *body;

	snprintf(url, sizeof(url), "%s/metrics", base);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("GET %s: %ld %s", url, r.status, r.error);
	body = r.body;
	r.body = NULL;
	rwt_resp_free(&r);
	return body;
}

static double scan(const char *text, const char *name, bool family)
{
	size_t n = strlen(name);
	double sum = 0;
	bool found = false;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l == '#' || strncmp(l, name, n) != 0)
			continue;
		if (family ? (l[n] == ' ' || l[n] == '{') : l[n] == ' ') {
			const char *sp = l[n] == ' ' ? l + n : strchr(l + n, ' ');
			if (!sp)
				continue;
			sum += strtod(sp + 1, NULL);
			found = true;
			if (!family)
				break;
		}
	}
	return found ? sum : -1;
}

double rwf_metric(const char *base, const char *name)
{
	char *t = metrics_text(base);
	double v = scan(t, name, false);
	free(t);
	return v;
}

double rwf_metric_sum(const char *base, const char *name)
{
	char *t = metrics_text(base);
	double v = scan(t, name, true);
	free(t);
	return v;
}

const char *const rwf_class_names[RWF_NCLASS] = {"ok",   "dns",       "connect",
                                                 "tls",  "timeout",   "http_status",
                                                 "body", "too_large", "refused_by_guard"};

int rwf_samples(const char *db, const char *name, int64_t since_ms, int counts[RWF_NCLASS])
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int total = 0, rc;

	memset(counts, 0, sizeof(int) * RWF_NCLASS);
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", db, sqlite3_errmsg(h));
	sqlite3_busy_timeout(h, 5000);
	rc = sqlite3_prepare_v2(h,
	                        "SELECT s.errclass, count(*) FROM samples s JOIN runners r "
	                        "ON r.id = s.runner_id WHERE r.name = ?1 AND s.ts_ms >= ?2 "
	                        "GROUP BY s.errclass",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", db, sqlite3_errmsg(h));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int cls = sqlite3_column_int(st, 0), n = sqlite3_column_int(st, 1);
		if (cls >= 0 && cls < RWF_NCLASS)
			counts[cls] += n;
		total += n;
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", db, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return total;
}

void rwf_counts_str(const int counts[RWF_NCLASS], char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < RWF_NCLASS; i++)
		if (counts[i] && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s=%d", o ? " " : "",
			                      rwf_class_names[i], counts[i]);
	if (o == 0)
		snprintf(out, len, "(none)");
}

int64_t rwf_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rwf_cpu_ms(pid_t pid)
{
	char path[64], *s, *p;
	unsigned long long ut = 0, st = 0;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	s = rwt_slurp(path, NULL);
	if (!s)
		fail_msg("cannot read %s", path);
	/* Fields 14 and 15, counted after the ")" that ends the command name. */
	p = strrchr(s, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		fail_msg("cannot parse %s", path);
	free(s);
	return (int64_t)((ut + st) * 1000ull / (unsigned long long)hz);
}

int64_t rwf_status_kb(pid_t pid, const char *field)
{
	char path[64], *s, *p;
	int64_t v = -1;
	size_t n = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	s = rwt_slurp(path, NULL);
	if (!s)
		fail_msg("cannot read %s", path);
	for (p = s; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, field, n) == 0 && p[n] == ':') {
			v = strtoll(p + n + 1, NULL, 10);
			break;
		}
	}
	free(s);
	return v;
}

long rwf_get_timed(const char *base, const char *path, double *ms)
{
	struct rwt_resp r;
	char url[256];
	int64_t t0 = rwt_mono_ms();
	long status;

	snprintf(url, sizeof(url), "%s%s", base, path);
	rwt_http("GET", url, NULL, NULL, 0, &r);
	*ms = (double)(rwt_mono_ms() - t0);
	status = r.status;
	rwt_resp_free(&r);
	return status;
}

int rwf_connect(const char *base)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char host[64];
	int port, fd;

	if (sscanf(base, "http://%63[^:]:%d", host, &port) != 2)
		return -1;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}
