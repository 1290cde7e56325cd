/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawn_book.h - which spawned child is which: the pid and exit bookkeeping
 * of spawn_async (spawn_cmd.h), pure so that it can be tested alone.
 *
 * A command is started on a helper thread and its pid reaches the loop some
 * time later.  libev reaps every child (waitpid(-1) on SIGCHLD), so a child
 * can be reaped before the loop knows its pid: such an exit is kept until a
 * run claims it.  The book holds
 *   - the runs whose pid the loop knows and whose exit it has not seen,
 *     filed by pid;
 *   - the exits of pids no filed run has ("early" exits), each numbered in
 *     the order they were seen;
 *   - how many runs are in flight (submitted, pid not back yet).
 * A run remembers the exit count when it was submitted (spawn_book_submit);
 * its pid then claims the oldest early exit of that pid seen after that
 * mark, so a pid used by an earlier process (reaped before the submission)
 * is never mistaken for the run's.  When nothing is in flight no early exit
 * can be claimed any more, and they are dropped: the book stays as small as
 * the number of runs in flight, whatever other children the process reaps.
 *
 * (The one case it cannot tell apart: two runs in flight at once whose
 * children got the same pid, the first reaped before the second existed -
 * a wrap of the kernel's pid counter within one spawn's time.)
 */
#ifndef IPVSR_SPAWN_BOOK_H
#define IPVSR_SPAWN_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"

#define SPAWN_BOOK_BUCKETS 64

/* Embedded in a run. */
struct spawn_book_entry {
	struct list_node link; /* in its pid's bucket while filed */
	pid_t pid;	       /* once filed */
};

struct spawn_book_early {
	pid_t pid;
	int status;
	uint64_t seq;
};

struct spawn_book {
	struct list_node byp[SPAWN_BOOK_BUCKETS]; /* filed runs, by pid */
	struct spawn_book_early *early;		  /* oldest first */
	size_t nearly, capearly;
	uint64_t seq;	 /* exits seen so far */
	size_t inflight; /* submitted, pid not back */
};

/* Pair: spawn_book_fini (frees the early exits; filed entries are the
 * caller's, unlinked by spawn_book_forget). */
void spawn_book_init(struct spawn_book *b);
void spawn_book_fini(struct spawn_book *b);

/* A run is submitted: its mark, for spawn_book_started. */
uint64_t spawn_book_submit(struct spawn_book *b);

/*
 * The pid of the run submitted at `mark` came back (pid <= 0: it did not
 * start).  true and *status: its child was reaped already (the early exit
 * is taken); false: filed under pid (pid > 0) until spawn_book_exited
 * returns it.
 */
bool spawn_book_started(
    struct spawn_book *b, struct spawn_book_entry *e, pid_t pid, uint64_t mark, int *status);

/*
 * A child was reaped: the run filed under pid (unfiled now), or NULL: the
 * exit is kept for a run in flight, or dropped when none is.
 */
struct spawn_book_entry *spawn_book_exited(struct spawn_book *b, pid_t pid, int status);

/* Unfile `e` if it is filed (a run given up at shutdown).  NULL-safe. */
void spawn_book_forget(struct spawn_book_entry *e);

/* The first filed entry (in no useful order), or NULL: for walking all. */
struct spawn_book_entry *spawn_book_any(const struct spawn_book *b);

#endif
