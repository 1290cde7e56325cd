/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the command line; everything else is daemon.c's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cloud_doctor.h"
#include "conf.h"
#include "daemon.h"
#include "doctor.h"
#include "election.h"
#include "vip.h"
#include "endpoints.h"
#include "ipvs.h"
#include "json.h"
#include "kad.h"
#include "kad_convert.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROGNAME	"ipvs-router"
#define DEFAULT_CONFIG	SYSCONFDIR "/ipvs-router/ipvs-router.conf"
#define DEFAULT_PIDFILE RUNSTATEDIR "/ipvs-router.pid"

enum {
	OPT_DUMP_CONFIG = 256,
	OPT_VERSION,
	OPT_CONFIG_ONLY,
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'f'},
    {"name", required_argument, NULL, 'n'},
    {"test", no_argument, NULL, 't'},
    {"dump-config", no_argument, NULL, OPT_DUMP_CONFIG},
    {"config-only", no_argument, NULL, OPT_CONFIG_ONLY},
    {"foreground", no_argument, NULL, 'F'},
    {"log-stderr", no_argument, NULL, 'l'},
    {"debug", no_argument, NULL, 'd'},
    {"pidfile", required_argument, NULL, 'p'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f);
static void fds_sanitise(void);
static int check_config(const char *path, const char *router_name, bool dump,
    bool config_only);

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROGNAME " [-Fld] [-f FILE] [-n NAME] [-p PIDFILE]\n"
	    "       " PROGNAME " -t [--config-only] [-f FILE] [-n NAME]\n"
	    "       " PROGNAME " --dump-config [-f FILE] [-n NAME]\n"
	    "       " PROGNAME " doctor [-f FILE] [-n NAME] [--json] [--timeout MS]\n"
	    "       " PROGNAME " import keepalived FILE\n"
	    "       " PROGNAME " withdraw [-f FILE] [--table N]\n"
	    "\n"
	    "IPVS load-balancer router: health checks, VRRPv3 election, cloud failover.\n"
	    "\n"
	    "  -f, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
	    "  -n, --name NAME      this router's name, overriding router.name and the host name\n"
	    "  -t, --test           check the configuration as a reload would (the file, and the\n"
	    "                       key and endpoint files it names), print every error, exit\n"
	    "      --config-only    with -t: check the file alone (off the router, e.g. in CI)\n"
	    "      --dump-config    check the configuration and print it in canonical form\n"
	    "  doctor               check this host against the configuration, read-only: the\n"
	    "                       kernel, every direct-routing backend (a TCP SYN to the VIP\n"
	    "                       sent to its MAC), the election's key and peers; one line\n"
	    "                       per check, with the fix for each failure (" PROGNAME "(8))\n"
	    "  import keepalived FILE\n"
	    "                       print FILE (a keepalived.conf) as an ipvs-router configuration;\n"
	    "                       what it cannot convert stays as comments, listed on stderr\n"
	    "  withdraw             delete the routes of announce = \"bgp\" VIPs from bgp.table\n"
	    "                       (BIRD then withdraws them); the unit's ExecStopPost\n"
	    "  -F, --foreground     do not detach; log to stderr (use this under systemd)\n"
	    "  -l, --log-stderr     log to stderr instead of syslog even when detached\n"
	    "  -d, --debug          log debug messages too\n"
	    "  -p, --pidfile FILE   pidfile (default " DEFAULT_PIDFILE "; \"\" for none)\n"
	    "      --version        print the version and exit\n"
	    "  -h, --help           print this help and exit\n"
	    "\n"
	    "Signals: SIGHUP reloads the configuration (refused, keeping the running one,\n"
	    "if it has any error); SIGTERM and SIGINT stop the daemon (BGP VIPs are\n"
	    "withdrawn first, then served for bgp.withdraw_grace_ms; a second signal\n"
	    "stops at once).\n"
	    "\n"
	    "Exit status:\n"
	    "  0  success\n"
	    "  1  configuration invalid or unreadable\n"
	    "  2  usage error\n"
	    "  3  start-up failure (pidfile in use, cannot detach, event loop, ...)\n"
	    "  4  doctor: at least one check failed\n");
}

/*
 * Started with 0, 1 or 2 closed, the pidfile or a socket could land on one
 * of them and receive stray output.
 */
static void
fds_sanitise(void)
{
	int fd;

	for (;;) {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return;
		if (fd > STDERR_FILENO) {
			close(fd);
			return;
		}
	}
}

/*
 * -t and --dump-config: errors go to stderr as plain lines, exactly as the
 * loader wrote them, so tests and editors can parse them.
 */
