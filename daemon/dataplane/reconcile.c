/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile.c - desired vs applied IPVS state -> ordered operations.
 *
 * One merge walk per service over destinations sorted by identity, the
 * same walk whether the applied side comes from our own bookkeeping or
 * from a fresh dump of the kernel.  See reconcile.h for what a plan
 * promises; the comments here say how.  Here too: the tables both sides
 * share, the simulation of a plan on a table (rc_table_apply) and the
 * texts.  The desired table itself is built in reconcile_build.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "reconcile.h"

/* A growable list of operations: one per phase of a plan. */
struct opvec {
	struct rc_op *v;
	size_t n, cap;
};

/*
 * Destination edits on one service, for rc_table_apply.  Entries are never
 * moved or removed while the editor is open: a delete marks the entry dead,
 * and the index, which cannot remove one value, keeps it and skips it in
 * editor_eq.  An address deleted and added again has a dead entry and a
 * live one; only the live one is found.
 */
struct dest_editor {
	struct rc_svc *svc;
	struct rc_dest *ent; /* [0, norig): the service's list, head first; then adds */
	bool *dead;
	size_t nent, cap, norig;
	struct hidx idx; /* address -> entry index + 1, dead entries included */
};

static struct rc_op *opvec_push(
    struct opvec *ov, enum rc_op_type type, enum rc_op_why why, const struct rc_svc_conf *svc);
static void opvec_move(struct rc_plan *p, struct opvec *ov, enum rc_phase phase);
static int svc_key_qcmp(const void *a, const void *b);
static int svc_qcmp(const void *a, const void *b);
static int pos_qcmp(const void *a, const void *b, void *arg);
static char *svc_attrs_fmt(const struct rc_svc_conf *s, char *buf, size_t len);
static void sort_dest_index(const struct rc_svc *s, size_t *idx);
static void plan_new_service(
    const struct rc_svc *want, const struct rc_opts *opts, struct opvec *ph);
static void plan_service(const struct rc_svc *want, const struct rc_svc *have,
    const struct rc_opts *opts, struct opvec *ph, size_t *moved);
static size_t table_insert_pos(
    const struct rc_table *t, const struct rc_svc_conf *key, bool *found);
static void editor_open(struct dest_editor *e, struct rc_svc *svc);
static bool editor_eq(const void *ctx, uintptr_t v, const void *key);
static long editor_find(const struct dest_editor *e, const struct sockaddr_x *key);
static void editor_add(struct dest_editor *e, const struct rc_dest *d);
static void editor_close(struct dest_editor *e);
static char *dest_attrs_fmt(
    const struct rc_svc_conf *svc, const struct rc_dest *d, char *buf, size_t len);

/* Phases of a plan (reconcile.h), short names for the planner. */
enum {
	PH_ADD_SVC = RC_PH_ADD_SVC,
	PH_EDIT_SVC = RC_PH_EDIT_SVC,
	PH_GROW = RC_PH_GROW,
	PH_SHRINK = RC_PH_SHRINK,
	PH_SCHED_LATE = RC_PH_SCHED_LATE,
	PH_DEL_SVC = RC_PH_DEL_SVC,
	PH_N = RC_PH_N
};

/* ============================================================ tables */

void
rc_table_init(struct rc_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
rc_svc_release(struct rc_svc *s)
{
	if (s == NULL)
		return;
	free(s->dests);
	free(s->label);
	free(s->pool);
	s->dests = NULL;
	s->label = s->pool = NULL;
	s->ndests = s->capdests = 0;
}

void
rc_table_clear(struct rc_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		rc_svc_release(&t->svcs[i]);
	free(t->svcs);
	rc_table_init(t);
}

void
rc_table_copy(struct rc_table *dst, const struct rc_table *src)
{
	size_t i;

	rc_table_clear(dst);
	if (src->n == 0)
		return;
	dst->svcs = xcalloc(src->n, sizeof(*dst->svcs));
	dst->cap = dst->n = src->n;
	for (i = 0; i < src->n; i++) {
		const struct rc_svc *s = &src->svcs[i];
		struct rc_svc *d = &dst->svcs[i];

		d->conf = s->conf;
		d->label = xstrdup(s->label);
		d->pool = xstrdup(s->pool);
		if (s->ndests > 0) {
			d->dests = xreallocarray(NULL, s->ndests, sizeof(*d->dests));
			memcpy(d->dests, s->dests, s->ndests * sizeof(*d->dests));
		}
		d->ndests = d->capdests = s->ndests;
	}
}

struct rc_svc *
rc_table_add(struct rc_table *t, const struct rc_svc_conf *conf)
{
	struct rc_svc *s;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->svcs = xreallocarray(t->svcs, t->cap, sizeof(*t->svcs));
	}
	s = &t->svcs[t->n++];
	memset(s, 0, sizeof(*s));
	s->conf = *conf;
	return s;
}

