/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.c - the running daemon: start, reload, stop.
 *
 * Reload follows bgpd: parse a fresh configuration, validate all of it,
 * refuse it on any error and keep running the old one, and only then move
 * from old to new (daemon_apply).  Nothing is torn down to reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "conf_diff.h"
#include "control.h"
#include "endpoints.h"
#include "daemon.h"
#include "explain.h"
#include "checks.h"
#include "cloud.h"
#include "dataplane.h"
#include "syncd.h"
#include "traffic.h"
#include "elect_proto.h"
#include "election.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "util.h"

#define PIDFILE_OPEN_TRIES 5

static int load_config(struct daemon *d, struct config **out);
static void log_errors_since(struct daemon *d, size_t from);
static char *abs_path(const char *path);
static const char *str_or(const char *s, const char *dflt);
static int conf_facility(const struct config *c);
static void status_line(const struct daemon *d, char *buf, size_t len);

static long pidfile_read_pid(int fd);
static int pidfile_open(struct daemon *d);
static int pidfile_write(struct daemon *d);
static void pidfile_close(struct daemon *d);

static int detach_begin(struct daemon *d);
static void detach_finish(struct daemon *d);
static void detach_abort(struct daemon *d);
static void detach_exit(struct daemon *d, int status) __attribute__((noreturn));

static void on_reload_signal(int signo, void *arg);
static void on_shutdown_signal(int signo, void *arg);
static void reload_deferred(void *arg);
static int reload_start(struct daemon *d);
static void checks_pool_settled(void *arg, const char *pool, bool settled);
static void settling_drop(struct daemon *d, size_t i);
static void checks_pool_health(void *arg, const char *pool, bool healthy, unsigned up,
    unsigned total, unsigned min_servers);
static void checks_changed(void *arg);
static bool dp_server_up(void *arg, const char *pool, const struct sockaddr_x *addr);
static bool dp_server_settled(void *arg, const char *pool, const struct sockaddr_x *addr);
static bool dp_drained(void *arg, const char *pool, const struct sockaddr_x *addr);
static void on_role(void *arg, const struct vip *v, enum elect_state from, enum elect_state to);
static bool cloud_is_master(void *arg, const char *vip);
static int64_t cloud_last_heard(void *arg, const char *vip);
static bool cloud_preempted(void *arg, const char *vip);
static struct config *ep_running(void *arg);
static void ep_changed(void *arg, const char *pool);
static void dp_pool_applied(void *arg, const char *pool, size_t nops, int64_t ack_us);
static void dp_ipvs_state(void *arg, bool available);
static const struct config *ctl_config(void *arg);
static void ctl_info(void *arg, struct control_info *out);
static const char *ctl_role(void *arg, const char *vip);
static void ctl_pool_count(void *arg, const char *pool, unsigned *up, unsigned *total);
static size_t ctl_server_count(void *arg);
static bool ctl_server(void *arg, size_t i, struct control_server *out);
static void ctl_server_traffic(void *arg, struct control_server *out);
static int ctl_reload(void *arg, void (*done)(void *ctx, int r), void *ctx);
static void ctl_drains_changed(void *arg, bool local);
static const char *ctl_drains_share_off(void *arg);
static void drains_share(void *arg);
static void on_share(void *arg, const char *peer, const char *body, size_t len);
static void ctl_status_more(void *arg, struct tbuf *out);
static void ctl_metrics(void *arg, struct tbuf *out);
static bool ctl_metrics_section(
    void *arg, unsigned section, struct tbuf *out, size_t *pos, size_t budget);
static uint64_t ctl_metrics_generation(void *arg);
static void ctl_explain(void *arg, const struct sockaddr_x *addr, struct explain *x);
static int ctl_bgp(void *arg, const char *vip, char *why, size_t len);
static int ctl_drain_router(void *arg, int on);

void
daemon_init(struct daemon *d, const struct daemon_opts *opts)
{
	memset(d, 0, sizeof(*d));
	d->opts = *opts;
	d->config_path = xstrdup(opts->config_path);
	d->router_name = xstrdup(opts->router_name);
	if (opts->pidfile != NULL && opts->pidfile[0] != '\0')
		d->pidfile = xstrdup(opts->pidfile);
	/* opts keeps pointing at our copies, never at the caller's strings */
	d->opts.config_path = d->config_path;
	d->opts.router_name = d->router_name;
	d->opts.pidfile = d->pidfile;
	d->pidfd = -1;
	d->detach_fd = -1;
}

void
daemon_fini(struct daemon *d)
{
	if (d == NULL)
		return;
	FREE_AND_NULL(d->config_path);
	FREE_AND_NULL(d->router_name);
	FREE_AND_NULL(d->pidfile);
	FREE_AND_NULL(d->reload_waiters);
	d->nreload_waiters = 0;
	errlist_clear(&d->last_errors);
	memset(&d->opts, 0, sizeof(d->opts));
}

/* ----------------------------------------------------------- helpers */

static const char *
str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

/*
 * After detaching we run in "/", so a relative path given on the command
 * line would name another file at the next reload.  Not realpath(): a
 * symlinked configuration must be followed afresh at every reload.
 */
