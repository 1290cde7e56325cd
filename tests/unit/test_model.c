/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for model.c: check merge/equality, orders, keywords, look-ups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"

static void
test_check_merge_overlays_set_fields(void **state)
{
	struct check base, over, out;

	check_init(&base);
	check_init(&over);
	check_init(&out);
	base.type = CHECK_HTTP;
	base.interval_ms = 1000;
	base.timeout_ms = 500;
	base.rise = 2;
	base.fall = 3;
	base.path = strdup("/healthz");
	base.method = strdup("GET");
	base.expect[0].lo = 200;
	base.expect[0].hi = 299;
	base.nexpect = 1;
	over.rise = 5;
	over.path = strdup("/ready");

	check_merge(&out, &base, &over);
	assert_int_equal(out.type, CHECK_HTTP);
	assert_int_equal(out.rise, 5);		/* overridden */
	assert_int_equal(out.fall, 3);		/* inherited */
	assert_string_equal(out.path, "/ready");
	assert_string_equal(out.method, "GET");
	assert_int_equal(out.nexpect, 1);
	assert_string_equal(base.path, "/healthz");	/* base untouched */

	check_release(&base);
	check_release(&over);
	check_release(&out);
}

static void
test_check_merge_other_type_drops_type_fields(void **state)
{
	struct check base, over, out;

	check_init(&base);
	check_init(&over);
	check_init(&out);
	base.type = CHECK_HTTP;
	base.interval_ms = 2000;
	base.path = strdup("/x");
	over.type = CHECK_TCP;
	check_merge(&out, &base, &over);
	assert_int_equal(out.type, CHECK_TCP);
	assert_null(out.path);			/* http-only field not carried */
	assert_int_equal(out.interval_ms, 2000);	/* timing is carried */
	check_release(&base);
	check_release(&over);
	check_release(&out);
}

static void
test_check_copy_equal(void **state)
{
	struct check a, b;

	check_init(&a);
	check_init(&b);
	a.type = CHECK_EXEC;
	a.argv[0] = strdup("/bin/true");
	a.argv[1] = strdup("x");
	a.argc = 2;
	a.body = strdup("ok");
	check_copy(&b, &a);
	assert_true(check_equal(&a, &b));
	assert_ptr_not_equal(a.argv[0], b.argv[0]);	/* deep copy */
	free(b.argv[1]);
	b.argv[1] = strdup("y");
	assert_false(check_equal(&a, &b));
	check_release(&a);
	check_release(&b);
}

static void
test_orders(void **state)
{
	struct service s1 = { .protocol = PROTO_TCP, .port = 80 };
	struct service s2 = { .protocol = PROTO_TCP, .port = 443 };
	struct service s3 = { .protocol = PROTO_UDP, .port = 53 };
	struct service s4 = { .fwmark = 7 };
	struct pool pa = { .name = "a" }, pb = { .name = "b" };

	assert_true(model_service_cmp(&s1, &s2) < 0);
	assert_true(model_service_cmp(&s2, &s3) < 0);	/* tcp before udp */
	assert_true(model_service_cmp(&s3, &s4) < 0);	/* fwmark services last */
	assert_int_equal(model_service_cmp(&s4, &s4), 0);
	assert_true(model_pool_cmp(&pa, &pb) < 0);
	assert_int_equal(model_pool_cmp(&pa, &pa), 0);
}

struct kw_case {
	const char *(*to)(int);
	int (*from)(const char *);
	int v;
	const char *s;
};

static const char *proto_s(int v) { return proto_str((enum proto)v); }
static const char *method_s(int v) { return fwd_method_str((enum fwd_method)v); }
static const char *check_s(int v) { return check_type_str((enum check_type)v); }
static const char *track_s(int v) { return track_action_str((enum pool_failure_action)v); }
static const char *auth_s(int v) { return auth_mode_str((enum auth_mode)v); }
static const char *tun_s(int v) { return tun_type_str((enum tun_type)v); }
static const char *init_s(int v) { return init_state_str((enum server_state_init)v); }

