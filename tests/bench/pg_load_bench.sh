#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pg_load_bench.sh — the write load runwarden puts on PostgreSQL, measured by
# PostgreSQL itself: a throwaway PostgreSQL server (initdb + pg_ctl in a
# temporary folder, Unix socket only), N runners on loopback rw-demo-runner
# listeners, V daemons (`runwarden serve --vantage vK`) on the one database,
# and, over the measured window, the WAL written, the transactions committed,
# the rows inserted/updated/deleted per table and the database's growth.
#
# usage: tests/bench/pg_load_bench.sh [options]
#   --runners N     runners (default 1000)
#   --vantages V    daemons, each its own vantage point v1 .. vV (default 1)
#   --interval S    the policy's probe.interval_s (default 10)
#   --duration S    the measured window, after the warm-up (default 60)
#   --warmup S      seconds from the last daemon's start to the window
#                   (default: interval + 10)
#   --failing PCT   per cent of the runners whose listener alternates, ok for
#                   --flip seconds, then 503 for as long (rw-demo-runner mode
#                   flip:S), so that state changes are written too (default 0)
#   --flip S        the half-period of those listeners (default 6 × interval)
#   --bin DIR       where runwarden and rw-demo-runner are (default build/release)
#   --pg-bin DIR    PostgreSQL's programs (default: the newest
#                   /usr/lib/postgresql/*/bin)
#   --no-checkpoint do not CHECKPOINT at the window's start (see below)
#   --keep          keep the temporary folder (server log, daemons' logs)
#   --help          print this and exit
# The server runs with PostgreSQL's defaults (full_page_writes on,
# synchronous_commit on, wal_level replica) except fsync off (the WAL's
# bytes are the same; the machine's disk is spared) and checkpoint_timeout
# 1 h: the window starts with a CHECKPOINT, so it holds one checkpoint
# cycle, and its full-page images (wal_fpi) are those of a checkpoint_timeout
# as long as the window; a longer checkpoint_timeout writes fewer of them.
# Prints a table of the window's figures per second, per second per 1,000
# runners per vantage, and per day, and one `summary:` line of key=value
# pairs. Not part of ctest. Needs PostgreSQL 15 (Debian package postgresql)
# and, as root, the `postgres` user it creates (the server runs as it).
# Everything it starts is stopped on exit (also on Ctrl-C or an error).
set -euo pipefail

runners=1000 vantages=1 interval=10 duration=60 warmup= failing=0 flip= bin=build/release
pgbin= checkpoint=1 keep=0
die() { echo "pg_load_bench: $*" >&2; exit 2; }
num() { case "$2" in '' | *[!0-9]*) die "$1: \"$2\" is not a whole number" ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runners) runners=${2-}; num "$1" "$runners"; shift 2 ;;
	--vantages) vantages=${2-}; num "$1" "$vantages"; shift 2 ;;
	--interval) interval=${2-}; num "$1" "$interval"; shift 2 ;;
	--duration) duration=${2-}; num "$1" "$duration"; shift 2 ;;
	--warmup) warmup=${2-}; num "$1" "$warmup"; shift 2 ;;
	--failing) failing=${2-}; num "$1" "$failing"; shift 2 ;;
	--flip) flip=${2-}; num "$1" "$flip"; shift 2 ;;
	--bin) bin=${2:?--bin needs a folder}; shift 2 ;;
	--pg-bin) pgbin=${2:?--pg-bin needs a folder}; shift 2 ;;
	--no-checkpoint) checkpoint=0; shift ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ "$runners" -ge 1 ] || die "--runners must be at least 1"
