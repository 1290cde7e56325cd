/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for reconcile.c: ordering, edit vs replace, drain, the
 * min_servers guard, ownership, the canonical destination order (and the
 * cross-router guarantee it gives mh), and the desired state built from a
 * configuration.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reconcile.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static struct rc_svc_conf
svc_key(int proto, const char *addr, const char *sched)
{
	struct rc_svc_conf c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(sockaddr_x_parse(addr, true, &c.addr), 0);
	c.af = c.addr.af;
	c.protocol = proto;
	snprintf(c.sched, sizeof(c.sched), "%s", sched);
	c.netmask = c.af == AF_INET6 ? 128 : 32;
	return c;
}

static struct rc_svc *
mk_svc(struct rc_table *t, int proto, const char *addr, const char *sched)
{
	struct rc_svc_conf c = svc_key(proto, addr, sched);

	return rc_table_add(t, &c);
}

static struct rc_dest
dest(const char *addr, int weight)
{
	struct rc_dest d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(sockaddr_x_parse(addr, true, &d.addr), 0);
	d.weight = weight;
	d.fwd = RC_FWD_DR;
	return d;
}

static void
add_dest(struct rc_svc *s, const char *addr, int weight)
{
	struct rc_dest d = dest(addr, weight);

	rc_svc_add_dest(s, &d);
}

/* Destinations of a desired service in canonical order, from a list. */
static void
add_dests_sorted(struct rc_table *t, struct rc_svc *s, const char *const *addrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		add_dest(s, addrs[i], 1);
	qsort(s->dests, s->ndests, sizeof(*s->dests),
	    (int (*)(const void *, const void *))rc_dest_cmp);
	assert_int_equal(rc_table_sort(t, NULL), 0);
}

static struct rc_plan
plan_of(const struct rc_table *want, const struct rc_table *have, bool none, bool order)
{
	struct rc_plan p;
	const struct rc_opts o = { none, order };

	rc_plan_init(&p);
	rc_plan(want, have, NULL, 0, &o, &p);
	return p;
}

/* "A:10.0.0.1:80 D:... E:... S+ S~ S-" - a compact trace of a plan. */
static char *
trace(const struct rc_plan *p)
{
	static char buf[4096];
	char a[SOCKADDR_X_STRLEN];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n && off < sizeof(buf); i++) {
		const struct rc_op *op = &p->ops[i];

		switch (op->type) {
		case RC_ADD_SVC:
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sS+%s", off ? " " : "",
			    op->svc.sched);
			break;
		case RC_EDIT_SVC:
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sS~%s", off ? " " : "",
			    op->svc.sched);
			break;
		case RC_DEL_SVC:
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sS-", off ? " " : "");
			break;
		default:
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%c:%s", off ? " " : "",
			    op->type == RC_ADD_DEST ? 'A' : op->type == RC_EDIT_DEST ? 'E' : 'D',
			    sockaddr_x_fmt_addr(&op->dest.addr, a, sizeof(a)));
		}
	}
	return buf;
}

/* The kernel list of a service, head first, as "10.0.0.1 10.0.0.2". */
static char *
order_of(const struct rc_svc *s)
{
	static char buf[4096];
	char a[SOCKADDR_X_STRLEN];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < s->ndests && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
		    sockaddr_x_fmt_addr(&s->dests[i].addr, a, sizeof(a)));
	return buf;
}

/* Apply a plan to `have` and check it now needs nothing more. */
static void
apply_and_settle(const struct rc_table *want, struct rc_table *have, const struct rc_opts *o)
{
	struct rc_plan p, again;

	rc_plan_init(&p);
	rc_plan(want, have, NULL, 0, o, &p);
	assert_int_equal(rc_table_apply(have, p.ops, p.n, NULL), 0);
	rc_plan_init(&again);
	rc_plan(want, have, NULL, 0, o, &again);
	if (again.n != 0)
		fail_msg("not settled, still: %s", trace(&again));
	rc_plan_clear(&p);
	rc_plan_clear(&again);
}

/* ------------------------------------------------------------ creation */

static void
test_new_service_pool_before_scheduler(void **state)
{
	static const char *const addrs[] = { "10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80" };
	struct rc_table want, have;
	struct rc_plan p;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	add_dests_sorted(&want, mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "mh"), addrs, 3);
	/* sorted: 1 2 3 */
	assert_string_equal(order_of(&want.svcs[0]), "10.0.0.1 10.0.0.2 10.0.0.3");

	p = plan_of(&want, &have, true, true);
	/* created without a scheduler, smallest first, real scheduler bound last */
	assert_string_equal(trace(&p), "S+none A:10.0.0.1 A:10.0.0.2 A:10.0.0.3 S~mh");
	assert_int_equal(p.count[RC_ADD_SVC], 1);
	assert_int_equal(p.count[RC_ADD_DEST], 3);
	assert_int_equal(p.count[RC_EDIT_SVC], 1);
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, NULL), 0);
	/* each add went to the head: the list is canonical, descending */
	assert_string_equal(order_of(&have.svcs[0]), "10.0.0.3 10.0.0.2 10.0.0.1");
	assert_string_equal(have.svcs[0].conf.sched, "mh");
	rc_plan_clear(&p);

	p = plan_of(&want, &have, true, true);
	assert_int_equal(p.n, 0);
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

static void
test_new_service_without_none(void **state)
{
	static const char *const addrs[] = { "10.0.0.2:80", "10.0.0.1:80" };
	struct rc_table want, have;
	struct rc_plan p;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	add_dests_sorted(&want, mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "mh"), addrs, 2);
	p = plan_of(&want, &have, false, true);
	assert_string_equal(trace(&p), "S+mh A:10.0.0.1 A:10.0.0.2");
	rc_plan_clear(&p);
	/* an empty service is created with its scheduler at once */
	rc_table_clear(&want);
	mk_svc(&want, IPPROTO_UDP, "192.0.2.1:53", "rr");
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "S+rr");
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

