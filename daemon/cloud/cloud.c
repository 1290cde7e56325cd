/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud.c - Elastic IPs and private IPs follow the election (see cloud.h).
 *
 * One record per (VIP, kind of address).  Every input - a role change, a
 * call's answer, a timer, the client becoming ready - goes through the
 * record's cloud_fsm, and act() carries out what it decides, in the order
 * cancel, claim, read back, report; then re-arms the record's one timer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "aws.h"
#include "cloud.h"
#include "cloud_fsm.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "util.h"

enum res_kind {
	RES_EIP,    /* an Elastic IP, associated with our ENI + private IP */
	RES_PRIVIP, /* the VIP's address, assigned to our ENI */
};

struct cloud_res {
	struct cloud *cl;
	char vip[MODEL_NAME_MAX + 1];
	enum res_kind kind;
	char id[AWS_ID_MAX];		 /* EIP: the allocation id */
	char addr[INET_ADDRSTRLEN];	 /* EIP: eip.private_ip for us, "" = the primary;
					  * PRIVIP: the VIP's address */
	char target_ip[INET_ADDRSTRLEN]; /* EIP: the private IP claimed ("" = EC2 picks) */
	char label[160];
	struct cfsm fsm;
	struct aws_call *claim, *verify;
	ev_timer timer;
	bool seen; /* cloud_apply: still configured */
	/* the last claim, for the timeline */
	int64_t t_lost;	/* the previous master's last advert, -1: unknown */
	int64_t t_sent, t_answered;
	int attempts;
	unsigned claims_total;
	char last_error[400];
	char holder[256]; /* the last read-back: who else holds it */
};

/* One DryRun permission check at start. */
struct dry_check {
	struct cloud *cl;
	const char *action;
	struct aws_call *call;
};

struct cloud {
	struct cloud_hooks hooks;
	struct aws_client *aws;
	struct cloud_res **res;
	size_t nres;
	char *router;
	int verify_ms;
	bool sdc_off; /* aws.disable_source_dest_check */
	bool dry_run; /* aws.dry_run_check */
	/* start-up work of the current client */
	struct aws_call *sdc_call;
	struct dry_check dry[4];
	size_t ndry, dry_left;
	char dry_denied[128];
};

static const char *env_get(const char *name);
static void poke_all(void *arg);
static void on_ready(void *arg);
static struct cloud_res *res_find(struct cloud *cl, const char *vip, enum res_kind kind);
static struct cloud_res *res_new(struct cloud *cl, const char *vip, enum res_kind kind);
static void res_free(struct cloud_res *r);
static void res_label(struct cloud_res *r);
static bool res_update(struct cloud_res *r, const struct config *c, const struct vip *v);
static void res_timer_cb(struct ev_loop *l, ev_timer *w, int revents);
static void act(struct cloud_res *r, const struct cfsm_out *o);
static void claim_start(struct cloud_res *r);
static void claim_done(void *arg, const struct aws_result *res);
static void verify_start(struct cloud_res *r);
static void verify_done(void *arg, const struct aws_result *res);
static void log_timeline(const struct cloud_res *r);
static void fmt_rel(char *buf, size_t len, int64_t ms);
static const char *claim_action(enum res_kind k);
static void client_drop(struct cloud *cl);
static void client_start(struct cloud *cl, const struct config *c);
static void startup_work(struct cloud *cl);
static void sdc_done(void *arg, const struct aws_result *res);
static void dry_start(struct cloud *cl, const char *action, const struct aws_param *p, size_t n);
static void dry_done(void *arg, const struct aws_result *res);
static size_t res_labels(const struct cloud_res *r, const char **labels);

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static const char *
claim_action(enum res_kind k)
{
	return k == RES_EIP ? "AssociateAddress" : "AssignPrivateIpAddresses";
}

static void
fmt_rel(char *buf, size_t len, int64_t ms)
{
	if (ms < 1000)
		snprintf(buf, len, "+%lldms", (long long)(ms < 0 ? 0 : ms));
	else
		snprintf(buf, len, "+%.1fs", (double)ms / 1000.0);
}

/* ------------------------------------------------------------ records */

static struct cloud_res *
res_find(struct cloud *cl, const char *vip, enum res_kind kind)
{
	size_t i;

	for (i = 0; i < cl->nres; i++)
		if (cl->res[i]->kind == kind && strcmp(cl->res[i]->vip, vip) == 0)
			return cl->res[i];
	return NULL;
}

