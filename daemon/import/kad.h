/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kad.h - keepalived.conf as a tree, for `ipvs-router import keepalived`.
 *
 * Core module: text in (through kad_io, so that tests give files from memory),
 * a tree of statements out, each with its file and line.  keepalived's grammar
 * is line-oriented: a statement is a keyword and its arguments on one line; a
 * "{" opens a block whose statements follow (on the same line or the next ones)
 * until its "}"; "#" and "!" start comments; double quotes group an argument
 * with spaces; "include GLOB" splices files in where it stands (relative to the
 * including file's directory).
 */
#ifndef IPVSR_KAD_H
#define IPVSR_KAD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define KAD_INCLUDE_DEPTH 8
#define KAD_FILES_MAX	  64

struct kad_node {
	char *word;		/* the keyword: "vrrp_instance", "10.0.0.1", ... */
	char **args;		/* the rest of the line (quotes removed) */
	size_t nargs;
	struct kad_node *kids;	/* a block's statements */
	size_t nkids;
	bool block;
	const char *file;	/* interned in kad_doc.files */
	int line;
};

struct kad_doc {
	struct kad_node root;	/* a block holding the top-level statements */
	char **files;		/* every file read, the main one first */
	size_t nfiles;
};

struct kad_io {
	/* the whole file at path: 0 and a malloc'd NUL-terminated *text, or -errno */
	int (*load)(void *arg, const char *path, char **text);
	/* the paths matching pattern (already made absolute or relative to the cwd),
	 * sorted: 0 and a malloc'd array of malloc'd strings, or -errno */
	int (*glob)(void *arg, const char *pattern, char ***paths, size_t *n);
	void *arg;
};

/*
 * Parse path and its includes.  Every problem goes to el as "FILE:LINE: message";
 * returns 0 (the doc may still hold what parsed) or -EINVAL when el got an error
 * that loses content (an unreadable file, an unbalanced brace).
 */
int kad_parse(const char *path, const struct kad_io *io, struct kad_doc *out,
    struct errlist *el);

void kad_doc_free(struct kad_doc *d);	/* NULL-safe */

/* The first child of block n whose word is w (case-sensitive), or NULL. */
const struct kad_node *kad_find(const struct kad_node *n, const char *w);

/* The first argument of child w of n, or NULL. */
const char *kad_arg(const struct kad_node *n, const char *w);

#endif
