/* SPDX-License-Identifier: Apache-2.0 */
/* ipvsr-testbackend - HTTP/HTTPS test backend for the ipvs-router test lab.
 *
 * Answers every request with 200 and a body naming itself ("NAME\n"), on any
 * number of HTTP and HTTPS listeners (IPv4 or IPv6).  Fault modes can be
 * switched at runtime through a tiny line-based admin listener, or through a
 * control file (reread on change and on SIGUSR1).  Single-threaded, libev,
 * every socket non-blocking: a hung client can never stall the others.
 * See tests/backend/README.md for the modes and the admin protocol.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS 900          /* below the usual RLIMIT_NOFILE of 1024 */
#define IN_MAX 8192            /* request head limit */
#define BODY_MAX 1024
#define IDLE_TIMEOUT 30.0      /* default of --idle-timeout: handshake/request must complete within this */
static double g_idle_timeout = IDLE_TIMEOUT;
#define LINGER_TIMEOUT 2.0     /* after the response: wait this long for the client's FIN */
#define RESET_DELAY 0.05       /* reset mode: let the partial response leave first */
#define RESET_PARTIAL 20       /* reset mode: bytes of the response sent before the RST */

/* ------------------------------------------------------------------ modes */
enum mode_kind { M_OK, M_REFUSE, M_HANG, M_SLOW, M_STATUS, M_RESET, M_BODY, M_TLS_STALL, M_HEADERS,
		 M_KA_CLOSE, M_HANG_SECOND };

#define HEADERS_CHUNK 65536   /* headers mode: generated and sent this much at a time */

struct mode {
	enum mode_kind kind;
	int ms;              /* slow */
	int status;          /* status */
	long mb;             /* headers: megabytes of header lines */
	char body[BODY_MAX]; /* body */
};

static int mode_parse(const char *s, struct mode *m)
{
	char *end;
	long v;

	memset(m, 0, sizeof(*m));
	if (!strcmp(s, "ok")) {
		m->kind = M_OK;
	} else if (!strcmp(s, "refuse")) {
		m->kind = M_REFUSE;
	} else if (!strcmp(s, "hang")) {
		m->kind = M_HANG;
	} else if (!strcmp(s, "reset")) {
		m->kind = M_RESET;
	} else if (!strcmp(s, "tls-stall")) {
		m->kind = M_TLS_STALL;
	} else if (!strcmp(s, "keepalive-close")) {
		m->kind = M_KA_CLOSE;
	} else if (!strcmp(s, "hang-second")) {
		m->kind = M_HANG_SECOND;
	} else if (!strncmp(s, "slow:", 5)) {
		errno = 0;
		v = strtol(s + 5, &end, 10);
		if (errno || end == s + 5 || *end || v < 0 || v > 3600 * 1000)
			return -1;
		m->kind = M_SLOW;
		m->ms = (int)v;
	} else if (!strncmp(s, "status:", 7)) {
		errno = 0;
		v = strtol(s + 7, &end, 10);
		if (errno || end == s + 7 || *end || v < 100 || v > 599)
			return -1;
		m->kind = M_STATUS;
		m->status = (int)v;
	} else if (!strncmp(s, "headers:", 8)) {
		/* an endless-looking head: MB megabytes of header lines, generated as sent */
		errno = 0;
		v = strtol(s + 8, &end, 10);
		if (errno || end == s + 8 || *end || v < 1 || v > 1024 * 1024)
			return -1;
		m->kind = M_HEADERS;
		m->mb = v;
	} else if (!strncmp(s, "body:", 5)) {
		if (strlen(s + 5) >= sizeof(m->body))
			return -1;
		m->kind = M_BODY;
		strcpy(m->body, s + 5);
	} else {
		return -1;
	}
	return 0;
}