struct rc_dest *
rc_svc_add_dest(struct rc_svc *s, const struct rc_dest *d)
{
	if (s->ndests == s->capdests) {
		s->capdests = s->capdests ? s->capdests * 2 : 8;
		s->dests = xreallocarray(s->dests, s->capdests, sizeof(*s->dests));
	}
	s->dests[s->ndests] = *d;
	return &s->dests[s->ndests++];
}

static int
svc_qcmp(const void *a, const void *b)
{
	return rc_svc_key_cmp(&((const struct rc_svc *)a)->conf, &((const struct rc_svc *)b)->conf);
}

int
rc_table_sort(struct rc_table *t, const char **dup_label)
{
	size_t i, j;
	int r = 0;

	for (i = 1; i < t->n; i++)
		if (svc_qcmp(&t->svcs[i - 1], &t->svcs[i]) >= 0)
			break;
	if (i < t->n)
		qsort(t->svcs, t->n, sizeof(*t->svcs), svc_qcmp);
	for (i = 1, j = 1; i < t->n; i++) {
		if (rc_svc_key_cmp(&t->svcs[j - 1].conf, &t->svcs[i].conf) == 0) {
			if (dup_label != NULL && r == 0)
				*dup_label = t->svcs[j - 1].label;
			rc_svc_release(&t->svcs[i]);
			r = -EEXIST;
			continue;
		}
		if (i != j)
			t->svcs[j] = t->svcs[i];
		j++;
	}
	if (t->n > 0)
		t->n = j;
	return r;
}

