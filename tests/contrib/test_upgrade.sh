#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_upgrade.sh — upgrading a database with the binaries, as an operator
# does (README.md "Upgrading"): a database of the first schema
# (tests/monitor/store/schema1.sql) is migrated by `runwarden serve`, which
# logs "schema migrated" with the copy it took first; the copy is the old
# database, whole; a CLI command that migrates says so on stderr; and a
# database from a newer runwarden is refused with one clear line, unchanged.
#
# usage: test_upgrade.sh SOURCE_DIR RUNWARDEN        (ctest: upgrade)
set -euo pipefail
src=${1:?usage: test_upgrade.sh SOURCE_DIR RUNWARDEN}
rw=${2:?usage: test_upgrade.sh SOURCE_DIR RUNWARDEN}
tmp=$(mktemp -d /tmp/rw-upgrade.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null || fail "sqlite3 is not installed (contrib/deps.sh installs it)"

old_db() {
	sqlite3 "$1" <"$src/tests/monitor/store/schema1.sql"
	sqlite3 "$1" "INSERT INTO operators VALUES (1, 'acme', 'ops@acme.example', 1000); PRAGMA user_version = 1;"
}

# The daemon migrates, copying first.
old_db "$tmp/rw.db"
"$rw" serve --db "$tmp/rw.db" --listen 127.0.0.1:0 >"$tmp/out.log" 2>"$tmp/err.log" &
pid=$!
for _ in $(seq 1 100); do grep -q '^listening on' "$tmp/out.log" && break; sleep 0.1; done
grep -q '^listening on' "$tmp/out.log" || fail "serve did not start: $(cat "$tmp/err.log")"
kill -TERM "$pid"
wait "$pid" || fail "serve exited $? on SIGTERM"
pid=""
line=$(grep 'schema migrated from 1 to' "$tmp/err.log") || fail "no 'schema migrated' line: $(cat "$tmp/err.log")"
copy=$(sed -n 's/.* backup=\([^ ]*\).*/\1/p' <<<"$line" | tr -d '"')
case $copy in "$tmp/rw.db.schema1-"*.bak) ;; *) fail "the copy is named $copy" ;; esac
[ -f "$copy" ] || fail "no $copy"
[ "$(sqlite3 "$copy" 'PRAGMA user_version')" = 1 ] || fail "the copy is not schema 1"
[ "$(sqlite3 "$copy" 'SELECT name FROM operators')" = acme ] || fail "the copy lost its rows"
[ "$(sqlite3 "$copy" 'PRAGMA integrity_check')" = ok ] || fail "the copy is not sound"
new=$(sqlite3 "$tmp/rw.db" 'PRAGMA user_version')
[ "$new" -gt 1 ] || fail "not migrated"
[ "$(sqlite3 "$tmp/rw.db" 'SELECT name FROM operators')" = acme ] || fail "the migration lost rows"

# The CLI migrates the same way and says so.
old_db "$tmp/cli.db"
"$rw" operator list --db "$tmp/cli.db" >/dev/null 2>"$tmp/cli.err" || fail "operator list: $(cat "$tmp/cli.err")"
grep -q "^runwarden: $tmp/cli.db: schema migrated from 1 to $new; the database before it is in $tmp/cli.db.schema1-" \
	"$tmp/cli.err" || fail "the CLI did not say it migrated: $(cat "$tmp/cli.err")"

# A newer database is refused, and left as it was.
cp "$tmp/rw.db" "$tmp/newer.db"
sqlite3 "$tmp/newer.db" "PRAGMA user_version = $((new + 1))"
sum=$(md5sum <"$tmp/newer.db")
rc=0
"$rw" serve --db "$tmp/newer.db" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/newer.err" || rc=$?
[ "$rc" -ne 0 ] || fail "serve accepted a newer database"
grep -qx "runwarden: $tmp/newer.db: schema version $((new + 1)) is newer than this runwarden knows ($new); upgrade runwarden" \
	"$tmp/newer.err" || fail "serve's refusal: $(cat "$tmp/newer.err")"
[ "$(md5sum <"$tmp/newer.db")" = "$sum" ] || fail "the newer database was written"
ls "$tmp"/newer.db.schema* >/dev/null 2>&1 && fail "a copy was made of a newer database"
echo "upgrade: ok (serve exits $rc on a newer database)"
