/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for control/explain_fmt.c: the verdict and the steps of ipvs-routerctl explain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain_fmt.h"
#include "json.h"
#include "util.h"

/* A member of pool web at 192.0.2.11:80, up, weight 2, in one kernel service. */
static void
base(struct explain *x)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->pool, sizeof(x->pool), "web");
	snprintf(x->server, sizeof(x->server), "192.0.2.11:80");
	snprintf(x->router, sizeof(x->router), "lb1");
	x->member.found = true;
	snprintf(x->member.src, sizeof(x->member.src), "/etc/r.conf");
	x->member.line = 12;
	x->member.weight = 2;
	x->member.grace_left_ms = -1;
	x->health.known = true;
	snprintf(x->health.check, sizeof(x->health.check), "http");
	snprintf(x->health.target, sizeof(x->health.target), "192.0.2.11:80");
	x->health.up = true;
	x->health.seen = true;
	x->health.rise = 2;
	x->health.fall = 3;
	x->health.since_ago_ms = 65000;
	x->health.nhist = 2;
	x->health.probes = 130;
	x->health.hist[0] = (struct explain_result){ true, 400, "200 in 1ms" };
	x->health.hist[1] = (struct explain_result){ true, 900, "200 in 2ms" };
	x->dp.available = true;
	x->dp.known = true;
	x->dp.why = EXPLAIN_UP;
	x->dp.want = 2;
	x->dp.members = 3;
	x->dp.live = 3;
	x->dp.min_servers = 2;
	x->dp.nsvcs = 1;
	snprintf(x->dp.svcs[0].label, sizeof(x->dp.svcs[0].label), "vip www");
	snprintf(x->dp.svcs[0].svc, sizeof(x->dp.svcs[0].svc), "tcp 198.51.100.10:80");
	x->dp.svcs[0].present = true;
	x->dp.svcs[0].weight = 2;
	x->dp.history_ago_ms = 3600000;
	x->nvips = 1;
	snprintf(x->vips[0].name, sizeof(x->vips[0].name), "www");
	x->vips[0].election = true;
	snprintf(x->vips[0].role, sizeof(x->vips[0].role), "MASTER");
	x->vips[0].priority = x->vips[0].base_priority = 200;
}

static char *
text(const struct explain *x)
{
	struct tbuf b;

	tbuf_init(&b);
	explain_text(x, &b);
	return tbuf_steal(&b);
}

static void
has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

static void
test_up(void **state)
{
	struct explain x;
	char *t;

	(void)state;
	base(&x);
	t = text(&x);
	has(t, "pool web server 192.0.2.11:80: weight 2: up (http check)\n");
	has(t, "  member:   in the configuration, /etc/r.conf line 12: weight 2\n");
	has(t, "up for 65.0s; rise 2, fall 3; 0 failures in a row of 3\n");
	has(t, "last 2 results of 130, newest first:\n");
	has(t, "     400ms ago  ok   200 in 1ms\n");
	has(t, "  decision: weight 2 (up)\n");
	has(t, "  kernel:   vip www tcp 198.51.100.10:80: weight 2; not changed by this daemon "
	       "in the last 60m00s of changes kept\n");
	has(t, "  vip www: MASTER here (priority 200): traffic comes here\n");
	free(t);
}

static void
test_drained(void **state)
{
	struct explain x;
	char v[600], *t;

	(void)state;
	base(&x);
	x.dp.why = EXPLAIN_DRAINED;
	x.dp.want = 0;
	x.drain.any = x.drain.drained = true;
	snprintf(x.drain.who, sizeof(x.drain.who), "uid=1000 pid=7 (ipvs-routerctl)");
	snprintf(x.drain.router, sizeof(x.drain.router), "lb2");
	x.drain.when = 1796320000; /* 2026-12-03 17:46:40 UTC */
	x.dp.svcs[0].weight = 0;
	x.dp.svcs[0].changed = true;
	x.dp.svcs[0].last_ago_ms = 1500;
	snprintf(x.dp.svcs[0].last_op, sizeof(x.dp.svcs[0].last_op),
	    "edit dest 192.0.2.11:80 of tcp 198.51.100.10:80: weight 2 -> weight 0");
	assert_string_equal(explain_verdict(&x, v, sizeof(v)),
	    "weight 0: drained by uid=1000 pid=7 (ipvs-routerctl) on lb2 at 2026-12-03 17:46:40 UTC");
	t = text(&x);
	has(t, "  decision: weight 0 (drained)\n");
	has(t, "weight 0; last change 1.5s ago: edit dest 192.0.2.11:80 of tcp 198.51.100.10:80: "
	       "weight 2 -> weight 0\n");
	free(t);
	/* drained in the file, and a removed endpoint's grace */
	x.drain.any = false;
	x.member.drain = true;
	x.member.dynamic = true;
	snprintf(x.member.src, sizeof(x.member.src), "/run/ep/web");
	x.member.line = 3;
	assert_string_equal(explain_verdict(&x, v, sizeof(v)), "weight 0: drained in /run/ep/web line 3");
	x.member.grace_left_ms = 4200;
	assert_string_equal(explain_verdict(&x, v, sizeof(v)),
	    "weight 0: removed from /run/ep/web, draining for 4.2s more (drain_grace_ms)");
}

