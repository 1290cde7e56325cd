/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_int.h - what the parts of the AWS client share; private to them.
 *
 * Included by aws.c, aws_worker.c, aws_imds.c and aws_ec2.c only; everyone
 * else uses aws.h.  It holds the client's state (struct aws_client), one
 * HTTP exchange as handed to a worker (struct aws_job), and the few
 * functions one part calls in another.  The threading contract is in aws.h:
 * only aws_worker.c has code that runs off the loop thread, and it touches
 * only its job, the pool's queues and `stopping` under `mu`, and the
 * wake_fd and ev_async set up before the workers start.
 */
#ifndef IPVSR_AWS_INT_H
#define IPVSR_AWS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "aws.h"
#include "util.h"

#define AWS_WORKERS 4

struct tls_ctx;

/* One HTTP exchange, handed to a worker. */
struct aws_job {
	/* request: written by the loop thread before submission, then read-only */
	char *host;
	char port[8];
	struct tls_ctx *tls; /* NULL: plain http; a reference the client holds */
	char *wire;
	size_t wire_len;
	int timeout_ms;
	const char *what; /* "EC2", "IMDS": for error texts */
	/* answer: written by the worker, read by the loop thread after completion */
	int err;
	char errtext[200];
	int status;
	char date[64];
	struct tbuf body;
	int64_t sent_ms, done_ms;
	/* loop thread only */
	void (*done)(struct aws_client *a, struct aws_job *j);
	void *owner;
	bool cancelled;
	struct aws_job *next;
};

typedef void (*imds_fn)(
    struct aws_client *a, int err, int status, const char *body, size_t len, const char *why);

enum disc_step {
	DISC_INSTANCE = 0,
	DISC_REGION,
	DISC_AZ,
	DISC_MAC,
	DISC_ENI,
	DISC_IPS,
	DISC_ROLE,
	DISC_CREDS,
	DISC_DONE,
};

struct aws_client {
	struct ev_loop *loop;
	/* what it was made from, for aws_client_same */
	struct aws conf;
	char *ifname;
	struct aws_settings s;
	struct aws_url ec2, imds;
	struct tls_ctx *tls; /* EC2 (and an https IMDS) */
	struct aws_identity id;
	void (*on_ready)(void *arg);
	void *arg;
	bool ready;

	/* credentials */
	struct aws_creds creds;
	bool creds_static; /* from the environment: never refreshed */
	char role[128];
	bool refreshing, refresh_forced;
	ev_timer refresh_timer;
	int refresh_failures;
	int64_t skew_s; /* added to our clock when signing */

	/* IMDS */
	char *token;
	int64_t token_until_ms;
	bool imds_busy;
	char imds_path[256];
	imds_fn imds_cb;
	bool imds_retried;
	enum disc_step step;
	int step_failures;
	char mac[18];
	char imds_eni[AWS_ID_MAX]; /* the ENI the IMDS names for our MAC */
	ev_timer disc_timer;

	struct aws_call *calls;
	uint64_t rng;

	/* worker pool */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct aws_job *q_head, *q_tail;
	struct aws_job *done_head, *done_tail;
	bool stopping;
	int wake_fd;
	pthread_t threads[AWS_WORKERS];
	int nthreads;
	ev_async async;
};

/* ------------------------------------------------------------ aws.c */

/* The client's xorshift generator, for backoff jitter (loop thread). */
uint32_t aws_rnd32(struct aws_client *a);

/* ------------------------------------------------------------ aws_worker.c */

/*
 * A job for the request bytes `wire` (taken over, wiped when freed) to the
 * endpoint u, over TLS when u says https.  The exchange, name lookup
 * included, has timeout_ms from when a worker takes it up.  The caller
 * sets done (and owner), then submits it.
 */
struct aws_job *awsw_job_new(struct aws_client *a, const struct aws_url *u, char *wire,
    size_t wire_len, int timeout_ms, const char *what);

/* Queue a job for the workers; j->done(a, j) runs on the loop when it is
 * complete, unless j->cancelled by then, and the job is freed after. */
void awsw_job_submit(struct aws_client *a, struct aws_job *j);

/* Start the workers and the ev_async they report through.  0 or -errno. */
int awsw_pool_start(struct aws_client *a);

/* Wake and join the workers, free every queued or finished job without
 * running its done.  Safe when awsw_pool_start never ran or failed. */
void awsw_pool_stop(struct aws_client *a);

/* ------------------------------------------------------------ aws_imds.c */

/* disc_timer: take the next step of the discovery (identity, credentials). */
void imds_disc_timer_cb(struct ev_loop *l, ev_timer *w, int revents);

/* refresh_timer: fetch the role's credentials again. */
void imds_refresh_timer_cb(struct ev_loop *l, ev_timer *w, int revents);

/* Credentials are known, not refused, and not about to expire. */
bool imds_creds_usable(const struct aws_client *a);

/* Fetch the role's credentials (and name) again: not for static credentials,
 * while a refresh runs or before discovery is done; a busy IMDS defers it. */
void imds_creds_start(struct aws_client *a);

/* ------------------------------------------------------------ aws_ec2.c */

/* Send every call that waits, now that it can go. */
void ec2_calls_kick(struct aws_client *a);

/* Unlink and free a call without running its callback; an attempt on the
 * wire is marked cancelled (its answer is dropped). */
void ec2_call_free(struct aws_call *c);

#endif
