#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_route_matrix.sh — contrib/github-actions/route-matrix.sh against a fake
# `runwarden` that prints canned route answers and exit codes, so that the
# matrix logic of the GitHub Actions example is tested without GitHub or a
# daemon. The script under test runs with /bin/sh (dash on Debian), as it
# must stay POSIX.
#
# usage: test_route_matrix.sh SOURCE_DIR   (ctest: route_matrix)
set -euo pipefail

src=${1:?usage: test_route_matrix.sh SOURCE_DIR}
script=$src/contrib/github-actions/route-matrix.sh
command -v jq >/dev/null || {
	echo "FAIL: jq is not installed (apt-get install jq; contrib/check.sh does it)" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fake: `runwarden route TARGET --json [--server URL]` prints
# $FAKE/TARGET.json and exits with $FAKE/TARGET.rc (1 with a message when
# there is no such file: the daemon cannot be reached). Every call is logged.
mkdir "$tmp/bin" "$tmp/fake"
cat >"$tmp/bin/runwarden" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE/calls"
[ "$1" = route ] && [ "$3" = --json ] || { echo "fake runwarden: bad call: $*" >&2; exit 2; }
if [ ! -f "$FAKE/$2.rc" ]; then
	echo "runwarden: cannot ask http://fake/v1/route?target=$2: Couldn't connect to server" >&2
	exit 1
fi
cat "$FAKE/$2.json" 2>/dev/null
exit "$(cat "$FAKE/$2.rc")"
EOF
chmod +x "$tmp/bin/runwarden"
export FAKE=$tmp/fake PATH=$tmp/bin:$PATH
unset RUNWARDEN RUNWARDEN_URL RUNWARDEN_CACERT GITHUB_OUTPUT GITHUB_STEP_SUMMARY

RV=riscv64gc-unknown-linux-gnu
S3=s390x-unknown-linux-gnu
PP=powerpc64le-unknown-linux-gnu
AR=armv7-unknown-linux-gnueabihf

# Canned answers, in the shape the daemon gives (monitor/api/api.c handle_route).
cat >"$FAKE/$RV.json" <<EOF
{"target":"$RV","eligible":[{"id":4,"name":"rv-fast","operator":"acme","state":"up","since":"2026-10-01T00:00:00Z","uptime":0.999,"latency_ms":1.2,"busy":false},{"id":2,"name":"rv-slow","operator":"acme","state":"up","since":"2026-10-01T00:00:00Z","uptime":0.995,"busy":false}],"excluded":[{"id":9,"name":"rv-new","operator":"beta","reason":"probation","since":"2026-10-30T00:00:00Z"}]}
EOF
echo 0 >"$FAKE/$RV.rc"
cat >"$FAKE/$S3.json" <<EOF
{"target":"$S3","eligible":[],"excluded":[{"id":5,"name":"z1","operator":"ibm","reason":"down","since":"2026-10-31T10:00:00Z","detail":"last probe: timeout"},{"id":6,"name":"z2","operator":"ibm","reason":"down","since":"2026-10-31T10:00:00Z"},{"id":7,"name":"z3","operator":"ibm","reason":"flagged","since":"2026-10-20T00:00:00Z","detail":"uptime 0.962 < floor 0.99"}]}
EOF
echo 3 >"$FAKE/$S3.rc"
cat >"$FAKE/$PP.json" <<EOF
{"target":"$PP","eligible":[{"id":11,"name":"p9","operator":"osu","state":"up","since":"2026-10-01T00:00:00Z","uptime":1,"busy":true}],"excluded":[]}
EOF
echo 0 >"$FAKE/$PP.rc"
# $AR has no answer: the fake cannot reach the daemon for it.

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# Runs the script; sets $out, $err, $rc.
run() {
	set +e
	out=$(sh "$script" "$@" 2>"$tmp/err")
	rc=$?
	set -e
	err=$(cat "$tmp/err")
}

# expect_json NAME JQ_FILTER: the filter, applied to $out, must print true.
expect_json() {
	local got
	got=$(jq -e "$2" <<<"$out" 2>&1) || true
	[ "$got" = true ] || fail "$1: $2 is not true; output: $out; stderr: $err"
}

expect_rc() {
	[ "$rc" -eq "$2" ] || fail "$1: exit $rc, want $2; stderr: $err"
}

# 1. Drop mode (default): the target with no eligible runner is left out.
: >"$FAKE/calls"
export GITHUB_OUTPUT=$tmp/gh_output GITHUB_STEP_SUMMARY=$tmp/gh_summary
: >"$GITHUB_OUTPUT"
: >"$GITHUB_STEP_SUMMARY"
run --server http://monitor.example:8080 "$RV" "$S3" "$PP=self-hosted,linux,ppc64le"
unset GITHUB_OUTPUT GITHUB_STEP_SUMMARY
expect_rc drop 0
expect_json drop '.include | length == 2'
expect_json drop '.include[0] == {"target":"'$RV'","runs_on":["self-hosted","'$RV'"],
                                  "eligible":2,"best":"rv-fast","optional":false}'
