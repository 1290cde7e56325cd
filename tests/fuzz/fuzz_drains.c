/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the drains' text form (control/drains.c), what a peer's
 * shared-state message and the state file carry.  The input is merged into
 * a set that already holds two entries.  Oracles: the set stays strictly
 * sorted and every entry valid (drains_check); the set written out and
 * merged into an empty one gives the same text (format and parse agree);
 * merging the input a second time takes nothing (idempotent).
 */
#include <stdlib.h>
#include <string.h>

#include "drains.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void
text_of(const struct drains *d, struct tbuf *t)
{
	size_t i;

	tbuf_init(t);
	for (i = 0; i < d->n; i++)
		drains_format(&d->v[i], t);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char seed[] = "drain web 192.0.2.11:80 1000 r1 uid=0 pid=1\n"
				   "undrain web [2001:db8::1] 2000 r2 uid=0 pid=2\n";
	struct drains d, back;
	struct drains_merge m;
	struct tbuf a, b;
	size_t i;

	drains_init(&d);
	drains_init(&back);
	drains_merge_text(&d, seed, sizeof(seed) - 1, 0, 0, NULL, NULL, &m);
	drains_merge_text(&d, (const char *)data, size, 5000, 1000, NULL, NULL, &m);
	if (m.taken + m.same + m.bad == 0 && size > 0 && memchr(data, '\n', size) == NULL &&
	    data[0] != '#' && data[0] != ' ')
		abort(); /* one non-empty line: counted somewhere */
	for (i = 0; i < d.n; i++) {
		if (drains_check(&d.v[i]) != NULL)
			abort();
		if (i > 0 && (strcmp(d.v[i - 1].pool, d.v[i].pool) > 0 ||
		    (strcmp(d.v[i - 1].pool, d.v[i].pool) == 0 &&
		    sockaddr_x_cmp(&d.v[i - 1].addr, &d.v[i].addr) >= 0)))
			abort();
		if (d.v[i].stamp_us > 6000 && d.v[i].stamp_us != 1000 && d.v[i].stamp_us != 2000)
			abort(); /* nothing stamped beyond now + ahead */
	}
	text_of(&d, &a);
	if (a.len > 0)
		drains_merge_text(&back, a.s, a.len, 0, 0, NULL, NULL, &m);
	text_of(&back, &b);
	if ((a.s == NULL) != (b.s == NULL) || (a.s != NULL && strcmp(a.s, b.s) != 0))
		abort();
	drains_merge_text(&d, (const char *)data, size, 5000, 1000, NULL, NULL, &m);
	if (m.taken != 0)
		abort();
	tbuf_free(&a);
	tbuf_free(&b);
	drains_free(&d);
	drains_free(&back);
	return 0;
}
