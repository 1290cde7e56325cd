/* SPDX-License-Identifier: Apache-2.0 */
/*
 * explain_fmt.h - ipvs-routerctl explain: the facts of config/explain.h turned
 * into one verdict line and the steps behind it, as text or JSON.
 *
 * Core module: no IO, no clock (the facts carry their times).
 */
#ifndef IPVSR_EXPLAIN_FMT_H
#define IPVSR_EXPLAIN_FMT_H

#include <stddef.h>

#include "explain.h"

struct tbuf;
struct json;

/*
 * The verdict in words, without the "pool P server S: " prefix:
 * "weight 0: drained by alice on lb1 at 2026-12-03 19:02:11 UTC",
 * "weight 1: up", "weight 0: down: http check failed (status 503 after 2ms)", ...
 */
char *explain_verdict(const struct explain *x, char *buf, size_t len);

/* The text answer: the verdict line, then one paragraph per step. */
void explain_text(const struct explain *x, struct tbuf *out);

/* The JSON answer: one object with every fact (the verdict as "verdict"). */
void explain_json(const struct explain *x, struct json *j);

/* "weight", "up", "drained", ... (explain_why in JSON). */
const char *explain_why_str(enum explain_why why);

#endif
