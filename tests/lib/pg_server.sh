#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pg_server.sh — a throwaway PostgreSQL 15 server for the tests that run the
# store on PostgreSQL (ctest fixture `postgres`, tests/CMakeLists.txt).
#
#   pg_server.sh start STATE   initdb in a fresh temporary folder, start the
#                              server on a Unix socket in that folder (no TCP),
#                              write STATE/uri: a libpq URI with the
#                              placeholder {db} for the database name
#                              (tests/lib/rwtest.c creates one per test);
#   pg_server.sh stop STATE    stop it (fast) and remove the folder.
#
# As root (CI), the server runs as the `postgres` user the Debian package
# creates, as pg_virtualenv does: PostgreSQL refuses to run as root. The
# data folder is in $TMPDIR (/tmp), never in the build tree, so that the
# postgres user can reach it. fsync is off: nothing here must survive a
# crash of the machine.
set -euo pipefail
cmd=${1:?start or stop}
state=${2:?state folder}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || {
	echo "pg_server.sh: initdb not found: install the Debian package postgresql" >&2
	exit 1
}

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	mkdir -p "$state"
	if [ -f "$state/dir" ] && [ -d "$(cat "$state/dir")" ]; then
		"$0" stop "$state" || true
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/rw-pg-XXXXXX")
	echo "$dir" >"$state/dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	user=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
	as_pg "$bindir/initdb" -D "$dir/data" -A trust -U "$user" -E UTF8 --no-sync \
		>"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# Unix socket only; a port number still names the socket file.
	port=$(( 20000 + RANDOM % 20000 ))
	as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
		start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	echo "postgresql://$user@/{db}?host=$dir&port=$port" >"$state/uri"
	echo "pg_server.sh: PostgreSQL at $dir (port $port)"
	;;
stop)
	[ -f "$state/dir" ] || exit 0
	dir=$(cat "$state/dir")
	if [ -d "$dir/data" ]; then
		as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
	rm -rf "$dir"
	rm -f "$state/dir" "$state/uri"
	;;
*)
	echo "pg_server.sh: start or stop, not $cmd" >&2
	exit 2
	;;
esac
