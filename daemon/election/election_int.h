/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election_int.h - what the parts of the election glue share; private to
 * them.
 *
 * Included by election.c (instances, role changes, life cycle),
 * election_advert.c (adverts out and in), election_track.c (interface and
 * pool tracking) and election_notify.c (the notify commands) only; everyone
 * else uses election.h.  It holds the running state (struct election_rt, one
 * struct inst per VIP) and the few functions one part calls in another.
 * (notify_* here is the election's notify command; lib/notify.c is the
 * systemd notification socket.)
 */
#ifndef IPVSR_ELECTION_INT_H
#define IPVSR_ELECTION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elect.h"
#include "elect_net.h"
#include "elect_proto.h"
#include "election.h"
#include "list.h"
#include "log.h"

#define MAX_SUBS 8

struct peer_rt {
	char *name;
	struct sockaddr_x addr; /* where our adverts go, where theirs come from */
	struct sockaddr_x src;	/* our source address towards it */
	bool src_ok;
	struct elect_replay replay; /* replay history (authenticated mode) */
	uint8_t hash[ELECT_HASH_LEN];
	bool hash_seen;	   /* hash[] holds the last one it sent */
	bool hash_differs; /* and it differs from ours (logged once) */
};

/* A peer as the shared state sees it (every other router, whatever its VIPs). */
struct share_peer {
	char *name;
	struct sockaddr_x addr;
	struct elect_replay replay; /* its shared-state messages' own history */
};

struct inst {
	struct election_rt *rt;
	char *name; /* identity: VIP name, vrid, family */
	int vrid, af;
	/* the vrid before a reload changed it, still advertised and accepted
	 * until prev_until_ms (the handover window); 0: none */
	int prev_vrid;
	int64_t prev_until_ms;
	const struct vip *v; /* in rt->conf */
	struct elect m;
	struct elect_timer *timer;
	struct elect_timer *garp_timer;
	int garp_left;		   /* announcements still due for this takeover */
	unsigned long transitions; /* role changes (metrics) */
	unsigned long reasserts;   /* rival claims answered while MASTER */
	bool owns;		   /* we put own_addr on own_if */
	char *own_if;
	struct sockaddr_x own_addr;
	bool link_down;
	int64_t last_ms; /* the last time fed to the machine */
	bool fault;	 /* last tracking fed to the machine */
	int decrement;
	bool settling;	 /* the same: a pool of ours has not settled */
	uint8_t hash[ELECT_HASH_LEN];
	struct peer_rt *peers;
	size_t npeers;
	/* announce = "bgp" (election_announce.c) */
	bool ann_want;	   /* the verdict: announce */
	char ann_why[160]; /* the verdict in words, as last logged */
};

/* A route of a BGP VIP installed in the kernel (election_announce.c). */
struct ann_route {
	struct sockaddr_x addr;
	uint32_t table;
};

struct sub {
	election_role_fn cb;
	void *arg;
};

struct election_rt {
	const struct config *conf;
	struct inst **insts;
	size_t ninsts;
	struct elect_net *net;
	struct elect_key key;
	bool vip_open;
	uint64_t counter; /* last authenticated counter sent */
	uint64_t boot;	  /* our boot id, random per start (authenticated mode) */
	char **pools_down;
	size_t npools_down;
	char **pools_settled;	/* election_pool_settled said so (by name) */
	size_t npools_settled;
	struct sub subs[MAX_SUBS];
	size_t nsubs;
	struct list_node jobs; /* notify jobs, FIFO (election_notify.c) */
	size_t npending;
	/* per reason, so that a flood of one kind cannot hide another */
	struct log_ratelimit rl_rx[ELECT_PKT_OLD_BOOT + 2];
	struct log_ratelimit rl_tx, rl_notify, rl_late;
	struct share_peer *share_peers; /* election_share.c */
	size_t nshare_peers;
	election_share_fn share_fn;
	void (*share_tick)(void *arg);
	void *share_arg;
	struct elect_timer *share_timer;
	struct log_ratelimit rl_share;
	int64_t run_delay_ms; /* at the last advert timer, -1: unknown */
	int64_t late_max_ms, held_max_ms; /* worst advert lateness, and its non-CPU part */
	int schedstat_fd;     /* -1: not open yet, -2: unavailable */
	/* BGP VIPs (election_announce.c) */
	bool ann_stopping;    /* shutting down: everything withdrawn */
	bool ann_drained;     /* ipvs-routerctl drain-router */
	int ann_ipvs;	      /* the dataplane has IPVS open: 1, not: 0, not said yet: -1 */
	bool ann_flushed;     /* the table was cleared of an earlier run's routes */
	struct ann_route *routes; /* installed */
	size_t nroutes;
	struct elect_timer *ann_timer; /* retry of a failed change */
};

