#!/usr/bin/env bash
# Golden tests of the configuration front end.
#   For every tests/config/NAME.conf:
#     ipvs-router -t --config-only -f NAME.conf   (stdout+stderr, exit code) == NAME.out
#     ipvs-router --dump-config -f NAME.conf                         == NAME.dump (valid files)
#     the dump, loaded again, dumps to itself (canonical form is a fixed point)
#   UPDATE=1 rewrites the expected files (review the diff before committing).
# Ends with "N passed, N failed".

# SPDX-License-Identifier: Apache-2.0
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-$src}
bin=$bld/ipvs-router
dir=$src/tests/config
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

cd "$dir" || exit 99
for conf in *.conf; do
	name=${conf%.conf}
	{ "$bin" -t --config-only -f "$conf" 2>&1; echo "[exit $?]"; } >"$tmp/$name.out"
	valid=0; grep -qx '\[exit 0\]' "$tmp/$name.out" && valid=1
	if ((valid)); then
		"$bin" --dump-config -f "$conf" >"$tmp/$name.dump" 2>&1
	fi
	if [[ ${UPDATE:-0} == 1 ]]; then
		cp "$tmp/$name.out" "$name.out"
		if ((valid)); then cp "$tmp/$name.dump" "$name.dump"; else rm -f "$name.dump"; fi
		echo "updated: $name"
		continue
	fi
	check "$name -t" "$name.out" "$tmp/$name.out"
	if ((valid)); then
		check "$name --dump-config" "$name.dump" "$tmp/$name.dump"
		cp "$tmp/$name.dump" "$tmp/re.conf"
		"$bin" --dump-config -f "$tmp/re.conf" >"$tmp/re.dump" 2>&1
		check "$name dump is a fixed point" "$tmp/$name.dump" "$tmp/re.dump"
	elif [[ -f $name.dump ]]; then
		fail=$((fail + 1)); echo "FAIL: $name: invalid now, but $name.dump expects it valid"
	fi
done
# Plain -t gives a reload's verdict: it also checks the files a configuration names
# (auth key, required endpoint files), which --config-only leaves out.
cat >"$tmp/runtime.conf" <<CONF
router = { name = "a"; };
election = { auth_key_file = "$tmp/no-such.key"; peers = ( { name = "a"; address = "192.0.2.1"; } ); };
vips = ( { name = "v"; vrid = 1; address = "198.51.100.1"; interface = "eth0";
           services = ( { port = 80; pool = "p"; } ); } );
pools = ( { name = "p"; endpoints_file = "$tmp/no-such-ep"; endpoints_required = true; } );
CONF
if "$bin" -t --config-only -f "$tmp/runtime.conf" >/dev/null 2>&1 &&
    ! out=$("$bin" -t -f "$tmp/runtime.conf" 2>&1) &&
    grep -q 'no-such.key: cannot open' <<<"$out" && grep -q 'endpoints_required = true' <<<"$out"; then
	pass=$((pass + 1)); echo "PASS: -t checks the key and endpoint files, --config-only does not"
else
	fail=$((fail + 1)); echo "FAIL: -t vs --config-only"; echo "${out:-}" | sed 's/^/    /'
fi
echo "$pass passed, $fail failed"
((fail == 0))
