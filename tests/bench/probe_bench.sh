#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# probe_bench.sh — measures runwarden's probe engine against rw-demo-runner
# listeners on loopback (and, when installed, prometheus-blackbox-exporter
# probing the same listeners, for a CPU-per-probe comparison).
#
# usage: tests/bench/probe_bench.sh [options]
#   --runners N          runners, each its own 127.0.0.x:PORT listener (default 10000)
#   --interval S         probe.interval_s of the policy (default 10)
#   --duration S         measured window after one interval of warm-up (default 60)
#   --hosts H            distinct addresses 127.0.0.2 .. 127.0.0.(H+1) (default 20)
#   --port-base P        listener i gets port P + i/H; 0: ephemeral ports; default: just
#                        below the ephemeral range (see README.md, "Ports")
#   --bin DIR            where runwarden and rw-demo-runner are (default build/release)
#   --concurrency N      passed to `runwarden serve --max-concurrency` (default: the daemon's)
#   --exporter-rate R    blackbox exporter probes/s to aim at (default N/interval; 0: flat out)
#   --exporter-conns C   concurrent requests to the exporter (default 16)
#   --exporter-duration S  its measured window (default --duration)
#   --no-exporter        skip the blackbox exporter comparison
#   --pin                pin runwarden and the exporter to CPU 0, the demo runners
#                        and wrk to CPU 1 (needs 2 CPUs; costs CPU, see README.md)
#   --keep               keep the temporary folder (database, logs, metrics)
#   --help               print this and exit
# Prints a table and one `summary:` line of key=value pairs (for scripts).
# Not part of ctest. Only loopback addresses are used. Everything it starts
# is stopped on exit (also on Ctrl-C or an error).
set -euo pipefail

runners=10000 interval=10 duration=60 hosts=20 port_base=auto bin=build/release concurrency=
exp_rate= exp_conns=16 exp_duration= exporter=1 keep=0 pin=0

die() { echo "probe_bench: $*" >&2; exit 2; }
num() { case "$2" in '' | *[!0-9]*) die "$1: \"$2\" is not a whole number" ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runners) runners=${2-}; num "$1" "$runners"; shift 2 ;;
	--interval) interval=${2-}; num "$1" "$interval"; shift 2 ;;
	--duration) duration=${2-}; num "$1" "$duration"; shift 2 ;;
	--hosts) hosts=${2-}; num "$1" "$hosts"; shift 2 ;;
	--port-base) port_base=${2-}; [ "$port_base" = auto ] || num "$1" "$port_base"; shift 2 ;;
	--bin) bin=${2:?--bin needs a folder}; shift 2 ;;
	--concurrency) concurrency=${2-}; num "$1" "$concurrency"; shift 2 ;;
	--exporter-rate) exp_rate=${2-}; num "$1" "$exp_rate"; shift 2 ;;
	--exporter-conns) exp_conns=${2-}; num "$1" "$exp_conns"; shift 2 ;;
	--exporter-duration) exp_duration=${2-}; num "$1" "$exp_duration"; shift 2 ;;
	--no-exporter) exporter=0; shift ;;
	--keep) keep=1; shift ;;
	--pin) pin=1; shift ;;
	-h | --help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ "$runners" -ge 1 ] || die "--runners must be at least 1"
[ "$interval" -ge 1 ] || die "--interval must be at least 1"
[ "$duration" -ge 1 ] || die "--duration must be at least 1"
[ "$hosts" -ge 1 ] && [ "$hosts" -le 250 ] || die "--hosts must be in 1..250"
[ "$exp_conns" -ge 1 ] || die "--exporter-conns must be at least 1"
: "${exp_duration:=$duration}"
# Listeners on ports outside the ephemeral range: a listening port is never
# handed out by connect(), so 10,000 listeners inside the range make every
# probe's connect() search past them (~20 % of runwarden's CPU, all of it an
# artefact of having the runners on the same host).
ports_per_host=$(( (runners + hosts - 1) / hosts ))
eph_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
if [ "$port_base" = auto ]; then
	port_base=$((eph_low - ports_per_host - 16))
	[ $port_base -ge 1024 ] || port_base=0
fi
[ $((port_base + ports_per_host)) -le 65535 ] || die "--port-base $port_base: ports beyond 65535"
: "${exp_rate:=$(( (runners + interval / 2) / interval ))}"

