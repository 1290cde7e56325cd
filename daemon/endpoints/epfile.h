/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epfile.h - follow endpoint files with inotify (edge).
 *
 * Each watched file has a key (the pool's name).  The watch is on the
 * file's directory, so every way of replacing a file is seen without
 * polling: an atomic rename into place (IN_MOVED_TO, the recommended way),
 * an in-place rewrite (IN_CLOSE_WRITE: we read after the writer closes, so
 * a half-written file is never read mid-write), truncate-then-write (the
 * same), and delete / re-create (IN_DELETE, IN_MOVED_FROM, then the above).
 * Bursts coalesce: a file is re-read at most once per loop iteration, after
 * the last event of the iteration, so the final state always wins.
 *
 * What is read is parsed (epfile_parse.h) and handed to the callback; the
 * caller applies its safety rails and decides whether to use it.
 */
#ifndef IPVSR_EPFILE_H
#define IPVSR_EPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "epfile_parse.h"

/* Largest endpoint file read (about 100,000 endpoints of typical length). */
#define EPFILE_MAX_BYTES	(8 * 1024 * 1024)

enum epfile_status {
	EPFILE_OK,		/* set holds the parsed endpoints */
	EPFILE_MISSING,		/* the file does not exist (set is empty) */
	EPFILE_INVALID,		/* errors holds every problem; set is empty */
	EPFILE_UNREADABLE,	/* errors holds the reason (permissions, too large, ...) */
};

/*
 * Called on the loop thread with a fresh reading of `key`'s file.  `set`
 * and `errors` belong to the watcher and are valid during the call only
 * (copy the set with epset_copy to keep it).  `since_us` is when the
 * earliest event behind this reading was noticed, on the mono_us() clock:
 * the wake-up of the loop iteration that read it from inotify (inotify
 * events carry no time of their own), the earliest of several coalesced
 * ones; 0 when no event asked for the reading (epfile_watch_add, or
 * epfile_watch_reread with none pending).
 */
typedef void epfile_cb(void *arg, const char *key, const char *path, int64_t since_us,
    enum epfile_status status, const struct epset *set, const struct errlist *errors);

struct epfile_watch;

/* Create a watcher on the daemon's loop.  NULL with errno set on failure (no inotify). */
struct epfile_watch *epfile_watch_new(epfile_cb *cb, void *arg);

/*
 * Follow `path` under `key` (replacing an earlier path of the same key).
 * The file is read at once and reported before this returns, so the caller
 * has its first state synchronously.  Returns 0 or a negative errno (the
 * path is not absolute, inotify has no watches left); a missing directory is
 * not an error: it is retried every EPFILE_RETRY_MS until it appears.
 */
#define EPFILE_RETRY_MS		2000
int epfile_watch_add(struct epfile_watch *w, const char *key, const char *path);

/* Stop following `key`; unknown keys are ignored. */
void epfile_watch_remove(struct epfile_watch *w, const char *key);

/* Read and report `key` again now (e.g. after a reload).  -ENOENT if unknown. */
int epfile_watch_reread(struct epfile_watch *w, const char *key);

/* Stop everything and free.  NULL-safe. */
void epfile_watch_free(struct epfile_watch *w);

#endif
