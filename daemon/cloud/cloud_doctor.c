/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud_doctor.c - the AWS part of `ipvs-router doctor`.  See cloud_doctor.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "aws.h"
#include "aws_parse.h"
#include "cloud_doctor.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define CDOC_CALLS_MAX 8

enum cdoc_kind { CDOC_ENI, CDOC_DRY, CDOC_SG };

struct cdoc_call {
	struct cdoc *d;
	enum cdoc_kind kind;
	char action[64];
	char subject[128];	/* "eipalloc-... to 10.0.1.50", for the finding */
	struct aws_call *call;
	bool done;
	struct aws_result res;	/* res.reply is not kept */
	int sdc;		/* CDOC_ENI: the ENI's source/dest check, -1 unknown */
	char ips[AWS_XML_MAX_IPS][AWS_XML_IP];
	size_t nips;
	char groups[AWS_XML_MAX_GROUPS][AWS_XML_ID]; /* CDOC_ENI: its security groups */
	size_t ngroups;
	struct aws_ec2_sg *sgs;	/* CDOC_SG: the groups' ingress rules (owned) */
	size_t nsgs;
};

struct cdoc {
	const struct config *c;
	struct aws_client *aws;
	struct cdoc_call calls[CDOC_CALLS_MAX];
	size_t ncalls, pending;
	struct cdoc_call *sg;	/* DescribeSecurityGroups, once the ENI's groups are known */
	bool ready;
	ev_timer deadline;
};

static struct cdoc_call *call_start(struct cdoc *d, enum cdoc_kind kind, const char *action,
    const char *subject, const struct aws_param *p, size_t n);

static const char *
cdoc_env(const char *name)
{
	return getenv(name);
}

/* ------------------------------------------------------------ IMDSv2 from here */

/*
 * PUT /latest/api/token to the IMDS, plainly: connect, send, wait for the status
 * line.  0 with *status (and the times), -ECONNREFUSED & co. when connect fails,
 * -ETIMEDOUT (*connected tells whether it got that far).
 */
static int
imds_token_probe(const struct aws_url *u, int timeout_ms, int *status, bool *connected,
    int *ms)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char port[8], req[1024], buf[256];
	int64_t t0 = mono_ms(), deadline = t0 + timeout_ms;
	size_t got = 0;
	int fd = -1, r, err;
	socklen_t el = sizeof(err);

	*status = 0;
	*connected = false;
	*ms = -1;
	snprintf(port, sizeof(port), "%d", u->port);
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(u->host, port, &hints, &ai)) != 0)
		return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	{
		struct pollfd p = {fd, POLLOUT, 0};
		int64_t left = deadline - mono_ms();

		if (poll(&p, 1, left < 0 ? 0 : (int)left) <= 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
			r = err ? -err : -errno;
			goto out;
		}
	}
	*connected = true;
	snprintf(req, sizeof(req), "PUT %slatest/api/token HTTP/1.1\r\nHost: %s\r\n"
	    "X-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", u->path[strlen(u->path) - 1] == '/' ? u->path : "/",
	    u->hostport);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		r = -errno;
		goto out;
	}
	r = -ETIMEDOUT;
	while (got < sizeof(buf) - 1) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t left = deadline - mono_ms();
		ssize_t n;

		if (poll(&p, 1, left < 0 ? 0 : (int)left) <= 0)
			break;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0) {
			r = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n") != NULL) {
			if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
				*status = -1;
			*ms = (int)(mono_ms() - t0);
			r = 0;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return r;
}

