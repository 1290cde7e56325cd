/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipvs.h - the kernel's IPVS table over generic netlink (family "IPVS",
 * libnl-genl-3).  Edge module: it dumps the table into the types of
 * reconcile.h and executes the operations of a plan, nothing else.
 *
 * Writes are pipelined: a whole chunk of requests goes to the kernel in one
 * sendmsg, and only the last request of a chunk asks for an ACK.  Netlink
 * answers in order, so when that ACK arrives every earlier request of the
 * chunk is done and its error, if any, has already been read.  10,000
 * destinations cost a few dozen system calls, not 10,000 round trips.
 *
 * IPVS is per network namespace: the handle works on the namespace of the
 * process that opened it.
 *
 * A handle is used by one thread at a time (the dataplane lends it to the
 * thread that does a reconcile's kernel IO, dataplane.c); the calls block
 * until the kernel has answered.
 */
#ifndef IPVSR_IPVS_H
#define IPVSR_IPVS_H

#include <stddef.h>
#include <stdint.h>

#include "reconcile.h"

struct ipvs;

/* What a handle has done so far (tests and the benchmark read them). */
struct ipvs_counters {
	unsigned long long writes; /* add/edit/delete requests sent */
	unsigned long long sends;  /* sendmsg calls that carried them */
	unsigned long long dumps;  /* dump requests (one per service for destinations) */
	unsigned long long failed; /* requests the kernel refused */
};

/*
 * Open a generic netlink socket and resolve the IPVS family.  Returns 0, or
 * a negative errno with a one-line reason in `why`: -ENOENT when the kernel
 * has no IPVS family (module not loaded, or a kernel without IPVS).
 */
int ipvs_open(struct ipvs **out, char *why, size_t whylen);

/* Close the socket and free the handle.  NULL-safe. */
void ipvs_close(struct ipvs *h);

/* The kernel's IPVS version (e.g. 0x010201) and connection table size. */
int ipvs_info(struct ipvs *h, unsigned *version, unsigned *conn_tab_size);

/*
 * Dump every service of this namespace with its destinations into `out`
 * (cleared first): services sorted (rc_table_sort), each service's
 * destinations in the kernel's list order, head first.  Returns 0 or a
 * negative errno (`out` is then empty).
 */
int ipvs_dump(struct ipvs *h, struct rc_table *out);

/*
 * Traffic counters (IPVS_*_ATTR_STATS64, as `ipvsadm -Ln --stats --exact`
 * and `--rate` show them): totals since the entry was created, and the
 * kernel's estimates per second (averaged by its estimator, every 2 s).
 */
struct ipvs_stats {
	uint64_t conns, inpkts, outpkts, inbytes, outbytes;
	uint64_t cps, inpps, outpps, inbps, outbps;
};

struct ipvs_traffic_svc {
	struct rc_svc_conf conf; /* the key asked for */
	struct ipvs_stats st;
	size_t first, n;	 /* its destinations: dests[first, first + n) */
};

struct ipvs_traffic_dest {
	size_t svc; /* index in svcs */
	struct sockaddr_x addr;
	unsigned active, inactive;
	struct ipvs_stats st;
};

struct ipvs_traffic {
	struct ipvs_traffic_svc *svcs;
	size_t nsvcs;
	struct ipvs_traffic_dest *dests; /* each service's in the kernel's list order */
	size_t ndests, capdests;
};

/*
 * Read the traffic counters of the services `svcs` (their keys) and of
 * their destinations into `out` (cleared first): one request per service
 * and one destination dump per service; a service the kernel does not have
 * is left out.  Returns 0 or a negative errno (`out` is then empty).
 */
int ipvs_traffic_read(struct ipvs *h, const struct rc_svc_conf *svcs, size_t n,
    struct ipvs_traffic *out);
/* Free what `t` holds; it is empty and reusable afterwards.  NULL-safe. */
void ipvs_traffic_clear(struct ipvs_traffic *t);

/*
 * Execute `ops` in order.  err[i] gets 0 or the kernel's negative errno for
 * op i; requests whose outcome is unknown (the socket failed, an ACK was
 * lost) get -ENOBUFS or the socket's error.  Returns the number of failed
 * operations, or a negative errno when the socket itself failed (the
 * caller then re-reads the table before trusting its view of it).
 */
int ipvs_apply(struct ipvs *h, const struct rc_op *ops, size_t n, int *err);

/*
 * "add dest 10.0.0.1:80 to tcp 192.0.2.1:80 (weight 1, dr): No such
 * process (the service does not exist)": the operation, the object, the
 * kernel's error and what it usually means.
 */
char *ipvs_op_strerror(const struct rc_op *op, int err, char *buf, size_t len);

/* The handle's counters. */
const struct ipvs_counters *ipvs_counters(const struct ipvs *h);

/*
 * The kernel's connection sync daemon (IPVS_CMD_NEW_DAEMON / DEL_DAEMON /
 * GET_DAEMON), one master and one backup per network namespace.  The kernel
 * takes only a multicast group (224.0.0.81 and port 8848 when not given): its
 * backup joins the group on `ifname`; a unicast group is refused (EINVAL).
 */
enum { IPVS_SYNCD_MASTER = 1, IPVS_SYNCD_BACKUP = 2 }; /* IP_VS_STATE_MASTER/BACKUP */

struct ipvs_syncd {
	int state;		/* IPVS_SYNCD_MASTER or IPVS_SYNCD_BACKUP */
	char ifname[16];	/* IFNAMSIZ */
	unsigned syncid;	/* 0..255 */
	struct sockaddr_x group; /* af 0: the kernel's default */
	unsigned port;
	unsigned ttl;
};

/* Start a daemon: 0, -EEXIST when one of that state runs, or a negative errno. */
int ipvs_syncd_start(struct ipvs *h, const struct ipvs_syncd *d);

/*
 * Stop the daemon of `state`: 0; 1 when stopped but the kernel sent no answer (a thread
 * stopped before it first ran: the kernel's -EINTR, which netlink does not answer; see
 * transact_fenced in ipvs.c); -ESRCH when none runs, or a negative errno.
 */
int ipvs_syncd_stop(struct ipvs *h, int state);

/* The daemons running (at most `max`, 2 exist) into out; *n gets their number. */
int ipvs_syncd_list(struct ipvs *h, struct ipvs_syncd *out, size_t max, size_t *n);

/*
 * Read / write an IPVS sysctl of this namespace (net.ipv4.vs.NAME, e.g.
 * "sloppy_tcp").  They exist only while the ip_vs module is loaded.
 * Return 0 or a negative errno.
 */
int ipvs_sysctl_get(const char *name, int *value);
int ipvs_sysctl_set(const char *name, int value);

#endif
