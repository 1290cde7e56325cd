/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for elect.c: the election state machine with a fake clock.
 *
 * Table-driven: each scenario is one instance and a list of steps (time,
 * event, expected state, actions, advertised priority and next deadline).
 * A small simulation wires two or three instances together through a fake
 * network to check the properties the issue asks for: initial election,
 * failover timing, clean shutdown, preemption, split brain healing, ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elect.h"

#define NONE	ELECT_NEVER
#define ANY	(-2)	/* do not check */
#define A_SEND	ELECT_ACT_SEND
#define A_TAKE	ELECT_ACT_TAKE
#define A_REL	ELECT_ACT_RELEASE
#define A_ANN	ELECT_ACT_ANNOUNCE
#define MAXSTEPS 16

enum { START = ELECT_EV_START, TIMER = ELECT_EV_TIMER, ADVERT = ELECT_EV_ADVERT,
	TRACK = ELECT_EV_TRACK, STOP = ELECT_EV_SHUTDOWN, TAKE_FAIL = ELECT_EV_TAKE_FAILED,
	TAKE_OK = ELECT_EV_TAKE_OK, RECONF = 100 };

struct step {
	int64_t t;
	int ev;
	int from;		/* ADVERT: last octet of 192.0.2.X */
	int prio;		/* ADVERT: priority; RECONF: new priority */
	int interval;		/* ADVERT: interval; RECONF: new interval (0: same) */
	bool fault;		/* TRACK; RECONF: standalone */
	int dec;		/* TRACK */
	bool settle;		/* TRACK: the pools are still settling */
	enum elect_state want;
	unsigned acts;
	int adv_prio;		/* checked when acts has A_SEND */
	int64_t deadline;	/* ANY: not checked */
	const char *why;	/* a substring of the transition's reason, or NULL */
	int pre;		/* 1: e.preempted wanted true, -1: false, 0: not checked */
	const char *note;	/* a substring of the output's note, or NULL (then none) */
};

struct scenario {
	const char *name;
	int prio, interval;
	bool preempt;
	int delay;
	bool standalone;
	int self;		/* last octet of our address */
	struct step steps[MAXSTEPS];
};

static struct sockaddr_x
addr(int last)
{
	struct sockaddr_x a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.a.v4.s_addr = htonl(0xc0000200u | (unsigned)last);
	return a;
}

