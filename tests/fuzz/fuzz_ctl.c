/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the request path of the control socket and of the
 * metrics listener, end to end through the real code: srv.c's framing
 * (terminator search across reads, size limit, NUL bytes), ctl.c's line
 * handling and word splitting, and metrics_http.c's request-line parser.
 * The input is written by a real client over a real socket (a unix socket
 * in a private directory, a TCP socket on 127.0.0.1) to the daemon's libev
 * loop; the command handler behind ctl.c is a recorder, since what the
 * daemon's commands do with well-formed words is the unit tests' business
 * (tests/unit/test_control*) - this target is about the bytes before that.
 *
 * The first byte picks the listener (bit 0: metrics) and how the input is
 * cut into writes (the other bits: a chunk size); the rest is the request.
 *
 * Oracles: every response is one status line "NNN text\n" (control) or an
 * HTTP/1.1 head (metrics) with a known code, or nothing when the client
 * closed before a terminator; the handler only ever sees 1..CTL_MAX_WORDS
 * non-empty words without blanks, and a request with a terminator inside
 * the size limit always gets a response; the server never keeps a client
 * once the exchange is over.
 */
#include <errno.h>
#include <syslog.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include <ev.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "metrics_http.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define INPUT_MAX (2 * CTL_REQUEST_MAX + 64)

static struct ctl *ctl;
static struct metrics_http *metrics;
static char ctl_path[108];
static struct sockaddr_x metrics_addr;
static int handler_calls;

static enum ctl_code
recorder(void *arg, int argc, char **argv, struct tbuf *out, const char **text)
{
	int i;

	(void)arg;
	(void)text;
	if (argc < 1 || argc > CTL_MAX_WORDS)
		abort();
	for (i = 0; i < argc; i++)
		if (argv[i][0] == '\0' || strpbrk(argv[i], " \t\n") != NULL)
			abort();
	handler_calls++;
	tbuf_printf(out, "%d words\n", argc);
	return argc == 1 ? CTL_OK : CTL_NOT_FOUND;
}

/* in two steps, as a large scrape is rendered */
static bool
render(void *arg, struct tbuf *out, void **state)
{
	(void)arg;
	if (*state == NULL) {
		tbuf_printf(out, "# fuzz\n");
		*state = out;
		return false;
	}
	tbuf_printf(out, "ipvsr_up 1\n");
	return true;
}

static void
render_done(void *arg, void *state)
{
	(void)arg;
	(void)state;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz-ctl-XXXXXX";
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd;

	(void)argc;
	(void)argv;
	log_init("fuzz_ctl", true, LOG_ERR, LOG_DAEMON);
	if (loop_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", dir);
	if (ctl_open(ctl_path, 0600, NULL, recorder, NULL, &ctl) < 0)
		abort();
	/* a free port: bind to 0, read it back, release it, listen on it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		abort();
	close(fd);
	if (sockaddr_x_from_sa((struct sockaddr *)&sin, &metrics_addr) < 0 ||
	    metrics_http_open(&metrics_addr, render, render_done, NULL, &metrics) < 0)
		abort();
	return 0;
}

static int
client_connect(bool http)
{
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	socklen_t sl;
	int fd;

	if (http) {
		sl = sockaddr_x_to_sa(&metrics_addr, &ss);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS))
			abort();
		return fd;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		abort();
	return fd;
}

static void
check_response(bool http, const char *req, size_t reqlen, const char *resp, size_t len)
{
	size_t max = http ? METRICS_REQUEST_MAX : CTL_REQUEST_MAX;
	const char *term = http ? "\r\n\r\n" : "\n";
	bool framed = reqlen > 0 && memmem(req, reqlen < max ? reqlen : max, term,
	    strlen(term)) != NULL;
	int code;

	if (len == 0) {
		/* silence is right only for a client that closed mid-request */
		if (framed || reqlen >= max)
			abort();
		return;
	}
	if (http) {
		if (len < 13 || memcmp(resp, "HTTP/1.1 ", 9) != 0 ||
		    memmem(resp, len, "\r\n\r\n", 4) == NULL)
			abort();
		code = atoi(resp + 9);
		if (code != 200 && code != 400 && code != 404 && code != 405)
			abort();
	} else {
		if (len < 5 || resp[3] != ' ' || memchr(resp, '\n', len) == NULL)
			abort();
		code = atoi(resp);
		if (code != 200 && code != 400 && code != 404)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static char resp[65536];
	size_t chunk, off = 0, rlen = 0;
	bool http, closed = false, shut = false;
	const char *req;
	ssize_t n;
	int fd, i;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	http = data[0] & 1;
	chunk = (size_t)(data[0] >> 1) + 1;
	req = (const char *)data + 1;
	size--;
	fd = client_connect(http);
	/* bounded: each round either moves bytes or the server's timer would fire */
	for (i = 0; i < 10000 && !closed; i++) {
		if (off < size) {
			n = send(fd, req + off, size - off < chunk ? size - off : chunk, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EPIPE && errno != ECONNRESET)
				abort();
			else if (n < 0)
				off = size;	/* the server hung up (a 400 for too long) */
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		ev_run(loop_ev(), EVRUN_NOWAIT);
		for (;;) {
			n = recv(fd, resp + rlen, sizeof(resp) - rlen, 0);
			if (n > 0) {
				rlen += (size_t)n;
				if (rlen == sizeof(resp))
					abort();
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				closed = true;
			break;
		}
	}
	if (!closed)
		abort();	/* the server neither answered nor hung up */
	close(fd);
	check_response(http, req, size, resp, rlen);
	/* let the server notice our close of a connection it already freed */
	ev_run(loop_ev(), EVRUN_NOWAIT);
	return 0;
}
