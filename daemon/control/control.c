/* SPDX-License-Identifier: Apache-2.0 */
/*
 * control.c - ipvs-routerctl commands and Prometheus metrics (the control glue).
 *
 * Every answer is built from state the daemon and its subsystems already
 * keep, read through the composer's control_ops; nothing here caches or
 * duplicates it, and nothing here calls up.  Text is for people (aligned
 * columns, identity first), JSON for scripts; both say the same things.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "conf_diff.h"
#include "control.h"
#include "ctl.h"
#include "drains.h"
#include "explain_fmt.h"
#include "json.h"
#include "loop.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define DRAINS_FILE	 "drains"
#define DRAINS_FILE_MAX	 (DRAINS_MAX * (DRAINS_LINE_MAX + 1) + 4096)
#define DRAINS_AHEAD_US	 (600LL * 1000000) /* a peer's stamp ahead of our clock: as adverts */

struct control {
	struct control_ops ops;
	struct ctl *ctl;
	char *ctl_path;
	char *ctl_group;
	int ctl_mode;
	struct metrics_http *mh;
	bool metrics_on;
	struct sockaddr_x listen;
	struct drains drains;
	char *drains_path;
	bool drains_loaded;
	int drains_err;		/* the last write's error, logged once */
	time_t started;
};

static enum ctl_code	handle(void *, int, char **, struct tbuf *, const char **);
static void		render_metrics(void *, struct tbuf *);
static bool		metrics_step(void *, struct tbuf *, void **);
static void		metrics_done(void *, void *);
static void		pools_table(struct control *, struct tbuf *);
static void		fmt_time(time_t, char *, size_t);
static void		drains_load(struct control *);
static void		drains_text(struct control *, struct tbuf *);
static void		drains_json(struct control *, struct json *);
static void		caller_text(char *, size_t);

static const char *
role_str(struct control *ct, const char *vip)
{
	const char *r = ct->ops.role(ct->ops.arg, vip);

	return r != NULL ? r : "INIT";
}

/* A BGP VIP's state: 1 announced, 0 withdrawn (why), -1 an elected VIP. */
static int
bgp_of(struct control *ct, const struct vip *v, char *why, size_t len)
{
	why[0] = '\0';
	if (v->announce != ANNOUNCE_BGP)
		return -1;
	return ct->ops.bgp(ct->ops.arg, v->name, why, len);
}

/* status: the BGP VIPs, announced or not and why. */
static void
bgp_text(struct control *ct, struct tbuf *o)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	char why[200];
	size_t i;

	if (c->bgp.table == 0)
		return;
	tbuf_printf(o, "\nbgp: routes in table %u%s\n", c->bgp.table,
	    ct->ops.drain_router(ct->ops.arg, -1) == 1 ?
		"; router drained (ipvs-routerctl undrain-router)" : "");
	for (i = 0; i < c->nvips; i++)
		if (bgp_of(ct, &c->vips[i], why, sizeof(why)) >= 0)
			tbuf_printf(o, "  %-20s %s\n", c->vips[i].name, why);
}

static void
bgp_json(struct control *ct, const struct vip *v, struct json *j)
{
	char why[200];
	int r = bgp_of(ct, v, why, sizeof(why));

	json_string(j, "announce", vip_announce_str(v->announce));
	if (r < 0)
		return;
	json_bool(j, "announced", r == 1);
	json_string(j, "bgp", why);
}

static enum ctl_code
cmd_drain_router(struct control *ct, bool on, struct tbuf *o, const char **text)
{
	char who[DRAINS_WHO_MAX];
	int n = ct->ops.drain_router(ct->ops.arg, on ? 1 : 0);

	caller_text(who, sizeof(who));
	if (n <= 0) {
		*text = "this router has no announce = \"bgp\" VIP (drain-router withdraws "
			"those; elected VIPs move with the election)";
		return CTL_BAD_REQUEST;
	}
	log_notice("control: router %s by %s: %d BGP VIP%s %s", on ? "drained" : "undrained",
	    who, n, n == 1 ? "" : "s", on ? "withdrawn, established flows kept" :
	    "announced again as health allows");
	tbuf_printf(o, "%s: %d BGP VIP%s %s\n", on ? "drained" : "undrained", n, n == 1 ? "" : "s",
	    on ? "withdrawn; addresses and IPVS stay, established flows carry on" :
	    "announced again where their pools are healthy");
	return CTL_OK;
}

/* ------------------------------------------------------------ life cycle */

struct control *
control_new(const struct control_ops *ops)
{
	struct control *ct = xcalloc(1, sizeof(*ct));

	ct->ops = *ops;
	ct->started = time(NULL);
	drains_init(&ct->drains);
	return ct;
}

void
control_apply(struct control *ct, const struct config *old_conf, const struct config *c)
{
	bool ctl_same, m_same;
	int r;

	ctl_same = ct->ctl != NULL && strcmp(ct->ctl_path, c->control.socket) == 0 &&
	    ct->ctl_mode == c->control.mode &&
	    ((ct->ctl_group == NULL) == (c->control.group == NULL)) &&
	    (ct->ctl_group == NULL || strcmp(ct->ctl_group, c->control.group) == 0);
	if (!ctl_same) {
		ctl_close(ct->ctl);
		ct->ctl = NULL;
		free(ct->ctl_path);
		free(ct->ctl_group);
		ct->ctl_path = xstrdup(c->control.socket);
		ct->ctl_group = xstrdup(c->control.group);
		ct->ctl_mode = c->control.mode;
		r = ctl_open(ct->ctl_path, ct->ctl_mode, ct->ctl_group, handle, ct, &ct->ctl);
		if (r < 0)
			log_warnc(r, "control socket %s: cannot listen (ipvs-routerctl will not "
			    "work; balancing goes on)", ct->ctl_path);
		else
			log_info("control socket %s: listening (mode %04o%s%s)", ct->ctl_path,
			    (unsigned)ct->ctl_mode, ct->ctl_group ? ", group " : "",
			    ct->ctl_group ? ct->ctl_group : "");
	}

	m_same = ct->metrics_on == c->metrics.enabled &&
	    (!ct->metrics_on || (ct->mh != NULL && sockaddr_x_cmp(&ct->listen, &c->metrics.listen) == 0));
	if (!m_same) {
		char a[SOCKADDR_X_STRLEN];

		metrics_http_close(ct->mh);
		ct->mh = NULL;
		ct->metrics_on = c->metrics.enabled;
		ct->listen = c->metrics.listen;
		if (ct->metrics_on) {
			r = metrics_http_open(&ct->listen, metrics_step, metrics_done, ct, &ct->mh);
			sockaddr_x_fmt(&ct->listen, a, sizeof(a));
			if (r < 0)
				log_warnc(r, "metrics %s: cannot listen (retried at the next reload)", a);
			else
				log_info("metrics: serving http://%s/metrics", a);
		}
	}
	(void)old_conf;
	if (!ct->drains_loaded) {
		ct->drains_loaded = true;
		drains_load(ct);
	}
}

