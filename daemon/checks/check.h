/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - probes on the event loop: scheduling, deadlines, and the
 * interface between the scheduler and the probe types (check_tcp.c,
 * check_http.c, check_exec.c).
 *
 * Edge module.  A probe is one (target address:port, check definition);
 * the composition layer (checks.c) creates one per distinct pair and fans
 * its results out to every pool that shares it.  Each probe has one timer,
 * used as a deadline: while the probe runs it is the end of its timeout,
 * between runs it is the next start.  Starts are spread: the first over
 * a whole interval, then each interval varied by +-jitter_percent, so that
 * 10,000 servers never fire in one burst; and put on a grid of 20 ms (at
 * most a tenth of the interval), so that probes due close together share
 * one wake-up of the loop (check.c, on_grid).  Nothing here blocks: connect,
 * TLS handshake, write and read are all non-blocking and bounded by the
 * probe's deadline; commands run in child processes.
 */
#ifndef IPVSR_CHECK_H
#define IPVSR_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "health.h"
#include "model.h"
#include "util.h"

struct probe;
struct tls_ctx;

/*
 * A check definition as the probes use it: the resolved `struct check`
 * (rise/fall do not matter here) plus what can be prepared once for all
 * servers sharing it (TLS context, fixed request text).  Reference-counted,
 * shared by every probe with an equal definition.
 */
struct check_def {
	struct check ck;
	struct tls_ctx *tls; /* https: NULL when it could not be set up (see error) */
	char *request;	     /* http(s) with a fixed Host: the whole request */
	size_t request_len;
	char *error; /* NULL, or why probes of this definition cannot run */
	int refs;
};

/* A definition for `ck` (deep copy).  Never NULL; problems end up in def->error. */
struct check_def *check_def_new(const struct check *ck);
void check_def_ref(struct check_def *def);
/* Drop a reference; the last one frees.  NULL-safe. */
void check_def_unref(struct check_def *def);

/* Called once per finished run with its result.  Never from inside probe_new/probe_free. */
typedef void (*probe_done_fn)(void *arg, struct probe *p, const struct health_result *r);

/*
 * A probe of `target` (address and the port to connect to) with `def`
 * (a reference is taken).  It starts at a random point of its first
 * interval once probe_schedule() is called.  Never NULL.
 */
struct probe *probe_new(
    const struct sockaddr_x *target, struct check_def *def, probe_done_fn done, void *arg);

/* Begin probing: the first run within one interval (spread), then every interval +-jitter. */
void probe_schedule(struct probe *p, int jitter_percent);

/* Change the jitter of later intervals (checks.jitter_percent after a reload). */
void probe_set_jitter(struct probe *p, int jitter_percent);

/* Stop and free: a run in flight is abandoned without a result.  NULL-safe. */
void probe_free(struct probe *p);

const struct sockaddr_x *probe_target(const struct probe *p);
const struct check_def *probe_def(const struct probe *p);

/*
 * Counters for all probes since start, for metrics and the stall
 * measurements.  Start lateness is how long after its due time a run
 * actually began (the event loop was busy elsewhere).
 */
struct check_stats {
	uint64_t runs; /* started */
	uint64_t results[HEALTH_R__COUNT];
	uint64_t late_hist[6]; /* start lateness: <1ms <2ms <5ms <10ms <50ms >=50ms */
	int64_t max_late_us;
	uint64_t deferred; /* starts put off to a later iteration (budget) */
	unsigned in_flight;
	unsigned probes; /* existing */
	bool local_fault; /* in a local-fault episode (the last result was one) */
	uint64_t local_episodes;
	/* connections of the http(s) probes */
	uint64_t conn_opened; /* connections opened */
	uint64_t conn_reused; /* runs that started on a connection kept from the last */
	uint64_t conn_retried; /* ... whose kept connection failed: the run went on with a new one */
	uint64_t conn_idle_closed; /* kept connections the server closed between runs */
	uint64_t tls_full;	   /* TLS handshakes with a certificate verified */
	uint64_t tls_resumed;	   /* TLS handshakes that resumed a session */
	unsigned burst_max;	   /* most runs started within one 10 ms slot of the clock */
};
const struct check_stats *check_stats_get(void);
void check_stats_reset(void);

/* ------------------------------------------------- for the probe types */

/*
 * One probe type.  start() begins a run (the deadline is already armed)
 * and either completes it at once with probe_finish() or leaves I/O
 * watchers running that later call probe_finish().  abort() releases what
 * a run in flight holds (timeout or probe_free), without a result.
 * phase() names where an unfinished run is, for the timeout message.
 */
struct probe_ops {
	void (*start)(struct probe *p);
	void (*abort)(struct probe *p);
	enum health_phase (*phase)(const struct probe *p);
	/* optional: the deadline passed; true when the type went on with a new
	 * attempt (a kept connection that went silent), which gets a whole timeout */
	bool (*expired)(struct probe *p);
	/* optional: release what the type keeps between runs (probe_state) */
	void (*drop)(struct probe *p);
};

/*
 * libev priority of the probes' I/O watchers, above their timers (0).
 * libev runs the callbacks pending in one iteration highest priority
 * first, and, within a priority, last queued first - timers after I/O.
 * Were they equal, a loop running late (a busy machine) would fire the
 * deadlines of probes whose answers are already waiting, before reading
 * them: false timeouts, servers marked down because we were slow.
 * The election's advert sockets use EV_MAXPRI, above this; its timers this
 * same value (timers run before I/O within a priority: still before ours).
 */
#define PROBE_IO_PRIORITY 1

/*
 * At most this many runs start in one loop iteration; the rest start in
 * the next ones, I/O in between.  After a stall (or at start) thousands of
 * probes can be due at once: starting them all in one go would be the
 * next stall.  In steady state (10,000 probes/s, iterations of about a
 * millisecond) a dozen start per iteration, well below it.
 */
#define PROBE_STARTS_PER_ITERATION 32

extern const struct probe_ops probe_tcp_ops;
extern const struct probe_ops probe_http_ops; /* http and https */
extern const struct probe_ops probe_exec_ops;

/* The run's private state (set by start, cleared by the type before finishing). */
void *probe_flight(const struct probe *p);
void probe_set_flight(struct probe *p, void *flight);

/*
 * What the type keeps from run to run (an open connection, a TLS session);
 * NULL until it sets one.  probe_free calls ops->drop when it is not NULL.
 */
void *probe_state(const struct probe *p);
void probe_set_state(struct probe *p, void *state);

/* The current run goes on with a new attempt: its deadline is a whole timeout from now. */
void probe_restart_deadline(struct probe *p);

/* The counters above, for the types to update. */
struct check_stats *check_stats_mut(void);

/* When this run started (mono_us), and milliseconds since. */
int64_t probe_start_us(const struct probe *p);
int probe_elapsed_ms(const struct probe *p);

/*
 * End the current run with a result: the type has already released its
 * run state.  Re-arms the timer for the next start and reports the result.
 */
void probe_finish(struct probe *p, struct health_result *r);

/* Helpers shared by the socket-based types. */

/* A non-blocking TCP socket connecting to the target; >= 0 fd, or a negative errno
 * (-ECONNREFUSED etc. when connect() failed at once).  *in_progress: wait for writable. */
int probe_connect(const struct probe *p, bool *in_progress);

/* Map a socket errno to a result at `phase` (refused, reset, unreachable, ...). */
void probe_errno_result(struct health_result *r, int err, enum health_phase phase, int elapsed_ms);

/* Close a probe socket with an RST (SO_LINGER 0): no TIME_WAIT on our side. */
void probe_close_fd(int fd);

#endif
