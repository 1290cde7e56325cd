/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_http.h - the Prometheus scrape endpoint (edge).
 *
 * A TCP listener answering GET /metrics with the text exposition that the
 * render callback builds at scrape time; GET / points there; anything else
 * is 404 (unknown path) or 405 (not GET/HEAD).  Plain HTTP/1.1 answers with
 * Connection: close, built on srv.c (bounded requests, deadlines, limits).
 */
#ifndef IPVSR_METRICS_HTTP_H
#define IPVSR_METRICS_HTTP_H

#include "util.h"

#define METRICS_REQUEST_MAX	8192
#define METRICS_TIMEOUT_MS	5000
#define METRICS_MAX_CLIENTS	16

/*
 * The exposition is rendered in steps, one per loop iteration, so that a
 * large one (100,000 servers: tens of MB) never holds the loop (adverts,
 * probes) for long: each call appends the next part to `out` and returns
 * true once it is complete.  *state is the renderer's own (NULL at the
 * first call); `done(arg, state)` is called once at the end, also when the
 * client goes first, to free it.
 */
typedef bool metrics_step_fn(void *arg, struct tbuf *out, void **state);
typedef void metrics_done_fn(void *arg, void *state);

struct metrics_http;

/* Listen on `addr` (IPv4 or IPv6, port set).  0 with *out, or a negative errno. */
int metrics_http_open(const struct sockaddr_x *addr, metrics_step_fn *step, metrics_done_fn *done,
    void *arg, struct metrics_http **out);

/* Stop listening; NULL-safe. */
void metrics_http_close(struct metrics_http *m);

#endif