static struct cloud_res *
res_new(struct cloud *cl, const char *vip, enum res_kind kind)
{
	struct cfsm_params p = cfsm_params_default(cl->verify_ms);
	struct cloud_res *r = xcalloc(1, sizeof(*r));

	r->cl = cl;
	snprintf(r->vip, sizeof(r->vip), "%s", vip);
	r->kind = kind;
	r->t_sent = r->t_answered = -1;
	r->t_lost = -1;
	cfsm_init(&r->fsm, &p);
	ev_timer_init(&r->timer, res_timer_cb, 0., 0.);
	r->timer.data = r;
	cl->res = xreallocarray(cl->res, cl->nres + 1, sizeof(*cl->res));
	cl->res[cl->nres++] = r;
	return r;
}

static void
res_free(struct cloud_res *r)
{
	if (r == NULL)
		return;
	aws_call_cancel(r->claim);
	aws_call_cancel(r->verify);
	ev_timer_stop(loop_ev(), &r->timer);
	free(r);
}

static void
res_label(struct cloud_res *r)
{
	if (r->kind == RES_EIP)
		snprintf(r->label, sizeof(r->label), "vip %s: eip %s", r->vip, r->id);
	else
		snprintf(r->label, sizeof(r->label), "vip %s: private ip %s", r->vip, r->addr);
}

/* Take the record's target from the configuration; true when it changed. */
static bool
res_update(struct cloud_res *r, const struct config *c, const struct vip *v)
{
	char id[AWS_ID_MAX] = "", addr[INET_ADDRSTRLEN] = "";
	size_t i;
	bool changed;

	if (r->kind == RES_EIP) {
		snprintf(id, sizeof(id), "%s", v->eip.allocation_id);
		for (i = 0; i < v->eip.nprivate_ips; i++)
			if (c->router.name != NULL &&
			    strcmp(v->eip.private_ips[i].router, c->router.name) == 0)
				sockaddr_x_fmt_addr(
				    vip_service_addr(v, c->router.name), addr, sizeof(addr));
	} else {
		sockaddr_x_fmt_addr(&v->addr, addr, sizeof(addr));
	}
	changed = strcmp(id, r->id) != 0 || strcmp(addr, r->addr) != 0;
	memcpy(r->id, id, sizeof(r->id));
	memcpy(r->addr, addr, sizeof(r->addr));
	res_label(r);
	return changed;
}

static void
res_timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct cloud_res *r = w->data;
	struct cfsm_out o;

	cfsm_timer(&r->fsm, loop_now_ms(), &o);
	act(r, &o);
}

/* ------------------------------------------------------------ decisions -> calls */

static void
act(struct cloud_res *r, const struct cfsm_out *o)
{
	struct cloud *cl = r->cl;
	int64_t dl, now = loop_now_ms();

	if (o->actions & CFSM_ACT_CANCEL) {
		if (r->claim != NULL && o->to == CFSM_IDLE)
			log_info(
			    "%s: %s; %s cancelled", r->label, o->reason, claim_action(r->kind));
		aws_call_cancel(r->claim);
		aws_call_cancel(r->verify);
		r->claim = r->verify = NULL;
	}
	if (o->to != o->from) {
		switch (o->to) {
		case CFSM_WAIT:
		case CFSM_LOOK:
			log_info("%s: %s", r->label, o->reason);
			break;
		case CFSM_BACKOFF:
			log_warnx("%s: %s failed (%s); %s while MASTER", r->label,
			    claim_action(r->kind), r->last_error[0] ? r->last_error : "?",
			    o->reason);
			break;
		case CFSM_FAILED:
			log_warnx("%s: %s (%s); no more calls until this router is MASTER "
				  "again or the configuration is reloaded",
			    r->label, o->reason, r->last_error[0] ? r->last_error : "?");
			break;
		case CFSM_IDLE:
			log_debug("%s: %s", r->label, o->reason);
			break;
		default:
			break;
		}
	}
	if (o->actions & CFSM_ACT_CLAIM) {
		if (r->kind == RES_EIP)
			log_notice("%s: %s: AssociateAddress with %s%s%s", r->label, o->reason,
			    aws_client_identity(cl->aws)->eni, r->target_ip[0] ? " / " : "",
			    r->target_ip[0] ? r->target_ip : " (its primary private IP)");
		else
			log_notice("%s: %s: AssignPrivateIpAddresses to %s", r->label, o->reason,
			    aws_client_identity(cl->aws)->eni);
		claim_start(r);
	}
	if (o->actions & CFSM_ACT_VERIFY)
		verify_start(r);
	if (o->actions & CFSM_ACT_CONFIRMED)
		log_timeline(r);
	if (o->actions & CFSM_ACT_ENDED)
		log_info("%s: after leaving MASTER, read back: %s%s", r->label,
		    o->found == CFSM_HERE	 ? "still here (our claim was performed; the "
						   "master takes it back)"
		    : o->found == CFSM_ELSEWHERE ? "held by "
		    : o->found == CFSM_NOWHERE	 ? "not associated"
						 : "unknown (the read failed)",
		    o->found == CFSM_ELSEWHERE ? r->holder : "");
	dl = cfsm_deadline(&r->fsm);
	/* periodic read-backs of several addresses must not all fire together */
	if (dl != CFSM_NEVER && r->fsm.state == CFSM_HELD && dl - now >= cl->verify_ms / 2)
		dl += jitter(cl->verify_ms / 20, 100);
	if (dl == CFSM_NEVER) {
		ev_timer_stop(loop_ev(), &r->timer);
	} else {
		ev_timer_stop(loop_ev(), &r->timer);
		ev_timer_set(&r->timer, dl > now ? (double)(dl - now) / 1000.0 : 0., 0.);
		ev_timer_start(loop_ev(), &r->timer);
	}
}