static void
check_imds(const struct aws_settings *s, int timeout_ms, cloud_doctor_add_fn add, void *arg)
{
	char what[700], fix[400];
	struct aws_url u;
	bool connected;
	int st, ms, r;

	if (s->imds_disabled) {
		add(arg, CLOUD_DOCTOR_OK, NULL,
		    "IMDS: disabled (AWS_EC2_METADATA_DISABLED); the region, ENI and credentials "
		    "come from the configuration and the environment");
		return;
	}
	if (aws_url_parse(s->imds_url, &u) < 0) {
		snprintf(what, sizeof(what), "IMDS: the endpoint %s (%s) is not a URL", s->imds_url,
		    aws_src_str(s->imds_src));
		add(arg, CLOUD_DOCTOR_FAIL, "fix aws.imds_endpoint or "
		    "AWS_EC2_METADATA_SERVICE_ENDPOINT", what);
		return;
	}
	r = imds_token_probe(&u, timeout_ms, &st, &connected, &ms);
	if (r == 0 && st == 200) {
		snprintf(what, sizeof(what), "IMDSv2: a token PUT from this network namespace to %s "
		    "answered in %d ms", s->imds_url, ms);
		add(arg, CLOUD_DOCTOR_OK, NULL, what);
	} else if (r == 0) {
		snprintf(what, sizeof(what), "IMDSv2: the token PUT to %s got HTTP %d", s->imds_url,
		    st);
		add(arg, CLOUD_DOCTOR_FAIL, "allow IMDSv2 on the instance: aws ec2 "
		    "modify-instance-metadata-options --instance-id ID --http-endpoint enabled "
		    "--http-tokens required", what);
	} else if (connected && r == -ETIMEDOUT) {
		snprintf(what, sizeof(what), "IMDSv2: connected to %s, but the token PUT got no "
		    "answer within %d ms: the instance's PUT response hop limit is too low for this "
		    "network namespace (a namespace or a container is one more hop)", s->imds_url,
		    timeout_ms);
		snprintf(fix, sizeof(fix), "aws ec2 modify-instance-metadata-options --instance-id "
		    "ID --http-put-response-hop-limit 2");
		add(arg, CLOUD_DOCTOR_FAIL, fix, what);
	} else {
		snprintf(what, sizeof(what), "IMDSv2: cannot reach %s (%s): %s", s->imds_url,
		    aws_src_str(s->imds_src), r == -ETIMEDOUT ? "no connection within the time" :
		    strerror(-r));
		add(arg, CLOUD_DOCTOR_FAIL, "on EC2, enable the instance metadata service (aws ec2 "
		    "modify-instance-metadata-options --http-endpoint enabled); elsewhere set "
		    "aws.imds_endpoint, or AWS_EC2_METADATA_DISABLED=true with the region and "
		    "credentials in the environment", what);
	}
}

/* ------------------------------------------------------------ EC2 calls */

static void
deadline_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	loop_break();
}

static void
call_done(void *arg, const struct aws_result *res)
{
	struct cdoc_call *k = arg;
	const struct aws_ec2_reply *rep = res->reply;
	size_t i;

	k->call = NULL;
	k->done = true;
	k->res = *res;
	k->res.reply = NULL;
	if (k->kind == CDOC_ENI && res->ok && rep != NULL && rep->nenis > 0) {
		k->sdc = rep->enis[0].source_dest_check;
		for (i = 0; i < rep->enis[0].nips && i < AWS_XML_MAX_IPS; i++)
			memcpy(k->ips[i], rep->enis[0].private_ips[i], AWS_XML_IP);
		k->nips = rep->enis[0].nips;
		for (i = 0; i < rep->enis[0].ngroups; i++)
			memcpy(k->groups[i], rep->enis[0].groups[i], AWS_XML_ID);
		k->ngroups = rep->enis[0].ngroups;
		if (k->ngroups > 0) { /* then the rules of its groups */
			struct aws_param p[AWS_XML_MAX_GROUPS];
			char names[AWS_XML_MAX_GROUPS][32];

			for (i = 0; i < k->ngroups; i++) {
				snprintf(names[i], sizeof(names[i]), "GroupId.%u", (unsigned)(i + 1) & 0xff);
				p[i] = (struct aws_param){names[i], k->groups[i]};
			}
			k->d->sg = call_start(k->d, CDOC_SG, "DescribeSecurityGroups", NULL, p,
			    k->ngroups);
		}
	}
	if (k->kind == CDOC_SG && res->ok && rep != NULL && rep->nsgs > 0) {
		k->sgs = xreallocarray(NULL, rep->nsgs, sizeof(*k->sgs));
		memcpy(k->sgs, rep->sgs, rep->nsgs * sizeof(*k->sgs));
		k->nsgs = rep->nsgs;
	}
	if (k->d->pending > 0 && --k->d->pending == 0)
		loop_break();
}