/* prio 100, interval 100: skew = 156*100/256 = 60, master down = 360 */
static const struct scenario scenarios[] = {
    {"start, no master: BACKUP then MASTER after master-down", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    {359, TIMER, .want = ELECT_BACKUP, .acts = 0, .deadline = 360},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.deadline = 460, .why = "no master heard for 360 ms"},
	    {460, TIMER, .want = ELECT_MASTER, .acts = A_SEND, .adv_prio = 100, .deadline = 560},
	    {575, TIMER, .want = ELECT_MASTER, .acts = A_SEND, .adv_prio = 100, .deadline = 660},
	    /* more than one interval late: no burst, the cadence restarts */
	    {900, TIMER, .want = ELECT_MASTER, .acts = A_SEND, .adv_prio = 100, .deadline = 1000},
	    {.t = -1}}},
    {"backup follows a higher master and learns its interval", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    {100, ADVERT, 20, 200, 1000, .want = ELECT_BACKUP, .deadline = 100 + 3000 + 609},
	    {3708, TIMER, .want = ELECT_BACKUP, .deadline = 3709},
	    {3709, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.deadline = 3809},
	    {.t = -1}}},
    /* A lower advert while MASTER: RFC 5798 6.4.3 discards it; like keepalived we
     * advertise at once and announce the address again (a rival that missed our
     * adverts may have moved the neighbours' ARP caches). */
    {"master yields to a higher priority, reasserts against a lower one", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.deadline = 460},
	    {400, ADVERT, 20, 50, 100, .want = ELECT_MASTER, .acts = A_SEND | A_ANN, .adv_prio = 100,
		.deadline = 500},
	    {410, ADVERT, 20, 101, 100, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 770},
	    {.t = -1}}},
    {"equal priority: the higher address wins", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {370, ADVERT, 9, 100, 100, .want = ELECT_MASTER, .acts = A_SEND | A_ANN, .adv_prio = 100},
	    {380, ADVERT, 11, 100, 100, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 740},
	    /* a BACKUP never preempts an equal priority, whatever the addresses */
	    {390, ADVERT, 9, 100, 100, .want = ELECT_BACKUP, .deadline = 750},
	    {.t = -1}}},
    {"priority 0 from the master: take over after the skew time only", 100, 100, true, 0,
	false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {100, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 100 + 360},
	    {150, ADVERT, 20, 0, 100, .want = ELECT_BACKUP, .deadline = 150 + 60},
	    {210, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.why = "the master released the VIP"},
	    {.t = -1}}},
    /* issue #16 scenario 9: only the master being followed may cut the wait */
    {"priority 0 from a router that is not our master is ignored", 100, 100, true, 0, false,
	10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {100, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 100 + 360},
	    /* 30 is a peer, but not the master this backup follows */
	    {150, ADVERT, 30, 0, 100, .want = ELECT_BACKUP, .deadline = 100 + 360},
	    {200, TIMER, .want = ELECT_BACKUP, .deadline = 100 + 360},
	    {250, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 250 + 360},
	    /* the master itself still may */
	    {300, ADVERT, 20, 0, 100, .want = ELECT_BACKUP, .deadline = 300 + 60},
	    {.t = -1}}},
    {"priority 0 before any master was heard is ignored", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    {50, ADVERT, 30, 0, 100, .want = ELECT_BACKUP, .deadline = 360},
	    {110, TIMER, .want = ELECT_BACKUP, .deadline = 360},
	    {.t = -1}}},
    {"priority 0 to a master: it asserts itself at once", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {400, ADVERT, 20, 0, 100, .want = ELECT_MASTER, .acts = A_SEND, .adv_prio = 100,
		.deadline = 500},
	    {.t = -1}}},
    {"preemption: a lower master is ignored, master-down runs out", 200, 100, true, 0, false,
	10,
	/* prio 200: skew = 56*100/256 = 21, master down = 321 */
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 321},
	    {200, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 321, .pre = -1},
	    {321, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200,
		.why = "preempting 192.0.2.20 (priority 100, ours 200)", .pre = 1},
	    /* still the same mastership */
	    {400, ADVERT, 20, 100, 100, .want = ELECT_MASTER, .acts = A_SEND | A_ANN,
		.adv_prio = 200, .pre = 1},
	    /* a higher master: BACKUP, and the next mastership starts afresh */
	    {500, ADVERT, 30, 250, 100, .want = ELECT_BACKUP, .acts = A_REL, .pre = -1},
	    {821, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200,
		.why = "no advert from 192.0.2.30", .pre = -1},
	    {.t = -1}}},
    /* a master-down deadline judged late: this router did not run (a paused VM, two
     * routers in one stalled kernel); the master may have stalled with it and send its
     * overdue advert just after (failover-flows in CI: the returning router took the VIP
     * from a live master before its pools settled) */
    {"judged late: one more advert interval for the master, then an advert", 100, 100, true,
	0, false, 10,
	/* prio 100: skew 60, master-down 360 */
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {100, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 460},
	    {1500, TIMER, .want = ELECT_BACKUP, .deadline = 1500 + 160,
		.note = "master-down judged 1040 ms late (this router was stalled); waiting "
			"160 ms more for an advert from 192.0.2.20"},
	    {1520, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 1880},
	    /* the grace is once per silence: the master was heard, so it is there again */
	    {2500, TIMER, .want = ELECT_BACKUP, .deadline = 2660, .note = "judged 620 ms late"},
	    {2660, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.why = "no advert from 192.0.2.20 (priority 200) for 1140 ms"},
	    {.t = -1}}},
    {"judged late twice in one silence: the second takes over", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {100, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 460},
	    {1500, TIMER, .want = ELECT_BACKUP, .deadline = 1660, .note = "judged 1040 ms late"},
	    {3000, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.why = "no advert from 192.0.2.20 (priority 200) for 2900 ms"},
	    {.t = -1}}},
    {"judged late by no more than 25 ms, or with no master heard: no wait", 100, 100, true,
	0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    /* nobody to wait for */
	    {2000, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.why = "no master heard"},
	    {2050, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 2410},
	    /* 25 ms late: the loop's own lateness, not a stall */
	    {2435, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.why = "no advert from 192.0.2.20"},
	    {.t = -1}}},
    {"judged 26 ms late: a stall; with 20 ms adverts the bar is the interval", 100, 100, true,
	0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    {100, ADVERT, 20, 200, 100, .want = ELECT_BACKUP, .deadline = 460},
	    {486, TIMER, .want = ELECT_BACKUP, .deadline = 646, .note = "judged 26 ms late"},
	    {646, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    /* 20 ms adverts (the master's interval counts): master-down 3 x 20 + 12 */
	    {700, ADVERT, 20, 200, 20, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 772},
	    {792, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {800, ADVERT, 20, 200, 20, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 872},
	    {893, TIMER, .want = ELECT_BACKUP, .deadline = 893 + 32, .note = "judged 21 ms late"},
	    {.t = -1}}},
    {"no preemption: a lower master is followed", 200, 100, false, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 421},
	    {200, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 521},
	    {521, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200,
		.why = "no advert from 192.0.2.20 (priority 100) for 321 ms", .pre = -1},
	    {.t = -1}}},
    {"preempt_delay: follow a lower master until the delay is over", 200, 100, true, 1000,
	false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 421},
	    {999, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 1320},
	    {1000, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 1320},
	    {1100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 1320},
	    {1320, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200},
	    {.t = -1}}},
    /* issue #17: a router whose pools are still settling does not take the VIP from a
     * working master (its table is still filling: flows would move); a dead master is
     * still replaced */
    {"settling: a lower master is followed until the pools settle, then preempted", 200, 100,
	true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {10, TRACK, .settle = true, .want = ELECT_BACKUP, .deadline = 321},
	    {100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 421},
	    {200, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 521},
	    {250, TRACK, .settle = false, .want = ELECT_BACKUP, .deadline = 521},
	    {300, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 521},
	    {400, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 521},
	    {521, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200,
		.why = "preempting 192.0.2.20 (priority 100, ours 200)"},
	    {.t = -1}}},
    {"settling again while preempting: the lower master is followed again", 200, 100, true,
	0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 321},
	    {150, TRACK, .settle = true, .want = ELECT_BACKUP, .deadline = 471},
	    {250, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 571},
	    {.t = -1}}},
    {"settling: a lower master that dies is still replaced", 200, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {100, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .deadline = 321},
	    {150, TRACK, .settle = true, .want = ELECT_BACKUP, .deadline = 471},
	    {471, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200,
		.why = "no advert from 192.0.2.20 (priority 100) for 321 ms"},
	    {.t = -1}}},
    {"settling: no master at all, the VIP is taken as usual", 200, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 321},
	    {10, TRACK, .settle = true, .want = ELECT_BACKUP, .deadline = 321},
	    {321, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200,
		.why = "no master heard for 321 ms"},
	    {.t = -1}}},
    {"tracking fault: a master releases with priority 0, comes back via BACKUP", 100, 100,
	true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {400, TRACK, .fault = true, .want = ELECT_FAULT, .acts = A_SEND | A_REL,
		.adv_prio = 0, .deadline = NONE},
	    {450, ADVERT, 20, 50, 100, .want = ELECT_FAULT, .acts = 0, .deadline = NONE},
	    {500, TIMER, .want = ELECT_FAULT, .acts = 0},
	    {600, TRACK, .fault = false, .want = ELECT_BACKUP, .acts = 0, .deadline = 960},
	    {.t = -1}}},
    {"tracking decrement: a master advertises the lower priority at once", 200, 100, true, 0,
	false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {321, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 200},
	    {350, TRACK, .dec = 150, .want = ELECT_MASTER, .acts = A_SEND, .adv_prio = 50,
		.deadline = 450},
	    {360, TRACK, .dec = 150, .want = ELECT_MASTER, .acts = 0, .deadline = 450},
	    /* now a priority-100 peer wins */
	    {370, ADVERT, 20, 100, 100, .want = ELECT_BACKUP, .acts = A_REL},
	    /* never below 1 */
	    {380, TRACK, .dec = 500, .want = ELECT_BACKUP, .acts = 0},
	    {.t = -1}}},
    /* issue #16 scenario 6: a master without its address must not keep the VIP */
    {"the address cannot be added: FAULT with priority 0, retried with backoff", 100, 100,
	true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {360, TAKE_FAIL, .want = ELECT_FAULT, .acts = A_SEND | A_REL, .adv_prio = 0,
		.deadline = 360 + 1000, .why = "cannot add the address"},
	    /* adverts are ignored in FAULT, the retry stays where it is */
	    {400, ADVERT, 20, 50, 100, .want = ELECT_FAULT, .deadline = 1360},
	    {1360, TIMER, .want = ELECT_FAULT, .acts = A_TAKE, .deadline = NONE},
	    {1360, TAKE_FAIL, .want = ELECT_FAULT, .deadline = 1360 + 2000},
	    {3360, TIMER, .want = ELECT_FAULT, .acts = A_TAKE, .deadline = NONE},
	    /* tracking recovering does not end this fault */
	    {3360, TAKE_FAIL, .want = ELECT_FAULT, .deadline = 3360 + 4000},
	    {3400, TRACK, .want = ELECT_FAULT, .deadline = 7360},
	    {7360, TIMER, .want = ELECT_FAULT, .acts = A_TAKE, .deadline = NONE},
	    /* the address could be added: give it back and leave FAULT through BACKUP */
	    {7360, TAKE_OK, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 7360 + 360,
		.why = "the address can be added again"},
	    {7720, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {7720, TAKE_OK, .want = ELECT_MASTER, .deadline = 7820},
	    /* the backoff starts again from 1 s after a success */
	    {7800, TAKE_FAIL, .want = ELECT_FAULT, .acts = A_SEND | A_REL, .adv_prio = 0,
		.deadline = 7800 + 1000},
	    {.t = -1}}},
    {"the address cannot be added while tracking fails too: FAULT stays until both clear",
	100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 360},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {360, TAKE_FAIL, .want = ELECT_FAULT, .acts = A_SEND | A_REL, .adv_prio = 0,
		.deadline = 1360},
	    {500, TRACK, .fault = true, .want = ELECT_FAULT, .deadline = 1360},
	    {1360, TIMER, .want = ELECT_FAULT, .acts = A_TAKE, .deadline = NONE},
	    {1360, TAKE_OK, .want = ELECT_FAULT, .acts = A_REL, .deadline = NONE},
	    {1500, TRACK, .want = ELECT_BACKUP, .deadline = 1500 + 360, .why = "tracking"},
	    {.t = -1}}},
    {"standalone: the address cannot be added, FAULT without adverts", 100, 100, true, 0,
	true, 10,
	{{0, START, .want = ELECT_MASTER, .acts = A_TAKE, .deadline = NONE},
	    {0, TAKE_FAIL, .want = ELECT_FAULT, .acts = A_REL, .deadline = 1000},
	    {1000, TIMER, .want = ELECT_FAULT, .acts = A_TAKE, .deadline = NONE},
	    {1000, TAKE_OK, .want = ELECT_MASTER, .acts = A_TAKE, .deadline = NONE},
	    {.t = -1}}},
    {"fault at start", 100, 100, true, 0, false, 10,
	{{0, TRACK, .fault = true, .want = ELECT_INIT, .acts = 0, .deadline = NONE},
	    {1, START, .want = ELECT_FAULT, .acts = A_REL, .deadline = NONE},
	    {2, TRACK, .fault = false, .want = ELECT_BACKUP, .acts = 0, .deadline = 362},
	    {.t = -1}}},
    {"clean shutdown of a master: priority 0, release", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {400, STOP, .want = ELECT_INIT, .acts = A_SEND | A_REL, .adv_prio = 0,
		.deadline = NONE},
	    {.t = -1}}},
    {"shutdown of a backup sends nothing", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {10, STOP, .want = ELECT_INIT, .acts = 0, .deadline = NONE},
	    {.t = -1}}},
    {"standalone: MASTER at once, no adverts, FAULT releases", 100, 100, true, 0, true, 10,
	{{0, START, .want = ELECT_MASTER, .acts = A_TAKE, .deadline = NONE},
	    {10, ADVERT, 20, 254, 100, .want = ELECT_MASTER, .acts = 0},
	    {20, TRACK, .fault = true, .want = ELECT_FAULT, .acts = A_REL},
	    {30, TRACK, .fault = false, .want = ELECT_MASTER, .acts = A_TAKE, .deadline = NONE},
	    {40, STOP, .want = ELECT_INIT, .acts = A_REL},
	    {.t = -1}}},
    {"10 ms adverts", 100, 10, true, 0, false, 10,
	/* skew = 156*10/256 = 6, master down = 36 */
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = 36},
	    {5, ADVERT, 20, 150, 10, .want = ELECT_BACKUP, .deadline = 41},
	    {41, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100,
		.deadline = 51},
	    {.t = -1}}},
    {"reload: a master with a new priority advertises it at once", 100, 100, true, 0, false,
	10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {360, TIMER, .want = ELECT_MASTER, .acts = A_SEND | A_TAKE, .adv_prio = 100},
	    {400, RECONF, .prio = 120, .want = ELECT_MASTER, .acts = A_SEND, .adv_prio = 120,
		.deadline = 500},
	    {410, RECONF, .prio = 120, .want = ELECT_MASTER, .acts = 0, .deadline = 500},
	    {420, RECONF, .prio = 120, .interval = 50, .want = ELECT_MASTER, .acts = A_SEND,
		.adv_prio = 120, .deadline = 470},
	    {.t = -1}}},
    {"reload: a backup that becomes standalone takes the VIP", 100, 100, true, 0, false, 10,
	{{0, START, .want = ELECT_BACKUP, .acts = A_REL, .deadline = ANY},
	    {100, ADVERT, 20, 200, 100, .want = ELECT_BACKUP},
	    {150, RECONF, .prio = 100, .fault = true, .want = ELECT_MASTER, .acts = A_TAKE,
		.deadline = NONE},
	    {.t = -1}}},
};

