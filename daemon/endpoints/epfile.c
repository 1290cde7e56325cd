/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epfile.c - follow endpoint files with inotify on the libev loop.
 *
 * We watch directories, not files: a file replaced by rename is a new inode,
 * and a watch on the old one would go quiet.  Events only mark entries dirty;
 * one deferred flush per loop iteration re-reads them, which coalesces a burst
 * of writes into one reading of the final content.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "epfile.h"
#include "log.h"
#include "loop.h"

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct epdir {
	char *path;		/* NULL: free slot */
	int wd;			/* -1: directory missing, retried by the timer */
	unsigned refs;
};

struct epentry {
	char *key;
	char *path;
	char *base;		/* file name within the directory */
	size_t dir;		/* index into dirs */
	bool dirty;
	bool reported_missing_dir;
	int64_t since_us;	/* dirty since (the earliest event's wake-up), 0 clean */
};

struct epfile_watch {
	int fd;
	ev_io io;
	ev_timer retry;
	epfile_cb *cb;
	void *arg;
	struct epentry *e;
	size_t n, cap;
	struct epdir *dirs;
	size_t ndirs;
};

static void	on_inotify(struct ev_loop *, ev_io *, int);
static void	on_retry(struct ev_loop *, ev_timer *, int);
static void	flush(void *);
static void	read_and_report(struct epfile_watch *, struct epentry *);
static int	dir_ref(struct epfile_watch *, const char *, size_t *);
static void	dir_unref(struct epfile_watch *, size_t);
static void	dir_watch(struct epfile_watch *, struct epdir *);

struct epfile_watch *
epfile_watch_new(epfile_cb *cb, void *arg)
{
	struct epfile_watch *w;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev_io_init(&w->io, on_inotify, fd, EV_READ);
	w->io.data = w;
	ev_io_start(loop_ev(), &w->io);
	ev_timer_init(&w->retry, on_retry, EPFILE_RETRY_MS / 1000.0, EPFILE_RETRY_MS / 1000.0);
	w->retry.data = w;
	return w;
}

void
epfile_watch_free(struct epfile_watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	loop_defer_cancel(flush, w);
	ev_io_stop(loop_ev(), &w->io);
	ev_timer_stop(loop_ev(), &w->retry);
	close(w->fd);
	for (i = 0; i < w->n; i++) {
		free(w->e[i].key);
		free(w->e[i].path);
		free(w->e[i].base);
	}
	free(w->e);
	for (i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	free(w);
}

static struct epentry *
entry_find(struct epfile_watch *w, const char *key)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->e[i].key, key) == 0)
			return &w->e[i];
	return NULL;
}

static void
dir_watch(struct epfile_watch *w, struct epdir *d)
{
	d->wd = inotify_add_watch(w->fd, d->path, DIR_EVENTS);
	if (d->wd < 0 && !ev_is_active(&w->retry))
		ev_timer_again(loop_ev(), &w->retry);
}

/* Reference (creating if needed) the watch on `path`; *idx receives its slot. */
static int
dir_ref(struct epfile_watch *w, const char *path, size_t *idx)
{
	size_t i, free_slot = w->ndirs;

	for (i = 0; i < w->ndirs; i++) {
		if (w->dirs[i].path == NULL) {
			free_slot = i;
			continue;
		}
		if (strcmp(w->dirs[i].path, path) == 0) {
			w->dirs[i].refs++;
			*idx = i;
			return 0;
		}
	}
	if (free_slot == w->ndirs) {
		w->dirs = xreallocarray(w->dirs, w->ndirs + 1, sizeof(*w->dirs));
		w->ndirs++;
	}
	w->dirs[free_slot].path = xstrdup(path);
	w->dirs[free_slot].refs = 1;
	dir_watch(w, &w->dirs[free_slot]);
	if (w->dirs[free_slot].wd < 0 && errno == ENOSPC) {
		/* out of inotify watches: a limit, not a missing directory */
		free(w->dirs[free_slot].path);
		w->dirs[free_slot].path = NULL;
		return -ENOSPC;
	}
	*idx = free_slot;
	return 0;
}

static void
dir_unref(struct epfile_watch *w, size_t idx)
{
	struct epdir *d = &w->dirs[idx];

	if (--d->refs > 0)
		return;
	if (d->wd >= 0)
		inotify_rm_watch(w->fd, d->wd);
	free(d->path);
	d->path = NULL;
	d->wd = -1;
}

int
epfile_watch_add(struct epfile_watch *w, const char *key, const char *path)
{
	struct epentry *e;
	char *dir, *slash;
	size_t idx;
	int r;

	if (path == NULL || path[0] != '/' || path[strlen(path) - 1] == '/')
		return -EINVAL;
	epfile_watch_remove(w, key);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';	/* a file in / */
	else
		*slash = '\0';
	r = dir_ref(w, dir, &idx);
	free(dir);
	if (r < 0)
		return r;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->e = xreallocarray(w->e, w->cap, sizeof(*w->e));
	}
	e = &w->e[w->n++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	e->path = xstrdup(path);
	e->base = xstrdup(strrchr(path, '/') + 1);
	e->dir = idx;
	read_and_report(w, e);
	return 0;
}

