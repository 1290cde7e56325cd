# SPDX-License-Identifier: Apache-2.0
# tests/lab/bgp.sh - a BGP lab: ipvs-router load balancers announcing VIPs to upstream
# routers through BIRD (contrib/bird), as the daemon does with bgp.table (issue #18).
# shellcheck shell=bash
#
#   . "$top_srcdir/tests/lab/lib.sh"
#   . "$top_srcdir/tests/lab/bgp.sh"
#   lab_init mytest
#   bgp_need
#   bgp_lab [--backends N]          # namespaces, links, BIRD configs; every BIRD started
#   bgp_wait_sessions 20            # every BGP session Established
#   bgp_announce r1; bgp_announce r2; bgp_announce r3
#   bgp_wait_nexthops 10 up "$BGP_VIP4" "${BGP_ADDR[r1]}" "${BGP_ADDR[r2]}" "${BGP_ADDR[r3]}"
#
# Topology (all addresses are documentation ranges, inside this run's namespaces):
#
#   client 192.0.2.130 --cl-- up 192.0.2.129        (client net 192.0.2.128/25)
#                             up  198.51.100.1  2001:db8:100::1   \
#                             up2 198.51.100.2  2001:db8:100::2    | switch tr: the
#   r1 eth0 198.51.100.11 2001:db8:100::11                        | upstream link
#   r2 eth0 198.51.100.12 2001:db8:100::12                        | (BGP + BFD)
#   r3 eth0 198.51.100.13 2001:db8:100::13                       /
#   r1..r3 eth1 192.0.2.11-13, up eth1 192.0.2.1, b1..bN 192.0.2.21..  (switch lan:
#        the routers' LAN, 192.0.2.0/25, with the backends; up is its gateway)
#
# up and up2 run contrib/bird/bird-upstream.conf (AS 65000), r1..r3 bird-router.conf
# (AS 65001, shared: the load balancers are one anycast service, and one origin AS is
# one line in an upstream's filter; they import nothing, so the AS-path loop check
# that keeps them from hearing each other's routes costs nothing).  The configs are
# the contrib files themselves, with only each host's own address substituted and
# logging sent to stderr (the lab log $LAB_DIR/bird-HOST.log); BGP_SED_ROUTER and
# BGP_SED_UPSTREAM (arrays of sed expressions) change more (bench/bgp-failover turns
# BFD off with them).  The routers' default route is up; the backends' is up's LAN
# address, so that direct-server-return replies reach the client without a router.
#
# The daemon is simulated: a VIP to announce is the route
#   blackhole VIP/32 table 201 proto 201             (bgp_announce / bgp_withdraw)
# and its crash is `ip route flush table 201` (bgp_flush, which flushes IPv6 too: a
# plain `ip route flush table 201` flushes only IPv4).  bgp_kill is a dead host: its
# links go down first and then every process in its namespace gets SIGKILL (in the
# other order the kernel would send the upstreams a FIN or RST for the dying BGP
# sockets, and the session would close at once, without BFD).

# shellcheck disable=SC2034  # BGP_LB, BGP_KILL_US, BGP_BACKENDS...: for the tests
: "${top_srcdir:?source tests/lab/lib.sh first}"

BGP_TABLE=201
BGP_PROTO=201
BGP_VIP4=203.0.113.10
BGP_VIP6=2001:db8:203::10
BGP_ROUTERS=(r1 r2 r3)
BGP_UPSTREAMS=(up up2)
declare -A BGP_ADDR=([up]=198.51.100.1 [up2]=198.51.100.2
    [r1]=198.51.100.11 [r2]=198.51.100.12 [r3]=198.51.100.13)
declare -A BGP_ADDR6=([up]=2001:db8:100::1 [up2]=2001:db8:100::2
    [r1]=2001:db8:100::11 [r2]=2001:db8:100::12 [r3]=2001:db8:100::13)
declare -A BGP_LAN=([up]=192.0.2.1 [r1]=192.0.2.11 [r2]=192.0.2.12 [r3]=192.0.2.13)
BGP_CLIENT=192.0.2.130
BGP_BACKENDS=()                  # b1.. when bgp_lab --backends N; addresses in BGP_LAN
BGP_SED_ROUTER=() BGP_SED_UPSTREAM=()
BGP_WATCHER=$top_srcdir/tests/tools/routewatch.py
# the BGP protocols' names in the contrib configs
declare -A BGP_PEERS=([up]="lb1 lb2 lb3" [up2]="lb1 lb2 lb3"
    [r1]="upstream1 upstream2" [r2]="upstream1 upstream2" [r3]="upstream1 upstream2")
