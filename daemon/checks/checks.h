/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checks.h - health checking as the daemon sees it: configuration in,
 * "is this server up?" out.
 *
 * Composition glue between the configuration (model.h), the probes
 * (check.h) and the rise/fall rule (health.h).  Every pool server gets a
 * health entry per destination (pool, address, destination port); entries
 * are kept by that identity across reloads, so a reload never resets a
 * server's state, and a probe restarts only when its effective check (or
 * target) changed.  Probes are shared: a server in several pools, or
 * behind several VIPs, with the same check is probed once, and the result
 * goes to every entry.
 *
 * Destination port of a server: its own port, else the pool's port, else
 * the port of each service using the pool (one entry per distinct port;
 * 0 for fwmark services).  The probe connects to check.port, else to the
 * destination port.
 *
 * The daemon learns about changes through hooks, called from loop
 * callbacks (never from inside checks_apply for `changed`):
 *   changed      some server went up or down: reconcile the dataplane
 *   pool_health  a pool's count of up servers crossed its min_servers
 *                (also once per pool at its first apply)
 */
#ifndef IPVSR_CHECKS_H
#define IPVSR_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "model.h"

struct checks;

struct checks_hooks {
	void (*changed)(void *arg);
	void (*pool_health)(void *arg, const char *pool, bool healthy, unsigned up, unsigned total,
	    unsigned min_servers);
	/* Every server of the pool has had its say (up, or failed at least once), or one
	 * has not (new servers, a start).  Called at each change and once per pool at its
	 * first apply; NULL: not wanted. */
	void (*pool_settled)(void *arg, const char *pool, bool settled);
	void *arg;
};

/* An empty health table.  Never NULL.  Pair: checks_free. */
struct checks *checks_new(const struct checks_hooks *hooks);

/* Stop every probe and free the table.  NULL-safe. */
void checks_free(struct checks *cs);

/*
 * Make the probes and entries match the (validated) configuration `c`:
 * new servers start as their pool's initial_state says, kept servers keep
 * their state, removed ones are forgotten.  Logs a summary line.  `c` is
 * not referenced after the call returns.
 */
void checks_apply(struct checks *cs, const struct config *c);

/*
 * Is the server at `dest` (its address and destination port) up in pool
 * `pool`?  A destination port of 0 matches every entry of that address in
 * the pool (up only if all are).  A server the table does not know (a
 * pool's dynamic endpoint, say) is up only if its pool starts servers up.
 */
bool checks_server_up(const struct checks *cs, const char *pool, const struct sockaddr_x *dest);

/* Up and total servers of a pool; false when the pool is unknown. */
bool checks_pool_count(const struct checks *cs, const char *pool, unsigned *up, unsigned *total);

/* One health entry, for status output and metrics. */
struct checks_entry {
	const char *pool;
	struct sockaddr_x dest;
	struct sockaddr_x target; /* what the probe connects to (port 0: no probe) */
	enum check_type type;
	const struct health *health;
};

/* Number of entries, and the i-th in (pool, address, port) order. */
size_t checks_count(const struct checks *cs);
bool checks_entry(const struct checks *cs, size_t i, struct checks_entry *out);

/*
 * ipvs-routerctl explain: the entry of (pool, dest) - dest's port 0: the
 * address's first entry - with its rise/fall state and its probe's last
 * EXPLAIN_HIST results, newest first, timed against now_ms (mono).  False
 * (out->known false) when the table has no such entry.
 */
struct explain_health;
bool checks_explain(const struct checks *cs, const char *pool, const struct sockaddr_x *dest,
    int64_t now_ms, struct explain_health *out);

/* Number of distinct running probes (after de-duplication). */
size_t checks_probe_count(const struct checks *cs);

struct tbuf;
/* Prometheus families of health: ipvsr_server_up, ipvsr_server_last_check_reason,
 * ipvsr_check_* (probe counters) and ipvsr_check_duration_seconds (by type). */
void checks_metrics(const struct checks *cs, struct tbuf *b);

/* The per-server families, in slices (control's scrape): family
 * CHECKS_FAM_UP (ipvsr_server_up) or CHECKS_FAM_REASON
 * (ipvsr_server_last_check_reason), from server *pos on, at most `budget`
 * servers (the family's header when *pos is 0); *pos advanced; true once
 * complete.  checks_generation changes whenever the set of servers does. */
enum { CHECKS_FAM_UP, CHECKS_FAM_REASON };
bool checks_metrics_servers(
    const struct checks *cs, unsigned family, struct tbuf *b, size_t *pos, size_t budget);
uint64_t checks_generation(const struct checks *cs);

#endif
