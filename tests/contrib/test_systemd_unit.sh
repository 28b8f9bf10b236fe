#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_systemd_unit.sh — contrib/systemd/runwarden.service:
#   1. it has what issue 14 asks of it (user, directories, reload, the
#      hardening directives), each checked as a whole line;
#   2. `systemd-analyze verify` passes with no message, on the unit as
#      written (its ExecStart pointed at the built binary, its
#      Documentation= pages found in the built man pages) and on the unit
#      that `cmake --install` writes;
#   3. `systemd-analyze security --offline=true` scores it below 2.0 (this
#      needs no running systemd); with systemd running (PID 1), the
#      installed unit is scored online too;
#   4. `cmake --install` puts the binaries, the man pages, the unit and the
#      config where they belong for its prefix.
#
# usage: test_systemd_unit.sh SOURCE_DIR BUILD_DIR     (ctest: systemd_unit)
set -euo pipefail
src=${1:?usage: test_systemd_unit.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_systemd_unit.sh SOURCE_DIR BUILD_DIR}
src=$(cd "$src" && pwd)
build=$(cd "$build" && pwd)
unit=$src/contrib/systemd/runwarden.service
tmp=$(mktemp -d /tmp/rw-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian's systemd package)"

# 1. The directives, each a whole line.
for line in 'User=runwarden' 'Group=runwarden' 'StateDirectory=runwarden' \
	'ConfigurationDirectory=runwarden' 'WorkingDirectory=/var/lib/runwarden' \
	'ExecStart=/usr/bin/runwarden serve --init --config /etc/runwarden/runwarden.json' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'ProtectSystem=strict' 'ProtectHome=yes' \
	'PrivateTmp=yes' 'NoNewPrivileges=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'MemoryDenyWriteExecute=yes' \
	'WantedBy=multi-user.target'; do
	grep -qxF -- "$line" "$unit" || fail "$unit: no line \"$line\""
done
grep -q '^DynamicUser=' "$unit" && fail "$unit: DynamicUser= (the package makes a static runwarden user)"

# 2. verify: the unit as written, with the built binary and man pages.
mkdir -p "$tmp/man/man1" "$tmp/man/man5"
for p in "$build"/man/*.1; do ln -s "$p" "$tmp/man/man1/"; done
for p in "$build"/man/*.5; do ln -s "$p" "$tmp/man/man5/"; done
sed "s|^ExecStart=/usr/bin/runwarden |ExecStart=$build/runwarden |" "$unit" >"$tmp/runwarden.service"
grep -q "^ExecStart=$build/runwarden " "$tmp/runwarden.service" || fail "ExecStart not rewritten"
verify() {
	local out rc=0
	out=$(MANPATH="$tmp/man" systemd-analyze verify "$1" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify $1 (exit $rc):
$out"
}
verify "$tmp/runwarden.service"
# It must fail where it should: a bad key is reported.
sed 's/^NoNewPrivileges=yes/NoNewPrivilegez=yes/' "$tmp/runwarden.service" >"$tmp/bad.service"
bad=$(MANPATH="$tmp/man" systemd-analyze verify "$tmp/bad.service" 2>&1 || true)
[ -n "$bad" ] || fail "systemd-analyze verify says nothing of an unknown key: the check cannot fail"

# 3. security, offline: below 2.0 (--threshold is in tenths).
sec=$(systemd-analyze security --offline=true --threshold=19 "$tmp/runwarden.service" 2>&1) ||
	fail "systemd-analyze security: exposure 2.0 or more:
$sec"
level=$(sed -n 's/.*Overall exposure level for runwarden.service: \([0-9.]*\).*/\1/p' <<<"$sec")
[ -n "$level" ] || fail "no exposure level in: $sec"
echo "systemd-analyze security (offline): exposure $level"

# 4. cmake --install to a prefix: the unit and config follow the prefix.
inst=$tmp/inst
cmake --install "$build" --prefix "$inst" >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	fail "cmake --install"
}
for f in bin/runwarden bin/runwarden-report bin/rw-demo-runner \
	share/man/man1/runwarden.1.gz share/man/man1/runwarden-report.1.gz \
	share/man/man1/rw-demo-runner.1.gz share/man/man5/runwarden.conf.5.gz \
	share/man/man5/runwarden-policy.5.gz lib/systemd/system/runwarden.service \
	etc/runwarden/runwarden.json etc/runwarden/policy.json \
	share/doc/runwarden/examples/runwarden.json share/doc/runwarden/examples/policy.json \
	share/doc/runwarden/copyright share/doc/runwarden/changelog.Debian.gz; do
	[ -e "$inst/$f" ] || fail "cmake --install did not install $f"
done
iu=$inst/lib/systemd/system/runwarden.service
grep -qxF "ExecStart=$inst/bin/runwarden serve --init --config $inst/etc/runwarden/runwarden.json" "$iu" ||
	fail "installed unit: $(grep ExecStart "$iu")"
grep -qF "\"policy\": \"$inst/etc/runwarden/policy.json\"" "$inst/etc/runwarden/runwarden.json" ||
	fail "installed config does not name $inst/etc/runwarden/policy.json"
verify "$iu"
# A second install keeps a config that was changed.
echo '{"listen": "127.0.0.1:9999"}' >"$inst/etc/runwarden/runwarden.json"
cmake --install "$build" --prefix "$inst" >"$tmp/install.log" 2>&1 || fail "second cmake --install"
grep -q 9999 "$inst/etc/runwarden/runwarden.json" || fail "cmake --install replaced a changed config"

if [ -d /run/systemd/system ]; then
	systemd-analyze security --threshold=19 runwarden.service 2>/dev/null ||
		echo "note: runwarden.service is not loaded here; the offline score above stands"
else
	echo "note: systemd is not PID 1 here: the online 'systemd-analyze security runwarden.service' was not run"
fi
echo "systemd_unit: ok"
