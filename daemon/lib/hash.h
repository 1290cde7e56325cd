/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.h - the one hashing vocabulary: FNV-1a over bytes, strings, integers
 * and addresses, and an open-addressing index from a 64-bit hash to caller
 * values (pointers or indexes), compared by a caller's equality.
 *
 * The index holds uintptr_t values, 0 meaning an empty slot: store a pointer
 * as (uintptr_t)p, an array index as i + 1.  It grows itself at half full.
 * Items are never removed one by one: rebuild (hidx_clear + add) instead.
 */
#ifndef IPVSR_HASH_H
#define IPVSR_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define HASH_INIT 0xcbf29ce484222325ULL

uint64_t hash_bytes(uint64_t h, const void *data, size_t n);
/* NULL and "" hash differently. */
uint64_t hash_str(uint64_t h, const char *s);
uint64_t hash_int(uint64_t h, long long v);
/* Family, address and port. */
uint64_t hash_sockaddr_x(uint64_t h, const struct sockaddr_x *a);

struct hidx {
	uintptr_t *val;
	uint64_t *hash;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

/* Room for `n` values without growing.  Pair: hidx_fini. */
void hidx_init(struct hidx *x, size_t n);
void hidx_fini(struct hidx *x);
/* Forget every value, keep the room. */
void hidx_clear(struct hidx *x);
/* Add `v` (not 0) under `h`; duplicates are the caller's business. */
void hidx_add(struct hidx *x, uint64_t h, uintptr_t v);
/* The first value under `h` for which eq(ctx, value, key) holds, or 0. */
uintptr_t hidx_find(const struct hidx *x, uint64_t h,
    bool (*eq)(const void *ctx, uintptr_t v, const void *key), const void *ctx, const void *key);

#endif
