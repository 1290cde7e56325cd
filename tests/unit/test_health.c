/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for health.c: the rise/fall rule driven by scripted result
 * sequences, and the words of every reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

/*
 * A script: 'o' = a passing result, 'x' = a failing one.  `expect` has one
 * character per result: '.' no change, 'U' went up, 'D' went down.
 */
struct seq_case {
	const char *name;
	int rise, fall;
	bool initial_up;
	const char *script;
	const char *expect;
	bool final_up;
};

static const struct seq_case seq_cases[] = {
	{ "down: rise 2", 2, 3, false, "oo", ".U", true },
	{ "down: failure resets the rise run", 2, 3, false, "oxoxoo", ".....U", true },
	{ "up: fall 3", 2, 3, true, "xxx", "..D", false },
	{ "up: success resets the fall run", 2, 3, true, "xxoxxoxxx", "........D", false },
	{ "rise 1 fall 1 flaps every result", 1, 1, true, "xoxo", "DUDU", true },
	{ "initial up stays up on success", 2, 3, true, "oooo", "....", true },
	{ "initial down stays down on failure", 2, 3, false, "xxxx", "....", false },
	{ "full cycle", 3, 2, false, "oooxxooo", "..U.D..U", true },
	{ "flapping below both thresholds", 3, 3, true, "xxoxxoxxo", ".........", true },
	{ "thresholds clamped (0 -> 1)", 0, 0, false, "ox", "UD", false },
};

static void
test_sequences(void **state)
{
	size_t i, j;

	for (i = 0; i < sizeof(seq_cases) / sizeof(seq_cases[0]); i++) {
		const struct seq_case *tc = &seq_cases[i];
		struct health h;
		int64_t now = 1000;

		assert_int_equal(strlen(tc->script), strlen(tc->expect));
		health_init(&h, tc->rise, tc->fall, tc->initial_up, now);
		assert_false(h.seen);
		for (j = 0; tc->script[j] != '\0'; j++) {
			struct health_result r;
			enum health_change ch;
			char got;

			now += 1000;
			health_result_set(&r, tc->script[j] == 'o' ? HEALTH_R_OK : HEALTH_R_TIMEOUT,
			    HEALTH_PH_HEADERS, 5);
			ch = health_report(&h, &r, now);
			got = ch == HEALTH_WENT_UP ? 'U' : ch == HEALTH_WENT_DOWN ? 'D' : '.';
			if (got != tc->expect[j])
				fail_msg("%s: result %zu ('%c'): got '%c', want '%c'", tc->name, j,
				    tc->script[j], got, tc->expect[j]);
			if (got != '.')
				assert_int_equal(h.since_ms, now);
			assert_int_equal(h.last.reason, r.reason);
		}
		if (h.up != tc->final_up)
			fail_msg("%s: final state %s", tc->name, h.up ? "up" : "down");
		assert_true(h.seen);
	}
}

static void
test_thresholds_on_reload(void **state)
{
	struct health_result ok, bad;
	struct health h;

	health_result_set(&ok, HEALTH_R_OK, 0, 1);
	health_result_set(&bad, HEALTH_R_REFUSED, 0, 1);

	/* Two failures counted under fall 3; lowering fall to 2 does not by
	 * itself take the server down, the next failure does. */
	health_init(&h, 2, 3, true, 0);
	assert_int_equal(health_report(&h, &bad, 1), HEALTH_SAME);
	assert_int_equal(health_report(&h, &bad, 2), HEALTH_SAME);
	health_set_thresholds(&h, 2, 2);
	assert_true(h.up);
	assert_int_equal(health_report(&h, &bad, 3), HEALTH_WENT_DOWN);

	/* A probe restart keeps the state and forgets the runs. */
	assert_int_equal(health_report(&h, &ok, 4), HEALTH_SAME);
	health_restart(&h);
	assert_false(h.up);
	assert_int_equal(health_report(&h, &ok, 5), HEALTH_SAME);
	assert_int_equal(health_report(&h, &ok, 6), HEALTH_WENT_UP);

	/* Raising fall beyond a run already counted: the run continues. */
	assert_int_equal(health_report(&h, &bad, 7), HEALTH_SAME);
	health_set_thresholds(&h, 2, 5);
	assert_int_equal(health_report(&h, &bad, 8), HEALTH_SAME);
	assert_int_equal(health_report(&h, &bad, 9), HEALTH_SAME);
	assert_int_equal(health_report(&h, &bad, 10), HEALTH_SAME);
	assert_int_equal(health_report(&h, &bad, 11), HEALTH_WENT_DOWN);
}

