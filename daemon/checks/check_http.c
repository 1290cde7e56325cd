/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_http.c - the http and https probes.
 *
 * connect -> (TLS handshake) -> send the request -> read the response,
 * every step non-blocking and bounded by the probe's one deadline.  The
 * response goes through http.c's parser: the verdict is known as soon as
 * the status is (no body check) or the expected text has been seen.  The
 * body is searched as it streams by, never buffered.
 *
 * Connection reuse (check.reuse_connection, on by default): the request
 * asks for keep-alive, and a connection whose response ended within the
 * read that decided the verdict (nothing left over, no "Connection:
 * close", HTTP/1.1) is kept for the next run, which then costs a send and
 * a receive: no socket, no handshake, no epoll registration (the watcher
 * stays armed for reading between runs, so a server closing the idle
 * connection is noticed and the connection dropped).  A run that starts
 * on a kept connection and sees it fail in any way before a verdict
 * (reset, closed, garbage, or silent until the deadline) goes on at once
 * with a new connection and a whole timeout of its own: a broken kept
 * connection fails the check only when the new one fails too.  A
 * response too long for the deciding read is not drained: its connection
 * is closed, as without reuse.
 *
 * Two bounds keep a kept connection from vouching for what it no longer
 * tests: it is used for at most KEEP_MAX_US (a server that stopped
 * accepting connections but still answers on an old one is found within
 * that), and an https probe resumes its TLS session (no certificate sent,
 * none verified) only within TLS_REVERIFY_US of the last full handshake,
 * whose certificate was verified: a changed or expired certificate is seen
 * at the latest then, and at once whenever the server closes the
 * connection and refuses the session (as servers do with a new
 * certificate and ticket key).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "check.h"
#include "http.h"
#include "loop.h"
#include "tls.h"

/* Reads per readiness callback before yielding to the rest of the loop. */
#define READS_PER_WAKEUP 4

/* A kept connection is used for this long at most, then replaced. */
#define KEEP_MAX_US (60 * 1000000LL)

/* A TLS session is resumed only this long after its certificate was verified. */
#define TLS_REVERIFY_US (300 * 1000000LL)

/*
 * One per probe, from its first run to probe_free: the connection (kept
 * between runs when it can be), the TLS session, the request text, and
 * the state of the run in flight (one at a time).
 */
struct http_state {
	ev_io io; /* first: the watcher's address is the state's; fd -1: no connection */
	struct probe *probe;
	struct tls_conn *tls;
	struct tls_session *session; /* to resume with this server */
	int64_t verified_us;	     /* the last full handshake (certificate verified) */
	int64_t opened_us;	     /* the connection's */
	char *own_req;		     /* the request when Host is the target: formatted once */
	size_t own_req_len;
	char *carry; /* body search: 2 * nlen bytes of scratch */
	/* the run */
	bool running;
	bool reused;  /* this attempt runs on a kept connection */
	bool retried; /* the kept connection failed: this is the new one */
	bool decided; /* result filled in by a parser callback */
	bool peer_close;
	bool parser_live; /* initialised (from the first run to http_drop) */
	enum health_phase phase;
	const char *req;
	size_t req_len, req_off;
	struct http_parser parser;
	struct health_result result;
	const char *needle;
	size_t nlen, carry_len;
};

static void http_start(struct probe *p);
static void http_abort(struct probe *p);
static enum health_phase http_phase(const struct probe *p);
static bool http_expired(struct probe *p);
static void http_drop(struct probe *p);
static struct http_state *state_get(struct probe *p, struct health_result *r);
static void run_reset(struct http_state *s);
static bool keep_ok(const struct http_state *s);
static void attempt(struct http_state *s);
static void open_conn(struct http_state *s);
static void conn_close(struct http_state *s);
static void retry(struct http_state *s);
static void io_cb(struct ev_loop *l, ev_io *w, int revents);
static void idle_event(struct http_state *s);
static void connected(struct http_state *s);
static void do_handshake(struct http_state *s);
static void do_send(struct http_state *s);
static void do_read(struct http_state *s);
static void wait_for(struct http_state *s, int events);
static void finish(struct http_state *s, struct health_result *r, bool keep);
static void fail(struct http_state *s, struct health_result *r);
static void fail_errno(struct http_state *s, int err);
static void fail_tls(struct http_state *s);
static void parse_verdict(struct http_state *s, int rc, bool all_used);
static int on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen);
static int on_headers_done(void *arg, const struct http_parser *hp);
static int chttp_on_body(void *arg, const char *data, size_t len);
static bool body_search(struct http_state *s, const char *d, size_t n);
static char *host_header(const struct probe *p, char *buf, size_t len);

