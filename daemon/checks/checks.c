/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checks.c - the health table: configuration -> probes, results -> health.
 *
 * Three tables, rebuilt by each checks_apply() and carried over by
 * identity:
 *   pools    by name: min_servers and the count of servers up
 *   entries  by (pool, destination): the rise/fall state of one server
 *   probes   by (target, check): one running probe, subscribed to by
 *            every entry that needs exactly that probe
 * A probe result is applied to each subscribed entry through health.c;
 * a transition is logged (one line, identity first), counted into its
 * pool, and reported through the `changed` hook.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "checks.h"
#include "explain.h"
#include "hash.h"
#include "metrics.h"
#include "log.h"
#include "loop.h"

struct cpool {
	char *name;
	unsigned min_servers;
	bool initial_up;
	unsigned nservers;
	unsigned *down; /* per configured server: its entries that are down */
	unsigned up;	/* servers none of whose entries is down */
	int reported;	/* pool_health last said: -1 nothing yet, 0 unhealthy, 1 healthy */
	int settled;	/* pool_settled last said: -1 nothing yet, 0, 1 */
	bool kept;
};

struct cprobe;

struct entry {
	struct cpool *pool;
	unsigned srv; /* index of the server in its pool */
	struct sockaddr_x dest;
	struct cprobe *probe; /* NULL: type none */
	enum check_type type;
	bool kept;
	struct health h;
};

/* One probe result, kept for ipvs-routerctl explain (24 bytes: the text of
 * TLS and configuration errors is kept for the newest result only, in each
 * entry's health.last). */
struct hist_rec {
	int64_t at_ms; /* mono */
	int32_t detail, elapsed_ms;
	int16_t status;
	uint8_t reason;
};

struct cprobe {
	struct checks *cs;
	struct probe *probe;
	struct sockaddr_x target;
	uint64_t hash;
	struct entry **subs;
	size_t nsubs, cap;
	bool kept;
	struct hist_rec hist[EXPLAIN_HIST]; /* a ring: the newest at hist[(nres - 1) % N] */
	uint64_t nres;			    /* results so far */
};

struct checks {
	struct checks_hooks hooks;
	struct cpool **pools; /* sorted by name */
	size_t npools;
	struct entry **ents; /* sorted by (pool name, dest) */
	size_t nents;
	uint64_t gen; /* bumped whenever ents is replaced (checks_generation) */
	struct cprobe **probes;
	size_t nprobes;
	int jitter;
};

/* what checks_apply wants for one entry */
struct want {
	struct entry *e;
	const struct check *ck;
	struct sockaddr_x target;
	uint64_t hash;
};

struct probe_key {
	const struct sockaddr_x *target;
	const struct check *ck;
};

static bool def_eq(const void *ctx, uintptr_t item, const void *key);
static bool cprobe_eq_free(const void *ctx, uintptr_t item, const void *key);
static bool cprobe_eq(const void *ctx, uintptr_t item, const void *key);
static int pool_cmp_name(const void *key, const void *item);
static int ent_cmp(const void *a, const void *b);
static int ent_key_cmp(const char *pool, const struct sockaddr_x *dest, const struct entry *e);
static struct entry *ent_find(
    struct entry **ents, size_t n, const char *pool, const struct sockaddr_x *dest, size_t *pos);
static struct cpool *pool_find(const struct checks *cs, const char *name);
static void pool_free(struct cpool *p);
static void cprobe_free(struct cprobe *cp);
static void cprobe_sub(struct cprobe *cp, struct entry *e);
static size_t dest_ports(const struct config *c, const struct pool *p, const struct server *s,
    uint16_t *ports, size_t max);
static void on_result(void *arg, struct probe *p, const struct health_result *r);
static void transition(
    struct checks *cs, struct entry *e, enum health_change ch, const struct health_result *r);
static void count_change(struct checks *cs, struct entry *e, enum health_change ch);
static void pool_report(struct checks *cs, struct cpool *p, bool at_apply);
static void settle_report(struct checks *cs, struct cpool *p);
static int pool_sort_cmp(const void *a, const void *b);
static bool ent_eq(const void *ctx, uintptr_t item, const void *key);
static uint64_t ent_hash(const char *pool, const struct sockaddr_x *dest);
static void recount(struct checks *cs);

/* ------------------------------------------------------------ hashing */

static bool
def_eq(const void *ctx, uintptr_t item, const void *key)
{
	(void)ctx;
	return check_probe_equal(&((const struct check_def *)item)->ck, key);
}

