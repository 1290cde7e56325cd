/* SPDX-License-Identifier: Apache-2.0 */
/*
 * control.h - what the daemon tells and takes from its operators: the
 * commands behind ipvs-routerctl and the Prometheus metrics (composition).
 *
 * The control socket (ctl.c) and the scrape endpoint (metrics_http.c) are
 * edges; this module answers them from the running state the daemon and its
 * subsystems keep, which it reads through control_ops (set by the composer:
 * nothing here includes another subsystem or calls up).  Neither the socket nor the listener is essential to load
 * balancing: if one cannot be opened (a port in use), that is logged and the
 * daemon runs on without it, retrying at the next reload.
 */
#ifndef IPVSR_CONTROL_H
#define IPVSR_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model.h"

struct tbuf;
struct explain;

/* The daemon's own record, for status and the metrics. */
struct control_info {
	const char *config_path;
	const char *router_name; /* as given with -n, or NULL */
	time_t loaded_at;	 /* when the running configuration was loaded */
	unsigned reloads_ok, reloads_refused;
	bool last_reload_ok;
	const struct errlist *last_errors; /* of the last configuration read */
	const char *last_change;	   /* the last accepted reload's diff summary */
	int64_t last_reload_us;
};

/* One server of one pool as the health table sees it. */
struct control_server {
	const char *pool;
	struct sockaddr_x dest;
	const char *check;   /* check type, "none" when unchecked */
	bool up;
	int64_t since_ms;    /* monotonic ms of the last state change, -1: none */
	char result[200];    /* the last result in words, or why there is none */
	/* IPVS traffic to this address and port (all managed services), as of the
	 * last read (ipvs.traffic_interval_ms), set by server_traffic: valid when
	 * `traffic` */
	bool traffic;
	unsigned active, inactive;
	uint64_t conns; /* scheduled in all */
	uint64_t cps, inpps, outpps, inbps, outbps;
	int64_t traffic_age_ms;
};

/* What control asks of the composer.  Every function must be set. */
struct control_ops {
	const struct config *(*config)(void *arg); /* the running configuration */
	void (*info)(void *arg, struct control_info *out);
	/* A VIP's role here ("MASTER", "BACKUP", "FAULT", "INIT"). */
	const char *(*role)(void *arg, const char *vip);
	void (*pool_count)(void *arg, const char *pool, unsigned *up, unsigned *total);
	/* The servers, in (pool, address, port) order; false past the end. */
	size_t (*server_count)(void *arg);
	bool (*server)(void *arg, size_t i, struct control_server *out);
	/* Add the IPVS traffic figures to a server `server` filled (show servers
	 * only: asking starts the reads when the metrics are off). */
	void (*server_traffic)(void *arg, struct control_server *out);
	/* Re-read the configuration (ipvs-routerctl reload), off the loop:
	 * done(ctx, r) gets the result later (r 0 or -errno); a negative return
	 * means it could not start (done was called). */
	int (*reload)(void *arg, void (*done)(void *ctx, int r), void *ctx);
	/* A drain or undrain was taken: the dataplane must look again; `local`:
	 * by an operator here (share it with the other routers), else merged
	 * from a peer. */
	void (*drains_changed)(void *arg, bool local);
	/* Why drains are not shared with the other routers, or NULL when they
	 * are (for status). */
	const char *(*drains_share_off)(void *arg);
	/* More lines for `status` (endpoint files), and the subsystems'
	 * own metric families. */
	void (*status_more)(void *arg, struct tbuf *out);
	void (*metrics)(void *arg, struct tbuf *out);
	/* The families with a sample per server or destination, rendered in
	 * slices (a scrape is answered over several loop iterations): append
	 * section `section`'s samples from *pos on, at most `budget` of them
	 * (its header when *pos is 0), advance *pos; true once the section is
	 * complete.  Sections 0 .. metrics_sections - 1. */
	unsigned metrics_sections;
	bool (*metrics_section)(
	    void *arg, unsigned section, struct tbuf *out, size_t *pos, size_t budget);
	/* A value that changes whenever a section's set of samples does (a
	 * scrape in progress then starts again, so that none is listed twice). */
	uint64_t (*metrics_generation)(void *arg);
	/* ipvs-routerctl explain: fill *x (pool and server set, the rest zero)
	 * for the member at `addr` (port 0: any), all but x->drain (control's
	 * own); x->member.found stays false when the pool has no such server. */
	void (*explain)(void *arg, const struct sockaddr_x *addr, struct explain *x);
	/* An announce = "bgp" VIP: 1 announced, 0 withdrawn (why in `why`), -1 not one. */
	int (*bgp)(void *arg, const char *vip, char *why, size_t len);
	/* drain-router (on 1) / undrain-router (0): the number of BGP VIPs; on -1
	 * asks whether the router is drained (1 or 0). */
	int (*drain_router)(void *arg, int on);
	void *arg;
};

/* Nothing open yet.  Pair: control_stop. */
struct control *control_new(const struct control_ops *ops);

/* Open or move the control socket and metrics listener for new_conf
 * (old_conf NULL at start); only what changed is reopened. */
void control_apply(struct control *ct, const struct config *old_conf,
    const struct config *new_conf);

/* Close both, free `ct` (the drains stay in their file).  NULL-safe. */
void control_stop(struct control *ct);

/* Whether an operator drained (ipvs-routerctl drain) `addr` of pool `pool`:
 * a drain of its address and port, or of its address without a port; addr's
 * port 0 matches a drain of any port of the address. */
bool control_drained(const struct control *ct, const char *pool, const struct sockaddr_x *addr);

/*
 * Drains shared between the routers (control/drains.h).  They are kept in
 * state_dir()/drains (read at the first control_apply, rewritten on every
 * change).  control_drains_pieces hands the whole set, undrains included,
 * to emit() in pieces of at most `max` bytes (for election_share_send);
 * control_drains_merge takes a peer's piece: what wins is kept, logged and
 * written, and drains_changed(arg, false) follows when anything changed.
 */
size_t control_drains_pieces(struct control *ct, size_t max,
    void (*emit)(void *arg, const char *s, size_t len), void *arg);
void control_drains_merge(struct control *ct, const char *peer, const char *text, size_t len);

#endif