/* ------------------------------------------------------------ edit vs replace */

struct edit_case {
	const char *name;
	void (*change)(struct rc_svc *want);
	const char *expect;
};

static void ch_weight(struct rc_svc *w) { w->dests[1].weight = 5; }
static void ch_drain(struct rc_svc *w) { w->dests[0].weight = 0; }
static void ch_sched(struct rc_svc *w) { snprintf(w->conf.sched, sizeof(w->conf.sched), "rr"); }
static void ch_flags(struct rc_svc *w) { w->conf.flags |= SCHED_F_FALLBACK; }
static void
ch_persist(struct rc_svc *w)
{
	w->conf.flags |= RC_SVC_F_PERSISTENT;
	w->conf.timeout_s = 300;
	w->conf.netmask = 24;
}
static void ch_fwd(struct rc_svc *w) { w->dests[0].fwd = RC_FWD_TUN; w->dests[1].fwd = RC_FWD_TUN; }
static void ch_thresh(struct rc_svc *w) { w->dests[1].u_threshold = 100; }
static void
ch_tun_gue(struct rc_svc *w)
{
	w->dests[0].fwd = RC_FWD_TUN;
	w->dests[0].tun_type = RC_TUN_GUE;
	w->dests[0].tun_port = 6080;
}

static void
test_edit_in_place(void **state)
{
	static const struct edit_case cases[] = {
		{ "weight", ch_weight, "E:10.0.0.2" },
		{ "drain", ch_drain, "E:10.0.0.1" },
		{ "scheduler", ch_sched, "S~rr" },
		{ "flags", ch_flags, "S~wlc" },
		{ "persistence", ch_persist, "S~wlc" },
		{ "method", ch_fwd, "E:10.0.0.1 E:10.0.0.2" },
		{ "threshold", ch_thresh, "E:10.0.0.2" },
		{ "tunnel", ch_tun_gue, "E:10.0.0.1" },
	};
	static const char *const addrs[] = { "10.0.0.1:80", "10.0.0.2:80" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rc_table want, have;
		struct rc_plan p;
		const struct rc_opts o = { true, true };

		rc_table_init(&want);
		rc_table_init(&have);
		add_dests_sorted(&want, mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "wlc"), addrs, 2);
		rc_table_copy(&have, &want);
		cases[i].change(&want.svcs[0]);
		p = plan_of(&want, &have, true, true);
		if (strcmp(trace(&p), cases[i].expect) != 0)
			fail_msg("%s: plan \"%s\", expected \"%s\"", cases[i].name, trace(&p),
			    cases[i].expect);
		assert_int_equal(p.count[RC_DEL_DEST] + p.count[RC_DEL_SVC] + p.count[RC_ADD_DEST] +
		    p.count[RC_ADD_SVC], 0);
		apply_and_settle(&want, &have, &o);
		rc_plan_clear(&p);
		rc_table_clear(&want);
		rc_table_clear(&have);
	}
}

static void
test_equality_rules(void **state)
{
	struct rc_svc_conf a = svc_key(IPPROTO_TCP, "192.0.2.1:80", "wlc"), b = a;
	struct rc_dest x = dest("10.0.0.1:80", 1), y = x;

	(void)state;
	/* the kernel's HASHED flag, and timeouts of non-persistent services, do not count */
	b.flags |= RC_SVC_F_HASHED;
	b.timeout_s = 77;
	b.netmask = 0;
	assert_true(rc_svc_conf_equal(&a, &b));
	a.flags |= RC_SVC_F_PERSISTENT;
	b.flags |= RC_SVC_F_PERSISTENT;
	assert_false(rc_svc_conf_equal(&a, &b));
	/* counters and tunnel fields outside tunnels do not count */
	y.activeconns = 9;
	y.tun_port = 1;
	assert_true(rc_dest_equal(&x, &y));
	x.fwd = y.fwd = RC_FWD_TUN;
	assert_true(rc_dest_equal(&x, &y));	/* ipip ignores the port */
	x.tun_type = y.tun_type = RC_TUN_GUE;
	assert_false(rc_dest_equal(&x, &y));
	assert_true(rc_sched_order_sensitive("mh"));
	assert_true(rc_sched_order_sensitive("sh"));
	assert_true(rc_sched_order_sensitive("dh"));
	assert_false(rc_sched_order_sensitive("wlc"));
	assert_false(rc_sched_order_sensitive("rr"));
}

/* ------------------------------------------------------------ ordering */

static void
test_make_before_break(void **state)
{
	struct rc_table want, have;
	struct rc_svc *w, *h;
	struct rc_plan p;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(h, "10.0.0.1:80", 1);
	add_dest(h, "10.0.0.2:80", 3);
	add_dest(h, "10.0.0.3:80", 1);
	add_dest(h, "10.0.0.4:80", 1);
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(w, "10.0.0.2:80", 1);	/* lowered */
	add_dest(w, "10.0.0.3:80", 4);	/* raised */
	add_dest(w, "10.0.0.5:80", 1);	/* new */
	add_dest(w, "10.0.0.6:80", 1);	/* new */
	/* 10.0.0.1 and .4 go */
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p),
	    "E:10.0.0.3 A:10.0.0.5 A:10.0.0.6 E:10.0.0.2 D:10.0.0.1 D:10.0.0.4");
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

