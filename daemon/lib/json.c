/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - a small JSON writer.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void
json_free(struct json *j)
{
	tbuf_free(&j->b);
	json_init(j);
}

const char *
json_str(const struct json *j)
{
	return j->b.s ? j->b.s : "";
}

static void
put_escaped(struct tbuf *b, const char *s)
{
	tbuf_puts(b, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			tbuf_puts(b, "\\\"");
			break;
		case '\\':
			tbuf_puts(b, "\\\\");
			break;
		case '\n':
			tbuf_puts(b, "\\n");
			break;
		case '\r':
			tbuf_puts(b, "\\r");
			break;
		case '\t':
			tbuf_puts(b, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				tbuf_printf(b, "\\u%04x", c);
			else
				tbuf_append(b, (const char *)&c, 1);
		}
	}
	tbuf_puts(b, "\"");
}

/* Comma and key before a value at the current depth. */
static void
prefix(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		tbuf_puts(&j->b, ",");
	j->need_comma[j->depth] = true;
	if (key != NULL) {
		put_escaped(&j->b, key);
		tbuf_puts(&j->b, ":");
	}
}

static void
open_(struct json *j, const char *key, const char *tok)
{
	prefix(j, key);
	tbuf_puts(&j->b, tok);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void
close_(struct json *j, const char *tok)
{
	if (j->depth > 0)
		j->depth--;
	tbuf_puts(&j->b, tok);
}

void
json_obj_begin(struct json *j, const char *key)
{
	open_(j, key, "{");
}

void
json_obj_end(struct json *j)
{
	close_(j, "}");
}

void
json_arr_begin(struct json *j, const char *key)
{
	open_(j, key, "[");
}

void
json_arr_end(struct json *j)
{
	close_(j, "]");
}

void
json_string(struct json *j, const char *key, const char *v)
{
	prefix(j, key);
	if (v == NULL)
		tbuf_puts(&j->b, "null");
	else
		put_escaped(&j->b, v);
}

void
json_int(struct json *j, const char *key, long long v)
{
	prefix(j, key);
	tbuf_printf(&j->b, "%lld", v);
}

void
json_uint(struct json *j, const char *key, unsigned long long v)
{
	prefix(j, key);
	tbuf_printf(&j->b, "%llu", v);
}

void
json_double(struct json *j, const char *key, double v)
{
	prefix(j, key);
	if (isfinite(v))
		tbuf_printf(&j->b, "%.17g", v);
	else
		tbuf_puts(&j->b, "null");	/* JSON has no NaN or infinity */
}

void
json_bool(struct json *j, const char *key, bool v)
{
	prefix(j, key);
	tbuf_puts(&j->b, v ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	prefix(j, key);
	tbuf_puts(&j->b, "null");
}
