/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv.c - one-request-per-connection server on the libev loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "list.h"
#include "log.h"
#include "loop.h"
#include "srv.h"

/* Out of descriptors or memory at accept(): the listener pauses this long,
 * doubling to SRV_ACCEPT_PAUSE_MAX_MS, instead of spinning on a connection
 * it cannot take (the listener is level-triggered: it stays readable). */
#define SRV_ACCEPT_PAUSE_MS 50
#define SRV_ACCEPT_PAUSE_MAX_MS 1000

struct srv_client {
	struct srv *srv;
	int fd;
	ev_io io;
	ev_timer timer;
	char *req;
	size_t reqlen;
	struct tbuf resp;
	size_t sent;
	bool writing;
	bool deferred;	       /* the handler answers later (srv_defer) */
	void (*gone)(void *);  /* told if the client goes before srv_finish */
	void *gone_arg;
	struct list_node link; /* on srv.clients */
};

/* The client whose request the handler is running for (srv_defer). */
static struct srv_client *srv_current;

struct srv {
	struct srv_params p;
	int fd;
	ev_io io;
	ev_timer pause;	 /* accept() paused by a local shortage */
	int pause_ms;	 /* the current pause, 0: not paused */
	srv_handler *handler;
	void *arg;
	struct list_node clients;
	int nclients;
	unsigned long accept_pauses;
	struct log_ratelimit rl;
};

static void	on_accept(struct ev_loop *, ev_io *, int);
static void	on_accept_resume(struct ev_loop *, ev_timer *, int);
static void	on_client_io(struct ev_loop *, ev_io *, int);
static void	on_client_timeout(struct ev_loop *, ev_timer *, int);
static void	client_free(struct srv_client *);
static void	srv_start_write(struct srv_client *);

struct srv *
srv_new(int fd, const struct srv_params *p, srv_handler *h, void *arg)
{
	struct srv *s = xcalloc(1, sizeof(*s));

	s->p = *p;
	s->fd = fd;
	s->handler = h;
	s->arg = arg;
	s->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	list_init(&s->clients);
	ev_timer_init(&s->pause, on_accept_resume, 0., 0.);
	s->pause.data = s;
	ev_io_init(&s->io, on_accept, fd, EV_READ);
	s->io.data = s;
	ev_io_start(loop_ev(), &s->io);
	return s;
}

void
srv_free(struct srv *s)
{
	if (s == NULL)
		return;
	while (!list_empty(&s->clients))
		client_free(list_first_entry(&s->clients, struct srv_client, link));
	ev_io_stop(loop_ev(), &s->io);
	ev_timer_stop(loop_ev(), &s->pause);
	close(s->fd);
	free(s);
}

static void
on_accept_resume(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct srv *s = t->data;

	(void)revents;
	ev_io_start(loop, &s->io); /* pause_ms stays: the next failure doubles it */
}

static void
on_accept(struct ev_loop *loop, ev_io *io, int revents)
{
	struct srv *s = io->data;
	struct srv_client *cl;
	int fd;

	for (;;) {
		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			if (err == EAGAIN || err == EINTR)
				return;
			if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
				/* the connection stays queued and the socket readable:
				 * stop listening for a while instead of spinning */
				s->pause_ms = s->pause_ms == 0 ? SRV_ACCEPT_PAUSE_MS
				    : s->pause_ms * 2 > SRV_ACCEPT_PAUSE_MAX_MS ? SRV_ACCEPT_PAUSE_MAX_MS
				    : s->pause_ms * 2;
				s->accept_pauses++;
				ev_io_stop(loop, &s->io);
				ev_timer_set(&s->pause, s->pause_ms / 1000.0, 0.);
				ev_timer_start(loop, &s->pause);
				if (log_ratelimit_ok(&s->rl))
					log_warnc(-err, "%s: cannot accept a connection; not "
					    "listening for %d ms", s->p.name, s->pause_ms);
				return;
			}
			if (log_ratelimit_ok(&s->rl))
				log_warnc(-err, "%s: accept", s->p.name);
			return;
		}
		s->pause_ms = 0;
		if (s->nclients >= s->p.max_clients) {
			close(fd);
			if (log_ratelimit_ok(&s->rl))
				log_warnx("%s: %d clients already, refusing one", s->p.name,
				    s->nclients);
			continue;
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->srv = s;
		cl->fd = fd;
		cl->req = xmalloc(s->p.max_request + 1);
		tbuf_init(&cl->resp);
		ev_io_init(&cl->io, on_client_io, fd, EV_READ);
		cl->io.data = cl;
		ev_io_start(loop, &cl->io);
		ev_timer_init(&cl->timer, on_client_timeout, s->p.timeout_ms / 1000.0, 0.);
		cl->timer.data = cl;
		ev_timer_start(loop, &cl->timer);
		list_append(&s->clients, &cl->link);
		s->nclients++;
	}
}

