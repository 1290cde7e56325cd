/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c - probe scheduling on libev: one timer per probe, used as a
 * deadline, and the shared helpers of the socket probes.
 *
 * A run starts when the timer fires; the same timer is then re-armed for
 * the end of the run's timeout.  When the run finishes (or the deadline
 * wins), the timer is re-armed for the next start, counted from when this
 * run was due, not from when it ended, so that a slow backend does not
 * drift its own schedule.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "check.h"
#include "http.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "tls.h"

struct probe {
	ev_timer timer; /* first: the watcher's address is the probe's */
	struct sockaddr_x target;
	struct check_def *def;
	const struct probe_ops *ops;
	probe_done_fn done;
	void *arg;
	void *flight;
	void *state;		     /* the type's, across runs */
	int64_t due_us;		     /* when the timer is due (start or deadline) */
	int64_t run_due_us;	     /* when the current / last run was due to start */
	int64_t nominal_us;	     /* the next start before rounding to the start grid */
	int64_t start_us;	     /* when the current run started */
	struct list_node qlink;	     /* on the start queue (when queued) */
	uint8_t jitter;
	uint8_t local_run; /* consecutive runs ended by a local fault */
	bool running;
	bool scheduled;
	bool queued;
};

static void check_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static int64_t loop_base_us(void);
static void arm(struct probe *p, int64_t delay_us);
static int64_t next_interval_us(const struct probe *p);
static void note_lateness(int64_t late_us);
static const struct probe_ops *ops_for(enum check_type t);
static void run_start(struct probe *p);
static void queue_push(struct probe *p);
static void queue_remove(struct probe *p);
static void drain_cb(struct ev_loop *l, ev_timer *w, int revents);
static void local_fault_note(struct probe *p, const struct health_result *r);

static struct check_stats stats;
static unsigned budget_iter, budget_used; /* starts in the current loop iteration */
static int64_t burst_slot;		      /* the current 10 ms slot, and starts in it */
static unsigned burst_n;
static int64_t local_since_us, local_last_us; /* the episode's first and last fault */
static uint64_t local_base;		      /* results[LOCAL] when it started */

/* An episode ends after this long without a local fault: under exhaustion some
 * probes still get a descriptor now and then, and that is not the end of it. */
#define LOCAL_QUIET_US (5 * 1000000LL)

/* A probe ended by a local fault waits interval x 2^(n-1), at most this long. */
#define LOCAL_BACKOFF_MAX_US (30 * 1000000LL)

/*
 * Probes due but over the iteration's start budget wait here, in order,
 * and one timer drains the queue a budget's worth per iteration: the
 * cost of waiting is one list link, whatever the backlog.
 */
static struct {
	struct list_node q;
	ev_timer drain;
	bool init;
} startq = { .q = LIST_INIT(startq.q) };

/* ------------------------------------------------------------ definitions */

struct check_def *
check_def_new(const struct check *ck)
{
	struct check_def *def = xcalloc(1, sizeof(*def));
	char err[256];
	int r;

	check_init(&def->ck);
	check_copy(&def->ck, ck);
	def->refs = 1;
	if (ck->type == CHECK_HTTPS) {
		struct tls_ctx_conf tc = {
		    .verify = ck->verify != 0,
		    .ca_file = ck->ca_file,
		    .client_cert = ck->client_cert,
		    .client_key = ck->client_key,
		};

		r = tls_ctx_get(&tc, &def->tls, err, sizeof(err));
		if (r < 0)
			def->error = xstrdup(err);
	}
	if ((ck->type == CHECK_HTTP || ck->type == CHECK_HTTPS) && ck->host != NULL) {
		struct http_request rq = {
		    .method = ck->method != NULL ? ck->method : "GET",
		    .target = ck->path != NULL ? ck->path : "/",
		    .host = ck->host,
		    .keep_alive = ck->reuse_connection == 1,
		};

		if (http_request_format(&rq, &def->request, &def->request_len) < 0 &&
		    def->error == NULL)
			def->error = xstrdup("method, path or host cannot form an HTTP request");
	}
	return def;
}

void
check_def_ref(struct check_def *def)
{
	def->refs++;
}

void
check_def_unref(struct check_def *def)
{
	if (def == NULL || --def->refs > 0)
		return;
	tls_ctx_put(def->tls);
	free(def->request);
	free(def->error);
	check_release(&def->ck);
	free(def);
}

/* ------------------------------------------------------------ probes */

