/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoints.c - endpoint files -> dynamic servers of their pools.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "endpoints.h"
#include "explain.h"
#include "epfile.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

struct drainee {
	struct sockaddr_x addr;
	int64_t until_ms;	/* mono */
};

struct ep_pool {
	char *pool;
	char *path;
	bool have_good;
	struct epset good;
	unsigned long updates, refusals;
	char *refusal;		/* why the last reading was refused; NULL when accepted */
	time_t updated;		/* last accepted update (Unix time) */
	struct drainee *drains;
	size_t ndrains;
	bool seen;		/* kept by the apply in progress */
	/* accepted readings the dataplane has not applied yet: the earliest
	 * event behind them (mono_us; 0: none waits) and how many */
	int64_t pending_us;
	unsigned pending;
	struct metrics_hist applied;	/* event to last IPVS ack, seconds */
};

struct endpoints {
	struct endpoints_hooks hooks;
	bool started;		/* some pool had a file once: the watcher runs */
	struct epfile_watch *w;
	struct ep_pool *v;
	size_t n;
	struct config *cfg;	/* the configuration readings are judged against */
	bool applying;		/* inside endpoints_apply: don't touch the running config */
	ev_timer grace;
	struct log_ratelimit rl;
};

static void	on_reading(void *, const char *, const char *, int64_t, enum epfile_status,
		    const struct epset *, const struct errlist *);
static void	on_grace(struct ev_loop *, ev_timer *, int);
static void	merge(struct pool *, const struct ep_pool *);
static void	refresh_running(struct endpoints *, const char *);
static size_t	mh_total(const struct pool *, const struct epset *);

static char *
pool_path(const struct config *c, const struct pool *p)
{
	if (p->endpoints_file != NULL)
		return xstrdup(p->endpoints_file);
	if (c->router.endpoints_dir != NULL)
		return xasprintf("%s/%s", c->router.endpoints_dir, p->name);
	return NULL;
}

static struct ep_pool *
ep_find(struct endpoints *e, const char *pool)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->v[i].pool, pool) == 0)
			return &e->v[i];
	return NULL;
}

static void
ep_release(struct ep_pool *ep)
{
	free(ep->pool);
	free(ep->path);
	free(ep->refusal);
	free(ep->drains);
	epset_free(&ep->good);
}

int
endpoints_check(const struct config *c, struct errlist *el)
{
	size_t i;
	int r = 0;

	for (i = 0; i < c->npools; i++) {
		const struct pool *p = &c->pools[i];
		char *path;

		if (!p->endpoints_required || (path = pool_path(c, p)) == NULL)
			continue;
		if (access(path, R_OK) != 0) {
			errlist_add(el, path, 0, NULL, "pool %s: cannot read the endpoints file "
			    "(%s) and the pool has endpoints_required = true", p->name,
			    strerror(errno));
			r = -ENOENT;
		}
		free(path);
	}
	return r;
}

/* ------------------------------------------------------------ judging a reading */

/*
 * The destinations pool `p` would have with the endpoint set `s`: its
 * static servers, and the endpoints (a static server listed in the file
 * too counts once).
 */
static size_t
mh_total(const struct pool *p, const struct epset *s)
{
	size_t i, n = s->n;

	for (i = 0; i < p->nservers; i++)
		if (!p->servers[i].dynamic && epset_find(s, &p->servers[i].addr) == NULL)
			n++;
	return n;
}

/* Can every endpoint of `s` serve every service of the pool?  Else a reason. */
static bool
compatible(const struct config *c, const struct pool *p, const struct epset *s, char *why,
    size_t len)
{
	size_t i, k, e;
	char a[SOCKADDR_X_STRLEN];

	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		for (k = 0; k < v->nservices; k++) {
			const struct service *sv = &v->services[k];

			if (sv->pool_name == NULL || strcmp(sv->pool_name, p->name) != 0)
				continue;
			if (sv->scheduler != NULL && strcmp(sv->scheduler, "mh") == 0 &&
			    mh_total(p, s) > MODEL_MH_MAX_DESTS) {
				snprintf(why, len, "%zu endpoints would give pool %s %zu servers; "
				    "vip %s uses it with scheduler mh, which holds at most %d "
				    "destinations per service", s->n, p->name, mh_total(p, s),
				    v->name, MODEL_MH_MAX_DESTS);
				return false;
			}
			for (e = 0; e < s->n; e++) {
				const struct endpoint *ep = &s->v[e];

				sockaddr_x_fmt(&ep->addr, a, sizeof(a));
				if (ep->addr.af != v->addr.af && sv->method != FWD_TUN) {
					snprintf(why, len, "line %d: %s is not of vip %s's address "
					    "family", ep->line, a, v->name);
					return false;
				}
				if (sv->method == FWD_DR && sv->fwmark == 0 && ep->addr.port != 0 &&
				    ep->addr.port != sv->port) {
					snprintf(why, len, "line %d: %s: vip %s serves port %d by direct "
					    "routing, which cannot change the port", ep->line, a,
					    v->name, sv->port);
					return false;
				}
			}
		}
	}
	return true;
}

