/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kad_convert.c - keepalived.conf (a kad tree) into an ipvs-router configuration.
 * See kad_convert.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kad_convert.h"
#include "model.h"
#include "util.h"

#define CV_VIPS_MAX 256
#define CV_PEERS_MAX 16

struct cv_vip {
	char name[64];
	char addr[SOCKADDR_X_STRLEN];
	int vrid;
	int prio;
	int advert_ms;
	int preempt;		/* -1: keepalived's default (preempt) */
	int preempt_delay_ms;
	char iface[32];
	char eip[64];		/* from a notify script running "aws ec2 associate-address" */
	bool unmanaged;		/* no vrrp_instance held the address */
	bool own_vrid;		/* not the instance's first address: a vrid of its own */
	const struct kad_node *node;	/* where it came from (an instance, a virtual_server) */
	struct tbuf head;	/* comments before the VIP */
	struct tbuf services;
	bool from_instance;
};

struct cv {
	const struct kad_doc *doc;
	const struct kad_io *io;
	char notify[512];	/* election.notify.command, one word per argument */
	const struct kad_node *notify_node;
	struct errlist *notes;
	struct cv_vip vips[CV_VIPS_MAX];
	size_t nvips;
	struct tbuf top;	/* comments at the top */
	struct tbuf pools;
	char self[64];
	char self_addr[SOCKADDR_X_STRLEN];
	char iface[32];
	char peers[CV_PEERS_MAX][SOCKADDR_X_STRLEN];
	size_t npeers;
	int advert_ms;
	bool election;
	bool vrid_used[256];
	bool exec;
};

static void cv_note(struct cv *cv, const struct kad_node *n, struct tbuf *where,
    const char *fmt, ...) PRINTF_LIKE(4, 5);
static void cv_notify(struct cv *cv, const struct kad_node *in, struct cv_vip *v);

/* The node's text as it stood: "word arg arg" (a block gets " { ... }"). */
static void
node_text(const struct kad_node *n, char *buf, size_t len)
{
	size_t i, o;

	o = (size_t)snprintf(buf, len, "%s", n->word);
	for (i = 0; i < n->nargs && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, " %s", n->args[i]);
	if (n->block && o < len)
		snprintf(buf + o, len - o, " { ... }");
}

/* "# keepalived: TEXT (not converted: WHY)" in where, and a note FILE:LINE for stderr */
static void
cv_note(struct cv *cv, const struct kad_node *n, struct tbuf *where, const char *fmt, ...)
{
	char text[256], *why;
	va_list ap;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	node_text(n, text, sizeof(text));
	if (where != NULL)
		tbuf_printf(where, "# keepalived: %s (not converted: %s)\n", text, why);
	errlist_add(cv->notes, n->file, n->line, NULL, "%s: not converted: %s", n->word, why);
	free(why);
}

/* A name ipvs-router takes: letters, digits, '.', '_', '-' (others become '-'). */
static void
name_of(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len && i < 63; i++)
		out[i] = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-' ?
		    s[i] : '-';
	out[i] = '\0';
	if (i == 0)
		snprintf(out, len, "x");
}

/* s as the inside of a libconfig string: '"' and '\\' escaped, control characters dropped. */
static const char *
q(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < len; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			continue;
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/* keepalived's seconds (maybe fractional) as milliseconds; -1 when not a number. */
static int
seconds_ms(const char *s)
{
	char *end;
	double v;

	if (s == NULL)
		return -1;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || v < 0 || v > 86400)
		return -1;
	return (int)(v * 1000 + 0.5);
}

static int
int_of(const char *s, int lo, int hi)
{
	long long v;

	return s != NULL && parse_int(s, lo, hi, &v) == 0 ? (int)v : -1;
}

/* The address of "192.0.2.1/24 dev eth0": 0 and its text, or -EINVAL. */
static int
addr_of(const char *s, char *out, size_t len)
{
	char buf[SOCKADDR_X_STRLEN + 8];
	struct sockaddr_x a;

	snprintf(buf, sizeof(buf), "%s", s);
	buf[strcspn(buf, "/")] = '\0';
	if (sockaddr_x_parse(buf, false, &a) < 0)
		return -EINVAL;
	sockaddr_x_fmt_addr(&a, out, len);
	return 0;
}

static struct cv_vip *
vip_of_addr(struct cv *cv, const char *addr)
{
	size_t i;

	for (i = 0; i < cv->nvips; i++)
		if (strcmp(cv->vips[i].addr, addr) == 0)
			return &cv->vips[i];
	return NULL;
}

static int
free_vrid(struct cv *cv, int from)
{
	int v;

	for (v = from > 0 ? from : 1; v < 256; v++)
		if (!cv->vrid_used[v])
			return v;
	for (v = 1; v < 256; v++)
		if (!cv->vrid_used[v])
			return v;
	return -1;
}

