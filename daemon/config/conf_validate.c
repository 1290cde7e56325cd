/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_validate.c - semantic checks on a whole configuration.
 *
 * Runs after conf_load.c has checked types and ranges.  Here: references,
 * uniqueness, rules that tie several settings together, timers that cannot
 * work, defaults and inheritance.  Every problem is collected, so that one
 * `ipvs-router -t` shows them all.
 *
 * A loaded config may be partial: the loader reported errors and went on.
 * Every object whose loading reported an error (a missing required key, a
 * value refused) carries `bad`, and no check here looks into it or through
 * it: its own error is the one to fix, and checks on a half-loaded object
 * would only add errors about values that are not in the file (one mistake,
 * one error).  So no code after the loader meets a NULL required field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

#define DEF_RECONCILE_MS	30000
#define DEF_TRAFFIC_MS		5000
#define DEF_JITTER_PCT		10
#define DEF_ADVERT_MS		100
#define DEF_NOTIFY_MS		10000
#define DEF_SYNC_PREEMPT_DELAY_MS 10000
#define DEF_SYNC_PORT		8848		/* the kernel's (IP_VS_SYNC_PORT) */
#define DEF_SYNC_GROUP		0xe0000051u	/* 224.0.0.81, the kernel's (IP_VS_SYNC_GROUP) */
#define DEF_PRIORITY		100
#define DEF_DECREMENT		50
#define DEF_GARP_COUNT		3
#define DEF_GARP_INTERVAL_MS	100
#define DEF_AWS_VERIFY_MS	10000
#define DEF_AWS_TIMEOUT_MS	5000
#define DEF_CONTROL_SOCKET	RUNSTATEDIR "/ipvs-router/control.sock"
#define DEF_CONTROL_MODE	0660
#define DEF_METRICS_LISTEN	"127.0.0.1:9542"
#define DEF_POOL_WEIGHT		1
#define DEF_MIN_SERVERS		1
#define DEF_MAX_DROP_PCT	50
#define DEF_DRAIN_GRACE_MS	10000
#define DEF_SCHEDULER		"wlc"
#define DEF_CHECK_INTERVAL_MS	1000
#define DEF_CHECK_TIMEOUT_MS	500
#define DEF_CHECK_RISE		2
#define DEF_CHECK_FALL		3
#define IFNAME_MAX		15

struct vctx {
	struct config *c;
	struct errlist *el;
	bool pools_named;	/* every pool has a name: "undefined pool" is meaningful */
};

static void verr(struct vctx *, const char *, int, const char *, const char *, ...)
    PRINTF_LIKE(5, 6);
static void vwarn(struct vctx *, const char *, int, const char *, const char *, ...)
    PRINTF_LIKE(5, 6);
static void check_duplicate_servers(struct vctx *, struct pool *, size_t);


/* One diagnostic into `el`, naming the file (the object's, else the config's). */
static void
vadd(struct vctx *v, struct errlist *el, const char *prefix, const char *src, int line,
    const char *path, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);

	errlist_add(el, src ? src : v->c->file, line, path, "%s%s", prefix, msg);
	free(msg);
}

static void
verr(struct vctx *v, const char *src, int line, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(v, v->el, "", src, line, path, fmt, ap);
	va_end(ap);
}

/* Accepted, but probably not what was meant: c->warnings, "...: PATH: warning: ...". */
static void
vwarn(struct vctx *v, const char *src, int line, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(v, &v->c->warnings, "warning: ", src, line, path, fmt, ap);
	va_end(ap);
}

static void
def_int(int *f, int def)
{
	if (*f == MODEL_UNSET)
		*f = def;
}

static void
def_str(char **f, const char *def)
{
	if (*f == NULL)
		*f = xstrdup(def);
}


static bool
is_abs_path(const char *s)
{
	return s != NULL && s[0] == '/';
}

/* Names must be usable in logs, metrics labels and file names. */
/* "path.field" in buf: errors name the setting, not only its object. */
static const char *
fpath(char *buf, size_t len, const char *path, const char *field)
{
	snprintf(buf, len, "%s.%s", path, field);
	return buf;
}

/*
 * Why `a` cannot be the address of a VIP, a peer or a server, or NULL.
 * IPVS and the election need a unicast host address; loopback is refused
 * where it cannot work (a VIP or a peer: nobody else can reach it) and
 * taken for a server (IPVS forwards to a local real server).
 */
static const char *
addr_unusable(const struct sockaddr_x *a, bool loopback_ok)
{
	if (a->af == AF_INET) {
		uint32_t h = ntohl(a->a.v4.s_addr);

		if ((h >> 24) == 0)
			return h == 0 ? "the unspecified address" : "in 0.0.0.0/8 (\"this network\")";
		if (h == 0xffffffffu)
			return "the broadcast address";
		if ((h >> 28) == 0xe)
			return "a multicast address";
		if ((h >> 28) == 0xf)
			return "reserved (240.0.0.0/4)";
		if ((h >> 24) == 127 && !loopback_ok)
			return "a loopback address";
	} else if (a->af == AF_INET6) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a->a.v6))
			return "the unspecified address";
		if (IN6_IS_ADDR_MULTICAST(&a->a.v6))
			return "a multicast address";
		if (IN6_IS_ADDR_LOOPBACK(&a->a.v6) && !loopback_ok)
			return "a loopback address";
	}
	return NULL;
}

/* An absolute path setting: the one check every path goes through. */
static void
check_abs_path(struct vctx *v, const char *src, int line, const char *path, const char *s)
{
	if (s != NULL && !is_abs_path(s))
		verr(v, src, line, path, "\"%s\" must be an absolute path", s);
}

static void
check_name(struct vctx *v, const char *src, int line, const char *base, const char *name)
{
	char path[192];

	if (name == NULL || name_valid(name))
		return;
	snprintf(path, sizeof(path), "%s.name", base);
	verr(v, src, line, path, "\"%s\": use letters, digits, '.', '_' and '-' "
	    "(starting with a letter or digit), at most %d characters", name, MODEL_NAME_MAX);
}

/* ------------------------------------------------------------ checks */

static void
check_defaults(struct check *ck)
{
	if (ck->type == CHECK_UNSET)
		ck->type = CHECK_TCP;
	def_int(&ck->interval_ms, DEF_CHECK_INTERVAL_MS);
	def_int(&ck->timeout_ms, DEF_CHECK_TIMEOUT_MS);
	def_int(&ck->rise, DEF_CHECK_RISE);
	def_int(&ck->fall, DEF_CHECK_FALL);
	if (ck->port == MODEL_UNSET)
		ck->port = 0;
	if (ck->type == CHECK_HTTP || ck->type == CHECK_HTTPS) {
		def_str(&ck->method, "GET");
		def_str(&ck->path, "/");
		if (ck->nexpect == 0) {
			ck->expect[0].lo = 200;
			ck->expect[0].hi = 299;
			ck->nexpect = 1;
		}
		if (ck->reuse_connection == MODEL_UNSET)
			ck->reuse_connection = 1;
	}
	if (ck->type == CHECK_HTTPS && ck->verify == MODEL_UNSET)
		ck->verify = 1;
}

