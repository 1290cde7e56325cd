/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.c - sd_notify(3) reimplemented: one AF_UNIX datagram per message.
 *
 * A fresh socket per message: notifications are rare (start, reload, stop,
 * watchdog every few seconds), and not keeping a descriptor open means
 * nothing to leak into children and nothing to re-open after a fork.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

/* Big enough for a STATUS line; longer text is cut, never dropped. */
#define NOTIFY_MSG_MAX 1024

static int notify_addr(const char *e, struct sockaddr_un *sun, socklen_t *len);
static int notify_vsendf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);
static int notify_with_status(const char *state, const char *status);

/*
 * "/path" or "@abstract".  Other forms systemd knows (vsock:) do not occur
 * on the hosts we run on; they are refused rather than misread.
 */
static int
notify_addr(const char *e, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(e);

	if (e[0] != '/' && e[0] != '@')
		return -EAFNOSUPPORT;
	if (n < 2 || n >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, e, n);
	if (e[0] == '@') {
		/* Abstract names are length-delimited, not NUL-terminated. */
		sun->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int
notify_send(const char *state)
{
	const char *e = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	ssize_t n;
	int fd, r;

	if (e == NULL || *e == '\0')
		return 0;
	r = notify_addr(e, &sun, &len);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* MSG_NOSIGNAL: a vanished manager must not kill us with SIGPIPE. */
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int
notify_vsendf(const char *fmt, va_list ap)
{
	char buf[NOTIFY_MSG_MAX];

	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		return -EINVAL;
	return notify_send(buf);
}

int
notify_sendf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = notify_vsendf(fmt, ap);
	va_end(ap);
	return r;
}

static int
notify_with_status(const char *state, const char *status)
{
	if (status == NULL)
		return notify_send(state);
	return notify_sendf("%s\nSTATUS=%s", state, status);
}

int
notify_ready(const char *status)
{
	return notify_with_status("READY=1", status);
}

/*
 * systemd pairs RELOADING=1 with the reload request by this timestamp; it
 * must be CLOCK_MONOTONIC exactly, so it is read here rather than through a
 * helper whose clock could change.
 */
int
notify_reloading(const char *status)
{
	char state[80];
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -errno;
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	return notify_with_status(state, status);
}

int
notify_stopping(const char *status)
{
	return notify_with_status("STOPPING=1", status);
}

int
notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

int
notify_status(const char *fmt, ...)
{
	char buf[NOTIFY_MSG_MAX] = "STATUS=";
	size_t off = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + off, sizeof(buf) - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return notify_send(buf);
}

int
notify_watchdog_usec(uint64_t *usec)
{
	const char *s = getenv("WATCHDOG_USEC");
	const char *p = getenv("WATCHDOG_PID");
	long long v, pid;

	*usec = 0;
	if (s == NULL)
		return 0;
	if (parse_int(s, 1, INT64_MAX, &v) < 0)
		return -EINVAL;
	if (p != NULL) {
		if (parse_int(p, 1, INT32_MAX, &pid) < 0)
			return -EINVAL;
		/* Set for another process (our parent before a fork): not ours. */
		if ((pid_t)pid != getpid())
			return 0;
	}
	*usec = (uint64_t)v;
	return 1;
}