static struct cdoc_call *
call_start(struct cdoc *d, enum cdoc_kind kind, const char *action, const char *subject,
    const struct aws_param *p, size_t n)
{
	struct aws_call_opts o = {"doctor", 2, 300, 1000, kind == CDOC_DRY};
	struct cdoc_call *k;

	if (d->ncalls == CDOC_CALLS_MAX)
		return NULL;
	k = &d->calls[d->ncalls++];
	memset(k, 0, sizeof(*k));
	k->d = d;
	k->kind = kind;
	k->sdc = -1;
	snprintf(k->action, sizeof(k->action), "%s", action);
	snprintf(k->subject, sizeof(k->subject), "%s", subject ? subject : "");
	d->pending++;
	k->call = aws_ec2(d->aws, action, p, n, &o, call_done, k);
	return k;
}

/* The EIP and moved-address VIPs of this configuration, as the daemon claims them. */
static void
on_ready(void *arg)
{
	struct cdoc *d = arg;
	const struct config *c = d->c;
	const struct aws_identity *id = aws_client_identity(d->aws);
	struct aws_param p[4];
	char subj[128], ip[INET6_ADDRSTRLEN];
	size_t i, n;
	bool eip_done = false, priv_done = false;

	d->ready = true;
	p[0] = (struct aws_param){"NetworkInterfaceId.1", id->eni};
	call_start(d, CDOC_ENI, "DescribeNetworkInterfaces", NULL, p, 1);
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];

		if (v->eip.allocation_id != NULL && !eip_done) {
			eip_done = true;
			n = 0;
			ip[0] = '\0';
			for (size_t j = 0; j < v->eip.nprivate_ips; j++)
				if (c->router.name != NULL &&
				    strcmp(v->eip.private_ips[j].router, c->router.name) == 0)
					sockaddr_x_fmt_addr(&v->eip.private_ips[j].addr, ip, sizeof(ip));
			p[n++] = (struct aws_param){"AllocationId", v->eip.allocation_id};
			p[n++] = (struct aws_param){"NetworkInterfaceId", id->eni};
			if (ip[0] != '\0')
				p[n++] = (struct aws_param){"PrivateIpAddress", ip};
			p[n++] = (struct aws_param){"AllowReassociation", "true"};
			snprintf(subj, sizeof(subj), "%s to %s", v->eip.allocation_id, id->eni);
			call_start(d, CDOC_DRY, "AssociateAddress", subj, p, n);
			p[0] = (struct aws_param){"AllocationId.1", v->eip.allocation_id};
			call_start(d, CDOC_DRY, "DescribeAddresses", v->eip.allocation_id, p, 1);
		}
		if (v->move_private_ip && !priv_done) {
			priv_done = true;
			sockaddr_x_fmt_addr(&v->addr, ip, sizeof(ip));
			p[0] = (struct aws_param){"NetworkInterfaceId", id->eni};
			p[1] = (struct aws_param){"PrivateIpAddress.1", ip};
			p[2] = (struct aws_param){"AllowReassignment", "true"};
			snprintf(subj, sizeof(subj), "%s to %s", ip, id->eni);
			call_start(d, CDOC_DRY, "AssignPrivateIpAddresses", subj, p, 3);
		}
	}
	if (c->aws.disable_source_dest_check) {
		p[0] = (struct aws_param){"NetworkInterfaceId", id->eni};
		p[1] = (struct aws_param){"SourceDestCheck.Value", "false"};
		call_start(d, CDOC_DRY, "ModifyNetworkInterfaceAttribute", id->eni, p, 2);
	}
}

/* ------------------------------------------------------------ findings */

