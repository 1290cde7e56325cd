/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib's shared vocabulary: list.h, hash.h, str_eq, BUG()
 * and the object loggers (log_vip, log_pool, log_server).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hash.h"
#include "list.h"
#include "log.h"
#include "util.h"

struct job {
	int id;
	struct list_node link;
};

static void
test_list_fifo(void **state)
{
	struct list_node q = LIST_INIT(q);
	struct job j[5], *p, *tmp;
	int i, want = 0;

	(void)state;
	assert_true(list_empty(&q));
	assert_null(list_first_entry(&q, struct job, link));
	for (i = 0; i < 5; i++) {
		j[i].id = i;
		list_init(&j[i].link);
		assert_false(list_linked(&j[i].link));
		list_append(&q, &j[i].link);
		assert_true(list_linked(&j[i].link));
	}
	assert_int_equal(list_length(&q), 5);
	list_for_each_entry(p, &q, link)
		assert_int_equal(p->id, want++);
	/* remove from the middle, twice (idempotent), then the head */
	list_remove(&j[2].link);
	list_remove(&j[2].link);
	assert_false(list_linked(&j[2].link));
	assert_int_equal(list_length(&q), 4);
	p = list_first_entry(&q, struct job, link);
	assert_int_equal(p->id, 0);
	list_remove(&p->link);
	/* removing while iterating */
	want = 0;
	list_for_each_entry_safe(p, tmp, &q, link) {
		list_remove(&p->link);
		want++;
	}
	assert_int_equal(want, 3);
	assert_true(list_empty(&q));
	list_prepend(&q, &j[4].link);
	list_prepend(&q, &j[3].link);
	assert_int_equal(list_first_entry(&q, struct job, link)->id, 3);
}

static bool
idx_eq(const void *ctx, uintptr_t v, const void *key)
{
	const int *vals = ctx;

	return vals[v - 1] == *(const int *)key;
}

static void
test_hidx_grows_and_finds(void **state)
{
	enum { N = 1000 };
	static int vals[N];
	struct hidx x;
	int i, miss = -1;

	(void)state;
	hidx_init(&x, 4); /* far too small: must grow */
	for (i = 0; i < N; i++) {
		vals[i] = i * 7919;
		hidx_add(&x, hash_int(HASH_INIT, vals[i]), (uintptr_t)i + 1);
	}
	assert_int_equal(x.n, N);
	assert_true(x.cap >= 2 * N);
	for (i = 0; i < N; i++)
		assert_int_equal(hidx_find(&x, hash_int(HASH_INIT, vals[i]), idx_eq, vals, &vals[i]),
		    (uintptr_t)i + 1);
	assert_int_equal(hidx_find(&x, hash_int(HASH_INIT, miss), idx_eq, vals, &miss), 0);
	/* every value hashed alike: found by equality, not by the hash alone */
	hidx_clear(&x);
	for (i = 0; i < 50; i++)
		hidx_add(&x, 42, (uintptr_t)i + 1);
	for (i = 0; i < 50; i++)
		assert_int_equal(hidx_find(&x, 42, idx_eq, vals, &vals[i]), (uintptr_t)i + 1);
	hidx_fini(&x);
	hidx_fini(&x); /* NULL-safe twice */
	assert_int_equal(hidx_find(&x, 42, idx_eq, vals, &vals[0]), 0);
}

static void
test_hash_values(void **state)
{
	struct sockaddr_x a, b;

	(void)state;
	assert_int_not_equal(hash_str(HASH_INIT, NULL), hash_str(HASH_INIT, ""));
	assert_int_equal(hash_str(HASH_INIT, "api"), hash_str(HASH_INIT, "api"));
	assert_int_not_equal(hash_str(HASH_INIT, "api"), hash_str(HASH_INIT, "apj"));
	assert_int_equal(sockaddr_x_parse("192.0.2.1:80", true, &a), 0);
	assert_int_equal(sockaddr_x_parse("192.0.2.1:81", true, &b), 0);
	assert_int_not_equal(hash_sockaddr_x(HASH_INIT, &a), hash_sockaddr_x(HASH_INIT, &b));
	b.port = a.port;
	assert_int_equal(hash_sockaddr_x(HASH_INIT, &a), hash_sockaddr_x(HASH_INIT, &b));
}

static void
test_str_eq(void **state)
{
	(void)state;
	assert_true(str_eq(NULL, NULL));
	assert_false(str_eq(NULL, ""));
	assert_false(str_eq("", NULL));
	assert_true(str_eq("a", "a"));
	assert_false(str_eq("a", "b"));
}

/* Run fn with stderr captured; return what it wrote (static buffer). */
static const char *
captured(void (*fn)(void))
{
	static char buf[2048];
	int saved = dup(STDERR_FILENO), fd;
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	fd = fileno(f);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
log_some_objects(void)
{
	struct sockaddr_x a;

	sockaddr_x_parse("10.0.2.21:443", true, &a);
	log_vip(LOG_NOTICE, "web", "BACKUP -> MASTER (%s)", "master down");
	log_pool(LOG_WARNING, "api", "%u of %u servers up", 1u, 3u);
	log_server(LOG_INFO, "api", &a, "http check failed, up -> down");
	log_vip_err(LOG_WARNING, -ENODEV, "web", "cannot add address");
	log_server(LOG_DEBUG, "api", &a, "filtered by the level");
}

static void
test_object_loggers(void **state)
{
	const char *out;

	(void)state;
	log_init("test", true, LOG_INFO, LOG_DAEMON);
	out = captured(log_some_objects);
	assert_non_null(strstr(out, "vip web: BACKUP -> MASTER (master down)\n"));
	assert_non_null(strstr(out, "pool api: 1 of 3 servers up\n"));
	assert_non_null(strstr(out, "pool api server 10.0.2.21:443: http check failed, up -> down\n"));
	assert_non_null(strstr(out, "vip web: cannot add address: No such device\n"));
	assert_null(strstr(out, "filtered"));
}

static void
bug_once(void)
{
	BUG("pool %s: counts desynchronized", "api");
}

static void
test_bug_counts_and_logs(void **state)
{
	unsigned long before = log_bug_count();
	const char *out;

	(void)state;
	log_init("test", true, LOG_ERR, LOG_DAEMON); /* BUG is never filtered */
	unsetenv("IPVSR_BUG_ABORT");
	out = captured(bug_once);
	assert_int_equal(log_bug_count(), before + 1);
	assert_non_null(strstr(out, "critical: BUG: bug_once: pool api: counts desynchronized\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_fifo),
		cmocka_unit_test(test_hidx_grows_and_finds),
		cmocka_unit_test(test_hash_values),
		cmocka_unit_test(test_str_eq),
		cmocka_unit_test(test_object_loggers),
		cmocka_unit_test(test_bug_counts_and_logs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
