/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_parse.h - the pure parts of the AWS client: endpoint URLs, where each
 * setting comes from, the EC2 Query request body, IMDS credential documents,
 * dates, error classification and retry delays.
 *
 * Core module: no IO, no clock (times come in as parameters), no libev.
 * Everything that arrives from the network (IMDS bodies, Date headers) is
 * parsed with explicit length limits and rejected, never guessed at.
 */
#ifndef IPVSR_AWS_PARSE_H
#define IPVSR_AWS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model.h"

#define AWS_EC2_API_VERSION "2016-11-15"
#define AWS_IMDS_DEFAULT    "http://169.254.169.254"
#define AWS_REGION_MAX	    32
#define AWS_ID_MAX	    64 /* eipalloc-..., eni-..., i-..., eipassoc-... */
#define AWS_HOST_MAX	    255
#define AWS_CREDS_JSON_MAX  16384 /* an IMDS credentials document */
#define AWS_TOKEN_MAX	    8192  /* session token */

/* ------------------------------------------------------------ URLs */

struct aws_url {
	bool tls;			  /* https */
	char host[AWS_HOST_MAX + 1];	  /* name or address, IPv6 without brackets */
	int port;			  /* 443 / 80 unless given */
	char hostport[AWS_HOST_MAX + 10]; /* Host header: "[v6]" and ":port" when not default */
	char path[256];			  /* "/" when none; no query, no fragment */
};

/*
 * Parse an endpoint URL: "http(s)://HOST[:PORT][/PATH]", HOST a DNS name,
 * an IPv4 address or a bracketed IPv6 address.  No user info, query or
 * fragment.  Returns 0, or -EINVAL with nothing promised about *out.
 */
int aws_url_parse(const char *s, struct aws_url *out);

/* ------------------------------------------------------------ settings */

/* Where a setting came from, for the start-up log line. */
enum aws_src {
	AWS_SRC_NONE = 0, /* not known yet (the IMDS will say) */
	AWS_SRC_CONFIG,	  /* the aws section of the configuration file */
	AWS_SRC_ENV,	  /* an environment variable */
	AWS_SRC_DEFAULT,  /* the built-in default */
	AWS_SRC_IMDS,	  /* the instance metadata */
};

const char *aws_src_str(enum aws_src s);

/*
 * The settings the client runs with.  Precedence, for each: the
 * configuration file, then the environment, then the default (or the IMDS).
 * The configuration file wins because it is the daemon's explicit setting,
 * as the endpoint_url / region_name a program passes to an AWS SDK client
 * beat AWS_ENDPOINT_URL_EC2 / AWS_REGION; doc/ipvs-router.conf.5 says so.
 */
struct aws_settings {
	char region[AWS_REGION_MAX + 1]; /* "" until the IMDS says */
	enum aws_src region_src;
	char ec2_url[512]; /* "" until the region is known (default) */
	enum aws_src ec2_src;
	char imds_url[512];
	enum aws_src imds_src;
	bool imds_disabled; /* AWS_EC2_METADATA_DISABLED=true */
	char ca_file[512];  /* "" = the system store */
	enum aws_src ca_src;
	/* static credentials from the environment; none when access_key_id is "" */
	char access_key_id[129];
	char secret_access_key[129];
	char *session_token; /* malloc'd, NULL: none */
};

/*
 * Resolve the settings from the configuration `conf` and the environment,
 * read through `env` (getenv in the daemon, a table in tests).  Every
 * problem is appended to `el` (one line each); returns 0 or -EINVAL.
 * Variables: AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_EC2,
 * AWS_ENDPOINT_URL, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED,
 * AWS_CA_BUNDLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN (or the legacy AWS_SECURITY_TOKEN).  The EC2 endpoint
 * must be https: the session token travels in a header.
 */
int aws_settings_resolve(const struct aws *conf, const char *(*env)(const char *name),
    struct aws_settings *out, struct errlist *el);

/* Wipe the secrets and free what aws_settings_resolve allocated.  NULL-safe. */
void aws_settings_clear(struct aws_settings *s);

/* true when `r` looks like a region name: [a-z0-9-], 1..AWS_REGION_MAX. */
bool aws_region_valid(const char *r);

/* The EC2 endpoint of a region: https://ec2.REGION.amazonaws.com (.com.cn in China). */
void aws_ec2_default_url(const char *region, char *out, size_t len);

/* true when `s` is PREFIX followed by 1..AWS_ID_MAX-len(PREFIX) hex digits. */
bool aws_id_valid(const char *s, const char *prefix);

