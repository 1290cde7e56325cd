/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - HTTP/1.1 request writer and incremental response parser.
 *
 * The parser keeps at most max_header_bytes of header block in memory and
 * streams the body to a callback.  Framing follows RFC 9112 section 6.3
 * for responses: HEAD, 1xx, 204 and 304 have no body; Transfer-Encoding
 * wins over Content-Length; a Transfer-Encoding whose last coding is not
 * chunked, or no framing at all, means the body runs to the close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "util.h"

enum {
	ST_HEAD = 0,   /* collecting the status line and header block */
	ST_BODY_LEN,   /* Content-Length body: `remaining` bytes left */
	ST_BODY_CLOSE, /* body runs until EOF */
	ST_CHUNK_SIZE, /* collecting a chunk-size line */
	ST_CHUNK_DATA, /* `remaining` bytes of chunk data left */
	ST_CHUNK_CRLF, /* the CRLF after chunk data: `remaining` = bytes seen */
	ST_TRAILER,    /* collecting trailer lines until an empty one */
	ST_DONE,
	ST_STOPPED,
	ST_ERROR,
};

#define CHUNK_LINE_MAX 1024 /* chunk-size line including extensions */
#define BUF_MIN	       512

static bool is_tchar(unsigned char c);
static bool token_ok(const char *s);
static bool field_value_ok(const char *s);
static int http_fail(struct http_parser *p, int err, const char *msg);
static int buf_append(struct http_parser *p, const char *data, size_t n, size_t limit);
static size_t find_block_end(const char *b, size_t len, size_t from);
static int parse_block(struct http_parser *p, char *b, size_t len);
static int parse_status_line(struct http_parser *p, const char *l, size_t n);
static int parse_content_length(struct http_parser *p, const char *v, size_t n);
static bool last_coding_chunked(const char *v, size_t n);
static int start_body(struct http_parser *p);
static int feed_head(struct http_parser *p, const char *d, size_t n, size_t *used);
static int feed_chunk_size(struct http_parser *p, const char *d, size_t n, size_t *used);
static int feed_trailer(struct http_parser *p, const char *d, size_t n, size_t *used);
static int deliver(struct http_parser *p, const char *d, size_t n);

/* ------------------------------------------------------------ requests */

