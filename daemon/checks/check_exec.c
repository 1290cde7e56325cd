/*
 * check_exec.c - the exec probe: run a command, exit status 0 is a pass.
 *
 * Started by spawn_cmd (lib/spawn_cmd.h: posix_spawn, a clean signal state,
 * a process group of its own so that a timeout kills the command and
 * whatever it started, no descriptor above stderr), with /dev/null for
 * stdin, stdout and stderr.  (glibc 2.36's posix_spawn leaves its internal
 * signals 32 and 33 ignored in the child; they are glibc's own and
 * harmless - tests/integration/checks-exec pins signals 1-31.)  The exit is
 * collected by ev_child; the probe's deadline kills the group.  A killed
 * child that has not been reaped yet stays on a list until it is, so the
 * next run never waits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "check.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "spawn_cmd.h"


struct exec_flight {
	ev_child child;	     /* first: the watcher's address is the flight's */
	struct probe *probe; /* NULL once abandoned (timeout, probe freed) */
	pid_t pid;
	struct list_node link; /* on exec_abandoned */
};

static void exec_start(struct probe *p);
static void exec_abort(struct probe *p);
static enum health_phase exec_phase(const struct probe *p);
static void exec_child_cb(struct ev_loop *l, ev_child *w, int revents);
static int exec_spawn(const struct probe *p, pid_t *pid);
static char **exec_make_env(const struct probe *p);

const struct probe_ops probe_exec_ops = {exec_start, exec_abort, exec_phase};

static struct list_node exec_abandoned = LIST_INIT(exec_abandoned);

/* The allowed environment (spawn_env_new) plus IPVSR_CHECK_ADDRESS and
 * IPVSR_CHECK_PORT (the target). */
static char **
exec_make_env(const struct probe *p)
{
	const struct sockaddr_x *t = probe_target(p);
	char a[SOCKADDR_X_STRLEN], addr[80], port[32];
	const char *extra[] = {addr, port, NULL};

	snprintf(addr, sizeof(addr), "IPVSR_CHECK_ADDRESS=%s", sockaddr_x_fmt_addr(t, a, sizeof(a)));
	snprintf(port, sizeof(port), "IPVSR_CHECK_PORT=%u", t->port);
	return spawn_env_new(extra);
}

static int
exec_spawn(const struct probe *p, pid_t *pid)
{
	const struct check *ck = &probe_def(p)->ck;
	char **env;
	int r;

	env = exec_make_env(p);
	r = spawn_cmd(ck->argv, env, SPAWN_CMD_NULL_OUTPUT, pid);
	spawn_env_free(env);
	return r;
}

static void
exec_start(struct probe *p)
{
	struct health_result r;
	struct exec_flight *f;
	pid_t pid;
	int err;

	err = exec_spawn(p, &pid);
	if (err < 0) {
		health_result_set(&r, HEALTH_R_EXEC_FAILED, -err, 0);
		probe_finish(p, &r);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->probe = p;
	f->pid = pid;
	ev_child_init(&f->child, exec_child_cb, pid, 0);
	ev_set_priority(&f->child, PROBE_IO_PRIORITY);
	ev_child_start(loop_ev(), &f->child);
	probe_set_flight(p, f);
}

static void
exec_child_cb(struct ev_loop *l, ev_child *w, int revents)
{
	struct exec_flight *f = (struct exec_flight *)w;
	struct probe *p = f->probe;
	struct health_result r;
	int st = w->rstatus;

	ev_child_stop(l, w);
	if (p == NULL) {
		list_remove(&f->link);
		free(f);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		health_result_set(&r, HEALTH_R_OK, 0, 0);
	else if (WIFEXITED(st))
		health_result_set(&r, HEALTH_R_EXEC_STATUS, WEXITSTATUS(st), 0);
	else
		health_result_set(&r, HEALTH_R_EXEC_SIGNAL, WIFSIGNALED(st) ? WTERMSIG(st) : 0, 0);
	free(f);
	probe_set_flight(p, NULL);
	probe_finish(p, &r);
}

/* Kill the command's process group; keep watching until it is reaped. */
static void
exec_abort(struct probe *p)
{
	struct exec_flight *f = probe_flight(p);

	if (f == NULL)
		return;
	if (kill(-f->pid, SIGKILL) < 0 && errno != ESRCH)
		log_warn("exec check %s: cannot kill process group %ld", probe_def(p)->ck.argv[0],
		    (long)f->pid);
	f->probe = NULL;
	list_prepend(&exec_abandoned, &f->link);
}

static enum health_phase
exec_phase(const struct probe *p)
{
	return HEALTH_PH_EXEC;
}

void
check_exec_forget(void)
{
	struct exec_flight *f, *tmp;

	list_for_each_entry_safe(f, tmp, &exec_abandoned, link) {
		list_remove(&f->link);
		if (loop_ev() != NULL)
			ev_child_stop(loop_ev(), &f->child);
		free(f);
	}
}
