/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for util.c: addresses, integers, names, error lists, jitter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

struct addr_case {
	const char *in;
	bool allow_port;
	int rc;
	int af;
	unsigned port;
	const char *fmt;	/* sockaddr_x_fmt output when rc == 0 */
};

static const struct addr_case addr_cases[] = {
	{ "192.0.2.1", false, 0, AF_INET, 0, "192.0.2.1" },
	{ "192.0.2.1:80", true, 0, AF_INET, 80, "192.0.2.1:80" },
	{ "192.0.2.1:80", false, -EINVAL, 0, 0, NULL },
	{ "192.0.2.1:0", true, -EINVAL, 0, 0, NULL },
	{ "192.0.2.1:65536", true, -EINVAL, 0, 0, NULL },
	{ "192.0.2.1:", true, -EINVAL, 0, 0, NULL },
	{ "192.0.2.256", false, -EINVAL, 0, 0, NULL },
	{ "2001:db8::1", false, 0, AF_INET6, 0, "2001:db8::1" },
	{ "2001:db8::1", true, 0, AF_INET6, 0, "2001:db8::1" },
	{ "[2001:db8::1]", false, 0, AF_INET6, 0, "2001:db8::1" },
	{ "[2001:db8::1]:443", true, 0, AF_INET6, 443, "[2001:db8::1]:443" },
	{ "[2001:db8::1]443", true, -EINVAL, 0, 0, NULL },
	{ "[2001:db8::1", true, -EINVAL, 0, 0, NULL },
	{ "[192.0.2.1]:80", true, -EINVAL, 0, 0, NULL },
	{ "", true, -EINVAL, 0, 0, NULL },
	{ "example.com", true, -EINVAL, 0, 0, NULL },
	{ " 192.0.2.1", true, -EINVAL, 0, 0, NULL },
};

static void
test_addr_parse_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *tc = &addr_cases[i];
		struct sockaddr_x sa;
		char buf[SOCKADDR_X_STRLEN];
		int rc;

		memset(&sa, 0, sizeof(sa));
		rc = sockaddr_x_parse(tc->in, tc->allow_port, &sa);
		if (rc != tc->rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i, tc->in, rc, tc->rc);
		if (rc != 0)
			continue;
		assert_int_equal(sa.af, tc->af);
		assert_int_equal(sa.port, tc->port);
		assert_string_equal(sockaddr_x_fmt(&sa, buf, sizeof(buf)), tc->fmt);
	}
}

static void
test_addr_order(void **state)
{
	struct sockaddr_x a, b, c, d;

	assert_int_equal(sockaddr_x_parse("192.0.2.1:80", true, &a), 0);
	assert_int_equal(sockaddr_x_parse("192.0.2.1:81", true, &b), 0);
	assert_int_equal(sockaddr_x_parse("192.0.2.2:1", true, &c), 0);
	assert_int_equal(sockaddr_x_parse("[2001:db8::1]:1", true, &d), 0);
	assert_true(sockaddr_x_cmp(&a, &b) < 0);
	assert_true(sockaddr_x_cmp(&b, &a) > 0);
	assert_true(sockaddr_x_cmp(&b, &c) < 0);	/* address before port */
	assert_true(sockaddr_x_cmp(&c, &d) < 0);	/* IPv4 before IPv6 */
	assert_int_equal(sockaddr_x_cmp(&a, &a), 0);
	assert_int_equal(sockaddr_x_cmp_addr(&a, &b), 0);
}

static void
test_addr_sa_roundtrip(void **state)
{
	const char *in[] = { "192.0.2.7:8080", "[2001:db8::7]:443" };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct sockaddr_x a, b;
		struct sockaddr_storage ss;
		socklen_t len;

		assert_int_equal(sockaddr_x_parse(in[i], true, &a), 0);
		len = sockaddr_x_to_sa(&a, &ss);
		assert_true(len > 0);
		assert_int_equal(sockaddr_x_from_sa((struct sockaddr *)&ss, &b), 0);
		assert_int_equal(sockaddr_x_cmp(&a, &b), 0);
	}
}

static void
test_parse_int(void **state)
{
	long long v = 0;

	assert_int_equal(parse_int("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_int("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_int("101", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_int("99999999999999999999", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_int("4x", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_int("", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_int(" 4", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_int(NULL, 0, 100, &v), -EINVAL);
}

static void
test_name_valid(void **state)
{
	char longname[80];

	assert_true(name_valid("router-a"));
	assert_true(name_valid("api.v2_x"));
	assert_true(name_valid("0"));
	assert_false(name_valid(""));
	assert_false(name_valid(NULL));
	assert_false(name_valid("-a"));
	assert_false(name_valid("a b"));
	assert_false(name_valid("a/b"));
	memset(longname, 'a', 63);
	longname[63] = '\0';
	assert_true(name_valid(longname));
	longname[63] = 'a';
	longname[64] = '\0';
	assert_false(name_valid(longname));
}

static void
test_errlist(void **state)
{
	struct errlist el;
	size_t i;

	errlist_init(&el);
	errlist_add(&el, "f.conf", 3, "vips[0].name", "bad %s", "thing");
	errlist_add(&el, "f.conf", 0, NULL, "cannot open");
	errlist_add(&el, NULL, 0, "x", "y");
	for (i = 0; i < 20; i++)		/* growth */
		errlist_add(&el, "f", 1, NULL, "%zu", i);
	assert_int_equal(el.n, 23);
	assert_string_equal(el.msgs[0], "f.conf:3: vips[0].name: bad thing");
	assert_string_equal(el.msgs[1], "f.conf: cannot open");
	assert_string_equal(el.msgs[2], "x: y");
	errlist_clear(&el);
	assert_int_equal(el.n, 0);
	errlist_clear(&el);
	errlist_clear(NULL);
}

static void
test_jitter_bounds(void **state)
{
	int i;
	bool below = false, above = false;

	for (i = 0; i < 1000; i++) {
		int64_t j = jitter(1000, 10);

		assert_true(j >= 900 && j <= 1100);
		below |= j < 1000;
		above |= j > 1000;
	}
	assert_true(below && above);	/* it spreads both ways */
	assert_int_equal(jitter(1000, 0), 1000);
	assert_int_equal(jitter(0, 10), 0);
}

static void
test_clock_monotonic(void **state)
{
	int64_t a = mono_us(), b = mono_us();

	assert_true(b >= a);
	assert_true(mono_ms() >= a / 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse_table),
		cmocka_unit_test(test_addr_order),
		cmocka_unit_test(test_addr_sa_roundtrip),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_errlist),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_clock_monotonic),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
