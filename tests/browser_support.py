"""A small headless-Chromium client over the DevTools protocol (``--remote-debugging-pipe``), for browser tests.

Shared by the report pages (tests/reports) and the dashboard served by the real service (tests/service):
it opens a page at a given viewport, waits for a condition, evaluates JavaScript, keeps every console
error and uncaught exception the page reports, and takes screenshots. Every host name is unresolvable for
the browser (only the loopback address 127.0.0.1 is reachable), so a page can only use what it was served.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


class DevTools:
    """A small DevTools client that also keeps the console errors and exceptions the page reports."""

    def __init__(self, *extra_flags: str) -> None:
        def high(fd: int) -> int:
            new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return new

        (cmd_r, self.cmd), (self.res, res_w) = map(high, os.pipe()), map(high, os.pipe())
        self.profile = tempfile.TemporaryDirectory()

        def child() -> None:
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen([str(BROWSER), *FLAGS, f"--user-data-dir={self.profile.name}",
                                      "--remote-debugging-pipe", *extra_flags], preexec_fn=child, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self.buf, self.next_id, self.session = b"", 0, None
        self.errors: list[str] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")

    def _event(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params.get("exceptionDetails", {}), ensure_ascii=False)[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(json.dumps(params.get("args", []), ensure_ascii=False)[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", "")[:500])

    def call(self, method: str, **params: Any) -> Any:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params, **({"sessionId": self.session} if self.session else {})}
        os.write(self.cmd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            while b"\0" not in self.buf:
                ready, _, _ = select.select([self.res], [], [], max(0.0, deadline - time.monotonic()))
                assert ready, f"no answer to {method}"
                chunk = os.read(self.res, 1 << 20)
                assert chunk, "chromium closed the pipe"
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply["error"]
                return reply["result"]
            self._event(reply)

    def eval(self, expr: str) -> Any:
        return self.call("Runtime.evaluate", expression=expr, returnByValue=True)["result"].get("value")

    def open(self, url: str, width: int, height: int, mobile: bool, until: str) -> Any:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        self.errors.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            value = self.eval(until)
            if value:
                return value
            time.sleep(0.2)
        return None

    def screenshot(self, path: Path, full: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full:
            w, h = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": w, "height": min(h, 12000),
                                                             "scale": 1})
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", **params)["data"]))

    def close(self) -> None:
        os.write(self.cmd, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.cmd)
        os.close(self.res)
        self.profile.cleanup()
