/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.c - FNV-1a and the open-addressing index (see hash.h).
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define FNV_PRIME 0x100000001b3ULL

uint64_t
hash_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t
hash_str(uint64_t h, const char *s)
{
	/* a marker byte first, so that NULL and "" differ */
	unsigned char m = s == NULL ? 0 : 1;

	h = hash_bytes(h, &m, 1);
	return s == NULL ? h : hash_bytes(h, s, strlen(s) + 1);
}

uint64_t
hash_int(uint64_t h, long long v)
{
	return hash_bytes(h, &v, sizeof(v));
}

uint64_t
hash_sockaddr_x(uint64_t h, const struct sockaddr_x *a)
{
	h = hash_int(h, a->af);
	h = hash_bytes(h, &a->a, a->af == AF_INET6 ? sizeof(a->a.v6) : sizeof(a->a.v4));
	return hash_int(h, a->port);
}

void
hidx_init(struct hidx *x, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	x->cap = cap;
	x->n = 0;
	x->val = xcalloc(cap, sizeof(*x->val));
	x->hash = xcalloc(cap, sizeof(*x->hash));
}

void
hidx_fini(struct hidx *x)
{
	FREE_AND_NULL(x->val);
	FREE_AND_NULL(x->hash);
	x->cap = x->n = 0;
}

void
hidx_clear(struct hidx *x)
{
	if (x->cap > 0)
		memset(x->val, 0, x->cap * sizeof(*x->val));
	x->n = 0;
}

static void
hidx_put(uintptr_t *val, uint64_t *hash, size_t cap, uint64_t h, uintptr_t v)
{
	size_t i = (size_t)h & (cap - 1);

	while (val[i] != 0)
		i = (i + 1) & (cap - 1);
	val[i] = v;
	hash[i] = h;
}

void
hidx_add(struct hidx *x, uint64_t h, uintptr_t v)
{
	if (2 * (x->n + 1) > x->cap) {
		struct hidx bigger;
		size_t i;

		hidx_init(&bigger, x->n + 1);
		for (i = 0; i < x->cap; i++)
			if (x->val[i] != 0)
				hidx_put(bigger.val, bigger.hash, bigger.cap, x->hash[i], x->val[i]);
		bigger.n = x->n;
		hidx_fini(x);
		*x = bigger;
	}
	hidx_put(x->val, x->hash, x->cap, h, v);
	x->n++;
}

uintptr_t
hidx_find(const struct hidx *x, uint64_t h,
    bool (*eq)(const void *ctx, uintptr_t v, const void *key), const void *ctx, const void *key)
{
	size_t i;

	if (x->cap == 0)
		return 0;
	for (i = (size_t)h & (x->cap - 1); x->val[i] != 0; i = (i + 1) & (x->cap - 1))
		if (x->hash[i] == h && eq(ctx, x->val[i], key))
			return x->val[i];
	return 0;
}