# --bin relative to the current folder, else to the repository root.
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$bin/runwarden" ] && [ -x "$top/$bin/runwarden" ]; then bin="$top/$bin"; fi
bin=$(cd "$bin" 2>/dev/null && pwd) || die "--bin: no folder $bin"
rw="$bin/runwarden" demo="$bin/rw-demo-runner"
[ -x "$rw" ] || die "no runwarden in $bin (build it: cmake --build $bin --target runwarden)"
[ -x "$demo" ] || die "no rw-demo-runner in $bin (cmake --build $bin --target rw-demo-runner)"
command -v curl >/dev/null || die "curl is needed"
exporter_bin=/usr/bin/prometheus-blackbox-exporter
[ -x "$exporter_bin" ] || exporter=0

# File descriptors: one per listener in the demo runners, one per probe in
# flight in runwarden. The soft limit goes to the hard one; listeners are
# split over as many demo runner processes as the hard limit needs.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576
per_proc=$((nofile - 1024))
[ "$per_proc" -ge 256 ] || die "ulimit -n is $nofile: too low"
nprocs=$(( (runners + per_proc - 1) / per_proc ))
per_proc=$(( (runners + nprocs - 1) / nprocs ))
if [ -n "$concurrency" ] && [ "$concurrency" -gt $((nofile - 256)) ]; then
	die "--concurrency $concurrency needs more than ulimit -n ($nofile) descriptors"
fi

# --pin: taskset -c CPU, else nothing.
on_cpu() { if [ $pin = 1 ]; then echo taskset -c "$1"; fi; }
if [ $pin = 1 ]; then
	command -v taskset >/dev/null || die "--pin needs taskset (util-linux)"
	[ "$(nproc)" -ge 2 ] || die "--pin needs 2 CPUs"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-probe-bench.XXXXXX")
pids=()
cleanup() {
	local rc=$? p i
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for i in $(seq 100); do # at most 10 s, then SIGKILL
		local alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ $keep = 1 ]; then echo "probe_bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "probe_bench: interrupted" >&2; exit 130' INT TERM

# Stops one process we started (SIGTERM, then SIGKILL after 10 s).
stop_pid() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || return 0
	for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	local keep_pids=() q # forget it, so that cleanup never signals a reused pid
	for q in "${pids[@]}"; do [ "$q" = "$p" ] || keep_pids+=("$q"); done
	pids=("${keep_pids[@]}")
}

# Waits up to $3 seconds for file $1 to hold a line matching $2.
wait_line() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

clk_tck=$(getconf CLK_TCK)
# utime+stime of a process (every thread), in clock ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
cpu_ticks_sum() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
now_s() { date +%s.%N; }
# Busy and steal ticks of the whole machine (every CPU), from /proc/stat.
sys_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
sys_steal() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
io_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }

# ---- demo runners -------------------------------------------------------------
echo "== $runners listeners on $hosts addresses (127.0.0.2..127.0.0.$((hosts + 1))), $nprocs rw-demo-runner process(es)" >&2
demo_pids=()
for ((p = 0; p < nprocs; p++)); do
	args=()
	from=$((p * per_proc)) to=$(((p + 1) * per_proc))
	[ $to -le "$runners" ] || to=$runners
	for ((i = from; i < to; i++)); do
		args+=(--listen "127.0.0.$((2 + i % hosts)):$((port_base ? port_base + i / hosts : 0))" ok)
	done
	$(on_cpu 1) "$demo" "${args[@]}" >"$tmp/demo$p.out" 2>"$tmp/demo$p.log" &
	pids+=($!) demo_pids+=($!)
done
: >"$tmp/addrs.txt"
for ((p = 0; p < nprocs; p++)); do
	wait_line "$tmp/demo$p.out" '^\[' 60 || die "rw-demo-runner did not start (see $tmp/demo$p.log)"
	head -n1 "$tmp/demo$p.out" | tr -d '[]"' | tr ',' '\n' >>"$tmp/addrs.txt"
done
n_addrs=$(sort -u "$tmp/addrs.txt" | wc -l)
[ "$n_addrs" -eq "$runners" ] || die "expected $runners distinct listeners, got $n_addrs"

