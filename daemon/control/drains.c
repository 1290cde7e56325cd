/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drains.c - operator drains as a set the routers share and keep.
 *
 * Core module: no IO, no clock (time comes in as a parameter).  The rules
 * are in drains.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "drains.h"

static bool who_valid(const char *s);
static int entry_cmp_key(const struct drain_entry *a, const char *pool, const struct sockaddr_x *addr);
static bool wins(const struct drain_entry *a, const struct drain_entry *b);
static void entry_free(struct drain_entry *e);

void
drains_init(struct drains *d)
{
	d->v = NULL;
	d->n = 0;
}

static void
entry_free(struct drain_entry *e)
{
	free((char *)e->pool);
	free((char *)e->router);
	free((char *)e->who);
}

void
drains_free(struct drains *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		entry_free(&d->v[i]);
	free(d->v);
	drains_init(d);
}

static bool
who_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || n >= DRAINS_WHO_MAX)
			return false;
	return true;
}

const char *
drains_check(const struct drain_entry *e)
{
	if (e->pool == NULL || !name_valid(e->pool))
		return "bad pool name";
	if (e->addr.af != AF_INET && e->addr.af != AF_INET6)
		return "bad server address";
	if (e->stamp_us == 0 || e->stamp_us > (uint64_t)INT64_MAX)
		return "bad time stamp";
	if (e->router == NULL || !name_valid(e->router))
		return "bad router name";
	if (!who_valid(e->who))
		return "bad caller (printable ASCII, at most 120 bytes)";
	return NULL;
}

static int
entry_cmp_key(const struct drain_entry *a, const char *pool, const struct sockaddr_x *addr)
{
	int c = strcmp(a->pool, pool);

	return c != 0 ? c : sockaddr_x_cmp(&a->addr, addr);
}

/* Does a win over b (same key)?  Later stamp, then greater router, then drained. */
static bool
wins(const struct drain_entry *a, const struct drain_entry *b)
{
	int c;

	if (a->stamp_us != b->stamp_us)
		return a->stamp_us > b->stamp_us;
	c = strcmp(a->router, b->router);
	if (c != 0)
		return c > 0;
	return a->drained && !b->drained;
}

