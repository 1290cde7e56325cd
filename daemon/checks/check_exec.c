/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_exec.c - the exec probe: run a command, exit status 0 is a pass.
 *
 * Started by spawn_async (lib/spawn_cmd.h: posix_spawn on a helper thread,
 * never on the loop; a clean signal state, a process group of its own so
 * that a timeout kills the command and whatever it started, no descriptor
 * above stderr), with /dev/null for stdin, stdout and stderr.  (glibc
 * 2.36's posix_spawn leaves its internal signals 32 and 33 ignored in the
 * child; they are glibc's own and harmless - tests/integration/checks-exec
 * pins signals 1-31.)  The run's flight is its spawn_run; the exit comes
 * back through spawn_async's callbacks.  The probe's deadline cancels the
 * run with SIGKILL to the group - sent when the pid comes back if the
 * helper has not started it yet - and spawn_async reaps it later: the next
 * run never waits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "spawn_cmd.h"

static void exec_start(struct probe *p);
static void exec_abort(struct probe *p);
static enum health_phase exec_phase(const struct probe *p);
static void exec_started(void *arg, pid_t pid, int err);
static void exec_exited(void *arg, int status);
static char **exec_make_env(const struct probe *p);

const struct probe_ops probe_exec_ops = {exec_start, exec_abort, exec_phase, NULL, NULL};

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

static void
exec_start(struct probe *p)
{
	const struct check *ck = &probe_def(p)->ck;
	struct health_result r;
	struct spawn_run *run;
	char **env;
	int err;

	env = exec_make_env(p);
	err = spawn_async(ck->argv, env, SPAWN_CMD_NULL_OUTPUT, exec_started, exec_exited, p, &run);
	spawn_env_free(env);
	if (err < 0) {
		health_result_set(&r, HEALTH_R_EXEC_FAILED, -err, 0);
		probe_finish(p, &r);
		return;
	}
	probe_set_flight(p, run);
}

/* Only a failure matters: the command could not be started. */
static void
exec_started(void *arg, pid_t pid, int err)
{
	struct probe *p = arg;
	struct health_result r;

	(void)pid;
	if (err == 0)
		return;
	health_result_set(&r, HEALTH_R_EXEC_FAILED, -err, 0);
	probe_set_flight(p, NULL);
	probe_finish(p, &r);
}

static void
exec_exited(void *arg, int st)
{
	struct probe *p = arg;
	struct health_result r;

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		health_result_set(&r, HEALTH_R_OK, 0, 0);
	else if (WIFEXITED(st))
		health_result_set(&r, HEALTH_R_EXEC_STATUS, WEXITSTATUS(st), 0);
	else
		health_result_set(&r, HEALTH_R_EXEC_SIGNAL, WIFSIGNALED(st) ? WTERMSIG(st) : 0, 0);
	probe_set_flight(p, NULL);
	probe_finish(p, &r);
}

/* Kill the command's process group (now, or when its pid comes back); no
 * callback reaches the probe any more.  spawn_async reaps it. */
static void
exec_abort(struct probe *p)
{
	spawn_cancel(probe_flight(p), SIGKILL);
}

static enum health_phase
exec_phase(const struct probe *p)
{
	return HEALTH_PH_EXEC;
}
