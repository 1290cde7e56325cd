/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile.h - from the desired IPVS state and the applied one to an
 * ordered list of operations.  Core module: no IO, no clock, no libnl.
 *
 * The IPVS table is described with the types below in the kernel's own
 * terms (flags, forwarding codes, prefix lengths), so that ipvs.c turns them
 * into netlink attributes one to one and a dump compares field by field
 * with what the configuration asks for.
 *
 * What a plan guarantees (rc_plan):
 *   - only services named in `desired` or `retire` are touched: rules made by
 *     hand or by another tool are left alone;
 *   - a service is created before its destinations; destinations are added
 *     and weights raised before any is lowered or removed ("make before
 *     break"), and services are deleted last (the kernel removes a deleted
 *     service's destinations with it, in one step);
 *   - what can be edited in place is edited (weight, forwarding method,
 *     thresholds, tunnel, scheduler, flags, persistence): never delete+add;
 *   - destination order: the kernel keeps a service's destinations in a list
 *     and puts every added one at the HEAD (list_add_rcu in
 *     __ip_vs_update_dest).  mh, sh and dh build their lookup tables by
 *     walking that list, so the same destinations in another order give
 *     another table (measured: reversing 50 destinations moves 3% of mh
 *     flows).  Every plan leaves a service's list in canonical order, the
 *     descending (family, address, port) order, largest at the head (the
 *     reverse of rc_dest_cmp): destinations are added smallest first, and
 *     for those schedulers a destination that has to go behind existing
 *     ones makes the existing larger ones move (delete and re-add at once,
 *     back to back: the kernel keeps a deleted destination in its trash and
 *     the re-add takes it back with its connections and counters; its
 *     packets are dropped only for the microseconds between the two, which
 *     travel in one sendmsg - unless net.ipv4.vs.expire_nodest_conn is set,
 *     which can expire a connection that sends a packet in that window).
 *     Two routers with the same destinations at the same non-zero weights
 *     thus have identical tables whatever their history (tests/integration/
 *     dataplane-mh-order).  The kernel's one caveat: a destination at weight
 *     0 keeps the table slots of its last non-zero weight (last_weight in
 *     __ip_vs_update_dest), so while some are at 0 a router that saw them up
 *     and one that did not differ in those destinations' share of flows.
 *     Descending, because pools tend to grow at the top of their address
 *     range: a new highest address goes to the head and moves nothing; a
 *     new lowest one moves every other.
 *   - a new service with destinations is created with the scheduler "none"
 *     and gets its real scheduler after its last destination: the kernel
 *     then builds mh's table once instead of once per destination (mh
 *     recomputes all 4093 slots on every add), and the service takes no
 *     connection before its pool is complete.  Not for an mh service with
 *     more than RC_MH_MAX_DESTS destinations: mh cannot be bound to such a
 *     list, so it is bound first (never leaving the service on "none").
 */
#ifndef IPVSR_RECONCILE_H
#define IPVSR_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "util.h"

#define RC_SCHED_MAX 16 /* IP_VS_SCHEDNAME_MAXLEN, with the NUL */

/* Service flags (IP_VS_SVC_F_*); HASHED is the kernel's own, never compared. */
#define RC_SVC_F_PERSISTENT 0x0001
#define RC_SVC_F_HASHED	    0x0002

/* Forwarding methods, with the kernel's codes (IP_VS_CONN_F_*). */
#define RC_FWD_NAT 0
#define RC_FWD_TUN 2
#define RC_FWD_DR  3

/* Tunnel types and flags (IP_VS_CONN_F_TUNNEL_TYPE_*, IP_VS_TUNNEL_ENCAP_FLAG_*). */
#define RC_TUN_IPIP   0
#define RC_TUN_GUE    1
#define RC_TUN_GRE    2
#define RC_TUN_F_CSUM 0x0001

/*
 * The largest pool the kernel's mh table can hold: a prime table of 4093
 * slots (CONFIG_IP_VS_MH_TAB_INDEX=12, the default and Debian's).  Beyond
 * it the kernel refuses to build the table (EINVAL) when the scheduler is
 * bound, and adds to a running mh service succeed but stop updating it.
 */
#define RC_MH_MAX_DESTS MODEL_MH_MAX_DESTS

