/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model.h - the desired state: everything the configuration file says.
 *
 * Pure data, no IO.  conf_load.c fills a struct config from a file,
 * conf_validate.c checks it as a whole and resolves defaults and inheritance,
 * conf_dump.c prints it back in canonical form.  Later modules (reconcile,
 * health, elect) read it; runtime state lives in their own tables, keyed by
 * the identities defined here, so that it survives a reload.
 *
 * Conventions:
 *   - Every object keeps the source file and line of its group (`src`,
 *     `line`) so that semantic errors can name file:line.
 *   - "Unset" is spelled MODEL_UNSET (-1) for integers, NULL for strings and
 *     an empty list for lists.  conf_validate resolves every unset field to
 *     its default or inherited value; after a successful validation no field
 *     is unset (except those documented as optional).
 *   - Collections are arrays with a count.  conf_validate sorts them by their
 *     identity (model_*_cmp), which is the total order the diff walks use.
 */
#ifndef IPVSR_MODEL_H
#define IPVSR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define MODEL_UNSET		(-1)

/* Names: routers, VIPs, pools.  Letters, digits, '-', '_', '.'; max length. */
/*
 * The most destinations an mh (maglev) service can have: the kernel's mh
 * table has 4093 slots (CONFIG_IP_VS_MH_TAB_INDEX=12, the default and
 * Debian's) and refuses to bind mh to a longer list (EINVAL).
 */
#define MODEL_MH_MAX_DESTS 4093
/* How long a reload that changes a VIP's vrid keeps the former one
 * advertised and accepted (ipvs-router.conf(5), "Changing a VIP's vrid or
 * name"): the election does it, the plan says it. */
#define MODEL_VRID_HANDOVER_MS 300000
#define MODEL_NAME_MAX		63

enum proto {
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	PROTO_SCTP = 132,
};

enum fwd_method {
	FWD_DR = 0,		/* direct routing ("gatewaying"), the default */
	FWD_TUN,		/* IP-in-IP or GUE/GRE tunnel */
	FWD_NAT,		/* masquerading */
};

enum tun_type {
	TUN_IPIP = 0,
	TUN_GUE,
	TUN_GRE,
};

/* Scheduler flags as the kernel knows them (IP_VS_SVC_F_SCHED1..3, ONEPACKET). */
#define SCHED_F_FALLBACK	0x0008	/* sh-fallback / mh-fallback */
#define SCHED_F_PORT		0x0010	/* sh-port / mh-port */
#define SCHED_F_ONEPACKET	0x0004	/* ops: one-packet scheduling (udp) */

enum check_type {
	CHECK_UNSET = 0,
	CHECK_NONE,		/* no probe: the server is always up */
	CHECK_TCP,
	CHECK_HTTP,
	CHECK_HTTPS,
	CHECK_EXEC,
};

enum pool_failure_action {	/* what a VIP does when a pool is below min_servers */
	TRACK_UNSET = 0,
	TRACK_FAULT,		/* enter FAULT: give the VIP up */
	TRACK_LOWER_PRIORITY,	/* advertise priority - priority_decrement */
	TRACK_IGNORE,
	TRACK_WITHDRAW,		/* announce = bgp: withdraw the route (the default there) */
};

enum server_state_init {
	INIT_UNSET = 0,
	INIT_DOWN,		/* new servers take traffic only after `rise` successes */
	INIT_UP,
};

#define CHECK_EXPECT_MAX	16
#define CHECK_ARGV_MAX		16

struct status_range {
	int lo, hi;		/* inclusive, 100..599 */
};

/* true when `status` lies in one of the n inclusive ranges. */
bool status_range_match(const struct status_range *r, int n, int status);

/*
 * A health check.  Used three ways: the pool's check (fully resolved after
 * validation), a server's sparse override (only the fields the config set),
 * and a server's effective check (pool check overlaid with the override).
 */
