/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_worker.c - the AWS client's worker pool: the only code that runs off
 * the loop thread.
 *
 * Owns the AWS_WORKERS threads, the request queue and the done list (both
 * under the client's mutex), the eventfd that wakes workers out of poll()
 * when the client stops, and the ev_async that hands finished jobs back to
 * the loop.  A worker runs one HTTP(S) exchange at a time as plain blocking
 * code under one poll() deadline: name lookup (c-ares, its sockets polled
 * like the rest), connect, TLS handshake, request, response (kept: status,
 * Date header, body).  Every step, the lookup included, ends at the
 * deadline or when the client stops (wake_fd).  It reads only its job and
 * writes only the job's answer; see aws.h for the contract.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ares.h>
#include <ev.h>

#include "aws_int.h"
#include "http.h"
#include "log.h"
#include "tls.h"
#include "util.h"

#define RESP_BODY_MAX (1024 * 1024)
#define ADDRS_MAX     8 /* addresses of the endpoint tried, in the resolver's order */

struct awsw_addrs {
	struct sockaddr_storage ss[ADDRS_MAX];
	socklen_t len[ADDRS_MAX];
	size_t n;
};

/* One c-ares lookup: filled by its callback. */
struct awsw_lookup {
	bool done;
	int status;
	struct awsw_addrs *out;
};

static void *awsw_worker_main(void *arg);
static void awsw_job_run(struct aws_client *a, struct aws_job *j);
static int awsw_wait_fd(struct aws_client *a, int fd, short events, int64_t deadline);
static bool awsw_numeric(const char *host, int port, struct awsw_addrs *out);
static void awsw_lookup_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res);
static int awsw_resolve(
    struct aws_client *a, struct aws_job *j, int64_t deadline, struct awsw_addrs *out);
static int awsw_job_connect(struct aws_client *a, struct aws_job *j, int64_t deadline);
static int awsw_job_io(
    struct aws_client *a, struct aws_job *j, int fd, struct tls_conn *tc, int64_t deadline);
static int awsw_on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen);
static int awsw_on_body(void *arg, const char *data, size_t len);
static void awsw_job_free(struct aws_job *j);
static void awsw_async_cb(struct ev_loop *l, ev_async *w, int revents);

/* ------------------------------------------------------------ worker side */

static int
awsw_wait_fd(struct aws_client *a, int fd, short events, int64_t deadline)
{
	struct pollfd p[2] = {{fd, events, 0}, {a->wake_fd, POLLIN, 0}};
	int64_t left;
	int r;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents != 0)
			return -ECANCELED;
		if (p[0].revents != 0)
			return 0;
	}
}

/* An address literal needs no resolver: one address, at once. */
static bool
awsw_numeric(const char *host, int port, struct awsw_addrs *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss[0];

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		out->len[0] = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		out->len[0] = sizeof(*sin6);
	} else {
		return false;
	}
	out->n = 1;
	return true;
}

/* Runs inside ares_process_fd() or ares_destroy(), on this worker's thread. */
static void
awsw_lookup_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct awsw_lookup *q = arg;
	struct ares_addrinfo_node *nd;

	(void)timeouts;
	q->done = true;
	q->status = status;
	if (res == NULL)
		return;
	for (nd = res->nodes; nd != NULL && q->out->n < ADDRS_MAX; nd = nd->ai_next) {
		if ((nd->ai_family != AF_INET && nd->ai_family != AF_INET6) ||
		    nd->ai_addrlen > (ares_socklen_t)sizeof(q->out->ss[0]))
			continue;
		memcpy(&q->out->ss[q->out->n], nd->ai_addr, nd->ai_addrlen);
		q->out->len[q->out->n++] = (socklen_t)nd->ai_addrlen;
	}
	ares_freeaddrinfo(res);
}