/* Settings that only mean something for some probe types. */
static void
check_rules(struct vctx *v, const struct check *ck, const char *path, bool allow_exec)
{
	bool http = ck->type == CHECK_HTTP || ck->type == CHECK_HTTPS;
	const char *t = check_type_str(ck->type), *src = ck->src, *f;
	int line = ck->line;
	char fp[256];

	if (!http) {
		f = ck->method ? "method" : ck->path ? "path" : ck->host ? "host" :
		    ck->nexpect ? "expect" : ck->body ? "body" :
		    ck->reuse_connection != MODEL_UNSET ? "reuse_connection" : NULL;
		if (f != NULL)
			verr(v, src, line, fpath(fp, sizeof(fp), path, f), "method, path, host, "
			    "expect, body and reuse_connection apply to http and https checks only "
			    "(type is \"%s\")", t);
	} else {
		if (ck->method && strcmp(ck->method, "GET") != 0 && strcmp(ck->method, "HEAD") != 0)
			verr(v, src, line, fpath(fp, sizeof(fp), path, "method"),
			    "\"%s\": use GET or HEAD", ck->method);
		if (ck->path && ck->path[0] != '/')
			verr(v, src, line, fpath(fp, sizeof(fp), path, "path"),
			    "\"%.64s%s\" must start with /", ck->path, strlen(ck->path) > 64 ? "..." : "");
		else if (ck->path && strpbrk(ck->path, " \r\n") != NULL)
			verr(v, src, line, fpath(fp, sizeof(fp), path, "path"),
			    "must not contain spaces or line breaks");
		if (ck->body && ck->method && strcmp(ck->method, "HEAD") == 0)
			verr(v, src, line, fpath(fp, sizeof(fp), path, "body"),
			    "cannot match a HEAD response");
		if (ck->host && (ck->host[0] == '\0' || strpbrk(ck->host, " \r\n") != NULL))
			verr(v, src, line, fpath(fp, sizeof(fp), path, "host"),
			    "must not be empty or contain spaces or line breaks");
	}
	if (ck->type != CHECK_HTTPS) {
		f = ck->verify != MODEL_UNSET ? "verify" : ck->sni ? "sni" : ck->ca_file ? "ca_file" :
		    ck->client_cert ? "client_cert" : ck->client_key ? "client_key" : NULL;
		if (f != NULL)
			verr(v, src, line, fpath(fp, sizeof(fp), path, f), "verify, sni, ca_file, "
			    "client_cert and client_key apply to https checks only (type is \"%s\")", t);
	}
	if (ck->type == CHECK_HTTPS && (!ck->client_cert != !ck->client_key))
		verr(v, src, line, fpath(fp, sizeof(fp), path, ck->client_cert ? "client_key" :
		    "client_cert"), "client_cert and client_key go together");
	check_abs_path(v, src, line, fpath(fp, sizeof(fp), path, "ca_file"), ck->ca_file);
	check_abs_path(v, src, line, fpath(fp, sizeof(fp), path, "client_cert"), ck->client_cert);
	check_abs_path(v, src, line, fpath(fp, sizeof(fp), path, "client_key"), ck->client_key);
	if (ck->type != CHECK_EXEC && ck->argc > 0)
		verr(v, src, line, fpath(fp, sizeof(fp), path, "command"),
		    "applies to exec checks only");
	if (ck->type == CHECK_EXEC) {
		if (!allow_exec)
			verr(v, src, line, fpath(fp, sizeof(fp), path, "type"), "exec checks are "
			    "disabled (set checks.allow_exec = true to run commands)");
		if (ck->argc == 0)
			verr(v, src, line, fpath(fp, sizeof(fp), path, "command"),
			    "an exec check needs a command");
		else
			check_abs_path(v, src, line, fpath(fp, sizeof(fp), path, "command"),
			    ck->argv[0]);
	}
	if (ck->type == CHECK_NONE && ck->port > 0)
		verr(v, src, line, fpath(fp, sizeof(fp), path, "port"),
		    "has no effect on a check of type none");
	if (ck->timeout_ms > ck->interval_ms)
		verr(v, src, line, fpath(fp, sizeof(fp), path, "timeout_ms"), "%d exceeds "
		    "interval_ms %d: probes would overlap", ck->timeout_ms, ck->interval_ms);
}

/* ------------------------------------------------------------ pools */

static int
validate_server_qcmp(const void *a, const void *b)
{
	return model_server_cmp(a, b);
}

static void
validate_pool(struct vctx *v, struct pool *p, size_t idx)
{
	struct config *c = v->c;
	char path[128], spath[160];
	size_t i;

	snprintf(path, sizeof(path), "pools[%zu]", idx);
	def_int(&p->weight, DEF_POOL_WEIGHT);
	def_int(&p->min_servers, DEF_MIN_SERVERS);
	def_int(&p->max_drop_percent, DEF_MAX_DROP_PCT);
	def_int(&p->drain_grace_ms, DEF_DRAIN_GRACE_MS);
	if (p->initial_state == INIT_UNSET)
		p->initial_state = INIT_DOWN;
	check_defaults(&p->check);
	if (p->bad)
		return; /* its own error is the one to fix */
	check_name(v, p->src, p->line, path, p->name);
	snprintf(spath, sizeof(spath), "%s.check", path);
	check_rules(v, &p->check, spath, c->checks.allow_exec);

	check_abs_path(v, p->src, p->line, fpath(spath, sizeof(spath), path, "endpoints_file"),
	    p->endpoints_file);
	if (p->nservers == 0 && p->endpoints_file == NULL && c->router.endpoints_dir == NULL)
		verr(v, p->src, p->line, fpath(spath, sizeof(spath), path, "servers"), "pool \"%s\" "
		    "has no servers and no endpoints_file", p->name);
	if (p->endpoints_file == NULL && c->router.endpoints_dir == NULL &&
	    p->nservers > 0 && (size_t)p->min_servers > p->nservers)
		verr(v, p->src, p->line, fpath(spath, sizeof(spath), path, "min_servers"), "%d is "
		    "more than the pool's %zu servers", p->min_servers, p->nservers);

	for (i = 0; i < p->nservers; i++) {
		struct server *s = &p->servers[i];
		const char *why;
		char fp[200];

		snprintf(spath, sizeof(spath), "%s.servers[%zu]", path, i);
		def_int(&s->weight, p->weight);
		check_merge(&s->check, &p->check, &s->check_override);
		check_defaults(&s->check);
		if (s->bad)
			continue;
		if ((why = addr_unusable(&s->addr, true)) != NULL) {
			char a[SOCKADDR_X_STRLEN];

			verr(v, s->src, s->line, fpath(fp, sizeof(fp), spath, "address"), "%s is %s: "
			    "a server needs a unicast host address",
			    sockaddr_x_fmt_addr(&s->addr, a, sizeof(a)), why);
		}
		if (s->upper_threshold > 0 && s->lower_threshold > s->upper_threshold)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), spath, "lower_threshold"),
			    "%d exceeds upper_threshold %d", s->lower_threshold, s->upper_threshold);
		if (s->check_override.line > 0) {
			char cpath[200];

			snprintf(cpath, sizeof(cpath), "%s.check", spath);
			check_rules(v, &s->check, cpath, c->checks.allow_exec);
		}
	}
	check_duplicate_servers(v, p, idx);
}

