#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fake Zulip server for tests/integration/test_notifications.c.

Listens on 127.0.0.1:PORT (0: any; prints "listening PORT"), takes
POST /api/v1/messages as Zulip does (HTTP basic auth --email:--key,
form-urlencoded type=stream, to, topic, content), answers
{"result": "success", "msg": "", "id": N}, or an error as Zulip words one
(401 for bad credentials, 400 for missing or wrong fields), and appends one
JSON line per request to --log: {"n", "status", "auth_ok", "fields_ok",
"type", "to", "topic", "content"}. Stops by itself after --max-seconds.
"""
import argparse
import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--max-seconds", type=int, default=300)
    args = ap.parse_args()
    lock = threading.Lock()
    count = [0]
    want_auth = "Basic " + base64.b64encode(
        ("%s:%s" % (args.email, args.key)).encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            auth_ok = self.headers.get("Authorization", "") == want_auth
            ctype = self.headers.get("Content-Type", "")
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            one = {k: v[0] for k, v in form.items() if len(v) == 1}
            fields_ok = (self.path == "/api/v1/messages"
                         and ctype.startswith("application/x-www-form-urlencoded")
                         and one.get("type") == "stream"
                         and all(one.get(k) for k in ("to", "topic", "content"))
                         and len(one.get("topic", "")) <= 60
                         and set(form) == {"type", "to", "topic", "content"})
            with lock:
                count[0] += 1
                n = count[0]
                if not auth_ok:
                    status, answer = 401, {"result": "error", "msg": "Invalid API key",
                                           "code": "UNAUTHORIZED"}
                elif not fields_ok:
                    status, answer = 400, {"result": "error", "msg": "Bad request",
                                           "code": "BAD_REQUEST"}
                else:
                    status, answer = 200, {"result": "success", "msg": "", "id": 1000 + n}
                with open(args.log, "a") as f:
                    f.write(json.dumps({"n": n, "status": status, "auth_ok": auth_ok,
                                        "fields_ok": fields_ok, "type": one.get("type"),
                                        "to": one.get("to"), "topic": one.get("topic"),
                                        "content": one.get("content")}) + "\n")
            out = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", args.port), Handler)
    print("listening %d" % srv.server_address[1], flush=True)
    threading.Timer(args.max_seconds, srv.shutdown).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
