/* SPDX-License-Identifier: Apache-2.0 */
/*
 * election.c - one election instance per VIP, wired to the network, the
 * VIP addresses, subscribers and the notify command.
 *
 * The state machine (elect.c) decides; this file only carries out its
 * actions and feeds it events: adverts (election_advert.c, verified by
 * elect_proto.c), its deadlines (elect_net.c timers), tracking
 * (election_track.c: vip.c link events and election_pool_health).  It owns
 * the instances' life cycle and role changes; the notify commands run in
 * election_notify.c.  Runtime state is kept per instance and matched by
 * identity on reload, like the rest of the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <ev.h>

#include "election_int.h"
#include "explain.h"
#include "metrics.h"
#include "log.h"
#include "loop.h"
#include "vip.h"

#define ELECTION_NICE (-10) /* see sched_raise_priority() */

static int key_read(const char *path, struct elect_key *out);
static int key_load(const char *path, struct elect_key *out, char *why, size_t whylen);
static void key_free(struct elect_key *k);

static void sched_raise_priority(void);
static void sched_autogroup_nice(void);
static int64_t sched_run_delay_ms(struct election_rt *rt);

static bool election_participates(const struct config *c, const struct vip *v);
static void election_conf_of(const struct config *c, const struct vip *v, struct elect_conf *ec);
static bool net_conf_of(
    const struct election_rt *rt, const struct config *c, struct elect_net_conf *nc);
static void net_apply(struct election_rt *rt, const struct config *c);

static struct inst *inst_new(struct election_rt *rt, const struct config *c, const struct vip *v);
static void inst_free(struct inst *in);
static struct inst *inst_find(struct election_rt *rt, const char *name, int vrid, int af);
static const struct inst *inst_named(const struct election_rt *rt, const char *vip_name);
static void inst_peers(struct inst *in, const struct config *c);
static void inst_sources(struct inst *in);
static void inst_act(struct inst *in, const struct elect_out *o);
static void inst_timer_cb(void *arg);

static int inst_take(struct inst *in);
static void inst_take_result(struct inst *in, int took);
static void inst_release(struct inst *in, bool quiet);
static bool inst_addr_used_elsewhere(
    const struct inst *in, const char *ifname, const struct sockaddr_x *a);
static void inst_garp_cb(void *arg);

/* ------------------------------------------------------------ key */

/*
 * The key is the file's bytes, less one trailing newline (so that `echo
 * secret >file` and `printf secret >file` agree), ELECT_KEY_MIN..MAX long.
 * A key readable by everyone is no secret: refused, like ssh refuses keys.
 */
static int
key_read(const char *path, struct elect_key *out)
{
	char why[512];
	int r = key_load(path, out, why, sizeof(why));

	if (r < 0)
		log_warnx("%s", why);
	return r;
}

/* key_read without the log: the problem in why (one line, with its fix). */
static int
key_load(const char *path, struct elect_key *out, char *why, size_t whylen)
{
	uint8_t buf[ELECT_KEY_MAX + 3];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd;

	out->bytes = NULL;
	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, whylen, "election.auth_key_file %s: cannot open: %s", path,
		    strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "election.auth_key_file %s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(why, whylen, "election.auth_key_file %s: is world-%s (mode %04o): the key "
		    "would be no secret; chmod o-rw %s",
		    path, st.st_mode & S_IROTH ? "readable" : "writable",
		    (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	for (;;) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "election.auth_key_file %s: cannot read: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0 || (n += (size_t)r) == sizeof(buf))
			break;
	}
	close(fd);
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n < ELECT_KEY_MIN || n > ELECT_KEY_MAX) {
		snprintf(why, whylen, "election.auth_key_file %s: the key must be %d to %d bytes, "
		    "not %s%zu (e.g. openssl rand -out %s 32)",
		    path, ELECT_KEY_MIN, ELECT_KEY_MAX, n > ELECT_KEY_MAX ? "more than " : "",
		    n > ELECT_KEY_MAX ? (size_t)ELECT_KEY_MAX : n, path);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	out->bytes = xmalloc(n);
	memcpy(out->bytes, buf, n);
	out->len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
fail:
	close(fd);
	return -EINVAL;
}

static void
key_free(struct elect_key *k)
{
	if (k->bytes != NULL) {
		explicit_bzero(k->bytes, k->len);
		free(k->bytes);
	}
	k->bytes = NULL;
	k->len = 0;
}

int
election_check(const struct config *c)
{
	char why[512];
	int r = election_check_key(c, why, sizeof(why));

	if (r < 0)
		log_warnx("%s", why);
	return r;
}

int
election_check_key(const struct config *c, char *why, size_t whylen)
{
	struct elect_key k;
	int r;

	if (!c->election.present || c->election.auth != AUTH_HMAC ||
	    c->election.auth_key_file == NULL)
		return 0;
	r = key_load(c->election.auth_key_file, &k, why, whylen);
	key_free(&k);
	return r;
}

/* ------------------------------------------------------------ scheduling */

/*
 * A backup declares the master dead after 3 advert intervals plus a skew:
 * 180 ms at 50 ms adverts.  At the default nice level, on a machine whose
 * cores are all busy, the scheduler can keep a daemon off the CPU for longer
 * than that, and a healthy master loses its VIP (tests/integration/
 * election-load: 50 ms adverts, two CPU hogs per core, failed without this).
 * Nice -10 (weight 9548 against 1024), for the process and for its
 * autogroup (see sched_autogroup_nice), lets the loop run promptly when it
 * wakes, without the risk of a real-time policy (a runaway loop cannot
 * starve the machine).  An administrator's stronger setting is kept.
 * Measured with both: the longest gap between two adverts under that load
 * was 84 ms at 50 ms adverts.
 */
