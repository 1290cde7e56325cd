/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.c - libev's default loop and the few watchers every daemon needs.
 *
 * This is one of the few files that include <ev.h>.  It owns the signal
 * watchers, the deferred-work queue and the systemd watchdog timer.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <ev.h>

#include "log.h"
#include "loop.h"
#include "notify.h"
#include "spawn_cmd.h"
#include "util.h"

/*
 * Descriptor events are collected for up to LOOP_IO_COLLECT_US before the
 * loop waits again (libev's io_collect_interval): when its last wake-up was
 * less than that ago, the loop sleeps out the rest first, and whatever
 * became ready meanwhile - the answers of the probes a grid slot started,
 * typically - is handled in one wake-up instead of one each.  It costs
 * nothing when the loop is quiet (a lone advert or request is handled at
 * once: the previous wake-up was long ago) and delays no timer (libev cuts
 * the sleep at the next one); under load a descriptor waits at most this.
 * Measured with bench/checks (200 HTTP checks/s under TCG, checker and
 * backend on different CPUs): 790-850 us of CPU per check without, 457 with
 * 1 ms, 428 with 5 ms; each answer that arrived while the checker slept in
 * epoll_wait cost a wake-up of its CPU.  Natively at 10,000 checks/s the
 * loop is awake for many answers at a time anyway: no difference measured.
 */
#define LOOP_IO_COLLECT_US 1000

struct deferred {
	void (*cb)(void *arg); /* NULL: cancelled, skip */
	void *arg;
};

static void signal_cb(struct ev_loop *l, ev_signal *w, int revents);
static void prepare_cb(struct ev_loop *l, ev_prepare *w, int revents);
static void idle_cb(struct ev_loop *l, ev_idle *w, int revents);
static void watchdog_cb(struct ev_loop *l, ev_timer *w, int revents);
static int watchdog_init(void);
static void run_deferred(void);
static void jobs_cb(struct ev_loop *l, ev_async *w, int revents);

/* A piece of work on a thread of its own (loop_work). */
struct loop_job {
	void (*work)(void *);
	void (*done)(void *, bool);
	void *arg;
	pthread_t th;
	bool finished;		/* work() returned (under jobs_mu) */
	struct loop_job *next;	/* on lo.jobs */
};
static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;

static struct {
	struct ev_loop *ev;
	ev_signal sig_hup, sig_term, sig_int;
	ev_prepare prepare; /* runs deferred work before the loop blocks */
	ev_idle idle;	    /* keeps the loop from blocking while work is queued */
	ev_timer watchdog;
	ev_async jobs_async;	  /* a loop_work job finished */
	struct loop_job *jobs;	  /* running or finished, not yet done(); loop thread only */

	void (*reload_cb)(int, void *);
	void *reload_arg;
	void (*shutdown_cb)(int, void *);
	void *shutdown_arg;

	/* Deferred work: [0, run_pos) is running or done in this pass. */
	struct deferred *q;
	size_t nq, capq, run_pos;
	bool running_q;

	/* loop_now_ms cache, keyed by the ev_now() of the iteration */
	ev_tstamp now_key;
	int64_t now_ms;
	bool now_valid;
	/* loop_wake_us cache, keyed the same way */
	ev_tstamp wake_key;
	int64_t wake_us;
	bool wake_valid;
	bool running; /* inside loop_run() */
} lo;

int
loop_init(void)
{
	struct sigaction sa;
	int r;

	if (lo.ev != NULL)
		return -EALREADY;
	/* A closed peer must give EPIPE on write, not kill the daemon. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;

	lo.ev = ev_default_loop(EVFLAG_AUTO);
	if (lo.ev == NULL)
		return -ENOMEM;
	ev_set_io_collect_interval(lo.ev, LOOP_IO_COLLECT_US / 1e6);

	ev_signal_init(&lo.sig_hup, signal_cb, SIGHUP);
	ev_signal_init(&lo.sig_term, signal_cb, SIGTERM);
	ev_signal_init(&lo.sig_int, signal_cb, SIGINT);
	ev_signal_start(lo.ev, &lo.sig_hup);
	ev_signal_start(lo.ev, &lo.sig_term);
	ev_signal_start(lo.ev, &lo.sig_int);

	ev_prepare_init(&lo.prepare, prepare_cb);
	ev_idle_init(&lo.idle, idle_cb);
	ev_async_init(&lo.jobs_async, jobs_cb);
	ev_async_start(lo.ev, &lo.jobs_async);
	/* Deferred work queued before the loop existed still has to run. */
	if (lo.nq > 0) {
		ev_prepare_start(lo.ev, &lo.prepare);
		ev_idle_start(lo.ev, &lo.idle);
	}

	r = watchdog_init();
	if (r < 0) {
		loop_fini();
		return r;
	}
	return 0;
}

