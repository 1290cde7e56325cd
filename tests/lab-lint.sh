#!/usr/bin/env bash
# tests/lab-lint.sh - a wait that cannot see what it waits for.  wait_until's command
# words are expanded once, by the caller: `wait_until 5 "x" test "$(count)" -ge 1` tests
# the count of the moment of the call on every try, and times out whenever that was too
# early (aws-partition failed so in check-repeat, 2026-12-03).  A comparison with a
# command substitution as a wait's command (test / [ / [[) is refused here: put the read
# inside a function.  Constant arguments computed once (an expected table, an ENI id)
# passed to a function of the test's own stay allowed.  Checks itself first.

# SPDX-License-Identifier: Apache-2.0
set -uo pipefail
cd "${top_srcdir:-$(dirname "$0")/..}" || exit 99

# lines of wait_until calls whose command is test/[/[[ with a $(...) in its words
bad_waits() {
    grep -nE '^[^#]*wait_until +[0-9]+ +("[^"]*"|[^ ]+) +(test|\[|\[\[) [^#]*\$\(' "$@"
}
# self-test: the checker must catch the pattern and pass the function form
t=$(mktemp) || exit 99
trap 'rm -f "$t"' EXIT
printf '%s\n' 'wait_until 5 "r2 to claim" test "$(aws_calls r2 X)" -ge 1' >"$t"
bad_waits "$t" >/dev/null || { echo "FAIL: the checker misses a stale wait"; exit 1; }
printf '%s\n' 'claimed() { (($(aws_calls r2 X) >= 1)); }' 'wait_until 5 "r2 to claim" claimed' \
    'wait_until 16 "on r1" holder_is "$(aws_eni r1)"' >"$t"
! bad_waits "$t" >/dev/null || { echo "FAIL: the checker refuses a right wait"; exit 1; }

files=(tests/integration/* tests/lab/*.sh bench/*)
n=0
for f in "${files[@]}"; do [[ -f $f ]] && head -c 2 "$f" | grep -q '^#!' && n=$((n + 1)); done
((n > 50)) || { echo "FAIL: only $n scripts found"; exit 1; }
if out=$(bad_waits "${files[@]}" 2>/dev/null); then
    echo "FAIL: waits whose command is expanded once, at the call (read it in a function):"
    echo "$out"
    exit 1
fi
echo "PASS: $n test and bench scripts, no wait on a value read once"