static void
test_phases_across_services(void **state)
{
	struct rc_table want, have;
	struct rc_svc *w, *h;
	struct rc_svc_conf retire;
	struct rc_plan p;
	const struct rc_opts o = { true, true };
	size_t i, last_add = 0, first_del = SIZE_MAX, del_svc = 0;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	/* service moved from port 80 to 8080: the new one is complete before the old one goes */
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(h, "10.0.0.1:80", 1);
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.2:80", "wlc");
	add_dest(h, "10.0.0.1:80", 1);
	add_dest(h, "10.0.0.9:80", 1);
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.1:8080", "wlc");
	add_dest(w, "10.0.0.1:8080", 1);
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.2:80", "wlc");
	add_dest(w, "10.0.0.1:80", 1);
	assert_int_equal(rc_table_sort(&want, NULL), 0);
	assert_int_equal(rc_table_sort(&have, NULL), 0);
	retire = svc_key(IPPROTO_TCP, "192.0.2.1:80", "wlc");
	rc_plan_init(&p);
	rc_plan(&want, &have, &retire, 1, &o, &p);
	assert_string_equal(trace(&p), "S+none A:10.0.0.1 D:10.0.0.9 S~wlc S-");
	for (i = 0; i < p.n; i++) {
		if (p.ops[i].type == RC_ADD_SVC || p.ops[i].type == RC_ADD_DEST)
			last_add = i;
		if ((p.ops[i].type == RC_DEL_DEST || p.ops[i].type == RC_DEL_SVC) && first_del == SIZE_MAX)
			first_del = i;
		if (p.ops[i].type == RC_DEL_SVC)
			del_svc = i;
	}
	assert_true(last_add < first_del);
	assert_int_equal(del_svc, p.n - 1);	/* services go last, destinations with them */
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

/* ------------------------------------------------------------ canonical order */

/* want: an mh service with these last octets of 10.0.0.x, canonical */
static void
mh_want(struct rc_table *t, const int *octets, size_t n)
{
	struct rc_svc *w;
	size_t i;
	char buf[32];

	rc_table_clear(t);
	w = mk_svc(t, IPPROTO_TCP, "192.0.2.1:80", "mh");
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "10.0.0.%d:80", octets[i]);
		add_dest(w, buf, 1);
	}
	qsort(w->dests, w->ndests, sizeof(*w->dests),
	    (int (*)(const void *, const void *))rc_dest_cmp);
}

static void
test_mh_insert_moves_larger(void **state)
{
	static const int before[] = { 10, 20, 30, 40 };
	static const int mid[] = { 10, 20, 25, 30, 40 };
	static const int top[] = { 10, 20, 25, 30, 40, 50 };
	static const int bottom[] = { 5, 10, 20, 25, 30, 40, 50 };
	const struct rc_opts o = { true, true };
	struct rc_table want, have;
	struct rc_plan p;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	mh_want(&want, before, ARRAY_SIZE(before));
	apply_and_settle(&want, &have, &o);
	assert_string_equal(order_of(&have.svcs[0]), "10.0.0.40 10.0.0.30 10.0.0.20 10.0.0.10");

	/* .10 and .20 stay at the tail; .25 goes in front of them, .30 and .40 move in front of it */
	mh_want(&want, mid, ARRAY_SIZE(mid));
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p),
	    "A:10.0.0.25 D:10.0.0.30 A:10.0.0.30 D:10.0.0.40 A:10.0.0.40");
	assert_int_equal(p.moved, 2);
	/* a move is a delete and an add back to back, nothing in between */
	assert_int_equal(p.ops[1].why, RC_WHY_MOVE);
	assert_int_equal(p.ops[2].why, RC_WHY_MOVE);
	assert_int_equal(p.ops[2].type, RC_ADD_DEST);
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, NULL), 0);
	assert_string_equal(order_of(&have.svcs[0]),
	    "10.0.0.40 10.0.0.30 10.0.0.25 10.0.0.20 10.0.0.10");
	rc_plan_clear(&p);
	apply_and_settle(&want, &have, &o);

	/* a new highest address goes to the head: nothing moves (pools grow upwards) */
	mh_want(&want, top, ARRAY_SIZE(top));
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "A:10.0.0.50");
	assert_int_equal(p.moved, 0);
	rc_plan_clear(&p);
	apply_and_settle(&want, &have, &o);

	/* a new lowest one moves every other */
	mh_want(&want, bottom, ARRAY_SIZE(bottom));
	p = plan_of(&want, &have, true, true);
	assert_int_equal(p.moved, 6);
	assert_int_equal(p.count[RC_ADD_DEST], 7);
	rc_plan_clear(&p);
	apply_and_settle(&want, &have, &o);
	assert_string_equal(order_of(&have.svcs[0]),
	    "10.0.0.50 10.0.0.40 10.0.0.30 10.0.0.25 10.0.0.20 10.0.0.10 10.0.0.5");

	/* removals keep the order: nothing moves */
	mh_want(&want, mid, ARRAY_SIZE(mid));
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "D:10.0.0.5 D:10.0.0.50");
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

static void
test_order_insensitive_no_moves(void **state)
{
	static const char *const before[] = { "10.0.0.10:80", "10.0.0.20:80" };
	static const char *const after[] = { "10.0.0.10:80", "10.0.0.15:80", "10.0.0.20:80" };
	struct rc_table want, have;
	struct rc_plan p;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	add_dests_sorted(&have, mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "wlc"), before, 2);
	add_dests_sorted(&want, mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "wlc"), after, 3);
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "A:10.0.0.15");
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, NULL), 0);
	assert_string_equal(order_of(&have.svcs[0]), "10.0.0.15 10.0.0.10 10.0.0.20");
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

