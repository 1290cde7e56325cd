/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epfile_parse.h - the endpoint-file grammar (pure: bytes in, a set out).
 *
 * One endpoint per line:
 *
 *     ADDRESS[:PORT] [weight=N] [drain]     # comment
 *
 * IPv4 as 192.0.2.10 or 192.0.2.10:443; IPv6 as 2001:db8::10 (no port) or
 * [2001:db8::10] or [2001:db8::10]:443.  Blank lines and '#' comments (whole
 * line or trailing) are ignored; CRLF line ends are accepted.  PORT 0 or
 * absent means the pool's (or the service's) port.  weight=N is 0..65535;
 * absent means the pool's weight.  `drain` keeps the endpoint at weight 0.
 *
 * The result is sorted by (address, port) — the same total order as the
 * configuration's servers — and free of duplicates: an endpoint listed twice
 * with the same attributes counts once; listed twice with different
 * attributes is an error, since either reading would be a guess.
 */
#ifndef IPVSR_EPFILE_PARSE_H
#define IPVSR_EPFILE_PARSE_H

#include <stdbool.h>
#include <time.h>
#include <stddef.h>

#include "util.h"

#define EPFILE_LINE_MAX		1024
#define EPFILE_MAX_ENDPOINTS	100000

struct endpoint {
	struct sockaddr_x addr;	/* port 0 = the pool's port */
	int weight;		/* -1 = the pool's weight */
	bool drain;
	int line;		/* where it was read (first occurrence) */
	time_t since;		/* endpoints.c: first listed (wall clock); 0 from the parser */
};

struct epset {
	struct endpoint *v;
	size_t n;
};

/*
 * Parse `len` bytes of `buf` (need not be NUL-terminated).  `label` names
 * the file in messages.  On success returns 0 and fills *out (free it with
 * epset_free).  On any error returns -EINVAL, leaves *out empty and appends
 * every problem found ("LABEL:LINE: message") to `el` — at most 20, then a
 * count of the rest.  -E2BIG when there are more than EPFILE_MAX_ENDPOINTS.
 */
int epfile_parse(const char *buf, size_t len, const char *label, struct epset *out,
    struct errlist *el);

/* Release what a set owns; NULL-safe; the set is left empty. */
void epset_free(struct epset *s);

/* Deep copy (dst is overwritten, not freed first). */
void epset_copy(struct epset *dst, const struct epset *src);

/* Find an endpoint by address and port; NULL when absent.  O(log n). */
const struct endpoint *epset_find(const struct epset *s, const struct sockaddr_x *addr);

/*
 * Compare two sets in one merge walk.  Counts what `to` adds, removes
 * (relative to `from`) and changes (same address, other weight or drain).
 * Any of the out pointers may be NULL.
 */
struct epset_delta {
	size_t added, removed, changed, kept;
};
void epset_diff(const struct epset *from, const struct epset *to, struct epset_delta *d);

/*
 * The safety rails for replacing a pool's endpoint set `from` by `to`:
 * refuse an empty set unless `allow_empty`, and refuse removing more than
 * `max_drop_percent` of `from` at once (a generator that lost its source
 * writes an empty or truncated file; we keep serving the last good set).
 * `from_valid` is false before the first good set: then only the empty rule
 * applies.  Returns 0 when the update may go ahead, else -EPERM with the
 * reason in why[len] (e.g. "would remove 8 of 10 endpoints (80% > 50%)").
 */
int epset_accept(const struct epset *from, bool from_valid, const struct epset *to,
    bool allow_empty, int max_drop_percent, char *why, size_t len);

#endif
