/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c — HTTPS on the listener (`runwarden serve --tls-cert/--tls-key`
 * and "tls" in the config), against the real daemon. The test makes its own
 * private CA and server certificates with the openssl CLI, then checks:
 *
 * - HTTPS works with curl --cacert, and curl without it refuses the
 *   certificate (the chain is really checked); the listening line says
 *   https://; ALPN gives HTTP/1.1 even to a client asking for HTTP/2;
 * - plain HTTP to the TLS port fails cleanly: a request in clear gets a 400
 *   problem in clear that says to use https://, other bytes are closed, and
 *   a client that stalls its handshake is disconnected;
 * - TLS 1.0 and 1.1 are refused and 1.2 and 1.3 accepted (openssl
 *   s_client); the same TLS 1.1 client is shown to work against an openssl
 *   s_server that allows it, so the refusal is the daemon's;
 * - the 16 KiB cap on request heads holds over TLS (431, and a 15 KB head
 *   still passes);
 * - `runwarden route --server https://… --cacert CA` works, and without
 *   --cacert says the certificate is not trusted;
 * - /metrics over TLS has the TLS families and passes promtool;
 * - SIGHUP with a renewed certificate (new serial, new key) serves it to new
 *   connections while a connection opened before keeps its own and is still
 *   answered; a new certificate that does not load (garbage, a key that does
 *   not match) keeps the old one, logged and counted;
 * - clients that reset their connections (after the handshake, after a
 *   request) leave no descriptor open and do not kill the daemon;
 * - over max_connections, /healthz is answered over TLS and nothing else;
 * - start-up refuses unreadable, garbage, mismatched and passphrase-protected
 *   files, and a --tls-cert without --tls-key, with one line naming the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rwtest.h"

#define ADMIN   "test-admin-token-0123456789abcdef0123456789"
#define T1      "riscv64gc-unknown-linux-gnu"
#define STOP_MS 10000
#define WAIT_MS 20000

struct fx {
	char dir[256];
	char db[1200]; /* a file, or a PostgreSQL URI (rwt_db()) */
	char log[320], cli_log[320], fx_log[320], policy[320], config[320];
	char ca[320], ca_key[320], ext[320];
	char cert[320], key[320];   /* the files the daemon is given */
	char cert1[320], key1[320]; /* serial 1001 */
	char cert2[320], key2[320]; /* serial 2002, another key: a renewal */
	char curl[4096], openssl[4096];
	struct rwt_daemon d;
	struct rwt_fixtures fx;
	pid_t s_server;
	bool passed;
};

/* ---- programs ---------------------------------------------------------------- */

static void find_programs(struct fx *f)
{
	static const char *const curl[] = {"curl", NULL}, *const openssl[] = {"openssl", NULL};

	rwt_require_program(f->curl, sizeof(f->curl), NULL, curl, "curl", "test_tls");
	rwt_require_program(f->openssl, sizeof(f->openssl), NULL, openssl, "openssl",
	                    "test_tls, to make its certificates");
}

/* Runs the openssl CLI; fails the test unless it exits 0. */
static void openssl(struct fx *f, const char *const args[])
{
	const char *argv[32];
	struct rwt_res r = {0};
	size_t n = 0;

	argv[n++] = f->openssl;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	rwt_run(&r, NULL, argv);
	if (r.code != 0)
		fail_msg("openssl %s: exit %d: %s", args[0], r.code, r.err);
	rwt_res_free(&r);
}

/* A server certificate for 127.0.0.1 and localhost, signed by the test CA. */
static void make_cert(struct fx *f, const char *cert, const char *key, const char *serial)
{
	char csr[340];

	snprintf(csr, sizeof(csr), "%s.csr", cert);
	openssl(f, (const char *const[]){"req", "-new", "-newkey", "ec", "-pkeyopt",
	                                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
	                                 "-out", csr, "-subj", "/CN=localhost", NULL});
	openssl(f, (const char *const[]){"x509", "-req", "-in", csr, "-CA", f->ca, "-CAkey",
	                                 f->ca_key, "-set_serial", serial, "-days", "2", "-extfile",
	                                 f->ext, "-out", cert, NULL});
}

