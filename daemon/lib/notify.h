/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.h - the systemd notification protocol, without libsystemd.
 *
 * Every function is a no-op returning 0 when $NOTIFY_SOCKET is unset, so
 * callers never ask whether they run under systemd.  Errors are returned,
 * never logged here: a lost notification is the caller's call to report.
 */
#ifndef IPVSR_NOTIFY_H
#define IPVSR_NOTIFY_H

#include <stdint.h>

#include "util.h"

/*
 * Send `state` ("KEY=VALUE" lines separated by '\n') as one datagram to
 * $NOTIFY_SOCKET (a path, or "@name" for an abstract socket).  Returns 0
 * (also when unset), or a negative errno.
 */
int notify_send(const char *state);
int notify_sendf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/*
 * READY=1, RELOADING=1 (with the MONOTONIC_USEC= that systemd >= 253
 * requires for Type=notify-reload) and STOPPING=1.  `status`, if not NULL,
 * goes in the same datagram as STATUS=, so the two change atomically.
 */
int notify_ready(const char *status);
int notify_reloading(const char *status);
int notify_stopping(const char *status);

/* WATCHDOG=1: the service manager's keep-alive ping. */
int notify_watchdog(void);

/* STATUS=..., free-form text shown by `systemctl status`. */
int notify_status(const char *fmt, ...) PRINTF_LIKE(1, 2);

/*
 * The watchdog interval systemd expects pings within: $WATCHDOG_USEC, if
 * $WATCHDOG_PID is unset or names this process.  Returns 1 with *usec set,
 * 0 with *usec = 0 when no watchdog is asked for, -EINVAL when the
 * variables are malformed (*usec = 0).
 */
int notify_watchdog_usec(uint64_t *usec);

#endif
