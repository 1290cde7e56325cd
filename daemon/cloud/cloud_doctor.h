/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud_doctor.h - the AWS part of `ipvs-router doctor`: what this instance
 * needs for a failover to work, checked before the first failover instead of
 * at it.  Read-only for the account: only Describe calls and DryRun calls.
 *
 * Glue of the cloud subsystem for the doctor (the composer hands the findings
 * on to the doctor's report; nothing here knows that report):
 *   - IMDSv2: a token PUT from this network namespace, answered (a hop limit
 *     too low for a namespace or a container drops the answer: connected, then
 *     silence);
 *   - the instance, its ENI and region, as the daemon finds them;
 *   - the ENI: source/destination check, and each EIP VIP's private IP of this
 *     router among its private IPs (DescribeNetworkInterfaces);
 *   - IAM: a DryRun of every EC2 action this configuration needs.
 */
#ifndef IPVSR_CLOUD_DOCTOR_H
#define IPVSR_CLOUD_DOCTOR_H

#include "model.h"

enum cloud_doctor_status {
	CLOUD_DOCTOR_OK,
	CLOUD_DOCTOR_WARN,
	CLOUD_DOCTOR_FAIL,
	CLOUD_DOCTOR_UNKNOWN,	/* could not be checked: never a guess */
};

/* One finding: fix NULL when there is nothing to fix. */
typedef void (*cloud_doctor_add_fn)(void *arg, enum cloud_doctor_status st, const char *fix,
    const char *what);

/*
 * Every check above for configuration c (aws.present), as router c->router.name.
 * Needs loop_init() (the AWS client runs on the loop; this runs the loop until
 * its calls are answered or timeout_ms has passed, and returns with nothing
 * left on it).  Each finding goes to add(arg, ...), in order.
 */
void cloud_doctor(const struct config *c, int timeout_ms, cloud_doctor_add_fn add, void *arg);

#endif