static void
claim_start(struct cloud_res *r)
{
	const struct aws_identity *id = aws_client_identity(r->cl->aws);
	struct aws_call_opts o = {r->label, 0, 200, 5000, false};
	struct aws_param p[4];
	size_t n = 0;

	r->t_sent = r->t_answered = -1;
	r->attempts = 0;
	r->claims_total++;
	if (r->kind == RES_EIP) {
		p[n++] = (struct aws_param){"AllocationId", r->id};
		p[n++] = (struct aws_param){"NetworkInterfaceId", id->eni};
		if (r->target_ip[0] != '\0')
			p[n++] = (struct aws_param){"PrivateIpAddress", r->target_ip};
		p[n++] = (struct aws_param){"AllowReassociation", "true"};
	} else {
		p[n++] = (struct aws_param){"NetworkInterfaceId", id->eni};
		p[n++] = (struct aws_param){"PrivateIpAddress.1", r->addr};
		p[n++] = (struct aws_param){"AllowReassignment", "true"};
	}
	r->claim = aws_ec2(r->cl->aws, claim_action(r->kind), p, n, &o, claim_done, r);
}

static void
claim_done(void *arg, const struct aws_result *res)
{
	struct cloud_res *r = arg;
	struct cfsm_out o;

	r->claim = NULL;
	r->t_sent = res->first_sent_ms;
	r->t_answered = res->done_ms;
	r->attempts = res->attempts;
	if (res->ok) {
		log_info("%s: %s answered%s%s after %d attempt%s", r->label, claim_action(r->kind),
		    res->reply && res->reply->association_id[0] ? ": " : "",
		    res->reply ? res->reply->association_id : "", res->attempts,
		    res->attempts == 1 ? "" : "s");
		r->last_error[0] = '\0';
	} else {
		snprintf(r->last_error, sizeof(r->last_error), "%s: %s", claim_action(r->kind),
		    res->why);
	}
	cfsm_claim_done(&r->fsm,
	    res->ok				 ? CFSM_CLAIM_OK
	    : aws_verdict_terminal(res->verdict) ? CFSM_CLAIM_TERMINAL
						 : CFSM_CLAIM_RETRY,
	    loop_now_ms(), &o);
	act(r, &o);
}

static void
verify_start(struct cloud_res *r)
{
	struct aws_call_opts o = {r->label, 3, 200, 2000, false};
	struct aws_param p[2];

	if (r->kind == RES_EIP) {
		p[0] = (struct aws_param){"AllocationId.1", r->id};
		r->verify = aws_ec2(r->cl->aws, "DescribeAddresses", p, 1, &o, verify_done, r);
	} else {
		p[0] = (struct aws_param){"Filter.1.Name", "addresses.private-ip-address"};
		p[1] = (struct aws_param){"Filter.1.Value.1", r->addr};
		r->verify =
		    aws_ec2(r->cl->aws, "DescribeNetworkInterfaces", p, 2, &o, verify_done, r);
	}
}

