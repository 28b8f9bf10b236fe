/* SPDX-License-Identifier: MIT */
/*
 * faultlib.h — what the fault scenarios (tests/faults/) share beyond the
 * harness (tests/lib/rwtest.h): a private network and mount namespace for
 * the test process, a DNS server that answers, refuses or stays silent by
 * name, certificates made with the openssl CLI, TLS listeners (openssl
 * s_server), and the daemon's own figures (/metrics, CPU, memory).
 *
 * Isolation: rwf_isolate() moves the test process into a fresh network
 * namespace (its own loopback, so port 53 and every port are free) and a
 * fresh mount namespace (so /etc/resolv.conf and the system CA bundle can be
 * replaced by bind mounts that nobody else sees). Every child the test
 * starts afterwards (the daemon, the fixtures) inherits both. Both are
 * anonymous: they vanish with the test process and its children, so a test
 * that fails, crashes or is killed leaves no namespace, mount or file in
 * /etc behind (unlike `ip netns add`, whose name and /etc/netns folder a
 * killed test would leave). It needs root (CAP_SYS_ADMIN), as CI has; the
 * scenarios fail, saying so, without it.
 *
 * Invariants: every process is started through the harness (stopped by
 * PID, reaped, dead with the test); the DNS server is a thread of the test
 * process, stopped and joined by rwf_dns_stop().
 */
#ifndef RW_FAULTLIB_H
#define RW_FAULTLIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- isolation --------------------------------------------------------------- */

/**
 * Enters fresh network and mount namespaces (loopback up, mounts private).
 * Call first in main(), while the process has one thread. Fails the process
 * (exit 1 with a message) when it cannot, e.g. without root.
 */
void rwf_isolate(void);

/** Bind-mounts @p src over @p dst (in the test's private mount namespace). */
void rwf_bind(const char *src, const char *dst);

/* ---- DNS ----------------------------------------------------------------------- */

/*
 * A DNS server on 127.0.0.1:53 (UDP) that answers by the name asked:
 *   NAME.ok.test      A 127.0.0.1 (AAAA: no data)
 *   NAME.nx.test      NXDOMAIN
 *   NAME.silent.test  never answers
 *   anything else     NXDOMAIN
 * rwf_dns_start() also points /etc/resolv.conf at it (a bind mount of
 * @p dir/resolv.conf). It counts the queries it got, by kind.
 */
struct rwf_dns {
	pthread_t thread;
	int fd;
	int stop[2];
	atomic_uint ok, nx, silent;
};

void rwf_dns_start(struct rwf_dns *dns, const char *dir);
void rwf_dns_stop(struct rwf_dns *dns);

/* ---- TLS ------------------------------------------------------------------------- */

/*
 * Certificates made with the openssl CLI in @p dir: a test CA (ca.crt), and
 * signed by it good.crt (localhost, 127.0.0.1, *.ok.test), expired.crt (the
 * same names, expired), wronghost.crt (only wrong.example); self-signed
 * selfsigned.crt (the good names, no CA). Keys: NAME.key. Then
 * @p dir/bundle.crt (the system CA bundle with the test CA appended) is
 * bind-mounted over the system bundle, so that the daemon trusts the test
 * CA exactly as it trusts a public one; its path is stored in @p bundle.
 */
void rwf_certs(const char *dir, char *bundle, size_t len);

/** The CA bundle libcurl uses by default (Debian: /etc/ssl/certs/ca-certificates.crt). */
const char *rwf_system_bundle(void);

/** An `openssl s_server -www` child (answers 200 to any GET once the handshake is done). */
struct rwf_tls {
	pid_t pid;
	int out;
	int port;
};

/**
 * Starts openssl s_server on 127.0.0.1 with @p dir/@p name.crt and .key,
 * plus the options in @p extra (NULL-terminated; NULL: none), and reads its
 * port. stderr goes to @p log.
 */
void rwf_tls_start(struct rwf_tls *t, const char *dir, const char *name, const char *const extra[],
                   const char *log);
void rwf_tls_stop(struct rwf_tls *t);

/* ---- the daemon's figures ------------------------------------------------------- */

/**
 * The value of the sample @p name (with its labels, as written, e.g.
 * `runwarden_probes_total{result="ok"}`) in @p base/metrics; -1 when absent.
 */
double rwf_metric(const char *base, const char *name);

/** The sum of every sample of the family @p name in @p base/metrics. */
double rwf_metric_sum(const char *base, const char *name);

/* The error classes in the order the store numbers them (policy/policy.h):
 * index 0 is success. */
#define RWF_NCLASS 9
extern const char *const rwf_class_names[RWF_NCLASS];

/**
 * Counts the stored samples of runner @p name taken at or after the wall
 * time @p since_ms, by class, into @p counts (read-only on @p db, which the
 * daemon may be writing). @return the total.
 */
int rwf_samples(const char *db, const char *name, int64_t since_ms, int counts[RWF_NCLASS]);

/** Formats @p counts as "ok=3 dns=1" into @p out. */
void rwf_counts_str(const int counts[RWF_NCLASS], char *out, size_t len);

/** Wall-clock UTC milliseconds (the clock samples are stamped with). */
int64_t rwf_wall_ms(void);

/** CPU time (user + system) of process @p pid, in milliseconds. */
int64_t rwf_cpu_ms(pid_t pid);

/** A field of /proc/@p pid/status in kB (VmRSS, VmHWM); -1 when absent. */
int64_t rwf_status_kb(pid_t pid, const char *field);

/**
 * GETs @p base@p path on a new connection; returns the status (-1: no
 * answer) and stores the time to the whole answer in *@p ms.
 */
long rwf_get_timed(const char *base, const char *path, double *ms);

/** Opens a TCP connection to @p base (http://ADDR:PORT); -1 on failure. */
int rwf_connect(const char *base);

#endif