static void
run_scenario(const struct scenario *sc)
{
	struct elect_conf c;
	struct elect e;
	struct elect_out o;
	struct elect_event ev;
	const struct step *s;
	char what[256];
	int i;

	memset(&c, 0, sizeof(c));
	c.priority = sc->prio;
	c.advert_interval_ms = sc->interval;
	c.preempt = sc->preempt;
	c.preempt_delay_ms = sc->delay;
	c.standalone = sc->standalone;
	c.self = addr(sc->self);
	elect_init(&e, &c);
	assert_int_equal(e.state, ELECT_INIT);

	for (i = 0; i < MAXSTEPS && sc->steps[i].t >= 0; i++) {
		s = &sc->steps[i];
		snprintf(what, sizeof(what), "%s: step %d (t=%lld)", sc->name, i, (long long)s->t);
		if (s->ev == RECONF) {
			struct elect_conf nc = c;

			nc.priority = s->prio;
			if (s->interval > 0)
				nc.advert_interval_ms = s->interval;
			nc.standalone = s->fault;
			elect_reconfigure(&e, &nc, s->t, &o);
		} else {
			memset(&ev, 0, sizeof(ev));
			ev.type = (enum elect_ev_type)s->ev;
			ev.from = addr(s->from);
			ev.priority = s->prio;
			ev.interval_ms = s->interval;
			ev.fault = s->fault;
			ev.decrement = s->dec;
			ev.settling = s->settle;
			elect_input(&e, &ev, s->t, &o);
		}
		if (e.state != s->want || o.actions != s->acts ||
		    ((s->acts & A_SEND) && o.advert_priority != s->adv_prio) ||
		    (s->deadline != ANY && s->deadline != 0 && elect_deadline(&e) != s->deadline)) {
			print_error("%s: state %s (want %s), actions %#x (want %#x), advert priority "
				    "%d (want %d), deadline %lld (want %lld)\n",
			    what, elect_state_str(e.state), elect_state_str(s->want), o.actions,
			    s->acts, o.advert_priority, s->adv_prio, (long long)elect_deadline(&e),
			    (long long)s->deadline);
			fail();
		}
		/* a transition is reported with a reason; no transition, no reason */
		assert_int_equal(o.to, e.state);
		if (o.from != o.to)
			assert_true(o.reason[0] != '\0');
		/* MASTER by preempting a live master: what it claimed may land late */
		if ((s->pre > 0 && !e.preempted) || (s->pre < 0 && e.preempted)) {
			print_error("%s: preempted %d, want %d\n", what, e.preempted, s->pre > 0);
			fail();
		}
		if ((s->note == NULL && o.note[0] != '\0') ||
		    (s->note != NULL && strstr(o.note, s->note) == NULL)) {
			print_error("%s: note \"%s\", want \"%s\"\n", what, o.note,
			    s->note != NULL ? s->note : "");
			fail();
		}
		if (s->why != NULL && strstr(o.reason, s->why) == NULL) {
			print_error("%s: reason \"%s\", want \"%s\"\n", what, o.reason, s->why);
			fail();
		}
	}
}