static int
check_config(const char *path, const char *router_name, bool dump, bool config_only)
{
	struct config *c = NULL;
	struct errlist el;
	int r, status;
	size_t i;

	errlist_init(&el);
	r = conf_read(path, router_name, &c, &el);
	/*
	 * The same verdict as a reload: what only the running system can check
	 * (the auth key file, required endpoint files) is checked here too.
	 * election_check reports through the log, which -t sends to stderr.
	 */
	if (r == 0 && !dump && !config_only) {
		if (endpoints_check(c, &el) < 0)
			r = -EINVAL;
		if (election_check(c) < 0) {
			r = -EINVAL;
			errlist_add(&el, path, 0, NULL, "refused by the checks above (the key file); "
			    "--config-only checks the file alone");
		}
	}
	for (i = 0; i < el.n; i++)
		fprintf(stderr, "%s\n", el.msgs[i]);
	if (r < 0) {
		if (el.n == 0)
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		status = DAEMON_EXIT_CONFIG;
	} else if (dump) {
		status = DAEMON_EXIT_OK;
		if (conf_dump(c, stdout) < 0 || fflush(stdout) == EOF || ferror(stdout)) {
			fprintf(
			    stderr, PROGNAME ": writing the configuration: %s\n", strerror(errno));
			status = DAEMON_EXIT_STARTUP;
		}
	} else {
		/* accepted, probably not what was meant: after the verdict's errors, before OK */
		for (i = 0; i < c->warnings.n; i++)
			fprintf(stderr, "%s\n", c->warnings.msgs[i]);
		printf("%s: configuration OK\n", path);
		status = DAEMON_EXIT_OK;
	}
	errlist_clear(&el);
	config_free(c);
	return status;
}

/* doctor_ops: the IPVS version through the dataplane's netlink handle */
static int
doctor_ipvs_info(unsigned *version, unsigned *conn_tab, char *why, size_t whylen)
{
	struct ipvs *h;
	int r;

	if ((r = ipvs_open(&h, why, whylen)) < 0)
		return r;
	r = ipvs_info(h, version, conn_tab);
	if (r < 0)
		snprintf(why, whylen, "IPVS_CMD_GET_INFO: %s", strerror(-r));
	ipvs_close(h);
	return r;
}

/* cloud_doctor's findings into the doctor's report, under "aws" */
static void
doctor_aws_add(void *arg, enum cloud_doctor_status st, const char *fix, const char *what)
{
	static const enum doctor_status map[] = {DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL,
	    DOCTOR_UNKNOWN};

	doctor_add(arg, (unsigned)st < 4 ? map[st] : DOCTOR_UNKNOWN, "aws", fix, "%s", what);
}

/* doctor_ops: the AWS client runs on the loop, for as long as the checks take */
static void
doctor_aws_check(const struct config *c, int timeout_ms, struct doctor_report *r)
{
	int e = loop_init();

	if (e < 0) {
		doctor_add(r, DOCTOR_UNKNOWN, "aws", NULL, "not checked: no event loop (%s)",
		    strerror(-e));
		return;
	}
	cloud_doctor(c, timeout_ms, doctor_aws_add, r);
	loop_fini();
}

/* A subcommand's -h (the help, exit 0) or unknown option (usage error, 2). */
static int
sub_opt_other(int ch)
{
	if (ch == 'h') {
		usage(stdout);
		return DAEMON_EXIT_OK;
	}
	usage(stderr);
	return DAEMON_EXIT_USAGE;
}

/* After a subcommand's options: an argument left over is a usage error (2); else -1. */
static int
sub_no_args(const char *sub, int argc, char **argv)
{
	if (optind >= argc)
		return -1;
	fprintf(stderr, PROGNAME " %s: unexpected argument '%s'\n", sub, argv[optind]);
	return DAEMON_EXIT_USAGE;
}

/*
 * ipvs-router doctor [-f FILE] [-n NAME] [--json] [--timeout MS]: the configuration
 * as -t reads it, then doctor_run; 0 with no failed check, 4 with one, 1 when the
 * configuration is invalid, 2 on usage.
 */
