# SPDX-License-Identifier: MIT
"""rwpromql.py — what the Python tests of the exported SLOs and of the Grafana
dashboard share (tests/contrib/test_slo_export.py,
tests/contrib/test_grafana_dashboard.py):

  - a real `runwarden serve` on a temporary database (HTTPS with a test CA
    made with the openssl CLI, so that the TLS families are listed too), and
    the metric families its /metrics names (# TYPE lines);
  - the metric names a PromQL expression reads, found without a PromQL
    parser (none is packaged for Debian's Python): strings, label matchers,
    ranges and the label lists of by/without/on/ignoring/group_* are cut
    away, and what is left that is a name and not a function, an aggregation
    or a keyword is a metric;
  - `promtool check rules` on a rule file, by Debian's prometheus package.

Every failure raises SystemExit("FAIL: ..."), so a caller just calls.
"""
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.request

# PromQL's functions and aggregation operators (Prometheus 2.42) and keywords.
FUNCTIONS = set("""
abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month
day_of_week day_of_year days_in_month delta deriv exp floor histogram_count
histogram_fraction histogram_quantile histogram_sum holt_winters hour idelta
increase irate label_join label_replace ln log10 log2 minute month
predict_linear rate resets round scalar sgn sort sort_desc sqrt time timestamp
vector year avg_over_time min_over_time max_over_time sum_over_time
count_over_time quantile_over_time stddev_over_time stdvar_over_time
last_over_time present_over_time acos acosh asin asinh atan atanh cos cosh sin
sinh tan tanh deg pi rad
""".split())
AGGREGATIONS = set("sum min max avg group stddev stdvar count count_values bottomk topk "
                   "quantile".split())
KEYWORDS = set("by without on ignoring group_left group_right bool offset and or unless "
               "inf nan".split())


def fail(msg):
    raise SystemExit("FAIL: " + msg)


def metric_names(expr):
    """The metric names @expr reads (recording-rule names included)."""
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    e = re.sub(r"'(?:\\.|[^'\\])*'", "''", e)
    e = re.sub(r"\{[^{}]*\}", " ", e)
    e = re.sub(r"\[[^\[\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", r" \1 ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", e):
        tok = m.group(0)
        if tok.lower() in KEYWORDS or tok in AGGREGATIONS:
            continue
        if e[m.end():].lstrip().startswith("("):
            if tok not in FUNCTIONS:
                fail(f"{tok}( in {expr!r} is not a PromQL function")
            continue
        names.add(tok)
    return names


def family_of(name, families):
    """The family /metrics lists for @name (a histogram's _bucket, _sum and
    _count belong to it), or None."""
    if name in families:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and families.get(base) == "histogram":
            return base
    return None


def promtool():
    tool = shutil.which("promtool")
    if not tool:
        fail("promtool is not installed: apt-get install prometheus (contrib/check.sh does it)")
    return tool


def check_rules(path):
    """`promtool check rules PATH`: (exit status, output)."""
    r = subprocess.run([promtool(), "check", "rules", path], capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout + r.stderr


def make_ca(tmp):
    """A CA and a certificate for 127.0.0.1 in @tmp: (ca, cert, key)."""
    openssl = shutil.which("openssl")
    if not openssl:
        fail("openssl is not installed: apt-get install openssl (contrib/check.sh does it)")
    ca, ca_key = os.path.join(tmp, "ca.pem"), os.path.join(tmp, "ca.key")
    cert, key, csr = (os.path.join(tmp, n) for n in ("server.pem", "server.key", "server.csr"))
    ext = os.path.join(tmp, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for args in (["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj",
                  "/CN=test CA"],
                 ["req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                 ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-set_serial", "7",
                  "-days", "2", "-extfile", ext, "-out", cert]):
        r = subprocess.run([openssl, *args], capture_output=True, text=True, timeout=60)
        if r.returncode:
            fail(f"openssl {args[0]}: {r.stderr}")
    return ca, cert, key


class Daemon:
    """`runwarden serve` on port 0; stopped with stop() (SIGTERM, by PID)."""

    def __init__(self, binary, tmp, args, cafile=None):
        self.log = open(os.path.join(tmp, "daemon.log"), "w+")
        self.cafile = cafile
        env = dict(os.environ)
        env.pop("RUNWARDEN_DB", None)
        self.proc = subprocess.Popen([binary, "serve", "--init", "--listen", "127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=env)
        line = self.proc.stdout.readline()
        m = re.match(r"listening on (https?://127\.0\.0\.1:\d+)", line)
        if not m:
            self.stop()
            fail(f"runwarden serve did not start: {line!r}; log:\n{self.log_text()}")
        self.url = m.group(1)

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def get(self, path):
        ctx = ssl.create_default_context(cafile=self.cafile) if self.cafile else None
        with urllib.request.urlopen(self.url + path, timeout=10, context=ctx) as r:
            return r.read().decode()

    def families(self):
        """{name: type} of every family /metrics lists."""
        fams = {}
        for line in self.get("/metrics").splitlines():
            m = re.match(r"# TYPE (\S+) (\S+)$", line)
            if m:
                fams[m.group(1)] = m.group(2)
        return fams

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("runwarden serve did not stop within 20 s of SIGTERM")
            if code != 0:
                fail(f"runwarden serve exited {code}; log:\n{self.log_text()}")
        self.proc.stdout.close()


def wait_for(pred, what, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    fail(f"timed out waiting for {what}")
