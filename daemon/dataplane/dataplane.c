/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataplane.c - the daemon's IPVS dataplane (composition layer).
 *
 * Every event (reload, health change, endpoint change) only calls
 * dataplane_dirty(); the reconcile itself runs once, deferred to the end of
 * the loop iteration: build the desired table from the running
 * configuration, plan against the applied view (reconcile.c), execute the
 * plan in pipelined batches (ipvs.c), and update the view from the
 * outcome.  The repair timer does the same from a fresh dump of the
 * kernel, and reports what it found changed behind our back.
 *
 * The kernel IO of a reconcile - the dump, the plan's phases, the recreate
 * of a service - runs on a thread of its own (loop_work, one dp_job per
 * step): with 10,000 destinations a dump or an apply takes from tens to
 * hundreds of milliseconds of kernel time, and the loop must go on sending
 * election adverts meanwhile.  The loop keeps every decision (the desired
 * table, the plan, folding the outcome into the view, logs, hooks) and
 * never waits on netlink.  A pass is a chain of steps:
 *   reconcile -> [dump job -> dump_done] -> plan_stage -> [apply job ->
 *   apply_done -> [recreate job -> apply_done]] -> finish
 * One pass at a time: what asks for a reconcile while one is in flight is
 * served by one more pass after it (a change seen before the plan is made
 * is in that plan already).  A job owns what it writes and reads only the
 * pass's plan, which nothing touches until the job is back, and the IPVS
 * handle, which the loop leaves alone meanwhile: a reload may free the
 * configuration the plan came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>


#include <arpa/inet.h>

#include <ev.h>

#include "dataplane.h"
#include "explain.h"
#include "metrics.h"
#include "ipvs.h"
#include "log.h"
#include "loop.h"
#include "reconcile.h"
#include "traffic.h"
#include "util.h"

#define RETRY_MS	30000 /* IPVS unavailable and no repair timer */
#define DRIFT_LINES_MAX 20    /* repaired-drift lines per reconcile */
#define ERROR_LINES_MAX 10    /* failed operations logged one by one */
/* The services we manage, kept across restarts in state_dir(). */
#define STATE_FILE	  "ipvs-services"
#define STATE_MAGIC	  "ipvs-router owned services v1"
#define STATE_LINES_MAX	  1000000
#define RETRY_FIRST_MS	250   /* a failed plan is retried after this, */
#define RETRY_MAX_MS	8000  /* doubling up to this */

/* An adopted destination that keeps its weight until health has a verdict. */
struct hold {
	char *pool;
	struct sockaddr_x addr; /* the port is not compared */
	bool released;
};

/* A pool whose next apply is reported (dataplane_pool_dirty). */
struct pool_watch {
	char *pool;
	size_t nops;	/* operations on its services since it was asked */
	int64_t ack_us; /* the last one's acknowledgement (mono_us), 0 none yet */
	bool failed;	/* one of them failed in this pass: wait for the retry */
	bool armed;	/* asked for before this pass's plan was made: it is in it */
};

/* A destination operation sent to the kernel, kept for ipvs-routerctl explain. */
struct oprec {
	enum rc_op_type type;
	enum rc_op_why why;
	struct rc_svc_conf svc;
	struct rc_dest dest, old;
	int err;
	int64_t at_ms; /* mono: the pass's fold */
};
#define OPLOG_MAX 1024 /* the newest destination operations kept */

/* Whether a pool's min_servers guard holds failed servers in. */
struct guard {
	char *pool;
	bool active;
};

struct dataplane {
	struct dataplane_hooks hooks;
	const struct config *conf; /* the running configuration (the last applied) */
	struct ipvs *h;		   /* NULL while IPVS is unavailable */
	struct rc_table applied;   /* the kernel's table, foreign services included */
	uint64_t applied_gen;	   /* bumped whenever `applied` changes (metrics slices) */
	bool applied_valid;	   /* false: dump before planning */
	bool adopted;		   /* the start-up adoption is done */
	struct rc_svc_conf *owned; /* services we manage */
	size_t nowned;
	char *state_path;	   /* where `owned` is kept across restarts */
	struct rc_svc_conf *saved; /* what that file holds (sorted keys) */
	size_t nsaved;
	bool saved_known;	   /* `saved` was read (or written) */
	int state_err;		   /* the last error reported about the file */
	ev_timer timer;
	double timer_s;	  /* its period; 0 = stopped */
	ev_timer retry;	  /* a prompt reconcile after a plan that failed in part */
	int retry_ms;	  /* its next delay; 0 = the last plan went through */
	bool unavailable; /* "not available" already logged */
	int ipvs_said;	  /* hooks.ipvs_state last said: 1 available, 0 not, -1 nothing yet */
	bool sched_none;  /* the kernel takes the scheduler "none" */
	bool dup_warned;  /* duplicate service keys reported for this config */
	struct guard *guards;
	size_t nguards;
	struct hold *holds;
	size_t nholds;
	size_t nheld;	   /* holds that kept a server in, this build */
	int sloppy_set[2]; /* tcp, sctp: what we wrote, -1 nothing */
	char **drift;	   /* drift found by the last dump, to report */
	size_t ndrift, capdrift;
	struct pool_watch *watch; /* pools whose next apply is reported */
	size_t nwatch;
	struct ipvs_counters ctr; /* the handle's, as of the last job (metrics) */
	struct traffic *traffic;  /* the managed services' traffic counters */
	struct oprec *oplog;	  /* a ring of OPLOG_MAX, allocated at the first */
	size_t noplog;		  /* records written so far */

	/* The pass in flight (see the top): at most one. */
	bool busy;		  /* a pass is in flight */
	struct dp_job *job;	  /* its kernel IO step under way, NULL: none */
	bool pass_full;		  /* it started with a dump asked for by the timer */
	bool pass_recreating;	  /* the plan is a recreate (rc_plan_recreate) */
	bool pass_ok;		  /* the plan (not a recreate) went through */
	int64_t pass_t0, step_t0; /* the pass's start, the plan's (mono_us) */
	struct rc_table pass_desired;
	struct rc_plan pass_plan; /* read by the job while it runs */
	bool rerun, rerun_full;	  /* asked for while the pass was in flight */
};

/*
 * One kernel IO step of a pass, on a thread of its own (loop_work).  The
 * thread reads only what is set before it starts (h, dump, ops, n) and
 * writes only the outputs; the loop takes them in job_done.
 */
struct dp_job {
	struct dataplane *dp;	 /* NULL: dataplane_fini let go of it (loop only) */
	struct ipvs *h;		 /* lent by the loop until the job is back */
	bool dump;		 /* dump the table into `fresh`, else apply ops[0, n) */
	const struct rc_op *ops; /* the pass's plan */
	size_t n;
	struct rc_table fresh;	  /* out: the dump */
	int *err;		  /* out: per operation */
	int64_t *done_us;	  /* out: per operation, its phase's answer (mono_us; 0 not sent) */
	size_t held;		  /* out: operations held back (make before break) */
	int r;			  /* out: 0 or the socket's negative errno */
	struct ipvs_counters ctr; /* out: the handle's counters afterwards */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool finished; /* under mu: the thread is done with everything but mu/cv */
};

static void deferred_cb(void *arg);
static void dp_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static void arm_timer(struct dataplane *dp, bool unavailable);
static void retry_cb(struct ev_loop *l, ev_timer *w, int revents);
static void retry_schedule(struct dataplane *dp);
static void retry_reset(struct dataplane *dp);
static int run_phases(struct ipvs *h, const struct rc_op *ops, size_t n, int *err, size_t *held,
    int64_t *done_us);
static void watch_count(struct dataplane *dp, const struct rc_plan *plan,
    const struct rc_table *desired, const int *err, const int64_t *done_us);
static void watch_report(struct dataplane *dp);
static int job_start(struct dataplane *dp, bool dump, const struct rc_op *ops, size_t n);
static void job_work(void *arg);
static void job_done(void *arg, bool cancelled);
static void job_wait(struct dp_job *j);
static void job_free(struct dp_job *j);
static void dump_done(struct dataplane *dp, struct dp_job *j);
static void plan_stage(struct dataplane *dp);
static void apply_done(struct dataplane *dp, struct dp_job *j);
static void finish(struct dataplane *dp, bool ok);
static void pass_end(struct dataplane *dp);
static void rerun_cb(void *arg);
static void owned_merge(struct dataplane *dp, const struct rc_table *desired);
static bool ensure_ipvs(struct dataplane *dp);
static void drop_ipvs(struct dataplane *dp, int err, const char *what);
static void reconcile(struct dataplane *dp, bool full);
static size_t pool_members(void *arg, const struct pool *p, struct rc_member **out);
static bool member_up_x(struct dataplane *dp, const struct pool *p, const struct sockaddr_x *addr,
    bool peek, bool *held);
