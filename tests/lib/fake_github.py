#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fake_github.py: a fake GitHub REST API on loopback for runwarden's tests.

It serves self-hosted runner lists (organisation and repository) with
pagination, ETag/304 and rate-limit headers, checks tokens and the GitHub App
JWT flow, injects faults on request, and counts what it was asked. Python 3.11
standard library and /usr/bin/openssl only.

USAGE
  fake_github.py [--port N] [--config FILE.json]    serve (port 0: any free port)
  fake_github.py sign (--secret S | --secret-file F) BODYFILE
        print the X-Hub-Signature-256 value of a webhook body: sha256=HEX

  From a C test: spawn it (posix_spawn/fork+exec "python3 fake_github.py"),
  read its stdout until the one line "listening on http://127.0.0.1:PORT\\n"
  (flushed; nothing else is ever written to stdout), point the daemon's
  github.api_url at that address, script it through /_control/ (JSON in, JSON
  out, no auth), and stop it with kill(pid, SIGTERM) (or SIGINT): it exits 0
  within a second, hung requests included. Requests are logged to stderr.
  From shell:
      python3 fake_github.py --config cfg.json > port.txt 2> fake.log &
      pid=$!; until grep -q listening port.txt; do sleep 0.1; done
      url=$(sed 's/^listening on //' port.txt)
      curl -s -X POST -d '{"mode":"503","count":2}' "$url/_control/faults"
      kill $pid

