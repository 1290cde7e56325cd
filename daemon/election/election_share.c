/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election_share.c - shared state between the routers, over the election's
 * channel (issue #17: drains that hold on every router).
 *
 * What is shared is the caller's business (text; the composer passes the
 * operators' drains); here it is moved, authenticated and checked exactly
 * as adverts are: the key, TTL 255, the sender's counter and boot id in a
 * history per peer (its own, so that adverts and these do not interfere).
 * Every other router of election.peers gets every message, whatever VIPs
 * it serves: a pool can be served by routers that share no VIP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "election_int.h"
#include "log.h"
#include "loop.h"

static const struct elect_key *
share_key(const struct election_rt *rt)
{
	if (rt->conf == NULL || !rt->conf->election.present ||
	    rt->conf->election.auth != AUTH_HMAC || rt->key.bytes == NULL)
		return NULL;
	return &rt->key;
}

static void
share_tick_cb(void *arg)
{
	struct election_rt *rt = arg;

	elect_timer_at(rt->share_timer, loop_now_ms() + ELECTION_SHARE_EVERY_MS);
	if (rt->share_tick != NULL && election_share_off(rt) == NULL)
		rt->share_tick(rt->share_arg);
}

void
election_share_listen(
    struct election_rt *rt, election_share_fn fn, void (*tick)(void *arg), void *arg)
{
	rt->share_fn = fn;
	rt->share_tick = tick;
	rt->share_arg = arg;
	if (rt->share_timer == NULL)
		rt->share_timer = elect_timer_new(share_tick_cb, rt);
	elect_timer_at(rt->share_timer, loop_now_ms() + 1000);
}

const char *
election_share_off(const struct election_rt *rt)
{
	if (rt == NULL || rt->conf == NULL || !rt->conf->election.present)
		return "no election";
	if (share_key(rt) == NULL)
		return "the election has no auth_key_file";
	if (rt->nshare_peers == 0)
		return "no other router in election.peers";
	if (rt->net == NULL)
		return "the advert sockets are not open";
	return NULL;
}

void
share_peers_apply(struct election_rt *rt, const struct config *c)
{
	const struct peer *self = election_self_peer(c);
	struct share_peer *np;
	size_t i, j, n = 0;

	np = xcalloc(c->election.npeers + 1, sizeof(*np));
	for (i = 0; c->election.present && i < c->election.npeers; i++) {
		const struct peer *p = &c->election.peers[i];

		if (p == self)
			continue;
		np[n].name = xstrdup(p->name);
		np[n].addr = p->addr;
		np[n].addr.port = 0;
		for (j = 0; j < rt->nshare_peers; j++)
			if (strcmp(rt->share_peers[j].name, p->name) == 0 &&
			    sockaddr_x_cmp_addr(&rt->share_peers[j].addr, &p->addr) == 0)
				np[n].replay = rt->share_peers[j].replay;
		n++;
	}
	share_peers_free(rt);
	rt->share_peers = np;
	rt->nshare_peers = n;
}

void
share_peers_free(struct election_rt *rt)
{
	size_t i;

	for (i = 0; i < rt->nshare_peers; i++)
		free(rt->share_peers[i].name);
	free(rt->share_peers);
	rt->share_peers = NULL;
	rt->nshare_peers = 0;
}

void
share_stop(struct election_rt *rt)
{
	share_peers_free(rt);
	elect_timer_free(rt->share_timer);
	rt->share_timer = NULL;
}

int
election_share_send(struct election_rt *rt, const char *body, size_t len)
{
	const struct elect_key *key = share_key(rt);
	uint8_t buf[ELECT_SHARE_PKT_MAX];
	struct sockaddr_x src;
	char d[SOCKADDR_X_STRLEN];
	size_t i;
	int n, r, sent = 0;

	if (election_share_off(rt) != NULL)
		return -ENOTCONN;
	if (len == 0 || len > ELECT_SHARE_BODY_MAX)
		return -EMSGSIZE;
	for (i = 0; i < rt->nshare_peers; i++) {
		struct share_peer *p = &rt->share_peers[i];

		r = elect_net_source(rt->net, &p->addr, &src);
		if (r >= 0) {
			n = elect_share_encode((const uint8_t *)body, len,
			    elect_counter_next(&rt->counter, elect_wallclock_us()), rt->boot, &src,
			    &p->addr, key, buf, sizeof(buf));
			r = n < 0 ? n : elect_net_send(rt->net, &p->addr, buf, (size_t)n);
		}
		if (r < 0) {
			if (log_ratelimit_ok(&rt->rl_tx))
				log_warnc(r, "election: shared state to %s (%s)", p->name,
				    sockaddr_x_fmt_addr(&p->addr, d, sizeof(d)));
			continue;
		}
		sent++;
	}
	return sent;
}

void
share_on_rx(struct election_rt *rt, const struct elect_rx *rx)
{
	const struct elect_key *key = share_key(rt);
	struct share_peer *p = NULL;
	const uint8_t *body;
	uint64_t counter, boot, now;
	char s[SOCKADDR_X_STRLEN];
	size_t blen, i;
	int r;

	sockaddr_x_fmt_addr(&rx->src, s, sizeof(s));
	r = elect_share_decode(rx->payload, rx->len, &rx->src, &rx->dst, rx->ttl,
	    rt->conf->election.ttl_check != 0, key, &body, &blen, &counter, &boot);
	if (r != ELECT_PKT_OK) {
		if (log_ratelimit_ok(&rt->rl_share))
			log_warnx("election: shared state from %s dropped: %s", s,
			    elect_pkt_strerror(r));
		return;
	}
	for (i = 0; i < rt->nshare_peers && p == NULL; i++)
		if (sockaddr_x_cmp_addr(&rt->share_peers[i].addr, &rx->src) == 0)
			p = &rt->share_peers[i];
	if (p == NULL) {
		if (log_ratelimit_ok(&rt->rl_share))
			log_warnx("election: shared state from %s dropped: not in election.peers", s);
		return;
	}
	now = elect_wallclock_us();
	r = elect_replay_check(&p->replay, boot, counter, now);
	if (r != ELECT_PKT_OK) {
		if (log_ratelimit_ok(&rt->rl_share))
			log_warnx("election: shared state from %s (%s) dropped: %s", p->name, s,
			    elect_pkt_strerror(r));
		return;
	}
	if (rt->share_fn != NULL)
		rt->share_fn(rt->share_arg, p->name, (const char *)body, blen);
}