static struct cv_vip *
vip_new(struct cv *cv, const char *name, const char *addr)
{
	struct cv_vip *v;
	char base[64];
	size_t i, k = 1;

	if (cv->nvips == CV_VIPS_MAX)
		return NULL;
	v = &cv->vips[cv->nvips++];
	memset(v, 0, sizeof(*v));
	tbuf_init(&v->head);
	tbuf_init(&v->services);
	name_of(name, base, sizeof(base));
	snprintf(v->name, sizeof(v->name), "%s", base);
	for (i = 0; i + 1 < cv->nvips; i++) /* unique: NAME, NAME-2, ... */
		if (strcmp(cv->vips[i].name, v->name) == 0) {
			snprintf(v->name, sizeof(v->name), "%.55s-%zu", base, ++k);
			i = (size_t)-1;
		}
	snprintf(v->addr, sizeof(v->addr), "%s", addr);
	v->preempt = -1;
	v->vrid = -1;
	return v;
}

/* ------------------------------------------------------------ notify */

/* "eipalloc-..." after --allocation-id in text, into out; true when found. */
static bool
eip_in(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, "associate-address"), *a;
	size_t n;

	if (p == NULL || (a = strstr(p, "--allocation-id")) == NULL)
		return false;
	a += strlen("--allocation-id");
	while (*a == ' ' || *a == '=' || *a == '\t' || *a == '"' || *a == '\'')
		a++;
	n = strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (n < 10 || strncmp(a, "eipalloc-", 9) != 0 || n >= len)
		return false;
	memcpy(out, a, n);
	out[n] = '\0';
	return true;
}

/*
 * The instance's notify commands.  "notify SCRIPT" (every state) becomes
 * election.notify; a notify_master that runs the AWS CLI to move an Elastic IP (in
 * its own words, or in the script it names) becomes the VIP's eip stanza: ipvs-router
 * moves it itself.  The rest are noted.
 */
static void
cv_notify(struct cv *cv, const struct kad_node *in, struct cv_vip *v)
{
	struct tbuf *where = v != NULL ? &v->head : &cv->top;
	size_t i;

	for (i = 0; i < in->nkids; i++) {
		const struct kad_node *k = &in->kids[i];
		char *script = NULL, word[256];
		bool aws;

		if (strncmp(k->word, "notify", 6) != 0 || k->nargs == 0)
			continue;
		snprintf(word, sizeof(word), "%s", k->args[0]);
		word[strcspn(word, " \t")] = '\0';
		aws = v != NULL && strcmp(k->word, "notify_master") == 0 && eip_in(k->args[0], v->eip,
		    sizeof(v->eip));
		if (!aws && v != NULL && strcmp(k->word, "notify_master") == 0 && cv->io != NULL &&
		    cv->io->load(cv->io->arg, word, &script) == 0) {
			aws = eip_in(script, v->eip, sizeof(v->eip));
			free(script);
		}
		if (aws) {
			tbuf_printf(where, "# keepalived's notify_master (%s) moved the Elastic IP %s "
			    "with the AWS CLI; ipvs-router moves it itself on becoming master "
			    "(IMDSv2 credentials, SigV4, retries, a read-back): the eip stanza below. "
			    "The role needs ec2:AssociateAddress and ec2:DescribeAddresses; check "
			    "with ipvs-router doctor\n", word, v->eip);
			errlist_add(cv->notes, k->file, k->line, NULL, "%s: converted into vip %s's "
			    "eip stanza (%s)", k->word, v->name, v->eip);
		} else if (strcmp(k->word, "notify") == 0 && cv->notify[0] == '\0') {
			snprintf(cv->notify, sizeof(cv->notify), "%s", k->args[0]);
			cv->notify_node = k;
		} else if (strcmp(k->word, "notify") == 0) {
			cv_note(cv, k, where, "one notify command for every VIP here: the first "
			    "instance's is kept");
		} else {
			cv_note(cv, k, where, "ipvs-router runs one command on every change, with the "
			    "VIP's name and its new state (MASTER, BACKUP, FAULT, STOP) appended: "
			    "election.notify; a wrapper can dispatch on the state");
		}
	}
}

/* ------------------------------------------------------------ vrrp_instance */

