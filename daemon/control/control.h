/*
 * control.h - what the daemon tells and takes from its operators: the
 * commands behind ipvs-routerctl and the Prometheus metrics (composition).
 *
 * The control socket (ctl.c) and the scrape endpoint (metrics_http.c) are
 * edges; this module answers them from the running state the daemon and its
 * subsystems keep.  Neither the socket nor the listener is essential to load
 * balancing: if one cannot be opened (a port in use), that is logged and the
 * daemon runs on without it, retrying at the next reload.
 */
#ifndef IPVSR_CONTROL_H
#define IPVSR_CONTROL_H

#include <stdbool.h>

#include "model.h"

struct daemon;

/* Open or move the control socket and metrics listener for new_conf
 * (old_conf NULL at start); only what changed is reopened. */
void control_apply(struct daemon *d, const struct config *old_conf,
    const struct config *new_conf);

/* Close both and forget runtime drains.  NULL-safe on a daemon without. */
void control_stop(struct daemon *d);

/* Whether an operator drained (ipvs-routerctl drain) `addr` of pool `pool`.
 * addr's port 0 matches a drain given without a port. */
bool control_drained(const struct daemon *d, const char *pool, const struct sockaddr_x *addr);

#endif
