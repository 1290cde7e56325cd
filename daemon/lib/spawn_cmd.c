/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawn_cmd.c - posix_spawn with a clean signal state, a process group of
 * its own and /dev/null for stdin, and spawn_async: the same on helper
 * threads, with the exits dispatched by pid on the loop (see spawn_cmd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "list.h"
#include "log.h"
#include "loop.h"
#include "spawn_book.h"
#include "spawn_cmd.h"

int
spawn_cmd(char *const argv[], char *const envp[], unsigned flags, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	short sflags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int r;

	sigemptyset(&none);
	sigfillset(&dflt);
	/* never anything but SIG_DFL: the child's sigaction on them would fail */
	sigdelset(&dflt, SIGKILL);
	sigdelset(&dflt, SIGSTOP);
	sflags |= (flags & SPAWN_CMD_SETSID) ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;

	r = posix_spawnattr_init(&attr);
	if (r != 0)
		goto out;
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		goto out_attr;
	r = posix_spawnattr_setflags(&attr, sflags);
	if (r != 0)
		goto out_fa;
	r = posix_spawnattr_setsigmask(&attr, &none);
	if (r != 0)
		goto out_fa;
	r = posix_spawnattr_setsigdefault(&attr, &dflt);
	if (r != 0)
		goto out_fa;
	if (!(flags & SPAWN_CMD_SETSID)) {
		r = posix_spawnattr_setpgroup(&attr, 0); /* its own pid */
		if (r != 0)
			goto out_fa;
	}
	r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r != 0)
		goto out_fa;
	if (flags & SPAWN_CMD_NULL_OUTPUT) {
		r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
		if (r != 0)
			goto out_fa;
		r = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
		if (r != 0)
			goto out_fa;
	}
	r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	if (r != 0)
		goto out_fa;
	/*
	 * Ambient capabilities survive execve: under the unit (User= plus
	 * AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW) every command would get
	 * them.  Clearing the ambient set changes none of our own capabilities,
	 * only what an exec from this thread (capabilities are per thread: a
	 * spawn_async helper's, for every command the daemon runs) passes on.
	 * EINVAL: a kernel without ambient capabilities, nothing to clear.
	 */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		r = errno;
		goto out;
	}
	r = posix_spawn(pid, argv[0], &fa, &attr, argv, envp);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
out_attr:
	posix_spawnattr_destroy(&attr);
out:
	return -r;
}

/* Variables a command may see; everything else the daemon has stays with it. */
static bool
spawn_env_allowed(const char *e)
{
	static const char *const keep[] = {"PATH=", "HOME=", "LANG=", "LANGUAGE=", "TZ=",
	    "TMPDIR=", "USER=", "LOGNAME=", "LC_"};
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (strncmp(e, keep[i], strlen(keep[i])) == 0)
			return true;
	return false;
}

char **
spawn_env_new(const char *const *extra)
{
	extern char **environ;
	size_t n = 0, k = 0, i;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (extra != NULL && extra[k] != NULL)
		k++;
	env = xcalloc(n + k + 1, sizeof(*env));
	for (i = 0, n = 0; environ != NULL && environ[i] != NULL; i++)
		if (spawn_env_allowed(environ[i]))
			env[n++] = xstrdup(environ[i]);
	for (i = 0; i < k; i++)
		env[n++] = xstrdup(extra[i]);
	env[n] = NULL;
	return env;
}

void
spawn_env_free(char **env)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* ------------------------------------------------------------ spawn_async */

struct spawn_run {
	struct spawn_book_entry book; /* filed by pid once it is back */
	struct list_node link;	      /* on sa.runs until freed */
	/* read by a helper while queued, never written then */
	char **argv, **envp;
	unsigned flags;
	/* the loop's */
	uint64_t mark; /* spawn_book_submit */
	pid_t pid;     /* 0 until it is back */
	int kill_sig;  /* to send when the pid is back */
	bool queued;   /* with the helpers */
	bool reaped;
	bool cancelled; /* no more callbacks */
	spawn_started_fn *started;
	spawn_exited_fn *exited;
	void *arg;
};

/* A helper's answer: written whole (smaller than PIPE_BUF). */
struct spawn_result {
	struct spawn_run *run;
	pid_t pid;
	int err;
};

static struct {
	bool on;
	struct ev_loop *loop;
	pthread_t threads[SPAWN_ASYNC_HELPERS];
	int nthreads;
	int req[2];  /* loop -> helpers: struct spawn_run * */
	int done[2]; /* helpers -> loop: struct spawn_result */
	ev_io done_io;
	ev_child any; /* pid 0: every child libev reaps */
	struct spawn_book book;
	struct list_node runs; /* every run not freed */
	size_t nruns;
} sa;

