/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - syslog or stderr logging, one vocabulary for the whole daemon.
 *
 * Nothing here allocates: every message is formatted into a fixed buffer on
 * the stack, so logging keeps working when memory is short and can never
 * fail silently halfway through.  Over-long messages are cut and marked
 * with "...".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static void log_open_syslog(void);
static bool stderr_is_journal(void);
static const char *level_word(int pri);
static void vlog(int pri, const char *errstr, const char *fmt, va_list ap) PRINTF_LIKE(3, 0);
static void log_emit(int pri, const char *msg);

static struct {
	const char *ident;
	bool to_stderr;
	bool syslog_open;
	bool tty;     /* stderr is a terminal: add timestamps */
	bool journal; /* stderr is journald's stream: add <N> prefixes */
	int level;
	int facility;
} lg = {
    .ident = "ipvs-router",
    .to_stderr = true,
    .level = LOG_INFO,
    .facility = LOG_DAEMON,
};

static const struct {
	const char *name;
	int value;
} levels[] = {
    {"error", LOG_ERR},
    {"warning", LOG_WARNING},
    {"notice", LOG_NOTICE},
    {"info", LOG_INFO},
    {"debug", LOG_DEBUG},
};

static const struct {
	const char *name;
	int value;
} facilities[] = {
    {"daemon", LOG_DAEMON},
    {"user", LOG_USER},
    {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

void
log_init(const char *ident, bool to_stderr, int level, int facility)
{
	if (lg.syslog_open) {
		closelog();
		lg.syslog_open = false;
	}
	if (ident != NULL)
		lg.ident = ident;
	lg.to_stderr = to_stderr;
	lg.level = level;
	lg.facility = facility;
	lg.tty = isatty(STDERR_FILENO) == 1;
	lg.journal = !lg.tty && stderr_is_journal();
	if (!to_stderr)
		log_open_syslog();
}

void
log_set_level(int level)
{
	lg.level = level;
}

int
log_get_level(void)
{
	return lg.level;
}

void
log_set_facility(int facility)
{
	if (lg.syslog_open) {
		closelog();
		lg.syslog_open = false;
	}
	lg.facility = facility;
	lg.to_stderr = false;
	log_open_syslog();
}

int
log_facility_from_str(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ARRAY_SIZE(facilities); i++)
		if (strcasecmp(s, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

int
log_level_from_str(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcasecmp(s, levels[i].name) == 0)
			return levels[i].value;
	return -1;
}

/*
 * LOG_NDELAY: connect to the syslog socket now, while we still can (before
 * any later privilege or file-descriptor changes), instead of at the first
 * message.
 */
static void
log_open_syslog(void)
{
	openlog(lg.ident, LOG_PID | LOG_NDELAY, lg.facility);
	lg.syslog_open = true;
}

/*
 * journald sets JOURNAL_STREAM=DEV:INODE for the stream it connected to our
 * stdout/stderr.  When stderr is that stream, a "<N>" prefix lets it record
 * the real priority of each line instead of one priority for all.
 */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const char *
level_word(int pri)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (levels[i].value == pri)
			return levels[i].name;
	return pri < LOG_ERR ? "critical" : "debug";
}

static void
log_emit(int pri, const char *msg)
{
	char ts[40] = "";
	struct timespec now;
	struct tm tm;
	size_t n;

	if (!lg.to_stderr) {
		syslog(pri, "%s", msg);
		return;
	}
	if (lg.tty && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    localtime_r(&now.tv_sec, &tm) != NULL) {
		n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + n, sizeof(ts) - n, ".%03ld ", now.tv_nsec / 1000000);
	}
	if (lg.journal)
		fprintf(stderr, "<%d>%s: %s\n", pri, level_word(pri), msg);
	else
		fprintf(stderr, "%s%s: %s\n", ts, level_word(pri), msg);
	fflush(stderr);
}

static void
vlog(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	size_t len;
	int n;

	if (pri > lg.level)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0) {
		/* Only an invalid format gets here; still say something. */
		snprintf(buf, sizeof(buf), "(unformattable message: %s)", fmt);
		n = (int)strlen(buf);
	}
	len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	if (errstr != NULL && len < sizeof(buf) - 1) {
		n = snprintf(buf + len, sizeof(buf) - len, ": %s", errstr);
		if (n > 0)
			len += (size_t)n < sizeof(buf) - len ? (size_t)n : sizeof(buf) - len - 1;
	}
	if (len == sizeof(buf) - 1)
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	log_emit(pri, buf);
}