static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
token_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* Visible characters, spaces and tabs; nothing that could end the line. */
static bool
field_value_ok(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

int
http_request_format(const struct http_request *rq, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	const char *t;

	if (!token_ok(rq->method) || rq->target == NULL || rq->target[0] == '\0' ||
	    !field_value_ok(rq->host) || (rq->user_agent && !field_value_ok(rq->user_agent)))
		return -EINVAL;
	for (t = rq->target; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f)
			return -EINVAL;
	for (i = 0; i < rq->nheaders; i++)
		if (!token_ok(rq->headers[i].name) || !field_value_ok(rq->headers[i].value))
			return -EINVAL;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", rq->method, rq->target,
	    rq->host, rq->user_agent != NULL ? rq->user_agent : "ipvs-router");
	for (i = 0; i < rq->nheaders; i++)
		fprintf(f, "%s: %s\r\n", rq->headers[i].name, rq->headers[i].value);
	if (rq->body != NULL)
		fprintf(f, "Content-Length: %zu\r\n", rq->body_len);
	fputs(rq->keep_alive ? "\r\n" : "Connection: close\r\n\r\n", f);
	if (rq->body != NULL && rq->body_len > 0)
		fwrite(rq->body, 1, rq->body_len, f);
	if (fclose(f) != 0 || buf == NULL) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* ------------------------------------------------------------ responses */

void
http_parser_init(struct http_parser *p, const struct http_limits *lim, bool head_request,
    const struct http_response_cb *cb, void *arg)
{
	static const struct http_response_cb none;
	static const struct http_limits dflt = HTTP_LIMITS_DEFAULT;

	memset(p, 0, sizeof(*p));
	p->lim = lim != NULL ? *lim : dflt;
	if (p->lim.max_header_bytes < 16)
		p->lim.max_header_bytes = 16;
	p->head = head_request;
	p->cb = cb != NULL ? cb : &none;
	p->arg = arg;
	p->content_length = -1;
	p->state = ST_HEAD;
	p->errmsg = "";
}

void
http_parser_reset(struct http_parser *p, bool head_request)
{
	struct http_limits lim = p->lim;
	const struct http_response_cb *cb = p->cb;
	void *arg = p->arg;
	char *buf = p->buf;
	size_t cap = p->cap;

	if (cap > 4 * BUF_MIN) { /* an unusually long head: do not keep its memory */
		free(buf);
		buf = NULL;
		cap = 0;
	}
	http_parser_init(p, &lim, head_request, cb, arg);
	p->buf = buf;
	p->cap = cap;
}

void
http_parser_fini(struct http_parser *p)
{
	if (p == NULL)
		return;
	FREE_AND_NULL(p->buf);
	p->len = p->cap = 0;
}

const char *
http_parser_error(const struct http_parser *p)
{
	return p->errmsg != NULL ? p->errmsg : "";
}

static int
http_fail(struct http_parser *p, int err, const char *msg)
{
	p->state = ST_ERROR;
	p->err = err;
	p->errmsg = msg;
	return err;
}

/* Append up to `limit` total bytes; returns how many were taken. */
static int
buf_append(struct http_parser *p, const char *data, size_t n, size_t limit)
{
	size_t want;

	if (p->len >= limit)
		return 0;
	if (n > limit - p->len)
		n = limit - p->len;
	want = p->len + n + 1;
	if (want > p->cap) {
		size_t cap = p->cap ? p->cap : BUF_MIN;

		while (cap < want)
			cap *= 2;
		if (cap > limit + 1)
			cap = limit + 1;
		p->buf = xrealloc(p->buf, cap);
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	p->buf[p->len] = '\0';
	return (int)n;
}

/*
 * Offset just past the blank line ending a header block ("\n\n" or
 * "\n\r\n"), searching from `from`; 0 when not there yet.
 */
static size_t
find_block_end(const char *b, size_t len, size_t from)
{
	size_t i;

	for (i = from; i < len; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < len && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
parse_status_line(struct http_parser *p, const char *l, size_t n)
{
	int st;

	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ')
		return http_fail(p, -EBADMSG, "invalid status line");
	if (l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9')
		return http_fail(p, -EBADMSG, "invalid status code");
	if (n > 12 && l[12] != ' ')
		return http_fail(p, -EBADMSG, "invalid status line");
	st = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	p->status = st;
	p->version_minor = l[7] - '0';
	return 0;
}

/* "123" or a list of identical values "123, 123" (RFC 9110 8.6). */
static int
parse_content_length(struct http_parser *p, const char *v, size_t n)
{
	int64_t val = -1, cur;
	size_t i = 0;

	while (i < n) {
		cur = 0;
		if (v[i] < '0' || v[i] > '9')
			return http_fail(p, -EBADMSG, "invalid Content-Length");
		for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
			if (cur > (INT64_MAX - 9) / 10)
				return http_fail(p, -EBADMSG, "Content-Length out of range");
			cur = cur * 10 + (v[i] - '0');
		}
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n) {
			if (v[i] != ',')
				return http_fail(p, -EBADMSG, "invalid Content-Length");
			i++;
			while (i < n && (v[i] == ' ' || v[i] == '\t'))
				i++;
			if (i == n)
				return http_fail(p, -EBADMSG, "invalid Content-Length");
		}
		if (val >= 0 && cur != val)
			return http_fail(p, -EBADMSG, "conflicting Content-Length values");
		val = cur;
	}
	if (p->content_length >= 0 && p->content_length != val)
		return http_fail(p, -EBADMSG, "conflicting Content-Length headers");
	p->content_length = val;
	return 0;
}

static bool
last_coding_chunked(const char *v, size_t n)
{
	size_t end = n, start;

	while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t' || v[end - 1] == ','))
		end--;
	start = end;
	while (start > 0 && v[start - 1] != ',' && v[start - 1] != ' ' && v[start - 1] != '\t')
		start--;
	return end - start == 7 && strncasecmp(v + start, "chunked", 7) == 0;
}

/*
 * The whole header block is in b[0..len) (ending with its blank line).
 * Obsolete line folding is replaced by spaces first, as RFC 9112 5.2 asks
 * of a user agent.
 */
static int
parse_block(struct http_parser *p, char *b, size_t len)
{
	bool interim, have_te = false, chunked = false;
	size_t i, ls, le, nfields = 0;
	int r;

	for (i = 0; i < len; i++)
		if (b[i] == '\0')
			return http_fail(p, -EBADMSG, "NUL byte in the header block");
	for (i = 1; i + 1 < len; i++) {
		if (b[i] == '\n' && (b[i + 1] == ' ' || b[i + 1] == '\t')) {
			b[i] = ' ';
			if (b[i - 1] == '\r')
				b[i - 1] = ' ';
		}
	}

	/* status line */
	le = 0;
	while (b[le] != '\n')
		le++;
	r = parse_status_line(p, b, le > 0 && b[le - 1] == '\r' ? le - 1 : le);
	if (r < 0)
		return r;
	interim = p->status < 200 && p->status != 101;

	for (ls = le + 1; ls < len; ls = le + 1) {
		const char *name, *val;
		size_t nlen, vlen, colon;

		le = ls;
		while (b[le] != '\n')
			le++;
		vlen = le > ls && b[le - 1] == '\r' ? le - 1 - ls : le - ls;
		if (vlen == 0)
			break; /* the blank line */
		name = b + ls;
		for (colon = 0; colon < vlen && name[colon] != ':'; colon++)
			if (!is_tchar((unsigned char)name[colon]))
				return http_fail(p, -EBADMSG, "invalid header field name");
		if (colon == 0 || colon == vlen)
			return http_fail(p, -EBADMSG, "invalid header field");
		nlen = colon;
		val = name + colon + 1;
		vlen -= colon + 1;
		while (vlen > 0 && (*val == ' ' || *val == '\t')) {
			val++;
			vlen--;
		}
		while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
			vlen--;
		for (i = 0; i < vlen; i++)
			if (val[i] == '\r')
				return http_fail(p, -EBADMSG, "bare CR in a header field");
		if (++nfields > p->lim.max_headers)
			return http_fail(p, -E2BIG, "too many header fields");
		if (interim)
			continue;
		if (nlen == 14 && strncasecmp(name, "Content-Length", 14) == 0) {
			r = parse_content_length(p, val, vlen);
			if (r < 0)
				return r;
		} else if (nlen == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0) {
			have_te = true;
			chunked = last_coding_chunked(val, vlen);
		}
		if (p->cb->header != NULL && p->cb->header(p->arg, name, nlen, val, vlen) != 0) {
			p->state = ST_STOPPED;
			return HTTP_STOP;
		}
	}
	if (interim) {
		/* 1xx: another status line follows; its headers count afresh. */
		p->status = 0;
		p->content_length = -1;
		return HTTP_MORE;
	}
	if (have_te) {
		p->chunked = chunked;
		p->until_close = !chunked;
		p->content_length = -1;
	}
	return start_body(p);
}

static int
start_body(struct http_parser *p)
{
	bool nobody = p->head || p->status == 204 || p->status == 304 || p->status == 101;

	if (p->cb->headers_done != NULL && p->cb->headers_done(p->arg, p) != 0) {
		p->state = ST_STOPPED;
		return HTTP_STOP;
	}
	if (nobody) {
		p->chunked = p->until_close = false;
		p->state = ST_DONE;
		return HTTP_DONE;
	}
	if (p->chunked) {
		p->state = ST_CHUNK_SIZE;
		p->len = 0;
	} else if (p->until_close || p->content_length < 0) {
		p->until_close = true;
		p->state = ST_BODY_CLOSE;
	} else if (p->content_length == 0) {
		p->state = ST_DONE;
		return HTTP_DONE;
	} else {
		p->remaining = (uint64_t)p->content_length;
		p->state = ST_BODY_LEN;
	}
	return HTTP_MORE;
}

static int
feed_head(struct http_parser *p, const char *d, size_t n, size_t *used)
{
	size_t old = p->len, end, limit = p->lim.max_header_bytes - p->header_total;
	int took, r;

	took = buf_append(p, d, n, limit);
	end = find_block_end(p->buf, p->len, old >= 2 ? old - 2 : 0);
	if (end == 0) {
		*used = (size_t)took;
		if ((size_t)took < n || p->len >= limit)
			return http_fail(p, -E2BIG, "header block over the size limit");
		return HTTP_MORE;
	}
	*used = end - old;
	p->header_total += end;
	r = parse_block(p, p->buf, end);
	p->len = 0;
	return r;
}

static int
feed_chunk_size(struct http_parser *p, const char *d, size_t n, size_t *used)
{
	const char *nl = memchr(d, '\n', n);
	size_t take = nl != NULL ? (size_t)(nl - d) + 1 : n;
	uint64_t size = 0;
	size_t i, digits = 0, l;

	if ((size_t)buf_append(p, d, take, CHUNK_LINE_MAX) < take)
		return http_fail(p, -EBADMSG, "chunk-size line too long");
	*used = take;
	if (nl == NULL)
		return HTTP_MORE;
	l = p->len - 1;
	if (l > 0 && p->buf[l - 1] == '\r')
		l--;
	for (i = 0; i < l; i++) {
		char c = p->buf[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			break;
		if (++digits > 15)
			return http_fail(p, -EBADMSG, "chunk size out of range");
		size = size * 16 + (uint64_t)v;
	}
	if (digits == 0)
		return http_fail(p, -EBADMSG, "invalid chunk size");
	while (i < l && (p->buf[i] == ' ' || p->buf[i] == '\t'))
		i++;
	if (i < l && p->buf[i] != ';')
		return http_fail(p, -EBADMSG, "invalid chunk size");
	p->len = 0;
	if (size == 0) {
		p->state = ST_TRAILER;
		return HTTP_MORE;
	}
	p->remaining = size;
	p->state = ST_CHUNK_DATA;
	return HTTP_MORE;
}

/* Trailer lines are read (within the header limit) and dropped. */
static int
feed_trailer(struct http_parser *p, const char *d, size_t n, size_t *used)
{
	const char *nl = memchr(d, '\n', n);
	size_t take = nl != NULL ? (size_t)(nl - d) + 1 : n;
	size_t limit = p->lim.max_header_bytes - p->header_total;
	size_t l;

	if (p->header_total >= p->lim.max_header_bytes ||
	    (size_t)buf_append(p, d, take, limit) < take)
		return http_fail(p, -E2BIG, "trailer over the size limit");
	*used = take;
	if (nl == NULL)
		return HTTP_MORE;
	p->header_total += p->len;
	l = p->len - 1;
	if (l > 0 && p->buf[l - 1] == '\r')
		l--;
	p->len = 0;
	if (l == 0) {
		p->state = ST_DONE;
		return HTTP_DONE;
	}
	if (p->buf[0] == ' ' || p->buf[0] == '\t' || memchr(p->buf, ':', l) == NULL)
		return http_fail(p, -EBADMSG, "invalid trailer field");
	return HTTP_MORE;
}

static int
deliver(struct http_parser *p, const char *d, size_t n)
{
	if (n == 0)
		return HTTP_MORE;
	if (p->body_bytes + n > p->lim.max_body_bytes) {
		size_t room = (size_t)(p->lim.max_body_bytes - p->body_bytes);

		/* Hand over what fits: a callback looking for a marker may still find it. */
		if (room > 0 && p->cb->body != NULL && p->cb->body(p->arg, d, room) != 0) {
			p->body_bytes += room;
			p->state = ST_STOPPED;
			return HTTP_STOP;
		}
		return http_fail(p, -EFBIG, "body over the size limit");
	}
	p->body_bytes += n;
	if (p->cb->body != NULL && p->cb->body(p->arg, d, n) != 0) {
		p->state = ST_STOPPED;
		return HTTP_STOP;
	}
	return HTTP_MORE;
}

int
http_parser_feed(struct http_parser *p, const char *data, size_t len, size_t *usedp)
{
	size_t used = 0, u, n;
	int r = HTTP_MORE;

	switch (p->state) {
	case ST_DONE:
		r = HTTP_DONE;
		goto out;
	case ST_STOPPED:
		r = HTTP_STOP;
		goto out;
	case ST_ERROR:
		r = p->err;
		goto out;
	default:
		break;
	}
	while (used < len) {
		const char *d = data + used;

		n = len - used;
		u = 0;
		switch (p->state) {
		case ST_HEAD:
			r = feed_head(p, d, n, &u);
			break;
		case ST_BODY_LEN:
			u = n < p->remaining ? n : (size_t)p->remaining;
			p->remaining -= u;
			r = deliver(p, d, u);
			if (r == HTTP_MORE && p->remaining == 0) {
				p->state = ST_DONE;
				r = HTTP_DONE;
			}
			break;
		case ST_BODY_CLOSE:
			u = n;
			r = deliver(p, d, u);
			break;
		case ST_CHUNK_SIZE:
			r = feed_chunk_size(p, d, n, &u);
			break;
		case ST_CHUNK_DATA:
			u = n < p->remaining ? n : (size_t)p->remaining;
			p->remaining -= u;
			r = deliver(p, d, u);
			if (r == HTTP_MORE && p->remaining == 0) {
				p->state = ST_CHUNK_CRLF;
				p->remaining = 0;
			}
			break;
		case ST_CHUNK_CRLF:
			/* "\r\n", or a bare "\n" */
			u = 1;
			if (d[0] == '\r' && p->remaining == 0) {
				p->remaining = 1;
			} else if (d[0] == '\n') {
				p->state = ST_CHUNK_SIZE;
				p->len = 0;
			} else {
				r = http_fail(p, -EBADMSG, "missing CRLF after chunk data");
			}
			break;
		case ST_TRAILER:
			r = feed_trailer(p, d, n, &u);
			break;
		default:
			r = http_fail(p, -EINVAL, "parser in an invalid state");
			break;
		}
		used += u;
		if (r != HTTP_MORE)
			break;
	}
out:
	if (usedp != NULL)
		*usedp = used;
	return r;
}

int
http_parser_eof(struct http_parser *p)
{
	switch (p->state) {
	case ST_BODY_CLOSE:
		p->state = ST_DONE;
		return HTTP_DONE;
	case ST_DONE:
		return HTTP_DONE;
	case ST_STOPPED:
		return HTTP_STOP;
	case ST_ERROR:
		return p->err;
	case ST_HEAD:
		return http_fail(p, -EPIPE,
		    p->len == 0 && p->header_total == 0 ? "connection closed without a response"
							: "connection closed inside the headers");
	default:
		return http_fail(p, -EPIPE, "connection closed inside the body");
	}
}