static void
refuse(struct endpoints *e, struct ep_pool *ep, const char *why)
{
	ep->refusals++;
	free(ep->refusal);
	ep->refusal = xstrdup(why);
	log_pool(LOG_WARNING, ep->pool, "endpoints file %s refused, keeping the last good set "
	    "(%zu endpoints): %s", ep->path, ep->good.n, why);
}

static void
on_reading(void *arg, const char *key, const char *path, int64_t since_us,
    enum epfile_status st, const struct epset *set, const struct errlist *errors)
{
	struct endpoints *e = arg;
	struct ep_pool *ep = ep_find(e, key);
	const struct config *c = e->cfg ? e->cfg : e->hooks.running(e->hooks.arg);
	const struct pool *p;
	struct epset_delta dl;
	struct epset empty = { NULL, 0 };
	const struct epset *cand = set;
	char why[256];
	int64_t now = mono_ms();
	size_t i, j, n;

	if (ep == NULL || c == NULL || (p = config_find_pool(c, key)) == NULL)
		return;
	switch (st) {
	case EPFILE_OK:
		break;
	case EPFILE_MISSING:
		cand = &empty;
		if (!ep->have_good) {
			/* missing at start: an empty source (endpoints_required is checked
			 * before a configuration is accepted) */
			log_pool(LOG_INFO, ep->pool, "endpoints file %s does not exist yet: no "
			    "endpoints until it does", path);
			ep->have_good = true;
			return;
		}
		break;
	case EPFILE_INVALID:
	case EPFILE_UNREADABLE:
		n = errors->n < 20 ? errors->n : 20;
		for (i = 0; i < n; i++)
			log_warnx("%s", errors->msgs[i]);
		snprintf(why, sizeof(why), "%s (%zu error%s)", errors->n ? errors->msgs[0] :
		    "unreadable", errors->n, errors->n == 1 ? "" : "s");
		refuse(e, ep, why);
		return;
	}
	if (!compatible(c, p, cand, why, sizeof(why)) ||
	    epset_accept(&ep->good, ep->have_good, cand, p->allow_empty, p->max_drop_percent,
	    why, sizeof(why)) < 0) {
		refuse(e, ep, why);
		return;
	}

	epset_diff(&ep->good, cand, &dl);
	if (ep->have_good && dl.added + dl.removed + dl.changed == 0 && ep->refusal == NULL)
		return;		/* same content rewritten */
	/* removed endpoints drain for drain_grace_ms; re-added ones stop draining */
	for (i = 0; i < ep->good.n; i++) {
		if (epset_find(cand, &ep->good.v[i].addr) != NULL || p->drain_grace_ms <= 0)
			continue;
		ep->drains = xreallocarray(ep->drains, ep->ndrains + 1, sizeof(*ep->drains));
		ep->drains[ep->ndrains].addr = ep->good.v[i].addr;
		ep->drains[ep->ndrains].until_ms = now + p->drain_grace_ms;
		ep->ndrains++;
	}
	for (i = 0, j = 0; i < ep->ndrains; i++)
		if (epset_find(cand, &ep->drains[i].addr) == NULL)
			ep->drains[j++] = ep->drains[i];
	ep->ndrains = j;
	if (ep->ndrains > 0 && !ev_is_active(&e->grace)) {
		ev_timer_set(&e->grace, p->drain_grace_ms / 1000.0 + 0.01, 0.);
		ev_timer_start(loop_ev(), &e->grace);
	}

