/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud_fsm.c - claim and read-back decisions for one cloud address.
 * See cloud_fsm.h for the rules and why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cloud_fsm.h"
#include "util.h"

#define RECHECK_CAP_MS 2000
#define RETRY_CAP_MS   30000

static void cfsm_out_init(const struct cfsm *f, struct cfsm_out *out);
static void cfsm_go(struct cfsm *f, enum cfsm_state to, struct cfsm_out *out, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static void start_claim(struct cfsm *f, int64_t now, struct cfsm_out *out, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static void verify_now(struct cfsm *f, struct cfsm_out *out);
static int64_t recheck_delay(const struct cfsm *f);
static int64_t confirm_delay(const struct cfsm *f);
static int64_t retry_delay(const struct cfsm *f);
static bool watching(const struct cfsm *f, int64_t now);
static bool seen(const struct cfsm *f, const char *holder);
static void remember(struct cfsm *f, const char *holder);
static bool late_rival(const struct cfsm *f, enum cfsm_found found, const char *holder, int64_t now);

static void
cfsm_out_init(const struct cfsm *f, struct cfsm_out *out)
{
	memset(out, 0, sizeof(*out));
	out->from = out->to = f->state;
}

static void
cfsm_go(struct cfsm *f, enum cfsm_state to, struct cfsm_out *out, const char *fmt, ...)
{
	va_list ap;

	f->state = to;
	out->to = to;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void
start_claim(struct cfsm *f, int64_t now, struct cfsm_out *out, const char *fmt, ...)
{
	va_list ap;

	if (f->state == CFSM_CLAIM || f->verify_out)
		out->actions |= CFSM_ACT_CANCEL;
	out->actions |= CFSM_ACT_CLAIM;
	f->state = CFSM_CLAIM;
	out->to = CFSM_CLAIM;
	f->verify_out = false;
	f->deadline = CFSM_NEVER;
	f->rechecks = 0;
	f->misses = 0;
	f->t_claim = now;
	f->t_claimed = -1;
	f->t_confirmed = -1;
	f->claims++;
	f->failures = 0;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void
verify_now(struct cfsm *f, struct cfsm_out *out)
{
	out->actions |= CFSM_ACT_VERIFY;
	f->verify_out = true;
	f->deadline = CFSM_NEVER;
}

static int64_t
recheck_delay(const struct cfsm *f)
{
	int64_t d = f->p.recheck_ms > 0 ? f->p.recheck_ms : 1;
	int i;

	for (i = 1; i < f->rechecks && d < RECHECK_CAP_MS; i++)
		d *= 2;
	return d < RECHECK_CAP_MS ? d : RECHECK_CAP_MS;
}

/*
 * Flap damping: in a split brain two masters take the address from each
 * other.  Each re-claim in the same mastership doubles the wait before the
 * confirming read, up to the verify interval, so the fight slows down to
 * one move per interval and each router's API budget survives it.
 */
static int64_t
confirm_delay(const struct cfsm *f)
{
	int64_t d = f->p.confirm_ms > 0 ? f->p.confirm_ms : 1;
	int i;

	for (i = 1; i < f->claims && d < f->p.verify_interval_ms; i++)
		d *= 2;
	return d < f->p.verify_interval_ms ? d : f->p.verify_interval_ms;
}

/* BACKOFF: retry_ms after the first failure, doubling, up to RETRY_CAP_MS. */
static int64_t
retry_delay(const struct cfsm *f)
{
	int64_t d = f->p.retry_ms > 0 ? f->p.retry_ms : 1;
	int i;

	for (i = 1; i < f->failures && d < RETRY_CAP_MS; i++)
		d *= 2;
	return d < RETRY_CAP_MS ? d : RETRY_CAP_MS;
}

/* A rival claimed the VIP lately: its claim may land (or have landed) any time. */
static bool
watching(const struct cfsm *f, int64_t now)
{
	return f->watch_until > now;
}

/* A holder read in this mastership (a stale read may show it again). */
static bool
seen(const struct cfsm *f, const char *holder)
{
	int i;

	for (i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i], holder) == 0)
			return true;
	return false;
}

static void
remember(struct cfsm *f, const char *holder)
{
	if (holder == NULL || holder[0] == '\0' || seen(f, holder))
		return;
	if (f->nseen == CFSM_SEEN_MAX) {
		memmove(f->seen[0], f->seen[1], sizeof(f->seen[0]) * (CFSM_SEEN_MAX - 1));
		f->nseen--;
	}
	snprintf(f->seen[f->nseen++], sizeof(f->seen[0]), "%s", holder);
}

/*
 * After preempting a live master: a holder that no read in this mastership
 * showed before is a claim made after ours (the preempted master's, sent
 * before it stepped down), not a stale read.  Needs the read before the
 * claim (LOOK) and the holder's identity.  Until the first claim has
 * settled, however long its read-backs take; after that, for watch_ms from
 * the preemption (later re-claims keep their flap damping).
 */
static bool
late_rival(const struct cfsm *f, enum cfsm_found found, const char *holder, int64_t now)
{
	return found == CFSM_ELSEWHERE && f->t_looked >= 0 && holder != NULL && holder[0] != '\0' &&
	       !seen(f, holder) && (watching(f, now) || (f->state == CFSM_SETTLE && f->claims == 1));
}

struct cfsm_params
cfsm_params_default(int verify_interval_ms)
{
	struct cfsm_params p = {verify_interval_ms, 20000, 250, 1000, 5000, 1000};

	return p;
}

void
cfsm_init(struct cfsm *f, const struct cfsm_params *p)
{
	memset(f, 0, sizeof(*f));
	f->p = *p;
	f->state = CFSM_IDLE;
	f->deadline = CFSM_NEVER;
	f->t_master = f->t_looked = f->t_claim = f->t_claimed = f->t_confirmed = -1;
}

void
cfsm_set_params(struct cfsm *f, const struct cfsm_params *p, int64_t now)
{
	f->p = *p;
	if (f->state == CFSM_HELD && !f->verify_out && f->deadline > now + p->verify_interval_ms)
		f->deadline = now + p->verify_interval_ms;
}

/* From not MASTER to MASTER; look: by preempting a live master. */
static void
to_master(struct cfsm *f, bool look, int64_t now, struct cfsm_out *out)
{
	f->master = true;
	f->watch_until = 0;
	f->look = look;
	f->reasserted = false;
	f->nseen = 0;
	f->ended_read = false;
	f->t_master = now;
	f->t_looked = f->t_claim = f->t_claimed = f->t_confirmed = -1;
	f->claims = 0;
	/* the preempted master's claim may land any time in the next watch_ms */
	if (look && f->p.watch_ms > 0)
		f->watch_until = now + f->p.watch_ms;
	if (!f->ready) {
		cfsm_go(f, CFSM_WAIT, out, "became MASTER, waiting for the AWS client");
	} else if (look) {
		if (f->verify_out) /* the read of where the address ended, from before */
			out->actions |= CFSM_ACT_CANCEL;
		cfsm_go(f, CFSM_LOOK, out, "preempted a live master: reading the holder first");
		verify_now(f, out);
	} else {
		start_claim(f, now, out, "became MASTER");
	}
}

void
cfsm_role(struct cfsm *f, bool master, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	if (master == f->master)
		return;
	if (master) {
		to_master(f, false, now, out);
		return;
	}
	f->master = false;
	f->watch_until = 0;
	f->look = f->reasserted = false;
	f->nseen = 0;
	if (f->state == CFSM_CLAIM || f->verify_out)
		out->actions |= CFSM_ACT_CANCEL;
	f->verify_out = false;
	f->deadline = CFSM_NEVER;
	if (f->claims > 0 && f->ready) {
		/* our claim may have been performed even if it was cancelled: look, later */
		f->ended_read = true;
		f->deadline = now + (f->p.confirm_ms > 0 ? f->p.confirm_ms : 1);
	}
	if (f->state != CFSM_IDLE)
		cfsm_go(f, CFSM_IDLE, out, "no longer MASTER: hands off");
}

void
cfsm_preempt(struct cfsm *f, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	if (!f->master)
		to_master(f, true, now, out);
}

void
cfsm_ready(struct cfsm *f, bool ready, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	f->ready = ready;
	if (ready) {
		if (f->state == CFSM_WAIT && f->look && f->t_looked < 0) {
			cfsm_go(f, CFSM_LOOK, out,
			    "the AWS client is ready; reading the holder before claiming");
			verify_now(f, out);
		} else if (f->state == CFSM_WAIT) {
			start_claim(f, now, out, "the AWS client is ready");
		}
		return;
	}
	if (f->state == CFSM_IDLE || f->state == CFSM_WAIT) {
		/* its read of where the address ended goes with it */
		f->ended_read = f->verify_out = false;
		f->deadline = CFSM_NEVER;
		return;
	}
	/* the client went away with its calls (reload): a new one starts over, even after a
	 * fatal error, which the reload may have fixed (a LOOK starts over too) */
	if (f->state == CFSM_LOOK)
		f->t_looked = -1;
	if (f->state == CFSM_CLAIM || f->verify_out)
		out->actions |= CFSM_ACT_CANCEL;
	f->verify_out = false;
	f->deadline = CFSM_NEVER;
	cfsm_go(f, CFSM_WAIT, out, "the AWS client is being replaced");
}

void
cfsm_claim_done(struct cfsm *f, enum cfsm_claim res, int64_t now, struct cfsm_out *out)
{
	int64_t d;

	cfsm_out_init(f, out);
	if (f->state != CFSM_CLAIM)
		return;
	if (res == CFSM_CLAIM_TERMINAL) {
		f->deadline = CFSM_NEVER;
		cfsm_go(f, CFSM_FAILED, out, "the claim failed for good");
		return;
	}
	if (res == CFSM_CLAIM_RETRY) {
		f->failures++;
		d = retry_delay(f);
		f->deadline = now + d;
		cfsm_go(f, CFSM_BACKOFF, out, "claiming again in %lld ms (failure %d)",
		    (long long)d, f->failures);
		return;
	}
	f->t_claimed = now;
	f->rechecks = 0;
	cfsm_go(f, CFSM_SETTLE, out, "claimed, reading it back");
	verify_now(f, out);
}

void
cfsm_verify_done(struct cfsm *f, enum cfsm_found found, const char *holder, int64_t now,
    struct cfsm_out *out)
{
	bool known, rival;

	cfsm_out_init(f, out);
	if (f->state == CFSM_IDLE && f->ended_read && f->verify_out) {
		f->ended_read = f->verify_out = false;
		f->deadline = CFSM_NEVER;
		out->actions |= CFSM_ACT_ENDED;
		out->found = found;
		return;
	}
	if (!f->verify_out ||
	    (f->state != CFSM_SETTLE && f->state != CFSM_HELD && f->state != CFSM_LOOK))
		return;
	f->verify_out = false;
	if (f->state == CFSM_LOOK) {
		/* whatever it found, claim: the preempted master may still hold it, or
		 * have a claim on the wire; a failed read only means no holder to
		 * compare with (then stale reads are given settle_ms as after any claim) */
		if (found != CFSM_UNKNOWN && found != CFSM_CANNOT) {
			f->t_looked = now;
			if (found == CFSM_ELSEWHERE)
				remember(f, holder);
		}
		start_claim(f, now, out, "%s",
		    found == CFSM_HERE	      ? "preempted a live master; already here"
		    : found == CFSM_ELSEWHERE ? "preempted a live master; held elsewhere"
		    : found == CFSM_NOWHERE   ? "preempted a live master; not associated"
					      : "preempted a live master; holder unknown");
		return;
	}
	if (found == CFSM_CANNOT) {
		f->deadline = CFSM_NEVER;
		cfsm_go(f, CFSM_FAILED, out, "cannot read it back");
		return;
	}
	known = holder != NULL && holder[0] != '\0' && seen(f, holder);
	rival = late_rival(f, found, holder, now);
	if (found == CFSM_ELSEWHERE)
		remember(f, holder);
	if (rival) {
		/* the preempted master's claim landed after ours */
		f->reclaims++;
		start_claim(f, now, out,
		    "a claim landed after ours (%s, not seen before it): claiming it back", holder);
		return;
	}
	if (f->state == CFSM_SETTLE) {
		if (found == CFSM_HERE) {
			f->t_confirmed = now;
			f->misses = 0;
			f->rechecks = 0;
			if (watching(f, now)) {
				f->rechecks++;
				f->deadline = now + recheck_delay(f);
			} else {
				f->deadline = now + f->p.verify_interval_ms;
			}
			out->actions |= CFSM_ACT_CONFIRMED;
			cfsm_go(f, CFSM_HELD, out, "confirmed");
			return;
		}
		if (found != CFSM_UNKNOWN && now - f->t_claimed >= f->p.settle_ms) {
			start_claim(f, now, out, "still %s %lld ms after the claim",
			    found == CFSM_NOWHERE ? "unassociated" : "elsewhere",
			    (long long)(now - f->t_claimed));
			return;
		}
		/* most likely a stale read (or a failed one): read again soon */
		f->rechecks++;
		f->deadline = now + recheck_delay(f);
		return;
	}
	/* HELD */
	switch (found) {
	case CFSM_HERE:
		f->misses = 0;
		if (watching(f, now)) {
			/* the rival's claim may still be on the wire */
			f->rechecks++;
			f->deadline = now + recheck_delay(f);
			return;
		}
		f->deadline = now + f->p.verify_interval_ms;
		return;
	case CFSM_ELSEWHERE:
	case CFSM_NOWHERE:
		/* after a preemption alone, a holder read before our claim may be a
		 * stale read: two misses, as always; after a reassertion, no */
		if (watching(f, now) && (f->reasserted || f->t_looked < 0 || !known)) {
			/* a known rival claim, not a stale read: no confirming read */
			f->reclaims++;
			start_claim(f, now, out,
			    "%s after a rival claimed the VIP: claiming it back",
			    found == CFSM_NOWHERE ? "unassociated" : "held elsewhere");
			return;
		}
		if (++f->misses >= 2) {
			f->reclaims++;
			start_claim(f, now, out, "%s on %d reads in a row: claiming it back",
			    found == CFSM_NOWHERE ? "unassociated" : "held elsewhere", f->misses);
			return;
		}
		f->deadline = now + confirm_delay(f);
		return;
	default:
		if (watching(f, now)) {
			f->rechecks++;
			f->deadline = now + recheck_delay(f);
			return;
		}
		f->deadline = now + f->p.verify_interval_ms;
		return;
	}
}

void
cfsm_timer(struct cfsm *f, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	if (f->state == CFSM_BACKOFF && now >= f->deadline) {
		/* the same claim, once more: not a new decision (claims, t_claim kept) */
		out->actions |= CFSM_ACT_CLAIM;
		f->deadline = CFSM_NEVER;
		cfsm_go(f, CFSM_CLAIM, out, "claiming again after %d failure%s", f->failures,
		    f->failures == 1 ? "" : "s");
		return;
	}
	if ((f->state == CFSM_SETTLE || f->state == CFSM_HELD ||
		(f->state == CFSM_IDLE && f->ended_read)) &&
	    !f->verify_out && now >= f->deadline)
		verify_now(f, out);
}

void
cfsm_poke(struct cfsm *f, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	if (f->state == CFSM_HELD && !f->verify_out)
		verify_now(f, out);
}

void
cfsm_reassert(struct cfsm *f, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	if (!f->master)
		return;
	if (f->p.watch_ms > 0)
		f->watch_until = now + f->p.watch_ms;
	f->reasserted = true;
	f->rechecks = 0;
	/* a read in flight may predate the rival's claim: a good answer is read again
	 * soon (watching); CLAIM and SETTLE watch from when the address is held */
	if (f->state == CFSM_HELD && !f->verify_out)
		verify_now(f, out);
}

void
cfsm_retarget(struct cfsm *f, int64_t now, struct cfsm_out *out)
{
	cfsm_out_init(f, out);
	if (!f->master || f->state == CFSM_IDLE || f->state == CFSM_WAIT)
		return;
	start_claim(f, now, out,
	    f->state == CFSM_FAILED ? "trying again after the reload" : "the target changed");
}

int64_t
cfsm_deadline(const struct cfsm *f)
{
	if ((f->state == CFSM_SETTLE || f->state == CFSM_HELD || f->state == CFSM_BACKOFF ||
		(f->state == CFSM_IDLE && f->ended_read)) &&
	    !f->verify_out)
		return f->deadline;
	return CFSM_NEVER;
}

const char *
cfsm_state_str(enum cfsm_state s)
{
	static const char *const names[] = {
	    "IDLE", "WAIT", "LOOK", "CLAIM", "BACKOFF", "SETTLE", "HELD", "FAILED"};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *
cfsm_found_str(enum cfsm_found f)
{
	static const char *const names[] = {
	    "here", "elsewhere", "nowhere", "unknown", "cannot read"};

	return (unsigned)f < ARRAY_SIZE(names) ? names[f] : "?";
}
