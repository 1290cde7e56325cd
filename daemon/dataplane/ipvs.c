/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipvs.c - IPVS over generic netlink with libnl-genl-3.
 *
 * libnl builds and parses the messages (one builder per command,
 * nla_put_failure unwinding, policy tables for parsing, like ipvsadm's
 * libipvs.c).  Sending and receiving are done on the socket directly:
 * libnl sends one message per system call and waits for each answer,
 * which is exactly the round trip per rule we avoid.
 *
 * Kernel behaviour this file relies on (net/netfilter/ipvs/ip_vs_ctl.c,
 * net/netlink/af_netlink.c):
 *   - a sendmsg to a kernel netlink socket is processed in the sender's
 *     context, message after message (netlink_rcv_skb); an ACK is sent only
 *     for NLM_F_ACK or an error, and answers arrive in request order;
 *   - the kernel drops an answer, and flags the socket with ENOBUFS, when
 *     our receive buffer is full: a chunk is never larger than the number
 *     of error answers the buffer can hold;
 *   - a dump restarts its walk of the destination list for every reply
 *     skb (cb->args[0] is an index), so bigger receive buffers (the kernel
 *     fills up to 32 KiB per skb) mean fewer restarts;
 *   - IPv4 persistence netmasks travel as a big-endian mask, IPv6 ones as a
 *     host-order prefix length (ip_vs_genl_parse_service + ip_vs_add_service);
 *   - the dump reports the scheduler of a service without one as "none".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "ipvs.h"
#include "log.h"
#include "util.h"

#define RBUF_SIZE      (64 * 1024) /* one netlink datagram: dumps fill at most 32 KiB */
#define RCVBUF_WANT    (4 * 1024 * 1024)
#define SNDBUF_WANT    (1024 * 1024)
#define ACK_COST       1024 /* receive-buffer bytes an error answer may take */
#define CHUNK_OPS_MAX  512
#define SYSCTL_DIR     "/proc/sys/net/ipv4/vs/"
#define RECV_TIMEOUT_S 30 /* an answer overdue: a 10k dump takes ~0.2 s even under TCG */

struct ipvs {
	struct nl_sock *sk;
	int fd;
	int family;
	uint32_t seq;
	size_t chunk_ops; /* requests per sendmsg */
	size_t chunk_bytes;
	unsigned char *rbuf;
	unsigned char *sbuf;
	struct ipvs_counters ctr;
};

typedef int (*msg_cb)(struct nlmsghdr *nlh, void *arg);

static int nlerr_to_errno(int nle);
static int put_service(struct nl_msg *m, const struct rc_svc_conf *s, bool full);
static int put_dest(struct nl_msg *m, const struct rc_dest *d, bool full);
static struct nl_msg *build_op(struct ipvs *h, const struct rc_op *op);
static int send_buf(struct ipvs *h, const void *buf, size_t len);
static ssize_t recv_buf(struct ipvs *h);
static int request(
    struct ipvs *h, int cmd, int flags, const struct rc_svc_conf *svc, msg_cb cb, void *arg);
static int transact(struct ipvs *h, struct nl_msg *m, int flags, msg_cb cb, void *arg);
static int transact_fenced(struct ipvs *h, struct nl_msg *m);
static int send_msg(struct ipvs *h, struct nl_msg *m);
static int recv_answers(struct ipvs *h, uint32_t seq, uint32_t fseq, msg_cb cb, void *arg);
static int parse_service(struct nlmsghdr *nlh, void *arg);
static int parse_dest(struct nlmsghdr *nlh, void *arg);
static bool attr_u32(const struct nlattr *a, uint32_t *v);
static bool attr_u16(const struct nlattr *a, uint16_t *v);
static int parse_info(struct nlmsghdr *nlh, void *arg);
static void addr_from_attr(struct sockaddr_x *sa, int af, const struct nlattr *a);
static uint32_t netmask_raw(const struct rc_svc_conf *s);
static int netmask_plen(int af, uint32_t raw);
static int set_bufsize(int fd, int force, int plain, int want);
static const char *err_hint(const struct rc_op *op, int err);
static void fault_load(void);
static size_t fault_pick(const struct rc_op *ops, size_t n, int *inj);

static const struct nla_policy cmd_policy[IPVS_CMD_ATTR_MAX + 1] = {
    [IPVS_CMD_ATTR_SERVICE] = {.type = NLA_NESTED},
    [IPVS_CMD_ATTR_DEST] = {.type = NLA_NESTED},
    [IPVS_CMD_ATTR_DAEMON] = {.type = NLA_NESTED},
};

static const struct nla_policy svc_policy[IPVS_SVC_ATTR_MAX + 1] = {
    [IPVS_SVC_ATTR_AF] = {.type = NLA_U16},
    [IPVS_SVC_ATTR_PROTOCOL] = {.type = NLA_U16},
    [IPVS_SVC_ATTR_ADDR] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [IPVS_SVC_ATTR_PORT] = {.type = NLA_U16},
    [IPVS_SVC_ATTR_FWMARK] = {.type = NLA_U32},
    [IPVS_SVC_ATTR_SCHED_NAME] = {.type = NLA_STRING, .maxlen = IP_VS_SCHEDNAME_MAXLEN},
    [IPVS_SVC_ATTR_FLAGS] = {.type = NLA_UNSPEC, .minlen = sizeof(struct ip_vs_flags)},
    [IPVS_SVC_ATTR_TIMEOUT] = {.type = NLA_U32},
    [IPVS_SVC_ATTR_NETMASK] = {.type = NLA_U32},
    [IPVS_SVC_ATTR_STATS] = {.type = NLA_NESTED},
    [IPVS_SVC_ATTR_PE_NAME] = {.type = NLA_STRING, .maxlen = IP_VS_PENAME_MAXLEN},
    [IPVS_SVC_ATTR_STATS64] = {.type = NLA_NESTED},
};

static const struct nla_policy info_policy[IPVS_INFO_ATTR_MAX + 1] = {
    [IPVS_INFO_ATTR_VERSION] = {.type = NLA_U32},
    [IPVS_INFO_ATTR_CONN_TAB_SIZE] = {.type = NLA_U32},
};

/* ============================================================ socket */

/* libnl's NLE_* codes (positive) to a negative errno. */
static int
nlerr_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_INTR:
		return -EINTR;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

/* Raise a socket buffer, with the privileged option first (the daemon is
 * root; rmem_max would cap the plain one at ~200 KiB).  Returns the size
 * the kernel now accounts (it doubles what it is given). */
