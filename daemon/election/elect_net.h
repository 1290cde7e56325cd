/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elect_net.h - the election's IO: raw IP protocol 112 sockets and timers.
 *
 * Edge module.  It moves bytes and fires deadlines; what the bytes mean is
 * elect_proto's business and what to do about them elect's.  Sockets send
 * with TTL / hop limit 255 and DSCP CS6 (network control), and hand every
 * received datagram up with its addresses and TTL, unfiltered.
 */
#ifndef IPVSR_ELECT_NET_H
#define IPVSR_ELECT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct elect_net;

struct elect_net_conf {
	const char *ifname;	/* SO_BINDTODEVICE; NULL: any interface */
	struct sockaddr_x self; /* bound as the source of its family (af 0: none) */
	bool v4, v6;		/* which families to open */
};

/* One received datagram.  payload points into a buffer valid during the callback. */
struct elect_rx {
	const uint8_t *payload;
	size_t len;
	struct sockaddr_x src, dst;
	int ttl;       /* TTL or hop limit; -1 when the kernel did not say */
	int64_t at_ms; /* when it arrived, monotonic ms (like loop_now_ms); -1: unknown */
};

typedef void (*elect_net_rx_fn)(void *arg, const struct elect_rx *rx);

/*
 * Open the sockets `c` asks for and start receiving into rx_fn.  Needs
 * loop_init() first and CAP_NET_RAW.  Returns 0, or a negative errno with
 * everything undone and the reason logged (e.g. the source address is not
 * on this host).
 */
int elect_net_open(
    const struct elect_net_conf *c, elect_net_rx_fn rx_fn, void *arg, struct elect_net **out);

/* Stop and close.  NULL-safe. */
void elect_net_close(struct elect_net *n);

/*
 * Hand up, now, what is waiting on the sockets (as their watchers would at
 * the loop's next poll).  For a deadline about to be judged: after a stall
 * the poll that ends it may report the timeout and not the datagrams that
 * arrived meanwhile.  NULL-safe.
 */
void elect_net_drain(struct elect_net *n);

/* true when `n` was opened with settings equal to `c` (a reload can keep it). */
bool elect_net_same(const struct elect_net *n, const struct elect_net_conf *c);

/*
 * Send one VRRP message (the IP payload) to dst.  Returns 0 or a negative
 * errno (nothing logged: the caller rate-limits).  Never blocks.
 */
int elect_net_send(
    struct elect_net *n, const struct sockaddr_x *dst, const uint8_t *buf, size_t len);

/*
 * The source address packets to dst leave with: the bound address of that
 * family, else what the routing table picks.  0 or a negative errno.
 */
int elect_net_source(
    const struct elect_net *n, const struct sockaddr_x *dst, struct sockaddr_x *src);

/*
 * A deadline timer on the loop (libev, ev_timer_again): cb(arg) runs once
 * the monotonic time (loop_now_ms) reaches the deadline.  Re-arming or
 * stopping is cheap and can be done from inside cb.
 */
struct elect_timer;
struct elect_timer *elect_timer_new(void (*cb)(void *arg), void *arg);
/* Fire at deadline_ms (monotonic ms; in the past = at once); INT64_MAX: stop. */
void elect_timer_at(struct elect_timer *t, int64_t deadline_ms);
/* Stop and free.  NULL-safe. */
void elect_timer_free(struct elect_timer *t);

/*
 * Wall-clock microseconds since the Unix epoch (the authenticated counter's
 * base and the receivers' freshness reference).  Test seam:
 * IPVSR_TEST_CLOCK_OFFSET_MS=N in the environment (read once) adds N
 * milliseconds (may be negative) to it, as if this router's clock were off
 * by that much; for the integration tests only, never in production.
 */
uint64_t elect_wallclock_us(void);

/* A random 64-bit boot id, non-zero, for this start of the daemon. */
uint64_t elect_boot_id(void);

#endif