/* A service: identity (af, protocol, address, port / fwmark) and attributes. */
struct rc_svc_conf {
	int af;			/* AF_INET, AF_INET6 */
	int protocol;		/* IPPROTO_TCP/UDP/SCTP; 0 for fwmark services */
	struct sockaddr_x addr; /* address and port; zero for fwmark services */
	uint32_t fwmark;	/* 0: an address service */
	char sched[RC_SCHED_MAX];
	unsigned flags;	    /* RC_SVC_F_* | SCHED_F_*, never HASHED */
	unsigned timeout_s; /* persistence timeout */
	int netmask;	    /* persistence granularity, as a prefix length */
};

/* A destination (real server) of a service. */
struct rc_dest {
	struct sockaddr_x addr; /* address and port; identity within the service */
	int weight;
	int fwd;	      /* RC_FWD_* */
	unsigned u_threshold; /* 0 = none */
	unsigned l_threshold;
	int tun_type;	    /* RC_TUN_*, tunnels only */
	uint16_t tun_port;  /* gue only */
	unsigned tun_flags; /* RC_TUN_F_*, gue/gre only */
	/* From a dump, never compared. */
	unsigned activeconns, inactconns, persistconns;
};

/*
 * A service with its destinations.  In a desired table the destinations
 * are sorted by rc_dest_cmp (ascending); in an applied table (a dump) they
 * are in the kernel's list order, head first, which for a service planned
 * here is the canonical order: descending.
 */
struct rc_svc {
	struct rc_svc_conf conf;
	struct rc_dest *dests;
	size_t ndests, capdests;
	char *label; /* desired: "vip NAME" for logs; NULL in dumps */
	char *pool;  /* desired: the pool's name; NULL in dumps */
};

/* A set of services sorted by rc_svc_key_cmp (rc_table_sort). */
struct rc_table {
	struct rc_svc *svcs;
	size_t n, cap;
};

enum rc_op_type {
	RC_ADD_SVC = 0,
	RC_EDIT_SVC,
	RC_DEL_SVC,
	RC_ADD_DEST,
	RC_EDIT_DEST,
	RC_DEL_DEST,
	RC_OP_TYPES
};

/* Why an operation is in the plan (for the logs and the counters). */
enum rc_op_why {
	RC_WHY_NEW = 0,	   /* not in the kernel yet */
	RC_WHY_CHANGED,	   /* attributes differ */
	RC_WHY_GONE,	   /* no longer wanted */
	RC_WHY_MOVE,	   /* re-inserted to keep the canonical order */
	RC_WHY_SCHED_LATE, /* real scheduler bound after the destinations */
};

/*
 * Phases of a plan, executed in this order (make before break).  The
 * executor sends them with a barrier between phases: a phase goes out only
 * once the kernel has answered every request of the one before, so that it
 * can hold back what must not run after a failure (rc_plan_hold_back).
 */
enum rc_phase {
	RC_PH_ADD_SVC = 0, /* new services */
	RC_PH_EDIT_SVC,	   /* service attributes, unless bound late */
	RC_PH_GROW,	   /* weights raised, destinations added or moved */
	RC_PH_SHRINK,	   /* weights lowered, destinations removed */
	RC_PH_SCHED_LATE,  /* schedulers that build a table from the list */
	RC_PH_DEL_SVC,	   /* services no longer wanted */
	RC_PH_N
};

/* One kernel operation, self-contained: it owns copies of what it names. */
struct rc_op {
	enum rc_op_type type;
	enum rc_op_why why;
	enum rc_phase phase;
	struct rc_svc_conf svc;	    /* svc ops: the attributes to set; dest ops: the service */
	struct rc_dest dest;	    /* dest ops: the destination (its new attributes) */
	struct rc_dest old;	    /* EDIT_DEST: what the kernel had, for the log */
	struct rc_svc_conf old_svc; /* EDIT_SVC: what the kernel had */
};

struct rc_plan {
	struct rc_op *ops;
	size_t n, cap;
	size_t count[RC_OP_TYPES];
	size_t moved; /* destinations re-inserted for the canonical order */
};

struct rc_opts {
	/* The kernel accepts the scheduler "none" (Linux >= 4.2 or so): create
	 * services under it and bind the real scheduler last. */
	bool sched_none;
	/* Keep the canonical order of mh/sh/dh services by moving destinations
	 * (false: only describe set differences, e.g. for drift reports). */
	bool keep_order;
};

