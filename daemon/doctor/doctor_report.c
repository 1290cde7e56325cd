/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_report.c - the doctor's findings and their rendering.  See doctor_report.h.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "doctor_report.h"
#include "json.h"
#include "util.h"

static const char *const status_mark[] = {"✓", "!", "✗", "?"};
static const char *const status_name[] = {"ok", "warning", "failed", "unknown"};

void
doctor_report_init(struct doctor_report *r)
{
	r->items = NULL;
	r->n = r->cap = 0;
}

void
doctor_report_free(struct doctor_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].area);
		free(r->items[i].what);
		free(r->items[i].fix);
	}
	free(r->items);
	doctor_report_init(r);
}

void
doctor_add(struct doctor_report *r, enum doctor_status st, const char *area, const char *fix,
    const char *fmt, ...)
{
	struct doctor_item *it;
	va_list ap;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->items = xreallocarray(r->items, r->cap, sizeof(*r->items));
	}
	it = &r->items[r->n++];
	it->status = st;
	it->area = xstrdup(area);
	va_start(ap, fmt);
	it->what = xvasprintf(fmt, ap);
	va_end(ap);
	it->fix = xstrdup(fix);
}

size_t
doctor_count(const struct doctor_report *r, enum doctor_status st)
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++)
		k += r->items[i].status == st;
	return k;
}

const char *
doctor_status_str(enum doctor_status st)
{
	return (unsigned)st < 4 ? status_name[st] : "?";
}

void
doctor_text(const struct doctor_report *r, struct tbuf *out)
{
	size_t i, warn = doctor_count(r, DOCTOR_WARN);

	for (i = 0; i < r->n; i++) {
		const struct doctor_item *it = &r->items[i];

		tbuf_printf(out, "%s %s: %s\n", (unsigned)it->status < 4 ? status_mark[it->status] :
		    "?", it->area, it->what);
		if (it->fix != NULL && it->status != DOCTOR_OK)
			tbuf_printf(out, "    fix: %s\n", it->fix);
	}
	tbuf_printf(out, "doctor: %zu passed, %zu warning%s, %zu failed, %zu cannot tell\n",
	    doctor_count(r, DOCTOR_OK), warn, warn == 1 ? "" : "s", doctor_count(r, DOCTOR_FAIL),
	    doctor_count(r, DOCTOR_UNKNOWN));
}

void
doctor_json(const struct doctor_report *r, struct json *j)
{
	size_t i;

	json_obj_begin(j, NULL);
	json_arr_begin(j, "checks");
	for (i = 0; i < r->n; i++) {
		const struct doctor_item *it = &r->items[i];

		json_obj_begin(j, NULL);
		json_string(j, "status", doctor_status_str(it->status));
		json_string(j, "area", it->area);
		json_string(j, "check", it->what);
		json_string(j, "fix", it->status == DOCTOR_OK ? NULL : it->fix);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_uint(j, "passed", doctor_count(r, DOCTOR_OK));
	json_uint(j, "warnings", doctor_count(r, DOCTOR_WARN));
	json_uint(j, "failed", doctor_count(r, DOCTOR_FAIL));
	json_uint(j, "unknown", doctor_count(r, DOCTOR_UNKNOWN));
	json_obj_end(j);
}