static void
test_scenarios(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
}

static void
test_timing_formulas(void **state)
{
	static const struct {
		int prio, interval, skew, down;
	} t[] = {
	    {100, 100, 60, 360}, {200, 100, 21, 321}, {254, 100, 0, 300}, {1, 100, 99, 399},
	    {100, 20, 12, 72}, {100, 1000, 609, 3609}, {150, 50, 20, 170}, {100, 10, 6, 36},
	};
	struct elect_conf c;
	struct elect e;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.priority = t[i].prio;
		c.advert_interval_ms = t[i].interval;
		elect_init(&e, &c);
		assert_int_equal(elect_skew_ms(&e), t[i].skew);
		assert_int_equal(elect_master_down_ms(&e), t[i].down);
	}
}

/* ------------------------------------------------------------ simulation */

#define NR 3
#define NET_DELAY 1	/* ms from send to receipt */
#define QMAX 256

struct simmsg {
	int64_t at;
	int from, to, prio, interval;
};

struct sim {
	struct elect r[NR];
	bool alive[NR];
	bool cut[NR][NR];	/* partition: no packets i -> j */
	int n;
	int64_t now;
	struct simmsg q[QMAX];
	int nq;
	int takes[NR];		/* TAKE actions seen per router */
};

static void
sim_out(struct sim *s, int i, const struct elect_out *o)
{
	int j;

	if (o->actions & ELECT_ACT_TAKE)
		s->takes[i]++;
	if (!(o->actions & ELECT_ACT_SEND))
		return;
	for (j = 0; j < s->n; j++) {
		if (j == i || s->cut[i][j])
			continue;
		assert_true(s->nq < QMAX);
		s->q[s->nq++] = (struct simmsg){s->now + NET_DELAY, i, j, o->advert_priority,
		    s->r[i].conf.advert_interval_ms};
	}
}

