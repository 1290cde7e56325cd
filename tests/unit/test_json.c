/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for json.c (the writer behind --json) and ctl_split (request words). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.h"
#include "json.h"

static void
test_nesting_and_commas(void **state)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_string(&j, "name", "api");
	json_int(&j, "n", -3);
	json_uint(&j, "big", 18446744073709551615ULL);
	json_bool(&j, "up", true);
	json_null(&j, "none");
	json_arr_begin(&j, "servers");
	json_obj_begin(&j, NULL);
	json_string(&j, "addr", "192.0.2.1:80");
	json_obj_end(&j);
	json_obj_begin(&j, NULL);
	json_obj_end(&j);
	json_int(&j, NULL, 7);
	json_arr_end(&j);
	json_arr_begin(&j, "empty");
	json_arr_end(&j);
	json_obj_end(&j);
	assert_string_equal(json_str(&j), "{\"name\":\"api\",\"n\":-3,\"big\":18446744073709551615,"
	    "\"up\":true,\"none\":null,\"servers\":[{\"addr\":\"192.0.2.1:80\"},{},7],\"empty\":[]}");
	json_free(&j);
	json_free(&j);
}

static void
test_escaping(void **state)
{
	struct json j;

	json_init(&j);
	json_arr_begin(&j, NULL);
	json_string(&j, NULL, "q\"b\\s/\n\r\t\x01\x7f\xc3\xa9");
	json_string(&j, NULL, NULL);
	json_double(&j, NULL, 0.5);
	json_double(&j, NULL, 1.0 / 0.0);
	json_arr_end(&j);
	assert_string_equal(json_str(&j),
	    "[\"q\\\"b\\\\s/\\n\\r\\t\\u0001\\u007f\xc3\xa9\",null,0.5,null]");
	json_free(&j);
}

static void
test_key_escaping(void **state)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_int(&j, "a\"b", 1);
	json_obj_end(&j);
	assert_string_equal(json_str(&j), "{\"a\\\"b\":1}");
	json_free(&j);
}

static void
test_ctl_split(void **state)
{
	char line[] = "  show \t servers  --json ", big[200];
	char *argv[4];
	int i;

	assert_int_equal(ctl_split(line, argv, 4), 3);
	assert_string_equal(argv[0], "show");
	assert_string_equal(argv[1], "servers");
	assert_string_equal(argv[2], "--json");
	strcpy(line, "   ");
	assert_int_equal(ctl_split(line, argv, 4), 0);
	for (i = 0; i < 10; i++)
		memcpy(big + 2 * i, "w ", 2);
	big[20] = '\0';
	assert_int_equal(ctl_split(big, argv, 4), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_key_escaping),
		cmocka_unit_test(test_ctl_split),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