const struct probe_ops probe_http_ops = {
    http_start, http_abort, http_phase, http_expired, http_drop};

static const struct http_response_cb parser_cb = {on_header, on_headers_done, chttp_on_body};

static char rbuf[16384]; /* single-threaded: one read buffer for every probe */
static size_t conns_open;  /* connections of http(s) probes, kept or in use */

/*
 * Kept connections hold a descriptor each between runs: at most half the
 * descriptor limit (the daemon raises its soft limit to the hard one at
 * start), so that the rest of the daemon, and probes in flight, always
 * find one.  Past it a run's connection is closed after the run, as
 * without reuse.
 */
static size_t
keep_limit(void)
{
	static size_t lim;
	struct rlimit rl;

	if (lim == 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			lim = (size_t)rl.rlim_cur / 2;
		else
			lim = (size_t)1 << 20;
		if (lim == 0)
			lim = 1;
	}
	return lim;
}

static bool
reuse_on(const struct http_state *s)
{
	return probe_def(s->probe)->ck.reuse_connection == 1;
}

/* "Host:" value: the address (IPv6 in brackets), with the port unless it is the default. */
static char *
host_header(const struct probe *p, char *buf, size_t len)
{
	const struct sockaddr_x *t = probe_target(p);
	bool tls = probe_def(p)->ck.type == CHECK_HTTPS;
	char a[SOCKADDR_X_STRLEN];

	sockaddr_x_fmt_addr(t, a, sizeof(a));
	if (t->port == (tls ? 443 : 80))
		snprintf(buf, len, t->af == AF_INET6 ? "[%s]" : "%s", a);
	else
		snprintf(buf, len, t->af == AF_INET6 ? "[%s]:%u" : "%s:%u", a, t->port);
	return buf;
}

/* The probe's state, made at its first run (NULL and *r set when the request cannot be formed). */
static struct http_state *
state_get(struct probe *p, struct health_result *r)
{
	const struct check_def *def = probe_def(p);
	struct http_state *s = probe_state(p);

	if (s != NULL)
		return s;
	s = xcalloc(1, sizeof(*s));
	s->probe = p;
	ev_io_init(&s->io, io_cb, -1, EV_READ);
	ev_set_priority(&s->io, PROBE_IO_PRIORITY);
	if (def->request != NULL) {
		s->req = def->request;
		s->req_len = def->request_len;
	} else {
		char host[SOCKADDR_X_STRLEN + 8];
		struct http_request rq = {
		    .method = def->ck.method != NULL ? def->ck.method : "GET",
		    .target = def->ck.path != NULL ? def->ck.path : "/",
		    .host = host_header(p, host, sizeof(host)),
		    .keep_alive = def->ck.reuse_connection == 1,
		};

		if (http_request_format(&rq, &s->own_req, &s->own_req_len) < 0) {
			free(s);
			health_result_set(r, HEALTH_R_CONFIG, 0, 0);
			snprintf(r->text, sizeof(r->text), "method or path cannot form a request");
			return NULL;
		}
		s->req = s->own_req;
		s->req_len = s->own_req_len;
	}
	if (def->ck.body != NULL && def->ck.body[0] != '\0') {
		s->needle = def->ck.body;
		s->nlen = strlen(s->needle);
		s->carry = xmalloc(2 * s->nlen);
	}
	probe_set_state(p, s);
	return s;
}

/* A new attempt: nothing sent, nothing parsed. */
static void
run_reset(struct http_state *s)
{
	const struct check_def *def = probe_def(s->probe);
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	bool head = def->ck.method != NULL && strcmp(def->ck.method, "HEAD") == 0;

	if (s->parser_live) {
		http_parser_reset(&s->parser, head); /* its buffer stays: no allocation */
	} else {
		http_parser_init(&s->parser, &lim, head, &parser_cb, s);
		s->parser_live = true;
	}
	s->req_off = 0;
	s->decided = false;
	s->peer_close = false;
	s->carry_len = 0;
	s->phase = HEALTH_PH_CONNECT;
}

