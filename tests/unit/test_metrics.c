/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for metrics.c: exact exposition text, label escaping, value
 * spelling, cumulative histogram buckets.  tests/tools/promcheck.py (an
 * independent checker) validates the same output in test_metrics_format.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

static void
render_sample(struct tbuf *b)
{
	const char *l1[] = { "pool", "api", "server", "192.0.2.1:443", NULL };
	const char *l2[] = { "reason", "status \"503\"\\ line\nbreak", NULL };
	struct metrics_hist h;

	metrics_family(b, "ipvsr_server_up", METRIC_GAUGE, "1 when the server takes traffic\\n");
	metrics_sample(b, "ipvsr_server_up", l1, 1);
	metrics_family(b, "ipvsr_check_failures_total", METRIC_COUNTER, "Failed probes");
	metrics_sample_u64(b, "ipvsr_check_failures_total", l2, 18446744073709551615ULL);
	metrics_family(b, "ipvsr_misc", METRIC_GAUGE, "values");
	metrics_sample(b, "ipvsr_misc", (const char *[]){ "k", "half", NULL }, 0.5);
	metrics_sample(b, "ipvsr_misc", (const char *[]){ "k", "inf", NULL }, INFINITY);
	metrics_sample(b, "ipvsr_misc", (const char *[]){ "k", "nan", NULL }, NAN);
	metrics_sample(b, "ipvsr_misc", NULL, -3);
	metrics_hist_init(&h, metrics_latency_bounds, metrics_latency_nbounds);
	metrics_hist_observe(&h, 0.0005);
	metrics_hist_observe(&h, 0.003);
	metrics_hist_observe(&h, 0.003);
	metrics_hist_observe(&h, 30);
	metrics_family(b, "ipvsr_check_seconds", METRIC_HISTOGRAM, "Probe latency");
	metrics_hist_render(b, "ipvsr_check_seconds", l1, &h);
}

static void
test_exact_text(void **state)
{
	struct tbuf b;

	tbuf_init(&b);
	render_sample(&b);
	assert_non_null(strstr(b.s, "# HELP ipvsr_server_up 1 when the server takes traffic\\\\n\n"
	    "# TYPE ipvsr_server_up gauge\n"
	    "ipvsr_server_up{pool=\"api\",server=\"192.0.2.1:443\"} 1\n"));
	assert_non_null(strstr(b.s, "ipvsr_check_failures_total{reason=\"status \\\"503\\\"\\\\ line\\nbreak\"} "
	    "18446744073709551615\n"));
	assert_non_null(strstr(b.s, "ipvsr_misc{k=\"half\"} 0.5\n"));
	assert_non_null(strstr(b.s, "ipvsr_misc{k=\"inf\"} +Inf\n"));
	assert_non_null(strstr(b.s, "ipvsr_misc{k=\"nan\"} NaN\n"));
	assert_non_null(strstr(b.s, "ipvsr_misc -3\n"));
	assert_non_null(strstr(b.s, "ipvsr_check_seconds_bucket{pool=\"api\",server=\"192.0.2.1:443\",le=\"0.001\"} 1\n"));
	assert_non_null(strstr(b.s, "le=\"0.0025\"} 1\n"));
	assert_non_null(strstr(b.s, "le=\"0.005\"} 3\n"));
	assert_non_null(strstr(b.s, "le=\"10\"} 3\n"));
	assert_non_null(strstr(b.s, "le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(b.s, "ipvsr_check_seconds_sum{pool=\"api\",server=\"192.0.2.1:443\"} 30.0065\n"));
	assert_non_null(strstr(b.s, "ipvsr_check_seconds_count{pool=\"api\",server=\"192.0.2.1:443\"} 4\n"));
	tbuf_free(&b);
}

/* The independent checker accepts what we write, and rejects a broken variant. */
static void
test_format_checker_agrees(void **state)
{
	char cmd[1024], path[] = "/tmp/ipvsr-metrics-XXXXXX";
	struct tbuf b;
	FILE *f;
	int fd, rc;

	tbuf_init(&b);
	render_sample(&b);
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(b.s, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/tools/promcheck.py %s >/dev/null",
	    TEST_SRCDIR, path);
	rc = system(cmd);
	assert_int_equal(rc, 0);
	/* break it: a sample of an earlier family after a later one */
	f = fopen(path, "a");
	fputs("ipvsr_server_up{pool=\"web\"} 0\n", f);
	fclose(f);
	rc = system(cmd);
	assert_int_not_equal(rc, 0);
	unlink(path);
	tbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_text),
		cmocka_unit_test(test_format_checker_agrees),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
