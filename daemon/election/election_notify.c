/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election_notify.c - the notify command: election.notify.command with
 * "VIP-NAME STATE" appended, for each transition in order.
 *
 * One FIFO of jobs for the whole daemon (at most NOTIFY_PENDING_MAX waiting):
 * for one VIP one job at a time, in order, never blocking the loop: each is
 * started by spawn_async (lib/spawn_cmd.h: posix_spawn on a helper thread,
 * the pid and the exit back on the loop).  A job past its timeout (counted
 * from its submission) gets TERM, then KILL a grace period later, sent to
 * its process group - when its pid comes back if the helper has not started
 * it yet.  At stop the loop no longer runs and notify_drain runs the rest,
 * blocking, each still bounded by its timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "election_int.h"
#include "log.h"
#include "loop.h"
#include "spawn_cmd.h"


#define NOTIFY_PENDING_MAX   64	  /* queued, per daemon */
#define NOTIFY_KILL_GRACE_MS 1000 /* TERM, then KILL this much later */
#define NOTIFY_ARGV_MAX	     (CHECK_ARGV_MAX + 3)

struct notify_job {
	struct list_node link; /* on rt->jobs */
	struct election_rt *rt;
	char *vip;
	char *argv[NOTIFY_ARGV_MAX + 1];
	int timeout_ms;
	struct spawn_run *run; /* while running: submitted, not reaped */
	pid_t pid;	       /* once it came back */
	bool running;	       /* false: pending (counted in npending) */
	bool term_sent, kill_sent;
	int64_t started_ms;  /* submitted */
	int64_t deadline_ms; /* the next signal (TERM, KILL), or giving up at stop */
	ev_timer timer;
};

static void notify_pump(struct election_rt *rt);
static int notify_spawn(struct notify_job *j);
static const char *notify_job_state(const struct notify_job *j);
static void notify_finish(struct notify_job *j, int status);
static void notify_started(void *arg, pid_t pid, int err);
static void notify_exited(void *arg, int status);
static void notify_escalate(struct notify_job *j);
static void notify_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static void notify_unlink_free(struct notify_job *j);

void
notify_queue(struct election_rt *rt, const struct config *c, const char *vip, const char *state)
{
	struct notify_job *j, *victim = NULL;
	int i;

	if (c == NULL || !c->election.present || c->election.notify_argc == 0)
		return;
	if (rt->npending >= NOTIFY_PENDING_MAX) {
		/* drop this VIP's oldest pending one: its later states matter more */
		list_for_each_entry(j, &rt->jobs, link) {
			if (!j->running && strcmp(j->vip, vip) == 0) {
				victim = j;
				break;
			}
		}
		if (victim == NULL) {
			log_vip(LOG_WARNING, vip,
			    "notify %s dropped: %d notifications already queued", state,
			    NOTIFY_PENDING_MAX);
			return;
		}
		log_vip(LOG_WARNING, vip, "notify %s dropped: too many queued",
		    notify_job_state(victim));
		notify_unlink_free(victim);
	}
	j = xcalloc(1, sizeof(*j));
	j->rt = rt;
	j->vip = xstrdup(vip);
	for (i = 0; i < c->election.notify_argc && i < CHECK_ARGV_MAX; i++)
		j->argv[i] = xstrdup(c->election.notify_argv[i]);
	j->argv[i++] = xstrdup(vip);
	j->argv[i++] = xstrdup(state);
	j->argv[i] = NULL;
	j->timeout_ms = c->election.notify_timeout_ms > 0 ? c->election.notify_timeout_ms : 10000;
	list_append(&rt->jobs, &j->link);
	rt->npending++;
	notify_pump(rt);
}

/* Start every pending job with no earlier job for the same VIP. */
static void
notify_pump(struct election_rt *rt)
{
	struct notify_job *j, *k, *next;
	bool blocked;

	list_for_each_entry_safe(j, next, &rt->jobs, link) {
		blocked = false;
		if (j->running)
			continue;
		list_for_each_entry(k, &rt->jobs, link) {
			if (k == j)
				break;
			if (strcmp(k->vip, j->vip) == 0)
				blocked = true;
		}
		if (blocked)
			continue;
		if (notify_spawn(j) < 0) {
			notify_unlink_free(j);
			/* `next` may be gone only through a callback, and none ran */
			continue;
		}
		j->running = true;
		rt->npending--;
		if (loop_ev() != NULL) {
			ev_timer_init(
			    &j->timer, notify_timer_cb, (double)j->timeout_ms / 1000.0, 0.);
			j->timer.data = j;
			ev_timer_start(loop_ev(), &j->timer);
		}
	}
}

/*
 * spawn_async (lib/spawn_cmd.h) in a session of its own (so that a timeout
 * can kill what it started), stdin from /dev/null, stdout and stderr ours,
 * the allowed environment only (spawn_env_new: no systemd variables -- it
 * must not ping our watchdog or report our readiness -- and no AWS keys).
 * The pid, or the failure to start, comes back later (notify_started).
 */
