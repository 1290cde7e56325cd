/*
 * election_notify.c - the notify command: election.notify.command with
 * "VIP-NAME STATE" appended, for each transition in order.
 *
 * One FIFO of jobs for the whole daemon (at most NOTIFY_PENDING_MAX waiting):
 * for one VIP one job at a time, in order, never blocking the loop; a job
 * past its timeout gets TERM, then KILL a grace period later, sent to its
 * process group.  At stop the loop no longer runs and notify_drain runs the
 * rest, blocking, each still bounded by its timeout.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
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
	pid_t pid;
	bool running; /* false: pending (counted in npending) */
	bool term_sent, kill_sent;
	int64_t started_ms;
	ev_child child;
	ev_timer timer;
};

static void notify_pump(struct election_rt *rt);
static int notify_spawn(struct notify_job *j);
static const char *notify_job_state(const struct notify_job *j);
static void notify_finish(struct notify_job *j, int status);
static void notify_child_cb(struct ev_loop *l, ev_child *w, int revents);
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
			continue;
		}
		j->running = true;
		rt->npending--;
		if (loop_ev() != NULL) {
			ev_child_init(&j->child, notify_child_cb, j->pid, 0);
			j->child.data = j;
			ev_child_start(loop_ev(), &j->child);
			ev_timer_init(
			    &j->timer, notify_timer_cb, (double)j->timeout_ms / 1000.0, 0.);
			j->timer.data = j;
			ev_timer_start(loop_ev(), &j->timer);
		}
	}
}

/*
 * spawn_cmd (lib/spawn_cmd.h) in a session of its own (so that a timeout
 * can kill what it started), stdin from /dev/null, stdout and stderr ours,
 * the allowed environment only (spawn_env_new: no systemd variables -- it
 * must not ping our watchdog or report our readiness -- and no AWS keys).
 */
static int
notify_spawn(struct notify_job *j)
{
	char **env;
	int r;

	env = spawn_env_new(NULL);
	r = spawn_cmd(j->argv, env, SPAWN_CMD_SETSID, &j->pid);
	spawn_env_free(env);
	if (r < 0) {
		j->pid = 0;
		if (log_ratelimit_ok(&j->rt->rl_notify))
			log_vip_err(LOG_WARNING, r, j->vip, "notify: cannot run %s", j->argv[0]);
		return r;
	}
	j->started_ms = mono_ms();
	log_vip(LOG_DEBUG, j->vip, "notify: started %s (pid %ld)", j->argv[0], (long)j->pid);
	return 0;
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
notify_child_cb(struct ev_loop *l, ev_child *w, int revents)
{
	struct notify_job *j = w->data;
	struct election_rt *rt = j->rt;

	notify_finish(j, w->rstatus);
	notify_unlink_free(j);
	notify_pump(rt);
}

static void
notify_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct notify_job *j = w->data;

	if (!j->term_sent) {
		j->term_sent = true;
		kill(-j->pid, SIGTERM);
		ev_timer_set(&j->timer, NOTIFY_KILL_GRACE_MS / 1000.0, 0.);
		ev_timer_start(l, &j->timer);
		return;
	}
	j->kill_sent = true;
	kill(-j->pid, SIGKILL);
}

static void
notify_unlink_free(struct notify_job *j)
{
	int i;

	list_remove(&j->link);
	if (!j->running)
		j->rt->npending--;
	if (loop_ev() != NULL) {
		ev_child_stop(loop_ev(), &j->child);
		ev_timer_stop(loop_ev(), &j->timer);
	}
	for (i = 0; j->argv[i] != NULL; i++)
		free(j->argv[i]);
	free(j->vip);
	free(j);
}

/*
 * At stop the loop no longer runs: wait for each job in turn (blocking,
 * each bounded by its timeout), so that the last word a notify command
 * hears is STOP, and none is left behind unbounded.
 */
void
notify_drain(struct election_rt *rt)
{
	struct notify_job *j;
	struct timespec ts = {0, 5 * 1000 * 1000};
	int64_t deadline;
	int status;
	pid_t w;

	while ((j = list_first_entry(&rt->jobs, struct notify_job, link)) != NULL) {
		if (loop_ev() != NULL) {
			ev_child_stop(loop_ev(), &j->child);
			ev_timer_stop(loop_ev(), &j->timer);
		}
		if (!j->running) {
			if (notify_spawn(j) < 0) {
				notify_unlink_free(j);
				continue;
			}
			j->running = true;
			rt->npending--;
		}
		deadline = j->started_ms + j->timeout_ms;
		status = 0;
		for (;;) {
			w = waitpid(j->pid, &status, WNOHANG);
			if (w == j->pid || (w < 0 && errno != EINTR))
				break;
			if (mono_ms() >= deadline) {
				if (!j->term_sent) {
					j->term_sent = true;
					kill(-j->pid, SIGTERM);
					deadline = mono_ms() + NOTIFY_KILL_GRACE_MS;
				} else if (!j->kill_sent) {
					j->kill_sent = true;
					kill(-j->pid, SIGKILL);
					deadline = mono_ms() + NOTIFY_KILL_GRACE_MS;
				} else {
					break;
				}
			}
			nanosleep(&ts, NULL);
		}
		if (w == j->pid)
			notify_finish(j, status);
		notify_unlink_free(j);
	}
}
