#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# looplag_bench.sh — the event loop's lag at fleet size, with the status
# page and the API under load: N runners probed on loopback, then wrk in
# turn on /, /v1/route?target=T and /metrics, and the daemon's own tick
# lateness (runwarden_loop_lag_seconds) over each wrk run.
#
# usage: tests/bench/looplag_bench.sh [options]
#   --runners N     runners (default 100000)
#   --targets K     target triples they are spread over (default 100)
#   --interval S    the policy's probe interval (default 120)
#   --listeners L   rw-demo-runner listeners the runners share (default 64)
#   --warmup S      seconds after start-up before measuring (default: interval + 15)
#   --duration S    seconds per wrk run (default 20)
#   --runs K        wrk runs per endpoint, round robin; medians reported (default 3)
#   --conns C       wrk connections (default 16)
#   --bin DIR       where runwarden and rw-demo-runner are (default build/release)
#   --db FILE       keep the imported fleet in FILE, and when FILE exists, serve a
#                   copy of it instead of importing (saves minutes at 100,000
#                   runners; use the same --listeners and --port-base)
#   --port-base P   listeners on 127.0.0.1:P, P+1, ... (default 0: ephemeral ports)
#   --keep          keep the temporary folder (database, logs, scrapes)
#   --help          print this and exit
# Prints, per endpoint and run, wrk's req/s, the tick lateness p99 / max
# (runwarden_loop_lag_seconds; upper bounds of the buckets holding them),
# the loop's CPU time per iteration p99 / max (runwarden_loop_iteration_
# cpu_seconds, when the daemon has it: its own work, whatever else runs)
# and the share of the run the daemon waited for a CPU (/proc/PID/schedstat:
# the machine's contention); then the median of the runs, min-max, and a
# `summary:` line. Also the idle figures (no wrk) and the longest loop
# iteration since start. Needs curl, awk and wrk (Debian package `wrk`;
# installed with apt-get when missing and running as root). Everything it
# starts is stopped on exit.
set -euo pipefail

runners=100000 targets=100 interval=120 listeners=64 warmup= duration=20 runs=3 conns=16
bin=build/release keep=0 dbarg= portbase=0
die() { echo "looplag_bench: $*" >&2; exit 2; }
num() { case "$2" in '' | *[!0-9]*) die "$1: \"$2\" is not a whole number" ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runners) runners=${2-}; num "$1" "$runners"; shift 2 ;;
	--targets) targets=${2-}; num "$1" "$targets"; shift 2 ;;
	--interval) interval=${2-}; num "$1" "$interval"; shift 2 ;;
	--listeners) listeners=${2-}; num "$1" "$listeners"; shift 2 ;;
	--warmup) warmup=${2-}; num "$1" "$warmup"; shift 2 ;;
	--duration) duration=${2-}; num "$1" "$duration"; shift 2 ;;
	--runs) runs=${2-}; num "$1" "$runs"; shift 2 ;;
	--conns) conns=${2-}; num "$1" "$conns"; shift 2 ;;
	--bin) bin=${2:?--bin needs a folder}; shift 2 ;;
	--db) dbarg=${2:?--db needs a file}; shift 2 ;;
	--port-base) portbase=${2-}; num "$1" "$portbase"; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ "$runners" -ge 1 ] || die "--runners must be at least 1"
[ "$targets" -ge 1 ] || die "--targets must be at least 1"
[ "$listeners" -ge 1 ] || die "--listeners must be at least 1"
[ "$interval" -ge 1 ] || die "--interval must be at least 1"
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
[ -n "$warmup" ] || warmup=$((interval + 15))
if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y wrk >/dev/null 2>&1 || die "wrk is not installed and apt-get install wrk failed"
	else
		die "wrk is not installed (apt-get install wrk)"
	fi
fi
command -v curl >/dev/null || die "curl is not installed"
rw="$bin/runwarden" demo="$bin/rw-demo-runner"
[ -x "$rw" ] || die "no runwarden in $bin (cmake --build $bin --target runwarden)"
[ -x "$demo" ] || die "no rw-demo-runner in $bin"

