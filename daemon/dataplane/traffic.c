/* SPDX-License-Identifier: Apache-2.0 */
/*
 * traffic.c - the managed services' traffic counters, read off the loop
 * (traffic.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include <netinet/in.h>

#include <ev.h>

#include "ipvs.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "traffic.h"
#include "util.h"

/* A read: what it reads and what it found (the thread writes only these). */
struct tjob {
	struct traffic *t; /* NULL: traffic_free let go of it */
	struct ipvs *h;
	struct rc_svc_conf *keys;
	size_t nkeys;
	struct ipvs_traffic out;
	size_t *by_addr; /* dests sorted by address (indices) */
	int r;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool finished;
};

struct traffic {
	int interval_ms;
	bool eager, asked;
	struct rc_svc_conf *keys;
	size_t nkeys;
	struct ipvs *h;
	struct tjob *job; /* in flight */
	ev_timer timer;
	/* the last read */
	struct ipvs_traffic cur;
	size_t *by_addr;
	int64_t at_ms; /* when it was read (loop_now_ms), 0: never */
	uint64_t gen;
	struct log_ratelimit rl;
};

static void tick(struct ev_loop *l, ev_timer *w, int revents);
static void arm(struct traffic *t);

struct traffic *
traffic_new(void)
{
	struct traffic *t = xcalloc(1, sizeof(*t));

	ev_timer_init(&t->timer, tick, 0., 0.);
	t->timer.data = t;
	t->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(300000, 1);
	return t;
}

static void
arm(struct traffic *t)
{
	struct ev_loop *l = loop_ev();
	bool want = t->interval_ms > 0 && (t->eager || t->asked);

	if (l == NULL)
		return;
	if (!want) {
		ev_timer_stop(l, &t->timer);
		return;
	}
	if (ev_is_active(&t->timer) && t->timer.repeat == t->interval_ms / 1000.)
		return;
	ev_timer_stop(l, &t->timer);
	/* the first read soon, then every interval */
	ev_timer_set(&t->timer, 0.05, t->interval_ms / 1000.);
	ev_timer_start(l, &t->timer);
}

void
traffic_configure(struct traffic *t, int interval_ms, bool eager)
{
	if (t == NULL)
		return;
	t->interval_ms = interval_ms;
	t->eager = eager;
	arm(t);
}

void
traffic_services(struct traffic *t, const struct rc_svc_conf *keys, size_t n)
{
	if (t == NULL)
		return;
	free(t->keys);
	t->keys = n ? xreallocarray(NULL, n, sizeof(*keys)) : NULL;
	if (n)
		memcpy(t->keys, keys, n * sizeof(*keys));
	t->nkeys = n;
}

