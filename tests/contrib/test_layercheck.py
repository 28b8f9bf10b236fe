#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_layercheck.py — contrib/layercheck.py passes on the tree as it is and
fails, naming the file, on each kind of wrong-way dependency planted in a
copy of the sources: a daemon header included from reports/, libuv under
policy/, libcurl in the store, a *_impl.h from another folder, a header
without its folder, two headers including each other, and (from object
files compiled here) two source files calling each other.

usage: test_layercheck.py SOURCE_DIR   (ctest: layercheck)
"""
import os
import shutil
import subprocess
import sys
import tempfile

src = os.path.abspath(sys.argv[1])
checker = os.path.join(src, "contrib", "layercheck.py")
failures = []


def run(root, *extra):
    r = subprocess.run([sys.executable, checker, "--root", root, *extra],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def fresh_copy(tmp):
    root = os.path.join(tmp, "tree")
    if os.path.exists(root):
        shutil.rmtree(root)
    for top in ("policy", "monitor", "reports"):
        shutil.copytree(os.path.join(src, top), os.path.join(root, top),
                        ignore=shutil.ignore_patterns("*.o", "CMakeFiles"))
    return root


def plant(root, path, text):
    full = os.path.join(root, path)
    with open(full, "a", encoding="utf-8") as f:
        f.write(text)


def expect_fail(name, root, must_name, *extra):
    code, out = run(root, *extra)
    if code == 0 or must_name not in out:
        failures.append(f"{name}: expected a failure naming {must_name!r}, got exit {code}:\n{out}")


with tempfile.TemporaryDirectory() as tmp:
    root = fresh_copy(tmp)
    code, out = run(root)
    if code != 0:
        failures.append(f"the tree as it is: expected ok, got exit {code}:\n{out}")

    cases = [
        ("daemon header from reports/", "reports/month.c",
         '\n#include "monitor/daemon/daemon.h"\n', "reports/month.c"),
        ("libuv under policy/", "policy/account.c", "\n#include <uv.h>\n", "policy/account.c"),
        ("libcurl in the store", "monitor/store/store.c", "\n#include <curl/curl.h>\n",
         "monitor/store/store.c"),
        ("SQLite outside the store", "monitor/fleet/fleet.c", "\n#include <sqlite3.h>\n",
         "monitor/fleet/fleet.c"),
        ("libh2o in the CLI", "monitor/cli/cli_route.c", "\n#include <h2o.h>\n",
         "monitor/cli/cli_route.c"),
        ("a private header of another folder", "monitor/core/log.c",
         '\n#include "monitor/store/store_impl.h"\n', "store_impl.h"),
        ("a header without its folder", "monitor/fleet/fleet.c", '\n#include "store.h"\n',
         "name the folder"),
        ("the API including the daemon", "monitor/api/api.c",
         '\n#include "monitor/daemon/daemon.h"\n', "monitor/api/api.c"),
    ]
    for name, path, text, must in cases:
        root = fresh_copy(tmp)
        plant(root, path, text)
        expect_fail(name, root, must)

    # Two headers of one folder including each other.
    root = fresh_copy(tmp)
    plant(root, "monitor/fleet/fleet.h", '\n#include "monitor/fleet/blind.h"\n')
    expect_fail("an include cycle", root, "include each other")

    # Two source files calling each other, seen in object files laid out as
    # CMake lays them out (BUILD/DIR/CMakeFiles/TARGET.dir/NAME.c.o).
    root = os.path.join(tmp, "calls")
    build = os.path.join(root, "build")
    objdir = os.path.join(build, "policy", "CMakeFiles", "t.dir")
    os.makedirs(os.path.join(root, "policy"))
    os.makedirs(objdir)
    bodies = {"ping.c": "int pong(int);\nint ping(int n) { return n ? pong(n - 1) : 0; }\n",
              "pong.c": "int ping(int);\nint pong(int n) { return n ? ping(n - 1) : 1; }\n"}
    for name, body in bodies.items():
        with open(os.path.join(root, "policy", name), "w", encoding="utf-8") as f:
            f.write(body)
        subprocess.run(["cc", "-c", "-o", os.path.join(objdir, name + ".o"),
                        os.path.join(root, "policy", name)], check=True)
    expect_fail("a call cycle", root, "call each other in a circle", "--objects", build)

for f in failures:
    print("FAIL:", f)
print("layercheck tests:", "failed" if failures else "ok")
sys.exit(1 if failures else 0)