tmp=$(mktemp -d /tmp/rw-looplag-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "$keep" -eq 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

wait_line() { # FILE REGEX SECONDS
	for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

if [ "$portbase" -gt 0 ]; then
	largs=()
	for ((i = 0; i < listeners; i++)); do largs+=(--listen "127.0.0.1:$((portbase + i))" ok); done
	"$demo" "${largs[@]}" >"$tmp/demo.out" 2>"$tmp/demo.log" &
else
	"$demo" --many "$listeners" >"$tmp/demo.out" 2>"$tmp/demo.log" &
fi
pids+=($!)
wait_line "$tmp/demo.out" '^\[' 30 || die "rw-demo-runner did not start (see $tmp/demo.log)"
head -n1 "$tmp/demo.out" | tr -d '[]"' | tr ',' '\n' >"$tmp/addrs.txt"
db="$tmp/bench.db" policy="$tmp/policy.json"
cat >"$policy" <<EOF
{ "version": 1, "flagging": { "probation_days": 0 },
  "probe": { "interval_s": $interval, "timeout_ms": 2000, "failures_to_down": 3 } }
EOF
fresh=1
if [ -n "$dbarg" ] && [ -e "$dbarg" ]; then
	fresh=0
	cp "$dbarg" "$db"
	echo "== serving a copy of $dbarg" >&2
fi
[ "$fresh" -eq 0 ] || "$rw" operator add bench --email bench@example.org --db "$db" >/dev/null
# Runner i probes listener i mod L, target i mod K.
awk -v n="$runners" -v k="$targets" 'NR == FNR { a[NR - 1] = $1; l = NR; next }
     END { printf "["
           for (i = 0; i < n; i++)
             printf "%s\n{\"operator\":\"bench\",\"name\":\"r-%06d\",\"targets\":[\"t%03d-unknown-linux-gnu\"],\"url\":\"http://%s/health?r=%d\"}",
                    (i ? "," : ""), i, i % k, a[i % l], i
           print "]" }' "$tmp/addrs.txt" /dev/null >"$tmp/runners.json"
t0=$(date +%s)
if [ "$fresh" -eq 1 ]; then
	"$rw" runner import "$tmp/runners.json" --db "$db" --allow-cidr 127.0.0.0/8 >/dev/null
	echo "== imported $runners runners in $(($(date +%s) - t0)) s" >&2
	[ -z "$dbarg" ] || cp "$db" "$dbarg"
fi

# The daemon on CPU 0 and wrk on CPU 1 when there are two.
pin0= pin1=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin0="taskset -c 0" pin1="taskset -c 1"; fi
t0=$(date +%s)
$pin0 "$rw" serve --db "$db" --policy "$policy" --listen 127.0.0.1:0 --allow-cidr 127.0.0.0/8 \
	--log-level warn >"$tmp/serve.out" 2>"$tmp/serve.log" &
rwpid=$!
pids+=($rwpid)
wait_line "$tmp/serve.out" '^listening on http://' 600 || die "runwarden did not start (see $tmp/serve.log)"
api=$(sed -n 's/^listening on //p' "$tmp/serve.out" | head -n1)
echo "== serving after $(($(date +%s) - t0)) s; warm-up ${warmup} s (interval ${interval} s)" >&2
sleep "$warmup"

# The tick lateness histogram: "le count" lines of runwarden_loop_lag_seconds.
scrape() { # OUT
	curl -s --max-time 120 "$api/metrics" >"$1.full" || true
	{ grep '^runwarden_loop_lag_seconds_bucket' "$1.full" || true; } |
		sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' >"$1"
	{ grep '^runwarden_loop_lag_max_seconds ' "$1.full" || true; } | awk '{ print $2 }' >"$1.max"
	{ grep '^runwarden_loop_iteration_cpu_seconds_bucket' "$1.full" || true; } |
		sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' >"$1.cpu"
	{ grep -c '' "$1.full" || true; } >"$1.lines"
	awk '{ print $2 }' "/proc/$rwpid/schedstat" >"$1.wait" 2>/dev/null || echo 0 >"$1.wait"
	date +%s%N >"$1.t"
	rm -f "$1.full"
}
# The share of the time between two scrapes the daemon waited for a CPU, in %.
wait_of() { # BEFORE AFTER
	awk -v a="$(cat "$1.wait")" -v b="$(cat "$2.wait")" -v s="$(cat "$1.t")" -v e="$(cat "$2.t")" \
		'BEGIN { if (e > s) printf "%.0f", 100 * (b - a) / (e - s); else print "nan" }'
}
# Δ of two scrapes -> "p99_ms max_ms samples" (bucket upper bounds).
lag_of() { # BEFORE AFTER
	if [ ! -s "$1" ] || [ ! -s "$2" ]; then echo "nan nan 0"; return; fi # a scrape timed out
	paste "$1" "$2" | awk '{ le[NR] = $1; d[NR] = $4 - $2; n = NR }
		END { total = d[n]; if (total <= 0) { print "nan nan 0"; exit }
		      want = total * 0.99; p = ""; mx = ""
		      for (i = 1; i <= n; i++) {
		        if (p == "" && d[i] >= want) p = le[i]
		        if (mx == "" && d[i] >= total) mx = le[i] }
		      f = function_ms(p); g = function_ms(mx)
		      printf "%s %s %d\n", f, g, total }
		function function_ms(v) { return v == "+Inf" ? "inf" : sprintf("%g", v * 1000) }'
}
wrk_rps() { # URL -> req/s
	$pin1 wrk -c"$conns" -t1 -d"${duration}s" "$1" 2>/dev/null | awk '/Requests\/sec/ { print $2 }'
}

T=t000-unknown-linux-gnu
bytes_status=$(curl -s --max-time 120 "$api/" | wc -c)
bytes_route=$(curl -s --max-time 120 "$api/v1/route?target=$T" | wc -c)
scrape "$tmp/s0"
echo "== sizes: / $bytes_status bytes, /v1/route $bytes_route bytes, /metrics $(cat "$tmp/s0.lines") lines" >&2
sleep "$duration"
scrape "$tmp/s1"
idle=$(lag_of "$tmp/s0" "$tmp/s1")
idlecpu=$(lag_of "$tmp/s0.cpu" "$tmp/s1.cpu")
echo "   idle: lateness p99/max ms, ticks: $idle; iteration CPU p99/max ms, iterations: $idlecpu; waited for a CPU $(wait_of "$tmp/s0" "$tmp/s1") %" >&2

names=(status route metrics)
urls=("$api/" "$api/v1/route?target=$T" "$api/metrics")
k=1
for ((run = 1; run <= runs; run++)); do
	for e in 0 1 2; do
		scrape "$tmp/a$k"
		rps=$(wrk_rps "${urls[$e]}")
		scrape "$tmp/b$k"
		lag=$(lag_of "$tmp/a$k" "$tmp/b$k")
		cpu=$(lag_of "$tmp/a$k.cpu" "$tmp/b$k.cpu")
		wt=$(wait_of "$tmp/a$k" "$tmp/b$k")
		echo "${names[$e]} $rps $lag $cpu $wt" >>"$tmp/results.txt"
		echo "   run $run ${names[$e]}: $rps req/s; lateness p99/max ms, ticks: $lag; iteration CPU p99/max ms, iterations: $cpu; waited for a CPU $wt %" >&2
		k=$((k + 1))
	done
done
maxlag=$(cat "$tmp/b$((k - 1)).max")

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
printf '%-8s %11s %18s %18s %18s %18s %9s\n' endpoint "req/s" "lateness p99 ms" "lateness max ms" \
	"iter CPU p99 ms" "iter CPU max ms" "CPU wait"
summary="runners=$runners interval=$interval conns=$conns idle_p99_ms=$(echo "$idle" | cut -d' ' -f1) idle_cpu_p99_ms=$(echo "$idlecpu" | cut -d' ' -f1) idle_cpu_max_ms=$(echo "$idlecpu" | cut -d' ' -f2)"
for e in status route metrics; do
	grep "^$e " "$tmp/results.txt" >"$tmp/$e.txt"
	col() { cut -d' ' -f"$1" "$tmp/$e.txt" | median; }
	rng() { cut -d' ' -f"$1" "$tmp/$e.txt" | range; }
	printf '%-8s %11s %18s %18s %18s %18s %8s%%\n' "$e" "$(col 2)" "$(col 3) ($(rng 3))" \
		"$(col 4) ($(rng 4))" "$(col 6) ($(rng 6))" "$(col 7) ($(rng 7))" "$(col 9)"
	summary="$summary ${e}_rps=$(col 2) ${e}_p99_ms=$(col 3) ${e}_max_ms=$(col 4) ${e}_cpu_p99_ms=$(col 6) ${e}_cpu_max_ms=$(col 7) ${e}_cpu_wait_pct=$(col 9)"
done
echo "(medians of $runs runs, min-max in brackets; lateness: the one-second tick, wall time;"
echo " iter CPU: each loop iteration's CPU time; CPU wait: share of the run the daemon waited for a CPU)"
echo "longest loop iteration since start: $(awk '{ printf "%.1f ms", $1 * 1000 }' "$tmp/b$((k - 1)).max")"
# Peak RSS over the whole run (start-up, probes, every endpoint under wrk).
rss_mb=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$rwpid/status" 2>/dev/null || echo nan)
echo "peak RSS of runwarden since start: $rss_mb MB"
echo "summary: $summary rss_peak_mb=$rss_mb loop_max_ms=$(awk '{ printf "%.1f", $1 * 1000 }' <<<"$maxlag") status_bytes=$bytes_status route_bytes=$bytes_route metrics_lines=$(cat "$tmp/s0.lines")"
kill -0 "$rwpid" 2>/dev/null || die "runwarden died (see $tmp/serve.log)"
