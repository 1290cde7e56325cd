/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model.c - constructors, destructors, orders and keywords of the config model.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "model.h"

struct config *
config_new(const char *file)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->file = xstrdup(file ? file : "(config)");
	c->router.line = 0;
	c->ipvs.reconcile_interval_ms = MODEL_UNSET;
	c->ipvs.traffic_interval_ms = MODEL_UNSET;
	c->ipvs.sloppy_tcp = MODEL_UNSET;
	c->ipvs.sloppy_sctp = MODEL_UNSET;
	errlist_init(&c->warnings);
	c->checks.jitter_percent = MODEL_UNSET;
	c->election.advert_interval_ms = MODEL_UNSET;
	c->election.preempt_delay_ms = MODEL_UNSET;
	c->election.ttl_check = MODEL_UNSET;
	c->election.notify_timeout_ms = MODEL_UNSET;
	c->election.sync.syncid = MODEL_UNSET;
	c->election.sync.port = MODEL_UNSET;
	c->election.sync.ttl = MODEL_UNSET;
	c->aws.verify_interval_ms = MODEL_UNSET;
	c->aws.api_timeout_ms = MODEL_UNSET;
	c->bgp.withdraw_grace_ms = MODEL_UNSET;
	c->control.mode = MODEL_UNSET;
	return c;
}

void
check_init(struct check *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->type = CHECK_UNSET;
	ck->port = MODEL_UNSET;
	ck->interval_ms = MODEL_UNSET;
	ck->timeout_ms = MODEL_UNSET;
	ck->rise = MODEL_UNSET;
	ck->fall = MODEL_UNSET;
	ck->verify = MODEL_UNSET;
	ck->reuse_connection = MODEL_UNSET;
}

void
check_release(struct check *ck)
{
	int i;

	if (ck == NULL)
		return;
	free(ck->method);
	free(ck->path);
	free(ck->host);
	free(ck->body);
	free(ck->sni);
	free(ck->ca_file);
	free(ck->client_cert);
	free(ck->client_key);
	for (i = 0; i < ck->argc; i++)
		free(ck->argv[i]);
	check_init(ck);
}

void
check_copy(struct check *dst, const struct check *src)
{
	int i;

	check_release(dst);
	*dst = *src;
	dst->method = xstrdup(src->method);
	dst->path = xstrdup(src->path);
	dst->host = xstrdup(src->host);
	dst->body = xstrdup(src->body);
	dst->sni = xstrdup(src->sni);
	dst->ca_file = xstrdup(src->ca_file);
	dst->client_cert = xstrdup(src->client_cert);
	dst->client_key = xstrdup(src->client_key);
	for (i = 0; i < src->argc; i++)
		dst->argv[i] = xstrdup(src->argv[i]);
	dst->argv[src->argc] = NULL;
}

#define MERGE_INT(f)	do { if (over->f != MODEL_UNSET) dst->f = over->f; } while (0)
#define MERGE_STR(f)	do { if (over->f != NULL) { free(dst->f); dst->f = xstrdup(over->f); } } while (0)

void
check_merge(struct check *dst, const struct check *base, const struct check *over)
{
	int i;

	check_copy(dst, base);
	if (over->type != CHECK_UNSET && over->type != base->type) {
		/* Another probe type: fields specific to the base type do not carry over. */
		check_release(dst);
		dst->type = over->type;
		dst->interval_ms = base->interval_ms;
		dst->timeout_ms = base->timeout_ms;
		dst->rise = base->rise;
		dst->fall = base->fall;
	}
	MERGE_INT(port);
	MERGE_INT(interval_ms);
	MERGE_INT(timeout_ms);
	MERGE_INT(rise);
	MERGE_INT(fall);
	MERGE_INT(verify);
	MERGE_INT(reuse_connection);
	MERGE_STR(method);
	MERGE_STR(path);
	MERGE_STR(host);
	MERGE_STR(body);
	MERGE_STR(sni);
	MERGE_STR(ca_file);
	MERGE_STR(client_cert);
	MERGE_STR(client_key);
	if (over->nexpect > 0) {
		memcpy(dst->expect, over->expect, sizeof(dst->expect));
		dst->nexpect = over->nexpect;
	}
	if (over->argc > 0) {
		for (i = 0; i < dst->argc; i++)
			free(dst->argv[i]);
		for (i = 0; i < over->argc; i++)
			dst->argv[i] = xstrdup(over->argv[i]);
		dst->argv[over->argc] = NULL;
		dst->argc = over->argc;
	}
	if (over->line > 0) {
		dst->line = over->line;
		dst->src = over->src;
	}
}