static void
http_start(struct probe *p)
{
	struct health_result r;
	struct http_state *s = state_get(p, &r);

	if (s == NULL) {
		probe_finish(p, &r);
		return;
	}
	s->running = true;
	s->retried = false;
	run_reset(s);
	probe_set_flight(p, s);
	attempt(s);
}

/* The kept connection may serve this run. */
static bool
keep_ok(const struct http_state *s)
{
	/* the run's start is "now" closely enough for ages of minutes (and
	 * spares a clock read per check) */
	int64_t now = probe_start_us(s->probe);

	if (s->io.fd < 0 || !reuse_on(s) || now - s->opened_us >= KEEP_MAX_US)
		return false;
	return s->tls == NULL || now - s->verified_us < TLS_REVERIFY_US;
}

static void
attempt(struct http_state *s)
{
	if (keep_ok(s)) {
		s->reused = true;
		check_stats_mut()->conn_reused++;
		s->phase = HEALTH_PH_SEND;
		do_send(s);
		return;
	}
	conn_close(s);
	s->reused = false;
	open_conn(s);
}

static void
open_conn(struct http_state *s)
{
	const struct check_def *def = probe_def(s->probe);
	struct health_result r;
	bool in_progress;
	int fd;

	fd = probe_connect(s->probe, &in_progress);
	if (fd < 0) {
		probe_errno_result(&r, fd, HEALTH_PH_CONNECT, 0);
		finish(s, &r, false);
		return;
	}
	check_stats_mut()->conn_opened++;
	conns_open++;
	s->opened_us = mono_us();
	ev_io_set(&s->io, fd, EV_WRITE);
	s->phase = HEALTH_PH_CONNECT;
	/*
	 * Plain http does not wait for the connection to report writable: it
	 * sends at once.  On a connection still in SYN_SENT, send() says
	 * EAGAIN and do_send waits for writability then; on one that failed
	 * it returns the connect error.  When the handshake is already done
	 * (a near backend), this saves a loop round trip, a getsockopt and an
	 * epoll_ctl per probe.
	 */
	if (def->ck.type == CHECK_HTTP)
		do_send(s);
	else if (in_progress)
		wait_for(s, EV_WRITE);
	else
		connected(s);
}

/* Close the connection (with RST), keeping the newest TLS session it brought. */
static void
conn_close(struct http_state *s)
{
	struct tls_session *ns;

	if (s->io.fd < 0)
		return;
	ev_io_stop(loop_ev(), &s->io);
	if (s->tls != NULL) {
		if ((ns = tls_conn_take_session(s->tls)) != NULL) {
			tls_session_free(s->session);
			s->session = ns;
		}
		tls_conn_free(s->tls);
		s->tls = NULL;
	}
	probe_close_fd(s->io.fd);
	conns_open--;
	ev_io_set(&s->io, -1, EV_READ);
}

/* The kept connection failed before a verdict: go on with a new one, a whole timeout ahead. */
static void
retry(struct http_state *s)
{
	s->retried = true;
	s->reused = false;
	check_stats_mut()->conn_retried++;
	conn_close(s);
	run_reset(s);
	probe_restart_deadline(s->probe);
	open_conn(s);
}