static void copy_file(const char *from, const char *to)
{
	char *text = rwt_slurp(from, NULL);
	char tmp[400];

	assert_non_null(text);
	/* Renamed into place, as certbot and friends do. */
	snprintf(tmp, sizeof(tmp), "%s.new", to);
	rwt_write_file(tmp, text);
	assert_int_equal(rename(tmp, to), 0);
	free(text);
}

/* curl ARGS...: its exit status, stdout in *out (malloc'd). */
static int run_curl(struct fx *f, char **out, const char *const args[])
{
	const char *argv[32];
	struct rwt_opts o = {.timeout_ms = WAIT_MS};
	struct rwt_res r = {0};
	size_t n = 0;
	int code;

	argv[n++] = f->curl;
	argv[n++] = "-sS";
	argv[n++] = "--max-time";
	argv[n++] = "10";
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	rwt_run(&r, &o, argv);
	code = r.code;
	*out = r.out;
	r.out = NULL;
	rwt_res_free(&r);
	return code;
}

/* GET url with the CA: the body, or fails the test. */
static char *get(struct fx *f, const char *path)
{
	char url[256], *out;
	int rc;

	snprintf(url, sizeof(url), "%s%s", f->d.url, path);
	rc = run_curl(f, &out, (const char *const[]){"--fail", "--cacert", f->ca, url, NULL});
	if (rc != 0)
		fail_msg("curl %s: exit %d", url, rc);
	return out;
}

/* The value of the sample line `series VALUE`; -1 when there is none. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

/* Waits until /metrics shows `series` == @p want. */
static void wait_metric(struct fx *f, const char *series, double want)
{
	int64_t deadline = rwt_mono_ms() + WAIT_MS;

	for (;;) {
		char *m = get(f, "/metrics");
		double v = sample(m, series);
		free(m);
		if (v == want)
			return;
		if (rwt_mono_ms() > deadline)
			fail_msg("%s is %g, want %g", series, v, want);
		rwt_sleep_ms(100);
	}
}

static int port_of(const char *url)
{
	const char *colon = strrchr(url, ':');
	assert_non_null(colon);
	return atoi(colon + 1);
}

/* ---- a TLS client of our own (OpenSSL), to hold a connection ------------------ */

struct tconn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char serial[80]; /* the server certificate's, in hex */
};

static int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Connects and completes a verified handshake (TLS 1.2 or later). */
static void tconn_open(struct tconn *t, struct fx *f)
{
	X509 *peer;
	BIGNUM *bn;
	char *hex;

	memset(t, 0, sizeof(*t));
	t->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(t->ctx);
	assert_int_equal(SSL_CTX_load_verify_locations(t->ctx, f->ca, NULL), 1);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	t->fd = tcp_connect(port_of(f->d.url));
	t->ssl = SSL_new(t->ctx);
	assert_non_null(t->ssl);
	assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), "127.0.0.1"), 1);
	SSL_set_fd(t->ssl, t->fd);
	if (SSL_connect(t->ssl) != 1)
		fail_msg("TLS handshake with the daemon failed: %s",
		         ERR_reason_error_string(ERR_get_error()));
	peer = SSL_get1_peer_certificate(t->ssl);
	assert_non_null(peer);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(peer), NULL);
	hex = BN_bn2hex(bn);
	snprintf(t->serial, sizeof(t->serial), "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(peer);
}

/* Sends GET @p path on the held connection and reads the answer to EOF. */
static char *tconn_get(struct tconn *t, const char *path)
{
	char req[256], *out = calloc(1, 65536);
	size_t n = 0;
	int k;

	assert_non_null(out);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	assert_int_equal(SSL_write(t->ssl, req, (int)strlen(req)), (int)strlen(req));
	while (n < 65535 && (k = SSL_read(t->ssl, out + n, (int)(65535 - n))) > 0)
		n += (size_t)k;
	out[n] = '\0';
	return out;
}

static void tconn_close(struct tconn *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	close(t->fd);
}

/* A new connection's certificate serial. */
static void serial_now(struct fx *f, char *out, size_t len)
{
	struct tconn t;

	tconn_open(&t, f);
	snprintf(out, len, "%s", t.serial);
	tconn_close(&t);
}

