/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for checks.c, the health table, without an event loop: probes
 * are created and scheduled but never run (no loop: their timers are not
 * started), which is enough to test what the table is made of - one entry
 * per (pool, destination), one probe per distinct (target, check), initial
 * states, and identity across applies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks.h"
#include "log.h"
#include "testutil.h"

static unsigned pool_reports, pool_unhealthy;

static void
on_pool(void *arg, const char *pool, bool healthy, unsigned up, unsigned total, unsigned min)
{
	pool_reports++;
	if (!healthy)
		pool_unhealthy++;
}

static struct config *
load(const char *text)
{
	struct errlist el;
	struct config *c = t_conf(text, NULL, &el);

	if (c == NULL) {
		t_dump_errors(&el);
		fail_msg("configuration refused");
	}
	errlist_clear(&el);
	return c;
}

static struct sockaddr_x
sa(const char *s)
{
	struct sockaddr_x x;

	assert_int_equal(sockaddr_x_parse(s, true, &x), 0);
	return x;
}

static const struct health *
health_of(const struct checks *cs, const char *pool, const char *dest)
{
	struct sockaddr_x d = sa(dest);
	struct checks_entry e;
	size_t i;

	for (i = 0; checks_entry(cs, i, &e); i++)
		if (strcmp(e.pool, pool) == 0 && sockaddr_x_cmp(&e.dest, &d) == 0)
			return e.health;
	return NULL;
}

/* Two pools share a server with the same check (rise/fall differ): one probe. */
static void
test_dedup_and_ports(void **state)
{
	const struct checks_hooks hooks = { NULL, on_pool, NULL, NULL };
	struct config *c = load(
	    "vips = ( { name = \"v\"; address = \"198.51.100.10\"; interface = \"eth0\";\n"
	    "  services = ( { port = 80; pool = \"a\"; }, { port = 443; pool = \"a\"; method = \"nat\"; },\n"
	    "               { port = 81; pool = \"b\"; method = \"nat\"; }, { fwmark = 7; pool = \"f\"; } ); } );\n"
	    "pools = (\n"
	    " { name = \"a\"; check = { type = \"http\"; rise = 1; };\n"
	    "   servers = ( { address = \"192.0.2.11\"; }, { address = \"192.0.2.12\"; port = 80; } ); },\n"
	    " { name = \"b\"; port = 80; check = { type = \"http\"; rise = 5; fall = 1; };\n"
	    "   servers = ( { address = \"192.0.2.12\"; } ); },\n"
	    " { name = \"f\"; initial_state = \"up\"; check = { type = \"tcp\"; port = 22; };\n"
	    "   servers = ( { address = \"192.0.2.13\"; } ); },\n"
	    " { name = \"n\"; check = { type = \"none\"; };\n"
	    "   servers = ( { address = \"192.0.2.14\"; port = 80; } ); }\n"
	    ");\n");
	struct checks *cs;
	struct sockaddr_x d;

	pool_reports = pool_unhealthy = 0;
	cs = checks_new(&hooks);
	checks_apply(cs, c);
	/* a: .11 on 80 and 443 (pool port 0, two services), .12:80; b: .12:80;
	 * f: .13 port 0 (fwmark); n: .14:80 */
	assert_int_equal(checks_count(cs), 6);
	/* probes: .11:80, .11:443, .12:80 (shared by a and b), .13:22; none for n */
	assert_int_equal(checks_probe_count(cs), 4);
	assert_non_null(health_of(cs, "a", "192.0.2.11:80"));
	assert_non_null(health_of(cs, "a", "192.0.2.11:443"));
	assert_non_null(health_of(cs, "b", "192.0.2.12:80"));
	assert_non_null(health_of(cs, "f", "192.0.2.13"));

	/* initial states: down, except pool f (up) and type none (always up) */
	d = sa("192.0.2.11:80");
	assert_false(checks_server_up(cs, "a", &d));
	d = sa("192.0.2.13");
	assert_true(checks_server_up(cs, "f", &d));
	d = sa("192.0.2.14:80");
	assert_true(checks_server_up(cs, "n", &d));
	/* port 0: every entry of the address */
	d = sa("192.0.2.11");
	assert_false(checks_server_up(cs, "a", &d));
	/* unknown server: its pool's initial state; unknown pool: up */
	d = sa("192.0.2.99:80");
	assert_false(checks_server_up(cs, "a", &d));
	assert_true(checks_server_up(cs, "f", &d));
	assert_true(checks_server_up(cs, "nosuchpool", &d));
	/* f and n (servers up from the start) are reported healthy at once; a and b
	 * have only servers still waiting for their first verdict, so no verdict on
	 * those pools yet - a router must not give a VIP up while its servers rise */
	assert_int_equal(pool_reports, 2);
	assert_int_equal(pool_unhealthy, 0);
	/* rise/fall per entry, although the probe is shared */
	assert_int_equal(health_of(cs, "a", "192.0.2.12:80")->rise, 1);
	assert_int_equal(health_of(cs, "b", "192.0.2.12:80")->rise, 5);

	checks_free(cs);
	config_free(c);
}

