/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - HTTP/1.1 client side: a request writer and an incremental
 * response parser.
 *
 * Core module: no IO.  Used by the health checks and (later) the AWS
 * client.  The parser is written for hostile peers: whatever the other end
 * sends, memory stays within the limits given at init (the header block is
 * buffered up to max_header_bytes, the body is handed to a callback and
 * never buffered), and every malformed input is an error, never a guess.
 *
 * Feeding:
 *   struct http_parser p;
 *   http_parser_init(&p, &limits, head_request, &callbacks, arg);
 *   on each read:  rc = http_parser_feed(&p, buf, n, &used);
 *   on EOF:        rc = http_parser_eof(&p);
 *   http_parser_fini(&p);
 * rc is HTTP_MORE (send more bytes), HTTP_DONE (response complete),
 * HTTP_STOP (a callback asked to stop), or a negative errno:
 *   -EBADMSG  not a valid HTTP/1.x response
 *   -E2BIG    status line + headers (or trailers) over max_header_bytes,
 *             or more than max_headers header fields
 *   -EFBIG    more body bytes than max_body_bytes
 *   -EPIPE    (http_parser_eof) the connection ended before the response did
 * http_parser_error() says which rule was broken, for logs.
 */
#ifndef IPVSR_HTTP_H
#define IPVSR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


/* ------------------------------------------------------------ requests */

struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	const char *method;		   /* "GET", "HEAD", "POST", ... */
	const char *target;		   /* origin form: "/path?query" */
	const char *host;		   /* Host header value (add ":port" yourself if needed) */
	const char *user_agent;		   /* NULL: "ipvs-router" */
	const struct http_header *headers; /* extra headers, in order */
	size_t nheaders;
	const char *body; /* NULL: none; Content-Length is sent when not NULL */
	size_t body_len;
	bool keep_alive; /* false: "Connection: close" */
};

/*
 * Format a request into a new buffer (*out, NUL-terminated, *outlen bytes
 * without the NUL).  Returns 0, or -EINVAL when a method, target or header
 * would break the framing: CR, LF, NUL or (in names and the method) any
 * byte that is not an RFC 9110 token character, or a target with spaces.
 * Nothing is allocated on error.
 */
int http_request_format(const struct http_request *rq, char **out, size_t *outlen);

/* ------------------------------------------------------------ responses */

enum {
	HTTP_MORE = 0,
	HTTP_DONE = 1,
	HTTP_STOP = 2,
};

struct http_limits {
	size_t max_header_bytes; /* status line + header fields (+ trailers) */
	size_t max_headers;	 /* header fields in the response */
	uint64_t max_body_bytes; /* body bytes handed over before -EFBIG */
};

/* Sensible limits for health checks: 16 KiB of headers, 100 fields, 1 MiB of body. */
#define HTTP_LIMITS_DEFAULT                                                                        \
	{                                                                                          \
		16384, 100, 1048576                                                                \
	}

struct http_parser;

/*
 * Callbacks, each optional.  A non-zero return stops the parse: feed
 * returns HTTP_STOP and the parser accepts no more input.
 *   header:       one field of the final response (name and value exactly
 *                 as received, value without surrounding whitespace; not
 *                 NUL-terminated).  Interim (1xx) responses are skipped.
 *   headers_done: the status line and header fields are complete; the
 *                 status and framing fields of the parser are valid.
 *   body:         body bytes in order (chunked framing removed).
 */
struct http_response_cb {
	int (*header)(void *arg, const char *name, size_t nlen, const char *value, size_t vlen);
	int (*headers_done)(void *arg, const struct http_parser *p);
	int (*body)(void *arg, const char *data, size_t len);
};

struct http_parser {
	/* valid once the headers are done */
	int status;		/* 100..599 */
	int version_minor;	/* HTTP/1.x */
	int64_t content_length; /* -1: none */
	bool chunked;
	bool until_close;    /* body delimited by the end of the connection */
	uint64_t body_bytes; /* body bytes handed to the callback so far */

	/* private */
	int state;
	int err;
	const char *errmsg;
	bool head; /* the request was HEAD: no body whatever the headers say */
	struct http_limits lim;
	const struct http_response_cb *cb;
	void *arg;
	char *buf; /* header block, chunk-size and trailer lines */
	size_t len, cap;
	size_t header_total; /* header + trailer bytes so far */
	uint64_t remaining;  /* of the body (Content-Length) or of the chunk */
};

/* Start parsing one response.  head_request: the request was HEAD. */
void http_parser_init(struct http_parser *p, const struct http_limits *lim, bool head_request,
    const struct http_response_cb *cb, void *arg);

/*
 * Feed `len` bytes.  *used (may be NULL) is set to how many were consumed:
 * all of them on HTTP_MORE, the bytes up to the end of the response on
 * HTTP_DONE (what follows belongs to the next response), up to the point
 * of stopping on HTTP_STOP.  After DONE, STOP or an error, feeding again
 * returns the same code without reading.
 */
int http_parser_feed(struct http_parser *p, const char *data, size_t len, size_t *used);

/* The peer closed the connection: HTTP_DONE if that completes the response
 * (a body delimited by the close, or already done), else -EPIPE. */
int http_parser_eof(struct http_parser *p);

/* Why the last error happened ("invalid status line", ...); "" when none. */
const char *http_parser_error(const struct http_parser *p);

/* Start parsing the next response (on a kept connection, or another one) with
 * the same limits and callbacks, keeping the header buffer (unless it grew
 * large): no allocation per response. */
void http_parser_reset(struct http_parser *p, bool head_request);

/* Release the buffers; the parser can be initialised again.  NULL-safe. */
void http_parser_fini(struct http_parser *p);


#endif
