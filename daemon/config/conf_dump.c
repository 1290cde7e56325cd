/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_dump.c - print a validated config in canonical, re-parseable form.
 *
 * Canonical: every setting with its resolved value (defaults included),
 * sections and keys in a fixed order, collections in their total order.
 * Two configs that mean the same thing dump to the same text, and loading a
 * dump gives back the same dump (the golden tests check both).
 * Server check overrides are printed as written (sparse), since the effective
 * check is derived from the pool's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

struct out {
	FILE *f;
	int depth;
};

static void	put(struct out *, const char *, ...) PRINTF_LIKE(2, 3);

static void
indent(struct out *o)
{
	int i;

	for (i = 0; i < o->depth; i++)
		fputs("  ", o->f);
}

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	indent(o);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
}

/* A libconfig string literal. */
static void
put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch == '\r')
			fputs("\\r", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
put_str(struct out *o, const char *key, const char *val)
{
	if (val == NULL)
		return;
	indent(o);
	fprintf(o->f, "%s = ", key);
	put_quoted(o->f, val);
	fputs(";\n", o->f);
}

static void
put_int(struct out *o, const char *key, long long v)
{
	/* libconfig reads integers beyond 32 bits only with the L suffix */
	if (v > 2147483647LL || v < -2147483648LL)
		put(o, "%s = %lldL;", key, v);
	else
		put(o, "%s = %lld;", key, v);
}

static void
put_bool(struct out *o, const char *key, bool v)
{
	put(o, "%s = %s;", key, v ? "true" : "false");
}

static void
put_addr(struct out *o, const char *key, const struct sockaddr_x *sa)
{
	char a[SOCKADDR_X_STRLEN];

	put_str(o, key, sockaddr_x_fmt(sa, a, sizeof(a)));
}

static void
put_argv(struct out *o, const char *key, char *const *argv, int argc)
{
	int i;

	indent(o);
	fprintf(o->f, "%s = [ ", key);
	for (i = 0; i < argc; i++) {
		if (i > 0)
			fputs(", ", o->f);
		put_quoted(o->f, argv[i]);
	}
	fputs(" ];\n", o->f);
}

static void
open_group(struct out *o, const char *key)
{
	put(o, "%s = {", key);
	o->depth++;
}

static void
close_group(struct out *o, bool last)
{
	o->depth--;
	put(o, "}%s", last ? ";" : "");
}

/* Elements of a list ( {..}, {..} ) */
static void
open_elem(struct out *o)
{
	put(o, "{");
	o->depth++;
}

static void
close_elem(struct out *o, bool last)
{
	o->depth--;
	put(o, "}%s", last ? "" : ",");
}

/* ------------------------------------------------------------ check */

/* Print the fields a check sets; `sparse` = an override, where unset fields are skipped. */
static void
dump_check(struct out *o, const struct check *ck, bool sparse)
{
	int i;

	open_group(o, "check");
	if (ck->type != CHECK_UNSET)
		put_str(o, "type", check_type_str(ck->type));
	if (ck->port > 0)
		put_int(o, "port", ck->port);
	if (ck->interval_ms != MODEL_UNSET)
		put_int(o, "interval_ms", ck->interval_ms);
	if (ck->timeout_ms != MODEL_UNSET)
		put_int(o, "timeout_ms", ck->timeout_ms);
	if (ck->rise != MODEL_UNSET)
		put_int(o, "rise", ck->rise);
	if (ck->fall != MODEL_UNSET)
		put_int(o, "fall", ck->fall);
	put_str(o, "method", ck->method);
	put_str(o, "path", ck->path);
	put_str(o, "host", ck->host);
	if (ck->nexpect > 0) {
		indent(o);
		fputs("expect = [ ", o->f);
		for (i = 0; i < ck->nexpect; i++) {
			if (ck->expect[i].lo == ck->expect[i].hi)
				fprintf(o->f, "%s\"%d\"", i ? ", " : "", ck->expect[i].lo);
			else
				fprintf(o->f, "%s\"%d-%d\"", i ? ", " : "", ck->expect[i].lo,
				    ck->expect[i].hi);
		}
		fputs(" ];\n", o->f);
	}
	put_str(o, "body", ck->body);
	if (ck->reuse_connection != MODEL_UNSET &&
	    (sparse || ck->type == CHECK_HTTP || ck->type == CHECK_HTTPS))
		put_bool(o, "reuse_connection", ck->reuse_connection);
	if (ck->verify != MODEL_UNSET && (sparse || ck->type == CHECK_HTTPS))
		put_bool(o, "verify", ck->verify);
	put_str(o, "sni", ck->sni);
	put_str(o, "ca_file", ck->ca_file);
	put_str(o, "client_cert", ck->client_cert);
	put_str(o, "client_key", ck->client_key);
	if (ck->argc > 0)
		put_argv(o, "command", ck->argv, ck->argc);
	close_group(o, true);
}

/* ------------------------------------------------------------ sections */

static void
dump_top(struct out *o, const struct config *c)
{
	const struct election *e = &c->election;
	const struct aws *a = &c->aws;
	size_t i;
	char mode[8];

	open_group(o, "router");
	put_str(o, "name", c->router.name);
	put_str(o, "interface", c->router.interface);
	put_str(o, "endpoints_dir", c->router.endpoints_dir);
	put_str(o, "syslog_facility", c->router.syslog_facility);
	close_group(o, true);
	fputc('\n', o->f);

	open_group(o, "ipvs");
	put_int(o, "reconcile_interval_ms", c->ipvs.reconcile_interval_ms);
	put_int(o, "traffic_interval_ms", c->ipvs.traffic_interval_ms);
	put_bool(o, "flush_on_exit", c->ipvs.flush_on_exit);
	put_bool(o, "sloppy_tcp", c->ipvs.sloppy_tcp);
	put_bool(o, "sloppy_sctp", c->ipvs.sloppy_sctp);
	close_group(o, true);
	fputc('\n', o->f);

	open_group(o, "checks");
	put_bool(o, "allow_exec", c->checks.allow_exec);
	put_int(o, "jitter_percent", c->checks.jitter_percent);
	close_group(o, true);
	fputc('\n', o->f);

	if (e->present) {
		open_group(o, "election");
		put_int(o, "advert_interval_ms", e->advert_interval_ms);
		put_str(o, "auth", auth_mode_str(e->auth));
		put_str(o, "auth_key_file", e->auth_key_file);
		put_bool(o, "preempt", e->preempt);
		put_int(o, "preempt_delay_ms", e->preempt_delay_ms);
		put_bool(o, "track_interface", e->track_interface);
		put_bool(o, "check_ttl", e->ttl_check);
		if (e->notify_argc > 0) {
			open_group(o, "notify");
			put_argv(o, "command", e->notify_argv, e->notify_argc);
			put_int(o, "timeout_ms", e->notify_timeout_ms);
			close_group(o, true);
		}
		if (e->sync.present) {
			open_group(o, "sync_daemon");
			put_str(o, "vip", e->sync.vip);
			put_str(o, "interface", e->sync.interface);
			put_int(o, "syncid", e->sync.syncid);
			put_addr(o, "group", &e->sync.group);
			put_int(o, "port", e->sync.port);
			put_int(o, "ttl", e->sync.ttl);
			close_group(o, true);
		}
		put(o, "peers = (");
		o->depth++;
		for (i = 0; i < e->npeers; i++) {
			open_elem(o);
			put_str(o, "name", e->peers[i].name);
			put_addr(o, "address", &e->peers[i].addr);
			close_elem(o, i + 1 == e->npeers);
		}
		o->depth--;
		put(o, ");");
		close_group(o, true);
		fputc('\n', o->f);
	}

	if (a->present) {
		open_group(o, "aws");
		put_str(o, "region", a->region);
		put_str(o, "ec2_endpoint", a->ec2_endpoint);
		put_str(o, "imds_endpoint", a->imds_endpoint);
		put_str(o, "ca_file", a->ca_file);
		put_str(o, "network_interface_id", a->network_interface_id);
		put_bool(o, "disable_source_dest_check", a->disable_source_dest_check);
		put_int(o, "verify_interval_ms", a->verify_interval_ms);
		put_int(o, "api_timeout_ms", a->api_timeout_ms);
		put_bool(o, "dry_run_check", a->dry_run_check);
		close_group(o, true);
		fputc('\n', o->f);
	}

	if (c->bgp.table != 0) { /* validated: set when a VIP is announced by BGP */
		open_group(o, "bgp");
		put_int(o, "table", (int64_t)c->bgp.table);
		put_int(o, "withdraw_grace_ms", c->bgp.withdraw_grace_ms);
		close_group(o, true);
		fputc('\n', o->f);
	}

	open_group(o, "control");
	put_str(o, "socket", c->control.socket);
	put_str(o, "group", c->control.group);
	snprintf(mode, sizeof(mode), "%04o", (unsigned)c->control.mode);
	put_str(o, "mode", mode);
	close_group(o, true);
	fputc('\n', o->f);

	open_group(o, "metrics");
	put_bool(o, "enabled", c->metrics.enabled);
	put_addr(o, "listen", &c->metrics.listen);
	close_group(o, true);
	fputc('\n', o->f);
}

static void
dump_service(struct out *o, const struct service *s, bool last)
{
	const char *flags[3];
	int i, n;

	open_elem(o);
	if (s->fwmark != 0) {
		put_int(o, "fwmark", s->fwmark);
	} else {
		put_str(o, "protocol", proto_str(s->protocol));
		put_int(o, "port", s->port);
	}
	put_str(o, "pool", s->pool_name);
	put_str(o, "scheduler", s->scheduler);
	n = sched_flags_strs(s->scheduler, s->sched_flags, flags);
	if (n > 0) {
		indent(o);
		fputs("scheduler_flags = [ ", o->f);
		for (i = 0; i < n; i++)
			fprintf(o->f, "%s\"%s\"", i ? ", " : "", flags[i]);
		fputs(" ];\n", o->f);
	}
	put_str(o, "method", fwd_method_str(s->method));
	if (s->method == FWD_TUN) {
		open_group(o, "tunnel");
		put_str(o, "type", tun_type_str(s->tun_type));
		if (s->tun_type == TUN_GUE)
			put_int(o, "port", s->tun_port);
		if (s->tun_type != TUN_IPIP)
			put_bool(o, "checksum", !s->tun_nocsum);
		close_group(o, true);
	}
	put_int(o, "persistence_timeout_s", s->persistence_timeout_s);
	put_int(o, "persistence_prefix", s->persistence_prefix);
	close_elem(o, last);
}

static void
dump_vip(struct out *o, const struct vip *v, bool last)
{
	size_t i;

	open_elem(o);
	put_str(o, "name", v->name);
	put_addr(o, "address", &v->addr);
	if (v->announce != ANNOUNCE_ELECTION)
		put_str(o, "announce", vip_announce_str(v->announce));
	if (v->vrid > 0)
		put_int(o, "vrid", v->vrid);
	put_str(o, "interface", v->interface);
	put_bool(o, "manage_address", v->manage_address);
	if (v->nprios > 0) {
		open_group(o, "priority");
		for (i = 0; i < v->nprios; i++)
			put_int(o, v->prios[i].router, v->prios[i].priority);
		close_group(o, true);
	}
	put_int(o, "advert_interval_ms", v->advert_interval_ms);
	put_bool(o, "preempt", v->preempt);
	put_int(o, "preempt_delay_ms", v->preempt_delay_ms);
	put_str(o, "on_pool_failure", track_action_str(v->on_pool_failure));
	put_int(o, "priority_decrement", v->priority_decrement);
	open_group(o, "garp");
	put_bool(o, "enabled", v->garp.enabled);
	put_int(o, "count", v->garp.count);
	put_int(o, "interval_ms", v->garp.interval_ms);
	put_int(o, "refresh_ms", v->garp.refresh_ms);
	close_group(o, true);
	if (v->eip.allocation_id != NULL) {
		open_group(o, "eip");
		put_str(o, "allocation_id", v->eip.allocation_id);
		if (v->eip.nprivate_ips > 0) {
			open_group(o, "private_ip");
			for (i = 0; i < v->eip.nprivate_ips; i++)
				put_addr(o, v->eip.private_ips[i].router, &v->eip.private_ips[i].addr);
			close_group(o, true);
		}
		close_group(o, true);
	}
	put_bool(o, "move_private_ip", v->move_private_ip);
	put(o, "services = (");
	o->depth++;
	for (i = 0; i < v->nservices; i++)
		dump_service(o, &v->services[i], i + 1 == v->nservices);
	o->depth--;
	put(o, ");");
	close_elem(o, last);
}

static void
dump_pool(struct out *o, const struct pool *p, bool last_pool)
{
	size_t i, last;

	open_elem(o);
	put_str(o, "name", p->name);
	put_int(o, "port", p->port);
	put_int(o, "weight", p->weight);
	put_int(o, "min_servers", p->min_servers);
	put_bool(o, "remove_failed", p->remove_failed);
	put_str(o, "initial_state", init_state_str(p->initial_state));
	dump_check(o, &p->check, false);
	put_str(o, "endpoints_file", p->endpoints_file);
	put_bool(o, "endpoints_required", p->endpoints_required);
	put_int(o, "max_drop_percent", p->max_drop_percent);
	put_bool(o, "allow_empty", p->allow_empty);
	put_int(o, "drain_grace_ms", p->drain_grace_ms);
	put(o, "servers = (");
	o->depth++;
	for (i = 0, last = 0; i < p->nservers; i++)
		if (!p->servers[i].dynamic)
			last = i;
	for (i = 0; i < p->nservers; i++) {
		const struct server *s = &p->servers[i];
		struct sockaddr_x a = s->addr;

		if (s->dynamic)		/* endpoints-file servers are not configuration */
			continue;
		open_elem(o);
		a.port = 0;
		put_addr(o, "address", &a);
		if (s->addr.port != 0)
			put_int(o, "port", s->addr.port);
		put_int(o, "weight", s->weight);
		if (s->upper_threshold > 0)
			put_int(o, "upper_threshold", s->upper_threshold);
		if (s->lower_threshold > 0)
			put_int(o, "lower_threshold", s->lower_threshold);
		put_bool(o, "drain", s->drain);
		if (s->check_override.line > 0)
			dump_check(o, &s->check_override, true);
		close_elem(o, i == last);
	}
	o->depth--;
	put(o, ");");
	close_elem(o, last_pool);
}

int
conf_dump(const struct config *c, FILE *f)
{
	struct out o = { f, 0 };
	size_t i;

	fputs("# ipvs-router configuration, canonical form (ipvs-router --dump-config)\n\n", f);
	dump_top(&o, c);
	put(&o, "vips = (");
	o.depth++;
	for (i = 0; i < c->nvips; i++)
		dump_vip(&o, &c->vips[i], i + 1 == c->nvips);
	o.depth--;
	put(&o, ");");
	fputc('\n', f);
	put(&o, "pools = (");
	o.depth++;
	for (i = 0; i < c->npools; i++)
		dump_pool(&o, &c->pools[i], i + 1 == c->npools);
	o.depth--;
	put(&o, ");");
	return ferror(f) ? -EIO : 0;
}

char *
conf_dump_string(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	conf_dump(c, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