expect_json drop '.include[1] == {"target":"'$PP'","runs_on":["self-hosted","linux","ppc64le"],
                                  "eligible":1,"best":"p9","optional":false}'
expect_json drop '[.include[].target] | index("'$S3'") == null'
[ "$(wc -l <"$FAKE/calls")" -eq 3 ] || fail "drop: runwarden called $(wc -l <"$FAKE/calls") times"
grep -qx "route $S3 --json --server http://monitor.example:8080" "$FAKE/calls" ||
	fail "drop: --server not passed through: $(cat "$FAKE/calls")"
grep -q "$S3: none eligible" <<<"$err" || fail "drop: no stderr line for $S3: $err"
# The step outputs GitHub reads, one per line.
grep -qx "count=2" "$tmp/gh_output" || fail "drop: GITHUB_OUTPUT count: $(cat "$tmp/gh_output")"
m=$(sed -n 's/^matrix=//p' "$tmp/gh_output")
[ "$m" = "$out" ] || fail "drop: GITHUB_OUTPUT matrix differs from stdout: $m"
s=$(sed -n 's/^skipped=//p' "$tmp/gh_output")
[ "$(jq -c . <<<"$s")" = '[{"target":"'$S3'","excluded":{"down":2,"flagged":1}}]' ] ||
	fail "drop: skipped is $s"
grep -q "| \`$S3\` | dropped (none eligible) |" "$tmp/gh_summary" ||
	fail "drop: step summary: $(cat "$tmp/gh_summary")"

# 2. --optional: kept, marked optional, for continue-on-error.
run --optional "$RV" "$S3"
expect_rc optional 0
expect_json optional '.include | length == 2'
expect_json optional '.include[1] == {"target":"'$S3'","runs_on":["self-hosted","'$S3'"],
                                      "eligible":0,"best":null,"optional":true}'
expect_json optional '.include[0].optional == false'

# 3. None eligible anywhere: an empty matrix and count=0, still exit 0.
export GITHUB_OUTPUT=$tmp/gh_output2
: >"$GITHUB_OUTPUT"
run "$S3"
unset GITHUB_OUTPUT
expect_rc none 0
expect_json none '. == {"include":[]}'
grep -qx "count=0" "$tmp/gh_output2" || fail "none: count: $(cat "$tmp/gh_output2")"

# 4. The daemon cannot be asked: fail (default), keep (fail open), drop.
run "$RV" "$AR"
expect_rc unreachable-fail 1
grep -q "Couldn't connect" <<<"$err" || fail "unreachable-fail: runwarden's error not shown: $err"
[ -z "$out" ] || fail "unreachable-fail: printed a matrix: $out"
run --if-unreachable keep "$RV" "$AR"
expect_rc unreachable-keep 0
expect_json unreachable-keep '.include[1] == {"target":"'$AR'","runs_on":["self-hosted","'$AR'"],
                                              "eligible":null,"best":null,"optional":false}'
run --if-unreachable=drop "$RV" "$AR"
expect_rc unreachable-drop 0
expect_json unreachable-drop '[.include[].target] == ["'$RV'"]'

