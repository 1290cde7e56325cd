/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_load.c - configuration file -> struct config.  With conf_walk.c, the
 * only user of libconfig.
 *
 * The schema of the language: one table of fields per group (conf_walk.h
 * says what a field is and how a group is walked), loaders for the few
 * settings a table cannot describe, and the values an object starts from
 * before its group is read.  Then the entry points, which read a file or a
 * string and walk its root.  Cross-object rules (references, uniqueness,
 * inheritance) belong to conf_validate.c.
 */
#include <errno.h>
#include <limits.h>
#include <libconfig.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_walk.h"

#define MS_MAX		3600000

/* ------------------------------------------------------------ checks */

static void
ld_expect(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct check *ck = obj;
	int i, len;

	if (!config_setting_is_array(s)) {
		walk_err(ld, s, path,
		    "expected an array of statuses like [ 200 ] or [ \"200-299\" ], got %s",
		    walk_type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0 || len > CHECK_EXPECT_MAX) {
		walk_err(ld, s, path, "expected 1 to %d statuses, got %d", CHECK_EXPECT_MAX, len);
		return;
	}
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		long long lo, hi;

		if (walk_is_int(e)) {
			if (!walk_get_int(ld, e, path, LLONG_MIN, LLONG_MAX, &lo))
				return;
			hi = lo;
		} else {
			const char *str = config_setting_get_string(e);
			char buf[32], *dash;

			if (str == NULL || strlen(str) >= sizeof(buf))
				goto bad;
			snprintf(buf, sizeof(buf), "%s", str);
			dash = strchr(buf, '-');
			if (dash != NULL)
				*dash = '\0';
			if (parse_int(buf, 0, 999, &lo) < 0)
				goto bad;
			hi = lo;
			if (dash != NULL && parse_int(dash + 1, 0, 999, &hi) < 0)
				goto bad;
		}
		if (lo < 100 || hi > 599 || lo > hi) {
			walk_err(ld, e, path, "status range %lld-%lld is not within 100..599",
			    lo, hi);
			return;
		}
		ck->expect[i].lo = (int)lo;
		ck->expect[i].hi = (int)hi;
		continue;
bad:
		walk_err(ld, e, path,
		    "element %d: expected a status (200) or a range (\"200-299\")", i);
		return;
	}
	ck->nexpect = len;
}

static void
ld_command(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct check *ck = obj;
	int n = walk_str_array(ld, s, path, ck->argv, CHECK_ARGV_MAX);

	if (n == 0)
		walk_err(ld, s, path, "must not be empty");
	if (n > 0)
		ck->argc = n;
}

static const struct field check_fields[] = {
	FENUM(check, "type", type, check_type_from_str, "tcp, http, https, exec or none"),
	FLD(check, "port", F_INT, port, 1, 65535, 0),
	FLD(check, "interval_ms", F_INT, interval_ms, 10, MS_MAX, 0),
	FLD(check, "timeout_ms", F_INT, timeout_ms, 10, 600000, 0),
	FLD(check, "rise", F_INT, rise, 1, 100, 0),
	FLD(check, "fall", F_INT, fall, 1, 100, 0),
	FLD(check, "method", F_STR, method, 0, 0, 0),
	FLD(check, "path", F_STR, path, 0, 0, 0),
	FLD(check, "host", F_STR, host, 0, 0, 0),
	FFUNC("expect", ld_expect, 0),
	FLD(check, "body", F_STR, body, 0, 0, 0),
	FLD(check, "reuse_connection", F_TBOOL, reuse_connection, 0, 0, 0),
	FLD(check, "verify", F_TBOOL, verify, 0, 0, 0),
	FLD(check, "sni", F_STR, sni, 0, 0, 0),
	FLD(check, "ca_file", F_STR, ca_file, 0, 0, 0),
	FLD(check, "client_cert", F_STR, client_cert, 0, 0, 0),
	FLD(check, "client_key", F_STR, client_key, 0, 0, 0),
	FFUNC("command", ld_command, 0),
};

static void
load_check(struct loader *ld, config_setting_t *s, const char *path, struct check *ck)
{
	check_release(ck);
	walk_set_loc(ld, s, &ck->line, &ck->src);
	WALK_GROUP(ld, s, path, check_fields, ck);
}

/* ------------------------------------------------------------ pools */