static void
wait_for(struct http_state *s, int events)
{
	struct ev_loop *l = loop_ev();

	if (ev_is_active(&s->io) && (s->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(l, &s->io);
	ev_io_set(&s->io, s->io.fd, events);
	ev_io_start(l, &s->io);
}

/*
 * End the run.  keep: the connection stays for the next run, its watcher
 * armed for reading (a close by the server between runs); else it is closed.
 */
static void
finish(struct http_state *s, struct health_result *r, bool keep)
{
	struct probe *p = s->probe;
	struct tls_session *ns;

	s->running = false;
	if (keep && conns_open > keep_limit())
		keep = false;
	if (keep) {
		if (s->tls != NULL && (ns = tls_conn_take_session(s->tls)) != NULL) {
			tls_session_free(s->session);
			s->session = ns;
		}
		wait_for(s, EV_READ);
	} else {
		conn_close(s);
	}
	probe_set_flight(p, NULL);
	probe_finish(p, r); /* may free the probe, and s with it */
}

/* A failure of the connection: a kept one is replaced once, else the run fails. */
static void
fail(struct http_state *s, struct health_result *r)
{
	if (s->reused && !s->retried) {
		retry(s);
		return;
	}
	finish(s, r, false);
}

static void
fail_errno(struct http_state *s, int err)
{
	struct health_result r;

	probe_errno_result(&r, err, s->phase, 0);
	fail(s, &r);
}

static void
fail_tls(struct http_state *s)
{
	struct health_result r;
	char text[HEALTH_TEXT_MAX];
	int errnum = 0;

	switch (tls_conn_error(s->tls, text, sizeof(text), &errnum)) {
	case TLS_E_VERIFY:
		health_result_set(&r, HEALTH_R_TLS_VERIFY, 0, 0);
		break;
	case TLS_E_RESET:
		health_result_set(&r, HEALTH_R_RESET, s->phase, 0);
		break;
	case TLS_E_CLOSED:
		health_result_set(&r, HEALTH_R_CLOSED, s->phase, 0);
		break;
	case TLS_E_SYSCALL:
		probe_errno_result(&r, errnum, s->phase, 0);
		break;
	default:
		health_result_set(&r, HEALTH_R_TLS_HANDSHAKE, 0, 0);
		break;
	}
	snprintf(r.text, sizeof(r.text), "%s", text);
	fail(s, &r);
}

static void
io_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct http_state *s = (struct http_state *)w;
	socklen_t sl = sizeof(int);
	int err = 0;

	if (!s->running) {
		idle_event(s);
		return;
	}
	switch (s->phase) {
	case HEALTH_PH_CONNECT:
		if (s->tls == NULL && probe_def(s->probe)->ck.type == CHECK_HTTP) {
			do_send(s);
			break;
		}
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			err = errno;
		if (err != 0) {
			fail_errno(s, err);
			return;
		}
		connected(s);
		break;
	case HEALTH_PH_TLS:
		do_handshake(s);
		break;
	case HEALTH_PH_SEND:
		do_send(s);
		break;
	default:
		do_read(s);
		break;
	}
}

/*
 * A kept connection became readable between runs: the server closed it
 * (or reset it, or sent what nobody asked for).  Drop it; the next run
 * opens a new one.  TLS may bring records that are not data (a session
 * ticket, a key update): those leave the connection as it was.
 */
static void
idle_event(struct http_state *s)
{
	size_t n = 0;
	ssize_t r;

	if (s->tls != NULL) {
		if (tls_conn_read(s->tls, rbuf, sizeof(rbuf), &n) == TLS_WANT_READ)
			return;
	} else {
		r = recv(s->io.fd, rbuf, sizeof(rbuf), 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
	}
	check_stats_mut()->conn_idle_closed++;
	conn_close(s);
}

static void
connected(struct http_state *s)
{
	const struct check_def *def = probe_def(s->probe);
	const char *sni, *peer;
	char addr[SOCKADDR_X_STRLEN];

	if (def->ck.type != CHECK_HTTPS) {
		s->phase = HEALTH_PH_SEND;
		do_send(s);
		return;
	}
	/*
	 * The certificate must be for the name we asked for (sni), else for
	 * the Host we send, else for the address we connected to.
	 */
	sni = def->ck.sni != NULL ? def->ck.sni : def->ck.host;
	peer = sni != NULL ? sni : sockaddr_x_fmt_addr(probe_target(s->probe), addr, sizeof(addr));
	s->tls = tls_conn_new(def->tls, s->io.fd, sni, peer);
	if (s->tls == NULL) {
		fail_errno(s, ENOMEM);
		return;
	}
	if (s->session != NULL) {
		/* resume only within TLS_REVERIFY_US of a verified certificate */
		if (!reuse_on(s) || mono_us() - s->verified_us >= TLS_REVERIFY_US ||
		    tls_conn_set_session(s->tls, s->session) < 0) {
			tls_session_free(s->session);
			s->session = NULL;
		}
	}
	s->phase = HEALTH_PH_TLS;
	do_handshake(s);
}

static void
do_handshake(struct http_state *s)
{
	switch (tls_conn_handshake(s->tls)) {
	case TLS_OK:
		if (tls_conn_resumed(s->tls)) {
			check_stats_mut()->tls_resumed++;
		} else {
			check_stats_mut()->tls_full++;
			s->verified_us = mono_us();
		}
		s->phase = HEALTH_PH_SEND;
		do_send(s);
		break;
	case TLS_WANT_READ:
		wait_for(s, EV_READ);
		break;
	case TLS_WANT_WRITE:
		wait_for(s, EV_WRITE);
		break;
	default:
		fail_tls(s);
		break;
	}
}

static void
do_send(struct http_state *s)
{
	while (s->req_off < s->req_len) {
		const char *d = s->req + s->req_off;
		size_t left = s->req_len - s->req_off, n = 0;

		if (s->tls != NULL) {
			switch (tls_conn_write(s->tls, d, left, &n)) {
			case TLS_OK:
				break;
			case TLS_WANT_READ:
				wait_for(s, EV_READ);
				return;
			case TLS_WANT_WRITE:
				wait_for(s, EV_WRITE);
				return;
			default:
				fail_tls(s);
				return;
			}
		} else {
			ssize_t w = send(s->io.fd, d, left, MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					wait_for(s, EV_WRITE);
					return;
				}
				fail_errno(s, errno);
				return;
			}
			n = (size_t)w;
			s->phase = HEALTH_PH_SEND; /* connected: bytes left to send */
		}
		s->req_off += n;
	}
	s->phase = HEALTH_PH_HEADERS;
	wait_for(s, EV_READ);
}

static void
do_read(struct http_state *s)
{
	int i, rc;

	for (i = 0; i < READS_PER_WAKEUP; i++) {
		size_t n = 0, used = 0;

		if (s->tls != NULL) {
			switch (tls_conn_read(s->tls, rbuf, sizeof(rbuf), &n)) {
			case TLS_OK:
				break;
			case TLS_WANT_READ:
				wait_for(s, EV_READ);
				return;
			case TLS_WANT_WRITE:
				wait_for(s, EV_WRITE);
				return;
			case TLS_EOF:
				parse_verdict(s, http_parser_eof(&s->parser), false);
				return;
			default:
				fail_tls(s);
				return;
			}
		} else {
			ssize_t r = recv(s->io.fd, rbuf, sizeof(rbuf), 0);

			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					wait_for(s, EV_READ);
					return;
				}
				fail_errno(s, errno);
				return;
			}
			if (r == 0) {
				parse_verdict(s, http_parser_eof(&s->parser), false);
				return;
			}
			n = (size_t)r;
		}
		rc = http_parser_feed(&s->parser, rbuf, n, &used);
		if (rc != HTTP_MORE || s->decided) {
			parse_verdict(s, rc, used == n);
			return;
		}
	}
	/*
	 * A peer sending fast gets no more than READS_PER_WAKEUP reads at a
	 * time.  TLS may hold decrypted bytes the socket no longer signals:
	 * come back next iteration rather than wait for readiness.
	 */
	if (s->tls != NULL)
		ev_feed_event(loop_ev(), &s->io, EV_READ);
}

