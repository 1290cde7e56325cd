/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epfile_parse.c - endpoint-file grammar -> sorted, de-duplicated set.
 *
 * The input comes from other programs (a Kubernetes controller, a deploy
 * script), so nothing is trusted: lines are length-limited, NUL bytes are
 * refused, every token is checked, and the whole file is rejected on any
 * error so that the caller can keep the last good set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epfile_parse.h"

#define EPFILE_MAX_ERRORS	20

struct pstate {
	const char *label;
	struct errlist *el;
	size_t nerr;
};

static void	perr(struct pstate *, int, const char *, ...) PRINTF_LIKE(3, 4);
static int	parse_line(struct pstate *, char *, int, struct endpoint *);

static void
perr(struct pstate *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	ps->nerr++;
	if (ps->nerr > EPFILE_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	errlist_add(ps->el, ps->label, line, NULL, "%s", msg);
	free(msg);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated token of *p, NUL-terminated in place; NULL at the end. */
static char *
next_token(char **p)
{
	char *s = *p, *t;

	while (is_space(*s))
		s++;
	if (*s == '\0')
		return NULL;
	t = s;
	while (*s != '\0' && !is_space(*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return t;
}

/* Returns 1 with *ep filled, 0 for a blank/comment line, -1 on error. */
static int
parse_line(struct pstate *ps, char *s, int lineno, struct endpoint *ep)
{
	char *hash = strchr(s, '#'), *tok, *p = s;
	long long w;

	if (hash != NULL)
		*hash = '\0';
	if ((tok = next_token(&p)) == NULL)
		return 0;
	memset(ep, 0, sizeof(*ep));
	ep->weight = -1;
	ep->line = lineno;
	if (sockaddr_x_parse(tok, true, &ep->addr) < 0) {
		perr(ps, lineno, "\"%s\" is not ADDRESS, ADDRESS:PORT or [IPV6]:PORT", tok);
		return -1;
	}
	while ((tok = next_token(&p)) != NULL) {
		if (strncmp(tok, "weight=", 7) == 0) {
			if (ep->weight != -1) {
				perr(ps, lineno, "weight given twice");
				return -1;
			}
			if (parse_int(tok + 7, 0, 65535, &w) < 0) {
				perr(ps, lineno, "\"%s\": weight must be 0..65535", tok);
				return -1;
			}
			ep->weight = (int)w;
		} else if (strcmp(tok, "drain") == 0) {
			ep->drain = true;
		} else {
			perr(ps, lineno, "unknown word \"%s\" (expected weight=N or drain)", tok);
			return -1;
		}
	}
	return 1;
}

static int
ep_cmp(const void *a, const void *b)
{
	const struct endpoint *x = a, *y = b;
	int r = sockaddr_x_cmp(&x->addr, &y->addr);

	if (r != 0)
		return r;
	/* equal addresses: keep file order, so the first occurrence wins */
	return x->line < y->line ? -1 : x->line > y->line;
}

int
epfile_parse(const char *buf, size_t len, const char *label, struct epset *out,
    struct errlist *el)
{
	struct pstate ps = { label, el, 0 };
	struct endpoint *v = NULL, ep;
	size_t n = 0, cap = 0, pos = 0, i, j;
	char line[EPFILE_LINE_MAX + 1];
	int lineno = 0, r;

	out->v = NULL;
	out->n = 0;
	if (memchr(buf, '\0', len) != NULL) {
		perr(&ps, 0, "contains a NUL byte: not a text file");
		return -EINVAL;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		if (l > EPFILE_LINE_MAX) {
			perr(&ps, lineno, "line longer than %d bytes", EPFILE_LINE_MAX);
		} else {
			memcpy(line, buf + pos, l);
			line[l] = '\0';
			r = parse_line(&ps, line, lineno, &ep);
			if (r > 0) {
				if (n == EPFILE_MAX_ENDPOINTS) {
					errlist_add(el, label, lineno, NULL, "more than %d endpoints",
					    EPFILE_MAX_ENDPOINTS);
					free(v);
					return -E2BIG;
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					v = xreallocarray(v, cap, sizeof(*v));
				}
				v[n++] = ep;
			}
		}
		pos += l + (nl != NULL);
	}

	if (n > 1)
		qsort(v, n, sizeof(*v), ep_cmp);
	/* de-duplicate in place; conflicting duplicates are errors */
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && sockaddr_x_cmp(&v[j - 1].addr, &v[i].addr) == 0) {
			if (v[j - 1].weight != v[i].weight || v[j - 1].drain != v[i].drain) {
				char a[SOCKADDR_X_STRLEN];

				perr(&ps, v[i].line, "%s is also on line %d with other attributes",
				    sockaddr_x_fmt(&v[i].addr, a, sizeof(a)), v[j - 1].line);
			}
			continue;
		}
		v[j++] = v[i];
	}
	n = j;

	if (ps.nerr > 0) {
		if (ps.nerr > EPFILE_MAX_ERRORS)
			errlist_add(el, label, 0, NULL, "%zu more errors not shown",
			    ps.nerr - EPFILE_MAX_ERRORS);
		free(v);
		return -EINVAL;
	}
	out->v = v;
	out->n = n;
	return 0;
}

void
epset_free(struct epset *s)
{
	if (s == NULL)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void
epset_copy(struct epset *dst, const struct epset *src)
{
	dst->n = src->n;
	dst->v = NULL;
	if (src->n > 0) {
		dst->v = xreallocarray(NULL, src->n, sizeof(*dst->v));
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	}
}

const struct endpoint *
epset_find(const struct epset *s, const struct sockaddr_x *addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = sockaddr_x_cmp(&s->v[mid].addr, addr);

		if (r == 0)
			return &s->v[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
epset_diff(const struct epset *from, const struct epset *to, struct epset_delta *d)
{
	size_t i = 0, j = 0;

	memset(d, 0, sizeof(*d));
	while (i < from->n || j < to->n) {
		int r;

		if (i == from->n)
			r = 1;
		else if (j == to->n)
			r = -1;
		else
			r = sockaddr_x_cmp(&from->v[i].addr, &to->v[j].addr);
		if (r < 0) {
			d->removed++;
			i++;
		} else if (r > 0) {
			d->added++;
			j++;
		} else {
			if (from->v[i].weight != to->v[j].weight || from->v[i].drain != to->v[j].drain)
				d->changed++;
			else
				d->kept++;
			i++;
			j++;
		}
	}
}

int
epset_accept(const struct epset *from, bool from_valid, const struct epset *to,
    bool allow_empty, int max_drop_percent, char *why, size_t len)
{
	struct epset_delta d;

	if (to->n == 0 && !allow_empty) {
		snprintf(why, len, "the file lists no endpoints (set allow_empty = true to allow)");
		return -EPERM;
	}
	if (!from_valid || from->n == 0)
		return 0;
	epset_diff(from, to, &d);
	/* removed * 100 > pct * n, in integers: no rounding lets 50.5% pass a 50% limit */
	if (d.removed * 100 > (size_t)max_drop_percent * from->n && !(to->n == 0 && allow_empty)) {
		snprintf(why, len, "would remove %zu of %zu endpoints (%zu%% > max_drop_percent %d)",
		    d.removed, from->n, (d.removed * 100 + from->n - 1) / from->n, max_drop_percent);
		return -EPERM;
	}
	return 0;
}