static void
ld_server_check(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	load_check(ld, s, path, &((struct server *)obj)->check_override);
}

static const struct field server_fields[] = {
	FLD(server, "address", F_ADDR, addr, 0, 0, F_REQUIRED),
	FOWNER("port"),
	FLD(server, "weight", F_INT, weight, 0, 65535, 0),
	FLD(server, "upper_threshold", F_INT, upper_threshold, 0, 65535, 0),
	FLD(server, "lower_threshold", F_INT, lower_threshold, 0, 65535, 0),
	FLD(server, "drain", F_BOOL, drain, 0, 0, 0),
	FFUNC("check", ld_server_check, 0),
};

static void
each_server(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	bool *saved_bad;
	struct server *sv = obj;
	config_setting_t *p;
	char *ppath;
	long long v;

	memset(sv, 0, sizeof(*sv));
	sv->weight = MODEL_UNSET;
	check_init(&sv->check_override);
	check_init(&sv->check);
	saved_bad = ld->cur_bad;
	ld->cur_bad = &sv->bad;
	walk_set_loc(ld, s, &sv->line, &sv->src);
	WALK_GROUP(ld, s, path, server_fields, sv);
	/* The port lives inside addr; read it after the address. */
	if ((p = config_setting_get_member(s, "port")) != NULL) {
		ppath = walk_path_join(path, "port");
		if (walk_get_int(ld, p, ppath, 0, 65535, &v))
			sv->addr.port = (uint16_t)v;
		free(ppath);
	}
	ld->cur_bad = saved_bad;
}

static void
ld_pool_check(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	load_check(ld, s, path, &((struct pool *)obj)->check);
}

static void
ld_servers(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct pool *p = obj;

	walk_list(ld, s, path, (void **)&p->servers, &p->nservers, sizeof(*p->servers),
	    each_server);
}

static const struct field pool_fields[] = {
	FLD(pool, "name", F_STR, name, 0, 0, F_REQUIRED),
	FLD(pool, "port", F_INT, port, 0, 65535, 0),
	FLD(pool, "weight", F_INT, weight, 0, 65535, 0),
	FLD(pool, "min_servers", F_INT, min_servers, 0, 100000, 0),
	FLD(pool, "remove_failed", F_BOOL, remove_failed, 0, 0, 0),
	FENUM(pool, "initial_state", initial_state, init_state_from_str, "down or up"),
	FFUNC("check", ld_pool_check, 0),
	FFUNC("servers", ld_servers, 0),
	FLD(pool, "endpoints_file", F_STR, endpoints_file, 0, 0, 0),
	FLD(pool, "endpoints_required", F_BOOL, endpoints_required, 0, 0, 0),
	FLD(pool, "max_drop_percent", F_INT, max_drop_percent, 0, 100, 0),
	FLD(pool, "allow_empty", F_BOOL, allow_empty, 0, 0, 0),
	FLD(pool, "drain_grace_ms", F_INT, drain_grace_ms, 0, 86400000, 0),
};

static void
each_pool(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	bool *saved_bad;
	struct pool *p = obj;

	memset(p, 0, sizeof(*p));
	p->port = 0;
	p->weight = MODEL_UNSET;
	p->min_servers = MODEL_UNSET;
	p->max_drop_percent = MODEL_UNSET;
	p->drain_grace_ms = MODEL_UNSET;
	check_init(&p->check);
	saved_bad = ld->cur_bad;
	ld->cur_bad = &p->bad;
	walk_set_loc(ld, s, &p->line, &p->src);
	WALK_GROUP(ld, s, path, pool_fields, p);
	ld->cur_bad = saved_bad;
}

/* ------------------------------------------------------------ vips */

static void
ld_tunnel(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field tunnel_fields[] = {
		FENUM(service, "type", tun_type, tun_type_from_str, "ipip, gue or gre"),
		FLD(service, "port", F_INT, tun_port, 1, 65535, 0),
		FOWNER("checksum"),
	};
	struct service *sv = obj;
	config_setting_t *c;
	char *cpath;

	WALK_GROUP(ld, s, path, tunnel_fields, sv);
	if (config_setting_is_group(s) && (c = config_setting_get_member(s, "checksum")) != NULL) {
		cpath = walk_path_join(path, "checksum");
		if (config_setting_type(c) != CONFIG_TYPE_BOOL)
			walk_err(ld, c, cpath, "expected true or false, got %s", walk_type_name(c));
		else
			sv->tun_nocsum = !config_setting_get_bool(c);
		free(cpath);
	}
}

