/*
 * ipvswait - wait, polling the kernel's IPVS table over one netlink socket,
 * until it holds exactly N destinations with a given one among them (or N and
 * a given one absent), then print the CLOCK_REALTIME microseconds when that was
 * first seen.  For bench/epfile: started before the change, so no process start
 * lands inside the measured latency.
 *
 * usage: ipvswait COUNT present|absent ADDR:PORT TIMEOUT_MS
 *   prints "ready" once the netlink socket is open, then "seen USEC" (exit 0)
 *   or "timeout" (exit 1)
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

int
main(int argc, char **argv)
{
	struct ipvs *h;
	struct rc_table t;
	struct sockaddr_x want;
	char why[256];
	long long deadline;
	size_t count, i, j, n;
	bool present, found;

	if (argc != 5 || sockaddr_x_parse(argv[3], true, &want) < 0) {
		fprintf(stderr, "usage: ipvswait COUNT present|absent ADDR:PORT TIMEOUT_MS\n");
		return 2;
	}
	count = strtoul(argv[1], NULL, 10);
	present = strcmp(argv[2], "present") == 0;
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
			if (n == count && found == present) {
				printf("seen %lld\n", now_us(CLOCK_REALTIME));
				rc_table_clear(&t);
				ipvs_close(h);
				return 0;
			}
		}
		rc_table_clear(&t);
	}
	printf("timeout\n");
	ipvs_close(h);
	return 1;
}
