"""The sandbox as a child process (`python -m portal sandbox`), so its CPU and memory are not the portal's."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from benchmarks.harness import rss_mb
from portal.settings import SERVICES, Settings
from portal_dev.sandbox.server import wait_healthy

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 180.0


@dataclass
class SandboxProcess:
    """A running `python -m portal sandbox --port 0` child and the URLs it printed."""

    workspaces: int
    process: subprocess.Popen[str]
    urls: dict[str, str]
    token: str
    log_path: Path
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    @property
    def base_url(self) -> str:
        return self.urls["fleet"].rsplit("/", 1)[0]

    @property
    def pid(self) -> int:
        return self.process.pid

    def settings(self, **extra: Any) -> Settings:
        """Portal settings pointing at this sandbox."""
        values: dict[str, Any] = {}
        for service in SERVICES:
            values[f"{service}_url"] = self.urls[service]
            values[f"{service}_token"] = self.token
        return Settings(**values, **extra)

    def environment(self) -> dict[str, str]:
        """The PORTAL_* variables a portal process needs to use this sandbox."""
        env = {f"PORTAL_{s.upper()}_URL": self.urls[s] for s in SERVICES}
        env.update({f"PORTAL_{s.upper()}_TOKEN": self.token for s in SERVICES})
        return env

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the sandbox's control API (`/_sandbox/...`); the decoded JSON answer."""
        response = self._session.request(method, f"{self.base_url}/_sandbox/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def set_latency(self, milliseconds: int) -> None:
        for service in SERVICES:
            self.control("PUT", f"faults/{service}", json={"latency_ms": milliseconds})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def now(self) -> float:
        """The sandbox's clock (the request log's time base)."""
        return float(self.control("GET", "requests", params={"since": 1e12})["now"])

    def requests_since(self, since: float) -> list[dict[str, Any]]:
        """Service requests the sandbox served since `since` (its own clock)."""
        return list(self.control("GET", "requests", params={"since": since})["items"])

    def rss_mb(self) -> tuple[float, float]:
        return rss_mb(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._session.close()
        self.log_path.unlink(missing_ok=True)


def start_sandbox(workspaces: int, *, seed: int) -> SandboxProcess:
    """Start the sandbox on a free loopback port; returns once it answers its health endpoint."""
    log_path = Path(tempfile.mkstemp(prefix=f"bench-sandbox-{workspaces}-", suffix=".log")[1])
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal", "sandbox", "--workspaces", str(workspaces), "--seed", str(seed),
             "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    # A sandbox that never prints its URLs must not hang the run: kill it after the timeout.
    watchdog = threading.Timer(START_TIMEOUT, process.kill)
    watchdog.start()
    values: dict[str, str] = {}
    try:
        assert process.stdout is not None
        while len(values) < 2 * len(SERVICES):
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"sandbox exited before listening; see {log_path}:\n{log_path.read_text()[-2000:]}")
            name, _, value = line.strip().partition("=")
            if name.startswith("PORTAL_"):
                values[name] = value
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        watchdog.cancel()
    urls = {s: values[f"PORTAL_{s.upper()}_URL"] for s in SERVICES}
    running = SandboxProcess(workspaces, process, urls, values["PORTAL_FLEET_TOKEN"], log_path)
    try:
        wait_healthy(running.base_url)
    except BaseException:
        running.stop()
        raise
    return running


def portal_environment_for(sandbox: SandboxProcess, workdir: Path) -> dict[str, str]:
    """What a portal process (or AppTest in this one) is started with: the sandbox and a fresh SQLite file."""
    return {**sandbox.environment(), "PORTAL_DATABASE_URL": f"sqlite:///{workdir / 'portal.db'}",
            "PORTAL_ENV": "development"}