static void
test_sched_into_mh_binds_last(void **state)
{
	const struct rc_opts o = { true, true };
	struct rc_table want, have;
	struct rc_svc *h;
	struct rc_plan p;
	static const char *const all[] = { "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80" };

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	/* a wlc service whose list got out of canonical order */
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(h, "10.0.0.3:80", 1);
	add_dest(h, "10.0.0.1:80", 1);
	add_dest(h, "10.0.0.2:80", 1);
	add_dests_sorted(&want, mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "mh"), all, 3);
	p = plan_of(&want, &have, true, true);
	/* put the list in order under wlc (only the smallest can stay, at the
	 * tail: adds go to the head), then bind mh: one table build */
	assert_string_equal(trace(&p), "D:10.0.0.2 A:10.0.0.2 D:10.0.0.3 A:10.0.0.3 S~mh");
	assert_int_equal(p.ops[p.n - 1].type, RC_EDIT_SVC);
	rc_plan_clear(&p);
	apply_and_settle(&want, &have, &o);
	assert_string_equal(order_of(&have.svcs[0]), "10.0.0.3 10.0.0.2 10.0.0.1");
	rc_table_clear(&want);
	rc_table_clear(&have);
}

/*
 * The cross-router guarantee: two routers that reach the same pool by
 * different histories end with the same kernel list (so the same mh
 * table).  Router A builds the final pool from empty (a reboot); router B
 * lives through each step.
 */
static void
test_mh_history_independent(void **state)
{
	static const char *const steps[][8] = {
		{ "10.0.0.50", "10.0.0.20", NULL },
		{ "10.0.0.50", "10.0.0.20", "10.0.0.70", "10.0.0.10", NULL },
		{ "10.0.0.20", "10.0.0.70", "10.0.0.10", "10.0.0.35", "10.0.0.5", NULL },
		{ "10.0.0.70", "10.0.0.10", "10.0.0.35", "10.0.0.5", "10.0.0.60", "10.0.0.36", NULL },
		{ "10.0.0.1", "10.0.0.70", "10.0.0.10", "10.0.0.35", "10.0.0.5", "10.0.0.60",
		    "10.0.0.36", NULL },
	};
	const struct rc_opts o = { true, true };
	struct rc_table want, b, a;
	struct rc_svc *w;
	size_t s, i;
	char ord_a[4096];

	(void)state;
	rc_table_init(&b);
	for (s = 0; s < ARRAY_SIZE(steps); s++) {
		rc_table_init(&want);
		w = mk_svc(&want, IPPROTO_UDP, "192.0.2.1:53", "mh");
		for (i = 0; steps[s][i] != NULL; i++) {
			char buf[64];

			snprintf(buf, sizeof(buf), "%s:53", steps[s][i]);
			add_dest(w, buf, 1);
		}
		qsort(w->dests, w->ndests, sizeof(*w->dests),
		    (int (*)(const void *, const void *))rc_dest_cmp);
		apply_and_settle(&want, &b, &o);

		rc_table_init(&a);
		apply_and_settle(&want, &a, &o);
		snprintf(ord_a, sizeof(ord_a), "%s", order_of(&a.svcs[0]));
		if (strcmp(ord_a, order_of(&b.svcs[0])) != 0)
			fail_msg("step %zu: from empty \"%s\", incrementally \"%s\"", s, ord_a,
			    order_of(&b.svcs[0]));
		rc_table_clear(&a);
		rc_table_clear(&want);
	}
	rc_table_clear(&b);
}

/* ------------------------------------------------------------ ownership */

static void
test_foreign_services_untouched(void **state)
{
	struct rc_table want, have;
	struct rc_svc *h, *w;
	struct rc_svc_conf retire[2];
	struct rc_plan p;
	const struct rc_opts o = { true, true };
	size_t i;
	char s[80];

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	h = mk_svc(&have, IPPROTO_TCP, "203.0.113.9:80", "rr");	/* foreign, made by hand */
	add_dest(h, "10.9.9.9:80", 1);
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "wlc");	/* ours, kept */
	add_dest(h, "10.0.0.1:80", 1);
	add_dest(h, "10.0.0.66:80", 1);		/* added by hand into our service: removed */
	mk_svc(&have, IPPROTO_TCP, "192.0.2.1:443", "wlc");	/* ours, no longer wanted */
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(w, "10.0.0.1:80", 1);
	assert_int_equal(rc_table_sort(&want, NULL), 0);
	assert_int_equal(rc_table_sort(&have, NULL), 0);
	retire[0] = svc_key(IPPROTO_TCP, "192.0.2.1:443", "wlc");
	retire[1] = svc_key(IPPROTO_TCP, "192.0.2.7:443", "wlc");	/* gone already */
	rc_plan_init(&p);
	rc_plan(&want, &have, retire, 2, &o, &p);
	assert_string_equal(trace(&p), "D:10.0.0.66 S-");
	for (i = 0; i < p.n; i++)
		assert_string_not_equal(rc_svc_fmt(&p.ops[i].svc, s, sizeof(s)),
		    "tcp 203.0.113.9:80");
	assert_string_equal(rc_svc_fmt(&p.ops[1].svc, s, sizeof(s)), "tcp 192.0.2.1:443");
	rc_plan_clear(&p);

	/* without being retired, a service we do not want is not ours */
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "D:10.0.0.66");
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

/* ------------------------------------------------------------ weights */

