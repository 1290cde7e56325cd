/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for spawn_async (lib/spawn_cmd.h) on a real loop: exit
 * statuses and the failure to start come back as callbacks, and a signal
 * asked for before the pid is back is sent when it is.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <ev.h>

#include "log.h"
#include "loop.h"
#include "spawn_cmd.h"

struct outcome {
	int nstarted, nexited;
	pid_t pid;
	int err, status;
};

static int pending; /* runs not over yet: the loop stops at 0 */
static ev_timer guard;

static void
on_started(void *arg, pid_t pid, int err)
{
	struct outcome *o = arg;

	o->nstarted++;
	o->pid = pid;
	o->err = err;
	if (err < 0 && --pending == 0)
		loop_break();
}

static void
on_exited(void *arg, int status)
{
	struct outcome *o = arg;

	o->nexited++;
	o->status = status;
	if (--pending == 0)
		loop_break();
}

static void
guard_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	loop_break();
}

/* Run the loop until every run is over, 10 s at most. */
static void
run_until_done(void)
{
	ev_timer_init(&guard, guard_cb, 10., 0.);
	ev_timer_start(loop_ev(), &guard);
	loop_run();
	ev_timer_stop(loop_ev(), &guard);
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_spawn_async", true, LOG_WARNING, LOG_DAEMON);
	pending = 0;
	return loop_init();
}

static int
teardown(void **state)
{
	(void)state;
	loop_fini(); /* joins the helpers, frees every run */
	return 0;
}

static void
test_exit_status_and_failure(void **state)
{
	char *ok[] = {"/bin/sh", "-c", "exit 3", NULL};
	char *missing[] = {"/nonexistent/command", NULL};
	char *env[] = {"PATH=/bin:/usr/bin", NULL};
	struct outcome a = {0}, b = {0};
	struct spawn_run *r;

	(void)state;
	assert_int_equal(
	    spawn_async(ok, env, SPAWN_CMD_NULL_OUTPUT, on_started, on_exited, &a, &r), 0);
	pending++;
	assert_int_equal(
	    spawn_async(missing, env, SPAWN_CMD_NULL_OUTPUT, on_started, on_exited, &b, &r), 0);
	pending++;
	assert_int_equal(a.nstarted + b.nstarted, 0); /* never synchronously */
	run_until_done();
	assert_int_equal(pending, 0);
	assert_int_equal(a.nstarted, 1);
	assert_true(a.pid > 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.nexited, 1);
	assert_true(WIFEXITED(a.status));
	assert_int_equal(WEXITSTATUS(a.status), 3);
	assert_int_equal(b.nstarted, 1);
	if (b.err == 0) {
		/* valgrind runs CLONE_VFORK as a fork: the failed exec is an exit 127 */
		assert_int_equal(b.nexited, 1);
		assert_int_equal(WEXITSTATUS(b.status), 127);
	} else {
		/* glibc reports the failed exec from posix_spawn */
		assert_int_equal(b.err, -ENOENT);
		assert_int_equal(b.nexited, 0);
	}
}

/* spawn_async never runs the command on the caller: right after it returns the pid is
 * not back, so the kill is remembered and sent when it is. */
static void
test_kill_before_pid(void **state)
{
	char *sleeper[] = {"/bin/sleep", "30", NULL};
	char *env[] = {NULL};
	struct outcome a = {0};
	struct spawn_run *r;

	(void)state;
	assert_int_equal(
	    spawn_async(sleeper, env, SPAWN_CMD_SETSID, on_started, on_exited, &a, &r), 0);
	pending++;
	assert_int_equal(spawn_kill(r, SIGTERM), 0);
	assert_int_equal(spawn_kill(r, SIGKILL), 0);
	assert_int_equal(spawn_kill(r, SIGTERM), 0); /* KILL, once asked for, stays */
	run_until_done();
	assert_int_equal(a.nstarted, 1);
	assert_int_equal(a.nexited, 1);
	assert_true(WIFSIGNALED(a.status));
	assert_int_equal(WTERMSIG(a.status), SIGKILL);
}

/* A cancelled run gets no callback; its command is killed and reaped. */
static void
test_cancel(void **state)
{
	char *sleeper[] = {"/bin/sleep", "30", NULL};
	char *quick[] = {"/bin/true", NULL};
	char *env[] = {NULL};
	struct outcome a = {0}, b = {0};
	struct spawn_run *r, *q;

	(void)state;
	assert_int_equal(spawn_async(sleeper, env, 0, on_started, on_exited, &a, &r), 0);
	spawn_cancel(r, SIGKILL);
	spawn_cancel(NULL, SIGKILL);
	assert_int_equal(spawn_async(quick, env, 0, on_started, on_exited, &b, &q), 0);
	pending++;
	run_until_done();
	assert_int_equal(a.nstarted + a.nexited, 0);
	assert_int_equal(b.nexited, 1);
	assert_int_equal(WEXITSTATUS(b.status), 0);
	/* the cancelled one: reaped when killed, so nothing is left in flight */
	for (int i = 0; i < 200 && spawn_async_poll(10) > 0; i++)
		;
	assert_int_equal(spawn_async_poll(0), 0);
}

/* At loop_fini runs still going are dropped: no callback, nothing leaked. */
static void
test_fini_with_runs(void **state)
{
	char *sleeper[] = {"/bin/sleep", "1", NULL};
	char *env[] = {NULL};
	struct outcome a = {0};
	struct spawn_run *r;
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(spawn_async(sleeper, env, 0, on_started, on_exited, &a, &r), 0);
	/* teardown's loop_fini */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_status_and_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_before_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_with_runs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
