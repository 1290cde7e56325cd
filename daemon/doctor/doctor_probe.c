/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_probe.c - the doctor's questions to the kernel and the network.
 * See doctor_probe.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "doctor_probe.h"
#include "util.h"

#define VRRP_PROTO 112

static int remaining_ms(int64_t deadline);
static int if_mac(int ifindex, uint8_t mac[6]);
static uint16_t inet_csum(const void *p, size_t len);

int
dp_sysctl(const char *name, int *v)
{
	char path[256], *buf = NULL;
	size_t len;
	long long x;
	int r;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	r = file_read_all(path, 64, &buf, &len);
	if (r < 0)
		return r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	r = parse_int(buf, -2147483647LL, 2147483647LL, &x);
	free(buf);
	if (r < 0)
		return -EINVAL;
	*v = (int)x;
	return 0;
}

/* NAME as modules.dep / modules.builtin write it: "kernel/.../NAME.ko" (maybe .xz/.zst) */
static bool
list_has_module(const char *path, const char *name, int *err)
{
	char line[512], want[80];
	size_t wl;
	FILE *f;
	bool found = false;

	f = fopen(path, "re");
	if (f == NULL) {
		*err = -errno;
		return false;
	}
	snprintf(want, sizeof(want), "/%s.ko", name);
	wl = strlen(want);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *end = strchr(line, ':'), *p;

		if (end == NULL)
			end = line + strcspn(line, "\n");
		*end = '\0';
		p = strstr(line, want);
		found = p != NULL && (p[wl] == '\0' || p[wl] == '.');
	}
	fclose(f);
	*err = 0;
	return found;
}

int
dp_module(const char *name)
{
	char path[256];
	struct utsname u;
	int e1 = 0, e2 = 0;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (access(path, F_OK) == 0)
		return DP_MODULE_LOADED;
	if (uname(&u) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", u.release);
	if (list_has_module(path, name, &e1))
		return DP_MODULE_LOADED;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	if (list_has_module(path, name, &e2))
		return DP_MODULE_LOADABLE;
	if (e1 < 0 && e2 < 0)
		return e2; /* no module lists for this kernel: cannot tell */
	return DP_MODULE_ABSENT;
}

static int
remaining_ms(int64_t deadline)
{
	int64_t left = deadline - mono_ms();

	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* ------------------------------------------------------------ routes */

int
dp_route_get(const struct sockaddr_x *dst, struct dp_route *out)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	char buf[8192];
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct timeval tv = {2, 0};
	struct rtattr *a;
	struct nlmsghdr *nh;
	size_t alen = dst->af == AF_INET6 ? 16 : 4;
	ssize_t n;
	int fd, r, len;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)dst->af;
	req.rt.rtm_dst_len = (unsigned char)(alen * 8);
	a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	a->rta_type = RTA_DST;
	a->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(a), dst->af == AF_INET6 ? (const void *)&dst->a.v6 :
	    (const void *)&dst->a.v4, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		sizeof(kernel)) < 0) {
		r = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	r = -EBADMSG;
	for (nh = (struct nlmsghdr *)buf, len = (int)n; NLMSG_OK(nh, (unsigned)len);
	     nh = NLMSG_NEXT(nh, len)) {
		struct rtmsg *rt;
		int alen2;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			r = e->error < 0 ? e->error : -EBADMSG;
			goto out;
		}
		if (nh->nlmsg_type != RTM_NEWROUTE)
			continue;
		rt = NLMSG_DATA(nh);
		out->type = rt->rtm_type;
		alen2 = (int)RTM_PAYLOAD(nh);
		for (a = RTM_RTA(rt); RTA_OK(a, alen2); a = RTA_NEXT(a, alen2)) {
			size_t pl = RTA_PAYLOAD(a);

			switch (a->rta_type) {
			case RTA_OIF:
				if (pl >= sizeof(int))
					memcpy(&out->oif, RTA_DATA(a), sizeof(int));
				break;
			case RTA_GATEWAY:
				if (pl == alen) {
					out->has_gw = true;
					out->gw.af = dst->af;
					memcpy(dst->af == AF_INET6 ? (void *)&out->gw.a.v6 :
					    (void *)&out->gw.a.v4, RTA_DATA(a), alen);
				}
				break;
			case RTA_PREFSRC:
				if (pl == alen) {
					out->src.af = dst->af;
					memcpy(dst->af == AF_INET6 ? (void *)&out->src.a.v6 :
					    (void *)&out->src.a.v4, RTA_DATA(a), alen);
				}
				break;
			default:
				break;
			}
		}
		if (out->oif > 0)
			(void)if_indextoname((unsigned)out->oif, out->ifname);
		r = 0;
		break;
	}