# ---- database, runners, policy --------------------------------------------------
db="$tmp/bench.db" policy="$tmp/policy.json"
cat >"$policy" <<EOF
{ "version": 1, "probe": { "interval_s": $interval, "timeout_ms": 2000, "failures_to_down": 3 } }
EOF
"$rw" policy check "$policy" >/dev/null
"$rw" operator add bench --email bench@example.org --db "$db" >/dev/null
awk 'BEGIN { printf "[" }
     { printf "%s\n{\"operator\":\"bench\",\"name\":\"bench-%06d\",\"targets\":[\"riscv64gc-unknown-linux-gnu\"],\"url\":\"http://%s/health\"}",
              (NR > 1 ? "," : ""), NR, $1 }
     END { print "]" }' "$tmp/addrs.txt" >"$tmp/runners.json"
"$rw" runner import "$tmp/runners.json" --db "$db" --allow-cidr 127.0.0.0/8 >/dev/null

# ---- runwarden ---------------------------------------------------------------------
serve_args=(serve --db "$db" --policy "$policy" --listen 127.0.0.1:0 --allow-cidr 127.0.0.0/8 --log-level warn)
[ -z "$concurrency" ] || serve_args+=(--max-concurrency "$concurrency")
$(on_cpu 0) "$rw" "${serve_args[@]}" >"$tmp/serve.out" 2>"$tmp/serve.log" &
rw_pid=$!
pids+=($rw_pid)
wait_line "$tmp/serve.out" '^listening on http://' 60 || die "runwarden serve did not start (see $tmp/serve.log)"
api=$(sed -n 's/^listening on //p' "$tmp/serve.out" | head -n1)
rate=$(awk -v n="$runners" -v i="$interval" 'BEGIN { printf "%g", n / i }')
echo "== runwarden (pid $rw_pid) on $api: $runners runners every ${interval}s = $rate probes/s; warm-up ${interval}s, measure ${duration}s" >&2

snapshot() { # $1: name — metrics, CPU ticks and time
	curl -fsS -m 10 "$api/metrics" >"$tmp/metrics.$1" || die "GET $api/metrics failed"
	eval "t_$1=\$(now_s) rw_cpu_$1=\$(cpu_ticks $rw_pid) demo_cpu_$1=\$(cpu_ticks_sum ${demo_pids[*]})"
	eval "sys_$1=\$(sys_busy) steal_$1=\$(sys_steal) wchar_$1=\$(io_field $rw_pid wchar) wbytes_$1=\$(io_field $rw_pid write_bytes)"
}

sleep "$interval"
kill -0 $rw_pid 2>/dev/null || die "runwarden exited during warm-up (see $tmp/serve.log)"
snapshot a
sleep "$duration"
kill -0 $rw_pid 2>/dev/null || die "runwarden exited during the run (see $tmp/serve.log)"
snapshot b
rss_peak_kb=$(status_kb $rw_pid VmHWM) rss_now_kb=$(status_kb $rw_pid VmRSS)
threads=$(status_kb $rw_pid Threads)
stop_pid $rw_pid

