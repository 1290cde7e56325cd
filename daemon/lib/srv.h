/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv.h - a small one-request-per-connection server on the libev loop (edge).
 *
 * Shared by the control socket (unix, one line) and the metrics listener
 * (TCP, an HTTP request head).  For each connection: read until the request
 * terminator, within a size limit and a deadline; hand the request to the
 * handler; write its response without blocking; close.  Clients that are
 * silent, slow, too large or too many cannot stall the loop or exhaust us.
 */
#ifndef IPVSR_SRV_H
#define IPVSR_SRV_H

#include "util.h"

struct srv_params {
	const char *name;	/* for log messages: "control socket", "metrics" */
	const char *terminator;	/* end of a request: "\n" or "\r\n\r\n" */
	size_t max_request;	/* bytes, terminator included */
	int timeout_ms;		/* to receive the whole request */
	int write_timeout_ms;	/* to send the whole response */
	int max_clients;
};

/*
 * Build the whole response (status line included) in `resp`.  `req` is the
 * request up to (not including) the terminator, NUL-terminated, NUL-free.
 * When the request was refused before the handler (too long, NUL byte),
 * `req` is NULL and `error` says why.
 */
typedef void srv_handler(void *arg, char *req, const char *error, struct tbuf *resp);

struct srv;

/* Serve on a listening, non-blocking socket `fd` (taken over: closed by srv_free). */
struct srv *srv_new(int fd, const struct srv_params *p, srv_handler *h, void *arg);

/* Drop every client and close the listening socket.  NULL-safe. */
void srv_free(struct srv *s);

/*
 * Answer later: called from inside the handler, it keeps the connection
 * open with nothing written, and returns the client to answer with
 * srv_finish once its response is in srv_resp(client).  `gone(arg)` is
 * called if the client is dropped first (the server freed), after which
 * the client must not be used.  NULL outside a handler.
 */
struct srv_client;
struct srv_client *srv_defer(void (*gone)(void *arg), void *arg);
struct tbuf *srv_resp(struct srv_client *cl);
/* The socket of the client whose request the handler is running for; -1 outside one. */
int srv_current_fd(void);
void srv_finish(struct srv_client *cl);

#endif
