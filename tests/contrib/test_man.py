#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_man.py — the man pages (contrib/man/*.scd, rendered by the build
into BUILD/man/) against the binaries:

1. every page renders without a warning: `man --warnings` as lintian runs
   it, and `groff -ww -z`;
2. every command answers --help (exit 0, a usage on standard output): the
   commands are read from `runwarden --help` and `runwarden-report --help`,
   the subcommands from each command's usage lines; every flag that any
   --help names (`--word`) is in the page of its binary, and so is every
   "runwarden COMMAND SUB" of the usage lines;
3. every key the config file takes is in runwarden.conf(5), and every key
   the policy takes is in runwarden-policy(5), each as "*key* (" (bold, then
   its type): the keys are asked from the binary itself, by offering an
   unknown key at each level and reading the "(allowed: ...)" it answers
   with, so a key added to monitor/core/config*.c or policy/policy_parse.c
   fails here until it is documented.

usage: test_man.py SOURCE_DIR BUILD_DIR        (ctest: man_pages)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BOGUS = "__rw_bogus__"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(argv, timeout=20):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def page_text(path):
    """The roff source with escapes undone, to search for words."""
    with open(path, encoding="utf-8") as f:
        t = f.read()
    t = t.replace("\\-", "-").replace("\\&", "").replace("\\(aq", "'")
    return re.sub(r"\\f[BIRP]", "", t)


def page_roff(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def check_rendering(pages):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    for page in pages:
        # As lintian's manpages check runs it.
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page],
                           env=env, capture_output=True, text=True, timeout=30)
        if p.returncode != 0 or p.stderr.strip():
            fail(f"{page}: man --warnings: rc {p.returncode}: {p.stderr.strip()}")
        p = subprocess.run(["groff", "-ww", "-z", "-man", page], env=env,
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0 or p.stderr.strip():
            fail(f"{page}: groff -ww: rc {p.returncode}: {p.stderr.strip()}")
        # Every page has the sections a reader looks for.
        roff = page_roff(page)
        for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            if not re.search(r'^\.SH "?' + sec + '"?$', roff, re.M):
                fail(f"{page}: no {sec} section")


def commands_of(help_text):
    """[(cmd, [subs])] from the "commands:" list of a top-level --help."""
    out = []
    in_list = False
    for line in help_text.splitlines():
        if line.strip() == "commands:":
            in_list = True
            continue
        if in_list:
            if not line.strip():
                break
            m = re.match(r"^  ([a-z][a-z-]*)(?: ([a-z][a-z|]*))?(?:\s|$)", line)
            if m:
                subs = m.group(2).split("|") if m.group(2) else []
                out.append((m.group(1), subs))
    return out


def usage_phrases(help_text, prog):
    """"PROG CMD SUB" of each usage line ("usage: PROG CMD SUB ..." and the
    lines under it that start with PROG)."""
    phrases = set()
    for line in help_text.splitlines():
        m = re.match(r"^(?:usage: |\s+)(" + re.escape(prog) + r"(?: [a-z][a-z-]*){1,2})(?:\s|$)",
                     line, re.I)
        if m:
            phrases.add(m.group(1))
    return phrases


def check_help(build, pages):
    rw = os.path.join(build, "runwarden")
    report = os.path.join(build, "runwarden-report")
    demo = os.path.join(build, "rw-demo-runner")
    helps = []  # (binary name, page, argv, stdout)

    def ask(name, argv):
        rc, out, err = run(argv + ["--help"])
        shown = " ".join([name] + argv[1:] + ["--help"])
        if rc != 0 or not re.match(r"^usage:", out, re.I):
            fail(f"`{shown}` exits {rc} and prints {out[:60]!r} on stdout "
                 f"(expected exit 0 and a usage){' ; stderr: ' + err.strip() if err else ''}")
        helps.append((name, argv, out))
        return out

    top = ask("runwarden", [rw])
    cmds = commands_of(top)
    if len(cmds) < 8:
        fail(f"runwarden --help lists {len(cmds)} commands: {cmds}")
    for cmd, subs in cmds:
        ask("runwarden", [rw, cmd])
        for sub in subs:
            ask("runwarden", [rw, cmd, sub])
    top = ask("runwarden-report", [report])
    rcmds = commands_of(top)
    if not rcmds:
        fail("runwarden-report --help lists no command")
    for cmd, _ in rcmds:
        ask("runwarden-report", [report, cmd])
    ask("rw-demo-runner", [demo])

    for tool in ("runwarden", "runwarden-report"):
        rc, out, _ = run([os.path.join(build, tool), "--version"])
        if rc != 0 or not out.startswith(tool + " "):
            fail(f"{tool} --version: rc {rc}, {out!r}")

    page_of = {"runwarden": "runwarden.1", "runwarden-report": "runwarden-report.1",
               "rw-demo-runner": "rw-demo-runner.1"}
    texts = {name: page_text(pages[p]) for name, p in page_of.items()}
    seen = 0
    for name, argv, out in helps:
        text = texts[name]
        for flag in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", out))):
            seen += 1
            if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text):
                fail(f"{page_of[name]} does not document {flag}, which "
                     f"`{' '.join([name] + argv[1:])} --help` names")
        if name == "runwarden":
            for phrase in usage_phrases(out, "runwarden"):
                if phrase not in text:
                    fail(f"{page_of[name]} does not name \"{phrase}\" "
                         f"(a usage line of `{' '.join([name] + argv[1:])} --help`)")
    if seen < 30:
        fail(f"only {seen} flags found in the --help texts: the parsing is broken")