static int
server_ptr_qcmp(const void *a, const void *b)
{
	const struct server *x = *(const struct server *const *)a;
	const struct server *y = *(const struct server *const *)b;
	int r = sockaddr_x_cmp(&x->addr, &y->addr);

	/* equal addresses: file order, so the later one is reported */
	return r != 0 ? r : (x < y ? -1 : x > y);
}

/* Sort pointers and compare neighbours: O(n log n), for pools of 100,000 servers. */
static void
check_duplicate_servers(struct vctx *v, struct pool *p, size_t idx)
{
	struct server **sp;
	char spath[160], a[SOCKADDR_X_STRLEN];
	size_t i;

	if (p->nservers < 2)
		return;
	sp = xreallocarray(NULL, p->nservers, sizeof(*sp));
	for (i = 0; i < p->nservers; i++)
		sp[i] = &p->servers[i];
	qsort(sp, p->nservers, sizeof(*sp), server_ptr_qcmp);
	for (i = 1; i < p->nservers; i++) {
		if (sp[i]->bad || sp[i - 1]->bad || sp[i]->addr.af == 0 ||
		    sockaddr_x_cmp(&sp[i - 1]->addr, &sp[i]->addr) != 0)
			continue;
		snprintf(spath, sizeof(spath), "pools[%zu].servers[%zu]", idx,
		    (size_t)(sp[i] - p->servers));
		verr(v, sp[i]->src, sp[i]->line, spath, "server %s is listed twice "
		    "(also pools[%zu].servers[%zu], line %d)",
		    sockaddr_x_fmt(&sp[i]->addr, a, sizeof(a)), idx,
		    (size_t)(sp[i - 1] - p->servers), sp[i - 1]->line);
	}
	free(sp);
}

/* ------------------------------------------------------------ vips */

/* A scheduler that sends a flow to the same server on every router that has the same
 * destinations (in the same order, which the dataplane keeps for these). */
static bool
sched_hashes(const char *s)
{
	return strcmp(s, "mh") == 0 || strcmp(s, "sh") == 0 || strcmp(s, "dh") == 0;
}

static size_t
pool_static_servers(const struct pool *p)
{
	size_t k, n = 0;

	for (k = 0; p != NULL && k < p->nservers; k++)
		if (!p->servers[k].dynamic)
			n++;
	return n;
}

/*
 * The scheduler when the file names none (then true).  Standalone: wlc.  With an election: mh with
 * port hashing and fallback, which every router computes alike from the same destinations, so a
 * router that takes the VIP over sends each established flow (picked up mid-flow with
 * sloppy_tcp) to the server it was on (issue #17, bench/failover-flows).
 * A pool too large for mh's table keeps wlc, with a warning.
 */
static bool
default_scheduler(struct vctx *v, struct service *s, const char *path)
{
	const struct pool *p;
	char fp[192];

	if (s->scheduler != NULL)
		return false;
	p = s->pool_name ? config_find_pool(v->c, s->pool_name) : NULL;
	if (!v->c->election.present) {
		s->scheduler = xstrdup(DEF_SCHEDULER);
		return true;
	}
	if (pool_static_servers(p) > MODEL_MH_MAX_DESTS) {
		s->scheduler = xstrdup(DEF_SCHEDULER);
		vwarn(v, s->src, s->line, fpath(fp, sizeof(fp), path, "scheduler"), "not set: "
		    "wlc, not mh (the default with an election), because pool \"%s\" has more "
		    "servers than mh holds (%d); established connections are reset when another "
		    "router takes the VIP", p->name, MODEL_MH_MAX_DESTS);
		return true;
	}
	/* mh-port: one client's connections spread over the servers; mh-fallback: a new
	 * connection that hashes to a server at weight 0 (down, drained) goes to the next
	 * one instead of being refused (established ones are not moved either way) */
	s->scheduler = xstrdup("mh");
	s->sched_flags |= SCHED_F_PORT | SCHED_F_FALLBACK;
	return true;
}

/* Whether election.sync_daemon follows the role of VIP vp (named, or the only VIP). */
static bool
sync_follows(const struct config *c, const struct vip *vp)
{
	const struct sync_daemon *sd = &c->election.sync;

	if (!c->election.present || !sd->present)
		return false;
	if (sd->vip == NULL)
		return c->nvips == 1;
	return vp->name != NULL && strcmp(sd->vip, vp->name) == 0;
}

/*
 * With an election, a TCP or SCTP service whose scheduler does not hash (wlc, rr, ...)
 * loses its established connections on a failover: the new master has no entry for
 * them and schedules each mid-flow packet afresh, most likely to another server,
 * which answers with a reset.  Accepted (it may be what the operator wants), with a
 * warning.  UDP is left alone: a datagram flow has no state to lose on the server.
 */
static void
ha_scheduler_warn(struct vctx *v, const struct vip *vp, const struct service *s, const char *path)
{
	char fp[192];

	if (!v->c->election.present || s->scheduler == NULL || sched_hashes(s->scheduler))
		return;
	if (sync_follows(v->c, vp))
		return;	/* the new master knows the connections from the sync daemon */
	if (s->fwmark == 0 && s->protocol == PROTO_UDP)
		return;
	vwarn(v, s->src, s->line, fpath(fp, sizeof(fp), path, "scheduler"), "\"%s\" with an "
	    "election: established connections are reset when another router takes the VIP "
	    "(it schedules their next packet afresh); mh, the default with an election, "
	    "keeps them", s->scheduler);
}

