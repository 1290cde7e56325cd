/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_diff.h - what changes between two validated configurations (pure).
 *
 * One merge walk per sorted collection (VIPs, services, pools, servers,
 * peers), by identity, as model.h orders them; each object is NEW, DELETE
 * or CHANGED (with what changed), and unchanged objects are not listed.
 * The subsystems apply reloads by the same identities; this module says, in
 * words, what a reload does: `ipvs-routerctl plan` and the reload log.
 */
#ifndef IPVSR_CONF_DIFF_H
#define IPVSR_CONF_DIFF_H

#include <stddef.h>

#include "model.h"

enum conf_change_kind {
	CHANGE_NEW,
	CHANGE_DELETE,
	CHANGE_CHANGED,
};

struct conf_change {
	enum conf_change_kind kind;
	char *object;		/* "vip api-a", "vip api-a service tcp/443", "pool api server 192.0.2.1:443" */
	char *detail;		/* CHANGED: "weight 1 -> 2, drain"; else NULL */
};

struct conf_diff {
	struct conf_change *v;
	size_t n, cap;
	size_t count[3];	/* per kind */
};

/* Compare `a` (running) with `b` (new); both validated.  Never fails. */
void conf_diff(const struct config *a, const struct config *b, struct conf_diff *out);

/* Free; NULL-safe. */
void conf_diff_free(struct conf_diff *d);

/* "2 added, 1 removed, 3 changed" or "no change" into buf. */
char *conf_diff_summary(const struct conf_diff *d, char *buf, size_t len);

#endif
