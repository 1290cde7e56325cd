# SPDX-License-Identifier: Apache-2.0
# tests/integration/election-lib.sh - helpers for the election-* tests and bench/failover.
# Sourced after tests/lab/lib.sh (not a test itself: the runner skips names with a dot).
#
#   EL_INTERVAL=100 EL_ELECTION='preempt_delay_ms = 2000;' \
#       el_conf FILE "r1=192.0.2.11 r2=192.0.2.12" "www=192.0.2.100/10/r1:200,r2:100"
#   el_start r1 d1 FILE                 # the daemon as router r1, log $LAB_DIR/d1.log
#   el_wait_owner 5 192.0.2.100 r1 r1 r2  # r1, and only r1 of r1 r2, has the address
#
# VIPs live on router.interface (eth0) unless EL_VIP sets `interface = ...;`.

EL_BIN=$top_builddir/ipvs-router
EL_TOOL=$top_builddir/tests/tools/vrrptool

el_need() {
    [[ -x $EL_BIN ]] || lab_fail "$EL_BIN is not built (make)"
    [[ -x $EL_TOOL ]] || lab_fail "$EL_TOOL is not built (make check builds it)"
}

# el_conf FILE PEERS VIPS: PEERS "name=addr ...", VIPS "name=addr/vrid/r1:p,r2:p ...".
# EL_INTERVAL (100), EL_ELECTION (extra election lines), EL_VIP (extra lines in every
# VIP), EL_ROUTER (extra router lines) are pasted in; EL_POOLS replaces the pools (by
# default "web" and "web6", one server each, never checked: always up).  An IPv4 VIP's
# services use pool "web", an IPv6 VIP's "web6".
el_conf() {
    local file=${1:?} peers=${2:?} vips=${3:?} p v name rest addr vrid prios first=1 pr pool
    {
        echo "router = { interface = \"eth0\"; ${EL_ROUTER:-} };"
        echo "election = {"
        echo "    advert_interval_ms = ${EL_INTERVAL:-100};"
        echo "    ${EL_ELECTION:-}"
        echo "    peers = ("
        for p in $peers; do
            ((first)) || echo ","
            first=0
            printf '        { name = "%s"; address = "%s"; }' "${p%%=*}" "${p#*=}"
        done
        echo; echo "    );"; echo "};"
        echo "vips = ("
        first=1
        for v in $vips; do
            name=${v%%=*} rest=${v#*=}
            IFS=/ read -r addr vrid prios <<<"$rest"
            ((first)) || echo ","
            first=0
            printf '    { name = "%s"; address = "%s"; vrid = %s;\n' "$name" "$addr" "$vrid"
            printf '      priority = {'
            for pr in ${prios//,/ }; do printf ' %s = %s;' "${pr%%:*}" "${pr#*:}"; done
            printf ' };\n      %s\n' "${EL_VIP:-}"
            [[ $addr == *:* ]] && pool=web6 || pool=web
            printf '      services = ( { port = 80; pool = "%s"; } ); }' "$pool"
        done
        echo; echo ");"
        if [[ -n ${EL_POOLS:-} ]]; then
            echo "pools = ( $EL_POOLS );"
        else
            echo 'pools = ( { name = "web"; check = { type = "none"; }; servers = ( { address = "198.51.100.11"; } ); },'
            echo '          { name = "web6"; check = { type = "none"; }; servers = ( { address = "2001:db8:1::11"; } ); } );'
        fi
    } >"$file"
    "$EL_BIN" -t --config-only -f "$file" -n "${peers%%=*}" >/dev/null || {
        cat "$file" >&2; "$EL_BIN" -t --config-only -f "$file" -n "${peers%%=*}" >&2; lab_fail "el_conf: $file is invalid"; }
}

# el_start HOST NAME CONF [ARGS...]: the daemon as router HOST (its name is the host's).
el_start() {
    local host=${1:?} name=${2:?} conf=${3:?}; shift 3
    lab_start "$host" "$name" "$EL_BIN" -F -l -n "$host" -f "$conf" -p '' "$@"
}

# el_has HOST ADDR: HOST has ADDR on an interface.
el_has() {
    local out
    out=$(ip -n "$(lab_ns "${1:?}")" -o addr show) || return 1
    [[ $out == *" ${2:?}/"* ]]
}

# el_owners ADDR HOST...: the HOSTs that have ADDR, space-separated.
el_owners() {
    local addr=${1:?} h out=()
    shift
    for h; do el_has "$h" "$addr" && out+=("$h"); done
    echo "${out[*]:-}"
}

# el_owner_is ADDR WANT HOST...: exactly WANT ("" = nobody) of the HOSTs has ADDR.
el_owner_is() {
    local addr=${1:?} want=$2 got
    shift 2
    got=$(el_owners "$addr" "$@")
    [[ $got == "$want" ]] || { echo "owners of $addr: '${got}', want '$want'"; return 1; }
}

# el_wait_owner SECS ADDR WANT HOST...
el_wait_owner() {
    local secs=${1:?} addr=${2:?} want=$3
    shift 3
    wait_until "$secs" "$addr owned by '${want}' only (of $*)" el_owner_is "$addr" "$want" "$@"
}

# el_transitions NAME VIP: the "FROM -> TO" lines of a VIP in daemon NAME's log, one per line.
el_transitions() {
    grep -o "vip ${2:?}: [A-Z]* -> [A-Z]*" "$LAB_DIR/${1:?}.log" | sed 's/^vip [^:]*: //' || true
}

# el_count NAME VIP TO: how many times VIP became TO in NAME's log.
el_count() {
    el_transitions "$1" "$2" | grep -c -- "-> ${3:?}\$" || true
}

# el_log_has NAME TEXT: TEXT (fixed string) is in NAME's log.
el_log_has() { grep -qF -- "${2:?}" "$LAB_DIR/${1:?}.log"; }

# el_now_ms: wall clock in ms.
el_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# el_partition HOST [SWITCH] / el_heal HOST [SWITCH]: cut HOST off the bridge (its
# switch port goes to the "disabled" STP state: no frame passes, but the link and its
# carrier stay up, so nothing notices but the election; `ip link set type bridge_slave
# state` is silently ignored here, `bridge link set` works) / let it back.  Blackhole routes
# would not do: a socket bound to an interface (SO_BINDTODEVICE) ignores them.
el_port() {
    local out
    out=$(ip -n "$(lab_ns "${2:-sw}")" -o link show) || return 1
    sed -n "s/^[0-9]*: \(p[0-9]*-${1:?}\)@.*/\1/p" <<<"$out" | head -n 1
}
el_partition() {
    local port
    port=$(el_port "${1:?}" "${2:-sw}")
    [[ -n $port ]] || lab_fail "el_partition: no switch port for $1"
    lab_exec "${2:-sw}" bridge link set dev "$port" state 0
}
el_heal() {
    local port
    port=$(el_port "${1:?}" "${2:-sw}")
    lab_exec "${2:-sw}" bridge link set dev "$port" state 3
}
