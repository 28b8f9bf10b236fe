/* SPDX-License-Identifier: MIT */
/*
 * tls.c — the listener's TLS context; see tls.h.
 *
 * What a context allows, and why:
 * - TLS 1.2 and 1.3 only (SSL_CTX_set_min_proto_version): 1.0 and 1.1 are
 *   deprecated (RFC 8996), and a client that offers only them fails the
 *   handshake.
 * - No compression (CRIME) and no renegotiation: h2o reports a
 *   renegotiation as an error anyway (lib/common/socket.c, decode_ssl_input).
 * - ALPN offers "http/1.1" only: the gate (gate.c) hands every connection
 *   to h2o's HTTP/1 parser after reading its request head, and an HTTP/2
 *   connection would bypass the 16 KiB cap on heads (h2o buffers HTTP/2
 *   header blocks up to H2O_MAX_REQLEN). A client that offers only h2 gets
 *   no ALPN answer and, as RFC 7301 lets it, speaks HTTP/1.1 or gives up.
 * - A key protected by a passphrase is refused with a clear line: a daemon
 *   cannot prompt for it, and OpenSSL's default would read the terminal.
 * - The session cache is the context's own: a renewed certificate starts
 *   a new one, so no session outlives the certificate it was made with.
 * - Quiet shutdown: closing a connection sends no close_notify. A
 *   workaround: h2o 2.2 closes a TLS socket by writing close_notify and
 *   disposing of the socket in that write's callback (lib/common/socket.c,
 *   shutdown_ssl), but it ignores what uv_write() returns
 *   (socket/uv-binding.c.h, do_write), and libuv refuses at once to write
 *   on a stream whose read has failed (a peer that reset the connection):
 *   the callback never runs and the connection is never closed, one leak
 *   per reset that counts against max_connections (a client that resets
 *   after its handshake showed it). Without close_notify h2o disposes of
 *   the socket at once. Nothing is lost to the client: every answer is
 *   delimited by Content-Length or chunked encoding, so a truncated one is
 *   still seen as truncated.
 */
#include "monitor/api/tls.h"

#include <errno.h>
#include <h2o.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy/base/rw_error.h"

/* ALPN: HTTP/1.1 only (see the file header). */
static const h2o_iovec_t alpn_protocols[] = {{H2O_STRLIT("http/1.1")}, {NULL, 0}};

/* The reason of OpenSSL's latest error, and the queue cleared. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_error(); /* the first: the cause */
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

/* Never prompts: a key with a passphrase fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *data)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)data;
	return 0;
}

/* Whether @p path can be opened for reading; else @p err says why. */
static int readable(const char *name, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");

	if (!fp) {
		snprintf(err, errlen, "%s: %s: cannot read: %s", name, path, strerror(errno));
		return RW_ENOENT;
	}
	fclose(fp);
	return 0;
}

static void describe(SSL_CTX *ctx, struct tls_cert_info *info)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	struct tm tm;

	memset(info, 0, sizeof(*info));
	if (!x)
		return;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(info->serial, sizeof(info->serial), "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	X509_NAME_oneline(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		info->not_after_s = (int64_t)timegm(&tm);
}

int tls_ctx_load(SSL_CTX **out, const struct tls_files *f, struct tls_cert_info *info, char *err,
                 size_t errlen)
{
	SSL_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	BIO *bio;
	int rc;

	*out = NULL;
	ERR_clear_error();
	rc = readable(f->cert_name, f->cert_file, err, errlen);
	if (rc == 0)
		rc = readable(f->key_name, f->key_file, err, errlen);
	if (rc < 0)
		return rc;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS: cannot make a context: %s", ssl_reason());
		return RW_ENOMEM;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, errlen, "TLS: cannot require TLS 1.2: %s", ssl_reason());
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_quiet_shutdown(ctx, 1); /* see the file header */
	if (SSL_CTX_use_certificate_chain_file(ctx, f->cert_file) != 1) {
		snprintf(err, errlen, "%s: %s: not a PEM certificate chain: %s", f->cert_name,
		         f->cert_file, ssl_reason());
		goto fail;
	}
	/* The key is read apart, so that a key that does not parse and one
	 * that is not the certificate's get different lines. */
	bio = BIO_new_file(f->key_file, "rb");
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!pkey) {
		snprintf(err, errlen, "%s: %s: not a PEM private key without a passphrase: %s",
		         f->key_name, f->key_file, ssl_reason());
		goto fail;
	}
	if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), pkey) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: %s: does not match the certificate of %s (%s)",
		         f->key_name, f->key_file, f->cert_name, f->cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: %s: cannot use the key: %s", f->key_name, f->key_file,
		         ssl_reason());
		goto fail;
	}
	EVP_PKEY_free(pkey);
	pkey = NULL;
	h2o_ssl_register_alpn_protocols(ctx, alpn_protocols);
	if (info)
		describe(ctx, info);
	*out = ctx;
	return 0;
fail:
	EVP_PKEY_free(pkey);
	SSL_CTX_free(ctx);
	return RW_EINVAL;
}