static void mode_format(const struct mode *m, char *buf, size_t len)
{
	switch (m->kind) {
	case M_OK: snprintf(buf, len, "ok"); break;
	case M_REFUSE: snprintf(buf, len, "refuse"); break;
	case M_HANG: snprintf(buf, len, "hang"); break;
	case M_RESET: snprintf(buf, len, "reset"); break;
	case M_TLS_STALL: snprintf(buf, len, "tls-stall"); break;
	case M_KA_CLOSE: snprintf(buf, len, "keepalive-close"); break;
	case M_HANG_SECOND: snprintf(buf, len, "hang-second"); break;
	case M_SLOW: snprintf(buf, len, "slow:%d", m->ms); break;
	case M_STATUS: snprintf(buf, len, "status:%d", m->status); break;
	case M_BODY: snprintf(buf, len, "body:%s", m->body); break;
	case M_HEADERS: snprintf(buf, len, "headers:%ld", m->mb); break;
	}
}

/* ------------------------------------------------------------------ state */
enum lkind { L_HTTP, L_HTTPS, L_ADMIN };
static const char *const lkind_name[] = { "http", "https", "admin" };

struct listener {
	ev_io io;
	enum lkind kind;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[INET6_ADDRSTRLEN + 8];
	struct listener *next;
};

enum cstate {
	C_HANDSHAKE, /* TLS handshake in progress */
	C_READ,      /* reading the request head (or the admin command line) */
	C_DELAY,     /* slow mode: response ready, timer running */
	C_WRITE,     /* sending the response */
	C_HANG,      /* hang / tls-stall: read and discard until the peer goes away */
	C_RESET,     /* reset mode: partial response sent, RST when the timer fires */
	C_LINGER,    /* response sent, our FIN sent: drain until the peer's FIN */
};

struct conn {
	ev_io io;
	ev_timer timer;
	int fd;
	SSL *ssl;
	enum lkind kind;
	enum cstate state;
	struct mode mode; /* snapshot taken at accept time */
	char peer[INET6_ADDRSTRLEN + 8];
	char in[IN_MAX];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	unsigned long long hdr_left, hdr_sent; /* headers mode: still to generate, sent */
	int hdr_end;                           /* headers mode: the blank line is out */
	int keep;                              /* --keepalive: this response keeps the connection */
	unsigned served;                       /* requests answered on this connection */
	unsigned gen;                          /* g.gen when accepted */
	struct conn *prev, *next;
};

static struct {
	const char *name;
	const char *cert, *key, *control;
	SSL_CTX *ctx;
	struct mode mode;
	struct listener *listeners;
	struct conn *conns;
	int nconns;
	unsigned long requests;
	unsigned long accepted; /* HTTP and HTTPS connections accepted */
	int keepalive;		/* --keepalive */
	unsigned gen;		/* reloads and refusals: older connections are not kept */
	ev_timer rebind;
	ev_stat control_watch;
	struct ev_loop *loop;
} g = { .name = "backend" };

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", g.name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ------------------------------------------------------------------ addresses */
/* "PORT", "ADDR:PORT", "[V6ADDR]:PORT"; a bare PORT binds defhost. */
static int addr_parse(const char *arg, const char *defhost, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *p;
	char *end;
	long v;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (arg[0] == '[') {
		p = strchr(arg, ']');
		if (!p || p[1] != ':')
			return -1;
		hl = (size_t)(p - arg - 1);
		port = p + 2;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, arg + 1, hl);
		host[hl] = 0;
	} else if ((p = strrchr(arg, ':'))) {
		if (strchr(arg, ':') != p)
			return -1; /* IPv6 needs brackets */
		hl = (size_t)(p - arg);
		port = p + 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, arg, hl);
		host[hl] = 0;
	} else {
		port = arg;
		snprintf(host, sizeof(host), "%s", defhost);
	}
	errno = 0;
	v = strtol(port, &end, 10);
	if (errno || end == port || *end || v < 1 || v > 65535)
		return -1;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)v);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)v);
		*len = sizeof(*s6);
	} else {
		return -1;
	}
	return 0;
}