/*
 * A check's identity, in one place: what the probe does (every field but
 * rise, fall and where it was written), compared and hashed over the same
 * fields.  A new field of struct check goes in both functions below.
 */
bool
check_probe_equal(const struct check *a, const struct check *b)
{
	int i;

	if (a->type != b->type || a->port != b->port || a->interval_ms != b->interval_ms ||
	    a->timeout_ms != b->timeout_ms || a->verify != b->verify ||
	    a->reuse_connection != b->reuse_connection ||
	    a->nexpect != b->nexpect || a->argc != b->argc)
		return false;
	if (!str_eq(a->method, b->method) || !str_eq(a->path, b->path) ||
	    !str_eq(a->host, b->host) || !str_eq(a->body, b->body) || !str_eq(a->sni, b->sni) ||
	    !str_eq(a->ca_file, b->ca_file) || !str_eq(a->client_cert, b->client_cert) ||
	    !str_eq(a->client_key, b->client_key))
		return false;
	for (i = 0; i < a->nexpect; i++)
		if (a->expect[i].lo != b->expect[i].lo || a->expect[i].hi != b->expect[i].hi)
			return false;
	for (i = 0; i < a->argc; i++)
		if (!str_eq(a->argv[i], b->argv[i]))
			return false;
	return true;
}

uint64_t
check_probe_hash(const struct check *ck)
{
	uint64_t h = HASH_INIT;
	int i;

	h = hash_int(h, ck->type);
	h = hash_int(h, ck->port);
	h = hash_int(h, ck->interval_ms);
	h = hash_int(h, ck->timeout_ms);
	h = hash_int(h, ck->verify);
	h = hash_int(h, ck->reuse_connection);
	h = hash_int(h, ck->nexpect);
	for (i = 0; i < ck->nexpect; i++) {
		h = hash_int(h, ck->expect[i].lo);
		h = hash_int(h, ck->expect[i].hi);
	}
	h = hash_str(h, ck->method);
	h = hash_str(h, ck->path);
	h = hash_str(h, ck->host);
	h = hash_str(h, ck->body);
	h = hash_str(h, ck->sni);
	h = hash_str(h, ck->ca_file);
	h = hash_str(h, ck->client_cert);
	h = hash_str(h, ck->client_key);
	h = hash_int(h, ck->argc);
	for (i = 0; i < ck->argc; i++)
		h = hash_str(h, ck->argv[i]);
	return h;
}

bool
check_equal(const struct check *a, const struct check *b)
{
	return a->rise == b->rise && a->fall == b->fall && check_probe_equal(a, b);
}

static void
pool_release(struct pool *p)
{
	size_t i;

	free(p->name);
	free(p->endpoints_file);
	check_release(&p->check);
	for (i = 0; i < p->nservers; i++) {
		check_release(&p->servers[i].check_override);
		check_release(&p->servers[i].check);
	}
	free(p->servers);
}

static void
vip_release(struct vip *v)
{
	size_t i;

	free(v->name);
	free(v->interface);
	for (i = 0; i < v->nprios; i++)
		free(v->prios[i].router);
	free(v->prios);
	free(v->eip.allocation_id);
	for (i = 0; i < v->eip.nprivate_ips; i++)
		free(v->eip.private_ips[i].router);
	free(v->eip.private_ips);
	for (i = 0; i < v->nservices; i++) {
		free(v->services[i].pool_name);
		free(v->services[i].scheduler);
	}
	free(v->services);
}

