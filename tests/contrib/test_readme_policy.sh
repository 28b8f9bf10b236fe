#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_readme_policy.sh — the README's block of policy defaults is the
# defaults: the first ```json block of "## Policy file" must be exactly what
# `runwarden policy check` prints for {"version": 1}; and the example block
# after it must be a valid policy. `policy check --help` answers the usage.
#
# usage: test_readme_policy.sh SOURCE_DIR RUNWARDEN   (ctest: readme_policy)
set -euo pipefail
src=${1:?usage: test_readme_policy.sh SOURCE_DIR RUNWARDEN}
rw=${2:?usage: test_readme_policy.sh SOURCE_DIR RUNWARDEN}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The json blocks of the section, numbered 1, 2, ...
awk -v dir="$tmp" '
	/^## / { in_sec = ($0 == "## Policy file") }
	in_sec && /^```json$/ { n++; out = dir "/block" n ".json"; grab = 1; next }
	grab && /^```$/ { grab = 0; next }
	grab { print > out }
' "$src/README.md"
[ -f "$tmp/block1.json" ] || fail "no json block under ## Policy file in README.md"
[ -f "$tmp/block2.json" ] || fail "no example block after the defaults in README.md"

echo '{"version": 1}' >"$tmp/min.json"
"$rw" policy check "$tmp/min.json" | sed '/^sha256 /d' >"$tmp/defaults.json"
diff -u "$tmp/defaults.json" "$tmp/block1.json" ||
	fail "README.md's defaults are not runwarden's (fix the README block: it must be the output above)"
"$rw" policy check "$tmp/block2.json" >/dev/null || fail "README.md's example policy does not check"
"$rw" policy check --help | grep -q '^usage: runwarden policy check FILE' ||
	fail "policy check --help does not print the usage"
echo "readme_policy: ok"
