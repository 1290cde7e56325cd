/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c - allocation, addresses, clocks and error lists.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void oom(size_t n) __attribute__((noreturn));

static void
oom(size_t n)
{
	fprintf(stderr, "ipvs-router: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		oom(strlen(s) + 1);
	return d;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom(strlen(fmt));
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* ------------------------------------------------------------ addresses */

int
sockaddr_x_parse(const char *s, bool allow_port, struct sockaddr_x *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *end;
	struct sockaddr_x sa;
	size_t len;
	long long p;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return -EINVAL;
		len = (size_t)(end - s - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -EINVAL;
		if (len == 0 || len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, &sa.a.v6) != 1)
			return -EINVAL;
		sa.af = AF_INET6;
	} else if (strchr(s, ':') != NULL && strchr(s, ':') == strrchr(s, ':')) {
		/* exactly one colon: IPv4 with a port */
		end = strchr(s, ':');
		len = (size_t)(end - s);
		if (len == 0 || len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, len);
		host[len] = '\0';
		if (inet_pton(AF_INET, host, &sa.a.v4) != 1)
			return -EINVAL;
		sa.af = AF_INET;
		port = end + 1;
	} else if (inet_pton(AF_INET, s, &sa.a.v4) == 1) {
		sa.af = AF_INET;
	} else if (inet_pton(AF_INET6, s, &sa.a.v6) == 1) {
		sa.af = AF_INET6;
	} else {
		return -EINVAL;
	}
	if (port != NULL) {
		if (!allow_port || parse_int(port, 1, 65535, &p) < 0)
			return -EINVAL;
		sa.port = (uint16_t)p;
	}
	*out = sa;
	return 0;
}

char *
sockaddr_x_fmt_addr(const struct sockaddr_x *sa, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (sa->af == AF_INET)
		inet_ntop(AF_INET, &sa->a.v4, buf, (socklen_t)len);
	else if (sa->af == AF_INET6)
		inet_ntop(AF_INET6, &sa->a.v6, buf, (socklen_t)len);
	else
		snprintf(buf, len, "(none)");
	return buf;
}

char *
sockaddr_x_fmt(const struct sockaddr_x *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	sockaddr_x_fmt_addr(sa, a, sizeof(a));
	if (sa->port == 0)
		snprintf(buf, len, "%s", a);
	else if (sa->af == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, sa->port);
	else
		snprintf(buf, len, "%s:%u", a, sa->port);
	return buf;
}

int
sockaddr_x_cmp_addr(const struct sockaddr_x *a, const struct sockaddr_x *b)
{
	int r;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	if (a->af == AF_INET)
		r = memcmp(&a->a.v4, &b->a.v4, sizeof(a->a.v4));
	else if (a->af == AF_INET6)
		r = memcmp(&a->a.v6, &b->a.v6, sizeof(a->a.v6));
	else
		r = 0;
	return r < 0 ? -1 : r > 0;
}

int
sockaddr_x_cmp(const struct sockaddr_x *a, const struct sockaddr_x *b)
{
	int r = sockaddr_x_cmp_addr(a, b);

	if (r != 0)
		return r;
	return a->port < b->port ? -1 : a->port > b->port;
}

socklen_t
sockaddr_x_to_sa(const struct sockaddr_x *sa, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (sa->af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_addr = sa->a.v4;
		in->sin_port = htons(sa->port);
		return sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = sa->a.v6;
		in6->sin6_port = htons(sa->port);
		return sizeof(*in6);
	}
}

int
sockaddr_x_from_sa(const struct sockaddr *s, struct sockaddr_x *out)
{
	memset(out, 0, sizeof(*out));
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)s;

		out->af = AF_INET;
		out->a.v4 = in->sin_addr;
		out->port = ntohs(in->sin_port);
		return 0;
	}
	if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)s;

		out->af = AF_INET6;
		out->a.v6 = in6->sin6_addr;
		out->port = ntohs(in6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* ------------------------------------------------------------ time */

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_ms(void)
{
	return mono_us() / 1000;
}

int64_t
jitter(int64_t base, int pct)
{
	static uint64_t state;
	int64_t span;

	if (pct <= 0 || base <= 0)
		return base;
	if (state == 0)
		state = (uint64_t)mono_us() | 1;
	/* xorshift64: cheap, good enough to spread timers */
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	span = base * pct / 100;
	if (span == 0)
		return base;
	return base - span + (int64_t)(state % (uint64_t)(2 * span + 1));
}

/* ------------------------------------------------------------ parsing */

int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

bool
name_valid(const char *s)
{
	size_t i;

	if (s == NULL || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 63)
			return false;
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ errlist */

void
errlist_init(struct errlist *el)
{
	memset(el, 0, sizeof(*el));
}

void
errlist_clear(struct errlist *el)
{
	size_t i;

	if (el == NULL)
		return;
	for (i = 0; i < el->n; i++)
		free(el->msgs[i]);
	free(el->msgs);
	errlist_init(el);
}

void
errlist_add(struct errlist *el, const char *file, int line, const char *path,
    const char *fmt, ...)
{
	char *msg, *full;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		full = xasprintf("%s:%d: %s%s%s", file, line, path ? path : "",
		    path ? ": " : "", msg);
	else if (file != NULL)
		full = xasprintf("%s: %s%s%s", file, path ? path : "", path ? ": " : "", msg);
	else
		full = xasprintf("%s%s%s", path ? path : "", path ? ": " : "", msg);
	free(msg);
	if (el->n == el->cap) {
		el->cap = el->cap ? el->cap * 2 : 8;
		el->msgs = xreallocarray(el->msgs, el->cap, sizeof(*el->msgs));
	}
	el->msgs[el->n++] = full;
}

/* ------------------------------------------------------------ buf */

void
tbuf_init(struct tbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
tbuf_free(struct tbuf *b)
{
	if (b == NULL)
		return;
	free(b->s);
	tbuf_init(b);
}

static void
tbuf_reserve(struct tbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	while (b->len + extra + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 256;
	b->s = xrealloc(b->s, b->cap);
}

void
tbuf_append(struct tbuf *b, const char *s, size_t len)
{
	tbuf_reserve(b, len);
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
tbuf_puts(struct tbuf *b, const char *s)
{
	tbuf_append(b, s, strlen(s));
}

void
tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0) {
		tbuf_reserve(b, (size_t)n);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
		b->len += (size_t)n;
	}
	va_end(ap2);
}

char *
tbuf_steal(struct tbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	tbuf_init(b);
	return s;
}

bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* ------------------------------------------------------------ state files */

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

const char *
state_dir(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("IPVSR_STATE_DIR");
	size_t n;

	if (e != NULL && *e != '\0')
		return e;
	e = getenv("STATE_DIRECTORY");
	if (e != NULL && *e == '/') {
		n = strcspn(e, ":");
		if (n < sizeof(buf)) {
			memcpy(buf, e, n);
			buf[n] = '\0';
			return buf;
		}
	}
	return LOCALSTATEDIR "/lib/ipvs-router";
}

int
file_replace(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp", path), *dir = xstrdup(path), *slash;
	int fd = -1, dfd, r = 0;
	ssize_t w;
	size_t off = 0;

	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (*dir != '\0' && mkdir(dir, 0755) != 0 && errno != EEXIST) {
			r = -errno;
			goto out;
		}
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		r = -errno;
		goto out;
	}
	r = close(fd) != 0 ? -errno : 0;
	fd = -1;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r == 0 && slash != NULL) {
		dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		(void)unlink(tmp);
	free(tmp);
	free(dir);
	return r;
}

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	buf = xmalloc(max + 1);
	for (;;) {
		got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			r = -EFBIG;
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

uint64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
