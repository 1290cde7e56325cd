/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud.h - cloud addresses follow the election: the AWS glue.
 *
 * Composition module.  For every VIP with an `eip` (an Elastic IP to
 * associate with this router's ENI and private IP) or `move_private_ip`
 * (the VIP's address to assign to this router's ENI), it keeps one
 * cloud_fsm per address, feeds it the VIP's role (cloud_role) and
 * the results of the EC2 calls (aws.h), and carries out its decisions.
 *
 *   MASTER:   AssociateAddress (NetworkInterfaceId + PrivateIpAddress +
 *             AllowReassociation=true, never a disassociation first) /
 *             AssignPrivateIpAddresses (AllowReassignment=true), retried
 *             while MASTER; then read back (DescribeAddresses /
 *             DescribeNetworkInterfaces) until it shows, then every
 *             aws.verify_interval_ms and after every election event; taken
 *             back if two reads in a row show another holder.
 *   not MASTER: nothing.  Calls in flight are cancelled.
 *
 * Which private IP an EIP goes to: this router's entry in eip.private_ip,
 * else the ENI's primary private IP (from the IMDS), else none (EC2 then
 * picks the primary itself).  Which ENI: aws.network_interface_id, else the
 * one behind router.interface.
 *
 * At start (and whenever the AWS client is re-created by a reload): the
 * source/destination check is turned off when aws.disable_source_dest_check
 * says so, and with aws.dry_run_check every call this configuration will
 * need is made once with DryRun=true, so that a missing IAM permission is
 * reported now and not during the first failover.
 *
 * Each claim is logged as one timeline line, e.g.
 *   vip web-a: eip eipalloc-0abc: master -> AssociateAddress sent +3ms ->
 *   answered +118ms -> confirmed +1.2s
 * and the same steps are exported as metrics (cloud_metrics).
 *
 * Life cycle (the composer): cloud_new; cloud_apply for every accepted
 * configuration, before the election's (so that a VIP's record exists
 * before its first role change); cloud_role for every role change the
 * composer hears of; cloud_stop before the election stops.  What it needs
 * to know of the election it asks through cloud_hooks; nothing here calls
 * up into the composer or another subsystem.
 */
#ifndef IPVSR_CLOUD_H
#define IPVSR_CLOUD_H

#include <stdbool.h>

#include "model.h"
#include "util.h"

struct tbuf;

/* What the cloud glue asks of the rest of the daemon (the election). */
struct cloud_hooks {
	/* Whether this router is MASTER of the VIP named `vip` right now. */
	bool (*is_master)(void *arg, const char *vip);
	/* When the VIP's election last heard its master (loop clock, ms), -1
	 * when never: the start of a failover timeline. */
	int64_t (*last_heard_ms)(void *arg, const char *vip);
	/* Whether it became MASTER by preempting a live master (NULL: never). */
	bool (*preempted)(void *arg, const char *vip);
	void *arg;
};

/* No records and no AWS client yet.  Pair: cloud_stop. */
struct cloud *cloud_new(const struct cloud_hooks *hooks);

/*
 * The VIP's role changed (any transition, also one that stays on the same
 * side of MASTER): a record that becomes MASTER claims its address, one
 * that leaves stops claiming; every record reads its address back soon.
 */
void cloud_role(struct cloud *cl, const struct vip *v, bool was_master, bool master);

/*
 * This router stayed MASTER of the VIP, but another router claimed it (the
 * election reasserted it: a brief dual master).  The rival may have moved
 * the VIP's addresses: each is read back at once and taken back if it shows
 * another holder, without waiting for the periodic read.
 */
void cloud_reassert(struct cloud *cl, const struct vip *v);

/*
 * Move from old_conf (NULL at start) to new_conf: create, keep or drop the
 * per-VIP records by VIP name (a kept record keeps its state; a changed
 * target while MASTER is claimed again), and create the AWS client when
 * the aws section first appears or changed (the old one and its calls go).
 */
void cloud_apply(struct cloud *cl, const struct config *old_conf, const struct config *new_conf);

/* Cancel every call, stop the AWS client, free `cl`.  Addresses stay
 * where they are: the next master claims them.  NULL-safe. */
void cloud_stop(struct cloud *cl);

/* Prometheus samples (metrics.h writers): per address, whether it is held
 * here, claims, re-claims and the steps of the last claim's timeline. */
void cloud_metrics(const struct cloud *cl, struct tbuf *b);

#endif
