/*
 * srv.c - one-request-per-connection server on the libev loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "log.h"
#include "loop.h"
#include "srv.h"

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
	struct srv_client *next;
};

struct srv {
	struct srv_params p;
	int fd;
	ev_io io;
	srv_handler *handler;
	void *arg;
	struct srv_client *clients;
	int nclients;
	struct log_ratelimit rl;
};

static void	on_accept(struct ev_loop *, ev_io *, int);
static void	on_client_io(struct ev_loop *, ev_io *, int);
static void	on_client_timeout(struct ev_loop *, ev_timer *, int);
static void	client_free(struct srv_client *);

struct srv *
srv_new(int fd, const struct srv_params *p, srv_handler *h, void *arg)
{
	struct srv *s = xcalloc(1, sizeof(*s));

	s->p = *p;
	s->fd = fd;
	s->handler = h;
	s->arg = arg;
	s->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
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
	while (s->clients != NULL)
		client_free(s->clients);
	ev_io_stop(loop_ev(), &s->io);
	close(s->fd);
	free(s);
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
			if (errno != EAGAIN && errno != EINTR && log_ratelimit_ok(&s->rl))
				log_warn("%s: accept", s->p.name);
			return;
		}
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
		cl->next = s->clients;
		s->clients = cl;
		s->nclients++;
	}
}

static void
client_free(struct srv_client *cl)
{
	struct srv *s = cl->srv;
	struct srv_client **pp;

	for (pp = &s->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
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

	s->handler(s->arg, req, error, &cl->resp);
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