static const struct probe_ops *
ops_for(enum check_type t)
{
	switch (t) {
	case CHECK_HTTP:
	case CHECK_HTTPS:
		return &probe_http_ops;
	case CHECK_EXEC:
		return &probe_exec_ops;
	default:
		return &probe_tcp_ops;
	}
}

struct probe *
probe_new(const struct sockaddr_x *target, struct check_def *def, probe_done_fn done, void *arg)
{
	struct probe *p = xcalloc(1, sizeof(*p));

	p->target = *target;
	p->def = def;
	check_def_ref(def);
	p->ops = ops_for(def->ck.type);
	p->done = done;
	p->arg = arg;
	ev_init(&p->timer, check_timer_cb);
	stats.probes++;
	return p;
}

void
probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	if (p->running) {
		p->ops->abort(p);
		p->flight = NULL;
		p->running = false;
		stats.in_flight--;
	}
	if (p->state != NULL && p->ops->drop != NULL)
		p->ops->drop(p);
	p->state = NULL;
	queue_remove(p);
	if (loop_ev() != NULL)
		ev_timer_stop(loop_ev(), &p->timer);
	check_def_unref(p->def);
	stats.probes--;
	free(p);
}

const struct sockaddr_x *
probe_target(const struct probe *p)
{
	return &p->target;
}

const struct check_def *
probe_def(const struct probe *p)
{
	return p->def;
}

void *
probe_flight(const struct probe *p)
{
	return p->flight;
}

void
probe_set_flight(struct probe *p, void *flight)
{
	p->flight = flight;
}

void *
probe_state(const struct probe *p)
{
	return p->state;
}

void
probe_set_state(struct probe *p, void *state)
{
	p->state = state;
}

void
probe_restart_deadline(struct probe *p)
{
	arm(p, (int64_t)p->def->ck.timeout_ms * 1000 + (mono_us() - loop_base_us()));
}

struct check_stats *
check_stats_mut(void)
{
	return &stats;
}

int64_t
probe_start_us(const struct probe *p)
{
	return p->start_us;
}

int
probe_elapsed_ms(const struct probe *p)
{
	return (int)((mono_us() - p->start_us) / 1000);
}

/*
 * libev counts timers from the time of the current loop iteration, not
 * from the moment ev_timer_start is called: due times (and the lateness
 * measured against them) are counted from the iteration's wake-up, so
 * that they are what libev really scheduled.
 */
static int64_t
loop_base_us(void)
{
	return loop_wake_us();
}

static void
arm(struct probe *p, int64_t delay_us)
{
	struct ev_loop *l = loop_ev();

	if (delay_us < 0)
		delay_us = 0;
	p->due_us = loop_base_us() + delay_us;
	if (l == NULL)
		return;
	ev_timer_stop(l, &p->timer);
	ev_timer_set(&p->timer, (ev_tstamp)delay_us / 1e6, 0.);
	ev_timer_start(l, &p->timer);
}

/*
 * Starts are put on a grid of the monotonic clock: probes due within the
 * same slot start in the same loop iteration, and their answers tend to
 * come back together, so a router with a few hundred servers wakes up
 * once for several probes, not twice for each (a wake-up - epoll_wait
 * returning, the switch back to this process - cost more CPU than the
 * probe's own send and receive).  The slot is START_GRID_US, or a tenth
 * of the interval when that is shorter; a start is never early, at most
 * one slot late, and the spread over the interval (the first start and
 * the jitter) is kept at the slot's resolution.
 */
#define START_GRID_US 20000

static int64_t
on_grid(const struct probe *p, int64_t due_abs_us)
{
	int64_t g = (int64_t)p->def->ck.interval_ms * 100; /* a tenth of the interval */

	if (g > START_GRID_US)
		g = START_GRID_US;
	if (g <= 1)
		return due_abs_us;
	return (due_abs_us + g - 1) / g * g;
}

static int64_t
next_interval_us(const struct probe *p)
{
	return jitter((int64_t)p->def->ck.interval_ms * 1000, p->jitter);
}

void
probe_schedule(struct probe *p, int jitter_percent)
{
	int64_t first;

	p->jitter = (uint8_t)(jitter_percent < 0 ? 0 : jitter_percent > 100 ? 100 : jitter_percent);
	/* uniform over [0, interval]: jitter(base, 100) spans [0, 2 * base] */
	first = jitter((int64_t)p->def->ck.interval_ms * 500, 100);
	p->scheduled = true;
	if (!p->running) {
		p->nominal_us = loop_base_us() + first;
		arm(p, on_grid(p, p->nominal_us) - loop_base_us());
	}
}

