/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_walk.c - the table-driven walker over libconfig settings: one walk
 * per group checks every setting against the group's schema (conf_walk.h).
 * The schema itself, the groups of the language, is in conf_load.c.
 */
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_walk.h"

static const char *src_intern(struct loader *, config_setting_t *);
static char	*path_index(const char *, unsigned);
static const struct field *field_find(const struct field *, size_t, const char *);
static const char *field_suggest(const struct field *, size_t, const char *);
static void	load_field(struct loader *, config_setting_t *, const char *,
		    const struct field *, void *);

/* ------------------------------------------------------------ helpers */

static const char *
src_intern(struct loader *ld, config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;
	size_t i;

	if (f == NULL)
		return ld->c->file;
	for (i = 0; i < ld->c->nsrcfiles; i++)
		if (strcmp(ld->c->srcfiles[i], f) == 0)
			return ld->c->srcfiles[i];
	ld->c->srcfiles = xreallocarray(ld->c->srcfiles, ld->c->nsrcfiles + 1,
	    sizeof(*ld->c->srcfiles));
	ld->c->srcfiles[ld->c->nsrcfiles] = xstrdup(f);
	return ld->c->srcfiles[ld->c->nsrcfiles++];
}

void
walk_set_loc(struct loader *ld, config_setting_t *s, int *line, const char **src)
{
	*line = (int)config_setting_source_line(s);
	*src = src_intern(ld, s);
}

void
walk_err(struct loader *ld, config_setting_t *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	errlist_add(ld->el, src_intern(ld, s), s ? (int)config_setting_source_line(s) : 0,
	    path, "%s", msg);
	free(msg);
	if (ld->cur_bad != NULL)
		*ld->cur_bad = true;
}

/* ------------------------------------------------------------ exact integers */

/* The source text of setting s's file (read once per load), or NULL. */
static const struct walk_src *
src_text(struct loader *ld, config_setting_t *s)
{
	const char *name = config_setting_source_file(s);
	struct walk_src *w;
	size_t i, n;
	char *text = NULL;
	FILE *f;

	for (i = 0; i < ld->nsrcs; i++)
		if (str_eq(ld->srcs[i].name, name))
			return ld->srcs[i].text != NULL ? &ld->srcs[i] : NULL;
	if (name == NULL && ld->main_text != NULL) {
		text = xstrdup(ld->main_text);
	} else if ((f = fopen(name != NULL ? name : ld->c->file, "r")) != NULL) {
		struct tbuf b;
		char chunk[4096];
		size_t got;

		tbuf_init(&b);
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			tbuf_append(&b, chunk, got);
		fclose(f);
		text = b.s != NULL ? b.s : xstrdup("");
	}
	ld->srcs = xreallocarray(ld->srcs, ld->nsrcs + 1, sizeof(*ld->srcs));
	w = &ld->srcs[ld->nsrcs++];
	memset(w, 0, sizeof(*w));
	w->name = xstrdup(name);
	w->text = text;
	if (text == NULL)
		return NULL;
	for (n = 0, i = 0; text[i] != '\0'; i++)
		n += text[i] == '\n';
	w->off = xreallocarray(NULL, n + 2, sizeof(*w->off));
	w->off[0] = 0;
	for (n = 0, i = 0; text[i] != '\0'; i++)
		if (text[i] == '\n')
			w->off[++n] = i + 1;
	w->nlines = n + 1;
	w->off[w->nlines] = i;
	return w;
}

void
walk_fini(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->nsrcs; i++) {
		free(ld->srcs[i].name);
		free(ld->srcs[i].text);
		free(ld->srcs[i].off);
	}
	free(ld->srcs);
	ld->srcs = NULL;
	ld->nsrcs = 0;
}

/* One integer literal of a source line. */
struct int_lit {
	long long v;
	bool suffixed; /* L or LL: libconfig read it as 64 bits */
	bool overflow; /* does not fit in 64 bits */
	char name[64]; /* the setting name before "=" or ":", "" when none */
};

