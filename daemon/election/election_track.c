/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election_track.c - tracking: what may make a VIP give itself up (FAULT)
 * or advertise a lower priority.
 *
 * Two inputs: the link state of the VIP's interface (vip.c's link events,
 * when election.track_interface is set) and the pools the composer reports
 * below their min_servers (election_pool_health), remembered by pool name
 * across reloads.  Each VIP with a service on such a pool reacts by its
 * on_pool_failure.  The outcome goes to the machine as one TRACK event,
 * and only when it changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "election_int.h"
#include "log.h"
#include "vip.h"


void
track_update(struct inst *in, bool force)
{
	const struct config *c = in->rt->conf;
	const struct vip *v = in->v;
	struct elect_event ev = {.type = ELECT_EV_TRACK};
	char why[160] = "", unsettled[96] = "";
	size_t i;
	int n = 0;

	if (c->election.track_interface && in->link_down) {
		ev.fault = true;
		n +=
		    snprintf(why + n, sizeof(why) - (size_t)n, "interface %s down; ", v->interface);
	}
	for (i = 0; i < v->nservices && n < (int)sizeof(why) - 1; i++) {
		const char *p = v->services[i].pool_name;

		if (p == NULL || !track_pool_down(in->rt, p) || v->on_pool_failure == TRACK_IGNORE ||
		    v->on_pool_failure == TRACK_WITHDRAW)
			continue;
		if (strstr(why, p) == NULL)
			n += snprintf(
			    why + n, sizeof(why) - (size_t)n, "pool %s below min_servers; ", p);
		if (v->on_pool_failure == TRACK_FAULT)
			ev.fault = true;
		else
			ev.decrement = v->priority_decrement;
	}
	for (i = 0; i < v->nservices; i++) {
		const char *p = v->services[i].pool_name;

		if (p == NULL || track_pool_settled(in->rt, p))
			continue;
		if (!ev.settling)
			snprintf(unsettled, sizeof(unsettled), "%s", p);
		ev.settling = true;
	}
	if (ev.settling != in->settling && v->announce != ANNOUNCE_BGP) {
		if (ev.settling)
			log_vip(LOG_INFO, in->name, "pool %s: health checks still settling: no "
			    "preemption of a lower-priority master until they have", unsettled);
		else
			log_vip(LOG_INFO, in->name, "pools settled: preemption allowed");
	}
	if (!force && ev.fault == in->fault && ev.decrement == in->decrement &&
	    ev.settling == in->settling)
		return;
	if (ev.fault != in->fault || ev.decrement != in->decrement) {
		if (n > 2)
			why[n - 2] = '\0';
		if (ev.fault)
			log_vip(LOG_WARNING, in->name, "tracking: %s: giving the VIP up", why);
		else if (ev.decrement > 0)
			log_vip(LOG_WARNING, in->name, "tracking: %s: advertising priority %d - %d",
			    why, in->m.conf.priority, ev.decrement);
		else if (in->fault || in->decrement > 0)
			log_vip(LOG_NOTICE, in->name, "tracking: all good again");
	}
	in->fault = ev.fault;
	in->decrement = ev.decrement;
	in->settling = ev.settling;
	inst_feed(in, &ev);
}

void
track_link_refresh(struct inst *in)
{
	int r;

	if (in->v->interface == NULL) {
		in->link_down = false;
		return;
	}
	r = vip_link_up(in->v->interface);
	in->link_down = r != 1;
}

void
track_on_link(void *arg, const char *ifname, bool up)
{
	struct election_rt *rt = arg;
	size_t i;

	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		if (in->v->interface == NULL)
			continue;
		if (ifname == NULL)
			track_link_refresh(in);
		else if (strcmp(in->v->interface, ifname) == 0)
			in->link_down = !up;
		else
			continue;
		track_update(in, false);
	}
}

/* Is `name` in the list? */
static bool
names_has(char *const *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

/* Put `name` in the list or take it out; false when it was already so. */
static bool
names_set(char ***v, size_t *n, const char *name, bool in)
{
	size_t i;

	if (names_has(*v, *n, name) == in)
		return false;
	if (in) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = xstrdup(name);
		return true;
	}
	for (i = 0; strcmp((*v)[i], name) != 0; i++)
		;
	free((*v)[i]);
	(*v)[i] = (*v)[--*n];
	return true;
}

bool
track_pool_down(const struct election_rt *rt, const char *pool)
{
	return names_has(rt->pools_down, rt->npools_down, pool);
}

bool
track_pool_settled(const struct election_rt *rt, const char *pool)
{
	return names_has(rt->pools_settled, rt->npools_settled, pool);
}

/* A pool entered or left one of the lists: every VIP looks again. */
static void
track_names_update(struct election_rt *rt, char ***v, size_t *n, const char *pool, bool in)
{
	size_t i;

	if (pool == NULL || !names_set(v, n, pool, in))
		return;
	for (i = 0; i < rt->ninsts; i++)
		track_update(rt->insts[i], false);
	ann_sync(rt); /* BGP VIPs: the routes follow the pools, the addresses stay */
}

void
election_pool_health(struct election_rt *rt, const char *pool, bool below_min)
{
	if (rt != NULL)
		track_names_update(rt, &rt->pools_down, &rt->npools_down, pool, below_min);
}

void
election_pool_settled(struct election_rt *rt, const char *pool, bool settled)
{
	if (rt != NULL)
		track_names_update(rt, &rt->pools_settled, &rt->npools_settled, pool, settled);
}

static void
names_free(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

void
track_free(struct election_rt *rt)
{
	names_free(&rt->pools_down, &rt->npools_down);
	names_free(&rt->pools_settled, &rt->npools_settled);
}
