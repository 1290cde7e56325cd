# SPDX-License-Identifier: Apache-2.0
# tests/lab/lib.sh - network-namespace lab for ipvs-router integration tests (bash).
# shellcheck shell=bash
#
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/lab/lib.sh"
#   lab_init mytest                        # traps, unique namespace prefix, log dir
#   lab_switch sw                          # a bridge in its own namespace
#   lab_host c; lab_link c sw 192.0.2.1/24
#   lab_host r1; lab_link r1 sw 192.0.2.11/24
#   lab_backend r1 r1 --http 80            # ipvsr-testbackend, admin port 9999
#   wait_until 10 "r1 answers" lab_get c http://192.0.2.11/
#   lab_pass
#
# Sourcing turns on `set -eEuo pipefail`.  Every failing command ends the test with
# a message naming the line.  Tests exit 0 (pass), 1 (fail) or 77 (skip: lab_skip).
# On every exit path the EXIT trap stops what lab_start started and deletes the
# namespaces lab_host created - and only those: each name carries this run's prefix
# (ipvsr-NAME-PID-RAND-), and deletion refuses anything it did not record.  On
# failure the logs of the started daemons are printed.
#
# Environment: top_srcdir, top_builddir (default: this repo), LAB_OUTDIR (keep logs
# there; default a fresh temp dir, removed after a pass), CI (when "true", lab_skip
# is reported by the runner as a failure).
#
# Pinned surprises:
# - `ip netns exec` forks/execs ~3 processes; under TCG (the IPVS VM) each costs
#   ~65 ms, so keep per-request tooling lean (busybox wget, not curl; no python).
# - busybox wget -T segfaults (1.35): bound it with timeout(1) instead (lab_get).
# - IPv6 addresses are added with nodad, or they stay "tentative" for ~2 s and
#   bind()/connect() from them fails.
# - setsid(1) does not fork when its caller is not a group leader (the case for a
#   `&` job in a script), so $! is the daemon itself and also its process group.

# shellcheck disable=SC2034  # LAB_NAME, LAB_RC: for the tests
set -eEuo pipefail

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
LAB_BACKEND=${LAB_BACKEND:-$top_builddir/tests/backend/ipvsr-testbackend}

# Public: LAB_NAME LAB_PREFIX LAB_DIR (logs, scratch files) LAB_PIDS[name] LAB_RC LAB_BACKEND,
# LAB_SOCKDIR (a local directory for unix sockets, removed at exit: in the qemu VM LAB_DIR
# is a 9p share, where bind() makes the node but connect() gets ENXIO), LAB_STATEDIR
# (LAB_SOCKDIR/state: each host's IPVSR_STATE_DIR is LAB_STATEDIR/HOST, see lab_start).
LAB_NAME='' LAB_PREFIX='' LAB_DIR='' LAB_TMPDIR=0 LAB_RC=0 LAB_SOCKDIR='' LAB_STATEDIR=''
declare -A LAB_NS=() LAB_PIDS=() LAB_NLINKS=() LAB_ADMIN=() LAB_SWITCHES=()
LAB_NSLIST=() LAB_STARTED=()

lab_log()  { echo "lab: $*" >&2; }
lab_fail() { LAB_FAIL_MSG=$*; echo "FAIL: $*" >&2; exit 1; }
lab_skip() { echo "SKIP: $*"; exit 77; }
lab_pass() { echo "PASS${1:+: $*}"; exit 0; }

