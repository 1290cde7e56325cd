/*
 * cloud.h - cloud addresses follow the election: the AWS glue.
 *
 * Composition module.  For every VIP with an `eip` (an Elastic IP to
 * associate with this router's ENI and private IP) or `move_private_ip`
 * (the VIP's address to assign to this router's ENI), it keeps one
 * cloud_fsm per address, feeds it the VIP's role (election_subscribe) and
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
 * Life cycle (daemon.c): cloud_init after election_init; cloud_apply from
 * daemon_apply, before election_apply (so that a VIP's record exists before
 * its first role change); cloud_stop before election_stop.
 */
#ifndef IPVSR_CLOUD_H
#define IPVSR_CLOUD_H

#include <stdbool.h>

#include "model.h"
#include "util.h"

struct daemon;

/* Subscribe to role changes.  0 or a negative errno (logged). */
int cloud_init(struct daemon *d);

/*
 * Move from old_conf (NULL at start) to new_conf: create, keep or drop the
 * per-VIP records by VIP name (a kept record keeps its state; a changed
 * target while MASTER is claimed again), and create the AWS client when
 * the aws section first appears or changed (the old one and its calls go).
 */
void cloud_apply(struct daemon *d, const struct config *old_conf, const struct config *new_conf);

/* Unsubscribe, cancel every call, stop the AWS client.  Addresses stay
 * where they are: the next master claims them.  Safe without cloud_init. */
void cloud_stop(struct daemon *d);

/* Prometheus samples (metrics.h writers): per address, whether it is held
 * here, claims, re-claims and the steps of the last claim's timeline. */
void cloud_metrics(const struct daemon *d, struct tbuf *b);

#endif