static char *
abs_path(const char *path)
{
	char *cwd, *p;

	if (path == NULL || path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return xstrdup(path);
	p = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return p;
}

static int
conf_facility(const struct config *c)
{
	int f = log_facility_from_str(str_or(c->router.syslog_facility, "daemon"));

	return f < 0 ? LOG_DAEMON : f;
}

static void
status_line(const struct daemon *d, char *buf, size_t len)
{
	const struct config *c = d->conf;

	snprintf(buf, len, "router %s: %zu vips, %zu pools%s", str_or(c->router.name, "-"),
	    c->nvips, c->npools,
	    d->reloads_refused > 0 ? "; last reload refused, see the log" : "");
}

/*
 * Read and validate the file.  Every error is logged, one per line, then
 * their count; the caller says what it does about it.
 */
/* Log the errors collected in d->last_errors from index `from` on. */
static void
log_errors_since(struct daemon *d, size_t from)
{
	size_t i;

	for (i = from; i < d->last_errors.n; i++)
		log_warnx("%s", d->last_errors.msgs[i]);
}

static int
load_config(struct daemon *d, struct config **out)
{
	struct errlist el;
	size_t i;
	int r;

	errlist_init(&el);
	*out = NULL;
	r = conf_read(d->config_path, d->router_name, out, &el);
	for (i = 0; i < el.n; i++)
		log_warnx("%s", el.msgs[i]);
	if (r < 0 && el.n == 0)
		log_warnc(r, "%s", d->config_path);
	if (r < 0)
		log_warnx("%s: configuration invalid (%zu error%s)", d->config_path, el.n,
		    el.n == 1 ? "" : "s");
	/* kept for ipvs-routerctl status / reload */
	errlist_clear(&d->last_errors);
	d->last_errors = el;
	if (r < 0) {
		config_free(*out);
		*out = NULL;
	} else {
		for (i = 0; i < (*out)->warnings.n; i++)
			log_warnx("%s", (*out)->warnings.msgs[i]);
	}
	return r;
}

/* ----------------------------------------------------------- pidfile */

static long
pidfile_read_pid(int fd)
{
	char buf[32];
	long long pid;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int(buf, 1, INT32_MAX, &pid) < 0)
		return 0;
	return (long)pid;
}

/*
 * The lock, not the file's existence, says whether an instance runs: a
 * crashed daemon leaves its pidfile behind but its flock dies with it.
 * flock rather than fcntl locks, because flock locks belong to the open
 * file and so survive the forks of detaching.  Returns 0, -EEXIST when
 * another instance holds it, or another negative errno (never -EINVAL,
 * which daemon_start reserves for the configuration).
 */
static int
pidfile_open(struct daemon *d)
{
	struct stat fst, pst;
	long pid;
	int fd, r, tries;

	if (d->pidfile == NULL)
		return 0;
	for (tries = 0; tries < PIDFILE_OPEN_TRIES; tries++) {
		fd = open(d->pidfile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
			log_warnc(r, "pidfile %s: cannot open", d->pidfile);
			return r == -EINVAL ? -EIO : r;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = -errno;
			if (r == -EWOULDBLOCK) {
				pid = pidfile_read_pid(fd);
				if (pid > 0)
					log_warnx("pidfile %s: ipvs-router is already running "
						  "(pid %ld), not starting",
					    d->pidfile, pid);
				else
					log_warnx("pidfile %s: locked by another process, "
						  "not starting",
					    d->pidfile);
				r = -EEXIST;
			} else {
				log_warnc(r, "pidfile %s: cannot lock", d->pidfile);
			}
			close(fd);
			return r == -EINVAL ? -EIO : r;
		}
		/*
		 * A stopping instance unlinks the file before it lets go of the
		 * lock; if that happened between our open and our flock, we
		 * hold a lock on a name nobody will find.  Start over.
		 */
		if (fstat(fd, &fst) == 0 && stat(d->pidfile, &pst) == 0 &&
		    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		log_warnx("pidfile %s: keeps being replaced, not starting", d->pidfile);
		return -EBUSY;
	}
	pid = pidfile_read_pid(fd);
	if (pid > 0)
		log_notice("pidfile %s: replacing stale pid %ld (no longer holds the lock)",
		    d->pidfile, pid);
	d->pidfd = fd;
	return 0;
}

static int
pidfile_write(struct daemon *d)
{
	char buf[32];
	int n, r;

	if (d->pidfd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(d->pidfd, 0) < 0 || pwrite(d->pidfd, buf, (size_t)n, 0) != n) {
		r = errno != 0 ? -errno : -EIO;
		log_warnc(r, "pidfile %s: cannot write", d->pidfile);
		return r == -EINVAL ? -EIO : r;
	}
	return 0;
}

/* Unlink while still holding the lock, so no one can lock the old inode
 * and believe they own the name. */
static void
pidfile_close(struct daemon *d)
{
	if (d->pidfd < 0)
		return;
	if (unlink(d->pidfile) < 0 && errno != ENOENT)
		log_warn("pidfile %s: cannot remove", d->pidfile);
	close(d->pidfd);
	d->pidfd = -1;
}

/* ----------------------------------------------------------- detaching */

/*
 * fork, setsid, fork again (a session leader could acquire a controlling
 * terminal; its child cannot), chdir /.  The original process stays until
 * the final child writes its verdict into a pipe, then exits with it: who
 * started us (a shell, an init script, Type=forking) learns whether we
 * really started, and messages up to that point still reach the terminal.
 * Returns 0 in the final child; a negative errno in the original process
 * when the first fork fails.  The other processes never return.
 */
static int
detach_begin(struct daemon *d)
{
	unsigned char verdict;
	int p[2], fd, r;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		log_warnc(r, "cannot detach: pipe");
		return r;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		log_warnc(r, "cannot detach: fork");
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid > 0) {
		close(p[1]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		do
			n = read(p[0], &verdict, 1);
		while (n < 0 && errno == EINTR);
		close(p[0]);
		detach_exit(d, n == 1 ? verdict : DAEMON_EXIT_STARTUP);
	}

	close(p[0]);
	if (setsid() < 0) {
		log_warn("cannot detach: setsid");
		detach_exit(d, DAEMON_EXIT_STARTUP);
	}
	pid = fork();
	if (pid < 0) {
		log_warn("cannot detach: second fork");
		detach_exit(d, DAEMON_EXIT_STARTUP);
	}
	if (pid > 0) {
		close(p[1]);
		detach_exit(d, DAEMON_EXIT_OK);
	}

	if (chdir("/") < 0) {
		log_warn("cannot detach: chdir /");
		detach_exit(d, DAEMON_EXIT_STARTUP);
	}
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot detach: /dev/null");
		detach_exit(d, DAEMON_EXIT_STARTUP);
	}
	/* stderr stays until we are ready, see detach_finish */
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	d->detach_fd = p[1];
	return 0;
}

