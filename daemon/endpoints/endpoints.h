/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoints.h - pools fed by endpoint files (composition).
 *
 * For each pool with an endpoints file (pool.endpoints_file, or
 * router.endpoints_dir/POOL), the file is followed (epfile.c) and every
 * reading that passes the safety rails becomes the pool's dynamic servers in
 * the running configuration: struct server entries with `dynamic` set, next
 * to the static ones.  Health checks, the dataplane, election tracking,
 * status and metrics then treat them like any server: a new endpoint is
 * checked before it takes traffic (the pool's initial_state), a removed one
 * stays at weight 0 for drain_grace_ms, then goes.
 *
 * A reading is refused, keeping the last good set, when it does not parse
 * (every error logged with file:line), when it is empty and the pool does not
 * allow_empty, when it would remove more than max_drop_percent of the pool,
 * or when an endpoint cannot work for a service of the pool (address family,
 * a port that direct routing cannot reach).  Refusals are logged, counted
 * and shown by ipvs-routerctl status and the metrics.
 */
#ifndef IPVSR_ENDPOINTS_H
#define IPVSR_ENDPOINTS_H

#include "model.h"
#include "util.h"

struct tbuf;

/* What the endpoints glue needs of the composer. */
struct endpoints_hooks {
	/* The running configuration: a reading between reloads changes its
	 * pools' dynamic servers in place.  NULL before the first one. */
	struct config *(*running)(void *arg);
	/* Pool `pool` of the running configuration changed between reloads:
	 * whoever follows its servers (checks, dataplane) looks again, and
	 * the dataplane's outcome comes back through endpoints_applied. */
	void (*changed)(void *arg, const char *pool);
	void *arg;
};

/* Nothing followed yet.  Pair: endpoints_stop. */
struct endpoints *endpoints_new(const struct endpoints_hooks *hooks);

/*
 * What only the running system can check before accepting a configuration:
 * a pool with endpoints_required has its file.  Problems appended to el;
 * 0 or -ENOENT.
 */
int endpoints_check(const struct config *c, struct errlist *el);

/*
 * Follow the files of new_conf (old_conf NULL at start) and put each pool's
 * current endpoint set into new_conf as dynamic servers.  Call before the
 * other subsystems apply new_conf, so that they see them.
 */
void endpoints_apply(struct endpoints *e, const struct config *old_conf, struct config *new_conf);

/*
 * The dataplane has applied pool `pool`'s running state (after a `changed`
 * hook): `nops` IPVS operations, the last one acknowledged by the kernel at
 * `ack_us` (mono_us clock).  If accepted readings of the pool's file were
 * waiting for it, the time from the earliest of their events to ack_us is
 * logged at info ("pool P: endpoints FILE applied: N changes in X ms
 * (inotify to last ack)") and observed in ipvsr_endpoints_apply_seconds;
 * with nops 0 (nothing for the kernel to do) nothing is timed.  Refused
 * readings never wait.
 */
void endpoints_applied(struct endpoints *e, const char *pool, size_t nops, int64_t ack_us);

/*
 * ipvs-routerctl explain, for an endpoint of pool `pool` (addr as the file
 * lists it, port 0 = the pool's port): the file, its last accepted reading,
 * why the last reading was refused, when the endpoint was first listed, or
 * how long it still drains after its removal.  Leaves *out as it is (but
 * grace_left_ms -1) when the pool has no file.
 */
struct explain_member;
void endpoints_explain(const struct endpoints *e, const char *pool, const struct sockaddr_x *addr,
    struct explain_member *out);

/* Stop following and free `e`; NULL-safe. */
void endpoints_stop(struct endpoints *e);

/* For ipvs-routerctl status: a heading and one line per pool with a file;
 * nothing when no pool ever had one. */
void endpoints_status(const struct endpoints *e, struct tbuf *out);

/* Prometheus families ipvsr_endpoints*. */
void endpoints_metrics(const struct endpoints *e, struct tbuf *out);

#endif