static void
verify_done(void *arg, const struct aws_result *res)
{
	struct cloud_res *r = arg;
	const struct aws_identity *id = aws_client_identity(r->cl->aws);
	const struct aws_ec2_address *a;
	enum cfsm_found found = CFSM_UNKNOWN;
	char *holder = r->holder;
	char who[CFSM_ID_MAX] = ""; /* the holder's identity, for cfsm */
	enum cfsm_state state;
	struct cfsm_out o;
	size_t i;

	r->verify = NULL;
	holder[0] = '\0';
	if (!res->ok) {
		found = aws_verdict_terminal(res->verdict) ? CFSM_CANNOT : CFSM_UNKNOWN;
		snprintf(r->last_error, sizeof(r->last_error), "%s: %s",
		    r->kind == RES_EIP ? "DescribeAddresses" : "DescribeNetworkInterfaces",
		    res->why);
		log_info("%s: read-back failed: %s", r->label, res->why);
	} else if (r->kind == RES_EIP) {
		a = aws_ec2_find_address(res->reply, r->id);
		if (a == NULL) {
			found = CFSM_UNKNOWN;
		} else if (a->association_id[0] == '\0' && a->network_interface_id[0] == '\0') {
			found = CFSM_NOWHERE;
		} else if (strcmp(a->network_interface_id, id->eni) == 0 &&
			   (r->target_ip[0] == '\0' || strcmp(a->private_ip, r->target_ip) == 0)) {
			found = CFSM_HERE;
		} else {
			found = CFSM_ELSEWHERE;
			/* a new ID for every association: tells a new claim from a stale read */
			snprintf(who, sizeof(who), "%s",
			    a->association_id[0] ? a->association_id : a->network_interface_id);
			snprintf(holder, sizeof(r->holder), "%s / %s%s%s",
			    a->network_interface_id[0] ? a->network_interface_id : "?",
			    a->private_ip[0] ? a->private_ip : "?", a->instance_id[0] ? " on " : "",
			    a->instance_id);
		}
	} else {
		found = res->reply->nenis == 0 ? CFSM_NOWHERE : CFSM_ELSEWHERE;
		for (i = 0; i < res->reply->nenis; i++) {
			if (strcmp(res->reply->enis[i].id, id->eni) == 0) {
				found = CFSM_HERE;
			} else {
				snprintf(holder, sizeof(r->holder), "%s", res->reply->enis[i].id);
				snprintf(who, sizeof(who), "%s", res->reply->enis[i].id);
			}
		}
	}
	state = r->fsm.state;
	cfsm_verify_done(&r->fsm, found, who, loop_now_ms(), &o);
	/* before act() logs what follows from it */
	if ((found == CFSM_ELSEWHERE || found == CFSM_NOWHERE) && state != CFSM_IDLE)
		log_info("%s: read back in %s: %s%s%s", r->label, cfsm_state_str(state),
		    found == CFSM_NOWHERE ? "not associated" : "held by ",
		    found == CFSM_ELSEWHERE ? holder : "",
		    state == CFSM_SETTLE && !(o.actions & CFSM_ACT_CLAIM)
			? " (EC2 may not show our claim yet)"
			: "");
	act(r, &o);
}

/*
 * One line per claim, from the role change (or the decision to take the
 * address back) to the read-back that showed it here.
 */