void
control_stop(struct control *ct)
{
	if (ct == NULL)
		return;
	ctl_close(ct->ctl);
	metrics_http_close(ct->mh);
	free(ct->ctl_path);
	free(ct->ctl_group);
	drains_free(&ct->drains);
	free(ct->drains_path);
	free(ct);
}

bool
control_drained(const struct control *ct, const char *pool, const struct sockaddr_x *addr)
{
	size_t i;

	if (ct == NULL)
		return false;
	if (drains_drained(&ct->drains, pool, addr))
		return true;
	if (addr->port != 0)
		return false;
	for (i = 0; i < ct->drains.n; i++) {
		const struct drain_entry *e = &ct->drains.v[i];

		if (e->drained && strcmp(e->pool, pool) == 0 &&
		    sockaddr_x_cmp_addr(&e->addr, addr) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ drains: file, peers */

/*
 * Read state_dir()/drains once, at the first apply.  A bad line is skipped
 * (and named); an unreadable file leaves the set empty, and is not
 * overwritten until an operator or a peer changes something.
 */
static void
drains_load(struct control *ct)
{
	struct drains_merge m;
	char *text = NULL;
	size_t len = 0;
	int r;

	ct->drains_path = xasprintf("%s/" DRAINS_FILE, state_dir());
	r = file_read_all(ct->drains_path, DRAINS_FILE_MAX, &text, &len);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_warnc(r, "drains: cannot read %s: starting without the drains it holds",
		    ct->drains_path);
		return;
	}
	drains_merge_text(&ct->drains, text, len, 0, 0, NULL, NULL, &m);
	free(text);
	if (m.bad > 0)
		log_warnx("%s:%d: drains: %s; %zu bad line(s) skipped", ct->drains_path,
		    m.first_bad_line, m.first_bad_why, m.bad);
	(void)drains_expire(&ct->drains, wall_us());
	if (drains_count(&ct->drains) > 0)
		log_notice("drains: %zu drained server(s) kept from %s", drains_count(&ct->drains),
		    ct->drains_path);
}

/* Write the whole set (file_replace); the first failure of a kind is logged. */
static void
drains_save(struct control *ct)
{
	struct tbuf t;
	size_t i;
	int r;

	(void)drains_expire(&ct->drains, wall_us());
	tbuf_init(&t);
	tbuf_puts(&t, "# ipvs-router drains (ipvs-routerctl drain/undrain; shared with the "
		      "peers). Do not edit while the daemon runs.\n");
	for (i = 0; i < ct->drains.n; i++)
		drains_format(&ct->drains.v[i], &t);
	r = file_replace(ct->drains_path, t.s, t.len);
	tbuf_free(&t);
	if (r < 0 && r != ct->drains_err)
		log_warnc(r, "drains: cannot write %s: the drains hold until this process "
			     "stops, not across a restart", ct->drains_path);
	else if (r == 0 && ct->drains_err != 0)
		log_info("drains: %s written again", ct->drains_path);
	ct->drains_err = r;
}

size_t
control_drains_pieces(struct control *ct, size_t max,
    void (*emit)(void *arg, const char *s, size_t len), void *arg)
{
	return drains_pieces(&ct->drains, max, emit, arg);
}

struct merge_ctx {
	const char *peer;
};

static void
merge_changed(void *arg, const struct drain_entry *e, bool was)
{
	struct merge_ctx *mc = arg;
	char a[SOCKADDR_X_STRLEN], t[64];

	if (e->drained == was)
		return; /* a newer record of the same state */
	sockaddr_x_fmt(&e->addr, a, sizeof(a));
	fmt_time((time_t)(e->stamp_us / 1000000u), t, sizeof(t));
	log_notice("pool %s server %s: %s on %s at %s by %s (from peer %s)", e->pool, a,
	    e->drained ? "drained" : "undrained", e->router, t, e->who, mc->peer);
}

void
control_drains_merge(struct control *ct, const char *peer, const char *text, size_t len)
{
	struct merge_ctx mc = { peer };
	struct drains_merge m;

	drains_merge_text(&ct->drains, text, len, wall_us(), DRAINS_AHEAD_US, merge_changed, &mc,
	    &m);
	if (m.bad > 0)
		log_warnx("drains: from peer %s: line %d: %s (%zu bad line(s) skipped)", peer,
		    m.first_bad_line, m.first_bad_why, m.bad);
	if (m.taken == 0)
		return;
	drains_save(ct);
	ct->ops.drains_changed(ct->ops.arg, false);
}

/* "uid=0 pid=4242 (ipvs-routerctl)": the caller, from the socket's credentials. */
static void
caller_text(char *buf, size_t len)
{
	struct ctl_caller who;
	char path[64], comm[32] = "";
	FILE *f;
	size_t i;

	if (ctl_caller(&who) < 0) {
		snprintf(buf, len, "unknown caller");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", who.pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	for (i = 0; comm[i] != '\0'; i++)
		if ((unsigned char)comm[i] < 0x21 || (unsigned char)comm[i] > 0x7e)
			comm[i] = '_';
	if (comm[0] != '\0')
		snprintf(buf, len, "uid=%ld pid=%ld (%s)", who.uid, who.pid, comm);
	else
		snprintf(buf, len, "uid=%ld pid=%ld", who.uid, who.pid);
}

/* ------------------------------------------------------------ helpers */

static bool
want_json(int *argc, char **argv)
{
	if (*argc > 1 && strcmp(argv[*argc - 1], "--json") == 0) {
		(*argc)--;
		return true;
	}
	return false;
}

static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void
fmt_duration(long long s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, (s / 60) % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, (s / 3600) % 24);
}

static unsigned
vip_service_count(const struct vip *v)
{
	return (unsigned)v->nservices;
}

/* ------------------------------------------------------------ status, show */

static void
status_text(struct control *ct, struct tbuf *o)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	struct control_info in;
	char t[64], up[32];
	size_t i;

	ct->ops.info(ct->ops.arg, &in);
	fmt_duration((long long)(time(NULL) - ct->started), up, sizeof(up));
	tbuf_printf(o, "router %s: ipvs-router %s, pid %ld, up %s\n",
	    c->router.name ? c->router.name : "-", PACKAGE_VERSION, (long)getpid(), up);
	fmt_time(in.loaded_at, t, sizeof(t));
	tbuf_printf(o, "configuration %s, loaded %s; reloads: %u accepted, %u refused", in.config_path,
	    t, in.reloads_ok, in.reloads_refused);
	if (in.reloads_ok + in.reloads_refused > 0)
		tbuf_printf(o, " (last %s)", in.last_reload_ok ? "accepted" : "refused");
	tbuf_puts(o, "\n");
	if (!in.last_reload_ok && in.last_errors->n > 0) {
		tbuf_printf(o, "the last reload was refused; the running configuration is older "
		    "than the file. Its errors:\n");
		for (i = 0; i < in.last_errors->n; i++)
			tbuf_printf(o, "  %s\n", in.last_errors->msgs[i]);
	}
	tbuf_printf(o, "election: %s\n", c->election.present ? "on" : "off (standalone)");
	tbuf_puts(o, "\nVIP                  ADDRESS                  ROLE    PRIO  SERVICES\n");
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];
		char a[SOCKADDR_X_STRLEN];

		char prio[8] = "-";

		if (c->election.present)
			snprintf(prio, sizeof(prio), "%d", vip_priority(v, c->router.name));
		if (v->announce == ANNOUNCE_BGP)
			snprintf(prio, sizeof(prio), "-");
		tbuf_printf(o, "%-20s %-24s %-7s %4s  %u\n", v->name,
		    sockaddr_x_fmt_addr(vip_service_addr(v, c->router.name), a, sizeof(a)),
		    v->announce == ANNOUNCE_BGP ? "BGP" : role_str(ct, v->name), prio,
		    vip_service_count(v));
	}
	tbuf_puts(o, "\nPOOL                 UP/TOTAL  MIN  CHECK\n");
	pools_table(ct, o);
	bgp_text(ct, o);
	drains_text(ct, o);
	ct->ops.status_more(ct->ops.arg, o);
}