static void
cv_instance(struct cv *cv, const struct kad_node *in)
{
	const struct kad_node *k, *vips = kad_find(in, "virtual_ipaddress");
	struct tbuf notes;
	int vrid = int_of(kad_arg(in, "virtual_router_id"), 1, 255);
	int prio = int_of(kad_arg(in, "priority"), 1, 255);
	const char *state = kad_arg(in, "state");
	size_t i, j, nv = 0;

	tbuf_init(&notes);
	if (prio < 0)
		prio = state != NULL && strcmp(state, "MASTER") == 0 ? 255 : 100;
	if (prio > 254)
		prio = 254; /* keepalived's 255 is the address owner; ipvs-router's priorities end at 254 */
	for (i = 0; i < in->nkids; i++) {
		k = &in->kids[i];
		if (strcmp(k->word, "unicast_src_ip") == 0 && k->nargs > 0) {
			if (cv->self_addr[0] == '\0')
				(void)addr_of(k->args[0], cv->self_addr, sizeof(cv->self_addr));
		} else if (strcmp(k->word, "unicast_peer") == 0) {
			for (j = 0; j < k->nkids; j++) {
				const struct kad_node *p = &k->kids[j];
				char a[SOCKADDR_X_STRLEN];
				size_t t, q;
				bool dup;

				for (t = 0; t <= p->nargs; t++) {
					const char *w = t == 0 ? p->word : p->args[t - 1];

					if (strcmp(w, "min_ttl") == 0 || strcmp(w, "max_ttl") == 0) {
						t++;
						continue;
					}
					if (addr_of(w, a, sizeof(a)) < 0)
						continue;
					for (q = 0, dup = false; q < cv->npeers; q++)
						dup = dup || strcmp(cv->peers[q], a) == 0;
					if (!dup && cv->npeers < CV_PEERS_MAX)
						snprintf(cv->peers[cv->npeers++], sizeof(cv->peers[0]), "%s",
						    a);
				}
			}
		} else if (strcmp(k->word, "interface") == 0 && k->nargs > 0) {
			if (cv->iface[0] == '\0')
				snprintf(cv->iface, sizeof(cv->iface), "%s", k->args[0]);
		} else if (strcmp(k->word, "advert_int") == 0) {
			if (cv->advert_ms < 0)
				cv->advert_ms = seconds_ms(kad_arg(in, "advert_int"));
		} else if (strcmp(k->word, "authentication") == 0) {
			cv_note(cv, k, &notes, "ipvs-router's adverts are plain VRRPv3 (auth = \"none\", "
			    "what keepalived interoperates with) or HMAC-SHA256 with a key file "
			    "(election.auth_key_file: openssl rand -out /etc/ipvs-router/vrrp.key 32, the "
			    "same file on every router) once no keepalived is left");
		} else if (strcmp(k->word, "state") == 0 || strcmp(k->word, "virtual_router_id") == 0 ||
		    strcmp(k->word, "priority") == 0 || strcmp(k->word, "virtual_ipaddress") == 0 ||
		    strcmp(k->word, "nopreempt") == 0 || strcmp(k->word, "preempt_delay") == 0 ||
		    strcmp(k->word, "garp_master_delay") == 0 || strcmp(k->word, "version") == 0) {
			continue; /* below, or nothing to say */
		} else if (strncmp(k->word, "notify", 6) == 0 && k->nargs > 0) {
			continue; /* cv_notify, below */
		} else if (strcmp(k->word, "track_script") == 0) {
			cv_note(cv, k, &notes, "no tracking scripts here: a VIP follows its pools' "
			    "health (on_pool_failure) and its interface");
		} else if (strcmp(k->word, "track_interface") == 0) {
			cv_note(cv, k, &notes, "election.track_interface = true watches each VIP's own "
			    "interface only");
		} else {
			cv_note(cv, k, &notes, "no equivalent");
		}
	}
	for (i = 0; vips != NULL && i < vips->nkids; i++) {
		const struct kad_node *a = &vips->kids[i];
		char addr[SOCKADDR_X_STRLEN];
		struct cv_vip *v;

		if (addr_of(a->word, addr, sizeof(addr)) < 0) {
			cv_note(cv, a, &notes, "not an address");
			continue;
		}
		if ((v = vip_new(cv, in->nargs > 0 ? in->args[0] : "vip", addr)) == NULL)
			break;
		v->from_instance = true;
		v->node = in;
		v->prio = prio;
		v->preempt = kad_find(in, "nopreempt") != NULL ? 0 : -1;
		v->preempt_delay_ms = seconds_ms(kad_arg(in, "preempt_delay"));
		if (kad_arg(in, "interface") != NULL)
			snprintf(v->iface, sizeof(v->iface), "%s", kad_arg(in, "interface"));
		if (nv++ == 0 && vrid > 0 && !cv->vrid_used[vrid]) {
			v->vrid = vrid;
		} else {
			v->vrid = free_vrid(cv, vrid);
			v->own_vrid = true;
		}
		if (v->vrid > 0)
			cv->vrid_used[v->vrid] = true;
		if (a->nargs > 0) {
			size_t t;

			for (t = 0; t + 1 < a->nargs; t += 2)
				if (strcmp(a->args[t], "dev") == 0)
					snprintf(v->iface, sizeof(v->iface), "%s", a->args[t + 1]);
		}
		if (nv == 1 && notes.len > 0)
			tbuf_puts(&v->head, notes.s);
	}
	if (nv == 0 && notes.len > 0)
		tbuf_puts(&cv->top, notes.s);
	tbuf_free(&notes);
	cv_notify(cv, in, nv > 0 ? &cv->vips[cv->nvips - nv] : NULL);
}