static void
test_pool_weights_drain_and_failure(void **state)
{
	struct rc_member m[4];
	int w[4];
	size_t live, kept;

	(void)state;
	memset(m, 0, sizeof(m));
	sockaddr_x_parse("10.0.0.1", false, &m[0].addr);
	sockaddr_x_parse("10.0.0.2", false, &m[1].addr);
	sockaddr_x_parse("10.0.0.3", false, &m[2].addr);
	sockaddr_x_parse("10.0.0.4", false, &m[3].addr);
	m[0].weight = 3, m[0].up = true;		/* up */
	m[1].weight = 1, m[1].up = true, m[1].drain = true; /* drained: 0 even though up */
	m[2].weight = 2, m[2].up = false;		/* failed */
	m[3].weight = 1, m[3].up = false, m[3].drain = true; /* drained and failed */

	kept = rc_pool_weights(m, 4, 1, false, w, &live);
	assert_int_equal(kept, 0);
	assert_int_equal(live, 1);
	assert_int_equal(w[0], 3);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 0);
	assert_int_equal(w[3], 0);

	/* remove_failed removes failed servers, never drained ones (they keep connections) */
	kept = rc_pool_weights(m, 4, 1, true, w, &live);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], RC_WEIGHT_REMOVE);
	assert_int_equal(w[3], 0);
}

static void
test_min_servers_guard(void **state)
{
	struct rc_member m[4];
	int w[4];
	size_t live, kept;

	(void)state;
	memset(m, 0, sizeof(m));
	/* given out of order: the guard picks by address all the same */
	sockaddr_x_parse("10.0.0.9", false, &m[0].addr);
	sockaddr_x_parse("10.0.0.3", false, &m[1].addr);
	sockaddr_x_parse("10.0.0.5", false, &m[2].addr);
	sockaddr_x_parse("10.0.0.1", false, &m[3].addr);
	m[0].weight = m[1].weight = m[2].weight = m[3].weight = 1;
	m[3].drain = true;	/* drained on purpose: never put back */

	/* all failed, min_servers 1: the lowest failed address stays in (fail open) */
	kept = rc_pool_weights(m, 4, 1, false, w, &live);
	assert_int_equal(live, 0);
	assert_int_equal(kept, 1);
	assert_int_equal(w[1], 1);
	assert_int_equal(w[0], 0);
	assert_int_equal(w[2], 0);
	assert_int_equal(w[3], 0);

	/* same with remove_failed: kept in rather than removed */
	kept = rc_pool_weights(m, 4, 2, true, w, &live);
	assert_int_equal(kept, 2);
	assert_int_equal(w[1], 1);
	assert_int_equal(w[2], 1);
	assert_int_equal(w[0], RC_WEIGHT_REMOVE);

	/* one up, min_servers 2: one failed kept */
	m[0].up = true;
	kept = rc_pool_weights(m, 4, 2, false, w, &live);
	assert_int_equal(live, 1);
	assert_int_equal(kept, 1);
	assert_int_equal(w[0], 1);
	assert_int_equal(w[1], 1);
	assert_int_equal(w[2], 0);

	/* min_servers 0 allows an empty pool */
	m[0].up = false;
	kept = rc_pool_weights(m, 4, 0, false, w, &live);
	assert_int_equal(kept, 0);
	assert_int_equal(w[0] + w[1] + w[2] + w[3], 0);

	/* enough up: the guard does nothing */
	m[0].up = m[1].up = true;
	kept = rc_pool_weights(m, 4, 2, false, w, &live);
	assert_int_equal(kept, 0);
	assert_int_equal(w[2], 0);
}

/* ------------------------------------------------------------ simulation */

/* ------------------------------------------------------------ partial failures (issue #16, 3) */

/*
 * The kernel refuses one add of a plan and carries on: with a barrier
 * between phases, the executor holds back the shrink of that service (the
 * old destinations stay) and only of that service.
 */
static void
test_partial_failure_holds_shrink(void **state)
{
	struct rc_table want, have;
	struct rc_svc *w, *h;
	struct rc_plan p;
	size_t a, b, i, nphases = 0, held;
	int err[32];
	bool hold[32];

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(h, "10.0.0.1:80", 1);
	add_dest(h, "10.0.0.2:80", 3);
	h = mk_svc(&have, IPPROTO_TCP, "192.0.2.2:80", "wlc");
	add_dest(h, "10.0.1.1:80", 1);
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "wlc");
	add_dest(w, "10.0.0.2:80", 1); /* lowered */
	add_dest(w, "10.0.0.3:80", 1); /* new */
	add_dest(w, "10.0.0.4:80", 1); /* new */
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.2:80", "wlc");
	add_dest(w, "10.0.1.2:80", 1); /* replaces .1.1 */
	assert_int_equal(rc_table_sort(&want, NULL), 0);
	assert_int_equal(rc_table_sort(&have, NULL), 0);
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p),
	    "A:10.0.0.3 A:10.0.0.4 A:10.0.1.2 E:10.0.0.2 D:10.0.0.1 D:10.0.1.1");
	/* two phases: grow, then shrink */
	for (a = 0; a < p.n; a = b, nphases++) {
		b = rc_plan_phase_end(p.ops, p.n, a);
		for (i = a; i < b; i++)
			assert_int_equal(p.ops[i].phase, p.ops[a].phase);
	}
	assert_int_equal(nphases, 2);
	assert_int_equal(rc_plan_phase_end(p.ops, p.n, 0), 3);
	assert_int_equal(p.ops[0].phase, RC_PH_GROW);
	assert_int_equal(p.ops[3].phase, RC_PH_SHRINK);

	/* all went well: nothing held */
	memset(err, 0, sizeof(err));
	assert_int_equal(rc_plan_hold_back(p.ops, err, 3, p.n, hold), 0);
	/* the add of 10.0.0.3 (in the middle of the batch) refused */
	err[0] = -ENOMEM;
	held = rc_plan_hold_back(p.ops, err, 3, p.n, hold);
	assert_int_equal(held, 2);
	assert_true(hold[0]);	/* E:10.0.0.2 (a lowered weight) */
	assert_true(hold[1]);	/* D:10.0.0.1 */
	assert_false(hold[2]);	/* D:10.0.1.1: the other service's add went in */
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

