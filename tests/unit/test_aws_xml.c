/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for aws_xml.c: EC2 Query responses as EC2 (and botocore's
 * examples, and moto) write them, error documents, proxies' HTML pages, and
 * hostile inputs (DOCTYPE, entity bombs, deep nesting, huge fields).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws_xml.h"
#include "util.h"

#define NS "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static int
parse(const char *s, struct aws_ec2_reply *r, char *err, size_t errlen)
{
	return aws_ec2_reply_parse(s, strlen(s), r, err, errlen);
}

static void
test_associate(void **state)
{
	static const char body[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<AssociateAddressResponse " NS ">\n"
	    "  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n"
	    "  <return>true</return>\n"
	    "  <associationId>eipassoc-fc5ca095</associationId>\n"
	    "</AssociateAddressResponse>\n";
	struct aws_ec2_reply *r = malloc(sizeof(*r));
	char err[128];

	assert_int_equal(parse(body, r, err, sizeof(err)), 0);
	assert_string_equal(r->root, "AssociateAddressResponse");
	assert_string_equal(r->request_id, "59dbff89-35bd-4eac-99ed-be587EXAMPLE");
	assert_int_equal(r->ret, 1);
	assert_string_equal(r->association_id, "eipassoc-fc5ca095");
	assert_false(r->error);
	assert_int_equal(r->naddrs, 0);

	/* a namespace prefix, element order changed, <return>false</return> */
	assert_int_equal(parse("<e:ModifyNetworkInterfaceAttributeResponse "
			       "xmlns:e=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
			       "<e:return>false</e:return><e:requestId>r1</e:requestId>"
			       "</e:ModifyNetworkInterfaceAttributeResponse>",
			     r, err, sizeof(err)),
	    0);
	assert_string_equal(r->root, "ModifyNetworkInterfaceAttributeResponse");
	assert_int_equal(r->ret, 0);
	assert_string_equal(r->request_id, "r1");
	free(r);
}

static void
test_describe_addresses(void **state)
{
	static const char body[] =
	    "<DescribeAddressesResponse " NS ">\n"
	    " <requestId>f7de5e98-491a-4c19-a92d-908d6EXAMPLE</requestId>\n"
	    " <addressesSet>\n"
	    "  <item>\n"
	    "   <publicIp>203.0.113.10</publicIp>\n"
	    "   <allocationId>eipalloc-0a1b2c3d4e5f60001</allocationId>\n"
	    "   <domain>vpc</domain>\n"
	    "   <instanceId>i-1234567890abcdef0</instanceId>\n"
	    "   <associationId>eipassoc-12345678</associationId>\n"
	    "   <networkInterfaceId>eni-12345678</networkInterfaceId>\n"
	    "   <networkInterfaceOwnerId>123456789012</networkInterfaceOwnerId>\n"
	    "   <privateIpAddress>10.0.1.50</privateIpAddress>\n"
	    "   <tagSet><item><key>Name</key><value>web-a</value></item></tagSet>\n"
	    "   <networkBorderGroup>eu-west-1</networkBorderGroup>\n"
	    "  </item>\n"
	    "  <item>\n"
	    "   <publicIp>203.0.113.11</publicIp>\n"
	    "   <allocationId>eipalloc-0a1b2c3d4e5f60002</allocationId>\n"
	    "   <domain>vpc</domain>\n"
	    "   <associationId/>\n"
	    "  </item>\n"
	    " </addressesSet>\n"
	    "</DescribeAddressesResponse>\n";
	struct aws_ec2_reply *r = malloc(sizeof(*r));
	const struct aws_ec2_address *a;

	assert_int_equal(parse(body, r, NULL, 0), 0);
	assert_int_equal(r->naddrs, 2);
	a = aws_ec2_find_address(r, "eipalloc-0a1b2c3d4e5f60001");
	assert_non_null(a);
	assert_string_equal(a->public_ip, "203.0.113.10");
	assert_string_equal(a->association_id, "eipassoc-12345678");
	assert_string_equal(a->network_interface_id, "eni-12345678");
	assert_string_equal(a->private_ip, "10.0.1.50");
	assert_string_equal(a->instance_id, "i-1234567890abcdef0");
	a = aws_ec2_find_address(r, "eipalloc-0a1b2c3d4e5f60002");
	assert_non_null(a);
	assert_string_equal(a->association_id, "");
	assert_string_equal(a->network_interface_id, "");
	assert_null(aws_ec2_find_address(r, "eipalloc-99"));
	/* the tagSet's nested <item> did not count as an address */
	assert_int_equal(r->ret, -1);

	/* an empty set */
	assert_int_equal(parse("<DescribeAddressesResponse><requestId>x</requestId><addressesSet/>"
			       "</DescribeAddressesResponse>",
			     r, NULL, 0),
	    0);
	assert_int_equal(r->naddrs, 0);
	free(r);
}

static void
test_describe_enis(void **state)
{
	static const char body[] =
	    "<DescribeNetworkInterfacesResponse " NS ">"
	    "<requestId>r</requestId>"
	    "<networkInterfaceSet><item>"
	    "<networkInterfaceId>eni-0aaa</networkInterfaceId>"
	    "<subnetId>subnet-1</subnetId>"
	    "<sourceDestCheck>false</sourceDestCheck>"
	    "<privateIpAddress>10.0.1.10</privateIpAddress>"
	    "<privateIpAddressesSet>"
	    "<item><privateIpAddress>10.0.1.10</privateIpAddress><primary>true</primary></item>"
	    "<item><privateIpAddress>10.0.1.60</privateIpAddress><primary>false</primary></item>"
	    "</privateIpAddressesSet>"
	    "</item></networkInterfaceSet>"
	    "</DescribeNetworkInterfacesResponse>";
	struct aws_ec2_reply *r = malloc(sizeof(*r));

	assert_int_equal(parse(body, r, NULL, 0), 0);
	assert_int_equal(r->nenis, 1);
	assert_string_equal(r->enis[0].id, "eni-0aaa");
	assert_int_equal(r->enis[0].source_dest_check, 0);
	assert_int_equal(r->enis[0].nips, 2);
	assert_string_equal(r->enis[0].private_ips[0], "10.0.1.10");
	assert_string_equal(r->enis[0].private_ips[1], "10.0.1.60");
	assert_int_equal(r->enis[1].source_dest_check, -1);
	free(r);
}

/* An ENI's groups, and DescribeSecurityGroups' ingress rules (the egress ones skipped),
 * as the EC2 API documents the shapes (groupSet; ipPermissions/ipRanges/groups). */
static void
test_security_groups(void **state)
{
	static const char eni[] =
	    "<DescribeNetworkInterfacesResponse " NS "><networkInterfaceSet><item>"
	    "<networkInterfaceId>eni-0aaa</networkInterfaceId>"
	    "<groupSet><item><groupId>sg-01</groupId><groupName>routers</groupName></item>"
	    "<item><groupId>sg-02</groupId><groupName>ssh</groupName></item></groupSet>"
	    "</item></networkInterfaceSet></DescribeNetworkInterfacesResponse>";
	static const char sgs[] =
	    "<DescribeSecurityGroupsResponse " NS "><requestId>r</requestId>"
	    "<securityGroupInfo><item><ownerId>1</ownerId><groupId>sg-01</groupId>"
	    "<groupName>routers</groupName>"
	    "<ipPermissions>"
	    "<item><ipProtocol>112</ipProtocol>"
	    "<groups><item><userId>1</userId><groupId>sg-01</groupId></item></groups>"
	    "<ipRanges><item><cidrIp>10.0.0.0/16</cidrIp><description>vpc</description></item>"
	    "<item><cidrIp>192.0.2.12/32</cidrIp></item></ipRanges>"
	    "<ipv6Ranges/></item>"
	    "<item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort>"
	    "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
	    "</ipPermissions>"
	    "<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol>"
	    "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
	    "</ipPermissionsEgress></item>"
	    "<item><groupId>sg-02</groupId><ipPermissions/></item>"
	    "</securityGroupInfo></DescribeSecurityGroupsResponse>";
	struct aws_ec2_reply *r = malloc(sizeof(*r));

	(void)state;
	assert_int_equal(parse(eni, r, NULL, 0), 0);
	assert_int_equal(r->enis[0].ngroups, 2);
	assert_string_equal(r->enis[0].groups[0], "sg-01");
	assert_string_equal(r->enis[0].groups[1], "sg-02");
	assert_int_equal(parse(sgs, r, NULL, 0), 0);
	assert_int_equal(r->nsgs, 2);
	assert_string_equal(r->sgs[0].id, "sg-01");
	assert_int_equal(r->sgs[0].nperms, 2); /* the egress rule is not among them */
	assert_string_equal(r->sgs[0].perms[0].proto, "112");
	assert_int_equal(r->sgs[0].perms[0].ncidrs, 2);
	assert_string_equal(r->sgs[0].perms[0].cidrs[0], "10.0.0.0/16");
	assert_string_equal(r->sgs[0].perms[0].cidrs[1], "192.0.2.12/32");
	assert_int_equal(r->sgs[0].perms[0].ngroups, 1);
	assert_string_equal(r->sgs[0].perms[0].groups[0], "sg-01");
	assert_string_equal(r->sgs[0].perms[1].proto, "tcp");
	assert_int_equal(r->sgs[0].perms[1].ngroups, 0);
	assert_string_equal(r->sgs[1].id, "sg-02");
	assert_int_equal(r->sgs[1].nperms, 0);
	free(r);
}

struct err_case {
	const char *body;
	const char *code;
	const char *message;
	const char *request_id;
};

static void
test_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
		  "<Code>InvalidAllocationID.NotFound</Code>"
		  "<Message>The allocation ID 'eipalloc-1' does not exist</Message>"
		  "</Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID>"
		  "</Response>",
		    "InvalidAllocationID.NotFound", "The allocation ID 'eipalloc-1' does not exist",
		    "ea966190-f9aa-478e-9ede-example" },
		/* entities and CDATA decoded; two errors: the first one counts */
		{ "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are "
		  "not authorized &amp; &lt;denied&gt; &#x41;<![CDATA[<raw>]]></Message></Error>"
		  "<Error><Code>Second</Code><Message>m2</Message></Error></Errors></Response>",
		    "UnauthorizedOperation", "You are not authorized & <denied> A<raw>", "" },
		/* the other Query services' shape */
		{ "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
		  "<Message>Rate exceeded</Message></Error><RequestId>r9</RequestId>"
		  "</ErrorResponse>",
		    "Throttling", "Rate exceeded", "r9" },
		/* a comment and a processing instruction are skipped */
		{ "<!-- c --><?pi x?><Response><Errors><Error><Message>late code</Message>"
		  "<!-- c --><Code>RequestLimitExceeded</Code></Error></Errors></Response>",
		    "RequestLimitExceeded", "late code", "" },
	};
	struct aws_ec2_reply *r = malloc(sizeof(*r));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(parse(cases[i].body, r, NULL, 0), 0);
		assert_true(r->error);
		assert_string_equal(r->code, cases[i].code);
		assert_string_equal(r->message, cases[i].message);
		assert_string_equal(r->request_id, cases[i].request_id);
	}
	free(r);
}