/*
 * With autogroup scheduling (kernel.sched_autogroup_enabled, the default on
 * many distributions), the nice value only ranks us within our own session:
 * between sessions the CPU is shared by the session's own nice value, which
 * lives in /proc/self/autogroup.  Measured here: at nice -20 but autogroup
 * nice 0, a 445 ms wait for a CPU under four hogs.
 */
/*
 * The kernel allows one change of an autogroup's nice per 100 ms, machine-
 * wide, to callers without CAP_SYS_ADMIN (proc_sched_autogroup_set_nice:
 * EAGAIN; root's changes count too).  Another process changing its own -
 * a second daemon starting in the same tenth of a second, as the lab's
 * parallel tests do - made ours fail, and the daemon ran on at autogroup
 * nice 0 (tools/check-repeat, unit-priority).  So: try again a little later,
 * for a few seconds.
 */
#define AUTOGROUP_RETRY_S 0.15
#define AUTOGROUP_TRIES 20
static ev_timer autogroup_retry;
static int autogroup_tries;

static void
autogroup_retry_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w, (void)revents;
	sched_autogroup_nice();
}

static void
sched_autogroup_nice(void)
{
	char buf[64];
	int fd, n, cur = 0, err;
	ssize_t r;

	fd = open("/proc/self/autogroup", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return; /* no autogroup: nothing to do */
	r = read(fd, buf, sizeof(buf) - 1);
	if (r > 0) {
		buf[r] = '\0';
		/* "/autogroup-123 nice 0" */
		if (sscanf(buf, "%*s nice %d", &cur) != 1)
			cur = 0;
	}
	if (cur > ELECTION_NICE) {
		n = snprintf(buf, sizeof(buf), "%d", ELECTION_NICE);
		if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, buf, (size_t)n) != n) {
			err = errno;
			if (err == EAGAIN && autogroup_tries < AUTOGROUP_TRIES && loop_ev() != NULL &&
			    !ev_is_active(&autogroup_retry)) {
				autogroup_tries++;
				ev_timer_init(&autogroup_retry, autogroup_retry_cb, AUTOGROUP_RETRY_S, 0.);
				ev_timer_start(loop_ev(), &autogroup_retry);
			} else {
				/* (no "Operation not permitted" in the log for the expected case:
				 * nonroot-caps holds the daemon to no permission errors) */
				if (err == EPERM || err == EACCES)
					log_debug("election: autogroup nice unchanged (needs CAP_SYS_NICE)");
				else
					log_debug("election: autogroup nice unchanged: %s", strerror(err));
			}
		} else if (autogroup_tries > 0) {
			log_debug("election: autogroup nice %d after %d tries (rate-limited by the "
				  "kernel)", ELECTION_NICE, autogroup_tries + 1);
		}
	}
	close(fd);
}

static void
sched_raise_priority(void)
{
	int cur;

	sched_autogroup_nice();
	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if ((cur == -1 && errno != 0) || cur <= ELECTION_NICE)
		return;
	if (setpriority(PRIO_PROCESS, 0, ELECTION_NICE) == 0)
		log_info("election: scheduling priority raised to nice %d (was %d), so that "
			 "adverts stay on time under CPU load",
		    ELECTION_NICE, cur);
	else
		log_notice("election: cannot raise the scheduling priority to nice %d (needs "
			   "CAP_SYS_NICE, which the packaged unit grants); under heavy CPU load "
			   "adverts may be late",
		    ELECTION_NICE);
}

struct election_rt *
election_new(void)
{
	struct election_rt *rt = xcalloc(1, sizeof(*rt));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rt->rl_rx); i++)
		rt->rl_rx[i] = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	rt->rl_tx = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	rt->rl_notify = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	rt->rl_late = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	rt->rl_share = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	rt->run_delay_ms = -1;
	rt->schedstat_fd = -1;
	rt->ann_ipvs = -1;
	list_init(&rt->jobs);
	rt->boot = elect_boot_id();
	return rt;
}

/* ------------------------------------------------------------ config mapping */

const struct peer *
election_self_peer(const struct config *c)
{
	if (!c->election.present || c->router.name == NULL)
		return NULL;
	return config_find_peer(c, c->router.name);
}

static bool
election_participates(const struct config *c, const struct vip *v)
{
	return vip_served(c, v, c->router.name);
}

static void
election_conf_of(const struct config *c, const struct vip *v, struct elect_conf *ec)
{
	const struct peer *self = election_self_peer(c);
	int prio = c->router.name != NULL ? vip_priority(v, c->router.name) : 0;

	memset(ec, 0, sizeof(*ec));
	ec->priority = prio > 0 ? prio : 100;
	ec->advert_interval_ms = v->advert_interval_ms > 0 ? v->advert_interval_ms : 100;
	ec->preempt = v->preempt != 0;
	ec->preempt_delay_ms = v->preempt_delay_ms > 0 ? v->preempt_delay_ms : 0;
	ec->standalone = !c->election.present || v->announce == ANNOUNCE_BGP;
	if (self != NULL)
		ec->self = self->addr;
	ec->self.port = 0;
}

/* The sockets this configuration needs; false when none (standalone, alone). */
static bool
net_conf_of(const struct election_rt *rt, const struct config *c, struct elect_net_conf *nc)
{
	const struct peer *self = election_self_peer(c);
	size_t i;

	memset(nc, 0, sizeof(*nc));
	if (!c->election.present)
		return false;
	nc->ifname = c->router.interface;
	if (self != NULL)
		nc->self = self->addr;
	nc->self.port = 0;
	for (i = 0; i < c->election.npeers; i++) {
		const struct peer *p = &c->election.peers[i];

		if (p == self)
			continue;
		if (p->addr.af == AF_INET)
			nc->v4 = true;
		else if (p->addr.af == AF_INET6)
			nc->v6 = true;
	}
	return nc->v4 || nc->v6;
}

