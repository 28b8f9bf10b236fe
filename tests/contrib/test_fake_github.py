#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_fake_github.py: tests/lib/fake_github.py does what the daemon's GitHub
tests rely on. Starts it on port 0, drives every feature with urllib
(pagination over 250 runners and its Link headers, ETag/304 costing no rate
limit, the rate limit itself, tokens, every fault mode, runner scripting, the
GitHub App JWT flow with keys made here by openssl, the counters, concurrency)
and stops it by PID with SIGTERM. Exits 1 naming each failed check.

usage: test_fake_github.py [SOURCE_DIR]   (ctest: fake_github)
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

SRC = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(SRC, "tests", "lib", "fake_github.py")
TOKEN = "tok-static"
APP_ID = 4242
INST = 77
failures = []
BASE = None


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def call(method, path, body=None, headers=None, token=TOKEN, timeout=10):
    """(status, headers as a lower-case dict, body bytes)."""
    h = dict(headers or {})
    if token is not None:
        h.setdefault("Authorization", f"Bearer {token}")
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    url = path if path.startswith("http") else BASE + path
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def ctl(method, path, body=None):
    status, _, out = call(method, "/_control/" + path, body, token=None)
    if status != 200:
        raise AssertionError(f"control {method} {path} {body}: {status} {out[:300]!r}")
    return json.loads(out)