/* ------------------------------------------------------------ checks */

static void
put_timeouts(struct tbuf *o, const struct kad_node *ck, int interval_ms)
{
	int t = seconds_ms(kad_arg(ck, "connect_timeout"));
	int retry = int_of(kad_arg(ck, "retry"), 0, 100);

	if (retry < 0)
		retry = int_of(kad_arg(ck, "nb_get_retry"), 0, 100);
	if (t > 0) {
		if (interval_ms > 0 && t > interval_ms)
			t = interval_ms;
		tbuf_printf(o, " timeout_ms = %d;", t);
	}
	if (retry >= 0)
		tbuf_printf(o, " fall = %d;", retry + 1);
	if (int_of(kad_arg(ck, "connect_port"), 1, 65535) > 0)
		tbuf_printf(o, " port = %d;", int_of(kad_arg(ck, "connect_port"), 1, 65535));
}

/* The pool's check from a real_server's checker. */
static void
cv_check(struct cv *cv, const struct kad_node *rs, int interval_ms, struct tbuf *o,
    struct tbuf *head)
{
	static const char *const others[] = {"SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK",
	    "BFD_CHECK", "FILE_CHECK", NULL};
	const struct kad_node *ck;
	char qb[1024];
	size_t i, nurl;

	tbuf_puts(o, "check = {");
	if ((ck = kad_find(rs, "TCP_CHECK")) != NULL) {
		tbuf_puts(o, " type = \"tcp\";");
	} else if ((ck = kad_find(rs, "HTTP_GET")) != NULL ||
	    (ck = kad_find(rs, "SSL_GET")) != NULL) {
		const struct kad_node *url = kad_find(ck, "url");
		bool ssl = strcmp(ck->word, "SSL_GET") == 0;

		tbuf_printf(o, " type = \"%s\";", ssl ? "https" : "http");
		if (url != NULL && kad_arg(url, "path") != NULL)
			tbuf_printf(o, " path = \"%s\";", q(kad_arg(url, "path"), qb, sizeof(qb)));
		if (url != NULL && int_of(kad_arg(url, "status_code"), 100, 599) > 0)
			tbuf_printf(o, " expect = [ %d ];", int_of(kad_arg(url, "status_code"), 100, 599));
		if (url != NULL && kad_find(url, "digest") != NULL)
			cv_note(cv, kad_find(url, "digest"), head, "ipvs-router checks the status and, "
			    "with check.body, a text the body must contain; no digest");
		for (i = 0, nurl = 0; i < ck->nkids; i++)
			if (strcmp(ck->kids[i].word, "url") == 0 && nurl++ > 0)
				cv_note(cv, &ck->kids[i], head, "one URL per check: the first is kept");
		if (ssl) {
			tbuf_puts(o, " verify = false;");
			tbuf_puts(head, "# keepalived's SSL_GET does not verify the certificate: "
			    "verify = false keeps that; set ca_file and drop it to verify\n");
		}
	} else if ((ck = kad_find(rs, "MISC_CHECK")) != NULL) {
		const char *path = kad_arg(ck, "misc_path");
		char *copy = xstrdup(path ? path : "/bin/false"), *w, *save = NULL;
		const char *sep = "";
		int t = seconds_ms(kad_arg(ck, "misc_timeout"));

		tbuf_puts(o, " type = \"exec\"; command = [");
		for (w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
			tbuf_printf(o, "%s \"%s\"", sep, q(w, qb, sizeof(qb)));
			sep = ",";
		}
		tbuf_puts(o, " ];");
		free(copy);
		if (t > 0)
			tbuf_printf(o, " timeout_ms = %d;", interval_ms > 0 && t > interval_ms ?
			    interval_ms : t);
		if (kad_find(ck, "misc_dynamic") != NULL)
			cv_note(cv, kad_find(ck, "misc_dynamic"), head, "the exit status is up or "
			    "down; it does not set the weight");
		cv->exec = true;
		ck = NULL;
	} else {
		for (i = 0; others[i] != NULL && (ck = kad_find(rs, others[i])) == NULL; i++)
			;
		if (ck != NULL)
			cv_note(cv, ck, head, "no such check here: a TCP connection to the server "
			    "instead");
		tbuf_puts(o, ck != NULL ? " type = \"tcp\";" : " type = \"none\";");
		ck = NULL;
	}
	if (interval_ms > 0)
		tbuf_printf(o, " interval_ms = %d;", interval_ms);
	if (ck != NULL)
		put_timeouts(o, ck, interval_ms);
	tbuf_puts(o, " };");
}

/* ------------------------------------------------------------ virtual_server */

static const char *
method_of(const char *k)
{
	if (k == NULL || strcmp(k, "DR") == 0)
		return "dr";
	if (strcmp(k, "NAT") == 0)
		return "nat";
	if (strcmp(k, "TUN") == 0)
		return "tun";
	return NULL;
}