/* ------------------------------------------------------------ EC2 Query */

struct aws_param {
	const char *name;
	const char *value;
};

/*
 * The form body of an EC2 Query call, in the order botocore's serializer
 * writes it: "Action=A&Version=2016-11-15&NAME=VALUE...", every name and
 * value form-encoded, then "&DryRun=true" when dry_run.  Never NULL.
 */
char *aws_query_body(const char *action, const struct aws_param *p, size_t n, bool dry_run);

/* ------------------------------------------------------------ IMDS */

struct aws_creds {
	char access_key_id[129];
	char secret_access_key[129];
	char *session_token; /* malloc'd; NULL for long-term keys */
	time_t expiration;   /* UTC seconds; 0: does not expire */
};

/*
 * Parse an IMDS iam/security-credentials/ROLE document: a flat JSON object
 * with "Code": "Success", "AccessKeyId", "SecretAccessKey", "Token",
 * "Expiration".  Other members are skipped (scalars only).  Returns 0, or
 * -EBADMSG (not that document; why in err, which never holds a secret),
 * -E2BIG (over AWS_CREDS_JSON_MAX or a field too long).  *out is cleared
 * first and left clear on error.
 */
int aws_creds_parse(const char *json, size_t len, struct aws_creds *out, char *err, size_t errlen);

/* Wipe and free the secrets.  NULL-safe, idempotent. */
void aws_creds_clear(struct aws_creds *c);

/* Deep copy (both initialised or zeroed). */
void aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src);

/*
 * The first line of an IMDS text answer (lists are LF-separated), without
 * surrounding white space, into out; -EBADMSG when empty, holding control
 * characters, or longer than len - 1.
 */
int aws_imds_first_line(const char *body, size_t blen, char *out, size_t len);

/* ------------------------------------------------------------ dates */

/* "2017-05-17T15:09:54Z" (fractional seconds allowed) -> UTC seconds.  0 or -EINVAL. */
int aws_parse_iso8601(const char *s, time_t *out);

/* RFC 9110 IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" -> UTC seconds.  0 or -EINVAL. */
int aws_parse_http_date(const char *s, time_t *out);

/* ------------------------------------------------------------ errors, retries */

enum aws_verdict {
	AWS_V_OK = 0,	   /* answered with success */
	AWS_V_DRYRUN_OK,   /* DryRunOperation: the call would have been allowed */
	AWS_V_THROTTLED,   /* RequestLimitExceeded & co: back off and retry */
	AWS_V_TRANSIENT,   /* 5xx, timeouts, connection errors: back off and retry */
	AWS_V_CREDENTIALS, /* credentials refused: refresh them, retry once */
	AWS_V_CLOCK,	   /* RequestExpired: clock skew or expired credentials */
	AWS_V_DENIED,	   /* UnauthorizedOperation: IAM says no; fatal */
	AWS_V_NOTFOUND,	   /* InvalidAllocationID.NotFound & co: no such object; fatal */
	AWS_V_CERT,	   /* we refuse the endpoint's certificate: a configuration error */
	AWS_V_FATAL,	   /* the request is wrong (bad parameter, cannot sign) */
};

const char *aws_verdict_str(enum aws_verdict v);

/* true for the verdicts worth another attempt after a delay. */
bool aws_verdict_retryable(enum aws_verdict v);

/*
 * true for the verdicts that no later attempt can change while the
 * configuration and the IAM policy stay as they are: DENIED, NOTFOUND, and
 * CERT (the trust store is the configuration's; only a reload changes it).
 * Everything else (credentials refused again after a refresh, a clock that
 * cannot be learnt, a bad parameter) may be gone a little later: a claim
 * tries again with backoff.
 */
bool aws_verdict_terminal(enum aws_verdict v);

/*
 * Classify the outcome of one call.  transport_err: 0, or the negative
 * errno of a call that got no complete answer (timeout, refused, TLS).
 * status: the HTTP status (0 without an answer).  code: the EC2 error code
 * from the body, NULL or "" when there was none (a proxy's HTML page).
 */
enum aws_verdict aws_classify(int transport_err, int status, const char *code);

/*
 * The delay before retry number `attempt` (1 = the first retry): "equal
 * jitter", half of min(cap, base * 2^(attempt-1)) plus a random share of
 * the other half chosen by `rnd`.  Never below base/2, never above cap,
 * so that many routers retrying together spread out but none hammers.
 */
int64_t aws_backoff_ms(unsigned attempt, int base_ms, int cap_ms, uint32_t rnd);

#endif