static void
sim_init(struct sim *s, int n, const int *prio, int interval, bool preempt, int delay)
{
	struct elect_conf c;
	int i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		c.priority = prio[i];
		c.advert_interval_ms = interval;
		c.preempt = preempt;
		c.preempt_delay_ms = delay;
		c.self = addr(11 + i);
		elect_init(&s->r[i], &c);
	}
}

static void
sim_start(struct sim *s, int i)
{
	struct elect_event ev = {.type = ELECT_EV_START};
	struct elect_out o;
	struct elect_conf c = s->r[i].conf;

	elect_init(&s->r[i], &c);
	s->alive[i] = true;
	elect_input(&s->r[i], &ev, s->now, &o);
	sim_out(s, i, &o);
}

static void
sim_kill(struct sim *s, int i)
{
	s->alive[i] = false;
}

static void
sim_stop(struct sim *s, int i)
{
	struct elect_event ev = {.type = ELECT_EV_SHUTDOWN};
	struct elect_out o;

	elect_input(&s->r[i], &ev, s->now, &o);
	sim_out(s, i, &o);
	s->alive[i] = false;
}

/* Advance to `until` one millisecond at a time: messages due, then deadlines. */
static void
sim_run(struct sim *s, int64_t until)
{
	struct elect_event ev;
	struct elect_out o;
	int i, k;

	while (s->now < until) {
		s->now++;
		for (k = 0; k < s->nq;) {
			struct simmsg m = s->q[k];

			if (m.at > s->now) {
				k++;
				continue;
			}
			s->q[k] = s->q[--s->nq];
			if (!s->alive[m.to])
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.type = ELECT_EV_ADVERT;
			ev.from = addr(11 + m.from);
			ev.priority = m.prio;
			ev.interval_ms = m.interval;
			elect_input(&s->r[m.to], &ev, s->now, &o);
			sim_out(s, m.to, &o);
		}
		for (i = 0; i < s->n; i++) {
			if (!s->alive[i] || elect_deadline(&s->r[i]) > s->now)
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.type = ELECT_EV_TIMER;
			elect_input(&s->r[i], &ev, s->now, &o);
			sim_out(s, i, &o);
		}
	}
}

