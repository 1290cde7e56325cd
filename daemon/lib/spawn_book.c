/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawn_book.c - the pid and exit bookkeeping of spawn_async (see
 * spawn_book.h).  Pure: no clock, no system call.
 */
#include <stdlib.h>
#include <string.h>

#include "spawn_book.h"
#include "util.h"

static struct list_node *
spawn_book_bucket(struct spawn_book *b, pid_t pid)
{
	return &b->byp[(unsigned)pid % SPAWN_BOOK_BUCKETS];
}

void
spawn_book_init(struct spawn_book *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < SPAWN_BOOK_BUCKETS; i++)
		list_init(&b->byp[i]);
}

void
spawn_book_fini(struct spawn_book *b)
{
	free(b->early);
	b->early = NULL;
	b->nearly = b->capearly = 0;
}

uint64_t
spawn_book_submit(struct spawn_book *b)
{
	b->inflight++;
	return b->seq;
}

/* Nothing in flight: no early exit can be claimed any more. */
static void
spawn_book_prune(struct spawn_book *b)
{
	if (b->inflight == 0)
		b->nearly = 0;
}

bool
spawn_book_started(
    struct spawn_book *b, struct spawn_book_entry *e, pid_t pid, uint64_t mark, int *status)
{
	size_t i;
	bool reaped = false;

	if (b->inflight > 0)
		b->inflight--;
	list_init(&e->link);
	e->pid = pid;
	if (pid > 0) {
		for (i = 0; i < b->nearly; i++)
			if (b->early[i].pid == pid && b->early[i].seq > mark)
				break;
		if (i < b->nearly) {
			*status = b->early[i].status;
			memmove(&b->early[i], &b->early[i + 1],
			    (b->nearly - i - 1) * sizeof(b->early[0]));
			b->nearly--;
			reaped = true;
		} else {
			list_append(spawn_book_bucket(b, pid), &e->link);
		}
	}
	spawn_book_prune(b);
	return reaped;
}

struct spawn_book_entry *
spawn_book_exited(struct spawn_book *b, pid_t pid, int status)
{
	struct spawn_book_entry *e;

	b->seq++;
	list_for_each_entry(e, spawn_book_bucket(b, pid), link) {
		if (e->pid == pid) {
			list_remove(&e->link);
			return e;
		}
	}
	if (b->inflight == 0)
		return NULL; /* not a child of ours, or one given up: nobody will ask */
	if (b->nearly == b->capearly) {
		b->capearly = b->capearly ? b->capearly * 2 : 16;
		b->early = xreallocarray(b->early, b->capearly, sizeof(*b->early));
	}
	b->early[b->nearly].pid = pid;
	b->early[b->nearly].status = status;
	b->early[b->nearly].seq = b->seq;
	b->nearly++;
	return NULL;
}

void
spawn_book_forget(struct spawn_book_entry *e)
{
	if (e != NULL && list_linked(&e->link))
		list_remove(&e->link);
}

struct spawn_book_entry *
spawn_book_any(const struct spawn_book *b)
{
	size_t i;

	for (i = 0; i < SPAWN_BOOK_BUCKETS; i++)
		if (!list_empty(&b->byp[i]))
			return list_first_entry(&b->byp[i], struct spawn_book_entry, link);
	return NULL;
}