/* ------------------------------------------------------------ tables */

void rc_table_init(struct rc_table *t);
/* Free everything a table owns; it is empty and reusable afterwards. NULL-safe. */
void rc_table_clear(struct rc_table *t);
/* Deep copy; dst is cleared first. */
void rc_table_copy(struct rc_table *dst, const struct rc_table *src);
/* Append a service (a copy of conf, no destinations) and return it. */
struct rc_svc *rc_table_add(struct rc_table *t, const struct rc_svc_conf *conf);
/* Append a destination to a service. */
struct rc_dest *rc_svc_add_dest(struct rc_svc *s, const struct rc_dest *d);
/* Release what a service owns (not the struct itself). */
void rc_svc_release(struct rc_svc *s);
/*
 * Sort services by key.  Returns 0, or -EEXIST when two services share a
 * key (the later one is dropped, its label in *dup_label when not NULL).
 */
int rc_table_sort(struct rc_table *t, const char **dup_label);
/* The service with this key in a sorted table, or NULL. */
struct rc_svc *rc_table_find(const struct rc_table *t, const struct rc_svc_conf *key);
/* Total destinations of all services. */
size_t rc_table_ndests(const struct rc_table *t);

/* Order of service keys: fwmark services after address ones; af, fwmark / protocol, address, port.
 */
int rc_svc_key_cmp(const struct rc_svc_conf *a, const struct rc_svc_conf *b);
/* Destination order: family, address, port (the canonical list is its reverse). */
int rc_dest_cmp(const struct rc_dest *a, const struct rc_dest *b);
/* Whether two services' attributes are the same as far as the kernel acts on them. */
bool rc_svc_conf_equal(const struct rc_svc_conf *want, const struct rc_svc_conf *have);
/* Same for destinations (counters and, outside tunnels, tunnel fields ignored). */
bool rc_dest_equal(const struct rc_dest *want, const struct rc_dest *have);
/* Whether a scheduler's lookup table depends on the destination list order. */
bool rc_sched_order_sensitive(const char *sched);

/* ------------------------------------------------------------ desired state (reconcile_build.c) */

/* A pool member as the composition layer sees it now. */
struct rc_member {
	struct sockaddr_x addr; /* port 0: the pool's port, else the service's */
	int weight;		/* configured */
	int upper_threshold, lower_threshold;
	bool up;    /* may take traffic (health) */
	bool drain; /* drained by the operator: weight 0, connections kept */
};

#define RC_WEIGHT_REMOVE (-1)

/*
 * Effective weights of a pool's members, in `weight_out[i]` (the configured
 * weight, 0, or RC_WEIGHT_REMOVE): up members keep their weight; drained
 * ones get 0; failed ones get 0, or are removed with remove_failed.  If that
 * leaves fewer than `min_servers` members with weight > 0, failed members
 * with a configured weight are kept in at that weight (fail open), in
 * canonical address order, until there are enough: every router makes the
 * same choice.  Returns how many were kept that way; *live gets the number
 * of members with weight > 0 before the guard.
 */
size_t rc_pool_weights(const struct rc_member *m, size_t n, int min_servers, bool remove_failed,
    int *weight_out, size_t *live);

/*
 * Build the desired service `s` of a VIP at address `addr` (the VIP's
 * service address on this router) with `pool`'s members at the given
 * effective weights (RC_WEIGHT_REMOVE: left out), and append it to `t`.
 * Destinations are sorted canonically; a member listed twice is kept once.
 */
struct rc_svc *rc_build_service(struct rc_table *t, const struct vip *v, const struct service *s,
    const struct sockaddr_x *addr, const struct pool *pool, const struct rc_member *m,
    const int *weights, size_t n);

/*
 * A pool's members, from the composition layer: *out gets a malloc'd array
 * (the caller frees it), the count is returned.
 */
typedef size_t (*rc_members_fn)(void *arg, const struct pool *p, struct rc_member **out);

/* What rc_desired_build decided for one pool that a served service uses. */
#define RC_KEPT_SHOWN 3
struct rc_pool_state {
	const struct pool *pool;
	size_t members; /* members the pool has now */
	size_t live;	/* with weight > 0 before the min_servers guard */
	size_t kept;	/* failed members kept in by the guard */
	struct sockaddr_x kept_addr[RC_KEPT_SHOWN]; /* the first of them */
};