static void
validate_service(struct vctx *v, struct vip *vp, size_t vi, struct service *s, size_t si)
{
	struct config *c = v->c;
	char path[128], fp[192];
	bool defaulted;
	size_t k;

	snprintf(path, sizeof(path), "vips[%zu].services[%zu]", vi, si);
	if (s->fwmark != 0) {
		if (s->port != 0 || s->protocol != (enum proto)MODEL_UNSET)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, s->port != 0 ? "port" :
			    "protocol"), "a fwmark service has no port or protocol");
		s->port = 0;
		s->protocol = PROTO_TCP;
	} else {
		if (s->port == 0 && !s->bad)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "port"),
			    "a service needs a port (or a fwmark)");
		if (s->protocol == (enum proto)MODEL_UNSET)
			s->protocol = PROTO_TCP;
	}
	defaulted = default_scheduler(v, s, path);
	if (s->bad)
		return; /* its own error is the one to fix */
	if (!defaulted)
		ha_scheduler_warn(v, vp, s, path);
	if (!scheduler_known(s->scheduler))
		verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "scheduler"), "unknown "
		    "scheduler \"%.64s\" (rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)",
		    s->scheduler);
	if ((s->sched_flags & SCHED_F_ONEPACKET) && (s->fwmark != 0 || s->protocol != PROTO_UDP))
		verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "scheduler_flags"),
		    "ops (one-packet scheduling) is for udp services only (protocol is %s)",
		    s->fwmark != 0 ? "any, a fwmark service" : proto_str(s->protocol));
	if (s->method == (enum fwd_method)MODEL_UNSET)
		s->method = FWD_DR;
	if (s->method != FWD_TUN) {
		if (s->tun_type != (enum tun_type)MODEL_UNSET || s->tun_port != 0)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "tunnel"),
			    "applies to method \"tun\" only");
		s->tun_type = TUN_IPIP;
		s->tun_port = 0;
		s->tun_nocsum = true;
	} else {
		if (s->tun_type == (enum tun_type)MODEL_UNSET)
			s->tun_type = TUN_IPIP;
		if (s->tun_type == TUN_GUE && s->tun_port == 0)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "tunnel.port"),
			    "a gue tunnel needs one");
		if (s->tun_type != TUN_GUE && s->tun_port != 0)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "tunnel.port"),
			    "applies to gue tunnels only (tunnel.type is \"%s\")",
			    tun_type_str(s->tun_type));
		if (s->tun_type == TUN_IPIP)
			s->tun_nocsum = true;
	}
	if (s->persistence_prefix == MODEL_UNSET)
		s->persistence_prefix = vp->addr.af == AF_INET6 ? 128 : 32;
	else if (vp->addr.af == AF_INET && s->persistence_prefix > 32)
		verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "persistence_prefix"), "%d is "
		    "longer than an IPv4 address (0..32)", s->persistence_prefix);

	/* unique within the VIP; fwmarks unique across VIPs of a family */
	for (k = 0; k < si; k++) {
		struct service *o = &vp->services[k];

		if (o->bad)
			continue;
		if (o->fwmark == s->fwmark && (s->fwmark != 0 ||
		    (o->protocol == s->protocol && o->port == s->port))) {
			if (s->fwmark)
				verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "fwmark"),
				    "fwmark %u is declared twice in vip "
				    "\"%s\" (also line %d)", s->fwmark, vp->name ? vp->name : "?",
				    o->line);
			else
				verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "port"),
				    "%s port %d is declared twice in vip "
				    "\"%s\" (also line %d)", proto_str(s->protocol), s->port,
				    vp->name ? vp->name : "?", o->line);
		}
	}

	s->pool = config_find_pool(c, s->pool_name);
	if (s->pool == NULL) {
		if (v->pools_named)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "pool"),
			    "\"%.64s%s\" is not defined", s->pool_name,
			    strlen(s->pool_name) > 64 ? "..." : "");
		return;
	}
	if (s->pool->bad)
		return; /* nothing to check through a pool that did not load */
	/* mh cannot be bound to more destinations than its table has slots */
	if (strcmp(s->scheduler, "mh") == 0) {
		size_t nstatic = pool_static_servers(s->pool);

		if (nstatic > MODEL_MH_MAX_DESTS)
			verr(v, s->src, s->line, fpath(fp, sizeof(fp), path, "pool"),
			    "pool \"%s\" has %zu servers; scheduler mh holds at most %d "
			    "destinations per service (the kernel's mh table has %d slots)",
			    s->pool->name, nstatic, MODEL_MH_MAX_DESTS, MODEL_MH_MAX_DESTS);
	}
	/* Destinations must be reachable the way the method forwards. */
	for (k = 0; k < s->pool->nservers; k++) {
		struct server *sv = &s->pool->servers[k];
		char a[SOCKADDR_X_STRLEN];

		if (sv->addr.af != 0 && vp->addr.af != 0 && sv->addr.af != vp->addr.af &&
		    s->method != FWD_TUN) {
			verr(v, s->src, s->line, path, "pool \"%s\" has server %s (line %d) of "
			    "another address family than the vip (only method tun can mix them)",
			    s->pool->name, sockaddr_x_fmt_addr(&sv->addr, a, sizeof(a)), sv->line);
			break;
		}
	}
	/* A fwmark service has no port: a probe needs one from the pool, server or check. */
	if (s->fwmark != 0 && s->pool->port == 0) {
		for (k = 0; k < s->pool->nservers; k++) {
			struct server *sv = &s->pool->servers[k];
			enum check_type t = sv->check.type;
			char a[SOCKADDR_X_STRLEN];

			if (sv->addr.port == 0 && sv->check.port <= 0 &&
			    (t == CHECK_TCP || t == CHECK_HTTP || t == CHECK_HTTPS)) {
				verr(v, s->src, s->line, path, "fwmark service: pool \"%s\" server %s "
				    "(line %d) has no port to probe; set check.port (or a pool or "
				    "server port)", s->pool->name,
				    sockaddr_x_fmt_addr(&sv->addr, a, sizeof(a)), sv->line);
				break;
			}
		}
	}
	if (s->method != FWD_DR || s->fwmark != 0)
		return;
	if (s->pool->port != 0 && s->pool->port != s->port) {
		verr(v, s->src, s->line, path, "method dr cannot change the port: pool \"%s\" "
		    "(line %d) sends to port %d, the service listens on %d; use pool port 0 or "
		    "method nat", s->pool->name, s->pool->line, s->pool->port, s->port);
		return;
	}
	for (k = 0; k < s->pool->nservers; k++) {
		struct server *sv = &s->pool->servers[k];
		char a[SOCKADDR_X_STRLEN];

		if (sv->addr.port != 0 && sv->addr.port != s->port) {
			verr(v, s->src, s->line, path, "method dr cannot change the port: pool "
			    "\"%s\" server %s (line %d) listens on another port than %d; use "
			    "method nat", s->pool->name, sockaddr_x_fmt(&sv->addr, a, sizeof(a)),
			    sv->line, s->port);
			break;
		}
	}
}