/* Whether the daemon closes @p fd within @p ms (EOF or reset). */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[512];
	int64_t deadline = rwt_mono_ms() + ms;

	while (rwt_mono_ms() < deadline) {
		ssize_t k;
		if (poll(&p, 1, (int)(deadline - rwt_mono_ms())) <= 0)
			continue;
		k = recv(fd, buf, sizeof(buf), 0);
		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

/* ---- fixture ------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	find_programs(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "tls");
#define P(field, name) snprintf(f->field, sizeof(f->field), "%s/" name, f->dir)
	rwt_db(f->db, sizeof(f->db), f->dir, "runwarden.db");
	P(log, "daemon.log");
	P(cli_log, "cli.log");
	P(fx_log, "fixtures.log");
	P(policy, "policy.json");
	P(config, "config.json");
	P(ca, "ca.pem");
	P(ca_key, "ca.key");
	P(ext, "ext.cnf");
	P(cert, "server.pem");
	P(key, "server.key");
	P(cert1, "server1.pem");
	P(key1, "server1.key");
	P(cert2, "server2.pem");
	P(key2, "server2.key");
#undef P
	rwt_write_file(f->ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
	                       "extendedKeyUsage=serverAuth\n");
	openssl(f, (const char *const[]){"req", "-x509", "-newkey", "ec", "-pkeyopt",
	                                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", f->ca_key,
	                                 "-out", f->ca, "-days", "2", "-subj",
	                                 "/CN=runwarden test CA", NULL});
	make_cert(f, f->cert1, f->key1, "0x1001");
	make_cert(f, f->cert2, f->key2, "0x2002");
	copy_file(f->cert1, f->cert);
	copy_file(f->key1, f->key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rwt_daemon_kill(&f->d, SIGTERM, STOP_MS);
	rwt_fixtures_stop(&f->fx);
	rwt_stop_proc(&f->s_server, SIGTERM, 2000);
	if (!f->passed) {
		rwt_dump_file("runwarden serve stderr", f->log);
		rwt_dump_file("runwarden CLI stderr", f->cli_log);
	}
	rwt_db_drop(f->db);
	rwt_tmpdir_remove(f->dir, !f->passed);
	free(f);
	return 0;
}

/* ---- tests -------------------------------------------------------------------- */

/* HTTPS, plain HTTP, protocol versions, ALPN, the header cap, route, metrics. */
static void test_https(void **state)
{
	struct fx *f = *state;
	static const char *const modes[] = {"ok"};
	const char *args[] = {"--tls-cert", f->cert,        "--tls-key",   f->key, "--policy",
	                      f->policy,    "--allow-cidr", "127.0.0.0/8", NULL};
	char url[256], out[4096], *body;
	int rc, port;

	rwt_fixtures_start(&f->fx, f->fx_log, modes, 1);
	rwt_write_file(f->policy, "{\"version\": 1, \"flagging\": {\"probation_days\": 0},\n"
	                          " \"probe\": {\"interval_s\": 1, \"timeout_ms\": 500}}\n");
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "operator", "add", "acme", "--email",
	                         "ops@example.org", "--db", f->db, NULL),
	                 0);
	snprintf(url, sizeof(url), "http://%s/health", f->fx.addr[0]);
	assert_int_equal(rwt_cli(f->cli_log, out, sizeof(out), "runner", "add", "--allow-cidr",
	                         "127.0.0.0/8", "--db", f->db, "--operator", "acme", "--name",
	                         "rv-1", "--target", T1, "--url", url, "--interval", "1", NULL),
	                 0);
	rwt_daemon_start(&f->d, f->log, f->db, args);
	assert_true(strncmp(f->d.url, "https://127.0.0.1:", 18) == 0);
	port = port_of(f->d.url);

	/* HTTPS with the private CA; without it, curl refuses the chain (60). */
	body = get(f, "/healthz");
	assert_string_equal(body, "{\"status\":\"ok\"}\n");
	free(body);
	snprintf(url, sizeof(url), "%s/healthz", f->d.url);
	rc = run_curl(f, &body, (const char *const[]){url, NULL});
	assert_int_equal(rc, 60);
	free(body);

	/* ALPN: HTTP/1.1 even for a client that asks for HTTP/2. */
	rc = run_curl(f, &body,
	              (const char *const[]){"--http2", "--cacert", f->ca, "-o", "/dev/null", "-w",
	                                    "%{http_version}", url, NULL});
	assert_int_equal(rc, 0);
	assert_string_equal(body, "1.1");
	free(body);

	/* Plain HTTP to the TLS port: a 400 in clear naming https://. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
	rc = run_curl(f, &body, (const char *const[]){"-w", "\n%{http_code}", url, NULL});
	assert_int_equal(rc, 0);
	if (!strstr(body, "\"status\":400") || !strstr(body, "use an https:// URL") ||
	    !strstr(body, "\n400"))
		fail_msg("plain HTTP to the TLS port: %s", body);
	free(body);
	/* Bytes that are neither TLS nor HTTP: closed at once. */
	{
		int fd = tcp_connect(port);
		assert_int_equal(send(fd, "\x01\x02\x03\x04", 4, 0), 4);
		assert_true(closed_within(fd, 2000));
		close(fd);
	}
	/* A handshake that stalls after its first bytes: closed by the gate's
	 * deadline (1.5 s), not held. */
	{
		int fd = tcp_connect(port);
		int64_t t0 = rwt_mono_ms();
		assert_int_equal(send(fd, "\x16\x03\x01", 3, 0), 3);
		assert_true(closed_within(fd, 6000));
		assert_true(rwt_mono_ms() - t0 >= 1000);
		close(fd);
	}

	/* Protocol versions: 1.2 and 1.3 in, 1.0 and 1.1 out. */
	{
		static const struct {
			const char *flag;
			bool ok;
		} v[] = {
		        {"-tls1_3", true}, {"-tls1_2", true}, {"-tls1_1", false}, {"-tls1", false}};
		char connect[64];
		snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			struct rwt_res r = {0};
			struct rwt_opts o = {.timeout_ms = WAIT_MS};
			RWT_RUN(&r, &o, f->openssl, "s_client", "-connect", connect, "-CAfile",
			        f->ca, v[i].flag, "-cipher", "DEFAULT@SECLEVEL=0");
			if ((r.code == 0) != v[i].ok ||
			    (v[i].ok && strstr(r.out, "Cipher is (NONE)")))
				fail_msg("s_client %s: exit %d, want %s:\n%s%s", v[i].flag, r.code,
				         v[i].ok ? "a handshake" : "a refusal", r.out, r.err);
			rwt_res_free(&r);
		}
	}
	/* The control: the same TLS 1.1 client gets through to a server that
	 * allows it, so the refusal above is the daemon's, not the client's. */
	{
		const char *argv[] = {f->openssl,
		                      "s_server",
		                      "-accept",
		                      "127.0.0.1:0",
		                      "-cert",
		                      f->cert,
		                      "-key",
		                      f->key,
		                      "-tls1_1",
		                      "-cipher",
		                      "DEFAULT@SECLEVEL=0",
		                      "-naccept",
		                      "1",
		                      "-www",
		                      NULL};
		char line[256], connect[64], slog[340];
		struct rwt_res r = {0};
		struct rwt_opts o = {.timeout_ms = WAIT_MS};
		int fd = -1;

		snprintf(slog, sizeof(slog), "%s/s_server.log", f->dir);
		f->s_server = rwt_spawn(argv, slog, &fd);
		do {
			if (rwt_read_line(fd, line, sizeof(line), rwt_mono_ms() + WAIT_MS) < 0)
				fail_msg("openssl s_server did not say where it listens");
		} while (strncmp(line, "ACCEPT ", 7) != 0);
		snprintf(connect, sizeof(connect), "%s", line + 7);
		RWT_RUN(&r, &o, f->openssl, "s_client", "-connect", connect, "-tls1_1", "-cipher",
		        "DEFAULT@SECLEVEL=0");
		if (r.code != 0 || !strstr(r.out, "TLSv1.1") || strstr(r.out, "Cipher is (NONE)"))
			fail_msg("the TLS 1.1 control failed (exit %d):\n%s%s", r.code, r.out,
			         r.err);
		rwt_res_free(&r);
		close(fd);
		rwt_stop_proc(&f->s_server, SIGTERM, 2000);
	}

	/* The 16 KiB cap on request heads holds over TLS. */
	{
		char *big = malloc(20001), hdr[20100];
		memset(big, 'a', 20000);
		big[20000] = '\0';
		snprintf(url, sizeof(url), "%s/healthz", f->d.url);
		snprintf(hdr, sizeof(hdr), "X-Big: %s", big);
		rc = run_curl(f, &body,
		              (const char *const[]){"--cacert", f->ca, "-H", hdr, "-w",
		                                    "\n%{http_code}", url, NULL});
		assert_int_equal(rc, 0);
		if (!strstr(body, "\"status\":431") || !strstr(body, "\n431"))
			fail_msg("a 20 KB head over TLS: %s", body);
		free(body);
		big[15000] = '\0';
		snprintf(hdr, sizeof(hdr), "X-Big: %s", big);
		rc = run_curl(f, &body,
		              (const char *const[]){"--cacert", f->ca, "-H", hdr, "-w",
		                                    "\n%{http_code}", url, NULL});
		assert_int_equal(rc, 0);
		if (!strstr(body, "\n200"))
			fail_msg("a 15 KB head over TLS: %s", body);
		free(body);
		free(big);
	}

	/* runwarden route over HTTPS, with and without the private CA. */
	{
		int64_t deadline = rwt_mono_ms() + WAIT_MS;
		struct rwt_res r = {0};
		for (;;) {
			RWT_RUN(&r, NULL, RW_BIN, "route", T1, "--json", "--server", f->d.url,
			        "--cacert", f->ca);
			if (r.code == 0)
				break;
			if (r.code != 3 || rwt_mono_ms() > deadline)
				fail_msg("route over https: exit %d: %s%s", r.code, r.out, r.err);
			rwt_sleep_ms(200);
		}
		assert_non_null(strstr(r.out, "\"name\":\"rv-1\""));
		RWT_RUN(&r, NULL, RW_BIN, "route", T1, "--server", f->d.url);
		if (r.code != 1 || !strstr(r.err, "certificate is not trusted") ||
		    !strstr(r.err, "--cacert"))
			fail_msg("route without --cacert: exit %d: %s", r.code, r.err);
		RWT_RUN(&r, NULL, RW_BIN, "route", T1, "--server", f->d.url, "--cacert",
		        "/nonexistent/ca.pem");
		if (r.code != 2 || !strstr(r.err, "--cacert: /nonexistent/ca.pem: cannot read"))
			fail_msg("route --cacert of a missing file: exit %d: %s", r.code, r.err);
		rwt_res_free(&r);
	}

	/* /metrics over TLS: the TLS families, and promtool is content. */
	{
		char tool[4096], mpath[340];
		struct rwt_res r = {0};
		struct rwt_opts o = {.in = mpath, .timeout_ms = WAIT_MS};
		body = get(f, "/metrics");
		assert_true(sample(body, "runwarden_tls_reloads_total") == 0);
		assert_true(sample(body, "runwarden_tls_reload_failures_total") == 0);
		/* At least TLS 1.1, 1.0 and the stalled handshake. */
		assert_true(sample(body, "runwarden_tls_handshake_failures_total") >= 3);
		assert_true(sample(body, "runwarden_tls_certificate_expiry_timestamp_seconds") >
		            1.7e9);
		snprintf(mpath, sizeof(mpath), "%s/metrics.txt", f->dir);
		rwt_write_file(mpath, body);
		free(body);
		rwt_promtool(tool, sizeof(tool), "test_tls");
		RWT_RUN(&r, &o, tool, "check", "metrics");
		if (r.code != 0 || r.out[0] || r.err[0])
			fail_msg("promtool check metrics: exit %d: %s%s", r.code, r.out, r.err);
		rwt_res_free(&r);
	}
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* SIGHUP: a renewed certificate for new connections, the old one for a
 * connection already open; a bad one keeps the old, logged and counted. */
