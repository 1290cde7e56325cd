/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigv4.c - AWS Signature Version 4, header signing.
 *
 * Follows "Create a signed AWS API request" (AWS IAM docs): canonical
 * request -> string to sign -> HMAC chain for the signing key -> signature.
 * Only libcrypto's digests are used; no sockets, no clock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"
#include "util.h"

struct chdr {
	char *name;		/* lowercase */
	char *value;		/* trimmed, inner whitespace runs collapsed; duplicates joined by ',' */
	size_t order;		/* first appearance, for a stable sort */
};

struct qparam {
	char *key;		/* encoded */
	char *value;		/* encoded */
};

static const char hexdig[] = "0123456789abcdef";

static void
to_hex(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, out);
}

static void
hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &len);
}

static bool
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *
sigv4_uri_encode(const char *s, size_t len, bool keep_slash)
{
	char *out = xmalloc(len * 3 + 1), *p = out;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = "0123456789ABCDEF"[c >> 4];
			*p++ = "0123456789ABCDEF"[c & 15];
		}
	}
	*p = '\0';
	return out;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, s+len) then encode strictly: one canonical spelling per byte string. */
static char *
reencode(const char *s, size_t len)
{
	char *dec = xmalloc(len + 1), *out;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			dec[n++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			dec[n++] = s[i];
		}
	}
	out = sigv4_uri_encode(dec, n, false);
	free(dec);
	return out;
}

/* ------------------------------------------------------------ canonical URI */

static char *
canonical_uri(const char *path, bool normalize)
{
	const char **segs;
	size_t nsegs = 0, i, len, cap;
	char *copy, *tok, *save = NULL, *joined, *out;
	bool trailing;

	if (path == NULL || *path == '\0')
		path = "/";
	if (!normalize)
		return sigv4_uri_encode(path, strlen(path), true);

	len = strlen(path);
	trailing = path[len - 1] == '/';
	cap = len / 2 + 2;
	segs = xcalloc(cap, sizeof(*segs));
	copy = xstrdup(path);
	for (tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (nsegs > 0)
				nsegs--;
			continue;
		}
		segs[nsegs++] = tok;
	}
	/* "/" + segments joined by "/" + trailing "/" when the input had one */
	joined = xmalloc(len + 2);
	joined[0] = '/';
	joined[1] = '\0';
	for (i = 0; i < nsegs; i++) {
		strcat(joined, segs[i]);
		if (i + 1 < nsegs || trailing)
			strcat(joined, "/");
	}
	out = sigv4_uri_encode(joined, strlen(joined), true);
	free(joined);
	free(copy);
	free(segs);
	return out;
}

/* ------------------------------------------------------------ canonical query */

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r != 0 ? r : strcmp(x->value, y->value);
}

static char *
canonical_query(const char *query)
{
	struct qparam *ps = NULL;
	size_t n = 0, cap = 0, i, total = 1;
	const char *p = query, *amp, *eq;
	char *out;

	if (query == NULL || *query == '\0')
		return xstrdup("");
	while (*p != '\0') {
		size_t plen;

		amp = strchr(p, '&');
		plen = amp ? (size_t)(amp - p) : strlen(p);
		if (plen > 0) {
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				ps = xreallocarray(ps, cap, sizeof(*ps));
			}
			eq = memchr(p, '=', plen);
			if (eq != NULL) {
				ps[n].key = reencode(p, (size_t)(eq - p));
				ps[n].value = reencode(eq + 1, plen - (size_t)(eq - p) - 1);
			} else {
				ps[n].key = reencode(p, plen);
				ps[n].value = xstrdup("");
			}
			total += strlen(ps[n].key) + strlen(ps[n].value) + 2;
			n++;
		}
		p += plen + (amp != NULL);
	}
	if (n > 1)
		qsort(ps, n, sizeof(*ps), qparam_cmp);
	out = xmalloc(total);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, "&");
		strcat(out, ps[i].key);
		strcat(out, "=");
		strcat(out, ps[i].value);
		free(ps[i].key);
		free(ps[i].value);
	}
	free(ps);
	return out;
}

/* ------------------------------------------------------------ canonical headers */