static int
doctor_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'f'},
	    {"name", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct doctor_ops ops = {doctor_ipvs_info, election_check_key, doctor_aws_check};
	struct doctor_opts dopts = {.timeout_ms = 1000};
	const char *path = DEFAULT_CONFIG, *name = NULL;
	struct doctor_report rep;
	struct config *c = NULL;
	struct errlist el;
	struct tbuf out;
	struct json j;
	long long v;
	bool json = false;
	int ch, r;
	size_t i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'T':
			if (parse_int(optarg, 10, 60000, &v) < 0) {
				fprintf(stderr, PROGNAME " doctor: --timeout %s: not 10..60000 (ms)\n",
				    optarg);
				return DAEMON_EXIT_USAGE;
			}
			dopts.timeout_ms = (int)v;
			break;
		default:
			return sub_opt_other(ch);
		}
	}
	if ((r = sub_no_args("doctor", argc, argv)) >= 0)
		return r;
	if (name != NULL && !name_valid(name)) {
		fprintf(stderr, PROGNAME " doctor: -n %s: not a valid router name\n", name);
		return DAEMON_EXIT_USAGE;
	}
	log_init(PROGNAME, true, LOG_WARNING, LOG_DAEMON);
	errlist_init(&el);
	r = conf_read(path, name, &c, &el);
	for (i = 0; i < el.n; i++)
		fprintf(stderr, "%s\n", el.msgs[i]);
	if (r < 0 && el.n == 0)
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
	errlist_clear(&el);
	if (r < 0) {
		fprintf(stderr, PROGNAME " doctor: the configuration is invalid: nothing checked\n");
		config_free(c);
		return DAEMON_EXIT_CONFIG;
	}
	doctor_report_init(&rep);
	doctor_add(&rep, DOCTOR_OK, "config", NULL, "%s: valid (router %s, %zu vip%s, %zu pool%s)",
	    path, c->router.name ? c->router.name : "?", c->nvips, c->nvips == 1 ? "" : "s",
	    c->npools, c->npools == 1 ? "" : "s");
	doctor_run(c, &ops, &dopts, &rep);
	if (json) {
		json_init(&j);
		doctor_json(&rep, &j);
		printf("%s\n", json_str(&j));
		json_free(&j);
	} else {
		tbuf_init(&out);
		doctor_text(&rep, &out);
		fputs(out.s != NULL ? out.s : "", stdout);
		tbuf_free(&out);
	}
	r = doctor_count(&rep, DOCTOR_FAIL) > 0 ? DAEMON_EXIT_DOCTOR : DAEMON_EXIT_OK;
	doctor_report_free(&rep);
	config_free(c);
	if (fflush(stdout) == EOF)
		return DAEMON_EXIT_STARTUP;
	return r;
}

/* kad_io for the real files */
static int
import_load(void *arg, const char *path, char **text)
{
	size_t len;

	(void)arg;
	return file_read_all(path, 4 * 1024 * 1024, text, &len);
}

static int
import_glob(void *arg, const char *pattern, char ***paths, size_t *n)
{
	glob_t g;
	size_t i;
	int r;

	(void)arg;
	*paths = NULL;
	*n = 0;
	r = glob(pattern, 0, NULL, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r != 0)
		return -EIO;
	*paths = xcalloc(g.gl_pathc ? g.gl_pathc : 1, sizeof(**paths));
	for (i = 0; i < g.gl_pathc; i++)
		(*paths)[i] = xstrdup(g.gl_pathv[i]);
	*n = g.gl_pathc;
	globfree(&g);
	return 0;
}

/*
 * ipvs-router import keepalived FILE: the configuration on stdout, what was not
 * converted on stderr (FILE:LINE each); 0, or 1 when the file cannot be read or parsed.
 */
static int
import_main(int argc, char **argv)
{
	const struct kad_io io = {import_load, import_glob, NULL};
	struct kad_doc doc;
	struct errlist el, notes;
	struct tbuf out;
	size_t i;
	int r;

	if (argc != 3 || strcmp(argv[1], "keepalived") != 0) {
		fprintf(stderr, "usage: " PROGNAME " import keepalived FILE\n");
		return DAEMON_EXIT_USAGE;
	}
	errlist_init(&el);
	r = kad_parse(argv[2], &io, &doc, &el);
	for (i = 0; i < el.n; i++)
		fprintf(stderr, "%s\n", el.msgs[i]);
	errlist_clear(&el);
	if (r < 0) {
		kad_doc_free(&doc);
		return DAEMON_EXIT_CONFIG;
	}
	errlist_init(&notes);
	tbuf_init(&out);
	kad_convert(&doc, &io, &out, &notes);
	fputs(out.s != NULL ? out.s : "", stdout);
	for (i = 0; i < notes.n; i++)
		fprintf(stderr, "%s\n", notes.msgs[i]);
	tbuf_free(&out);
	errlist_clear(&notes);
	kad_doc_free(&doc);
	return fflush(stdout) == EOF ? DAEMON_EXIT_STARTUP : DAEMON_EXIT_OK;
}

/*
 * ipvs-router withdraw [-f FILE] [--table N]: delete every route ipvs-router
 * put in its BGP table (bgp.table of FILE, else N, else the default), so that
 * BIRD withdraws the VIPs; the unit's ExecStopPost, which also runs after a
 * crash.  A configuration that cannot be read still withdraws, from the
 * default table, and says so.  0 done, 1 the configuration was unreadable and
 * no table was given, 3 the routes could not be deleted.
 */
