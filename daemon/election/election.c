/*
 * election.c - one election instance per VIP, wired to the network, the
 * VIP addresses, subscribers and the notify command.
 *
 * The state machine (elect.c) decides; this file only carries out its
 * actions and feeds it events: adverts (verified by elect_proto.c), its
 * deadlines (elect_net.c timers), tracking (vip.c link events and
 * election_pool_health).  Runtime state is kept per instance and matched by
 * identity on reload, like the rest of the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "elect.h"
#include "elect_net.h"
#include "elect_proto.h"
#include "election.h"
#include "metrics.h"
#include "log.h"
#include "loop.h"
#include "vip.h"

extern char **environ;

#define MAX_SUBS	     8
#define NOTIFY_PENDING_MAX   64	  /* queued, per daemon */
#define NOTIFY_KILL_GRACE_MS 1000 /* TERM, then KILL this much later */
#define NOTIFY_ARGV_MAX	     (CHECK_ARGV_MAX + 3)
#define ELECTION_NICE	     (-10) /* see raise_priority() */

struct peer_rt {
	char *name;
	struct sockaddr_x addr; /* where our adverts go, where theirs come from */
	struct sockaddr_x src;	/* our source address towards it */
	bool src_ok;
	uint64_t last_counter; /* replay history (authenticated mode) */
	uint8_t hash[ELECT_HASH_LEN];
	bool hash_seen;	   /* hash[] holds the last one it sent */
	bool hash_differs; /* and it differs from ours (logged once) */
};

struct inst {
	struct election_rt *rt;
	char *name; /* identity: VIP name, vrid, family */
	int vrid, af;
	const struct vip *v; /* in rt->conf */
	struct elect m;
	struct elect_timer *timer;
	struct elect_timer *garp_timer;
	int garp_left; /* announcements still due for this takeover */
	unsigned long transitions; /* role changes (metrics) */
	unsigned long reasserts;   /* rival claims answered while MASTER */
	bool owns;     /* we put own_addr on own_if */
	char *own_if;
	struct sockaddr_x own_addr;
	bool link_down;
	int64_t last_ms; /* the last time fed to the machine */
	bool fault;	 /* last tracking fed to the machine */
	int decrement;
	uint8_t hash[ELECT_HASH_LEN];
	struct peer_rt *peers;
	size_t npeers;
};

struct sub {
	election_role_fn cb;
	void *arg;
};

struct notify_job {
	struct notify_job *next;
	struct election_rt *rt;
	char *vip;
	char *argv[NOTIFY_ARGV_MAX + 1];
	int timeout_ms;
	pid_t pid;
	bool running; /* false: pending (counted in npending) */
	bool term_sent, kill_sent;
	int64_t started_ms;
	ev_child child;
	ev_timer timer;
};

struct election_rt {
	const struct config *conf;
	struct inst **insts;
	size_t ninsts;
	struct elect_net *net;
	struct elect_key key;
	bool vip_open;
	uint64_t counter; /* last authenticated counter sent */
	char **pools_down;
	size_t npools_down;
	struct sub subs[MAX_SUBS];
	size_t nsubs;
	struct notify_job *jobs; /* FIFO */
	size_t npending;
	/* per reason, so that a flood of one kind cannot hide another */
	struct log_ratelimit rl_rx[ELECT_PKT_STALE + 2];
	struct log_ratelimit rl_tx, rl_notify, rl_late;
	int64_t run_delay_ms; /* at the last advert timer, -1: unknown */
	int schedstat_fd;     /* -1: not open yet, -2: unavailable */
};

static void raise_priority(void);
static void set_autogroup_nice(void);
static int key_read(const char *path, struct elect_key *out);
static void key_free(struct elect_key *k);
static const struct elect_key *key_of(const struct election_rt *rt);

static const struct peer *self_peer(const struct config *c);
static bool participates(const struct config *c, const struct vip *v);
static void conf_of(const struct config *c, const struct vip *v, struct elect_conf *ec);
static bool net_conf_of(
    const struct election_rt *rt, const struct config *c, struct elect_net_conf *nc);
static void net_apply(struct election_rt *rt, const struct config *c);

static struct inst *inst_new(struct election_rt *rt, const struct config *c, const struct vip *v);
static void inst_free(struct inst *in);
static struct inst *inst_find(struct election_rt *rt, const char *name, int vrid, int af);
static void inst_peers(struct inst *in, const struct config *c);
static void inst_sources(struct inst *in);
static void inst_feed(struct inst *in, const struct elect_event *ev);
static void inst_feed_at(struct inst *in, const struct elect_event *ev, int64_t at);
static void inst_act(struct inst *in, const struct elect_out *o);
static void inst_timer_cb(void *arg);
static int64_t run_delay_ms(struct election_rt *rt);
static void inst_track(struct inst *in, bool force);
static void inst_link_refresh(struct inst *in);

