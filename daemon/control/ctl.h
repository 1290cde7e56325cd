/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.h - the control socket (edge).
 *
 * A unix stream socket; one command per connection:
 *
 *   client: "WORD [WORD...]\n"          (at most CTL_REQUEST_MAX bytes)
 *   server: "CODE TEXT\n" then the body, then it closes the connection.
 *
 * CODE is 200 (done), 400 (bad request), 404 (no such object), 409 (refused,
 * e.g. a reload whose configuration has errors) or 500.  The body is text or
 * JSON, as the command asked.  A client that sends nothing, or no newline
 * within CTL_TIMEOUT_MS, is dropped; so is one that sends more than
 * CTL_REQUEST_MAX bytes (after a 400).  Responses are written without
 * blocking, however large; at most CTL_MAX_CLIENTS connections at a time.
 */
#ifndef IPVSR_CTL_H
#define IPVSR_CTL_H

#include "util.h"

#define CTL_REQUEST_MAX		4096
#define CTL_MAX_WORDS		32
#define CTL_TIMEOUT_MS		5000
#define CTL_MAX_CLIENTS		64

enum ctl_code {
	CTL_OK = 200,
	CTL_BAD_REQUEST = 400,
	CTL_NOT_FOUND = 404,
	CTL_REFUSED = 409,
	CTL_ERROR = 500,
	CTL_DEFERRED = 0,	/* the handler called ctl_defer: ctl_complete answers */
};

/*
 * Runs on the loop thread for each request, with its words.  Writes the body
 * to `out` and returns a ctl_code; the first line of `out` is NOT the status
 * line (the server writes that, from the code and `text`, which defaults to
 * the code's name).
 */
typedef enum ctl_code ctl_handler(void *arg, int argc, char **argv, struct tbuf *out,
    const char **text);

struct ctl;
struct ctl_pending;

/*
 * From inside the handler: answer later.  Returns CTL_DEFERRED's token;
 * the handler returns CTL_DEFERRED.  Complete it with ctl_complete (status
 * line from code and text, then the body); if the client goes first (the
 * socket closed), gone(arg) is called and the token is dead.
 */
struct ctl_pending *ctl_defer(void (*gone)(void *arg), void *arg);
void ctl_complete(struct ctl_pending *p, enum ctl_code code, const char *text,
    const struct tbuf *body);

/*
 * For long answers built over several loop iterations: ctl_status_line
 * writes the status line into `b` first (the body is then appended to it),
 * and ctl_complete_whole hands `b` over to the client as the whole answer
 * without copying it (b is left empty).
 */
void ctl_status_line(struct tbuf *b, enum ctl_code code, const char *text);
void ctl_complete_whole(struct ctl_pending *p, struct tbuf *b);

/*
 * Listen on `path` with file mode `mode` and, if `group` is not NULL, that
 * group.  A stale socket file (nobody answers on it) is replaced; a live one
 * means another daemon owns it: -EADDRINUSE.  Returns 0 with *out set, or a
 * negative errno.
 */
int ctl_open(const char *path, int mode, const char *group, ctl_handler *h, void *arg,
    struct ctl **out);

/*
 * From inside the handler: who sent the request (the kernel's SO_PEERCRED
 * of the connection: the process that connected, its user and group).
 * 0, or a negative errno (outside a handler: -EBADF).
 */
struct ctl_caller {
	long pid, uid, gid;
};
int ctl_caller(struct ctl_caller *out);

/* Stop listening, drop clients, remove the socket file.  NULL-safe. */
void ctl_close(struct ctl *c);

/* Split a request line into words (spaces and tabs); returns the count or -E2BIG. */
int ctl_split(char *line, char **argv, int max);

#endif
