/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for http.c: the request writer and the incremental response
 * parser.  Every response case is fed whole, byte by byte and in odd-sized
 * pieces, and must give the same verdict each way: a parser that only works
 * when read() happens to return whole lines is the classic health-check bug.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "model.h"

/* ------------------------------------------------------------ requests */

static void
test_request_get(void **state)
{
	struct http_request rq = { .method = "GET", .target = "/healthz?x=1", .host = "api.test" };
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(http_request_format(&rq, &out, &len), 0);
	assert_string_equal(out, "GET /healthz?x=1 HTTP/1.1\r\nHost: api.test\r\n"
				 "User-Agent: ipvs-router\r\nConnection: close\r\n\r\n");
	assert_int_equal(len, strlen(out));
	free(out);
}

static void
test_request_post_headers(void **state)
{
	static const struct http_header h[] = { { "X-Amz-Date", "20240101T000000Z" },
		{ "Content-Type", "application/x-www-form-urlencoded" } };
	struct http_request rq = { .method = "POST", .target = "/", .host = "ec2.test:8443",
		.user_agent = "ua/1", .headers = h, .nheaders = 2, .body = "a=b", .body_len = 3,
		.keep_alive = true };
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(http_request_format(&rq, &out, &len), 0);
	assert_string_equal(out, "POST / HTTP/1.1\r\nHost: ec2.test:8443\r\nUser-Agent: ua/1\r\n"
				 "X-Amz-Date: 20240101T000000Z\r\n"
				 "Content-Type: application/x-www-form-urlencoded\r\n"
				 "Content-Length: 3\r\n\r\na=b");
	free(out);
}

struct bad_request {
	const char *method, *target, *host, *hname, *hvalue;
};

static const struct bad_request bad_requests[] = {
	{ "GET", "/a b", "h", NULL, NULL },
	{ "GET", "/a\r\nX: y", "h", NULL, NULL },
	{ "GET", "", "h", NULL, NULL },
	{ "G ET", "/", "h", NULL, NULL },
	{ "", "/", "h", NULL, NULL },
	{ "GET", "/", "h\r\nInjected: 1", NULL, NULL },
	{ "GET", "/", "h\n", NULL, NULL },
	{ "GET", "/", NULL, NULL, NULL },
	{ "GET", "/", "h", "X-Bad Name", "v" },
	{ "GET", "/", "h", "X-Ok", "v\r\nInjected: 1" },
	{ "GET", "/", "h", "X-Ok", "v\x7f" },
	{ "GET", "/", "h", "", "v" },
};

static void
test_request_rejects_injection(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		const struct bad_request *b = &bad_requests[i];
		struct http_header h = { b->hname, b->hvalue };
		struct http_request rq = { .method = b->method, .target = b->target, .host = b->host,
			.headers = &h, .nheaders = b->hname != NULL ? 1 : 0 };
		char *out = NULL;
		size_t len = 0;

		if (http_request_format(&rq, &out, &len) != -EINVAL)
			fail_msg("bad request %zu accepted: %s", i, out ? out : "");
		assert_null(out);
	}
}

/* ------------------------------------------------------------ responses */

struct collect {
	char body[4096];
	size_t blen;
	int nheaders;
	char last_header[128];
	int headers_done;
	const char *stop_at;	/* stop in the body callback once this is seen */
	bool stop_after_headers;
};

static int
on_header(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct collect *c = arg;

	c->nheaders++;
	snprintf(c->last_header, sizeof(c->last_header), "%.*s=%.*s", (int)nlen, name, (int)vlen,
	    value);
	return 0;
}

static int
on_headers_done(void *arg, const struct http_parser *p)
{
	struct collect *c = arg;

	c->headers_done++;
	return c->stop_after_headers;
}

static int
on_body(void *arg, const char *data, size_t len)
{
	struct collect *c = arg;

	if (c->blen + len >= sizeof(c->body))
		len = sizeof(c->body) - 1 - c->blen;
	memcpy(c->body + c->blen, data, len);
	c->blen += len;
	c->body[c->blen] = '\0';
	return c->stop_at != NULL && strstr(c->body, c->stop_at) != NULL;
}

static const struct http_response_cb cbs = { on_header, on_headers_done, on_body };

struct resp_case {
	const char *name;
	const char *in;
	bool head;
	bool eof;		/* call http_parser_eof after feeding everything */
	int rc;			/* final verdict */
	int status;
	const char *body;	/* expected body (NULL: don't care) */
	int nheaders;		/* -1: don't care */
	size_t trailing;	/* bytes left unconsumed after DONE */
	const char *stop_at;
	bool stop_after_headers;
	size_t max_header;	/* 0 = default */
	uint64_t max_body;	/* 0 = default */
};

