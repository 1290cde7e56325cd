/* SPDX-License-Identifier: Apache-2.0 */
/*
 * explain_fmt.c - one server's weight on this router, in words (explain_fmt.h).
 *
 * The order of the steps is the order in which the weight is decided:
 * membership, operator drain, health, the pool's min_servers guard and the
 * adoption hold (the dataplane's decision), the kernel, then the VIPs'
 * roles (a backup keeps the same IPVS table; the role says whether traffic
 * reaches it at all).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "explain_fmt.h"
#include "json.h"
#include "util.h"

static void
fmt_wall(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, len, "an unknown time");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* "850ms", "12.3s", "4m05s", "2h10m" */
static char *
fmt_ago(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "?");
	else if (ms < 1000)
		snprintf(buf, len, "%" PRId64 "ms", ms);
	else if (ms < 120000)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "s", ms / 1000, ms % 1000 / 100);
	else if (ms < 7200000)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, ms / 60000 % 60);
	return buf;
}

const char *
explain_why_str(enum explain_why why)
{
	switch (why) {
	case EXPLAIN_NOT_SERVED:
		return "not-served";
	case EXPLAIN_UP:
		return "up";
	case EXPLAIN_ZERO:
		return "weight-zero";
	case EXPLAIN_DRAINED:
		return "drained";
	case EXPLAIN_DOWN:
		return "down";
	case EXPLAIN_DOWN_REMOVED:
		return "down-removed";
	case EXPLAIN_GUARD:
		return "min-servers-guard";
	case EXPLAIN_ADOPTED:
		return "adopted";
	}
	return "?";
}

/* Where the member is listed: "/etc/x.conf line 12" */
static char *
fmt_src(const struct explain_member *m, char *buf, size_t len)
{
	if (m->line > 0)
		snprintf(buf, len, "%s line %d", m->src[0] ? m->src : "?", m->line);
	else
		snprintf(buf, len, "%s", m->src[0] ? m->src : "?");
	return buf;
}

/* Why a drained member is drained (the first that applies). */
static char *
drain_reason(const struct explain *x, char *buf, size_t len)
{
	char t[40], s[300], a[32];

	if (x->drain.any && x->drain.drained) {
		fmt_wall(x->drain.when, t, sizeof(t));
		snprintf(buf, len, "drained by %s on %s at %s", x->drain.who, x->drain.router, t);
	} else if (x->member.grace_left_ms >= 0) {
		snprintf(buf, len, "removed from %s, draining for %s more (drain_grace_ms)",
		    x->member.src, fmt_ago(x->member.grace_left_ms, a, sizeof(a)));
	} else if (x->member.drain) {
		snprintf(buf, len, "drained in %s", fmt_src(&x->member, s, sizeof(s)));
	} else {
		snprintf(buf, len, "drained");
	}
	return buf;
}

static const struct explain_result *
last_failure(const struct explain_health *h)
{
	size_t i;

	for (i = 0; i < h->nhist; i++)
		if (!h->hist[i].ok)
			return &h->hist[i];
	return NULL;
}

char *
explain_verdict(const struct explain *x, char *buf, size_t len)
{
	const struct explain_dataplane *d = &x->dp;
	const struct explain_result *f;
	char why[400], a[32];

	if (!x->member.found) {
		snprintf(buf, len, "not a server of pool %s", x->pool);
		return buf;
	}
	switch (d->why) {
	case EXPLAIN_NOT_SERVED:
		snprintf(buf, len, "not served here: no VIP this router serves uses pool %s",
		    x->pool);
		return buf;
	case EXPLAIN_UP:
		snprintf(buf, len, "weight %d: up (%s check)", d->want, x->health.check);
		return buf;
	case EXPLAIN_ZERO:
		snprintf(buf, len, "weight 0: up, but configured with weight 0 (%s)",
		    fmt_src(&x->member, why, sizeof(why)));
		return buf;
	case EXPLAIN_DRAINED:
		snprintf(buf, len, "weight 0: %s", drain_reason(x, why, sizeof(why)));
		return buf;
	case EXPLAIN_ADOPTED:
		snprintf(buf, len, "weight %d: adopted from the kernel at start, kept until its "
		    "%s check has a verdict", d->want, x->health.check);
		return buf;
	case EXPLAIN_DOWN:
	case EXPLAIN_DOWN_REMOVED:
	case EXPLAIN_GUARD:
		break;
	}
	f = last_failure(&x->health);
	if (f != NULL)
		snprintf(why, sizeof(why), "%s check failed (%s), %s ago", x->health.check, f->text,
		    fmt_ago(f->ago_ms, a, sizeof(a)));
	else if (x->health.known && !x->health.seen)
		snprintf(why, sizeof(why), "starts down, %s check not passed %d time%s yet",
		    x->health.check, x->health.rise, x->health.rise == 1 ? "" : "s");
	else
		snprintf(why, sizeof(why), "%s check not passed %d time%s in a row yet",
		    x->health.check, x->health.rise, x->health.rise == 1 ? "" : "s");
	if (d->why == EXPLAIN_GUARD)
		snprintf(buf, len, "weight %d although down (%s): kept in by min_servers %d "
		    "(%zu of %zu servers live)", d->want, why, d->min_servers, d->live, d->members);
	else if (d->why == EXPLAIN_DOWN_REMOVED)
		snprintf(buf, len, "not in the kernel: down (%s), and the pool removes failed "
		    "servers", why);
	else
		snprintf(buf, len, "weight 0: down (%s)", why);
	return buf;
}