static void member_fill(struct dataplane *dp, const struct pool *p, const struct server *s,
    struct rc_member *m, bool peek, bool *held);
static void oplog_add(struct dataplane *dp, const struct rc_op *op, int err, int64_t now_ms);
static int hold_cmp(const void *a, const void *b);
static void make_holds(struct dataplane *dp, const struct rc_table *desired);
static void free_holds(struct dataplane *dp);
static void guard_report(struct dataplane *dp, const struct rc_pool_state *ps, size_t n);
static void free_guards(struct dataplane *dp);
static void drift_collect(struct dataplane *dp, const struct rc_table *fresh);
static int dest_cmp_void(const void *a, const void *b);
static void drift_add(struct dataplane *dp, char *line);
static void drift_flush(struct dataplane *dp, bool repaired);
static bool fold(struct dataplane *dp, const struct rc_plan *plan, const int *err, size_t held,
    int r, const struct rc_table *desired, int64_t t0_us, bool recreating, struct rc_plan *again);
static void update_owned(struct dataplane *dp, const struct rc_table *desired);
static int state_load(struct dataplane *dp);
static void state_save(struct dataplane *dp, const struct rc_svc_conf *keys, size_t n);
static void state_adopt(struct dataplane *dp, const struct rc_table *desired);
static int key_qcmp(const void *a, const void *b);
static void apply_sysctls(struct dataplane *dp, const struct config *c);
static void warn_config(const struct config *c);
static bool served(const struct config *c, const struct vip *v);

/* ============================================================ life cycle */

struct dataplane *
dataplane_new(const struct dataplane_hooks *hooks)
{
	struct dataplane *dp;

	dp = xcalloc(1, sizeof(*dp));
	dp->hooks = *hooks;
	dp->sched_none = true;
	dp->sloppy_set[0] = dp->sloppy_set[1] = -1;
	dp->ipvs_said = -1;
	rc_table_init(&dp->applied);
	rc_table_init(&dp->pass_desired);
	rc_plan_init(&dp->pass_plan);
	ev_timer_init(&dp->timer, dp_timer_cb, 0., 0.);
	dp->timer.data = dp;
	ev_timer_init(&dp->retry, retry_cb, 0., 0.);
	dp->retry.data = dp;
	dp->state_path = xasprintf("%s/" STATE_FILE, state_dir());
	dp->traffic = traffic_new();
	(void)state_load(dp);
	return dp;
}

void
dataplane_apply(struct dataplane *dp, const struct config *old_conf, const struct config *new_conf)
{
	(void)old_conf;
	if (dp == NULL || new_conf == NULL)
		return;
	dp->conf = new_conf;
	traffic_configure(dp->traffic, new_conf->ipvs.traffic_interval_ms, new_conf->metrics.enabled);
	warn_config(new_conf);
	dp->dup_warned = false;
	/* the period may have changed; the next reconcile runs at once anyway */
	dp->timer_s = -1;
	arm_timer(dp, dp->h == NULL && dp->unavailable);
	dataplane_dirty(dp);
}

void
dataplane_dirty(struct dataplane *dp)
{
	if (dp != NULL)
		loop_defer(deferred_cb, dp);
}

void
dataplane_pool_dirty(struct dataplane *dp, const char *pool)
{
	size_t i;

	if (dp == NULL)
		return;
	for (i = 0; i < dp->nwatch; i++)
		if (strcmp(dp->watch[i].pool, pool) == 0)
			break;
	if (i == dp->nwatch) {
		dp->watch = xreallocarray(dp->watch, dp->nwatch + 1, sizeof(*dp->watch));
		memset(&dp->watch[dp->nwatch], 0, sizeof(*dp->watch));
		dp->watch[dp->nwatch++].pool = xstrdup(pool);
	}
	dataplane_dirty(dp);
}

void
dataplane_fini(struct dataplane *dp)
{
	const struct config *c;
	struct rc_plan plan;
	size_t i, n = 0;
	int *err, r;

	if (dp == NULL)
		return;
	loop_defer_cancel(deferred_cb, dp);
	loop_defer_cancel(rerun_cb, dp);
	if (loop_ev() != NULL) {
		ev_timer_stop(loop_ev(), &dp->timer);
		ev_timer_stop(loop_ev(), &dp->retry);
	}
	if (dp->job != NULL) {
		/* A step still at the kernel: wait for it and leave it to free
		 * itself (its done() comes at loop_fini).  Its outcome is not
		 * folded in: the table is read again before a flush. */
		job_wait(dp->job);
		dp->job->dp = NULL;
		dp->job = NULL;
		dp->applied_valid = false;
	}
	if (dp->busy) {
		/* what the pass may have created is ours too */
		owned_merge(dp, &dp->pass_desired);
		dp->rerun = false;
		pass_end(dp);
		if (!(dp->h != NULL && dp->conf != NULL && dp->conf->ipvs.flush_on_exit))
			state_save(dp, dp->owned, dp->nowned);
	}
	c = dp->conf;
	if (dp->h != NULL && c != NULL && c->ipvs.flush_on_exit) {
		if (!dp->applied_valid && ipvs_dump(dp->h, &dp->applied) == 0)
			dp->applied_valid = true;
		rc_plan_init(&plan);
		for (i = 0; i < dp->nowned; i++) {
			if (rc_table_find(&dp->applied, &dp->owned[i]) == NULL)
				continue;
			if (plan.n == plan.cap) {
				plan.cap = plan.cap ? plan.cap * 2 : 8;
				plan.ops = xreallocarray(plan.ops, plan.cap, sizeof(*plan.ops));
			}
			memset(&plan.ops[plan.n], 0, sizeof(plan.ops[plan.n]));
			plan.ops[plan.n].type = RC_DEL_SVC;
			plan.ops[plan.n].why = RC_WHY_GONE;
			plan.ops[plan.n].svc = dp->owned[i];
			plan.n++;
		}
		err = xcalloc(plan.n ? plan.n : 1, sizeof(*err));
		r = plan.n > 0 ? ipvs_apply(dp->h, plan.ops, plan.n, err) : 0;
		for (i = 0; i < plan.n; i++) {
			char buf[512];

			if (err[i] == 0) {
				n++;
				continue;
			}
			log_warnx(
			    "ipvs: %s", ipvs_op_strerror(&plan.ops[i], err[i], buf, sizeof(buf)));
		}
		if (r < 0)
			log_warnc(r, "ipvs: flush_on_exit");
		log_notice("ipvs: flush_on_exit: removed %zu of %zu services", n, plan.n);
		if (r >= 0 && n == plan.n)
			state_save(dp, NULL, 0);
		free(err);
		rc_plan_clear(&plan);
	} else if (dp->h != NULL && dp->nowned > 0) {
		for (i = 0; i < dp->nowned; i++)
			if (rc_table_find(&dp->applied, &dp->owned[i]) != NULL)
				n++;
		log_info("ipvs: leaving %zu service%s in the kernel (flush_on_exit is off): "
			 "a restart adopts them without a change",
		    n, n == 1 ? "" : "s");
	}
	ipvs_close(dp->h);
	rc_table_clear(&dp->applied);
	rc_table_clear(&dp->pass_desired);
	rc_plan_clear(&dp->pass_plan);
	free(dp->owned);
	free(dp->saved);
	free(dp->state_path);
	free_holds(dp);
	free_guards(dp);
	free(dp->oplog);
	traffic_free(dp->traffic);
	drift_flush(dp, false);
	free(dp->drift);
	for (i = 0; i < dp->nwatch; i++)
		free(dp->watch[i].pool);
	free(dp->watch);
	free(dp);
}

static void
deferred_cb(void *arg)
{
	reconcile(arg, false);
}

static void
dp_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	reconcile(w->data, true);
}

static void
retry_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	reconcile(w->data, false);
}

/*
 * A plan failed in part: reconcile again soon (from a fresh dump), 250 ms
 * after the first failure and twice as long after each further one, up to
 * RETRY_MAX_MS - whether or not the repair timer runs.  Kernel refusals are
 * often transient (ENOMEM, a scheduler module being loaded); a refusal that
 * persists costs one attempt every 8 s.
 */
static void
retry_schedule(struct dataplane *dp)
{
	struct ev_loop *l = loop_ev();

	if (l == NULL)
		return;
	dp->retry_ms = dp->retry_ms == 0 ? RETRY_FIRST_MS :
	    dp->retry_ms >= RETRY_MAX_MS / 2 ? RETRY_MAX_MS : dp->retry_ms * 2;
	ev_timer_stop(l, &dp->retry);
	ev_timer_set(&dp->retry, dp->retry_ms / 1000., 0.);
	ev_timer_start(l, &dp->retry);
	log_info("ipvs: retrying the failed operations in %d ms", dp->retry_ms);
}

