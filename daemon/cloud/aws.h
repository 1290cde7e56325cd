/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws.h - the AWS client: IMDSv2, credentials, EC2 Query API calls with
 * retries.  Edge module; cloud.c is its only user.
 *
 * Threading.  Every call runs on a pool of 4 worker threads: with a
 * worker, a call (name lookup, connect, TLS handshake, request, response)
 * is plain sequential code under one poll() deadline.  The name lookup is
 * c-ares, its sockets in the same poll(): getaddrinfo would block for the
 * resolver's own timeouts (5 s x 2 tries by default), past the deadline
 * and deaf to cancellation, and a hung resolver would tie up every worker
 * and every call behind them, failover claims included.
 * The loop thread never waits on the network: adverts, probes and the
 * control socket carry on while a call hangs.  The split is strict:
 *   - all client state (settings, credentials, calls, retries, timers) lives
 *     on the loop thread, and so does signing;
 *   - a worker gets an immutable copy of one request (host, port, the bytes
 *     to send, a deadline, a TLS context it holds a reference to) and
 *     fills in its answer (status, Date header, body, timings, error);
 *   - the answer goes back through a mutex-protected list and an ev_async,
 *     and everything else happens in the loop again.
 * Four workers: a hung call ties one up for at most api_timeout_ms, and the
 * claims of several VIPs failing over together still go out at once.
 * OpenSSL 3 makes SSL_new/SSL_connect on a shared SSL_CTX thread-safe; the
 * context list of tls.c is touched only from the loop thread.  Stopping
 * wakes the workers out of poll() at once, in every step of a call.
 *
 * Settings: see aws_parse.h (configuration, then environment, then
 * defaults or the IMDS).  Credentials: AWS_ACCESS_KEY_ID/... from the
 * environment, else the instance profile from the IMDS, refreshed well
 * before they expire (15 minutes, or half their remaining life when that is
 * shorter) and at once when EC2 refuses them.  Secrets are never logged,
 * and the buffers that held them are wiped.
 *
 * Retries: throttling, 5xx, timeouts and connection errors are retried with
 * exponential backoff and jitter, up to opts.max_attempts (0: until the
 * call is cancelled); refused credentials are refreshed and the call tried
 * once more; RequestExpired with a clock more than a minute off the
 * endpoint's Date header re-signs with the endpoint's time; everything else
 * (permission denied, not found, bad parameter, a refused certificate) ends
 * the call at once with the error code and message.
 */
#ifndef IPVSR_AWS_H
#define IPVSR_AWS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws_parse.h"
#include "aws_xml.h"
#include "model.h"

struct aws_client;
struct aws_call;

/* What this instance is, from the configuration and the IMDS. */
struct aws_identity {
	char instance_id[AWS_ID_MAX]; /* "" when IMDS is disabled */
	char region[AWS_REGION_MAX + 1];
	char az[AWS_REGION_MAX + 8];	  /* "" when unknown */
	char eni[AWS_ID_MAX];		  /* the ENI that receives addresses */
	char primary_ip[INET_ADDRSTRLEN]; /* its primary private IPv4, "" if unknown */
};

struct aws_client_conf {
	const struct aws *aws; /* the configuration's aws section (copied) */
	const char *ifname;    /* router.interface: its MAC picks the ENI; NULL: eth0's */
	const char *(*env)(const char *name); /* getenv, or a table in tests */
	void (*on_ready)(void *arg);	      /* identity and credentials known: calls go out */
	void *arg;
};

/*
 * Resolve the settings, log where each came from, set up TLS and the
 * workers, and start finding out the identity and credentials (IMDS), in
 * the background.  Needs loop_init().  Returns 0 and *out, or -EINVAL with
 * every problem logged (nothing to undo), or another negative errno.
 */
int aws_client_new(const struct aws_client_conf *c, struct aws_client **out);

/* Cancel every call (their callbacks never run), stop the workers, wipe
 * the credentials.  NULL-safe.  Not from inside one of the client's own
 * callbacks (cloud.c replaces clients from cloud_apply and cloud_stop only). */
void aws_client_free(struct aws_client *a);

/* Identity and credentials are known. */
bool aws_client_ready(const struct aws_client *a);

/* The identity; fields are "" until aws_client_ready(). */
const struct aws_identity *aws_client_identity(const struct aws_client *a);

/* true when the client was made from an equal aws section and interface. */
bool aws_client_same(const struct aws_client *a, const struct aws *aws, const char *ifname);

struct aws_call_opts {
	const char *label;   /* log prefix, e.g. "vip web-a: eip eipalloc-0abc" (copied) */
	int max_attempts;    /* 0: retry until cancelled */
	int backoff_base_ms; /* first retry delay ceiling (0: 200) */
	int backoff_cap_ms;  /* largest retry delay (0: 5000) */
	bool dry_run;	     /* add DryRun=true: DryRunOperation counts as success */
};

struct aws_result {
	bool ok; /* verdict OK or DRYRUN_OK */
	enum aws_verdict verdict;
	int http_status;		   /* 0: no answer */
	int transport_err;		   /* negative errno when there was no answer */
	const struct aws_ec2_reply *reply; /* parsed body, valid during the callback; NULL: none */
	char why[320]; /* "RequestLimitExceeded: ..." / "timed out after 5000ms" */
	int attempts;
	int64_t first_sent_ms; /* monotonic; when the first attempt went out, -1: never */
	int64_t sent_ms;       /* when the last attempt went out */
	int64_t done_ms;       /* when its answer was complete */
};

typedef void (*aws_done_fn)(void *arg, const struct aws_result *res);

/*
 * Call EC2 `action` with `p` (copied).  Waits for the client to be ready,
 * retries as described above, then runs cb(arg, result) on the loop, once.
 * Returns a handle, valid until cb runs or aws_call_cancel.  Never NULL.
 */
struct aws_call *aws_ec2(struct aws_client *a, const char *action, const struct aws_param *p,
    size_t n, const struct aws_call_opts *o, aws_done_fn cb, void *arg);

/* Forget a call: its callback will not run.  An attempt already on the
 * wire cannot be taken back; its answer is dropped. */
void aws_call_cancel(struct aws_call *c);

#endif