static const struct field service_fields[] = {
	FENUM(service, "protocol", protocol, proto_from_str, "tcp, udp or sctp"),
	FLD(service, "port", F_INT, port, 1, 65535, 0),
	FLD(service, "fwmark", F_U32, fwmark, 1, 4294967295LL, 0),
	FLD(service, "pool", F_STR, pool_name, 0, 0, F_REQUIRED),
	FLD(service, "scheduler", F_STR, scheduler, 0, 0, 0),
	FOWNER("scheduler_flags"),
	FENUM(service, "method", method, fwd_method_from_str, "dr, tun or nat"),
	FFUNC("tunnel", ld_tunnel, 0),
	FLD(service, "persistence_timeout_s", F_INT, persistence_timeout_s, 0, 2678400, 0),
	FLD(service, "persistence_prefix", F_INT, persistence_prefix, 0, 128, 0),
};

static void
each_service(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	bool *saved_bad;
	struct service *sv = obj;
	config_setting_t *fl;
	char *fpath, *flags[4];
	int i, n, f;

	memset(sv, 0, sizeof(*sv));
	sv->protocol = MODEL_UNSET;
	sv->method = MODEL_UNSET;
	sv->tun_type = MODEL_UNSET;
	sv->tun_nocsum = true;
	sv->persistence_prefix = MODEL_UNSET;
	saved_bad = ld->cur_bad;
	ld->cur_bad = &sv->bad;
	walk_set_loc(ld, s, &sv->line, &sv->src);
	WALK_GROUP(ld, s, path, service_fields, sv);
	if ((fl = config_setting_get_member(s, "scheduler_flags")) == NULL)
		goto out;
	/* Flags depend on the scheduler, which may come after them in the group. */
	fpath = walk_path_join(path, "scheduler_flags");
	n = walk_str_array(ld, fl, fpath, flags, 3);
	for (i = 0; i < n; i++) {
		/* an unknown scheduler is its own error (conf_validate): no flag is judged
		 * against it */
		if (sv->scheduler != NULL && !scheduler_known(sv->scheduler)) {
			free(flags[i]);
			continue;
		}
		f = sched_flag_from_str(sv->scheduler ? sv->scheduler : "wlc", flags[i]);
		if (f == MODEL_UNSET)
			walk_err(ld, fl, fpath, "\"%s\" is not a flag of scheduler \"%s\" "
			    "(sh: sh-fallback sh-port; mh: mh-fallback mh-port; udp services: ops)",
			    flags[i], sv->scheduler ? sv->scheduler : "wlc");
		else
			sv->sched_flags |= (unsigned)f;
		free(flags[i]);
	}
	free(fpath);
out:
	ld->cur_bad = saved_bad;
}

static void
ld_services(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct vip *v = obj;

	walk_list(ld, s, path, (void **)&v->services, &v->nservices, sizeof(*v->services),
	    each_service);
}

/* A group { router-a = 200; ... } of per-router values. */
static void
ld_priority(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct vip *v = obj;
	unsigned i, len;
	char *cpath;
	long long pr;

	if (!config_setting_is_group(s)) {
		walk_err(ld, s, path, "expected a group { ROUTER = PRIORITY; ... }, got %s",
		    walk_type_name(s));
		return;
	}
	len = (unsigned)config_setting_length(s);
	v->prios = xcalloc(len ? len : 1, sizeof(*v->prios));
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		cpath = walk_path_join(path, config_setting_name(e));
		if (walk_get_int(ld, e, cpath, 1, 254, &pr)) {
			v->prios[v->nprios].router = xstrdup(config_setting_name(e));
			v->prios[v->nprios].priority = (int)pr;
			v->nprios++;
		}
		free(cpath);
	}
}

