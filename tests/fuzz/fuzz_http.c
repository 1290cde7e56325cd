/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the HTTP/1.1 response parser (http.c), which reads
 * whatever a backend (or, later, the EC2 endpoint) sends.  The first byte
 * picks how the input is cut into reads and whether the request was HEAD;
 * the rest is the response.
 *
 * http.c is compiled into this file (not linked) so the oracle can see the
 * parser's state and its chunk-size line bound.  Oracles, checked after
 * every feed:
 *   - no more bytes are consumed than given, and all of them on HTTP_MORE;
 *   - the parser's buffer never holds more than http.c allows:
 *       status line + header block (+ trailers): header_total plus the line
 *         being collected stay within max_header_bytes;
 *       chunk-size line (with extensions): at most CHUNK_LINE_MAX bytes;
 *       allocation: len + NUL fits in cap, and cap never exceeds the largest
 *         of those bounds the response could have reached, plus the NUL
 *         (max_header_bytes + 1, or for a chunked body
 *         max(max_header_bytes, CHUNK_LINE_MAX) + 1);
 *   - the body handed over never exceeds max_body_bytes, and equals the
 *     parser's own count;
 * and at the end: a complete response has a status in 100..599, and the
 * verdict, status, body size and header count are the same however the
 * input is cut.
 *
 * The limits are chosen so the two buffer bounds differ (512 < 1024): an
 * oracle that mixed them up would either miss an overrun or fire on a valid
 * response (issue #22: a 706-byte chunk-size line is valid).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.c"

/* The chunk-size line bound the oracle holds the parser to; http.c has its
 * own copy.  If http.c changes it, this stops the build: re-read the parser
 * and update the oracle (and the corpus files chunk-line-*) on purpose. */
#define ORACLE_CHUNK_LINE_MAX 1024
_Static_assert(CHUNK_LINE_MAX == ORACLE_CHUNK_LINE_MAX,
    "http.c changed CHUNK_LINE_MAX: update the fuzz_http oracle");

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

static size_t
max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* The buffer and body bounds of http.c, for the parser as it is now. */
static void
check_bounds(const struct http_parser *p, const struct sink *s)
{
	size_t hmax = p->lim.max_header_bytes;
	size_t reach = p->chunked ? max_size(hmax, ORACLE_CHUNK_LINE_MAX) : hmax;

	if (p->lim.max_header_bytes != lim.max_header_bytes)
		abort();
	/* header block and trailers, together */
	if (p->header_total > hmax)
		abort();
	if ((p->state == ST_HEAD || p->state == ST_TRAILER) && p->len > hmax - p->header_total)
		abort();
	/* the chunk-size line */
	if (p->state == ST_CHUNK_SIZE && p->len > ORACLE_CHUNK_LINE_MAX)
		abort();
	/* the allocation itself */
	if (p->cap == 0 ? p->buf != NULL || p->len != 0 : p->buf == NULL || p->len >= p->cap)
		abort();
	if (p->cap > reach + 1)
		abort();
	/* the body: never buffered, never over the limit */
	if (s->body > lim.max_body_bytes || p->body_bytes != s->body)
		abort();
}

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
		if (used > k || (rc == HTTP_MORE && used != k))
			abort();
		check_bounds(&p, s);
		if (rc != HTTP_MORE)
			break;
		off += k;
	}
	if (rc == HTTP_MORE) {
		rc = http_parser_eof(&p);
		check_bounds(&p, s);
	}
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