/* Where (pool, addr) is or would go: index of the first entry not below it. */
static size_t
lower_bound(const struct drains *d, const char *pool, const struct sockaddr_x *addr)
{
	size_t lo = 0, hi = d->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (entry_cmp_key(&d->v[mid], pool, addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct drain_entry *
drains_find(const struct drains *d, const char *pool, const struct sockaddr_x *addr)
{
	size_t i = lower_bound(d, pool, addr);

	return i < d->n && entry_cmp_key(&d->v[i], pool, addr) == 0 ? &d->v[i] : NULL;
}

int
drains_put(struct drains *d, const struct drain_entry *e, bool *prev)
{
	struct drain_entry *slot;
	size_t i;

	if (prev != NULL)
		*prev = false;
	if (drains_check(e) != NULL)
		return -EINVAL;
	i = lower_bound(d, e->pool, &e->addr);
	if (i < d->n && entry_cmp_key(&d->v[i], e->pool, &e->addr) == 0) {
		slot = &d->v[i];
		if (prev != NULL)
			*prev = slot->drained;
		if (!wins(e, slot))
			return 0;
		entry_free(slot);
	} else {
		if (d->n >= DRAINS_MAX)
			return -ENOSPC;
		d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
		memmove(&d->v[i + 1], &d->v[i], (d->n - i) * sizeof(*d->v));
		d->n++;
		slot = &d->v[i];
	}
	slot->pool = xstrdup(e->pool);
	slot->addr = e->addr;
	slot->drained = e->drained;
	slot->stamp_us = e->stamp_us;
	slot->router = xstrdup(e->router);
	slot->who = xstrdup(e->who);
	return 1;
}

bool
drains_drained(const struct drains *d, const char *pool, const struct sockaddr_x *addr)
{
	const struct drain_entry *e;
	struct sockaddr_x any = *addr;

	if ((e = drains_find(d, pool, addr)) != NULL && e->drained)
		return true;
	if (addr->port == 0)
		return false;
	any.port = 0;
	return (e = drains_find(d, pool, &any)) != NULL && e->drained;
}

size_t
drains_count(const struct drains *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->v[i].drained;
	return n;
}

void
drains_format(const struct drain_entry *e, struct tbuf *out)
{
	char a[SOCKADDR_X_STRLEN];

	sockaddr_x_fmt(&e->addr, a, sizeof(a));
	/* a bare IPv6 address in brackets: "2001:db8::1" would read back as one */
	if (e->addr.af == AF_INET6 && e->addr.port == 0)
		tbuf_printf(out, "%s %s [%s] %" PRIu64 " %s %s\n", e->drained ? "drain" : "undrain",
		    e->pool, a, e->stamp_us, e->router, e->who);
	else
		tbuf_printf(out, "%s %s %s %" PRIu64 " %s %s\n", e->drained ? "drain" : "undrain",
		    e->pool, a, e->stamp_us, e->router, e->who);
}

/* The next space-separated word of *p (NUL-terminated in place), or NULL. */
static char *
word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return NULL;
	w = s;
	while (*s != '\0' && *s != ' ')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

int
drains_parse_line(char *line, struct drain_entry *e, const char **why)
{
	char *p = line, *verb, *pool, *server, *stamp, *router, *end;
	const char *bad;
	unsigned long long st;

	memset(e, 0, sizeof(*e));
	while (*p == ' ')
		p++;
	if (*p == '\0' || *p == '#')
		return 1;
	verb = word(&p);
	pool = word(&p);
	server = word(&p);
	stamp = word(&p);
	router = word(&p);
	while (*p == ' ')
		p++;
	if (router == NULL || *p == '\0') {
		*why = "want: drain|undrain POOL SERVER STAMP_US ROUTER WHO";
		return -EINVAL;
	}
	if (strcmp(verb, "drain") != 0 && strcmp(verb, "undrain") != 0) {
		*why = "the first word must be drain or undrain";
		return -EINVAL;
	}
	if (sockaddr_x_parse(server, true, &e->addr) < 0) {
		*why = "bad server address";
		return -EINVAL;
	}
	errno = 0;
	st = strtoull(stamp, &end, 10);
	if (errno != 0 || *end != '\0' || stamp[0] < '0' || stamp[0] > '9') {
		*why = "bad time stamp";
		return -EINVAL;
	}
	e->drained = verb[0] == 'd';
	e->pool = pool;
	e->stamp_us = st;
	e->router = router;
	e->who = p;
	if ((bad = drains_check(e)) != NULL) {
		*why = bad;
		return -EINVAL;
	}
	return 0;
}

void
drains_merge_text(struct drains *d, const char *text, size_t len, uint64_t now_us,
    uint64_t max_ahead_us, void (*changed)(void *arg, const struct drain_entry *e, bool was),
    void *arg, struct drains_merge *res)
{
	char line[DRAINS_LINE_MAX + 1];
	struct drain_entry e;
	const char *why, *nl;
	size_t pos = 0, n;
	int lineno = 0, r;
	bool was;

	memset(res, 0, sizeof(*res));
	while (pos < len) {
		lineno++;
		nl = memchr(text + pos, '\n', len - pos);
		n = (nl != NULL ? (size_t)(nl - text) : len) - pos;
		why = NULL;
		if (n > DRAINS_LINE_MAX)
			why = "line too long";
		else if (memchr(text + pos, '\0', n) != NULL)
			why = "NUL byte";
		if (why == NULL) {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			r = drains_parse_line(line, &e, &why);
			if (r == 0 && max_ahead_us != 0 && e.stamp_us > now_us + max_ahead_us) {
				why = "stamped too far ahead of our clock";
				r = -EINVAL;
			}
			if (r == 0) {
				r = drains_put(d, &e, &was);
				if (r == 1) {
					res->taken++;
					if (changed != NULL)
						changed(arg, drains_find(d, e.pool, &e.addr), was);
				} else if (r == 0) {
					res->same++;
				} else {
					why = "too many drains";
				}
			}
		}
		if (why != NULL) {
			res->bad++;
			if (res->first_bad_line == 0) {
				res->first_bad_line = lineno;
				res->first_bad_why = why;
			}
		}
		pos += n + (nl != NULL);
	}
}

size_t
drains_expire(struct drains *d, uint64_t now_us)
{
	size_t i, k = 0, gone = 0;

	for (i = 0; i < d->n; i++) {
		if (!d->v[i].drained && d->v[i].stamp_us + (uint64_t)DRAINS_TOMBSTONE_US < now_us) {
			entry_free(&d->v[i]);
			gone++;
			continue;
		}
		d->v[k++] = d->v[i];
	}
	d->n = k;
	return gone;
}

size_t
drains_pieces(const struct drains *d, size_t max,
    void (*emit)(void *arg, const char *s, size_t len), void *arg)
{
	struct tbuf piece, line;
	size_t i, pieces = 0;

	tbuf_init(&piece);
	tbuf_init(&line);
	for (i = 0; i < d->n; i++) {
		tbuf_free(&line);
		drains_format(&d->v[i], &line);
		if (piece.len > 0 && piece.len + line.len > max) {
			emit(arg, piece.s, piece.len);
			pieces++;
			tbuf_free(&piece);
		}
		tbuf_append(&piece, line.s, line.len);
	}
	if (piece.len > 0) {
		emit(arg, piece.s, piece.len);
		pieces++;
	}
	tbuf_free(&piece);
	tbuf_free(&line);
	return pieces;
}
