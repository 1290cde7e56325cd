/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_xml.c - EC2 Query API responses through expat, into a fixed summary.
 *
 * The handlers keep a stack of local element names and the text of the
 * current element (bounded); a leaf's text is assigned when it ends, by its
 * path.  Any limit crossed stops the parser at once.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "aws_xml.h"

#define DEPTH_MAX 32
#define NAME_MAX_ 64
#define TEXT_MAX  4096

struct px {
	XML_Parser xp;
	struct aws_ec2_reply *out;
	char names[DEPTH_MAX][NAME_MAX_];
	int depth;
	char text[TEXT_MAX + 1];
	size_t tlen;
	bool toverflow;
	int err;
	const char *why;
};

static void axml_fail(struct px *x, int err, const char *why);
static bool at(const struct px *x, int depth, const char *const *path);
static void trimmed(const struct px *x, const char **s, size_t *n);
static void set_field(struct px *x, char *dst, size_t size);
static void set_text(struct px *x, char *dst, size_t size);
static void XMLCALL on_start(void *arg, const XML_Char *name, const XML_Char **attrs);
static void XMLCALL on_end(void *arg, const XML_Char *name);
static void XMLCALL on_text(void *arg, const XML_Char *s, int len);
static void XMLCALL on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset);
static void XMLCALL on_entity(void *arg, const XML_Char *name, int is_param, const XML_Char *value,
    int value_len, const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
    const XML_Char *notation);

static const char *const P_ADDR[] = {"DescribeAddressesResponse", "addressesSet", "item", NULL};
static const char *const P_ENI[] = {
    "DescribeNetworkInterfacesResponse", "networkInterfaceSet", "item", NULL};
static const char *const P_ENI_IP[] = {"DescribeNetworkInterfacesResponse", "networkInterfaceSet",
    "item", "privateIpAddressesSet", "item", NULL};
static const char *const P_ENI_SG[] = {"DescribeNetworkInterfacesResponse", "networkInterfaceSet",
    "item", "groupSet", "item", NULL};
static const char *const P_SG[] = {"DescribeSecurityGroupsResponse", "securityGroupInfo", "item",
    NULL};
static const char *const P_SG_PERM[] = {"DescribeSecurityGroupsResponse", "securityGroupInfo",
    "item", "ipPermissions", "item", NULL};
static const char *const P_SG_RANGE[] = {"DescribeSecurityGroupsResponse", "securityGroupInfo",
    "item", "ipPermissions", "item", "ipRanges", "item", NULL};
static const char *const P_SG_SRC[] = {"DescribeSecurityGroupsResponse", "securityGroupInfo",
    "item", "ipPermissions", "item", "groups", "item", NULL};

static void
axml_fail(struct px *x, int err, const char *why)
{
	if (x->err == 0) {
		x->err = err;
		x->why = why;
	}
	XML_StopParser(x->xp, XML_FALSE);
}

/* The element at `depth` (1 = root) has the ancestors `path` (root first,
 * path[depth-1] being the element itself). */
static bool
at(const struct px *x, int depth, const char *const *path)
{
	int i;

	for (i = 0; i < depth; i++)
		if (path[i] == NULL || strcmp(x->names[i], path[i]) != 0)
			return false;
	return path[depth] == NULL;
}

