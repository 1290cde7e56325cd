/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for spawn_book (lib/spawn_book.h): which reaped child is which
 * run's, when exits and pids reach the loop in either order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "spawn_book.h"

#define ST(code) ((code) << 8) /* a waitpid status: exited with `code` */

/* The usual order: the pid comes back, then the child is reaped. */
static void
test_pid_then_exit(void **state)
{
	struct spawn_book b;
	struct spawn_book_entry e;
	uint64_t mark;
	int st = -1;

	(void)state;
	spawn_book_init(&b);
	mark = spawn_book_submit(&b);
	assert_int_equal(b.inflight, 1);
	assert_false(spawn_book_started(&b, &e, 1234, mark, &st));
	assert_int_equal(b.inflight, 0);
	assert_ptr_equal(spawn_book_any(&b), &e);
	assert_null(spawn_book_exited(&b, 999, ST(1))); /* not ours: dropped */
	assert_int_equal(b.nearly, 0);
	assert_ptr_equal(spawn_book_exited(&b, 1234, ST(3)), &e);
	assert_null(spawn_book_any(&b));
	assert_null(spawn_book_exited(&b, 1234, ST(3))); /* only once */
	spawn_book_fini(&b);
}

/* The child exits, and libev reaps it, before its pid reaches the loop. */
static void
test_exit_before_pid(void **state)
{
	struct spawn_book b;
	struct spawn_book_entry e;
	uint64_t mark;
	int st = -1;

	(void)state;
	spawn_book_init(&b);
	mark = spawn_book_submit(&b);
	assert_null(spawn_book_exited(&b, 4321, ST(7)));
	assert_int_equal(b.nearly, 1);
	assert_true(spawn_book_started(&b, &e, 4321, mark, &st));
	assert_int_equal(WEXITSTATUS(st), 7);
	assert_int_equal(b.nearly, 0);
	assert_null(spawn_book_any(&b)); /* over: never filed */
	spawn_book_fini(&b);
}

/* An exit seen before the run was submitted is an earlier process's. */
static void
test_stale_exit_not_claimed(void **state)
{
	struct spawn_book b;
	struct spawn_book_entry e0, e;
	uint64_t m0, mark;
	int st = -1;

	(void)state;
	spawn_book_init(&b);
	m0 = spawn_book_submit(&b);		       /* keeps one run in flight */
	assert_null(spawn_book_exited(&b, 50, ST(1))); /* kept: a run is in flight */
	mark = spawn_book_submit(&b);
	assert_false(spawn_book_started(&b, &e, 50, mark, &st)); /* pid 50 again: filed */
	assert_int_equal(st, -1);
	/* the first run's child was 60, still running */
	assert_false(spawn_book_started(&b, &e0, 60, m0, &st));
	assert_int_equal(b.nearly, 0); /* nothing in flight: dropped */
	assert_ptr_equal(spawn_book_exited(&b, 50, ST(2)), &e);
	assert_ptr_equal(spawn_book_exited(&b, 60, ST(0)), &e0);
	spawn_book_fini(&b);
}

/* A failed spawn: nothing filed, in-flight count down, early exits dropped. */
static void
test_failed_start(void **state)
{
	struct spawn_book b;
	struct spawn_book_entry e;
	uint64_t mark;
	int st = -1;

	(void)state;
	spawn_book_init(&b);
	mark = spawn_book_submit(&b);
	assert_null(spawn_book_exited(&b, 77, ST(0))); /* kept while one is in flight */
	assert_int_equal(b.nearly, 1);
	assert_false(spawn_book_started(&b, &e, 0, mark, &st));
	assert_int_equal(b.inflight, 0);
	assert_int_equal(b.nearly, 0);
	assert_null(spawn_book_any(&b));
	spawn_book_fini(&b);
}

/* Many runs, exits and pids interleaved, pids sharing buckets; each gets its own. */
static void
test_many_interleaved(void **state)
{
	enum { N = 300 };
	struct spawn_book b;
	struct spawn_book_entry *e = calloc(N, sizeof(*e));
	uint64_t *mark = calloc(N, sizeof(*mark));
	int done[N] = {0}, st, i;

	(void)state;
	spawn_book_init(&b);
	for (i = 0; i < N; i++)
		mark[i] = spawn_book_submit(&b);
	/* even runs' children are reaped before their pids come back */
	for (i = 0; i < N; i += 2)
		assert_null(spawn_book_exited(&b, 1000 + i * SPAWN_BOOK_BUCKETS, ST(i % 200)));
	for (i = N - 1; i >= 0; i--) { /* pids back in reverse order */
		st = -1;
		if (spawn_book_started(&b, &e[i], 1000 + i * SPAWN_BOOK_BUCKETS, mark[i], &st)) {
			assert_true(i % 2 == 0);
			assert_int_equal(WEXITSTATUS(st), i % 200);
			done[i]++;
		} else {
			assert_true(i % 2 == 1);
		}
	}
	assert_int_equal(b.nearly, 0);
	for (i = 1; i < N; i += 2) {
		assert_ptr_equal(
		    spawn_book_exited(&b, 1000 + i * SPAWN_BOOK_BUCKETS, ST(1)), &e[i]);
		done[i]++;
	}
	for (i = 0; i < N; i++)
		assert_int_equal(done[i], 1);
	assert_null(spawn_book_any(&b));
	spawn_book_fini(&b);
	free(e);
	free(mark);
}

/* Giving a filed run up (shutdown) unfiles it; twice is harmless. */
static void
test_forget(void **state)
{
	struct spawn_book b;
	struct spawn_book_entry e;
	int st;

	(void)state;
	spawn_book_init(&b);
	assert_false(spawn_book_started(&b, &e, 5, spawn_book_submit(&b), &st));
	spawn_book_forget(&e);
	spawn_book_forget(&e);
	spawn_book_forget(NULL);
	assert_null(spawn_book_any(&b));
	assert_null(spawn_book_exited(&b, 5, ST(0)));
	spawn_book_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_then_exit),
		cmocka_unit_test(test_exit_before_pid),
		cmocka_unit_test(test_stale_exit_not_claimed),
		cmocka_unit_test(test_failed_start),
		cmocka_unit_test(test_many_interleaved),
		cmocka_unit_test(test_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