/*
 * The endpoint's addresses, under the job's deadline: an address literal as
 * it is, a name through c-ares (/etc/hosts, then DNS as /etc/resolv.conf
 * says), its sockets polled together with wake_fd.  getaddrinfo() would
 * block for the resolver's own timeouts (5 s x 2 tries by default), past
 * the deadline and deaf to the client stopping.  0, -ETIMEDOUT,
 * -ECANCELED, -EHOSTUNREACH (no such name, no answer) or -ENOMEM.
 */
static int
awsw_resolve(struct aws_client *a, struct aws_job *j, int64_t deadline, struct awsw_addrs *out)
{
	struct pollfd p[ARES_GETSOCK_MAXNUM + 1];
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct ares_addrinfo_hints hints;
	struct awsw_lookup q = {false, ARES_SUCCESS, out};
	struct timeval maxtv, tv, *tvp;
	ares_channel ch;
	int64_t left;
	int bits, i, n, pr, ms, r = 0;

	if (awsw_numeric(j->host, atoi(j->port), out))
		return 0;
	if (ares_init_options(&ch, NULL, 0) != ARES_SUCCESS) {
		snprintf(j->errtext, sizeof(j->errtext),
		    "cannot resolve %s: cannot set up the "
		    "resolver",
		    j->host);
		return -ENOMEM;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV;
	ares_getaddrinfo(ch, j->host, j->port, &hints, awsw_lookup_cb, &q);
	/* each pass waits in poll() until a socket is ready, c-ares' next timeout or
	 * the deadline: bounded by the deadline */
	while (!q.done) {
		left = deadline - mono_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		for (i = n = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			if (!ARES_GETSOCK_READABLE(bits, i) && !ARES_GETSOCK_WRITABLE(bits, i))
				continue;
			p[n].fd = socks[i];
			p[n].events = (short)((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
					      (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
			p[n++].revents = 0;
		}
		p[n].fd = a->wake_fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		maxtv.tv_sec = (time_t)(left / 1000);
		maxtv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		tvp = ares_timeout(ch, &maxtv, &tv);
		ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
		pr = poll(p, (nfds_t)n + 1, ms);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(j->errtext, sizeof(j->errtext), "cannot resolve %s: poll: %s",
			    j->host, strerror(errno));
			break;
		}
		if (p[n].revents != 0) {
			r = -ECANCELED;
			break;
		}
		if (pr == 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
			continue;
		}
		for (i = 0; i < n; i++)
			if (p[i].revents != 0)
				ares_process_fd(ch,
				    p[i].revents & (POLLIN | POLLERR | POLLHUP) ? p[i].fd
										: ARES_SOCKET_BAD,
				    p[i].revents & POLLOUT ? p[i].fd : ARES_SOCKET_BAD);
	}
	ares_destroy(ch); /* an unfinished lookup ends here (its callback: EDESTRUCTION) */
	if (r == -ETIMEDOUT) {
		snprintf(j->errtext, sizeof(j->errtext),
		    "%s %s: timed out after %dms resolving the "
		    "name",
		    j->what, j->host, j->timeout_ms);
		return r;
	}
	if (r < 0)
		return r;
	if (q.status != ARES_SUCCESS || out->n == 0) {
		snprintf(j->errtext, sizeof(j->errtext), "cannot resolve %s: %s", j->host,
		    q.status != ARES_SUCCESS ? ares_strerror(q.status) : "no IPv4 or IPv6 address");
		return -EHOSTUNREACH;
	}
	return 0;
}

/* Connect to the first address of the host that answers; the socket or a negative errno. */
static int
awsw_job_connect(struct aws_client *a, struct aws_job *j, int64_t deadline)
{
	struct awsw_addrs addrs;
	int fd = -1, r = -EHOSTUNREACH, soerr, one = 1;
	socklen_t sl;
	size_t k;

	r = awsw_resolve(a, j, deadline, &addrs);
	if (r < 0)
		return r;
	r = -EHOSTUNREACH;
	for (k = 0; k < addrs.n; k++) {
		fd = socket(addrs.ss[k].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&addrs.ss[k], addrs.len[k]) == 0)
			break;
		r = -errno;
		if (r == -EINPROGRESS) {
			r = awsw_wait_fd(a, fd, POLLOUT, deadline);
			if (r == 0) {
				sl = sizeof(soerr);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
					r = -errno;
				else
					r = -soerr;
				if (r == 0)
					break;
			}
		}
		close(fd);
		fd = -1;
		if (r == -ETIMEDOUT || r == -ECANCELED)
			break;
	}
	if (fd < 0) {
		if (r == -ETIMEDOUT)
			snprintf(j->errtext, sizeof(j->errtext),
			    "%s %s:%s: timed out after %dms "
			    "connecting",
			    j->what, j->host, j->port, j->timeout_ms);
		else if (r != -ECANCELED)
			snprintf(j->errtext, sizeof(j->errtext), "%s %s:%s: connect: %s", j->what,
			    j->host, j->port, strerror(-r));
		return r;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
awsw_on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct aws_job *j = arg;

	if (nlen == 4 && strncasecmp(name, "Date", 4) == 0 && vlen < sizeof(j->date)) {
		memcpy(j->date, value, vlen);
		j->date[vlen] = '\0';
	}
	return 0;
}

static int
awsw_on_body(void *arg, const char *data, size_t len)
{
	struct aws_job *j = arg;

	tbuf_append(&j->body, data, len);
	return 0;
}

/* Send the request and read the answer, over TLS when tc is not NULL. */
static int
awsw_job_io(struct aws_client *a, struct aws_job *j, int fd, struct tls_conn *tc, int64_t deadline)
{
	static const struct http_limits lim = {16384, 100, RESP_BODY_MAX};
	static const struct http_response_cb cbs = {awsw_on_header, NULL, awsw_on_body};
	const char *phase = "sending the request";
	struct http_parser hp;
	size_t off = 0, n = 0;
	char buf[16384];
	enum tls_rc tr;
	ssize_t w;
	int r = 0, rc, e;

	http_parser_init(&hp, &lim, false, &cbs, j);
	while (off < j->wire_len) {
		if (tc != NULL) {
			tr = tls_conn_write(tc, j->wire + off, j->wire_len - off, &n);
			if (tr == TLS_OK) {
				off += n;
				continue;
			}
			if (tr == TLS_ERROR) {
				char t[128];

				tls_conn_error(tc, t, sizeof(t), &e);
				snprintf(j->errtext, sizeof(j->errtext), "%s %s: TLS write: %s",
				    j->what, j->host, t);
				r = -ECONNRESET;
				goto out;
			}
			r = awsw_wait_fd(a, fd, tr == TLS_WANT_READ ? POLLIN : POLLOUT, deadline);
		} else {
			w = send(fd, j->wire + off, j->wire_len - off, MSG_NOSIGNAL);
			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				r = -errno;
				snprintf(j->errtext, sizeof(j->errtext), "%s %s: send: %s", j->what,
				    j->host, strerror(errno));
				goto out;
			}
			r = awsw_wait_fd(a, fd, POLLOUT, deadline);
		}
		if (r < 0)
			goto out;
	}
	j->sent_ms = mono_ms();
	phase = "waiting for the answer";
	for (;;) {
		if (tc != NULL) {
			tr = tls_conn_read(tc, buf, sizeof(buf), &n);
			if (tr == TLS_WANT_READ || tr == TLS_WANT_WRITE) {
				r = awsw_wait_fd(
				    a, fd, tr == TLS_WANT_READ ? POLLIN : POLLOUT, deadline);
				if (r < 0)
					goto out;
				continue;
			}
			if (tr == TLS_ERROR) {
				char t[128];

				tls_conn_error(tc, t, sizeof(t), &e);
				snprintf(j->errtext, sizeof(j->errtext), "%s %s: TLS read: %s",
				    j->what, j->host, t);
				r = -ECONNRESET;
				goto out;
			}
			if (tr == TLS_EOF)
				n = 0;
		} else {
			w = recv(fd, buf, sizeof(buf), 0);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					r = awsw_wait_fd(a, fd, POLLIN, deadline);
					if (r < 0)
						goto out;
					continue;
				}
				r = -errno;
				snprintf(j->errtext, sizeof(j->errtext), "%s %s: recv: %s", j->what,
				    j->host, strerror(errno));
				goto out;
			}
			n = (size_t)w;
		}
		rc = n == 0 ? http_parser_eof(&hp) : http_parser_feed(&hp, buf, n, NULL);
		if (rc == HTTP_DONE) {
			j->status = hp.status;
			r = 0;
			goto out;
		}
		if (rc < 0) {
			r = rc == -EPIPE ? -ECONNRESET : rc;
			snprintf(j->errtext, sizeof(j->errtext), "%s %s: %s", j->what, j->host,
			    rc == -EPIPE ? "connection closed before the answer was complete"
					 : http_parser_error(&hp));
			goto out;
		}
		if (rc == HTTP_STOP) {
			r = -EBADMSG;
			goto out;
		}
	}
out:
	if (r == -ETIMEDOUT)
		snprintf(j->errtext, sizeof(j->errtext), "%s %s: timed out after %dms %s", j->what,
		    j->host, j->timeout_ms, phase);
	http_parser_fini(&hp);
	return r;
}