void
config_free(struct config *c)
{
	size_t i;
	int j;

	if (c == NULL)
		return;
	free(c->file);
	errlist_clear(&c->warnings);
	for (i = 0; i < c->nsrcfiles; i++)
		free(c->srcfiles[i]);
	free(c->srcfiles);
	free(c->router.name);
	free(c->router.interface);
	free(c->router.endpoints_dir);
	free(c->router.syslog_facility);
	free(c->election.auth_key_file);
	for (j = 0; j < c->election.notify_argc; j++)
		free(c->election.notify_argv[j]);
	for (i = 0; i < c->election.npeers; i++)
		free(c->election.peers[i].name);
	free(c->election.peers);
	free(c->election.sync.vip);
	free(c->election.sync.interface);
	free(c->aws.region);
	free(c->aws.ec2_endpoint);
	free(c->aws.imds_endpoint);
	free(c->aws.ca_file);
	free(c->aws.network_interface_id);
	free(c->control.socket);
	free(c->control.group);
	for (i = 0; i < c->nvips; i++)
		vip_release(&c->vips[i]);
	free(c->vips);
	for (i = 0; i < c->npools; i++)
		pool_release(&c->pools[i]);
	free(c->pools);
	free(c);
}

/* ------------------------------------------------------------ orders */

static int
name_cmp(const char *a, const char *b)
{
	int r = strcmp(a ? a : "", b ? b : "");

	return r < 0 ? -1 : r > 0;
}

int
model_pool_cmp(const struct pool *a, const struct pool *b)
{
	return name_cmp(a->name, b->name);
}

int
model_vip_cmp(const struct vip *a, const struct vip *b)
{
	return name_cmp(a->name, b->name);
}

int
model_peer_cmp(const struct peer *a, const struct peer *b)
{
	return name_cmp(a->name, b->name);
}

int
model_server_cmp(const struct server *a, const struct server *b)
{
	return sockaddr_x_cmp(&a->addr, &b->addr);
}

int
model_service_cmp(const struct service *a, const struct service *b)
{
	/* address/port services first (fwmark 0), then fwmark services */
	if (a->fwmark != b->fwmark)
		return a->fwmark < b->fwmark ? -1 : 1;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

struct pool *
config_find_pool(const struct config *c, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < c->npools; i++)
		if (c->pools[i].name != NULL && strcmp(c->pools[i].name, name) == 0)
			return &c->pools[i];
	return NULL;
}

struct vip *
config_find_vip(const struct config *c, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < c->nvips; i++)
		if (c->vips[i].name != NULL && strcmp(c->vips[i].name, name) == 0)
			return &c->vips[i];
	return NULL;
}

struct peer *
config_find_peer(const struct config *c, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < c->election.npeers; i++)
		if (c->election.peers[i].name != NULL &&
		    strcmp(c->election.peers[i].name, name) == 0)
			return &c->election.peers[i];
	return NULL;
}

int
vip_priority(const struct vip *v, const char *router)
{
	size_t i;

	if (router == NULL)
		return 0;
	for (i = 0; i < v->nprios; i++)
		if (strcmp(v->prios[i].router, router) == 0)
			return v->prios[i].priority;
	return 0;
}

bool
vip_served(const struct config *c, const struct vip *v, const char *router)
{
	return !c->election.present || v->announce == ANNOUNCE_BGP || vip_priority(v, router) > 0;
}

const struct sockaddr_x *
vip_service_addr(const struct vip *v, const char *router)
{
	size_t i;

	if (router != NULL)
		for (i = 0; i < v->eip.nprivate_ips; i++)
			if (strcmp(v->eip.private_ips[i].router, router) == 0)
				return &v->eip.private_ips[i].addr;
	return &v->addr;
}

