/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_walk.h - the table-driven walker over libconfig settings.  Private to
 * the configuration loader: conf_load.c (the schema) and conf_walk.c.
 *
 * Each group of the language has a schema, an array of struct field (key,
 * type, range, where to store it).  One walk over a group's settings checks
 * every key against it, so unknown keys (with a near-miss suggestion), wrong
 * types, out-of-range values and missing required keys are all reported
 * with the exact file:line of the setting, and loading goes on to report
 * the rest.  The walker knows no group of the language: which groups exist
 * and what they fill in the model is conf_load.c's.
 */
#ifndef IPVSR_CONF_WALK_H
#define IPVSR_CONF_WALK_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* A source file's text, for reading integer literals exactly (see walk_get_int). */
struct walk_src {
	char *name;	/* as libconfig names it; NULL: the main stream */
	char *text;
	size_t *off;	/* start of line i + 1; off[nlines] = strlen(text) */
	size_t nlines;
};

/* One load: the config it fills and where its errors go. */
struct loader {
	struct config *c;
	struct errlist *el;
	size_t nerr0;
	/*
	 * The object being loaded (a vip, service, pool, server or peer): every
	 * error reported while it loads sets its `bad` flag, so that no semantic
	 * check meets a half-loaded object (a missing required key, a value
	 * refused and left unset).  Each object's loader sets it for its walk
	 * and puts the outer one back.
	 */
	bool *cur_bad;
	const char *main_text; /* the main stream's text when loaded from a string */
	struct walk_src *srcs;
	size_t nsrcs;
};

/* Free the source texts read for integer literals. */
void	walk_fini(struct loader *ld);

enum ftype {
	F_STR,		/* char * */
	F_INT,		/* int, in [min, max] */
	F_U32,		/* uint32_t, in [min, max] */
	F_BOOL,		/* bool */
	F_TBOOL,	/* int: MODEL_UNSET, 0 or 1 */
	F_ENUM,		/* int, from a keyword via `kw` */
	F_ADDR,		/* struct sockaddr_x, address only */
	F_ADDRPORT,	/* struct sockaddr_x, address and port */
	F_FUNC,		/* custom loader */
	F_OWNER,	/* known key, read by the group's owner after the walk */
};

#define F_REQUIRED	0x1

/* What an F_FUNC field calls with its setting. */
struct field;
typedef void (*field_fn)(struct loader *, config_setting_t *, const char *path, void *obj);

/* One key of a group's schema; build them with FLD, FENUM, FFUNC, FOWNER. */
struct field {
	const char *key;
	enum ftype type;
	size_t off;
	long long min, max;
	int flags;
	int (*kw)(const char *);
	const char *kwlist;	/* for the error message */
	field_fn fn;
};

#define FLD(st, k, t, member, lo, hi, fl) \
	{ k, t, offsetof(struct st, member), lo, hi, fl, NULL, NULL, NULL }
#define FENUM(st, k, member, kwfn, list) \
	{ k, F_ENUM, offsetof(struct st, member), 0, 0, 0, kwfn, list, NULL }
#define FFUNC(k, fn, fl) \
	{ k, F_FUNC, 0, 0, 0, fl, NULL, NULL, fn }
#define FOWNER(k) \
	{ k, F_OWNER, 0, 0, 0, 0, NULL, NULL, NULL }

#define WALK_GROUP(ld, s, path, tbl, obj) walk_group(ld, s, path, tbl, ARRAY_SIZE(tbl), obj)

/*
 * Check every setting of group `g` (at `path`, "" for the root) against the
 * `n` fields of `f` and store what is valid into `obj`; report what is not,
 * and every F_REQUIRED key that is missing.  F_FUNC fields get the setting;
 * F_OWNER keys are accepted and left to the caller.
 */
void	walk_group(struct loader *ld, config_setting_t *g, const char *path,
	    const struct field *f, size_t n, void *obj);
/*
 * A list ( {..}, {..} ) of groups into a new zeroed array at *arr of *n
 * elements of `elemsz` bytes, `each` loading one; an element that is not a
 * group is reported and skipped.
 */
void	walk_list(struct loader *ld, config_setting_t *s, const char *path, void **arr,
	    size_t *n, size_t elemsz, void (*each)(struct loader *, config_setting_t *,
	    const char *, void *));
/*
 * An array [ "a", "b" ] of at most `max` strings into argv (room for max + 1,
 * NULL-terminated); returns the count, or -1 after reporting (nothing kept).
 */
int	walk_str_array(struct loader *ld, config_setting_t *s, const char *path,
	    char **argv, int max);
/* Booleans that default to true: read `key` of group `g` into *out, if set. */
void	walk_owner_bool(struct loader *ld, config_setting_t *g, const char *path,
	    const char *key, bool *out);

/* One error at setting `s` (its file and line; NULL: the main file, line 0). */
void	walk_err(struct loader *ld, config_setting_t *s, const char *path,
	    const char *fmt, ...) PRINTF_LIKE(4, 5);
/* An object's file:line, from the setting it was loaded from. */
void	walk_set_loc(struct loader *ld, config_setting_t *s, int *line, const char **src);
/* "a group { }", "an integer", ...: for "expected X, got Y". */
const char *walk_type_name(const config_setting_t *s);
/* "path.key", or "key" at the root; malloc'd. */
char	*walk_path_join(const char *path, const char *key);
bool	walk_is_int(const config_setting_t *s);
/* A string setting's value, or NULL after reporting a type error. */
const char *walk_get_str(struct loader *ld, config_setting_t *s, const char *path);
/*
 * An integer setting in [min, max] into *out, or false after reporting.
 * The value is the one written: libconfig 1.5 keeps an unsuffixed literal
 * in 32 bits (4294967376 reads back as 80, 2147483648 as -2147483648), so
 * a 32-bit setting's literal is read again from its source line and taken
 * whole; a literal that does not fit in 64 bits is refused.
 */
bool	walk_get_int(struct loader *ld, config_setting_t *s, const char *path,
	    long long min, long long max, long long *out);

#endif
