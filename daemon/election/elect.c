/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elect.c - the election state machine of one VIP (RFC 5798 section 6.4).
 *
 * Core module: time is a parameter, actions are the result.  The RFC's
 * timers become deadlines (master_down_at, advert_at); the caller arms one
 * watcher at elect_deadline() and feeds ELECT_EV_TIMER when it fires.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elect.h"

static void elect_out_init(const struct elect *e, struct elect_out *out);
static void elect_go(struct elect *e, enum elect_state to, struct elect_out *out, const char *fmt,
    ...) PRINTF_LIKE(4, 5);
static void become_master(struct elect *e, int64_t now, struct elect_out *out);
static void become_backup(struct elect *e, int64_t now, struct elect_out *out);
static void follow(struct elect *e, const struct elect_event *ev, int64_t now);
static void emit_send(struct elect *e, int prio, struct elect_out *out);
static bool preempting(const struct elect *e, int64_t now);
static bool sender_wins(const struct elect *e, const struct elect_event *ev);
static void on_advert(
    struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out);
static void on_timer(struct elect *e, int64_t now, struct elect_out *out);
static void on_track(
    struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out);
static void on_take(
    struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out);
static void leave_fault(struct elect *e, int64_t now, struct elect_out *out, const char *why);

const char *
elect_state_str(enum elect_state s)
{
	switch (s) {
	case ELECT_INIT:
		return "INIT";
	case ELECT_BACKUP:
		return "BACKUP";
	case ELECT_MASTER:
		return "MASTER";
	case ELECT_FAULT:
		return "FAULT";
	}
	return "?";
}

void
elect_init(struct elect *e, const struct elect_conf *c)
{
	memset(e, 0, sizeof(*e));
	e->conf = *c;
	e->state = ELECT_INIT;
	e->master_adver_ms = c->advert_interval_ms;
	e->master_down_at = ELECT_NEVER;
	e->advert_at = ELECT_NEVER;
	e->last_advert_ms = -1;
	e->take_retry_ms = ELECT_TAKE_RETRY_MIN_MS;
	e->take_retry_at = ELECT_NEVER;
}

int
elect_priority(const struct elect *e)
{
	int p = e->conf.priority - e->decrement;

	return p < 1 ? 1 : p;
}

int
elect_skew_ms(const struct elect *e)
{
	return (256 - elect_priority(e)) * e->master_adver_ms / 256;
}

int
elect_master_down_ms(const struct elect *e)
{
	return 3 * e->master_adver_ms + elect_skew_ms(e);
}

int64_t
elect_deadline(const struct elect *e)
{
	switch (e->state) {
	case ELECT_BACKUP:
		return e->master_down_at;
	case ELECT_MASTER:
		return e->advert_at;
	case ELECT_FAULT:
		return e->take_fault ? e->take_retry_at : ELECT_NEVER;
	default:
		return ELECT_NEVER;
	}
}

/* ------------------------------------------------------------ helpers */

static void
elect_out_init(const struct elect *e, struct elect_out *out)
{
	memset(out, 0, sizeof(*out));
	out->from = out->to = e->state;
}