#define ELECTION_HANDOVER_MS MODEL_VRID_HANDOVER_MS

/* The instance's former vrid while its handover window is open, else 0. */
int inst_prev_vrid(const struct inst *in);

/* ------------------------------------------------------------ election.c */

/* This router's own peer entry; NULL standalone or when it has none. */
const struct peer *election_self_peer(const struct config *c);

/* Feed the instance's machine an event, at the loop's time / at `at` (a
 * time that never goes back: an earlier one counts as the last fed), and
 * carry out what it decides. */
void inst_feed(struct inst *in, const struct elect_event *ev);
void inst_feed_at(struct inst *in, const struct elect_event *ev, int64_t at);

/* ------------------------------------------------------------ election_advert.c */

/* Send one advert at priority `prio` to each peer of the instance we have a
 * source address for (failures logged, rate-limited). */
void advert_send(struct inst *in, int prio);

/* elect_net's receive callback (arg: the election_rt): verify an advert,
 * match it to its instance and peer, and feed it in. */
void advert_on_rx(void *arg, const struct elect_rx *rx);

/* ------------------------------------------------------------ election_share.c */

/* The peers shared state goes to, from configuration `c` (histories kept by
 * name and address). */
void share_peers_apply(struct election_rt *rt, const struct config *c);
void share_peers_free(struct election_rt *rt);
/* At stop: the peers and the timer. */
void share_stop(struct election_rt *rt);

/* A received shared-state message (type ELECT_TYPE_SHARE), authenticated mode. */
void share_on_rx(struct election_rt *rt, const struct elect_rx *rx);

/* ------------------------------------------------------------ election_track.c */

/*
 * Tracking: the VIP's interface (track_interface) and its pools against
 * min_servers.  Feeds the machine a TRACK event when the outcome changed, or
 * always with `force`; logs the change.
 */
void track_update(struct inst *in, bool force);

/* Read the link state of the VIP's interface afresh. */
void track_link_refresh(struct inst *in);

/* vip.c's link callback (arg: the election_rt); ifname NULL: read every link. */
void track_on_link(void *arg, const char *ifname, bool up);

/* Forget the pools remembered as below min_servers (at stop). */
void track_free(struct election_rt *rt);

/* Whether the pool is below min_servers / has settled (by name). */
bool track_pool_down(const struct election_rt *rt, const char *pool);
bool track_pool_settled(const struct election_rt *rt, const char *pool);

/* ------------------------------------------------------------ election_announce.c */

/* Bring the routes of the BGP VIPs in line with their verdicts (logging each
 * change of verdict); returns the number of routes withdrawn. */
int ann_sync(struct election_rt *rt);

/* Whether the instance's route is installed. */
bool ann_announced(const struct inst *in);

/* At stop, after the last ann_sync: the timer and the list. */
void ann_free(struct election_rt *rt);

/* ------------------------------------------------------------ election_notify.c */

/* Queue the notify command for `vip` entering `state` (MASTER, BACKUP,
 * FAULT, STOP) when configuration `c` has one, and start what may start. */
void notify_queue(
    struct election_rt *rt, const struct config *c, const char *vip, const char *state);

/* At stop: run every queued command to completion, blocking, each bounded
 * by its timeout; the queue is empty afterwards. */
void notify_drain(struct election_rt *rt);

#endif