_lab_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# lab_init NAME: start a lab run (once per test script).
lab_init() {
    local name=${1:?lab_init NAME} stale=() f pid
    [[ -z $LAB_PREFIX ]] || lab_fail "lab_init called twice"
    [[ $name =~ ^[A-Za-z0-9_-]{1,24}$ ]] || lab_fail "lab_init: bad name '$name'"
    ((EUID == 0)) || lab_skip "needs root (network namespaces)"
    command -v ip >/dev/null || lab_skip "needs iproute2 (ip)"
    LAB_NAME=$name
    LAB_PREFIX=$(printf 'ipvsr-%s-%d-%04x' "$name" $$ $((RANDOM)))
    if [[ -n ${LAB_OUTDIR:-} ]]; then
        LAB_DIR=$LAB_OUTDIR; mkdir -p "$LAB_DIR"
    else
        LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ipvsr-lab-$name.XXXXXX"); LAB_TMPDIR=1
    fi
    : >"$LAB_DIR/.lab-namespaces"; : >"$LAB_DIR/.lab-started"
    LAB_SOCKDIR=$(mktemp -d "/dev/shm/ipvsr-lab-$name.XXXXXX")
    LAB_STATEDIR=$LAB_SOCKDIR/state
    trap '_lab_exit' EXIT
    trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
    trap '_lab_err $LINENO "$BASH_COMMAND" $?' ERR
    # Leftovers of killed runs never collide with us (other prefix); just point them out.
    for f in /run/netns/ipvsr-*; do
        [[ ${f##*/} =~ ^ipvsr-.+-([0-9]+)-[0-9a-f]{4}-[A-Za-z0-9_]+$ ]] || continue
        pid=${BASH_REMATCH[1]}
        kill -0 "$pid" 2>/dev/null || stale+=("${f##*/}")
    done
    ((${#stale[@]} == 0)) || lab_log "note: namespaces of dead lab runs (not ours, left alone): ${stale[*]}"
    echo "$LAB_PREFIX-probe" >>"$LAB_DIR/.lab-namespaces"     # (lab_reap, if killed right here)
    ip netns add "$LAB_PREFIX-probe" 2>/dev/null || lab_skip "cannot create network namespaces here"
    ip netns del "$LAB_PREFIX-probe"
    lab_log "run $LAB_PREFIX, logs in $LAB_DIR"
}

_lab_err() {  # LINE CMD RC: the ERR trap; names the test script's line, not lib.sh's
    local i where="${BASH_SOURCE[1]##*/}:$1"
    for ((i = 2; i < ${#BASH_SOURCE[@]}; i++)); do
        [[ ${BASH_SOURCE[i-1]} == "${BASH_SOURCE[0]}" ]] || break
        where="${BASH_SOURCE[i]##*/}:${BASH_LINENO[i-1]} (in ${FUNCNAME[i-1]})"
    done
    echo "lab: $where: command failed (exit $3): $2" >&2
}

# lab_ns HOST: the namespace name of HOST.
lab_ns() {
    [[ -n ${LAB_NS[${1:-}]:-} ]] || lab_fail "no lab host '${1:-}'"
    echo "${LAB_NS[$1]}"
}

# lab_host NAME: a network namespace with lo up.
lab_host() {
    local name=${1:?lab_host NAME} ns
    [[ -n $LAB_PREFIX ]] || lab_fail "call lab_init first"
    [[ $name =~ ^[A-Za-z0-9_]{1,12}$ ]] || lab_fail "lab_host: bad name '$name'"
    [[ -z ${LAB_NS[$name]:-} ]] || lab_fail "lab_host: '$name' exists"
    ns=$LAB_PREFIX-$name
    # recorded before it exists: a TERM (trap: LAB_NSLIST) or a KILL (lab_reap: the
    # file) during `ip netns add`, seconds long on a loaded machine, left it behind
    LAB_NS[$name]=$ns; LAB_NSLIST+=("$ns"); LAB_NLINKS[$name]=0
    echo "$ns" >>"$LAB_DIR/.lab-namespaces"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
}

# lab_switch NAME: a host holding bridge br0 (up); lab_link attaches to it.
lab_switch() {
    lab_host "$@"
    LAB_SWITCHES[$1]=1
    ip -n "${LAB_NS[$1]}" link add br0 type bridge
    ip -n "${LAB_NS[$1]}" link set br0 up
}

# lab_link HOST SWITCH ADDR/LEN[,ADDR/LEN...]|- [IFNAME]: a veth from HOST (IFNAME,
# default ethN) into SWITCH's bridge, with those addresses.  IPv6 addresses skip DAD.
lab_link() {
    local host=${1:?} sw=${2:?} addr=${3:?lab_link HOST SWITCH ADDR/LEN [IFNAME]} ifname=${4:-}
    local ns swns peer n a
    ns=$(lab_ns "$host"); swns=$(lab_ns "$sw")
    [[ -n ${LAB_SWITCHES[$sw]:-} ]] || lab_fail "lab_link: '$sw' is not a lab_switch"
    n=${LAB_NLINKS[$host]}; LAB_NLINKS[$host]=$((n + 1))
    [[ -n $ifname ]] || ifname=eth$n
    LAB_NLINKS[$sw]=$((${LAB_NLINKS[$sw]} + 1))
    peer=$(printf 'p%d-%s' "${LAB_NLINKS[$sw]}" "$host"); peer=${peer:0:15}
    ip link add "$ifname" netns "$ns" type veth peer name "$peer" netns "$swns"
    ip -n "$swns" link set "$peer" master br0 up
    [[ $addr == - ]] || for a in ${addr//,/ }; do
        if [[ $a == *:* ]]; then
            ip -n "$ns" addr add "$a" dev "$ifname" nodad
        else
            ip -n "$ns" addr add "$a" dev "$ifname"
        fi
    done
    ip -n "$ns" link set "$ifname" up
}

# lab_exec HOST CMD...: run CMD in HOST's namespace ("-": in the current one).
lab_exec() {
    local host=${1:?lab_exec HOST CMD...}; shift
    if [[ $host == - ]]; then "$@"; else ip netns exec "$(lab_ns "$host")" "$@"; fi
}

# lab_sysctl HOST key=value...: e.g. net.ipv4.ip_forward=1 (one process for all).
lab_sysctl() {
    local host=${1:?lab_sysctl HOST k=v...} kv k script=''; shift
    for kv; do
        [[ $kv == *=* ]] || lab_fail "lab_sysctl: '$kv' is not key=value"
        k=${kv%%=*}
        script+="echo '${kv#*=}' >/proc/sys/${k//.//} || exit 1;"
    done
    lab_exec "$host" sh -c "$script" || lab_fail "lab_sysctl $host $*: failed"
}

# lab_dr_realserver HOST VIP...: VIPs on lo (/32, /128) and, for IPv4, never answer
# ARP for them nor use them as ARP source: arp_ignore=1 arp_announce=2 on all + every
# interface that exists now (so call it after lab_link).
lab_dr_realserver() {
    local host=${1:?lab_dr_realserver HOST VIP...} vip; shift
    for vip; do
        if [[ $vip == *:* ]]; then
            lab_exec "$host" ip addr add "$vip/128" dev lo nodad
        else
            lab_exec "$host" ip addr add "$vip/32" dev lo
        fi
    done
    # shellcheck disable=SC2016  # expanded by sh, in the namespace
    lab_exec "$host" sh -c 'for d in /proc/sys/net/ipv4/conf/*; do
        case ${d##*/} in lo|default) continue ;; esac
        echo 1 >"$d/arp_ignore" && echo 2 >"$d/arp_announce" || exit 1
    done' || lab_fail "lab_dr_realserver $host: sysctls failed"
}

# lab_start HOST NAME CMD...: run CMD in the background in HOST ("-": current netns),
# in its own session, stdout+stderr to $LAB_DIR/NAME.log.  The pid is LAB_PIDS[NAME].
lab_start() {
    local host=${1:?} name=${2:?lab_start HOST NAME CMD...} pid st; shift 2
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || lab_fail "lab_start: bad name '$name'"
    [[ -z ${LAB_PIDS[$name]:-} ]] || lab_fail "lab_start: '$name' is already running"
    # Each lab host has a state directory of its own, $LAB_STATEDIR/HOST (a daemon's
    # drains and owned IPVS services: state_dir() in daemon/lib/util.c), kept across
    # restarts on that host, never shared with another host or another test (the
    # system's /var/lib).  On local tmpfs beside the sockets, not in LAB_DIR: inside the
    # VM that is the 9p share, and the daemons' fsync and rename need not cross it.
    mkdir -p "$LAB_STATEDIR/$host"
    if [[ $host == - ]]; then
        IPVSR_STATE_DIR=${IPVSR_STATE_DIR:-$LAB_STATEDIR/-} \
            setsid "$@" </dev/null >>"$LAB_DIR/$name.log" 2>&1 &
    else
        IPVSR_STATE_DIR=${IPVSR_STATE_DIR:-$LAB_STATEDIR/$host} \
            setsid ip netns exec "$(lab_ns "$host")" "$@" </dev/null >>"$LAB_DIR/$name.log" 2>&1 &
    fi
    pid=$!
    LAB_PIDS[$name]=$pid; LAB_STARTED+=("$name")
    st=$(_lab_starttime "$pid") || st=0
    echo "$name $pid $st $host" >>"$LAB_DIR/.lab-started"
}

_lab_stat() {  # PID FIELD: a field of /proc/PID/stat (3 state, 22 start time); no fork
    local stat f
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }                     # drop "pid (comm) ": comm may hold spaces
    read -r -a f <<<"$stat"
    echo "${f[$(($2 - 3))]}"
}
_lab_starttime() { _lab_stat "$1" 22; }
_lab_alive() {  # PID: exists and is not a zombie
    local st
    st=$(_lab_stat "$1" 3) && [[ $st != Z ]]
}

# lab_kill NAME SIGNAL: send a signal to a started daemon (e.g. HUP), no waiting.
lab_kill() {
    local pid=${LAB_PIDS[${1:?lab_kill NAME SIG}]:-}
    [[ -n $pid ]] || lab_fail "lab_kill: '$1' is not running"
    kill -s "${2:?}" "$pid"
}

# lab_running NAME: true while the daemon is alive.
lab_running() {
    local pid=${LAB_PIDS[${1:?}]:-}
    [[ -n $pid ]] && _lab_alive "$pid"
}

# lab_stop NAME [SIGNAL]: signal the daemon's process group (default TERM), wait up
# to 5 s, then SIGKILL.  Its exit status is left in LAB_RC.
lab_stop() {
    local name=${1:?lab_stop NAME [SIGNAL]} sig=${2:-TERM} pid i
    pid=${LAB_PIDS[$name]:-}
    [[ -n $pid ]] || lab_fail "lab_stop: '$name' is not running"
    if _lab_alive "$pid"; then   # (if it died already, bash reaped it: its pid may be reused)
        kill -s "$sig" -- "-$pid" 2>/dev/null || kill -s "$sig" "$pid" 2>/dev/null || true
    fi
    for ((i = 0; i < 50; i++)); do
        _lab_alive "$pid" || break
        sleep 0.1
    done
    if ((i == 50)); then
        lab_log "$name (pid $pid) ignored SIG$sig for 5 s: SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    LAB_RC=0; wait "$pid" 2>/dev/null || LAB_RC=$?
    unset "LAB_PIDS[$name]"
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: run CMD every 0.2 s until it succeeds;
# after TIMEOUT_S seconds fail the test, showing CMD's last output.  CMD runs in a
# subshell (its variable assignments are lost) and must itself be bounded.
# CMD's words are expanded once, by the caller: `wait_until 5 "x" test "$(count)" -ge 1`
# compares the count of the moment of the call on every try, and waits in vain when it
# was too early (aws-partition failed so in check-repeat).  Whatever must be read again
# at each try goes inside a function: `has_one() { (($(count) >= 1)); }`.
# The pause after a try is at least as long as the try: a check that is slow to run
# (process starts inside UML take ~0.3 s each, more under load) takes at most half of
# the CPU from what it waits for.
wait_until() {
    local timeout=${1:?} desc=${2:?wait_until TIMEOUT_S DESCRIPTION CMD...} deadline out='' n t0 t1
    shift 2
    [[ $timeout =~ ^[0-9]+$ ]] || lab_fail "wait_until: TIMEOUT_S must be whole seconds, not '$timeout'"
    # CMD reading a process substitution, "cmd <(tail FILE)", would read the pipe once,
    # at the first try: every later try sees it empty and the wait times out whenever
    # the first was too early (election-handover failed so under load).
    for n in "$@"; do
        [[ $n != /dev/fd/* ]] || lab_fail "wait_until: '$desc' reads $n, a process substitution, which only the first try can read: read the file in CMD"
    done
    t0=${EPOCHREALTIME/./}; deadline=$((t0 / 1000 + timeout * 1000))
    for ((n = 1; n <= timeout * 5 + 5; n++)); do
        t0=${EPOCHREALTIME/./}
        if out=$("$@" 2>&1); then return 0; fi
        t1=${EPOCHREALTIME/./}
        ((t1 / 1000 < deadline)) || break
        t1=$(((t1 - t0) / 1000))               # the try, in ms
        t1=$((t1 < 200 ? 200 : t1))
        sleep "$((t1 / 1000)).$((t1 % 1000 / 100))$((t1 % 100 / 10))$((t1 % 10))"
    done
    lab_fail "timed out after ${timeout}s ($n tries) waiting for: $desc${out:+
  last output of '$*':
$(tail -n 5 <<<"$out" | sed 's/^/    /')}"
}

# lab_get HOST URL: print the body of an HTTP GET from HOST (busybox wget, 5 s bound).
lab_get() {
    lab_exec "${1:?lab_get HOST URL}" timeout 5 busybox wget -q -O - "${2:?}"
}

# lab_need CMD...: skip unless every CMD is available.
lab_need() {
    local c
    for c; do command -v "$c" >/dev/null || lab_skip "needs $c"; done
}

# lab_need_ipvs: skip unless this kernel has IPVS (the runner boots a VM if the host lacks it).
lab_need_ipvs() {
    [[ -e /proc/net/ip_vs ]] || modprobe -q ip_vs 2>/dev/null || true
    [[ -e /proc/net/ip_vs ]] || lab_skip "kernel has no IPVS (run via tests/integration/run)"
    lab_need ipvsadm
}

# lab_backend [--nowait] HOST NAME [ARGS...]: start ipvsr-testbackend --name NAME ARGS
# in HOST with an admin port (default 9999 on 127.0.0.1; pass --admin PORT to change
# it) and wait until it is up (--nowait: later, with lab_backend_wait, so that several
# start in parallel - worth it under TCG).  Switch its mode with lab_backend_mode.
lab_backend() {
    local nowait=0 host name port=9999 a prev=''
    [[ ${1:-} == --nowait ]] && { nowait=1; shift; }
    host=${1:?} name=${2:?lab_backend [--nowait] HOST NAME [ARGS...]}; shift 2
    [[ -x $LAB_BACKEND ]] || lab_skip "test backend not built: $LAB_BACKEND (make check builds it)"
    for a; do [[ $prev == --admin ]] && port=${a##*:}; prev=$a; done
    [[ " $* " == *" --admin "* ]] || set -- --admin "$port" "$@"
    lab_start "$host" "$name" "$LAB_BACKEND" --name "$name" "$@"
    LAB_ADMIN[$name]="$host $port"
    ((nowait)) || lab_backend_wait "$name"
}

# lab_backend_wait NAME...: wait (20 s each at most) until the backends answer.
lab_backend_wait() {
    local name
    for name; do wait_until 20 "backend $name to listen" lab_backend_ctl "$name" get; done
}

# lab_backend_ctl NAME COMMAND: one admin command, print the one-line reply.
lab_backend_ctl() {
    local spec=${LAB_ADMIN[${1:?lab_backend_ctl NAME CMD}]:-}
    [[ -n $spec ]] || lab_fail "no backend '$1'"
    # shellcheck disable=SC2016  # expanded by the inner bash
    lab_exec "${spec% *}" timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "%s\n" "$2" >&3; IFS= read -r reply <&3 || exit 1; echo "$reply"' _ "${spec#* }" "${2:?}"
}

# lab_backend_mode NAME MODE: switch the mode (ok refuse hang slow:MS status:CODE reset
# body:TEXT tls-stall); returns once the backend applied it, and sets
# LAB_BACKEND_SWITCHED_MS to the moment it did (wall clock, ms, as $EPOCHREALTIME): a
# delay measured from there does not include this command's own run time.
lab_backend_mode() {
    local reply at
    reply=$(lab_backend_ctl "${1:?lab_backend_mode NAME MODE}" "${2:?}") || lab_fail "backend $1: admin port unreachable"
    [[ $reply == "ok "* ]] || lab_fail "backend $1: mode $2: $reply"
    at=${reply##* at=}
    [[ $at =~ ^[0-9]+$ ]] || lab_fail "backend $1: mode $2: no time in the reply: $reply"
    LAB_BACKEND_SWITCHED_MS=$((at / 1000))
}

# lab_reap DIR: kill what a dead lab run (LAB_OUTDIR=DIR) left behind: its recorded
# daemons (pid + start time must match) and its recorded namespaces.  Used by the
# runner after a test was killed on timeout; safe to call on a cleanly finished run.
lab_reap() {
    local dir=${1:?lab_reap DIR} name pid st host ns p
    if [[ -f $dir/.lab-started ]]; then
        while read -r name pid st host; do
            [[ $(_lab_starttime "$pid" 2>/dev/null) == "$st" ]] || continue
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        done <"$dir/.lab-started"
    fi
    [[ -f $dir/.lab-namespaces ]] || return 0
    while read -r ns; do
        [[ $ns == ipvsr-* && -e /run/netns/$ns ]] || continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done <"$dir/.lab-namespaces"
}

_lab_exit() {
    local rc=$? name pid i ns p alive
    set +eE; trap - ERR
    if ((rc != 0 && rc != 77)); then
        p=0
        for name in "${LAB_STARTED[@]}"; do
            [[ -s $LAB_DIR/$name.log ]] || continue
            echo "---- $name: last 40 lines of $LAB_DIR/$name.log" >&2
            tail -n 40 "$LAB_DIR/$name.log" >&2
            p=1
        done
        ((p == 0)) || echo "---- end of daemon logs" >&2
        # the reason again, last: a log excerpt (the runner's tail, CI's) shows the end
        ((p == 0)) || [[ -z ${LAB_FAIL_MSG:-} ]] || echo "FAIL (repeated): $LAB_FAIL_MSG" >&2
    fi
    for pid in "${LAB_PIDS[@]}"; do
        _lab_alive "$pid" || continue
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    done
    for ((i = 0; i < 30; i++)); do            # up to 3 s for all of them together
        alive=0
        for pid in "${LAB_PIDS[@]}"; do
            _lab_alive "$pid" && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${LAB_PIDS[@]}"; do
        _lab_alive "$pid" && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
        wait "$pid" 2>/dev/null
    done
    for ((i = ${#LAB_NSLIST[@]} - 1; i >= 0; i--)); do
        ns=${LAB_NSLIST[i]}
        [[ $ns == "$LAB_PREFIX"-* ]] || { lab_log "refusing to delete foreign namespace $ns"; continue; }
        [[ -e /run/netns/$ns ]] || continue         # recorded, never created
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null || lab_log "could not delete namespace $ns"
    done
    if ((LAB_TMPDIR)); then
        if ((rc == 0)); then rm -rf "$LAB_DIR"; else lab_log "logs kept in $LAB_DIR"; fi
    fi
    [[ $LAB_SOCKDIR == /dev/shm/ipvsr-lab-* ]] && rm -rf "$LAB_SOCKDIR"
    exit "$rc"
}
