/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elect.h - the election state machine of one VIP (RFC 5798 section 6).
 *
 * Pure: events come in with the time they happen at (monotonic ms), actions
 * come out.  No sockets, no timers: the machine keeps deadlines and the
 * caller feeds ELECT_EV_TIMER when elect_deadline() has passed.  One
 * machine per VIP, so N routers can each be master of their own VIP.
 *
 * Differences from RFC 5798, all deliberate:
 *   - Priority 255 ("address owner") is never ours: our priorities are
 *     1..254, so start-up always goes through BACKUP (or MASTER at once
 *     when standalone).
 *   - preempt_delay_ms: for that long after start, a BACKUP with preemption
 *     still accepts a lower-priority master (as if preempt were off), so a
 *     router that just booted gives its health checks time first.
 *   - settling (TRACK): while the VIP's pools are still settling (a server
 *     has not had its say yet: neither up nor failed), a BACKUP does not
 *     preempt either.  Its IPVS table is still filling, so it would send
 *     established flows elsewhere (mh): taking the VIP from a working master
 *     waits until its table is what health says (issue #17).  A master that
 *     dies is still replaced at once.
 *   - FAULT: tracking (interface down, pools below min_servers) takes the
 *     machine out of the election; leaving FAULT goes through BACKUP.
 *   - FAULT also when the VIP's address cannot be added (the caller reports
 *     ELECT_EV_TAKE_FAILED after ELECT_ACT_TAKE): a master without its
 *     address must not suppress the backups.  It advertises priority 0 so
 *     the best backup takes over after Skew_Time, then asks for the address
 *     again (ELECT_ACT_TAKE while in FAULT: a probe) after 1 s, doubling up
 *     to 30 s.  When a probe succeeds (ELECT_EV_TAKE_OK) it gives the address
 *     back (RELEASE) and leaves FAULT through BACKUP, as after tracking.
 *   - RELEASE is also emitted on the way out of INIT when not becoming
 *     MASTER, so that an address left behind by a crashed predecessor goes.
 *
 * Timing: Master_Down_Interval = 3 x Master_Adver_Interval + Skew_Time,
 * Skew_Time = (256 - priority) x Master_Adver_Interval / 256, where
 * Master_Adver_Interval is the interval the master advertises (ours until
 * one was heard).  A priority-0 advert (a master going away cleanly) cuts
 * the wait to Skew_Time, so the best backup takes over first; only the
 * master a backup follows can do that (a priority 0 from any other router
 * is ignored: it says nothing about the real master).  Equal
 * priorities: the higher primary address wins, as in the RFC.
 */
#ifndef IPVSR_ELECT_H
#define IPVSR_ELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define ELECT_NEVER INT64_MAX

enum elect_state {
	ELECT_INIT = 0,
	ELECT_BACKUP,
	ELECT_MASTER,
	ELECT_FAULT,
};

/* What one instance needs to know; set at init, changed by elect_reconfigure. */
struct elect_conf {
	int priority;		/* 1..254, before tracking */
	int advert_interval_ms; /* 10..40950 */
	bool preempt;
	int preempt_delay_ms;	/* after ELECT_EV_START */
	bool standalone;	/* no peers: MASTER whenever not FAULT, no adverts */
	struct sockaddr_x self; /* our primary address, for ties */
};

enum elect_ev_type {
	ELECT_EV_START,	   /* INIT -> BACKUP, MASTER (standalone) or FAULT */
	ELECT_EV_TIMER,	   /* elect_deadline() has passed */
	ELECT_EV_ADVERT,   /* a verified advert from a peer */
	ELECT_EV_TRACK,	   /* tracking changed: fault and/or decrement */
	ELECT_EV_SHUTDOWN, /* leave: priority-0 advert and RELEASE if MASTER */
	ELECT_EV_TAKE_FAILED, /* the last ELECT_ACT_TAKE could not add the address */
	ELECT_EV_TAKE_OK,     /* the last ELECT_ACT_TAKE added it (or it is not ours) */
};

struct elect_event {
	enum elect_ev_type type;
	/* ADVERT */
	struct sockaddr_x from; /* the sender's address (its primary address) */
	int priority;		/* 0..255 */
	int interval_ms;	/* the sender's Max Adver Int */
	/* TRACK: the whole tracking state, not a delta */
	bool fault;
	int decrement; /* subtracted from the priority (never below 1) */
	bool settling; /* the VIP's pools are still settling: do not preempt */
};