static void
ld_private_ip(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct eip *e = obj;
	unsigned i, len;
	const char *str;
	char *cpath;

	if (!config_setting_is_group(s)) {
		walk_err(ld, s, path, "expected a group { ROUTER = \"ADDRESS\"; ... }, got %s",
		    walk_type_name(s));
		return;
	}
	len = (unsigned)config_setting_length(s);
	e->private_ips = xcalloc(len ? len : 1, sizeof(*e->private_ips));
	for (i = 0; i < len; i++) {
		config_setting_t *m = config_setting_get_elem(s, i);
		struct router_addr *ra = &e->private_ips[e->nprivate_ips];

		cpath = walk_path_join(path, config_setting_name(m));
		if ((str = walk_get_str(ld, m, cpath)) != NULL) {
			if (sockaddr_x_parse(str, false, &ra->addr) < 0) {
				walk_err(ld, m, cpath, "\"%s\" is not an IPv4 or IPv6 address",
				    str);
			} else {
				ra->router = xstrdup(config_setting_name(m));
				e->nprivate_ips++;
			}
		}
		free(cpath);
	}
}

static void
ld_eip(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field eip_fields[] = {
		FLD(eip, "allocation_id", F_STR, allocation_id, 0, 0, F_REQUIRED),
		FFUNC("private_ip", ld_private_ip, 0),
	};
	struct vip *v = obj;

	WALK_GROUP(ld, s, path, eip_fields, &v->eip);
}

static void
ld_garp(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field garp_fields[] = {
		FLD(garp, "enabled", F_BOOL, enabled, 0, 0, 0),
		FLD(garp, "count", F_INT, count, 1, 100, 0),
		FLD(garp, "interval_ms", F_INT, interval_ms, 10, 10000, 0),
		FLD(garp, "refresh_ms", F_INT, refresh_ms, 0, MS_MAX, 0),
	};
	struct vip *v = obj;

	WALK_GROUP(ld, s, path, garp_fields, &v->garp);
}

static const struct field vip_fields[] = {
	FLD(vip, "name", F_STR, name, 0, 0, F_REQUIRED),
	FLD(vip, "address", F_ADDR, addr, 0, 0, F_REQUIRED),
	FLD(vip, "vrid", F_INT, vrid, 1, 255, 0),
	FENUM(vip, "announce", announce, vip_announce_from_str, "election or bgp"),
	FLD(vip, "interface", F_STR, interface, 0, 0, 0),
	FOWNER("manage_address"),
	FFUNC("priority", ld_priority, 0),
	FLD(vip, "advert_interval_ms", F_INT, advert_interval_ms, 10, 40950, 0),
	FLD(vip, "preempt", F_TBOOL, preempt, 0, 0, 0),
	FLD(vip, "preempt_delay_ms", F_INT, preempt_delay_ms, 0, MS_MAX, 0),
	FENUM(vip, "on_pool_failure", on_pool_failure, track_action_from_str,
	    "fault, lower-priority, ignore or withdraw"),
	FLD(vip, "priority_decrement", F_INT, priority_decrement, 1, 254, 0),
	FFUNC("garp", ld_garp, 0),
	FFUNC("eip", ld_eip, 0),
	FLD(vip, "move_private_ip", F_BOOL, move_private_ip, 0, 0, 0),
	FFUNC("services", ld_services, F_REQUIRED),
};

static void
each_vip(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	bool *saved_bad;
	struct vip *v = obj;
	config_setting_t *m;
	char *mpath;

	memset(v, 0, sizeof(*v));
	v->vrid = MODEL_UNSET;
	v->advert_interval_ms = MODEL_UNSET;
	v->preempt = MODEL_UNSET;
	v->preempt_delay_ms = MODEL_UNSET;
	v->priority_decrement = MODEL_UNSET;
	v->manage_address = true;
	v->garp.enabled = true;
	v->garp.count = MODEL_UNSET;
	v->garp.interval_ms = MODEL_UNSET;
	v->garp.refresh_ms = MODEL_UNSET;
	saved_bad = ld->cur_bad;
	ld->cur_bad = &v->bad;
	walk_set_loc(ld, s, &v->line, &v->src);
	WALK_GROUP(ld, s, path, vip_fields, v);
	if ((m = config_setting_get_member(s, "manage_address")) != NULL) {
		mpath = walk_path_join(path, "manage_address");
		if (config_setting_type(m) != CONFIG_TYPE_BOOL)
			walk_err(ld, m, mpath, "expected true or false, got %s", walk_type_name(m));
		else
			v->manage_address = config_setting_get_bool(m);
		free(mpath);
	}
	ld->cur_bad = saved_bad;
}