/* Every integer literal of line [p, end), outside strings and comments. */
static size_t
line_int_literals(const char *p, const char *end, struct int_lit *out, size_t max)
{
	const char *q, *t;
	size_t n = 0;

	for (q = p; q < end && n < max;) {
		if (*q == '"') {
			for (q++; q < end && *q != '"'; q++)
				if (*q == '\\' && q + 1 < end)
					q++;
			q++;
			continue;
		}
		if (*q == '#' || (*q == '/' && q + 1 < end && (q[1] == '/' || q[1] == '*')))
			break;
		if ((isdigit((unsigned char)*q) || ((*q == '-' || *q == '+') && q + 1 < end &&
		    isdigit((unsigned char)q[1]))) &&
		    (q == p || !(isalnum((unsigned char)q[-1]) || q[-1] == '_' || q[-1] == '.'))) {
			struct int_lit *l = &out[n];
			char *e;

			memset(l, 0, sizeof(*l));
			errno = 0;
			l->v = strtoll(q, &e, 0);
			l->overflow = errno == ERANGE;
			if (e < end && (*e == '.' || *e == 'e' || *e == 'E')) { /* a float */
				for (q = e; q < end && (isalnum((unsigned char)*q) || *q == '.' ||
				    *q == '-' || *q == '+'); q++)
					;
				continue;
			}
			t = e;
			while (t < end && *t == 'L')
				t++;
			l->suffixed = t > e;
			/* the name before: NAME = value / NAME : value */
			{
				const char *b = q;

				while (b > p && (b[-1] == ' ' || b[-1] == '\t'))
					b--;
				if (b > p && (b[-1] == '=' || b[-1] == ':')) {
					const char *ne;

					b--;
					while (b > p && (b[-1] == ' ' || b[-1] == '\t'))
						b--;
					ne = b;
					while (b > p && (isalnum((unsigned char)b[-1]) || b[-1] == '_' ||
					    b[-1] == '-' || b[-1] == '*'))
						b--;
					if (ne > b && (size_t)(ne - b) < sizeof(l->name))
						memcpy(l->name, b, (size_t)(ne - b));
				}
			}
			n++;
			q = t;
			continue;
		}
		q++;
	}
	return n;
}

/*
 * The value of an integer setting as written.  For a 32-bit setting, find
 * its literal on its line (by name, else any unnamed one) among those that
 * read as libconfig's value in 32 bits; one full value among them is the
 * answer, several are reported (which one is meant cannot be told).
 */
static bool
walk_int_exact(struct loader *ld, config_setting_t *s, const char *path, long long *out)
{
	const struct walk_src *w;
	struct int_lit lits[64];
	const char *name = config_setting_name(s);
	long long got = config_setting_get_int64(s), val = got;
	size_t n, i, k, nmatch = 0;
	bool named = false, found = false;
	unsigned line;

	*out = got;
	if (config_setting_type(s) != CONFIG_TYPE_INT)
		return true;
	line = config_setting_source_line(s);
	if ((w = src_text(ld, s)) == NULL || line == 0 || line > w->nlines)
		return true;
	n = line_int_literals(w->text + w->off[line - 1], w->text + w->off[line], lits,
	    ARRAY_SIZE(lits));
	for (i = 0; i < n && name != NULL; i++)
		named |= strcmp(lits[i].name, name) == 0;
	for (k = 0; k < 2 && !found; k++) {
		for (i = 0; i < n; i++) {
			struct int_lit *l = &lits[i];

			if (l->suffixed)
				continue;
			if (k == 0 && !(named ? strcmp(l->name, name) == 0 : l->name[0] == '\0'))
				continue;
			if (!l->overflow && (int32_t)(uint32_t)(unsigned long long)l->v != got)
				continue;
			if (l->overflow) {
				walk_err(ld, s, path, "the number written does not fit in 64 bits");
				return false;
			}
			if (nmatch > 0 && l->v != val) {
				walk_err(ld, s, path, "%lld and %lld on this line read alike in 32 "
				    "bits: write %lldL, or put it on a line of its own", val, l->v,
				    val != got ? val : l->v);
				return false;
			}
			val = l->v;
			nmatch++;
			found = true;
		}
	}
	*out = val;
	return true;
}

