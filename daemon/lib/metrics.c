/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - Prometheus text exposition format 0.0.4.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

const double metrics_latency_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const int metrics_latency_nbounds = (int)ARRAY_SIZE(metrics_latency_bounds);

static const char *
type_str(enum metric_type t)
{
	switch (t) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_GAUGE:
		return "gauge";
	default:
		return "histogram";
	}
}

void
metrics_family(struct tbuf *b, const char *name, enum metric_type t, const char *help)
{
	const char *p;

	tbuf_printf(b, "# HELP %s ", name);
	for (p = help; *p != '\0'; p++) {	/* HELP escapes \ and newline only */
		if (*p == '\\')
			tbuf_puts(b, "\\\\");
		else if (*p == '\n')
			tbuf_puts(b, "\\n");
		else
			tbuf_append(b, p, 1);
	}
	tbuf_printf(b, "\n# TYPE %s %s\n", name, type_str(t));
}

static void
put_labels(struct tbuf *b, const char *const *labels, const char *extra_k, const char *extra_v)
{
	const char *p;
	int i, n = 0;

	if ((labels == NULL || labels[0] == NULL) && extra_k == NULL)
		return;
	tbuf_puts(b, "{");
	for (i = 0; labels != NULL && labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
		tbuf_printf(b, "%s%s=\"", n++ ? "," : "", labels[i]);
		for (p = labels[i + 1]; *p != '\0'; p++) {	/* \\, \", \n */
			if (*p == '\\' || *p == '"')
				tbuf_printf(b, "\\%c", *p);
			else if (*p == '\n')
				tbuf_puts(b, "\\n");
			else
				tbuf_append(b, p, 1);
		}
		tbuf_puts(b, "\"");
	}
	if (extra_k != NULL)
		tbuf_printf(b, "%s%s=\"%s\"", n ? "," : "", extra_k, extra_v);
	tbuf_puts(b, "}");
}

static void
put_value(struct tbuf *b, double v)
{
	if (isnan(v))
		tbuf_puts(b, " NaN\n");
	else if (isinf(v))
		tbuf_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
	else if (v == (double)(long long)v && fabs(v) < 1e15)
		tbuf_printf(b, " %lld\n", (long long)v);
	else
		tbuf_printf(b, " %.9g\n", v);
}

void
metrics_sample(struct tbuf *b, const char *name, const char *const *labels, double v)
{
	tbuf_puts(b, name);
	put_labels(b, labels, NULL, NULL);
	put_value(b, v);
}

void
metrics_sample_u64(struct tbuf *b, const char *name, const char *const *labels, uint64_t v)
{
	tbuf_puts(b, name);
	put_labels(b, labels, NULL, NULL);
	tbuf_printf(b, " %llu\n", (unsigned long long)v);
}

void
metrics_hist_init(struct metrics_hist *h, const double *bounds, int nbounds)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = nbounds < METRICS_HIST_MAX_BUCKETS ? nbounds : METRICS_HIST_MAX_BUCKETS;
}

void
metrics_hist_observe(struct metrics_hist *h, double v)
{
	int i;

	for (i = 0; i < h->nbounds; i++)
		if (v <= h->bounds[i]) {
			h->counts[i]++;
			break;
		}
	if (i == h->nbounds)
		h->inf++;
	h->sum += v;
	h->count++;
}

void
metrics_hist_render(struct tbuf *b, const char *name, const char *const *labels,
    const struct metrics_hist *h)
{
	uint64_t cum = 0;
	char le[32];
	int i;

	for (i = 0; i < h->nbounds; i++) {
		cum += h->counts[i];
		snprintf(le, sizeof(le), "%g", h->bounds[i]);
		tbuf_printf(b, "%s_bucket", name);
		put_labels(b, labels, "le", le);
		tbuf_printf(b, " %llu\n", (unsigned long long)cum);
	}
	tbuf_printf(b, "%s_bucket", name);
	put_labels(b, labels, "le", "+Inf");
	tbuf_printf(b, " %llu\n", (unsigned long long)h->count);
	tbuf_printf(b, "%s_sum", name);
	put_labels(b, labels, NULL, NULL);
	put_value(b, h->sum);
	tbuf_printf(b, "%s_count", name);
	put_labels(b, labels, NULL, NULL);
	tbuf_printf(b, " %llu\n", (unsigned long long)h->count);
}
