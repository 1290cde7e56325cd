/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elect_proto.c - VRRPv3 adverts and the authenticated trailer.
 *
 * Core module: no sockets, no clock.  The format is described in
 * elect_proto.h; this file only has to be exact about it.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "elect_proto.h"

#define IPV4_HDR_MIN 20

static size_t addr_len(int af);
static const uint8_t *addr_bytes(const struct sockaddr_x *a);
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len);
static uint16_t fold(uint32_t sum);
static int mac(const struct elect_key *key, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, const uint8_t *pkt, size_t msglen, uint8_t out[ELECT_MAC_LEN]);
static void put_u64(uint8_t *p, uint64_t v);
static uint64_t get_u64(const uint8_t *p);

struct hbuf {
	EVP_MD_CTX *ctx;
};
static void h_bytes(struct hbuf *h, const void *p, size_t n);
static void h_u32(struct hbuf *h, uint32_t v);
static void h_str(struct hbuf *h, const char *s);
static void h_addr(struct hbuf *h, const struct sockaddr_x *a);

static const char *const pkt_errors[] = {
    [ELECT_PKT_OK] = "ok",
    [ELECT_PKT_SHORT] = "too short",
    [ELECT_PKT_NOT_VRRP] = "not a VRRP datagram",
    [ELECT_PKT_FRAGMENT] = "fragmented",
    [ELECT_PKT_VERSION] = "not VRRP version 3",
    [ELECT_PKT_TYPE] = "not an advertisement",
    [ELECT_PKT_TTL] = "TTL/hop limit is not 255",
    [ELECT_PKT_CHECKSUM] = "bad checksum",
    [ELECT_PKT_LENGTH] = "length does not match the address count (authentication mode "
			 "differs?)",
    [ELECT_PKT_COUNT] = "bad address count",
    [ELECT_PKT_VRID] = "VRID 0",
    [ELECT_PKT_INTERVAL] = "advert interval 0",
    [ELECT_PKT_NO_AUTH] = "no authentication trailer (peer in plain mode?)",
    [ELECT_PKT_BAD_MAC] = "bad HMAC (wrong key, or altered)",
    [ELECT_PKT_PRIORITY] = "priority 255 in authenticated mode",
    [ELECT_PKT_REPLAY] = "replayed (counter not above the last one accepted)",
    [ELECT_PKT_STALE] = "stale (counter too far from our clock)",
    [ELECT_PKT_OLD_BOOT] = "replayed (from an earlier start of the peer)",
};

const char *
elect_pkt_strerror(int err)
{
	if (err < 0 || (size_t)err >= ARRAY_SIZE(pkt_errors) || pkt_errors[err] == NULL)
		return "unknown error";
	return pkt_errors[err];
}

static size_t
addr_len(int af)
{
	return af == AF_INET6 ? 16 : 4;
}

