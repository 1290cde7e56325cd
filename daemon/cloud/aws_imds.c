/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_imds.c - the AWS client's use of the instance metadata service
 * (IMDSv2), on the loop thread: the session token and one GET at a time,
 * the discovery of this instance's identity (instance, region, zone, ENI,
 * primary IP, role), and the instance profile's credentials with their
 * refresh before they expire.  The exchanges themselves run on the workers
 * (aws_worker.c); EC2 calls waiting for the identity or for credentials
 * are kicked from here (aws_ec2.c).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ev.h>

#include "aws_int.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define IMDS_TOKEN_TTL_S     21600
#define IMDS_TIMEOUT_MAX_MS  2000
#define IMDS_TOKEN_MAX	     1024
#define DISC_BACKOFF_BASE_MS 500
#define DISC_BACKOFF_CAP_MS  30000
#define CREDS_LEAD_S	     (15 * 60)

static int imds_timeout(const struct aws_client *a);
static void imds_get(struct aws_client *a, const char *path, imds_fn fn);
static char *imds_target(const struct aws_client *a, const char *rest);
static void imds_send_token(struct aws_client *a);
static void imds_send_get(struct aws_client *a);
static void imds_token_done(struct aws_client *a, struct aws_job *j);
static void imds_get_done(struct aws_client *a, struct aws_job *j);
static void imds_finish(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static int imds_iface_mac(const char *ifname, char *out, size_t len);
static void imds_disc_next(struct aws_client *a);
static void imds_disc_got(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static void imds_disc_retry(struct aws_client *a, const char *why);
static void imds_disc_finish(struct aws_client *a);
static void imds_creds_got_role(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static void imds_creds_got(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);
static void imds_creds_failed(struct aws_client *a, const char *why);
static void imds_creds_schedule(struct aws_client *a);
static void imds_scopy(char *dst, size_t size, const char *src);

/* ------------------------------------------------------------ IMDS */

/*
 * IMDS answers in microseconds on a healthy instance; a PUT that hangs is
 * the classic hop-limit problem (containers), so do not wait for it long.
 */
static int
imds_timeout(const struct aws_client *a)
{
	return a->conf.api_timeout_ms < IMDS_TIMEOUT_MAX_MS ? a->conf.api_timeout_ms
							    : IMDS_TIMEOUT_MAX_MS;
}

/* GET /latest/meta-data/PATH (or /latest/PATH for "api/..."), with a token. */
static void
imds_get(struct aws_client *a, const char *path, imds_fn fn)
{
	a->imds_busy = true;
	a->imds_cb = fn;
	a->imds_retried = false;
	snprintf(a->imds_path, sizeof(a->imds_path), "%s", path);
	if (a->token == NULL || mono_ms() >= a->token_until_ms)
		imds_send_token(a);
	else
		imds_send_get(a);
}

static char *
imds_target(const struct aws_client *a, const char *rest)
{
	size_t n = strlen(a->imds.path);

	/* an endpoint with a path prefix ("http://host/prefix/") keeps it */
	return xasprintf("%.*s/latest/%s", (int)(n > 0 && a->imds.path[n - 1] == '/' ? n - 1 : n),
	    a->imds.path, rest);
}

static void
imds_send_token(struct aws_client *a)
{
	char ttl[16], *target, *wire;
	struct http_header h[1];
	struct http_request rq;
	struct aws_job *j;
	size_t len;

	FREE_AND_NULL(a->token);
	snprintf(ttl, sizeof(ttl), "%d", IMDS_TOKEN_TTL_S);
	h[0].name = "X-aws-ec2-metadata-token-ttl-seconds";
	h[0].value = ttl;
	target = imds_target(a, "api/token");
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.target = target;
	rq.host = a->imds.hostport;
	rq.headers = h;
	rq.nheaders = 1;
	rq.body = "";
	rq.body_len = 0;
	if (http_request_format(&rq, &wire, &len) < 0) {
		free(target);
		imds_finish(a, -EINVAL, 0, NULL, 0, "cannot format the token request");
		return;
	}
	free(target);
	j = awsw_job_new(a, &a->imds, wire, len, imds_timeout(a), "IMDS");
	j->done = imds_token_done;
	awsw_job_submit(a, j);
}

static void
imds_send_get(struct aws_client *a)
{
	struct http_header h[1];
	struct http_request rq;
	char *target, *wire;
	struct aws_job *j;
	size_t len;

	h[0].name = "X-aws-ec2-metadata-token";
	h[0].value = a->token;
	target = imds_target(a, a->imds_path);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.target = target;
	rq.host = a->imds.hostport;
	rq.headers = h;
	rq.nheaders = 1;
	if (http_request_format(&rq, &wire, &len) < 0) {
		free(target);
		imds_finish(a, -EINVAL, 0, NULL, 0, "cannot format the request");
		return;
	}
	free(target);
	j = awsw_job_new(a, &a->imds, wire, len, imds_timeout(a), "IMDS");
	j->done = imds_get_done;
	awsw_job_submit(a, j);
}

static void
imds_token_done(struct aws_client *a, struct aws_job *j)
{
	char why[400], tok[IMDS_TOKEN_MAX];

	if (j->err < 0) {
		snprintf(why, sizeof(why), "token: %s%s", j->errtext,
		    j->err == -ETIMEDOUT ? " (a PUT that never answers is the IMDS hop limit: "
					   "from a container, raise http-put-response-hop-limit "
					   "to 2)"
					 : "");
		imds_finish(a, j->err, 0, NULL, 0, why);
		return;
	}
	if (j->status != 200 || aws_imds_first_line(j->body.s != NULL ? j->body.s : "", j->body.len,
				    tok, sizeof(tok)) < 0) {
		snprintf(why, sizeof(why), "token: HTTP %d%s", j->status,
		    j->status == 403   ? " (IMDS disabled on this instance?)"
		    : j->status == 200 ? " with an unusable token"
				       : "");
		imds_finish(a, -EIO, j->status, NULL, 0, why);
		return;
	}
	a->token = xstrdup(tok);
	explicit_bzero(tok, sizeof(tok));
	a->token_until_ms = mono_ms() + (int64_t)(IMDS_TOKEN_TTL_S - 300) * 1000;
	imds_send_get(a);
}

static void
imds_get_done(struct aws_client *a, struct aws_job *j)
{
	char why[300];

	if (j->err < 0) {
		imds_finish(a, j->err, 0, NULL, 0, j->errtext);
		return;
	}
	if (j->status == 401 && !a->imds_retried) {
		/* the token expired or the IMDS restarted: one more time with a new one */
		a->imds_retried = true;
		imds_send_token(a);
		return;
	}
	if (j->status != 200) {
		snprintf(why, sizeof(why), "%s: HTTP %d", a->imds_path, j->status);
		imds_finish(a, -EIO, j->status, NULL, 0, why);
		return;
	}
	imds_finish(a, 0, 200, j->body.s != NULL ? j->body.s : "", j->body.len, NULL);
}

static void
imds_finish(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	imds_fn fn = a->imds_cb;

	a->imds_busy = false;
	a->imds_cb = NULL;
	if (fn != NULL)
		fn(a, err, status, body, len, why);
}

/* The MAC of ifname as the IMDS spells it ("0a:1b:2c:3d:4e:5f"). */
static int
imds_iface_mac(const char *ifname, char *out, size_t len)
{
	struct ifreq ifr;
	unsigned char *m;
	int fd, r = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

/*
 * Discovery, one IMDS path at a time: instance-id, region (unless set),
 * availability zone, MAC (of router.interface, else the IMDS's own), its
 * ENI, that ENI's private IPs, then the role's credentials (unless they
 * came from the environment).  A failing step is retried with backoff,
 * forever: without it no claim can be made, and the IMDS may come back.
 */
static void
imds_disc_next(struct aws_client *a)
{
	char path[256];
	int r;

	for (;;) {
		switch (a->step) {
		case DISC_INSTANCE:
			imds_get(a, "meta-data/instance-id", imds_disc_got);
			return;
		case DISC_REGION:
			if (a->s.region[0] != '\0')
				break;
			imds_get(a, "meta-data/placement/region", imds_disc_got);
			return;
		case DISC_AZ:
			imds_get(a, "meta-data/placement/availability-zone", imds_disc_got);
			return;
		case DISC_MAC:
			if (a->ifname != NULL) {
				r = imds_iface_mac(a->ifname, a->mac, sizeof(a->mac));
				if (r < 0) {
					char why[160];

					snprintf(why, sizeof(why),
					    "interface %s: cannot read its "
					    "MAC address: %s",
					    a->ifname, strerror(-r));
					imds_disc_retry(a, why);
					return;
				}
				break;
			}
			imds_get(a, "meta-data/mac", imds_disc_got);
			return;
		case DISC_ENI:
			snprintf(path, sizeof(path),
			    "meta-data/network/interfaces/macs/%s/"
			    "interface-id",
			    a->mac);
			imds_get(a, path, imds_disc_got);
			return;
		case DISC_IPS:
			if (strcmp(a->imds_eni, a->id.eni) != 0)
				break; /* a configured ENI that is not router.interface's */
			snprintf(path, sizeof(path),
			    "meta-data/network/interfaces/macs/%s/"
			    "local-ipv4s",
			    a->mac);
			imds_get(a, path, imds_disc_got);
			return;
		case DISC_ROLE:
			if (a->creds_static)
				break;
			imds_get(a, "meta-data/iam/security-credentials/", imds_disc_got);
			return;
		case DISC_CREDS:
			if (a->creds_static)
				break;
			snprintf(
			    path, sizeof(path), "meta-data/iam/security-credentials/%s", a->role);
			imds_get(a, path, imds_disc_got);
			return;
		case DISC_DONE:
			imds_disc_finish(a);
			return;
		}
		a->step++;
	}
}

static void
imds_disc_got(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	char line[AWS_ID_MAX + 64], cerr[128], msg[300];
	struct aws_creds c;
	struct in_addr ip;

	if (err < 0) {
		snprintf(msg, sizeof(msg), "%s%s", why != NULL ? why : "failed",
		    a->step == DISC_ROLE && status == 404  ? " (no IAM role attached to the "
							     "instance?)"
		    : a->step == DISC_ENI && status == 404 ? " (the interface is not an ENI of "
							     "this instance?)"
							   : "");
		imds_disc_retry(a, msg);
		return;
	}
	switch (a->step) {
	case DISC_INSTANCE:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_id_valid(line, "i-")) {
			imds_disc_retry(a, "instance-id: not an instance id");
			return;
		}
		imds_scopy(a->id.instance_id, sizeof(a->id.instance_id), line);
		break;
	case DISC_REGION:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_region_valid(line)) {
			imds_disc_retry(a, "placement/region: not a region name");
			return;
		}
		imds_scopy(a->s.region, sizeof(a->s.region), line);
		a->s.region_src = AWS_SRC_IMDS;
		if (a->s.ec2_url[0] == '\0') {
			aws_ec2_default_url(line, a->s.ec2_url, sizeof(a->s.ec2_url));
			a->s.ec2_src = AWS_SRC_DEFAULT;
			if (aws_url_parse(a->s.ec2_url, &a->ec2) < 0) {
				imds_disc_retry(a, "no usable EC2 endpoint for that region");
				return;
			}
		}
		break;
	case DISC_AZ:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_region_valid(line) || strlen(line) >= sizeof(a->id.az)) {
			imds_disc_retry(a, "placement/availability-zone: not a zone name");
			return;
		}
		imds_scopy(a->id.az, sizeof(a->id.az), line);
		break;
	case DISC_MAC:
		if (aws_imds_first_line(body, len, a->mac, sizeof(a->mac)) < 0) {
			imds_disc_retry(a, "mac: not a MAC address");
			return;
		}
		break;
	case DISC_ENI:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    !aws_id_valid(line, "eni-")) {
			imds_disc_retry(a, "interface-id: not an ENI id");
			return;
		}
		imds_scopy(a->imds_eni, sizeof(a->imds_eni), line);
		if (a->conf.network_interface_id != NULL) {
			snprintf(a->id.eni, sizeof(a->id.eni), "%s", a->conf.network_interface_id);
			if (strcmp(line, a->id.eni) != 0)
				log_notice(
				    "aws: using the configured ENI %s; %s (MAC %s) is %s, so "
				    "its primary private IP is not known: give each VIP an "
				    "eip.private_ip for this router",
				    a->id.eni,
				    a->ifname != NULL ? a->ifname : "the primary interface", a->mac,
				    line);
		} else {
			imds_scopy(a->id.eni, sizeof(a->id.eni), line);
		}
		break;
	case DISC_IPS:
		if (aws_imds_first_line(body, len, line, sizeof(line)) < 0 ||
		    inet_pton(AF_INET, line, &ip) != 1) {
			imds_disc_retry(a, "local-ipv4s: not an IPv4 address");
			return;
		}
		imds_scopy(a->id.primary_ip, sizeof(a->id.primary_ip), line);
		break;
	case DISC_ROLE:
		if (aws_imds_first_line(body, len, a->role, sizeof(a->role)) < 0 ||
		    strpbrk(a->role, "/?#%") != NULL) {
			imds_disc_retry(a, "iam/security-credentials/: not a role name");
			return;
		}
		break;
	case DISC_CREDS:
		if (aws_creds_parse(body, len, &c, cerr, sizeof(cerr)) < 0) {
			snprintf(msg, sizeof(msg), "credentials of role %s: %s", a->role, cerr);
			imds_disc_retry(a, msg);
			return;
		}
		aws_creds_clear(&a->creds);
		a->creds = c;
		break;
	case DISC_DONE:
		break;
	}
	a->step_failures = 0;
	a->step++;
	imds_disc_next(a);
}