/*
 * Settled (issue #17): up, or down with `fall` failures in a row since the last success.
 * One failure is not a verdict (a router preempted on it with a server missing).
 */
static void
test_settled(void **state)
{
	static const struct health_result ok = {.reason = HEALTH_R_OK};
	static const struct health_result bad = {.reason = HEALTH_R_REFUSED};
	struct health h;

	(void)state;
	health_init(&h, 2, 3, false, 0);
	assert_false(health_settled(&h));		/* nothing heard */
	health_report(&h, &bad, 1);
	assert_false(health_settled(&h));		/* one failure */
	health_report(&h, &bad, 2);
	assert_false(health_settled(&h));
	health_report(&h, &ok, 3);			/* a success starts the count again */
	health_report(&h, &bad, 4);
	health_report(&h, &bad, 5);
	assert_false(health_settled(&h));
	health_report(&h, &bad, 6);
	assert_true(health_settled(&h));		/* fall (3) in a row */
	health_report(&h, &ok, 7);
	assert_false(health_settled(&h));		/* rising: not yet up */
	health_report(&h, &ok, 8);
	assert_true(h.up);
	assert_true(health_settled(&h));
	health_report(&h, &bad, 9);
	health_report(&h, &bad, 10);
	assert_true(health_settled(&h));		/* still up */
	assert_int_equal(health_report(&h, &bad, 11), HEALTH_WENT_DOWN);
	assert_true(health_settled(&h));		/* declared down: a verdict */
	health_init(&h, 2, 3, true, 0);
	assert_true(health_settled(&h));		/* initial_state up */
	assert_int_equal(health_force(&h, false, 1), HEALTH_WENT_DOWN);
	assert_true(health_settled(&h));		/* forced: a verdict */
}

static void
test_force(void **state)
{
	struct health h;

	health_init(&h, 2, 3, false, 0);
	assert_int_equal(health_force(&h, true, 5), HEALTH_WENT_UP);
	assert_int_equal(h.since_ms, 5);
	assert_int_equal(health_force(&h, true, 6), HEALTH_SAME);
	assert_int_equal(health_force(&h, false, 7), HEALTH_WENT_DOWN);
}

struct fmt_case {
	enum check_type type;
	enum health_reason reason;
	int detail;
	int status;
	int ms;
	const char *text;
	const char *want;
};

static const struct fmt_case fmt_cases[] = {
	{ CHECK_HTTP, HEALTH_R_OK, 0, 200, 3, NULL, "200 in 3ms" },
	{ CHECK_HTTPS, HEALTH_R_OK, 0, 204, 9, NULL, "204 in 9ms" },
	{ CHECK_TCP, HEALTH_R_OK, 0, 0, 1, NULL, "connected in 1ms" },
	{ CHECK_EXEC, HEALTH_R_OK, 0, 0, 20, NULL, "exit 0 in 20ms" },
	{ CHECK_NONE, HEALTH_R_OK, 0, 0, 0, NULL, "no check configured" },
	{ CHECK_HTTP, HEALTH_R_HTTP_STATUS, 503, 503, 12, NULL, "status 503 after 12ms" },
	{ CHECK_TCP, HEALTH_R_REFUSED, 0, 0, 0, NULL, "connection refused after 0ms" },
	{ CHECK_TCP, HEALTH_R_UNREACHABLE, EHOSTUNREACH, 0, 3, NULL,
	    "connect: No route to host after 3ms" },
	{ CHECK_HTTP, HEALTH_R_TIMEOUT, HEALTH_PH_HEADERS, 0, 500, NULL,
	    "timeout after 500ms waiting for the response" },
	{ CHECK_HTTPS, HEALTH_R_TIMEOUT, HEALTH_PH_TLS, 0, 500, NULL,
	    "timeout after 500ms in the TLS handshake" },
	{ CHECK_TCP, HEALTH_R_TIMEOUT, HEALTH_PH_CONNECT, 0, 500, NULL,
	    "timeout after 500ms connecting" },
	{ CHECK_HTTP, HEALTH_R_RESET, HEALTH_PH_HEADERS, 0, 51, NULL,
	    "connection reset after 51ms waiting for the response" },
	{ CHECK_HTTP, HEALTH_R_CLOSED, HEALTH_PH_BODY, 0, 4, NULL,
	    "connection closed after 4ms reading the body" },
	{ CHECK_HTTPS, HEALTH_R_TLS_VERIFY, 0, 0, 4, "certificate has expired",
	    "TLS verify failed: certificate has expired, after 4ms" },
	{ CHECK_HTTPS, HEALTH_R_TLS_HANDSHAKE, 0, 0, 2, "tlsv1 alert",
	    "TLS handshake failed: tlsv1 alert, after 2ms" },
	{ CHECK_HTTP, HEALTH_R_HTTP_BODY, 0, 200, 3, NULL,
	    "status 200 but body mismatch after 3ms" },
	{ CHECK_HTTP, HEALTH_R_HTTP_PROTOCOL, 0, 0, 3, "invalid status line",
	    "bad HTTP response: invalid status line after 3ms" },
	{ CHECK_HTTP, HEALTH_R_HTTP_TOO_BIG, 0, 0, 3, "header block over the size limit",
	    "response too large: header block over the size limit after 3ms" },
	{ CHECK_EXEC, HEALTH_R_EXEC_STATUS, 2, 0, 15, NULL, "exit 2 after 15ms" },
	{ CHECK_EXEC, HEALTH_R_EXEC_SIGNAL, 9, 0, 1000, NULL,
	    "killed by signal 9 (Killed) after 1000ms" },
	{ CHECK_EXEC, HEALTH_R_EXEC_FAILED, ENOENT, 0, 0, NULL,
	    "cannot run the command: No such file or directory" },
	{ CHECK_TCP, HEALTH_R_CONFIG, 0, 0, 0, "no port to probe",
	    "cannot probe: no port to probe" },
	{ CHECK_TCP, HEALTH_R_LOCAL, EMFILE, 0, 0, NULL, "local error: Too many open files" },
};

