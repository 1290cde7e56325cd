/* SPDX-License-Identifier: Apache-2.0 */
/*
 * announce.h - whether a VIP with announce = "bgp" is announced from this
 * router, and why not (pure: inputs in, a verdict and its words out).
 *
 * A BGP VIP is announced while the daemon runs and is not drained, IPVS is
 * available, it holds the VIP's address, and every pool of the VIP is settled (its first verdicts are
 * in the IPVS table) and at or above min_servers (unless on_pool_failure =
 * ignore).  The server states behind "at or above" already went through
 * their rise/fall, which is the hysteresis.
 */
#ifndef IPVSR_ANNOUNCE_H
#define IPVSR_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>

enum ann_verdict {
	ANN_YES = 0,	   /* announced */
	ANN_STOPPING,	   /* the daemon is shutting down */
	ANN_DRAINED,	   /* ipvs-routerctl drain-router */
	ANN_NO_IPVS,	   /* IPVS is not available (no ip_vs module) */
	ANN_STARTING,	   /* IPVS not opened yet, or the VIP not started */
	ANN_NO_ADDRESS,	   /* the VIP's address is not on its interface (FAULT) */
	ANN_POOL_DOWN,	   /* a pool below min_servers */
	ANN_POOL_UNSETTLED /* a pool's first verdicts are not in the IPVS table yet */
};

struct ann_in {
	bool stopping;
	bool drained;
	int ipvs;	    /* 1 available, 0 not, -1 not known yet */
	bool started;	    /* the VIP's instance has started (left INIT) */
	bool have_address;
	const char *pool_down;	    /* the first pool below min_servers, or NULL */
	const char *pool_unsettled; /* the first pool not settled, or NULL */
};

/* The verdict; the first reason in the order of the enum wins. */
enum ann_verdict ann_decide(const struct ann_in *in);

/* "announced" or "withdrawn: <why>" into buf (always terminated). */
void ann_describe(enum ann_verdict v, const struct ann_in *in, char *buf, size_t len);

#endif