static void
cv_server_block(struct cv *cv, const struct kad_node *vs, const char *pool, int vport,
    const char *method)
{
	struct tbuf head, servers, check;
	int interval = seconds_ms(kad_arg(vs, "delay_loop"));
	size_t i, nrs = 0, inhibit = 0;
	bool check_done = false;

	tbuf_init(&head);
	tbuf_init(&servers);
	tbuf_init(&check);
	if (interval < 0)
		interval = 60000; /* keepalived's default delay_loop */
	for (i = 0; i < vs->nkids; i++) {
		const struct kad_node *rs = &vs->kids[i];
		char a[SOCKADDR_X_STRLEN];
		int port, w;

		if (strcmp(rs->word, "real_server") != 0)
			continue;
		if (rs->nargs < 1 || addr_of(rs->args[0], a, sizeof(a)) < 0) {
			cv_note(cv, rs, &head, "not an address");
			continue;
		}
		nrs++;
		port = rs->nargs > 1 ? int_of(rs->args[1], 0, 65535) : 0;
		w = int_of(kad_arg(rs, "weight"), 0, 65535);
		tbuf_printf(&servers, "%s{ address = \"%s\";", nrs > 1 ? ",\n        " : "", a);
		if (port > 0 && port != vport) {
			if (strcmp(method, "dr") == 0)
				cv_note(cv, rs, &head, "direct routing keeps the port: %d is the "
				    "service's %d", port, vport);
			else
				tbuf_printf(&servers, " port = %d;", port);
		}
		if (w >= 0 && w != 1)
			tbuf_printf(&servers, " weight = %d;", w);
		tbuf_puts(&servers, " }");
		inhibit += kad_find(rs, "inhibit_on_failure") != NULL;
		if (!check_done) {
			cv_check(cv, rs, interval, &check, &head);
			check_done = true;
		} else {
			struct tbuf other, junk;
			struct errlist quiet;

			tbuf_init(&other);
			tbuf_init(&junk);
			errlist_init(&quiet);
			{
				struct errlist *keep = cv->notes;
				bool exec = cv->exec;

				cv->notes = &quiet;
				cv_check(cv, rs, interval, &other, &junk);
				cv->notes = keep;
				cv->exec = exec;
			}
			if (strcmp(other.s, check.s) != 0) {
				tbuf_printf(&head, "# keepalived: real_server %s's check differs from "
				    "the first server's; one check per pool here (the first's): %s\n", a,
				    other.s);
				errlist_add(cv->notes, rs->file, rs->line, NULL, "real_server %s: its "
				    "check is not kept: one check per pool (the first server's)", a);
			}
			tbuf_free(&other);
			tbuf_free(&junk);
			errlist_clear(&quiet);
		}
	}
	if (!check_done)
		tbuf_printf(&check, "check = { type = \"none\"; };");
	tbuf_printf(&cv->pools, "%s", head.len ? head.s : "");
	tbuf_printf(&cv->pools, "  { name = \"%s\"; %s\n", pool, check.s);
	if (inhibit == 0 && nrs > 0)
		tbuf_puts(&cv->pools, "    remove_failed = true;   # keepalived removes a failed "
		    "server (no inhibit_on_failure)\n");
	else if (inhibit < nrs)
		tbuf_puts(&cv->pools, "    # keepalived: inhibit_on_failure on some servers only: "
		    "here a failed server gets weight 0, as with it\n");
	tbuf_printf(&cv->pools, "    servers = ( %s ); },\n", servers.len ? servers.s : "");
	tbuf_free(&head);
	tbuf_free(&servers);
	tbuf_free(&check);
}