static void
test_keywords_roundtrip(void **state)
{
	const struct kw_case cases[] = {
		{ proto_s, proto_from_str, PROTO_TCP, "tcp" },
		{ proto_s, proto_from_str, PROTO_UDP, "udp" },
		{ proto_s, proto_from_str, PROTO_SCTP, "sctp" },
		{ method_s, fwd_method_from_str, FWD_DR, "dr" },
		{ method_s, fwd_method_from_str, FWD_TUN, "tun" },
		{ method_s, fwd_method_from_str, FWD_NAT, "nat" },
		{ tun_s, tun_type_from_str, TUN_GUE, "gue" },
		{ check_s, check_type_from_str, CHECK_HTTPS, "https" },
		{ check_s, check_type_from_str, CHECK_NONE, "none" },
		{ track_s, track_action_from_str, TRACK_LOWER_PRIORITY, "lower-priority" },
		{ auth_s, auth_mode_from_str, AUTH_HMAC, "hmac-sha256" },
		{ init_s, init_state_from_str, INIT_UP, "up" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(cases[i].to(cases[i].v), cases[i].s);
		assert_int_equal(cases[i].from(cases[i].s), cases[i].v);
	}
	assert_int_equal(proto_from_str("icmp"), MODEL_UNSET);
	assert_int_equal(proto_from_str(NULL), MODEL_UNSET);
	assert_int_equal(fwd_method_from_str("DR"), MODEL_UNSET);	/* case matters */
}

static void
test_sched_flags(void **state)
{
	const char *out[3];

	assert_int_equal(sched_flag_from_str("mh", "mh-port"), SCHED_F_PORT);
	assert_int_equal(sched_flag_from_str("mh", "mh-fallback"), SCHED_F_FALLBACK);
	assert_int_equal(sched_flag_from_str("sh", "sh-port"), SCHED_F_PORT);
	assert_int_equal(sched_flag_from_str("sh", "mh-port"), MODEL_UNSET);
	assert_int_equal(sched_flag_from_str("rr", "sh-port"), MODEL_UNSET);
	assert_int_equal(sched_flag_from_str("rr", "ops"), SCHED_F_ONEPACKET);
	assert_int_equal(sched_flag_from_str("mh", "mh-bogus"), MODEL_UNSET);
	assert_int_equal(sched_flags_strs("mh", SCHED_F_PORT | SCHED_F_FALLBACK, out), 2);
	assert_string_equal(out[0], "mh-fallback");
	assert_string_equal(out[1], "mh-port");
	assert_int_equal(sched_flags_strs("sh", SCHED_F_PORT, out), 1);
	assert_string_equal(out[0], "sh-port");
}

static void
test_vip_lookups(void **state)
{
	struct router_prio prios[] = { { "router-a", 200 }, { "router-b", 100 } };
	struct router_addr pips[1];
	struct vip v;

	memset(&v, 0, sizeof(v));
	memset(pips, 0, sizeof(pips));
	sockaddr_x_parse("198.51.100.10", false, &v.addr);
	pips[0].router = "router-b";
	sockaddr_x_parse("10.0.2.50", false, &pips[0].addr);
	v.prios = prios;
	v.nprios = 2;
	v.eip.private_ips = pips;
	v.eip.nprivate_ips = 1;
	assert_int_equal(vip_priority(&v, "router-a"), 200);
	assert_int_equal(vip_priority(&v, "router-c"), 0);
	assert_int_equal(vip_priority(&v, NULL), 0);
	assert_ptr_equal(vip_service_addr(&v, "router-a"), &v.addr);
	assert_ptr_equal(vip_service_addr(&v, "router-b"), &pips[0].addr);
}

static void
test_config_new_free(void **state)
{
	struct config *c = config_new("x.conf");

	assert_string_equal(c->file, "x.conf");
	assert_int_equal(c->election.advert_interval_ms, MODEL_UNSET);
	config_free(c);
	config_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_merge_overlays_set_fields),
		cmocka_unit_test(test_check_merge_other_type_drops_type_fields),
		cmocka_unit_test(test_check_copy_equal),
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_keywords_roundtrip),
		cmocka_unit_test(test_sched_flags),
		cmocka_unit_test(test_vip_lookups),
		cmocka_unit_test(test_config_new_free),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