# Deltas between the two scrapes; histogram quantiles are the upper bound of
# the bucket holding the quantile (as in Prometheus' histogram_quantile
# without the interpolation).
read_metrics() {
	awk -v elapsed="$(awk -v a="$t_a" -v b="$t_b" 'BEGIN { print b - a }')" \
		-v runners="$runners" -v interval="$interval" \
		-v cpu_ticks=$((rw_cpu_b - rw_cpu_a)) -v demo_ticks=$((demo_cpu_b - demo_cpu_a)) \
		-v tck="$clk_tck" -v other_ticks=$((sys_b - sys_a - (rw_cpu_b - rw_cpu_a) - (demo_cpu_b - demo_cpu_a))) \
		-v steal_ticks=$((steal_b - steal_a)) -v wchar=$((wchar_b - wchar_a)) -v wbytes=$((wbytes_b - wbytes_a)) '
	function q(name, quant,   i, c, want, total) {
		total = b[name "_count"] - a[name "_count"]
		if (total <= 0) return "n/a"
		want = quant * total; if (want < 1) want = 1
		for (i = 1; i <= nb[name]; i++) {
			c = b[bk[name, i]] - a[bk[name, i]]
			if (c >= want - 1e-9) return le[name, i]
		}
		return "+Inf"
	}
	function maxb(name,   i, prev, c, m) { # the highest non-empty bucket in the window
		m = "n/a"; prev = 0
		for (i = 1; i <= nb[name]; i++) {
			c = b[bk[name, i]] - a[bk[name, i]]
			if (c > prev) m = le[name, i]
			prev = c
		}
		return m
	}
	/^#/ { next }
	FNR == NR { a[$1] = $2; next }
	{
		b[$1] = $2
		if (match($1, /_bucket\{le="[^"]*"\}$/)) {
			name = substr($1, 1, RSTART - 1)
			l = substr($1, RSTART + 12); sub(/"\}$/, "", l)
			nb[name]++; bk[name, nb[name]] = $1; le[name, nb[name]] = l
		}
		if ($1 ~ /^runwarden_probes_total\{result="/) {
			r = $1; sub(/^runwarden_probes_total\{result="/, "", r); sub(/"\}$/, "", r)
			nres++; res[nres] = r; reskey[nres] = $1
		}
	}
	END {
		done = 0; fails = ""
		for (i = 1; i <= nres; i++) {
			d = b[reskey[i]] - a[reskey[i]]; done += d
			if (res[i] != "ok" && d > 0) fails = fails (fails == "" ? "" : ",") res[i] ":" d
		}
		if (fails == "") fails = "none"
		expected = runners * elapsed / interval
		printf "elapsed_s=%.2f\n", elapsed
		printf "probes=%d\n", done
		printf "probes_per_s=%.0f\n", done / elapsed
		printf "expected=%.0f\n", expected
		printf "missed=%.0f\n", expected - done
		printf "missed_pct=%.3f\n", 100 * (expected - done) / expected
		printf "cpu_s=%.2f\n", cpu_ticks / tck
		printf "cpu_pct=%.1f\n", 100 * cpu_ticks / tck / elapsed
		printf "cpu_us_per_probe=%.1f\n", done ? cpu_ticks / tck * 1e6 / done : 0
		printf "demo_cpu_pct=%.1f\n", 100 * demo_ticks / tck / elapsed
		printf "other_cpu_pct=%.1f\n", (other_ticks > 0 ? 100 * other_ticks / tck / elapsed : 0)
		printf "steal_pct=%.1f\n", 100 * steal_ticks / tck / elapsed
		printf "written_b_per_probe=%.0f\n", done ? wchar / done : 0
		printf "disk_b_per_probe=%.0f\n", done ? wbytes / done : 0
		printf "demo_cpu_us_per_probe=%.1f\n", done ? demo_ticks / tck * 1e6 / done : 0
		printf "lateness_p50_s=%s\n", q("runwarden_probe_lateness_seconds", 0.50)
		printf "lateness_p99_s=%s\n", q("runwarden_probe_lateness_seconds", 0.99)
		printf "lateness_max_s=%s\n", maxb("runwarden_probe_lateness_seconds")
		printf "latency_p50_s=%s\n", q("runwarden_probe_latency_seconds", 0.50)
		printf "latency_p99_s=%s\n", q("runwarden_probe_latency_seconds", 0.99)
		printf "skipped=%d\n", b["runwarden_probes_skipped_total"] - a["runwarden_probes_skipped_total"]
		printf "deferred=%d\n", b["runwarden_probes_deferred_total"] - a["runwarden_probes_deferred_total"]
		printf "failures=%s\n", fails
		printf "writer_queue_end=%d\n", b["runwarden_writer_queue_depth"]
		printf "writer_rows=%d\n", b["runwarden_writer_rows_total"] - a["runwarden_writer_rows_total"]
		printf "writer_batches=%d\n", b["runwarden_writer_batches_total"] - a["runwarden_writer_batches_total"]
		printf "writer_dropped=%d\n", b["runwarden_writer_dropped_total"] - a["runwarden_writer_dropped_total"]
		printf "writer_failures=%d\n", b["runwarden_writer_failures_total"] - a["runwarden_writer_failures_total"]
		printf "loop_lag_max_s=%s\n", b["runwarden_loop_lag_max_seconds"]
		printf "loop_lag_window_max_s=%s\n", maxb("runwarden_loop_lag_seconds")
	}' "$tmp/metrics.a" "$tmp/metrics.b"
}
declare -A R
while IFS== read -r k v; do R[$k]=$v; done < <(read_metrics)
R[rss_peak_mb]=$(awk -v k="$rss_peak_kb" 'BEGIN { printf "%.1f", k / 1024 }')
R[rss_end_mb]=$(awk -v k="$rss_now_kb" 'BEGIN { printf "%.1f", k / 1024 }')
R[threads]=$threads

# ---- prometheus-blackbox-exporter over the same listeners ----------------------------
exp_done=0
if [ $exporter = 1 ]; then
	cat >"$tmp/blackbox.yml" <<'EOF'
modules:
  http_2xx:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
EOF
	port=
	lo=20000 hi=$eph_low # a free port below the ephemeral range and the listeners
	[ $port_base -gt 0 ] && [ $port_base -lt $eph_low ] && hi=$port_base
	[ $hi -gt $((lo + 100)) ] || lo=$((hi > 1124 ? hi - 100 : 1024))
	for _ in $(seq 50); do
		c=$((lo + RANDOM % (hi - lo)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$c") 2>/dev/null; then port=$c; break; fi
	done
	[ -n "$port" ] || die "no free port for the blackbox exporter"
	$(on_cpu 0) "$exporter_bin" --config.file="$tmp/blackbox.yml" --web.listen-address="127.0.0.1:$port" \
		--log.level=warn >"$tmp/exporter.out" 2>"$tmp/exporter.log" &
	exp_pid=$!
	pids+=($exp_pid)
	for _ in $(seq 100); do curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null && break; sleep 0.1; done
	curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/metrics" || die "the blackbox exporter did not start (see $tmp/exporter.log)"
	# wrk's delay() is whole milliseconds between a connection's requests.
	delay_ms=0
	if [ "$exp_rate" -gt 0 ]; then
		delay_ms=$(( exp_conns * 1000 / exp_rate - 1 ))
		[ $delay_ms -ge 0 ] || delay_ms=0
	fi
	drive() { # $1: seconds; prints "requests=N success=M"
		if command -v wrk >/dev/null; then
			cat >"$tmp/rotate.lua" <<EOF
local targets = {}
for line in io.lines("$tmp/addrs.txt") do targets[#targets + 1] = line end
i, ok, bad = 0, 0, 0 -- globals: done() reads them with thread:get
function init(args) i = math.random(#targets) end
function request()
  i = i % #targets + 1
  return wrk.format("GET", "/probe?module=http_2xx&target=http://" .. targets[i] .. "/health")
end
function delay() return $delay_ms end
function response(status, headers, body)
  if status == 200 and body:find("\nprobe_success 1", 1, true) then ok = ok + 1 else bad = bad + 1 end
end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency, requests)
  local n, o = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); n = n + t:get("ok") + t:get("bad") end
  io.write(string.format("requests=%d success=%d\n", n, o))
end
EOF
			timeout -k 5 $(($1 + 30)) $(on_cpu 1) wrk -t 1 -c "$exp_conns" -d "${1}s" --timeout 5s \
				-s "$tmp/rotate.lua" "http://127.0.0.1:$port/" >"$tmp/wrk.out" 2>&1 || true
			grep '^requests=' "$tmp/wrk.out" || echo "requests=0 success=0"
		else # xargs + curl: as fast as it goes, bounded by count and time
			local want=$(( exp_rate > 0 ? exp_rate * $1 : 2000 * $1 ))
			awk -v n="$want" -v p="$port" '{ t[NR] = $1 } END { for (i = 0; i < n; i++)
				printf "http://127.0.0.1:%s/probe?module=http_2xx&target=http://%s/health\n", p, t[i % NR + 1] }' \
				"$tmp/addrs.txt" >"$tmp/urls.txt"
			timeout -k 5 $(($1 * 3 + 30)) xargs -P "$exp_conns" -n 50 \
				curl -s -m 5 >"$tmp/curl.out" <"$tmp/urls.txt" 2>/dev/null || true
			echo "requests=$(grep -c '^probe_success' "$tmp/curl.out" || true) success=$(grep -c '^probe_success 1' "$tmp/curl.out" || true)"
		fi
	}
	echo "== prometheus-blackbox-exporter (pid $exp_pid) on 127.0.0.1:$port: aim $exp_rate probes/s (0: flat out), $exp_conns connections; warm-up 5s, measure ${exp_duration}s" >&2
	drive 5 >/dev/null
	e_t0=$(now_s) e_cpu0=$(cpu_ticks $exp_pid) e_demo0=$(cpu_ticks_sum "${demo_pids[@]}") e_sys0=$(sys_busy)
	line=$(drive "$exp_duration")
	e_t1=$(now_s) e_cpu1=$(cpu_ticks $exp_pid) e_demo1=$(cpu_ticks_sum "${demo_pids[@]}") e_sys1=$(sys_busy)
	exp_rss_kb=$(status_kb $exp_pid VmHWM)
	stop_pid $exp_pid
	exp_done=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
	exp_ok=$(sed 's/.*success=\([0-9]*\).*/\1/' <<<"$line")
	eval "$(awk -v a="$e_t0" -v b="$e_t1" -v c=$((e_cpu1 - e_cpu0)) -v d=$((e_demo1 - e_demo0)) \
		-v n="$exp_done" -v t="$clk_tck" -v rw="${R[cpu_us_per_probe]}" \
		-v busy=$((e_sys1 - e_sys0)) 'BEGIN {
		el = b - a
		o = busy - c - d # the driver (wrk or curl) and anything else
		printf "R[exp_other_cpu_pct]=%.1f ", (o > 0 ? 100 * o / t / el : 0)
		printf "R[exp_elapsed_s]=%.2f R[exp_probes]=%d R[exp_probes_per_s]=%.0f ", el, n, n / el
		printf "R[exp_cpu_pct]=%.1f R[exp_cpu_us_per_probe]=%.1f ", 100 * c / t / el, n ? c / t * 1e6 / n : 0
		printf "R[exp_demo_cpu_us_per_probe]=%.1f ", n ? d / t * 1e6 / n : 0
		printf "R[ratio]=%.3f\n", n && c ? rw / (c / t * 1e6 / n) : 0 }')"
	R[exp_success]=$exp_ok
	R[exp_rss_peak_mb]=$(awk -v k="$exp_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
fi

# ---- report --------------------------------------------------------------------------
ms() { case "$1" in n/a | +Inf) echo "$1" ;; *) awk -v s="$1" 'BEGIN { printf "%g ms", s * 1000 }' ;; esac; }
row() { printf '| %-36s | %-24s | %-16s |\n' "$1" "$2" "$3"; }
echo
echo "runwarden probe benchmark: $runners runners on $hosts addresses, interval ${interval}s, ${duration}s measured ($(nproc) CPUs, $(uname -r))"
echo
row metric value target
row ------------------------------------ ------------------------ ----------------
row "probes/s (nominal $rate)" "${R[probes_per_s]}" ""
row "CPU per probe (runwarden)" "${R[cpu_us_per_probe]} us" "<= ~100 us"
row "CPU use (runwarden, % of one core)" "${R[cpu_pct]} %" ""
row "peak RSS (VmHWM)" "${R[rss_peak_mb]} MB" "<= 40 MB"
row "lateness p50 / p99 (bucket bound)" "$(ms "${R[lateness_p50_s]}") / $(ms "${R[lateness_p99_s]}")" "p99 < 50/100 ms"
row "lateness max (bucket bound)" "$(ms "${R[lateness_max_s]}")" ""
row "probe latency p50 / p99" "$(ms "${R[latency_p50_s]}") / $(ms "${R[latency_p99_s]}")" ""
row "missed (expected - done)" "${R[missed]} (${R[missed_pct]} %)" "0"
row "skipped / deferred slots" "${R[skipped]} / ${R[deferred]}" "0 / 0"
row "failures by class" "${R[failures]}" "none"
row "writer queue at end / dropped" "${R[writer_queue_end]} / ${R[writer_dropped]}" "small / 0"
row "writer rows / batches" "${R[writer_rows]} / ${R[writer_batches]}" ""
row "loop lag max (since start / window)" "$(ms "${R[loop_lag_max_s]}") / $(ms "${R[loop_lag_window_max_s]}")" "< 5 ms"
row "rw-demo-runner CPU (same cores)" "${R[demo_cpu_pct]} %, ${R[demo_cpu_us_per_probe]} us/probe" ""
row "bytes written / probe (write, disk)" "${R[written_b_per_probe]} / ${R[disk_b_per_probe]}" ""
row "other CPU on the box / steal" "${R[other_cpu_pct]} % / ${R[steal_pct]} %" "~0 (noise)"
if [ $exporter = 1 ]; then
	row "blackbox exporter probes/s" "${R[exp_probes_per_s]} (${R[exp_success]}/${R[exp_probes]} ok)" ""
	row "CPU per probe (blackbox exporter)" "${R[exp_cpu_us_per_probe]} us" ""
	row "CPU use (exporter, % of one core)" "${R[exp_cpu_pct]} %" ""
	row "exporter peak RSS" "${R[exp_rss_peak_mb]} MB" ""
	row "other CPU during it (incl. driver)" "${R[exp_other_cpu_pct]} %" ""
	row "CPU per probe runwarden / exporter" "${R[ratio]}" "<= 0.125"
else
	row "blackbox exporter" "not run" ""
fi
echo
summary="summary:"
for k in $(printf '%s\n' "${!R[@]}" | sort); do summary+=" $k=${R[$k]}"; done
echo "$summary"