static int
set_bufsize(int fd, int force, int plain, int want)
{
	int v = want;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, plain, &v, &len) < 0)
		return 0;
	return v;
}

int
ipvs_open(struct ipvs **out, char *why, size_t whylen)
{
	struct ipvs *h;
	const struct timeval rcv_timeout = {RECV_TIMEOUT_S, 0};
	int r, one = 1, rcv, snd;

	*out = NULL;
	h = xcalloc(1, sizeof(*h));
	h->sk = nl_socket_alloc();
	if (h->sk == NULL) {
		snprintf(why, whylen, "cannot allocate a netlink socket");
		r = -ENOMEM;
		goto fail;
	}
	r = genl_connect(h->sk);
	if (r < 0) {
		r = nlerr_to_errno(r);
		snprintf(why, whylen, "generic netlink socket: %s", strerror(-r));
		goto fail;
	}
	h->family = genl_ctrl_resolve(h->sk, IPVS_GENL_NAME);
	if (h->family < 0) {
		r = nlerr_to_errno(h->family);
		if (r == -ENOENT)
			snprintf(why, whylen, "the kernel has no generic netlink family \"%s\"",
			    IPVS_GENL_NAME);
		else
			snprintf(why, whylen, "resolving generic netlink family \"%s\": %s",
			    IPVS_GENL_NAME, strerror(-r));
		goto fail;
	}
	h->fd = nl_socket_get_fd(h->sk);
	rcv = set_bufsize(h->fd, SO_RCVBUFFORCE, SO_RCVBUF, RCVBUF_WANT);
	snd = set_bufsize(h->fd, SO_SNDBUFFORCE, SO_SNDBUF, SNDBUF_WANT);
	/* error answers without a copy of the request: more of them fit */
	(void)setsockopt(h->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* an answer that never comes must not stop the daemon: fail, re-read later */
	(void)setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &rcv_timeout, sizeof(rcv_timeout));
	h->chunk_ops = rcv > 0 ? (size_t)rcv / 2 / ACK_COST : 64;
	if (h->chunk_ops > CHUNK_OPS_MAX)
		h->chunk_ops = CHUNK_OPS_MAX;
	if (h->chunk_ops < 8)
		h->chunk_ops = 8;
	h->chunk_bytes = snd > 4096 ? (size_t)snd / 2 - 64 : 16 * 1024;
	if (h->chunk_bytes > 256 * 1024)
		h->chunk_bytes = 256 * 1024;
	h->seq = (uint32_t)mono_ms();
	h->rbuf = xmalloc(RBUF_SIZE);
	h->sbuf = xmalloc(h->chunk_bytes);
	*out = h;
	return 0;

fail:
	ipvs_close(h);
	return r;
}

void
ipvs_close(struct ipvs *h)
{
	if (h == NULL)
		return;
	if (h->sk != NULL)
		nl_socket_free(h->sk);
	free(h->rbuf);
	free(h->sbuf);
	free(h);
}

const struct ipvs_counters *
ipvs_counters(const struct ipvs *h)
{
	return &h->ctr;
}

static int
send_buf(struct ipvs *h, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;

	do
		n = sendto(h->fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EMSGSIZE;
	return 0;
}

/* One datagram into h->rbuf; its length, or a negative errno. */
static ssize_t
recv_buf(struct ipvs *h)
{
	ssize_t n;

	do
		n = recv(h->fd, h->rbuf, RBUF_SIZE, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n > RBUF_SIZE)
		return -EMSGSIZE;
	return n;
}

/* ============================================================ messages */

static uint32_t
netmask_raw(const struct rc_svc_conf *s)
{
	int plen = s->netmask;

	if (s->af == AF_INET6)
		return (uint32_t)(plen < 1 ? 128 : plen > 128 ? 128 : plen);
	if (plen <= 0)
		return 0;
	if (plen >= 32)
		return 0xffffffffU;
	return htonl(0xffffffffU << (32 - plen));
}

static int
netmask_plen(int af, uint32_t raw)
{
	uint32_t m;
	int n = 0;

	if (af == AF_INET6)
		return (int)raw;
	m = ntohl(raw);
	while (m & 0x80000000U) {
		n++;
		m <<= 1;
	}
	return m == 0 ? n : -1; /* a non-contiguous mask matches nothing we set */
}

static int
put_service(struct nl_msg *m, const struct rc_svc_conf *s, bool full)
{
	struct nlattr *nest;
	struct ip_vs_flags fl;
	unsigned char addr[16];

	nest = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
	if (nest == NULL)
		goto nla_put_failure;
	NLA_PUT_U16(m, IPVS_SVC_ATTR_AF, (uint16_t)s->af);
	if (s->fwmark != 0) {
		NLA_PUT_U32(m, IPVS_SVC_ATTR_FWMARK, s->fwmark);
	} else {
		memset(addr, 0, sizeof(addr));
		if (s->af == AF_INET6)
			memcpy(addr, &s->addr.a.v6, 16);
		else
			memcpy(addr, &s->addr.a.v4, 4);
		NLA_PUT_U16(m, IPVS_SVC_ATTR_PROTOCOL, (uint16_t)s->protocol);
		NLA_PUT(m, IPVS_SVC_ATTR_ADDR, sizeof(addr), addr);
		NLA_PUT_U16(m, IPVS_SVC_ATTR_PORT, htons(s->addr.port));
	}
	if (full) {
		fl.flags = s->flags & ~(unsigned)RC_SVC_F_HASHED;
		fl.mask = ~0U;
		NLA_PUT_STRING(m, IPVS_SVC_ATTR_SCHED_NAME, s->sched);
		NLA_PUT(m, IPVS_SVC_ATTR_FLAGS, sizeof(fl), &fl);
		NLA_PUT_U32(m, IPVS_SVC_ATTR_TIMEOUT, s->timeout_s);
		NLA_PUT_U32(m, IPVS_SVC_ATTR_NETMASK, netmask_raw(s));
	}
	nla_nest_end(m, nest);
	return 0;

nla_put_failure:
	return -EMSGSIZE;
}

static int
put_dest(struct nl_msg *m, const struct rc_dest *d, bool full)
{
	struct nlattr *nest;
	unsigned char addr[16];

	nest = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
	if (nest == NULL)
		goto nla_put_failure;
	memset(addr, 0, sizeof(addr));
	if (d->addr.af == AF_INET6)
		memcpy(addr, &d->addr.a.v6, 16);
	else
		memcpy(addr, &d->addr.a.v4, 4);
	NLA_PUT(m, IPVS_DEST_ATTR_ADDR, sizeof(addr), addr);
	NLA_PUT_U16(m, IPVS_DEST_ATTR_PORT, htons(d->addr.port));
	NLA_PUT_U16(m, IPVS_DEST_ATTR_ADDR_FAMILY, (uint16_t)d->addr.af);
	if (full) {
		NLA_PUT_U32(m, IPVS_DEST_ATTR_FWD_METHOD, (uint32_t)d->fwd);
		NLA_PUT_U32(m, IPVS_DEST_ATTR_WEIGHT, (uint32_t)(d->weight < 0 ? 0 : d->weight));
		NLA_PUT_U32(m, IPVS_DEST_ATTR_U_THRESH, d->u_threshold);
		NLA_PUT_U32(m, IPVS_DEST_ATTR_L_THRESH, d->l_threshold);
		/* tunnel attributes exist since Linux 5.2; older kernels ignore them */
		if (d->fwd == RC_FWD_TUN) {
			NLA_PUT_U8(m, IPVS_DEST_ATTR_TUN_TYPE, (uint8_t)d->tun_type);
			NLA_PUT_U16(m, IPVS_DEST_ATTR_TUN_PORT, htons(d->tun_port));
			NLA_PUT_U16(m, IPVS_DEST_ATTR_TUN_FLAGS, (uint16_t)d->tun_flags);
		}
	}
	nla_nest_end(m, nest);
	return 0;

nla_put_failure:
	return -EMSGSIZE;
}

static struct nl_msg *
build_op(struct ipvs *h, const struct rc_op *op)
{
	static const int cmd[RC_OP_TYPES] = {
	    [RC_ADD_SVC] = IPVS_CMD_NEW_SERVICE,
	    [RC_EDIT_SVC] = IPVS_CMD_SET_SERVICE,
	    [RC_DEL_SVC] = IPVS_CMD_DEL_SERVICE,
	    [RC_ADD_DEST] = IPVS_CMD_NEW_DEST,
	    [RC_EDIT_DEST] = IPVS_CMD_SET_DEST,
	    [RC_DEL_DEST] = IPVS_CMD_DEL_DEST,
	};
	struct nl_msg *m;
	bool dest = op->type >= RC_ADD_DEST;

	if ((unsigned)op->type >= RC_OP_TYPES)
		return NULL;
	m = nlmsg_alloc();
	if (m == NULL)
		return NULL;
	if (genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, 0, cmd[op->type],
		IPVS_GENL_VERSION) == NULL)
		goto fail;
	if (put_service(m, &op->svc, op->type == RC_ADD_SVC || op->type == RC_EDIT_SVC) < 0)
		goto fail;
	if (dest && put_dest(m, &op->dest, op->type != RC_DEL_DEST) < 0)
		goto fail;
	return m;
fail:
	nlmsg_free(m);
	return NULL;
}