/*
 * Leave one of the processes that exist only to detach.  The pidfile lock
 * and the daemon's state belong to the final child: close and free our
 * copies (so leak checkers see a clean exit), never unlink.  _exit, since
 * atexit handlers and stdio buffers are the final child's business.
 */
static void
detach_exit(struct daemon *d, int status)
{
	if (d->pidfd >= 0)
		close(d->pidfd);
	config_free(d->conf);
	daemon_fini(d);
	_exit(status);
}

/* Ready: logging moves to syslog, stderr lets go of the terminal, and the
 * waiting parent exits 0. */
static void
detach_finish(struct daemon *d)
{
	unsigned char verdict = DAEMON_EXIT_OK;
	int fd;

	if (d->detach_fd < 0)
		return;
	if (d->use_syslog) {
		log_set_facility(conf_facility(d->conf));
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
	}
	if (write(d->detach_fd, &verdict, 1) != 1)
		log_warn("cannot report readiness to the parent process");
	close(d->detach_fd);
	d->detach_fd = -1;
}

/* Start-up failed after detaching: closing the pipe makes the parent exit 3. */
static void
detach_abort(struct daemon *d)
{
	if (d->detach_fd < 0)
		return;
	close(d->detach_fd);
	d->detach_fd = -1;
}

/* ----------------------------------------------------------- life cycle */

int
daemon_start(struct daemon *d)
{
	char status[256];
	char *p;
	int r;

	if (!d->opts.foreground) {
		p = abs_path(d->config_path);
		free(d->config_path);
		d->config_path = p;
		d->opts.config_path = p;
		p = abs_path(d->pidfile);
		free(d->pidfile);
		d->pidfile = p;
		d->opts.pidfile = p;
	}
	d->use_syslog = !d->opts.foreground && !d->opts.log_stderr;

	r = load_config(d, &d->conf);
	if (r == 0 && (r = endpoints_check(d->conf, &d->last_errors)) < 0)
		log_errors_since(d, 0);
	else if (r == 0)
		r = election_check(d->conf);
	if (r < 0) {
		config_free(d->conf);
		d->conf = NULL;
	}
	if (r < 0) {
		log_warnx("not starting");
		return -EINVAL;
	}

	r = pidfile_open(d);
	if (r < 0)
		goto fail_conf;

	if (!d->opts.foreground) {
		r = detach_begin(d);
		if (r < 0)
			goto fail_pidfile;
	}

	r = pidfile_write(d);
	if (r < 0)
		goto fail_detach;

	r = loop_init();
	if (r < 0) {
		log_warnc(r, "cannot set up the event loop");
		goto fail_detach;
	}
	loop_on_reload(on_reload_signal, d);
	loop_on_shutdown(on_shutdown_signal, d);
	d->election = election_new();
	r = election_init(d->election, d->conf);
	if (r < 0) {
		election_stop(d->election);
		d->election = NULL;
		loop_fini();
		goto fail_detach;
	}
	{
		const struct checks_hooks ch = { checks_changed, checks_pool_health,
			checks_pool_settled, d };
		const struct dataplane_hooks dh = { dp_server_up, dp_server_settled, dp_drained,
			dp_pool_applied, dp_ipvs_state, d };
		const struct cloud_hooks cl = { cloud_is_master, cloud_last_heard, cloud_preempted,
			d };
		const struct endpoints_hooks eh = { ep_running, ep_changed, d };
		const struct control_ops co = { ctl_config, ctl_info, ctl_role, ctl_pool_count,
			ctl_server_count, ctl_server, ctl_server_traffic, ctl_reload, ctl_drains_changed,
			ctl_drains_share_off, ctl_status_more, ctl_metrics, 3 + TRAFFIC_FAMILIES, ctl_metrics_section, ctl_metrics_generation,
			ctl_explain, ctl_bgp, ctl_drain_router, d };

		d->checks = checks_new(&ch);
		d->dataplane = dataplane_new(&dh);
		d->syncd = syncd_new();
		d->cloud = cloud_new(&cl);
		d->endpoints = endpoints_new(&eh);
		d->control = control_new(&co);
	}
	election_share_listen(d->election, on_share, drains_share, d);
	r = election_subscribe(d->election, on_role, d);
	if (r < 0)
		log_warnc(r, "aws: cloud addresses will not follow the election");

	d->loaded_at = time(NULL);
	d->last_reload_ok = true;
	daemon_apply(d, NULL, d->conf);

	d->started = true;
	detach_finish(d);
	status_line(d, status, sizeof(status));
	log_notice(
	    "started (pid %ld, %s, configuration %s)", (long)getpid(), status, d->config_path);
	r = notify_ready(status);
	if (r < 0)
		log_warnc(r, "cannot notify systemd (READY=1)");
	return 0;

fail_detach:
	detach_abort(d);
fail_pidfile:
	pidfile_close(d);
fail_conf:
	config_free(d->conf);
	d->conf = NULL;
	return r == -EINVAL ? -EIO : r;
}

