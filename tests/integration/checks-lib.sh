# tests/integration/checks-lib.sh - helpers for the checks-* integration tests (bash),
# sourced after tests/lab/lib.sh.
#
#   checks_daemon HOST NAME CONF      start ipvs-router -F -l in HOST, log in $LAB_DIR/NAME.log
#   mark=$(checks_mark NAME)          the log's current line count
#   checks_await NAME SINCE T0_MS BOUND_MS DESC REGEX
#                                     wait for a line matching REGEX after line SINCE;
#                                     fail unless it came within BOUND_MS of T0_MS
#   checks_count NAME SINCE REGEX     how many lines after SINCE match REGEX
#   t0=$(checks_now_ms)
#
# Timing: the log is polled every 10 ms (a grep each time), and T0 is taken before
# the command that injects the fault, so a measured delay is never shorter than the
# daemon's real one; CHECKS_SLACK_MS (default 150) covers the polling, the fault
# command itself and a busy shared machine.

CHECKS_SLACK_MS=${CHECKS_SLACK_MS:-150}
IPVSR=${IPVSR:-$top_builddir/ipvs-router}

checks_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

checks_daemon() {  # HOST NAME CONF
    [[ -x $IPVSR ]] || lab_skip "daemon not built: $IPVSR"
    lab_start "$1" "$2" "$IPVSR" -F -l -p "" -f "$3" -n lb
    wait_until 10 "$2 to start" grep -q 'notice: started' "$LAB_DIR/$2.log"
}

checks_mark() { local n; n=$(wc -l <"$LAB_DIR/$1.log"); echo "$n"; }

checks_count() {  # NAME SINCE REGEX
    tail -n +"$(($2 + 1))" "$LAB_DIR/$1.log" | grep -cE "$3" || true
}

checks_await() {  # NAME SINCE T0_MS BOUND_MS DESC REGEX
    local name=$1 since=$2 t0=$3 bound=$4 desc=$5 re=$6 now limit line
    limit=$((t0 + bound + CHECKS_SLACK_MS + 5000))
    while :; do
        line=$(tail -n +"$((since + 1))" "$LAB_DIR/$name.log" | grep -m1 -E "$re" || true)
        now=$(checks_now_ms)
        [[ -z $line ]] || break
        ((now < limit)) || lab_fail "$desc: no log line matching /$re/ within $((now - t0)) ms
  last lines: $(tail -n 5 "$LAB_DIR/$name.log")"
        sleep 0.01
    done
    ((now - t0 <= bound + CHECKS_SLACK_MS)) ||
        lab_fail "$desc: took $((now - t0)) ms, bound $bound ms (+$CHECKS_SLACK_MS ms slack): $line"
    echo "ok: $desc in $((now - t0)) ms (bound $bound ms): ${line#notice: }"
}
