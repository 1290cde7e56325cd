/*
 * check_http.c - the http and https probes.
 *
 * connect -> (TLS handshake) -> send the request -> read the response,
 * every step non-blocking and bounded by the probe's one deadline.  The
 * response goes through http.c's parser: the verdict is known as soon as
 * the status is (no body check) or the expected text has been seen, and
 * the connection is then closed without reading the rest.  The body is
 * searched as it streams by, never buffered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "check.h"
#include "http.h"
#include "loop.h"
#include "tls.h"

/* Reads per readiness callback before yielding to the rest of the loop. */
#define READS_PER_WAKEUP 4

struct http_flight {
	ev_io io; /* first: the watcher's address is the flight's */
	struct probe *probe;
	enum health_phase phase;
	struct tls_conn *tls;
	const char *req; /* the request: def->request or own_req */
	size_t req_len, req_off;
	char *own_req;
	struct http_parser parser;
	bool parser_live;
	bool decided; /* result filled in by a parser callback */
	struct health_result result;
	/* body search across reads: the last (needle length - 1) bytes seen */
	const char *needle;
	size_t nlen;
	char *carry; /* 2 * nlen bytes of scratch */
	size_t carry_len;
};

static void http_start(struct probe *p);
static void http_abort(struct probe *p);
static enum health_phase http_phase(const struct probe *p);
static void io_cb(struct ev_loop *l, ev_io *w, int revents);
static void connected(struct http_flight *f);
static void do_handshake(struct http_flight *f);
static void do_send(struct http_flight *f);
static void do_read(struct http_flight *f);
static void wait_for(struct http_flight *f, int events);
static void finish(struct http_flight *f, struct health_result *r);
static void fail_errno(struct http_flight *f, int err);
static void fail_tls(struct http_flight *f);
static void chttp_release(struct http_flight *f);
static void parse_verdict(struct http_flight *f, int rc);
static int on_headers_done(void *arg, const struct http_parser *hp);
static int chttp_on_body(void *arg, const char *data, size_t len);
static bool body_search(struct http_flight *f, const char *d, size_t n);
static char *host_header(const struct probe *p, char *buf, size_t len);

const struct probe_ops probe_http_ops = {http_start, http_abort, http_phase};

static const struct http_response_cb parser_cb = {NULL, on_headers_done, chttp_on_body};

static char rbuf[16384]; /* single-threaded: one read buffer for every probe */

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

