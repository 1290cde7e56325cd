/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for conf_validate.c: one case per class of semantic error
 * (table-driven), then defaults, inheritance, ordering and linking.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "testutil.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

struct vcase {
	const char *name;
	const char *text;
	const char *router;	/* -n override, or NULL */
	const char *want;	/* substring of one error */
};

#define HA_VIPS1 \
	"vips = ( { name = \"v1\"; address = \"198.51.100.10\"; interface = \"eth0\"; vrid = 7; " \
	"services = ( { port = 80; pool = \"web\"; scheduler = \"wlc\"; } ); } );\n"
#define ELECTION2 \
	"election = { peers = ( { name = \"a\"; address = \"192.0.2.1\"; }, " \
	"{ name = \"b\"; address = \"192.0.2.2\"; } ); };\n"
#define VIP_AT(addr) "vips = ( { name = \"v\"; address = \"" addr "\"; interface = \"e\";" \
	" services = ( { port = 80; pool = \"web\"; } ); } );\n"
#define VIPS(svc) \
	"vips = ( { name = \"v1\"; address = \"198.51.100.10\"; interface = \"eth0\"; " \
	"services = ( " svc " ); } );\n"

#define ELECTION2_SYNC(sync) \
	"election = { peers = ( { name = \"a\"; address = \"192.0.2.1\"; }, " \
	"{ name = \"b\"; address = \"192.0.2.2\"; } ); sync_daemon = { " sync " }; };\n"
#define TWO_VIPS \
	"vips = ( { name = \"v1\"; address = \"198.51.100.10\"; vrid = 1; interface = \"e\";" \
	" services = ( { port = 80; pool = \"web\"; } ); }, { name = \"v2\"; address = " \
	"\"198.51.100.11\"; vrid = 2; interface = \"e\"; services = ( { port = 80; pool = " \
	"\"web\"; } ); } );\n"

