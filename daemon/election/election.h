/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election.h - who owns each VIP: one election instance per VIP, and what
 * happens when a role changes.
 *
 * Composition module for the election: it maps the configuration onto
 * instances of the state machine (elect.c), moves adverts between them and
 * the network (elect_proto.c, elect_net.c), and carries out role changes
 * (vip.c for addresses and announcements, subscribers such as the cloud
 * hook, the notify command).
 *
 * Which VIPs: with an election section, those this router has a priority
 * for (a router missing from a VIP's priority map does not take part);
 * standalone (no election section), every VIP, each MASTER at once.
 *
 * Role change, in this order:
 *   MASTER:  advert to the peers, address added (manage_address), gratuitous
 *            ARP / unsolicited NA (garp), subscribers, notify command.
 *   leaving MASTER: priority-0 advert when going away (FAULT, stop),
 *            address removed, subscribers, notify command.  IPVS rules are
 *            not touched: a backup keeps them so that a takeover is instant.
 *
 * Notify: election.notify.command runs with "VIP-NAME STATE" appended
 * (STATE: MASTER, BACKUP, FAULT, STOP), for each transition in order; for
 * one VIP one at a time, never blocking the loop; killed (its process group,
 * TERM then KILL a second later) after notify.timeout_ms.  At stop the
 * pending ones and a STOP for each VIP run to completion before the daemon
 * exits (each still bounded by the timeout).
 *
 * Life cycle (the composer): election_check before a configuration is
 * accepted (start and reload); election_new, then election_init after
 * loop_init; election_apply for every accepted configuration;
 * election_stop (which frees) before loop_fini.  The composer forwards
 * pool health in and subscribes to role changes; nothing here calls up.
 */
#ifndef IPVSR_ELECTION_H
#define IPVSR_ELECTION_H

#include <stdbool.h>

#include "elect.h"
#include "model.h"

struct election_rt;
struct tbuf;

/*
 * What only the running system can check about a validated configuration:
 * the auth_key_file exists, is a regular file of ELECT_KEY_MIN..MAX bytes
 * and is not world-readable.  Every problem logged; 0 or -EINVAL.
 */
int election_check(const struct config *c);

/* election_check without the log: the problem (one line, with its fix) in why. */
int election_check_key(const struct config *c, char *why, size_t whylen);

/* An election with no instances and nothing open.  Pair: election_stop. */
struct election_rt *election_new(void);

/*
 * Set up the election for configuration `c`: sockets, interface watch, key.
 * Instances start in election_apply(rt, NULL, c).  Returns 0, or a negative
 * errno (logged) when this router cannot take part: then it must not start,
 * or it would claim every VIP; the caller undoes it with election_stop.
 */
int election_init(struct election_rt *rt, const struct config *c);

/*
 * Move from old_conf (NULL at start) to new_conf.  Instances are matched by
 * identity (VIP name, vrid, address family): a kept instance keeps its role
 * and timers and takes the new settings (a changed address or interface
 * moves the address if it is MASTER); a removed one leaves as at stop; a new
 * one starts in INIT.  Sockets are reopened only when the peers' families,
 * this router's address or the interface changed; the key is re-read.
 */
void election_apply(
    struct election_rt *rt, const struct config *old_conf, const struct config *new_conf);

/*
 * Leave: each MASTER sends a priority-0 advert (its peers take over after
 * their skew time, without waiting for the master-down interval) and
 * removes its address; then the notify commands run out; then `rt` is
 * freed.  Safe when election_init failed or never ran; NULL-safe.
 */
void election_stop(struct election_rt *rt);

/*
 * Input from the health subsystem: pool `pool` has fewer healthy servers
 * than its min_servers (below_min) or no longer.  Call on every change (and
 * freely when nothing changed: repeats are ignored).  Every VIP with a
 * service on that pool reacts by its on_pool_failure: "fault" gives the VIP
 * up (FAULT), "lower-priority" advertises priority - priority_decrement,
 * "ignore" nothing.  Remembered by pool name across reloads; a pool that is
 * not in the configuration is remembered too (it may appear on reload).
 */
void election_pool_health(struct election_rt *rt, const char *pool, bool below_min);

/*
 * Input from the health subsystem: every server of pool `pool` has had its say (up, or
 * failed at least once), or not any more (new servers).  A VIP with a service on a pool
 * not known to have settled (never reported counts as not settled) does not preempt a
 * lower-priority master: its IPVS table is still filling, and with mh the flows it took
 * over would go to other servers (issue #17).  A master that goes away is replaced as
 * usual.  Remembered by pool name across reloads.
 */
void election_pool_settled(struct election_rt *rt, const char *pool, bool settled);

/*
 * Role-change subscribers (the cloud hook): cb runs after the address and
 * the announcements, for every transition of every VIP, with the VIP as in
 * the running configuration.  It must not block.  Up to 8 subscribers;
 * returns 0 or -ENOSPC.  Unsubscribe with the same (cb, arg).
 * One call is not a transition: from == to == ELECT_MASTER says that the
 * VIP stayed MASTER but reasserted itself against a rival's claim (a lower
 * router that missed our adverts: a partition, a CPU stall here), after
 * the advert and the announcements; the rival may have moved what follows
 * the VIP (the cloud addresses).  At most once a second per VIP.
 */
typedef void (*election_role_fn)(
    void *arg, const struct vip *v, enum elect_state from, enum elect_state to);
int election_subscribe(struct election_rt *rt, election_role_fn cb, void *arg);
void election_unsubscribe(struct election_rt *rt, election_role_fn cb, void *arg);

/*
 * Shared state between the routers (the operators' drains), over the
 * election's own channel: authenticated mode only (elect_proto.h, type 8
 * messages with the advert trailer), never a port of its own.
 *
 * election_share_send sends `body` (text, 1..ELECT_SHARE_BODY_MAX bytes) to
 * every other router of election.peers; it returns how many were sent, or
 * -ENOTCONN when nothing can be shared (no election, plain mode, sockets
 * not open) or -EMSGSIZE.  Each message a peer sent us that passes the
 * checks adverts pass (key, TTL, counter, boot id) reaches fn(arg, peer
 * name, body, length); one listener.
 */
typedef void (*election_share_fn)(void *arg, const char *peer, const char *body, size_t len);
/* tick(arg) runs every ELECTION_SHARE_EVERY_MS (the first a second after
 * this call) while sharing is on: the listener sends its whole state again,
 * so that a peer that missed a message, or was down, catches up. */
#define ELECTION_SHARE_EVERY_MS 5000
void election_share_listen(
    struct election_rt *rt, election_share_fn fn, void (*tick)(void *arg), void *arg);
int election_share_send(struct election_rt *rt, const char *body, size_t len);
/* Why nothing is shared (a short phrase), or NULL when it is. */
const char *election_share_off(const struct election_rt *rt);

/* Prometheus families ipvsr_vip_transitions_total, ipvsr_vip_reasserts_total. */
void election_metrics(const struct election_rt *rt, struct tbuf *b);

/*
 * When the VIP's instance last heard its master's advert (loop clock, ms);
 * -1 when never or no instance.  For the failover timeline: at a takeover it
 * is the last sign of life of the previous master.
 */
int64_t election_last_heard_ms(const struct election_rt *rt, const char *vip_name);

/*
 * Whether the VIP's instance is MASTER by preempting a live (lower priority)
 * master, whose claims for the VIP (an Elastic IP) may still be on the wire.
 */
bool election_preempted(const struct election_rt *rt, const char *vip_name);

/* The state of a VIP's instance; ELECT_INIT when it has none. */
enum elect_state election_role(const struct election_rt *rt, const char *vip_name);

/* ipvs-routerctl explain: the VIP's role here, our priority (configured and
 * after tracking), the master we follow (its peer name when it is one) and
 * when it was last heard, why FAULT.  False: no such instance. */
struct explain_vip;
bool election_explain(const struct election_rt *rt, const char *vip_name, struct explain_vip *out);

/*
 * BGP VIPs (announce = "bgp").  election_withdraw_all: withdraw every route
 * now and for good (shutdown; the addresses stay until election_stop);
 * returns how many were withdrawn.  election_drain_router: withdraw them all
 * (on) or let health decide again (off), the addresses and IPVS staying, so
 * established flows carry on; returns the number of BGP VIPs.
 * election_bgp_state: 1 announced, 0 withdrawn (why in `why`), -1 no such
 * BGP VIP.
 */
int election_withdraw_all(struct election_rt *rt);
/* IPVS can serve (the dataplane opened it) or not: BGP VIPs follow. */
void election_ipvs_state(struct election_rt *rt, bool available);
int election_drain_router(struct election_rt *rt, bool on);
bool election_router_drained(const struct election_rt *rt);
int election_bgp_state(const struct election_rt *rt, const char *vip_name, char *why, size_t len);

#endif
