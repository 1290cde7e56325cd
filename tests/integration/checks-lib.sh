# SPDX-License-Identifier: Apache-2.0
# tests/integration/checks-lib.sh - helpers for the checks-* integration tests (bash),
# sourced after tests/lab/lib.sh.
#
#   checks_daemon HOST NAME CONF      start ipvs-router -F -l in HOST, log in $LAB_DIR/NAME.log
#   mark=$(checks_mark NAME)          the log's current line count
#   checks_await NAME SINCE T0_MS BOUND_MS DESC REGEX [MIN_MS]
#                                     wait for a line matching REGEX after line SINCE;
#                                     fail if it came later than BOUND_MS (+ allowance)
#                                     after its cause, or sooner than MIN_MS (- allowance)
#                                     (see Timing); CHECKS_LO / CHECKS_HI: the delay's
#                                     lower and upper estimates (ms)
#   checks_count NAME SINCE REGEX     how many lines after SINCE match REGEX
#   checks_t0                         t0=now (ms), and a snapshot for checks_await: call
#                                     it just before the command that causes a line
#   t0=$(checks_now_ms)               just the time
#
# Timing (tests/integration/README.md, "Timing bounds").  The cause of the awaited
# line (a fault switched on the backend, the daemon's start, a reload) lies between
# two instants the test knows: T0, taken just before the command that causes it, and
# T1, the moment checks_await is called (after that command returned).  When the
# cause is a lab_backend_mode whose reply time (LAB_BACKEND_SWITCHED_MS) lies between
# T0 and T1, both are that exact moment.  The log is looked at every 10 ms; a look
# that does not find the line proves it was written after that look began.  So the
# daemon's delay is
#     at least  (start of the last look that missed) - T1     -> fails the bound
#     at most   (end of the look that found it)      - T0     -> reported
# and only the first can fail the bound: a slow fault command, a slow look at the log
# or a busy machine between the test's own steps can make the second large, never
# the first.  MIN_MS (the earliest the line can come, e.g. (fall - 1) intervals) is
# checked against the second, the most the delay can have been.  The bound itself comes from the check's configuration (e.g. fall x
# interval + timeout), plus a scheduling allowance in two parts:
#   - what the kernel measured: the time the lab's processes (the daemon, the
#     backends: everything lab_start started) spent runnable but waiting for a CPU
#     (run_delay in /proc/PID/schedstat) between checks_t0 and the line - on a busy
#     machine the daemon's timer fires that much later and the backend answers that
#     much later, and it is not the daemon's doing;
#   - CHECKS_ALLOW_MS (default 100) for the rest: the hypervisor, the kernel's
#     network path, timer slack.  It stays below one check interval (200 ms in these
#     tests), so on a machine that is not starved one probe too many, or one interval
#     of extra delay, still fails.

CHECKS_ALLOW_MS=${CHECKS_ALLOW_MS:-100}
IPVSR=${IPVSR:-$top_builddir/ipvs-router}

checks_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
_checks_ms() { local t=${EPOCHREALTIME/./}; _CHECKS_MS=$((t / 1000)); }  # no fork

# _checks_rd ARRAY: ARRAY[pid] = run_delay (ns) of every process lab_start started that
# still runs (its main thread: the daemon's loop, a backend's); no fork.
# _checks_rd_since ARRAY: _CHECKS_RD = ms of run_delay since that snapshot, summed over
# the processes in both (one that stopped or started in between counts for nothing).
_checks_rd() {
    local -n _rd=$1
    local name pid ns _
    _rd=()
    for name in "${!LAB_PIDS[@]}"; do
        pid=${LAB_PIDS[$name]}
        read -r _ ns _ 2>/dev/null <"/proc/$pid/schedstat" && _rd[$pid]=$ns
    done
}
_checks_rd_since() {
    local -n _old=$1
    local -A _now
    local pid sum=0
    _checks_rd _now
    for pid in "${!_now[@]}"; do
        [[ -n ${_old[$pid]:-} ]] && ((_now[$pid] > _old[$pid])) && sum=$((sum + _now[$pid] - _old[$pid]))
    done
    _CHECKS_RD=$((sum / 1000000))
}

# checks_t0: t0 = now (ms), and the run_delay snapshot checks_await uses for that t0.
declare -A _CHECKS_RD0=()
checks_t0() {
    _checks_ms; t0=$_CHECKS_MS
    _checks_rd _CHECKS_RD0; _CHECKS_RD0_T0=$t0
}