static const struct vcase vcases[] = {
	/* election.sync_daemon (issue #17): one VIP to follow, a multicast group */
	{ "sync: unicast group", T_POOL ELECTION2_SYNC("group = \"192.0.2.9\";")
	    HA_VIPS1, "a", "election.sync_daemon.group: 192.0.2.9 is not a "
	    "multicast address" },
	{ "sync: unicast v6 group", T_POOL ELECTION2_SYNC("group = \"2001:db8::9\";")
	    HA_VIPS1, "a", "election.sync_daemon.group: 2001:db8::9 is not a multicast" },
	{ "sync: unknown vip", T_POOL ELECTION2_SYNC("vip = \"nope\";") HA_VIPS1, "a",
	    "election.sync_daemon.vip: \"nope\" is not one of the vips" },
	{ "sync: which vip", T_POOL ELECTION2_SYNC("") TWO_VIPS, "a",
	    "election.sync_daemon.vip: needed: 2 VIPs have an election" },
	{ "sync: syncid range", T_POOL ELECTION2_SYNC("syncid = 256;") HA_VIPS1, "a",
	    "election.sync_daemon.syncid: 256 is out of range (0..255)" },
	{ "sync: ttl range", T_POOL ELECTION2_SYNC("ttl = 0;") HA_VIPS1, "a",
	    "election.sync_daemon.ttl: 0 is out of range (1..255)" },
	{ "sync: bad interface", T_POOL ELECTION2_SYNC("interface = \"a/b\";") HA_VIPS1, "a",
	    "election.sync_daemon.interface: \"a/b\" is not a valid interface name" },
	{ "sync: unknown key", T_POOL ELECTION2_SYNC("mcast_group = \"224.0.0.81\";")
	    HA_VIPS1, "a", "election.sync_daemon.mcast_group: unknown setting" },
	/* names and identity */
	{ "bad vip name", T_POOL "vips = ( { name = \"-v\"; address = \"198.51.100.1\"; "
	  "interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); } );\n", NULL,
	  "vips[0].name: \"-v\": use letters" },
	{ "duplicate vip name", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\"; "
	  "interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); }, { name = \"v\"; "
	  "address = \"198.51.100.2\"; interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  NULL, "vips[1].name: vip name \"v\" is used twice" },
	{ "duplicate pool name", T_POOL "pools = ( { name = \"web\"; servers = ( { address = \"192.0.2.9\"; } ); } );\n",
	  NULL, "duplicate setting name" },
	{ "duplicate pool in list", "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.9\"; } ); },"
	  " { name = \"p\"; servers = ( { address = \"192.0.2.8\"; } ); } );\n", NULL,
	  "pools[1].name: pool name \"p\" is used twice" },
	{ "duplicate server", "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.9\"; },"
	  " { address = \"192.0.2.9\"; } ); } );\n", NULL, "server 192.0.2.9 is listed twice" },
	{ "duplicate service port", T_POOL VIPS("{ port = 80; pool = \"web\"; }, { port = 80; pool = \"web\"; }"),
	  NULL, "tcp port 80 is declared twice in vip \"v1\"" },
	{ "same vip address and port twice", T_POOL "vips = ( { name = \"x\"; address = \"198.51.100.1\";"
	  " interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); }, { name = \"y\";"
	  " address = \"198.51.100.1\"; interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  NULL, "vips[1].address: vip y: address 198.51.100.1 is already vip x's (line 2); add the port "
	  "as a service of vip x" },
	/* one address, one VIP: another port is another service of the same VIP (issue #15) */
	{ "same vip address, other port", T_POOL "vips = ( { name = \"x\"; address = \"198.51.100.1\";"
	  " interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); }, { name = \"y\"; vrid = 9;"
	  " address = \"198.51.100.1\"; interface = \"e\"; services = ( { port = 443; pool = \"web\"; } ); } );\n",
	  NULL, "vips[1].address: vip y: address 198.51.100.1 is already vip x's" },
	/* unicast host addresses only (issue #15) */
	{ "vip unspecified", T_POOL VIP_AT("0.0.0.0"), NULL,
	  "vips[0].address: 0.0.0.0 is the unspecified address" },
	{ "vip unspecified v6", "pools = ( { name = \"web\"; servers = ( { address = \"2001:db8::5\"; } ); } );\n"
	  VIP_AT("::"), NULL, "vips[0].address: :: is the unspecified address" },
	{ "vip multicast", T_POOL VIP_AT("224.0.0.18"), NULL, "vips[0].address: 224.0.0.18 is a multicast address" },
	{ "vip broadcast", T_POOL VIP_AT("255.255.255.255"), NULL,
	  "vips[0].address: 255.255.255.255 is the broadcast address" },
	{ "vip loopback", T_POOL VIP_AT("127.0.0.2"), NULL, "vips[0].address: 127.0.0.2 is a loopback address" },
	{ "server multicast", "pools = ( { name = \"web\"; servers = ( { address = \"239.1.1.1\"; } ); } );\n", NULL,
	  "pools[0].servers[0].address: 239.1.1.1 is a multicast address: a server needs a unicast host address" },
	{ "server unspecified", "pools = ( { name = \"web\"; servers = ( { address = \"0.0.0.0\"; } ); } );\n", NULL,
	  "pools[0].servers[0].address: 0.0.0.0 is the unspecified address" },
	{ "peer multicast", T_POOL "election = { peers = ( { name = \"a\"; address = \"224.0.0.18\"; } ); };\n" T_VIP,
	  "a", "election.peers[0].address: 224.0.0.18 is a multicast address" },
	/* every path goes through the one absolute-path check (issue #15) */
	{ "relative ca_file", "pools = ( { name = \"p\"; check = { type = \"https\"; ca_file = \"ca.pem\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL,
	  "pools[0].check.ca_file: \"ca.pem\" must be an absolute path" },
	{ "relative client cert", "pools = ( { name = \"p\"; check = { type = \"https\"; client_cert = \"c\";"
	  " client_key = \"/k\"; }; servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL,
	  "pools[0].check.client_cert: \"c\" must be an absolute path" },
	{ "relative client key", "pools = ( { name = \"p\"; check = { type = \"https\"; client_cert = \"/c\";"
	  " client_key = \"k\"; }; servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL,
	  "pools[0].check.client_key: \"k\" must be an absolute path" },
	{ "relative aws ca_file", "aws = { ca_file = \"ca.pem\"; };\n", NULL,
	  "aws.ca_file: \"ca.pem\" must be an absolute path" },
	{ "duplicate fwmark across vips", T_POOL "vips = ( { name = \"x\"; address = \"198.51.100.1\";"
	  " interface = \"e\"; services = ( { fwmark = 5; pool = \"web\"; } ); }, { name = \"y\";"
	  " address = \"198.51.100.2\"; interface = \"e\"; services = ( { fwmark = 5; pool = \"web\"; } ); } );\n",
	  NULL, "fwmark 5 is also used by vip" },
	{ "duplicate vrid", T_POOL ELECTION2 "vips = ( { name = \"x\"; address = \"198.51.100.1\"; vrid = 7;"
	  " interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); }, { name = \"y\"; vrid = 7;"
	  " address = \"198.51.100.2\"; interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  "a", "vrid 7 is used twice for IPv4" },
	/* references */
	{ "undefined pool", T_POOL VIPS("{ port = 80; pool = \"nope\"; }"), NULL,
	  "t.conf:2: vips[0].services[0].pool: \"nope\" is not defined" },
	{ "router not a peer", T_POOL ELECTION2 "vips = ( { name = \"v\"; vrid = 1; address = \"198.51.100.1\";"
	  " interface = \"e\"; services = ( { port = 80; pool = \"web\"; } ); } );\n", "c",
	  "this router (\"c\") is not among the peers" },
	{ "priority for unknown router", T_POOL ELECTION2 "vips = ( { name = \"v\"; vrid = 1;"
	  " address = \"198.51.100.1\"; interface = \"e\"; priority = { a = 1; z = 2; };"
	  " services = ( { port = 80; pool = \"web\"; } ); } );\n", "a",
	  "vips[0].priority.z: \"z\" is not one of election.peers" },
	{ "duplicate peer", T_POOL "election = { peers = ( { name = \"a\"; address = \"192.0.2.1\"; },"
	  " { name = \"a\"; address = \"192.0.2.2\"; } ); };\n" T_VIP, "a", "peer \"a\" is listed twice" },
	{ "duplicate peer address", T_POOL "election = { peers = ( { name = \"a\"; address = \"192.0.2.1\"; },"
	  " { name = \"b\"; address = \"192.0.2.1\"; } ); };\n" T_VIP, "a", "election.peers[1].address: 192.0.2.1 is also peer" },
	{ "no peers", T_POOL "election = { peers = ( ); };\n" T_VIP, "a", "election.peers: list at least" },
	{ "vrid missing with election", T_POOL ELECTION2 T_VIP, "a", "vips[0].vrid: needed (1..255) for the election" },
	/* election rules */
	{ "hmac without key", T_POOL "election = { auth = \"hmac-sha256\"; peers = ( { name = \"a\";"
	  " address = \"192.0.2.1\"; } ); };\n", "a", "hmac-sha256 needs auth_key_file" },
	{ "key with auth none", T_POOL "election = { auth = \"none\"; auth_key_file = \"/k\"; peers = ("
	  " { name = \"a\"; address = \"192.0.2.1\"; } ); };\n", "a", "is set but auth is \"none\"" },
	{ "relative key file", T_POOL "election = { auth_key_file = \"k\"; peers = ("
	  " { name = \"a\"; address = \"192.0.2.1\"; } ); };\n", "a", "\"k\" must be an absolute path" },
	{ "advert not centiseconds", T_POOL "election = { advert_interval_ms = 15; peers = ("
	  " { name = \"a\"; address = \"192.0.2.1\"; } ); };\n", "a", "15 is not a multiple of 10" },
	{ "vip advert not centiseconds", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\";"
	  " interface = \"e\"; advert_interval_ms = 25; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  NULL, "vips[0].advert_interval_ms: 25 is not a multiple of 10" },
	{ "relative notify", T_POOL "election = { notify = { command = [ \"notify.sh\" ]; }; peers = ("
	  " { name = \"a\"; address = \"192.0.2.1\"; } ); };\n", "a", "\"notify.sh\" must be an absolute path" },
	/* vips */
	{ "no interface", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\";"
	  " services = ( { port = 80; pool = \"web\"; } ); } );\n", NULL,
	  "no interface for the address: set vips[0].interface or router.interface" },
	{ "bad interface name", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\";"
	  " interface = \"a-very-long-interface-name\"; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  NULL, "is not a valid interface name" },
	{ "empty services", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\"; interface = \"e\";"
	  " services = ( ); } );\n", NULL, "a vip needs at least one service" },
	{ "garp refresh too short", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\"; interface = \"e\";"
	  " garp = { refresh_ms = 10; }; services = ( { port = 80; pool = \"web\"; } ); } );\n", NULL,
	  "vips[0].garp.refresh_ms: 10: use 0 (off) or at least 1000" },
	{ "bad eip id", T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\"; interface = \"e\";"
	  " eip = { allocation_id = \"eip-1\"; }; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  NULL, "does not look like eipalloc-" },
	{ "eip on ipv6", "pools = ( { name = \"web\"; servers = ( { address = \"2001:db8::5\"; } ); } );\n"
	  "vips = ( { name = \"v\"; address = \"2001:db8::1\"; interface = \"e\";"
	  " eip = { allocation_id = \"eipalloc-1\"; }; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  NULL, "an Elastic IP is IPv4" },
	{ "eip private ip of unknown router", T_POOL ELECTION2 "vips = ( { name = \"v\"; vrid = 1;"
	  " address = \"198.51.100.1\"; interface = \"e\"; eip = { allocation_id = \"eipalloc-1\";"
	  " private_ip = { q = \"10.0.0.1\"; }; }; services = ( { port = 80; pool = \"web\"; } ); } );\n",
	  "a", "vips[0].eip.private_ip.q: \"q\" is not one of election.peers" },
	{ "move private ip on ipv6", "pools = ( { name = \"web\"; servers = ( { address = \"2001:db8::5\"; } ); } );\n"
	  "vips = ( { name = \"v\"; address = \"2001:db8::1\"; interface = \"e\"; move_private_ip = true;"
	  " services = ( { port = 80; pool = \"web\"; } ); } );\n", NULL,
	  "vips[0].move_private_ip: needs an IPv4 vip address" },
	/* services */
	{ "no port", T_POOL VIPS("{ pool = \"web\"; }"), NULL, "needs a port (or a fwmark)" },
	{ "fwmark with port", T_POOL VIPS("{ fwmark = 1; port = 80; pool = \"web\"; }"), NULL,
	  "a fwmark service has no port or protocol" },
	{ "unknown scheduler", T_POOL VIPS("{ port = 80; pool = \"web\"; scheduler = \"fastest\"; }"),
	  NULL, "unknown scheduler \"fastest\"" },
	{ "ops on tcp", T_POOL VIPS("{ port = 80; pool = \"web\"; scheduler_flags = [ \"ops\" ]; }"),
	  NULL, "scheduler_flags: ops (one-packet scheduling) is for udp services only (protocol is tcp)" },
	{ "tunnel without tun", T_POOL VIPS("{ port = 80; pool = \"web\"; tunnel = { type = \"gue\"; port = 1; }; }"),
	  NULL, "services[0].tunnel: applies to method \"tun\" only" },
	{ "gue without port", T_POOL VIPS("{ port = 80; pool = \"web\"; method = \"tun\"; tunnel = { type = \"gue\"; }; }"),
	  NULL, "services[0].tunnel.port: a gue tunnel needs one" },
	{ "ipip with port", T_POOL VIPS("{ port = 80; pool = \"web\"; method = \"tun\"; tunnel = { port = 9; }; }"),
	  NULL, "services[0].tunnel.port: applies to gue tunnels only (tunnel.type is \"ipip\")" },
	{ "persistence prefix too long", T_POOL VIPS("{ port = 80; pool = \"web\"; persistence_prefix = 64; }"),
	  NULL, "persistence_prefix: 64 is longer than an IPv4 address" },
	{ "dr changes port (server)", "pools = ( { name = \"web\"; servers = ( { address = \"192.0.2.11\"; port = 8080; } ); } );\n"
	  VIPS("{ port = 80; pool = \"web\"; }"), NULL, "server 192.0.2.11:8080 (line 1) listens on another port than 80" },
	{ "dr changes port (pool)", "pools = ( { name = \"web\"; port = 8080; servers = ( { address = \"192.0.2.11\"; } ); } );\n"
	  VIPS("{ port = 80; pool = \"web\"; }"), NULL, "pool \"web\" (line 1) sends to port 8080, the service listens on 80" },
	{ "family mismatch", "pools = ( { name = \"web\"; servers = ( { address = \"2001:db8::5\"; } ); } );\n"
	  VIPS("{ port = 80; pool = \"web\"; }"), NULL, "of another address family than the vip" },
	{ "fwmark without a probe port", "pools = ( { name = \"web\"; check = { type = \"http\"; };"
	  " servers = ( { address = \"192.0.2.11\"; } ); } );\n" VIPS("{ fwmark = 7; pool = \"web\"; }"),
	  NULL, "fwmark service: pool \"web\" server 192.0.2.11 (line 1) has no port to probe" },
	/* pools and checks */
	{ "pool without servers", "pools = ( { name = \"p\"; } );\n", NULL,
	  "pool \"p\" has no servers and no endpoints_file" },
	{ "relative endpoints file", "pools = ( { name = \"p\"; endpoints_file = \"ep\"; } );\n", NULL,
	  "pools[0].endpoints_file: \"ep\" must be an absolute path" },
	{ "min_servers above servers", "pools = ( { name = \"p\"; min_servers = 3; servers = ("
	  " { address = \"192.0.2.1\"; } ); } );\n", NULL, "pools[0].min_servers: 3 is more than the pool's 1 servers" },
	{ "thresholds inverted", "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.1\";"
	  " upper_threshold = 5; lower_threshold = 9; } ); } );\n", NULL, "servers[0].lower_threshold: 9 exceeds upper_threshold 5" },
	{ "timeout above interval", "pools = ( { name = \"p\"; check = { interval_ms = 100; timeout_ms = 200; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL,
	  "pools[0].check.timeout_ms: 200 exceeds interval_ms 100: probes would overlap" },
	{ "server override timer", "pools = ( { name = \"p\"; servers = ( { address = \"192.0.2.1\";\n"
	  " check = { timeout_ms = 5000; }; } ); } );\n", NULL,
	  "t.conf:2: pools[0].servers[0].check.timeout_ms: 5000 exceeds interval_ms 1000" },
	{ "http field on tcp", "pools = ( { name = \"p\"; check = { path = \"/x\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "apply to http and https checks only" },
	{ "reuse on tcp", "pools = ( { name = \"p\"; check = { type = \"tcp\"; reuse_connection = false; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL,
	  "pools[0].check.reuse_connection: method, path, host, expect, body and reuse_connection apply to http" },
	{ "tls field on http", "pools = ( { name = \"p\"; check = { type = \"http\"; sni = \"x\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "apply to https checks only" },
	{ "cert without key", "pools = ( { name = \"p\"; check = { type = \"https\"; client_cert = \"/c\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "client_cert and client_key go together" },
	{ "bad http method", "pools = ( { name = \"p\"; check = { type = \"http\"; method = \"POST\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "check.method: \"POST\": use GET or HEAD" },
	{ "relative http path", "pools = ( { name = \"p\"; check = { type = \"http\"; path = \"x\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "check.path: \"x\" must start with /" },
	{ "body with head", "pools = ( { name = \"p\"; check = { type = \"http\"; method = \"HEAD\"; body = \"ok\"; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "check.body: cannot match a HEAD response" },
	{ "exec not allowed", "pools = ( { name = \"p\"; check = { type = \"exec\"; command = [ \"/bin/true\" ]; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "exec checks are disabled" },
	{ "exec without command", "checks = { allow_exec = true; };\n"
	  "pools = ( { name = \"p\"; check = { type = \"exec\"; }; servers = ( { address = \"192.0.2.1\"; } ); } );\n",
	  NULL, "exec check needs a command" },
	{ "exec relative command", "checks = { allow_exec = true; };\n"
	  "pools = ( { name = \"p\"; check = { type = \"exec\"; command = [ \"true\" ]; };"
	  " servers = ( { address = \"192.0.2.1\"; } ); } );\n", NULL, "check.command: \"true\" must be an absolute path" },
	/* sections */
	{ "bad facility", "router = { syslog_facility = \"kern\"; };\n", NULL, "unknown facility \"kern\"" },
	{ "relative endpoints dir", "router = { endpoints_dir = \"x\"; };\n", NULL, "\"x\" must be an absolute path" },
	{ "reconcile too often", "ipvs = { reconcile_interval_ms = 10; };\n", NULL,
	  "reconcile_interval_ms: 10: use 0 (off) or at least 1000" },
	{ "ec2 endpoint not https", "aws = { ec2_endpoint = \"http://x\"; };\n", NULL, "must be an https:// URL" },
	{ "bad eni", "aws = { network_interface_id = \"x\"; };\n", NULL, "does not look like eni-" },
	{ "api timeout above verify", "aws = { api_timeout_ms = 6000; verify_interval_ms = 5000; };\n", NULL,
	  "aws.api_timeout_ms: 6000 exceeds verify_interval_ms 5000" },
	{ "relative control socket", "control = { socket = \"ctl.sock\"; };\n", NULL, "must be an absolute path" },
};

/* A static pool over mh's 4093 slots is refused for an mh service, not for wlc (issue #16, 5). */
static void
test_mh_pool_limit(void **state)
{
	static const char *const scheds[] = { "mh", "wlc" };
	struct tbuf b;
	struct errlist el;
	struct config *c;
	size_t i, k, n;

	(void)state;
	for (k = 0; k < 2; k++) {
		for (n = MODEL_MH_MAX_DESTS; n <= MODEL_MH_MAX_DESTS + 1; n++) {
			tbuf_init(&b);
			tbuf_printf(&b, "pools = ( { name = \"big\"; check = { type = \"none\"; }; "
			    "servers = (\n");
			for (i = 0; i < n; i++)
				tbuf_printf(&b, "%s{ address = \"10.%zu.%zu.%zu\"; }\n", i ? "," : "",
				    i / 62500, i / 250 % 250, i % 250 + 1);
			tbuf_printf(&b, "); } );\nvips = ( { name = \"v\"; address = "
			    "\"198.51.100.1\"; interface = \"e\"; services = ( { port = 80; "
			    "pool = \"big\"; scheduler = \"%s\"; } ); } );\n", scheds[k]);
			c = t_conf(b.s, NULL, &el);
			if (k == 0 && n > MODEL_MH_MAX_DESTS) {
				assert_null(c);
				if (!t_has(&el, "vips[0].services[0].pool: pool \"big\" has 4094 "
				    "servers; scheduler mh holds at most 4093 destinations")) {
					t_dump_errors(&el);
					fail();
				}
			} else {
				if (c == NULL)
					t_dump_errors(&el);
				assert_non_null(c);
			}
			config_free(c);
			errlist_clear(&el);
			tbuf_free(&b);
		}
	}
}

static void
test_validate_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *tc = &vcases[i];
		struct errlist el;
		struct config *c = t_conf(tc->text, tc->router, &el);

		if (c != NULL || !t_has(&el, tc->want)) {
			print_message("case \"%s\": want an error containing: %s\n", tc->name, tc->want);
			t_dump_errors(&el);
			config_free(c);
			fail();
		}
		errlist_clear(&el);
	}
}

static void
test_minimal_valid(void **state)
{
	struct errlist el;
	struct config *c = t_conf(T_POOL T_VIP, NULL, &el);

	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	assert_false(c->election.present);
	assert_int_equal(c->nvips, 1);
	config_free(c);
	errlist_clear(&el);
}

static void
test_defaults(void **state)
{
	struct errlist el;
	struct config *c = t_conf(T_POOL T_VIP, NULL, &el);
	struct service *s;
	struct pool *p;

	assert_non_null(c);
	assert_int_equal(c->ipvs.reconcile_interval_ms, 30000);
	assert_int_equal(c->checks.jitter_percent, 10);
	assert_string_equal(c->control.socket, RUNSTATEDIR "/ipvs-router/control.sock");
	assert_int_equal(c->control.mode, 0660);
	assert_true(c->metrics.enabled);
	assert_int_equal(c->metrics.listen.port, 9542);
	assert_string_equal(c->router.syslog_facility, "daemon");
	s = &c->vips[0].services[0];
	assert_int_equal(s->protocol, PROTO_TCP);
	assert_string_equal(s->scheduler, "wlc");
	assert_int_equal(s->method, FWD_DR);
	assert_int_equal(s->persistence_prefix, 32);
	assert_int_equal(c->vips[0].advert_interval_ms, 100);
	assert_int_equal(c->vips[0].preempt, 1);
	assert_int_equal(c->vips[0].on_pool_failure, TRACK_FAULT);
	assert_int_equal(c->vips[0].garp.count, 3);
	p = &c->pools[0];
	assert_ptr_equal(s->pool, p);
	assert_int_equal(p->weight, 1);
	assert_int_equal(p->min_servers, 1);
	assert_int_equal(p->initial_state, INIT_DOWN);
	assert_int_equal(p->max_drop_percent, 50);
	assert_int_equal(p->check.type, CHECK_TCP);
	assert_int_equal(p->check.interval_ms, 1000);
	assert_int_equal(p->check.timeout_ms, 500);
	assert_int_equal(p->check.rise, 2);
	assert_int_equal(p->check.fall, 3);
	assert_int_equal(p->servers[0].weight, 1);
	assert_true(check_equal(&p->servers[0].check, &p->check));
	config_free(c);
	errlist_clear(&el);
}

/*
 * Issue #17: a VIP with an election keeps established connections across a failover by
 * default: mh with port hashing and sloppy_tcp/sctp.  Standalone stays wlc, no sloppy.
 * Another scheduler on a TCP service with an election, or sloppy_tcp = false, is
 * accepted with a warning naming the setting; a UDP service is not warned about.
 */
#define HA_VIPS(svc) \
	"vips = ( { name = \"v1\"; address = \"198.51.100.10\"; interface = \"eth0\"; vrid = 1; " \
	"services = ( " svc " ); } );\n"

static void
test_ha_defaults(void **state)
{
	struct errlist el;
	struct config *c;
	struct service *s;
	struct tbuf b;
	size_t i;

	(void)state;
	/* standalone */
	c = t_conf(T_POOL T_VIP, NULL, &el);
	assert_non_null(c);
	assert_string_equal(c->vips[0].services[0].scheduler, "wlc");
	assert_int_equal(c->vips[0].services[0].sched_flags, 0);
	assert_int_equal(c->ipvs.sloppy_tcp, 0);
	assert_int_equal(c->ipvs.sloppy_sctp, 0);
	assert_int_equal(c->warnings.n, 0);
	config_free(c);
	errlist_clear(&el);

	/* with an election: mh + mh-port, sloppy, no warning */
	c = t_conf(T_POOL ELECTION2 HA_VIPS("{ port = 80; pool = \"web\"; }"), "a", &el);
	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	s = &c->vips[0].services[0];
	assert_string_equal(s->scheduler, "mh");
	assert_int_equal(s->sched_flags, SCHED_F_PORT | SCHED_F_FALLBACK);
	assert_int_equal(c->ipvs.sloppy_tcp, 1);
	assert_int_equal(c->ipvs.sloppy_sctp, 1);
	assert_int_equal(c->warnings.n, 0);
	config_free(c);
	errlist_clear(&el);

	/* the operator's word stands, with a warning where it loses connections */
	c = t_conf(T_POOL ELECTION2 "ipvs = { sloppy_tcp = false; };\n"
	    HA_VIPS("{ port = 80; pool = \"web\"; scheduler = \"wlc\"; },"
		 "{ port = 443; pool = \"web\"; scheduler = \"sh\"; },"
		 "{ protocol = \"udp\"; port = 53; pool = \"web\"; scheduler = \"rr\"; }"),
	    "a", &el);
	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	assert_int_equal(c->ipvs.sloppy_tcp, 0);
	assert_int_equal(c->ipvs.sloppy_sctp, 1);
	if (c->warnings.n != 2 ||
	    !t_has(&c->warnings, "t.conf:3: ipvs.sloppy_tcp: warning: false with an election") ||
	    !t_has(&c->warnings, "t.conf:4: vips[0].services[0].scheduler: warning: \"wlc\" with "
		"an election: established connections are reset")) {
		t_dump_errors(&c->warnings);
		fail();
	}
	config_free(c);
	errlist_clear(&el);

	/* with the sync daemon following the VIP, wlc keeps connections: no warning; the
	 * daemon's defaults come from the VIP (interface, vrid) and the kernel (group, port) */
	c = t_conf(T_POOL ELECTION2_SYNC("") HA_VIPS1, "a", &el);
	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	if (c->warnings.n != 0) {
		t_dump_errors(&c->warnings);
		fail();
	}
	assert_true(c->election.sync.present);
	assert_string_equal(c->election.sync.vip, "v1");
	assert_string_equal(c->election.sync.interface, "eth0");
	assert_int_equal(c->election.sync.syncid, 7);
	assert_int_equal(c->election.sync.group.af, AF_INET);
	assert_int_equal(ntohl(c->election.sync.group.a.v4.s_addr), 0xe0000051u);
	assert_int_equal(c->election.sync.port, 8848);
	assert_int_equal(c->election.sync.ttl, 1);
	/* a starting router learns the connections before it preempts */
	assert_int_equal(c->election.preempt_delay_ms, 10000);
	assert_int_equal(c->vips[0].preempt_delay_ms, 10000);
	config_free(c);
	errlist_clear(&el);
	c = t_conf(T_POOL "election = { preempt_delay_ms = 0; peers = ( { name = \"a\"; address = "
	    "\"192.0.2.1\"; } ); sync_daemon = { }; };\n" HA_VIPS1, "a", &el);
	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	assert_int_equal(c->vips[0].preempt_delay_ms, 0); /* the operator's word */
	config_free(c);
	errlist_clear(&el);

	/* following another VIP does not cover this one: the warning stays */
	c = t_conf(T_POOL ELECTION2_SYNC("vip = \"v2\"; syncid = 0; group = \"ff02::81\"; "
	    "interface = \"sync0\"; port = 9000; ttl = 2;")
	    "vips = ( { name = \"v1\"; address = \"198.51.100.10\"; vrid = 1; interface = \"e\";"
	    " services = ( { port = 80; pool = \"web\"; scheduler = \"wlc\"; } ); }, { name = "
	    "\"v2\"; address = \"198.51.100.11\"; vrid = 2; interface = \"e\"; services = ( "
	    "{ port = 80; pool = \"web\"; scheduler = \"wlc\"; } ); } );\n", "a", &el);
	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	if (c->warnings.n != 1 || !t_has(&c->warnings, "vips[0].services[0].scheduler: warning: "
	    "\"wlc\" with an election")) {
		t_dump_errors(&c->warnings);
		fail();
	}
	assert_string_equal(c->election.sync.interface, "sync0");
	assert_int_equal(c->election.sync.syncid, 0);
	assert_int_equal(c->election.sync.group.af, AF_INET6);
	assert_int_equal(c->election.sync.port, 9000);
	assert_int_equal(c->election.sync.ttl, 2);
	config_free(c);
	errlist_clear(&el);

	/* a pool too large for mh keeps wlc, and says so */
	tbuf_init(&b);
	tbuf_printf(&b, ELECTION2 "pools = ( { name = \"big\"; check = { type = \"none\"; }; "
	    "servers = (\n");
	for (i = 0; i < MODEL_MH_MAX_DESTS + 1; i++)
		tbuf_printf(&b, "%s{ address = \"10.%zu.%zu.%zu\"; }\n", i ? "," : "",
		    i / 62500, i / 250 % 250, i % 250 + 1);
	tbuf_printf(&b, "); } );\nvips = ( { name = \"v\"; address = \"198.51.100.1\"; vrid = 1; "
	    "interface = \"e\"; services = ( { port = 80; pool = \"big\"; } ); } );\n");
	c = t_conf(b.s, "a", &el);
	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	assert_string_equal(c->vips[0].services[0].scheduler, "wlc");
	if (c->warnings.n != 1 || !t_has(&c->warnings, "vips[0].services[0].scheduler: warning: "
	    "not set: wlc, not mh (the default with an election), because pool \"big\" has more "
	    "servers than mh holds (4093)")) {
		t_dump_errors(&c->warnings);
		fail();
	}
	config_free(c);
	errlist_clear(&el);
	tbuf_free(&b);
}

static void
test_inheritance(void **state)
{
	struct errlist el;
	struct config *c = t_conf(
	    "router = { interface = \"eth9\"; };\n"
	    "election = { advert_interval_ms = 50; preempt = false; preempt_delay_ms = 3000;"
	    " auth_key_file = \"/etc/k\"; peers = ( { name = \"b\"; address = \"192.0.2.2\"; },"
	    " { name = \"a\"; address = \"192.0.2.1\"; } ); };\n"
	    "pools = ( { name = \"web\"; weight = 7; check = { type = \"http\"; path = \"/h\"; rise = 4; };"
	    " servers = ( { address = \"192.0.2.12\"; check = { rise = 1; }; },"
	    " { address = \"192.0.2.11\"; weight = 3; } ); } );\n"
	    "vips = ( { name = \"v\"; vrid = 1; address = \"198.51.100.1\"; advert_interval_ms = 20;"
	    " services = ( { port = 80; pool = \"web\"; } ); },"
	    " { name = \"u\"; vrid = 2; address = \"198.51.100.2\"; interface = \"eth1\";"
	    " services = ( { port = 80; pool = \"web\"; } ); } );\n", "a", &el);
	struct vip *u, *v;
	struct pool *p;

	if (c == NULL)
		t_dump_errors(&el);
	assert_non_null(c);
	assert_int_equal(c->election.auth, AUTH_HMAC);	/* a key file means hmac */
	/* sorted by name: u before v; peers a before b */
	u = &c->vips[0];
	v = &c->vips[1];
	assert_string_equal(u->name, "u");
	assert_string_equal(c->election.peers[0].name, "a");
	assert_string_equal(u->interface, "eth1");
	assert_string_equal(v->interface, "eth9");	/* from router.interface */
	assert_int_equal(u->advert_interval_ms, 50);	/* inherited */
	assert_int_equal(v->advert_interval_ms, 20);	/* overridden */
	assert_int_equal(u->preempt, 0);
	assert_int_equal(u->preempt_delay_ms, 3000);
	/* no priority map: every peer at 100 */
	assert_int_equal(vip_priority(u, "a"), 100);
	assert_int_equal(vip_priority(u, "b"), 100);
	p = &c->pools[0];
	/* servers sorted by address; weights and checks inherited/merged */
	assert_string_equal(inet_ntoa(p->servers[0].addr.a.v4), "192.0.2.11");
	assert_int_equal(p->servers[0].weight, 3);
	assert_int_equal(p->servers[1].weight, 7);
	assert_int_equal(p->servers[0].check.rise, 4);
	assert_int_equal(p->servers[1].check.rise, 1);
	assert_string_equal(p->servers[1].check.path, "/h");
	assert_int_equal(p->servers[1].check.type, CHECK_HTTP);
	assert_int_equal(p->check.expect[0].lo, 200);
	assert_int_equal(p->check.expect[0].hi, 299);
	config_free(c);
	errlist_clear(&el);
}

static void
test_router_name_override(void **state)
{
	struct errlist el;
	const char *text = T_POOL "router = { name = \"zzz\"; };\n"
	    "election = { peers = ( { name = \"a\"; address = \"192.0.2.1\"; } ); };\n"
	    "vips = ( { name = \"v\"; vrid = 1; address = \"198.51.100.1\"; interface = \"e\";"
	    " services = ( { port = 80; pool = \"web\"; } ); } );\n";
	struct config *c = t_conf(text, NULL, &el);

	assert_null(c);				/* zzz is not a peer */
	errlist_clear(&el);
	c = t_conf(text, "a", &el);		/* -n a */
	assert_non_null(c);
	assert_string_equal(c->router.name, "a");
	config_free(c);
	errlist_clear(&el);
}

/* http(s) checks keep their connection unless told not to; a server's override inherits */
static void
test_reuse_default(void **state)
{
	struct errlist el;
	struct config *c = t_conf("pools = ( { name = \"a\"; check = { type = \"http\"; };\n"
	    " servers = ( { address = \"192.0.2.1\"; },\n"
	    " { address = \"192.0.2.2\"; check = { reuse_connection = false; }; } ); },\n"
	    " { name = \"b\"; check = { type = \"https\"; reuse_connection = false; };\n"
	    " servers = ( { address = \"192.0.2.3\"; } ); } );\n", NULL, &el);

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->pools[0].check.reuse_connection, 1);
	assert_int_equal(c->pools[0].servers[0].check.reuse_connection, 1);
	assert_int_equal(c->pools[0].servers[1].check.reuse_connection, 0);
	assert_int_equal(c->pools[1].servers[0].check.reuse_connection, 0);
	config_free(c);
	errlist_clear(&el);
}

static void
test_aws_implied_by_eip(void **state)
{
	struct errlist el;
	struct config *c = t_conf(T_POOL "vips = ( { name = \"v\"; address = \"198.51.100.1\";"
	    " manage_address = false; eip = { allocation_id = \"eipalloc-0abc\"; };"
	    " services = ( { port = 80; pool = \"web\"; } ); } );\n", NULL, &el);

	assert_non_null(c);
	assert_true(c->aws.present);
	assert_int_equal(c->aws.verify_interval_ms, 10000);
	assert_true(c->aws.dry_run_check);
	config_free(c);
	errlist_clear(&el);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_errors),
		cmocka_unit_test(test_mh_pool_limit),
		cmocka_unit_test(test_minimal_valid),
		cmocka_unit_test(test_reuse_default),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ha_defaults),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_router_name_override),
		cmocka_unit_test(test_aws_implied_by_eip),
	};

	return cmocka_run_group_tests_name("conf_validate", tests, NULL, NULL);
}
