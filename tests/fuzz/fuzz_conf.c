/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the configuration front end (libconfig text -> load ->
 * validate -> canonical dump).  Oracle beyond "no crash, no leak": when a
 * config is valid, its dump must load, validate, and dump to itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct config *c = NULL, *c2 = NULL;
	struct errlist el;
	char *text, *d1, *d2;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	errlist_init(&el);
	if (conf_load_string(text, "fuzz.conf", &c, &el) == 0 &&
	    conf_validate(c, "fuzz-router", &el) == 0) {
		d1 = conf_dump_string(c);
		errlist_clear(&el);
		if (conf_load_string(d1, "dump.conf", &c2, &el) != 0 ||
		    conf_validate(c2, "fuzz-router", &el) != 0) {
			fprintf(stderr, "dump does not re-load:\n%s\n%s\n", d1,
			    el.n ? el.msgs[0] : "");
			abort();
		}
		d2 = conf_dump_string(c2);
		if (strcmp(d1, d2) != 0) {
			fprintf(stderr, "dump is not a fixed point:\n%s\n---\n%s\n", d1, d2);
			abort();
		}
		free(d1);
		free(d2);
	}
	config_free(c);
	config_free(c2);
	errlist_clear(&el);
	free(text);
	return 0;
}
