#!/usr/bin/env bash
# Golden tests of `ipvs-router import keepalived`.
#   For every tests/import/corpus/NAME.conf (a keepalived.conf in a shape real
#   deployments use):
#     ipvs-router import keepalived NAME.conf: stdout == expected/NAME.out,
#       stderr (the notes, FILE:LINE each) == expected/NAME.notes
#     the output passes ipvs-router -t --config-only (as the router it names)
#   UPDATE=1 rewrites the expected files (review the diff before committing).
#   Run from the source tree's top (the corpus names one notify script by a path
#   relative to it).  Ends with "N passed, N failed".

# SPDX-License-Identifier: Apache-2.0
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-$src}
bin=$bld/ipvs-router
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() {  # name expected-file actual-file
	if diff -u "$2" "$3" >"$tmp/diff"; then
		pass=$((pass + 1)); echo "PASS: $1"
	else
		fail=$((fail + 1)); echo "FAIL: $1"; sed 's/^/    /' "$tmp/diff" | head -40
	fi
}

cd "$src" || exit 99
mkdir -p tests/import/expected
for conf in tests/import/corpus/*.conf; do
	name=$(basename "$conf" .conf)
	"$bin" import keepalived "$conf" >"$tmp/$name.out" 2>"$tmp/$name.notes"
	rc=$?
	if ((rc != 0)); then
		fail=$((fail + 1)); echo "FAIL: $name: import exit $rc"; sed 's/^/    /' "$tmp/$name.notes"
		continue
	fi
	router=$(sed -n 's/^router = { name = "\([^"]*\)".*/\1/p' "$tmp/$name.out")
	if "$bin" -t --config-only -f "$tmp/$name.out" -n "${router:-lb1}" >"$tmp/t.log" 2>&1; then
		pass=$((pass + 1)); echo "PASS: $name: the output passes ipvs-router -t"
	else
		fail=$((fail + 1)); echo "FAIL: $name: the output does not pass ipvs-router -t"
		sed 's/^/    /' "$tmp/t.log"
	fi
	if [[ ${UPDATE:-0} == 1 ]]; then
		cp "$tmp/$name.out" "tests/import/expected/$name.out"
		cp "$tmp/$name.notes" "tests/import/expected/$name.notes"
		echo "updated: $name"
		continue
	fi
	check "$name output" "tests/import/expected/$name.out" "$tmp/$name.out"
	check "$name notes" "tests/import/expected/$name.notes" "$tmp/$name.notes"
done
n=$(find tests/import/corpus -maxdepth 1 -name '*.conf' | wc -l)
if ((n < 15)); then
	fail=$((fail + 1)); echo "FAIL: the corpus has $n configurations, fewer than 15"
fi
echo "$pass passed, $fail failed"
((fail == 0))