/* Index at which `key` is or would be inserted in a sorted table. */
static size_t
table_insert_pos(const struct rc_table *t, const struct rc_svc_conf *key, bool *found)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = rc_svc_key_cmp(&t->svcs[mid].conf, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct rc_svc *
rc_table_find(const struct rc_table *t, const struct rc_svc_conf *key)
{
	bool found;
	size_t i = table_insert_pos(t, key, &found);

	return found ? &t->svcs[i] : NULL;
}

size_t
rc_table_ndests(const struct rc_table *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->svcs[i].ndests;
	return n;
}

/* ============================================================ orders */

int
rc_svc_key_cmp(const struct rc_svc_conf *a, const struct rc_svc_conf *b)
{
	int r;

	if ((a->fwmark != 0) != (b->fwmark != 0))
		return a->fwmark != 0 ? 1 : -1;
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	if (a->fwmark != 0)
		return a->fwmark < b->fwmark ? -1 : a->fwmark > b->fwmark;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	r = sockaddr_x_cmp_addr(&a->addr, &b->addr);
	if (r != 0)
		return r;
	return a->addr.port < b->addr.port ? -1 : a->addr.port > b->addr.port;
}

int
rc_dest_cmp(const struct rc_dest *a, const struct rc_dest *b)
{
	return sockaddr_x_cmp(&a->addr, &b->addr);
}

bool
rc_svc_conf_equal(const struct rc_svc_conf *want, const struct rc_svc_conf *have)
{
	if (strcmp(want->sched, have->sched) != 0)
		return false;
	if ((want->flags & ~RC_SVC_F_HASHED) != (have->flags & ~RC_SVC_F_HASHED))
		return false;
	/* timeout and netmask mean something only to persistent services */
	if (want->flags & RC_SVC_F_PERSISTENT)
		return want->timeout_s == have->timeout_s && want->netmask == have->netmask;
	return true;
}

bool
rc_dest_equal(const struct rc_dest *want, const struct rc_dest *have)
{
	if (want->weight != have->weight || want->fwd != have->fwd ||
	    want->u_threshold != have->u_threshold || want->l_threshold != have->l_threshold)
		return false;
	if (want->fwd != RC_FWD_TUN)
		return true;
	if (want->tun_type != have->tun_type)
		return false;
	if (want->tun_type == RC_TUN_GUE && want->tun_port != have->tun_port)
		return false;
	if (want->tun_type != RC_TUN_IPIP && want->tun_flags != have->tun_flags)
		return false;
	return true;
}

bool
rc_sched_order_sensitive(const char *sched)
{
	/* ip_vs_mh_populate, ip_vs_sh_reassign and ip_vs_dh_reassign walk
	 * svc->destinations to fill their tables; the others only break ties
	 * or keep a round-robin cursor in it. */
	return strcmp(sched, "mh") == 0 || strcmp(sched, "sh") == 0 || strcmp(sched, "dh") == 0;
}

/* ============================================================ planning */

void
rc_plan_init(struct rc_plan *p)
{
	memset(p, 0, sizeof(*p));
}

void
rc_plan_clear(struct rc_plan *p)
{
	if (p == NULL)
		return;
	free(p->ops);
	rc_plan_init(p);
}

static struct rc_op *
opvec_push(
    struct opvec *ov, enum rc_op_type type, enum rc_op_why why, const struct rc_svc_conf *svc)
{
	struct rc_op *op;

	if (ov->n == ov->cap) {
		ov->cap = ov->cap ? ov->cap * 2 : 16;
		ov->v = xreallocarray(ov->v, ov->cap, sizeof(*ov->v));
	}
	op = &ov->v[ov->n++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->why = why;
	op->svc = *svc;
	return op;
}

/* Append a phase's operations to the plan and free the phase. */
static void
opvec_move(struct rc_plan *p, struct opvec *ov, enum rc_phase phase)
{
	size_t i;

	if (ov->n > 0) {
		if (p->n + ov->n > p->cap) {
			p->cap = p->n + ov->n;
			p->ops = xreallocarray(p->ops, p->cap, sizeof(*p->ops));
		}
		memcpy(&p->ops[p->n], ov->v, ov->n * sizeof(*ov->v));
		for (i = 0; i < ov->n; i++) {
			p->ops[p->n + i].phase = phase;
			p->count[ov->v[i].type]++;
		}
		p->n += ov->n;
	}
	free(ov->v);
	memset(ov, 0, sizeof(*ov));
}

static int
pos_qcmp(const void *a, const void *b, void *arg)
{
	const struct rc_svc *s = arg;

	return rc_dest_cmp(&s->dests[*(const size_t *)a], &s->dests[*(const size_t *)b]);
}

/* idx[] = positions of s's destinations sorted by identity. */
static void
sort_dest_index(const struct rc_svc *s, size_t *idx)
{
	size_t i, n = s->ndests;

	/* a list we planned is canonical (descending): no sort needed */
	for (i = 1; i < n; i++)
		if (rc_dest_cmp(&s->dests[i - 1], &s->dests[i]) <= 0)
			break;
	if (i >= n) {
		for (i = 0; i < n; i++)
			idx[i] = n - 1 - i;
		return;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	if (n > 1)
		qsort_r(idx, n, sizeof(*idx), pos_qcmp, (void *)s);
}

static void
plan_new_service(const struct rc_svc *want, const struct rc_opts *opts, struct opvec *ph)
{
	struct rc_svc_conf first = want->conf;
	struct rc_op *op;
	size_t j;

	/*
	 * Bind the scheduler after the pool is in: mh then fills its table
	 * once (not once per destination), and no connection is scheduled to
	 * a pool that is still being filled.
	 */
	if (want->ndests > 0 && opts->sched_none &&
	    !(strcmp(want->conf.sched, "mh") == 0 && want->ndests > RC_MH_MAX_DESTS)) {
		snprintf(first.sched, sizeof(first.sched), "none");
		/* the scheduler's own flags come with it */
		first.flags &= ~(unsigned)(SCHED_F_FALLBACK | SCHED_F_PORT);
	}
	opvec_push(&ph[PH_ADD_SVC], RC_ADD_SVC, RC_WHY_NEW, &first);
	/* smallest first: each add goes to the head, the list ends up canonical */
	for (j = 0; j < want->ndests; j++) {
		op = opvec_push(&ph[PH_GROW], RC_ADD_DEST, RC_WHY_NEW, &want->conf);
		op->dest = want->dests[j];
	}
	if (strcmp(first.sched, want->conf.sched) != 0) {
		op = opvec_push(&ph[PH_SCHED_LATE], RC_EDIT_SVC, RC_WHY_SCHED_LATE, &want->conf);
		op->old_svc = first;
	}
}

static void
plan_service(const struct rc_svc *want, const struct rc_svc *have, const struct rc_opts *opts,
    struct opvec *ph, size_t *moved)
{
	size_t nw = want->ndests, nh = have->ndests, j, k, stable, prev;
	size_t *idx;
	long *pos;
	bool *kept, sched_late = false, ordered;
	struct rc_op *op;

	if (!rc_svc_conf_equal(&want->conf, &have->conf)) {
		/* Binding an order-sensitive scheduler builds its table from the
		 * list as it is then: do it once the list is in order. */
		sched_late = strcmp(want->conf.sched, have->conf.sched) != 0 &&
			     rc_sched_order_sensitive(want->conf.sched);
		op = opvec_push(&ph[sched_late ? PH_SCHED_LATE : PH_EDIT_SVC], RC_EDIT_SVC,
		    RC_WHY_CHANGED, &want->conf);
		op->old_svc = have->conf;
	}

	idx = xreallocarray(NULL, nh ? nh : 1, sizeof(*idx));
	pos = xreallocarray(NULL, nw ? nw : 1, sizeof(*pos));
	kept = xcalloc(nh ? nh : 1, sizeof(*kept));
	/* one merge walk: `want` is sorted, idx puts `have` in the same order */
	sort_dest_index(have, idx);
	for (j = 0, k = 0; j < nw; j++) {
		int c = -1;

		while (k < nh && (c = rc_dest_cmp(&have->dests[idx[k]], &want->dests[j])) < 0)
			k++;
		pos[j] = k < nh && c == 0 ? (long)idx[k] : -1;
		if (pos[j] >= 0)
			kept[pos[j]] = true;
	}

	/*
	 * The canonical list is descending, head first, and adds go to the
	 * head: the destinations that stay where they are are the longest run
	 * of the smallest wanted ones already at the tail side in descending
	 * order, D[0..stable).  Every larger one is added (or, if present,
	 * moved) in front of them, smallest first.  Schedulers that do not
	 * build a table from the list keep their order as it is (no moves).
	 */
	ordered = opts->keep_order && rc_sched_order_sensitive(want->conf.sched);
	stable = 0;
	if (ordered) {
		prev = nh;
		for (j = 0; j < nw; j++) {
			if (pos[j] < 0 || (size_t)pos[j] >= prev)
				break;
			prev = (size_t)pos[j];
			stable = j + 1;
		}
	} else {
		stable = nw;
	}

	/* raise in place first, lower after the adds */
	for (j = 0; j < nw; j++) {
		if (pos[j] < 0 || (ordered && j >= stable))
			continue;
		if (rc_dest_equal(&want->dests[j], &have->dests[pos[j]]))
			continue;
		op = opvec_push(
		    &ph[want->dests[j].weight >= have->dests[pos[j]].weight ? PH_GROW : PH_SHRINK],
		    RC_EDIT_DEST, RC_WHY_CHANGED, &want->conf);
		op->dest = want->dests[j];
		op->old = have->dests[pos[j]];
	}
	for (j = 0; j < nw; j++) {
		if (pos[j] >= 0 && !(ordered && j >= stable))
			continue;
		if (pos[j] >= 0) {
			/* delete and re-add back to back: the kernel takes the
			 * destination back from its trash, connections included */
			op = opvec_push(&ph[PH_GROW], RC_DEL_DEST, RC_WHY_MOVE, &want->conf);
			op->dest = have->dests[pos[j]];
			op = opvec_push(&ph[PH_GROW], RC_ADD_DEST, RC_WHY_MOVE, &want->conf);
			op->dest = want->dests[j];
			op->old = have->dests[pos[j]];
			(*moved)++;
		} else {
			op = opvec_push(&ph[PH_GROW], RC_ADD_DEST, RC_WHY_NEW, &want->conf);
			op->dest = want->dests[j];
		}
	}
	for (k = 0; k < nh; k++) {
		if (kept[idx[k]])
			continue;
		op = opvec_push(&ph[PH_SHRINK], RC_DEL_DEST, RC_WHY_GONE, &have->conf);
		op->dest = have->dests[idx[k]];
	}
	free(idx);
	free(pos);
	free(kept);
}

void
rc_plan(const struct rc_table *desired, const struct rc_table *applied,
    const struct rc_svc_conf *retire, size_t nretire, const struct rc_opts *opts, struct rc_plan *p)
{
	struct opvec ph[PH_N];
	const struct rc_svc *have;
	size_t i, k;

	memset(ph, 0, sizeof(ph));
	for (i = 0; i < desired->n; i++) {
		have = rc_table_find(applied, &desired->svcs[i].conf);
		if (have == NULL)
			plan_new_service(&desired->svcs[i], opts, ph);
		else
			plan_service(&desired->svcs[i], have, opts, ph, &p->moved);
	}
	for (i = 0; i < nretire; i++) {
		if (rc_table_find(desired, &retire[i]) != NULL)
			continue;
		have = rc_table_find(applied, &retire[i]);
		if (have == NULL)
			continue;
		for (k = 0; k < ph[PH_DEL_SVC].n; k++)
			if (rc_svc_key_cmp(&ph[PH_DEL_SVC].v[k].svc, &have->conf) == 0)
				break;
		if (k < ph[PH_DEL_SVC].n)
			continue;
		opvec_push(&ph[PH_DEL_SVC], RC_DEL_SVC, RC_WHY_GONE, &have->conf);
	}
	for (i = 0; i < PH_N; i++)
		opvec_move(p, &ph[i], (enum rc_phase)i);
}

size_t
rc_plan_phase_end(const struct rc_op *ops, size_t n, size_t start)
{
	size_t i;

	if (start >= n)
		return n;
	for (i = start + 1; i < n && ops[i].phase == ops[start].phase; i++)
		;
	return i;
}

static int
svc_key_qcmp(const void *a, const void *b)
{
	return rc_svc_key_cmp(a, b);
}

size_t
rc_plan_hold_back(const struct rc_op *ops, const int *err, size_t from, size_t to, bool *hold)
{
	struct rc_svc_conf *bad = NULL;
	size_t i, nbad = 0, held = 0;

	for (i = from; i < to; i++)
		hold[i - from] = false;
	for (i = 0; i < from; i++)
		if (err[i] != 0)
			nbad++;
	if (nbad == 0)
		return 0;
	bad = xreallocarray(NULL, nbad, sizeof(*bad));
	for (i = 0, nbad = 0; i < from; i++)
		if (err[i] != 0)
			bad[nbad++] = ops[i].svc;
	qsort(bad, nbad, sizeof(*bad), svc_key_qcmp);
	for (i = from; i < to; i++) {
		if (ops[i].phase != RC_PH_SHRINK)
			continue;
		if (bsearch(&ops[i].svc, bad, nbad, sizeof(*bad), svc_key_qcmp) == NULL)
			continue;
		hold[i - from] = true;
		held++;
	}
	free(bad);
	return held;
}

void
rc_plan_recreate(const struct rc_svc *want, struct rc_plan *p)
{
	struct opvec ph[PH_N];
	struct rc_op *op;
	size_t j;

	memset(ph, 0, sizeof(ph));
	opvec_push(&ph[PH_DEL_SVC], RC_DEL_SVC, RC_WHY_CHANGED, &want->conf);
	opvec_push(&ph[PH_ADD_SVC], RC_ADD_SVC, RC_WHY_NEW, &want->conf);
	for (j = 0; j < want->ndests; j++) {
		op = opvec_push(&ph[PH_GROW], RC_ADD_DEST, RC_WHY_NEW, &want->conf);
		op->dest = want->dests[j];
	}
	/* the delete first: the service exists, and only then can it be added */
	opvec_move(p, &ph[PH_DEL_SVC], RC_PH_DEL_SVC);
	opvec_move(p, &ph[PH_ADD_SVC], RC_PH_ADD_SVC);
	opvec_move(p, &ph[PH_GROW], RC_PH_GROW);
}

/* ============================================================ simulation */

static void
editor_open(struct dest_editor *e, struct rc_svc *svc)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->svc = svc;
	e->cap = svc->ndests + 16;
	e->ent = xreallocarray(NULL, e->cap, sizeof(*e->ent));
	e->dead = xcalloc(e->cap, sizeof(*e->dead));
	if (svc->ndests > 0)
		memcpy(e->ent, svc->dests, svc->ndests * sizeof(*e->ent));
	e->nent = e->norig = svc->ndests;
	hidx_init(&e->idx, e->nent + 1);
	for (i = 0; i < e->nent; i++)
		hidx_add(&e->idx, hash_sockaddr_x(HASH_INIT, &e->ent[i].addr), i + 1);
}

static bool
editor_eq(const void *ctx, uintptr_t v, const void *key)
{
	const struct dest_editor *e = ctx;

	return !e->dead[v - 1] && sockaddr_x_cmp(&e->ent[v - 1].addr, key) == 0;
}

static long
editor_find(const struct dest_editor *e, const struct sockaddr_x *key)
{
	uintptr_t v;

	v = hidx_find(&e->idx, hash_sockaddr_x(HASH_INIT, key), editor_eq, e, key);
	return v != 0 ? (long)(v - 1) : -1;
}

static void
editor_add(struct dest_editor *e, const struct rc_dest *d)
{
	if (e->nent == e->cap) {
		e->cap *= 2;
		e->ent = xreallocarray(e->ent, e->cap, sizeof(*e->ent));
		e->dead = xreallocarray(e->dead, e->cap, sizeof(*e->dead));
	}
	e->ent[e->nent] = *d;
	e->dead[e->nent] = false;
	e->nent++;
	hidx_add(&e->idx, hash_sockaddr_x(HASH_INIT, &d->addr), e->nent);
}

/* Write the list back: the adds in reverse (each went to the head), then
 * the surviving original list. */
static void
editor_close(struct dest_editor *e)
{
	struct rc_svc *s = e->svc;
	size_t i, n = 0;

	for (i = e->nent; i-- > e->norig;)
		if (!e->dead[i])
			n++;
	for (i = 0; i < e->norig; i++)
		if (!e->dead[i])
			n++;
	free(s->dests);
	s->dests = xreallocarray(NULL, n ? n : 1, sizeof(*s->dests));
	s->ndests = s->capdests = 0;
	s->capdests = n ? n : 1;
	for (i = e->nent; i-- > e->norig;)
		if (!e->dead[i])
			s->dests[s->ndests++] = e->ent[i];
	for (i = 0; i < e->norig; i++)
		if (!e->dead[i])
			s->dests[s->ndests++] = e->ent[i];
	free(e->ent);
	free(e->dead);
	hidx_fini(&e->idx);
	memset(e, 0, sizeof(*e));
}

size_t
rc_table_apply(struct rc_table *t, const struct rc_op *ops, size_t n, const bool *ok)
{
	struct dest_editor *ed = NULL;
	size_t ned = 0, caped = 0, i, k, pos, mismatch = 0;
	struct rc_svc *s;
	const struct rc_op *op;
	bool found;
	long d;

	for (i = 0; i < n; i++) {
		op = &ops[i];
		if (ok != NULL && !ok[i])
			continue;
		switch (op->type) {
		case RC_ADD_SVC:
		case RC_DEL_SVC:
			/* the services array changes: write pending edits back first */
			for (k = 0; k < ned; k++)
				editor_close(&ed[k]);
			ned = 0;
			pos = table_insert_pos(t, &op->svc, &found);
			if (op->type == RC_ADD_SVC) {
				if (found) {
					mismatch++;
					break;
				}
				rc_table_add(t, &op->svc);
				memmove(&t->svcs[pos + 1], &t->svcs[pos],
				    (t->n - 1 - pos) * sizeof(*t->svcs));
				memset(&t->svcs[pos], 0, sizeof(t->svcs[pos]));
				t->svcs[pos].conf = op->svc;
			} else {
				if (!found) {
					mismatch++;
					break;
				}
				rc_svc_release(&t->svcs[pos]);
				memmove(&t->svcs[pos], &t->svcs[pos + 1],
				    (t->n - 1 - pos) * sizeof(*t->svcs));
				t->n--;
			}
			break;
		case RC_EDIT_SVC:
			s = rc_table_find(t, &op->svc);
			if (s == NULL) {
				mismatch++;
				break;
			}
			snprintf(s->conf.sched, sizeof(s->conf.sched), "%s", op->svc.sched);
			s->conf.flags = op->svc.flags;
			s->conf.timeout_s = op->svc.timeout_s;
			s->conf.netmask = op->svc.netmask;
			break;
		case RC_ADD_DEST:
		case RC_EDIT_DEST:
		case RC_DEL_DEST:
			s = rc_table_find(t, &op->svc);
			if (s == NULL) {
				mismatch++;
				break;
			}
			for (k = 0; k < ned; k++)
				if (ed[k].svc == s)
					break;
			if (k == ned) {
				if (ned == caped) {
					caped = caped ? caped * 2 : 4;
					ed = xreallocarray(ed, caped, sizeof(*ed));
				}
				editor_open(&ed[ned++], s);
			}
			d = editor_find(&ed[k], &op->dest.addr);
			if (op->type == RC_ADD_DEST) {
				if (d >= 0)
					mismatch++;
				else
					editor_add(&ed[k], &op->dest);
			} else if (d < 0) {
				mismatch++;
			} else if (op->type == RC_DEL_DEST) {
				ed[k].dead[d] = true;
			} else {
				struct rc_dest *x = &ed[k].ent[d];
				unsigned a = x->activeconns, in = x->inactconns,
					 pc = x->persistconns;

				*x = op->dest;
				x->activeconns = a;
				x->inactconns = in;
				x->persistconns = pc;
			}
			break;
		default:
			mismatch++;
		}
	}
	for (k = 0; k < ned; k++)
		editor_close(&ed[k]);
	free(ed);
	return mismatch;
}

/* ============================================================ text */

const char *
rc_proto_str(int protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		return "proto?";
	}
}

const char *
rc_fwd_str(int fwd)
{
	switch (fwd) {
	case RC_FWD_DR:
		return "dr";
	case RC_FWD_TUN:
		return "tun";
	case RC_FWD_NAT:
		return "nat";
	case 1:
		return "local";
	default:
		return "fwd?";
	}
}

char *
rc_svc_fmt(const struct rc_svc_conf *s, char *buf, size_t len)
{
	char a[SOCKADDR_X_STRLEN];

	if (s->fwmark != 0)
		snprintf(buf, len, "fwmark %u%s", s->fwmark, s->af == AF_INET6 ? " ipv6" : "");
	else
		snprintf(buf, len, "%s %s", rc_proto_str(s->protocol),
		    sockaddr_x_fmt(&s->addr, a, sizeof(a)));
	return buf;
}

const char *
rc_op_type_str(enum rc_op_type t)
{
	static const char *const names[RC_OP_TYPES] = {
	    "add service",
	    "edit service",
	    "delete service",
	    "add dest",
	    "edit dest",
	    "delete dest",
	};

	return (unsigned)t < RC_OP_TYPES ? names[t] : "op?";
}

static char *
svc_attrs_fmt(const struct rc_svc_conf *s, char *buf, size_t len)
{
	const char *fl[3];
	int n, i;
	size_t off;

	off = (size_t)snprintf(buf, len, "scheduler %s", s->sched);
	n = sched_flags_strs(
	    s->sched, s->flags & ~(unsigned)(RC_SVC_F_PERSISTENT | RC_SVC_F_HASHED), fl);
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s", i == 0 ? ", flags " : " ", fl[i]);
	if ((s->flags & RC_SVC_F_PERSISTENT) && off < len)
		snprintf(buf + off, len - off, ", persistent %us /%d", s->timeout_s, s->netmask);
	return buf;
}

static char *
dest_attrs_fmt(const struct rc_svc_conf *svc, const struct rc_dest *d, char *buf, size_t len)
{
	size_t off;

	(void)svc;
	off = (size_t)snprintf(buf, len, "weight %d, %s", d->weight, rc_fwd_str(d->fwd));
	if (d->fwd == RC_FWD_TUN && off < len)
		off += (size_t)snprintf(buf + off, len - off, " %s",
		    d->tun_type == RC_TUN_GUE	? "gue"
		    : d->tun_type == RC_TUN_GRE ? "gre"
						: "ipip");
	if (d->fwd == RC_FWD_TUN && d->tun_type == RC_TUN_GUE && off < len)
		off += (size_t)snprintf(buf + off, len - off, " port %u", d->tun_port);
	if (d->fwd == RC_FWD_TUN && (d->tun_flags & RC_TUN_F_CSUM) && off < len)
		off += (size_t)snprintf(buf + off, len - off, " csum");
	if ((d->u_threshold || d->l_threshold) && off < len)
		snprintf(
		    buf + off, len - off, ", thresholds %u/%u", d->u_threshold, d->l_threshold);
	return buf;
}

char *
rc_op_fmt(const struct rc_op *op, char *buf, size_t len)
{
	char s[80], a[SOCKADDR_X_STRLEN], x[160], y[160];

	rc_svc_fmt(&op->svc, s, sizeof(s));
	sockaddr_x_fmt(&op->dest.addr, a, sizeof(a));
	switch (op->type) {
	case RC_ADD_SVC:
		snprintf(buf, len, "add service %s (%s)", s, svc_attrs_fmt(&op->svc, x, sizeof(x)));
		break;
	case RC_EDIT_SVC:
		snprintf(buf, len, "edit service %s: %s -> %s", s,
		    svc_attrs_fmt(&op->old_svc, x, sizeof(x)),
		    svc_attrs_fmt(&op->svc, y, sizeof(y)));
		break;
	case RC_DEL_SVC:
		snprintf(buf, len, "delete service %s", s);
		break;
	case RC_ADD_DEST:
		snprintf(buf, len, "add dest %s to %s (%s)%s", a, s,
		    dest_attrs_fmt(&op->svc, &op->dest, x, sizeof(x)),
		    op->why == RC_WHY_MOVE ? ", re-inserted for the canonical order" : "");
		break;
	case RC_EDIT_DEST:
		snprintf(buf, len, "edit dest %s of %s: %s -> %s", a, s,
		    dest_attrs_fmt(&op->svc, &op->old, x, sizeof(x)),
		    dest_attrs_fmt(&op->svc, &op->dest, y, sizeof(y)));
		break;
	case RC_DEL_DEST:
		snprintf(buf, len, "delete dest %s from %s%s", a, s,
		    op->why == RC_WHY_MOVE ? " (to re-insert it in canonical order)" : "");
		break;
	default:
		snprintf(buf, len, "op %d on %s", (int)op->type, s);
	}
	return buf;
}

char *
rc_plan_summary(const struct rc_plan *p, char *buf, size_t len)
{
	size_t off = 0, t;

	buf[0] = '\0';
	for (t = 0; t < RC_OP_TYPES && off < len; t++) {
		if (p->count[t] == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%zu %s", off ? ", " : "",
		    p->count[t], rc_op_type_str((enum rc_op_type)t));
	}
	if (p->moved > 0 && off < len)
		snprintf(buf + off, len - off, "; %zu dest%s re-inserted for the canonical order",
		    p->moved, p->moved == 1 ? "" : "s");
	return buf;
}
