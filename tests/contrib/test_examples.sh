#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_examples.sh — the config and policy files the package ships:
# contrib/debian/policy.json (/etc/runwarden/policy.json) is exactly the
# built-in defaults, contrib/examples/policy.json checks, and both configs
# (contrib/debian/runwarden.json, /etc/runwarden/runwarden.json, and
# contrib/examples/runwarden.json) start the daemon, with their paths moved
# into a temporary folder, and answer /healthz.
#
# usage: test_examples.sh SOURCE_DIR RUNWARDEN        (ctest: examples)
set -euo pipefail
src=${1:?usage: test_examples.sh SOURCE_DIR RUNWARDEN}
rw=${2:?usage: test_examples.sh SOURCE_DIR RUNWARDEN}
tmp=$(mktemp -d /tmp/rw-examples.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo '{"version": 1}' >"$tmp/min.json"
"$rw" policy check "$tmp/min.json" | sed '/^sha256 /d' >"$tmp/defaults.json"
diff -u "$tmp/defaults.json" "$src/contrib/debian/policy.json" ||
	fail "contrib/debian/policy.json is not the built-in defaults"
"$rw" policy check "$src/contrib/examples/policy.json" >/dev/null ||
	fail "contrib/examples/policy.json does not check"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/admin-token"
for conf in contrib/debian/runwarden.json contrib/examples/runwarden.json; do
	sed -e "s|/etc/runwarden/policy.json|$src/contrib/examples/policy.json|" \
		-e "s|/etc/runwarden/admin-token|$tmp/admin-token|" \
		-e "s|/var/lib/runwarden/|$tmp/|" \
		-e "s|\"127.0.0.1:8470\"|\"127.0.0.1:0\"|" "$src/$conf" >"$tmp/rw.json"
	grep -q '/etc/\|/var/lib/' "$tmp/rw.json" && fail "$conf: a path was not moved: $(cat "$tmp/rw.json")"
	: >"$tmp/out.log"
	"$rw" serve --init --config "$tmp/rw.json" >"$tmp/out.log" 2>"$tmp/err.log" &
	pid=$!
	for _ in $(seq 1 100); do grep -q '^listening on' "$tmp/out.log" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$tmp/out.log")
	[ -n "$url" ] || fail "$conf: serve did not start: $(cat "$tmp/err.log")"
	[ "$(curl -fsS --max-time 5 "$url/healthz")" = '{"status":"ok"}' ] || fail "$conf: /healthz"
	grep -q 'no admin token' "$tmp/err.log" && fail "$conf: the admin token was not read"
	kill -TERM "$pid"
	wait "$pid" || fail "$conf: serve exited $? on SIGTERM"
	pid=""
	rm -f "$tmp"/runwarden.db*
done
echo "examples: ok"