/* A re-apply keeps every entry (same health object) and every probe. */
static void
test_identity_across_apply(void **state)
{
	static const char *text_a =
	    "pools = ( { name = \"p\"; initial_state = \"up\"; check = { type = \"tcp\"; };\n"
	    "  servers = ( { address = \"192.0.2.11\"; port = 80; },\n"
	    "              { address = \"192.0.2.12\"; port = 80; } ); } );\n";
	static const char *text_b =
	    "pools = ( { name = \"p\"; initial_state = \"down\"; check = { type = \"tcp\"; fall = 9; };\n"
	    "  servers = ( { address = \"192.0.2.11\"; port = 80; },\n"
	    "              { address = \"192.0.2.12\"; port = 80; check = { type = \"http\"; }; },\n"
	    "              { address = \"192.0.2.13\"; port = 80; } ); } );\n";
	const struct checks_hooks hooks = { NULL, on_pool, NULL, NULL };
	struct config *a = load(text_a), *b = load(text_b);
	const struct health *h11, *h12;
	struct checks *cs;
	struct sockaddr_x d;
	unsigned up = 0, total = 0;

	pool_reports = pool_unhealthy = 0;
	cs = checks_new(&hooks);
	checks_apply(cs, a);
	h11 = health_of(cs, "p", "192.0.2.11:80");
	h12 = health_of(cs, "p", "192.0.2.12:80");
	assert_true(h11->up && h12->up);
	assert_true(checks_pool_count(cs, "p", &up, &total));
	assert_int_equal(up, 2);
	assert_int_equal(total, 2);

	checks_apply(cs, b);
	/* kept by identity: same entries, state kept although initial_state changed */
	assert_ptr_equal(health_of(cs, "p", "192.0.2.11:80"), h11);
	assert_ptr_equal(health_of(cs, "p", "192.0.2.12:80"), h12);
	assert_true(h11->up && h12->up);
	assert_int_equal(h11->fall, 9);
	/* the new server starts as the pool now says: down */
	d = sa("192.0.2.13:80");
	assert_false(checks_server_up(cs, "p", &d));
	assert_true(checks_pool_count(cs, "p", &up, &total));
	assert_int_equal(up, 2);
	assert_int_equal(total, 3);
	assert_int_equal(checks_probe_count(cs), 3);

	/* back to a: .13 forgotten */
	checks_apply(cs, a);
	assert_null(health_of(cs, "p", "192.0.2.13:80"));
	assert_ptr_equal(health_of(cs, "p", "192.0.2.11:80"), h11);
	assert_int_equal(checks_count(cs), 2);
	assert_false(checks_pool_count(cs, "nosuchpool", NULL, NULL));

	checks_free(cs);
	config_free(a);
	config_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedup_and_ports),
		cmocka_unit_test(test_identity_across_apply),
	};

	log_init("test_checks", true, LOG_WARNING, LOG_DAEMON);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
