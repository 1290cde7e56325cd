/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigv4.h - AWS Signature Version 4 (header signing), pure.
 *
 * Builds the canonical request, the string to sign, the signing key and the
 * Authorization header for one HTTP request.  No IO and no clock: the caller
 * passes the time.  Checked against AWS's published test vectors
 * (tests/data/sigv4, Apache-2.0).
 */
#ifndef IPVSR_SIGV4_H
#define IPVSR_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;		/* "GET", "POST" */
	const char *path;		/* decoded path, e.g. "/" or "/a b/"; encoded here */
	const char *query;		/* query string without '?', may be NULL; percent-
					 * escapes in it are decoded and re-encoded strictly */
	const struct sigv4_header *headers; /* as sent, Host included, without X-Amz-Date */
	size_t nheaders;
	const void *body;
	size_t body_len;
	bool normalize_path;		/* remove "." "..", empty segments (every service but S3) */
	bool sign_body;			/* add and sign x-amz-content-sha256 */
};

struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL for long-term keys */
};

/* What to send, and what was signed (kept for logs and tests). */
struct sigv4_signed {
	char amz_date[17];		/* X-Amz-Date: "20150830T123600Z" */
	char payload_hash[65];		/* hex SHA-256 of the body (x-amz-content-sha256) */
	char signature[65];
	char *authorization;		/* the Authorization header's value */
	char *signed_headers;		/* "host;x-amz-date" */
	char *canonical_request;
	char *string_to_sign;
};

/*
 * Sign `req` at time `t` (UTC seconds) for `region` and `service`.  The
 * caller then sends X-Amz-Date: out->amz_date, Authorization:
 * out->authorization and, with temporary credentials, X-Amz-Security-Token:
 * the token — which is signed too unless `sign_token` is false.  Returns 0,
 * or -EINVAL for a request this signer cannot represent (no Host header,
 * missing fields, a header name or value with line breaks).
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *cred,
    const char *region, const char *service, time_t t, bool sign_token,
    struct sigv4_signed *out);

/* Free what sigv4_sign allocated; NULL-safe, idempotent. */
void sigv4_signed_free(struct sigv4_signed *s);

/*
 * URI-encode `s` as SigV4 wants it (RFC 3986: unreserved A-Z a-z 0-9 - . _ ~
 * kept, every other byte as %XX uppercase); '/' kept when `keep_slash`.
 * Also the encoding of application/x-www-form-urlencoded EC2 Query bodies.
 * Returns a malloc'd string.
 */
char *sigv4_uri_encode(const char *s, size_t len, bool keep_slash);

/* Lowercase hex SHA-256 of `len` bytes into out[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
