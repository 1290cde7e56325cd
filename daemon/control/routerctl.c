/* SPDX-License-Identifier: Apache-2.0 */
/*
 * routerctl.c - ipvs-routerctl, the command-line client of the control socket.
 *
 * It sends one line (the command and its words) and prints what the daemon
 * answers: the body on stdout for success, the status text and body on
 * stderr otherwise.  The daemon does all formatting (text or --json), so the
 * client stays a thin, dependable pipe.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define DEFAULT_SOCKET	"/run/ipvs-router/control.sock"
#define REQ_MAX		4096

enum {
	EXIT_DONE = 0,		/* the daemon did it */
	EXIT_FAILED = 1,	/* the daemon refused or failed (4xx/5xx) */
	EXIT_USAGE = 2,
	EXIT_NOCONN = 3,	/* cannot reach the daemon, or a broken answer */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ipvs-routerctl [-s SOCKET] [-w SECONDS] [--json] COMMAND [ARGS...]\n"
	    "\n"
	    "Commands:\n"
	    "  status                    overview: configuration, VIPs and their roles, pools\n"
	    "  show vips|pools|servers|peers\n"
	    "                            details of one kind of object\n"
	    "  explain POOL SERVER       why SERVER (ADDRESS[:PORT]) has the weight it has here:\n"
	    "                            membership, drain, health and its last results, the\n"
	    "                            min_servers guard, adoption, the kernel, the VIPs' roles\n"
	    "  drain POOL SERVER         take SERVER (ADDRESS[:PORT]) out of rotation, keeping\n"
	    "                            its connections (weight 0); lasts until undrain or restart\n"
	    "  undrain POOL SERVER       put it back\n"
	    "  drain-router              withdraw this router's announce = \"bgp\" VIPs from BGP,\n"
	    "                            keeping addresses, IPVS and established connections\n"
	    "  undrain-router            announce them again where their pools are healthy\n"
	    "  reload                    re-read the configuration; prints the result and every\n"
	    "                            error (the running configuration stays if there is one)\n"
	    "  plan                      what a reload would change, without changing anything\n"
	    "  version                   the daemon's version\n"
	    "\n"
	    "Options:\n"
	    "  -s, --socket PATH   control socket (default " DEFAULT_SOCKET ")\n"
	    "  -w, --wait SECONDS  how long to wait for the answer (default 30)\n"
	    "  -j, --json          JSON instead of text (status, show, explain, plan)\n"
	    "      --version       print this program's version\n"
	    "  -h, --help          this help\n"
	    "\n"
	    "Exit status: 0 done; 1 the daemon refused or failed; 2 usage error;\n"
	    "3 the daemon cannot be reached (is it running? permissions on the socket?).\n");
}

static int
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = DEFAULT_SOCKET;
	char req[REQ_MAX + 2], *resp = NULL, *nl, *end;
	size_t len = 0, cap = 0, rl = 0;
	struct sockaddr_un sun;
	struct timespec t0;
	bool json = false;
	int ch, fd, i, code, wait_s = 30;
	long v;

	while ((ch = getopt_long(argc, argv, "+s:w:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'w':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 3600) {
				fprintf(stderr, "ipvs-routerctl: -w: a number of seconds, 1..3600\n");
				return EXIT_USAGE;
			}
			wait_s = (int)v;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		case 'V':
			printf("ipvs-routerctl %s\n", PACKAGE_VERSION);
			return EXIT_DONE;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = optind; i < argc; i++) {
		if (strpbrk(argv[i], " \t\r\n") != NULL || argv[i][0] == '\0') {
			fprintf(stderr, "ipvs-routerctl: \"%s\": words cannot be empty or contain "
			    "spaces\n", argv[i]);
			return EXIT_USAGE;
		}
		rl += (size_t)snprintf(req + rl, sizeof(req) - rl, "%s%s", i > optind ? " " : "",
		    argv[i]);
		if (rl >= REQ_MAX) {
			fprintf(stderr, "ipvs-routerctl: command too long\n");
			return EXIT_USAGE;
		}
	}
	if (json)
		rl += (size_t)snprintf(req + rl, sizeof(req) - rl, " --json");
	req[rl++] = '\n';

	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ipvs-routerctl: socket path too long\n");
		return EXIT_USAGE;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ipvs-routerctl: cannot connect to %s: %s (is ipvs-router "
		    "running?)\n", sock, strerror(errno));
		return EXIT_NOCONN;
	}
	if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl) {
		fprintf(stderr, "ipvs-routerctl: %s: %s\n", sock, strerror(errno));
		return EXIT_NOCONN;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int left = wait_s * 1000 - elapsed_ms(&t0);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			fprintf(stderr, "ipvs-routerctl: no answer within %d s\n", wait_s);
			return EXIT_NOCONN;
		}
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			resp = realloc(resp, cap);
			if (resp == NULL) {
				fprintf(stderr, "ipvs-routerctl: out of memory\n");
				return EXIT_NOCONN;
			}
		}
		n = read(fd, resp + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "ipvs-routerctl: %s: %s\n", sock, strerror(errno));
			return EXIT_NOCONN;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (resp == NULL || len == 0 || (resp[len] = '\0', (nl = strchr(resp, '\n')) == NULL)) {
		fprintf(stderr, "ipvs-routerctl: the daemon closed the connection without an "
		    "answer\n");
		return EXIT_NOCONN;
	}
	*nl = '\0';
	code = atoi(resp);
	if (code < 100 || code > 599) {
		fprintf(stderr, "ipvs-routerctl: not an answer from ipvs-router: %.80s\n", resp);
		return EXIT_NOCONN;
	}
	if (code >= 200 && code < 300) {
		fputs(nl + 1, stdout);
		free(resp);
		return EXIT_DONE;
	}
	fprintf(stderr, "ipvs-routerctl: %s\n", strchr(resp, ' ') ? strchr(resp, ' ') + 1 : resp);
	fputs(nl + 1, stderr);
	free(resp);
	return EXIT_FAILED;
}
