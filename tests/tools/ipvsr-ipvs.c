/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipvsr-ipvs - ipvs-router's IPVS backend without the daemon, for the
 * integration tests and bench/ipvs-sync.
 *
 *   ipvsr-ipvs info                 kernel IPVS version
 *   ipvsr-ipvs dump                 the table in the kernel's list order
 *                                   (ipvsadm sorts destinations, hiding it)
 *   ipvsr-ipvs sync [-n R] CONF     make the table match CONF, every server
 *                                   up, and print what it took on one line:
 *     sync: services=2 dests=1000 ops=1003 writes=1003 sends=2 dumps=3
 *           dump_ms=1.2 plan_ms=0.3 apply_ms=40.1 total_ms=41.9 (1 add service, ...)
 *   ipvsr-ipvs sync -s ...          the same with each new service's scheduler bound
 *                                   first (mh then rebuilds its table per destination)
 *   ipvsr-ipvs plan [-n R] CONF     print the operations sync would run
 *   ipvsr-ipvs flush [-n R] CONF    delete the services CONF declares
 *   ipvsr-ipvs syncd-start master|backup IFNAME SYNCID GROUP
 *                                   IPVS_CMD_NEW_DAEMON as ipvs-router sends it
 *                                   (port 8848, ttl 1), with no check of its own:
 *                                   prints "started" or the kernel's error
 *   ipvsr-ipvs syncd-list           the running sync daemons, one per line
 *   ipvsr-ipvs syncd-stop master|backup
 *                                   IPVS_CMD_DEL_DAEMON: prints "stopped" or the error
 *   ipvsr-ipvs syncd-flip N IFNAME SYNCID GROUP
 *                                   N times what ipvs-router does when a VIP becomes
 *                                   master and at once backup again: stop backup, start
 *                                   master, stop master, start backup, back to back;
 *                                   prints the slowest request of each kind (ms)
 *                                   and how many stops the kernel did not answer
 *
 * Exit status: 0, 1 when an operation failed, 2 on usage or config errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ipvs.h"
#include "log.h"
#include "reconcile.h"
#include "util.h"

static size_t members_all_up(void *arg, const struct pool *p, struct rc_member **out);
static int cmd_dump(struct ipvs *h);
static int cmd_sync(struct ipvs *h, const struct config *c, int mode, bool sched_first);
static int cmd_syncd(struct ipvs *h, char **args);
static int cmd_syncd_stop(struct ipvs *h, const char *state);
static int cmd_syncd_flip(struct ipvs *h, char **args);
static void usage(void) __attribute__((noreturn));

enum { MODE_SYNC, MODE_PLAN, MODE_FLUSH };

static void
usage(void)
{
	fprintf(stderr, "usage: ipvsr-ipvs info | dump | {sync|plan|flush} [-s] [-n ROUTER] CONFIG\n"
	    "       ipvsr-ipvs syncd-start master|backup IFNAME SYNCID GROUP | syncd-list\n"
	    "       ipvsr-ipvs syncd-stop master|backup | syncd-flip N IFNAME SYNCID GROUP\n");
	exit(2);
}

static size_t
members_all_up(void *arg, const struct pool *p, struct rc_member **out)
{
	struct rc_member *m = xcalloc(p->nservers ? p->nservers : 1, sizeof(*m));
	size_t i;

	(void)arg;
	for (i = 0; i < p->nservers; i++) {
		m[i].addr = p->servers[i].addr;
		if (m[i].addr.port == 0)
			m[i].addr.port = (uint16_t)p->port;
		m[i].weight = p->servers[i].weight;
		m[i].upper_threshold = p->servers[i].upper_threshold;
		m[i].lower_threshold = p->servers[i].lower_threshold;
		m[i].drain = p->servers[i].drain;
		m[i].up = true;
	}
	*out = m;
	return p->nservers;
}

static int
cmd_dump(struct ipvs *h)
{
	struct rc_table t;
	char s[80], a[SOCKADDR_X_STRLEN];
	size_t i, j;
	int r;

	rc_table_init(&t);
	r = ipvs_dump(h, &t);
	if (r < 0) {
		fprintf(stderr, "ipvsr-ipvs: dump: %s\n", strerror(-r));
		return 1;
	}
	for (i = 0; i < t.n; i++) {
		const struct rc_svc *sv = &t.svcs[i];

		printf("%s %s flags 0x%x timeout %u netmask %d\n", rc_svc_fmt(&sv->conf, s, sizeof(s)),
		    sv->conf.sched, sv->conf.flags, sv->conf.timeout_s, sv->conf.netmask);
		for (j = 0; j < sv->ndests; j++) {
			const struct rc_dest *d = &sv->dests[j];

			printf("  -> %s %s weight %d thresholds %u/%u tun %d/%u/%u conns %u/%u/%u\n",
			    sockaddr_x_fmt(&d->addr, a, sizeof(a)), rc_fwd_str(d->fwd), d->weight,
			    d->u_threshold, d->l_threshold, d->tun_type, d->tun_port, d->tun_flags,
			    d->activeconns, d->inactconns, d->persistconns);
		}
	}
	rc_table_clear(&t);
	return 0;
}