checks_daemon() {  # HOST NAME CONF
    [[ -x $IPVSR ]] || lab_skip "daemon not built: $IPVSR"
    lab_start "$1" "$2" "$IPVSR" -F -l -p "" -f "$3" -n lb
    wait_until 10 "$2 to start" grep -q 'notice: started' "$LAB_DIR/$2.log"
}

checks_mark() { local n; : >>"$LAB_DIR/$1.log"; n=$(wc -l <"$LAB_DIR/$1.log"); echo "$n"; }  # (log may not exist yet)

# checks_logged NAME SINCE TEXT: TEXT (a fixed string) is in NAME's log after line SINCE
# (checks_mark).  Reads the file at each call: for wait_until (a process substitution,
# <(tail ...), is read once, at the first try).
checks_logged() { tail -n +"$(($2 + 1))" "$LAB_DIR/$1.log" | grep -qF -- "$3"; }

checks_count() {  # NAME SINCE REGEX
    tail -n +"$(($2 + 1))" "$LAB_DIR/$1.log" | grep -cE "$3" || true
}

checks_await() {  # NAME SINCE T0_MS BOUND_MS DESC REGEX [MIN_MS]
    local name=$1 since=$2 t0=$3 bound=$4 desc=$5 re=$6 min=${7:-0} t1 look miss='' now limit
    local fd line='' part='' found='' n=0 rd
    _checks_ms; t1=$_CHECKS_MS
    [[ ${_CHECKS_RD0_T0:-} == "$t0" ]] || _checks_rd _CHECKS_RD0   # no checks_t0: from now
    limit=$((t1 + bound + CHECKS_ALLOW_MS + 5000))
    if [[ -n ${LAB_BACKEND_SWITCHED_MS:-} ]] && ((LAB_BACKEND_SWITCHED_MS >= t0 && LAB_BACKEND_SWITCHED_MS <= t1)); then
        t0=$LAB_BACKEND_SWITCHED_MS t1=$LAB_BACKEND_SWITCHED_MS
    fi
    # Each look reads what was appended since the last one, with bash builtins only (no
    # fork: on a busy machine a `tail | grep` per look took ~100 ms, which is how late
    # the line could be noticed); a line still being written waits in $part.
    # the daemon may not have opened its log yet (lab_start redirects in the background):
    # create it, in append mode as lab_start does, rather than fail to open it
    : >>"$LAB_DIR/$name.log"
    exec {fd}<"$LAB_DIR/$name.log"
    while ((n < since)) && IFS= read -r line <&"$fd"; do n=$((n + 1)); done
    [[ -n ${_CHECKS_SLEEP_FD:-} ]] || exec {_CHECKS_SLEEP_FD}<> <(:)  # read -t on it: a sleep
    while :; do
        _checks_ms; look=$_CHECKS_MS
        while IFS= read -r line <&"$fd"; do
            line=$part$line part=''
            if [[ $line =~ $re ]]; then found=$line; break; fi
        done
        [[ -n $found ]] || part+=$line
        _checks_ms; now=$_CHECKS_MS
        [[ -z $found ]] || break
        miss=$look
        ((now < limit)) || lab_fail "$desc: no log line matching /$re/ within $((now - t1)) ms
  last lines: $(tail -n 5 "$LAB_DIR/$name.log")"
        read -rt 0.01 -u "$_CHECKS_SLEEP_FD" || true
    done
    exec {fd}<&-
    _checks_rd_since _CHECKS_RD0; rd=$_CHECKS_RD
    local lo=0 hi=$((now - t0))
    [[ -z $miss ]] || lo=$((miss - t1))
    ((lo <= bound + CHECKS_ALLOW_MS + rd)) ||
        lab_fail "$desc: took at least $lo ms (at most $hi), bound $bound ms (+$CHECKS_ALLOW_MS ms allowance, +$rd ms waiting for a CPU): $found"
    # The minimum, too, moves with the CPU wait: a probe (or timer) due just before
    # the cause but started after it, late by its wait for a CPU, counts as the first
    # after the cause, and the ones on the grid after it come that much sooner (checks-http
    # at load 25: "at most 274 ms, cannot be sooner than 400 ms", 0 ms allowed for it).
    ((hi >= min - CHECKS_ALLOW_MS - rd)) ||
        lab_fail "$desc: took at most $hi ms, cannot be sooner than $min ms (-$CHECKS_ALLOW_MS ms allowance, -$rd ms waiting for a CPU): $found"
    CHECKS_LO=$lo CHECKS_HI=$hi
    echo "ok: $desc in $lo..$hi ms (bounds $min..$bound ms, $rd ms waiting for a CPU): ${found#notice: }"
}