/*
 * Announce this router's own address (gratuitous ARP / unsolicited NA) when its advert
 * sockets open: a router that comes back as a new host (same address, new link address)
 * is otherwise unreachable to the peers' unicast adverts until their neighbour entry for
 * it expires (Linux updates an existing entry from a gratuitous ARP).  Unheard, it took a
 * VIP on silence after three intervals, with its IPVS table still filling
 * (bench/failover-flows: 72 of 200 flows survived the move back).
 */
static void
announce_self(const struct elect_net_conf *nc)
{
	char a[SOCKADDR_X_STRLEN];
	int r;

	if (nc->ifname == NULL || nc->self.af == 0)
		return;
	r = vip_announce(nc->ifname, &nc->self);
	if (r < 0 && r != -ENOTSUP)
		log_warnc(r, "election: cannot announce %s on %s",
		    sockaddr_x_fmt_addr(&nc->self, a, sizeof(a)), nc->ifname);
	else if (r == 0)
		log_info("election: announced %s on %s (the peers' neighbour entries follow "
			 "this host)", sockaddr_x_fmt_addr(&nc->self, a, sizeof(a)), nc->ifname);
}

static void
net_apply(struct election_rt *rt, const struct config *c)
{
	struct elect_net_conf nc;
	struct elect_net *n;
	size_t i;

	if (!net_conf_of(rt, c, &nc)) {
		elect_net_close(rt->net);
		rt->net = NULL;
		return;
	}
	if (rt->net != NULL && elect_net_same(rt->net, &nc))
		return;
	if (elect_net_open(&nc, advert_on_rx, rt, &n) < 0) {
		log_warnx("election: keeping the previous advert sockets");
		return;
	}
	elect_net_close(rt->net);
	rt->net = n;
	log_info("election: advert sockets open (IPv4 %s, IPv6 %s, interface %s)",
	    nc.v4 ? "yes" : "no", nc.v6 ? "yes" : "no", nc.ifname ? nc.ifname : "any");
	announce_self(&nc);
	for (i = 0; i < rt->ninsts; i++)
		inst_sources(rt->insts[i]);
}

/* ------------------------------------------------------------ instances */

static struct inst *
inst_find(struct election_rt *rt, const char *name, int vrid, int af)
{
	size_t i;

	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		/* NULL: detached by election_apply, which is walking this list */
		if (in != NULL && in->vrid == vrid && in->af == af && strcmp(in->name, name) == 0)
			return in;
	}
	return NULL;
}

/* The peers of one VIP: the other routers with a priority for it. */
static void
inst_peers(struct inst *in, const struct config *c)
{
	const struct peer *self = election_self_peer(c);
	struct peer_rt *np;
	size_t i, j, n = 0;

	np = xcalloc(c->election.npeers + 1, sizeof(*np));
	for (i = 0; c->election.present && i < c->election.npeers; i++) {
		const struct peer *p = &c->election.peers[i];

		if (p == self || vip_priority(in->v, p->name) == 0)
			continue;
		np[n].name = xstrdup(p->name);
		np[n].addr = p->addr;
		np[n].addr.port = 0;
		/* the same peer at the same address keeps its replay history */
		for (j = 0; j < in->npeers; j++)
			if (strcmp(in->peers[j].name, p->name) == 0 &&
			    sockaddr_x_cmp_addr(&in->peers[j].addr, &p->addr) == 0) {
				np[n].replay = in->peers[j].replay;
				np[n].hash_seen = in->peers[j].hash_seen;
				np[n].hash_differs = in->peers[j].hash_differs;
				memcpy(np[n].hash, in->peers[j].hash, ELECT_HASH_LEN);
			}
		n++;
	}
	for (j = 0; j < in->npeers; j++)
		free(in->peers[j].name);
	free(in->peers);
	in->peers = np;
	in->npeers = n;
	inst_sources(in);
}

static void
inst_sources(struct inst *in)
{
	char a[SOCKADDR_X_STRLEN];
	size_t i;
	int r;

	for (i = 0; i < in->npeers; i++) {
		struct peer_rt *p = &in->peers[i];

		p->src_ok = false;
		if (in->rt->net == NULL)
			continue;
		r = elect_net_source(in->rt->net, &p->addr, &p->src);
		if (r < 0)
			log_vip_err(LOG_WARNING, r, in->name,
			    "peer %s (%s): no source address to reach it", p->name,
			    sockaddr_x_fmt_addr(&p->addr, a, sizeof(a)));
		else
			p->src_ok = true;
	}
}

static struct inst *
inst_new(struct election_rt *rt, const struct config *c, const struct vip *v)
{
	struct elect_conf ec;
	struct inst *in = xcalloc(1, sizeof(*in));

	in->rt = rt;
	in->name = xstrdup(v->name);
	in->vrid = v->vrid;
	in->af = v->addr.af;
	in->v = v;
	election_conf_of(c, v, &ec);
	elect_init(&in->m, &ec);
	in->timer = elect_timer_new(inst_timer_cb, in);
	in->garp_timer = elect_timer_new(inst_garp_cb, in);
	elect_config_hash(c, v, in->hash);
	inst_peers(in, c);
	return in;
}

static void
inst_free(struct inst *in)
{
	size_t i;

	if (in == NULL)
		return;
	elect_timer_free(in->timer);
	elect_timer_free(in->garp_timer);
	for (i = 0; i < in->npeers; i++)
		free(in->peers[i].name);
	free(in->peers);
	free(in->own_if);
	free(in->name);
	free(in);
}

void
inst_feed(struct inst *in, const struct elect_event *ev)
{
	inst_feed_at(in, ev, loop_now_ms());
}

