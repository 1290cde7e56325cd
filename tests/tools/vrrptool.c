/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vrrptool - the election tests' and bench/failover's instrument.
 *
 *   vrrptool send --src A --dst B --vrid N --prio P --vip V [--interval MS]
 *                 [--key FILE] [--counter N] [--ttl N] [--count N] [--every MS]
 *       Forge VRRPv3 adverts (IPv4), any source address, any TTL: an attacker
 *       on the segment.  --key makes them authenticated (with that key, right
 *       or wrong); --counter defaults to the wall clock in microseconds,
 *       --boot (the trailer's boot id) to 1.
 *
 *   vrrptool share --src A --dst B --key FILE --body TEXT [--boot N] [--ttl N]
 *       Forge one shared-state message (type 8, election_share.c) carrying TEXT
 *       (a "\n" is appended), authenticated with that key, right or wrong.
 *
 *   vrrptool replay --pcap FILE [--prio P] [--count N] [--every MS]
 *       Send again, byte for byte (IP header included), the IPv4 protocol-112
 *       packets of a tcpdump capture (Ethernet), those with priority P only.
 *
 *   vrrptool watch IFNAME ADDR
 *       Print one line per event until killed, with the wall clock in
 *       microseconds: "add US" / "del US" when ADDR appears on / leaves any
 *       interface (rtnetlink), "announce US" when a gratuitous ARP or
 *       unsolicited NA for ADDR leaves IFNAME (AF_PACKET, kernel timestamp).
 *       "ready" once both sockets listen.  Runs SCHED_FIFO when it may, so that
 *       its reading of rtnetlink events is not delayed on a busy machine.
 *
 * Exit status 0, 1 on error, 2 on bad usage.  Test tool only: IPv4 for
 * send/replay, no effort to be pretty.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "elect_proto.h"

static int usage(void);
static int cmd_send(int argc, char **argv);
static int cmd_replay(int argc, char **argv);
static int cmd_share(int argc, char **argv);
static int cmd_watch(int argc, char **argv);
static int raw_send(int fd, const uint8_t *dgram, size_t len);
static uint16_t ip_csum(const uint8_t *p, size_t len);
static uint64_t now_us(void);
static void sleep_ms(int ms);

static int
usage(void)
{
	fprintf(stderr, "usage: vrrptool send --src A --dst B --vrid N --prio P --vip V "
			"[--interval MS] [--key FILE] [--counter N] [--boot N] [--ttl N] [--count N] "
			"[--every MS]\n"
			"       vrrptool share --src A --dst B --key FILE --body TEXT [--boot N] [--ttl N]\n"
			"       vrrptool replay --pcap FILE [--prio P] [--count N] [--every MS]\n"
			"       vrrptool watch IFNAME ADDR\n");
	return 2;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint16_t
ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* dgram: a complete IPv4 datagram, header included (IP_HDRINCL). */
static int
raw_send(int fd, const uint8_t *dgram, size_t len)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, dgram + 16, 4);
	if (sendto(fd, dgram, len, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("vrrptool: sendto");
		return -1;
	}
	return 0;
}

static int
raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		perror("vrrptool: raw socket");
	return fd;
}

/* Read a key file (a trailing newline dropped) into buf: 0, or -1 (reported). */
static int
key_load(const char *path, uint8_t *buf, size_t len, struct elect_key *key)
{
	ssize_t kl = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || (kl = read(fd, buf, len)) <= 0) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (buf[kl - 1] == '\n')
		kl--;
	key->bytes = buf;
	key->len = (size_t)kl;
	return 0;
}

/* Put an IPv4 header (protocol 112) before the n-byte message at dgram + 20. */
static void
ip_wrap(uint8_t *dgram, int n, int ttl, const struct sockaddr_x *src, const struct sockaddr_x *dst)
{
	uint16_t ck;

	memset(dgram, 0, 20);
	dgram[0] = 0x45;
	dgram[1] = 0xc0;
	dgram[2] = (uint8_t)((n + 20) >> 8);
	dgram[3] = (uint8_t)(n + 20);
	dgram[8] = (uint8_t)ttl;
	dgram[9] = ELECT_IPPROTO;
	memcpy(dgram + 12, &src->a.v4.s_addr, 4);
	memcpy(dgram + 16, &dst->a.v4.s_addr, 4);
	ck = ip_csum(dgram, 20);
	dgram[10] = (uint8_t)(ck >> 8);
	dgram[11] = (uint8_t)ck;
}