static bool
cprobe_eq(const void *ctx, uintptr_t item, const void *key)
{
	const struct cprobe *cp = (const struct cprobe *)item;
	const struct probe_key *k = key;

	(void)ctx;
	return sockaddr_x_cmp(&cp->target, k->target) == 0 &&
	       check_probe_equal(&probe_def(cp->probe)->ck, k->ck);
}

/* An old probe not claimed yet by this apply. */
static bool
cprobe_eq_free(const void *ctx, uintptr_t item, const void *key)
{
	return !((const struct cprobe *)item)->kept && cprobe_eq(ctx, item, key);
}

/* ------------------------------------------------------------ lookups */

static int
pool_cmp_name(const void *key, const void *item)
{
	return strcmp(key, (*(struct cpool *const *)item)->name);
}

static struct cpool *
pool_find(const struct checks *cs, const char *name)
{
	struct cpool **pp;

	if (cs->npools == 0)
		return NULL;
	pp = bsearch(name, cs->pools, cs->npools, sizeof(*cs->pools), pool_cmp_name);
	return pp != NULL ? *pp : NULL;
}

static int
ent_key_cmp(const char *pool, const struct sockaddr_x *dest, const struct entry *e)
{
	int c = strcmp(pool, e->pool->name);

	return c != 0 ? c : sockaddr_x_cmp(dest, &e->dest);
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;

	return ent_key_cmp(x->pool->name, &x->dest, *(struct entry *const *)b);
}

/* Exact match, or NULL with *pos the insertion point (lower bound). */
static struct entry *
ent_find(
    struct entry **ents, size_t n, const char *pool, const struct sockaddr_x *dest, size_t *pos)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = ent_key_cmp(pool, dest, ents[mid]);
		if (c == 0) {
			if (pos != NULL)
				*pos = mid;
			return ents[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (pos != NULL)
		*pos = lo;
	return NULL;
}

/* ------------------------------------------------------------ life cycle */

struct checks *
checks_new(const struct checks_hooks *hooks)
{
	struct checks *cs = xcalloc(1, sizeof(*cs));

	if (hooks != NULL)
		cs->hooks = *hooks;
	return cs;
}

static void
pool_free(struct cpool *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->down);
	free(p);
}

static void
cprobe_free(struct cprobe *cp)
{
	if (cp == NULL)
		return;
	probe_free(cp->probe);
	free(cp->subs);
	free(cp);
}

void
checks_free(struct checks *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->nprobes; i++)
		cprobe_free(cs->probes[i]);
	for (i = 0; i < cs->nents; i++)
		free(cs->ents[i]);
	for (i = 0; i < cs->npools; i++)
		pool_free(cs->pools[i]);
	free(cs->probes);
	free(cs->ents);
	free(cs->pools);
	free(cs);
}

static void
cprobe_sub(struct cprobe *cp, struct entry *e)
{
	if (cp->nsubs == cp->cap) {
		cp->cap = cp->cap ? cp->cap * 2 : 1;
		cp->subs = xreallocarray(cp->subs, cp->cap, sizeof(*cp->subs));
	}
	cp->subs[cp->nsubs++] = e;
	e->probe = cp;
}

/*
 * Destination ports of server s of pool p: its own, the pool's, or those
 * of the services using the pool (distinct; 0 for fwmark services).  A
 * pool no service uses still gets one entry (port 0 unless set).
 */
static size_t
dest_ports(const struct config *c, const struct pool *p, const struct server *s, uint16_t *ports,
    size_t max)
{
	size_t n = 0, i, j, k;

	if (s->addr.port != 0 || p->port != 0) {
		ports[0] = s->addr.port != 0 ? s->addr.port : (uint16_t)p->port;
		return 1;
	}
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		for (j = 0; j < v->nservices; j++) {
			const struct service *sv = &v->services[j];
			uint16_t port = sv->fwmark != 0 ? 0 : (uint16_t)sv->port;

			if (sv->pool != p &&
			    (sv->pool_name == NULL || strcmp(sv->pool_name, p->name)))
				continue;
			for (k = 0; k < n && ports[k] != port; k++)
				;
			if (k == n && n < max)
				ports[n++] = port;
		}
	}
	if (n == 0)
		ports[n++] = 0;
	return n;
}

static int
pool_sort_cmp(const void *a, const void *b)
{
	return strcmp((*(struct cpool *const *)a)->name, (*(struct cpool *const *)b)->name);
}

