/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_ec2.c - EC2 Query API calls, on the loop thread: aws_ec2() and
 * aws_call_cancel(), the list of calls in flight, signing each attempt
 * (SigV4, with the clock skew learnt from the endpoint), reading the answer
 * (aws_xml.c) and classifying it (aws_parse.c), and what follows: success,
 * a retry after backoff, fresh credentials (aws_imds.c), re-signing with
 * the endpoint's time, or the end of the call.  Attempts go out as jobs on
 * the workers (aws_worker.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "aws_int.h"
#include "http.h"
#include "log.h"
#include "sigv4.h"
#include "util.h"

#define CLOCK_SKEW_MIN_S 60
#define EC2_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

struct aws_call {
	struct aws_client *a;
	char *action;
	char *body;
	char *label;
	struct aws_call_opts o;
	aws_done_fn cb;
	void *arg;
	int attempts;
	bool creds_retried, clock_retried;
	bool waiting; /* for the client to be ready / fresh credentials */
	int64_t first_sent_ms;
	struct aws_job *job; /* the attempt on the wire */
	ev_timer backoff;
	struct aws_call *prev, *next;
};

static void ec2_call_try(struct aws_call *c);
static void ec2_call_job_done(struct aws_client *a, struct aws_job *j);
static void ec2_call_backoff_cb(struct ev_loop *l, ev_timer *w, int revents);
static void ec2_call_finish(struct aws_call *c, const struct aws_result *res);
static bool ec2_str_ends(const char *s, const char *suffix);

static bool
ec2_str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Send every call that waits, now that it can go. */
void
ec2_calls_kick(struct aws_client *a)
{
	struct aws_call *c, *next;

	for (c = a->calls; c != NULL; c = next) {
		next = c->next;
		if (c->waiting)
			ec2_call_try(c);
	}
}

struct aws_call *
aws_ec2(struct aws_client *a, const char *action, const struct aws_param *p, size_t n,
    const struct aws_call_opts *o, aws_done_fn cb, void *arg)
{
	struct aws_call *c = xcalloc(1, sizeof(*c));

	c->a = a;
	c->action = xstrdup(action);
	c->body = aws_query_body(action, p, n, o->dry_run);
	c->o = *o;
	c->label = xstrdup(o->label != NULL ? o->label : "aws");
	c->o.label = c->label;
	if (c->o.backoff_base_ms <= 0)
		c->o.backoff_base_ms = 200;
	if (c->o.backoff_cap_ms <= 0)
		c->o.backoff_cap_ms = 5000;
	c->cb = cb;
	c->arg = arg;
	c->first_sent_ms = -1;
	ev_timer_init(&c->backoff, ec2_call_backoff_cb, 0., 0.);
	c->backoff.data = c;
	c->next = a->calls;
	if (a->calls != NULL)
		a->calls->prev = c;
	a->calls = c;
	ec2_call_try(c);
	return c;
}

/* Sign and send one attempt, or wait until that is possible. */
static void
ec2_call_try(struct aws_call *c)
{
	struct aws_client *a = c->a;
	struct sigv4_header sh[2];
	struct sigv4_request sr;
	struct sigv4_credentials cr;
	struct sigv4_signed sig;
	struct http_header hh[4];
	struct http_request hr;
	struct aws_result res;
	struct aws_job *j;
	size_t nh = 0, len;
	char *wire;
	int r;

	if (!a->ready || !imds_creds_usable(a)) {
		c->waiting = true;
		if (a->ready && !a->refreshing)
			imds_creds_start(a);
		return;
	}
	c->waiting = false;
	memset(&sig, 0, sizeof(sig));
	sh[0].name = "Host";
	sh[0].value = a->ec2.hostport;
	sh[1].name = "Content-Type";
	sh[1].value = EC2_CONTENT_TYPE;
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.path = a->ec2.path;
	sr.headers = sh;
	sr.nheaders = 2;
	sr.body = c->body;
	sr.body_len = strlen(c->body);
	sr.normalize_path = true;
	cr.access_key_id = a->creds.access_key_id;
	cr.secret_access_key = a->creds.secret_access_key;
	cr.session_token = a->creds.session_token;
	r = sigv4_sign(&sr, &cr, a->s.region, "ec2", time(NULL) + (time_t)a->skew_s, true, &sig);
	if (r == 0) {
		hh[nh].name = "Content-Type";
		hh[nh++].value = EC2_CONTENT_TYPE;
		hh[nh].name = "X-Amz-Date";
		hh[nh++].value = sig.amz_date;
		if (cr.session_token != NULL) {
			hh[nh].name = "X-Amz-Security-Token";
			hh[nh++].value = cr.session_token;
		}
		hh[nh].name = "Authorization";
		hh[nh++].value = sig.authorization;
		memset(&hr, 0, sizeof(hr));
		hr.method = "POST";
		hr.target = a->ec2.path;
		hr.host = a->ec2.hostport;
		hr.headers = hh;
		hr.nheaders = nh;
		hr.body = c->body;
		hr.body_len = strlen(c->body);
		r = http_request_format(&hr, &wire, &len);
	}
	if (sig.canonical_request != NULL) /* holds the session token */
		explicit_bzero(sig.canonical_request, strlen(sig.canonical_request));
	sigv4_signed_free(&sig);
	if (r < 0) {
		memset(&res, 0, sizeof(res));
		res.verdict = AWS_V_FATAL;
		res.attempts = c->attempts;
		res.first_sent_ms = res.sent_ms = -1;
		res.done_ms = mono_ms();
		snprintf(res.why, sizeof(res.why), "cannot sign or format the request (%s)",
		    strerror(-r));
		ec2_call_finish(c, &res);
		return;
	}
	j = awsw_job_new(a, &a->ec2, wire, len, a->conf.api_timeout_ms, "EC2");
	j->done = ec2_call_job_done;
	j->owner = c;
	c->job = j;
	c->attempts++;
	awsw_job_submit(a, j);
}

static void
ec2_call_job_done(struct aws_client *a, struct aws_job *j)
{
	struct aws_call *c = j->owner;
	struct aws_ec2_reply *reply = NULL;
	struct aws_result res;
	char perr[128] = "";
	const char *code = NULL;
	time_t date, now;
	int64_t d;

	c->job = NULL;
	memset(&res, 0, sizeof(res));
	if (c->first_sent_ms < 0)
		c->first_sent_ms = j->sent_ms;
	res.first_sent_ms = c->first_sent_ms;
	res.sent_ms = j->sent_ms;
	res.done_ms = j->done_ms;
	res.attempts = c->attempts;
	res.http_status = j->err < 0 ? 0 : j->status;
	res.transport_err = j->err < 0 ? j->err : 0;
	if (j->err == 0 && j->body.len > 0) {
		reply = xmalloc(sizeof(*reply));
		if (aws_ec2_reply_parse(j->body.s, j->body.len, reply, perr, sizeof(perr)) < 0) {
			FREE_AND_NULL(reply);
		} else if (reply->error) {
			code = reply->code;
		} else if (!ec2_str_ends(reply->root, "Response")) {
			/* well-formed, but a proxy's page (<html>), not EC2's answer */
			snprintf(perr, sizeof(perr), "not an EC2 answer (<%s>)", reply->root);
			FREE_AND_NULL(reply);
		}
	}
	res.verdict = aws_classify(res.transport_err, res.http_status, code);
	if (res.verdict == AWS_V_OK && reply == NULL) {
		/* 2xx but nothing we can read: as good as no answer */
		res.verdict = AWS_V_TRANSIENT;
		snprintf(perr, sizeof(perr), "%s", perr[0] ? perr : "empty body");
	}
	res.reply = reply;
	if (j->err < 0)
		snprintf(res.why, sizeof(res.why), "%s", j->errtext);
	else if (code != NULL)
		snprintf(res.why, sizeof(res.why), "%.100s: %.200s (HTTP %d)", code,
		    reply->message[0] != '\0' ? reply->message : "no message", j->status);
	else if (res.verdict != AWS_V_OK)
		snprintf(
		    res.why, sizeof(res.why), "HTTP %d%s%s", j->status, perr[0] ? ", " : "", perr);
	res.ok = res.verdict == AWS_V_OK || res.verdict == AWS_V_DRYRUN_OK;

	switch (res.verdict) {
	case AWS_V_OK:
	case AWS_V_DRYRUN_OK:
		break;
	case AWS_V_THROTTLED:
	case AWS_V_TRANSIENT:
		if (c->o.max_attempts != 0 && c->attempts >= c->o.max_attempts)
			break;
		d = aws_backoff_ms(
		    (unsigned)c->attempts, c->o.backoff_base_ms, c->o.backoff_cap_ms, aws_rnd32(a));
		log_info("%s: %s attempt %d: %s, retrying in %lldms", c->label, c->action,
		    c->attempts, res.why, (long long)d);
		ev_timer_set(&c->backoff, (double)d / 1000.0, 0.);
		ev_timer_start(a->loop, &c->backoff);
		free(reply);
		return;
	case AWS_V_CLOCK:
		now = time(NULL);
		if (!c->clock_retried && aws_parse_http_date(j->date, &date) == 0 &&
		    llabs((long long)(date - (now + a->skew_s))) >= CLOCK_SKEW_MIN_S) {
			c->clock_retried = true;
			if (llabs((long long)(date - now)) < CLOCK_SKEW_MIN_S) {
				log_notice("aws: the EC2 endpoint's clock (its Date header) agrees "
					   "with this one again; signing with our own time");
				a->skew_s = 0;
			} else {
				log_warnx(
				    "aws: this clock is %+llds off the EC2 endpoint's (its "
				    "Date header); signing with the endpoint's time until the "
				    "clock is fixed",
				    (long long)(now - date));
				a->skew_s = (int64_t)(date - now);
			}
			free(reply);
			ec2_call_try(c);
			return;
		}
		/* not the clock: expired credentials say RequestExpired too */
		/* fall through */
	case AWS_V_CREDENTIALS:
		if (!c->creds_retried && !a->creds_static) {
			c->creds_retried = true;
			log_notice("%s: %s: %s; fetching fresh credentials and trying again",
			    c->label, c->action, res.why);
			a->refresh_forced = true;
			c->waiting = true;
			imds_creds_start(a);
			free(reply);
			return;
		}
		break;
	case AWS_V_DENIED:
	case AWS_V_NOTFOUND:
	case AWS_V_CERT:
	case AWS_V_FATAL:
		break;
	}
	ec2_call_finish(c, &res);
	free(reply);
}

static void
ec2_call_backoff_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	ec2_call_try(w->data);
}

/* Unlink, report, free.  The callback may start new calls. */
static void
ec2_call_finish(struct aws_call *c, const struct aws_result *res)
{
	aws_done_fn cb = c->cb;
	void *arg = c->arg;

	ec2_call_free(c);
	if (cb != NULL)
		cb(arg, res);
}

void
ec2_call_free(struct aws_call *c)
{
	struct aws_client *a = c->a;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ev_timer_stop(a->loop, &c->backoff);
	if (c->job != NULL)
		c->job->cancelled = true; /* the worker finishes it; the answer is dropped */
	free(c->action);
	free(c->body);
	free(c->label);
	free(c);
}

void
aws_call_cancel(struct aws_call *c)
{
	if (c != NULL)
		ec2_call_free(c);
}
