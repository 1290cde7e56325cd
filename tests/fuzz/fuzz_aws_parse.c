/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: what aws_parse.c reads from the network or the
 * environment.  The first byte picks the parser: IMDS credentials (JSON),
 * an ISO 8601 expiry, an HTTP Date header, an endpoint URL, an IMDS text
 * answer.  Oracle: accepted credentials are complete and line-break free,
 * accepted URLs re-parse from their own parts to the same result, dates
 * are not before 1970.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_parse.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct aws_creds c;
	struct aws_url u, u2;
	char err[128], line[64], *s, *again;
	time_t t;

	if (size == 0)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (aws_creds_parse((const char *)data + 1, size - 1, &c, err, sizeof(err)) == 0) {
			if (c.access_key_id[0] == '\0' || c.secret_access_key[0] == '\0' ||
			    strpbrk(c.secret_access_key, "\r\n") != NULL ||
			    (c.session_token != NULL && strpbrk(c.session_token, "\r\n") != NULL))
				abort();
			aws_creds_clear(&c);
		} else if (c.session_token != NULL || c.access_key_id[0] != '\0') {
			abort();
		}
		break;
	case 1:
		if (aws_parse_iso8601(s, &t) == 0 && t < 0)
			abort();
		break;
	case 2:
		if (aws_parse_http_date(s, &t) == 0 && t < 0)
			abort();
		break;
	case 3:
		if (aws_url_parse(s, &u) == 0) {
			again = malloc(strlen(u.hostport) + strlen(u.path) + 16);
			sprintf(again, "%s://%s%s", u.tls ? "https" : "http", u.hostport, u.path);
			if (aws_url_parse(again, &u2) != 0 || strcmp(u.host, u2.host) != 0 ||
			    u.port != u2.port || strcmp(u.path, u2.path) != 0 || u.tls != u2.tls)
				abort();
			free(again);
		}
		break;
	default:
		if (aws_imds_first_line((const char *)data + 1, size - 1, line, sizeof(line)) == 0 &&
		    (strlen(line) == 0 || strchr(line, '\n') != NULL))
			abort();
		break;
	}
	free(s);
	return 0;
}