static void
retry_reset(struct dataplane *dp)
{
	if (dp->retry_ms == 0)
		return;
	dp->retry_ms = 0;
	if (loop_ev() != NULL)
		ev_timer_stop(loop_ev(), &dp->retry);
}

/* Run the repair timer at the configured period; while IPVS is missing,
 * at least every RETRY_MS to look for it again. */
static void
arm_timer(struct dataplane *dp, bool unavailable)
{
	const struct config *c = dp->conf;
	struct ev_loop *l = loop_ev();
	double s = 0;

	if (l == NULL)
		return;
	if (c != NULL && c->ipvs.reconcile_interval_ms > 0)
		s = c->ipvs.reconcile_interval_ms / 1000.;
	if (unavailable && (s == 0 || s > RETRY_MS / 1000.))
		s = RETRY_MS / 1000.;
	if (s == dp->timer_s && (s == 0 || ev_is_active(&dp->timer)))
		return;
	ev_timer_stop(l, &dp->timer);
	dp->timer_s = s;
	if (s > 0) {
		ev_timer_set(&dp->timer, s, s);
		ev_timer_start(l, &dp->timer);
	}
}

/* ============================================================ IPVS handle */

static void
ipvs_say(struct dataplane *dp, bool available)
{
	if (dp->ipvs_said == (int)available)
		return;
	dp->ipvs_said = available;
	if (dp->hooks.ipvs_state != NULL)
		dp->hooks.ipvs_state(dp->hooks.arg, available);
}

static bool
ensure_ipvs(struct dataplane *dp)
{
	char why[256];
	unsigned version = 0, tab = 0;
	int r;

	if (dp->h != NULL)
		return true;
	r = ipvs_open(&dp->h, why, sizeof(why));
	if (r < 0) {
		ipvs_say(dp, false);
		if (!dp->unavailable)
			log_warnx("ipvs: IPVS is not available: %s (is the ip_vs module loaded?); "
				  "retrying every %d s, everything else keeps running",
			    why,
			    dp->conf && dp->conf->ipvs.reconcile_interval_ms > 0 &&
				    dp->conf->ipvs.reconcile_interval_ms < RETRY_MS
				? dp->conf->ipvs.reconcile_interval_ms / 1000
				: RETRY_MS / 1000);
		dp->unavailable = true;
		arm_timer(dp, true);
		return false;
	}
	r = ipvs_info(dp->h, &version, &tab);
	if (r < 0)
		log_warnc(r, "ipvs: cannot read the kernel's IPVS version");
	if (dp->unavailable)
		log_notice("ipvs: IPVS is available now (kernel IPVS %u.%u.%u, connection table "
			   "%u)",
		    version >> 16, (version >> 8) & 0xff, version & 0xff, tab);
	else
		log_info("ipvs: kernel IPVS %u.%u.%u, connection table %u", version >> 16,
		    (version >> 8) & 0xff, version & 0xff, tab);
	dp->unavailable = false;
	dp->applied_valid = false;
	dp->ctr = *ipvs_counters(dp->h);
	arm_timer(dp, false);
	ipvs_say(dp, true);
	return true;
}

/* The socket or the family failed: start over with a fresh handle and a
 * fresh dump at the next reconcile. */
static void
drop_ipvs(struct dataplane *dp, int err, const char *what)
{
	log_warnc(err, "ipvs: %s failed; re-reading the table at the next reconcile", what);
	ipvs_close(dp->h);
	dp->h = NULL;
	dp->applied_valid = false;
}

/* ============================================================ desired state */

static bool
served(const struct config *c, const struct vip *v)
{
	return vip_served(c, v, c->router.name);
}

/*
 * The members of pool `p` as the dataplane sees them now.  This is the one
 * place that enumerates a pool's servers (pool servers = static servers
 * and endpoint-file servers alike: endpoints.c keeps the latter in the
 * running configuration as `dynamic` servers): weight, thresholds
 * and drain from the configuration, "up" from the health table.
 */
static size_t
pool_members(void *arg, const struct pool *p, struct rc_member **out)
{
	struct dataplane *dp = arg;
	struct rc_member *m;
	size_t i;

	m = xcalloc(p->nservers ? p->nservers : 1, sizeof(*m));
	for (i = 0; i < p->nservers; i++)
		member_fill(dp, p, &p->servers[i], &m[i], false, NULL);
	*out = m;
	return p->nservers;
}

static void
member_fill(struct dataplane *dp, const struct pool *p, const struct server *s,
    struct rc_member *m, bool peek, bool *held)
{
	m->addr = s->addr;
	if (m->addr.port == 0)
		m->addr.port = (uint16_t)p->port; /* 0: each service's port */
	m->weight = s->weight;
	m->upper_threshold = s->upper_threshold;
	m->lower_threshold = s->lower_threshold;
	/* drained in the configuration, by ipvs-routerctl, or (an endpoint
	 * removed from its file) for its drain grace */
	m->drain = s->drain || dp->hooks.drained(dp->hooks.arg, p->name, &m->addr);
	m->up = member_up_x(dp, p, &m->addr, peek, held);
}

static int
hold_cmp(const void *a, const void *b)
{
	const struct hold *x = a, *y = b;
	int r = strcmp(x->pool, y->pool);

	return r != 0 ? r : sockaddr_x_cmp_addr(&x->addr, &y->addr);
}

/*
 * Up for the dataplane: up in the health table, or adopted at start with
 * a weight and still without a health verdict.  A restarted daemon's
 * servers start "down" until `rise` good checks; without the hold a restart
 * would take every adopted server out of rotation for that long.
 */
/* `peek`: change nothing (explain); *held: up by the hold only. */
static bool
member_up_x(struct dataplane *dp, const struct pool *p, const struct sockaddr_x *addr, bool peek,
    bool *held)
{
	struct hold key, *h;
	bool up = dp->hooks.server_up(dp->hooks.arg, p->name, addr);

	if (held != NULL)
		*held = false;
	if (dp->nholds == 0)
		return up;
	key.pool = p->name;
	key.addr = *addr;
	h = bsearch(&key, dp->holds, dp->nholds, sizeof(*dp->holds), hold_cmp);
	if (h == NULL || h->released)
		return up;
	if (up || dp->hooks.server_settled(dp->hooks.arg, p->name, addr)) {
		if (!peek)
			h->released = true;
		return up;
	}
	if (!peek)
		dp->nheld++;
	if (held != NULL)
		*held = true;
	return true;
}

/* At adoption: every desired destination the kernel already serves with a
 * weight keeps it until its health check has spoken. */
static void
make_holds(struct dataplane *dp, const struct rc_table *desired)
{
	const struct rc_svc *want, *have;
	size_t i, j, cap = 0, k;

	free_holds(dp);
	for (i = 0; i < desired->n; i++) {
		want = &desired->svcs[i];
		have = rc_table_find(&dp->applied, &want->conf);
		if (have == NULL || want->pool == NULL)
			continue;
		for (j = 0; j < have->ndests; j++) {
			if (have->dests[j].weight <= 0)
				continue;
			if (dp->nholds == cap) {
				cap = cap ? cap * 2 : 64;
				dp->holds = xreallocarray(dp->holds, cap, sizeof(*dp->holds));
			}
			dp->holds[dp->nholds].pool = xstrdup(want->pool);
			dp->holds[dp->nholds].addr = have->dests[j].addr;
			dp->holds[dp->nholds].released = false;
			dp->nholds++;
		}
	}
	if (dp->nholds > 1)
		qsort(dp->holds, dp->nholds, sizeof(*dp->holds), hold_cmp);
	for (i = 1, k = dp->nholds ? 1 : 0; i < dp->nholds; i++) {
		if (hold_cmp(&dp->holds[k - 1], &dp->holds[i]) == 0) {
			free(dp->holds[i].pool);
			continue;
		}
		dp->holds[k++] = dp->holds[i];
	}
	dp->nholds = k;
}

static void
free_holds(struct dataplane *dp)
{
	size_t i;

	for (i = 0; i < dp->nholds; i++)
		free(dp->holds[i].pool);
	free(dp->holds);
	dp->holds = NULL;
	dp->nholds = 0;
}

