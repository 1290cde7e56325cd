/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane.h - the daemon's IPVS dataplane: keeps the kernel's IPVS table
 * equal to what the configuration, the health table and the endpoint files
 * ask for.
 *
 * The dataplane glue: it builds the desired state (reconcile.h), owns the
 * applied view of the kernel's table, runs one deferred reconcile per loop
 * iteration however many events asked for it, and repairs drift on a timer
 * (ipvs.reconcile_interval_ms).  What it needs of health and of operator
 * drains it asks through dataplane_hooks, set by the composer; nothing here
 * calls up.
 *
 * Ownership: only the services the running configuration declares (and
 * those an earlier configuration of this process declared, until they are
 * deleted) are managed; every other rule in the table is left alone.  At
 * start the table is dumped and matching rules are adopted as they are, so
 * a restart changes nothing that is already right.  At stop the rules stay
 * (ipvs.flush_on_exit removes ours).  The keys of the services we manage are
 * kept in the state directory (state_dir(): LOCALSTATEDIR/lib/ipvs-router,
 * $STATE_DIRECTORY or $IPVSR_STATE_DIR; file ipvs-services), so that after a restart the ones the configuration
 * no longer declares are retired.
 *
 * A plan goes to the kernel phase by phase (make before break: the adds are
 * answered before any delete goes out); when the kernel refuses part of it,
 * the deletes and lowered weights of the services concerned are held back
 * and the reconcile is retried at once with backoff (250 ms doubling to
 * 8 s), whether or not the repair timer runs.
 *
 * Without IPVS in the kernel nothing fails: one error is logged and the
 * reconcile is retried on the timer (every 30 s when it is off).
 *
 * The kernel IO (the dump, the plan's phases) runs on a thread of its own
 * (loop_work): a table of 10,000 destinations takes the kernel tens to
 * hundreds of milliseconds to dump or to change, and the loop goes on
 * sending election adverts meanwhile.  One reconcile is in flight at a
 * time; whatever asks for one meanwhile gets one more pass after it.
 */
#ifndef IPVSR_DATAPLANE_H
#define IPVSR_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct sockaddr_x;

/* The dataplane's questions to the rest of the daemon. */
struct dataplane_hooks {
	/* Whether the server at `addr` (port 0: any of its ports) may take
	 * traffic in pool `pool`: the health table's verdict. */
	bool (*server_up)(void *arg, const char *pool, const struct sockaddr_x *addr);
	/* Whether health has a verdict for it yet (up, or a probe failed; true
	 * when nothing checks it).  Until then a destination adopted at start
	 * keeps its weight. */
	bool (*server_settled)(void *arg, const char *pool, const struct sockaddr_x *addr);
	/* Whether an operator drained it (ipvs-routerctl drain). */
	bool (*drained)(void *arg, const char *pool, const struct sockaddr_x *addr);
	/* The pool named by dataplane_pool_dirty() is applied: `nops`
	 * operations on its services went through (0: the kernel already held
	 * it), the last one acknowledged at `ack_us` (mono_us clock).  May be
	 * NULL. */
	void (*pool_applied)(void *arg, const char *pool, size_t nops, int64_t ack_us);
	/* IPVS became available (the generic netlink family opened) or not
	 * (opening it failed): said on each change, and at the first attempt.
	 * A failed read or write that closes the handle does not count: the
	 * next reconcile opens it again.  May be NULL. */
	void (*ipvs_state)(void *arg, bool available);
	void *arg;
};

/* A dataplane with nothing applied (after loop_init).  Pair: dataplane_fini. */
struct dataplane *dataplane_new(const struct dataplane_hooks *hooks);

/*
 * The configuration changes from `old_conf` (NULL at start) to `new_conf`:
 * warn about settings the kernel will act on surprisingly, set the IPVS
 * sysctls, re-arm the repair timer, and schedule a reconcile.  `new_conf`
 * is the running configuration from now on: it must outlive the next apply
 * (or dataplane_fini).
 */
void dataplane_apply(
    struct dataplane *dp, const struct config *old_conf, const struct config *new_conf);

/* Something the desired state depends on changed: one reconcile at the end
 * of this loop iteration. */
void dataplane_dirty(struct dataplane *dp);

/*
 * The servers of pool `pool` changed: as dataplane_dirty, and the first
 * reconcile after which every operation on the pool's services has been
 * acknowledged (a failed one is retried; IPVS missing: later) reports it
 * through hooks.pool_applied, with the number of those operations counted
 * since this call and the time of the last acknowledgement.
 */
void dataplane_pool_dirty(struct dataplane *dp, const char *pool);

/*
 * Stop: wait for the kernel IO in flight (its outcome is not applied to
 * the view), then with ipvs.flush_on_exit delete the services we manage
 * (on the calling thread), else leave the table as it is; stop the timer
 * and free everything.  Before loop_fini and while the last applied
 * configuration is still alive.  NULL-safe.
 */
void dataplane_fini(struct dataplane *dp);

/*
 * ipvs-routerctl explain: the weight the next reconcile gives the member of
 * pool `pool` at `addr` (port 0: its first entry of that address) and why
 * (health, drains, the min_servers guard, the adoption hold, asked through
 * the hooks as a reconcile does but changing nothing), and for each kernel
 * service of this router that holds it: the weight in the applied view and
 * the last operation on it (the newest 1,024 destination operations are
 * kept).
 */
struct explain_dataplane;
void dataplane_explain(struct dataplane *dp, const char *pool, const struct sockaddr_x *addr,
    struct explain_dataplane *out);

/* The managed services' traffic counters (traffic.h), for the metrics and
 * show servers; owned by the dataplane. */
struct traffic *dataplane_traffic(struct dataplane *dp);

struct tbuf;
/* Prometheus families ipvsr_ipvs_* (operations, errors, per-destination connections). */
void dataplane_metrics(const struct dataplane *dp, struct tbuf *b);

/* ipvsr_ipvs_dest_connections in slices (control's scrape): from destination
 * *pos on (counted across services), at most `budget` of them (the family's
 * header when *pos is 0); *pos advanced; true once complete.
 * dataplane_generation changes whenever the table behind it does. */
bool dataplane_metrics_dests(const struct dataplane *dp, struct tbuf *b, size_t *pos, size_t budget);
uint64_t dataplane_generation(const struct dataplane *dp);

#endif