static void
text_member(const struct explain *x, struct tbuf *o)
{
	const struct explain_member *m = &x->member;
	char s[300], t[40], t2[40];

	if (!m->dynamic) {
		tbuf_printf(o, "  member:   in the configuration, %s: weight %d%s\n",
		    fmt_src(m, s, sizeof(s)), m->weight, m->drain ? ", drain = true" : "");
		return;
	}
	fmt_wall(m->listed_since, t, sizeof(t));
	fmt_wall(m->file_updated, t2, sizeof(t2));
	if (m->grace_left_ms >= 0)
		tbuf_printf(o, "  member:   no longer in endpoints file %s (last accepted "
		    "reading %s): draining until its grace ends\n", m->src, t2);
	else
		tbuf_printf(o, "  member:   endpoints file %s: weight %d%s; listed since %s; last "
		    "accepted reading %s\n", fmt_src(m, s, sizeof(s)), m->weight,
		    m->drain ? ", drain" : "", t, t2);
	if (m->file_refused[0])
		tbuf_printf(o, "            the file's last reading was refused (%s): the "
		    "last good set holds\n", m->file_refused);
}

static void
text_drain(const struct explain *x, struct tbuf *o)
{
	char t[40];

	if (!x->drain.any) {
		tbuf_puts(o, "  drain:    not drained by ipvs-routerctl\n");
		return;
	}
	fmt_wall(x->drain.when, t, sizeof(t));
	tbuf_printf(o, "  drain:    %s by %s on %s at %s\n",
	    x->drain.drained ? "drained" : "undrained", x->drain.who, x->drain.router, t);
}

static void
text_health(const struct explain *x, struct tbuf *o)
{
	const struct explain_health *h = &x->health;
	char a[32];
	size_t i;

	if (!h->known) {
		tbuf_puts(o, "  health:   no entry in the health table\n");
		return;
	}
	if (strcmp(h->check, "none") == 0) {
		tbuf_printf(o, "  health:   no check: %s\n", h->up ? "up" : "down");
		return;
	}
	tbuf_printf(o, "  health:   %s check of %s: %s for %s; rise %d, fall %d; ", h->check,
	    h->target, h->up ? "up" : "down", fmt_ago(h->since_ago_ms, a, sizeof(a)), h->rise,
	    h->fall);
	if (h->up)
		tbuf_printf(o, "%d failure%s in a row of %d\n", h->fail_run,
		    h->fail_run == 1 ? "" : "s", h->fall);
	else
		tbuf_printf(o, "%d pass%s in a row of %d, %d failure%s in a row\n", h->ok_run,
		    h->ok_run == 1 ? "" : "es", h->rise, h->down_run, h->down_run == 1 ? "" : "s");
	if (h->local[0])
		tbuf_printf(o, "            probes held back: %s\n", h->local);
	if (h->nhist == 0) {
		tbuf_puts(o, "            no result yet\n");
		return;
	}
	tbuf_printf(o, "            last %zu result%s of %lu, newest first:\n", h->nhist,
	    h->nhist == 1 ? "" : "s", h->probes);
	for (i = 0; i < h->nhist; i++)
		tbuf_printf(o, "              %8s ago  %-4s %s\n",
		    fmt_ago(h->hist[i].ago_ms, a, sizeof(a)), h->hist[i].ok ? "ok" : "FAIL",
		    h->hist[i].text);
}

