#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_quickstart.sh — contrib/quickstart.sh never deletes what it did not
# make: a non-empty folder without its marker (a file, another folder) is
# refused with exit 2 before anything is installed, built or removed; a
# file given as --dir too. (The full demo run is what the README's first
# command does; it installs and builds, so it is not repeated here.)
#
# usage: test_quickstart.sh SOURCE_DIR   (ctest: quickstart)
set -euo pipefail
src=${1:?usage: test_quickstart.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir "$tmp/p"
echo x >"$tmp/p/thesis.txt"
set +e
out=$(bash "$src/contrib/quickstart.sh" --for 1 --dir "$tmp/p" 2>&1)
code=$?
set -e
[ "$code" -eq 2 ] || fail "a folder with thesis.txt: exit $code, expected 2: $out"
[ "$(cat "$tmp/p/thesis.txt")" = x ] || fail "thesis.txt was touched"
case "$out" in *"is not a demo folder quickstart made"*) ;; *) fail "no clear refusal: $out" ;; esac
case "$out" in *"== building"*|*installing*) fail "it went on to build or install: $out" ;; esac

echo x >"$tmp/afile"
set +e
out=$(bash "$src/contrib/quickstart.sh" --dir "$tmp/afile" 2>&1)
code=$?
set -e
[ "$code" -eq 2 ] || fail "a file as --dir: exit $code, expected 2: $out"
[ -f "$tmp/afile" ] || fail "the file was removed"
echo "quickstart: ok"
