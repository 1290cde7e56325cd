/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flowtest - long-lived TCP flows that notice every reset, stall and reordering,
 * for tests/integration/failover-flows and bench/failover-flows.
 *
 *   flowtest serve PORT ID [INTERVAL_MS]
 *     A backend.  Accepts connections on PORT (any address) and, on each, first
 *     sends a hello ("FLOW" and the 4-byte ID), then every INTERVAL_MS (default
 *     50) a message of 8 bytes: its sequence number and the last echo it received
 *     from the client (both 32-bit big-endian).  It reads the client's echoes (4
 *     bytes each) and counts those out of order.  On SIGTERM it prints
 *     "serve ID: conns=N misordered_echoes=N" and exits.
 *
 *   flowtest client ADDR PORT N [GAP_MS]
 *     Opens N connections to ADDR:PORT (IPv4) and keeps them: each message's
 *     sequence number must be the previous one + 1 (else the connection is
 *     "misordered"), and is echoed back at once.  The echo that the backend says it
 *     received last shows the client-to-server direction working: a connection
 *     "progresses" when that number moves.  (In DR or tunnel mode only the
 *     client-to-server direction crosses the router, so this is the direction a
 *     failover can break.)
 *     Prints "connected N" once all are up (or "connect: ..." and exits 1 when one
 *     fails in the first 20 s).  Every SIGUSR1 ends a phase and prints one line:
 *       phase K: conns=N survived=N reset=N stalled=N misordered=N dead=N
 *                max_gap_ms=N backends=ID:COUNT,...
 *     dead: connections already lost in an earlier phase.  reset: lost in this
 *     phase (RST, or any error or EOF).  stalled: alive, but the longest time
 *     without progress in this phase (the open gap at its end included) was over
 *     GAP_MS (default 2000).  survived: the rest.  max_gap_ms: the longest such gap
 *     of the connections alive at the phase's end.  backends: connections per
 *     backend ID (from the hellos), alive ones.  SIGTERM prints the phase too and exits.
 *
 * One thread, epoll; every wait bounded.  Exit status: 0, 1 on a setup failure,
 * 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS  4096
#define MAX_IDS	   64
#define TAG_SIG	   ((uint64_t)-1)
#define TAG_TIMER  ((uint64_t)-2)
#define TAG_LISTEN ((uint64_t)-3)

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
setup_loop(int *ep, int *sfd, int *tfd, int interval_ms)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct itimerspec its = { 0 };
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
		return -1;
	*ep = epoll_create1(EPOLL_CLOEXEC);
	*sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*ep < 0 || *sfd < 0 || *tfd < 0)
		return -1;
	its.it_value.tv_sec = its.it_interval.tv_sec = interval_ms / 1000;
	its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	if (timerfd_settime(*tfd, 0, &its, NULL) < 0)
		return -1;
	ev.data.u64 = TAG_SIG;
	if (epoll_ctl(*ep, EPOLL_CTL_ADD, *sfd, &ev) < 0)
		return -1;
	ev.data.u64 = TAG_TIMER;
	return epoll_ctl(*ep, EPOLL_CTL_ADD, *tfd, &ev);
}

/* ------------------------------------------------------------------ serve */

struct sconn {
	int fd;
	uint32_t seq;	      /* next to send */
	uint32_t echo;	      /* last echo received */
	bool have_echo;
	unsigned char rb[4];
	size_t rn;
	bool dead;
};

