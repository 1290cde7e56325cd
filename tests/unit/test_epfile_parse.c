/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for epfile_parse.c: the grammar (table-driven good and bad
 * lines), sorting and de-duplication, limits, and the set diff.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "epfile_parse.h"

static int
parse(const char *text, struct epset *s, struct errlist *el)
{
	errlist_init(el);
	return epfile_parse(text, strlen(text), "ep", s, el);
}

static bool
has(const struct errlist *el, const char *needle)
{
	size_t i;

	for (i = 0; i < el->n; i++)
		if (strstr(el->msgs[i], needle) != NULL)
			return true;
	return false;
}

struct good_case {
	const char *line;
	const char *addr;	/* formatted */
	int weight;
	bool drain;
};

static const struct good_case good_cases[] = {
	{ "192.0.2.10", "192.0.2.10", -1, false },
	{ "192.0.2.10:8443", "192.0.2.10:8443", -1, false },
	{ "  192.0.2.10\tweight=5  ", "192.0.2.10", 5, false },
	{ "192.0.2.10 drain", "192.0.2.10", -1, true },
	{ "192.0.2.10 weight=0 drain # retiring", "192.0.2.10", 0, true },
	{ "192.0.2.10\r", "192.0.2.10", -1, false },
	{ "2001:db8::10", "2001:db8::10", -1, false },
	{ "[2001:db8::10]", "2001:db8::10", -1, false },
	{ "[2001:db8::10]:443 weight=65535", "[2001:db8::10]:443", 65535, false },
};

static void
test_good_lines(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *tc = &good_cases[i];
		struct epset s;
		struct errlist el;
		char a[SOCKADDR_X_STRLEN];

		if (parse(tc->line, &s, &el) != 0)
			fail_msg("case \"%s\": %s", tc->line, el.n ? el.msgs[0] : "?");
		assert_int_equal(s.n, 1);
		assert_string_equal(sockaddr_x_fmt(&s.v[0].addr, a, sizeof(a)), tc->addr);
		assert_int_equal(s.v[0].weight, tc->weight);
		assert_int_equal(s.v[0].drain, tc->drain);
		epset_free(&s);
		errlist_clear(&el);
	}
}

struct bad_case {
	const char *text;
	const char *want;
};

static const struct bad_case bad_cases[] = {
	{ "192.0.2.300\n", "ep:1: \"192.0.2.300\" is not ADDRESS" },
	{ "# ok\n\nhost.example\n", "ep:3: \"host.example\"" },
	{ "192.0.2.1:0\n", "\"192.0.2.1:0\" is not" },
	{ "192.0.2.1:70000\n", "is not ADDRESS" },
	{ "2001:db8::1:443x\n", "is not ADDRESS" },
	{ "192.0.2.1 weight=70000\n", "weight must be 0..65535" },
	{ "192.0.2.1 weight=\n", "weight must be 0..65535" },
	{ "192.0.2.1 weight=-1\n", "weight must be 0..65535" },
	{ "192.0.2.1 weight=1 weight=2\n", "weight given twice" },
	{ "192.0.2.1 heavy\n", "unknown word \"heavy\"" },
	{ "192.0.2.1\n192.0.2.1 weight=3\n", "ep:2: 192.0.2.1 is also on line 1 with other attributes" },
};

static void
test_bad_input(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct epset s;
		struct errlist el;

		if (parse(bad_cases[i].text, &s, &el) != -EINVAL || !has(&el, bad_cases[i].want)) {
			print_message("case %zu: want error containing %s\n", i, bad_cases[i].want);
			for (size_t k = 0; k < el.n; k++)
				print_message("  %s\n", el.msgs[k]);
			fail();
		}
		assert_int_equal(s.n, 0);	/* nothing half-parsed escapes */
		assert_null(s.v);
		errlist_clear(&el);
	}
}

