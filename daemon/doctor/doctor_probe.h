/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_probe.h - what `ipvs-router doctor` asks the kernel and the network.
 * Edge module: every probe is read-only for this host (it reads /proc and
 * /sys, asks for a route, sends an ARP request, one TCP SYN, an ICMP echo,
 * and listens), blocks for at most the time it is given, and says "cannot
 * tell" (a negative errno) rather than guess.
 */
#ifndef IPVSR_DOCTOR_PROBE_H
#define IPVSR_DOCTOR_PROBE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* /proc/sys/NAME ("net/ipv4/ip_forward") as an integer: 0 or a negative errno. */
int dp_sysctl(const char *name, int *v);

enum dp_module {
	DP_MODULE_LOADED,	/* /sys/module/NAME: loaded, or built in */
	DP_MODULE_LOADABLE,	/* in modules.dep of the running kernel */
	DP_MODULE_ABSENT,
};

/* Is kernel module NAME ("ip_vs_mh") there: a dp_module, or a negative errno
 * when the module lists cannot be read. */
int dp_module(const char *name);

struct dp_route {
	int type;		/* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	int oif;		/* output interface index */
	char ifname[IF_NAMESIZE];
	bool has_gw;		/* through a router: not on-link */
	struct sockaddr_x gw;	/* when has_gw */
	struct sockaddr_x src;	/* the source address the kernel would use */
};

/* The kernel's route to dst (RTM_GETROUTE): 0, -ENETUNREACH, or a negative errno. */
int dp_route_get(const struct sockaddr_x *dst, struct dp_route *out);

/*
 * ARP: ask who has `target` (IPv4) on interface ifindex, from `src`, and collect
 * the hardware addresses that answer within timeout_ms (at most max; with max 1
 * the first answer ends the wait).  0 with *n answers (0: nobody), or a negative
 * errno.
 */
int dp_arp(int ifindex, const struct sockaddr_x *src, const struct sockaddr_x *target,
    int timeout_ms, uint8_t (*macs)[6], size_t max, size_t *n);

enum dp_syn_answer {
	DP_SYN_NONE,		/* nothing within the time */
	DP_SYN_SYNACK,		/* SYN-ACK from vip:port: the backend serves the VIP */
	DP_SYN_RST,		/* RST from vip:port: the VIP is there, nothing listens */
};

/*
 * The DSR probe: one TCP SYN to vip:port from src, sent in an Ethernet frame to
 * `mac` on ifindex (as IPVS's direct routing does), and the answer from vip:port
 * within timeout_ms.  With tun_dst, the SYN goes inside an IP-in-IP packet to
 * tun_dst (IPVS's tunnel mode; mac is then the next hop's), and the answer is
 * awaited on every interface.  0 with *answer (and *rtt_ms), or a negative errno.
 */
int dp_dsr_syn(int ifindex, const struct sockaddr_x *src, const struct sockaddr_x *vip,
    int port, const uint8_t mac[6], const struct sockaddr_x *tun_dst, int timeout_ms,
    enum dp_syn_answer *answer, int *rtt_ms);

/* ICMP echo to dst: 0 answered (*rtt_ms), -ETIMEDOUT, or a negative errno. */
int dp_ping(const struct sockaddr_x *dst, int timeout_ms, int *rtt_ms);

struct dp_advert {
	struct sockaddr_x src;
	int vrid, prio;
	struct sockaddr_x addr;	/* its first address (af 0: none) */
	int naddr;
};

/*
 * Listen for VRRP adverts (IPv4, protocol 112, unicast to us or to 224.0.0.18)
 * on interface ifname for ms milliseconds; up to max distinct (source, vrid)
 * into out.  0 with *n, or a negative errno.
 */
int dp_vrrp_listen(const char *ifname, int ms, struct dp_advert *out, size_t max, size_t *n);

/* "aa:bb:cc:dd:ee:ff" */
char *dp_mac_fmt(const uint8_t mac[6], char *buf, size_t len);

#endif