static const struct resp_case resp_cases[] = {
	{ "content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false,
	    HTTP_DONE, 200, "hello", 1, 0, NULL, false, 0, 0 },
	{ "content-length zero", "HTTP/1.1 204 No Content\r\n\r\n", false, false, HTTP_DONE, 204,
	    "", 0, 0, NULL, false, 0, 0 },
	{ "bare LF lines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, false, HTTP_DONE,
	    200, "ok", 1, 0, NULL, false, 0, 0 },
	{ "no reason phrase", "HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n", false, false,
	    HTTP_DONE, 503, "", 1, 0, NULL, false, 0, 0 },
	{ "empty reason phrase", "HTTP/1.0 404 \r\n\r\nnope", false, true, HTTP_DONE, 404,
	    "nope", 0, 0, NULL, false, 0, 0 },
	{ "trailing bytes after the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
	    false, false, HTTP_DONE, 200, "ok", 1, 5, NULL, false, 0, 0 },
	{ "close-delimited", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nuntil close", false, true,
	    HTTP_DONE, 200, "until close", 1, 0, NULL, false, 0, 0 },
	{ "close-delimited, no eof yet", "HTTP/1.1 200 OK\r\n\r\npartial", false, false,
	    HTTP_MORE, 200, "partial", 0, 0, NULL, false, 0, 0 },
	{ "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n",
	    false, false, HTTP_DONE, 200, "hello 0123456789", 1, 0, NULL, false, 0, 0 },
	{ "chunked with trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
				   "2\r\nok\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n",
	    false, false, HTTP_DONE, 200, "ok", 1, 0, NULL, false, 0, 0 },
	{ "chunked, bare LF", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n",
	    false, false, HTTP_DONE, 200, "ok", 1, 0, NULL, false, 0, 0 },
	{ "TE wins over Content-Length",
	    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nok\r\n0\r\n\r\n",
	    false, false, HTTP_DONE, 200, "ok", 2, 0, NULL, false, 0, 0 },
	{ "TE not ending in chunked: until close",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw", false, true,
	    HTTP_DONE, 200, "raw", 1, 0, NULL, false, 0, 0 },
	{ "HEAD ignores Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true,
	    false, HTTP_DONE, 200, "", 1, 0, NULL, false, 0, 0 },
	{ "304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false,
	    false, HTTP_DONE, 304, "", 1, 0, NULL, false, 0, 0 },
	{ "interim 100 skipped", "HTTP/1.1 100 Continue\r\nX-I: 1\r\n\r\n"
				 "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
	    false, false, HTTP_DONE, 200, "x", 1, 0, NULL, false, 0, 0 },
	{ "obs-fold joined", "HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n",
	    false, false, HTTP_DONE, 200, "", 2, 0, NULL, false, 0, 0 },
	{ "identical Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok",
	    false, false, HTTP_DONE, 200, "ok", 1, 0, NULL, false, 0, 0 },
	{ "stop in the body", "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nxxxxMARKERyyyyyyyyyy",
	    false, false, HTTP_STOP, 200, NULL, 1, 0, "MARKER", false, 0, 0 },
	{ "stop after headers", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false,
	    false, HTTP_STOP, 200, "", 1, 0, NULL, true, 0, 0 },
	/* errors */
	{ "not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", false, false, -EBADMSG, 0, NULL, -1, 0,
	    NULL, false, 0, 0 },
	{ "HTTP/2 status line", "HTTP/2 200\r\n\r\n", false, false, -EBADMSG, 0, NULL, -1, 0,
	    NULL, false, 0, 0 },
	{ "status out of range", "HTTP/1.1 600 Weird\r\n\r\n", false, false, -EBADMSG, 0, NULL,
	    -1, 0, NULL, false, 0, 0 },
	{ "status not digits", "HTTP/1.1 2x0 OK\r\n\r\n", false, false, -EBADMSG, 0, NULL, -1, 0,
	    NULL, false, 0, 0 },
	{ "status too long", "HTTP/1.1 2000 OK\r\n\r\n", false, false, -EBADMSG, 0, NULL, -1, 0,
	    NULL, false, 0, 0 },
	{ "space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", false, false,
	    -EBADMSG, 0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "header without colon", "HTTP/1.1 200 OK\r\nGarbage\r\n\r\n", false, false, -EBADMSG,
	    0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "empty header name", "HTTP/1.1 200 OK\r\n: v\r\n\r\n", false, false, -EBADMSG, 0, NULL,
	    -1, 0, NULL, false, 0, 0 },
	{ "NUL in headers", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", false, false, -EBADMSG, 0,
	    NULL, -1, 0, NULL, false, 0, 0 },
	{ "conflicting Content-Length",
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false, false,
	    -EBADMSG, 0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "conflicting Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok",
	    false, false, -EBADMSG, 0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false,
	    false, -EBADMSG, 0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "huge Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    false, false, -EBADMSG, 0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
	    false, -EBADMSG, 200, NULL, -1, 0, NULL, false, 0, 0 },
	{ "chunk size overflow",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", false,
	    false, -EBADMSG, 200, NULL, -1, 0, NULL, false, 0, 0 },
	{ "missing CRLF after chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "2\r\nokX\r\n0\r\n\r\n",
	    false, false, -EBADMSG, 200, NULL, -1, 0, NULL, false, 0, 0 },
	{ "truncated headers", "HTTP/1.1 200 OK\r\nContent-Le", false, true, -EPIPE, 0, NULL, -1,
	    0, NULL, false, 0, 0 },
	{ "nothing at all", "", false, true, -EPIPE, 0, NULL, -1, 0, NULL, false, 0, 0 },
	{ "truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", false, true,
	    -EPIPE, 200, "short", 1, 0, NULL, false, 0, 0 },
	{ "truncated chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
	    false, true, -EPIPE, 200, "ab", 1, 0, NULL, false, 0, 0 },
	{ "header block over the limit", "HTTP/1.1 200 OK\r\nX-Big: 0123456789012345678901234567"
					 "89\r\n\r\n",
	    false, false, -E2BIG, 0, NULL, -1, 0, NULL, false, 40, 0 },
	{ "body over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
				 "01234567890123456789",
	    false, false, -EFBIG, 200, NULL, 1, 0, NULL, false, 0, 10 },
	{ "marker inside the limit still found",
	    "HTTP/1.1 200 OK\r\n\r\n0123OK67890123456789", false, false, HTTP_STOP, 200, NULL,
	    0, 0, "OK", false, 0, 10 },
	{ "trailer over the limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "0\r\nX-Trailer: 01234567890123456789\r\n\r\n",
	    false, false, -E2BIG, 200, NULL, -1, 0, NULL, false, 64, 0 },
};

