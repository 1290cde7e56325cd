/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for conf_diff.c: identity matching and what counts as a change. */
#include "testutil.h"
#include "conf_diff.h"

#define BASE_POOLS \
	"pools = ( { name = \"api\"; servers = ( { address = \"192.0.2.11\"; }, " \
	"{ address = \"192.0.2.12\"; weight = 2; } ); }, " \
	"{ name = \"old\"; servers = ( { address = \"192.0.2.99\"; } ); } );\n"
#define BASE_VIPS \
	"vips = ( { name = \"v1\"; address = \"198.51.100.10\"; interface = \"eth0\"; " \
	"services = ( { port = 80; pool = \"api\"; }, { port = 443; pool = \"api\"; } ); } );\n"

static struct config *
load(const char *text)
{
	struct errlist el;
	struct config *c = t_conf(text, "r1", &el);

	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	errlist_clear(&el);
	return c;
}

static const struct conf_change *
find(const struct conf_diff *d, enum conf_change_kind k, const char *object)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].kind == k && strcmp(d->v[i].object, object) == 0)
			return &d->v[i];
	return NULL;
}

static void
test_identical(void **state)
{
	struct config *a = load(BASE_POOLS BASE_VIPS), *b = load(BASE_VIPS BASE_POOLS);
	struct conf_diff d;
	char s[64];

	conf_diff(a, b, &d);
	assert_int_equal(d.n, 0);
	assert_string_equal(conf_diff_summary(&d, s, sizeof(s)), "no change");
	conf_diff_free(&d);
	conf_diff_free(&d);
	config_free(a);
	config_free(b);
}

static void
test_changes(void **state)
{
	struct config *a = load(BASE_POOLS BASE_VIPS), *b;
	const struct conf_change *c;
	struct conf_diff d;
	char s[64];

	b = load("ipvs = { sloppy_tcp = true; };\n"
	    "pools = ( { name = \"api\"; check = { type = \"http\"; }; servers = ( { address = \"192.0.2.11\"; }, "
	    "{ address = \"192.0.2.12\"; weight = 5; drain = true; }, { address = \"192.0.2.13\"; } ); }, "
	    "{ name = \"new\"; port = 8080; servers = ( { address = \"192.0.2.50\"; } ); } );\n"
	    "vips = ( { name = \"v1\"; address = \"198.51.100.10\"; interface = \"eth0\"; "
	    "services = ( { port = 80; pool = \"api\"; scheduler = \"mh\"; }, { fwmark = 9; pool = \"new\"; } ); } );\n");
	conf_diff(a, b, &d);
	assert_non_null(find(&d, CHANGE_DELETE, "pool old"));
	assert_non_null(find(&d, CHANGE_NEW, "pool new"));
	assert_non_null(find(&d, CHANGE_NEW, "pool api server 192.0.2.13"));
	c = find(&d, CHANGE_CHANGED, "pool api server 192.0.2.12");
	assert_non_null(c);
	assert_string_equal(c->detail, "weight 2 -> 5, drain false -> true, check");
	c = find(&d, CHANGE_CHANGED, "pool api");
	assert_non_null(c);
	assert_string_equal(c->detail, "check");
	/* the untouched server's effective check changed with its pool's */
	assert_non_null(find(&d, CHANGE_CHANGED, "pool api server 192.0.2.11"));
	c = find(&d, CHANGE_CHANGED, "vip v1 service tcp/80");
	assert_non_null(c);
	assert_string_equal(c->detail, "scheduler wlc -> mh");
	assert_non_null(find(&d, CHANGE_DELETE, "vip v1 service tcp/443"));
	assert_non_null(find(&d, CHANGE_NEW, "vip v1 service fwmark 9"));
	c = find(&d, CHANGE_CHANGED, "ipvs");
	assert_non_null(c);
	assert_string_equal(c->detail, "sloppy_tcp false -> true");
	assert_null(find(&d, CHANGE_CHANGED, "vip v1"));	/* the VIP itself is unchanged */
	assert_string_equal(conf_diff_summary(&d, s, sizeof(s)), "3 added, 2 removed, 5 changed");
	conf_diff_free(&d);
	config_free(a);
	config_free(b);
}