[ "$vantages" -ge 1 ] && [ "$vantages" -le 16 ] || die "--vantages must be in 1..16"
[ "$interval" -ge 1 ] || die "--interval must be at least 1"
[ "$duration" -ge 1 ] || die "--duration must be at least 1"
[ "$failing" -le 100 ] || die "--failing must be a per cent, 0..100"
: "${warmup:=$((interval + 10))}"
: "${flip:=$((6 * interval))}"
[ "$flip" -ge 1 ] && [ "$flip" -le 86400 ] || die "--flip must be in 1..86400"

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$bin/runwarden" ] && [ -x "$top/$bin/runwarden" ]; then bin="$top/$bin"; fi
bin=$(cd "$bin" 2>/dev/null && pwd) || die "--bin: no folder $bin"
rw="$bin/runwarden" demo="$bin/rw-demo-runner"
[ -x "$rw" ] || die "no runwarden in $bin (cmake --build $bin --target runwarden)"
[ -x "$demo" ] || die "no rw-demo-runner in $bin (cmake --build $bin --target rw-demo-runner)"
[ -n "$pgbin" ] || pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/initdb" ] && [ -x "$pgbin/pg_ctl" ] && [ -x "$pgbin/psql" ] ||
	die "no initdb, pg_ctl and psql in ${pgbin:-/usr/lib/postgresql/*/bin} (apt-get install postgresql; or --pg-bin)"
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (apt-get install postgresql)"
	pguser=postgres
