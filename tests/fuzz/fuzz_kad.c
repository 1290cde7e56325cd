/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: `ipvs-router import keepalived` - the keepalived.conf parser and
 * the converter.  The input is the main file; "include" finds nothing (the glob
 * answers no file).  Oracle: no crash, no leak, and the converter's text is a
 * NUL-terminated string with balanced parentheses outside comments and strings
 * (libconfig's escapes, backslash-quote and backslash-backslash, inside them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kad.h"
#include "kad_convert.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const unsigned char *in_data;
static size_t in_size;

static int
fz_load(void *arg, const char *path, char **text)
{
	(void)arg;
	if (strcmp(path, "fuzz.conf") != 0)
		return -ENOENT;
	*text = xmalloc(in_size + 1);
	memcpy(*text, in_data, in_size);
	(*text)[in_size] = '\0';
	return 0;
}

static int
fz_glob(void *arg, const char *pattern, char ***paths, size_t *n)
{
	(void)arg;
	(void)pattern;
	*paths = NULL;
	*n = 0;
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const struct kad_io io = {fz_load, fz_glob, NULL};
	struct kad_doc doc;
	struct errlist el;
	struct tbuf out;
	const char *p;
	int depth = 0;
	bool str = false;

	if (size > 65536 || memchr(data, '\0', size) != NULL)
		return 0;
	in_data = data;
	in_size = size;
	errlist_init(&el);
	if (kad_parse("fuzz.conf", &io, &doc, &el) == 0) {
		tbuf_init(&out);
		kad_convert(&doc, &io, &out, &el);
		for (p = out.s; p != NULL && *p != '\0'; p++) {
			if (!str && *p == '#' && (p == out.s || p[-1] == '\n')) {
				p += strcspn(p, "\n");
				if (*p == '\0')
					break;
				continue;
			}
			if (str && *p == '\\' && p[1] != '\0')
				p++; /* an escaped character inside a string */
			else if (*p == '"')
				str = !str;
			else if (!str && *p == '(')
				depth++;
			else if (!str && *p == ')' && --depth < 0)
				abort();
		}
		if (depth != 0)
			abort();
		tbuf_free(&out);
	}
	kad_doc_free(&doc);
	errlist_clear(&el);
	return 0;
}