static void addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* ------------------------------------------------------------------ TLS */
static SSL_CTX *tls_load(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, g.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, g.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		unsigned long e = ERR_get_error();
		logmsg("cannot load cert %s / key %s: %s", g.cert, g.key,
		       e ? ERR_reason_error_string(e) : "?");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void close_idle_kept(const char *why);

static int tls_reload(void)
{
	SSL_CTX *ctx;

	if (!g.cert)
		return 0;
	ctx = tls_load();
	if (!ctx)
		return -1; /* keep the old one */
	SSL_CTX_free(g.ctx); /* live connections hold their own reference */
	g.ctx = ctx;	     /* new session ticket keys: old sessions are not resumed */
	logmsg("reloaded cert %s", g.cert);
	close_idle_kept("reload");
	return 0;
}

/* ------------------------------------------------------------------ connections */
static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void conn_step(struct conn *c);

static void conn_close(struct conn *c)
{
	if (c->mode.kind == M_HEADERS && c->kind != L_ADMIN && c->hdr_sent > 0 && !c->hdr_end)
		logmsg("%s http: headers mode: the peer left after %llu bytes of head", c->peer,
		       c->hdr_sent);
	ev_io_stop(g.loop, &c->io);
	ev_timer_stop(g.loop, &c->timer);
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);
	free(c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		g.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g.nconns--;
	free(c);
}

static void conn_want(struct conn *c, int events)
{
	if (ev_is_active(&c->io) && c->io.events == events)
		return;
	ev_io_stop(g.loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(g.loop, &c->io);
}

static void conn_timer(struct conn *c, double after)
{
	ev_timer_stop(g.loop, &c->timer);
	if (after >= 0) {
		ev_timer_set(&c->timer, after, 0.);
		ev_timer_start(g.loop, &c->timer);
	}
}

/* Result of one non-blocking read or write: >0 bytes, 0 EOF, -1 would block, -2 error. */
static ssize_t conn_io(struct conn *c, int writing, void *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		int r = writing ? SSL_write(c->ssl, buf, (int)len) : SSL_read(c->ssl, buf, (int)len);
		if (r > 0)
			return r;
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ: conn_want(c, EV_READ); return -1;
		case SSL_ERROR_WANT_WRITE: conn_want(c, EV_WRITE); return -1;
		case SSL_ERROR_ZERO_RETURN: return 0;
		default: ERR_clear_error(); return -2;
		}
	}
	n = writing ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len, 0);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		conn_want(c, writing ? EV_WRITE : EV_READ);
		return -1;
	}
	return -2;
}

/* Accept one connection; 0 when there was none to accept. */
static int conn_accept(int lfd, enum lkind kind)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct conn *c;
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
			logmsg("accept: %s", strerror(errno));
		return 0;
	}
	if (g.nconns >= MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		logmsg("too many connections, dropping one");
		close(fd);
		return 1;
	}
	c->fd = fd;
	c->kind = kind;
	c->mode = g.mode;
	c->gen = g.gen;
	if (kind != L_ADMIN)
		g.accepted++;
	addr_format(&ss, c->peer, sizeof(c->peer));
	ev_init(&c->io, conn_io_cb);
	c->io.data = c;
	ev_init(&c->timer, conn_timer_cb);
	c->timer.data = c;
	c->next = g.conns;
	if (g.conns)
		g.conns->prev = c;
	g.conns = c;
	g.nconns++;

	if (kind == L_HTTPS && c->mode.kind == M_TLS_STALL) {
		logmsg("%s https: tls-stall (no handshake)", c->peer);
		c->state = C_HANG; /* TCP is up; never speak TLS */
		conn_want(c, EV_READ);
		return 1;
	}
	if (kind == L_HTTPS) {
		if (!g.ctx || !(c->ssl = SSL_new(g.ctx)) || SSL_set_fd(c->ssl, fd) != 1) {
			logmsg("%s https: no TLS context", c->peer);
			conn_close(c);
			return 1;
		}
		SSL_set_accept_state(c->ssl);
		c->state = C_HANDSHAKE;
	} else {
		c->state = C_READ;
	}
	conn_timer(c, g_idle_timeout);
	conn_step(c);
	return 1;
}