/* Feed `in` in pieces of `step` bytes (0: all at once); returns the verdict. */
static int
run_case(const struct resp_case *tc, size_t inlen, size_t step, struct collect *c,
    struct http_parser *p, size_t *trailing)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	size_t off = 0, used, n;
	int rc = HTTP_MORE;

	memset(c, 0, sizeof(*c));
	c->stop_at = tc->stop_at;
	c->stop_after_headers = tc->stop_after_headers;
	if (tc->max_header)
		lim.max_header_bytes = tc->max_header;
	if (tc->max_body)
		lim.max_body_bytes = tc->max_body;
	http_parser_init(p, &lim, tc->head, &cbs, c);
	*trailing = 0;
	while (off < inlen) {
		n = step == 0 || inlen - off < step ? inlen - off : step;
		rc = http_parser_feed(p, tc->in + off, n, &used);
		assert_true(used <= n);
		if (rc != HTTP_MORE) {
			*trailing = inlen - off - used;
			break;
		}
		assert_int_equal(used, n);
		off += n;
	}
	if (rc == HTTP_MORE && tc->eof)
		rc = http_parser_eof(p);
	return rc;
}

static size_t
case_len(const struct resp_case *tc)
{
	/* The NUL case carries an embedded NUL: measure up to the final CRLFCRLF. */
	if (strcmp(tc->name, "NUL in headers") == 0)
		return sizeof("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n") - 1;
	return strlen(tc->in);
}

