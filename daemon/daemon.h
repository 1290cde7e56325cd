/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.h - the running daemon: configuration, pidfile, start, reload, stop.
 *
 * The composition module: it owns the running state and is the only place
 * that calls into both the core (configuration) and the edges (loop,
 * notify).  Life cycle, each pair undone in reverse:
 *
 *   daemon_init   -> daemon_start -> daemon_run -> daemon_stop -> daemon_fini
 *
 * Events only mark work and defer it to the loop; SIGHUP becomes one
 * daemon_reload() per loop iteration however many arrive.
 *
 * The subsystems (daemon/<name>/) never include this header: each is
 * handed what it needs (the configuration, a struct of hooks) and reports
 * through those hooks; this module is where they meet.
 */
#ifndef IPVSR_DAEMON_H
#define IPVSR_DAEMON_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model.h"

struct checks;
struct dataplane;
struct cloud;
struct election_rt;
struct control;
struct endpoints;

/* Process exit statuses, documented in --help and ipvs-router(8). */
enum daemon_exit {
	DAEMON_EXIT_OK = 0,
	DAEMON_EXIT_CONFIG = 1,	 /* configuration invalid or unreadable */
	DAEMON_EXIT_USAGE = 2,	 /* bad command line */
	DAEMON_EXIT_STARTUP = 3, /* pidfile, fork, loop, ... */
	DAEMON_EXIT_DOCTOR = 4,	 /* doctor: at least one check failed */
};

struct daemon_opts {
	const char *config_path;
	const char *router_name; /* NULL: router.name, else the host name */
	const char *pidfile;	 /* NULL or "": no pidfile */
	bool foreground;	 /* false: detach and log to syslog */
	bool log_stderr;	 /* keep logging to stderr when detached */
	bool debug;
};

/* Who waits for a reload's result (ipvs-routerctl reload). */
struct reload_waiter {
	void (*done)(void *ctx, int r); /* r: 0 accepted, or -errno (refused) */
	void *ctx;
};

struct daemon {
	struct daemon_opts opts; /* strings below are our own copies */
	char *config_path;	 /* absolute once detached (we chdir to /) */
	char *router_name;
	char *pidfile;

	struct config *conf; /* the running configuration */
	struct election_rt *election; /* election.c: instances per VIP, roles */
	struct checks *checks;	      /* checks.c: health table and probes */
	struct dataplane *dataplane;  /* dataplane.c: IPVS table, applied view */
	struct syncd *syncd;	      /* syncd.c: the kernel's connection sync daemon */
	bool stopping;		      /* SIGTERM/SIGINT taken: BGP routes withdrawn */
	ev_timer grace;		      /* then bgp.withdraw_grace_ms of serving */
	char **settling;	      /* pools settled by health, not yet applied to IPVS */
	size_t nsettling;
	struct cloud *cloud;	      /* cloud.c: EIPs / private IPs follow the roles */
	struct control *control;      /* control.c: ipvs-routerctl and metrics */
	struct endpoints *endpoints;  /* endpoints.c: pools fed by endpoint files */

	int pidfd;	 /* locked pidfile, -1: none */
	int detach_fd;	 /* pipe to the waiting parent, -1: none */
	bool use_syslog; /* detached without -l */
	bool started;
	unsigned reloads_ok, reloads_refused;
	/* what ipvs-routerctl status and the metrics report of reloads */
	unsigned reloads_refused_total;
	bool last_reload_ok;	      /* true until a reload is refused */
	struct errlist last_errors;   /* of the last configuration read */
	time_t loaded_at;	      /* when the running configuration was loaded */
	int64_t last_reload_us;	      /* read + check + apply */
	char last_change[160];	      /* the last accepted reload's diff summary */
	bool reload_running;	      /* a reload is being read on its thread */
	bool reload_again;	      /* another one was asked for meanwhile */
	struct reload_waiter *reload_waiters; /* for the next reload to start */
	size_t nreload_waiters;
};

/* Take copies of the options; no side effects.  Pair: daemon_fini. */
void daemon_init(struct daemon *d, const struct daemon_opts *opts);
/* Free what daemon_init took.  NULL-safe, idempotent. */
void daemon_fini(struct daemon *d);

/*
 * Read and validate the configuration, lock and write the pidfile, detach
 * (unless foreground), set up the loop and tell systemd READY=1.  Problems
 * with the configuration are reported before detaching, so the user sees
 * them.  Returns 0; -EINVAL when the configuration is invalid or unreadable
 * (every error already logged); any other negative errno when start-up
 * failed for another reason (pidfile in use, fork, loop).  On failure
 * everything started is undone.  When detaching, only the detached child
 * returns; the original process exits with 0 once the child reports ready,
 * or 3 if the child fails first.
 */
int daemon_start(struct daemon *d);

/* Run the loop until SIGTERM/SIGINT.  Returns 0. */
int daemon_run(struct daemon *d);

/*
 * Re-read the configuration file: read and checked on a thread of its own,
 * applied on the loop (the loop keeps sending adverts meanwhile).  Any
 * error: every error logged, the running configuration kept.  Success:
 * daemon_apply(old, new), then the new configuration replaces the old one.
 * systemd sees RELOADING=1 then READY=1 either way.  done(ctx, r), if not
 * NULL, gets the result (0, or -EINVAL / the read error) of a reload that
 * started after this call.  Returns 0 (started, or folded into the next
 * one), or a negative errno when no reload could be started (done has been
 * called with it).
 */
int daemon_reload(struct daemon *d, void (*done)(void *ctx, int r), void *ctx);

/*
 * Move the running system from `old_conf` (NULL at start) to `new_conf`.
 * Both are validated.  Every subsystem applies new_conf, in dependency
 * order; then what changed is logged, one line per object.
 */
void daemon_apply(struct daemon *d, struct config *old_conf, struct config *new_conf);

/* STOPPING=1, tear down the loop, remove the pidfile, free the
 * configuration.  Safe after a failed or no daemon_start. */
void daemon_stop(struct daemon *d);

#endif
