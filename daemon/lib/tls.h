/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.h - non-blocking TLS client connections over OpenSSL.
 *
 * Edge module, used by check_http (and later the AWS client).  Contexts
 * are shared: one SSL_CTX per distinct (verify, CA file, client
 * certificate, client key), loaded once when a configuration is applied,
 * never while a probe runs.  Verification is on unless the caller says
 * otherwise: the chain against the CA file (or the system store) and the
 * peer's name or IP address (X509_VERIFY_PARAM_set1_host / set1_ip_asc).
 *
 * The I/O calls never block: they return TLS_WANT_READ / TLS_WANT_WRITE
 * and the caller waits for that readiness on the socket and calls again.
 */
#ifndef IPVSR_TLS_H
#define IPVSR_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_ctx;
struct tls_conn;
struct tls_session; /* an SSL_SESSION: what resumes a session with the same server */

struct tls_ctx_conf {
	bool verify;
	const char *ca_file;	 /* NULL: the system store */
	const char *client_cert; /* NULL: no client certificate */
	const char *client_key;
};

/*
 * A shared context for `conf`: an existing one (its reference count
 * raised) or a new one.  Returns 0 and *out, or a negative errno with a
 * one-line reason in err ("ca_file /x: No such file or directory", ...).
 */
int tls_ctx_get(const struct tls_ctx_conf *conf, struct tls_ctx **out, char *err, size_t errlen);

/* Drop a reference; the last one frees the context.  NULL-safe. */
void tls_ctx_put(struct tls_ctx *ctx);

/* Number of live contexts (tests: "one per distinct configuration"). */
size_t tls_ctx_count(void);

enum tls_rc {
	TLS_OK = 0,	/* done (handshake complete, or *n bytes moved) */
	TLS_WANT_READ,	/* call again when the socket is readable */
	TLS_WANT_WRITE, /* call again when the socket is writable */
	TLS_EOF,	/* read: the peer closed (cleanly or not) */
	TLS_ERROR,	/* failed: see tls_conn_error() */
};

enum tls_err {
	TLS_E_NONE = 0,
	TLS_E_VERIFY,	/* the peer's certificate was refused */
	TLS_E_PROTOCOL, /* handshake or record failure (alert, bad version, ...) */
	TLS_E_RESET,	/* connection reset (errno ECONNRESET) */
	TLS_E_CLOSED,	/* the peer closed during the handshake */
	TLS_E_SYSCALL,	/* another socket error: errno in tls_conn_error() */
};

/*
 * A client connection on the connected, non-blocking socket `fd` (not
 * owned: the caller closes it after tls_conn_free).  sni: the server name
 * to send, NULL for none.  peer_name: what the certificate must be for, a
 * DNS name or an IP address literal; NULL with verify on means "the chain
 * only".  Returns NULL only when OpenSSL cannot allocate.
 */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const char *sni, const char *peer_name);

/* Free the connection (no close_notify is sent: a probe ends with RST).  NULL-safe. */
void tls_conn_free(struct tls_conn *c);

/*
 * Session resumption.  Before the handshake, offer `s` (a session this
 * caller took from an earlier connection to the same server; NULL: none);
 * the server may accept it (no certificate is sent or verified then: the
 * session was verified when it was made) or make a new one.  After reads,
 * tls_conn_take_session hands over the newest resumable session the
 * server gave (TLS 1.3 sends them after the handshake; NULL when none came
 * since the last take).  Returns 0 or -EINVAL (an unusable session).
 */
int tls_conn_set_session(struct tls_conn *c, struct tls_session *s);
struct tls_session *tls_conn_take_session(struct tls_conn *c);
/* The handshake resumed a session (abbreviated: no certificate verified). */
bool tls_conn_resumed(const struct tls_conn *c);
/* NULL-safe. */
void tls_session_free(struct tls_session *s);

enum tls_rc tls_conn_handshake(struct tls_conn *c);
/* Read up to len bytes: TLS_OK with *n > 0, TLS_EOF, WANT_* or TLS_ERROR. */
enum tls_rc tls_conn_read(struct tls_conn *c, void *buf, size_t len, size_t *n);
/* Write up to len bytes: TLS_OK with *n > 0 (maybe less than len), WANT_* or TLS_ERROR. */
enum tls_rc tls_conn_write(struct tls_conn *c, const void *buf, size_t len, size_t *n);

/*
 * After TLS_ERROR: what went wrong, with a short text ("certificate has
 * expired", "tlsv1 alert unknown ca", ...) and, for TLS_E_SYSCALL, the errno.
 */
enum tls_err tls_conn_error(const struct tls_conn *c, char *text, size_t len, int *errnum);

#endif