static int
serve(int port, uint32_t id, int interval_ms)
{
	static struct sconn c[MAX_CONNS];
	size_t n = 0, i, total = 0;
	unsigned long long misordered = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int ep, sfd, tfd, lfd, one = 1;

	if (setup_loop(&ep, &sfd, &tfd, interval_ms) < 0) {
		perror("flowtest serve: setup");
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
		perror("flowtest serve: listen");
		return 1;
	}
	ev.data.u64 = TAG_LISTEN;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening %d\n", port);
	fflush(stdout);
	for (;;) {
		int k, m = epoll_wait(ep, evs, 64, 1000);

		for (k = 0; k < m; k++) {
			uint64_t tag = evs[k].data.u64;

			if (tag == TAG_SIG) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGUSR1) {
					printf("serve %u: conns=%zu misordered_echoes=%llu\n", id, total,
					    misordered);
					return 0;
				}
			} else if (tag == TAG_TIMER) {
				uint64_t x;
				unsigned char msg[8];

				if (read(tfd, &x, sizeof(x)) < 0)
					continue;
				for (i = 0; i < n; i++) {
					if (c[i].dead)
						continue;
					put32(msg, c[i].seq);
					put32(msg + 4, c[i].echo);
					/* a full send buffer means the peer is not reading (a
					 * stall): skip this tick, send the next number later */
					ssize_t w = send(c[i].fd, msg, 8, MSG_DONTWAIT | MSG_NOSIGNAL);

					if (w == 8)
						c[i].seq++;
					else if ((w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
					    w > 0) {
						/* an error, or half a message (the client sees the
						 * stream break): this connection is over */
						c[i].dead = true;
						close(c[i].fd);
					}
				}
			} else if (tag == TAG_LISTEN) {
				for (;;) {
					int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					unsigned char hello[8] = { 'F', 'L', 'O', 'W' };

					if (fd < 0)
						break;
					if (n == MAX_CONNS) {
						close(fd);
						continue;
					}
					put32(hello + 4, id);
					if (send(fd, hello, 8, MSG_NOSIGNAL) != 8) {
						close(fd);
						continue;
					}
					c[n] = (struct sconn){ .fd = fd, .seq = 1 };
					ev.data.u64 = n;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
					n++;
					total++;
				}
			} else if (tag < n && !c[tag].dead) {
				struct sconn *s = &c[tag];
				unsigned char b[4096];
				ssize_t r = recv(s->fd, b, sizeof(b), 0);
				ssize_t j;

				if (r <= 0) {
					if (r < 0 && (errno == EAGAIN || errno == EINTR))
						continue;
					s->dead = true;
					close(s->fd);
					continue;
				}
				for (j = 0; j < r; j++) {
					s->rb[s->rn++] = b[j];
					if (s->rn < 4)
						continue;
					s->rn = 0;
					uint32_t e = get32(s->rb);

					if (s->have_echo && e != s->echo + 1)
						misordered++;
					s->echo = e;
					s->have_echo = true;
				}
			}
		}
	}
}

/* ----------------------------------------------------------------- client */

enum cstate { C_CONNECTING, C_UP, C_DEAD };

struct cconn {
	int fd;
	enum cstate st;
	bool died_now;	      /* lost in this phase */
	bool misordered;      /* in this phase */
	bool hello;
	uint32_t id;
	uint32_t seq;	      /* last received */
	uint32_t acked;	      /* last echo the server reported */
	long long progress;   /* when `acked` last moved */
	long long gap;	      /* longest time without progress in this phase */
	unsigned char rb[8];
	size_t rn;
};

static void
cc_die(struct cconn *c)
{
	if (c->st == C_DEAD)
		return;
	close(c->fd);
	c->st = C_DEAD;
	c->died_now = true;
}

static void
phase_report(struct cconn *c, size_t n, int k, long long gap_ms)
{
	size_t i, j, survived = 0, reset = 0, stalled = 0, misord = 0, dead = 0;
	uint32_t ids[MAX_IDS];
	size_t cnt[MAX_IDS], nids = 0;
	long long now = now_ms(), maxgap = 0;

	for (i = 0; i < n; i++) {
		struct cconn *x = &c[i];
		long long g;

		if (x->st == C_DEAD) {
			if (x->died_now)
				reset++;
			else
				dead++;
			x->died_now = false;
			continue;
		}
		g = x->gap;
		if (now - x->progress > g)
			g = now - x->progress;
		if (g > maxgap)
			maxgap = g;
		if (x->misordered)
			misord++;
		else if (g > gap_ms)
			stalled++;
		else
			survived++;
		for (j = 0; j < nids && ids[j] != x->id; j++)
			;
		if (j == nids && nids < MAX_IDS) {
			ids[nids] = x->id;
			cnt[nids++] = 0;
		}
		if (j < nids)
			cnt[j]++;
		/* the next phase starts now */
		x->misordered = false;
		x->gap = 0;
		x->progress = now;
	}
	printf("phase %d: conns=%zu survived=%zu reset=%zu stalled=%zu misordered=%zu dead=%zu "
	       "max_gap_ms=%lld backends=",
	    k, n, survived, reset, stalled, misord, dead, maxgap);
	for (j = 0; j < nids; j++)
		printf("%s%u:%zu", j ? "," : "", ids[j], cnt[j]);
	printf("%s\n", nids ? "" : "-");
	fflush(stdout);
}