static void
log_timeline(const struct cloud_res *r)
{
	const struct cfsm *f = &r->fsm;
	char line[512], t[32];
	int64_t t0 = f->claims <= 1 ? f->t_master : f->t_claim;
	size_t n;

	if (f->claims <= 1 && r->t_lost >= 0 && r->t_lost <= f->t_master) {
		/* start at the previous master's last advert: the whole outage */
		fmt_rel(t, sizeof(t), f->t_master - r->t_lost);
		n = (size_t)snprintf(line, sizeof(line), "%s: last advert heard -> master %s",
		    r->label, t);
		t0 = r->t_lost;
	} else {
		n = (size_t)snprintf(line, sizeof(line), "%s: %s", r->label,
		    f->claims <= 1 ? "master" : "re-claim");
	}
	if (f->claims <= 1 && f->t_looked >= 0 && n < sizeof(line)) {
		/* preempting: the holder was read first */
		fmt_rel(t, sizeof(t), f->t_looked - t0);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " -> holder read %s", t);
	} else if (f->claims <= 1 && f->t_claim > f->t_master) {
		fmt_rel(t, sizeof(t), f->t_claim - t0);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " -> AWS client ready %s", t);
	}
	if (r->t_sent >= 0 && n < sizeof(line)) {
		fmt_rel(t, sizeof(t), r->t_sent - t0);
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n, " -> %s sent %s", claim_action(r->kind), t);
	}
	if (r->t_answered >= 0 && n < sizeof(line)) {
		fmt_rel(t, sizeof(t), r->t_answered - t0);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " -> answered %s", t);
		if (r->attempts > 1 && n < sizeof(line))
			n += (size_t)snprintf(
			    line + n, sizeof(line) - n, " (%d attempts)", r->attempts);
	}
	if (n < sizeof(line)) {
		fmt_rel(t, sizeof(t), f->t_confirmed - t0);
		snprintf(line + n, sizeof(line) - n, " -> confirmed %s", t);
	}
	log_notice("%s", line);
}

/* ------------------------------------------------------------ election and client events */

void
cloud_role(struct cloud *cl, const struct vip *v, bool was_master, bool master)
{
	enum res_kind k;
	struct cloud_res *r;
	struct cfsm_out o;

	for (k = RES_EIP; k <= RES_PRIVIP; k++) {
		r = res_find(cl, v->name, k);
		if (r == NULL)
			continue;
		if (master && !was_master)
			r->t_lost = cl->hooks.last_heard_ms(cl->hooks.arg, v->name);
		if (master && !was_master && cl->hooks.preempted != NULL &&
		    cl->hooks.preempted(cl->hooks.arg, v->name))
			cfsm_preempt(&r->fsm, loop_now_ms(), &o);
		else
			cfsm_role(&r->fsm, master, loop_now_ms(), &o);
		act(r, &o);
	}
	/* any election event: whoever holds an address reads it back */
	loop_defer(poke_all, cl);
}

void
cloud_reassert(struct cloud *cl, const struct vip *v)
{
	enum res_kind k;
	struct cloud_res *r;
	struct cfsm_out o;

	if (cl == NULL)
		return;
	for (k = RES_EIP; k <= RES_PRIVIP; k++) {
		r = res_find(cl, v->name, k);
		if (r == NULL)
			continue;
		cfsm_reassert(&r->fsm, loop_now_ms(), &o);
		if (o.actions & CFSM_ACT_VERIFY)
			log_info(
			    "%s: another router claimed the VIP: reading it back now", r->label);
		act(r, &o);
	}
}

static void
poke_all(void *arg)
{
	struct cloud *cl = arg;
	struct cfsm_out o;
	size_t i;

	for (i = 0; i < cl->nres; i++) {
		cfsm_poke(&cl->res[i]->fsm, loop_now_ms(), &o);
		act(cl->res[i], &o);
	}
}

static void
on_ready(void *arg)
{
	struct cloud *cl = arg;
	const struct aws_identity *id = aws_client_identity(cl->aws);
	struct cloud_res *r;
	struct cfsm_out o;
	size_t i;

	for (i = 0; i < cl->nres; i++) {
		r = cl->res[i];
		snprintf(r->target_ip, sizeof(r->target_ip), "%s",
		    r->kind == RES_EIP && r->addr[0] == '\0' ? id->primary_ip : r->addr);
	}
	startup_work(cl);
	for (i = 0; i < cl->nres; i++) {
		cfsm_ready(&cl->res[i]->fsm, true, loop_now_ms(), &o);
		act(cl->res[i], &o);
	}
}

/* ------------------------------------------------------------ start-up work */

/*
 * Source/destination check off (a real call), and one DryRun per action
 * this configuration needs: EC2 answers DryRunOperation when IAM allows the
 * call and UnauthorizedOperation when not, without doing anything.
 */
