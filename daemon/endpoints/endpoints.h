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

struct daemon;

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
void endpoints_apply(struct daemon *d, const struct config *old_conf, struct config *new_conf);

/* Stop following; NULL-safe. */
void endpoints_stop(struct daemon *d);

/* One line per pool with a file, for ipvs-routerctl status. */
void endpoints_status(const struct daemon *d, struct tbuf *out);

/* Prometheus families ipvsr_endpoints*. */
void endpoints_metrics(const struct daemon *d, struct tbuf *out);

#endif
