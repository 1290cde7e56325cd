/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_tcp.c - the tcp probe: a connection that completes is a pass.
 *
 * Nothing is sent; the connection is closed with RST as soon as it is
 * established (see probe_close_fd).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <ev.h>

#include "check.h"
#include "loop.h"

struct tcp_flight {
	ev_io io;
	struct probe *probe;
};

static void tcp_start(struct probe *p);
static void tcp_abort(struct probe *p);
static enum health_phase tcp_phase(const struct probe *p);
static void tcp_io_cb(struct ev_loop *l, ev_io *w, int revents);
static void tcp_release(struct tcp_flight *f);

const struct probe_ops probe_tcp_ops = {tcp_start, tcp_abort, tcp_phase, NULL, NULL};

static void
tcp_start(struct probe *p)
{
	struct health_result r;
	struct tcp_flight *f;
	bool in_progress;
	int fd;

	fd = probe_connect(p, &in_progress);
	if (fd < 0) {
		probe_errno_result(&r, fd, HEALTH_PH_CONNECT, 0);
		probe_finish(p, &r);
		return;
	}
	if (!in_progress) {
		probe_close_fd(fd);
		health_result_set(&r, HEALTH_R_OK, 0, 0);
		probe_finish(p, &r);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->probe = p;
	ev_io_init(&f->io, tcp_io_cb, fd, EV_WRITE);
	ev_set_priority(&f->io, PROBE_IO_PRIORITY);
	ev_io_start(loop_ev(), &f->io);
	probe_set_flight(p, f);
}

static void
tcp_release(struct tcp_flight *f)
{
	ev_io_stop(loop_ev(), &f->io);
	probe_close_fd(f->io.fd);
	free(f);
}

static void
tcp_io_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct tcp_flight *f = (struct tcp_flight *)w;
	struct probe *p = f->probe;
	struct health_result r;
	socklen_t sl = sizeof(int);
	int err = 0;

	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err == 0)
		health_result_set(&r, HEALTH_R_OK, 0, 0);
	else
		probe_errno_result(&r, err, HEALTH_PH_CONNECT, 0);
	tcp_release(f);
	probe_set_flight(p, NULL);
	probe_finish(p, &r);
}

static void
tcp_abort(struct probe *p)
{
	struct tcp_flight *f = probe_flight(p);

	if (f != NULL)
		tcp_release(f);
}

static enum health_phase
tcp_phase(const struct probe *p)
{
	return HEALTH_PH_CONNECT;
}
