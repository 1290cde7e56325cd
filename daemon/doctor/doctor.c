/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor.c - the doctor's walk over the configuration.  See doctor.h.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "doctor_probe.h"
#include "util.h"

#define ADVERTS_MAX 64

static void doctor_kernel(const struct config *c, const struct doctor_ops *ops,
    struct doctor_report *r);
static void doctor_pools(const struct config *c, const struct doctor_opts *o,
    struct doctor_report *r);
static void doctor_election(const struct config *c, const struct doctor_ops *ops,
    const struct doctor_opts *o, struct doctor_report *r);

static const char *
vip_ifname(const struct config *c, const struct vip *v)
{
	return v->interface != NULL ? v->interface : c->router.interface;
}

/* ------------------------------------------------------------ kernel */

static void
doctor_sched(const char *sched, struct doctor_report *r)
{
	char mod[64];
	int m;

	snprintf(mod, sizeof(mod), "ip_vs_%s", sched);
	m = dp_module(mod);
	if (m == DP_MODULE_LOADED)
		doctor_add(r, DOCTOR_OK, "kernel", NULL, "scheduler %s: module %s loaded", sched, mod);
	else if (m == DP_MODULE_LOADABLE)
		doctor_add(r, DOCTOR_OK, "kernel", NULL,
		    "scheduler %s: module %s loadable (IPVS loads it with the first service)", sched,
		    mod);
	else if (m == DP_MODULE_ABSENT)
		doctor_add(r, DOCTOR_FAIL, "kernel",
		    "use a scheduler this kernel has (rr, wrr, lc, wlc, sh, mh are in Debian's), or "
		    "a kernel with it", "scheduler %s: this kernel has no module %s", sched, mod);
	else
		doctor_add(r, DOCTOR_UNKNOWN, "kernel", NULL,
		    "scheduler %s: cannot tell whether module %s exists (%s)", sched, mod,
		    strerror(-m));
}