/* ============================================================ requests */

/*
 * One request with NLM_F_ACK (and `flags`, e.g. NLM_F_DUMP); cb(arg) for
 * every answer of the family until the ACK or NLMSG_DONE.
 */
static int
request(struct ipvs *h, int cmd, int flags, const struct rc_svc_conf *svc, msg_cb cb, void *arg)
{
	struct nl_msg *m;

	m = nlmsg_alloc();
	if (m == NULL)
		return -ENOMEM;
	if (genlmsg_put(m, NL_AUTO_PORT, ++h->seq, h->family, 0, flags | NLM_F_ACK, cmd,
		IPVS_GENL_VERSION) == NULL ||
	    (svc != NULL && put_service(m, svc, false) < 0)) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	return transact(h, m, flags, cb, arg);
}

/*
 * Read the answers to request `seq`: cb(arg) for each message of the family, until
 * its NLMSG_DONE or NLMSG_ERROR (the ACK: 0).  With a fence (fseq != 0, a request
 * sent after it), until the fence's ACK instead: the answer to seq, or 1 when the
 * kernel gave none before the fence's (see transact_fenced).
 */
static int
recv_answers(struct ipvs *h, uint32_t seq, uint32_t fseq, msg_cb cb, void *arg)
{
	struct nlmsghdr *nlh;
	ssize_t n;
	int r, len, answer = 1;

	for (;;) {
		n = recv_buf(h);
		if (n < 0)
			return (int)n;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)h->rbuf; NLMSG_OK(nlh, (unsigned)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (fseq != 0 && nlh->nlmsg_seq == fseq) {
				if (nlh->nlmsg_type == NLMSG_ERROR)
					return answer; /* m's answer came first, or none will */
				continue;	       /* the fence's own answer */
			}
			if (nlh->nlmsg_seq != seq)
				continue; /* a late answer to something earlier */
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				if (nlh->nlmsg_type == NLMSG_ERROR &&
				    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				answer = nlh->nlmsg_type == NLMSG_DONE ? 0 : e->error; /* 0: the ACK */
				if (fseq == 0)
					return answer;
				continue;
			}
			if (nlh->nlmsg_type == h->family && cb != NULL) {
				r = cb(nlh, arg);
				if (r < 0)
					return r;
			}
		}
	}
}

/* Send one request (freed here). */
static int
send_msg(struct ipvs *h, struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	int r;

	nlh->nlmsg_flags |= NLM_F_REQUEST;
	r = send_buf(h, nlh, nlh->nlmsg_len);
	nlmsg_free(m);
	return r;
}

/* Send m (built with sequence number h->seq; freed here) and read its answers. */
static int
transact(struct ipvs *h, struct nl_msg *m, int flags, msg_cb cb, void *arg)
{
	uint32_t seq = h->seq;
	int r;

	if ((r = send_msg(h, m)) < 0)
		return r;
	if (flags & NLM_F_DUMP)
		h->ctr.dumps++;
	return recv_answers(h, seq, 0, cb, arg);
}

/*
 * Send m (sequence number h->seq; freed here), then a fence: IPVS_CMD_GET_INFO with
 * the next number.  The kernel handles a socket's requests in order, so the fence's
 * ACK comes after m's answer - or, when m's handler returned -EINTR, after nothing:
 * netlink_rcv_skb() sends no answer at all for -EINTR, even to NLM_F_ACK.  IPVS_CMD_
 * DEL_DAEMON does that when it stops a sync thread that had not run yet (kthread_stop
 * gives the thread's -EINTR back; the thread is gone all the same): a plain wait for
 * the ACK would last the receive timeout (30 s) on the daemon's loop.  Returns m's
 * answer (0 or a negative errno), or 1 when the kernel gave none (the -EINTR case).
 * Pinned by tests/integration/ipvs-syncd (ipvsr-ipvs syncd-flip).
 */
