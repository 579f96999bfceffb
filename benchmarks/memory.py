"""Row 7: peak resident memory of a portal process after the fleet and workspace pages, against the
sandbox's own (a separate process serving the same fleet).

The portal process is `python -m benchmarks.memory_driver`, a fresh interpreter per sample, running the
screens under AppTest; its peak is VmHWM from /proc. The sandbox is the harness's child process,
so the two never share a heap.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Config, Measure, Row, Target, at_target_size, scope_for
from benchmarks.sandbox import ROOT, SandboxProcess, portal_environment_for

TARGET_MB = 400.0
WORKSPACE_PAGES = 5


def measure(config: Config, sandbox: SandboxProcess, workdir: Path) -> Row:
    rng = random.Random(config.seed + 7)
    peaks: list[float] = []
    sandbox_rss: list[float] = []
    runs: list[dict[str, float]] = []
    env = {**os.environ, **portal_environment_for(sandbox, workdir)}
    for _ in range(config.reference_repeats):
        ids = [f"ws_{i:06d}" for i in rng.sample(range(sandbox.workspaces), WORKSPACE_PAGES)]
        done = subprocess.run([sys.executable, "-m", "benchmarks.memory_driver", *ids], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"memory driver failed ({done.returncode}): {done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(result)
        peaks.append(result["peak_mb"])
        sandbox_rss.append(sandbox.rss_mb()[0])
    figure = Measure("peak RSS (VmHWM) of a portal process after both pages", "MB", peaks)
    ref = Measure("RSS (VmRSS) of the sandbox process serving the same fleet", "MB", sandbox_rss)
    ratio = figure.value / ref.value
    return Row(7, "memory", "Portal process memory, fleet + workspace pages", scope_for(sandbox.workspaces),
               figure, ref, ratio, f"{ratio:.2f}× the sandbox",
               Target(f"≤ {TARGET_MB:g} MB at 100k", at_target_size(sandbox.workspaces, figure.value <= TARGET_MB)),
               {"after_imports_mb": sorted(r["after_imports_mb"] for r in runs),
                "bare_python_mb": runs[0]["bare_python_mb"], "sandbox_peak_mb": sandbox.rss_mb()[1],
                "workspace_pages_per_run": WORKSPACE_PAGES})