/* ------------------------------------------------------------ keywords */

struct kw {
	const char *s;
	int v;
};

static const char *
kw_str(const struct kw *t, size_t n, int v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return "?";
}

static int
kw_val(const struct kw *t, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return MODEL_UNSET;
	for (i = 0; i < n; i++)
		if (strcmp(t[i].s, s) == 0)
			return t[i].v;
	return MODEL_UNSET;
}

#define KW(name, type, ...)						\
	static const struct kw name##_kw[] = { __VA_ARGS__ };		\
	const char *name##_str(type v) { return kw_str(name##_kw, ARRAY_SIZE(name##_kw), (int)v); } \
	int name##_from_str(const char *s) { return kw_val(name##_kw, ARRAY_SIZE(name##_kw), s); }

KW(proto, enum proto, { "tcp", PROTO_TCP }, { "udp", PROTO_UDP }, { "sctp", PROTO_SCTP })
KW(fwd_method, enum fwd_method, { "dr", FWD_DR }, { "tun", FWD_TUN }, { "nat", FWD_NAT })
KW(tun_type, enum tun_type, { "ipip", TUN_IPIP }, { "gue", TUN_GUE }, { "gre", TUN_GRE })
KW(check_type, enum check_type, { "none", CHECK_NONE }, { "tcp", CHECK_TCP },
    { "http", CHECK_HTTP }, { "https", CHECK_HTTPS }, { "exec", CHECK_EXEC })
KW(track_action, enum pool_failure_action, { "fault", TRACK_FAULT },
    { "lower-priority", TRACK_LOWER_PRIORITY }, { "ignore", TRACK_IGNORE },
    { "withdraw", TRACK_WITHDRAW })
KW(vip_announce, enum vip_announce, { "election", ANNOUNCE_ELECTION }, { "bgp", ANNOUNCE_BGP })
KW(init_state, enum server_state_init, { "down", INIT_DOWN }, { "up", INIT_UP })
KW(auth_mode, enum auth_mode, { "none", AUTH_NONE }, { "hmac-sha256", AUTH_HMAC })

int
sched_flag_from_str(const char *sched, const char *flag)
{
	if (strcmp(flag, "ops") == 0)
		return SCHED_F_ONEPACKET;
	if (sched == NULL || (strcmp(sched, "sh") != 0 && strcmp(sched, "mh") != 0))
		return MODEL_UNSET;
	if (strncmp(flag, sched, 2) != 0 || flag[2] != '-')
		return MODEL_UNSET;
	if (strcmp(flag + 3, "fallback") == 0)
		return SCHED_F_FALLBACK;
	if (strcmp(flag + 3, "port") == 0)
		return SCHED_F_PORT;
	return MODEL_UNSET;
}

int
sched_flags_strs(const char *sched, unsigned flags, const char *out[3])
{
	int n = 0;
	bool mh = sched != NULL && strcmp(sched, "mh") == 0;

	if (flags & SCHED_F_FALLBACK)
		out[n++] = mh ? "mh-fallback" : "sh-fallback";
	if (flags & SCHED_F_PORT)
		out[n++] = mh ? "mh-port" : "sh-port";
	if (flags & SCHED_F_ONEPACKET)
		out[n++] = "ops";
	return n;
}

bool
status_range_match(const struct status_range *r, int n, int status)
{
	int i;

	for (i = 0; i < n; i++)
		if (status >= r[i].lo && status <= r[i].hi)
			return true;
	return false;
}

/* The kernel's IPVS schedulers (net/netfilter/ipvs/ip_vs_*.c, Linux 6.1). */
static const char *const model_schedulers[] = {
	"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
	"mh", "twos",
};

bool
scheduler_known(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(model_schedulers) / sizeof(model_schedulers[0]); i++)
		if (strcmp(s, model_schedulers[i]) == 0)
			return true;
	return false;
}