static int
notify_spawn(struct notify_job *j)
{
	char **env;
	int r;

	env = spawn_env_new(NULL);
	r = spawn_async(j->argv, env, SPAWN_CMD_SETSID, notify_started, notify_exited, j, &j->run);
	spawn_env_free(env);
	if (r < 0) {
		if (log_ratelimit_ok(&j->rt->rl_notify))
			log_vip_err(LOG_WARNING, r, j->vip, "notify: cannot run %s", j->argv[0]);
		return r;
	}
	j->started_ms = mono_ms();
	j->deadline_ms = j->started_ms + j->timeout_ms;
	return 0;
}

/* The helper's answer. */
static void
notify_started(void *arg, pid_t pid, int err)
{
	struct notify_job *j = arg;
	struct election_rt *rt = j->rt;

	if (err < 0) {
		j->run = NULL; /* over */
		if (log_ratelimit_ok(&rt->rl_notify))
			log_vip_err(LOG_WARNING, err, j->vip, "notify: cannot run %s", j->argv[0]);
		notify_unlink_free(j);
		notify_pump(rt);
		return;
	}
	j->pid = pid;
	log_vip(LOG_DEBUG, j->vip, "notify: started %s (pid %ld)", j->argv[0], (long)pid);
}

static const char *
notify_job_state(const struct notify_job *j)
{
	const char *state = "?";
	int i;

	for (i = 0; j->argv[i] != NULL; i++)
		state = j->argv[i];
	return state;
}

static void
notify_finish(struct notify_job *j, int status)
{
	const char *state = notify_job_state(j);
	int64_t ms = mono_ms() - j->started_ms;

	if (j->kill_sent || j->term_sent)
		log_vip(LOG_WARNING, j->vip, "notify %s: killed after the %d ms timeout", state,
		    j->timeout_ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_vip(LOG_WARNING, j->vip, "notify %s: exit status %d after %lld ms", state,
		    WEXITSTATUS(status), (long long)ms);
	else if (WIFSIGNALED(status))
		log_vip(
		    LOG_WARNING, j->vip, "notify %s: killed by signal %d", state, WTERMSIG(status));
	else
		log_vip(LOG_DEBUG, j->vip, "notify %s: done in %lld ms", state, (long long)ms);
}

static void
notify_exited(void *arg, int status)
{
	struct notify_job *j = arg;
	struct election_rt *rt = j->rt;

	j->run = NULL; /* over */
	notify_finish(j, status);
	notify_unlink_free(j);
	notify_pump(rt);
}

/* Past the deadline: TERM, then KILL a grace period later. */
static void
notify_escalate(struct notify_job *j)
{
	int sig = j->term_sent ? SIGKILL : SIGTERM;

	if (j->term_sent)
		j->kill_sent = true;
	j->term_sent = true;
	spawn_kill(j->run, sig);
	j->deadline_ms = mono_ms() + NOTIFY_KILL_GRACE_MS;
}

static void
notify_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct notify_job *j = w->data;

	if (j->kill_sent)
		return;
	notify_escalate(j);
	if (!j->kill_sent) {
		ev_timer_set(&j->timer, NOTIFY_KILL_GRACE_MS / 1000.0, 0.);
		ev_timer_start(l, &j->timer);
	}
}

static void
notify_unlink_free(struct notify_job *j)
{
	int i;

	list_remove(&j->link);
	if (!j->running)
		j->rt->npending--;
	spawn_cancel(j->run, 0); /* given up before its exit: no callback on j */
	if (loop_ev() != NULL)
		ev_timer_stop(loop_ev(), &j->timer);
	for (i = 0; j->argv[i] != NULL; i++)
		free(j->argv[i]);
	free(j->vip);
	free(j);
}

/*
 * At stop the loop no longer runs: run the rest, one job per VIP at a time
 * as before, reaping through spawn_async_poll (blocking, each job bounded by
 * its timeout, then TERM, then KILL, then given up a grace period later),
 * so that the last word a notify command hears is STOP, and none is left
 * behind unbounded.
 */
void
notify_drain(struct election_rt *rt)
{
	struct notify_job *j;
	bool gave_up;

	notify_pump(rt);
	while (!list_empty(&rt->jobs)) {
		spawn_async_poll(5);
		gave_up = false;
		list_for_each_entry(j, &rt->jobs, link) {
			if (!j->running || mono_ms() < j->deadline_ms)
				continue;
			if (!j->kill_sent) {
				notify_escalate(j);
				continue;
			}
			notify_unlink_free(j); /* a KILL it outlived: not ours to wait for */
			gave_up = true;
			break;
		}
		if (gave_up)
			notify_pump(rt);
	}
}