static void
text_dataplane(const struct explain *x, struct tbuf *o)
{
	const struct explain_dataplane *d = &x->dp;
	char a[32];
	size_t i;

	if (!d->known) {
		tbuf_printf(o, "  pool:     no service this router serves uses pool %s\n", x->pool);
	} else {
		tbuf_printf(o, "  pool:     %zu member%s, %zu live before the guard; min_servers %d",
		    d->members, d->members == 1 ? "" : "s", d->live, d->min_servers);
		if (d->kept > 0)
			tbuf_printf(o, ": the guard keeps %zu failed server%s in", d->kept,
			    d->kept == 1 ? "" : "s");
		tbuf_puts(o, "\n");
		tbuf_printf(o, "  adoption: %s\n", d->why == EXPLAIN_ADOPTED ?
		    "held: the kernel had it with a weight at start; kept until health speaks" :
		    "not held");
		if (d->want < 0)
			tbuf_printf(o, "  decision: not in the kernel (%s)\n", explain_why_str(d->why));
		else
			tbuf_printf(o, "  decision: weight %d (%s)\n", d->want, explain_why_str(d->why));
	}
	if (!d->available) {
		tbuf_puts(o, "  kernel:   IPVS is not available: nothing is programmed\n");
		return;
	}
	for (i = 0; i < d->nsvcs; i++) {
		const struct explain_svc *s = &d->svcs[i];

		if (s->present)
			tbuf_printf(o, "  kernel:   %s %s: weight %d", s->label, s->svc, s->weight);
		else
			tbuf_printf(o, "  kernel:   %s %s: not there", s->label, s->svc);
		if (s->changed)
			tbuf_printf(o, "; last change %s ago: %s%s%s\n",
			    fmt_ago(s->last_ago_ms, a, sizeof(a)), s->last_op,
			    s->last_err ? " - FAILED: " : "",
			    s->last_err ? strerror(-s->last_err) : "");
		else if (d->history_ago_ms >= 0)
			tbuf_printf(o, "; not changed by this daemon in the last %s of changes kept\n",
			    fmt_ago(d->history_ago_ms, a, sizeof(a)));
		else
			tbuf_puts(o, "; not changed by this daemon\n");
	}
	if (d->more_svcs > 0)
		tbuf_printf(o, "  kernel:   and %zu more service%s\n", d->more_svcs,
		    d->more_svcs == 1 ? "" : "s");
	if (d->pending)
		tbuf_puts(o, "            (a reconcile is under way: the kernel may lag the decision)\n");
}

static void
text_vips(const struct explain *x, struct tbuf *o)
{
	char a[32];
	size_t i;

	for (i = 0; i < x->nvips; i++) {
		const struct explain_vip *v = &x->vips[i];

		if (!v->election) {
			tbuf_printf(o, "  vip %s: served here (no election)\n", v->name);
			continue;
		}
		if (strcmp(v->role, "MASTER") == 0)
			tbuf_printf(o, "  vip %s: MASTER here (priority %d): traffic comes here\n",
			    v->name, v->priority);
		else if (strcmp(v->role, "BACKUP") == 0 && v->master[0])
			tbuf_printf(o, "  vip %s: not master: router %s is, priority %d %s %d "
			    "(last advert %s ago)\n", v->name, v->master, v->master_priority,
			    v->master_priority >= v->priority ? ">=" : "<", v->priority,
			    fmt_ago(v->heard_ago_ms, a, sizeof(a)));
		else if (strcmp(v->role, "FAULT") == 0)
			tbuf_printf(o, "  vip %s: FAULT here (%s)\n", v->name,
			    v->fault[0] ? v->fault : "?");
		else
			tbuf_printf(o, "  vip %s: %s here (priority %d), no master heard\n", v->name,
			    v->role, v->priority);
		if (v->priority != v->base_priority)
			tbuf_printf(o, "            priority %d configured, %d after tracking\n",
			    v->base_priority, v->priority);
		if (v->settling)
			tbuf_puts(o, "            a tracked pool has not settled: no preemption yet\n");
	}
}

void
explain_text(const struct explain *x, struct tbuf *o)
{
	char v[600];

	tbuf_printf(o, "pool %s server %s: %s\n", x->pool, x->server,
	    explain_verdict(x, v, sizeof(v)));
	if (!x->member.found)
		return;
	text_member(x, o);
	text_drain(x, o);
	text_health(x, o);
	text_dataplane(x, o);
	text_vips(x, o);
}

static void
json_wall(struct json *j, const char *key, time_t t)
{
	if (t > 0)
		json_int(j, key, (long long)t);
	else
		json_null(j, key);
}

static void
json_ago(struct json *j, const char *key, int64_t ms)
{
	if (ms >= 0)
		json_int(j, key, (long long)ms);
	else
		json_null(j, key);
}

