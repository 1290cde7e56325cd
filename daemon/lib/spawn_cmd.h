/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawn_cmd.h - start a command the daemon does not wait for: exec checks
 * (daemon/checks) and notify commands (daemon/election) share this one way.
 *
 * (Not "spawn.h": daemon/lib is on every include path, and a spawn.h here
 * would hide libc's <spawn.h> from every file that asks for it.)
 *
 * posix_spawn rather than fork: glibc spawns with CLONE_VM|CLONE_VFORK, so
 * starting a command costs the same whatever the daemon's size, where fork()
 * would copy the page tables of a daemon holding 10,000 servers while the
 * loop waits.  The child always gets
 *   - a clean signal state: every signal but SIGKILL and SIGSTOP at its
 *     default disposition (the daemon ignores SIGPIPE) and an empty mask
 *     (libev keeps signals blocked for its signalfd): both would be
 *     inherited.  glibc 2.36 leaves its internal signals 32 and 33 ignored in
 *     the child; they are glibc's own and harmless.
 *   - a process group of its own, whose id is its pid, so that
 *     kill(-pid, sig) reaches the command and whatever it started;
 *   - stdin from /dev/null, and no descriptor above stderr.
 *   - no ambient capabilities (the unit gives the daemon CAP_NET_ADMIN and
 *     CAP_NET_RAW as ambient capabilities, which would survive the exec:
 *     a check script could then change addresses, routes and IPVS tables);
 *   - the environment it is given: build it with spawn_env_new, which keeps
 *     only PATH, HOME, LANG, LANGUAGE, LC_*, TZ, TMPDIR, USER and LOGNAME
 *      of the daemon's (no AWS keys, no NOTIFY_SOCKET, WATCHDOG_ or LISTEN_ variables).
 * Everything else is inherited as posix_spawn does: the working directory,
 * umask, resource limits, nice value and credentials.
 */
#ifndef IPVSR_SPAWN_CMD_H
#define IPVSR_SPAWN_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* A new session (setsid) rather than only a new process group in ours: the
 * command also leaves our controlling terminal, if any. */
#define SPAWN_CMD_SETSID 0x1u
/* stdout and stderr to /dev/null rather than the daemon's. */
#define SPAWN_CMD_NULL_OUTPUT 0x2u

/*
 * Start argv[0] (a path: no PATH search) with argv and envp (both
 * NULL-terminated; copied by the call), on the calling thread, which
 * posix_spawn suspends until the child has exec'd: never on the loop (the
 * loop uses spawn_async, below).  0 and *pid set, or -errno: from
 * setting up the spawn attributes, or posix_spawn's own error (glibc reports
 * a failed exec, e.g. -ENOENT, here rather than through the child's exit).
 */
int spawn_cmd(char *const argv[], char *const envp[], unsigned flags, pid_t *pid);

/*
 * spawn_async - the same spawn, off the loop.  Exec checks and notify
 * commands start every command this way; the loop never calls posix_spawn.
 *
 * Why: glibc's posix_spawn is clone(CLONE_VM|CLONE_VFORK), and the calling
 * thread stays suspended until the child has exec'd.  On a busy machine the
 * new child first waits for a CPU behind every runnable task: measured on a
 * 2-CPU machine at load average 11, posix_spawn held its caller 1.1 ms at
 * the median, 232 ms at p99 and 586 ms at worst.  On the loop that delays
 * every timer, 20 ms election adverts included (a spurious failover).
 *
 * How: the loop copies argv and envp into a run and writes its address to a
 * pipe (non-blocking: the loop never waits, not even for a lock); one of
 * SPAWN_ASYNC_HELPERS helper threads (started at the first call, every
 * signal blocked) runs spawn_cmd and writes back the pid or -errno through
 * another pipe, read by an ev_io on the loop.  libev's default loop reaps
 * every child (waitpid(-1) on SIGCHLD), so one ev_child for pid 0 takes
 * every exit and dispatches it by pid (spawn_book.h); an exit that comes
 * before the loop knows the pid is kept until the pid comes back.  So no
 * other code of the process may watch or reap children of its own.
 *
 * On the loop, for each run, in this order:
 *   started(arg, pid, 0)       the command runs (started may be NULL);
 *   started(arg, 0, -errno)    it could not be started (a failed exec,
 *                              e.g. -ENOENT, included): the run is over;
 *   exited(arg, status)        reaped (a waitpid status): the run is over.
 * A run that is over is freed when its callback returns: its handle is no
 * longer valid (not even inside that callback).  Callbacks may start, kill
 * and cancel runs, this one included while it is not over.
 */
struct spawn_run;

typedef void spawn_started_fn(void *arg, pid_t pid, int err);
typedef void spawn_exited_fn(void *arg, int status);

#define SPAWN_ASYNC_HELPERS 4
/* Runs submitted whose pid has not come back, at most (then -EAGAIN): so
 * neither pipe can fill and the helpers never wait for the loop. */
#define SPAWN_ASYNC_INFLIGHT_MAX 1024

/*
 * Queue argv (argv[0] a path) with envp (both copied) and `flags` as for
 * spawn_cmd.  0 and *run, or -errno and no callback: -EINVAL before
 * loop_init, -EAGAIN when SPAWN_ASYNC_INFLIGHT_MAX runs are in flight, or
 * the helper threads or pipes could not be made.
 */
int spawn_async(char *const argv[], char *const envp[], unsigned flags, spawn_started_fn *started,
    spawn_exited_fn *exited, void *arg, struct spawn_run **run);

/*
 * Send `sig` to the run's process group (its pid is the group's id).  Not
 * started yet: sent when the pid comes back (SIGKILL, once asked for, wins
 * over a later, milder signal).  Already reaped: nothing is sent.  0, or
 * -errno of kill(2) (-ESRCH: the group is gone).
 */
int spawn_kill(struct spawn_run *run, int sig);

/*
 * No more callbacks for this run; `sig` (0: none) goes to its process group
 * as with spawn_kill.  The run is still reaped and then freed by this
 * module.  The handle is invalid afterwards.  NULL-safe.
 */
void spawn_cancel(struct spawn_run *run, int sig);

/*
 * For when the loop does not run (the stop, after the last loop_run): wait
 * up to timeout_ms for the helpers, reap this module's children with
 * waitpid(pid, WNOHANG), and run the callbacks as the loop would.  Returns
 * how many runs are not over yet (cancelled ones included).
 */
size_t spawn_async_poll(int timeout_ms);

/*
 * Called by loop_fini: queued runs are dropped (never started), the helper
 * threads finish the spawn they are in and are joined, a pending kill is
 * sent, every run is freed, no callback is run.  Safe when nothing was
 * spawned; spawn_async may be used again after the next loop_init.
 */
void spawn_async_fini(void);

/*
 * The daemon's environment filtered to the allow-list above, followed by
 * `extra` ("NAME=value" strings, NULL-terminated; NULL for none).  Pair:
 * spawn_env_free (NULL-safe).
 */
char **spawn_env_new(const char *const *extra);
void spawn_env_free(char **env);

#endif