struct ent_key {
	const char *pool;
	const struct sockaddr_x *dest;
};

static bool
ent_eq(const void *ctx, uintptr_t item, const void *key)
{
	const struct ent_key *k = key;

	(void)ctx;
	return ent_key_cmp(k->pool, k->dest, (const void *)item) == 0;
}

static uint64_t
ent_hash(const char *pool, const struct sockaddr_x *dest)
{
	return hash_sockaddr_x(hash_str(HASH_INIT, pool), dest);
}

static void
recount(struct checks *cs)
{
	size_t i, j;

	for (i = 0; i < cs->npools; i++) {
		struct cpool *p = cs->pools[i];

		memset(p->down, 0, p->nservers * sizeof(*p->down));
		p->up = 0;
	}
	for (i = 0; i < cs->nents; i++)
		if (!cs->ents[i]->h.up)
			cs->ents[i]->pool->down[cs->ents[i]->srv]++;
	for (i = 0; i < cs->npools; i++) {
		struct cpool *p = cs->pools[i];

		for (j = 0; j < p->nservers; j++)
			if (p->down[j] == 0)
				p->up++;
	}
}

void
checks_apply(struct checks *cs, const struct config *c)
{
	struct cpool **npools, **poolmap;
	struct entry **nents;
	struct cprobe **nprobes;
	struct check_def **fresh;
	struct want *wants;
	bool *is_new;
	struct hidx oldprobes, newprobes, defidx, entidx;
	size_t npool = 0, nent = 0, nprobe = 0, nfresh = 0, cap = 0, i, j, k, nports;
	size_t n_new = 0, n_gone = 0, n_restart = 0, n_dup = 0;
	uint16_t ports[64];
	int64_t now = loop_now_ms(), t0 = mono_us();
	bool any_change = false;

	cs->jitter = c->checks.jitter_percent < 0 ? 0 : c->checks.jitter_percent;
	for (i = 0; i < c->npools; i++)
		for (j = 0; j < c->pools[i].nservers; j++)
			cap += dest_ports(
			    c, &c->pools[i], &c->pools[i].servers[j], ports, ARRAY_SIZE(ports));

	/* pools, kept by name */
	npools = xcalloc(c->npools + 1, sizeof(*npools));
	poolmap = xcalloc(c->npools + 1, sizeof(*poolmap));
	for (i = 0; i < cs->npools; i++)
		cs->pools[i]->kept = false;
	for (i = 0; i < c->npools; i++) {
		const struct pool *p = &c->pools[i];
		struct cpool *cp = pool_find(cs, p->name);

		if (cp == NULL) {
			cp = xcalloc(1, sizeof(*cp));
			cp->name = xstrdup(p->name);
			cp->reported = -1;
			cp->settled = -1;
		}
		cp->kept = true;
		cp->min_servers = p->min_servers < 0 ? 0 : (unsigned)p->min_servers;
		cp->initial_up = p->initial_state == INIT_UP;
		cp->nservers = (unsigned)p->nservers;
		free(cp->down);
		cp->down = xcalloc(p->nservers + 1, sizeof(*cp->down));
		npools[npool++] = cp;
		poolmap[i] = cp;
	}

	/* entries, kept by (pool, destination) */
	for (i = 0; i < cs->nents; i++)
		cs->ents[i]->kept = false;
	wants = xcalloc(cap + 1, sizeof(*wants));
	is_new = xcalloc(cap + 1, sizeof(*is_new));
	nents = xcalloc(cap + 1, sizeof(*nents));
	hidx_init(&entidx, cap);
	for (i = 0; i < c->npools; i++) {
		const struct pool *p = &c->pools[i];

		for (j = 0; j < p->nservers; j++) {
			const struct server *s = &p->servers[j];

			nports = dest_ports(c, p, s, ports, ARRAY_SIZE(ports));
			for (k = 0; k < nports; k++) {
				struct sockaddr_x dest = s->addr;
				struct ent_key key = {p->name, &dest};
				uint64_t h;
				struct entry *e;

				dest.port = ports[k];
				h = ent_hash(p->name, &dest);
				if (hidx_find(&entidx, h, ent_eq, NULL, &key) != 0) {
					/* pool port 0: a server without a port met one with it */
					log_server(LOG_WARNING, p->name, &dest,
					    "listed twice (once through a service port), checked once");
					n_dup++;
					continue;
				}
				e = ent_find(cs->ents, cs->nents, p->name, &dest, NULL);
				if (e != NULL) {
					health_set_thresholds(&e->h, s->check.rise, s->check.fall);
				} else {
					e = xcalloc(1, sizeof(*e));
					health_init(&e->h, s->check.rise, s->check.fall,
					    poolmap[i]->initial_up || s->check.type == CHECK_NONE,
					    now);
					e->type = s->check.type;
					is_new[nent] = true;
					n_new++;
				}
				e->kept = true;
				e->pool = poolmap[i];
				e->srv = (unsigned)j;
				e->dest = dest;
				hidx_add(&entidx, h, (uintptr_t)e);
				wants[nent].e = e;
				wants[nent].ck = &s->check;
				wants[nent].target = dest;
				if (s->check.port > 0)
					wants[nent].target.port = (uint16_t)s->check.port;
				nents[nent++] = e;
			}
		}
	}
	hidx_fini(&entidx);

	/* probes, kept by (target, check) */
	hidx_init(&oldprobes, cs->nprobes);
	hidx_init(&defidx, cs->nprobes + nent);
	for (i = 0; i < cs->nprobes; i++) {
		struct cprobe *cp = cs->probes[i];
		const struct check_def *def = probe_def(cp->probe);
		uint64_t dh = check_probe_hash(&def->ck);

		cp->kept = false;
		hidx_add(&oldprobes, cp->hash, (uintptr_t)cp);
		if (hidx_find(&defidx, dh, def_eq, NULL, &def->ck) == 0)
			hidx_add(&defidx, dh, (uintptr_t)def);
	}
	hidx_init(&newprobes, nent);
	nprobes = xcalloc(nent + 1, sizeof(*nprobes));
	fresh = xcalloc(nent + 1, sizeof(*fresh));
	for (i = 0; i < nent; i++) {
		struct want *w = &wants[i];
		struct entry *e = w->e;
		struct cprobe *cp, *was = e->probe;
		struct probe_key key = {&w->target, w->ck};
		uint64_t ch, h;

		if (w->ck->type == CHECK_NONE) {
			e->probe = NULL;
			e->type = CHECK_NONE;
			if (!is_new[i] && was != NULL) {
				health_restart(&e->h);
				if (health_force(&e->h, true, now) == HEALTH_WENT_UP) {
					log_server(LOG_NOTICE, e->pool->name, &e->dest,
					    "check disabled (type none), down -> up");
					any_change = true;
				}
			}
			continue;
		}
		ch = check_probe_hash(w->ck);
		h = hash_sockaddr_x(ch, &w->target);
		cp = (struct cprobe *)hidx_find(&newprobes, h, cprobe_eq, NULL, &key);
		if (cp == NULL) {
			cp = (struct cprobe *)hidx_find(&oldprobes, h, cprobe_eq_free, NULL, &key);
			if (cp != NULL) {
				cp->kept = true;
				cp->nsubs = 0;
				probe_set_jitter(cp->probe, cs->jitter);
			} else {
				struct check_def *def = (struct check_def *)hidx_find(&defidx, ch, def_eq, NULL, w->ck);

				if (def == NULL) {
					def = check_def_new(w->ck);
					if (def->error != NULL)
						log_warnx("%s:%d: %s check cannot run: %s",
						    w->ck->src != NULL ? w->ck->src : "?",
						    w->ck->line, check_type_str(w->ck->type),
						    def->error);
					hidx_add(&defidx, ch, (uintptr_t)def);
					fresh[nfresh++] = def;
				}
				cp = xcalloc(1, sizeof(*cp));
				cp->cs = cs;
				cp->target = w->target;
				cp->hash = h;
				cp->probe = probe_new(&w->target, def, on_result, cp);
				probe_schedule(cp->probe, cs->jitter);
			}
			hidx_add(&newprobes, h, (uintptr_t)cp);
			nprobes[nprobe++] = cp;
		}
		if (!is_new[i] && was != cp) {
			/* another probe now: the state stays, the runs start over */
			health_restart(&e->h);
			n_restart++;
		}
		e->type = w->ck->type;
		cprobe_sub(cp, e);
	}
	/* the probes hold their own references now */
	for (i = 0; i < nfresh; i++)
		check_def_unref(fresh[i]);
	free(fresh);
	hidx_fini(&newprobes);
	hidx_fini(&oldprobes);
	hidx_fini(&defidx);

	for (i = 0; i < cs->nprobes; i++)
		if (!cs->probes[i]->kept)
			cprobe_free(cs->probes[i]);
	for (i = 0; i < cs->nents; i++) {
		if (!cs->ents[i]->kept) {
			free(cs->ents[i]);
			n_gone++;
		}
	}
	for (i = 0; i < cs->npools; i++)
		if (!cs->pools[i]->kept)
			pool_free(cs->pools[i]);
	free(cs->probes);
	free(cs->ents);
	free(cs->pools);
	free(wants);
	free(is_new);
	free(poolmap);

	qsort(npools, npool, sizeof(*npools), pool_sort_cmp);
	qsort(nents, nent, sizeof(*nents), ent_cmp);
	cs->pools = npools;
	cs->npools = npool;
	cs->ents = nents;
	cs->nents = nent;
	cs->gen++;
	cs->probes = nprobes;
	cs->nprobes = nprobe;

	recount(cs);
	log_info("checks: %zu servers in %zu pools, %zu probes (%zu new servers, %zu removed, "
		 "%zu probes restarted%s) in %lld ms",
	    nent, npool, nprobe, n_new, n_gone, n_restart, n_dup > 0 ? ", duplicates skipped" : "",
	    (long long)((mono_us() - t0) / 1000));
	for (i = 0; i < cs->npools; i++) {
		pool_report(cs, cs->pools[i], true);
		settle_report(cs, cs->pools[i]);
	}
	if ((any_change || n_gone > 0 || n_new > 0) && cs->hooks.changed != NULL)
		cs->hooks.changed(cs->hooks.arg);
}

