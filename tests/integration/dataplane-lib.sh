# SPDX-License-Identifier: Apache-2.0
# tests/integration/dataplane-lib.sh - helpers for the dataplane-* integration tests
# (bash), sourced after tests/lab/lib.sh.  IPVS is per network namespace: every
# router below is a lab host with its own table.
#
#   dp_router HOST V4/LEN [V6/LEN]  a lab host with lo up and dummy0 holding those
#                                   addresses (lo without a dummy driver; a namespace
#                                   without any address has
#                                   no local route table, and IPVS then refuses
#                                   every IPv4 destination as "not unicast")
#   dp_daemon HOST NAME CONF        start ipvs-router -F -l -d in HOST; wait for its
#                                   start-up adoption line
#   dp_reload NAME CONF NEW         install NEW as CONF, SIGHUP, wait until accepted
#   mark=$(dp_mark NAME)            the log's line count now
#   dp_ops NAME MARK [REGEX]        kernel operations the daemon logged after MARK
#                                   (debug lines "ipvs: add service ...", ...)
#   dp_wait_log NAME MARK S DESC RE wait up to S seconds for a line matching RE
#   dp_table HOST                   `ipvsadm -Ln` without the header, one space
#                                   between fields, no connection counters
#   dp_wait_table HOST S DESC WANT  wait until dp_table prints WANT
#   dp_dump HOST                    ipvsr-ipvs dump: the kernel's own list order

DP_IPVSR=${IPVSR:-$top_builddir/ipvs-router}
DP_TOOL=$top_builddir/tests/tools/ipvsr-ipvs

dp_need() {
    lab_need_ipvs
    [[ -x $DP_IPVSR ]] || lab_skip "daemon not built: $DP_IPVSR"
    [[ -x $DP_TOOL ]] || lab_skip "test tool not built: $DP_TOOL (make check builds it)"
}

dp_router() {  # HOST V4/LEN [V6/LEN]  (the addresses on lo where there is no dummy driver)
    local dev=dummy0
    lab_host "$1"
    if lab_exec "$1" ip link add dummy0 type dummy 2>/dev/null; then
        lab_exec "$1" ip link set dummy0 up
    else
        dev=lo
    fi
    lab_exec "$1" ip addr add "$2" dev $dev
    [[ -z ${3:-} ]] || lab_exec "$1" ip addr add "$3" dev $dev nodad
}

dp_daemon() {  # HOST NAME CONF
    local since=0
    [[ -f $LAB_DIR/$2.log ]] && since=$(dp_mark "$2")
    lab_start "$1" "$2" "$DP_IPVSR" -F -l -d -p "" -f "$3" -n lb
    dp_wait_log "$2" "$since" 30 "$2 to adopt the IPVS table" 'ipvs: adopted'
}

dp_mark() { local n; n=$(wc -l <"$LAB_DIR/$1.log"); echo "$n"; }

dp_ops() {  # NAME MARK [REGEX]
    tail -n +"$(($2 + 1))" "$LAB_DIR/$1.log" |
        grep -E '^debug: ipvs: (add|edit|delete) (service|dest) ' | grep -cE "${3:-.}" || true
}

# not grep -q: it stops reading early, tail then dies of SIGPIPE and pipefail fails the test
_dp_log_has() { tail -n +"$(($2 + 1))" "$LAB_DIR/$1.log" | grep -E "$3" >/dev/null; }

dp_wait_log() {  # NAME MARK SECONDS DESC REGEX
    wait_until "$3" "$4" _dp_log_has "$1" "$2" "$5"
}

dp_reload() {  # NAME CONF NEW
    local m
    m=$(dp_mark "$1")
    cp "$3" "$2"
    lab_kill "$1" HUP
    dp_wait_log "$1" "$m" 20 "$1 to accept the new configuration" \
        'reload: configuration (accepted|refused)|reload refused'
    _dp_log_has "$1" "$m" 'reload: configuration accepted' ||
        lab_fail "$1 refused $3: $(tail -n 5 "$LAB_DIR/$1.log")"
}

dp_table() {  # HOST
    lab_exec "$1" ipvsadm -Ln | tail -n +4 |
        awk '$1 == "->" { print $1, $2, $3, $4; next } { $1 = $1; print }'
}

_dp_table_is() {  # HOST WANT: on a difference, print it (wait_until shows the last lines)
    local have
    have=$(dp_table "$1")
    [[ $have == "$2" ]] && return 0
    diff -U1 <(echo "$2") <(echo "$have") | tail -n +3
    return 1
}

dp_wait_table() {  # HOST SECONDS DESC WANT
    wait_until "$2" "$3" _dp_table_is "$1" "$4"
}

dp_dump() { lab_exec "$1" "$DP_TOOL" dump; }
