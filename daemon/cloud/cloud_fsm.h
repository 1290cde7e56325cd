/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud_fsm.h - when to claim and when to verify one cloud address (an
 * Elastic IP association, or a private IP on our ENI) for one VIP.
 *
 * Pure: events come in with the time (monotonic ms), actions come out; the
 * caller (cloud.c) makes the API calls and feeds back what they found.
 * Rules, each one a lesson from keepalived notify scripts on AWS:
 *   - Only a MASTER touches the address, and with one claim call (EC2's
 *     AssociateAddress with AllowReassociation moves it; nothing is
 *     disassociated first).  A BACKUP or FAULT router does nothing at all:
 *     pushing the address to a peer that may be dead is how scripts lose it.
 *   - The claim is retried (inside the AWS client) for as long as we are
 *     MASTER; leaving MASTER cancels it.
 *   - A claim is confirmed by reading the association back.  EC2 is
 *     eventually consistent: right after a claim a read may still show the
 *     previous holder, so for settle_ms such reads only cause a re-read
 *     (after recheck_ms, doubling up to 2 s), never a second claim.
 *   - While MASTER the association is read again every verify_interval_ms
 *     and after every election event.  If it shows another holder twice in
 *     a row (confirm_ms apart, so that one stale read cannot cause a flap),
 *     the address is claimed again: a healed split brain ends with the
 *     address on the one real master.  While the split lasts, each re-claim
 *     in one mastership doubles that confirm_ms (up to the interval), so two
 *     masters fighting over the address slow down to one move per interval.
 *   - A reassertion (the election heard a rival claim the VIP while we are
 *     MASTER: a brief dual master, e.g. after a CPU stall here) is evidence
 *     that the address may have moved: it is read back at once, and for
 *     watch_ms after it one read showing another holder is enough to take
 *     it back (the rival's claim is known, so the read is not a stale one);
 *     a read showing it here is repeated soon (recheck_ms, doubling), since
 *     the rival's claim may still be on the wire.
 *   - A router that becomes MASTER by preempting a live master (a returning
 *     higher-priority router) first reads where the address is, then
 *     claims.  The master it preempts may have a claim of its own on the
 *     wire (both started together: the lower one won the first election,
 *     claimed, and stepped down ~100 ms later), and that claim can land
 *     after ours.  A read showing another holder right after our claim is
 *     then either stale (EC2 still shows the holder from before our claim)
 *     or that late claim; only the holder's identity tells them apart: an
 *     Elastic IP association ID is new for every association.  So every
 *     holder read in this mastership is remembered, and after our claim a
 *     holder never seen before is a claim made after ours: claimed back at
 *     once, while the first claim settles and, in HELD too, for watch_ms
 *     after the preemption.  A
 *     holder seen before is a stale read (settle_ms, or two misses in HELD)
 *     as always.  Preemption is not urgent (the master it replaces is up),
 *     so the read costs one API round trip and nothing else.  A private IP
 *     has no association ID (its holder is the ENI): a late claim by the
 *     ENI that held it before is not told apart and waits settle_ms.
 *   - A router that leaves MASTER after claiming in that mastership reads
 *     once, confirm_ms later, where the address ended (for the log): its
 *     cancelled claim may still have been performed.  It never claims.
 *   - A claim that ends in an error no attempt can change (permission
 *     denied, no such address or ENI) stops the calls until the next
 *     mastership or reload; retrying it only burns API quota.  Any other
 *     failure the AWS client gives up on (credentials refused again after a
 *     refresh, RequestExpired with no usable Date header, a bad parameter)
 *     is claimed again after retry_ms, doubling up to 30 s, for as long as
 *     we are MASTER: a credential or clock problem is usually fixed within
 *     the mastership (the IMDS rotates keys, NTP steps the clock).
 */
#ifndef IPVSR_CLOUD_FSM_H
#define IPVSR_CLOUD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#define CFSM_NEVER INT64_MAX

enum cfsm_state {
	CFSM_IDLE = 0, /* not MASTER: hands off */
	CFSM_WAIT,     /* MASTER, the AWS client is not ready yet */
	CFSM_LOOK,     /* MASTER by preemption: reading the holder before claiming */
	CFSM_CLAIM,    /* the claim call is out */
	CFSM_BACKOFF,  /* the claim failed, not for good: claiming again at the deadline */
	CFSM_SETTLE,   /* claimed; reading back until it shows here */
	CFSM_HELD,     /* confirmed here; read back periodically */
	CFSM_FAILED,   /* fatal error; nothing until the next mastership */
};

enum cfsm_found {
	CFSM_HERE,	/* associated with / assigned to us */
	CFSM_ELSEWHERE, /* another ENI or private IP has it */
	CFSM_NOWHERE,	/* nobody has it */
	CFSM_UNKNOWN,	/* the read failed (after its own retries) */
	CFSM_CANNOT,	/* the read is refused for good (denied, not found) */
};

struct cfsm_params {
	int verify_interval_ms; /* HELD: read back this often (aws.verify_interval_ms) */
	int settle_ms;		/* SETTLE: stale reads tolerated this long after a claim */
	int recheck_ms;		/* SETTLE: first re-read delay, doubling up to 2000 */
	int confirm_ms; /* HELD: a second read this long after a bad one (doubling per re-claim) */
	int watch_ms;	/* after a reassertion: one bad read re-claims for this long (0: off) */
	int retry_ms;	/* BACKOFF: first delay before claiming again, doubling up to 30 s */
};

/* How a claim call ended (after the AWS client's own retries). */
enum cfsm_claim {
	CFSM_CLAIM_OK,
	CFSM_CLAIM_RETRY,    /* failed, but a later claim may succeed */
	CFSM_CLAIM_TERMINAL, /* denied or not found: no claim can succeed */
};

/* The parameters cloud.c uses: settle 20 s, recheck 250 ms, confirm 1 s, watch 5 s,
 * retry 1 s. */
struct cfsm_params cfsm_params_default(int verify_interval_ms);

/* Actions, carried out in this order. */
#define CFSM_ACT_CANCEL	   0x01 /* cancel the claim / read calls in flight */
#define CFSM_ACT_CLAIM	   0x02 /* start the claim call */
#define CFSM_ACT_VERIFY	   0x04 /* start a read-back call */
#define CFSM_ACT_CONFIRMED 0x08 /* the claim shows: report the timeline */
#define CFSM_ACT_ENDED	   0x10 /* after leaving MASTER: out->found says where it ended */

struct cfsm_out {
	unsigned actions;
	enum cfsm_state from, to;
	char reason[128];      /* why, for the log line of a transition or a re-claim */
	enum cfsm_found found; /* CFSM_ACT_ENDED: what the read after leaving MASTER found */
};

#define CFSM_ID_MAX	 64 /* a holder's identity: an association ID or an ENI ID */
#define CFSM_SEEN_MAX	 4  /* holders remembered per mastership */

struct cfsm {
	struct cfsm_params p;
	enum cfsm_state state;
	bool master;
	bool ready;
	bool verify_out;     /* a read-back is in flight */
	int64_t deadline;    /* next read-back (SETTLE, HELD) */
	int rechecks;	     /* SETTLE: re-reads so far */
	int misses;	     /* HELD: consecutive reads showing another holder */
	int64_t watch_until; /* a rival claimed the VIP: bad reads re-claim until then */
	bool ended_read;     /* IDLE: the read of where the address ended is due / out */
	bool look;	     /* this mastership preempted a live master: look first */
	bool reasserted;     /* a rival claimed the VIP in this mastership */
	int nseen;	     /* holders read in this mastership (oldest dropped) */
	char seen[CFSM_SEEN_MAX][CFSM_ID_MAX];
	/* timeline of the current mastership (monotonic ms, -1: not yet) */
	int64_t t_master;    /* became MASTER */
	int64_t t_looked;    /* the read before the first claim answered (LOOK); >= 0: the
			      * holders seen before our claim are known */
	int64_t t_claim;     /* last claim started */
	int64_t t_claimed;   /* last claim answered with success */
	int64_t t_confirmed; /* read back here after the last claim */
	int claims;	     /* claim decisions in this mastership (not counting retries) */
	int failures;	     /* failed claim calls since the last claim decision */
	unsigned reclaims;   /* claims after a confirmed hold (split brain healed), ever */
};

void cfsm_init(struct cfsm *f, const struct cfsm_params *p);

/* New parameters (reload); state kept.  HELD re-reads by the new interval. */
void cfsm_set_params(struct cfsm *f, const struct cfsm_params *p, int64_t now);

/* The VIP's role: master or not.  Repeating the current role does nothing. */
void cfsm_role(struct cfsm *f, bool master, int64_t now, struct cfsm_out *out);

/* Became MASTER by preempting a live master (from not MASTER): like
 * cfsm_role(f, true, ...), but the holder is read before the claim and a
 * claim landing after ours is taken back at once (see above). */
void cfsm_preempt(struct cfsm *f, int64_t now, struct cfsm_out *out);

/* The AWS client became ready (true) or went away (false: reload replaced it). */
void cfsm_ready(struct cfsm *f, bool ready, int64_t now, struct cfsm_out *out);

/* The claim call finished (after the client's own retries). */
void cfsm_claim_done(struct cfsm *f, enum cfsm_claim res, int64_t now, struct cfsm_out *out);

/* A read-back finished with what it found; holder: for CFSM_ELSEWHERE, the
 * holder's identity (association ID, else ENI ID; NULL or "" when unknown). */
void cfsm_verify_done(struct cfsm *f, enum cfsm_found found, const char *holder, int64_t now,
    struct cfsm_out *out);

/* cfsm_deadline() has passed. */
void cfsm_timer(struct cfsm *f, int64_t now, struct cfsm_out *out);

/* Something happened in the election: read back soon if we hold the address. */
void cfsm_poke(struct cfsm *f, int64_t now, struct cfsm_out *out);

/* Still MASTER, but a rival claimed the VIP (the election reasserted it):
 * read back at once if we hold the address, and watch it for watch_ms. */
void cfsm_reassert(struct cfsm *f, int64_t now, struct cfsm_out *out);

/* The target changed (reload: another private IP, ENI or allocation), or a reload
 * follows a fatal error: claim again if MASTER. */
void cfsm_retarget(struct cfsm *f, int64_t now, struct cfsm_out *out);

/* When cfsm_timer is due; CFSM_NEVER when nothing is scheduled. */
int64_t cfsm_deadline(const struct cfsm *f);

/* "IDLE", "WAIT", "LOOK", "CLAIM", "BACKOFF", "SETTLE", "HELD", "FAILED". */
const char *cfsm_state_str(enum cfsm_state s);
const char *cfsm_found_str(enum cfsm_found f);

#endif