int
daemon_run(struct daemon *d)
{
	return loop_run();
}

/*
 * A reload reads and checks the file on a thread of its own (loop_work): the
 * cost of parsing grows with the configuration (0.2 s for 10,000 servers on
 * a busy machine, most of a second for 100,000) and the loop must go on
 * sending adverts meanwhile.  Only the apply runs on the loop.  Requests that
 * arrive while one runs are served by one more reload after it (the file may
 * have changed since it was read); SIGHUPs in between are folded into it.
 */
struct reload_job {
	struct daemon *d;
	char *path, *router;
	struct config *newc;
	struct errlist el;
	int r;
	int64_t t0;
	struct reload_waiter *waiters;
	size_t nwaiters;
};

static void
reload_work(void *arg)
{
	struct reload_job *j = arg;

	j->r = conf_read(j->path, j->router, &j->newc, &j->el);
	if (j->r == 0 && (j->r = endpoints_check(j->newc, &j->el)) < 0) {
		config_free(j->newc);
		j->newc = NULL;
	}
	if (j->r == 0 && (j->r = election_check(j->newc)) < 0) {
		config_free(j->newc);
		j->newc = NULL;
		errlist_add(&j->el, j->path, 0, "election",
		    "the running system refused it (see the log)");
	}
}

static void
reload_job_free(struct reload_job *j)
{
	config_free(j->newc);
	errlist_clear(&j->el);
	free(j->path);
	free(j->router);
	free(j->waiters);
	free(j);
}

static void
reload_done(void *arg, bool cancelled)
{
	struct reload_job *j = arg;
	struct daemon *d = j->d;
	struct config *old;
	char status[256];
	size_t i;
	int r = j->r;

	if (cancelled) {
		reload_job_free(j);
		return;
	}
	d->reload_running = false;
	for (i = 0; i < j->el.n; i++)
		log_warnx("%s", j->el.msgs[i]);
	errlist_clear(&d->last_errors);
	d->last_errors = j->el;
	errlist_init(&j->el);
	if (r < 0) {
		if (d->last_errors.n == 0)
			log_warnc(r, "%s", d->config_path);
		log_warnx("%s: configuration invalid (%zu error%s)", d->config_path,
		    d->last_errors.n, d->last_errors.n == 1 ? "" : "s");
		d->reloads_refused++;
		d->reloads_refused_total++;
		d->last_reload_ok = false;
		log_warnx("reload refused, keeping the running configuration");
	} else {
		for (i = 0; i < j->newc->warnings.n; i++)
			log_warnx("%s", j->newc->warnings.msgs[i]);
		old = d->conf;
		daemon_apply(d, old, j->newc);
		d->conf = j->newc;
		j->newc = NULL;
		config_free(old);
		d->reloads_ok++;
		d->reloads_refused = 0;
		d->last_reload_ok = true;
		d->loaded_at = time(NULL);
		log_notice("reload: configuration accepted in %.1f ms (%zu vips, %zu pools): %s",
		    (mono_us() - j->t0) / 1000.0, d->conf->nvips, d->conf->npools,
		    d->last_change);
	}
	d->last_reload_us = mono_us() - j->t0;
	status_line(d, status, sizeof(status));
	if (notify_ready(status) < 0)
		log_debug("cannot notify systemd (READY=1 after reload)");
	for (i = 0; i < j->nwaiters; i++)
		j->waiters[i].done(j->waiters[i].ctx, r);
	reload_job_free(j);
	if (d->reload_again) {
		d->reload_again = false;
		reload_start(d);
	}
}