/* "Connection: close" (a token of the field's list) ends the connection after this response. */
static int
on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct http_state *s = arg;
	size_t i = 0, j;

	if (nlen != 10 || strncasecmp(name, "connection", 10) != 0)
		return 0;
	while (i < vlen) {
		while (i < vlen && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
			i++;
		for (j = i; j < vlen && value[j] != ',' && value[j] != ' ' && value[j] != '\t'; j++)
			;
		if (j - i == 5 && strncasecmp(value + i, "close", 5) == 0)
			s->peer_close = true;
		i = j;
	}
	return 0;
}

/* With reuse the parse goes on after the verdict, to see where the response ends. */
static int
on_headers_done(void *arg, const struct http_parser *hp)
{
	struct http_state *s = arg;
	const struct check *ck = &probe_def(s->probe)->ck;

	s->phase = HEALTH_PH_BODY;
	if (hp->version_minor == 0)
		s->peer_close = true; /* HTTP/1.0: no keep-alive unless negotiated; we do not */
	if (!status_range_match(ck->expect, ck->nexpect, hp->status)) {
		health_result_set(&s->result, HEALTH_R_HTTP_STATUS, hp->status, 0);
		s->result.status = hp->status;
		s->decided = true;
		return reuse_on(s) ? 0 : 1;
	}
	if (s->needle == NULL) {
		health_result_set(&s->result, HEALTH_R_OK, 0, 0);
		s->result.status = hp->status;
		s->decided = true;
		return reuse_on(s) ? 0 : 1;
	}
	return 0;
}