static void
cv_virtual_server(struct cv *cv, const struct kad_node *vs, const char *ip, int port,
    unsigned fwmark)
{
	static const char *const known[] = {"delay_loop", "lb_algo", "lvs_sched", "lb_kind",
	    "lvs_method", "persistence_timeout", "protocol", "real_server", NULL};
	char addr[SOCKADDR_X_STRLEN], pool[96], qb[128];
	const char *algo = kad_arg(vs, "lb_algo") ? kad_arg(vs, "lb_algo") : kad_arg(vs, "lvs_sched");
	const char *kind = kad_arg(vs, "lb_kind") ? kad_arg(vs, "lb_kind") : kad_arg(vs, "lvs_method");
	const char *method = method_of(kind), *proto = kad_arg(vs, "protocol");
	int persist = int_of(kad_arg(vs, "persistence_timeout"), 1, 2678400);
	struct cv_vip *v;
	size_t i, k;

	if (fwmark == 0 && addr_of(ip, addr, sizeof(addr)) < 0) {
		cv_note(cv, vs, &cv->top, "not an address");
		return;
	}
	if (fwmark != 0) { /* an fwmark service belongs to a VIP here: the first one */
		v = cv->nvips > 0 ? &cv->vips[0] : NULL;
		if (v == NULL) {
			cv_note(cv, vs, &cv->top, "an fwmark service needs a VIP to sit on: none");
			return;
		}
	} else if ((v = vip_of_addr(cv, addr)) == NULL) {
		if ((v = vip_new(cv, addr, addr)) == NULL)
			return;
		v->unmanaged = true;
		v->prio = cv->nvips > 1 && cv->vips[0].prio > 0 ? cv->vips[0].prio : 100;
		tbuf_printf(&v->head, "# no vrrp_instance holds %s in keepalived.conf: keepalived "
		    "did not move the address, so neither does this (manage_address = false)\n",
		    addr);
		for (k = 0; v->name[k] != '\0'; k++)
			if (v->name[k] == ':')
				v->name[k] = '-';
		if (cv->election) {
			v->vrid = free_vrid(cv, 1);
			if (v->vrid > 0)
				cv->vrid_used[v->vrid] = true;
			tbuf_printf(&v->head, "# its services follow an election of their own here "
			    "(vrid %d)\n", v->vrid);
		}
	}
	if (method == NULL) {
		cv_note(cv, vs, &v->services, "lb_kind %s: dr, nat or tun", kind);
		method = "dr";
	}
	if (fwmark != 0)
		snprintf(pool, sizeof(pool), "%s-fwmark%u", v->name, fwmark);
	else if (proto != NULL && strcmp(proto, "TCP") != 0)
		snprintf(pool, sizeof(pool), "%s-%d-%s", v->name, port,
		    strcmp(proto, "UDP") == 0 ? "udp" : "sctp");
	else
		snprintf(pool, sizeof(pool), "%s-%d", v->name, port);
	if (cv->pools.s != NULL) { /* the same address, port and protocol twice */
		char key[120];

		snprintf(key, sizeof(key), "{ name = \"%s\";", pool);
		if (strstr(cv->pools.s, key) != NULL) {
			cv_note(cv, vs, &v->services, "the same address, port and protocol as an "
			    "earlier virtual_server: the first is kept");
			return;
		}
	}
	for (i = 0; i < vs->nkids; i++) {
		const struct kad_node *k2 = &vs->kids[i];
		bool ok = false;

		for (k = 0; known[k] != NULL; k++)
			ok = ok || strcmp(k2->word, known[k]) == 0;
		if (!ok)
			cv_note(cv, k2, &v->services, "no equivalent");
	}
	if (algo != NULL && !scheduler_known(algo))
		cv_note(cv, kad_find(vs, "lb_algo") ? kad_find(vs, "lb_algo") : kad_find(vs,
		    "lvs_sched"), &v->services, "not a scheduler IPVS has: the default (mh with an "
		    "election, wlc without)");
	if (fwmark != 0)
		tbuf_printf(&v->services, "      { fwmark = %u;", fwmark);
	else
		tbuf_printf(&v->services, "      { port = %d;", port);
	if (proto != NULL && strcmp(proto, "TCP") != 0 && fwmark == 0)
		tbuf_printf(&v->services, " protocol = \"%s\";", strcmp(proto, "UDP") == 0 ? "udp" :
		    "sctp");
	tbuf_printf(&v->services, " pool = \"%s\";", pool);
	if (algo != NULL && scheduler_known(algo))
		tbuf_printf(&v->services, " scheduler = \"%s\";", q(algo, qb, sizeof(qb)));
	if (strcmp(method, "dr") != 0)
		tbuf_printf(&v->services, " method = \"%s\";", method);
	if (persist > 0)
		tbuf_printf(&v->services, " persistence_timeout_s = %d;", persist);
	tbuf_puts(&v->services, " },\n");
	cv_server_block(cv, vs, pool, port, method);
}

/* ------------------------------------------------------------ the whole */