static void spawn_run_free(struct spawn_run *r);

static char **
spawn_strv_dup(char *const v[])
{
	size_t n = 0, i;
	char **c;

	while (v != NULL && v[n] != NULL)
		n++;
	c = xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

static void
spawn_run_free(struct spawn_run *r)
{
	if (r == NULL)
		return;
	spawn_book_forget(&r->book);
	list_remove(&r->link);
	sa.nruns--;
	spawn_env_free(r->argv);
	spawn_env_free(r->envp);
	free(r);
}

/* On a helper thread: spawn what the loop queued, answer, until EOF. */
static void *
spawn_helper_main(void *arg)
{
	struct spawn_result res;
	struct spawn_run *r;
	ssize_t n;

	(void)arg;
	for (;;) {
		n = read(sa.req[0], &r, sizeof(r)); /* one whole pointer per read */
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(r))
			break; /* EOF: spawn_async_fini */
		res.run = r;
		res.pid = 0;
		res.err = spawn_cmd(r->argv, r->envp, r->flags, &res.pid);
		do
			n = write(sa.done[1], &res, sizeof(res));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(res))
			break; /* cannot happen: the pipe has room for every run in flight */
	}
	return NULL;
}

/* The run's exit: its callback, then it is freed. */
static void
spawn_run_exited(struct spawn_run *r, int status)
{
	r->reaped = true;
	if (!r->cancelled && r->exited != NULL)
		r->exited(r->arg, status);
	spawn_run_free(r);
}

/* A helper's answer, on the loop. */
static void
spawn_result(const struct spawn_result *res)
{
	struct spawn_run *r = res->run;
	int status = 0;
	bool reaped;

	r->queued = false;
	if (res->err < 0 || res->pid <= 0) {
		spawn_book_started(&sa.book, &r->book, 0, r->mark, &status);
		if (!r->cancelled && r->started != NULL)
			r->started(r->arg, 0, res->err < 0 ? res->err : -EIO);
		spawn_run_free(r);
		return;
	}
	r->pid = res->pid;
	reaped = spawn_book_started(&sa.book, &r->book, r->pid, r->mark, &status);
	r->reaped = reaped;
	if (r->kill_sig != 0 && !reaped && kill(-r->pid, r->kill_sig) < 0 && errno != ESRCH)
		log_warn("%s: cannot signal process group %ld", r->argv[0], (long)r->pid);
	if (!r->cancelled && r->started != NULL)
		r->started(r->arg, r->pid, 0);
	if (reaped)
		spawn_run_exited(r, status);
}

static void
spawn_done_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct spawn_result res;

	(void)l;
	(void)revents;
	while (read(w->fd, &res, sizeof(res)) == (ssize_t)sizeof(res))
		spawn_result(&res);
}

/* Every child libev reaps. */
static void
spawn_child_cb(struct ev_loop *l, ev_child *w, int revents)
{
	struct spawn_book_entry *e;

	(void)l;
	(void)revents;
	e = spawn_book_exited(&sa.book, w->rpid, w->rstatus);
	if (e != NULL)
		spawn_run_exited(container_of(e, struct spawn_run, book), w->rstatus);
}

static void
spawn_pipes_close(void)
{
	close(sa.req[0]);
	close(sa.req[1]);
	close(sa.done[0]);
	close(sa.done[1]);
}