static void
startup_work(struct cloud *cl)
{
	const struct aws_identity *id = aws_client_identity(cl->aws);
	struct aws_call_opts o = {"aws: start-up", 5, 500, 5000, false};
	struct cloud_res *eip = NULL, *priv = NULL;
	struct aws_param p[4];
	size_t i, n;

	aws_call_cancel(cl->sdc_call);
	cl->sdc_call = NULL;
	for (i = 0; i < cl->ndry; i++)
		aws_call_cancel(cl->dry[i].call);
	memset(cl->dry, 0, sizeof(cl->dry));
	cl->ndry = cl->dry_left = 0;
	for (i = 0; i < cl->nres; i++) {
		if (cl->res[i]->kind == RES_EIP && eip == NULL)
			eip = cl->res[i];
		if (cl->res[i]->kind == RES_PRIVIP && priv == NULL)
			priv = cl->res[i];
	}
	if (cl->sdc_off) {
		p[0] = (struct aws_param){"NetworkInterfaceId", id->eni};
		p[1] = (struct aws_param){"SourceDestCheck.Value", "false"};
		cl->sdc_call =
		    aws_ec2(cl->aws, "ModifyNetworkInterfaceAttribute", p, 2, &o, sdc_done, cl);
	}
	if (!cl->dry_run)
		return;
	cl->dry_denied[0] = '\0';
	if (eip != NULL) {
		n = 0;
		p[n++] = (struct aws_param){"AllocationId", eip->id};
		p[n++] = (struct aws_param){"NetworkInterfaceId", id->eni};
		if (eip->target_ip[0] != '\0')
			p[n++] = (struct aws_param){"PrivateIpAddress", eip->target_ip};
		p[n++] = (struct aws_param){"AllowReassociation", "true"};
		dry_start(cl, "AssociateAddress", p, n);
		p[0] = (struct aws_param){"AllocationId.1", eip->id};
		dry_start(cl, "DescribeAddresses", p, 1);
	}
	if (priv != NULL) {
		p[0] = (struct aws_param){"NetworkInterfaceId", id->eni};
		p[1] = (struct aws_param){"PrivateIpAddress.1", priv->addr};
		p[2] = (struct aws_param){"AllowReassignment", "true"};
		dry_start(cl, "AssignPrivateIpAddresses", p, 3);
		p[0] = (struct aws_param){"Filter.1.Name", "addresses.private-ip-address"};
		p[1] = (struct aws_param){"Filter.1.Value.1", priv->addr};
		dry_start(cl, "DescribeNetworkInterfaces", p, 2);
	}
	cl->dry_left = cl->ndry;
}

static void
sdc_done(void *arg, const struct aws_result *res)
{
	struct cloud *cl = arg;
	const struct aws_identity *id = aws_client_identity(cl->aws);

	cl->sdc_call = NULL;
	if (res->ok)
		log_notice("aws: ENI %s: source/destination check off", id->eni);
	else
		log_warnx("aws: ENI %s: cannot turn the source/destination check off: %s%s",
		    id->eni, res->why,
		    res->verdict == AWS_V_DENIED ? " (the role needs "
						   "ec2:ModifyNetworkInterfaceAttribute)"
						 : "");
}

static void
dry_start(struct cloud *cl, const char *action, const struct aws_param *p, size_t n)
{
	struct aws_call_opts o = {"aws: permission check", 3, 500, 5000, true};
	struct dry_check *dc = &cl->dry[cl->ndry++];

	dc->cl = cl;
	dc->action = action;
	dc->call = aws_ec2(cl->aws, action, p, n, &o, dry_done, dc);
}

static void
dry_done(void *arg, const struct aws_result *res)
{
	struct dry_check *dc = arg;
	struct cloud *cl = dc->cl;
	size_t n;

	dc->call = NULL;
	if (res->verdict == AWS_V_DRYRUN_OK || res->verdict == AWS_V_OK) {
		log_info("aws: permission check: ec2:%s allowed", dc->action);
	} else if (res->verdict == AWS_V_DENIED) {
		log_warnx("aws: permission check: ec2:%s is NOT allowed for this instance's "
			  "credentials (%s): failover will fail until the IAM policy allows it",
		    dc->action, res->why);
		n = strlen(cl->dry_denied);
		snprintf(cl->dry_denied + n, sizeof(cl->dry_denied) - n, "%sec2:%s", n ? ", " : "",
		    dc->action);
	} else {
		log_warnx("aws: permission check: ec2:%s: %s", dc->action, res->why);
	}
	if (cl->dry_left > 0 && --cl->dry_left == 0) {
		if (cl->dry_denied[0] != '\0')
			log_warnx("aws: permission check done: missing %s", cl->dry_denied);
		else
			log_notice("aws: permission check done: the %zu EC2 actions this "
				   "configuration needs are allowed",
			    cl->ndry);
	}
}

/* ------------------------------------------------------------ the client */

