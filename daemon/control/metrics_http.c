/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_http.c - serve GET /metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "metrics_http.h"
#include "srv.h"

struct metrics_http {
	struct srv *srv;
	metrics_step_fn *step;
	metrics_done_fn *done;
	void *arg;
};

/* A scrape being rendered, one step per loop iteration. */
struct scrape {
	struct metrics_http *m;
	struct srv_client *cl;
	struct tbuf resp; /* header (length to be filled in), then the body */
	size_t hdr_len, len_at;
	void *state;
	bool head;
};

/* The header's Content-Length is written last, right-aligned in a field this
 * wide (blanks before a field value are allowed: RFC 9110, 5.5). */
#define LEN_FIELD 20

static void scrape_step(void *arg);

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
scrape_free(struct scrape *sc)
{
	loop_defer_cancel(scrape_step, sc);
	sc->m->done(sc->m->arg, sc->state);
	tbuf_free(&sc->resp);
	free(sc);
}

static void
scrape_gone(void *arg)
{
	scrape_free(arg);
}

static void
scrape_step(void *arg)
{
	struct scrape *sc = arg;
	char num[LEN_FIELD + 1];
	size_t body;

	if (!sc->m->step(sc->m->arg, &sc->resp, &sc->state)) {
		loop_defer(scrape_step, sc);
		return;
	}
	body = sc->resp.len - sc->hdr_len;
	snprintf(num, sizeof(num), "%*zu", LEN_FIELD, body);
	memcpy(sc->resp.s + sc->len_at, num, LEN_FIELD);
	if (sc->head)
		sc->resp.len = sc->hdr_len;
	/* the answer goes out as built: no copy of tens of MB on the loop */
	tbuf_free(srv_resp(sc->cl));
	*srv_resp(sc->cl) = sc->resp;
	tbuf_init(&sc->resp);
	srv_finish(sc->cl);
	scrape_free(sc);
}

/* Answer GET /metrics over the next loop iterations; `resp` if that cannot be. */
static void
scrape_start(struct metrics_http *m, bool head, struct tbuf *resp)
{
	struct scrape *sc = xcalloc(1, sizeof(*sc));

	sc->m = m;
	sc->head = head;
	tbuf_init(&sc->resp);
	tbuf_puts(&sc->resp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
			     "charset=utf-8\r\nContent-Length: ");
	sc->len_at = sc->resp.len;
	tbuf_printf(&sc->resp, "%*s\r\nConnection: close\r\n\r\n", LEN_FIELD, "");
	sc->hdr_len = sc->resp.len;
	sc->cl = srv_defer(scrape_gone, sc);
	if (sc->cl == NULL) {
		tbuf_free(&sc->resp);
		free(sc);
		respond(resp, 500, "Internal Server Error", "text/plain; charset=utf-8",
		    "cannot defer\n", 13, head);
		return;
	}
	scrape_step(sc);
}

static void
serve(void *arg, char *req, const char *error, struct tbuf *resp)
{
	static const char text[] = "text/plain; charset=utf-8";
	struct metrics_http *m = arg;
	char *sp1, *sp2, *q;
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
		scrape_start(m, head, resp);
	} else if (strcmp(sp1 + 1, "/") == 0) {
		static const char idx[] = "ipvs-router: metrics are at /metrics\n";

		respond(resp, 200, "OK", text, idx, sizeof(idx) - 1, head);
	} else {
		respond(resp, 404, "Not Found", text, "not found\n", 10, head);
	}
}

int
metrics_http_open(const struct sockaddr_x *addr, metrics_step_fn *step, metrics_done_fn *done,
    void *arg, struct metrics_http **out)
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
	m->step = step;
	m->done = done;
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