/* status: the drains in force, who took them where and when; shared or not. */
static void
drains_text(struct control *ct, struct tbuf *o)
{
	const char *off = ct->ops.drains_share_off(ct->ops.arg);
	char a[SOCKADDR_X_STRLEN], t[64];
	size_t i, n = drains_count(&ct->drains);

	tbuf_printf(o, "\ndrains: %zu", n);
	if (off != NULL)
		tbuf_printf(o, " (this router only: %s", off);
	else
		tbuf_puts(o, " (shared with the other routers");
	tbuf_printf(o, "; kept in %s)\n", ct->drains_path ? ct->drains_path : "-");
	for (i = 0; i < ct->drains.n; i++) {
		const struct drain_entry *e = &ct->drains.v[i];

		if (!e->drained)
			continue;
		sockaddr_x_fmt(&e->addr, a, sizeof(a));
		fmt_time((time_t)(e->stamp_us / 1000000u), t, sizeof(t));
		tbuf_printf(o, "  pool %s server %s: drained %s on %s by %s\n", e->pool, a, t,
		    e->router, e->who);
	}
}

static void
drains_json(struct control *ct, struct json *j)
{
	const char *off = ct->ops.drains_share_off(ct->ops.arg);
	char a[SOCKADDR_X_STRLEN];
	size_t i;

	json_obj_begin(j, "drains");
	json_bool(j, "shared", off == NULL);
	json_string(j, "not_shared_because", off);
	json_string(j, "file", ct->drains_path);
	json_arr_begin(j, "servers");
	for (i = 0; i < ct->drains.n; i++) {
		const struct drain_entry *e = &ct->drains.v[i];

		if (!e->drained)
			continue;
		json_obj_begin(j, NULL);
		json_string(j, "pool", e->pool);
		json_string(j, "server", sockaddr_x_fmt(&e->addr, a, sizeof(a)));
		json_uint(j, "since_us", e->stamp_us);
		json_string(j, "router", e->router);
		json_string(j, "by", e->who);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void
pools_table(struct control *ct, struct tbuf *o)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	size_t i;

	for (i = 0; i < c->npools; i++) {
		const struct pool *p = &c->pools[i];
		unsigned nup = 0, total = 0;
		char ut[32];

		ct->ops.pool_count(ct->ops.arg, p->name, &nup, &total);
		snprintf(ut, sizeof(ut), "%u/%u", nup, total);
		tbuf_printf(o, "%-20s %-9s %4d  %s\n", p->name, ut, p->min_servers,
		    check_type_str(p->check.type));
	}
}

static void
status_json(struct control *ct, struct json *j)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	struct control_info in;
	size_t i;

	ct->ops.info(ct->ops.arg, &in);
	json_obj_begin(j, NULL);
	json_string(j, "router", c->router.name);
	json_string(j, "version", PACKAGE_VERSION);
	json_int(j, "pid", (long long)getpid());
	json_int(j, "started", (long long)ct->started);
	json_obj_begin(j, "configuration");
	json_string(j, "file", in.config_path);
	json_int(j, "loaded", (long long)in.loaded_at);
	json_uint(j, "reloads_accepted", in.reloads_ok);
	json_uint(j, "reloads_refused", in.reloads_refused);
	json_bool(j, "last_reload_ok", in.last_reload_ok);
	json_arr_begin(j, "last_errors");
	for (i = 0; i < in.last_errors->n; i++)
		json_string(j, NULL, in.last_errors->msgs[i]);
	json_arr_end(j);
	json_obj_end(j);
	json_bool(j, "election", c->election.present);
	json_arr_begin(j, "vips");
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];
		char a[SOCKADDR_X_STRLEN];

		json_obj_begin(j, NULL);
		json_string(j, "name", v->name);
		json_string(j, "address", sockaddr_x_fmt_addr(vip_service_addr(v, c->router.name),
		    a, sizeof(a)));
		json_string(j, "role", role_str(ct, v->name));
		json_int(j, "priority", vip_priority(v, c->router.name));
		json_int(j, "services", (long long)v->nservices);
		bgp_json(ct, v, j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_arr_begin(j, "pools");
	for (i = 0; i < c->npools; i++) {
		const struct pool *p = &c->pools[i];
		unsigned nup = 0, total = 0;

		ct->ops.pool_count(ct->ops.arg, p->name, &nup, &total);
		json_obj_begin(j, NULL);
		json_string(j, "name", p->name);
		json_uint(j, "up", nup);
		json_uint(j, "total", total);
		json_int(j, "min_servers", p->min_servers);
		json_string(j, "check", check_type_str(p->check.type));
		json_obj_end(j);
	}
	json_arr_end(j);
	drains_json(ct, j);
	json_obj_end(j);
}

