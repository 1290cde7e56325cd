/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for conf_load.c: one case per class of loading error, each
 * checked for its file:line and setting path, plus values that load right.
 */
#include <errno.h>
#include <unistd.h>

#include "testutil.h"

struct err_case {
	const char *name;
	const char *text;
	const char *want;	/* substring of one error message */
};

static const struct err_case err_cases[] = {
	{ "syntax error", "vips = ( { name = \"a\"\n", "t.conf:2: syntax error" },
	{ "unknown top-level key", "routr = { };\n", "t.conf:1: routr: unknown setting" },
	{ "unknown key with suggestion", "router = {\n interfase = \"eth0\"; };\n",
	  "t.conf:2: router.interfase: unknown setting (did you mean \"interface\"?)" },
	{ "unknown nested key", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\";\n"
	  " services = ( { port = 80; pool = \"web\";\n colour = 1; } ); } );\n",
	  "t.conf:4: vips[0].services[0].colour: unknown setting" },
	{ "string for integer", "pools = ( { name = \"p\";\n weight = \"2\"; } );\n",
	  "t.conf:2: pools[0].weight: expected an integer, got a string" },
	{ "integer for string", "router = { name = 5; };\n",
	  "t.conf:1: router.name: expected a string, got an integer" },
	{ "integer for bool", "ipvs = { flush_on_exit = 1; };\n",
	  "ipvs.flush_on_exit: expected true or false, got an integer" },
	{ "float for integer", "ipvs = { reconcile_interval_ms = 1.5; };\n",
	  "expected an integer, got a number with a fraction" },
	{ "group for list", "pools = { name = \"p\"; };\n",
	  "t.conf:1: pools: expected a list ( { ... }, ... ), got a group { }" },
	{ "scalar in list", "pools = ( 5 );\n", "pools[0]: expected a group { ... }, got an integer" },
	{ "array for group", "router = [ 1 ];\n", "router: expected a group { ... }, got an array" },
	{ "out of range low", "election = { advert_interval_ms = 5; peers = (); };\n",
	  "election.advert_interval_ms: 5 is out of range (10..40950)" },
	{ "out of range high", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\"; vrid = 256;"
	  " services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  "vips[0].vrid: 256 is out of range (1..255)" },
	{ "port out of range", "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.1\";"
	  " port = 70000; } ); } );\n", "pools[0].servers[0].port: 70000 is out of range (0..65535)" },
	{ "missing required", "pools = ( { servers = ( { address = \"192.0.2.1\"; } ); } );\n",
	  "t.conf:1: pools[0].name: missing (required)" },
	{ "missing services", "vips = ( { name = \"v\"; address = \"192.0.2.1\"; } );\n",
	  "vips[0].services: missing (required)" },
	{ "bad address", "vips = ( { name = \"v\"; address = \"192.0.2.300\"; services = (); } );\n",
	  "vips[0].address: \"192.0.2.300\" is not an IPv4 or IPv6 address" },
	{ "hostname is not an address", "election = { peers = ( { name = \"a\";"
	  " address = \"router-a.example\"; } ); };\n", "is not an IPv4 or IPv6 address" },
	{ "listen without port", "metrics = { listen = \"127.0.0.1\"; };\n",
	  "metrics.listen: \"127.0.0.1\" has no port" },
	{ "bad keyword", "pools = ( { name = \"p\"; check = { type = \"icmp\"; }; } );\n",
	  "pools[0].check.type: unknown value \"icmp\" (expected tcp, http, https, exec or none)" },
	{ "bad method keyword", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\";"
	  " services = ( { port = 80; pool = \"web\"; method = \"gate\"; } ); } );\n",
	  "unknown value \"gate\" (expected dr, tun or nat)" },
	{ "bad expect range", "pools = ( { name = \"p\"; check = { type = \"http\";"
	  " expect = [ \"299-200\" ]; }; } );\n", "status range 299-200 is not within 100..599" },
	{ "bad expect text", "pools = ( { name = \"p\"; check = { type = \"http\";"
	  " expect = [ \"2xx\" ]; }; } );\n", "expected a status (200) or a range (\"200-299\")" },
	{ "mixed expect array", "pools = ( { name = \"p\"; check = { expect = [ 200, \"300\" ]; }; } );\n",
	  "mismatched element type in array" },
	{ "empty expect", "pools = ( { name = \"p\"; check = { expect = [ ]; }; } );\n",
	  "expected 1 to 16 statuses, got 0" },
	{ "bad scheduler flag", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\";"
	  " services = ( { port = 80; pool = \"web\"; scheduler = \"rr\";"
	  " scheduler_flags = [ \"mh-port\" ]; } ); } );\n",
	  "\"mh-port\" is not a flag of scheduler \"rr\"" },
	{ "bad mode", "control = { mode = \"0999\"; };\n",
	  "control.mode: \"0999\" is not an octal file mode like \"0660\"" },
	{ "priority out of range", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\";"
	  " priority = { a = 255; }; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  "vips[0].priority.a: 255 is out of range (1..254)" },
	{ "empty command", "pools = ( { name = \"p\"; check = { type = \"exec\"; command = [ ]; }; } );\n",
	  "pools[0].check.command: must not be empty" },
	{ "eip needs allocation id", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\";"
	  " eip = { }; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  "vips[0].eip.allocation_id: missing (required)" },
	{ "private_ip not an address", T_POOL "vips = ( { name = \"v\"; address = \"192.0.2.1\";"
	  " eip = { allocation_id = \"eipalloc-1\"; private_ip = { a = \"x\"; }; };"
	  " services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  "vips[0].eip.private_ip.a: \"x\" is not an IPv4 or IPv6 address" },
	{ "duplicate key", "router = { name = \"a\"; name = \"b\"; };\n", "duplicate setting name" },
};

static void
test_load_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *tc = &err_cases[i];
		struct config *c = (struct config *)1;
		struct errlist el;
		int rc;

		errlist_init(&el);
		rc = conf_load_string(tc->text, "t.conf", &c, &el);
		if (rc != -EINVAL || c != NULL || !t_has(&el, tc->want)) {
			print_message("case \"%s\": rc %d, want error containing: %s\n", tc->name,
			    rc, tc->want);
			t_dump_errors(&el);
			fail();
		}
		errlist_clear(&el);
	}
}

/* All errors are reported, not just the first. */
static void
test_load_reports_every_error(void **state)
{
	struct config *c;
	struct errlist el;

	errlist_init(&el);
	assert_int_equal(conf_load_string("router = { nmae = \"a\"; };\n"
	    "ipvs = { sloppy_tcp = 1; };\n"
	    "pools = ( { weight = -1; } );\n", "t.conf", &c, &el), -EINVAL);
	assert_true(t_has(&el, "t.conf:1: router.nmae"));
	assert_true(t_has(&el, "t.conf:2: ipvs.sloppy_tcp"));
	assert_true(t_has(&el, "t.conf:3: pools[0].weight: -1 is out of range"));
	assert_true(t_has(&el, "t.conf:3: pools[0].name: missing"));
	assert_int_equal(el.n, 4);
	errlist_clear(&el);
}

static void
test_load_values(void **state)
{
	struct config *c;
	struct errlist el;
	struct vip *v;
	struct service *s;
	struct pool *p;

	errlist_init(&el);
	assert_int_equal(conf_load_string(
	    "router = { name = \"r1\"; interface = \"eth1\"; };\n"
	    "election = { preempt = false; check_ttl = false; peers = ( { name = \"r1\";"
	    " address = \"2001:db8::1\"; } ); notify = { command = [ \"/bin/n\", \"x\" ]; }; };\n"
	    "control = { mode = \"0600\"; group = \"adm\"; };\n"
	    "metrics = { enabled = false; listen = \"[::1]:9000\"; };\n"
	    "vips = ( { name = \"v\"; address = \"192.0.2.1\"; vrid = 9; manage_address = false;"
	    " priority = { r1 = 150; }; garp = { enabled = false; count = 7; };"
	    " services = ( { protocol = \"udp\"; port = 53; pool = \"dns\"; scheduler = \"sh\";"
	    " scheduler_flags = [ \"sh-port\", \"ops\" ]; method = \"tun\";"
	    " tunnel = { type = \"gue\"; port = 6080; checksum = true; }; },"
	    " { fwmark = 4000000000L; pool = \"dns\"; } ); } );\n"
	    "pools = ( { name = \"dns\"; port = 5353; check = { type = \"https\";"
	    " expect = [ 200, 204 ]; verify = false; };"
	    " servers = ( { address = \"[2001:db8::5]\"; port = 53; weight = 0; drain = true;"
	    " check = { rise = 9; }; } ); } );\n", "t.conf", &c, &el), 0);
	assert_int_equal(el.n, 0);
	assert_string_equal(c->router.interface, "eth1");
	assert_false(c->election.preempt);
	assert_int_equal(c->election.ttl_check, 0);
	assert_true(c->election.track_interface);	/* default true */
	assert_int_equal(c->election.notify_argc, 2);
	assert_string_equal(c->election.notify_argv[1], "x");
	assert_int_equal(c->election.peers[0].addr.af, AF_INET6);
	assert_int_equal(c->control.mode, 0600);
	assert_false(c->metrics.enabled);
	assert_int_equal(c->metrics.listen.port, 9000);
	v = &c->vips[0];
	assert_false(v->manage_address);
	assert_int_equal(v->prios[0].priority, 150);
	assert_false(v->garp.enabled);
	assert_int_equal(v->garp.count, 7);
	assert_int_equal(v->nservices, 2);
	s = &v->services[0];
	assert_int_equal(s->protocol, PROTO_UDP);
	assert_int_equal(s->sched_flags, SCHED_F_PORT | SCHED_F_ONEPACKET);
	assert_int_equal(s->method, FWD_TUN);
	assert_int_equal(s->tun_type, TUN_GUE);
	assert_int_equal(s->tun_port, 6080);
	assert_false(s->tun_nocsum);
	assert_int_equal(v->services[1].fwmark, 4000000000U);
	p = &c->pools[0];
	assert_int_equal(p->port, 5353);
	assert_int_equal(p->check.type, CHECK_HTTPS);
	assert_int_equal(p->check.nexpect, 2);
	assert_int_equal(p->check.expect[1].lo, 204);
	assert_int_equal(p->check.verify, 0);
	assert_int_equal(p->servers[0].addr.port, 53);
	assert_int_equal(p->servers[0].weight, 0);
	assert_true(p->servers[0].drain);
	assert_int_equal(p->servers[0].check_override.rise, 9);
	assert_int_equal(p->servers[0].check_override.type, CHECK_UNSET);
	config_free(c);
	errlist_clear(&el);
}

static void
test_load_file_errors(void **state)
{
	struct config *c;
	struct errlist el;

	errlist_init(&el);
	assert_int_equal(conf_load_file("/nonexistent/ipvs-router.conf", &c, &el), -ENOENT);
	assert_null(c);
	assert_true(t_has(&el, "/nonexistent/ipvs-router.conf: cannot open: No such file"));
	errlist_clear(&el);
	assert_int_equal(conf_load_file("/", &c, &el), -EISDIR);
	errlist_clear(&el);
}

/* @include'd files: errors name the included file and its line. */
static void
test_load_include(void **state)
{
	char dir[] = "/tmp/ipvsr-test-XXXXXX", main_path[128], inc_path[128];
	struct config *c;
	struct errlist el;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/pools.conf", dir);
	f = fopen(main_path, "w");
	fprintf(f, "router = { name = \"r\"; };\n@include \"pools.conf\"\n");
	fclose(f);
	f = fopen(inc_path, "w");
	fprintf(f, "# pools\npools = ( { name = \"p\";\n bogus = 1; } );\n");
	fclose(f);

	errlist_init(&el);
	assert_int_equal(conf_load_file(main_path, &c, &el), -EINVAL);
	if (!t_has(&el, "pools.conf:3: pools[0].bogus: unknown setting")) {
		t_dump_errors(&el);
		fail();
	}
	errlist_clear(&el);

	f = fopen(inc_path, "w");
	fprintf(f, "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.1\"; } ); } );\n");
	fclose(f);
	assert_int_equal(conf_load_file(main_path, &c, &el), 0);
	assert_int_equal(c->npools, 1);
	assert_string_equal(c->pools[0].name, "p");
	assert_non_null(strstr(c->pools[0].src, "pools.conf"));
	config_free(c);
	errlist_clear(&el);
	unlink(main_path);
	unlink(inc_path);
	rmdir(dir);
}

/* conf_read validates even when loading failed, to report everything at once. */
static void
test_read_reports_load_and_semantic_errors(void **state)
{
	char path[] = "/tmp/ipvsr-test-XXXXXX";
	struct config *c;
	struct errlist el;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fprintf(f, "router = { name = \"r\"; colour = 1; };\n"
	    "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.1\"; } );"
	    " check = { type = \"tcp\"; path = \"/x\"; }; } );\n");
	fclose(f);
	errlist_init(&el);
	assert_int_equal(conf_read(path, NULL, &c, &el), -EINVAL);
	assert_null(c);
	assert_true(t_has(&el, ":1: router.colour: unknown setting"));
	assert_true(t_has(&el, ":2: pools[0].check.path: method, path"));
	errlist_clear(&el);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_reports_every_error),
		cmocka_unit_test(test_load_values),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_load_include),
		cmocka_unit_test(test_read_reports_load_and_semantic_errors),
	};

	return cmocka_run_group_tests_name("conf_load", tests, NULL, NULL);
}
