/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the endpoint-file parser.  Oracle: on success the set is
 * strictly sorted (no duplicates), every weight is -1 or 0..65535, and the
 * set diffs against itself as all-kept.
 */
#include <stdio.h>
#include <stdlib.h>

#include "epfile_parse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct epset s;
	struct errlist el;
	struct epset_delta d;
	size_t i;

	errlist_init(&el);
	if (epfile_parse((const char *)data, size, "fuzz", &s, &el) == 0) {
		for (i = 0; i < s.n; i++) {
			if (i > 0 && sockaddr_x_cmp(&s.v[i - 1].addr, &s.v[i].addr) >= 0)
				abort();
			if (s.v[i].weight < -1 || s.v[i].weight > 65535)
				abort();
			if (epset_find(&s, &s.v[i].addr) != &s.v[i])
				abort();
		}
		epset_diff(&s, &s, &d);
		if (d.kept != s.n || d.added || d.removed || d.changed)
			abort();
		epset_free(&s);
	}
	errlist_clear(&el);
	return 0;
}