static void
show_vips(struct control *ct, struct tbuf *o, struct json *j)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	size_t i, k;

	if (j != NULL)
		json_arr_begin(j, NULL);
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];
		char a[SOCKADDR_X_STRLEN];
		const char *role = role_str(ct, v->name);

		sockaddr_x_fmt_addr(vip_service_addr(v, c->router.name), a, sizeof(a));
		if (j != NULL) {
			json_obj_begin(j, NULL);
			json_string(j, "name", v->name);
			json_string(j, "address", a);
			json_int(j, "vrid", v->vrid);
			json_string(j, "interface", v->interface);
			json_string(j, "role", role);
			json_int(j, "priority", vip_priority(v, c->router.name));
			json_string(j, "eip", v->eip.allocation_id);
			bgp_json(ct, v, j);
			json_arr_begin(j, "services");
		} else if (v->announce == ANNOUNCE_BGP) {
			char why[200];

			bgp_of(ct, v, why, sizeof(why));
			tbuf_printf(o, "vip %s: %s, bgp %s, interface %s\n", v->name, a, why,
			    v->interface ? v->interface : "-");
		} else {
			tbuf_printf(o, "vip %s: %s, %s, priority %d, vrid %d, interface %s%s%s\n",
			    v->name, a, role, vip_priority(v, c->router.name), v->vrid,
			    v->interface ? v->interface : "-", v->eip.allocation_id ? ", eip " : "",
			    v->eip.allocation_id ? v->eip.allocation_id : "");
		}
		for (k = 0; k < v->nservices; k++) {
			const struct service *s = &v->services[k];
			char key[32];

			if (s->fwmark)
				snprintf(key, sizeof(key), "fwmark %u", s->fwmark);
			else
				snprintf(key, sizeof(key), "%s/%d", proto_str(s->protocol), s->port);
			if (j != NULL) {
				json_obj_begin(j, NULL);
				json_string(j, "service", key);
				json_string(j, "pool", s->pool_name);
				json_string(j, "scheduler", s->scheduler);
				json_string(j, "method", fwd_method_str(s->method));
				json_int(j, "persistence_timeout_s", s->persistence_timeout_s);
				json_obj_end(j);
			} else {
				tbuf_printf(o, "  %-12s -> pool %s (%s, %s%s)\n", key, s->pool_name,
				    s->scheduler, fwd_method_str(s->method),
				    s->persistence_timeout_s ? ", persistent" : "");
			}
		}
		if (j != NULL) {
			json_arr_end(j);
			json_obj_end(j);
		}
	}
	if (j != NULL)
		json_arr_end(j);
}

static void
show_pools(struct control *ct, struct tbuf *o, struct json *j)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	size_t i;

	if (j != NULL)
		json_arr_begin(j, NULL);
	for (i = 0; i < c->npools; i++) {
		const struct pool *p = &c->pools[i];
		unsigned nup = 0, total = 0;

		ct->ops.pool_count(ct->ops.arg, p->name, &nup, &total);
		if (j != NULL) {
			json_obj_begin(j, NULL);
			json_string(j, "name", p->name);
			json_int(j, "port", p->port);
			json_uint(j, "up", nup);
			json_uint(j, "total", total);
			json_int(j, "min_servers", p->min_servers);
			json_string(j, "check", check_type_str(p->check.type));
			json_int(j, "interval_ms", p->check.interval_ms);
			json_string(j, "endpoints_file", p->endpoints_file);
			json_obj_end(j);
		} else {
			tbuf_printf(o, "pool %s: %u/%u up (min_servers %d), %s check every %dms%s%s\n",
			    p->name, nup, total, p->min_servers, check_type_str(p->check.type),
			    p->check.interval_ms, p->endpoints_file ? ", endpoints " : "",
			    p->endpoints_file ? p->endpoints_file : "");
		}
	}
	if (j != NULL)
		json_arr_end(j);
}

/* One line (or JSON object) of `show servers`. */
static void
show_server_row(struct control *ct, struct tbuf *o, struct json *j, const struct control_server *e,
    int64_t now)
{
	char a[SOCKADDR_X_STRLEN], since[32];
	bool drained = control_drained(ct, e->pool, &e->dest);
	int64_t since_s = e->since_ms >= 0 ? (now - e->since_ms) / 1000 : 0;

	sockaddr_x_fmt(&e->dest, a, sizeof(a));
	fmt_duration(since_s, since, sizeof(since));
	if (j != NULL) {
		json_obj_begin(j, NULL);
		json_string(j, "pool", e->pool);
		json_string(j, "server", a);
		json_bool(j, "up", e->up);
		json_bool(j, "drained", drained);
		json_string(j, "check", e->check);
		json_string(j, "last_result", e->result);
		json_int(j, "since_s", since_s);
		if (e->traffic) {
			json_obj_begin(j, "traffic");
			json_uint(j, "active", e->active);
			json_uint(j, "inactive", e->inactive);
			json_uint(j, "connections_total", e->conns);
			json_uint(j, "connections_per_s", e->cps);
			json_uint(j, "in_packets_per_s", e->inpps);
			json_uint(j, "out_packets_per_s", e->outpps);
			json_uint(j, "in_bytes_per_s", e->inbps);
			json_uint(j, "out_bytes_per_s", e->outbps);
			json_int(j, "age_ms", e->traffic_age_ms);
			json_obj_end(j);
		}
		json_obj_end(j);
	} else {
		char tr[200] = "";

		if (e->traffic)
			snprintf(tr, sizeof(tr), " | %u active, %u inactive, %llu conn/s, in %llu pkt/s "
			    "%llu B/s, out %llu pkt/s %llu B/s", e->active, e->inactive,
			    (unsigned long long)e->cps, (unsigned long long)e->inpps,
			    (unsigned long long)e->inbps, (unsigned long long)e->outpps,
			    (unsigned long long)e->outbps);
		tbuf_printf(o, "%-16s %-29s %-6s %-9s %s%s%s\n", e->pool, a, e->up ? "up" : "down",
		    since, e->result, drained ? " [drained]" : "", tr);
	}
}

