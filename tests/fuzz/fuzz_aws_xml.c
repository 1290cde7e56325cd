/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: EC2 Query API responses (aws_xml.c, expat).  Oracle: the
 * summary is consistent whatever the input - counts within their arrays,
 * every string NUL-terminated inside its buffer, <return> one of -1/0/1 -
 * and a failed parse leaves nothing behind.
 */
#include <stdlib.h>
#include <string.h>

#include "aws_xml.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void
terminated(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct aws_ec2_reply r;
	size_t i, j;
	int rc;

	rc = aws_ec2_reply_parse((const char *)data, size, &r, NULL, 0);
	if (r.ret < -1 || r.ret > 1 || r.naddrs > AWS_XML_MAX_ADDRS || r.nenis > AWS_XML_MAX_ENIS)
		abort();
	terminated(r.root, sizeof(r.root));
	terminated(r.code, sizeof(r.code));
	terminated(r.message, sizeof(r.message));
	terminated(r.request_id, sizeof(r.request_id));
	terminated(r.association_id, sizeof(r.association_id));
	for (i = 0; i < r.naddrs; i++) {
		terminated(r.addrs[i].allocation_id, sizeof(r.addrs[i].allocation_id));
		terminated(r.addrs[i].network_interface_id, sizeof(r.addrs[i].network_interface_id));
		terminated(r.addrs[i].private_ip, sizeof(r.addrs[i].private_ip));
		if (aws_ec2_find_address(&r, r.addrs[i].allocation_id) == NULL)
			abort();
	}
	for (i = 0; i < r.nenis; i++) {
		if (r.enis[i].nips > AWS_XML_MAX_IPS || r.enis[i].source_dest_check < -1 ||
		    r.enis[i].source_dest_check > 1)
			abort();
		for (j = 0; j < r.enis[i].nips; j++)
			terminated(r.enis[i].private_ips[j], sizeof(r.enis[i].private_ips[j]));
	}
	if (rc < 0 && (r.naddrs != 0 || r.nenis != 0 || r.error || r.ret != -1))
		abort();
	return 0;
}
