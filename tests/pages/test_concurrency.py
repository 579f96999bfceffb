"""With 300 ms added to every service, the workspace page's service time is about one call, not the sum.

Measured on the timestamps the sandbox records for each request it served, not on wall-clock
thresholds in the test process.
"""

from __future__ import annotations

import requests

from portal.screens import screen_by_id
from tests.support.apptest import start_as

LATENCY = 0.3
SERVICES = ("fleet", "push", "stats", "marketplace", "hosting")


def test_workspace_page_calls_services_concurrently(sandbox):
    example = requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()
    workspace_id = example["workspace_ids"]["hosted"]
    for service in SERVICES:
        requests.put(f"{sandbox.base_url}/_sandbox/faults/{service}", json={"latency_ms": int(LATENCY * 1000)},
                     timeout=5).raise_for_status()
    at = start_as("support", query={"workspace": workspace_id})  # the start page asks its own services
    since = requests.get(f"{sandbox.base_url}/_sandbox/requests", timeout=5).json()["now"]
    at.switch_page(screen_by_id("workspace").path)
    at.run()
    assert not at.exception, at.exception

    log = requests.get(f"{sandbox.base_url}/_sandbox/requests", params={"since": since}, timeout=5).json()["items"]
    calls = [e for e in log if e["service"] in SERVICES]
    assert {e["service"] for e in calls} == set(SERVICES), "every service is asked"
    assert len(calls) >= 8
    for call in calls:  # the latency really was injected
        assert float(call["finished_at"]) - float(call["started_at"]) >= LATENCY * 0.9
    span = max(float(e["finished_at"]) for e in calls) - min(float(e["started_at"]) for e in calls)
    serial = sum(float(e["finished_at"]) - float(e["started_at"]) for e in calls)
    # One round of concurrent calls: far below the serial sum (≥ 2.4 s for 8 calls), near one call.
    assert span < 2 * LATENCY, f"service time {span:.3f}s for {len(calls)} calls (serial would be {serial:.3f}s)"