static void
report_eni(struct cdoc *d, const struct cdoc_call *k, cloud_doctor_add_fn add, void *arg)
{
	const struct config *c = d->c;
	const char *eni = aws_client_identity(d->aws)->eni;
	char what[700], fix[400], ip[INET6_ADDRSTRLEN];
	size_t i, j;

	if (!k->done || !k->res.ok) {
		snprintf(what, sizeof(what), "ENI %s: DescribeNetworkInterfaces %s: the source/"
		    "destination check and the private IPs cannot be checked", eni,
		    k->done ? k->res.why : "got no answer in time");
		if (k->done && k->res.verdict == AWS_V_DENIED) {
			bool needed = false; /* the daemon verifies moved addresses with it */

			for (i = 0; i < c->nvips; i++)
				needed = needed || c->vips[i].move_private_ip;
			add(arg, needed ? CLOUD_DOCTOR_FAIL : CLOUD_DOCTOR_WARN,
			    needed ? "allow ec2:DescribeNetworkInterfaces in the instance role's IAM "
				     "policy (the daemon verifies moved private IPs with it)"
				   : "allow ec2:DescribeNetworkInterfaces (read-only) in the instance "
				     "role's IAM policy, so that the doctor can check the ENI",
			    what);
		} else {
			add(arg, CLOUD_DOCTOR_UNKNOWN, NULL, what);
		}
		return;
	}
	if (k->sdc == 0) {
		snprintf(what, sizeof(what), "ENI %s: source/destination check off", eni);
		add(arg, CLOUD_DOCTOR_OK, NULL, what);
	} else if (k->sdc == 1 && c->aws.disable_source_dest_check) {
		snprintf(what, sizeof(what), "ENI %s: source/destination check on now; the daemon "
		    "turns it off at start (aws.disable_source_dest_check)", eni);
		add(arg, CLOUD_DOCTOR_OK, NULL, what);
	} else if (k->sdc == 1) {
		snprintf(what, sizeof(what), "ENI %s: source/destination check on: EC2 drops the "
		    "packets this router forwards to the VIPs' backends (their destination is not "
		    "its address)", eni);
		snprintf(fix, sizeof(fix), "aws ec2 modify-network-interface-attribute "
		    "--network-interface-id %s --no-source-dest-check, or aws.disable_source_dest_"
		    "check = true", eni);
		add(arg, CLOUD_DOCTOR_FAIL, fix, what);
	} else {
		snprintf(what, sizeof(what), "ENI %s: the answer does not say whether the source/"
		    "destination check is on", eni);
		add(arg, CLOUD_DOCTOR_UNKNOWN, NULL, what);
	}
	for (i = 0; i < c->nvips; i++) {
		const struct vip *v = &c->vips[i];
		bool found = false;

		ip[0] = '\0';
		for (j = 0; j < v->eip.nprivate_ips; j++)
			if (c->router.name != NULL &&
			    strcmp(v->eip.private_ips[j].router, c->router.name) == 0)
				sockaddr_x_fmt_addr(&v->eip.private_ips[j].addr, ip, sizeof(ip));
		if (v->eip.allocation_id == NULL || ip[0] == '\0')
			continue;
		for (j = 0; j < k->nips; j++)
			found = found || strcmp(k->ips[j], ip) == 0;
		if (found) {
			snprintf(what, sizeof(what), "vip %s: its private IP %s is on ENI %s (the EIP "
			    "maps to it on this router)", v->name, ip, eni);
			add(arg, CLOUD_DOCTOR_OK, NULL, what);
		} else {
			snprintf(what, sizeof(what), "vip %s: its private IP %s for this router is not "
			    "on ENI %s (it has %zu: %s%s): AssociateAddress to it fails at the first "
			    "failover", v->name, ip, eni, k->nips, k->nips ? k->ips[0] : "none",
			    k->nips > 1 ? ", ..." : "");
			snprintf(fix, sizeof(fix), "aws ec2 assign-private-ip-addresses "
			    "--network-interface-id %s --private-ip-addresses %s, or correct "
			    "eip.private_ip.%s", eni, ip, c->router.name ? c->router.name : "?");
			add(arg, CLOUD_DOCTOR_FAIL, fix, what);
		}
	}
}

static void
report_dry(const struct cdoc_call *k, cloud_doctor_add_fn add, void *arg)
{
	char what[700], fix[300];

	if (!k->done) {
		snprintf(what, sizeof(what), "IAM: ec2:%s (%s): no answer in time", k->action,
		    k->subject);
		add(arg, CLOUD_DOCTOR_UNKNOWN, NULL, what);
	} else if (k->res.verdict == AWS_V_DRYRUN_OK || k->res.verdict == AWS_V_OK) {
		snprintf(what, sizeof(what), "IAM: ec2:%s allowed (DryRun, %s)", k->action,
		    k->subject);
		add(arg, CLOUD_DOCTOR_OK, NULL, what);
	} else if (k->res.verdict == AWS_V_DENIED) {
		snprintf(what, sizeof(what), "IAM: ec2:%s denied (DryRun, %s): %s", k->action,
		    k->subject, k->res.why);
		snprintf(fix, sizeof(fix), "allow ec2:%s in the instance role's IAM policy",
		    k->action);
		add(arg, CLOUD_DOCTOR_FAIL, fix, what);
	} else if (k->res.verdict == AWS_V_NOTFOUND) {
		snprintf(what, sizeof(what), "ec2:%s (DryRun, %s): %s", k->action, k->subject,
		    k->res.why);
		add(arg, CLOUD_DOCTOR_FAIL, "correct the id in the configuration (the allocation "
		    "id, the ENI)", what);
	} else {
		snprintf(what, sizeof(what), "IAM: ec2:%s (DryRun, %s): %s", k->action, k->subject,
		    k->res.why);
		add(arg, CLOUD_DOCTOR_UNKNOWN, NULL, what);
	}
}

