/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_parse.c - endpoint URLs, settings precedence, EC2 Query bodies, IMDS
 * credential documents, dates, error classification and retry delays.
 *
 * The JSON reader is deliberately tiny: the IMDS credentials document is a
 * flat object of strings, and accepting exactly that (with escapes done
 * right and every length bounded) is easier to get right and to fuzz than
 * wiring a general JSON library to seven fields.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_parse.h"
#include "sigv4.h"
#include "util.h"

struct jstr {
	char *buf; /* decoded UTF-8, NUL-terminated */
	size_t len, cap;
};

static bool is_name_char(char c);
static bool host_valid(const char *h);
static const char *first_env(const char *(*env)(const char *), const char *a, const char *b);
static bool env_true(const char *(*env)(const char *), const char *name);
static void copy_str(char *dst, size_t len, const char *src);
static void append_enc(struct tbuf *b, const char *s);
static void skip_ws(const char **p, const char *end);
static int put_utf8(struct jstr *s, unsigned long cp);
static int ap_json_string(const char **p, const char *end, struct jstr *out, size_t max);
static int json_scalar(const char **p, const char *end);
static int hex4(const char *p, const char *end, unsigned long *out);
static int two_digits(const char *s);
static int fill_tm(struct tm *tm, int y, int mon, int d, int h, int mi, int sec, time_t *out);
static bool code_in(const char *code, const char *const *set);

/* ------------------------------------------------------------ URLs */

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

/* A DNS name or an IPv4 literal: letters, digits, '-' and '.', no empty label. */
static bool
host_valid(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > AWS_HOST_MAX || h[0] == '.' || h[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		if (!is_name_char(h[i]))
			return false;
		if (h[i] == '.' && i + 1 < n && h[i + 1] == '.')
			return false;
	}
	return true;
}

