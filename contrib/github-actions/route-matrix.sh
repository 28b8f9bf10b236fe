#!/bin/sh
# SPDX-License-Identifier: MIT
# route-matrix.sh — turns `runwarden route TARGET --json` answers into a
# GitHub Actions job matrix: one entry per target that has an eligible
# runner; the others are dropped (default) or kept as optional entries.
#
# usage: route-matrix.sh [--server URL] [--cacert FILE] [--optional]
#                        [--if-unreachable fail|keep|drop] TARGET[=LABEL,LABEL...]...
#
# Each TARGET is a target triple; the job for it runs on the runner labels
# given after "=", by default "self-hosted,TARGET". For each target the
# script runs `runwarden route TARGET --json [--server URL] [--cacert FILE]`
# (the command is $RUNWARDEN, default "runwarden"; URL defaults to
# $RUNWARDEN_URL, else the CLI's own default) and reads its exit status:
# 0 some runner is eligible, 3 none is, anything else the daemon could not
# be asked.
#
#   --cacert FILE      the daemon serves https:// with a certificate from a
#                      private CA: trust the CA certificates in FILE (PEM;
#                      default $RUNWARDEN_CACERT)
#   --optional         keep targets with no eligible runner, marked
#                      "optional": true (for continue-on-error), instead of
#                      dropping them
#   --if-unreachable   when the daemon cannot be asked for a target: fail
#                      (default: exit 1, so that CI does not silently run
#                      nothing), keep it (as if eligible: fail open), or drop it
#
# Output: on stdout, one line of JSON, the matrix:
#   {"include":[{"target":T,"runs_on":[LABEL...],"eligible":N,"best":NAME,
#                "optional":false}, ...]}
# ("eligible" and "best" are null for a target kept while unreachable). When
# $GITHUB_OUTPUT is set, it also gets matrix=..., count=N (the number of
# entries) and skipped=[{"target":T,"excluded":{REASON:N,...}}, ...] (the
# targets dropped, with why their runners are excluded). When
# $GITHUB_STEP_SUMMARY is set, a Markdown table of the decisions is appended
# to it. A line per target goes to stderr.
#
# Exit status: 0 (also when the matrix is empty: check count), 1 an error
# (runwarden unreachable in fail mode, an answer that is not a route answer,
# jq missing), 2 a usage error. Needs jq.
set -u

prog=route-matrix.sh

usage() {
	cat >&2 <<'EOF'
usage: route-matrix.sh [--server URL] [--cacert FILE] [--optional]
                       [--if-unreachable fail|keep|drop] TARGET[=LABEL,LABEL...]...
EOF
	exit 2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

server=${RUNWARDEN_URL:-}
cacert=${RUNWARDEN_CACERT:-}
optional=false
unreachable=fail
rw=${RUNWARDEN:-runwarden}

while [ $# -gt 0 ]; do
	case $1 in
	--server)
		[ $# -ge 2 ] || usage
		server=$2
		shift 2
		;;
	--server=*)
		server=${1#*=}
		shift
		;;
	--cacert)
		[ $# -ge 2 ] || usage
		cacert=$2
		shift 2
		;;
	--cacert=*)
		cacert=${1#*=}
		shift
		;;
	--optional)
		optional=true
		shift
		;;
	--if-unreachable)
		[ $# -ge 2 ] || usage
		unreachable=$2
		shift 2
		;;
	--if-unreachable=*)
		unreachable=${1#*=}
		shift
		;;
	-h | --help)
		# The header comment, from its second line to the first line of code.
		sed -n '3,/^[^#]/s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	--)
		shift
		break
		;;
	-*)
		echo "$prog: unknown option $1" >&2
		usage
		;;
	*) break ;;
	esac
done
case $unreachable in
fail | keep | drop) ;;
*)
	echo "$prog: --if-unreachable: \"$unreachable\" is not fail, keep or drop" >&2
	usage
	;;