const char *
walk_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	default:
		return "an unknown type";
	}
}

char *
walk_path_join(const char *path, const char *key)
{
	return path && *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

static char *
path_index(const char *path, unsigned idx)
{
	return xasprintf("%s[%u]", path, idx);
}

bool
walk_is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* A string setting's value, or NULL after reporting a type error. */
const char *
walk_get_str(struct loader *ld, config_setting_t *s, const char *path)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		walk_err(ld, s, path, "expected a string, got %s", walk_type_name(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

bool
walk_get_int(struct loader *ld, config_setting_t *s, const char *path, long long min,
    long long max, long long *out)
{
	long long v;

	if (!walk_is_int(s)) {
		walk_err(ld, s, path, "expected an integer, got %s", walk_type_name(s));
		return false;
	}
	if (!walk_int_exact(ld, s, path, &v))
		return false;
	if (v < min || v > max) {
		walk_err(ld, s, path, "%lld is out of range (%lld..%lld)", v, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* Load a list ( {..}, {..} ) of groups into a growing array; calls `each` per element. */
void
walk_list(struct loader *ld, config_setting_t *s, const char *path, void **arr,
    size_t *n, size_t elemsz, void (*each)(struct loader *, config_setting_t *,
    const char *, void *))
{
	unsigned i, len;
	char *ipath;
	void *elem;

	if (!config_setting_is_list(s)) {
		walk_err(ld, s, path, "expected a list ( { ... }, ... ), got %s",
		    walk_type_name(s));
		return;
	}
	len = (unsigned)config_setting_length(s);
	*arr = xcalloc(len ? len : 1, elemsz);
	*n = 0;
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		ipath = path_index(path, i);
		if (!config_setting_is_group(e)) {
			walk_err(ld, e, ipath, "expected a group { ... }, got %s",
			    walk_type_name(e));
		} else {
			elem = (char *)*arr + (size_t)(*n) * elemsz;
			each(ld, e, ipath, elem);
			(*n)++;
		}
		free(ipath);
	}
}

/* An array [ "a", "b" ] of strings into argv[max+1]; returns the count, or -1 on error. */
int
walk_str_array(struct loader *ld, config_setting_t *s, const char *path, char **argv, int max)
{
	int i, len;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		walk_err(ld, s, path, "expected an array [ \"...\", ... ], got %s",
		    walk_type_name(s));
		return -1;
	}
	len = config_setting_length(s);
	if (len > max) {
		walk_err(ld, s, path, "too many elements (%d, at most %d)", len, max);
		return -1;
	}
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			walk_err(ld, e, path, "element %d: expected a string, got %s", i,
			    walk_type_name(e));
			while (--i >= 0)
				FREE_AND_NULL(argv[i]);
			return -1;
		}
		argv[i] = xstrdup(config_setting_get_string(e));
	}
	argv[len] = NULL;
	return len;
}

/* ------------------------------------------------------------ the walker */

static const struct field *
field_find(const struct field *f, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

/* Near-miss suggestion for an unknown key: same length +-1 and at most 2 differences. */
static const char *
field_suggest(const struct field *f, size_t n, const char *key)
{
	size_t i, la = strlen(key);

	for (i = 0; i < n; i++) {
		const char *k = f[i].key;
		size_t lb = strlen(k), a = 0, b = 0;
		int diff = 0;

		if (la + 1 < lb || lb + 1 < la)
			continue;
		while (a < la && b < lb && diff <= 2) {
			if (key[a] == k[b]) {
				a++, b++;
			} else if (a + 1 < la && b + 1 < lb && key[a] == k[b + 1] &&
			    key[a + 1] == k[b]) {
				a += 2, b += 2, diff++;	/* transposition */
			} else if (la > lb) {
				a++, diff++;
			} else if (lb > la) {
				b++, diff++;
			} else {
				a++, b++, diff++;
			}
		}
		diff += (int)(la - a) + (int)(lb - b);
		if (diff <= 2)
			return k;
	}
	return NULL;
}

static void
load_field(struct loader *ld, config_setting_t *s, const char *path, const struct field *f,
    void *obj)
{
	char *p = (char *)obj + f->off;
	const char *str;
	long long v;
	int k;

	switch (f->type) {
	case F_STR:
		if ((str = walk_get_str(ld, s, path)) != NULL) {
			free(*(char **)p);
			*(char **)p = xstrdup(str);
		}
		break;
	case F_INT:
		if (walk_get_int(ld, s, path, f->min, f->max, &v))
			*(int *)p = (int)v;
		break;
	case F_U32:
		if (walk_get_int(ld, s, path, f->min, f->max, &v))
			*(uint32_t *)p = (uint32_t)v;
		break;
	case F_BOOL:
	case F_TBOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			walk_err(ld, s, path, "expected true or false, got %s", walk_type_name(s));
			break;
		}
		if (f->type == F_BOOL)
			*(bool *)p = config_setting_get_bool(s);
		else
			*(int *)p = config_setting_get_bool(s) ? 1 : 0;
		break;
	case F_ENUM:
		if ((str = walk_get_str(ld, s, path)) == NULL)
			break;
		k = f->kw(str);
		if (k == MODEL_UNSET)
			walk_err(ld, s, path, "unknown value \"%s\" (expected %s)", str, f->kwlist);
		else
			*(int *)p = k;
		break;
	case F_ADDR:
	case F_ADDRPORT:
		if ((str = walk_get_str(ld, s, path)) == NULL)
			break;
		if (sockaddr_x_parse(str, f->type == F_ADDRPORT, (struct sockaddr_x *)p) < 0)
			walk_err(ld, s, path, "\"%s\" is not %s", str, f->type == F_ADDRPORT ?
			    "an ADDRESS:PORT or [IPV6]:PORT" : "an IPv4 or IPv6 address");
		else if (f->type == F_ADDRPORT && ((struct sockaddr_x *)p)->port == 0)
			walk_err(ld, s, path, "\"%s\" has no port", str);
		break;
	case F_FUNC:
		f->fn(ld, s, path, obj);
		break;
	case F_OWNER:
		break;
	}
}

void
walk_group(struct loader *ld, config_setting_t *g, const char *path, const struct field *f,
    size_t n, void *obj)
{
	unsigned i, len;
	size_t j;
	char *cpath;

	if (!config_setting_is_group(g)) {
		walk_err(ld, g, path, "expected a group { ... }, got %s", walk_type_name(g));
		return;
	}
	len = (unsigned)config_setting_length(g);
	for (i = 0; i < len; i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		const char *key = config_setting_name(s);
		const struct field *fd = field_find(f, n, key);

		cpath = walk_path_join(path, key);
		if (fd == NULL) {
			const char *sug = field_suggest(f, n, key);

			if (sug != NULL)
				walk_err(ld, s, cpath, "unknown setting (did you mean \"%s\"?)",
				    sug);
			else
				walk_err(ld, s, cpath, "unknown setting");
		} else {
			load_field(ld, s, cpath, fd, obj);
		}
		free(cpath);
	}
	for (j = 0; j < n; j++) {
		if (!(f[j].flags & F_REQUIRED) || config_setting_get_member(g, f[j].key) != NULL)
			continue;
		cpath = walk_path_join(path, f[j].key);
		walk_err(ld, g, cpath, "missing (required)");
		free(cpath);
	}
}

/* Booleans that default to true are read by their owner (the zeroed struct says false). */
void
walk_owner_bool(struct loader *ld, config_setting_t *g, const char *path, const char *key,
    bool *out)
{
	config_setting_t *m;
	char *mpath;

	if (!config_setting_is_group(g) || (m = config_setting_get_member(g, key)) == NULL)
		return;
	mpath = walk_path_join(path, key);
	if (config_setting_type(m) != CONFIG_TYPE_BOOL)
		walk_err(ld, m, mpath, "expected true or false, got %s", walk_type_name(m));
	else
		*out = config_setting_get_bool(m);
	free(mpath);
}