/* The machine wants a time that never goes back: an earlier arrival counts as the last time fed. */
void
inst_feed_at(struct inst *in, const struct elect_event *ev, int64_t at)
{
	struct elect_out o;

	if (at < in->last_ms)
		at = in->last_ms;
	in->last_ms = at;
	elect_input(&in->m, ev, at, &o);
	inst_act(in, &o);
}

static void
inst_timer_cb(void *arg)
{
	struct inst *in = arg;
	struct elect_event ev = {.type = ELECT_EV_TIMER};
	int64_t due = elect_deadline(&in->m), late = mono_ms() - due;
	bool master = in->m.state == ELECT_MASTER;
	char why[96];

	/*
	 * A backup judging its master-down deadline reads first what arrived:
	 * after a stall of this process (a paused VM, a starved CPU) the poll
	 * that ends it can report the expired timer and not the adverts that
	 * came in time, and the backup took the VIP from a master that never
	 * went silent (tests/integration/election-stall).  Those adverts count
	 * at their arrival times; the deadline then usually lies ahead.
	 */
	if (in->m.state == ELECT_BACKUP)
		elect_net_drain(in->rt->net);
	inst_feed(in, &ev);
	/*
	 * An advert more than an interval late eats into the peers' master-down
	 * margin; say so, and whether the CPU or the loop was the cause.
	 */
	if (master && late > in->m.conf.advert_interval_ms) {
		int64_t rd = sched_run_delay_ms(in->rt), cpu = -1;

		if (rd >= 0 && in->rt->run_delay_ms >= 0)
			cpu = rd - in->rt->run_delay_ms;
		/* the worst, whether logged or not (metrics): the lateness, and the
		 * part of it that was not waiting for a CPU - this loop being held */
		if (late > in->rt->late_max_ms)
			in->rt->late_max_ms = late;
		if (cpu >= 0 && late - cpu > in->rt->held_max_ms)
			in->rt->held_max_ms = late - cpu;
		if (log_ratelimit_ok(&in->rt->rl_late)) {
			if (cpu >= 0)
				snprintf(why, sizeof(why), "%lld ms of it waiting for a CPU",
				    (long long)cpu);
			else
				snprintf(why, sizeof(why), "no scheduler statistics");
			log_vip(LOG_WARNING, in->name, "advert sent %lld ms late (%s)",
			    (long long)late, why);
		}
	}
	if (in->m.state == ELECT_MASTER)
		in->rt->run_delay_ms = sched_run_delay_ms(in->rt);
}

/*
 * Time this process spent runnable but not running, from
 * /proc/self/schedstat (kept open: one pread per advert); -1: unknown.
 */
static int64_t
sched_run_delay_ms(struct election_rt *rt)
{
	unsigned long long run, wait;
	char buf[96];
	ssize_t n;

	if (rt->schedstat_fd == -1) {
		rt->schedstat_fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);
		if (rt->schedstat_fd < 0)
			rt->schedstat_fd = -2;
	}
	if (rt->schedstat_fd < 0)
		return -1;
	n = pread(rt->schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return -1;
	return (int64_t)(wait / 1000000u);
}

/*
 * Carry out one output of the machine: adverts first (peers learn at
 * once), then the address and announcements, then everyone who listens.
 */
static void
inst_act(struct inst *in, const struct elect_out *o)
{
	struct election_rt *rt = in->rt;
	size_t i;

	char a[SOCKADDR_X_STRLEN];
	int took = 1;

	/* the time-critical part first: logging can block (a slow syslog) */
	if (o->actions & ELECT_ACT_SEND)
		advert_send(in, o->advert_priority);
	if (o->actions & ELECT_ACT_TAKE)
		took = inst_take(in);
	if ((o->actions & ELECT_ACT_ANNOUNCE) && in->v->garp.enabled) {
		/* a rival claimed the VIP: point the neighbours back at us */
		in->garp_left = in->v->garp.count;
		inst_garp_cb(in);
		log_vip(LOG_NOTICE, in->name,
		    "another router claimed it while we are MASTER; advertised and announced "
		    "the address again");
	}
	if (o->actions & ELECT_ACT_ANNOUNCE) {
		in->reasserts++;
		/* no transition, but the rival may have moved what follows the VIP */
		for (i = 0; i < rt->nsubs; i++)
			rt->subs[i].cb(rt->subs[i].arg, in->v, ELECT_MASTER, ELECT_MASTER);
	}
	if (o->note[0] != '\0')
		log_vip(LOG_NOTICE, in->name, "%s", o->note);
	if (o->to != o->from) {
		in->transitions++;
		log_vip(LOG_NOTICE, in->name, "%s -> %s (%s)", elect_state_str(o->from),
		    elect_state_str(o->to), o->reason);
	}
	if (took <= 0) {
		sockaddr_x_fmt_addr(&in->v->addr, a, sizeof(a));
		if (took < 0)
			log_vip_err(LOG_WARNING, took, in->name, "cannot add %s to %s", a,
			    in->v->interface);
		else
			log_vip(LOG_INFO, in->name, "%s added to %s", a, in->v->interface);
	}
	if (o->actions & ELECT_ACT_RELEASE)
		inst_release(in, o->from == ELECT_INIT);
	if (o->to != o->from) {
		for (i = 0; i < rt->nsubs; i++)
			rt->subs[i].cb(rt->subs[i].arg, in->v, o->from, o->to);
		notify_queue(
		    rt, rt->conf, in->name, o->to == ELECT_INIT ? "STOP" : elect_state_str(o->to));
		if (in->v->announce == ANNOUNCE_BGP)
			ann_sync(rt); /* no address, no route */
	}
	elect_timer_at(in->timer, elect_deadline(&in->m));
	/*
	 * Tell the machine how the add went, once this output is carried out
	 * (a master without its address goes to FAULT; a probe in FAULT that
	 * worked ends it).  The answer to TAKE_OK/TAKE_FAILED never asks for
	 * TAKE again but from FAULT to MASTER standalone, which succeeds or
	 * fails once more: bounded.
	 */
	if (o->actions & ELECT_ACT_TAKE)
		inst_take_result(in, took);
}

