#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# probe_bench.sh — measures runwarden's probe engine on loopback listeners
# against the bare prober (tests/bench/bare_prober.c: libcurl multi + libuv,
# nothing else) and, when installed, prometheus-blackbox-exporter, all three
# probing the same listeners in the same run, --runs times.
#
# usage: tests/bench/probe_bench.sh [options]
#   --runners N          runners (default 10000; 1000 with --https)
#   --interval S         probe.interval_s of the policy (default 10)
#   --duration S         measured window of each prober, after a warm-up (default 30)
#   --runs N             rounds of runwarden, bare prober, exporter (default 3): the
#                        table shows the median and min-max of the rounds
#   --https              HTTPS: a test CA (openssl), nginx with its certificate, a
#                        fresh connection and a full handshake per probe
#   --listener L         demo: one rw-demo-runner listener per runner (HTTP only);
#                        nginx: one nginx on --ports ports, runners told apart by path
#                        (default demo; nginx with --https)
#   --ports P            nginx listening ports (default 100, at most --runners)
#   --nginx-workers W    nginx worker processes (default 1)
#   --hosts H            distinct addresses 127.0.0.2 .. 127.0.0.(H+1) (default 20)
#   --port-base P        listener i gets port P + i/H; 0: ephemeral ports; default: just
#                        below the ephemeral range (see README.md, "Ports")
#   --bin DIR            where runwarden, rw-demo-runner and tests/bare_prober are
#                        (default build/release)
#   --concurrency N      `runwarden serve --max-concurrency` and the bare prober's
#                        (default: the daemon's default, and 4096 for the bare prober)
#   --exporter-rate R    blackbox exporter probes/s to aim at (default N/interval; 0: flat out)
#   --exporter-conns C   concurrent requests to the exporter (default 16)
#   --no-exporter        skip the blackbox exporter
#   --no-bare            skip the bare prober
#   --pin                pin the probers to CPU 0, the listeners and wrk to CPU 1
#   --keep               keep the temporary folder (database, logs, metrics)
#   --help               print this and exit
# Prints a table (median, min-max over the runs), the ratios
# `ratio runwarden/bare` and `ratio runwarden/blackbox`, and one `summary:`
# line of key=value pairs (medians). Not part of ctest (a smoke test runs it
# small). Only loopback addresses are used. Everything it starts is stopped on
# exit (also on Ctrl-C or an error).
set -euo pipefail

runners= interval=10 duration=30 runs=3 https=0 listener= ports=100 nginx_workers=1 hosts=20
port_base=auto bin=build/release concurrency= exp_rate= exp_conns=16 exporter=1 bare=1 keep=0 pin=0

die() { echo "probe_bench: $*" >&2; exit 2; }
num() { case "$2" in '' | *[!0-9]*) die "$1: \"$2\" is not a whole number" ;; esac; }
while [ $# -gt 0 ]; do
	case "$1" in
	--runners) runners=${2-}; num "$1" "$runners"; shift 2 ;;
	--interval) interval=${2-}; num "$1" "$interval"; shift 2 ;;
	--duration) duration=${2-}; num "$1" "$duration"; shift 2 ;;
	--runs) runs=${2-}; num "$1" "$runs"; shift 2 ;;
	--https) https=1; shift ;;
	--listener) listener=${2-}; case "$listener" in demo | nginx) ;; *) die "--listener: \"$listener\" is not demo or nginx" ;; esac; shift 2 ;;
	--ports) ports=${2-}; num "$1" "$ports"; shift 2 ;;
	--nginx-workers) nginx_workers=${2-}; num "$1" "$nginx_workers"; shift 2 ;;
	--hosts) hosts=${2-}; num "$1" "$hosts"; shift 2 ;;
	--port-base) port_base=${2-}; [ "$port_base" = auto ] || num "$1" "$port_base"; shift 2 ;;
	--bin) bin=${2:?--bin needs a folder}; shift 2 ;;
	--concurrency) concurrency=${2-}; num "$1" "$concurrency"; shift 2 ;;
	--exporter-rate) exp_rate=${2-}; num "$1" "$exp_rate"; shift 2 ;;
	--exporter-conns) exp_conns=${2-}; num "$1" "$exp_conns"; shift 2 ;;
	--no-exporter) exporter=0; shift ;;
	--no-bare) bare=0; shift ;;
	--keep) keep=1; shift ;;
	--pin) pin=1; shift ;;
	-h | --help) sed -n '3,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