static const uint8_t *
addr_bytes(const struct sockaddr_x *a)
{
	return a->af == AF_INET6 ? a->a.v6.s6_addr : (const uint8_t *)&a->a.v4.s_addr;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ------------------------------------------------------------ checksum */

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * RFC 5798 5.2.8: over the pseudo-header of RFC 2460 8.1 (IPv6) or of
 * RFC 768/793 (IPv4: src, dst, zero, protocol, length) and the message.
 */
uint16_t
elect_checksum(
    const struct sockaddr_x *src, const struct sockaddr_x *dst, const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	uint8_t tail[8];

	sum = sum16(sum, addr_bytes(src), addr_len(src->af));
	sum = sum16(sum, addr_bytes(dst), addr_len(dst->af));
	if (src->af == AF_INET6) {
		tail[0] = (uint8_t)(len >> 24);
		tail[1] = (uint8_t)(len >> 16);
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		tail[4] = tail[5] = tail[6] = 0;
		tail[7] = ELECT_IPPROTO;
		sum = sum16(sum, tail, 8);
	} else {
		tail[0] = 0;
		tail[1] = ELECT_IPPROTO;
		tail[2] = (uint8_t)(len >> 8);
		tail[3] = (uint8_t)len;
		sum = sum16(sum, tail, 4);
	}
	sum = sum16(sum, data, len);
	return fold(sum);
}

/* ------------------------------------------------------------ MAC */

/* pkt: the message with its checksum field zeroed; msglen: up to the MAC. */
static int
mac(const struct elect_key *key, const struct sockaddr_x *src, const struct sockaddr_x *dst,
    const uint8_t *pkt, size_t msglen, uint8_t out[ELECT_MAC_LEN])
{
	uint8_t buf[32 + ELECT_SHARE_PKT_MAX];
	unsigned int outlen = 0;
	size_t n = 0;

	if (msglen > ELECT_SHARE_PKT_MAX)
		return -EINVAL;
	memcpy(buf + n, addr_bytes(src), addr_len(src->af));
	n += addr_len(src->af);
	memcpy(buf + n, addr_bytes(dst), addr_len(dst->af));
	n += addr_len(dst->af);
	memcpy(buf + n, pkt, msglen);
	n += msglen;
	if (HMAC(EVP_sha256(), key->bytes, (int)key->len, buf, n, out, &outlen) == NULL ||
	    outlen != ELECT_MAC_LEN)
		return -EIO;
	return 0;
}

/*
 * Fill the trailer at buf + n - ELECT_TRAILER_LEN (magic, counter, hash,
 * boot id, MAC over src, dst and buf[0..n - MAC]), then the checksum of the
 * n-byte message.  0 or a negative errno.
 */
static int
seal(uint8_t *buf, size_t n, uint64_t counter, const uint8_t hash[ELECT_HASH_LEN], uint64_t boot,
    const struct sockaddr_x *src, const struct sockaddr_x *dst, const struct elect_key *key)
{
	uint8_t *t = buf + n - ELECT_TRAILER_LEN;
	int r;

	memcpy(t, ELECT_MAGIC, 4);
	put_u64(t + 4, counter);
	if (hash != NULL)
		memcpy(t + 12, hash, ELECT_HASH_LEN);
	else
		memset(t + 12, 0, ELECT_HASH_LEN);
	put_u64(t + 20, boot);
	r = mac(key, src, dst, buf, n - ELECT_MAC_LEN, t + ELECT_MAC_OFF);
	return r < 0 ? r : 0;
}

/* The MAC of a received len-byte message (trailer last) is right. */
static bool
mac_ok(const uint8_t *pkt, size_t len, const struct sockaddr_x *src, const struct sockaddr_x *dst,
    const struct elect_key *key)
{
	uint8_t copy[ELECT_SHARE_PKT_MAX], want[ELECT_MAC_LEN];

	if (len > sizeof(copy) || len < ELECT_TRAILER_LEN)
		return false;
	memcpy(copy, pkt, len);
	copy[6] = copy[7] = 0;
	return mac(key, src, dst, copy, len - ELECT_MAC_LEN, want) == 0 &&
	    CRYPTO_memcmp(want, pkt + len - ELECT_MAC_LEN, ELECT_MAC_LEN) == 0;
}

static void
put_checksum(uint8_t *buf, size_t n, const struct sockaddr_x *src, const struct sockaddr_x *dst)
{
	uint16_t ck = elect_checksum(src, dst, buf, n);

	buf[6] = (uint8_t)(ck >> 8);
	buf[7] = (uint8_t)ck;
}

/* ------------------------------------------------------------ encode */

int
elect_encode(const struct elect_advert *a, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, const struct elect_key *key, uint8_t *buf, size_t len)
{
	size_t alen, n, i;
	int cs, r;

	if (a->vrid < 1 || a->vrid > 255 || a->priority < 0 || a->priority > 255 || a->naddrs < 1 ||
	    a->naddrs > ELECT_ADDRS_MAX || a->interval_ms < 10 ||
	    a->interval_ms > ELECT_INTERVAL_MAX_MS || (a->af != AF_INET && a->af != AF_INET6) ||
	    src->af != dst->af || (src->af != AF_INET && src->af != AF_INET6))
		return -EINVAL;
	alen = addr_len(a->af);
	n = ELECT_HDR_LEN + alen * (size_t)a->naddrs + (key != NULL ? ELECT_TRAILER_LEN : 0);
	if (n > len)
		return -ENOSPC;

	cs = a->interval_ms / 10;
	buf[0] = ELECT_VERSION << 4 | ELECT_TYPE_ADVERT;
	buf[1] = (uint8_t)a->vrid;
	buf[2] = (uint8_t)a->priority;
	buf[3] = (uint8_t)a->naddrs;
	buf[4] = (uint8_t)((cs >> 8) & 0x0f);
	buf[5] = (uint8_t)cs;
	buf[6] = buf[7] = 0;
	for (i = 0; i < (size_t)a->naddrs; i++) {
		if (a->addrs[i].af != a->af)
			return -EINVAL;
		memcpy(buf + ELECT_HDR_LEN + i * alen, addr_bytes(&a->addrs[i]), alen);
	}
	if (key != NULL) {
		if (key->bytes == NULL || key->len == 0)
			return -EINVAL;
		r = seal(buf, n, a->counter, a->config_hash, a->boot, src, dst, key);
		if (r < 0)
			return r;
	}
	put_checksum(buf, n, src, dst);
	return (int)n;
}

/* ------------------------------------------------------------ decode */

int
elect_decode(const uint8_t *pkt, size_t len, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, int ttl, bool ttl_check, const struct elect_key *key,
    struct elect_advert *out)
{
	size_t body, alen, count, i;
	const uint8_t *t;
	int af;

	if (len < ELECT_HDR_LEN)
		return ELECT_PKT_SHORT;
	if (pkt[0] >> 4 != ELECT_VERSION)
		return ELECT_PKT_VERSION;
	if ((pkt[0] & 0x0f) != ELECT_TYPE_ADVERT)
		return ELECT_PKT_TYPE;
	if (ttl_check && ttl != ELECT_TTL)
		return ELECT_PKT_TTL;
	if (src->af != dst->af || elect_checksum(src, dst, pkt, len) != 0)
		return ELECT_PKT_CHECKSUM;
	if (pkt[1] == 0)
		return ELECT_PKT_VRID;
	count = pkt[3];
	if (count < 1 || count > ELECT_ADDRS_MAX)
		return ELECT_PKT_COUNT;

	body = len - ELECT_HDR_LEN;
	if (key != NULL) {
		if (body < ELECT_TRAILER_LEN ||
		    memcmp(pkt + len - ELECT_TRAILER_LEN, ELECT_MAGIC, 4) != 0)
			return ELECT_PKT_NO_AUTH;
		body -= ELECT_TRAILER_LEN;
	}
	/* The packet's family first: that is what RFC 5798 peers send. */
	af = src->af;
	alen = addr_len(af);
	if (body != alen * count) {
		af = af == AF_INET ? AF_INET6 : AF_INET;
		alen = addr_len(af);
		if (body != alen * count)
			return ELECT_PKT_LENGTH;
	}
	if (((pkt[4] & 0x0f) << 8 | pkt[5]) == 0)
		return ELECT_PKT_INTERVAL;

	if (key != NULL) {
		if (!mac_ok(pkt, len, src, dst, key))
			return ELECT_PKT_BAD_MAC;
		if (pkt[2] == 255)
			return ELECT_PKT_PRIORITY;
	}

	memset(out, 0, sizeof(*out));
	out->vrid = pkt[1];
	out->priority = pkt[2];
	out->interval_ms = ((pkt[4] & 0x0f) << 8 | pkt[5]) * 10;
	out->af = af;
	out->naddrs = (int)count;
	for (i = 0; i < count; i++) {
		out->addrs[i].af = af;
		memcpy(af == AF_INET6 ? (void *)out->addrs[i].a.v6.s6_addr
				      : (void *)&out->addrs[i].a.v4.s_addr,
		    pkt + ELECT_HDR_LEN + i * alen, alen);
	}
	if (key != NULL) {
		t = pkt + len - ELECT_TRAILER_LEN;
		out->auth = true;
		out->counter = get_u64(t + 4);
		memcpy(out->config_hash, t + 12, ELECT_HASH_LEN);
		out->boot = get_u64(t + 20);
	}
	return ELECT_PKT_OK;
}

/* ------------------------------------------------------------ shared state */

int
elect_share_encode(const uint8_t *body, size_t blen, uint64_t counter, uint64_t boot,
    const struct sockaddr_x *src, const struct sockaddr_x *dst, const struct elect_key *key,
    uint8_t *buf, size_t len)
{
	size_t n = ELECT_HDR_LEN + blen + ELECT_TRAILER_LEN;
	int r;

	if (blen == 0 || blen > ELECT_SHARE_BODY_MAX || key == NULL || key->bytes == NULL ||
	    key->len == 0 || src->af != dst->af || (src->af != AF_INET && src->af != AF_INET6))
		return -EINVAL;
	if (n > len)
		return -ENOSPC;
	buf[0] = ELECT_VERSION << 4 | ELECT_TYPE_SHARE;
	buf[1] = buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(blen >> 8);
	buf[5] = (uint8_t)blen;
	buf[6] = buf[7] = 0;
	memcpy(buf + ELECT_HDR_LEN, body, blen);
	r = seal(buf, n, counter, NULL, boot, src, dst, key);
	if (r < 0)
		return r;
	put_checksum(buf, n, src, dst);
	return (int)n;
}

int
elect_share_decode(const uint8_t *pkt, size_t len, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, int ttl, bool ttl_check, const struct elect_key *key,
    const uint8_t **body, size_t *blen, uint64_t *counter, uint64_t *boot)
{
	const uint8_t *t;
	size_t n;

	if (len < ELECT_HDR_LEN)
		return ELECT_PKT_SHORT;
	if (pkt[0] >> 4 != ELECT_VERSION)
		return ELECT_PKT_VERSION;
	if ((pkt[0] & 0x0f) != ELECT_TYPE_SHARE || key == NULL)
		return ELECT_PKT_TYPE;
	if (ttl_check && ttl != ELECT_TTL)
		return ELECT_PKT_TTL;
	if (src->af != dst->af || elect_checksum(src, dst, pkt, len) != 0)
		return ELECT_PKT_CHECKSUM;
	n = (size_t)(pkt[4] << 8 | pkt[5]);
	if (len > ELECT_SHARE_PKT_MAX || n == 0 || n > ELECT_SHARE_BODY_MAX ||
	    len != ELECT_HDR_LEN + n + ELECT_TRAILER_LEN)
		return ELECT_PKT_LENGTH;
	t = pkt + len - ELECT_TRAILER_LEN;
	if (memcmp(t, ELECT_MAGIC, 4) != 0)
		return ELECT_PKT_NO_AUTH;
	if (!mac_ok(pkt, len, src, dst, key))
		return ELECT_PKT_BAD_MAC;
	*body = pkt + ELECT_HDR_LEN;
	*blen = n;
	*counter = get_u64(t + 4);
	*boot = get_u64(t + 20);
	return ELECT_PKT_OK;
}

int
elect_parse_ipv4(const uint8_t *pkt, size_t len, struct sockaddr_x *src, struct sockaddr_x *dst,
    int *ttl, const uint8_t **payload, size_t *plen)
{
	size_t hl, tot;

	if (len < IPV4_HDR_MIN || pkt[0] >> 4 != 4)
		return ELECT_PKT_NOT_VRRP;
	hl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = (size_t)(pkt[2] << 8 | pkt[3]);
	if (hl < IPV4_HDR_MIN || hl > len || tot < hl || tot > len)
		return ELECT_PKT_SHORT;
	if (pkt[9] != ELECT_IPPROTO)
		return ELECT_PKT_NOT_VRRP;
	/* more-fragments, or a non-zero offset (the kernel reassembles; be sure) */
	if ((pkt[6] & 0x20) != 0 || ((pkt[6] & 0x1f) << 8 | pkt[7]) != 0)
		return ELECT_PKT_FRAGMENT;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	src->af = dst->af = AF_INET;
	memcpy(&src->a.v4.s_addr, pkt + 12, 4);
	memcpy(&dst->a.v4.s_addr, pkt + 16, 4);
	*ttl = pkt[8];
	*payload = pkt + hl;
	*plen = tot - hl;
	return ELECT_PKT_OK;
}

/* ------------------------------------------------------------ replays */

int
elect_replay_check(struct elect_replay *r, uint64_t boot, uint64_t counter, uint64_t now_us)
{
	uint64_t w = (uint64_t)ELECT_FRESH_WINDOW_US;
	unsigned i, n = r->nold < ELECT_OLD_BOOTS ? r->nold : ELECT_OLD_BOOTS;

	/* on every advert: a recording older than the window is worthless */
	if ((now_us > w && counter < now_us - w) || counter > now_us + w)
		return ELECT_PKT_STALE;
	if (r->last != 0 && boot == r->boot) {
		if (counter <= r->last)
			return ELECT_PKT_REPLAY;
		r->last = counter;
		return ELECT_PKT_OK;
	}
	for (i = 0; i < n; i++)
		if (r->old[i] == boot)
			return ELECT_PKT_OLD_BOOT;
	/* a new boot of the peer (or the first we hear): a new sequence */
	if (r->last != 0)
		r->old[r->nold++ % ELECT_OLD_BOOTS] = r->boot;
	r->boot = boot;
	r->last = counter;
	return ELECT_PKT_OK;
}

uint64_t
elect_counter_next(uint64_t *last, uint64_t now_us)
{
	*last = now_us > *last ? now_us : *last + 1;
	return *last;
}

/* ------------------------------------------------------------ config hash */

/*
 * Every field is written with a type-free but unambiguous encoding: integers
 * as 4 bytes, strings with their terminating NUL, lists with their count
 * first.  Changing what goes in here changes every router's hash at once,
 * which is harmless (it only flags, it never refuses).
 */
static void
h_bytes(struct hbuf *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
}

static void
h_u32(struct hbuf *h, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	h_bytes(h, b, 4);
}

static void
h_str(struct hbuf *h, const char *s)
{
	if (s == NULL)
		s = "";
	h_bytes(h, s, strlen(s) + 1);
}

static void
h_addr(struct hbuf *h, const struct sockaddr_x *a)
{
	h_u32(h, (uint32_t)a->af);
	if (a->af == AF_INET || a->af == AF_INET6)
		h_bytes(h, addr_bytes(a), addr_len(a->af));
	h_u32(h, a->port);
}

void
elect_config_hash(const struct config *c, const struct vip *v, uint8_t out[ELECT_HASH_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct hbuf h;
	size_t i, j;

	memset(out, 0, ELECT_HASH_LEN);
	h.ctx = EVP_MD_CTX_new();
	if (h.ctx == NULL)
		return;
	if (EVP_DigestInit_ex(h.ctx, EVP_sha256(), NULL) != 1)
		goto out;
	h_str(&h, "ipvs-router vip v1");
	h_str(&h, v->name);
	h_addr(&h, &v->addr);
	h_u32(&h, (uint32_t)v->vrid);
	h_u32(&h, (uint32_t)v->nprios);
	for (i = 0; i < v->nprios; i++) {
		h_str(&h, v->prios[i].router);
		h_u32(&h, (uint32_t)v->prios[i].priority);
	}
	h_u32(&h, (uint32_t)v->advert_interval_ms);
	h_u32(&h, (uint32_t)v->preempt);
	h_u32(&h, (uint32_t)v->preempt_delay_ms);
	h_u32(&h, (uint32_t)v->on_pool_failure);
	h_u32(&h, (uint32_t)v->priority_decrement);
	h_u32(&h, (uint32_t)v->nservices);
	for (i = 0; i < v->nservices; i++) {
		const struct service *s = &v->services[i];
		const struct pool *p =
		    s->pool != NULL ? s->pool : config_find_pool(c, s->pool_name);

		h_u32(&h, (uint32_t)s->protocol);
		h_u32(&h, (uint32_t)s->port);
		h_u32(&h, s->fwmark);
		h_str(&h, s->scheduler);
		h_u32(&h, s->sched_flags);
		h_u32(&h, (uint32_t)s->method);
		h_u32(&h, (uint32_t)s->persistence_timeout_s);
		h_u32(&h, (uint32_t)s->persistence_prefix);
		h_str(&h, s->pool_name);
		if (p == NULL) {
			h_u32(&h, 0xffffffffu);
			continue;
		}
		h_u32(&h, (uint32_t)p->port);
		h_u32(&h, (uint32_t)p->min_servers);
		h_u32(&h, (uint32_t)p->nservers);
		for (j = 0; j < p->nservers; j++) {
			h_addr(&h, &p->servers[j].addr);
			h_u32(&h, (uint32_t)p->servers[j].weight);
		}
	}
	if (EVP_DigestFinal_ex(h.ctx, md, &mdlen) == 1 && mdlen >= ELECT_HASH_LEN)
		memcpy(out, md, ELECT_HASH_LEN);
out:
	EVP_MD_CTX_free(h.ctx);
}
