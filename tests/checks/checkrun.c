/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipvsr-checkrun - run the daemon's health checking alone, and measure it.
 *
 * Links the real check code (libipvsr.a: checks.c, check*.c, tls.c,
 * health.c, http.c) on the real event loop, with a configuration file,
 * and nothing else of the daemon (no IPVS, no election), so that the
 * stall test and bench/checks measure exactly the checker.  Alongside the
 * probes it runs a ticker: a timer every --tick-ms (10 ms, an election
 * advert's order of magnitude) that measures how late each tick fires.
 * A loop that stalls shows up there, whatever stalled it - and so does a
 * busy machine: a tick is also late while this process waits for a CPU.
 *
 * So it also measures the loop itself.  libev calls a hook just before it
 * blocks in epoll_wait and one just after: between the two the loop is
 * busy, running callbacks.  For each busy phase it takes the wall time and
 * subtracts the time the thread spent runnable but not running (the
 * kernel's run_delay, /proc/thread-self/schedstat): what is left is the
 * loop's own time - its work, and any blocking call it made - which is
 * what delays every other timer of the loop: busy_max_us.  Each tick's
 * lateness gets the same correction (run_delay since the tick was armed),
 * and counts no more than the loop's own busy time since then (lateness
 * while it slept in epoll_wait is the wake-up's): tick_loop_max_us.  Time the
 * hypervisor takes the virtual CPU away while the thread is on it (steal) is
 * not run_delay; a phase that never slept counts no more than its CPU time,
 * which leaves steal out (CONFIG_PARAVIRT_TIME_ACCOUNTING).  And
 * whether the thread slept inside a busy phase - blocked in a call, the
 * stall a hung backend would cause - does not depend on the machine at all:
 * its voluntary context switches (getrusage RUSAGE_THREAD): busy_blocked.
 *
 *   ipvsr-checkrun -f CONF -t SECONDS [--tick-ms N] [--warmup S] [--dump] [-d] [--bare]
 *   ipvsr-checkrun --hang ADDR:FIRSTPORT:COUNT -t SECONDS
 *
 * --bare leaves out the ticker and the busy-phase hooks (their clock,
 * schedstat and rusage reads): what remains are the checker's own system
 * calls, for bench/checks' strace count.
 *
 * The first form prints one summary line at the end:
 *   checkrun: servers=N probes=N runs=N ok=N fail=N ... tick_max_us=N ...
 * The second form is a "hanging backend": COUNT listening sockets that
 * complete the TCP handshake (the kernel does that) and never accept, so
 * every probe connects and then waits for an answer that never comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "check.h"
#include "checks.h"
#include "conf.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define TICK_SLOTS 100000

static struct {
	ev_timer tick, stop, warm;
	ev_prepare busy_end; /* ends a busy phase before the loop sleeps or waits */
	int tick_ms;
	int64_t tick_due_us;
	int64_t *lates;
	size_t nlates;
	int64_t tick_max_us;
	uint64_t over5;
	bool measuring;
	struct rusage ru0;
	int64_t t0_us;
	unsigned transitions;
	/* the loop's own time (see the top) */
	int sched_fd;		/* /proc/thread-self/schedstat, -1: unknown */
	bool busy;		/* between the acquire and the release hooks */
	int64_t busy_wall0, busy_rd0, busy_cpu0;
	int64_t busy_own_total; /* the loop's own time in every busy phase ended so far */
	int64_t tick_busy0;	/* busy_own() when the tick was armed */
	long busy_nvcsw0;
	uint64_t busy_blocked;	/* busy phases in which the thread slept */
	int64_t busy_max_us, busy_wall_max_us, busy_cpu_max_us;
	uint64_t busy_phases, busy_over5;
	uint64_t busy_hist[7];	/* own time: <0.5 <1 <2 <3 <4 <5 >=5 ms */
	int64_t tick_rd0;
	int64_t tick_loop_max_us;
	uint64_t tick_loop_over5;
	int64_t rd_total0;
} m;

static void usage(void) __attribute__((noreturn));
static long rss_kb(const char *key);
static void tick_cb(struct ev_loop *l, ev_timer *w, int revents);
static void stop_cb(struct ev_loop *l, ev_timer *w, int revents);
static void warm_cb(struct ev_loop *l, ev_timer *w, int revents);
static void start_measuring(void);
static void on_changed(void *arg);
static int run_hang(const char *spec, int seconds);
static int cmp_i64(const void *a, const void *b);
static void tick_arm(void);
static int64_t run_delay_us(void);
static int64_t thread_cpu_us(void);
static void on_release(struct ev_loop *l);
static void on_acquire(struct ev_loop *l);

static void
usage(void)
{
	fprintf(stderr, "usage: ipvsr-checkrun -f CONF -t SECONDS [--tick-ms N] [--warmup S] [--bare] "
			"[--dump] [-d]\n"
			"       ipvsr-checkrun --hang ADDR:FIRSTPORT:COUNT -t SECONDS\n");
	exit(2);
}

static long
rss_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Time this thread has spent runnable but not running, in us; 0 if unknown. */
static int64_t
run_delay_us(void)
{
	unsigned long long run, wait;
	char buf[96];
	ssize_t n;

	if (m.sched_fd < 0)
		return 0;
	n = pread(m.sched_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return 0;
	return (int64_t)(wait / 1000u);
}

/* Voluntary context switches of this thread: it slept (blocked in a call). */
static long
thread_nvcsw(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return 0;
	return ru.ru_nvcsw;
}

static int64_t
thread_cpu_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The loop's callbacks are done (busy_end_cb): a busy phase ends. */
static void
on_release(struct ev_loop *l)
{
	int64_t wall, rd, cpu, own;
	long slept;

	(void)l;
	if (!m.busy)
		return;
	m.busy = false;
	wall = mono_us() - m.busy_wall0;
	rd = run_delay_us() - m.busy_rd0;
	cpu = thread_cpu_us();
	cpu = cpu >= 0 && m.busy_cpu0 >= 0 ? cpu - m.busy_cpu0 : -1; /* -1: no CPU clock */
	slept = thread_nvcsw() - m.busy_nvcsw0;
	own = wall - rd;
	/*
	 * A phase that never slept: its own time is its CPU time, when that is
	 * less.  wall - run_delay still holds the time the hypervisor took the
	 * virtual CPU away while this thread was on it (steal: runnable waiting
	 * is run_delay, this is not), and the thread's CPU clock leaves steal out
	 * (CONFIG_PARAVIRT_TIME_ACCOUNTING).  Seen: a quiet machine with 1.8 s
	 * of steal in a 20 s run, phases of 12.9 ms by wall - run_delay with
	 * 3.8 ms of CPU.  A phase that slept (a blocking call) keeps its wall
	 * time: busy_blocked fails it anyway.
	 */
	if (slept == 0 && cpu >= 0 && cpu < own)
		own = cpu;
	m.busy_own_total += own > 0 ? own : 0;
	if (!m.measuring)
		return;
	m.busy_phases++;
	if (slept > 0)
		m.busy_blocked++;
	if (own > m.busy_max_us)
		m.busy_max_us = own;
	if (wall > m.busy_wall_max_us)
		m.busy_wall_max_us = wall;
	if (cpu > m.busy_cpu_max_us)
		m.busy_cpu_max_us = cpu;
	if (own > 5000)
		m.busy_over5++;
	{
		static const int64_t edges[] = {500, 1000, 2000, 3000, 4000, 5000};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(edges) && own >= edges[i]; i++)
			;
		m.busy_hist[i]++;
	}
}

/*
 * The busy phase ends in a prepare watcher, before libev sleeps out its
 * io_collect_interval (loop.c) and waits in epoll_wait, not at the release
 * callback just before epoll_wait: that sleep is the loop choosing to wait,
 * not work that delays anything (libev cuts it at the next timer), and ended
 * at the release callback every phase counted it as busy time, and as a
 * blocking call.  Prepare watchers run before every wait, so no release
 * callback is needed.
 */
static void
busy_end_cb(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)w;
	(void)revents;
	on_release(l);
}

/* The loop is back from epoll_wait: a busy phase begins. */
static void
on_acquire(struct ev_loop *l)
{
	(void)l;
	m.busy = true;
	m.busy_wall0 = mono_us();
	m.busy_rd0 = run_delay_us();
	m.busy_cpu0 = thread_cpu_us();
	m.busy_nvcsw0 = thread_nvcsw();
}

/* The loop's own busy time so far: the phases ended, and the one running now. */
static int64_t
busy_own(void)
{
	int64_t cur = 0;

	if (m.busy)
		cur = (mono_us() - m.busy_wall0) - (run_delay_us() - m.busy_rd0);
	return m.busy_own_total + (cur > 0 ? cur : 0);
}

/* One-shot, re-armed from a fresh clock reading each time: lateness is exact. */
static void
tick_arm(void)
{
	ev_now_update(loop_ev());
	m.tick_rd0 = run_delay_us();
	m.tick_busy0 = busy_own();
	m.tick_due_us = mono_us() + (int64_t)m.tick_ms * 1000;
	ev_timer_set(&m.tick, m.tick_ms / 1e3, 0.);
	ev_timer_start(loop_ev(), &m.tick);
}

static void
tick_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	int64_t late = mono_us() - m.tick_due_us;
	int64_t late_loop = late - (run_delay_us() - m.tick_rd0);
	int64_t busy = busy_own() - m.tick_busy0;

	/*
	 * The loop can have delayed the tick only while it was busy: lateness
	 * spent asleep in epoll_wait is the wake-up's (the kernel's, or the
	 * hypervisor's: seen under SCHED_FIFO, a tick 22.9 ms late with no busy
	 * phase over 3.4 ms, while two VMs ran beside the test).  The busy time
	 * since the tick was armed bounds the loop's share from above.
	 */
	if (late_loop > busy)
		late_loop = busy;

	if (late < 0)
		late = 0;
	if (late_loop < 0)
		late_loop = 0;
	if (m.measuring) {
		if (late_loop > m.tick_loop_max_us)
			m.tick_loop_max_us = late_loop;
		if (late_loop > 5000)
			m.tick_loop_over5++;
		if (late > m.tick_max_us)
			m.tick_max_us = late;
		if (late > 5000)
			m.over5++;
		if (m.nlates < TICK_SLOTS)
			m.lates[m.nlates++] = late;
	}
	tick_arm();
}