: "${runners:=$([ $https = 1 ] && echo 1000 || echo 10000)}"
: "${listener:=$([ $https = 1 ] && echo nginx || echo demo)}"
[ "$runners" -ge 1 ] || die "--runners must be at least 1"
[ "$interval" -ge 1 ] || die "--interval must be at least 1"
[ "$duration" -ge 1 ] || die "--duration must be at least 1"
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
[ "$hosts" -ge 1 ] && [ "$hosts" -le 250 ] || die "--hosts must be in 1..250"
[ "$exp_conns" -ge 1 ] || die "--exporter-conns must be at least 1"
[ "$nginx_workers" -ge 1 ] || die "--nginx-workers must be at least 1"
[ $https = 0 ] || [ "$listener" = nginx ] || die "--https needs --listener nginx (rw-demo-runner speaks HTTP only)"
# Listeners: one per runner (demo), or --ports of them (nginx).
if [ "$listener" = nginx ]; then
	[ "$ports" -ge 1 ] || die "--ports must be at least 1"
	[ "$ports" -le "$runners" ] || ports=$runners
	n_listen=$ports
else
	n_listen=$runners
fi
[ "$hosts" -le "$n_listen" ] || hosts=$n_listen
# Listeners on ports outside the ephemeral range: a listening port is never
# handed out by connect(), so 10,000 listeners inside the range make every
# probe's connect() search past them (~20 % of the prober's CPU, all of it an
# artefact of having the runners on the same host).
ports_per_host=$(( (n_listen + hosts - 1) / hosts ))
eph_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
if [ "$port_base" = auto ]; then
	port_base=$((eph_low - ports_per_host - 16))
	[ $port_base -ge 1024 ] || port_base=0
fi
[ $((port_base + ports_per_host)) -le 65535 ] || die "--port-base $port_base: ports beyond 65535"
[ "$listener" = demo ] || [ "$port_base" -gt 0 ] || die "--listener nginx needs fixed ports (--port-base > 0)"
: "${exp_rate:=$(( (runners + interval / 2) / interval ))}"

# --bin relative to the current folder, else to the repository root.
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$bin/runwarden" ] && [ -x "$top/$bin/runwarden" ]; then bin="$top/$bin"; fi
bin=$(cd "$bin" 2>/dev/null && pwd) || die "--bin: no folder $bin"
rw="$bin/runwarden" demo="$bin/rw-demo-runner" bare_bin="$bin/tests/bare_prober"
[ -x "$rw" ] || die "no runwarden in $bin (build it: cmake --build $bin --target runwarden)"
[ "$listener" = nginx ] || [ -x "$demo" ] || die "no rw-demo-runner in $bin (cmake --build $bin --target rw-demo-runner)"
[ $bare = 0 ] || [ -x "$bare_bin" ] || die "no tests/bare_prober in $bin (cmake --build $bin --target bare_prober; or --no-bare)"
command -v curl >/dev/null || die "curl is needed"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ "$listener" = demo ] || [ -x "$nginx_bin" ] || die "--listener nginx needs nginx (apt-get install nginx)"
if [ $https = 1 ]; then
	command -v openssl >/dev/null || die "--https needs openssl"
	command -v unshare >/dev/null || die "--https needs unshare (util-linux)"
	# runwarden trusts the system CA bundle for probes; the test CA is added
	# to a copy bind-mounted over it in runwarden's own mount namespace.
	unshare -m true 2>/dev/null || die "--https needs a mount namespace (unshare -m: run as root)"