static void
imds_disc_retry(struct aws_client *a, const char *why)
{
	int64_t d = aws_backoff_ms(
	    (unsigned)++a->step_failures, DISC_BACKOFF_BASE_MS, DISC_BACKOFF_CAP_MS, aws_rnd32(a));

	/* the first failure and then every tenth: the IMDS may be down for long */
	if (a->step_failures == 1 || a->step_failures % 10 == 0)
		log_warnx("aws: instance metadata: %s; retrying in %lldms (attempt %d)", why,
		    (long long)d, a->step_failures);
	ev_timer_set(&a->disc_timer, (double)d / 1000.0, 0.);
	ev_timer_start(a->loop, &a->disc_timer);
}

void
imds_disc_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct aws_client *a = w->data;

	imds_disc_next(a);
}

static void
imds_disc_finish(struct aws_client *a)
{
	char exp[64] = "", ip[64] = "";

	snprintf(a->id.region, sizeof(a->id.region), "%s", a->s.region);
	if (a->creds.expiration != 0)
		snprintf(exp, sizeof(exp), " (expiring in %lldmin)",
		    (long long)(a->creds.expiration - time(NULL)) / 60);
	if (a->id.primary_ip[0] != '\0')
		snprintf(ip, sizeof(ip), " (primary private IP %s)", a->id.primary_ip);
	log_notice("aws: instance %s%s%s, region %s (from the %s), ENI %s%s, credentials %s%s%s",
	    a->id.instance_id[0] != '\0' ? a->id.instance_id : "(unknown)",
	    a->id.az[0] != '\0' ? " in " : "", a->id.az, a->id.region, aws_src_str(a->s.region_src),
	    a->id.eni, ip,
	    a->creds_static ? "from the environment" : "of the instance profile role ",
	    a->creds_static ? "" : a->role, exp);
	log_info("aws: EC2 endpoint %s (%s)", a->s.ec2_url, aws_src_str(a->s.ec2_src));
	a->ready = true;
	imds_creds_schedule(a);
	if (a->on_ready != NULL)
		a->on_ready(a->arg);
	ec2_calls_kick(a);
}

