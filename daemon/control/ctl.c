/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.c - the control socket: a unix socket served by srv.c, and the line
 * protocol on top (words in; a status line and a body out).
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

#include "ctl.h"
#include "log.h"
#include "srv.h"

struct ctl {
	char *path;
	struct srv *srv;
	ctl_handler *handler;
	void *arg;
};

static void	ctl_serve(void *, char *, const char *, struct tbuf *);

static const struct srv_params ctl_params = {
	"control socket", "\n", CTL_REQUEST_MAX, CTL_TIMEOUT_MS, 30000, CTL_MAX_CLIENTS,
};

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
	c->handler = h;
	c->arg = arg;
	c->srv = srv_new(fd, &ctl_params, ctl_serve, c);
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
	srv_free(c->srv);
	unlink(c->path);
	free(c->path);
	free(c);
}

/* One request line: split it into words, run the command, prefix the status line. */
static void
ctl_serve(void *arg, char *req, const char *error, struct tbuf *resp)
{
	struct ctl *c = arg;
	char *argv[CTL_MAX_WORDS];
	const char *text = NULL;
	struct tbuf body;
	enum ctl_code code;
	size_t len;
	int argc;

	if (req == NULL) {
		tbuf_printf(resp, "%d %s\n", CTL_BAD_REQUEST, error);
		return;
	}
	len = strlen(req);
	if (len > 0 && req[len - 1] == '\r')
		req[len - 1] = '\0';
	argc = ctl_split(req, argv, CTL_MAX_WORDS);
	if (argc <= 0) {
		tbuf_printf(resp, "%d %s\n", CTL_BAD_REQUEST, argc == 0 ? "Empty request" :
		    "Too many words");
		return;
	}
	tbuf_init(&body);
	code = c->handler(c->arg, argc, argv, &body, &text);
	if (code != CTL_DEFERRED) {
		tbuf_printf(resp, "%d %s\n", (int)code, text ? text : code_text(code));
		if (body.s != NULL)
			tbuf_append(resp, body.s, body.len);
	}
	tbuf_free(&body);
}

int
ctl_caller(struct ctl_caller *out)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int fd = srv_current_fd();

	if (fd < 0)
		return -EBADF;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return -errno;
	out->pid = (long)uc.pid;
	out->uid = (long)uc.uid;
	out->gid = (long)uc.gid;
	return 0;
}

struct ctl_pending *
ctl_defer(void (*gone)(void *arg), void *arg)
{
	return (struct ctl_pending *)srv_defer(gone, arg);
}

void
ctl_complete(struct ctl_pending *p, enum ctl_code code, const char *text, const struct tbuf *body)
{
	struct srv_client *cl = (struct srv_client *)p;
	struct tbuf *resp = srv_resp(cl);

	ctl_status_line(resp, code, text);
	if (body != NULL && body->s != NULL)
		tbuf_append(resp, body->s, body->len);
	srv_finish(cl);
}

void
ctl_status_line(struct tbuf *b, enum ctl_code code, const char *text)
{
	tbuf_printf(b, "%d %s\n", (int)code, text ? text : code_text(code));
}

void
ctl_complete_whole(struct ctl_pending *p, struct tbuf *b)
{
	struct srv_client *cl = (struct srv_client *)p;
	struct tbuf *resp = srv_resp(cl);

	tbuf_free(resp);
	*resp = *b;
	tbuf_init(b);
	srv_finish(cl);
}