static void
awsw_job_run(struct aws_client *a, struct aws_job *j)
{
	int64_t deadline = mono_ms() + j->timeout_ms;
	struct tls_conn *tc = NULL;
	enum tls_rc tr;
	enum tls_err te;
	char t[128];
	int fd, r = 0, e;

	fd = awsw_job_connect(a, j, deadline);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if (j->tls != NULL) {
		tc = tls_conn_new(j->tls, fd, j->host, j->host);
		if (tc == NULL) {
			r = -ENOMEM;
			snprintf(j->errtext, sizeof(j->errtext), "%s %s: cannot set up TLS",
			    j->what, j->host);
			goto out;
		}
		for (;;) {
			tr = tls_conn_handshake(tc);
			if (tr == TLS_OK)
				break;
			if (tr == TLS_ERROR) {
				te = tls_conn_error(tc, t, sizeof(t), &e);
				/* a refused certificate is a configuration error: never retried */
				r = te == TLS_E_VERIFY	? -EKEYREJECTED
				    : te == TLS_E_RESET ? -ECONNRESET
							: -EPROTO;
				snprintf(j->errtext, sizeof(j->errtext),
				    "%s %s: TLS handshake: %s%s", j->what, j->host,
				    te == TLS_E_VERIFY ? "certificate refused: " : "", t);
				goto out;
			}
			r = awsw_wait_fd(a, fd, tr == TLS_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (r < 0) {
				if (r == -ETIMEDOUT)
					snprintf(j->errtext, sizeof(j->errtext),
					    "%s %s: timed out "
					    "after %dms in the TLS handshake",
					    j->what, j->host, j->timeout_ms);
				goto out;
			}
		}
	}
	r = awsw_job_io(a, j, fd, tc, deadline);
out:
	if (r == -ECANCELED)
		snprintf(j->errtext, sizeof(j->errtext), "cancelled");
	j->err = r;
	j->done_ms = mono_ms();
	tls_conn_free(tc);
	if (fd >= 0)
		close(fd);
}

static void *
awsw_worker_main(void *arg)
{
	struct aws_client *a = arg;
	struct aws_job *j;

	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (!a->stopping && a->q_head == NULL)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stopping) {
			pthread_mutex_unlock(&a->mu);
			return NULL;
		}
		j = a->q_head;
		a->q_head = j->next;
		if (a->q_head == NULL)
			a->q_tail = NULL;
		pthread_mutex_unlock(&a->mu);

		awsw_job_run(a, j);

		pthread_mutex_lock(&a->mu);
		j->next = NULL;
		if (a->done_tail != NULL)
			a->done_tail->next = j;
		else
			a->done_head = j;
		a->done_tail = j;
		pthread_mutex_unlock(&a->mu);
		ev_async_send(a->loop, &a->async);
	}
}