static void
test_long_text(void **state)
{
	struct aws_ec2_reply *r = malloc(sizeof(*r));
	char *body, *msg;
	size_t n = 10000;

	/* a long message is truncated with "...", never overflows */
	msg = malloc(n + 1);
	memset(msg, 'm', n);
	msg[n] = '\0';
	body = malloc(n + 200);
	snprintf(body, n + 200, "<Response><Errors><Error><Code>X</Code><Message>%s</Message>"
				"</Error></Errors></Response>", msg);
	assert_int_equal(parse(body, r, NULL, 0), 0);
	assert_int_equal(strlen(r->message), sizeof(r->message) - 1);
	assert_string_equal(r->message + sizeof(r->message) - 4, "...");

	/* an id field that cannot be an id is refused */
	snprintf(body, n + 200, "<AssociateAddressResponse><associationId>%s</associationId>"
				"</AssociateAddressResponse>", msg);
	assert_int_equal(parse(body, r, NULL, 0), -EBADMSG);
	assert_int_equal(r->ret, -1);
	free(body);
	free(msg);
	free(r);
}

struct bad_case {
	const char *body;
	int rc;
	const char *err;
};

static void
test_hostile(void **state)
{
	static const struct bad_case cases[] = {
		{ "", -EBADMSG, "not XML" },
		{ "<html><body><h1>502 Bad Gateway</h1><hr></body>", -EBADMSG, "not XML" },
		{ "502 Bad Gateway", -EBADMSG, "not XML" },
		{ "<a><b></a>", -EBADMSG, "not XML" },
		{ "<a/><b/>", -EBADMSG, "not XML" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
		  "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><Response>&lol2;"
		  "</Response>",
		    -EBADMSG, "DOCTYPE" },
		{ "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>", -EBADMSG, "DOCTYPE" },
		{ "<r>&undefined;</r>", -EBADMSG, "not XML" },
		{ "<AssociateAddressResponse><associationId>a</associationId>\x01"
		  "</AssociateAddressResponse>",
		    -EBADMSG, "not XML" },
	};
	struct aws_ec2_reply *r = malloc(sizeof(*r));
	char err[128], *deep, *many;
	size_t i, n;
	int rc;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		rc = parse(cases[i].body, r, err, sizeof(err));
		if (rc != cases[i].rc || strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: rc %d err '%s'", i, rc, err);
		assert_int_equal(r->ret, -1);
		assert_false(r->error);
	}

	/* nesting */
	deep = malloc(40 * 7 + 1);
	deep[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(deep, "<a>");
	for (i = 0; i < 40; i++)
		strcat(deep, "</a>");
	assert_int_equal(parse(deep, r, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "deep"));
	free(deep);

	/* more addresses than we hold */
	n = 64 * (AWS_XML_MAX_ADDRS + 2) + 200;
	many = malloc(n);
	strcpy(many, "<DescribeAddressesResponse><addressesSet>");
	for (i = 0; i < AWS_XML_MAX_ADDRS + 1; i++)
		strcat(many, "<item><allocationId>eipalloc-1</allocationId></item>");
	strcat(many, "</addressesSet></DescribeAddressesResponse>");
	assert_int_equal(parse(many, r, err, sizeof(err)), -E2BIG);
	assert_int_equal(r->naddrs, 0);
	free(many);

	/* over the size limit, without reading it */
	assert_int_equal(aws_ec2_reply_parse("<a/>", AWS_XML_BODY_MAX + 1, r, err, sizeof(err)),
	    -E2BIG);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_associate),
		cmocka_unit_test(test_describe_addresses),
		cmocka_unit_test(test_describe_enis),
		cmocka_unit_test(test_security_groups),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests_name("aws_xml", tests, NULL, NULL);
}