	{
		struct epset next;
		time_t wall = time(NULL);

		/* each endpoint keeps the time it was first listed (explain) */
		epset_copy(&next, cand);
		for (i = 0; i < next.n; i++) {
			const struct endpoint *was = epset_find(&ep->good, &next.v[i].addr);

			next.v[i].since = was != NULL && was->since > 0 ? was->since : wall;
		}
		epset_free(&ep->good);
		ep->good = next;
		ep->updated = wall;
	}
	ep->have_good = true;
	ep->updates++;
	FREE_AND_NULL(ep->refusal);
	if (since_us > 0) {
		/* timed until the dataplane applies it (endpoints_applied); readings
		 * that coalesce into one reconcile count from the earliest */
		if (ep->pending_us == 0 || since_us < ep->pending_us)
			ep->pending_us = since_us;
		ep->pending++;
	}
	log_pool(LOG_NOTICE, ep->pool, "endpoints file %s: %zu added, %zu removed, %zu changed "
	    "(%zu endpoints%s)", path, dl.added, dl.removed, dl.changed, ep->good.n,
	    ep->ndrains ? ", removed ones draining" : "");
	if (!e->applying)
		refresh_running(e, ep->pool);
}

/* ------------------------------------------------------------ the running config */

static int
ep_server_qcmp(const void *a, const void *b)
{
	return model_server_cmp(a, b);
}

/* Replace p's dynamic servers with ep's endpoints and draining leftovers. */
static void
merge(struct pool *p, const struct ep_pool *ep)
{
	size_t i, n = 0, nstatic, cap = p->nservers + ep->good.n + ep->ndrains + 1;
	struct server *v = xcalloc(cap, sizeof(*v));

	for (i = 0; i < p->nservers; i++) {
		if (p->servers[i].dynamic) {
			check_release(&p->servers[i].check_override);
			check_release(&p->servers[i].check);
		} else {
			v[n++] = p->servers[i];		/* moves ownership */
		}
	}
	nstatic = n;	/* v[0 .. nstatic) static, the endpoints after them */
	for (i = 0; i < ep->good.n + ep->ndrains; i++) {
		bool drainee = i >= ep->good.n;
		const struct endpoint *en = drainee ? NULL : &ep->good.v[i];
		struct sockaddr_x addr = drainee ? ep->drains[i - ep->good.n].addr : en->addr;
		struct server *s;
		size_t k;

		/* a static server of the same address wins (only those are compared:
		 * scanning the endpoints added so far made 1,000 endpoints cost half
		 * a million comparisons) */
		for (k = 0; k < nstatic; k++)
			if (sockaddr_x_cmp(&v[k].addr, &addr) == 0)
				break;
		if (k < nstatic)
			continue;
		s = &v[n++];	/* zeroed by xcalloc */
		s->addr = addr;
		s->weight = !drainee && en->weight >= 0 ? en->weight : p->weight;
		s->drain = drainee || en->drain;
		s->dynamic = true;
		s->line = drainee ? 0 : en->line;
		check_init(&s->check_override);
		check_init(&s->check);
		check_copy(&s->check, &p->check);
	}
	free(p->servers);
	p->servers = v;
	p->nservers = n;
	if (n > 1)
		qsort(p->servers, n, sizeof(*p->servers), ep_server_qcmp);
}

/* A pool's set changed outside a reload: the running configuration follows. */
static void
refresh_running(struct endpoints *e, const char *pool)
{
	struct config *c = e->hooks.running(e->hooks.arg);
	struct ep_pool *ep = ep_find(e, pool);
	struct pool *p;

	if (c == NULL || ep == NULL || (p = config_find_pool(c, pool)) == NULL)
		return;
	merge(p, ep);
	e->hooks.changed(e->hooks.arg, pool);
}

static void
on_grace(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct endpoints *e = t->data;
	int64_t now = mono_ms(), next = 0;
	size_t i, j, k;

	for (i = 0; i < e->n; i++) {
		struct ep_pool *ep = &e->v[i];
		bool changed = false;

		for (j = 0, k = 0; j < ep->ndrains; j++) {
			if (ep->drains[j].until_ms <= now) {
				log_server(LOG_INFO, ep->pool, &ep->drains[j].addr,
				    "drain grace over, removed");
				changed = true;
				continue;
			}
			if (next == 0 || ep->drains[j].until_ms < next)
				next = ep->drains[j].until_ms;
			ep->drains[k++] = ep->drains[j];
		}
		ep->ndrains = k;
		if (changed)
			refresh_running(e, ep->pool);
	}
	if (next > 0) {
		ev_timer_set(t, (next - now) / 1000.0 + 0.01, 0.);
		ev_timer_start(loop, t);
	}
}

