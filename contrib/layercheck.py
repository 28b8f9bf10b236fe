#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""layercheck.py — the layer rules of DESIGN.md ("Components and the one-way
dependency rule"), checked on the sources and, with --objects, on the build.

  contrib/layercheck.py [--root DIR] [--objects BUILD_DIR]

Fails (exit 1, one line per problem, FILE:LINE first) when:
  - a file includes a header of a folder its layer may not use (LAYERS below:
    each folder and the folders it may include from; a folder may always
    include its own headers);
  - a library header that a layer must not use is included (libuv, libcurl,
    SQLite or libh2o under policy/; libuv, libcurl or libh2o in the store,
    the CLI and reports/; libh2o outside the API; ...);
  - a *_impl.h header is included from another folder;
  - headers include each other in a circle;
  - with --objects: two source files call each other in a circle (from the
    symbols `nm` lists in the object files of BUILD_DIR).
Exit 0 prints nothing but "layercheck: ok (N files)".
"""
import argparse
import os
import re
import subprocess
import sys

# Folder -> the folders whose headers it may include (besides its own).
# This is the one-way arrow table; target_link_libraries follows it.
BASE = ["policy/base"]
POLICY = BASE + ["policy"]
STORE = POLICY + ["monitor/store"]
CORE = STORE + ["monitor/core"]
LAYERS = {
    "policy/base": [],
    "policy": BASE,
    "monitor/store": POLICY,
    "monitor/core": POLICY,
    "monitor/intake": CORE,
    "monitor/probe": POLICY + ["monitor/core"],
    "monitor/fleet": CORE,
    "monitor/notify": CORE + ["monitor/probe"],
    "monitor/github": CORE + ["monitor/probe"],
    "monitor/api": CORE + ["monitor/intake", "monitor/fleet"],
    "monitor/daemon": CORE + ["monitor/intake", "monitor/probe", "monitor/fleet",
                              "monitor/notify", "monitor/github", "monitor/api"],
    "monitor/cli": CORE + ["monitor/intake"],
    "monitor": CORE + ["monitor/cli", "monitor/daemon"],  # main.c
    "reports": STORE + ["reports"],
}
# Library headers each folder must not include (a prefix of the <...> name).
UV, CURL, SQL, H2O = "uv.h", "curl/", "sqlite3.h", "h2o"
FORBIDDEN = {
    "policy/base": [UV, CURL, SQL, H2O, "openssl/", "cjson/"],
    "policy": [UV, CURL, SQL, H2O, "openssl/"],
    "monitor/store": [UV, CURL, H2O],
    "monitor/core": [UV, SQL, H2O],
    "monitor/intake": [UV, SQL, H2O],
    "monitor/probe": [SQL, H2O],
    "monitor/fleet": [CURL, SQL, H2O],
    "monitor/notify": [SQL, H2O],
    "monitor/github": [SQL, H2O],
    "monitor/api": [SQL],
    "monitor/daemon": [SQL],
    "monitor/cli": [UV, SQL, H2O],
    "monitor": [SQL, H2O],
    "reports": [UV, CURL, H2O, SQL, "openssl/"],
}
# Only the store's own files may include SQLite.
SQL_OK = {"monitor/store"}

INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def folder_of(path):
    return os.path.dirname(path)


def sources(root):
    out = []
    for top in ("policy", "monitor", "reports"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def check_includes(root, files, problems):
    graph = {}
    for path in files:
        folder = folder_of(path)
        allowed = LAYERS.get(folder)
        if allowed is None:
            problems.append(f"{path}:1: folder {folder}/ is not in the layer table "
                            "(contrib/layercheck.py LAYERS)")
            continue
        graph[path] = []
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                m = INC.match(line)
                if not m:
                    continue
                kind, name = m.groups()
                if kind == "<":
                    for bad in FORBIDDEN.get(folder, []):
                        if name.startswith(bad) and not (bad == SQL and folder in SQL_OK):
                            problems.append(f"{path}:{n}: <{name}>: {folder}/ must not "
                                            "use this library (DESIGN.md layer table)")
                    continue
                inc_folder = folder_of(name)
                if not inc_folder:
                    problems.append(f'{path}:{n}: "{name}": name the folder, e.g. '
                                    f'"{folder}/{name}"')
                    continue
                if not os.path.exists(os.path.join(root, name)):
                    continue  # a generated or test header
                graph[path].append(name)
                if name.endswith("_impl.h") and inc_folder != folder:
                    problems.append(f'{path}:{n}: "{name}" is private to {inc_folder}/')
                elif inc_folder != folder and inc_folder not in allowed:
                    problems.append(f'{path}:{n}: "{name}": {folder}/ may not include '
                                    f"from {inc_folder}/ (allowed: "
                                    f"{', '.join(allowed) or 'none'})")
    return graph


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check_calls(root, build, problems):
    """Call graph between source files from the object files' symbols."""
    defined, used, newest = {}, {}, {}
    for d, _, files in os.walk(build):
        for f in files:
            if not f.endswith(".c.o"):
                continue
            # CMake puts the object of DIR/NAME.c at BUILD/DIR/CMakeFiles/T.dir/NAME.c.o
            cm = os.path.relpath(d, build).split(os.sep)
            if "CMakeFiles" not in cm:
                continue
            i = cm.index("CMakeFiles")
            rel = os.path.normpath(os.path.join(*(cm[:i] + cm[i + 2:] + [f[: -len(".o")]])))
            if not rel.startswith(("policy/", "monitor/", "reports/")):
                continue
            if not os.path.exists(os.path.join(root, rel)):
                continue
            obj = os.path.join(d, f)
            # A build folder may hold objects of an older layout of the
            # same source: only the newest one is the source as it is.
            if rel not in newest or os.path.getmtime(obj) > os.path.getmtime(newest[rel]):
                newest[rel] = obj
    for rel, obj in newest.items():
        out = subprocess.run(["nm", obj], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts2 = line.split()
            if len(parts2) == 3 and parts2[1] in "TDBR":
                defined[parts2[2]] = rel
            elif len(parts2) == 2 and parts2[0] == "U":
                used.setdefault(rel, set()).add(parts2[1])
    graph = {}
    for f, syms in used.items():
        graph[f] = sorted({defined[s] for s in syms if s in defined and defined[s] != f})
    for comp in cycles(graph):
        problems.append(f"{comp[0]}:1: these files call each other in a circle: "
                        f"{' <-> '.join(comp)}")
    return len(defined)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                    help="the source tree (default: this script's project)")
    ap.add_argument("--objects", metavar="BUILD_DIR",
                    help="also check the call graph in this build folder's object files")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    problems = []
    files = sources(root)
    graph = check_includes(root, files, problems)
    for comp in cycles(graph):
        problems.append(f"{comp[0]}:1: these headers include each other in a circle: "
                        f"{' <-> '.join(comp)}")
    if a.objects:
        if check_calls(root, os.path.abspath(a.objects), problems) == 0:
            problems.append(f"{a.objects}: no object files of policy/, monitor/ or "
                            "reports/ found: build first")
    for p in problems:
        print(p)
    if problems:
        print(f"layercheck: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"layercheck: ok ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
