#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A webhook receiver for tests/integration/test_webhooks.c.

Listens on 127.0.0.1:PORT (0: any; the port is printed as "listening PORT"),
answers POSTs with --fail-status for the first --fail-first requests and 200
after, and appends one JSON line per request to --log:
{"n", "status", "event_id", "sig_ok", "body"}, where sig_ok says whether
X-Runwarden-Signature is the HMAC-SHA256 of the body with --secret.
Stops by itself after --max-seconds.
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=500)
    ap.add_argument("--max-seconds", type=int, default=120)
    args = ap.parse_args()
    lock = threading.Lock()
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            want = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            got = self.headers.get("X-Runwarden-Signature", "")
            with lock:
                count[0] += 1
                n = count[0]
                status = args.fail_status if n <= args.fail_first else 200
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with open(args.log, "a") as f:
                    f.write(json.dumps({"n": n, "status": status,
                                        "event_id": self.headers.get("X-Runwarden-Event-Id"),
                                        "sig_ok": hmac.compare_digest(want, got),
                                        "body": parsed}) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", args.port), Handler)
    print("listening %d" % srv.server_address[1], flush=True)
    threading.Timer(args.max_seconds, srv.shutdown).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
