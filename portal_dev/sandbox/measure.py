"""Measure the sandbox at scale by hand: `python -m portal_dev.sandbox.measure --workspaces 100000`.

Starts `python -m portal sandbox` as a child, reports time until it prints its URLs (listening),
resident memory (current and peak, from /proc), and the latency of typical admin queries. Targets:
start < 30 s and RSS < 1.5 GB at 100,000 workspaces; searches and summaries in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from portal_dev.config import SANDBOX_ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of a process in MB (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def timed(session: requests.Session, url: str, repeat: int = 5, **params: object) -> float:
    """Median milliseconds of `repeat` GETs (the first, cache-filling call included in the samples)."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = session.get(url, params=params, timeout=30)
        samples.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; prints a small report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspaces", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "portal", "sandbox", "--workspaces", str(args.workspaces),
                             "--seed", str(args.seed), "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        started = time.perf_counter() - t0
        base = first.split("=", 1)[1].rsplit("/", 1)[0]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {SANDBOX_ADMIN_TOKEN}"
        current, peak = rss_mb(proc.pid)
        print(f"workspaces={args.workspaces} start={started:.1f}s rss={current:.0f}MB peak={peak:.0f}MB")
        checks = {
            "fleet summary": (f"{base}/fleet/admin/v1/summary", {}),
            "search name prefix 'blue'": (f"{base}/fleet/admin/v1/workspaces", {"q": "blue", "limit": 50}),
            "search exact id": (f"{base}/fleet/admin/v1/workspaces", {"q": "ws_000042"}),
            "search substring 'harbor-labs'": (f"{base}/fleet/admin/v1/workspaces", {"q": "harbor-labs"}),
            "filter minor+hosted": (f"{base}/fleet/admin/v1/workspaces", {"minor": "7.10", "hosted": "false"}),
            "deliveries page": (f"{base}/push/admin/v1/deliveries", {"limit": 50}),
            "push counts 24h": (f"{base}/push/admin/v1/counts", {}),
            "top failing 24h": (f"{base}/push/admin/v1/top-failing", {}),
            "stats freshness": (f"{base}/stats/admin/v1/freshness", {}),
            "marketplace summary": (f"{base}/marketplace/admin/v1/summary", {}),
            "hosting summary": (f"{base}/hosting/admin/v1/summary", {}),
        }
        for name, (url, params) in checks.items():
            print(f"  {name:<32} {timed(session, url, **params):7.1f} ms")
        current, peak = rss_mb(proc.pid)
        print(f"after queries: rss={current:.0f}MB peak={peak:.0f}MB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