/* One line per pool whose min_servers guard starts or stops holding. */
static void
guard_report(struct dataplane *dp, const struct rc_pool_state *ps, size_t n)
{
	struct guard *g;
	char list[3 * SOCKADDR_X_STRLEN + 16], a[SOCKADDR_X_STRLEN];
	size_t i, j, k, off;

	/* forget pools no longer in use */
	for (j = 0, k = 0; j < dp->nguards; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(dp->guards[j].pool, ps[i].pool->name) == 0)
				break;
		if (i == n) {
			free(dp->guards[j].pool);
			continue;
		}
		dp->guards[k++] = dp->guards[j];
	}
	dp->nguards = k;

	for (i = 0; i < n; i++) {
		for (j = 0; j < dp->nguards; j++)
			if (strcmp(dp->guards[j].pool, ps[i].pool->name) == 0)
				break;
		if (j == dp->nguards) {
			dp->guards =
			    xreallocarray(dp->guards, dp->nguards + 1, sizeof(*dp->guards));
			dp->guards[j].pool = xstrdup(ps[i].pool->name);
			dp->guards[j].active = false;
			dp->nguards++;
		}
		g = &dp->guards[j];
		if (ps[i].kept > 0 && !g->active) {
			off = 0;
			list[0] = '\0';
			for (k = 0; k < ps[i].kept && k < RC_KEPT_SHOWN; k++)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
				    k ? " " : "",
				    sockaddr_x_fmt(&ps[i].kept_addr[k], a, sizeof(a)));
			if (ps[i].kept > RC_KEPT_SHOWN)
				snprintf(list + off, sizeof(list) - off, " ...");
			log_pool(LOG_NOTICE, ps[i].pool->name,
			    "%zu of %zu servers can take traffic, fewer than min_servers %d: "
			    "keeping %zu failed server%s in (fail open): %s",
			    ps[i].live, ps[i].members, ps[i].pool->min_servers, ps[i].kept,
			    ps[i].kept == 1 ? "" : "s", list);
			g->active = true;
		} else if (ps[i].kept == 0 && g->active) {
			log_pool(LOG_NOTICE, ps[i].pool->name,
			    "%zu of %zu servers can take traffic, min_servers %d met: failed "
			    "servers out again",
			    ps[i].live, ps[i].members, ps[i].pool->min_servers);
			g->active = false;
		}
	}
}

static void
free_guards(struct dataplane *dp)
{
	size_t i;

	for (i = 0; i < dp->nguards; i++)
		free(dp->guards[i].pool);
	free(dp->guards);
	dp->guards = NULL;
	dp->nguards = 0;
}

/* ============================================================ drift */

static void
drift_add(struct dataplane *dp, char *line)
{
	if (dp->ndrift == dp->capdrift) {
		dp->capdrift = dp->capdrift ? dp->capdrift * 2 : 8;
		dp->drift = xreallocarray(dp->drift, dp->capdrift, sizeof(*dp->drift));
	}
	dp->drift[dp->ndrift++] = line;
}

static int
dest_cmp_void(const void *a, const void *b)
{
	return rc_dest_cmp(a, b);
}

/*
 * What changed in the kernel behind our back, on the services we manage:
 * the plan from the fresh dump back to our view, in words.
 */
static void
drift_collect(struct dataplane *dp, const struct rc_table *fresh)
{
	struct rc_table expect;
	struct rc_plan p;
	const struct rc_opts opts = {false, false};
	char s[80], a[SOCKADDR_X_STRLEN], x[160];
	size_t i, j, lines = 0, more = 0, ndest;
	const struct rc_op *op;

	rc_table_init(&expect);
	for (i = 0; i < dp->nowned; i++) {
		const struct rc_svc *have = rc_table_find(&dp->applied, &dp->owned[i]);
		struct rc_svc *e;

		if (have == NULL)
			continue;
		e = rc_table_add(&expect, &have->conf);
		for (j = 0; j < have->ndests; j++)
			rc_svc_add_dest(e, &have->dests[j]);
		/* rc_plan walks desired destinations in rc_dest_cmp order */
		if (e->ndests > 1)
			qsort(e->dests, e->ndests, sizeof(*e->dests), dest_cmp_void);
	}
	(void)rc_table_sort(&expect, NULL);
	rc_plan_init(&p);
	rc_plan(&expect, fresh, NULL, 0, &opts, &p);
	for (i = 0; i < p.n; i++) {
		op = &p.ops[i];
		if (op->type == RC_ADD_DEST) {
			/* counted in the line of a missing service */
			for (j = 0; j < p.n; j++)
				if (p.ops[j].type == RC_ADD_SVC &&
				    rc_svc_key_cmp(&p.ops[j].svc, &op->svc) == 0)
					break;
			if (j < p.n)
				continue;
		}
		if (lines >= DRIFT_LINES_MAX) {
			more++;
			continue;
		}
		lines++;
		rc_svc_fmt(&op->svc, s, sizeof(s));
		sockaddr_x_fmt(&op->dest.addr, a, sizeof(a));
		switch (op->type) {
		case RC_ADD_SVC:
			ndest = rc_table_find(&expect, &op->svc)->ndests;
			drift_add(
			    dp, xasprintf("service %s was missing (with its %zu destination%s)", s,
				    ndest, ndest == 1 ? "" : "s"));
			break;
		case RC_EDIT_SVC:
			drift_add(
			    dp, xasprintf("service %s had scheduler %s, flags 0x%x, timeout %us "
					  "(expected %s, 0x%x, %us)",
				    s, op->old_svc.sched, op->old_svc.flags, op->old_svc.timeout_s,
				    op->svc.sched, op->svc.flags, op->svc.timeout_s));
			break;
		case RC_ADD_DEST:
			drift_add(dp, xasprintf("destination %s of %s was missing", a, s));
			break;
		case RC_EDIT_DEST:
			snprintf(
			    x, sizeof(x), "weight %d, %s", op->old.weight, rc_fwd_str(op->old.fwd));
			drift_add(
			    dp, xasprintf("destination %s of %s had %s (expected weight %d, %s)", a,
				    s, x, op->dest.weight, rc_fwd_str(op->dest.fwd)));
			break;
		case RC_DEL_DEST:
			drift_add(dp, xasprintf("destination %s of %s was not ours", a, s));
			break;
		default:
			lines--;
			break;
		}
	}
	if (more > 0)
		drift_add(dp, xasprintf("%zu more difference%s", more, more == 1 ? "" : "s"));
	rc_plan_clear(&p);
	rc_table_clear(&expect);
}

static void
drift_flush(struct dataplane *dp, bool repaired)
{
	size_t i;

	for (i = 0; i < dp->ndrift; i++) {
		if (repaired)
			log_notice("ipvs: repaired drift: %s", dp->drift[i]);
		else
			log_warnx("ipvs: drift not (fully) repaired: %s", dp->drift[i]);
		free(dp->drift[i]);
	}
	dp->ndrift = 0;
}

/* ============================================================ reconcile */

static void
apply_sysctls(struct dataplane *dp, const struct config *c)
{
	static const char *const names[2] = {"sloppy_tcp", "sloppy_sctp"};
	bool want[2] = {c->ipvs.sloppy_tcp == 1, c->ipvs.sloppy_sctp == 1};
	int i, r, v;

	for (i = 0; i < 2; i++) {
		/* we set what the configuration asks for, and undo only what we set */
		if (want[i] ? dp->sloppy_set[i] == 1 : dp->sloppy_set[i] != 1)
			continue;
		v = want[i] ? 1 : 0;
		r = ipvs_sysctl_set(names[i], v);
		if (r < 0) {
			log_warnc(r, "ipvs: cannot set net.ipv4.vs.%s = %d", names[i], v);
			continue;
		}
		log_info("ipvs: net.ipv4.vs.%s = %d", names[i], v);
		dp->sloppy_set[i] = v;
	}
}

static void
update_owned(struct dataplane *dp, const struct rc_table *desired)
{
	struct rc_svc_conf *o;
	size_t i, n = 0;

	o = xreallocarray(NULL, desired->n + dp->nowned + 1, sizeof(*o));
	for (i = 0; i < desired->n; i++)
		o[n++] = desired->svcs[i].conf;
	/* a retired service stays ours until it is gone from the kernel */
	for (i = 0; i < dp->nowned; i++)
		if (rc_table_find(desired, &dp->owned[i]) == NULL &&
		    rc_table_find(&dp->applied, &dp->owned[i]) != NULL)
			o[n++] = dp->owned[i];
	free(dp->owned);
	dp->owned = o;
	dp->nowned = n;
	traffic_services(dp->traffic, dp->owned, dp->nowned);
	state_save(dp, dp->owned, dp->nowned);
}

/* ============================================================ owned services across restarts */

static int
key_qcmp(const void *a, const void *b)
{
	return rc_svc_key_cmp(a, b);
}

/*
 * Read the services an earlier run managed.  A missing file is an empty
 * set (first start); a line that does not parse is skipped with a warning.
 */