/* Start the reload with every waiter queued so far.  0 or -errno. */
static int
reload_start(struct daemon *d)
{
	struct reload_job *j = xcalloc(1, sizeof(*j));
	int r;

	r = notify_reloading("reloading the configuration");
	if (r < 0)
		log_warnc(r, "cannot notify systemd (RELOADING=1)");
	log_info("reload: reading %s", d->config_path);
	j->d = d;
	j->path = xstrdup(d->config_path);
	j->router = xstrdup(d->router_name);
	j->t0 = mono_us();
	errlist_init(&j->el);
	j->waiters = d->reload_waiters;
	j->nwaiters = d->nreload_waiters;
	d->reload_waiters = NULL;
	d->nreload_waiters = 0;
	r = loop_work(reload_work, reload_done, j);
	if (r < 0) {
		size_t i;

		log_warnc(r, "reload: cannot start a thread for it");
		for (i = 0; i < j->nwaiters; i++)
			j->waiters[i].done(j->waiters[i].ctx, r);
		reload_job_free(j);
		return r;
	}
	d->reload_running = true;
	return 0;
}

int
daemon_reload(struct daemon *d, void (*done)(void *ctx, int r), void *ctx)
{
	if (done != NULL) {
		d->reload_waiters = xreallocarray(d->reload_waiters, d->nreload_waiters + 1,
		    sizeof(*d->reload_waiters));
		d->reload_waiters[d->nreload_waiters].done = done;
		d->reload_waiters[d->nreload_waiters].ctx = ctx;
		d->nreload_waiters++;
	}
	if (d->reload_running) {
		d->reload_again = true;
		return 0;
	}
	return reload_start(d);
}

void
daemon_apply(struct daemon *d, struct config *old_conf, struct config *new_conf)
{
	struct conf_diff df;
	size_t i;
	int fac;

	endpoints_apply(d->endpoints, old_conf, new_conf); /* dynamic servers first: everyone sees them */
	cloud_apply(d->cloud, old_conf, new_conf); /* records exist before their first role change */
	election_apply(d->election, old_conf, new_conf);
	/* the sync daemon follows its VIP's role: known once the election has the VIP */
	syncd_role(d->syncd, new_conf->election.sync.vip != NULL &&
	    election_role(d->election, new_conf->election.sync.vip) == ELECT_MASTER);
	syncd_configure(d->syncd, &new_conf->election.sync);
	checks_apply(d->checks, new_conf); /* after the election: it hears of pool health */
	dataplane_apply(d->dataplane, old_conf, new_conf); /* reconciles, deferred, with health known */
	control_apply(d->control, old_conf, new_conf);
	if (old_conf == NULL) {
		log_info("apply: router %s, %zu vips, %zu pools, election %s, aws %s",
		    str_or(new_conf->router.name, "-"), new_conf->nvips, new_conf->npools,
		    new_conf->election.present ? "on" : "off (standalone)",
		    new_conf->aws.present ? "on" : "off");
		return;
	}

	/* One line per changed object, then the summary the reload log line repeats. */
	conf_diff(old_conf, new_conf, &df);
	for (i = 0; i < df.n; i++)
		log_info("apply: %s %s%s%s", df.v[i].kind == CHANGE_NEW ? "new" :
		    df.v[i].kind == CHANGE_DELETE ? "removed" : "changed", df.v[i].object,
		    df.v[i].detail ? ": " : "", df.v[i].detail ? df.v[i].detail : "");
	conf_diff_summary(&df, d->last_change, sizeof(d->last_change));
	conf_diff_free(&df);

	fac = conf_facility(new_conf);
	if (d->use_syslog && fac != conf_facility(old_conf)) {
		log_notice("apply: syslog facility now %s",
		    str_or(new_conf->router.syslog_facility, "daemon"));
		log_set_facility(fac);
	}
}

void
daemon_stop(struct daemon *d)
{
	int r;

	if (d->started) {
		r = notify_stopping("stopping");
		if (r < 0)
			log_debug("cannot notify systemd (STOPPING=1)");
		log_notice("stopping");
	}
	control_stop(d->control); /* no more commands or scrapes while the rest winds down */
	d->control = NULL;
	endpoints_stop(d->endpoints);
	d->endpoints = NULL;
	checks_free(d->checks); /* probes stop first: no more pool health reports */
	d->checks = NULL;
	if (d->election != NULL)
		election_unsubscribe(d->election, on_role, d);
	cloud_stop(d->cloud); /* before the election leaves: a backup never touches the addresses */
	d->cloud = NULL;
	election_stop(d->election); /* priority-0 adverts, addresses removed, notify run out */
	d->election = NULL;
	syncd_free(d->syncd); /* the daemon it started stops: a backup took the VIP over */
	d->syncd = NULL;
	dataplane_fini(d->dataplane); /* IPVS rules stay unless ipvs.flush_on_exit */
	d->dataplane = NULL;
	while (d->nsettling > 0)
		settling_drop(d, d->nsettling - 1);
	FREE_AND_NULL(d->settling);
	if (ev_is_active(&d->grace))
		ev_timer_stop(loop_ev(), &d->grace);
	loop_fini(); /* drops a pending reload too */
	detach_abort(d);
	pidfile_close(d);
	config_free(d->conf);
	d->conf = NULL;
	if (d->started)
		log_notice("stopped");
	d->started = false;
}

/* ----------------------------------------------------------- signals */

static void
on_reload_signal(int signo, void *arg)
{
	log_info("SIGHUP received, reloading");
	/* However many SIGHUPs arrive in one iteration, reload once. */
	loop_defer(reload_deferred, arg);
}

static void
reload_deferred(void *arg)
{
	daemon_reload(arg, NULL, NULL);
}

static void
grace_over(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	loop_break();
}