out:
	close(fd);
	return r;
}

/* ------------------------------------------------------------ link layer */

static int
if_mac(int ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, r = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (if_indextoname((unsigned)ifindex, ifr.ifr_name) == NULL)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		r = -errno;
	else if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
		r = -EPFNOSUPPORT;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return r;
}

char *
dp_mac_fmt(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
	    mac[4], mac[5]);
	return buf;
}

struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

int
dp_arp(int ifindex, const struct sockaddr_x *src, const struct sockaddr_x *target,
    int timeout_ms, uint8_t (*macs)[6], size_t max, size_t *n)
{
	struct sockaddr_ll to = {0}, from;
	struct arp_pkt q, a;
	uint8_t mine[6];
	int64_t deadline = mono_ms() + timeout_ms;
	int fd, r;

	*n = 0;
	if (src->af != AF_INET || target->af != AF_INET)
		return -EAFNOSUPPORT;
	if ((r = if_mac(ifindex, mine)) < 0)
		return r;
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return -errno;
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		goto out;
	}
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	memset(&q, 0, sizeof(q));
	q.htype = htons(1);
	q.ptype = htons(ETH_P_IP);
	q.hlen = 6;
	q.plen = 4;
	q.op = htons(1);
	memcpy(q.sha, mine, 6);
	memcpy(q.spa, &src->a.v4, 4);
	memcpy(q.tpa, &target->a.v4, 4);
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		goto out;
	}
	r = 0;
	while (*n < max) {
		struct pollfd p = {fd, POLLIN, 0};
		socklen_t fl = sizeof(from);
		ssize_t got;
		size_t i;
		bool dup = false;

		if (poll(&p, 1, remaining_ms(deadline)) <= 0)
			break;
		got = recvfrom(fd, &a, sizeof(a), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (got < (ssize_t)sizeof(a) || a.op != htons(2) ||
		    memcmp(a.spa, &target->a.v4, 4) != 0)
			continue;
		for (i = 0; i < *n; i++)
			dup = dup || memcmp(macs[i], a.sha, 6) == 0;
		if (!dup)
			memcpy(macs[(*n)++], a.sha, 6);
	}
out:
	close(fd);
	return r;
}

/* ------------------------------------------------------------ the DSR probe */