static int
cmd_share(int argc, char **argv)
{
	static const struct option opts[] = {{"src", 1, NULL, 's'}, {"dst", 1, NULL, 'd'},
	    {"key", 1, NULL, 'k'}, {"body", 1, NULL, 'm'}, {"boot", 1, NULL, 'b'},
	    {"ttl", 1, NULL, 't'}, {NULL, 0, NULL, 0}};
	struct sockaddr_x src = {0}, dst = {0};
	struct elect_key key = {NULL, 0};
	uint8_t keybuf[ELECT_KEY_MAX + 2], dgram[20 + ELECT_SHARE_PKT_MAX];
	char body[ELECT_SHARE_BODY_MAX + 1];
	uint64_t boot = 1;
	size_t blen = 0;
	int o, fd, n, ttl = 255;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (sockaddr_x_parse(optarg, false, &src) < 0 || src.af != AF_INET)
				return usage();
			break;
		case 'd':
			if (sockaddr_x_parse(optarg, false, &dst) < 0 || dst.af != AF_INET)
				return usage();
			break;
		case 'k':
			if (key_load(optarg, keybuf, sizeof(keybuf), &key) < 0)
				return 1;
			break;
		case 'm':
			blen = strlen(optarg);
			if (blen + 1 > ELECT_SHARE_BODY_MAX)
				return usage();
			memcpy(body, optarg, blen);
			body[blen++] = '\n';
			break;
		case 'b':
			boot = strtoull(optarg, NULL, 10);
			break;
		case 't':
			ttl = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (src.af == 0 || dst.af == 0 || key.bytes == NULL || blen == 0)
		return usage();
	n = elect_share_encode((const uint8_t *)body, blen, now_us(), boot, &src, &dst, &key,
	    dgram + 20, sizeof(dgram) - 20);
	if (n < 0) {
		fprintf(stderr, "vrrptool: cannot encode: %s\n", strerror(-n));
		return 1;
	}
	ip_wrap(dgram, n, ttl, &src, &dst);
	fd = raw_socket();
	if (fd < 0)
		return 1;
	n = raw_send(fd, dgram, (size_t)n + 20);
	close(fd);
	return n < 0 ? 1 : 0;
}

static int
cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {{"src", 1, NULL, 's'}, {"dst", 1, NULL, 'd'},
	    {"vrid", 1, NULL, 'v'}, {"prio", 1, NULL, 'p'}, {"vip", 1, NULL, 'a'},
	    {"interval", 1, NULL, 'i'}, {"key", 1, NULL, 'k'}, {"counter", 1, NULL, 'c'}, {"boot", 1, NULL, 'b'},
	    {"ttl", 1, NULL, 't'}, {"count", 1, NULL, 'n'}, {"every", 1, NULL, 'e'},
	    {NULL, 0, NULL, 0}};
	struct sockaddr_x src = {0}, dst = {0};
	struct elect_advert ad;
	struct elect_key key = {NULL, 0};
	uint8_t keybuf[ELECT_KEY_MAX + 2], dgram[20 + ELECT_PKT_MAX];
	uint64_t counter = 0;
	int o, fd, i, n, ttl = 255, count = 1, every = 100;

	memset(&ad, 0, sizeof(ad));
	ad.boot = 1;
	ad.interval_ms = 100;
	ad.naddrs = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (sockaddr_x_parse(optarg, false, &src) < 0 || src.af != AF_INET)
				return usage();
			break;
		case 'd':
			if (sockaddr_x_parse(optarg, false, &dst) < 0 || dst.af != AF_INET)
				return usage();
			break;
		case 'v':
			ad.vrid = atoi(optarg);
			break;
		case 'p':
			ad.priority = atoi(optarg);
			break;
		case 'a':
			if (sockaddr_x_parse(optarg, false, &ad.addrs[0]) < 0)
				return usage();
			ad.af = ad.addrs[0].af;
			break;
		case 'i':
			ad.interval_ms = atoi(optarg);
			break;
		case 'k':
			if (key_load(optarg, keybuf, sizeof(keybuf), &key) < 0)
				return 1;
			break;
		case 'c':
			counter = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			ad.boot = strtoull(optarg, NULL, 10);
			break;
		case 't':
			ttl = atoi(optarg);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'e':
			every = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (src.af == 0 || dst.af == 0 || ad.vrid == 0 || ad.af == 0)
		return usage();
	fd = raw_socket();
	if (fd < 0)
		return 1;
	for (i = 0; i < count; i++) {
		ad.counter = counter != 0 ? counter + (uint64_t)i : now_us();
		n = elect_encode(&ad, &src, &dst, key.bytes != NULL ? &key : NULL, dgram + 20,
		    sizeof(dgram) - 20);
		if (n < 0) {
			fprintf(stderr, "vrrptool: cannot encode: %s\n", strerror(-n));
			return 1;
		}
		ip_wrap(dgram, n, ttl, &src, &dst);
		if (raw_send(fd, dgram, (size_t)n + 20) < 0)
			return 1;
		if (i + 1 < count)
			sleep_ms(every);
	}
	close(fd);
	return 0;
}