def links(hdr):
    out = {}
    for part in (hdr or "").split(","):
        if part.strip():
            url, rel = part.split(";")
            out[rel.strip().removeprefix('rel="').removesuffix('"')] = url.strip()[1:-1]
    return out


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(key, claims, tmp, header=None):
    head = b64url(json.dumps(header or {"alg": "RS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    data = os.path.join(tmp, "jwt-input")
    with open(data, "w") as f:
        f.write(f"{head}.{payload}")
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, data],
                         capture_output=True, check=True, timeout=20).stdout
    return f"{head}.{payload}.{b64url(sig)}"


# ---- the sections --------------------------------------------------------
def t_help_and_sign(tmp):
    r = subprocess.run([sys.executable, FAKE, "--help"], capture_output=True, text=True, timeout=20)
    check(r.returncode == 0 and "/_control/faults" in r.stdout and "listening on" in r.stdout,
          "--help documents the control API and the listening line")
    body = os.path.join(tmp, "delivery.json")
    with open(body, "wb") as f:
        f.write(b'{"action":"queued","workflow_job":{"id":1}}')
    want = "sha256=" + hmac.new(b"s3cret", open(body, "rb").read(), hashlib.sha256).hexdigest()
    r = subprocess.run([sys.executable, FAKE, "sign", "--secret", "s3cret", body],
                       capture_output=True, text=True, timeout=20)
    check(r.stdout.strip() == want, f"sign prints {want}, got {r.stdout!r} {r.stderr!r}")
    sf = os.path.join(tmp, "secret")
    with open(sf, "w") as f:
        f.write("s3cret\n")
    r = subprocess.run([sys.executable, FAKE, "sign", "--secret-file", sf, body],
                       capture_output=True, text=True, timeout=20)
    check(r.stdout.strip() == want, "sign --secret-file drops the trailing newline")


def t_lists_and_auth():
    s, h, b = call("GET", "/orgs/acme/actions/runners")
    check(s == 200, f"org list: 200, got {s}")
    d = json.loads(b)
    check(d["total_count"] == 3 and [r["name"] for r in d["runners"]] == ["r1", "r2", "r3"],
          f"org list content: {d}")
    r1 = d["runners"][0]
    check(set(r1) >= {"id", "name", "os", "status", "busy", "labels"} and r1["status"] == "online"
          and r1["busy"] is False, f"runner shape: {r1}")
    check({(l["name"], l["type"]) for l in r1["labels"]} ==
          {("self-hosted", "read-only"), ("Linux", "read-only"), ("riscv64", "custom")},
          f"labels and their types: {r1['labels']}")
    check(all(isinstance(l["id"], int) for l in r1["labels"]), "labels have ids")
    check(d["runners"][1]["status"] == "offline", "r2 is offline as configured")
    check("link" not in h, "a single page has no Link header")
    for k in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"):
        check(h.get(k, "").isdigit(), f"{k} on a list answer: {h.get(k)}")
    check(h.get("x-ratelimit-resource") == "core", "x-ratelimit-resource: core")
    check(h.get("etag", "").startswith('"'), f"ETag on a list answer: {h.get('etag')}")
    s, _, b = call("GET", "/repos/acme/widgets/actions/runners", headers={"Authorization": f"token {TOKEN}"})
    check(s == 200 and json.loads(b)["runners"][0]["name"] == "w1", f"repo list with 'token T': {s} {b[:200]}")
    s, _, b = call("GET", "/orgs/ACME/actions/runners")
    check(s == 200, "owner names are case-insensitive")
    for path in ("/orgs/nobody/actions/runners", "/repos/acme/nothing/actions/runners", "/orgs/acme/hooks"):
        s, h, b = call("GET", path)
        check(s == 404 and json.loads(b)["message"] == "Not Found" and "documentation_url" in json.loads(b),
              f"{path}: 404 Not Found with documentation_url, got {s} {b[:200]}")
        check("x-ratelimit-remaining" in h, f"{path}: rate-limit headers on a 404")
    s, _, b = call("GET", "/orgs/acme/actions/runners", token=None)
    check(s == 401 and json.loads(b)["message"] == "Requires authentication", f"no token: 401, got {s} {b}")
    s, h, b = call("GET", "/orgs/acme/actions/runners", token="wrong")
    check(s == 401 and json.loads(b)["message"] == "Bad credentials", f"bad token: 401 Bad credentials, got {s} {b}")
    check("x-ratelimit-limit" in h, "rate-limit headers on a 401")


def t_pagination():
    ctl("POST", "runners/generate", {"owner": "big", "count": 250, "name_pattern": "big-{i:03d}",
                                     "labels": ["self-hosted", "Linux", "s390x"]})
    names, url, pages = [], "/orgs/big/actions/runners?per_page=100", []
    while url:
        s, h, b = call("GET", url)
        check(s == 200, f"{url}: 200, got {s}")
        d = json.loads(b)
        check(d["total_count"] == 250, f"{url}: total_count 250, got {d['total_count']}")
        names += [r["name"] for r in d["runners"]]
        lk = links(h.get("link"))
        pages.append((len(d["runners"]), lk))
        for u in lk.values():
            check(u.startswith(BASE + "/orgs/big/actions/runners?"), f"Link URL absolute on the fake: {u}")
        url = lk.get("next")
        if len(pages) > 5:
            check(False, "pagination does not end")
            break
    check([n for n, _ in pages] == [100, 100, 50], f"pages of 100, 100, 50: {[n for n, _ in pages]}")
    check(names == [f"big-{i:03d}" for i in range(1, 251)], "250 runners in order, none twice")
    if len(pages) == 3:
        q = lambda u: urllib.parse.parse_qs(urllib.parse.urlsplit(u).query)
        l1, l2, l3 = (lk for _, lk in pages)
        check(set(l1) == {"next", "last"} and q(l1["next"])["page"] == ["2"] and q(l1["last"])["page"] == ["3"]
              and q(l1["next"])["per_page"] == ["100"], f"page 1 links: {l1}")
        check(set(l2) == {"prev", "next", "last", "first"} and q(l2["prev"])["page"] == ["1"]
              and q(l2["first"])["page"] == ["1"], f"page 2 links: {l2}")
        check(set(l3) == {"prev", "first"} and q(l3["prev"])["page"] == ["2"], f"page 3 links: {l3}")
    s, h, b = call("GET", "/orgs/big/actions/runners")
    check(len(json.loads(b)["runners"]) == 30 and "page=9" in links(h.get("link")).get("last", ""),
          "default per_page 30, 9 pages")
    s, h, b = call("GET", "/orgs/big/actions/runners?per_page=500")
    check(len(json.loads(b)["runners"]) == 100, "per_page is capped at 100")
    s, h, b = call("GET", "/orgs/big/actions/runners?name=big-007")
    check([r["name"] for r in json.loads(b)["runners"]] == ["big-007"], "the name filter")


def t_etag_and_rate_limit():
    path = "/orgs/big/actions/runners?per_page=100"
    ctl("POST", "reset")
    s, h, _ = call("GET", path)
    etag, rem = h["etag"], int(h["x-ratelimit-remaining"])
    s, h, b = call("GET", path, headers={"If-None-Match": etag})
    check(s == 304 and b == b"", f"If-None-Match with the ETag: 304 with no body, got {s} {b[:100]}")
    check(int(h.get("x-ratelimit-remaining", -1)) == rem, f"a 304 costs no rate limit: {rem} -> {h.get('x-ratelimit-remaining')}")
    s, h, _ = call("GET", path, headers={"If-None-Match": f'"nope", W/{etag}'})
    check(s == 304, "a weak ETag in a list matches")
    s, h, _ = call("GET", path, headers={"If-None-Match": '"something-else"'})
    check(s == 200 and int(h["x-ratelimit-remaining"]) == rem - 1, "another ETag: 200, costs 1")
    st = ctl("GET", "stats")
    check(st["conditional"] == 3 and st["not_modified"] == 2, f"conditional 3, 304s 2: {st['conditional']} {st['not_modified']}")
    p = st["paths"]["/orgs/big/actions/runners"]
    check(p["conditional"] == 3 and p["not_modified"] == 2 and p["by_status"] == {"200": 2, "304": 2},
          f"per-path counters: {p['by_status']}")
    # A change on page 3 leaves page 1 alone; a change on page 1 changes its ETag.
    ctl("POST", "runner", {"owner": "big", "name": "big-240", "status": "offline"})
    s, _, _ = call("GET", path, headers={"If-None-Match": etag})
    check(s == 304, "a change on page 3 keeps page 1's ETag")
    _, h3, _ = call("GET", path + "&page=3")
    ctl("POST", "runner", {"owner": "big", "name": "big-005", "busy": True})
    s, h, b = call("GET", path, headers={"If-None-Match": etag})
    check(s == 200 and h["etag"] != etag and json.loads(b)["runners"][4]["busy"] is True,
          "a change on page 1 changes its ETag and body")
    s, _, _ = call("GET", path + "&page=3", headers={"If-None-Match": h3["etag"]})
    check(s == 304, "page 3 unchanged since then: 304")
    # Remaining set to 2: two answers, then 403 rate limited until the reset.
    ctl("POST", "ratelimit", {"limit": 100, "remaining": 2, "reset_in_s": 1.5})
    rems = [call("GET", "/orgs/acme/actions/runners")[1].get("x-ratelimit-remaining") for _ in range(2)]
    check(rems == ["1", "0"], f"remaining counts down 1, 0: {rems}")
    s, h, b = call("GET", "/orgs/acme/actions/runners")
    check(s == 403 and json.loads(b)["message"].startswith("API rate limit exceeded")
          and h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-used") == "100",
          f"at 0: 403 API rate limit exceeded, got {s} {b[:120]} {h.get('x-ratelimit-remaining')}")
    check(int(h["x-ratelimit-reset"]) <= time.time() + 2.6, "x-ratelimit-reset is the set reset (1.5 s ahead, rounded up)")
    s, _, _ = call("GET", "/orgs/acme/actions/runners", headers={"If-None-Match": "*"})
    check(s == 403, "rate limited even for a conditional request")
    time.sleep(max(0, int(h["x-ratelimit-reset"]) - time.time()) + 0.05)
    s, h, _ = call("GET", "/orgs/acme/actions/runners")
    check(s == 200 and h.get("x-ratelimit-remaining") == "99", f"after the reset: 200, 99 left, got {s} {h.get('x-ratelimit-remaining')}")
    ctl("POST", "ratelimit", {"limit": 5000, "reset_in_s": 3600})


def t_runner_scripting():
    o = "acme/widgets"
    ctl("POST", "runners", {"owner": o, "runners": [{"name": "w1", "labels": ["self-hosted", "ppc64le"]},
                                                     {"name": "w2", "status": "offline", "busy": False}]})
    get = lambda: {r["name"]: r for r in json.loads(call("GET", f"/repos/{o}/actions/runners")[2])["runners"]}
    ctl("POST", "runner", {"owner": o, "name": "w2", "status": "online", "busy": True})
    check(get()["w2"]["status"] == "online" and get()["w2"]["busy"] is True, "w2 comes back, busy")
    ids = {n: r["id"] for n, r in get().items()}
    ctl("POST", "runners", {"owner": o, "runners": [{"name": "w1", "labels": ["self-hosted", "ppc64le"]},
                                                     {"name": "w2", "busy": True}, "w3"]})
    after = get()
    check(after["w1"]["id"] == ids["w1"] and after["w2"]["id"] == ids["w2"]
          and after["w3"]["id"] not in ids.values(), f"a wholesale list keeps ids by name: {ids} {after}")
    ctl("POST", "runner", {"owner": o, "name": "w1", "labels_add": ["gpu"], "labels_remove": ["PPC64LE"]})
    check([l["name"] for l in get()["w1"]["labels"]] == ["self-hosted", "gpu"], f"labels changed: {get()['w1']['labels']}")
    wid = get()["w1"]["id"]
    ctl("POST", "runner", {"owner": o, "id": wid, "remove": True})
    check(list(get()) == ["w2", "w3"], "w1 removed")
    s, _, b = call("POST", "/_control/runner", {"owner": o, "name": "w1", "status": "offline"}, token=None)
    check(s == 404, f"changing a runner that is not there: 404, got {s}")
    s, _, b = call("POST", "/_control/runner", {"owner": o, "name": "w2", "status": "sleepy"}, token=None)
    check(s == 400 and "status" in json.loads(b)["error"], f"a bad status: 400, got {s} {b}")
    check("w2" in [r["name"] for r in ctl("GET", f"runners?owner={o}")["owners"][o]], "GET /_control/runners?owner=")
    ctl("POST", "runners", {"owner": o, "delete": True})
    check(call("GET", f"/repos/{o}/actions/runners")[0] == 404, "a deleted owner is 404")


def t_faults():
    p = "/orgs/acme/actions/runners"
    ctl("POST", "faults", {"mode": "401", "count": 1})
    check(call("GET", p)[0] == 401 and call("GET", p)[0] == 200, "401 once, then 200")
    f = ctl("POST", "faults", {"mode": "403", "count": 1, "retry_after": 3})
    s, h, b = call("GET", p)
    check(s == 403 and h.get("retry-after") == "3" and "secondary rate limit" in json.loads(b)["message"],
          f"403 with Retry-After: 3, got {s} {h.get('retry-after')} {b[:100]}")
    check(ctl("GET", "faults")["faults"][0]["applied"] == 1 and not ctl("GET", "faults")["faults"][0]["active"],
          "the used-up fault is listed, inactive")
    ctl("DELETE", "faults")
    ctl("POST", "faults", {"mode": "rate_limited", "count": 1, "reset_in_s": 30})
    s, h, b = call("GET", p)
    check(s == 403 and h.get("x-ratelimit-remaining") == "0" and int(h["x-ratelimit-reset"]) >= time.time() + 28
          and "rate limit exceeded" in json.loads(b)["message"], f"rate_limited fault: {s} {h}")
    s, h, _ = call("GET", p)
    check(s == 200 and h.get("x-ratelimit-remaining") != "0", "the rate_limited fault left the real counter alone")
    ctl("POST", "faults", {"mode": "429", "count": 1, "retry_after": 7})
    s, h, _ = call("GET", p)
    check(s == 429 and h.get("retry-after") == "7", f"429 with Retry-After: 7, got {s} {h.get('retry-after')}")
    ctl("POST", "faults", {"mode": "500", "count": 1, "path_prefix": "/repos/"})
    check(call("GET", p)[0] == 200, "a fault on /repos/ leaves /orgs/ alone")
    ctl("DELETE", "faults")
    for code in ("500", "502", "503"):
        ctl("POST", "faults", {"mode": code, "count": 1, "path_prefix": "/orgs/acme/"})
        s, _, b = call("GET", p)
        check(s == int(code) and "message" in json.loads(b), f"{code} fault: got {s}")
    check(call("GET", p)[0] == 200, "after the 5xx faults: 200")
    ctl("POST", "faults", {"mode": "status", "status": 418, "count": 1})
    check(call("GET", p)[0] == 418, "mode status with any status")
    ctl("POST", "faults", {"mode": "broken_body", "count": 1})
    s, _, b = call("GET", p)
    try:
        json.loads(b)
        check(False, "broken_body: the body parsed")
    except ValueError:
        check(s == 200, f"broken_body: 200 with invalid JSON, got {s}")
    ctl("POST", "faults", {"mode": "truncate", "count": 1})
    try:
        call("GET", p)
        check(False, "truncate: the read succeeded")
    except http.client.IncompleteRead:
        pass
    ctl("POST", "faults", {"mode": "slow", "count": 1, "delay_ms": 400})
    t0 = time.monotonic()
    s, _, _ = call("GET", p)
    check(s == 200 and time.monotonic() - t0 >= 0.4, f"slow: 200 after 400 ms, got {s} after {time.monotonic() - t0:.3f}s")
    # hang: the client times out; the request stays in flight until cleared.
    ctl("POST", "reset")
    hang = ctl("POST", "faults", {"mode": "hang", "path_prefix": "/orgs/acme/"})
    t0 = time.monotonic()
    try:
        call("GET", p, timeout=1)
        check(False, "hang: the request was answered")
    except (socket.timeout, TimeoutError, urllib.error.URLError) as e:
        check(time.monotonic() - t0 < 3, f"hang: the client timed out ({e!r})")
    check(ctl("GET", "stats")["in_flight"] == 1, "the hung request is in flight")
    check(call("GET", "/repos/acme/x/actions/runners")[0] == 404, "hang on /orgs/acme/ only")
    check(ctl("DELETE", f"faults?id={hang['id']}")["cleared"] == 1, "clearing the hang by id")
    check(all(f["id"] != hang["id"] for f in ctl("GET", "faults")["faults"]), "the cleared fault is gone")
    ctl("POST", "faults/clear")
    time.sleep(0.5)
    st = ctl("GET", "stats")
    check(st["in_flight"] == 0 and st["paths"][p]["log"][0]["status"] == 0,
          f"released: nothing in flight, logged with status 0: {st['in_flight']} {st['paths'][p]['log']}")
    s, _, b = call("POST", "/_control/faults", {"mode": "explode"}, token=None)
    check(s == 400, "an unknown fault mode is refused")


def t_concurrency_and_stats():
    ctl("POST", "reset")
    p = "/orgs/acme/actions/runners"
    ctl("POST", "faults", {"mode": "slow", "count": 4, "delay_ms": 1000, "path_prefix": p})
    results = []
    threads = [threading.Thread(target=lambda: results.append(call("GET", p)[0])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    check(results == [200] * 4, f"4 concurrent slow requests: {results}")
    call("GET", "/orgs/big/actions/runners")
    st = ctl("GET", "stats")
    check(st["max_in_flight"] == 4 and st["paths"][p]["max_in_flight"] == 4
          and st["paths"]["/orgs/big/actions/runners"]["max_in_flight"] == 1,
          f"max in flight 4 overall and on {p}, 1 on big: {st['max_in_flight']}")
    check(st["requests_total"] == 5 and st["by_status"] == {"200": 5}, f"counted 5 requests: {st['by_status']}")
    times = st["paths"][p]["times_ms"]
    check(len(times) == 4 and times == sorted(times) and times[0] <= st["now_ms"], f"times_ms: {times}")
    check(abs(st["now_ms"] - time.monotonic() * 1000) < 2000, "now_ms is CLOCK_MONOTONIC, as ours")
    ctl("POST", "reset")
    st = ctl("GET", "stats")
    check(st["requests_total"] == 0 and st["paths"] == {} and st["max_in_flight"] == 0, "reset clears the counters")


def t_app_flow(tmp, key, wrong_key):
    path = f"/app/installations/{INST}/access_tokens"
    now = int(time.time())
    good = {"iss": str(APP_ID), "iat": now - 30, "exp": now + 540}
    ctl("POST", "reset")
    s, h, b = call("POST", path, token=make_jwt(key, good, tmp))
    check(s == 201, f"token exchange: 201, got {s} {b[:300]}")
    if s != 201:
        return
    d = json.loads(b)
    check(d["token"].startswith("ghs_") and d["repository_selection"] == "all"
          and isinstance(d["permissions"], dict) and d["expires_at"].endswith("Z"), f"token shape: {d}")
    check("x-ratelimit-remaining" in h, "rate-limit headers on the token exchange")
    check(call("GET", "/orgs/acme/actions/runners", token=d["token"])[0] == 200, "the installation token lists runners")
    s, _, b = call("POST", path, token=make_jwt(key, dict(good, iss=APP_ID), tmp))
    check(s == 201, f"iss as a number: 201, got {s} {b[:200]}")
    bad = [("wrong key", make_jwt(wrong_key, good, tmp)),
           ("iss another app", make_jwt(key, dict(good, iss="999"), tmp)),
           ("expired", make_jwt(key, dict(good, iat=now - 700, exp=now - 100), tmp)),
           ("exp - iat > 600", make_jwt(key, dict(good, exp=now + 600), tmp)),
           ("iat in the future", make_jwt(key, dict(good, iat=now + 120, exp=now + 300), tmp)),
           ("alg HS256", make_jwt(key, good, tmp, header={"alg": "HS256", "typ": "JWT"})),
           ("garbage", "not.a.jwt"),
           ("tampered payload", make_jwt(key, good, tmp).split(".")[0] + "." +
            b64url(json.dumps(dict(good, iss="1")).encode()) + "." + make_jwt(key, good, tmp).split(".")[2])]
    for what, jwt in bad:
        s, _, b = call("POST", path, token=jwt)
        check(s == 401 and json.loads(b).get("message"), f"JWT {what}: 401, got {s} {b[:200]}")
    s, _, _ = call("POST", path, token=None)
    check(s == 401, "no JWT: 401")
    s, _, _ = call("POST", "/app/installations/9999/access_tokens", token=make_jwt(key, good, tmp))
    check(s == 404, f"unknown installation: 404, got {s}")
    st = ctl("GET", "stats")
    check(st["token_exchanges"] == 2 and st["jwt_failures"] == len(bad) + 1,
          f"token_exchanges 2, jwt_failures {len(bad) + 1}: {st['token_exchanges']} {st['jwt_failures']} "
          f"{st['jwt_failure_reasons']}")
    check(st["jwt_failure_reasons"].get("signature", 0) == 2, f"reasons: {st['jwt_failure_reasons']}")
    # Short-lived tokens expire; /_control/tokens/expire ends one at once.
    ctl("POST", "config", {"app": {"token_lifetime_s": 2}})
    short = json.loads(call("POST", path, token=make_jwt(key, good, tmp))[2])["token"]
    check(call("GET", "/orgs/acme/actions/runners", token=short)[0] == 200, "a fresh short-lived token works")
    time.sleep(2.1)
    s, _, b = call("GET", "/orgs/acme/actions/runners", token=short)
    check(s == 401 and json.loads(b)["message"] == "Bad credentials", f"an expired token: 401, got {s}")
    check(any(t["token"] == short and t["expired"] for t in ctl("GET", "tokens")["issued"]), "GET /_control/tokens")
    ctl("POST", "tokens/expire", {"token": d["token"]})
    check(call("GET", "/orgs/acme/actions/runners", token=d["token"])[0] == 401, "tokens/expire ends a token")


def start(cfg):
    p = subprocess.Popen([sys.executable, FAKE, "--config", cfg], stdout=subprocess.PIPE,
                         stderr=open(cfg + ".log", "w"))
    ready, _, _ = select.select([p.stdout], [], [], 15)
    line = p.stdout.readline().decode() if ready else ""
    if not line.startswith("listening on http://127.0.0.1:"):
        p.kill()
        raise SystemExit(f"FAIL: the fake did not say 'listening on' (got {line!r}); log:\n"
                         + open(cfg + ".log").read())
    return p, line.split()[-1]


def main():
    global BASE
    deadline = time.monotonic() + 55
    with tempfile.TemporaryDirectory() as tmp:
        key, wrong, pub = (os.path.join(tmp, n) for n in ("app.pem", "wrong.pem", "app.pub.pem"))
        for k in (key, wrong):
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                            "-out", k], check=True, capture_output=True, timeout=60)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True,
                       capture_output=True, timeout=20)
        cfg = os.path.join(tmp, "fake.json")
        with open(cfg, "w") as f:
            json.dump({"tokens": [TOKEN],
                       "app": {"app_id": APP_ID, "public_key_file": pub, "installations": [INST]},
                       "owners": {"acme": [{"name": "r1", "labels": ["self-hosted", "Linux", "riscv64"]},
                                           {"name": "r2", "status": "offline"}, "r3"],
                                  "acme/widgets": ["w1"]}}, f)
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump({"tokenz": []}, f)
        r = subprocess.run([sys.executable, FAKE, "--config", bad], capture_output=True, text=True, timeout=20)
        check(r.returncode == 2 and "tokenz" in r.stderr and r.stdout == "", f"a bad config: exit 2 naming the key: {r}")
        proc, BASE = start(cfg)
        try:
            sections = [("help and sign", lambda: t_help_and_sign(tmp)), ("lists and auth", t_lists_and_auth),
                        ("pagination", t_pagination), ("etag and rate limit", t_etag_and_rate_limit),
                        ("runner scripting", t_runner_scripting), ("faults", t_faults),
                        ("concurrency and stats", t_concurrency_and_stats),
                        ("app flow", lambda: t_app_flow(tmp, key, wrong))]
            for name, fn in sections:
                if time.monotonic() > deadline:
                    check(False, f"out of time before {name}")
                    break
                try:
                    fn()
                except Exception:
                    failures.append(f"{name}: {traceback.format_exc()}")
            # A request left hanging must not hold up the stop.
            ctl("POST", "faults", {"mode": "hang"})
            def hung():
                try:
                    call("GET", "/orgs/acme/actions/runners", timeout=5)
                except (OSError, http.client.HTTPException):
                    pass     # closed without an answer when the fake stops
            threading.Thread(target=hung, daemon=True).start()
            time.sleep(0.3)
        finally:
            t0 = time.monotonic()
            os.kill(proc.pid, signal.SIGTERM)
            try:
                rc = proc.wait(5)
                check(rc == 0 and time.monotonic() - t0 < 2, f"SIGTERM: exit 0 promptly, got {rc} after "
                      f"{time.monotonic() - t0:.2f}s")
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, "SIGTERM: still running after 5 s")
            rest = proc.stdout.read()
            check(rest == b"", f"nothing on stdout after the listening line: {rest[:200]!r}")
            log = open(cfg + ".log").read()
            check("GET /orgs/acme/actions/runners" in log, "requests are logged to stderr")
    if failures:
        for f in failures:
            print(f"FAIL: {f}", file=sys.stderr)
        print(f"test_fake_github: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("test_fake_github: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
