/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_xml.h - what the daemon needs out of an EC2 Query API response.
 *
 * Core module: bytes in, a fixed-size summary out.  Parsing uses expat (the
 * parser botocore's own XML parsing sits on, through Python's ElementTree),
 * because the bodies come from the network and XML has enough corners
 * (entities, CDATA, comments, namespaces, encodings) that a hand-written
 * scanner would get one of them wrong.  Elements are matched by local
 * name (namespace prefixes dropped) and position, never by order; unknown
 * elements are skipped; a DOCTYPE is refused outright, so no entity can be
 * declared and expanded.
 *
 * Shapes understood (EC2 API 2016-11-15):
 *   <XResponse><requestId/><return/><associationId/>...</XResponse>
 *   DescribeAddressesResponse/addressesSet/item/{allocationId, associationId,
 *       networkInterfaceId, privateIpAddress, publicIp, instanceId}
 *   DescribeNetworkInterfacesResponse/networkInterfaceSet/item/
 *       {networkInterfaceId, sourceDestCheck, privateIpAddressesSet/item/privateIpAddress,
 *        groupSet/item/groupId}
 *   DescribeSecurityGroupsResponse/securityGroupInfo/item/{groupId,
 *       ipPermissions/item/{ipProtocol, ipRanges/item/cidrIp, groups/item/groupId}}
 *       (ingress rules only: ipPermissionsEgress is skipped)
 *   <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *   (and <ErrorResponse><Error>... of the other Query services)
 */
#ifndef IPVSR_AWS_XML_H
#define IPVSR_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

#define AWS_XML_BODY_MAX  (1024 * 1024)
#define AWS_XML_MAX_ADDRS 16
#define AWS_XML_MAX_ENIS  8
#define AWS_XML_MAX_IPS	  16
#define AWS_XML_MAX_GROUPS 8  /* security groups of an ENI, groups in an answer */
#define AWS_XML_MAX_PERMS  16 /* ingress rules of a group */
#define AWS_XML_MAX_CIDRS  8  /* ranges, and source groups, of a rule */
#define AWS_XML_ID	  64 /* id fields, NUL included */
#define AWS_XML_IP	  46

struct aws_ec2_address {
	char allocation_id[AWS_XML_ID];
	char association_id[AWS_XML_ID]; /* "" when not associated */
	char network_interface_id[AWS_XML_ID];
	char private_ip[AWS_XML_IP];
	char public_ip[AWS_XML_IP];
	char instance_id[AWS_XML_ID];
};

struct aws_ec2_eni {
	char id[AWS_XML_ID];
	char private_ips[AWS_XML_MAX_IPS][AWS_XML_IP];
	size_t nips;
	int source_dest_check; /* -1 not given, 0, 1 */
	char groups[AWS_XML_MAX_GROUPS][AWS_XML_ID]; /* its security groups */
	size_t ngroups;
};

/* One ingress rule of a security group. */
struct aws_ec2_perm {
	char proto[16];				/* "112", "-1" (all), "tcp", ... */
	char cidrs[AWS_XML_MAX_CIDRS][AWS_XML_IP + 4]; /* "10.0.0.0/16" */
	size_t ncidrs;
	char groups[AWS_XML_MAX_CIDRS][AWS_XML_ID];	/* source groups */
	size_t ngroups;
};

struct aws_ec2_sg {
	char id[AWS_XML_ID];
	struct aws_ec2_perm perms[AWS_XML_MAX_PERMS];
	size_t nperms;
};

struct aws_ec2_reply {
	char root[64]; /* "AssociateAddressResponse", "Response" */
	char request_id[96];
	bool error;			 /* an <Error> was present */
	char code[128];			 /* of the first error */
	char message[512];		 /* of the first error, truncated with "..." */
	int ret;			 /* <return>: -1 absent, 0 false, 1 true */
	char association_id[AWS_XML_ID]; /* AssociateAddress */
	struct aws_ec2_address addrs[AWS_XML_MAX_ADDRS];
	size_t naddrs;
	struct aws_ec2_eni enis[AWS_XML_MAX_ENIS];
	size_t nenis;
	struct aws_ec2_sg sgs[AWS_XML_MAX_GROUPS]; /* DescribeSecurityGroups */
	size_t nsgs;
};

/*
 * Parse one response body.  Returns 0 with *out filled, or:
 *   -EBADMSG  not well-formed XML, a DOCTYPE, or an id/address field longer
 *             than its buffer (no real id is)
 *   -E2BIG    over AWS_XML_BODY_MAX bytes, nesting deeper than 32, more
 *             items than the arrays hold
 * *out is zeroed first (ret = -1, source_dest_check = -1), so on error the
 * caller can still tell "no answer".  err (may be NULL) gets a short reason.
 */
int aws_ec2_reply_parse(
    const char *body, size_t len, struct aws_ec2_reply *out, char *err, size_t errlen);

/* The address entry for allocation_id in a DescribeAddresses reply; NULL if absent. */
const struct aws_ec2_address *aws_ec2_find_address(
    const struct aws_ec2_reply *r, const char *allocation_id);

#endif
