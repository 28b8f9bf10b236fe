#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_grafana_dashboard.py — contrib/grafana/runwarden.json (ctest
grafana_dashboard).

usage: test_grafana_dashboard.py RUNWARDEN SOURCE_DIR

  - the dashboard is a Grafana dashboard model: a uid, a title, panels with
    unique ids inside the 24-column grid, every query on the ${datasource}
    variable, template variables job, instance, operator and runner;
  - every PromQL query (the panels' and the template variables'
    label_values() selectors), with Grafana's variables put in
    ($__rate_interval as 5m, $job and friends as .* in their =~ matchers), is
    valid: all of them go into one rule file that promtool check rules
    accepts, and a broken one is shown to fail;
  - every metric a query reads is a family the real daemon's /metrics lists
    (started here with TLS, a webhook and a GitHub source, so that every
    family it can have is there), a misspelled one is shown to be caught;
  - the panels cover what the dashboard is for: fleet state, per-runner
    uptime against the floor, probe latency, blindness, webhook and GitHub
    health.
"""
import json
import os
import re
import shutil
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwpromql as rp  # noqa: E402

BIN, SRC = sys.argv[1], sys.argv[2]
DASH = os.path.join(SRC, "contrib/grafana/runwarden.json")
VARIABLES = ("job", "instance", "operator", "runner")
# What the dashboard is for: each topic and metrics one of its queries must read.
COVERAGE = {
    "fleet state": {"runwarden_runner_state", "runwarden_target_eligible_runners"},
    "uptime against the floor": {"runwarden_runner_uptime_ratio", "runwarden_runner_floor_ratio"},
    "probe latency": {"runwarden_runner_probe_duration_seconds",
                      "runwarden_probe_latency_seconds_bucket"},
    "blindness": {"runwarden_blind_active", "runwarden_blind_seconds_total"},
    "webhook health": {"runwarden_webhook_failing", "runwarden_webhook_pending_events"},
    "GitHub health": {"runwarden_github_source_failing", "runwarden_github_requests_total"},
}
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def substitute(expr, where):
    """@expr with Grafana's variables replaced as Prometheus would see them."""
    e = re.sub(r"\$__(rate_interval|interval|range)\b", "5m", expr)
    for v in VARIABLES:
        if re.search(r"\$\{?" + v + r"\b", e):
            check(re.search(r'=~"\$\{?' + v + r'\}?"', e) is not None,
                  f"{where}: ${v} is used outside a =~ matcher: {expr}")
            e = re.sub(r"\$\{?" + v + r"\}?", ".*", e)
    check("$" not in e, f"{where}: a variable is left in {e}")
    return e


def queries(dash):
    """(where, PromQL) of every query of the dashboard."""
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append((f"panel {p['id']} {p['title']!r} {t['refId']}", t["expr"]))
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        m = re.match(r"^label_values\((.*),\s*(\w+)\)$", v["query"]["query"])
        check(m is not None, f"variable {v['name']}: not label_values(SELECTOR, LABEL)")
        if m:
            out.append((f"variable {v['name']}", m.group(1)))
    return out


def check_model(dash):
    check(dash.get("uid") and dash.get("title"), "no uid or title")
    names = [v["name"] for v in dash["templating"]["list"]]
    check(names[0] == "datasource" and set(VARIABLES) <= set(names), f"variables: {names}")
    ids = [p["id"] for p in dash["panels"]]
    check(len(ids) == len(set(ids)), "panel ids repeat")
    for p in dash["panels"]:
        g = p["gridPos"]
        check(0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, f"panel {p['id']}: {g}")
        if p["type"] == "row":
            continue
        check(p.get("datasource", {}).get("uid") == "${datasource}",
              f"panel {p['id']}: datasource {p.get('datasource')}")
        check(p.get("targets"), f"panel {p['id']} {p['title']!r} has no query")
        refs = [t["refId"] for t in p["targets"]]
        check(len(refs) == len(set(refs)), f"panel {p['id']}: refIds repeat")
        for t in p["targets"]:
            check(t.get("datasource", {}).get("uid") == "${datasource}",
                  f"panel {p['id']} {t['refId']}: datasource")


def main():
    tmp = tempfile.mkdtemp(prefix="rw-grafana-")
    with open(DASH) as f:
        dash = json.load(f)
    check_model(dash)
    qs = [(where, substitute(e, where)) for where, e in queries(dash)]
    check(len(qs) >= 20, f"only {len(qs)} queries")

    # promtool: every query is valid PromQL.
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}:check", "expr": e} for i, (_, e) in enumerate(qs)]}]}
    path = os.path.join(tmp, "dashboard-rules.yml")
    with open(path, "w") as f:
        yaml.safe_dump(rules, f, sort_keys=False)
    code, out = rp.check_rules(path)
    check(code == 0 and f"SUCCESS: {len(qs)} rules found" in out,
          f"promtool check rules on the dashboard's queries: {out}")
    bad = os.path.join(tmp, "bad.yml")
    with open(bad, "w") as f:
        yaml.safe_dump({"groups": [{"name": "bad", "rules": [
            {"record": "dashboard:bad:check", "expr": qs[1][1] + ")"}]}]}, f)
    code, out = rp.check_rules(bad)
    check(code != 0, f"promtool accepted an unbalanced query: {out}")

    # The daemon's families: with TLS, a webhook and a GitHub source.
    ca, cert, key = rp.make_ca(tmp)
    token = os.path.join(tmp, "gh-token")
    with open(token, "w") as f:
        f.write("ghp_test0123456789\n")
    config = os.path.join(tmp, "config.json")
    with open(config, "w") as f:
        json.dump({"webhooks": [{"url": "http://127.0.0.1:9/hook",
                                 "secret": "0123456789abcdef0123"}],
                   "github": {"api_url": "http://127.0.0.1:9", "token_file": token},
                   "allow_cidrs": ["127.0.0.0/8"]}, f)
    d = rp.Daemon(BIN, tmp, ["--db", os.path.join(tmp, "rw.db"), "--config", config,
                             "--tls-cert", cert, "--tls-key", key], cafile=ca)
    try:
        families = d.families()
    finally:
        d.stop()
    check(len(families) > 50, f"/metrics lists only {len(families)} families")
    read = set()
    for where, e in qs:
        names = rp.metric_names(e)
        check(names, f"{where}: reads no metric: {e}")
        for n in names:
            read.add(n)
            check(rp.family_of(n, families) is not None,
                  f"{where}: {n} is not a family of runwarden's /metrics")
    # The check can fail: a misspelled metric is caught.
    planted = rp.metric_names('sum(rate(runwarden_probe_total{job=~".*"}[5m]))')
    check(planted == {"runwarden_probe_total"} and
          rp.family_of("runwarden_probe_total", families) is None, "a misspelling passes")
    check(rp.metric_names("histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) "
                          "- on (job) group_left (a) y offset 1h > bool 1e3") == {"x_bucket", "y"},
          "metric_names() misreads PromQL")

    for topic, metrics in COVERAGE.items():
        check(metrics <= read, f"no panel for {topic}: {sorted(metrics - read)} unread")

    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        print(f"(files kept in {tmp})", file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(tmp)
    print(f"grafana dashboard: {len(qs)} queries checked, all passed")


main()
