/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_report.h - the findings of `ipvs-router doctor`: one line per check
 * (passed, warning, failed, cannot tell), the fix for each failure, and their
 * rendering as text or JSON with the exit status they add up to.
 *
 * Core module: no IO.  The probes (doctor_probe.c) and the walk over the
 * configuration (doctor.c) fill it.
 */
#ifndef IPVSR_DOCTOR_REPORT_H
#define IPVSR_DOCTOR_REPORT_H

#include <stddef.h>

#include "util.h"

struct json;
struct tbuf;

enum doctor_status {
	DOCTOR_OK,	/* ✓ */
	DOCTOR_WARN,	/* !  works, but likely to bite (the fix says how) */
	DOCTOR_FAIL,	/* ✗  will not work (the fix says how) */
	DOCTOR_UNKNOWN,	/* ?  the check could not be made: never a guess */
};

struct doctor_item {
	enum doctor_status status;
	char *area;	/* "kernel", "pool web", "election", ... */
	char *what;	/* what was checked and what was found */
	char *fix;	/* NULL for DOCTOR_OK; the exact command or change otherwise */
};

struct doctor_report {
	struct doctor_item *items;
	size_t n, cap;
};

void doctor_report_init(struct doctor_report *r);
void doctor_report_free(struct doctor_report *r);	/* NULL-safe; leaves it empty */

/* Add one finding; `fix` may be NULL (a copy is kept of every string). */
void doctor_add(struct doctor_report *r, enum doctor_status st, const char *area,
    const char *fix, const char *fmt, ...) PRINTF_LIKE(5, 6);

/* How many findings have status st. */
size_t doctor_count(const struct doctor_report *r, enum doctor_status st);

/*
 * Text: one line per finding, "✓ AREA: WHAT", "✗ AREA: WHAT" and an indented
 * "fix: FIX" line under each warning or failure, then the summary line
 * "doctor: N passed, N warnings, N failed, N cannot tell".
 */
void doctor_text(const struct doctor_report *r, struct tbuf *out);

/* JSON: {"checks": [{"status", "area", "check", "fix"}...], "passed", "warnings", ...}. */
void doctor_json(const struct doctor_report *r, struct json *j);

/* "ok", "warning", "failed", "unknown" */
const char *doctor_status_str(enum doctor_status st);

#endif