static void
elect_go(struct elect *e, enum elect_state to, struct elect_out *out, const char *fmt, ...)
{
	va_list ap;

	if (to != e->state)
		e->preempted = false; /* on_timer sets it for a preemption, after this */
	e->state = to;
	out->to = to;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void
emit_send(struct elect *e, int prio, struct elect_out *out)
{
	out->actions |= ELECT_ACT_SEND;
	out->advert_priority = prio;
}

/* RFC 5798 6.4.1/6.4.2 "transition to Master": advertise, then own. */
static void
become_master(struct elect *e, int64_t now, struct elect_out *out)
{
	if (!e->conf.standalone) {
		emit_send(e, elect_priority(e), out);
		e->advert_at = now + e->conf.advert_interval_ms;
	} else {
		e->advert_at = ELECT_NEVER;
	}
	out->actions |= ELECT_ACT_TAKE;
	e->master_down_at = ELECT_NEVER;
	memset(&e->master, 0, sizeof(e->master));
	e->master_priority = 0;
	memset(&e->lower, 0, sizeof(e->lower));
}

/* Wait a whole Master_Down_Interval for a master to show itself. */
static void
become_backup(struct elect *e, int64_t now, struct elect_out *out)
{
	if (e->state == ELECT_MASTER)
		out->actions |= ELECT_ACT_RELEASE;
	e->advert_at = ELECT_NEVER;
	e->master_adver_ms = e->conf.advert_interval_ms;
	e->master_down_at = now + elect_master_down_ms(e);
}

/* Accept ev's sender as our master: learn its interval, wait for it again. */
static void
follow(struct elect *e, const struct elect_event *ev, int64_t now)
{
	e->master = ev->from;
	e->master_priority = ev->priority;
	memset(&e->lower, 0, sizeof(e->lower));
	e->master_adver_ms = ev->interval_ms > 0 ? ev->interval_ms : e->conf.advert_interval_ms;
	e->master_down_at = now + elect_master_down_ms(e);
	e->last_advert_ms = now;
	e->stall_grace = false;
}

static bool
preempting(const struct elect *e, int64_t now)
{
	return e->conf.preempt && !e->settling && now - e->started_ms >= e->conf.preempt_delay_ms;
}

/* RFC 5798 6.4.3: a higher priority, or the same and a higher address. */
static bool
sender_wins(const struct elect *e, const struct elect_event *ev)
{
	int mine = elect_priority(e);

	if (ev->priority != mine)
		return ev->priority > mine;
	return sockaddr_x_cmp_addr(&ev->from, &e->conf.self) > 0;
}

/* ------------------------------------------------------------ events */

static void
on_advert(struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out)
{
	char a[SOCKADDR_X_STRLEN];

	if (e->conf.standalone)
		return;
	switch (e->state) {
	case ELECT_BACKUP:
		if (ev->priority == 0) {
			/*
			 * Only the master we follow may cut the wait.  A priority 0
			 * from anyone else (a router that wrongly thought itself
			 * master after a one-way partition, and now steps down) says
			 * nothing about the real master: believing it would make us
			 * take over after Skew_Time, and the real master would take
			 * the VIP straight back (a flap).
			 */
			if (e->master.af == 0 || sockaddr_x_cmp_addr(&ev->from, &e->master) != 0)
				return;
			/* the master left cleanly: take over after Skew_Time only */
			e->master_down_at = now + elect_skew_ms(e);
			e->last_advert_ms = now;
			memset(&e->master, 0, sizeof(e->master));
			e->master_priority = 0;
			return;
		}
		if (!preempting(e, now) || ev->priority >= elect_priority(e)) {
			follow(e, ev, now);
			return;
		}
		/* a lower master while we preempt: let Master_Down run out */
		e->lower = ev->from;
		e->lower_priority = ev->priority;
		return;
	case ELECT_MASTER:
		if (ev->priority == 0) {
			/* another master left: assert ourselves at once */
			emit_send(e, elect_priority(e), out);
			e->advert_at = now + e->conf.advert_interval_ms;
			return;
		}
		if (!sender_wins(e, ev)) {
			/*
			 * A router that loses to us claims the VIP (it missed our
			 * adverts: a partition, a CPU stall).  It steps down when it
			 * hears us, but the neighbours' ARP caches may still point at
			 * it: advertise now and announce the address again, at most
			 * once per second.
			 */
			emit_send(e, elect_priority(e), out);
			e->advert_at = now + e->conf.advert_interval_ms;
			if (e->announced_at == 0 || now - e->announced_at >= 1000) {
				out->actions |= ELECT_ACT_ANNOUNCE;
				e->announced_at = now;
			}
			return;
		}
		out->actions |= ELECT_ACT_RELEASE;
		e->advert_at = ELECT_NEVER;
		follow(e, ev, now);
		elect_go(e, ELECT_BACKUP, out, "%s %s advertises priority %d, ours is %d",
		    ev->priority == elect_priority(e) ? "equal priority, and" : "master",
		    sockaddr_x_fmt_addr(&ev->from, a, sizeof(a)), ev->priority, elect_priority(e));
		return;
	default:
		return;
	}
}

static void
on_timer(struct elect *e, int64_t now, struct elect_out *out)
{
	char a[SOCKADDR_X_STRLEN];
	int64_t late;

	switch (e->state) {
	case ELECT_BACKUP:
		if (now < e->master_down_at)
			return;
		/*
		 * Judged late (ELECT_STALL_MS, or one advert interval if shorter),
		 * with nothing from the master in our socket (the caller reads that
		 * first): this router did not run when the deadline passed - a
		 * paused or starved VM, a loop held - so part of the master's
		 * silence is our own.  A master on another host kept advertising
		 * meanwhile and its adverts would be here; one that stalled with us
		 * (VMs on one hypervisor, routers in one kernel) sends its overdue
		 * advert as soon as it runs, which may be just after us.  Taking
		 * over now would take the VIP from a live master (a flap; after a
		 * restart, a preemption before our pools settled).  So wait once
		 * more, one advert interval and the skew; a dead master costs that
		 * much more.  Once per silence: a second late judgement takes over.
		 * (Lateness, not the stall's length, is all we see: a stall of
		 * 2-4 intervals passes the deadline only just, so the bar is low.)
		 */
		if (e->master.af != 0 && !e->stall_grace &&
		    now - e->master_down_at >
			(e->master_adver_ms < ELECT_STALL_MS ? e->master_adver_ms : ELECT_STALL_MS)) {
			e->stall_grace = true;
			snprintf(out->note, sizeof(out->note),
			    "master-down judged %lld ms late (this router was stalled); "
			    "waiting %d ms more for an advert from %s",
			    (long long)(now - e->master_down_at),
			    e->master_adver_ms + elect_skew_ms(e),
			    sockaddr_x_fmt_addr(&e->master, a, sizeof(a)));
			e->master_down_at = now + e->master_adver_ms + elect_skew_ms(e);
			return;
		}
		if (e->lower.af != 0) {
			elect_go(e, ELECT_MASTER, out, "preempting %s (priority %d, ours %d)",
			    sockaddr_x_fmt_addr(&e->lower, a, sizeof(a)), e->lower_priority,
			    elect_priority(e));
			e->preempted = true;
		} else if (e->last_advert_ms < 0)
			elect_go(e, ELECT_MASTER, out, "no master heard for %lld ms",
			    (long long)elect_master_down_ms(e));
		else if (e->master.af == 0)
			elect_go(e, ELECT_MASTER, out, "the master released the VIP");
		else
			elect_go(e, ELECT_MASTER, out,
			    "no advert from %s (priority %d) for %lld ms",
			    sockaddr_x_fmt_addr(&e->master, a, sizeof(a)), e->master_priority,
			    (long long)(now - e->last_advert_ms));
		become_master(e, now, out);
		return;
	case ELECT_FAULT:
		if (!e->take_fault || now < e->take_retry_at)
			return;
		/* try the address again; the caller answers TAKE_OK or TAKE_FAILED */
		out->actions |= ELECT_ACT_TAKE;
		e->take_retry_at = ELECT_NEVER;
		return;
	case ELECT_MASTER:
		if (now < e->advert_at)
			return;
		emit_send(e, elect_priority(e), out);
		/* keep the cadence, but never try to catch up on missed adverts */
		late = now - e->advert_at;
		e->advert_at = late < e->conf.advert_interval_ms
				   ? e->advert_at + e->conf.advert_interval_ms
				   : now + e->conf.advert_interval_ms;
		return;
	default:
		return;
	}
}

static void
on_track(struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out)
{
	int before = elect_priority(e);
	bool was_fault = e->fault;

	e->fault = ev->fault;
	e->decrement = ev->decrement < 0 ? 0 : ev->decrement;
	e->settling = ev->settling;
	if (e->settling && e->state == ELECT_BACKUP && e->lower.af != 0) {
		/* we were preempting a lower master: follow it again until our
		 * pools have settled (if it has died, Master_Down still runs out) */
		e->master = e->lower;
		e->master_priority = e->lower_priority;
		memset(&e->lower, 0, sizeof(e->lower));
		e->master_down_at = now + elect_master_down_ms(e);
		e->last_advert_ms = now;
	}
	if (e->state == ELECT_INIT || e->state == ELECT_FAULT) {
		if (e->state == ELECT_FAULT && !e->fault && !e->take_fault)
			leave_fault(e, now, out, "tracking recovered");
		return;
	}
	if (e->fault && !was_fault) {
		if (e->state == ELECT_MASTER) {
			if (!e->conf.standalone)
				emit_send(e, 0, out);
			out->actions |= ELECT_ACT_RELEASE;
		}
		e->advert_at = ELECT_NEVER;
		e->master_down_at = ELECT_NEVER;
		elect_go(e, ELECT_FAULT, out, "tracking failed");
		return;
	}
	/* a new priority: a master tells the others at once */
	if (e->state == ELECT_MASTER && !e->conf.standalone && elect_priority(e) != before) {
		emit_send(e, elect_priority(e), out);
		e->advert_at = now + e->conf.advert_interval_ms;
	}
}

/* Out of FAULT: MASTER at once when standalone, else BACKUP and wait. */
static void
leave_fault(struct elect *e, int64_t now, struct elect_out *out, const char *why)
{
	if (e->conf.standalone) {
		elect_go(e, ELECT_MASTER, out, "%s", why);
		become_master(e, now, out);
	} else {
		become_backup(e, now, out);
		elect_go(e, ELECT_BACKUP, out, "%s", why);
	}
}

/*
 * The outcome of an ELECT_ACT_TAKE.  A master that cannot add its address
 * must not keep the VIP: its adverts would hold the backups off while
 * nobody answers for the address.
 */
static void
on_take(struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out)
{
	if (ev->type == ELECT_EV_TAKE_OK) {
		if (e->state == ELECT_MASTER) {
			e->take_retry_ms = ELECT_TAKE_RETRY_MIN_MS;
			return;
		}
		if (e->state != ELECT_FAULT || !e->take_fault)
			return;
		/* the probe added it: give it back, and leave FAULT the usual way */
		e->take_fault = false;
		e->take_retry_at = ELECT_NEVER;
		e->take_retry_ms = ELECT_TAKE_RETRY_MIN_MS;
		if (!e->conf.standalone)
			out->actions |= ELECT_ACT_RELEASE;
		if (e->fault) {
			if (e->conf.standalone)
				out->actions |= ELECT_ACT_RELEASE;
			return;
		}
		leave_fault(e, now, out, "the address can be added again");
		return;
	}
	/* ELECT_EV_TAKE_FAILED */
	switch (e->state) {
	case ELECT_MASTER:
		if (!e->conf.standalone)
			emit_send(e, 0, out);
		out->actions |= ELECT_ACT_RELEASE;
		e->advert_at = ELECT_NEVER;
		e->master_down_at = ELECT_NEVER;
		e->take_fault = true;
		e->take_retry_at = now + e->take_retry_ms;
		elect_go(e, ELECT_FAULT, out, "cannot add the address; retrying in %d ms",
		    e->take_retry_ms);
		break;
	case ELECT_FAULT:
		if (!e->take_fault)
			return;
		e->take_retry_at = now + e->take_retry_ms;
		break;
	default:
		return;
	}
	e->take_retry_ms = e->take_retry_ms >= ELECT_TAKE_RETRY_MAX_MS / 2
			       ? ELECT_TAKE_RETRY_MAX_MS
			       : 2 * e->take_retry_ms;
}

void
elect_input(struct elect *e, const struct elect_event *ev, int64_t now, struct elect_out *out)
{
	elect_out_init(e, out);
	switch (ev->type) {
	case ELECT_EV_START:
		if (e->state != ELECT_INIT)
			return;
		e->started_ms = now;
		if (e->fault) {
			out->actions |= ELECT_ACT_RELEASE;
			elect_go(e, ELECT_FAULT, out, "tracking failed at start");
		} else if (e->conf.standalone) {
			elect_go(e, ELECT_MASTER, out, "standalone");
			become_master(e, now, out);
		} else {
			become_backup(e, now, out);
			out->actions |= ELECT_ACT_RELEASE;
			elect_go(e, ELECT_BACKUP, out, "start: waiting %d ms for a master",
			    elect_master_down_ms(e));
		}
		return;
	case ELECT_EV_TIMER:
		on_timer(e, now, out);
		return;
	case ELECT_EV_ADVERT:
		on_advert(e, ev, now, out);
		return;
	case ELECT_EV_TRACK:
		on_track(e, ev, now, out);
		return;
	case ELECT_EV_TAKE_FAILED:
	case ELECT_EV_TAKE_OK:
		on_take(e, ev, now, out);
		return;
	case ELECT_EV_SHUTDOWN:
		if (e->state == ELECT_MASTER) {
			if (!e->conf.standalone)
				emit_send(e, 0, out);
			out->actions |= ELECT_ACT_RELEASE;
		}
		e->advert_at = e->master_down_at = ELECT_NEVER;
		e->take_fault = false;
		e->take_retry_at = ELECT_NEVER;
		if (e->state != ELECT_INIT)
			elect_go(e, ELECT_INIT, out, "shutting down");
		return;
	}
}

void
elect_reconfigure(struct elect *e, const struct elect_conf *c, int64_t now, struct elect_out *out)
{
	struct elect_conf old = e->conf;
	int before = elect_priority(e);

	elect_out_init(e, out);
	e->conf = *c;
	switch (e->state) {
	case ELECT_MASTER:
		if (c->standalone) {
			e->advert_at = ELECT_NEVER;
		} else if (old.standalone || elect_priority(e) != before ||
			   c->advert_interval_ms != old.advert_interval_ms) {
			emit_send(e, elect_priority(e), out);
			e->advert_at = now + c->advert_interval_ms;
		}
		return;
	case ELECT_BACKUP:
		if (c->standalone) {
			elect_go(e, ELECT_MASTER, out, "now standalone");
			become_master(e, now, out);
		} else if (e->master.af == 0 && c->advert_interval_ms != old.advert_interval_ms) {
			/* no master heard yet: our own interval is the one to wait on */
			e->master_adver_ms = c->advert_interval_ms;
		}
		return;
	default:
		return;
	}
}
