"""Row 4: the workspace page with 300 ms added to each of the five services, against the sum and the largest.

The references are measured, not assumed: one call to each service one after another (the sum of the
five latencies plus their round trips), and one call to one service (the largest latency). Each page
run opens a workspace not opened before, so none of its data is cached.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

from benchmarks.apptest import check, open_screen, portal_environment
from benchmarks.harness import Config, Measure, Row, Target, scope_for, timed
from benchmarks.sandbox import SandboxProcess, portal_environment_for
from portal.clients import Clients, NotFound, build_clients
from portal.settings import SERVICES

LATENCY_MS = 300
TARGET_SECONDS = 0.45


def one_call_per_service(clients: Clients, workspace_id: str) -> None:
    """Fleet, statistics, push, marketplace, hosting: one call each, in turn (404s count as answers)."""
    calls = (lambda: clients.fleet.get_workspace(workspace_id),
             lambda: clients.stats.latest(workspace_id),
             lambda: clients.push.deliveries(workspace_id=workspace_id, limit=100),
             lambda: clients.marketplace.workspace_apps(workspace_id),
             lambda: clients.hosting.get_instance(workspace_id))
    for call in calls:
        with contextlib.suppress(NotFound):
            call()


def measure(config: Config, sandbox: SandboxProcess, workdir: Path) -> Row:
    """Median page run with the latency injected; per run, the services asked and the calls made."""
    clients = build_clients(sandbox.settings())
    rng = random.Random(config.seed + 4)
    opened = [f"ws_{i:06d}" for i in rng.sample(range(sandbox.workspaces), 2 * config.repeats + 1)]
    page: list[float] = []
    serial: list[float] = []
    largest: list[float] = []
    calls: list[int] = []
    services_asked: set[str] = set()
    try:
        with portal_environment(portal_environment_for(sandbox, workdir)):
            at = open_screen("oncall", "workspace", query={"workspace": opened[0]})  # imports, first render
            sandbox.set_latency(LATENCY_MS)
            try:
                for i in range(config.repeats):
                    at.query_params["workspace"] = opened[1 + i]
                    since = sandbox.now()
                    seconds, _ = timed(at.run)
                    check(at, "workspace")
                    page.append(seconds)
                    log = sandbox.requests_since(since)
                    calls.append(len(log))
                    services_asked |= {entry["service"] for entry in log}
                    other = opened[1 + config.repeats + i]
                    serial.append(timed(lambda other=other: one_call_per_service(clients, other))[0])
                    largest.append(timed(lambda other=other: clients.fleet.get_workspace(other))[0])
            finally:
                sandbox.clear_faults()
    finally:
        clients.close()
    if services_asked != set(SERVICES):
        raise RuntimeError(f"the page asked {sorted(services_asked)}, not all five services")
    figure = Measure(f"AppTest run of a workspace page, {LATENCY_MS} ms on every service", "s", page)
    ref_sum = Measure("one call to each of the five services in turn (the sum)", "s", serial)
    ref_max = Measure("one call to one service (the largest latency)", "s", largest)
    to_sum, to_max = figure.value / ref_sum.value, figure.value / ref_max.value
    return Row(4, "workspace_page", "Workspace page, 300 ms on each service", scope_for(sandbox.workspaces),
               figure, ref_sum, to_max, f"{to_sum:.2f}× the sum, {to_max:.2f}× the largest",
               Target(f"≤ {TARGET_SECONDS} s", figure.value <= TARGET_SECONDS),
               {"service_calls_per_run": sorted(set(calls)), "ratio_to_sum": to_sum},
               second_reference=ref_max)