static int
client(const char *addr, int port, size_t n, long long gap_ms)
{
	static struct cconn c[MAX_CONNS];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct epoll_event ev, evs[256];
	int ep, sfd, tfd, phase = 0;
	size_t i, up = 0;
	long long start = now_ms();
	bool announced = false;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "flowtest client: bad address %s\n", addr);
		return 2;
	}
	if (setup_loop(&ep, &sfd, &tfd, 100) < 0) {
		perror("flowtest client: setup");
		return 1;
	}
	for (i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

		if (fd < 0) {
			perror("flowtest client: socket");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
			perror("flowtest client: connect");
			return 1;
		}
		c[i] = (struct cconn){ .fd = fd, .st = C_CONNECTING };
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
	for (;;) {
		int k, m = epoll_wait(ep, evs, 256, 1000);

		for (k = 0; k < m; k++) {
			uint64_t tag = evs[k].data.u64;

			if (tag == TAG_SIG) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				phase_report(c, n, ++phase, gap_ms);
				if (si.ssi_signo != SIGUSR1)
					return 0;
			} else if (tag == TAG_TIMER) {
				uint64_t x;

				if (read(tfd, &x, sizeof(x)) < 0)
					continue;
				if (!announced && up < n && now_ms() - start > 20000) {
					printf("connect: only %zu of %zu connections up after 20 s\n", up, n);
					return 1;
				}
			} else if (tag < n) {
				struct cconn *x = &c[tag];

				if (x->st == C_DEAD)
					continue;
				if (x->st == C_CONNECTING) {
					int err = 0;
					socklen_t l = sizeof(err);

					if (!(evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
						continue;
					getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &l);
					if (err != 0) {
						if (!announced) {
							printf("connect: %s\n", strerror(err));
							return 1;
						}
						cc_die(x);
						continue;
					}
					x->st = C_UP;
					x->progress = now_ms();
					ev.events = EPOLLIN;
					ev.data.u64 = tag;
					epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
					continue;
				}
				unsigned char b[4096], out[4096];
				size_t on = 0;
				ssize_t r = recv(x->fd, b, sizeof(b), 0), j;

				if (r <= 0) {
					if (r < 0 && (errno == EAGAIN || errno == EINTR))
						continue;
					cc_die(x);
					continue;
				}
				for (j = 0; j < r; j++) {
					x->rb[x->rn++] = b[j];
					if (x->rn < 8)
						continue;
					x->rn = 0;
					if (!x->hello) {
						if (memcmp(x->rb, "FLOW", 4) != 0) {
							x->misordered = true;
							continue;
						}
						x->hello = true;
						x->id = get32(x->rb + 4);
						if (++up == n && !announced) {
							announced = true;
							printf("connected %zu\n", n);
							fflush(stdout);
						}
						continue;
					}
					uint32_t seq = get32(x->rb), acked = get32(x->rb + 4);

					if (seq != x->seq + 1)
						x->misordered = true;
					x->seq = seq;
					if (acked != x->acked) {
						long long now = now_ms();

						if (now - x->progress > x->gap)
							x->gap = now - x->progress;
						x->progress = now;
						x->acked = acked;
					}
					if (on + 4 <= sizeof(out)) {
						put32(out + on, seq);
						on += 4;
					}
				}
				/* A send buffer too full for the echoes (minutes of a dead path at
				 * 80 bytes a second) would cut one in two and break the stream:
				 * that counts as misordered, never as survived. */
				if (on > 0) {
					ssize_t w = send(x->fd, out, on, MSG_NOSIGNAL | MSG_DONTWAIT);

					if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
						cc_die(x);
					else if (w != (ssize_t)on)
						x->misordered = true;
				}
			}
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10),
		    argc > 4 ? atoi(argv[4]) : 50);
	if (argc >= 5 && strcmp(argv[1], "client") == 0) {
		long n = atol(argv[4]);

		if (n < 1 || n > MAX_CONNS) {
			fprintf(stderr, "flowtest client: N must be 1..%d\n", MAX_CONNS);
			return 2;
		}
		return client(argv[2], atoi(argv[3]), (size_t)n, argc > 5 ? atoll(argv[5]) : 2000);
	}
	fprintf(stderr, "usage: flowtest serve PORT ID [INTERVAL_MS]\n"
			"       flowtest client ADDR PORT N [GAP_MS]\n");
	return 2;
}