/*
 * `show servers` is answered in slices of SHOW_SLICE servers, one slice per
 * loop iteration (loop_defer), so that a long list (100,000 servers: a
 * quarter of a second to format) never holds the loop - adverts, probes -
 * longer than one slice.  Between slices the set may change (a reload, an
 * endpoints file): each slice starts after the last server written, by its
 * key (pool, address, port: the order ops.server lists them in), so that no
 * server is listed twice and none that was there throughout is missed.
 */
#define SHOW_SLICE 2000

struct show_job {
	struct control *ct;
	struct ctl_pending *p;
	struct tbuf o;
	struct json j;
	bool json;
	char *last_pool; /* NULL before the first row */
	struct sockaddr_x last_dest;
	unsigned slices;
};

static void show_slice(void *arg);

static void
show_job_free(struct show_job *s)
{
	loop_defer_cancel(show_slice, s);
	tbuf_free(&s->o);
	json_free(&s->j);
	free(s->last_pool);
	free(s);
}

static void
show_job_gone(void *arg)
{
	show_job_free(arg);
}

/* The index of the first server after the last one written. */
static size_t
show_resume(const struct show_job *s)
{
	struct control *ct = s->ct;
	struct control_server e;
	size_t lo = 0, hi = ct->ops.server_count(ct->ops.arg), mid;
	int c;

	if (s->last_pool == NULL)
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!ct->ops.server(ct->ops.arg, mid, &e)) {
			hi = mid;
			continue;
		}
		c = strcmp(e.pool, s->last_pool);
		if (c == 0)
			c = sockaddr_x_cmp(&e.dest, &s->last_dest);
		if (c <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
show_slice(void *arg)
{
	struct show_job *s = arg;
	struct control *ct = s->ct;
	struct control_server e;
	size_t i = show_resume(s), n = ct->ops.server_count(ct->ops.arg), end;
	int64_t now = mono_ms();
	bool any = false;

	end = n - i > SHOW_SLICE ? i + SHOW_SLICE : n;
	s->slices++;
	for (; i < end; i++) {
		if (!ct->ops.server(ct->ops.arg, i, &e))
			continue;
		ct->ops.server_traffic(ct->ops.arg, &e);
		show_server_row(ct, &s->o, s->json ? &s->j : NULL, &e, now);
		any = true;
	}
	if (any) {
		free(s->last_pool);
		s->last_pool = xstrdup(e.pool);
		s->last_dest = e.dest;
	}
	if (end < n) {
		loop_defer(show_slice, s);
		return;
	}
	/* the answer, status line first, goes out as built: a listing of
	 * 100,000 servers is ~15 MB, and copying it twice held the loop too */
	if (s->json) {
		json_arr_end(&s->j);
		tbuf_puts(&s->j.b, "\n");
		ctl_complete_whole(s->p, &s->j.b);
	} else {
		ctl_complete_whole(s->p, &s->o);
	}
	show_job_free(s);
}

static enum ctl_code
cmd_show_servers(struct control *ct, bool json, const char **text)
{
	struct show_job *s = xcalloc(1, sizeof(*s));

	s->ct = ct;
	s->json = json;
	tbuf_init(&s->o);
	json_init(&s->j);
	s->p = ctl_defer(show_job_gone, s);
	if (s->p == NULL) {
		show_job_free(s);
		*text = "Cannot defer the answer";
		return CTL_ERROR;
	}
	if (json) {
		ctl_status_line(&s->j.b, CTL_OK, NULL); /* (json.c only appends) */
		json_arr_begin(&s->j, NULL);
	} else {
		ctl_status_line(&s->o, CTL_OK, NULL);
		tbuf_puts(&s->o, "POOL             SERVER                        STATE  SINCE     LAST CHECK\n");
	}
	loop_defer(show_slice, s);
	return CTL_DEFERRED;
}

static void
show_peers(struct control *ct, struct tbuf *o, struct json *j)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	const struct election *e = &c->election;
	size_t i;

	if (j != NULL)
		json_arr_begin(j, NULL);
	for (i = 0; i < e->npeers; i++) {
		char a[SOCKADDR_X_STRLEN];
		bool self = c->router.name && strcmp(e->peers[i].name, c->router.name) == 0;

		sockaddr_x_fmt_addr(&e->peers[i].addr, a, sizeof(a));
		if (j != NULL) {
			json_obj_begin(j, NULL);
			json_string(j, "name", e->peers[i].name);
			json_string(j, "address", a);
			json_bool(j, "self", self);
			json_obj_end(j);
		} else {
			tbuf_printf(o, "peer %s: %s%s\n", e->peers[i].name, a, self ? " (this router)" : "");
		}
	}
	if (j != NULL)
		json_arr_end(j);
	else if (e->npeers == 0)
		tbuf_puts(o, "no election: this router runs standalone\n");
}

/* ------------------------------------------------------------ drain */

static enum ctl_code
cmd_drain(struct control *ct, bool on, int argc, char **argv, struct tbuf *o, const char **text)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	const struct drain_entry *cur;
	const struct pool *p;
	struct drain_entry e;
	struct sockaddr_x a;
	struct control_server srv;
	char who[DRAINS_WHO_MAX];
	const char *off;
	size_t i, n;
	bool known = false;
	int r;

	if (argc != 3) {
		*text = on ? "usage: drain POOL SERVER" : "usage: undrain POOL SERVER";
		return CTL_BAD_REQUEST;
	}
	if ((p = config_find_pool(c, argv[1])) == NULL) {
		*text = "No such pool";
		return CTL_NOT_FOUND;
	}
	if (sockaddr_x_parse(argv[2], true, &a) < 0) {
		*text = "SERVER must be ADDRESS, ADDRESS:PORT or [IPV6]:PORT";
		return CTL_BAD_REQUEST;
	}
	n = ct->ops.server_count(ct->ops.arg);
	for (i = 0; i < n; i++)
		if (ct->ops.server(ct->ops.arg, i, &srv) && strcmp(srv.pool, p->name) == 0 &&
		    sockaddr_x_cmp_addr(&srv.dest, &a) == 0 && (a.port == 0 || a.port == srv.dest.port))
			known = true;
	if (!known) {
		*text = "No such server in that pool";
		return CTL_NOT_FOUND;
	}
	cur = drains_find(&ct->drains, p->name, &a);
	if (!on && (cur == NULL || !cur->drained)) {
		*text = "That server is not drained (by ipvs-routerctl; see drain = true in the "
		    "configuration)";
		return CTL_NOT_FOUND;
	}
	caller_text(who, sizeof(who));
	memset(&e, 0, sizeof(e));
	e.pool = p->name;
	e.addr = a;
	e.drained = on;
	e.stamp_us = wall_us();
	/* a later stamp than the one held, whatever the clock did since */
	if (cur != NULL && e.stamp_us <= cur->stamp_us)
		e.stamp_us = cur->stamp_us + 1;
	e.router = c->router.name != NULL && name_valid(c->router.name) ? c->router.name : "unnamed";
	e.who = who;
	r = drains_put(&ct->drains, &e, NULL);
	if (r < 0) {
		*text = r == -ENOSPC ? "Too many drains recorded" : "Cannot record that drain";
		return CTL_ERROR;
	}
	drains_save(ct);
	log_notice("pool %s server %s: %s by ipvs-routerctl (%s)", p->name, argv[2],
	    on ? "drained" : "undrained", who);
	ct->ops.drains_changed(ct->ops.arg, true);
	tbuf_printf(o, "pool %s server %s: %s\n", p->name, argv[2], on ? "drained (weight 0; "
	    "existing connections carry on)" : "undrained (back in rotation while its checks pass)");
	if (ct->drains_err != 0)
		tbuf_printf(o, "warning: not written to %s (%s): it holds until this daemon "
		    "stops\n", ct->drains_path, strerror(-ct->drains_err));
	if (c->election.present && (off = ct->ops.drains_share_off(ct->ops.arg)) != NULL)
		tbuf_printf(o, "note: this router only: %s\n", off);
	return CTL_OK;
}

