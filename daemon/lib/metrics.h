/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - Prometheus text exposition (format 0.0.4), pure.
 *
 * Writers for families and samples with correctly escaped labels, and a
 * fixed-bucket histogram.  The daemon renders everything at scrape time from
 * the state its modules already keep; nothing here allocates per sample
 * beyond the output buffer.
 */
#ifndef IPVSR_METRICS_H
#define IPVSR_METRICS_H

#include <stdint.h>

#include "util.h"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

/* "# HELP name help\n# TYPE name type\n" (help escaped as the format wants). */
void metrics_family(struct tbuf *b, const char *name, enum metric_type t, const char *help);

/*
 * One sample: name{labels} value.  `labels` is a NULL-terminated list of
 * key, value pairs (values escaped here), or NULL for none.
 */
void metrics_sample(struct tbuf *b, const char *name, const char *const *labels, double v);
void metrics_sample_u64(struct tbuf *b, const char *name, const char *const *labels, uint64_t v);

#define METRICS_HIST_MAX_BUCKETS	16

/* A histogram with fixed upper bounds (seconds, ascending), +Inf implied. */
struct metrics_hist {
	const double *bounds;
	int nbounds;
	uint64_t counts[METRICS_HIST_MAX_BUCKETS];	/* per bucket, not cumulative */
	uint64_t inf;					/* above the last bound */
	double sum;
	uint64_t count;
};

/* Latency buckets for probes and API calls: 1 ms .. 10 s. */
extern const double metrics_latency_bounds[];
extern const int metrics_latency_nbounds;

void metrics_hist_init(struct metrics_hist *h, const double *bounds, int nbounds);
void metrics_hist_observe(struct metrics_hist *h, double v);
/* name_bucket{labels,le="..."} cumulative, name_sum, name_count. */
void metrics_hist_render(struct tbuf *b, const char *name, const char *const *labels,
    const struct metrics_hist *h);

#endif