static void
client_free(struct srv_client *cl)
{
	struct srv *s = cl->srv;

	if (cl->deferred && cl->gone != NULL)
		cl->gone(cl->gone_arg);
	list_remove(&cl->link);
	s->nclients--;
	ev_io_stop(loop_ev(), &cl->io);
	ev_timer_stop(loop_ev(), &cl->timer);
	close(cl->fd);
	tbuf_free(&cl->resp);
	free(cl->req);
	free(cl);
}

static void
on_client_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	client_free(t->data);
}

static void
client_respond(struct srv_client *cl, char *req, const char *error)
{
	struct srv *s = cl->srv;

	srv_current = cl;
	s->handler(s->arg, req, error, &cl->resp);
	srv_current = NULL;
	if (cl->deferred) {
		/* nothing to read or write until srv_finish; no deadline either:
		 * the answer's work is bounded (reading a configuration) */
		ev_io_stop(loop_ev(), &cl->io);
		ev_timer_stop(loop_ev(), &cl->timer);
		return;
	}
	srv_start_write(cl);
}

static void
srv_start_write(struct srv_client *cl)
{
	struct srv *s = cl->srv;

	cl->sent = 0;
	cl->writing = true;
	ev_io_stop(loop_ev(), &cl->io);
	ev_io_set(&cl->io, cl->fd, EV_WRITE);
	ev_io_start(loop_ev(), &cl->io);
	/* a new deadline for the answer: a reader that stops reading is dropped */
	ev_timer_stop(loop_ev(), &cl->timer);
	ev_timer_set(&cl->timer, s->p.write_timeout_ms / 1000.0, 0.);
	ev_timer_start(loop_ev(), &cl->timer);
}

static void
on_client_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct srv_client *cl = io->data;
	struct srv *s = cl->srv;
	size_t tlen = strlen(s->p.terminator), from;
	ssize_t n;
	char *end;

	if (cl->writing) {
		if (cl->sent == cl->resp.len) {
			client_free(cl);
			return;
		}
		n = send(cl->fd, cl->resp.s + cl->sent, cl->resp.len - cl->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			client_free(cl);
			return;
		}
		cl->sent += (size_t)n;
		if (cl->sent == cl->resp.len) {
			shutdown(cl->fd, SHUT_WR);
			client_free(cl);
		}
		return;
	}
	n = read(cl->fd, cl->req + cl->reqlen, s->p.max_request - cl->reqlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* closed before a whole request, or an error */
		client_free(cl);
		return;
	}
	/* search only the new bytes (and a terminator split across reads) */
	from = cl->reqlen >= tlen ? cl->reqlen - tlen + 1 : 0;
	cl->reqlen += (size_t)n;
	cl->req[cl->reqlen] = '\0';
	if (memchr(cl->req + from, '\0', cl->reqlen - from) != NULL) {
		client_respond(cl, NULL, "NUL byte in request");
		return;
	}
	end = strstr(cl->req + from, s->p.terminator);
	if (end == NULL) {
		if (cl->reqlen == s->p.max_request)
			client_respond(cl, NULL, "Request too long");
		return;
	}
	*end = '\0';
	client_respond(cl, cl->req, NULL);
}

struct srv_client *
srv_defer(void (*gone)(void *arg), void *arg)
{
	struct srv_client *cl = srv_current;

	if (cl == NULL)
		return NULL;
	cl->deferred = true;
	cl->gone = gone;
	cl->gone_arg = arg;
	return cl;
}

int
srv_current_fd(void)
{
	return srv_current != NULL ? srv_current->fd : -1;
}

struct tbuf *
srv_resp(struct srv_client *cl)
{
	return &cl->resp;
}

void
srv_finish(struct srv_client *cl)
{
	cl->deferred = false;
	cl->gone = NULL;
	srv_start_write(cl);
}