/* ------------------------------------------------------------ election */

static const struct field peer_fields[] = {
	FLD(peer, "name", F_STR, name, 0, 0, F_REQUIRED),
	FLD(peer, "address", F_ADDR, addr, 0, 0, F_REQUIRED),
};

static void
each_peer(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	bool *saved_bad;
	struct peer *p = obj;

	memset(p, 0, sizeof(*p));
	saved_bad = ld->cur_bad;
	ld->cur_bad = &p->bad;
	walk_set_loc(ld, s, &p->line, &p->src);
	WALK_GROUP(ld, s, path, peer_fields, p);
	ld->cur_bad = saved_bad;
}

static void
ld_peers(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct election *e = obj;

	walk_list(ld, s, path, (void **)&e->peers, &e->npeers, sizeof(*e->peers), each_peer);
}

static void
ld_notify_cmd(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct election *e = obj;
	int n = walk_str_array(ld, s, path, e->notify_argv, CHECK_ARGV_MAX - 2);

	if (n == 0)
		walk_err(ld, s, path, "must not be empty");
	if (n > 0)
		e->notify_argc = n;
}

static void
ld_notify(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field notify_fields[] = {
		FFUNC("command", ld_notify_cmd, F_REQUIRED),
		FLD(election, "timeout_ms", F_INT, notify_timeout_ms, 100, 600000, 0),
	};

	WALK_GROUP(ld, s, path, notify_fields, obj);
}

static void
ld_sync(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field sync_fields[] = {
		FLD(sync_daemon, "vip", F_STR, vip, 0, 0, 0),
		FLD(sync_daemon, "interface", F_STR, interface, 0, 0, 0),
		FLD(sync_daemon, "syncid", F_INT, syncid, 0, 255, 0),
		FLD(sync_daemon, "group", F_ADDR, group, 0, 0, 0),
		FLD(sync_daemon, "port", F_INT, port, 1, 65535, 0),
		FLD(sync_daemon, "ttl", F_INT, ttl, 1, 255, 0),
	};
	struct sync_daemon *sd = &((struct election *)obj)->sync;

	sd->present = true;
	walk_set_loc(ld, s, &sd->line, &sd->src);
	WALK_GROUP(ld, s, path, sync_fields, sd);
}

static const struct field election_fields[] = {
	FLD(election, "advert_interval_ms", F_INT, advert_interval_ms, 10, 40950, 0),
	FENUM(election, "auth", auth, auth_mode_from_str, "none or hmac-sha256"),
	FLD(election, "auth_key_file", F_STR, auth_key_file, 0, 0, 0),
	FOWNER("preempt"),
	FLD(election, "preempt_delay_ms", F_INT, preempt_delay_ms, 0, MS_MAX, 0),
	FOWNER("track_interface"),
	FLD(election, "check_ttl", F_TBOOL, ttl_check, 0, 0, 0),
	FFUNC("notify", ld_notify, 0),
	FFUNC("peers", ld_peers, F_REQUIRED),
	FFUNC("sync_daemon", ld_sync, 0),
};

/* ------------------------------------------------------------ top level */

static const struct field router_fields[] = {
	FLD(router_conf, "name", F_STR, name, 0, 0, 0),
	FLD(router_conf, "interface", F_STR, interface, 0, 0, 0),
	FLD(router_conf, "endpoints_dir", F_STR, endpoints_dir, 0, 0, 0),
	FLD(router_conf, "syslog_facility", F_STR, syslog_facility, 0, 0, 0),
};

static const struct field ipvs_fields[] = {
	FLD(ipvs_conf, "reconcile_interval_ms", F_INT, reconcile_interval_ms, 0, MS_MAX, 0),
	FLD(ipvs_conf, "traffic_interval_ms", F_INT, traffic_interval_ms, 0, MS_MAX, 0),
	FLD(ipvs_conf, "flush_on_exit", F_BOOL, flush_on_exit, 0, 0, 0),
	FLD(ipvs_conf, "sloppy_tcp", F_TBOOL, sloppy_tcp, 0, 0, 0),
	FLD(ipvs_conf, "sloppy_sctp", F_TBOOL, sloppy_sctp, 0, 0, 0),
};