static int
sim_masters(const struct sim *s, int *which)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->alive[i] && s->r[i].state == ELECT_MASTER) {
			n++;
			if (which != NULL)
				*which = i;
		}
	return n;
}

/* Run until someone is master; returns the time it took (or -1). */
static int64_t
sim_until_master(struct sim *s, int64_t limit, int *who)
{
	int64_t t0 = s->now;

	while (s->now - t0 < limit) {
		sim_run(s, s->now + 1);
		if (sim_masters(s, who) > 0)
			return s->now - t0;
	}
	return -1;
}

static void
test_sim_two_routers(void **state)
{
	static const int prio[] = {200, 100};
	struct sim s;
	int who = -1;
	int64_t t;

	sim_init(&s, 2, prio, 100, true, 0);
	sim_start(&s, 0);
	sim_start(&s, 1);
	sim_run(&s, 2000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 0);
	assert_int_equal(s.takes[1], 0); /* no flap on the way */

	/* kill -9 of the master: the backup takes over after its master-down interval */
	sim_kill(&s, 0);
	t = sim_until_master(&s, 2000, &who);
	assert_int_equal(who, 1);
	assert_true(t <= 3 * 100 + (256 - 100) * 100 / 256 + 100); /* + the last advert's age */

	/* restart with preemption: r0 takes its VIP back, one master at the end */
	sim_start(&s, 0);
	sim_run(&s, s.now + 1000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 0);

	/* clean stop: r1 takes over after its skew time, well before master-down */
	sim_stop(&s, 0);
	t = sim_until_master(&s, 2000, &who);
	assert_int_equal(who, 1);
	assert_true(t <= NET_DELAY + (256 - 100) * 100 / 256 + 1);
}

