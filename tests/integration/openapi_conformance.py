#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""openapi_conformance.py — contrib/openapi.yaml against a running daemon.

usage: openapi_conformance.py RUNWARDEN_BINARY OPENAPI_YAML

Starts `runwarden serve --listen 127.0.0.1:0` on a fresh temporary directory
(database, policy, config), then drives every operation the document lists:
its success status and every error status it documents, except 503 (a store
or memory failure the test cannot cause without breaking the daemon). Every
answer is checked against the document:

  - the status is documented for that operation;
  - the Content-Type is one the documented response lists;
  - documented headers marked `required` are present (WWW-Authenticate on
    401, Retry-After on 429) and match their schema;
  - the body matches the response schema: every `required` member present
    with the right JSON type, `nullable`, `enum`, `format: date-time`,
    nested objects and arrays, `$ref` resolved within the document, and no
    member beyond `properties` where `additionalProperties: false`;
  - a problem's `status` member equals the HTTP status, and its `field`
    names the expected field where the test knows it.

The request side is checked too: every body the test sends for a success is
valid against the documented request schema; an unknown member answers 400
whose "the members are: …" list must equal the documented properties; an
empty body is accepted exactly when the request body is not `required`.

It fails if the document lists an operation the test does not exercise, or a
status (other than 503) the test never saw, so a new endpoint or a new
status must come with its test. Every wait is bounded; the whole run takes
well under 60 s. The daemon is stopped by PID with SIGTERM (SIGKILL after
10 s) and must exit 0. Exit status: 0 when everything conforms, 1 with one
line per mismatch otherwise, 2 on a usage or setup error.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("openapi_conformance: needs PyYAML (Debian: apt-get install python3-yaml)\n")
    sys.exit(2)

TOTAL_S = 40  # the run up to stopping the daemon; with STOP_TIMEOUT_S twice, < 60 s
HTTP_TIMEOUT_S = 5
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 5
INCIDENT_WAIT_S = 20

TARGET = "riscv64gc-unknown-linux-gnu"
BIG = 70000  # over REQBODY_MAX (64 KiB), under h2o's 4 * REQBODY_MAX
HUGE = 300000  # over h2o's own limit: its text/plain 413
UNTESTABLE = {"503"}  # documented, but not provokable from outside

POLICY = {
    "version": 1,
    "uptime_floor": 0,
    "flagging": {"probation_days": 0},
    "probe": {"interval_s": 1, "timeout_ms": 500, "failures_to_down": 2, "successes_to_up": 1},
    "push": {"grace_s": 1},
    "maintenance": {"min_notice_h": 0, "max_h_per_month": 8},
}
# A burst large enough for every token the test uses normally, refilled so
# slowly that an exhausted token stays exhausted for the rest of the run.
CONFIG = {"write_burst": 200, "write_per_minute": 1}
GITHUB_SECRET = "github-webhook-secret-for-the-conformance-test"

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class Fatal(Exception):
    """A failure after which the run cannot go on."""


class Timeout(Exception):
    pass


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ---- the document ------------------------------------------------------------


