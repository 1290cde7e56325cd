/* SPDX-License-Identifier: Apache-2.0 */
/*
 * list.h - the one intrusive doubly linked list (Linux's list_head shape).
 *
 * Embed a struct list_node in the element; a struct list_node head is the
 * list.  An empty list's head points at itself, so insertion and removal
 * never test for NULL, and removal is O(1) from the element alone.
 *
 *   struct job { struct list_node link; ... };
 *   struct list_node q = LIST_INIT(q);      or list_init(&q)
 *   list_append(&q, &j->link);              FIFO: append, take the first
 *   struct job *j = list_first_entry(&q, struct job, link);
 *   list_for_each_entry_safe(j, tmp, &q, link) list_remove(&j->link);
 */
#ifndef IPVSR_LIST_H
#define IPVSR_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct list_node {
	struct list_node *prev, *next;
};

#define LIST_INIT(name) { &(name), &(name) }

static inline void
list_init(struct list_node *h)
{
	h->prev = h->next = h;
}

static inline bool
list_empty(const struct list_node *h)
{
	return h->next == h;
}

/* Whether `n` is on a list (it was initialised or removed with list_remove). */
static inline bool
list_linked(const struct list_node *n)
{
	return n->next != NULL && n->next != n;
}

static inline void
list_insert_between(struct list_node *n, struct list_node *prev, struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* At the end (FIFO order). */
static inline void
list_append(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h->prev, h);
}

/* At the front. */
static inline void
list_prepend(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h, h->next);
}

/* Unlink `n`; it reads as not linked afterwards.  Safe to call twice. */
static inline void
list_remove(struct list_node *n)
{
	if (n->next == NULL || n->next == n)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline size_t
list_length(const struct list_node *h)
{
	const struct list_node *n;
	size_t k = 0;

	for (n = h->next; n != h; n = n->next)
		k++;
	return k;
}

#define list_entry(node, type, member) container_of(node, type, member)
/* NULL when the list is empty. */
#define list_first_entry(h, type, member) \
	(list_empty(h) ? NULL : list_entry((h)->next, type, member))

#define list_for_each_entry(pos, h, member)                                          \
	for ((pos) = list_entry((h)->next, __typeof__(*(pos)), member);                \
	     &(pos)->member != (h);                                                    \
	     (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

/* The current element may be removed (and freed) in the body. */
#define list_for_each_entry_safe(pos, tmp, h, member)                                \
	for ((pos) = list_entry((h)->next, __typeof__(*(pos)), member),                \
	    (tmp) = list_entry((pos)->member.next, __typeof__(*(pos)), member);        \
	     &(pos)->member != (h);                                                    \
	     (pos) = (tmp), (tmp) = list_entry((tmp)->member.next, __typeof__(*(pos)), member))

#endif
