/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vip.c - VIP addresses (rtnetlink), gratuitous ARP / unsolicited NA, link
 * state.
 *
 * Two netlink sockets: one for requests (address add/remove, link look-up)
 * and one subscribed to RTNLGRP_LINK, watched by the loop.  Keeping them
 * apart means a request's answer never queues behind a burst of events.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "log.h"
#include "loop.h"
#include "vip.h"

#define EVENT_BURST 64

static struct {
	struct nl_sock *req; /* requests */
	struct nl_sock *mon; /* RTNLGRP_LINK events */
	ev_io mon_io;
	int pkt_fd;   /* AF_PACKET, SOCK_DGRAM, sends ARP */
	int icmp6_fd; /* raw ICMPv6, sends NA, receives nothing */
	vip_link_fn link_fn;
	void *arg;
	bool open;
} vs = {.pkt_fd = -1, .icmp6_fd = -1};

static int hwaddr(const char *ifname, unsigned char mac[6]);
static int addr_obj(const char *ifname, const struct sockaddr_x *a, struct rtnl_addr **out);
static int link_event(struct nl_msg *msg, void *arg);
static void mon_cb(struct ev_loop *l, ev_io *w, int revents);
static int announce4(const char *ifname, int ifindex, const struct sockaddr_x *a);
static int announce6(const char *ifname, int ifindex, const struct sockaddr_x *a);

/* libnl's NLE_* to -errno, for the errors these calls can meet. */
int
vip_nl_err(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NOADDR:
	case NLE_OBJ_NOTFOUND:
		return -EADDRNOTAVAIL;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	default:
		return -EIO;
	}
}

int
vip_init(vip_link_fn link_fn, void *arg)
{
	struct icmp6_filter filt;
	int r;

	if (vs.open)
		return -EALREADY;
	if (loop_ev() == NULL)
		return -EINVAL;
	vs.link_fn = link_fn;
	vs.arg = arg;

	vs.req = nl_socket_alloc();
	vs.mon = nl_socket_alloc();
	if (vs.req == NULL || vs.mon == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	r = vip_nl_err(nl_connect(vs.req, NETLINK_ROUTE));
	if (r < 0) {
		log_warnc(r, "vip: cannot open rtnetlink");
		goto fail;
	}
	nl_socket_disable_seq_check(vs.mon);
	nl_socket_modify_cb(vs.mon, NL_CB_VALID, NL_CB_CUSTOM, link_event, NULL);
	r = vip_nl_err(nl_connect(vs.mon, NETLINK_ROUTE));
	if (r == 0)
		r = vip_nl_err(nl_socket_add_membership(vs.mon, RTNLGRP_LINK));
	if (r == 0)
		r = vip_nl_err(nl_socket_set_nonblocking(vs.mon));
	if (r < 0) {
		log_warnc(r, "vip: cannot watch interface events");
		goto fail;
	}
	/* a lost event is detected (ENOBUFS) and answered with a full re-read */
	if (setsockopt(nl_socket_get_fd(vs.mon), SOL_NETLINK, NETLINK_NO_ENOBUFS, &(int){0},
		sizeof(int)) < 0)
		log_debug("vip: NETLINK_NO_ENOBUFS: %s", strerror(errno));

	/* protocol 0: this socket sends and never receives */
	vs.pkt_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vs.pkt_fd < 0) {
		r = -errno;
		log_warnc(r, "vip: cannot open a packet socket (gratuitous ARP)");
		goto fail;
	}
	vs.icmp6_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (vs.icmp6_fd < 0) {
		r = -errno;
		log_warnc(r, "vip: cannot open an ICMPv6 socket (unsolicited NA)");
		goto fail;
	}
	ICMP6_FILTER_SETBLOCKALL(&filt);
	if (setsockopt(vs.icmp6_fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)) < 0 ||
	    setsockopt(vs.icmp6_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &(int){255}, sizeof(int)) <
		0 ||
	    setsockopt(vs.icmp6_fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &(int){0}, sizeof(int)) <
		0) {
		r = -errno;
		log_warnc(r, "vip: ICMPv6 socket options");
		goto fail;
	}
	ev_io_init(&vs.mon_io, mon_cb, nl_socket_get_fd(vs.mon), EV_READ);
	ev_io_start(loop_ev(), &vs.mon_io);
	vs.open = true;
	return 0;