void
loop_fini(void)
{
	struct loop_job *j;

	spawn_async_fini(); /* its watchers are on the loop */
	/* Jobs still running are waited for (their work is bounded: parsing a
	 * file) and handed back cancelled, so that their owners free what they
	 * made without applying it. */
	while ((j = lo.jobs) != NULL) {
		lo.jobs = j->next;
		pthread_join(j->th, NULL);
		j->done(j->arg, true);
		free(j);
	}
	if (lo.ev != NULL) {
		ev_async_stop(lo.ev, &lo.jobs_async);
		ev_signal_stop(lo.ev, &lo.sig_hup);
		ev_signal_stop(lo.ev, &lo.sig_term);
		ev_signal_stop(lo.ev, &lo.sig_int);
		ev_prepare_stop(lo.ev, &lo.prepare);
		ev_idle_stop(lo.ev, &lo.idle);
		ev_timer_stop(lo.ev, &lo.watchdog);
		ev_loop_destroy(lo.ev);
	}
	free(lo.q);
	memset(&lo, 0, sizeof(lo));
}

int
loop_run(void)
{
	lo.running = true;
	lo.now_valid = false;
	lo.wake_valid = false;
	ev_run(lo.ev, 0);
	lo.running = false;
	return 0;
}

void
loop_break(void)
{
	if (lo.ev != NULL)
		ev_break(lo.ev, EVBREAK_ALL);
}

struct ev_loop *
loop_ev(void)
{
	return lo.ev;
}

void
loop_on_reload(void (*cb)(int, void *), void *arg)
{
	lo.reload_cb = cb;
	lo.reload_arg = arg;
}

void
loop_on_shutdown(void (*cb)(int, void *), void *arg)
{
	lo.shutdown_cb = cb;
	lo.shutdown_arg = arg;
}

static void
signal_cb(struct ev_loop *l, ev_signal *w, int revents)
{
	log_debug("loop: signal %s", strsignal(w->signum));
	if (w->signum == SIGHUP) {
		if (lo.reload_cb != NULL)
			lo.reload_cb(w->signum, lo.reload_arg);
		else
			log_info("SIGHUP ignored: nothing to reload");
		return;
	}
	if (lo.shutdown_cb != NULL)
		lo.shutdown_cb(w->signum, lo.shutdown_arg);
	else
		loop_break();
}

/* ---------------------------------------------------------- deferred work */

void
loop_defer(void (*cb)(void *), void *arg)
{
	size_t i;

	for (i = lo.run_pos; i < lo.nq; i++)
		if (lo.q[i].cb == cb && lo.q[i].arg == arg)
			return;
	if (lo.nq == lo.capq) {
		lo.capq = lo.capq ? lo.capq * 2 : 8;
		lo.q = xreallocarray(lo.q, lo.capq, sizeof(*lo.q));
	}
	lo.q[lo.nq].cb = cb;
	lo.q[lo.nq].arg = arg;
	lo.nq++;
	/*
	 * The idle watcher as well as the prepare watcher: a request made from
	 * another prepare callback of this iteration comes too late for ours,
	 * and the active idle watcher turns the coming wait into a poll.
	 */
	if (lo.ev != NULL && !lo.running_q) {
		ev_prepare_start(lo.ev, &lo.prepare);
		ev_idle_start(lo.ev, &lo.idle);
	}
}

void
loop_defer_cancel(void (*cb)(void *), void *arg)
{
	size_t i;

	for (i = lo.run_pos; i < lo.nq; i++)
		if (lo.q[i].cb == cb && lo.q[i].arg == arg)
			lo.q[i].cb = NULL;
}

/*
 * One pass over what was queued when the pass began.  Work queued by the
 * callbacks lands after `end` and waits for the next iteration.
 */
static void
run_deferred(void)
{
	size_t end = lo.nq;
	struct deferred d;

	lo.running_q = true;
	for (lo.run_pos = 0; lo.run_pos < end;) {
		d = lo.q[lo.run_pos++];
		if (d.cb != NULL)
			d.cb(d.arg);
	}
	memmove(lo.q, lo.q + end, (lo.nq - end) * sizeof(*lo.q));
	lo.nq -= end;
	lo.run_pos = 0;
	lo.running_q = false;
}