static int
transact_fenced(struct ipvs *h, struct nl_msg *m)
{
	struct nl_msg *fence;
	uint32_t seq = h->seq, fseq;
	int r;

	if ((r = send_msg(h, m)) < 0)
		return r;
	fence = nlmsg_alloc();
	if (fence == NULL)
		return -ENOMEM;
	fseq = ++h->seq;
	if (genlmsg_put(fence, NL_AUTO_PORT, fseq, h->family, 0, NLM_F_ACK, IPVS_CMD_GET_INFO,
		IPVS_GENL_VERSION) == NULL) {
		nlmsg_free(fence);
		return -EMSGSIZE;
	}
	if ((r = send_msg(h, fence)) < 0)
		return r;
	return recv_answers(h, seq, fseq, NULL, NULL);
}

static void
addr_from_attr(struct sockaddr_x *sa, int af, const struct nlattr *a)
{
	memset(sa, 0, sizeof(*sa));
	sa->af = af;
	if (a == NULL)
		return;
	if (af == AF_INET6 && nla_len(a) >= 16)
		memcpy(&sa->a.v6, nla_data(a), 16);
	else if (af == AF_INET && nla_len(a) >= 4)
		memcpy(&sa->a.v4, nla_data(a), 4);
}

static int
parse_service(struct nlmsghdr *nlh, void *arg)
{
	struct rc_table *t = arg;
	struct nlattr *cmd[IPVS_CMD_ATTR_MAX + 1], *a[IPVS_SVC_ATTR_MAX + 1];
	struct rc_svc_conf c;
	struct ip_vs_flags fl;

	if (genlmsg_parse(nlh, 0, cmd, IPVS_CMD_ATTR_MAX, (struct nla_policy *)cmd_policy) < 0 ||
	    cmd[IPVS_CMD_ATTR_SERVICE] == NULL ||
	    nla_parse_nested(a, IPVS_SVC_ATTR_MAX, cmd[IPVS_CMD_ATTR_SERVICE],
		(struct nla_policy *)svc_policy) < 0 ||
	    a[IPVS_SVC_ATTR_AF] == NULL)
		return -EBADMSG;
	memset(&c, 0, sizeof(c));
	c.af = nla_get_u16(a[IPVS_SVC_ATTR_AF]);
	if (a[IPVS_SVC_ATTR_FWMARK] != NULL && nla_get_u32(a[IPVS_SVC_ATTR_FWMARK]) != 0) {
		c.fwmark = nla_get_u32(a[IPVS_SVC_ATTR_FWMARK]);
		c.addr.af = 0;
	} else {
		if (a[IPVS_SVC_ATTR_PROTOCOL] == NULL || a[IPVS_SVC_ATTR_ADDR] == NULL ||
		    a[IPVS_SVC_ATTR_PORT] == NULL)
			return -EBADMSG;
		c.protocol = nla_get_u16(a[IPVS_SVC_ATTR_PROTOCOL]);
		addr_from_attr(&c.addr, c.af, a[IPVS_SVC_ATTR_ADDR]);
		c.addr.port = ntohs(nla_get_u16(a[IPVS_SVC_ATTR_PORT]));
	}
	if (a[IPVS_SVC_ATTR_SCHED_NAME] != NULL)
		nla_strlcpy(c.sched, a[IPVS_SVC_ATTR_SCHED_NAME], sizeof(c.sched));
	if (a[IPVS_SVC_ATTR_FLAGS] != NULL) {
		nla_memcpy(&fl, a[IPVS_SVC_ATTR_FLAGS], sizeof(fl));
		c.flags = fl.flags & ~(unsigned)RC_SVC_F_HASHED;
	}
	if (a[IPVS_SVC_ATTR_TIMEOUT] != NULL)
		c.timeout_s = nla_get_u32(a[IPVS_SVC_ATTR_TIMEOUT]);
	if (a[IPVS_SVC_ATTR_NETMASK] != NULL)
		c.netmask = netmask_plen(c.af, nla_get_u32(a[IPVS_SVC_ATTR_NETMASK]));
	rc_table_add(t, &c);
	return 0;
}

/* Attribute readers that check the length first (the walk below does not
 * go through a policy). */
static bool
attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (nla_len(a) < 4)
		return false;
	memcpy(v, nla_data(a), 4);
	return true;
}

static bool
attr_u16(const struct nlattr *a, uint16_t *v)
{
	if (nla_len(a) < 2)
		return false;
	memcpy(v, nla_data(a), 2);
	return true;
}

/* IPVS_*_ATTR_STATS64: a nest of u64 counters (unknown ones skipped). */
static void
parse_stats64(const struct nlattr *nest, struct ipvs_stats *st)
{
	const struct nlattr *a;
	uint64_t v;
	int rem;

	nla_for_each_nested(a, nest, rem)
	{
		if (nla_len(a) < 8)
			continue;
		memcpy(&v, nla_data(a), 8);
		switch (nla_type(a)) {
		case IPVS_STATS_ATTR_CONNS: st->conns = v; break;
		case IPVS_STATS_ATTR_INPKTS: st->inpkts = v; break;
		case IPVS_STATS_ATTR_OUTPKTS: st->outpkts = v; break;
		case IPVS_STATS_ATTR_INBYTES: st->inbytes = v; break;
		case IPVS_STATS_ATTR_OUTBYTES: st->outbytes = v; break;
		case IPVS_STATS_ATTR_CPS: st->cps = v; break;
		case IPVS_STATS_ATTR_INPPS: st->inpps = v; break;
		case IPVS_STATS_ATTR_OUTPPS: st->outpps = v; break;
		case IPVS_STATS_ATTR_INBPS: st->inbps = v; break;
		case IPVS_STATS_ATTR_OUTBPS: st->outbps = v; break;
		default: break;
		}
	}
}

/*
 * One destination.  The hot path of a resync (10,000 of them per dump):
 * a direct walk over the attributes, skipping the two statistics nests
 * (the 64-bit one read into *st when st is not NULL: traffic dumps only),
 * costs a fraction of nla_parse with a policy for every message.
 */