/* ------------------------------------------------------------ credentials */

bool
imds_creds_usable(const struct aws_client *a)
{
	if (a->creds.access_key_id[0] == '\0' || a->refresh_forced)
		return false;
	return a->creds.expiration == 0 || a->creds.expiration > time(NULL) + 30;
}

static void
imds_creds_schedule(struct aws_client *a)
{
	int64_t left, lead, at;

	ev_timer_stop(a->loop, &a->refresh_timer);
	if (a->creds_static || a->creds.expiration == 0)
		return;
	left = (int64_t)(a->creds.expiration - time(NULL));
	lead = left / 2 < CREDS_LEAD_S ? left / 2 : CREDS_LEAD_S;
	at = left - lead;
	if (at < 5)
		at = 5;
	ev_timer_set(&a->refresh_timer, (double)at, 0.);
	ev_timer_start(a->loop, &a->refresh_timer);
}

void
imds_refresh_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	imds_creds_start(w->data);
}

/* Fetch the role's credentials again (the role name too: it can change). */
void
imds_creds_start(struct aws_client *a)
{
	if (a->creds_static || a->refreshing || !a->ready)
		return;
	if (a->imds_busy) {
		ev_timer_set(&a->refresh_timer, 0.1, 0.);
		ev_timer_start(a->loop, &a->refresh_timer);
		return;
	}
	a->refreshing = true;
	imds_get(a, "meta-data/iam/security-credentials/", imds_creds_got_role);
}