static void
test_sim_preempt_delay(void **state)
{
	static const int prio[] = {200, 100};
	struct sim s;
	int who = -1;

	sim_init(&s, 2, prio, 100, true, 3000);
	sim_start(&s, 1);
	sim_run(&s, 1000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 1);
	sim_start(&s, 0); /* at t=1000 */
	sim_run(&s, 3900);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 1); /* still within the delay */
	sim_run(&s, 4500);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 0); /* after delay + master-down */
}

static void
test_sim_no_preempt(void **state)
{
	static const int prio[] = {200, 100};
	struct sim s;
	int who = -1;

	sim_init(&s, 2, prio, 100, false, 0);
	sim_start(&s, 1);
	sim_run(&s, 1000);
	sim_start(&s, 0);
	sim_run(&s, 5000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 1);
	assert_int_equal(s.takes[0], 0);
}

static void
test_sim_three_routers_partition(void **state)
{
	static const int prio[] = {200, 150, 100};
	struct sim s;
	int who = -1, i, j;

	sim_init(&s, 3, prio, 50, true, 0);
	for (i = 0; i < 3; i++)
		sim_start(&s, i);
	sim_run(&s, 1000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 0);

	/* losing the master: the next best takes over, the third stays backup */
	sim_kill(&s, 0);
	sim_run(&s, s.now + 500);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 1);
	assert_int_equal(s.takes[2], 0);
	sim_start(&s, 0);
	sim_run(&s, s.now + 500);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 0);

	/* partition {0} | {1,2}: two masters; heal: one again within an interval or so */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			s.cut[i][j] = (i == 0) != (j == 0);
	sim_run(&s, s.now + 1000);
	assert_int_equal(sim_masters(&s, NULL), 2);
	memset(s.cut, 0, sizeof(s.cut));
	sim_run(&s, s.now + 50 + 2 * NET_DELAY);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 0);
}