/* ------------------------------------------------------------ results */

/* Probe durations by check type, for ipvsr_check_duration_seconds. */
static struct metrics_hist latency[CHECK_EXEC + 1];
static bool latency_init;

bool
checks_metrics_servers(
    const struct checks *cs, unsigned family, struct tbuf *b, size_t *pos, size_t budget)
{
	struct checks_entry e;
	size_t n = checks_count(cs), end;

	if (*pos == 0 && family == CHECKS_FAM_UP)
		metrics_family(b, "ipvsr_server_up", METRIC_GAUGE,
		    "1 when the server passes its health checks.");
	else if (*pos == 0)
		metrics_family(b, "ipvsr_server_last_check_reason", METRIC_GAUGE,
		    "The reason of each server's last check result (1 for it).");
	end = n - *pos > budget ? *pos + budget : n;
	for (; *pos < end; (*pos)++) {
		char a[SOCKADDR_X_STRLEN];

		if (!checks_entry(cs, *pos, &e))
			continue;
		if (family == CHECKS_FAM_UP) {
			sockaddr_x_fmt(&e.dest, a, sizeof(a));
			metrics_sample(b, "ipvsr_server_up",
			    (const char *[]){ "pool", e.pool, "server", a, NULL },
			    e.health != NULL && e.health->up ? 1 : 0);
		} else if (e.health != NULL && e.health->seen) {
			sockaddr_x_fmt(&e.dest, a, sizeof(a));
			metrics_sample(b, "ipvsr_server_last_check_reason",
			    (const char *[]){ "pool", e.pool, "server", a, "reason",
				health_reason_str(e.health->last.reason), NULL },
			    1);
		}
	}
	return *pos >= n;
}