/* Search the new bytes, and the seam between them and what came before. */
static bool
body_search(struct http_state *s, const char *d, size_t n)
{
	size_t keep = s->nlen - 1, take, total;

	if (s->carry_len > 0) {
		take = n < keep ? n : keep;
		memcpy(s->carry + s->carry_len, d, take);
		if (memmem(s->carry, s->carry_len + take, s->needle, s->nlen) != NULL)
			return true;
	}
	if (memmem(d, n, s->needle, s->nlen) != NULL)
		return true;
	if (keep == 0)
		return false;
	if (n >= keep) {
		memcpy(s->carry, d + n - keep, keep);
		s->carry_len = keep;
	} else {
		/* carry + d is still in s->carry (copied above); keep its tail */
		total = s->carry_len + n;
		if (s->carry_len == 0)
			memcpy(s->carry, d, n);
		if (total > keep) {
			memmove(s->carry, s->carry + total - keep, keep);
			total = keep;
		}
		s->carry_len = total;
	}
	return false;
}

static int
chttp_on_body(void *arg, const char *data, size_t len)
{
	struct http_state *s = arg;

	if (s->decided || !body_search(s, data, len))
		return 0;
	health_result_set(&s->result, HEALTH_R_OK, 0, 0);
	s->result.status = s->parser.status;
	s->decided = true;
	return reuse_on(s) ? 0 : 1;
}

/*
 * rc: the parser's answer to the last feed (or to the EOF); all_used: that
 * feed took every byte read (nothing of a next response, or of garbage).
 */
static void
parse_verdict(struct http_state *s, int rc, bool all_used)
{
	struct health_result r;
	int status = s->parser.status;
	bool complete = rc == HTTP_DONE && all_used;

	if (s->decided) {
		r = s->result;
		finish(s, &r, complete && reuse_on(s) && !s->peer_close);
		return;
	}
	if (rc == HTTP_DONE || rc == HTTP_STOP || rc == -EFBIG) {
		/* complete (or cut at the limit) and the text never showed up */
		health_result_set(&r, HEALTH_R_HTTP_BODY, 0, 0);
		r.status = status;
		finish(s, &r, complete && reuse_on(s) && !s->peer_close);
		return;
	}
	if (rc == -EPIPE) {
		health_result_set(&r, HEALTH_R_CLOSED, s->phase, 0);
	} else if (rc == -E2BIG) {
		health_result_set(&r, HEALTH_R_HTTP_TOO_BIG, 0, 0);
		snprintf(r.text, sizeof(r.text), "%s", http_parser_error(&s->parser));
	} else {
		health_result_set(&r, HEALTH_R_HTTP_PROTOCOL, 0, 0);
		snprintf(r.text, sizeof(r.text), "%s", http_parser_error(&s->parser));
	}
	fail(s, &r);
}

/* The deadline passed: a kept connection that went silent is replaced once. */
static bool
http_expired(struct probe *p)
{
	struct http_state *s = probe_flight(p);

	if (s == NULL || !s->reused || s->retried)
		return false;
	retry(s);
	return true;
}

/* The run is abandoned (its deadline, or probe_free): the connection goes with it. */
static void
http_abort(struct probe *p)
{
	struct http_state *s = probe_flight(p);

	if (s == NULL)
		return;
	s->running = false;
	conn_close(s);
}

static void
http_drop(struct probe *p)
{
	struct http_state *s = probe_state(p);

	if (s == NULL)
		return;
	if (s->parser_live)
		http_parser_fini(&s->parser);
	conn_close(s);
	tls_session_free(s->session);
	free(s->own_req);
	free(s->carry);
	free(s);
}

static enum health_phase
http_phase(const struct probe *p)
{
	const struct http_state *s = probe_flight(p);

	return s != NULL ? s->phase : HEALTH_PH_CONNECT;
}