static int
cmd_sync(struct ipvs *h, const struct config *c, int mode, bool sched_first)
{
	struct rc_table want, have;
	struct rc_plan p;
	const struct rc_opts o = { !sched_first, true };
	const struct ipvs_counters *ctr = ipvs_counters(h);
	int64_t t0, t1, t2, t3;
	char buf[600], sum[256];
	size_t i, failed = 0;
	int *err, r = 0;

	t0 = mono_us();
	rc_table_init(&have);
	r = ipvs_dump(h, &have);
	if (r < 0) {
		fprintf(stderr, "ipvsr-ipvs: dump: %s\n", strerror(-r));
		return 1;
	}
	t1 = mono_us();
	rc_desired_build(c, c->router.name, members_all_up, NULL, &want, NULL, NULL, NULL);
	rc_plan_init(&p);
	if (mode == MODE_FLUSH) {
		struct rc_svc_conf *keys = xcalloc(want.n ? want.n : 1, sizeof(*keys));
		struct rc_table none;

		for (i = 0; i < want.n; i++)
			keys[i] = want.svcs[i].conf;
		rc_table_init(&none);
		rc_plan(&none, &have, keys, want.n, &o, &p);
		free(keys);
	} else {
		rc_plan(&want, &have, NULL, 0, &o, &p);
	}
	t2 = mono_us();
	if (mode == MODE_PLAN) {
		for (i = 0; i < p.n; i++)
			printf("%s\n", rc_op_fmt(&p.ops[i], buf, sizeof(buf)));
		goto out;
	}
	err = xcalloc(p.n ? p.n : 1, sizeof(*err));
	r = p.n > 0 ? ipvs_apply(h, p.ops, p.n, err) : 0;
	t3 = mono_us();
	for (i = 0; i < p.n; i++) {
		if (err[i] == 0)
			continue;
		if (++failed <= 10)
			fprintf(stderr, "ipvsr-ipvs: %s\n", ipvs_op_strerror(&p.ops[i], err[i], buf,
			    sizeof(buf)));
	}
	free(err);
	printf("sync: services=%zu dests=%zu ops=%zu writes=%llu sends=%llu dumps=%llu "
	       "failed=%zu dump_ms=%.1f plan_ms=%.1f apply_ms=%.1f total_ms=%.1f (%s)\n",
	    want.n, rc_table_ndests(&want), p.n, ctr->writes, ctr->sends, ctr->dumps, failed,
	    (double)(t1 - t0) / 1000., (double)(t2 - t1) / 1000., (double)(t3 - t2) / 1000.,
	    (double)(t3 - t0) / 1000., rc_plan_summary(&p, sum, sizeof(sum)));
	if (r < 0 || failed > 0)
		r = 1;
out:
	rc_plan_clear(&p);
	rc_table_clear(&want);
	rc_table_clear(&have);
	return r;
}

/* IFNAME SYNCID GROUP into d, as ipvs-router sends them (port 8848, ttl 1) */
static void
syncd_args(char **args, struct ipvs_syncd *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->ifname, sizeof(d->ifname), "%s", args[0]);
	d->syncid = (unsigned)strtoul(args[1], NULL, 10);
	d->port = 8848;
	d->ttl = 1;
	if (sockaddr_x_parse(args[2], false, &d->group) < 0)
		usage();
}

/* syncd-start STATE IFNAME SYNCID GROUP (args), or syncd-list (args[0] NULL) */
static int
cmd_syncd(struct ipvs *h, char **args)
{
	struct ipvs_syncd d, l[4];
	char g[SOCKADDR_X_STRLEN];
	size_t i, n;
	int r;

	if (args[0] == NULL) {
		r = ipvs_syncd_list(h, l, 4, &n);
		if (r < 0) {
			fprintf(stderr, "ipvsr-ipvs: syncd-list: %s\n", strerror(-r));
			return 1;
		}
		for (i = 0; i < n; i++)
			printf("%s %s syncid=%u group=%s port=%u ttl=%u\n",
			    l[i].state == IPVS_SYNCD_MASTER ? "master" : "backup", l[i].ifname,
			    l[i].syncid, sockaddr_x_fmt_addr(&l[i].group, g, sizeof(g)), l[i].port,
			    l[i].ttl);
		return 0;
	}
	syncd_args(args + 1, &d);
	d.state = strcmp(args[0], "master") == 0 ? IPVS_SYNCD_MASTER : IPVS_SYNCD_BACKUP;
	r = ipvs_syncd_start(h, &d);
	if (r < 0) {
		printf("refused: %s (errno %d)\n", strerror(-r), -r);
		return 1;
	}
	printf("started\n");
	return 0;
}