/* Trim and collapse runs of spaces/tabs to one space. */
static char *
header_value_norm(const char *v)
{
	char *out = xmalloc(strlen(v) + 1), *o = out;
	bool space = false;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = false;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

static int
chdr_cmp(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
chdr_add(struct chdr *hs, size_t *n, const char *name, const char *value)
{
	size_t i;
	char *lname = xstrdup(name), *nv = header_value_norm(value);

	for (i = 0; lname[i] != '\0'; i++)
		lname[i] = (char)tolower((unsigned char)lname[i]);
	for (i = 0; i < *n; i++) {
		if (strcmp(hs[i].name, lname) == 0) {
			char *j = xasprintf("%s,%s", hs[i].value, nv);

			free(hs[i].value);
			hs[i].value = j;
			free(lname);
			free(nv);
			return;
		}
	}
	hs[*n].name = lname;
	hs[*n].value = nv;
	hs[*n].order = *n;
	(*n)++;
}

static bool
has_line_break(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") != NULL;
}

/* ------------------------------------------------------------ entry */

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *cred,
    const char *region, const char *service, time_t t, bool sign_token,
    struct sigv4_signed *out)
{
	struct chdr *hs;
	size_t n = 0, i, hlen = 0;
	char *uri = NULL, *query = NULL, *headers = NULL, *hp, *key, date8[9], creq_hash[65];
	char *scope = NULL;
	unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
	struct tm tm;
	bool host = false;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (req->method == NULL || cred->access_key_id == NULL ||
	    cred->secret_access_key == NULL || region == NULL || service == NULL)
		return -EINVAL;
	for (i = 0; i < req->nheaders; i++) {
		if (has_line_break(req->headers[i].name) || has_line_break(req->headers[i].value))
			return -EINVAL;
		if (strcasecmp(req->headers[i].name, "host") == 0)
			host = true;
	}
	if (!host || (cred->session_token != NULL && has_line_break(cred->session_token)))
		return -EINVAL;

	gmtime_r(&t, &tm);
	strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date8, out->amz_date, 8);
	date8[8] = '\0';
	sigv4_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0,
	    out->payload_hash);

	hs = xcalloc(req->nheaders + 3, sizeof(*hs));
	for (i = 0; i < req->nheaders; i++)
		chdr_add(hs, &n, req->headers[i].name, req->headers[i].value);
	chdr_add(hs, &n, "x-amz-date", out->amz_date);
	if (req->sign_body)
		chdr_add(hs, &n, "x-amz-content-sha256", out->payload_hash);
	if (cred->session_token != NULL && sign_token)
		chdr_add(hs, &n, "x-amz-security-token", cred->session_token);
	qsort(hs, n, sizeof(*hs), chdr_cmp);
	for (i = 0; i < n; i++)
		hlen += strlen(hs[i].name) + strlen(hs[i].value) + 3;
	headers = xmalloc(hlen + 1);
	out->signed_headers = xmalloc(hlen + 1);
	headers[0] = out->signed_headers[0] = '\0';
	hp = headers;
	for (i = 0; i < n; i++) {
		hp += sprintf(hp, "%s:%s\n", hs[i].name, hs[i].value);
		if (i > 0)
			strcat(out->signed_headers, ";");
		strcat(out->signed_headers, hs[i].name);
	}

	uri = canonical_uri(req->path, req->normalize_path);
	query = canonical_query(req->query);
	out->canonical_request = xasprintf("%s\n%s\n%s\n%s\n%s\n%s", req->method, uri, query,
	    headers, out->signed_headers, out->payload_hash);

	scope = xasprintf("%s/%s/%s/aws4_request", date8, region, service);
	sigv4_sha256_hex(out->canonical_request, strlen(out->canonical_request), creq_hash);
	out->string_to_sign = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", out->amz_date, scope,
	    creq_hash);

	key = xasprintf("AWS4%s", cred->secret_access_key);
	hmac(key, strlen(key), date8, k1);
	hmac(k1, sizeof(k1), region, k2);
	hmac(k2, sizeof(k2), service, k3);
	hmac(k3, sizeof(k3), "aws4_request", k4);
	hmac(k4, sizeof(k4), out->string_to_sign, sig);
	to_hex(sig, sizeof(sig), out->signature);
	OPENSSL_cleanse(key, strlen(key));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	OPENSSL_cleanse(k4, sizeof(k4));
	free(key);

	out->authorization = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
	    "Signature=%s", cred->access_key_id, scope, out->signed_headers, out->signature);
	r = 0;

	for (i = 0; i < n; i++) {
		free(hs[i].name);
		free(hs[i].value);
	}
	free(hs);
	free(headers);
	free(uri);
	free(query);
	free(scope);
	return r;
}

void
sigv4_signed_free(struct sigv4_signed *s)
{
	if (s == NULL)
		return;
	free(s->authorization);
	free(s->signed_headers);
	free(s->canonical_request);
	free(s->string_to_sign);
	s->authorization = s->signed_headers = s->canonical_request = s->string_to_sign = NULL;
}
