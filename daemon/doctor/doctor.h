/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor.h - `ipvs-router doctor`: a preflight of this router against its
 * configuration, read-only.  Glue: walks the configuration, asks the probes
 * (doctor_probe.h) and the composer's callbacks, and fills a report
 * (doctor_report.h): the kernel (IPVS, schedulers, forwarding, rp_filter,
 * conntrack), the data path of every direct-routing pool (on-link, ARP, a
 * TCP SYN to the VIP sent to the backend's MAC as IPVS would, who answers
 * ARP for the VIP), the election (key file, peers, duplicate vrids), and
 * AWS through doctor_ops.aws_check (cloud/cloud_doctor.h).
 */
#ifndef IPVSR_DOCTOR_H
#define IPVSR_DOCTOR_H

#include <stddef.h>

#include "doctor_report.h"
#include "model.h"

/* What the doctor cannot ask itself: the composer's subsystems. */
struct doctor_ops {
	/* The kernel's IPVS version and connection table size; or a negative errno and why. */
	int (*ipvs_info)(unsigned *version, unsigned *conn_tab, char *why, size_t whylen);
	/* The election's key file as the daemon would read it: 0, or <0 and why (with the fix). */
	int (*key_check)(const struct config *c, char *why, size_t whylen);
	/* The AWS checks (aws.present) into r, each probe waiting at most timeout_ms. */
	void (*aws_check)(const struct config *c, int timeout_ms, struct doctor_report *r);
};

struct doctor_opts {
	int timeout_ms;		/* each probe's wait (ARP, SYN, ICMP); default 1000 */
	int listen_ms;		/* how long to listen for adverts; 0: from the advert interval */
};

/* Every check for configuration c (validated) into r. */
void doctor_run(const struct config *c, const struct doctor_ops *ops,
    const struct doctor_opts *o, struct doctor_report *r);

#endif