static void
test_response_table(void **state)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 64 };
	size_t i, j, trailing;

	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		const struct resp_case *tc = &resp_cases[i];

		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			struct collect c;
			struct http_parser p;
			int rc;

			rc = run_case(tc, case_len(tc), steps[j], &c, &p, &trailing);
			if (rc != tc->rc)
				fail_msg("%s (step %zu): rc %d, want %d (%s)", tc->name, steps[j], rc,
				    tc->rc, http_parser_error(&p));
			if (tc->status != 0 && p.status != tc->status)
				fail_msg("%s (step %zu): status %d, want %d", tc->name, steps[j],
				    p.status, tc->status);
			if (tc->body != NULL && strcmp(c.body, tc->body) != 0)
				fail_msg("%s (step %zu): body \"%s\", want \"%s\"", tc->name, steps[j],
				    c.body, tc->body);
			if (tc->nheaders >= 0 && c.nheaders != tc->nheaders)
				fail_msg("%s (step %zu): %d headers, want %d", tc->name, steps[j],
				    c.nheaders, tc->nheaders);
			if (tc->rc == HTTP_DONE && trailing != tc->trailing)
				fail_msg("%s (step %zu): %zu bytes left, want %zu", tc->name, steps[j],
				    trailing, tc->trailing);
			if (tc->rc < 0 && http_parser_error(&p)[0] == '\0')
				fail_msg("%s: error without a message", tc->name);
			/* A finished parser keeps its verdict. */
			if (rc != HTTP_MORE)
				assert_int_equal(http_parser_feed(&p, "x", 1, NULL), rc);
			http_parser_fini(&p);
		}
	}
}

static void
test_response_header_values(void **state)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nX-Spaced:   padded value  \r\n\r\n";
	struct collect c;
	struct http_parser p;

	memset(&c, 0, sizeof(c));
	http_parser_init(&p, NULL, true, &cbs, &c);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1, NULL), HTTP_DONE);
	assert_string_equal(c.last_header, "X-Spaced=padded value");
	assert_int_equal(c.headers_done, 1);
	assert_int_equal(p.version_minor, 1);
	http_parser_fini(&p);
}

/*
 * Responses one after the other on a kept connection: reset keeps the header
 * buffer (no allocation per response) and nothing of the previous response;
 * the first response ends exactly where the second begins.
 */
static void
test_response_reset_keeps_buffer(void **state)
{
	static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 503 No\r\n"
				  "Content-Length: 4\r\nX-Second: yes\r\n\r\ndown";
	struct collect c;
	struct http_parser p;
	size_t used = 0, used2 = 0;
	char *buf;

	memset(&c, 0, sizeof(c));
	http_parser_init(&p, NULL, false, &cbs, &c);
	assert_int_equal(http_parser_feed(&p, two, sizeof(two) - 1, &used), HTTP_DONE);
	assert_int_equal(p.status, 200);
	assert_string_equal(c.body, "ok");
	assert_true(used < sizeof(two) - 1);
	buf = p.buf;
	assert_non_null(buf);
	http_parser_reset(&p, false);
	assert_ptr_equal(p.buf, buf);
	assert_int_equal(p.status, 0);
	assert_int_equal(p.content_length, -1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(http_parser_feed(&p, two + used, sizeof(two) - 1 - used, &used2), HTTP_DONE);
	assert_int_equal(used + used2, sizeof(two) - 1);
	assert_int_equal(p.status, 503);
	assert_string_equal(c.body, "down");
	assert_string_equal(c.last_header, "X-Second=yes");
	assert_ptr_equal(p.buf, buf);
	http_parser_fini(&p);
}

/*
 * A backend answering with endless headers must be cut off at the limit,
 * with memory bounded by it, however the bytes arrive.
 */
static void
test_response_endless_headers(void **state)
{
	struct http_limits lim = { 8192, 100, 1024 };
	char chunk[4096];
	struct http_parser p;
	size_t used, total = 0;
	int rc, i;

	memset(chunk, 'a', sizeof(chunk));
	http_parser_init(&p, &lim, false, NULL, NULL);
	rc = http_parser_feed(&p, "HTTP/1.1 200 OK\r\nX-Endless: ", 28, &used);
	assert_int_equal(rc, HTTP_MORE);
	for (i = 0; i < 1000 && rc == HTTP_MORE; i++) {
		rc = http_parser_feed(&p, chunk, sizeof(chunk), &used);
		total += used;
	}
	assert_int_equal(rc, -E2BIG);
	assert_true(total + 28 <= 8192);
	assert_true(p.cap <= 8193);
	http_parser_fini(&p);
}

static void
test_response_too_many_headers(void **state)
{
	struct http_limits lim = { 65536, 3, 1024 };
	static const char in[] = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
	struct http_parser p;

	http_parser_init(&p, &lim, false, NULL, NULL);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1, NULL), -E2BIG);
	http_parser_fini(&p);
}

/*
 * A chunk-size line (with its extensions) is buffered up to 1,024 bytes
 * including the CRLF, whatever max_header_bytes says (512 here), and a
 * longer one is refused, fed whole or a byte at a time (issue #22).
 */
