/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elect_proto.h - the election's wire format: VRRPv3 adverts (RFC 5798) and
 * our authenticated extension.  Pure: bytes in, bytes or a verdict out.
 *
 * Plain mode is RFC 5798 VRRPv3, IP protocol 112, sent by unicast to each
 * peer.  It interoperates with keepalived's VRRPv3 unicast_peer mode: the
 * checksum covers the pseudo-header of the packet as sent, that is with the
 * unicast destination address (keepalived >= 1.3 does the same unless
 * unicast_chksum_compat is set).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
 *  |(rsvd) |     Max Adver Int     |          Checksum             |
 *  |          IPvX address(es): 4 or 16 bytes each ...             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Cross-family adverts.  RFC 5798 carries IPv4 addresses in IPv4 packets
 * and IPv6 in IPv6.  A VIP of the other family than the peers' addresses
 * (an IPv6 VIP between routers that know each other by IPv4) is still
 * advertised, over the peers' family, with its own addresses in the list;
 * the receiver tells 4- from 16-byte addresses by the length.  keepalived
 * does not do this: an interoperating VIP must have the peers' family.
 *
 * Authenticated mode ("hmac-sha256", ours, NOT keepalived-compatible) adds a
 * trailer of ELECT_TRAILER_LEN (60) bytes after the address list:
 *
 *   offset len
 *    0     4   magic "IRA2" (0x49 0x52 0x41 0x32): ipvs-router auth, version 2
 *    4     8   counter, big-endian: the sender's wall clock in microseconds
 *              since the Unix epoch, forced strictly increasing per sender
 *   12     8   config hash: the first 8 bytes of SHA-256 over the VIP's
 *              configuration as elect_config_hash() serialises it
 *   20     8   boot id: random, drawn once per start of the sender
 *   28    32   HMAC-SHA256(key, src || dst || message[0..8+addresses] ||
 *              trailer[0..28]), where src and dst are the packet's IP
 *              source and destination (4 or 16 bytes each) and the
 *              message's checksum field counts as zero
 *
 * The VRRP checksum is computed last and covers everything, trailer
 * included.  Binding src and dst into the MAC stops an advert captured on
 * its way to one peer from being replayed to another, or with a forged
 * source address.  The key is the content of auth_key_file.
 *
 * Replays (elect_replay_check).  Every advert's counter must be within
 * ELECT_FRESH_WINDOW_US of the receiver's clock, either way, so a recording
 * is worthless once that old, whatever the receiver remembers (it may just
 * have restarted).  Within a boot of the sender the counter must increase.
 * A boot id the receiver has not seen from that peer starts a new sequence:
 * a sender that restarted with its clock behind (NTP not synced yet, a
 * snapshot restored) is accepted at once, instead of being refused as a
 * replay until its clock passes the old value while it preempts the others
 * (a lasting dual master).  The last ELECT_OLD_BOOTS boot ids are
 * remembered, and adverts from them refused, so a recording of an earlier
 * boot cannot be played back after the sender restarted.  The routers'
 * clocks must agree within ELECT_FRESH_WINDOW_US (10 minutes; AWS request
 * signing already needs 5): a router whose clock is further off is refused
 * by the others, and refuses them (both log it).
 *
 * Version 1 ("IRA1", 52 bytes, no boot id) is neither sent nor accepted.
 *
 * Shared state (ours, authenticated mode only): what the routers must agree
 * on beyond the election, the operators' drains (control/drains.h), travels
 * as VRRP type 8 messages to each peer, like adverts:
 *
 *   byte 0: version 3, type 8; bytes 1..3: zero; bytes 4..5: the body's
 *   length (big-endian); bytes 6..7: the checksum; then the body (text, at
 *   most ELECT_SHARE_BODY_MAX bytes), then the trailer as above (config hash
 *   zero), its MAC over header and body.
 *
 * A receiver checks them as it checks adverts (TTL, checksum, MAC, and the
 * peer's counter and boot id, in a history of their own).  In plain mode
 * none is sent, and one received is dropped as "not an advertisement".
 */
#ifndef IPVSR_ELECT_PROTO_H
#define IPVSR_ELECT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "util.h"

#define ELECT_IPPROTO	      112 /* IPPROTO_VRRP */
#define ELECT_TTL	      255 /* sent, and required when ttl_check is on */
#define ELECT_VERSION	      3
#define ELECT_TYPE_ADVERT     1
#define ELECT_TYPE_SHARE      8 /* ours: shared state, authenticated mode only */
#define ELECT_HDR_LEN	      8
#define ELECT_ADDRS_MAX	      4 /* we send one; keepalived may send a few */
#define ELECT_TRAILER_LEN     60
#define ELECT_MAGIC	      "IRA2"
#define ELECT_MAC_OFF	      28 /* in the trailer */
#define ELECT_OLD_BOOTS	      4
#define ELECT_HASH_LEN	      8
#define ELECT_MAC_LEN	      32
#define ELECT_PKT_MAX	      (ELECT_HDR_LEN + 16 * ELECT_ADDRS_MAX + ELECT_TRAILER_LEN)
#define ELECT_SHARE_BODY_MAX  1100 /* fits a 1280-byte IPv6 packet with the trailer */
#define ELECT_SHARE_PKT_MAX   (ELECT_HDR_LEN + ELECT_SHARE_BODY_MAX + ELECT_TRAILER_LEN)
#define ELECT_INTERVAL_MAX_MS 40950 /* 12 bits of centiseconds */
#define ELECT_FRESH_WINDOW_US (600LL * 1000000)
#define ELECT_KEY_MIN	      16
#define ELECT_KEY_MAX	      1024

/* One advert, decoded or to encode. */
struct elect_advert {
	int vrid;	 /* 1..255 */
	int priority;	 /* 0 (release) .. 255 */
	int interval_ms; /* multiple of 10, 10..40950 */
	int af;		 /* family of addrs[] */
	int naddrs;	 /* 1..ELECT_ADDRS_MAX */
	struct sockaddr_x addrs[ELECT_ADDRS_MAX];
	/* authenticated mode only */
	bool auth;
	uint64_t counter;
	uint8_t config_hash[ELECT_HASH_LEN];
	uint64_t boot; /* the sender's boot id */
};

/* What a receiver remembers of one peer's adverts for one VIP (zeroed: nothing). */
struct elect_replay {
	uint64_t boot;			    /* the peer's current boot id */
	uint64_t last;			    /* highest counter accepted from it, 0: none */
	uint64_t old[ELECT_OLD_BOOTS];	    /* its earlier boot ids, refused */
	unsigned nold;			    /* how many of old[] were filled (ring) */
};

/* The shared key, NULL/0 for plain mode. */
struct elect_key {
	uint8_t *bytes;
	size_t len;
};

/* Why a packet was refused (decode and replay check); 0 = accepted. */
enum elect_pkt_err {
	ELECT_PKT_OK = 0,
	ELECT_PKT_SHORT,    /* shorter than its header or count says */
	ELECT_PKT_NOT_VRRP, /* IPv4 header: not protocol 112, or malformed */
	ELECT_PKT_FRAGMENT,
	ELECT_PKT_VERSION, /* not VRRPv3 */
	ELECT_PKT_TYPE,	   /* not an advertisement */
	ELECT_PKT_TTL,	   /* TTL / hop limit not 255 */
	ELECT_PKT_CHECKSUM,
	ELECT_PKT_LENGTH,   /* length fits neither 4- nor 16-byte addresses */
	ELECT_PKT_COUNT,    /* no address, or more than ELECT_ADDRS_MAX */
	ELECT_PKT_VRID,	    /* VRID 0 */
	ELECT_PKT_INTERVAL, /* advert interval 0 */
	ELECT_PKT_NO_AUTH,  /* authenticated mode, but no valid trailer */
	ELECT_PKT_BAD_MAC,  /* wrong key, or altered */
	ELECT_PKT_PRIORITY, /* priority 255 in authenticated mode: we never send it */
	ELECT_PKT_REPLAY,   /* counter not above the last one accepted */
	ELECT_PKT_STALE,    /* the counter is too far from our clock */
	ELECT_PKT_OLD_BOOT, /* from an earlier boot of the peer */
};

/* A short text for an enum elect_pkt_err ("bad checksum", ...). */
const char *elect_pkt_strerror(int err);

/*
 * Encode `a` for one destination: src and dst are the IP addresses the
 * packet will carry (the checksum's pseudo-header and the MAC cover them).
 * key NULL: plain VRRPv3 (a->auth ignored); else the authenticated trailer
 * with a->counter and a->config_hash.  Returns the length written, or
 * -EINVAL (bad field, families of src and dst differ) or -ENOSPC.
 */
int elect_encode(const struct elect_advert *a, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, const struct elect_key *key, uint8_t *buf, size_t len);

/*
 * Decode and verify a VRRP message (the IP payload) received from src to
 * dst with the given TTL or hop limit.  Checks, in order: length, version,
 * type, TTL (when ttl_check), checksum, address count and length, and in
 * authenticated mode (key not NULL) the trailer, the MAC and priority 255.
 * A packet with a trailer is refused in plain mode (ELECT_PKT_LENGTH): the
 * peers' modes differ.  Replays are the caller's job (elect_replay_check),
 * since the history is per VIP.  Returns ELECT_PKT_OK and fills *out, or the
 * reason.
 */
int elect_decode(const uint8_t *pkt, size_t len, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, int ttl, bool ttl_check, const struct elect_key *key,
    struct elect_advert *out);

/*
 * Encode a shared-state message carrying `body` (1..ELECT_SHARE_BODY_MAX
 * bytes) for one destination, authenticated with `key` (required), the
 * counter and our boot id.  Returns the length written, or -EINVAL / -ENOSPC.
 */
int elect_share_encode(const uint8_t *body, size_t blen, uint64_t counter, uint64_t boot,
    const struct sockaddr_x *src, const struct sockaddr_x *dst, const struct elect_key *key,
    uint8_t *buf, size_t len);

/*
 * Decode and verify a shared-state message (the IP payload): version, type,
 * TTL (when ttl_check), checksum, length, trailer and MAC.  Returns
 * ELECT_PKT_OK with *body pointing into pkt and the trailer's counter and
 * boot id (for elect_replay_check), or the reason.
 */
int elect_share_decode(const uint8_t *pkt, size_t len, const struct sockaddr_x *src,
    const struct sockaddr_x *dst, int ttl, bool ttl_check, const struct elect_key *key,
    const uint8_t **body, size_t *blen, uint64_t *counter, uint64_t *boot);

/*
 * Split a received IPv4 datagram (what a raw IPv4 socket returns: header
 * and payload) into addresses, TTL and payload.  Refuses anything but an
 * unfragmented protocol-112 datagram whose lengths add up.
 */
int elect_parse_ipv4(const uint8_t *pkt, size_t len, struct sockaddr_x *src, struct sockaddr_x *dst,
    int *ttl, const uint8_t **payload, size_t *plen);

/*
 * Replay check of an authenticated advert (its boot id and counter) against
 * *r, the history of that peer for that VIP; now_us is our wall clock.
 * Refuses a counter more than ELECT_FRESH_WINDOW_US from now_us either way
 * (ELECT_PKT_STALE), a boot id among r->old (ELECT_PKT_OLD_BOOT), and, in
 * the current boot, a counter not above r->last (ELECT_PKT_REPLAY).  A new
 * boot id is accepted and becomes the current one (the previous goes to
 * r->old).  Updates *r only when it returns ELECT_PKT_OK.
 */
int elect_replay_check(
    struct elect_replay *r, uint64_t boot, uint64_t counter, uint64_t now_us);

/*
 * The next counter to send: strictly above *last, and the wall clock when
 * that is higher.  Updates *last.
 */
uint64_t elect_counter_next(uint64_t *last, uint64_t now_us);

/*
 * A hash of what must agree between the routers for one VIP: its identity
 * (name, address, vrid), its election settings (priorities, intervals,
 * preemption, tracking) and its services with their pools' static servers.
 * router.name and anything else local is left out.
 */
void elect_config_hash(const struct config *c, const struct vip *v, uint8_t out[ELECT_HASH_LEN]);

/* The RFC 1071 checksum of the pseudo-header (src, dst, protocol 112, len) and data. */
uint16_t elect_checksum(
    const struct sockaddr_x *src, const struct sockaddr_x *dst, const uint8_t *data, size_t len);

#endif