static void
http_start(struct probe *p)
{
	const struct check_def *def = probe_def(p);
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	struct health_result r;
	struct http_flight *f;
	bool in_progress;
	int fd;

	fd = probe_connect(p, &in_progress);
	if (fd < 0) {
		probe_errno_result(&r, fd, HEALTH_PH_CONNECT, 0);
		probe_finish(p, &r);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->probe = p;
	f->phase = HEALTH_PH_CONNECT;
	ev_io_init(&f->io, io_cb, fd, EV_WRITE);
	ev_set_priority(&f->io, PROBE_IO_PRIORITY);
	if (def->request != NULL) {
		f->req = def->request;
		f->req_len = def->request_len;
	} else {
		char host[SOCKADDR_X_STRLEN + 8];
		struct http_request rq = {
		    .method = def->ck.method != NULL ? def->ck.method : "GET",
		    .target = def->ck.path != NULL ? def->ck.path : "/",
		    .host = host_header(p, host, sizeof(host)),
		};

		if (http_request_format(&rq, &f->own_req, &f->req_len) < 0) {
			close(fd);
			free(f);
			health_result_set(&r, HEALTH_R_CONFIG, 0, 0);
			snprintf(r.text, sizeof(r.text), "method or path cannot form a request");
			probe_finish(p, &r);
			return;
		}
		f->req = f->own_req;
	}
	if (def->ck.body != NULL && def->ck.body[0] != '\0') {
		f->needle = def->ck.body;
		f->nlen = strlen(f->needle);
		f->carry = xmalloc(2 * f->nlen);
	}
	http_parser_init(&f->parser, &lim,
	    def->ck.method != NULL && strcmp(def->ck.method, "HEAD") == 0, &parser_cb, f);
	f->parser_live = true;
	probe_set_flight(p, f);
	/*
	 * Plain http does not wait for the connection to report writable: it
	 * sends at once.  On a connection still in SYN_SENT, send() says
	 * EAGAIN and do_send waits for writability then; on one that failed
	 * it returns the connect error.  When the handshake is already done
	 * (a near backend), this saves a loop round trip, a getsockopt and an
	 * epoll_ctl per probe.
	 */
	if (def->ck.type == CHECK_HTTP)
		do_send(f);
	else if (in_progress)
		wait_for(f, EV_WRITE);
	else
		connected(f);
}

static void
wait_for(struct http_flight *f, int events)
{
	struct ev_loop *l = loop_ev();

	if (ev_is_active(&f->io) && (f->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(l, &f->io);
	ev_io_set(&f->io, f->io.fd, events);
	ev_io_start(l, &f->io);
}

static void
chttp_release(struct http_flight *f)
{
	ev_io_stop(loop_ev(), &f->io);
	tls_conn_free(f->tls);
	probe_close_fd(f->io.fd);
	if (f->parser_live)
		http_parser_fini(&f->parser);
	free(f->own_req);
	free(f->carry);
	free(f);
}

static void
finish(struct http_flight *f, struct health_result *r)
{
	struct probe *p = f->probe;

	chttp_release(f);
	probe_set_flight(p, NULL);
	probe_finish(p, r);
}

static void
fail_errno(struct http_flight *f, int err)
{
	struct health_result r;

	probe_errno_result(&r, err, f->phase, 0);
	finish(f, &r);
}

static void
fail_tls(struct http_flight *f)
{
	struct health_result r;
	char text[HEALTH_TEXT_MAX];
	int errnum = 0;

	switch (tls_conn_error(f->tls, text, sizeof(text), &errnum)) {
	case TLS_E_VERIFY:
		health_result_set(&r, HEALTH_R_TLS_VERIFY, 0, 0);
		break;
	case TLS_E_RESET:
		health_result_set(&r, HEALTH_R_RESET, f->phase, 0);
		break;
	case TLS_E_CLOSED:
		health_result_set(&r, HEALTH_R_CLOSED, f->phase, 0);
		break;
	case TLS_E_SYSCALL:
		probe_errno_result(&r, errnum, f->phase, 0);
		break;
	default:
		health_result_set(&r, HEALTH_R_TLS_HANDSHAKE, 0, 0);
		break;
	}
	snprintf(r.text, sizeof(r.text), "%s", text);
	finish(f, &r);
}

static void
io_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct http_flight *f = (struct http_flight *)w;
	socklen_t sl = sizeof(int);
	int err = 0;

	switch (f->phase) {
	case HEALTH_PH_CONNECT:
		if (f->tls == NULL && probe_def(f->probe)->ck.type == CHECK_HTTP) {
			do_send(f);
			break;
		}
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			err = errno;
		if (err != 0) {
			fail_errno(f, err);
			return;
		}
		connected(f);
		break;
	case HEALTH_PH_TLS:
		do_handshake(f);
		break;
	case HEALTH_PH_SEND:
		do_send(f);
		break;
	default:
		do_read(f);
		break;
	}
}

static void
connected(struct http_flight *f)
{
	const struct check_def *def = probe_def(f->probe);
	const char *sni, *peer;
	char addr[SOCKADDR_X_STRLEN];

	if (def->ck.type != CHECK_HTTPS) {
		f->phase = HEALTH_PH_SEND;
		do_send(f);
		return;
	}
	/*
	 * The certificate must be for the name we asked for (sni), else for
	 * the Host we send, else for the address we connected to.
	 */
	sni = def->ck.sni != NULL ? def->ck.sni : def->ck.host;
	peer = sni != NULL ? sni : sockaddr_x_fmt_addr(probe_target(f->probe), addr, sizeof(addr));
	f->tls = tls_conn_new(def->tls, f->io.fd, sni, peer);
	if (f->tls == NULL) {
		fail_errno(f, ENOMEM);
		return;
	}
	f->phase = HEALTH_PH_TLS;
	do_handshake(f);
}

static void
do_handshake(struct http_flight *f)
{
	switch (tls_conn_handshake(f->tls)) {
	case TLS_OK:
		f->phase = HEALTH_PH_SEND;
		do_send(f);
		break;
	case TLS_WANT_READ:
		wait_for(f, EV_READ);
		break;
	case TLS_WANT_WRITE:
		wait_for(f, EV_WRITE);
		break;
	default:
		fail_tls(f);
		break;
	}
}

static void
do_send(struct http_flight *f)
{
	while (f->req_off < f->req_len) {
		const char *d = f->req + f->req_off;
		size_t left = f->req_len - f->req_off, n = 0;

		if (f->tls != NULL) {
			switch (tls_conn_write(f->tls, d, left, &n)) {
			case TLS_OK:
				break;
			case TLS_WANT_READ:
				wait_for(f, EV_READ);
				return;
			case TLS_WANT_WRITE:
				wait_for(f, EV_WRITE);
				return;
			default:
				fail_tls(f);
				return;
			}
		} else {
			ssize_t w = send(f->io.fd, d, left, MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					wait_for(f, EV_WRITE);
					return;
				}
				fail_errno(f, errno);
				return;
			}
			n = (size_t)w;
			f->phase = HEALTH_PH_SEND; /* connected: bytes left to send */
		}
		f->req_off += n;
	}
	f->phase = HEALTH_PH_HEADERS;
	wait_for(f, EV_READ);
}

static void
do_read(struct http_flight *f)
{
	int i, rc;

	for (i = 0; i < READS_PER_WAKEUP; i++) {
		size_t n = 0;

		if (f->tls != NULL) {
			switch (tls_conn_read(f->tls, rbuf, sizeof(rbuf), &n)) {
			case TLS_OK:
				break;
			case TLS_WANT_READ:
				wait_for(f, EV_READ);
				return;
			case TLS_WANT_WRITE:
				wait_for(f, EV_WRITE);
				return;
			case TLS_EOF:
				parse_verdict(f, http_parser_eof(&f->parser));
				return;
			default:
				fail_tls(f);
				return;
			}
		} else {
			ssize_t r = recv(f->io.fd, rbuf, sizeof(rbuf), 0);

			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					wait_for(f, EV_READ);
					return;
				}
				fail_errno(f, errno);
				return;
			}
			if (r == 0) {
				parse_verdict(f, http_parser_eof(&f->parser));
				return;
			}
			n = (size_t)r;
		}
		rc = http_parser_feed(&f->parser, rbuf, n, NULL);
		if (rc != HTTP_MORE) {
			parse_verdict(f, rc);
			return;
		}
	}
	/*
	 * A peer sending fast gets no more than READS_PER_WAKEUP reads at a
	 * time.  TLS may hold decrypted bytes the socket no longer signals:
	 * come back next iteration rather than wait for readiness.
	 */
	if (f->tls != NULL)
		ev_feed_event(loop_ev(), &f->io, EV_READ);
}