/*
 * A stop withdraws the BGP VIPs' routes first and goes on serving for
 * bgp.withdraw_grace_ms, so that the routers upstream move the flows away
 * before the addresses (and, with flush_on_exit, the IPVS services) go; a
 * second signal ends the wait.
 */
static void
on_shutdown_signal(int signo, void *arg)
{
	struct daemon *d = arg;
	const char *sig = signo == SIGINT ? "SIGINT" : "SIGTERM";
	int n, grace;

	if (d->stopping) {
		log_notice("%s received again: stopping now", sig);
		loop_break();
		return;
	}
	d->stopping = true;
	log_notice("%s received, shutting down", sig);
	n = election_withdraw_all(d->election);
	grace = d->conf != NULL ? d->conf->bgp.withdraw_grace_ms : 0;
	if (n <= 0 || grace <= 0) {
		loop_break();
		return;
	}
	if (notify_stopping("withdrawing BGP routes") < 0)
		log_debug("cannot notify systemd (STOPPING=1)");
	log_notice("bgp: %d route%s withdrawn; serving %d ms more while the routers upstream "
		   "move the flows (bgp.withdraw_grace_ms)", n, n == 1 ? "" : "s", grace);
	ev_timer_init(&d->grace, grace_over, grace / 1000., 0.);
	ev_timer_start(loop_ev(), &d->grace);
}

/* ----------------------------------------------------------- wiring
 *
 * Each subsystem reports through its hooks; the composer forwards to the
 * subsystem that cares.  Nothing below decides anything.
 */

/* A pool crossed its min_servers: the VIPs using it react (on_pool_failure). */
static void
checks_pool_health(void *arg, const char *pool, bool healthy, unsigned up, unsigned total,
    unsigned min_servers)
{
	struct daemon *d = arg;

	election_pool_health(d->election, pool, !healthy);
}

/* Whether pool is in d->settling (and at which index, into *at). */
static bool
settling_find(const struct daemon *d, const char *pool, size_t *at)
{
	size_t i;

	for (i = 0; i < d->nsettling; i++)
		if (strcmp(d->settling[i], pool) == 0) {
			*at = i;
			return true;
		}
	return false;
}

static void
settling_drop(struct daemon *d, size_t i)
{
	free(d->settling[i]);
	d->settling[i] = d->settling[--d->nsettling];
}

/*
 * A pool's servers have all had their say, or not: the VIPs using it preempt only then,
 * and only once the IPVS table holds the verdicts: the election hears "settled" when the
 * dataplane reports the pool applied (dp_pool_applied).  Before, a router that came back
 * preempted while its table still had one server of three (the health verdicts were in,
 * the reconcile still on its thread): mh sent two thirds of the flows elsewhere
 * (bench/failover-flows: 70 of 200 survived the move back).
 */
static void
checks_pool_settled(void *arg, const char *pool, bool settled)
{
	struct daemon *d = arg;
	size_t i;

	if (!settled) {
		if (settling_find(d, pool, &i))
			settling_drop(d, i);
		election_pool_settled(d->election, pool, false);
		return;
	}
	if (!settling_find(d, pool, &i)) {
		d->settling = xreallocarray(d->settling, d->nsettling + 1, sizeof(*d->settling));
		d->settling[d->nsettling++] = xstrdup(pool);
	}
	dataplane_pool_dirty(d->dataplane, pool);
}

/* Some server went up or down. */
static void
checks_changed(void *arg)
{
	struct daemon *d = arg;

	dataplane_dirty(d->dataplane);
}

static bool
dp_server_up(void *arg, const char *pool, const struct sockaddr_x *addr)
{
	const struct daemon *d = arg;

	return checks_server_up(d->checks, pool, addr);
}

static bool
dp_server_settled(void *arg, const char *pool, const struct sockaddr_x *addr)
{
	const struct daemon *d = arg;
	struct checks_entry e;
	size_t lo = 0, hi = checks_count(d->checks), mid;
	bool any = false;
	int c;

	/* entries are in (pool, address, port) order: find the first of ours */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!checks_entry(d->checks, mid, &e))
			return true;
		c = strcmp(e.pool, pool);
		if (c == 0)
			c = sockaddr_x_cmp_addr(&e.dest, addr);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; checks_entry(d->checks, lo, &e); lo++) {
		if (strcmp(e.pool, pool) != 0 || sockaddr_x_cmp_addr(&e.dest, addr) != 0)
			break;
		any = true;
		if (e.health->up || (e.health->seen && e.health->last.reason != HEALTH_R_OK))
			return true;
	}
	return !any;
}

static bool
dp_drained(void *arg, const char *pool, const struct sockaddr_x *addr)
{
	const struct daemon *d = arg;

	return control_drained(d->control, pool, addr);
}

/* Every role change of every VIP: the cloud addresses follow. */
static void
on_role(void *arg, const struct vip *v, enum elect_state from, enum elect_state to)
{
	struct daemon *d = arg;

	if (from == ELECT_MASTER && to == ELECT_MASTER) {
		/* no role change: a rival claimed the VIP and we reasserted it */
		cloud_reassert(d->cloud, v);
		return;
	}
	cloud_role(d->cloud, v, from == ELECT_MASTER, to == ELECT_MASTER);
	if (d->conf != NULL && d->conf->election.sync.vip != NULL && v->name != NULL &&
	    strcmp(v->name, d->conf->election.sync.vip) == 0)
		syncd_role(d->syncd, to == ELECT_MASTER);
}