static void
client_drop(struct cloud *cl)
{
	struct cfsm_out o;
	size_t i;

	if (cl->aws == NULL)
		return;
	/* the client cancels its calls: forget our handles first */
	for (i = 0; i < cl->nres; i++) {
		cl->res[i]->claim = cl->res[i]->verify = NULL;
		cfsm_ready(&cl->res[i]->fsm, false, loop_now_ms(), &o);
		o.actions &= ~(unsigned)CFSM_ACT_CANCEL;
		act(cl->res[i], &o);
	}
	cl->sdc_call = NULL;
	memset(cl->dry, 0, sizeof(cl->dry));
	cl->ndry = cl->dry_left = 0;
	aws_client_free(cl->aws);
	cl->aws = NULL;
}

static void
client_start(struct cloud *cl, const struct config *c)
{
	struct aws_client_conf ac;

	memset(&ac, 0, sizeof(ac));
	ac.aws = &c->aws;
	ac.ifname = c->router.interface;
	ac.env = env_get;
	ac.on_ready = on_ready;
	ac.arg = cl;
	if (aws_client_new(&ac, &cl->aws) < 0) {
		cl->aws = NULL;
		log_warnx("aws: the settings above are unusable: no cloud address will move "
			  "until a reload fixes them");
	}
}

/* ------------------------------------------------------------ life cycle */

struct cloud *
cloud_new(const struct cloud_hooks *hooks)
{
	struct cloud *cl = xcalloc(1, sizeof(*cl));

	cl->hooks = *hooks;
	cl->verify_ms = 10000;
	return cl;
}

void
cloud_apply(struct cloud *cl, const struct config *old_conf, const struct config *new_conf)
{
	struct cfsm_params p;
	struct cloud_res *r;
	struct cfsm_out o;
	enum res_kind k;
	size_t i, j;
	bool changed, fresh;

	if (cl == NULL)
		return;
	free(cl->router);
	cl->router = xstrdup(new_conf->router.name);
	if (new_conf->aws.present) {
		cl->verify_ms = new_conf->aws.verify_interval_ms;
		cl->sdc_off = new_conf->aws.disable_source_dest_check;
		cl->dry_run = new_conf->aws.dry_run_check;
	}
	p = cfsm_params_default(cl->verify_ms);

	for (i = 0; i < cl->nres; i++)
		cl->res[i]->seen = false;
	for (i = 0; new_conf->aws.present && i < new_conf->nvips; i++) {
		const struct vip *v = &new_conf->vips[i];

		for (k = RES_EIP; k <= RES_PRIVIP; k++) {
			if (k == RES_EIP ? v->eip.allocation_id == NULL : !v->move_private_ip)
				continue;
			r = res_find(cl, v->name, k);
			fresh = r == NULL;
			if (fresh)
				r = res_new(cl, v->name, k);
			r->seen = true;
			changed = res_update(r, new_conf, v);
			cfsm_set_params(&r->fsm, &p, loop_now_ms());
			if (fresh && cl->aws != NULL && aws_client_ready(cl->aws)) {
				snprintf(r->target_ip, sizeof(r->target_ip), "%s",
				    r->kind == RES_EIP && r->addr[0] == '\0'
					? aws_client_identity(cl->aws)->primary_ip
					: r->addr);
				cfsm_ready(&r->fsm, true, loop_now_ms(), &o);
			}
			if (fresh) {
				/* roles change only after this (election_apply runs next) */
				cfsm_role(&r->fsm, cl->hooks.is_master(cl->hooks.arg, v->name),
				    loop_now_ms(), &o);
				act(r, &o);
			} else if (changed || r->fsm.state == CFSM_FAILED) {
				/* a reload is also how an operator says "the IAM policy is fixed"
				 */
				if (cl->aws != NULL && aws_client_ready(cl->aws))
					snprintf(r->target_ip, sizeof(r->target_ip), "%s",
					    r->kind == RES_EIP && r->addr[0] == '\0'
						? aws_client_identity(cl->aws)->primary_ip
						: r->addr);
				cfsm_retarget(&r->fsm, loop_now_ms(), &o);
				act(r, &o);
			}
		}
	}
	for (i = j = 0; i < cl->nres; i++) {
		if (cl->res[i]->seen) {
			cl->res[j++] = cl->res[i];
			continue;
		}
		log_info("%s: no longer configured: left where it is", cl->res[i]->label);
		res_free(cl->res[i]);
	}
	cl->nres = j;

	if (!new_conf->aws.present) {
		client_drop(cl);
		return;
	}
	if (cl->aws != NULL && old_conf != NULL &&
	    aws_client_same(cl->aws, &new_conf->aws, new_conf->router.interface)) {
		/* same client: check the permissions again, for the new VIPs or a new policy */
		if (aws_client_ready(cl->aws))
			startup_work(cl);
		return;
	}
	if (cl->aws != NULL)
		log_notice("aws: settings changed: starting a new AWS client");
	client_drop(cl);
	client_start(cl, new_conf);
}

