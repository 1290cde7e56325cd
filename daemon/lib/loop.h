/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.h - the event loop: libev's default loop, signals, deferred work and
 * the systemd watchdog.
 *
 * Signals never run daemon code from a signal handler: libev turns them
 * into ordinary callbacks on the loop, and those only call what was
 * registered here.  Core modules never see libev; edges that need watchers
 * get the loop from loop_ev() and include <ev.h> themselves.
 */
#ifndef IPVSR_LOOP_H
#define IPVSR_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;

/*
 * Create the default loop, watch SIGHUP/SIGTERM/SIGINT, ignore SIGPIPE,
 * and start the watchdog ping when systemd asks for one.  Call after any
 * fork.  Returns 0 or a negative errno (nothing to undo then).
 */
int loop_init(void);

/* Stop every watcher this module owns (and spawn_async's: spawn_cmd.h),
 * drop deferred work and destroy the loop.  Safe to call when loop_init
 * failed or was never called; not from inside a loop callback (return from
 * loop_run first). */
void loop_fini(void);

/* Run until loop_break().  Returns 0. */
int loop_run(void);

/* Make loop_run() return once the current callback finishes. */
void loop_break(void);

/*
 * Callbacks for SIGHUP (reload) and SIGTERM/SIGINT (shutdown), run from the
 * loop with the signal number.  One each; a later call replaces the earlier,
 * NULL removes it.  Without a shutdown callback a shutdown signal breaks
 * the loop; without a reload callback SIGHUP is logged and ignored.
 */
void loop_on_reload(void (*cb)(int signo, void *arg), void *arg);
void loop_on_shutdown(void (*cb)(int signo, void *arg), void *arg);

/*
 * Run cb(arg) once, after the callbacks of the current loop iteration and
 * before the loop next waits.  Asking again for the same (cb, arg) before
 * it ran is a no-op, so "something changed" events can each ask and the
 * work runs once.  Work deferred from inside deferred work runs in the next
 * iteration (without blocking in between), so it cannot starve I/O.
 */
void loop_defer(void (*cb)(void *arg), void *arg);

/* Forget a pending loop_defer(cb, arg), e.g. before freeing arg. */
void loop_defer_cancel(void (*cb)(void *arg), void *arg);

/*
 * Monotonic milliseconds, fixed for the whole loop iteration like ev_now()
 * (so every decision taken in one iteration sees one time), but on the
 * monotonic clock: ev_now() is wall-clock time and jumps with it.  Outside
 * loop_run() it is simply the current monotonic time.
 */
int64_t loop_now_ms(void);

/*
 * When the current loop iteration woke up (returned from waiting for
 * events), on the mono_us() clock: the earliest time known for whatever
 * the iteration's callbacks are handling, e.g. a readable descriptor that
 * carries no timestamp of its own.  libev keeps that instant as ev_now(),
 * on the wall clock; this is our monotonic clock moved back by how far the
 * wall clock advanced since (mono_us() when the wall clock stepped, or
 * outside the loop).
 */
int64_t loop_wake_us(void);

/*
 * Run work(arg) on a thread of its own, then done(arg, false) on the loop.
 * For work whose cost grows with the configuration (reading and checking a
 * reload of 100,000 servers takes most of a second): the loop -- adverts,
 * probes -- goes on meanwhile.  work() must not touch the loop or any state
 * the loop owns; done() runs on the loop like any callback.  At loop_fini a
 * job still running is waited for and done(arg, true) says it is cancelled:
 * free what work() made, apply nothing.  0, or -errno (nothing started).
 */
int loop_work(void (*work)(void *arg), void (*done)(void *arg, bool cancelled), void *arg);

/*
 * For a loop_work() job that may hold the CPU for long (kernel IO over a
 * large table): the loop must win the CPU over the calling thread.  On a
 * busy or single-CPU machine such a step would otherwise delay the loop's
 * work (adverts) by a scheduler slice each time the loop wakes.  A
 * real-time policy (inherited) would let it hold the CPU outright: this
 * sets the ordinary policy, 5 nice levels below the loop (a third of its
 * weight).  Lowering needs no privilege.  Call it on the job's thread.
 */
void thread_below_loop(void);

/* The libev loop, for edges that embed watchers; NULL before loop_init(). */
struct ev_loop *loop_ev(void);

#endif