static void
inst_take_result(struct inst *in, int took)
{
	struct elect_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = took < 0 ? ELECT_EV_TAKE_FAILED : ELECT_EV_TAKE_OK;
	inst_feed(in, &ev);
}

/* ------------------------------------------------------------ actions */

static bool
inst_addr_used_elsewhere(const struct inst *in, const char *ifname, const struct sockaddr_x *a)
{
	size_t i;

	for (i = 0; i < in->rt->ninsts; i++) {
		const struct inst *o = in->rt->insts[i];

		if (o != NULL && o != in && o->owns && strcmp(o->own_if, ifname) == 0 &&
		    sockaddr_x_cmp_addr(&o->own_addr, a) == 0)
			return true;
	}
	return false;
}

/*
 * Own the address and send the first announcement; no logging here (the
 * caller logs after the transition line).  1: the address is not ours to
 * manage, 0: done, or a negative errno from adding it.
 */
static int
inst_take(struct inst *in)
{
	const struct vip *v = in->v;
	int r;

	if (!v->manage_address || v->interface == NULL)
		return 1;
	r = vip_addr_add(v->interface, &v->addr);
	if (r < 0)
		return r;
	in->owns = true;
	free(in->own_if);
	in->own_if = xstrdup(v->interface);
	in->own_addr = v->addr;
	if (v->garp.enabled) {
		in->garp_left = v->garp.count;
		inst_garp_cb(in);
	}
	return 0;
}

static void
inst_release(struct inst *in, bool quiet)
{
	const struct vip *v = in->v;
	char a[SOCKADDR_X_STRLEN];
	int r;

	elect_timer_at(in->garp_timer, ELECT_NEVER);
	in->garp_left = 0;
	if (in->owns) {
		sockaddr_x_fmt_addr(&in->own_addr, a, sizeof(a));
		if (inst_addr_used_elsewhere(in, in->own_if, &in->own_addr)) {
			log_vip(LOG_INFO, in->name, "%s stays on %s (another VIP owns it)", a,
			    in->own_if);
		} else {
			r = vip_addr_del(in->own_if, &in->own_addr);
			if (r < 0)
				log_vip_err(LOG_WARNING, r, in->name, "cannot remove %s from %s", a,
				    in->own_if);
			else
				log_vip(LOG_INFO, in->name, "%s removed from %s", a, in->own_if);
		}
		in->owns = false;
		return;
	}
	/* leaving INIT: an address a crashed predecessor left behind goes too */
	if (quiet && v->manage_address && v->interface != NULL &&
	    !inst_addr_used_elsewhere(in, v->interface, &v->addr)) {
		r = vip_addr_del(v->interface, &v->addr);
		if (r < 0 && r != -ENODEV)
			log_vip_err(LOG_WARNING, r, in->name, "cannot remove a stale %s from %s",
			    sockaddr_x_fmt_addr(&v->addr, a, sizeof(a)), v->interface);
	}
}

/* Gratuitous ARP / NA: garp.count on takeover, then every refresh_ms. */
static void
inst_garp_cb(void *arg)
{
	struct inst *in = arg;
	const struct vip *v = in->v;
	char a[SOCKADDR_X_STRLEN];
	int64_t next;
	int r;

	if (!in->owns || in->m.state != ELECT_MASTER)
		return;
	r = vip_announce(in->own_if, &in->own_addr);
	if (r < 0 && r != -ENOTSUP && log_ratelimit_ok(&in->rt->rl_tx))
		log_vip_err(LOG_WARNING, r, in->name, "cannot announce %s on %s",
		    sockaddr_x_fmt_addr(&in->own_addr, a, sizeof(a)), in->own_if);
	if (in->garp_left > 0)
		in->garp_left--;
	if (in->garp_left > 0)
		next = loop_now_ms() + v->garp.interval_ms;
	else if (v->garp.refresh_ms > 0)
		next = loop_now_ms() + v->garp.refresh_ms;
	else
		next = ELECT_NEVER;
	elect_timer_at(in->garp_timer, next);
}

/* ------------------------------------------------------------ subscribers */

int
election_subscribe(struct election_rt *rt, election_role_fn cb, void *arg)
{
	if (rt->nsubs == MAX_SUBS)
		return -ENOSPC;
	rt->subs[rt->nsubs].cb = cb;
	rt->subs[rt->nsubs].arg = arg;
	rt->nsubs++;
	return 0;
}

void
election_unsubscribe(struct election_rt *rt, election_role_fn cb, void *arg)
{
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->nsubs; i++)
		if (rt->subs[i].cb == cb && rt->subs[i].arg == arg) {
			memmove(&rt->subs[i], &rt->subs[i + 1],
			    (rt->nsubs - i - 1) * sizeof(rt->subs[0]));
			rt->nsubs--;
			return;
		}
}

enum elect_state
election_role(const struct election_rt *rt, const char *vip_name)
{
	const struct inst *in = inst_named(rt, vip_name);

	return in != NULL ? in->m.state : ELECT_INIT;
}

/* The first instance of the VIP named vip_name (NULL: none, or no runtime). */
static const struct inst *
inst_named(const struct election_rt *rt, const char *vip_name)
{
	size_t i;

	if (rt == NULL || vip_name == NULL)
		return NULL;
	for (i = 0; i < rt->ninsts; i++)
		if (strcmp(rt->insts[i]->name, vip_name) == 0)
			return rt->insts[i];
	return NULL;
}

