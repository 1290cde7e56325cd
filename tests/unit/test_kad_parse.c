/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for import/kad_parse.c: keepalived.conf into a tree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kad.h"
#include "util.h"

/* files from memory: {path, text} pairs, NULL-terminated */
static const char *const *mem_files;

static int
mem_load(void *arg, const char *path, char **text)
{
	(void)arg;
	for (size_t i = 0; mem_files[i] != NULL; i += 2)
		if (strcmp(mem_files[i], path) == 0) {
			*text = xstrdup(mem_files[i + 1]);
			return 0;
		}
	return -ENOENT;
}

/* a glob of the form DIR/PREFIX* or an exact path */
static int
mem_glob(void *arg, const char *pattern, char ***paths, size_t *n)
{
	size_t plen = strcspn(pattern, "*");

	(void)arg;
	*paths = NULL;
	*n = 0;
	for (size_t i = 0; mem_files[i] != NULL; i += 2)
		if (pattern[plen] == '*' ? strncmp(mem_files[i], pattern, plen) == 0 :
		    strcmp(mem_files[i], pattern) == 0) {
			*paths = xreallocarray(*paths, *n + 1, sizeof(**paths));
			(*paths)[(*n)++] = xstrdup(mem_files[i]);
		}
	return 0;
}

static const struct kad_io io = {mem_load, mem_glob, NULL};

static void
test_shapes(void **state)
{
	static const char *const files[] = {
	    "/etc/keepalived/keepalived.conf",
	    "! Configuration File for keepalived\n"
	    "global_defs {\n"
	    "   router_id LB1   # this router\n"
	    "}\n"
	    "vrrp_instance VI_1\n"
	    "{\n"
	    "    state MASTER\n"
	    "    unicast_peer { 10.0.0.2 10.0.0.3 }\n"
	    "    authentication {\n"
	    "        auth_type PASS\n"
	    "        auth_pass se#cret\n"
	    "    }\n"
	    "    virtual_ipaddress {\n"
	    "        192.168.1.100/24 dev eth0 label eth0:1\n"
	    "        192.168.1.101/24\n"
	    "    }\n"
	    "    notify_master \"/usr/local/bin/notify.sh master now\"\n"
	    "}\n"
	    "include conf.d/*.conf\n",
	    "/etc/keepalived/conf.d/web.conf",
	    "virtual_server 192.168.1.100 80 {\n"
	    "    lb_algo wrr\n"
	    "    real_server 10.0.1.11 80 {\n"
	    "        weight 2\n"
	    "        HTTP_GET{\n"
	    "            url { path /health\n status_code 200 }\n"
	    "        }\n"
	    "    }\n"
	    "}\n",
	    NULL,
	};
	struct kad_doc d;
	struct errlist el;
	const struct kad_node *vi, *n, *vs, *rs, *hg, *url;

	(void)state;
	mem_files = files;
	errlist_init(&el);
	assert_int_equal(kad_parse("/etc/keepalived/keepalived.conf", &io, &d, &el), 0);
	for (size_t i = 0; i < el.n; i++)
		fprintf(stderr, "%s\n", el.msgs[i]);
	assert_int_equal(el.n, 0);
	assert_int_equal(d.nfiles, 2);
	assert_int_equal(d.root.nkids, 3);
	assert_string_equal(kad_arg(kad_find(&d.root, "global_defs"), "router_id"), "LB1");
	vi = kad_find(&d.root, "vrrp_instance");
	assert_non_null(vi);
	assert_true(vi->block);
	assert_string_equal(vi->args[0], "VI_1");
	assert_int_equal(vi->line, 5);
	n = kad_find(vi, "unicast_peer");
	assert_true(n->block);
	assert_int_equal(n->nkids, 1); /* one statement: "10.0.0.2 10.0.0.3" */
	assert_string_equal(n->kids[0].word, "10.0.0.2");
	assert_string_equal(n->kids[0].args[0], "10.0.0.3");
	assert_string_equal(kad_arg(kad_find(vi, "authentication"), "auth_pass"), "se#cret");
	n = kad_find(vi, "virtual_ipaddress");
	assert_int_equal(n->nkids, 2);
	assert_string_equal(n->kids[0].word, "192.168.1.100/24");
	assert_int_equal(n->kids[0].nargs, 4);
	assert_string_equal(kad_arg(vi, "notify_master"), "/usr/local/bin/notify.sh master now");
	/* the include spliced at top level, its lines its own */
	vs = kad_find(&d.root, "virtual_server");
	assert_non_null(vs);
	assert_string_equal(vs->file, "/etc/keepalived/conf.d/web.conf");
	assert_int_equal(vs->line, 1);
	assert_string_equal(vs->args[1], "80");
	rs = kad_find(vs, "real_server");
	assert_string_equal(kad_arg(rs, "weight"), "2");
	hg = kad_find(rs, "HTTP_GET"); /* the brace glued to the word */
	assert_non_null(hg);
	url = kad_find(hg, "url");
	assert_string_equal(kad_arg(url, "path"), "/health");
	assert_string_equal(kad_arg(url, "status_code"), "200");
	assert_int_equal(kad_find(url, "status_code")->line, 7);
	kad_doc_free(&d);
	errlist_clear(&el);
}

static void
test_errors(void **state)
{
	static const char *const files[] = {
	    "/k/a.conf", "vrrp_instance X {\n state MASTER\n", /* not closed */
	    "/k/b.conf", "}\ninclude missing/*.conf\n", /* a stray }, nothing to include */
	    "/k/d.conf", "x 1\ninclude d.conf\n", /* includes itself */
	    "/k/c.conf", "auth_pass \"open\n",
	    NULL,
	};
	struct kad_doc d;
	struct errlist el;

	(void)state;
	mem_files = files;
	errlist_init(&el);
	assert_int_equal(kad_parse("/k/a.conf", &io, &d, &el), -EINVAL);
	assert_int_equal(el.n, 1);
	assert_non_null(strstr(el.msgs[0], "/k/a.conf:1: vrrp_instance: its block is not closed by the end of /k/a.conf"));
	kad_doc_free(&d);
	errlist_clear(&el);

	errlist_init(&el);
	assert_int_equal(kad_parse("/k/b.conf", &io, &d, &el), -EINVAL);
	assert_non_null(strstr(el.msgs[0], "/k/b.conf:1: a \"}\" with no block open"));
	assert_non_null(strstr(el.msgs[1], "/k/b.conf:2: include missing/*.conf: no file matches"));
	kad_doc_free(&d);
	errlist_clear(&el);

	errlist_init(&el);
	assert_int_equal(kad_parse("/k/d.conf", &io, &d, &el), 0);
	assert_int_equal(el.n, 1);
	assert_non_null(strstr(el.msgs[0], "/k/d.conf:2: include /k/d.conf: included too deep"));
	assert_int_equal(d.root.nkids, KAD_INCLUDE_DEPTH + 1); /* "x 1" from each level */
	kad_doc_free(&d);
	errlist_clear(&el);

	errlist_init(&el);
	assert_int_equal(kad_parse("/k/c.conf", &io, &d, &el), 0);
	assert_non_null(strstr(el.msgs[0], "/k/c.conf:1: unterminated quote"));
	assert_string_equal(kad_arg(&d.root, "auth_pass"), "open");
	kad_doc_free(&d);
	errlist_clear(&el);

	errlist_init(&el);
	assert_int_equal(kad_parse("/k/none.conf", &io, &d, &el), -EINVAL);
	kad_doc_free(&d);
	kad_doc_free(NULL);
	errlist_clear(&el);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shapes),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
