/* SPDX-License-Identifier: Apache-2.0 */
/*
 * health.c - the rise/fall rule and the words for probe results.
 *
 * The only place where thresholds apply.  Probes report every result;
 * this file decides when a run of them is enough to move traffic.
 */
#include <stdio.h>
#include <string.h>

#include "health.h"

static int clamp_threshold(int v);
static const char *phase_str(int phase);

static const char *const reason_names[HEALTH_R__COUNT] = {
    [HEALTH_R_OK] = "ok",
    [HEALTH_R_REFUSED] = "refused",
    [HEALTH_R_UNREACHABLE] = "unreachable",
    [HEALTH_R_TIMEOUT] = "timeout",
    [HEALTH_R_RESET] = "reset",
    [HEALTH_R_CLOSED] = "closed",
    [HEALTH_R_IO] = "io-error",
    [HEALTH_R_TLS_VERIFY] = "tls-verify",
    [HEALTH_R_TLS_HANDSHAKE] = "tls-handshake",
    [HEALTH_R_HTTP_STATUS] = "http-status",
    [HEALTH_R_HTTP_BODY] = "http-body",
    [HEALTH_R_HTTP_PROTOCOL] = "http-protocol",
    [HEALTH_R_HTTP_TOO_BIG] = "http-too-big",
    [HEALTH_R_EXEC_STATUS] = "exec-status",
    [HEALTH_R_EXEC_SIGNAL] = "exec-signal",
    [HEALTH_R_EXEC_FAILED] = "exec-failed",
    [HEALTH_R_CONFIG] = "config",
    [HEALTH_R_LOCAL] = "local-error",
};

void
health_result_set(struct health_result *r, enum health_reason reason, int detail, int elapsed_ms)
{
	memset(r, 0, sizeof(*r));
	r->reason = reason;
	r->detail = detail;
	r->elapsed_ms = elapsed_ms < 0 ? 0 : elapsed_ms;
}

const char *
health_reason_str(enum health_reason reason)
{
	if ((unsigned)reason >= HEALTH_R__COUNT)
		return "unknown";
	return reason_names[reason];
}

static const char *
phase_str(int phase)
{
	switch (phase) {
	case HEALTH_PH_CONNECT:
		return "connecting";
	case HEALTH_PH_TLS:
		return "in the TLS handshake";
	case HEALTH_PH_SEND:
		return "sending the request";
	case HEALTH_PH_HEADERS:
		return "waiting for the response";
	case HEALTH_PH_BODY:
		return "reading the body";
	case HEALTH_PH_EXEC:
		return "waiting for the command";
	default:
		return "";
	}
}

char *
health_result_fmt(enum check_type type, const struct health_result *r, char *buf, size_t len)
{
	const char *t = r->text[0] != '\0' ? r->text : NULL;
	int ms = r->elapsed_ms;

	switch (r->reason) {
	case HEALTH_R_OK:
		if (type == CHECK_HTTP || type == CHECK_HTTPS)
			snprintf(buf, len, "%d in %dms", r->status, ms);
		else if (type == CHECK_EXEC)
			snprintf(buf, len, "exit 0 in %dms", ms);
		else if (type == CHECK_NONE)
			snprintf(buf, len, "no check configured");
		else
			snprintf(buf, len, "connected in %dms", ms);
		break;
	case HEALTH_R_REFUSED:
		snprintf(buf, len, "connection refused after %dms", ms);
		break;
	case HEALTH_R_UNREACHABLE:
		snprintf(buf, len, "connect: %s after %dms", strerror(r->detail), ms);
		break;
	case HEALTH_R_TIMEOUT:
		snprintf(buf, len, "timeout after %dms %s", ms, phase_str(r->detail));
		break;
	case HEALTH_R_RESET:
		snprintf(buf, len, "connection reset after %dms %s", ms, phase_str(r->detail));
		break;
	case HEALTH_R_CLOSED:
		snprintf(buf, len, "connection closed after %dms %s", ms, phase_str(r->detail));
		break;
	case HEALTH_R_IO:
		snprintf(buf, len, "socket error: %s after %dms", strerror(r->detail), ms);
		break;
	case HEALTH_R_TLS_VERIFY:
		snprintf(buf, len, "TLS verify failed: %s, after %dms", t ? t : "?", ms);
		break;
	case HEALTH_R_TLS_HANDSHAKE:
		snprintf(buf, len, "TLS handshake failed: %s, after %dms", t ? t : "?", ms);
		break;
	case HEALTH_R_HTTP_STATUS:
		snprintf(buf, len, "status %d after %dms", r->detail, ms);
		break;
	case HEALTH_R_HTTP_BODY:
		snprintf(buf, len, "status %d but body mismatch after %dms", r->status, ms);
		break;
	case HEALTH_R_HTTP_PROTOCOL:
		snprintf(
		    buf, len, "bad HTTP response%s%s after %dms", t ? ": " : "", t ? t : "", ms);
		break;
	case HEALTH_R_HTTP_TOO_BIG:
		snprintf(
		    buf, len, "response too large%s%s after %dms", t ? ": " : "", t ? t : "", ms);
		break;
	case HEALTH_R_EXEC_STATUS:
		snprintf(buf, len, "exit %d after %dms", r->detail, ms);
		break;
	case HEALTH_R_EXEC_SIGNAL:
		snprintf(buf, len, "killed by signal %d (%s) after %dms", r->detail,
		    strsignal(r->detail), ms);
		break;
	case HEALTH_R_EXEC_FAILED:
		snprintf(buf, len, "cannot run the command: %s", strerror(r->detail));
		break;
	case HEALTH_R_CONFIG:
		snprintf(buf, len, "cannot probe: %s", t ? t : "invalid check");
		break;
	case HEALTH_R_LOCAL:
		snprintf(buf, len, "local error: %s", strerror(r->detail));
		break;
	default:
		snprintf(buf, len, "unknown result %d after %dms", (int)r->reason, ms);
		break;
	}
	return buf;
}