/* ------------------------------------------------------------ life cycle */

int
election_init(struct election_rt *rt, const struct config *c)
{
	struct elect_net_conf nc;
	int r;

	rt->conf = c;
	if (c->election.present && c->election.auth == AUTH_HMAC) {
		r = key_read(c->election.auth_key_file, &rt->key);
		if (r < 0)
			goto fail;
	}
	r = vip_init(track_on_link, rt);
	if (r < 0)
		goto fail;
	rt->vip_open = true;
	net_apply(rt, c);
	if (rt->net == NULL && net_conf_of(rt, c, &nc)) {
		log_warnx("election: cannot talk to the peers; not starting rather than "
			  "claiming every VIP");
		r = -EADDRNOTAVAIL;
		goto fail;
	}
	return 0;
fail:
	return r;
}

int
inst_prev_vrid(const struct inst *in)
{
	return in->prev_vrid != 0 && loop_now_ms() < in->prev_until_ms ? in->prev_vrid : 0;
}

/* Another VIP of this family in `c` takes part in the election with `vrid`. */
static bool
vrid_taken(const struct config *c, int af, int vrid)
{
	size_t i;

	for (i = 0; i < c->nvips; i++)
		if (c->vips[i].vrid == vrid && c->vips[i].addr.af == af &&
		    election_participates(c, &c->vips[i]))
			return true;
	return false;
}

/*
 * The instance that `v` (new in this configuration by name + vrid) was
 * before the reload: the one left unmatched with its name (its vrid
 * changed) or, failing that, with its address (renamed; maybe its vrid
 * changed too).  An address is one VIP's only (conf_validate), so there is
 * at most one.
 */
static struct inst *
inst_handover_find(struct election_rt *rt, const struct vip *v)
{
	size_t i;

	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		if (in != NULL && in->af == v->addr.af && strcmp(in->name, v->name) == 0)
			return in;
	}
	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		if (in != NULL && in->af == v->addr.af &&
		    sockaddr_x_cmp_addr(&in->v->addr, &v->addr) == 0)
			return in;
	}
	return NULL;
}

/*
 * Hand the instance over to its VIP's new identity, role and timers kept.
 * A changed vrid opens the handover window: for ELECTION_HANDOVER_MS we
 * advertise under both vrids and accept adverts under both, so that peers
 * reloaded before or after us keep hearing us and we them.  Returns true
 * when the name changed (the subscribers hear of the VIP's role under its
 * new name once it is reconfigured: inst_handover_done).
 */
static bool
inst_handover(struct inst *in, const struct config *c, const struct vip *v)
{
	const char *role = elect_state_str(in->m.state);
	bool renamed = strcmp(in->name, v->name) != 0;

	if (renamed) {
		log_vip(LOG_NOTICE, v->name, "renamed from %s: role %s kept", in->name, role);
		free(in->name);
		in->name = xstrdup(v->name);
	}
	if (in->vrid != v->vrid) {
		if (vrid_taken(c, in->af, in->vrid)) {
			log_vip(LOG_NOTICE, v->name,
			    "vrid %d -> %d: role %s kept; vrid %d now belongs to another VIP, so "
			    "peers still on it no longer hear this one",
			    in->vrid, v->vrid, role, in->vrid);
			in->prev_vrid = 0;
		} else {
			log_vip(LOG_NOTICE, v->name,
			    "vrid %d -> %d: role %s kept; adverts go out and are accepted under both "
			    "for %d s: reload the peers within that time",
			    in->vrid, v->vrid, role, ELECTION_HANDOVER_MS / 1000);
			in->prev_vrid = in->vrid;
			in->prev_until_ms = loop_now_ms() + ELECTION_HANDOVER_MS;
		}
		in->vrid = v->vrid;
	}
	return renamed;
}

/* After the reconfiguration of a renamed instance: a MASTER advertises at
 * once under its new identity, and the subscribers (cloud addresses) hear
 * that the VIP, new to them under this name, is MASTER here. */
static void
inst_handover_done(struct inst *in)
{
	struct election_rt *rt = in->rt;
	size_t i;

	if (in->m.state != ELECT_MASTER)
		return;
	advert_send(in, elect_priority(&in->m));
	for (i = 0; i < rt->nsubs; i++)
		rt->subs[i].cb(rt->subs[i].arg, in->v, ELECT_BACKUP, ELECT_MASTER);
}

