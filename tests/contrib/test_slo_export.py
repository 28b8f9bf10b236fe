#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_slo_export.py — `runwarden policy export` (ctest slo_export).

usage: test_slo_export.py RUNWARDEN SOURCE_DIR

For a policy with tiers (one without a floor of its own, one at 100 %), a
default floor and a target map, each format's output is parsed with PyYAML
and held to its tool's schema, as the projects define it (OpenSLO v1's README;
Sloth's pkg/prometheus/api/v1; Pyrra's kubernetes/api/v1alpha1):

  openslo  apiVersion openslo/v1, kind SLO, RFC 1123 names, a ratioMetric of
           Prometheus queries, one calendar timeWindow of 1M, budgetingMethod
           Timeslices, objectives with target [0, 1), timeSliceTarget (0, 1]
           and timeSliceWindow;
  sloth    version prometheus/v1, service, slos with a name Sloth accepts,
           objective in percent, sli.events with {{.window}}, alerting.name;
  pyrra    apiVersion pyrra.dev/v1alpha1, kind ServiceLevelObjective, a DNS
           name and namespace, target a string in percent, the rolling window,
           indicator.bool_gauge with a selector and grouping by runner;
  rules    the same as contrib/prometheus/slo-rules.yml.

Every SLO's objective is the floor the policy gives it. None of Sloth, Pyrra
or OpenSLO's oslo is packaged for Debian, so the rules they would generate are
built here after their generators (Sloth: the SLI error ratio per window, the
30-day ratio, the objective and the page/ticket multiwindow alerts; Pyrra:
burn-rate rules per window, the window's count and sum, its alerts; OpenSLO:
good/total) and checked with Debian's promtool, with the recording rule of the
SLI; a broken rule file is shown to fail the same check. Every metric any of
them reads is a family the daemon's /metrics lists, or the recorded SLI.
Then the policy in force: read from the database the daemon recorded it in,
the built-in defaults when none is recorded, and the errors (exit 2).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwpromql as rp  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
SLI = "runner_target:runwarden_runner_up:bool"

POLICY = """{
  "version": 7,
  "uptime_floor": 0.975,
  "tiers": { "2": { "uptime_floor": 0.99 }, "3": { "uptime_floor": 0.95 },
             "4": { "uptime_floor": 1 } },
  "targets": { "riscv64gc-unknown-linux-gnu": 2, "powerpc64-unknown-linux-musl": 3,
               "x86_64-unknown-linux-gnu": 2, "s390x-unknown-linux-gnu": 5,
               "aarch64-unknown-linux-gnu": 4 },
  "window": { "rolling_days": 28 }
}
"""
# What the SLOs must be: (Sloth name, floor); tier 4 (100 %) makes none, and
# tier 5 has no floor of its own (the default).
EXPECTED = {
    "tier-2": 0.99, "tier-3": 0.95, "tier-5": 0.975, "default": 0.975,
    "target-powerpc64-unknown-linux-musl": 0.95,
    "target-riscv64gc-unknown-linux-gnu": 0.99,
    "target-s390x-unknown-linux-gnu": 0.975,
    "target-x86_64-unknown-linux-gnu": 0.99,
}
SELECTORS = {
    "tier-2": 'tier="2"', "tier-3": 'tier="3"', "tier-5": 'tier="5"',
    "default": 'tier="default"',
    "target-powerpc64-unknown-linux-musl": 'target="powerpc64-unknown-linux-musl"',
    "target-riscv64gc-unknown-linux-gnu": 'target="riscv64gc-unknown-linux-gnu"',
    "target-s390x-unknown-linux-gnu": 'target="s390x-unknown-linux-gnu"',
    "target-x86_64-unknown-linux-gnu": 'target="x86_64-unknown-linux-gnu"',
}
RFC1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
SLOTH_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def run(*args):
    env = dict(os.environ)
    env.pop("RUNWARDEN_DB", None)
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, env=env)