declare -A BGP_LB=([r1]=lb1 [r2]=lb2 [r3]=lb3)

# bgp_need: skip unless BIRD 2 (bird, birdc) and python3 (the route watcher) are here.
bgp_need() {
    lab_need bird birdc python3
    bird --version 2>&1 | grep -q 'BIRD version 2\.' || lab_skip "needs BIRD 2 (bird2): $(bird --version 2>&1)"
}

# bgp_lab [--backends N]: the topology above, every BIRD configured and started (not
# yet waited for: bgp_wait_sessions).
bgp_lab() {
    local nback=0 h i
    [[ ${1:-} == --backends ]] && nback=${2:?bgp_lab --backends N}
    lab_switch tr
    lab_switch lan
    lab_switch cl
    for h in "${BGP_UPSTREAMS[@]}" "${BGP_ROUTERS[@]}"; do
        lab_host "$h"
        # IPv6 addresses survive a link down (bgp_kill, bgp_restore), as IPv4 ones do
        lab_sysctl "$h" net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1 \
            net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        lab_link "$h" tr "${BGP_ADDR[$h]}/24,${BGP_ADDR6[$h]}/64"
    done
    # flows, not only addresses, spread over the next hops (one client, many ports)
    lab_sysctl up net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
    for h in up "${BGP_ROUTERS[@]}"; do lab_link "$h" lan "${BGP_LAN[$h]}/25"; done
    lab_link up cl 192.0.2.129/25
    lab_host client
    lab_link client cl "$BGP_CLIENT/25"
    lab_exec client ip route add default via 192.0.2.129
    for ((i = 1; i <= nback; i++)); do
        h=b$i
        lab_host "$h"
        BGP_LAN[$h]=192.0.2.$((20 + i))
        lab_link "$h" lan "${BGP_LAN[$h]}/25"
        lab_exec "$h" ip route add default via "${BGP_LAN[up]}"
        BGP_BACKENDS+=("$h")
    done
    for h in "${BGP_ROUTERS[@]}"; do _bgp_router_routes "$h"; done
    for h in "${BGP_UPSTREAMS[@]}" "${BGP_ROUTERS[@]}"; do
        bgp_conf "$h"
        bgp_start "$h"
    done
}

_bgp_router_routes() {  # ROUTER: its default routes (gone with its links in bgp_kill)
    lab_exec "$1" ip route replace default via "${BGP_ADDR[up]}"
    lab_exec "$1" ip -6 route replace default via "${BGP_ADDR6[up]}"
}

# bgp_conf HOST: render HOST's BIRD config to $LAB_DIR/bird-HOST.conf from contrib/bird
# (BGP_SED_ROUTER / BGP_SED_UPSTREAM applied too) and check it with `bird -p`.
bgp_conf() {
    local h=${1:?bgp_conf HOST} src e args=()
    if [[ " ${BGP_UPSTREAMS[*]} " == *" $h "* ]]; then
        src=$top_srcdir/contrib/bird/bird-upstream.conf
        args=(-e "s/\\b198\\.51\\.100\\.1\\b/${BGP_ADDR[$h]}/g")
        for e in "${BGP_SED_UPSTREAM[@]}"; do args+=(-e "$e"); done
    else
        src=$top_srcdir/contrib/bird/bird-router.conf
        args=(-e "s/\\b198\\.51\\.100\\.11\\b/${BGP_ADDR[$h]}/g")
        for e in "${BGP_SED_ROUTER[@]}"; do args+=(-e "$e"); done
    fi
    sed "${args[@]}" -e 's/^log syslog all;/log stderr all;/' "$src" >"$LAB_DIR/bird-$h.conf"
    grep -q "^router id ${BGP_ADDR[$h]};" "$LAB_DIR/bird-$h.conf" ||
        lab_fail "bgp_conf $h: $src has no 'router id' line to substitute"
    bird -p -c "$LAB_DIR/bird-$h.conf" || lab_fail "bgp_conf $h: BIRD refuses $LAB_DIR/bird-$h.conf"
}

# bgp_start HOST: start BIRD in HOST (lab daemon bird-HOST, log $LAB_DIR/bird-HOST.log)
# and wait until it answers on its control socket.
bgp_start() {
    local h=${1:?bgp_start HOST}
    lab_start "$h" "bird-$h" bird -f -c "$LAB_DIR/bird-$h.conf" \
        -s "$LAB_SOCKDIR/bird-$h.ctl" -P "$LAB_SOCKDIR/bird-$h.pid"
    wait_until 10 "BIRD in $h to answer" bgp_birdc "$h" show status
}