/* ------------------------------------------------------------ life cycle */

struct endpoints *
endpoints_new(const struct endpoints_hooks *hooks)
{
	struct endpoints *e = xcalloc(1, sizeof(*e));

	e->hooks = *hooks;
	e->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	ev_timer_init(&e->grace, on_grace, 1., 0.);
	e->grace.data = e;
	return e;
}

void
endpoints_apply(struct endpoints *e, const struct config *old_conf, struct config *c)
{
	size_t i, j;
	int r;

	(void)old_conf;
	if (!e->started) {
		bool any = false;

		for (i = 0; i < c->npools && !any; i++)
			any = c->pools[i].endpoints_file != NULL || c->router.endpoints_dir != NULL;
		if (!any)
			return;
		e->started = true;
		e->w = epfile_watch_new(on_reading, e);
		if (e->w == NULL)
			log_warn("endpoint files: cannot start inotify; pools keep their static "
			    "servers only");
	}
	e->cfg = c;
	e->applying = true;
	for (i = 0; i < e->n; i++)
		e->v[i].seen = false;
	for (i = 0; i < c->npools; i++) {
		struct pool *p = &c->pools[i];
		char *path = pool_path(c, p);
		struct ep_pool *ep;

		if (path == NULL)
			continue;
		ep = ep_find(e, p->name);
		if (ep == NULL) {
			e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
			ep = &e->v[e->n++];
			memset(ep, 0, sizeof(*ep));
			ep->pool = xstrdup(p->name);
			metrics_hist_init(&ep->applied, metrics_latency_bounds,
			    metrics_latency_nbounds);
		}
		ep->seen = true;
		if (ep->path == NULL || strcmp(ep->path, path) != 0) {
			free(ep->path);
			ep->path = path;
			path = NULL;
			/* a new file: judged afresh (the old set was another file's) */
			epset_free(&ep->good);
			ep->have_good = false;
			ep->ndrains = 0;
			ep->pending_us = 0;
			ep->pending = 0;
			if (e->w != NULL && (r = epfile_watch_add(e->w, ep->pool, ep->path)) < 0)
				log_pool_err(LOG_WARNING, r, ep->pool,
				    "cannot follow endpoints file %s", ep->path);
		}
		free(path);
	}
	for (i = 0, j = 0; i < e->n; i++) {
		if (!e->v[i].seen) {
			if (e->w != NULL)
				epfile_watch_remove(e->w, e->v[i].pool);
			log_pool(LOG_INFO, e->v[i].pool, "no longer follows an endpoints file");
			ep_release(&e->v[i]);
			continue;
		}
		e->v[j++] = e->v[i];
	}
	e->n = j;
	for (i = 0; i < e->n; i++) {
		struct pool *p = config_find_pool(c, e->v[i].pool);

		if (p != NULL)
			merge(p, &e->v[i]);
	}
	e->applying = false;
	e->cfg = NULL;
}

void
endpoints_applied(struct endpoints *e, const char *pool, size_t nops, int64_t ack_us)
{
	struct ep_pool *ep = e != NULL ? ep_find(e, pool) : NULL;
	double ms;

	if (ep == NULL || ep->pending_us == 0)
		return;
	if (nops == 0) {
		/* e.g. new endpoints wait for their first health check, or a later
		 * reading put back what the kernel holds: nothing was timed */
		log_pool(LOG_DEBUG, ep->pool, "endpoints %s: no IPVS change to apply", ep->path);
	} else {
		ms = ack_us > ep->pending_us ? (double)(ack_us - ep->pending_us) / 1000. : 0.;
		metrics_hist_observe(&ep->applied, ms / 1000.);
		if (ep->pending > 1)
			log_pool(LOG_INFO, ep->pool, "endpoints %s applied: %zu change%s in %.2f ms "
			    "(inotify to last ack, %u readings coalesced)", ep->path, nops,
			    nops == 1 ? "" : "s", ms, ep->pending);
		else
			log_pool(LOG_INFO, ep->pool, "endpoints %s applied: %zu change%s in %.2f ms "
			    "(inotify to last ack)", ep->path, nops, nops == 1 ? "" : "s", ms);
	}
	ep->pending_us = 0;
	ep->pending = 0;
}