/* A new mh service over the kernel's mh limit never goes through "none". */
static void
test_mh_over_limit_binds_first(void **state)
{
	struct rc_table want;
	struct rc_svc *w;
	struct rc_plan p;
	char a[32];
	size_t i;

	(void)state;
	rc_table_init(&want);
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "mh");
	for (i = 0; i < RC_MH_MAX_DESTS + 1; i++) {
		snprintf(a, sizeof(a), "10.%zu.%zu.%zu:80", i / 65536, i / 256 % 256, i % 256 + 0);
		add_dest(w, a, 1);
	}
	qsort(w->dests, w->ndests, sizeof(*w->dests),
	    (int (*)(const void *, const void *))rc_dest_cmp);
	p = plan_of(&want, &(struct rc_table){0}, true, true);
	assert_int_equal(p.n, RC_MH_MAX_DESTS + 2);
	assert_int_equal(p.ops[0].type, RC_ADD_SVC);
	assert_string_equal(p.ops[0].svc.sched, "mh");
	for (i = 0; i < p.n; i++)
		assert_false(p.ops[i].type == RC_EDIT_SVC);
	rc_plan_clear(&p);

	/* at the limit, the pool still goes in before the scheduler */
	w->ndests = RC_MH_MAX_DESTS;
	p = plan_of(&want, &(struct rc_table){0}, true, true);
	assert_string_equal(p.ops[0].svc.sched, "none");
	assert_int_equal(p.ops[p.n - 1].type, RC_EDIT_SVC);
	assert_int_equal(p.ops[p.n - 1].phase, RC_PH_SCHED_LATE);
	rc_plan_clear(&p);
	rc_table_clear(&want);
}

/* The way out of a refused late bind: delete, create bound, add smallest first. */
static void
test_recreate_plan(void **state)
{
	static const char *const addrs[] = { "10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80" };
	struct rc_table want, have;
	struct rc_svc *w;
	struct rc_plan p;

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	w = mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "mh");
	add_dests_sorted(&want, w, addrs, ARRAY_SIZE(addrs));
	rc_plan_init(&p);
	rc_plan_recreate(&want.svcs[0], &p);
	assert_string_equal(trace(&p), "S- S+mh A:10.0.0.1 A:10.0.0.2 A:10.0.0.3");
	assert_int_equal(rc_plan_phase_end(p.ops, p.n, 0), 1);
	assert_int_equal(rc_plan_phase_end(p.ops, p.n, 1), 2);
	assert_int_equal(rc_plan_phase_end(p.ops, p.n, 2), 5);
	/* from a service left on "none" it ends canonical and bound */
	w = mk_svc(&have, IPPROTO_TCP, "192.0.2.1:80", "none");
	add_dest(w, "10.0.0.2:80", 1);
	add_dest(w, "10.0.0.3:80", 1);
	add_dest(w, "10.0.0.1:80", 1);
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, NULL), 0);
	assert_string_equal(have.svcs[0].conf.sched, "mh");
	assert_string_equal(order_of(&have.svcs[0]), "10.0.0.3 10.0.0.2 10.0.0.1");
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

static void
test_apply_failures_and_mismatches(void **state)
{
	static const char *const addrs[] = { "10.0.0.1:80", "10.0.0.2:80" };
	struct rc_table want, have;
	struct rc_plan p;
	bool ok[4] = { true, true, false, true };

	(void)state;
	rc_table_init(&want);
	rc_table_init(&have);
	add_dests_sorted(&want, mk_svc(&want, IPPROTO_TCP, "192.0.2.1:80", "rr"), addrs, 2);
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "S+none A:10.0.0.1 A:10.0.0.2 S~rr");
	/* the add of .2 failed: the view has .1 only */
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, ok), 0);
	assert_string_equal(order_of(&have.svcs[0]), "10.0.0.1");
	rc_plan_clear(&p);
	p = plan_of(&want, &have, true, true);
	assert_string_equal(trace(&p), "A:10.0.0.2");
	/* applying twice does not fit the table: reported */
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, NULL), 0);
	assert_int_equal(rc_table_apply(&have, p.ops, p.n, NULL), 1);
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
}

/* ------------------------------------------------------------ desired state */

static size_t
all_up(void *arg, const struct pool *p, struct rc_member **out)
{
	const bool *down_first = arg;
	struct rc_member *m = calloc(p->nservers ? p->nservers : 1, sizeof(*m));
	size_t i;

	for (i = 0; i < p->nservers; i++) {
		m[i].addr = p->servers[i].addr;
		if (m[i].addr.port == 0)
			m[i].addr.port = (uint16_t)p->port;
		m[i].weight = p->servers[i].weight;
		m[i].upper_threshold = p->servers[i].upper_threshold;
		m[i].lower_threshold = p->servers[i].lower_threshold;
		m[i].up = !(down_first && *down_first && i == 0);
		m[i].drain = p->servers[i].drain;
	}
	*out = m;
	return p->nservers;
}