static void send_adverts(struct inst *in, int prio);
static int take(struct inst *in);
static void release(struct inst *in, bool quiet);
static bool addr_used_elsewhere(
    const struct inst *in, const char *ifname, const struct sockaddr_x *a);
static void garp_cb(void *arg);

static void on_rx(void *arg, const struct elect_rx *rx);
static struct log_ratelimit *rl_for(struct election_rt *rt, int reason);
static void on_link(void *arg, const char *ifname, bool up);
static bool pool_down(const struct election_rt *rt, const char *pool);

static void notify_queue(
    struct election_rt *rt, const struct config *c, const char *vip, const char *state);
static void notify_pump(struct election_rt *rt);
static int notify_spawn(struct notify_job *j);
static void notify_finish(struct notify_job *j, int status);
static void notify_child_cb(struct ev_loop *l, ev_child *w, int revents);
static void notify_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static void notify_drain(struct election_rt *rt);
static void notify_unlink_free(struct notify_job *j);
static const char *job_state(const struct notify_job *j);
static void hex8(const uint8_t h[ELECT_HASH_LEN], char out[2 * ELECT_HASH_LEN + 1]);

/* ------------------------------------------------------------ key */

/*
 * The key is the file's bytes, less one trailing newline (so that `echo
 * secret >file` and `printf secret >file` agree), ELECT_KEY_MIN..MAX long.
 * A key readable by everyone is no secret: refused, like ssh refuses keys.
 */
