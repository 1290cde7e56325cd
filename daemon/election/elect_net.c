/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elect_net.c - raw IP protocol 112 sockets and deadline timers.
 *
 * IPv4: the raw socket hands us the IP header, so the TTL and both
 * addresses come from it (elect_parse_ipv4); IP_RECVTTL would only repeat
 * the header's TTL, so it stays off.  IPv6 raw sockets never show the header: the hop limit
 * and the destination come as ancillary data (IPV6_RECVHOPLIMIT,
 * IPV6_RECVPKTINFO).  We compute the VRRP checksum ourselves for both
 * families (it needs our source address, which we bind), so IPV6_CHECKSUM
 * stays off and the kernel neither fills nor checks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "elect_net.h"
#include "elect_proto.h"
#include "log.h"
#include "loop.h"

#define RX_BURST 64 /* datagrams per wake-up, so one flood cannot starve the loop */
#define TOS_CS6	 0xc0

struct elect_net {
	struct elect_net_conf conf;
	char *ifname;
	int fd4, fd6;
	ev_io io4, io6;
	elect_net_rx_fn rx_fn;
	void *arg;
};

struct elect_timer {
	ev_timer w;
	void (*cb)(void *arg);
	void *arg;
};

static int open_v4(struct elect_net *n);
static int open_v6(struct elect_net *n);
static int bind_dev(int fd, const char *ifname);
static int64_t arrival_ms(const struct timespec *ts);
static int rx_one(struct elect_net *n, int fd, uint8_t *buf, size_t size, struct elect_rx *rx);
static void rx_cb(struct ev_loop *l, ev_io *w, int revents);
static void elect_net_timer_cb(struct ev_loop *l, ev_timer *w, int revents);

static int
bind_dev(int fd, const char *ifname)
{
	if (ifname == NULL)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return -errno;
	return 0;
}

static int
open_v4(struct elect_net *n)
{
	struct sockaddr_storage ss;
	char a[SOCKADDR_X_STRLEN];
	int fd, one = 1, ttl = ELECT_TTL, tos = TOS_CS6, r;
	socklen_t sl;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ELECT_IPPROTO);
	if (fd < 0) {
		r = -errno;
		log_warnc(r, "election: cannot open a raw IPv4 socket for protocol 112");
		return r;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		r = -errno;
		log_warnc(r, "election: IPv4 socket options");
		goto fail;
	}
	r = bind_dev(fd, n->ifname);
	if (r < 0) {
		log_warnc(r, "election: cannot bind the IPv4 socket to interface %s", n->ifname);
		goto fail;
	}
	if (n->conf.self.af == AF_INET) {
		sl = sockaddr_x_to_sa(&n->conf.self, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			r = -errno;
			log_warnc(r,
			    "election: cannot send from %s (this router's peer address; "
			    "is it configured on this host?)",
			    sockaddr_x_fmt_addr(&n->conf.self, a, sizeof(a)));
			goto fail;
		}
	}
	n->fd4 = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static int
open_v6(struct elect_net *n)
{
	struct sockaddr_storage ss;
	char a[SOCKADDR_X_STRLEN];
	int fd, one = 1, hops = ELECT_TTL, tc = TOS_CS6, r;
	socklen_t sl;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ELECT_IPPROTO);
	if (fd < 0) {
		r = -errno;
		log_warnc(r, "election: cannot open a raw IPv6 socket for protocol 112");
		return r;
	}
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		r = -errno;
		log_warnc(r, "election: IPv6 socket options");
		goto fail;
	}
	r = bind_dev(fd, n->ifname);
	if (r < 0) {
		log_warnc(r, "election: cannot bind the IPv6 socket to interface %s", n->ifname);
		goto fail;
	}
	if (n->conf.self.af == AF_INET6) {
		sl = sockaddr_x_to_sa(&n->conf.self, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			r = -errno;
			log_warnc(r,
			    "election: cannot send from %s (this router's peer address; "
			    "is it configured on this host?)",
			    sockaddr_x_fmt_addr(&n->conf.self, a, sizeof(a)));
			goto fail;
		}
	}
	n->fd6 = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int
