#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# quickstart.sh — installs what is missing, builds, and runs runwarden on a
# fresh demo database with three demo runners served by rw-demo-runner:
# "healthy" (always 200), "flaky" (flips between up and down every 20 s) and
# "down" (always 503). Prints where to look; Ctrl-C stops everything it
# started. Options:
#   --for SECONDS   stop by itself after SECONDS
#   --dir DIR       the demo folder (default ./runwarden-demo), made afresh;
#                   a folder that holds anything it did not make is refused
#   --port PORT     the API port (default 8470)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

run_for=0
dir="$top/runwarden-demo"
port=8470
while [ $# -gt 0 ]; do
	case "$1" in
	--for) run_for=${2:?--for needs SECONDS}; shift 2 ;;
	--dir) dir=${2:?--dir needs a folder}; shift 2 ;;
	--port) port=${2:?--port needs a number}; shift 2 ;;
	-h | --help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "quickstart: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
case "$run_for" in '' | *[!0-9]*) echo "quickstart: --for: \"$run_for\" is not a number of seconds" >&2; exit 2 ;; esac

# The demo folder is emptied and reused only when quickstart made it (its
# marker is there): a folder that holds anything else is somebody's.
marker=".runwarden-quickstart"
if [ -e "$dir" ] && { [ ! -d "$dir" ] || { [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -f "$dir/$marker" ]; }; }; then
	echo "quickstart: --dir: \"$dir\" exists and is not a demo folder quickstart made; give an empty or new folder" >&2
	exit 2
fi

. contrib/deps.sh
rw_install_deps

echo "== building (build/release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target runwarden rw-demo-runner >/dev/null
rw="$top/build/release/runwarden"
demo="$top/build/release/rw-demo-runner"

if [ -f "$dir/$marker" ]; then rm -rf "$dir"; fi
mkdir -p "$dir"
echo "made by contrib/quickstart.sh; it empties this folder on its next run" >"$dir/$marker"
db="$dir/runwarden.db"
export RUNWARDEN_DB="$db"

cat >"$dir/policy.json" <<'JSON'
{
  "version": 1,
  "uptime_floor": 0.99,
  "targets": { "riscv64gc-unknown-linux-gnu": 2, "s390x-unknown-linux-gnu": 2 },
  "probe": { "interval_s": 5, "timeout_ms": 2000, "failures_to_down": 2, "successes_to_up": 1 },
  "flagging": { "probation_days": 0, "restore_margin": 0.005 }
}
JSON

pids=()
cleanup() {
	trap - INT TERM EXIT
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM

# Three demo runners on loopback; the first output line names their ports.
"$demo" --listen 127.0.0.1:0 ok --listen 127.0.0.1:0 flip:20 --listen 127.0.0.1:0 fail \
	>"$dir/demo-runner.out" 2>"$dir/demo-runner.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/demo-runner.out" ] && break; sleep 0.1; done
mapfile -t addrs < <(head -n1 "$dir/demo-runner.out" | tr -d '[]"' | tr ',' '\n')
[ ${#addrs[@]} -eq 3 ] || { echo "quickstart: the demo runner did not start (see $dir/demo-runner.log)" >&2; exit 1; }

"$rw" operator add demo-ops --email ops@example.org >"$dir/operator.txt"
# Loopback passes the address guard only with --allow-cidr, here as for serve.
"$rw" runner add --operator demo-ops --name healthy --target riscv64gc-unknown-linux-gnu \
	--url "http://${addrs[0]}/health" --allow-cidr 127.0.0.0/8 >/dev/null
"$rw" runner add --operator demo-ops --name flaky --target riscv64gc-unknown-linux-gnu \
	--url "http://${addrs[1]}/health" --allow-cidr 127.0.0.0/8 >/dev/null
"$rw" runner add --operator demo-ops --name down --target s390x-unknown-linux-gnu \
	--url "http://${addrs[2]}/health" --allow-cidr 127.0.0.0/8 >/dev/null

# The admin's bearer token for the operator API, in a file only we read.
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/admin.token")
printf '{"admin_token_file": "%s"}\n' "$dir/admin.token" >"$dir/config.json"
"$rw" serve --policy "$dir/policy.json" --config "$dir/config.json" \
	--listen "127.0.0.1:$port" --allow-cidr 127.0.0.0/8 \
	>"$dir/serve.out" 2>"$dir/runwarden.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$dir/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$dir/serve.out" || { echo "quickstart: runwarden did not start:" >&2; tail -n 5 "$dir/runwarden.log" >&2; exit 1; }
api="http://127.0.0.1:$port"

cat <<TXT

runwarden is running on $api with three demo runners (demo folder: $dir)
  route query:   curl '$api/v1/route?target=riscv64gc-unknown-linux-gnu'
                 $rw route riscv64gc-unknown-linux-gnu --server $api
  availability:  curl -H "Authorization: Bearer \$(cat $dir/admin.token)" $api/v1/runners/2/availability
  operator API:  curl -H "Authorization: Bearer \$(cat $dir/admin.token)" $api/v1/runners
                 (the demo operator's own token is in $dir/operator.txt)
  metrics:       curl $api/metrics
  runners:       RUNWARDEN_DB=$db $rw runner list
  daemon log:    tail -f $dir/runwarden.log
Ctrl-C stops everything.$([ "$run_for" -gt 0 ] && echo " Stopping by itself in $run_for s.")
TXT

start=$(date +%s)
while :; do
	sleep 10
	echo
	echo "== $(date -u +%H:%M:%S) route riscv64gc-unknown-linux-gnu"
	"$rw" route riscv64gc-unknown-linux-gnu --server "$api" || true
	echo "== state changes so far"
	grep -c 'msg="state change"' "$dir/runwarden.log" || true
	grep 'msg="state change"' "$dir/runwarden.log" | tail -n 3 | sed 's/^/  /'
	if [ "$run_for" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$run_for" ]; then
		echo
		echo "stopping after $run_for s"
		break
	fi
	kill -0 "${pids[1]}" 2>/dev/null || { echo "runwarden exited; see $dir/runwarden.log" >&2; exit 1; }
done
