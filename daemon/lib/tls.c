/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.c - OpenSSL client contexts and non-blocking connections.
 *
 * keepalived's SSL_GET never verifies the backend's certificate; we do by
 * default, so a check against a backend with an expired or foreign
 * certificate fails just as a client's connection would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	bool verify;
	char *ca_file, *client_cert, *client_key;
	int refs;
	struct tls_ctx *next;
};

struct tls_conn {
	SSL *ssl;
	SSL_SESSION *fresh; /* the newest session the server gave on this connection */
	enum tls_err err;
	int errnum;
	char text[96];
};

static bool is_ip_literal(const char *s);
static void last_ssl_error(char *buf, size_t len);
static enum tls_rc map_error(struct tls_conn *c, int ret, bool handshake);
static int ctx_setup(struct tls_ctx *t, char *err, size_t errlen);

static int new_session_cb(SSL *ssl, SSL_SESSION *sess);

static struct tls_ctx *contexts;
static int conn_index = -1; /* SSL ex_data slot: the struct tls_conn */

static bool
is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The reason of the most recent queued OpenSSL error, then clear the queue. */
static void
last_ssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else if (e != 0)
		snprintf(buf, len, "OpenSSL error %lx", e);
	else
		snprintf(buf, len, "unknown OpenSSL error");
	ERR_clear_error();
}

static int
ctx_setup(struct tls_ctx *t, char *err, size_t errlen)
{
	char why[128];
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		last_ssl_error(why, sizeof(why));
		snprintf(err, errlen, "cannot create a TLS context: %s", why);
		return -ENOMEM;
	}
	t->ssl_ctx = ctx;
	/*
	 * Partial writes and a movable buffer suit a non-blocking writer;
	 * released buffers keep an idle connection small.  A backend closing
	 * without close_notify after a close-delimited body is normal for
	 * health checks, not an attack: read it as EOF.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/*
	 * Sessions for resumption are kept by the caller, one per server (a
	 * context is shared by every server of a check definition): OpenSSL's
	 * own client cache is not used; each new session (TLS 1.3 sends its
	 * tickets after the handshake) is handed to the connection.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	if (t->verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (t->ca_file != NULL) {
			if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
				last_ssl_error(why, sizeof(why));
				snprintf(err, errlen, "ca_file %s: %s", t->ca_file, why);
				return -EINVAL;
			}
		} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
			last_ssl_error(why, sizeof(why));
			snprintf(err, errlen, "system CA store: %s", why);
			return -EINVAL;
		}
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (t->client_cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, t->client_cert) != 1) {
			last_ssl_error(why, sizeof(why));
			snprintf(err, errlen, "client_cert %s: %s", t->client_cert, why);
			return -EINVAL;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, t->client_key, SSL_FILETYPE_PEM) != 1) {
			last_ssl_error(why, sizeof(why));
			snprintf(err, errlen, "client_key %s: %s", t->client_key, why);
			return -EINVAL;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			last_ssl_error(why, sizeof(why));
			snprintf(err, errlen, "client_key %s does not match client_cert %s: %s",
			    t->client_key, t->client_cert, why);
			return -EINVAL;
		}
	}
	return 0;
}

int
tls_ctx_get(const struct tls_ctx_conf *conf, struct tls_ctx **out, char *err, size_t errlen)
{
	struct tls_ctx *t;
	int r;

	for (t = contexts; t != NULL; t = t->next) {
		if (t->verify == conf->verify && str_eq(t->ca_file, conf->ca_file) &&
		    str_eq(t->client_cert, conf->client_cert) &&
		    str_eq(t->client_key, conf->client_key)) {
			t->refs++;
			*out = t;
			return 0;
		}
	}
	t = xcalloc(1, sizeof(*t));
	t->verify = conf->verify;
	t->ca_file = xstrdup(conf->ca_file);
	t->client_cert = xstrdup(conf->client_cert);
	t->client_key = xstrdup(conf->client_key != NULL ? conf->client_key : conf->client_cert);
	ERR_clear_error();
	r = ctx_setup(t, err, errlen);
	if (r < 0) {
		SSL_CTX_free(t->ssl_ctx);
		free(t->ca_file);
		free(t->client_cert);
		free(t->client_key);
		free(t);
		return r;
	}
	t->refs = 1;
	t->next = contexts;
	contexts = t;
	*out = t;
	return 0;
}

void
tls_ctx_put(struct tls_ctx *ctx)
{
	struct tls_ctx **pp;

	if (ctx == NULL || --ctx->refs > 0)
		return;
	for (pp = &contexts; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	}
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx->ca_file);
	free(ctx->client_cert);
	free(ctx->client_key);
	free(ctx);
}

size_t
tls_ctx_count(void)
{
	struct tls_ctx *t;
	size_t n = 0;

	for (t = contexts; t != NULL; t = t->next)
		n++;
	return n;
}

/* ------------------------------------------------------------ connections */

/* A new session on a connection: keep the newest (returning 1 keeps the reference). */
static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_conn *c = conn_index >= 0 ? SSL_get_ex_data(ssl, conn_index) : NULL;

	if (c == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	SSL_SESSION_free(c->fresh);
	c->fresh = sess;
	return 1;
}

