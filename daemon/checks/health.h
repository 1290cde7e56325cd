/* SPDX-License-Identifier: Apache-2.0 */
/*
 * health.h - per-server health: typed probe results and the rise/fall rule.
 *
 * Core module: no IO, no clock.  Probes (check_tcp, check_http,
 * check_exec) describe what happened in a struct health_result; this is
 * the one place that turns a stream of results into "up" and "down"
 * (relayd's hce_notify_done idea: thresholds in one place, not one copy of
 * the retry logic per checker as in keepalived).  Every call takes `now`
 * and returns a decision; the caller logs and acts on it.
 */
#ifndef IPVSR_HEALTH_H
#define IPVSR_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* What a probe saw.  HEALTH_R_OK is the only success. */
enum health_reason {
	HEALTH_R_OK = 0,
	HEALTH_R_REFUSED,	/* connection refused (RST to our SYN) */
	HEALTH_R_UNREACHABLE,	/* EHOSTUNREACH / ENETUNREACH / EADDRNOTAVAIL ...: detail errno */
	HEALTH_R_TIMEOUT,	/* deadline passed; detail: enum health_phase */
	HEALTH_R_RESET,		/* connection reset; detail: enum health_phase */
	HEALTH_R_CLOSED,	/* peer closed before a complete answer; detail: phase */
	HEALTH_R_IO,		/* another socket error; detail: errno */
	HEALTH_R_TLS_VERIFY,	/* certificate refused; text: why (X509 verify error) */
	HEALTH_R_TLS_HANDSHAKE, /* handshake failed otherwise (alert, protocol); text */
	HEALTH_R_HTTP_STATUS,	/* status not in `expect`; detail: the status */
	HEALTH_R_HTTP_BODY,	/* body does not contain the expected text */
	HEALTH_R_HTTP_PROTOCOL, /* not a valid HTTP response */
	HEALTH_R_HTTP_TOO_BIG,	/* headers or body over the reader's limits */
	HEALTH_R_EXEC_STATUS,	/* command exited non-zero; detail: the exit status */
	HEALTH_R_EXEC_SIGNAL,	/* command killed by a signal; detail: the signal */
	HEALTH_R_EXEC_FAILED,	/* command could not be run; detail: errno */
	HEALTH_R_CONFIG,	/* probe cannot run as configured; text: why */
	HEALTH_R_LOCAL,		/* local resource error (socket(): EMFILE ...); detail: errno */
	HEALTH_R__COUNT
};

/* Where a probe was when it timed out or the connection broke. */
enum health_phase {
	HEALTH_PH_CONNECT = 0,
	HEALTH_PH_TLS,	   /* TLS handshake */
	HEALTH_PH_SEND,	   /* writing the request */
	HEALTH_PH_HEADERS, /* waiting for / reading the status line and headers */
	HEALTH_PH_BODY,	   /* reading the body */
	HEALTH_PH_EXEC,	   /* waiting for a command */
};

#define HEALTH_TEXT_MAX 64

struct health_result {
	enum health_reason reason;
	int detail;		    /* status, errno, exit status, signal or phase: see above */
	int status;		    /* HTTP status when one was read (also on success), else 0 */
	int elapsed_ms;		    /* from probe start to verdict */
	char text[HEALTH_TEXT_MAX]; /* optional detail from the edge (TLS errors) */
};

/* Fill *r: reason, detail, elapsed; text and status cleared. */
void health_result_set(
    struct health_result *r, enum health_reason reason, int detail, int elapsed_ms);

/* Short keyword for a reason: "refused", "timeout", "http-status", ... (metrics, status). */
const char *health_reason_str(enum health_reason reason);

/*
 * The parenthesised part of a transition line, for a probe of `type`:
 * "200 in 3ms", "connected in 1ms", "status 503 after 12ms",
 * "timeout after 500ms waiting for the response", "connection refused after 0ms",
 * "TLS verify failed: certificate has expired, after 4ms", ...  Returns buf.
 */
char *health_result_fmt(enum check_type type, const struct health_result *r, char *buf, size_t len);

/* A server's health as the rise/fall rule sees it. */
struct health {
	bool up;
	bool seen;	    /* at least one result since created */
	uint8_t rise, fall; /* thresholds, 1..100 */
	uint8_t ok_run;	    /* consecutive successes while down */
	uint8_t fail_run;   /* consecutive failures while up */
	uint8_t down_run;   /* consecutive failures while down (up to fall) */
	int64_t since_ms;   /* time of the last transition (or creation) */
	struct health_result last; /* the last result that spoke of the backend */
	int local_err;	    /* errno of a local fault since `last`, 0: none */
};

/*
 * Whether the backend has had its say: up, or down with `fall` failures in a row since
 * the last success (what it would take to declare a running server down).  One failure
 * is not a verdict: a first probe lost under load says little, and a router that counted
 * it preempted with a server missing from its table (bench/failover-flows, issue #17).
 */
bool health_settled(const struct health *h);

enum health_change {
	HEALTH_SAME = 0,
	HEALTH_WENT_UP,
	HEALTH_WENT_DOWN,
};

/*
 * A new server: up or down as `initial_up` says (pool.initial_state), with
 * thresholds rise and fall (clamped to 1..100).
 */
void health_init(struct health *h, int rise, int fall, bool initial_up, int64_t now);

/*
 * New thresholds after a reload.  The state is kept; a run already counted
 * that reaches the new threshold takes effect with the next result, never
 * from the reload itself (a reload does not move traffic).
 */
void health_set_thresholds(struct health *h, int rise, int fall);

/*
 * The probe behind this server changed (another check definition): the
 * server keeps its up/down state, the runs start again from zero.
 */
void health_restart(struct health *h);

/*
 * Apply one result: an up server goes down after `fall` consecutive
 * failures, a down server goes up after `rise` consecutive successes.
 * Returns what changed; the result is kept in h->last either way -- except
 * a local fault (HEALTH_R_LOCAL: EMFILE, ENOMEM, no local port...), which
 * changes nothing but h->local_err: running out of descriptors must not
 * drain every pool.
 */
enum health_change health_report(struct health *h, const struct health_result *r, int64_t now);

/*
 * Force a state without a probe result (check type "none": always up).
 * Returns the change, like health_report.
 */
enum health_change health_force(struct health *h, bool up, int64_t now);

#endif