/* ------------------------------------------------------------ explain */

static enum ctl_code
cmd_explain(struct control *ct, int argc, char **argv, struct tbuf *o, struct json *j,
    const char **text)
{
	const struct config *c = ct->ops.config(ct->ops.arg);
	const struct drain_entry *de;
	struct explain *x;
	struct sockaddr_x a;
	size_t i;

	if (argc != 3) {
		*text = "usage: explain POOL SERVER";
		return CTL_BAD_REQUEST;
	}
	if (config_find_pool(c, argv[1]) == NULL) {
		*text = "No such pool";
		return CTL_NOT_FOUND;
	}
	if (sockaddr_x_parse(argv[2], true, &a) < 0) {
		*text = "SERVER must be ADDRESS, ADDRESS:PORT or [IPV6]:PORT";
		return CTL_BAD_REQUEST;
	}
	x = xcalloc(1, sizeof(*x));
	snprintf(x->pool, sizeof(x->pool), "%s", argv[1]);
	sockaddr_x_fmt(&a, x->server, sizeof(x->server));
	if (a.port == 0)
		sockaddr_x_fmt_addr(&a, x->server, sizeof(x->server));
	ct->ops.explain(ct->ops.arg, &a, x);
	if (!x->member.found) {
		free(x);
		*text = "No such server in that pool";
		return CTL_NOT_FOUND;
	}
	/* the operator's drain or undrain on record for the address (any port,
	 * or the one asked about): the newest */
	de = NULL;
	for (i = 0; i < ct->drains.n; i++) {
		const struct drain_entry *e = &ct->drains.v[i];

		if (strcmp(e->pool, x->pool) != 0 || sockaddr_x_cmp_addr(&e->addr, &a) != 0 ||
		    (a.port != 0 && e->addr.port != 0 && e->addr.port != a.port))
			continue;
		if (de == NULL || e->stamp_us > de->stamp_us)
			de = e;
	}
	if (de != NULL) {
		x->drain.any = true;
		x->drain.drained = de->drained;
		snprintf(x->drain.who, sizeof(x->drain.who), "%s", de->who);
		snprintf(x->drain.router, sizeof(x->drain.router), "%s", de->router);
		x->drain.when = (time_t)(de->stamp_us / 1000000u);
	}
	if (j != NULL)
		explain_json(x, j);
	else
		explain_text(x, o);
	free(x);
	return CTL_OK;
}

/* ------------------------------------------------------------ reload, plan */

/*
 * reload and plan read the file off the loop (a large configuration takes a
 * good part of a second to parse) and answer when that is done.  A request
 * whose client went away meanwhile (the socket closed) is answered to no one.
 */
struct ctl_wait {
	struct control *ct;
	struct ctl_pending *p; /* NULL once the client is gone */
	bool json;
	/* plan: read on the worker thread */
	char *path, *router;
	struct config *c;
	struct errlist el;
	int r;
};

static void
ctl_wait_gone(void *arg)
{
	((struct ctl_wait *)arg)->p = NULL;
}

static void
ctl_wait_free(struct ctl_wait *w)
{
	config_free(w->c);
	errlist_clear(&w->el);
	free(w->path);
	free(w->router);
	free(w);
}

static void
reload_answer(void *ctx, int r)
{
	struct ctl_wait *w = ctx;
	struct control *ct = w->ct;
	struct control_info in;
	const struct config *c;
	struct tbuf o;
	size_t i;

	if (w->p == NULL) {
		ctl_wait_free(w);
		return;
	}
	tbuf_init(&o);
	ct->ops.info(ct->ops.arg, &in);
	if (r == 0) {
		c = ct->ops.config(ct->ops.arg);
		tbuf_printf(&o, "reload: configuration accepted (%zu vips, %zu pools)%s%s\n",
		    c->nvips, c->npools, in.last_change[0] ? ": " : "", in.last_change);
		ctl_complete(w->p, CTL_OK, NULL, &o);
	} else {
		for (i = 0; i < in.last_errors->n; i++)
			tbuf_printf(&o, "%s\n", in.last_errors->msgs[i]);
		if (in.last_errors->n == 0)
			tbuf_printf(&o, "%s: %s\n", in.config_path, strerror(-r));
		tbuf_puts(&o, "reload refused, keeping the running configuration\n");
		ctl_complete(w->p, CTL_REFUSED, "Reload refused", &o);
	}
	tbuf_free(&o);
	ctl_wait_free(w);
}

static enum ctl_code
cmd_reload(struct control *ct, struct tbuf *o, const char **text)
{
	struct ctl_wait *w = xcalloc(1, sizeof(*w));

	w->ct = ct;
	errlist_init(&w->el);
	w->p = ctl_defer(ctl_wait_gone, w);
	if (w->p == NULL) {
		ctl_wait_free(w);
		*text = "Cannot defer the answer";
		return CTL_ERROR;
	}
	/* on failure to start, reload_answer has already answered and freed w */
	ct->ops.reload(ct->ops.arg, reload_answer, w);
	(void)o;
	return CTL_DEFERRED;
}

static void
plan_work(void *arg)
{
	struct ctl_wait *w = arg;

	w->r = conf_read(w->path, w->router, &w->c, &w->el);
}