/* The Internet checksum of p, in host order. */
static uint16_t
inet_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	while (len > 1) {
		sum += (uint32_t)(b[0] << 8 | b[1]);
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(b[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Internet checksum over a pseudo header and a segment, in network order. */
static uint16_t
tcp_csum(const struct in_addr *s, const struct in_addr *d, const void *seg, size_t len)
{
	uint8_t buf[12 + 64];
	uint16_t c;

	if (len > 64)
		return 0;
	memcpy(buf, s, 4);
	memcpy(buf + 4, d, 4);
	buf[8] = 0;
	buf[9] = IPPROTO_TCP;
	buf[10] = (uint8_t)(len >> 8);
	buf[11] = (uint8_t)len;
	memcpy(buf + 12, seg, len);
	c = inet_csum(buf, 12 + len);
	return htons(c);
}

/* An IPv4 header without options, DF set, TTL 64, its checksum filled in. */
static void
ip4_header(struct iphdr *ip, size_t total, uint16_t id, int proto, const struct in_addr *s,
    const struct in_addr *d)
{
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)total);
	ip->id = htons(id);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = (uint8_t)proto;
	memcpy(&ip->saddr, s, 4);
	memcpy(&ip->daddr, d, 4);
	ip->check = 0;
	ip->check = htons(inet_csum(ip, sizeof(*ip)));
}

int
dp_dsr_syn(int ifindex, const struct sockaddr_x *src, const struct sockaddr_x *vip, int port,
    const uint8_t mac[6], const struct sockaddr_x *tun_dst, int timeout_ms,
    enum dp_syn_answer *answer, int *rtt_ms)
{
	struct {
		struct iphdr outer; /* only with tun_dst */
		struct iphdr ip;
		struct tcphdr tcp;
	} pkt; /* 20-byte headers, 4-byte aligned: no padding (asserted below) */
	uint8_t in[1600];
	struct sockaddr_ll to = {0}, from;
	const void *send_from;
	size_t send_len;
	int64_t t0, deadline;
	uint16_t sport;
	uint32_t isn;
	int fd, r;

	_Static_assert(sizeof(pkt) == 60, "no padding between the headers");
	*answer = DP_SYN_NONE;
	*rtt_ms = -1;
	if (src->af != AF_INET || vip->af != AF_INET || (tun_dst && tun_dst->af != AF_INET))
		return -EAFNOSUPPORT;
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		return -errno;
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IP);
	/* the answer comes straight from the backend: through a tunnel, maybe by
	 * another interface than the one the probe left by */
	to.sll_ifindex = tun_dst != NULL ? 0 : ifindex;
	if (bind(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		goto out;
	}
	to.sll_ifindex = ifindex;
	to.sll_halen = 6;
	memcpy(to.sll_addr, mac, 6);
	sport = (uint16_t)(40000 + (mono_us() ^ (uint64_t)getpid()) % 20000);
	isn = (uint32_t)mono_us() * 2654435761u;
	memset(&pkt, 0, sizeof(pkt));
	ip4_header(&pkt.ip, sizeof(pkt.ip) + sizeof(pkt.tcp), (uint16_t)isn, IPPROTO_TCP,
	    &src->a.v4, &vip->a.v4);
	pkt.tcp.source = htons(sport);
	pkt.tcp.dest = htons((uint16_t)port);
	pkt.tcp.seq = htonl(isn);
	pkt.tcp.doff = 5;
	pkt.tcp.syn = 1;
	pkt.tcp.window = htons(1024);
	pkt.tcp.check = tcp_csum(&src->a.v4, &vip->a.v4, &pkt.tcp, sizeof(pkt.tcp));
	if (tun_dst != NULL) { /* IP-in-IP, as IPVS's tunnel mode sends it */
		ip4_header(&pkt.outer, sizeof(pkt), (uint16_t)(isn >> 16), IPPROTO_IPIP,
		    &src->a.v4, &tun_dst->a.v4);
		send_from = &pkt;
		send_len = sizeof(pkt);
	} else {
		send_from = &pkt.ip;
		send_len = sizeof(pkt) - sizeof(pkt.outer);
	}
	t0 = mono_ms();
	deadline = t0 + timeout_ms;
	if (sendto(fd, send_from, send_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		goto out;
	}
	r = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		socklen_t fl = sizeof(from);
		const struct iphdr *ip = (const struct iphdr *)in;
		const struct tcphdr *th;
		ssize_t got;

		if (poll(&p, 1, remaining_ms(deadline)) <= 0)
			break;
		got = recvfrom(fd, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (got < (ssize_t)sizeof(struct iphdr) || from.sll_pkttype == PACKET_OUTGOING ||
		    ip->version != 4 || ip->protocol != IPPROTO_TCP ||
		    got < (ssize_t)(ip->ihl * 4 + sizeof(struct tcphdr)) ||
		    memcmp(&ip->saddr, &vip->a.v4, 4) != 0 || memcmp(&ip->daddr, &src->a.v4, 4) != 0)
			continue;
		th = (const struct tcphdr *)(in + ip->ihl * 4);
		if (ntohs(th->source) != port || ntohs(th->dest) != sport ||
		    (th->ack && ntohl(th->ack_seq) != isn + 1))
			continue;
		*rtt_ms = (int)(mono_ms() - t0);
		if (th->rst)
			*answer = DP_SYN_RST;
		else if (th->syn && th->ack)
			*answer = DP_SYN_SYNACK;
		else
			continue;
		break;
	}
out:
	close(fd);
	return r;
}

/* ------------------------------------------------------------ ICMP echo */

int
dp_ping(const struct sockaddr_x *dst, int timeout_ms, int *rtt_ms)
{
	struct sockaddr_storage ss;
	uint8_t req[16], in[1500];
	uint16_t id = (uint16_t)getpid(), seq = (uint16_t)mono_us();
	int64_t t0 = mono_ms(), deadline = t0 + timeout_ms;
	socklen_t sl = sockaddr_x_to_sa(dst, &ss);
	bool v6 = dst->af == AF_INET6;
	int fd, r;

	*rtt_ms = -1;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
	    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	memset(req, 0, sizeof(req));
	req[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	req[4] = (uint8_t)(id >> 8);
	req[5] = (uint8_t)id;
	req[6] = (uint8_t)(seq >> 8);
	req[7] = (uint8_t)seq;
	memcpy(req + 8, "ipvsrdoc", 8);
	if (!v6) {
		uint16_t c = inet_csum(req, sizeof(req));

		req[2] = (uint8_t)(c >> 8);
		req[3] = (uint8_t)c;
	}
	if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&ss, sl) < 0) {
		r = -errno;
		goto out;
	}
	r = -ETIMEDOUT;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct sockaddr_x fx;
		const uint8_t *icmp = in;
		ssize_t got;

		if (poll(&p, 1, remaining_ms(deadline)) <= 0)
			break;
		got = recvfrom(fd, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (got <= 0 || sockaddr_x_from_sa((struct sockaddr *)&from, &fx) < 0 ||
		    sockaddr_x_cmp_addr(&fx, dst) != 0)
			continue;
		if (!v6) { /* a raw IPv4 socket reads the IP header too */
			size_t hl = (size_t)(in[0] & 0x0f) * 4;

			if ((size_t)got < hl + 8)
				continue;
			icmp = in + hl;
			got -= (ssize_t)hl;
		}
		if (got < 8 || icmp[0] != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) ||
		    (!v6 && (icmp[4] != (uint8_t)(id >> 8) || icmp[5] != (uint8_t)id)) ||
		    icmp[6] != (uint8_t)(seq >> 8) || icmp[7] != (uint8_t)seq)
			continue;
		*rtt_ms = (int)(mono_ms() - t0);
		r = 0;
		break;
	}
out:
	close(fd);
	return r;
}