GITHUB API (the fake's side)
  GET /orgs/{org}/actions/runners             owner key "org"
  GET /repos/{owner}/{repo}/actions/runners   owner key "owner/repo"
      query: per_page (default 30, max 100), page (default 1), name (exact)
      200 {"total_count": N, "runners": [{"id", "name", "os", "status":
          "online"|"offline", "busy", "ephemeral", "runner_group_id",
          "labels": [{"id", "name", "type": "read-only"|"custom"}]}]}
      Link: <http://127.0.0.1:PORT/...?per_page=P&page=K>; rel="prev", ...
          rel="next", rel="last", rel="first" (prev/first from page 2 on,
          next/last before the last page; other query parameters are kept)
      ETag: "sha256 of the page body, 32 hex" (changes exactly when that
          page's bytes change); If-None-Match matching it (weak comparison,
          lists and * allowed) -> 304, no body, costs no rate limit.
      Owner keys are case-insensitive; unknown -> 404 {"message": "Not Found",
          "documentation_url": ..., "status": "404"}. Any other path or method
          -> the same 404.
  POST /app/installations/{id}/access_tokens   Authorization: Bearer JWT
      The JWT must be header.payload.signature, header {"alg":"RS256"} (typ, if
      present, "JWT"), signature verified with `openssl dgst -sha256 -verify
      app.public_key_file`, iss == app.app_id (string or number), iat <= now+60,
      exp > now, exp - iat <= 600. Else 401 {"message": ...} (counted in
      jwt_failures). Unknown installation -> 404. Success -> 201 {"token":
      "ghs_...", "expires_at": "YYYY-MM-DDTHH:MM:SSZ", "permissions": {...},
      "repository_selection": "all"}; the token is valid on the list endpoints
      until app.token_lifetime_s have passed, then 401 "Bad credentials".
  Auth on the list endpoints: "Authorization: Bearer T" or "token T" where T
      is a configured token or an unexpired installation token. No header ->
      401 {"message": "Requires authentication"}; wrong or expired -> 401
      {"message": "Bad credentials"}.
  Every API answer carries x-ratelimit-limit, -remaining, -used, -reset
      (epoch seconds), -resource: core, and x-github-request-id. An
      authorized request answered other than 304 costs 1 (token exchanges,
      401s and injected faults cost nothing). At remaining 0 authorized
      requests get 403 {"message": "API rate limit exceeded for user ID 1. ..."}
      until the reset time, when remaining returns to the limit and the next
      window (window_s) starts.

CONTROL API (/_control/..., JSON in and out, no auth; errors 400/404 {"error"})
  GET  health      {"ok": true, "url": "http://127.0.0.1:PORT"}
  GET  config      the current settings {"tokens", "app", "rate_limit"}
  POST config      any keys of the --config file, merged in; answers GET config
  GET  ratelimit   {"limit", "remaining", "used", "reset", "window_s"}
  POST ratelimit   any of {"limit", "remaining", "reset" (epoch s, rounded up),
                   "reset_in_s", "window_s"}; answers the new state. Setting
                   only "limit" also refills remaining.
  GET  runners[?owner=K]   {"owners": {K: [runner as listed, ...]}}
  POST runners     {"owner": K, "runners": [SPEC, ...]}: K's list, wholesale
                   (K created if new); {"owner": K, "delete": true}: K unknown
                   (404). Answers {"owner", "count"}.
  POST runners/generate   {"owner": K, "count": 250, "name_pattern":
                   "runner-{i:04d}" (str.format with i), "start": 1, "labels",
                   "status", "busy", "os", "append": false}
  POST runner      one runner, found by {"owner": K, "id": ID} or {"owner": K,
                   "name": N}; then any of "status": "online"|"offline", "busy",
                   "os", "new_name", "labels" (replace), "labels_add",
                   "labels_remove" (case-insensitive), "remove": true.
                   Answers {"runner": R} or {"removed": R}; no such runner: 404.
  POST faults      add a fault; answers it {"id", "mode", "status", "count",
                   "remaining", "applied", "active", ...}. Keys: "mode";
                   "count" (the next K matching requests; absent/null: until
                   cleared); "path_prefix" ("/orgs/acme/"); "method";
                   "retry_after" (s, sent as Retry-After); "delay_ms";
                   "message" or "body" (replace the answer's); "reset_in_s".
     modes: "401" "403" "429" "500" "502" "503", or "status" with "status": N:
              that status, GitHub-like JSON message (a 403 with retry_after
              says "secondary rate limit");
            "rate_limited": 403 "API rate limit exceeded", x-ratelimit-remaining
              0, reset reset_in_s (default 60) ahead; the real counter is left;
            "hang": read the request, answer nothing until the fault is cleared
              or the server stops, then close the connection;
            "broken_body": 200 with invalid JSON;
            "slow": wait delay_ms, then answer normally;
            "truncate": 200 whose Content-Length exceeds the body sent; close.
     The first active matching fault, in order of addition, applies, before
     auth and routing, to every request outside /_control/.
  GET  faults      {"faults": [fault, ...]} (used-up ones too, "active": false)
  DELETE faults[?id=N], POST faults/clear [{"id": N}]: clear one or all,
                   releasing their hangs; {"cleared": n}
  GET  tokens      {"issued": [{"token", "installation_id", "expires_at",
                   "expired"}]}
  POST tokens/expire   {"token": T}, or {} for all: expire issued tokens now
  GET  stats       counters since the start or the last reset:
     {"now_ms": CLOCK_MONOTONIC ms (as C's clock_gettime), "requests_total",
      "by_status": {"200": n, ...}, "conditional" (If-None-Match present),
      "not_modified" (304s), "token_exchanges" (201s), "jwt_failures",
      "jwt_failure_reasons": {"signature"|"iss"|"iat"|"exp"|"exp_too_far"|
      "alg"|"malformed"|"no_bearer"|"no_app": n}, "auth_failures" (401s from
      tokens), "in_flight", "max_in_flight", "rate_limit": {...},
      "paths": {PATH: {"requests", "by_status", "conditional", "not_modified",
                "in_flight", "max_in_flight", "times_ms": [arrival, ...],
                "log": [{"t_ms", "method", "query", "status"}, ...]}}}
     PATH is without the query; status 0: no answer (hang). Requests under
     /_control/ are never counted.
  POST reset       clear the counters (not runners, faults or tokens)

CONFIG FILE (--config, and POST /_control/config; every key optional)
  {"tokens": ["test-token"],                      default ["test-token"]
   "app": {"app_id": 12345, "public_key_file": "app.pub.pem",
           "installations": [678], "token_lifetime_s": 3600,
           "permissions": {"organization_self_hosted_runners": "read",
                           "administration": "read"}},
   "rate_limit": {"limit": 5000, "remaining": 5000, "reset_in_s": 3600,
                  "window_s": 3600},
   "owners": {"acme": [SPEC, ...], "acme/widgets": [...],
              "big": {"count": 250, "name_pattern": "big-{i:03d}"}},
   "faults": [{"mode": "503", "count": 1}]}
  SPEC: "name" or {"name", "id" (default: the id of the runner of that name
        already in that owner's list, else a new one), "os": "linux", "status": "online",
        "busy": false, "ephemeral": false, "labels": ["self-hosted", "Linux",
        "X64", "riscv64"]} (the default labels: self-hosted, Linux, X64; a label
        is a name or {"name", "type"}; self-hosted, OS and architecture names
        are "read-only", others "custom"; each label name has one stable id).
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import math
import os
import secrets
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

DOC_URL = "https://docs.github.com/rest"
RUNNERS_DOC = "https://docs.github.com/rest/actions/self-hosted-runners"
READ_ONLY = {"self-hosted", "linux", "windows", "macos", "x64", "x86", "arm", "arm64"}
DEFAULT_LABELS = ["self-hosted", "Linux", "X64"]
STATUS_MESSAGES = {
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    429: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
}
FAULT_MODES = {"status", "rate_limited", "hang", "broken_body", "slow", "truncate",
               "401", "403", "429", "500", "502", "503"}
RATE_LIMITED_MSG = ("API rate limit exceeded for user ID 1. If you reach out to GitHub Support "
                    "for help, please include the request ID.")


def sign(body: bytes, secret: bytes) -> str:
    """The X-Hub-Signature-256 header value GitHub sends with a webhook body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def b64url_decode(s: str) -> bytes:
    if not s or any(c not in string.ascii_letters + string.digits + "-_" for c in s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class State:
    """Everything the fake knows; one lock guards it all."""

    def __init__(self):
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.owners = {}          # lower-case key -> {"key": as given, "runners": [...]}
        self.next_id = 1
        self.label_ids = {}       # lower-case label name -> id
        self.tokens = {"test-token"}
        self.app = {"app_id": None, "public_key_file": None, "installations": set(),
                    "token_lifetime_s": 3600,
                    "permissions": {"organization_self_hosted_runners": "read",
                                    "administration": "read"}}
        self.issued = {}          # token -> {"installation_id", "expires"}
        now = time.time()
        self.rate = {"limit": 5000, "remaining": 5000, "reset": math.ceil(now + 3600), "window_s": 3600}
        self.faults = []
        self.next_fault = 1
        self.in_flight = 0
        self.path_in_flight = {}
        self.reset_stats()

    # ---- counters ----------------------------------------------------------
    def reset_stats(self):
        with self.lock:
            self.stats = {"requests_total": 0, "by_status": {}, "conditional": 0,
                          "not_modified": 0, "token_exchanges": 0, "jwt_failures": 0,
                          "jwt_failure_reasons": {}, "auth_failures": 0,
                          "max_in_flight": self.in_flight}
            self.paths = {}

    def begin(self, method, path, query, conditional):
        with self.lock:
            s = self.stats
            p = self.paths.get(path)
            if p is None:
                p = self.paths[path] = {"requests": 0, "by_status": {}, "conditional": 0,
                                        "not_modified": 0, "max_in_flight": 0, "log": []}
            self.in_flight += 1
            pin = self.path_in_flight[path] = self.path_in_flight.get(path, 0) + 1
            s["max_in_flight"] = max(s["max_in_flight"], self.in_flight)
            p["max_in_flight"] = max(p["max_in_flight"], pin)
            s["requests_total"] += 1
            p["requests"] += 1
            if conditional:
                s["conditional"] += 1
                p["conditional"] += 1
            rec = {"t_ms": round(time.monotonic() * 1000, 3), "method": method,
                   "query": query, "status": 0}
            p["log"].append(rec)
            return p, rec

    def end(self, path, p, rec, status):
        with self.lock:
            self.in_flight -= 1
            self.path_in_flight[path] -= 1
            rec["status"] = status
            for d in (self.stats["by_status"], p["by_status"]):
                d[str(status)] = d.get(str(status), 0) + 1
            if status == 304:
                self.stats["not_modified"] += 1
                p["not_modified"] += 1

    def bump(self, key, reason=None):
        with self.lock:
            self.stats[key] += 1
            if reason:
                r = self.stats["jwt_failure_reasons"]
                r[reason] = r.get(reason, 0) + 1

    def stats_json(self):
        with self.lock:
            out = json.loads(json.dumps(self.stats))
            out["now_ms"] = round(time.monotonic() * 1000, 3)
            out["in_flight"] = self.in_flight
            out["rate_limit"] = self.rate_json()
            out["paths"] = {}
            for path, p in self.paths.items():
                q = json.loads(json.dumps(p))
                q["in_flight"] = self.path_in_flight.get(path, 0)
                q["times_ms"] = [r["t_ms"] for r in p["log"]]
                out["paths"][path] = q
            return out

    # ---- rate limit --------------------------------------------------------
    def roll_rate(self):
        now = time.time()
        if now >= self.rate["reset"]:
            self.rate["remaining"] = self.rate["limit"]
            self.rate["reset"] = math.ceil(now + self.rate["window_s"])

    def rate_json(self):
        with self.lock:
            self.roll_rate()
            r = self.rate
            return {"limit": r["limit"], "remaining": r["remaining"],
                    "used": max(0, r["limit"] - r["remaining"]), "reset": int(r["reset"]),
                    "window_s": r["window_s"]}

    def set_rate(self, d):
        with self.lock:
            for k in ("limit", "remaining", "reset", "reset_in_s", "window_s"):
                if k in d and not (is_number(d[k]) and d[k] >= 0):
                    raise ValueError(f"rate_limit.{k} must be a number >= 0")
            r = self.rate
            if "limit" in d:
                r["limit"] = int(d["limit"])
            if "window_s" in d:
                r["window_s"] = d["window_s"]
            if "reset" in d:
                r["reset"] = math.ceil(d["reset"])
            if "reset_in_s" in d:
                r["reset"] = math.ceil(time.time() + d["reset_in_s"])
            if "remaining" in d:
                r["remaining"] = int(d["remaining"])
            elif "limit" in d:
                r["remaining"] = r["limit"]
        return self.rate_json()

    def rate_headers(self, cost=0, remaining=None, reset=None):
        """Charge `cost` and answer the x-ratelimit-* headers after it."""
        with self.lock:
            self.roll_rate()
            r = self.rate
            r["remaining"] = max(0, r["remaining"] - cost)
            rem = r["remaining"] if remaining is None else remaining
            rst = r["reset"] if reset is None else reset
            return [("x-ratelimit-limit", str(r["limit"])), ("x-ratelimit-remaining", str(rem)),
                    ("x-ratelimit-used", str(max(0, r["limit"] - rem))),
                    ("x-ratelimit-reset", str(int(rst))), ("x-ratelimit-resource", "core")]

    def rate_exhausted(self):
        with self.lock:
            self.roll_rate()
            return self.rate["remaining"] <= 0

    # ---- runners -----------------------------------------------------------
    def label(self, spec):
        if isinstance(spec, str):
            spec = {"name": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
            raise ValueError(f"bad label {spec!r}: a name or {{\"name\", \"type\"}}")
        name = spec["name"]
        lid = self.label_ids.setdefault(name.lower(), len(self.label_ids) + 1)
        typ = spec.get("type") or ("read-only" if name.lower() in READ_ONLY else "custom")
        if typ not in ("read-only", "custom"):
            raise ValueError(f"label {name}: type must be read-only or custom")
        return {"id": lid, "name": name, "type": typ}

    def runner(self, spec):
        if isinstance(spec, str):
            spec = {"name": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ValueError(f"bad runner {spec!r}: needs a name")
        status = spec.get("status", "online")
        if status not in ("online", "offline"):
            raise ValueError(f"runner {spec['name']}: status must be online or offline")
        for k in ("busy", "ephemeral"):
            if not isinstance(spec.get(k, False), bool):
                raise ValueError(f"runner {spec['name']}: {k} must be true or false")
        rid = spec.get("id")
        if rid is None:
            rid = self.next_id
        elif not isinstance(rid, int) or isinstance(rid, bool):
            raise ValueError(f"runner {spec['name']}: id must be an integer")
        self.next_id = max(self.next_id, rid + 1)
        labels = spec.get("labels", DEFAULT_LABELS)
        if not isinstance(labels, list):
            raise ValueError(f"runner {spec['name']}: labels must be a list")
        return {"id": rid, "name": spec["name"], "os": spec.get("os", "linux"), "status": status,
                "busy": spec.get("busy", False), "ephemeral": spec.get("ephemeral", False),
                "runner_group_id": spec.get("runner_group_id", 1),
                "labels": [self.label(l) for l in labels]}

    @staticmethod
    def check_owner(key):
        if not isinstance(key, str) or not key or key.count("/") > 1 or "" in key.split("/"):
            raise ValueError(f"owner must be \"org\" or \"owner/repo\", not {key!r}")
        return key

    def set_runners(self, key, specs, keep=()):
        """Replace key's list; a spec without an id keeps the id its name had there."""
        self.check_owner(key)
        if not isinstance(specs, list):
            raise ValueError("runners must be a list")
        with self.lock:
            ids = {r["name"]: r["id"] for r in self.owners.get(key.lower(), {}).get("runners", [])}
            specs = [{"name": s} if isinstance(s, str) else s for s in specs]
            runners = list(keep) + [self.runner(dict(s, id=ids[s["name"]]) if isinstance(s, dict) and
                                                "id" not in s and s.get("name") in ids else s)
                                    for s in specs]
            self.owners[key.lower()] = {"key": key, "runners": runners}
            return runners

    def generate(self, key, d):
        self.check_owner(key)
        count = d.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100000:
            raise ValueError("count must be an integer 0..100000")
        pattern = d.get("name_pattern", "runner-{i:04d}")
        start = d.get("start", 1)
        base = {k: d[k] for k in ("labels", "status", "busy", "os", "ephemeral") if k in d}
        try:
            specs = [dict(base, name=pattern.format(i=start + n)) for n in range(count)]
        except (KeyError, IndexError, ValueError, AttributeError) as e:
            raise ValueError(f"name_pattern {pattern!r}: {e}") from None
        with self.lock:
            old = self.owners.get(key.lower(), {}).get("runners", []) if d.get("append") else []
            return self.set_runners(key, specs, keep=old)

    def change_runner(self, d):
        key = self.check_owner(d.get("owner"))
        with self.lock:
            o = self.owners.get(key.lower())
            if o is None:
                raise LookupError(f"no owner {key}")
            for i, r in enumerate(o["runners"]):
                if ("id" in d and r["id"] == d["id"]) or ("id" not in d and r["name"] == d.get("name")):
                    break
            else:
                raise LookupError(f"no runner {d.get('id', d.get('name'))!r} in {key}")
            if d.get("remove"):
                return {"removed": o["runners"].pop(i)}
            for k in ("labels", "labels_add", "labels_remove"):
                if not isinstance(d.get(k, []), list):
                    raise ValueError(f"{k} must be a list")
            spec = dict(r, **{k: d[k] for k in ("status", "busy", "ephemeral", "os", "labels") if k in d})
            spec["name"] = d.get("new_name", r["name"])
            drop = {str(n).lower() for n in d.get("labels_remove", [])}
            labels = [l for l in map(self.label, spec["labels"]) if l["name"].lower() not in drop]
            for l in map(self.label, d.get("labels_add", [])):
                if l["name"].lower() not in {x["name"].lower() for x in labels}:
                    labels.append(l)
            new = o["runners"][i] = self.runner(dict(spec, labels=labels))
            return {"runner": new}

    def page(self, key, query, base, path):
        """(body, link, etag) of one list page, or None for an unknown owner."""
        def intq(name, default):
            try:
                v = int(query.get(name, [""])[-1])
                return v if v >= 1 else default
            except ValueError:
                return default
        per_page = min(intq("per_page", 30), 100)
        page = intq("page", 1)
        with self.lock:
            o = self.owners.get(key.lower())
            if o is None:
                return None
            runners = o["runners"]
            if "name" in query:
                runners = [r for r in runners if r["name"] == query["name"][-1]]
            total = len(runners)
            body = json.dumps({"total_count": total,
                               "runners": runners[(page - 1) * per_page:page * per_page]},
                              separators=(",", ":")).encode()
        last = max(1, -(-total // per_page))
        rels = []
        if page > 1:
            rels.append(("prev", min(page - 1, last)))
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels.append(("first", 1))

        def url(n):
            q = {k: v[-1] for k, v in query.items() if k not in ("page", "per_page")}
            q.update(per_page=per_page, page=n)
            return f"{base}{path}?{urllib.parse.urlencode(q)}"
        link = ", ".join(f'<{url(n)}>; rel="{rel}"' for rel, n in rels)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return body, link, etag

    # ---- auth --------------------------------------------------------------
    def authenticate(self, header):
        """None when authorized, else the 401 message."""
        if not header:
            return "Requires authentication"
        scheme, _, cred = header.strip().partition(" ")
        cred = cred.strip()
        if scheme.lower() not in ("bearer", "token") or not cred:
            return "Bad credentials"
        with self.lock:
            if cred in self.tokens:
                return None
            t = self.issued.get(cred)
            if t and t["expires"] > time.time():
                return None
        return "Bad credentials"

    def verify_jwt(self, jwt):
        """None when the App JWT is good, else (reason, message)."""
        parts = jwt.split(".")
        bad = ("malformed", "A JSON web token could not be decoded")
        if len(parts) != 3:
            return bad
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError):
            return bad
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return bad
        if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT":
            return ("alg", "The JWT must be signed with RS256 (header alg)")
        with self.lock:
            app_id, pub = self.app["app_id"], self.app["public_key_file"]
        if app_id is None or not pub:
            return ("no_app", "No GitHub App is configured in the fake (app.app_id, app.public_key_file)")
        fd, sigfile = tempfile.mkstemp(prefix="fakegh-sig-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(sig)
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sigfile],
                               input=(parts[0] + "." + parts[1]).encode(), capture_output=True,
                               timeout=20)
        finally:
            os.unlink(sigfile)
        if r.returncode != 0:
            return ("signature", "A JSON web token could not be decoded (signature does not verify)")
        now = time.time()
        iss, iat, exp = claims.get("iss"), claims.get("iat"), claims.get("exp")
        if isinstance(iss, bool) or not isinstance(iss, (int, str)) or str(iss) != str(app_id):
            return ("iss", "Integration not found ('iss' is not the App's id)")
        if not is_number(iat) or iat > now + 60:
            return ("iat", "'Issued at' claim ('iat') must be an Integer representing the time "
                           "that the assertion was issued")
        if not is_number(exp) or exp <= now:
            return ("exp", "'Expiration time' claim ('exp') must be a numeric value representing "
                           "the future time at which the assertion expires")
        if exp - iat > 600:
            return ("exp_too_far", "'Expiration time' claim ('exp') is too far in the future")
        return None

    def issue_token(self, inst):
        with self.lock:
            token = "ghs_" + "".join(secrets.choice(string.ascii_letters + string.digits)
                                     for _ in range(36))
            exp = time.time() + self.app["token_lifetime_s"]
            self.issued[token] = {"installation_id": inst, "expires": exp}
            return {"token": token, "expires_at": rfc3339(exp),
                    "permissions": dict(self.app["permissions"]), "repository_selection": "all"}

    # ---- faults ------------------------------------------------------------
    def add_fault(self, d):
        if not isinstance(d, dict) or d.get("mode") not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {sorted(FAULT_MODES)}")
        mode = d["mode"]
        status = int(mode) if mode.isdigit() else 403 if mode == "rate_limited" else d.get("status")
        if mode == "status" and not (isinstance(status, int) and 100 <= status <= 599):
            raise ValueError("mode status needs \"status\": 100..599")
        count = d.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise ValueError("count must be an integer >= 0 or null")
        for k in ("retry_after", "delay_ms", "reset_in_s"):
            if k in d and not (is_number(d[k]) and d[k] >= 0):
                raise ValueError(f"{k} must be a number >= 0")
        if mode == "slow" and "delay_ms" not in d:
            raise ValueError("mode slow needs delay_ms")
        with self.lock:
            f = {k: d[k] for k in ("path_prefix", "method", "retry_after", "delay_ms",
                                   "message", "body", "reset_in_s") if k in d}
            f.update(id=self.next_fault, mode=mode, status=status, count=count,
                     remaining=count, applied=0, release=threading.Event())
            self.next_fault += 1
            self.faults.append(f)
            return self.fault_json(f)

    @staticmethod
    def fault_json(f):
        out = {k: v for k, v in f.items() if k != "release"}
        out["active"] = f["remaining"] is None or f["remaining"] > 0
        return out

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f["remaining"] is not None and f["remaining"] <= 0:
                    continue
                if not path.startswith(f.get("path_prefix") or ""):
                    continue
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f["remaining"] is not None:
                    f["remaining"] -= 1
                f["applied"] += 1
                return f
        return None

    def clear_faults(self, fid=None):
        with self.lock:
            gone = [f for f in self.faults if fid is None or f["id"] == fid]
            self.faults = [f for f in self.faults if f not in gone]
        for f in gone:
            f["release"].set()
        return len(gone)

    # ---- configuration -----------------------------------------------------
    def apply_config(self, cfg):
        if not isinstance(cfg, dict):
            raise ValueError("the configuration must be a JSON object")
        unknown = set(cfg) - {"tokens", "app", "rate_limit", "owners", "faults"}
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        if "tokens" in cfg:
            if not isinstance(cfg["tokens"], list) or not all(isinstance(t, str) and t for t in cfg["tokens"]):
                raise ValueError("tokens must be a list of non-empty strings")
            with self.lock:
                self.tokens = set(cfg["tokens"])
        if "app" in cfg:
            self.set_app(cfg["app"])
        if "rate_limit" in cfg:
            self.set_rate(cfg["rate_limit"])
        for key, v in (cfg.get("owners") or {}).items():
            if isinstance(v, dict):
                self.generate(key, v)
            else:
                self.set_runners(key, v)
        for f in cfg.get("faults") or []:
            self.add_fault(f)

    def set_app(self, a):
        if not isinstance(a, dict):
            raise ValueError("app must be an object")
        unknown = set(a) - {"app_id", "public_key_file", "installations", "token_lifetime_s", "permissions"}
        if unknown:
            raise ValueError(f"unknown app keys: {sorted(unknown)}")
        pub = a.get("public_key_file")
        if pub is not None and not os.path.isfile(pub):
            raise ValueError(f"app.public_key_file {pub}: no such file")
        if "token_lifetime_s" in a and not (is_number(a["token_lifetime_s"]) and a["token_lifetime_s"] > 0):
            raise ValueError("app.token_lifetime_s must be a number > 0")
        if not isinstance(a.get("installations", []), list):
            raise ValueError("app.installations must be a list of ids")
        with self.lock:
            for k in ("app_id", "public_key_file", "token_lifetime_s", "permissions"):
                if k in a:
                    self.app[k] = a[k]
            if "installations" in a:
                self.app["installations"] = {str(i) for i in a["installations"]}

    def config_json(self):
        with self.lock:
            app = dict(self.app, installations=sorted(self.app["installations"]))
            return {"tokens": sorted(self.tokens), "app": app, "rate_limit": self.rate_json()}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-github/1"
    acct = None           # (path, path stats, log record) of the API request being answered

    def log_message(self, fmt, *args):
        sys.stderr.write(f"fake_github: {self.address_string()} {fmt % args}\n")

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    @property
    def state(self) -> State:
        return self.server.state

    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def account(self, status):
        """Count the answer once, before its first byte goes out, so that a
        client that has it sees it in /_control/stats."""
        if self.acct:
            self.state.end(*self.acct, status)
            self.acct = None

    def send(self, status, obj=None, headers=(), raw=None):
        body = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        self.account(status)
        self.send_response(status)
        hdrs = list(headers)
        if status != 304:
            hdrs += [("Content-Type", "application/json; charset=utf-8"),
                     ("Content-Length", str(len(body)))]
        for k, v in hdrs:
            self.send_header(k, v)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        return status

    def gh_error(self, status, message, headers=(), doc=DOC_URL):
        return self.send(status, {"message": message, "documentation_url": doc,
                                  "status": str(status)}, headers)

    def api_headers(self, cost=0, **kw):
        return [("x-github-request-id", secrets.token_hex(8).upper()),
                ("x-github-api-version-selected", "2022-11-28")] + self.state.rate_headers(cost, **kw)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def dispatch(self):
        try:
            url = urllib.parse.urlsplit(self.path)
            body = self.read_body()
            if url.path == "/_control" or url.path.startswith("/_control/"):
                return self.control(url, body)
            conditional = self.headers.get("If-None-Match") is not None
            self.acct = (url.path, *self.state.begin(self.command, url.path, url.query, conditional))
            try:
                self.api(url)
            finally:
                self.account(0)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- the API -----------------------------------------------------------
    def api(self, url):
        st, path, method = self.state, url.path, self.command
        f = st.take_fault(method, path)
        if f:
            r = self.fault(f)
            if r is not None:
                return r
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 4 and parts[:2] == ["app", "installations"] \
                and parts[3] == "access_tokens":
            return self.token_exchange(parts[2])
        why = st.authenticate(self.headers.get("Authorization"))
        if why:
            st.bump("auth_failures")
            return self.gh_error(401, why, self.api_headers())
        if st.rate_exhausted():
            return self.gh_error(403, RATE_LIMITED_MSG, self.api_headers(),
                                 doc=DOC_URL + "/overview/rate-limits-for-the-rest-api")
        key = None
        if method == "GET" and len(parts) == 4 and parts[0] == "orgs" and parts[2:] == ["actions", "runners"]:
            key = parts[1]
        elif method == "GET" and len(parts) == 5 and parts[0] == "repos" \
                and parts[3:] == ["actions", "runners"]:
            key = parts[1] + "/" + parts[2]
        page = key and st.page(key, urllib.parse.parse_qs(url.query), self.base(), path)
        if not page:
            return self.gh_error(404, "Not Found", self.api_headers(cost=1))
        body, link, etag = page
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            if "*" in tags or etag in tags:
                return self.send(304, headers=self.api_headers() + [("ETag", etag)])
        hdrs = self.api_headers(cost=1) + [("ETag", etag), ("Cache-Control", "private, max-age=60, s-maxage=60"),
                                           ("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")]
        if link:
            hdrs.append(("Link", link))
        return self.send(200, raw=body, headers=hdrs)

    def fault(self, f):
        """Answer as the fault says; None to go on answering normally (slow)."""
        mode, st = f["mode"], self.state
        self.log_message("fault %s #%d on %s %s", mode, f["id"], self.command, self.path)
        if mode == "slow":
            st.stopping.wait(f["delay_ms"] / 1000)
            return None
        if mode == "hang":
            while not f["release"].wait(0.2) and not st.stopping.is_set():
                pass
            self.close_connection = True
            return 0
        if mode == "broken_body":
            return self.send(200, raw=f.get("body", '{"total_count": 3, "runners": [{"id": 1, "na').encode(),
                             headers=self.api_headers())
        if mode == "truncate":
            body = f.get("body", '{"total_count": 1, "runners": [{"id": 1, "name": "tr').encode()
            self.account(200)
            self.send_response(200)
            for k, v in self.api_headers() + [("Content-Type", "application/json; charset=utf-8"),
                                               ("Content-Length", str(len(body) + 512))]:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return 200
        status = f["status"]
        hdrs, kw = [], {}
        if mode == "rate_limited":
            kw = {"remaining": 0, "reset": math.ceil(time.time() + f.get("reset_in_s", 60))}
        if "retry_after" in f:
            hdrs.append(("Retry-After", str(int(f["retry_after"]))))
        hdrs = self.api_headers(**kw) + hdrs
        if "body" in f:
            return self.send(status, raw=f["body"].encode(), headers=hdrs)
        msg = f.get("message") or (RATE_LIMITED_MSG if mode == "rate_limited" else
                                   STATUS_MESSAGES[429] if status == 403 and "retry_after" in f else
                                   STATUS_MESSAGES.get(status, "Fault injected by fake_github"))
        return self.gh_error(status, msg, hdrs)

    def token_exchange(self, inst):
        st = self.state
        scheme, _, jwt = self.headers.get("Authorization", "").strip().partition(" ")
        bad = st.verify_jwt(jwt.strip()) if scheme.lower() == "bearer" and jwt.strip() else \
            ("no_bearer", "A JSON web token could not be decoded (no Authorization: Bearer JWT)")
        if bad:
            st.bump("jwt_failures", bad[0])
            return self.gh_error(401, bad[1], self.api_headers())
        with st.lock:
            known = inst in st.app["installations"]
        if not known:
            return self.gh_error(404, "Not Found", self.api_headers(),
                                 doc=DOC_URL + "/apps/apps#create-an-installation-access-token-for-an-app")
        st.bump("token_exchanges")
        return self.send(201, st.issue_token(inst), headers=self.api_headers())

    # ---- the control API ---------------------------------------------------
    def control(self, url, body):
        st, path, method = self.state, url.path.rstrip("/"), self.command
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            d = json.loads(body) if body.strip() else {}
            if method in ("POST", "PUT") and not isinstance(d, dict):
                raise ValueError("the body must be a JSON object")
            route = (method, path)
            if route == ("GET", "/_control/health"):
                return self.send(200, {"ok": True, "url": self.base()})
            if route == ("GET", "/_control/stats"):
                return self.send(200, st.stats_json())
            if route == ("POST", "/_control/reset"):
                st.reset_stats()
                return self.send(200, {"ok": True})
            if route == ("GET", "/_control/config"):
                return self.send(200, st.config_json())
            if route == ("POST", "/_control/config"):
                st.apply_config(d)
                return self.send(200, st.config_json())
            if route == ("GET", "/_control/ratelimit"):
                return self.send(200, st.rate_json())
            if route == ("POST", "/_control/ratelimit"):
                return self.send(200, st.set_rate(d))
            if route == ("GET", "/_control/runners"):
                with st.lock:
                    owners = {o["key"]: o["runners"] for k, o in st.owners.items()
                              if "owner" not in query or k == query["owner"].lower()}
                    return self.send(200, {"owners": json.loads(json.dumps(owners))})
            if route == ("POST", "/_control/runners"):
                if d.get("delete"):
                    with st.lock:
                        st.owners.pop(st.check_owner(d.get("owner")).lower(), None)
                    return self.send(200, {"ok": True})
                runners = st.set_runners(d.get("owner"), d.get("runners"))
                return self.send(200, {"owner": d["owner"], "count": len(runners)})
            if route == ("POST", "/_control/runners/generate"):
                runners = st.generate(d.get("owner"), d)
                return self.send(200, {"owner": d["owner"], "count": len(runners)})
            if route == ("POST", "/_control/runner"):
                return self.send(200, st.change_runner(d))
            if route == ("GET", "/_control/faults"):
                with st.lock:
                    return self.send(200, {"faults": [st.fault_json(f) for f in st.faults]})
            if route == ("POST", "/_control/faults"):
                return self.send(200, st.add_fault(d))
            if route in (("DELETE", "/_control/faults"), ("POST", "/_control/faults/clear")):
                fid = d.get("id", query.get("id"))
                return self.send(200, {"cleared": st.clear_faults(None if fid is None else int(fid))})
            if route == ("GET", "/_control/tokens"):
                with st.lock:
                    now = time.time()
                    issued = [{"token": t, "installation_id": v["installation_id"],
                               "expires_at": rfc3339(v["expires"]), "expired": v["expires"] <= now}
                              for t, v in st.issued.items()]
                return self.send(200, {"issued": issued})
            if route == ("POST", "/_control/tokens/expire"):
                with st.lock:
                    hit = [t for t in st.issued if d.get("token") in (None, t)]
                    for t in hit:
                        st.issued[t]["expires"] = 0
                return self.send(200, {"expired": len(hit)})
            return self.send(404, {"error": f"no control endpoint {method} {path}"})
        except LookupError as e:
            return self.send(404, {"error": str(e).strip("'\"")})
        except (ValueError, TypeError, AttributeError) as e:
            return self.send(400, {"error": str(e)})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


def serve(args):
    state = State()
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as f:
                state.apply_config(json.load(f))
        except (OSError, ValueError) as e:
            print(f"fake_github: --config {args.config}: {e}", file=sys.stderr)
            return 2
    try:
        srv = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        print(f"fake_github: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1
    srv.state = state
    stop = []      # a plain flag: a signal handler must take no lock
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    print(f"listening on http://127.0.0.1:{srv.server_address[1]}", flush=True)
    while not stop:
        time.sleep(0.1)
    sys.stderr.write("fake_github: stopping\n")
    state.stopping.set()
    state.clear_faults()
    srv.shutdown()
    srv.server_close()
    return 0


def main(argv):
    if argv and argv[0] == "sign":
        p = argparse.ArgumentParser(prog="fake_github.py sign",
                                    description="Print the X-Hub-Signature-256 value (sha256=HEX, "
                                                "HMAC-SHA256 of the file's bytes with the secret).")
        g = p.add_mutually_exclusive_group(required=True)
        g.add_argument("--secret", help="the webhook secret")
        g.add_argument("--secret-file", help="a file holding the secret (one trailing newline dropped)")
        p.add_argument("body", help="the webhook body file (- for stdin)")
        a = p.parse_args(argv[1:])
        if a.secret_file:
            with open(a.secret_file, "rb") as f:
                secret = f.read().removesuffix(b"\n")
        else:
            secret = a.secret.encode()
        if a.body == "-":
            body = sys.stdin.buffer.read()
        else:
            with open(a.body, "rb") as f:
                body = f.read()
        print(sign(body, secret))
        return 0
    p = argparse.ArgumentParser(prog="fake_github.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    p.add_argument("--config", help="a JSON file with the starting state (see CONFIG FILE)")
    return serve(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
