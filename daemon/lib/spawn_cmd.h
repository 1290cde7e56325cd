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
#include <sys/types.h>

#include "util.h"

/* A new session (setsid) rather than only a new process group in ours: the
 * command also leaves our controlling terminal, if any. */
#define SPAWN_CMD_SETSID 0x1u
/* stdout and stderr to /dev/null rather than the daemon's. */
#define SPAWN_CMD_NULL_OUTPUT 0x2u

/*
 * Start argv[0] (a path: no PATH search) with argv and envp (both
 * NULL-terminated; copied by the call).  0 and *pid set, or -errno: from
 * setting up the spawn attributes, or posix_spawn's own error (glibc reports
 * a failed exec, e.g. -ENOENT, here rather than through the child's exit).
 */
int spawn_cmd(char *const argv[], char *const envp[], unsigned flags, pid_t *pid);

/*
 * The daemon's environment filtered to the allow-list above, followed by
 * `extra` ("NAME=value" strings, NULL-terminated; NULL for none).  Pair:
 * spawn_env_free (NULL-safe).
 */
char **spawn_env_new(const char *const *extra);
void spawn_env_free(char **env);

#endif
