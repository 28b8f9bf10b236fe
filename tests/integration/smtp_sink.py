#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An SMTP sink for tests/integration/test_notifications.c (aiosmtpd, Debian's
python3-aiosmtpd).

Listens on 127.0.0.1:PORT (0: any; prints "listening PORT"), requires SMTP
AUTH (PLAIN or LOGIN, offered without TLS: loopback only) with --user and
--password, and appends one JSON line per accepted message to --log:
{"n", "mail_from", "rcpt_tos", "data"}. Stops by itself after --max-seconds.
"""
import argparse
import asyncio
import json
import sys

from aiosmtpd.smtp import SMTP, AuthResult


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--max-seconds", type=int, default=300)
    args = ap.parse_args()
    count = [0]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            count[0] += 1
            with open(args.log, "a") as f:
                f.write(json.dumps({
                    "n": count[0],
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "data": envelope.original_content.decode("utf-8", "replace"),
                }) + "\n")
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (getattr(auth_data, "login", b"") == args.user.encode()
              and getattr(auth_data, "password", b"") == args.password.encode())
        return AuthResult(success=ok)

    async def run():
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(
            lambda: SMTP(Handler(), hostname="sink.test", authenticator=authenticator,
                         auth_required=True, auth_require_tls=False),
            "127.0.0.1", args.port)
        print("listening %d" % srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(args.max_seconds)
        srv.close()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
