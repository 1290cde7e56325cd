/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election_advert.c - adverts out and in.
 *
 * Out: one advert per peer of an instance, encoded by elect_proto.c with the
 * authenticated counter when a key is set, sent by elect_net.c.  In: an
 * advert that elect_proto.c accepts is matched to its instance (vrid and
 * family) and peer (source address), checked against the peer's replay
 * history and configuration hash when authenticated, and fed to the machine
 * at its arrival time.  Whatever is dropped is logged, rate-limited per
 * reason (an outside party can send these at will).
 */
#include <string.h>

#include "election_int.h"
#include "log.h"
#include "loop.h"

#define RL_OTHER (ELECT_PKT_OLD_BOOT + 1) /* not a peer, not our VIP, other addresses */

static const struct elect_key *advert_key(const struct election_rt *rt);
static struct log_ratelimit *advert_rl_for(struct election_rt *rt, int reason);
static void advert_hex8(const uint8_t h[ELECT_HASH_LEN], char out[2 * ELECT_HASH_LEN + 1]);

static const struct elect_key *
advert_key(const struct election_rt *rt)
{
	if (rt->conf == NULL || rt->conf->election.auth != AUTH_HMAC || rt->key.bytes == NULL)
		return NULL;
	return &rt->key;
}

void
advert_send(struct inst *in, int prio)
{
	struct election_rt *rt = in->rt;
	const struct elect_key *key = advert_key(rt);
	struct elect_advert a;
	char d[SOCKADDR_X_STRLEN];
	uint8_t buf[ELECT_PKT_MAX];
	size_t i, k;
	int n, r, prev;

	if (rt->net == NULL || in->npeers == 0)
		return;
	memset(&a, 0, sizeof(a));
	a.vrid = in->vrid;
	a.priority = prio;
	a.interval_ms = in->m.conf.advert_interval_ms;
	a.af = in->v->addr.af;
	a.naddrs = 1;
	a.addrs[0] = in->v->addr;
	a.addrs[0].port = 0;
	memcpy(a.config_hash, in->hash, ELECT_HASH_LEN);
	a.boot = rt->boot;
	/* in a handover window, once more under the former vrid (peers not
	 * reloaded yet know the VIP by it) */
	for (k = 0, prev = inst_prev_vrid(in); k < (prev != 0 ? 2 : 1); k++) {
		a.vrid = k == 0 ? in->vrid : prev;
		for (i = 0; i < in->npeers; i++) {
			struct peer_rt *p = &in->peers[i];

			if (!p->src_ok)
				continue;
			if (key != NULL)
				a.counter = elect_counter_next(&rt->counter, elect_wallclock_us());
			n = elect_encode(&a, &p->src, &p->addr, key, buf, sizeof(buf));
			r = n < 0 ? n : elect_net_send(rt->net, &p->addr, buf, (size_t)n);
			if (r < 0 && log_ratelimit_ok(&rt->rl_tx))
				log_vip_err(LOG_WARNING, r, in->name, "advert to %s (%s)", p->name,
				    sockaddr_x_fmt_addr(&p->addr, d, sizeof(d)));
		}
	}
}

static struct log_ratelimit *
advert_rl_for(struct election_rt *rt, int reason)
{
	if (reason < 0 || (size_t)reason >= ARRAY_SIZE(rt->rl_rx))
		reason = RL_OTHER;
	return &rt->rl_rx[reason];
}