def k8s(sloth_name):
    """The OpenSLO/Pyrra name runwarden gives an SLO."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", "runwarden-" + sloth_name)).strip("-")


def export(fmt, policy, tmp):
    r = run("policy", "export", "--format", fmt, "--policy", policy)
    check(r.returncode == 0, f"{fmt}: exit {r.returncode}: {r.stderr}")
    check("tier 4: floor 100% leaves no error budget: no SLO" in r.stderr,
          f"{fmt}: no warning for the 100% floor: {r.stderr!r}")
    out = os.path.join(tmp, f"{fmt}.yaml")
    r2 = run("policy", "export", "--format", fmt, "--policy", policy, "--out", out)
    check(r2.returncode == 0 and r2.stdout == "", f"{fmt} --out: exit {r2.returncode}")
    with open(out) as f:
        check(f.read() == r.stdout, f"{fmt}: --out and stdout differ")
    return r.stdout


def check_openslo(text):
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    names, queries = {}, []
    for d in docs:
        check(d.get("apiVersion") == "openslo/v1" and d.get("kind") == "SLO", f"openslo: {d}")
        name = d["metadata"]["name"]
        check(RFC1123.match(name) is not None, f"openslo: name {name!r} is not an RFC 1123 label")
        spec = d["spec"]
        check(isinstance(spec.get("service"), str) and spec["service"], "openslo: service")
        check(len(spec.get("description", "")) <= 1050, "openslo: description too long")
        ind = spec["indicator"]
        check(RFC1123.match(ind["metadata"]["name"]) is not None, f"openslo: {ind['metadata']}")
        ratio = ind["spec"]["ratioMetric"]
        check(ratio.get("counter") is False, "openslo: counter must be false (gauges)")
        for side in ("good", "total"):
            ms = ratio[side]["metricSource"]
            check(ms.get("type") == "Prometheus", f"openslo: {side} type")
            queries.append(ms["spec"]["query"])
        tw = spec["timeWindow"]
        check(isinstance(tw, list) and len(tw) == 1, "openslo: exactly one timeWindow")
        tw = tw[0]
        check(tw.get("duration") == "1M" and tw.get("isRolling") is False,
              f"openslo: not a calendar month: {tw}")
        cal = tw.get("calendar", {})
        check(isinstance(cal.get("startTime"), str) and
              re.match(r"^\d{4}-\d\d-01 00:00:00$", cal["startTime"]) is not None and
              cal.get("timeZone") == "UTC", f"openslo: calendar {cal}")
        check(spec.get("budgetingMethod") == "Timeslices", "openslo: budgetingMethod")
        objs = spec["objectives"]
        check(len(objs) == 1, "openslo: one objective")
        o = objs[0]
        check(0 <= o["target"] < 1, f"openslo: target {o['target']}")
        check(0 < o["timeSliceTarget"] <= 1, "openslo: timeSliceTarget")
        check(re.match(r"^\d+[smhd]$", str(o["timeSliceWindow"])) is not None,
              "openslo: timeSliceWindow")
        names[name] = o["target"]
    want = {k8s(n): v for n, v in EXPECTED.items()}
    check(names == want, f"openslo: SLOs {names}, want {want}")
    return queries


def check_sloth(text):
    doc = yaml.safe_load(text)
    check(doc.get("version") == "prometheus/v1", "sloth: version")
    check(SLOTH_NAME.match(doc.get("service", "")) is not None, "sloth: service")
    got = {}
    for s in doc["slos"]:
        check(SLOTH_NAME.match(s["name"]) is not None, f"sloth: name {s['name']!r}")
        check(0 < s["objective"] <= 100, f"sloth: objective {s['objective']}")
        ev = s["sli"]["events"]
        for q in (ev["error_query"], ev["total_query"]):
            check(re.search(r"\{\{ *\.window *\}\}", q) is not None, f"sloth: no window in {q}")
            check(SELECTORS[s["name"]] in q, f"sloth: {s['name']}: selector not in {q}")
        check(s["alerting"].get("name"), "sloth: alerting.name is required")
        check(s["alerting"]["page_alert"]["labels"]["severity"] == "critical", "sloth: page")
        got[s["name"]] = s["objective"]
    want = {n: round(v * 100, 6) for n, v in EXPECTED.items()}
    check(got == want, f"sloth: SLOs {got}, want {want}")
    return doc


def check_pyrra(text):
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    got = {}
    for d in docs:
        check(d.get("apiVersion") == "pyrra.dev/v1alpha1" and
              d.get("kind") == "ServiceLevelObjective", f"pyrra: {d}")
        md = d["metadata"]
        check(RFC1123.match(md["name"]) is not None and md.get("namespace"), f"pyrra: {md}")
        spec = d["spec"]
        check(isinstance(spec["target"], str), "pyrra: target must be a string")
        check(spec["window"] == "28d", f"pyrra: window {spec['window']}")
        bg = spec["indicator"]["bool_gauge"]
        check(re.match(r"^" + re.escape(SLI) + r'\{(tier|target)="[^"]+"\}$', bg["metric"])
              is not None, f"pyrra: metric {bg['metric']}")
        check("runner" in bg["grouping"], "pyrra: grouping by runner")
        got[md["name"]] = float(spec["target"])
    want = {k8s(n): round(v * 100, 6) for n, v in EXPECTED.items()}
    check(got == want, f"pyrra: SLOs {got}, want {want}")
    return docs


def sloth_rules(doc):
    """The rules Sloth generates for @doc (its generator's shape)."""
    groups = []
    for s in doc["slos"]:
        sid = f"{doc['service']}-{s['name']}"
        lab = f'sloth_id="{sid}", sloth_service="{doc["service"]}", sloth_slo="{s["name"]}"'
        ev = s["sli"]["events"]
        labels = {"sloth_id": sid, "sloth_service": doc["service"], "sloth_slo": s["name"]}
        rules = []
        for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d"):
            sub = lambda q: re.sub(r"\{\{ *\.window *\}\}", w, q)  # noqa: E731
            rules.append({"record": f"slo:sli_error:ratio_rate{w}",
                          "expr": f"({sub(ev['error_query'])})\n/\n({sub(ev['total_query'])})",
                          "labels": {**labels, "sloth_window": w}})
        rules.append({"record": "slo:sli_error:ratio_rate30d",
                      "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{{{lab}}}[30d])\n"
                              f"/ ignoring (sloth_window)\n"
                              f"count_over_time(slo:sli_error:ratio_rate5m{{{lab}}}[30d])",
                      "labels": {**labels, "sloth_window": "30d"}})
        budget = 1 - s["objective"] / 100
        rules.append({"record": "slo:objective:ratio", "expr": f"vector({s['objective'] / 100})",
                      "labels": labels})
        rules.append({"record": "slo:error_budget:ratio",
                      "expr": f"vector(1-{s['objective'] / 100})", "labels": labels})
        for sev, pairs in (("page", (("5m", "1h", 14.4), ("30m", "6h", 6))),
                           ("ticket", (("2h", "1d", 3), ("6h", "3d", 1)))):
            parts = [f"(\n  max(slo:sli_error:ratio_rate{a}{{{lab}}} > ({f} * {budget})) "
                     f"without (sloth_window)\n  and\n"
                     f"  max(slo:sli_error:ratio_rate{b}{{{lab}}} > ({f} * {budget})) "
                     f"without (sloth_window)\n)" for a, b, f in pairs]
            rules.append({"alert": s["alerting"]["name"], "expr": "\nor\n".join(parts),
                          "labels": {**labels, "sloth_severity": sev},
                          "annotations": s["alerting"].get("annotations", {})})
        groups.append({"name": f"sloth-slo-{sid}", "rules": rules})
    return groups


def pyrra_rules(docs):
    """The rules Pyrra generates for a bool_gauge SLO (slo/rules.go's shape)."""
    groups = []
    for d in docs:
        name, spec = d["metadata"]["name"], d["spec"]
        sel = spec["indicator"]["bool_gauge"]["metric"]
        metric = sel.split("{")[0]
        # Pyrra groups by the grouping and by the selector's labels.
        by = ", ".join(sorted(set(spec["indicator"]["bool_gauge"]["grouping"]) |
                              set(re.findall(r"(\w+)=", sel))))
        objective = float(spec["target"]) / 100
        rules = []
        for w in ("5m", "30m", "1h", "2h", "6h", "1d", "4d"):
            rules.append({"record": f"{metric}:burnrate{w}",
                          "expr": f"(sum by ({by}) (count_over_time({sel}[{w}])) - "
                                  f"sum by ({by}) (sum_over_time({sel}[{w}]))) / "
                                  f"sum by ({by}) (count_over_time({sel}[{w}]))",
                          "labels": {"slo": name}})
        for kind, op in (("count", "count_over_time"), ("sum", "sum_over_time")):
            rules.append({"record": f"{metric}:{kind}{spec['window']}",
                          "expr": f"sum by ({by}) ({op}({sel}[{spec['window']}]))",
                          "labels": {"slo": name}})
        for short, long, factor in (("5m", "1h", 14), ("30m", "6h", 7), ("2h", "1d", 2),
                                    ("6h", "4d", 1)):
            rules.append({"alert": spec["alerting"]["name"],
                          "expr": f'{metric}:burnrate{short}{{slo="{name}"}} > '
                                  f"({factor} * (1-{objective})) and "
                                  f'{metric}:burnrate{long}{{slo="{name}"}} > '
                                  f"({factor} * (1-{objective}))",
                          "labels": {"slo": name, "long": long, "short": short}})
        groups.append({"name": name, "interval": "30s", "rules": rules})
    return groups


def main():
    tmp = tempfile.mkdtemp(prefix="rw-slo-")
    policy = os.path.join(tmp, "policy.json")
    with open(policy, "w") as f:
        f.write(POLICY)

    openslo_queries = check_openslo(export("openslo", policy, tmp))
    sloth_doc = check_sloth(export("sloth", policy, tmp))
    pyrra_docs = check_pyrra(export("pyrra", policy, tmp))
    r = run("policy", "export", "--format", "rules")
    with open(os.path.join(SRC, "contrib/prometheus/slo-rules.yml")) as f:
        check(r.returncode == 0 and r.stdout == f.read(),
              "rules: contrib/prometheus/slo-rules.yml is not what `--format rules` writes "
              "(regenerate it with runwarden policy export --format rules --out ...)")
    rules_doc = yaml.safe_load(r.stdout)
    recorded = {ru["record"] for g in rules_doc["groups"] for ru in g["rules"] if "record" in ru}
    check(recorded == {SLI}, f"rules: records {recorded}")

    # What the tools would generate, with the SLI's own rule: promtool.
    generated = {"groups": rules_doc["groups"] + sloth_rules(sloth_doc) + pyrra_rules(pyrra_docs)
                 + [{"name": "openslo", "rules": [
                     {"record": f"openslo:query:{i}", "expr": q}
                     for i, q in enumerate(openslo_queries)]}]}
    gen_path = os.path.join(tmp, "generated.yml")
    with open(gen_path, "w") as f:
        yaml.safe_dump(generated, f, sort_keys=False)
    code, out = rp.check_rules(gen_path)
    check(code == 0, f"promtool check rules on what the tools would generate: {out}")
    n_rules = sum(len(g["rules"]) for g in generated["groups"])
    check(f"SUCCESS: {n_rules} rules found" in out, f"promtool: {out}")
    # The same check fails on a broken expression: it can fail.
    bad = os.path.join(tmp, "bad.yml")
    with open(bad, "w") as f:
        yaml.safe_dump({"groups": [{"name": "bad", "rules": [
            {"record": "x:y:z", "expr": "sum by (runner (" + SLI + ")"}]}]}, f)
    code, out = rp.check_rules(bad)
    check(code != 0, f"promtool accepted a broken expression: {out}")

    # Every metric read is one the daemon exports, or the recorded SLI.
    ca, cert, key = rp.make_ca(tmp)
    d = rp.Daemon(BIN, tmp, ["--db", os.path.join(tmp, "serve.db"), "--policy", policy,
                             "--tls-cert", cert, "--tls-key", key], cafile=ca)
    try:
        families = d.families()
    finally:
        d.stop()
    exprs = [ru["expr"] for g in generated["groups"] for ru in g["rules"]]
    produced = {ru["record"] for g in generated["groups"] for ru in g["rules"] if "record" in ru}
    for e in exprs:
        for name in rp.metric_names(e):
            check(rp.family_of(name, families) or name in produced,
                  f"{name} (in {e!r}) is neither in /metrics nor recorded")
    check(rp.family_of("runwarden_no_such_metric", families) is None, "family_of() cannot fail")

    # The policy in force: as recorded by the daemon that ran with it.
    r = run("policy", "export", "--format", "sloth", "--db", os.path.join(tmp, "serve.db"))
    check(r.returncode == 0, f"--db: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        check("policy_versions #" in r.stdout.splitlines()[1], f"--db: header {r.stdout[:300]}")
        body = lambda t: t[t.index("version: prometheus/v1"):]  # noqa: E731
        check(body(r.stdout) == body(export("sloth", policy, tmp)),
              "--db: the stored policy's SLOs differ from the file's")
    # A database the daemon never ran on: the built-in defaults (99 %).
    fresh = os.path.join(tmp, "fresh.db")
    r = run("operator", "add", "acme", "--email", "a@example.org", "--db", fresh)
    check(r.returncode == 0, f"operator add: {r.stderr}")
    r = run("policy", "export", "--format", "sloth", "--db", fresh)
    doc = yaml.safe_load(r.stdout) if r.returncode == 0 else {}
    check(r.returncode == 0 and "built-in defaults" in r.stdout and
          [(s["name"], s["objective"]) for s in doc.get("slos", [])] == [("default", 99)],
          f"defaults: exit {r.returncode}: {r.stdout[:600]} {r.stderr}")

    # Errors: exit 2 with one line.
    with open(os.path.join(tmp, "bad.json"), "w") as f:
        f.write('{ "version": 1,\n  "uptime_floor": 1.5 }\n')
    for args, want in (
            (["--format", "yaml", "--policy", policy], '--format: "yaml" is not openslo'),
            (["--policy", policy], "--format: give openslo"),
            (["--format", "sloth", "--policy", os.path.join(tmp, "bad.json")],
             "bad.json:2: uptime_floor"),
            (["--format", "sloth", "--db", os.path.join(tmp, "none.db")], "no database at"),
            (["--format", "sloth", "--policy", policy, "--db", fresh], "not both")):
        r = run("policy", "export", *args)
        check(r.returncode == 2 and want in r.stderr and r.stderr.count("\n") == 1 and
              r.stdout == "", f"policy export {args}: exit {r.returncode}: {r.stderr!r}")
    r = run("policy", "export", "--help")
    check(r.returncode == 0 and "--format" in r.stdout and "--out" in r.stdout, "--help")

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        print(f"(files kept in {tmp})", file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(tmp)
    print("policy export: all checks passed")


main()