static int
dest_walk(struct nlmsghdr *nlh, int af, struct rc_dest *out, struct ipvs_stats *st)
{
	struct genlmsghdr *g;
	struct nlattr *top, *a, *addr = NULL;
	struct rc_dest d;
	uint32_t u32;
	uint16_t u16, port = 0;
	int rem, nrem;
	bool have_port = false, found = false;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EBADMSG;
	g = nlmsg_data(nlh);
	memset(&d, 0, sizeof(d));
	nla_for_each_attr(top, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
	{
		if (nla_type(top) != IPVS_CMD_ATTR_DEST)
			continue;
		found = true;
		nla_for_each_nested(a, top, nrem)
		{
			switch (nla_type(a)) {
			case IPVS_DEST_ATTR_ADDR:
				addr = a;
				break;
			case IPVS_DEST_ATTR_PORT:
				have_port = attr_u16(a, &port);
				break;
			case IPVS_DEST_ATTR_ADDR_FAMILY:
				/* destinations may be of another family than their service (tun) */
				if (attr_u16(a, &u16))
					af = u16;
				break;
			case IPVS_DEST_ATTR_FWD_METHOD:
				if (attr_u32(a, &u32))
					d.fwd = (int)(u32 & IP_VS_CONN_F_FWD_MASK);
				break;
			case IPVS_DEST_ATTR_WEIGHT:
				if (attr_u32(a, &u32))
					d.weight = (int)u32;
				break;
			case IPVS_DEST_ATTR_U_THRESH:
				(void)attr_u32(a, &d.u_threshold);
				break;
			case IPVS_DEST_ATTR_L_THRESH:
				(void)attr_u32(a, &d.l_threshold);
				break;
			case IPVS_DEST_ATTR_ACTIVE_CONNS:
				(void)attr_u32(a, &d.activeconns);
				break;
			case IPVS_DEST_ATTR_INACT_CONNS:
				(void)attr_u32(a, &d.inactconns);
				break;
			case IPVS_DEST_ATTR_PERSIST_CONNS:
				(void)attr_u32(a, &d.persistconns);
				break;
			case IPVS_DEST_ATTR_TUN_TYPE:
				if (nla_len(a) >= 1)
					d.tun_type = *(const uint8_t *)nla_data(a);
				break;
			case IPVS_DEST_ATTR_TUN_PORT:
				if (attr_u16(a, &u16))
					d.tun_port = ntohs(u16);
				break;
			case IPVS_DEST_ATTR_TUN_FLAGS:
				if (attr_u16(a, &u16))
					d.tun_flags = u16;
				break;
			case IPVS_DEST_ATTR_STATS64:
				if (st != NULL)
					parse_stats64(a, st);
				break;
			default:
				break; /* statistics, and what newer kernels add */
			}
		}
	}
	if (!found || addr == NULL || !have_port)
		return -EBADMSG;
	addr_from_attr(&d.addr, af, addr);
	d.addr.port = ntohs(port);
	*out = d;
	return 0;
}

static int
parse_dest(struct nlmsghdr *nlh, void *arg)
{
	struct rc_svc *s = arg;
	struct rc_dest d;
	int r = dest_walk(nlh, s->conf.af, &d, NULL);

	if (r == 0)
		rc_svc_add_dest(s, &d);
	return r;
}

/* ------------------------------------------------------------ traffic */

struct traffic_ctx {
	struct ipvs_traffic *t;
	int af;
	bool found;
};

static int
parse_service_stats(struct nlmsghdr *nlh, void *arg)
{
	struct traffic_ctx *x = arg;
	struct nlattr *cmd[IPVS_CMD_ATTR_MAX + 1], *a[IPVS_SVC_ATTR_MAX + 1];

	if (genlmsg_parse(nlh, 0, cmd, IPVS_CMD_ATTR_MAX, (struct nla_policy *)cmd_policy) < 0 ||
	    cmd[IPVS_CMD_ATTR_SERVICE] == NULL ||
	    nla_parse_nested(a, IPVS_SVC_ATTR_MAX, cmd[IPVS_CMD_ATTR_SERVICE],
		(struct nla_policy *)svc_policy) < 0)
		return -EBADMSG;
	if (a[IPVS_SVC_ATTR_STATS64] != NULL)
		parse_stats64(a[IPVS_SVC_ATTR_STATS64], &x->t->svcs[x->t->nsvcs].st);
	x->found = true;
	return 0;
}

static int
parse_dest_stats(struct nlmsghdr *nlh, void *arg)
{
	struct traffic_ctx *x = arg;
	struct ipvs_traffic *t = x->t;
	struct ipvs_traffic_dest *d;
	struct rc_dest rd;
	struct ipvs_stats st;
	int r;

	memset(&st, 0, sizeof(st));
	if ((r = dest_walk(nlh, x->af, &rd, &st)) < 0)
		return r;
	if (t->ndests == t->capdests) {
		t->capdests = t->capdests ? 2 * t->capdests : 64;
		t->dests = xreallocarray(t->dests, t->capdests, sizeof(*t->dests));
	}
	d = &t->dests[t->ndests++];
	d->svc = t->nsvcs;
	d->addr = rd.addr;
	d->active = rd.activeconns;
	d->inactive = rd.inactconns;
	d->st = st;
	return 0;
}

int
ipvs_traffic_read(struct ipvs *h, const struct rc_svc_conf *svcs, size_t n,
    struct ipvs_traffic *out)
{
	struct traffic_ctx x = { out, 0, false };
	size_t i;
	int r;

	ipvs_traffic_clear(out);
	out->svcs = xcalloc(n ? n : 1, sizeof(*out->svcs));
	for (i = 0; i < n; i++) {
		struct ipvs_traffic_svc *s = &out->svcs[out->nsvcs];

		memset(s, 0, sizeof(*s));
		s->conf = svcs[i];
		s->first = out->ndests;
		x.af = svcs[i].af;
		x.found = false;
		r = request(h, IPVS_CMD_GET_SERVICE, 0, &svcs[i], parse_service_stats, &x);
		if (r == -ESRCH || r == -ENOENT)
			continue; /* not in the kernel (yet): nothing to count */
		if (r == 0 && x.found)
			r = request(h, IPVS_CMD_GET_DEST, NLM_F_DUMP, &svcs[i], parse_dest_stats, &x);
		if (r == -ESRCH || r == -ENOENT) {
			out->ndests = s->first;
			continue; /* deleted between the two requests */
		}
		if (r < 0) {
			ipvs_traffic_clear(out);
			return r;
		}
		s->n = out->ndests - s->first;
		out->nsvcs++;
	}
	return 0;
}

void
ipvs_traffic_clear(struct ipvs_traffic *t)
{
	if (t == NULL)
		return;
	free(t->svcs);
	free(t->dests);
	memset(t, 0, sizeof(*t));
}

static int
parse_info(struct nlmsghdr *nlh, void *arg)
{
	unsigned *out = arg;
	struct nlattr *a[IPVS_INFO_ATTR_MAX + 1];

	if (genlmsg_parse(nlh, 0, a, IPVS_INFO_ATTR_MAX, (struct nla_policy *)info_policy) < 0 ||
	    a[IPVS_INFO_ATTR_VERSION] == NULL)
		return -EBADMSG;
	out[0] = nla_get_u32(a[IPVS_INFO_ATTR_VERSION]);
	out[1] = a[IPVS_INFO_ATTR_CONN_TAB_SIZE] ? nla_get_u32(a[IPVS_INFO_ATTR_CONN_TAB_SIZE]) : 0;
	return 0;
}

int
ipvs_info(struct ipvs *h, unsigned *version, unsigned *conn_tab_size)
{
	unsigned v[2] = {0, 0};
	int r;

	r = request(h, IPVS_CMD_GET_INFO, 0, NULL, parse_info, v);
	if (r < 0)
		return r;
	if (version != NULL)
		*version = v[0];
	if (conn_tab_size != NULL)
		*conn_tab_size = v[1];
	return 0;
}

/* ============================================================ sync daemon */

static const struct nla_policy daemon_policy[IPVS_DAEMON_ATTR_MAX + 1] = {
	[IPVS_DAEMON_ATTR_STATE] = {.type = NLA_U32},
	[IPVS_DAEMON_ATTR_MCAST_IFN] = {.type = NLA_STRING},
	[IPVS_DAEMON_ATTR_SYNC_ID] = {.type = NLA_U32},
	[IPVS_DAEMON_ATTR_SYNC_MAXLEN] = {.type = NLA_U16},
	[IPVS_DAEMON_ATTR_MCAST_GROUP] = {.type = NLA_U32},
	[IPVS_DAEMON_ATTR_MCAST_GROUP6] = {.minlen = sizeof(struct in6_addr)},
	[IPVS_DAEMON_ATTR_MCAST_PORT] = {.type = NLA_U16},
	[IPVS_DAEMON_ATTR_MCAST_TTL] = {.type = NLA_U8},
};

/* A daemon request: the nested IPVS_CMD_ATTR_DAEMON with the state, and for a start
 * the rest of d. */
static int
syncd_request(struct ipvs *h, int cmd, const struct ipvs_syncd *d, bool full)
{
	struct nl_msg *m;
	struct nlattr *nest;

	m = nlmsg_alloc();
	if (m == NULL)
		return -ENOMEM;
	if (genlmsg_put(m, NL_AUTO_PORT, ++h->seq, h->family, 0, NLM_F_ACK, cmd,
		IPVS_GENL_VERSION) == NULL ||
	    (nest = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON)) == NULL ||
	    nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, (uint32_t)d->state) < 0)
		goto toobig;
	if (full) {
		if (nla_put_string(m, IPVS_DAEMON_ATTR_MCAST_IFN, d->ifname) < 0 ||
		    nla_put_u32(m, IPVS_DAEMON_ATTR_SYNC_ID, d->syncid) < 0 ||
		    nla_put_u16(m, IPVS_DAEMON_ATTR_MCAST_PORT, (uint16_t)d->port) < 0 ||
		    nla_put_u8(m, IPVS_DAEMON_ATTR_MCAST_TTL, (uint8_t)d->ttl) < 0)
			goto toobig;
		if (d->group.af == AF_INET6 ?
		    nla_put(m, IPVS_DAEMON_ATTR_MCAST_GROUP6, sizeof(d->group.a.v6), &d->group.a.v6) < 0 :
		    d->group.af == AF_INET &&
		    nla_put(m, IPVS_DAEMON_ATTR_MCAST_GROUP, sizeof(d->group.a.v4), &d->group.a.v4) < 0)
			goto toobig;
	}
	nla_nest_end(m, nest);
	return transact_fenced(h, m);
