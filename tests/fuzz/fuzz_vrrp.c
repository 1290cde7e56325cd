/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: VRRP advert decoding (elect_proto.c), what arrives on
 * the raw protocol-112 socket from anyone on the network.  The first byte
 * picks the mode: bit 0 authenticated (a fixed key) or plain, bit 1 IPv6 or
 * IPv4 addresses, bit 2 ttl_check, bit 3 the input is a whole IPv4 datagram
 * (elect_parse_ipv4 first, as the daemon's IPv4 receive path does); the
 * rest is the packet.
 *
 * Oracles: an accepted advert has every field within its documented range;
 * re-encoding it for the same src/dst/key and decoding that again gives the
 * same advert (decode and encode agree); the replay check never lowers the
 * history; elect_parse_ipv4's payload lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elect_proto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static uint8_t key_bytes[32] = "fuzz-key-fuzz-key-fuzz-key-0123";

static void
addr_set(struct sockaddr_x *sa, bool v6, int last)
{
	memset(sa, 0, sizeof(*sa));
	if (v6) {
		sa->af = AF_INET6;
		sa->a.v6.s6_addr[0] = 0x20;
		sa->a.v6.s6_addr[1] = 0x01;
		sa->a.v6.s6_addr[2] = 0x0d;
		sa->a.v6.s6_addr[3] = 0xb8;
		sa->a.v6.s6_addr[15] = (uint8_t)last;
	} else {
		sa->af = AF_INET;
		sa->a.v4.s_addr = htonl(0xc0000200u | (uint32_t)last);	/* 192.0.2.x */
	}
}

static void
check_ranges(const struct elect_advert *a, bool auth)
{
	int i;

	if (a->vrid < 1 || a->vrid > 255 || a->priority < 0 || a->priority > 255)
		abort();
	if (a->interval_ms < 10 || a->interval_ms > ELECT_INTERVAL_MAX_MS ||
	    a->interval_ms % 10 != 0)
		abort();
	if (a->naddrs < 1 || a->naddrs > ELECT_ADDRS_MAX)
		abort();
	if (a->af != AF_INET && a->af != AF_INET6)
		abort();
	for (i = 0; i < a->naddrs; i++)
		if (a->addrs[i].af != a->af)
			abort();
	if (auth && (!a->auth || a->priority == 255))
		abort();
	if (!auth && a->auth)
		abort();
}

static void
roundtrip(const struct elect_advert *a, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, const struct elect_key *key)
{
	uint8_t buf[ELECT_PKT_MAX];
	struct elect_advert b;
	int n, i;

	n = elect_encode(a, src, dst, key, buf, sizeof(buf));
	if (n < 0)
		abort();	/* an advert we accepted must be one we can send */
	memset(&b, 0, sizeof(b));
	if (elect_decode(buf, (size_t)n, src, dst, ELECT_TTL, true, key, &b) != ELECT_PKT_OK)
		abort();
	if (b.vrid != a->vrid || b.priority != a->priority || b.interval_ms != a->interval_ms ||
	    b.af != a->af || b.naddrs != a->naddrs || b.auth != a->auth)
		abort();
	for (i = 0; i < a->naddrs; i++)
		if (sockaddr_x_cmp_addr(&a->addrs[i], &b.addrs[i]) != 0)
			abort();
	if (a->auth && (b.counter != a->counter ||
	    memcmp(b.config_hash, a->config_hash, ELECT_HASH_LEN) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct elect_key k = { key_bytes, sizeof(key_bytes) - 1 };
	const struct elect_key *key;
	struct sockaddr_x src, dst;
	struct elect_advert a;
	const uint8_t *pkt;
	size_t plen;
	struct elect_replay hist;
	uint64_t before;
	bool v6, ttl_check;
	int ttl = ELECT_TTL, r;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	key = (mode & 1) ? &k : NULL;
	v6 = (mode & 2) != 0;
	ttl_check = (mode & 4) != 0;
	pkt = data + 1;
	plen = size - 1;
	addr_set(&src, v6, 1);
	addr_set(&dst, v6, 2);
	if (mode & 8) {
		const uint8_t *payload = NULL;
		size_t paylen = 0;

		if (elect_parse_ipv4(pkt, plen, &src, &dst, &ttl, &payload, &paylen) != ELECT_PKT_OK)
			return 0;
		if (src.af != AF_INET || dst.af != AF_INET || ttl < 0 || ttl > 255)
			abort();
		if (payload < pkt || paylen > plen || payload + paylen > pkt + plen)
			abort();
		pkt = payload;
		plen = paylen;
	}
	memset(&a, 0, sizeof(a));
	r = elect_decode(pkt, plen, &src, &dst, ttl, ttl_check, key, &a);
	if (elect_pkt_strerror(r) == NULL)
		abort();
	if (r != ELECT_PKT_OK)
		return 0;
	check_ranges(&a, key != NULL);
	roundtrip(&a, &src, &dst, key);
	if (a.auth) {
		/* the history never goes down, and a second look is a replay */
		memset(&hist, 0, sizeof(hist));
		hist.boot = a.boot;
		hist.last = (uint64_t)ELECT_FRESH_WINDOW_US;
		before = hist.last;
		r = elect_replay_check(
		    &hist, a.boot, a.counter, (uint64_t)ELECT_FRESH_WINDOW_US * 2);
		if (hist.last < before || (r == ELECT_PKT_OK && hist.last != a.counter))
			abort();
		if (r == ELECT_PKT_OK &&
		    elect_replay_check(&hist, a.boot, a.counter,
			(uint64_t)ELECT_FRESH_WINDOW_US * 2) != ELECT_PKT_REPLAY)
			abort();
	}
	return 0;
}
