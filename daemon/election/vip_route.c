/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vip_route.c - the kernel routes of BGP VIPs (vip.h): one blackhole host
 * route per announced VIP in a table of ipvs-router's own, which BIRD's
 * kernel protocol learns (`learn`) and exports to its BGP neighbours.
 *
 * Why a route and not an address on a dummy interface: the VIP's address has
 * to stay local (on lo) while the VIP is withdrawn, or the flows still
 * arriving during a drain or a graceful stop would not reach IPVS; and a
 * route in a table nothing else writes can be flushed by anyone (systemd's
 * ExecStopPost after a crash: `ipvs-router withdraw`) without knowing which
 * VIPs were announced.  blackhole: the table is not consulted for forwarding
 * (no rule points at it), and were it ever, the route would send nothing out.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "model.h"
#include "vip.h"

static int
route_sock(struct nl_sock **out)
{
	struct nl_sock *s = nl_socket_alloc();
	int r;

	if (s == NULL)
		return -ENOMEM;
	r = vip_nl_err(nl_connect(s, NETLINK_ROUTE));
	if (r < 0) {
		nl_socket_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
vip_route_set(uint32_t table, const struct sockaddr_x *a, bool present)
{
	struct nl_sock *s = NULL;
	struct rtnl_route *rt = NULL;
	struct nl_addr *dst = NULL;
	bool v6 = a->af == AF_INET6;
	int r;

	r = route_sock(&s);
	if (r < 0)
		return r;
	rt = rtnl_route_alloc();
	dst = nl_addr_build(a->af, v6 ? (const void *)&a->a.v6 : (const void *)&a->a.v4, v6 ? 16 : 4);
	if (rt == NULL || dst == NULL) {
		r = -ENOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(dst, v6 ? 128 : 32);
	rtnl_route_set_family(rt, (uint8_t)a->af);
	rtnl_route_set_table(rt, table);
	rtnl_route_set_type(rt, RTN_BLACKHOLE);
	rtnl_route_set_protocol(rt, BGP_ROUTE_PROTO);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	r = vip_nl_err(rtnl_route_set_dst(rt, dst));
	if (r < 0)
		goto out;
	if (present) {
		r = vip_nl_err(rtnl_route_add(s, rt, NLM_F_CREATE | NLM_F_REPLACE));
	} else {
		r = vip_nl_err(rtnl_route_delete(s, rt, 0));
		/* not there (ESRCH from the kernel, NLE_OBJ_NOTFOUND): as wanted */
		if (r == -EADDRNOTAVAIL)
			r = 0;
	}
out:
	nl_addr_put(dst);
	rtnl_route_put(rt);
	nl_socket_free(s);
	return r;
}

struct flush_ctx {
	struct nl_sock *s;
	uint32_t table;
	int n, err;
};

static void
flush_one(struct nl_object *o, void *arg)
{
	struct flush_ctx *f = arg;
	struct rtnl_route *rt = (struct rtnl_route *)o;
	int r;

	if (rtnl_route_get_table(rt) != f->table || rtnl_route_get_protocol(rt) != BGP_ROUTE_PROTO)
		return;
	r = vip_nl_err(rtnl_route_delete(f->s, rt, 0));
	if (r == 0)
		f->n++;
	else if (r != -EADDRNOTAVAIL && f->err == 0)
		f->err = r;
}

int
vip_route_flush(uint32_t table)
{
	struct flush_ctx f = {.table = table};
	struct nl_cache *c = NULL;
	int r;

	r = route_sock(&f.s);
	if (r < 0)
		return r;
	r = vip_nl_err(rtnl_route_alloc_cache(f.s, AF_UNSPEC, 0, &c));
	if (r == 0) {
		nl_cache_foreach(c, flush_one, &f);
		nl_cache_free(c);
		r = f.err < 0 ? f.err : f.n;
	}
	nl_socket_free(f.s);
	return r;
}