void
advert_on_rx(void *arg, const struct elect_rx *rx)
{
	struct election_rt *rt = arg;
	const struct config *c = rt->conf;
	const struct peer *self = election_self_peer(c);
	const struct elect_key *key = advert_key(rt);
	struct elect_event ev;
	struct elect_advert adv;
	struct peer_rt *p = NULL;
	struct inst *in = NULL;
	char s[SOCKADDR_X_STRLEN], x[SOCKADDR_X_STRLEN];
	size_t i;
	int r;

	sockaddr_x_fmt_addr(&rx->src, s, sizeof(s));
	if (self != NULL && sockaddr_x_cmp_addr(&rx->src, &self->addr) == 0)
		return;
	/* shared state (election_share.c): authenticated mode only */
	if (key != NULL && rx->len >= 1 && rx->payload[0] == (ELECT_VERSION << 4 | ELECT_TYPE_SHARE)) {
		share_on_rx(rt, rx);
		return;
	}
	r = elect_decode(rx->payload, rx->len, &rx->src, &rx->dst, rx->ttl,
	    c->election.ttl_check != 0, key, &adv);
	if (r != ELECT_PKT_OK) {
		if (log_ratelimit_ok(advert_rl_for(rt, r)))
			log_warnx("election: advert from %s dropped: %s", s, elect_pkt_strerror(r));
		return;
	}
	for (i = 0; i < rt->ninsts && in == NULL; i++)
		if (rt->insts[i]->vrid == adv.vrid && rt->insts[i]->af == adv.af)
			in = rt->insts[i];
	/* a peer not reloaded yet, in the window of a vrid change (election.c) */
	for (i = 0; i < rt->ninsts && in == NULL; i++)
		if (inst_prev_vrid(rt->insts[i]) == adv.vrid && rt->insts[i]->af == adv.af)
			in = rt->insts[i];
	if (in == NULL) {
		if (log_ratelimit_ok(advert_rl_for(rt, RL_OTHER)))
			log_info("election: advert from %s for IPv%c vrid %d dropped: not a VIP "
				 "this router serves",
			    s, adv.af == AF_INET6 ? '6' : '4', adv.vrid);
		return;
	}
	for (i = 0; i < in->npeers && p == NULL; i++)
		if (sockaddr_x_cmp_addr(&in->peers[i].addr, &rx->src) == 0)
			p = &in->peers[i];
	if (p == NULL) {
		if (log_ratelimit_ok(advert_rl_for(rt, RL_OTHER)))
			log_vip(LOG_WARNING, in->name,
			    "advert from %s dropped: not a peer of this VIP", s);
		return;
	}
	if (key != NULL) {
		uint64_t last = p->replay.last, now = elect_wallclock_us();
		bool newboot = p->replay.last != 0 && adv.boot != p->replay.boot;

		r = elect_replay_check(&p->replay, adv.boot, adv.counter, now);
		if (r != ELECT_PKT_OK) {
			if (log_ratelimit_ok(advert_rl_for(rt, r)))
				log_vip(LOG_WARNING, in->name,
				    "advert from %s (%s) dropped: %s, %+.3f s from %s", p->name, s,
				    elect_pkt_strerror(r),
				    r == ELECT_PKT_REPLAY ? ((double)adv.counter - (double)last) / 1e6
							  : ((double)adv.counter - (double)now) / 1e6,
				    r == ELECT_PKT_REPLAY ? "the last one accepted"
							  : "our clock (routers' clocks must agree within 600 s)");
			return;
		}
		if (newboot)
			log_vip(LOG_NOTICE, in->name,
			    "peer %s restarted (new boot id), its clock is %+.3f s from ours", p->name,
			    ((double)adv.counter - (double)now) / 1e6);
		if (memcmp(adv.config_hash, in->hash, ELECT_HASH_LEN) != 0) {
			char theirs[2 * ELECT_HASH_LEN + 1], ours[2 * ELECT_HASH_LEN + 1];

			if (!p->hash_differs || !p->hash_seen ||
			    memcmp(adv.config_hash, p->hash, ELECT_HASH_LEN) != 0) {
				advert_hex8(adv.config_hash, theirs);
				advert_hex8(in->hash, ours);
				log_vip(LOG_WARNING, in->name,
				    "peer %s has a different configuration for this VIP (hash %s, "
				    "ours %s): compare the files",
				    p->name, theirs, ours);
			}
			p->hash_differs = true;
		} else if (p->hash_differs) {
			log_vip(LOG_NOTICE, in->name, "peer %s now has the same configuration",
			    p->name);
			p->hash_differs = false;
		}
		memcpy(p->hash, adv.config_hash, ELECT_HASH_LEN);
		p->hash_seen = true;
	}
	for (i = 0; i < (size_t)adv.naddrs; i++)
		if (sockaddr_x_cmp_addr(&adv.addrs[i], &in->v->addr) == 0)
			break;
	if (i == (size_t)adv.naddrs && log_ratelimit_ok(advert_rl_for(rt, RL_OTHER)))
		log_vip(LOG_WARNING, in->name,
		    "peer %s advertises vrid %d with %s, not %s: configurations differ", p->name,
		    adv.vrid, sockaddr_x_fmt_addr(&adv.addrs[0], x, sizeof(x)),
		    sockaddr_x_fmt_addr(&in->v->addr, s, sizeof(s)));

	memset(&ev, 0, sizeof(ev));
	ev.type = ELECT_EV_ADVERT;
	ev.from = rx->src;
	ev.from.port = 0;
	ev.priority = adv.priority;
	ev.interval_ms = adv.interval_ms;
	/* from its arrival, not from when the loop got to it */
	inst_feed_at(in, &ev, rx->at_ms >= 0 ? rx->at_ms : loop_now_ms());
}

static void
advert_hex8(const uint8_t h[ELECT_HASH_LEN], char out[2 * ELECT_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < ELECT_HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[2 * ELECT_HASH_LEN] = '\0';
}
