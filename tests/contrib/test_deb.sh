#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_deb.sh — the Debian package, start to finish:
#   1. `cpack -G DEB` from the build folder makes runwarden_VERSION-REL_ARCH.deb
#      whose version is contrib/debian/changelog's, with the files it must
#      hold, conffiles, maintainer scripts, and Depends from dpkg-shlibdeps;
#   2. lintian reports no error and no warning on it (info tags are printed);
#   3. it installs with `dpkg -i` into a fresh Debian 12 chroot (mmdebstrap,
#      minbase plus the package's dependencies, from the host's apt
#      sources); when no chroot can be made (no mirror reachable) it installs
#      on this machine instead, but only on a machine where nothing of
#      runwarden exists, and checks afterwards that the machine is as it was;
#   4. postinst made the runwarden system user and group, /var/lib/runwarden
#      (0750, theirs), an admin token (0640 root:runwarden) and enabled the
#      unit; `systemd-analyze verify` passes on the unit as installed;
#   5. the packaged config runs: runwarden serve started as the runwarden user
#      (setpriv, from /var/lib/runwarden as the unit does) answers /healthz,
#      takes the admin token from /etc/runwarden/admin-token, sees what the
#      CLI run as runwarden registers, reloads on SIGHUP, stops on SIGTERM;
#   6. `dpkg --purge` removes it all: files, user, group, state, token, unit
#      links.
# Every step is bounded (timeout); the chroot is removed on any exit.
#
# usage: test_deb.sh SOURCE_DIR BUILD_DIR        (ctest: deb_package)
# RW_DEB_TEST_INSTALL=chroot|host forces where it installs.
set -euo pipefail
src=${1:?usage: test_deb.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_deb.sh SOURCE_DIR BUILD_DIR}
src=$(cd "$src" && pwd)
build=$(cd "$build" && pwd)
tmp=$(mktemp -d /tmp/rw-deb.XXXXXX)
root=""           # the chroot, when there is one
daemon_pid=""
host_installed="" # set while the package is installed on this machine

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
note() { echo "deb_package: $*"; }

in_root() {
	if [ -n "$root" ]; then
		chroot "$root" "$@"
	else
		"$@"
	fi
}

cleanup() {
	local rc=$?
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -KILL "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$host_installed" ]; then
		echo "deb_package: purging the package from this machine after a failure" >&2
		timeout 120 dpkg --purge runwarden >&2 || true
	fi
	if [ -n "$root" ] && [ -d "$root" ]; then
		# Never delete through a mount: unmount anything left inside first.
		local m
		for m in $(findmnt -rn -o TARGET | grep -F "$root/" | sort -r); do
			umount -l "$m" || true
		done
		if findmnt -rn -o TARGET | grep -qF "$root/"; then
			echo "deb_package: mounts remain under $root: not deleting it" >&2
			exit 1
		fi
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, chroot), as CI has"
for tool in cpack lintian dpkg-deb dpkg-shlibdeps curl setpriv systemd-analyze; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (contrib/check.sh installs what the tests need)"
done

# ---- 1. build ---------------------------------------------------------------
timeout 300 cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 || {
	cat "$tmp/cpack.log" >&2
	fail "cpack -G DEB"
}
version=$("$build/runwarden" --version | awk '{print $2}')
top=$(head -n1 "$src/contrib/debian/changelog")
debver=$(sed -n 's/^runwarden (\([^)]*\)).*/\1/p' <<<"$top")
case $debver in "$version"-*) ;; *) fail "contrib/debian/changelog's top entry is $debver, the binary is $version: add an entry" ;; esac
deb=$tmp/pkg/runwarden_${debver}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb: $(ls "$tmp/pkg")"
note "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
for f in /usr/bin/runwarden /usr/bin/runwarden-report /usr/bin/rw-demo-runner \
	/usr/lib/systemd/system/runwarden.service \
	/usr/share/man/man1/runwarden.1.gz /usr/share/man/man1/runwarden-report.1.gz \
	/usr/share/man/man1/rw-demo-runner.1.gz /usr/share/man/man5/runwarden.conf.5.gz \
	/usr/share/man/man5/runwarden-policy.5.gz /etc/runwarden/runwarden.json \
	/etc/runwarden/policy.json /usr/share/doc/runwarden/copyright \
	/usr/share/doc/runwarden/changelog.Debian.gz /usr/share/doc/runwarden/changelog.gz \
	/usr/share/doc/runwarden/examples/runwarden.json /usr/share/doc/runwarden/examples/policy.json; do
	grep -qxF "$f" "$tmp/contents" || fail "the package lacks $f"
done
grep -q '^/usr/local' "$tmp/contents" && fail "the package has files under /usr/local"
depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser procps 'libc6 (' 'libuv1 (' 'libh2o0.13 (' 'libsqlite3-0 (' 'libcurl4 (' 'libcjson1 (' 'libssl3 ('; do
	grep -qF "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done
