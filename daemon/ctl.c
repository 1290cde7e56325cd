/*
 * ctl.c - the control socket on the libev loop.
 *
 * Clients are untrusted in the sense that they may be slow, silent, or send
 * garbage: every read is bounded, every client has a deadline, and nothing a
 * client does can block the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"

struct ctl_client {
	struct ctl *ctl;
	int fd;
	ev_io io;
	ev_timer timer;
	char req[CTL_REQUEST_MAX + 1];
	size_t reqlen;
	struct tbuf resp;
	size_t sent;
	bool writing;
	struct ctl_client *next;
};

struct ctl {
	char *path;
	int fd;
	ev_io io;
	ctl_handler *handler;
	void *arg;
	struct ctl_client *clients;
	int nclients;
	struct log_ratelimit rl;
};

static void	on_accept(struct ev_loop *, ev_io *, int);
static void	on_client_io(struct ev_loop *, ev_io *, int);
static void	on_client_timeout(struct ev_loop *, ev_timer *, int);
static void	client_free(struct ctl_client *);
static void	client_respond(struct ctl_client *, enum ctl_code, const char *, const char *);

static const char *
code_text(enum ctl_code c)
{
	switch (c) {
	case CTL_OK:
		return "OK";
	case CTL_BAD_REQUEST:
		return "Bad Request";
	case CTL_NOT_FOUND:
		return "Not Found";
	case CTL_REFUSED:
		return "Refused";
	default:
		return "Error";
	}
}

int
ctl_split(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* Is someone listening on the socket file at `path`? */
static bool
socket_alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return alive;
}

int
ctl_open(const char *path, int mode, const char *group, ctl_handler *h, void *arg,
    struct ctl **out)
{
	struct sockaddr_un sun;
	struct stat st;
	struct group *gr;
	struct ctl *c;
	mode_t old;
	int fd, r;

	*out = NULL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;		/* never remove something that is not ours */
		if (socket_alive(&sun))
			return -EADDRINUSE;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* bind creates the file: create it without any access, then set the mode */
	old = umask(0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	if (group != NULL) {
		gr = getgrnam(group);
		if (gr == NULL) {
			r = -ENOENT;
			log_warnx("control socket %s: no group \"%s\"", path, group);
			goto fail_unlink;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			r = -errno;
			goto fail_unlink;
		}
	}
	if (chmod(path, (mode_t)mode) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		goto fail_unlink;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->fd = fd;
	c->handler = h;
	c->arg = arg;
	c->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	ev_io_init(&c->io, on_accept, fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop_ev(), &c->io);
	*out = c;
	return 0;

fail_unlink:
	unlink(path);
fail:
	close(fd);
	return r;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	while (c->clients != NULL)
		client_free(c->clients);
	ev_io_stop(loop_ev(), &c->io);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

static void
on_accept(struct ev_loop *loop, ev_io *io, int revents)
{
	struct ctl *c = io->data;
	struct ctl_client *cl;
	int fd;

	for (;;) {
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && log_ratelimit_ok(&c->rl))
				log_warn("control socket: accept");
			return;
		}
		if (c->nclients >= CTL_MAX_CLIENTS) {
			static const char busy[] = "500 Too many clients\n";

			if (write(fd, busy, sizeof(busy) - 1) < 0)
				(void)0;	/* the client is dropped either way */
			close(fd);
			if (log_ratelimit_ok(&c->rl))
				log_warnx("control socket: %d clients already, refusing one",
				    c->nclients);
			continue;
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->ctl = c;
		cl->fd = fd;
		tbuf_init(&cl->resp);
		ev_io_init(&cl->io, on_client_io, fd, EV_READ);
		cl->io.data = cl;
		ev_io_start(loop, &cl->io);
		ev_timer_init(&cl->timer, on_client_timeout, CTL_TIMEOUT_MS / 1000.0, 0.);
		cl->timer.data = cl;
		ev_timer_start(loop, &cl->timer);
		cl->next = c->clients;
		c->clients = cl;
		c->nclients++;
	}
}

static void
client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;
	struct ctl_client **pp;

	for (pp = &c->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	c->nclients--;
	ev_io_stop(loop_ev(), &cl->io);
	ev_timer_stop(loop_ev(), &cl->timer);
	close(cl->fd);
	tbuf_free(&cl->resp);
	free(cl);
}

static void
on_client_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	client_free(t->data);
}

/* Queue the status line and body, switch to writing. */
static void
client_respond(struct ctl_client *cl, enum ctl_code code, const char *text, const char *body)
{
	struct tbuf out;

	tbuf_init(&out);
	tbuf_printf(&out, "%d %s\n", (int)code, text ? text : code_text(code));
	if (body != NULL)
		tbuf_puts(&out, body);
	tbuf_free(&cl->resp);
	cl->resp = out;
	cl->sent = 0;
	cl->writing = true;
	ev_io_stop(loop_ev(), &cl->io);
	ev_io_set(&cl->io, cl->fd, EV_WRITE);
	ev_io_start(loop_ev(), &cl->io);
	/* the deadline covers the whole exchange, including a slow reader */
	ev_timer_stop(loop_ev(), &cl->timer);
	ev_timer_set(&cl->timer, 30.0, 0.);
	ev_timer_start(loop_ev(), &cl->timer);
}

static void
client_request(struct ctl_client *cl)
{
	char *argv[CTL_MAX_WORDS];
	const char *text = NULL;
	struct tbuf body;
	enum ctl_code code;
	int argc;

	argc = ctl_split(cl->req, argv, CTL_MAX_WORDS);
	if (argc <= 0) {
		client_respond(cl, CTL_BAD_REQUEST, argc == 0 ? "Empty request" :
		    "Too many words", NULL);
		return;
	}
	tbuf_init(&body);
	code = cl->ctl->handler(cl->ctl->arg, argc, argv, &body, &text);
	client_respond(cl, code, text, body.s);
	tbuf_free(&body);
}

static void
on_client_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct ctl_client *cl = io->data;
	ssize_t n;
	char *nl;

	if (cl->writing) {
		n = send(cl->fd, cl->resp.s + cl->sent, cl->resp.len - cl->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			client_free(cl);
			return;
		}
		cl->sent += (size_t)n;
		if (cl->sent == cl->resp.len)
			client_free(cl);
		return;
	}
	n = read(cl->fd, cl->req + cl->reqlen, CTL_REQUEST_MAX - cl->reqlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* closed before a whole line, or an error */
		client_free(cl);
		return;
	}
	cl->reqlen += (size_t)n;
	cl->req[cl->reqlen] = '\0';
	if (memchr(cl->req, '\0', cl->reqlen) != NULL) {
		client_respond(cl, CTL_BAD_REQUEST, "NUL byte in request", NULL);
		return;
	}
	nl = strchr(cl->req, '\n');
	if (nl == NULL) {
		if (cl->reqlen == CTL_REQUEST_MAX)
			client_respond(cl, CTL_BAD_REQUEST, "Request too long", NULL);
		return;
	}
	*nl = '\0';
	if (nl > cl->req && nl[-1] == '\r')
		nl[-1] = '\0';
	client_request(cl);
}