static void conn_respond(struct conn *c, int status, const char *body, int head_only, int keep)
{
	const char *reason;
	size_t blen = strlen(body);
	int n;

	switch (status) {
	case 200: reason = "OK"; break;
	case 400: reason = "Bad Request"; break;
	case 404: reason = "Not Found"; break;
	case 431: reason = "Request Header Fields Too Large"; break;
	case 500: reason = "Internal Server Error"; break;
	case 502: reason = "Bad Gateway"; break;
	case 503: reason = "Service Unavailable"; break;
	case 504: reason = "Gateway Timeout"; break;
	default: reason = "Status"; break;
	}
	c->outlen = 256 + strlen(g.name) + blen;
	c->out = malloc(c->outlen);
	if (!c->out) {
		conn_close(c);
		return;
	}
	n = snprintf(c->out, c->outlen,
		     "HTTP/1.1 %d %s\r\nServer: ipvsr-testbackend\r\nX-Backend: %s\r\n"
		     "Content-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s",
		     status, reason, g.name, blen, keep ? "" : "Connection: close\r\n",
		     head_only ? "" : body);
	c->outlen = (size_t)n < c->outlen ? (size_t)n : c->outlen - 1;
	c->outoff = 0;
}

/*
 * --keepalive: an HTTP/1.1 request without "Connection: close" keeps the
 * connection (the mode then applies per request); otherwise every answer
 * says "Connection: close" and the connection ends.
 */
static int wants_keepalive(const struct conn *c)
{
	const char *eol = strstr(c->in, "\r\n"), *p;

	if (!g.keepalive || c->kind == L_ADMIN || c->gen != g.gen || !eol || eol - c->in < 8 ||
	    strncmp(eol - 8, "HTTP/1.1", 8) != 0)
		return 0;
	for (p = eol; (p = strcasestr(p, "\nconnection:")) != NULL; p++) {
		const char *v = p + 12, *e = strchr(v, '\r');
		char val[64];
		size_t n = e ? (size_t)(e - v) : strlen(v);

		if (n >= sizeof(val))
			n = sizeof(val) - 1;
		memcpy(val, v, n);
		val[n] = 0;
		if (strcasestr(val, "close"))
			return 0;
	}
	return 1;
}

/* Kept connections waiting for a next request (a restart or reload closes them, as
 * nginx's old workers do with their idle keep-alive connections). */
static void close_idle_kept(const char *why)
{
	struct conn *c, *next;
	int n = 0;

	g.gen++; /* connections busy now close after their answer */
	for (c = g.conns; c; c = next) {
		next = c->next;
		if (c->kind != L_ADMIN && c->state == C_READ && c->served > 0 && c->inlen == 0) {
			conn_close(c);
			n++;
		}
	}
	if (n > 0)
		logmsg("%s: closed %d idle kept-alive connection(s)", why, n);
}

/* The request head is complete: decide by the mode snapshot. */
static void conn_request(struct conn *c)
{
	char line[160], body[BODY_MAX + 2], mode[BODY_MAX + 16];
	size_t ll = strcspn(c->in, "\r\n");
	int head = !strncmp(c->in, "HEAD ", 5);
	const struct mode *m = &c->mode;

	if (ll >= sizeof(line))
		ll = sizeof(line) - 1;
	memcpy(line, c->in, ll);
	line[ll] = 0;
	g.requests++;
	if (c->served > 0)
		c->mode = g.mode; /* a kept connection: the mode of each request */
	c->keep = wants_keepalive(c);
	if (c->served > 0 && (m->kind == M_TLS_STALL || m->kind == M_HANG_SECOND))
		c->state = C_HANG; /* its handshake was long done: never answer */
	mode_format(m, mode, sizeof(mode));
	logmsg("%s %s \"%s\" mode=%s", c->peer, lkind_name[c->kind], line, mode);

	ev_io_stop(g.loop, &c->io);
	conn_timer(c, -1);
	if (m->kind == M_HANG || c->state == C_HANG) {
		c->state = C_HANG;
		conn_want(c, EV_READ);
		return;
	}
	if (m->kind == M_HEADERS) {
		c->out = malloc(HEADERS_CHUNK);
		if (!c->out) {
			conn_close(c);
			return;
		}
		c->outlen = (size_t)snprintf(c->out, HEADERS_CHUNK,
		    "HTTP/1.1 200 OK\r\nServer: ipvsr-testbackend\r\nX-Backend: %s\r\n", g.name);
		c->outoff = 0;
		c->hdr_left = (unsigned long long)m->mb << 20;
		c->state = C_WRITE;
		conn_step(c);
		return;
	}
	snprintf(body, sizeof(body), "%s\n", m->kind == M_BODY ? m->body : g.name);
	conn_respond(c, m->kind == M_STATUS ? m->status : 200, body, head, c->keep);
	if (!c->out)
		return;
	if (m->kind == M_RESET && c->outlen > RESET_PARTIAL)
		c->outlen = RESET_PARTIAL;
	if (m->kind == M_SLOW && m->ms > 0) {
		c->state = C_DELAY;
		conn_timer(c, m->ms / 1000.0);
		return;
	}
	c->state = C_WRITE;
	conn_step(c);
}