fi
sys_bundle=/etc/ssl/certs/ca-certificates.crt
exporter_bin=/usr/bin/prometheus-blackbox-exporter
[ -x "$exporter_bin" ] || exporter=0

# File descriptors: one per listener, one per probe in flight. The soft limit
# goes to the hard one; demo listeners are split over as many processes as
# the hard limit needs.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576
per_proc=$((nofile - 1024))
[ "$per_proc" -ge 256 ] || die "ulimit -n is $nofile: too low"
nprocs=$(( (n_listen + per_proc - 1) / per_proc ))
per_proc=$(( (n_listen + nprocs - 1) / nprocs ))
if [ -n "$concurrency" ] && [ "$concurrency" -gt $((nofile - 256)) ]; then
	die "--concurrency $concurrency needs more than ulimit -n ($nofile) descriptors"
fi

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
# utime+stime of a process (every thread), in clock ticks; with children
# that were reaped (nginx workers are not: they are counted one by one).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0; }
cpu_ticks_sum() { local t=0 p c; for p in "$@"; do c=$(cpu_ticks "$p"); t=$((t + ${c:-0})); done; echo $t; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
now_s() { date +%s.%N; }
sys_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
sys_steal() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
io_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }
scheme=$([ $https = 1 ] && echo https || echo http)

# ---- test CA and certificate (--https) ----------------------------------------
if [ $https = 1 ]; then
	san="IP:127.0.0.1"
	for ((h = 0; h < hosts; h++)); do san+=",IP:127.0.0.$((2 + h))"; done
	(
		cd "$tmp"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=probe_bench test CA" -keyout ca.key -out ca.pem
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=probe_bench listener" -keyout server.key -out server.csr
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >ext.cnf
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile ext.cnf -out server.pem
		cat "$sys_bundle" ca.pem >bundle.pem 2>/dev/null || cp ca.pem bundle.pem
	) >"$tmp/openssl.log" 2>&1 || die "openssl failed (see $tmp/openssl.log)"
fi

# ---- listeners ------------------------------------------------------------------
listener_pids=()
: >"$tmp/addrs.txt"
if [ "$listener" = demo ]; then
	echo "== $n_listen listeners on $hosts addresses (127.0.0.2..127.0.0.$((hosts + 1))), $nprocs rw-demo-runner process(es)" >&2
	for ((p = 0; p < nprocs; p++)); do
		args=()
		from=$((p * per_proc)) to=$(((p + 1) * per_proc))
		[ $to -le "$n_listen" ] || to=$n_listen
		for ((i = from; i < to; i++)); do
			args+=(--listen "127.0.0.$((2 + i % hosts)):$((port_base ? port_base + i / hosts : 0))" ok)
		done
		$(on_cpu 1) "$demo" "${args[@]}" >"$tmp/demo$p.out" 2>"$tmp/demo$p.log" &
		pids+=($!) listener_pids+=($!)
	done
	for ((p = 0; p < nprocs; p++)); do
		wait_line "$tmp/demo$p.out" '^\[' 60 || die "rw-demo-runner did not start (see $tmp/demo$p.log)"
		head -n1 "$tmp/demo$p.out" | tr -d '[]"' | tr ',' '\n' >>"$tmp/addrs.txt"
	done
	awk -v s="$scheme" '{ printf "%s://%s/health\n", s, $1 }' "$tmp/addrs.txt" >"$tmp/urls.txt"