#define ELECT_ACT_SEND	  0x01 /* send an advert with out->advert_priority */
#define ELECT_ACT_TAKE	  0x02 /* now MASTER: own the VIP; in FAULT: try to (a probe);
				* answer with ELECT_EV_TAKE_OK or ELECT_EV_TAKE_FAILED */
#define ELECT_ACT_RELEASE 0x04 /* no longer MASTER: give the VIP up */
#define ELECT_ACT_ANNOUNCE 0x08 /* still MASTER, but another router claimed the VIP:
				  * announce it again (gratuitous ARP / NA) */

struct elect_out {
	unsigned actions;	   /* ELECT_ACT_*; SEND comes before TAKE, RELEASE after SEND */
	int advert_priority;	   /* for ELECT_ACT_SEND: the priority, 0 when leaving */
	enum elect_state from, to; /* to != from: one transition */
	char reason[96];	   /* why, for the log line of a transition */
	char note[160];		   /* no transition, but worth a log line ("": none) */
};

struct elect {
	struct elect_conf conf;
	enum elect_state state;
	bool fault;
	int decrement;
	bool settling;		  /* TRACK: no preemption while set */
	int64_t started_ms;	  /* ELECT_EV_START: preempt_delay counts from here */
	int master_adver_ms;	  /* Master_Adver_Interval */
	int64_t master_down_at;	  /* BACKUP: become MASTER then, unless an advert comes */
	int64_t last_advert_ms;	  /* BACKUP: when the master was last heard, -1: never */
	int64_t announced_at;	  /* MASTER: last re-announcement after a rival claim, 0: none */
	int64_t advert_at;	  /* MASTER: next advert */
	struct sockaddr_x master; /* the master we follow (af 0: none known) */
	int master_priority;
	struct sockaddr_x lower; /* a lower master we are preempting (af 0: none) */
	bool preempted;		 /* MASTER by preempting a live lower master */
	bool stall_grace;	 /* BACKUP: the late master-down deadline was extended
				  * once since the master was last heard */
	int lower_priority;
	bool take_fault;	  /* FAULT because the address could not be added */
	int take_retry_ms;	  /* the next backoff after a failed add */
	int64_t take_retry_at;	  /* FAULT with take_fault: probe then */
};

/* A BACKUP whose master-down deadline is judged later than this (or than one
 * advert interval, if shorter) did not run when it passed: it waits once more
 * for the master's advert (see on_timer). */
#define ELECT_STALL_MS 25

#define ELECT_TAKE_RETRY_MIN_MS 1000
#define ELECT_TAKE_RETRY_MAX_MS 30000

/* Set up an instance in INIT.  Nothing happens until ELECT_EV_START. */
void elect_init(struct elect *e, const struct elect_conf *c);

/*
 * Feed one event at time `now` (monotonic ms, never decreasing).  *out is
 * always filled: the actions to carry out, in the order SEND, TAKE,
 * RELEASE, and the transition if there was one.  Unknown or inapplicable
 * events (an advert in FAULT) do nothing.
 */
void elect_input(struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out);

/* When ELECT_EV_TIMER is due next; ELECT_NEVER when no deadline is set. */
int64_t elect_deadline(const struct elect *e);

/*
 * New settings for a running instance (a reload that kept its identity):
 * the state is kept.  A MASTER whose priority or interval changed
 * advertises at once; becoming standalone makes a BACKUP MASTER; leaving
 * standalone makes a MASTER start advertising.
 */
void elect_reconfigure(
    struct elect *e, const struct elect_conf *c, int64_t now, struct elect_out *out);

/* The priority advertised now: conf.priority - decrement, at least 1. */
int elect_priority(const struct elect *e);

/* Master_Down_Interval and Skew_Time for the current Master_Adver_Interval and priority. */
int elect_master_down_ms(const struct elect *e);
int elect_skew_ms(const struct elect *e);

/* "INIT", "BACKUP", "MASTER", "FAULT". */
const char *elect_state_str(enum elect_state s);

#endif
