/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syncd.c - the kernel's IPVS connection sync daemon, switched with a VIP's role.
 * See syncd.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "ipvs.h"
#include "log.h"
#include "loop.h"
#include "model.h"
#include "syncd.h"
#include "util.h"

#define SYNCD_RETRY_S 5.
#define SYNCD_RETRY_TEXT "5 s"

struct syncd {
	struct ipvs *h;			/* opened at the first request */
	struct ipvs_syncd want;		/* state 0: none wanted */
	struct ipvs_syncd run;		/* what we started (state 0: nothing) */
	bool configured;		/* a sync_daemon section */
	bool master;			/* the followed VIP's role */
	bool swept;			/* the namespace's leftovers stopped once */
	bool failed;			/* the last switch failed: the timer retries */
	ev_timer retry;
};

static void sync_now(struct syncd *s);

static void
retry_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct syncd *s = w->data;

	(void)l;
	(void)revents;
	sync_now(s);
}

struct syncd *
syncd_new(void)
{
	struct syncd *s = xcalloc(1, sizeof(*s));

	ev_timer_init(&s->retry, retry_cb, SYNCD_RETRY_S, 0.);
	s->retry.data = s;
	return s;
}

static const char *
state_name(int state)
{
	return state == IPVS_SYNCD_MASTER ? "master" : state == IPVS_SYNCD_BACKUP ? "backup" :
	    "none";
}

static bool
same_params(const struct ipvs_syncd *a, const struct ipvs_syncd *b)
{
	return strcmp(a->ifname, b->ifname) == 0 && a->syncid == b->syncid &&
	    sockaddr_x_cmp_addr(&a->group, &b->group) == 0 && a->port == b->port &&
	    a->ttl == b->ttl;
}

static char *
describe(const struct ipvs_syncd *d, char *buf, size_t len)
{
	char g[SOCKADDR_X_STRLEN];

	snprintf(buf, len, "on %s (syncid %u, group %s port %u, ttl %u)", d->ifname,
	    d->syncid, sockaddr_x_fmt_addr(&d->group, g, sizeof(g)), d->port, d->ttl);
	return buf;
}

/* Stop the daemon of `state`; a daemon that does not run is not an error. */
static int
stop(struct syncd *s, int state)
{
	int r = ipvs_syncd_stop(s->h, state);

	return r == -ESRCH ? 0 : r;
}

/* Bring the kernel to `want`; on a failure arm the retry timer. */
static void
sync_now(struct syncd *s)
{
	char why[160], desc[128];
	int r, other;

	ev_timer_stop(loop_ev(), &s->retry);
	s->want.state = !s->configured ? 0 : s->master ? IPVS_SYNCD_MASTER : IPVS_SYNCD_BACKUP;
	if (!s->failed && s->swept && s->want.state == s->run.state &&
	    (s->run.state == 0 || same_params(&s->want, &s->run)))
		return;
	if (s->h == NULL && s->want.state == 0 && s->run.state == 0)
		return; /* nothing ever ran, nothing to run */
	if (s->h == NULL && (r = ipvs_open(&s->h, why, sizeof(why))) < 0) {
		if (!s->failed)
			log_warnx("ipvs: sync daemon: %s; retrying every " SYNCD_RETRY_TEXT, why);
		goto fail;
	}
	/* the running daemon goes (the first time: any, a predecessor's included) */
	for (other = IPVS_SYNCD_MASTER; other <= IPVS_SYNCD_BACKUP; other++) {
		if (s->swept && other != s->run.state)
			continue;
		if ((r = stop(s, other)) < 0) {
			log_warnc(r, "ipvs: sync daemon: cannot stop the %s daemon", state_name(other));
			goto fail;
		}
	}
	if (s->run.state != 0)
		log_info("ipvs: sync daemon: %s daemon stopped", state_name(s->run.state));
	s->run.state = 0;
	s->swept = true;
	if (s->want.state != 0) {
		r = ipvs_syncd_start(s->h, &s->want);
		if (r < 0) {
			log_warnc(r, "ipvs: sync daemon: cannot start the %s daemon %s%s",
			    state_name(s->want.state), describe(&s->want, desc, sizeof(desc)),
			    s->failed ? "" : "; retrying every " SYNCD_RETRY_TEXT);
			goto fail;
		}
		s->run = s->want;
		log_notice("ipvs: sync daemon: %s %s", state_name(s->run.state),
		    describe(&s->run, desc, sizeof(desc)));
	}
	if (s->failed)
		log_info("ipvs: sync daemon: switched after earlier failures");
	s->failed = false;
	return;
fail:
	s->failed = true;
	ev_timer_set(&s->retry, SYNCD_RETRY_S, 0.);
	ev_timer_start(loop_ev(), &s->retry);
}

void
syncd_configure(struct syncd *s, const struct sync_daemon *conf)
{
	s->configured = conf != NULL && conf->present;
	if (s->configured) {
		memset(s->want.ifname, 0, sizeof(s->want.ifname));
		if (conf->interface != NULL)
			snprintf(s->want.ifname, sizeof(s->want.ifname), "%s", conf->interface);
		s->want.syncid = (unsigned)conf->syncid;
		s->want.group = conf->group;
		s->want.port = (unsigned)conf->port;
		s->want.ttl = (unsigned)conf->ttl;
	}
	sync_now(s);
}

void
syncd_role(struct syncd *s, bool master)
{
	s->master = master;
	sync_now(s); /* nothing to do when nothing changed */
}

const char *
syncd_state(const struct syncd *s)
{
	if (s == NULL || !s->configured)
		return "none";
	if (s->failed)
		return "failed";
	return state_name(s->run.state);
}

void
syncd_free(struct syncd *s)
{
	int r;

	if (s == NULL)
		return;
	ev_timer_stop(loop_ev(), &s->retry);
	if (s->h != NULL && s->run.state != 0) {
		if ((r = stop(s, s->run.state)) < 0)
			log_warnc(r, "ipvs: sync daemon: cannot stop the %s daemon",
			    state_name(s->run.state));
		else
			log_info("ipvs: sync daemon: %s daemon stopped", state_name(s->run.state));
	}
	ipvs_close(s->h);
	free(s);
}
