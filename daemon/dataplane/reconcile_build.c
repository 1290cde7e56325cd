/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile_build.c - the desired IPVS table: configuration, pool members,
 * health and drains -> services and destinations at effective weights.
 *
 * The other half of reconcile.h: reconcile.c plans from the table built
 * here.  The table depends on what it is given, not on the order it comes
 * in: weights are decided per member, the min_servers guard picks by
 * address, and destinations come out sorted.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

static int dest_qcmp(const void *a, const void *b);
static int member_qcmp(const void *a, const void *b, void *arg);
static int fwd_from_method(enum fwd_method m);
static int tun_from_type(enum tun_type t);

static int
dest_qcmp(const void *a, const void *b)
{
	const struct rc_dest *x = a, *y = b;
	int r = rc_dest_cmp(x, y);

	/* a member listed twice: the higher weight first, it is the one kept */
	if (r == 0)
		r = x->weight > y->weight ? -1 : x->weight < y->weight;
	return r;
}

static int
member_qcmp(const void *a, const void *b, void *arg)
{
	const struct rc_member *m = arg;

	return sockaddr_x_cmp(&m[*(const size_t *)a].addr, &m[*(const size_t *)b].addr);
}

size_t
rc_pool_weights(const struct rc_member *m, size_t n, int min_servers, bool remove_failed,
    int *weight_out, size_t *live)
{
	size_t i, j, k, nlive = 0, kept = 0, *order;

	for (i = 0; i < n; i++) {
		if (m[i].drain)
			weight_out[i] = 0;
		else if (m[i].up)
			weight_out[i] = m[i].weight;
		else
			weight_out[i] = remove_failed ? RC_WEIGHT_REMOVE : 0;
		if (weight_out[i] > 0)
			nlive++;
	}
	if (live != NULL)
		*live = nlive;
	if (min_servers <= 0 || nlive >= (size_t)min_servers)
		return 0;

	/* Fail open, deterministically: failed members by address. */
	order = xreallocarray(NULL, n ? n : 1, sizeof(*order));
	for (i = 0, k = 0; i < n; i++)
		if (!m[i].up && !m[i].drain && m[i].weight > 0)
			order[k++] = i;
	if (k > 1)
		qsort_r(order, k, sizeof(*order), member_qcmp, (void *)m);
	for (j = 0; j < k && nlive + kept < (size_t)min_servers; j++) {
		weight_out[order[j]] = m[order[j]].weight;
		kept++;
	}
	free(order);
	return kept;
}

static int
fwd_from_method(enum fwd_method m)
{
	switch (m) {
	case FWD_TUN:
		return RC_FWD_TUN;
	case FWD_NAT:
		return RC_FWD_NAT;
	case FWD_DR:
	default:
		return RC_FWD_DR;
	}
}

static int
tun_from_type(enum tun_type t)
{
	switch (t) {
	case TUN_GUE:
		return RC_TUN_GUE;
	case TUN_GRE:
		return RC_TUN_GRE;
	case TUN_IPIP:
	default:
		return RC_TUN_IPIP;
	}
}

