/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election_announce.c - BGP VIPs (announce = "bgp"): each instance's verdict
 * (announce.c, from the same pool tracking the election uses) and the routes
 * in bgp.table that carry it to BIRD (vip_route.c).
 *
 * A BGP VIP's instance is standalone: MASTER at once, its address on its
 * interface (lo by default) for as long as the daemon runs, so that IPVS
 * keeps getting the flows that still arrive after a withdrawal (drain,
 * graceful stop).  What follows health is the route alone.
 *
 * ann_sync compares the routes wanted (the announced instances, in the
 * configuration's table) with the routes installed, and changes only the
 * difference: a reload that moves the table or an address, or drops a VIP,
 * withdraws what is no longer wanted.  A failed change is retried every
 * second until it succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "election_int.h"
#include "loop.h"
#include "vip.h"

#define ANN_RETRY_MS 1000

static void
ann_input(const struct inst *in, struct ann_in *ai)
{
	const struct election_rt *rt = in->rt;
	const struct vip *v = in->v;
	size_t i;

	memset(ai, 0, sizeof(*ai));
	ai->stopping = rt->ann_stopping;
	ai->drained = rt->ann_drained;
	ai->ipvs = rt->ann_ipvs;
	ai->started = in->m.state != ELECT_INIT;
	ai->have_address = in->m.state == ELECT_MASTER;
	for (i = 0; i < v->nservices; i++) {
		const char *p = v->services[i].pool_name;

		if (p == NULL)
			continue;
		if (ai->pool_down == NULL && v->on_pool_failure != TRACK_IGNORE &&
		    track_pool_down(rt, p))
			ai->pool_down = p;
		if (ai->pool_unsettled == NULL && !track_pool_settled(rt, p))
			ai->pool_unsettled = p;
	}
}

static bool
routes_has(const struct election_rt *rt, uint32_t table, const struct sockaddr_x *a)
{
	size_t i;

	for (i = 0; i < rt->nroutes; i++)
		if (rt->routes[i].table == table && sockaddr_x_cmp_addr(&rt->routes[i].addr, a) == 0)
			return true;
	return false;
}

static const struct inst *
wanted_by(const struct election_rt *rt, uint32_t table, const struct sockaddr_x *a)
{
	size_t i;

	if (rt->conf == NULL || rt->conf->bgp.table != table)
		return NULL;
	for (i = 0; i < rt->ninsts; i++) {
		const struct inst *in = rt->insts[i];

		if (in->v->announce == ANNOUNCE_BGP && in->ann_want &&
		    sockaddr_x_cmp_addr(&in->v->addr, a) == 0)
			return in;
	}
	return NULL;
}

static void
retry_cb(void *arg)
{
	ann_sync(arg);
}

/* Withdraw what is installed and no longer wanted; returns how many. */
static int
routes_withdraw(struct election_rt *rt, bool *failed)
{
	char a[SOCKADDR_X_STRLEN];
	size_t i = 0;
	int r, n = 0;

	while (i < rt->nroutes) {
		struct ann_route *ro = &rt->routes[i];

		if (wanted_by(rt, ro->table, &ro->addr) != NULL) {
			i++;
			continue;
		}
		r = vip_route_set(ro->table, &ro->addr, false);
		if (r < 0) {
			log_warnc(r, "bgp: cannot withdraw %s (table %u); retrying",
			    sockaddr_x_fmt_addr(&ro->addr, a, sizeof(a)), ro->table);
			*failed = true;
			i++;
			continue;
		}
		n++;
		rt->routes[i] = rt->routes[--rt->nroutes];
	}
	return n;
}

int
ann_sync(struct election_rt *rt)
{
	const struct config *c = rt->conf;
	char why[sizeof(((struct inst *)0)->ann_why)], a[SOCKADDR_X_STRLEN];
	struct ann_in ai;
	enum ann_verdict verdict;
	bool failed = false;
	size_t i;
	int r, n;

	if (c != NULL && c->bgp.table != 0 && !rt->ann_flushed) {
		/* routes a crashed predecessor left (ExecStopPost normally took them) */
		rt->ann_flushed = true;
		r = vip_route_flush(c->bgp.table);
		if (r > 0)
			log_notice("bgp: withdrew %d route%s left in table %u by an earlier run", r,
			    r == 1 ? "" : "s", c->bgp.table);
		else if (r < 0)
			log_warnc(r, "bgp: cannot clear table %u", c->bgp.table);
	}
	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		if (in->v->announce != ANNOUNCE_BGP)
			continue;
		ann_input(in, &ai);
		verdict = ann_decide(&ai);
		ann_describe(verdict, &ai, why, sizeof(why));
		in->ann_want = verdict == ANN_YES;
		if (verdict == ANN_STARTING)
			continue; /* nothing to say yet */
		if (strcmp(why, in->ann_why) != 0) {
			/* health and faults warn; start, drain and stop are the operator's */
			log_vip(verdict == ANN_POOL_DOWN || verdict == ANN_NO_IPVS ||
			    verdict == ANN_NO_ADDRESS ? LOG_WARNING :
			    verdict == ANN_POOL_UNSETTLED ? LOG_INFO : LOG_NOTICE, in->name, "bgp: %s",
			    why);
			snprintf(in->ann_why, sizeof(in->ann_why), "%s", why);
		}
	}
	n = routes_withdraw(rt, &failed);
	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		if (in->v->announce != ANNOUNCE_BGP || !in->ann_want ||
		    routes_has(rt, c->bgp.table, &in->v->addr))
			continue;
		r = vip_route_set(c->bgp.table, &in->v->addr, true);
		if (r < 0) {
			log_vip_err(LOG_WARNING, r, in->name, "bgp: cannot add the route for %s to "
			    "table %u; retrying", sockaddr_x_fmt_addr(&in->v->addr, a, sizeof(a)),
			    c->bgp.table);
			failed = true;
			continue;
		}
		rt->routes = xreallocarray(rt->routes, rt->nroutes + 1, sizeof(*rt->routes));
		rt->routes[rt->nroutes].addr = in->v->addr;
		rt->routes[rt->nroutes].table = c->bgp.table;
		rt->nroutes++;
	}
	if (failed) {
		if (rt->ann_timer == NULL)
			rt->ann_timer = elect_timer_new(retry_cb, rt);
		elect_timer_at(rt->ann_timer, loop_now_ms() + ANN_RETRY_MS);
	} else if (rt->ann_timer != NULL) {
		elect_timer_at(rt->ann_timer, ELECT_NEVER);
	}
	return n;
}

bool
ann_announced(const struct inst *in)
{
	return in->v->announce == ANNOUNCE_BGP &&
	    routes_has(in->rt, in->rt->conf->bgp.table, &in->v->addr);
}

void
ann_free(struct election_rt *rt)
{
	if (rt->ann_timer != NULL)
		elect_timer_free(rt->ann_timer);
	rt->ann_timer = NULL;
	free(rt->routes);
	rt->routes = NULL;
	rt->nroutes = 0;
}
