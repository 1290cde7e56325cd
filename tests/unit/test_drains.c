/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for drains.c: the shared, persistent set of operator drains (issue #17). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drains.h"

static struct drain_entry
mk(const char *pool, const char *server, bool drained, uint64_t stamp, const char *router)
{
	struct drain_entry e;

	memset(&e, 0, sizeof(e));
	e.pool = pool;
	assert_int_equal(sockaddr_x_parse(server, true, &e.addr), 0);
	e.drained = drained;
	e.stamp_us = stamp;
	e.router = router;
	e.who = "uid=0 pid=42 (ipvs-routerctl)";
	return e;
}

static bool
drained(const struct drains *d, const char *pool, const char *server)
{
	struct sockaddr_x a;

	assert_int_equal(sockaddr_x_parse(server, true, &a), 0);
	return drains_drained(d, pool, &a);
}

static void
text_of(const struct drains *d, struct tbuf *t)
{
	size_t i;

	tbuf_init(t);
	for (i = 0; i < d->n; i++)
		drains_format(&d->v[i], t);
}

/* The later stamp wins; an undrain is kept (it must reach the others). */
static void
test_last_writer_wins(void **state)
{
	struct drains d;
	struct drain_entry e;
	bool was;

	(void)state;
	drains_init(&d);
	e = mk("web", "192.0.2.11", true, 100, "r1");
	assert_int_equal(drains_put(&d, &e, &was), 1);
	assert_false(was);
	assert_true(drained(&d, "web", "192.0.2.11:80"));
	assert_true(drained(&d, "web", "192.0.2.11"));
	assert_false(drained(&d, "web", "192.0.2.12:80"));
	assert_false(drained(&d, "api", "192.0.2.11:80"));
	/* an older undrain loses */
	e = mk("web", "192.0.2.11", false, 99, "r2");
	assert_int_equal(drains_put(&d, &e, &was), 0);
	assert_true(was);
	assert_true(drained(&d, "web", "192.0.2.11:80"));
	/* the same entry again: nothing */
	e = mk("web", "192.0.2.11", true, 100, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 0);
	/* a newer undrain wins, and stays as a tombstone */
	e = mk("web", "192.0.2.11", false, 101, "r2");
	assert_int_equal(drains_put(&d, &e, &was), 1);
	assert_true(was);
	assert_false(drained(&d, "web", "192.0.2.11:80"));
	assert_int_equal(d.n, 1);
	assert_int_equal(drains_count(&d), 0);
	/* equal stamps: the greater router name, then "drained" */
	e = mk("web", "192.0.2.11", true, 101, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 0);
	e = mk("web", "192.0.2.11", true, 101, "r3");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	e = mk("web", "192.0.2.11", false, 101, "r3");
	assert_int_equal(drains_put(&d, &e, NULL), 0);
	assert_true(drained(&d, "web", "192.0.2.11:80"));
	drains_free(&d);
}

/* A port-specific drain covers that port only; entries stay sorted. */
static void
test_ports_and_order(void **state)
{
	struct drains d;
	struct drain_entry e;
	struct tbuf t;

	(void)state;
	drains_init(&d);
	e = mk("web", "192.0.2.12:8080", true, 5, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	e = mk("api", "[2001:db8::1]", true, 6, "r2");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	e = mk("web", "192.0.2.11", true, 7, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	assert_true(drained(&d, "web", "192.0.2.12:8080"));
	assert_false(drained(&d, "web", "192.0.2.12:80"));
	assert_false(drained(&d, "web", "192.0.2.12"));
	assert_true(drained(&d, "api", "[2001:db8::1]:443"));
	text_of(&d, &t);
	assert_string_equal(t.s,
	    "drain api [2001:db8::1] 6 r2 uid=0 pid=42 (ipvs-routerctl)\n"
	    "drain web 192.0.2.11 7 r1 uid=0 pid=42 (ipvs-routerctl)\n"
	    "drain web 192.0.2.12:8080 5 r1 uid=0 pid=42 (ipvs-routerctl)\n");
	tbuf_free(&t);
	drains_free(&d);
}

static void
count_changes(void *arg, const struct drain_entry *e, bool was)
{
	int *n = arg;

	assert_non_null(e);
	(void)was;
	(*n)++;
}

/* Any order of merges gives the same set (what the routers rely on). */
static void
test_merge_commutes(void **state)
{
	static const char *msgs[] = {
		"drain web 192.0.2.11 100 r1 uid=0 pid=1\nundrain web 192.0.2.12 50 r1 uid=0 pid=1\n",
		"undrain web 192.0.2.11 120 r2 uid=1000 pid=7 (ipvs-routerctl)\n",
		"drain web 192.0.2.12 60 r2 uid=0 pid=3\ndrain api 192.0.2.21:443 10 r3 x\n",
		"drain web 192.0.2.11 110 r3 uid=0 pid=9\n",
	};
	static const int orders[][4] = { { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 },
		{ 1, 3, 0, 2 } };
	struct drains_merge m;
	struct tbuf first, t;
	size_t k, i;
	int n;

	(void)state;
	tbuf_init(&first);
	for (k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		struct drains d;

		drains_init(&d);
		for (i = 0; i < 4; i++) {
			const char *s = msgs[orders[k][i]];

			n = 0;
			drains_merge_text(&d, s, strlen(s), 1000, 0, count_changes, &n, &m);
			assert_int_equal(m.bad, 0);
			assert_int_equal((size_t)n, m.taken);
			/* twice: idempotent */
			drains_merge_text(&d, s, strlen(s), 1000, 0, NULL, NULL, &m);
			assert_int_equal(m.taken, 0);
		}
		text_of(&d, &t);
		if (k == 0)
			first = t;
		else {
			assert_string_equal(t.s, first.s);
			tbuf_free(&t);
		}
		drains_free(&d);
	}
	assert_string_equal(first.s, "drain api 192.0.2.21:443 10 r3 x\n"
				     "undrain web 192.0.2.11 120 r2 uid=1000 pid=7 (ipvs-routerctl)\n"
				     "drain web 192.0.2.12 60 r2 uid=0 pid=3\n");
	tbuf_free(&first);
}

/* Bad lines are counted, named and skipped; the good ones still go in. */
static void
test_bad_lines(void **state)
{
	static const char text[] =
	    "# ipvs-router drains\n"
	    "\n"
	    "drain web 192.0.2.11 100 r1 uid=0 pid=1\n"
	    "drain web 192.0.2.11 100 r1\n"			/* 4: no WHO */
	    "pause web 192.0.2.12 100 r1 who\n"		/* 5 */
	    "drain w/b 192.0.2.12 100 r1 who\n"		/* 6 */
	    "drain web 192.0.2.300 100 r1 who\n"		/* 7 */
	    "drain web 192.0.2.12 -4 r1 who\n"			/* 8 */
	    "drain web 192.0.2.12 0 r1 who\n"			/* 9 */
	    "drain web 192.0.2.12 100 r!1 who\n"		/* 10 */
	    "drain web 192.0.2.12 100 r1 who\tnot printable\n" /* 11 */
	    "drain web 192.0.2.13 999999 r1 from the future\n" /* 12: > now + ahead */
	    "drain web 192.0.2.14 200 r1 last line, no newline";
	struct drains_merge m;
	struct drains d;
	char big[DRAINS_LINE_MAX + 40];

	(void)state;
	drains_init(&d);
	drains_merge_text(&d, text, strlen(text), 1000, 500, NULL, NULL, &m);
	assert_int_equal(m.taken, 2);
	assert_int_equal(m.bad, 9);
	assert_int_equal(m.first_bad_line, 4);
	assert_non_null(m.first_bad_why);
	assert_true(drained(&d, "web", "192.0.2.11"));
	assert_true(drained(&d, "web", "192.0.2.14"));
	assert_false(drained(&d, "web", "192.0.2.13"));
	/* a line longer than any valid one, and a NUL byte */
	memset(big, 'a', sizeof(big));
	memcpy(big, "drain web 192.0.2.15 5 r1 ", 26);
	drains_merge_text(&d, big, sizeof(big), 1000, 0, NULL, NULL, &m);
	assert_int_equal(m.bad, 1);
	assert_string_equal(m.first_bad_why, "line too long");
	drains_merge_text(&d, "drain web 192.0.2.15 5 r1 a\0b\n", 30, 1000, 0, NULL, NULL, &m);
	assert_int_equal(m.bad, 1);
	assert_string_equal(m.first_bad_why, "NUL byte");
	assert_int_equal(d.n, 2);
	drains_free(&d);
}

/* A formatted entry parses back to itself (IPv6 without a port too). */
static void
test_round_trip(void **state)
{
	static const char *servers[] = { "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]",
		"[2001:db8::1]:443" };
	struct drain_entry e, back;
	const char *why = NULL;
	struct tbuf t;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		e = mk("p-1.x_y", servers[i], i % 2 == 0, 1796301520735739ULL, "router-a");
		tbuf_init(&t);
		drains_format(&e, &t);
		assert_true(t.len <= DRAINS_LINE_MAX + 1);
		t.s[t.len - 1] = '\0';
		assert_int_equal(drains_parse_line(t.s, &back, &why), 0);
		assert_string_equal(back.pool, e.pool);
		assert_int_equal(sockaddr_x_cmp(&back.addr, &e.addr), 0);
		assert_int_equal(back.drained, e.drained);
		assert_true(back.stamp_us == e.stamp_us);
		assert_string_equal(back.router, e.router);
		assert_string_equal(back.who, e.who);
		tbuf_free(&t);
	}
}

/* Undrains are forgotten after DRAINS_TOMBSTONE_US; drains never. */
static void
test_expire(void **state)
{
	struct drains d;
	struct drain_entry e;
	uint64_t t0 = 1796301520000000ULL;

	(void)state;
	drains_init(&d);
	e = mk("web", "192.0.2.11", false, t0, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	e = mk("web", "192.0.2.12", true, t0, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	assert_int_equal(drains_expire(&d, t0 + DRAINS_TOMBSTONE_US), 0);
	assert_int_equal(drains_expire(&d, t0 + DRAINS_TOMBSTONE_US + 1), 1);
	assert_int_equal(d.n, 1);
	assert_true(drained(&d, "web", "192.0.2.12"));
	drains_free(&d);
	drains_free(NULL);
}

static void
piece(void *arg, const char *s, size_t len)
{
	struct drains *d = arg;
	struct drains_merge m;

	assert_true(len <= 300);
	assert_int_equal(s[len - 1], '\n');
	drains_merge_text(d, s, len, 0, 0, NULL, NULL, &m);
	assert_int_equal(m.bad, 0);
}

/* The set cut into pieces at line ends merges back whole; the cap holds. */
static void
test_pieces(void **state)
{
	struct drains d, back;
	struct drain_entry e;
	struct tbuf a, b;
	char s[32];
	size_t i, n;

	(void)state;
	drains_init(&d);
	drains_init(&back);
	assert_int_equal(drains_pieces(&d, 300, piece, &back), 0);
	for (i = 0; i < 40; i++) {
		snprintf(s, sizeof(s), "192.0.2.%zu:80", i + 1);
		e = mk("web", s, i % 3 != 0, 1000 + i, "r1");
		assert_int_equal(drains_put(&d, &e, NULL), 1);
	}
	n = drains_pieces(&d, 300, piece, &back);
	assert_true(n >= 10);
	text_of(&d, &a);
	text_of(&back, &b);
	assert_string_equal(a.s, b.s);
	tbuf_free(&a);
	tbuf_free(&b);
	drains_free(&d);
	drains_free(&back);
}

/* The set is bounded. */
static void
test_full(void **state)
{
	struct drains d;
	struct drain_entry e;
	char s[48];
	size_t i;

	(void)state;
	drains_init(&d);
	for (i = 0; i < DRAINS_MAX; i++) {
		snprintf(s, sizeof(s), "10.%zu.%zu.%zu", i >> 16 & 255, i >> 8 & 255, i & 255);
		e = mk("web", s, true, 1 + i, "r1");
		assert_int_equal(drains_put(&d, &e, NULL), 1);
	}
	e = mk("web", "192.0.2.1", true, 1, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), -ENOSPC);
	/* an existing one still changes */
	e = mk("web", "10.0.0.5", false, 99999, "r1");
	assert_int_equal(drains_put(&d, &e, NULL), 1);
	e.who = "";
	assert_int_equal(drains_put(&d, &e, NULL), -EINVAL);
	drains_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_writer_wins),
		cmocka_unit_test(test_ports_and_order),
		cmocka_unit_test(test_merge_commutes),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests_name("drains", tests, NULL, NULL);
}