static void
start_measuring(void)
{
	check_stats_reset();
	getrusage(RUSAGE_SELF, &m.ru0);
	m.t0_us = mono_us();
	m.measuring = true;
	m.nlates = 0;
	m.tick_max_us = 0;
	m.over5 = 0;
	m.busy_max_us = m.busy_wall_max_us = m.busy_cpu_max_us = 0;
	m.busy_phases = m.busy_over5 = m.busy_blocked = 0;
	memset(m.busy_hist, 0, sizeof(m.busy_hist));
	m.tick_loop_max_us = 0;
	m.tick_loop_over5 = 0;
	m.rd_total0 = run_delay_us();
}

static void
warm_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	start_measuring();
}

static void
stop_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	loop_break();
}

static void
on_changed(void *arg)
{
	m.transitions++;
}

static int
run_hang(const char *spec, int seconds)
{
	char host[128];
	const char *c1, *c2;
	struct sockaddr_x sa;
	long long first, count, i;
	int one = 1, *fds;

	c2 = strrchr(spec, ':');
	if (c2 == NULL)
		usage();
	for (c1 = c2 - 1; c1 > spec && *c1 != ':'; c1--)
		;
	if (c1 <= spec || (size_t)(c1 - spec) >= sizeof(host))
		usage();
	memcpy(host, spec, (size_t)(c1 - spec));
	host[c1 - spec] = '\0';
	if (sockaddr_x_parse(host, false, &sa) < 0 ||
	    parse_int(c2 + 1, 1, 60000, &count) < 0) {
		fprintf(stderr, "ipvsr-checkrun: bad --hang %s\n", spec);
		return 2;
	}
	{
		char pbuf[16];
		size_t n = (size_t)(c2 - c1 - 1);

		if (n == 0 || n >= sizeof(pbuf))
			usage();
		memcpy(pbuf, c1 + 1, n);
		pbuf[n] = '\0';
		if (parse_int(pbuf, 1, 65535, &first) < 0 || first + count - 1 > 65535)
			usage();
	}
	fds = xcalloc((size_t)count, sizeof(*fds));
	for (i = 0; i < count; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;

		sa.port = (uint16_t)(first + i);
		sl = sockaddr_x_to_sa(&sa, &ss);
		fds[i] = socket(sa.af, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(fds[i], (struct sockaddr *)&ss, sl) < 0 || listen(fds[i], 4096) < 0) {
			fprintf(stderr, "ipvsr-checkrun: listen on port %lld: %s\n", first + i,
			    strerror(errno));
			return 1;
		}
	}
	printf("hang: %lld listeners from port %lld, never accepting\n", count, first);
	fflush(stdout);
	sleep((unsigned)seconds);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "time", required_argument, NULL, 't' },
		{ "tick-ms", required_argument, NULL, 'k' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "dump", no_argument, NULL, 'D' },
		{ "hang", required_argument, NULL, 'H' },
		{ "debug", no_argument, NULL, 'd' },
		{ "bare", no_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *hang = NULL;
	long long seconds = 0, tick = 10, warm = 0;
	bool dump = false, debug = false, bare = false;
	struct checks_hooks hooks = { on_changed, NULL, NULL, NULL };
	const struct check_stats *st;
	struct config *c = NULL;
	struct checks *cs;
	struct errlist el;
	struct rusage ru1;
	long rss0, rss1;
	double cpu, wall, usr;
	uint64_t fails = 0;
	size_t i, nup = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "f:t:dD", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			conf = optarg;
			break;
		case 't':
			if (parse_int(optarg, 1, 3600, &seconds) < 0)
				usage();
			break;
		case 'k':
			if (parse_int(optarg, 1, 1000, &tick) < 0)
				usage();
			break;
		case 'w':
			if (parse_int(optarg, 0, 600, &warm) < 0)
				usage();
			break;
		case 'D':
			dump = true;
			break;
		case 'H':
			hang = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'B':
			bare = true;
			break;
		default:
			usage();
		}
	}
	if (seconds == 0 || (conf == NULL) == (hang == NULL))
		usage();
	if (hang != NULL)
		return run_hang(hang, (int)seconds);

	log_init("ipvsr-checkrun", true, debug ? LOG_DEBUG : LOG_INFO, LOG_DAEMON);
	rss0 = rss_kb("VmRSS:");
	errlist_init(&el);
	if (conf_read(conf, NULL, &c, &el) < 0) {
		for (i = 0; i < el.n; i++)
			fprintf(stderr, "%s\n", el.msgs[i]);
		errlist_clear(&el);
		return 1;
	}
	errlist_clear(&el);
	if (loop_init() < 0) {
		fprintf(stderr, "ipvsr-checkrun: cannot set up the loop\n");
		return 1;
	}
	m.tick_ms = (int)tick;
	m.lates = xcalloc(TICK_SLOTS, sizeof(*m.lates));
	m.sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (!bare) {
		ev_set_loop_release_cb(loop_ev(), NULL, on_acquire);
		ev_prepare_init(&m.busy_end, busy_end_cb);
		ev_set_priority(&m.busy_end, EV_MINPRI); /* after every other prepare watcher */
		ev_prepare_start(loop_ev(), &m.busy_end);
	}
	cs = checks_new(&hooks);
	checks_apply(cs, c);

	ev_init(&m.tick, tick_cb);
	if (!bare)
		tick_arm();
	ev_timer_init(&m.stop, stop_cb, (double)(seconds + warm), 0.);
	ev_timer_start(loop_ev(), &m.stop);
	if (warm > 0) {
		ev_timer_init(&m.warm, warm_cb, (double)warm, 0.);
		ev_timer_start(loop_ev(), &m.warm);
	} else {
		start_measuring();
	}
	loop_run();

	getrusage(RUSAGE_SELF, &ru1);
	wall = (double)(mono_us() - m.t0_us) / 1e6;
	cpu = (double)(ru1.ru_utime.tv_sec - m.ru0.ru_utime.tv_sec) +
	    (double)(ru1.ru_utime.tv_usec - m.ru0.ru_utime.tv_usec) / 1e6 +
	    (double)(ru1.ru_stime.tv_sec - m.ru0.ru_stime.tv_sec) +
	    (double)(ru1.ru_stime.tv_usec - m.ru0.ru_stime.tv_usec) / 1e6;
	usr = (double)(ru1.ru_utime.tv_sec - m.ru0.ru_utime.tv_sec) +
	    (double)(ru1.ru_utime.tv_usec - m.ru0.ru_utime.tv_usec) / 1e6;
	rss1 = rss_kb("VmRSS:");
	st = check_stats_get();
	for (i = 1; i < HEALTH_R__COUNT; i++)
		fails += st->results[i];
	for (i = 0; i < checks_count(cs); i++) {
		struct checks_entry e;

		if (checks_entry(cs, i, &e) && e.health->up)
			nup++;
		if (dump && checks_entry(cs, i, &e)) {
			char a[SOCKADDR_X_STRLEN], why[192];

			printf("entry pool=%s server=%s %s last=%s (%s)\n", e.pool,
			    sockaddr_x_fmt(&e.dest, a, sizeof(a)), e.health->up ? "up" : "down",
			    health_reason_str(e.health->last.reason),
			    health_result_fmt(e.type, &e.health->last, why, sizeof(why)));
		}
	}
	qsort(m.lates, m.nlates, sizeof(*m.lates), cmp_i64);
	printf("checkrun: servers=%zu up=%zu probes=%zu runs=%llu ok=%llu fail=%llu "
	       "timeout=%llu refused=%llu transitions=%u wall_s=%.1f cpu_s=%.2f cpu_user_s=%.2f cpu_pct=%.1f "
	       "rss_kb=%ld rss0_kb=%ld rss_per_server_b=%.0f "
	       "probe_late_max_us=%lld probe_late_over5ms=%llu deferred=%llu "
	       "ticks=%zu tick_p50_us=%lld tick_p99_us=%lld tick_p999_us=%lld tick_max_us=%lld "
	       "tick_over5ms=%llu tick_loop_max_us=%lld tick_loop_over5ms=%llu "
	       "busy_phases=%llu busy_blocked=%llu busy_max_us=%lld busy_over5ms=%llu busy_wall_max_us=%lld "
	       "busy_cpu_max_us=%lld busy_hist=%llu/%llu/%llu/%llu/%llu/%llu/%llu "
	       "run_delay_ms=%lld schedstat=%s conn_opened=%llu conn_reused=%llu conn_retried=%llu "
	       "conn_idle_closed=%llu tls_full=%llu tls_resumed=%llu burst_max_10ms=%u\n",
	    checks_count(cs), nup, checks_probe_count(cs), (unsigned long long)st->runs,
	    (unsigned long long)st->results[HEALTH_R_OK], (unsigned long long)fails,
	    (unsigned long long)st->results[HEALTH_R_TIMEOUT],
	    (unsigned long long)st->results[HEALTH_R_REFUSED], m.transitions, wall, cpu, usr,
	    wall > 0 ? 100.0 * cpu / wall : 0.0, rss1, rss0,
	    checks_count(cs) > 0 ? (double)(rss1 - rss0) * 1024.0 / (double)checks_count(cs) : 0.0,
	    (long long)st->max_late_us,
	    (unsigned long long)(st->late_hist[3] + st->late_hist[4] + st->late_hist[5]),
	    (unsigned long long)st->deferred,
	    m.nlates,
	    (long long)(m.nlates ? m.lates[m.nlates / 2] : 0),
	    (long long)(m.nlates ? m.lates[m.nlates * 99 / 100] : 0),
	    (long long)(m.nlates ? m.lates[m.nlates * 999 / 1000] : 0), (long long)m.tick_max_us,
	    (unsigned long long)m.over5, (long long)m.tick_loop_max_us,
	    (unsigned long long)m.tick_loop_over5, (unsigned long long)m.busy_phases,
	    (unsigned long long)m.busy_blocked,
	    (long long)m.busy_max_us, (unsigned long long)m.busy_over5,
	    (long long)m.busy_wall_max_us, (long long)m.busy_cpu_max_us,
	    (unsigned long long)m.busy_hist[0], (unsigned long long)m.busy_hist[1],
	    (unsigned long long)m.busy_hist[2], (unsigned long long)m.busy_hist[3],
	    (unsigned long long)m.busy_hist[4], (unsigned long long)m.busy_hist[5],
	    (unsigned long long)m.busy_hist[6],
	    (long long)((run_delay_us() - m.rd_total0) / 1000), m.sched_fd >= 0 ? "yes" : "no",
	    (unsigned long long)st->conn_opened, (unsigned long long)st->conn_reused,
	    (unsigned long long)st->conn_retried, (unsigned long long)st->conn_idle_closed,
	    (unsigned long long)st->tls_full, (unsigned long long)st->tls_resumed, st->burst_max);
	fflush(stdout);

	ev_timer_stop(loop_ev(), &m.tick);
	ev_set_loop_release_cb(loop_ev(), NULL, NULL);
	if (ev_is_active(&m.busy_end))
		ev_prepare_stop(loop_ev(), &m.busy_end);
	if (m.sched_fd >= 0)
		close(m.sched_fd);
	checks_free(cs);
	config_free(c);
	free(m.lates);
	loop_fini();
	return 0;
}
