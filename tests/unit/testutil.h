/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testutil.h - helpers shared by the unit tests: load a config from a string,
 * run the validator, and look for an expected message among the errors.
 */
#ifndef IPVSR_TESTUTIL_H
#define IPVSR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"

/* Load and validate `text`; returns the config (NULL on error) and fills el. */
static inline struct config *
t_conf(const char *text, const char *router, struct errlist *el)
{
	struct config *c = NULL;

	errlist_init(el);
	if (conf_load_string(text, "t.conf", &c, el) < 0)
		return NULL;
	if (conf_validate(c, router, el) < 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

/* true when one of the messages contains `needle` */
static inline bool
t_has(const struct errlist *el, const char *needle)
{
	size_t i;

	for (i = 0; i < el->n; i++)
		if (strstr(el->msgs[i], needle) != NULL)
			return true;
	return false;
}

static inline void
t_dump_errors(const struct errlist *el)
{
	size_t i;

	for (i = 0; i < el->n; i++)
		print_message("  %s\n", el->msgs[i]);
}

/* A minimal valid config, to which a test appends or substitutes parts. */
#define T_POOL \
	"pools = ( { name = \"web\"; servers = ( { address = \"192.0.2.11\"; }, " \
	"{ address = \"192.0.2.12\"; } ); } );\n"
#define T_VIP \
	"vips = ( { name = \"v1\"; address = \"198.51.100.10\"; interface = \"eth0\"; " \
	"services = ( { port = 80; pool = \"web\"; } ); } );\n"

#endif