static void
job_free(struct tjob *j)
{
	if (j == NULL)
		return;
	free(j->keys);
	free(j->by_addr);
	ipvs_traffic_clear(&j->out);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

void
traffic_free(struct traffic *t)
{
	struct ev_loop *l = loop_ev();

	if (t == NULL)
		return;
	if (l != NULL)
		ev_timer_stop(l, &t->timer);
	if (t->job != NULL) {
		/* wait until the thread is done with the handle; done() frees the job */
		pthread_mutex_lock(&t->job->mu);
		while (!t->job->finished)
			pthread_cond_wait(&t->job->cv, &t->job->mu);
		pthread_mutex_unlock(&t->job->mu);
		t->job->t = NULL;
	}
	ipvs_close(t->h);
	ipvs_traffic_clear(&t->cur);
	free(t->by_addr);
	free(t->keys);
	free(t);
}

/* ------------------------------------------------------------ the read */

static int
addr_qcmp(const void *a, const void *b, void *arg)
{
	const struct ipvs_traffic *tr = arg;
	const struct ipvs_traffic_dest *x = &tr->dests[*(const size_t *)a];
	const struct ipvs_traffic_dest *y = &tr->dests[*(const size_t *)b];
	int r = sockaddr_x_cmp_addr(&x->addr, &y->addr);

	if (r == 0)
		r = (x->addr.port > y->addr.port) - (x->addr.port < y->addr.port);
	return r;
}

/* On the job's thread. */
static void
work(void *arg)
{
	struct tjob *j = arg;
	size_t i;

	thread_below_loop(); /* as the dataplane's kernel IO */

	j->r = ipvs_traffic_read(j->h, j->keys, j->nkeys, &j->out);
	if (j->r == 0 && j->out.ndests > 0) {
		j->by_addr = xreallocarray(NULL, j->out.ndests, sizeof(*j->by_addr));
		for (i = 0; i < j->out.ndests; i++)
			j->by_addr[i] = i;
		qsort_r(j->by_addr, j->out.ndests, sizeof(*j->by_addr), addr_qcmp, &j->out);
	}
	pthread_mutex_lock(&j->mu);
	j->finished = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* On the loop. */
static void
done(void *arg, bool cancelled)
{
	struct tjob *j = arg;
	struct traffic *t = j->t;

	if (t == NULL || cancelled) {
		if (t != NULL)
			t->job = NULL;
		job_free(j);
		return;
	}
	t->job = NULL;
	if (j->r < 0) {
		if (log_ratelimit_ok(&t->rl))
			log_warnc(j->r, "ipvs: reading the traffic counters failed; trying again "
					"in %d ms", t->interval_ms);
		ipvs_close(t->h);
		t->h = NULL;
		job_free(j);
		return;
	}
	ipvs_traffic_clear(&t->cur);
	free(t->by_addr);
	t->cur = j->out;
	t->by_addr = j->by_addr;
	memset(&j->out, 0, sizeof(j->out));
	j->by_addr = NULL;
	t->at_ms = loop_now_ms();
	t->gen++;
	job_free(j);
}

static void
tick(struct ev_loop *l, ev_timer *w, int revents)
{
	struct traffic *t = w->data;
	struct tjob *j;
	char why[160];

	(void)l;
	(void)revents;
	if (t->job != NULL)
		return; /* the last read is still going: skip this one */
	if (t->h == NULL && ipvs_open(&t->h, why, sizeof(why)) < 0) {
		t->h = NULL;
		return; /* no IPVS: the dataplane says so */
	}
	j = xcalloc(1, sizeof(*j));
	j->t = t;
	j->h = t->h;
	j->nkeys = t->nkeys;
	if (t->nkeys) {
		j->keys = xreallocarray(NULL, t->nkeys, sizeof(*j->keys));
		memcpy(j->keys, t->keys, t->nkeys * sizeof(*j->keys));
	}
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	t->job = j;
	if (loop_work(work, done, j) < 0) {
		work(j);
		done(j, false);
	}
}

/* ------------------------------------------------------------ queries */

void
traffic_dest(struct traffic *t, const struct sockaddr_x *addr, struct traffic_sum *out)
{
	size_t lo = 0, hi, mid;

	memset(out, 0, sizeof(*out));
	out->age_ms = -1;
	if (t == NULL)
		return;
	if (!t->asked) {
		t->asked = true;
		arm(t);
	}
	if (t->at_ms == 0)
		return;
	out->age_ms = loop_now_ms() - t->at_ms; /* once per loop iteration: no clock read per row */
	hi = t->cur.ndests;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sockaddr_x_cmp_addr(&t->cur.dests[t->by_addr[mid]].addr, addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->cur.ndests; lo++) {
		const struct ipvs_traffic_dest *d = &t->cur.dests[t->by_addr[lo]];

		if (sockaddr_x_cmp_addr(&d->addr, addr) != 0)
			break;
		if (addr->port != 0 && d->addr.port != addr->port)
			continue;
		out->known = true;
		out->active += d->active;
		out->inactive += d->inactive;
		out->conns += d->st.conns;
		out->cps += d->st.cps;
		out->inpps += d->st.inpps;
		out->outpps += d->st.outpps;
		out->inbps += d->st.inbps;
		out->outbps += d->st.outbps;
	}
}

uint64_t
traffic_generation(const struct traffic *t)
{
	return t != NULL ? t->gen : 0;
}

static const char *
svc_proto_str(const struct rc_svc_conf *c)
{
	return c->fwmark ? "fwmark" : rc_proto_str(c->protocol);
}

static void
svc_label(const struct rc_svc_conf *c, char *buf, size_t len)
{
	if (c->fwmark)
		snprintf(buf, len, "fwmark %u", c->fwmark);
	else
		sockaddr_x_fmt(&c->addr, buf, len);
}

static const struct {
	const char *name, *help;
	bool dest;
	int what; /* 0 connections, 1 packets, 2 bytes */
} fams[TRAFFIC_FAMILIES] = {
	{ "ipvsr_ipvs_service_connections_total", "Connections an IPVS service scheduled.", false, 0 },
	{ "ipvsr_ipvs_service_packets_total", "Packets of an IPVS service, by direction.", false, 1 },
	{ "ipvsr_ipvs_service_bytes_total", "Bytes of an IPVS service, by direction.", false, 2 },
	{ "ipvsr_ipvs_dest_connections_total", "Connections IPVS scheduled to a destination.", true,
	    0 },
	{ "ipvsr_ipvs_dest_packets_total", "Packets of an IPVS destination, by direction.", true,
	    1 },
	{ "ipvsr_ipvs_dest_bytes_total", "Bytes of an IPVS destination, by direction.", true, 2 },
};

static void
sample(struct tbuf *b, unsigned fam, const struct ipvs_stats *st, const char *svc,
    const char *proto, const char *dest)
{
	const char *n = fams[fam].name;

	if (fams[fam].what == 0) {
		metrics_sample_u64(b, n, (const char *[]){ "service", svc, "protocol", proto,
		    dest ? "dest" : NULL, dest, NULL }, st->conns);
		return;
	}
	metrics_sample_u64(b, n, (const char *[]){ "service", svc, "protocol", proto,
	    "direction", "in", dest ? "dest" : NULL, dest, NULL },
	    fams[fam].what == 1 ? st->inpkts : st->inbytes);
	metrics_sample_u64(b, n, (const char *[]){ "service", svc, "protocol", proto,
	    "direction", "out", dest ? "dest" : NULL, dest, NULL },
	    fams[fam].what == 1 ? st->outpkts : st->outbytes);
}

bool
traffic_metrics(const struct traffic *t, unsigned fam, struct tbuf *b, size_t *pos, size_t budget)
{
	size_t n, i;
	char svc[80], dst[SOCKADDR_X_STRLEN];

	if (t == NULL || fam >= TRAFFIC_FAMILIES || t->at_ms == 0)
		return true;
	n = fams[fam].dest ? t->cur.ndests : t->cur.nsvcs;
	if (*pos == 0)
		metrics_family(b, fams[fam].name, METRIC_COUNTER, fams[fam].help);
	for (i = *pos; i < n; i++) {
		const struct ipvs_traffic_svc *s;

		if (budget-- == 0)
			return false;
		if (fams[fam].dest) {
			const struct ipvs_traffic_dest *d = &t->cur.dests[i];

			s = &t->cur.svcs[d->svc];
			svc_label(&s->conf, svc, sizeof(svc));
			sockaddr_x_fmt(&d->addr, dst, sizeof(dst));
			sample(b, fam, &d->st, svc, svc_proto_str(&s->conf), dst);
		} else {
			s = &t->cur.svcs[i];
			svc_label(&s->conf, svc, sizeof(svc));
			sample(b, fam, &s->st, svc, svc_proto_str(&s->conf), NULL);
		}
		(*pos)++;
	}
	return true;
}
