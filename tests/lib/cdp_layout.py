#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cdp_layout.py — loads a page in headless Chromium and measures its layout.

    cdp_layout.py CHROMIUM PROFILE_DIR URL OUT_PREFIX [MODE...]

MODE is "WIDTHxHEIGHT" (screen) or "print:WIDTH" (the print media type at
that width; A4 portrait is 794 CSS px wide). For each mode the page is loaded
afresh in a new tab, screenshots are written to OUT_PREFIX-MODE-top.png (the
first screenful) and OUT_PREFIX-MODE.png (the whole page, up to 8000 px) and
the measurements below are gathered. One JSON object
is printed on stdout: {"modes": {MODE: {...}}, "console": [...],
"requests": [...]}, where

  scroll_width, client_width  document.documentElement's (a horizontal
                              scrollbar when scroll_width > client_width);
  summary                     the #summary element's right edge and scroll
                              width against its client width (null: none);
  overflowing                 up to 10 elements whose right edge passes the
                              viewport, that scroll sideways themselves, or
                              that spill their content sideways inside the
                              summary;
  wrapped_triples             the text of .triple elements laid out on more
                              than one line;
  bars                        each svg.bars' rendered width and height and
                              its number of day columns (g[data-day] or g);
  verdicts                    per element with class "verdict": its text,
                              colour and background colour;
  gauges                      the number of svg.gauge elements;
  console                     console messages, exceptions and log entries
                              (CSP violations are log entries);
  requests                    every URL the page asked for but URL itself.

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: it reads NUL-terminated JSON messages on fd 3 and
writes them on fd 4), so no port and no websocket client are needed. Every
wait is bounded by DEADLINE_S; Chromium is killed by its process id (its own
process group) at the end, whatever happens.
"""
import base64
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import time

DEADLINE_S = 60.0

MEASURE = r"""
(() => {
  const de = document.documentElement, cw = de.clientWidth;
  const desc = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : '');
  const out = {scroll_width: de.scrollWidth, client_width: cw, summary: null,
               overflowing: [], wrapped_triples: [], bars: [], verdicts: [], gauges: 0,
               title: document.title};
  const s = document.getElementById('summary');
  if (s) {
    const r = s.getBoundingClientRect();
    out.summary = {right: r.right, left: r.left, scroll_width: s.scrollWidth,
                   client_width: s.clientWidth, height: r.height};
  }
  for (const e of document.body.querySelectorAll('*')) {
    if (out.overflowing.length >= 10) break;
    if (e.closest('svg') && e.tagName.toLowerCase() !== 'svg') continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const st = getComputedStyle(e);
    if (r.right > cw + 1 || r.left < -1)
      out.overflowing.push(desc(e) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
    else if ((st.overflowX === 'auto' || st.overflowX === 'scroll') && e.scrollWidth > e.clientWidth + 1)
      out.overflowing.push(desc(e) + ' scrolls sideways (' + e.scrollWidth + ' > ' + e.clientWidth + ')');
  }
  // Within the summary, no box may spill its content sideways (a badge
  // running into the next card).
  for (const e of (s ? s.querySelectorAll('*') : [])) {
    if (out.overflowing.length >= 10) break;
    if (e.closest('svg') || e.clientWidth === 0) continue;
    if (e.scrollWidth > e.clientWidth + 1)
      out.overflowing.push(desc(e) + ' spills (' + e.scrollWidth + ' > ' + e.clientWidth + ')');
  }
  for (const e of document.querySelectorAll('.triple')) {
    const lh = parseFloat(getComputedStyle(e).lineHeight) || 20;
    const rects = e.getClientRects();
    if (rects.length > 1 || e.getBoundingClientRect().height > 1.5 * lh)
      out.wrapped_triples.push(e.textContent);
  }
  for (const e of document.querySelectorAll('svg.bars')) {
    const r = e.getBoundingClientRect();
    let days = e.querySelectorAll('g[data-day]').length;
    if (!days) days = e.querySelectorAll(':scope > g').length;
    out.bars.push({width: r.width, height: r.height, days: days});
  }
  for (const e of document.querySelectorAll('.verdict')) {
    const st = getComputedStyle(e);
    out.verdicts.push({text: e.textContent.trim(), color: st.color, background: st.backgroundColor});
  }
  out.gauges = document.querySelectorAll('svg.gauge').length;
  return JSON.stringify(out);
})()
"""


class Browser:
    def __init__(self, chromium, profile):
        self.to_r, self.to_w = os.pipe()      # we write, Chromium reads (its fd 3)
        self.from_r, self.from_w = os.pipe()  # Chromium writes (its fd 4), we read
        to_r, from_w = self.to_r, self.from_w

        def child():
            os.setpgid(0, 0)
            # Out of the way first: the pipes may themselves be fds 3 or 4.
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)  # dup2 clears close-on-exec
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             "--hide-scrollbars", "--mute-audio", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, "chromium.log"), "ab"),
            preexec_fn=child, pass_fds=(3, 4))
        os.close(self.to_r)
        os.close(self.from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + DEADLINE_S

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.to_w, data)
            data = data[n:]
        return self.next_id

    def recv(self):
        """The next message; fails past the deadline."""
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            r, _, _ = select.select([self.from_r], [], [], left)
            if not r:
                continue
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe (exit %s)" % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        want = self.send(method, params, session)
        while True:
            m = self.recv()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session):
        for i, m in enumerate(self.events):
            if m.get("method") == method and m.get("sessionId") == session:
                del self.events[i]
                return m
        while True:
            m = self.recv()
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def drain(self, seconds):
        """Collects the events of the next @seconds."""
        end = min(time.monotonic() + seconds, self.deadline)
        while time.monotonic() < end:
            r, _, _ = select.select([self.from_r], [], [], end - time.monotonic())
            if not r:
                break
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                break
            self.buf += chunk
            while b"\0" in self.buf:
                msg, self.buf = self.buf.split(b"\0", 1)
                self.events.append(json.loads(msg))

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("Browser.close")
                self.proc.wait(timeout=5)
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in (self.to_w, self.from_r):
            try:
                os.close(fd)
            except OSError:
                pass


def load(b, url, mode, shot):
    """Loads @url in a new tab as @mode; returns its measurements, console
    messages and requests."""
    if mode.startswith("print:"):
        width, height, media = int(mode[6:]), 1123, "print"
    else:
        w, h = mode.split("x")
        width, height, media = int(w), int(h), "screen"
    tid = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    sid = b.call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
    for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
        b.call(m, None, sid)
    b.call("Emulation.setDeviceMetricsOverride",
           {"width": width, "height": height, "deviceScaleFactor": 1,
            "mobile": media == "screen" and width < 600}, sid)
    b.call("Emulation.setEmulatedMedia", {"media": media}, sid)
    b.events = [e for e in b.events if e.get("sessionId") != sid]
    b.call("Page.navigate", {"url": url}, sid)
    b.wait_event("Page.loadEventFired", sid)
    b.drain(0.5)
    res = b.call("Runtime.evaluate", {"expression": MEASURE, "returnByValue": True}, sid)
    if "exceptionDetails" in res:
        raise RuntimeError("measuring failed: %s" % res["exceptionDetails"])
    out = json.loads(res["result"]["value"])
    # What one sees first (the viewport), then the whole page.
    png = b.call("Page.captureScreenshot", {"format": "png"}, sid)["data"]
    with open(shot[:-4] + "-top.png", "wb") as f:
        f.write(base64.b64decode(png))
    lm = b.call("Page.getLayoutMetrics", None, sid)
    size = lm.get("cssContentSize") or lm["contentSize"]
    full_h = min(int(size["height"]) + 1, 8000)
    b.call("Emulation.setDeviceMetricsOverride",
           {"width": width, "height": full_h, "deviceScaleFactor": 1,
            "mobile": media == "screen" and width < 600}, sid)
    png = b.call("Page.captureScreenshot", {"format": "png"}, sid)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    console, requests = [], []
    for e in b.events:
        if e.get("sessionId") != sid:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled":
            console.append("console.%s: %s" % (p.get("type"), " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            console.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
        elif m == "Log.entryAdded":
            en = p.get("entry", {})
            console.append("log %s: %s" % (en.get("level"), en.get("text")))
        elif m == "Network.requestWillBeSent":
            u = p.get("request", {}).get("url", "")
            if u != url:
                requests.append(u)
    b.events = [e for e in b.events if e.get("sessionId") != sid]
    b.call("Target.closeTarget", {"targetId": tid})
    return out, console, requests


def main():
    if len(sys.argv) < 5:
        sys.stderr.write("usage: cdp_layout.py CHROMIUM PROFILE_DIR URL OUT_PREFIX [MODE...]\n")
        return 2
    chromium, profile, url, prefix = sys.argv[1:5]
    modes = sys.argv[5:] or ["1280x900", "390x844"]
    os.makedirs(profile, exist_ok=True)
    b = Browser(chromium, profile)
    result = {"url": url, "modes": {}, "console": [], "requests": []}
    try:
        for mode in modes:
            shot = "%s-%s.png" % (prefix, mode.replace(":", ""))
            out, console, requests = load(b, url, mode, shot)
            out["screenshot"] = shot
            result["modes"][mode] = out
            result["console"] += ["%s: %s" % (mode, c) for c in console]
            result["requests"] += ["%s: %s" % (mode, r) for r in requests]
    finally:
        b.close()
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