uint64_t
checks_generation(const struct checks *cs)
{
	return cs != NULL ? cs->gen : 0;
}

void
checks_metrics(const struct checks *cs, struct tbuf *b)
{
	static const enum check_type types[] = { CHECK_TCP, CHECK_HTTP, CHECK_HTTPS, CHECK_EXEC };
	const struct check_stats *st = check_stats_get();
	size_t i;
	int k;

	(void)cs;
	metrics_family(b, "ipvsr_check_runs_total", METRIC_COUNTER, "Probes started.");
	metrics_sample_u64(b, "ipvsr_check_runs_total", NULL, st->runs);
	metrics_family(b, "ipvsr_check_results_total", METRIC_COUNTER, "Probe results, by reason.");
	for (k = 0; k < HEALTH_R__COUNT; k++)
		metrics_sample_u64(b, "ipvsr_check_results_total",
		    (const char *[]){ "reason", health_reason_str((enum health_reason)k), NULL },
		    st->results[k]);
	metrics_family(b, "ipvsr_check_probes", METRIC_GAUGE, "Distinct probes scheduled.");
	metrics_sample(b, "ipvsr_check_probes", NULL, st->probes);
	metrics_family(b, "ipvsr_check_in_flight", METRIC_GAUGE, "Probes running now.");
	metrics_sample(b, "ipvsr_check_in_flight", NULL, st->in_flight);
	metrics_family(b, "ipvsr_check_local_fault", METRIC_GAUGE,
	    "1 while probes fail for a reason of this router's own (EMFILE, ENOMEM, ...).");
	metrics_sample(b, "ipvsr_check_local_fault", NULL, st->local_fault ? 1 : 0);
	metrics_family(b, "ipvsr_check_local_fault_episodes_total", METRIC_COUNTER,
	    "Episodes of local probe faults (each logged once at critical level).");
	metrics_sample_u64(b, "ipvsr_check_local_fault_episodes_total", NULL, st->local_episodes);
	metrics_family(b, "ipvsr_check_start_late_max_seconds", METRIC_GAUGE,
	    "Worst lateness of a probe start against its schedule (loop health).");
	metrics_sample(b, "ipvsr_check_start_late_max_seconds", NULL, st->max_late_us / 1e6);
	metrics_family(b, "ipvsr_check_connections_opened_total", METRIC_COUNTER,
	    "Connections the http(s) probes opened.");
	metrics_sample_u64(b, "ipvsr_check_connections_opened_total", NULL, st->conn_opened);
	metrics_family(b, "ipvsr_check_connections_reused_total", METRIC_COUNTER,
	    "http(s) probe runs that started on the connection kept from the run before.");
	metrics_sample_u64(b, "ipvsr_check_connections_reused_total", NULL, st->conn_reused);
	metrics_family(b, "ipvsr_check_connections_retried_total", METRIC_COUNTER,
	    "Runs whose kept connection failed (closed, reset, silent): they went on with a new one.");
	metrics_sample_u64(b, "ipvsr_check_connections_retried_total", NULL, st->conn_retried);
	metrics_family(b, "ipvsr_check_connections_idle_closed_total", METRIC_COUNTER,
	    "Kept connections the server closed between runs.");
	metrics_sample_u64(b, "ipvsr_check_connections_idle_closed_total", NULL, st->conn_idle_closed);
	metrics_family(b, "ipvsr_check_tls_handshakes_total", METRIC_COUNTER,
	    "TLS handshakes of the https probes: full (certificate verified) or resumed.");
	metrics_sample_u64(b, "ipvsr_check_tls_handshakes_total",
	    (const char *[]){ "kind", "full", NULL }, st->tls_full);
	metrics_sample_u64(b, "ipvsr_check_tls_handshakes_total",
	    (const char *[]){ "kind", "resumed", NULL }, st->tls_resumed);

	if (!latency_init)
		return;
	metrics_family(b, "ipvsr_check_duration_seconds", METRIC_HISTOGRAM,
	    "How long probes took, from start to verdict, by check type.");
	for (i = 0; i < ARRAY_SIZE(types); i++)
		metrics_hist_render(b, "ipvsr_check_duration_seconds",
		    (const char *[]){ "type", check_type_str(types[i]), NULL }, &latency[types[i]]);
}

