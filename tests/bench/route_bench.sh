#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# route_bench.sh — GET /v1/route under load: wrk at 64 connections against
# the daemon's route answer and, as the yardstick, its /healthz, on loopback.
#
# usage: tests/bench/route_bench.sh [options]
#   --runners N     runners in the routed pool, all up (default 50)
#   --duration S    seconds per wrk run (default 10)
#   --runs K        wrk runs per endpoint, alternating; medians are reported (default 3)
#   --conns C       wrk connections (default 64)
#   --bin DIR       where runwarden and rw-demo-runner are (default build/release)
#   --keep          keep the temporary folder
#   --help          print this and exit
# Prints a table (median req/s and p99 of each endpoint, route/healthz ratio)
# and one `summary:` line. Needs wrk (Debian package `wrk`). Not part of
# ctest. Everything it starts is stopped on exit.
set -euo pipefail

runners=50 duration=10 runs=3 conns=64 bin=build/release keep=0
die() { echo "route_bench: $*" >&2; exit 2; }
num() { case "$2" in '' | *[!0-9]*) die "$1: \"$2\" is not a whole number" ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runners) runners=${2-}; num "$1" "$runners"; shift 2 ;;
	--duration) duration=${2-}; num "$1" "$duration"; shift 2 ;;
	--runs) runs=${2-}; num "$1" "$runs"; shift 2 ;;
	--conns) conns=${2-}; num "$1" "$conns"; shift 2 ;;
	--bin) bin=${2:?--bin needs a folder}; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ "$runners" -ge 1 ] || die "--runners must be at least 1"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
rw="$bin/runwarden" demo="$bin/rw-demo-runner"
[ -x "$rw" ] || die "no runwarden in $bin (cmake --build $bin --target runwarden)"
[ -x "$demo" ] || die "no rw-demo-runner in $bin"

tmp=$(mktemp -d /tmp/rw-route-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "$keep" -eq 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

wait_line() { # FILE REGEX SECONDS
	for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

T=riscv64gc-unknown-linux-gnu
"$demo" --many "$runners" >"$tmp/demo.out" 2>"$tmp/demo.log" &
pids+=($!)
wait_line "$tmp/demo.out" '^\[' 30 || die "rw-demo-runner did not start (see $tmp/demo.log)"
head -n1 "$tmp/demo.out" | tr -d '[]"' | tr ',' '\n' >"$tmp/addrs.txt"
db="$tmp/bench.db" policy="$tmp/policy.json"
cat >"$policy" <<EOF
{ "version": 1, "flagging": { "probation_days": 0 },
  "probe": { "interval_s": 5, "timeout_ms": 2000, "failures_to_down": 3 } }
EOF
"$rw" operator add bench --email bench@example.org --db "$db" >/dev/null
awk -v t="$T" 'BEGIN { printf "[" }
     { printf "%s\n{\"operator\":\"bench\",\"name\":\"r-%05d\",\"targets\":[\"%s\"],\"url\":\"http://%s/health\"}",
              (NR > 1 ? "," : ""), NR, t, $1 }
     END { print "]" }' "$tmp/addrs.txt" >"$tmp/runners.json"
"$rw" runner import "$tmp/runners.json" --db "$db" --allow-cidr 127.0.0.0/8 >/dev/null
# The daemon on CPU 0 and wrk on CPU 1 when there are two, as DESIGN.md's
# figures were measured (wrk on the other core).
pin0= pin1=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin0="taskset -c 0" pin1="taskset -c 1"; fi
$pin0 "$rw" serve --db "$db" --policy "$policy" --listen 127.0.0.1:0 --allow-cidr 127.0.0.0/8 \
	--log-level warn >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=($!)
wait_line "$tmp/serve.out" '^listening on http://' 30 || die "runwarden did not start (see $tmp/serve.log)"
api=$(sed -n 's/^listening on //p' "$tmp/serve.out" | head -n1)

# Wait until every runner is eligible, so the route answer is full size.
for _ in $(seq 300); do
	n=$("$rw" route "$T" --server "$api" --json 2>/dev/null | grep -o '"state":"up"' | wc -l || true)
	[ "$n" -ge "$runners" ] && break
	sleep 0.2
done
[ "$n" -ge "$runners" ] || die "only $n of $runners runners became eligible"
bytes=$(curl -s "$api/v1/route?target=$T" | wc -c)
echo "== $runners eligible runners; route answer $bytes bytes; wrk -c$conns -t2 -d${duration}s x $runs" >&2

# wrk → "req/s p99_ms"
measure() {
	$pin1 wrk -c"$conns" -t2 -d"${duration}s" --latency "$1" 2>/dev/null | awk '
		/Requests\/sec/ { rps = $2 }
		/^ +99%/ { v = $2; ms = v + 0
		           if (v ~ /us$/) ms = ms / 1000; else if (v ~ /ms$/) ms = ms; else if (v ~ /s$/) ms = ms * 1000
		           p99 = ms }
		END { printf "%s %.3f\n", rps, p99 }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$tmp/h.txt"
: >"$tmp/r.txt"
for ((k = 1; k <= runs; k++)); do
	measure "$api/healthz" >>"$tmp/h.txt"
	measure "$api/v1/route?target=$T" >>"$tmp/r.txt"
	echo "   run $k: healthz $(tail -n1 "$tmp/h.txt"), route $(tail -n1 "$tmp/r.txt")" >&2
done
h_rps=$(cut -d' ' -f1 "$tmp/h.txt" | median) h_p99=$(cut -d' ' -f2 "$tmp/h.txt" | median)
r_rps=$(cut -d' ' -f1 "$tmp/r.txt" | median) r_p99=$(cut -d' ' -f2 "$tmp/r.txt" | median)
ratio=$(awk -v a="$r_rps" -v b="$h_rps" 'BEGIN { printf "%.2f", a / b }')
printf '%-22s %12s %10s\n' "endpoint (median)" "req/s" "p99 ms"
printf '%-22s %12s %10s\n' "/healthz" "$h_rps" "$h_p99"
printf '%-22s %12s %10s\n' "/v1/route ($runners up)" "$r_rps" "$r_p99"
printf '%-22s %12s\n' "route / healthz" "$ratio"
echo "summary: runners=$runners conns=$conns healthz_rps=$h_rps healthz_p99_ms=$h_p99 route_rps=$r_rps route_p99_ms=$r_p99 ratio=$ratio"
