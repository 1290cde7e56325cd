#!/usr/bin/env bash
# tests/licence.sh - every source file of the project names its licence, Apache-2.0
# (an SPDX-License-Identifier line), as Debian's licensecheck reads it.  Source files:
# what git tracks as C, headers, build files, man pages and scripts (a #! line); not
# data (test vectors, corpora, configuration samples and goldens).  Skips (exit 77)
# when licensecheck or git is missing, or outside the top of a git checkout (a release
# tarball, the sanitized copy).

# SPDX-License-Identifier: Apache-2.0
set -uo pipefail
cd "${top_srcdir:-$(dirname "$0")/..}" || exit 99
command -v licensecheck >/dev/null || { echo "SKIP: licensecheck not installed (tools/setup)"; exit 77; }
# (tools/sanitize runs make check in a copy under tests/out, inside the checkout but not
# its top: git there sees none of the copy's files)
top=$(git rev-parse --show-toplevel 2>/dev/null) && [[ $top -ef . ]] ||
    { echo "SKIP: not the top of a git checkout"; exit 77; }

files=()
while IFS= read -r f; do
    case $f in
    tests/data/*|tests/fuzz/corpus*/*|*/corpus/*|tests/config/*.conf|tests/config/*.out|tests/config/*.dump) continue ;;
    *.c|*.h|*.am|*.ac|*.py|*.sh|*.5|*.8|debian/rules) files+=("$f") ;;
    *) [[ -f $f ]] && head -c 2 "$f" | grep -q '^#!' && files+=("$f") ;;
    esac
done < <(git ls-files)
((${#files[@]} > 100)) || { echo "FAIL: only ${#files[@]} source files found"; exit 1; }
bad=$(licensecheck --check '.*' "${files[@]}" | grep -v ': .*Apache License 2\.0$')
[[ -z $bad ]] || { echo "FAIL: source files without the Apache-2.0 licence:"; echo "$bad"; exit 1; }
[[ -f LICENSE ]] && grep -q 'Apache License' LICENSE || { echo "FAIL: no LICENSE"; exit 1; }
echo "PASS: ${#files[@]} source files, each licensed Apache-2.0"