/* A local fault (EMFILE...) is ours: it counts neither way and keeps the state. */
static void
test_local_fault_keeps_state(void **state)
{
	struct health_result ok, fail, local;
	struct health h;
	int i;

	(void)state;
	health_result_set(&ok, HEALTH_R_OK, 0, 1);
	health_result_set(&fail, HEALTH_R_REFUSED, 0, 1);
	health_result_set(&local, HEALTH_R_LOCAL, EMFILE, 0);

	/* up, fall 1: any backend failure would take it down; 50 local faults do not */
	health_init(&h, 2, 1, true, 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(health_report(&h, &local, i), HEALTH_SAME);
	assert_true(h.up);
	assert_false(h.seen); /* nothing said about the backend yet */
	assert_int_equal(h.local_err, EMFILE);
	assert_int_equal(h.since_ms, 0);
	/* a backend result clears the fault and counts as usual */
	assert_int_equal(health_report(&h, &fail, 60), HEALTH_WENT_DOWN);
	assert_int_equal(h.local_err, 0);

	/* down, rise 2: ok, local, ok -> up (the local fault broke no run) */
	assert_int_equal(health_report(&h, &ok, 70), HEALTH_SAME);
	assert_int_equal(health_report(&h, &local, 71), HEALTH_SAME);
	assert_int_equal(h.last.reason, HEALTH_R_OK); /* last backend result kept */
	assert_int_equal(health_report(&h, &ok, 72), HEALTH_WENT_UP);

	/* up, fall 2: fail, local, fail -> down (nor did it reset a failure run) */
	health_set_thresholds(&h, 2, 2);
	assert_int_equal(health_report(&h, &fail, 80), HEALTH_SAME);
	assert_int_equal(health_report(&h, &local, 81), HEALTH_SAME);
	assert_int_equal(health_report(&h, &fail, 82), HEALTH_WENT_DOWN);
}

static void
test_format(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		const struct fmt_case *tc = &fmt_cases[i];
		struct health_result r;
		char buf[160];

		health_result_set(&r, tc->reason, tc->detail, tc->ms);
		r.status = tc->status;
		if (tc->text != NULL)
			snprintf(r.text, sizeof(r.text), "%s", tc->text);
		health_result_fmt(tc->type, &r, buf, sizeof(buf));
		if (strcmp(buf, tc->want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, buf, tc->want);
	}
}

static void
test_reason_names(void **state)
{
	int i;

	for (i = 0; i < HEALTH_R__COUNT; i++) {
		const char *s = health_reason_str((enum health_reason)i);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown");
	}
	assert_string_equal(health_reason_str(HEALTH_R__COUNT), "unknown");
	assert_string_equal(health_reason_str(HEALTH_R_HTTP_STATUS), "http-status");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_thresholds_on_reload),
		cmocka_unit_test(test_force),
		cmocka_unit_test(test_settled),
		cmocka_unit_test(test_local_fault_keeps_state),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