static bool
cloud_is_master(void *arg, const char *vip)
{
	const struct daemon *d = arg;

	return election_role(d->election, vip) == ELECT_MASTER;
}

static int64_t
cloud_last_heard(void *arg, const char *vip)
{
	const struct daemon *d = arg;

	return election_last_heard_ms(d->election, vip);
}

static bool
cloud_preempted(void *arg, const char *vip)
{
	const struct daemon *d = arg;

	return election_preempted(d->election, vip);
}

static struct config *
ep_running(void *arg)
{
	struct daemon *d = arg;

	return d->conf;
}

/* An endpoints file changed a pool between reloads. */
static void
ep_changed(void *arg, const char *pool)
{
	struct daemon *d = arg;

	checks_apply(d->checks, d->conf);
	dataplane_pool_dirty(d->dataplane, pool);
}

/* The dataplane applied a pool it was told changed: endpoint files time it. */
static void
dp_pool_applied(void *arg, const char *pool, size_t nops, int64_t ack_us)
{
	struct daemon *d = arg;
	size_t i;

	endpoints_applied(d->endpoints, pool, nops, ack_us);
	if (settling_find(d, pool, &i)) {
		settling_drop(d, i);
		election_pool_settled(d->election, pool, true);
	}
}

/* BGP VIPs are announced only where IPVS can serve them. */
static void
dp_ipvs_state(void *arg, bool available)
{
	struct daemon *d = arg;

	election_ipvs_state(d->election, available);
}

static const struct config *
ctl_config(void *arg)
{
	const struct daemon *d = arg;

	return d->conf;
}

static void
ctl_info(void *arg, struct control_info *out)
{
	const struct daemon *d = arg;

	out->config_path = d->config_path;
	out->router_name = d->router_name;
	out->loaded_at = d->loaded_at;
	out->reloads_ok = d->reloads_ok;
	out->reloads_refused = d->reloads_refused_total;
	out->last_reload_ok = d->last_reload_ok;
	out->last_errors = &d->last_errors;
	out->last_change = d->last_change;
	out->last_reload_us = d->last_reload_us;
}

static const char *
ctl_role(void *arg, const char *vip)
{
	const struct daemon *d = arg;

	switch (election_role(d->election, vip)) {
	case ELECT_MASTER:
		return "MASTER";
	case ELECT_BACKUP:
		return "BACKUP";
	case ELECT_FAULT:
		return "FAULT";
	default:
		return "INIT";
	}
}

static void
ctl_pool_count(void *arg, const char *pool, unsigned *up, unsigned *total)
{
	const struct daemon *d = arg;

	checks_pool_count(d->checks, pool, up, total);
}

static size_t
ctl_server_count(void *arg)
{
	const struct daemon *d = arg;

	return checks_count(d->checks);
}

static bool
ctl_server(void *arg, size_t i, struct control_server *out)
{
	const struct daemon *d = arg;
	const struct health *h;
	struct checks_entry e;

	if (!checks_entry(d->checks, i, &e))
		return false;
	h = e.health;
	out->pool = e.pool;
	out->dest = e.dest;
	out->check = check_type_str(e.type);
	out->up = h != NULL && h->up;
	out->since_ms = h != NULL ? h->since_ms : -1;
	if (h != NULL && h->seen)
		health_result_fmt(e.type, &h->last, out->result, sizeof(out->result));
	else
		snprintf(out->result, sizeof(out->result), "%s",
		    e.type == CHECK_NONE ? "no check" : "not checked yet");
	if (h != NULL && h->local_err != 0) {
		size_t n = strlen(out->result);

		snprintf(out->result + n, sizeof(out->result) - n, "; probes held back: %s",
		    h->local_err > 0 ? strerror(h->local_err) : "local error");
	}
	return true;
}

static int
ctl_reload(void *arg, void (*done)(void *ctx, int r), void *ctx)
{
	return daemon_reload(arg, done, ctx);
}

static void
ctl_drains_changed(void *arg, bool local)
{
	struct daemon *d = arg;

	dataplane_dirty(d->dataplane);
	if (local)
		drains_share(d);
}

static const char *
ctl_drains_share_off(void *arg)
{
	const struct daemon *d = arg;

	return election_share_off(d->election);
}

/*
 * The operators' drains travel between the routers over the election's
 * channel (authenticated mode): sent whole at every local change and every
 * ELECTION_SHARE_EVERY_MS; each router merges what it hears (last writer
 * wins, control/drains.h), so a drain holds on every router, across a
 * failover, and reaches one that was down once it is back.
 */
static void
share_piece(void *arg, const char *s, size_t len)
{
	struct daemon *d = arg;

	(void)election_share_send(d->election, s, len);
}

static void
drains_share(void *arg)
{
	struct daemon *d = arg;

	if (d->control != NULL && election_share_off(d->election) == NULL)
		(void)control_drains_pieces(d->control, ELECT_SHARE_BODY_MAX, share_piece, d);
}

static void
on_share(void *arg, const char *peer, const char *body, size_t len)
{
	struct daemon *d = arg;

	if (d->control != NULL)
		control_drains_merge(d->control, peer, body, len);
}