void
election_apply(struct election_rt *rt, const struct config *old_conf, const struct config *new_conf)
{
	struct inst **keep, **fresh, *in;
	size_t nkeep = 0, nfresh = 0, i, j;
	bool *renamed, *matched;
	struct elect_key k;
	struct elect_event ev;
	struct elect_conf ec;
	struct elect_out o;
	bool moved;

	(void)old_conf;
	rt->conf = new_conf;
	if (new_conf->election.present && rt->vip_open)
		sched_raise_priority();
	if (new_conf->election.present && new_conf->election.auth == AUTH_HMAC) {
		if (key_read(new_conf->election.auth_key_file, &k) == 0) {
			key_free(&rt->key);
			rt->key = k;
		} else if (rt->key.bytes != NULL) {
			log_warnx("election: keeping the previous key");
		}
	} else {
		key_free(&rt->key);
	}
	if (rt->vip_open)
		net_apply(rt, new_conf);
	share_peers_apply(rt, new_conf);

	keep = xcalloc(new_conf->nvips + 1, sizeof(*keep));
	fresh = xcalloc(new_conf->nvips + 1, sizeof(*fresh));
	renamed = xcalloc(new_conf->nvips + 1, sizeof(*renamed));
	matched = xcalloc(new_conf->nvips + 1, sizeof(*matched));
	for (i = 0; i < new_conf->nvips; i++) {
		const struct vip *v = &new_conf->vips[i];

		if (!election_participates(new_conf, v))
			continue;
		in = inst_find(rt, v->name, v->vrid, v->addr.af);
		if (in == NULL)
			continue; /* matched below, by handover, or new */
		matched[i] = true;
		/* detach from the old list so that what is left there goes */
		for (j = 0; j < rt->ninsts; j++)
			if (rt->insts[j] == in)
				rt->insts[j] = NULL;
		keep[nkeep++] = in;
	}
	/* Second pass, once every exact match has taken its instance: a VIP whose
	 * vrid or name changed takes over the instance of its former identity
	 * (handover: same role, same address, no restart in BACKUP). */
	for (i = 0; i < new_conf->nvips; i++) {
		const struct vip *v = &new_conf->vips[i];

		if (!election_participates(new_conf, v) || matched[i])
			continue;
		in = inst_handover_find(rt, v);
		if (in == NULL) {
			fresh[nfresh++] = inst_new(rt, new_conf, v);
			continue;
		}
		for (j = 0; j < rt->ninsts; j++)
			if (rt->insts[j] == in)
				rt->insts[j] = NULL;
		renamed[nkeep] = inst_handover(in, new_conf, v);
		keep[nkeep++] = in;
	}
	/* gone from the configuration, or no longer ours: leave as at stop */
	for (j = 0; j < rt->ninsts; j++) {
		in = rt->insts[j];
		if (in == NULL)
			continue;
		log_vip(LOG_NOTICE, in->name, "no longer served by this router");
		memset(&ev, 0, sizeof(ev));
		ev.type = ELECT_EV_SHUTDOWN;
		inst_feed(in, &ev);
		inst_free(in);
	}
	free(rt->insts);
	rt->insts = xcalloc(nkeep + nfresh + 1, sizeof(*rt->insts));
	rt->ninsts = 0;

	for (i = 0; i < nkeep; i++) {
		const struct vip *v;

		in = keep[i];
		rt->insts[rt->ninsts++] = in;
		v = config_find_vip(new_conf, in->name);
		moved = in->owns && (!v->manage_address || v->interface == NULL ||
					strcmp(in->own_if, v->interface) != 0 ||
					sockaddr_x_cmp_addr(&in->own_addr, &v->addr) != 0);
		if (moved)
			inst_release(in, false);
		in->v = v;
		elect_config_hash(new_conf, v, in->hash);
		inst_peers(in, new_conf);
		election_conf_of(new_conf, v, &ec);
		if (in->prev_vrid != 0 && vrid_taken(new_conf, in->af, in->prev_vrid))
			in->prev_vrid = 0; /* given to another VIP: the window ends */
		elect_reconfigure(&in->m, &ec, loop_now_ms(), &o);
		inst_act(in, &o);
		if (renamed[i])
			inst_handover_done(in);
		if (moved && in->m.state == ELECT_MASTER && !in->owns) {
			char a[SOCKADDR_X_STRLEN];
			int r = inst_take(in);

			sockaddr_x_fmt_addr(&v->addr, a, sizeof(a));
			if (r < 0)
				log_vip_err(LOG_WARNING, r, in->name, "cannot add %s to %s", a,
				    v->interface);
			else if (r == 0)
				log_vip(LOG_INFO, in->name, "%s moved to %s", a, v->interface);
			if (r < 0)
				inst_take_result(in, r);
		}
		track_link_refresh(in);
		track_update(in, false);
	}
	for (i = 0; i < nfresh; i++) {
		in = fresh[i];
		rt->insts[rt->ninsts++] = in;
		track_link_refresh(in);
		track_update(in, true);
		memset(&ev, 0, sizeof(ev));
		ev.type = ELECT_EV_START;
		inst_feed(in, &ev);
	}
	free(keep);
	free(fresh);
	free(renamed);
	free(matched);
	ann_sync(rt); /* routes of VIPs gone, moved or in another table */
}

void
election_stop(struct election_rt *rt)
{
	struct elect_event ev;
	size_t i;

	if (rt == NULL)
		return;
	election_withdraw_all(rt); /* the routes first, while the addresses still serve */
	memset(&ev, 0, sizeof(ev));
	ev.type = ELECT_EV_SHUTDOWN;
	for (i = 0; i < rt->ninsts; i++)
		inst_feed(rt->insts[i], &ev);
	notify_drain(rt);
	for (i = 0; i < rt->ninsts; i++)
		inst_free(rt->insts[i]);
	free(rt->insts);
	elect_net_close(rt->net);
	share_stop(rt);
	if (rt->vip_open)
		vip_fini();
	key_free(&rt->key);
	if (rt->schedstat_fd >= 0)
		close(rt->schedstat_fd);
	track_free(rt);
	ann_free(rt);
	free(rt);
}

int
election_withdraw_all(struct election_rt *rt)
{
	if (rt == NULL || rt->ann_stopping)
		return 0;
	rt->ann_stopping = true;
	return ann_sync(rt);
}

int
election_drain_router(struct election_rt *rt, bool on)
{
	size_t i;
	int n = 0;

	if (rt == NULL)
		return 0;
	rt->ann_drained = on;
	ann_sync(rt);
	for (i = 0; i < rt->ninsts; i++)
		n += rt->insts[i]->v->announce == ANNOUNCE_BGP;
	return n;
}

void
election_ipvs_state(struct election_rt *rt, bool available)
{
	if (rt == NULL || rt->ann_ipvs == (int)available)
		return;
	rt->ann_ipvs = available;
	ann_sync(rt);
}

bool
election_router_drained(const struct election_rt *rt)
{
	return rt != NULL && rt->ann_drained;
}