/* pcap (not pcapng): 24-byte file header, 16-byte record headers, Ethernet frames. */
static int
cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {{"pcap", 1, NULL, 'f'}, {"prio", 1, NULL, 'p'},
	    {"count", 1, NULL, 'n'}, {"every", 1, NULL, 'e'}, {NULL, 0, NULL, 0}};
	const char *path = NULL;
	uint8_t hdr[24], rec[16], frame[65536];
	uint8_t *pkts[64];
	size_t lens[64], npkts = 0, i;
	int o, fd, prio = -1, count = 1, every = 100, k;
	bool swap;
	FILE *f;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			path = optarg;
			break;
		case 'p':
			prio = atoi(optarg);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'e':
			every = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (path == NULL)
		return usage();
	f = fopen(path, "rb");
	if (f == NULL || fread(hdr, 1, 24, f) != 24) {
		perror(path);
		return 1;
	}
	if (memcmp(hdr, "\xd4\xc3\xb2\xa1", 4) == 0 || memcmp(hdr, "\x4d\x3c\xb2\xa1", 4) == 0)
		swap = false; /* little-endian file */
	else if (memcmp(hdr, "\xa1\xb2\xc3\xd4", 4) == 0 || memcmp(hdr, "\xa1\xb2\x3c\x4d", 4) == 0)
		swap = true;
	else {
		fprintf(stderr, "vrrptool: %s: not a pcap file\n", path);
		return 1;
	}
	while (npkts < 64 && fread(rec, 1, 16, f) == 16) {
		uint32_t cap = swap ? (uint32_t)rec[8] << 24 | (uint32_t)rec[9] << 16 |
					  (uint32_t)rec[10] << 8 | rec[11]
				    : (uint32_t)rec[11] << 24 | (uint32_t)rec[10] << 16 |
					  (uint32_t)rec[9] << 8 | rec[8];
		const uint8_t *ip;
		size_t hl;

		if (cap > sizeof(frame) || fread(frame, 1, cap, f) != cap)
			break;
		if (cap < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00)
			continue;
		ip = frame + 14;
		hl = (size_t)(ip[0] & 0x0f) * 4;
		if (ip[9] != ELECT_IPPROTO || cap < 14 + hl + 8)
			continue;
		if (prio >= 0 && ip[hl + 2] != prio)
			continue;
		lens[npkts] = (size_t)(ip[2] << 8 | ip[3]);
		if (lens[npkts] > cap - 14)
			continue;
		pkts[npkts] = malloc(lens[npkts]);
		memcpy(pkts[npkts], ip, lens[npkts]);
		npkts++;
	}
	fclose(f);
	if (npkts == 0) {
		fprintf(stderr, "vrrptool: %s: no VRRP packet%s\n", path,
		    prio >= 0 ? " with that priority" : "");
		return 1;
	}
	fd = raw_socket();
	if (fd < 0)
		return 1;
	for (k = 0; k < count; k++) {
		for (i = 0; i < npkts; i++)
			if (raw_send(fd, pkts[i], lens[i]) < 0)
				return 1;
		if (k + 1 < count)
			sleep_ms(every);
	}
	printf("replayed %zu packet(s) %d time(s)\n", npkts, count);
	for (i = 0; i < npkts; i++)
		free(pkts[i]);
	close(fd);
	return 0;
}

