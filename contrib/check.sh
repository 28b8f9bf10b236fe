#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check.sh — everything CI checks, from a clean clone on Debian 12:
#   1. installs missing packages;
#   2. builds with warnings as errors, checks the layers (includes and calls
#      go one way: contrib/layercheck.py) and runs every ctest test but the
#      fault suite;
#   3. runs the fault suite (ctest label `faults`, tests/faults/): hostile
#      runners, bad TLS, DNS that never answers, oversized headers, a locked
#      database, kill -9, a full disk, clock jumps, late timeouts, each in
#      network and mount namespaces of its own, so it needs root (CI is);
#   4. rebuilds with AddressSanitizer + UndefinedBehaviorSanitizer and runs
#      the unit and integration tests again;
#   5. checks formatting with clang-format.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
# Only the tests need these:
# - chromium: the HTML report and the status page are loaded in headless
#   Chromium (tests/reports/test_report_cli.c, tests/integration/test_status_page.c),
#   and measured and photographed at 1280 px, 390 px and on paper
#   (tests/reports/test_ui_layout.c, over tests/lib/cdp_layout.py);
# - prometheus: promtool lints /metrics and contrib/prometheus/alerts.yml;
# - jq: contrib/github-actions/route-matrix.sh and its test;
# - python3, python3-yaml: the OpenAPI conformance test and the webhook receiver.
# - openssl: the fault suite and test_tls make their certificates and TLS
#   listeners with it;
# - python3-aiosmtpd: the SMTP sink that receives the operators' mail
#   (tests/integration/smtp_sink.py, test_notifications.c);
# - faketime: the fault suite jumps the daemon's wall clock with libfaketime
#   (tests/faults/test_clock_jump.c);
# - lintian, dpkg-dev (dpkg-shlibdeps for CPack), mmdebstrap: the Debian
#   package is built, linted and installed into a Debian 12 chroot
#   (tests/contrib/test_deb.sh);
# - systemd (systemd-analyze), man-db and groff-base: the unit and the man
#   pages are checked (tests/contrib/test_systemd_unit.sh, test_man.py);
# - postgresql, postgresql-common: the store's tests and test_serve run again
#   on a throwaway PostgreSQL 15 server (the *_pg tests; ctest fixture
#   `postgres`, tests/lib/pg_server.sh: initdb and pg_ctl in a temporary
#   folder, a Unix socket only, as the postgres user when run as root);
# - prometheus-blackbox-exporter, nginx, wrk: tests/bench/probe_bench.sh's
#   smoke test runs all three probers, over HTTPS too; wrk also drives the
#   API in the loop-lag benchmark's smoke test (looplag_bench_smoke).
rw_install_deps clang-format chromium prometheus jq openssl python3-aiosmtpd faketime \
	lintian dpkg-dev mmdebstrap systemd man-db groff-base postgresql postgresql-common \
	prometheus-blackbox-exporter nginx wrk

jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (warnings are errors)"
cmake -S . -B build/check -DRW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/check -j "$jobs"
echo "== layers"
python3 contrib/layercheck.py --objects build/check
echo "== tests"
ctest --test-dir build/check --output-on-failure -j 2 -LE faults
echo "== fault suite (tests/faults/, one scenario at a time)"
ctest --test-dir build/check --output-on-failure -L faults

echo "== tests under address;undefined sanitizers"
cmake -S . -B build/asan -DRW_WERROR=ON -DRW_SANITIZE="address;undefined" \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build/asan -L "unit|integration" --output-on-failure -j 2

echo "== clang-format"
git ls-files -z '*.c' '*.h' | xargs -0 clang-format --dry-run -Werror

echo "check: all passed"
