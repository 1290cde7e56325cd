/*
 * metrics_http.c - serve GET /metrics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics_http.h"
#include "srv.h"

struct metrics_http {
	struct srv *srv;
	metrics_render_fn *fn;
	void *arg;
};

static const struct srv_params metrics_params = {
	"metrics", "\r\n\r\n", METRICS_REQUEST_MAX, METRICS_TIMEOUT_MS, 30000,
	METRICS_MAX_CLIENTS,
};

static void
respond(struct tbuf *resp, int code, const char *status, const char *ctype, const char *body,
    size_t len, bool head)
{
	tbuf_printf(resp, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", code, status, ctype, len);
	if (!head && body != NULL)
		tbuf_append(resp, body, len);
}

static void
serve(void *arg, char *req, const char *error, struct tbuf *resp)
{
	static const char text[] = "text/plain; charset=utf-8";
	struct metrics_http *m = arg;
	char *sp1, *sp2, *q;
	struct tbuf body;
	bool head;

	if (req == NULL) {
		respond(resp, 400, "Bad Request", text, "bad request\n", 12, false);
		return;
	}
	/* request line: METHOD SP TARGET SP HTTP/x.y */
	sp1 = strchr(req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		respond(resp, 400, "Bad Request", text, "bad request\n", 12, false);
		return;
	}
	*sp1 = *sp2 = '\0';
	head = strcmp(req, "HEAD") == 0;
	if (!head && strcmp(req, "GET") != 0) {
		respond(resp, 405, "Method Not Allowed", text, "use GET\n", 8, false);
		return;
	}
	if ((q = strchr(sp1 + 1, '?')) != NULL)
		*q = '\0';
	if (strcmp(sp1 + 1, "/metrics") == 0) {
		tbuf_init(&body);
		m->fn(m->arg, &body);
		respond(resp, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body.s,
		    body.len, head);
		tbuf_free(&body);
	} else if (strcmp(sp1 + 1, "/") == 0) {
		static const char idx[] = "ipvs-router: metrics are at /metrics\n";

		respond(resp, 200, "OK", text, idx, sizeof(idx) - 1, head);
	} else {
		respond(resp, 404, "Not Found", text, "not found\n", 10, head);
	}
}

int
metrics_http_open(const struct sockaddr_x *addr, metrics_render_fn *fn, void *arg,
    struct metrics_http **out)
{
	struct sockaddr_storage ss;
	struct metrics_http *m;
	socklen_t len = sockaddr_x_to_sa(addr, &ss);
	int fd, one = 1, r;

	*out = NULL;
	fd = socket(addr->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->af == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	m = xcalloc(1, sizeof(*m));
	m->fn = fn;
	m->arg = arg;
	m->srv = srv_new(fd, &metrics_params, serve, m);
	*out = m;
	return 0;
}

void
metrics_http_close(struct metrics_http *m)
{
	if (m == NULL)
		return;
	srv_free(m->srv);
	free(m);
}