else
	pguser=$(id -un)
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-pg-load-bench.XXXXXX")
[ "$(id -u)" -ne 0 ] || chown postgres: "$tmp"
pids=() pg_started=0
cleanup() {
	local rc=$? p i alive
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for i in $(seq 100); do # at most 10 s, then SIGKILL
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# The server last: the daemons' sessions are closed by now. pg_ctl
	# stops the postmaster of this data folder (its pid file) and no other.
	[ $pg_started = 0 ] || as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	if [ $keep = 1 ]; then echo "pg_load_bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "pg_load_bench: interrupted" >&2; exit 130' INT TERM

wait_line() { # FILE REGEX SECONDS
	local i
	for i in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
now_s() { date +%s.%N; }

# ---- PostgreSQL ------------------------------------------------------------------
echo "== PostgreSQL ($pgbin) in $tmp, Unix socket only" >&2
as_pg "$pgbin/initdb" -D "$tmp/data" -A trust -U "$pguser" -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
	die "initdb failed (see $tmp/initdb.log; --keep keeps it)"
# A port number still names the socket file; no TCP listener.
port=$((20000 + RANDOM % 20000))
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
	-o "-c listen_addresses='' -k $tmp -p $port -c fsync=off -c checkpoint_timeout=3600 -c max_wal_size=16GB -c max_connections=100" \
	start >/dev/null || die "the server did not start (see $tmp/server.log; --keep keeps it)"
pg_started=1
as_pg "$pgbin/createdb" -h "$tmp" -p "$port" -U "$pguser" bench || die "createdb failed"
uri="postgresql://$pguser@/bench?host=$tmp&port=$port"
sql() { as_pg "$pgbin/psql" -h "$tmp" -p "$port" -U "$pguser" -d bench -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# ---- listeners ---------------------------------------------------------------------
n_fail=$(( (runners * failing + 50) / 100 ))
echo "== $runners rw-demo-runner listeners on 127.0.0.1 (ephemeral ports), $n_fail of them flip:$flip" >&2
largs=()
for ((i = 0; i < runners; i++)); do
	largs+=(--listen 127.0.0.1:0 "$([ $i -lt $n_fail ] && echo "flip:$flip" || echo ok)")
done
"$demo" "${largs[@]}" >"$tmp/demo.out" 2>"$tmp/demo.log" &
pids+=($!)
wait_line "$tmp/demo.out" '^\[' 60 || die "rw-demo-runner did not start (see $tmp/demo.log)"
head -n1 "$tmp/demo.out" | tr -d '[]"' | tr ',' '\n' >"$tmp/addrs.txt"
[ "$(wc -l <"$tmp/addrs.txt")" -eq "$runners" ] || die "rw-demo-runner bound $(wc -l <"$tmp/addrs.txt") listeners, not $runners"

# ---- schema, runners, policy ------------------------------------------------------------
policy="$tmp/policy.json"
timeout_ms=$((interval * 1000 < 2000 ? interval * 1000 : 2000))
cat >"$policy" <<EOF
{ "version": 1, "probe": { "interval_s": $interval, "timeout_ms": $timeout_ms, "failures_to_down": 3 } }
EOF
"$rw" policy check "$policy" >/dev/null
"$rw" operator add bench --email bench@example.org --db "$uri" >/dev/null
awk 'BEGIN { printf "[" }
     { printf "%s\n{\"operator\":\"bench\",\"name\":\"bench-%06d\",\"targets\":[\"riscv64gc-unknown-linux-gnu\"],\"url\":\"http://%s/health\"}",
              (NR > 1 ? "," : ""), NR, $1 }
     END { print "]" }' "$tmp/addrs.txt" >"$tmp/runners.json"
"$rw" runner import "$tmp/runners.json" --db "$uri" --allow-cidr 127.0.0.0/8 >/dev/null
n_reg=$(sql "SELECT count(*) FROM runners")
[ "$n_reg" -eq "$runners" ] || die "$n_reg runners registered, not $runners"

# ---- the daemons ----------------------------------------------------------------------
serve_pids=()
for ((v = 1; v <= vantages; v++)); do
	"$rw" serve --db "$uri" --policy "$policy" --vantage "v$v" --listen 127.0.0.1:0 \
		--allow-cidr 127.0.0.0/8 --log-level warn >"$tmp/serve$v.out" 2>"$tmp/serve$v.log" &
	pids+=($!) serve_pids+=($!)
	wait_line "$tmp/serve$v.out" '^listening on http://' 60 || die "runwarden serve (vantage v$v) did not start (see $tmp/serve$v.log)"
done
echo "== $vantages daemon(s) serving $runners runners every ${interval}s; warm-up ${warmup}s, measure ${duration}s" >&2
sleep "$warmup"
alive() { local p; for p in "${serve_pids[@]}"; do kill -0 "$p" 2>/dev/null || die "a daemon exited (see $tmp/serve*.log)"; done; }
alive

# ---- the window -------------------------------------------------------------------------
# One snapshot: time, WAL position, WAL records / full-page images / bytes,
# the database's commits, the next transaction id (each write transaction
# takes one; reads take none, and pg_current_snapshot() takes none either),
# the database's size, and every table's inserts, updates and deletes.
# The statistics are flushed by each backend at most once a second: wait
# that long before reading, and read outside any snapshot.
snapshot() { # NAME
	sleep 1.2
	sql "SELECT pg_stat_clear_snapshot()" >/dev/null
	sql "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint, w.wal_records, w.wal_fpi, w.wal_bytes,
	            d.xact_commit, pg_snapshot_xmax(pg_current_snapshot())::text::bigint, pg_database_size(current_database())
	     FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()" |
		tr '|' ' ' >"$tmp/snap.$1"
	sql "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables ORDER BY relname" |
		tr '|' ' ' >"$tmp/tables.$1"
	now_s >"$tmp/t.$1"
}
if [ $checkpoint = 1 ]; then sql "CHECKPOINT" >/dev/null; fi
snapshot a
t_a=$(cat "$tmp/t.a")
sleep "$duration"
alive
snapshot b
t_b=$(cat "$tmp/t.b")
elapsed=$(awk -v a="$t_a" -v b="$t_b" 'BEGIN { printf "%.3f", b - a }')
grep -il 'error' "$tmp"/serve*.log >/dev/null 2>&1 && echo "pg_load_bench: the daemons logged errors (see $tmp/serve*.log; --keep keeps them)" >&2

# ---- report --------------------------------------------------------------------------------
per=$(awk -v n="$runners" -v v="$vantages" 'BEGIN { print n / 1000 * v }')
echo
echo "runwarden on PostgreSQL $("$pgbin/postgres" -V | awk '{ print $3 }'): $runners runners, $vantages vantage(s), interval ${interval}s, $n_fail flipping every ${flip}s; ${elapsed}s measured ($(nproc) CPUs, $(uname -r))"
echo
awk -v el="$elapsed" -v per="$per" -v runners="$runners" -v vantages="$vantages" -v interval="$interval" '
	# A figure per second and per day, for the whole and per 1,000 runners
	# per vantage; kb: a volume in KB (per day in MB), else a count (per day
	# in thousands).
	function day(r, kb) { return kb ? sprintf("%.0f MB", r * 86400 / 1000) : sprintf("%.0f k", r * 86400 / 1000) }
	function line(a, b, c, d, e) { printf "| %-30s | %10s | %10s | %15s | %17s |\n", a, b, c, d, e }
	function row(name, d, kb) {
		line(name, sprintf("%.1f", d / el), day(d / el, kb), sprintf("%.2f", d / el / per), day(d / el / per, kb))
	}
	FILENAME ~ /snap\.a$/ { for (i = 1; i <= NF; i++) a[i] = $i; next }
	FILENAME ~ /snap\.b$/ { for (i = 1; i <= NF; i++) b[i] = $i; next }
	FILENAME ~ /tables\.a$/ { ti[$1] = $2; tu[$1] = $3; td[$1] = $4; next }
	FILENAME ~ /tables\.b$/ {
		di = $2 - ti[$1]; du = $3 - tu[$1]; dd = $4 - td[$1]
		if (di + du + dd > 0) { nt++; tn[nt] = $1; tdi[nt] = di; tdu[nt] = du; tdd[nt] = dd }
		next
	}
	END {
		wal = b[1] - a[1]; rec = b[2] - a[2]; fpi = b[3] - a[3]
		commits = b[5] - a[5]; xids = b[6] - a[6]; grow = b[7] - a[7]
		line("figure", "per second", "per day", "per 1,000 r×v/s", "per 1,000 r×v/day")
		line("------------------------------", "----------", "----------", "---------------", "-----------------")
		row("WAL written (KB)", wal / 1000, 1)
		row("  WAL records", rec)
		row("  full-page images", fpi)
		row("transactions committed", commits)
		row("  of which writes (xids)", xids)
		total = 0
		for (i = 1; i <= nt; i++) total += tdi[i] + tdu[i] + tdd[i]
		row("rows written (ins+upd+del)", total)
		for (i = 1; i <= nt; i++) {
			s = ""
			if (tdi[i]) s = s sprintf("%sins", s == "" ? "" : "+")
			if (tdu[i]) s = s sprintf("%supd", s == "" ? "" : "+")
			if (tdd[i]) s = s sprintf("%sdel", s == "" ? "" : "+")
			row("  " tn[i] " (" s ")", tdi[i] + tdu[i] + tdd[i])
		}
		row("database growth (KB)", grow / 1000, 1)
		printf "\n(r×v: runners × vantages; expected samples %.1f/s = runners × vantages / interval)\n", runners * vantages / interval
		s = sprintf("summary: runners=%d vantages=%d interval=%d elapsed_s=%.1f wal_kb_per_s=%.1f wal_mb_per_day=%.0f wal_fpi_per_s=%.1f commits_per_s=%.1f write_xacts_per_s=%.1f rows_per_s=%.1f db_growth_kb_per_s=%.1f",
			runners, vantages, interval, el, wal / el / 1000, wal / el * 86400 / 1e6, fpi / el, commits / el, xids / el, total / el, grow / el / 1000)
		for (i = 1; i <= nt; i++) s = s sprintf(" %s_rows_per_s=%.2f", tn[i], (tdi[i] + tdu[i] + tdd[i]) / el)
		print s
	}' "$tmp/snap.a" "$tmp/snap.b" "$tmp/tables.a" "$tmp/tables.b"