static const char conf_text[] =
    "router = { name = \"r1\"; };\n"
    "election = { peers = ( { name = \"r1\"; address = \"10.0.1.1\"; },\n"
    "                       { name = \"r2\"; address = \"10.0.1.2\"; } ); };\n"
    "vips = (\n"
    "  { name = \"web\"; address = \"198.51.100.10\"; vrid = 1; manage_address = false;\n"
    "    priority = { r1 = 200; r2 = 100; };\n"
    "    services = ( { port = 80; pool = \"web\"; scheduler = \"mh\";\n"
    "                   scheduler_flags = [\"mh-fallback\", \"mh-port\"]; },\n"
    "                 { protocol = \"udp\"; port = 53; pool = \"dns\"; scheduler = \"rr\";\n"
    "                   persistence_timeout_s = 300; persistence_prefix = 24; },\n"
    "                 { fwmark = 7; pool = \"web\"; method = \"tun\";\n"
    "                   tunnel = { type = \"gue\"; port = 6080; checksum = true; }; },\n"
    "                 { port = 8443; pool = \"napp\"; method = \"nat\"; } ); },\n"
    "  { name = \"other\"; address = \"198.51.100.20\"; vrid = 2; manage_address = false;\n"
    "    priority = { r2 = 100; };\n"
    "    services = ( { port = 80; pool = \"web\"; } ); },\n"
    "  { name = \"v6\"; address = \"2001:db8::10\"; vrid = 3; manage_address = false;\n"
    "    services = ( { port = 443; pool = \"web6\"; } ); }\n"
    ");\n"
    "pools = (\n"
    "  { name = \"web\"; check = { type = \"none\"; };\n"
    "    servers = ( { address = \"10.0.0.2\"; weight = 2; },\n"
    "                { address = \"10.0.0.1\"; },\n"
    "                { address = \"10.0.0.3\"; drain = true; } ); },\n"
    "  { name = \"napp\"; port = 8080; check = { type = \"none\"; };\n"
    "    servers = ( { address = \"10.0.0.8\"; }, { address = \"10.0.0.9\"; port = 9000; } ); },\n"
    "  { name = \"dns\"; min_servers = 0; check = { type = \"none\"; };\n"
    "    servers = ( { address = \"10.0.0.53\"; } ); },\n"
    "  { name = \"web6\"; check = { type = \"none\"; };\n"
    "    servers = ( { address = \"2001:db8::1\"; upper_threshold = 100; } ); }\n"
    ");\n";

/* Mixed mode (issue #18): a BGP VIP has no priorities and is served by every router,
 * election or not; an elected VIP only where the router has a priority. */
static void
test_desired_bgp_mixed(void **state)
{
	static const char text[] =
	    "router = { name = \"r1\"; interface = \"eth0\"; };\n"
	    "election = { peers = ( { name = \"r1\"; address = \"192.0.2.11\"; },\n"
	    "                       { name = \"r2\"; address = \"192.0.2.12\"; } ); };\n"
	    "vips = (\n"
	    "  { name = \"elected\"; address = \"192.0.2.100\"; vrid = 1; priority = { r2 = 100; };\n"
	    "    services = ( { port = 80; pool = \"web\"; } ); },\n"
	    "  { name = \"anycast\"; address = \"203.0.113.10\"; announce = \"bgp\";\n"
	    "    services = ( { port = 80; pool = \"web\"; } ); } );\n"
	    "pools = ( { name = \"web\"; check = { type = \"none\"; };\n"
	    "    servers = ( { address = \"10.0.0.1\"; } ); } );\n";
	struct errlist el;
	struct config *c;
	struct rc_table t;
	char s[80];

	(void)state;
	c = t_conf(text, NULL, &el);
	if (c == NULL)
		fail_msg("config: %s", el.n ? el.msgs[0] : "?");
	assert_int_equal(rc_desired_build(c, "r1", all_up, NULL, &t, NULL, NULL, NULL), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(rc_svc_fmt(&t.svcs[0].conf, s, sizeof(s)), "tcp 203.0.113.10:80");
	rc_table_clear(&t);
	assert_int_equal(rc_desired_build(c, "r2", all_up, NULL, &t, NULL, NULL, NULL), 0);
	assert_int_equal(t.n, 2);
	rc_table_clear(&t);
	config_free(c);
	errlist_clear(&el);
}

static void
test_desired_from_config(void **state)
{
	struct errlist el;
	struct config *c;
	struct rc_table t;
	struct rc_pool_state *ps = NULL;
	size_t nps = 0, i;
	char buf[4096], line[512], s[80], a[SOCKADDR_X_STRLEN];
	size_t off = 0;

	(void)state;
	c = t_conf(conf_text, NULL, &el);
	if (c == NULL)
		fail_msg("config: %s", el.n ? el.msgs[0] : "?");
	assert_int_equal(rc_desired_build(c, "r1", all_up, NULL, &t, &ps, &nps, NULL), 0);
	/* "other" has no priority for r1: not programmed */
	buf[0] = '\0';
	for (i = 0; i < t.n; i++) {
		const struct rc_svc *sv = &t.svcs[i];
		size_t j;

		snprintf(line, sizeof(line), "%s %s f%x t%u m%d:", rc_svc_fmt(&sv->conf, s, sizeof(s)),
		    sv->conf.sched, sv->conf.flags, sv->conf.timeout_s, sv->conf.netmask);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s", line);
		for (j = 0; j < sv->ndests; j++) {
			const struct rc_dest *d = &sv->dests[j];

			off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %s/%d/%s/%d/%u/%x/%u",
			    sockaddr_x_fmt(&d->addr, a, sizeof(a)), d->weight, rc_fwd_str(d->fwd),
			    d->tun_type, d->tun_port, d->tun_flags, d->u_threshold);
		}
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\n");
	}
	/* ports: the server's, else the pool's, else the service's (0 for fwmark); a
	 * service without a scheduler gets mh + mh-port + mh-fallback (f18): the config has an election */
	assert_string_equal(buf,
	    "tcp 198.51.100.10:80 mh f18 t0 m32: 10.0.0.1:80/1/dr/0/0/0/0 "
	    "10.0.0.2:80/2/dr/0/0/0/0 10.0.0.3:80/0/dr/0/0/0/0\n"
	    "tcp 198.51.100.10:8443 mh f18 t0 m32: 10.0.0.8:8080/1/nat/0/0/0/0 "
	    "10.0.0.9:9000/1/nat/0/0/0/0\n"
	    "udp 198.51.100.10:53 rr f1 t300 m24: 10.0.0.53:53/1/dr/0/0/0/0\n"
	    "tcp [2001:db8::10]:443 mh f18 t0 m128: [2001:db8::1]:443/1/dr/0/0/0/100\n"
	    "fwmark 7 mh f18 t0 m32: 10.0.0.1/1/tun/1/6080/1/0 10.0.0.2/2/tun/1/6080/1/0 "
	    "10.0.0.3/0/tun/1/6080/1/0\n");
	assert_int_equal(nps, 4);
	free(ps);
	rc_table_clear(&t);

	/* router r2 serves "other" and "web" (lower priority) too: backups program IPVS */
	assert_int_equal(rc_desired_build(c, "r2", all_up, NULL, &t, NULL, NULL, NULL), 0);
	assert_int_equal(t.n, 6);
	rc_table_clear(&t);
	/* a router outside the election serves nothing */
	assert_int_equal(rc_desired_build(c, "r3", all_up, NULL, &t, NULL, NULL, NULL), 0);
	assert_int_equal(t.n, 0);	/* v6 lists no priorities: every peer at 100, r3 is none */
	rc_table_clear(&t);
	config_free(c);
	errlist_clear(&el);
}