/* addr (IPv4) within cidr "a.b.c.d/n" */
static bool
cidr_has(const char *cidr, const struct sockaddr_x *addr)
{
	char net[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(cidr, '/');
	struct in_addr a;
	long long plen = 32;
	uint32_t mask;

	if (addr->af != AF_INET || slash == NULL || (size_t)(slash - cidr) >= sizeof(net) ||
	    parse_int(slash + 1, 0, 32, &plen) < 0)
		return false;
	memcpy(net, cidr, (size_t)(slash - cidr));
	net[slash - cidr] = '\0';
	if (inet_pton(AF_INET, net, &a) != 1)
		return false;
	mask = plen == 0 ? 0 : htonl(0xffffffffu << (32 - plen));
	return (a.s_addr & mask) == (addr->a.v4.s_addr & mask);
}

/*
 * Ingress of IP protocol 112 (VRRP) from each peer in this ENI's security groups:
 * a rule for 112 or for all protocols, from a range holding the peer's address, or
 * from one of this ENI's own groups (the usual "the routers' group talks to itself").
 * A rule naming another group cannot be judged from here.
 */
static void
report_sg(struct cdoc *d, const struct cdoc_call *eni, cloud_doctor_add_fn add, void *arg)
{
	const struct config *c = d->c;
	const struct cdoc_call *k = d->sg;
	char what[700], fix[400], a[SOCKADDR_X_STRLEN], other[AWS_XML_ID];
	size_t i, g, p, x, y;

	if (!c->election.present)
		return;
	if (eni == NULL || !eni->done || !eni->res.ok)
		return; /* report_eni said why */
	if (eni->ngroups == 0) {
		add(arg, CLOUD_DOCTOR_UNKNOWN, NULL, "security groups: the ENI lists none");
		return;
	}
	if (k == NULL || !k->done || !k->res.ok) {
		snprintf(what, sizeof(what), "security groups %s%s: DescribeSecurityGroups %s: "
		    "whether the peers' adverts (IP protocol 112) may come in cannot be checked",
		    eni->groups[0], eni->ngroups > 1 ? ", ..." : "",
		    k == NULL || !k->done ? "got no answer in time" : k->res.why);
		add(arg, k != NULL && k->done && k->res.verdict == AWS_V_DENIED ? CLOUD_DOCTOR_WARN :
		    CLOUD_DOCTOR_UNKNOWN, "allow ec2:DescribeSecurityGroups (read-only) in the "
		    "instance role's IAM policy, so that the doctor can check the rules", what);
		return;
	}
	for (i = 0; i < c->election.npeers; i++) {
		const struct peer *pe = &c->election.peers[i];
		bool ok = false;

		if (c->router.name != NULL && strcmp(pe->name, c->router.name) == 0)
			continue;
		other[0] = '\0';
		sockaddr_x_fmt_addr(&pe->addr, a, sizeof(a));
		for (g = 0; g < k->nsgs && !ok; g++) {
			for (p = 0; p < k->sgs[g].nperms && !ok; p++) {
				const struct aws_ec2_perm *pm = &k->sgs[g].perms[p];

				if (strcmp(pm->proto, "112") != 0 && strcmp(pm->proto, "-1") != 0)
					continue;
				for (x = 0; x < pm->ncidrs && !ok; x++)
					ok = cidr_has(pm->cidrs[x], &pe->addr);
				for (x = 0; x < pm->ngroups && !ok; x++) {
					for (y = 0; y < eni->ngroups && !ok; y++)
						ok = strcmp(pm->groups[x], eni->groups[y]) == 0;
					if (!ok && other[0] == '\0')
						snprintf(other, sizeof(other), "%s", pm->groups[x]);
				}
			}
		}
		if (ok) {
			snprintf(what, sizeof(what), "security groups: adverts (IP protocol 112) from "
			    "peer %s (%s) may come in", pe->name, a);
			add(arg, CLOUD_DOCTOR_OK, NULL, what);
		} else if (other[0] != '\0') {
			snprintf(what, sizeof(what), "security groups: IP protocol 112 comes in from "
			    "group %s only: cannot tell from here whether peer %s (%s) is in it", other,
			    pe->name, a);
			add(arg, CLOUD_DOCTOR_UNKNOWN, NULL, what);
		} else {
			snprintf(what, sizeof(what), "security groups %s%s: no ingress rule lets in "
			    "adverts (IP protocol 112) from peer %s (%s): the election splits, both "
			    "routers master", eni->groups[0], eni->ngroups > 1 ? ", ..." : "", pe->name,
			    a);
			snprintf(fix, sizeof(fix), "aws ec2 authorize-security-group-ingress --group-id "
			    "%s --ip-permissions 'IpProtocol=112,IpRanges=[{CidrIp=%s/32}]'",
			    eni->groups[0], a);
			add(arg, CLOUD_DOCTOR_FAIL, fix, what);
		}
	}
}

void
cloud_doctor(const struct config *c, int timeout_ms, cloud_doctor_add_fn add, void *arg)
{
	struct aws_client_conf ac;
	struct aws_settings s;
	struct errlist el;
	struct cdoc d;
	char what[700];
	size_t i;

	memset(&d, 0, sizeof(d));
	d.c = c;
	errlist_init(&el);
	if (aws_settings_resolve(&c->aws, cdoc_env, &s, &el) < 0) {
		for (i = 0; i < el.n; i++)
			add(arg, CLOUD_DOCTOR_FAIL, "correct the aws section or the AWS_* environment",
			    el.msgs[i]);
		errlist_clear(&el);
		aws_settings_clear(&s);
		return;
	}
	errlist_clear(&el);
	check_imds(&s, timeout_ms, add, arg);

	memset(&ac, 0, sizeof(ac));
	ac.aws = &c->aws;
	ac.ifname = c->router.interface;
	ac.env = cdoc_env;
	ac.on_ready = on_ready;
	ac.arg = &d;
	if (aws_client_new(&ac, &d.aws) < 0) {
		add(arg, CLOUD_DOCTOR_FAIL, "correct the aws section or the AWS_* environment",
		    "the AWS settings are unusable (see the messages above)");
		aws_settings_clear(&s);
		return;
	}
	ev_timer_init(&d.deadline, deadline_cb, (double)timeout_ms * 3 / 1000., 0.);
	ev_timer_start(loop_ev(), &d.deadline);
	loop_run(); /* until every call is answered, or the deadline */
	ev_timer_stop(loop_ev(), &d.deadline);

	if (!d.ready) {
		snprintf(what, sizeof(what), "the instance, its ENI and credentials: not known "
		    "within %d ms (the IMDS line above says why; or the region or credentials are "
		    "missing)", timeout_ms * 3);
		add(arg, CLOUD_DOCTOR_FAIL, "see the IMDS line; off EC2 set the region, "
		    "network_interface_id and credentials (AWS_*)", what);
	} else {
		const struct aws_identity *id = aws_client_identity(d.aws);

		snprintf(what, sizeof(what), "instance %s%s%s%s, ENI %s of %s, region %s",
		    id->instance_id[0] ? id->instance_id : "(IMDS disabled)", id->az[0] ? " (" : "",
		    id->az, id->az[0] ? ")" : "", id->eni, c->router.interface ? c->router.interface :
		    "eth0", id->region);
		add(arg, CLOUD_DOCTOR_OK, NULL, what);
		const struct cdoc_call *eni = NULL;

		for (i = 0; i < d.ncalls; i++) {
			if (d.calls[i].kind == CDOC_ENI) {
				eni = &d.calls[i];
				report_eni(&d, eni, add, arg);
			} else if (d.calls[i].kind == CDOC_DRY) {
				report_dry(&d.calls[i], add, arg);
			}
		}
		report_sg(&d, eni, add, arg);
	}
	aws_client_free(d.aws); /* cancels what is still out */
	for (i = 0; i < d.ncalls; i++)
		free(d.calls[i].sgs);
	aws_settings_clear(&s);
}