static void
prepare_cb(struct ev_loop *l, ev_prepare *w, int revents)
{
	run_deferred();
	if (lo.ev == NULL)
		return;
	if (lo.nq == 0) {
		ev_prepare_stop(l, w);
		ev_idle_stop(l, &lo.idle);
	} else {
		ev_idle_start(l, &lo.idle);
	}
}

static void
idle_cb(struct ev_loop *l, ev_idle *w, int revents)
{
	/* Its only job was to stop the loop from blocking; prepare_cb runs next. */
	ev_idle_stop(l, w);
}

/* ---------------------------------------------------------------- time */

int64_t
loop_now_ms(void)
{
	ev_tstamp key;

	if (!lo.running)
		return mono_ms();
	key = ev_now(lo.ev);
	if (!lo.now_valid || key != lo.now_key) {
		lo.now_key = key;
		lo.now_ms = mono_ms();
		lo.now_valid = true;
	}
	return lo.now_ms;
}

/*
 * The monotonic time of the iteration's wake-up, read once per iteration:
 * it is the same for every caller of the iteration, and a clock read is a
 * system call where the clocksource has no vDSO (hpet, Xen's older
 * clocksource): the checker asked for it four times per check, which was
 * 40% of its system calls per check under the VM's hpet.
 */
int64_t
loop_wake_us(void)
{
	int64_t now;
	ev_tstamp drift, key;

	if (lo.ev == NULL)
		return mono_us();
	key = ev_now(lo.ev);
	if (lo.running && lo.wake_valid && key == lo.wake_key)
		return lo.wake_us;
	now = mono_us();
	drift = ev_time() - key;
	if (!(drift < 0 || drift > 1.0)) /* else the wall clock stepped: "now" */
		now -= (int64_t)(drift * 1e6);
	lo.wake_key = key;
	lo.wake_us = now;
	lo.wake_valid = true;
	return now;
}

/* ------------------------------------------------------------ watchdog */

static int
watchdog_init(void)
{
	uint64_t usec;
	int r;

	r = notify_watchdog_usec(&usec);
	if (r < 0) {
		log_warnc(r, "ignoring malformed WATCHDOG_USEC/WATCHDOG_PID");
		return 0;
	}
	if (r == 0)
		return 0;
	/* Half the interval, as sd_watchdog_enabled(3) advises: one late ping is not fatal. */
	ev_timer_init(&lo.watchdog, watchdog_cb, 0., (ev_tstamp)usec / 2e6);
	ev_timer_start(lo.ev, &lo.watchdog);
	log_info("systemd watchdog: pinging every %llu ms", (unsigned long long)(usec / 2000));
	return 0;
}

static void
watchdog_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);
	int r;

	r = notify_watchdog();
	if (r < 0 && log_ratelimit_ok(&rl))
		log_warnc(r, "systemd watchdog ping failed");
}

/* ------------------------------------------------------------ loop_work */

static void *
job_main(void *p)
{
	struct loop_job *j = p;

	j->work(j->arg);
	pthread_mutex_lock(&jobs_mu);
	j->finished = true;
	pthread_mutex_unlock(&jobs_mu);
	ev_async_send(lo.ev, &lo.jobs_async);
	return NULL;
}

static void
jobs_cb(struct ev_loop *l, ev_async *w, int revents)
{
	struct loop_job **pp, *j, *ready = NULL;

	(void)l;
	(void)w;
	(void)revents;
	pthread_mutex_lock(&jobs_mu);
	for (pp = &lo.jobs; (j = *pp) != NULL;) {
		if (j->finished) {
			*pp = j->next;
			j->next = ready;
			ready = j;
		} else {
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&jobs_mu);
	while ((j = ready) != NULL) {
		ready = j->next;
		pthread_join(j->th, NULL); /* it has returned, or is about to */
		j->done(j->arg, false);
		free(j);
	}
}

int
loop_work(void (*work)(void *arg), void (*done)(void *arg, bool cancelled), void *arg)
{
	struct loop_job *j;
	sigset_t all, old;
	int r;

	if (lo.ev == NULL)
		return -ENOTCONN;
	j = xcalloc(1, sizeof(*j));
	j->work = work;
	j->done = done;
	j->arg = arg;
	/* the thread takes no signal: they are the loop's (signalfd / ev_signal) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&j->th, NULL, job_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(j);
		return -r;
	}
	pthread_mutex_lock(&jobs_mu);
	j->next = lo.jobs;
	lo.jobs = j;
	pthread_mutex_unlock(&jobs_mu);
	return 0;
}

void
thread_below_loop(void)
{
	const struct sched_param sp = { 0 };
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int nice;

	(void)pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, (id_t)tid, nice + 5 > 19 ? 19 : nice + 5);
}