/* One admin command per connection; the reply is one line. */
static int set_mode(const struct mode *m);

static void admin_command(struct conn *c)
{
	char reply[BODY_MAX + 96], cur[BODY_MAX + 16];
	char *cmd = c->in;
	struct mode m;

	cmd[strcspn(cmd, "\r\n")] = 0;
	if (!strcmp(cmd, "get")) {
		mode_format(&g.mode, cur, sizeof(cur));
		snprintf(reply, sizeof(reply), "%s\n", cur);
	} else if (!strcmp(cmd, "count")) {
		snprintf(reply, sizeof(reply), "%lu\n", g.requests);
	} else if (!strcmp(cmd, "accepted")) {
		snprintf(reply, sizeof(reply), "%lu\n", g.accepted);
	} else if (!strcmp(cmd, "reload")) {
		snprintf(reply, sizeof(reply), "%s\n", tls_reload() ? "error: reload failed" : "ok reload");
	} else if (mode_parse(cmd, &m) == 0) {
		int r = set_mode(&m);
		struct timespec ts;

		/* when the mode took effect, on the wall clock the lab's timings use */
		clock_gettime(CLOCK_REALTIME, &ts);
		mode_format(&g.mode, cur, sizeof(cur));
		if (r)
			snprintf(reply, sizeof(reply), "error: cannot reopen listeners (retrying), mode %s\n", cur);
		else
			snprintf(reply, sizeof(reply), "ok %s at=%lld\n", cur,
				 (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	} else {
		snprintf(reply, sizeof(reply), "error: unknown command or mode\n");
	}
	c->outlen = strlen(reply);
	c->out = strdup(reply);
	if (!c->out) {
		conn_close(c);
		return;
	}
	c->state = C_WRITE;
	conn_step(c);
}

/* Response fully sent: send our FIN (TLS close_notify first), then drain until the
 * client's FIN, so unread request bytes never turn our close into an RST. */
static void conn_finish(struct conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	conn_timer(c, LINGER_TIMEOUT);
	conn_want(c, EV_READ);
}

/* Headers mode: the next chunk of header lines, or the blank line that ends
 * the head once hdr_left is used up (then 0 when that too was sent). */
static int headers_refill(struct conn *c)
{
	size_t n = 0, k;

	if (c->hdr_left == 0) {
		if (c->hdr_end) {
			logmsg("%s http: headers mode: %llu bytes of head sent", c->peer, c->hdr_sent);
			return 0;
		}
		c->hdr_end = 1;
		memcpy(c->out, "\r\n", 2);
		c->outlen = 2;
		c->outoff = 0;
		return 1;
	}
	while (n + 80 <= HEADERS_CHUNK && c->hdr_left > 0) {
		k = (size_t)snprintf(c->out + n, 80, "X-Junk-%07llu: %s\r\n", c->hdr_sent / 64 % 10000000,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		n += k;
		c->hdr_left = c->hdr_left > k ? c->hdr_left - k : 0;
	}
	c->outlen = n;
	c->outoff = 0;
	return 1;
}

static void conn_step(struct conn *c)
{
	char junk[4096];
	ssize_t n;
	int r;

	for (;;) {
		switch (c->state) {
		case C_HANDSHAKE:
			r = SSL_accept(c->ssl);
			if (r == 1) {
				c->state = C_READ;
				continue;
			}
			switch (SSL_get_error(c->ssl, r)) {
			case SSL_ERROR_WANT_READ: conn_want(c, EV_READ); return;
			case SSL_ERROR_WANT_WRITE: conn_want(c, EV_WRITE); return;
			default: {
				unsigned long e = ERR_get_error();
				logmsg("%s https: handshake failed: %s", c->peer,
				       e ? ERR_reason_error_string(e) : "connection closed");
				ERR_clear_error();
				conn_close(c);
				return;
			}
			}
		case C_READ:
			if (c->inlen >= sizeof(c->in) - 1) {
				if (c->kind == L_ADMIN) {
					conn_close(c);
					return;
				}
				conn_respond(c, 431, "request head too large\n", 0, 0);
				if (!c->out)
					return;
				c->state = C_WRITE;
				continue;
			}
			n = conn_io(c, 0, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
			if (n == -1)
				return;
			if (n <= 0) {
				conn_close(c);
				return;
			}
			c->inlen += (size_t)n;
			c->in[c->inlen] = 0;
			if (c->kind == L_ADMIN) {
				if (strchr(c->in, '\n')) {
					admin_command(c);
					return;
				}
			} else if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
				conn_request(c);
				return;
			}
			continue;
		case C_WRITE:
			if (c->outoff < c->outlen) {
				n = conn_io(c, 1, c->out + c->outoff, c->outlen - c->outoff);
				if (n == -1)
					return;
				if (n <= 0) {
					conn_close(c);
					return;
				}
				c->outoff += (size_t)n;
				c->hdr_sent += (unsigned long long)n;
				continue;
			}
			if (c->mode.kind == M_HEADERS && c->kind != L_ADMIN && headers_refill(c))
				continue;
			if (c->keep && c->mode.kind != M_RESET && c->mode.kind != M_KA_CLOSE) {
				/* keep-alive: wait for the next request */
				free(c->out);
				c->out = NULL;
				c->outlen = c->outoff = 0;
				c->inlen = 0;
				c->served++;
				c->state = C_READ;
				conn_timer(c, g_idle_timeout);
				conn_want(c, EV_READ);
				continue;
			}
			if (c->mode.kind == M_RESET && c->kind != L_ADMIN) {
				c->state = C_RESET;
				ev_io_stop(g.loop, &c->io);
				conn_timer(c, RESET_DELAY);
				return;
			}
			conn_finish(c);
			return;
		case C_HANG:
		case C_LINGER:
			/* read and discard; a TLS peer may need writes (key updates) too */
			if (c->state == C_HANG && !c->ssl) {
				n = recv(c->fd, junk, sizeof(junk), 0);
				if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
					conn_want(c, EV_READ);
					return;
				}
			} else if (c->ssl && c->state == C_HANG) {
				n = conn_io(c, 0, junk, sizeof(junk));
				if (n == -1)
					return;
			} else {
				n = recv(c->fd, junk, sizeof(junk), 0); /* linger: raw bytes, TLS is done */
				if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
					conn_want(c, EV_READ);
					return;
				}
			}
			if (n <= 0) {
				conn_close(c);
				return;
			}
			continue;
		case C_DELAY:
		case C_RESET:
			return; /* the timer moves on */
		}
	}
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	conn_step(w->data);
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)loop, (void)revents;

	switch (c->state) {
	case C_DELAY:
		c->state = C_WRITE;
		conn_step(c);
		break;
	case C_RESET: /* close with SO_LINGER 0: the kernel sends RST */
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		logmsg("%s %s: reset after %zu bytes", c->peer, lkind_name[c->kind], c->outoff);
		conn_close(c);
		break;
	case C_LINGER:
		conn_close(c);
		break;
	default:
		logmsg("%s %s: idle timeout", c->peer, lkind_name[c->kind]);
		conn_close(c);
		break;
	}
}