static void
test_down_and_guard(void **state)
{
	struct explain x;
	char v[600], *t;

	(void)state;
	base(&x);
	x.health.up = false;
	x.health.down_run = 3;
	x.health.hist[0] = (struct explain_result){ false, 300, "status 503 after 2ms" };
	x.dp.why = EXPLAIN_DOWN;
	x.dp.want = 0;
	assert_string_equal(explain_verdict(&x, v, sizeof(v)),
	    "weight 0: down (http check failed (status 503 after 2ms), 300ms ago)");
	t = text(&x);
	has(t, "down for 65.0s; rise 2, fall 3; 0 passes in a row of 2, 3 failures in a row\n");
	has(t, "     300ms ago  FAIL status 503 after 2ms\n");
	free(t);
	x.dp.why = EXPLAIN_GUARD;
	x.dp.want = 2;
	x.dp.live = 1;
	x.dp.kept = 1;
	assert_string_equal(explain_verdict(&x, v, sizeof(v)),
	    "weight 2 although down (http check failed (status 503 after 2ms), 300ms ago): kept in "
	    "by min_servers 2 (1 of 3 servers live)");
	t = text(&x);
	has(t, "  pool:     3 members, 1 live before the guard; min_servers 2: the guard keeps 1 "
	       "failed server in\n");
	free(t);
	x.dp.why = EXPLAIN_DOWN_REMOVED;
	x.dp.want = -1;
	x.dp.svcs[0].present = false;
	t = text(&x);
	has(t, "not in the kernel: down (http check failed (status 503 after 2ms), 300ms ago), and "
	       "the pool removes failed servers\n");
	has(t, "  decision: not in the kernel (down-removed)\n");
	has(t, "  kernel:   vip www tcp 198.51.100.10:80: not there;");
	free(t);
	/* a new server that has not had a result yet */
	x.dp.why = EXPLAIN_DOWN;
	x.health.nhist = 0;
	x.health.seen = false;
	assert_string_equal(explain_verdict(&x, v, sizeof(v)),
	    "weight 0: down (starts down, http check not passed 2 times yet)");
}

static void
test_adopted_backup_fault(void **state)
{
	struct explain x;
	char v[600], *t;

	(void)state;
	base(&x);
	x.health.up = false;
	x.health.ok_run = 1;
	x.dp.why = EXPLAIN_ADOPTED;
	assert_string_equal(explain_verdict(&x, v, sizeof(v)),
	    "weight 2: adopted from the kernel at start, kept until its http check has a verdict");
	snprintf(x.vips[0].role, sizeof(x.vips[0].role), "BACKUP");
	snprintf(x.vips[0].master, sizeof(x.vips[0].master), "lb2 (10.0.0.2)");
	x.vips[0].master_priority = 250;
	x.vips[0].priority = 190;
	x.vips[0].heard_ago_ms = 120;
	x.vips[0].settling = true;
	t = text(&x);
	has(t, "  adoption: held: the kernel had it with a weight at start; kept until health speaks\n");
	has(t, "  vip www: not master: router lb2 (10.0.0.2) is, priority 250 >= 190 (last advert "
	       "120ms ago)\n");
	has(t, "            priority 200 configured, 190 after tracking\n");
	has(t, "            a tracked pool has not settled: no preemption yet\n");
	free(t);
	snprintf(x.vips[0].role, sizeof(x.vips[0].role), "FAULT");
	snprintf(x.vips[0].fault, sizeof(x.vips[0].fault), "interface eth0 down");
	t = text(&x);
	has(t, "  vip www: FAULT here (interface eth0 down)\n");
	free(t);
}

static void
test_not_found_and_json(void **state)
{
	struct explain x;
	struct json j;
	const char *s;

	(void)state;
	base(&x);
	json_init(&j);
	explain_json(&x, &j);
	s = json_str(&j);
	has(s, "\"verdict\":\"weight 2: up (http check)\"");
	has(s, "\"why\":\"up\"");
	has(s, "\"last\":[{\"ok\":true,\"ms_ago\":400,\"result\":\"200 in 1ms\"}");
	has(s, "\"services\":[{\"label\":\"vip www\",\"service\":\"tcp 198.51.100.10:80\","
	       "\"present\":true,\"weight\":2,\"last_change\":null}]");
	has(s, "\"vips\":[{\"name\":\"www\",\"election\":true,\"role\":\"MASTER\"");
	json_free(&j);
	x.member.found = false;
	json_init(&j);
	explain_json(&x, &j);
	assert_string_equal(json_str(&j), "{\"pool\":\"web\",\"server\":\"192.0.2.11:80\","
	    "\"router\":\"lb1\",\"verdict\":\"not a server of pool web\",\"found\":false}");
	json_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up),
		cmocka_unit_test(test_drained),
		cmocka_unit_test(test_down_and_guard),
		cmocka_unit_test(test_adopted_backup_fault),
		cmocka_unit_test(test_not_found_and_json),
	};

	return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