/* syncd-stop STATE */
static int
cmd_syncd_stop(struct ipvs *h, const char *state)
{
	int r = ipvs_syncd_stop(h, strcmp(state, "master") == 0 ? IPVS_SYNCD_MASTER :
	    IPVS_SYNCD_BACKUP);

	if (r < 0) {
		printf("refused: %s (errno %d)\n", strerror(-r), -r);
		return 1;
	}
	printf(r == 1 ? "stopped (unanswered)\n" : "stopped\n");
	return 0;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* syncd-flip N IFNAME SYNCID GROUP: the backup daemon runs before and after */
static int
cmd_syncd_flip(struct ipvs *h, char **args)
{
	static const char *const what[4] = {"stop-backup", "start-master", "stop-master",
	    "start-backup"};
	struct ipvs_syncd d;
	double worst[4] = {0}, total = 0, t0, dt;
	long n = strtol(args[0], NULL, 10), i, unanswered = 0;
	int k, r;

	if (n < 1 || n > 10000)
		usage();
	syncd_args(args + 1, &d);
	d.state = IPVS_SYNCD_BACKUP;
	if ((r = ipvs_syncd_start(h, &d)) < 0 && r != -EEXIST) {
		printf("refused: start-backup: %s (errno %d)\n", strerror(-r), -r);
		return 1;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < 4; k++) {
			t0 = now_ms();
			if (k == 0 || k == 2) {
				r = ipvs_syncd_stop(h, k == 0 ? IPVS_SYNCD_BACKUP : IPVS_SYNCD_MASTER);
			} else {
				d.state = k == 1 ? IPVS_SYNCD_MASTER : IPVS_SYNCD_BACKUP;
				r = ipvs_syncd_start(h, &d);
			}
			dt = now_ms() - t0;
			total += dt;
			unanswered += r == 1;
			if (dt > worst[k])
				worst[k] = dt;
			if (r < 0) {
				printf("refused: round %ld %s: %s (errno %d)\n", i + 1, what[k],
				    strerror(-r), -r);
				return 1;
			}
		}
	}
	printf("flipped %ld times in %.1f ms, %ld stops unanswered; slowest: stop-backup %.1f "
	    "start-master %.1f stop-master %.1f start-backup %.1f ms\n", n, total, unanswered,
	    worst[0], worst[1], worst[2], worst[3]);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *router = NULL, *cmd;
	struct config *c = NULL;
	struct errlist el;
	struct ipvs *h;
	char why[256];
	int ch, r, mode;
	unsigned v, tab;
	bool sched_first = false;

	log_init("ipvsr-ipvs", true, LOG_WARNING, LOG_DAEMON);
	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "n:s")) != -1) {
		if (ch == 'n')
			router = optarg;
		else if (ch == 's')
			sched_first = true;
		else
			usage();
	}
	if (strcmp(cmd, "sync") == 0)
		mode = MODE_SYNC;
	else if (strcmp(cmd, "plan") == 0)
		mode = MODE_PLAN;
	else if (strcmp(cmd, "flush") == 0)
		mode = MODE_FLUSH;
	else if (strcmp(cmd, "dump") == 0 || strcmp(cmd, "info") == 0 ||
	    strcmp(cmd, "syncd-list") == 0)
		mode = -1;
	else if ((strcmp(cmd, "syncd-start") == 0 || strcmp(cmd, "syncd-flip") == 0) &&
	    argc == 6)
		mode = -1;
	else if (strcmp(cmd, "syncd-stop") == 0 && argc == 3)
		mode = -1;
	else
		usage();
	if (mode >= 0) {
		if (optind != argc - 1)
			usage();
		errlist_init(&el);
		r = conf_read(argv[optind], router, &c, &el);
		for (size_t i = 0; i < el.n; i++)
			fprintf(stderr, "%s\n", el.msgs[i]);
		errlist_clear(&el);
		if (r < 0)
			return 2;
	}

	r = ipvs_open(&h, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "ipvsr-ipvs: IPVS is not available: %s\n", why);
		config_free(c);
		return 1;
	}
	if (strcmp(cmd, "info") == 0) {
		r = ipvs_info(h, &v, &tab);
		if (r == 0)
			printf("kernel IPVS %u.%u.%u, connection table %u\n", v >> 16, (v >> 8) & 0xff,
			    v & 0xff, tab);
		r = r < 0;
	} else if (strcmp(cmd, "dump") == 0) {
		r = cmd_dump(h);
	} else if (strcmp(cmd, "syncd-start") == 0 || strcmp(cmd, "syncd-list") == 0) {
		r = cmd_syncd(h, argv + 2);
	} else if (strcmp(cmd, "syncd-stop") == 0) {
		r = cmd_syncd_stop(h, argv[2]);
	} else if (strcmp(cmd, "syncd-flip") == 0) {
		r = cmd_syncd_flip(h, argv + 2);
	} else {
		r = cmd_sync(h, c, mode, sched_first);
	}
	ipvs_close(h);
	config_free(c);
	return r;
}