dpkg-deb -e "$deb" "$tmp/control"
diff <(printf '/etc/runwarden/runwarden.json\n/etc/runwarden/policy.json\n') "$tmp/control/conffiles" ||
	fail "conffiles"
for s in postinst prerm postrm; do
	[ -x "$tmp/control/$s" ] || fail "no executable $s"
	sh -n "$tmp/control/$s" || fail "$s is not valid sh"
done
note "Depends: $depends"

# ---- 2. lintian -------------------------------------------------------------
timeout 300 lintian --pedantic --display-info "$deb" >"$tmp/lintian.log" 2>&1 || true
grep -v '^running with root privileges' "$tmp/lintian.log" | sed 's/^/lintian: /' || true
if grep -qE '^[EW]: ' "$tmp/lintian.log"; then
	fail "lintian reports errors or warnings (above)"
fi

# ---- 3. where to install -------------------------------------------------------
mode=${RW_DEB_TEST_INSTALL:-auto}
pristine_host() {
	! dpkg-query -W -f='${Status}' runwarden 2>/dev/null | grep -q 'installed' &&
		! getent passwd runwarden >/dev/null && ! getent group runwarden >/dev/null &&
		[ ! -e /etc/runwarden ] && [ ! -e /var/lib/runwarden ] &&
		[ ! -e /usr/bin/runwarden ]
}
if [ "$mode" != host ]; then
	command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed"
	# The dependencies by name, from the package's own Depends.
	deps=$(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/|.*//; s/[[:space:]]//g' | grep . | paste -sd, -)
	sources=http://deb.debian.org/debian
	[ -f /etc/apt/sources.list.d/debian.sources ] && sources=/etc/apt/sources.list.d/debian.sources
	root=$tmp/root
	# systemd too (not running): a server's unit search path and targets,
	# for systemd-analyze verify --root.
	note "making a Debian 12 chroot (mmdebstrap minbase + systemd, $deps)"
	if timeout 600 mmdebstrap --mode=root --variant=minbase --include="systemd,$deps" \
		bookworm "$root" "$sources" </dev/null >"$tmp/mmdebstrap.log" 2>&1; then
		mode=chroot
	else
		tail -n 20 "$tmp/mmdebstrap.log" >&2
		[ "$mode" = chroot ] && fail "mmdebstrap failed"
		rm -rf "$root"
		root=""
		mode=host
		note "no chroot could be made (above); installing on this machine instead"
	fi
fi
R=$root # prefix of the installed tree's paths, seen from here
if [ "$mode" = host ]; then
	pristine_host || fail "this machine already has runwarden's package, user, group, /etc/runwarden, /var/lib/runwarden or /usr/bin/runwarden: not installing over them"
	snapshot() {
		cat /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null | md5sum
		{ find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
			/var/lib/systemd/deb-systemd-helper-masked 2>/dev/null || true; } | sort
		dpkg-query -W -f='${Package} ${Status}\n' | sort | md5sum
	}
	snapshot >"$tmp/before"
fi

# ---- 4. install ---------------------------------------------------------------
if [ "$mode" = chroot ]; then
	cp "$deb" "$root/tmp/runwarden-test.deb"
	inside=/tmp/runwarden-test.deb
else
	inside=$deb
	host_installed=1
fi
timeout 300 env DEBIAN_FRONTEND=noninteractive chroot "${root:-/}" dpkg -i "$inside" \
	>"$tmp/dpkg-i.log" 2>&1 || {
	cat "$tmp/dpkg-i.log" >&2
	fail "dpkg -i"
}
[ "$mode" = chroot ] && rm -f "$root/tmp/runwarden-test.deb"
note "installed ($mode)"
in_root dpkg-query -W -f='${Status}' runwarden | grep -qx 'install ok installed' || fail "not installed"
pw=$(in_root getent passwd runwarden) || fail "no runwarden user"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$uid" -lt 1000 ] || fail "runwarden is not a system user: $pw"
[ "$home" = /var/lib/runwarden ] || fail "runwarden's home: $home"
case $shell in */nologin | /bin/false) ;; *) fail "runwarden's shell: $shell" ;; esac
[ "$(in_root getent group runwarden | cut -d: -f3)" = "$gid" ] || fail "no runwarden group"
[ "$(stat -c '%u %g %a' "$R/var/lib/runwarden")" = "$uid $gid 750" ] ||
	fail "/var/lib/runwarden: $(stat -c '%u %g %a' "$R/var/lib/runwarden")"
[ "$(stat -c '%u %g %a' "$R/etc/runwarden/admin-token")" = "0 $gid 640" ] ||
	fail "/etc/runwarden/admin-token: $(stat -c '%u %g %a' "$R/etc/runwarden/admin-token")"