static void
test_sim_equal_priorities(void **state)
{
	static const int prio[] = {100, 100, 100};
	struct sim s;
	int who = -1, i;

	sim_init(&s, 3, prio, 100, true, 0);
	for (i = 0; i < 3; i++)
		sim_start(&s, i);
	sim_run(&s, 2000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 2); /* the highest address */
	/* stable: nothing changes over a long run */
	memset(s.takes, 0, sizeof(s.takes));
	sim_run(&s, 20000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 2);
	for (i = 0; i < 3; i++)
		assert_int_equal(s.takes[i], 0);
	/* the master dies: exactly one of the others remains master */
	sim_kill(&s, 2);
	sim_run(&s, s.now + 2000);
	assert_int_equal(sim_masters(&s, &who), 1);
	assert_int_equal(who, 1);
}

/* A master that hears a losing router claim the VIP (it missed our adverts)
 * advertises at once and announces the address again, at most once a second. */
static void
test_master_reasserts_against_a_rival(void **state)
{
	struct elect_conf c;
	struct elect e;
	struct elect_out o;
	struct elect_event ev;
	int64_t t = 1000;

	memset(&c, 0, sizeof(c));
	c.priority = 200;
	c.advert_interval_ms = 100;
	c.preempt = true;
	c.self = addr(1);
	elect_init(&e, &c);
	memset(&ev, 0, sizeof(ev));
	ev.type = ELECT_EV_START;
	elect_input(&e, &ev, t, &o);
	for (; e.state != ELECT_MASTER && t < 5000; t += 10) {	/* master-down runs out */
		ev.type = ELECT_EV_TIMER;
		if (elect_deadline(&e) <= t)
			elect_input(&e, &ev, t, &o);
	}
	assert_int_equal(e.state, ELECT_MASTER);

	memset(&ev, 0, sizeof(ev));
	ev.type = ELECT_EV_ADVERT;
	ev.from = addr(2);
	ev.priority = 100;	/* loses to us */
	ev.interval_ms = 100;
	elect_input(&e, &ev, t, &o);
	assert_int_equal(e.state, ELECT_MASTER);
	assert_true(o.actions & ELECT_ACT_SEND);
	assert_true(o.actions & ELECT_ACT_ANNOUNCE);
	assert_false(o.actions & ELECT_ACT_RELEASE);
	assert_int_equal(o.advert_priority, 200);
	elect_input(&e, &ev, t + 500, &o);		/* again within the second */
	assert_true(o.actions & ELECT_ACT_SEND);
	assert_false(o.actions & ELECT_ACT_ANNOUNCE);
	elect_input(&e, &ev, t + 1000, &o);		/* a second later */
	assert_true(o.actions & ELECT_ACT_ANNOUNCE);
	/* a winner's advert still makes us step down */
	ev.priority = 250;
	elect_input(&e, &ev, t + 1100, &o);
	assert_int_equal(e.state, ELECT_BACKUP);
	assert_true(o.actions & ELECT_ACT_RELEASE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_reasserts_against_a_rival),
	    cmocka_unit_test(test_scenarios),
	    cmocka_unit_test(test_timing_formulas),
	    cmocka_unit_test(test_sim_two_routers),
	    cmocka_unit_test(test_sim_preempt_delay),
	    cmocka_unit_test(test_sim_no_preempt),
	    cmocka_unit_test(test_sim_three_routers_partition),
	    cmocka_unit_test(test_sim_equal_priorities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