static int
state_load(struct dataplane *dp)
{
	FILE *f;
	char line[256], fam[8], proto[8], addr[INET6_ADDRSTRLEN + 1];
	struct rc_svc_conf k;
	unsigned port, mark;
	size_t lines = 0, cap = 0;
	int r = 0, af;

	f = fopen(dp->state_path, "re");
	if (f == NULL) {
		r = -errno;
		dp->saved_known = r == -ENOENT;
		if (r != -ENOENT)
			log_warnc(r, "ipvs: cannot read %s: services removed from the "
				     "configuration while the daemon was down are not retired",
			    dp->state_path);
		return r;
	}
	if (fgets(line, sizeof(line), f) == NULL || strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
		log_warnx("ipvs: %s: not a state file of this version, ignored", dp->state_path);
		fclose(f);
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f) != NULL && ++lines < STATE_LINES_MAX) {
		memset(&k, 0, sizeof(k));
		if (sscanf(line, "%7s %7s %46s %u %u", fam, proto, addr, &port, &mark) != 5 ||
		    (strcmp(fam, "inet") != 0 && strcmp(fam, "inet6") != 0) || port > 65535) {
			log_warnx("ipvs: %s:%zu: not understood, skipped", dp->state_path, lines + 1);
			continue;
		}
		af = strcmp(fam, "inet6") == 0 ? AF_INET6 : AF_INET;
		k.af = af;
		k.fwmark = mark;
		if (mark == 0) {
			k.protocol = strcmp(proto, "tcp") == 0 ? IPPROTO_TCP :
			    strcmp(proto, "udp") == 0	      ? IPPROTO_UDP :
			    strcmp(proto, "sctp") == 0	      ? IPPROTO_SCTP : 0;
			k.addr.af = af;
			k.addr.port = (uint16_t)port;
			if (k.protocol == 0 ||
			    inet_pton(af, addr, af == AF_INET6 ? (void *)&k.addr.a.v6 :
								 (void *)&k.addr.a.v4) != 1) {
				log_warnx("ipvs: %s:%zu: not understood, skipped", dp->state_path,
				    lines + 1);
				continue;
			}
		}
		if (dp->nsaved == cap) {
			cap = cap ? cap * 2 : 16;
			dp->saved = xreallocarray(dp->saved, cap, sizeof(*dp->saved));
		}
		dp->saved[dp->nsaved++] = k;
	}
	fclose(f);
	if (dp->nsaved > 1)
		qsort(dp->saved, dp->nsaved, sizeof(*dp->saved), key_qcmp);
	dp->saved_known = true;
	return 0;
}

/*
 * At the start-up adoption: a service an earlier run managed that the
 * configuration no longer declares (its VIP was removed while the daemon
 * was down) is ours to retire, if the kernel still has it.
 */
static void
state_adopt(struct dataplane *dp, const struct rc_table *desired)
{
	char sv[80];
	size_t i, j;

	for (i = 0; i < dp->nsaved; i++) {
		if (rc_table_find(desired, &dp->saved[i]) != NULL ||
		    rc_table_find(&dp->applied, &dp->saved[i]) == NULL)
			continue;
		for (j = 0; j < dp->nowned; j++)
			if (rc_svc_key_cmp(&dp->owned[j], &dp->saved[i]) == 0)
				break;
		if (j < dp->nowned)
			continue;
		log_notice("ipvs: service %s was managed here before the restart and is no "
			   "longer configured: retiring it",
		    rc_svc_fmt(&dp->saved[i], sv, sizeof(sv)));
		dp->owned = xreallocarray(dp->owned, dp->nowned + 1, sizeof(*dp->owned));
		dp->owned[dp->nowned++] = dp->saved[i];
	}
}

/*
 * Keep `keys` (the services we manage) in the state file, when they differ
 * from what it holds (file_replace: a crash leaves the old set or the new).
 */
static void
state_save(struct dataplane *dp, const struct rc_svc_conf *keys, size_t n)
{
	struct rc_svc_conf *k;
	struct tbuf t;
	char a[INET6_ADDRSTRLEN];
	size_t i;
	int r;

	k = xreallocarray(NULL, n ? n : 1, sizeof(*k));
	for (i = 0; i < n; i++) {
		memset(&k[i], 0, sizeof(k[i]));
		k[i].af = keys[i].af;
		k[i].protocol = keys[i].protocol;
		k[i].addr = keys[i].addr;
		k[i].fwmark = keys[i].fwmark;
	}
	if (n > 1)
		qsort(k, n, sizeof(*k), key_qcmp);
	if (dp->saved_known && n == dp->nsaved) {
		for (i = 0; i < n && rc_svc_key_cmp(&k[i], &dp->saved[i]) == 0; i++)
			;
		if (i == n) {
			free(k);
			return; /* unchanged */
		}
	}
	tbuf_init(&t);
	tbuf_printf(&t, "%s\n", STATE_MAGIC);
	for (i = 0; i < n; i++) {
		if (k[i].fwmark != 0) {
			tbuf_printf(&t, "%s - - 0 %u\n", k[i].af == AF_INET6 ? "inet6" : "inet",
			    k[i].fwmark);
			continue;
		}
		inet_ntop(k[i].af, k[i].af == AF_INET6 ? (const void *)&k[i].addr.a.v6 :
							 (const void *)&k[i].addr.a.v4,
		    a, sizeof(a));
		tbuf_printf(&t, "%s %s %s %u 0\n", k[i].af == AF_INET6 ? "inet6" : "inet",
		    k[i].protocol == IPPROTO_UDP ? "udp" :
		    k[i].protocol == IPPROTO_SCTP ? "sctp" : "tcp",
		    a, k[i].addr.port);
	}
	r = file_replace(dp->state_path, t.s, t.len);
	tbuf_free(&t);
	if (r == 0) {
		free(dp->saved);
		dp->saved = k;
		dp->nsaved = n;
		dp->saved_known = true;
		dp->state_err = 0;
		return;
	}
	if (r != dp->state_err) {
		/* once per kind of error: the set is written again on every change */
		if (r == -ENOENT)
			log_info("ipvs: no state directory for %s: services removed from the "
				 "configuration while the daemon is down will not be retired",
			    dp->state_path);
		else
			log_warnc(r, "ipvs: cannot write %s: services removed from the "
				     "configuration while the daemon is down will not be retired",
			    dp->state_path);
		dp->state_err = r;
	}
	free(k);
}

/*
 * Send a plan phase by phase, with a barrier between phases (each phase is
 * one ipvs_apply: it returns once the kernel has answered every request of
 * it).  Before a phase goes out, the operations that must not follow a
 * failure are held back (rc_plan_hold_back): err[i] = -EAGAIN, not sent.
 * done_us[i]: when the phase of ops[i] was answered (mono_us; 0 not sent).
 * Returns what ipvs_apply returned last when the socket failed (negative;
 * the rest is then -ECANCELED), else 0.  Runs on the job's thread: it
 * touches nothing but its arguments.
 */
static int
run_phases(struct ipvs *h, const struct rc_op *ops, size_t n, int *err, size_t *held,
    int64_t *done_us)
{
	int64_t t;
	struct rc_op *sub;
	bool *hold;
	int *suberr, r = 0;
	size_t a, b, i, k, m;

	*held = 0;
	for (i = 0; i < n; i++) {
		err[i] = -ECANCELED;
		done_us[i] = 0;
	}
	sub = xreallocarray(NULL, n ? n : 1, sizeof(*sub));
	suberr = xcalloc(n ? n : 1, sizeof(*suberr));
	hold = xcalloc(n ? n : 1, sizeof(*hold));
	for (a = 0; a < n; a = b) {
		b = rc_plan_phase_end(ops, n, a);
		*held += rc_plan_hold_back(ops, err, a, b, hold);
		for (i = a, m = 0; i < b; i++)
			if (!hold[i - a])
				sub[m++] = ops[i];
		r = m > 0 ? ipvs_apply(h, sub, m, suberr) : 0;
		t = mono_us();
		for (i = a, k = 0; i < b; i++) {
			err[i] = hold[i - a] ? -EAGAIN : suberr[k++];
			done_us[i] = hold[i - a] ? 0 : t;
		}
		if (r < 0)
			break;
		r = 0;
	}
	free(sub);
	free(suberr);
	free(hold);
	return r;
}

/* ============================================================ kernel IO off the loop */

/*
 * Start the pass's next kernel IO step: a dump (dump) or ops[0, n) in
 * phases.  Its outcome comes back through job_done on the loop.  When no
 * thread can be started the step runs here, on the loop, as it did before
 * it had a thread: slower for the adverts, but the table is kept.
 */
static int
job_start(struct dataplane *dp, bool dump, const struct rc_op *ops, size_t n)
{
	struct dp_job *j = xcalloc(1, sizeof(*j));
	int r;

	j->dp = dp;
	j->h = dp->h;
	j->dump = dump;
	j->ops = ops;
	j->n = n;
	rc_table_init(&j->fresh);
	j->err = dump ? NULL : xcalloc(n ? n : 1, sizeof(*j->err));
	j->done_us = dump ? NULL : xcalloc(n ? n : 1, sizeof(*j->done_us));
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	dp->job = j;
	r = loop_work(job_work, job_done, j);
	if (r < 0) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);

		if (log_ratelimit_ok(&rl))
			log_warnc(r, "ipvs: cannot start a thread for the kernel's table; "
				     "working on the loop");
		job_work(j);
		job_done(j, false);
	}
	return 0;
}

