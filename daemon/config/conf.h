/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.h - reading, checking and printing the configuration.
 *
 *   conf_load.c      file -> struct config: the schema and the entry points
 *   conf_walk.c      the table-driven walk of a group (with conf_load.c, the
 *                    only user of libconfig; conf_walk.h is private to them)
 *   conf_validate.c  whole-config semantic checks, defaults, inheritance
 *   conf_dump.c      struct config -> canonical, re-parseable text
 *
 * Every problem is appended to an errlist as "FILE:LINE: PATH: message";
 * nothing is printed here.
 */
#ifndef IPVSR_CONF_H
#define IPVSR_CONF_H

#include <stdio.h>

#include "model.h"
#include "util.h"

/*
 * Parse `path` (or, for conf_load_string, `text` labelled `label`) into a new
 * config.  Type errors, unknown keys, out-of-range values and missing
 * required keys are all collected in `el`.  Returns 0 with *out set, or a
 * negative errno: -ENOENT/-EACCES/... when the file cannot be read,
 * -EINVAL when it is not valid libconfig or has any error (*out is then NULL).
 */
int conf_load_file(const char *path, struct config **out, struct errlist *el);
int conf_load_string(const char *text, const char *label, struct config **out,
    struct errlist *el);

/*
 * Check a loaded config as a whole, resolve defaults and inheritance, sort
 * every collection into its total order, and link services to pools.
 * `router_name` overrides router.name (NULL: the file's, else the host name).
 * Returns 0, or -EINVAL with every problem in `el`.  `el` may already hold
 * the loader's errors: then the result is -EINVAL, objects the loader marked
 * `bad` are not looked into, and nothing is sorted or linked.
 */
int conf_validate(struct config *c, const char *router_name, struct errlist *el);

/* Load and validate in one step; *out is NULL on any error. */
int conf_read(const char *path, const char *router_name, struct config **out,
    struct errlist *el);

/*
 * Print a validated config in canonical form: every setting, defaults
 * included, in a fixed order.  Loading the output gives a config whose dump
 * is identical.  conf_dump_string returns a malloc'd string.
 */
int conf_dump(const struct config *c, FILE *f);
char *conf_dump_string(const struct config *c);

#endif
