/*
 * spawn_cmd.c - posix_spawn with a clean signal state, a process group of
 * its own and /dev/null for stdin (see spawn_cmd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

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
	 * only what an exec from this thread (the loop's: every spawn) passes on.
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
