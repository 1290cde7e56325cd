/* SPDX-License-Identifier: Apache-2.0 */
/*
 * announce.c - the verdict for a BGP VIP (announce.h); pure.
 */
#include <stdio.h>

#include "announce.h"

enum ann_verdict
ann_decide(const struct ann_in *in)
{
	if (in->stopping)
		return ANN_STOPPING;
	if (in->drained)
		return ANN_DRAINED;
	if (in->ipvs == 0)
		return ANN_NO_IPVS;
	if (in->ipvs < 0 || !in->started)
		return ANN_STARTING;
	if (!in->have_address)
		return ANN_NO_ADDRESS;
	if (in->pool_down != NULL)
		return ANN_POOL_DOWN;
	if (in->pool_unsettled != NULL)
		return ANN_POOL_UNSETTLED;
	return ANN_YES;
}

void
ann_describe(enum ann_verdict v, const struct ann_in *in, char *buf, size_t len)
{
	switch (v) {
	case ANN_YES:
		snprintf(buf, len, "announced");
		break;
	case ANN_STOPPING:
		snprintf(buf, len, "withdrawn: shutting down");
		break;
	case ANN_DRAINED:
		snprintf(buf, len, "withdrawn: router drained (ipvs-routerctl undrain-router "
				   "announces again)");
		break;
	case ANN_NO_IPVS:
		snprintf(buf, len, "withdrawn: IPVS is not available (is the ip_vs module loaded?)");
		break;
	case ANN_STARTING:
		snprintf(buf, len, "withdrawn: starting");
		break;
	case ANN_NO_ADDRESS:
		snprintf(buf, len, "withdrawn: the address is not on its interface");
		break;
	case ANN_POOL_DOWN:
		snprintf(buf, len, "withdrawn: pool %s below min_servers", in->pool_down);
		break;
	case ANN_POOL_UNSETTLED:
		snprintf(buf, len, "withdrawn: pool %s not settled yet (first health verdicts "
				   "not in the IPVS table)", in->pool_unsettled);
		break;
	default:
		snprintf(buf, len, "withdrawn");
		break;
	}
}
