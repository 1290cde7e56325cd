/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the daemon's loop (lib/loop.h) on a real libev loop: how
 * often it wakes up for descriptor events when they keep coming.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#define ROUNDS 11

static int fds[2];
static int rounds;
static int64_t seen_us[ROUNDS];
static unsigned seen_iter[ROUNDS];
static ev_io rd;
static ev_timer guard;

/*
 * Each callback finds the pipe readable, drains it and makes it readable
 * again at once: without collection the loop would go round in a few
 * microseconds; with it, no sooner than LOOP_IO_COLLECT_US (1 ms) after its
 * previous wake-up.
 */
static void
rd_cb(struct ev_loop *l, ev_io *w, int revents)
{
	char b[8];

	(void)revents;
	assert_true(read(w->fd, b, sizeof(b)) > 0);
	seen_us[rounds] = mono_us();
	seen_iter[rounds] = ev_iteration(l);
	if (++rounds == ROUNDS) {
		loop_break();
		return;
	}
	assert_int_equal(write(fds[1], "x", 1), 1);
}

static void
guard_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	loop_break();
}

static void
test_io_collected(void **state)
{
	int i;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	ev_io_init(&rd, rd_cb, fds[0], EV_READ);
	ev_io_start(loop_ev(), &rd);
	ev_timer_init(&guard, guard_cb, 10., 0.);
	ev_timer_start(loop_ev(), &guard);
	rounds = 0;
	assert_int_equal(write(fds[1], "x", 1), 1);
	loop_run();
	ev_timer_stop(loop_ev(), &guard);
	ev_io_stop(loop_ev(), &rd);
	close(fds[0]);
	close(fds[1]);

	assert_int_equal(rounds, ROUNDS);
	for (i = 1; i < ROUNDS; i++) {
		/* one event per iteration, each in the next iteration */
		assert_int_equal(seen_iter[i], seen_iter[i - 1] + 1);
	}
	/*
	 * A sleep is never shorter than asked for: ten rounds take at least
	 * 10 ms, less what the first callback's own run took (microseconds;
	 * 1 ms allowed for a slow sanitizer build).
	 */
	assert_true(seen_us[ROUNDS - 1] - seen_us[0] >= (ROUNDS - 1) * 1000 - 1000);
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_loop", true, LOG_WARNING, LOG_DAEMON);
	return loop_init();
}

static int
teardown(void **state)
{
	(void)state;
	loop_fini();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_collected, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