/*
 * The desired table of configuration `c` on router `router`: every service
 * of every VIP this router serves (all of them without an election section,
 * else those where its priority is > 0), at the VIP's service address on
 * this router (vip_service_addr), with its pool's members at their
 * effective weights (rc_pool_weights).  Members are asked for once per pool.
 * The role in the election does not matter: backups keep the same table so
 * that a takeover needs no IPVS change.  *pools (malloc'd, may be NULL) gets
 * one entry per pool in use.  Returns 0, or -EEXIST when two services
 * share a key (the second is dropped; *dup names its VIP).
 */
int rc_desired_build(const struct config *c, const char *router, rc_members_fn fn, void *arg,
    struct rc_table *out, struct rc_pool_state **pools, size_t *npools, const char **dup);

/* ------------------------------------------------------------ planning */

void rc_plan_init(struct rc_plan *p);
void rc_plan_clear(struct rc_plan *p);

/*
 * Plan the operations that turn `applied` into `desired` for the services
 * named in `desired`, and delete the `retire` services that `applied` still
 * has.  Both tables sorted (rc_table_sort), and each desired service's
 * destinations sorted by rc_dest_cmp without duplicates (rc_build_service
 * makes them so); applied destinations in any order.  Any other service of
 * `applied` is foreign and not touched.  The plan is appended to `p` in
 * execution order.
 */
void rc_plan(const struct rc_table *desired, const struct rc_table *applied,
    const struct rc_svc_conf *retire, size_t nretire, const struct rc_opts *opts,
    struct rc_plan *p);

/*
 * The end of the run of operations that starts at `start` and belongs to
 * the same phase as ops[start] (one barrier-delimited batch); n when
 * start >= n.
 */
size_t rc_plan_phase_end(const struct rc_op *ops, size_t n, size_t start);

/*
 * Make before break across a partial failure.  ops[0, from) have been
 * executed with the outcome err[] (0 or a negative errno); ops[from, to) is
 * the next phase.  hold[i - from] is set for every operation of that phase
 * that lowers or removes (RC_PH_SHRINK) a destination of a service for
 * which an earlier operation failed: the adds it was meant to follow did
 * not all happen, so the old destinations stay until a retry gets the new
 * ones in.  Returns how many are held.
 */
size_t rc_plan_hold_back(
    const struct rc_op *ops, const int *err, size_t from, size_t to, bool *hold);

/*
 * A plan that deletes service `want` and creates it again with its real
 * scheduler bound first, then adds its destinations (smallest first, so the
 * list is canonical): the way out when binding the scheduler late failed
 * (mh refuses a list over RC_MH_MAX_DESTS) and left the service on the
 * scheduler "none", which takes no connection.  Appended to `p`.
 */
void rc_plan_recreate(const struct rc_svc *want, struct rc_plan *p);

/*
 * Apply operations to a table as the kernel would, list order included (an
 * added destination goes to the head).  `ok[i]` false skips op i (it failed);
 * NULL: all succeeded.  Keeps the table sorted.  Returns the number of
 * operations that did not fit the table (adding what exists, editing or
 * deleting what does not): the table then no longer matches the kernel.
 */
size_t rc_table_apply(struct rc_table *t, const struct rc_op *ops, size_t n, const bool *ok);

/* ------------------------------------------------------------ text */

/* "tcp 192.0.2.1:80", "udp [2001:db8::1]:53", "fwmark 7 (ipv6)" */
char *rc_svc_fmt(const struct rc_svc_conf *s, char *buf, size_t len);
/* "add dest 10.0.0.1:80 to tcp 192.0.2.1:80 (weight 1, dr)" and the like. */
char *rc_op_fmt(const struct rc_op *op, char *buf, size_t len);
/* "add service", "edit dest", ... */
const char *rc_op_type_str(enum rc_op_type t);
/* "1 add dest, 2 edit dest" */
char *rc_plan_summary(const struct rc_plan *p, char *buf, size_t len);
/* "tcp", "udp", "sctp", "proto?" */
const char *rc_proto_str(int protocol);
/* "dr", "tun", "nat", "fwd5" */
const char *rc_fwd_str(int fwd);

#endif
