/*
 * check_exec.c - the exec probe: run a command, exit status 0 is a pass.
 *
 * posix_spawn rather than fork: glibc spawns with CLONE_VM|CLONE_VFORK,
 * so starting a command costs the same whatever the daemon's size, where
 * fork() would copy the page tables of a daemon holding 10,000 servers
 * while the loop waits.  The child gets a clean signal state (libev keeps
 * signals blocked for its signalfd, and the daemon ignores SIGPIPE: both
 * would be inherited), its own process group (so a timeout kills the
 * command and whatever it started), /dev/null for stdin, stdout and
 * stderr, and no other descriptor.  (glibc 2.36's posix_spawn leaves its
 * internal signals 32 and 33 ignored in the child; they are glibc's own and
 * harmless - tests/integration/checks-exec pins signals 1-31.)  The exit is collected by ev_child;
 * the probe's deadline kills the group.  A killed child that has not been reaped yet stays on a
 * list until it is, so the next run never waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "check.h"
#include "log.h"
#include "loop.h"

extern char **environ;

struct exec_flight {
	ev_child child;	     /* first: the watcher's address is the flight's */
	struct probe *probe; /* NULL once abandoned (timeout, probe freed) */
	pid_t pid;
	struct exec_flight *next; /* on the abandoned list */
};

static void exec_start(struct probe *p);
static void exec_abort(struct probe *p);
static enum health_phase exec_phase(const struct probe *p);
static void child_cb(struct ev_loop *l, ev_child *w, int revents);
static int spawn(const struct probe *p, pid_t *pid);
static char **make_env(const struct probe *p);
static void free_env(char **env);

const struct probe_ops probe_exec_ops = {exec_start, exec_abort, exec_phase};

static struct exec_flight *abandoned;

/* The environment plus IPVSR_CHECK_ADDRESS and IPVSR_CHECK_PORT (the target). */
static char **
make_env(const struct probe *p)
{
	const struct sockaddr_x *t = probe_target(p);
	char a[SOCKADDR_X_STRLEN];
	size_t n = 0, i, j = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	env = xcalloc(n + 3, sizeof(*env));
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "IPVSR_CHECK_", 12) == 0)
			continue;
		env[j++] = xstrdup(environ[i]);
	}
	env[j++] = xasprintf("IPVSR_CHECK_ADDRESS=%s", sockaddr_x_fmt_addr(t, a, sizeof(a)));
	env[j++] = xasprintf("IPVSR_CHECK_PORT=%u", t->port);
	env[j] = NULL;
	return env;
}

static void
free_env(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static int
spawn(const struct probe *p, pid_t *pid)
{
	const struct check *ck = &probe_def(p)->ck;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char **env;
	int r;

	sigemptyset(&none);
	sigfillset(&dflt);
	sigdelset(&dflt, SIGKILL);
	sigdelset(&dflt, SIGSTOP);
	if ((r = posix_spawnattr_init(&attr)) != 0)
		return -r;
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&attr);
		return -r;
	}
	r = posix_spawnattr_setflags(
	    &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	if (r == 0)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(&attr, &dflt);
	if (r == 0)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	if (r == 0)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	if (r == 0) {
		env = make_env(p);
		r = posix_spawn(pid, ck->argv[0], &fa, &attr, ck->argv, env);
		free_env(env);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -r;
}

static void
exec_start(struct probe *p)
{
	struct health_result r;
	struct exec_flight *f;
	pid_t pid;
	int err;

	err = spawn(p, &pid);
	if (err < 0) {
		health_result_set(&r, HEALTH_R_EXEC_FAILED, -err, 0);
		probe_finish(p, &r);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->probe = p;
	f->pid = pid;
	ev_child_init(&f->child, child_cb, pid, 0);
	ev_set_priority(&f->child, PROBE_IO_PRIORITY);
	ev_child_start(loop_ev(), &f->child);
	probe_set_flight(p, f);
}

static void
child_cb(struct ev_loop *l, ev_child *w, int revents)
{
	struct exec_flight *f = (struct exec_flight *)w, **pp;
	struct probe *p = f->probe;
	struct health_result r;
	int st = w->rstatus;

	ev_child_stop(l, w);
	if (p == NULL) {
		for (pp = &abandoned; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == f) {
				*pp = f->next;
				break;
			}
		}
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
	f->next = abandoned;
	abandoned = f;
}

static enum health_phase
exec_phase(const struct probe *p)
{
	return HEALTH_PH_EXEC;
}

void
check_exec_forget(void)
{
	struct exec_flight *f;

	while ((f = abandoned) != NULL) {
		abandoned = f->next;
		if (loop_ev() != NULL)
			ev_child_stop(loop_ev(), &f->child);
		free(f);
	}
}
