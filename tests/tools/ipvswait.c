/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipvswait - wait, polling the kernel's IPVS table over one netlink socket,
 * until it holds exactly N destinations with a given one among them (or N and
 * a given one absent), then print the CLOCK_REALTIME microseconds when that was
 * first seen.  For bench/epfile, which checks with it that the kernel's table
 * ended as the file says once the daemon has reported the change applied.
 *
 * usage: ipvswait COUNT present|absent ADDR:PORT TIMEOUT_MS [POLL_MS [LIST]]
 *   prints "ready" once the netlink socket is open, then "seen USEC" (exit 0)
 *   or "timeout" (exit 1).  POLL_MS: pause between dumps (default 0: dump
 *   back to back, which costs the CPU whatever else runs there).  LIST: a
 *   file of addresses, one a line, that must be the destinations exactly
 *   (each with ADDR:PORT's port).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipvs.h"
#include "reconcile.h"

static long long
now_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
addr_qcmp(const void *a, const void *b)
{
	return sockaddr_x_cmp(a, b);
}

/* The addresses of `path` with `port`, sorted; -1 when unreadable or bad. */
static int
load_list(const char *path, int port, struct sockaddr_x **out, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[128];
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof(**out));
			if (*out == NULL)
				abort();
		}
		if (sockaddr_x_parse(line, false, &(*out)[*n]) < 0) {
			fprintf(stderr, "ipvswait: %s: bad address %s\n", path, line);
			fclose(f);
			return -1;
		}
		(*out)[(*n)++].port = port;
	}
	fclose(f);
	qsort(*out, *n, sizeof(**out), addr_qcmp);
	return 0;
}

/* The table holds exactly `want` (sorted, n of them) as destinations. */
static bool
table_is(const struct rc_table *t, const struct sockaddr_x *want, size_t n)
{
	struct sockaddr_x *have = malloc((n ? n : 1) * sizeof(*have));
	size_t i, j, k = 0;
	bool same = true;

	if (have == NULL)
		abort();
	for (i = 0; i < t->n && same; i++)
		for (j = 0; j < t->svcs[i].ndests && same; j++) {
			if (k == n)
				same = false;
			else
				have[k++] = t->svcs[i].dests[j].addr;
		}
	same = same && k == n;
	if (same)
		qsort(have, n, sizeof(*have), addr_qcmp);
	for (i = 0; i < n && same; i++)
		same = sockaddr_x_cmp(&have[i], &want[i]) == 0;
	free(have);
	return same;
}

int
main(int argc, char **argv)
{
	struct ipvs *h;
	struct rc_table t;
	struct sockaddr_x want, *list = NULL;
	struct timespec pause = { 0, 0 };
	char why[256];
	long long deadline, poll_ms = 0;
	size_t count, i, j, n, nlist = 0;
	bool present, found;

	if (argc < 5 || argc > 7 || sockaddr_x_parse(argv[3], true, &want) < 0) {
		fprintf(stderr, "usage: ipvswait COUNT present|absent ADDR:PORT TIMEOUT_MS "
				"[POLL_MS [LIST]]\n");
		return 2;
	}
	count = strtoul(argv[1], NULL, 10);
	present = strcmp(argv[2], "present") == 0;
	if (argc > 5)
		poll_ms = atoll(argv[5]);
	pause.tv_sec = poll_ms / 1000;
	pause.tv_nsec = poll_ms % 1000 * 1000000;
	if (argc > 6 && load_list(argv[6], want.port, &list, &nlist) < 0) {
		fprintf(stderr, "ipvswait: cannot use %s\n", argv[6]);
		return 2;
	}
	if (ipvs_open(&h, why, sizeof(why)) < 0) {
		fprintf(stderr, "ipvswait: %s\n", why);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	deadline = now_us(CLOCK_MONOTONIC) + atoll(argv[4]) * 1000;
	rc_table_init(&t);
	while (now_us(CLOCK_MONOTONIC) < deadline) {
		if (ipvs_dump(h, &t) == 0) {
			n = 0;
			found = false;
			for (i = 0; i < t.n; i++)
				for (j = 0; j < t.svcs[i].ndests; j++) {
					n++;
					if (sockaddr_x_cmp(&t.svcs[i].dests[j].addr, &want) == 0)
						found = true;
				}
			if (n == count && found == present &&
			    (list == NULL || table_is(&t, list, nlist))) {
				printf("seen %lld\n", now_us(CLOCK_REALTIME));
				rc_table_clear(&t);
				ipvs_close(h);
				free(list);
				return 0;
			}
		}
		rc_table_clear(&t);
		if (poll_ms > 0)
			nanosleep(&pause, NULL);
	}
	printf("timeout\n");
	ipvs_close(h);
	free(list);
	return 1;
}