grep -qxE '[0-9a-f]{64}' "$R/etc/runwarden/admin-token" || fail "the admin token is not 64 hex digits"
[ -L "$R/etc/systemd/system/multi-user.target.wants/runwarden.service" ] ||
	fail "postinst did not enable runwarden.service"
verify_out=$(systemd-analyze verify --root="${root:-/}" --man=no \
	"$R/usr/lib/systemd/system/runwarden.service" 2>&1) || fail "systemd-analyze verify (installed): $verify_out"
[ -z "$verify_out" ] || fail "systemd-analyze verify (installed): $verify_out"

# ---- 5. run it as runwarden, with the packaged config ------------------------------
log=$tmp/serve.log
# As the unit runs it (User=, WorkingDirectory=), but on a free port.
chroot "${root:-/}" /bin/sh -c 'cd /var/lib/runwarden && exec setpriv --reuid=runwarden --regid=runwarden --init-groups --inh-caps=-all -- env -i PATH=/usr/bin:/bin runwarden serve --init --config /etc/runwarden/runwarden.json --listen 127.0.0.1:0' \
	>"$log" 2>&1 </dev/null &
daemon_pid=$!
url=""
for _ in $(seq 1 200); do
	url=$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -n1)
	[ -n "$url" ] && break
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$url" ] || {
	cat "$log" >&2
	fail "runwarden serve did not start"
}
[ "$(awk '/^Uid:/{print $2 " " $3}' "/proc/$daemon_pid/status")" = "$uid $uid" ] ||
	fail "the daemon does not run as runwarden: $(grep -E '^(Uid|Gid):' "/proc/$daemon_pid/status")"
health=$(curl -fsS --max-time 5 "$url/healthz") || fail "GET /healthz"
[ "$health" = '{"status":"ok"}' ] || fail "/healthz answered $health"
grep -q 'no admin token' "$log" && fail "the daemon did not read /etc/runwarden/admin-token"
token=$(head -n1 "$R/etc/runwarden/admin-token")
# The CLI, as the runwarden user, on the same database.
chroot "${root:-/}" setpriv --reuid=runwarden --regid=runwarden --init-groups -- \
	env -i PATH=/usr/bin:/bin RUNWARDEN_DB=/var/lib/runwarden/runwarden.db \
	runwarden operator add acme --email ops@acme.example >"$tmp/cli.log" 2>&1 ||
	fail "runwarden operator add as runwarden: $(cat "$tmp/cli.log")"
ops=$(curl -fsS --max-time 5 -H @<(printf 'Authorization: Bearer %s\n' "$token") "$url/v1/operators") ||
	fail "GET /v1/operators with the admin token"
grep -q '"name":"acme"' <<<"$ops" || fail "/v1/operators: $ops"
[ "$(stat -c %u "$R/var/lib/runwarden/runwarden.db")" = "$uid" ] || fail "the database is not runwarden's"
kill -HUP "$daemon_pid"
for _ in $(seq 1 50); do grep -q 'policy reloaded' "$log" && break; sleep 0.1; done
grep -q 'policy reloaded' "$log" || fail "SIGHUP did not reload the policy: $(tail -n 5 "$log")"
kill -TERM "$daemon_pid"
rc=0
timeout 20 tail --pid="$daemon_pid" -f /dev/null || fail "runwarden serve did not stop within 20 s of SIGTERM"
wait "$daemon_pid" || rc=$?
daemon_pid=""
[ "$rc" -eq 0 ] || fail "runwarden serve exited $rc after SIGTERM: $(tail -n 5 "$log")"
note "runwarden serve ran as runwarden (uid $uid): $url/healthz ok, admin token read, SIGHUP, SIGTERM"

# ---- 6. purge ---------------------------------------------------------------------
timeout 120 chroot "${root:-/}" dpkg --purge runwarden >"$tmp/purge.log" 2>&1 || {
	cat "$tmp/purge.log" >&2
	fail "dpkg --purge"
}
host_installed=""
in_root dpkg-query -W -f='${Status}' runwarden 2>/dev/null | grep -q 'installed' && fail "still installed"
in_root getent passwd runwarden >/dev/null && fail "purge left the runwarden user"
in_root getent group runwarden >/dev/null && fail "purge left the runwarden group"
for p in /etc/runwarden /var/lib/runwarden /usr/bin/runwarden /usr/lib/systemd/system/runwarden.service \
	/etc/systemd/system/multi-user.target.wants/runwarden.service; do
	[ -e "$R$p" ] || [ -L "$R$p" ] && fail "purge left $p"
done
if [ "$mode" = host ]; then
	snapshot >"$tmp/after"
	diff -u "$tmp/before" "$tmp/after" >&2 || fail "the machine is not as it was before the test"
	pristine_host || fail "the machine is not as it was before the test"
fi
note "purged: no file, user, group or state left ($mode)"
echo "deb_package: ok"