void
explain_json(const struct explain *x, struct json *j)
{
	const struct explain_member *m = &x->member;
	const struct explain_health *h = &x->health;
	const struct explain_dataplane *d = &x->dp;
	char v[600];
	size_t i;

	json_obj_begin(j, NULL);
	json_string(j, "pool", x->pool);
	json_string(j, "server", x->server);
	json_string(j, "router", x->router[0] ? x->router : NULL);
	json_string(j, "verdict", explain_verdict(x, v, sizeof(v)));
	json_bool(j, "found", m->found);
	if (!m->found) {
		json_obj_end(j);
		return;
	}
	json_string(j, "why", explain_why_str(d->why));
	if (d->known)
		json_int(j, "weight", d->want);
	else
		json_null(j, "weight");

	json_obj_begin(j, "member");
	json_string(j, "source", m->dynamic ? "endpoints" : "config");
	json_string(j, "file", m->src);
	json_int(j, "line", m->line);
	json_int(j, "weight", m->weight);
	json_bool(j, "drain", m->drain);
	if (m->dynamic) {
		json_wall(j, "listed_since", m->listed_since);
		json_wall(j, "file_updated", m->file_updated);
		json_string(j, "file_refused", m->file_refused[0] ? m->file_refused : NULL);
		json_ago(j, "grace_left_ms", m->grace_left_ms);
	}
	json_obj_end(j);

	json_obj_begin(j, "drain");
	json_bool(j, "on_record", x->drain.any);
	if (x->drain.any) {
		json_bool(j, "drained", x->drain.drained);
		json_string(j, "who", x->drain.who);
		json_string(j, "router", x->drain.router);
		json_wall(j, "at", x->drain.when);
	}
	json_obj_end(j);

	json_obj_begin(j, "health");
	json_bool(j, "known", h->known);
	if (h->known) {
		json_string(j, "check", h->check);
		json_string(j, "target", h->target[0] ? h->target : NULL);
		json_bool(j, "up", h->up);
		json_ago(j, "since_ms_ago", h->since_ago_ms);
		json_int(j, "rise", h->rise);
		json_int(j, "fall", h->fall);
		json_int(j, "passes_in_a_row", h->ok_run);
		json_int(j, "failures_in_a_row", h->up ? h->fail_run : h->down_run);
		json_bool(j, "settled", h->settled);
		json_string(j, "held_back", h->local[0] ? h->local : NULL);
		json_uint(j, "results", h->probes);
		json_arr_begin(j, "last");
		for (i = 0; i < h->nhist; i++) {
			json_obj_begin(j, NULL);
			json_bool(j, "ok", h->hist[i].ok);
			json_ago(j, "ms_ago", h->hist[i].ago_ms);
			json_string(j, "result", h->hist[i].text);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_obj_end(j);

	json_obj_begin(j, "pool_state");
	json_bool(j, "served", d->known);
	json_uint(j, "members", d->members);
	json_uint(j, "live", d->live);
	json_int(j, "min_servers", d->min_servers);
	json_uint(j, "kept_by_guard", d->kept);
	json_bool(j, "adoption_hold", d->why == EXPLAIN_ADOPTED);
	json_obj_end(j);

	json_obj_begin(j, "kernel");
	json_bool(j, "ipvs", d->available);
	json_bool(j, "reconcile_pending", d->pending);
	json_arr_begin(j, "services");
	for (i = 0; i < d->nsvcs; i++) {
		const struct explain_svc *s = &d->svcs[i];

		json_obj_begin(j, NULL);
		json_string(j, "label", s->label);
		json_string(j, "service", s->svc);
		json_bool(j, "present", s->present);
		if (s->present)
			json_int(j, "weight", s->weight);
		else
			json_null(j, "weight");
		if (s->changed) {
			json_string(j, "last_change", s->last_op);
			json_ago(j, "last_change_ms_ago", s->last_ago_ms);
			json_int(j, "last_change_errno", -s->last_err);
		} else {
			json_null(j, "last_change");
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_uint(j, "more_services", d->more_svcs);
	json_obj_end(j);

	json_arr_begin(j, "vips");
	for (i = 0; i < x->nvips; i++) {
		const struct explain_vip *vp = &x->vips[i];

		json_obj_begin(j, NULL);
		json_string(j, "name", vp->name);
		json_bool(j, "election", vp->election);
		if (vp->election) {
			json_string(j, "role", vp->role);
			json_int(j, "priority", vp->priority);
			json_int(j, "configured_priority", vp->base_priority);
			json_string(j, "master", vp->master[0] ? vp->master : NULL);
			if (vp->master[0])
				json_int(j, "master_priority", vp->master_priority);
			json_ago(j, "master_heard_ms_ago", vp->heard_ago_ms);
			json_string(j, "fault", vp->fault[0] ? vp->fault : NULL);
			json_bool(j, "settling", vp->settling);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}
