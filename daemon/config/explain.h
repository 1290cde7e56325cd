/* SPDX-License-Identifier: Apache-2.0 */
/*
 * explain.h - the facts behind one server's weight on this router, as each
 * subsystem knows them (ipvs-routerctl explain POOL SERVER).
 *
 * Plain data, no functions: every subsystem fills its own part of a
 * struct explain (the composer hands it round: endpoints_explain,
 * control's drains, checks_explain, dataplane_explain, election_explain),
 * and control/explain.c turns the whole into the verdict and its text or
 * JSON form.  Here because every subsystem sees config/ and none sees
 * another's headers.
 *
 * Times: wall-clock seconds (time_t, 0 = unknown) for "since when", and
 * milliseconds ago (int64_t, -1 = unknown) for durations, both taken by the
 * filler from its own clocks, so that the renderer needs none.
 */
#ifndef IPVSR_EXPLAIN_H
#define IPVSR_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

#define EXPLAIN_HIST	    10 /* the last probe results shown */
#define EXPLAIN_SVCS	    8  /* kernel services shown per server */
#define EXPLAIN_VIPS	    8  /* VIPs shown per pool */
#define EXPLAIN_TEXT	    192
#define EXPLAIN_NAME	    64

/* Where the server comes from (the composer, from the running configuration). */
struct explain_member {
	bool found;	  /* a server of the pool */
	bool dynamic;	  /* from the pool's endpoints file */
	char src[256];	  /* the configuration file, or the endpoints file */
	int line;	  /* its line there, 0 = none (an endpoint draining after its removal) */
	int weight;	  /* configured (or listed) weight */
	bool drain;	  /* drain = true in the configuration or the file */
	/* endpoints file (endpoints_explain) */
	time_t listed_since;	     /* the file first listed it (this process's readings) */
	time_t file_updated;	     /* the last accepted reading */
	char file_refused[EXPLAIN_TEXT]; /* why the last reading was refused, "" accepted */
	int64_t grace_left_ms;	     /* removed from the file, draining this much longer; -1 no */
};

/* An operator's drain or undrain (control's drains). */
struct explain_drain {
	bool any;	/* a drain or an undrain is on record */
	bool drained;
	char who[EXPLAIN_NAME];
	char router[EXPLAIN_NAME];
	time_t when;
};

struct explain_result {
	bool ok;
	int64_t ago_ms;
	char text[EXPLAIN_TEXT]; /* health_result_fmt */
};

/* The health table's entry (checks_explain). */
struct explain_health {
	bool known;	     /* the table has an entry */
	char check[16];	     /* "http", "tcp", ..., "none" */
	char target[SOCKADDR_X_STRLEN]; /* what the probe connects to */
	bool up;
	int64_t since_ago_ms; /* the last transition (or creation) */
	int rise, fall;
	int ok_run, fail_run, down_run;
	bool seen;
	bool settled;	     /* health_settled */
	char local[EXPLAIN_TEXT]; /* probes held back by a local fault, "" none */
	struct explain_result hist[EXPLAIN_HIST]; /* newest first */
	size_t nhist;
	unsigned long probes; /* results this probe has had */
};

/* One kernel service that holds (or should hold) the server. */
struct explain_svc {
	char label[EXPLAIN_NAME]; /* "vip www" */
	char svc[80];		  /* "tcp 198.51.100.10:80" */
	bool present;		  /* the applied view has the destination */
	int weight;		  /* its weight there */
	bool changed;		  /* a change is on record */
	char last_op[EXPLAIN_TEXT]; /* rc_op_fmt of it */
	int last_err;		  /* 0, or the kernel's negative errno */
	int64_t last_ago_ms;
};

/* Why the desired weight is what it is (dataplane_explain). */
enum explain_why {
	EXPLAIN_NOT_SERVED = 0, /* no service of this router uses the pool */
	EXPLAIN_UP,		/* up: its configured weight */
	EXPLAIN_ZERO,		/* up, but its configured weight is 0 */
	EXPLAIN_DRAINED,	/* drained (operator, configuration, file, grace) */
	EXPLAIN_DOWN,		/* failed: weight 0 */
	EXPLAIN_DOWN_REMOVED,	/* failed and remove_failed: not in the kernel */
	EXPLAIN_GUARD,		/* failed, kept in by min_servers */
	EXPLAIN_ADOPTED,	/* adopted at start, no health verdict yet */
};

struct explain_dataplane {
	bool available;	      /* IPVS is there */
	bool known;	      /* the pool is in a served service */
	enum explain_why why;
	int want;	      /* the weight wanted, -1: removed */
	size_t members, live; /* the pool's members, those with weight > 0 before the guard */
	size_t kept;	      /* failed members the guard keeps in */
	int min_servers;
	bool pending;	      /* a reconcile is running or due: the kernel may lag */
	struct explain_svc svcs[EXPLAIN_SVCS];
	size_t nsvcs, more_svcs; /* shown, and not shown */
	int64_t history_ago_ms;	 /* the oldest change on record, -1: none yet */
};

/* A VIP whose services use the pool (election_explain). */
struct explain_vip {
	char name[EXPLAIN_NAME];
	bool election;	    /* false: standalone, served as configured */
	char role[12];	    /* "MASTER", "BACKUP", "FAULT", "INIT" */
	int priority;	    /* ours, after tracking's decrement */
	int base_priority;  /* configured */
	char master[EXPLAIN_NAME + SOCKADDR_X_STRLEN]; /* the master we follow, "" none known */
	int master_priority;
	int64_t heard_ago_ms; /* its last advert, -1: never */
	char fault[EXPLAIN_TEXT]; /* why FAULT, "" */
	bool settling;	    /* a tracked pool has not settled: no preemption */
};

struct explain {
	char pool[EXPLAIN_NAME];
	char server[SOCKADDR_X_STRLEN];
	char router[EXPLAIN_NAME];
	struct explain_member member;
	struct explain_drain drain;
	struct explain_health health;
	struct explain_dataplane dp;
	struct explain_vip vips[EXPLAIN_VIPS];
	size_t nvips;
};

#endif