toobig:
	nlmsg_free(m);
	return -EMSGSIZE;
}

int
ipvs_syncd_start(struct ipvs *h, const struct ipvs_syncd *d)
{
	int r;

	if (d->state != IPVS_SYNCD_MASTER && d->state != IPVS_SYNCD_BACKUP)
		return -EINVAL;
	r = syncd_request(h, IPVS_CMD_NEW_DAEMON, d, true);
	return r == 1 ? -EINTR : r; /* no answer: the kernel's -EINTR */
}

int
ipvs_syncd_stop(struct ipvs *h, int state)
{
	struct ipvs_syncd d = {.state = state};

	if (state != IPVS_SYNCD_MASTER && state != IPVS_SYNCD_BACKUP)
		return -EINVAL;
	return syncd_request(h, IPVS_CMD_DEL_DAEMON, &d, false);
}

struct syncd_list {
	struct ipvs_syncd *out;
	size_t n, max;
};

static int
parse_daemon(struct nlmsghdr *nlh, void *arg)
{
	struct syncd_list *l = arg;
	struct nlattr *ca[IPVS_CMD_ATTR_MAX + 1], *a[IPVS_DAEMON_ATTR_MAX + 1];
	struct ipvs_syncd *d;

	if (genlmsg_parse(nlh, 0, ca, IPVS_CMD_ATTR_MAX, (struct nla_policy *)cmd_policy) < 0 ||
	    ca[IPVS_CMD_ATTR_DAEMON] == NULL ||
	    nla_parse_nested(a, IPVS_DAEMON_ATTR_MAX, ca[IPVS_CMD_ATTR_DAEMON],
		(struct nla_policy *)daemon_policy) < 0 ||
	    a[IPVS_DAEMON_ATTR_STATE] == NULL)
		return -EBADMSG;
	if (l->n == l->max)
		return 0;
	d = &l->out[l->n++];
	memset(d, 0, sizeof(*d));
	d->state = (int)nla_get_u32(a[IPVS_DAEMON_ATTR_STATE]);
	if (a[IPVS_DAEMON_ATTR_MCAST_IFN] != NULL)
		nla_strlcpy(d->ifname, a[IPVS_DAEMON_ATTR_MCAST_IFN], sizeof(d->ifname));
	if (a[IPVS_DAEMON_ATTR_SYNC_ID] != NULL)
		d->syncid = nla_get_u32(a[IPVS_DAEMON_ATTR_SYNC_ID]);
	if (a[IPVS_DAEMON_ATTR_MCAST_PORT] != NULL)
		d->port = nla_get_u16(a[IPVS_DAEMON_ATTR_MCAST_PORT]);
	if (a[IPVS_DAEMON_ATTR_MCAST_TTL] != NULL)
		d->ttl = nla_get_u8(a[IPVS_DAEMON_ATTR_MCAST_TTL]);
	if (a[IPVS_DAEMON_ATTR_MCAST_GROUP6] != NULL)
		addr_from_attr(&d->group, AF_INET6, a[IPVS_DAEMON_ATTR_MCAST_GROUP6]);
	else if (a[IPVS_DAEMON_ATTR_MCAST_GROUP] != NULL)
		addr_from_attr(&d->group, AF_INET, a[IPVS_DAEMON_ATTR_MCAST_GROUP]);
	return 0;
}

