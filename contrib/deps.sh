#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh — sourced by check.sh and quickstart.sh: installs the Debian 12
# packages runwarden needs, only those missing, as root or through sudo.

rw_install_deps() {
	# What building and running need; check.sh adds what only tests need.
	local pkgs=(build-essential cmake pkg-config libuv1-dev libcurl4-openssl-dev
		libsqlite3-dev libpq-dev libcjson-dev libh2o-dev libssl-dev libcmocka-dev sqlite3 curl
		python3 python3-yaml scdoc "$@")
	local missing=() p
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "runwarden: need root or sudo to install: ${missing[*]}" >&2
			return 1
		}
		sudo="sudo"
	fi
	echo "installing: ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}
