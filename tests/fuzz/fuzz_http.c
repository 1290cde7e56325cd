/*
 * libFuzzer target: the HTTP/1.1 response parser (http.c), which reads
 * whatever a backend (or, later, the EC2 endpoint) sends.  The first byte
 * picks how the input is cut into reads and whether the request was HEAD;
 * the rest is the response.  Oracles: the verdict is the same however the
 * input is cut; memory stays within the limits (the header buffer never
 * exceeds max_header_bytes + 1, the body handed over never exceeds
 * max_body_bytes); a complete response has a status in 100..599; no more
 * bytes are consumed than given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const struct http_limits lim = { 512, 16, 4096 };

struct sink {
	uint64_t body;
	unsigned headers;
};

static int
on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct sink *s = arg;

	if (nlen == 0 || memchr(name, ':', nlen) != NULL || memchr(value, '\n', vlen) != NULL)
		abort();
	s->headers++;
	return 0;
}

static int
on_body(void *arg, const char *d, size_t n)
{
	struct sink *s = arg;

	s->body += n;
	return 0;
}

static const struct http_response_cb cb = { on_header, NULL, on_body };

/* Feed in pieces of `step` bytes (0: all at once); the verdict and status. */
static int
run(const char *in, size_t n, size_t step, bool head, int *status, struct sink *s)
{
	struct http_parser p;
	size_t off = 0, used;
	int rc = HTTP_MORE;

	memset(s, 0, sizeof(*s));
	http_parser_init(&p, &lim, head, &cb, s);
	while (off < n) {
		size_t k = step == 0 || n - off < step ? n - off : step;

		rc = http_parser_feed(&p, in + off, k, &used);
		if (used > k || p.cap > lim.max_header_bytes + 1 || s->body > lim.max_body_bytes)
			abort();
		if (rc != HTTP_MORE)
			break;
		off += k;
	}
	if (rc == HTTP_MORE)
		rc = http_parser_eof(&p);
	if (rc == HTTP_DONE && (p.status < 100 || p.status > 599))
		abort();
	*status = rc == HTTP_DONE ? p.status : 0;
	http_parser_fini(&p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct sink s1, s2;
	int st1, st2, r1, r2;
	size_t step;
	bool head;

	if (size < 1)
		return 0;
	step = (data[0] & 0x3f) + 1;
	head = (data[0] & 0x40) != 0;
	r1 = run((const char *)data + 1, size - 1, 0, head, &st1, &s1);
	r2 = run((const char *)data + 1, size - 1, step, head, &st2, &s2);
	if (r1 != r2 || st1 != st2 || s1.body != s2.body || s1.headers != s2.headers)
		abort();
	return 0;
}