struct tls_conn *
tls_conn_new(struct tls_ctx *ctx, int fd, const char *sni, const char *peer_name)
{
	struct tls_conn *c;
	X509_VERIFY_PARAM *param;
	bool ok = true;

	ERR_clear_error();
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	c = xcalloc(1, sizeof(*c));
	c->ssl = SSL_new(ctx->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1 || conn_index < 0 ||
	    SSL_set_ex_data(c->ssl, conn_index, c) != 1) {
		tls_conn_free(c);
		ERR_clear_error();
		return NULL;
	}
	/* RFC 6066: SNI carries host names only, never address literals. */
	if (sni != NULL && !is_ip_literal(sni))
		ok = SSL_set_tlsext_host_name(c->ssl, sni) == 1;
	if (ok && ctx->verify && peer_name != NULL) {
		param = SSL_get0_param(c->ssl);
		if (is_ip_literal(peer_name)) {
			ok = X509_VERIFY_PARAM_set1_ip_asc(param, peer_name) == 1;
		} else {
			X509_VERIFY_PARAM_set_hostflags(
			    param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			ok = X509_VERIFY_PARAM_set1_host(param, peer_name, 0) == 1;
		}
	}
	if (!ok) {
		tls_conn_free(c);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_connect_state(c->ssl);
	return c;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	/*
	 * SSL_free of a connection not shut down marks its session "not
	 * resumable" (ssl_clear_bad_session) - the very session object handed
	 * to the caller for resumption.  Probes end every connection with an
	 * RST, never with close_notify, and say themselves which sessions to
	 * keep: tell OpenSSL the shutdown happened.
	 */
	if (c->ssl != NULL)
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN);
	SSL_free(c->ssl);
	SSL_SESSION_free(c->fresh);
	free(c);
}

int
tls_conn_set_session(struct tls_conn *c, struct tls_session *s)
{
	if (s == NULL)
		return 0;
	ERR_clear_error();
	if (SSL_set_session(c->ssl, (SSL_SESSION *)s) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}

struct tls_session *
tls_conn_take_session(struct tls_conn *c)
{
	SSL_SESSION *s = c->fresh;

	c->fresh = NULL;
	return (struct tls_session *)s;
}

bool
tls_conn_resumed(const struct tls_conn *c)
{
	return SSL_session_reused(c->ssl) == 1;
}

void
tls_session_free(struct tls_session *s)
{
	SSL_SESSION_free((SSL_SESSION *)s);
}

static enum tls_rc
map_error(struct tls_conn *c, int ret, bool handshake)
{
	int e = SSL_get_error(c->ssl, ret), saved = errno;
	long vr;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		if (!handshake)
			return TLS_EOF;
		c->err = TLS_E_CLOSED;
		snprintf(c->text, sizeof(c->text), "connection closed");
		return TLS_ERROR;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && (saved == 0 || ret == 0)) {
			ERR_clear_error();
			if (!handshake)
				return TLS_EOF;
			c->err = TLS_E_CLOSED;
			snprintf(c->text, sizeof(c->text), "connection closed");
			return TLS_ERROR;
		}
		ERR_clear_error();
		c->errnum = saved;
		c->err = saved == ECONNRESET ? TLS_E_RESET : TLS_E_SYSCALL;
		snprintf(c->text, sizeof(c->text), "%s", strerror(saved));
		return TLS_ERROR;
	default:
		vr = SSL_get_verify_result(c->ssl);
		if (handshake && vr != X509_V_OK) {
			c->err = TLS_E_VERIFY;
			snprintf(c->text, sizeof(c->text), "%s", X509_verify_cert_error_string(vr));
			ERR_clear_error();
			return TLS_ERROR;
		}
		if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			if (!handshake)
				return TLS_EOF;
			c->err = TLS_E_CLOSED;
			snprintf(c->text, sizeof(c->text), "connection closed");
			return TLS_ERROR;
		}
		c->err = TLS_E_PROTOCOL;
		last_ssl_error(c->text, sizeof(c->text));
		return TLS_ERROR;
	}
}

enum tls_rc
tls_conn_handshake(struct tls_conn *c)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	if (r == 1)
		return TLS_OK;
	return map_error(c, r, true);
}

enum tls_rc
tls_conn_read(struct tls_conn *c, void *buf, size_t len, size_t *n)
{
	int r;

	ERR_clear_error();
	errno = 0;
	*n = 0;
	r = SSL_read_ex(c->ssl, buf, len, n);
	if (r == 1)
		return TLS_OK;
	return map_error(c, r, false);
}

enum tls_rc
tls_conn_write(struct tls_conn *c, const void *buf, size_t len, size_t *n)
{
	int r;

	ERR_clear_error();
	errno = 0;
	*n = 0;
	r = SSL_write_ex(c->ssl, buf, len, n);
	if (r == 1)
		return TLS_OK;
	return map_error(c, r, false);
}

enum tls_err
tls_conn_error(const struct tls_conn *c, char *text, size_t len, int *errnum)
{
	if (text != NULL)
		snprintf(text, len, "%s", c->text);
	if (errnum != NULL)
		*errnum = c->errnum;
	return c->err;
}
