/* SPDX-License-Identifier: MIT */
/*
 * tls.h — the listener's TLS context: built from a PEM certificate chain
 * and a PEM private key, with what runwarden allows (TLS 1.2 and 1.3 only,
 * no compression, no renegotiation, ALPN "http/1.1" only), and described
 * for the log and /metrics.
 *
 * A context is immutable once built. Reloading a certificate (SIGHUP)
 * builds a new one and swaps it in for new connections (api.h,
 * api_tls_reload()); OpenSSL counts the references each connection's SSL
 * holds, so freeing the old context with SSL_CTX_free() leaves it alive
 * until its last connection closes.
 */
#ifndef RW_TLS_H
#define RW_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

/** The files of a context, and how the user named each of them in errors
 *  ("tls.cert_file" in the config file, "--tls-cert" on the command line). */
struct tls_files {
	const char *cert_file; /* PEM: the server certificate first, then its chain */
	const char *key_file;  /* PEM: its private key, not encrypted */
	const char *cert_name;
	const char *key_name;
};

/** What the log and /metrics say of a context's certificate. */
struct tls_cert_info {
	char serial[80];     /* hex, as `openssl x509 -serial` prints it */
	char subject[256];   /* one line, RFC 2253 */
	int64_t not_after_s; /* Unix seconds */
};

/**
 * Builds a server context from @p f's files, read now.
 * @param out   receives the context (the caller's: SSL_CTX_free()).
 * @param info  filled from the certificate; may be NULL.
 * @param err   on failure one line naming the key and the file, e.g.
 *              "tls.key_file: /etc/runwarden/key.pem: does not match the
 *              certificate of tls.cert_file"; never a byte of the key.
 * @return 0, RW_ENOENT (a file cannot be read), RW_EINVAL (not a usable
 *         certificate or key), RW_ENOMEM.
 */
int tls_ctx_load(SSL_CTX **out, const struct tls_files *f, struct tls_cert_info *info, char *err,
                 size_t errlen);

#endif