void
log_crit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno; /* vsnprintf may clobber it */
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_warnc(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, strerror(err < 0 ? -err : err), fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

static void
log_printf_pri(int pri, const char *errstr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(pri, errstr, fmt, ap);
	va_end(ap);
}

/* "PREFIX: fmt" through vlog, the prefix formatted once. */
static void
vlog_obj(int pri, const char *errstr, const char *prefix, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];

	if (pri > lg.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_printf_pri(pri, errstr, "%s: %s", prefix, msg);
}

void
log_vip(int pri, const char *vip, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "vip %s", vip != NULL ? vip : "-");
	va_start(ap, fmt);
	vlog_obj(pri, NULL, prefix, fmt, ap);
	va_end(ap);
}

void
log_vip_err(int pri, int err, const char *vip, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "vip %s", vip != NULL ? vip : "-");
	va_start(ap, fmt);
	vlog_obj(pri, strerror(err < 0 ? -err : err), prefix, fmt, ap);
	va_end(ap);
}

void
log_pool(int pri, const char *pool, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "pool %s", pool != NULL ? pool : "-");
	va_start(ap, fmt);
	vlog_obj(pri, NULL, prefix, fmt, ap);
	va_end(ap);
}

void
log_pool_err(int pri, int err, const char *pool, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "pool %s", pool != NULL ? pool : "-");
	va_start(ap, fmt);
	vlog_obj(pri, strerror(err < 0 ? -err : err), prefix, fmt, ap);
	va_end(ap);
}

void
log_server(int pri, const char *pool, const struct sockaddr_x *addr, const char *fmt, ...)
{
	char prefix[128 + SOCKADDR_X_STRLEN], a[SOCKADDR_X_STRLEN];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "pool %s server %s", pool != NULL ? pool : "-",
	    sockaddr_x_fmt(addr, a, sizeof(a)));
	va_start(ap, fmt);
	vlog_obj(pri, NULL, prefix, fmt, ap);
	va_end(ap);
}

static unsigned long log_bugs;

/* Never filtered by the level: a broken invariant is always worth a line. */
static void
log_crit_msg(const char *func, const char *msg)
{
	char buf[LOG_LINE_MAX];

	snprintf(buf, sizeof(buf), "BUG: %s: %s", func, msg);
	log_emit(LOG_CRIT, buf);
}

void
log_bug(const char *func, const char *fmt, ...)
{
	char msg[512];
	const char *abort_env;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_bugs++;
	log_crit_msg(func, msg);
	abort_env = getenv("IPVSR_BUG_ABORT");
	if (abort_env != NULL && strcmp(abort_env, "1") == 0)
		abort();
}

unsigned long
log_bug_count(void)
{
	return log_bugs;
}

bool
log_ratelimit_ok(struct log_ratelimit *rl)
{
	int64_t now;
	unsigned suppressed;

	if (rl->interval_ms <= 0 || rl->burst <= 0)
		return true;
	now = mono_ms();
	if (rl->count == 0 || now - rl->window_start >= rl->interval_ms) {
		suppressed = rl->suppressed;
		rl->window_start = now;
		rl->count = 0;
		rl->suppressed = 0;
		if (suppressed > 0)
			log_notice("%u similar messages suppressed (more than %d in %d ms)",
			    suppressed, rl->burst, rl->interval_ms);
	}
	if (rl->count >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->count++;
	return true;
}