# bgp_stop HOST [SIGNAL]: stop HOST's BIRD (TERM: it closes its sessions with a Cease).
bgp_stop() { lab_stop "bird-${1:?bgp_stop HOST}" "${2:-TERM}"; }

# bgp_birdc HOST CMD...: one birdc command (the control socket is a file: no netns needed).
bgp_birdc() {
    local h=${1:?bgp_birdc HOST CMD...}; shift
    timeout 5 birdc -s "$LAB_SOCKDIR/bird-$h.ctl" "$@"
}

# bgp_established HOST [PROTO...]: true when every PROTO (default: HOST's BGP sessions,
# BGP_PEERS) is Established in HOST's BIRD.
bgp_established() {
    local h=${1:?bgp_established HOST [PROTO...]} out p; shift
    if (($# == 0)); then
        # shellcheck disable=SC2086  # a list of words
        set -- ${BGP_PEERS[$h]}
    fi
    out=$(bgp_birdc "$h" show protocols) || return 1
    for p; do
        awk -v p="$p" '$1 == p && $2 == "BGP" && $NF == "Established" { f = 1 } END { exit !f }' <<<"$out" ||
            { echo "$h: $p not Established: $(awk -v p="$p" '$1 == p' <<<"$out")"; return 1; }
    done
}

# bgp_wait_sessions SECS [HOST...]: wait until all of HOST's (default: every BIRD host's)
# BGP sessions are Established.
bgp_wait_sessions() {
    local secs=${1:?bgp_wait_sessions SECS [HOST...]} h; shift
    (($#)) || set -- "${BGP_UPSTREAMS[@]}" "${BGP_ROUTERS[@]}"
    for h; do wait_until "$secs" "BGP sessions of $h Established" bgp_established "$h"; done
}

# bgp_bfd_up HOST ADDR...: true when HOST's BIRD has a BFD session Up with each ADDR.  A
# BGP session is Established before its BFD session is Up (BFD starts slow: 1 s packets
# until Up); a peer that dies in between is noticed by the hold timer only.
bgp_bfd_up() {
    local h=${1:?bgp_bfd_up HOST ADDR...} out a; shift
    out=$(bgp_birdc "$h" show bfd sessions) || return 1
    for a; do
        awk -v a="$a" '$1 == a && $3 == "Up" { f = 1 } END { exit !f }' <<<"$out" ||
            { echo "$h: BFD with $a not Up: $(awk -v a="$a" '$1 == a' <<<"$out")"; return 1; }
    done
}

# bgp_nexthops HOST PREFIX: the gateways of HOST's kernel route to exactly PREFIX in its
# main table, sorted, one line; empty if there is no such route.
bgp_nexthops() {
    local h=${1:?bgp_nexthops HOST PREFIX} pfx=${2:?} fam=-4
    [[ $pfx == *:* ]] && fam=-6
    lab_exec "$h" ip "$fam" route show to exact "$pfx" |
        grep -o 'via [0-9a-f.:]*' | awk '{ print $2 }' | sort -V | paste -sd ' '
}

# bgp_has_nexthops HOST PREFIX [ADDR...]: true when the next hops are exactly ADDR...
# (none: no route).  Prints them when not.
bgp_has_nexthops() {
    local h=${1:?bgp_has_nexthops HOST PREFIX [ADDR...]} pfx=${2:?} got want; shift 2
    got=$(bgp_nexthops "$h" "$pfx")
    want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -V | paste -sd ' ')
    [[ $got == "$want" ]] || { echo "$h: $pfx via '$got', want '$want'"; return 1; }
}

# bgp_wait_nexthops SECS HOST PREFIX [ADDR...]: wait (polling every 0.2 s or slower,
# wait_until) until HOST's route to PREFIX has exactly these next hops.
bgp_wait_nexthops() {
    local secs=${1:?bgp_wait_nexthops SECS HOST PREFIX [ADDR...]} h=${2:?} pfx=${3:?}; shift 3
    wait_until "$secs" "$h: $pfx via ${*:-nothing}" bgp_has_nexthops "$h" "$pfx" "$@"
}

# _bgp_len VIP: its host route's length, 32 or 128.
_bgp_len() { [[ $1 == *:* ]] && echo 128 || echo 32; }

# bgp_announce ROUTER [VIP...]: what ipvs-router does to announce (default: BGP_VIP4 and
# BGP_VIP6): `ip route add blackhole VIP/32 table 201 proto 201`.
bgp_announce() {
    local r=${1:?bgp_announce ROUTER [VIP...]} v; shift
    (($#)) || set -- "$BGP_VIP4" "$BGP_VIP6"
    for v; do
        lab_exec "$r" ip route add blackhole "$v/$(_bgp_len "$v")" table "$BGP_TABLE" proto "$BGP_PROTO"
    done
}

# bgp_withdraw ROUTER [VIP...]: what ipvs-router does to withdraw: delete that route.
bgp_withdraw() {
    local r=${1:?bgp_withdraw ROUTER [VIP...]} v; shift
    (($#)) || set -- "$BGP_VIP4" "$BGP_VIP6"
    for v; do
        lab_exec "$r" ip route del blackhole "$v/$(_bgp_len "$v")" table "$BGP_TABLE" proto "$BGP_PROTO"
    done
}

# bgp_flush ROUTER: what the unit's ExecStopPost does after a crash: flush table 201,
# IPv4 and IPv6 (`ip route flush table 201` alone leaves the IPv6 routes).
bgp_flush() {
    local r=${1:?bgp_flush ROUTER}
    lab_exec "$r" ip -4 route flush table "$BGP_TABLE"
    lab_exec "$r" ip -6 route flush table "$BGP_TABLE"
}

# bgp_kill ROUTER: a dead host.  Its links go down (one `ip -batch`), then SIGKILL to
# every process in its namespace, BIRD included.  BGP_KILL_US: the wall clock (us, as
# $EPOCHREALTIME) just before the links went down.  Table 201 is left as it was (a
# host that comes back has lost it anyway; bgp_restore keeps it for the tests).
bgp_kill() {
    local r=${1:?bgp_kill ROUTER} ns cmds='' ifc p
    ns=$(lab_ns "$r")
    for ((ifc = 0; ifc < ${LAB_NLINKS[$r]}; ifc++)); do cmds+="link set eth$ifc down"$'\n'; done
    BGP_KILL_US=${EPOCHREALTIME/./}
    ip -n "$ns" -batch - <<<"$cmds"
    for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
    # (2>/dev/null: bash reports the SIGKILLed job, "Killed", when it reaps it)
    if [[ -n ${LAB_PIDS[bird-$r]:-} ]]; then lab_stop "bird-$r" KILL 2>/dev/null; fi
}

# bgp_restore ROUTER: after bgp_kill: links up, default routes, BIRD started (not waited
# for: bgp_wait_sessions).
bgp_restore() {
    local r=${1:?bgp_restore ROUTER} ns cmds='' ifc
    ns=$(lab_ns "$r")
    for ((ifc = 0; ifc < ${LAB_NLINKS[$r]}; ifc++)); do cmds+="link set eth$ifc up"$'\n'; done
    ip -n "$ns" -batch - <<<"$cmds"
    _bgp_router_routes "$r"
    bgp_start "$r"
}

# bgp_watch HOST [PREFIX...]: start tests/tools/routewatch.py in HOST (lab daemon
# routewatch-HOST, its lines in $LAB_DIR/routewatch-HOST.log) for PREFIX (default the
# VIPs' host routes) and wait until it listens.
bgp_watch() {
    local h=${1:?bgp_watch HOST [PREFIX...]}; shift
    (($#)) || set -- "$BGP_VIP4/32" "$BGP_VIP6/128"
    lab_start "$h" "routewatch-$h" python3 -u "$BGP_WATCHER" "$@"
    wait_until 10 "the route watcher in $h" grep -qx ready "$LAB_DIR/routewatch-$h.log"
}

# bgp_watch_since HOST PREFIX T0_US without ADDR | count N: ms (one decimal) from T0_US to
# the first change of PREFIX seen by HOST's watcher after T0_US whose next hops no longer
# include ADDR / number exactly N (a deletion: 0).  Empty when there is none (yet).
# For IPv4 routes (the kernel replaces an IPv4 multipath route whole; an IPv6 "del" may
# name a single next hop of the route).
bgp_watch_since() {
    local h=${1:?} pfx=${2:?} t0=${3:?} what=${4:?} arg=${5:?bgp_watch_since HOST PREFIX T0_US without ADDR|count N}
    [[ $pfx == */* ]] || pfx=$pfx/$(_bgp_len "$pfx")
    awk -v p="$pfx" -v t0="$t0" -v what="$what" -v arg="$arg" '
        $3 != p || $1 <= t0 || ($2 != "new" && $2 != "del") { next }
        {
            n = ($2 == "del" || $4 == "-") ? 0 : split($4, via, ",")
            hit = 0
            if (what == "count") hit = (n == arg)
            else { hit = 1; for (i = 1; i <= n; i++) if (via[i] == arg) hit = 0 }
            if (hit) { printf "%.1f\n", ($1 - t0) / 1000; exit }
        }' "$LAB_DIR/routewatch-$h.log"
}
