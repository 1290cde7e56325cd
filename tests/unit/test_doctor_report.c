/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for doctor/doctor_report.c: the doctor's findings as text and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doctor_report.h"
#include "json.h"
#include "util.h"

static void
fill(struct doctor_report *r)
{
	doctor_add(r, DOCTOR_OK, "kernel", "never shown", "IPVS %d.%d.%d", 1, 2, 1);
	doctor_add(r, DOCTOR_FAIL, "pool web server 192.0.2.12", "ip addr add 192.0.2.100/32 dev lo",
	    "DSR probe: no answer within %d ms", 1000);
	doctor_add(r, DOCTOR_WARN, "kernel", "sysctl -w net.ipv4.conf.eth0.rp_filter=2",
	    "rp_filter on eth0 is strict");
	doctor_add(r, DOCTOR_UNKNOWN, "aws", NULL, "not checked");
}

static void
test_text(void **state)
{
	struct doctor_report r;
	struct tbuf t;

	(void)state;
	doctor_report_init(&r);
	fill(&r);
	tbuf_init(&t);
	doctor_text(&r, &t);
	assert_string_equal(t.s,
	    "✓ kernel: IPVS 1.2.1\n"
	    "✗ pool web server 192.0.2.12: DSR probe: no answer within 1000 ms\n"
	    "    fix: ip addr add 192.0.2.100/32 dev lo\n"
	    "! kernel: rp_filter on eth0 is strict\n"
	    "    fix: sysctl -w net.ipv4.conf.eth0.rp_filter=2\n"
	    "? aws: not checked\n"
	    "doctor: 1 passed, 1 warning, 1 failed, 1 cannot tell\n");
	tbuf_free(&t);
	assert_int_equal(doctor_count(&r, DOCTOR_FAIL), 1);
	doctor_report_free(&r);
	assert_int_equal(r.n, 0);
	doctor_report_free(&r);
	doctor_report_free(NULL);
}

static void
test_empty_and_plural(void **state)
{
	struct doctor_report r;
	struct tbuf t;

	(void)state;
	doctor_report_init(&r);
	tbuf_init(&t);
	doctor_text(&r, &t);
	assert_string_equal(t.s, "doctor: 0 passed, 0 warnings, 0 failed, 0 cannot tell\n");
	tbuf_free(&t);
	/* more than the first allocation: growth keeps every finding */
	for (int i = 0; i < 40; i++)
		doctor_add(&r, i % 2 ? DOCTOR_WARN : DOCTOR_OK, "a", "f", "n%d", i);
	assert_int_equal(r.n, 40);
	assert_string_equal(r.items[39].what, "n39");
	assert_int_equal(doctor_count(&r, DOCTOR_WARN), 20);
	tbuf_init(&t);
	doctor_text(&r, &t);
	assert_non_null(strstr(t.s, "doctor: 20 passed, 20 warnings, 0 failed, 0 cannot tell\n"));
	tbuf_free(&t);
	doctor_report_free(&r);
}

static void
test_json(void **state)
{
	struct doctor_report r;
	struct json j;

	(void)state;
	doctor_report_init(&r);
	fill(&r);
	json_init(&j);
	doctor_json(&r, &j);
	assert_string_equal(json_str(&j),
	    "{\"checks\":["
	    "{\"status\":\"ok\",\"area\":\"kernel\",\"check\":\"IPVS 1.2.1\",\"fix\":null},"
	    "{\"status\":\"failed\",\"area\":\"pool web server 192.0.2.12\","
	    "\"check\":\"DSR probe: no answer within 1000 ms\","
	    "\"fix\":\"ip addr add 192.0.2.100/32 dev lo\"},"
	    "{\"status\":\"warning\",\"area\":\"kernel\",\"check\":\"rp_filter on eth0 is strict\","
	    "\"fix\":\"sysctl -w net.ipv4.conf.eth0.rp_filter=2\"},"
	    "{\"status\":\"unknown\",\"area\":\"aws\",\"check\":\"not checked\",\"fix\":null}],"
	    "\"passed\":1,\"warnings\":1,\"failed\":1,\"unknown\":1}");
	json_free(&j);
	doctor_report_free(&r);
	assert_string_equal(doctor_status_str(DOCTOR_UNKNOWN), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_empty_and_plural),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