esac
[ $# -ge 1 ] || usage
command -v jq >/dev/null 2>&1 || die "jq is required (Debian/Ubuntu: apt-get install jq)"

tmp=$(mktemp -d) || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
: >"$tmp/entries" # one matrix entry (JSON) per line
: >"$tmp/skipped" # one skipped target (JSON) per line
: >"$tmp/summary" # Markdown rows

for spec in "$@"; do
	target=${spec%%=*}
	labels="self-hosted,$target"
	[ "$target" = "$spec" ] || labels=${spec#*=}
	if [ -z "$target" ] || [ -z "$labels" ]; then
		echo "$prog: \"$spec\": give TARGET or TARGET=LABEL,LABEL" >&2
		exit 2
	fi

	# The optional arguments, as positional parameters of a subshell (POSIX
	# sh has no arrays); the CLI reads $RUNWARDEN_CACERT too, but saying it
	# shows in the call.
	(
		set -- route "$target" --json
		[ -z "$server" ] || set -- "$@" --server "$server"
		[ -z "$cacert" ] || set -- "$@" --cacert "$cacert"
		exec "$rw" "$@"
	) >"$tmp/answer" 2>"$tmp/err"
	rc=$?

	case $rc in
	0 | 3)
		# The answer must be a route answer whose eligible list agrees
		# with the exit status.
		n=$(jq -e 'if (.eligible | type) == "array" and (.excluded | type) == "array"
		           then .eligible | length else error("not a route answer") end' \
			"$tmp/answer" 2>/dev/null) ||
			die "$target: runwarden route printed no route answer (exit $rc)"
		if { [ "$rc" -eq 0 ] && [ "$n" -eq 0 ]; } || { [ "$rc" -eq 3 ] && [ "$n" -ne 0 ]; }; then
			die "$target: runwarden route exited $rc with $n eligible runners"
		fi
		excluded=$(jq -c '.excluded | group_by(.reason)
		                  | map({key: .[0].reason, value: length}) | from_entries' \
			"$tmp/answer") || die "$target: cannot read the excluded runners"
		if [ "$rc" -eq 0 ]; then
			jq -c --arg t "$target" --arg l "$labels" \
				'{target: $t, runs_on: ($l | split(",")), eligible: (.eligible | length),
				  best: .eligible[0].name, optional: false}' "$tmp/answer" >>"$tmp/entries" ||
				die "$target: cannot build the matrix entry"
			best=$(jq -r '.eligible[0].name' "$tmp/answer")
			echo "$prog: $target: $n eligible (best: $best)" >&2
			decision="run ($n eligible)"
		elif [ "$optional" = true ]; then
			jq -nc --arg t "$target" --arg l "$labels" \
				'{target: $t, runs_on: ($l | split(",")), eligible: 0, best: null,
				  optional: true}' >>"$tmp/entries"
			echo "$prog: $target: none eligible $excluded: kept as optional" >&2
			decision="optional (none eligible)"
		else
			jq -nc --arg t "$target" --argjson e "$excluded" '{target: $t, excluded: $e}' \
				>>"$tmp/skipped"
			echo "$prog: $target: none eligible $excluded: dropped" >&2
			decision="dropped (none eligible)"
		fi
		;;
	*)
		echo "$prog: $target: runwarden route failed (exit $rc):" >&2
		sed 's/^/  /' "$tmp/err" >&2
		case $unreachable in
		fail) die "cannot ask runwarden about $target (see --if-unreachable)" ;;
		keep)
			jq -nc --arg t "$target" --arg l "$labels" \
				'{target: $t, runs_on: ($l | split(",")), eligible: null, best: null,
				  optional: false}' >>"$tmp/entries"
			decision="run (runwarden unreachable)"
			;;
		drop)
			jq -nc --arg t "$target" '{target: $t, excluded: {unreachable: 1}}' \
				>>"$tmp/skipped"
			decision="dropped (runwarden unreachable)"
			;;
		esac
		;;
	esac
	# shellcheck disable=SC2016 # the backquotes are Markdown, not a command
	printf '| `%s` | %s |\n' "$target" "$decision" >>"$tmp/summary"
done

matrix=$(jq -cs '{include: .}' "$tmp/entries") || die "cannot build the matrix"
count=$(jq -s 'length' "$tmp/entries") || die "cannot count the matrix"
skipped=$(jq -cs '.' "$tmp/skipped") || die "cannot list the skipped targets"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
	{
		echo "matrix=$matrix"
		echo "count=$count"
		echo "skipped=$skipped"
	} >>"$GITHUB_OUTPUT" || die "cannot write \$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	{
		echo "### runwarden: job matrix"
		echo
		echo "| target | decision |"
		echo "| --- | --- |"
		cat "$tmp/summary"
	} >>"$GITHUB_STEP_SUMMARY" || die "cannot write \$GITHUB_STEP_SUMMARY"
fi
echo "$matrix"