static int
feed_chunk_line(size_t linelen, size_t step, struct http_parser *p, uint64_t *body)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char tail[] = "hello\r\n0\r\n\r\n";
	struct http_limits lim = { 512, 10, 4096 };
	char in[2048];
	size_t n = 0, off, k;
	int rc = HTTP_MORE;

	memcpy(in, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	memcpy(in + n, "5;x=", 4);
	memset(in + n + 4, 'a', linelen - 6);
	memcpy(in + n + linelen - 2, "\r\n", 2);
	n += linelen;
	memcpy(in + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	http_parser_init(p, &lim, false, NULL, NULL);
	for (off = 0; off < n && rc == HTTP_MORE; off += k) {
		k = step == 0 || n - off < step ? n - off : step;
		rc = http_parser_feed(p, in + off, k, NULL);
		assert_true(p->cap <= 1025);
	}
	*body = p->body_bytes;
	return rc;
}

static void
test_response_chunk_line_limit(void **state)
{
	static const size_t steps[] = { 0, 1, 7 };
	struct http_parser p;
	uint64_t body;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(feed_chunk_line(706, steps[i], &p, &body), HTTP_DONE);
		assert_int_equal(body, 5);
		http_parser_fini(&p);
		assert_int_equal(feed_chunk_line(1024, steps[i], &p, &body), HTTP_DONE);
		assert_int_equal(body, 5);
		http_parser_fini(&p);
		assert_int_equal(feed_chunk_line(1025, steps[i], &p, &body), -EBADMSG);
		assert_string_equal(http_parser_error(&p), "chunk-size line too long");
		assert_int_equal(body, 0);
		http_parser_fini(&p);
		assert_int_equal(feed_chunk_line(1100, steps[i], &p, &body), -EBADMSG);
		assert_string_equal(http_parser_error(&p), "chunk-size line too long");
		http_parser_fini(&p);
	}
}

/* Endless chunked body: cut at max_body_bytes, never buffered. */
static void
test_response_endless_chunks(void **state)
{
	struct http_limits lim = { 1024, 10, 100000 };
	static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char chunk[] = "400\r\n"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123\r\n";
	struct http_parser p;
	int rc, i;

	http_parser_init(&p, &lim, false, NULL, NULL);
	assert_int_equal(http_parser_feed(&p, head, sizeof(head) - 1, NULL), HTTP_MORE);
	rc = HTTP_MORE;
	for (i = 0; i < 1000 && rc == HTTP_MORE; i++)
		rc = http_parser_feed(&p, chunk, sizeof(chunk) - 1, NULL);
	assert_int_equal(rc, -EFBIG);
	assert_true(p.body_bytes <= 100000);
	assert_true(p.cap <= 1025);
	http_parser_fini(&p);
}

/* Pseudo-random garbage never crashes the parser, never returns DONE without a status. */
static void
test_response_garbage(void **state)
{
	char buf[512];
	uint32_t x = 12345;
	int i, n, rc;

	for (i = 0; i < 2000; i++) {
		struct http_parser p;

		for (n = 0; n < (int)sizeof(buf); n++) {
			x = x * 1103515245u + 12345u;
			buf[n] = (char)(x >> 16);
		}
		if (i % 2 == 0)
			memcpy(buf, "HTTP/1.1 200 OK\r\n", 17);
		http_parser_init(&p, NULL, false, NULL, NULL);
		rc = http_parser_feed(&p, buf, sizeof(buf), NULL);
		if (rc == HTTP_MORE)
			rc = http_parser_eof(&p);
		if (rc == HTTP_DONE)
			assert_true(p.status >= 100 && p.status <= 599);
		http_parser_fini(&p);
	}
}

static void
test_status_expected(void **state)
{
	static const struct status_range r[] = { { 200, 299 }, { 301, 302 }, { 418, 418 } };

	assert_true(status_range_match(r, 3, 200));
	assert_true(status_range_match(r, 3, 299));
	assert_false(status_range_match(r, 3, 300));
	assert_true(status_range_match(r, 3, 302));
	assert_true(status_range_match(r, 3, 418));
	assert_false(status_range_match(r, 3, 503));
	assert_false(status_range_match(r, 0, 200));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_get),
		cmocka_unit_test(test_request_post_headers),
		cmocka_unit_test(test_request_rejects_injection),
		cmocka_unit_test(test_response_table),
		cmocka_unit_test(test_response_header_values),
		cmocka_unit_test(test_response_reset_keeps_buffer),
		cmocka_unit_test(test_response_endless_headers),
		cmocka_unit_test(test_response_too_many_headers),
		cmocka_unit_test(test_response_chunk_line_limit),
		cmocka_unit_test(test_response_endless_chunks),
		cmocka_unit_test(test_response_garbage),
		cmocka_unit_test(test_status_expected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