static void test_reload(void **state)
{
	struct fx *f = *state;
	const char *args[] = {"--config", f->config, NULL};
	char config[1024], serial[80], *log, *answer;
	struct tconn held;

	snprintf(config, sizeof(config),
	         "{\"tls\": {\"cert_file\": \"%s\", \"key_file\": \"%s\"}}\n", f->cert, f->key);
	rwt_write_file(f->config, config);
	rwt_daemon_start(&f->d, f->log, f->db, args);
	serial_now(f, serial, sizeof(serial));
	assert_string_equal(serial, "1001");
	tconn_open(&held, f);
	assert_string_equal(held.serial, "1001");

	/* The renewal: a new certificate and a new key. */
	copy_file(f->cert2, f->cert);
	copy_file(f->key2, f->key);
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	wait_metric(f, "runwarden_tls_reloads_total", 1);
	serial_now(f, serial, sizeof(serial));
	assert_string_equal(serial, "2002");
	/* The connection made before the reload is answered on its own. */
	answer = tconn_get(&held, "/healthz");
	if (strncmp(answer, "HTTP/1.1 200", 12) != 0 || !strstr(answer, "{\"status\":\"ok\"}"))
		fail_msg("the connection held across the reload: %s", answer);
	free(answer);
	tconn_close(&held);

	/* A certificate that is not one: the old stays in force. */
	rwt_write_file(f->cert, "-----BEGIN CERTIFICATE-----\nnot base64\n");
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	wait_metric(f, "runwarden_tls_reload_failures_total", 1);
	serial_now(f, serial, sizeof(serial));
	assert_string_equal(serial, "2002");
	/* A certificate with the wrong key: likewise. */
	copy_file(f->cert2, f->cert);
	copy_file(f->key1, f->key);
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	wait_metric(f, "runwarden_tls_reload_failures_total", 2);
	serial_now(f, serial, sizeof(serial));
	assert_string_equal(serial, "2002");
	wait_metric(f, "runwarden_tls_reloads_total", 1);

	log = rwt_slurp(f->log, NULL);
	assert_non_null(log);
	if (!strstr(log, "msg=\"tls reload failed; keeping the old certificate\"") ||
	    !strstr(log, "tls.cert_file: ") || !strstr(log, "does not match the certificate"))
		fail_msg("the failed reloads are not logged:\n%s", log);
	free(log);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* Over max_connections, /healthz is still answered over TLS (the gate's
 * reserve runs the handshake too) and anything else is closed unanswered. */
static void test_healthz_over_cap(void **state)
{
	struct fx *f = *state;
	const char *args[] = {"--config", f->config, NULL};
	char config[1024], *answer;
	struct tconn t;
	int idle;

	snprintf(config, sizeof(config),
	         "{\"max_connections\": 1, \"tls\": {\"cert_file\": \"%s\", \"key_file\": "
	         "\"%s\"}}\n",
	         f->cert, f->key);
	rwt_write_file(f->config, config);
	rwt_daemon_start(&f->d, f->log, f->db, args);
	/* The one connection the cap allows, held silent (the gate gives it
	 * 1.5 s; what follows takes a few milliseconds). */
	idle = tcp_connect(port_of(f->d.url));
	rwt_sleep_ms(50);
	tconn_open(&t, f);
	answer = tconn_get(&t, "/healthz");
	if (strncmp(answer, "HTTP/1.1 200", 12) != 0 || !strstr(answer, "{\"status\":\"ok\"}"))
		fail_msg("/healthz over the cap, over TLS: %s", answer);
	free(answer);
	tconn_close(&t);
	tconn_open(&t, f);
	answer = tconn_get(&t, "/metrics");
	if (answer[0])
		fail_msg("/metrics over the cap was answered: %.200s", answer);
	free(answer);
	tconn_close(&t);
	close(idle);
	wait_metric(f, "runwarden_http_connections_refused_total", 1);
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* The daemon's open descriptors (its sockets among them). */
static int open_fds(pid_t pid)
{
	char path[64], cmd[128];
	struct rwt_res r = {0};
	int n;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	snprintf(cmd, sizeof(cmd), "ls %s | wc -l", path);
	RWT_RUN(&r, NULL, "/bin/sh", "-c", cmd);
	n = atoi(r.out);
	rwt_res_free(&r);
	return n;
}

/* Clients that reset their connection (after the handshake, or after
 * sending a request) leave nothing open: the TLS close after a failed read
 * must not wait for a write that libuv refuses (tls.c, quiet shutdown),
 * and a write to a reset peer is an error, not a SIGPIPE that kills the
 * daemon (the harness starts it with SIGPIPE's default action). */
static void test_resets(void **state)
{
	struct fx *f = *state;
	const char *args[] = {"--tls-cert", f->cert, "--tls-key", f->key, NULL};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int before, after = 0;
	int64_t deadline;

	rwt_daemon_start(&f->d, f->log, f->db, args);
	free(get(f, "/healthz"));
	rwt_sleep_ms(200);
	before = open_fds(f->d.pid);
	for (int i = 0; i < 40; i++) {
		struct tconn t;
		tconn_open(&t, f);
		if (i % 2) {
			static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
			assert_int_equal(SSL_write(t.ssl, req, (int)sizeof(req) - 1),
			                 (int)sizeof(req) - 1);
		}
		assert_int_equal(setsockopt(t.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
		tconn_close(&t);
	}
	/* Every one of them closed on the daemon's side, within the gate's
	 * deadline at most. */
	deadline = rwt_mono_ms() + WAIT_MS;
	while (rwt_mono_ms() < deadline && (after = open_fds(f->d.pid)) > before)
		rwt_sleep_ms(100);
	if (after > before)
		fail_msg("%d descriptors open after 40 reset connections, %d before", after,
		         before);
	free(get(f, "/healthz"));
	rwt_daemon_stop(&f->d, STOP_MS);
	f->passed = true;
}

/* Start-up fails fast, with one line naming the key, before listening. */
static void test_startup_errors(void **state)
{
	struct fx *f = *state;
	char missing[340], junk[340], enc[340], config[1024];
	struct rwt_res r = {0};
	struct {
		const char *cert, *key;
		bool via_config;
		int code;
		const char *err_has;
	} rows[] = {
	        {missing, f->key, false, 1, "runwarden: --tls-cert: "},
	        {junk, f->key, false, 1, "not a PEM certificate chain"},
	        {f->cert1, f->key2, true, 1, "tls.key_file: "},
	        {f->cert1, enc, false, 1, "--tls-key: "},
	        {f->cert1, NULL, false, 2, "--tls-cert needs --tls-key"},
	};

	snprintf(missing, sizeof(missing), "%s/missing.pem", f->dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", f->dir);
	snprintf(enc, sizeof(enc), "%s/encrypted.key", f->dir);
	rwt_write_file(junk, "this is not PEM\n");
	openssl(f, (const char *const[]){"pkey", "-in", f->key1, "-aes256", "-passout",
	                                 "pass:secret", "-out", enc, NULL});
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *argv[16];
		size_t n = 0;
		argv[n++] = RW_BIN;
		argv[n++] = "serve";
		argv[n++] = "--db";
		argv[n++] = f->db;
		argv[n++] = "--init";
		argv[n++] = "--listen";
		argv[n++] = "127.0.0.1:0";
		if (rows[i].via_config) {
			snprintf(config, sizeof(config),
			         "{\"tls\": {\"cert_file\": \"%s\", \"key_file\": \"%s\"}}\n",
			         rows[i].cert, rows[i].key);
			rwt_write_file(f->config, config);
			argv[n++] = "--config";
			argv[n++] = f->config;
		} else {
			argv[n++] = "--tls-cert";
			argv[n++] = rows[i].cert;
			if (rows[i].key) {
				argv[n++] = "--tls-key";
				argv[n++] = rows[i].key;
			}
		}
		argv[n] = NULL;
		rwt_run(&r, NULL, argv);
		if (r.code != rows[i].code || !strstr(r.err, rows[i].err_has) ||
		    strstr(r.err, "listening") || r.out_len != 0)
			fail_msg("row %zu: exit %d, want %d with \"%s\":\n%s", i, r.code,
			         rows[i].code, rows[i].err_has, r.err);
		if (i == 3 && !strstr(r.err, "without a passphrase"))
			fail_msg("an encrypted key: %s", r.err);
		if (i == 2 && !strstr(r.err, "does not match the certificate"))
			fail_msg("a mismatched key: %s", r.err);
	}
	rwt_res_free(&r);
	f->passed = true;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_startup_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_https, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resets, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_healthz_over_cap, setup, teardown),
	};

	setenv("RUNWARDEN_ADMIN_TOKEN", ADMIN, 1);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
