/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drains.h - operator drains as a set the routers share and keep (pure).
 *
 * Every (pool, server) an operator drained or undrained with ipvs-routerctl
 * is one entry: its state (drained, or undrained: kept for a while as a
 * tombstone so that the undrain reaches every router), when (the command's
 * wall-clock time in microseconds), where (the router that took it) and who
 * (the caller, from the control socket's peer credentials).  Entries merge
 * last-writer-wins: the later stamp wins, a tie goes to the greater router
 * name, then to "drained".  Merging is commutative, associative and
 * idempotent, so routers that exchange their sets in any order, any number
 * of times, end up with the same set; a replayed or late message can only
 * repeat what is already known.
 *
 * Text form, for the state file and for the messages between routers, one
 * entry per line:
 *
 *   drain|undrain POOL SERVER STAMP_US ROUTER WHO...
 *
 * SERVER is ADDR, ADDR:PORT, [V6] or [V6]:PORT (no port: every port of the
 * address); WHO is the rest of the line, printable ASCII.  Empty lines and
 * lines starting with '#' are skipped.
 */
#ifndef IPVSR_DRAINS_H
#define IPVSR_DRAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DRAINS_MAX	     4096			/* entries, tombstones included */
#define DRAINS_WHO_MAX	     120			/* bytes of WHO */
#define DRAINS_TOMBSTONE_US  (30LL * 86400 * 1000000) /* undrains are kept this long */
#define DRAINS_LINE_MAX	     (16 + 64 + SOCKADDR_X_STRLEN + 24 + 64 + DRAINS_WHO_MAX)

struct drain_entry {
	const char *pool;	/* a name (name_valid) */
	struct sockaddr_x addr; /* port 0: every port of the address */
	bool drained;		/* false: an undrain (tombstone) */
	uint64_t stamp_us;	/* wall clock of the command, > 0 */
	const char *router;	/* the router that took it (name_valid) */
	const char *who;	/* the caller: printable ASCII, 1..DRAINS_WHO_MAX bytes */
};

/* The set: entries sorted by pool then server; strings owned. */
struct drains {
	struct drain_entry *v;
	size_t n;
};

void drains_init(struct drains *d);
/* Free every entry; the set is left empty and usable.  NULL-safe. */
void drains_free(struct drains *d);

/* NULL when e's fields are all valid, else a short reason. */
const char *drains_check(const struct drain_entry *e);

/*
 * Merge one entry (strings copied): taken when the set has none for its
 * (pool, server) or e wins over the one held.  Returns 1 taken, 0 the held
 * one wins or is the same, -EINVAL invalid fields, -ENOSPC the set holds
 * DRAINS_MAX entries already.  *prev (when not NULL) is set to whether the
 * server was drained before (by that entry).
 */
int drains_put(struct drains *d, const struct drain_entry *e, bool *prev);

/* The entry for exactly (pool, addr with its port), or NULL. */
const struct drain_entry *drains_find(
    const struct drains *d, const char *pool, const struct sockaddr_x *addr);

/* Whether `addr` of `pool` is drained: by an entry for its address and port,
 * or for its address without a port. */
bool drains_drained(const struct drains *d, const char *pool, const struct sockaddr_x *addr);

/* How many entries say "drained". */
size_t drains_count(const struct drains *d);

/* Append one entry as a line, '\n' included. */
void drains_format(const struct drain_entry *e, struct tbuf *out);

/*
 * Parse one line (no newline; modified: *e's strings point into it).
 * Returns 0, 1 for a line to skip (empty, comment), or -EINVAL with *why.
 */
int drains_parse_line(char *line, struct drain_entry *e, const char **why);

/* What drains_merge_text did. */
struct drains_merge {
	size_t taken, same, bad;
	int first_bad_line;	/* 1-based; 0: none */
	const char *first_bad_why;
};

/*
 * Merge text (a state file, a message) line by line.  Entries stamped more
 * than max_ahead_us after now_us are bad (a peer's clock far ahead would win
 * every merge for that long); max_ahead_us 0 skips that test.  changed(arg,
 * e, was_drained) is called for each entry taken (e valid during the call
 * only).  Never fails as a whole: bad lines are counted and skipped.
 */
void drains_merge_text(struct drains *d, const char *text, size_t len, uint64_t now_us,
    uint64_t max_ahead_us, void (*changed)(void *arg, const struct drain_entry *e, bool was),
    void *arg, struct drains_merge *res);

/* Forget undrains older than DRAINS_TOMBSTONE_US before now_us; returns how many. */
size_t drains_expire(struct drains *d, uint64_t now_us);

/*
 * The whole set as text, cut into pieces of at most `max` bytes at line ends
 * (max >= DRAINS_LINE_MAX): emit(arg, piece, len) for each.  Returns the
 * number of pieces (0 for an empty set).
 */
size_t drains_pieces(const struct drains *d, size_t max,
    void (*emit)(void *arg, const char *s, size_t len), void *arg);

#endif
