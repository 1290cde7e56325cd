#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""routewatch - the next hops of some routes, printed as the kernel changes them.

usage: routewatch.py [--table N] PREFIX...      (e.g. 203.0.113.10/32 2001:db8:203::10/128)

Listens to rtnetlink route notifications (RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE) in the
current network namespace: event-driven, no polling.  It subscribes first, then dumps the
tables once, so no change is missed between the two.  One line per message about a
watched prefix in table N (default 254, main), flushed at once:

    TIME_US dump|new|del PREFIX VIA[,VIA...]|-

TIME_US is the wall clock (microseconds since the epoch, as bash's $EPOCHREALTIME
without its dot) read right after the message was received; VIA the gateways, sorted
("-": none: a blackhole, or a device route).  "new" is the route's whole next-hop set
after an add or a replace; "del" names the route deleted (for IPv6 the kernel may send
one per next hop).  After the dump it prints "ready".  Runs until killed.
"""
import ipaddress
import socket
import struct
import sys
import time

RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_ROUTE = 0x400
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTA_DST, RTA_GATEWAY, RTA_MULTIPATH, RTA_TABLE = 1, 5, 9, 15
RTA_VIA = 18


def attrs(buf):
    """(type, payload) of each rtattr in buf."""
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("HH", buf, off)
        if alen < 4:
            break
        yield atype & 0x3FFF, buf[off + 4 : off + alen]
        off += (alen + 3) & ~3


def gw_str(family, data):
    return str(ipaddress.ip_address(data)) if family in (socket.AF_INET, socket.AF_INET6) else data.hex()


def parse_route(payload):
    """(prefix, table, [gateways]) of an rtmsg, or None."""
    if len(payload) < 12:
        return None
    family, dst_len, _src_len, _tos, table, _proto, _scope, _rtype, _flags = struct.unpack_from("BBBBBBBBI", payload)
    if family not in (socket.AF_INET, socket.AF_INET6):
        return None
    dst = None
    gws = []
    for atype, data in attrs(payload[12:]):
        if atype == RTA_DST:
            dst = data
        elif atype == RTA_TABLE and len(data) == 4:
            table = struct.unpack("I", data)[0]
        elif atype == RTA_GATEWAY:
            gws.append(gw_str(family, data))
        elif atype == RTA_MULTIPATH:
            off = 0
            while off + 8 <= len(data):
                nlen, _nflags, _hops, _ifindex = struct.unpack_from("HBBi", data, off)
                if nlen < 8:
                    break
                for ntype, ndata in attrs(data[off + 8 : off + nlen]):
                    if ntype == RTA_GATEWAY:
                        gws.append(gw_str(family, ndata))
                    elif ntype == RTA_VIA and len(ndata) > 2:
                        gws.append(gw_str(struct.unpack_from("H", ndata)[0], ndata[2:]))
                off += (nlen + 3) & ~3
    size = 4 if family == socket.AF_INET else 16
    addr = dst if dst is not None else bytes(size)
    prefix = ipaddress.ip_network((ipaddress.ip_address(addr), dst_len), strict=False)
    return prefix, table, sorted(gws, key=lambda g: (len(g), g))


def main(argv):
    table = 254
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--table":
        table = int(args[1])
        args = args[2:]
    if not args:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    watched = {ipaddress.ip_network(a, strict=False) for a in args}
    out = sys.stdout

    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((0, RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE))
    # the dump goes through a second socket: its replies must not mix with events
    d = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    d.bind((0, 0))

    def emit(kind, msg_type, payload, now_us):
        r = parse_route(payload)
        if r is None:
            return
        prefix, tab, gws = r
        if tab != table or prefix not in watched:
            return
        if kind is None:
            kind = "new" if msg_type == RTM_NEWROUTE else "del"
        out.write("%d %s %s %s\n" % (now_us, kind, prefix, ",".join(gws) or "-"))
        out.flush()

    def messages(buf):
        off = 0
        while off + 16 <= len(buf):
            mlen, mtype, _flags, _seq, _pid = struct.unpack_from("IHHII", buf, off)
            if mlen < 16:
                break
            yield mtype, buf[off + 16 : off + mlen]
            off += (mlen + 3) & ~3

    for fam in (socket.AF_INET, socket.AF_INET6):
        req = struct.pack("IHHII", 16 + 12, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, fam, 0)
        req += struct.pack("BBBBBBBBI", fam, 0, 0, 0, 0, 0, 0, 0, 0)
        d.send(req)
        done = False
        while not done:
            buf = d.recv(1 << 16)
            now_us = time.time_ns() // 1000
            for mtype, payload in messages(buf):
                if mtype in (NLMSG_DONE, NLMSG_ERROR):
                    done = True
                    break
                if mtype == RTM_NEWROUTE:
                    emit("dump", mtype, payload, now_us)
    d.close()
    out.write("ready\n")
    out.flush()

    while True:
        try:
            buf = s.recv(1 << 16)
        except OSError as e:  # ENOBUFS: events were lost; say so, the reader must re-read
            out.write("%d lost - %s\n" % (time.time_ns() // 1000, e.strerror))
            out.flush()
            continue
        now_us = time.time_ns() // 1000
        for mtype, payload in messages(buf):
            if mtype in (RTM_NEWROUTE, RTM_DELROUTE):
                emit(None, mtype, payload, now_us)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:
        sys.exit(0)
