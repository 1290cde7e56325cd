/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for election/announce.c: whether a BGP VIP is announced, and why not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "announce.h"

static struct ann_in
healthy(void)
{
	struct ann_in in = {.ipvs = 1, .started = true, .have_address = true};

	return in;
}

static void
test_healthy_is_announced(void **state)
{
	struct ann_in in = healthy();
	char buf[160];

	(void)state;
	assert_int_equal(ann_decide(&in), ANN_YES);
	ann_describe(ANN_YES, &in, buf, sizeof(buf));
	assert_string_equal(buf, "announced");
}

/* Each reason alone withdraws, and says so with the pool's name where there is one. */
static void
test_each_reason(void **state)
{
	struct ann_in in;
	char buf[160];

	(void)state;
	in = healthy();
	in.pool_unsettled = "web";
	assert_int_equal(ann_decide(&in), ANN_POOL_UNSETTLED);
	ann_describe(ANN_POOL_UNSETTLED, &in, buf, sizeof(buf));
	assert_non_null(strstr(buf, "pool web not settled"));

	in = healthy();
	in.pool_down = "api";
	assert_int_equal(ann_decide(&in), ANN_POOL_DOWN);
	ann_describe(ANN_POOL_DOWN, &in, buf, sizeof(buf));
	assert_string_equal(buf, "withdrawn: pool api below min_servers");

	in = healthy();
	in.have_address = false;
	assert_int_equal(ann_decide(&in), ANN_NO_ADDRESS);

	in = healthy();
	in.ipvs = 0;
	assert_int_equal(ann_decide(&in), ANN_NO_IPVS);
	in.ipvs = -1;
	assert_int_equal(ann_decide(&in), ANN_STARTING);
	in = healthy();
	in.started = false;
	assert_int_equal(ann_decide(&in), ANN_STARTING);

	in = healthy();
	in.drained = true;
	assert_int_equal(ann_decide(&in), ANN_DRAINED);
	ann_describe(ANN_DRAINED, &in, buf, sizeof(buf));
	assert_non_null(strstr(buf, "undrain-router"));

	in = healthy();
	in.stopping = true;
	assert_int_equal(ann_decide(&in), ANN_STOPPING);
}

/* The operator's and the daemon's reasons come before health: a drained router
 * with a failed pool says "drained" (undraining alone will not announce it, but
 * the log says the pool the moment the drain ends). */
static void
test_precedence(void **state)
{
	struct ann_in in = healthy();

	(void)state;
	in.pool_down = "web";
	in.pool_unsettled = "api";
	assert_int_equal(ann_decide(&in), ANN_POOL_DOWN);
	in.have_address = false;
	assert_int_equal(ann_decide(&in), ANN_NO_ADDRESS);
	in.ipvs = 0;
	assert_int_equal(ann_decide(&in), ANN_NO_IPVS);
	in.drained = true;
	assert_int_equal(ann_decide(&in), ANN_DRAINED);
	in.stopping = true;
	assert_int_equal(ann_decide(&in), ANN_STOPPING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthy_is_announced),
	    cmocka_unit_test(test_each_reason),
	    cmocka_unit_test(test_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