static void
on_result(void *arg, struct probe *p, const struct health_result *r)
{
	struct cprobe *cp = arg;
	int64_t now = loop_now_ms();
	char why[192];
	size_t i;

	if (!latency_init) {
		for (i = 0; i < ARRAY_SIZE(latency); i++)
			metrics_hist_init(&latency[i], metrics_latency_bounds, metrics_latency_nbounds);
		latency_init = true;
	}
	if (cp->nsubs > 0 && (size_t)cp->subs[0]->type < ARRAY_SIZE(latency))
		metrics_hist_observe(&latency[cp->subs[0]->type], r->elapsed_ms / 1000.0);
	{
		struct hist_rec *h = &cp->hist[cp->nres++ % EXPLAIN_HIST];

		h->at_ms = now;
		h->detail = r->detail;
		h->elapsed_ms = r->elapsed_ms;
		h->status = (int16_t)r->status;
		h->reason = (uint8_t)r->reason;
	}
	for (i = 0; i < cp->nsubs; i++) {
		struct entry *e = cp->subs[i];
		enum health_change ch = health_report(&e->h, r, now);

		if (ch != HEALTH_SAME)
			transition(cp->cs, e, ch, r);
		else if (r->reason != HEALTH_R_OK && !e->h.up && log_get_level() >= LOG_DEBUG)
			log_server(LOG_DEBUG, e->pool->name, &e->dest, "%s check failed (%s), still down",
			    check_type_str(e->type), health_result_fmt(e->type, r, why, sizeof(why)));
		/* once settled, a pool stays so until an apply gives it new servers */
		if (e->pool->settled != 1)
			settle_report(cp->cs, e->pool);
	}
}