void
cloud_stop(struct cloud *cl)
{
	size_t i;

	if (cl == NULL)
		return;
	loop_defer_cancel(poke_all, cl);
	for (i = 0; i < cl->nres; i++) {
		cl->res[i]->claim = cl->res[i]->verify = NULL;
		ev_timer_stop(loop_ev(), &cl->res[i]->timer);
	}
	aws_client_free(cl->aws); /* cancels every call */
	for (i = 0; i < cl->nres; i++)
		res_free(cl->res[i]);
	free(cl->res);
	free(cl->router);
	free(cl);
}

/* ------------------------------------------------------------ metrics */

static size_t
res_labels(const struct cloud_res *r, const char **labels)
{
	labels[0] = "vip";
	labels[1] = r->vip;
	labels[2] = "kind";
	labels[3] = r->kind == RES_EIP ? "eip" : "private_ip";
	labels[4] = "address";
	labels[5] = r->kind == RES_EIP ? r->id : r->addr;
	labels[6] = NULL;
	return 6;
}

void
cloud_metrics(const struct cloud *cl, struct tbuf *b)
{
	static const char *const steps[] = {"sent", "answered", "confirmed"};
	const struct cloud_res *r;
	const char *labels[9];
	int64_t t0, ts[3];
	size_t i, s, n;

	if (cl == NULL || cl->nres == 0)
		return;
	metrics_family(b, "ipvsr_aws_ready", METRIC_GAUGE,
	    "1 when the AWS client knows its identity and credentials.");
	metrics_sample(b, "ipvsr_aws_ready", NULL, aws_client_ready(cl->aws) ? 1 : 0);
	metrics_family(b, "ipvsr_cloud_address_held", METRIC_GAUGE,
	    "1 while this router holds the cloud address, confirmed by reading it back.");
	for (i = 0; i < cl->nres; i++) {
		res_labels(cl->res[i], labels);
		metrics_sample(b, "ipvsr_cloud_address_held", labels,
		    cl->res[i]->fsm.state == CFSM_HELD ? 1 : 0);
	}
	metrics_family(b, "ipvsr_cloud_claims_total", METRIC_COUNTER,
	    "Claim calls (AssociateAddress, AssignPrivateIpAddresses) started.");
	for (i = 0; i < cl->nres; i++) {
		res_labels(cl->res[i], labels);
		metrics_sample_u64(b, "ipvsr_cloud_claims_total", labels, cl->res[i]->claims_total);
	}
	metrics_family(b, "ipvsr_cloud_reclaims_total", METRIC_COUNTER,
	    "Claims of an address this router had held, after reads showed another holder.");
	for (i = 0; i < cl->nres; i++) {
		res_labels(cl->res[i], labels);
		metrics_sample_u64(
		    b, "ipvsr_cloud_reclaims_total", labels, cl->res[i]->fsm.reclaims);
	}
	metrics_family(b, "ipvsr_cloud_failover_step_seconds", METRIC_GAUGE,
	    "Last claim: seconds from the role change (or re-claim decision) to each step.");
	for (i = 0; i < cl->nres; i++) {
		r = cl->res[i];
		t0 = r->fsm.claims <= 1 ? r->fsm.t_master : r->fsm.t_claim;
		ts[0] = r->t_sent;
		ts[1] = r->t_answered;
		ts[2] = r->fsm.t_confirmed;
		for (s = 0; s < ARRAY_SIZE(steps); s++) {
			if (t0 < 0 || ts[s] < 0)
				continue;
			n = res_labels(r, labels);
			labels[n] = "step";
			labels[n + 1] = steps[s];
			labels[n + 2] = NULL;
			metrics_sample(b, "ipvsr_cloud_failover_step_seconds", labels,
			    (double)(ts[s] - t0) / 1000.0);
		}
	}
}
