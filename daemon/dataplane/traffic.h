/* SPDX-License-Identifier: Apache-2.0 */
/*
 * traffic.h - IPVS traffic per service and destination (STATS64) of the
 * services this daemon manages, for the metrics and `show servers`.
 *
 * Edge module: every ipvs.traffic_interval_ms a read of the managed
 * services' counters (ipvs_traffic_read) runs on a thread of its own with
 * an IPVS handle of its own, at the priority of the dataplane's kernel IO
 * (below the loop), and its result replaces the last one on the loop in one
 * step: the loop's cost does not grow with the table.  Foreign services are
 * not read (they may be most of the table: tests/integration/dataplane-loop).
 * Nothing is read while the metrics are off and nobody asked (show
 * servers): the first ask starts the reads.
 */
#ifndef IPVSR_TRAFFIC_H
#define IPVSR_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile.h"

struct tbuf;
struct traffic;

/* Nothing read yet.  Pair: traffic_free. */
struct traffic *traffic_new(void);

/* Read every interval_ms (0: never); `eager`: from now on, else only once
 * traffic_dest() has been asked. */
void traffic_configure(struct traffic *t, int interval_ms, bool eager);

/* The services to read (copied): the ones the dataplane manages. */
void traffic_services(struct traffic *t, const struct rc_svc_conf *keys, size_t n);

/* Wait for a read in flight, close the handle, free.  NULL-safe. */
void traffic_free(struct traffic *t);

/* The counters of one destination address (port 0: every port), summed over the
 * services that hold it. */
struct traffic_sum {
	bool known;	 /* a read has happened and found it */
	unsigned active, inactive;
	uint64_t conns, cps, inpps, outpps, inbps, outbps;
	int64_t age_ms;	 /* how old the read is */
};
void traffic_dest(struct traffic *t, const struct sockaddr_x *addr, struct traffic_sum *out);

/*
 * The Prometheus families, in slices (control's scrape): family `fam`,
 * 0 .. TRAFFIC_FAMILIES - 1 (ipvsr_ipvs_service_{connections,packets,bytes}_total,
 * then ipvsr_ipvs_dest_{connections,packets,bytes}_total), from object *pos
 * on (a service or a destination), at most `budget` objects (the family's
 * header when *pos is 0); *pos advanced; true once complete.
 * traffic_generation changes whenever a read replaces the last.
 */
#define TRAFFIC_FAMILIES 6
bool traffic_metrics(const struct traffic *t, unsigned fam, struct tbuf *b, size_t *pos,
    size_t budget);
uint64_t traffic_generation(const struct traffic *t);

#endif