/* The helpers (every signal blocked: the loop takes them), pipes, watchers. */
static int
spawn_async_start(void)
{
	sigset_t all, old;
	int r = 0, i;

	if (sa.on)
		return 0;
	sa.loop = loop_ev();
	if (sa.loop == NULL)
		return -EINVAL;
	if (pipe2(sa.req, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(sa.done, O_CLOEXEC) < 0) {
		r = -errno;
		close(sa.req[0]);
		close(sa.req[1]);
		return r;
	}
	/* the loop's ends never block; the helpers' do */
	if (fcntl(sa.req[1], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(sa.done[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < SPAWN_ASYNC_HELPERS; i++) {
		r = -pthread_create(&sa.threads[i], NULL, spawn_helper_main, NULL);
		if (r < 0)
			break;
		sa.nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (sa.nthreads == 0)
		goto fail;
	spawn_book_init(&sa.book);
	list_init(&sa.runs);
	sa.nruns = 0;
	ev_io_init(&sa.done_io, spawn_done_cb, sa.done[0], EV_READ);
	ev_io_start(sa.loop, &sa.done_io);
	ev_child_init(&sa.any, spawn_child_cb, 0, 0);
	ev_child_start(sa.loop, &sa.any);
	sa.on = true;
	return 0;
fail:
	spawn_pipes_close();
	return r < 0 ? r : -EAGAIN;
}

int
spawn_async(char *const argv[], char *const envp[], unsigned flags, spawn_started_fn *started,
    spawn_exited_fn *exited, void *arg, struct spawn_run **run)
{
	struct spawn_run *r;
	int err;

	*run = NULL;
	if (argv == NULL || argv[0] == NULL)
		return -EINVAL;
	err = spawn_async_start();
	if (err < 0)
		return err;
	if (sa.book.inflight >= SPAWN_ASYNC_INFLIGHT_MAX)
		return -EAGAIN;
	r = xcalloc(1, sizeof(*r));
	list_init(&r->book.link);
	r->argv = spawn_strv_dup(argv);
	r->envp = spawn_strv_dup(envp);
	r->flags = flags;
	r->started = started;
	r->exited = exited;
	r->arg = arg;
	list_append(&sa.runs, &r->link);
	sa.nruns++;
	if (write(sa.req[1], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
		err = errno != 0 ? -errno : -EIO; /* not with the pipe's room for every run */
		spawn_run_free(r);
		return err;
	}
	r->queued = true;
	r->mark = spawn_book_submit(&sa.book);
	*run = r;
	return 0;
}

int
spawn_kill(struct spawn_run *r, int sig)
{
	if (r == NULL || sig == 0 || r->reaped)
		return 0;
	if (r->queued) {
		if (r->kill_sig != SIGKILL)
			r->kill_sig = sig;
		return 0;
	}
	if (kill(-r->pid, sig) < 0)
		return -errno;
	return 0;
}

void
spawn_cancel(struct spawn_run *r, int sig)
{
	int err;

	if (r == NULL)
		return;
	err = spawn_kill(r, sig);
	if (err < 0 && err != -ESRCH)
		log_warnc(err, "%s: cannot signal process group %ld", r->argv[0], (long)r->pid);
	r->cancelled = true;
}

size_t
spawn_async_poll(int timeout_ms)
{
	struct spawn_book_entry *e;
	struct spawn_result res;
	struct pollfd pfd;
	pid_t *pids, w;
	size_t n = 0, i;
	int status;

	if (!sa.on)
		return 0;
	pfd.fd = sa.done[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) > 0)
		while (read(sa.done[0], &res, sizeof(res)) == (ssize_t)sizeof(res))
			spawn_result(&res);
	/* the pids first: a callback may start, cancel or free runs */
	pids = xcalloc(sa.nruns + 1, sizeof(*pids));
	for (i = 0; i < SPAWN_BOOK_BUCKETS; i++)
		list_for_each_entry(e, &sa.book.byp[i], link) {
			if (n < sa.nruns)
				pids[n++] = e->pid;
		}
	for (i = 0; i < n; i++) {
		do
			w = waitpid(pids[i], &status, WNOHANG);
		while (w < 0 && errno == EINTR);
		if (w != pids[i])
			continue;
		e = spawn_book_exited(&sa.book, w, status);
		if (e != NULL)
			spawn_run_exited(container_of(e, struct spawn_run, book), status);
	}
	free(pids);
	return sa.nruns;
}

void
spawn_async_fini(void)
{
	struct spawn_result res;
	struct spawn_run *r, *tmp;
	int i;

	if (!sa.on)
		return;
	/* what no helper took yet never runs; the helpers finish what they took */
	fcntl(sa.req[0], F_SETFL, O_NONBLOCK);
	while (read(sa.req[0], &r, sizeof(r)) == (ssize_t)sizeof(r))
		r->queued = false;
	close(sa.req[1]);
	sa.req[1] = -1;
	for (i = 0; i < sa.nthreads; i++)
		pthread_join(sa.threads[i], NULL);
	sa.nthreads = 0;
	while (read(sa.done[0], &res, sizeof(res)) == (ssize_t)sizeof(res)) {
		r = res.run;
		if (res.err == 0 && res.pid > 0 && r->kill_sig != 0 &&
		    kill(-res.pid, r->kill_sig) < 0 && errno != ESRCH)
			log_warn("%s: cannot signal process group %ld", r->argv[0], (long)res.pid);
	}
	ev_io_stop(sa.loop, &sa.done_io);
	ev_child_stop(sa.loop, &sa.any);
	list_for_each_entry_safe(r, tmp, &sa.runs, link)
		spawn_run_free(r);
	spawn_book_fini(&sa.book);
	close(sa.req[0]);
	close(sa.done[0]);
	close(sa.done[1]);
	sa.on = false;
	sa.loop = NULL;
}