static int
prio_qcmp(const void *a, const void *b)
{
	return strcmp(((const struct router_prio *)a)->router,
	    ((const struct router_prio *)b)->router);
}

static int
raddr_qcmp(const void *a, const void *b)
{
	return strcmp(((const struct router_addr *)a)->router,
	    ((const struct router_addr *)b)->router);
}

static int
service_qcmp(const void *a, const void *b)
{
	return model_service_cmp(a, b);
}

/*
 * announce = "bgp": the VIP is not elected but announced by every router whose
 * pools serve it, as a route BIRD exports; the election's own settings do not
 * apply, the address goes on lo unless an interface is named.
 */
static void
validate_bgp_vip(struct vctx *v, struct vip *vp, const char *path)
{
	char fp[128];

	if (vp->vrid != MODEL_UNSET)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "vrid"),
		    "an announce = \"bgp\" VIP is not elected: remove its vrid");
	vp->vrid = 0;
	if (vp->nprios > 0)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "priority"),
		    "an announce = \"bgp\" VIP is not elected: every healthy router announces "
		    "it (remove priority)");
	if (vp->eip.allocation_id != NULL || vp->move_private_ip)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path,
		    vp->eip.allocation_id != NULL ? "eip" : "move_private_ip"),
		    "an announce = \"bgp\" VIP is reached through BGP, not an AWS address "
		    "(a VPC has no BGP to its instances: use announce = \"election\")");
	if (vp->on_pool_failure == TRACK_FAULT || vp->on_pool_failure == TRACK_LOWER_PRIORITY)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "on_pool_failure"),
		    "%s is for elected VIPs; an announce = \"bgp\" VIP takes withdraw (the "
		    "default) or ignore", track_action_str(vp->on_pool_failure));
	if (vp->on_pool_failure == TRACK_UNSET)
		vp->on_pool_failure = TRACK_WITHDRAW;
	if (vp->interface == NULL)
		vp->interface = xstrdup("lo");
	vp->garp.enabled = false; /* routed to, never ARPed for */
}

/* The bgp section: defaults, and a table the kernel does not reserve. */
static void
validate_bgp(struct vctx *v)
{
	struct config *c = v->c;
	struct bgp_conf *b = &c->bgp;
	size_t i;
	bool any = false;

	for (i = 0; i < c->nvips; i++)
		any = any || c->vips[i].announce == ANNOUNCE_BGP;
	if (!any && !b->present)
		return;
	if (b->table == 0)
		b->table = BGP_DEFAULT_TABLE;
	if (b->table >= 253 && b->table <= 255)
		verr(v, b->src, b->line, "bgp.table", "%u is the kernel's own (default, main or "
		    "local): give ipvs-router a table of its own, e.g. %d", b->table,
		    BGP_DEFAULT_TABLE);
	def_int(&b->withdraw_grace_ms, 1000);
}

