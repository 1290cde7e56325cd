/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws.c - the AWS client's life cycle: aws_client_new() resolves the
 * settings, sets up TLS, the credentials from the environment and the
 * workers, and starts the discovery; aws_client_free() undoes it all; the
 * small accessors of aws.h.  The rest of the client, behind aws_int.h:
 *   aws_worker.c  the worker pool and one HTTP(S) exchange (off the loop);
 *   aws_imds.c    IMDSv2 token and GETs, identity discovery, credentials;
 *   aws_ec2.c     EC2 Query calls: signing, retries, the answer's verdict.
 * See aws.h for the threading contract.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "aws_int.h"
#include "log.h"
#include "loop.h"
#include "tls.h"
#include "util.h"


uint32_t
aws_rnd32(struct aws_client *a)
{
	if (a->rng == 0)
		a->rng = (uint64_t)mono_us() | 1;
	a->rng ^= a->rng << 13;
	a->rng ^= a->rng >> 7;
	a->rng ^= a->rng << 17;
	return (uint32_t)(a->rng >> 16);
}

/* ------------------------------------------------------------ life cycle */

int
aws_client_new(const struct aws_client_conf *cc, struct aws_client **out)
{
	struct tls_ctx_conf tc;
	struct aws_client *a;
	struct errlist el;
	char err[256];
	size_t i;
	int r;

	*out = NULL;
	a = xcalloc(1, sizeof(*a));
	a->wake_fd = -1;
	a->loop = loop_ev();
	if (a->loop == NULL) {
		free(a);
		return -EINVAL;
	}
	errlist_init(&el);
	r = aws_settings_resolve(cc->aws, cc->env, &a->s, &el);
	for (i = 0; i < el.n; i++)
		log_warnx("%s", el.msgs[i]);
	errlist_clear(&el);
	if (r < 0) {
		free(a);
		return r;
	}
	a->conf = *cc->aws;
	a->conf.region = xstrdup(cc->aws->region);
	a->conf.ec2_endpoint = xstrdup(cc->aws->ec2_endpoint);
	a->conf.imds_endpoint = xstrdup(cc->aws->imds_endpoint);
	a->conf.ca_file = xstrdup(cc->aws->ca_file);
	a->conf.network_interface_id = xstrdup(cc->aws->network_interface_id);
	a->ifname = xstrdup(cc->ifname);
	a->on_ready = cc->on_ready;
	a->arg = cc->arg;
	ev_timer_init(&a->disc_timer, imds_disc_timer_cb, 0., 0.);
	a->disc_timer.data = a;
	ev_timer_init(&a->refresh_timer, imds_refresh_timer_cb, 0., 0.);
	a->refresh_timer.data = a;

	if (a->s.ec2_url[0] != '\0' && aws_url_parse(a->s.ec2_url, &a->ec2) < 0) {
		r = -EINVAL;
		goto fail;
	}
	if (aws_url_parse(a->s.imds_url, &a->imds) < 0) {
		r = -EINVAL;
		goto fail;
	}
	memset(&tc, 0, sizeof(tc));
	tc.verify = true;
	tc.ca_file = a->s.ca_file[0] != '\0' ? a->s.ca_file : NULL;
	r = tls_ctx_get(&tc, &a->tls, err, sizeof(err));
	if (r < 0) {
		log_warnx("aws: %s (CA bundle from the %s)", err, aws_src_str(a->s.ca_src));
		goto fail;
	}
	{
		char region[96], ec2[600];

		if (a->s.region[0] != '\0')
			snprintf(region, sizeof(region), "%s (%s)", a->s.region,
			    aws_src_str(a->s.region_src));
		else
			snprintf(region, sizeof(region), "from the instance metadata");
		if (a->s.ec2_url[0] != '\0')
			snprintf(
			    ec2, sizeof(ec2), "%s (%s)", a->s.ec2_url, aws_src_str(a->s.ec2_src));
		else
			snprintf(ec2, sizeof(ec2), "the region's");
		log_info("aws: region %s, EC2 endpoint %s, instance metadata %s (%s)%s, CA %s (%s)",
		    region, ec2, a->s.imds_url, aws_src_str(a->s.imds_src),
		    a->s.imds_disabled ? " disabled by AWS_EC2_METADATA_DISABLED" : "",
		    a->s.ca_file[0] != '\0' ? a->s.ca_file : "system store",
		    aws_src_str(a->s.ca_src));
	}

	if (a->s.access_key_id[0] != '\0') {
		a->creds_static = true;
		snprintf(a->creds.access_key_id, sizeof(a->creds.access_key_id), "%s",
		    a->s.access_key_id);
		snprintf(a->creds.secret_access_key, sizeof(a->creds.secret_access_key), "%s",
		    a->s.secret_access_key);
		a->creds.session_token = xstrdup(a->s.session_token);
	}
	r = awsw_pool_start(a);
	if (r < 0)
		goto fail;

	if (a->s.imds_disabled) {
		/* everything is configured: ready on the next loop iteration */
		snprintf(a->id.eni, sizeof(a->id.eni), "%s", a->conf.network_interface_id);
		a->step = DISC_DONE;
	}
	ev_timer_set(&a->disc_timer, 0., 0.);
	ev_timer_start(a->loop, &a->disc_timer);
	*out = a;
	return 0;
fail:
	aws_client_free(a);
	return r == -EINVAL || r == -ENOMEM ? r : -EINVAL;
}

void
aws_client_free(struct aws_client *a)
{
	if (a == NULL)
		return;
	while (a->calls != NULL)
		ec2_call_free(a->calls);
	if (a->loop != NULL) {
		ev_timer_stop(a->loop, &a->disc_timer);
		ev_timer_stop(a->loop, &a->refresh_timer);
	}
	awsw_pool_stop(a);
	tls_ctx_put(a->tls);
	aws_creds_clear(&a->creds);
	aws_settings_clear(&a->s);
	if (a->token != NULL) {
		explicit_bzero(a->token, strlen(a->token));
		free(a->token);
	}
	free(a->conf.region);
	free(a->conf.ec2_endpoint);
	free(a->conf.imds_endpoint);
	free(a->conf.ca_file);
	free(a->conf.network_interface_id);
	free(a->ifname);
	free(a);
}

bool
aws_client_ready(const struct aws_client *a)
{
	return a != NULL && a->ready;
}

const struct aws_identity *
aws_client_identity(const struct aws_client *a)
{
	return &a->id;
}

bool
aws_client_same(const struct aws_client *a, const struct aws *aws, const char *ifname)
{
	return str_eq(a->conf.region, aws->region) &&
	       str_eq(a->conf.ec2_endpoint, aws->ec2_endpoint) &&
	       str_eq(a->conf.imds_endpoint, aws->imds_endpoint) &&
	       str_eq(a->conf.ca_file, aws->ca_file) &&
	       str_eq(a->conf.network_interface_id, aws->network_interface_id) &&
	       a->conf.api_timeout_ms == aws->api_timeout_ms && str_eq(a->ifname, ifname);
}
