/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for conf_dump.c: the canonical form re-parses to itself,
 * spells defaults out, and quotes what needs quoting.
 */
#include "testutil.h"

/* dump(load(text)) == dump(load(dump(load(text)))) */
static char *
roundtrip(const char *text, const char *router)
{
	struct errlist el;
	struct config *c = t_conf(text, router, &el), *c2;
	char *d1, *d2;

	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	d1 = conf_dump_string(c);
	assert_non_null(d1);
	errlist_clear(&el);
	c2 = t_conf(d1, router, &el);
	if (c2 == NULL) {
		print_message("%s\n", d1);
		t_dump_errors(&el);
	}
	assert_non_null(c2);
	d2 = conf_dump_string(c2);
	assert_string_equal(d1, d2);
	free(d2);
	config_free(c);
	config_free(c2);
	errlist_clear(&el);
	return d1;
}

static void
test_roundtrip_minimal(void **state)
{
	char *d = roundtrip(T_POOL T_VIP, NULL);

	/* defaults spelled out */
	assert_non_null(strstr(d, "scheduler = \"wlc\";"));
	assert_non_null(strstr(d, "reconcile_interval_ms = 30000;"));
	assert_non_null(strstr(d, "type = \"tcp\";"));
	assert_null(strstr(d, "election = {"));		/* standalone stays standalone */
	free(d);
}

static void
test_roundtrip_everything(void **state)
{
	char *d = roundtrip(
	    "router = { name = \"a\"; interface = \"eth0\"; endpoints_dir = \"/var/lib/e\"; };\n"
	    "ipvs = { sloppy_tcp = true; flush_on_exit = true; };\n"
	    "checks = { allow_exec = true; jitter_percent = 0; };\n"
	    "election = { advert_interval_ms = 20; auth_key_file = \"/etc/k\"; preempt_delay_ms = 5000;"
	    " notify = { command = [ \"/usr/bin/n\", \"a b\" ]; timeout_ms = 900; };"
	    " peers = ( { name = \"b\"; address = \"2001:db8::2\"; }, { name = \"a\"; address = \"192.0.2.1\"; } ); };\n"
	    "aws = { region = \"eu-west-1\"; ec2_endpoint = \"https://127.0.0.1:8443\"; ca_file = \"/ca\"; };\n"
	    "control = { group = \"adm\"; mode = \"0600\"; };\n"
	    "metrics = { listen = \"[::1]:9100\"; };\n"
	    "vips = ( { name = \"v6\"; address = \"2001:db8::100\"; vrid = 3;"
	    " services = ( { protocol = \"sctp\"; port = 9; pool = \"p6\"; method = \"nat\"; } ); },"
	    " { name = \"v4\"; address = \"198.51.100.1\"; vrid = 3; priority = { b = 9; a = 200; };"
	    " on_pool_failure = \"lower-priority\"; priority_decrement = 20;"
	    " garp = { count = 5; interval_ms = 50; refresh_ms = 60000; };"
	    " eip = { allocation_id = \"eipalloc-9\"; private_ip = { b = \"10.0.2.5\"; a = \"10.0.1.5\"; }; };"
	    " services = ( { fwmark = 4000000000L; pool = \"p4\"; scheduler = \"mh\";"
	    " scheduler_flags = [ \"mh-port\", \"mh-fallback\" ]; },"
	    " { protocol = \"udp\"; port = 53; pool = \"p4\"; scheduler = \"sh\";"
	    " scheduler_flags = [ \"ops\", \"sh-port\" ]; persistence_timeout_s = 300; persistence_prefix = 24; },"
	    " { port = 443; pool = \"p4\"; method = \"tun\"; tunnel = { type = \"gue\"; port = 6080; checksum = true; }; } ); } );\n"
	    "pools = ( { name = \"p6\"; port = 8080; endpoints_file = \"/e/p6\"; allow_empty = true; min_servers = 0; },"
	    " { name = \"p4\"; remove_failed = true; initial_state = \"up\";"
	    " check = { type = \"https\"; port = 8443; path = \"/h?x=\\\"1\\\"\"; host = \"api.example\";"
	    " expect = [ \"200-204\", \"301\" ]; body = \"tab\\there\"; sni = \"api.example\"; ca_file = \"/ca\";"
	    " client_cert = \"/c\"; client_key = \"/k\"; verify = false; };"
	    " servers = ( { address = \"192.0.2.12\"; weight = 0; drain = true; upper_threshold = 100;"
	    " lower_threshold = 10; check = { type = \"exec\"; command = [ \"/bin/check\", \"--x\" ]; }; },"
	    " { address = \"192.0.2.11\"; check = { verify = true; path = \"/o\"; }; } ); } );\n", "a");

	assert_non_null(strstr(d, "fwmark = 4000000000L;"));
	assert_non_null(strstr(d, "listen = \"[::1]:9100\";"));
	assert_non_null(strstr(d, "path = \"/h?x=\\\"1\\\"\";"));
	assert_non_null(strstr(d, "body = \"tab\\there\";"));
	assert_non_null(strstr(d, "scheduler_flags = [ \"sh-port\", \"ops\" ];"));
	assert_non_null(strstr(d, "mode = \"0600\";"));
	/* canonical order: v4 before v6, pool p4 before p6, a before b */
	assert_true(strstr(d, "name = \"v4\"") < strstr(d, "name = \"v6\""));
	assert_true(strstr(d, "name = \"p4\"") < strstr(d, "name = \"p6\""));
	assert_true(strstr(d, "a = 200;") < strstr(d, "b = 9;"));
	assert_true(strstr(d, "\"192.0.2.11\"") < strstr(d, "\"192.0.2.12\""));
	free(d);
}

/* Two spellings of the same config dump identically. */
static void
test_same_meaning_same_dump(void **state)
{
	struct errlist el;
	struct config *a = t_conf(T_POOL T_VIP, NULL, &el), *b;
	char *da, *db;

	errlist_clear(&el);
	b = t_conf("# reordered, defaults written out\n"
	    "vips = ( { interface = \"eth0\"; address = \"198.51.100.10\"; name = \"v1\";"
	    " services = ( { pool = \"web\"; port = 80; protocol = \"tcp\"; scheduler = \"wlc\"; method = \"dr\"; } ); } );\n"
	    "pools = ( { name = \"web\"; weight = 1; check = { type = \"tcp\"; rise = 2; };"
	    " servers = ( { address = \"192.0.2.12\"; }, { address = \"192.0.2.11\"; } ); } );\n", NULL, &el);
	assert_non_null(a);
	assert_non_null(b);
	da = conf_dump_string(a);
	db = conf_dump_string(b);
	assert_string_equal(da, db);
	free(da);
	free(db);
	config_free(a);
	config_free(b);
	errlist_clear(&el);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_minimal),
		cmocka_unit_test(test_roundtrip_everything),
		cmocka_unit_test(test_same_meaning_same_dump),
	};

	return cmocka_run_group_tests_name("conf_dump", tests, NULL, NULL);
}