/* On the loop: diff the configuration read against the running one, answer. */
static void
plan_done(void *arg, bool cancelled)
{
	static const char *const kind[] = { "+", "-", "~" };
	static const char *const kindw[] = { "new", "delete", "changed" };
	struct ctl_wait *w = arg;
	struct control *ct = w->ct;
	struct conf_diff df;
	struct json j;
	struct tbuf o;
	char sum[96];
	size_t i;

	if (cancelled || w->p == NULL) {
		ctl_wait_free(w);
		return;
	}
	tbuf_init(&o);
	if (w->r < 0) {
		for (i = 0; i < w->el.n; i++)
			tbuf_printf(&o, "%s\n", w->el.msgs[i]);
		tbuf_printf(&o, "%s: a reload would be refused (%zu error%s)\n", w->path,
		    w->el.n, w->el.n == 1 ? "" : "s");
		ctl_complete(w->p, CTL_REFUSED, "Configuration invalid", &o);
		tbuf_free(&o);
		ctl_wait_free(w);
		return;
	}
	conf_diff(ct->ops.config(ct->ops.arg), w->c, &df);
	if (w->json) {
		json_init(&j);
		json_obj_begin(&j, NULL);
		json_string(&j, "file", w->path);
		json_arr_begin(&j, "changes");
		for (i = 0; i < df.n; i++) {
			json_obj_begin(&j, NULL);
			json_string(&j, "change", kindw[df.v[i].kind]);
			json_string(&j, "object", df.v[i].object);
			json_string(&j, "detail", df.v[i].detail);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		tbuf_puts(&o, json_str(&j));
		tbuf_puts(&o, "\n");
		json_free(&j);
	} else {
		for (i = 0; i < df.n; i++)
			tbuf_printf(&o, "%s %s%s%s\n", kind[df.v[i].kind], df.v[i].object,
			    df.v[i].detail ? ": " : "", df.v[i].detail ? df.v[i].detail : "");
		tbuf_printf(&o, "plan: %s (nothing applied)\n", conf_diff_summary(&df, sum, sizeof(sum)));
	}
	conf_diff_free(&df);
	ctl_complete(w->p, CTL_OK, NULL, &o);
	tbuf_free(&o);
	ctl_wait_free(w);
}

static enum ctl_code
cmd_plan(struct control *ct, bool json, const char **text)
{
	struct ctl_wait *w = xcalloc(1, sizeof(*w));
	struct control_info in;

	ct->ops.info(ct->ops.arg, &in);
	w->ct = ct;
	w->json = json;
	w->path = xstrdup(in.config_path);
	w->router = xstrdup(in.router_name);
	errlist_init(&w->el);
	w->p = ctl_defer(ctl_wait_gone, w);
	if (w->p == NULL) {
		ctl_wait_free(w);
		*text = "Cannot defer the answer";
		return CTL_ERROR;
	}
	if (loop_work(plan_work, plan_done, w) < 0) {
		ctl_complete(w->p, CTL_ERROR, "Cannot read the configuration off the loop", NULL);
		ctl_wait_free(w);
	}
	return CTL_DEFERRED;
}

/* ------------------------------------------------------------ dispatch */

static enum ctl_code
handle(void *arg, int argc, char **argv, struct tbuf *out, const char **text)
{
	struct control *ct = arg;
	struct json j;
	bool js = want_json(&argc, argv);
	enum ctl_code code = CTL_OK;
	const char *cmd = argv[0];

	json_init(&j);
	if (strcmp(cmd, "version") == 0 && argc == 1) {
		tbuf_printf(out, "ipvs-router %s\n", PACKAGE_VERSION);
	} else if (strcmp(cmd, "status") == 0 && argc == 1) {
		if (js)
			status_json(ct, &j);
		else
			status_text(ct, out);
	} else if (strcmp(cmd, "show") == 0 && argc == 2) {
		if (strcmp(argv[1], "vips") == 0)
			show_vips(ct, out, js ? &j : NULL);
		else if (strcmp(argv[1], "pools") == 0)
			show_pools(ct, out, js ? &j : NULL);
		else if (strcmp(argv[1], "servers") == 0)
			code = cmd_show_servers(ct, js, text);
		else if (strcmp(argv[1], "peers") == 0)
			show_peers(ct, out, js ? &j : NULL);
		else {
			*text = "show what? vips, pools, servers or peers";
			code = CTL_BAD_REQUEST;
		}
	} else if (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0) {
		code = cmd_drain(ct, cmd[0] == 'd', argc, argv, out, text);
	} else if ((strcmp(cmd, "drain-router") == 0 || strcmp(cmd, "undrain-router") == 0) &&
	    argc == 1) {
		code = cmd_drain_router(ct, cmd[0] == 'd', out, text);
	} else if (strcmp(cmd, "explain") == 0) {
		code = cmd_explain(ct, argc, argv, out, js ? &j : NULL, text);
	} else if (strcmp(cmd, "reload") == 0 && argc == 1) {
		code = cmd_reload(ct, out, text);
	} else if (strcmp(cmd, "plan") == 0 && argc == 1) {
		code = cmd_plan(ct, js, text);
	} else {
		*text = "Unknown command (status, show, explain, drain, undrain, drain-router, "
			"undrain-router, reload, plan, version)";
		code = CTL_BAD_REQUEST;
	}
	if (js && j.b.len > 0) {
		tbuf_puts(out, json_str(&j));
		tbuf_puts(out, "\n");
	}
	json_free(&j);
	return code;
}

/* ------------------------------------------------------------ metrics */

static void
render_metrics(void *arg, struct tbuf *b)
{
	static const char *const roles[] = { "INIT", "BACKUP", "MASTER", "FAULT" };
	struct control *ct = arg;
	const struct config *c = ct->ops.config(ct->ops.arg);
	struct control_info in;
	size_t i;
	int k;

	ct->ops.info(ct->ops.arg, &in);
	metrics_family(b, "ipvsr_build_info", METRIC_GAUGE, "Version of the running daemon.");
	metrics_sample(b, "ipvsr_build_info", (const char *[]){ "version", PACKAGE_VERSION, NULL }, 1);
	metrics_family(b, "ipvsr_start_time_seconds", METRIC_GAUGE, "When the daemon started (Unix time).");
	metrics_sample(b, "ipvsr_start_time_seconds", NULL, (double)ct->started);

	metrics_family(b, "ipvsr_config_reloads_total", METRIC_COUNTER, "Reloads, by result.");
	metrics_sample_u64(b, "ipvsr_config_reloads_total", (const char *[]){ "result", "accepted", NULL },
	    in.reloads_ok);
	metrics_sample_u64(b, "ipvsr_config_reloads_total", (const char *[]){ "result", "refused", NULL },
	    in.reloads_refused);
	metrics_family(b, "ipvsr_config_last_reload_successful", METRIC_GAUGE,
	    "1 if the last reload was accepted (or none happened), 0 if refused.");
	metrics_sample(b, "ipvsr_config_last_reload_successful", NULL, in.last_reload_ok ? 1 : 0);
	metrics_family(b, "ipvsr_config_loaded_timestamp_seconds", METRIC_GAUGE,
	    "When the running configuration was loaded (Unix time).");
	metrics_sample(b, "ipvsr_config_loaded_timestamp_seconds", NULL, (double)in.loaded_at);
	metrics_family(b, "ipvsr_config_last_reload_duration_seconds", METRIC_GAUGE,
	    "How long the last reload took to read, check and apply.");
	metrics_sample(b, "ipvsr_config_last_reload_duration_seconds", NULL, in.last_reload_us / 1e6);

	metrics_family(b, "ipvsr_vip_state", METRIC_GAUGE, "This router's role for each VIP (1 for the current one).");
	for (i = 0; i < c->nvips; i++) {
		const char *st = role_str(ct, c->vips[i].name);

		for (k = 0; k < 4; k++)
			metrics_sample(b, "ipvsr_vip_state",
			    (const char *[]){ "vip", c->vips[i].name, "state", roles[k], NULL },
			    strcmp(st, roles[k]) == 0 ? 1 : 0);
	}
	metrics_family(b, "ipvsr_vip_priority", METRIC_GAUGE, "This router's configured priority for each VIP.");
	for (i = 0; i < c->nvips; i++)
		metrics_sample(b, "ipvsr_vip_priority", (const char *[]){ "vip", c->vips[i].name, NULL },
		    vip_priority(&c->vips[i], c->router.name));

	metrics_family(b, "ipvsr_pool_servers", METRIC_GAUGE, "Servers of each pool, by health.");
	for (i = 0; i < c->npools; i++) {
		unsigned nup = 0, total = 0;

		ct->ops.pool_count(ct->ops.arg, c->pools[i].name, &nup, &total);
		metrics_sample(b, "ipvsr_pool_servers", (const char *[]){ "pool", c->pools[i].name,
		    "state", "up", NULL }, nup);
		metrics_sample(b, "ipvsr_pool_servers", (const char *[]){ "pool", c->pools[i].name,
		    "state", "down", NULL }, total - nup);
	}
	metrics_family(b, "ipvsr_pool_min_servers", METRIC_GAUGE, "Configured min_servers of each pool.");
	for (i = 0; i < c->npools; i++)
		metrics_sample(b, "ipvsr_pool_min_servers", (const char *[]){ "pool", c->pools[i].name, NULL },
		    c->pools[i].min_servers);

	metrics_family(b, "ipvsr_bugs_total", METRIC_COUNTER,
	    "Broken internal invariants caught (each logged as BUG at critical level).");
	metrics_sample_u64(b, "ipvsr_bugs_total", NULL, log_bug_count());

	/* the subsystems' own families: health, election, IPVS, endpoints, cloud */
	ct->ops.metrics(ct->ops.arg, b);
}

/* ipvsr_server_drained from server *pos on, at most `budget`; true when complete. */
static bool
render_drained(struct control *ct, struct tbuf *b, size_t *pos, size_t budget)
{
	size_t n = ct->ops.server_count(ct->ops.arg), end;
	struct control_server e;

	if (*pos == 0)
		metrics_family(b, "ipvsr_server_drained", METRIC_GAUGE, "1 when drained by ipvs-routerctl.");
	end = n - *pos > budget ? *pos + budget : n;
	for (; *pos < end; (*pos)++) {
		char a[SOCKADDR_X_STRLEN];

		if (!ct->ops.server(ct->ops.arg, *pos, &e))
			continue;
		sockaddr_x_fmt(&e.dest, a, sizeof(a));
		metrics_sample(b, "ipvsr_server_drained", (const char *[]){ "pool", e.pool, "server", a, NULL },
		    control_drained(ct, e.pool, &e.dest) ? 1 : 0);
	}
	return *pos >= n;
}

/*
 * A scrape, step by step (metrics_http calls metrics_step once per loop
 * iteration): first the small families in one go, then each per-server
 * section in slices of SCRAPE_SLICE samples.  A change of the sets under it
 * (a reload, an endpoints file, a reconcile) starts it again from an empty
 * body: a sample listed twice would make the scrape invalid.  After
 * SCRAPE_RESTARTS of those, it is finished in one go.
 */
#define SCRAPE_SLICE 2000
#define SCRAPE_RESTARTS 3

struct scrape_state {
	size_t base;	  /* where this scrape's body starts in `out` */
	unsigned phase;	  /* 0: small families; 1: drained; 2 + k: section k */
	size_t pos;
	uint64_t gen;
	unsigned restarts;
};

static bool
metrics_step(void *arg, struct tbuf *b, void **state)
{
	struct control *ct = arg;
	struct scrape_state *st = *state;
	size_t budget;
	bool done;

	if (st == NULL) {
		st = *state = xcalloc(1, sizeof(*st));
		st->base = b->len;
	} else if (ct->ops.metrics_generation(ct->ops.arg) != st->gen) {
		b->len = st->base; /* the sets changed: start again */
		st->phase = 0;
		st->pos = 0;
		st->restarts++;
	}
	if (st->phase == 0) {
		st->gen = ct->ops.metrics_generation(ct->ops.arg);
		render_metrics(ct, b);
		st->phase = 1;
		st->pos = 0;
		return false;
	}
	budget = st->restarts >= SCRAPE_RESTARTS ? SIZE_MAX : SCRAPE_SLICE;
	for (;;) {
		if (st->phase == 1)
			done = render_drained(ct, b, &st->pos, budget);
		else if (st->phase - 2 < ct->ops.metrics_sections)
			done = ct->ops.metrics_section(ct->ops.arg, st->phase - 2, b, &st->pos, budget);
		else
			return true;
		if (!done)
			return false;
		st->phase++;
		st->pos = 0;
		if (budget != SIZE_MAX)
			return st->phase - 2 >= ct->ops.metrics_sections;
	}
}

static void
metrics_done(void *arg, void *state)
{
	(void)arg;
	free(state);
}
