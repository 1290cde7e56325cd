/*
 * aws.c - IMDSv2, credentials and EC2 Query API calls, on worker threads.
 *
 * Layout: the worker pool and one blocking-with-deadline HTTP(S) exchange
 * (the only code that runs off the loop thread), then the IMDS sequencer
 * (token, discovery, credentials), then EC2 calls with their retries, then
 * the client's life cycle.  See aws.h for the threading contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ev.h>

#include "aws.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "sigv4.h"
#include "tls.h"
#include "util.h"

#define AWS_WORKERS	     4
#define RESP_BODY_MAX	     (1024 * 1024)
#define IMDS_TOKEN_TTL_S     21600
#define IMDS_TIMEOUT_MAX_MS  2000
#define IMDS_TOKEN_MAX	     1024
#define DISC_BACKOFF_BASE_MS 500
#define DISC_BACKOFF_CAP_MS  30000
#define CREDS_LEAD_S	     (15 * 60)
#define CLOCK_SKEW_MIN_S     60
#define EC2_CONTENT_TYPE     "application/x-www-form-urlencoded; charset=utf-8"

/* One HTTP exchange, handed to a worker. */
struct aws_job {
	/* request: written by the loop thread before submission, then read-only */
	char *host;
	char port[8];
	struct tls_ctx *tls; /* NULL: plain http; a reference the client holds */
	char *wire;
	size_t wire_len;
	int timeout_ms;
	const char *what; /* "EC2", "IMDS": for error texts */
	/* answer: written by the worker, read by the loop thread after completion */
	int err;
	char errtext[200];
	int status;
	char date[64];
	struct tbuf body;
	int64_t sent_ms, done_ms;
	/* loop thread only */
	void (*done)(struct aws_client *a, struct aws_job *j);
	void *owner;
	bool cancelled;
	struct aws_job *next;
};

typedef void (*imds_fn)(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);

enum disc_step {
	DISC_INSTANCE = 0,
	DISC_REGION,
	DISC_AZ,
	DISC_MAC,
	DISC_ENI,
	DISC_IPS,
	DISC_ROLE,
	DISC_CREDS,
	DISC_DONE,
};

struct aws_call {
	struct aws_client *a;
	char *action;
	char *body;
	char *label;
	struct aws_call_opts o;
	aws_done_fn cb;
	void *arg;
	int attempts;
	bool creds_retried, clock_retried;
	bool waiting; /* for the client to be ready / fresh credentials */
	int64_t first_sent_ms;
	struct aws_job *job; /* the attempt on the wire */
	ev_timer backoff;
	struct aws_call *prev, *next;
};

struct aws_client {
	struct ev_loop *loop;
	/* what it was made from, for aws_client_same */
	struct aws conf;
	char *ifname;
	struct aws_settings s;
	struct aws_url ec2, imds;
	struct tls_ctx *tls; /* EC2 (and an https IMDS) */
	struct aws_identity id;
	void (*on_ready)(void *arg);
	void *arg;
	bool ready;

	/* credentials */
	struct aws_creds creds;
	bool creds_static; /* from the environment: never refreshed */
	char role[128];
	bool refreshing, refresh_forced;
	ev_timer refresh_timer;
	int refresh_failures;
	int64_t skew_s; /* added to our clock when signing */

	/* IMDS */
	char *token;
	int64_t token_until_ms;
	bool imds_busy;
	char imds_path[256];
	imds_fn imds_cb;
	bool imds_retried;
	enum disc_step step;
	int step_failures;
	char mac[18];
	char imds_eni[AWS_ID_MAX]; /* the ENI the IMDS names for our MAC */
	ev_timer disc_timer;

	struct aws_call *calls;
	uint64_t rng;

	/* worker pool */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct aws_job *q_head, *q_tail;
	struct aws_job *done_head, *done_tail;
	bool stopping;
	int wake_fd;
	pthread_t threads[AWS_WORKERS];
	int nthreads;
	ev_async async;
};

static void *worker_main(void *arg);
static void job_run(struct aws_client *a, struct aws_job *j);
static int wait_fd(struct aws_client *a, int fd, short events, int64_t deadline);
static int job_connect(struct aws_client *a, struct aws_job *j, int64_t deadline);
static int job_io(
    struct aws_client *a, struct aws_job *j, int fd, struct tls_conn *tc, int64_t deadline);
static int on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen);
static int on_body(void *arg, const char *data, size_t len);
static struct aws_job *job_new(struct aws_client *a, const struct aws_url *u, char *wire,
    size_t wire_len, int timeout_ms, const char *what);
static void job_free(struct aws_job *j);
static void job_submit(struct aws_client *a, struct aws_job *j);
static void async_cb(struct ev_loop *l, ev_async *w, int revents);
static int pool_start(struct aws_client *a);
static void pool_stop(struct aws_client *a);