static void
imds_creds_got_role(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	char path[200];

	if (err < 0) {
		imds_creds_failed(a, why);
		return;
	}
	if (aws_imds_first_line(body, len, a->role, sizeof(a->role)) < 0 ||
	    strpbrk(a->role, "/?#%") != NULL) {
		imds_creds_failed(a, "iam/security-credentials/: not a role name");
		return;
	}
	snprintf(path, sizeof(path), "meta-data/iam/security-credentials/%s", a->role);
	imds_get(a, path, imds_creds_got);
}

static void
imds_creds_got(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why)
{
	char cerr[128], msg[300];
	struct aws_creds c;

	if (err < 0) {
		imds_creds_failed(a, why);
		return;
	}
	if (aws_creds_parse(body, len, &c, cerr, sizeof(cerr)) < 0) {
		snprintf(msg, sizeof(msg), "credentials of role %s: %s", a->role, cerr);
		imds_creds_failed(a, msg);
		return;
	}
	log_info("aws: credentials of role %s refreshed%s", a->role,
	    strcmp(c.access_key_id, a->creds.access_key_id) == 0 ? " (the same key: the IMDS "
								   "has not rotated it yet)"
								 : "");
	aws_creds_clear(&a->creds);
	a->creds = c;
	a->refreshing = false;
	a->refresh_forced = false;
	a->refresh_failures = 0;
	imds_creds_schedule(a);
	ec2_calls_kick(a);
}

static void
imds_creds_failed(struct aws_client *a, const char *why)
{
	int64_t d = aws_backoff_ms((unsigned)++a->refresh_failures, DISC_BACKOFF_BASE_MS,
	    DISC_BACKOFF_CAP_MS, aws_rnd32(a));

	a->refreshing = false;
	log_warnx("aws: cannot refresh the credentials: %s; retrying in %lldms",
	    why != NULL ? why : "failed", (long long)d);
	ev_timer_set(&a->refresh_timer, (double)d / 1000.0, 0.);
	ev_timer_start(a->loop, &a->refresh_timer);
	/* calls waiting for fresh credentials try the old ones meanwhile, if still valid */
	if (a->refresh_forced && a->creds.expiration > time(NULL) + 30) {
		a->refresh_forced = false;
		ec2_calls_kick(a);
	}
}

/* ------------------------------------------------------------ helpers */

/* Copy a string known to fit (checked by its validator) or truncate it. */
static void
imds_scopy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}