int
aws_url_parse(const char *s, struct aws_url *out)
{
	const char *p, *auth_end, *h_end, *port_s = NULL;
	struct in6_addr a6;
	size_t hl, pl;
	long long port;
	char pbuf[8];

	if (s == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (strncasecmp(s, "https://", 8) == 0) {
		out->tls = true;
		p = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		p = s + 7;
	} else {
		return -EINVAL;
	}
	auth_end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return -EINVAL;
	if (*p == '[') {
		h_end = memchr(p, ']', (size_t)(auth_end - p));
		if (h_end == NULL)
			return -EINVAL;
		hl = (size_t)(h_end - p - 1);
		if (hl == 0 || hl >= sizeof(out->host))
			return -EINVAL;
		memcpy(out->host, p + 1, hl);
		out->host[hl] = '\0';
		if (inet_pton(AF_INET6, out->host, &a6) != 1)
			return -EINVAL;
		h_end++;
		if (h_end < auth_end) {
			if (*h_end != ':')
				return -EINVAL;
			port_s = h_end + 1;
		}
	} else {
		h_end = memchr(p, ':', (size_t)(auth_end - p));
		if (h_end == NULL)
			h_end = auth_end;
		else
			port_s = h_end + 1;
		hl = (size_t)(h_end - p);
		if (hl == 0 || hl >= sizeof(out->host))
			return -EINVAL;
		memcpy(out->host, p, hl);
		out->host[hl] = '\0';
		if (!host_valid(out->host))
			return -EINVAL;
	}
	out->port = out->tls ? 443 : 80;
	if (port_s != NULL) {
		pl = (size_t)(auth_end - port_s);
		if (pl == 0 || pl >= sizeof(pbuf))
			return -EINVAL;
		memcpy(pbuf, port_s, pl);
		pbuf[pl] = '\0';
		if (parse_int(pbuf, 1, 65535, &port) < 0)
			return -EINVAL;
		out->port = (int)port;
	}
	if (*auth_end == '?' || *auth_end == '#' || strpbrk(auth_end, "?# \t\r\n") != NULL)
		return -EINVAL;
	if (*auth_end == '\0') {
		strcpy(out->path, "/");
	} else {
		for (p = auth_end; *p != '\0'; p++)
			if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
				return -EINVAL;
		if (strlen(auth_end) >= sizeof(out->path))
			return -EINVAL;
		strcpy(out->path, auth_end);
	}
	if (strchr(out->host, ':') != NULL)
		snprintf(out->hostport, sizeof(out->hostport), "[%s]", out->host);
	else
		snprintf(out->hostport, sizeof(out->hostport), "%s", out->host);
	if (out->port != (out->tls ? 443 : 80)) {
		size_t n = strlen(out->hostport);

		snprintf(out->hostport + n, sizeof(out->hostport) - n, ":%d", out->port);
	}
	return 0;
}

/* ------------------------------------------------------------ settings */

const char *
aws_src_str(enum aws_src s)
{
	switch (s) {
	case AWS_SRC_CONFIG:
		return "configuration";
	case AWS_SRC_ENV:
		return "environment";
	case AWS_SRC_DEFAULT:
		return "default";
	case AWS_SRC_IMDS:
		return "instance metadata";
	case AWS_SRC_NONE:
		break;
	}
	return "unknown";
}

bool
aws_region_valid(const char *r)
{
	size_t i, n;

	if (r == NULL)
		return false;
	n = strlen(r);
	if (n == 0 || n > AWS_REGION_MAX || r[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return false;
	return true;
}

void
aws_ec2_default_url(const char *region, char *out, size_t len)
{
	snprintf(out, len, "https://ec2.%s.amazonaws.com%s", region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}

bool
aws_id_valid(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix), n, i;

	if (s == NULL || strncmp(s, prefix, pl) != 0)
		return false;
	n = strlen(s);
	if (n == pl || n >= AWS_ID_MAX)
		return false;
	for (i = pl; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static const char *
first_env(const char *(*env)(const char *), const char *a, const char *b)
{
	const char *v = env(a);

	if ((v == NULL || *v == '\0') && b != NULL)
		v = env(b);
	return v != NULL && *v != '\0' ? v : NULL;
}

static bool
env_true(const char *(*env)(const char *), const char *name)
{
	const char *v = env(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

static void
copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

int
aws_settings_resolve(const struct aws *conf, const char *(*env)(const char *name),
    struct aws_settings *out, struct errlist *el)
{
	const char *v, *key, *secret, *token;
	struct aws_url u;
	size_t n0 = el->n;

	memset(out, 0, sizeof(*out));

	/* region */
	if (conf->region != NULL) {
		v = conf->region;
		out->region_src = AWS_SRC_CONFIG;
	} else {
		v = first_env(env, "AWS_REGION", "AWS_DEFAULT_REGION");
		out->region_src = v != NULL ? AWS_SRC_ENV : AWS_SRC_NONE;
	}
	if (v != NULL) {
		if (!aws_region_valid(v))
			errlist_add(el, NULL, 0, "aws",
			    "region \"%s\" (from the %s) is not a region "
			    "name",
			    v, aws_src_str(out->region_src));
		else
			copy_str(out->region, sizeof(out->region), v);
	}

	/* EC2 endpoint */
	v = NULL;
	if (conf->ec2_endpoint != NULL) {
		v = conf->ec2_endpoint;
		out->ec2_src = AWS_SRC_CONFIG;
	} else if (!env_true(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		v = first_env(env, "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL");
		if (v != NULL)
			out->ec2_src = AWS_SRC_ENV;
	}
	if (v != NULL) {
		if (aws_url_parse(v, &u) < 0 || !u.tls)
			errlist_add(el, NULL, 0, "aws",
			    "EC2 endpoint \"%s\" (from the %s) must be an "
			    "https:// URL",
			    v, aws_src_str(out->ec2_src));
		else if (strlen(v) >= sizeof(out->ec2_url))
			errlist_add(el, NULL, 0, "aws", "EC2 endpoint URL too long");
		else
			copy_str(out->ec2_url, sizeof(out->ec2_url), v);
	} else if (out->region[0] != '\0') {
		aws_ec2_default_url(out->region, out->ec2_url, sizeof(out->ec2_url));
		out->ec2_src = AWS_SRC_DEFAULT;
	}

	/* IMDS */
	out->imds_disabled = env_true(env, "AWS_EC2_METADATA_DISABLED");
	if (conf->imds_endpoint != NULL) {
		v = conf->imds_endpoint;
		out->imds_src = AWS_SRC_CONFIG;
	} else if ((v = first_env(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT", NULL)) != NULL) {
		out->imds_src = AWS_SRC_ENV;
	} else {
		v = AWS_IMDS_DEFAULT;
		out->imds_src = AWS_SRC_DEFAULT;
	}
	if (aws_url_parse(v, &u) < 0 || strlen(v) >= sizeof(out->imds_url))
		errlist_add(el, NULL, 0, "aws",
		    "instance metadata endpoint \"%s\" (from the %s) is "
		    "not an http:// or https:// URL",
		    v, aws_src_str(out->imds_src));
	else
		copy_str(out->imds_url, sizeof(out->imds_url), v);

	/* CA bundle */
	if (conf->ca_file != NULL) {
		copy_str(out->ca_file, sizeof(out->ca_file), conf->ca_file);
		out->ca_src = AWS_SRC_CONFIG;
	} else if ((v = first_env(env, "AWS_CA_BUNDLE", NULL)) != NULL) {
		copy_str(out->ca_file, sizeof(out->ca_file), v);
		out->ca_src = AWS_SRC_ENV;
	} else {
		out->ca_src = AWS_SRC_DEFAULT;
	}

	/* static credentials */
	key = first_env(env, "AWS_ACCESS_KEY_ID", NULL);
	secret = first_env(env, "AWS_SECRET_ACCESS_KEY", NULL);
	token = first_env(env, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN");
	if ((key == NULL) != (secret == NULL)) {
		errlist_add(el, NULL, 0, "aws", "%s is set but %s is not: set both or neither",
		    key != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    key != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	} else if (key != NULL) {
		if (strlen(key) >= sizeof(out->access_key_id) ||
		    strlen(secret) >= sizeof(out->secret_access_key) ||
		    (token != NULL && strlen(token) > AWS_TOKEN_MAX))
			errlist_add(
			    el, NULL, 0, "aws", "credentials in the environment are too long");
		else if (strpbrk(key, "\r\n/ ,=") != NULL || strpbrk(secret, "\r\n") != NULL ||
			 (token != NULL && strpbrk(token, "\r\n") != NULL))
			errlist_add(el, NULL, 0, "aws",
			    "credentials in the environment hold "
			    "characters that cannot be sent");
		else {
			copy_str(out->access_key_id, sizeof(out->access_key_id), key);
			copy_str(out->secret_access_key, sizeof(out->secret_access_key), secret);
			out->session_token = xstrdup(token);
		}
	}

	if (out->imds_disabled) {
		if (out->access_key_id[0] == '\0')
			errlist_add(el, NULL, 0, "aws",
			    "no credentials: AWS_EC2_METADATA_DISABLED is "
			    "set and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not");
		if (out->region[0] == '\0')
			errlist_add(el, NULL, 0, "aws",
			    "no region: AWS_EC2_METADATA_DISABLED is set; "
			    "set aws.region or AWS_REGION");
		if (conf->network_interface_id == NULL)
			errlist_add(el, NULL, 0, "aws",
			    "no network interface: "
			    "AWS_EC2_METADATA_DISABLED is set; set aws.network_interface_id");
	}
	if (el->n > n0) {
		aws_settings_clear(out);
		return -EINVAL;
	}
	return 0;
}

void
aws_settings_clear(struct aws_settings *s)
{
	if (s == NULL)
		return;
	if (s->session_token != NULL) {
		explicit_bzero(s->session_token, strlen(s->session_token));
		free(s->session_token);
	}
	explicit_bzero(s, sizeof(*s));
}

/* ------------------------------------------------------------ EC2 Query */

static void
append_enc(struct tbuf *b, const char *s)
{
	char *e = sigv4_uri_encode(s, strlen(s), false);

	tbuf_puts(b, e);
	free(e);
}

char *
aws_query_body(const char *action, const struct aws_param *p, size_t n, bool dry_run)
{
	struct tbuf b;
	size_t i;

	tbuf_init(&b);
	tbuf_puts(&b, "Action=");
	append_enc(&b, action);
	tbuf_puts(&b, "&Version=" AWS_EC2_API_VERSION);
	for (i = 0; i < n; i++) {
		tbuf_puts(&b, "&");
		append_enc(&b, p[i].name);
		tbuf_puts(&b, "=");
		append_enc(&b, p[i].value);
	}
	if (dry_run)
		tbuf_puts(&b, "&DryRun=true");
	return tbuf_steal(&b);
}

/* ------------------------------------------------------------ JSON (IMDS) */

static void
skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r'))
		(*p)++;
}

static int
put_utf8(struct jstr *s, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (s->len + n >= s->cap)
		return -E2BIG;
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

static int
hex4(const char *p, const char *end, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	if (end - p < 4)
		return -EBADMSG;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

/*
 * A JSON string at *p (on the opening quote), decoded into out, whose
 * buffer holds max bytes plus the NUL.  Raw control characters and lone
 * surrogates are errors; raw bytes >= 0x80 pass through (the values we use
 * are ASCII and are checked again by their users).
 */
static int
ap_json_string(const char **p, const char *end, struct jstr *out, size_t max)
{
	const char *s = *p;
	unsigned long cp, lo;
	char c;
	int r;

	out->len = 0;
	out->cap = max + 1;
	out->buf[0] = '\0';
	if (s >= end || *s != '"')
		return -EBADMSG;
	s++;
	for (;;) {
		if (s >= end)
			return -EBADMSG;
		c = *s++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20)
			return -EBADMSG;
		if (c != '\\') {
			if (out->len + 1 >= out->cap)
				return -E2BIG;
			out->buf[out->len++] = c;
			out->buf[out->len] = '\0';
			continue;
		}
		if (s >= end)
			return -EBADMSG;
		c = *s++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (hex4(s, end, &cp) < 0)
				return -EBADMSG;
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -EBADMSG;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				    hex4(s + 2, end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -EBADMSG;
				s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				return -EBADMSG;
			break;
		default:
			return -EBADMSG;
		}
		r = put_utf8(out, cp);
		if (r < 0)
			return r;
	}
	*p = s;
	return 0;
}

/* A number, true, false or null: skipped, but it must look like one. */
static int
json_scalar(const char **p, const char *end)
{
	const char *s = *p;
	static const char *const lits[] = {"true", "false", "null"};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(lits); i++) {
		n = strlen(lits[i]);
		if ((size_t)(end - s) >= n && memcmp(s, lits[i], n) == 0) {
			*p = s + n;
			return 0;
		}
	}
	n = 0;
	while (s + n < end && strchr("+-.0123456789eE", s[n]) != NULL && s[n] != '\0')
		n++;
	if (n == 0 || n > 64)
		return -EBADMSG;
	*p = s + n;
	return 0;
}

int
aws_creds_parse(const char *json, size_t len, struct aws_creds *out, char *err, size_t errlen)
{
	enum { F_CODE, F_KEY, F_SECRET, F_TOKEN, F_EXP, NF };
	static const char *const names[NF] = {
	    "Code", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"};
	static const size_t maxes[NF] = {64, 128, 128, AWS_TOKEN_MAX, 64};
	char keybuf[65], *vals[NF] = {NULL};
	const char *p = json, *end = json + len;
	struct jstr key, val;
	bool seen[NF] = {false};
	int r = -EBADMSG, f;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(err, errlen, "not a credentials document");
	if (len > AWS_CREDS_JSON_MAX) {
		snprintf(err, errlen, "credentials document over %d bytes", AWS_CREDS_JSON_MAX);
		return -E2BIG;
	}
	val.buf = xmalloc(AWS_TOKEN_MAX + 1);
	key.buf = keybuf;
	skip_ws(&p, end);
	if (p >= end || *p != '{')
		goto out;
	p++;
	skip_ws(&p, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		skip_ws(&p, end);
		r = ap_json_string(&p, end, &key, sizeof(keybuf) - 1);
		if (r < 0) {
			snprintf(err, errlen, "bad member name");
			r = r == -E2BIG ? -EBADMSG : r;
			goto out;
		}
		skip_ws(&p, end);
		r = -EBADMSG;
		if (p >= end || *p != ':')
			goto out;
		p++;
		skip_ws(&p, end);
		for (f = 0; f < NF; f++)
			if (strcmp(key.buf, names[f]) == 0)
				break;
		if (p < end && *p == '"') {
			r = ap_json_string(&p, end, &val, f < NF ? maxes[f] : AWS_TOKEN_MAX);
			if (r < 0) {
				snprintf(err, errlen, "member \"%s\": %s", f < NF ? names[f] : "?",
				    r == -E2BIG ? "too long" : "bad string");
				goto out;
			}
			if (f < NF) {
				r = -EBADMSG;
				if (seen[f]) {
					snprintf(err, errlen, "member \"%s\" twice", names[f]);
					goto out;
				}
				seen[f] = true;
				vals[f] = xstrdup(val.buf);
			}
		} else {
			if (p < end && (*p == '{' || *p == '[')) {
				snprintf(err, errlen, "nested values are not expected");
				r = -EBADMSG;
				goto out;
			}
			if (f < NF) {
				snprintf(err, errlen, "member \"%s\" is not a string", names[f]);
				r = -EBADMSG;
				goto out;
			}
			r = json_scalar(&p, end);
			if (r < 0)
				goto out;
		}
		skip_ws(&p, end);
		r = -EBADMSG;
		if (p >= end)
			goto out;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}') {
			p++;
			break;
		}
		goto out;
	}
done:
	skip_ws(&p, end);
	r = -EBADMSG;
	if (p != end) {
		snprintf(err, errlen, "trailing bytes after the object");
		goto out;
	}
	if (vals[F_CODE] == NULL || strcmp(vals[F_CODE], "Success") != 0) {
		snprintf(err, errlen, "Code is %s%s%s", vals[F_CODE] ? "\"" : "",
		    vals[F_CODE] ? vals[F_CODE] : "missing", vals[F_CODE] ? "\"" : "");
		goto out;
	}
	if (vals[F_KEY] == NULL || vals[F_SECRET] == NULL || vals[F_KEY][0] == '\0' ||
	    vals[F_SECRET][0] == '\0') {
		snprintf(err, errlen, "AccessKeyId or SecretAccessKey missing");
		goto out;
	}
	for (i = 0; vals[F_KEY][i] != '\0'; i++)
		if (!((vals[F_KEY][i] >= 'A' && vals[F_KEY][i] <= 'Z') ||
			(vals[F_KEY][i] >= '0' && vals[F_KEY][i] <= '9') ||
			(vals[F_KEY][i] >= 'a' && vals[F_KEY][i] <= 'z'))) {
			snprintf(err, errlen, "AccessKeyId holds unexpected characters");
			goto out;
		}
	if (strpbrk(vals[F_SECRET], "\r\n") != NULL ||
	    (vals[F_TOKEN] != NULL &&
		(strpbrk(vals[F_TOKEN], "\r\n") != NULL || vals[F_TOKEN][0] == '\0'))) {
		snprintf(err, errlen, "SecretAccessKey or Token holds line breaks or is empty");
		goto out;
	}
	if (vals[F_EXP] != NULL && aws_parse_iso8601(vals[F_EXP], &out->expiration) < 0) {
		snprintf(err, errlen, "Expiration is not an ISO 8601 UTC time");
		goto out;
	}
	copy_str(out->access_key_id, sizeof(out->access_key_id), vals[F_KEY]);
	copy_str(out->secret_access_key, sizeof(out->secret_access_key), vals[F_SECRET]);
	out->session_token = vals[F_TOKEN];
	vals[F_TOKEN] = NULL;
	err[0] = '\0';
	r = 0;
out:
	for (f = 0; f < NF; f++) {
		if (vals[f] != NULL) {
			explicit_bzero(vals[f], strlen(vals[f]));
			free(vals[f]);
		}
	}
	explicit_bzero(val.buf, AWS_TOKEN_MAX + 1);
	free(val.buf);
	if (r < 0)
		aws_creds_clear(out);
	return r;
}

void
aws_creds_clear(struct aws_creds *c)
{
	if (c == NULL)
		return;
	if (c->session_token != NULL) {
		explicit_bzero(c->session_token, strlen(c->session_token));
		free(c->session_token);
	}
	explicit_bzero(c, sizeof(*c));
}

void
aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	if (dst == src)
		return;
	aws_creds_clear(dst);
	memcpy(dst->access_key_id, src->access_key_id, sizeof(dst->access_key_id));
	memcpy(dst->secret_access_key, src->secret_access_key, sizeof(dst->secret_access_key));
	dst->session_token = xstrdup(src->session_token);
	dst->expiration = src->expiration;
}

int
aws_imds_first_line(const char *body, size_t blen, char *out, size_t len)
{
	size_t s = 0, e, i;

	while (s < blen && (body[s] == ' ' || body[s] == '\t'))
		s++;
	e = s;
	while (e < blen && body[e] != '\n' && body[e] != '\r')
		e++;
	while (e > s && (body[e - 1] == ' ' || body[e - 1] == '\t'))
		e--;
	if (e == s || e - s >= len)
		return -EBADMSG;
	for (i = s; i < e; i++)
		if ((unsigned char)body[i] < 0x20 || (unsigned char)body[i] >= 0x7f)
			return -EBADMSG;
	memcpy(out, body + s, e - s);
	out[e - s] = '\0';
	return 0;
}

/* ------------------------------------------------------------ dates */

static int
two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static int
fill_tm(struct tm *tm, int y, int mon, int d, int h, int mi, int sec, time_t *out)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	time_t t;

	if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > mdays[mon - 1] || h > 23 ||
	    mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	if (mon == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mon - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec == 60 ? 59 : sec;
	t = timegm(tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = t;
	return 0;
}

int
aws_parse_iso8601(const char *s, time_t *out)
{
	int y, mon, d, h, mi, sec, i;
	struct tm tm;
	const char *p;

	if (s == NULL || strlen(s) < 20)
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	mon = two_digits(s + 5);
	d = two_digits(s + 8);
	h = two_digits(s + 11);
	mi = two_digits(s + 14);
	sec = two_digits(s + 17);
	if (mon < 0 || d < 0 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (i = 0; *p >= '0' && *p <= '9'; p++, i++)
			if (i >= 9)
				return -EINVAL;
	}
	if (!((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') && strcmp(p, "+00:00") != 0)
		return -EINVAL;
	return fill_tm(&tm, y, mon, d, h, mi, sec, out);
}

int
aws_parse_http_date(const char *s, time_t *out)
{
	static const char *const months[12] = {
	    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	int y, mon = -1, d, h, mi, sec, i;
	struct tm tm;

	/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters exactly */
	if (s == NULL || strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' ||
	    strcmp(s + 26, "GMT") != 0)
		return -EINVAL;
	for (i = 0; i < 7; i++)
		if (strncmp(s, days[i], 3) == 0)
			break;
	if (i == 7)
		return -EINVAL;
	for (i = 0; i < 12; i++)
		if (strncmp(s + 8, months[i], 3) == 0)
			mon = i + 1;
	d = two_digits(s + 5);
	if (two_digits(s + 12) < 0 || two_digits(s + 14) < 0)
		return -EINVAL;
	y = two_digits(s + 12) * 100 + two_digits(s + 14);
	h = two_digits(s + 17);
	mi = two_digits(s + 20);
	sec = two_digits(s + 23);
	if (mon < 0 || d < 0 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	return fill_tm(&tm, y, mon, d, h, mi, sec, out);
}

/* ------------------------------------------------------------ errors, retries */

const char *
aws_verdict_str(enum aws_verdict v)
{
	switch (v) {
	case AWS_V_OK:
		return "ok";
	case AWS_V_DRYRUN_OK:
		return "dry run ok";
	case AWS_V_THROTTLED:
		return "throttled";
	case AWS_V_TRANSIENT:
		return "transient";
	case AWS_V_CREDENTIALS:
		return "credentials refused";
	case AWS_V_CLOCK:
		return "request expired";
	case AWS_V_DENIED:
		return "permission denied";
	case AWS_V_NOTFOUND:
		return "not found";
	case AWS_V_CERT:
		return "certificate refused";
	case AWS_V_FATAL:
		return "fatal";
	}
	return "?";
}

bool
aws_verdict_retryable(enum aws_verdict v)
{
	return v == AWS_V_THROTTLED || v == AWS_V_TRANSIENT;
}

bool
aws_verdict_terminal(enum aws_verdict v)
{
	return v == AWS_V_DENIED || v == AWS_V_NOTFOUND || v == AWS_V_CERT;
}

static bool
code_in(const char *code, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(code, *set) == 0)
			return true;
	return false;
}

enum aws_verdict
aws_classify(int transport_err, int status, const char *code)
{
	/* botocore retries/standard.py and _retry.json, plus EC2's own codes */
	static const char *const throttle[] = {"RequestLimitExceeded", "EC2ThrottledException",
	    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
	    "RequestThrottledException", "TooManyRequestsException", "SlowDown",
	    "BandwidthLimitExceeded", "PriorRequestNotComplete",
	    "ProvisionedThroughputExceededException", "TransactionInProgressException", NULL};
	static const char *const transient[] = {"InternalError", "InternalFailure",
	    "ServiceUnavailable", "Unavailable", "RequestTimeout", "RequestTimeoutException",
	    "IDPCommunicationError", NULL};
	static const char *const clock[] = {
	    "RequestExpired", "RequestTimeTooSkewed", "RequestInTheFuture", NULL};
	static const char *const creds[] = {"AuthFailure", "InvalidClientTokenId", "ExpiredToken",
	    "ExpiredTokenException", "UnrecognizedClientException", "SignatureDoesNotMatch",
	    "InvalidToken", NULL};
	static const char *const denied[] = {
	    "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", NULL};

	if (transport_err < 0)
		/* a certificate we refuse is a configuration problem, not bad luck */
		return transport_err == -EKEYREJECTED ? AWS_V_CERT : AWS_V_TRANSIENT;
	if (code != NULL && code[0] != '\0') {
		if (strcmp(code, "DryRunOperation") == 0)
			return AWS_V_DRYRUN_OK;
		if (code_in(code, throttle))
			return AWS_V_THROTTLED;
		if (code_in(code, transient))
			return AWS_V_TRANSIENT;
		if (code_in(code, clock))
			return AWS_V_CLOCK;
		if (code_in(code, creds))
			return AWS_V_CREDENTIALS;
		if (code_in(code, denied))
			return AWS_V_DENIED;
		/* EC2's "no such object" codes: InvalidAllocationID.NotFound,
		 * InvalidNetworkInterfaceID.NotFound, InvalidAddress.NotFound, ... */
		if (strlen(code) > 9 && strcmp(code + strlen(code) - 9, ".NotFound") == 0)
			return AWS_V_NOTFOUND;
		if (status == 429)
			return AWS_V_THROTTLED;
		return status >= 500 ? AWS_V_TRANSIENT : AWS_V_FATAL;
	}
	if (status >= 200 && status <= 299)
		return AWS_V_OK;
	if (status == 429)
		return AWS_V_THROTTLED;
	if (status >= 500 || status == 0)
		return AWS_V_TRANSIENT;
	return AWS_V_FATAL;
}

int64_t
aws_backoff_ms(unsigned attempt, int base_ms, int cap_ms, uint32_t rnd)
{
	int64_t ceiling = base_ms > 0 ? base_ms : 1, half;
	unsigned i;

	if (cap_ms < ceiling)
		cap_ms = (int)ceiling;
	for (i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	half = ceiling / 2;
	return half + (int64_t)(rnd % (uint32_t)(ceiling - half + 1));
}