static int
withdraw_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'f'},
	    {"table", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG;
	struct config *c = NULL;
	struct errlist el;
	long long v, table = 0;
	int ch, r, rc = DAEMON_EXIT_OK;
	size_t i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'T':
			if (parse_int(optarg, 1, 4294967295LL, &v) < 0 || (v >= 253 && v <= 255)) {
				fprintf(stderr, PROGNAME " withdraw: --table %s: not a table of "
				    "ipvs-router's (1..4294967295 but 253-255)\n", optarg);
				return DAEMON_EXIT_USAGE;
			}
			table = v;
			break;
		default:
			return sub_opt_other(ch);
		}
	}
	if ((r = sub_no_args("withdraw", argc, argv)) >= 0)
		return r;
	log_init(PROGNAME, true, LOG_WARNING, LOG_DAEMON);
	if (table == 0) {
		errlist_init(&el);
		r = conf_read(path, NULL, &c, &el);
		if (r < 0) {
			for (i = 0; i < el.n; i++)
				fprintf(stderr, "%s\n", el.msgs[i]);
			fprintf(stderr, PROGNAME " withdraw: %s unreadable: withdrawing from the "
			    "default table %d\n", path, BGP_DEFAULT_TABLE);
			rc = DAEMON_EXIT_CONFIG;
			table = BGP_DEFAULT_TABLE;
		} else {
			table = c->bgp.table != 0 ? c->bgp.table : BGP_DEFAULT_TABLE;
		}
		errlist_clear(&el);
		config_free(c);
	}
	r = vip_route_flush((uint32_t)table);
	if (r < 0) {
		fprintf(stderr, PROGNAME " withdraw: table %lld: %s\n", table, strerror(-r));
		return DAEMON_EXIT_STARTUP;
	}
	printf("withdrew %d route%s from table %lld\n", r, r == 1 ? "" : "s", table);
	return rc;
}

/*
 * The http(s) health checks keep a connection per server between probes
 * (check.reuse_connection): a router with thousands of servers needs more
 * descriptors than the usual soft limit of 1024.  The hard limit is the
 * administrator's (LimitNOFILE= in the unit; systemd's default hard limit
 * is 524288): take all of it.  The loop uses epoll, so high descriptor
 * numbers cost nothing.  The checks keep at most half of it (check_http.c).
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

int
main(int argc, char **argv)
{
	struct daemon_opts opts = {
	    .config_path = DEFAULT_CONFIG,
	    .pidfile = DEFAULT_PIDFILE,
	};
	struct daemon d;
	bool test = false, dump = false, config_only = false;
	int ch, r;

	fds_sanitise();
	if (argc >= 2 && strcmp(argv[1], "doctor") == 0)
		return doctor_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return import_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "withdraw") == 0)
		return withdraw_main(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "f:n:tFldp:h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			opts.config_path = optarg;
			break;
		case 'n':
			opts.router_name = optarg;
			break;
		case 't':
			test = true;
			break;
		case OPT_DUMP_CONFIG:
			dump = true;
			break;
		case OPT_CONFIG_ONLY:
			config_only = true;
			break;
		case 'F':
			opts.foreground = true;
			break;
		case 'l':
			opts.log_stderr = true;
			break;
		case 'd':
			opts.debug = true;
			break;
		case 'p':
			opts.pidfile = optarg;
			break;
		case OPT_VERSION:
			printf(PROGNAME " " PACKAGE_VERSION "\n");
			return DAEMON_EXIT_OK;
		case 'h':
			usage(stdout);
			return DAEMON_EXIT_OK;
		default:
			usage(stderr);
			return DAEMON_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROGNAME ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return DAEMON_EXIT_USAGE;
	}
	if (opts.router_name != NULL && !name_valid(opts.router_name)) {
		fprintf(stderr,
		    PROGNAME ": -n %s: not a valid router name "
			     "(letters, digits, '.', '_', '-'; at most 63)\n",
		    opts.router_name);
		return DAEMON_EXIT_USAGE;
	}

	/*
	 * A detached daemon must not keep its starter's descriptors: an
	 * inherited pipe would keep a `$(...)` or a CI job waiting on us.
	 * Nothing of ours is open yet.
	 */
	if (!test && !dump && !opts.foreground)
		close_range(STDERR_FILENO + 1, ~0U, 0);

	/* stderr until daemon_start detaches; it switches to syslog itself. */
	log_init(PROGNAME, true, opts.debug ? LOG_DEBUG : LOG_INFO, LOG_DAEMON);

	if (test || dump)
		return check_config(opts.config_path, opts.router_name, dump, config_only);

	raise_nofile();
	daemon_init(&d, &opts);
	r = daemon_start(&d);
	if (r < 0) {
		daemon_fini(&d);
		return r == -EINVAL ? DAEMON_EXIT_CONFIG : DAEMON_EXIT_STARTUP;
	}
	daemon_run(&d);
	daemon_stop(&d);
	daemon_fini(&d);
	return DAEMON_EXIT_OK;
}