static void
trimmed(const struct px *x, const char **s, size_t *n)
{
	const char *p = x->text;
	size_t l = x->tlen;

	while (l > 0 && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
		p++;
		l--;
	}
	while (
	    l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\n' || p[l - 1] == '\r'))
		l--;
	*s = p;
	*n = l;
}

/* An id or address: must fit whole. */
static void
set_field(struct px *x, char *dst, size_t size)
{
	const char *s;
	size_t n;

	trimmed(x, &s, &n);
	if (x->toverflow || n >= size) {
		axml_fail(x, -EBADMSG, "field too long");
		return;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Free text (messages, request ids): truncated with "..." when too long. */
static void
set_text(struct px *x, char *dst, size_t size)
{
	const char *s;
	size_t n;

	trimmed(x, &s, &n);
	if (n < size && !x->toverflow) {
		memcpy(dst, s, n);
		dst[n] = '\0';
		return;
	}
	if (n > size - 4)
		n = size - 4;
	memcpy(dst, s, n);
	memcpy(dst + n, "...", 4);
}

static void XMLCALL
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
    int has_internal_subset)
{
	axml_fail(arg, -EBADMSG, "DOCTYPE not allowed");
}

static void XMLCALL
on_entity(void *arg, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
    const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	axml_fail(arg, -EBADMSG, "entity declarations not allowed");
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct px *x = arg;
	struct aws_ec2_reply *r = x->out;
	const char *local = strrchr(name, ':');

	local = local != NULL ? local + 1 : name;
	if (x->depth >= DEPTH_MAX) {
		axml_fail(x, -E2BIG, "nested too deep");
		return;
	}
	snprintf(x->names[x->depth], NAME_MAX_, "%s", local);
	x->depth++;
	x->tlen = 0;
	x->text[0] = '\0';
	x->toverflow = false;

	if (x->depth == 1)
		snprintf(r->root, sizeof(r->root), "%s", local);
	if (strcmp(local, "Error") == 0 && x->depth <= 4)
		r->error = true;
	if (at(x, x->depth, P_ADDR)) {
		if (r->naddrs == AWS_XML_MAX_ADDRS) {
			axml_fail(x, -E2BIG, "too many addresses");
			return;
		}
		r->naddrs++;
	} else if (at(x, x->depth, P_ENI)) {
		if (r->nenis == AWS_XML_MAX_ENIS) {
			axml_fail(x, -E2BIG, "too many network interfaces");
			return;
		}
		r->nenis++;
		r->enis[r->nenis - 1].source_dest_check = -1;
	} else if (at(x, x->depth, P_SG)) {
		if (r->nsgs == AWS_XML_MAX_GROUPS) {
			axml_fail(x, -E2BIG, "too many security groups");
			return;
		}
		r->nsgs++;
	} else if (at(x, x->depth, P_SG_PERM)) {
		struct aws_ec2_sg *g = &r->sgs[r->nsgs - 1];

		if (g->nperms == AWS_XML_MAX_PERMS) {
			axml_fail(x, -E2BIG, "too many rules in a security group");
			return;
		}
		g->nperms++;
	}
}

static void XMLCALL
on_text(void *arg, const XML_Char *s, int len)
{
	struct px *x = arg;
	size_t n = (size_t)len;

	if (x->tlen + n > TEXT_MAX) {
		x->toverflow = true;
		n = TEXT_MAX - x->tlen;
	}
	memcpy(x->text + x->tlen, s, n);
	x->tlen += n;
	x->text[x->tlen] = '\0';
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
	struct px *x = arg;
	struct aws_ec2_reply *r = x->out;
	const char *leaf = x->names[x->depth - 1];
	const char *parent = x->depth >= 2 ? x->names[x->depth - 2] : "";
	struct aws_ec2_address *a;
	struct aws_ec2_eni *e;
	const char *s;
	size_t n;

	if (x->depth == 2 && (strcmp(leaf, "requestId") == 0 || strcmp(leaf, "RequestID") == 0 ||
				 strcmp(leaf, "RequestId") == 0)) {
		set_text(x, r->request_id, sizeof(r->request_id));
	} else if (x->depth == 2 && strcmp(leaf, "return") == 0) {
		trimmed(x, &s, &n);
		r->ret = n == 4 && memcmp(s, "true", 4) == 0 ? 1 : 0;
	} else if (x->depth == 2 && strcmp(leaf, "associationId") == 0) {
		set_field(x, r->association_id, sizeof(r->association_id));
	} else if (strcmp(parent, "Error") == 0 && x->depth <= 5 && r->error) {
		if (strcmp(leaf, "Code") == 0 && r->code[0] == '\0')
			set_text(x, r->code, sizeof(r->code));
		else if (strcmp(leaf, "Message") == 0 && r->message[0] == '\0')
			set_text(x, r->message, sizeof(r->message));
	} else if (x->depth == 4 && at(x, 3, P_ADDR)) {
		a = &r->addrs[r->naddrs - 1];
		if (strcmp(leaf, "allocationId") == 0)
			set_field(x, a->allocation_id, sizeof(a->allocation_id));
		else if (strcmp(leaf, "associationId") == 0)
			set_field(x, a->association_id, sizeof(a->association_id));
		else if (strcmp(leaf, "networkInterfaceId") == 0)
			set_field(x, a->network_interface_id, sizeof(a->network_interface_id));
		else if (strcmp(leaf, "privateIpAddress") == 0)
			set_field(x, a->private_ip, sizeof(a->private_ip));
		else if (strcmp(leaf, "publicIp") == 0)
			set_field(x, a->public_ip, sizeof(a->public_ip));
		else if (strcmp(leaf, "instanceId") == 0)
			set_field(x, a->instance_id, sizeof(a->instance_id));
	} else if (x->depth == 4 && at(x, 3, P_ENI)) {
		e = &r->enis[r->nenis - 1];
		if (strcmp(leaf, "networkInterfaceId") == 0) {
			set_field(x, e->id, sizeof(e->id));
		} else if (strcmp(leaf, "sourceDestCheck") == 0) {
			trimmed(x, &s, &n);
			e->source_dest_check = n == 4 && memcmp(s, "true", 4) == 0 ? 1 : 0;
		}
	} else if (x->depth == 6 && at(x, 5, P_ENI_SG) && strcmp(leaf, "groupId") == 0) {
		e = &r->enis[r->nenis - 1];
		if (e->ngroups == AWS_XML_MAX_GROUPS) {
			axml_fail(x, -E2BIG, "too many security groups");
		} else {
			set_field(x, e->groups[e->ngroups], sizeof(e->groups[0]));
			e->ngroups++;
		}
	} else if (x->depth == 4 && at(x, 3, P_SG) && strcmp(leaf, "groupId") == 0) {
		set_field(x, r->sgs[r->nsgs - 1].id, sizeof(r->sgs[0].id));
	} else if (x->depth == 6 && at(x, 5, P_SG_PERM) && strcmp(leaf, "ipProtocol") == 0) {
		struct aws_ec2_sg *g = &r->sgs[r->nsgs - 1];

		set_field(x, g->perms[g->nperms - 1].proto, sizeof(g->perms[0].proto));
	} else if (x->depth == 8 && (at(x, 7, P_SG_RANGE) || at(x, 7, P_SG_SRC))) {
		struct aws_ec2_sg *g = &r->sgs[r->nsgs - 1];
		struct aws_ec2_perm *pm = &g->perms[g->nperms - 1];
		bool range = at(x, 7, P_SG_RANGE);
		size_t *k = range ? &pm->ncidrs : &pm->ngroups;

		if (range ? strcmp(leaf, "cidrIp") != 0 : strcmp(leaf, "groupId") != 0) {
			/* another field of the range / source group: not needed */
		} else if (*k == AWS_XML_MAX_CIDRS) {
			axml_fail(x, -E2BIG, "too many sources in a rule");
		} else {
			if (range)
				set_field(x, pm->cidrs[*k], sizeof(pm->cidrs[0]));
			else
				set_field(x, pm->groups[*k], sizeof(pm->groups[0]));
			(*k)++;
		}
	} else if (x->depth == 6 && at(x, 5, P_ENI_IP) && strcmp(leaf, "privateIpAddress") == 0) {
		e = &r->enis[r->nenis - 1];
		if (e->nips == AWS_XML_MAX_IPS) {
			axml_fail(x, -E2BIG, "too many private IPs");
		} else {
			set_field(x, e->private_ips[e->nips], sizeof(e->private_ips[0]));
			e->nips++;
		}
	}
	x->depth--;
	x->tlen = 0;
	x->text[0] = '\0';
	x->toverflow = false;
}

int
aws_ec2_reply_parse(
    const char *body, size_t len, struct aws_ec2_reply *out, char *err, size_t errlen)
{
	struct px *x;
	enum XML_Status st;
	int r = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->ret = -1;
	for (i = 0; i < AWS_XML_MAX_ENIS; i++)
		out->enis[i].source_dest_check = -1;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > AWS_XML_BODY_MAX) {
		if (err != NULL)
			snprintf(err, errlen, "body over %d bytes", AWS_XML_BODY_MAX);
		return -E2BIG;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->out = out;
	x->xp = XML_ParserCreate(NULL);
	if (x->xp == NULL) {
		free(x);
		return -ENOMEM;
	}
	XML_SetUserData(x->xp, x);
	XML_SetElementHandler(x->xp, on_start, on_end);
	XML_SetCharacterDataHandler(x->xp, on_text);
	XML_SetStartDoctypeDeclHandler(x->xp, on_doctype);
	XML_SetEntityDeclHandler(x->xp, on_entity);
	st = XML_Parse(x->xp, body, (int)len, XML_TRUE);
	if (x->err != 0) {
		r = x->err;
		if (err != NULL)
			snprintf(err, errlen, "%s", x->why);
	} else if (st != XML_STATUS_OK) {
		r = -EBADMSG;
		if (err != NULL)
			snprintf(err, errlen, "not XML: %s at line %lu",
			    XML_ErrorString(XML_GetErrorCode(x->xp)),
			    (unsigned long)XML_GetCurrentLineNumber(x->xp));
	}
	XML_ParserFree(x->xp);
	free(x);
	if (r < 0) {
		memset(out, 0, sizeof(*out));
		out->ret = -1;
		for (i = 0; i < AWS_XML_MAX_ENIS; i++)
			out->enis[i].source_dest_check = -1;
	}
	return r;
}

const struct aws_ec2_address *
aws_ec2_find_address(const struct aws_ec2_reply *r, const char *allocation_id)
{
	size_t i;

	for (i = 0; i < r->naddrs; i++)
		if (strcmp(r->addrs[i].allocation_id, allocation_id) == 0)
			return &r->addrs[i];
	return NULL;
}