/* ------------------------------------------------------------------ listeners */
static void listener_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	int i;

	(void)loop, (void)revents;

	for (i = 0; i < 64; i++) /* bounded: other listeners get their turn */
		if (!conn_accept(w->fd, l->kind))
			break;
}

static int listener_open(struct listener *l)
{
	int one = 1, fd;

	fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* bind before the address exists (VIPs, tentative IPv6 addresses) */
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	if (l->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&l->ss, l->sslen) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	ev_io_init(&l->io, listener_cb, fd, EV_READ);
	l->io.data = l;
	ev_io_start(g.loop, &l->io);
	return 0;
}

static void listener_close(struct listener *l)
{
	if (!ev_is_active(&l->io))
		return;
	ev_io_stop(g.loop, &l->io);
	close(l->io.fd);
	l->io.fd = -1;
}

/* Reopen closed service listeners; 0 when all are open. */
static int listeners_reopen(void)
{
	int failed = 0;

	for (struct listener *l = g.listeners; l; l = l->next) {
		if (ev_is_active(&l->io))
			continue;
		if (listener_open(l) < 0) {
			logmsg("cannot reopen %s %s: %s", lkind_name[l->kind], l->text, strerror(errno));
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

static void rebind_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	if (g.mode.kind == M_REFUSE || listeners_reopen() == 0)
		ev_timer_stop(loop, w);
}

static int set_mode(const struct mode *m)
{
	char buf[BODY_MAX + 16];
	int r = 0;

	g.mode = *m;
	mode_format(m, buf, sizeof(buf));
	logmsg("mode %s", buf);
	if (m->kind == M_REFUSE) {
		for (struct listener *l = g.listeners; l; l = l->next)
			if (l->kind != L_ADMIN)
				listener_close(l);
		close_idle_kept("refuse");
	} else if (listeners_reopen() < 0) {
		ev_timer_again(g.loop, &g.rebind); /* retried every 200 ms */
		r = -1;
	}
	return r;
}

/* ------------------------------------------------------------------ control file */
static void control_read(void)
{
	char buf[BODY_MAX + 16], cur[BODY_MAX + 16];
	struct mode m;
	FILE *f;
	size_t n;

	if (!g.control || !(f = fopen(g.control, "r")))
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	if (!buf[0])
		return; /* empty, or caught between truncate and write: keep the mode */
	mode_format(&g.mode, cur, sizeof(cur));
	if (!strcmp(buf, cur))
		return;
	if (mode_parse(buf, &m) < 0) {
		logmsg("control file %s: bad mode \"%s\" (ignored)", g.control, buf);
		return;
	}
	set_mode(&m);
}

static void control_stat_cb(struct ev_loop *loop, ev_stat *w, int revents)
{
	(void)loop, (void)w, (void)revents;
	control_read();
}

/* ------------------------------------------------------------------ main */
static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	switch (w->signum) {
	case SIGHUP: tls_reload(); break;
	case SIGUSR1: control_read(); break;
	default: ev_break(loop, EVBREAK_ALL); break;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipvsr-testbackend [options]\n"
		"  --name NAME          body of every answer is \"NAME\\n\" (default: backend)\n"
		"  --http ADDR          serve HTTP on ADDR (repeatable)\n"
		"  --https ADDR         serve HTTPS on ADDR (repeatable; needs --cert and --key)\n"
		"  --cert FILE          PEM certificate (chain) for HTTPS; reread on SIGHUP\n"
		"  --key FILE           PEM private key for HTTPS\n"
		"  --admin ADDR         line-based admin listener (bare PORT binds 127.0.0.1)\n"
		"  --control FILE       read the mode from FILE at start, when it changes, on SIGUSR1\n"
		"  --mode MODE          initial mode (default ok)\n"
		"  --idle-timeout S     seconds a connection may take to send its request (default 30)\n"
		"  --keepalive          keep HTTP/1.1 connections that do not ask for close\n"
		"  --help               this text\n"
		"ADDR is PORT (all IPv4 addresses), IPV4:PORT or [IPV6]:PORT.\n"
		"MODE: ok | refuse | hang | slow:MS | status:CODE | reset | body:TEXT | tls-stall\n"
		"      | headers:MB (a head of MB megabytes of header lines, sent as fast as read)\n"
		"      | keepalive-close (answer as if keeping the connection, then close it)\n"
		"      | hang-second (answer the first request of a connection, hang on later ones)\n"
		"Admin commands (one line per connection, one line back): a MODE, get, count,\n"
		"accepted, reload.\n"
		"Signals: TERM/INT exit, HUP reloads the certificate, USR1 rereads --control.\n");
}

static void add_listener(enum lkind kind, const char *arg)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l || addr_parse(arg, kind == L_ADMIN ? "127.0.0.1" : "0.0.0.0", &l->ss, &l->sslen) < 0) {
		fprintf(stderr, "ipvsr-testbackend: bad address \"%s\" (PORT, IPV4:PORT or [IPV6]:PORT)\n", arg);
		exit(2);
	}
	l->kind = kind;
	l->io.fd = -1;
	addr_format(&l->ss, l->text, sizeof(l->text));
	l->next = g.listeners;
	g.listeners = l;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },  { "http", required_argument, NULL, 'H' },
		{ "https", required_argument, NULL, 'S' }, { "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },   { "admin", required_argument, NULL, 'a' },
		{ "control", required_argument, NULL, 'f' }, { "mode", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "keepalive", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *initial = "ok";
	int o, have_https = 0, have_service = 0;
	ev_signal sigs[5];
	static const int signums[5] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGQUIT };
	struct mode m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'n': g.name = optarg; break;
		case 'K': g.keepalive = 1; break;
		case 'H': add_listener(L_HTTP, optarg); have_service = 1; break;
		case 'S': add_listener(L_HTTPS, optarg); have_service = have_https = 1; break;
		case 'c': g.cert = optarg; break;
		case 'k': g.key = optarg; break;
		case 'a': add_listener(L_ADMIN, optarg); break;
		case 'f': g.control = optarg; break;
		case 'm': initial = optarg; break;
		case 'i':
			g_idle_timeout = atof(optarg);
			if (g_idle_timeout <= 0) {
				fprintf(stderr, "ipvsr-testbackend: --idle-timeout: seconds > 0\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !have_service) {
		fprintf(stderr, "ipvsr-testbackend: %s\n",
			optind < argc ? "unexpected argument" : "give at least one --http or --https");
		usage(stderr);
		return 2;
	}
	if (mode_parse(initial, &m) < 0) {
		fprintf(stderr, "ipvsr-testbackend: bad --mode \"%s\"\n", initial);
		return 2;
	}
	if (have_https && (!g.cert || !g.key)) {
		fprintf(stderr, "ipvsr-testbackend: --https needs --cert and --key\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	g.loop = ev_default_loop(EVFLAG_AUTO);
	if (have_https && !(g.ctx = tls_load()))
		return 1;

	for (struct listener *l = g.listeners; l; l = l->next) {
		if (listener_open(l) < 0) {
			fprintf(stderr, "ipvsr-testbackend: cannot listen on %s %s: %s\n", lkind_name[l->kind],
				l->text, strerror(errno));
			return 1;
		}
		logmsg("listening %s %s", lkind_name[l->kind], l->text);
	}
	ev_init(&g.rebind, rebind_cb);
	g.rebind.repeat = 0.2;
	set_mode(&m);
	if (g.control) {
		control_read();
		ev_stat_init(&g.control_watch, control_stat_cb, g.control, 0.1);
		ev_stat_start(g.loop, &g.control_watch);
	}
	for (int i = 0; i < 5; i++) {
		ev_signal_init(&sigs[i], signal_cb, signums[i]);
		ev_signal_start(g.loop, &sigs[i]);
	}
	ev_run(g.loop, 0);

	while (g.conns)
		conn_close(g.conns);
	for (struct listener *l = g.listeners, *n; l; l = n) {
		n = l->next;
		listener_close(l);
		free(l);
	}
	SSL_CTX_free(g.ctx);
	logmsg("exiting");
	return 0;
}