else
	echo "== nginx ($nginx_workers worker(s)) on $n_listen $scheme ports over $hosts addresses, $runners runners told apart by path" >&2
	for ((i = 0; i < n_listen; i++)); do echo "127.0.0.$((2 + i % hosts)):$((port_base + i / hosts))"; done >"$tmp/addrs.txt"
	mkdir -p "$tmp/nginx"
	{
		echo "worker_processes $nginx_workers;"
		echo "worker_rlimit_nofile $nofile;"
		echo "pid $tmp/nginx/nginx.pid;"
		echo "error_log $tmp/nginx/error.log warn;"
		echo "events { worker_connections 65536; }"
		echo "http {"
		echo "  access_log off; keepalive_timeout 0;"
		for d in client_body proxy fastcgi uwsgi scgi; do echo "  ${d}_temp_path $tmp/nginx/$d;"; done
		echo "  server {"
		while read -r a; do echo "    listen $a$([ $https = 1 ] && echo ' ssl') backlog=4096;"; done <"$tmp/addrs.txt"
		if [ $https = 1 ]; then
			# A full handshake per probe: no session resumption.
			echo "    ssl_certificate $tmp/server.pem; ssl_certificate_key $tmp/server.key;"
			echo "    ssl_session_cache off; ssl_session_tickets off;"
		fi
		echo "    default_type application/json;"
		echo "    location / { return 200 '{\"busy\":false,\"version\":\"bench\"}'; }"
		echo "  }"
		echo "}"
	} >"$tmp/nginx.conf"
	$(on_cpu 1) "$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp/nginx" -e "$tmp/nginx/error.log" \
		-g 'daemon off;' >"$tmp/nginx.out" 2>&1 &
	pids+=($!) listener_pids+=($!)
	first=$(head -n1 "$tmp/addrs.txt")
	ca_opt=()
	[ $https = 0 ] || ca_opt=(--cacert "$tmp/ca.pem")
	for _ in $(seq 100); do
		curl -fsS -m 2 -o /dev/null "${ca_opt[@]}" "$scheme://$first/health" 2>/dev/null && break
		sleep 0.1
	done
	curl -fsS -m 2 -o /dev/null "${ca_opt[@]}" "$scheme://$first/health" ||
		die "nginx does not answer on $scheme://$first/health (see $tmp/nginx/error.log, $tmp/nginx.out)"
	# Its workers: their CPU is the listener's.
	sleep 0.2
	for w in $(pgrep -P "${listener_pids[0]}" || true); do listener_pids+=("$w"); done
	awk -v s="$scheme" -v n="$runners" '{ a[NR - 1] = $1 } END {
		for (i = 0; i < n; i++) printf "%s://%s/health/%d\n", s, a[i % NR], i }' "$tmp/addrs.txt" >"$tmp/urls.txt"
fi
n_urls=$(sort -u "$tmp/urls.txt" | wc -l)
[ "$n_urls" -eq "$runners" ] || die "expected $runners distinct URLs, got $n_urls"

# ---- database, runners, policy --------------------------------------------------
db="$tmp/bench.db" policy="$tmp/policy.json"
timeout_ms=$((interval * 1000 < 2000 ? interval * 1000 : 2000))
cat >"$policy" <<EOF
{ "version": 1, "probe": { "interval_s": $interval, "timeout_ms": $timeout_ms, "failures_to_down": 3 } }
EOF
"$rw" policy check "$policy" >/dev/null
"$rw" operator add bench --email bench@example.org --db "$db" >/dev/null
awk 'BEGIN { printf "[" }
     { printf "%s\n{\"operator\":\"bench\",\"name\":\"bench-%06d\",\"targets\":[\"riscv64gc-unknown-linux-gnu\"],\"url\":\"%s\"}",
              (NR > 1 ? "," : ""), NR, $1 }
     END { print "]" }' "$tmp/urls.txt" >"$tmp/runners.json"
"$rw" runner import "$tmp/runners.json" --db "$db" --allow-cidr 127.0.0.0/8 >/dev/null
rate=$(awk -v n="$runners" -v i="$interval" 'BEGIN { printf "%g", n / i }')