static int
on_headers_done(void *arg, const struct http_parser *hp)
{
	struct http_flight *f = arg;
	const struct check *ck = &probe_def(f->probe)->ck;

	f->phase = HEALTH_PH_BODY;
	if (!status_range_match(ck->expect, ck->nexpect, hp->status)) {
		health_result_set(&f->result, HEALTH_R_HTTP_STATUS, hp->status, 0);
		f->result.status = hp->status;
		f->decided = true;
		return 1;
	}
	if (f->needle == NULL) {
		health_result_set(&f->result, HEALTH_R_OK, 0, 0);
		f->result.status = hp->status;
		f->decided = true;
		return 1;
	}
	return 0;
}

/* Search the new bytes, and the seam between them and what came before. */
static bool
body_search(struct http_flight *f, const char *d, size_t n)
{
	size_t keep = f->nlen - 1, take, total;

	if (f->carry_len > 0) {
		take = n < keep ? n : keep;
		memcpy(f->carry + f->carry_len, d, take);
		if (memmem(f->carry, f->carry_len + take, f->needle, f->nlen) != NULL)
			return true;
	}
	if (memmem(d, n, f->needle, f->nlen) != NULL)
		return true;
	if (keep == 0)
		return false;
	if (n >= keep) {
		memcpy(f->carry, d + n - keep, keep);
		f->carry_len = keep;
	} else {
		/* carry + d is still in f->carry (copied above); keep its tail */
		total = f->carry_len + n;
		if (f->carry_len == 0)
			memcpy(f->carry, d, n);
		if (total > keep) {
			memmove(f->carry, f->carry + total - keep, keep);
			total = keep;
		}
		f->carry_len = total;
	}
	return false;
}

static int
chttp_on_body(void *arg, const char *data, size_t len)
{
	struct http_flight *f = arg;

	if (!body_search(f, data, len))
		return 0;
	health_result_set(&f->result, HEALTH_R_OK, 0, 0);
	f->result.status = f->parser.status;
	f->decided = true;
	return 1;
}

static void
parse_verdict(struct http_flight *f, int rc)
{
	struct health_result r;
	int status = f->parser.status;

	if (f->decided) {
		r = f->result;
	} else if (rc == HTTP_DONE || rc == HTTP_STOP || rc == -EFBIG) {
		/* complete (or cut at the limit) and the text never showed up */
		health_result_set(&r, HEALTH_R_HTTP_BODY, 0, 0);
		r.status = status;
	} else if (rc == -EPIPE) {
		health_result_set(&r, HEALTH_R_CLOSED, f->phase, 0);
	} else if (rc == -E2BIG) {
		health_result_set(&r, HEALTH_R_HTTP_TOO_BIG, 0, 0);
		snprintf(r.text, sizeof(r.text), "%s", http_parser_error(&f->parser));
	} else {
		health_result_set(&r, HEALTH_R_HTTP_PROTOCOL, 0, 0);
		snprintf(r.text, sizeof(r.text), "%s", http_parser_error(&f->parser));
	}
	finish(f, &r);
}

static void
http_abort(struct probe *p)
{
	struct http_flight *f = probe_flight(p);

	if (f != NULL)
		chttp_release(f);
}

static enum health_phase
http_phase(const struct probe *p)
{
	const struct http_flight *f = probe_flight(p);

	return f != NULL ? f->phase : HEALTH_PH_CONNECT;
}
