/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - a small JSON writer (no reader) for ipvs-routerctl --json output.
 *
 * Keys are given with each value; inside arrays pass NULL.  Strings are
 * escaped (quotes, backslashes, control characters as \\uXXXX); invalid
 * UTF-8 passes through unchanged, so callers hand in text they produced.
 */
#ifndef IPVSR_JSON_H
#define IPVSR_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define JSON_MAX_DEPTH	32

struct json {
	struct tbuf b;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j);
void json_free(struct json *j);
/* The document so far (valid once every object/array is closed). */
const char *json_str(const struct json *j);

void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_string(struct json *j, const char *key, const char *v);	/* NULL -> null */
void json_int(struct json *j, const char *key, long long v);
void json_uint(struct json *j, const char *key, unsigned long long v);
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

#endif