int
ipvs_syncd_list(struct ipvs *h, struct ipvs_syncd *out, size_t max, size_t *n)
{
	struct syncd_list l = {out, 0, max};
	int r;

	r = request(h, IPVS_CMD_GET_DAEMON, NLM_F_DUMP, NULL, parse_daemon, &l);
	*n = r < 0 ? 0 : l.n;
	return r;
}

int
ipvs_dump(struct ipvs *h, struct rc_table *out)
{
	size_t i;
	int r;

	rc_table_clear(out);
	r = request(h, IPVS_CMD_GET_SERVICE, NLM_F_DUMP, NULL, parse_service, out);
	/* one dump at a time per socket: destinations service by service */
	for (i = 0; r == 0 && i < out->n; i++)
		r = request(h, IPVS_CMD_GET_DEST, NLM_F_DUMP, &out->svcs[i].conf, parse_dest,
		    &out->svcs[i]);
	if (r < 0) {
		rc_table_clear(out);
		return r;
	}
	(void)rc_table_sort(out, NULL);
	return 0;
}

/* ============================================================ batches */

/*
 * Test-only fault injection, for tests/integration/chaos-netlink and
 * dataplane-partial: there is no kernel knob that makes IPVS refuse a
 * request.  The kernel refuses requests one by one: it answers an error for
 * the request and carries on with the next one of the same sendmsg.  The
 * seam does the same: an operation it fails is left out of the datagram and
 * gets the injected error, and every other operation of the batch is sent.
 *
 * IPVSR_FAULT_NETLINK is a comma-separated list of rules, used in order:
 *   ERR:COUNT            the next COUNT batches (ipvs_apply calls) each have
 *                        their middle operation refused with ERR;
 *   ERR:COUNT@OP[#NTH]   the NTH (default 1st) and the COUNT-1 next
 *                        operations of type OP (add-svc, edit-svc, del-svc,
 *                        add-dest, edit-dest, del-dest), counted from when
 *                        the rule becomes current, are refused with ERR.
 * ERR: enomem, eperm, ebusy, einval, eio.  E.g. "enomem:3,eperm:2", or
 * "enomem:1@add-dest#3" (the third destination added fails).  Read once, at
 * the first ipvs_apply().  Always compiled in so that the tests exercise the
 * build that ships; each injected failure is logged as such.
 */
#define FAULT_RULES_MAX 8

struct fault_rule {
	int err, left;
	int type; /* RC_OP_TYPES: any (one per batch) */
	long nth, seen;
};

static struct fault_rule fault_rules[FAULT_RULES_MAX];
static size_t fault_n, fault_cur;

static void
fault_load(void)
{
	static const char *const types[RC_OP_TYPES] = {
	    "add-svc", "edit-svc", "del-svc", "add-dest", "edit-dest", "del-dest"};
	static bool loaded;
	const char *p;
	char name[16], op[16];
	int cnt, used, t;
	long nth;

	if (loaded)
		return;
	loaded = true;
	for (p = getenv("IPVSR_FAULT_NETLINK"); p != NULL && *p != '\0' &&
	     fault_n < FAULT_RULES_MAX; p += used) {
		struct fault_rule *f = &fault_rules[fault_n];

		used = 0;
		if (sscanf(p, "%15[a-z]:%d%n", name, &cnt, &used) != 2 || cnt < 0)
			break;
		f->type = RC_OP_TYPES;
		f->nth = 1;
		if (p[used] == '@') {
			int u2 = 0;

			if (sscanf(p + used, "@%15[a-z-]%n", op, &u2) != 1)
				break;
			used += u2;
			for (t = 0; t < RC_OP_TYPES && strcmp(op, types[t]) != 0; t++)
				;
			if (t == RC_OP_TYPES)
				break;
			f->type = t;
			if (p[used] == '#') {
				u2 = 0;
				if (sscanf(p + used, "#%ld%n", &nth, &u2) != 1 || nth < 1)
					break;
				used += u2;
				f->nth = nth;
			}
		}
		if (p[used] == ',')
			used++;
		f->left = cnt;
		f->err = strcmp(name, "enomem") == 0 ? -ENOMEM :
		    strcmp(name, "eperm") == 0 ? -EPERM :
		    strcmp(name, "ebusy") == 0 ? -EBUSY :
		    strcmp(name, "einval") == 0 ? -EINVAL : -EIO;
		fault_n++;
	}
}

/* Fill inj[i] with the error to inject for op i (0: send it).  Returns how
 * many are injected. */
static size_t
fault_pick(const struct rc_op *ops, size_t n, int *inj)
{
	struct fault_rule *f;
	size_t i, k = 0;

	fault_load();
	for (i = 0; i < n; i++)
		inj[i] = 0;
	while (fault_cur < fault_n && fault_rules[fault_cur].left == 0)
		fault_cur++;
	if (n == 0 || fault_cur == fault_n)
		return 0;
	f = &fault_rules[fault_cur];
	if (f->type == RC_OP_TYPES) {
		inj[n / 2] = f->err;
		f->left--;
		return 1;
	}
	for (i = 0; i < n && fault_cur < fault_n; i++) {
		f = &fault_rules[fault_cur];
		if ((int)ops[i].type != f->type || ++f->seen < f->nth)
			continue;
		inj[i] = f->err;
		k++;
		if (--f->left == 0)
			while (fault_cur < fault_n && fault_rules[fault_cur].left == 0)
				fault_cur++;
		if (fault_cur < fault_n && fault_rules[fault_cur].type == RC_OP_TYPES)
			break; /* a batch rule starts with the next batch */
	}
	return k;
}