static void
transition(struct checks *cs, struct entry *e, enum health_change ch, const struct health_result *r)
{
	char why[192];
	bool up = ch == HEALTH_WENT_UP;

	log_server(LOG_NOTICE, e->pool->name, &e->dest, "%s check %s (%s), %s -> %s",
	    check_type_str(e->type), up ? "passed" : "failed",
	    health_result_fmt(e->type, r, why, sizeof(why)), up ? "down" : "up", up ? "up" : "down");
	count_change(cs, e, ch);
	pool_report(cs, e->pool, false);
	if (cs->hooks.changed != NULL)
		cs->hooks.changed(cs->hooks.arg);
}

static void
count_change(struct checks *cs, struct entry *e, enum health_change ch)
{
	struct cpool *p = e->pool;

	if (ch == HEALTH_WENT_DOWN) {
		if (p->down[e->srv]++ == 0) {
			if (p->up == 0) {
				/* the counts no longer describe the entries: recount */
				BUG("pool %s: a server went down with no server counted up", p->name);
				recount(cs);
				return;
			}
			p->up--;
		}
	} else if (ch == HEALTH_WENT_UP) {
		if (p->down[e->srv] == 0) {
			BUG("pool %s: a server came up that was not counted down", p->name);
			recount(cs);
			return;
		}
		if (--p->down[e->srv] == 0)
			p->up++;
	}
}

/*
 * Has every server of the pool had its say: up, or down with `fall` failures in a row
 * (health_settled)?
 * Servers start down until `rise` good checks; a pool whose servers are
 * still rising is not "below min_servers" yet, or every (re)start of a
 * router would give its VIPs up for rise x interval.
 */
static bool
pool_settled(const struct checks *cs, const struct cpool *p)
{
	struct sockaddr_x none;
	size_t pos = 0, i;

	memset(&none, 0, sizeof(none));
	ent_find(cs->ents, cs->nents, p->name, &none, &pos);
	for (i = pos; i < cs->nents && cs->ents[i]->pool == p; i++) {
		const struct health *h = &cs->ents[i]->h;

		if (!health_settled(h))
			return false;
	}
	return true;
}

/* Tell the pool_settled hook when the pool's settledness changed (or was never said). */
static void
settle_report(struct checks *cs, struct cpool *p)
{
	int settled = pool_settled(cs, p) ? 1 : 0;

	if (p->settled == settled)
		return;
	p->settled = settled;
	/* the verdict pool_report held back while the servers were rising: a
	 * pool whose servers all stayed down had no transition to report it */
	if (settled == 1)
		pool_report(cs, p, false);
	if (cs->hooks.pool_settled != NULL)
		cs->hooks.pool_settled(cs->hooks.arg, p->name, settled == 1);
}

static void
pool_report(struct checks *cs, struct cpool *p, bool at_apply)
{
	bool healthy = p->up >= p->min_servers;

	if (p->reported == (int)healthy)
		return;
	if (!healthy && p->reported != 0 && !pool_settled(cs, p))
		return;		/* still rising: no verdict on the pool yet */
	if (p->reported < 0)
		log_pool(LOG_INFO, p->name, "%u of %u servers up (min_servers %u)", p->up,
		    p->nservers, p->min_servers);
	else if (healthy)
		log_pool(LOG_NOTICE, p->name, "%u of %u servers up, min_servers %u met", p->up,
		    p->nservers, p->min_servers);
	else
		log_pool(LOG_NOTICE, p->name, "%u of %u servers up, below min_servers %u", p->up,
		    p->nservers, p->min_servers);
	p->reported = healthy;
	if (cs->hooks.pool_health != NULL)
		cs->hooks.pool_health(
		    cs->hooks.arg, p->name, healthy, p->up, p->nservers, p->min_servers);
}

/* ------------------------------------------------------------ queries */