/* On the job's thread. */
static void
job_work(void *arg)
{
	struct dp_job *j = arg;

	/* the loop must win the CPU over this thread (loop.h, thread_below_loop) */
	thread_below_loop();

	if (j->dump)
		j->r = ipvs_dump(j->h, &j->fresh);
	else
		j->r = run_phases(j->h, j->ops, j->n, j->err, &j->held, j->done_us);
	j->ctr = *ipvs_counters(j->h);
	pthread_mutex_lock(&j->mu);
	j->finished = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* dataplane_fini: until the thread is done with the handle and the plan. */
static void
job_wait(struct dp_job *j)
{
	pthread_mutex_lock(&j->mu);
	while (!j->finished)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

static void
job_free(struct dp_job *j)
{
	if (j == NULL)
		return;
	rc_table_clear(&j->fresh);
	free(j->err);
	free(j->done_us);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

/* On the loop: the step is back. */
static void
job_done(void *arg, bool cancelled)
{
	struct dp_job *j = arg;
	struct dataplane *dp = j->dp;

	if (dp == NULL) {
		job_free(j); /* let go of by dataplane_fini */
		return;
	}
	dp->job = NULL;
	dp->ctr = j->ctr;
	if (cancelled) {
		/* loop_fini before dataplane_fini: apply nothing */
		dp->applied_valid = false;
		dp->rerun = false;
		pass_end(dp);
	} else if (j->dump) {
		dump_done(dp, j);
	} else {
		apply_done(dp, j);
	}
	job_free(j);
}

/* Count the operations of a plan on the services of the pools watched. */
static void
watch_count(struct dataplane *dp, const struct rc_plan *plan, const struct rc_table *desired,
    const int *err, const int64_t *done_us)
{
	const struct rc_svc *svc;
	size_t i, k;

	if (dp->nwatch == 0 || desired == NULL)
		return;
	for (i = 0; i < plan->n; i++) {
		svc = rc_table_find(desired, &plan->ops[i].svc);
		if (svc == NULL || svc->pool == NULL)
			continue; /* a service retired: no pool's */
		for (k = 0; k < dp->nwatch; k++) {
			struct pool_watch *w = &dp->watch[k];

			if (!w->armed || strcmp(w->pool, svc->pool) != 0)
				continue;
			w->nops++;
			if (err[i] != 0)
				w->failed = true;
			else if (done_us[i] > w->ack_us)
				w->ack_us = done_us[i];
		}
	}
}

/* After a pass: the watched pools whose change was in its plan and whose
 * operations all went through are applied; those with a failure wait for
 * the retry, those asked for after the plan was made for the next pass. */
static void
watch_report(struct dataplane *dp)
{
	struct pool_watch *v = dp->watch;
	size_t i, j, n = dp->nwatch;

	if (n == 0)
		return;
	/* detached first: the hook may ask for another pool */
	dp->watch = NULL;
	dp->nwatch = 0;
	for (i = 0, j = 0; i < n; i++) {
		if (v[i].failed || !v[i].armed) {
			v[i].failed = false;
			v[j++] = v[i];
			continue;
		}
		if (dp->hooks.pool_applied != NULL)
			dp->hooks.pool_applied(dp->hooks.arg, v[i].pool, v[i].nops,
			    v[i].ack_us ? v[i].ack_us : mono_us());
		free(v[i].pool);
	}
	/* kept ones first, then any asked for meanwhile (those count afresh) */
	for (i = 0; i < dp->nwatch; i++) {
		size_t k;

		for (k = 0; k < j && strcmp(v[k].pool, dp->watch[i].pool) != 0; k++)
			;
		if (k < j) {
			free(dp->watch[i].pool);
			continue;
		}
		v = xreallocarray(v, j + 1, sizeof(*v));
		v[j++] = dp->watch[i];
	}
	free(dp->watch);
	if (j == 0) {
		free(v);
		v = NULL;
	}
	dp->watch = v;
	dp->nwatch = j;
}

/* ============================================================ the pass */

/*
 * A reconcile: `full` re-reads the kernel's table first (the repair timer).
 * While a pass is in flight this only asks for one more after it.
 */
static void
reconcile(struct dataplane *dp, bool full)
{
	size_t i;

	if (dp->busy) {
		dp->rerun = true;
		dp->rerun_full |= full;
		return;
	}
	if (dp->conf == NULL)
		return;
	if (!ensure_ipvs(dp)) {
		/* no table to fill: a watched pool is as applied as it will get */
		for (i = 0; i < dp->nwatch; i++)
			dp->watch[i].armed = true;
		watch_report(dp);
		return;
	}
	apply_sysctls(dp, dp->conf);
	dp->busy = true;
	dp->pass_full = full;
	dp->pass_recreating = false;
	dp->pass_ok = true;
	dp->pass_t0 = mono_us();
	if (full || !dp->applied_valid)
		(void)job_start(dp, true, NULL, 0);
	else
		plan_stage(dp);
}

static void
rerun_cb(void *arg)
{
	struct dataplane *dp = arg;
	bool full = dp->rerun_full;

	dp->rerun = dp->rerun_full = false;
	reconcile(dp, full);
}

static void
dump_done(struct dataplane *dp, struct dp_job *j)
{
	if (j->r < 0) {
		drop_ipvs(dp, j->r, "reading the IPVS table");
		pass_end(dp);
		return;
	}
	if (dp->applied_valid && dp->adopted)
		drift_collect(dp, &j->fresh);
	rc_table_clear(&dp->applied);
	dp->applied = j->fresh;
	dp->applied_gen++;
	rc_table_init(&j->fresh);
	dp->applied_valid = true;
	plan_stage(dp);
}

/* On the loop, with the applied view valid: build, plan, and send the plan off. */
static void
plan_stage(struct dataplane *dp)
{
	const struct config *c = dp->conf;
	struct rc_table *desired = &dp->pass_desired;
	struct rc_pool_state *ps = NULL;
	struct rc_svc_conf *retire = NULL;
	struct rc_opts opts;
	const char *dup = NULL;
	size_t nps = 0, nretire = 0, i, nadopt = 0, ndadopt = 0;
	bool first;
	int r;

	/* every change so far is in this plan: only later ones need another pass */
	if (!dp->rerun_full)
		dp->rerun = false;
	for (i = 0; i < dp->nwatch; i++)
		dp->watch[i].armed = true;
	first = !dp->adopted;
	if (first) {
		/* adoption: what the kernel serves keeps serving until health speaks */
		rc_desired_build(c, c->router.name, pool_members, dp, desired, NULL, NULL, NULL);
		make_holds(dp, desired);
		rc_table_clear(desired);
	}
	dp->nheld = 0;
	r = rc_desired_build(c, c->router.name, pool_members, dp, desired, &ps, &nps, &dup);
	if (r == -EEXIST && !dp->dup_warned && (dp->dup_warned = true))
		log_warnx("ipvs: %s declares a service another VIP already declares on this "
			  "router; ignoring the second one",
		    dup ? dup : "a vip");
	guard_report(dp, ps, nps);
	free(ps);

	if (first)
		state_adopt(dp, desired);
	retire = xreallocarray(NULL, dp->nowned + 1, sizeof(*retire));
	for (i = 0; i < dp->nowned; i++)
		if (rc_table_find(desired, &dp->owned[i]) == NULL)
			retire[nretire++] = dp->owned[i];

	opts.sched_none = dp->sched_none;
	opts.keep_order = true;
	rc_plan_clear(&dp->pass_plan);
	rc_plan(desired, &dp->applied, retire, nretire, &opts, &dp->pass_plan);
	free(retire);

	if (first) {
		for (i = 0; i < desired->n; i++) {
			const struct rc_svc *have =
			    rc_table_find(&dp->applied, &desired->svcs[i].conf);

			if (have != NULL) {
				nadopt++;
				ndadopt += have->ndests;
			}
		}
		log_notice("ipvs: adopted %zu of %zu services (%zu destinations) already in the "
			   "kernel; %zu operation%s to reach the configuration",
		    nadopt, desired->n, ndadopt, dp->pass_plan.n, dp->pass_plan.n == 1 ? "" : "s");
		if (dp->nheld > 0)
			log_info("ipvs: %zu adopted server%s not (yet) up keep their weight until "
				 "their first health verdict",
			    dp->nheld, dp->nheld == 1 ? "" : "s");
		dp->adopted = true;
	}

	if (dp->pass_plan.n > 0) {
		dp->step_t0 = dp->pass_t0;
		(void)job_start(dp, false, dp->pass_plan.ops, dp->pass_plan.n);
		return;
	}
	if (dp->pass_full)
		log_debug("ipvs: table checked: %zu services, %zu destinations, in sync (%.1fms)",
		    desired->n, rc_table_ndests(desired),
		    (double)(mono_us() - dp->pass_t0) / 1000.);
	finish(dp, true);
}

/* On the loop: the plan (or the recreate) is back from the kernel. */
static void
apply_done(struct dataplane *dp, struct dp_job *j)
{
	struct rc_plan again;
	bool ok;

	rc_plan_init(&again);
	watch_count(dp, &dp->pass_plan, &dp->pass_desired, j->err, j->done_us);
	/* a recreate's `desired` only names the services' pools (recreating is set) */
	ok = fold(dp, &dp->pass_plan, j->err, j->held, j->r, &dp->pass_desired, dp->step_t0,
	    dp->pass_recreating, &again);
	if (!dp->pass_recreating)
		dp->pass_ok = ok;
	if (again.n > 0 && dp->h != NULL) {
		/* the view is stale (applied_valid is false): the recreate is planned
		 * from the service as it is wanted, whatever the kernel holds */
		rc_plan_clear(&dp->pass_plan);
		dp->pass_plan = again;
		dp->pass_recreating = true;
		dp->step_t0 = mono_us();
		(void)job_start(dp, false, dp->pass_plan.ops, dp->pass_plan.n);
		return;
	}
	rc_plan_clear(&again);
	finish(dp, dp->pass_ok);
}

/*
 * Fold a plan's outcome into the view.  Returns true when every operation
 * succeeded.  A service whose late scheduler bind was refused as invalid
 * (mh over RC_MH_MAX_DESTS) would stay on the scheduler "none" and refuse
 * every connection: `again` gets the plan that deletes it and creates it
 * again with its scheduler bound first (unless `recreating` already).
 */
static bool
fold(struct dataplane *dp, const struct rc_plan *plan, const int *err, size_t held, int r,
    const struct rc_table *desired, int64_t t0_us, bool recreating, struct rc_plan *again)
{
	bool *ok, debug = log_get_level() >= LOG_DEBUG, none_refused = false;
	size_t i, failed = 0, mismatch;
	char buf[600], sum[256];
	int64_t now_ms = mono_ms();

	ok = xcalloc(plan->n ? plan->n : 1, sizeof(*ok));
	for (i = 0; i < plan->n; i++) {
		const struct rc_op *op = &plan->ops[i];

		ok[i] = err[i] == 0;
		if (err[i] != -EAGAIN && op->type >= RC_ADD_DEST)
			oplog_add(dp, op, err[i], now_ms);
		if (ok[i]) {
			if (debug)
				log_debug("ipvs: %s", rc_op_fmt(op, buf, sizeof(buf)));
			continue;
		}
		if (err[i] == -EAGAIN)
			continue; /* held back, counted apart */
		if (op->type == RC_ADD_SVC && err[i] == -ENOENT &&
		    strcmp(op->svc.sched, "none") == 0)
			none_refused = true;
		if (!recreating && op->type == RC_EDIT_SVC && err[i] == -EINVAL &&
		    strcmp(op->old_svc.sched, op->svc.sched) != 0 && desired != NULL &&
		    rc_table_find(desired, &op->svc) != NULL) {
			rc_svc_fmt(&op->svc, sum, sizeof(sum));
			log_warnx("ipvs: service %s: binding scheduler %s was refused, which leaves "
				  "it on no scheduler at all (every new connection refused): "
				  "deleting and creating it again with the scheduler bound first",
			    sum, op->svc.sched);
			rc_plan_recreate(rc_table_find(desired, &op->svc), again);
		}
		if (++failed <= ERROR_LINES_MAX)
			log_warnx("ipvs: %s", ipvs_op_strerror(op, err[i], buf, sizeof(buf)));
	}
	if (failed > ERROR_LINES_MAX)
		log_warnx("ipvs: %zu more operations failed", failed - ERROR_LINES_MAX);
	if (held > 0)
		log_warnx("ipvs: held back %zu operation%s lowering or removing destinations of "
			  "services whose additions failed (make before break): the old "
			  "destinations stay until the new ones are in",
		    held, held == 1 ? "" : "s");
	mismatch = rc_table_apply(&dp->applied, plan->ops, plan->n, ok);
	dp->applied_gen++;
	if (r < 0 || failed > 0 || held > 0 || mismatch > 0)
		dp->applied_valid = false; /* trust the kernel, not our guess */

	rc_plan_summary(plan, sum, sizeof(sum));
	if (failed == 0 && held == 0)
		log_info("ipvs: reconcile applied %zu operation%s (%s) in %.1fms", plan->n,
		    plan->n == 1 ? "" : "s", sum, (double)(mono_us() - t0_us) / 1000.);
	else
		log_warnx("ipvs: reconcile applied %zu of %zu operations (%s), %zu failed, %zu "
			  "held back, in %.1fms",
		    plan->n - failed - held, plan->n, sum, failed, held,
		    (double)(mono_us() - t0_us) / 1000.);
	if (none_refused) {
		log_notice("ipvs: this kernel has no scheduler \"none\": new services get their "
			   "scheduler at once (mh then rebuilds its table per destination)");
		dp->sched_none = false;
		dataplane_dirty(dp);
	}
	if (r < 0)
		drop_ipvs(dp, r, "applying the plan");
	free(ok);
	return failed == 0 && held == 0 && r >= 0;
}

/* On the loop: the pass is over. */
static void
finish(struct dataplane *dp, bool ok)
{
	size_t i;

	update_owned(dp, &dp->pass_desired);
	drift_flush(dp, ok);
	watch_report(dp);
	if (ok)
		retry_reset(dp);
	else
		retry_schedule(dp);
	if (dp->nholds > 0) {
		for (i = 0; i < dp->nholds && dp->holds[i].released; i++)
			;
		if (i == dp->nholds)
			free_holds(dp);
	}
	pass_end(dp);
}

/* Forget the pass; run the one asked for meanwhile. */
static void
pass_end(struct dataplane *dp)
{
	rc_plan_clear(&dp->pass_plan);
	rc_table_clear(&dp->pass_desired);
	dp->busy = false;
	dp->pass_recreating = false;
	if (dp->rerun)
		loop_defer(rerun_cb, dp);
}

/* The services of `desired` are ours, whatever becomes of them (dataplane_fini). */
static void
owned_merge(struct dataplane *dp, const struct rc_table *desired)
{
	size_t i, j;

	for (i = 0; i < desired->n; i++) {
		for (j = 0; j < dp->nowned; j++)
			if (rc_svc_key_cmp(&dp->owned[j], &desired->svcs[i].conf) == 0)
				break;
		if (j < dp->nowned)
			continue;
		dp->owned = xreallocarray(dp->owned, dp->nowned + 1, sizeof(*dp->owned));
		dp->owned[dp->nowned++] = desired->svcs[i].conf;
	}
}

/* ============================================================ config */

/* Settings the kernel acts on in a way an operator may not expect. */
static void
warn_config(const struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		if (!served(c, v))
			continue;
		for (j = 0; j < v->nservices; j++) {
			const struct service *s = &v->services[j];
			const char *sch = s->scheduler ? s->scheduler : "";
			char what[64];

			if (s->fwmark)
				snprintf(what, sizeof(what), "fwmark %u", s->fwmark);
			else
				snprintf(
				    what, sizeof(what), "%s/%d", proto_str(s->protocol), s->port);
			if ((strcmp(sch, "mh") == 0 || strcmp(sch, "sh") == 0) &&
			    !(s->sched_flags & SCHED_F_FALLBACK))
				log_warnx(
				    "vip %s service %s: scheduler %s without %s-fallback: new "
				    "connections that hash to a server at weight 0 (down or "
				    "drained) are refused, not sent to another server",
				    v->name, what, sch, sch);
			if (strcmp(sch, "mh") == 0 && s->pool != NULL &&
			    s->pool->nservers > RC_MH_MAX_DESTS)
				log_warnx(
				    "vip %s service %s: pool %s has %zu servers; the kernel's mh "
				    "table holds at most %d",
				    v->name, what, s->pool->name, s->pool->nservers,
				    RC_MH_MAX_DESTS);
		}
	}
}

void
dataplane_metrics(const struct dataplane *dp, struct tbuf *b)
{
	const struct ipvs_counters *ct;

	if (dp == NULL)
		return;
	metrics_family(b, "ipvsr_ipvs_available", METRIC_GAUGE,
	    "1 when the kernel's IPVS can be programmed.");
	metrics_sample(b, "ipvsr_ipvs_available", NULL, dp->h != NULL ? 1 : 0);
	if (dp->h == NULL)
		return;
	ct = &dp->ctr; /* the handle may be at work on the job's thread */
	metrics_family(b, "ipvsr_ipvs_operations_total", METRIC_COUNTER,
	    "IPVS add/edit/delete requests sent to the kernel.");
	metrics_sample_u64(b, "ipvsr_ipvs_operations_total", NULL, ct->writes);
	metrics_family(b, "ipvsr_ipvs_operation_errors_total", METRIC_COUNTER,
	    "IPVS requests the kernel refused.");
	metrics_sample_u64(b, "ipvsr_ipvs_operation_errors_total", NULL, ct->failed);
	metrics_family(b, "ipvsr_ipvs_dumps_total", METRIC_COUNTER, "IPVS table dumps.");
	metrics_sample_u64(b, "ipvsr_ipvs_dumps_total", NULL, ct->dumps);
}

bool
dataplane_metrics_dests(const struct dataplane *dp, struct tbuf *b, size_t *pos, size_t budget)
{
	size_t i, j, k = 0, left = budget;

	if (dp == NULL || dp->h == NULL || !dp->applied_valid)
		return true;
	if (*pos == 0)
		metrics_family(b, "ipvsr_ipvs_dest_connections", METRIC_GAUGE,
		    "Connections per IPVS destination as the kernel last reported them.");
	/* *pos counts destinations across services, in the table's order */
	for (i = 0; i < dp->applied.n; i++) {
		const struct rc_svc *sv = &dp->applied.svcs[i];
		char svc[80], dst[SOCKADDR_X_STRLEN];

		if (k + sv->ndests <= *pos) {
			k += sv->ndests;
			continue;
		}
		if (sv->conf.fwmark)
			snprintf(svc, sizeof(svc), "fwmark %u", sv->conf.fwmark);
		else
			sockaddr_x_fmt(&sv->conf.addr, svc, sizeof(svc));
		for (j = *pos - k; j < sv->ndests; j++) {
			const struct rc_dest *de = &sv->dests[j];

			if (left-- == 0)
				return false;
			sockaddr_x_fmt(&de->addr, dst, sizeof(dst));
			metrics_sample(b, "ipvsr_ipvs_dest_connections", (const char *[]){ "service",
			    svc, "dest", dst, "state", "active", NULL }, de->activeconns);
			metrics_sample(b, "ipvsr_ipvs_dest_connections", (const char *[]){ "service",
			    svc, "dest", dst, "state", "inactive", NULL }, de->inactconns);
			(*pos)++;
		}
		k += sv->ndests;
	}
	return true;
}

uint64_t
dataplane_generation(const struct dataplane *dp)
{
	return dp != NULL ? dp->applied_gen : 0;
}

/* ============================================================ explain */

static void
oplog_add(struct dataplane *dp, const struct rc_op *op, int err, int64_t now_ms)
{
	struct oprec *r;

	if (dp->oplog == NULL)
		dp->oplog = xcalloc(OPLOG_MAX, sizeof(*dp->oplog));
	r = &dp->oplog[dp->noplog++ % OPLOG_MAX];
	r->type = op->type;
	r->why = op->why;
	r->svc = op->svc;
	r->dest = op->dest;
	r->old = op->old;
	r->err = err;
	r->at_ms = now_ms;
}

/* The newest record of destination `addr` of service `svc`, or NULL. */
static const struct oprec *
oplog_find(const struct dataplane *dp, const struct rc_svc_conf *svc, const struct sockaddr_x *addr)
{
	size_t i, n = dp->noplog < OPLOG_MAX ? dp->noplog : OPLOG_MAX;

	for (i = 0; i < n; i++) {
		const struct oprec *r = &dp->oplog[(dp->noplog - 1 - i) % OPLOG_MAX];

		if (sockaddr_x_cmp(&r->dest.addr, addr) == 0 && rc_svc_key_cmp(&r->svc, svc) == 0)
			return r;
	}
	return NULL;
}

/* The kernel services of pool p's member `m` on this router, into out->svcs. */
static void
explain_svcs(const struct dataplane *dp, const struct pool *p, const struct rc_member *m,
    int want, int64_t now_ms, struct explain_dataplane *out)
{
	const struct config *c = dp->conf;
	struct rc_table t;
	size_t i, j, k;

	rc_table_init(&t);
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		if (!served(c, v))
			continue;
		for (j = 0; j < v->nservices; j++)
			if (v->services[j].pool == p)
				rc_build_service(&t, v, &v->services[j],
				    vip_service_addr(v, c->router.name), p, m,
				    (int[]){ want < 0 ? 0 : want }, 1);
	}
	for (i = 0; i < t.n; i++) {
		const struct rc_svc *want_svc = &t.svcs[i], *have;
		struct explain_svc *x;
		const struct oprec *r;
		struct rc_op op;

		if (want_svc->ndests == 0)
			continue;
		if (out->nsvcs == EXPLAIN_SVCS) {
			out->more_svcs++;
			continue;
		}
		x = &out->svcs[out->nsvcs++];
		snprintf(x->label, sizeof(x->label), "%s", want_svc->label ? want_svc->label : "");
		rc_svc_fmt(&want_svc->conf, x->svc, sizeof(x->svc));
		have = rc_table_find(&dp->applied, &want_svc->conf);
		for (k = 0; have != NULL && k < have->ndests; k++)
			if (sockaddr_x_cmp(&have->dests[k].addr, &want_svc->dests[0].addr) == 0) {
				x->present = true;
				x->weight = have->dests[k].weight;
				break;
			}
		if (dp->oplog == NULL ||
		    (r = oplog_find(dp, &want_svc->conf, &want_svc->dests[0].addr)) == NULL)
			continue;
		memset(&op, 0, sizeof(op));
		op.type = r->type;
		op.why = r->why;
		op.svc = r->svc;
		op.dest = r->dest;
		op.old = r->old;
		x->changed = true;
		rc_op_fmt(&op, x->last_op, sizeof(x->last_op));
		x->last_err = r->err;
		x->last_ago_ms = now_ms - r->at_ms;
	}
	rc_table_clear(&t);
}

void
dataplane_explain(struct dataplane *dp, const char *pool, const struct sockaddr_x *addr,
    struct explain_dataplane *out)
{
	const struct config *c;
	const struct pool *p;
	struct rc_member *m = NULL;
	int *w = NULL;
	bool *held = NULL;
	size_t i, j, me = SIZE_MAX;
	int64_t now_ms = mono_ms();

	memset(out, 0, sizeof(*out));
	out->history_ago_ms = -1;
	if (dp == NULL || (c = dp->conf) == NULL || (p = config_find_pool(c, pool)) == NULL)
		return;
	out->available = dp->h != NULL;
	out->pending = dp->busy || dp->rerun || dp->retry_ms > 0 || !dp->adopted;
	out->min_servers = p->min_servers;
	for (i = 0; i < c->nvips && !out->known; i++)
		if (served(c, &c->vips[i]))
			for (j = 0; j < c->vips[i].nservices; j++)
				if (c->vips[i].services[j].pool == p)
					out->known = true;
	/* the members as the next reconcile sees them, without touching the holds */
	m = xcalloc(p->nservers ? p->nservers : 1, sizeof(*m));
	w = xcalloc(p->nservers ? p->nservers : 1, sizeof(*w));
	held = xcalloc(p->nservers ? p->nservers : 1, sizeof(*held));
	for (i = 0; i < p->nservers; i++) {
		member_fill(dp, p, &p->servers[i], &m[i], true, &held[i]);
		if (me == SIZE_MAX && sockaddr_x_cmp_addr(&p->servers[i].addr, addr) == 0 &&
		    (addr->port == 0 || addr->port == m[i].addr.port || m[i].addr.port == 0))
			me = i;
	}
	out->members = p->nservers;
	out->kept = rc_pool_weights(m, p->nservers, p->min_servers, p->remove_failed, w, &out->live);
	if (me == SIZE_MAX)
		goto out;
	out->want = w[me];
	if (!out->known)
		out->why = EXPLAIN_NOT_SERVED;
	else if (m[me].drain)
		out->why = EXPLAIN_DRAINED;
	else if (held[me])
		out->why = EXPLAIN_ADOPTED;
	else if (m[me].up)
		out->why = m[me].weight > 0 ? EXPLAIN_UP : EXPLAIN_ZERO;
	else if (w[me] > 0)
		out->why = EXPLAIN_GUARD;
	else if (w[me] == RC_WEIGHT_REMOVE)
		out->why = EXPLAIN_DOWN_REMOVED;
	else
		out->why = EXPLAIN_DOWN;
	if (out->known)
		explain_svcs(dp, p, &m[me], w[me], now_ms, out);
	if (dp->noplog > 0)
		out->history_ago_ms =
		    now_ms - dp->oplog[dp->noplog < OPLOG_MAX ? 0 : dp->noplog % OPLOG_MAX].at_ms;
out:
	free(m);
	free(w);
	free(held);
}

struct traffic *
dataplane_traffic(struct dataplane *dp)
{
	return dp != NULL ? dp->traffic : NULL;
}