int
election_bgp_state(const struct election_rt *rt, const char *vip_name, char *why, size_t len)
{
	size_t i;

	for (i = 0; rt != NULL && vip_name != NULL && i < rt->ninsts; i++) {
		const struct inst *in = rt->insts[i];

		if (strcmp(in->name, vip_name) != 0 || in->v->announce != ANNOUNCE_BGP)
			continue;
		if (ann_announced(in)) {
			snprintf(why, len, "announced");
			return 1;
		}
		if (in->ann_want)
			snprintf(why, len, "withdrawn: the route could not be added (retrying every "
					   "second; see the log)");
		else
			snprintf(why, len, "%s", in->ann_why[0] ? in->ann_why : "withdrawn");
		return 0;
	}
	return -1;
}

void
election_metrics(const struct election_rt *rt, struct tbuf *b)
{
	size_t i;

	if (rt == NULL)
		return;
	metrics_family(b, "ipvsr_vip_transitions_total", METRIC_COUNTER,
	    "Role changes of this router for each VIP.");
	for (i = 0; i < rt->ninsts; i++)
		metrics_sample_u64(b, "ipvsr_vip_transitions_total",
		    (const char *[]){"vip", rt->insts[i]->name, NULL}, rt->insts[i]->transitions);
	metrics_family(b, "ipvsr_vip_reasserts_total", METRIC_COUNTER,
	    "Times another router claimed a VIP this router is MASTER of (answered by an "
	    "advert and a new announcement).");
	for (i = 0; i < rt->ninsts; i++)
		metrics_sample_u64(b, "ipvsr_vip_reasserts_total",
		    (const char *[]){"vip", rt->insts[i]->name, NULL}, rt->insts[i]->reasserts);
	metrics_family(b, "ipvsr_vip_announced", METRIC_GAUGE,
	    "announce = bgp VIPs: 1 while this router's route for the VIP is in bgp.table "
	    "(BIRD exports it), 0 when withdrawn (the log and status say why).");
	for (i = 0; i < rt->ninsts; i++)
		if (rt->insts[i]->v->announce == ANNOUNCE_BGP)
			metrics_sample(b, "ipvsr_vip_announced",
			    (const char *[]){"vip", rt->insts[i]->name, NULL},
			    ann_announced(rt->insts[i]) ? 1 : 0);
	metrics_family(b, "ipvsr_advert_late_max_seconds", METRIC_GAUGE,
	    "The most an advert of a MASTER went out later than due, counting only adverts "
	    "more than one interval late, since the start (0: none).");
	metrics_sample(b, "ipvsr_advert_late_max_seconds", NULL, (double)rt->late_max_ms / 1000.);
	metrics_family(b, "ipvsr_advert_loop_held_max_seconds", METRIC_GAUGE,
	    "Of such lateness, the most that was not this process waiting for a CPU "
	    "(/proc/self/schedstat): the event loop held by other work, since the start.");
	metrics_sample(b, "ipvsr_advert_loop_held_max_seconds", NULL, (double)rt->held_max_ms / 1000.);
}

int64_t
election_last_heard_ms(const struct election_rt *rt, const char *vip_name)
{
	const struct inst *in = inst_named(rt, vip_name);

	return in != NULL ? in->m.last_advert_ms : -1;
}

bool
election_preempted(const struct election_rt *rt, const char *vip_name)
{
	const struct inst *in = inst_named(rt, vip_name);

	return in != NULL && in->m.state == ELECT_MASTER && in->m.preempted;
}

bool
election_explain(const struct election_rt *rt, const char *vip_name, struct explain_vip *out)
{
	const struct inst *in = NULL;
	const struct elect *m;
	size_t i;
	int n = 0;

	for (i = 0; rt != NULL && vip_name != NULL && i < rt->ninsts; i++)
		if (strcmp(rt->insts[i]->name, vip_name) == 0)
			in = rt->insts[i];
	if (in == NULL)
		return false;
	m = &in->m;
	out->election = true;
	snprintf(out->role, sizeof(out->role), "%s", elect_state_str(m->state));
	out->base_priority = m->conf.priority;
	out->priority = m->conf.priority - m->decrement;
	if (out->priority < 1 && m->conf.priority > 0)
		out->priority = 1;
	out->heard_ago_ms = m->last_advert_ms >= 0 ? loop_now_ms() - m->last_advert_ms : -1;
	out->settling = m->settling;
	if (m->state == ELECT_BACKUP && m->master.af != 0) {
		char a[SOCKADDR_X_STRLEN];
		const char *name = NULL;

		sockaddr_x_fmt_addr(&m->master, a, sizeof(a));
		for (i = 0; i < in->npeers; i++)
			if (sockaddr_x_cmp_addr(&in->peers[i].addr, &m->master) == 0)
				name = in->peers[i].name;
		if (name != NULL)
			snprintf(out->master, sizeof(out->master), "%s (%s)", name, a);
		else
			snprintf(out->master, sizeof(out->master), "%s", a);
		out->master_priority = m->master_priority;
	}
	if (m->state == ELECT_FAULT) {
		if (in->link_down)
			n += snprintf(out->fault + n, sizeof(out->fault) - (size_t)n,
			    "interface %s down; ", in->v->interface ? in->v->interface : "?");
		if (m->take_fault && n < (int)sizeof(out->fault))
			n += snprintf(out->fault + n, sizeof(out->fault) - (size_t)n,
			    "the VIP's address could not be added; ");
		if (in->fault && n < (int)sizeof(out->fault))
			n += snprintf(out->fault + n, sizeof(out->fault) - (size_t)n,
			    "a tracked pool is below min_servers; ");
		if (n > 2 && n < (int)sizeof(out->fault))
			out->fault[n - 2] = '\0';
	}
	return true;
}
