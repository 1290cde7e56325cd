#!/usr/bin/env bash
# Every example in conf/ must pass `ipvs-router -t --config-only` (the file itself: the
# key files it names exist only on routers) and round-trip through
# --dump-config.  Ends with "N passed, N failed".

# SPDX-License-Identifier: Apache-2.0
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-$src}
bin=$bld/ipvs-router
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for conf in "$src"/conf/*.conf "$src"/conf/demo/*.conf; do
	name=${conf#"$src"/}
	if out=$("$bin" -t --config-only -f "$conf" 2>&1); then
		pass=$((pass + 1)); echo "PASS: $name -t"
	else
		fail=$((fail + 1)); echo "FAIL: $name -t"; echo "$out" | sed 's/^/    /'
		continue
	fi
	"$bin" --dump-config -f "$conf" >"$tmp/a.conf" 2>&1
	"$bin" --dump-config -f "$tmp/a.conf" >"$tmp/b.conf" 2>&1
	if cmp -s "$tmp/a.conf" "$tmp/b.conf"; then
		pass=$((pass + 1)); echo "PASS: $name dump round-trip"
	else
		fail=$((fail + 1)); echo "FAIL: $name dump round-trip"; diff -u "$tmp/a.conf" "$tmp/b.conf" | head -20
	fi
done
echo "$pass passed, $fail failed"
((fail == 0))