declare -A R # R[run,key]
snapshot() { # $1: name — metrics, CPU ticks and time
	# 120 s: at 100,000 runners the body is ~64 MB.
	curl -fsS -m 120 "$api/metrics" >"$tmp/metrics.$1" || die "GET $api/metrics failed"
	eval "t_$1=\$(now_s) rw_cpu_$1=\$(cpu_ticks $rw_pid) demo_cpu_$1=\$(cpu_ticks_sum ${listener_pids[*]})"
	eval "sys_$1=\$(sys_busy) steal_$1=\$(sys_steal) wchar_$1=\$(io_field $rw_pid wchar) wbytes_$1=\$(io_field $rw_pid write_bytes)"
}

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
		printf "missed=%.0f\n", expected - done
		printf "missed_pct=%.3f\n", 100 * (expected - done) / expected
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
		printf "probe_handles=%d\n", b["runwarden_probe_handles"]
		printf "writer_dropped=%d\n", b["runwarden_writer_dropped_total"] - a["runwarden_writer_dropped_total"]
		printf "loop_lag_max_s=%s\n", b["runwarden_loop_lag_max_seconds"]
		printf "loop_lag_window_max_s=%s\n", maxb("runwarden_loop_lag_seconds")
	}' "$tmp/metrics.a" "$tmp/metrics.b"
}

