"""Row 5: what the executor adds to `push.send_test`, on SQLite and on PostgreSQL.

An executor run is `Executor.submit`: validate, ask the policy, preview (one Fleetcommand read),
open the run and its audit records, call the gateway, record the outcome. The reference is the raw
client calls it makes, timed the same way in the same loop: the preview's `get_workspace` and the
gateway's `send_test`. Overhead = run − raw, per pair; the figure is its median. Each run has its own
title, so the executor's de-duplication never answers one run with another.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import Config, Measure, Row, Target, timed
from benchmarks.sandbox import SandboxProcess
from portal.actions.capture import recording_session
from portal.actions.executor import build_executor
from portal.actions.outcomes import ActionRequest
from portal.clients import BadRequest, Clients, build_clients
from portal.identity import Principal
from portal.store import open_database
from portal.store.models import RunState

TARGET_MS = {"SQLite": 15.0, "PostgreSQL": 25.0}
WARM_UP = 3


def push_targets(clients: Clients) -> list[str]:
    """Workspaces whose devices the gateway knows (the ones in its delivery log)."""
    return list(dict.fromkeys(d.workspace_id for d in clients.push.deliveries(limit=500).items))


def measure(config: Config, sandbox: SandboxProcess, backend: str, database_url: str) -> Row:
    settings = sandbox.settings(database_url=database_url)
    clients = build_clients(settings, session_factory=recording_session)
    database = open_database(database_url)
    executor = build_executor(settings, database, clients)
    person = Principal(sub="bench", email="bench@example.com", name="Bench", groups=(), roles=("support",),
                       issued_at=datetime.now(UTC))
    stamp = uuid.uuid4().hex[:8]

    def raw(target: str, n: int) -> Any:
        clients.fleet.get_workspace(target)
        return clients.push.send_test(target, title=f"bench raw {stamp} {n}", idempotency_key=str(uuid.uuid4()))

    def run(target: str, n: int) -> None:
        outcome = executor.submit(person, ActionRequest("push.send_test", target, {"title": f"bench {stamp} {n}"}))
        if not outcome.created or outcome.state != RunState.SUCCEEDED:
            raise RuntimeError(f"executor run {n} on {target}: created={outcome.created} {outcome.run.error}")

    raw_ms: list[float] = []
    run_ms: list[float] = []
    try:
        targets = []
        for candidate in push_targets(clients):
            try:
                raw(candidate, -1)
            except BadRequest:  # no device registered any more
                continue
            targets.append(candidate)
            if len(targets) >= 50:
                break
        for n in range(WARM_UP):
            run(targets[n % len(targets)], -2 - n)
        for n in range(config.action_runs):
            target = targets[n % len(targets)]
            pair = [("raw", lambda t=target, n=n: raw(t, n)), ("run", lambda t=target, n=n: run(t, n))]
            for name, call in pair if n % 2 == 0 else reversed(pair):  # alternate which goes first
                (raw_ms if name == "raw" else run_ms).append(timed(call)[0] * 1000)
    finally:
        clients.close()
        database.dispose()
    overhead = [r - w for r, w in zip(run_ms, raw_ms, strict=True)]
    figure = Measure("executor run − its raw client calls, per pair", "ms", overhead)
    ref = Measure("raw client calls: get_workspace + push.send_test", "ms", raw_ms)
    runs = Measure("Executor.submit(push.send_test)", "ms", run_ms)
    target = TARGET_MS[backend]
    ratio = runs.value / ref.value
    return Row(5, "action_overhead", "Action overhead, push.send_test", backend, figure, ref, ratio,
               f"run = {ratio:.1f}× the raw calls", Target(f"≤ {target:g} ms p50", figure.value <= target),
               {"executor_run": runs.to_json(), "targets": len(targets), "runs": len(run_ms)})