static void
ctl_status_more(void *arg, struct tbuf *out)
{
	const struct daemon *d = arg;

	endpoints_status(d->endpoints, out);
	if (d->conf != NULL && d->conf->election.sync.present)
		tbuf_printf(out, "\nsync daemon: %s (follows vip %s)\n", syncd_state(d->syncd),
		    d->conf->election.sync.vip);
}

static int
ctl_bgp(void *arg, const char *vip, char *why, size_t len)
{
	const struct daemon *d = arg;

	return election_bgp_state(d->election, vip, why, len);
}

static int
ctl_drain_router(void *arg, int on)
{
	struct daemon *d = arg;

	if (on < 0)
		return election_router_drained(d->election) ? 1 : 0;
	return election_drain_router(d->election, on == 1);
}

static bool
ctl_metrics_section(void *arg, unsigned section, struct tbuf *out, size_t *pos, size_t budget)
{
	const struct daemon *d = arg;

	switch (section) {
	case 0:
		return checks_metrics_servers(d->checks, CHECKS_FAM_UP, out, pos, budget);
	case 1:
		return checks_metrics_servers(d->checks, CHECKS_FAM_REASON, out, pos, budget);
	case 2:
		return dataplane_metrics_dests(d->dataplane, out, pos, budget);
	default:
		/* 3 .. 3 + TRAFFIC_FAMILIES - 1 */
		return traffic_metrics(dataplane_traffic(d->dataplane), section - 3, out, pos, budget);
	}
}

static uint64_t
ctl_metrics_generation(void *arg)
{
	const struct daemon *d = arg;

	/* all only grow: the sum changes when any does */
	return checks_generation(d->checks) + dataplane_generation(d->dataplane) +
	       traffic_generation(dataplane_traffic(d->dataplane));
}

static void
ctl_metrics(void *arg, struct tbuf *out)
{
	const struct daemon *d = arg;

	checks_metrics(d->checks, out);
	election_metrics(d->election, out);
	dataplane_metrics(d->dataplane, out);
	endpoints_metrics(d->endpoints, out);
	cloud_metrics(d->cloud, out);
}

/*
 * ipvs-routerctl explain POOL SERVER: every subsystem adds what it knows
 * (control adds the operator's drain itself).  The member is the pool's
 * first server of that address (and port, when given).
 */
static void
ctl_explain(void *arg, const struct sockaddr_x *addr, struct explain *x)
{
	const struct daemon *d = arg;
	const struct config *c = d->conf;
	const struct pool *p = c != NULL ? config_find_pool(c, x->pool) : NULL;
	const struct server *s = NULL;
	struct sockaddr_x dest;
	size_t i, j;

	if (c != NULL && c->router.name != NULL)
		snprintf(x->router, sizeof(x->router), "%s", c->router.name);
	for (i = 0; p != NULL && i < p->nservers && s == NULL; i++) {
		const struct server *t = &p->servers[i];
		uint16_t port = t->addr.port ? t->addr.port : (uint16_t)p->port;

		if (sockaddr_x_cmp_addr(&t->addr, addr) == 0 &&
		    (addr->port == 0 || port == 0 || port == addr->port))
			s = t;
	}
	if (s == NULL)
		return;
	x->member.found = true;
	x->member.dynamic = s->dynamic;
	x->member.weight = s->weight;
	x->member.drain = s->drain;
	x->member.line = s->line;
	x->member.grace_left_ms = -1;
	if (s->dynamic)
		endpoints_explain(d->endpoints, p->name, &s->addr, &x->member);
	else
		snprintf(x->member.src, sizeof(x->member.src), "%s",
		    s->src != NULL ? s->src : d->config_path);
	dest = s->addr;
	if (dest.port == 0)
		dest.port = (uint16_t)p->port;
	if (addr->port != 0)
		dest.port = addr->port;
	checks_explain(d->checks, p->name, &dest, loop_now_ms(), &x->health);
	dataplane_explain(d->dataplane, p->name, &dest, &x->dp);
	for (i = 0; i < c->nvips && x->nvips < EXPLAIN_VIPS; i++) {
		const struct vip *v = &c->vips[i];
		struct explain_vip *ev;

		for (j = 0; j < v->nservices; j++)
			if (v->services[j].pool == p)
				break;
		if (j == v->nservices || v->name == NULL)
			continue;
		ev = &x->vips[x->nvips++];
		memset(ev, 0, sizeof(*ev));
		snprintf(ev->name, sizeof(ev->name), "%s", v->name);
		ev->heard_ago_ms = -1;
		if (c->election.present)
			(void)election_explain(d->election, v->name, ev);
	}
}

/* show servers only: the IPVS traffic to a server (asking starts the reads). */
static void
ctl_server_traffic(void *arg, struct control_server *out)
{
	struct daemon *d = arg;
	struct traffic_sum ts;

	traffic_dest(dataplane_traffic(d->dataplane), &out->dest, &ts);
	out->traffic = ts.known;
	out->traffic_age_ms = ts.age_ms;
	out->active = ts.active;
	out->inactive = ts.inactive;
	out->conns = ts.conns;
	out->cps = ts.cps;
	out->inpps = ts.inpps;
	out->outpps = ts.outpps;
	out->inbps = ts.inbps;
	out->outbps = ts.outbps;
}
