/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syncd.h - the kernel's IPVS connection sync daemon, switched with a VIP's role
 * (election.sync_daemon; keepalived's lvs_sync_daemon).  Edge module: ipvs.h's
 * daemon requests on a generic netlink handle of its own, on the loop's thread
 * (a start or a stop is one request the kernel handles in well under a millisecond;
 * a stop of a thread that had not run yet gets no answer at all, which ipvs.c's
 * fenced request turns into an immediate "stopped" rather than a 30 s wait).
 *
 * On the master of the VIP the kernel runs the master daemon: it sends the state
 * of every connection of this network namespace to the multicast group.  On every
 * other router (backup, fault, not yet elected) it runs the backup daemon: it joins
 * the group and creates the connections it hears about, so that when it becomes
 * master it knows them (NAT, wlc, persistence templates).  The daemon of the other
 * state is stopped, as keepalived does.  ipvs-router owns the sync daemons of its
 * namespace: at the first switch it stops whatever runs (a crashed predecessor's),
 * and at exit it stops the one it started.
 *
 * A request the kernel refuses (no IPVS yet, the interface missing) is logged
 * and retried every 5 s until it goes through.
 */
#ifndef IPVSR_SYNCD_H
#define IPVSR_SYNCD_H

#include <stdbool.h>

struct sync_daemon;
struct syncd;

/* A sync daemon switch that runs nothing yet.  Pair: syncd_free. */
struct syncd *syncd_new(void);

/*
 * The configuration's election.sync_daemon (NULL or not present: none; a running
 * daemon is stopped).  Parameters that changed restart the daemon.
 */
void syncd_configure(struct syncd *s, const struct sync_daemon *conf);

/* The followed VIP's role: master or not. */
void syncd_role(struct syncd *s, bool master);

/* What runs, for status and logs: "master", "backup", "none" (or "failed"). */
const char *syncd_state(const struct syncd *s);

/* Stop the daemon it started and free.  NULL-safe. */
void syncd_free(struct syncd *s);

#endif