static void
validate_vip(struct vctx *v, struct vip *vp, size_t idx)
{
	struct config *c = v->c;
	struct election *e = &c->election;
	char path[64], a[SOCKADDR_X_STRLEN], fp[128];
	const char *why;
	size_t i, j;

	snprintf(path, sizeof(path), "vips[%zu]", idx);
	if (vp->bad) {
		/* its own error is the one to fix; its services depend on its address */
		for (i = 0; i < vp->nservices; i++)
			vp->services[i].bad = true;
		return;
	}
	check_name(v, vp->src, vp->line, path, vp->name);
	if ((why = addr_unusable(&vp->addr, false)) != NULL)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "address"), "%s is %s: "
		    "a VIP needs a unicast host address", sockaddr_x_fmt_addr(&vp->addr, a,
		    sizeof(a)), why);
	if (vp->announce == ANNOUNCE_BGP)
		validate_bgp_vip(v, vp, path);
	else if (vp->on_pool_failure == TRACK_WITHDRAW)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "on_pool_failure"),
		    "withdraw is for announce = \"bgp\" VIPs; an elected VIP takes fault, "
		    "lower-priority or ignore");
	if (e->present && vp->vrid == MODEL_UNSET && vp->announce != ANNOUNCE_BGP)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "vrid"),
		    "needed (1..255) for the election");
	if (vp->vrid == MODEL_UNSET)
		vp->vrid = 0;
	if (vp->interface == NULL && c->router.interface != NULL)
		vp->interface = xstrdup(c->router.interface);
	if (vp->interface != NULL && (strlen(vp->interface) == 0 ||
	    strlen(vp->interface) > IFNAME_MAX || strchr(vp->interface, '/') != NULL))
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "interface"),
		    "\"%.64s\" is not a valid interface name", vp->interface);
	if (vp->manage_address && vp->interface == NULL)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "interface"),
		    "no interface for the address: set "
		    "vips[%zu].interface or router.interface (or manage_address = false)", idx);

	/* election parameters, inherited (an inherited value was checked at its source) */
	if (vp->advert_interval_ms != MODEL_UNSET && vp->advert_interval_ms % 10 != 0)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "advert_interval_ms"),
		    "%d is not a multiple of 10 (VRRPv3 counts centiseconds)",
		    vp->advert_interval_ms);
	def_int(&vp->advert_interval_ms, e->advert_interval_ms);
	def_int(&vp->preempt, e->preempt ? 1 : 0);
	def_int(&vp->preempt_delay_ms, e->preempt_delay_ms);
	if (vp->on_pool_failure == TRACK_UNSET)
		vp->on_pool_failure = TRACK_FAULT;
	def_int(&vp->priority_decrement, DEF_DECREMENT);
	def_int(&vp->garp.count, DEF_GARP_COUNT);
	def_int(&vp->garp.interval_ms, DEF_GARP_INTERVAL_MS);
	def_int(&vp->garp.refresh_ms, 0);
	if (vp->garp.refresh_ms != 0 && vp->garp.refresh_ms < 1000)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "garp.refresh_ms"),
		    "%d: use 0 (off) or at least 1000", vp->garp.refresh_ms);

	/* priorities: keys are peers; none given = every peer at the default */
	for (i = 0; i < vp->nprios; i++) {
		if (e->present && config_find_peer(c, vp->prios[i].router) == NULL) {
			char pp[160];

			snprintf(pp, sizeof(pp), "%s.priority.%s", path, vp->prios[i].router);
			verr(v, vp->src, vp->line, pp, "\"%s\" is not one of election.peers",
			    vp->prios[i].router);
		}
	}
	if (vp->nprios == 0 && e->present && e->npeers > 0 && vp->announce != ANNOUNCE_BGP) {
		free(vp->prios); /* "priority = { };" loaded an empty array */
		vp->prios = xcalloc(e->npeers, sizeof(*vp->prios));
		for (i = 0; i < e->npeers; i++) {
			if (e->peers[i].name == NULL)
				continue;
			vp->prios[vp->nprios].router = xstrdup(e->peers[i].name);
			vp->prios[vp->nprios].priority = DEF_PRIORITY;
			vp->nprios++;
		}
	}
	if (e->present && vp->nprios > 0 && c->router.name != NULL &&
	    vip_priority(vp, c->router.name) == 0)
		log_debug("vip %s: router %s has no priority for it and will not serve it",
		    vp->name ? vp->name : "?", c->router.name);

	/* AWS */
	if (vp->eip.allocation_id != NULL) {
		if (strncmp(vp->eip.allocation_id, "eipalloc-", 9) != 0 ||
		    vp->eip.allocation_id[9] == '\0')
			verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "eip.allocation_id"),
			    "\"%.64s\" does not look like eipalloc-...", vp->eip.allocation_id);
		if (vp->addr.af == AF_INET6)
			verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "eip"), "an Elastic "
			    "IP is IPv4: it cannot front IPv6 vip %s",
			    sockaddr_x_fmt_addr(&vp->addr, a, sizeof(a)));
		c->aws.present = true;
	}
	for (i = 0; i < vp->eip.nprivate_ips; i++) {
		struct router_addr *ra = &vp->eip.private_ips[i];

		char pp[160];

		snprintf(pp, sizeof(pp), "%s.eip.private_ip.%s", path, ra->router);
		if (e->present && config_find_peer(c, ra->router) == NULL)
			verr(v, vp->src, vp->line, pp, "\"%s\" is not one of election.peers",
			    ra->router);
		if (ra->addr.af != AF_INET)
			verr(v, vp->src, vp->line, pp, "must be an IPv4 address");
	}
	if (vp->move_private_ip) {
		if (vp->addr.af != AF_INET)
			verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "move_private_ip"),
			    "needs an IPv4 vip address");
		c->aws.present = true;
	}

	if (vp->nservices == 0)
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "services"),
		    "a vip needs at least one service");
	for (i = 0; i < vp->nservices; i++)
		validate_service(v, vp, idx, &vp->services[i], i);

	/*
	 * One address, one VIP: two elections owning one address would each add
	 * and remove it (one can delete it while the other is master).  Another
	 * port on the same address is another service of the same VIP.
	 */
	for (j = 0; j < idx; j++) {
		struct vip *o = &c->vips[j];

		if (o->bad || o->addr.af == 0 || sockaddr_x_cmp_addr(&o->addr, &vp->addr) != 0)
			continue;
		verr(v, vp->src, vp->line, fpath(fp, sizeof(fp), path, "address"),
		    "vip %s: address %s is already vip %s's (line %d); add the port as a "
		    "service of vip %s", vp->name, sockaddr_x_fmt_addr(&vp->addr, a, sizeof(a)),
		    o->name, o->line, o->name);
		break;
	}
}

/* VRIDs unique per address family; names unique; fwmarks unique per family. */
static void
validate_vip_set(struct vctx *v)
{
	struct config *c = v->c;
	size_t i, j, k, l;
	char path[64];

	for (i = 0; i < c->nvips; i++) {
		struct vip *a = &c->vips[i];
		char fp[96];

		if (a->bad)
			continue;
		snprintf(path, sizeof(path), "vips[%zu]", i);
		for (j = 0; j < i; j++) {
			struct vip *b = &c->vips[j];

			if (b->bad)
				continue;
			if (strcmp(a->name, b->name) == 0)
				verr(v, a->src, a->line, fpath(fp, sizeof(fp), path, "name"),
				    "vip name \"%s\" is used twice (also line %d)", a->name, b->line);
			if (c->election.present && a->vrid > 0 && a->vrid == b->vrid &&
			    a->addr.af == b->addr.af)
				verr(v, a->src, a->line, fpath(fp, sizeof(fp), path, "vrid"),
				    "vrid %d is used twice for IPv%c "
				    "(also vip \"%s\", line %d)", a->vrid,
				    a->addr.af == AF_INET6 ? '6' : '4', b->name ? b->name : "?",
				    b->line);
			for (k = 0; k < a->nservices; k++)
				for (l = 0; l < b->nservices; l++)
					if (a->services[k].fwmark != 0 &&
					    a->services[k].fwmark == b->services[l].fwmark &&
					    a->addr.af == b->addr.af) {
						char sp[128];

						snprintf(sp, sizeof(sp), "%s.services[%zu].fwmark", path, k);
						verr(v, a->services[k].src, a->services[k].line, sp,
						    "fwmark %u is also used by vip \"%s\"",
						    a->services[k].fwmark, b->name);
					}
		}
	}
}

/*
 * election.sync_daemon, once the VIPs are checked: it follows one VIP's role (the only
 * one when it names none), on that VIP's interface, syncid its vrid.  The kernel takes
 * only a multicast group: its backup daemon joins the group (IPVS_CMD_NEW_DAEMON with
 * a unicast IPVS_DAEMON_ATTR_MCAST_GROUP is refused with EINVAL; tests/integration/
 * ipvs-syncd pins it).
 */