void
endpoints_stop(struct endpoints *e)
{
	size_t i;

	if (e == NULL)
		return;
	ev_timer_stop(loop_ev(), &e->grace);
	epfile_watch_free(e->w);
	for (i = 0; i < e->n; i++)
		ep_release(&e->v[i]);
	free(e->v);
	free(e);
}

void
endpoints_status(const struct endpoints *e, struct tbuf *o)
{
	size_t i;

	if (e == NULL || !e->started)
		return;
	tbuf_puts(o, "\nendpoint files:\n");
	for (i = 0; i < e->n; i++) {
		const struct ep_pool *ep = &e->v[i];

		tbuf_printf(o, "pool %s: %zu endpoints from %s (%lu updates, %lu refused)%s%s\n",
		    ep->pool, ep->good.n, ep->path, ep->updates, ep->refusals,
		    ep->refusal ? "; last reading refused: " : "", ep->refusal ? ep->refusal : "");
	}
}

void
endpoints_metrics(const struct endpoints *e, struct tbuf *b)
{
	size_t i;

	if (e == NULL || !e->started)
		return;
	metrics_family(b, "ipvsr_endpoints", METRIC_GAUGE, "Endpoints in the last accepted endpoints file.");
	for (i = 0; i < e->n; i++)
		metrics_sample(b, "ipvsr_endpoints", (const char *[]){ "pool", e->v[i].pool, NULL },
		    (double)e->v[i].good.n);
	metrics_family(b, "ipvsr_endpoints_updates_total", METRIC_COUNTER, "Endpoint file readings accepted.");
	for (i = 0; i < e->n; i++)
		metrics_sample_u64(b, "ipvsr_endpoints_updates_total",
		    (const char *[]){ "pool", e->v[i].pool, NULL }, e->v[i].updates);
	metrics_family(b, "ipvsr_endpoints_refusals_total", METRIC_COUNTER,
	    "Endpoint file readings refused (parse errors, safety rails).");
	for (i = 0; i < e->n; i++)
		metrics_sample_u64(b, "ipvsr_endpoints_refusals_total",
		    (const char *[]){ "pool", e->v[i].pool, NULL }, e->v[i].refusals);
	metrics_family(b, "ipvsr_endpoints_last_refused", METRIC_GAUGE,
	    "1 while the file's current content is refused and the last good set is served.");
	for (i = 0; i < e->n; i++)
		metrics_sample(b, "ipvsr_endpoints_last_refused",
		    (const char *[]){ "pool", e->v[i].pool, NULL }, e->v[i].refusal ? 1 : 0);
	metrics_family(b, "ipvsr_endpoints_draining", METRIC_GAUGE,
	    "Removed endpoints still at weight 0 during their drain grace.");
	for (i = 0; i < e->n; i++)
		metrics_sample(b, "ipvsr_endpoints_draining",
		    (const char *[]){ "pool", e->v[i].pool, NULL }, (double)e->v[i].ndrains);
	metrics_family(b, "ipvsr_endpoints_apply_seconds", METRIC_HISTOGRAM,
	    "From an endpoints file event (inotify) to the last IPVS acknowledgement of the "
	    "changes it caused; one sample per reconcile that applied accepted readings.");
	for (i = 0; i < e->n; i++)
		metrics_hist_render(b, "ipvsr_endpoints_apply_seconds",
		    (const char *[]){ "pool", e->v[i].pool, NULL }, &e->v[i].applied);
}

void
endpoints_explain(const struct endpoints *e, const char *pool, const struct sockaddr_x *addr,
    struct explain_member *out)
{
	const struct ep_pool *ep = NULL;
	const struct endpoint *en;
	int64_t now = mono_ms();
	size_t i;

	out->grace_left_ms = -1;
	for (i = 0; e != NULL && i < e->n; i++)
		if (strcmp(e->v[i].pool, pool) == 0)
			ep = &e->v[i];
	if (ep == NULL)
		return;
	snprintf(out->src, sizeof(out->src), "%s", ep->path);
	out->file_updated = ep->updated;
	if (ep->refusal != NULL)
		snprintf(out->file_refused, sizeof(out->file_refused), "%s", ep->refusal);
	if ((en = epset_find(&ep->good, addr)) != NULL) {
		out->listed_since = en->since;
		return;
	}
	for (i = 0; i < ep->ndrains; i++)
		if (sockaddr_x_cmp(&ep->drains[i].addr, addr) == 0)
			out->grace_left_ms = ep->drains[i].until_ms > now ? ep->drains[i].until_ms - now : 0;
}