int
ipvs_apply(struct ipvs *h, const struct rc_op *ops, size_t n, int *err)
{
	size_t i, start, end, len, k, failed = 0, nsent;
	uint32_t seq0, lastseq = 0;
	struct nl_msg *m;
	struct nlmsghdr *nlh, *src, *last;
	ssize_t got;
	bool done;
	int r = 0, rlen, *inj;
	char what[400];

	inj = xcalloc(n ? n : 1, sizeof(*inj));
	for (i = 0; i < n; i++)
		err[i] = -ECANCELED;
	if (fault_pick(ops, n, inj) > 0)
		for (i = 0; i < n; i++)
			if (inj[i] != 0)
				log_warnx("ipvs: IPVSR_FAULT_NETLINK: failing %s with %s (injected; "
					  "the other %zu of the batch are sent)",
				    rc_op_fmt(&ops[i], what, sizeof(what)), strerror(-inj[i]),
				    n - 1);
	for (start = 0; start < n; start = end) {
		/* fill a chunk */
		seq0 = h->seq + 1;
		len = 0;
		nsent = 0;
		last = NULL;
		for (end = start; end < n && end - start < h->chunk_ops; end++) {
			if (inj[end] != 0)
				continue; /* refused "by the kernel": not sent */
			m = build_op(h, &ops[end]);
			if (m == NULL) {
				err[end] = -ENOMEM;
				r = -ENOMEM;
				break;
			}
			src = nlmsg_hdr(m);
			if (len + NLMSG_ALIGN(src->nlmsg_len) > h->chunk_bytes && nsent > 0) {
				nlmsg_free(m);
				break;
			}
			last = (struct nlmsghdr *)(h->sbuf + len);
			memcpy(last, src, src->nlmsg_len);
			last->nlmsg_seq = seq0 + (uint32_t)(end - start);
			last->nlmsg_pid = 0;
			last->nlmsg_flags = NLM_F_REQUEST;
			len += NLMSG_ALIGN(src->nlmsg_len);
			nsent++;
			nlmsg_free(m);
		}
		for (k = start; k < end; k++)
			if (inj[k] != 0)
				err[k] = inj[k];
		if (end == start)
			break;
		if (last == NULL) {
			if (r < 0)
				break;
			continue; /* every operation of the chunk injected */
		}
		/* only the last one is ACKed: errors of the others come before it */
		last->nlmsg_flags |= NLM_F_ACK;
		lastseq = last->nlmsg_seq;
		h->seq = seq0 + (uint32_t)(end - start - 1);

		r = send_buf(h, h->sbuf, len);
		h->ctr.sends++;
		if (r < 0) {
			for (k = start; k < end; k++)
				if (inj[k] == 0)
					err[k] = r;
			break;
		}
		h->ctr.writes += nsent;
		for (k = start; k < end; k++)
			if (inj[k] == 0)
				err[k] = 0;

		/* collect the answers: errors, then the ACK of the last request */
		for (done = false; !done;) {
			got = recv_buf(h);
			if (got < 0) {
				/* ENOBUFS: answers were dropped; nothing is known for sure */
				r = (int)got;
				for (k = start; k < end; k++)
					if (inj[k] == 0)
						err[k] = r;
				goto out;
			}
			rlen = (int)got;
			for (nlh = (struct nlmsghdr *)h->rbuf; NLMSG_OK(nlh, (unsigned)rlen);
			     nlh = NLMSG_NEXT(nlh, rlen)) {
				struct nlmsgerr *e;
				/* modulo 2^32: sequence numbers wrap */
				uint32_t off = nlh->nlmsg_seq - seq0;

				if (nlh->nlmsg_type != NLMSG_ERROR ||
				    off >= (uint32_t)(end - start) ||
				    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					continue;
				e = NLMSG_DATA(nlh);
				err[start + off] = e->error;
				if (nlh->nlmsg_seq == lastseq)
					done = true;
			}
		}
		if (r < 0)
			break;
	}
out:
	free(inj);
	for (i = 0; i < n; i++)
		if (err[i] != 0)
			failed++;
	h->ctr.failed += failed;
	if (r < 0 && r != -ENOMEM)
		return r;
	return (int)failed;
}

/* ============================================================ errors */

static const char *
err_hint(const struct rc_op *op, int err)
{
	bool svc = op->type <= RC_DEL_SVC;

	switch (err) {
	case -ESRCH:
		return "the service does not exist";
	case -EEXIST:
		return svc ? "the service exists already" : "the destination exists already";
	case -ENOENT:
		if (op->type == RC_ADD_SVC || op->type == RC_EDIT_SVC)
			return "unknown scheduler: is its module (ip_vs_SCHED) available?";
		return "the destination does not exist";
	case -EINVAL:
		if ((op->type == RC_ADD_SVC || op->type == RC_EDIT_SVC) &&
		    strcmp(op->svc.sched, "mh") == 0)
			return "mh holds at most 4093 destinations per service";
		/* ip_vs_new_dest: inet_addr_type() must say local or unicast; a
		 * namespace that has no address at all (lo down) has no local
		 * table, and every IPv4 address is then "broadcast" */
		if (op->type == RC_ADD_DEST)
			return "the kernel does not see a unicast address: is it one, and does "
			       "this network namespace have its addresses (lo up)?";
		return "the kernel refused the attributes";
	case -ERANGE:
		return "weight or thresholds out of range";
	case -EPERM:
	case -EACCES:
		return "needs CAP_NET_ADMIN";
	case -ENOBUFS:
		return "answers were lost, the table will be re-read";
	case -ECANCELED:
		return "not sent: an earlier request failed";
	default:
		return NULL;
	}
}

char *
ipvs_op_strerror(const struct rc_op *op, int err, char *buf, size_t len)
{
	char what[400];
	const char *hint = err_hint(op, err);

	rc_op_fmt(op, what, sizeof(what));
	if (hint != NULL)
		snprintf(buf, len, "%s: %s (%s)", what, strerror(-err), hint);
	else
		snprintf(buf, len, "%s: %s", what, strerror(-err));
	return buf;
}

/* ============================================================ sysctl */

int
ipvs_sysctl_get(const char *name, int *value)
{
	char path[128], buf[32];
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	buf[n < 0 ? 0 : n] = '\0';
	*value = atoi(buf);
	return 0;
}

int
ipvs_sysctl_set(const char *name, int value)
{
	char path[128], buf[32];
	int fd, r = 0, len;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	if (write(fd, buf, (size_t)len) != len)
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}