static void
test_election_sections(void **state)
{
	struct config *a = load(BASE_POOLS BASE_VIPS), *b, *c;
	struct conf_diff d;

	b = load("election = { peers = ( { name = \"r1\"; address = \"192.0.2.1\"; }, "
	    "{ name = \"r2\"; address = \"192.0.2.2\"; } ); };\n" BASE_POOLS
	    "vips = ( { name = \"v1\"; vrid = 3; address = \"198.51.100.10\"; interface = \"eth0\"; "
	    "services = ( { port = 80; pool = \"api\"; }, { port = 443; pool = \"api\"; } ); } );\n");
	conf_diff(a, b, &d);
	assert_non_null(find(&d, CHANGE_NEW, "election"));
	assert_non_null(find(&d, CHANGE_CHANGED, "vip v1"));	/* vrid and priorities */
	conf_diff_free(&d);
	c = load("election = { advert_interval_ms = 50; peers = ( { name = \"r1\"; address = \"192.0.2.1\"; }, "
	    "{ name = \"r3\"; address = \"192.0.2.3\"; } ); };\n" BASE_POOLS
	    "vips = ( { name = \"v1\"; vrid = 3; address = \"198.51.100.10\"; interface = \"eth0\"; "
	    "services = ( { port = 80; pool = \"api\"; }, { port = 443; pool = \"api\"; } ); } );\n");
	conf_diff(b, c, &d);
	assert_string_equal(find(&d, CHANGE_CHANGED, "election")->detail, "advert_interval_ms 100 -> 50");
	assert_non_null(find(&d, CHANGE_DELETE, "peer r2"));
	assert_non_null(find(&d, CHANGE_NEW, "peer r3"));
	conf_diff_free(&d);
	config_free(a);
	/* the sync daemon: added, then its parameters (defaults: from the VIP and the kernel) */
	a = load("election = { advert_interval_ms = 50; peers = ( { name = \"r1\"; address = "
	    "\"192.0.2.1\"; }, { name = \"r3\"; address = \"192.0.2.3\"; } ); sync_daemon = { }; };\n"
	    BASE_POOLS "vips = ( { name = \"v1\"; vrid = 3; address = \"198.51.100.10\"; "
	    "interface = \"eth0\"; services = ( { port = 80; pool = \"api\"; }, { port = 443; "
	    "pool = \"api\"; } ); } );\n");
	conf_diff(c, a, &d);
	/* (a sync daemon brings its own preempt_delay_ms default, 10 s) */
	assert_string_equal(find(&d, CHANGE_CHANGED, "election")->detail,
	    "preempt_delay_ms 0 -> 10000, sync_daemon added");
	conf_diff_free(&d);
	config_free(b);
	b = load("election = { advert_interval_ms = 50; peers = ( { name = \"r1\"; address = "
	    "\"192.0.2.1\"; }, { name = \"r3\"; address = \"192.0.2.3\"; } ); sync_daemon = { "
	    "interface = \"eth1\"; syncid = 9; group = \"224.0.0.82\"; ttl = 2; }; };\n"
	    BASE_POOLS "vips = ( { name = \"v1\"; vrid = 3; address = \"198.51.100.10\"; "
	    "interface = \"eth0\"; services = ( { port = 80; pool = \"api\"; }, { port = 443; "
	    "pool = \"api\"; } ); } );\n");
	conf_diff(a, b, &d);
	assert_string_equal(find(&d, CHANGE_CHANGED, "election")->detail,
	    "sync_daemon.interface eth0 -> eth1, sync_daemon.syncid 3 -> 9, "
	    "sync_daemon.group 224.0.0.81 -> 224.0.0.82, sync_daemon.ttl 1 -> 2");
	conf_diff_free(&d);
	config_free(a);
	config_free(b);
	config_free(c);
}

/* A VIP renamed on its address (and its vrid changed) is one change, as the
 * election hands it over; a name swap between addresses is not a rename. */
static void
test_vip_rename(void **state)
{
#define EL "election = { peers = ( { name = \"r1\"; address = \"192.0.2.1\"; }, " \
	   "{ name = \"r2\"; address = \"192.0.2.2\"; } ); };\n" BASE_POOLS
#define SVC "services = ( { port = 80; pool = \"api\"; } ); }"
	struct config *a, *b, *c, *e;
	const struct conf_change *ch;
	struct conf_diff d;

	a = load(EL "vips = ( { name = \"www\"; vrid = 10; address = \"198.51.100.10\"; "
		    "interface = \"eth0\"; " SVC " );\n");
	b = load(EL "vips = ( { name = \"web\"; vrid = 11; address = \"198.51.100.10\"; "
		    "interface = \"eth0\"; " SVC " );\n");
	conf_diff(a, b, &d);
	assert_null(find(&d, CHANGE_DELETE, "vip www"));
	assert_null(find(&d, CHANGE_NEW, "vip web"));
	ch = find(&d, CHANGE_CHANGED, "vip web");
	assert_non_null(ch);
	assert_string_equal(ch->detail,
	    "renamed from www (election role kept), vrid 10 -> 11 (both advertised for 300 s)");
	/* its services are compared as the same VIP's: unchanged, not listed */
	assert_int_equal(d.n, 1);
	conf_diff_free(&d);

	/* www keeps its name but moves; web is new on www's old address: no rename */
	c = load(EL "vips = ( { name = \"www\"; vrid = 10; address = \"198.51.100.20\"; "
		    "interface = \"eth0\"; " SVC ", { name = \"web\"; vrid = 11; "
		    "address = \"198.51.100.10\"; interface = \"eth0\"; "
		    "services = ( { port = 81; pool = \"api\"; } ); } );\n");
	conf_diff(a, c, &d);
	assert_non_null(find(&d, CHANGE_NEW, "vip web"));
	assert_non_null(find(&d, CHANGE_CHANGED, "vip www"));
	conf_diff_free(&d);

	/* renamed and moved: a removal plus an addition */
	e = load(EL "vips = ( { name = \"web\"; vrid = 10; address = \"198.51.100.30\"; "
		    "interface = \"eth0\"; " SVC " );\n");
	conf_diff(a, e, &d);
	assert_non_null(find(&d, CHANGE_DELETE, "vip www"));
	assert_non_null(find(&d, CHANGE_NEW, "vip web"));
	conf_diff_free(&d);
	config_free(a);
	config_free(b);
	config_free(c);
	config_free(e);
#undef EL
#undef SVC
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_election_sections),
		cmocka_unit_test(test_vip_rename),
	};

	return cmocka_run_group_tests_name("conf_diff", tests, NULL, NULL);
}