elect_net_open(
    const struct elect_net_conf *c, elect_net_rx_fn rx_fn, void *arg, struct elect_net **out)
{
	struct elect_net *n;
	int r;

	*out = NULL;
	if (loop_ev() == NULL)
		return -EINVAL;
	n = xcalloc(1, sizeof(*n));
	n->conf = *c;
	n->ifname = xstrdup(c->ifname);
	n->conf.ifname = n->ifname;
	n->fd4 = n->fd6 = -1;
	n->rx_fn = rx_fn;
	n->arg = arg;
	if (c->v4 && (r = open_v4(n)) < 0)
		goto fail;
	if (c->v6 && (r = open_v6(n)) < 0)
		goto fail;
	if (n->fd4 >= 0) {
		ev_io_init(&n->io4, rx_cb, n->fd4, EV_READ);
		ev_set_priority(&n->io4, EV_MAXPRI);
		n->io4.data = n;
		ev_io_start(loop_ev(), &n->io4);
	}
	if (n->fd6 >= 0) {
		ev_io_init(&n->io6, rx_cb, n->fd6, EV_READ);
		ev_set_priority(&n->io6, EV_MAXPRI);
		n->io6.data = n;
		ev_io_start(loop_ev(), &n->io6);
	}
	*out = n;
	return 0;
fail:
	elect_net_close(n);
	return r;
}

void
elect_net_close(struct elect_net *n)
{
	if (n == NULL)
		return;
	if (n->fd4 >= 0) {
		if (loop_ev() != NULL)
			ev_io_stop(loop_ev(), &n->io4);
		close(n->fd4);
	}
	if (n->fd6 >= 0) {
		if (loop_ev() != NULL)
			ev_io_stop(loop_ev(), &n->io6);
		close(n->fd6);
	}
	free(n->ifname);
	free(n);
}

bool
elect_net_same(const struct elect_net *n, const struct elect_net_conf *c)
{
	const char *a = n->conf.ifname != NULL ? n->conf.ifname : "";
	const char *b = c->ifname != NULL ? c->ifname : "";

	return strcmp(a, b) == 0 && n->conf.v4 == c->v4 && n->conf.v6 == c->v6 &&
	       n->conf.self.af == c->self.af &&
	       (c->self.af == 0 || sockaddr_x_cmp_addr(&n->conf.self, &c->self) == 0);
}

int
elect_net_send(struct elect_net *n, const struct sockaddr_x *dst, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = dst->af == AF_INET6 ? n->fd6 : n->fd4;
	ssize_t w;

	if (fd < 0)
		return -EAFNOSUPPORT;
	sl = sockaddr_x_to_sa(dst, &ss);
	do
		w = sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EMSGSIZE;
}

/* A UDP socket "connected" to dst: the kernel's route look-up, no packet sent. */
int
elect_net_source(const struct elect_net *n, const struct sockaddr_x *dst, struct sockaddr_x *src)
{
	struct sockaddr_storage ss;
	struct sockaddr_x d = *dst;
	socklen_t sl;
	int fd, r;

	if (n->conf.self.af == dst->af) {
		*src = n->conf.self;
		src->port = 0;
		return 0;
	}
	fd = socket(dst->af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = bind_dev(fd, n->ifname);
	d.port = 9;
	sl = sockaddr_x_to_sa(&d, &ss);
	if (r == 0 && connect(fd, (struct sockaddr *)&ss, sl) < 0)
		r = -errno;
	sl = sizeof(ss);
	if (r == 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		r = -errno;
	if (r == 0)
		r = sockaddr_x_from_sa((struct sockaddr *)&ss, src);
	if (r == 0)
		src->port = 0;
	close(fd);
	return r;
}

/* ------------------------------------------------------------ receive */

/*
 * When the kernel received a datagram, on the monotonic clock in ms: the
 * receive timestamp (SO_TIMESTAMPNS, wall clock) tells how long ago, so a
 * loop that got to the packet late still starts the master-down interval at
 * its arrival.  -1 when unknown or implausible (a clock step).
 */
static int64_t
arrival_ms(const struct timespec *ts)
{
	struct timespec now;
	int64_t age_us;

	clock_gettime(CLOCK_REALTIME, &now);
	age_us = ((int64_t)now.tv_sec - ts->tv_sec) * 1000000 + (now.tv_nsec - ts->tv_nsec) / 1000;
	if (age_us < 0 || age_us > 1000000)
		return -1;
	return (mono_us() - age_us) / 1000;
}

/* One datagram from fd into rx; 1 done, 0 nothing more to read, -1 skip it. */
static int
rx_one(struct elect_net *n, int fd, uint8_t *buf, size_t size, struct elect_rx *rx)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
			    CMSG_SPACE(sizeof(struct timespec))];
	} cbuf;
	struct sockaddr_storage from;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	bool have_dst = false;
	ssize_t len;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = size;
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	len = recvmsg(fd, &msg, 0);
	if (len < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_debug("election: receive: %s", strerror(errno));
		return 0;
	}
	memset(rx, 0, sizeof(*rx));
	rx->ttl = -1;
	rx->at_ms = -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			rx->at_ms = arrival_ms(&ts);
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&rx->ttl, CMSG_DATA(cm), sizeof(int));
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			rx->dst.af = AF_INET6;
			rx->dst.a.v6 = pi.ipi6_addr;
			have_dst = true;
		}
	}
	if (fd == n->fd4) {
		/* the IPv4 header is part of what a raw socket reads */
		if (elect_parse_ipv4(buf, (size_t)len, &rx->src, &rx->dst, &rx->ttl, &rx->payload,
			&rx->len) != ELECT_PKT_OK)
			return -1;
		return 1;
	}
	if (!have_dst || sockaddr_x_from_sa((struct sockaddr *)&from, &rx->src) < 0)
		return -1;
	rx->src.port = 0;
	rx->payload = buf;
	rx->len = (size_t)len;
	return 1;
}

