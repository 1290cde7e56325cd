/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_diff.c - old vs new configuration, by identity, in one merge walk per
 * sorted collection (chrony's reload_source_dirs() is the model).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_diff.h"

/* Collects "field a -> b" parts for one object. */
struct det {
	struct tbuf b;
};

static void add(struct conf_diff *, enum conf_change_kind, char *, struct det *);

static void
det_part(struct det *d, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void
det_part(struct det *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (d->b.len > 0)
		tbuf_puts(&d->b, ", ");
	tbuf_puts(&d->b, s);
	free(s);
}

#define D_INT(d, a, b, f, label) \
	do { if ((long long)(a)->f != (long long)(b)->f) \
		det_part(d, "%s %lld -> %lld", label, (long long)(a)->f, (long long)(b)->f); } while (0)
#define D_BOOL(d, a, b, f, label) \
	do { if (!(a)->f != !(b)->f) \
		det_part(d, "%s %s -> %s", label, (a)->f ? "true" : "false", (b)->f ? "true" : "false"); \
	} while (0)
#define D_STR(d, a, b, f, label) \
	do { if (!str_eq((a)->f, (b)->f)) \
		det_part(d, "%s %s -> %s", label, (a)->f ? (a)->f : "(none)", (b)->f ? (b)->f : "(none)"); \
	} while (0)
#define D_KW(d, a, b, f, label, kw) \
	do { if ((a)->f != (b)->f) det_part(d, "%s %s -> %s", label, kw((a)->f), kw((b)->f)); } while (0)

static void
d_addr(struct det *d, const struct sockaddr_x *a, const struct sockaddr_x *b, const char *label)
{
	char x[SOCKADDR_X_STRLEN], y[SOCKADDR_X_STRLEN];

	if (sockaddr_x_cmp(a, b) != 0)
		det_part(d, "%s %s -> %s", label, sockaddr_x_fmt(a, x, sizeof(x)),
		    sockaddr_x_fmt(b, y, sizeof(y)));
}

static void
add(struct conf_diff *cd, enum conf_change_kind kind, char *object, struct det *d)
{
	if (kind == CHANGE_CHANGED && (d == NULL || d->b.len == 0)) {
		free(object);
		if (d != NULL)
			tbuf_free(&d->b);
		return;
	}
	if (cd->n == cd->cap) {
		cd->cap = cd->cap ? cd->cap * 2 : 16;
		cd->v = xreallocarray(cd->v, cd->cap, sizeof(*cd->v));
	}
	cd->v[cd->n].kind = kind;
	cd->v[cd->n].object = object;
	cd->v[cd->n].detail = d != NULL && d->b.len > 0 ? tbuf_steal(&d->b) : NULL;
	if (d != NULL)
		tbuf_free(&d->b);
	cd->n++;
	cd->count[kind]++;
}

/*
 * The merge walk: `cmp` orders elements of two sorted arrays; `same` is
 * called for matches, `one` for an element only in a (DELETE) or b (NEW).
 */
typedef int walk_cmp(const void *, const void *);
typedef void walk_same(struct conf_diff *, const void *, const void *, const void *ctx);
typedef void walk_one(struct conf_diff *, enum conf_change_kind, const void *, const void *ctx);

static void
walk(struct conf_diff *cd, const void *a, size_t na, const void *b, size_t nb, size_t size,
    walk_cmp *cmp, walk_same *same, walk_one *one, const void *ctx)
{
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		const void *x = (const char *)a + i * size, *y = (const char *)b + j * size;
		int r = i == na ? 1 : j == nb ? -1 : cmp(x, y);

		if (r < 0) {
			one(cd, CHANGE_DELETE, x, ctx);
			i++;
		} else if (r > 0) {
			one(cd, CHANGE_NEW, y, ctx);
			j++;
		} else {
			same(cd, x, y, ctx);
			i++;
			j++;
		}
	}
}

/* ------------------------------------------------------------ pools */

static int
server_cmp(const void *a, const void *b)
{
	return model_server_cmp(a, b);
}

/* Servers from endpoint files (dynamic) are not configuration: not diffed. */
static void
server_one(struct conf_diff *cd, enum conf_change_kind k, const void *s, const void *ctx)
{
	char a[SOCKADDR_X_STRLEN];

	if (((const struct server *)s)->dynamic)
		return;

	add(cd, k, xasprintf("pool %s server %s", (const char *)ctx,
	    sockaddr_x_fmt(&((const struct server *)s)->addr, a, sizeof(a))), NULL);
}

static void
server_same(struct conf_diff *cd, const void *x, const void *y, const void *ctx)
{
	const struct server *a = x, *b = y;
	struct det d;
	char s[SOCKADDR_X_STRLEN];

	if (a->dynamic || b->dynamic) {
		if (!b->dynamic)
			server_one(cd, CHANGE_NEW, b, ctx);	/* moved into the config file */
		else if (!a->dynamic)
			server_one(cd, CHANGE_DELETE, a, ctx);
		return;
	}
	tbuf_init(&d.b);
	D_INT(&d, a, b, weight, "weight");
	D_BOOL(&d, a, b, drain, "drain");
	D_INT(&d, a, b, upper_threshold, "upper_threshold");
	D_INT(&d, a, b, lower_threshold, "lower_threshold");
	if (!check_equal(&a->check, &b->check))
		det_part(&d, "check");
	add(cd, CHANGE_CHANGED, xasprintf("pool %s server %s", (const char *)ctx,
	    sockaddr_x_fmt(&a->addr, s, sizeof(s))), &d);
}

static int
pool_cmp(const void *a, const void *b)
{
	return model_pool_cmp(a, b);
}

static void
pool_one(struct conf_diff *cd, enum conf_change_kind k, const void *p, const void *ctx)
{
	add(cd, k, xasprintf("pool %s", ((const struct pool *)p)->name), NULL);
}

static void
pool_same(struct conf_diff *cd, const void *x, const void *y, const void *ctx)
{
	const struct pool *a = x, *b = y;
	struct det d;

	tbuf_init(&d.b);
	D_INT(&d, a, b, port, "port");
	D_INT(&d, a, b, weight, "weight");
	D_INT(&d, a, b, min_servers, "min_servers");
	D_BOOL(&d, a, b, remove_failed, "remove_failed");
	D_KW(&d, a, b, initial_state, "initial_state", init_state_str);
	if (!check_equal(&a->check, &b->check))
		det_part(&d, "check");
	D_STR(&d, a, b, endpoints_file, "endpoints_file");
	D_BOOL(&d, a, b, endpoints_required, "endpoints_required");
	D_INT(&d, a, b, max_drop_percent, "max_drop_percent");
	D_BOOL(&d, a, b, allow_empty, "allow_empty");
	D_INT(&d, a, b, drain_grace_ms, "drain_grace_ms");
	add(cd, CHANGE_CHANGED, xasprintf("pool %s", a->name), &d);
	walk(cd, a->servers, a->nservers, b->servers, b->nservers, sizeof(struct server),
	    server_cmp, server_same, server_one, a->name);
}

/* ------------------------------------------------------------ vips */

static char *
service_name(const char *vip, const struct service *s)
{
	if (s->fwmark != 0)
		return xasprintf("vip %s service fwmark %u", vip, s->fwmark);
	return xasprintf("vip %s service %s/%d", vip, proto_str(s->protocol), s->port);
}

static int
service_cmp(const void *a, const void *b)
{
	return model_service_cmp(a, b);
}

static void
service_one(struct conf_diff *cd, enum conf_change_kind k, const void *s, const void *ctx)
{
	add(cd, k, service_name(ctx, s), NULL);
}

static void
service_same(struct conf_diff *cd, const void *x, const void *y, const void *ctx)
{
	const struct service *a = x, *b = y;
	struct det d;

	tbuf_init(&d.b);
	D_STR(&d, a, b, pool_name, "pool");
	D_STR(&d, a, b, scheduler, "scheduler");
	D_INT(&d, a, b, sched_flags, "scheduler flags");
	D_KW(&d, a, b, method, "method", fwd_method_str);
	D_KW(&d, a, b, tun_type, "tunnel", tun_type_str);
	D_INT(&d, a, b, tun_port, "tunnel port");
	D_BOOL(&d, a, b, tun_nocsum, "tunnel without checksum");
	D_INT(&d, a, b, persistence_timeout_s, "persistence_timeout_s");
	D_INT(&d, a, b, persistence_prefix, "persistence_prefix");
	add(cd, CHANGE_CHANGED, service_name(ctx, a), &d);
}

static bool
prios_equal(const struct vip *a, const struct vip *b)
{
	size_t i;

	if (a->nprios != b->nprios)
		return false;
	for (i = 0; i < a->nprios; i++)
		if (strcmp(a->prios[i].router, b->prios[i].router) != 0 ||
		    a->prios[i].priority != b->prios[i].priority)
			return false;
	return true;
}

static bool
eip_equal(const struct eip *a, const struct eip *b)
{
	size_t i;

	if (!str_eq(a->allocation_id, b->allocation_id) || a->nprivate_ips != b->nprivate_ips)
		return false;
	for (i = 0; i < a->nprivate_ips; i++)
		if (strcmp(a->private_ips[i].router, b->private_ips[i].router) != 0 ||
		    sockaddr_x_cmp(&a->private_ips[i].addr, &b->private_ips[i].addr) != 0)
			return false;
	return true;
}

static int
vip_cmp(const void *a, const void *b)
{
	return model_vip_cmp(a, b);
}

/* Both configurations, for the VIP walk: a VIP renamed on its address is
 * one change (the election hands it over, election.c), not two. */
struct vip_pair {
	const struct config *a, *b;
};

/* The VIP that `v` (of `own`) is in `other` under another name: the one
 * there with v's address, when neither name is in the other configuration.
 * NULL if none. */
static const struct vip *
vip_renamed(const struct config *other, const struct config *own, const struct vip *v)
{
	size_t i;

	if (config_find_vip(other, v->name) != NULL)
		return NULL;
	for (i = 0; i < other->nvips; i++)
		if (sockaddr_x_cmp_addr(&other->vips[i].addr, &v->addr) == 0 &&
		    config_find_vip(own, other->vips[i].name) == NULL)
			return &other->vips[i];
	return NULL;
}

static void vip_diff(struct conf_diff *cd, const struct vip *a, const struct vip *b);

static void
vip_one(struct conf_diff *cd, enum conf_change_kind k, const void *v, const void *ctx)
{
	const struct vip_pair *pr = ctx;
	const struct vip *other;

	if (k == CHANGE_DELETE && vip_renamed(pr->b, pr->a, v) != NULL)
		return; /* said with its new name */
	if (k == CHANGE_NEW && (other = vip_renamed(pr->a, pr->b, v)) != NULL) {
		vip_diff(cd, other, v);
		return;
	}
	add(cd, k, xasprintf("vip %s", ((const struct vip *)v)->name), NULL);
}

static void
vip_same(struct conf_diff *cd, const void *x, const void *y, const void *ctx)
{
	vip_diff(cd, x, y);
}

static void
vip_diff(struct conf_diff *cd, const struct vip *a, const struct vip *b)
{
	struct det d;

	tbuf_init(&d.b);
	if (strcmp(a->name, b->name) != 0)
		det_part(&d, "renamed from %s (election role kept)", a->name);
	d_addr(&d, &a->addr, &b->addr, "address");
	D_KW(&d, a, b, announce, "announce", vip_announce_str);
	if (a->vrid != b->vrid)
		det_part(&d, "vrid %d -> %d (both advertised for %d s)", a->vrid, b->vrid,
		    MODEL_VRID_HANDOVER_MS / 1000);
	D_STR(&d, a, b, interface, "interface");
	D_BOOL(&d, a, b, manage_address, "manage_address");
	if (!prios_equal(a, b))
		det_part(&d, "priority");
	D_INT(&d, a, b, advert_interval_ms, "advert_interval_ms");
	D_INT(&d, a, b, preempt, "preempt");
	D_INT(&d, a, b, preempt_delay_ms, "preempt_delay_ms");
	D_KW(&d, a, b, on_pool_failure, "on_pool_failure", track_action_str);
	D_INT(&d, a, b, priority_decrement, "priority_decrement");
	if (a->garp.enabled != b->garp.enabled || a->garp.count != b->garp.count ||
	    a->garp.interval_ms != b->garp.interval_ms || a->garp.refresh_ms != b->garp.refresh_ms)
		det_part(&d, "garp");
	if (!eip_equal(&a->eip, &b->eip))
		det_part(&d, "eip");
	D_BOOL(&d, a, b, move_private_ip, "move_private_ip");
	add(cd, CHANGE_CHANGED, xasprintf("vip %s", b->name), &d);
	walk(cd, a->services, a->nservices, b->services, b->nservices, sizeof(struct service),
	    service_cmp, service_same, service_one, b->name);
}

/* ------------------------------------------------------------ election */

static int
peer_cmp(const void *a, const void *b)
{
	return model_peer_cmp(a, b);
}

static void
peer_one(struct conf_diff *cd, enum conf_change_kind k, const void *p, const void *ctx)
{
	add(cd, k, xasprintf("peer %s", ((const struct peer *)p)->name), NULL);
}

static void
peer_same(struct conf_diff *cd, const void *x, const void *y, const void *ctx)
{
	const struct peer *a = x, *b = y;
	struct det d;

	tbuf_init(&d.b);
	d_addr(&d, &a->addr, &b->addr, "address");
	add(cd, CHANGE_CHANGED, xasprintf("peer %s", a->name), &d);
}

static bool
argv_equal(char *const *a, int na, char *const *b, int nb)
{
	int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static void
sections(struct conf_diff *cd, const struct config *x, const struct config *y)
{
	const struct election *ea = &x->election, *eb = &y->election;
	struct det d;

	tbuf_init(&d.b);
	D_STR(&d, &x->router, &y->router, name, "name");
	D_STR(&d, &x->router, &y->router, interface, "interface");
	D_STR(&d, &x->router, &y->router, endpoints_dir, "endpoints_dir");
	D_STR(&d, &x->router, &y->router, syslog_facility, "syslog_facility");
	add(cd, CHANGE_CHANGED, xstrdup("router"), &d);

	tbuf_init(&d.b);
	D_INT(&d, &x->ipvs, &y->ipvs, reconcile_interval_ms, "reconcile_interval_ms");
	D_INT(&d, &x->ipvs, &y->ipvs, traffic_interval_ms, "traffic_interval_ms");
	D_BOOL(&d, &x->ipvs, &y->ipvs, flush_on_exit, "flush_on_exit");
	D_BOOL(&d, &x->ipvs, &y->ipvs, sloppy_tcp, "sloppy_tcp");
	D_BOOL(&d, &x->ipvs, &y->ipvs, sloppy_sctp, "sloppy_sctp");
	add(cd, CHANGE_CHANGED, xstrdup("ipvs"), &d);

	tbuf_init(&d.b);
	D_BOOL(&d, &x->checks, &y->checks, allow_exec, "allow_exec");
	D_INT(&d, &x->checks, &y->checks, jitter_percent, "jitter_percent");
	add(cd, CHANGE_CHANGED, xstrdup("checks"), &d);

	if (ea->present != eb->present) {
		add(cd, eb->present ? CHANGE_NEW : CHANGE_DELETE, xstrdup("election"), NULL);
	} else if (ea->present) {
		tbuf_init(&d.b);
		D_INT(&d, ea, eb, advert_interval_ms, "advert_interval_ms");
		D_KW(&d, ea, eb, auth, "auth", auth_mode_str);
		D_STR(&d, ea, eb, auth_key_file, "auth_key_file");
		D_BOOL(&d, ea, eb, preempt, "preempt");
		D_INT(&d, ea, eb, preempt_delay_ms, "preempt_delay_ms");
		D_BOOL(&d, ea, eb, track_interface, "track_interface");
		D_INT(&d, ea, eb, ttl_check, "check_ttl");
		if (!argv_equal(ea->notify_argv, ea->notify_argc, eb->notify_argv, eb->notify_argc))
			det_part(&d, "notify.command");
		D_INT(&d, ea, eb, notify_timeout_ms, "notify.timeout_ms");
		if (ea->sync.present != eb->sync.present)
			det_part(&d, "%s", eb->sync.present ? "sync_daemon added" : "sync_daemon removed");
		else if (ea->sync.present) {
			D_STR(&d, &ea->sync, &eb->sync, vip, "sync_daemon.vip");
			D_STR(&d, &ea->sync, &eb->sync, interface, "sync_daemon.interface");
			D_INT(&d, &ea->sync, &eb->sync, syncid, "sync_daemon.syncid");
			d_addr(&d, &ea->sync.group, &eb->sync.group, "sync_daemon.group");
			D_INT(&d, &ea->sync, &eb->sync, port, "sync_daemon.port");
			D_INT(&d, &ea->sync, &eb->sync, ttl, "sync_daemon.ttl");
		}
		add(cd, CHANGE_CHANGED, xstrdup("election"), &d);
		walk(cd, ea->peers, ea->npeers, eb->peers, eb->npeers, sizeof(struct peer),
		    peer_cmp, peer_same, peer_one, NULL);
	}

	if (x->aws.present != y->aws.present) {
		add(cd, y->aws.present ? CHANGE_NEW : CHANGE_DELETE, xstrdup("aws"), NULL);
	} else if (x->aws.present) {
		tbuf_init(&d.b);
		D_STR(&d, &x->aws, &y->aws, region, "region");
		D_STR(&d, &x->aws, &y->aws, ec2_endpoint, "ec2_endpoint");
		D_STR(&d, &x->aws, &y->aws, imds_endpoint, "imds_endpoint");
		D_STR(&d, &x->aws, &y->aws, ca_file, "ca_file");
		D_STR(&d, &x->aws, &y->aws, network_interface_id, "network_interface_id");
		D_BOOL(&d, &x->aws, &y->aws, disable_source_dest_check, "disable_source_dest_check");
		D_INT(&d, &x->aws, &y->aws, verify_interval_ms, "verify_interval_ms");
		D_INT(&d, &x->aws, &y->aws, api_timeout_ms, "api_timeout_ms");
		D_BOOL(&d, &x->aws, &y->aws, dry_run_check, "dry_run_check");
		add(cd, CHANGE_CHANGED, xstrdup("aws"), &d);
	}

	if ((x->bgp.table != 0) != (y->bgp.table != 0)) {
		add(cd, y->bgp.table != 0 ? CHANGE_NEW : CHANGE_DELETE, xstrdup("bgp"), NULL);
	} else if (y->bgp.table != 0) {
		tbuf_init(&d.b);
		if (x->bgp.table != y->bgp.table)
			det_part(&d, "table %u -> %u", x->bgp.table, y->bgp.table);
		D_INT(&d, &x->bgp, &y->bgp, withdraw_grace_ms, "withdraw_grace_ms");
		add(cd, CHANGE_CHANGED, xstrdup("bgp"), &d);
	}

	tbuf_init(&d.b);
	D_STR(&d, &x->control, &y->control, socket, "socket");
	D_STR(&d, &x->control, &y->control, group, "group");
	if (x->control.mode != y->control.mode)
		det_part(&d, "mode %04o -> %04o", (unsigned)x->control.mode,
		    (unsigned)y->control.mode);
	add(cd, CHANGE_CHANGED, xstrdup("control"), &d);

	tbuf_init(&d.b);
	D_BOOL(&d, &x->metrics, &y->metrics, enabled, "enabled");
	d_addr(&d, &x->metrics.listen, &y->metrics.listen, "listen");
	add(cd, CHANGE_CHANGED, xstrdup("metrics"), &d);
}

/* ------------------------------------------------------------ entry */

void
conf_diff(const struct config *a, const struct config *b, struct conf_diff *out)
{
	struct vip_pair pr = {a, b};

	memset(out, 0, sizeof(*out));
	sections(out, a, b);
	walk(out, a->vips, a->nvips, b->vips, b->nvips, sizeof(struct vip), vip_cmp, vip_same,
	    vip_one, &pr);
	walk(out, a->pools, a->npools, b->pools, b->npools, sizeof(struct pool), pool_cmp,
	    pool_same, pool_one, NULL);
}

void
conf_diff_free(struct conf_diff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].object);
		free(d->v[i].detail);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

char *
conf_diff_summary(const struct conf_diff *d, char *buf, size_t len)
{
	if (d->n == 0)
		snprintf(buf, len, "no change");
	else
		snprintf(buf, len, "%zu added, %zu removed, %zu changed", d->count[CHANGE_NEW],
		    d->count[CHANGE_DELETE], d->count[CHANGE_CHANGED]);
	return buf;
}
