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

/* Append the whole exposition to `out`. */
typedef void metrics_render_fn(void *arg, struct tbuf *out);

struct metrics_http;

/* Listen on `addr` (IPv4 or IPv6, port set).  0 with *out, or a negative errno. */
int metrics_http_open(const struct sockaddr_x *addr, metrics_render_fn *fn, void *arg,
    struct metrics_http **out);

/* Stop listening; NULL-safe. */
void metrics_http_close(struct metrics_http *m);

#endif