/* Hand up what is waiting on fd, at most RX_BURST datagrams. */
static void
rx_burst(struct elect_net *n, int fd)
{
	uint8_t buf[2048];
	struct elect_rx rx;
	int i, r;

	for (i = 0; i < RX_BURST; i++) {
		r = rx_one(n, fd, buf, sizeof(buf), &rx);
		if (r == 0)
			return;
		if (r > 0)
			n->rx_fn(n->arg, &rx);
	}
}

static void
rx_cb(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)revents;
	rx_burst(w->data, w->fd);
}

void
elect_net_drain(struct elect_net *n)
{
	if (n == NULL)
		return;
	if (ev_is_active(&n->io4))
		rx_burst(n, n->io4.fd);
	if (ev_is_active(&n->io6))
		rx_burst(n, n->io6.fd);
}

/* ------------------------------------------------------------ timers */

static void
elect_net_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct elect_timer *t = w->data;

	/* one shot unless cb re-arms it */
	ev_timer_stop(l, w);
	t->cb(t->arg);
}

struct elect_timer *
elect_timer_new(void (*cb)(void *arg), void *arg)
{
	struct elect_timer *t = xcalloc(1, sizeof(*t));

	ev_init(&t->w, elect_net_timer_cb);
	/*
	 * Adverts and the master-down deadline run before anything else that is
	 * ready in the same loop iteration (a burst of probe results, a large
	 * control-socket answer): a late advert is a spurious failover.  But
	 * after the advert sockets (EV_MAXPRI): when the process ran late (a
	 * stall, a starved CPU) past its master-down deadline, the adverts that
	 * arrived in time are waiting in the socket, and must be read (at their
	 * arrival times) before the deadline is judged; timers first, a backup
	 * took the VIP on every such stall though the master never went silent
	 * (tests/integration/election-stall).  Within one priority libev runs
	 * timers before I/O, so these still go before the probes' I/O
	 * (PROBE_IO_PRIORITY, the same value).
	 */
	ev_set_priority(&t->w, EV_MAXPRI - 1);
	t->w.data = t;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void
elect_timer_at(struct elect_timer *t, int64_t deadline_ms)
{
	int64_t d;

	if (loop_ev() == NULL)
		return;
	if (deadline_ms == INT64_MAX) {
		ev_timer_stop(loop_ev(), &t->w);
		return;
	}
	d = deadline_ms - loop_now_ms();
	/* ev_timer_again with repeat 0 would stop the timer: "now" is 1 us away */
	t->w.repeat = d > 0 ? (double)d / 1000.0 : 1e-6;
	ev_timer_again(loop_ev(), &t->w);
}

void
elect_timer_free(struct elect_timer *t)
{
	if (t == NULL)
		return;
	if (loop_ev() != NULL)
		ev_timer_stop(loop_ev(), &t->w);
	free(t);
}

uint64_t
elect_wallclock_us(void)
{
	static bool seam_read;
	static int64_t offset_us;
	struct timespec ts;
	const char *env;

	if (!seam_read) {
		seam_read = true;
		env = getenv("IPVSR_TEST_CLOCK_OFFSET_MS");
		if (env != NULL && *env != '\0') {
			offset_us = strtoll(env, NULL, 10) * 1000;
			log_warnx("election: IPVSR_TEST_CLOCK_OFFSET_MS: the counter clock is "
				  "off by %lld ms (injected)",
			    (long long)(offset_us / 1000));
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + offset_us);
}

uint64_t
elect_boot_id(void)
{
	uint64_t id = 0;
	struct timespec ts;

	/* getrandom(2) cannot fail for 8 bytes once the pool is ready; be safe anyway */
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id) || id == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		id = (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 16;
	}
	return id != 0 ? id : 1;
}
