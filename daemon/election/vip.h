/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vip.h - VIP addresses on interfaces, gratuitous ARP / unsolicited NA, and
 * interface state.
 *
 * Edge module (rtnetlink through libnl-route-3, AF_PACKET, ICMPv6).  It does
 * what it is told, once; when and how often is the election's business.
 * Calls are synchronous netlink requests to the local kernel: they do not
 * wait on the network.
 */
#ifndef IPVSR_VIP_H
#define IPVSR_VIP_H

#include <stdbool.h>

#include "util.h"

/*
 * An interface changed state: up means administratively up and running
 * (carrier).  ifname NULL: events were lost (netlink overrun); re-read every
 * interface you care about with vip_link_up().
 */
typedef void (*vip_link_fn)(void *arg, const char *ifname, bool up);

/*
 * Open the netlink and packet sockets and start watching link events
 * (needs loop_init() first, CAP_NET_ADMIN and CAP_NET_RAW).  Returns 0 or a
 * negative errno, logged, nothing left open.  Pair: vip_fini.
 */
int vip_init(vip_link_fn link_fn, void *arg);
void vip_fini(void);

/* 1 when ifname is up and running, 0 when down, -ENODEV when it does not exist. */
int vip_link_up(const char *ifname);

/*
 * Put addr on ifname as a host address (/32, /128; IPv6 without duplicate
 * address detection, so it is usable at once).  0 also when it was there
 * already; else a negative errno (-ENODEV: no such interface).
 */
int vip_addr_add(const char *ifname, const struct sockaddr_x *addr);

/* Remove the host address addr from ifname.  0 also when it was not there. */
int vip_addr_del(const char *ifname, const struct sockaddr_x *addr);

/*
 * Announce that addr now lives on ifname: one gratuitous ARP request
 * (IPv4, RFC 5227 announcement) or one unsolicited neighbour advertisement
 * with the override flag to ff02::1 (IPv6).  0, -ENOTSUP when the
 * interface has no Ethernet address, or a negative errno.
 */
int vip_announce(const char *ifname, const struct sockaddr_x *addr);

/* libnl's NLE_* as a negative errno (0 stays 0). */
int vip_nl_err(int nle);

/*
 * BGP VIPs (vip_route.c): the route `blackhole ADDR/32 (/128) table TABLE
 * proto BGP_ROUTE_PROTO` that a routing daemon (BIRD) learns and exports.
 * Each call opens its own netlink socket (they are rare, and the CLI's
 * `ipvs-router withdraw` runs without the daemon).  vip_route_set adds
 * (replacing) or deletes it: 0, also when it was already so, or a negative
 * errno.  vip_route_flush deletes every route of BGP_ROUTE_PROTO in `table`
 * (both families): the number deleted, or a negative errno.
 */
int vip_route_set(uint32_t table, const struct sockaddr_x *addr, bool present);
int vip_route_flush(uint32_t table);

#endif
