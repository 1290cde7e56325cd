/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - one logging vocabulary for the whole daemon.
 *
 * Messages go to syslog, or to stderr with -l / in the foreground.  Callers
 * put the object's identity first:
 *   log_info("pool api server 10.0.2.21:443: http check failed (%s), up -> down", why);
 * log_warn appends ": strerror(errno)"; log_warnc appends the text of a
 * negative errno value; the *x forms append nothing.
 */
#ifndef IPVSR_LOG_H
#define IPVSR_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "util.h"

/* Start logging.  to_stderr: write "LEVEL: message" lines to stderr instead
 * of syslog.  level: LOG_ERR .. LOG_DEBUG.  facility: LOG_DAEMON etc. */
void log_init(const char *ident, bool to_stderr, int level, int facility);
void log_set_level(int level);
int log_get_level(void);
/* Switch an already initialised log to syslog with the given facility (daemonising). */
void log_set_facility(int facility);
/* syslog facility from its name ("daemon", "local0".."local7"); -1 when unknown. */
int log_facility_from_str(const char *s);
/* Level from "error" "warning" "notice" "info" "debug"; -1 when unknown. */
int log_level_from_str(const char *s);

/* LOG_CRIT: the daemon cannot do its job (and says what it does meanwhile). */
void log_crit(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warnx(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warnc(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);
void log_notice(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Log at LOG_ERR and exit(1).  fatal appends strerror(errno). */
void fatal(const char *fmt, ...) PRINTF_LIKE(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) PRINTF_LIKE(1, 2) __attribute__((noreturn));

/*
 * One logger per object kind (bgpd's log_peer_warnx): the identity prefix is
 * formatted here only, so it cannot drift between modules.
 *   log_vip(LOG_NOTICE, "web", "BACKUP -> MASTER")      vip web: BACKUP -> MASTER
 *   log_pool(LOG_WARNING, "api", "below min_servers")   pool api: below min_servers
 *   log_server(LOG_INFO, "api", &addr, "up -> down")    pool api server 10.0.2.21:443: up -> down
 * pri is a syslog level (LOG_WARNING .. LOG_DEBUG); `err` forms append the
 * text of a negative errno as log_warnc does.
 */
void log_vip(int pri, const char *vip, const char *fmt, ...) PRINTF_LIKE(3, 4);
void log_pool(int pri, const char *pool, const char *fmt, ...) PRINTF_LIKE(3, 4);
void log_server(int pri, const char *pool, const struct sockaddr_x *addr, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
void log_vip_err(int pri, int err, const char *vip, const char *fmt, ...) PRINTF_LIKE(4, 5);
void log_pool_err(int pri, int err, const char *pool, const char *fmt, ...) PRINTF_LIKE(4, 5);

/*
 * Invariants fail loudly (relayd's fatalx("desynchronized")): BUG(fmt, ...)
 * logs "BUG: func: message" at LOG_CRIT, counts it (log_bug_count(), the
 * ipvsr_bugs_total metric) and, when $IPVSR_BUG_ABORT is set to 1 (the test
 * suite sets it), aborts so that a test cannot pass over it.  In production
 * the daemon carries on: the caller must leave its state consistent after
 * BUG (skip the operation that would corrupt it).
 */
#define BUG(...) log_bug(__func__, __VA_ARGS__)
void log_bug(const char *func, const char *fmt, ...) PRINTF_LIKE(2, 3);
unsigned long log_bug_count(void);

/*
 * Rate limiting for messages that an outside party can trigger at will
 * (bad packets, a flapping file): at most `burst` messages per `interval_ms`
 * per limiter; the number suppressed is reported with the next message let
 * through.  Returns true when the caller may log.
 */
struct log_ratelimit {
	int interval_ms;
	int burst;
	long long window_start;
	int count;
	unsigned suppressed;
};
#define LOG_RATELIMIT_INIT(ms, n) { (ms), (n), 0, 0, 0 }
bool log_ratelimit_ok(struct log_ratelimit *rl);

#endif