# 5. Answers that contradict their exit status, or are not route answers.
mkdir -p "$tmp/fake2"
echo '{"target":"x","eligible":[],"excluded":[]}' >"$tmp/fake2/$RV.json"
echo 0 >"$tmp/fake2/$RV.rc"
echo 'not json' >"$tmp/fake2/$PP.json"
echo 0 >"$tmp/fake2/$PP.rc"
FAKE=$tmp/fake2 run "$RV"
expect_rc contradiction 1
grep -q "exited 0 with 0 eligible" <<<"$err" || fail "contradiction: message: $err"
FAKE=$tmp/fake2 run "$PP"
expect_rc not-json 1
grep -q "no route answer" <<<"$err" || fail "not-json: message: $err"

# 6. $RUNWARDEN names the command; $RUNWARDEN_URL is the default server.
: >"$FAKE/calls"
mv "$tmp/bin/runwarden" "$tmp/bin/rw-other"
RUNWARDEN=rw-other RUNWARDEN_URL=http://from-env:1 run "$PP"
mv "$tmp/bin/rw-other" "$tmp/bin/runwarden"
expect_rc env 0
grep -qx "route $PP --json --server http://from-env:1" "$FAKE/calls" ||
	fail "env: calls: $(cat "$FAKE/calls")"

# 6b. A private CA: --cacert FILE, or $RUNWARDEN_CACERT, reaches the CLI.
: >"$FAKE/calls"
run --server https://monitor.example --cacert /etc/ssl/private-ca.pem "$PP"
expect_rc cacert 0
grep -qx "route $PP --json --server https://monitor.example --cacert /etc/ssl/private-ca.pem" \
	"$FAKE/calls" || fail "cacert: calls: $(cat "$FAKE/calls")"
: >"$FAKE/calls"
RUNWARDEN_CACERT=/tmp/ca.pem run --cacert=/tmp/other.pem "$PP"
expect_rc cacert-flag-wins 0
grep -qx "route $PP --json --cacert /tmp/other.pem" "$FAKE/calls" ||
	fail "cacert-flag-wins: calls: $(cat "$FAKE/calls")"
: >"$FAKE/calls"
RUNWARDEN_CACERT=/tmp/ca.pem run "$PP"
grep -qx "route $PP --json --cacert /tmp/ca.pem" "$FAKE/calls" ||
	fail "cacert-env: calls: $(cat "$FAKE/calls")"
run --cacert
expect_rc cacert-missing-file 2

# 7. Usage errors exit 2.
run
expect_rc no-targets 2
run --if-unreachable maybe "$RV"
expect_rc bad-mode 2
run --bogus "$RV"
expect_rc bad-option 2
run "=self-hosted"
expect_rc empty-target 2

# 8. The workflow example calls the script and consumes its outputs.
wf=$src/contrib/github-actions/runwarden-matrix.yml
if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$wf" <<'EOF' || fail "workflow: $wf"
import sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
jobs = wf["jobs"]
route = jobs["route"]
steps = "\n".join(s.get("run", "") for s in route["steps"])
assert "route-matrix.sh" in steps, "the route job does not call route-matrix.sh"
assert set(route["outputs"]) >= {"matrix", "count", "skipped"}, route["outputs"]
build = jobs["build"]
assert build["needs"] == "route" and "count" in build["if"], build
assert "fromJSON(needs.route.outputs.matrix)" in build["strategy"]["matrix"], build
assert build["runs-on"] == "${{ matrix.runs_on }}", build["runs-on"]
assert "matrix.optional" in str(build["continue-on-error"]), build
# A private CA's certificate reaches the script as $RUNWARDEN_CACERT.
route_step = [s for s in route["steps"] if "route-matrix.sh" in s.get("run", "")][0]
assert "RUNWARDEN_CA_PEM" in route_step.get("env", {}), route_step
assert "RUNWARDEN_CACERT" in route_step["run"], route_step["run"]
EOF
else
	fail "python3 with PyYAML is needed to check $wf (apt-get install python3-yaml)"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "route-matrix.sh: all checks passed"