static void
validate_sync(struct vctx *v)
{
	struct config *c = v->c;
	struct sync_daemon *sd = &c->election.sync;
	const struct vip *vp = NULL;
	char a[SOCKADDR_X_STRLEN];
	size_t i, n = 0;

	def_int(&sd->port, DEF_SYNC_PORT);
	def_int(&sd->ttl, 1);
	if (!c->election.present || !sd->present)
		return;
	if (sd->vip != NULL) {
		vp = config_find_vip(c, sd->vip);
		if (vp == NULL)
			verr(v, sd->src, sd->line, "election.sync_daemon.vip", "\"%.64s\" is not "
			    "one of the vips", sd->vip);
	} else {
		for (i = 0; i < c->nvips; i++)
			if (!c->vips[i].bad) {
				vp = &c->vips[i];
				n++;
			}
		if (n != 1) {
			verr(v, sd->src, sd->line, "election.sync_daemon.vip", "needed: %zu VIPs "
			    "have an election; name the one whose master runs the master sync "
			    "daemon", n);
			vp = NULL;
		} else {
			sd->vip = xstrdup(vp->name);
		}
	}
	if (sd->interface == NULL && vp != NULL && vp->interface != NULL)
		sd->interface = xstrdup(vp->interface);
	if (sd->interface == NULL && vp != NULL)
		verr(v, sd->src, sd->line, "election.sync_daemon.interface", "needed: vip \"%s\" "
		    "has no interface", vp->name);
	else if (sd->interface != NULL && (strlen(sd->interface) == 0 ||
	    strlen(sd->interface) > IFNAME_MAX || strchr(sd->interface, '/') != NULL))
		verr(v, sd->src, sd->line, "election.sync_daemon.interface", "\"%.64s\" is not a "
		    "valid interface name", sd->interface);
	if (sd->syncid == MODEL_UNSET)
		sd->syncid = vp != NULL ? vp->vrid : 0;
	if (sd->group.af == 0) {
		sd->group.af = AF_INET;
		sd->group.a.v4.s_addr = htonl(DEF_SYNC_GROUP);
	} else if (sd->group.af == AF_INET ? (ntohl(sd->group.a.v4.s_addr) >> 28) != 0xe :
	    !IN6_IS_ADDR_MULTICAST(&sd->group.a.v6)) {
		verr(v, sd->src, sd->line, "election.sync_daemon.group", "%s is not a multicast "
		    "address: the kernel's backup daemon joins the group (a unicast peer is "
		    "refused)", sockaddr_x_fmt_addr(&sd->group, a, sizeof(a)));
	}
}

/* ------------------------------------------------------------ sections */

static void
validate_election(struct vctx *v)
{
	struct config *c = v->c;
	struct election *e = &c->election;
	size_t i, j;
	char path[64];

	def_int(&e->advert_interval_ms, DEF_ADVERT_MS);
	/* With the sync daemon, a router that starts learns the master's connections only as
	 * they send packets (the kernel syncs one after sync_threshold packets, 3, then every
	 * sync_period, 50): it waits before it preempts (bench/failover-flows: 0 of 200 NAT
	 * flows survived the move back without the wait, 200 with 10 s) */
	def_int(&e->preempt_delay_ms, e->sync.present ? DEF_SYNC_PREEMPT_DELAY_MS : 0);
	def_int(&e->ttl_check, 1);
	def_int(&e->notify_timeout_ms, DEF_NOTIFY_MS);
	if (!e->present)
		return;
	if (e->advert_interval_ms % 10 != 0)
		verr(v, e->src, e->line, "election.advert_interval_ms", "%d is not a multiple "
		    "of 10 (VRRPv3 counts centiseconds)", e->advert_interval_ms);
	if (e->auth == AUTH_UNSET)
		e->auth = e->auth_key_file != NULL ? AUTH_HMAC : AUTH_NONE;
	if (e->auth == AUTH_HMAC && e->auth_key_file == NULL)
		verr(v, e->src, e->line, "election.auth", "hmac-sha256 needs auth_key_file");
	if (e->auth == AUTH_NONE && e->auth_key_file != NULL)
		verr(v, e->src, e->line, "election.auth_key_file", "is set but auth is \"none\": "
		    "remove one of them");
	check_abs_path(v, e->src, e->line, "election.auth_key_file", e->auth_key_file);
	if (e->notify_argc > 0)
		check_abs_path(v, e->src, e->line, "election.notify.command", e->notify_argv[0]);
	if (e->npeers == 0)
		verr(v, e->src, e->line, "election.peers", "list at least this router");
	for (i = 0; i < e->npeers; i++) {
		struct peer *p = &e->peers[i];
		char a[SOCKADDR_X_STRLEN], fp[96];
		const char *why;

		if (p->bad)
			continue;
		snprintf(path, sizeof(path), "election.peers[%zu]", i);
		check_name(v, p->src, p->line, path, p->name);
		if ((why = addr_unusable(&p->addr, false)) != NULL)
			verr(v, p->src, p->line, fpath(fp, sizeof(fp), path, "address"), "%s is %s: "
			    "a peer needs a unicast host address",
			    sockaddr_x_fmt_addr(&p->addr, a, sizeof(a)), why);
		for (j = 0; j < i; j++) {
			if (e->peers[j].bad)
				continue;
			if (strcmp(p->name, e->peers[j].name) == 0)
				verr(v, p->src, p->line, fpath(fp, sizeof(fp), path, "name"),
				    "peer \"%s\" is listed twice", p->name);
			if (sockaddr_x_cmp(&p->addr, &e->peers[j].addr) == 0)
				verr(v, p->src, p->line, fpath(fp, sizeof(fp), path, "address"),
				    "%s is also peer \"%s\"", sockaddr_x_fmt(&p->addr, a, sizeof(a)),
				    e->peers[j].name);
		}
	}
	if (c->router.name != NULL && e->npeers > 0 && config_find_peer(c, c->router.name) == NULL)
		verr(v, e->src, e->line, "election.peers", "this router (\"%s\") is not among the "
		    "peers: add it, or set router.name / -n to one of them", c->router.name);
}

static bool
url_has_scheme(const char *u, bool allow_http)
{
	return strncmp(u, "https://", 8) == 0 || (allow_http && strncmp(u, "http://", 7) == 0);
}