void
epfile_watch_remove(struct epfile_watch *w, const char *key)
{
	struct epentry *e = entry_find(w, key);
	size_t i;

	if (e == NULL)
		return;
	i = (size_t)(e - w->e);
	dir_unref(w, e->dir);
	free(e->key);
	free(e->path);
	free(e->base);
	memmove(&w->e[i], &w->e[i + 1], (w->n - i - 1) * sizeof(*w->e));
	w->n--;
}

int
epfile_watch_reread(struct epfile_watch *w, const char *key)
{
	struct epentry *e = entry_find(w, key);

	if (e == NULL)
		return -ENOENT;
	read_and_report(w, e);
	return 0;
}

/* ------------------------------------------------------------ events */

static void
mark(struct epentry *e, int64_t t)
{
	e->dirty = true;
	if (e->since_us == 0 || t < e->since_us)
		e->since_us = t;
}

static void
mark_dir(struct epfile_watch *w, size_t dir, const char *name, int64_t t)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (w->e[i].dir != dir)
			continue;
		/*
		 * name NULL: the whole directory changed.  A name starting with ".."
		 * is how Kubernetes swaps a ConfigMap/projected volume (our file is a
		 * symlink through "..data", replaced by rename): re-read them all.
		 */
		if (name == NULL || strncmp(name, "..", 2) == 0 || strcmp(name, w->e[i].base) == 0)
			mark(&w->e[i], t);
	}
}

static void
on_inotify(struct ev_loop *loop, ev_io *io, int revents)
{
	struct epfile_watch *w = io->data;
	char buf[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	int64_t t = loop_wake_us();	/* the earliest we know the events were there */
	bool any = false;
	ssize_t n;
	size_t i;

	for (;;) {
		char *p;

		n = read(w->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warnx("endpoint files: inotify queue overflow, re-reading all");
				for (i = 0; i < w->n; i++)
					mark(&w->e[i], t);
				any = true;
				continue;
			}
			for (i = 0; i < w->ndirs; i++) {
				struct epdir *d = &w->dirs[i];

				if (d->path == NULL || d->wd != ev->wd)
					continue;
				if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
					/* the directory itself went away: files are missing now,
					 * and the timer watches for its return */
					if (d->wd >= 0 && !(ev->mask & IN_IGNORED))
						inotify_rm_watch(w->fd, d->wd);
					d->wd = -1;
					mark_dir(w, i, NULL, t);
					ev_timer_again(loop, &w->retry);
				} else {
					mark_dir(w, i, ev->len ? ev->name : NULL, t);
				}
				any = true;
			}
		}
	}
	if (any)
		loop_defer(flush, w);
}

static void
on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct epfile_watch *w = t->data;
	bool pending = false;
	size_t i;

	for (i = 0; i < w->ndirs; i++) {
		struct epdir *d = &w->dirs[i];

		if (d->path == NULL || d->wd >= 0)
			continue;
		d->wd = inotify_add_watch(w->fd, d->path, DIR_EVENTS);
		if (d->wd >= 0) {
			log_info("endpoint files: directory %s is back, watching it", d->path);
			mark_dir(w, i, NULL, loop_wake_us());
			loop_defer(flush, w);
		} else {
			pending = true;
		}
	}
	if (!pending)
		ev_timer_stop(loop, t);
}

static void
flush(void *arg)
{
	struct epfile_watch *w = arg;
	size_t i;

	/* The callback may add or remove entries; walk by index, and if one was
	 * skipped because the array moved under us, come back next iteration. */
	for (i = 0; i < w->n; i++) {
		if (!w->e[i].dirty)
			continue;
		w->e[i].dirty = false;
		read_and_report(w, &w->e[i]);
	}
	for (i = 0; i < w->n; i++)
		if (w->e[i].dirty) {
			loop_defer(flush, w);
			break;
		}
}

/* ------------------------------------------------------------ reading */

static void
read_and_report(struct epfile_watch *w, struct epentry *e)
{
	struct errlist el;
	struct epset set = { NULL, 0 };
	enum epfile_status st;
	struct stat sb;
	char *buf = NULL, *key = xstrdup(e->key), *path = xstrdup(e->path);
	int64_t since = e->since_us;
	size_t len = 0;
	ssize_t r;
	int fd;

	errlist_init(&el);
	e->since_us = 0;	/* this reading answers every event so far */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			st = EPFILE_MISSING;
		} else {
			errlist_add(&el, path, 0, NULL, "cannot open: %s", strerror(errno));
			st = EPFILE_UNREADABLE;
		}
		goto report;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		errlist_add(&el, path, 0, NULL, "not a regular file");
		st = EPFILE_UNREADABLE;
		goto report;
	}
	if (sb.st_size > EPFILE_MAX_BYTES) {
		errlist_add(&el, path, 0, NULL, "larger than %d bytes", EPFILE_MAX_BYTES);
		st = EPFILE_UNREADABLE;
		goto report;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	/* read what is there now; a file that grew meanwhile is re-read on its next event */
	while (len < (size_t)sb.st_size) {
		r = read(fd, buf + len, (size_t)sb.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errlist_add(&el, path, 0, NULL, "read failed: %s", strerror(errno));
			st = EPFILE_UNREADABLE;
			goto report;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	st = epfile_parse(buf, len, path, &set, &el) == 0 ? EPFILE_OK : EPFILE_INVALID;

report:
	if (fd >= 0)
		close(fd);
	free(buf);
	w->cb(w->arg, key, path, since, st, &set, &el);
	epset_free(&set);
	errlist_clear(&el);
	free(key);
	free(path);
}