static const struct field checks_fields[] = {
	FLD(checks_conf, "allow_exec", F_BOOL, allow_exec, 0, 0, 0),
	FLD(checks_conf, "jitter_percent", F_INT, jitter_percent, 0, 50, 0),
};

static const struct field aws_fields[] = {
	FLD(aws, "region", F_STR, region, 0, 0, 0),
	FLD(aws, "ec2_endpoint", F_STR, ec2_endpoint, 0, 0, 0),
	FLD(aws, "imds_endpoint", F_STR, imds_endpoint, 0, 0, 0),
	FLD(aws, "ca_file", F_STR, ca_file, 0, 0, 0),
	FLD(aws, "network_interface_id", F_STR, network_interface_id, 0, 0, 0),
	FLD(aws, "disable_source_dest_check", F_BOOL, disable_source_dest_check, 0, 0, 0),
	FLD(aws, "verify_interval_ms", F_INT, verify_interval_ms, 1000, MS_MAX, 0),
	FLD(aws, "api_timeout_ms", F_INT, api_timeout_ms, 100, 60000, 0),
	FOWNER("dry_run_check"),
};

static void
ld_mode(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct control_conf *cc = obj;
	const char *str = walk_get_str(ld, s, path);
	char *end;
	long m;

	if (str == NULL)
		return;
	m = strtol(str, &end, 8);
	if (*str == '\0' || *end != '\0' || m < 0 || m > 0777)
		walk_err(ld, s, path, "\"%s\" is not an octal file mode like \"0660\"", str);
	else
		cc->mode = (int)m;
}

static const struct field control_fields[] = {
	FLD(control_conf, "socket", F_STR, socket, 0, 0, 0),
	FLD(control_conf, "group", F_STR, group, 0, 0, 0),
	FFUNC("mode", ld_mode, 0),
};

static const struct field metrics_fields[] = {
	FOWNER("enabled"),
	FLD(metrics_conf, "listen", F_ADDRPORT, listen, 0, 0, 0),
};

static void
ld_router(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_set_loc(ld, s, &c->router.line, &c->router.src);
	WALK_GROUP(ld, s, path, router_fields, &c->router);
}

static void
ld_ipvs(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_set_loc(ld, s, &c->ipvs.line, &c->ipvs.src);
	WALK_GROUP(ld, s, path, ipvs_fields, &c->ipvs);
}

static void
ld_checks(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_set_loc(ld, s, &c->checks.line, &c->checks.src);
	WALK_GROUP(ld, s, path, checks_fields, &c->checks);
}

static void
ld_election(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct election *e = &((struct config *)obj)->election;

	e->present = true;
	walk_set_loc(ld, s, &e->line, &e->src);
	WALK_GROUP(ld, s, path, election_fields, e);
	walk_owner_bool(ld, s, path, "preempt", &e->preempt);
	walk_owner_bool(ld, s, path, "track_interface", &e->track_interface);
}

static void
ld_aws(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct aws *a = &((struct config *)obj)->aws;

	a->present = true;
	walk_set_loc(ld, s, &a->line, &a->src);
	WALK_GROUP(ld, s, path, aws_fields, a);
	walk_owner_bool(ld, s, path, "dry_run_check", &a->dry_run_check);
}

static const struct field bgp_fields[] = {
	FLD(bgp_conf, "table", F_U32, table, 1, 4294967295LL, 0),
	FLD(bgp_conf, "withdraw_grace_ms", F_INT, withdraw_grace_ms, 0, 600000, 0),
};

static void
ld_bgp(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct bgp_conf *b = &((struct config *)obj)->bgp;

	b->present = true;
	walk_set_loc(ld, s, &b->line, &b->src);
	WALK_GROUP(ld, s, path, bgp_fields, b);
}

static void
ld_control(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_set_loc(ld, s, &c->control.line, &c->control.src);
	WALK_GROUP(ld, s, path, control_fields, &c->control);
}

static void
ld_metrics(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_set_loc(ld, s, &c->metrics.line, &c->metrics.src);
	WALK_GROUP(ld, s, path, metrics_fields, &c->metrics);
	walk_owner_bool(ld, s, path, "enabled", &c->metrics.enabled);
}

static void
ld_vips(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_list(ld, s, path, (void **)&c->vips, &c->nvips, sizeof(*c->vips), each_vip);
}