static void
put_vip(struct cv *cv, const struct cv_vip *v, struct tbuf *out)
{
	char qb[128];
	size_t p;

	if (v->head.len)
		tbuf_puts(out, v->head.s);
	if (v->services.len == 0) { /* a bare floating address: a VIP here has services */
		tbuf_printf(out, "# keepalived: %s moved by vrrp_instance %s (not converted: a VIP "
		    "here carries IPVS services; move a bare address such as a gateway with "
		    "election.notify, as conf/onprem-l2.conf does)\n", v->addr,
		    v->node != NULL && v->node->nargs > 0 ? v->node->args[0] : "?");
		if (v->node != NULL)
			errlist_add(cv->notes, v->node->file, v->node->line, NULL, "%s: address %s not "
			    "converted: it has no virtual_server (a VIP here carries IPVS services)",
			    v->node->word, v->addr);
		return;
	}
	if (v->own_vrid)
		tbuf_printf(out, "# keepalived moved %s with the other addresses of %s (vrid %s); "
		    "here each VIP has an election of its own: vrid %d (side by side with "
		    "keepalived, give it an instance of its own with that vrid first, or the address "
		    "has a master on each side)\n", v->addr,
		    v->node->nargs > 0 ? v->node->args[0] : "?",
		    kad_arg(v->node, "virtual_router_id") ? kad_arg(v->node, "virtual_router_id") : "?",
		    v->vrid);
	tbuf_printf(out, "  { name = \"%s\"; address = \"%s\";", v->name, v->addr);
	if (cv->election && v->vrid > 0) {
		tbuf_printf(out, " vrid = %d;\n    priority = { %s = %d;", v->vrid, cv->self, v->prio);
		for (p = 0; p < cv->npeers; p++)
			tbuf_printf(out, " peer%zu = %d;", p + 1,
			    v->prio > 1 + (int)p ? v->prio - 1 - (int)p : 1);
		tbuf_puts(out, " };   # the peers' priorities: set them from their keepalived.conf");
	}
	if (v->iface[0] != '\0' && strcmp(v->iface, cv->iface) != 0)
		tbuf_printf(out, "\n    interface = \"%s\";", q(v->iface, qb, sizeof(qb)));
	if (v->preempt == 0)
		tbuf_puts(out, "\n    preempt = false;");
	if (v->preempt_delay_ms > 0)
		tbuf_printf(out, "\n    preempt_delay_ms = %d;", v->preempt_delay_ms);
	if (v->eip[0] != '\0')
		tbuf_printf(out, "\n    manage_address = false;   # the Elastic IP maps to the "
		    "instance; no address to add\n    eip = { allocation_id = \"%s\"; };", v->eip);
	else if (v->unmanaged)
		tbuf_puts(out, "\n    manage_address = false;");
	if (v->services.len) {
		tbuf_puts(out, "\n    services = (\n");
		tbuf_puts(out, v->services.s);
		tbuf_puts(out, "    ); },\n");
	} else {
		tbuf_puts(out, " },\n");
	}
}

/* Drop the comma before a list's closing parenthesis: libconfig refuses a trailing one. */
static void
trim_trailing_commas(char *s)
{
	char *p, *q;

	for (p = s; (p = strchr(p, ',')) != NULL; p++) {
		for (q = p + 1;;) { /* blanks and whole comment lines */
			while (*q == ' ' || *q == '\n' || *q == '\t')
				q++;
			if (*q != '#' || q[-1] != '\n')
				break;
			q += strcspn(q, "\n");
		}
		if (*q == ')' || *q == ']')
			*p = ' ';
	}
}

void
kad_convert(const struct kad_doc *doc, const struct kad_io *io, struct tbuf *out,
    struct errlist *notes)
{
	struct cv *cv = xcalloc(1, sizeof(*cv));
	const struct kad_node *root = &doc->root, *gd = kad_find(root, "global_defs");
	char qb[1024];
	struct tbuf vips;
	size_t i, p;

	cv->doc = doc;
	cv->io = io;
	cv->notes = notes;
	cv->advert_ms = -1;
	tbuf_init(&cv->top);
	tbuf_init(&cv->pools);
	tbuf_init(&vips);
	name_of(gd != NULL && kad_arg(gd, "router_id") ? kad_arg(gd, "router_id") : "lb1",
	    cv->self, sizeof(cv->self));
	for (i = 0; gd != NULL && i < gd->nkids; i++)
		if (strcmp(gd->kids[i].word, "router_id") != 0 &&
		    strcmp(gd->kids[i].word, "vrrp_version") != 0)
			cv_note(cv, &gd->kids[i], &cv->top, "no equivalent");
	for (i = 0; i < root->nkids; i++)
		if (strcmp(root->kids[i].word, "vrrp_instance") == 0)
			cv_instance(cv, &root->kids[i]);
	cv->election = cv->self_addr[0] != '\0' && cv->npeers > 0;
	if (cv->election && (gd == NULL || kad_arg(gd, "vrrp_version") == NULL ||
				strcmp(kad_arg(gd, "vrrp_version"), "3") != 0))
		tbuf_puts(&cv->top, "# side by side with keepalived during the migration: ipvs-router "
		    "speaks VRRPv3 only; keepalived's default is VRRPv2: set vrrp_version 3 in its "
		    "global_defs first\n");
	if (!cv->election && cv->nvips > 0)
		tbuf_puts(&cv->top, "# keepalived elects a master with multicast VRRP here (no "
		    "unicast_src_ip / unicast_peer): ipvs-router sends its adverts unicast to the "
		    "peers it lists; until election.peers is written, this router is standalone "
		    "(master of every VIP)\n");
	for (i = 0; i < root->nkids; i++) {
		const struct kad_node *n = &root->kids[i];

		if (strcmp(n->word, "virtual_server") == 0) {
			if (n->nargs >= 2 && strcmp(n->args[0], "fwmark") == 0)
				cv_virtual_server(cv, n, NULL, 0, (unsigned)int_of(n->args[1], 1,
				    0x7fffffff));
			else if (n->nargs >= 2 && strcmp(n->args[0], "group") != 0)
				cv_virtual_server(cv, n, n->args[0], int_of(n->args[1], 1, 65535), 0);
			else if (n->nargs >= 2) { /* group NAME: each member of the group */
				const struct kad_node *g = NULL;
				size_t j;

				for (j = 0; j < root->nkids; j++)
					if (strcmp(root->kids[j].word, "virtual_server_group") == 0 &&
					    root->kids[j].nargs > 0 &&
					    strcmp(root->kids[j].args[0], n->args[1]) == 0)
						g = &root->kids[j];
				if (g == NULL) {
					cv_note(cv, n, &cv->top, "no virtual_server_group %s", n->args[1]);
					continue;
				}
				for (j = 0; j < g->nkids; j++) {
					const struct kad_node *m = &g->kids[j];

					if (strcmp(m->word, "fwmark") == 0 && m->nargs > 0)
						cv_virtual_server(cv, n, NULL, 0,
						    (unsigned)int_of(m->args[0], 1, 0x7fffffff));
					else if (m->nargs > 0)
						cv_virtual_server(cv, n, m->word, int_of(m->args[0], 1,
						    65535), 0);
				}
			} else {
				cv_note(cv, n, &cv->top, "virtual_server IP PORT, fwmark N or group NAME");
			}
		} else if (strcmp(n->word, "vrrp_instance") != 0 &&
		    strcmp(n->word, "global_defs") != 0 &&
		    strcmp(n->word, "virtual_server_group") != 0) {
			cv_note(cv, n, &cv->top, strcmp(n->word, "vrrp_sync_group") == 0 ?
			    "each VIP has its own election here; with the same priorities they move "
			    "together" : strcmp(n->word, "vrrp_script") == 0 ? "no tracking scripts "
			    "here: a VIP follows its pools' health (on_pool_failure) and its interface" :
			    "no equivalent");
		}
	}