/* ------------------------------------------------------------ rise/fall */

static int
clamp_threshold(int v)
{
	if (v < 1)
		return 1;
	if (v > 100)
		return 100;
	return v;
}

void
health_init(struct health *h, int rise, int fall, bool initial_up, int64_t now)
{
	memset(h, 0, sizeof(*h));
	h->up = initial_up;
	h->rise = (uint8_t)clamp_threshold(rise);
	h->fall = (uint8_t)clamp_threshold(fall);
	h->since_ms = now;
}

void
health_set_thresholds(struct health *h, int rise, int fall)
{
	h->rise = (uint8_t)clamp_threshold(rise);
	h->fall = (uint8_t)clamp_threshold(fall);
}

void
health_restart(struct health *h)
{
	h->ok_run = 0;
	h->fail_run = 0;
	h->down_run = 0;
}

bool
health_settled(const struct health *h)
{
	return h->up || h->down_run >= h->fall;
}

enum health_change
health_report(struct health *h, const struct health_result *r, int64_t now)
{
	bool ok = r->reason == HEALTH_R_OK;

	/*
	 * Our own fault (no descriptor, no memory, no local port) says nothing
	 * about the backend: no run is counted either way and the last backend
	 * result stays what status shows; only the fault is remembered.
	 */
	if (r->reason == HEALTH_R_LOCAL) {
		h->local_err = r->detail != 0 ? r->detail : -1;
		return HEALTH_SAME;
	}
	h->local_err = 0;
	h->last = *r;
	h->seen = true;
	if (h->up) {
		h->ok_run = 0;
		if (ok) {
			h->fail_run = 0;
			return HEALTH_SAME;
		}
		if (h->fail_run < h->fall)
			h->fail_run++;
		if (h->fail_run < h->fall)
			return HEALTH_SAME;
		h->up = false;
		h->fail_run = 0;
		h->down_run = h->fall; /* a verdict: settled down */
		h->since_ms = now;
		return HEALTH_WENT_DOWN;
	}
	h->fail_run = 0;
	if (!ok) {
		h->ok_run = 0;
		if (h->down_run < h->fall)
			h->down_run++;
		return HEALTH_SAME;
	}
	h->down_run = 0;
	if (h->ok_run < h->rise)
		h->ok_run++;
	if (h->ok_run < h->rise)
		return HEALTH_SAME;
	h->up = true;
	h->ok_run = 0;
	h->since_ms = now;
	return HEALTH_WENT_UP;
}

enum health_change
health_force(struct health *h, bool up, int64_t now)
{
	h->ok_run = 0;
	h->fail_run = 0;
	h->down_run = up ? 0 : h->fall; /* a forced state is a verdict */
	if (h->up == up)
		return HEALTH_SAME;
	h->up = up;
	h->since_ms = now;
	return up ? HEALTH_WENT_UP : HEALTH_WENT_DOWN;
}