static void
ld_pools(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	walk_list(ld, s, path, (void **)&c->pools, &c->npools, sizeof(*c->pools), each_pool);
}

static const struct field top_fields[] = {
	FFUNC("router", ld_router, 0),
	FFUNC("ipvs", ld_ipvs, 0),
	FFUNC("checks", ld_checks, 0),
	FFUNC("election", ld_election, 0),
	FFUNC("aws", ld_aws, 0),
	FFUNC("bgp", ld_bgp, 0),
	FFUNC("control", ld_control, 0),
	FFUNC("metrics", ld_metrics, 0),
	FFUNC("vips", ld_vips, 0),
	FFUNC("pools", ld_pools, 0),
};

/* Defaults of booleans that are true unless the file says otherwise. */
static void
config_bool_defaults(struct config *c)
{
	c->election.preempt = true;
	c->election.track_interface = true;
	c->aws.dry_run_check = true;
	c->metrics.enabled = true;
}

/*
 * Walk the parsed file.  *out receives the config even when it has errors
 * (so that conf_read can go on to report semantic errors too); the return
 * value says whether it is complete.
 */
static int
load_common(config_t *cfg, int rd_ok, const char *label, const char *text,
    struct config **out, struct errlist *el)
{
	struct loader ld;
	struct config *c;

	*out = NULL;
	if (!rd_ok) {
		const char *f = config_error_file(cfg);

		errlist_add(el, f ? f : label, config_error_line(cfg), NULL, "%s",
		    config_error_text(cfg));
		return -EINVAL;
	}
	c = config_new(label);
	config_bool_defaults(c);
	memset(&ld, 0, sizeof(ld));
	ld.c = c;
	ld.el = el;
	ld.nerr0 = el->n;
	ld.main_text = text;
	WALK_GROUP(&ld, config_root_setting(cfg), "", top_fields, c);
	walk_fini(&ld);
	*out = c;
	return el->n > ld.nerr0 ? -EINVAL : 0;
}

static int
load_file(const char *path, struct config **out, struct errlist *el)
{
	struct stat st;
	config_t cfg;
	FILE *f;
	char *dir;
	int r, err;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		err = errno;
		errlist_add(el, path, 0, NULL, "cannot open: %s", strerror(err));
		return -err;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		errlist_add(el, path, 0, NULL, "cannot read: it is a directory");
		fclose(f);
		return -EISDIR;
	}
	config_init(&cfg);
	dir = xstrdup(path);
	config_set_include_dir(&cfg, dirname(dir));
	r = config_read(&cfg, f);
	if (!r && config_error_type(&cfg) == CONFIG_ERR_FILE_IO && config_error_file(&cfg) == NULL) {
		err = ferror(f) ? EIO : EINVAL;
		errlist_add(el, path, 0, NULL, "cannot read: %s", strerror(err));
		r = -err;
	} else {
		/* Settings of the main stream carry no file name: they get the path. */
		r = load_common(&cfg, r, path, NULL, out, el);
	}
	fclose(f);
	free(dir);
	config_destroy(&cfg);
	return r;
}

int
conf_load_file(const char *path, struct config **out, struct errlist *el)
{
	int r = load_file(path, out, el);

	if (r < 0) {
		config_free(*out);
		*out = NULL;
	}
	return r;
}

int
conf_load_string(const char *text, const char *label, struct config **out, struct errlist *el)
{
	config_t cfg;
	int r;

	config_init(&cfg);
	r = config_read_string(&cfg, text);
	r = load_common(&cfg, r, label ? label : "(string)", text, out, el);
	config_destroy(&cfg);
	if (r < 0) {
		config_free(*out);
		*out = NULL;
	}
	return r;
}

int
conf_read(const char *path, const char *router_name, struct config **out, struct errlist *el)
{
	struct config *c;
	char host[256];
	int r, rv;

	*out = NULL;
	r = load_file(path, &c, el);
	if (c == NULL)
		return r;
	/* The router's name: -n, else router.name, else the host name. */
	if (router_name == NULL && c->router.name == NULL &&
	    gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		c->router.name = xstrdup(host);
	}
	/* Semantic checks run even after load errors, so that -t shows every problem. */
	rv = conf_validate(c, router_name, el);
	if (r < 0 || rv < 0) {
		config_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}
