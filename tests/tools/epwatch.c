/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epwatch - run the daemon's endpoint-file watcher (daemon/endpoints/epfile.c) on the
 * real libev loop and print one line per reading, for tests/integration/epfile-*:
 *
 *   KEY ok N FIRST LAST | KEY missing | KEY invalid ERRORS FIRST-ERROR | KEY unreadable ...
 *
 * usage: epwatch KEY=PATH...   (runs until SIGTERM/SIGINT; stdout is line-buffered)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epfile.h"
#include "log.h"
#include "loop.h"

static unsigned long nreports;

static void
report(void *arg, const char *key, const char *path, int64_t since_us, enum epfile_status st,
    const struct epset *set, const struct errlist *errors)
{
	char a[SOCKADDR_X_STRLEN], b[SOCKADDR_X_STRLEN];

	nreports++;
	switch (st) {
	case EPFILE_OK:
		if (set->n == 0)
			printf("%s ok 0 - -\n", key);
		else
			printf("%s ok %zu %s %s\n", key, set->n,
			    sockaddr_x_fmt(&set->v[0].addr, a, sizeof(a)),
			    sockaddr_x_fmt(&set->v[set->n - 1].addr, b, sizeof(b)));
		break;
	case EPFILE_MISSING:
		printf("%s missing\n", key);
		break;
	case EPFILE_INVALID:
	case EPFILE_UNREADABLE:
		printf("%s %s %zu %s\n", key, st == EPFILE_INVALID ? "invalid" : "unreadable",
		    errors->n, errors->n ? errors->msgs[0] : "");
		break;
	}
}

static void
on_stop(int signo, void *arg)
{
	loop_break();
}

int
main(int argc, char **argv)
{
	struct epfile_watch *w;
	int i, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("epwatch", true, LOG_INFO, LOG_DAEMON);
	if (argc < 2) {
		fprintf(stderr, "usage: epwatch KEY=PATH...\n");
		return 2;
	}
	if ((r = loop_init()) < 0)
		fatalx("loop_init: %s", strerror(-r));
	loop_on_shutdown(on_stop, NULL);
	if ((w = epfile_watch_new(report, NULL)) == NULL)
		fatal("inotify");
	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			fatalx("%s: expected KEY=PATH", argv[i]);
		*eq = '\0';
		if ((r = epfile_watch_add(w, argv[i], eq + 1)) < 0)
			fatalx("%s: %s", eq + 1, strerror(-r));
	}
	printf("ready\n");
	loop_run();
	fprintf(stderr, "epwatch: %lu readings\n", nreports);
	epfile_watch_free(w);
	loop_fini();
	return 0;
}