/* ------------------------------------------------------------ loop side of the pool */

struct aws_job *
awsw_job_new(struct aws_client *a, const struct aws_url *u, char *wire, size_t wire_len,
    int timeout_ms, const char *what)
{
	struct aws_job *j = xcalloc(1, sizeof(*j));

	j->host = xstrdup(u->host);
	snprintf(j->port, sizeof(j->port), "%d", u->port);
	j->tls = u->tls ? a->tls : NULL;
	j->wire = wire;
	j->wire_len = wire_len;
	j->timeout_ms = timeout_ms;
	j->what = what;
	j->sent_ms = -1;
	tbuf_init(&j->body);
	return j;
}

static void
awsw_job_free(struct aws_job *j)
{
	if (j == NULL)
		return;
	/* the request may hold a session token and a signature, the body a secret key */
	if (j->wire != NULL)
		explicit_bzero(j->wire, j->wire_len);
	if (j->body.s != NULL)
		explicit_bzero(j->body.s, j->body.len);
	free(j->wire);
	free(j->host);
	tbuf_free(&j->body);
	free(j);
}

void
awsw_job_submit(struct aws_client *a, struct aws_job *j)
{
	pthread_mutex_lock(&a->mu);
	j->next = NULL;
	if (a->q_tail != NULL)
		a->q_tail->next = j;
	else
		a->q_head = j;
	a->q_tail = j;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void
awsw_async_cb(struct ev_loop *l, ev_async *w, int revents)
{
	struct aws_client *a = w->data;
	struct aws_job *list, *j;

	pthread_mutex_lock(&a->mu);
	list = a->done_head;
	a->done_head = a->done_tail = NULL;
	pthread_mutex_unlock(&a->mu);
	while (list != NULL) {
		j = list;
		list = j->next;
		if (!j->cancelled && j->done != NULL)
			j->done(a, j);
		awsw_job_free(j);
	}
}

int
awsw_pool_start(struct aws_client *a)
{
	sigset_t all, old;
	int i, r;

	r = ares_library_init(ARES_LIB_INIT_ALL); /* counted; paired in awsw_pool_stop */
	if (r != ARES_SUCCESS) {
		log_warnx("aws: cannot set up the resolver library: %s", ares_strerror(r));
		return -ENOMEM;
	}
	a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->wake_fd < 0) {
		r = -errno;
		ares_library_cleanup();
		return r;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	ev_async_init(&a->async, awsw_async_cb);
	a->async.data = a;
	ev_async_start(a->loop, &a->async);
	/* signals belong to the loop thread: workers start with all of them blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < AWS_WORKERS; i++) {
		r = pthread_create(&a->threads[i], NULL, awsw_worker_main, a);
		if (r != 0)
			break;
		a->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (a->nthreads == 0) {
		log_warnc(-r, "aws: cannot start worker threads");
		return -r;
	}
	return 0;
}

void
awsw_pool_stop(struct aws_client *a)
{
	struct aws_job *j;
	uint64_t one = 1;
	int i;

	if (a->wake_fd < 0)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	if (write(a->wake_fd, &one, sizeof(one)) < 0)
		log_debug("aws: cannot wake the workers");
	for (i = 0; i < a->nthreads; i++)
		pthread_join(a->threads[i], NULL);
	a->nthreads = 0;
	ev_async_stop(a->loop, &a->async);
	while ((j = a->q_head) != NULL) {
		a->q_head = j->next;
		awsw_job_free(j);
	}
	while ((j = a->done_head) != NULL) {
		a->done_head = j->next;
		awsw_job_free(j);
	}
	a->q_tail = a->done_tail = NULL;
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	close(a->wake_fd);
	a->wake_fd = -1;
	ares_library_cleanup();
}