struct rc_svc *
rc_build_service(struct rc_table *t, const struct vip *v, const struct service *s,
    const struct sockaddr_x *addr, const struct pool *pool, const struct rc_member *m,
    const int *weights, size_t n)
{
	struct rc_svc_conf conf;
	struct rc_dest d;
	struct rc_svc *out;
	size_t i, j;

	memset(&conf, 0, sizeof(conf));
	conf.af = addr->af;
	if (s->fwmark != 0) {
		conf.fwmark = s->fwmark;
	} else {
		conf.protocol = s->protocol;
		conf.addr = *addr;
		conf.addr.port = (uint16_t)s->port;
	}
	snprintf(conf.sched, sizeof(conf.sched), "%s", s->scheduler ? s->scheduler : "wlc");
	conf.flags = s->sched_flags & (SCHED_F_FALLBACK | SCHED_F_PORT | SCHED_F_ONEPACKET);
	if (s->persistence_timeout_s > 0) {
		conf.flags |= RC_SVC_F_PERSISTENT;
		conf.timeout_s = (unsigned)s->persistence_timeout_s;
		conf.netmask = s->persistence_prefix;
	} else {
		/* what ipvsadm sends for a plain service; IPv6 wants 1..128 */
		conf.netmask = addr->af == AF_INET6 ? 128 : 32;
	}

	out = rc_table_add(t, &conf);
	out->label = xasprintf("vip %s", v->name ? v->name : "?");
	out->pool = xstrdup(pool ? pool->name : NULL);
	for (i = 0; i < n; i++) {
		if (weights[i] == RC_WEIGHT_REMOVE)
			continue;
		memset(&d, 0, sizeof(d));
		d.addr = m[i].addr;
		if (d.addr.port == 0)
			d.addr.port = (uint16_t)(pool && pool->port ? pool->port : s->port);
		d.weight = weights[i] < 0 ? 0 : weights[i];
		d.fwd = fwd_from_method(s->method);
		d.u_threshold = m[i].upper_threshold > 0 ? (unsigned)m[i].upper_threshold : 0;
		d.l_threshold = m[i].lower_threshold > 0 ? (unsigned)m[i].lower_threshold : 0;
		if (d.fwd == RC_FWD_TUN) {
			d.tun_type = tun_from_type(s->tun_type);
			if (d.tun_type == RC_TUN_GUE)
				d.tun_port = (uint16_t)s->tun_port;
			if (d.tun_type != RC_TUN_IPIP && !s->tun_nocsum)
				d.tun_flags = RC_TUN_F_CSUM;
		}
		rc_svc_add_dest(out, &d);
	}
	/* members usually come sorted (the validator sorts servers): check first */
	for (i = 1; i < out->ndests; i++)
		if (dest_qcmp(&out->dests[i - 1], &out->dests[i]) > 0)
			break;
	if (i < out->ndests)
		qsort(out->dests, out->ndests, sizeof(*out->dests), dest_qcmp);
	for (i = 1, j = 1; i < out->ndests; i++) {
		if (rc_dest_cmp(&out->dests[j - 1], &out->dests[i]) == 0)
			continue;
		out->dests[j++] = out->dests[i];
	}
	if (out->ndests > 0)
		out->ndests = j;
	return out;
}

int
rc_desired_build(const struct config *c, const char *router, rc_members_fn fn, void *arg,
    struct rc_table *out, struct rc_pool_state **pools, size_t *npools, const char **dup)
{
	struct rc_member **mem;
	int **w;
	size_t *nmem, i, j, k, np = 0;
	bool *used;
	struct rc_pool_state *ps = NULL;
	int r;

	rc_table_init(out);
	mem = xcalloc(c->npools ? c->npools : 1, sizeof(*mem));
	w = xcalloc(c->npools ? c->npools : 1, sizeof(*w));
	nmem = xcalloc(c->npools ? c->npools : 1, sizeof(*nmem));
	used = xcalloc(c->npools ? c->npools : 1, sizeof(*used));

	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		if (!vip_served(c, v, router))
			continue;
		for (j = 0; j < v->nservices; j++) {
			const struct service *s = &v->services[j];
			const struct pool *p = s->pool;
			size_t pi;

			if (p == NULL || p < c->pools || p >= c->pools + c->npools)
				continue;
			pi = (size_t)(p - c->pools);
			if (!used[pi]) {
				used[pi] = true;
				nmem[pi] = fn(arg, p, &mem[pi]);
				w[pi] = xreallocarray(NULL, nmem[pi] ? nmem[pi] : 1, sizeof(**w));
			}
		}
	}
	/* weights per pool once, then the services' destinations */
	if (pools != NULL)
		ps = xcalloc(c->npools ? c->npools : 1, sizeof(*ps));
	for (i = 0; i < c->npools; i++) {
		size_t live, kept;

		if (!used[i])
			continue;
		kept = rc_pool_weights(mem[i], nmem[i], c->pools[i].min_servers,
		    c->pools[i].remove_failed, w[i], &live);
		if (ps != NULL) {
			ps[np].pool = &c->pools[i];
			ps[np].members = nmem[i];
			ps[np].live = live;
			ps[np].kept = kept;
			for (j = 0, k = 0; j < nmem[i] && k < RC_KEPT_SHOWN && kept > 0; j++)
				if (!mem[i][j].up && !mem[i][j].drain && w[i][j] > 0)
					ps[np].kept_addr[k++] = mem[i][j].addr;
			np++;
		}
	}
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		if (!vip_served(c, v, router))
			continue;
		for (j = 0; j < v->nservices; j++) {
			const struct service *s = &v->services[j];
			size_t pi;

			if (s->pool == NULL || s->pool < c->pools ||
			    s->pool >= c->pools + c->npools)
				continue;
			pi = (size_t)(s->pool - c->pools);
			rc_build_service(out, v, s, vip_service_addr(v, router), s->pool, mem[pi],
			    w[pi], nmem[pi]);
		}
	}
	r = rc_table_sort(out, dup);
	for (i = 0; i < c->npools; i++) {
		free(mem[i]);
		free(w[i]);
	}
	free(mem);
	free(w);
	free(nmem);
	free(used);
	if (pools != NULL) {
		*pools = ps;
		*npools = np;
	}
	return r;
}