static int imds_timeout(const struct aws_client *a);
static void imds_get(struct aws_client *a, const char *path, imds_fn fn);
static char *imds_target(const struct aws_client *a, const char *rest);
static void imds_send_token(struct aws_client *a);
static void imds_send_get(struct aws_client *a);
static void imds_token_done(struct aws_client *a, struct aws_job *j);
static void imds_get_done(struct aws_client *a, struct aws_job *j);
static void imds_finish(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static int iface_mac(const char *ifname, char *out, size_t len);
static void disc_next(struct aws_client *a);
static void disc_got(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static void disc_retry(struct aws_client *a, const char *why);
static void disc_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static void disc_finish(struct aws_client *a);
static void creds_start(struct aws_client *a);
static void creds_got_role(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static void creds_got(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static void creds_failed(struct aws_client *a, const char *why);
static void creds_schedule(struct aws_client *a);
static void refresh_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static bool creds_usable(const struct aws_client *a);

static uint32_t rnd32(struct aws_client *a);
static void calls_kick(struct aws_client *a);
static void call_try(struct aws_call *c);
static void call_job_done(struct aws_client *a, struct aws_job *j);
static void call_backoff_cb(struct ev_loop *l, ev_timer *w, int revents);
static void call_finish(struct aws_call *c, const struct aws_result *res);
static void call_free(struct aws_call *c);
static bool str_ends(const char *s, const char *suffix);
static void scopy(char *dst, size_t size, const char *src);

/* ------------------------------------------------------------ worker side */

static int
wait_fd(struct aws_client *a, int fd, short events, int64_t deadline)
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

/* Connect to the first address of the host that answers; the socket or a negative errno. */
static int
job_connect(struct aws_client *a, struct aws_job *j, int64_t deadline)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, r = -EHOSTUNREACH, gai, soerr, one = 1;
	unsigned char buf[sizeof(struct in6_addr)];
	socklen_t sl;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (inet_pton(AF_INET, j->host, buf) == 1 || inet_pton(AF_INET6, j->host, buf) == 1)
		hints.ai_flags |= AI_NUMERICHOST;
	gai = getaddrinfo(j->host, j->port, &hints, &res);
	if (gai != 0) {
		snprintf(j->errtext, sizeof(j->errtext), "cannot resolve %s: %s", j->host,
		    gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		r = -errno;
		if (r == -EINPROGRESS) {
			r = wait_fd(a, fd, POLLOUT, deadline);
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
	freeaddrinfo(res);
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
on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct aws_job *j = arg;

	if (nlen == 4 && strncasecmp(name, "Date", 4) == 0 && vlen < sizeof(j->date)) {
		memcpy(j->date, value, vlen);
		j->date[vlen] = '\0';
	}
	return 0;
}

static int
on_body(void *arg, const char *data, size_t len)
{
	struct aws_job *j = arg;

	tbuf_append(&j->body, data, len);
	return 0;
}

/* Send the request and read the answer, over TLS when tc is not NULL. */
static int
job_io(struct aws_client *a, struct aws_job *j, int fd, struct tls_conn *tc, int64_t deadline)
{
	static const struct http_limits lim = {16384, 100, RESP_BODY_MAX};
	static const struct http_response_cb cbs = {on_header, NULL, on_body};
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
			r = wait_fd(a, fd, tr == TLS_WANT_READ ? POLLIN : POLLOUT, deadline);
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
			r = wait_fd(a, fd, POLLOUT, deadline);
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
				r = wait_fd(
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
					r = wait_fd(a, fd, POLLIN, deadline);
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
job_run(struct aws_client *a, struct aws_job *j)
{
	int64_t deadline = mono_ms() + j->timeout_ms;
	struct tls_conn *tc = NULL;
	enum tls_rc tr;
	enum tls_err te;
	char t[128];
	int fd, r = 0, e;

	fd = job_connect(a, j, deadline);
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
			r = wait_fd(a, fd, tr == TLS_WANT_READ ? POLLIN : POLLOUT, deadline);
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
	r = job_io(a, j, fd, tc, deadline);
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
worker_main(void *arg)
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

		job_run(a, j);

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

static struct aws_job *
job_new(struct aws_client *a, const struct aws_url *u, char *wire, size_t wire_len, int timeout_ms,
    const char *what)
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
job_free(struct aws_job *j)
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

static void
job_submit(struct aws_client *a, struct aws_job *j)
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
async_cb(struct ev_loop *l, ev_async *w, int revents)
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
		job_free(j);
	}
}

static int
pool_start(struct aws_client *a)
{
	sigset_t all, old;
	int i, r;

	a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	ev_async_init(&a->async, async_cb);
	a->async.data = a;
	ev_async_start(a->loop, &a->async);
	/* signals belong to the loop thread: workers start with all of them blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < AWS_WORKERS; i++) {
		r = pthread_create(&a->threads[i], NULL, worker_main, a);
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

static void
pool_stop(struct aws_client *a)
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
		job_free(j);
	}
	while ((j = a->done_head) != NULL) {
		a->done_head = j->next;
		job_free(j);
	}
	a->q_tail = a->done_tail = NULL;
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	close(a->wake_fd);
	a->wake_fd = -1;
}

/* ------------------------------------------------------------ IMDS */

/*
 * IMDS answers in microseconds on a healthy instance; a PUT that hangs is
 * the classic hop-limit problem (containers), so do not wait for it long.
 */
static int
imds_timeout(const struct aws_client *a)
{
	return a->conf.api_timeout_ms < IMDS_TIMEOUT_MAX_MS ? a->conf.api_timeout_ms
							    : IMDS_TIMEOUT_MAX_MS;
}

/* GET /latest/meta-data/PATH (or /latest/PATH for "api/..."), with a token. */
static void
imds_get(struct aws_client *a, const char *path, imds_fn fn)
{
	a->imds_busy = true;
	a->imds_cb = fn;
	a->imds_retried = false;
	snprintf(a->imds_path, sizeof(a->imds_path), "%s", path);
	if (a->token == NULL || mono_ms() >= a->token_until_ms)
		imds_send_token(a);
	else
		imds_send_get(a);
}

static char *
imds_target(const struct aws_client *a, const char *rest)
{
	size_t n = strlen(a->imds.path);

	/* an endpoint with a path prefix ("http://host/prefix/") keeps it */
	return xasprintf("%.*s/latest/%s", (int)(n > 0 && a->imds.path[n - 1] == '/' ? n - 1 : n),
	    a->imds.path, rest);
}

static void
imds_send_token(struct aws_client *a)
{
	char ttl[16], *target, *wire;
	struct http_header h[1];
	struct http_request rq;
	struct aws_job *j;
	size_t len;

	FREE_AND_NULL(a->token);
	snprintf(ttl, sizeof(ttl), "%d", IMDS_TOKEN_TTL_S);
	h[0].name = "X-aws-ec2-metadata-token-ttl-seconds";
	h[0].value = ttl;
	target = imds_target(a, "api/token");
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.target = target;
	rq.host = a->imds.hostport;
	rq.headers = h;
	rq.nheaders = 1;
	rq.body = "";
	rq.body_len = 0;
	if (http_request_format(&rq, &wire, &len) < 0) {
		free(target);
		imds_finish(a, -EINVAL, 0, NULL, 0, "cannot format the token request");
		return;
	}
	free(target);
	j = job_new(a, &a->imds, wire, len, imds_timeout(a), "IMDS");
	j->done = imds_token_done;
	job_submit(a, j);
}

static void
imds_send_get(struct aws_client *a)
{
	struct http_header h[1];
	struct http_request rq;
	char *target, *wire;
	struct aws_job *j;
	size_t len;

	h[0].name = "X-aws-ec2-metadata-token";
	h[0].value = a->token;
	target = imds_target(a, a->imds_path);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.target = target;
	rq.host = a->imds.hostport;
	rq.headers = h;
	rq.nheaders = 1;
	if (http_request_format(&rq, &wire, &len) < 0) {
		free(target);
		imds_finish(a, -EINVAL, 0, NULL, 0, "cannot format the request");
		return;
	}
	free(target);
	j = job_new(a, &a->imds, wire, len, imds_timeout(a), "IMDS");
	j->done = imds_get_done;
	job_submit(a, j);
}

static void
imds_token_done(struct aws_client *a, struct aws_job *j)
{
	char why[400], tok[IMDS_TOKEN_MAX];

	if (j->err < 0) {
		snprintf(why, sizeof(why), "token: %s%s", j->errtext,
		    j->err == -ETIMEDOUT ? " (a PUT that never answers is the IMDS hop limit: "
					   "from a container, raise http-put-response-hop-limit "
					   "to 2)"
					 : "");
		imds_finish(a, j->err, 0, NULL, 0, why);
		return;
	}
	if (j->status != 200 || aws_imds_first_line(j->body.s != NULL ? j->body.s : "", j->body.len,
				    tok, sizeof(tok)) < 0) {
		snprintf(why, sizeof(why), "token: HTTP %d%s", j->status,
		    j->status == 403   ? " (IMDS disabled on this instance?)"
		    : j->status == 200 ? " with an unusable token"
				       : "");
		imds_finish(a, -EIO, j->status, NULL, 0, why);
		return;
	}
	a->token = xstrdup(tok);
	explicit_bzero(tok, sizeof(tok));
	a->token_until_ms = mono_ms() + (int64_t)(IMDS_TOKEN_TTL_S - 300) * 1000;
	imds_send_get(a);
}

static void
imds_get_done(struct aws_client *a, struct aws_job *j)
{
	char why[300];

	if (j->err < 0) {
		imds_finish(a, j->err, 0, NULL, 0, j->errtext);
		return;
	}
	if (j->status == 401 && !a->imds_retried) {
		/* the token expired or the IMDS restarted: one more time with a new one */
		a->imds_retried = true;
		imds_send_token(a);
		return;
	}
	if (j->status != 200) {
		snprintf(why, sizeof(why), "%s: HTTP %d", a->imds_path, j->status);
		imds_finish(a, -EIO, j->status, NULL, 0, why);
		return;
	}
	imds_finish(a, 0, 200, j->body.s != NULL ? j->body.s : "", j->body.len, NULL);
}

static void
imds_finish(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	imds_fn fn = a->imds_cb;

	a->imds_busy = false;
	a->imds_cb = NULL;
	if (fn != NULL)
		fn(a, err, status, body, len, why);
}

/* The MAC of ifname as the IMDS spells it ("0a:1b:2c:3d:4e:5f"). */
static int
iface_mac(const char *ifname, char *out, size_t len)
{
	struct ifreq ifr;
	unsigned char *m;
	int fd, r = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/*
 * Discovery, one IMDS path at a time: instance-id, region (unless set),
 * availability zone, MAC (of router.interface, else the IMDS's own), its
 * ENI, that ENI's private IPs, then the role's credentials (unless they
 * came from the environment).  A failing step is retried with backoff,
 * forever: without it no claim can be made, and the IMDS may come back.
 */
static void
disc_next(struct aws_client *a)
{
	char path[256];
	int r;

	for (;;) {
		switch (a->step) {
		case DISC_INSTANCE:
			imds_get(a, "meta-data/instance-id", disc_got);
			return;
		case DISC_REGION:
			if (a->s.region[0] != '\0')
				break;
			imds_get(a, "meta-data/placement/region", disc_got);
			return;
		case DISC_AZ:
			imds_get(a, "meta-data/placement/availability-zone", disc_got);
			return;
		case DISC_MAC:
			if (a->ifname != NULL) {
				r = iface_mac(a->ifname, a->mac, sizeof(a->mac));
				if (r < 0) {
					char why[160];

					snprintf(why, sizeof(why),
					    "interface %s: cannot read its "
					    "MAC address: %s",
					    a->ifname, strerror(-r));
					disc_retry(a, why);
					return;
				}
				break;
			}
			imds_get(a, "meta-data/mac", disc_got);
			return;
		case DISC_ENI:
			snprintf(path, sizeof(path),
			    "meta-data/network/interfaces/macs/%s/"
			    "interface-id",
			    a->mac);
			imds_get(a, path, disc_got);
			return;
		case DISC_IPS:
			if (strcmp(a->imds_eni, a->id.eni) != 0)
				break; /* a configured ENI that is not router.interface's */
			snprintf(path, sizeof(path),
			    "meta-data/network/interfaces/macs/%s/"
			    "local-ipv4s",
			    a->mac);
			imds_get(a, path, disc_got);
			return;
		case DISC_ROLE:
			if (a->creds_static)
				break;
			imds_get(a, "meta-data/iam/security-credentials/", disc_got);
			return;
		case DISC_CREDS:
			if (a->creds_static)
				break;
			snprintf(
			    path, sizeof(path), "meta-data/iam/security-credentials/%s", a->role);
			imds_get(a, path, disc_got);
			return;
		case DISC_DONE:
			disc_finish(a);
			return;
		}
		a->step++;
	}
}

static void
disc_got(struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	char line[AWS_ID_MAX + 64], cerr[128], msg[300];
	struct aws_creds c;
	struct in_addr ip;

	if (err < 0) {
		snprintf(msg, sizeof(msg), "%s%s", why != NULL ? why : "failed",
		    a->step == DISC_ROLE && status == 404  ? " (no IAM role attached to the "
							     "instance?)"
		    : a->step == DISC_ENI && status == 404 ? " (the interface is not an ENI of "
							     "this instance?)"
							   : "");
		disc_retry(a, msg);
		return;
	}
	switch (a->step) {
	case DISC_INSTANCE:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_id_valid(line, "i-")) {
			disc_retry(a, "instance-id: not an instance id");
			return;
		}
		scopy(a->id.instance_id, sizeof(a->id.instance_id), line);
		break;
	case DISC_REGION:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_region_valid(line)) {
			disc_retry(a, "placement/region: not a region name");
			return;
		}
		scopy(a->s.region, sizeof(a->s.region), line);
		a->s.region_src = AWS_SRC_IMDS;
		if (a->s.ec2_url[0] == '\0') {
			aws_ec2_default_url(line, a->s.ec2_url, sizeof(a->s.ec2_url));
			a->s.ec2_src = AWS_SRC_DEFAULT;
			if (aws_url_parse(a->s.ec2_url, &a->ec2) < 0) {
				disc_retry(a, "no usable EC2 endpoint for that region");
				return;
			}
		}
		break;
	case DISC_AZ:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_region_valid(line) || strlen(line) >= sizeof(a->id.az)) {
			disc_retry(a, "placement/availability-zone: not a zone name");
			return;
		}
		scopy(a->id.az, sizeof(a->id.az), line);
		break;
	case DISC_MAC:
		if (aws_imds_first_line(body, len, a->mac, sizeof(a->mac)) < 0) {
			disc_retry(a, "mac: not a MAC address");
			return;
		}
		break;
	case DISC_ENI:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_id_valid(line, "eni-")) {
			disc_retry(a, "interface-id: not an ENI id");
			return;
		}
		scopy(a->imds_eni, sizeof(a->imds_eni), line);
		if (a->conf.network_interface_id != NULL) {
			snprintf(a->id.eni, sizeof(a->id.eni), "%s", a->conf.network_interface_id);
			if (strcmp(line, a->id.eni) != 0)
				log_notice(
				    "aws: using the configured ENI %s; %s (MAC %s) is %s, so "
				    "its primary private IP is not known: give each VIP an "
				    "eip.private_ip for this router",
				    a->id.eni,
				    a->ifname != NULL ? a->ifname : "the primary interface", a->mac,
				    line);
		} else {
			scopy(a->id.eni, sizeof(a->id.eni), line);
		}
		break;
	case DISC_IPS:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    inet_pton(AF_INET, line, &ip) != 1) {
			disc_retry(a, "local-ipv4s: not an IPv4 address");
			return;
		}
		scopy(a->id.primary_ip, sizeof(a->id.primary_ip), line);
		break;
	case DISC_ROLE:
		if (aws_imds_first_line(body, len, a->role, sizeof(a->role)) < 0 ||
		    strpbrk(a->role, "/?#%") != NULL) {
			disc_retry(a, "iam/security-credentials/: not a role name");
			return;
		}
		break;
	case DISC_CREDS:
		if (aws_creds_parse(body, len, &c, cerr, sizeof(cerr)) < 0) {
			snprintf(msg, sizeof(msg), "credentials of role %s: %s", a->role, cerr);
			disc_retry(a, msg);
			return;
		}
		aws_creds_clear(&a->creds);
		a->creds = c;
		break;
	case DISC_DONE:
		break;
	}
	a->step_failures = 0;
	a->step++;
	disc_next(a);
}

static void
disc_retry(struct aws_client *a, const char *why)
{
	int64_t d = aws_backoff_ms(
	    (unsigned)++a->step_failures, DISC_BACKOFF_BASE_MS, DISC_BACKOFF_CAP_MS, rnd32(a));

	/* the first failure and then every tenth: the IMDS may be down for long */
	if (a->step_failures == 1 || a->step_failures % 10 == 0)
		log_warnx("aws: instance metadata: %s; retrying in %lldms (attempt %d)", why,
		    (long long)d, a->step_failures);
	ev_timer_set(&a->disc_timer, (double)d / 1000.0, 0.);
	ev_timer_start(a->loop, &a->disc_timer);
}

static void
disc_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct aws_client *a = w->data;

	disc_next(a);
}

static void
disc_finish(struct aws_client *a)
{
	char exp[64] = "", ip[64] = "";

	snprintf(a->id.region, sizeof(a->id.region), "%s", a->s.region);
	if (a->creds.expiration != 0)
		snprintf(exp, sizeof(exp), " (expiring in %lldmin)",
		    (long long)(a->creds.expiration - time(NULL)) / 60);
	if (a->id.primary_ip[0] != '\0')
		snprintf(ip, sizeof(ip), " (primary private IP %s)", a->id.primary_ip);
	log_notice("aws: instance %s%s%s, region %s (from the %s), ENI %s%s, credentials %s%s%s",
	    a->id.instance_id[0] != '\0' ? a->id.instance_id : "(unknown)",
	    a->id.az[0] != '\0' ? " in " : "", a->id.az, a->id.region, aws_src_str(a->s.region_src),
	    a->id.eni, ip,
	    a->creds_static ? "from the environment" : "of the instance profile role ",
	    a->creds_static ? "" : a->role, exp);
	log_info("aws: EC2 endpoint %s (%s)", a->s.ec2_url, aws_src_str(a->s.ec2_src));
	a->ready = true;
	creds_schedule(a);
	if (a->on_ready != NULL)
		a->on_ready(a->arg);
	calls_kick(a);
}

/* ------------------------------------------------------------ credentials */

static bool
creds_usable(const struct aws_client *a)
{
	if (a->creds.access_key_id[0] == '\0' || a->refresh_forced)
		return false;
	return a->creds.expiration == 0 || a->creds.expiration > time(NULL) + 30;
}

static void
creds_schedule(struct aws_client *a)
{
	int64_t left, lead, at;

	ev_timer_stop(a->loop, &a->refresh_timer);
	if (a->creds_static || a->creds.expiration == 0)
		return;
	left = (int64_t)(a->creds.expiration - time(NULL));
	lead = left / 2 < CREDS_LEAD_S ? left / 2 : CREDS_LEAD_S;
	at = left - lead;
	if (at < 5)
		at = 5;
	ev_timer_set(&a->refresh_timer, (double)at, 0.);
	ev_timer_start(a->loop, &a->refresh_timer);
}

static void
refresh_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	creds_start(w->data);
}

/* Fetch the role's credentials again (the role name too: it can change). */
static void
creds_start(struct aws_client *a)
{
	if (a->creds_static || a->refreshing || !a->ready)
		return;
	if (a->imds_busy) {
		ev_timer_set(&a->refresh_timer, 0.1, 0.);
		ev_timer_start(a->loop, &a->refresh_timer);
		return;
	}
	a->refreshing = true;
	imds_get(a, "meta-data/iam/security-credentials/", creds_got_role);
}

static void
creds_got_role(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	char path[200];

	if (err < 0) {
		creds_failed(a, why);
		return;
	}
	if (aws_imds_first_line(body, len, a->role, sizeof(a->role)) < 0 ||
	    strpbrk(a->role, "/?#%") != NULL) {
		creds_failed(a, "iam/security-credentials/: not a role name");
		return;
	}
	snprintf(path, sizeof(path), "meta-data/iam/security-credentials/%s", a->role);
	imds_get(a, path, creds_got);
}

static void
creds_got(struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	char cerr[128], msg[300];
	struct aws_creds c;

	if (err < 0) {
		creds_failed(a, why);
		return;
	}
	if (aws_creds_parse(body, len, &c, cerr, sizeof(cerr)) < 0) {
		snprintf(msg, sizeof(msg), "credentials of role %s: %s", a->role, cerr);
		creds_failed(a, msg);
		return;
	}
	log_info("aws: credentials of role %s refreshed%s", a->role,
	    strcmp(c.access_key_id, a->creds.access_key_id) == 0 ? " (the same key: the IMDS "
								   "has not rotated it yet)"
								 : "");
	aws_creds_clear(&a->creds);
	a->creds = c;
	a->refreshing = false;
	a->refresh_forced = false;
	a->refresh_failures = 0;
	creds_schedule(a);
	calls_kick(a);
}

static void
creds_failed(struct aws_client *a, const char *why)
{
	int64_t d = aws_backoff_ms(
	    (unsigned)++a->refresh_failures, DISC_BACKOFF_BASE_MS, DISC_BACKOFF_CAP_MS, rnd32(a));

	a->refreshing = false;
	log_warnx("aws: cannot refresh the credentials: %s; retrying in %lldms",
	    why != NULL ? why : "failed", (long long)d);
	ev_timer_set(&a->refresh_timer, (double)d / 1000.0, 0.);
	ev_timer_start(a->loop, &a->refresh_timer);
	/* calls waiting for fresh credentials try the old ones meanwhile, if still valid */
	if (a->refresh_forced && a->creds.expiration > time(NULL) + 30) {
		a->refresh_forced = false;
		calls_kick(a);
	}
}

/* ------------------------------------------------------------ EC2 calls */

static uint32_t
rnd32(struct aws_client *a)
{
	if (a->rng == 0)
		a->rng = (uint64_t)mono_us() | 1;
	a->rng ^= a->rng << 13;
	a->rng ^= a->rng >> 7;
	a->rng ^= a->rng << 17;
	return (uint32_t)(a->rng >> 16);
}

/* Copy a string known to fit (checked by its validator) or truncate it. */
static void
scopy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool
str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Send every call that waits, now that it can go. */
static void
calls_kick(struct aws_client *a)
{
	struct aws_call *c, *next;

	for (c = a->calls; c != NULL; c = next) {
		next = c->next;
		if (c->waiting)
			call_try(c);
	}
}

struct aws_call *
aws_ec2(struct aws_client *a, const char *action, const struct aws_param *p, size_t n,
    const struct aws_call_opts *o, aws_done_fn cb, void *arg)
{
	struct aws_call *c = xcalloc(1, sizeof(*c));

	c->a = a;
	c->action = xstrdup(action);
	c->body = aws_query_body(action, p, n, o->dry_run);
	c->o = *o;
	c->label = xstrdup(o->label != NULL ? o->label : "aws");
	c->o.label = c->label;
	if (c->o.backoff_base_ms <= 0)
		c->o.backoff_base_ms = 200;
	if (c->o.backoff_cap_ms <= 0)
		c->o.backoff_cap_ms = 5000;
	c->cb = cb;
	c->arg = arg;
	c->first_sent_ms = -1;
	ev_timer_init(&c->backoff, call_backoff_cb, 0., 0.);
	c->backoff.data = c;
	c->next = a->calls;
	if (a->calls != NULL)
		a->calls->prev = c;
	a->calls = c;
	call_try(c);
	return c;
}

/* Sign and send one attempt, or wait until that is possible. */
static void
call_try(struct aws_call *c)
{
	struct aws_client *a = c->a;
	struct sigv4_header sh[2];
	struct sigv4_request sr;
	struct sigv4_credentials cr;
	struct sigv4_signed sig;
	struct http_header hh[4];
	struct http_request hr;
	struct aws_result res;
	struct aws_job *j;
	size_t nh = 0, len;
	char *wire;
	int r;

	if (!a->ready || !creds_usable(a)) {
		c->waiting = true;
		if (a->ready && !a->refreshing)
			creds_start(a);
		return;
	}
	c->waiting = false;
	memset(&sig, 0, sizeof(sig));
	sh[0].name = "Host";
	sh[0].value = a->ec2.hostport;
	sh[1].name = "Content-Type";
	sh[1].value = EC2_CONTENT_TYPE;
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.path = a->ec2.path;
	sr.headers = sh;
	sr.nheaders = 2;
	sr.body = c->body;
	sr.body_len = strlen(c->body);
	sr.normalize_path = true;
	cr.access_key_id = a->creds.access_key_id;
	cr.secret_access_key = a->creds.secret_access_key;
	cr.session_token = a->creds.session_token;
	r = sigv4_sign(&sr, &cr, a->s.region, "ec2", time(NULL) + (time_t)a->skew_s, true, &sig);
	if (r == 0) {
		hh[nh].name = "Content-Type";
		hh[nh++].value = EC2_CONTENT_TYPE;
		hh[nh].name = "X-Amz-Date";
		hh[nh++].value = sig.amz_date;
		if (cr.session_token != NULL) {
			hh[nh].name = "X-Amz-Security-Token";
			hh[nh++].value = cr.session_token;
		}
		hh[nh].name = "Authorization";
		hh[nh++].value = sig.authorization;
		memset(&hr, 0, sizeof(hr));
		hr.method = "POST";
		hr.target = a->ec2.path;
		hr.host = a->ec2.hostport;
		hr.headers = hh;
		hr.nheaders = nh;
		hr.body = c->body;
		hr.body_len = strlen(c->body);
		r = http_request_format(&hr, &wire, &len);
	}
	if (sig.canonical_request != NULL) /* holds the session token */
		explicit_bzero(sig.canonical_request, strlen(sig.canonical_request));
	sigv4_signed_free(&sig);
	if (r < 0) {
		memset(&res, 0, sizeof(res));
		res.verdict = AWS_V_FATAL;
		res.attempts = c->attempts;
		res.first_sent_ms = res.sent_ms = -1;
		res.done_ms = mono_ms();
		snprintf(res.why, sizeof(res.why), "cannot sign or format the request (%s)",
		    strerror(-r));
		call_finish(c, &res);
		return;
	}
	j = job_new(a, &a->ec2, wire, len, a->conf.api_timeout_ms, "EC2");
	j->done = call_job_done;
	j->owner = c;
	c->job = j;
	c->attempts++;
	job_submit(a, j);
}

static void
call_job_done(struct aws_client *a, struct aws_job *j)
{
	struct aws_call *c = j->owner;
	struct aws_ec2_reply *reply = NULL;
	struct aws_result res;
	char perr[128] = "";
	const char *code = NULL;
	time_t date, now;
	int64_t d;

	c->job = NULL;
	memset(&res, 0, sizeof(res));
	if (c->first_sent_ms < 0)
		c->first_sent_ms = j->sent_ms;
	res.first_sent_ms = c->first_sent_ms;
	res.sent_ms = j->sent_ms;
	res.done_ms = j->done_ms;
	res.attempts = c->attempts;
	res.http_status = j->err < 0 ? 0 : j->status;
	res.transport_err = j->err < 0 ? j->err : 0;
	if (j->err == 0 && j->body.len > 0) {
		reply = xmalloc(sizeof(*reply));
		if (aws_ec2_reply_parse(j->body.s, j->body.len, reply, perr, sizeof(perr)) < 0) {
			FREE_AND_NULL(reply);
		} else if (reply->error) {
			code = reply->code;
		} else if (!str_ends(reply->root, "Response")) {
			/* well-formed, but a proxy's page (<html>), not EC2's answer */
			snprintf(perr, sizeof(perr), "not an EC2 answer (<%s>)", reply->root);
			FREE_AND_NULL(reply);
		}
	}
	res.verdict = aws_classify(res.transport_err, res.http_status, code);
	if (res.verdict == AWS_V_OK && reply == NULL) {
		/* 2xx but nothing we can read: as good as no answer */
		res.verdict = AWS_V_TRANSIENT;
		snprintf(perr, sizeof(perr), "%s", perr[0] ? perr : "empty body");
	}
	res.reply = reply;
	if (j->err < 0)
		snprintf(res.why, sizeof(res.why), "%s", j->errtext);
	else if (code != NULL)
		snprintf(res.why, sizeof(res.why), "%.100s: %.200s (HTTP %d)", code,
		    reply->message[0] != '\0' ? reply->message : "no message", j->status);
	else if (res.verdict != AWS_V_OK)
		snprintf(
		    res.why, sizeof(res.why), "HTTP %d%s%s", j->status, perr[0] ? ", " : "", perr);
	res.ok = res.verdict == AWS_V_OK || res.verdict == AWS_V_DRYRUN_OK;

	switch (res.verdict) {
	case AWS_V_OK:
	case AWS_V_DRYRUN_OK:
		break;
	case AWS_V_THROTTLED:
	case AWS_V_TRANSIENT:
		if (c->o.max_attempts != 0 && c->attempts >= c->o.max_attempts)
			break;
		d = aws_backoff_ms(
		    (unsigned)c->attempts, c->o.backoff_base_ms, c->o.backoff_cap_ms, rnd32(a));
		log_info("%s: %s attempt %d: %s, retrying in %lldms", c->label, c->action,
		    c->attempts, res.why, (long long)d);
		ev_timer_set(&c->backoff, (double)d / 1000.0, 0.);
		ev_timer_start(a->loop, &c->backoff);
		free(reply);
		return;
	case AWS_V_CLOCK:
		now = time(NULL);
		if (!c->clock_retried && aws_parse_http_date(j->date, &date) == 0 &&
		    llabs((long long)(date - (now + a->skew_s))) >= CLOCK_SKEW_MIN_S) {
			c->clock_retried = true;
			if (llabs((long long)(date - now)) < CLOCK_SKEW_MIN_S) {
				log_notice("aws: the EC2 endpoint's clock (its Date header) agrees "
					   "with this one again; signing with our own time");
				a->skew_s = 0;
			} else {
				log_warnx(
				    "aws: this clock is %+llds off the EC2 endpoint's (its "
				    "Date header); signing with the endpoint's time until the "
				    "clock is fixed",
				    (long long)(now - date));
				a->skew_s = (int64_t)(date - now);
			}
			free(reply);
			call_try(c);
			return;
		}
		/* not the clock: expired credentials say RequestExpired too */
		/* fall through */
	case AWS_V_CREDENTIALS:
		if (!c->creds_retried && !a->creds_static) {
			c->creds_retried = true;
			log_notice("%s: %s: %s; fetching fresh credentials and trying again",
			    c->label, c->action, res.why);
			a->refresh_forced = true;
			c->waiting = true;
			creds_start(a);
			free(reply);
			return;
		}
		break;
	case AWS_V_DENIED:
	case AWS_V_FATAL:
		break;
	}
	call_finish(c, &res);
	free(reply);
}

static void
call_backoff_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	call_try(w->data);
}

/* Unlink, report, free.  The callback may start new calls. */
static void
call_finish(struct aws_call *c, const struct aws_result *res)
{
	aws_done_fn cb = c->cb;
	void *arg = c->arg;

	call_free(c);
	if (cb != NULL)
		cb(arg, res);
}

static void
call_free(struct aws_call *c)
{
	struct aws_client *a = c->a;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ev_timer_stop(a->loop, &c->backoff);
	if (c->job != NULL)
		c->job->cancelled = true; /* the worker finishes it; the answer is dropped */
	free(c->action);
	free(c->body);
	free(c->label);
	free(c);
}

void
aws_call_cancel(struct aws_call *c)
{
	if (c != NULL)
		call_free(c);
}

/* ------------------------------------------------------------ life cycle */

int
aws_client_new(const struct aws_client_conf *cc, struct aws_client **out)
{
	struct tls_ctx_conf tc;
	struct aws_client *a;
	struct errlist el;
	char err[256];
	size_t i;
	int r;

	*out = NULL;
	a = xcalloc(1, sizeof(*a));
	a->wake_fd = -1;
	a->loop = loop_ev();
	if (a->loop == NULL) {
		free(a);
		return -EINVAL;
	}
	errlist_init(&el);
	r = aws_settings_resolve(cc->aws, cc->env, &a->s, &el);
	for (i = 0; i < el.n; i++)
		log_warnx("%s", el.msgs[i]);
	errlist_clear(&el);
	if (r < 0) {
		free(a);
		return r;
	}
	a->conf = *cc->aws;
	a->conf.region = xstrdup(cc->aws->region);
	a->conf.ec2_endpoint = xstrdup(cc->aws->ec2_endpoint);
	a->conf.imds_endpoint = xstrdup(cc->aws->imds_endpoint);
	a->conf.ca_file = xstrdup(cc->aws->ca_file);
	a->conf.network_interface_id = xstrdup(cc->aws->network_interface_id);
	a->ifname = xstrdup(cc->ifname);
	a->on_ready = cc->on_ready;
	a->arg = cc->arg;
	ev_timer_init(&a->disc_timer, disc_timer_cb, 0., 0.);
	a->disc_timer.data = a;
	ev_timer_init(&a->refresh_timer, refresh_timer_cb, 0., 0.);
	a->refresh_timer.data = a;

	if (a->s.ec2_url[0] != '\0' && aws_url_parse(a->s.ec2_url, &a->ec2) < 0) {
		r = -EINVAL;
		goto fail;
	}
	if (aws_url_parse(a->s.imds_url, &a->imds) < 0) {
		r = -EINVAL;
		goto fail;
	}
	memset(&tc, 0, sizeof(tc));
	tc.verify = true;
	tc.ca_file = a->s.ca_file[0] != '\0' ? a->s.ca_file : NULL;
	r = tls_ctx_get(&tc, &a->tls, err, sizeof(err));
	if (r < 0) {
		log_warnx("aws: %s (CA bundle from the %s)", err, aws_src_str(a->s.ca_src));
		goto fail;
	}
	{
		char region[96], ec2[600];

		if (a->s.region[0] != '\0')
			snprintf(region, sizeof(region), "%s (%s)", a->s.region,
			    aws_src_str(a->s.region_src));
		else
			snprintf(region, sizeof(region), "from the instance metadata");
		if (a->s.ec2_url[0] != '\0')
			snprintf(
			    ec2, sizeof(ec2), "%s (%s)", a->s.ec2_url, aws_src_str(a->s.ec2_src));
		else
			snprintf(ec2, sizeof(ec2), "the region's");
		log_info("aws: region %s, EC2 endpoint %s, instance metadata %s (%s)%s, CA %s (%s)",
		    region, ec2, a->s.imds_url, aws_src_str(a->s.imds_src),
		    a->s.imds_disabled ? " disabled by AWS_EC2_METADATA_DISABLED" : "",
		    a->s.ca_file[0] != '\0' ? a->s.ca_file : "system store",
		    aws_src_str(a->s.ca_src));
	}

	if (a->s.access_key_id[0] != '\0') {
		a->creds_static = true;
		snprintf(a->creds.access_key_id, sizeof(a->creds.access_key_id), "%s",
		    a->s.access_key_id);
		snprintf(a->creds.secret_access_key, sizeof(a->creds.secret_access_key), "%s",
		    a->s.secret_access_key);
		a->creds.session_token = xstrdup(a->s.session_token);
	}
	r = pool_start(a);
	if (r < 0)
		goto fail;

	if (a->s.imds_disabled) {
		/* everything is configured: ready on the next loop iteration */
		snprintf(a->id.eni, sizeof(a->id.eni), "%s", a->conf.network_interface_id);
		a->step = DISC_DONE;
	}
	ev_timer_set(&a->disc_timer, 0., 0.);
	ev_timer_start(a->loop, &a->disc_timer);
	*out = a;
	return 0;
fail:
	aws_client_free(a);
	return r == -EINVAL || r == -ENOMEM ? r : -EINVAL;
}

void
aws_client_free(struct aws_client *a)
{
	if (a == NULL)
		return;
	while (a->calls != NULL)
		call_free(a->calls);
	if (a->loop != NULL) {
		ev_timer_stop(a->loop, &a->disc_timer);
		ev_timer_stop(a->loop, &a->refresh_timer);
	}
	pool_stop(a);
	tls_ctx_put(a->tls);
	aws_creds_clear(&a->creds);
	aws_settings_clear(&a->s);
	if (a->token != NULL) {
		explicit_bzero(a->token, strlen(a->token));
		free(a->token);
	}
	free(a->conf.region);
	free(a->conf.ec2_endpoint);
	free(a->conf.imds_endpoint);
	free(a->conf.ca_file);
	free(a->conf.network_interface_id);
	free(a->ifname);
	free(a);
}

bool
aws_client_ready(const struct aws_client *a)
{
	return a != NULL && a->ready;
}

const struct aws_identity *
aws_client_identity(const struct aws_client *a)
{
	return &a->id;
}

bool
aws_client_same(const struct aws_client *a, const struct aws *aws, const char *ifname)
{
	return str_eq(a->conf.region, aws->region) &&
	       str_eq(a->conf.ec2_endpoint, aws->ec2_endpoint) &&
	       str_eq(a->conf.imds_endpoint, aws->imds_endpoint) &&
	       str_eq(a->conf.ca_file, aws->ca_file) &&
	       str_eq(a->conf.network_interface_id, aws->network_interface_id) &&
	       a->conf.api_timeout_ms == aws->api_timeout_ms && str_eq(a->ifname, ifname);
}