fail:
	vip_fini();
	return r;
}

void
vip_fini(void)
{
	if (vs.open && loop_ev() != NULL)
		ev_io_stop(loop_ev(), &vs.mon_io);
	if (vs.req != NULL)
		nl_socket_free(vs.req);
	if (vs.mon != NULL)
		nl_socket_free(vs.mon);
	if (vs.pkt_fd >= 0)
		close(vs.pkt_fd);
	if (vs.icmp6_fd >= 0)
		close(vs.icmp6_fd);
	memset(&vs, 0, sizeof(vs));
	vs.pkt_fd = vs.icmp6_fd = -1;
}

/* ------------------------------------------------------------ links */

int
vip_link_up(const char *ifname)
{
	struct rtnl_link *link = NULL;
	unsigned flags;
	int r;

	if (vs.req == NULL)
		return -EINVAL;
	r = rtnl_link_get_kernel(vs.req, 0, ifname, &link);
	if (r < 0)
		return vip_nl_err(r) == -EIO ? -ENODEV : vip_nl_err(r);
	flags = rtnl_link_get_flags(link);
	rtnl_link_put(link);
	return (flags & IFF_UP) && (flags & IFF_RUNNING) ? 1 : 0;
}

static int
link_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;
	struct nlattr *name;
	char ifname[IF_NAMESIZE];
	bool up;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	if (!nlmsg_valid_hdr(nlh, sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(nlh);
	name = nlmsg_find_attr(nlh, sizeof(*ifi), IFLA_IFNAME);
	if (name == NULL)
		return NL_OK;
	nla_strlcpy(ifname, name, sizeof(ifname));
	up = nlh->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
	     (ifi->ifi_flags & IFF_RUNNING);
	if (vs.link_fn != NULL)
		vs.link_fn(vs.arg, ifname, up);
	return NL_OK;
}

static void
mon_cb(struct ev_loop *l, ev_io *w, int revents)
{
	int i, r;

	for (i = 0; i < EVENT_BURST; i++) {
		r = nl_recvmsgs_default(vs.mon);
		if (r >= 0)
			continue;
		if (r == -NLE_AGAIN)
			return;
		if (r == -NLE_NOMEM || r == -NLE_MSG_OVERFLOW || r == -NLE_DUMP_INTR) {
			/* the kernel dropped events (ENOBUFS): start from the facts */
			log_info("vip: interface events were lost, re-reading interface states");
			if (vs.link_fn != NULL)
				vs.link_fn(vs.arg, NULL, false);
			return;
		}
		log_debug("vip: interface events: %s", nl_geterror(r));
		return;
	}
}

/* ------------------------------------------------------------ addresses */

static int
addr_obj(const char *ifname, const struct sockaddr_x *a, struct rtnl_addr **out)
{
	struct rtnl_addr *ra;
	struct nl_addr *local;
	unsigned idx;
	int r;

	*out = NULL;
	idx = if_nametoindex(ifname);
	if (idx == 0)
		return -ENODEV;
	local = nl_addr_build(a->af,
	    a->af == AF_INET6 ? (const void *)a->a.v6.s6_addr : (const void *)&a->a.v4.s_addr,
	    a->af == AF_INET6 ? 16 : 4);
	ra = rtnl_addr_alloc();
	if (local == NULL || ra == NULL) {
		nl_addr_put(local);
		rtnl_addr_put(ra);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(local, a->af == AF_INET6 ? 128 : 32);
	rtnl_addr_set_ifindex(ra, (int)idx);
	rtnl_addr_set_family(ra, a->af);
	r = rtnl_addr_set_local(ra, local);
	nl_addr_put(local);
	if (r < 0) {
		rtnl_addr_put(ra);
		return vip_nl_err(r);
	}
	rtnl_addr_set_prefixlen(ra, a->af == AF_INET6 ? 128 : 32);
	*out = ra;
	return 0;
}

int
vip_addr_add(const char *ifname, const struct sockaddr_x *a)
{
	struct rtnl_addr *ra;
	int r;

	if (vs.req == NULL)
		return -EINVAL;
	r = addr_obj(ifname, a, &ra);
	if (r < 0)
		return r;
	if (a->af == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	r = vip_nl_err(rtnl_addr_add(vs.req, ra, NLM_F_EXCL));
	rtnl_addr_put(ra);
	return r == -EEXIST ? 0 : r;
}

int
vip_addr_del(const char *ifname, const struct sockaddr_x *a)
{
	struct rtnl_addr *ra;
	int r;

	if (vs.req == NULL)
		return -EINVAL;
	r = addr_obj(ifname, a, &ra);
	if (r == -ENODEV)
		return 0; /* gone with its interface */
	if (r < 0)
		return r;
	r = vip_nl_err(rtnl_addr_delete(vs.req, ra, 0));
	rtnl_addr_put(ra);
	return r == -EADDRNOTAVAIL ? 0 : r;
}

/* ------------------------------------------------------------ announcements */

static int
hwaddr(const char *ifname, unsigned char mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(vs.pkt_fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -ENOTSUP;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* RFC 5227 ARP announcement: a request with sender = target = the VIP. */
static int
announce4(const char *ifname, int ifindex, const struct sockaddr_x *a)
{
	struct sockaddr_ll sll;
	uint8_t pkt[28];
	unsigned char mac[6];
	int r;

	r = hwaddr(ifname, mac);
	if (r < 0)
		return r;
	pkt[0] = 0x00; /* hardware: Ethernet */
	pkt[1] = 0x01;
	pkt[2] = 0x08; /* protocol: IPv4 */
	pkt[3] = 0x00;
	pkt[4] = 6;
	pkt[5] = 4;
	pkt[6] = 0x00; /* request */
	pkt[7] = ARPOP_REQUEST;
	memcpy(pkt + 8, mac, 6);
	memcpy(pkt + 14, &a->a.v4.s_addr, 4);
	memset(pkt + 18, 0, 6);
	memcpy(pkt + 24, &a->a.v4.s_addr, 4);

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (sendto(vs.pkt_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

/*
 * Unsolicited NA (RFC 4861 7.2.6) from the VIP itself, which is on the
 * interface already (without DAD), so no link-local address is needed.
 */
static int
announce6(const char *ifname, int ifindex, const struct sockaddr_x *a)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct nd_neighbor_advert na;
	struct sockaddr_in6 dst;
	struct in6_pktinfo pi;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	uint8_t pkt[sizeof(struct nd_neighbor_advert) + 8];
	unsigned char mac[6];
	int r;

	r = hwaddr(ifname, mac);
	if (r < 0)
		return r;
	memset(&na, 0, sizeof(na));
	na.nd_na_type = ND_NEIGHBOR_ADVERT;
	na.nd_na_code = 0;
	na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	na.nd_na_target = a->a.v6;
	memcpy(pkt, &na, sizeof(na));
	pkt[sizeof(na)] = ND_OPT_TARGET_LINKADDR;
	pkt[sizeof(na) + 1] = 1; /* in units of 8 bytes */
	memcpy(pkt + sizeof(na) + 2, mac, 6);

	memset(&dst, 0, sizeof(dst));
	dst.sin6_family = AF_INET6;
	/* ff02::1, all nodes */
	dst.sin6_addr.s6_addr[0] = 0xff;
	dst.sin6_addr.s6_addr[1] = 0x02;
	dst.sin6_addr.s6_addr[15] = 0x01;
	dst.sin6_scope_id = (uint32_t)ifindex;

	memset(&pi, 0, sizeof(pi));
	pi.ipi6_addr = a->a.v6;
	pi.ipi6_ifindex = (unsigned)ifindex;
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = pkt;
	iov.iov_len = sizeof(pkt);
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(vs.icmp6_fd, &msg, 0) < 0)
		return -errno;
	return 0;
}

int
vip_announce(const char *ifname, const struct sockaddr_x *a)
{
	unsigned idx;

	if (!vs.open)
		return -EINVAL;
	idx = if_nametoindex(ifname);
	if (idx == 0)
		return -ENODEV;
	return a->af == AF_INET6 ? announce6(ifname, (int)idx, a) : announce4(ifname, (int)idx, a);
}