static void
validate_sections(struct vctx *v)
{
	struct config *c = v->c;

	check_name(v, c->router.src, c->router.line, "router", c->router.name);
	if (c->router.name == NULL && c->election.present)
		verr(v, c->router.src, c->router.line, "router.name", "not set and no host name: "
		    "set it or pass -n NAME");
	if (c->router.interface != NULL && (strlen(c->router.interface) == 0 ||
	    strlen(c->router.interface) > IFNAME_MAX))
		verr(v, c->router.src, c->router.line, "router.interface", "\"%s\" is not a valid "
		    "interface name", c->router.interface);
	check_abs_path(v, c->router.src, c->router.line, "router.endpoints_dir",
	    c->router.endpoints_dir);
	def_str(&c->router.syslog_facility, "daemon");
	if (log_facility_from_str(c->router.syslog_facility) < 0)
		verr(v, c->router.src, c->router.line, "router.syslog_facility", "unknown facility "
		    "\"%s\" (daemon, user, local0..local7)", c->router.syslog_facility);

	def_int(&c->ipvs.reconcile_interval_ms, DEF_RECONCILE_MS);
	if (c->ipvs.reconcile_interval_ms != 0 && c->ipvs.reconcile_interval_ms < 1000)
		verr(v, c->ipvs.src, c->ipvs.line, "ipvs.reconcile_interval_ms", "%d: use 0 (off) "
		    "or at least 1000", c->ipvs.reconcile_interval_ms);
	def_int(&c->ipvs.traffic_interval_ms, DEF_TRAFFIC_MS);
	if (c->ipvs.traffic_interval_ms != 0 && c->ipvs.traffic_interval_ms < 1000)
		verr(v, c->ipvs.src, c->ipvs.line, "ipvs.traffic_interval_ms", "%d: use 0 (off) "
		    "or at least 1000", c->ipvs.traffic_interval_ms);
	def_int(&c->checks.jitter_percent, DEF_JITTER_PCT);
	/* With an election, another router may take the VIP mid-flow: sloppy lets its IPVS
	 * pick up a connection from a packet other than the first (a SYN or an INIT). */
	if (c->election.present && c->ipvs.sloppy_tcp == 0)
		vwarn(v, c->ipvs.src, c->ipvs.line, "ipvs.sloppy_tcp", "false with an election: "
		    "established TCP connections are reset when another router takes the VIP "
		    "(its IPVS ignores their packets, its TCP stack answers with a reset)");
	def_int(&c->ipvs.sloppy_tcp, c->election.present ? 1 : 0);
	def_int(&c->ipvs.sloppy_sctp, c->election.present ? 1 : 0);

	def_int(&c->aws.verify_interval_ms, DEF_AWS_VERIFY_MS);
	def_int(&c->aws.api_timeout_ms, DEF_AWS_TIMEOUT_MS);
	if (c->aws.ec2_endpoint != NULL && !url_has_scheme(c->aws.ec2_endpoint, false))
		verr(v, c->aws.src, c->aws.line, "aws.ec2_endpoint", "\"%s\" must be an https:// URL",
		    c->aws.ec2_endpoint);
	if (c->aws.imds_endpoint != NULL && !url_has_scheme(c->aws.imds_endpoint, true))
		verr(v, c->aws.src, c->aws.line, "aws.imds_endpoint", "\"%s\" must be an http:// "
		    "or https:// URL", c->aws.imds_endpoint);
	check_abs_path(v, c->aws.src, c->aws.line, "aws.ca_file", c->aws.ca_file);
	if (c->aws.network_interface_id != NULL &&
	    strncmp(c->aws.network_interface_id, "eni-", 4) != 0)
		verr(v, c->aws.src, c->aws.line, "aws.network_interface_id", "\"%s\" does not look "
		    "like eni-...", c->aws.network_interface_id);
	if (c->aws.api_timeout_ms > c->aws.verify_interval_ms)
		verr(v, c->aws.src, c->aws.line, "aws.api_timeout_ms", "%d exceeds "
		    "verify_interval_ms %d", c->aws.api_timeout_ms, c->aws.verify_interval_ms);

	def_str(&c->control.socket, DEF_CONTROL_SOCKET);
	def_int(&c->control.mode, DEF_CONTROL_MODE);
	if (!is_abs_path(c->control.socket))
		check_abs_path(v, c->control.src, c->control.line, "control.socket",
		    c->control.socket);
	else if (strlen(c->control.socket) >= 108)
		verr(v, c->control.src, c->control.line, "control.socket", "path is longer than a "
		    "unix socket allows (107 bytes)");
	if (c->metrics.listen.af == 0)
		sockaddr_x_parse(DEF_METRICS_LISTEN, true, &c->metrics.listen);
}

/* ------------------------------------------------------------ entry */

static int
pool_qcmp(const void *a, const void *b)
{
	return model_pool_cmp(a, b);
}

static int
vip_qcmp(const void *a, const void *b)
{
	return model_vip_cmp(a, b);
}

static int
peer_qcmp(const void *a, const void *b)
{
	return model_peer_cmp(a, b);
}

/* qsort that accepts an empty (NULL) array, which the C library must not be given. */
static void
sort_array(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* Sort every collection into its total order, then link services to pools. */
static void
config_sort(struct config *c)
{
	size_t i, j;

	sort_array(c->pools, c->npools, sizeof(*c->pools), pool_qcmp);
	for (i = 0; i < c->npools; i++)
		sort_array(c->pools[i].servers, c->pools[i].nservers, sizeof(struct server),
		    validate_server_qcmp);
	sort_array(c->election.peers, c->election.npeers, sizeof(struct peer), peer_qcmp);
	sort_array(c->vips, c->nvips, sizeof(*c->vips), vip_qcmp);
	for (i = 0; i < c->nvips; i++) {
		struct vip *vp = &c->vips[i];

		sort_array(vp->services, vp->nservices, sizeof(struct service), service_qcmp);
		sort_array(vp->prios, vp->nprios, sizeof(struct router_prio), prio_qcmp);
		sort_array(vp->eip.private_ips, vp->eip.nprivate_ips, sizeof(struct router_addr),
		    raddr_qcmp);
		for (j = 0; j < vp->nservices; j++)
			vp->services[j].pool = config_find_pool(c, vp->services[j].pool_name);
	}
}

int
conf_validate(struct config *c, const char *router_name, struct errlist *el)
{
	struct vctx v = { c, el, true };
	size_t i, j;
	char path[64];

	if (router_name != NULL) {
		free(c->router.name);
		c->router.name = xstrdup(router_name);
	}
	/*
	 * The required pass was the loader's: an object missing a required key
	 * (or with any other load error) is `bad`, and nothing below looks into
	 * it.  A reference to an undefined pool means something only when
	 * every pool loaded: the one that did not may be the one meant.
	 */
	for (i = 0; i < c->npools; i++)
		if (c->pools[i].bad)
			v.pools_named = false;

	validate_sections(&v);
	validate_election(&v);
	for (i = 0; i < c->npools; i++) {
		validate_pool(&v, &c->pools[i], i);
		snprintf(path, sizeof(path), "pools[%zu].name", i);
		for (j = 0; j < i && !c->pools[i].bad; j++)
			if (!c->pools[j].bad && strcmp(c->pools[i].name, c->pools[j].name) == 0)
				verr(&v, c->pools[i].src, c->pools[i].line, path, "pool name \"%s\" "
				    "is used twice (also line %d)", c->pools[i].name,
				    c->pools[j].line);
	}
	for (i = 0; i < c->nvips; i++)
		validate_vip(&v, &c->vips[i], i);
	validate_bgp(&v);
	validate_vip_set(&v);
	validate_sync(&v);

	/* sorting resolves references: only a configuration without any error,
	 * the loader's (already in el) included */
	if (el->n > 0)
		return -EINVAL;
	config_sort(c);
	return 0;
}