# ---- runwarden ---------------------------------------------------------------------
run_runwarden() { # $1: run number
	local k=$1 key val
	local serve_args=(serve --db "$db" --policy "$policy" --listen 127.0.0.1:0 --allow-cidr 127.0.0.0/8 --log-level warn)
	[ -z "$concurrency" ] || serve_args+=(--max-concurrency "$concurrency")
	if [ $https = 1 ]; then
		# Its own mount namespace, the bundle with the test CA over the
		# system's; `exec` keeps the pid.
		$(on_cpu 0) unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$tmp/bundle.pem" "$sys_bundle" \
			"$rw" "${serve_args[@]}" >"$tmp/serve$k.out" 2>"$tmp/serve$k.log" &
	else
		$(on_cpu 0) "$rw" "${serve_args[@]}" >"$tmp/serve$k.out" 2>"$tmp/serve$k.log" &
	fi
	rw_pid=$!
	pids+=($rw_pid)
	wait_line "$tmp/serve$k.out" '^listening on http://' 60 || die "runwarden serve did not start (see $tmp/serve$k.log)"
	api=$(sed -n 's/^listening on //p' "$tmp/serve$k.out" | head -n1)
	echo "== run $k/$runs: runwarden (pid $rw_pid): $runners runners every ${interval}s = $rate probes/s; warm-up ${interval}s, measure ${duration}s" >&2
	sleep "$interval"
	kill -0 $rw_pid 2>/dev/null || die "runwarden exited during warm-up (see $tmp/serve$k.log)"
	# Before any scrape: rendering every runner's /metrics series takes a
	# buffer of ~640 bytes a runner, which the peak below includes.
	R[$k,rss_prescrape_mb]=$(awk -v k="$(status_kb $rw_pid VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')
	snapshot a
	sleep "$duration"
	kill -0 $rw_pid 2>/dev/null || die "runwarden exited during the run (see $tmp/serve$k.log)"
	snapshot b
	R[$k,rss_peak_mb]=$(awk -v k="$(status_kb $rw_pid VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')
	stop_pid $rw_pid
	cp "$tmp/metrics.a" "$tmp/metrics$k.a"
	cp "$tmp/metrics.b" "$tmp/metrics$k.b"
	while IFS== read -r key val; do R[$k,$key]=$val; done < <(read_metrics)
}

# ---- the bare prober ----------------------------------------------------------------
run_bare() { # $1: run number
	local k=$1 args=(--urls "$tmp/urls.txt" --interval "$interval" --duration "$duration" --timeout-ms "$timeout_ms")
	[ -z "$concurrency" ] || args+=(--max-concurrency "$concurrency")
	[ $https = 0 ] || args+=(--cacert "$tmp/bundle.pem")
	echo "== run $k/$runs: bare prober: the same URLs and schedule; warm-up ${interval}s, measure ${duration}s" >&2
	local l0 l1 line
	l0=$(cpu_ticks_sum "${listener_pids[@]}")
	$(on_cpu 0) "$bare_bin" "${args[@]}" >"$tmp/bare$k.out" 2>"$tmp/bare$k.log" &
	local bp=$!
	pids+=($bp)
	sleep "$interval"
	l0=$(cpu_ticks_sum "${listener_pids[@]}")
	wait $bp || die "the bare prober failed (see $tmp/bare$k.log)"
	l1=$(cpu_ticks_sum "${listener_pids[@]}")
	line=$(grep '^bare:' "$tmp/bare$k.out") || die "the bare prober printed no result (see $tmp/bare$k.log)"
	for kv in ${line#bare: }; do R[$k,bare_${kv%%=*}]=${kv#*=}; done
	R[$k,bare_demo_cpu_us_per_probe]=$(awk -v d=$((l1 - l0)) -v t="$clk_tck" -v n="${R[$k,bare_probes]}" \
		'BEGIN { printf "%.1f", (n ? d / t * 1e6 / n : 0) }')
	R[$k,ratio_bare]=$(awk -v a="${R[$k,cpu_us_per_probe]}" -v b="${R[$k,bare_cpu_us_per_probe]}" \
		'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
}

# ---- prometheus-blackbox-exporter ---------------------------------------------------
exp_port=
start_exporter() {
	cat >"$tmp/blackbox.yml" <<EOF
modules:
  probe:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: $tmp/$([ $https = 1 ] && echo ca.pem || echo none.pem)
EOF
	[ $https = 1 ] || sed -i '/tls_config/,$d' "$tmp/blackbox.yml"
	local lo=20000 hi=$eph_low c
	[ $port_base -gt 0 ] && [ $port_base -lt $eph_low ] && hi=$port_base
	[ $hi -gt $((lo + 100)) ] || lo=$((hi > 1124 ? hi - 100 : 1024))
	for _ in $(seq 50); do
		c=$((lo + RANDOM % (hi - lo)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$c") 2>/dev/null; then exp_port=$c; break; fi
	done
	[ -n "$exp_port" ] || die "no free port for the blackbox exporter"
	$(on_cpu 0) "$exporter_bin" --config.file="$tmp/blackbox.yml" --web.listen-address="127.0.0.1:$exp_port" \
		--log.level=warn >"$tmp/exporter.out" 2>"$tmp/exporter.log" &
	exp_pid=$!
	pids+=($exp_pid)
	for _ in $(seq 100); do curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$exp_port/metrics" 2>/dev/null && break; sleep 0.1; done
	curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$exp_port/metrics" || die "the blackbox exporter did not start (see $tmp/exporter.log)"
}

drive() { # $1: seconds; prints "requests=N success=M"
	local delay_ms=0
	if [ "$exp_rate" -gt 0 ]; then
		delay_ms=$(( exp_conns * 1000 / exp_rate - 1 ))
		[ $delay_ms -ge 0 ] || delay_ms=0
	fi
	if command -v wrk >/dev/null; then
		cat >"$tmp/rotate.lua" <<EOF
local targets = {}
for line in io.lines("$tmp/urls.txt") do targets[#targets + 1] = line end
i, ok, bad = 0, 0, 0 -- globals: done() reads them with thread:get
function init(args) i = math.random(#targets) end
function request()
  i = i % #targets + 1
  return wrk.format("GET", "/probe?module=probe&target=" .. targets[i])
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
			-s "$tmp/rotate.lua" "http://127.0.0.1:$exp_port/" >"$tmp/wrk.out" 2>&1 || true
		grep '^requests=' "$tmp/wrk.out" || echo "requests=0 success=0"
	else # xargs + curl: as fast as it goes, bounded by count and time
		local want=$(( exp_rate > 0 ? exp_rate * $1 : 2000 * $1 ))
		awk -v n="$want" -v p="$exp_port" '{ t[NR] = $1 } END { for (i = 0; i < n; i++)
			printf "http://127.0.0.1:%s/probe?module=probe&target=%s\n", p, t[i % NR + 1] }' \
			"$tmp/urls.txt" >"$tmp/expurls.txt"
		timeout -k 5 $(($1 * 3 + 30)) xargs -P "$exp_conns" -n 50 \
			curl -s -m 5 >"$tmp/curl.out" <"$tmp/expurls.txt" 2>/dev/null || true
		echo "requests=$(grep -c '^probe_success' "$tmp/curl.out" || true) success=$(grep -c '^probe_success 1' "$tmp/curl.out" || true)"
	fi
}

run_exporter() { # $1: run number
	local k=$1 line e_t0 e_t1 e_cpu0 e_cpu1 e_l0 e_l1 e_sys0 e_sys1
	start_exporter
	echo "== run $k/$runs: blackbox exporter (pid $exp_pid): aim $exp_rate probes/s, $exp_conns connections; warm-up 5s, measure ${duration}s" >&2
	drive 5 >/dev/null
	e_t0=$(now_s) e_cpu0=$(cpu_ticks $exp_pid) e_l0=$(cpu_ticks_sum "${listener_pids[@]}") e_sys0=$(sys_busy)
	line=$(drive "$duration")
	e_t1=$(now_s) e_cpu1=$(cpu_ticks $exp_pid) e_l1=$(cpu_ticks_sum "${listener_pids[@]}") e_sys1=$(sys_busy)
	R[$k,exp_rss_peak_mb]=$(awk -v k="$(status_kb $exp_pid VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')
	stop_pid $exp_pid
	local n ok
	n=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
	ok=$(sed 's/.*success=\([0-9]*\).*/\1/' <<<"$line")
	R[$k,exp_probes]=$n
	R[$k,exp_ok]=$ok
	eval "$(awk -v k="$k" -v a="$e_t0" -v b="$e_t1" -v c=$((e_cpu1 - e_cpu0)) -v d=$((e_l1 - e_l0)) \
		-v n="$n" -v t="$clk_tck" -v rw="${R[$k,cpu_us_per_probe]}" \
		-v busy=$((e_sys1 - e_sys0)) 'BEGIN {
		el = b - a
		o = busy - c - d # the driver (wrk or curl) and anything else
		printf "R[%s,exp_other_cpu_pct]=%.1f ", k, (o > 0 ? 100 * o / t / el : 0)
		printf "R[%s,exp_probes_per_s]=%.0f ", k, n / el
		printf "R[%s,exp_cpu_pct]=%.1f R[%s,exp_cpu_us_per_probe]=%.1f ", k, 100 * c / t / el, k, n ? c / t * 1e6 / n : 0
		printf "R[%s,exp_demo_cpu_us_per_probe]=%.1f ", k, n ? d / t * 1e6 / n : 0
		printf "R[%s,ratio_exp]=%.3f\n", k, n && c ? rw / (c / t * 1e6 / n) : 0 }')"
}

for ((k = 1; k <= runs; k++)); do
	run_runwarden $k
	[ $bare = 0 ] || run_bare $k
	[ $exporter = 0 ] || run_exporter $k
done

# ---- report --------------------------------------------------------------------------
# med KEY: "median (min-max)" over the runs, or the one value; numbers only,
# else the values joined by "/".
med() {
	local k vals=()
	for ((k = 1; k <= runs; k++)); do vals+=("${R[$k,$1]-n/a}"); done
	printf '%s\n' "${vals[@]}" | awk -v unit="${2-}" -v scale="${3-1}" '
		{ v[NR] = $1; if ($1 !~ /^-?[0-9.]+$/) text = 1 }
		END {
			if (text) { s = v[1]; for (i = 2; i <= NR; i++) s = s " / " v[i]; print s; exit }
			for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			if (NR == 1) printf "%g%s\n", m * scale, unit
			else printf "%g%s (%g-%g)\n", m * scale, unit, v[1] * scale, v[NR] * scale
		}'
}
medv() { med "$1" | awk '{ print $1 }'; } # the median alone
row() { printf '| %-38s | %-30s | %-14s |\n' "$1" "$2" "$3"; }
echo
echo "runwarden probe benchmark: $runners runners ($scheme, listener $listener), interval ${interval}s, ${duration}s measured, $runs run(s): median (min-max) ($(nproc) CPUs, $(uname -r))"
echo
row metric "value" target
row -------------------------------------- ------------------------------ --------------
row "probes/s (nominal $rate)" "$(med probes_per_s)" ""
row "CPU per probe, runwarden (us)" "$(med cpu_us_per_probe)" ""
row "CPU use, runwarden (% of one core)" "$(med cpu_pct)" ""
row "peak RSS, runwarden (MB)" "$(med rss_peak_mb)" ""
row "  the same before any /metrics scrape" "$(med rss_prescrape_mb)" ""
row "probe handles at the end (pooled)" "$(med probe_handles)" ""
row "lateness p50 (ms, bucket bound)" "$(med lateness_p50_s '' 1000)" ""
row "lateness p99 (ms, bucket bound)" "$(med lateness_p99_s '' 1000)" "< 100"
row "lateness max (ms, bucket bound)" "$(med lateness_max_s '' 1000)" ""
row "probe latency p50 / p99 (s)" "$(medv latency_p50_s) / $(medv latency_p99_s)" ""
row "missed (expected - done)" "$(med missed)" "0 (+- edges)"
row "skipped / deferred slots" "$(medv skipped) / $(medv deferred)" "0 / 0"
row "failures by class" "$(med failures)" "none"
row "writer queue at end / dropped" "$(medv writer_queue_end) / $(medv writer_dropped)" "small / 0"
row "loop lag max in window (s)" "$(med loop_lag_window_max_s)" ""
row "listener CPU per probe (us)" "$(med demo_cpu_us_per_probe)" ""
row "bytes written / probe (write, disk)" "$(medv written_b_per_probe) / $(medv disk_b_per_probe)" ""
row "other CPU on the box / steal (%)" "$(medv other_cpu_pct) / $(medv steal_pct)" "~0 (noise)"
if [ $bare = 1 ]; then
	row "bare prober probes/s (ok)" "$(med bare_probes_per_s) ($(medv bare_ok) ok)" ""
	row "CPU per probe, bare prober (us)" "$(med bare_cpu_us_per_probe)" ""
	row "peak RSS, bare prober (MB)" "$(med bare_rss_peak_mb)" ""
	row "bare skipped / deferred" "$(medv bare_skipped) / $(medv bare_deferred)" ""
fi
if [ $exporter = 1 ]; then
	row "blackbox exporter probes/s" "$(med exp_probes_per_s)" ""
	row "blackbox probes ok / done" "$(medv exp_ok) / $(medv exp_probes)" ""
	row "CPU per probe, blackbox (us)" "$(med exp_cpu_us_per_probe)" ""
	row "peak RSS, blackbox (MB)" "$(med exp_rss_peak_mb)" ""
	row "other CPU during it, incl. wrk (%)" "$(med exp_other_cpu_pct)" ""
fi
echo
[ $bare = 0 ] || echo "ratio runwarden/bare: $(med ratio_bare) (CPU per probe; target <= 1.10)"
if [ $exporter = 1 ]; then
	echo "ratio runwarden/blackbox: $(med ratio_exp) (CPU per probe; target $([ $https = 1 ] && echo '<= 0.333' || echo '<= 0.125'))"
fi
summary="summary: runs=$runs https=$https runners=$runners interval=$interval"
keys=$(for kk in "${!R[@]}"; do echo "${kk#*,}"; done | sort -u)
for key in $keys; do summary+=" $key=$(medv "$key")"; done
echo "$summary"
