/*
 * dataplane.h - the daemon's IPVS dataplane: keeps the kernel's IPVS table
 * equal to what the configuration, the health table and the endpoint files
 * ask for.
 *
 * Composition module (with daemon.c): it builds the desired state
 * (reconcile.h), owns the applied view of the kernel's table, runs one
 * deferred reconcile per loop iteration however many events asked for it,
 * and repairs drift on a timer (ipvs.reconcile_interval_ms).
 *
 * Ownership: only the services the running configuration declares (and
 * those an earlier configuration of this process declared, until they are
 * deleted) are managed; every other rule in the table is left alone.  At
 * start the table is dumped and matching rules are adopted as they are, so
 * a restart changes nothing that is already right.  At stop the rules stay
 * (ipvs.flush_on_exit removes ours).
 *
 * Without IPVS in the kernel nothing fails: one error is logged and the
 * reconcile is retried on the timer (every 30 s when it is off).
 */
#ifndef IPVSR_DATAPLANE_H
#define IPVSR_DATAPLANE_H

struct daemon;
struct config;

/* Set up the dataplane of `d` (after loop_init).  Pair: dataplane_fini. */
void dataplane_init(struct daemon *d);

/*
 * The configuration changes from `old_conf` (NULL at start) to `new_conf`:
 * warn about settings the kernel will act on surprisingly, set the IPVS
 * sysctls, re-arm the repair timer, and schedule a reconcile, which runs
 * once d->conf is the new configuration.
 */
void dataplane_apply(
    struct daemon *d, const struct config *old_conf, const struct config *new_conf);

/* Something the desired state depends on changed: one reconcile at the end
 * of this loop iteration. */
void dataplane_dirty(struct daemon *d);

/*
 * Stop: with ipvs.flush_on_exit delete the services we manage, else leave
 * the table as it is; stop the timer and free everything.  Before
 * loop_fini and while d->conf is still set.  NULL-safe, idempotent.
 */
void dataplane_fini(struct daemon *d);

struct tbuf;
/* Prometheus families ipvsr_ipvs_* (operations, errors, per-destination connections). */
void dataplane_metrics(const struct daemon *d, struct tbuf *b);

#endif