struct check {
	enum check_type type;
	int port;		/* 0 = the server's port */
	int interval_ms;
	int timeout_ms;
	int rise;
	int fall;
	/* http, https */
	char *method;		/* "GET" or "HEAD" */
	char *path;
	char *host;		/* Host header; NULL = the server's address */
	struct status_range expect[CHECK_EXPECT_MAX];
	int nexpect;		/* 0 = unset */
	char *body;		/* substring the body must contain; NULL = any */
	int reuse_connection;	/* bool: keep the connection between checks (HTTP
				 * keep-alive, TLS session); MODEL_UNSET when not set */
	/* https */
	int verify;		/* bool; MODEL_UNSET when not set */
	char *sni;		/* NULL = `host` if it is a name, else none */
	char *ca_file;		/* NULL = the system store */
	char *client_cert;
	char *client_key;
	/* exec */
	char *argv[CHECK_ARGV_MAX + 1];
	int argc;		/* 0 = unset */
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct server {
	struct sockaddr_x addr;	/* address; port 0 = the pool's port */
	int weight;
	int upper_threshold;	/* 0 = none */
	int lower_threshold;
	bool drain;		/* weight 0: keep existing connections, take no new */
	bool dynamic;		/* from the pool's endpoints file, not the config file
				 * (endpoints.c adds and removes these at run time) */
	struct check check_override;
	struct check check;	/* effective, after validation */
	int line;
	bool bad;		/* its loading reported an error: no semantic check looks at it */
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct pool {
	char *name;
	int port;		/* destination port; 0 = the service's port */
	int weight;		/* default weight of the pool's servers */
	int min_servers;
	bool remove_failed;	/* remove a failed server instead of weight 0 */
	enum server_state_init initial_state;
	struct check check;
	struct server *servers;
	size_t nservers;
	char *endpoints_file;	/* NULL = none (unless router.endpoints_dir) */
	bool endpoints_required; /* a missing file is an error, not an empty set */
	int max_drop_percent;	/* refuse an update removing more than this */
	bool allow_empty;	/* accept an empty endpoints file / empty pool */
	int drain_grace_ms;	/* removed endpoint: weight 0 for this long */
	int line;
	bool bad;		/* its loading reported an error: no semantic check looks at it */
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct service {
	/* identity: (vip, protocol, port) or (vip, fwmark) */
	enum proto protocol;	/* ignored for fwmark services */
	int port;		/* 0 for fwmark services */
	uint32_t fwmark;	/* 0 = address/port service */
	char *pool_name;
	struct pool *pool;	/* resolved by validation */
	char *scheduler;	/* rr wrr lc wlc sh mh (and other kernel ones) */
	unsigned sched_flags;	/* SCHED_F_* */
	enum fwd_method method;
	enum tun_type tun_type;
	int tun_port;		/* gue: destination port */
	bool tun_nocsum;	/* gue/gre: no checksum (default) vs csum */
	int persistence_timeout_s; /* 0 = not persistent */
	int persistence_prefix;	/* prefix length for persistence granularity */
	int line;
	bool bad;		/* its loading reported an error: no semantic check looks at it */
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct garp {
	bool enabled;
	int count;		/* gratuitous ARPs / unsolicited NAs on takeover */
	int interval_ms;	/* between them */
	int refresh_ms;		/* 0 = no periodic refresh while master */
};

struct router_prio {
	char *router;		/* peer name */
	int priority;		/* 1..254 */
};

struct router_addr {
	char *router;
	struct sockaddr_x addr;	/* port 0 */
};

struct eip {
	char *allocation_id;	/* eipalloc-...; NULL = no EIP */
	/* Per-router private IP on that router's ENI that the EIP maps to.
	 * Optional; when this router has one, it is also the address of the
	 * VIP's IPVS services on this router (packets arrive 1:1 NATed). */
	struct router_addr *private_ips;
	size_t nprivate_ips;
};

/* How a VIP reaches this router: elected among the peers, or announced by BGP. */
enum vip_announce {
	ANNOUNCE_ELECTION = 0,	/* VRRP-style election: one router at a time (default) */
	ANNOUNCE_BGP,		/* every healthy router: a route in bgp.table for BIRD */
};

struct vip {
	char *name;
	struct sockaddr_x addr;	/* port 0 */
	enum vip_announce announce;
	int vrid;		/* 1..255 */
	char *interface;	/* NULL = router.interface */
	bool manage_address;	/* add/remove the address on the interface */
	struct router_prio *prios;
	size_t nprios;
	int advert_interval_ms;	/* inherits election.advert_interval_ms */
	int preempt;		/* bool; inherits election.preempt */
	int preempt_delay_ms;	/* inherits election.preempt_delay_ms */
	enum pool_failure_action on_pool_failure;
	int priority_decrement;
	struct garp garp;
	struct eip eip;
	bool move_private_ip;	/* AWS: AssignPrivateIpAddresses the VIP address */
	struct service *services;
	size_t nservices;
	int line;
	bool bad;		/* its loading reported an error: no semantic check looks at it */
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct peer {
	char *name;
	struct sockaddr_x addr;	/* port 0 */
	int line;
	bool bad;		/* its loading reported an error: no semantic check looks at it */
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

enum auth_mode {
	AUTH_UNSET = 0,
	AUTH_NONE,		/* plain VRRPv3: interoperates with keepalived */
	AUTH_HMAC,		/* VRRPv3 + HMAC-SHA256 trailer with replay counter */
};

/*
 * election.sync_daemon: the kernel's IPVS connection sync daemon, as keepalived's
 * lvs_sync_daemon.  The router that is master of `vip` runs the master daemon
 * (it sends its connections to `group`), every other router the backup daemon
 * (it joins `group` and creates the connections it hears about), so that a new
 * master knows the connections of the old one: NAT, wlc, persistence templates.
 */
struct sync_daemon {
	bool present;
	char *vip;		/* the VIP whose role it follows; NULL in the file = the only one */
	char *interface;	/* NULL in the file = that VIP's interface */
	int syncid;		/* 0..255; unset in the file = that VIP's vrid */
	struct sockaddr_x group; /* multicast; unset in the file = 224.0.0.81 */
	int port;		/* UDP port; unset = 8848 */
	int ttl;		/* 1..255; unset = 1 */
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct election {
	bool present;		/* no section: standalone, master of every VIP */
	int advert_interval_ms;
	enum auth_mode auth;
	char *auth_key_file;
	bool preempt;
	int preempt_delay_ms;
	bool track_interface;	/* interface down => FAULT */
	int ttl_check;		/* bool: require TTL/hop limit 255 */
	char *notify_argv[CHECK_ARGV_MAX + 1];
	int notify_argc;
	int notify_timeout_ms;
	struct peer *peers;
	size_t npeers;
	struct sync_daemon sync;
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct aws {
	bool present;
	char *region;		/* NULL = from IMDS */
	char *ec2_endpoint;	/* NULL = https://ec2.REGION.amazonaws.com */
	char *imds_endpoint;	/* NULL = http://169.254.169.254 */
	char *ca_file;		/* NULL = the system store */
	char *network_interface_id; /* NULL = the ENI of router.interface (IMDS) */
	bool disable_source_dest_check;
	int verify_interval_ms;
	int api_timeout_ms;
	bool dry_run_check;	/* DryRun the calls at start to report IAM gaps */
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

/*
 * bgp: announce = "bgp" VIPs are routes in a kernel table of their own that
 * only ipvs-router writes and BIRD (or any routing daemon) exports.
 */
struct bgp_conf {
	bool present;		/* the section is in the file */
	uint32_t table;		/* kernel routing table, 1..2^32-1 but 253-255; 0 unset */
	int withdraw_grace_ms;	/* on shutdown: serve this long after the withdrawal */
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

#define BGP_DEFAULT_TABLE 201
#define BGP_ROUTE_PROTO 201	/* rtm_protocol of our routes ("ipvsr") */

struct ipvs_conf {
	int reconcile_interval_ms;
	int traffic_interval_ms; /* reading the traffic counters (STATS64), 0 = never */
	bool flush_on_exit;
	int sloppy_tcp;		/* bool; default: true when there is an election */
	int sloppy_sctp;	/* bool; the same */
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct checks_conf {
	bool allow_exec;
	int jitter_percent;
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct control_conf {
	char *socket;
	char *group;		/* NULL = the daemon's group */
	int mode;		/* file mode of the socket */
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct metrics_conf {
	bool enabled;
	struct sockaddr_x listen;
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct router_conf {
	char *name;		/* NULL in the file = the host name or -n */
	char *interface;
	char *endpoints_dir;	/* pools without endpoints_file read DIR/POOL */
	char *syslog_facility;
	int line;
	const char *src;	/* file of `line` (interned in config->srcfiles) */
};

struct config {
	char *file;		/* path it was loaded from ("-" = stdin, or a label) */
	char **srcfiles;	/* every file read (@include), owning the objects' src */
	size_t nsrcfiles;
	struct router_conf router;
	struct ipvs_conf ipvs;
	struct checks_conf checks;
	struct election election;
	struct aws aws;
	struct bgp_conf bgp;
	struct control_conf control;
	struct metrics_conf metrics;
	struct vip *vips;
	size_t nvips;
	struct pool *pools;
	size_t npools;
	/* "FILE:LINE: PATH: warning: ..." from the validator: accepted, but
	 * probably not what was meant (-t prints them, the daemon logs them) */
	struct errlist warnings;
};

/* Allocate an empty config with every field unset.  Never NULL (aborts on OOM). */
struct config *config_new(const char *file);
/* Free a config and everything it owns.  NULL is fine. */
void config_free(struct config *c);

/* Initialise an unset check / release what it owns (the struct itself is not freed). */
void check_init(struct check *ck);
void check_release(struct check *ck);

/* Deep-copy `src` into an initialised `dst`.  Never fails (aborts on OOM). */
void check_copy(struct check *dst, const struct check *src);

/* Overlay the fields `over` sets onto `base`; result in `dst` (initialised). */
void check_merge(struct check *dst, const struct check *base, const struct check *over);

/* Equality of two resolved checks, field by field. */
bool check_equal(const struct check *a, const struct check *b);
/* The probe's identity: equal when two checks probe the same way (rise,
 * fall and source position aside); the hash covers exactly those fields. */
bool check_probe_equal(const struct check *a, const struct check *b);
uint64_t check_probe_hash(const struct check *ck);

/* Total orders used for sorting and for the diff walks. */
int model_pool_cmp(const struct pool *a, const struct pool *b);	/* by name */
int model_vip_cmp(const struct vip *a, const struct vip *b);		/* by name */
int model_server_cmp(const struct server *a, const struct server *b);	/* by addr, port */
int model_service_cmp(const struct service *a, const struct service *b); /* fwmark, proto, port */
int model_peer_cmp(const struct peer *a, const struct peer *b);	/* by name */

/* Look-ups on a validated (sorted) config; NULL when absent. */
struct pool *config_find_pool(const struct config *c, const char *name);
struct vip *config_find_vip(const struct config *c, const char *name);
struct peer *config_find_peer(const struct config *c, const char *name);

/* This router's priority for a VIP; 0 when the router does not serve it. */
int vip_priority(const struct vip *v, const char *router);
/* Whether `router` serves the VIP: always without an election or for a BGP VIP,
 * else when it has a priority for it. */
bool vip_served(const struct config *c, const struct vip *v, const char *router);

/* The address of the VIP's services on `router`: its EIP private IP if it has one, else v->addr. */
const struct sockaddr_x *vip_service_addr(const struct vip *v, const char *router);

/* Enum <-> keyword.  *_from_str return MODEL_UNSET for an unknown keyword. */
const char *proto_str(enum proto p);
int proto_from_str(const char *s);
const char *fwd_method_str(enum fwd_method m);
int fwd_method_from_str(const char *s);
const char *tun_type_str(enum tun_type t);
int tun_type_from_str(const char *s);
const char *check_type_str(enum check_type t);
int check_type_from_str(const char *s);
const char *track_action_str(enum pool_failure_action a);
const char *vip_announce_str(enum vip_announce a);
int vip_announce_from_str(const char *s);
int track_action_from_str(const char *s);
const char *init_state_str(enum server_state_init s);
int init_state_from_str(const char *s);
const char *auth_mode_str(enum auth_mode a);
int auth_mode_from_str(const char *s);
/* Scheduler flag keyword ("mh-port", "sh-fallback", "ops", ...) for `sched`; MODEL_UNSET if invalid. */
int sched_flag_from_str(const char *sched, const char *flag);
/* One of the kernel's IPVS schedulers (rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos). */
bool scheduler_known(const char *s);
/* Write the flag keywords of `flags` for `sched` to out[] (at most 3); returns the count. */
int sched_flags_strs(const char *sched, unsigned flags, const char *out[3]);

#endif
