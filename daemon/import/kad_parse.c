/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kad_parse.c - keepalived.conf into a tree.  See kad.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kad.h"
#include "util.h"

#define KAD_STACK_MAX 32
#define KAD_TOKENS_MAX 256

struct kad_parser {
	const struct kad_io *io;
	struct kad_doc *doc;
	struct errlist *el;
	struct kad_node *stack[KAD_STACK_MAX];	/* open blocks; [0] = the root */
	int depth;
	int err;
};

static void kad_node_clear(struct kad_node *n);
static int kad_file(struct kad_parser *p, const char *path, int level, const char *from,
    int from_line);

static const char *
intern_file(struct kad_doc *d, const char *path)
{
	d->files = xreallocarray(d->files, d->nfiles + 1, sizeof(*d->files));
	d->files[d->nfiles] = xstrdup(path);
	return d->files[d->nfiles++];
}

static struct kad_node *
add_kid(struct kad_node *parent, char **tok, size_t ntok, const char *file, int line)
{
	struct kad_node *n;
	size_t i;

	parent->kids = xreallocarray(parent->kids, parent->nkids + 1, sizeof(*parent->kids));
	n = &parent->kids[parent->nkids++];
	memset(n, 0, sizeof(*n));
	n->word = xstrdup(tok[0]);
	n->nargs = ntok - 1;
	if (n->nargs > 0) {
		n->args = xcalloc(n->nargs, sizeof(*n->args));
		for (i = 1; i < ntok; i++)
			n->args[i - 1] = xstrdup(tok[i]);
	}
	n->file = file;
	n->line = line;
	return n;
}

/* The directory of `from` joined with a relative `pattern`. */
static char *
resolve(const char *from, const char *pattern)
{
	const char *slash = strrchr(from, '/');

	if (pattern[0] == '/' || slash == NULL)
		return xstrdup(pattern);
	return xasprintf("%.*s/%s", (int)(slash - from), from, pattern);
}

/* A finished statement: an include is spliced in, anything else added to the open block. */
static void
statement(struct kad_parser *p, char **tok, size_t ntok, const char *file, int line, int level)
{
	char **paths = NULL, *pat;
	size_t n = 0, i;
	int r;

	if (ntok == 0)
		return;
	if (strcmp(tok[0], "include") != 0) {
		add_kid(p->stack[p->depth], tok, ntok, file, line);
		return;
	}
	if (ntok != 2) {
		errlist_add(p->el, file, line, NULL, "include takes one path (a glob)");
		return;
	}
	pat = resolve(file, tok[1]);
	r = p->io->glob(p->io->arg, pat, &paths, &n);
	if (r < 0 || n == 0)
		errlist_add(p->el, file, line, NULL, "include %s: %s", tok[1],
		    r < 0 ? strerror(-r) : "no file matches");
	for (i = 0; i < n; i++) {
		if (p->err == 0)
			(void)kad_file(p, paths[i], level + 1, file, line);
		free(paths[i]);
	}
	free(paths);
	free(pat);
}

/*
 * Split one line into tokens (in place): a double-quoted argument is one token, "{"
 * and "}" are tokens of their own even glued to a word, and a "#" or "!" at the
 * start of a token begins a comment (inside a word it is part of it: a password).
 */
static size_t
tokenize(char *s, char **tok, size_t max, bool *unterminated)
{
	static char open[] = "{", close[] = "}";
	size_t n = 0;

	*unterminated = false;
	while (*s != '\0' && n < max) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0' || *s == '#' || *s == '!')
			break;
		if (*s == '{' || *s == '}') {
			tok[n++] = *s == '{' ? open : close;
			s++;
			continue;
		}
		if (*s == '"') {
			char *end = strchr(s + 1, '"');

			tok[n++] = s + 1;
			if (end == NULL) {
				*unterminated = true;
				break;
			}
			*end = '\0';
			s = end + 1;
			continue;
		}
		tok[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '{' &&
		    *s != '}')
			s++;
		if (*s == '{' || *s == '}') { /* glued: the brace is a token of its own */
			char c = *s;

			*s++ = '\0';
			if (n < max)
				tok[n++] = c == '{' ? open : close;
		} else if (*s != '\0') {
			*s++ = '\0';
		}
	}
	return n;
}