static int
cmd_watch(int argc, char **argv)
{
	struct sockaddr_nl snl;
	struct sockaddr_ll sll;
	struct sockaddr_x want;
	struct pollfd pfd[2];
	uint8_t buf[8192];
	unsigned idx;
	int nl, pk, one = 1;

	if (argc != 3 || sockaddr_x_parse(argv[2], false, &want) < 0)
		return usage();
	idx = if_nametoindex(argv[1]);
	if (idx == 0) {
		perror(argv[1]);
		return 1;
	}
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	memset(&snl, 0, sizeof(snl));
	snl.nl_family = AF_NETLINK;
	snl.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (nl < 0 || bind(nl, (struct sockaddr *)&snl, sizeof(snl)) < 0) {
		perror("vrrptool: netlink");
		return 1;
	}
	pk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (pk < 0 || bind(pk, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(pk, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		perror("vrrptool: packet socket");
		return 1;
	}
	/*
	 * The instrument must not be late itself: rtnetlink messages carry no
	 * kernel timestamp, so "add" is when we read it.  Real-time priority
	 * (when allowed) keeps that read close to the event on a busy machine.
	 */
	{
		struct sched_param sp = {.sched_priority = 10};

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			fprintf(stderr, "vrrptool: no real-time priority (%s): timestamps of "
					"\"add\" may be late on a busy machine\n",
			    strerror(errno));
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	pfd[0].fd = nl;
	pfd[0].events = POLLIN;
	pfd[1].fd = pk;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			uint64_t t = now_us();
			ssize_t n = recv(nl, buf, sizeof(buf), 0);
			struct nlmsghdr *h;

			for (h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n)) {
				struct ifaddrmsg *ifa = NLMSG_DATA(h);
				struct rtattr *rta = IFA_RTA(ifa);
				int rl = (int)IFA_PAYLOAD(h);

				if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR)
					continue;
				if (ifa->ifa_family != want.af)
					continue;
				for (; RTA_OK(rta, rl); rta = RTA_NEXT(rta, rl)) {
					if (rta->rta_type != IFA_ADDRESS && rta->rta_type != IFA_LOCAL)
						continue;
					if (memcmp(RTA_DATA(rta),
						want.af == AF_INET6 ? (void *)want.a.v6.s6_addr
								    : (void *)&want.a.v4.s_addr,
						want.af == AF_INET6 ? 16 : 4) != 0)
						continue;
					printf("%s %llu\n", h->nlmsg_type == RTM_NEWADDR ? "add" : "del",
					    (unsigned long long)t);
					break;
				}
			}
		}
		if (pfd[1].revents & POLLIN) {
			union {
				struct cmsghdr align;
				uint8_t b[CMSG_SPACE(sizeof(struct timespec))];
			} cb;
			struct sockaddr_ll from;
			struct iovec iov = {buf, sizeof(buf)};
			struct msghdr msg = {&from, sizeof(from), &iov, 1, cb.b, sizeof(cb.b), 0};
			struct cmsghdr *cm;
			uint64_t t = now_us();
			ssize_t n = recvmsg(pk, &msg, 0);
			bool hit = false;

			if (n < 14 || from.sll_pkttype != PACKET_OUTGOING)
				continue;
			for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
					t = (uint64_t)ts.tv_sec * 1000000u +
					    (uint64_t)ts.tv_nsec / 1000u;
				}
			/* ARP: ethertype 0806, sender IP at 14 + 14 */
			if (want.af == AF_INET && n >= 42 && buf[12] == 0x08 && buf[13] == 0x06 &&
			    memcmp(buf + 28, &want.a.v4.s_addr, 4) == 0)
				hit = true;
			/* IPv6 + ICMPv6 NA (136): target at 14 + 40 + 8 */
			if (want.af == AF_INET6 && n >= 14 + 40 + 24 && buf[12] == 0x86 &&
			    buf[13] == 0xdd && buf[14 + 6] == IPPROTO_ICMPV6 &&
			    buf[14 + 40] == ND_NEIGHBOR_ADVERT &&
			    memcmp(buf + 14 + 48, want.a.v6.s6_addr, 16) == 0)
				hit = true;
			if (hit)
				printf("announce %llu\n", (unsigned long long)t);
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "share") == 0)
		return cmd_share(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	return usage();
}