bool
checks_server_up(const struct checks *cs, const char *pool, const struct sockaddr_x *dest)
{
	const struct cpool *cp;
	const struct entry *e;
	bool any = false, all = true;
	size_t pos = 0, i;

	if (cs == NULL)
		return true;
	e = ent_find(cs->ents, cs->nents, pool, dest, &pos);
	if (e != NULL)
		return e->h.up;
	if (dest->port == 0) {
		for (i = pos; i < cs->nents; i++) {
			e = cs->ents[i];
			if (strcmp(e->pool->name, pool) != 0 ||
			    sockaddr_x_cmp_addr(&e->dest, dest) != 0)
				break;
			any = true;
			all = all && e->h.up;
		}
		if (any)
			return all;
	}
	cp = pool_find(cs, pool);
	return cp == NULL || cp->initial_up;
}

bool
checks_pool_count(const struct checks *cs, const char *pool, unsigned *up, unsigned *total)
{
	const struct cpool *cp = cs != NULL ? pool_find(cs, pool) : NULL;

	if (cp == NULL)
		return false;
	if (up != NULL)
		*up = cp->up;
	if (total != NULL)
		*total = cp->nservers;
	return true;
}

size_t
checks_count(const struct checks *cs)
{
	return cs != NULL ? cs->nents : 0;
}

bool
checks_entry(const struct checks *cs, size_t i, struct checks_entry *out)
{
	const struct entry *e;

	if (cs == NULL || i >= cs->nents)
		return false;
	e = cs->ents[i];
	memset(out, 0, sizeof(*out));
	out->pool = e->pool->name;
	out->dest = e->dest;
	if (e->probe != NULL)
		out->target = e->probe->target;
	out->type = e->type;
	out->health = &e->h;
	return true;
}

bool
checks_explain(const struct checks *cs, const char *pool, const struct sockaddr_x *dest,
    int64_t now_ms, struct explain_health *out)
{
	const struct entry *e = NULL;
	const struct cprobe *cp;
	size_t pos = 0, i;

	memset(out, 0, sizeof(*out));
	if (cs == NULL)
		return false;
	e = ent_find(cs->ents, cs->nents, pool, dest, &pos);
	if (e == NULL && pos < cs->nents && strcmp(cs->ents[pos]->pool->name, pool) == 0 &&
	    sockaddr_x_cmp_addr(&cs->ents[pos]->dest, dest) == 0 && dest->port == 0)
		e = cs->ents[pos]; /* port 0: the first entry of the address */
	if (e == NULL)
		return false;
	out->known = true;
	snprintf(out->check, sizeof(out->check), "%s", check_type_str(e->type));
	out->up = e->h.up;
	out->since_ago_ms = now_ms - e->h.since_ms;
	out->rise = e->h.rise;
	out->fall = e->h.fall;
	out->ok_run = e->h.ok_run;
	out->fail_run = e->h.fail_run;
	out->down_run = e->h.down_run;
	out->seen = e->h.seen;
	out->settled = health_settled(&e->h);
	if (e->h.local_err != 0)
		snprintf(out->local, sizeof(out->local), "%s",
		    e->h.local_err > 0 ? strerror(e->h.local_err) : "local error");
	if ((cp = e->probe) == NULL)
		return true;
	sockaddr_x_fmt(&cp->target, out->target, sizeof(out->target));
	out->probes = cp->nres;
	for (i = 0; i < EXPLAIN_HIST && i < cp->nres; i++) {
		const struct hist_rec *h = &cp->hist[(cp->nres - 1 - i) % EXPLAIN_HIST];
		struct explain_result *x = &out->hist[out->nhist++];
		struct health_result r;

		health_result_set(&r, (enum health_reason)h->reason, h->detail, h->elapsed_ms);
		r.status = h->status;
		/* the newest is the entry's last result (a local fault is not one) */
		if (i == 0 && e->h.seen && e->h.last.reason == r.reason &&
		    e->h.last.elapsed_ms == r.elapsed_ms)
			memcpy(r.text, e->h.last.text, sizeof(r.text));
		else if (r.reason == HEALTH_R_TLS_VERIFY || r.reason == HEALTH_R_TLS_HANDSHAKE ||
			 r.reason == HEALTH_R_CONFIG)
			snprintf(r.text, sizeof(r.text), "detail not kept");
		x->ok = r.reason == HEALTH_R_OK;
		x->ago_ms = now_ms - h->at_ms;
		health_result_fmt(e->type, &r, x->text, sizeof(x->text));
	}
	return true;
}

size_t
checks_probe_count(const struct checks *cs)
{
	return cs != NULL ? cs->nprobes : 0;
}