static void
doctor_kernel(const struct config *c, const struct doctor_ops *ops, struct doctor_report *r)
{
	char why[256], fix[256];
	const char *seen[64];
	unsigned ver = 0, tab = 0;
	size_t nseen = 0, i, j, k;
	bool nat4 = false, nat6 = false;
	int m, v;

	m = dp_module("ip_vs");
	if (m == DP_MODULE_LOADED) {
		if (ops->ipvs_info(&ver, &tab, why, sizeof(why)) == 0)
			doctor_add(r, DOCTOR_OK, "kernel", NULL,
			    "IPVS %u.%u.%u (connection table %u)", ver >> 16, (ver >> 8) & 0xff,
			    ver & 0xff, tab);
		else
			doctor_add(r, DOCTOR_FAIL, "kernel",
			    "run the doctor as root (CAP_NET_ADMIN), as the daemon runs",
			    "IPVS: module loaded, but its netlink family does not answer: %s", why);
	} else if (m == DP_MODULE_LOADABLE) {
		doctor_add(r, DOCTOR_OK, "kernel", NULL,
		    "IPVS: module ip_vs loadable, not loaded (the daemon's first request loads it)");
	} else if (m == DP_MODULE_ABSENT) {
		doctor_add(r, DOCTOR_FAIL, "kernel",
		    "boot a kernel built with CONFIG_IP_VS (Debian's linux-image-amd64 has it)",
		    "IPVS: this kernel has no ip_vs module");
	} else if (ops->ipvs_info(&ver, &tab, why, sizeof(why)) == 0) {
		/* no module lists (a kernel of its own): its netlink family answers */
		doctor_add(r, DOCTOR_OK, "kernel", NULL, "IPVS %u.%u.%u (connection table %u)",
		    ver >> 16, (ver >> 8) & 0xff, ver & 0xff, tab);
	} else {
		doctor_add(r, DOCTOR_FAIL, "kernel",
		    "boot a kernel built with CONFIG_IP_VS (Debian's linux-image-amd64 has it)",
		    "IPVS: not loaded, no module list for this kernel (%s), and no IPVS netlink "
		    "family: %s", strerror(-m), why);
	}

	for (i = 0; i < c->nvips; i++) {
		for (j = 0; j < c->vips[i].nservices; j++) {
			const struct service *s = &c->vips[i].services[j];
			bool dup = false;

			if (s->method == FWD_NAT)
				*(c->vips[i].addr.af == AF_INET6 ? &nat6 : &nat4) = true;
			if (s->scheduler == NULL)
				continue;
			for (k = 0; k < nseen; k++)
				dup = dup || strcmp(seen[k], s->scheduler) == 0;
			if (!dup && nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = s->scheduler;
		}
	}
	for (k = 0; k < nseen; k++)
		doctor_sched(seen[k], r);

	if (nat4) {
		if (dp_sysctl("net/ipv4/ip_forward", &v) < 0)
			doctor_add(r, DOCTOR_UNKNOWN, "kernel", NULL, "net.ipv4.ip_forward: unreadable");
		else if (v != 1)
			doctor_add(r, DOCTOR_FAIL, "kernel",
			    "sysctl -w net.ipv4.ip_forward=1, and set it in /etc/sysctl.d/",
			    "net.ipv4.ip_forward = %d: NAT services need forwarding (the backends' "
			    "replies pass through this router)", v);
		else
			doctor_add(r, DOCTOR_OK, "kernel", NULL,
			    "net.ipv4.ip_forward = 1 (NAT services forward the replies)");
	}
	if (nat6) {
		if (dp_sysctl("net/ipv6/conf/all/forwarding", &v) < 0)
			doctor_add(r, DOCTOR_UNKNOWN, "kernel", NULL,
			    "net.ipv6.conf.all.forwarding: unreadable");
		else if (v != 1)
			doctor_add(r, DOCTOR_FAIL, "kernel",
			    "sysctl -w net.ipv6.conf.all.forwarding=1, and set it in /etc/sysctl.d/",
			    "net.ipv6.conf.all.forwarding = %d: IPv6 NAT services need forwarding", v);
		else
			doctor_add(r, DOCTOR_OK, "kernel", NULL, "net.ipv6.conf.all.forwarding = 1");
	}
	/* a firewall matching on connection state (iptables' state/conntrack matches,
	 * nftables' ct expression: their modules are loaded once a rule uses them) sees
	 * IPVS's NAT connections only with vs.conntrack=1; without, it drops their replies */
	if ((nat4 || nat6) && dp_sysctl("net/ipv4/vs/conntrack", &v) == 0) {
		const char *ct = dp_module("xt_conntrack") == DP_MODULE_LOADED ? "xt_conntrack" :
		    dp_module("xt_state") == DP_MODULE_LOADED ? "xt_state" :
		    dp_module("nft_ct") == DP_MODULE_LOADED ? "nft_ct" : NULL;

		if (v == 0 && ct != NULL)
			doctor_add(r, DOCTOR_WARN, "kernel",
			    "sysctl -w net.ipv4.vs.conntrack=1 (and in /etc/sysctl.d/)",
			    "net.ipv4.vs.conntrack = 0, and %s is loaded (a firewall rule matches on "
			    "connection state): it drops the replies of NAT connections it has no "
			    "entry for", ct);
		else if (v == 0)
			doctor_add(r, DOCTOR_OK, "kernel", NULL,
			    "net.ipv4.vs.conntrack = 0 (no connection-state firewall match loaded: "
			    "xt_conntrack, xt_state, nft_ct)");
		else
			doctor_add(r, DOCTOR_OK, "kernel", NULL,
			    "net.ipv4.vs.conntrack = %d (NAT connections visible to the firewall)", v);
	}

	/* rp_filter: the effective value is the larger of all and the interface's */
	nseen = 0;
	for (i = 0; i < c->nvips; i++) {
		const char *ifn = vip_ifname(c, &c->vips[i]);
		char name[96];
		bool dup = false;
		int va, vi;

		if (ifn == NULL || c->vips[i].addr.af != AF_INET)
			continue;
		for (k = 0; k < nseen; k++)
			dup = dup || strcmp(seen[k], ifn) == 0;
		if (dup || nseen == sizeof(seen) / sizeof(seen[0]))
			continue;
		seen[nseen++] = ifn;
		snprintf(name, sizeof(name), "net/ipv4/conf/%s/rp_filter", ifn);
		if (dp_sysctl("net/ipv4/conf/all/rp_filter", &va) < 0 || dp_sysctl(name, &vi) < 0) {
			doctor_add(r, DOCTOR_UNKNOWN, "kernel", NULL,
			    "rp_filter on %s: unreadable (no such interface?)", ifn);
			continue;
		}
		v = va > vi ? va : vi;
		if (v == 1) {
			snprintf(fix, sizeof(fix),
			    "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.%s.rp_filter=2 "
			    "(loose), and set them in /etc/sysctl.d/", ifn);
			doctor_add(r, DOCTOR_WARN, "kernel", fix,
			    "rp_filter on %s is strict (all=%d, %s=%d): a client whose route back "
			    "leaves by another interface is dropped before IPVS sees it", ifn, va, ifn,
			    vi);
		} else {
			doctor_add(r, DOCTOR_OK, "kernel", NULL, "rp_filter on %s = %d (%s)", ifn, v,
			    v == 0 ? "off" : "loose");
		}
	}
}

/* ------------------------------------------------------------ the data path */

struct backend {
	const struct server *sv;
	const struct pool *pool;
	uint8_t mac[6];
	bool has_mac;
};

static bool
mac_eq(const uint8_t a[6], const uint8_t b[6])
{
	return memcmp(a, b, 6) == 0;
}

/* What a probe of one server is about: its findings' area, the VIP, the port. */
struct probe_of {
	char area[160];
	char va[SOCKADDR_X_STRLEN];
	int port;
};

static void
probe_of_init(struct probe_of *po, const struct vip *v, const struct service *s,
    const struct pool *p, const struct server *sv)
{
	char a[SOCKADDR_X_STRLEN];

	snprintf(po->area, sizeof(po->area), "pool %s server %s", p->name,
	    sockaddr_x_fmt_addr(&sv->addr, a, sizeof(a)));
	sockaddr_x_fmt_addr(&v->addr, po->va, sizeof(po->va));
	po->port = sv->addr.port ? sv->addr.port : p->port ? p->port : s->port;
}

/*
 * The SYN's answer as a finding.  probe names it ("DSR probe"), how says how the SYN
 * went ("sent to its MAC ..."); silence gets silent_fix and silent_why.
 */
static void
report_syn(struct doctor_report *r, const struct probe_of *po, const char *probe,
    const char *how, enum dp_syn_answer ans, int rtt, int timeout_ms, const char *silent_fix,
    const char *silent_why)
{
	char fix[160];

	if (ans == DP_SYN_SYNACK) {
		doctor_add(r, DOCTOR_OK, po->area, NULL,
		    "%s: a SYN to %s:%d %s got a SYN-ACK from the VIP in %d ms", probe, po->va,
		    po->port, how, rtt);
	} else if (ans == DP_SYN_RST) {
		snprintf(fix, sizeof(fix), "on the backend: make the service listen on %s:%d (or on "
		    "0.0.0.0:%d)", po->va, po->port, po->port);
		doctor_add(r, DOCTOR_FAIL, po->area, fix,
		    "%s: the backend has the VIP %s but refused port %d (RST)", probe, po->va,
		    po->port);
	} else {
		doctor_add(r, DOCTOR_FAIL, po->area, silent_fix,
		    "%s: a SYN to %s:%d %s got no answer within %d ms: %s", probe, po->va, po->port,
		    how, timeout_ms, silent_why);
	}
}

/* One DR server of pool p behind service s of vip v: on-link, its MAC, the DSR probe. */
static void
doctor_dr_server(const struct vip *v, const struct service *s, const struct pool *p,
    struct backend *b, const struct doctor_opts *o, struct doctor_report *r)
{
	char gw[SOCKADDR_X_STRLEN], fix[320], how[64], mac[24];
	const struct server *sv = b->sv;
	struct probe_of po;
	struct dp_route rt;
	enum dp_syn_answer ans;
	uint8_t macs[1][6];
	size_t n;
	int rtt, e;

	probe_of_init(&po, v, s, p, sv);
	if ((e = dp_route_get(&sv->addr, &rt)) < 0) {
		doctor_add(r, e == -ENETUNREACH ? DOCTOR_FAIL : DOCTOR_UNKNOWN, po.area,
		    e == -ENETUNREACH ? "add a route to the backend on the VIP's segment" : NULL,
		    "no route to it: %s", strerror(-e));
		return;
	}
	if (rt.type == RTN_LOCAL) {
		doctor_add(r, DOCTOR_FAIL, po.area, "a direct-routing backend must be another host",
		    "the address is this router's own");
		return;
	}
	if (rt.has_gw) {
		snprintf(fix, sizeof(fix), "put the backend on %s's segment, or use method = \"tun\" "
		    "for it (direct routing rewrites only the MAC address)", rt.ifname);
		doctor_add(r, DOCTOR_FAIL, po.area, fix,
		    "not on-link: the route to it goes through %s on %s, and direct routing needs "
		    "the same L2 segment", sockaddr_x_fmt_addr(&rt.gw, gw, sizeof(gw)), rt.ifname);
		return;
	}
	doctor_add(r, DOCTOR_OK, po.area, NULL, "on-link on %s (direct routing can reach it)",
	    rt.ifname);
	if (sv->addr.af != AF_INET || v->addr.af != AF_INET) {
		doctor_add(r, DOCTOR_UNKNOWN, po.area, NULL,
		    "DSR probe: not made for IPv6 (this version probes IPv4 only)");
		return;
	}
	if ((e = dp_arp(rt.oif, &rt.src, &sv->addr, o->timeout_ms, macs, 1, &n)) < 0) {
		doctor_add(r, DOCTOR_UNKNOWN, po.area, NULL, "ARP: cannot ask (%s)", strerror(-e));
		return;
	}
	if (n == 0) {
		doctor_add(r, DOCTOR_FAIL, po.area,
		    "check that the backend is up and on this segment (ip neigh; ping it)",
		    "no ARP answer on %s within %d ms", rt.ifname, o->timeout_ms);
		return;
	}
	memcpy(b->mac, macs[0], 6);
	b->has_mac = true;
	if (s->protocol != PROTO_TCP || s->fwmark != 0) {
		doctor_add(r, DOCTOR_UNKNOWN, po.area, NULL,
		    "DSR probe: not made for a %s service (the probe is a TCP SYN)",
		    s->fwmark ? "fwmark" : proto_str(s->protocol));
		return;
	}
	if ((e = dp_dsr_syn(rt.oif, &rt.src, &v->addr, po.port, b->mac, NULL, o->timeout_ms, &ans,
		 &rtt)) < 0) {
		doctor_add(r, DOCTOR_UNKNOWN, po.area, NULL, "DSR probe: cannot send (%s)",
		    strerror(-e));
		return;
	}
	snprintf(how, sizeof(how), "sent to its MAC %s", dp_mac_fmt(b->mac, mac, sizeof(mac)));
	snprintf(fix, sizeof(fix), "on the backend: ip addr add %s/32 dev lo; sysctl -w "
	    "net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 (and in "
	    "/etc/sysctl.d/)", po.va);
	report_syn(r, &po, "DSR probe", how, ans, rtt, o->timeout_ms, fix,
	    "the backend does not accept packets for the VIP (no VIP on its loopback?)");
}

/* One tunnel server: routable, then the probe: a SYN to the VIP inside IP-in-IP to it. */
static void
doctor_tun_server(const struct vip *v, const struct service *s, const struct pool *p,
    const struct server *sv, const struct doctor_opts *o, struct doctor_report *r)
{
	char a[SOCKADDR_X_STRLEN], hop[SOCKADDR_X_STRLEN], fix[480], how[80];
	const struct sockaddr_x *nh;
	struct probe_of po;
	struct dp_route rt;
	enum dp_syn_answer ans;
	uint8_t macs[1][6];
	size_t n;
	int rtt, e;

	probe_of_init(&po, v, s, p, sv);
	e = dp_route_get(&sv->addr, &rt);
	if (e < 0 || rt.type != RTN_UNICAST) {
		doctor_add(r, DOCTOR_FAIL, po.area, "add a route to the backend",
		    "tun: no route to it (%s)", e < 0 ? strerror(-e) :
		    rt.type == RTN_LOCAL ? "it is this router's own address" : "not a unicast route");
		return;
	}
	doctor_add(r, DOCTOR_OK, po.area, NULL, "tun: routable via %s%s", rt.ifname,
	    rt.has_gw ? " (through a gateway)" : "");
	if (s->tun_type != TUN_IPIP || sv->addr.af != AF_INET || v->addr.af != AF_INET ||
	    s->protocol != PROTO_TCP || s->fwmark != 0) {
		doctor_add(r, DOCTOR_UNKNOWN, po.area, NULL,
		    "tunnel probe: made for IPv4 IP-in-IP TCP services only");
		return;
	}
	nh = rt.has_gw ? &rt.gw : &sv->addr;
	sockaddr_x_fmt_addr(nh, hop, sizeof(hop));
	if ((e = dp_arp(rt.oif, &rt.src, nh, o->timeout_ms, macs, 1, &n)) < 0 || n == 0) {
		doctor_add(r, e < 0 ? DOCTOR_UNKNOWN : DOCTOR_FAIL, po.area,
		    e < 0 ? NULL : "check the next hop (ip neigh; ping it)",
		    "tunnel probe: the next hop %s does not answer ARP on %s%s", hop, rt.ifname,
		    e < 0 ? " (cannot ask)" : "");
		return;
	}
	if ((e = dp_dsr_syn(rt.oif, &rt.src, &v->addr, po.port, macs[0], &sv->addr,
		 o->timeout_ms, &ans, &rtt)) < 0) {
		doctor_add(r, DOCTOR_UNKNOWN, po.area, NULL, "tunnel probe: cannot send (%s)",
		    strerror(-e));
		return;
	}
	snprintf(how, sizeof(how), "inside IP-in-IP to %s",
	    sockaddr_x_fmt_addr(&sv->addr, a, sizeof(a)));
	snprintf(fix, sizeof(fix), "on the backend: modprobe ipip; ip link set tunl0 up; "
	    "ip addr add %s/32 dev tunl0; sysctl -w net.ipv4.conf.tunl0.rp_filter=0 "
	    "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.all.arp_ignore=1 "
	    "net.ipv4.conf.all.arp_announce=2 (and in /etc/sysctl.d/)", po.va);
	report_syn(r, &po, "tunnel probe", how, ans, rtt, o->timeout_ms, fix,
	    "the backend does not decapsulate it or drops it (no tunl0 up with the VIP, or "
	    "rp_filter on tunl0: the inner source is routed by another interface)");
}

static void
doctor_pools(const struct config *c, const struct doctor_opts *o, struct doctor_report *r)
{
	char area[160], a[SOCKADDR_X_STRLEN], va[SOCKADDR_X_STRLEN], m[24], fix[320];
	struct backend *bs = NULL;
	size_t i, j, k, nb, nmac, x;
	uint8_t macs[16][6];

	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];
		struct dp_route vr;
		bool any_dr = false;

		sockaddr_x_fmt_addr(&v->addr, va, sizeof(va));
		nb = 0;
		for (j = 0; j < v->nservices; j++) {
			const struct service *s = &v->services[j];
			const struct pool *p = s->pool;
			size_t dyn = 0;

			if (p == NULL)
				continue;
			for (k = 0; k < p->nservers; k++)
				dyn += p->servers[k].dynamic;
			if (p->endpoints_file != NULL || dyn > 0)
				doctor_add(r, DOCTOR_UNKNOWN, "pool", NULL,
				    "pool %s: the servers of its endpoints file are not probed (only "
				    "the configuration's)", p->name);
			for (k = 0; k < p->nservers; k++) {
				const struct server *sv = &p->servers[k];
				struct dp_route rt;
				int e;

				if (sv->dynamic)
					continue;
				snprintf(area, sizeof(area), "pool %s server %s", p->name,
				    sockaddr_x_fmt_addr(&sv->addr, a, sizeof(a)));
				if (s->method == FWD_DR) {
					struct backend b = {.sv = sv, .pool = p};

					/* probed per service (the port), kept once for the ARP pass */
					doctor_dr_server(v, s, p, &b, o, r);
					for (x = 0; x < nb && bs[x].sv != sv; x++)
						;
					if (x == nb) {
						bs = xreallocarray(bs, nb + 1, sizeof(*bs));
						bs[nb++] = b;
					} else if (b.has_mac && !bs[x].has_mac) {
						bs[x] = b;
					}
					any_dr = true;
					continue;
				}
				if (s->method == FWD_TUN) {
					doctor_tun_server(v, s, p, sv, o, r);
					continue;
				}
				e = dp_route_get(&sv->addr, &rt);
				if (e < 0 || rt.type != RTN_UNICAST)
					doctor_add(r, DOCTOR_FAIL, area,
					    "add a route to the backend",
					    "%s: no route to it (%s)", fwd_method_str(s->method),
					    e < 0 ? strerror(-e) : "not a unicast route");
				else
					doctor_add(r, DOCTOR_OK, area, NULL,
					    "%s: routable via %s%s", fwd_method_str(s->method),
					    rt.ifname, rt.has_gw ? " (through a gateway)" : "");
			}
		}
		/* who answers ARP for the VIP: a backend that does steals the VIP's traffic.
		 * Asked on the backends' segment (the route to the first one that answered
		 * ARP), from our address there: our own kernel never answers our frame. */
		if (!any_dr || v->addr.af != AF_INET)
			continue;
		for (x = 0; x < nb && !bs[x].has_mac; x++)
			;
		if (x == nb)
			continue; /* no backend reached: nothing to compare with */
		if (dp_route_get(&bs[x].sv->addr, &vr) < 0 ||
		    dp_arp(vr.oif, &vr.src, &v->addr, o->timeout_ms, macs, 16, &nmac) < 0) {
			doctor_add(r, DOCTOR_UNKNOWN, "vip", NULL,
			    "vip %s: cannot ask who answers ARP for %s", v->name, va);
			continue;
		}
		for (x = 0; x < nb; x++) {
			bool answers = false;

			if (!bs[x].has_mac)
				continue;
			for (k = 0; k < nmac; k++)
				answers = answers || mac_eq(macs[k], bs[x].mac);
			snprintf(area, sizeof(area), "pool %s server %s", bs[x].pool->name,
			    sockaddr_x_fmt_addr(&bs[x].sv->addr, a, sizeof(a)));
			if (answers) {
				snprintf(fix, sizeof(fix), "on the backend: sysctl -w "
				    "net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 "
				    "(and in /etc/sysctl.d/)");
				doctor_add(r, DOCTOR_FAIL, area, fix,
				    "answers ARP for the VIP %s (from %s): clients' traffic can go to "
				    "it instead of the router", va, dp_mac_fmt(bs[x].mac, m, sizeof(m)));
			} else {
				doctor_add(r, DOCTOR_OK, area, NULL,
				    "does not answer ARP for the VIP %s (arp_ignore)", va);
			}
		}
	}
	free(bs);
}