/* ------------------------------------------------------------ VRRP adverts */

int
dp_vrrp_listen(const char *ifname, int ms, struct dp_advert *out, size_t max, size_t *n)
{
	struct ip_mreqn mr;
	uint8_t in[1500];
	int64_t deadline = mono_ms() + ms;
	int fd, r = 0;
	unsigned ifindex = if_nametoindex(ifname);

	*n = 0;
	if (ifindex == 0)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, VRRP_PROTO);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) {
		r = -errno;
		goto out;
	}
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET, "224.0.0.18", &mr.imr_multiaddr);
	mr.imr_ifindex = (int)ifindex;
	(void)setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		struct dp_advert a;
		const uint8_t *v;
		ssize_t got;
		size_t hl, i;
		bool dup = false;

		if (poll(&p, 1, remaining_ms(deadline)) <= 0)
			break;
		got = recv(fd, in, sizeof(in), MSG_DONTWAIT);
		if (got < 20)
			continue;
		hl = (size_t)(in[0] & 0x0f) * 4;
		if ((size_t)got < hl + 8)
			continue;
		v = in + hl;
		if ((v[0] >> 4) != 3 || (v[0] & 0x0f) != 1)
			continue; /* VRRPv3 adverts only */
		memset(&a, 0, sizeof(a));
		a.src.af = AF_INET;
		memcpy(&a.src.a.v4, in + 12, 4);
		a.vrid = v[1];
		a.prio = v[2];
		a.naddr = v[3];
		if (a.naddr > 0 && (size_t)got >= hl + 12) {
			a.addr.af = AF_INET;
			memcpy(&a.addr.a.v4, v + 8, 4);
		}
		for (i = 0; i < *n; i++)
			dup = dup || (out[i].vrid == a.vrid &&
			    sockaddr_x_cmp_addr(&out[i].src, &a.src) == 0);
		if (!dup && *n < max)
			out[(*n)++] = a;
	}
out:
	close(fd);
	return r;
}