static int
key_read(const char *path, struct elect_key *out)
{
	uint8_t buf[ELECT_KEY_MAX + 3];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, err;

	out->bytes = NULL;
	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		log_warnc(err, "election.auth_key_file %s: cannot open", path);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warnx("election.auth_key_file %s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		log_warnx("election.auth_key_file %s: is world-%s (mode %04o): the key would "
			  "be no secret; chmod o-rw %s",
		    path, st.st_mode & S_IROTH ? "readable" : "writable",
		    (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	for (;;) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("election.auth_key_file %s: cannot read", path);
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
		log_warnx("election.auth_key_file %s: the key must be %d to %d bytes, not %s%zu "
			  "(e.g. openssl rand -out %s 32)",
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

static const struct elect_key *
key_of(const struct election_rt *rt)
{
	if (rt->conf == NULL || rt->conf->election.auth != AUTH_HMAC || rt->key.bytes == NULL)
		return NULL;
	return &rt->key;
}

int
election_check(const struct config *c)
{
	struct elect_key k;
	int r;

	if (!c->election.present || c->election.auth != AUTH_HMAC ||
	    c->election.auth_key_file == NULL)
		return 0;
	r = key_read(c->election.auth_key_file, &k);
	key_free(&k);
	return r;
}

/* ------------------------------------------------------------ config mapping */

/*
 * A backup declares the master dead after 3 advert intervals plus a skew:
 * 180 ms at 50 ms adverts.  At the default nice level, on a machine whose
 * cores are all busy, the scheduler can keep a daemon off the CPU for longer
 * than that, and a healthy master loses its VIP (tests/integration/
 * election-load: 50 ms adverts, two CPU hogs per core, failed without this).
 * Nice -10 (weight 9548 against 1024), for the process and for its
 * autogroup (see set_autogroup_nice), lets the loop run promptly when it
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
static void
set_autogroup_nice(void)
{
	char buf[64];
	int fd, n, cur = 0;
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
		if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, buf, (size_t)n) != n)
			log_debug("election: autogroup nice unchanged (needs CAP_SYS_NICE)");
	}
	close(fd);
}

static void
raise_priority(void)
{
	int cur;

	set_autogroup_nice();
	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if ((cur == -1 && errno != 0) || cur <= ELECTION_NICE)
		return;
	if (setpriority(PRIO_PROCESS, 0, ELECTION_NICE) == 0)
		log_info("election: scheduling priority raised to nice %d (was %d), so that "
			 "adverts stay on time under CPU load",
		    ELECTION_NICE, cur);
	else
		log_notice("election: cannot raise the scheduling priority (needs CAP_SYS_NICE); "
			   "under heavy CPU load adverts may be late: consider Nice=%d",
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
	rt->run_delay_ms = -1;
	rt->schedstat_fd = -1;
	return rt;
}

static const struct peer *
self_peer(const struct config *c)
{
	if (!c->election.present || c->router.name == NULL)
		return NULL;
	return config_find_peer(c, c->router.name);
}

static bool
participates(const struct config *c, const struct vip *v)
{
	if (!c->election.present)
		return true;
	return c->router.name != NULL && vip_priority(v, c->router.name) > 0;
}

static void
conf_of(const struct config *c, const struct vip *v, struct elect_conf *ec)
{
	const struct peer *self = self_peer(c);
	int prio = c->router.name != NULL ? vip_priority(v, c->router.name) : 0;

	memset(ec, 0, sizeof(*ec));
	ec->priority = prio > 0 ? prio : 100;
	ec->advert_interval_ms = v->advert_interval_ms > 0 ? v->advert_interval_ms : 100;
	ec->preempt = v->preempt != 0;
	ec->preempt_delay_ms = v->preempt_delay_ms > 0 ? v->preempt_delay_ms : 0;
	ec->standalone = !c->election.present;
	if (self != NULL)
		ec->self = self->addr;
	ec->self.port = 0;
}

/* The sockets this configuration needs; false when none (standalone, alone). */
static bool
net_conf_of(const struct election_rt *rt, const struct config *c, struct elect_net_conf *nc)
{
	const struct peer *self = self_peer(c);
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
	if (elect_net_open(&nc, on_rx, rt, &n) < 0) {
		log_warnx("election: keeping the previous advert sockets");
		return;
	}
	elect_net_close(rt->net);
	rt->net = n;
	log_info("election: advert sockets open (IPv4 %s, IPv6 %s, interface %s)",
	    nc.v4 ? "yes" : "no", nc.v6 ? "yes" : "no", nc.ifname ? nc.ifname : "any");
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
	const struct peer *self = self_peer(c);
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
				np[n].last_counter = in->peers[j].last_counter;
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
			log_warnc(r, "vip %s: peer %s (%s): no source address to reach it",
			    in->name, p->name, sockaddr_x_fmt_addr(&p->addr, a, sizeof(a)));
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
	conf_of(c, v, &ec);
	elect_init(&in->m, &ec);
	in->timer = elect_timer_new(inst_timer_cb, in);
	in->garp_timer = elect_timer_new(garp_cb, in);
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

static void
inst_feed(struct inst *in, const struct elect_event *ev)
{
	inst_feed_at(in, ev, loop_now_ms());
}

/* The machine wants a time that never goes back: an earlier arrival counts as the last time fed. */
static void
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

	inst_feed(in, &ev);
	/*
	 * An advert more than an interval late eats into the peers' master-down
	 * margin; say so, and whether the CPU or the loop was the cause.
	 */
	if (master && late > in->m.conf.advert_interval_ms && log_ratelimit_ok(&in->rt->rl_late)) {
		int64_t rd = run_delay_ms(in->rt);

		if (rd >= 0 && in->rt->run_delay_ms >= 0)
			snprintf(why, sizeof(why), "%lld ms of it waiting for a CPU",
			    (long long)(rd - in->rt->run_delay_ms));
		else
			snprintf(why, sizeof(why), "no scheduler statistics");
		log_warnx("vip %s: advert sent %lld ms late (%s)", in->name, (long long)late, why);
	}
	if (in->m.state == ELECT_MASTER)
		in->rt->run_delay_ms = run_delay_ms(in->rt);
}

/*
 * Time this process spent runnable but not running, from
 * /proc/self/schedstat (kept open: one pread per advert); -1: unknown.
 */
static int64_t
run_delay_ms(struct election_rt *rt)
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
		send_adverts(in, o->advert_priority);
	if (o->actions & ELECT_ACT_TAKE)
		took = take(in);
	if ((o->actions & ELECT_ACT_ANNOUNCE) && in->v->garp.enabled) {
		/* a rival claimed the VIP: point the neighbours back at us */
		in->garp_left = in->v->garp.count;
		garp_cb(in);
		log_notice("vip %s: another router claimed it while we are MASTER; advertised "
		    "and announced the address again", in->name);
	}
	if (o->actions & ELECT_ACT_ANNOUNCE)
		in->reasserts++;
	if (o->to != o->from) {
		in->transitions++;
		log_notice("vip %s: %s -> %s (%s)", in->name, elect_state_str(o->from),
		    elect_state_str(o->to), o->reason);
	}
	if (took <= 0) {
		sockaddr_x_fmt_addr(&in->v->addr, a, sizeof(a));
		if (took < 0)
			log_warnc(
			    took, "vip %s: cannot add %s to %s", in->name, a, in->v->interface);
		else
			log_info("vip %s: %s added to %s", in->name, a, in->v->interface);
	}
	if (o->actions & ELECT_ACT_RELEASE)
		release(in, o->from == ELECT_INIT);
	if (o->to != o->from) {
		for (i = 0; i < rt->nsubs; i++)
			rt->subs[i].cb(rt->subs[i].arg, in->v, o->from, o->to);
		notify_queue(
		    rt, rt->conf, in->name, o->to == ELECT_INIT ? "STOP" : elect_state_str(o->to));
	}
	elect_timer_at(in->timer, elect_deadline(&in->m));
}

/* Tracking: the VIP's interface, and its pools against min_servers. */
static void
inst_track(struct inst *in, bool force)
{
	const struct config *c = in->rt->conf;
	const struct vip *v = in->v;
	struct elect_event ev = {.type = ELECT_EV_TRACK};
	char why[160] = "";
	size_t i;
	int n = 0;

	if (c->election.track_interface && in->link_down) {
		ev.fault = true;
		n +=
		    snprintf(why + n, sizeof(why) - (size_t)n, "interface %s down; ", v->interface);
	}
	for (i = 0; i < v->nservices && n < (int)sizeof(why) - 1; i++) {
		const char *p = v->services[i].pool_name;

		if (p == NULL || !pool_down(in->rt, p) || v->on_pool_failure == TRACK_IGNORE)
			continue;
		if (strstr(why, p) == NULL)
			n += snprintf(
			    why + n, sizeof(why) - (size_t)n, "pool %s below min_servers; ", p);
		if (v->on_pool_failure == TRACK_FAULT)
			ev.fault = true;
		else
			ev.decrement = v->priority_decrement;
	}
	if (!force && ev.fault == in->fault && ev.decrement == in->decrement)
		return;
	if (ev.fault != in->fault || ev.decrement != in->decrement) {
		if (n > 2)
			why[n - 2] = '\0';
		if (ev.fault)
			log_warnx("vip %s: tracking: %s: giving the VIP up", in->name, why);
		else if (ev.decrement > 0)
			log_warnx("vip %s: tracking: %s: advertising priority %d - %d", in->name,
			    why, in->m.conf.priority, ev.decrement);
		else if (in->fault || in->decrement > 0)
			log_notice("vip %s: tracking: all good again", in->name);
	}
	in->fault = ev.fault;
	in->decrement = ev.decrement;
	inst_feed(in, &ev);
}

static void
inst_link_refresh(struct inst *in)
{
	int r;

	if (in->v->interface == NULL) {
		in->link_down = false;
		return;
	}
	r = vip_link_up(in->v->interface);
	in->link_down = r != 1;
}

/* ------------------------------------------------------------ actions */

static void
send_adverts(struct inst *in, int prio)
{
	struct election_rt *rt = in->rt;
	const struct elect_key *key = key_of(rt);
	struct elect_advert a;
	char d[SOCKADDR_X_STRLEN];
	uint8_t buf[ELECT_PKT_MAX];
	size_t i;
	int n, r;

	if (rt->net == NULL || in->npeers == 0)
		return;
	memset(&a, 0, sizeof(a));
	a.vrid = in->vrid;
	a.priority = prio;
	a.interval_ms = in->m.conf.advert_interval_ms;
	a.af = in->v->addr.af;
	a.naddrs = 1;
	a.addrs[0] = in->v->addr;
	a.addrs[0].port = 0;
	memcpy(a.config_hash, in->hash, ELECT_HASH_LEN);
	for (i = 0; i < in->npeers; i++) {
		struct peer_rt *p = &in->peers[i];

		if (!p->src_ok)
			continue;
		if (key != NULL)
			a.counter = elect_counter_next(&rt->counter, elect_wallclock_us());
		n = elect_encode(&a, &p->src, &p->addr, key, buf, sizeof(buf));
		r = n < 0 ? n : elect_net_send(rt->net, &p->addr, buf, (size_t)n);
		if (r < 0 && log_ratelimit_ok(&rt->rl_tx))
			log_warnc(r, "vip %s: advert to %s (%s)", in->name, p->name,
			    sockaddr_x_fmt_addr(&p->addr, d, sizeof(d)));
	}
}

static bool
addr_used_elsewhere(const struct inst *in, const char *ifname, const struct sockaddr_x *a)
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
take(struct inst *in)
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
		garp_cb(in);
	}
	return 0;
}

static void
release(struct inst *in, bool quiet)
{
	const struct vip *v = in->v;
	char a[SOCKADDR_X_STRLEN];
	int r;

	elect_timer_at(in->garp_timer, ELECT_NEVER);
	in->garp_left = 0;
	if (in->owns) {
		sockaddr_x_fmt_addr(&in->own_addr, a, sizeof(a));
		if (addr_used_elsewhere(in, in->own_if, &in->own_addr)) {
			log_info("vip %s: %s stays on %s (another VIP owns it)", in->name, a,
			    in->own_if);
		} else {
			r = vip_addr_del(in->own_if, &in->own_addr);
			if (r < 0)
				log_warnc(
				    r, "vip %s: cannot remove %s from %s", in->name, a, in->own_if);
			else
				log_info("vip %s: %s removed from %s", in->name, a, in->own_if);
		}
		in->owns = false;
		return;
	}
	/* leaving INIT: an address a crashed predecessor left behind goes too */
	if (quiet && v->manage_address && v->interface != NULL &&
	    !addr_used_elsewhere(in, v->interface, &v->addr)) {
		r = vip_addr_del(v->interface, &v->addr);
		if (r < 0 && r != -ENODEV)
			log_warnc(r, "vip %s: cannot remove a stale %s from %s", in->name,
			    sockaddr_x_fmt_addr(&v->addr, a, sizeof(a)), v->interface);
	}
}

/* Gratuitous ARP / NA: garp.count on takeover, then every refresh_ms. */
static void
garp_cb(void *arg)
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
		log_warnc(r, "vip %s: cannot announce %s on %s", in->name,
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

/* ------------------------------------------------------------ input */

#define RL_OTHER (ELECT_PKT_STALE + 1) /* not a peer, not our VIP, other addresses */

static struct log_ratelimit *
rl_for(struct election_rt *rt, int reason)
{
	if (reason < 0 || (size_t)reason >= ARRAY_SIZE(rt->rl_rx))
		reason = RL_OTHER;
	return &rt->rl_rx[reason];
}

static void
on_rx(void *arg, const struct elect_rx *rx)
{
	struct election_rt *rt = arg;
	const struct config *c = rt->conf;
	const struct peer *self = self_peer(c);
	const struct elect_key *key = key_of(rt);
	struct elect_event ev;
	struct elect_advert adv;
	struct peer_rt *p = NULL;
	struct inst *in = NULL;
	char s[SOCKADDR_X_STRLEN], x[SOCKADDR_X_STRLEN];
	size_t i;
	int r;

	sockaddr_x_fmt_addr(&rx->src, s, sizeof(s));
	if (self != NULL && sockaddr_x_cmp_addr(&rx->src, &self->addr) == 0)
		return;
	r = elect_decode(rx->payload, rx->len, &rx->src, &rx->dst, rx->ttl,
	    c->election.ttl_check != 0, key, &adv);
	if (r != ELECT_PKT_OK) {
		if (log_ratelimit_ok(rl_for(rt, r)))
			log_warnx("election: advert from %s dropped: %s", s, elect_pkt_strerror(r));
		return;
	}
	for (i = 0; i < rt->ninsts && in == NULL; i++)
		if (rt->insts[i]->vrid == adv.vrid && rt->insts[i]->af == adv.af)
			in = rt->insts[i];
	if (in == NULL) {
		if (log_ratelimit_ok(rl_for(rt, RL_OTHER)))
			log_info("election: advert from %s for IPv%c vrid %d dropped: not a VIP "
				 "this router serves",
			    s, adv.af == AF_INET6 ? '6' : '4', adv.vrid);
		return;
	}
	for (i = 0; i < in->npeers && p == NULL; i++)
		if (sockaddr_x_cmp_addr(&in->peers[i].addr, &rx->src) == 0)
			p = &in->peers[i];
	if (p == NULL) {
		if (log_ratelimit_ok(rl_for(rt, RL_OTHER)))
			log_warnx(
			    "vip %s: advert from %s dropped: not a peer of this VIP", in->name, s);
		return;
	}
	if (key != NULL) {
		uint64_t last = p->last_counter, now = elect_wallclock_us();

		r = elect_replay_check(&p->last_counter, adv.counter, now);
		if (r != ELECT_PKT_OK) {
			if (log_ratelimit_ok(rl_for(rt, r)))
				log_warnx("vip %s: advert from %s (%s) dropped: %s, %.3f s behind "
					  "%s",
				    in->name, p->name, s, elect_pkt_strerror(r),
				    r == ELECT_PKT_REPLAY ? (double)(last - adv.counter) / 1e6
							  : (double)(now - adv.counter) / 1e6,
				    r == ELECT_PKT_REPLAY ? "the last one accepted" : "our clock");
			return;
		}
		if (memcmp(adv.config_hash, in->hash, ELECT_HASH_LEN) != 0) {
			char theirs[2 * ELECT_HASH_LEN + 1], ours[2 * ELECT_HASH_LEN + 1];

			if (!p->hash_differs || !p->hash_seen ||
			    memcmp(adv.config_hash, p->hash, ELECT_HASH_LEN) != 0) {
				hex8(adv.config_hash, theirs);
				hex8(in->hash, ours);
				log_warnx("vip %s: peer %s has a different configuration for this "
					  "VIP (hash %s, ours %s): compare the files",
				    in->name, p->name, theirs, ours);
			}
			p->hash_differs = true;
		} else if (p->hash_differs) {
			log_notice(
			    "vip %s: peer %s now has the same configuration", in->name, p->name);
			p->hash_differs = false;
		}
		memcpy(p->hash, adv.config_hash, ELECT_HASH_LEN);
		p->hash_seen = true;
	}
	for (i = 0; i < (size_t)adv.naddrs; i++)
		if (sockaddr_x_cmp_addr(&adv.addrs[i], &in->v->addr) == 0)
			break;
	if (i == (size_t)adv.naddrs && log_ratelimit_ok(rl_for(rt, RL_OTHER)))
		log_warnx("vip %s: peer %s advertises vrid %d with %s, not %s: configurations "
			  "differ",
		    in->name, p->name, adv.vrid, sockaddr_x_fmt_addr(&adv.addrs[0], x, sizeof(x)),
		    sockaddr_x_fmt_addr(&in->v->addr, s, sizeof(s)));

	memset(&ev, 0, sizeof(ev));
	ev.type = ELECT_EV_ADVERT;
	ev.from = rx->src;
	ev.from.port = 0;
	ev.priority = adv.priority;
	ev.interval_ms = adv.interval_ms;
	/* from its arrival, not from when the loop got to it */
	inst_feed_at(in, &ev, rx->at_ms >= 0 ? rx->at_ms : loop_now_ms());
}

static void
hex8(const uint8_t h[ELECT_HASH_LEN], char out[2 * ELECT_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < ELECT_HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[2 * ELECT_HASH_LEN] = '\0';
}

static void
on_link(void *arg, const char *ifname, bool up)
{
	struct election_rt *rt = arg;
	size_t i;

	for (i = 0; i < rt->ninsts; i++) {
		struct inst *in = rt->insts[i];

		if (in->v->interface == NULL)
			continue;
		if (ifname == NULL)
			inst_link_refresh(in);
		else if (strcmp(in->v->interface, ifname) == 0)
			in->link_down = !up;
		else
			continue;
		inst_track(in, false);
	}
}

static bool
pool_down(const struct election_rt *rt, const char *pool)
{
	size_t i;

	for (i = 0; i < rt->npools_down; i++)
		if (strcmp(rt->pools_down[i], pool) == 0)
			return true;
	return false;
}

void
election_pool_health(struct election_rt *rt, const char *pool, bool below_min)
{
	size_t i;

	if (pool == NULL || pool_down(rt, pool) == below_min)
		return;
	if (below_min) {
		rt->pools_down =
		    xreallocarray(rt->pools_down, rt->npools_down + 1, sizeof(*rt->pools_down));
		rt->pools_down[rt->npools_down++] = xstrdup(pool);
	} else {
		for (i = 0; i < rt->npools_down; i++)
			if (strcmp(rt->pools_down[i], pool) == 0)
				break;
		free(rt->pools_down[i]);
		rt->pools_down[i] = rt->pools_down[--rt->npools_down];
	}
	for (i = 0; i < rt->ninsts; i++)
		inst_track(rt->insts[i], false);
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
	size_t i;

	if (rt == NULL || vip_name == NULL)
		return ELECT_INIT;
	for (i = 0; i < rt->ninsts; i++)
		if (strcmp(rt->insts[i]->name, vip_name) == 0)
			return rt->insts[i]->m.state;
	return ELECT_INIT;
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
	r = vip_init(on_link, rt);
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

void
election_apply(struct election_rt *rt, const struct config *old_conf, const struct config *new_conf)
{
	struct inst **keep, **fresh, *in;
	size_t nkeep = 0, nfresh = 0, i, j;
	struct elect_key k;
	struct elect_event ev;
	struct elect_conf ec;
	struct elect_out o;
	bool moved;

	(void)old_conf;
	rt->conf = new_conf;
	if (new_conf->election.present && rt->vip_open)
		raise_priority();
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

	keep = xcalloc(new_conf->nvips + 1, sizeof(*keep));
	fresh = xcalloc(new_conf->nvips + 1, sizeof(*fresh));
	for (i = 0; i < new_conf->nvips; i++) {
		const struct vip *v = &new_conf->vips[i];

		if (!participates(new_conf, v))
			continue;
		in = inst_find(rt, v->name, v->vrid, v->addr.af);
		if (in == NULL) {
			fresh[nfresh++] = inst_new(rt, new_conf, v);
			continue;
		}
		/* detach from the old list so that what is left there goes */
		for (j = 0; j < rt->ninsts; j++)
			if (rt->insts[j] == in)
				rt->insts[j] = NULL;
		keep[nkeep++] = in;
	}
	/* gone from the configuration, or no longer ours: leave as at stop */
	for (j = 0; j < rt->ninsts; j++) {
		in = rt->insts[j];
		if (in == NULL)
			continue;
		log_notice("vip %s: no longer served by this router", in->name);
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
			release(in, false);
		in->v = v;
		elect_config_hash(new_conf, v, in->hash);
		inst_peers(in, new_conf);
		conf_of(new_conf, v, &ec);
		elect_reconfigure(&in->m, &ec, loop_now_ms(), &o);
		inst_act(in, &o);
		if (moved && in->m.state == ELECT_MASTER && !in->owns) {
			char a[SOCKADDR_X_STRLEN];
			int r = take(in);

			sockaddr_x_fmt_addr(&v->addr, a, sizeof(a));
			if (r < 0)
				log_warnc(
				    r, "vip %s: cannot add %s to %s", in->name, a, v->interface);
			else if (r == 0)
				log_info("vip %s: %s moved to %s", in->name, a, v->interface);
		}
		inst_link_refresh(in);
		inst_track(in, false);
	}
	for (i = 0; i < nfresh; i++) {
		in = fresh[i];
		rt->insts[rt->ninsts++] = in;
		inst_link_refresh(in);
		inst_track(in, true);
		memset(&ev, 0, sizeof(ev));
		ev.type = ELECT_EV_START;
		inst_feed(in, &ev);
	}
	free(keep);
	free(fresh);
}

void
election_stop(struct election_rt *rt)
{
	struct elect_event ev;
	size_t i;

	if (rt == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = ELECT_EV_SHUTDOWN;
	for (i = 0; i < rt->ninsts; i++)
		inst_feed(rt->insts[i], &ev);
	notify_drain(rt);
	for (i = 0; i < rt->ninsts; i++)
		inst_free(rt->insts[i]);
	free(rt->insts);
	elect_net_close(rt->net);
	if (rt->vip_open)
		vip_fini();
	key_free(&rt->key);
	if (rt->schedstat_fd >= 0)
		close(rt->schedstat_fd);
	for (i = 0; i < rt->npools_down; i++)
		free(rt->pools_down[i]);
	free(rt->pools_down);
	free(rt);
}

/* ------------------------------------------------------------ notify */

static void
notify_queue(struct election_rt *rt, const struct config *c, const char *vip, const char *state)
{
	struct notify_job *j, **pp, *victim = NULL;
	int i;

	if (c == NULL || !c->election.present || c->election.notify_argc == 0)
		return;
	if (rt->npending >= NOTIFY_PENDING_MAX) {
		/* drop this VIP's oldest pending one: its later states matter more */
		for (j = rt->jobs; j != NULL; j = j->next)
			if (!j->running && strcmp(j->vip, vip) == 0) {
				victim = j;
				break;
			}
		if (victim == NULL) {
			log_warnx("vip %s: notify %s dropped: %d notifications already queued", vip,
			    state, NOTIFY_PENDING_MAX);
			return;
		}
		log_warnx("vip %s: notify %s dropped: too many queued", vip, job_state(victim));
		notify_unlink_free(victim);
	}
	j = xcalloc(1, sizeof(*j));
	j->rt = rt;
	j->vip = xstrdup(vip);
	for (i = 0; i < c->election.notify_argc && i < CHECK_ARGV_MAX; i++)
		j->argv[i] = xstrdup(c->election.notify_argv[i]);
	j->argv[i++] = xstrdup(vip);
	j->argv[i++] = xstrdup(state);
	j->argv[i] = NULL;
	j->timeout_ms = c->election.notify_timeout_ms > 0 ? c->election.notify_timeout_ms : 10000;
	for (pp = &rt->jobs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = j;
	rt->npending++;
	notify_pump(rt);
}

/* Start every pending job with no earlier job for the same VIP. */
static void
notify_pump(struct election_rt *rt)
{
	struct notify_job *j, *k, *next;
	bool blocked;

	for (j = rt->jobs; j != NULL; j = next) {
		next = j->next;
		blocked = false;
		if (j->running)
			continue;
		for (k = rt->jobs; k != j; k = k->next)
			if (strcmp(k->vip, j->vip) == 0)
				blocked = true;
		if (blocked)
			continue;
		if (notify_spawn(j) < 0) {
			notify_unlink_free(j);
			continue;
		}
		j->running = true;
		rt->npending--;
		if (loop_ev() != NULL) {
			ev_child_init(&j->child, notify_child_cb, j->pid, 0);
			j->child.data = j;
			ev_child_start(loop_ev(), &j->child);
			ev_timer_init(
			    &j->timer, notify_timer_cb, (double)j->timeout_ms / 1000.0, 0.);
			j->timer.data = j;
			ev_timer_start(loop_ev(), &j->timer);
		}
	}
}

static bool
env_dropped(const char *e)
{
	static const char *const drop[] = {"NOTIFY_SOCKET=", "WATCHDOG_PID=", "WATCHDOG_USEC=",
	    "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES="};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(drop); i++)
		if (strncmp(e, drop[i], strlen(drop[i])) == 0)
			return true;
	return false;
}

/*
 * posix_spawn: the child gets default signal dispositions (we ignore
 * SIGPIPE), an empty signal mask, its own session (so that a timeout can
 * kill what it started), stdin from /dev/null, and none of our systemd
 * variables (it must not ping our watchdog or report our readiness).
 */
static int
notify_spawn(struct notify_job *j)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	char **env;
	size_t n = 0, i;
	int r;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		;
	env = xcalloc(i + 1, sizeof(*env));
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		if (!env_dropped(environ[i]))
			env[n++] = environ[i];
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(
	    &at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
	r = posix_spawn(&j->pid, j->argv[0], &fa, &at, j->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	if (r != 0) {
		j->pid = 0;
		if (log_ratelimit_ok(&j->rt->rl_notify))
			log_warnc(-r, "vip %s: notify: cannot run %s", j->vip, j->argv[0]);
		return -r;
	}
	j->started_ms = mono_ms();
	log_debug("vip %s: notify: started %s (pid %ld)", j->vip, j->argv[0], (long)j->pid);
	return 0;
}

static const char *
job_state(const struct notify_job *j)
{
	const char *state = "?";
	int i;

	for (i = 0; j->argv[i] != NULL; i++)
		state = j->argv[i];
	return state;
}

static void
notify_finish(struct notify_job *j, int status)
{
	const char *state = job_state(j);
	int64_t ms = mono_ms() - j->started_ms;
	if (j->kill_sent || j->term_sent)
		log_warnx("vip %s: notify %s: killed after the %d ms timeout", j->vip, state,
		    j->timeout_ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("vip %s: notify %s: exit status %d after %lld ms", j->vip, state,
		    WEXITSTATUS(status), (long long)ms);
	else if (WIFSIGNALED(status))
		log_warnx(
		    "vip %s: notify %s: killed by signal %d", j->vip, state, WTERMSIG(status));
	else
		log_debug("vip %s: notify %s: done in %lld ms", j->vip, state, (long long)ms);
}

static void
notify_child_cb(struct ev_loop *l, ev_child *w, int revents)
{
	struct notify_job *j = w->data;
	struct election_rt *rt = j->rt;

	notify_finish(j, w->rstatus);
	notify_unlink_free(j);
	notify_pump(rt);
}

static void
notify_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct notify_job *j = w->data;

	if (!j->term_sent) {
		j->term_sent = true;
		kill(-j->pid, SIGTERM);
		ev_timer_set(&j->timer, NOTIFY_KILL_GRACE_MS / 1000.0, 0.);
		ev_timer_start(l, &j->timer);
		return;
	}
	j->kill_sent = true;
	kill(-j->pid, SIGKILL);
}

static void
notify_unlink_free(struct notify_job *j)
{
	struct notify_job **pp;
	int i;

	for (pp = &j->rt->jobs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (!j->running)
		j->rt->npending--;
	if (loop_ev() != NULL) {
		ev_child_stop(loop_ev(), &j->child);
		ev_timer_stop(loop_ev(), &j->timer);
	}
	for (i = 0; j->argv[i] != NULL; i++)
		free(j->argv[i]);
	free(j->vip);
	free(j);
}

/*
 * At stop the loop no longer runs: wait for each job in turn (blocking,
 * each bounded by its timeout), so that the last word a notify command
 * hears is STOP, and none is left behind unbounded.
 */
static void
notify_drain(struct election_rt *rt)
{
	struct notify_job *j;
	struct timespec ts = {0, 5 * 1000 * 1000};
	int64_t deadline;
	int status;
	pid_t w;

	while ((j = rt->jobs) != NULL) {
		if (loop_ev() != NULL) {
			ev_child_stop(loop_ev(), &j->child);
			ev_timer_stop(loop_ev(), &j->timer);
		}
		if (!j->running) {
			if (notify_spawn(j) < 0) {
				notify_unlink_free(j);
				continue;
			}
			j->running = true;
			rt->npending--;
		}
		deadline = j->started_ms + j->timeout_ms;
		status = 0;
		for (;;) {
			w = waitpid(j->pid, &status, WNOHANG);
			if (w == j->pid || (w < 0 && errno != EINTR))
				break;
			if (mono_ms() >= deadline) {
				if (!j->term_sent) {
					j->term_sent = true;
					kill(-j->pid, SIGTERM);
					deadline = mono_ms() + NOTIFY_KILL_GRACE_MS;
				} else if (!j->kill_sent) {
					j->kill_sent = true;
					kill(-j->pid, SIGKILL);
					deadline = mono_ms() + NOTIFY_KILL_GRACE_MS;
				} else {
					break;
				}
			}
			nanosleep(&ts, NULL);
		}
		if (w == j->pid)
			notify_finish(j, status);
		notify_unlink_free(j);
	}
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
		    (const char *[]){ "vip", rt->insts[i]->name, NULL }, rt->insts[i]->transitions);
	metrics_family(b, "ipvsr_vip_reasserts_total", METRIC_COUNTER,
	    "Times another router claimed a VIP this router is MASTER of (answered by an "
	    "advert and a new announcement).");
	for (i = 0; i < rt->ninsts; i++)
		metrics_sample_u64(b, "ipvsr_vip_reasserts_total",
		    (const char *[]){ "vip", rt->insts[i]->name, NULL }, rt->insts[i]->reasserts);
}

int64_t
election_last_heard_ms(const struct election_rt *rt, const char *vip_name)
{
	size_t i;

	if (rt == NULL)
		return -1;
	for (i = 0; i < rt->ninsts; i++)
		if (strcmp(rt->insts[i]->name, vip_name) == 0)
			return rt->insts[i]->m.last_advert_ms;
	return -1;
}