/* ------------------------------------------------------------ election */

static void
doctor_election(const struct config *c, const struct doctor_ops *ops,
    const struct doctor_opts *o, struct doctor_report *r)
{
	char why[512], a[SOCKADDR_X_STRLEN], b[SOCKADDR_X_STRLEN], area[96], fix[320];
	struct dp_advert adv[ADVERTS_MAX];
	const char *ifs[32];
	size_t i, j, k, n, nifs = 0;
	int rtt, e, ms;

	if (!c->election.present)
		return;
	if (c->election.auth == AUTH_HMAC) {
		if (ops->key_check(c, why, sizeof(why)) < 0) {
			/* the daemon's message ends with its fix after "; " when it has one */
			const char *f = strrchr(why, ';');

			snprintf(fix, sizeof(fix), "openssl rand -out %s 32 && chmod 0600 %s (the "
			    "same key on every router)", c->election.auth_key_file,
			    c->election.auth_key_file);
			doctor_add(r, DOCTOR_FAIL, "election",
			    f != NULL && f[1] == ' ' && f[2] != '\0' ? f + 2 : fix,
			    "auth key file: %s", why);
		} else {
			doctor_add(r, DOCTOR_OK, "election", NULL,
			    "auth key file %s: readable, not world-readable, of a valid length",
			    c->election.auth_key_file);
		}
	}
	for (i = 0; i < c->election.npeers; i++) {
		const struct peer *p = &c->election.peers[i];

		if (c->router.name != NULL && strcmp(p->name, c->router.name) == 0)
			continue;
		snprintf(area, sizeof(area), "election peer %s", p->name);
		sockaddr_x_fmt_addr(&p->addr, a, sizeof(a));
		e = dp_ping(&p->addr, o->timeout_ms, &rtt);
		if (e == 0)
			doctor_add(r, DOCTOR_OK, area, NULL, "%s answers ICMP echo in %d ms", a, rtt);
		else if (e == -ETIMEDOUT)
			doctor_add(r, DOCTOR_FAIL, area,
			    "check that it is up, and that the path and firewalls (security groups) "
			    "pass IP protocol 112 (VRRP) and ICMP between the routers",
			    "%s does not answer ICMP echo within %d ms", a, o->timeout_ms);
		else
			doctor_add(r, DOCTOR_UNKNOWN, area, NULL, "%s: cannot send ICMP echo (%s)", a,
			    strerror(-e));
	}
	/* duplicate vrids: adverts heard for one of our vrids from a router not ours */
	ms = o->listen_ms;
	if (ms <= 0) {
		ms = c->election.advert_interval_ms * 3;
		ms = ms < 1000 ? 1000 : ms > 3000 ? 3000 : ms;
	}
	for (i = 0; i < c->nvips; i++) {
		const char *ifn = vip_ifname(c, &c->vips[i]);
		bool dup = false;

		if (ifn == NULL || c->vips[i].addr.af != AF_INET)
			continue;
		for (k = 0; k < nifs; k++)
			dup = dup || strcmp(ifs[k], ifn) == 0;
		if (!dup && nifs < sizeof(ifs) / sizeof(ifs[0]))
			ifs[nifs++] = ifn;
	}
	for (k = 0; k < nifs; k++) {
		size_t bad = 0, ours = 0;

		e = dp_vrrp_listen(ifs[k], ms, adv, ADVERTS_MAX, &n);
		if (e < 0) {
			doctor_add(r, DOCTOR_UNKNOWN, "election", NULL,
			    "cannot listen for adverts on %s (%s)", ifs[k], strerror(-e));
			continue;
		}
		for (j = 0; j < n; j++) {
			const struct vip *mine = NULL;
			bool peer = false;

			for (i = 0; i < c->nvips; i++)
				if (c->vips[i].vrid == adv[j].vrid &&
				    strcmp(vip_ifname(c, &c->vips[i]) ? vip_ifname(c, &c->vips[i]) : "",
				    ifs[k]) == 0)
					mine = &c->vips[i];
			if (mine == NULL)
				continue;
			for (i = 0; i < c->election.npeers; i++)
				peer = peer ||
				    sockaddr_x_cmp_addr(&c->election.peers[i].addr, &adv[j].src) == 0;
			if (peer) {
				ours++;
				continue;
			}
			bad++;
			snprintf(fix, sizeof(fix), "give vip %s another vrid (vrid = N, 1..255, unused "
			    "on %s), or remove that router's instance", mine->name, ifs[k]);
			doctor_add(r, DOCTOR_FAIL, "election", fix,
			    "vrid %d on %s: %s, not one of our peers, advertises it (priority %d, "
			    "address %s): two elections with one vrid fight over the VIP",
			    adv[j].vrid, ifs[k], sockaddr_x_fmt_addr(&adv[j].src, a, sizeof(a)),
			    adv[j].prio,
			    adv[j].addr.af ? sockaddr_x_fmt_addr(&adv[j].addr, b, sizeof(b)) : "none");
		}
		if (bad == 0)
			doctor_add(r, DOCTOR_OK, "election", NULL,
			    "no other router uses our vrids on %s (listened %d ms; %zu advert "
			    "source%s of our peers heard)", ifs[k], ms, ours, ours == 1 ? "" : "s");
	}
}

void
doctor_run(const struct config *c, const struct doctor_ops *ops, const struct doctor_opts *o,
    struct doctor_report *r)
{
	struct doctor_opts def = *o;

	if (def.timeout_ms <= 0)
		def.timeout_ms = 1000;
	doctor_kernel(c, ops, r);
	doctor_pools(c, &def, r);
	doctor_election(c, ops, &def, r);
	if (c->aws.present)
		ops->aws_check(c, def.timeout_ms, r);
}