def allowed(err):
    m = re.search(r"unknown key \(allowed: ([^)]*)\)", err)
    return [k.strip() for k in m.group(1).split(",")] if m else None


def discover(try_doc, base, path, depth, keys):
    """Adds to keys every key under @path (a list of names) of the document
    @base: offers an unknown key there, as an object and as an array of
    objects, and recurses into what the answer allows."""
    def at(value):
        doc = json.loads(json.dumps(base))
        node = doc
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = value
        return doc

    for value in ({BOGUS: 1}, [{BOGUS: 1}]):
        err = try_doc(at(value))
        names = allowed(err)
        if names is None:
            continue
        for k in names:
            keys.add((".".join(path), k))
            if depth > 0:
                discover(try_doc, base, path + [k], depth - 1, keys)
        return


def check_keys(build, pages, tmp):
    rw = os.path.join(build, "runwarden")

    def try_config(doc):
        f = os.path.join(tmp, "rw.json")
        with open(f, "w") as fh:
            json.dump(doc, fh)
        # A database in a folder that does not exist: even a config that
        # passed would stop before listening.
        _, _, err = run([rw, "serve", "--config", f, "--db",
                         os.path.join(tmp, "no", "such", "dir", "x.db")], timeout=20)
        return err

    def try_policy(doc):
        f = os.path.join(tmp, "policy.json")
        with open(f, "w") as fh:
            json.dump(doc, fh)
        _, _, err = run([rw, "policy", "check", f])
        return err

    for what, try_doc, base, page, extra in (
            ("config", try_config, {}, "runwarden.conf.5", []),
            ("policy", try_policy, {"version": 1}, "runwarden-policy.5",
             # The tiers map's values, under a tier's name.
             [["tiers", "2"]])):
        keys = set()
        top = allowed(try_doc(dict(base, **{BOGUS: 1})))
        if not top:
            fail(f"the {what} did not list its keys for an unknown one")
            continue
        for k in top:
            keys.add(("", k))
            discover(try_doc, base, [k], 2, keys)
        for path in extra:
            discover(try_doc, base, path, 1, keys)
        roff = page_roff(pages[page])
        for parent, k in sorted(keys):
            if not re.search(r"\\fB" + re.escape(k) + r"\\fR \(", roff):
                fail(f"{page} does not document the {what} key "
                     f"{(parent + '.') if parent else ''}{k} (as *{k}* (TYPE...))")
        print(f"{what}: {len(keys)} keys, all in {page}" if not failures else
              f"{what}: {len(keys)} keys checked against {page}")
        if len(keys) < 10:
            fail(f"only {len(keys)} {what} keys found: the discovery is broken")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build = sys.argv[2]
    names = ["runwarden.1", "runwarden-report.1", "rw-demo-runner.1", "runwarden.conf.5",
             "runwarden-policy.5"]
    pages = {n: os.path.join(build, "man", n) for n in names}
    for n, p in pages.items():
        if not os.path.isfile(p):
            fail(f"{p} was not built (contrib/man/CMakeLists.txt)")
    if failures:
        sys.exit(1)
    check_rendering(pages.values())
    check_help(build, pages)
    with tempfile.TemporaryDirectory(prefix="rw-man.") as tmp:
        check_keys(build, pages, tmp)
    if failures:
        print(f"man_pages: {len(failures)} problem(s)", file=sys.stderr)
        sys.exit(1)
    print("man_pages: ok")


main()