static void
test_nul_byte_and_long_line(void **state)
{
	struct epset s;
	struct errlist el;
	char buf[EPFILE_LINE_MAX + 32];

	errlist_init(&el);
	assert_int_equal(epfile_parse("192.0.2.1\n\0\n", 12, "ep", &s, &el), -EINVAL);
	assert_true(has(&el, "NUL byte"));
	errlist_clear(&el);
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "192.0.2.1", 9);
	buf[sizeof(buf) - 1] = '\n';
	assert_int_equal(epfile_parse(buf, sizeof(buf), "ep", &s, &el), -EINVAL);
	assert_true(has(&el, "ep:1: line longer than 1024 bytes"));
	errlist_clear(&el);
}

/* Every error is reported up to a cap, then counted. */
static void
test_error_cap(void **state)
{
	struct epset s;
	struct errlist el;
	char *text = malloc(30 * 8 + 1), *p = text;
	int i;

	for (i = 0; i < 30; i++)
		p += sprintf(p, "bogus%02d\n", i);
	assert_int_equal(parse(text, &s, &el), -EINVAL);
	assert_int_equal(el.n, 21);
	assert_true(has(&el, "ep: 10 more errors not shown"));
	errlist_clear(&el);
	free(text);
}

static void
test_sorted_and_deduplicated(void **state)
{
	struct epset s;
	struct errlist el;
	char a[SOCKADDR_X_STRLEN];

	assert_int_equal(parse("# pool api\n"
	    "[2001:db8::2]:443\n"
	    "192.0.2.20:443 weight=2\n"
	    "192.0.2.3:443\n"
	    "192.0.2.20:443 weight=2   # again, same attributes\n"
	    "192.0.2.3:80\n", &s, &el), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(sockaddr_x_fmt(&s.v[0].addr, a, sizeof(a)), "192.0.2.3:80");
	assert_string_equal(sockaddr_x_fmt(&s.v[1].addr, a, sizeof(a)), "192.0.2.3:443");
	assert_string_equal(sockaddr_x_fmt(&s.v[2].addr, a, sizeof(a)), "192.0.2.20:443");
	assert_int_equal(s.v[2].line, 3);	/* first occurrence kept */
	assert_string_equal(sockaddr_x_fmt(&s.v[3].addr, a, sizeof(a)), "[2001:db8::2]:443");
	epset_free(&s);
	epset_free(&s);
	errlist_clear(&el);
}

static void
test_empty_and_comments_only(void **state)
{
	struct epset s;
	struct errlist el;

	assert_int_equal(parse("", &s, &el), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(parse("# nothing\n\n   \n", &s, &el), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(parse("192.0.2.1", &s, &el), 0);	/* no final newline */
	assert_int_equal(s.n, 1);
	epset_free(&s);
	errlist_clear(&el);
}

static void
test_large_file(void **state)
{
	size_t n = 10000, i;
	char *text = malloc(n * 32), *p = text;
	struct epset s;
	struct errlist el;

	for (i = n; i > 0; i--)		/* reverse order: the sort has work to do */
		p += sprintf(p, "198.51.%zu.%zu:443 weight=%zu\n", (i - 1) / 250, (i - 1) % 250 + 1,
		    i % 7);
	errlist_init(&el);
	assert_int_equal(epfile_parse(text, (size_t)(p - text), "ep", &s, &el), 0);
	assert_int_equal(s.n, n);
	for (i = 1; i < n; i++)
		assert_true(sockaddr_x_cmp(&s.v[i - 1].addr, &s.v[i].addr) < 0);
	assert_non_null(epset_find(&s, &s.v[1234].addr));
	epset_free(&s);
	free(text);
	errlist_clear(&el);
}

static void
test_too_many(void **state)
{
	size_t n = EPFILE_MAX_ENDPOINTS + 1, i;
	char *text = malloc(n * 24), *p = text;
	struct epset s;
	struct errlist el;

	for (i = 0; i < n; i++)
		p += sprintf(p, "10.%zu.%zu.%zu\n", i >> 16, (i >> 8) & 255, i & 255);
	errlist_init(&el);
	assert_int_equal(epfile_parse(text, (size_t)(p - text), "ep", &s, &el), -E2BIG);
	assert_true(has(&el, "more than 100000 endpoints"));
	assert_int_equal(s.n, 0);
	free(text);
	errlist_clear(&el);
}

static void
test_find_and_diff(void **state)
{
	struct epset a, b, c;
	struct errlist el;
	struct epset_delta d;
	struct sockaddr_x x;

	assert_int_equal(parse("192.0.2.1\n192.0.2.2\n192.0.2.3 weight=2\n192.0.2.4\n", &a, &el), 0);
	assert_int_equal(parse("192.0.2.2\n192.0.2.3 weight=3\n192.0.2.4\n192.0.2.5\n192.0.2.6\n",
	    &b, &el), 0);
	epset_diff(&a, &b, &d);
	assert_int_equal(d.removed, 1);
	assert_int_equal(d.added, 2);
	assert_int_equal(d.changed, 1);
	assert_int_equal(d.kept, 2);
	epset_copy(&c, &b);
	epset_diff(&b, &c, &d);
	assert_int_equal(d.kept, 5);
	assert_int_equal(d.added + d.removed + d.changed, 0);
	sockaddr_x_parse("192.0.2.5", false, &x);
	assert_non_null(epset_find(&b, &x));
	sockaddr_x_parse("192.0.2.1", false, &x);
	assert_null(epset_find(&b, &x));
	epset_free(&a);
	epset_free(&b);
	epset_free(&c);
	errlist_clear(&el);
}

static void
test_safety_rails(void **state)
{
	struct epset ten, two, none, nine;
	struct errlist el;
	char why[160];

	assert_int_equal(parse("10.0.0.1\n10.0.0.2\n10.0.0.3\n10.0.0.4\n10.0.0.5\n"
	    "10.0.0.6\n10.0.0.7\n10.0.0.8\n10.0.0.9\n10.0.0.10\n", &ten, &el), 0);
	assert_int_equal(parse("10.0.0.1\n10.0.0.2\n", &two, &el), 0);
	assert_int_equal(parse("# empty\n", &none, &el), 0);
	assert_int_equal(parse("10.0.0.1\n10.0.0.2\n10.0.0.3\n10.0.0.4\n10.0.0.5\n"
	    "10.0.0.6\n10.0.0.7\n10.0.0.8\n10.0.0.9\n", &nine, &el), 0);

	/* dropping 8 of 10 (80%) is refused at 50%, allowed at 80% */
	assert_int_equal(epset_accept(&ten, true, &two, false, 50, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "would remove 8 of 10 endpoints (80% > max_drop_percent 50)");
	assert_int_equal(epset_accept(&ten, true, &two, false, 80, why, sizeof(why)), 0);
	/* exactly at the limit passes; one over does not */
	assert_int_equal(epset_accept(&ten, true, &nine, false, 10, why, sizeof(why)), 0);
	assert_int_equal(epset_accept(&ten, true, &nine, false, 9, why, sizeof(why)), -EPERM);
	/* empty: refused unless allowed, whatever max_drop_percent says */
	assert_int_equal(epset_accept(&ten, true, &none, false, 100, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "lists no endpoints"));
	assert_int_equal(epset_accept(&ten, true, &none, true, 0, why, sizeof(why)), 0);
	/* the first set: only the empty rule applies */
	assert_int_equal(epset_accept(&none, false, &two, false, 0, why, sizeof(why)), 0);
	assert_int_equal(epset_accept(&none, false, &none, false, 50, why, sizeof(why)), -EPERM);
	/* growing is always fine */
	assert_int_equal(epset_accept(&two, true, &ten, false, 0, why, sizeof(why)), 0);
	epset_free(&ten);
	epset_free(&two);
	epset_free(&none);
	epset_free(&nine);
	errlist_clear(&el);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_nul_byte_and_long_line),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_sorted_and_deduplicated),
		cmocka_unit_test(test_empty_and_comments_only),
		cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_find_and_diff),
		cmocka_unit_test(test_safety_rails),
	};

	return cmocka_run_group_tests_name("epfile_parse", tests, NULL, NULL);
}
