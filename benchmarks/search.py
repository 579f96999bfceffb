"""Row 3: workspace search through the client, p50 and p95, against one plain GET of the health endpoint.

Queries are what support types: names and name prefixes, workspace ids, uniqueIds, site URLs and
contact e-mails of workspaces spread over the whole fleet. There are more distinct queries than the
sandbox's result cache holds (64), and they are asked in a cycle, so every search is computed.
"""

from __future__ import annotations

import random
from pathlib import Path

import requests

from benchmarks.harness import Config, Measure, Row, Target, at_target_size, percentile, scope_for, timed
from benchmarks.sandbox import SandboxProcess
from portal.clients import Clients, build_clients

TARGET_P95_MS = 50.0
RESULT_LIMIT = 20  # what the Workspaces screen asks for
SAMPLED_WORKSPACES = 24  # x 6 kinds of query = 144 distinct queries


def queries(clients: Clients, size: int, seed: int) -> list[str]:
    """Six kinds of query for workspaces picked across the fleet, deterministically."""
    rng = random.Random(seed)
    out: list[str] = []
    for index in rng.sample(range(size), SAMPLED_WORKSPACES):
        ws = clients.fleet.get_workspace(f"ws_{index:06d}")
        host = ws.site_url.split("://", 1)[-1].split("/", 1)[0]
        words = ws.name.split()
        out += [ws.id, ws.unique_id, ws.contact_email, host, ws.name.lower(), words[0][:4].lower()]
    return list(dict.fromkeys(out))


def measure(config: Config, sandbox: SandboxProcess, workdir: Path) -> Row:
    """Search and health GET interleaved, one of each per sample, over a cycle of distinct queries."""
    clients = build_clients(sandbox.settings())
    plain = requests.Session()
    health = f"{sandbox.base_url}/_sandbox/health"
    search_ms: list[float] = []
    health_ms: list[float] = []
    try:
        asked = queries(clients, sandbox.workspaces, config.seed)
        for q in asked[:5]:  # warm the connections, not the answers
            clients.fleet.search_workspaces(q, limit=RESULT_LIMIT)
            plain.get(health, timeout=10).raise_for_status()
        matches = 0
        for i in range(config.search_samples):
            q = asked[(i + 5) % len(asked)]
            seconds, found = timed(lambda q=q: clients.fleet.search_workspaces(q, limit=RESULT_LIMIT))
            search_ms.append(seconds * 1000)
            matches += found.total > 0
            seconds, response = timed(lambda: plain.get(health, timeout=10))
            response.raise_for_status()
            health_ms.append(seconds * 1000)
    finally:
        clients.close()
        plain.close()
    figure = Measure(f"FleetClient.search_workspaces(q, limit={RESULT_LIMIT})", "ms", search_ms,
                     p95=percentile(search_ms, 95))
    ref = Measure("plain GET /_sandbox/health (requests, keep-alive)", "ms", health_ms,
                  p95=percentile(health_ms, 95))
    assert figure.p95 is not None and ref.p95 is not None
    ratio = figure.p95 / ref.p95
    return Row(3, "search", "Workspace search round trip", scope_for(sandbox.workspaces), figure, ref,
               ratio, f"p95 {ratio:.1f}× a bare GET",
               Target(f"p95 ≤ {TARGET_P95_MS:g} ms at 100k", at_target_size(sandbox.workspaces,
                                                                           figure.p95 <= TARGET_P95_MS)),
               {"distinct_queries": len(asked), "samples": len(search_ms),
                "samples_with_matches": matches})