void
probe_set_jitter(struct probe *p, int jitter_percent)
{
	p->jitter = (uint8_t)(jitter_percent < 0 ? 0 : jitter_percent > 100 ? 100 : jitter_percent);
}

static void
note_lateness(int64_t late_us)
{
	static const int64_t edges[] = {1000, 2000, 5000, 10000, 50000};
	size_t i;

	if (late_us < 0)
		late_us = 0;
	if (late_us > stats.max_late_us)
		stats.max_late_us = late_us;
	for (i = 0; i < ARRAY_SIZE(edges) && late_us >= edges[i]; i++)
		;
	stats.late_hist[i]++;
}

static void
check_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct probe *p = (struct probe *)w;
	struct health_result r;

	if (p->running) {
		/* the deadline won */
		enum health_phase ph = p->ops->phase(p);

		if (p->ops->expired != NULL && p->ops->expired(p))
			return; /* a new attempt, its deadline armed */
		p->ops->abort(p);
		p->flight = NULL;
		health_result_set(&r, HEALTH_R_TIMEOUT, ph, 0);
		probe_finish(p, &r);
		return;
	}

	if (ev_iteration(l) != budget_iter) {
		budget_iter = ev_iteration(l);
		budget_used = 0;
	}
	if (budget_used >= PROBE_STARTS_PER_ITERATION || !list_empty(&startq.q)) {
		/* first come, first started; due_us stays, the wait counts as lateness */
		queue_push(p);
		return;
	}
	run_start(p);
}

static void
run_start(struct probe *p)
{
	struct health_result r;
	int64_t now = mono_us();

	budget_used++;
	note_lateness(now - p->due_us);
	/* the schedule goes on from the nominal time, so that the grid adds no drift */
	p->run_due_us = p->nominal_us;
	p->running = true;
	p->start_us = now;
	stats.runs++;
	if (now / 10000 != burst_slot) {
		burst_slot = now / 10000;
		burst_n = 0;
	}
	if (++burst_n > stats.burst_max)
		stats.burst_max = burst_n;
	stats.in_flight++;
	/* the timeout counts from now, the run's start: arm() counts from the
	 * iteration's wake-up, which may be milliseconds earlier (a stalled TLS
	 * handshake was cut at 97 ms of a 100 ms timeout: checks-https) */
	arm(p, (int64_t)p->def->ck.timeout_ms * 1000 + (now - loop_base_us()));

	if (p->def->error != NULL) {
		health_result_set(&r, HEALTH_R_CONFIG, 0, 0);
		snprintf(r.text, sizeof(r.text), "%s", p->def->error);
		probe_finish(p, &r);
		return;
	}
	if (p->target.port == 0 && p->def->ck.type != CHECK_EXEC) {
		health_result_set(&r, HEALTH_R_CONFIG, 0, 0);
		snprintf(r.text, sizeof(r.text), "no port to probe (set check.port)");
		probe_finish(p, &r);
		return;
	}
	p->ops->start(p);
}

static void
queue_push(struct probe *p)
{
	struct ev_loop *l = loop_ev();

	if (!startq.init) {
		ev_init(&startq.drain, drain_cb);
		startq.init = true;
	}
	p->queued = true;
	list_append(&startq.q, &p->qlink);
	stats.deferred++;
	if (!ev_is_active(&startq.drain)) {
		ev_timer_set(&startq.drain, 0., 0.);
		ev_timer_start(l, &startq.drain);
	}
}

static void
queue_remove(struct probe *p)
{
	if (!p->queued)
		return;
	list_remove(&p->qlink);
	p->queued = false;
	if (list_empty(&startq.q) && startq.init && loop_ev() != NULL)
		ev_timer_stop(loop_ev(), &startq.drain);
}

static void
drain_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct probe *p;

	if (ev_iteration(l) != budget_iter) {
		budget_iter = ev_iteration(l);
		budget_used = 0;
	}
	while ((p = list_first_entry(&startq.q, struct probe, qlink)) != NULL &&
	    budget_used < PROBE_STARTS_PER_ITERATION) {
		queue_remove(p);
		run_start(p);
	}
	if (!list_empty(&startq.q) && !ev_is_active(w)) {
		ev_timer_set(w, 0., 0.);
		ev_timer_start(l, w);
	}
}