	tbuf_puts(out, "# Converted from keepalived.conf by ipvs-router import keepalived.\n");
	tbuf_puts(out, "# Check it: ipvs-router -t -f FILE; see ipvs-router.conf(5).\n\n");
	if (cv->top.len)
		tbuf_puts(out, cv->top.s);
	tbuf_printf(out, "router = { name = \"%s\";%s%s%s };\n", cv->self,
	    cv->iface[0] ? " interface = \"" : "", q(cv->iface, qb, sizeof(qb)),
	    cv->iface[0] ? "\";" : "");
	if (cv->exec)
		tbuf_puts(out, "checks = { allow_exec = true; };   # MISC_CHECK scripts\n");
	for (i = 0; i < cv->nvips && cv->vips[i].eip[0] == '\0'; i++)
		;
	if (i < cv->nvips)
		tbuf_puts(out, "aws = { disable_source_dest_check = true; };   # the region, the "
		    "ENI and the credentials come from IMDSv2\n");
	if (cv->election) {
		tbuf_puts(out, "election = {\n    auth = \"none\";   # plain VRRPv3, as keepalived "
		    "speaks it: the two can run side by side\n");
		if (cv->advert_ms > 0)
			tbuf_printf(out, "    advert_interval_ms = %d;\n", cv->advert_ms);
		if (cv->notify[0] != '\0') {
			char *copy = xstrdup(cv->notify), *w, *save = NULL;
			const char *sep = "";

			tbuf_puts(out, "    # keepalived called it with TYPE NAME STATE PRIORITY; "
			    "ipvs-router appends the VIP's name and its state\n    notify = { command = [");
			for (w = strtok_r(copy, " \t", &save); w != NULL;
			     w = strtok_r(NULL, " \t", &save)) {
				tbuf_printf(out, "%s \"%s\"", sep, q(w, qb, sizeof(qb)));
				sep = ",";
			}
			tbuf_puts(out, " ]; };\n");
			free(copy);
		}
		tbuf_printf(out, "    peers = ( { name = \"%s\"; address = \"%s\"; }", cv->self,
		    cv->self_addr);
		for (p = 0; p < cv->npeers; p++)
			tbuf_printf(out, ",\n              { name = \"peer%zu\"; address = \"%s\"; }",
			    p + 1, cv->peers[p]);
		tbuf_puts(out, " );\n};\n");
	}
	for (i = 0; i < cv->nvips; i++)
		put_vip(cv, &cv->vips[i], &vips);
	if (vips.len) {
		tbuf_printf(out, "vips = (\n%s);\n", vips.s);
	}
	if (cv->pools.len)
		tbuf_printf(out, "pools = (\n%s);\n", cv->pools.s);
	if (out->s != NULL)
		trim_trailing_commas(out->s);
	for (i = 0; i < cv->nvips; i++) {
		tbuf_free(&cv->vips[i].head);
		tbuf_free(&cv->vips[i].services);
	}
	tbuf_free(&cv->top);
	tbuf_free(&cv->pools);
	tbuf_free(&vips);
	free(cv);
}
