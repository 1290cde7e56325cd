/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h - allocation that cannot fail, addresses, clocks, error lists.
 * Base layer: used by every module, depends on nothing but libc.
 */
#ifndef IPVSR_UTIL_H
#define IPVSR_UTIL_H

#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define UNUSED		__attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Allocation: abort with a message on OOM, so callers never check. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);		/* NULL in, NULL out */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);

/* Free *p and set it to NULL. */
#define FREE_AND_NULL(p) do { free(p); (p) = NULL; } while (0)

/* The struct of type `type` whose member `member` is at `ptr`. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Strings equal, NULL equal only to NULL. */
bool str_eq(const char *a, const char *b);

/*
 * An IPv4 or IPv6 address with a port, in the form every module passes
 * around.  `af` is AF_INET or AF_INET6 (0 = unset).  Port in host order.
 */
struct sockaddr_x {
	int af;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	uint16_t port;
};

/* Longest text form: "[v6]:port" */
#define SOCKADDR_X_STRLEN	(INET6_ADDRSTRLEN + 8)

/*
 * Parse "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT".  A bare IPv6 address
 * without brackets is accepted when allow_port is false.  Returns 0 or
 * -EINVAL; *out untouched on error.
 */
int sockaddr_x_parse(const char *s, bool allow_port, struct sockaddr_x *out);

/* Format as "1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]:80"
 * (the port only when non-zero).  Returns buf. */
char *sockaddr_x_fmt(const struct sockaddr_x *sa, char *buf, size_t len);

/* Format the address part only, no port, no brackets. */
char *sockaddr_x_fmt_addr(const struct sockaddr_x *sa, char *buf, size_t len);

/* Total order: family, then address bytes, then port. */
int sockaddr_x_cmp(const struct sockaddr_x *a, const struct sockaddr_x *b);
/* Same, ignoring the port. */
int sockaddr_x_cmp_addr(const struct sockaddr_x *a, const struct sockaddr_x *b);

/* Convert to a struct sockaddr_storage; returns the length to pass to connect() etc. */
socklen_t sockaddr_x_to_sa(const struct sockaddr_x *sa, struct sockaddr_storage *ss);
/* Convert from a struct sockaddr; -EAFNOSUPPORT for other families. */
int sockaddr_x_from_sa(const struct sockaddr *s, struct sockaddr_x *out);

/*
 * The daemon's state directory: $IPVSR_STATE_DIR, else systemd's
 * $STATE_DIRECTORY (StateDirectory=; its first entry), else
 * LOCALSTATEDIR/lib/ipvs-router.  The string is static.
 */
const char *state_dir(void);

/*
 * Replace the file at `path` with `len` bytes of `data`, atomically: PATH.tmp
 * is written and fsync'd, renamed over `path`, and the directory fsync'd; a
 * crash leaves the old content or the new one, never a mix.  Mode 0644
 * (less the umask).  The directory is created (0755) if missing.  0, or a
 * negative errno (the temporary file removed).  Blocks for the fsyncs:
 * callers write only on an operator's or a peer's change.
 */
int file_replace(const char *path, const char *data, size_t len);

/*
 * Read a whole regular file of at most `max` bytes: 0 with *out (NUL-
 * terminated, caller frees) and *len; -ENOENT, -EFBIG, or another negative
 * errno.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/* Wall clock, microseconds since the Unix epoch. */
uint64_t wall_us(void);

/* Monotonic clock in milliseconds / microseconds. */
int64_t mono_ms(void);
int64_t mono_us(void);

/* A value in [base - base*pct/100, base + base*pct/100], from a cheap PRNG. */
int64_t jitter(int64_t base, int pct);

/* Parse a decimal integer in [min, max]; 0 or -EINVAL / -ERANGE. */
int parse_int(const char *s, long long min, long long max, long long *out);

/* true when s is a valid object name (router, VIP, pool): [A-Za-z0-9][A-Za-z0-9._-]* */
bool name_valid(const char *s);

/*
 * A list of diagnostics, one line each: "FILE:LINE: PATH: message".
 * Collected by the loader and the validator so that every problem is
 * reported at once.
 */
struct errlist {
	char **msgs;
	size_t n, cap;
};

void errlist_init(struct errlist *el);
void errlist_clear(struct errlist *el);
/* Append a message; file may be NULL, line <= 0 omits the line, path may be NULL. */
void errlist_add(struct errlist *el, const char *file, int line, const char *path,
    const char *fmt, ...) PRINTF_LIKE(5, 6);

/*
 * A growable text buffer.  Never fails (aborts on OOM); buf.s is always
 * NUL-terminated once anything was appended (NULL before).
 */
struct tbuf {
	char *s;
	size_t len, cap;
};

void tbuf_init(struct tbuf *b);
void tbuf_free(struct tbuf *b);				/* NULL-safe; leaves it empty */
void tbuf_append(struct tbuf *b, const char *s, size_t len);
void tbuf_puts(struct tbuf *b, const char *s);
void tbuf_printf(struct tbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Take the string (caller frees); the buffer is left empty. */
char *tbuf_steal(struct tbuf *b);

#endif