static int
kad_file(struct kad_parser *p, const char *path, int level, const char *from, int from_line)
{
	char *text = NULL, *line, *next, *tok[KAD_TOKENS_MAX], *cur[KAD_TOKENS_MAX];
	const char *file;
	size_t ntok, ncur, i;
	int r, lineno = 0, depth0 = p->depth;
	bool unterminated;

	if (level > KAD_INCLUDE_DEPTH || p->doc->nfiles >= KAD_FILES_MAX) {
		errlist_add(p->el, from, from_line, NULL, "include %s: %s", path,
		    level > KAD_INCLUDE_DEPTH ? "included too deep (a loop?)" : "too many files");
		return -ELOOP;
	}
	if ((r = p->io->load(p->io->arg, path, &text)) < 0) {
		if (from != NULL)
			errlist_add(p->el, from, from_line, NULL, "include %s: %s", path,
			    strerror(-r));
		else
			errlist_add(p->el, path, 0, NULL, "%s", strerror(-r));
		p->err = -EINVAL;
		return r;
	}
	file = intern_file(p->doc, path);
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		ntok = tokenize(line, tok, KAD_TOKENS_MAX, &unterminated);
		if (unterminated)
			errlist_add(p->el, file, lineno, NULL, "unterminated quote");
		ncur = 0;
		for (i = 0; i < ntok; i++) {
			if (strcmp(tok[i], "{") == 0) {
				struct kad_node *parent = p->stack[p->depth], *b;

				if (ncur > 0)
					b = add_kid(parent, cur, ncur, file, lineno);
				else if (parent->nkids > 0 && !parent->kids[parent->nkids - 1].block)
					b = &parent->kids[parent->nkids - 1]; /* "word\n{" */
				else
					b = NULL;
				ncur = 0;
				if (b == NULL) {
					errlist_add(p->el, file, lineno, NULL, "a block with no name");
					continue;
				}
				if (p->depth + 1 == KAD_STACK_MAX) {
					errlist_add(p->el, file, lineno, NULL, "nested too deep");
					p->err = -EINVAL;
					goto out;
				}
				b->block = true;
				p->stack[++p->depth] = b;
			} else if (strcmp(tok[i], "}") == 0) {
				statement(p, cur, ncur, file, lineno, level);
				ncur = 0;
				if (p->depth == 0) {
					errlist_add(p->el, file, lineno, NULL, "a \"}\" with no block open");
					p->err = -EINVAL;
					continue;
				}
				p->depth--;
			} else {
				cur[ncur++] = tok[i];
			}
		}
		statement(p, cur, ncur, file, lineno, level);
	}
	if (level == 0 && p->depth != depth0) {
		const struct kad_node *b = p->stack[depth0 + 1];

		errlist_add(p->el, b->file, b->line, NULL, "%s: its block is not closed by the end "
		    "of %s%s", b->word, file, p->depth - depth0 > 1 ? " (nor the blocks in it)" : "");
		p->err = -EINVAL;
	}
out:
	free(text);
	return 0;
}

int
kad_parse(const char *path, const struct kad_io *io, struct kad_doc *out, struct errlist *el)
{
	struct kad_parser p;

	memset(out, 0, sizeof(*out));
	out->root.block = true;
	out->root.word = xstrdup("");
	memset(&p, 0, sizeof(p));
	p.io = io;
	p.doc = out;
	p.el = el;
	p.stack[0] = &out->root;
	(void)kad_file(&p, path, 0, NULL, 0);
	return p.err;
}

static void
kad_node_clear(struct kad_node *n)
{
	size_t i;

	free(n->word);
	for (i = 0; i < n->nargs; i++)
		free(n->args[i]);
	free(n->args);
	for (i = 0; i < n->nkids; i++)
		kad_node_clear(&n->kids[i]);
	free(n->kids);
}

void
kad_doc_free(struct kad_doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	kad_node_clear(&d->root);
	for (i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->files);
	memset(d, 0, sizeof(*d));
}

const struct kad_node *
kad_find(const struct kad_node *n, const char *w)
{
	size_t i;

	for (i = 0; n != NULL && i < n->nkids; i++)
		if (strcmp(n->kids[i].word, w) == 0)
			return &n->kids[i];
	return NULL;
}

const char *
kad_arg(const struct kad_node *n, const char *w)
{
	const struct kad_node *k = kad_find(n, w);

	return k != NULL && k->nargs > 0 ? k->args[0] : NULL;
}