void
probe_finish(struct probe *p, struct health_result *r)
{
	int64_t next;

	r->elapsed_ms = probe_elapsed_ms(p);
	if (r->elapsed_ms < 0)
		r->elapsed_ms = 0;
	p->running = false;
	p->flight = NULL;
	stats.in_flight--;
	if ((unsigned)r->reason < HEALTH_R__COUNT)
		stats.results[r->reason]++;
	local_fault_note(p, r);
	if (p->scheduled) {
		next = p->run_due_us + next_interval_us(p);
		if (p->local_run > 1) {
			int64_t iv = (int64_t)p->def->ck.interval_ms * 1000, cap = iv;
			int shift = p->local_run - 1 < 16 ? p->local_run - 1 : 16;

			if (cap < LOCAL_BACKOFF_MAX_US)
				cap = LOCAL_BACKOFF_MAX_US;
			next = p->run_due_us + (iv << shift < cap ? iv << shift : cap);
		}
		p->nominal_us = next;
		arm(p, on_grid(p, next) - loop_base_us());
	}
	p->done(p->arg, p, r);
}

/*
 * Local faults (EMFILE, ENOMEM, no local port) are ours, not the backends':
 * health keeps every server's state (health_report), the probe backs off,
 * and the episode -- whichever probes it hits -- is logged once at critical
 * when it starts and once when a probe runs again.
 */
static void
local_fault_note(struct probe *p, const struct health_result *r)
{
	int64_t now;

	if (r->reason != HEALTH_R_LOCAL && !stats.local_fault) {
		p->local_run = 0; /* the common case: no clock read */
		return;
	}
	now = mono_us();
	if (r->reason == HEALTH_R_LOCAL) {
		if (p->local_run < UINT8_MAX)
			p->local_run++;
		local_last_us = now;
		if (!stats.local_fault) {
			stats.local_fault = true;
			stats.local_episodes++;
			local_since_us = now;
			local_base = stats.results[HEALTH_R_LOCAL] - 1;
			log_crit("checks: probes fail on this router (%s): every server keeps its "
				 "state and probes back off until they can run again",
			    strerror(r->detail));
		}
		return;
	}
	p->local_run = 0;
	if (stats.local_fault && now - local_last_us >= LOCAL_QUIET_US) {
		stats.local_fault = false;
		log_notice("checks: probes run again: %.1f s of local errors ended %.1f s ago "
			   "(%llu probe runs held back); health verdicts resume",
		    (local_last_us - local_since_us) / 1e6, (now - local_last_us) / 1e6,
		    (unsigned long long)(stats.results[HEALTH_R_LOCAL] - local_base));
	}
}

const struct check_stats *
check_stats_get(void)
{
	return &stats;
}

void
check_stats_reset(void)
{
	unsigned probes = stats.probes, in_flight = stats.in_flight;

	memset(&stats, 0, sizeof(stats));
	stats.probes = probes;
	stats.in_flight = in_flight;
}

/* ------------------------------------------------------------ socket helpers */

int
probe_connect(const struct probe *p, bool *in_progress)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, r;

	*in_progress = false;
	sl = sockaddr_x_to_sa(&p->target, &ss);
	fd = socket(p->target.af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		*in_progress = true;
		return fd;
	}
	r = -errno;
	close(fd);
	return r;
}

void
probe_errno_result(struct health_result *r, int err, enum health_phase phase, int elapsed_ms)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case ECONNREFUSED:
		health_result_set(r, HEALTH_R_REFUSED, 0, elapsed_ms);
		break;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		health_result_set(r, HEALTH_R_RESET, phase, elapsed_ms);
		break;
	case ETIMEDOUT:
		health_result_set(r, HEALTH_R_TIMEOUT, phase, elapsed_ms);
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		health_result_set(r, HEALTH_R_UNREACHABLE, err, elapsed_ms);
		break;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL: /* no local port left */
	case EAGAIN:	    /* connect(): no local port left either */
		health_result_set(r, HEALTH_R_LOCAL, err, elapsed_ms);
		break;
	default:
		health_result_set(r, HEALTH_R_IO, err, elapsed_ms);
		break;
	}
}

/*
 * A probe closes with RST rather than FIN: the active closer of a TCP
 * connection keeps it in TIME_WAIT for 60 s, and at 10,000 probes a
 * second that is more sockets than the kernel keeps buckets for.  HAProxy
 * closes its health-check connections the same way.
 */
void
probe_close_fd(int fd)
{
	struct linger lg = {1, 0};

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}
