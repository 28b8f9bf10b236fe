#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_probe_bench_smoke.sh — keeps tests/bench/probe_bench.sh from rotting:
# runs it tiny (a few runners, one round of a couple of seconds) over HTTP
# and over HTTPS, and checks that it ends well and prints its table, both
# ratio lines and the summary. It asserts no figure: the numbers of a run
# this short on a shared machine mean nothing.
#
# usage: test_probe_bench_smoke.sh SOURCE_DIR BUILD_DIR
# Needs what probe_bench.sh needs for all three probers and --https:
# prometheus-blackbox-exporter, nginx, openssl, and a mount namespace
# (root); contrib/check.sh installs the packages.
set -euo pipefail
src=${1:?usage: test_probe_bench_smoke.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_probe_bench_smoke.sh SOURCE_DIR BUILD_DIR}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() { echo "FAIL: $*" >&2; echo "---- output:" >&2; cat "$out" >&2; exit 1; }

[ -x /usr/bin/prometheus-blackbox-exporter ] ||
	fail "prometheus-blackbox-exporter is not installed (apt-get install prometheus-blackbox-exporter)"

for mode in http https; do
	args=(--bin "$build" --runners 24 --hosts 3 --interval 1 --duration 2 --runs 1
		--exporter-conns 2)
	[ $mode = http ] || args+=(--https --ports 6)
	echo "== probe_bench.sh ${args[*]}"
	bash "$src/tests/bench/probe_bench.sh" "${args[@]}" >"$out" 2>&1 ||
		fail "$mode: probe_bench.sh exited with $?"
	grep -q "^| CPU per probe, runwarden (us) " "$out" || fail "$mode: no runwarden row"
	grep -q "^| CPU per probe, bare prober (us) " "$out" || fail "$mode: no bare prober row"
	grep -q "^| CPU per probe, blackbox (us) " "$out" || fail "$mode: no blackbox row"
	grep -Eq '^ratio runwarden/bare: [0-9.]+ ' "$out" || fail "$mode: no runwarden/bare ratio"
	grep -Eq '^ratio runwarden/blackbox: [0-9.]+ ' "$out" || fail "$mode: no runwarden/blackbox ratio"
	grep -Eq "^summary: runs=1 https=$([ $mode = https ] && echo 1 || echo 0) " "$out" ||
		fail "$mode: no summary line"
	# Every prober's probes got answers (the listeners and the CA work):
	# the runwarden table's failures row says none.
	grep -Eq '^\| failures by class +\| none ' "$out" || fail "$mode: runwarden's probes failed"
	sed -n '/^ratio/p' "$out"
done
echo "ok"