class Spec:
    METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        if not isinstance(self.doc, dict) or not str(self.doc.get("openapi", "")).startswith("3."):
            raise Fatal(f"{path}: not an OpenAPI 3.x document")
        self.path = path
        self.ops = {}
        for tmpl, item in (self.doc.get("paths") or {}).items():
            for m, op in item.items():
                if m in self.METHODS:
                    self.ops[(m.upper(), tmpl)] = op

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise Fatal(f"{self.path}: only local $ref are supported: {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise Fatal(f"{self.path}: $ref {ref} does not resolve")
                node = node[part]
            seen += 1
            if seen > 32:
                raise Fatal(f"{self.path}: $ref loop at {ref}")
        return node

    def op(self, method, tmpl):
        o = self.ops.get((method, tmpl))
        if o is None:
            raise Fatal(f"the test calls {method} {tmpl}, which {self.path} does not document")
        return o

    def response(self, method, tmpl, status):
        responses = self.op(method, tmpl).get("responses") or {}
        r = responses.get(str(status), responses.get(f"{str(status)[0]}XX", responses.get("default")))
        return self.resolve(r) if r is not None else None

    def request_schema(self, method, tmpl):
        rb = self.op(method, tmpl).get("requestBody")
        if rb is None:
            return None, False
        rb = self.resolve(rb)
        media = (rb.get("content") or {}).get("application/json")
        if media is None or "schema" not in media:
            raise Fatal(f"{method} {tmpl}: requestBody has no application/json schema")
        return self.resolve(media["schema"]), bool(rb.get("required", False))

    # A small JSON Schema checker for the subset OpenAPI 3.0/3.1 documents use.
    def check(self, schema, value, where, errs):
        s = self.resolve(schema)
        if not isinstance(s, dict):
            return
        for sub in s.get("allOf", []):
            self.check(sub, value, where, errs)
        for key in ("oneOf", "anyOf"):
            if key in s:
                fits = 0
                for sub in s[key]:
                    e = []
                    self.check(sub, value, where, e)
                    fits += not e
                if fits == 0 or (key == "oneOf" and fits > 1):
                    errs.append(f"{where}: matches {fits} of the {key} schemas")
        types = s.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        if value is None:
            if s.get("nullable") or "null" in types or (not types and "enum" not in s):
                return
            errs.append(f"{where}: null, but the schema is not nullable")
            return
        if types:
            ok = False
            for t in types:
                ok = ok or {
                    "string": isinstance(value, str),
                    "integer": isinstance(value, int) and not isinstance(value, bool),
                    "number": isinstance(value, (int, float)) and not isinstance(value, bool),
                    "boolean": isinstance(value, bool),
                    "object": isinstance(value, dict),
                    "array": isinstance(value, list),
                    "null": False,
                }.get(t, False)
            if not ok:
                errs.append(f"{where}: {type(value).__name__} {json.dumps(value)[:60]}, schema type {'/'.join(types)}")
                return
        if "enum" in s and value not in s["enum"]:
            errs.append(f"{where}: {json.dumps(value)} is not one of {s['enum']}")
        if isinstance(value, str):
            if s.get("format") == "date-time" and not RFC3339.match(value):
                errs.append(f"{where}: {value!r} is not an RFC 3339 date-time")
            if "minLength" in s and len(value) < s["minLength"]:
                errs.append(f"{where}: shorter than {s['minLength']}")
            if "maxLength" in s and len(value.encode()) > s["maxLength"]:
                errs.append(f"{where}: longer than {s['maxLength']}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in s and value < s["minimum"]:
                errs.append(f"{where}: {value} < minimum {s['minimum']}")
            if "maximum" in s and value > s["maximum"]:
                errs.append(f"{where}: {value} > maximum {s['maximum']}")
        if isinstance(value, dict):
            props = s.get("properties") or {}
            for name in s.get("required", []):
                if name not in value:
                    errs.append(f"{where}: required member {name!r} is missing")
            for name, v in value.items():
                if name in props:
                    self.check(props[name], v, f"{where}.{name}", errs)
                elif s.get("additionalProperties") is False:
                    errs.append(f"{where}: member {name!r} is not in the schema (additionalProperties: false)")
                elif isinstance(s.get("additionalProperties"), dict):
                    self.check(s["additionalProperties"], v, f"{where}.{name}", errs)
            if "minProperties" in s and len(value) < s["minProperties"]:
                errs.append(f"{where}: fewer than {s['minProperties']} members")
        if isinstance(value, list):
            if "minItems" in s and len(value) < s["minItems"]:
                errs.append(f"{where}: fewer than {s['minItems']} items")
            if "maxItems" in s and len(value) > s["maxItems"]:
                errs.append(f"{where}: more than {s['maxItems']} items")
            if "items" in s:
                for i, v in enumerate(value):
                    self.check(s["items"], v, f"{where}[{i}]", errs)


# ---- the daemon ----------------------------------------------------------------


class Daemon:
    def __init__(self, binary, tmp, admin):
        self.tmp = tmp
        with open(os.path.join(tmp, "policy.json"), "w") as f:
            json.dump(POLICY, f)
        with open(os.path.join(tmp, "github-secret"), "w") as f:
            f.write(GITHUB_SECRET + "\n")
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(dict(CONFIG, github={"webhook_secret_file":
                                           os.path.join(tmp, "github-secret")}), f)
        self.log_path = os.path.join(tmp, "daemon.log")
        self.log = open(self.log_path, "wb")
        env = dict(os.environ, RUNWARDEN_ADMIN_TOKEN=admin)
        env.pop("RUNWARDEN_DB", None)
        self.proc = subprocess.Popen(
            [binary, "serve", "--db", os.path.join(tmp, "rw.db"), "--init",
             "--policy", os.path.join(tmp, "policy.json"),
             "--config", os.path.join(tmp, "config.json"),
             "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, env=env)
        try:
            self.port = self._read_port()
        except BaseException:
            self.stop()
            raise

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        buf = b""
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", buf)
                if m:
                    return int(m.group(1))
            elif self.proc.poll() is not None:
                break
        raise Fatal(f"the daemon did not print 'listening on http://127.0.0.1:PORT' within "
                    f"{START_TIMEOUT_S} s (exit status {self.proc.poll()}); stdout: {buf!r}")

    def stop(self):
        """SIGTERM by PID, SIGKILL after STOP_TIMEOUT_S; returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
                self.log.close()
                return None
        self.log.close()
        return self.proc.returncode

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


# ---- the client ----------------------------------------------------------------


class Answer:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        self.json = None
        if self.ctype.endswith("json"):
            try:
                self.json = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                self.json = None

    def __getitem__(self, k):
        if not isinstance(self.json, dict) or k not in self.json:
            raise Fatal(f"the answer has no member {k!r}: {self.raw[:300]!r}")
        return self.json[k]


class Client:
    def __init__(self, spec, port):
        self.spec = spec
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.failures = []
        self.seen = {}  # (METHOD, template) -> set of statuses
        self.checked = 0  # requests checked against the document

    def fail(self, msg):
        self.failures.append(msg)
        print(f"FAIL {msg}", flush=True)

    def raw(self, method, path, token=None, body=None, auth=None, ctype="application/json",
            headers=None):
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = auth
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            if ctype is not None:
                headers["Content-Type"] = ctype
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=HTTP_TIMEOUT_S) as r:
                return Answer(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            try:
                raw = e.read()
            except OSError:
                raw = b""
            return Answer(e.code, e.headers, raw)
        except (urllib.error.URLError, OSError) as e:
            raise Fatal(f"{method} {path}: no answer: {e}")

    def call(self, op, path, expect, token=None, body=None, auth=None, field=None, note="",
             ctype="application/json", headers=None):
        """One request of operation @op ("METHOD /template"), checked against the document."""
        method, tmpl = op.split(" ", 1)
        self.spec.op(method, tmpl)
        a = self.raw(method, path, token=token, body=body, auth=auth, ctype=ctype,
                     headers=headers)
        what = f"{method} {path} [{op}]{' (' + note + ')' if note else ''}"
        self.seen.setdefault((method, tmpl), set()).add(str(a.status))
        self.checked += 1
        if a.status != expect:
            self.fail(f"{what}: status {a.status}, expected {expect}: {a.raw[:300]!r}")
        # Whatever the document says: the API promises these headers.
        for st, name in ((401, "WWW-Authenticate"), (429, "Retry-After")):
            if a.status == st and not a.headers.get(name):
                self.fail(f"{what}: a {st} answer without {name}")
        self.conform(method, tmpl, what, a)
        if field is not None and a.status == expect and isinstance(a.json, dict):
            if a.json.get("field") != field:
                self.fail(f"{what}: problem field {a.json.get('field')!r}, expected {field!r}")
        return a

    def conform(self, method, tmpl, what, a):
        r = self.spec.response(method, tmpl, a.status)
        if r is None:
            self.fail(f"{what}: status {a.status} is not documented for {method} {tmpl}")
            return
        for name, h in (r.get("headers") or {}).items():
            h = self.spec.resolve(h)
            v = a.headers.get(name)
            if v is None:
                if h.get("required"):
                    self.fail(f"{what}: documented header {name} is missing")
                continue
            hs = self.spec.resolve(h.get("schema") or {})
            if hs.get("type") == "integer":
                try:
                    v = int(v)
                except ValueError:
                    self.fail(f"{what}: header {name}: {v!r} is not an integer")
                    continue
            errs = []
            self.spec.check(hs, v, f"header {name}", errs)
            for e in errs:
                self.fail(f"{what}: {e}")
        content = r.get("content") or {}
        if not content:
            return
        media = content.get(a.ctype)
        if media is None:
            self.fail(f"{what}: Content-Type {a.ctype!r} is not documented (documented: {', '.join(content)})")
            return
        if a.ctype.endswith("json"):
            if a.json is None:
                self.fail(f"{what}: the {a.ctype} body does not parse: {a.raw[:200]!r}")
                return
            value = a.json
        else:
            value = a.raw.decode("utf-8", "replace")
        errs = []
        if "schema" in media:
            self.spec.check(media["schema"], value, "body", errs)
        for e in errs:
            self.fail(f"{what}: {e}")
        if a.ctype == "application/problem+json" and isinstance(value, dict):
            if value.get("status") != a.status:
                self.fail(f"{what}: problem status {value.get('status')!r} != HTTP {a.status}")

    # -- request-side checks ---------------------------------------------------

    def valid_body(self, op, body):
        """Asserts @body (sent for a success) is valid for the documented request schema."""
        method, tmpl = op.split(" ", 1)
        schema, _ = self.spec.request_schema(method, tmpl)
        if schema is None:
            self.fail(f"{op}: the test sends a body, the document has no requestBody")
            return body
        errs = []
        self.spec.check(schema, body, "request", errs)
        for e in errs:
            self.fail(f"{op}: the body the server accepts is invalid for the documented schema: {e}")
        return body

    def body_rules(self, op, path, token, empty_expect=None):
        """An unknown member answers 400 listing the members, which must be the
        documented properties; an empty body is refused exactly when the
        requestBody is required (when @empty_expect is given, the empty body is
        sent and must answer it)."""
        method, tmpl = op.split(" ", 1)
        schema, required = self.spec.request_schema(method, tmpl)
        if schema is None:
            raise Fatal(f"{op}: the document has no requestBody")
        # A body that does not say it is JSON: 415 naming the header, whether
        # the type is another one or missing; parameters are fine.
        self.call(op, path, 415, token=token, body={"zz_unknown": 1}, field="Content-Type",
                  ctype="text/plain", note="text/plain body")
        self.call(op, path, 415, token=token, body={"zz_unknown": 1}, field="Content-Type",
                  ctype="application/x-www-form-urlencoded", note="form body")
        self.call(op, path, 400, token=token, body={"zz_unknown": 1}, field="zz_unknown",
                  ctype="Application/JSON; charset=utf-8", note="JSON with a charset")
        a = self.call(op, path, 400, token=token, body={"zz_unknown": 1}, field="zz_unknown",
                      note="unknown member")
        m = re.search(r"the members are: (.*)$", (a.json or {}).get("detail", ""))
        if not m:
            self.fail(f"{op}: the unknown-member problem does not list the members: {a.raw[:200]!r}")
        else:
            server = {x.strip() for x in m.group(1).split(",") if x.strip() and x.strip() != "(none)"}
            doc = set((schema.get("properties") or {}).keys())
            if server != doc:
                self.fail(f"{op}: the server accepts members {sorted(server)}, the document lists "
                          f"{sorted(doc)}")
        if empty_expect is not None:
            want_ok = not required
            if (200 <= empty_expect < 300) != want_ok:
                self.fail(f"{op}: the test expects {empty_expect} for an empty body, but the "
                          f"requestBody is {'required' if required else 'optional'}")
            self.call(op, path, empty_expect, token=token, body=b"", note="empty body")

    def auth_rules(self, op, path, body=None):
        """401 without a token, with an unknown token and with a non-Bearer scheme."""
        self.call(op, path, 401, body=body, field="Authorization", note="no token")
        self.call(op, path, 401, token="rw_" + "0" * 64, body=body, field="Authorization",
                  note="unknown token")
        self.call(op, path, 401, auth="Basic b3A6cHc=", body=body, field="Authorization",
                  note="not Bearer")

    def too_large(self, op, path, token):
        self.call(op, path, 413, token=token, body=b'{"x":"' + b"a" * BIG + b'"}', note="64 KiB+")

    def exhaust(self, token, method, path, body=None):
        """Spends @token's write bucket (unchecked requests) until a 429."""
        for _ in range(CONFIG["write_burst"] * 2 + 10):
            if self.raw(method, path, token=token, body=body).status == 429:
                return
        raise Fatal(f"{method} {path}: no 429 after {CONFIG['write_burst'] * 2 + 10} writes")


# ---- the scenario --------------------------------------------------------------


def add_member(db_path, pool_id, github_id, github_name):
    """Adds a member to GitHub pool @pool_id as the daemon does
    (store_github_member_upsert()): approved, the pool's operator and targets,
    a new registry generation, unknown from now. Returns its id."""
    import sqlite3
    now = int(time.time() * 1000)
    db = sqlite3.connect(db_path, timeout=10)
    try:
        with db:
            gen = db.execute("SELECT MAX(gen) + 1 FROM runners").fetchone()[0]
            cur = db.execute(
                "INSERT INTO runners (operator_id, name, kind, status, created_ms, gen,"
                " last_state, last_state_ms, pool_id, github_id, github_name)"
                " SELECT operator_id, name || '/' || ?, 'github', 1, ?, ?, 0, ?, id, ?, ?"
                " FROM runners WHERE id = ?",
                (re.sub(r"[^A-Za-z0-9._-]", "_", github_name), now, gen, now, github_id,
                 github_name, pool_id))
            member = cur.lastrowid
            db.execute("INSERT INTO runner_targets (runner_id, target)"
                       " SELECT ?, target FROM runner_targets WHERE runner_id = ?",
                       (member, pool_id))
            db.execute("INSERT INTO intervals (runner_id, start_ms, state) VALUES (?, ?, 0)",
                       (member, now))
    finally:
        db.close()
    return member


def github_webhook(c):
    """POST /v1/github/webhook as GitHub delivers: signed, unsigned, not its shape."""
    op, path = "POST /v1/github/webhook", "/v1/github/webhook"

    def signed(body, guid, event, secret=GITHUB_SECRET):
        raw = json.dumps(body).encode()
        sig = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return raw, {"X-Hub-Signature-256": sig, "X-GitHub-Delivery": guid,
                     "X-GitHub-Event": event}

    job = {"action": "queued",
           "workflow_job": {"id": 4242, "run_id": 7, "name": "build", "status": "queued",
                            "conclusion": None, "created_at": rfc3339(time.time() - 5),
                            "started_at": None, "completed_at": None,
                            "labels": ["self-hosted", "riscv64"], "runner_name": None},
           "repository": {"full_name": "acme/widgets"}}
    raw, h = signed({"zen": "Design for failure."}, "oa-ping", "ping")
    c.call(op, path, 204, body=raw, headers=h, note="ping")
    raw, h = signed(job, "oa-1", "workflow_job")
    c.call(op, path, 204, body=raw, headers=h, note="a queued job")
    c.call(op, path, 204, body=raw, headers=h, note="the same delivery again")
    raw, h = signed(job, "oa-2", "workflow_job", secret="not-the-secret-0123456789")
    c.call(op, path, 401, body=raw, headers=h, note="wrong signature")
    raw, h = signed({"action": "queued"}, "oa-3", "workflow_job")
    c.call(op, path, 400, body=raw, headers=h, note="not a workflow_job")


def run(c, admin, daemon):
    T = TARGET
    A = admin

    # public ----------------------------------------------------------------
    c.call("GET /healthz", "/healthz", 200)
    c.call("GET /", "/", 200)
    c.call("GET /metrics", "/metrics", 200)
    c.call("GET /v1/route", "/v1/route", 400, field="target", note="no target")
    c.call("GET /v1/route", "/v1/route?label=self-hosted", 200, note="by label")
    c.call("GET /v1/events", "/v1/events", 200, note="from the start")
    github_webhook(c)
    c.call("GET /v1/events", "/v1/events?after=1000000&wait=1", 200, note="long poll, nothing new")
    c.call("GET /v1/events", "/v1/events?after=abc", 400, field="after", note="bad after")
    c.call("GET /v1/events", "/v1/events?wait=61", 400, field="wait", note="wait too long")
    # An empty value once made api_query_param() read past the query.
    c.call("GET /v1/route", "/v1/route?target=", 400, field="target", note="empty target")

    # operators ---------------------------------------------------------------
    op = "POST /v1/operators"
    ops = {}
    for name in ("op-a", "op-b", "op-c"):
        body = c.valid_body(op, {"name": name, "email": f"{name}@example.org"})
        a = c.call(op, "/v1/operators", 201, token=A, body=body)
        ops[name] = {"id": a["id"], "token": a["token"], "token_id": a["token_id"]}
    tokA, tokB, tokC = (ops[n]["token"] for n in ("op-a", "op-b", "op-c"))
    opA, opB, opC = (ops[n]["id"] for n in ("op-a", "op-b", "op-c"))
    c.call(op, "/v1/operators", 409, token=A, body={"name": "op-a", "email": "x@example.org"},
           field="name", note="duplicate name")
    c.call(op, "/v1/operators", 400, token=A, body={"name": "op-x"}, field="email",
           note="missing email")
    c.call(op, "/v1/operators", 400, token=A, body={"name": "op x", "email": "x@example.org"},
           field="name", note="bad name")
    c.call(op, "/v1/operators", 400, token=A, body=b'{"name":"a","name":"b","email":"x@y.org"}',
           field="name", note="duplicate member")
    c.call(op, "/v1/operators", 400, token=A, body=b"[" * 40 + b"]" * 40, note="not an object")
    c.body_rules(op, "/v1/operators", A, empty_expect=400)
    c.too_large(op, "/v1/operators", A)
    c.auth_rules(op, "/v1/operators", body={"name": "op-z", "email": "z@example.org"})
    c.call(op, "/v1/operators", 403, token=tokA, body={"name": "op-z", "email": "z@example.org"},
           note="operator token")

    op = "GET /v1/operators"
    c.call(op, "/v1/operators", 200, token=A)
    c.call(op, "/v1/operators", 403, token=tokA, note="operator token")
    c.auth_rules(op, "/v1/operators")

    # runners -----------------------------------------------------------------
    op = "POST /v1/runners"

    def register(token, name, **kw):
        body = {"name": name, "targets": [T]}
        body.update(kw)
        c.valid_body(op, body)
        return c.call(op, "/v1/runners", 201, token=token, body=body)

    rA_http = register(tokA, "ra-http", url="https://runner-a.example.org/health")["id"]
    a = register(tokA, "ra-down", mode="push", interval_s=1)
    rA_down, hbDown = a["id"], a["heartbeat_token"]
    a = register(tokA, "ra-live", mode="push", interval_s=5)
    rA_live, hbLive = a["id"], a["heartbeat_token"]
    a = register(tokA, "ra-gone", mode="push", interval_s=60)
    rA_gone, hbGone = a["id"], a["heartbeat_token"]
    a = register(tokA, "ra-burn", mode="push", interval_s=60)
    rA_burn, hbBurn = a["id"], a["heartbeat_token"]
    rA_retire = register(tokA, "ra-retire", url="https://runner-r.example.org/health",
                         interval_s=30, timeout_ms=2000)["id"]
    rA_withdraw = register(tokA, "ra-withdraw", url="https://runner-w.example.org/")["id"]
    rB = register(tokB, "rb-push", mode="push")["id"]

    c.call(op, "/v1/runners", 409, token=tokA,
           body={"name": "ra-http", "targets": [T], "url": "https://x.example.org/"},
           field="name", note="duplicate name")
    c.call(op, "/v1/runners", 400, token=tokA,
           body={"name": "ra-x", "targets": [T], "url": "http://203.0.113.7:9/health"},
           field="url", note="address guard")
    c.call(op, "/v1/runners", 400, token=tokA, body={"name": "ra-x", "targets": [T]},
           field="url", note="no url, not push")
    c.call(op, "/v1/runners", 400, token=tokA,
           body={"name": "ra-x", "targets": T, "url": "https://x.example.org/"},
           field="targets", note="targets not an array")
    c.call(op, "/v1/runners", 400, token=tokA,
           body={"name": "ra-x", "targets": [T, 5], "url": "https://x.example.org/"},
           field="targets[1]", note="targets[1] not a string")
    c.call(op, "/v1/runners", 400, token=tokA,
           body={"name": "ra-x", "targets": [T], "mode": "push", "interval_s": 0},
           field="interval_s", note="interval out of range")
    c.body_rules(op, "/v1/runners", tokA, empty_expect=400)
    c.too_large(op, "/v1/runners", tokA)
    c.call(op, "/v1/runners", 403, token=A, body={"name": "ra-x", "targets": [T], "mode": "push"},
           note="admin token")
    c.call(op, "/v1/runners", 403, token=hbLive,
           body={"name": "ra-x", "targets": [T], "mode": "push"}, note="heartbeat token")
    c.auth_rules(op, "/v1/runners", body={"name": "ra-x", "targets": [T], "mode": "push"})

    op = "POST /v1/runners/{id}/approve"
    for rid in (rA_down, rA_live, rA_gone):
        a = c.call(op, f"/v1/runners/{rid}/approve", 200, token=A)
        if a.json and a.json.get("status") != "approved":
            c.fail(f"{op}: status {a.json.get('status')!r} after approval")
    a = c.call(op, f"/v1/runners/{rA_live}/approve", 200, token=A,
               note="already approved: no change")
    if a.json and a.json.get("status") != "approved":
        c.fail(f"{op}: status {a.json.get('status')!r} after approving twice")
    c.call(op, f"/v1/runners/{rA_http}/approve", 403, token=tokA, note="own runner, operator")
    c.call(op, f"/v1/runners/{rA_http}/approve", 404, token=tokB, field="id",
           note="another operator's runner")
    c.call(op, "/v1/runners/999999/approve", 404, token=A, field="id", note="no such runner")
    c.call(op, "/v1/runners/abc/approve", 400, token=A, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_http}/approve", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}/approve")
    # An optional body: {"probation": false} waives the runner's probation.
    a = c.call(op, f"/v1/runners/{rA_live}/approve", 200, token=A,
               body=c.valid_body(op, {"probation": False}), note="no probation")
    if a.json and a.json.get("status") != "approved":
        c.fail(f"{op}: status {a.json.get('status')!r} after approving without probation")
    c.call(op, f"/v1/runners/{rA_live}/approve", 400, token=A, body={"probation": "no"},
           field="probation", note="probation not a boolean")
    c.body_rules(op, f"/v1/runners/{rA_live}/approve", A, empty_expect=200)

    # heartbeats: ra-live goes up, ra-down never sends one and goes down.
    op = "POST /v1/runners/{id}/heartbeat"
    hb = c.valid_body(op, {"busy": False, "version": "runner 2.1", "jobs_running": 0})
    a = c.call(op, f"/v1/runners/{rA_live}/heartbeat", 200, token=hbLive, body=hb)
    if a.json and a.json.get("id") != rA_live:
        c.fail(f"{op}: id {a.json.get('id')} != {rA_live}")
    c.body_rules(op, f"/v1/runners/{rA_live}/heartbeat", hbLive, empty_expect=200)
    c.call(op, f"/v1/runners/{rA_live}/heartbeat", 400, token=hbLive, body={"busy": "yes"},
           field="busy", note="busy not a boolean")
    c.call(op, f"/v1/runners/{rA_live}/heartbeat", 400, token=hbLive,
           body={"jobs_running": -1}, field="jobs_running", note="negative jobs")
    c.call(op, "/v1/runners/abc/heartbeat", 400, token=hbLive, field="id", note="bad id")
    c.too_large(op, f"/v1/runners/{rA_live}/heartbeat", hbLive)
    c.call(op, f"/v1/runners/{rA_down}/heartbeat", 404, token=hbLive, field="id",
           note="another runner's id")
    c.call(op, f"/v1/runners/{rA_live}/heartbeat", 403, token=tokA, note="operator token")
    c.call(op, f"/v1/runners/{rA_live}/heartbeat", 404, token=tokB, field="id",
           note="operator token, another operator's runner")
    c.call(op, f"/v1/runners/{rA_live}/heartbeat", 403, token=A, note="admin token")
    c.auth_rules(op, f"/v1/runners/{rA_live}/heartbeat")

    # the route, with ra-live eligible and the others excluded
    c.call("POST /v1/runners/{id}/heartbeat", f"/v1/runners/{rA_live}/heartbeat", 200,
           token=hbLive, body={"busy": True})
    a = c.call("GET /v1/route", f"/v1/route?target={T}", 200)
    if a.json:
        if not a.json.get("eligible"):
            c.fail(f"GET /v1/route: no eligible runner after ra-live's heartbeat, so the "
                   f"eligible items' schema went unchecked: {a.raw[:300]!r}")
        if not a.json.get("excluded"):
            c.fail(f"GET /v1/route: no excluded runner: {a.raw[:300]!r}")
    c.call("GET /v1/route", "/v1/route?target=s390x-unknown-linux-gnu", 200, note="empty pool")

    op = "GET /v1/runners"
    for tok, who in ((tokA, "operator"), (A, "admin")):
        a = c.call(op, "/v1/runners", 200, token=tok, note=who)
        if a.json and who == "operator" and any(r.get("id") == rB for r in a.json.get("runners", [])):
            c.fail(f"{op}: operator A sees operator B's runner {rB}")
    c.call(op, "/v1/runners", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, "/v1/runners")

    op = "GET /v1/runners/{id}"
    for rid in (rA_http, rA_live, rA_down):
        c.call(op, f"/v1/runners/{rid}", 200, token=tokA)
    c.call(op, f"/v1/runners/{rB}", 200, token=A, note="admin sees all")
    c.call(op, f"/v1/runners/{rB}", 404, token=tokA, field="id", note="another operator's runner")
    c.call(op, "/v1/runners/abc", 400, token=tokA, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_http}", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}")

    op = "PATCH /v1/runners/{id}"
    body = c.valid_body(op, {"interval_s": 30, "targets": [T, "s390x-unknown-linux-gnu"]})
    a = c.call(op, f"/v1/runners/{rA_http}", 200, token=tokA, body=body)
    if a.json and a.json.get("interval_s") != 30:
        c.fail(f"{op}: interval_s {a.json.get('interval_s')!r} after PATCH to 30")
    c.call(op, f"/v1/runners/{rA_http}", 200, token=A,
           body=c.valid_body(op, {"url": "https://runner-a2.example.org/health"}), note="admin")
    c.call(op, f"/v1/runners/{rA_http}", 400, token=tokA, body={"name": "ra-y"}, field="name",
           note="name cannot change")
    c.call(op, f"/v1/runners/{rA_live}", 400, token=tokA,
           body={"url": "https://x.example.org/"}, field="url", note="push runner has no url")
    c.call(op, f"/v1/runners/{rA_http}", 400, token=tokA,
           body={"url": "http://10.0.0.1/"}, field="url", note="address guard")
    c.call(op, "/v1/runners/abc", 400, token=tokA, body={"interval_s": 30}, field="id",
           note="bad id")
    c.body_rules(op, f"/v1/runners/{rA_http}", tokA, empty_expect=400)
    c.too_large(op, f"/v1/runners/{rA_http}", tokA)
    c.call(op, f"/v1/runners/{rA_http}", 404, token=tokB, body={"interval_s": 30}, field="id",
           note="another operator's runner")
    c.call(op, f"/v1/runners/{rA_http}", 403, token=hbLive, body={"interval_s": 30},
           note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}", body={"interval_s": 30})

    op = "POST /v1/runners/{id}/retire"
    for rid in (rA_retire, rA_gone):
        a = c.call(op, f"/v1/runners/{rid}/retire", 200, token=A)
        if a.json and a.json.get("status") != "retired":
            c.fail(f"{op}: status {a.json.get('status')!r} after retiring")
    c.call(op, f"/v1/runners/{rA_retire}/retire", 409, token=A, field="id", note="already retired")
    c.call("POST /v1/runners/{id}/approve", f"/v1/runners/{rA_retire}/approve", 409, token=A,
           field="id", note="retired runner")
    c.call(op, f"/v1/runners/{rA_http}/retire", 403, token=tokA, note="own runner, operator")
    c.call(op, f"/v1/runners/{rA_http}/retire", 404, token=tokB, field="id",
           note="another operator's runner")
    c.call(op, "/v1/runners/abc/retire", 400, token=A, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_http}/retire", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}/retire")
    c.call("GET /v1/runners/{id}", f"/v1/runners/{rA_gone}", 200, token=tokA,
           note="retired push runner")

    op = "DELETE /v1/runners/{id}"
    a = c.call(op, f"/v1/runners/{rA_withdraw}", 200, token=tokA)
    if a.json and a.json.get("status") != "retired":
        c.fail(f"{op}: status {a.json.get('status')!r} after withdrawing")
    c.call(op, f"/v1/runners/{rA_withdraw}", 409, token=tokA, field="id", note="already retired")
    c.call(op, f"/v1/runners/{rA_http}", 404, token=tokB, field="id",
           note="another operator's runner")
    c.call(op, "/v1/runners/abc", 400, token=tokA, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_http}", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}")

    # GitHub pools: registered, approved, listed; a member as the daemon makes
    # them (store_github_member_upsert(), done here in SQL on the daemon's
    # database) is listed with its pool and refuses to be changed or retired.
    op = "POST /v1/runners"
    rA_pool = register(tokA, "ra-pool", mode="github", github="acme-org/ci",
                       labels=["self-hosted", "riscv64"], pickup_within_s=300)["id"]
    pool = {"name": "ra-x", "targets": [T], "mode": "github", "github": "acme-org",
            "labels": ["x"]}
    c.call(op, "/v1/runners", 400, token=tokA, body=dict(pool, url="https://x.example.org/"),
           field="url", note="github pool with a url")
    c.call(op, "/v1/runners", 400, token=tokA, body=dict(pool, labels=[]), field="labels",
           note="github pool without labels")
    c.call(op, "/v1/runners", 400, token=tokA, body=dict(pool, github="a/b/c"), field="github",
           note="github source not OWNER[/REPO]")
    c.call(op, "/v1/runners", 400, token=tokA, body=dict(pool, min_online=10001),
           field="min_online", note="min_online out of range")
    c.call("POST /v1/runners/{id}/approve", f"/v1/runners/{rA_pool}/approve", 200, token=A,
           note="github pool")
    rA_member = add_member(os.path.join(daemon.tmp, "rw.db"), rA_pool, 4711, "rv box 1")
    for rid, what in ((rA_pool, "pool"), (rA_member, "member")):
        a = c.call("GET /v1/runners/{id}", f"/v1/runners/{rid}", 200, token=tokA,
                   note=f"github {what}")
        if a.json and a.json.get("mode") != "github":
            c.fail(f"GET /v1/runners/{{id}}: github {what} has mode {a.json.get('mode')!r}")
    a = c.call("GET /v1/runners/{id}", f"/v1/runners/{rA_member}", 200, token=A)
    if a.json and (a.json.get("pool"), a.json.get("github_id"), a.json.get("github_name")) != (
            "ra-pool", 4711, "rv box 1"):
        c.fail(f"GET /v1/runners/{{id}}: member {a.raw[:300]!r}")
    c.call("DELETE /v1/runners/{id}", f"/v1/runners/{rA_member}", 409, token=tokA, field="id",
           note="member of a github pool")
    c.call("POST /v1/runners/{id}/retire", f"/v1/runners/{rA_member}/retire", 409, token=A,
           field="id", note="member of a github pool")
    c.call("PATCH /v1/runners/{id}", f"/v1/runners/{rA_member}", 409, token=tokA,
           body={"targets": [T]}, field="id", note="member of a github pool")
    c.call("PATCH /v1/runners/{id}", f"/v1/runners/{rA_pool}", 400, token=tokA,
           body={"github": "other-org"}, field="github", note="github cannot change")
    c.call("PATCH /v1/runners/{id}", f"/v1/runners/{rA_pool}", 200, token=tokA,
           body=c.valid_body("PATCH /v1/runners/{id}", {"labels": ["self-hosted"]}),
           note="github pool labels")

    c.call("PATCH /v1/runners/{id}", f"/v1/runners/{rA_retire}", 409, token=tokA,
           body={"interval_s": 30}, field="id", note="retired runner")
    c.call("POST /v1/runners/{id}/heartbeat", f"/v1/runners/{rA_gone}/heartbeat", 409,
           token=hbGone, field="id", note="retired runner")

    op = "GET /v1/runners/{id}/availability"
    c.call(op, f"/v1/runners/{rA_live}/availability", 200, token=tokA)
    now = time.time()
    c.call(op, f"/v1/runners/{rA_live}/availability?from={rfc3339(now - 86400)}&to={rfc3339(now + 60)}",
           200, token=A, note="from and to")
    c.call(op, f"/v1/runners/{rA_live}/availability?from=yesterday", 400, token=tokA,
           field="from", note="bad from")
    c.call(op, f"/v1/runners/{rA_live}/availability?from={rfc3339(now)}&to={rfc3339(now - 60)}",
           400, token=tokA, field="from", note="from after to")
    c.call(op, "/v1/runners/abc/availability", 400, token=tokA, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_live}/availability", 404, token=tokB, field="id",
           note="another operator's runner")
    c.call(op, f"/v1/runners/{rA_retire}/availability", 200, token=tokA,
           note="retired runner: up to its retirement, then not_registered")
    c.call(op, f"/v1/runners/{rA_live}/availability", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_live}/availability")

    # maintenance ---------------------------------------------------------------
    op = "POST /v1/runners/{id}/maintenance"
    now = time.time()
    win = c.valid_body(op, {"from": rfc3339(now + 3600), "to": rfc3339(now + 7200),
                            "reason": "kernel upgrade"})
    a = c.call(op, f"/v1/runners/{rA_http}/maintenance", 201, token=tokA, body=win)
    mid = a["window"]["id"] if isinstance(a.json, dict) and isinstance(a.json.get("window"), dict) else None
    if mid is None:
        raise Fatal(f"{op}: no window id in {a.raw[:300]!r}")
    mid2 = c.call(op, f"/v1/runners/{rA_http}/maintenance", 201, token=A,
                  body=c.valid_body(op, {"from": rfc3339(now + 9000), "to": rfc3339(now + 9600),
                                         "reason": "disk swap"}), note="admin")["window"]["id"]
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 400, token=tokA,
           body={"from": "soon", "to": rfc3339(now + 7200), "reason": "x"}, field="from",
           note="bad from")
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 400, token=tokA,
           body={"from": rfc3339(now - 7200), "to": rfc3339(now - 3600), "reason": "x"},
           field="to", note="in the past")
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 400, token=tokA,
           body={"from": rfc3339(now + 3600), "to": rfc3339(now + 7200)}, field="reason",
           note="no reason")
    c.call(op, "/v1/runners/abc/maintenance", 400, token=tokA, body=win, field="id", note="bad id")
    c.body_rules(op, f"/v1/runners/{rA_http}/maintenance", tokA, empty_expect=400)
    c.too_large(op, f"/v1/runners/{rA_http}/maintenance", tokA)
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 404, token=tokB, body=win, field="id",
           note="another operator's runner")
    c.call(op, f"/v1/runners/{rA_retire}/maintenance", 409, token=tokA, body=win, field="id",
           note="retired runner")
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 403, token=hbLive, body=win,
           note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}/maintenance", body=win)

    op = "GET /v1/runners/{id}/maintenance"
    a = c.call(op, f"/v1/runners/{rA_http}/maintenance", 200, token=tokA)
    if a.json and not a.json.get("windows"):
        c.fail(f"{op}: the declared window is not listed: {a.raw[:300]!r}")
    c.call(op, f"/v1/runners/{rA_http}/maintenance?from={rfc3339(now)}&to={rfc3339(now + 86400)}",
           200, token=A, note="from and to")
    c.call(op, f"/v1/runners/{rA_http}/maintenance?to=tomorrow", 400, token=tokA, field="to",
           note="bad to")
    c.call(op, "/v1/runners/abc/maintenance", 400, token=tokA, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 404, token=tokB, field="id",
           note="another operator's runner")
    c.call(op, f"/v1/runners/{rA_http}/maintenance", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}/maintenance")

    op = "DELETE /v1/runners/{id}/maintenance/{mid}"
    a = c.call(op, f"/v1/runners/{rA_http}/maintenance/{mid}", 200, token=tokA)
    if a.json and isinstance(a.json.get("window"), dict) and a.json["window"].get("removed") is None:
        c.fail(f"{op}: the removed window has removed: null")
    c.call(op, f"/v1/runners/{rA_http}/maintenance/{mid}", 409, token=tokA, field="mid",
           note="already removed")
    c.call(op, f"/v1/runners/{rA_live}/maintenance/{mid2}", 404, token=tokA, field="mid",
           note="window of another runner")
    c.call(op, f"/v1/runners/{rA_http}/maintenance/999999", 404, token=A, field="mid",
           note="no such window")
    c.call(op, f"/v1/runners/{rA_http}/maintenance/{mid2}", 404, token=tokB, field="id",
           note="another operator's runner")
    c.call(op, f"/v1/runners/abc/maintenance/{mid2}", 400, token=tokA, field="id", note="bad id")
    c.call(op, f"/v1/runners/{rA_http}/maintenance/{mid2}", 403, token=hbLive,
           note="heartbeat token")
    c.auth_rules(op, f"/v1/runners/{rA_http}/maintenance/{mid2}")

    # tokens ------------------------------------------------------------------
    op = "GET /v1/operators/{id}/tokens"
    a = c.call(op, f"/v1/operators/{opA}/tokens", 200, token=tokA)
    if a.json and not any(t.get("runner_id") == rA_live for t in a.json.get("tokens", [])):
        c.fail(f"{op}: ra-live's heartbeat token is not listed")
    c.call(op, f"/v1/operators/{opA}/tokens", 200, token=A, note="admin")
    c.call(op, f"/v1/operators/{opA}/tokens", 404, token=tokB, field="id",
           note="another operator")
    c.call(op, "/v1/operators/999999/tokens", 404, token=A, field="id", note="no such operator")
    c.call(op, f"/v1/operators/{opA}/tokens", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/operators/{opA}/tokens")

    op = "POST /v1/operators/{id}/tokens"
    a = c.call(op, f"/v1/operators/{opA}/tokens", 201, token=tokA,
               body=c.valid_body(op, {"expires": rfc3339(time.time() + 86400)}))
    tokA2, tidA2 = a["token"], a["id"]
    exp_at = int(time.time()) + 4
    a = c.call(op, f"/v1/operators/{opA}/tokens", 201, token=A,
               body=c.valid_body(op, {"expires": rfc3339(exp_at)}), note="admin, expiring")
    tokExp = a["token"]
    c.call("GET /v1/runners", "/v1/runners", 200, token=tokExp, note="token before it expires")
    c.call(op, f"/v1/operators/{opA}/tokens", 400, token=tokA,
           body={"expires": "2000-01-01T00:00:00Z"}, field="expires", note="expires in the past")
    c.call(op, f"/v1/operators/{opA}/tokens", 400, token=tokA, body={"expires": 5},
           field="expires", note="expires not a string")
    c.body_rules(op, f"/v1/operators/{opA}/tokens", tokA, empty_expect=201)
    c.too_large(op, f"/v1/operators/{opA}/tokens", tokA)
    c.call(op, f"/v1/operators/{opA}/tokens", 404, token=tokB, body={}, field="id",
           note="another operator")
    c.call(op, f"/v1/operators/{opA}/tokens", 403, token=hbLive, body={}, note="heartbeat token")
    c.auth_rules(op, f"/v1/operators/{opA}/tokens", body={})

    c.call("GET /v1/runners", "/v1/runners", 200, token=tokA2, note="second token")

    op = "DELETE /v1/operators/{id}/tokens/{tid}"
    a = c.call(op, f"/v1/operators/{opA}/tokens/{tidA2}", 200, token=tokA)
    if a.json and a.json.get("revoked") is None:
        c.fail(f"{op}: revoked is null after revoking")
    c.call(op, f"/v1/operators/{opA}/tokens/{tidA2}", 409, token=A, field="tid",
           note="already revoked")
    c.call(op, f"/v1/operators/{opA}/tokens/999999", 404, token=A, field="tid",
           note="no such token")
    c.call(op, f"/v1/operators/{opA}/tokens/{ops['op-b']['token_id']}", 404, token=A,
           field="tid", note="another operator's token")
    c.call(op, f"/v1/operators/{opA}/tokens/{tidA2}", 404, token=tokB, field="id",
           note="another operator")
    c.call(op, f"/v1/operators/{opA}/tokens/{tidA2}", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/operators/{opA}/tokens/{tidA2}")
    c.call("GET /v1/runners", "/v1/runners", 401, token=tokA2, field="Authorization",
           note="revoked token")

    # incidents: ra-down, approved, never sent a heartbeat --------------------------
    deadline = time.monotonic() + INCIDENT_WAIT_S
    inc = None
    while inc is None:
        a = c.raw("GET", f"/v1/incidents?runner={rA_down}", token=tokA)
        if a.status == 200 and isinstance(a.json, dict) and a.json.get("incidents"):
            inc = a.json["incidents"][0]["id"]
            break
        if time.monotonic() > deadline:
            raise Fatal(f"no incident for ra-down (approved push runner, no heartbeat) within "
                        f"{INCIDENT_WAIT_S} s: last answer {a.status} {a.raw[:300]!r}")
        time.sleep(0.25)

    time.sleep(max(0.0, exp_at + 0.5 - time.time()))
    c.call("GET /v1/runners", "/v1/runners", 401, token=tokExp, field="Authorization",
           note="expired token")

    op = "GET /v1/incidents"
    a = c.call(op, "/v1/incidents", 200, token=tokA)
    if a.json and not a.json.get("incidents"):
        c.fail(f"{op}: the incident is not listed")
    c.call(op, f"/v1/incidents?runner={rA_down}&from={rfc3339(time.time() - 3600)}"
               f"&to={rfc3339(time.time() + 60)}", 200, token=A, note="runner, from, to")
    a = c.call(op, "/v1/incidents", 200, token=tokB, note="operator without incidents")
    if a.json and a.json.get("incidents"):
        c.fail(f"{op}: operator B sees incidents of A's runners: {a.raw[:300]!r}")
    c.call(op, "/v1/incidents?from=never", 400, token=tokA, field="from", note="bad from")
    c.call(op, "/v1/incidents?runner=x", 400, token=tokA, field="runner", note="bad runner")
    c.call(op, f"/v1/incidents?runner={rB}", 404, token=tokA, field="runner",
           note="another operator's runner")
    c.call(op, "/v1/incidents", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, "/v1/incidents")

    op = "GET /v1/incidents/{id}"
    c.call(op, f"/v1/incidents/{inc}", 200, token=tokA)
    c.call(op, f"/v1/incidents/{inc}", 200, token=A, note="admin")
    c.call(op, f"/v1/incidents/{inc}", 404, token=tokB, field="id", note="another operator's")
    c.call(op, "/v1/incidents/abc", 400, token=tokA, field="id", note="bad id")
    c.call(op, f"/v1/incidents/{inc}", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/incidents/{inc}")

    op = "POST /v1/incidents/{id}/ack"
    a = c.call(op, f"/v1/incidents/{inc}/ack", 200, token=tokA,
               body=c.valid_body(op, {"note": "looking at it"}))
    if a.json and (a.json.get("acknowledged") is None or a.json.get("ack_note") != "looking at it"):
        c.fail(f"{op}: not acknowledged: {a.raw[:300]!r}")
    c.call(op, f"/v1/incidents/{inc}/ack", 409, token=tokA, body={"note": "again"}, field="id",
           note="already acknowledged")
    c.call(op, f"/v1/incidents/{inc}/ack", 400, token=tokA, body={}, field="note",
           note="no note")
    c.call(op, f"/v1/incidents/{inc}/ack", 400, token=tokA, body={"note": "a\u0001b"},
           field="note", note="control character")
    c.call(op, "/v1/incidents/abc/ack", 400, token=tokA, body={"note": "x"}, field="id",
           note="bad id")
    c.body_rules(op, f"/v1/incidents/{inc}/ack", tokA, empty_expect=400)
    c.too_large(op, f"/v1/incidents/{inc}/ack", tokA)
    c.call(op, f"/v1/incidents/{inc}/ack", 404, token=tokB, body={"note": "x"}, field="id",
           note="another operator's")
    c.call(op, f"/v1/incidents/{inc}/ack", 403, token=hbLive, body={"note": "x"},
           note="heartbeat token")
    c.auth_rules(op, f"/v1/incidents/{inc}/ack", body={"note": "x"})

    op = "POST /v1/incidents/{id}/mitigated"
    c.body_rules(op, f"/v1/incidents/{inc}/mitigated", tokA)
    c.call(op, f"/v1/incidents/{inc}/mitigated", 400, token=tokA, body={"note": 5}, field="note",
           note="note not a string")
    c.call(op, "/v1/incidents/abc/mitigated", 400, token=tokA, field="id", note="bad id")
    c.too_large(op, f"/v1/incidents/{inc}/mitigated", tokA)
    c.call(op, f"/v1/incidents/{inc}/mitigated", 404, token=tokB, field="id",
           note="another operator's")
    c.call(op, f"/v1/incidents/{inc}/mitigated", 403, token=hbLive, note="heartbeat token")
    c.auth_rules(op, f"/v1/incidents/{inc}/mitigated")
    c.body_rules(op, f"/v1/incidents/{inc}/mitigated", tokA, empty_expect=200)
    a = c.call("GET /v1/incidents/{id}", f"/v1/incidents/{inc}", 200, token=tokA,
               note="after mitigation")
    if a.json and a.json.get("time_to_mitigate_ms") is None:
        c.fail(f"{op}: time_to_mitigate_ms is null after mitigation")
    c.call(op, f"/v1/incidents/{inc}/mitigated", 409, token=A,
           body=c.valid_body(op, {"note": "rebooted"}), field="id", note="already mitigated")

    # retired runners have left the pool; ra-down is down, ra-live maybe too by now
    c.call("GET /v1/route", f"/v1/route?target={T}", 200, note="after retirements")

    # 429: exhaust op-c's token and ra-burn's heartbeat token, then every
    # rate-limited operation answers 429 with Retry-After. -----------------------
    c.exhaust(tokC, "POST", "/v1/runners/999999/approve")
    c.exhaust(hbBurn, "POST", f"/v1/runners/{rA_burn}/heartbeat", body={})
    limited = [
        ("POST /v1/operators", "/v1/operators", tokC, {"name": "op-q", "email": "q@example.org"}),
        ("POST /v1/operators/{id}/tokens", f"/v1/operators/{opC}/tokens", tokC, {}),
        ("DELETE /v1/operators/{id}/tokens/{tid}",
         f"/v1/operators/{opC}/tokens/{ops['op-c']['token_id']}", tokC, None),
        ("POST /v1/runners", "/v1/runners", tokC, {"name": "rc-1", "targets": [T], "mode": "push"}),
        ("PATCH /v1/runners/{id}", f"/v1/runners/{rA_http}", tokC, {"interval_s": 10}),
        ("DELETE /v1/runners/{id}", f"/v1/runners/{rA_http}", tokC, None),
        ("POST /v1/runners/{id}/approve", f"/v1/runners/{rA_http}/approve", tokC, None),
        ("POST /v1/runners/{id}/retire", f"/v1/runners/{rA_http}/retire", tokC, None),
        ("POST /v1/runners/{id}/heartbeat", f"/v1/runners/{rA_burn}/heartbeat", hbBurn, {}),
        ("POST /v1/runners/{id}/maintenance", f"/v1/runners/{rA_http}/maintenance", tokC, win),
        ("DELETE /v1/runners/{id}/maintenance/{mid}",
         f"/v1/runners/{rA_http}/maintenance/{mid2}", tokC, None),
        ("POST /v1/incidents/{id}/ack", f"/v1/incidents/{inc}/ack", tokC, {"note": "x"}),
        ("POST /v1/incidents/{id}/mitigated", f"/v1/incidents/{inc}/mitigated", tokC, {}),
    ]
    for op, path, tok, body in limited:
        c.call(op, path, 429, token=tok, body=body, note="token bucket empty")
    # reads are not rate-limited
    c.call("GET /v1/runners", "/v1/runners", 200, token=tokC, note="exhausted token, a read")

    # The over-256-KiB body, refused by h2o itself (text/plain).
    try:
        c.call("POST /v1/runners", "/v1/runners", 413, token=tokA,
               body=b'{"x":"' + b"a" * HUGE + b'"}', note="over 256 KiB")
    except Fatal as e:
        c.fail(f"POST /v1/runners with a {HUGE}-byte body: {e}")


def coverage(spec, c):
    for (method, tmpl), op in sorted(spec.ops.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        security = op.get("security", spec.doc.get("security", []))
        needs_token = any(req for req in security)
        documents_401 = "401" in {str(k) for k in (op.get("responses") or {})}
        if needs_token != documents_401:
            c.fail(f"{method} {tmpl}: security says a token is {'' if needs_token else 'not '}"
                   f"needed, but 401 is {'not ' if not documents_401 else ''}documented")
        seen = c.seen.get((method, tmpl))
        if not seen:
            c.fail(f"{method} {tmpl}: documented but never exercised by this test; add it to "
                   f"tests/integration/openapi_conformance.py")
            continue
        for status in sorted((op.get("responses") or {}).keys(), key=str):
            status = str(status)
            if status in UNTESTABLE or status == "default":
                continue
            if status not in seen:
                c.fail(f"{method} {tmpl}: documented status {status} was never provoked "
                       f"(seen: {', '.join(sorted(seen))})")


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: openapi_conformance.py RUNWARDEN_BINARY OPENAPI_YAML\n")
        return 2
    binary, spec_path = argv[1], argv[2]
    if not os.access(binary, os.X_OK):
        sys.stderr.write(f"openapi_conformance: {binary}: not an executable\n")
        return 2

    def on_alarm(signum, frame):
        raise Timeout(f"the test did not finish within {TOTAL_S} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TOTAL_S)
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="rw-openapi-")
    daemon = None
    c = None
    problems = []
    try:
        spec = Spec(spec_path)
        admin = "adm_" + secrets.token_hex(24)
        daemon = Daemon(binary, tmp, admin)
        c = Client(spec, daemon.port)
        run(c, admin, daemon)
        coverage(spec, c)
    except (Fatal, Timeout) as e:
        problems.append(str(e))
    except Exception:  # a bug in the test, or an answer it did not foresee
        problems.append("unexpected error:\n" + traceback.format_exc())
    finally:
        signal.alarm(0)
        if daemon is not None:
            rc = daemon.stop()
            if rc != 0:
                problems.append(f"the daemon exited with status {rc} after SIGTERM (expected 0)")
    if c is not None:
        problems = c.failures + problems
    n_ops = len(c.seen) if c else 0
    n_req = sum(len(v) for v in c.seen.values()) if c else 0
    if problems:
        if daemon is not None:
            sys.stderr.write("---- daemon stderr (last lines) ----\n" + daemon.log_tail() + "\n")
        sys.stderr.write(f"openapi_conformance: FAILED, {len(problems)} problem(s) with "
                         f"{spec_path} and the daemon:\n")
        for p in problems:
            sys.stderr.write(f"  - {p}\n")
        shutil.rmtree(tmp, ignore_errors=True)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"openapi_conformance: {c.checked} answers of {n_ops} operations ({n_req} operation "
          f"and status pairs) conform to {spec_path} ({time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
