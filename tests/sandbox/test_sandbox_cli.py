"""`python -m portal sandbox`: prints where each service listens, serves, and stops cleanly on signals."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from portal.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def start(*extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal", "sandbox", "--workspaces", "150", "--seed", "3", "--port", "0", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    values: dict[str, str] = {}
    assert proc.stdout is not None
    while len(values) < 2 * len(SERVICES):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise AssertionError(f"sandbox exited early: {proc.stderr.read() if proc.stderr else ''}")
        name, _, value = line.strip().partition("=")
        values[name] = value
    return proc, values


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_prints_service_urls_once_listening_and_stops_cleanly(stop_with: signal.Signals) -> None:
    proc, values = start("--admin-token", "cli-token")
    try:
        urls = {s: values[f"PORTAL_{s.upper()}_URL"] for s in SERVICES}
        port = urls["fleet"].rsplit(":", 1)[1].split("/")[0]
        assert urls == {s: f"http://127.0.0.1:{port}/{s}" for s in SERVICES}
        assert all(values[f"PORTAL_{s.upper()}_TOKEN"] == "cli-token" for s in SERVICES)
        # Listening already when the lines appear: no retry needed.
        health = requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=5).json()
        assert health == {"status": "ok", "workspaces": 150, "seed": 3}
        summary = requests.get(f"{urls['fleet']}/admin/v1/summary", headers={"Authorization": "Bearer cli-token"},
                               timeout=5)
        assert summary.status_code == 200 and summary.json()["total"] == 150
    finally:
        proc.send_signal(stop_with)
        code = proc.wait(timeout=15)
    assert code == 0


def test_bad_arguments_exit_non_zero() -> None:
    result = subprocess.run([sys.executable, "-m", "portal", "sandbox", "--workspaces", "0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "workspaces" in result.stderr