static void
test_desired_guard_and_eip(void **state)
{
	static const char text[] =
	    "vips = ( { name = \"pub\"; address = \"198.51.100.10\"; manage_address = false;\n"
	    "  eip = { allocation_id = \"eipalloc-1\"; private_ip = { r1 = \"10.0.1.50\"; }; };\n"
	    "  services = ( { port = 80; pool = \"p\"; } ); } );\n"
	    "pools = ( { name = \"p\"; min_servers = 1; check = { type = \"none\"; };\n"
	    "  servers = ( { address = \"10.0.0.1\"; } ); } );\n";
	struct errlist el;
	struct config *c;
	struct rc_table t;
	struct rc_pool_state *ps = NULL;
	size_t nps = 0;
	bool down = true;
	char s[80];

	(void)state;
	c = t_conf(text, "r1", &el);
	if (c == NULL)
		fail_msg("config: %s", el.n ? el.msgs[0] : "?");
	/* standalone (no election): every VIP, at this router's EIP private IP */
	assert_int_equal(rc_desired_build(c, "r1", all_up, &down, &t, &ps, &nps, NULL), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(rc_svc_fmt(&t.svcs[0].conf, s, sizeof(s)), "tcp 10.0.1.50:80");
	/* the only server is down: min_servers keeps it in */
	assert_int_equal(t.svcs[0].dests[0].weight, 1);
	assert_int_equal(nps, 1);
	assert_int_equal(ps[0].kept, 1);
	assert_int_equal(ps[0].live, 0);
	free(ps);
	rc_table_clear(&t);
	config_free(c);
	errlist_clear(&el);
}

/* ------------------------------------------------------------ text */

static void
test_op_text(void **state)
{
	struct rc_op op;
	char buf[512];

	(void)state;
	memset(&op, 0, sizeof(op));
	op.type = RC_ADD_DEST;
	op.svc = svc_key(IPPROTO_TCP, "192.0.2.1:80", "mh");
	op.dest = dest("10.0.0.1:80", 1);
	assert_string_equal(rc_op_fmt(&op, buf, sizeof(buf)),
	    "add dest 10.0.0.1:80 to tcp 192.0.2.1:80 (weight 1, dr)");
	op.type = RC_EDIT_DEST;
	op.old = op.dest;
	op.dest.weight = 0;
	assert_string_equal(rc_op_fmt(&op, buf, sizeof(buf)),
	    "edit dest 10.0.0.1:80 of tcp 192.0.2.1:80: weight 1, dr -> weight 0, dr");
	op.type = RC_EDIT_SVC;
	op.old_svc = op.svc;
	snprintf(op.old_svc.sched, sizeof(op.old_svc.sched), "none");
	op.svc.flags = SCHED_F_FALLBACK | SCHED_F_PORT;
	assert_string_equal(rc_op_fmt(&op, buf, sizeof(buf)),
	    "edit service tcp 192.0.2.1:80: scheduler none -> scheduler mh, flags mh-fallback "
	    "mh-port");
	op.type = RC_DEL_SVC;
	op.svc = svc_key(IPPROTO_UDP, "[2001:db8::1]:53", "rr");
	assert_string_equal(rc_op_fmt(&op, buf, sizeof(buf)),
	    "delete service udp [2001:db8::1]:53");
	op.svc.fwmark = 7;
	assert_string_equal(rc_svc_fmt(&op.svc, buf, sizeof(buf)), "fwmark 7 ipv6");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_service_pool_before_scheduler),
		cmocka_unit_test(test_new_service_without_none),
		cmocka_unit_test(test_edit_in_place),
		cmocka_unit_test(test_equality_rules),
		cmocka_unit_test(test_make_before_break),
		cmocka_unit_test(test_phases_across_services),
		cmocka_unit_test(test_mh_insert_moves_larger),
		cmocka_unit_test(test_order_insensitive_no_moves),
		cmocka_unit_test(test_sched_into_mh_binds_last),
		cmocka_unit_test(test_mh_history_independent),
		cmocka_unit_test(test_foreign_services_untouched),
		cmocka_unit_test(test_pool_weights_drain_and_failure),
		cmocka_unit_test(test_min_servers_guard),
		cmocka_unit_test(test_apply_failures_and_mismatches),
		cmocka_unit_test(test_partial_failure_holds_shrink),
		cmocka_unit_test(test_mh_over_limit_binds_first),
		cmocka_unit_test(test_recreate_plan),
		cmocka_unit_test(test_desired_from_config),
	    cmocka_unit_test(test_desired_bgp_mixed),
		cmocka_unit_test(test_desired_guard_and_eip),
		cmocka_unit_test(test_op_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
